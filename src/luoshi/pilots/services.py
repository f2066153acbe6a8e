"""Every write to pilot programmes, applications, pilots, progress entries and reviews.

Each function takes the acting user first, checks permission through ``luoshi.core.authz``,
runs in a transaction and writes audit records. State changes follow ``luoshi.pilots.rules``;
an illegal one is refused with a ``ValidationError`` carrying the rule's message.
"""

from __future__ import annotations

from datetime import date

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.core import authz, uploads
from luoshi.core import services as core
from luoshi.orgs.models import OrgUnit, UnitType
from luoshi.pilots import rules
from luoshi.pilots.models import Application, Pilot, PilotEvidence, Programme, ProgressEntry, Review
from luoshi.plans import services as plan_services

PROGRAMME_FIELDS = ("title", "aims", "indicators", "eligible_types", "call_opens", "call_closes", "starts_on",
                    "ends_on", "call_text", "places", "review_template")
APPLICATION_FIELDS = ("aims", "approach", "resources", "baseline", "contact_name", "contact_info")
PILOT_FIELDS = ("contact_name", "contact_info", "milestones", "ends_on")
ENTRY_FIELDS = ("entry_date", "period", "done", "problems", "figures")
REVIEW_FIELDS = ("aims_vs_results", "what_worked", "essential_problems", "core_problems", "lessons",
                 "reuse_conditions", "cost", "cost_notes")

DEFAULT_REVIEW_TEMPLATE = (
    "1. 目标与结果对照：原定目标完成到什么程度？\n"
    "2. 指标变化：与基线相比，各项指标变化多少？\n"
    "3. 有效做法：哪些做法起了作用，为什么？\n"
    "4. 本质问题与核心问题：遇到的问题背后是什么？\n"
    "5. 经验教训：下次会怎么做？\n"
    "6. 推广条件与成本：别的地方照做需要什么条件、花多少钱？"
)


def _refuse(exc: rules.TransitionRefused) -> ValidationError:
    return ValidationError(str(exc))


def _transition(actor, obj, machine: rules.Machine, action: str, changes: dict | None = None, verb: str = "") -> None:
    """Move ``obj`` (read for update) along ``machine``; audit as a transition."""
    try:
        target = machine.target(obj.state if hasattr(obj, "state") else obj.status, action,
                                str(obj.get_state_display() if hasattr(obj, "state") else obj.get_status_display()))
    except rules.TransitionRefused as exc:
        raise _refuse(exc) from None
    before = audit.snapshot(obj)
    field = "state" if hasattr(obj, "state") else "status"
    for name, value in {**(changes or {}), field: target}.items():
        setattr(obj, name, value)
    obj.version += 1
    obj.save()
    audit.record(actor, "transition", obj, before, audit.snapshot(obj), verb=verb or action)


def _check_dates(data: dict) -> None:
    errors = {}
    pairs = (("call_opens", "call_closes"), ("starts_on", "ends_on"))
    for first, last in pairs:
        if data.get(first) and data.get(last) and data[last] < data[first]:
            errors[last] = _("This date is before %(other)s.") % {"other": Programme._meta.get_field(first).verbose_name}
    if errors:
        raise ValidationError(errors)


def _check_types(types: list[str]) -> list[str]:
    valid = {t.value for t in UnitType}
    bad = [t for t in types if t not in valid]
    if bad:
        raise ValidationError({"eligible_types": _("Unknown unit type %(type)s.") % {"type": ", ".join(bad)}})
    return list(types)


def _visible_units(actor, units) -> list[OrgUnit]:
    units = list(units)
    visible = set(authz.scope(actor, OrgUnit).filter(pk__in=[u.pk for u in units]).values_list("pk", flat=True))
    hidden = [u for u in units if u.pk not in visible]
    if hidden:
        raise ValidationError(_("%(unit)s is outside your scope.") % {"unit": hidden[0]})
    return units


