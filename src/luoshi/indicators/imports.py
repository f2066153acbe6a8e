"""Bulk import of indicator values (CLI, API and upload page) and of targets.

One import is all-or-nothing for the user, yet never holds SQLite's write lock (one writer at a
time) for its whole length. It runs in three phases (see "Bulk import" in docs/architecture.md):

1. **Stage.** The file is read as a stream (CSV row by row, XLSX through openpyxl's read-only
   mode); each row is checked against in-memory lookups (indicators, the units the importer
   may enter data for, categories, periods, value types, ranges), the common plain numeric CSV
   row on the reader's own cells with dictionary look-ups only. Good rows are staged in chunks
   of ``LUOSHI_IMPORT_BATCH_ROWS``: SQLite, the table ``ImportRow`` in short transactions;
   PostgreSQL, ``COPY`` into a temporary table of the session. Memory stays flat: only the
   lookups and one chunk are held.
2. **Check.** Set-based SQL over the staged rows finds duplicate rows, values locked by a
   submission or an approval, and the existing value of each row (so an unchanged row is
   known as such); the rules between indicators are evaluated per unit, period and category.
   Any bad row: nothing is written, every bad row is reported, the staged rows are dropped.
3. **Apply.** The changed rows are written to ``DataValue`` in chunks. SQLite: each chunk is a
   short transaction which first copies the values it overwrites into the staged rows and
   records how far it got (``DataImport.applied_upto``); if a chunk fails, the chunks already
   written are undone from those copies; if the process dies, the next import (or ``luoshi
   data recover``) undoes them. PostgreSQL: the chunks, the done state and the audit record are
   one transaction (the server undoes it after any failure or crash).

A dry run stops after phase 2 and reports what would change.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.core import authz, batches, tabular
from luoshi.indicators import services, validation
from luoshi.indicators.models import (
    Category, DataImport, DataValue, Indicator, ImportRow, Target, ValueState,
)
from luoshi.orgs.models import OrgUnit
from luoshi.plans import rules as period_rules

COLUMNS = ["indicator", "org_unit", "period", "value"]
OPTIONAL = ["category", "comment"]
TARGET_COLUMNS = ["indicator", "org_unit", "year", "value"]
MAX_ERRORS = 10000  # listed; beyond this the count is still reported
STAGE_COLUMNS = ("batch", "row", "indicator_id", "unit_id", "period", "category_id", "value", "text_value",
                 "comment", "changes", "old_text_value", "old_comment")
OUTLIER_INLINE_LIMIT = 2000  # imports up to this many changed rows get outlier warnings at once


@dataclass(frozen=True)
class RowError:
    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = _("row %(row)s") % {"row": self.row} if self.row is not None else _("file")
        if self.field:
            where += f", {self.field}"
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    filename: str = ""
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)
    import_id: uuid.UUID | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase (stage, check, write)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_error(self, row: int | None, field_: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, field_, message))

    def summary(self) -> str:
        name = self.filename or _("the data")
        if not self.ok:
            more = self.error_count - len(self.errors)
            text = _("%(name)s: nothing imported, %(count)d bad row(s)") % {"name": name, "count": self.error_count}
            return text + (_(" (the first %(n)d listed)") % {"n": len(self.errors)} if more > 0 else "")
        if self.created == 0 and self.changed == 0:
            return _("%(name)s: nothing to change — all %(rows)d value(s) are already as in the file") % {
                "name": name, "rows": self.rows}
        if self.dry_run:
            return _("%(name)s (dry run, nothing written): would create %(created)d, change %(changed)d, "
                     "leave %(unchanged)d unchanged") % {"name": name, "created": self.created, "changed": self.changed,
                                                         "unchanged": self.unchanged}
        return _("%(name)s: %(created)d created, %(changed)d changed, %(unchanged)d unchanged") % {
            "name": name, "created": self.created, "changed": self.changed, "unchanged": self.unchanged}

    def as_dict(self) -> dict:
        return {"ok": self.ok, "dry_run": self.dry_run, "rows": self.rows, "created": self.created,
                "changed": self.changed, "unchanged": self.unchanged, "error_count": self.error_count,
                "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in self.errors],
                "warnings": self.warnings, "summary": self.summary()}


class BadFile(Exception):
    """The file as a whole cannot be read (message for the user)."""


Progress = Callable[[str, int, int | None], None]  # (phase, done, total or None)


# Reading -------------------------------------------------------------------------------------

def _open_binary(source) -> tuple[io.BufferedIOBase, bool]:
    if isinstance(source, (str, Path)):
        try:
            return open(source, "rb"), True
        except OSError as exc:
            raise BadFile(_("cannot read the file (%(reason)s)") % {"reason": exc.strerror}) from None
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(source), True
    return source, False


def _is_xlsx(stream, filename: str) -> bool:
    head = stream.read(4)
    stream.seek(0)
    return PurePath(filename).suffix.lower() == ".xlsx" or head == tabular.XLSX_MAGIC


def _csv_rows(stream) -> Iterator[list[str]]:
    sample = stream.read(65536)
    stream.seek(0)
    if b"\x00" in sample[:4096]:
        raise BadFile(_("the file is binary or UTF-16, not a CSV text file; save it as CSV UTF-8"))
    try:
        sample.decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as exc:
        # A sample may end inside a character; only an error well before the end counts.
        encoding = "utf-8-sig" if len(sample) == 65536 and exc.start >= len(sample) - 3 else "gb18030"
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        yield from csv.reader(text)
    except UnicodeDecodeError:
        raise BadFile(_("cannot decode the file; save it as CSV UTF-8 (or GB18030)")) from None
    except csv.Error as exc:
        raise BadFile(_("not a readable CSV file (%(reason)s)") % {"reason": exc}) from None
    finally:
        text.detach()


def _xlsx_rows(stream) -> Iterator[list[object]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(stream) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        size = stream.seek(0, io.SEEK_END)
        stream.seek(0)
    except zipfile.BadZipFile:
        raise BadFile(_("not a readable .xlsx workbook")) from None
    if unpacked > tabular.MAX_UNPACKED_BYTES * 10 or (size and unpacked / size > tabular.MAX_PACKING_RATIO):
        raise BadFile(_("not read: it unpacks to %(mb)s MB, packed too tightly for a real workbook") % {"mb": unpacked // 1048576})
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a broken file
        raise BadFile(_("not a readable .xlsx workbook")) from None
    try:
        for row in wb.worksheets[0].iter_rows(values_only=True):
            yield ["" if c is None else c for c in row]
    finally:
        wb.close()


def read_rows(source, filename: str, required: list[str], optional: list[str], *,
              raw: bool = False) -> Iterator[tuple[int, dict[str, str] | list[str] | tuple[str, ...]]]:
    """Stream ``(row number, {column: text})`` from a CSV or XLSX source; row 1 is the header.

    With ``raw``, a CSV file gives its header first as ``(1, tuple of names)`` and then every row
    of the header's width as the reader's own list of cells, untouched (the importer's fast path
    checks those and falls back to :func:`clean_row` for anything unusual); other rows still
    come as dicts.
    """
    stream, owned = _open_binary(source)
    raw_rows = None
    try:
        xlsx = _is_xlsx(stream, filename)
        raw_rows = _xlsx_rows(stream) if xlsx else _csv_rows(stream)
        header = None
        width = 0
        for number, cells in enumerate(raw_rows, start=1):
            if header is None:
                header = [str(c).strip().lower().lstrip("\ufeff") for c in cells]
                _check_header(header, required, optional)
                width = len(header)
                if raw and not xlsx:
                    yield number, tuple(header)
                continue
            if xlsx:
                cells = [_cell(c) for c in cells]
            elif len(cells) == width:
                if raw:
                    yield number, cells
                    continue
                if cells[-1] and cells[0]:
                    row = clean_row(header, cells)
                    if row is not None:
                        yield number, row
                    continue
            if not any(str(c).strip() for c in cells):
                continue
            yield number, {name: (_restore(str(cells[i]).strip()) if i < len(cells) else "")
                           for i, name in enumerate(header) if name}
        if header is None:
            raise BadFile(_("the file is empty"))
    finally:
        if raw_rows is not None:
            raw_rows.close()
        if owned:
            stream.close()


def clean_row(header: list[str], cells: list[str]) -> dict[str, str] | None:
    """A CSV row of the header's width as ``{column: text}``: cells stripped, export neutralising
    undone where a cell starts with a quote; ``None`` for a blank row."""
    cells = [c.strip() for c in cells]
    if not any(cells):
        return None
    if "'" in "".join(c[:1] for c in cells):
        cells = [_restore(c) for c in cells]
    return dict(zip(header, cells))


def _restore(text: str) -> str:
    """Undo the neutralising of exports (``tabular.restore``, and a formula on a later line)."""
    if text.startswith("'") and "\n" in text:
        if any(line.lstrip().startswith(tabular.FORMULA_PREFIXES) for line in text[1:].splitlines()[1:]):
            return text[1:]
    return tabular.restore(text)


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _check_header(header: list[str], required: list[str], optional: list[str]) -> None:
    allowed = list(required) + list(optional)
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c and c not in allowed]
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    problems = []
    if missing:
        problems.append(_("missing columns: %(cols)s") % {"cols": ", ".join(missing)})
    if unknown:
        problems.append(_("unknown columns: %(cols)s") % {"cols": ", ".join(unknown)})
    if repeated:
        problems.append(_("repeated columns: %(cols)s") % {"cols": ", ".join(repeated)})
    if problems:
        expected = ",".join(required) + (" [," + ",".join(optional) + "]" if optional else "")
        raise BadFile(_("row 1: %(problems)s (expected %(cols)s)") % {"problems": "; ".join(problems), "cols": expected})


# Lookups -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Ind:
    pk: int
    spec: validation.Spec
    periodicity: str
    category_set_id: int | None
    unit_types: frozenset[str]


class Lookups:
    """What the row checks need, loaded once per import (size of the catalogue, not of the file)."""

    def __init__(self, actor) -> None:
        self.indicators = {
            i.code: _Ind(i.pk, validation.Spec.of(i), i.periodicity, i.category_set_id, frozenset(i.reporting_unit_types))
            for i in authz.scope(actor, Indicator).filter(is_active=True)
        }
        self.writable = {code: (pk, type_) for code, pk, type_ in
                         authz.units_where(actor, "add", DataValue).values_list("code", "pk", "type")}
        self.visible = set(authz.scope(actor, OrgUnit).values_list("code", flat=True))
        self.categories = {(set_id, code): pk for set_id, code, pk in
                           Category.objects.values_list("category_set_id", "code", "pk")}

    def fast_indicators(self) -> dict[str, tuple]:
        """The indicators whose rows the fast path of :func:`_stage` may accept: reported (not
        derived), without categories, typed as a number; ``code → (id, periodicity, unit types or
        None, lowest, highest, whole numbers only)`` with finite bounds (so that NaN and infinities
        never pass a range test)."""
        out = {}
        for code, ind in self.indicators.items():
            spec = ind.spec
            if spec.derived or ind.category_set_id or spec.value_type not in ("number", "percent", "integer"):
                continue
            low = spec.min_value if spec.min_value is not None else (0.0 if spec.value_type == "percent" else -sys.float_info.max)
            high = spec.max_value if spec.max_value is not None else sys.float_info.max
            out[code] = (ind.pk, ind.periodicity, ind.unit_types or None, float(low), float(high), spec.value_type == "integer")
        return out

    @staticmethod
    @lru_cache(maxsize=4096)
    def period(text: str) -> tuple[str, str]:
        kind, period = period_rules.normalise_period(text)
        return kind, period.key


# The import ------------------------------------------------------------------------------------

def _batch_rows() -> int:
    return int(getattr(settings, "LUOSHI_IMPORT_BATCH_ROWS", 20000))


def import_values(actor, source, *, filename: str = "", dry_run: bool = False, progress: Progress | None = None,
                  records: Iterable[dict] | None = None) -> ImportResult:
    """Import values from ``source`` (a path, bytes or a binary file), or from ``records`` (dicts).

    All or nothing; see the module docstring. ``progress(phase, done, total)`` is called now
    and then (phases: ``read``, ``check``, ``write``).
    """
    if not filename and isinstance(source, (str, Path)):
        filename = PurePath(source).name
    result = ImportResult(filename=filename, dry_run=dry_run)
    if not authz.is_unrestricted(actor) and not authz.units_where(actor, "add", DataValue).exists():
        raise PermissionDenied(_("your role does not allow entering data"))
    recover_imports()
    record = DataImport.objects.create(id=uuid.uuid4(), actor=actor if getattr(actor, "pk", None) else None,
                                       filename=filename[:255], dry_run=dry_run, pid=os.getpid(),
                                       host=socket.gethostname()[:100], started_at=timezone.now(),
                                       unit_path=_actor_path(actor))
    result.import_id = record.id
    cache = _bigger_cache()
    stage = _Stage(record)
    try:
        stage.create()
        rows = (_iter_records(records) if records is not None
                else read_rows(source, filename, COLUMNS, OPTIONAL, raw=True))
        clock = time.perf_counter()
        has_comment = _stage(actor, record, rows, result, progress, stage)
        result.timings["stage"], clock = time.perf_counter() - clock, time.perf_counter()
        _check(stage, result, progress, has_comment)
        result.timings["check"], clock = time.perf_counter() - clock, time.perf_counter()
        if result.ok and not dry_run and (result.created or result.changed):
            _apply(actor, record, stage, result, progress, has_comment)
            result.timings["write"], clock = time.perf_counter() - clock, time.perf_counter()
            _finish(record, stage, result)
            result.timings["finish"] = time.perf_counter() - clock
            if stage.turns.pauses:  # SQLite: time left to other writers (within the phases above)
                result.timings["paused"] = stage.turns.pauses * stage.turns.pause
        else:
            _discard(record, stage, DataImport.State.DONE if result.ok else DataImport.State.FAILED, result)
    except BadFile as exc:
        result.add_error(None, "", str(exc))
        _discard(record, stage, DataImport.State.FAILED, result)
    except BaseException:
        _rollback(record, stage)
        raise
    finally:
        _restore_cache(cache)
    result.errors.sort(key=lambda e: e.row or 0)
    return result


SQLITE_IMPORT_CACHE_KB = 65536


def _bigger_cache():
    """On SQLite, a 64 MB page cache for the import's connection (the default 2 MB makes every index
    insert of a large load a disk read); a fixed amount, whatever the file's size."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KB}")
    return previous


