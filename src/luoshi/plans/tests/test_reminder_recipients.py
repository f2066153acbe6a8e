"""Reminders (``plans/reminders.py``, ``plans/notify.py``), issue 13: who receives each one and who
does not, the first and last day of each window, grace days per period, and no reminders for
done work or for plans that are not published.

The small plan (``conftest.build_small_plan``, quarterly, 2024–2025): 东城区's item (lead 110101,
assigned by 北京, due 2025-06-30) and 上海's item (lead 310000, assigned by 教育部, due 2025-12-31)
are the leaves; 北京's item (lead 110000) has 东城区's below it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from luoshi.core.testing.world import USERNAMES
from luoshi.plans import notify, reminders, services
from luoshi.plans.models import Notification, Plan, PlanItem

CONFIG = reminders.ReminderSettings(days_before=7, grace_days=10, escalate_after=14)
DONGCHENG_DUE = date(2025, 6, 30)


def _to(kind: str, item: PlanItem, title_contains: str = "") -> set[str]:
    notes = Notification.objects.filter(kind=kind, item_id=item.pk, title__contains=title_contains)
    return set(notes.values_list("user__username", flat=True))


def _everyone() -> set[str]:
    return set(USERNAMES)


# Due soon and due today: the lead unit's reporters and planners ----------------------------------

LEAD_DONGCHENG = {"beijing_reporter", "beijing_planner", "ministry_reporter", "ministry_planner"}  # cover 东城区 from above


@pytest.mark.parametrize(("days_before_due", "kind"), [(7, "due_soon"), (1, "due_soon"), (0, "due_today")])
def test_due_reminders_go_to_the_lead_units_reporters_and_planners_only(world, small, days_before_due, kind):
    reminders.send_reminders(DONGCHENG_DUE - timedelta(days=days_before_due), CONFIG)
    receivers = _to(kind, small.dongcheng)
    assert receivers == LEAD_DONGCHENG
    # Not the reviewers, auditors, admins, another province, the superuser or someone without a role.
    assert not receivers & {"beijing_reviewer", "ministry_reviewer", "auditor", "beijing_auditor", "beijing_admin",
                            "ministry_admin", "shanghai_reporter", "shanghai_planner", "admin", "nobody"}


@pytest.mark.parametrize(("day", "due_soon", "due_today"), [
    (DONGCHENG_DUE - timedelta(days=8), False, False),   # the day before the window opens
    (DONGCHENG_DUE - timedelta(days=7), True, False),    # the window's first day
    (DONGCHENG_DUE - timedelta(days=1), True, False),    # its last day
    (DONGCHENG_DUE, False, True),                        # due today
    (DONGCHENG_DUE + timedelta(days=1), False, False),   # overdue: neither
])
def test_the_due_soon_window_and_the_due_day(world, small, day, due_soon, due_today):
    sent = reminders.send_reminders(day, CONFIG)
    assert bool(_to("due_soon", small.dongcheng)) is due_soon
    assert bool(_to("due_today", small.dongcheng)) is due_today
    assert sent["due_today"] == (1 if due_today else 0)  # 上海's item is due on another day


def test_a_deactivated_user_receives_nothing(world, small):
    get_user_model().objects.filter(username="beijing_reporter").update(is_active=False)
    reminders.send_reminders(DONGCHENG_DUE, CONFIG)
    assert _to("due_today", small.dongcheng) == LEAD_DONGCHENG - {"beijing_reporter"}


# Escalation: the unit that assigned the item (its reviewers and planners), after the set days -----

@pytest.mark.parametrize(("days_overdue", "escalated"), [(13, False), (14, True), (15, True)])
def test_escalation_starts_exactly_after_the_configured_days(world, small, days_overdue, escalated):
    reminders.send_reminders(DONGCHENG_DUE + timedelta(days=days_overdue), CONFIG)
    assert bool(_to("escalation", small.dongcheng)) is escalated


def test_escalation_goes_to_the_assigning_units_reviewers_and_planners(world, small):
    reminders.send_reminders(date(2026, 1, 14), CONFIG)  # 上海's item: due 2025-12-31, 14 days overdue
    # 东城区's item was assigned by 北京: 北京's reviewers and planners and those covering 北京 from 教育部.
    assert _to("escalation", small.dongcheng) == {"beijing_reviewer", "beijing_planner", "ministry_reviewer", "ministry_planner"}
    # 上海's item was assigned by 教育部: only the ministry's; 上海's own people are not the level above.
    assert _to("escalation", small.shanghai) == {"ministry_reviewer", "ministry_planner"}


def test_an_item_its_lead_unit_assigned_itself_escalates_to_that_units_parent(world, small):
    planner = world.user("beijing_planner")
    own = services.add_item(planner, small.plan, parent=small.dongcheng, title="东城区：幼儿园扩位", lead_unit=world.unit("110101"),
                            start_date=date(2024, 1, 1), due_date=date(2024, 12, 31))
    assert own.assigned_by.code == "110000"  # a structural sub-item: 北京 assigns it
    PlanItem.objects.filter(pk=own.pk).update(assigned_by=world.unit("110101"))  # as if 东城区 had set it itself
    reminders.send_reminders(date(2025, 1, 14), CONFIG)
    assert _to("escalation", own) == {"beijing_reviewer", "beijing_planner", "ministry_reviewer", "ministry_planner"}


# Missing reports: the lead unit's reporters, per period, after the grace days ---------------------

def test_missing_report_reminders_go_to_the_lead_units_reporters_only(world, small):
    reminders.send_reminders(date(2024, 4, 15), CONFIG)
    assert _to("missing_report", small.dongcheng) == {"beijing_reporter", "ministry_reporter"}
    assert _to("missing_report", small.shanghai) == {"shanghai_reporter", "ministry_reporter"}
    # Items with sub-items are reported on through their leaves: no reminder for them.
    for parent in (small.beijing, small.measure, small.task):
        assert not _to("missing_report", parent)


@pytest.mark.parametrize(("day", "period"), [
    (date(2024, 4, 10), None),       # Q1 ended 31 March; the 10 grace days are not over (and 2023-Q4 is before the plan)
    (date(2024, 4, 11), "2024-Q1"),  # the first day after the grace days
    (date(2024, 7, 10), "2024-Q1"),  # Q2's grace days: still Q1's turn (already sent)
    (date(2024, 7, 11), "2024-Q2"),
    (date(2025, 1, 11), "2024-Q4"),  # across the year
    (date(2026, 1, 11), "2025-Q4"),  # the plan's last period
    (date(2026, 4, 11), None),       # 2026-Q1 is after the plan's horizon
])
def test_missing_report_reminders_follow_the_grace_days_per_period(world, small, day, period):
    reminders.send_reminders(day, CONFIG)
    titles = set(Notification.objects.filter(kind="missing_report", item_id=small.shanghai.pk).values_list("title", flat=True))
    if period is None:
        assert titles == set()
    else:
        assert titles and all(period in title for title in titles), titles


def test_missing_report_reminders_per_period_only_for_items_running_in_it(world, small):
    reminders.send_reminders(date(2025, 10, 11), CONFIG)  # for 2025-Q3
    assert _to("missing_report", small.shanghai, "2025-Q3")          # due 2025-12-31: running
    assert not _to("missing_report", small.dongcheng)                # due 2025-06-30: over before Q3 began
    later = services.add_item(world.user("ministry_planner"), small.plan, parent=small.measure, title="下半年启动",
                              lead_unit=world.unit("310000"), start_date=date(2025, 10, 1), due_date=date(2025, 12, 31))
    reminders.send_reminders(date(2025, 10, 11), CONFIG)
    assert not _to("missing_report", later)                          # starts after Q3 ended
    reminders.send_reminders(date(2026, 1, 11), CONFIG)
    assert _to("missing_report", later, "2025-Q4")                   # running in Q4


@pytest.mark.parametrize(("state", "reminded"), [("draft", True), ("submitted", False), ("returned", True), ("approved", False)])
def test_a_submitted_or_approved_report_stops_the_missing_report_reminder(world, small, state, reminded):
    reporter, reviewer = world.user("shanghai_reporter"), world.user("ministry_reviewer")
    report = services.save_report(reporter, small.shanghai, world.unit("310000"), "2024-Q1", {"status": "on_track", "percent": 30})
    if state != "draft":
        services.submit_report(reporter, report)
    if state == "returned":
        services.return_report(reviewer, report, "请补充。")
    elif state == "approved":
        services.approve_report(reviewer, report)
    reminders.send_reminders(date(2024, 4, 11), CONFIG)
    assert bool(_to("missing_report", small.shanghai, "2024-Q1")) is reminded
    assert _to("missing_report", small.dongcheng, "2024-Q1")  # the other leaf is still reminded


def test_a_co_owners_report_does_not_stand_in_for_the_lead_units(world, small):
    services.update_item(world.user("ministry_planner"), small.shanghai, {"co_owners": [world.unit("110000")]})
    report = services.save_report(world.user("beijing_reporter"), small.shanghai, world.unit("110000"), "2024-Q1",
                                  {"status": "on_track", "percent": 30})
    services.submit_report(world.user("beijing_reporter"), report)
    reminders.send_reminders(date(2024, 4, 11), CONFIG)
    assert _to("missing_report", small.shanghai, "2024-Q1") == {"shanghai_reporter", "ministry_reporter"}


def test_each_missing_report_reminder_goes_out_once_per_period(world, small):
    first = reminders.send_reminders(date(2024, 4, 11), CONFIG)["missing_report"]
    assert first == 2  # the two leaves
    assert reminders.send_reminders(date(2024, 4, 12), CONFIG)["missing_report"] == 0
    assert reminders.send_reminders(date(2024, 7, 11), CONFIG)["missing_report"] == 2  # the next period
    per_user = Notification.objects.filter(kind="missing_report", user=world.user("shanghai_reporter"))
    assert sorted(per_user.values_list("title", flat=True)) == sorted(
        [f"Report missing for 2024-Q1: {small.shanghai}", f"Report missing for 2024-Q2: {small.shanghai}"])


# No reminders for done work, nor for plans that are not published -------------------------------

def test_done_items_get_no_reminder_of_any_kind(world, small):
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.dongcheng, world.unit("110101"), "2024-Q1", {"status": "done", "percent": Decimal(100)})
    services.submit_report(reporter, report)
    services.approve_report(world.user("beijing_reviewer"), report)
    assert PlanItem.objects.get(pk=small.dongcheng.pk).light == "done"
    for day in (date(2024, 7, 11), DONGCHENG_DUE - timedelta(days=3), DONGCHENG_DUE, DONGCHENG_DUE + timedelta(days=20)):
        reminders.send_reminders(day, CONFIG)
    assert not Notification.objects.filter(item_id=small.dongcheng.pk).exclude(kind__in=["submitted", "approved"]).exists()
    assert _to("missing_report", small.shanghai, "2024-Q2")  # the rest of the plan is still supervised


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_a_plan_that_is_not_published_gets_no_reminders(world, small, status):
    Plan.objects.filter(pk=small.plan.pk).update(status=status)
    for day in (date(2024, 4, 11), DONGCHENG_DUE, DONGCHENG_DUE + timedelta(days=20)):
        sent = reminders.send_reminders(day, CONFIG)
        assert sent == {"due_soon": 0, "due_today": 0, "escalation": 0, "missing_report": 0}
    assert not Notification.objects.filter(item__plan=small.plan).exists()


# Review notices ---------------------------------------------------------------------------------

def test_review_notices_go_to_the_assigning_units_reviewers_and_back_to_the_submitter(world, small):
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.dongcheng, world.unit("110101"), "2024-Q1", {"status": "on_track", "percent": 10})
    services.submit_report(reporter, report)
    assert _to("submitted", small.dongcheng) == {"beijing_reviewer", "ministry_reviewer"}
    services.return_report(world.user("beijing_reviewer"), report, "请补充。")
    assert _to("returned", small.dongcheng) == {"beijing_reporter"}  # the submitter, not every reporter


def test_a_review_notice_falls_back_to_the_units_reporters_when_the_submitter_left(world, small):
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.dongcheng, world.unit("110101"), "2024-Q1", {"status": "on_track", "percent": 10})
    services.submit_report(reporter, report)
    get_user_model().objects.filter(pk=reporter.pk).update(is_active=False)
    services.approve_report(world.user("beijing_reviewer"), report)
    assert _to("approved", small.dongcheng) == {"ministry_reporter"}  # the active reporters covering 东城区


def test_users_with_role_honours_covers_below(world):
    from luoshi.orgs.models import Membership

    assert set(notify.users_with_role(world.unit("110101"), "reporter").values_list("username", flat=True)) == {
        "beijing_reporter", "ministry_reporter"}
    Membership.objects.filter(user__username="beijing_reporter").update(covers_below=False)
    assert set(notify.users_with_role(world.unit("110101"), "reporter").values_list("username", flat=True)) == {"ministry_reporter"}
    assert "beijing_reporter" in set(notify.users_with_role(world.unit("110000"), "reporter").values_list("username", flat=True))
    assert _everyone() >= {"beijing_reporter", "ministry_reporter"}
