"""The unit picker (combobox) of the item form in a real browser: suggestions come from the
server within the planner's scope, one is chosen with the keyboard, another with the mouse, and
the saved item has exactly those units. A unit outside the planner's scope is never offered.

The browser asks for Chinese, like our users; the test finds things by id, role and data."""

from __future__ import annotations

import pytest

from luoshi.core.testing.browser import log_in
from luoshi.core.testing.skips import requires_chromium
from luoshi.plans.models import PlanItem
from luoshi.plans.tests.conftest import build_small_plan

pytestmark = [requires_chromium(), pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_units_are_chosen_in_the_combobox_with_keyboard_and_mouse_within_scope(world, live_server, page, shots):
    from playwright.sync_api import expect

    small = build_small_plan(world)
    base = live_server.url
    page.set_default_timeout(30_000)  # generous: the test machine may be busy
    page.set_viewport_size({"width": 1280, "height": 900})
    # 北京's planner breaks 北京's part of the measure down to its districts.
    log_in(page, base, "beijing_planner", f"/plans/{small.plan.pk}/items/new/?parent={small.beijing.pk}")

    lead = page.locator("#id_lead_unit_search")
    expect(lead).to_have_attribute("role", "combobox")
    lead.fill("")
    lead.press_sequentially("110105", delay=20)
    options = page.locator("#id_lead_unit_options")
    expect(options).to_be_visible()
    expect(lead).to_have_attribute("aria-expanded", "true")
    # the district first (units nearest the top come first), then its school whose code contains it
    expect(options.locator("li[data-pk]")).to_have_count(2)
    expect(options.locator("li[data-pk]").first).to_have_attribute("data-pk", str(world.unit("110105").pk))
    lead.press("ArrowDown")
    expect(lead).to_have_attribute("aria-activedescendant", f"unit-opt-{world.unit('110105').pk}")
    lead.press("Enter")
    expect(options).to_be_hidden()
    chaoyang, xicheng = world.unit("110105"), world.unit("110102")
    expect(lead).to_have_value(f"110105 · {chaoyang.name}")
    expect(page.locator("input[type=hidden][name=lead_unit]")).to_have_value(str(world.unit("110105").pk))

    # A unit outside 北京 is not offered, whatever is typed.
    co = page.locator("#id_co_owners_search")
    co.press_sequentially("310101", delay=20)
    co_options = page.locator("#id_co_owners_options")
    expect(co_options).to_be_visible()
    expect(co_options.locator("li[data-pk]")).to_have_count(0)
    expect(co_options.locator("li[aria-disabled=true]")).to_have_count(1)

    # Another district, chosen with the mouse.
    co.fill("")
    co.press_sequentially("西城", delay=20)
    expect(co_options.locator("li[data-pk]").first).to_be_visible()
    co_options.locator(f"li[data-pk='{world.unit('110102').pk}']").click()
    expect(co).to_have_value(f"110102 · {xicheng.name}; ")
    page.screenshot(path=str(shots / "unit_picker.png"))

    page.locator("#id_title").fill("朝阳区落实学前教育普惠")
    with page.expect_navigation():
        page.locator("form.stack button[type=submit]").click()
    item = PlanItem.objects.get(plan=small.plan, title="朝阳区落实学前教育普惠")
    assert item.lead_unit.code == "110105"
    assert set(item.co_owners.values_list("code", flat=True)) == {"110102"}
    assert page.url == f"{base}/plans/{small.plan.pk}/items/{item.pk}/"


def test_the_plan_pages_unit_filter_suggests_within_scope_and_filters_on_choosing(world, live_server, page, shots):
    """The plan page's unit filter is a combobox too (issue 12: no option list on every page view):
    北京's reporter types a district's name, chooses it, and the items panel shows that district's
    item alone; 上海's units are never suggested; emptying the box shows the whole plan again."""
    from playwright.sync_api import expect

    small = build_small_plan(world)
    base = live_server.url
    page.set_default_timeout(30_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base, "beijing_reporter", f"/plans/{small.plan.pk}/")

    box = page.locator("#id_unit_search")
    expect(box).to_have_attribute("role", "combobox")
    options = page.locator("#id_unit_options")
    box.press_sequentially("3100", delay=20)
    expect(options).to_be_visible()
    expect(options.locator("li[data-pk]")).to_have_count(0)

    box.fill("")
    box.press_sequentially("东城", delay=20)
    dongcheng = world.unit("110101")
    expect(options.locator("li[data-pk]")).to_have_count(1)
    with page.expect_response(lambda r: f"/plans/{small.plan.pk}/?" in r.url and "unit=" in r.url):
        options.locator(f"li[data-pk='{dongcheng.pk}']").click()
    panel = page.locator("#items-panel")
    expect(panel.get_by_role("link", name="东城区落实")).to_be_visible()
    expect(panel.get_by_role("link", name="北京：推进学前教育普及普惠")).to_have_count(0)
    assert f"unit={dongcheng.pk}" in page.url
    page.screenshot(path=str(shots / "plan_unit_filter.png"))

    with page.expect_response(lambda r: f"/plans/{small.plan.pk}/?" in r.url):
        box.fill("")
    expect(panel.get_by_role("link", name="东城区落实")).to_have_count(0)
    expect(panel.get_by_role("link", name="夯实基础教育基点")).to_be_visible()
