"""``policy`` management command: work with policy documents.

    luoshi policy parse PATH [--json] [--to simplified]

Exit codes: 0 success, 2 unreadable input (one line on stderr), 3 refused as
spam. A further subcommand (``import``) is added with a parser in
``add_arguments`` and a ``handle_<name>`` method; ``handle`` dispatches.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from luoshi.intake.errors import IntakeError
from luoshi.intake.outline import render
from luoshi.intake.pipeline import parse_path


class Command(BaseCommand):
    help = "Work with policy documents (parse: read, clean and structure one file)."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
        self._add_parse(subcommands.add_parser(
            "parse", help="read a policy document and print its clean text and structure"))

    @staticmethod
    def _add_parse(parser: ArgumentParser) -> None:
        parser.add_argument("path", metavar="PATH", help="a .txt, .html, .docx or .pdf file")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print one JSON object")
        parser.add_argument("--to", choices=["simplified"], dest="to_script",
                            help="convert the text to simplified script (OpenCC t2s)")
        parser.add_argument("--progress", action="store_true",
                            help="report progress on standard error")

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

