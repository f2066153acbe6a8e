"""Pages of the pilots domain. Views parse input, call ``queries``/``services`` and render;
lookups go through ``authz.get_or_404`` (out of scope: 404, wrong role: 403)."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luoshi.core import authz
from luoshi.core.forms import attach_errors
from luoshi.core.services import EditConflict
from luoshi.core.tabular import write_xlsx
from luoshi.pilots import queries, rules, services
from luoshi.pilots.forms import (
    AnswerForm, ApplicationForm, DecisionForm, EntryForm, EvidenceForm, FilterForm, PilotForm, ProgrammeForm,
    ReviewDecisionForm, ReviewForm, eligible_units,
)
from luoshi.pilots.models import Application, Pilot, PilotEvidence, Programme, ProgressEntry, Review

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


def _xlsx(header, rows, name: str) -> HttpResponse:
    response = HttpResponse(write_xlsx(header, rows, name), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def _fail(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, str(exc))


def _filter(request: HttpRequest, choices) -> tuple[str, str, FilterForm]:
    form = FilterForm(request.GET, choices=choices)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return data.get("q", ""), data.get("status", ""), form


def _programme(request, programme_id: int, action: str = "view") -> Programme:
    return authz.get_or_404(request.user, Programme.objects.select_related("owner"), action, pk=programme_id)


def _application(request, application_id: int, action: str = "view") -> Application:
    qs = Application.objects.select_related("programme", "programme__owner", "unit", "submitted_by", "decided_by")
    return authz.get_or_404(request.user, qs, action, pk=application_id)


def _pilot(request, pilot_id: int, action: str = "view") -> Pilot:
    qs = Pilot.objects.select_related("programme", "programme__owner", "unit", "application")
    return authz.get_or_404(request.user, qs, action, pk=pilot_id)


def _entry(request, entry_id: int, action: str = "view") -> ProgressEntry:
    return authz.get_or_404(request.user, ProgressEntry.objects.select_related("pilot", "pilot__programme"), action, pk=entry_id)


def _review(request, review_id: int, action: str = "view") -> Review:
    qs = Review.objects.select_related("pilot", "pilot__programme", "pilot__unit", "submitted_by", "decided_by")
    return authz.get_or_404(request.user, qs, action, pk=review_id)


# Programmes -----------------------------------------------------------------------------------

@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    q, status, form = _filter(request, Programme.Status.choices)
    qs = queries.programmes(request.user, status=status or None, q=q)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(request, "pilots/programme_list.html", {
        "page": page, "filter_form": form, "tab": "programmes",
        "can_create": authz.units_where(request.user, "add", Programme).exists()})


@login_required
def programme_export(request: HttpRequest) -> HttpResponse:
    q, status, _form = _filter(request, Programme.Status.choices)
    header, rows = services.export_programme_rows(queries.programmes(request.user, status=status or None, q=q))
    return _xlsx(header, rows, "pilot-programmes")


def _programme_data(form: ProgrammeForm) -> dict:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    data.pop("owner", None)
    return data


@login_required
def programme_create(request: HttpRequest) -> HttpResponse:
    form = ProgrammeForm(request.POST or None, user=request.user,
                         initial={"review_template": services.DEFAULT_REVIEW_TEMPLATE})
    if not form.fields["owner"].queryset.exists():
        raise PermissionDenied(_("You may not set up pilot programmes."))
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.create_programme(request.user, owner=form.cleaned_data["owner"], **_programme_data(form))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Programme created. Publish its call when it is ready."))
            return redirect("pilots:programme", programme_id=programme.pk)
    return render(request, "pilots/form.html", {"form": form, "title": _("New pilot programme"), "cancel": "pilots:list"})


@login_required
def programme_edit(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = _programme(request, programme_id, "change")
    initial = {f: getattr(programme, f) for f in services.PROGRAMME_FIELDS} | {
        "indicators": rules.format_indicators(programme.indicators), "owner": programme.owner,
        "eligible_regions": list(programme.eligible_regions.all()), "plan_items": list(programme.plan_items.all()),
        "version": programme.version}
    form = ProgrammeForm(request.POST or None, user=request.user, programme=programme, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.update_programme(request.user, programme, _programme_data(form), expected_version=form.cleaned_data["version"])
        except EditConflict as exc:
            conflict = exc
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("pilots:programme", programme_id=programme.pk)
    return render(request, "pilots/form.html", {"form": form, "title": _("Edit programme"), "conflict": conflict,
                                                "programme": programme})


@login_required
def programme_detail(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = _programme(request, programme_id)
    user = request.user
    applications = queries.applications(user, programme=programme)
    can_apply = (programme.status == Programme.Status.OPEN
                 and not rules.call_problem(programme.status, timezone.localdate(), programme.call_opens, programme.call_closes)
                 and eligible_units(user, programme).exists())
    return render(request, "pilots/programme_detail.html", {
        "programme": programme, "applications": applications, "pilots": queries.pilots(user, programme=programme),
        "regions": programme.eligible_regions.all(), "items": programme.plan_items.select_related("plan"),
        "can_change": authz.can(user, "change", programme), "can_publish": authz.can(user, "publish", programme),
        "status_actions": rules.PROGRAMME.allowed(programme.status) if authz.can(user, "publish", programme) else [],
        "can_apply": can_apply, "approved": programme.applications.filter(state="approved").count(),
        "type_labels": [dict(ProgrammeForm.base_fields["eligible_types"].choices).get(t, t) for t in programme.eligible_types],
    })


@login_required
@require_POST
def programme_status(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = _programme(request, programme_id, "publish")
    try:
        services.set_programme_status(request.user, programme, request.POST.get("action", ""))
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Programme status changed."))
    return redirect("pilots:programme", programme_id=programme.pk)


# Applications ---------------------------------------------------------------------------------

@login_required
def application_form(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Apply to a programme, or edit one's draft application (``?application=ID``)."""
    programme = _programme(request, programme_id)
    application = None
    if request.GET.get("application"):
        application = _application(request, int(request.GET["application"]), "change")
        if application.programme_id != programme.pk:
            raise Http404("not found")
    initial = {"contact_name": request.user.get_full_name()}
    if application is not None:
        initial = {f: getattr(application, f) for f in services.APPLICATION_FIELDS} | {
            "baseline": rules.format_figures(dict(application.baseline_items())), "unit": application.unit, "version": application.version}
    form = ApplicationForm(request.POST or None, user=request.user, programme=programme, application=application,
                           initial=initial)
    if application is None and not form.fields["unit"].queryset.exists():
        raise PermissionDenied(_("None of your units may apply to this programme."))
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in services.APPLICATION_FIELDS}
        unit = application.unit if application else form.cleaned_data["unit"]
        try:
            saved = services.save_application(request.user, programme, unit, data,
                                              expected_version=form.cleaned_data.get("version") if application else None)
        except EditConflict as exc:
            conflict = exc
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Application saved as a draft. Submit it when it is complete."))
            return redirect("pilots:application", application_id=saved.pk)
    return render(request, "pilots/form.html", {"form": form, "programme": programme, "conflict": conflict,
                                                "title": _("Apply: %(title)s") % {"title": programme.title},
                                                "intro": programme.call_text})


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    q, state, form = _filter(request, Application.State.choices)
    qs = queries.applications(request.user, state=state or None, q=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "pilots/application_list.html", {"page": page, "filter_form": form, "tab": "applications"})