def _restore_cache(previous) -> None:
    if previous is not None:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def import_upload(actor, uploaded_file, *, dry_run: bool = False, progress: Progress | None = None) -> ImportResult:
    """The upload page's entry point: a Django ``UploadedFile`` (streamed from its temporary file)."""
    uploaded_file.seek(0)
    return import_values(actor, uploaded_file, filename=uploaded_file.name, dry_run=dry_run, progress=progress)


def import_records(actor, records: list[dict], *, dry_run: bool = False) -> ImportResult:
    """The API's entry point: a JSON list of ``{indicator, org_unit, period, value[, category, comment]}``."""
    return import_values(actor, None, filename="api", dry_run=dry_run, records=records)


def _iter_records(records: Iterable[dict]) -> Iterator[tuple[int, dict[str, str]]]:
    for number, item in enumerate(records, start=1):
        if not isinstance(item, dict):
            yield number, {"__bad__": _("each item must be an object")}
            continue
        unknown = set(item) - set(COLUMNS) - set(OPTIONAL)
        row = {name: ("" if item.get(name) is None else item.get(name)) for name in COLUMNS + OPTIONAL}
        row = {k: (v if isinstance(v, (int, float, bool)) and k == "value" else str(v).strip()) for k, v in row.items()}
        if unknown:
            row["__bad__"] = _("unknown fields: %(fields)s") % {"fields": ", ".join(sorted(map(str, unknown)))}
        missing = [c for c in COLUMNS if c not in item]
        if missing:
            row["__bad__"] = _("missing fields: %(fields)s") % {"fields": ", ".join(missing)}
        row["__has_comment__"] = "comment" in item
        yield number, row


