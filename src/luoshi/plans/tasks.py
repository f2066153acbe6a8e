"""Background jobs of the plans domain (run by ``luoshi worker``)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from luoshi.core.context import batch
from luoshi.plans import reminders


@task()
def run_supervision(today: str | None = None) -> dict[str, int]:
    """Refresh traffic lights and send due reminders; safe to run again (reminders go out once)."""
    from datetime import date

    day = date.fromisoformat(today) if today else timezone.localdate()
    with batch("worker"):
        return reminders.daily(day)
