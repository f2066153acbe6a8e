"""Every write to plans, items and progress reports. Each takes the acting user, checks
permission through ``luoshi.core.authz``, runs in a transaction and writes audit records."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.core import authz, badges, paths, uploads
from luoshi.core import services as core
from luoshi.orgs.models import OrgUnit
from luoshi.plans import notify, rollup, rules
from luoshi.plans.models import Evidence, Plan, PlanItem, ProgressReport, ReportVersion, SourceDocument

PLAN_FIELDS = ("title", "start_year", "end_year", "period", "description")
ITEM_FIELDS = ("kind", "title", "description", "lead_unit", "start_date", "due_date", "weight", "deliverables")
REPORT_FIELDS = ("status", "percent", "achievements", "problems", "next_steps")

# Report workflow: action -> (states it may start from, state it leads to).
TRANSITIONS = {
    "submit": ({ProgressReport.State.DRAFT, ProgressReport.State.RETURNED}, ProgressReport.State.SUBMITTED),
    "approve": ({ProgressReport.State.SUBMITTED}, ProgressReport.State.APPROVED),
    "return": ({ProgressReport.State.SUBMITTED}, ProgressReport.State.RETURNED),
}

# Plan status changes that are allowed (old, new); every other pair is refused.
PLAN_STATUS_CHANGES = frozenset({("draft", "published"), ("published", "archived"), ("archived", "published")})


# Plans ----------------------------------------------------------------------------------------

def _check_horizon(start_year: int, end_year: int) -> None:
    if end_year < start_year:
        raise ValidationError({"end_year": _("The end year is before the start year.")})


@transaction.atomic
def create_plan(actor, *, title: str, issuer: OrgUnit, start_year: int, end_year: int,
                period: str = Plan.Period.QUARTERLY, description: str = "", source: SourceDocument | None = None) -> Plan:
    authz.require_in_unit(actor, "add", Plan, issuer)
    _check_horizon(start_year, end_year)
    plan = Plan(title=title, issuer=issuer, start_year=start_year, end_year=end_year, period=period,
                description=description, source=source)
    return core.create(actor, plan)


@transaction.atomic
def update_plan(actor, plan: Plan, data: dict, expected_version: int | None = None) -> Plan:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    authz.require(actor, "change", plan)
    if plan.status == Plan.Status.ARCHIVED:
        raise ValidationError(_("An archived plan cannot be changed."))
    fields = {k: v for k, v in data.items() if k in PLAN_FIELDS}
    _check_horizon(fields.get("start_year", plan.start_year), fields.get("end_year", plan.end_year))
    horizon = (fields.get("start_year", plan.start_year), fields.get("end_year", plan.end_year), fields.get("period", plan.period))
    if plan.status == Plan.Status.PUBLISHED and horizon != (plan.start_year, plan.end_year, plan.period):
        raise ValidationError(_("The horizon and reporting period of a published plan are fixed."))
    core.apply_changes(actor, plan, fields, expected_version)
    return plan


@transaction.atomic
def set_plan_status(actor, plan: Plan, status: str) -> Plan:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    authz.require(actor, "publish", plan)
    if (plan.status, status) not in PLAN_STATUS_CHANGES:
        raise ValidationError(_("A plan cannot go from %(old)s to %(new)s.") % {"old": plan.get_status_display(), "new": status})
    if status == Plan.Status.PUBLISHED and not plan.items.exists():
        raise ValidationError(_("A plan without items cannot be published."))
    core.apply_changes(actor, plan, {"status": status}, verb=status)
    if status == Plan.Status.PUBLISHED:
        rollup.refresh_plan(plan.pk)
    return plan


@transaction.atomic
def delete_plan(actor, plan: Plan) -> None:
    authz.require(actor, "delete", plan)
    if plan.status != Plan.Status.DRAFT:
        raise ValidationError(_("Only a draft plan can be deleted; archive a published one."))
    for item in plan.items.order_by("-depth"):
        audit.record(actor, "delete", item, audit.snapshot(item))
    core.delete(actor, plan)


# Items ----------------------------------------------------------------------------------------

def _horizon_dates(plan: Plan) -> tuple[date, date]:
    return date(plan.start_year, 1, 1), date(plan.end_year, 12, 31)


def _validate_dates(plan: Plan, start: date | None, due: date | None) -> None:
    first, last = _horizon_dates(plan)
    errors = {}
    for name, value in (("start_date", start), ("due_date", due)):
        if value is not None and not first <= value <= last:
            errors[name] = _("%(date)s is outside the plan's horizon (%(first)s to %(last)s).") % {"date": value, "first": first, "last": last}
    if start and due and due < start:
        errors["due_date"] = _("The due date is before the start date.")
    if errors:
        raise ValidationError(errors)


def _planner_units(actor):
    return authz.units_where(actor, "add", PlanItem)


def _assigner_for(actor, plan: Plan, parent: PlanItem | None, lead_unit: OrgUnit) -> OrgUnit:
    """The unit on whose behalf the actor assigns ``lead_unit`` an item, checking scope.

    Top-level items are assigned by the plan's issuer (its planners, draft or published).
    A sub-item is a cascade by the parent's lead unit when the new lead is below it (the plan
    must be published), or otherwise a structural edit by the parent's assigning unit.
    """
    if not _planner_units(actor).filter(pk=lead_unit.pk).exists():
        raise PermissionDenied(_("%(unit)s is outside the units you may assign work to.") % {"unit": lead_unit})
    if parent is None:
        authz.require(actor, "change", plan)
        assigner = plan.issuer
    elif lead_unit != parent.lead_unit and lead_unit.path.startswith(parent.lead_unit.path):
        assigner = parent.lead_unit
        if not authz.can_in_unit(actor, "add", PlanItem, assigner):
            raise PermissionDenied(_("You may not break down this item."))
        if plan.status != Plan.Status.PUBLISHED and not authz.can(actor, "change", plan):
            raise ValidationError(_("Only a published plan's items can be broken down by their lead units."))
    else:
        authz.require(actor, "change", parent)
        assigner = parent.assigned_by
    if not lead_unit.path.startswith(assigner.path):
        raise ValidationError({"lead_unit": _("%(unit)s is not below %(assigner)s, which assigns this item.") % {"unit": lead_unit, "assigner": assigner}})
    return assigner


def _may_add_under(actor, parent: PlanItem) -> bool:
    return authz.can(actor, "change", parent) or authz.can_in_unit(actor, "add", PlanItem, parent.lead_unit)


def _next_position(plan: Plan, parent: PlanItem | None) -> int:
    top = PlanItem.objects.filter(plan=plan, parent=parent).aggregate(m=Max("position"))["m"]
    return 0 if top is None else top + 1


def _code(parent: PlanItem | None, position: int) -> str:
    return f"{parent.code}.{position + 1}" if parent and parent.code else str(position + 1)


@transaction.atomic
def add_item(actor, plan: Plan, *, title: str, lead_unit: OrgUnit, parent: PlanItem | None = None,
             kind: str = "measure", co_owners=(), start_date: date | None = None, due_date: date | None = None,
             weight: Decimal = Decimal(1), description: str = "", deliverables: str = "", code: str | None = None) -> PlanItem:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    # Out of scope is "not found" (404) before any role or unit check can answer 403.
    authz.require(actor, "view", plan)
    if parent is not None:
        authz.require(actor, "view", parent)
    if plan.status == Plan.Status.ARCHIVED:
        raise ValidationError(_("An archived plan cannot be changed."))
    if parent is not None and parent.plan_id != plan.pk:
        raise ValidationError({"parent": _("The parent item belongs to another plan.")})
    assigner = _assigner_for(actor, plan, parent, lead_unit)
    _validate_dates(plan, start_date, due_date)
    co_owners = list(co_owners)
    allowed = set(_planner_units(actor).filter(pk__in=[u.pk for u in co_owners]).values_list("pk", flat=True))
    outside = [u for u in co_owners if u.pk not in allowed]
    if outside:
        raise PermissionDenied(_("%(unit)s is outside the units you may assign work to.") % {"unit": outside[0]})
    position = _next_position(plan, parent)
    item = PlanItem(plan=plan, parent=parent, position=position, code=code or _code(parent, position), kind=kind,
                    title=title, description=description, lead_unit=lead_unit, assigned_by=assigner,
                    start_date=start_date, due_date=due_date, weight=weight, deliverables=deliverables)
    item.full_clean()
    item.save()
    paths.place(item, parent)
    item.co_owners.set(co_owners)
    if parent is not None:
        PlanItem.objects.filter(pk=parent.pk).update(child_count=F("child_count") + 1)
    audit.record(actor, "create", item, None, audit.snapshot(item))
    if plan.status == Plan.Status.PUBLISHED:
        rollup.refresh_branch(item)
    return item


@transaction.atomic
def update_item(actor, item: PlanItem, data: dict, expected_version: int | None = None) -> PlanItem:
    item = PlanItem.objects.select_for_update().select_related("plan", "lead_unit", "assigned_by").get(pk=item.pk)
    authz.require(actor, "change", item)
    if item.plan.status == Plan.Status.ARCHIVED:
        raise ValidationError(_("An archived plan cannot be changed."))
    core.check_version(item, expected_version)
    fields = {k: v for k, v in data.items() if k in ITEM_FIELDS}
    if "lead_unit" in fields and fields["lead_unit"] != item.lead_unit:
        unit = fields["lead_unit"]
        if not _planner_units(actor).filter(pk=unit.pk).exists() or not unit.path.startswith(item.assigned_by.path):
            raise PermissionDenied(_("%(unit)s is outside the units you may assign work to.") % {"unit": unit})
    _validate_dates(item.plan, fields.get("start_date", item.start_date), fields.get("due_date", item.due_date))
    before = audit.snapshot(item)
    for name, value in fields.items():
        setattr(item, name, value)
    if "co_owners" in data:
        co = list(data["co_owners"])
        allowed = set(_planner_units(actor).filter(pk__in=[u.pk for u in co]).values_list("pk", flat=True))
        if any(u.pk not in allowed for u in co):
            raise PermissionDenied(_("A co-owner is outside the units you may assign work to."))
        # Co-owners the actor may not assign work to stay as they are (as hidden group members do).
        kept = [u for u in item.co_owners.all() if not authz.can_in_unit(actor, "add", PlanItem, u)]
        item.co_owners.set([*co, *kept])
    item.full_clean()
    if core.save_if_changed(actor, item, before) and item.plan.status == Plan.Status.PUBLISHED:
        rollup.refresh_branch(item)
    return item


@transaction.atomic
def move_item(actor, item: PlanItem, new_parent: PlanItem | None, position: int | None = None,
              expected_version: int | None = None) -> PlanItem:
    """Move an item (with its subtree) under ``new_parent`` at ``position`` among its siblings."""
    item = PlanItem.objects.select_for_update().select_related("plan").get(pk=item.pk)
    authz.require(actor, "change", item)
    core.check_version(item, expected_version)
    if new_parent is not None:
        if new_parent.plan_id != item.plan_id:
            raise ValidationError({"parent": _("An item can only move within its plan.")})
        if new_parent.path.startswith(item.path):
            raise ValidationError({"parent": _("An item cannot be moved below itself or one of its own sub-items.")})
        if not _may_add_under(actor, new_parent):
            raise PermissionDenied(_("You may not place items under %(item)s.") % {"item": new_parent})
    elif item.parent_id is not None:
        authz.require(actor, "change", item.plan)
    before = audit.snapshot(item)
    old_parent_id = item.parent_id
    siblings = list(PlanItem.objects.filter(plan=item.plan, parent=new_parent).exclude(pk=item.pk).order_by("position", "pk"))
    position = len(siblings) if position is None else max(0, min(position, len(siblings)))
    siblings.insert(position, item)
    shifted = []
    for index, sibling in enumerate(siblings):
        if sibling.pk != item.pk and sibling.position != index:
            sibling.position = index
            shifted.append(sibling)
    PlanItem.objects.bulk_update(shifted, ["position"])
    if old_parent_id != (new_parent.pk if new_parent else None):
        paths.move_subtree(PlanItem.objects.filter(plan=item.plan), item, new_parent)
    PlanItem.objects.filter(pk=item.pk).update(parent=new_parent, position=position, version=F("version") + 1)
    item.refresh_from_db()
    audit.record(actor, "update", item, before, audit.snapshot(item), verb="move")
    rollup.refresh_plan(item.plan_id)
    return item


@transaction.atomic
def renumber(actor, plan: Plan) -> int:
    """Give every item the code that follows the tree (1, 1.2, 1.2.3) from sibling order."""
    authz.require(actor, "change", plan)
    items = list(plan.items.order_by("depth", "position", "pk"))  # their .plan is this plan (audit scope)
    codes: dict[int, str] = {}
    counters: dict[int | None, int] = {}
    changed = []
    for item in items:
        counters[item.parent_id] = counters.get(item.parent_id, 0) + 1
        prefix = codes.get(item.parent_id)  # None at the top level (a parent comes before its children)
        code = f"{prefix}.{counters[item.parent_id]}" if prefix else str(counters[item.parent_id])
        codes[item.pk] = code
        if item.code != code:
            changed.append(audit.build(actor, "update", item, {"code": item.code}, {"code": code}, verb="renumber"))
            item.code = code
    PlanItem.objects.bulk_update(items, ["code"], batch_size=1000)
    audit.record_many(changed)
    return len(changed)


@transaction.atomic
def delete_item(actor, item: PlanItem) -> int:
    """Delete an item with its whole subtree (and their reports); returns how many items went."""
    item = PlanItem.objects.select_for_update().select_related("plan").get(pk=item.pk)
    authz.require(actor, "delete", item)
    subtree = list(item.plan.items.filter(path__startswith=item.path).order_by("-depth"))
    if item.plan.status != Plan.Status.DRAFT and ProgressReport.objects.filter(item__in=subtree, state=ProgressReport.State.APPROVED).exists():
        raise ValidationError(_("Items with approved reports cannot be deleted; their history must stay."))
    audit.record_many(audit.build(actor, "delete", i, audit.snapshot(i), None) for i in subtree)
    item.delete()
    rollup.refresh_plan(item.plan_id)  # the parent's child count too
    return len(subtree)


# Reports --------------------------------------------------------------------------------------

def _check_report_target(actor, item: PlanItem, unit: OrgUnit, period_key: str):
    plan = item.plan
    if plan.status != Plan.Status.PUBLISHED:
        raise ValidationError(_("Reports can only be made on a published plan."))
    if unit.pk not in item.responsible_unit_ids():
        raise ValidationError({"unit": _("%(unit)s does not hold this item.") % {"unit": unit}})
    authz.require_in_unit(actor, "add", ProgressReport, unit)
    try:
        period = rules.parse_period(plan.period, period_key)
    except ValueError:
        raise ValidationError({"period": _("%(period)s is not a reporting period of this plan.") % {"period": period_key}}) from None
    if not plan.start_year <= period.start.year <= plan.end_year:  # a period lies within one calendar year
        raise ValidationError({"period": _("%(period)s is outside the plan's horizon.") % {"period": period_key}})
    if period.start > timezone.localdate():
        raise ValidationError({"period": _("%(period)s has not started yet.") % {"period": period_key}})
    return period


@transaction.atomic
def save_report(actor, item: PlanItem, unit: OrgUnit, period: str, data: dict,
                expected_version: int | None = None) -> ProgressReport:
    """Create or edit the draft (or returned) report of ``unit`` on ``item`` for ``period``."""
    item = PlanItem.objects.select_related("plan").get(pk=item.pk)
    if not authz.can(actor, "view", item):
        raise Http404("not found")
    resolved = _check_report_target(actor, item, unit, period)
    fields = {k: v for k, v in data.items() if k in REPORT_FIELDS}
    report = _locked_report(item, unit, period)
    if report is None:
        report = ProgressReport(item=item, unit=unit, period=period, period_end=resolved.end, **fields)
        if report.status == ProgressReport.Status.DONE:
            report.percent = Decimal(100)
        try:
            with transaction.atomic():  # a savepoint: a concurrent first report hits the unique constraint
                return core.create(actor, report)
        except (IntegrityError, ValidationError):  # the constraint, in the database or in full_clean
            existing = ProgressReport.objects.select_for_update().filter(item=item, unit=unit, period=period).first()
            if existing is None:
                raise
            raise core.EditConflict(existing, 0, _changes_since_creation(existing)) from None
    if expected_version is not None and int(expected_version) == 0:
        # The form (or API call) was for a report that did not exist yet: someone else created it meanwhile.
        raise core.EditConflict(report, 0, _changes_since_creation(report))
    authz.require(actor, "change", report)
    if report.locked:
        raise ValidationError(_("This report is %(state)s and cannot be edited.") % {"state": report.get_state_display()})
    core.apply_changes(actor, report, fields, expected_version)
    return report


def _locked_report(item: PlanItem, unit: OrgUnit, period: str) -> ProgressReport | None:
    return ProgressReport.objects.select_for_update().filter(item=item, unit=unit, period=period).first()


def _changes_since_creation(report: ProgressReport) -> list[tuple[str, object, object]]:
    return [(name, "", getattr(report, name)) for name in REPORT_FIELDS if getattr(report, name) not in ("", None)]


def _freeze(actor, report: ProgressReport) -> None:
    number = (report.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    ReportVersion.objects.create(report=report, number=number, state=report.state, actor=actor,
                                 data={**{f: str(getattr(report, f)) for f in REPORT_FIELDS}, "review_comment": report.review_comment})


def _transition(actor, report: ProgressReport, action: str, changes: dict) -> ProgressReport:
    sources, target = TRANSITIONS[action]
    if report.state not in sources:
        raise ValidationError(
            _("This report is %(state)s and cannot be %(action)s.") % {"state": report.get_state_display(), "action": {
                "submit": _("submitted"), "approve": _("approved"), "return": _("returned")}[action]}
        )
    before = audit.snapshot(report)
    for name, value in {**changes, "state": target}.items():
        setattr(report, name, value)
    report.version += 1
    report.save()
    audit.record(actor, "transition", report, before, audit.snapshot(report), verb=action)
    _freeze(actor, report)
    return report


@transaction.atomic
def submit_report(actor, report: ProgressReport, expected_version: int | None = None) -> ProgressReport:
    report = ProgressReport.objects.select_for_update().select_related("item__plan", "unit").get(pk=report.pk)
    authz.require(actor, "submit", report)
    core.check_version(report, expected_version)
    if report.item.plan.status != Plan.Status.PUBLISHED:
        raise ValidationError(_("Reports can only be made on a published plan."))
    _transition(actor, report, "submit", {"submitted_by": actor, "submitted_at": timezone.now()})
    notify.report_submitted(report)
    return report


def _require_reviewer(actor, report: ProgressReport) -> None:
    authz.require(actor, "view", report)
    if not authz.can_in_unit(actor, "review", ProgressReport, report.item.assigned_by):
        raise PermissionDenied(_("Only a reviewer of %(unit)s, which assigned this item, can review it.") % {"unit": report.item.assigned_by})
    if getattr(settings, "LUOSHI_ALLOW_SELF_REVIEW", False):
        return
    if report.submitted_by_id == actor.pk or _has_written(actor, report):
        raise PermissionDenied(_("You cannot review a report you wrote, edited or submitted yourself, in this or an earlier version."))


def _has_written(actor, report: ProgressReport) -> bool:
    """Whether ``actor`` created, edited, submitted or added evidence to ``report`` in any version."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q

    from luoshi.audit.models import AuditRecord

    if report.evidence.filter(uploaded_by=actor).exists():
        return True
    # Every submit is on the record (and frozen as a version with the same actor): the trail alone answers.
    return AuditRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(ProgressReport), object_id=str(report.pk), actor=actor,
    ).filter(Q(action__in=["create", "update"]) | Q(action="transition", verb="submit")).exists()


