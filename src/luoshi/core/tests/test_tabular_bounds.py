"""XLSX imports at their edges (issue 13): the size a sheet states is refused exactly past the
bounds, before any row is read; empty cells and rows read as nothing; a file named .xlsx that
is no workbook is answered as such."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from luoshi.core import tabular
from luoshi.core.tabular import TableError, read_table


def _workbook(rows: int, *, stated: str | None = None, header=("c0", "c1", "c2"), blank_after: int | None = None) -> bytes:
    """A workbook of ``rows`` data rows; ``stated`` replaces the size its sheet states (<dimension>)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for r in range(rows):
        sheet.append([f"v{r}-{c}" for c in range(len(header))])
        if r == blank_after:
            sheet.append([None] * len(header))
    out = io.BytesIO()
    workbook.save(out)
    if stated is None:
        return out.getvalue()
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    rewritten = io.BytesIO()
    with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                content, found = re.subn(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{stated}"/>'.encode(), content)
                assert found == 1
            target.writestr(info.filename, content)
    return rewritten.getvalue()


def _read(data: bytes, name: str = "t.xlsx"):
    return read_table(data, name, ["c0"], ["c1", "c2"])


# The stated size: a header and MAX_TABLE_ROWS rows, MAX_TABLE_CELLS cells, and not one more -------
# (The limits are lowered for the test; the sheets hold two real rows, so only the stated size
# can refuse them: the refusal comes before reading.)

@pytest.mark.parametrize(("stated", "refused"), [("A1:C21", False), ("A1:C22", True), ("A1:A22", True)])
def test_a_sheet_stating_more_rows_than_allowed_is_refused_before_reading(monkeypatch, stated, refused):
    monkeypatch.setattr(tabular, "MAX_TABLE_ROWS", 20)
    monkeypatch.setattr(tabular, "MAX_TABLE_CELLS", 10**9)
    data = _workbook(2, stated=stated)
    if refused:
        with pytest.raises(TableError, match="more than 20 rows"):
            _read(data)
    else:
        assert [number for number, _values in _read(data)] == [2, 3]


@pytest.mark.parametrize(("stated", "refused"), [("A1:C20", False), ("A1:C21", True), ("A1:D15", False), ("A1:D16", True)])
def test_a_sheet_stating_more_cells_than_allowed_is_refused_before_reading(monkeypatch, stated, refused):
    monkeypatch.setattr(tabular, "MAX_TABLE_ROWS", 10**6)
    monkeypatch.setattr(tabular, "MAX_TABLE_CELLS", 60)
    data = _workbook(2, stated=stated)
    if refused:
        with pytest.raises(TableError, match="60 cells"):
            _read(data)
    else:
        assert len(_read(data)) == 2


# Empty cells -----------------------------------------------------------------------------------

def test_an_empty_row_is_skipped_and_the_row_numbers_stay_those_of_the_sheet():
    rows = _read(_workbook(3, blank_after=0))
    assert [number for number, _values in rows] == [2, 4, 5]
    assert rows[1][1] == {"c0": "v1-0", "c1": "v1-1", "c2": "v1-2"}


def test_an_empty_header_cell_is_an_unnamed_column_not_an_unknown_one():
    rows = _read(_workbook(2, header=("c0", None, "c2")))
    assert rows == [(2, {"c0": "v0-0", "c2": "v0-2"}), (3, {"c0": "v1-0", "c2": "v1-2"})]


# The name says .xlsx ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["units.xlsx", "UNITS.XLSX"])
def test_a_file_named_xlsx_that_is_no_workbook_is_answered_as_an_unreadable_workbook(name):
    with pytest.raises(TableError, match=r"not a readable \.xlsx workbook") as caught:
        _read(b"c0,c1\n1,2\n", name)
    assert "unsupported file type" not in str(caught.value)


# What the refusals say ----------------------------------------------------------------------------

def test_the_refusal_of_a_large_archive_names_its_size_and_the_limit_in_megabytes(monkeypatch):
    monkeypatch.setattr(tabular, "MAX_UNPACKED_BYTES", 3 * 1024 * 1024)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # not packed tightly: only large
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (4 * 1024 * 1024 + 10))
    with pytest.raises(TableError, match="it unpacks to 4 MB, more than the 3 MB allowed"):
        _read(buffer.getvalue(), "units.xlsx")


def test_missing_columns_are_named_one_by_one():
    with pytest.raises(TableError) as caught:
        read_table("c1\n1\n".encode(), "units.csv", ["c0", "c2"], ["c1"])
    assert "missing columns: c0, c2 (expected c0,c2 [,c1])" in str(caught.value)


def test_a_long_sheet_title_is_cut_to_the_31_characters_spreadsheets_accept():
    from openpyxl import load_workbook

    data = tabular.write_xlsx(["c0"], [["v"]], title="规划事项" * 10)
    assert load_workbook(io.BytesIO(data)).sheetnames == [("规划事项" * 10)[:31]]
