"""Org tree pages. Views only parse input, call ``queries``/``services`` and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luoshi.audit import queries as audit_queries
from luoshi.core import authz
from luoshi.core.forms import attach_errors
from luoshi.core.services import EditConflict
from luoshi.core.tabular import TableError, read_table, write_csv, write_xlsx
from luoshi.orgs import queries, services
from luoshi.orgs.forms import GroupForm, ImportForm, MembershipForm, UnitFilterForm, UnitForm
from luoshi.orgs.models import Membership, OrgGroup, OrgUnit, UnitType


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    roots = queries.with_child_count(request.user, queries.roots(request.user))
    return render(request, "orgs/tree.html", {"roots": roots, "filter_form": UnitFilterForm()})


@login_required
def unit_children(request: HttpRequest, code: str) -> HttpResponse:
    unit = authz.get_or_404(request.user, OrgUnit, code=code)
    return render(request, "orgs/_children.html", {"units": queries.children(request.user, unit)})


@login_required
def search(request: HttpRequest) -> HttpResponse:
    form = UnitFilterForm(request.GET)
    form.is_valid()
    qs = queries.units(request.user, q=form.cleaned_data.get("q", ""), type=form.cleaned_data.get("type") or None)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    template = "orgs/_search_results.html" if request.htmx else "orgs/search.html"
    return render(request, template, {"page": page, "filter_form": form})


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = authz.get_or_404(request.user, OrgUnit.objects.select_related("parent"), code=code)
    tab = request.GET.get("tab", "units")
    if tab not in ("units", "members", "groups", "history"):
        tab = "units"
    context = {
        "unit": unit,
        "tab": tab,
        "ancestors": queries.ancestors(request.user, unit),
        "children": queries.children(request.user, unit),
        "can_change": authz.can(request.user, "change", unit),
        "can_add": authz.can_in_unit(request.user, "add", OrgUnit, unit),
        "can_manage_members": authz.can_in_unit(request.user, "add", Membership, unit),
    }
    if tab == "members":
        context["members"] = queries.members(request.user, unit)
        context["member_form"] = MembershipForm()
    elif tab == "groups":
        context["groups"] = queries.groups(request.user).filter(members=unit)
    elif tab == "history":
        # An ancestor seen by name only (outside the user's own units) shows no history.
        records = (audit_queries.history(request.user, unit)
                   if authz.can_in_unit(request.user, "view", OrgUnit, unit) else [])
        context["page"] = Paginator(records, 25).get_page(request.GET.get("page"))
    return render(request, "orgs/unit_detail.html", context)


@login_required
def unit_edit(request: HttpRequest, code: str) -> HttpResponse:
    unit = authz.get_or_404(request.user, OrgUnit, "change", code=code)
    initial = {f: getattr(unit, f) for f in ("code", "name", "short_name", "type", "is_active")} | {"version": unit.version}
    form = UnitForm(request.POST or None, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.update_unit(request.user, unit, data, expected_version=version)
        except EditConflict as exc:
            conflict = exc
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("orgs:unit", code=data["code"])
    return render(request, "orgs/unit_form.html", {"form": form, "unit": unit, "conflict": conflict, "title": _("Edit %(name)s") % {"name": unit.name}})


@login_required
def unit_add(request: HttpRequest, code: str) -> HttpResponse:
    parent = authz.get_or_404(request.user, OrgUnit, code=code)
    if not authz.can_in_unit(request.user, "add", OrgUnit, parent):
        raise PermissionDenied(_("You may not add units here."))
    form = UnitForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("version", None)
        try:
            unit = services.create_unit(request.user, parent=parent, **data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Unit %(name)s created.") % {"name": unit.name})
            return redirect("orgs:unit", code=unit.code)
    return render(request, "orgs/unit_form.html", {"form": form, "unit": parent, "title": _("New unit under %(name)s") % {"name": parent.name}})


@login_required
@require_POST
def member_add(request: HttpRequest, code: str) -> HttpResponse:
    unit = authz.get_or_404(request.user, OrgUnit, code=code)
    form = MembershipForm(request.POST)
    if form.is_valid():
        try:
            outcome = services.add_or_invite(request.user, username=form.cleaned_data["username"], unit=unit,
                                             role=form.cleaned_data["role"], covers_below=form.cleaned_data["covers_below"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if outcome == "added":
                messages.success(request, _("Member added."))
            else:  # the same answer whether or not the username exists
                messages.info(request, _("If an active account with this username exists outside your units, it has been "
                                         "invited; it becomes a member here once the invitation is accepted."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect(reverse("orgs:unit", args=[unit.code]) + "?tab=members")


@login_required
@require_POST
def invitation_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """The invited person (or an administrator managing their account) accepts or declines."""
    from django.http import Http404

    from luoshi.orgs.models import Invitation

    if decision not in ("accept", "decline"):
        raise Http404("not found")
    invitation = Invitation.objects.filter(pk=pk).first()
    if invitation is None or not queries.invitations_for(request.user, invitation.user).filter(pk=pk).exists():
        raise Http404("not found")
    try:
        services.decide_invitation(request.user, invitation, decision == "accept")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Invitation accepted.") if decision == "accept" else _("Invitation declined."))
    if invitation.user_id != request.user.pk:
        return redirect("accounts:user", username=invitation.user.username)
    return redirect("core:home")


@login_required
@require_POST
def member_remove(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    unit = authz.get_or_404(request.user, OrgUnit, code=code)
    membership = authz.get_or_404(request.user, Membership.objects.filter(unit=unit), "delete", pk=pk)
    services.remove_membership(request.user, membership)
    messages.success(request, _("Member removed."))
    return redirect(reverse("orgs:unit", args=[unit.code]) + "?tab=members")


@login_required
def import_units(request: HttpRequest) -> HttpResponse:
    if not authz.has_any_role(request.user, "admin"):
        raise PermissionDenied(_("Only administrators can import units."))
    form = ImportForm(request.POST or None, request.FILES or None)
    errors, result = [], None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = read_table(upload.read(), upload.name, services.IMPORT_COLUMNS, services.IMPORT_OPTIONAL)
            result = services.import_units(request.user, rows, upload.name)
        except TableError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("Import done: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % result)
    return render(request, "orgs/import.html", {"form": form, "errors": errors, "result": result, "types": UnitType.choices})


@login_required
def export_units(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404("unknown format")
    header, rows = services.export_rows(queries.units(request.user))
    if fmt == "csv":
        response = HttpResponse(write_csv(header, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(write_xlsx(header, rows, "org_units"),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="org_units.{fmt}"'
    return response


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    return render(request, "orgs/groups.html", {"groups": queries.groups(request.user),
                                                 "can_add": authz.units_where(request.user, "add", OrgGroup).exists()})


@login_required
def group_detail(request: HttpRequest, code: str) -> HttpResponse:
    group = authz.get_or_404(request.user, OrgGroup.objects.select_related("owner"), code=code)
    return render(request, "orgs/group_detail.html", {
        "group": group, "members": queries.group_members(request.user, group),
        "can_change": authz.can(request.user, "change", group),
        "page": Paginator(audit_queries.history(request.user, group), 25).get_page(request.GET.get("page")),
    })


@login_required
def group_create(request: HttpRequest) -> HttpResponse:
    form = GroupForm(request.POST or None, user=request.user)
    if not form.fields["owner"].queryset.exists():
        raise PermissionDenied(_("Only administrators can define unit groups."))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("version", None)
        try:
            group = services.create_group(request.user, **data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("orgs:group", code=group.code)
    return render(request, "orgs/group_form.html", {"form": form, "title": _("New unit group")})


@login_required
def group_edit(request: HttpRequest, code: str) -> HttpResponse:
    group = authz.get_or_404(request.user, OrgGroup, "change", code=code)
    initial = {"code": group.code, "name": group.name, "description": group.description, "owner": group.owner,
               "members": queries.group_members(request.user, group), "version": group.version}
    form = GroupForm(request.POST or None, user=request.user, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.update_group(request.user, group, data, expected_version=version)
        except EditConflict as exc:
            conflict = exc
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("orgs:group", code=data["code"])
    return render(request, "orgs/group_form.html", {"form": form, "group": group, "conflict": conflict,
                                                      "title": _("Edit %(name)s") % {"name": group.name}})
