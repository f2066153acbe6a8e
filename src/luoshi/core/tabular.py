"""Reading and writing CSV/XLSX tables for imports and exports.

Reading is strict (a clear error naming the file, and the row and field where it can) and
writing neutralises spreadsheet formula injection.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import PurePath

from django.utils.translation import gettext as _

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class RowError:
    filename: str
    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.filename
        if self.row is not None:
            where += _(", row %(row)s") % {"row": self.row}
        if self.field:
            where += f", {self.field}"
        return f"{where}: {self.message}"


class TableError(Exception):
    """Input that cannot be read as a table, or rows that failed validation."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def neutralise(value: object) -> object:
    """Make a cell value safe from formula injection when opened in a spreadsheet."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def restore(value: str) -> str:
    """Undo ``neutralise`` when reading a file Luoshi exported, so an export imports unchanged."""
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _decode(data: bytes, filename: str) -> str:
    if b"\x00" in data[:4096]:
        raise TableError([RowError(filename, None, "", _("the file is binary or UTF-16, not a CSV text file; save it as CSV UTF-8"))])
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030" and any("\ue000" <= ch <= "\uf8ff" for ch in text):
            break  # private-use characters: the bytes were not GB18030 either
        return text
    raise TableError([RowError(filename, None, "", _("cannot decode the file; save it as CSV UTF-8 (or GB18030)"))])


def read_table(data: bytes, filename: str, required: list[str], optional: list[str] = ()) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV or XLSX file as ``(row number, {column: text})``; row 1 is the header."""
    suffix = PurePath(filename).suffix.lower()
    if not data.strip():
        raise TableError([RowError(filename, None, "", _("the file is empty"))])
    if suffix == ".xlsx" or data.startswith(XLSX_MAGIC):
        raw_rows = _xlsx_rows(data, filename)
    elif suffix in ("", ".csv", ".txt"):
        raw_rows = list(csv.reader(io.StringIO(_decode(data, filename))))
    else:
        raise TableError([RowError(filename, None, "", _("unsupported file type %(suffix)s; use .csv or .xlsx") % {"suffix": suffix})])
    if not raw_rows or not any(str(c).strip() for c in raw_rows[0]):
        raise TableError([RowError(filename, None, "", _("the file has no header row"))])
    header = [str(c).strip().lower() for c in raw_rows[0]]
    allowed = list(required) + list(optional)
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c and c not in allowed]
    duplicate = sorted({c for c in header if c and header.count(c) > 1})
    problems = []
    if missing:
        problems.append(_("missing columns: %(cols)s") % {"cols": ", ".join(missing)})
    if unknown:
        problems.append(_("unknown columns: %(cols)s") % {"cols": ", ".join(unknown)})
    if duplicate:
        problems.append(_("repeated columns: %(cols)s") % {"cols": ", ".join(duplicate)})
    if problems:
        expected = ",".join(required) + (" [," + ",".join(optional) + "]" if optional else "")
        raise TableError([RowError(filename, 1, "", "; ".join(problems) + _(" (expected %(cols)s)") % {"cols": expected})])
    rows = []
    for number, raw in enumerate(raw_rows[1:], start=2):
        if not any(str(c).strip() for c in raw):
            continue
        values = {name: (restore(str(raw[i]).strip()) if i < len(raw) and raw[i] is not None else "") for i, name in enumerate(header) if name}
        rows.append((number, values))
    if not rows:
        raise TableError([RowError(filename, None, "", _("the file has a header but no data rows"))])
    return rows


# An import table's bounds: time and memory stay bounded however the workbook is packed.
MAX_TABLE_ROWS = 100_000
MAX_TABLE_CELLS = 2_000_000
MAX_SHEET_XML_BYTES = 120 * 1024 * 1024     # the first sheet's XML, unpacked
MAX_SHARED_STRINGS_BYTES = 40 * 1024 * 1024  # openpyxl holds the shared strings in memory


