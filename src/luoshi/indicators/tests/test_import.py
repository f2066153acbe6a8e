"""Bulk import of values: every bad input, all or nothing, dry runs, idempotence, CLI, API, targets."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from luoshi.audit.models import AuditRecord
from luoshi.core import tabular
from luoshi.indicators import imports, services
from luoshi.indicators.models import DataImport, DataValue, ImportRow, Target

pytestmark = pytest.mark.django_db

HEADER = "indicator,org_unit,period,value,category,comment\n"
GOOD = HEADER + "ENROL,110101,2024,1200,,\nPOP,110101,2024,1300,,\nTEACH,110101,2024,100,,\nTEACH_F,110101,2024,60,,\n" \
                "PUPILS,110101,2024,500,urban,城区\nPUPILS,110101,2024,300,rural,\n"


def run(world, text: str, user="beijing_reporter", name="values.csv", **kw):
    return imports.import_values(world.user(user), text.encode(), filename=name, **kw)


def messages(result) -> list[tuple[int | None, str]]:
    return [(e.row, e.message) for e in result.errors]


def test_a_good_file_imports_and_the_second_time_changes_nothing(world, setup):
    first = run(world, GOOD)
    assert first.ok and (first.created, first.changed, first.unchanged) == (6, 0, 0)
    assert DataValue.objects.filter(unit__code="110101").count() == 6
    assert AuditRecord.objects.filter(verb="import", actor_username="beijing_reporter").count() == 1
    again = run(world, GOOD)
    assert again.ok and (again.created, again.changed, again.unchanged) == (0, 0, 6)
    assert "nothing to change" in again.summary()
    assert AuditRecord.objects.filter(verb="import").count() == 1
    assert not ImportRow.objects.exists()


def test_a_changed_value_is_updated_and_untouched_comments_stay(world, setup):
    run(world, GOOD)
    result = run(world, "indicator,org_unit,period,value\nPUPILS,110101,2024,510,urban\n".replace("value\n", "value,category\n"))
    assert result.ok and (result.created, result.changed) == (0, 1)
    value = DataValue.objects.get(indicator=setup.pupils, category__code="urban")
    assert value.value == 510 and value.comment == "城区"


BAD_CASES = [
    ("NOPE,110101,2024,1,,", "indicator", "unknown indicator 'NOPE'"),
    ("ENROL,999999,2024,1,,", "org_unit", "unknown unit '999999'"),
    ("ENROL,310101,2024,1,,", "org_unit", "unknown unit '310101' (or outside your scope)"),
    ("ENROL,110101,2024-13,1,,", "period", "no month 13"),
    ("ENROL,110101,20x4,1,,", "period", "not a period"),
    ("ENROL,110101,2024Q1,1,,", "period", "is reported yearly"),
    ("ENROL,110101,2024,abc,,", "value", "expected a number"),
    ("ENROL,110101,2024,1.5,,", "value", "expected a whole number"),
    ("ENROL,110101,2024,,,", "value", "the value is missing"),
    ("TEACH,110101,2024,-1,,", "value", "below the minimum"),
    ("GER,110101,2024,95,,", "indicator", "computed from its formula"),
    ("PUPILS,110101,2024,5,,", "category", "reported per category"),
    ("PUPILS,110101,2024,5,suburb,", "category", "unknown category 'suburb'"),
    ("ENROL,110101,2024,5,urban,", "category", "has no categories"),
]


@pytest.mark.parametrize("line, field, message", BAD_CASES, ids=[c[2][:30] for c in BAD_CASES])
def test_one_bad_row_writes_nothing_and_is_named(world, setup, line, field, message):
    text = GOOD + line + "\n"
    result = run(world, text)
    assert not result.ok
    assert [e.row for e in result.errors] == [8], result.errors
    assert result.errors[0].field == field
    assert message in result.errors[0].message
    assert not DataValue.objects.exists()
    assert not ImportRow.objects.exists()
    assert DataImport.objects.get(pk=result.import_id).state == DataImport.State.FAILED


def test_province_rows_are_refused_where_only_counties_report(world, setup):
    services.update_indicator(world.ministry_planner, setup.enrol, reporting_unit_types=["county"])
    result = run(world, HEADER + "ENROL,110000,2024,1,,\n")
    assert messages(result) == [(2, "units of type province do not report ENROL")]


def test_a_unit_the_importer_sees_but_may_not_enter_for_is_out_of_scope(world, setup):
    # beijing_reviewer sees 东城区 but is no reporter: refused as a whole (no entry role anywhere)
    with pytest.raises(Exception) as info:
        run(world, GOOD, user="beijing_reviewer")
    assert "not allow" in str(info.value)
    result = run(world, HEADER + "ENROL,110000,2024,1,,\n", user="beijing_reporter")  # own unit: fine
    assert result.ok
    result = run(world, HEADER + "ENROL,MOE,2024,1,,\n", user="beijing_reporter")  # an ancestor: visible, not writable
    assert messages(result) == [(2, "MOE is outside the units you may enter data for")]


def test_duplicate_rows_are_listed_with_the_first(world, setup):
    result = run(world, GOOD + "ENROL,110101,2024,1300,,\nPUPILS,110101,2024,1,urban,\n")
    assert messages(result) == [(8, "duplicate of row 2 (same indicator, unit, period and category)"),
                                (9, "duplicate of row 6 (same indicator, unit, period and category)")]


def test_locked_by_approval(world, setup):
    unit = world.unit("110101")
    services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024",
                         entries=[services.Entry("ENROL", "1")])
    services.submit(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024")
    result = run(world, HEADER + "ENROL,110101,2024,2,,\nENROL,110102,2024,2,,\n")
    assert messages(result) == [(2, "locked: the data of this unit and period has been submitted for review")]
    services.approve(world.beijing_reviewer, dataset=setup.dataset, unit=unit, period="2024")
    result = run(world, HEADER + "ENROL,110101,2024,2,,\n")
    assert messages(result) == [(2, "locked by approval: the data of this unit and period has been approved")]
    assert DataValue.objects.get(indicator=setup.enrol, unit=unit).value == 1


def test_validation_rules_block_the_import(world, setup):
    result = run(world, GOOD.replace("TEACH_F,110101,2024,60", "TEACH_F,110101,2024,160"))
    assert [e.row for e in result.errors] == [4]
    assert "女专任教师数不能超过专任教师数" in result.errors[0].message
    # against a value already stored
    run(world, GOOD)
    result = run(world, HEADER + "TEACH_F,110101,2024,101,,\n")
    assert [e.row for e in result.errors] == [2]


def test_every_bad_row_is_listed_in_row_order(world, setup):
    text = HEADER + "\n".join(line for line, _f, _m in BAD_CASES[:8]) + "\n"
    result = run(world, text)
    assert [e.row for e in result.errors] == sorted(e.row for e in result.errors)
    assert {e.row for e in result.errors} == set(range(2, 10))
    assert len(BAD_CASES) >= 8


def test_dry_run_reports_and_writes_nothing(world, setup):
    run(world, GOOD)
    result = run(world, GOOD.replace("1200", "1250") + "ENROL,110102,2024,7,,\n", dry_run=True)
    assert result.ok and (result.created, result.changed, result.unchanged) == (1, 1, 5)
    assert "dry run" in result.summary()
    assert DataValue.objects.get(indicator=setup.enrol, unit__code="110101").value == 1200
    assert not DataValue.objects.filter(unit__code="110102").exists()


@pytest.mark.parametrize("content, name, message", [
    (b"", "v.csv", "the file is empty"),
    (b"indicator,org_unit,period\nA,B,C\n", "v.csv", "missing columns: value"),
    (b"indicator,org_unit,period,value,colour\n", "v.csv", "unknown columns: colour"),
    (b"indicator,org_unit,period,value\n", "v.csv", "there are no data rows"),
    (b"\xff\xfe\x00i\x00n", "v.csv", "binary or UTF-16"),
    (b"PK\x03\x04garbage", "v.xlsx", "not a readable .xlsx"),
])
def test_unreadable_files_are_refused_whole(world, setup, content, name, message):
    result = imports.import_values(world.beijing_reporter, content, filename=name)
    assert not result.ok and message in result.errors[0].message
    assert not DataValue.objects.exists()


def test_xlsx_and_gb18030_files_import(world, setup):
    rows = [["ENROL", "110101", "2024", 1200], ["PUPILS", "110101", "2024", 5, "urban", "注释"]]
    data = tabular.write_xlsx(["indicator", "org_unit", "period", "value", "category", "comment"], rows)
    assert imports.import_values(world.beijing_reporter, data, filename="v.xlsx").created == 2
    gb = "indicator,org_unit,period,value,comment\nPOP,110101,2024,9,说明\n".encode("gb18030")
    result = imports.import_values(world.beijing_reporter, gb, filename="v.csv")
    assert result.ok and DataValue.objects.get(indicator=setup.pop).comment == "说明"


def test_upload_entry_point_reads_an_uploaded_file(world, setup):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("v.csv", GOOD.encode())
    result = imports.import_upload(world.beijing_reporter, upload, dry_run=True)
    assert result.ok and result.created == 6 and result.as_dict()["summary"]


def test_bounded_batches_and_progress(world, setup, settings):
    settings.LUOSHI_IMPORT_BATCH_ROWS = 100
    lines = [f"ENROL,110101,{year},{year},," for year in range(1900, 2101)]
    seen = []
    result = run(world, HEADER + "\n".join(lines) + "\n", progress=lambda phase, done, total: seen.append((phase, done)))
    assert result.ok and result.created == 201
    assert ("read", 201) in seen and any(p == "write" for p, _d in seen)
    assert len([p for p, _d in seen if p == "write"]) >= 2


def test_a_failing_batch_undoes_the_batches_before_it(world, setup, settings, monkeypatch):
    settings.LUOSHI_IMPORT_BATCH_ROWS = 100
    run(world, HEADER + "ENROL,110101,1950,5,,\n")
    lines = [f"ENROL,110101,{year},{year},," for year in range(1900, 2101)]
    calls = []

    def failing(phase, done, total):
        if phase == "write":
            calls.append(done)
            if len(calls) == 2:
                raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        run(world, HEADER + "\n".join(lines) + "\n", progress=failing)
    assert list(DataValue.objects.values_list("period", "value")) == [("1950", 5.0)]
    assert not ImportRow.objects.exists()


def test_cli_exit_codes_and_messages(world, setup, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD + "ENROL,110101,2024,x,,\n", encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("data", "import", str(bad), "--as", "beijing_reporter")
    assert info.value.returncode == 1
    err = capsys.readouterr().err
    assert "bad.csv, row 8, value: expected a number" in err
    assert not DataValue.objects.exists()
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    call_command("data", "import", str(good), "--dry-run", "--as", "beijing_reporter")
    assert "would create 6" in capsys.readouterr().out
    call_command("data", "import", str(good), "--as", "beijing_reporter")
    assert "6 created" in capsys.readouterr().out
    call_command("data", "import", str(good), "--as", "beijing_reporter")
    assert "nothing to change" in capsys.readouterr().out


def test_export_formats_neutralise_formulas(world, setup, tmp_path, capsys):
    run(world, GOOD.replace(",城区", ",=HYPERLINK(\"x\")").replace("PUPILS,110101,2024,300,rural,", "PUPILS,110101,2024,300,rural,\"ok\n=1+1\""))
    call_command("data", "export", "--indicator", "PUPILS", "--as", "beijing_reporter")
    out = capsys.readouterr().out
    assert "'=HYPERLINK" in out and "'ok\n=1+1" in out
    call_command("data", "export", "--indicator", "PUPILS", "--format", "json", "--as", "beijing_reporter")
    body = json.loads(capsys.readouterr().out)
    assert body["count"] == 2 and {i["comment"] for i in body["items"]} == {"'=HYPERLINK(\"x\")", "'ok\n=1+1"}
    target = tmp_path / "v.xlsx"
    call_command("data", "export", "--indicator", "PUPILS", "--period", "2024", "--unit", "110000", "--format", "xlsx",
                 "-o", str(target), "--as", "beijing_reporter")
    from openpyxl import load_workbook
    cells = [c.value for row in load_workbook(target).active.iter_rows() for c in row]
    assert "'=HYPERLINK(\"x\")" in cells
    # the CSV export imports back unchanged
    call_command("data", "export", "--indicator", "PUPILS", "--as", "beijing_reporter")
    csv_text = capsys.readouterr().out.replace(",state", "").replace(",draft", "")
    again = run(world, csv_text)
    assert again.ok and again.unchanged == 2 and again.changed == 0


def test_cli_export_of_an_invisible_indicator_is_refused(world, setup):
    with pytest.raises(CommandError) as info:
        call_command("data", "export", "--indicator", "NOPE", "--as", "beijing_reporter")
    assert info.value.returncode == 3


def test_api_post_lists_bad_items_and_writes_nothing(world, setup, api):
    client = api("beijing_reporter")
    items = [{"indicator": "ENROL", "org_unit": "110101", "period": "2024", "value": 5},
             {"indicator": "ENROL", "org_unit": "310101", "period": "2024", "value": 5},
             "nonsense", {"indicator": "POP", "org_unit": "110101"}]
    response = client.post("/api/v1/data-values", data=json.dumps(items), content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert [e["row"] for e in body["errors"]] == [2, 3, 4]
    assert not DataValue.objects.exists()
    response = client.post("/api/v1/data-values", data=json.dumps(items[:1]), content_type="application/json")
    assert response.status_code == 200 and response.json()["created"] == 1
    listing = client.get("/api/v1/data-values?indicator=ENROL&unit=110101&period=2024").json()
    assert listing == {"items": [{"indicator": "ENROL", "unit": "110101", "period": "2024", "category": None,
                                  "value": 5.0, "comment": "", "state": "draft"}], "count": 1}
    assert api("shanghai_reporter").get("/api/v1/data-values?indicator=ENROL").json()["count"] == 0
    assert api("shanghai_reporter").get("/api/v1/data-values?unit=110101").status_code == 404


def test_api_indicator_detail_has_targets(world, setup, api):
    services.set_target(world.ministry_planner, indicator=setup.enrol, unit=world.unit("MOE"), year=2035, value=99)
    services.set_target(world.beijing_admin, indicator=setup.enrol, unit=world.unit("110000"), year=2030, value=5)
    body = api("beijing_reporter").get("/api/v1/indicators/ENROL").json()
    assert body["targets"] == [{"unit": "MOE", "year": 2035, "value": 99.0}, {"unit": "110000", "year": 2030, "value": 5.0}]
    shanghai = api("shanghai_reporter").get("/api/v1/indicators/ENROL").json()
    assert shanghai["targets"] == [{"unit": "MOE", "year": 2035, "value": 99.0}]
    listing = api("shanghai_reporter").get("/api/v1/indicators").json()
    assert "ENROL" in [i["code"] for i in listing["items"]] and listing["count"] >= 6


def test_target_import(world, setup):
    text = "indicator,org_unit,year,value\nENROL,MOE,2035,100\nENROL,110000,2030,50\n"
    result = imports.import_targets(world.ministry_planner, text.encode(), filename="t.csv")
    assert result.ok and result.created == 2 and Target.objects.count() == 2
    again = imports.import_targets(world.ministry_planner, text.encode(), filename="t.csv")
    assert again.ok and again.unchanged == 2
    bad = imports.import_targets(world.beijing_admin, (text + "NOPE,110000,1999,x\n").encode(), filename="t.csv")
    assert [(e.row, e.field) for e in bad.errors] == [(2, "org_unit"), (4, "indicator"), (4, "year")]
    assert Target.objects.count() == 2


@pytest.mark.parametrize("value", ["1200", " 1200 ", "1_200", "１２００", "1.2e3", "1200.0", "1200.5", "-3", "nan", "inf",
                                   "1,200", "'1200", "'=1200", "", "1e400", "0x10"])
@pytest.mark.parametrize("indicator", ["ENROL", "TEACH", "GER"])
def test_the_fast_path_for_plain_rows_answers_as_the_full_checks(world, setup, indicator, value):
    # A file of the required columns only takes the fast path for plain numeric rows; the API's
    # records always take the full checks. Both must accept and refuse exactly the same rows.
    text = f"indicator,org_unit,period,value\n{indicator},110101,2024,\"{value}\"\n"
    from_file = run(world, text, dry_run=True)
    from_records = imports.import_records(world.beijing_reporter, [
        {"indicator": indicator, "org_unit": "110101", "period": "2024", "value": imports._restore(value.strip())}],
        dry_run=True)
    def answer(result):
        return result.ok, result.created, [(e.field, e.message) for e in result.errors]

    assert answer(from_file) == answer(from_records)
    assert [e.row for e in from_file.errors] == [2] * len(from_file.errors)
    if from_file.ok:
        first = run(world, text)
        assert first.ok and first.created == 1
        stored = DataValue.objects.get(indicator__code=indicator)
        DataValue.objects.all().delete()
        assert imports.import_records(world.beijing_reporter, [
            {"indicator": indicator, "org_unit": "110101", "period": "2024", "value": value.strip()}]).created == 1
        assert DataValue.objects.get(indicator__code=indicator).value == stored.value
