"""A progress report goes round the whole review loop in a real browser (Chromium through Playwright).

北京's reporter writes and submits a report on the part of a measure that 教育部 assigned to 北京;
the ministry's reviewer returns it with a comment; the reporter sees the comment (and a
notification), corrects and resubmits; the reviewer approves; the plan page then shows the new
progress on the item and rolled up on its parent. 上海's reporter cannot open the report (404).

The browser asks for Chinese, like our users, so the test finds things by id, role, test id and
the data it typed (titles, comments, percentages), never by translated UI text.
Screenshots go to ``test-output/browser/`` (kept by CI as an artefact).
"""

from __future__ import annotations

import re

import pytest

from luoshi.core.testing.browser import log_in, no_horizontal_scroll
from luoshi.core.testing.skips import requires_chromium
from luoshi.plans import services
from luoshi.plans.tests.conftest import build_small_plan

pytestmark = [requires_chromium(), pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PERIOD = "2025-Q2"  # a quarter of the plan's 2024–2025 horizon: always open for reporting

FIRST_DONE = "完成全市学前教育资源摸底，新增普惠性幼儿园学位3000个。"
RETURN_COMMENT = "请补充各区普惠性幼儿园覆盖率数据后重新提交。"
SECOND_DONE = FIRST_DONE.removesuffix("。") + "；16个区普惠性幼儿园覆盖率均达到90%以上。"
APPROVE_COMMENT = "数据完整，同意。"


def playwright_expect():
    """Playwright's retrying assertions (imported late: without Playwright the test skips, not errors)."""
    from playwright.sync_api import expect

    return expect


def log_out(page, base: str) -> None:
    """Through the user menu in the top bar."""
    page.locator(".user-menu > summary").click()
    with page.expect_navigation():
        page.locator(".user-menu form[action$='/logout/'] button").click()
    assert "/accounts/login/" in page.url


def progress_of(row) -> str | None:
    """The value a progress bar announces (``aria-valuenow``) in a row or block of the page."""
    return row.locator("[role=progressbar]").first.get_attribute("aria-valuenow")


def tree_row(page, title: str):
    """The row of the plan's item tree that links to ``title``."""
    return page.locator(".item-tree .item-row").filter(has=page.get_by_role("link", name=title, exact=True))


def test_a_report_goes_round_the_review_loop_and_rolls_up(world, live_server, page, shots):
    small = build_small_plan(world)
    # 北京 breaks its part down to 东城区 in the fixture; without the breakdown the 北京 item is a
    # leaf, so its own report sets its progress (a broken-down item's progress is rolled up instead).
    services.delete_item(world.user("beijing_planner"), small.dongcheng)
    plan, beijing, measure, task = small.plan, small.beijing, small.measure, small.task
    base = live_server.url
    page.set_default_timeout(10_000)
    page.set_viewport_size(DESKTOP)
    check = playwright_expect()

    # -- 北京's reporter finds the item in "my work" and writes a report for a quarter. ---------
    log_in(page, base, "beijing_reporter", "/plans/my-work/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    main = page.locator("main")
    check(main.get_by_role("link", name=small.shanghai.title)).to_have_count(0)
    main.get_by_role("link", name=beijing.title, exact=True).click()
    page.wait_for_url(f"{base}/plans/{plan.pk}/items/{beijing.pk}/")
    check(page.locator("h1")).to_contain_text(beijing.title)
    assert progress_of(page.get_by_test_id("item-status")) == "0"
    check(page.get_by_test_id(f"period-{PERIOD}").locator(".state-missing")).to_be_visible()

    page.get_by_test_id("write-report").click()
    page.wait_for_url(re.compile(r"/report/$"))
    with page.expect_navigation():  # choosing the period reopens the form for it
        page.locator("#id_period").select_option(PERIOD)
    assert f"period={PERIOD}" in page.url
    form = page.get_by_test_id("report-form")
    form.locator("#id_status").select_option("on_track")
    form.locator("#id_percent").fill("60")
    form.locator("#id_achievements").fill(FIRST_DONE)
    form.locator("#id_next_steps").fill("下一季度开展覆盖率统计。")
    page.screenshot(path=str(shots / "report-form.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page), "the report form scrolls sideways on a phone"
    page.screenshot(path=str(shots / "report-form-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    form.get_by_test_id("save-report").click()
    page.wait_for_url(re.compile(r"/plans/reports/\d+/$"))
    report_url = page.url
    check(page.get_by_test_id("report-state").locator(".state-draft")).to_be_visible()
    assert progress_of(page.get_by_test_id("report-percent")) == "60"
    check(page.get_by_test_id("report-achievements")).to_have_text(FIRST_DONE)
    page.get_by_test_id("submit-report").click()
    check(page.get_by_test_id("report-state").locator(".state-submitted")).to_be_visible()
    check(page.get_by_test_id("submit-report")).to_have_count(0)
    check(page.get_by_test_id("edit-report")).to_have_count(0)
    page.screenshot(path=str(shots / "report-submitted.png"), full_page=True)
    log_out(page, base)

    # -- 上海's reporter cannot open 北京's report: it does not exist for them. ----------------
    log_in(page, base, "shanghai_reporter", "/plans/my-work/")
    missing = page.goto(f"{base}/plans/reports/999999999/")
    assert missing.status == 404
    not_found = page.locator("body").inner_text()
    for url in (report_url, f"{report_url}review/"):
        response = page.goto(url)
        assert response.status == 404, url
        # The same page as for a report that does not exist: nothing of the report shows.
        assert page.locator("body").inner_text() == not_found, url
        assert FIRST_DONE not in page.content() and beijing.title not in page.content()
    page.screenshot(path=str(shots / "report-404-shanghai.png"), full_page=True)
    page.goto(f"{base}/plans/my-work/")
    log_out(page, base)

    # -- The ministry's reviewer finds it in the review queue and returns it with a comment. ---
    log_in(page, base, "ministry_reviewer", "/plans/reviews/")
    check(page.get_by_test_id("review-count")).to_contain_text("1")
    row = page.get_by_test_id("review-row").filter(has_text=beijing.title)
    check(row).to_have_count(1)
    check(row).to_contain_text(PERIOD)
    check(row).to_contain_text("60%")
    page.screenshot(path=str(shots / "review-queue.png"), full_page=True)
    row.get_by_test_id("review-link").click()
    page.wait_for_url(re.compile(r"/plans/reports/\d+/review/$"))
    check(page.get_by_test_id("report-achievements")).to_have_text(FIRST_DONE)
    page.locator("#id_comment").fill(RETURN_COMMENT)
    page.screenshot(path=str(shots / "review-return.png"), full_page=True)
    page.locator("button[name=decision][value=return]").click()
    page.wait_for_url(f"{base}/plans/reviews/")
    check(page.get_by_test_id("no-reviews")).to_be_visible()
    check(page.get_by_test_id("review-count")).to_have_count(0)
    log_out(page, base)

    # -- 北京's reporter is told, reads the comment, corrects the report and resubmits. --------
    log_in(page, base, "beijing_reporter", "/")
    check(page.get_by_test_id("unread-count")).to_contain_text("1")
    page.locator("#main-nav a.nav-bell").click()
    page.wait_for_url(f"{base}/plans/notifications/")
    note = page.get_by_test_id("notification").filter(has=page.locator(".note-returned"))
    check(note).to_have_count(1)
    check(note).to_contain_text(beijing.title)
    check(note).to_contain_text(PERIOD)
    check(note).to_contain_text(RETURN_COMMENT)
    page.screenshot(path=str(shots / "notifications-returned.png"), full_page=True)
    note.get_by_role("button", name=re.compile(re.escape(beijing.title))).click()  # marks it read, opens the item
    page.wait_for_url(f"{base}/plans/{plan.pk}/items/{beijing.pk}/")
    check(page.get_by_test_id("unread-count")).to_have_count(0)
    cell = page.get_by_test_id(f"period-{PERIOD}")
    check(cell.locator(".state-returned")).to_be_visible()
    check(cell.get_by_test_id("review-comment")).to_contain_text(RETURN_COMMENT)
    cell.get_by_test_id("open-report").click()
    page.wait_for_url(report_url)
    check(page.get_by_test_id("report-state").locator(".state-returned")).to_be_visible()
    check(page.get_by_test_id("review-comment")).to_contain_text(RETURN_COMMENT)
    page.screenshot(path=str(shots / "report-returned.png"), full_page=True)

    page.get_by_test_id("edit-report").click()
    page.wait_for_url(re.compile(rf"/items/{beijing.pk}/report/\?period={PERIOD}&unit=\d+$"))
    form = page.get_by_test_id("report-form")
    check(page.get_by_test_id("review-comment")).to_contain_text(RETURN_COMMENT)
    check(form.locator("#id_percent")).to_have_value(re.compile(r"^60(\.0+)?$"))
    check(form.locator("#id_achievements")).to_have_value(FIRST_DONE)
    form.locator("#id_percent").fill("75")
    form.locator("#id_achievements").fill(SECOND_DONE)
    page.screenshot(path=str(shots / "report-form-returned.png"), full_page=True)
    form.get_by_test_id("save-report").click()
    page.wait_for_url(report_url)
    assert progress_of(page.get_by_test_id("report-percent")) == "75"
    page.get_by_test_id("submit-report").click()
    check(page.get_by_test_id("report-state").locator(".state-submitted")).to_be_visible()
    check(page.get_by_test_id("report-achievements")).to_have_text(SECOND_DONE)
    log_out(page, base)

    # -- The reviewer approves the corrected report. ------------------------------------------
    log_in(page, base, "ministry_reviewer", "/plans/reviews/")
    row = page.get_by_test_id("review-row").filter(has_text=beijing.title)
    check(row).to_contain_text("75%")
    row.get_by_test_id("review-link").click()
    page.wait_for_url(re.compile(r"/plans/reports/\d+/review/$"))
    check(page.get_by_test_id("report-achievements")).to_have_text(SECOND_DONE)
    page.locator("#id_comment").fill(APPROVE_COMMENT)
    page.locator("button[name=decision][value=approve]").click()
    page.wait_for_url(f"{base}/plans/reviews/")
    check(page.get_by_test_id("no-reviews")).to_be_visible()

    # -- The plan page shows the new progress: 75 % on 北京's item, rolled up on its parents. ----
    # The measure holds 北京's part (weight 2, 75 %) and 上海's (weight 1, no report yet):
    # (2 × 75 + 1 × 0) / 3 = 50 %; the key task holds only the measure, so it shows 50 % too.
    page.goto(f"{base}/plans/{plan.pk}/")
    check(tree_row(page, task.title)).to_be_visible()
    assert progress_of(tree_row(page, task.title)) == "50"
    tree_row(page, task.title).locator("[data-tree-toggle]").click()
    check(tree_row(page, measure.title)).to_be_visible()
    assert progress_of(tree_row(page, measure.title)) == "50"
    tree_row(page, measure.title).locator("[data-tree-toggle]").click()
    check(tree_row(page, beijing.title)).to_be_visible()
    assert progress_of(tree_row(page, beijing.title)) == "75"
    check(tree_row(page, beijing.title).locator(".progress-num")).to_have_text("75%")
    check(tree_row(page, measure.title).locator(".progress-num")).to_have_text("50%")
    check(tree_row(page, small.shanghai.title).locator(".progress-num")).to_have_text("0%")
    page.screenshot(path=str(shots / "plan-progress-approved.png"), full_page=True)
    log_out(page, base)

    # ... and 北京's reporter sees the approval on the item, with the reviewer's comment.
    log_in(page, base, "beijing_reporter", f"/plans/{plan.pk}/items/{beijing.pk}/")
    assert progress_of(page.get_by_test_id("item-status")) == "75"
    cell = page.get_by_test_id(f"period-{PERIOD}")
    check(cell.locator(".state-approved")).to_be_visible()
    check(cell).to_contain_text(APPROVE_COMMENT)
    check(cell.get_by_test_id("edit-report")).to_have_count(0)
    page.screenshot(path=str(shots / "item-approved.png"), full_page=True)
