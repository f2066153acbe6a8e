"""What the plans services refuse and record, as a user reads it (issue 13, mutation testing).

Each refusal is compared whole (a word changed or added fails), with its field; each check is
tried at, just before and just after its limit; each write's audit record is read with its
actor, verb and before/after. Written against the survivors and the likely survivors of
``plans/services.py``'s mutants (see docs/testing.md, *Scores*).
"""

from __future__ import annotations

import posixpath
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from luoshi.audit.models import AuditRecord
from luoshi.core.tabular import TableError, read_table
from luoshi.plans import services
from luoshi.plans.models import Evidence, Notification, Plan, PlanItem, ProgressReport, ReportVersion
from luoshi.plans.tests.conftest import build_small_plan

pytestmark = pytest.mark.django_db

DATA = {"status": "on_track", "percent": Decimal(40), "achievements": "完成园所布局调研。"}


def refusal(exc: ValidationError):
    """A ValidationError as the form shows it: {field: [texts]} or [texts]."""
    return exc.message_dict if hasattr(exc, "error_dict") else exc.messages


def records(obj, **filters):
    return list(AuditRecord.objects.filter(content_type__model=obj._meta.model_name, object_id=str(obj.pk), **filters)
                .order_by("pk"))


def draft_plan(world, **kwargs) -> Plan:
    fields = {"title": "草案规划", "issuer": world.unit("MOE"), "start_year": 2024, "end_year": 2025} | kwargs
    return services.create_plan(world.user("ministry_planner"), **fields)


# Plans ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "end", "ok"), [(2024, 2024, True), (2024, 2025, True), (2024, 2023, False)])
def test_a_plans_end_year_may_equal_its_start_year_but_not_come_before_it(world, start, end, ok):
    if ok:
        plan = draft_plan(world, start_year=start, end_year=end)
        assert (plan.start_year, plan.end_year) == (start, end)
        return
    with pytest.raises(ValidationError) as refused:
        draft_plan(world, start_year=start, end_year=end)
    assert refusal(refused.value) == {"end_year": ["The end year is before the start year."]}
    assert not Plan.objects.filter(title="草案规划").exists()


def test_a_plan_is_created_as_asked_and_recorded_with_its_actor(world):
    planner = world.user("ministry_planner")
    plan = services.create_plan(planner, title="新规划", issuer=world.unit("MOE"), start_year=2024, end_year=2026,
                                period=Plan.Period.MONTHLY, description="说明")
    plan = Plan.objects.get(pk=plan.pk)
    assert (plan.title, plan.issuer, plan.start_year, plan.end_year, plan.period, plan.description, plan.status) == (
        "新规划", world.unit("MOE"), 2024, 2026, "monthly", "说明", "draft")
    [created] = records(plan)
    assert (created.action, created.actor, created.before) == ("create", planner, None)
    assert created.after["title"] == "新规划" and created.after["end_year"] == 2026


def test_only_a_planner_of_the_issuer_creates_its_plan(world):
    with pytest.raises(PermissionDenied):
        services.create_plan(world.user("ministry_reviewer"), title="x", issuer=world.unit("MOE"), start_year=2024, end_year=2024)
    with pytest.raises((PermissionDenied, Http404)):
        services.create_plan(world.user("beijing_planner"), title="x", issuer=world.unit("MOE"), start_year=2024, end_year=2024)
    assert not Plan.objects.filter(title="x").exists()


def test_an_archived_plan_cannot_be_changed(world, small):
    planner = world.user("ministry_planner")
    services.set_plan_status(planner, small.plan, "archived")
    with pytest.raises(ValidationError) as refused:
        services.update_plan(planner, small.plan, {"title": "改名"})
    assert refusal(refused.value) == ["An archived plan cannot be changed."]
    assert Plan.objects.get(pk=small.plan.pk).title == "测试规划"


@pytest.mark.parametrize("change", [{"start_year": 2023}, {"end_year": 2026}, {"period": "monthly"}])
def test_a_published_plans_horizon_and_period_are_fixed(world, small, change):
    with pytest.raises(ValidationError) as refused:
        services.update_plan(world.user("ministry_planner"), small.plan, change)
    assert refusal(refused.value) == ["The horizon and reporting period of a published plan are fixed."]
    plan = Plan.objects.get(pk=small.plan.pk)
    assert (plan.start_year, plan.end_year, plan.period) == (2024, 2025, "quarterly")


def test_a_published_plan_takes_its_own_horizon_again_and_other_changes(world, small):
    planner = world.user("ministry_planner")
    plan = services.update_plan(planner, small.plan, {"start_year": 2024, "end_year": 2025, "period": "quarterly",
                                                      "title": "测试规划（修订）", "description": "新说明"})
    plan = Plan.objects.get(pk=plan.pk)
    assert (plan.title, plan.description, plan.start_year, plan.end_year) == ("测试规划（修订）", "新说明", 2024, 2025)
    update = records(plan, action="update")[-1]
    assert (update.actor, update.verb) == (planner, "")
    assert (update.before["title"], update.after["title"]) == ("测试规划", "测试规划（修订）")


def test_a_draft_plans_horizon_may_change_but_not_end_before_it_starts(world):
    planner = world.user("ministry_planner")
    plan = draft_plan(world)
    services.update_plan(planner, plan, {"end_year": 2027, "period": "monthly"})
    plan = Plan.objects.get(pk=plan.pk)
    assert (plan.end_year, plan.period) == (2027, "monthly")
    with pytest.raises(ValidationError) as refused:
        services.update_plan(planner, plan, {"start_year": 2028})
    assert refusal(refused.value) == {"end_year": ["The end year is before the start year."]}
    with pytest.raises(ValidationError):
        services.update_plan(planner, plan, {"end_year": 2023})
    services.update_plan(planner, plan, {"start_year": 2027})  # equal years are one year
    assert Plan.objects.get(pk=plan.pk).start_year == 2027


def test_fields_that_are_not_a_plans_are_ignored(world):
    plan = draft_plan(world)
    services.update_plan(world.user("ministry_planner"), plan, {"status": "published", "title": "改名"})
    plan = Plan.objects.get(pk=plan.pk)
    assert (plan.status, plan.title) == ("draft", "改名")


def test_publishing_needs_items_and_is_recorded(world):
    planner = world.user("ministry_planner")
    plan = draft_plan(world)
    with pytest.raises(ValidationError) as refused:
        services.set_plan_status(planner, plan, "published")
    assert refusal(refused.value) == ["A plan without items cannot be published."]
    assert Plan.objects.get(pk=plan.pk).status == "draft"
    overdue = services.add_item(planner, plan, title="已逾期", lead_unit=world.unit("MOE-JCJYS"), due_date=date(2024, 6, 30))
    assert PlanItem.objects.get(pk=overdue.pk).light == "grey"  # a draft's lights are not computed
    services.set_plan_status(planner, plan, "published")
    assert Plan.objects.get(pk=plan.pk).status == "published"
    [published] = records(plan, action="update")
    assert (published.verb, published.actor, published.before["status"], published.after["status"]) == (
        "published", planner, "draft", "published")
    # publishing computes the lights: an item due in 2024 with nothing reported is red
    assert PlanItem.objects.get(pk=overdue.pk).light == "red"


def test_a_plan_status_change_refusal_names_both_states(world):
    plan = draft_plan(world)
    with pytest.raises(ValidationError) as refused:
        services.set_plan_status(world.user("ministry_planner"), plan, "archived")
    assert refusal(refused.value) == ["A plan cannot go from Draft to archived."]


def test_only_a_draft_plan_is_deleted(world, small):
    with pytest.raises(ValidationError) as refused:
        services.delete_plan(world.user("ministry_planner"), small.plan)
    assert refusal(refused.value) == ["Only a draft plan can be deleted; archive a published one."]
    assert Plan.objects.filter(pk=small.plan.pk).exists()


def test_a_deleted_draft_plans_items_are_recorded_deepest_first_with_what_they_were(world):
    draft = build_small_plan(world, status="draft")
    planner = world.user("ministry_planner")
    items = {i.pk: i for i in PlanItem.objects.filter(plan=draft.plan)}
    services.delete_plan(planner, draft.plan)
    deleted = list(AuditRecord.objects.filter(content_type__model="planitem", action="delete").order_by("pk"))
    assert len(deleted) == 5
    depths = [items[int(r.object_id)].depth for r in deleted]
    assert depths == sorted(depths, reverse=True)
    for record in deleted:
        assert (record.actor, record.after, record.before["title"]) == (planner, None, items[int(record.object_id)].title)
    [plan_record] = AuditRecord.objects.filter(content_type__model="plan", action="delete")
    assert (plan_record.actor, plan_record.after, plan_record.before["title"]) == (planner, None, "测试规划")