@transaction.atomic
def approve_report(actor, report: ProgressReport, comment: str = "", expected_version: int | None = None) -> ProgressReport:
    report = ProgressReport.objects.select_for_update().select_related("item__plan", "item__assigned_by", "unit").get(pk=report.pk)
    _require_reviewer(actor, report)
    core.check_version(report, expected_version)
    _transition(actor, report, "approve", {"reviewed_by": actor, "reviewed_at": timezone.now(), "review_comment": comment.strip()})
    rollup.refresh_branch(report.item)
    notify.report_reviewed(report)
    return report


@transaction.atomic
def return_report(actor, report: ProgressReport, comment: str, expected_version: int | None = None) -> ProgressReport:
    report = ProgressReport.objects.select_for_update().select_related("item__plan", "item__assigned_by", "unit").get(pk=report.pk)
    _require_reviewer(actor, report)
    core.check_version(report, expected_version)
    if not comment.strip():
        raise ValidationError({"comment": _("Say why the report is returned.")})
    _transition(actor, report, "return", {"reviewed_by": actor, "reviewed_at": timezone.now(), "review_comment": comment.strip()})
    notify.report_reviewed(report)
    return report


EVIDENCE_TYPES = {
    ".pdf": "application/pdf", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".png": "image/png",
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".txt": "text/plain", ".csv": "text/csv",
}


