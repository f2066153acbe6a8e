"""Scoped reads of bulletins."""

from __future__ import annotations

from django.db.models import QuerySet

from luoshi.bulletins.models import Bulletin
from luoshi.core import authz


def bulletins(user, unit=None) -> QuerySet[Bulletin]:
    qs = authz.scope(user, Bulletin.objects.select_related("unit", "requested_by")).defer("pdf")
    if unit is not None:
        qs = qs.filter(unit=unit)
    return qs.order_by("-created_at", "-id")