# Item dates ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "due", "errors"), [
    (date(2024, 1, 1), date(2025, 12, 31), {}),
    (date(2023, 12, 31), None, {"start_date": ["2023-12-31 is outside the plan's horizon (2024-01-01 to 2025-12-31)."]}),
    (None, date(2026, 1, 1), {"due_date": ["2026-01-01 is outside the plan's horizon (2024-01-01 to 2025-12-31)."]}),
    (date(2026, 1, 1), None, {"start_date": ["2026-01-01 is outside the plan's horizon (2024-01-01 to 2025-12-31)."]}),
    (None, date(2023, 12, 31), {"due_date": ["2023-12-31 is outside the plan's horizon (2024-01-01 to 2025-12-31)."]}),
    (date(2024, 5, 2), date(2024, 5, 1), {"due_date": ["The due date is before the start date."]}),
    (date(2024, 5, 1), date(2024, 5, 1), {}),
    (date(2023, 1, 1), date(2026, 1, 1), {
        "start_date": ["2023-01-01 is outside the plan's horizon (2024-01-01 to 2025-12-31)."],
        "due_date": ["2026-01-01 is outside the plan's horizon (2024-01-01 to 2025-12-31)."]}),
])
def test_an_items_dates_lie_in_the_plans_horizon_in_order(world, start, due, errors):
    plan = draft_plan(world)
    kwargs = {"title": "事项", "lead_unit": world.unit("MOE-JCJYS"), "start_date": start, "due_date": due}
    if not errors:
        item = services.add_item(world.user("ministry_planner"), plan, **kwargs)
        assert (item.start_date, item.due_date) == (start, due)
        return
    with pytest.raises(ValidationError) as refused:
        services.add_item(world.user("ministry_planner"), plan, **kwargs)
    assert refusal(refused.value) == errors
    assert not PlanItem.objects.filter(plan=plan).exists()


# Items: who assigns what ------------------------------------------------------------------------

def test_a_lead_unit_outside_the_planners_reach_is_refused_by_name(world, small):
    with pytest.raises(PermissionDenied) as refused:
        services.add_item(world.user("beijing_planner"), small.plan, parent=small.beijing, title="上海的事",
                          lead_unit=world.unit("310000"))
    assert str(refused.value) == "上海市教育委员会 is outside the units you may assign work to."


def test_a_cascade_is_assigned_by_the_parents_lead_unit(world, small):
    planner = world.user("beijing_planner")
    item = services.add_item(planner, small.plan, parent=small.beijing, title="西城区落实", lead_unit=world.unit("110102"))
    assert item.assigned_by == world.unit("110000")
    assert PlanItem.objects.get(pk=small.beijing.pk).child_count == 2
    assert item.code == f"{small.beijing.code}.2" and item.position == 1
    [created] = records(item)
    assert (created.action, created.actor, created.before, created.after["title"]) == ("create", planner, None, "西城区落实")


def test_a_draft_plans_items_are_not_broken_down_by_their_lead_units(world):
    from luoshi.accounts import services as account_services
    from luoshi.orgs import services as org_services

    draft = build_small_plan(world, status="draft")
    admin = world.user("admin")
    # sees the ministry's draft (a reviewer there) and plans for 北京, which leads the item
    user = account_services.create_user(admin, username="reviews_and_plans", password=None, display_name="部审京规")
    org_services.add_membership(admin, user=user, unit=world.unit("MOE"), role="reviewer")
    org_services.add_membership(admin, user=user, unit=world.unit("110000"), role="planner")
    with pytest.raises(ValidationError) as refused:
        services.add_item(user, draft.plan, parent=draft.beijing, title="西城区落实", lead_unit=world.unit("110102"))
    assert refusal(refused.value) == ["Only a published plan's items can be broken down by their lead units."]
    with pytest.raises(Http404):  # 北京's own planner does not see the ministry's draft at all
        services.add_item(world.user("beijing_planner"), draft.plan, parent=draft.beijing, title="西城区落实",
                          lead_unit=world.unit("110102"))
    assert not PlanItem.objects.filter(title="西城区落实").exists()
    # the plan's own planners may, draft or not; once published, the lead unit's planner may too
    item = services.add_item(world.user("ministry_planner"), draft.plan, parent=draft.beijing, title="西城区落实",
                             lead_unit=world.unit("110102"))
    assert item.assigned_by == world.unit("110000")
    services.set_plan_status(world.user("ministry_planner"), draft.plan, "published")
    item = services.add_item(user, draft.plan, parent=draft.beijing, title="朝阳区落实", lead_unit=world.unit("110105"))
    assert item.assigned_by == world.unit("110000")


def test_a_sub_item_led_by_a_unit_not_below_the_parents_lead_is_assigned_by_the_parents_assigner(world, small):
    planner = world.user("ministry_planner")
    item = services.add_item(planner, small.plan, parent=small.beijing, title="司局协助", lead_unit=world.unit("MOE-JCJYS"))
    assert item.assigned_by == small.beijing.assigned_by == world.unit("MOE")


def test_a_lead_unit_not_below_the_assigner_is_refused(world, small):
    # 北京's planner changes 东城区's item (assigned by 北京) … and may not put it under a unit 北京 does not hold
    admin = world.user("admin")
    with pytest.raises(ValidationError) as refused:
        services.add_item(admin, small.plan, parent=small.dongcheng, title="跨区", lead_unit=world.unit("310000"))
    assert refusal(refused.value) == {"lead_unit": ["上海市教育委员会 is not below 北京市教育委员会, which assigns this item."]}


def test_an_archived_plan_takes_no_items_and_a_parent_must_be_the_plans(world, small):
    planner = world.user("ministry_planner")
    other = draft_plan(world)
    with pytest.raises(ValidationError) as refused:
        services.add_item(planner, other, parent=small.task, title="x", lead_unit=world.unit("MOE-JCJYS"))
    assert refusal(refused.value) == {"parent": ["The parent item belongs to another plan."]}
    services.set_plan_status(planner, small.plan, "archived")
    with pytest.raises(ValidationError) as refused:
        services.add_item(planner, small.plan, title="x", lead_unit=world.unit("MOE-JCJYS"))
    assert refusal(refused.value) == ["An archived plan cannot be changed."]
    assert not PlanItem.objects.filter(title="x").exists()


def test_a_co_owner_outside_the_planners_reach_is_refused_by_name(world, small):
    with pytest.raises(PermissionDenied) as refused:
        services.add_item(world.user("beijing_planner"), small.plan, parent=small.beijing, title="合办",
                          lead_unit=world.unit("110102"), co_owners=[world.unit("110101"), world.unit("310000")])
    assert str(refused.value) == "上海市教育委员会 is outside the units you may assign work to."
    item = services.add_item(world.user("beijing_planner"), small.plan, parent=small.beijing, title="合办",
                             lead_unit=world.unit("110102"), co_owners=[world.unit("110101")])
    assert list(item.co_owners.all()) == [world.unit("110101")]


def test_top_level_items_are_numbered_in_order_and_codes_given_are_kept(world):
    planner = world.user("ministry_planner")
    plan = draft_plan(world)
    first = services.add_item(planner, plan, title="一", lead_unit=world.unit("MOE-JCJYS"))
    second = services.add_item(planner, plan, title="二", lead_unit=world.unit("MOE-JCJYS"))
    third = services.add_item(planner, plan, title="三", lead_unit=world.unit("MOE-JCJYS"), code="X9")
    below = services.add_item(planner, plan, parent=second, title="二之一", lead_unit=world.unit("MOE-JCJYS"))
    assert [(i.code, i.position) for i in (first, second, third, below)] == [("1", 0), ("2", 1), ("X9", 2), ("2.1", 0)]
    assert (first.assigned_by, first.kind, first.weight) == (world.unit("MOE"), "measure", Decimal(1))


# Item updates and moves ----------------------------------------------------------------------------

def test_an_items_lead_unit_changes_only_to_a_unit_below_its_assigner(world, small):
    planner = world.user("beijing_planner")
    with pytest.raises(PermissionDenied) as refused:
        services.update_item(planner, small.dongcheng, {"lead_unit": world.unit("310000")})
    assert str(refused.value) == "上海市教育委员会 is outside the units you may assign work to."
    # the ministry's planner may assign 上海 work, but 东城区's item is 北京's to give
    with pytest.raises(PermissionDenied) as refused:
        services.update_item(world.user("ministry_planner"), small.dongcheng, {"lead_unit": world.unit("310000")})
    assert str(refused.value) == "上海市教育委员会 is outside the units you may assign work to."
    item = services.update_item(planner, small.dongcheng, {"lead_unit": world.unit("110102")})
    assert PlanItem.objects.get(pk=item.pk).lead_unit == world.unit("110102")


