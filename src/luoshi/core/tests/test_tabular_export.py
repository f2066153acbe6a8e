"""Exports are safe from spreadsheet formula injection wherever a line break sits in a cell."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from luoshi.core.tabular import FORMULA_PREFIXES, read_table, write_csv, write_xlsx

NASTY = [
    "Q4 summary\r=1+2",
    "Q4 summary\n=1+2",
    "Q4 summary\r\n=1+2",
    "a\tb\r+SUM(A1)",
    "x\r-1+2",
    "x\r@SUM(1)",
    "=HYPERLINK(\"http://x\")",
    "\r=1+2",
    "line one\rline two",
]


def _cells_as_a_spreadsheet_sees_them(data: bytes) -> list[list[str]]:
    # Spreadsheets honour quotes but treat a bare CR, LF or CRLF outside quotes as a row end:
    # exactly what Python's csv reader does with newline="" input.
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("value", NASTY)
def test_it_never_lets_a_csv_cell_start_a_formula(value):
    data = write_csv(["title", "n"], [[value, 3]])
    rows = _cells_as_a_spreadsheet_sees_them(data)
    assert len(rows) == 2, rows  # the header and one row: no line break split the cell
    for cell in rows[1]:
        assert not cell.startswith(FORMULA_PREFIXES), cell


@pytest.mark.parametrize("value", NASTY)
def test_it_round_trips_an_export_through_the_importer(value):
    data = write_csv(["title"], [[value]])
    [(_, row)] = read_table(data, "x.csv", ["title"])
    assert row["title"].strip() == value.strip()


@pytest.mark.parametrize("value", NASTY + ["bell\x07and\x00nul\x0b=1"])
def test_it_writes_any_text_to_xlsx_as_inert_strings(value):
    data = write_xlsx(["title"], [[value]])
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    cell = ws.cell(row=2, column=1)
    assert cell.data_type == "s"
    assert not str(cell.value).startswith(FORMULA_PREFIXES)
