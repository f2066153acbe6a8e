"""``policy`` management command: work with policy documents.

    luoshi policy parse PATH [--json] [--to simplified]
    luoshi policy import PATH --plan-title TITLE [--issuer CODE] [--to simplified]
                         [--as USERNAME] [--start-year Y --end-year Y]

Exit codes: 0 success, 2 unreadable input (one line on stderr), 3 refused as
spam; ``import`` also 1 when the plan cannot be created (no such user or unit,
no permission, bad years). Each subcommand has a parser in ``add_arguments``
and a ``handle_<name>`` method; ``handle`` dispatches.
"""

from __future__ import annotations

import json
import os
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from django.urls import reverse

from luoshi.intake.errors import IntakeError
from luoshi.intake.outline import render
from luoshi.intake.pipeline import parse_path


class Command(BaseCommand):
    help = ("Work with policy documents (parse: read, clean and structure one file; "
            "import: create a draft plan from its outline).")

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
        self._add_parse(subcommands.add_parser(
            "parse", help="read a policy document and print its clean text and structure"))
        self._add_import(subcommands.add_parser(
            "import", help="create a draft plan whose items are the document's outline"))

    @staticmethod
    def _add_parse(parser: ArgumentParser) -> None:
        parser.add_argument("path", metavar="PATH", help="a .txt, .html, .docx or .pdf file")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print one JSON object")
        parser.add_argument("--to", choices=["simplified"], dest="to_script",
                            help="convert the text to simplified script (OpenCC t2s)")
        parser.add_argument("--progress", action="store_true",
                            help="report progress on standard error")

    @staticmethod
    def _add_import(parser: ArgumentParser) -> None:
        parser.add_argument("path", metavar="PATH", help="a .txt, .html, .docx or .pdf file")
        parser.add_argument("--plan-title", required=True, help="the title of the new plan")
        parser.add_argument("--issuer", metavar="CODE", help="code of the issuing unit (default: MOE)")
        parser.add_argument("--to", choices=["simplified"], dest="to_script",
                            help="convert the text to simplified script (OpenCC t2s)")
        parser.add_argument("--as", dest="username", help="act as this user (default: the first superuser)")
        parser.add_argument("--start-year", type=int, help="first year of the plan (default: this year)")
        parser.add_argument("--end-year", type=int, help="last year of the plan (default: the start year)")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"handle_{options['subcommand']}")
        handler(**options)

    def handle_parse(self, *, path: str, as_json: bool = False, to_script: str | None = None,
                     progress: bool = False, **_: Any) -> None:
        report = self._progress if progress else None
        try:
            document = parse_path(path, to_simplified=to_script == "simplified", progress=report)
        except IntakeError as exc:
            raise CommandError(str(exc), returncode=exc.exit_code) from exc
        if as_json:
            self.stdout.write(json.dumps(document.to_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render(document))

    def _progress(self, stage: str, fraction: float) -> None:
        self.stderr.write(f"\r{stage:<10} {fraction:4.0%}", ending="\n" if fraction >= 1 else "")
        self.stderr.flush()

    def handle_import(self, *, path: str, plan_title: str, issuer: str | None = None, to_script: str | None = None,
                      username: str | None = None, start_year: int | None = None, end_year: int | None = None,
                      **_: Any) -> None:
        from luoshi.core.commands import acting_user
        from luoshi.core.context import batch
        from luoshi.orgs.models import OrgUnit
        from luoshi.plans import services as plan_services

        actor = acting_user(username)
        code = issuer or "MOE"
        unit = OrgUnit.objects.filter(code=code, is_active=True).first()
        if unit is None:
            raise CommandError(f"no active unit with code {code!r}" + ("" if issuer else "; pass --issuer CODE"))
        if not plan_title.strip():
            raise CommandError("--plan-title must not be empty")
        try:
            document = parse_path(path, to_simplified=to_script == "simplified")
        except IntakeError as exc:
            raise CommandError(str(exc), returncode=exc.exit_code) from exc
        try:
            with batch("cli") as opened:
                plan = plan_services.create_plan_from_outline(
                    actor, title=plan_title.strip(), issuer=unit, parsed=document.to_dict(),
                    filename=os.path.basename(path), start_year=start_year, end_year=end_year)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except (PermissionDenied, Http404) as exc:
            raise CommandError(f"{actor.username} may not create plans in {unit.code}: {exc}") from None
        count = plan.items.count()
        self.stdout.write(f"plan {plan.pk}: {count} items, {reverse('plans:detail', args=[plan.pk])} "
                          f"(draft, issued by {unit.code}; batch {opened.batch_id})")


