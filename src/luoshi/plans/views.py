"""Plan, item and report pages. Views only parse input, call ``queries``/``services`` and render.

Object lookups go through ``authz.get_or_404`` (out of scope: 404, wrong role: 403), lists
through ``queries``, writes through ``services``. htmx partials come from the same views.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from luoshi.audit import queries as audit_queries
from luoshi.core import authz
from luoshi.core.forms import attach_errors
from luoshi.core.services import EditConflict
from luoshi.core.tabular import TableError, read_table, write_csv, write_xlsx
from luoshi.plans import queries, services, tables
from luoshi.plans.forms import (
    EvidenceForm, ImportForm, ItemFilterForm, ItemForm, MoveForm, PlanFilterForm, PlanForm, ReportForm,
    ReportTargetForm, ReviewForm, SupervisionFilterForm, item_unit_choices, report_periods,
)
from luoshi.plans.models import Evidence, Plan, PlanItem, ProgressReport
from luoshi.plans.rules import LIGHT_RULE_TEXT

PAGE_SIZE = 50
CHILDREN_PAGE = 100  # tree rows per request; more siblings load with "Show more"
CHART_BARS = 25      # top-level items in the progress chart
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Helpers --------------------------------------------------------------------------------------

def _partial(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page (not a history restore, which wants all of it)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _plan(request: HttpRequest, plan_id: int, action: str = "view") -> Plan:
    return authz.check_or_404(request.user, queries.plan_with_issuer(plan_id), action)


def _item(request: HttpRequest, plan: Plan, item_id: int, action: str = "view") -> PlanItem:
    qs = PlanItem.objects.filter(plan=plan).select_related("plan", "lead_unit", "assigned_by", "parent")
    return authz.get_or_404(request.user, qs, action, pk=item_id)


def _report(request: HttpRequest, report_id: int, action: str = "view") -> ProgressReport:
    qs = ProgressReport.objects.select_related("item", "item__plan", "item__lead_unit", "item__assigned_by", "unit",
                                               "submitted_by", "reviewed_by")
    return authz.get_or_404(request.user, qs, action, pk=report_id)


def _first_page(qs, per_page: int):
    """``Paginator(qs, per_page).get_page(1)``, with the rows read first: when they all fit on the
    page, their number is the count (no ``COUNT(*)`` query)."""
    rows = list(qs[:per_page + 1])
    paginator = Paginator(qs, per_page)
    if len(rows) <= per_page:
        paginator.count = len(rows)
    page = paginator.page(1)
    page.object_list = rows[:per_page]
    return page


def _get_page(qs, per_page: int, number):
    """``Paginator(qs, per_page).get_page(number)``; the first page without a ``COUNT`` query when
    its rows are all there are (``_first_page``)."""
    if number in (None, "", "1"):
        return _first_page(qs, per_page)
    return Paginator(qs, per_page).get_page(number)


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


def _download(content: bytes, filename: str, fmt: str) -> HttpResponse:
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Plans ----------------------------------------------------------------------------------------

@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    form = PlanFilterForm(request.GET)
    form.is_valid()
    qs = queries.plans(request.user, status=form.cleaned_data.get("status") or None, q=form.cleaned_data.get("q", ""))
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    if _partial(request):
        return render(request, "plans/_plan_results.html", {"page": page})
    can_create = authz.units_where(request.user, "add", Plan).exists()
    return render(request, "plans/plan_list.html", {"page": page, "filter_form": form, "can_create": can_create})


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None, user=request.user, initial={"start_year": timezone.localdate().year,
                                                                       "end_year": timezone.localdate().year})
    if not form.fields["issuer"].queryset.exists():
        raise PermissionDenied(_("You may not create plans."))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("version", None)
        try:
            plan = services.create_plan(request.user, **data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Plan created. Add its items, then publish it."))
            return redirect("plans:detail", plan_id=plan.pk)
    return render(request, "plans/plan_form.html", {"form": form, "title": _("New plan")})


@login_required
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id, "change")
    initial = {f: getattr(plan, f) for f in services.PLAN_FIELDS} | {"version": plan.version}
    form = PlanForm(request.POST or None, user=request.user, plan=plan, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in services.PLAN_FIELDS and not form.fields[k].disabled}
        try:
            services.update_plan(request.user, plan, data, expected_version=form.cleaned_data["version"])
        except EditConflict as exc:
            conflict = exc
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("plans:detail", plan_id=plan.pk)
    return render(request, "plans/plan_form.html", {"form": form, "plan": plan, "conflict": conflict,
                                                      "title": _("Edit plan")})


STATUS_ACTIONS = {
    Plan.Status.PUBLISHED: (gettext_lazy("Publish"), gettext_lazy("Publishing makes the plan visible to every unit that holds one of its items; they can then report on it and break their items down.")),
    Plan.Status.ARCHIVED: (gettext_lazy("Archive"), gettext_lazy("An archived plan is read-only: no edits, no new reports. You can publish it again later.")),
}


@login_required
def plan_status(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Publish or archive a plan: GET asks for confirmation, POST does it."""
    plan = _plan(request, plan_id, "publish")
    target = request.POST.get("status") or request.GET.get("status", "")
    if target not in STATUS_ACTIONS:
        raise Http404("unknown status")
    if request.method == "POST":
        try:
            services.set_plan_status(request.user, plan, target)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The plan is now %(status)s.") % {"status": Plan.Status(target).label})
        return redirect("plans:detail", plan_id=plan.pk)
    label, explanation = STATUS_ACTIONS[target]
    return render(request, "plans/confirm.html", {
        "plan": plan, "title": f"{label}: {plan.title}", "explanation": explanation, "button": label,
        "action": reverse("plans:status", args=[plan.pk]), "fields": {"status": target},
        "cancel": reverse("plans:detail", args=[plan.pk]),
    })


