"""The unit filter of the plan page and of supervision (issue 12): a searchable combobox fed by a
scoped search endpoint instead of a select listing every unit in scope on every page view.

What a user checks: the suggestions are the units leading items they see and the visible units
above them, never others; a unit chosen in the box, typed as a code, or named by id in a link
filters the list (its units below included) and shows its label in the box; an emptied box
means all units; a unit outside the user's scope is refused with a message and filters nothing.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from luoshi.orgs import queries as org_queries
from luoshi.orgs.models import OrgUnit
from luoshi.plans import queries, services
from luoshi.plans.tests.conftest import build_small_plan

pytestmark = pytest.mark.django_db


def _offered(html: str) -> set[str]:
    return set(re.findall(r'data-pk="(\d+)"', html))


def _expected(user, items) -> set[str]:
    """From first principles: each visible item's lead unit and every unit above it, as far as
    the user may see units."""
    visible = set(org_queries.units(user).values_list("pk", flat=True))
    wanted: set[int] = set()
    for item in items.select_related("lead_unit"):
        wanted.update(int(part) for part in item.lead_unit.path.strip("/").split("/"))
    return {str(pk) for pk in wanted & visible}


def test_the_plan_filter_suggests_the_units_leading_visible_items_and_those_above(world, small, login):
    for user in world.users.values():
        client = login(user.username)
        response = client.get(reverse("plans:filter_unit_options", args=[small.plan.pk]))
        if not queries.plans(user).filter(pk=small.plan.pk).exists():
            assert response.status_code == 404, user.username
            continue
        html = response.content.decode()
        assert _offered(html) == _expected(user, queries.items(user, small.plan)), user.username
        assert "More units match" not in html


def test_supervision_filter_suggests_the_units_of_the_users_supervision_list(world, small, login):
    for user in world.users.values():
        html = login(user.username).get(reverse("plans:supervision_unit_options")).content.decode()
        assert _offered(html) == _expected(user, queries.supervision(user)), user.username


def test_suggestions_match_the_typed_code_or_name_and_never_cross_the_scope(world, small, login):
    beijing_reporter = login("beijing_reporter")
    url = reverse("plans:filter_unit_options", args=[small.plan.pk])
    assert _offered(beijing_reporter.get(url, {"q": "110101"}).content.decode()) == {str(world.unit("110101").pk)}
    assert _offered(beijing_reporter.get(url, {"q": "东城"}).content.decode()) == {str(world.unit("110101").pk)}
    # 上海 leads an item of the plan, but 北京's reporter does not see it.
    html = beijing_reporter.get(url, {"q": "310000"}).content.decode()
    assert _offered(html) == set()
    assert "No unit you may choose matches." in html
    # 上海's reporter is offered 上海, not 北京 or its district.
    shanghai = login("shanghai_reporter").get(url).content.decode()
    assert str(world.unit("310000").pk) in _offered(shanghai)
    assert not {str(world.unit(code).pk) for code in ("110000", "110101")} & _offered(shanghai)


def test_the_filter_endpoint_of_a_plan_out_of_sight_answers_404(world, small, login):
    beijing_plan = services.create_plan(world.user("beijing_planner"), title="北京规划", issuer=world.unit("110000"),
                                        start_year=2025, end_year=2026)
    assert login("shanghai_reporter").get(reverse("plans:filter_unit_options", args=[beijing_plan.pk])).status_code == 404
    assert login("beijing_planner").get(reverse("plans:filter_unit_options", args=[beijing_plan.pk])).status_code == 200


def _listed(html: str) -> list[str]:
    return re.findall(r'href="/plans/\d+/items/\d+/">([^<]+)</a>', html)


def test_a_plan_page_lists_no_unit_options_and_its_box_suggests_from_the_endpoint(world, small, login):
    html = login("ministry_planner").get(reverse("plans:detail", args=[small.plan.pk])).content.decode()
    box = re.search(r'<div class="unit-search" data-unit-search="([^"]+)"[^>]*>(.*?)</div></div>', html, re.S)
    assert box and box.group(1) == reverse("plans:filter_unit_options", args=[small.plan.pk])
    assert 'placeholder="All units"' in box.group(2)
    assert 'name="unit_search"' in box.group(2) and 'value=""' in box.group(2)
    assert not any(unit.name in html for unit in OrgUnit.objects.filter(code__in=["110101", "310000"]))


@pytest.mark.parametrize("how", ["chosen", "typed", "linked"])
def test_a_unit_chosen_typed_or_linked_filters_the_plan_and_shows_its_label(world, small, login, how):
    beijing = world.unit("110000")
    label = f"110000 · {beijing.name}"
    query = {"chosen": {"unit": beijing.pk, "unit_search": label}, "typed": {"unit": "", "unit_search": "110000"},
             "linked": {"unit": beijing.pk}}[how]
    html = login("ministry_planner").get(reverse("plans:detail", args=[small.plan.pk]), query).content.decode()
    # 北京's item and its district's, not 上海's or the ministry's
    assert "北京：推进学前教育普及普惠" in html and "东城区落实" in html
    assert "上海：推进学前教育普及普惠" not in html
    assert f'value="{label}"' in html
    assert f'name="unit" id="id_unit" value="{beijing.pk}"' in html


def test_an_emptied_box_means_all_units_whatever_the_hidden_id_says(world, small, login):
    html = login("ministry_planner").get(reverse("plans:detail", args=[small.plan.pk]),
                                         {"unit": world.unit("110000").pk, "unit_search": "", "overdue": ""}).content.decode()
    # the tree of the whole plan (its top-level task), not a filtered list: nothing to clear
    assert "夯实基础教育基点" in html and ">Clear</a>" not in html
    field_html = re.search(r'<input type="hidden" name="unit" id="id_unit" value="([^"]*)">', html)
    assert field_html and field_html.group(1) == ""


def test_a_unit_outside_the_scope_is_refused_and_filters_nothing(world, small, login):
    shanghai_reporter = login("shanghai_reporter")
    url = reverse("plans:detail", args=[small.plan.pk])
    by_code = shanghai_reporter.get(url, {"unit_search": "110000"}).content.decode()
    assert "No unit with code 110000 that you may choose here." in by_code
    by_id = shanghai_reporter.get(url, {"unit": world.unit("110000").pk}).content.decode()
    assert "Select a valid choice. That choice is not one of the available choices." in by_id
    for html in (by_code, by_id):
        assert "北京" not in html
        assert "东城区落实" not in html


def test_supervision_is_filtered_by_a_typed_code_and_refuses_one_out_of_scope(world, login):
    from datetime import date

    from luoshi.plans.models import PlanItem

    small = build_small_plan(world)
    PlanItem.objects.filter(pk__in=[small.beijing.pk, small.shanghai.pk, small.dongcheng.pk]).update(due_date=date(2020, 1, 1))
    planner = login("ministry_planner")
    url = reverse("plans:supervision")
    everything = planner.get(url).content.decode()
    only_beijing = planner.get(url, {"unit_search": "110000"}).content.decode()
    assert "上海：推进学前教育普及普惠" in everything
    assert "上海：推进学前教育普及普惠" not in only_beijing
    assert "东城区落实" in only_beijing
    refused = login("shanghai_reporter").get(url, {"unit_search": "110000"}).content.decode()
    assert "No unit with code 110000 that you may choose here." in refused
    assert "东城区落实" not in refused
