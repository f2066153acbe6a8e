"""The analytics API and export: values, targets, scoping (a province never gets another's numbers)."""

from __future__ import annotations

import json

import pytest

from luoshi.analytics import engine, queries
from luoshi.analytics.models import AggregateValue
from luoshi.analytics.tests.conftest import enter
from luoshi.indicators import services as indicator_services
from luoshi.indicators.tests.conftest import build_setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(world):
    setup = build_setup(world)
    enter(world, setup)
    indicator_services.set_target(world.user("ministry_planner"), indicator=setup.enrol, unit=world.unit("MOE"), year=2024,
                                  value=2000)
    engine.rebuild()
    return setup


def _get(client, **params):
    return client.get("/api/v1/analytics", params)


def test_values_with_completeness_target_and_attainment(built, api):
    resp = _get(api("ministry_planner"), indicator="ENROL", unit="MOE", period="2024")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["value"] == 900 + 450 + 700 and item["units_reporting"] == 3
    # reported by counties and provinces: every county and province of the demo tree is expected
    assert item["completeness"] == pytest.approx(3 / item["units_expected"])
    assert item["target"] == 2000 and item["attainment"] == pytest.approx(2050 / 2000)
    # a ratio of sums, never a sum of ratios: GER at 北京 = (900 + 450) / (1000 + 500) × 100
    ger = _get(api("ministry_planner"), indicator="GER", unit="110000", period="2024").json()["items"][0]
    assert ger["value"] == pytest.approx(90.0)
    # category rows and totals
    pupils = _get(api("ministry_planner"), indicator="PUPILS", unit="110000", period="2024").json()["items"][0]
    assert pupils["value"] == 300 + 100 + 200 + 50
    urban = _get(api("ministry_planner"), indicator="PUPILS", unit="110000", period="2024", category="urban").json()["items"]
    assert urban[0]["value"] == 500 and urban[0]["category"] == "urban"


def test_level_lists_the_units_below(built, api):
    body = _get(api("ministry_planner"), indicator="ENROL", unit="110000", period="2024", level=2).json()
    assert {i["unit"] for i in body["items"]} == {"110101", "110102"}


def test_a_province_sees_only_its_subtree(built, api):
    beijing = api("beijing_reporter")
    assert _get(beijing, indicator="ENROL", unit="110000", period="2024").status_code == 200
    assert _get(beijing, indicator="ENROL", unit="310000", period="2024").status_code == 404
    assert _get(beijing, indicator="ENROL", unit="MOE", period="2024").status_code == 404
    everything = _get(beijing, indicator="ENROL").json()["items"]
    assert everything and all(i["unit"].startswith("11") for i in everything)
    assert _get(api(None), indicator="ENROL", unit="110000").status_code == 401
    assert _get(api("ministry_planner"), indicator="ENROL", unit="110000", period="20x4").status_code == 422
    assert _get(api("ministry_planner"), indicator="NOPE", unit="110000").status_code == 404


def test_export_is_scoped(built, world, run_luoshi, tmp_path):
    rows = queries.aggregates(world.user("shanghai_reporter"), indicator=built.enrol)
    assert rows and all(r.unit.startswith("31") for r in rows)
    from django.core.management import call_command

    out = tmp_path / "agg.json"
    call_command("analytics", "export", "--aggregated", "--indicator", "ENROL", "--format", "json", "-o", str(out),
                 "--as", "beijing_reporter")
    items = json.loads(out.read_text())["items"]
    assert items and all(i["org_unit"].startswith("11") for i in items)