def _actor_path(actor) -> str:
    grants = authz.grants(actor)
    return min((g.path for g in grants), key=len) if grants else ""


def _check_row(lookups: Lookups, row: dict, result: ImportResult, number: int) -> tuple | None:
    """The staged form of one row, or ``None`` after recording its errors."""
    bad = row.get("__bad__")
    if bad:
        result.add_error(number, "", bad)
        return None
    errors_before = result.error_count
    code = row["indicator"]
    ind = lookups.indicators.get(code)
    if ind is None:
        result.add_error(number, "indicator", _("unknown indicator %(code)r") % {"code": code} if code else _("the indicator is missing"))
    elif ind.spec.derived:
        result.add_error(number, "indicator", _("%(code)s is computed from its formula, not reported") % {"code": code})
        ind = None
    unit_code = row["org_unit"]
    unit = lookups.writable.get(unit_code)
    if unit is None:
        if unit_code in lookups.visible:
            result.add_error(number, "org_unit", _("%(code)s is outside the units you may enter data for") % {"code": unit_code})
        else:
            result.add_error(number, "org_unit", _("unknown unit %(code)r (or outside your scope)") % {"code": unit_code})
    elif ind is not None and ind.unit_types and unit[1] not in ind.unit_types:
        result.add_error(number, "org_unit", _("units of type %(type)s do not report %(code)s") % {"type": unit[1], "code": code})
    try:
        kind, period = lookups.period(str(row["period"]).strip())
    except ValueError as exc:
        result.add_error(number, "period", str(exc))
        kind = period = None
    if ind is not None and kind is not None and kind != ind.periodicity:
        result.add_error(number, "period", _("%(code)s is reported %(kind)s, %(period)s is not such a period") % {
            "code": code, "kind": ind.periodicity, "period": period})
    category_id = None
    cat_code = str(row.get("category") or "").strip()
    if ind is not None:
        if ind.category_set_id:
            if not cat_code:
                result.add_error(number, "category", _("%(code)s is reported per category; the total is derived") % {"code": code})
            else:
                category_id = lookups.categories.get((ind.category_set_id, cat_code))
                if category_id is None:
                    result.add_error(number, "category", _("unknown category %(cat)r for %(code)s") % {"cat": cat_code, "code": code})
        elif cat_code:
            result.add_error(number, "category", _("%(code)s has no categories") % {"code": code})
    number_value = text_value = None
    if ind is not None:
        try:
            number_value, text_value = validation.parse_value(ind.spec, row["value"])
        except validation.BadValue as exc:
            result.add_error(number, "value", str(exc))
        else:
            if number_value is None and not text_value:
                result.add_error(number, "value", _("the value is missing"))
            elif problem := validation.range_problem(ind.spec, number_value):
                result.add_error(number, "value", problem)
    comment = str(row.get("comment") or "")
    if len(comment) > 1000:
        result.add_error(number, "comment", _("the comment is longer than 1000 characters"))
    if result.error_count != errors_before:
        return None
    return (number, ind.pk, unit[0], period, category_id, number_value, text_value or "", comment)