def _visible_items(actor, items) -> list:
    from luoshi.plans.models import PlanItem

    items = list(items)
    visible = set(authz.scope(actor, PlanItem).filter(pk__in=[i.pk for i in items]).values_list("pk", flat=True))
    if any(i.pk not in visible for i in items):
        raise ValidationError({"plan_items": _("A linked plan item is outside your scope.")})
    return items


# Programmes -----------------------------------------------------------------------------------

@transaction.atomic
def create_programme(actor, *, owner: OrgUnit, title: str, aims: str = "", indicators: list | None = None,
                     eligible_types: list | None = None, eligible_regions=(), plan_items=(),
                     call_opens: date | None = None, call_closes: date | None = None, starts_on: date | None = None,
                     ends_on: date | None = None, call_text: str = "", places: int = 10,
                     review_template: str = "") -> Programme:
    authz.require_in_unit(actor, "add", Programme, owner)
    data = {"call_opens": call_opens, "call_closes": call_closes, "starts_on": starts_on, "ends_on": ends_on}
    _check_dates(data)
    programme = Programme(owner=owner, title=title, aims=aims, indicators=list(indicators or []),
                          eligible_types=_check_types(eligible_types or []), call_text=call_text, places=places,
                          review_template=review_template or DEFAULT_REVIEW_TEMPLATE, **data)
    programme.full_clean()
    programme.save()
    programme.eligible_regions.set(_visible_units(actor, eligible_regions))
    programme.plan_items.set(_visible_items(actor, plan_items))
    audit.record(actor, "create", programme, None, audit.snapshot(programme))
    return programme


@transaction.atomic
def update_programme(actor, programme: Programme, data: dict, expected_version: int | None = None) -> Programme:
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    authz.require(actor, "change", programme)
    core.check_version(programme, expected_version)
    if programme.status == Programme.Status.FINISHED:
        raise ValidationError(_("A finished programme cannot be changed."))
    fields = {k: v for k, v in data.items() if k in PROGRAMME_FIELDS}
    if "eligible_types" in fields:
        _check_types(fields["eligible_types"])
    _check_dates({k: fields.get(k, getattr(programme, k)) for k in ("call_opens", "call_closes", "starts_on", "ends_on")})
    if "places" in fields and fields["places"] < programme.applications.filter(state=Application.State.APPROVED).count():
        raise ValidationError({"places": _("More applications than that are already approved.")})
    before = audit.snapshot(programme)
    for name, value in fields.items():
        setattr(programme, name, value)
    if "eligible_regions" in data:
        programme.eligible_regions.set(_visible_units(actor, data["eligible_regions"]))
    if "plan_items" in data:
        programme.plan_items.set(_visible_items(actor, data["plan_items"]))
    programme.full_clean()
    core.save_if_changed(actor, programme, before)
    return programme