def test_saving_values_refreshes_the_aggregates(built, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enter(world, built, values={"110101": (1900, 1000, 300, 100)})
    row = AggregateValue.objects.get(indicator=built.enrol, unit=world.unit("110000"), period="2024", category=None)
    assert row.value == 1900 + 450
    ger = AggregateValue.objects.get(indicator=built.ger, unit=world.unit("MOE"), period="2024", category=None)
    assert ger.value == pytest.approx((1900 + 450 + 700) / 2500 * 100)
    before = {(r.indicator_id, r.unit_id, r.period, r.category_id): r.value for r in AggregateValue.objects.all()}
    engine.rebuild()
    after = {(r.indicator_id, r.unit_id, r.period, r.category_id): r.value for r in AggregateValue.objects.all()}
    assert before == after


@pytest.mark.parametrize("part_size", [20000, 2, 1])
def test_an_import_refreshes_the_aggregates_of_every_unit_period_and_indicator_it_wrote(built, world, settings, monkeypatch,
                                                                                        django_capture_on_commit_callbacks,
                                                                                        part_size):
    # The refresh after an import runs in parts of about LUOSHI_IMPORT_BATCH_ROWS values (whole
    # years, a year's indicators in groups, one indicator's units in groups): whatever the parts,
    # the aggregates end up as a full rebuild makes them.
    from luoshi.indicators import imports

    settings.LUOSHI_IMPORT_BATCH_ROWS = part_size
    parts = []
    refresh = engine.refresh
    monkeypatch.setattr(engine, "refresh", lambda keys, **kw: (parts.append(list(keys)), refresh(keys, **kw)))
    text = ("indicator,org_unit,period,value\nENROL,110101,2024,1900\nENROL,110102,2024,470\nPOP,110102,2024,600\n"
            "ENROL,110102,2023,10\nPOP,110101,2023,20\n")
    with django_capture_on_commit_callbacks(execute=True):
        result = imports.import_values(world.user("beijing_reporter"), text.encode(), filename="v.csv")
    assert result.ok and result.created + result.changed == 5
    # one part; or 2023 whole and 2024's indicators apart; or every (year, indicator) apart and
    # ENROL's two units of 2024 apart too
    assert len(parts) == {20000: 1, 2: 3, 1: 5}[part_size]
    assert AggregateValue.objects.get(indicator=built.enrol, unit=world.unit("110000"), period="2024",
                                      category=None).value == 1900 + 470
    assert AggregateValue.objects.get(indicator=built.pop, unit=world.unit("110000"), period="2023", category=None).value == 20
    before = {(r.indicator_id, r.unit_id, r.period, r.category_id): r.value for r in AggregateValue.objects.all()}
    engine.rebuild()
    after = {(r.indicator_id, r.unit_id, r.period, r.category_id): r.value for r in AggregateValue.objects.all()}
    assert before == after


def test_trend_explains_the_projection(built, world):
    planner = world.user("ministry_planner")
    enter(world, built, year="2023", values={"110101": (800, 1000, 1, 1)})
    indicator_services.set_target(planner, indicator=built.enrol, unit=world.unit("110101"), year=2035, value=1000)
    engine.rebuild()
    view = queries.trend(planner, built.enrol, world.unit("110101"))
    assert view.points == [(2023, 800.0), (2024, 900.0)]
    assert view.trend.slope == pytest.approx(100.0) and view.trend.on_course
    assert "on course" in view.text


def test_rebuild_command_and_who_may_run_it(built, world):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    AggregateValue.objects.filter(indicator=built.enrol).delete()
    call_command("analytics", "rebuild", "--quiet", "--as", "admin")
    assert AggregateValue.objects.filter(indicator=built.enrol, unit=world.unit("MOE"), period="2024").exists()
    with pytest.raises(CommandError):
        call_command("analytics", "rebuild", "--quiet", "--as", "beijing_admin")


def test_a_failed_rebuild_leaves_the_served_table_intact(built, world, monkeypatch):
    from luoshi.analytics import rollup_sql

    def table():
        return set(AggregateValue.objects.values_list("indicator_id", "unit_id", "period", "category_id", "value"))

    before = table()
    assert before

    def broken(*args, **kwargs):
        raise RuntimeError("killed half-way")

    monkeypatch.setattr(rollup_sql, "derived_layer_select", broken)
    with pytest.raises(RuntimeError):
        engine.rebuild()
    assert table() == before
    monkeypatch.undo()
    engine.rebuild()  # and the next run cleans up after it
    assert table() == before