class _Stage:
    """Where the rows of one import are staged.

    SQLite: the shared table ``ImportRow`` (rows tagged with the import's id), which outlives
    the short transactions of the apply phase so that an interrupted import can be undone.
    PostgreSQL: a temporary table of the import's own session (no write-ahead log, no index
    while loading, gone with the session); the apply phase there is one transaction, so a
    crash leaves nothing to undo and the staged rows are never needed by another process.
    """

    def __init__(self, record: DataImport) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.batch = record.id.hex
        # Every write transaction of the import on SQLite goes through these turns, so that
        # other writers get the lock at least every second (see ``batches.Turns``).
        self.turns = batches.Turns()
        if self.postgres:
            self.table, self.key, self.args = f"luoshi_stage_{record.id.hex}", "row", []
        else:
            self.table, self.key, self.args = ImportRow._meta.db_table, "id", [record.id.hex]

    def where(self, alias: str = "") -> str:
        """The condition that selects this import's staged rows (with its ``args``)."""
        if self.postgres:
            return "TRUE"
        return f"{alias or self.table}.batch = %s"

    def create(self) -> None:
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.table} (row integer NOT NULL, indicator_id bigint NOT NULL,"
                f" unit_id bigint NOT NULL, period varchar(10) NOT NULL, category_id bigint, value double precision,"
                f" text_value varchar(500) NOT NULL DEFAULT '', comment varchar(1000) NOT NULL DEFAULT '',"
                f" existing_id bigint, changes boolean NOT NULL DEFAULT TRUE)")

    def line(self, staged: tuple):
        """One checked row ``(row, indicator, unit, period, category, number, text, comment)`` as
        written to the stage: a line of ``COPY`` text on PostgreSQL, a parameter tuple on SQLite."""
        if not self.postgres:
            return (self.batch,) + staged + (True, "", "")
        number, ind, unit, period, cat, value, text, comment = staged
        return (f"{number}\t{ind}\t{unit}\t{period}\t{NULL if cat is None else cat}\t{NULL if value is None else repr(value)}"
                f"\t{_copy_text(text)}\t{_copy_text(comment)}\n")

    def write(self, lines: list) -> None:
        if not lines:
            return
        with self.turns.atomic(), connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {self.table} (row, indicator_id, unit_id, period, category_id, value,"
                                        f" text_value, comment) FROM STDIN") as copy:
                    copy.write("".join(lines))
            else:
                marks = ", ".join(["%s"] * len(STAGE_COLUMNS))
                cursor.executemany(f"INSERT INTO {self.table} ({', '.join(STAGE_COLUMNS)}) VALUES ({marks})", lines)

    def drop(self) -> None:
        if self.postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.table}")


NULL = "\\N"