@transaction.atomic
def set_programme_status(actor, programme: Programme, action: str) -> Programme:
    """``publish`` the call, ``close_call``, ``reopen`` it, or ``finish`` the programme."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    authz.require(actor, "publish", programme)
    if action == "publish" and not programme.call_text.strip():
        raise ValidationError({"call_text": _("Write the call text before publishing the call.")})
    if action == "finish" and programme.pilots.filter(state__in=[Pilot.State.RUNNING, Pilot.State.REVIEWING]).exists():
        raise ValidationError(_("The programme still has running pilots; review or close them first."))
    _transition(actor, programme, rules.PROGRAMME, action)
    return programme


@transaction.atomic
def delete_programme(actor, programme: Programme) -> None:
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    authz.require(actor, "delete", programme)
    if programme.status != Programme.Status.DRAFT:
        raise ValidationError(_("Only a draft programme can be deleted."))
    core.delete(actor, programme)


# Applications ---------------------------------------------------------------------------------

def _clean_baseline(programme: Programme, baseline: dict) -> dict:
    known = set(programme.indicator_names())
    unknown = [k for k in baseline if known and k not in known]
    if unknown:
        raise ValidationError({"baseline": _("%(name)s is not one of the programme's indicators.") % {"name": unknown[0]}})
    out = {}
    for name, value in baseline.items():
        try:
            out[name] = str(rules.parse_number(str(value)))
        except ValueError:
            raise ValidationError({"baseline": _("%(name)s: %(value)r is not a number.") % {"name": name, "value": value}}) from None
    return out


@transaction.atomic
def save_application(actor, programme: Programme, unit: OrgUnit, data: dict,
                     expected_version: int | None = None) -> Application:
    """Create or edit ``unit``'s draft application to ``programme``."""
    programme = Programme.objects.get(pk=programme.pk)
    authz.require(actor, "view", programme)
    fields = {k: v for k, v in data.items() if k in APPLICATION_FIELDS}
    if "baseline" in fields:
        fields["baseline"] = _clean_baseline(programme, fields["baseline"] or {})
    application = Application.objects.select_for_update().filter(programme=programme, unit=unit).first()
    if application is None:
        authz.require_in_unit(actor, "add", Application, unit)
        problem = (rules.call_problem(programme.status, timezone.localdate(), programme.call_opens, programme.call_closes)
                   or rules.eligibility_problem(unit.type, unit.path, programme.eligible_types,
                                                list(programme.eligible_regions.values_list("path", flat=True))))
        if problem:
            raise ValidationError(problem)
        return core.create(actor, Application(programme=programme, unit=unit, **fields))
    authz.require(actor, "change", application)
    if application.state != Application.State.DRAFT:
        raise ValidationError(_("This application is %(state)s and cannot be edited.") % {"state": application.get_state_display()})
    core.apply_changes(actor, application, fields, expected_version)
    return application


def _locked_application(application: Application) -> Application:
    return Application.objects.select_for_update().select_related("programme", "unit").get(pk=application.pk)


@transaction.atomic
def submit_application(actor, application: Application, expected_version: int | None = None) -> Application:
    application = _locked_application(application)
    authz.require(actor, "submit", application)
    core.check_version(application, expected_version)
    problem = rules.call_problem(application.programme.status, timezone.localdate(),
                                 application.programme.call_opens, application.programme.call_closes)
    if problem and application.state == Application.State.DRAFT:
        raise ValidationError(problem)
    missing = [n for n in application.programme.indicator_names() if n not in application.baseline]
    if missing and application.state == Application.State.DRAFT:
        raise ValidationError({"baseline": _("Give the baseline of %(names)s before submitting.") % {"names": "、".join(missing)}})
    _transition(actor, application, rules.APPLICATION, "submit", {"submitted_by": actor, "submitted_at": timezone.now()})
    return application


@transaction.atomic
def withdraw_application(actor, application: Application, expected_version: int | None = None) -> Application:
    application = _locked_application(application)
    authz.require(actor, "change", application)
    core.check_version(application, expected_version)
    _transition(actor, application, rules.APPLICATION, "withdraw")
    return application


def _self_review(actor, submitted_by_id) -> bool:
    return submitted_by_id == actor.pk and not getattr(settings, "LUOSHI_ALLOW_SELF_REVIEW", False)


@transaction.atomic
def decide_application(actor, application: Application, action: str, reason: str = "",
                       expected_version: int | None = None, pilot_data: dict | None = None) -> Application:
    """The programme's reviewers ``shortlist``, ``approve`` or ``decline`` (with a reason) an application.

    Approving creates the pilot (``pilot_data`` may give its title, participants, milestones).
    """
    application = _locked_application(application)
    authz.require(actor, "review", application)
    core.check_version(application, expected_version)
    if action not in ("shortlist", "approve", "decline"):
        raise ValidationError(_("Unknown decision %(action)r.") % {"action": action})
    if _self_review(actor, application.submitted_by_id):
        raise PermissionDenied(_("You cannot decide on an application you submitted yourself."))
    reason = reason.strip()
    if action == "decline" and not reason:
        raise ValidationError({"reason": _("Say why the application is declined.")})
    programme = Programme.objects.select_for_update().get(pk=application.programme_id)
    if action == "approve":
        taken = programme.applications.filter(state=Application.State.APPROVED).count()
        if taken >= programme.places:
            raise ValidationError(_("All %(places)s places of the programme are taken.") % {"places": programme.places})
    _transition(actor, application, rules.APPLICATION, action,
                {"decision_reason": reason, "decided_by": actor, "decided_at": timezone.now()})
    if action == "approve":
        _create_pilot(actor, application, programme, pilot_data or {})
    return application


