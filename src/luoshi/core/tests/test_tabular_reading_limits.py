"""XLSX imports: bounded time and memory, or refused early (issue 11)."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from luoshi.core import tabular
from luoshi.core.tabular import TableError, read_table, write_xlsx


def _xlsx(rows: int, cols: int = 3) -> bytes:
    return write_xlsx([f"c{i}" for i in range(cols)], [[f"v{r}-{c}" for c in range(cols)] for r in range(rows)])


def _xlsx_with_dimension(rows: int, cols: int = 3) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append([f"c{i}" for i in range(cols)])
    for r in range(rows):
        sheet.append([f"v{r}-{c}" for c in range(cols)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_sheet_with_too_many_rows_is_refused_from_its_stated_dimensions(monkeypatch) -> None:
    data = _xlsx_with_dimension(50)
    assert b'<dimension ref="A1:C51"/>' in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    monkeypatch.setattr(tabular, "MAX_TABLE_CELLS", 10**9)
    monkeypatch.setattr(tabular, "MAX_TABLE_ROWS", 20)
    with pytest.raises(TableError, match="more than 20 rows"):
        read_table(data, "big.xlsx", ["c0"], ["c1", "c2"])


def test_a_sheet_that_hides_its_size_is_stopped_while_reading(monkeypatch) -> None:
    # Without a <dimension> element the size is only found by reading, and reading stops there.
    source = zipfile.ZipFile(io.BytesIO(_xlsx_with_dimension(50)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                content = content.replace(b'<dimension ref="A1:C51"/>', b"")
            target.writestr(info.filename, content)
    monkeypatch.setattr(tabular, "MAX_TABLE_ROWS", 20)
    with pytest.raises(TableError, match="split it into several files"):
        read_table(out.getvalue(), "big.xlsx", ["c0"], ["c1", "c2"])


def test_parts_that_unpack_too_large_are_refused_before_parsing(monkeypatch) -> None:
    data = _xlsx(200)
    monkeypatch.setattr(tabular, "MAX_SHEET_XML_BYTES", 1000)
    started = time.process_time()
    with pytest.raises(TableError, match="a sheet unpacks to"):
        read_table(data, "big.xlsx", ["c0"], ["c1", "c2"])
    assert time.process_time() - started < 1


def test_a_workbook_within_the_bounds_reads_as_before() -> None:
    rows = read_table(_xlsx(30), "ok.xlsx", ["c0"], ["c1", "c2"])
    assert len(rows) == 30 and rows[0] == (2, {"c0": "v0-0", "c1": "v0-1", "c2": "v0-2"})