def test_an_item_update_is_recorded_with_before_and_after_and_nothing_when_unchanged(world, small):
    planner = world.user("ministry_planner")
    services.update_item(planner, small.shanghai, {"title": "上海：改", "weight": Decimal(3), "code": "ignored"})
    item = PlanItem.objects.get(pk=small.shanghai.pk)
    assert (item.title, item.weight, item.code) == ("上海：改", Decimal(3), small.shanghai.code)
    [update] = records(item, action="update")
    assert (update.actor, update.before["title"], update.after["title"]) == (planner, "上海：推进学前教育普及普惠", "上海：改")
    services.update_item(planner, item, {"title": "上海：改"})
    assert len(records(item, action="update")) == 1


def test_an_archived_plans_items_are_not_changed(world, small):
    planner = world.user("ministry_planner")
    services.set_plan_status(planner, small.plan, "archived")
    with pytest.raises(ValidationError) as refused:
        services.update_item(planner, small.shanghai, {"title": "改"})
    assert refusal(refused.value) == ["An archived plan cannot be changed."]


def test_co_owners_outside_the_reach_are_refused_and_hidden_ones_kept(world, small):
    planner = world.user("beijing_planner")
    item = services.add_item(world.user("ministry_planner"), small.plan, parent=small.beijing, title="合办",
                             lead_unit=world.unit("110102"), co_owners=[world.unit("310000")])
    with pytest.raises(PermissionDenied) as refused:
        services.update_item(planner, item, {"co_owners": [world.unit("310101")]})
    assert str(refused.value) == "A co-owner is outside the units you may assign work to."
    services.update_item(planner, item, {"co_owners": [world.unit("110101")]})
    assert set(PlanItem.objects.get(pk=item.pk).co_owners.all()) == {world.unit("110101"), world.unit("310000")}
    services.update_item(world.user("ministry_planner"), item, {"co_owners": []})
    assert not PlanItem.objects.get(pk=item.pk).co_owners.exists()


def test_an_item_cannot_move_to_another_plan_or_below_itself(world, small):
    planner = world.user("ministry_planner")
    other = build_small_plan(world, status="draft")
    with pytest.raises(ValidationError) as refused:
        services.move_item(planner, small.shanghai, other.task)
    assert refusal(refused.value) == {"parent": ["An item can only move within its plan."]}
    for below in (small.measure, small.beijing):
        with pytest.raises(ValidationError) as refused:
            services.move_item(planner, small.measure, below)
        assert refusal(refused.value) == {"parent": ["An item cannot be moved below itself or one of its own sub-items."]}
    assert PlanItem.objects.get(pk=small.measure.pk).parent_id == small.task.pk


def test_an_item_moves_only_under_an_item_one_may_add_to(world, small):
    with pytest.raises(PermissionDenied) as refused:
        services.move_item(world.user("beijing_planner"), small.dongcheng, small.shanghai)
    assert str(refused.value) == f"You may not place items under {small.shanghai}."
    # to the top level needs the plan's change right
    with pytest.raises((PermissionDenied, Http404)):
        services.move_item(world.user("beijing_planner"), small.dongcheng, None)
    assert PlanItem.objects.get(pk=small.dongcheng.pk).parent_id == small.beijing.pk


def test_a_move_places_the_item_at_the_position_asked_clamped_and_is_recorded(world, small):
    planner = world.user("ministry_planner")
    extra = services.add_item(planner, small.plan, parent=small.measure, title="天津", lead_unit=world.unit("120000"))
    # measure's children: beijing 0, shanghai 1, tianjin 2; move tianjin first
    services.move_item(planner, extra, small.measure, position=0)
    order = list(PlanItem.objects.filter(parent=small.measure).order_by("position").values_list("pk", "position"))
    assert order == [(extra.pk, 0), (small.beijing.pk, 1), (small.shanghai.pk, 2)]
    services.move_item(planner, extra, small.measure, position=99)
    order = list(PlanItem.objects.filter(parent=small.measure).order_by("position").values_list("pk", flat=True))
    assert order == [small.beijing.pk, small.shanghai.pk, extra.pk]
    services.move_item(planner, extra, small.measure, position=-5)
    assert PlanItem.objects.get(pk=extra.pk).position == 0
    moved = services.move_item(planner, extra, None)
    assert (moved.parent_id, moved.position, moved.depth) == (None, 1, 0)
    assert PlanItem.objects.get(pk=small.measure.pk).child_count == 2
    last = records(extra, action="update")[-1]
    assert (last.verb, last.actor, last.before["parent"], last.after["parent"]) == ("move", planner, small.measure.pk, None)
    assert last.after["version"] == last.before["version"] + 1
    # and from the top level below another item: its path and depth follow
    moved = services.move_item(planner, extra, small.task)
    assert (moved.parent_id, moved.depth, moved.path) == (small.task.pk, 1, f"{small.task.path}{extra.pk}/")
    assert PlanItem.objects.get(pk=small.task.pk).child_count == 2


def test_renumbering_follows_the_tree_and_records_each_change(world, small):
    planner = world.user("ministry_planner")
    PlanItem.objects.filter(pk=small.shanghai.pk).update(code="Z")
    PlanItem.objects.filter(pk=small.dongcheng.pk).update(code="Y")
    assert services.renumber(planner, small.plan) == 2
    codes = dict(PlanItem.objects.filter(plan=small.plan).values_list("pk", "code"))
    assert [codes[i.pk] for i in (small.task, small.measure, small.beijing, small.shanghai, small.dongcheng)] == [
        "1", "1.1", "1.1.1", "1.1.2", "1.1.1.1"]
    changes = AuditRecord.objects.filter(verb="renumber").order_by("object_id")
    assert sorted(((r.before, r.after, r.actor) for r in changes), key=str) == sorted([
        ({"code": "Z"}, {"code": "1.1.2"}, planner), ({"code": "Y"}, {"code": "1.1.1.1"}, planner)], key=str)
    assert services.renumber(planner, small.plan) == 0


def test_deleting_an_item_takes_its_subtree_and_records_each(world, small):
    planner = world.user("ministry_planner")
    assert services.delete_item(planner, small.beijing) == 2
    assert set(PlanItem.objects.filter(plan=small.plan).values_list("pk", flat=True)) == {
        small.task.pk, small.measure.pk, small.shanghai.pk}
    assert PlanItem.objects.get(pk=small.measure.pk).child_count == 1
    deleted = AuditRecord.objects.filter(content_type__model="planitem", action="delete").order_by("pk")
    assert [(int(r.object_id), r.actor, r.after) for r in deleted] == [
        (small.dongcheng.pk, planner, None), (small.beijing.pk, planner, None)]
    assert deleted[0].before["title"] == "东城区落实"


def test_an_item_with_an_approved_report_is_refused_whole(world, small):
    reporter, reviewer = world.user("beijing_reporter"), world.user("ministry_reviewer")
    report = services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", dict(DATA))
    services.submit_report(reporter, report)
    services.approve_report(reviewer, report)
    with pytest.raises(ValidationError) as refused:
        services.delete_item(world.user("ministry_planner"), small.beijing)
    assert refusal(refused.value) == ["Items with approved reports cannot be deleted; their history must stay."]
    # a returned report is no history yet
    other = services.save_report(world.user("shanghai_reporter"), small.shanghai, world.unit("310000"), "2024-Q1", dict(DATA))
    services.submit_report(world.user("shanghai_reporter"), other)
    services.return_report(reviewer, other, "补充")
    assert services.delete_item(world.user("ministry_planner"), small.shanghai) == 1


# Reports ----------------------------------------------------------------------------------------

def test_reports_are_made_only_on_a_published_plan(world):
    draft = build_small_plan(world, status="draft")
    with pytest.raises(ValidationError) as refused:
        services.save_report(world.user("admin"), draft.beijing, world.unit("110000"), "2024-Q1", dict(DATA))
    assert refusal(refused.value) == ["Reports can only be made on a published plan."]
    with pytest.raises(Http404):  # 北京's reporter does not see the ministry's draft
        services.save_report(world.user("beijing_reporter"), draft.beijing, world.unit("110000"), "2024-Q1", dict(DATA))


def test_a_report_is_made_only_by_a_unit_holding_the_item(world, small):
    with pytest.raises(ValidationError) as refused:
        services.save_report(world.user("beijing_reporter"), small.dongcheng, world.unit("110000"), "2024-Q1", dict(DATA))
    assert refusal(refused.value) == {"unit": ["北京市教育委员会 does not hold this item."]}


@pytest.mark.parametrize(("period", "error"), [
    ("2024-M1", "2024-M1 is not a reporting period of this plan."),
    ("2023-Q4", "2023-Q4 is outside the plan's horizon."),
    ("2026-Q1", "2026-Q1 is outside the plan's horizon."),
])
def test_a_report_period_must_be_the_plans_and_in_its_horizon(world, small, period, error):
    with pytest.raises(ValidationError) as refused:
        services.save_report(world.user("beijing_reporter"), small.beijing, world.unit("110000"), period, dict(DATA))
    assert refusal(refused.value) == {"period": [error]}
    assert not ProgressReport.objects.filter(item=small.beijing).exists()