def _create_pilot(actor, application: Application, programme: Programme, data: dict) -> Pilot:
    pilot = Pilot(
        programme=programme, application=application, unit=application.unit,
        title=(data.get("title") or f"{application.unit.short_name or application.unit.name}·{programme.title}")[:300],
        aims=application.aims, approach=application.approach, baseline=dict(application.baseline),
        contact_name=data.get("contact_name") or application.contact_name,
        contact_info=data.get("contact_info") or application.contact_info,
        milestones=list(data.get("milestones") or []), starts_on=programme.starts_on or timezone.localdate(),
        ends_on=programme.ends_on,
    )
    pilot.full_clean()
    pilot.save()
    participants = [u for u in data.get("participants", []) if u.pk != application.unit_id]
    pilot.participants.set([application.unit, *participants])
    audit.record(actor, "create", pilot, None, audit.snapshot(pilot))
    return pilot


# Pilots ---------------------------------------------------------------------------------------

@transaction.atomic
def update_pilot(actor, pilot: Pilot, data: dict, expected_version: int | None = None) -> Pilot:
    """The pilot unit keeps its contact, milestones and participants up to date."""
    pilot = Pilot.objects.select_for_update().select_related("programme").get(pk=pilot.pk)
    authz.require(actor, "change", pilot)
    core.check_version(pilot, expected_version)
    if pilot.state in (Pilot.State.PROMOTED, Pilot.State.CLOSED):
        raise ValidationError(_("A %(state)s pilot cannot be changed.") % {"state": pilot.get_state_display()})
    before = audit.snapshot(pilot)
    for name, value in data.items():
        if name in PILOT_FIELDS:
            setattr(pilot, name, value)
    if "participants" in data:
        units = _visible_units(actor, data["participants"])
        pilot.participants.set({pilot.unit, *units})
    pilot.full_clean()
    core.save_if_changed(actor, pilot, before)
    return pilot


# Progress entries -----------------------------------------------------------------------------

def _clean_figures(pilot: Pilot, figures: dict) -> dict:
    known = set(pilot.programme.indicator_names())
    if known and any(k not in known for k in figures):
        raise ValidationError({"figures": _("%(name)s is not one of the programme's indicators.")
                               % {"name": next(k for k in figures if k not in known)}})
    try:
        return {k: str(rules.parse_number(str(v))) for k, v in figures.items()}
    except ValueError as exc:
        raise ValidationError({"figures": _("%(value)r is not a number.") % {"value": str(exc)}}) from None


@transaction.atomic
def add_entry(actor, pilot: Pilot, data: dict, escalate: bool = False) -> ProgressEntry:
    pilot = Pilot.objects.select_for_update().select_related("programme", "unit").get(pk=pilot.pk)
    authz.require(actor, "view", pilot)
    authz.require_in_unit(actor, "add", ProgressEntry, pilot.unit)
    if pilot.state != Pilot.State.RUNNING:
        raise ValidationError(_("Progress is recorded while a pilot is running; this one is %(state)s.")
                              % {"state": pilot.get_state_display()})
    fields = {k: v for k, v in data.items() if k in ENTRY_FIELDS}
    fields.setdefault("entry_date", timezone.localdate())
    if fields["entry_date"] > timezone.localdate():
        raise ValidationError({"entry_date": _("The date is in the future.")})
    fields["figures"] = _clean_figures(pilot, fields.get("figures") or {})
    if escalate and not (fields.get("problems") or "").strip():
        raise ValidationError({"problems": _("Describe the problem you raise to the level above.")})
    entry = ProgressEntry(pilot=pilot, author=actor,
                          escalation=ProgressEntry.Escalation.OPEN if escalate else "", **fields)
    return core.create(actor, entry)