@transaction.atomic
def add_evidence(actor, report: ProgressReport, upload) -> Evidence:
    """Attach a file (size- and type-checked by extension and content) to a draft or returned report."""
    report = ProgressReport.objects.select_for_update().get(pk=report.pk)
    authz.require(actor, "change", report)
    if report.locked:
        raise ValidationError(_("Evidence can only be added while the report is a draft or returned."))
    name, content_type = uploads.check_upload(upload, EVIDENCE_TYPES)
    evidence = Evidence(report=report, name=name, size=upload.size, content_type=content_type, uploaded_by=actor)
    evidence.file.save(name, upload)  # stores the file, then saves the row with its name
    audit.record(actor, "create", evidence, None, {"report": report.pk, "name": name, "size": upload.size})
    return evidence


@transaction.atomic
def remove_evidence(actor, evidence: Evidence) -> None:
    report = evidence.report
    authz.require(actor, "change", report)
    if report.locked:
        raise ValidationError(_("Evidence of a submitted or approved report stays."))
    audit.record(actor, "delete", evidence, {"report": report.pk, "name": evidence.name, "size": evidence.size}, None)
    evidence.file.delete(save=False)
    evidence.delete()


@transaction.atomic
def save_source_document(actor, unit: OrgUnit, parsed: dict, filename: str = "") -> SourceDocument:
    authz.require_in_unit(actor, "add", SourceDocument, unit)
    doc = SourceDocument(unit=unit, filename=filename[:255], title=(parsed.get("title") or "")[:500],
                         doc_number=(parsed.get("doc_number") or "")[:100], doc_date=(parsed.get("date") or "")[:40],
                         source=(parsed.get("source") or "")[:500], clean_text=parsed.get("clean_text", ""),
                         removed=parsed.get("removed", []), flags=parsed.get("flags", []))
    return core.create(actor, doc)