@pytest.mark.parametrize(("today", "ok"), [(date(2024, 3, 31), False), (date(2024, 4, 1), True), (date(2024, 4, 2), True)])
def test_a_period_is_reported_from_its_first_day(world, small, monkeypatch, today, ok):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today)
    call = lambda: services.save_report(world.user("beijing_reporter"), small.beijing, world.unit("110000"), "2024-Q2", dict(DATA))  # noqa: E731
    if ok:
        assert call().period_end == date(2024, 6, 30)
        return
    with pytest.raises(ValidationError) as refused:
        call()
    assert refusal(refused.value) == {"period": ["2024-Q2 has not started yet."]}


def test_the_first_and_last_periods_of_the_horizon_are_reported(world, small):
    reporter = world.user("beijing_reporter")
    for period in ("2024-Q1", "2025-Q4"):
        assert services.save_report(reporter, small.beijing, world.unit("110000"), period, dict(DATA)).period == period


def test_a_report_out_of_view_is_not_found(world, small):
    with pytest.raises(Http404):
        services.save_report(world.user("shanghai_reporter"), small.beijing, world.unit("110000"), "2024-Q1", dict(DATA))


def test_a_done_report_is_at_100_percent_and_only_report_fields_are_kept(world, small):
    report = services.save_report(world.user("beijing_reporter"), small.beijing, world.unit("110000"), "2024-Q1",
                                  {"status": "done", "percent": Decimal(70), "state": "approved", "problems": "无"})
    report = ProgressReport.objects.get(pk=report.pk)
    assert (report.status, report.percent, report.state, report.problems) == ("done", Decimal(100), "draft", "无")
    [created] = records(report)
    assert (created.action, created.actor) == ("create", world.user("beijing_reporter"))


def test_a_locked_report_is_not_edited(world, small):
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", dict(DATA))
    services.submit_report(reporter, report)
    with pytest.raises(ValidationError) as refused:
        services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", {"percent": Decimal(50)})
    assert refusal(refused.value) == ["This report is Submitted and cannot be edited."]
    assert ProgressReport.objects.get(pk=report.pk).percent == Decimal(40)


def test_a_draft_report_is_edited_with_its_version_recorded(world, small):
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", dict(DATA))
    edited = services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", {"percent": Decimal(50)},
                                  expected_version=report.version)
    assert edited.pk == report.pk and ProgressReport.objects.get(pk=report.pk).percent == Decimal(50)
    [update] = records(report, action="update")
    assert (update.actor, update.before["percent"], update.after["percent"]) == (reporter, "40.00", "50")


def test_submitting_freezes_a_version_and_records_who(world, small):
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", dict(DATA))
    services.submit_report(reporter, report)
    report = ProgressReport.objects.get(pk=report.pk)
    assert (report.state, report.submitted_by, report.version) == ("submitted", reporter, 2)
    assert report.submitted_at is not None
    [version] = ReportVersion.objects.filter(report=report)
    assert (version.number, version.state, version.actor) == (1, "submitted", reporter)
    assert version.data == {"status": "on_track", "percent": "40.00", "achievements": "完成园所布局调研。", "problems": "",
                            "next_steps": "", "review_comment": ""}
    [transition] = records(report, action="transition")
    assert (transition.verb, transition.actor, transition.before["state"], transition.after["state"]) == (
        "submit", reporter, "draft", "submitted")


def test_approving_and_returning_are_recorded_with_the_reviewer_and_the_comment(world, small):
    reporter, reviewer = world.user("beijing_reporter"), world.user("ministry_reviewer")
    report = services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", dict(DATA))
    services.submit_report(reporter, report)
    services.return_report(reviewer, report, "  请补充数据。 ")
    report = ProgressReport.objects.get(pk=report.pk)
    assert (report.state, report.reviewed_by, report.review_comment) == ("returned", reviewer, "请补充数据。")
    services.submit_report(reporter, report)
    services.approve_report(reviewer, report, " 同意 ")
    report = ProgressReport.objects.get(pk=report.pk)
    assert (report.state, report.reviewed_by, report.review_comment, report.version) == ("approved", reviewer, "同意", 5)
    versions = list(ReportVersion.objects.filter(report=report).order_by("number").values_list("number", "state", "actor"))
    assert versions == [(1, "submitted", reporter.pk), (2, "returned", reviewer.pk), (3, "submitted", reporter.pk),
                        (4, "approved", reviewer.pk)]
    assert [(r.verb, r.actor) for r in records(report, action="transition")] == [
        ("submit", reporter), ("return", reviewer), ("submit", reporter), ("approve", reviewer)]


@pytest.mark.parametrize("comment", ["", "   "])
def test_a_report_is_returned_only_with_a_reason(world, small, comment):
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", dict(DATA))
    services.submit_report(reporter, report)
    with pytest.raises(ValidationError) as refused:
        services.return_report(world.user("ministry_reviewer"), report, comment)
    assert refusal(refused.value) == {"comment": ["Say why the report is returned."]}
    assert ProgressReport.objects.get(pk=report.pk).state == "submitted"


def test_only_a_reviewer_of_the_assigning_unit_reviews(world, small):
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", dict(DATA))
    services.submit_report(reporter, report)
    with pytest.raises(PermissionDenied) as refused:
        services.approve_report(world.user("beijing_reviewer"), report)
    assert str(refused.value) == "Only a reviewer of 中华人民共和国教育部, which assigned this item, can review it."
    assert ProgressReport.objects.get(pk=report.pk).state == "submitted"


def test_self_review_is_refused_whole(world, small, settings):
    from luoshi.accounts import services as account_services
    from luoshi.orgs import services as org_services

    admin = world.user("admin")
    both = account_services.create_user(admin, username="both_roles", password=None, display_name="两职")
    org_services.add_membership(admin, user=both, unit=world.unit("110000"), role="reporter")
    org_services.add_membership(admin, user=both, unit=world.unit("110000"), role="reviewer")
    # 东城区's item is assigned by 北京: ``both`` writes it as 北京? No: 东城区 reports; ``both`` edits as 北京's
    # reporter covering below and then tries to approve.
    report = services.save_report(world.user("beijing_reporter"), small.dongcheng, world.unit("110101"), "2024-Q1", dict(DATA))
    services.save_report(both, small.dongcheng, world.unit("110101"), "2024-Q1", {"percent": Decimal(45)})
    services.submit_report(world.user("beijing_reporter"), report)
    with pytest.raises(PermissionDenied) as refused:
        services.approve_report(both, report)
    assert str(refused.value) == "You cannot review a report you wrote, edited or submitted yourself, in this or an earlier version."
    settings.LUOSHI_ALLOW_SELF_REVIEW = True
    services.approve_report(both, report)
    assert ProgressReport.objects.get(pk=report.pk).state == "approved"


def test_submitting_on_an_archived_plan_is_refused(world, small):
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", dict(DATA))
    services.set_plan_status(world.user("ministry_planner"), small.plan, "archived")
    with pytest.raises(ValidationError) as refused:
        services.submit_report(reporter, report)
    assert refusal(refused.value) == ["Reports can only be made on a published plan."]
    assert ProgressReport.objects.get(pk=report.pk).state == "draft"


# Evidence ---------------------------------------------------------------------------------------

def test_evidence_is_added_and_removed_with_records_and_kept_once_submitted(world, small):
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", dict(DATA))
    evidence = services.add_evidence(reporter, report, SimpleUploadedFile("统计.csv", b"a,b\n1,2\n"))
    evidence = Evidence.objects.get(pk=evidence.pk)
    assert (evidence.name, evidence.size, evidence.content_type, evidence.uploaded_by) == ("统计.csv", 8, "text/csv", reporter)
    [added] = records(evidence)
    assert (added.action, added.actor, added.before, added.after) == (
        "create", reporter, None, {"report": report.pk, "name": "统计.csv", "size": 8})
    evidence_pk = evidence.pk
    services.remove_evidence(reporter, evidence)
    assert not Evidence.objects.filter(pk=evidence_pk).exists()
    [removed] = AuditRecord.objects.filter(content_type__model="evidence", object_id=str(evidence_pk), action="delete")
    assert (removed.actor, removed.before, removed.after) == (reporter, {"report": report.pk, "name": "统计.csv", "size": 8}, None)
    kept = services.add_evidence(reporter, report, SimpleUploadedFile("统计.csv", b"a,b\n1,2\n"))
    services.submit_report(reporter, report)
    with pytest.raises(ValidationError) as refused:
        services.remove_evidence(reporter, Evidence.objects.get(pk=kept.pk))
    assert refusal(refused.value) == ["Evidence of a submitted or approved report stays."]
    assert Evidence.objects.filter(pk=kept.pk).exists()
    with pytest.raises(ValidationError) as refused:
        services.add_evidence(reporter, report, SimpleUploadedFile("再.csv", b"a\n"))
    assert refusal(refused.value) == ["Evidence can only be added while the report is a draft or returned."]