@login_required
def plan_renumber(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Give every item the code that follows the tree: GET asks for confirmation, POST does it."""
    plan = _plan(request, plan_id, "change")
    if request.method == "POST":
        try:
            changed = services.renumber(request.user, plan)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(n)s item codes changed.") % {"n": changed})
        return redirect("plans:detail", plan_id=plan.pk)
    return render(request, "plans/confirm.html", {
        "plan": plan, "title": _("Renumber items"), "button": _("Renumber"),
        "explanation": _("Every item gets the code that follows its place in the tree (1, 1.2, 1.2.3 …). Codes typed by hand are replaced."),
        "action": reverse("plans:renumber", args=[plan.pk]), "fields": {}, "cancel": reverse("plans:detail", args=[plan.pk]),
    })


@login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The plan's item tree (top level now, children on demand), or a flat list when filtering."""
    plan = _plan(request, plan_id)
    user = request.user
    form = ItemFilterForm(request.GET or None, user=user, plan=plan)
    filters = form.filters()
    if filters:
        # A flat list of matches instead of the tree: the top-level items only feed the chart
        # (the chart's page, whose count says whether there are more than it shows).
        roots = _first_page(queries.children(user, plan, None), CHART_BARS)
    else:
        roots = queries.mark_expandable(user, plan, _first_page(queries.children(user, plan, None), CHILDREN_PAGE))
    context = {"plan": plan, "filter_form": form, "filtering": bool(filters), "roots": roots, "rule_text": LIGHT_RULE_TEXT,
               "chart_bars": CHART_BARS}
    if filters:
        found = queries.filtered_items(user, plan, **filters)
        context["page"] = _get_page(found, PAGE_SIZE, request.GET.get("page"))
        counted = found
    else:
        counted = queries.items(user, plan)
    context["charts"] = tables.chart_data(queries.light_counts(counted), roots[:CHART_BARS])
    if _partial(request):
        return render(request, "plans/_items_panel.html", context)
    can_change = authz.can(user, "change", plan)
    context.update({
        "can_change": can_change and plan.status != Plan.Status.ARCHIVED,
        "can_publish": authz.can(user, "publish", plan),
        "can_import": plan.status != Plan.Status.ARCHIVED and authz.has_units_where(user, "add", PlanItem),
    })
    return render(request, "plans/plan_detail.html", context)


UNIT_OPTIONS = 15


@login_required
def unit_options(request: HttpRequest) -> HttpResponse:
    """The combobox of the item form: up to 15 units matching ``q`` among those the user may
    assign work to (``authz.units_where``), as listbox options."""
    return _unit_options(request, authz.units_where(request.user, "add", PlanItem))


def _unit_options(request: HttpRequest, units) -> HttpResponse:
    """Up to ``UNIT_OPTIONS`` of ``units`` (already scoped) matching ``q``, highest first."""
    from luoshi.core.text import search_q

    q = request.GET.get("q", "").strip()[:100]
    if q:
        units = units.filter(search_q(q, "code", "name", "short_name"))
    found = list(units.order_by("depth", "path")[:UNIT_OPTIONS + 1])
    return render(request, "plans/_unit_options.html", {"units": found[:UNIT_OPTIONS], "more": len(found) > UNIT_OPTIONS, "q": q})


@login_required
def filter_unit_options(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The plan page's unit filter: the units leading items of the plan the user sees, and the
    visible units above them (filtering by a unit includes the units below it)."""
    plan = _plan(request, plan_id)
    return _unit_options(request, item_unit_choices(request.user, queries.items(request.user, plan)))


@login_required
def supervision_unit_options(request: HttpRequest) -> HttpResponse:
    """Supervision's unit filter: the units leading items on the user's supervision list, and above."""
    return _unit_options(request, item_unit_choices(request.user, queries.supervision(request.user)))


@login_required
def item_children(request: HttpRequest, plan_id: int) -> HttpResponse:
    """htmx: the visible children of ``?parent=<id>`` (the top level without it)."""
    plan = _plan(request, plan_id)
    parent = None
    if request.GET.get("parent"):
        try:
            parent = _item(request, plan, int(request.GET["parent"]))
        except ValueError:
            raise Http404("bad parent") from None
    items = queries.mark_expandable(request.user, plan, _get_page(queries.children(request.user, plan, parent), CHILDREN_PAGE,
                                                                  request.GET.get("page")))
    return render(request, "plans/_tree_rows.html", {"plan": plan, "items": items, "parent": parent, "rule_text": LIGHT_RULE_TEXT})


# Items ----------------------------------------------------------------------------------------

def _may_add_under(user, plan: Plan, parent: PlanItem | None) -> bool:
    """Whether to offer "add item" here: the plan's planners add top-level items; below an item,
    its assigning unit's planners (structure) or its lead unit's planners (breaking it down)."""
    if plan.status == Plan.Status.ARCHIVED:
        return False
    if parent is None:
        return authz.can(user, "change", plan)
    return authz.can(user, "change", parent) or authz.can_in_unit(user, "add", PlanItem, parent.lead_unit)


def _item_data(cleaned: dict) -> dict:
    return {k: v for k, v in cleaned.items() if k not in ("version", "code")}


@login_required
def item_create(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    parent_id = request.POST.get("parent") or request.GET.get("parent")
    try:
        parent = _item(request, plan, int(parent_id)) if parent_id else None
    except ValueError:
        raise Http404("bad parent") from None
    if not _may_add_under(request.user, plan, parent):
        raise PermissionDenied(_("You may not add items here."))
    initial = {"kind": "measure", "weight": 1}
    if parent is not None:
        initial.update(start_date=parent.start_date, due_date=parent.due_date, lead_unit=parent.lead_unit_id)
    form = ItemForm(request.POST or None, user=request.user, creating=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = _item_data(form.cleaned_data)
        try:
            item = services.add_item(request.user, plan, parent=parent, code=form.cleaned_data["code"] or None, **data)
        except ValidationError as exc:
            attach_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Item %(item)s added.") % {"item": item})
            return redirect("plans:item", plan_id=plan.pk, item_id=item.pk)
    title = _("New sub-item of %(item)s") % {"item": parent} if parent else _("New top-level item")
    return render(request, "plans/item_form.html", {"form": form, "plan": plan, "parent": parent, "title": title})


@login_required
def item_detail(request: HttpRequest, plan_id: int, item_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    item = _item(request, plan, item_id)
    user = request.user
    tab = request.GET.get("tab", "overview")
    if tab not in ("overview", "history"):
        tab = "overview"
    co_owners = list(item.co_owners.order_by("path"))
    responsible = [item.lead_unit, *co_owners]
    report_units = [u for u in responsible if authz.can_in_unit(user, "add", ProgressReport, u)]
    can_change = authz.can(user, "change", item) and plan.status != Plan.Status.ARCHIVED
    context = {
        "plan": plan, "item": item, "tab": tab, "co_owners": co_owners, "rule_text": LIGHT_RULE_TEXT,
        "ancestors": queries.items(user, plan).filter(pk__in=item.ancestor_ids()),
        "can_change": can_change,
        "can_delete": authz.can(user, "delete", item) and plan.status != Plan.Status.ARCHIVED,
        "can_add_sub": _may_add_under(user, plan, item),
        "can_report": plan.status == Plan.Status.PUBLISHED and bool(report_units),
    }
    if tab == "history":
        context["page"] = Paginator(audit_queries.history(user, item), 25).get_page(request.GET.get("page"))
    else:
        context["children"] = queries.mark_expandable(user, plan, _first_page(queries.children(user, plan, item), CHILDREN_PAGE))
        context["cascade_size"] = queries.cascade(user, item).count()
        viewable = [u for u in responsible if authz.can_in_unit(user, "view", ProgressReport, u)]
        from luoshi.indicators.display import for_item  # the indicators measuring the item

        context["indicators"] = for_item(user, item)
        context["timeline"] = tables.report_timeline(
            item, report_periods(plan, timezone.localdate()), viewable, queries.item_reports(user, item), report_units)
    return render(request, "plans/item_detail.html", context)


@login_required
def item_edit(request: HttpRequest, plan_id: int, item_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    item = _item(request, plan, item_id, "change")
    initial = {f: getattr(item, f) for f in services.ITEM_FIELDS} | {
        "co_owners": list(item.co_owners.all()), "version": item.version}
    form = ItemForm(request.POST or None, user=request.user, creating=False, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.update_item(request.user, item, _item_data(form.cleaned_data), expected_version=form.cleaned_data["version"])
        except EditConflict as exc:
            conflict = exc
        except ValidationError as exc:
            attach_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("plans:item", plan_id=plan.pk, item_id=item.pk)
    return render(request, "plans/item_form.html", {"form": form, "plan": plan, "item": item, "conflict": conflict,
                                                      "title": _("Edit %(item)s") % {"item": item}})


@login_required
def item_move(request: HttpRequest, plan_id: int, item_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    item = _item(request, plan, item_id, "change")
    initial = {"parent": item.parent_id, "position": item.position + 1, "version": item.version}
    form = MoveForm(request.POST or None, user=request.user, item=item, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        position = form.cleaned_data["position"]
        try:
            services.move_item(request.user, item, form.cleaned_data["parent"], None if position is None else position - 1,
                               expected_version=form.cleaned_data["version"])
        except EditConflict as exc:
            conflict = exc
        except ValidationError as exc:
            attach_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("parent", str(exc))
        else:
            messages.success(request, _("Item moved."))
            return redirect("plans:item", plan_id=plan.pk, item_id=item.pk)
    return render(request, "plans/item_move.html", {"form": form, "plan": plan, "item": item, "conflict": conflict})


@login_required
def item_delete(request: HttpRequest, plan_id: int, item_id: int) -> HttpResponse:
    """GET: a confirmation page saying how many items go; POST: delete the item with its subtree."""
    plan = _plan(request, plan_id)
    item = _item(request, plan, item_id, "delete")
    if request.method == "POST":
        try:
            count = services.delete_item(request.user, item)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("plans:item", plan_id=plan.pk, item_id=item.pk)
        messages.success(request, _("%(n)s items deleted.") % {"n": count})
        if item.parent_id:
            return redirect("plans:item", plan_id=plan.pk, item_id=item.parent_id)
        return redirect("plans:detail", plan_id=plan.pk)
    return render(request, "plans/item_delete.html", {"plan": plan, "item": item, "count": queries.subtree_size(item)})


# Import and export ----------------------------------------------------------------------------

@login_required
def items_import(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    if not authz.units_where(request.user, "add", PlanItem).exists():
        raise PermissionDenied(_("You may not add items."))
    form = ImportForm(request.POST or None, request.FILES or None)
    errors, result = [], None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = read_table(upload.read(), upload.name, services.ITEM_COLUMNS, services.ITEM_OPTIONAL)
            result = services.import_items(request.user, plan, rows, upload.name)
        except TableError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("Import done: %(created)s created, %(updated)s updated.") % result)
            return redirect("plans:detail", plan_id=plan.pk)
    return render(request, "plans/items_import.html", {
        "plan": plan, "form": form, "errors": errors,
        "required": services.ITEM_COLUMNS, "optional": services.ITEM_OPTIONAL,
    })


@login_required
def items_export(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    header, rows = services.export_item_rows(request.user, plan)
    return _download(write_xlsx(header, rows, "items"), f"plan_{plan.pk}_items.xlsx", "xlsx")


@login_required
def items_template(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    header, rows = tables.import_template(plan, services.ITEM_COLUMNS, services.ITEM_OPTIONAL)
    return _download(write_xlsx(header, rows, "items"), f"plan_{plan.pk}_template.xlsx", "xlsx")


# Reports --------------------------------------------------------------------------------------

@login_required
def report_edit(request: HttpRequest, plan_id: int, item_id: int) -> HttpResponse:
    """Create or edit the draft (or returned) report of one responsible unit for one period."""
    plan = _plan(request, plan_id)
    item = _item(request, plan, item_id)
    user = request.user
    units = [u for u in [item.lead_unit, *item.co_owners.order_by("path")] if authz.can_in_unit(user, "add", ProgressReport, u)]
    if not units:
        raise PermissionDenied(_("You do not report for any unit that holds this item."))
    periods = report_periods(plan, timezone.localdate())
    source = request.POST if request.method == "POST" else request.GET
    target_form = ReportTargetForm(source if "period" in source else None, periods=periods, units=units)
    target = target_form.target() if target_form.is_bound else (
        (periods[0].key, units[0]) if periods else None)
    context = {"plan": plan, "item": item, "target_form": target_form, "periods": periods, "units": units}
    if target is None:
        return render(request, "plans/report_form.html", context)
    period, unit = target
    report = queries.reports(user, item=item, unit=unit, period=period).first()
    initial = {"status": "on_track", "percent": item.progress, "version": 0}  # 0: no report exists yet
    if report is not None:
        initial = {f: getattr(report, f) for f in services.REPORT_FIELDS} | {"version": report.version}
    form = ReportForm(request.POST or None, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            report = services.save_report(user, item, unit, period, data, expected_version=form.cleaned_data["version"])
        except EditConflict as exc:
            conflict = exc
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Report saved as a draft. Add evidence, then submit it for review."))
            return redirect("plans:report", report_id=report.pk)
    context.update({"form": form, "report": report, "period": period, "unit": unit, "conflict": conflict})
    return render(request, "plans/report_form.html", context)


@login_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    user = request.user
    editable = not report.locked and report.item.plan.status == Plan.Status.PUBLISHED
    can_change = editable and authz.can(user, "change", report)
    return render(request, "plans/report_detail.html", {
        "report": report, "item": report.item, "plan": report.item.plan,
        "versions": queries.report_versions(user, report),
        "evidence": queries.report_evidence(user, report),
        "can_change": can_change,
        "can_submit": editable and authz.can(user, "submit", report),
        "can_review": report.state == ProgressReport.State.SUBMITTED
        and authz.can_in_unit(user, "review", ProgressReport, report.item.assigned_by),
        "evidence_form": EvidenceForm() if can_change else None,
        "page": Paginator(audit_queries.history(user, report), 25).get_page(request.GET.get("page")),
    })


@login_required
def plan_history(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _plan(request, plan_id)
    page = Paginator(audit_queries.history(request.user, plan), 25).get_page(request.GET.get("page"))
    return render(request, "plans/plan_history.html", {"plan": plan, "page": page})


@login_required
@require_POST
def report_submit(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id, "submit")
    try:
        services.submit_report(request.user, report, expected_version=_version(request))
    except (ValidationError, EditConflict) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, _("Report submitted for review."))
    return redirect("plans:report", report_id=report.pk)


@login_required
def report_review(request: HttpRequest, report_id: int) -> HttpResponse:
    """A reviewer of the unit that assigned the item approves the report or returns it with a comment."""
    report = _report(request, report_id)
    if not authz.can_in_unit(request.user, "review", ProgressReport, report.item.assigned_by):
        raise PermissionDenied(_("Only a reviewer of %(unit)s, which assigned this item, can review it.") % {"unit": report.item.assigned_by})
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decision = request.POST.get("decision")
        comment = form.cleaned_data["comment"]
        try:
            if decision == "approve":
                services.approve_report(request.user, report, comment, expected_version=_version(request))
            elif decision == "return":
                services.return_report(request.user, report, comment, expected_version=_version(request))
            else:
                raise ValidationError(_("Choose approve or return."))
        except ValidationError as exc:
            attach_errors(form, exc)
        except (PermissionDenied, EditConflict) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Report approved.") if decision == "approve" else _("Report returned to the unit."))
            return redirect("plans:reviews")
    return render(request, "plans/report_review.html", {
        "report": report, "item": report.item, "plan": report.item.plan, "form": form,
        "evidence": queries.report_evidence(request.user, report),
        "versions": queries.report_versions(request.user, report),
    })


@login_required
@require_POST
def evidence_upload(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id, "change")
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            evidence = services.add_evidence(request.user, report, form.cleaned_data["file"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(name)s attached.") % {"name": evidence.name})
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("plans:report", report_id=report.pk)


def _evidence(request: HttpRequest, evidence_id: int) -> Evidence:
    evidence = authz.get_or_404(request.user, Evidence.objects.select_related("report"), pk=evidence_id)
    authz.get_or_404(request.user, ProgressReport, pk=evidence.report_id)
    return evidence


@login_required
def evidence_download(request: HttpRequest, evidence_id: int) -> FileResponse:
    evidence = _evidence(request, evidence_id)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404("the file is missing from storage") from None
    response = FileResponse(handle, as_attachment=True, filename=evidence.name, content_type=evidence.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def evidence_delete(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = _evidence(request, evidence_id)
    try:
        services.remove_evidence(request.user, evidence)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s removed.") % {"name": evidence.name})
    return redirect("plans:report", report_id=evidence.report_id)


# Work lists -----------------------------------------------------------------------------------

@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.review_queue(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "plans/reviews.html", {"page": page})


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    # Only the columns the rows show (no texts, no time stamps): 150 rows of three models each.
    # At most a page of each urgent group here (the supervision page lists them all): long
    # tables of rows were the largest cost of this page under load. Two queries for the three lists.
    overdue, due_soon, others = queries.my_work_lists(request.user, request.GET.get("page"), PAGE_SIZE, LIST_FIELDS)
    shown = [*overdue, *due_soon, *others]
    may_write: dict[int, bool] = {}  # asked once per lead unit, not once per row
    for item in shown:
        if item.lead_unit_id not in may_write:
            may_write[item.lead_unit_id] = authz.can_in_unit(request.user, "add", ProgressReport, item.lead_unit)
    writable = {i.pk for i in shown if may_write[i.lead_unit_id]}
    return render(request, "plans/my_work.html", {
        "sections": [("overdue", _("Overdue"), overdue), ("due_soon", _("Due in the next 30 days"), due_soon)],
        "others": others, "reports": queries.current_reports(request.user, shown), "writable": writable,
        "rule_text": LIGHT_RULE_TEXT, "page_size": PAGE_SIZE,
    })


# The fields of items (and their plan and lead unit) that the item lists (``_item_table.html``) use.
LIST_FIELDS = ("id", "plan_id", "path", "code", "title", "kind", "lead_unit_id", "due_date", "progress", "light",
               "child_count", "plan__id", "plan__title", "plan__period", "plan__start_year", "plan__end_year",
               "lead_unit__id", "lead_unit__name", "lead_unit__short_name", "lead_unit__path")


def _supervision_items(request: HttpRequest):
    form = SupervisionFilterForm(request.GET or None, user=request.user)
    return form, queries.supervision(request.user, **form.filters())


@login_required
def supervision(request: HttpRequest) -> HttpResponse:
    form, qs = _supervision_items(request)
    page = _get_page(qs.only(*LIST_FIELDS), PAGE_SIZE, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "plans/supervision.html", {"filter_form": form, "page": page, "query": query.urlencode(),
                                                       "rule_text": LIGHT_RULE_TEXT})


@login_required
def supervision_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404("unknown format")
    _form, qs = _supervision_items(request)
    header, rows = tables.supervision_rows(qs, timezone.localdate())
    content = write_csv(header, rows) if fmt == "csv" else write_xlsx(header, rows, "supervision")
    return _download(content, f"supervision.{fmt}", fmt)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(queries.notifications(request.user, unread_only=unread_only), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "plans/notifications.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark notifications read: those named by ``id`` (one or more), or all; then go to ``next``."""
    try:
        ids = [int(i) for i in request.POST.getlist("id")] or None
    except ValueError:
        raise Http404("bad id") from None
    changed = services.mark_notifications_read(request.user, ids)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    if ids is None:
        messages.success(request, _("%(n)s notifications marked read.") % {"n": changed})
    return redirect("plans:notifications")

