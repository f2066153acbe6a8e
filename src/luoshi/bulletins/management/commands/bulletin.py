"""``luoshi bulletin --unit CODE --period P [-o FILE] [--queue] [--as USER]``: a bulletin (通报) PDF.

Without ``--queue`` the PDF is written here and now (progress on standard error) and saved to
``FILE`` (default ``bulletin-CODE-P.pdf``); with ``--queue`` it is left to ``luoshi worker``
like a bulletin asked for on the web. Either way the request is recorded (and audited).
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from luoshi.bulletins import build, services
from luoshi.bulletins.models import Bulletin
from luoshi.core.commands import acting_user
from luoshi.core.context import batch
from luoshi.orgs.models import OrgUnit


class Command(BaseCommand):
    help = "Write a bulletin (PDF) on a unit and the units below it for a period."

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help="code of the unit the bulletin is about")
        parser.add_argument("--period", required=True, help="2024, 2024-H2, 2024-Q3 or 2024-07")
        parser.add_argument("-o", "--output", help="PDF file to write (default: bulletin-UNIT-PERIOD.pdf)")
        parser.add_argument("--queue", action="store_true", help="leave the writing to the background worker")
        parser.add_argument("--language", default="zh-hans", choices=services.LANGUAGES)
        parser.add_argument("--as", dest="username", help="act as this user (default: the first superuser)")

    def handle(self, *args, **options):
        actor = acting_user(options.get("username"))
        unit = OrgUnit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"no unit {options['unit']!r}")
        try:
            with batch("cli"):
                bulletin = services.request_bulletin(actor, unit, options["period"], language=options["language"],
                                                     enqueue=options["queue"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        except (PermissionDenied, Http404):
            raise CommandError(f"{actor.username} may not make a bulletin on {unit.code}") from None
        if options["queue"]:
            self.stdout.write(f"bulletin {bulletin.pk} queued; `luoshi worker` writes it")
            return

        def progress(percent: int, step: str) -> None:
            services.set_progress(bulletin.pk, percent, step)
            sys.stderr.write(f"\r[{'#' * (percent // 5):<20}] {percent:3d}% {step:<30}")
            sys.stderr.flush()

        with batch("cli"):
            result = build.build_with(bulletin.pk, progress)
        sys.stderr.write("\n")
        done = Bulletin.objects.get(pk=bulletin.pk)
        if done.state != Bulletin.State.DONE:
            raise CommandError(f"bulletin {bulletin.pk} failed: {done.error}")
        path = Path(options["output"] or done.filename)
        path.write_bytes(bytes(done.pdf))
        self.stdout.write(f"{path} ({result['bytes']:,} bytes)")
