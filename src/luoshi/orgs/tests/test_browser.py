"""A 北京 reporter uses the organisation pages in a real browser (Chromium through Playwright).

Screenshots go to ``test-output/browser/`` (kept by CI as an artefact).
"""

from __future__ import annotations

import re

import pytest

from luoshi.core.testing.browser import log_in, no_horizontal_scroll
from luoshi.core.testing.skips import requires_chromium

pytestmark = [requires_chromium(), pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_it_lets_a_beijing_reporter_browse_only_beijing(world, live_server, page, shots):
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, "beijing_reporter", "/units/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    # The tree starts at the ministry (shown by name only); opening it loads 北京 through htmx.
    tree = page.locator("ul.tree")
    assert tree.locator("> li").count() == 1
    with page.expect_response(re.compile(r"/units/MOE/children/$")) as loaded:
        tree.locator("> li > .node > button").click()
    assert loaded.value.status == 200
    beijing = tree.locator("a", has_text="北京市教育委员会")
    beijing.wait_for()
    assert tree.locator("a", has_text="上海").count() == 0
    # ... and 北京 opens onto its districts.
    with page.expect_response(re.compile(r"/units/110000/children/$")):
        page.locator('li:has(> .node > a:text-is("北京市教育委员会")) > .node > button').click()
    district = tree.locator("a", has_text="北京市东城区教育委员会")
    district.wait_for()
    assert page.locator("button[aria-expanded=true]").count() == 2
    page.screenshot(path=str(shots / "tree-beijing-reporter.png"), full_page=True)

    district.click()
    page.wait_for_url(f"{base}/units/110101/")
    assert page.locator("h1").inner_text().startswith("北京市东城区教育委员会")
    assert page.locator("dd.mono").first.inner_text() == "110101"
    assert "北京市第二中学" in page.locator("main").inner_text()
    page.screenshot(path=str(shots / "district-110101.png"), full_page=True)

    # 上海 below the province level is unreachable: direct URLs, the tree's partials, search.
    for path in ("/units/310101/", "/units/310000/", "/units/310101/children/", "/units/S310101001/"):
        response = page.goto(f"{base}{path}")
        assert response.status == 404, path
    page.goto(f"{base}/units/")
    search = page.locator("#id_q")
    with page.expect_response(re.compile(r"/units/search/")):
        search.fill("黄浦")
    page.locator("#results table").wait_for()
    assert "No units match." in page.locator("#results").inner_text() or "黄浦" not in page.locator("#results tbody").inner_text()
    assert page.locator("#results a", has_text="黄浦").count() == 0
    with page.expect_response(re.compile(r"/units/search/")):
        search.fill("东城")
    page.locator("#results a", has_text="北京市东城区教育委员会").wait_for()

    # English, through the language selector in the top bar.
    page.goto(f"{base}/units/110101/")
    with page.expect_navigation():
        page.select_option("#lang-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    nav = page.locator("#main-nav")
    assert nav.get_by_role("link", name="Organisation").is_visible()
    assert nav.get_by_role("link", name="Home").is_visible()
    assert page.locator("nav.tabs").get_by_role("link", name="Units below").is_visible()
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "district-110101-en.png"), full_page=True)

    # A phone: the page fits the width, the menu folds away behind a button and opens.
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/units/110101/")
    assert no_horizontal_scroll(page), "the district page scrolls sideways on a phone"
    toggle = page.locator("[data-nav-toggle]")
    assert toggle.is_visible() and not nav.is_visible()
    page.screenshot(path=str(shots / "district-110101-phone.png"), full_page=True)
    toggle.click()
    assert nav.get_by_role("link", name="Organisation").is_visible()
    page.screenshot(path=str(shots / "district-110101-phone-menu.png"), full_page=True)
    page.goto(f"{base}/units/")
    assert no_horizontal_scroll(page), "the tree page scrolls sideways on a phone"
    page.screenshot(path=str(shots / "tree-phone.png"), full_page=True)
