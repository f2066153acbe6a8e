"""``luoshi demo [--no-serve] [--port N]``: an embedded database with realistic demo data."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from luoshi.core.context import batch
from luoshi.orgs import demo as org_demo


def load_demo() -> dict[str, int]:
    """Load every domain's demo data; running it again changes nothing."""
    from luoshi.accounts import services as account_services

    with batch("cli"), transaction.atomic():
        admin = get_user_model().objects.filter(username="admin").first()
        if admin is None:
            admin = account_services.create_user(None, username="admin", password=org_demo.DEMO_PASSWORD,
                                                 display_name="系统管理员", is_superuser=True)
        summary = org_demo.load(admin)
        for loader in _domain_loaders():
            summary.update(loader(admin))
    return summary


def _domain_loaders():
    """Demo loaders of the domains after ``orgs``, in dependency order."""
    from luoshi.analytics import demo as analytics_demo
    from luoshi.plans import demo as plan_demo

    # analytics last: it aggregates the values the loaders before it wrote
    return [plan_demo.load, plan_demo.load_current, analytics_demo.load]


class Command(BaseCommand):
    help = "Prepare the embedded database with demo data and serve it."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="only prepare the database")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, no_serve: bool, port: int, **options):
        call_command("migrate", interactive=False, verbosity=0)
        summary = load_demo()
        db = settings.DATABASES["default"]
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {db['NAME']} ({summary['units']} org units)."))
        self.stdout.write(f"Log in at http://127.0.0.1:{port}/ with password '{org_demo.DEMO_PASSWORD}' (demo only) as:")
        for username, display, unit, role in org_demo.USERS:
            self.stdout.write(f"  {username:<18} {display} · {role or 'superuser'}{' @ ' + unit if unit else ''}")
        if not no_serve:
            from luoshi.core.server import run_gunicorn

            # The background worker runs beside the site (reminders, large intake files).
            worker = subprocess.Popen([sys.executable, "-m", "luoshi", "worker"])
            self.stdout.write(f"Background worker started (pid {worker.pid}).")
            me = os.getpid()
            try:
                run_gunicorn("127.0.0.1", port)
            finally:
                if os.getpid() == me:  # not in a forked web worker leaving
                    worker.terminate()
                    worker.wait(timeout=10)
