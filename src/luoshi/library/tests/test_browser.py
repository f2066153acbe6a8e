"""Search and adoption in a real browser (Chromium through Playwright).

北京东城区 wrote a solution that the ministry promoted nationally; 上海's reporter looks for it by
a word that appears only inside a longer phrase of its text, finds it (highlighted) while a 北京
draft with the same word stays hidden, opens it and records that 黄浦区 adopts it. The solution
page then shows the spread by province and the comparison with the source pilot. The policy
registry finds an issued document by words of its full text.

The browser asks for Chinese; the test finds things by id, test id and the data it typed.
Screenshots go to ``test-output/browser/``.
"""

from __future__ import annotations

import pytest

from luoshi.core.testing.browser import log_in, no_horizontal_scroll
from luoshi.core.testing.skips import requires_chromium
from luoshi.library.models import Adoption
from luoshi.library.tests import factories

pytestmark = [requires_chromium(), pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def playwright_expect():
    from playwright.sync_api import expect

    return expect


def test_another_province_finds_a_national_solution_and_adopts_it(world, live_server, page, shots):
    expect = playwright_expect()
    base = live_server.url
    shared = factories.solution(world, world.unit("110101"), status="national", title="课后服务质量提升机制",
                                problem="学校课后服务质量参差不齐", approach="建立课后服务质量提升行动方案，引入场馆课程",
                                result_label="课后服务参与率（%）", result_value="90")
    hidden = factories.solution(world, world.unit("110102"), title="课后服务质量督导办法（草稿）")
    policy = factories.policy(world, world.unit("110000"), status="issued", title="关于深化课后服务的通知",
                              full_text="各区要把课后服务纳入督导评估，保障服务质量。")

    page.set_viewport_size(DESKTOP)
    log_in(page, base, "shanghai_reporter", "/library/solutions/")
    page.get_by_test_id("solution-search").fill("质量")
    page.get_by_test_id("solution-search").press("Enter")
    page.wait_for_url("**q=*")
    link = page.locator(f"a[href='/library/solutions/{shared.pk}/']")
    expect(link).to_be_visible()
    expect(link.locator("mark")).to_have_text("质量")
    expect(page.locator(f"a[href='/library/solutions/{hidden.pk}/']")).to_have_count(0)
    page.screenshot(path=str(shots / "library-search.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "library-search-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    # Traditional script finds it too.
    page.goto(f"{base}/library/solutions/?q=課後服務")
    expect(page.locator(f"a[href='/library/solutions/{shared.pk}/']")).to_be_visible()
    # The draft is out of reach.
    assert page.goto(f"{base}/library/solutions/{hidden.pk}/").status == 404

    page.goto(f"{base}/library/solutions/{shared.pk}/")
    page.get_by_test_id("adopt").click()
    page.wait_for_url(f"**/library/solutions/{shared.pk}/adopt/")
    page.select_option("#id_unit", value=str(world.unit("310101").pk))
    page.select_option("#id_status", value="underway")
    page.fill("#id_result_value", "86.5")
    page.fill("#id_progress", "首批五所学校引入场馆课程。")
    page.screenshot(path=str(shots / "library-adopt-form.png"), full_page=True)
    page.get_by_test_id("save-adoption").click()
    page.wait_for_url(f"**/library/solutions/{shared.pk}/")
    expect(page.get_by_test_id("spread-table")).to_contain_text("上海")
    expect(page.get_by_test_id("adoptions-table")).to_contain_text("86.5")
    expect(page.get_by_test_id("adoptions-table")).to_contain_text("-3.5")
    expect(page.get_by_test_id("adoption-total")).to_have_text("1")
    page.screenshot(path=str(shots / "library-solution.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "library-solution-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    adoption = Adoption.objects.get(solution=shared)
    assert adoption.unit.code == "310101" and str(adoption.result_value) == "86.50"

    page.goto(f"{base}/library/policies/?q=督导评估")
    expect(page.locator(f"a[href='/library/policies/{policy.pk}/']")).to_be_visible()
    page.screenshot(path=str(shots / "library-policies.png"), full_page=True)
    page.goto(f"{base}/library/policies/{policy.pk}/")
    page.screenshot(path=str(shots / "library-policy.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
