"""A ministry planner drafts a plan from a pasted web copy of a conference report, in a real
browser (Chromium through Playwright).

The report is noisy (emoji, pinyin, a breadcrumb, page details, a gambling ad, an editor line)
and lists its seven key tasks inline in one paragraph (一要……七要). The planner sees the noise
highlighted where it was, and the outline; renames one task; creates the draft plan and lands
on the plan page, which shows the seven tasks as one group. The browser asks for Chinese, like
our users, so the test finds things by id, test id and the data it typed, never by UI text.
Screenshots go to ``test-output/browser/intake-*.png`` (kept by CI as an artefact).
"""

from __future__ import annotations

import re

import pytest

from luoshi.core.testing.browser import log_in, no_horizontal_scroll
from luoshi.core.testing.skips import requires_chromium
from luoshi.plans.models import Plan

from .conftest import fixture_text

pytestmark = [requires_chromium(), pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TASKS = ["坚持立德树人根本任务", "推动高等教育内涵发展", "夯实基础教育基点", "提升职业教育适应性",
         "加快教育数字化转型", "扩大教育对外交流合作", "建设高素质专业化教师队伍"]
RENAMED = "坚持立德树人，健全全员全程全方位育人体系"
PLAN_TITLE = "2024年全市教育工作七项重点任务"


def test_a_planner_drafts_a_plan_from_a_pasted_noisy_report(world, live_server, page, shots):
    base = live_server.url
    page.set_default_timeout(15_000)
    page.set_viewport_size(DESKTOP)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base, "ministry_planner", "/intake/")
    assert page.locator("#main-nav a[aria-current=page]").get_attribute("href") == "/intake/"

    # Paste the noisy copy and read it (htmx sends the form; the answer redirects).
    page.fill("#id_text", fixture_text("city_conference_noisy.txt"))
    page.screenshot(path=str(shots / "intake-start.png"), full_page=True)
    page.click("#document-form button[type=submit]")
    page.wait_for_url(re.compile(r"/intake/[0-9a-f-]{36}/$"))

    # The removed noise is highlighted at its place in the cleaned text.
    text = page.locator("[data-testid=clean-text]")
    assert text.locator("del[data-kind=emoji]").first.is_visible()
    spam = text.locator("del[data-kind=spam]")
    assert spam.inner_text().startswith("澳门真人视讯百家乐") and spam.evaluate("e => getComputedStyle(e).display") == "block"
    assert text.locator("del[data-kind=pinyin]").first.inner_text() == "(luò)"
    assert text.locator("del[data-kind=boilerplate]").count() == 3
    assert "确保各项任务落" in text.inner_text()
    kinds = page.locator("[data-testid=removal-summary] li").count()
    assert kinds == 6  # emoji, boilerplate, pinyin, decoration, page details, spam

    # The outline: the seven tasks, one level, each editable.
    editor = page.locator("[data-outline-editor]")
    rows = editor.locator("li.ol-node")
    rows.first.wait_for()
    assert rows.count() == 7 and editor.locator("li.ol-node li").count() == 0
    assert [m.strip() for m in editor.locator(".ol-marker").all_inner_texts()] == ["一要", "二要", "三要", "四要", "五要", "六要", "七要"]
    page.screenshot(path=str(shots / "intake-review.png"), full_page=True)

    # Hiding the removed parts leaves the clean text.
    page.uncheck("#show-removed")
    assert not spam.is_visible()
    page.check("#show-removed")

    # Rename the first task; the edit is kept on the server as it is typed.
    first = rows.first.locator(".ol-title")
    with page.expect_response(re.compile(r"/outline/$")) as saved:
        first.fill(RENAMED)
    assert saved.value.status == 200

    # A phone: the page fits, the outline's buttons are on their own line below each title.
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page), "the review page scrolls sideways on a phone"
    tools, title = rows.first.locator(".ol-tools").bounding_box(), first.bounding_box()
    assert tools["y"] >= title["y"] + title["height"] - 1
    page.screenshot(path=str(shots / "intake-review-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    # Create the draft plan and land on its page.
    page.fill("#id_title", PLAN_TITLE)
    page.click("[data-testid=create-plan]")
    page.wait_for_url(re.compile(r"/plans/\d+/$"))
    plan = Plan.objects.get(title=PLAN_TITLE)
    assert page.url == f"{base}/plans/{plan.pk}/"
    assert page.locator("h1").inner_text().startswith(PLAN_TITLE)
    tree = page.locator("main")
    for task in [RENAMED, *TASKS[1:]]:
        assert tree.get_by_role("link", name=re.compile("^" + re.escape(task))).count() == 1, task
    items = list(plan.items.order_by("position"))
    assert len(items) == 7 and {i.parent_id for i in items} == {None} and items[0].title == RENAMED
    page.screenshot(path=str(shots / "intake-plan.png"), full_page=True)

    page.set_viewport_size(PHONE)
    page.goto(f"{base}/intake/")
    assert no_horizontal_scroll(page), "the intake start page scrolls sideways on a phone"
    page.screenshot(path=str(shots / "intake-start-phone.png"), full_page=True)
    assert errors == []