# Item import and export (XLSX/CSV) ------------------------------------------------------------

ITEM_COLUMNS = ["code", "parent_code", "kind", "title", "lead_unit", "due_date"]
ITEM_OPTIONAL = ["co_owners", "start_date", "weight", "description", "deliverables"]


def _parse_row(values: dict[str, str], number: int, filename: str, units: dict[str, OrgUnit], errors: list) -> dict | None:
    from luoshi.core.tabular import RowError
    from luoshi.plans.models import ItemKind

    def err(field: str, message: str) -> None:
        errors.append(RowError(filename, number, field, message))

    # every required column is in ``values`` (``read_table`` refuses a file without one), the
    # optional ones only when the file has them
    before = len(errors)
    row: dict = {"code": values["code"], "parent_code": values["parent_code"], "title": values["title"]}
    if not row["code"]:
        err("code", _("required"))
    if not row["title"]:
        err("title", _("required"))
    kinds = {k.value: k.value for k in ItemKind} | {str(k.label).lower(): k.value for k in ItemKind}
    kind = values["kind"].strip().lower() or "measure"
    if kind not in kinds:
        err("kind", _("unknown kind %(kind)r; use one of %(kinds)s") % {"kind": kind, "kinds": ", ".join(k.value for k in ItemKind)})
    row["kind"] = kinds.get(kind)
    code = values["lead_unit"]
    if not code:
        err("lead_unit", _("required"))
    elif code not in units:
        err("lead_unit", _("unknown unit %(code)s") % {"code": code})
    row["lead_unit"] = units.get(code)
    # An optional column the file does not have is left out of the row: an updated item keeps
    # that value, a new one gets the default of ``add_item``.
    if "co_owners" in values:
        co = [c for c in re.split(r"[;；,，\s]+", values["co_owners"]) if c]
        missing = [c for c in co if c not in units]
        if missing:
            err("co_owners", _("unknown unit %(code)s") % {"code": ", ".join(missing)})
        row["co_owners"] = [units[c] for c in co if c in units]
    for name in ("start_date", "due_date"):
        if name in values:
            text = values[name]
            try:
                row[name] = date.fromisoformat(text[:10]) if text else None
            except ValueError:
                err(name, _("not a date (use YYYY-MM-DD): %(value)r") % {"value": text})
    if "weight" in values:
        try:
            row["weight"] = Decimal(values["weight"] or "1")
            if row["weight"] < 0:
                raise ArithmeticError
        except (ArithmeticError, ValueError):
            err("weight", _("not a non-negative number: %(value)r") % {"value": values["weight"]})
    for name in ("description", "deliverables"):
        if name in values:
            row[name] = values[name]
    return row if len(errors) == before else None