@transaction.atomic
def update_entry(actor, entry: ProgressEntry, data: dict, expected_version: int | None = None) -> ProgressEntry:
    entry = ProgressEntry.objects.select_for_update().select_related("pilot__programme").get(pk=entry.pk)
    authz.require(actor, "change", entry)
    if entry.pilot.state != Pilot.State.RUNNING:
        raise ValidationError(_("Entries of a pilot that is no longer running stay as they are."))
    fields = {k: v for k, v in data.items() if k in ENTRY_FIELDS}
    if "figures" in fields:
        fields["figures"] = _clean_figures(entry.pilot, fields["figures"] or {})
    if fields.get("entry_date") and fields["entry_date"] > timezone.localdate():
        raise ValidationError({"entry_date": _("The date is in the future.")})
    core.apply_changes(actor, entry, fields, expected_version)
    return entry


@transaction.atomic
def answer_escalation(actor, entry: ProgressEntry, response: str, expected_version: int | None = None) -> ProgressEntry:
    """The level above (or the programme owner's reviewers) answers a raised problem."""
    entry = ProgressEntry.objects.select_for_update().get(pk=entry.pk)
    authz.require(actor, "review", entry)
    core.check_version(entry, expected_version)
    if entry.escalation != ProgressEntry.Escalation.OPEN:
        raise ValidationError(_("Only a problem raised and not yet answered can be answered."))
    if not response.strip():
        raise ValidationError({"response": _("Write the answer.")})
    core.apply_changes(actor, entry, {"response": response.strip(), "responded_by": actor,
                                      "escalation": ProgressEntry.Escalation.ANSWERED}, verb="answer")
    return entry




@transaction.atomic
def add_evidence(actor, entry: ProgressEntry, upload) -> PilotEvidence:
    """Attach a file to a progress entry, checked by extension, size and leading bytes."""
    entry = ProgressEntry.objects.select_for_update().select_related("pilot").get(pk=entry.pk)
    authz.require(actor, "change", entry)
    if entry.pilot.state != Pilot.State.RUNNING:
        raise ValidationError(_("Evidence is added while the pilot is running."))
    name, content_type = uploads.check_upload(upload, plan_services.EVIDENCE_TYPES)
    evidence = PilotEvidence(entry=entry, name=name, size=upload.size, content_type=content_type,
                             uploaded_by=actor)
    evidence.file.save(name, upload)  # stores the file, then saves the row with its name
    audit.record(actor, "create", evidence, None, {"entry": entry.pk, "name": name, "size": upload.size})
    return evidence


@transaction.atomic
def remove_evidence(actor, evidence: PilotEvidence) -> None:
    entry = ProgressEntry.objects.select_related("pilot").get(pk=evidence.entry_id)
    authz.require(actor, "change", entry)
    if entry.pilot.state != Pilot.State.RUNNING:
        raise ValidationError(_("Evidence of a pilot that is no longer running stays."))
    audit.record(actor, "delete", evidence, {"entry": entry.pk, "name": evidence.name, "size": evidence.size})
    evidence.file.delete(save=False)
    evidence.delete()


# Reviews (复盘) --------------------------------------------------------------------------------

def latest_figures(pilot: Pilot) -> dict[str, str]:
    """The most recent value of each indicator across the pilot's progress entries: the entries
    newest first (by date, then of one day's the later), the first value of each name kept."""
    out: dict[str, str] = {}
    for figures in pilot.entries.order_by("-entry_date", "-id").values_list("figures", flat=True):
        for name, value in figures.items():
            out.setdefault(name, value)
    return out


