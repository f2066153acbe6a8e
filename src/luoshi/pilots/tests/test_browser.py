"""From a call for pilots to an adopted solution, in a real browser (Chromium through Playwright).

The ministry has an open call (教育数字化). A reporter of one school (北京市第二中学) applies with
baseline figures and submits; the ministry's reviewer approves, which starts the pilot; the
school records progress with an evidence file and writes its review (复盘); the reviewer promotes
it, which makes a solution in the library; the ministry's planner recommends it and promotes it
nationally; 上海's reporter then finds it by a word that sits inside a longer phrase of its
approach, and records that 黄浦区 adopts it. 上海's reporter could not open the school's pilot
before (404): pilots stay within their units' and the owner's scope.

The browser asks for Chinese; the test finds things by id, test id and the data it typed.
Screenshots go to ``test-output/browser/``.
"""

from __future__ import annotations

import pytest

from luoshi.core.testing.browser import log_in, no_horizontal_scroll
from luoshi.core.testing.skips import requires_chromium
from luoshi.core.testing.world import PASSWORD
from luoshi.pilots.models import Application, Pilot, Review
from luoshi.pilots.tests.conftest import SCHOOL, make_programme

pytestmark = [requires_chromium(), pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
APPROACH = "推行双师课堂轮转制度，教研组每周集体备课并复盘课堂数据。"
SEARCH_WORD = "轮转"  # only inside the longer phrase 双师课堂轮转制度


def playwright_expect():
    from playwright.sync_api import expect

    return expect


def log_out(page, base: str) -> None:
    page.locator(".user-menu > summary").click()
    with page.expect_navigation():
        page.locator(".user-menu form[action$='/logout/'] button").click()
    assert "/accounts/login/" in page.url


def phone_check(page, path) -> None:
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page), page.url
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(DESKTOP)


@pytest.fixture
def school_reporter(world):
    from luoshi.accounts import services as account_services
    from luoshi.core.context import batch
    from luoshi.orgs import services as org_services

    with batch("system"):
        user = account_services.create_user(world.admin, username="erzhong_reporter", password=PASSWORD,
                                            display_name="二中填报员")
        org_services.add_membership(world.admin, user=user, unit=world.unit(SCHOOL), role="reporter")
    return user


