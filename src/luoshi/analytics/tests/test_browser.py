"""The analytics pages in a real browser (Chromium through Playwright): the national overview and a
unit page draw their charts with data, the comparison draws the provinces map, a chart exports
to PNG, clicking a bar drills down, the pages fit a phone, and a bulletin asked for on the unit
page is written by the worker while the page shows its progress, then downloaded.

Screenshots go to ``test-output/browser/`` (kept by CI). The browser asks for Chinese; the test
finds things by test id, role and data, not by translated UI text.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from luoshi.analytics.tests.figures import build_figures
from luoshi.core.testing.browser import log_in, no_horizontal_scroll
from luoshi.core.testing.skips import requires_chromium

pytestmark = [requires_chromium(), pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def drawn(page, testid: str) -> bool:
    """The chart of the card drew on its canvas (ECharts' canvas renderer) with something on it."""
    return page.evaluate("""(testid) => {
        const card = document.querySelector(`[data-testid="${testid}"]`);
        const el = card && card.querySelector('[data-analytics-chart][data-rendered]');
        const canvas = el && el.querySelector('canvas');
        if (!canvas || canvas.width === 0) return false;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let ink = 0;
        for (let i = 0; i < data.length; i += 16) if (data[i + 3] > 0 && (data[i] < 200 || data[i + 1] < 200)) ink++;
        return ink > 50;
    }""", testid)


def test_dashboards_draw_their_charts_and_a_bulletin_is_made(world, live_server, page, shots):
    figures = build_figures(world)
    base = live_server.url
    page.set_default_timeout(15_000)
    page.set_viewport_size(DESKTOP)

    # -- The national overview: plan progress, lights, overdue by unit, indicator attainment. ---
    log_in(page, base, "ministry_reviewer", "/analytics/?period=2024")
    for testid in ("chart-lights", "chart-overdue", f"chart-plan-{figures.small.plan.pk}", "chart-attainment"):
        page.wait_for_selector(f'[data-testid="{testid}"] [data-rendered]')
        assert drawn(page, testid), testid
    page.screenshot(path=str(shots / "analytics-overview.png"), full_page=True)
    # A chart exports to PNG (drawn by ECharts in the browser) …
    with page.expect_download() as download:
        page.get_by_test_id("chart-attainment").locator("[data-chart-png]").click()
    png = download.value
    assert png.suggested_filename == "attainment.png"
    assert open(png.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    # … and to XLSX (the table, from the server).
    with page.expect_download() as download:
        page.get_by_test_id("xlsx-attainment").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(500)  # the charts redraw at the new width
    assert no_horizontal_scroll(page), "the overview scrolls sideways on a phone"
    page.screenshot(path=str(shots / "analytics-overview-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    # -- The comparison of the provinces: bars and the map; clicking 北京's bar drills down. ----
    page.goto(f"{base}/analytics/compare/?unit=MOE&period=2024&indicator=ENROL")
    page.wait_for_selector('[data-testid="chart-compare-map"] [data-rendered]')
    assert drawn(page, "chart-compare") and drawn(page, "chart-compare-map")
    page.screenshot(path=str(shots / "analytics-compare.png"), full_page=True)
    box = page.get_by_test_id("chart-compare").locator("canvas").bounding_box()
    bar = page.evaluate("""() => {
        const el = document.querySelector('[data-testid="chart-compare"] [data-analytics-chart]');
        const chart = echarts.getInstanceByDom(el);
        return chart.convertToPixel({seriesIndex: 0}, [0, chart.getOption().series[0].data[0].value / 2]);
    }""")
    with page.expect_navigation():
        page.mouse.click(box["x"] + bar[0], box["y"] + bar[1])
    assert page.url.startswith(f"{base}/analytics/units/110000/")

    # -- A unit page: its indicator against the target over time, its rank, completeness. -------
    page.goto(f"{base}/analytics/units/110101/?period=2024")
    for testid in ("chart-trend-ENROL", f"chart-ranking-{figures.run.pk}", "chart-completeness"):
        page.wait_for_selector(f'[data-testid="{testid}"] [data-rendered]')
        assert drawn(page, testid), testid
    assert "1/16" in page.get_by_test_id("standing").first.inner_text()
    page.screenshot(path=str(shots / "analytics-unit.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(500)  # the charts redraw at the new width
    assert no_horizontal_scroll(page), "the unit page scrolls sideways on a phone"
    page.screenshot(path=str(shots / "analytics-unit-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    # -- A bulletin: asked for on 北京's page, written by the worker, progress shown, downloaded. --
    page.goto(f"{base}/analytics/units/110000/?period=2024")
    with page.expect_navigation():
        page.get_by_test_id("make-bulletin").click()
    status = page.get_by_test_id("bulletin-status")
    assert status.get_attribute("data-state") in ("queued", "running")
    page.screenshot(path=str(shots / "bulletin-progress.png"), full_page=True)
    # The worker runs here (its signal handlers need the main thread); the page keeps polling the
    # live server meanwhile, and sees the bulletin done.
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    page.wait_for_selector('[data-testid="bulletin-status"][data-state="done"]', timeout=30_000)  # htmx polling
    page.screenshot(path=str(shots / "bulletin-done.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_test_id("download-bulletin").click()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(open(download.value.path(), "rb").read())).pages)
    assert "通报" in text and "东城区" in text and "黄浦区" not in text

