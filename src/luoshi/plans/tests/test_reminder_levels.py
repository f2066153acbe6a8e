"""Supervision across levels and plans (``plans/reminders.py``), issue 13.

Escalation goes to the unit that *assigned* the overdue item, or, when the lead unit assigned
it itself, to the unit above the lead unit (the ministry, which has none above, hears of its own
items). Missing-report reminders are made per published plan, each with its own reporting
period, and one plan's reports, horizon or period never decide another plan's reminders.

The small plan (``conftest.build_small_plan``, quarterly, 2024–2025): its leaves are 东城区's
item (lead 110101, assigned by 北京, due 2025-06-30) and 上海's item (lead 310000, assigned by
教育部, due 2025-12-31); 东城区's item comes first in the plan's order.
"""

from __future__ import annotations

from datetime import date

from luoshi.plans import reminders, services
from luoshi.plans.models import Notification, Plan, PlanItem

CONFIG = reminders.ReminderSettings(days_before=7, grace_days=10, escalate_after=14)
MINISTRY_ABOVE = {"ministry_reviewer", "ministry_planner"}


def _to(kind: str, item: PlanItem) -> set[str]:
    return set(Notification.objects.filter(kind=kind, item_id=item.pk).values_list("user__username", flat=True))


def _titles(kind: str, item: PlanItem) -> set[str]:
    return set(Notification.objects.filter(kind=kind, item_id=item.pk).values_list("title", flat=True))


def _overdue_item(world, small, **fields) -> PlanItem:
    """A leaf under the ministry's measure, due 2024-12-31 (escalated from 2025-01-14)."""
    return services.add_item(world.user("ministry_planner"), small.plan, parent=small.measure, title="逾期事项",
                             start_date=date(2024, 1, 1), due_date=date(2024, 12, 31), **fields)


# Escalation: to the assigning unit, or to the unit above a lead unit that assigned itself --------

def test_a_district_item_the_ministry_assigned_escalates_to_the_ministry_not_to_beijing(world, small):
    item = _overdue_item(world, small, lead_unit=world.unit("110101"))
    assert item.assigned_by.code == "MOE"  # the ministry's measure broken down straight to 东城区
    reminders.send_reminders(date(2025, 1, 14), CONFIG)
    assert _to("escalation", item) == MINISTRY_ABOVE  # not 北京's reviewers and planners, above 东城区 but not its assigner


def test_an_item_beijing_assigned_itself_escalates_to_the_ministry_not_to_beijing(world, small):
    item = _overdue_item(world, small, lead_unit=world.unit("110000"))
    PlanItem.objects.filter(pk=item.pk).update(assigned_by=world.unit("110000"))  # as if 北京 had set it itself
    reminders.send_reminders(date(2025, 1, 14), CONFIG)
    assert _to("escalation", item) == MINISTRY_ABOVE  # 北京's own reviewers are not the level above


def test_an_item_the_ministry_leads_and_assigned_itself_escalates_to_its_own_reviewers_and_planners(world, small):
    item = services.add_item(world.user("ministry_planner"), small.plan, title="部本级事项", lead_unit=world.unit("MOE"),
                             start_date=date(2024, 1, 1), due_date=date(2024, 12, 31))
    assert item.assigned_by_id == item.lead_unit_id and item.lead_unit.parent is None  # no unit above the ministry
    reminders.send_reminders(date(2025, 1, 14), CONFIG)
    assert _to("escalation", item) == MINISTRY_ABOVE
    note = Notification.objects.get(kind="escalation", item_id=item.pk, user__username="ministry_reviewer")
    assert note.title == f"Overdue 14 days: {item} ({world.unit('MOE')})"


# Missing reports: each published plan on its own ------------------------------------------------

def test_a_report_of_the_first_leaf_does_not_silence_the_leaves_after_it(world, small):
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.dongcheng, world.unit("110101"), "2024-Q1",
                                  {"status": "on_track", "percent": 20})
    services.submit_report(reporter, report)
    sent = reminders.send_reminders(date(2024, 4, 11), CONFIG)
    assert not _to("missing_report", small.dongcheng)  # it reported
    assert _to("missing_report", small.shanghai) == {"shanghai_reporter", "ministry_reporter"}
    assert sent["missing_report"] == 1