# Rows of an item import per write transaction: each row goes through the item services (checks,
# audit, roll-up), so a batch of 100 holds SQLite's write lock for well under a second.
ITEM_IMPORT_BATCH = 100


def import_items(actor, plan: Plan, rows: list[tuple[int, dict[str, str]]], filename: str) -> dict[str, int]:
    """Create or update items from table rows, all or nothing; raises ``TableError`` naming every bad row.

    ``rows`` as ``read_table`` gives them for ``ITEM_COLUMNS`` and ``ITEM_OPTIONAL``: each row holds
    every required column (an empty cell as ``""``), an optional one only when the file has it. An
    optional column the file lacks leaves that field of an updated item as it is (an empty cell
    clears it: no co-owners, no start date, weight 1, no text).

    A row whose code exists in the plan updates that item; other rows create items. ``parent_code``
    names an item in the file (earlier or later) or already in the plan; empty means top level.
    Every row goes through the same service functions (and checks) as the UI.

    Rows are checked first; then they are written in batches of ``ITEM_IMPORT_BATCH``, each its
    own transaction (``core.batches``), so other users' writes wait a batch, not the whole file.
    When any row fails, everything already written is undone (created items deleted, changed
    items put back) and the errors are raised: all or nothing for the importer.
    """
    from luoshi.core.batches import chunks, write_in_batches
    from luoshi.core.tabular import RowError, TableError

    plan = Plan.objects.get(pk=plan.pk)
    authz.require(actor, "view", plan)
    errors: list[RowError] = []
    wanted = {v["lead_unit"] for _n, v in rows} | {
        c for _n, v in rows for c in re.split(r"[;；,，\s]+", v.get("co_owners", "")) if c}
    units = {u.code: u for u in authz.scope(actor, OrgUnit).filter(code__in=wanted)}
    parsed: dict[str, tuple[int, dict]] = {}
    for number, values in rows:
        row = _parse_row(values, number, filename, units, errors)
        if row is None:
            continue
        if row["code"] in parsed:
            errors.append(RowError(filename, number, "code", _("duplicate code %(code)s (first in row %(row)s)") % {"code": row["code"], "row": parsed[row["code"]][0]}))
            continue
        parsed[row["code"]] = (number, row)
    from luoshi.plans import queries

    # Only the items the actor can see: a code or parent code naming a hidden item reads as unknown.
    existing = {i.code: i for i in queries.items(actor, plan).select_related("assigned_by")}

    # Parents must exist and the result must be a tree.
    for code, (number, row) in parsed.items():
        parent_code, seen = row["parent_code"], {code}
        if parent_code and parent_code not in parsed and parent_code not in existing:
            errors.append(RowError(filename, number, "parent_code", _("unknown item %(code)s") % {"code": parent_code}))
            continue
        while parent_code:
            if parent_code in seen:
                errors.append(RowError(filename, number, "parent_code", _("cycle: %(code)s would end up below itself") % {"code": code}))
                break
            seen.add(parent_code)
            if parent_code in parsed:
                parent_code = parsed[parent_code][1]["parent_code"]
            else:
                parent = existing[parent_code]
                parent_code = parent.parent.code if parent.parent_id else ""
    if errors:
        raise TableError(sorted(errors, key=lambda e: (e.row, e.field)))  # every error here names its row

    def depth(code: str) -> int:
        d, current = 0, parsed[code][1]["parent_code"]
        while current in parsed:
            d, current = d + 1, parsed[current][1]["parent_code"]
        return d

    def write(codes) -> list[tuple]:
        done: list[tuple] = []
        for code in codes:
            number, row = parsed[code]
            parent = existing.get(row["parent_code"]) if row["parent_code"] else None
            if row["parent_code"] and parent is None:
                errors.append(RowError(filename, number, "parent_code", _("the parent row %(code)s could not be imported") % {"code": row["parent_code"]}))
                continue
            fields = {k: row[k] for k in ("kind", "title", "lead_unit", "start_date", "due_date", "weight", "description",
                                          "deliverables", "co_owners") if k in row}
            try:
                with transaction.atomic():
                    if code in existing:
                        item = PlanItem.objects.get(pk=existing[code].pk)
                        undo_entry = ("update", item.pk, item.parent_id, item.position,
                                      {k: getattr(item, k) for k in ITEM_FIELDS}, [u.pk for u in item.co_owners.all()])
                        if (item.parent.code if item.parent_id else "") != row["parent_code"]:
                            move_item(actor, item, parent)
                        existing[code] = update_item(actor, item, fields)
                    else:
                        existing[code] = add_item(actor, plan, parent=parent, code=code, **fields)
                        undo_entry = ("create", existing[code].pk)
                done.append(undo_entry)
            except ValidationError as exc:
                messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
                for field, texts in messages.items():  # (no check of an item is a non-field one)
                    errors.append(RowError(filename, number, field, " ".join(texts)))
            except (PermissionDenied, Http404) as exc:
                errors.append(RowError(filename, number, "lead_unit", str(exc)))  # every refusal has its text
        return done

    def undo(entries: list[tuple]) -> None:
        """Reverse written rows, newest first (children before their parents)."""
        for entry in reversed(entries):
            item = PlanItem.objects.select_for_update().filter(pk=entry[1]).first()
            if item is None:
                continue
            if entry[0] == "create":
                audit.record(actor, "delete", item, audit.snapshot(item), verb="import undone")
                item.delete()
                continue
            _kind, pk, parent_id, position, values, co_owner_ids = entry
            before = audit.snapshot(item)
            if item.parent_id != parent_id:
                old_parent = PlanItem.objects.get(pk=parent_id) if parent_id else None
                paths.move_subtree(PlanItem.objects.filter(plan_id=item.plan_id), item, old_parent)
                item.refresh_from_db()
            item.parent_id, item.position = parent_id, position
            for name, value in values.items():
                setattr(item, name, value)
            item.save()
            item.co_owners.set(co_owner_ids)
            audit.record(actor, "update", item, before, audit.snapshot(item), verb="import undone")
        rollup.refresh_plan(plan.pk)  # the parents' child counts too

    ordered = sorted(parsed, key=lambda c: (depth(c), parsed[c][0]))
    done = write_in_batches(list(chunks(ordered, ITEM_IMPORT_BATCH)), write, undo)
    if errors:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                undo(done)
        else:
            for batch in reversed(list(chunks(done, ITEM_IMPORT_BATCH))):
                with transaction.atomic():
                    undo(list(batch))
        raise TableError(errors)
    created = sum(1 for entry in done if entry[0] == "create")
    return {"created": created, "updated": len(done) - created}


