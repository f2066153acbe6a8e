"""Bulletin pages: ask for one (a POST from a unit's analytics page), follow its progress (htmx
polls the status block until the worker is done), download the PDF."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from luoshi.bulletins import queries, services
from luoshi.bulletins.models import Bulletin
from luoshi.core import authz
from luoshi.orgs.models import OrgUnit


def _bulletin(request: HttpRequest, pk: int) -> Bulletin:
    return authz.get_or_404(request.user, Bulletin.objects.select_related("unit", "requested_by").defer("pdf"), pk=pk)


@login_required
def bulletin_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.bulletins(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "bulletins/list.html", {"page": page})


@login_required
@require_POST
def bulletin_create(request: HttpRequest) -> HttpResponse:
    unit = OrgUnit.objects.filter(code=request.POST.get("unit", ""), is_active=True).first()
    if unit is None:
        raise Http404("no such unit")
    try:
        bulletin = services.request_bulletin(request.user, unit, request.POST.get("period", ""), language=get_language())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("analytics:unit", code=unit.code)
    return redirect("bulletins:detail", pk=bulletin.pk)


@login_required
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The bulletin's state; the status block alone for htmx's polling."""
    bulletin = _bulletin(request, pk)
    if request.htmx:
        return render(request, "bulletins/_status.html", {"bulletin": bulletin})
    return render(request, "bulletins/detail.html", {"bulletin": bulletin})


@login_required
def bulletin_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _bulletin(request, pk)
    if bulletin.state != Bulletin.State.DONE:
        raise Http404("not ready")
    pdf = Bulletin.objects.values_list("pdf", flat=True).get(pk=bulletin.pk)
    response = HttpResponse(bytes(pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{bulletin.filename}"'
    return response
