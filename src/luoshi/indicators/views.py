"""Indicator, data set, data-entry, import, approval and data-quality pages.

Views parse input, call ``services`` (writes) and the scoped reads of ``display``/``grid``/
``status``, and render. Lookups answer 404 outside the user's scope (``authz.get_or_404``);
messages from the services are shown as they come.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from luoshi.audit import queries as audit_queries
from luoshi.core import authz
from luoshi.core.services import EditConflict
from luoshi.core.tabular import write_csv, write_xlsx
from luoshi.core.text import search_q
from luoshi.indicators import display, grid, services, status
from luoshi.indicators.forms import (
    DataSetPeriodForm, ImportForm, IndicatorFilterForm, QualityFilterForm, ReasonForm, TemplateForm,
)
from luoshi.indicators.models import DataSet, DataValue, Indicator
from luoshi.orgs.models import OrgUnit
from luoshi.plans import rules
from luoshi.plans.models import PlanItem

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_PERIODS = 3  # periods side by side in a data set's status table


def _partial(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _download(content: bytes, filename: str, fmt: str) -> HttpResponse:
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


# Indicators -----------------------------------------------------------------------------------

@login_required
def indicator_list(request: HttpRequest) -> HttpResponse:
    form = IndicatorFilterForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {}) or {}
    qs = authz.scope(request.user, Indicator.objects.filter(is_active=True)).select_related("owner_unit", "category_set")
    if q := (data.get("q") or "").strip():
        qs = qs.filter(search_q(q, "code", "name", "definition"))
    if data.get("periodicity"):
        qs = qs.filter(periodicity=data["periodicity"])
    if data.get("value_type"):
        qs = qs.filter(value_type=data["value_type"])
    kind = data.get("kind")
    if kind == "derived":
        qs = qs.exclude(formula="")
    elif kind == "reported":
        qs = qs.filter(formula="")
    qs = qs.annotate(item_count=Count("plan_items", distinct=True))
    if kind == "linked":
        qs = qs.filter(item_count__gt=0)
    page = Paginator(qs.order_by("code"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = display.list_rows(request.user, list(page))
    context = {"page": page, "rows": rows, "filter_form": form}
    if _partial(request):
        return render(request, "indicators/_indicator_results.html", context)
    context["can_import"] = authz.units_where(request.user, "add", DataValue).exists()
    return render(request, "indicators/indicator_list.html", context)


@login_required
def indicator_detail(request: HttpRequest, code: str) -> HttpResponse:
    indicator = authz.get_or_404(request.user, Indicator.objects.select_related("owner_unit", "category_set", "weight_indicator"),
                                 code=code)
    user = request.user
    tab = request.GET.get("tab", "overview")
    if tab not in ("overview", "values", "history"):
        tab = "overview"
    context = {"indicator": indicator, "tab": tab}
    if tab == "history":
        context["page"] = Paginator(audit_queries.history(user, indicator), 25).get_page(request.GET.get("page"))
        return render(request, "indicators/indicator_detail.html", context)
    years, target_rows = display.target_table(user, indicator)
    items = authz.scope(user, PlanItem.objects.filter(indicators=indicator)).select_related("plan", "lead_unit").order_by("plan_id", "path")
    readings = display.readings(user, indicator, limit_periods=None if tab == "values" else 8)
    if tab == "values":
        context["page"] = Paginator(readings, PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        latest = display.latest_national(user, indicator, readings)
        context["latest"] = latest
        context["series"] = display.series(indicator, readings, latest.unit.pk if latest else None)
        context["recent"] = readings[:12]
        context["recent_more"] = len(readings) > 12
    context.update({
        "years": years, "target_rows": target_rows, "items": items,
        "categories": list(indicator.category_set.categories.all()) if indicator.category_set_id else [],
        "datasets": authz.scope(user, indicator.datasets.all()).order_by("code"),
        "baseline": display.fmt(indicator, indicator.baseline_value) if indicator.baseline_value is not None else "",
        "rules": display.rules_for(user, indicator),
        "reporting_types": display.unit_type_labels(indicator.reporting_unit_types),
        "value_type": display.VALUE_TYPE_LABELS.get(indicator.value_type, indicator.value_type),
    })
    return render(request, "indicators/indicator_detail.html", context)


# Data sets and their status -------------------------------------------------------------------

def _dataset(request: HttpRequest, code: str) -> DataSet:
    return authz.get_or_404(request.user, DataSet.objects.select_related("owner_unit"), code=code)


@login_required
def dataset_list(request: HttpRequest) -> HttpResponse:
    datasets = list(authz.scope(request.user, DataSet).select_related("owner_unit")
                    .annotate(indicator_count=Count("indicators", distinct=True)).order_by("code"))
    rows = [status.summary(request.user, ds) for ds in datasets]
    return render(request, "indicators/dataset_list.html", {"rows": rows})


@login_required
def dataset_detail(request: HttpRequest, code: str) -> HttpResponse:
    dataset = _dataset(request, code)
    user = request.user
    known = status.known_periods(user, dataset)
    levels = status.levels(user, dataset)
    default_level = status.default_level(user, dataset)
    form = DataSetPeriodForm(request.GET or None, periods=known, levels=levels,
                             initial={"level": default_level or "all"})
    valid = form.is_valid()
    chosen = form.cleaned_data.get("period") if valid else ""
    level = (form.cleaned_data.get("level") or default_level) if valid else default_level
    periods = [chosen] if chosen else known[:STATUS_PERIODS]
    table = status.table(user, dataset, periods, "" if level == "all" else level)
    return render(request, "indicators/dataset_detail.html", {
        "dataset": dataset, "table": table, "periods": periods, "period_form": form,
        "indicators": grid.dataset_indicators(dataset),
        "can_import": authz.units_where(user, "add", DataValue).exists(),
    })


# The entry grid -------------------------------------------------------------------------------

def _entry_target(request: HttpRequest, code: str, unit_code: str, period: str) -> tuple[DataSet, OrgUnit, str]:
    dataset = _dataset(request, code)
    unit = authz.get_or_404(request.user, OrgUnit, code=unit_code)
    try:
        rules.parse_period(dataset.periodicity, period)
    except ValueError:
        raise Http404("not a period of this data set") from None
    if not status.expected(dataset, unit):
        raise Http404("this unit does not report this data set")
    return dataset, unit, period


def _grid(request: HttpRequest, dataset: DataSet, unit: OrgUnit, period: str) -> grid.Grid:
    derived = display.derived_values(request.user, grid.grid_indicators(dataset, unit), unit, period)
    return grid.build(request.user, dataset, unit, period, derived)


def _save(request: HttpRequest, the_grid: grid.Grid, dry_run: bool):
    """Run the posted cells through ``services.save_values`` (``services.check_values`` for a check)."""
    entries = grid.entries(the_grid, request.POST, services.Entry)
    grid.apply_post(the_grid, request.POST)
    if dry_run:
        result = grid.check(request.user, dataset=the_grid.dataset, unit=the_grid.unit,
                            period=the_grid.period, entries=entries)
    else:
        result = services.save_values(request.user, dataset=the_grid.dataset, unit=the_grid.unit,
                                      period=the_grid.period, entries=entries)
    grid.attach_problems(the_grid, result.errors, result.warnings)
    return result


@login_required
def entry(request: HttpRequest, code: str, unit_code: str, period: str) -> HttpResponse:
    dataset, unit, period = _entry_target(request, code, unit_code, period)
    user = request.user
    approval = status.approval(user, dataset, unit, period)
    can_enter = status.can_enter(user, dataset, unit, approval)
    the_grid = _grid(request, dataset, unit, period)
    if request.method == "POST":
        if not can_enter:
            raise PermissionDenied(_("You cannot change these values."))
        action = request.POST.get("action", "save")
        try:
            result = _save(request, the_grid, dry_run=False)
        except (ValidationError, PermissionDenied, EditConflict) as exc:
            messages.error(request, _problem_text(exc))
        except DatabaseError:
            messages.error(request, _("Another save of these values was under way, so nothing was changed. Save again."))
        else:
            if result.errors:
                messages.error(request, ngettext("Nothing was saved: %(n)s value needs correcting.",
                                                 "Nothing was saved: %(n)s values need correcting.",
                                                 len(result.errors)) % {"n": len(result.errors)})
            elif action == "submit":
                try:
                    services.submit(user, dataset=dataset, unit=unit, period=period)
                except (ValidationError, PermissionDenied, EditConflict) as exc:
                    messages.error(request, _("Saved as a draft, but not submitted: %(problem)s") % {"problem": _problem_text(exc)})
                else:
                    messages.success(request, _("Saved and submitted for review."))
                    return redirect("indicators:entry", code=dataset.code, unit_code=unit.code, period=period)
            else:
                uncommented = sum(1 for c in the_grid.cells() if c.needs_comment)
                if uncommented:
                    messages.warning(request, ngettext(
                        "Saved as a draft. %(n)s value has a warning: say in its comment why it is right before submitting.",
                        "Saved as a draft. %(n)s values have warnings: say in their comments why they are right before submitting.",
                        uncommented) % {"n": uncommented})
                else:
                    messages.success(request, _("Saved as a draft."))
                return redirect("indicators:entry", code=dataset.code, unit_code=unit.code, period=period)
    return render(request, "indicators/entry.html", {
        "dataset": dataset, "unit": unit, "period": period, "grid": the_grid, "approval": approval,
        "can_enter": can_enter, "can_submit": can_enter and status.can_submit(user, unit),
        "review": status.review_actions(user, dataset, unit, period, approval),
        "periods": status.entry_periods(dataset, period), "texts": _grid_texts(),
        "reports": status.is_reporter(dataset, unit),
    })


def _grid_texts() -> dict[str, str]:
    return {
        "error_one": ngettext("%(n)s error", "%(n)s errors", 1), "error_many": ngettext("%(n)s error", "%(n)s errors", 2),
        "warning_one": ngettext("%(n)s warning", "%(n)s warnings", 1),
        "warning_many": ngettext("%(n)s warning", "%(n)s warnings", 2),
        "all_good": _("No problems found."), "unchecked": _("Could not check the values just now; saving checks them again."),
    }


@login_required
@require_POST
def entry_check(request: HttpRequest, code: str, unit_code: str, period: str) -> JsonResponse:
    """Inline validation of the grid (``entry.js``): the same checks as saving, nothing written."""
    dataset, unit, period = _entry_target(request, code, unit_code, period)
    approval = status.approval(request.user, dataset, unit, period)
    if not status.can_enter(request.user, dataset, unit, approval):
        raise PermissionDenied(_("You cannot change these values."))
    the_grid = _grid(request, dataset, unit, period)
    try:
        _save(request, the_grid, dry_run=True)
    except (ValidationError, PermissionDenied, EditConflict) as exc:
        return JsonResponse({"cells": {}, "totals": {}, "errors": 1, "warnings": 0, "message": _problem_text(exc)}, status=400)
    except DatabaseError:  # another write held the database: the next check (or saving) answers
        return JsonResponse({"cells": {}, "totals": {}, "errors": 0, "warnings": 0, "busy": True}, status=503)
    grid.derive(the_grid)
    return JsonResponse(grid.messages_json(the_grid))


# Approval -------------------------------------------------------------------------------------

@login_required
@require_POST
def approve(request: HttpRequest, code: str, unit_code: str, period: str) -> HttpResponse:
    dataset, unit, period = _entry_target(request, code, unit_code, period)
    try:
        services.approve(request.user, dataset=dataset, unit=unit, period=period)
    except (ValidationError, PermissionDenied, EditConflict) as exc:
        messages.error(request, _problem_text(exc))
    else:
        messages.success(request, _("%(unit)s approved for %(period)s: its values are locked.") % {"unit": unit.display_name, "period": period})
    return redirect(_back(request, dataset))


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return None


def _back(request: HttpRequest, dataset: DataSet) -> str:
    return _safe_next(request) or reverse("indicators:dataset", args=[dataset.code])


@login_required
def decide_with_reason(request: HttpRequest, code: str, unit_code: str, period: str, decision: str) -> HttpResponse:
    """Return submitted data to the unit, or un-approve approved data: both need a reason."""
    dataset, unit, period = _entry_target(request, code, unit_code, period)
    if decision not in ("return", "unapprove"):
        raise Http404("unknown decision")
    approval = status.approval(request.user, dataset, unit, period)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = services.unapprove if decision == "unapprove" else services.return_data
        try:
            action(request.user, dataset=dataset, unit=unit, period=period, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied, EditConflict) as exc:
            form.add_error(None, _problem_text(exc))
        else:
            messages.success(request, _("Approval withdrawn: the unit can correct its values again.") if decision == "unapprove"
                             else _("Returned to the unit with your reason."))
            return redirect("indicators:dataset", code=dataset.code)
    title = _("Un-approve %(unit)s, %(period)s") if decision == "unapprove" else _("Return %(unit)s, %(period)s")
    return render(request, "indicators/reason.html", {
        "dataset": dataset, "unit": unit, "period": period, "approval": approval, "form": form, "decision": decision,
        "title": title % {"unit": unit.display_name, "period": period},
    })


@login_required
def reviews(request: HttpRequest) -> HttpResponse:
    """What units below the user submitted and waits for approval, oldest first."""
    qs = status.review_queue(request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "indicators/reviews.html", {"page": page, "rows": status.review_rows(request.user, list(page))})


# Data quality ---------------------------------------------------------------------------------

@login_required
def quality(request: HttpRequest) -> HttpResponse:
    form = QualityFilterForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {}) or {}
    qs = status.flagged_values(request.user, follow_up=data.get("follow_up") or "", period=(data.get("period") or "").strip())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "indicators/quality.html", {
        "page": page, "rows": status.flag_rows(list(page)), "filter_form": form,
        "can_mark": authz.has_any_role(request.user, authz.REVIEWER),
    })


@login_required
@require_POST
def follow_up(request: HttpRequest, value_id: int) -> HttpResponse:
    value = authz.get_or_404(request.user, DataValue.objects.select_related("indicator", "unit"), pk=value_id)
    mark = request.POST.get("follow_up") == "1"
    try:
        services.set_follow_up(request.user, value, mark)
    except (ValidationError, PermissionDenied, EditConflict) as exc:
        messages.error(request, _problem_text(exc))
    else:
        messages.success(request, _("Marked for follow-up.") if mark else _("Follow-up mark removed."))
    return redirect(_safe_next(request) or reverse("indicators:quality"))


# Import and templates -------------------------------------------------------------------------

UPLOAD_KEY = "indicators_pending_import"


def _pending_dir() -> Path:
    from django.conf import settings

    folder = Path(settings.DATA_DIR) / "pending-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _keep_upload(request: HttpRequest, upload) -> str:
    """Keep a checked upload for the confirmation step (one per session; replaced by the next)."""
    _drop_upload(request)
    token = secrets.token_urlsafe(16)
    path = _pending_dir() / f"{token}{Path(upload.name).suffix.lower()}"
    with open(path, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    request.session[UPLOAD_KEY] = {"token": token, "path": str(path), "name": upload.name}
    return token


def _drop_upload(request: HttpRequest) -> None:
    pending = request.session.pop(UPLOAD_KEY, None)
    if pending:
        try:
            os.unlink(pending["path"])
        except OSError:
            pass


@login_required
def import_values(request: HttpRequest, code: str) -> HttpResponse:
    """Upload → dry run (every bad row listed, or what would change) → confirm → import."""
    from luoshi.indicators import imports

    dataset = _dataset(request, code)
    user = request.user
    if not authz.units_where(user, "add", DataValue).exists():
        raise PermissionDenied(_("You may not enter data."))
    form = ImportForm(request.POST or None, request.FILES or None)
    result, token, pending_name = None, None, None
    if request.method == "POST" and request.POST.get("confirm"):
        pending = request.session.get(UPLOAD_KEY)
        if not pending or pending["token"] != request.POST.get("token"):
            messages.error(request, _("That upload is no longer waiting; choose the file again."))
            return redirect("indicators:import", code=dataset.code)
        with open(pending["path"], "rb") as handle:
            result = imports.import_values(user, handle, filename=pending["name"], dry_run=False)
        _drop_upload(request)
        if result.ok:
            messages.success(request, result.summary())
            return redirect("indicators:dataset", code=dataset.code)
        form = ImportForm()
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = imports.import_upload(user, upload, dry_run=True)
        if result.ok and (result.created or result.changed):
            upload.seek(0)
            token = _keep_upload(request, upload)
            pending_name = upload.name
    return render(request, "indicators/import.html", {
        "dataset": dataset, "form": form, "result": result, "token": token, "pending_name": pending_name,
        "template_form": TemplateForm(units=status.template_units(user, dataset)),
    })


@login_required
def template(request: HttpRequest, code: str) -> HttpResponse:
    """A file to fill in: one row per indicator (and category) of the data set for a unit."""
    dataset = _dataset(request, code)
    form = TemplateForm(request.GET or None, units=status.template_units(request.user, dataset))
    if not form.is_valid():
        raise Http404("choose a unit of this data set")
    unit, period, fmt = form.cleaned_data["unit"], form.cleaned_data["period"].strip(), form.cleaned_data["format"]
    if period:
        try:
            rules.parse_period(dataset.periodicity, period)
        except ValueError:
            raise Http404("not a period of this data set") from None
    header, rows = status.template_rows(request.user, dataset, unit, period)
    content = write_csv(header, rows) if fmt == "csv" else write_xlsx(header, rows, "values")
    return _download(content, f"{dataset.code}_{unit.code}{'_' + period if period else ''}.{fmt}", fmt)