def _xlsx_refusal(data: bytes) -> str | None:
    """Why a workbook is refused before it is parsed: parts that unpack too large."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
    except zipfile.BadZipFile:
        return None
    sheets = [size for name, size in sizes.items() if name.startswith("xl/worksheets/") and name.endswith(".xml")]
    if sizes.get("xl/sharedStrings.xml", 0) > MAX_SHARED_STRINGS_BYTES:
        return _("its text table unpacks to %(mb)s MB, more than the %(limit)s MB an import may hold") % {
            "mb": sizes["xl/sharedStrings.xml"] // 1048576, "limit": MAX_SHARED_STRINGS_BYTES // 1048576}
    if sheets and max(sheets) > MAX_SHEET_XML_BYTES:
        return _("a sheet unpacks to %(mb)s MB, more than the %(limit)s MB an import may hold") % {
            "mb": max(sheets) // 1048576, "limit": MAX_SHEET_XML_BYTES // 1048576}
    return None


def _xlsx_rows(data: bytes, filename: str) -> list[list[object]]:
    """The first sheet's rows, streamed (openpyxl read-only) and bounded: a workbook with more than
    ``MAX_TABLE_ROWS`` rows or ``MAX_TABLE_CELLS`` cells is refused as soon as that is known
    (from the sheet's stated dimensions, else while reading), not after reading it all."""
    from openpyxl import load_workbook

    if reason := zip_too_large(data) or _xlsx_refusal(data):
        raise TableError([RowError(filename, None, "", _("not read: %(reason)s") % {"reason": reason})])
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a broken file
        raise TableError([RowError(filename, None, "", _("not a readable .xlsx workbook"))]) from None
    too_many = TableError([RowError(filename, None, "", _(
        "the sheet has more than %(rows)s rows or %(cells)s cells; split it into several files") % {
        "rows": MAX_TABLE_ROWS, "cells": MAX_TABLE_CELLS})])
    try:
        ws = wb.worksheets[0]
        try:
            stated_rows, stated_cols = ws.max_row or 0, ws.max_column or 0
        except (TypeError, ValueError):
            stated_rows = stated_cols = 0
        if stated_rows > MAX_TABLE_ROWS + 1 or stated_rows * stated_cols > MAX_TABLE_CELLS:
            raise too_many
        rows: list[list[object]] = []
        cells = 0
        for row in ws.iter_rows(values_only=True):
            cells += len(row)
            if len(rows) > MAX_TABLE_ROWS or cells > MAX_TABLE_CELLS:
                raise too_many
            rows.append(["" if c is None else c for c in row])
    finally:
        wb.close()
    return rows


def write_csv(header: list[str], rows: list[list[object]]) -> bytes:
    """CSV (UTF-8 with BOM, CRLF rows as RFC 4180 has them).

    With CR and LF both in the line terminator the csv module quotes every cell containing
    either, so a line break inside a value (a bare CR included, which it left unquoted with a
    "\\n" terminator) stays inside its cell: no spreadsheet starts a new row there, and the text
    after the break never becomes a formula cell of its own.
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise("" if v is None else v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _xlsx_cell(value: object) -> object:
    """A value openpyxl writes as an inert cell: no formula, no control characters it refuses."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return neutralise(value)


def write_xlsx(header: list[str], rows: list[list[object]], title: str = "data") -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.append(header)
    for row in rows:
        ws.append([_xlsx_cell(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# Office files are zip archives: a small upload can unpack to gigabytes (a "zip bomb").
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_PACKING_RATIO = 200


def zip_too_large(data: bytes) -> str | None:
    """Why the zip archive ``data`` must not be opened (too large unpacked, or packed too tightly), or ``None``."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return None  # not a zip: the reader itself reports that
    if unpacked > MAX_UNPACKED_BYTES:
        return _("it unpacks to %(mb)s MB, more than the %(limit)s MB allowed") % {
            "mb": unpacked // 1048576, "limit": MAX_UNPACKED_BYTES // 1048576}
    if data and unpacked / len(data) > MAX_PACKING_RATIO:
        return _("it is packed %(ratio)s times, which only a malicious file is") % {"ratio": unpacked // len(data)}
    return None