def test_an_evidence_file_is_stored_in_its_reports_folder_under_its_own_name_until_removed(world, small):
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", dict(DATA))
    evidence = Evidence.objects.get(pk=services.add_evidence(reporter, report, SimpleUploadedFile("统计.csv", b"a,b\n1,2\n")).pk)
    path = evidence.file.name
    folder, stored = posixpath.split(path)
    # (the storage adds a suffix to the name when a file of that name is already in the folder)
    assert folder == f"evidence/{small.plan.pk}/{report.pk}" and re.fullmatch(r"统计(_\w{7})?\.csv", stored)
    with default_storage.open(path, "rb") as f:
        assert f.read() == b"a,b\n1,2\n"
    services.remove_evidence(reporter, evidence)
    assert not default_storage.exists(path)


def test_evidence_is_added_only_by_who_may_change_the_report(world, small):
    report = services.save_report(world.user("beijing_reporter"), small.beijing, world.unit("110000"), "2024-Q1", dict(DATA))
    with pytest.raises((PermissionDenied, Http404)):
        services.add_evidence(world.user("shanghai_reporter"), report, SimpleUploadedFile("统计.csv", b"a\n"))
    evidence = services.add_evidence(world.user("beijing_reporter"), report, SimpleUploadedFile("统计.csv", b"a\n"))
    with pytest.raises((PermissionDenied, Http404)):
        services.remove_evidence(world.user("shanghai_reporter"), evidence)
    assert Evidence.objects.filter(pk=evidence.pk).exists()


# Item import ------------------------------------------------------------------------------------

def _row(code, parent="", **values):
    return {"code": code, "parent_code": parent, "kind": "measure", "title": "事项", "lead_unit": "110000",
            "due_date": "2025-06-30"} | values


def _import_errors(world, small, rows, actor="ministry_planner"):
    before = (PlanItem.objects.count(), AuditRecord.objects.count())
    with pytest.raises(TableError) as refused:
        services.import_items(world.user(actor), small.plan, rows, "items.csv")
    assert (PlanItem.objects.count(), AuditRecord.objects.count()) == before
    return [(e.row, e.field, e.message) for e in refused.value.errors]


def test_each_bad_value_of_an_import_row_is_named(world, small):
    rows = [(2, _row("", title="", kind="任务", lead_unit="", due_date="2025/06/30", weight="-1")),
            (3, _row("B", lead_unit="999999", co_owners="110101；888888,888887", start_date="明天", weight="x"))]
    assert _import_errors(world, small, rows) == [
        (2, "code", "required"),
        (2, "due_date", "not a date (use YYYY-MM-DD): '2025/06/30'"),
        (2, "kind", "unknown kind '任务'; use one of goal, main_line, direction, key_task, measure, milestone, requirement"),
        (2, "lead_unit", "required"),
        (2, "title", "required"),
        (2, "weight", "not a non-negative number: '-1'"),
        (3, "co_owners", "unknown unit 888888, 888887"),
        (3, "lead_unit", "unknown unit 999999"),
        (3, "start_date", "not a date (use YYYY-MM-DD): '明天'"),
        (3, "weight", "not a non-negative number: 'x'"),
    ]


def test_an_import_weight_may_be_zero_or_a_fraction_but_not_below_zero(world, small):
    rows = [(2, _row("A", weight="0")), (3, _row("B", weight="0.5")), (4, _row("C", weight="-0.01"))]
    assert _import_errors(world, small, rows) == [(4, "weight", "not a non-negative number: '-0.01'")]
    assert services.import_items(world.user("ministry_planner"), small.plan, rows[:2], "items.csv") == {"created": 2, "updated": 0}
    assert dict(PlanItem.objects.filter(plan=small.plan, code__in=["A", "B"]).values_list("code", "weight")) == {
        "A": Decimal(0), "B": Decimal("0.5")}


def test_a_row_refused_for_its_values_is_not_checked_against_the_other_rows(world, small):
    # row 3 repeats row 2's code and names an unknown parent, but its own bad date is all it is told
    rows = [(2, _row("A")), (3, _row("A", "NOPE", due_date="明天"))]
    assert _import_errors(world, small, rows) == [(3, "due_date", "not a date (use YYYY-MM-DD): '明天'")]


def test_an_import_names_duplicate_codes_and_unknown_parents(world, small):
    rows = [(2, _row("A")), (3, _row("A")), (4, _row("C", "NOPE"))]
    assert _import_errors(world, small, rows) == [
        (3, "code", "duplicate code A (first in row 2)"),
        (4, "parent_code", "unknown item NOPE"),
    ]


def test_an_import_refuses_units_out_of_the_importers_scope_and_hidden_parents(world, small):
    rows = [(2, _row("A", lead_unit="310000")), (3, _row("B", small.shanghai.code, lead_unit="110000"))]
    assert _import_errors(world, small, rows, actor="beijing_planner") == [
        (2, "lead_unit", "unknown unit 310000"),
        (3, "parent_code", f"unknown item {small.shanghai.code}"),
    ]


def test_an_import_into_an_archived_plan_names_the_refusal_on_each_row(world, small):
    services.set_plan_status(world.user("ministry_planner"), small.plan, Plan.Status.ARCHIVED)
    rows = [(2, _row("A")), (3, _row(small.shanghai.code, small.measure.code, lead_unit="310000"))]
    assert _import_errors(world, small, rows) == [(2, "", "An archived plan cannot be changed."),
                                                  (3, "", "An archived plan cannot be changed.")]


def test_an_import_names_every_unknown_parent(world, small):
    rows = [(2, _row("A", "NOPE")), (3, _row("B", "NADA"))]
    assert _import_errors(world, small, rows) == [(2, "parent_code", "unknown item NOPE"), (3, "parent_code", "unknown item NADA")]


@pytest.mark.timeout(60)
def test_an_import_row_leading_into_a_cycle_of_other_rows_is_refused_and_never_hangs(world, small):
    rows = [(2, _row("A", "B")), (3, _row("B", "C")), (4, _row("C", "B"))]
    errors = _import_errors(world, small, rows)
    assert [(row, field) for row, field, _message in errors] == [(2, "parent_code"), (3, "parent_code"), (4, "parent_code")]
    assert errors[1:] == [(3, "parent_code", "cycle: B would end up below itself"),
                          (4, "parent_code", "cycle: C would end up below itself")]


def test_an_import_reads_kinds_by_value_or_label_weights_and_dates(world, small):
    planner = world.user("ministry_planner")
    rows = [(2, _row("A", kind="Key task", weight="2.5", start_date="2024-02-01T00:00", co_owners="110101, 110102")),
            (3, _row("A.1", "A", kind="", title="子项", description="说明", deliverables="成果")),
            (4, _row(small.shanghai.code, small.measure.code, title="上海：改", lead_unit="310000"))]
    assert services.import_items(planner, small.plan, rows, "items.csv") == {"created": 2, "updated": 1}
    a = PlanItem.objects.get(plan=small.plan, code="A")
    assert (a.kind, a.weight, a.start_date, a.due_date, a.parent_id, a.assigned_by) == (
        "key_task", Decimal("2.5"), date(2024, 2, 1), date(2025, 6, 30), None, world.unit("MOE"))
    assert set(a.co_owners.values_list("code", flat=True)) == {"110101", "110102"}
    child = PlanItem.objects.get(plan=small.plan, code="A.1")
    assert (child.kind, child.parent_id, child.weight, child.description, child.deliverables) == (
        "measure", a.pk, Decimal(1), "说明", "成果")
    assert PlanItem.objects.get(pk=small.shanghai.pk).title == "上海：改"


def test_an_import_moves_an_item_to_the_parent_its_row_names(world, small):
    planner = world.user("ministry_planner")
    row = _row(small.shanghai.code, small.task.code, title="上海：推进学前教育普及普惠", lead_unit="310000",
               due_date="2025-12-31", start_date="2024-01-01")
    assert services.import_items(planner, small.plan, [(2, row)], "items.csv") == {"created": 0, "updated": 1}
    assert PlanItem.objects.get(pk=small.shanghai.pk).parent_id == small.task.pk


def test_an_import_without_the_optional_columns_keeps_them_on_updated_items_and_defaults_new_ones(world, small):
    planner = world.user("ministry_planner")
    services.update_item(planner, small.shanghai, {"co_owners": [world.unit("310101")], "weight": Decimal(3),
                                                   "description": "说明", "deliverables": "成果"})
    rows = read_table(f"code,parent_code,kind,title,lead_unit,due_date\n"
                      f"{small.shanghai.code},{small.measure.code},measure,上海：改,310000,2025-10-31\n"
                      f"A,,key_task,新任务,MOE-JCJYS,2025-12-31\n".encode(), "items.csv",
                      services.ITEM_COLUMNS, services.ITEM_OPTIONAL)
    assert services.import_items(planner, small.plan, rows, "items.csv") == {"created": 1, "updated": 1}
    shanghai = PlanItem.objects.get(pk=small.shanghai.pk)
    assert (shanghai.title, shanghai.due_date, shanghai.start_date, shanghai.weight, shanghai.description,
            shanghai.deliverables) == ("上海：改", date(2025, 10, 31), date(2024, 1, 1), Decimal(3), "说明", "成果")
    assert list(shanghai.co_owners.values_list("code", flat=True)) == ["310101"]
    new = PlanItem.objects.get(plan=small.plan, code="A")
    assert (new.kind, new.start_date, new.weight, new.description, new.deliverables, list(new.co_owners.all())) == (
        "key_task", None, Decimal(1), "", "", [])