@login_required
def application_export(request: HttpRequest) -> HttpResponse:
    q, state, _form = _filter(request, Application.State.choices)
    header, rows = services.export_application_rows(queries.applications(request.user, state=state or None, q=q))
    return _xlsx(header, rows, "pilot-applications")


@login_required
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _application(request, application_id)
    user = request.user
    can_decide = (authz.can(user, "review", application)
                  and application.state in (Application.State.SUBMITTED, Application.State.SHORTLISTED))
    form = DecisionForm(initial={"version": application.version}) if can_decide else None
    if form is not None and application.state == Application.State.SHORTLISTED:
        form.fields["decision"].choices = [c for c in form.fields["decision"].choices if c[0] != "shortlist"]
    return render(request, "pilots/application_detail.html", {
        "application": application, "programme": application.programme, "decision_form": form,
        "can_edit": application.state == "draft" and authz.can(user, "change", application),
        "can_submit": application.state == "draft" and authz.can(user, "submit", application),
        "can_withdraw": application.state in ("draft", "submitted", "shortlisted") and authz.can(user, "change", application),
        "pilot": Pilot.objects.filter(application=application).first() if application.state == "approved" else None,
    })


@login_required
@require_POST
def application_submit(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _application(request, application_id, "submit")
    try:
        services.submit_application(request.user, application, expected_version=_version(request))
    except (ValidationError, EditConflict) as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Application submitted to the programme's reviewers."))
    return redirect("pilots:application", application_id=application.pk)


@login_required
@require_POST
def application_withdraw(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _application(request, application_id, "change")
    try:
        services.withdraw_application(request.user, application, expected_version=_version(request))
    except (ValidationError, EditConflict) as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Application withdrawn."))
    return redirect("pilots:application", application_id=application.pk)


@login_required
@require_POST
def application_decide(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _application(request, application_id, "review")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect("pilots:application", application_id=application.pk)
    try:
        services.decide_application(request.user, application, form.cleaned_data["decision"], form.cleaned_data["reason"],
                                    expected_version=form.cleaned_data["version"])
    except (ValidationError, EditConflict) as exc:
        _fail(request, exc)
        return redirect("pilots:application", application_id=application.pk)
    messages.success(request, _("Decision recorded."))
    if form.cleaned_data["decision"] == "approve":
        pilot = Pilot.objects.get(application=application)
        return redirect("pilots:pilot", pilot_id=pilot.pk)
    return redirect("pilots:application", application_id=application.pk)


# Pilots and progress --------------------------------------------------------------------------

@login_required
def pilot_list(request: HttpRequest) -> HttpResponse:
    q, state, form = _filter(request, Pilot.State.choices)
    qs = queries.pilots(request.user, state=state or None, q=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "pilots/pilot_list.html", {"page": page, "filter_form": form, "tab": "pilots"})


@login_required
def pilot_export(request: HttpRequest) -> HttpResponse:
    q, state, _form = _filter(request, Pilot.State.choices)
    header, rows = services.export_pilot_rows(queries.pilots(request.user, state=state or None, q=q))
    return _xlsx(header, rows, "pilots")


@login_required
def pilot_detail(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = _pilot(request, pilot_id)
    user = request.user
    entries = list(queries.entries(user, pilot))
    running = pilot.state == Pilot.State.RUNNING
    can_report = running and authz.can_in_unit(user, "add", ProgressEntry, pilot.unit)
    open_review = pilot.reviews.exclude(state=Review.State.DECIDED).first()
    return render(request, "pilots/pilot_detail.html", {
        "pilot": pilot, "programme": pilot.programme, "entries": entries,
        "participants": pilot.participants.all(),
        "changes": rules.figure_changes(pilot.programme.indicators, pilot.baseline, services.latest_figures(pilot)),
        "reviews": queries.reviews(user, pilot=pilot),
        "can_change": running and authz.can(user, "change", pilot),
        "entry_form": EntryForm(pilot=pilot, initial={"entry_date": timezone.localdate()}) if can_report else None,
        "can_review_write": running and open_review is None and authz.can_in_unit(user, "add", Review, pilot.unit),
        "evidence_form": EvidenceForm() if can_report else None,
        "can_answer": {e.pk for e in entries if e.escalation == "open" and authz.can(user, "review", e)},
        "today": timezone.localdate(),
    })


@login_required
def pilot_edit(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = _pilot(request, pilot_id, "change")
    initial = {"contact_name": pilot.contact_name, "contact_info": pilot.contact_info, "ends_on": pilot.ends_on,
               "milestones": rules.format_milestones(pilot.milestones), "participants": list(pilot.participants.all()),
               "version": pilot.version}
    form = PilotForm(request.POST or None, user=request.user, pilot=pilot, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.update_pilot(request.user, pilot, data, expected_version=version)
        except EditConflict as exc:
            conflict = exc
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("pilots:pilot", pilot_id=pilot.pk)
    return render(request, "pilots/form.html", {"form": form, "conflict": conflict, "pilot": pilot,
                                                "title": _("Edit pilot: %(title)s") % {"title": pilot.title}})


@login_required
def entry_create(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = _pilot(request, pilot_id)
    form = EntryForm(request.POST or None, pilot=pilot, initial={"entry_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        escalate = data.pop("escalate")
        try:
            services.add_entry(request.user, pilot, data, escalate=escalate)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Progress recorded."))
            return redirect("pilots:pilot", pilot_id=pilot.pk)
    elif request.method == "GET":
        authz.require_in_unit(request.user, "add", ProgressEntry, pilot.unit)
    return render(request, "pilots/form.html", {"form": form, "pilot": pilot, "title": _("Record progress")})


@login_required
@require_POST
def entry_answer(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = _entry(request, entry_id, "review")
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.answer_escalation(request.user, entry, form.cleaned_data["response"],
                                       expected_version=form.cleaned_data["version"])
        except (ValidationError, EditConflict) as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("Answer sent."))
    else:
        messages.error(request, _("Write the answer."))
    return redirect("pilots:pilot", pilot_id=entry.pilot_id)


@login_required
@require_POST
def evidence_upload(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = _entry(request, entry_id, "change")
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_evidence(request.user, entry, form.cleaned_data["file"])
        except ValidationError as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("Evidence attached."))
    else:
        messages.error(request, _("Choose a file."))
    return redirect("pilots:pilot", pilot_id=entry.pilot_id)


@login_required
def evidence_download(request: HttpRequest, evidence_id: int) -> FileResponse:
    evidence = authz.get_or_404(request.user, PilotEvidence, pk=evidence_id)
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name,
                        content_type=evidence.content_type)


@login_required
@require_POST
def evidence_delete(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = authz.get_or_404(request.user, PilotEvidence.objects.select_related("entry"), pk=evidence_id)
    entry = _entry(request, evidence.entry_id, "change")
    try:
        services.remove_evidence(request.user, evidence)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Evidence removed."))
    return redirect("pilots:pilot", pilot_id=entry.pilot_id)


# Reviews (复盘) --------------------------------------------------------------------------------

@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    q, state, form = _filter(request, Review.State.choices)
    outcome = request.GET.get("outcome") or None
    qs = queries.reviews(request.user, state=state or None, outcome=outcome if outcome in rules.OUTCOMES else None, q=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "pilots/review_list.html", {"page": page, "filter_form": form, "tab": "reviews",
                                                       "outcomes": Review.Outcome.choices[1:], "outcome": outcome or ""})


@login_required
def review_export(request: HttpRequest) -> HttpResponse:
    q, state, _form = _filter(request, Review.State.choices)
    header, rows = services.export_review_rows(queries.reviews(request.user, state=state or None, q=q))
    return _xlsx(header, rows, "pilot-reviews")


def _review_data(form: ReviewForm) -> dict:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    data.pop("kind", None)
    return data


@login_required
def review_create(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = _pilot(request, pilot_id)
    authz.require_in_unit(request.user, "add", Review, pilot.unit)
    initial = {"results": rules.format_figures(services.latest_figures(pilot)),
               "kind": request.GET.get("kind", Review.Kind.FINAL)}
    form = ReviewForm(request.POST or None, pilot=pilot, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.save_review(request.user, pilot, _review_data(form), kind=form.cleaned_data["kind"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Review saved as a draft. Submit it to the programme's reviewers when it is complete."))
            return redirect("pilots:review", review_id=review.pk)
    return render(request, "pilots/form.html", {"form": form, "pilot": pilot, "intro": pilot.programme.review_template,
                                                "title": _("Review (复盘): %(title)s") % {"title": pilot.title}})


@login_required
def review_edit(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id, "change")
    pilot = review.pilot
    initial = {f: getattr(review, f) for f in services.REVIEW_FIELDS} | {
        "results": rules.format_figures({f["name"]: f["result"] for f in review.figures if f.get("result") not in (None, "")}),
        "version": review.version}
    form = ReviewForm(request.POST or None, pilot=pilot, review=review, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.save_review(request.user, pilot, _review_data(form), review=review,
                                 expected_version=form.cleaned_data["version"])
        except EditConflict as exc:
            conflict = exc
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("pilots:review", review_id=review.pk)
    return render(request, "pilots/form.html", {"form": form, "pilot": pilot, "conflict": conflict,
                                                "intro": pilot.programme.review_template,
                                                "title": _("Edit review: %(title)s") % {"title": pilot.title}})


def _solution_of(review: Review):
    """The library's solution made from this review, when the library is installed."""
    if not apps.is_installed("luoshi.library") or review.outcome != Review.Outcome.PROMOTE:
        return None
    try:
        solution_model = apps.get_model("library", "Solution")
    except LookupError:
        return None
    return solution_model.objects.filter(source_review=review).first()


@login_required
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id)
    user = request.user
    can_decide = review.state == Review.State.SUBMITTED and authz.can(user, "review", review)
    rows = []
    directions = {i.get("name"): i.get("direction", "up") for i in review.pilot.programme.indicators}
    for f in review.figures:
        change = rules.figure_changes([{"name": f["name"], "direction": directions.get(f["name"], "up")}],
                                      {f["name"]: f.get("baseline", "")}, {f["name"]: f.get("result", "")})[0]
        rows.append(change)
    return render(request, "pilots/review_detail.html", {
        "review": review, "pilot": review.pilot, "figures": rows,
        "can_edit": review.state in ("draft", "returned") and authz.can(user, "change", review),
        "can_submit": review.state in ("draft", "returned") and authz.can(user, "submit", review),
        "decision_form": ReviewDecisionForm(review=review, initial={"version": review.version}) if can_decide else None,
        "solution": _solution_of(review),
    })


@login_required
@require_POST
def review_submit(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id, "submit")
    try:
        services.submit_review(request.user, review, expected_version=_version(request))
    except (ValidationError, EditConflict) as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Review submitted to the programme's reviewers."))
    return redirect("pilots:review", review_id=review.pk)


@login_required
@require_POST
def review_decide(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id, "review")
    form = ReviewDecisionForm(request.POST, review=review)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect("pilots:review", review_id=review.pk)
    decision, reason, version = form.cleaned_data["decision"], form.cleaned_data["reason"], form.cleaned_data["version"]
    try:
        if decision == "return":
            services.return_review(request.user, review, reason, expected_version=version)
        else:
            services.decide_review(request.user, review, decision, reason, expected_version=version)
    except (ValidationError, EditConflict) as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("pilots:review", review_id=review.pk)


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    """What waits for this user: applications and reviews to decide, problems raised to answer."""
    user = request.user
    return render(request, "pilots/worklist.html", {
        "tab": "worklist", "applications": queries.application_queue(user)[:100],
        "reviews": queries.review_queue(user)[:100], "issues": queries.raised_issues(user)[:100],
    })