def _review_figures(pilot: Pilot, results: dict) -> list[dict]:
    results = _clean_figures(pilot, results)
    names = pilot.programme.indicator_names() or list(dict.fromkeys([*(n for n, _v in pilot.baseline_items()), *results]))
    return [{"name": n, "baseline": pilot.baseline.get(n, ""), "result": results.get(n, "")} for n in names]


@transaction.atomic
def save_review(actor, pilot: Pilot, data: dict, kind: str = Review.Kind.FINAL, review: Review | None = None,
                expected_version: int | None = None) -> Review:
    """Create (or edit, while draft or returned) the pilot unit's review. ``data["results"]`` maps
    indicator names to their values at the review; the baseline comes from the pilot."""
    pilot = Pilot.objects.select_for_update().select_related("programme", "unit").get(pk=pilot.pk)
    fields = {k: v for k, v in data.items() if k in REVIEW_FIELDS}
    if "results" in data:
        fields["figures"] = _review_figures(pilot, data["results"] or {})
    if review is None:
        authz.require(actor, "view", pilot)
        authz.require_in_unit(actor, "add", Review, pilot.unit)
        if pilot.state != Pilot.State.RUNNING:
            raise ValidationError(_("A review is written while the pilot is running; this one is %(state)s.")
                                  % {"state": pilot.get_state_display()})
        if kind not in Review.Kind.values:
            raise ValidationError({"kind": _("Unknown kind of review.")})
        if pilot.reviews.exclude(state=Review.State.DECIDED).exists():
            raise ValidationError(_("The pilot already has a review in progress; finish that one first."))
        if "figures" not in fields:
            fields["figures"] = _review_figures(pilot, latest_figures(pilot))
        return core.create(actor, Review(pilot=pilot, kind=kind, **fields))
    review = Review.objects.select_for_update().get(pk=review.pk, pilot=pilot)
    authz.require(actor, "change", review)
    if review.state not in (Review.State.DRAFT, Review.State.RETURNED):
        raise ValidationError(_("This review is %(state)s and cannot be edited.") % {"state": review.get_state_display()})
    core.apply_changes(actor, review, fields, expected_version)
    return review


def _locked_review(review: Review) -> Review:
    return Review.objects.select_for_update().select_related("pilot__programme", "pilot__unit").get(pk=review.pk)


@transaction.atomic
def submit_review(actor, review: Review, expected_version: int | None = None) -> Review:
    review = _locked_review(review)
    authz.require(actor, "submit", review)
    core.check_version(review, expected_version)
    missing = [str(Review._meta.get_field(f).verbose_name) for f in ("aims_vs_results", "what_worked", "core_problems", "lessons")
               if not getattr(review, f).strip()]
    if missing and review.state in (Review.State.DRAFT, Review.State.RETURNED):
        raise ValidationError(_("Fill in %(fields)s before submitting the review.") % {"fields": "、".join(missing)})
    pilot = Pilot.objects.select_for_update().get(pk=review.pilot_id)
    _transition(actor, review, rules.REVIEW, "submit", {"submitted_by": actor, "submitted_at": timezone.now()})
    if review.kind == Review.Kind.FINAL:
        _transition(actor, pilot, rules.PILOT, "submit_review")
    return review


def _require_decider(actor, review: Review) -> None:
    authz.require(actor, "review", review)
    if _self_review(actor, review.submitted_by_id):
        raise PermissionDenied(_("You cannot decide on a review you submitted yourself."))


@transaction.atomic
def return_review(actor, review: Review, reason: str, expected_version: int | None = None) -> Review:
    review = _locked_review(review)
    _require_decider(actor, review)
    core.check_version(review, expected_version)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the review is returned.")})
    pilot = Pilot.objects.select_for_update().get(pk=review.pilot_id)
    _transition(actor, review, rules.REVIEW, "return", {"decision_reason": reason.strip(), "decided_by": actor,
                                                         "decided_at": timezone.now()})
    if review.kind == Review.Kind.FINAL:
        _transition(actor, pilot, rules.PILOT, "review_returned")
    return review