def _copy_text(text: str) -> str:
    """``text`` escaped for ``COPY``'s text format."""
    if not text:
        return ""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _stage(actor, record: DataImport, rows, result: ImportResult, progress: Progress | None, stage: _Stage) -> bool:
    """Check every row and stage the good ones; returns whether the source has a comment column.

    The common row of a CSV file (a known indicator reported as a plain number, without
    categories, a writable unit of a type that reports it, a period of the right kind, a number
    in range, no category or comment) is checked inline on the reader's own list of cells,
    with dictionary look-ups only. Anything else goes through :func:`_check_row`, which
    accepts exactly the same rows and names what is wrong with the others.
    """
    lookups = Lookups(actor)
    size = _batch_rows()
    fast = lookups.fast_indicators()
    writable = lookups.writable
    periods: dict[str, tuple[str, str]] = {}
    header: list[str] = []
    i_ind = i_unit = i_per = i_val = 0
    optional_at: tuple[int, ...] = ()
    pending: list = []
    has_comment = False
    postgres = stage.postgres
    batch = stage.batch

    def flush() -> None:
        stage.write(pending)
        pending.clear()
        if progress:
            progress("read", result.rows, None)

    for number, row in rows:
        if row.__class__ is tuple:  # the header of a CSV file read raw
            header = list(row)
            i_ind, i_unit, i_per, i_val = (header.index(c) for c in COLUMNS)
            optional_at = tuple(header.index(c) for c in OPTIONAL if c in header)
            has_comment = "comment" in header
            continue
        if row.__class__ is list:
            ind = fast.get(row[i_ind])
            unit = writable.get(row[i_unit])
            if ind is not None and unit is not None and not any(row[i] for i in optional_at):
                pk, kind, types, low, high, integer = ind
                if types is None or unit[1] in types:
                    text = row[i_per]
                    period = periods.get(text)
                    if period is None:
                        try:
                            period = Lookups.period(text.strip())
                        except ValueError:
                            period = ("", "")
                        else:
                            periods[text] = period
                    if period[0] == kind:
                        try:
                            value = float(row[i_val])
                        except ValueError:
                            value = None
                        # low/high are finite, so NaN and infinities fail here as in parse_value
                        if value is not None and low <= value <= high and (not integer or value.is_integer()):
                            result.rows += 1
                            if postgres:
                                pending.append(f"{number}\t{pk}\t{unit[0]}\t{period[1]}\t\\N\t{value!r}\t\t\n")
                            else:
                                pending.append((batch, number, pk, unit[0], period[1], None, value, "", "", True, "", ""))
                            if len(pending) >= size:
                                flush()
                            continue
            row = clean_row(header, row)
            if row is None:  # a blank line
                continue
        result.rows += 1
        has_comment = row.pop("__has_comment__", "comment" in row) or has_comment
        staged = _check_row(lookups, row, result, number)
        if staged is not None:
            pending.append(stage.line(staged))
        if len(pending) >= size:
            flush()
    stage.write(pending)
    if progress:
        progress("read", result.rows, result.rows)
    if result.rows == 0 and result.ok:
        result.add_error(None, "", _("there are no data rows"))
    return has_comment


def _batch_param(record: DataImport):
    return record.id.hex if connection.vendor == "sqlite" else record.id


def _same(a: str, b: str) -> str:
    return f"{a} IS {b}" if connection.vendor == "sqlite" else f"{a} IS NOT DISTINCT FROM {b}"


def _check(stage: _Stage, result: ImportResult, progress: Progress | None, has_comment: bool) -> None:
    """Set-based checks of the staged rows: duplicates, locks, existing values, rules."""
    if progress:
        progress("check", 0, None)
    t, values = stage.table, DataValue._meta.db_table
    approval = "indicators_approval"
    members = DataValueSetMembers.table()
    args = stage.args
    with connection.cursor() as cursor:
        if stage.postgres:
            cursor.execute(f"ANALYZE {t}")  # statistics for the joins below
        cursor.execute(
            f"SELECT row, first_row FROM (SELECT row, MIN(row) OVER (PARTITION BY indicator_id, unit_id, period,"
            f" COALESCE(category_id, 0)) AS first_row FROM {t} WHERE {stage.where()}) x"
            f" WHERE row > first_row ORDER BY row", args)
        for row, first in cursor.fetchall():
            result.add_error(row, "", _("duplicate of row %(first)s (same indicator, unit, period and category)") % {"first": first})
        cursor.execute(
            f"SELECT r.row, MAX(a.state) FROM {t} r"
            f" JOIN {approval} a ON a.unit_id = r.unit_id AND a.period = r.period AND a.state IN ('submitted', 'approved')"
            f" JOIN {members} m ON m.dataset_id = a.dataset_id AND m.indicator_id = r.indicator_id"
            f" WHERE {stage.where('r')} GROUP BY r.row ORDER BY r.row", args)
        for row, state in cursor.fetchall():
            if state == "approved":
                result.add_error(row, "", _("locked by approval: the data of this unit and period has been approved"))
            else:
                result.add_error(row, "", _("locked: the data of this unit and period has been submitted for review"))
        _check_rules(stage, result)
        if not result.ok:
            return
        # The existing value of each staged row, and whether the row changes it (one join on the
        # value table's unique key; a category of NULL counts as 0 there).
        comment_same = f" AND d.comment = {t}.comment" if has_comment else ""
        unchanged = f"{_same('d.value', f'{t}.value')} AND d.text_value = {t}.text_value{comment_same}"
        match = (f"UPDATE {t} SET existing_id = d.id, changes = NOT ({unchanged}) FROM {values} d"
                 f" WHERE {stage.where(t)} AND d.indicator_id = {t}.indicator_id AND d.period = {t}.period"
                 f" AND d.unit_id = {t}.unit_id AND COALESCE(d.category_id, 0) = COALESCE({t}.category_id, 0)")
        if stage.postgres:  # the session's own table: one statement
            cursor.execute(match, args)
        else:  # the shared table: short write transactions, so other writers get their turn
            cursor.execute(f"SELECT MIN(id), MAX(id) FROM {t} WHERE {stage.where()}", args)
            low, high = cursor.fetchone()
            size = _batch_rows()
            while low is not None and low <= high:
                with stage.turns.atomic():
                    cursor.execute(f"{match} AND {t}.id BETWEEN %s AND %s", [*args, low, low + size - 1])
                low += size
        cursor.execute(
            f"SELECT COUNT(*) FILTER (WHERE changes AND existing_id IS NULL), COUNT(*) FILTER (WHERE changes AND existing_id IS NOT NULL),"
            f" COUNT(*) FILTER (WHERE NOT changes) FROM {t} WHERE {stage.where()}", args)
        created, changed, unchanged = cursor.fetchone()
    result.created, result.changed, result.unchanged = created or 0, changed or 0, unchanged or 0


