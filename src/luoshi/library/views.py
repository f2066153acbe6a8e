"""Library pages: solutions (search, detail, adoption, files) and the policy registry.

Views parse input, call ``queries``/``services`` and render; lookups go through
``authz.get_or_404`` (out of scope: 404, wrong role: 403). htmx partials come from the same views.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luoshi.core import authz
from luoshi.core.forms import attach_errors
from luoshi.core.services import EditConflict
from luoshi.core.tabular import write_xlsx
from luoshi.library import queries, rules, search, services
from luoshi.library.forms import (
    AdoptionForm, AttachmentForm, PolicyFilterForm, PolicyForm, SolutionFilterForm, SolutionForm,
)
from luoshi.library.models import Adoption, Attachment, PolicyDocument, Solution

PAGE_SIZE = 20
EXPORT_LIMIT = 5000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _partial(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _solution(request, solution_id: int, action: str = "view") -> Solution:
    return authz.get_or_404(request.user, Solution.objects.select_related("unit", "region"), action, pk=solution_id)


def _policy(request, doc_id: int, action: str = "view") -> PolicyDocument:
    return authz.get_or_404(request.user, PolicyDocument.objects.select_related("unit", "source_document"), action, pk=doc_id)


def _version(request) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


# Solutions ------------------------------------------------------------------------------------

def _solution_filters(request) -> tuple[SolutionFilterForm, queries.SolutionFilters]:
    form = SolutionFilterForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return form, queries.SolutionFilters(q=data.get("q", ""), status=data.get("status", ""), region=data.get("region"),
                                         level=data.get("level", ""), plan_item=data.get("plan_item"), tag=data.get("tag", ""))


def _hits(page, terms) -> list[dict]:
    return [{"obj": s, "title": search.highlight(s.title, terms),
             "snippet": search.snippet(s.summary or f"{s.problem} {s.approach}", terms)} for s in page]


@login_required
def solution_list(request: HttpRequest) -> HttpResponse:
    form, filters = _solution_filters(request)
    results = queries.solutions(request.user, filters)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    terms = search.query_terms(filters.q) if filters.q else []
    context = {"page": page, "hits": _hits(page, terms), "searching": bool(filters.q), "filter_form": form}
    if _partial(request):
        return render(request, "library/_solution_results.html", context)
    context["can_create"] = authz.units_where(request.user, "add", Solution).exists()
    context["tags"] = queries.tag_choices(request.user)
    return render(request, "library/solution_list.html", context)


@login_required
def solution_export(request: HttpRequest) -> HttpResponse:
    _form, filters = _solution_filters(request)
    rows = []
    for s in list(queries.solutions(request.user, filters)[:EXPORT_LIMIT]):
        rows.append([s.pk, s.title, s.get_status_display(), s.unit.name, ", ".join(u.code for u in s.source_units.all()),
                     s.region.name if s.region else "", ", ".join(t.name for t in s.tags.all()), s.adoption_total,
                     s.problem, s.approach, s.results, s.conditions, s.cost, s.updated_at.date()])
    header = [_("ID"), _("Title"), _("Status"), _("Owning unit"), _("Source units"), _("Region"), _("Tags"),
              _("Adoptions"), _("Problem addressed"), _("Approach"), _("Results"), _("Conditions for reuse"),
              _("Cost (10,000 yuan)"), _("Updated")]
    return _xlsx(write_xlsx([str(h) for h in header], rows, "solutions"), "solutions.xlsx")


def _solution_data(form: SolutionForm) -> dict:
    data = {k: v for k, v in form.cleaned_data.items() if k in services.SOLUTION_FIELDS}
    data.update(source_units=list(form.cleaned_data["source_units"]), plan_items=list(form.cleaned_data["plan_items"]),
                tags=form.cleaned_data["tags"])
    return data


@login_required
def solution_create(request: HttpRequest) -> HttpResponse:
    form = SolutionForm(request.POST or None, user=request.user)
    if not form.fields["unit"].queryset.exists():
        raise PermissionDenied(_("You may not write solutions."))
    if request.method == "POST" and form.is_valid():
        data = _solution_data(form)
        try:
            solution = services.create_solution(request.user, unit=form.cleaned_data["unit"], **data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Solution saved as a draft."))
            return redirect("library:solution", solution_id=solution.pk)
    return render(request, "library/solution_form.html", {"form": form, "title": _("New solution")})


@login_required
def solution_edit(request: HttpRequest, solution_id: int) -> HttpResponse:
    solution = _solution(request, solution_id, "change")
    initial = {f: getattr(solution, f) for f in services.SOLUTION_FIELDS} | {
        "unit": solution.unit, "version": solution.version, "source_units": list(solution.source_units.all()),
        "plan_items": list(solution.plan_items.all()), "tags": ", ".join(t.name for t in solution.tags.all())}
    form = SolutionForm(request.POST or None, user=request.user, solution=solution, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.update_solution(request.user, solution, _solution_data(form), expected_version=form.cleaned_data["version"])
        except EditConflict as exc:
            conflict = exc
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Solution saved."))
            return redirect("library:solution", solution_id=solution.pk)
    return render(request, "library/solution_form.html", {"form": form, "title": _("Edit solution"), "solution": solution,
                                                          "conflict": conflict})


@login_required
def solution_detail(request: HttpRequest, solution_id: int) -> HttpResponse:
    solution = _solution(request, solution_id)
    user = request.user
    can_publish = authz.can(user, "publish", solution)
    context = {
        "solution": solution,
        "source_units": solution.source_units.order_by("path"),
        "tags": solution.tags.all(),
        "plan_items": authz.scope(user, solution.plan_items.select_related("plan")),
        "policies": authz.scope(user, solution.policies.all()),
        "attachments": queries.attachments(user, solution),
        "spread": queries.spread_by_province(solution),
        "adoption_total": solution.adoptions.count(),
        "comparison": queries.comparison(user, solution),
        "similar": queries.similar(user, solution),
        "can_change": authz.can(user, "change", solution),
        "can_delete": authz.can(user, "delete", solution) and solution.status == Solution.Status.DRAFT,
        "actions": rules.SOLUTIONS.actions(solution.status) if can_publish else [],
        "action_labels": rules.ACTION_LABELS,
        "can_adopt": solution.status != Solution.Status.DRAFT and authz.units_where(user, "add", Adoption)
                     .exclude(pk__in=solution.adoptions.values("unit_id")).exists(),
        "attachment_form": AttachmentForm(),
        "source_review": solution.source_review if solution.source_review_id and authz.can(user, "view", solution.source_review) else None,
    }
    return render(request, "library/solution_detail.html", context)


@login_required
@require_POST
def solution_status(request: HttpRequest, solution_id: int) -> HttpResponse:
    solution = _solution(request, solution_id, "publish")
    action = request.POST.get("action", "")
    try:
        services.set_solution_status(request.user, solution, action, expected_version=_version(request))
    except (ValidationError, EditConflict) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("Status changed."))
    return redirect("library:solution", solution_id=solution.pk)


@login_required
@require_POST
def solution_delete(request: HttpRequest, solution_id: int) -> HttpResponse:
    solution = _solution(request, solution_id, "delete")
    try:
        services.delete_solution(request.user, solution)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("library:solution", solution_id=solution.pk)
    messages.success(request, _("Solution deleted."))
    return redirect("library:solutions")


@login_required
@require_POST
def attachment_add(request: HttpRequest, solution_id: int) -> HttpResponse:
    solution = _solution(request, solution_id, "change")
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_attachment(request.user, solution, form.cleaned_data["file"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("File attached."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("library:solution", solution_id=solution.pk)


def _attachment(request, attachment_id: int) -> Attachment:
    return authz.get_or_404(request.user, Attachment.objects.select_related("solution", "solution__unit"), pk=attachment_id)


@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = _attachment(request, attachment_id)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name,
                        content_type=attachment.content_type)


@login_required
@require_POST
def attachment_remove(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment = _attachment(request, attachment_id)
    services.remove_attachment(request.user, attachment)
    messages.success(request, _("File removed."))
    return redirect("library:solution", solution_id=attachment.solution_id)


# Adoption -------------------------------------------------------------------------------------

@login_required
def adopt(request: HttpRequest, solution_id: int) -> HttpResponse:
    solution = _solution(request, solution_id)
    form = AdoptionForm(request.POST or None, user=request.user, solution=solution, initial={"status": "planned"})
    if not form.fields["unit"].queryset.exists():
        raise PermissionDenied(_("None of your units may record an adoption of this solution."))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in services.ADOPTION_FIELDS}
        try:
            services.adopt(request.user, solution, form.cleaned_data["unit"], **data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Adoption recorded."))
            return redirect("library:solution", solution_id=solution.pk)
    return render(request, "library/adoption_form.html", {"form": form, "solution": solution, "title": _("Adopt this solution")})


@login_required
def adoption_edit(request: HttpRequest, adoption_id: int) -> HttpResponse:
    adoption = authz.get_or_404(request.user, Adoption.objects.select_related("solution", "unit"), "change", pk=adoption_id)
    solution = adoption.solution
    initial = {f: getattr(adoption, f) for f in services.ADOPTION_FIELDS} | {"unit": adoption.unit, "version": adoption.version}
    form = AdoptionForm(request.POST or None, user=request.user, solution=solution, adoption=adoption, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in services.ADOPTION_FIELDS}
        try:
            services.update_adoption(request.user, adoption, data, expected_version=form.cleaned_data["version"])
        except EditConflict as exc:
            conflict = exc
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Adoption saved."))
            return redirect("library:solution", solution_id=solution.pk)
    return render(request, "library/adoption_form.html", {"form": form, "solution": solution, "adoption": adoption,
                                                          "conflict": conflict, "title": _("Our adoption")})


@login_required
def adoption_list(request: HttpRequest) -> HttpResponse:
    """The adoptions the user's units record (and may update)."""
    page = Paginator(queries.my_adoptions(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "library/adoption_list.html", {"page": page})


# Policy registry ------------------------------------------------------------------------------

def _policy_filters(request) -> tuple[PolicyFilterForm, queries.PolicyFilters]:
    form = PolicyFilterForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return form, queries.PolicyFilters(q=data.get("q", ""), status=data.get("status", ""), plan_item=data.get("plan_item"))


@login_required
def policy_list(request: HttpRequest) -> HttpResponse:
    form, filters = _policy_filters(request)
    page = Paginator(queries.policies(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    terms = search.query_terms(filters.q) if filters.q else []
    hits = [{"obj": d, "title": search.highlight(d.title, terms),
             "snippet": search.snippet(d.summary or d.full_text, terms)} for d in page]
    context = {"page": page, "hits": hits, "searching": bool(filters.q), "filter_form": form}
    if _partial(request):
        return render(request, "library/_policy_results.html", context)
    context["can_create"] = authz.units_where(request.user, "add", PolicyDocument).exists()
    return render(request, "library/policy_list.html", context)


@login_required
def policy_export(request: HttpRequest) -> HttpResponse:
    _form, filters = _policy_filters(request)
    rows = [[d.pk, d.title, d.doc_number, d.issuer, d.issued_on, d.get_status_display(), d.unit.name,
             _("yes") if d.is_illustrative else "", d.summary, d.source_url]
            for d in list(queries.policies(request.user, filters)[:EXPORT_LIMIT])]
    header = [_("ID"), _("Title"), _("Document number"), _("Issued by"), _("Date"), _("Status"), _("Registering unit"),
              _("Illustrative"), _("Summary"), _("Source address")]
    return _xlsx(write_xlsx([str(h) for h in header], rows, "policies"), "policies.xlsx")


def _policy_data(form: PolicyForm) -> dict:
    data = {k: v for k, v in form.cleaned_data.items() if k in services.POLICY_FIELDS}
    for name in services.POLICY_M2M:
        data[name] = list(form.cleaned_data[name])
    return data


@login_required
def policy_create(request: HttpRequest) -> HttpResponse:
    form = PolicyForm(request.POST or None, user=request.user)
    if not form.fields["unit"].queryset.exists():
        raise PermissionDenied(_("You may not register policy documents."))
    if request.method == "POST" and form.is_valid():
        data = _policy_data(form)
        title = data.pop("title")
        try:
            doc = services.create_policy(request.user, unit=form.cleaned_data["unit"], title=title,
                                         status=form.cleaned_data["status"], **data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Policy document registered."))
            return redirect("library:policy", doc_id=doc.pk)
    return render(request, "library/policy_form.html", {"form": form, "title": _("Register a policy document")})


@login_required
def policy_edit(request: HttpRequest, doc_id: int) -> HttpResponse:
    doc = _policy(request, doc_id, "change")
    initial = {f: getattr(doc, f) for f in services.POLICY_FIELDS} | {"unit": doc.unit, "version": doc.version}
    initial |= {name: list(getattr(doc, name).all()) for name in services.POLICY_M2M}
    form = PolicyForm(request.POST or None, user=request.user, doc=doc, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.update_policy(request.user, doc, _policy_data(form), expected_version=form.cleaned_data["version"])
        except EditConflict as exc:
            conflict = exc
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Policy document saved."))
            return redirect("library:policy", doc_id=doc.pk)
    return render(request, "library/policy_form.html", {"form": form, "title": _("Edit policy document"), "doc": doc,
                                                        "conflict": conflict})


@login_required
def policy_detail(request: HttpRequest, doc_id: int) -> HttpResponse:
    doc = _policy(request, doc_id)
    user = request.user
    can_publish = authz.can(user, "publish", doc)
    actions = [a for a in rules.POLICIES.actions(doc.status) if a != "revise"] if can_publish else []
    return render(request, "library/policy_detail.html", {
        "doc": doc, "links": queries.policy_links(user, doc), "can_change": authz.can(user, "change", doc),
        "can_delete": authz.can(user, "delete", doc) and doc.status == PolicyDocument.Status.DRAFTING,
        "actions": actions, "action_labels": rules.ACTION_LABELS,
    })


@login_required
@require_POST
def policy_status(request: HttpRequest, doc_id: int) -> HttpResponse:
    doc = _policy(request, doc_id, "publish")
    try:
        services.set_policy_status(request.user, doc, request.POST.get("action", ""), expected_version=_version(request))
    except (ValidationError, EditConflict) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("Status changed."))
    return redirect("library:policy", doc_id=doc.pk)


@login_required
@require_POST
def policy_delete(request: HttpRequest, doc_id: int) -> HttpResponse:
    doc = _policy(request, doc_id, "delete")
    try:
        services.delete_policy(request.user, doc)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("library:policy", doc_id=doc.pk)
    messages.success(request, _("Policy document deleted."))
    return redirect("library:policies")
