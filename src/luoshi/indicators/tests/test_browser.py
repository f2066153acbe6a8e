"""The data-entry grid and the bottom-up approval in a real browser (Chromium through Playwright).

北京's reporter opens the local data set, types the year's values into the grid with the keyboard
(Enter moves down a column; the total of the disaggregated indicator is derived as they type),
sees the inline warning of a rule between indicators, explains it in the comments, saves a
draft and submits. The ministry's reviewer finds the submission among the data waiting for
approval but cannot approve 北京 while its districts are not approved: the page names them.

The definitions are the demo's (``indicators.demo.define``); the browser asks for Chinese, so
the test finds things by id, test id and the data it typed, never by translated text.
Screenshots go to ``test-output/browser/``.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from luoshi.core.testing.browser import log_in, no_horizontal_scroll
from luoshi.core.testing.skips import requires_chromium
from luoshi.indicators import demo
from luoshi.indicators.models import Approval, DataValue
from luoshi.plans import rules

pytestmark = [requires_chromium(), pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Down the value column, in the grid's order (by indicator code; the categories of KG_CHILDREN in theirs).
TYPED = [
    ("GER_HS", "93.5"), ("GER_PRE", "91.2"), ("KG_CHILDREN-URBAN", "300000"), ("KG_CHILDREN-TOWN", "80000"),
    ("KG_CHILDREN-RURAL", "20000"), ("PRI_STUDENTS", "1000000"), ("PRI_TEACHERS", "40000"), ("RET_9Y", "96.4"),
]
EXPLANATION = "新建学校教师尚在招聘中，生师比暂时偏高，已报市编办。"


def playwright_expect():
    from playwright.sync_api import expect

    return expect


def log_out(page) -> None:
    page.locator(".user-menu > summary").click()
    with page.expect_navigation():
        page.locator(".user-menu form[action$='/logout/'] button").click()


def value_input(page, row: str):
    return page.get_by_test_id(f"row-{row}").locator("input[data-cell]")


def comment_input(page, row: str):
    return page.get_by_test_id(f"row-{row}").locator("input[data-comment-for]")


def test_beijing_enters_checks_and_submits_and_the_ministry_cannot_approve_before_the_districts(world, live_server, page, shots):
    demo.define(world.user("admin"))
    period = rules.previous_period("yearly", timezone.localdate()).key
    base = live_server.url
    check = playwright_expect()
    page.set_default_timeout(10_000)
    page.set_viewport_size(DESKTOP)

    # -- 北京's reporter opens the data set and the grid of 北京 for the period. ---------------
    log_in(page, base, "beijing_reporter", "/indicators/datasets/DS_LOCAL/")
    check(page.get_by_test_id("status-row-110000")).to_be_visible()
    check(page.get_by_test_id("status-row-310000")).to_have_count(0)  # 上海 is not 北京's business
    page.get_by_test_id(f"open-110000-{period}").click()
    page.wait_for_url(f"{base}/indicators/datasets/DS_LOCAL/110000/{period}/")
    check(page.get_by_test_id("approval-state")).to_have_attribute("data-state", "missing")

    # -- Keyboard entry: type a value, Enter moves down the column. --------------------------------
    value_input(page, TYPED[0][0]).click()
    for row, text in TYPED:
        check(value_input(page, row)).to_be_focused()
        page.keyboard.type(text)
        page.keyboard.press("Enter")
    check(page.get_by_test_id("total-KG_CHILDREN")).to_have_text("400000")  # derived, never typed
    # → from a value goes to its comment, ← back; ↑ moves up the column.
    value_input(page, "RET_9Y").focus()
    page.keyboard.press("ArrowUp")
    check(value_input(page, "PRI_TEACHERS")).to_be_focused()

    # -- The inline check warns: 25 pupils per teacher breaks the rule (≤ 19). --------------------
    warning = page.get_by_test_id("row-PRI_STUDENTS").locator(".eg-warning")
    check(warning).to_be_visible()
    check(page.get_by_test_id("row-PRI_TEACHERS").locator(".eg-warning")).to_be_visible()
    check(comment_input(page, "PRI_STUDENTS")).to_have_class(re.compile("eg-comment-needed"))
    check(page.get_by_test_id("grid-summary")).to_have_class(re.compile("warn"))
    check(page.get_by_test_id("computed-PRI_STR")).to_have_text("25.00")  # the formula, on what was typed
    page.screenshot(path=str(shots / "indicators-grid-warning.png"), full_page=True)

    value_input(page, "PRI_STUDENTS").focus()
    page.keyboard.press("End")
    page.keyboard.press("ArrowRight")
    check(comment_input(page, "PRI_STUDENTS")).to_be_focused()
    page.keyboard.type(EXPLANATION)
    comment_input(page, "PRI_TEACHERS").fill(EXPLANATION)

    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page), "the entry grid scrolls sideways on a phone"
    page.screenshot(path=str(shots / "indicators-grid-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    # -- Save the draft: the values and the comment are kept. -------------------------------------
    with page.expect_navigation():
        page.get_by_test_id("save").click()
    check(page.locator(".msg-success, .msg-warning")).to_have_count(1)
    check(page.get_by_test_id("approval-state")).to_have_attribute("data-state", "draft")
    check(value_input(page, "PRI_STUDENTS")).to_have_value("1000000")
    check(comment_input(page, "PRI_STUDENTS")).to_have_value(EXPLANATION)
    stored = DataValue.objects.get(unit__code="110000", period=period, indicator__code="PRI_STUDENTS")
    assert stored.value == 1_000_000 and stored.warnings == ["rule:R_PRI_RATIO"] and stored.comment == EXPLANATION
    assert DataValue.objects.filter(unit__code="110000", period=period, indicator__code="KG_CHILDREN").count() == 3

    # -- Submit: the grid is locked. --------------------------------------------------------------
    with page.expect_navigation():
        page.get_by_test_id("submit").click()
    check(page.get_by_test_id("approval-state")).to_have_attribute("data-state", "submitted")
    check(page.get_by_test_id("entry-grid").locator("input[data-cell]")).to_have_count(0)
    page.screenshot(path=str(shots / "indicators-grid-submitted.png"), full_page=True)
    log_out(page)

    # -- The ministry's reviewer cannot approve 北京 before its districts. ------------------------
    log_in(page, base, "ministry_reviewer", "/indicators/reviews/")
    row = page.get_by_test_id("approval-row").filter(has_text=period)
    check(row).to_have_count(1)
    row.get_by_test_id("review-approval").click()
    page.wait_for_url(f"{base}/indicators/datasets/DS_LOCAL/110000/{period}/")
    check(page.get_by_test_id("missing-below")).to_contain_text("东城区")
    with page.expect_navigation():
        page.get_by_test_id("approve").click()
    error = page.locator(".msg-error")
    check(error).to_contain_text("东城区")
    check(error).to_contain_text("延庆区")
    check(page.get_by_test_id("approval-state")).to_have_attribute("data-state", "submitted")
    assert Approval.objects.get(dataset__code="DS_LOCAL", unit__code="110000", period=period).state == "submitted"
    page.screenshot(path=str(shots / "indicators-approve-refused.png"), full_page=True)
