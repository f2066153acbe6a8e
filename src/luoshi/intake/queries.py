"""Lookups of intake drafts: a draft is visible to its owner only, and only until it expires."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from luoshi.intake.models import Draft
from luoshi.intake.services import expiry_cutoff


def drafts(user) -> QuerySet[Draft]:
    """The user's unexpired drafts, newest first (without their large fields)."""
    return (Draft.objects.filter(owner=user, created_at__gte=expiry_cutoff())
            .defer("data", "parsed", "preview", "outline").order_by("-created_at"))


def draft(user, token) -> Draft:
    """The user's draft with this token, else 404 (another user's draft is as absent as a missing one)."""
    found = Draft.objects.filter(owner=user, token=token, created_at__gte=expiry_cutoff()).defer("data").first()
    if found is None:
        raise Http404("not found")
    return found
