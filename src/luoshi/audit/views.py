from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from luoshi.audit import queries
from luoshi.audit.forms import AuditFilterForm
from luoshi.audit.models import AuditRecord
from luoshi.core import authz


def _require_auditor(user) -> None:
    if not authz.has_any_role(user, *authz.POLICY["audit.auditrecord"]["view"]):
        raise PermissionDenied(_("The audit trail is open to auditors and administrators."))


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    _require_auditor(request.user)
    form = AuditFilterForm(request.GET or None, model_choices=queries.model_choices())
    if form.is_bound and not form.is_valid():
        qs = AuditRecord.objects.none()  # a mistyped filter shows its error, not the whole trail
    else:
        filters = form.cleaned_data if form.is_bound else {}
        qs = queries.search(request.user, **{k: v for k, v in filters.items() if v})
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    template = "audit/_table.html" if request.htmx else "audit/list.html"
    return render(request, template, {"form": form, "page": page})


@login_required
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_auditor(request.user)
    record = authz.get_or_404(request.user, AuditRecord.objects.select_related("content_type"), pk=pk)
    return render(request, "audit/detail.html", {"record": record})