def test_an_import_with_empty_optional_cells_clears_them(world, small):
    planner = world.user("ministry_planner")
    services.update_item(planner, small.shanghai, {"co_owners": [world.unit("310101")], "weight": Decimal(3),
                                                   "description": "说明", "deliverables": "成果"})
    row = _row(small.shanghai.code, small.measure.code, title="上海：改", lead_unit="310000", co_owners="",
               start_date="", weight="", description="", deliverables="")
    assert services.import_items(planner, small.plan, [(2, row)], "items.csv") == {"created": 0, "updated": 1}
    shanghai = PlanItem.objects.get(pk=small.shanghai.pk)
    assert (shanghai.start_date, shanghai.weight, shanghai.description, shanghai.deliverables) == (None, Decimal(1), "", "")
    assert not shanghai.co_owners.exists()


def test_an_import_that_keeps_an_items_parent_leaves_it_in_its_place(world, small):
    planner = world.user("ministry_planner")
    services.add_item(planner, small.plan, title="第二项", kind="key_task", lead_unit=world.unit("MOE-JCJYS"),
                      due_date=date(2025, 12, 31))  # after the task at the top level
    task, beijing = PlanItem.objects.get(pk=small.task.pk), PlanItem.objects.get(pk=small.beijing.pk)
    rows = [(2, _row(task.code, "", kind="key_task", title="改一", lead_unit="MOE-JCJYS", due_date="2025-12-31")),
            (3, _row(beijing.code, small.measure.code, title="改二", lead_unit="110000", due_date="2025-12-31"))]
    assert services.import_items(planner, small.plan, rows, "items.csv") == {"created": 0, "updated": 2}
    assert dict(PlanItem.objects.filter(pk__in=[task.pk, beijing.pk]).values_list("title", "position")) == {"改一": 0, "改二": 0}
    assert not AuditRecord.objects.filter(verb="move").exists()


def test_a_failing_import_row_undoes_the_rows_written_before_it(world, small):
    planner = world.user("ministry_planner")
    rows = [(2, _row("A")), (3, _row(small.shanghai.code, small.task.code, title="上海：改", lead_unit="310000",
                                     due_date="2025-12-31")),
            (4, _row("B", due_date="2030-01-01"))]
    before = PlanItem.objects.get(pk=small.shanghai.pk)
    with pytest.raises(TableError) as refused:
        services.import_items(planner, small.plan, rows, "items.csv")
    assert [(e.row, e.field, e.message) for e in refused.value.errors] == [
        (4, "due_date", "2030-01-01 is outside the plan's horizon (2024-01-01 to 2025-12-31).")]
    assert not PlanItem.objects.filter(plan=small.plan, code__in=["A", "B"]).exists()
    after = PlanItem.objects.get(pk=small.shanghai.pk)
    assert (after.title, after.parent_id, after.position) == (before.title, before.parent_id, before.position)
    assert PlanItem.objects.get(pk=small.task.pk).child_count == 1
    assert PlanItem.objects.get(pk=small.measure.pk).child_count == 2
    undone = AuditRecord.objects.filter(verb="import undone")
    assert {r.action for r in undone} == {"delete", "update"} and all(r.actor == planner for r in undone)


def test_a_failing_import_undoes_a_new_sub_item_and_a_move_from_the_top_level(world, small):
    planner = world.user("ministry_planner")

    def state():
        return sorted(PlanItem.objects.filter(plan=small.plan).values_list(
            "code", "title", "parent_id", "position", "path", "child_count", "start_date", "due_date"))

    services.update_item(planner, small.shanghai, {"co_owners": [world.unit("310101")]})
    before = state()
    task = PlanItem.objects.get(pk=small.task.pk)
    rows = [(2, _row("A", kind="key_task")),
            # an item changed, its co-owner too
            (6, _row(small.shanghai.code, small.measure.code, title="上海：改", lead_unit="310000", due_date="2025-12-31",
                     co_owners="120000")),
            # the top-level task moved below the new item A
            (3, _row(task.code, "A", kind="key_task", title="改", lead_unit="MOE-JCJYS", due_date="2025-12-31")),
            (4, _row("B", due_date="2030-01-01")),
            # a new item below an item already in the plan
            (5, _row("C", small.measure.code, lead_unit="310000"))]
    with pytest.raises(TableError) as refused:
        services.import_items(planner, small.plan, rows, "items.csv")
    assert [(e.row, e.field, e.message) for e in refused.value.errors] == [
        (4, "due_date", "2030-01-01 is outside the plan's horizon (2024-01-01 to 2025-12-31).")]
    assert state() == before
    assert PlanItem.objects.get(pk=small.measure.pk).child_count == 2
    assert list(PlanItem.objects.get(pk=small.shanghai.pk).co_owners.values_list("code", flat=True)) == ["310101"]
    # the undoing is on the record: what each item was before it was put back or deleted
    undone = {(r.object_id, r.action): r for r in AuditRecord.objects.filter(verb="import undone")}
    [created_a] = [r for (_pk, action), r in undone.items() if action == "delete" and r.before["code"] == "A"]
    assert (created_a.actor, created_a.before["title"], created_a.after) == (planner, "事项", None)
    moved_back = undone[(str(task.pk), "update")]
    assert (moved_back.before["title"], moved_back.after["title"]) == ("改", task.title)


def test_a_failing_import_still_undoes_the_rows_before_an_item_deleted_meanwhile(world, small, monkeypatch):
    planner = world.user("ministry_planner")
    real_update_item = services.update_item

    def update_item(actor, item, data, *args, **kwargs):  # someone deletes A while the import writes row 4
        if item.pk == small.beijing.pk:
            PlanItem.objects.filter(plan=small.plan, code="A").delete()
        return real_update_item(actor, item, data, *args, **kwargs)

    monkeypatch.setattr(services, "update_item", update_item)
    titles = dict(PlanItem.objects.filter(plan=small.plan).values_list("pk", "title"))
    rows = [(2, _row(small.shanghai.code, small.measure.code, title="上海：改", lead_unit="310000", due_date="2025-12-31")),
            (3, _row("A")),
            (4, _row(small.beijing.code, small.measure.code, title="北京：改", lead_unit="110000", due_date="2025-12-31")),
            (5, _row("B", due_date="2030-01-01"))]
    with pytest.raises(TableError) as refused:
        services.import_items(planner, small.plan, rows, "items.csv")
    assert [(e.row, e.field) for e in refused.value.errors] == [(5, "due_date")]
    assert dict(PlanItem.objects.filter(plan=small.plan).values_list("pk", "title")) == titles


def test_an_import_row_refused_by_the_services_names_its_reason(world, small):
    rows = [(2, _row("A", lead_unit="310000"))]
    assert _import_errors(world, small, rows, actor="beijing_planner") == [(2, "lead_unit", "unknown unit 310000")]
    # 北京's planner may break 北京's item down, but not on its own in a file for the ministry's top level
    rows = [(2, _row("A", lead_unit="110102"))]
    assert _import_errors(world, small, rows, actor="beijing_planner") == [
        (2, "lead_unit", "your role does not allow 'change' here")]


def test_the_export_lists_the_visible_items_with_every_column(world, small):
    services.update_item(world.user("ministry_planner"), small.shanghai, {"co_owners": [world.unit("310101"), world.unit("120000")]})
    header, rows = services.export_item_rows(world.user("ministry_planner"), small.plan)
    assert header == ["code", "parent_code", "kind", "title", "lead_unit", "due_date", "co_owners", "start_date", "weight",
                      "description", "deliverables"]
    by_code = {r[0]: r for r in rows}
    assert by_code[small.shanghai.code] == [small.shanghai.code, small.measure.code, "measure", "上海：推进学前教育普及普惠",
                                            "310000", "2025-12-31", "120000;310101", "2024-01-01", "1.00", "", ""]
    assert by_code[small.task.code][1] == ""
    _h, seen = services.export_item_rows(world.user("shanghai_reporter"), small.plan)
    assert small.beijing.code not in {r[0] for r in seen}


# Notifications ----------------------------------------------------------------------------------

