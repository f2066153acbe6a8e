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
        # Only what the home page shows of them: no joined item, no inviting user.
        "unread": plan_queries.notifications(request.user, unread_only=True).select_related(None)
        .only("pk", "kind", "title", "url", "created_at", "read_at")[:5],
        "invitations": list(org_queries.invitations_for(request.user).select_related(None).select_related("unit")
                            .only("pk", "role", "covers_below", "unit__name")),
    })


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
