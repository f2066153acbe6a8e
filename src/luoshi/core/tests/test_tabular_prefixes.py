"""Formula prefixes in exports, one by one (issue 13): each character a spreadsheet may read as the
start of a formula (or that Excel strips before looking) is neutralised in CSV and XLSX, and an
exported file reads back unchanged. The list is written out here, independently of
``tabular.FORMULA_PREFIXES``, so shortening that tuple fails these tests."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from luoshi.core.tabular import read_table, write_csv, write_xlsx

PREFIXES = ["=", "+", "-", "@", "\t", "\r", "\n"]
SAFE = ["a", "1", "'", " ", "中", "%"]
# Plain ASCII test ids: the mutation tester passes node ids back to pytest on its command line.
NAMES = {"=": "equals", "+": "plus", "-": "minus", "@": "at", "\t": "tab", "\r": "cr", "\n": "lf",
         "a": "letter", "1": "digit", "'": "apostrophe", " ": "space", "中": "han", "%": "percent"}


@pytest.mark.parametrize("prefix", PREFIXES, ids=[NAMES[p] for p in PREFIXES])
def test_a_cell_starting_with_a_formula_prefix_is_quoted_in_xlsx(prefix):
    value = f"{prefix}SUM(A1:A9)"
    sheet = load_workbook(io.BytesIO(write_xlsx(["code", "title"], [["1", value]]))).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value == "'" + value


@pytest.mark.parametrize("prefix", PREFIXES, ids=[NAMES[p] for p in PREFIXES])
def test_a_cell_starting_with_a_formula_prefix_is_quoted_in_csv(prefix):
    value = f"{prefix}SUM(A1:A9)"
    text = write_csv(["code", "title"], [["1", value]]).decode("utf-8-sig")
    quoted = f"\"'{value}\"" if prefix in "\r\n" else f"'{value}"  # a line break inside a cell needs CSV quotes
    assert text.splitlines()[0] == "code,title" and text.endswith(f"1,{quoted}\r\n"), repr(text)


@pytest.mark.parametrize("prefix", SAFE, ids=[NAMES[p] for p in SAFE])
def test_other_first_characters_are_left_alone(prefix):
    value = f"{prefix}SUM(A1:A9)"
    sheet = load_workbook(io.BytesIO(write_xlsx(["code", "title"], [["1", value]]))).active
    assert sheet.cell(row=2, column=2).value == value


@pytest.mark.parametrize("prefix", PREFIXES, ids=[NAMES[p] for p in PREFIXES])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_reads_back_unchanged(prefix, fmt):
    value = f"{prefix}1+2 说明"
    data = (write_csv if fmt == "csv" else write_xlsx)(["code", "title"], [["1", value]])
    rows = read_table(data, f"items.{fmt}", ["code", "title"])
    assert [values["title"] for _n, values in rows] == [value]