def test_marking_notifications_read_records_each_with_the_time(world):
    user = world.user("beijing_reviewer")
    Notification.objects.filter(user=user).update(read_at=timezone.now())
    a = Notification.objects.create(user=user, kind="due_soon", title="一")
    b = Notification.objects.create(user=user, kind="due_soon", title="二")
    assert services.mark_notifications_read(user, [a.pk]) == 1
    a.refresh_from_db()
    [read] = records(a)
    assert (read.action, read.verb, read.actor, read.before, read.after) == (
        "update", "read", user, {"read_at": None}, {"read_at": a.read_at.isoformat()})
    assert Notification.objects.get(pk=b.pk).read_at is None
    assert services.mark_notifications_read(user) == 1
    assert services.mark_notifications_read(user) == 0


def test_a_reviewer_of_the_assigning_unit_who_cannot_see_the_report_does_not_find_it(world, small):
    from luoshi.accounts import services as account_services
    from luoshi.orgs import services as org_services

    admin = world.user("admin")
    # a reviewer at 北京 itself, not covering the districts: 东城区's report is out of view
    narrow = account_services.create_user(admin, username="narrow_reviewer", password=None, display_name="只审本级")
    org_services.add_membership(admin, user=narrow, unit=world.unit("110000"), role="reviewer", covers_below=False)
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.dongcheng, world.unit("110101"), "2024-Q1", dict(DATA))
    services.submit_report(reporter, report)
    for decide in (lambda: services.approve_report(narrow, report), lambda: services.return_report(narrow, report, "退回")):
        with pytest.raises(Http404):
            decide()
    assert ProgressReport.objects.get(pk=report.pk).state == "submitted"
    services.approve_report(world.user("beijing_reviewer"), report)  # who covers the district may
    assert ProgressReport.objects.get(pk=report.pk).state == "approved"


# Drafting a plan from a policy outline ------------------------------------------------------------

OUTLINE = {
    "title": "关于推进学前教育普及普惠的通知", "doc_number": "教基〔2024〕1号", "date": "2024年3月1日", "source": "教育部",
    "clean_text": "通知正文", "removed": [{"line": 3, "reason": "广告"}], "flags": [{"line": 5, "reason": "存疑"}],
    "items": [
        {"marker": "", "title": "", "text": "  总体要求说明  ", "children": [
            {"marker": "（一）", "title": "子任务", "text": "", "children": []}]},
        {"marker": "", "title": "", "text": "", "children": [  # a node without a headline: its children move up
            {"marker": "一、", "title": "任务一", "text": "任务一正文", "children": [
                {"marker": "1.", "title": "举措一", "text": "", "children": []},
                {"marker": "", "title": "", "text": "说明段", "children": []}]}]},
        {"marker": "二、", "title": "  任务二  ", "text": "", "children": []},
        {"marker": "三、", "title": "长" * 600, "text": "", "children": [
            {"marker": "", "title": "", "text": ""},  # no headline and no children at all
            {"marker": "1.", "title": "末项"}]},  # no children key
    ],
}


def test_a_plan_is_drafted_from_an_outline_with_its_tree_kinds_and_source(world):
    planner = world.user("ministry_planner")
    plan = services.create_plan_from_outline(planner, title="学前教育规划", issuer=world.unit("MOE"), parsed=OUTLINE,
                                             filename="通" * 300 + ".txt", start_year=2024, end_year=2025)
    plan = Plan.objects.get(pk=plan.pk)
    assert (plan.title, plan.issuer, plan.start_year, plan.end_year, plan.status, plan.description) == (
        "学前教育规划", world.unit("MOE"), 2024, 2025, "draft", "关于推进学前教育普及普惠的通知")
    source = plan.source
    assert (source.unit, source.filename, source.title, source.doc_number, source.doc_date, source.source,
            source.clean_text, source.removed, source.flags) == (
        world.unit("MOE"), ("通" * 300 + ".txt")[:255], "关于推进学前教育普及普惠的通知", "教基〔2024〕1号", "2024年3月1日",
        "教育部", "通知正文", [{"line": 3, "reason": "广告"}], [{"line": 5, "reason": "存疑"}])
    items = {i.code: i for i in PlanItem.objects.filter(plan=plan)}
    rows = {code: (i.kind, i.title, i.description, i.position, i.depth, i.child_count,
                   items[code.rsplit(".", 1)[0]].pk if "." in code else None) for code, i in items.items()}
    assert rows == {
        "1": ("goal", "总体要求说明", "总体要求说明", 0, 0, 1, None),
        "1.1": ("key_task", "子任务", "", 0, 1, 0, items["1"].pk),
        "2": ("key_task", "任务一", "任务一正文", 1, 0, 2, None),
        "2.1": ("measure", "举措一", "", 0, 1, 0, items["2"].pk),
        "2.2": ("goal", "说明段", "说明段", 1, 1, 0, items["2"].pk),
        "3": ("key_task", "任务二", "", 2, 0, 0, None),
        "4": ("key_task", "长" * 500, "", 3, 0, 1, None),
        "4.1": ("measure", "末项", "", 0, 1, 0, items["4"].pk),
    }
    for item in items.values():
        assert item.path == (item.parent.path if item.parent_id else "/") + f"{item.pk}/"
        assert (item.lead_unit, item.assigned_by) == (world.unit("MOE"), world.unit("MOE"))
    created = AuditRecord.objects.filter(content_type__model="planitem", action="create")
    assert sorted(int(r.object_id) for r in created) == sorted(i.pk for i in items.values())
    assert {(r.actor, r.before, r.after["title"]) for r in created} == {(planner, None, i.title) for i in items.values()}
    from luoshi.library.models import PolicyDocument

    [policy] = PolicyDocument.objects.filter(source_document=source)
    assert set(policy.plan_items.all()) == {items["1"], items["2"], items["3"], items["4"]}


def test_an_outline_plan_without_years_is_this_years_and_a_source_without_fields_is_empty(world, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2027, 5, 1))
    plan = services.create_plan_from_outline(world.user("ministry_planner"), title="无年份", issuer=world.unit("MOE"),
                                             parsed={"clean_text": "正文", "items": [{"marker": "一、", "title": "任务", "children": []}]})
    plan = Plan.objects.get(pk=plan.pk)
    assert (plan.start_year, plan.end_year, plan.description) == (2027, 2027, "")
    source = plan.source
    assert (source.filename, source.title, source.doc_number, source.doc_date, source.source, source.clean_text,
            source.removed, source.flags) == ("", "", "", "", "", "正文", [], [])
    [item] = PlanItem.objects.filter(plan=plan)
    assert (item.code, item.kind, item.title, item.description) == ("1", "key_task", "任务", "")
    plan = services.create_plan_from_outline(world.user("ministry_planner"), title="起年", issuer=world.unit("MOE"),
                                             parsed={"clean_text": "正文", "title": "题" * 2100, "items": []}, start_year=2026)
    assert Plan.objects.get(pk=plan.pk).description == "题" * 2000
    assert (Plan.objects.get(pk=plan.pk).start_year, Plan.objects.get(pk=plan.pk).end_year) == (2026, 2026)


def test_a_source_documents_fields_are_cut_to_their_columns(world):
    parsed = {"title": "题" * 600, "doc_number": "号" * 150, "date": "日" * 50, "source": "源" * 600, "clean_text": "文"}
    doc = services.save_source_document(world.user("ministry_planner"), world.unit("MOE"), parsed, "名" * 300)
    doc = type(doc).objects.get(pk=doc.pk)
    assert (doc.title, doc.doc_number, doc.doc_date, doc.source, doc.filename, doc.clean_text) == (
        "题" * 500, "号" * 100, "日" * 40, "源" * 500, "名" * 255, "文")
    [created] = records(doc)
    assert (created.action, created.actor) == ("create", world.user("ministry_planner"))
    with pytest.raises((PermissionDenied, Http404)):
        services.save_source_document(world.user("beijing_planner"), world.unit("MOE"), parsed)


def test_only_a_planner_of_the_issuer_drafts_a_plan_from_an_outline(world):
    before = (Plan.objects.count(), PlanItem.objects.count())
    with pytest.raises((PermissionDenied, Http404)):
        services.create_plan_from_outline(world.user("beijing_planner"), title="越权", issuer=world.unit("MOE"), parsed=OUTLINE)
    assert (Plan.objects.count(), PlanItem.objects.count()) == before


def test_a_source_document_without_text_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        services.save_source_document(world.user("ministry_planner"), world.unit("MOE"), {"title": "无正文"})
    assert refusal(refused.value) == {"clean_text": ["This field cannot be blank."]}


def test_a_published_plans_other_fields_change_alone_and_its_years_may_be_given_again_one_by_one(world, small):
    planner = world.user("ministry_planner")
    services.update_plan(planner, small.plan, {"description": "只改说明"})
    for same in ({"start_year": 2024}, {"end_year": 2025}, {"period": "quarterly"}):
        services.update_plan(planner, small.plan, same)
    plan = Plan.objects.get(pk=small.plan.pk)
    assert (plan.description, plan.start_year, plan.end_year, plan.period) == ("只改说明", 2024, 2025, "quarterly")


