"""The analytics pages and their XLSX exports: what they show, drill-down links, and scoping —
a province's user never receives another province's numbers in a chart, a table or an export."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.test import Client
from openpyxl import load_workbook

from luoshi.analytics import charts
from luoshi.analytics.tests.figures import SHANGHAI_NAMES, SHANGHAI_VALUES, build_figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(world):
    return build_figures(world)


def client_for(world, username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(world.user(username))
    return client


def chart_data(response) -> dict[str, dict]:
    """Every chart of a page, from its json_script elements, by chart id."""
    html = response.content.decode()
    found = {}
    for match in re.finditer(r'<script id="chart-data-[^"]+" type="application/json">(.*?)</script>', html, re.S):
        data = json.loads(match.group(1))
        found[data["id"]] = data
    return found


def leaks(chart: dict) -> list:
    """上海's figures found in a chart's data, table or links (numbers as numbers, names as text)."""
    cells = [c for row in chart.get("rows", []) for c in row]
    cells += [v for s in chart.get("series", []) for v in s["data"]] + chart.get("categories", []) + chart.get("links", [])
    cells += [r["value"] for r in chart.get("regions", [])] + [r["name"] for r in chart.get("regions", [])]
    return [c for c in cells if (isinstance(c, (int, float)) and c in SHANGHAI_VALUES)
            or (isinstance(c, str) and any(n in c for n in SHANGHAI_NAMES))]


def xlsx_rows(response) -> list[tuple]:
    ws = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return list(ws.iter_rows(values_only=True))


def test_the_national_overview_shows_plans_lights_overdue_and_attainment(world, figures):
    response = client_for(world, "ministry_reviewer").get("/analytics/", {"period": "2024"})
    assert response.status_code == 200
    found = chart_data(response)
    assert {"lights", "overdue", "attainment", "completeness", f"plan-{figures.small.plan.pk}"} <= set(found)
    # The small plan's key task is charted with its progress, and links to its item page.
    plan = found[f"plan-{figures.small.plan.pk}"]
    assert plan["links"] == [f"/plans/{figures.small.plan.pk}/items/{figures.small.task.pk}/"]
    # The national ENROL (900 + 450 + 700 = 2050) against the national target 2000.
    attainment = found["attainment"]
    enrol = next(row for row in attainment["rows"] if row[0] == "在校生数")
    assert enrol[2] == 2050 and enrol[4] == 2000 and enrol[5] == 2024 and enrol[6] == pytest.approx(102.5)
    # Every chart has its table in the page and an XLSX link.
    html = response.content.decode()
    assert html.count('class="chart-table"') == len([c for c in found.values()])
    assert 'href="/analytics/export.xlsx?' in html


def test_the_overdue_chart_drills_down_to_the_units_below(world, figures):
    response = client_for(world, "ministry_reviewer").get("/analytics/", {"period": "2024"})
    overdue = chart_data(response)["overdue"]
    by_code = {row[1]: (row, link) for row, link in zip(overdue["rows"], overdue["links"])}
    assert by_code["110000"][1] == "/analytics/units/110000/" and by_code["310000"][1] == "/analytics/units/310000/"
    assert by_code["MOE-JCJYS"][1] == "/analytics/units/MOE-JCJYS/"
    assert "MOE" not in by_code  # units without items of their own (or below) are left out


def test_a_unit_page_shows_its_trend_rank_and_completeness(world, figures):
    response = client_for(world, "beijing_reviewer").get("/analytics/units/110101/", {"period": "2024"})
    assert response.status_code == 200
    found = chart_data(response)
    trend = found["trend-ENROL"]
    assert trend["categories"] == ["2023", "2024"]
    assert trend["series"][0]["data"] == [800, 900] and trend["series"][1]["data"] == [1100, 1200]
    assert trend["note"]  # the projection explained in words
    ranking = found[f"ranking-{figures.run.pk}"]
    assert ranking["rows"][0][:2] == [1, "东城区"]
    html = response.content.decode()
    assert 'data-testid="standing"' in html and "1/16" in html  # 1st of 北京's 16 districts
    assert "completeness" in found


def test_the_comparison_has_bars_and_the_provinces_map_with_drill_down(world, figures):
    response = client_for(world, "ministry_reviewer").get("/analytics/compare/",
                                                          {"unit": "MOE", "period": "2024", "indicator": "ENROL"})
    assert response.status_code == 200
    found = chart_data(response)
    bar, region_map = found["compare"], found["compare-map"]
    assert bar["categories"][:2] == ["北京市", "上海市"] and bar["series"][0]["data"][:2] == [1350, 700]
    assert bar["links"][:2] == ["/analytics/units/110000/", "/analytics/units/310000/"]
    assert {"name": "北京", "value": 1350, "link": "/analytics/units/110000/"} in region_map["regions"]
    assert 'vendor/echarts-map/china.js' in response.content.decode()


def test_every_province_region_is_a_region_of_the_installed_map():
    from django.contrib.staticfiles import finders

    path = finders.find("vendor/echarts-map/china.js")
    assert path, "the map is not installed: run scripts/build_assets.py"
    text = open(path, encoding="utf-8").read()
    for prefix, name in charts.PROVINCE_MAP_NAMES.items():
        assert f'name:"{name}"' in text and f'id:"{prefix}0000"' in text, name


def test_exports_hold_the_chart_table(world, figures):
    client = client_for(world, "ministry_reviewer")
    response = client.get("/analytics/export.xlsx", {"page": "compare", "unit": "MOE", "period": "2024",
                                                     "indicator": "ENROL", "chart": "compare"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = xlsx_rows(response)
    assert rows[1][:3] == ("北京市", "110000", 1350) and rows[2][:3] == ("上海市", "310000", 700)
    for bad in ({"chart": "nothing"}, {"page": "elsewhere"}, {"period": "not-a-period"}):
        params = {"page": "compare", "unit": "MOE", "period": "2024", "indicator": "ENROL", "chart": "compare"} | bad
        assert client.get("/analytics/export.xlsx", params).status_code == 404, bad


def test_a_province_never_receives_another_provinces_numbers(world, figures):
    client = client_for(world, "beijing_reviewer")
    # Pages about the nation or another province do not exist for 北京's users.
    for url, params in (("/analytics/units/MOE/", {}), ("/analytics/units/310000/", {}),
                        ("/analytics/compare/", {"unit": "MOE", "indicator": "ENROL"}),
                        ("/analytics/", {"unit": "MOE"}),
                        ("/analytics/export.xlsx", {"page": "compare", "unit": "MOE", "indicator": "ENROL", "chart": "compare"}),
                        ("/analytics/export.xlsx", {"page": "overview", "unit": "310000", "chart": "overdue"})):
        assert client.get(url, {"period": "2024", **params}).status_code == 404, url
    # Their own pages hold none of 上海's numbers, in charts, tables or exports.
    for page, url, params in (("overview", "/analytics/", {}), ("unit", "/analytics/units/110000/", {}),
                              ("compare", "/analytics/compare/", {"unit": "110000", "indicator": "ENROL"})):
        response = client.get(url, {"period": "2024", **params})
        assert response.status_code == 200
        html = response.content.decode()
        found = chart_data(response)
        assert found, url
        for chart in found.values():
            assert not leaks(chart), (url, chart["id"])
            export = client.get("/analytics/export.xlsx", {"page": page, "unit": "110000", "period": "2024",
                                                           "chart": chart["id"], **params})
            assert export.status_code == 200, (url, chart["id"])
            assert not leaks({"rows": xlsx_rows(export)}), (url, chart["id"])
        assert "黄浦区" not in html and "上海：" not in html
    # The ministry's key task (context of 北京's part on the plan page) is not charted for 北京.
    overview = chart_data(client.get("/analytics/", {"period": "2024"}))
    assert all(figures.small.task.title not in json.dumps(c, ensure_ascii=False) for c in overview.values())


def test_someone_without_a_covering_role_sees_no_figures(world, figures):
    response = client_for(world, "nobody").get("/analytics/")
    assert response.status_code == 200 and not chart_data(response)
    assert client_for(world, "nobody").get("/analytics/units/110000/").status_code == 404


def test_indicator_charts_drill_down_to_the_units_below_for_that_indicator(world, figures):
    found = chart_data(client_for(world, "beijing_reviewer").get("/analytics/units/110000/", {"period": "2024"}))
    assert found["trend-ENROL"]["links"][-1] == "/analytics/compare/?unit=110000&period=2024&indicator=ENROL"
    enrol = found["completeness"]["rows"].index(next(r for r in found["completeness"]["rows"] if r[0] == "在校生数"))
    assert found["completeness"]["links"][enrol].endswith("&indicator=ENROL")
    # A school has no units below: nothing to drill into.
    school = chart_data(client_for(world, "beijing_reviewer").get("/analytics/units/S110101001/", {"period": "2024"}))
    assert all(link is None for c in school.values() if c["id"] in ("attainment", "completeness") for link in c["links"])


def test_a_value_without_a_target_for_its_year_is_measured_against_the_next_target(world, figures):
    from luoshi.indicators import services as indicator_services

    planner = world.user("ministry_planner")
    indicator_services.set_target(planner, indicator=figures.setup.pop, unit=world.unit("MOE"), year=2026, value=3000)
    indicator_services.set_target(planner, indicator=figures.setup.pop, unit=world.unit("MOE"), year=2030, value=4000)
    found = chart_data(client_for(world, "ministry_reviewer").get("/analytics/", {"period": "2024"}))
    pop = next(row for row in found["attainment"]["rows"] if row[0] == "适龄人口")
    # 2024: 1000 + 500 + 1000 = 2500 against the 2026 target of 3000 (the nearest ahead).
    assert pop[2] == 2500 and pop[4] == 3000 and pop[5] == 2026 and pop[6] == pytest.approx(83.3)

