from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from luoshi.core import authz
from luoshi.orgs import queries as org_queries
from luoshi.orgs.models import Role
from luoshi.plans import queries as plan_queries


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles_by_unit: dict[int, list[tuple[str, bool]]] = {}
    for g in authz.grants(request.user):
        roles_by_unit.setdefault(g.unit_id, []).append((Role(g.role).label, g.covers_below))
    units = [(u, roles_by_unit.get(u.pk, [])) for u in org_queries.my_units(request.user)]
    return render(request, "core/home.html", {
        "my_units": units, **plan_queries.my_work_summary(request.user),
        "unread": plan_queries.unread_head(request.user),
        "invitations": org_queries.own_invitations(request.user),
    })


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
