"""The main pages on a phone (390 px wide): no sideways scrolling, the menu opens from a button,
and work lists are cards whose due dates are fully visible."""

from __future__ import annotations

import pytest

from luoshi.core.testing.browser import log_in, no_horizontal_scroll
from luoshi.core.testing.skips import requires_chromium
from luoshi.plans.tests.conftest import build_small_plan

pytestmark = [requires_chromium(), pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_the_main_pages_fit_a_phone(world, live_server, page, shots):
    small = build_small_plan(world)
    page.set_viewport_size(PHONE)
    base = live_server.url
    log_in(page, base, "beijing_reporter")
    pages = {"home": "/", "my-work": "/plans/my-work/", "plan": f"/plans/{small.plan.pk}/", "supervision": "/plans/supervision/"}
    due_dates_checked = {}
    for name, url in pages.items():
        page.goto(f"{base}{url}")
        assert no_horizontal_scroll(page), name
        nav = page.locator("#main-nav")
        assert not nav.is_visible(), f"{name}: the menu should be folded behind its button"
        page.locator("[data-nav-toggle]").click()
        assert nav.is_visible() and page.locator("[data-nav-toggle]").get_attribute("aria-expanded") == "true"
        assert nav.locator("a").first.bounding_box()["width"] > 0
        page.locator("[data-nav-toggle]").click()
        assert not nav.is_visible()
        cards = page.locator("table.items-table tbody tr")
        for index in range(min(cards.count(), 3)):
            card = cards.nth(index)
            box = card.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, f"{name}: card {index} is cut off"
            due = card.locator("td[data-label]").nth(2)
            due_box = due.bounding_box()
            if due_box:
                assert due_box["x"] + due_box["width"] <= PHONE["width"] + 1, f"{name}: the due date is cut off"
                due_dates_checked[name] = due_dates_checked.get(name, 0) + 1
        page.screenshot(path=str(shots / f"phone-{name}.png"), full_page=True)
    # The work lists (my work, supervision) are cards with due dates, so the check above did run.
    assert due_dates_checked.get("my-work") and due_dates_checked.get("supervision"), due_dates_checked


def test_my_work_shows_cards_on_a_phone(world, live_server, page):
    build_small_plan(world)
    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, "beijing_reporter", "/plans/my-work/")
    rows = page.locator("table.items-table tbody tr")
    assert rows.count() >= 1
    assert page.locator("table.items-table thead").bounding_box()["height"] <= 1  # headers only for screen readers
    assert rows.first.evaluate("el => getComputedStyle(el).display") == "block"


def _rows(links) -> int:
    return len({round(links.nth(i).bounding_box()["y"]) for i in range(links.count())})


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_menu_is_one_row_at_1280_px_and_keeps_the_user_controls_beside_it_when_it_wraps(
        world, live_server, browser, locale, shots):
    """A ministry planner's twelve sections fit one row at 1280 px in either language. Where the
    menu is longer (the superuser's fourteen) or the window narrower, it wraps inside its own box
    and the language and user controls stay on its first row instead of a row of their own."""
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server.url, "ministry_planner")
        links = page.locator("#main-nav a")
        assert links.count() >= 12
        page.screenshot(path=str(shots / f"menu-1280-{locale}.png"))
        assert _rows(links) == 1, f"{locale}: the menu takes {_rows(links)} rows at 1280 px"
        assert no_horizontal_scroll(page)
        page.context.clear_cookies()
        log_in(page, live_server.url, "admin")
        for width in (1280, 1024, 800):
            page.set_viewport_size({"width": width, "height": 900})
            nav = page.locator("#main-nav").bounding_box()
            end = page.locator(".topbar-end").bounding_box()
            assert end["x"] >= nav["x"] + nav["width"] - 1, f"{locale}, {width} px: the controls are not beside the menu"
            assert end["y"] + end["height"] <= nav["y"] + nav["height"] + 1, f"{locale}, {width} px: the controls dropped below the menu"
            assert no_horizontal_scroll(page), f"{locale}, {width} px"
    finally:
        context.close()
