"""The navigation badges (reports waiting for review, unread notifications), cached briefly.

Every page shows them, and counting the review queue means compiling and running a scoped query:
about as much work as a small page. So each user's counts are kept in the shared cache (one file
read per page) under the current *generation*, and every write that can change any count starts
a new generation:

* saving or deleting a report, a notification, an item, a membership or an org unit (signals,
  ``connect``), and the bulk writes that bypass signals (``changed()`` called by their services:
  notifications sent or marked read);
* a new generation is taken at once *and* again when the transaction commits, so a page rendered
  between the write and its commit cannot keep an old count under the new generation.

An entry also expires after ``TTL_SECONDS`` whatever happens (a missed write shows a stale badge
for at most that long; the badge is a hint, the pages themselves always query live data).
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "luoshi:badges:generation"
TTL_SECONDS = 60


def _new_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def changed() -> None:
    """Something a badge counts changed: no cached count is used from now on (nor after commit).

    The commit hook is registered once per transaction (an import saving thousands of rows adds
    one hook, not thousands); the immediate new generation is taken on every call, since a page
    rendered inside the same transaction may have cached what it saw in between."""
    _new_generation()
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(entry[1] is _new_generation for entry in connection.run_on_commit):
        return
    transaction.on_commit(_new_generation)


def _generation() -> str:
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = uuid.uuid4().hex
        if not cache.add(GENERATION_KEY, value, None):
            value = cache.get(GENERATION_KEY) or value
    return value


def nav_counts(user, compute) -> dict[str, int]:
    """``compute(user)`` (the badge counts) from the cache when nothing changed since."""
    key = f"luoshi:badges:{user.pk}:{_generation()}"
    counts = cache.get(key)
    if counts is None:
        counts = compute(user)
        cache.set(key, counts, TTL_SECONDS)
    return counts


def _on_write(sender, **kwargs) -> None:
    changed()


def connect() -> None:
    """Start a new generation on every save or delete of the models the badges depend on."""
    from django.db.models.signals import post_delete, post_save

    from luoshi.orgs.models import Membership, OrgUnit
    from luoshi.plans.models import Notification, PlanItem, ProgressReport

    for model in (ProgressReport, Notification, PlanItem, Membership, OrgUnit):
        post_save.connect(_on_write, sender=model, dispatch_uid=f"luoshi-badges-save-{model._meta.label_lower}")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"luoshi-badges-delete-{model._meta.label_lower}")
