"""Scoped reads of the pilots domain: every list goes through ``authz.scope``."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from luoshi.core import authz
from luoshi.core.text import search_q
from luoshi.pilots.models import Application, Pilot, Programme, ProgressEntry, Review


def programmes(user, status: str | None = None, q: str = "") -> QuerySet[Programme]:
    qs = authz.scope(user, Programme).select_related("owner")
    if status:
        qs = qs.filter(status=status)
    if q.strip():
        qs = qs.filter(search_q(q.strip(), "title", "aims", "call_text"))
    return qs.annotate(application_count=Count("applications", distinct=True),
                       pilot_count=Count("pilots", distinct=True)).order_by("-starts_on", "title", "pk")


def open_calls(user) -> QuerySet[Programme]:
    return programmes(user, status=Programme.Status.OPEN)


def applications(user, programme: Programme | None = None, state: str | None = None, q: str = "") -> QuerySet[Application]:
    qs = authz.scope(user, Application).select_related("programme", "unit")
    if programme is not None:
        qs = qs.filter(programme=programme)
    if state:
        qs = qs.filter(state=state)
    if q.strip():
        qs = qs.filter(search_q(q.strip(), "unit__name", "aims", "approach", "programme__title"))
    return qs.order_by("-updated_at", "-id")


def application_queue(user) -> QuerySet[Application]:
    """Applications waiting for this user's decision (submitted or shortlisted, in the owner's scope)."""
    return authz.scope(user, Application, "review").filter(
        state__in=[Application.State.SUBMITTED, Application.State.SHORTLISTED]
    ).select_related("programme", "unit").order_by("submitted_at", "id")


def pilots(user, programme: Programme | None = None, state: str | None = None, q: str = "") -> QuerySet[Pilot]:
    qs = authz.scope(user, Pilot).select_related("programme", "unit")
    if programme is not None:
        qs = qs.filter(programme=programme)
    if state:
        qs = qs.filter(state=state)
    if q.strip():
        qs = qs.filter(search_q(q.strip(), "title", "unit__name", "programme__title"))
    return qs.order_by("programme_id", "unit__code")


def entries(user, pilot: Pilot) -> QuerySet[ProgressEntry]:
    return authz.scope(user, ProgressEntry).filter(pilot=pilot).select_related("author", "responded_by").prefetch_related("evidence")


def raised_issues(user) -> QuerySet[ProgressEntry]:
    """Problems raised to this user's level and not answered yet."""
    return authz.scope(user, ProgressEntry, "review").filter(escalation=ProgressEntry.Escalation.OPEN).select_related(
        "pilot", "pilot__unit").order_by("entry_date", "id")


def reviews(user, pilot: Pilot | None = None, state: str | None = None, outcome: str | None = None,
            q: str = "") -> QuerySet[Review]:
    qs = authz.scope(user, Review).select_related("pilot", "pilot__unit", "pilot__programme")
    if pilot is not None:
        qs = qs.filter(pilot=pilot)
    if state:
        qs = qs.filter(state=state)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if q.strip():
        qs = qs.filter(search_q(q.strip(), "pilot__title", "lessons", "core_problems", "what_worked"))
    return qs


def review_queue(user) -> QuerySet[Review]:
    return authz.scope(user, Review, "review").filter(state=Review.State.SUBMITTED).select_related(
        "pilot", "pilot__unit", "pilot__programme").order_by("submitted_at", "id")
