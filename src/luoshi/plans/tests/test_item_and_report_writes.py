"""Item moves, item edits and first reports as a user sees them (issue 13, mutation testing).

Written against the survivors of ``plans/services.py``'s mutants in ``add_item``, ``move_item``,
``update_item``, ``save_report`` and their helpers (see docs/testing.md, *Scores*): who may place
an item where, what a move or an edit leaves in the tree and the records, and whose report a
unit's save reaches.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from luoshi.audit.models import AuditRecord
from luoshi.plans import services
from luoshi.plans.models import PlanItem, ProgressReport

pytestmark = pytest.mark.django_db

DATA = {"status": "on_track", "percent": Decimal(40), "achievements": "完成园所布局调研。"}


def records(obj, **filters):
    return list(AuditRecord.objects.filter(content_type__model=obj._meta.model_name, object_id=str(obj.pk), **filters)
                .order_by("pk"))


def _user_with(world, username: str, code: str, role: str, *, covers_below: bool = True):
    from luoshi.accounts import services as account_services
    from luoshi.orgs import services as org_services

    admin = world.user("admin")
    user = account_services.create_user(admin, username=username, password=None, display_name=username)
    org_services.add_membership(admin, user=user, unit=world.unit(code), role=role, covers_below=covers_below)
    return user


# Who may place an item under which parent ----------------------------------------------------------

def test_a_lead_units_planner_moves_its_own_item_under_the_item_its_unit_leads(world, small):
    """北京's planner may not change 北京's item (教育部 assigned it) but may add below it, as its lead."""
    planner = world.user("beijing_planner")
    part = services.add_item(planner, small.plan, parent=small.dongcheng, title="东城区：幼儿园建设", lead_unit=world.unit("110101"))
    moved = services.move_item(planner, part, small.beijing)
    assert (moved.parent_id, moved.position, moved.depth) == (small.beijing.pk, 1, small.beijing.depth + 1)
    assert list(PlanItem.objects.filter(parent=small.beijing).order_by("position").values_list("pk", flat=True)) == [
        small.dongcheng.pk, part.pk]


def test_a_planner_of_the_assigning_unit_alone_moves_an_item_under_an_item_it_assigned(world, small):
    """A planner at 教育部 itself (not below it) may change what 教育部 assigned, though not add in 北京."""
    narrow = _user_with(world, "narrow_planner", "MOE", "planner", covers_below=False)
    moved = services.move_item(narrow, small.shanghai, small.beijing)
    assert (moved.parent_id, moved.position) == (small.beijing.pk, 1)
    assert PlanItem.objects.get(pk=small.measure.pk).child_count == 1
    # a planner who may do neither is refused by name
    with pytest.raises(PermissionDenied) as refused:
        services.move_item(narrow, small.shanghai, small.dongcheng)
    assert str(refused.value) == f"You may not place items under {small.dongcheng}."


# Reports ---------------------------------------------------------------------------------------------

def test_each_unit_holding_an_item_keeps_its_own_report_of_a_period(world, small):
    planner = world.user("ministry_planner")
    shared = services.add_item(planner, small.plan, parent=small.measure, title="京沪合办", lead_unit=world.unit("110000"),
                               co_owners=[world.unit("310000")])
    beijing = services.save_report(world.user("beijing_reporter"), shared, world.unit("110000"), "2024-Q1", dict(DATA))
    shanghai = services.save_report(world.user("shanghai_reporter"), shared, world.unit("310000"), "2024-Q1",
                                    {"status": "at_risk", "percent": Decimal(10)})
    assert beijing.pk != shanghai.pk
    rows = {r.unit.code: (r.status, r.percent, r.version) for r in ProgressReport.objects.filter(item=shared)}
    assert rows == {"110000": ("on_track", Decimal(40), 1), "310000": ("at_risk", Decimal(10), 1)}
    # and each unit's later save edits its own
    services.save_report(world.user("shanghai_reporter"), shared, world.unit("310000"), "2024-Q1", {"percent": Decimal(20)})
    rows = {r.unit.code: (r.status, r.percent) for r in ProgressReport.objects.filter(item=shared)}
    assert rows == {"110000": ("on_track", Decimal(40)), "310000": ("at_risk", Decimal(20))}


# Adding items ----------------------------------------------------------------------------------------

def test_an_item_added_with_only_its_title_and_lead_is_a_plain_measure_and_counted_by_its_parent(world):
    planner = world.user("ministry_planner")
    plan = services.create_plan(planner, title="草案规划", issuer=world.unit("MOE"), start_year=2024, end_year=2025)
    task = services.add_item(planner, plan, title="任务", kind="key_task", lead_unit=world.unit("MOE-JCJYS"))
    first = services.add_item(planner, plan, parent=task, title="举措一", lead_unit=world.unit("110000"))
    second = services.add_item(planner, plan, parent=task, title="举措二", lead_unit=world.unit("310000"))
    item = PlanItem.objects.get(pk=second.pk)
    assert (item.kind, item.description, item.deliverables, item.weight, item.start_date, item.due_date) == (
        "measure", "", "", Decimal(1), None, None)
    assert (item.code, item.position, item.depth, item.path) == ("1.2", 1, 1, f"{task.path}{item.pk}/")
    assert not item.co_owners.exists()
    assert PlanItem.objects.get(pk=task.pk).child_count == 2
    [created] = records(item)
    assert (created.action, created.actor, created.before) == ("create", planner, None)
    assert (created.after["title"], created.after["description"], created.after["lead_unit"]) == ("举措二", "", world.unit("310000").pk)
    assert first.assigned_by == second.assigned_by == world.unit("MOE")


def test_a_new_plans_first_items_are_numbered_from_one_whatever_other_plans_hold(world, small):
    planner = world.user("ministry_planner")
    plan = services.create_plan(planner, title="新规划", issuer=world.unit("MOE"), start_year=2024, end_year=2025)
    first = services.add_item(planner, plan, title="一", lead_unit=world.unit("MOE-JCJYS"))
    second = services.add_item(planner, plan, title="二", lead_unit=world.unit("MOE-JCJYS"))
    assert [(i.code, i.position) for i in (first, second)] == [("1", 0), ("2", 1)]


def test_an_item_added_to_a_published_plan_counts_at_once_in_its_parents_progress(world, small):
    reporter, reviewer = world.user("shanghai_reporter"), world.user("ministry_reviewer")
    report = services.save_report(reporter, small.shanghai, world.unit("310000"), "2024-Q1", dict(DATA))
    services.submit_report(reporter, report)
    services.approve_report(reviewer, report)
    # 北京 (weight 2) at 0 %, 上海 (weight 1) at 40 %
    assert PlanItem.objects.get(pk=small.measure.pk).progress == Decimal("13.33")
    services.add_item(world.user("ministry_planner"), small.plan, parent=small.measure, title="天津", lead_unit=world.unit("120000"))
    assert PlanItem.objects.get(pk=small.measure.pk).progress == Decimal("10.00")
    assert PlanItem.objects.get(pk=small.task.pk).progress == Decimal("10.00")
    assert PlanItem.objects.get(pk=small.measure.pk).child_count == 3


def test_a_parent_out_of_sight_is_not_found_before_any_other_check(world, small):
    """西城区's planner sees the plan (西城区 holds an item of 上海's branch) and may assign work to
    西城区, but does not see 北京's item: adding below it answers 404, not the 403 of a break-down
    it may not make."""
    services.add_item(world.user("ministry_planner"), small.plan, parent=small.shanghai, title="西城区援沪",
                      lead_unit=world.unit("110102"))
    district = _user_with(world, "xicheng_planner", "110102", "planner")
    with pytest.raises(Http404):
        services.add_item(district, small.plan, parent=small.beijing, title="越界", lead_unit=world.unit("110102"))
    with pytest.raises(Http404):
        services.add_item(world.user("nobody"), small.plan, title="越界", lead_unit=world.unit("310101"))
    assert not PlanItem.objects.filter(title="越界").exists()


def test_a_concurrent_first_report_conflicts_with_the_units_own_report_not_a_co_owners(world, small, monkeypatch):
    from luoshi.core.services import EditConflict

    shared = services.add_item(world.user("ministry_planner"), small.plan, parent=small.measure, title="京沪合办",
                               lead_unit=world.unit("110000"), co_owners=[world.unit("310000")])
    services.save_report(world.user("beijing_reporter"), shared, world.unit("110000"), "2024-Q1", dict(DATA))
    reporter, unit = world.user("shanghai_reporter"), world.unit("310000")
    target = services.save_report(reporter, shared, unit, "2024-Q1", {"status": "at_risk", "percent": Decimal(5)})
    monkeypatch.setattr(services, "_locked_report", lambda item, unit, period: None)  # not yet visible
    with pytest.raises(EditConflict) as conflict:
        services.save_report(reporter, shared, unit, "2024-Q1", {"percent": Decimal(6)}, expected_version=0)
    assert conflict.value.obj.pk == target.pk
    assert conflict.value.changes == [("status", "", "at_risk"), ("percent", "", Decimal("5.00"))]
    assert str(conflict.value) == (f"{target} was changed by someone else since you opened it (version 0 → 1; "
                                   "changed: status, percent). Reload and apply your edit again.")


def test_a_form_for_a_first_report_meets_the_report_made_meanwhile_as_a_conflict(world, small):
    from luoshi.core.services import EditConflict

    reporter, unit = world.user("beijing_reporter"), world.unit("110000")
    made = services.save_report(reporter, small.beijing, unit, "2024-Q1", {"status": "at_risk", "percent": Decimal(20), "achievements": "先"})
    services.save_report(reporter, small.beijing, unit, "2024-Q1", {"percent": Decimal(30)}, expected_version=1)
    with pytest.raises(EditConflict) as conflict:
        services.save_report(reporter, small.beijing, unit, "2024-Q1", {"achievements": "后"}, expected_version="0")
    assert (conflict.value.obj.pk, conflict.value.expected) == (made.pk, 0)
    assert conflict.value.changes == [("status", "", "at_risk"), ("percent", "", Decimal("30.00")), ("achievements", "", "先")]
    assert str(conflict.value) == (f"{made} was changed by someone else since you opened it (version 0 → 2; "
                                   "changed: status, percent, achievements). Reload and apply your edit again.")
    report = ProgressReport.objects.get(pk=made.pk)
    assert (report.achievements, report.percent, report.version) == ("先", Decimal(30), 2)


# Moving items ----------------------------------------------------------------------------------------

def order_under(parent):
    return list(PlanItem.objects.filter(parent=parent).order_by("position").values_list("title", "position"))


def test_a_move_counts_the_new_siblings_in_their_order_not_their_age(world, small):
    planner = world.user("ministry_planner")
    tianjin = services.add_item(planner, small.plan, parent=small.measure, title="天津", lead_unit=world.unit("120000"))
    services.move_item(planner, tianjin, small.measure, position=0)
    other = services.add_item(planner, small.plan, title="另一任务", kind="key_task", lead_unit=world.unit("MOE-JCJYS"))
    chongqing = services.add_item(planner, small.plan, parent=other, title="重庆", lead_unit=world.unit("500000"))
    moved = services.move_item(planner, chongqing, small.measure, position=1)
    assert order_under(small.measure) == [("天津", 0), ("重庆", 1), ("北京：推进学前教育普及普惠", 2), ("上海：推进学前教育普及普惠", 3)]
    assert (moved.position, moved.depth, moved.path) == (1, 2, f"{small.measure.path}{chongqing.pk}/")
    assert PlanItem.objects.get(pk=other.pk).child_count == 0
    assert PlanItem.objects.get(pk=small.measure.pk).child_count == 4


def test_a_move_without_a_position_puts_the_item_last_among_its_own_siblings(world, small):
    planner = world.user("ministry_planner")
    services.add_item(planner, small.plan, parent=small.measure, title="天津", lead_unit=world.unit("120000"))
    moved = services.move_item(planner, small.beijing, small.measure)  # within its parent: to the end
    assert moved.position == 2
    assert order_under(small.measure) == [("上海：推进学前教育普及普惠", 0), ("天津", 1), ("北京：推进学前教育普及普惠", 2)]


def test_a_move_to_the_top_level_counts_only_its_own_plans_top_items(world, small):
    from luoshi.plans.tests.conftest import build_small_plan

    planner = world.user("ministry_planner")
    other = build_small_plan(world, status="draft")
    services.add_item(planner, other.plan, title="别的规划的任务", lead_unit=world.unit("MOE-JCJYS"))
    moved = services.move_item(planner, small.shanghai, None)
    assert (moved.parent_id, moved.position, moved.depth, moved.path) == (None, 1, 0, f"/{small.shanghai.pk}/")
    assert list(PlanItem.objects.filter(plan=small.plan, parent=None).order_by("position").values_list("title", "position")) == [
        ("夯实基础教育基点", 0), ("上海：推进学前教育普及普惠", 1)]


# Editing items ---------------------------------------------------------------------------------------

def test_an_edit_of_a_published_plans_item_rolls_up_at_once(world, small):
    reporter, reviewer = world.user("shanghai_reporter"), world.user("ministry_reviewer")
    report = services.save_report(reporter, small.shanghai, world.unit("310000"), "2024-Q1", dict(DATA))
    services.submit_report(reporter, report)
    services.approve_report(reviewer, report)
    assert PlanItem.objects.get(pk=small.measure.pk).progress == Decimal("13.33")  # 北京 (weight 2) 0 %, 上海 40 %
    services.update_item(world.user("ministry_planner"), small.shanghai, {"weight": Decimal(2)})
    assert PlanItem.objects.get(pk=small.measure.pk).progress == Decimal("20.00")
    assert PlanItem.objects.get(pk=small.task.pk).progress == Decimal("20.00")


def test_a_draft_plans_items_get_no_light_until_it_is_published(world):
    planner = world.user("ministry_planner")
    plan = services.create_plan(planner, title="草案规划", issuer=world.unit("MOE"), start_year=2024, end_year=2025)
    task = services.add_item(planner, plan, title="任务", kind="key_task", lead_unit=world.unit("MOE-JCJYS"))
    late = services.add_item(planner, plan, parent=task, title="早已到期", lead_unit=world.unit("110000"),
                             due_date=date(2024, 3, 31))
    services.update_item(planner, late, {"title": "早已到期的举措"})
    assert {i.title: (i.light, i.progress) for i in PlanItem.objects.filter(plan=plan)} == {
        "任务": ("grey", Decimal(0)), "早已到期的举措": ("grey", Decimal(0))}
    services.set_plan_status(planner, plan, "published")
    assert {i.title: i.light for i in PlanItem.objects.filter(plan=plan)} == {"任务": "red", "早已到期的举措": "red"}
