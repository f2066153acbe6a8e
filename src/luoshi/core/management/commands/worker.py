"""``luoshi worker``: the background worker (django-tasks-db's ``db_worker``).

Besides running queued jobs, it enqueues the daily supervision run (traffic-light refresh and
reminders) once a day. Several workers may run: reminders carry unique keys, so a second
enqueue on the same day sends nothing twice.
"""

from __future__ import annotations

import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone


def _schedule_daily(stop: threading.Event, interval_seconds: int = 600) -> None:
    from luoshi.plans.tasks import run_supervision

    last_day = None
    while not stop.is_set():
        today = timezone.localdate()
        if today != last_day:
            run_supervision.enqueue(today.isoformat())
            last_day = today
        stop.wait(interval_seconds)


class Command(BaseCommand):
    help = "Run the background worker that executes queued jobs (reminders, escalations, long imports)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")
        parser.add_argument("--no-schedule", action="store_true", help="do not enqueue the daily supervision run")

    def handle(self, *args, batch: bool, no_schedule: bool, **options):
        stop = threading.Event()
        if not batch and not no_schedule:
            threading.Thread(target=_schedule_daily, args=(stop,), daemon=True, name="luoshi-daily").start()
        try:
            call_command("db_worker", *(["--batch", "--no-startup-delay"] if batch else []))
        finally:
            stop.set()