@transaction.atomic
def decide_review(actor, review: Review, outcome: str, reason: str = "", expected_version: int | None = None) -> Review:
    """The programme's reviewers decide: promote, continue, adjust or close (the last three with a reason).

    Promoting makes the pilot's results a solution in the library (``luoshi.library``)."""
    review = _locked_review(review)
    _require_decider(actor, review)
    core.check_version(review, expected_version)
    try:
        rules.check_outcome(review.kind, outcome)
    except rules.TransitionRefused as exc:
        raise ValidationError({"outcome": str(exc)}) from None
    if outcome != "promote" and not reason.strip():
        raise ValidationError({"reason": _("Say why the pilot should %(outcome)s.")
                               % {"outcome": Review.Outcome(outcome).label}})
    pilot = Pilot.objects.select_for_update().get(pk=review.pilot_id)
    _transition(actor, review, rules.REVIEW, "decide", {"outcome": outcome, "decision_reason": reason.strip(),
                                                         "decided_by": actor, "decided_at": timezone.now()},
                verb=outcome)
    pilot_action = rules.pilot_action_for(review.kind, outcome)
    if pilot_action:
        _transition(actor, pilot, rules.PILOT, pilot_action)
    if outcome == "promote":
        promote_to_library(actor, review)
    return review


def promote_to_library(actor, review: Review):
    """Hand a promoted review to the solution library, when that domain is installed."""
    if not apps.is_installed("luoshi.library"):
        return None
    from luoshi.library import services as library_services

    return library_services.create_solution_from_review(actor, review)


# Exports --------------------------------------------------------------------------------------

def _d(value) -> str:
    return value.isoformat() if value else ""


def export_programme_rows(programmes) -> tuple[list[str], list[list[object]]]:
    header = ["id", "title", "owner", "status", "call_opens", "call_closes", "starts_on", "ends_on", "places",
              "applications", "pilots", "indicators"]
    rows = [[p.pk, p.title, p.owner.code, p.status, _d(p.call_opens), _d(p.call_closes), _d(p.starts_on),
             _d(p.ends_on), p.places, getattr(p, "application_count", ""), getattr(p, "pilot_count", ""),
             "；".join(p.indicator_names())] for p in programmes]
    return header, rows


def export_application_rows(applications) -> tuple[list[str], list[list[object]]]:
    header = ["id", "programme", "unit", "unit_name", "state", "aims", "baseline", "contact", "decision_reason"]
    rows = [[a.pk, a.programme.title, a.unit.code, a.unit.name, a.state, a.aims,
             "；".join(f"{k}={v}" for k, v in a.baseline_items()), a.contact_name, a.decision_reason] for a in applications]
    return header, rows


def export_pilot_rows(pilots) -> tuple[list[str], list[list[object]]]:
    header = ["id", "title", "programme", "unit", "unit_name", "state", "starts_on", "ends_on", "contact", "baseline"]
    rows = [[p.pk, p.title, p.programme.title, p.unit.code, p.unit.name, p.state, _d(p.starts_on), _d(p.ends_on),
             p.contact_name, "；".join(f"{k}={v}" for k, v in p.baseline_items())] for p in pilots]
    return header, rows


def export_review_rows(reviews) -> tuple[list[str], list[list[object]]]:
    header = ["id", "pilot", "unit", "kind", "state", "outcome", "figures", "cost", "core_problems", "lessons",
              "decision_reason"]
    rows = [[r.pk, r.pilot.title, r.pilot.unit.code, r.kind, r.state, r.outcome,
             "；".join(f"{f['name']}: {f.get('baseline', '')}→{f.get('result', '')}" for f in r.figures),
             str(r.cost) if r.cost is not None else "", r.core_problems, r.lessons, r.decision_reason] for r in reviews]
    return header, rows