def export_item_rows(user, plan: Plan) -> tuple[list[str], list[list[object]]]:
    from luoshi.plans import queries

    header = [*ITEM_COLUMNS, *ITEM_OPTIONAL]
    items = queries.items(user, plan).select_related("parent").prefetch_related("co_owners")
    rows = [[i.code, i.parent.code if i.parent_id else "", i.kind, i.title, i.lead_unit.code,
             i.due_date.isoformat() if i.due_date else "", ";".join(sorted(u.code for u in i.co_owners.all())),
             i.start_date.isoformat() if i.start_date else "", str(i.weight), i.description, i.deliverables]
            for i in items]
    return header, rows


# Notifications --------------------------------------------------------------------------------

@transaction.atomic
def mark_notifications_read(actor, ids=None) -> int:
    """Mark the actor's own notifications read (those in ``ids``, or all); returns how many changed."""
    from luoshi.plans.models import Notification

    qs = Notification.objects.select_for_update().filter(user=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    notes = list(qs)
    if not notes:
        return 0
    now = timezone.now()
    Notification.objects.filter(pk__in=[n.pk for n in notes]).update(read_at=now)
    badges.changed()  # a queryset update sends no signal
    audit.record_many(audit.build(actor, "update", n, {"read_at": None}, {"read_at": now.isoformat()}, verb="read") for n in notes)
    return len(notes)


# Drafting a plan from a policy text (luoshi.intake) -------------------------------------------

def _kind_for(node: dict, numbered_depth: int) -> str:
    if not node.get("marker"):
        return "goal"
    return "key_task" if numbered_depth == 0 else "measure"


OUTLINE_BATCH = 200


def create_plan_from_outline(actor, *, title: str, issuer: OrgUnit, parsed: dict, filename: str = "",
                             start_year: int | None = None, end_year: int | None = None) -> Plan:
    """Create a draft plan whose items are a parsed policy outline, keeping the source document.

    ``parsed`` is the JSON shape of ``luoshi policy parse --json``. Each outline node becomes an
    item led by the issuing unit (planners assign lead units afterwards): introducing passages
    become goals, the first numbered level key tasks, deeper levels measures.

    The plan is created first; its items are then written level by level in bulk batches of
    ``OUTLINE_BATCH``, each in its own short transaction, so that a policy text with thousands of
    items does not hold SQLite's write lock for minutes. If a batch fails, the plan and the items
    already written are deleted again (all or nothing for the importer). Called inside an outer
    transaction, everything happens in that transaction.
    """
    from luoshi.core.batches import chunks, write_in_batches

    year = start_year or timezone.localdate().year
    with transaction.atomic():
        source = save_source_document(actor, issuer, parsed, filename)
        plan = create_plan(actor, title=title, issuer=issuer, start_year=year, end_year=end_year or year,
                           description=(parsed.get("title") or "")[:2000], source=source)
        assigner = _assigner_for(actor, plan, None, issuer)  # every item is led by the issuer, who assigns it

    # Flatten the outline: (index of the parent or None, position, depth, kind, title, description).
    flat: list[dict] = []
    children_of: dict[int | None, int] = {}

    def walk(nodes: list[dict], parent: int | None, numbered_depth: int, depth: int) -> None:
        for node in nodes:
            headline = (node.get("title") or node.get("text") or "").strip()
            if not headline:
                walk(node.get("children", []), parent, numbered_depth, depth)
                continue
            position = children_of.get(parent, 0)
            children_of[parent] = position + 1
            index = len(flat)
            flat.append({"parent": parent, "position": position, "depth": depth, "kind": _kind_for(node, numbered_depth),
                         "title": headline[:500], "description": (node.get("text") or "").strip()})
            walk(node.get("children", []), index, numbered_depth + (1 if node.get("marker") else 0), depth + 1)

    walk(parsed.get("items", []), None, 0, 0)
    items: list[PlanItem | None] = [None] * len(flat)
    by_depth: dict[int, list[int]] = {}
    for index, node in enumerate(flat):
        by_depth.setdefault(node["depth"], []).append(index)

    def write(indexes) -> list[int]:
        new = []
        for index in indexes:
            node = flat[index]
            parent = items[node["parent"]] if node["parent"] is not None else None
            item = PlanItem(plan=plan, parent=parent, position=node["position"], code=_code(parent, node["position"]),
                            kind=node["kind"], title=node["title"], description=node["description"], lead_unit=issuer,
                            assigned_by=assigner, child_count=children_of.get(index, 0))
            item.clean_fields(exclude=["plan", "parent", "lead_unit", "assigned_by"])
            new.append(item)
        PlanItem.objects.bulk_create(new)
        for index, item in zip(indexes, new):
            item.path = paths.path_below(item.parent, item.pk)
            item.depth = flat[index]["depth"]
            items[index] = item
        PlanItem.objects.bulk_update(new, ["path", "depth"])
        audit.record_many(audit.build(actor, "create", item, None, audit.snapshot(item)) for item in new)
        return [item.pk for item in new]

    def undo(pks: list[int]) -> None:
        doomed = list(PlanItem.objects.filter(pk__in=pks).order_by("-depth"))
        audit.record_many(audit.build(actor, "delete", item, audit.snapshot(item), None, verb="import undone") for item in doomed)
        PlanItem.objects.filter(pk__in=pks).delete()

    batches = [chunk for depth in sorted(by_depth) for chunk in chunks(by_depth[depth], OUTLINE_BATCH)]
    try:
        write_in_batches(batches, write, undo)
    except BaseException:
        if not transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                if Plan.objects.filter(pk=plan.pk).exists():
                    audit.record(actor, "delete", plan, audit.snapshot(plan), verb="import undone")
                    Plan.objects.filter(pk=plan.pk).delete()
                if not Plan.objects.filter(source=source).exists():
                    SourceDocument.objects.filter(pk=source.pk).delete()
        raise
    # The text also lands in the policy registry, linked to the plan's top-level items.
    from luoshi.library import services as library_services

    library_services.register_source_document(actor, source, plan)
    return plan