def test_a_plan_changed_meanwhile_is_a_conflict(world):
    from luoshi.core.services import EditConflict

    planner = world.user("ministry_planner")
    plan = draft_plan(world)
    stale = plan.version
    services.update_plan(planner, plan, {"title": "先改"}, expected_version=stale)
    with pytest.raises(EditConflict):
        services.update_plan(planner, plan, {"title": "后改"}, expected_version=stale)
    assert Plan.objects.get(pk=plan.pk).title == "先改"


@pytest.mark.parametrize(("change", "error"), [
    ({"start_date": date(2025, 7, 1)}, {"due_date": ["The due date is before the start date."]}),
    ({"due_date": date(2023, 12, 31)}, {"due_date": ["The due date is before the start date."]}),
    ({"due_date": date(2023, 12, 31), "start_date": None},
     {"due_date": ["2023-12-31 is outside the plan's horizon (2024-01-01 to 2025-12-31)."]}),
])
def test_an_item_update_checks_the_new_date_against_the_one_kept(world, small, change, error):
    # 东城区's item runs 2024-01-01 to 2025-06-30
    with pytest.raises(ValidationError) as refused:
        services.update_item(world.user("beijing_planner"), small.dongcheng, change)
    assert refusal(refused.value) == error
    item = PlanItem.objects.get(pk=small.dongcheng.pk)
    assert (item.start_date, item.due_date) == (date(2024, 1, 1), date(2025, 6, 30))
    services.update_item(world.user("beijing_planner"), small.dongcheng, {"start_date": date(2025, 6, 30)})
    assert PlanItem.objects.get(pk=small.dongcheng.pk).start_date == date(2025, 6, 30)


def test_a_concurrent_first_report_conflicts_with_that_report_not_another(world, small, monkeypatch):
    from luoshi.core.services import EditConflict

    reporter, unit = world.user("beijing_reporter"), world.unit("110000")
    other = services.add_item(world.user("ministry_planner"), small.plan, parent=small.measure, title="北京：另一项",
                              lead_unit=unit)
    services.save_report(reporter, other, unit, "2024-Q1", dict(DATA))          # the unit's, another item
    services.save_report(reporter, small.beijing, unit, "2024-Q2", dict(DATA))  # the item's, another period
    target = services.save_report(reporter, small.beijing, unit, "2024-Q1", {"status": "on_track", "percent": Decimal(0), "achievements": "先"})
    monkeypatch.setattr(services, "_locked_report", lambda item, unit, period: None)  # not yet visible
    with pytest.raises(EditConflict) as conflict:
        services.save_report(reporter, small.beijing, unit, "2024-Q1", {"achievements": "后"}, expected_version=0)
    assert conflict.value.obj.pk == target.pk
    assert conflict.value.changes == [("status", "", "on_track"), ("percent", "", Decimal("0.00")), ("achievements", "", "先")]


def test_an_import_row_below_a_row_that_failed_names_its_parent(world, small):
    # B (row 4) is written after A.1, below C (row 5), and fails for its own date
    rows = [(2, _row("A", due_date="2030-01-01")), (3, _row("A.1", "A")), (4, _row("B", "C", due_date="2030-01-02")),
            (5, _row("C"))]
    before = PlanItem.objects.count()
    with pytest.raises(TableError) as refused:
        services.import_items(world.user("ministry_planner"), small.plan, rows, "items.csv")
    assert PlanItem.objects.count() == before  # C, written, is undone
    assert [(e.row, e.field, e.message) for e in refused.value.errors] == [
        (2, "due_date", "2030-01-01 is outside the plan's horizon (2024-01-01 to 2025-12-31)."),
        (3, "parent_code", "the parent row A could not be imported"),
        (4, "due_date", "2030-01-02 is outside the plan's horizon (2024-01-01 to 2025-12-31)."),
    ]


# Self-review: who wrote, edited or submitted a report in any version does not review it ----------

SELF_REVIEW = "You cannot review a report you wrote, edited or submitted yourself, in this or an earlier version."


@pytest.fixture
def both(world):
    """Reports for 北京 and below, and reviews for 北京 (which assigned 东城区 its part)."""
    from luoshi.accounts import services as account_services
    from luoshi.orgs import services as org_services

    admin = world.user("admin")
    user = account_services.create_user(admin, username="writes_and_reviews", password=None, display_name="既写又审")
    org_services.add_membership(admin, user=user, unit=world.unit("110000"), role="reporter")
    org_services.add_membership(admin, user=user, unit=world.unit("110000"), role="reviewer")
    return user


def _dongcheng_report(world, small, author, period="2024-Q1"):
    return services.save_report(author, small.dongcheng, world.unit("110101"), period, dict(DATA))


def _refused_review(both, report):
    for decide in (lambda: services.approve_report(both, report), lambda: services.return_report(both, report, "退回")):
        with pytest.raises(PermissionDenied) as refused:
            decide()
        assert str(refused.value) == SELF_REVIEW
    assert ProgressReport.objects.get(pk=report.pk).state == "submitted"


def test_who_only_added_evidence_does_not_review(world, small, both):
    reporter = world.user("beijing_reporter")
    report = _dongcheng_report(world, small, reporter)
    services.add_evidence(both, report, SimpleUploadedFile("统计.csv", b"a\n"))
    services.submit_report(reporter, report)
    _refused_review(both, report)
    services.approve_report(world.user("beijing_reviewer"), report)


def test_who_only_created_the_report_does_not_review(world, small, both):
    reporter = world.user("beijing_reporter")
    report = _dongcheng_report(world, small, both)
    services.save_report(reporter, small.dongcheng, world.unit("110101"), "2024-Q1", {"percent": Decimal(45)})
    services.submit_report(reporter, report)
    _refused_review(both, report)


def test_who_submitted_an_earlier_version_does_not_review(world, small, both):
    reporter = world.user("beijing_reporter")
    report = _dongcheng_report(world, small, reporter)
    services.submit_report(both, report)
    services.return_report(world.user("beijing_reviewer"), report, "请补充")
    services.submit_report(reporter, report)
    assert ProgressReport.objects.get(pk=report.pk).submitted_by == reporter
    _refused_review(both, report)


def test_a_reviewers_own_other_records_do_not_count_as_writing_the_report(world, small, both):
    reporter = world.user("beijing_reporter")
    services.save_report(both, small.dongcheng, world.unit("110101"), "2024-Q2", dict(DATA))  # another report
    report = _dongcheng_report(world, small, reporter)
    services.submit_report(reporter, report)
    # a record of the reviewer's on another kind of object with the report's number
    Notification.objects.filter(pk=report.pk).delete()
    note = Notification.objects.create(pk=report.pk, user=both, kind="due_soon", title="提醒")
    services.mark_notifications_read(both, [note.pk])
    services.approve_report(both, report)
    assert ProgressReport.objects.get(pk=report.pk).state == "approved"


def test_an_approval_names_its_reviewer_time_and_an_empty_comment(world, small):
    reporter, reviewer = world.user("beijing_reporter"), world.user("ministry_reviewer")
    report = services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", dict(DATA))
    services.submit_report(reporter, report)
    before = timezone.now()
    services.approve_report(reviewer, report)
    report = ProgressReport.objects.get(pk=report.pk)
    assert (report.state, report.reviewed_by, report.review_comment) == ("approved", reviewer, "")
    assert before <= report.reviewed_at <= timezone.now()
    assert report.submitted_by == reporter and report.submitted_at <= before


def test_a_return_names_its_reviewer_and_time(world, small):
    reporter, reviewer = world.user("beijing_reporter"), world.user("ministry_reviewer")
    report = services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", dict(DATA))
    services.submit_report(reporter, report)
    before = timezone.now()
    services.return_report(reviewer, report, "补充")
    report = ProgressReport.objects.get(pk=report.pk)
    assert (report.state, report.reviewed_by, report.review_comment) == ("returned", reviewer, "补充")
    assert before <= report.reviewed_at <= timezone.now()


def test_a_district_planner_does_not_break_down_its_provinces_item(world, small):
    from luoshi.accounts import services as account_services
    from luoshi.orgs import services as org_services

    admin = world.user("admin")
    district = account_services.create_user(admin, username="dongcheng_planner", password=None, display_name="东城规划员")
    org_services.add_membership(admin, user=district, unit=world.unit("110101"), role="planner")
    # it may assign work to 东城区 and sees 北京's item, but only 北京 breaks its own item down
    with pytest.raises(PermissionDenied) as refused:
        services.add_item(district, small.plan, parent=small.beijing, title="东城区自拆", lead_unit=world.unit("110101"))
    assert str(refused.value) == "You may not break down this item."
    assert not PlanItem.objects.filter(title="东城区自拆").exists()
