"""``luoshi analytics rebuild`` (with a progress bar), ``luoshi analytics export --indicator CODE …``
(aggregated values; the raw-value export is ``luoshi data export``), ``luoshi analytics evaluate``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from luoshi.analytics import queries, services
from luoshi.core import tabular
from luoshi.core.commands import acting_user
from luoshi.core.context import batch
from luoshi.plans import rules as period_rules


class Command(BaseCommand):
    help = "Rebuild and export the aggregated indicator values; compute evaluation results."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        reb = sub.add_parser("rebuild", help="recompute every aggregate (swapped in atomically when done)")
        reb.add_argument("--quiet", action="store_true", help="no progress bar")
        reb.add_argument("--as", dest="username")
        reb.add_argument("--engine", choices=["database", "spark"], default="database",
                         help="where the rollup runs (spark: needs the spark extra and Java 17)")
        reb.add_argument("--master", help="Spark master URL (default local[2]; e.g. spark://127.0.0.1:7077)")
        exp = sub.add_parser("export", help="write aggregated values (indicator, unit, period, value, completeness, target …)")
        exp.add_argument("--aggregated", action="store_true", help="accepted for symmetry with `luoshi data export`")
        exp.add_argument("--indicator", required=True)
        exp.add_argument("--unit", help="default: the units the user may see at the top")
        exp.add_argument("--period")
        exp.add_argument("--level", type=int, help="the units at this depth below --unit")
        exp.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv")
        exp.add_argument("-o", "--output")
        exp.add_argument("--as", dest="username")
        ev = sub.add_parser("evaluate", help="compute (and optionally publish) a scheme's results for a year")
        ev.add_argument("--scheme", required=True, help="scheme code (its current revision)")
        ev.add_argument("--year", type=int, required=True)
        ev.add_argument("--publish", action="store_true")
        ev.add_argument("--as", dest="username")

    def handle(self, *args, action: str, **options):
        actor = acting_user(options.get("username"))
        try:
            if action == "rebuild":
                with batch("cli"):
                    result = services.rebuild(actor, None if options["quiet"] else self._bar(),
                                              engine_name=options["engine"], master=options.get("master"))
                self.stderr.write("")
                self.stdout.write(f"{result['rows']:,} aggregated values in {result['seconds']:.1f} s")
            elif action == "export":
                self._export(actor, options)
            else:
                self._evaluate(actor, options)
        except (PermissionDenied, Http404) as exc:
            raise CommandError(f"refused: {exc or 'not found'}", returncode=3) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=1) from None

    def _bar(self):
        def show(done: int, total: int, label: str) -> None:
            width = 30
            filled = int(width * done / max(total, 1))
            self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<24}", ending="")
            self.stderr.flush()

        return show

    def _export(self, actor, options) -> None:
        indicator = queries.indicator(actor, options["indicator"])
        period = None
        if options.get("period"):
            try:
                period = period_rules.normalise_period(options["period"])[1].key
            except ValueError as exc:
                raise CommandError(str(exc), returncode=2) from None
        unit = queries.unit(actor, options["unit"]) if options.get("unit") else None
        rows = queries.aggregates(actor, indicator=indicator, unit=unit, period=period, level=options.get("level"),
                                  limit=10_000_000)
        table = queries.export_rows(rows)
        fmt, output = options["format"], options.get("output")
        if fmt == "xlsx":
            if not output:
                raise CommandError("--output is required for xlsx", returncode=2)
            Path(output).write_bytes(tabular.write_xlsx(queries.EXPORT_HEADER, table, "aggregates"))
            return
        if fmt == "json":
            items = [dict(zip(queries.EXPORT_HEADER, (tabular.neutralise(c) for c in row))) for row in table]
            data = json.dumps({"items": items, "count": len(items)}, ensure_ascii=False, indent=1).encode()
        else:
            data = tabular.write_csv(queries.EXPORT_HEADER, table)
        if output:
            Path(output).write_bytes(data)
        else:
            sys.stdout.write(data.decode("utf-8-sig"))

    def _evaluate(self, actor, options) -> None:
        scheme = queries.schemes(actor, current_only=True).filter(code=options["scheme"]).first()
        if scheme is None:
            raise CommandError(f"no scheme {options['scheme']!r} in your scope", returncode=3)
        with batch("cli"):
            run = services.compute_run(actor, scheme, options["year"])
            if options["publish"]:
                run = services.publish_run(actor, run)
        for result in queries.results(actor, run)[:50]:
            score = "—" if result.score is None else f"{result.score:.2f}"
            self.stdout.write(f"{result.rank or '':>3} {result.unit.code:<10} {score:>7}  {result.unit.name}")