def _monthly_plan(world) -> tuple[Plan, PlanItem]:
    planner = world.user("ministry_planner")
    plan = services.create_plan(planner, title="月报规划", issuer=world.unit("MOE"), start_year=2024, end_year=2025,
                                period=Plan.Period.MONTHLY)
    leaf = services.add_item(planner, plan, title="上海：月度落实", lead_unit=world.unit("310000"),
                             start_date=date(2024, 1, 1), due_date=date(2025, 12, 31))
    services.set_plan_status(planner, plan, Plan.Status.PUBLISHED)
    return plan, leaf


def test_each_plan_asks_for_its_own_period(world, small):
    _plan, monthly_leaf = _monthly_plan(world)
    reminders.send_reminders(date(2024, 4, 15), CONFIG)  # 10 grace days after both March and Q1
    assert _titles("missing_report", monthly_leaf) == {f"Report missing for 2024-M03: {monthly_leaf}"}
    assert _titles("missing_report", small.shanghai) == {f"Report missing for 2024-Q1: {small.shanghai}"}
    reminders.send_reminders(date(2024, 5, 11), CONFIG)  # April's turn; still Q1 for the quarterly plan
    assert _titles("missing_report", monthly_leaf) == {f"Report missing for 2024-M03: {monthly_leaf}",
                                                       f"Report missing for 2024-M04: {monthly_leaf}"}
    assert _titles("missing_report", small.shanghai) == {f"Report missing for 2024-Q1: {small.shanghai}"}


def test_a_plan_outside_its_horizon_does_not_stop_the_plans_after_it(world, small):
    later = services.create_plan(world.user("ministry_planner"), title="后续规划", issuer=world.unit("MOE"),
                                 start_year=2026, end_year=2027)
    services.add_item(world.user("ministry_planner"), later, title="上海：后续落实", lead_unit=world.unit("310000"),
                      start_date=date(2026, 1, 1), due_date=date(2027, 12, 31))
    services.set_plan_status(world.user("ministry_planner"), later, Plan.Status.PUBLISHED)
    first = Plan.objects.filter(status=Plan.Status.PUBLISHED).first()
    assert first.pk == later.pk  # it comes first (the newest plans first), and 2024-Q1 is before its horizon
    sent = reminders.send_reminders(date(2024, 4, 11), CONFIG)
    assert sent["missing_report"] == 2  # the small plan's two leaves
    assert _to("missing_report", small.shanghai) == {"shanghai_reporter", "ministry_reporter"}


def test_an_item_without_dates_is_asked_for_reports_only_within_the_plans_years(world, small):
    """The plan's years bound the periods asked for: an item without start and due dates would
    otherwise be asked for every quarter before and after the plan (2024–2025)."""
    undated = services.add_item(world.user("ministry_planner"), small.plan, parent=small.measure, title="无期限事项",
                                lead_unit=world.unit("310000"))
    assert undated.start_date is None and undated.due_date is None
    reminders.send_reminders(date(2024, 4, 10), CONFIG)  # 2023-Q4: before the plan's first year
    assert not _titles("missing_report", undated)
    reminders.send_reminders(date(2024, 4, 11), CONFIG)
    reminders.send_reminders(date(2026, 1, 11), CONFIG)
    reminders.send_reminders(date(2026, 4, 11), CONFIG)  # 2026-Q1: after its last year
    assert _titles("missing_report", undated) == {f"Report missing for 2024-Q1: {undated}",
                                                  f"Report missing for 2025-Q4: {undated}"}


def test_a_report_for_an_earlier_period_does_not_stand_in_for_the_next_one(world, small):
    reporter = world.user("shanghai_reporter")
    report = services.save_report(reporter, small.shanghai, world.unit("310000"), "2024-Q1", {"status": "on_track", "percent": 20})
    services.submit_report(reporter, report)
    reminders.send_reminders(date(2024, 4, 11), CONFIG)
    assert not _titles("missing_report", small.shanghai)  # Q1 is in
    reminders.send_reminders(date(2024, 7, 11), CONFIG)
    assert _titles("missing_report", small.shanghai) == {f"Report missing for 2024-Q2: {small.shanghai}"}
