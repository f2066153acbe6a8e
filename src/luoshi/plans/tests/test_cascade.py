"""Cascading: each unit sees its own part, what is below it and the context above, nothing of its peers."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from luoshi.core import authz
from luoshi.plans import queries, services
from luoshi.plans.models import PlanItem


def _visible_titles(world, username, plan):
    return {i.title for i in queries.items(world.user(username), plan)}


def test_it_shows_the_ministry_the_whole_cascade(world, small):
    titles = _visible_titles(world, "ministry_reviewer", small.plan)
    assert {"北京：推进学前教育普及普惠", "上海：推进学前教育普及普惠", "东城区落实"} <= titles


def test_it_shows_a_province_its_part_below_and_context_but_not_its_peer(world, small):
    titles = _visible_titles(world, "beijing_reporter", small.plan)
    assert titles == {"夯实基础教育基点", "推进学前教育普及普惠", "北京：推进学前教育普及普惠", "东城区落实"}
    shanghai = _visible_titles(world, "shanghai_reporter", small.plan)
    assert "北京：推进学前教育普及普惠" not in shanghai and "东城区落实" not in shanghai
    assert "上海：推进学前教育普及普惠" in shanghai


def test_it_answers_404_for_a_peer_provinces_item_and_reports(world, small, api):
    assert api("shanghai_reporter").get(f"/api/v1/items/{small.beijing.pk}").status_code == 404
    report = services.save_report(world.user("beijing_reporter"), small.beijing, world.unit("110000"), "2024-Q1",
                                  {"status": "on_track", "percent": 10})
    assert api("shanghai_reporter").get(f"/api/v1/reports/{report.pk}").status_code == 404
    assert api("beijing_reviewer").get(f"/api/v1/reports/{report.pk}").status_code == 200
    outline = api("shanghai_reporter").get(f"/api/v1/plans/{small.plan.pk}/outline").json()
    flat = []

    def walk(nodes):
        for n in nodes:
            flat.append(n["lead_unit"])
            walk(n["children"])

    walk(outline)
    assert "110000" not in flat and "110101" not in flat and "310000" in flat


def test_it_lets_a_lead_unit_break_its_item_down_to_units_below(world, small):
    item = services.add_item(world.user("beijing_planner"), small.plan, parent=small.beijing, title="海淀区落实",
                             lead_unit=world.unit("110108"))
    assert item.assigned_by.code == "110000"
    assert item.code.startswith(small.beijing.code + ".")
    assert authz.can(world.user("beijing_planner"), "change", item)
    assert not authz.can(world.user("beijing_planner"), "change", small.beijing)


def test_it_refuses_assigning_outside_the_planners_scope(world, small):
    count = PlanItem.objects.count()
    with pytest.raises(PermissionDenied):
        services.add_item(world.user("beijing_planner"), small.plan, parent=small.beijing, title="越权分解",
                          lead_unit=world.unit("310101"))
    with pytest.raises(PermissionDenied):
        services.add_item(world.user("shanghai_planner"), small.plan, parent=small.shanghai, title="越权分解",
                          lead_unit=world.unit("110101"))
    assert PlanItem.objects.count() == count


def test_it_refuses_dates_outside_the_horizon_and_reversed_dates(world, small):
    planner = world.user("ministry_planner")
    count = PlanItem.objects.count()
    with pytest.raises(ValidationError, match="horizon"):
        services.add_item(planner, small.plan, title="超出期限", lead_unit=world.unit("MOE-GJS"), due_date=date(2027, 1, 1))
    with pytest.raises(ValidationError, match="before the start"):
        services.add_item(planner, small.plan, title="日期颠倒", lead_unit=world.unit("MOE-GJS"),
                          start_date=date(2024, 6, 1), due_date=date(2024, 5, 1))
    with pytest.raises(ValidationError):
        services.update_item(planner, small.measure, {"due_date": date(2023, 12, 31)})
    assert PlanItem.objects.count() == count


def test_it_refuses_moving_an_item_below_itself(world, small):
    with pytest.raises(ValidationError, match="below itself"):
        services.move_item(world.user("ministry_planner"), small.measure, small.dongcheng)
    assert PlanItem.objects.get(pk=small.measure.pk).parent_id == small.task.pk


def test_it_moves_a_subtree_and_keeps_paths(world, small):
    planner = world.user("ministry_planner")
    other = services.add_item(planner, small.plan, title="另一项任务", kind="key_task", lead_unit=world.unit("MOE-GJS"))
    services.move_item(planner, small.measure, other, 0)
    moved = PlanItem.objects.get(pk=small.dongcheng.pk)
    assert moved.path.startswith(other.path) and moved.depth == 3
    assert PlanItem.objects.get(pk=small.task.pk).child_count == 0
    assert PlanItem.objects.get(pk=other.pk).child_count == 1


def test_it_renumbers_codes_from_the_tree_on_request(world, small):
    planner = world.user("ministry_planner")
    services.add_item(planner, small.plan, title="第二项", kind="key_task", lead_unit=world.unit("MOE-GJS"))
    services.move_item(planner, PlanItem.objects.get(plan=small.plan, title="第二项"), None, 0)
    assert PlanItem.objects.get(pk=small.task.pk).code == "1"  # stable until renumbered
    services.renumber(planner, small.plan)
    assert PlanItem.objects.get(pk=small.task.pk).code == "2"
    assert PlanItem.objects.get(pk=small.dongcheng.pk).code == "2.1.1.1"


def test_it_deletes_an_item_with_its_subtree_and_audits_each(world, small):
    from luoshi.audit.models import AuditRecord

    deleted = services.delete_item(world.user("ministry_planner"), small.measure)
    assert deleted == 4
    assert not PlanItem.objects.filter(pk__in=[small.beijing.pk, small.dongcheng.pk]).exists()
    assert AuditRecord.objects.filter(action="delete", content_type__model="planitem").count() >= 4


@pytest.mark.parametrize("username", ["ministry_reviewer", "beijing_reporter", "shanghai_reporter", "auditor", "nobody"])
def test_it_gives_the_same_items_by_the_subtree_shortcut_as_by_the_full_scope(world, small, username):
    user = world.user(username)
    full = set(authz.scope(user, PlanItem.objects.filter(plan=small.plan)).values_list("pk", flat=True))
    assert set(queries.items(user, small.plan).values_list("pk", flat=True)) == full
    # The shortcut relies on every item being led from below the issuer.
    issuer_path = small.plan.issuer.path
    assert all(i.lead_unit.path.startswith(issuer_path) for i in PlanItem.objects.filter(plan=small.plan).select_related("lead_unit"))