class DataValueSetMembers:
    """The many-to-many table between data sets and indicators."""

    @staticmethod
    def table() -> str:
        from luoshi.indicators.models import DataSet

        return DataSet.indicators.through._meta.db_table


def _check_rules(stage: _Stage, result: ImportResult) -> None:
    """Rules between indicators, per unit, period and category, on the values as they would be."""
    codes_by_id = {pk: code for pk, code in Indicator.objects.values_list("pk", "code")}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT indicator_id FROM {stage.table} WHERE {stage.where()}", stage.args)
        staged_ids = {i for (i,) in cursor.fetchall()}
    staged_codes = {codes_by_id[i] for i in staged_ids if i in codes_by_id}
    rules = [r for r in services.rule_specs(codes_by_id.values()) if set(r.refs) & staged_codes]
    if not rules:
        return
    ids_by_code = {code: pk for pk, code in codes_by_id.items()}
    needed = sorted({ids_by_code[c] for r in rules for c in r.refs})
    group_key, group = None, {}
    chunk: list[tuple[tuple, dict]] = []

    def flush(chunk):
        if not chunk:
            return
        units = {k[0] for k, _g in chunk}
        periods = {k[1] for k, _g in chunk}
        existing: dict[tuple, dict[str, float | None]] = {}
        for u, p, c, i, v in DataValue.objects.filter(unit_id__in=units, period__in=periods, indicator_id__in=needed).values_list(
                "unit_id", "period", "category_id", "indicator_id", "value"):
            existing.setdefault((u, p, c), {})[codes_by_id[i]] = v
        for key, group in chunk:
            values = dict(existing.get(key, {}))
            values.update({code: v for code, (v, _row) in group.items()})
            first_row = min(row for _v, row in group.values())
            for outcome in validation.broken_rules(rules, values):
                if outcome.rule.severity == "error":
                    result.add_error(first_row, "", outcome.message())
                elif len(result.warnings) < MAX_ERRORS:
                    result.warnings.append(str(RowError(first_row, "", outcome.message())))

    marks = ", ".join(["%s"] * len(needed))
    # A server-side cursor on PostgreSQL keeps memory flat (it needs a transaction there); SQLite's
    # cursor steps through the rows, outside any transaction (which would take the write lock).
    with (transaction.atomic() if stage.postgres else nullcontext()), connection.chunked_cursor() as cursor:
        cursor.execute(
            f"SELECT unit_id, period, category_id, indicator_id, value, row FROM {stage.table}"
            f" WHERE {stage.where()} AND indicator_id IN ({marks}) ORDER BY unit_id, period, category_id, row",
            [*stage.args, *needed])
        while fetched := cursor.fetchmany(5000):
            for unit_id, period, category_id, indicator_id, value, row in fetched:
                key = (unit_id, period, category_id)
                if key != group_key:
                    if group_key is not None:
                        chunk.append((group_key, group))
                        if len(chunk) >= 1000:
                            flush(chunk)
                            chunk = []
                    group_key, group = key, {}
                group[codes_by_id[indicator_id]] = (value, row)
    if group_key is not None:
        chunk.append((group_key, group))
    flush(chunk)


