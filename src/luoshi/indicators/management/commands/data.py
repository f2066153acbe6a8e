"""``luoshi data import FILE [--dry-run]``, ``luoshi data export --indicator CODE …``,
``luoshi data targets FILE [--dry-run]``, ``luoshi data recover``, ``luoshi data outliers``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from luoshi.core import authz, tabular
from luoshi.core.commands import acting_user
from luoshi.core.context import batch
from luoshi.indicators import imports, queries, services
from luoshi.indicators.models import DataValue, Indicator
from luoshi.orgs.models import OrgUnit
from luoshi.plans import rules as period_rules


class Command(BaseCommand):
    help = "Import and export indicator values (columns indicator,org_unit,period,value[,category,comment])."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import values from a CSV or XLSX file, all or nothing")
        imp.add_argument("file")
        imp.add_argument("--dry-run", action="store_true", help="check and report what would change; write nothing")
        imp.add_argument("--quiet", action="store_true", help="no progress lines")
        imp.add_argument("--as", dest="username", help="act as this user (default: the first superuser)")
        tgt = sub.add_parser("targets", help="import targets from a CSV or XLSX file (indicator,org_unit,year,value)")
        tgt.add_argument("file")
        tgt.add_argument("--dry-run", action="store_true")
        tgt.add_argument("--as", dest="username")
        exp = sub.add_parser("export", help="write values in the import format")
        exp.add_argument("--indicator", required=True)
        exp.add_argument("--period")
        exp.add_argument("--unit", help="this unit and the units below it")
        exp.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv")
        exp.add_argument("-o", "--output", help="file to write (default: standard output for csv and json)")
        exp.add_argument("--as", dest="username")
        rec = sub.add_parser("recover", help="undo imports interrupted by a crash")
        rec.add_argument("--as", dest="username")

    def handle(self, *args, action: str, **options):
        actor = acting_user(options.get("username"))
        try:
            if action == "import":
                self._import(actor, Path(options["file"]), options["dry_run"], options["quiet"])
            elif action == "targets":
                self._targets(actor, Path(options["file"]), options["dry_run"])
            elif action == "export":
                self._export(actor, options)
            else:
                count = imports.recover_imports()
                self.stdout.write(f"{count} interrupted import(s) undone")
        except (PermissionDenied, Http404) as exc:
            raise CommandError(f"refused: {exc or 'not found'}", returncode=3) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=1) from None

    def _progress(self):
        last = [0.0]

        def report(phase: str, done: int, total: int | None) -> None:
            now = time.monotonic()
            if total is None and now - last[0] < 1.0:
                return
            last[0] = now
            label = {"read": "read and checked", "check": "checking", "write": "written"}[phase]
            self.stderr.write(f"  {label}: {done:,} rows" + (f" of {total:,}" if total else ""))

        return report

    def _report(self, result, name: str) -> None:
        for error in result.errors:
            self.stderr.write(f"{name}, {error}")
        for warning in result.warnings[:200]:
            self.stderr.write(f"{name}, warning: {warning}")
        if not result.ok:
            raise CommandError(result.summary(), returncode=1)
        self.stdout.write(result.summary())

    def _import(self, actor, path: Path, dry_run: bool, quiet: bool) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        with batch("import"):
            result = imports.import_values(actor, path, filename=path.name, dry_run=dry_run,
                                           progress=None if quiet else self._progress())
        self._report(result, path.name)

    def _targets(self, actor, path: Path, dry_run: bool) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        with batch("import"):
            result = imports.import_targets(actor, path, filename=path.name, dry_run=dry_run)
        self._report(result, path.name)

    def _export(self, actor, options) -> None:
        indicator = authz.get_or_404(actor, Indicator, code=options["indicator"])
        unit = authz.get_or_404(actor, OrgUnit, code=options["unit"]) if options.get("unit") else None
        period = None
        if options.get("period"):
            try:
                period = period_rules.normalise_period(options["period"])[1].key
            except ValueError as exc:
                raise CommandError(str(exc), returncode=2) from None
        qs = queries.values(actor, indicator=indicator, unit=unit, period=period, below=True)
        rows = queries.export_rows(qs)
        fmt, output = options["format"], options.get("output")
        if fmt == "xlsx":
            if not output:
                raise CommandError("--output is required for xlsx", returncode=2)
            Path(output).write_bytes(tabular.write_xlsx(queries.EXPORT_HEADER, list(rows), "values"))
            return
        if fmt == "json":
            items = [dict(zip(queries.EXPORT_HEADER, (tabular.neutralise(c) for c in row))) for row in rows]
            text = json.dumps({"items": items, "count": len(items)}, ensure_ascii=False, indent=1)
            data = text.encode()
        else:
            data = tabular.write_csv(queries.EXPORT_HEADER, rows)
        if output:
            Path(output).write_bytes(data)
        else:
            sys.stdout.write(data.decode("utf-8-sig"))
