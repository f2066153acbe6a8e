"""core/tabular.py, rule by rule: what an importer is told and what an export contains (issue 13).

Written against the survivors of mutation testing: each test pins one rule at its edge (the
exact message a user reads, the first row number, the limit itself and one past it).
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook

from luoshi.core import tabular
from luoshi.core.tabular import RowError, TableError, read_table, restore, write_csv, write_xlsx


def refusal(data: bytes, filename: str, required=("code",), optional=()) -> list[str]:
    with pytest.raises(TableError) as caught:
        read_table(data, filename, list(required), list(optional))
    return [str(e) for e in caught.value.errors]


# -- what the user is told -------------------------------------------------------------------

def test_an_error_names_the_file_then_the_row_then_the_field():
    assert str(RowError("units.csv", 7, "code", "is empty")) == "units.csv, row 7, code: is empty"
    assert str(RowError("units.csv", None, "", "is empty")) == "units.csv: is empty"
    assert str(RowError("units.csv", 0, "", "bad")) == "units.csv, row 0: bad"
    assert str(TableError([RowError("a.csv", 2, "", "x"), RowError("a.csv", 3, "", "y")])) == "a.csv, row 2: x\na.csv, row 3: y"


def test_an_empty_or_blank_file_is_refused_as_empty():
    assert refusal(b"", "units.csv") == ["units.csv: the file is empty"]
    assert refusal(b"  \r\n \n", "units.csv") == ["units.csv: the file is empty"]


def test_a_file_of_another_type_is_refused_naming_its_suffix():
    assert refusal(b"code\nA\n", "units.ods") == ["units.ods: unsupported file type .ods; use .csv or .xlsx"]
    assert refusal(b"code\nA\n", "UNITS.PDF") == ["UNITS.PDF: unsupported file type .pdf; use .csv or .xlsx"]


@pytest.mark.parametrize("name", ["units.csv", "units.CSV", "units.txt", "units"])
def test_csv_text_is_read_whatever_it_is_called(name):
    assert read_table(b"code\nA\n", name, ["code"]) == [(2, {"code": "A"})]


def test_a_workbook_is_recognised_by_its_content_even_when_misnamed():
    data = write_xlsx(["code"], [["A"]])
    assert read_table(data, "units.csv", ["code"]) == [(2, {"code": "A"})]
    assert read_table(data, "units.XLSX", ["code"]) == [(2, {"code": "A"})]


def test_utf16_and_binary_files_are_refused_with_advice():
    assert refusal("code\nA\n".encode("utf-16"), "units.csv") == [
        "units.csv: the file is binary or UTF-16, not a CSV text file; save it as CSV UTF-8"]
    # only the first 4 KB are checked: a NUL as byte 4097 is text (the check is a sniff, not a scan)
    late_zero = b"code\n" + b"A" * (4096 - 5) + b"\x00\n"
    assert late_zero.index(b"\x00") == 4096
    assert read_table(late_zero, "units.csv", ["code"])[0][0] == 2
    assert refusal(late_zero[:4096 - 1] + b"\x00\n", "units.csv")[0].startswith("units.csv: the file is binary")


@pytest.mark.parametrize("data, name", [
    (b"", "a.csv"), ("code".encode("utf-16"), "a.csv"), (b"code\n\x81\x30", "a.csv"), (b"code", "a.ods"),
    (b",\nA", "a.csv"), (b"code\n", "a.csv"), (b"PK\x03\x04 broken", "a.xlsx"),
])
def test_whole_file_problems_reach_the_api_without_a_row_or_field(data, name):
    # core/api.py turns each RowError into {"file", "row", "field", "message"}
    with pytest.raises(TableError) as caught:
        read_table(data, name, ["code"])
    assert [(e.filename, e.row, e.field) for e in caught.value.errors] == [(name, None, "")]


def test_gb18030_files_are_read_and_undecodable_ones_refused():
    assert read_table("code\n北京\n".encode("gb18030"), "units.csv", ["code"]) == [(2, {"code": "北京"})]
    assert read_table("\ufeffcode\n北京\n".encode("utf-8"), "units.csv", ["code"]) == [(2, {"code": "北京"})]
    # bytes that decode as GB18030 only into private-use characters were not GB18030 either
    assert refusal(b"code\n\xa1\xa0\xfe\xfe\n", "units.csv") == [
        "units.csv: cannot decode the file; save it as CSV UTF-8 (or GB18030)"]
    assert refusal(b"code\n\x81\x30\n", "units.csv") == [
        "units.csv: cannot decode the file; save it as CSV UTF-8 (or GB18030)"]


@pytest.mark.parametrize("char", ["\ue000", "\uf8ff", "\ue5e5"])
def test_bytes_that_are_gb18030_only_as_private_use_characters_are_refused(char):
    # the first and last private-use code points included: GB18030 maps stray bytes there
    assert refusal(b"code\n" + char.encode("gb18030") + b"\n", "units.csv") == [
        "units.csv: cannot decode the file; save it as CSV UTF-8 (or GB18030)"]


@pytest.mark.parametrize("char", ["\ud7ff", "\uf900"])  # just below and just above the private-use area
def test_gb18030_characters_beside_the_private_use_area_are_read(char):
    assert read_table(b"code\n" + char.encode("gb18030") + b"A\n", "units.csv", ["code"]) == [(2, {"code": char + "A"})]


def test_a_file_without_a_header_is_refused():
    assert refusal(b",,\nA,B\n", "units.csv") == ["units.csv: the file has no header row"]
    assert refusal(b" , \nA,B\n", "units.csv") == ["units.csv: the file has no header row"]


def test_column_problems_are_listed_together_in_row_1_with_the_expected_columns():
    with pytest.raises(TableError) as caught:
        read_table(b"name\nA\n", "units.csv", ["code"], ["name"])
    assert [(e.row, e.field) for e in caught.value.errors] == [(1, "")]
    errors = refusal(b"Name,colour,name,name\nA,red,b,c\n", "units.csv", ["code", "name"], ["parent", "type"])
    assert errors == ["units.csv, row 1: missing columns: code; unknown columns: colour; "
                      "repeated columns: name (expected code,name [,parent,type])"]
    assert refusal(b"name\nA\n", "units.csv", ["code", "name"]) == [
        "units.csv, row 1: missing columns: code (expected code,name)"]
    assert refusal(b"code,x,y\nA,1,2\n", "units.csv") == [
        "units.csv, row 1: unknown columns: x, y (expected code)"]
    assert refusal(b"code,code,name,name\n1,2,3,4\n", "units.csv", ["code"], ["name"]) == [
        "units.csv, row 1: repeated columns: code, name (expected code [,name])"]


def test_headers_are_matched_trimmed_and_in_any_case_and_blank_headers_ignored():
    rows = read_table(b" CODE ,Name,\nA, b ,ignored\n", "units.csv", ["code"], ["name"])
    assert rows == [(2, {"code": "A", "name": "b"})]


def test_rows_are_numbered_as_in_the_spreadsheet_and_blank_rows_skipped():
    rows = read_table(b"code,name\nA,x\n,\n \nB\n", "units.csv", ["code"], ["name"])
    assert rows == [(2, {"code": "A", "name": "x"}), (5, {"code": "B", "name": ""})]


def test_a_header_without_data_is_refused():
    assert refusal(b"code\n\n , \n", "units.csv") == ["units.csv: the file has a header but no data rows"]


def test_empty_workbook_cells_read_as_empty_text_and_numbers_as_text():
    data = write_xlsx(["code", "name", "count"], [["A", None, 3]])
    assert read_table(data, "u.xlsx", ["code"], ["name", "count"]) == [(2, {"code": "A", "name": "", "count": "3"})]


def test_a_broken_workbook_is_refused_as_unreadable():
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert refusal(broken.getvalue(), "u.xlsx") == ["u.xlsx: not a readable .xlsx workbook"]
    assert refusal(b"PK\x03\x04 garbage that is no zip", "u.xlsx") == ["u.xlsx: not a readable .xlsx workbook"]


# -- formulas: neutralised on export, restored on import --------------------------------------

@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r", "\n"])
def test_every_formula_prefix_is_neutralised_in_csv_and_restored_on_import(prefix):
    value = prefix + "1+1"
    exported = write_csv(["code"], [[value]])
    cell = next(csv.reader(io.StringIO(exported.decode("utf-8-sig"))), None)
    cells = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert cell == ["code"] and cells[1] == ["'" + value]
    assert restore("'" + value) == value


def test_ordinary_values_are_written_and_read_unchanged():
    assert tabular.neutralise("北京") == "北京"
    assert tabular.neutralise(-5) == -5
    assert tabular.neutralise("") == ""
    assert restore("'quoted") == "'quoted"  # an apostrophe the user wrote stays
    assert restore("'") == "'"
    assert restore("plain") == "plain"


def test_a_csv_export_is_utf8_with_a_bom_and_crlf_rows_and_empty_cells_for_none():
    exported = write_csv(["a", "b"], [["北京", None], [1, "x"]])
    assert exported.startswith("\ufeff".encode())
    assert exported.decode("utf-8-sig") == "a,b\r\n北京,\r\n1,x\r\n"


def test_an_xlsx_export_has_the_title_the_header_and_inert_cells():
    data = write_xlsx(["code", "note"], [["=A1", "bell\x07"], ["B", 2]], title="units of 北京 and far more words")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.title == "units of 北京 and far more words"[:31]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["code", "note"], ["'=A1", "bell"], ["B", 2]]
    assert load_workbook(io.BytesIO(write_xlsx(["a"], []))).worksheets[0].title == "data"


# -- the bounds ------------------------------------------------------------------------------

def _zip(parts: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_zip_limits_hold_at_the_limit_and_refuse_one_byte_past_it(monkeypatch):
    data = _zip({"a.txt": b"x" * 1000}, zipfile.ZIP_STORED)
    monkeypatch.setattr(tabular, "MAX_UNPACKED_BYTES", 1000)
    assert tabular.zip_too_large(data) is None
    monkeypatch.setattr(tabular, "MAX_UNPACKED_BYTES", 999)
    assert tabular.zip_too_large(data) == "it unpacks to 0 MB, more than the 0 MB allowed"
    assert tabular.zip_too_large(b"not a zip") is None


def test_a_tightly_packed_archive_is_refused_with_its_ratio(monkeypatch):
    data = _zip({"a.txt": b"0" * 200_000})
    ratio = 200_000 // len(data)
    monkeypatch.setattr(tabular, "MAX_PACKING_RATIO", ratio - 1)
    assert tabular.zip_too_large(data) == f"it is packed {ratio} times, which only a malicious file is"
    monkeypatch.setattr(tabular, "MAX_PACKING_RATIO", 200_000 / len(data))
    assert tabular.zip_too_large(data) is None
    monkeypatch.setattr(tabular, "MAX_UNPACKED_BYTES", 3 * 1048576 - 1)
    big = _zip({"a.txt": b"0" * (3 * 1048576)}, zipfile.ZIP_STORED)
    assert tabular.zip_too_large(big) == "it unpacks to 3 MB, more than the 2 MB allowed"


def test_workbook_parts_are_refused_at_their_own_limits(monkeypatch):
    sheet = b"<worksheet/>" * 100
    data = _zip({"xl/worksheets/sheet1.xml": sheet, "xl/sharedStrings.xml": b"s" * 300,
                 "xl/worksheets/_rels/sheet1.xml.rels": b"r" * 5000})
    monkeypatch.setattr(tabular, "MAX_SHEET_XML_BYTES", len(sheet))
    monkeypatch.setattr(tabular, "MAX_SHARED_STRINGS_BYTES", 300)
    assert tabular._xlsx_refusal(data) is None  # .rels is no sheet, and each part is at its limit
    monkeypatch.setattr(tabular, "MAX_SHARED_STRINGS_BYTES", 299)
    assert tabular._xlsx_refusal(data) == "its text table unpacks to 0 MB, more than the 0 MB an import may hold"
    monkeypatch.setattr(tabular, "MAX_SHARED_STRINGS_BYTES", 300)
    monkeypatch.setattr(tabular, "MAX_SHEET_XML_BYTES", len(sheet) - 1)
    assert tabular._xlsx_refusal(data) == "a sheet unpacks to 0 MB, more than the 0 MB an import may hold"
    assert tabular._xlsx_refusal(_zip({"xl/sharedStrings.xml": b"s"})) is None  # no sheet at all
    assert tabular._xlsx_refusal(b"no zip") is None


def test_a_refused_workbook_says_why_before_it_is_read(monkeypatch):
    data = write_xlsx(["code"], [["A"]] * 50)
    monkeypatch.setattr(tabular, "MAX_SHEET_XML_BYTES", 100)
    assert refusal(data, "u.xlsx")[0].startswith("u.xlsx: not read: a sheet unpacks to 0 MB")


def test_the_row_and_cell_limits_allow_exactly_the_limit(monkeypatch):
    data = write_xlsx(["code", "name"], [["A", "x"]] * 10)  # 11 rows of 2 cells, header included
    monkeypatch.setattr(tabular, "MAX_TABLE_ROWS", 10)
    monkeypatch.setattr(tabular, "MAX_TABLE_CELLS", 22)
    assert len(read_table(data, "u.xlsx", ["code"], ["name"])) == 10
    monkeypatch.setattr(tabular, "MAX_TABLE_CELLS", 21)
    assert refusal(data, "u.xlsx", ["code"], ["name"]) == [
        "u.xlsx: the sheet has more than 10 rows or 21 cells; split it into several files"]
    monkeypatch.setattr(tabular, "MAX_TABLE_CELLS", 22)
    monkeypatch.setattr(tabular, "MAX_TABLE_ROWS", 9)
    assert refusal(data, "u.xlsx", ["code"], ["name"]) == [
        "u.xlsx: the sheet has more than 9 rows or 22 cells; split it into several files"]


def test_the_sizes_in_a_refusal_are_whole_mebibytes(monkeypatch):
    mib = 1048576
    data = _zip({"xl/worksheets/sheet1.xml": b" " * (2 * mib), "xl/sharedStrings.xml": b" " * (2 * mib)})
    monkeypatch.setattr(tabular, "MAX_SHARED_STRINGS_BYTES", mib)
    assert tabular._xlsx_refusal(data) == "its text table unpacks to 2 MB, more than the 1 MB an import may hold"
    monkeypatch.setattr(tabular, "MAX_SHARED_STRINGS_BYTES", 2 * mib)
    monkeypatch.setattr(tabular, "MAX_SHEET_XML_BYTES", mib)
    assert tabular._xlsx_refusal(data) == "a sheet unpacks to 2 MB, more than the 1 MB an import may hold"


def test_a_workbook_without_a_text_table_is_never_refused_for_its_text_table(monkeypatch):
    monkeypatch.setattr(tabular, "MAX_SHARED_STRINGS_BYTES", 0)
    assert tabular._xlsx_refusal(_zip({"xl/worksheets/sheet1.xml": b"<worksheet/>"})) is None


def test_workbook_refusals_reach_the_api_without_a_row_or_field(monkeypatch):
    data = write_xlsx(["code"], [["A"]] * 5)
    monkeypatch.setattr(tabular, "MAX_SHEET_XML_BYTES", 10)
    with pytest.raises(TableError) as caught:
        read_table(data, "u.xlsx", ["code"])
    assert [(e.row, e.field) for e in caught.value.errors] == [(None, "")]
    monkeypatch.setattr(tabular, "MAX_SHEET_XML_BYTES", 10**9)
    monkeypatch.setattr(tabular, "MAX_TABLE_ROWS", 2)
    with pytest.raises(TableError) as caught:
        read_table(data, "u.xlsx", ["code"])
    assert [(e.row, e.field) for e in caught.value.errors] == [(None, "")]


def test_a_formula_cell_imports_the_value_the_spreadsheet_saved_not_the_formula():
    source = zipfile.ZipFile(io.BytesIO(write_xlsx(["code", "count"], [["A", "=1+1"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                # as a spreadsheet program saves it: the formula with its computed value (a real
                # formula, not the neutralised text Luoshi itself would write)
                content = content.replace(b'<c r="B2" t="inlineStr"><is><t>\'=1+1</t></is></c>',
                                          b'<c r="B2"><f>1+1</f><v>2</v></c>')
                assert b"<f>1+1</f>" in content
            target.writestr(info.filename, content)
    assert read_table(out.getvalue(), "u.xlsx", ["code", "count"]) == [(2, {"code": "A", "count": "2"})]