def _apply(actor, record: DataImport, stage: _Stage, result: ImportResult, progress: Progress | None,
           has_comment: bool) -> None:
    """Write the changed rows in bounded batches.

    SQLite: each batch is its own short transaction that first keeps the values it overwrites
    (for undoing) and records how far it got; if anything fails, what was written is undone.
    PostgreSQL: the same batches inside one transaction, which also marks the import done and
    writes its audit record, so the import is atomic there (other writers are not blocked by
    it: they wait only for rows the import itself writes).
    """
    t, values = stage.table, DataValue._meta.db_table
    b = _batch_param(record)
    size = _batch_rows()
    DataImport.objects.filter(pk=record.pk).update(state=DataImport.State.APPLYING)
    with connection.cursor() as cursor:
        if stage.postgres:
            cursor.execute(f"CREATE INDEX ON {t} (row)")
        cursor.execute(f"SELECT MIN({stage.key}), MAX({stage.key}) FROM {t} WHERE {stage.where()}", stage.args)
        low, high = cursor.fetchone()
    total = result.created + result.changed
    now = timezone.now()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    comment_set = ", comment = r.comment" if has_comment else ""
    key = stage.key
    state = [0]

    def write_batch(start: int, end: int) -> None:
        with connection.cursor() as cursor:
            if result.changed:
                if not stage.postgres:  # keep what is overwritten, for undoing
                    cursor.execute(
                        f"UPDATE {t} SET old_value = d.value, old_text_value = d.text_value, old_comment = d.comment,"
                        f" old_entered_by_id = d.entered_by_id, old_updated_at = d.updated_at FROM {values} d"
                        f" WHERE d.id = {t}.existing_id AND {stage.where(t)} AND {t}.{key} BETWEEN %s AND %s"
                        f" AND {t}.changes", [*stage.args, start, end])
                cursor.execute(
                    f"UPDATE {values} SET value = r.value, text_value = r.text_value{comment_set}, entered_by_id = %s,"
                    f" updated_at = %s, import_batch = %s FROM {t} r"
                    f" WHERE r.existing_id = {values}.id AND {stage.where('r')} AND r.{key} BETWEEN %s AND %s AND r.changes",
                    [actor_id, now, b, *stage.args, start, end])
            cursor.execute(
                f"INSERT INTO {values} (indicator_id, unit_id, period, category_id, value, text_value, comment, state,"
                f" warnings, follow_up, entered_by_id, updated_at, import_batch)"
                f" SELECT indicator_id, unit_id, period, category_id, value, text_value, comment, %s, %s, FALSE, %s, %s, %s"
                f" FROM {t} WHERE {stage.where()} AND {key} BETWEEN %s AND %s AND changes AND existing_id IS NULL"
                f" ORDER BY indicator_id, period, unit_id, category_id",  # the unique index's order: cheaper inserts
                [ValueState.DRAFT, "[]", actor_id, now, b, *stage.args, start, end])
            DataImport.objects.filter(pk=record.pk).update(applied_upto=end)
            cursor.execute(f"SELECT COUNT(*) FROM {t} WHERE {stage.where()} AND {key} BETWEEN %s AND %s AND changes",
                           [*stage.args, start, end])
            state[0] += cursor.fetchone()[0]
        if progress:
            progress("write", state[0], total)

    def batches():
        start = low
        while start is not None and start <= high:
            yield start, start + size - 1
            start += size

    if stage.postgres:
        with transaction.atomic():
            for start, end in batches():
                write_batch(start, end)
            _mark_done(actor, record, result)
        return
    try:
        for start, end in batches():
            with stage.turns.atomic():
                write_batch(start, end)
    except BaseException:
        _rollback(record, stage)
        raise
    _mark_done(actor, record, result)


def _undo(record: DataImport) -> None:
    """Undo the batches of ``record`` already written (restoring overwritten values, deleting
    inserted ones), newest first, in short transactions (``batches.Turns``).

    Each transaction undoes one range of staged rows and lowers ``applied_upto`` below it, so an
    undo that is itself interrupted leaves a consistent record for the next recovery. Inserted
    rows are found through their staged rows and the value table's unique key (no scan of the
    value table), and deleted only if they still carry this import's tag.
    """
    stage, values = ImportRow._meta.db_table, DataValue._meta.db_table
    b = _batch_param(record)
    upto = DataImport.objects.filter(pk=record.pk).values_list("applied_upto", flat=True).first() or 0
    if not upto:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id) FROM {stage} WHERE batch = %s", [b])
        low = cursor.fetchone()[0]
    size = _batch_rows()
    turns = batches.Turns()
    end = upto
    while low is not None and end >= low:
        start = max(low, end - size + 1)
        with turns.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {values} SET value = r.old_value, text_value = r.old_text_value, comment = r.old_comment,"
                f" entered_by_id = r.old_entered_by_id, updated_at = r.old_updated_at, import_batch = NULL FROM {stage} r"
                f" WHERE r.existing_id = {values}.id AND r.batch = %s AND r.id BETWEEN %s AND %s AND r.changes"
                f" AND r.old_updated_at IS NOT NULL", [b, start, end])
            cursor.execute(
                f"DELETE FROM {values} WHERE import_batch = %s AND id IN (SELECT d.id FROM {stage} r JOIN {values} d"
                f" ON d.indicator_id = r.indicator_id AND d.period = r.period AND d.unit_id = r.unit_id"
                f" AND COALESCE(d.category_id, 0) = COALESCE(r.category_id, 0)"
                f" WHERE r.batch = %s AND r.id BETWEEN %s AND %s AND r.changes AND r.existing_id IS NULL)",
                [b, b, start, end])
            DataImport.objects.filter(pk=record.pk).update(applied_upto=start - 1 if start > low else 0)
        end = start - 1
    if low is None:  # nothing staged any more (should not happen): fall back to the tag
        with turns.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {values} WHERE import_batch = %s", [b])
            DataImport.objects.filter(pk=record.pk).update(applied_upto=0)


def _delete_stage(record: DataImport, stage: _Stage | None = None) -> None:
    """Drop the staged rows: the temporary table on PostgreSQL; on SQLite (and for an import
    staged by an earlier version) the rows of ``ImportRow``, in id ranges, short transactions."""
    if stage is not None and stage.postgres:
        stage.drop()
    size = _batch_rows() * 5
    b = _batch_param(record)
    table = ImportRow._meta.db_table
    turns = stage.turns if stage is not None else batches.Turns()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {table} WHERE batch = %s", [b])
        low, high = cursor.fetchone()
    while low is not None and low <= high:
        with turns.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE batch = %s AND id BETWEEN %s AND %s", [b, low, low + size - 1])
        low += size


def _rollback(record: DataImport, stage: _Stage | None = None) -> None:
    _undo(record)
    _delete_stage(record, stage)
    DataImport.objects.filter(pk=record.pk).update(state=DataImport.State.ROLLED_BACK, finished_at=timezone.now())


def _discard(record: DataImport, stage: _Stage, state: str, result: ImportResult) -> None:
    _delete_stage(record, stage)
    DataImport.objects.filter(pk=record.pk).update(
        state=state, rows=result.rows, created=result.created, changed=result.changed, unchanged=result.unchanged,
        finished_at=timezone.now())


