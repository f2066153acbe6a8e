"""``luoshi orgunits import FILE`` / ``luoshi orgunits export [--format csv|xlsx] [-o FILE]``."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from luoshi.core.commands import acting_user
from luoshi.core.context import batch
from luoshi.core.tabular import TableError, read_table, write_csv, write_xlsx
from luoshi.orgs import queries, services




class Command(BaseCommand):
    help = "Import or export org units (columns code,name,type,parent_code[,short_name])."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="create or update units from a CSV or XLSX file, all or nothing")
        imp.add_argument("file")
        imp.add_argument("--as", dest="username", help="act as this user (default: the first superuser)")
        exp = sub.add_parser("export", help="write units in the import format")
        exp.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        exp.add_argument("-o", "--output", help="file to write (default: standard output for CSV)")
        exp.add_argument("--as", dest="username")

    def handle(self, *args, action: str, **options):
        actor = acting_user(options.get("username"))
        if action == "import":
            self._import(actor, Path(options["file"]))
        else:
            self._export(actor, options["format"], options.get("output"))

    def _import(self, actor, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot read ({exc.strerror})", returncode=2) from None
        try:
            rows = read_table(data, path.name, services.IMPORT_COLUMNS, services.IMPORT_OPTIONAL)
            with batch("import") as opened:
                result = services.import_units(actor, rows, path.name)
        except TableError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{path.name}: nothing imported ({len(exc.errors)} problem(s))", returncode=1) from None
        self.stdout.write(f"{path.name}: {result['created']} created, {result['updated']} updated, "
                          f"{result['unchanged']} unchanged (batch {opened.batch_id})")

    def _export(self, actor, fmt: str, output: str | None) -> None:
        header, rows = services.export_rows(queries.units(actor, include_inactive=True))
        if fmt == "xlsx":
            if not output:
                raise CommandError("--output is required for xlsx")
            Path(output).write_bytes(write_xlsx(header, rows, "org_units"))
        elif output:
            Path(output).write_bytes(write_csv(header, rows))
        else:
            sys.stdout.write(write_csv(header, rows).decode("utf-8-sig"))