def test_a_school_applies_runs_a_pilot_and_its_solution_is_adopted_elsewhere(world, live_server, page, shots,
                                                                             school_reporter):
    from django.apps import apps

    expect = playwright_expect()
    base = live_server.url
    from luoshi.core.context import batch

    with batch("system"):
        programme = make_programme(world, title="课堂数字化转型试点（测试）")
    page.set_default_timeout(15000)
    page.set_viewport_size(DESKTOP)

    # 1. The school applies and submits.
    log_in(page, base, "erzhong_reporter", f"/pilots/programmes/{programme.pk}/")
    expect(page.get_by_test_id("call-text")).to_contain_text("征集试点")
    page.get_by_test_id("apply").click()
    page.wait_for_url(f"**/pilots/programmes/{programme.pk}/apply/")
    page.select_option("#id_unit", value=str(world.unit(SCHOOL).pk))
    page.fill("#id_aims", "一年内数字化教学课时占比达到30%。")
    page.fill("#id_approach", APPROACH)
    page.fill("#id_baseline", "数字化教学课时占比 = 12\n教师信息素养达标率 = 60")
    page.fill("#id_contact_info", "010-00000000")
    page.screenshot(path=str(shots / "pilots-apply.png"), full_page=True)
    page.get_by_test_id("save").click()
    page.wait_for_url("**/pilots/applications/*/")
    with page.expect_navigation():
        page.get_by_test_id("submit-application").click()
    expect(page.locator("[data-testid=application-state] .pilot-state-submitted")).to_be_visible()
    application = Application.objects.get(programme=programme, unit__code=SCHOOL)
    assert application.baseline == {"数字化教学课时占比": "12", "教师信息素养达标率": "60"}
    log_out(page, base)

    # 2. The ministry's reviewer approves it from the work list: the pilot starts.
    log_in(page, base, "ministry_reviewer", "/pilots/work/")
    page.locator(f"a[href='/pilots/applications/{application.pk}/']").click()
    page.locator("input[name=decision][value=approve]").check()
    page.fill("#id_reason", "方案可行，基线清楚。")
    page.get_by_test_id("decide").click()
    page.wait_for_url("**/pilots/runs/*/")
    pilot = Pilot.objects.get(application=application)
    expect(page.locator("[data-testid=pilot-state] .pilot-state-running")).to_be_visible()
    log_out(page, base)

    # Another province does not see the pilot.
    log_in(page, base, "shanghai_reporter", "/pilots/runs/")
    expect(page.locator(f"a[href='/pilots/runs/{pilot.pk}/']")).to_have_count(0)
    assert page.goto(f"{base}/pilots/runs/{pilot.pk}/").status == 404
    log_out(page, base)

    # 3. The school records progress with evidence, then writes its review.
    log_in(page, base, "erzhong_reporter", f"/pilots/runs/{pilot.pk}/")
    page.fill("#id_done", "完成智慧教室改造，开展双师课堂12节。")
    page.fill("#id_problems", "部分教师对平台不熟悉。")
    page.fill("#id_figures", "数字化教学课时占比 = 21")
    with page.expect_navigation():
        page.get_by_test_id("save-entry").click()
    assert page.url.endswith(f"/pilots/runs/{pilot.pk}/"), page.url
    entry = page.get_by_test_id("entry").first
    expect(entry).to_contain_text("双师课堂12节")
    entry.locator("input[type=file]").set_input_files(
        files=[{"name": "课堂记录.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 lesson log"}])
    with page.expect_navigation():
        entry.locator("form[action$='/evidence/'] button").click()
    expect(page.get_by_test_id("entry").first.get_by_role("link", name="课堂记录.pdf")).to_be_visible()
    page.screenshot(path=str(shots / "pilots-pilot.png"), full_page=True)
    phone_check(page, shots / "pilots-pilot-phone.png")

    page.get_by_test_id("write-review").click()
    page.wait_for_url(f"**/pilots/runs/{pilot.pk}/review/")
    assert "数字化教学课时占比 = 21" in page.input_value("#id_results")
    page.fill("#id_results", "数字化教学课时占比 = 31\n教师信息素养达标率 = 86")
    page.fill("#id_aims_vs_results", "课时占比目标达成。")
    page.fill("#id_what_worked", "双师课堂轮转，教研组集体备课。")
    page.fill("#id_core_problems", "教师时间不足。")
    page.fill("#id_lessons", "先培训后推开。")
    page.fill("#id_reuse_conditions", "具备千兆校园网。")
    page.fill("#id_cost", "45.5")
    page.get_by_test_id("save").click()
    page.wait_for_url("**/pilots/reviews/*/")
    with page.expect_navigation():
        page.get_by_test_id("submit-review").click()
    expect(page.locator("[data-testid=review-state] .pilot-state-submitted")).to_be_visible()
    review = Review.objects.get(pilot=pilot)
    assert review.figures[0] == {"name": "数字化教学课时占比", "baseline": "12", "result": "31"}
    log_out(page, base)

    # 4. The reviewer promotes it.
    log_in(page, base, "ministry_reviewer", "/pilots/work/")
    page.locator(f"a[href='/pilots/reviews/{review.pk}/']").click()
    page.locator("input[name=decision][value=promote]").check()
    with page.expect_navigation():
        page.get_by_test_id("decide").click()
    expect(page.locator("[data-testid=review-outcome] .pilot-state-promote")).to_be_visible()
    assert Pilot.objects.get(pk=pilot.pk).state == "promoted"
    page.screenshot(path=str(shots / "pilots-review.png"), full_page=True)
    phone_check(page, shots / "pilots-review-phone.png")
    if not apps.is_installed("luoshi.library"):
        return
    solution_model = apps.get_model("library", "Solution")
    solution = solution_model.objects.get(source_review=review)
    page.get_by_test_id("solution-link").click()
    page.wait_for_url(f"**/library/solutions/{solution.pk}/")
    log_out(page, base)

    # 5. The ministry's planner recommends it and promotes it nationally.
    log_in(page, base, "ministry_planner", f"/library/solutions/{solution.pk}/")
    for action in ("recommend", "promote"):
        with page.expect_navigation():
            page.locator(f"form:has(input[name=action][value={action}]) button").click()
    solution.refresh_from_db()
    assert solution.status == "national"
    log_out(page, base)

    # 6. 上海 finds it by a word inside a longer phrase and adopts it for 黄浦区.
    log_in(page, base, "shanghai_reporter", "/library/solutions/")
    page.get_by_test_id("solution-search").fill(SEARCH_WORD)
    page.get_by_test_id("solution-search").press("Enter")
    page.wait_for_url("**q=*")
    expect(page.locator(f"a[href='/library/solutions/{solution.pk}/']")).to_be_visible()
    page.screenshot(path=str(shots / "pilots-solution-found.png"), full_page=True)
    page.locator(f"a[href='/library/solutions/{solution.pk}/']").first.click()
    page.get_by_test_id("adopt").click()
    page.wait_for_url(f"**/library/solutions/{solution.pk}/adopt/")
    page.select_option("#id_unit", value=str(world.unit("310101").pk))
    page.fill("#id_progress", "首批三所学校试行双师课堂。")
    page.get_by_test_id("save-adoption").click()
    page.wait_for_url(f"**/library/solutions/{solution.pk}/")
    expect(page.get_by_test_id("adoption-total")).to_have_text("1")
    expect(page.get_by_test_id("spread-table")).to_contain_text("上海")
    page.screenshot(path=str(shots / "pilots-solution-adopted.png"), full_page=True)