def _mark_done(actor, record: DataImport, result: ImportResult) -> None:
    """Mark done and audit (one record for the import: counts, file, batch)."""
    with transaction.atomic():
        record = DataImport.objects.select_for_update().get(pk=record.pk)
        record.state = DataImport.State.DONE
        record.rows, record.created, record.changed, record.unchanged = result.rows, result.created, result.changed, result.unchanged
        record.finished_at = timezone.now()
        record.save()
        audit.record(actor, "create", record, None, {
            "file": record.filename, "rows": result.rows, "created": result.created, "changed": result.changed,
            "unchanged": result.unchanged, "import": record.pk.hex}, verb="import")


def _finish(record: DataImport, stage: _Stage, result: ImportResult) -> None:
    """After the import is done: outlier warnings, staged rows dropped."""
    if result.created + result.changed <= OUTLIER_INLINE_LIMIT:
        _flag_outliers(record, result)
    else:
        result.warnings.append(_("outlier checks were not run inline for %(n)d values; run `luoshi data outliers`")
                               % {"n": result.created + result.changed})
    _delete_stage(record, stage)


def _flag_outliers(record: DataImport, result: ImportResult) -> None:
    changed = DataValue.objects.filter(import_batch=record.pk, value__isnull=False).select_related("indicator", "unit")
    flags_by_id = {}
    for value in changed:
        if value.indicator.value_type in ("boolean", "text"):
            continue
        flags = services.outlier_flags(value.indicator, value.unit, value.period, value.category_id, value.value)
        if flags != value.warnings:
            flags_by_id[value.pk] = flags
            if flags:
                result.warnings.append(_("%(code)s %(unit)s %(period)s: %(what)s") % {
                    "code": value.indicator.code, "unit": value.unit.code, "period": value.period,
                    "what": "; ".join(services._warning_text(f) for f in flags)})
    with transaction.atomic():
        for pk, flags in flags_by_id.items():
            DataValue.objects.filter(pk=pk).update(warnings=flags, follow_up=bool(flags))


def recover_imports() -> int:
    """Undo imports whose process died while staging or writing (same host, process gone). Returns how many."""
    host = socket.gethostname()[:100]
    count = 0
    for record in DataImport.objects.filter(state__in=[DataImport.State.STAGING, DataImport.State.APPLYING]):
        alive = record.host == host and _process_alive(record.pid)
        stale = (timezone.now() - record.started_at).total_seconds() > 24 * 3600
        if alive and not stale:
            continue
        if record.host != host and not stale:
            continue
        _rollback(record)
        count += 1
    return count


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed, not yet reaped) is not alive.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


# Targets ------------------------------------------------------------------------------------------

def import_targets(actor, source, *, filename: str = "", dry_run: bool = False) -> ImportResult:
    """Targets from a CSV/XLSX file ``indicator,org_unit,year,value``; all or nothing, one transaction."""
    if not filename and isinstance(source, (str, Path)):
        filename = PurePath(source).name
    result = ImportResult(filename=filename, dry_run=dry_run)
    indicators = {i.code: i for i in authz.scope(actor, Indicator)}
    units = {u.code: u for u in authz.units_where(actor, "add", Target)}
    visible = set(authz.scope(actor, OrgUnit).values_list("code", flat=True))
    parsed, seen = [], {}
    try:
        for number, row in read_rows(source, filename, TARGET_COLUMNS, []):
            result.rows += 1
            before = result.error_count
            ind = indicators.get(row["indicator"])
            if ind is None:
                result.add_error(number, "indicator", _("unknown indicator %(code)r") % {"code": row["indicator"]})
            unit = units.get(row["org_unit"])
            if unit is None:
                result.add_error(number, "org_unit", _("%(code)s is outside the units you may set targets for") % {"code": row["org_unit"]}
                                 if row["org_unit"] in visible else _("unknown unit %(code)r (or outside your scope)") % {"code": row["org_unit"]})
            try:
                year = int(str(row["year"]).strip())
                if not 2000 <= year <= 2100:
                    raise ValueError
            except ValueError:
                result.add_error(number, "year", _("expected a year between 2000 and 2100, got %(value)r") % {"value": row["year"]})
                year = None
            value = None
            if ind is not None:
                try:
                    value, _text = validation.parse_value(validation.Spec.of(ind), row["value"])
                    if value is None:
                        raise validation.BadValue(_("a target must be a number"))
                except validation.BadValue as exc:
                    result.add_error(number, "value", str(exc))
            if result.error_count == before:
                key = (ind.pk, unit.pk, year)
                if key in seen:
                    result.add_error(number, "", _("duplicate of row %(first)s") % {"first": seen[key]})
                else:
                    seen[key] = number
                    parsed.append((ind, unit, year, value))
    except BadFile as exc:
        result.add_error(None, "", str(exc))
    if not result.ok:
        return result
    existing = {(t.indicator_id, t.unit_id, t.year): t for t in Target.objects.filter(indicator__in={p[0] for p in parsed})}
    for ind, unit, year, value in parsed:
        current = existing.get((ind.pk, unit.pk, year))
        if current is None:
            result.created += 1
        elif current.value != value:
            result.changed += 1
        else:
            result.unchanged += 1
    if dry_run or not (result.created or result.changed):
        return result
    with transaction.atomic():
        for ind, unit, year, value in parsed:
            current = existing.get((ind.pk, unit.pk, year))
            if current is None or current.value != value:
                services.set_target(actor, indicator=ind, unit=unit, year=year, value=value)
    return result
