"""The daily supervision run (``reminders.daily``, run by the worker each morning), issue 13.

It first sets every published plan's lights for the day it runs for (a light depends on the
date: grey before the start, red once overdue), then sends the reminders with the deployment's
settings (``LUOSHI_REMIND_DAYS_BEFORE``, ``LUOSHI_REPORT_GRACE_DAYS``,
``LUOSHI_ESCALATE_AFTER_DAYS``). The small plan (``conftest.build_small_plan``) runs 2024–2025;
东城区's item is due 2025-06-30.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.plans import reminders
from luoshi.plans.models import Notification, PlanItem

DONGCHENG_DUE = date(2025, 6, 30)


def lights(small) -> dict[str, str]:
    names = ("task", "measure", "beijing", "shanghai", "dongcheng")
    stored = dict(PlanItem.objects.filter(plan=small.plan).values_list("pk", "light"))
    return {name: stored[getattr(small, name).pk] for name in names}


def test_the_daily_run_sets_the_lights_for_the_day_it_runs_for(world, small):
    reminders.daily(date(2023, 6, 1))  # before the plan starts: nothing is expected yet
    assert set(lights(small).values()) == {"grey"}
    reminders.daily(date(2026, 1, 10))  # after every due date, nothing reported: all overdue
    assert set(lights(small).values()) == {"red"}
    reminders.daily(date(2024, 1, 2))  # just started, nothing expected yet: on track
    assert set(lights(small).values()) == {"green"}


def test_the_daily_run_sends_the_reminders_of_its_day(world, small):
    sent = reminders.daily(DONGCHENG_DUE)
    assert sent["due_today"] == 1
    assert set(Notification.objects.filter(kind="due_today").values_list("item_id", flat=True)) == {small.dongcheng.pk}


def test_the_reminder_settings_are_the_deployments(settings):
    settings.LUOSHI_REMIND_DAYS_BEFORE = 3
    settings.LUOSHI_REPORT_GRACE_DAYS = 5
    settings.LUOSHI_ESCALATE_AFTER_DAYS = 20
    assert reminders.ReminderSettings.from_settings() == reminders.ReminderSettings(
        days_before=3, grace_days=5, escalate_after=20)


def test_the_daily_run_reminds_as_many_days_ahead_as_the_deployment_says(world, small, settings):
    settings.LUOSHI_REMIND_DAYS_BEFORE = 3
    assert reminders.daily(DONGCHENG_DUE - timedelta(days=4))["due_soon"] == 0
    assert reminders.daily(DONGCHENG_DUE - timedelta(days=3))["due_soon"] == 1


def test_the_daily_run_escalates_after_the_deployments_days(world, small, settings):
    settings.LUOSHI_ESCALATE_AFTER_DAYS = 20
    reminders.daily(DONGCHENG_DUE + timedelta(days=19))
    assert not Notification.objects.filter(kind="escalation", item_id=small.dongcheng.pk).exists()
    reminders.daily(DONGCHENG_DUE + timedelta(days=20))
    assert Notification.objects.filter(kind="escalation", item_id=small.dongcheng.pk).exists()


def test_the_daily_run_waits_the_deployments_grace_days_for_a_missing_report(world, small, settings):
    settings.LUOSHI_REPORT_GRACE_DAYS = 3  # 2024-Q1 ends on 31 March
    reminders.daily(date(2024, 4, 3))
    assert not Notification.objects.filter(kind="missing_report", title__contains="2024-Q1").exists()
    reminders.daily(date(2024, 4, 4))
    assert Notification.objects.filter(kind="missing_report", title__contains="2024-Q1").exists()


UNIT_BY_ID = re.compile(r'FROM "orgs_orgunit" WHERE "orgs_orgunit"\."id" = ')


def test_the_run_reads_each_items_units_with_the_item(world, small):
    """An item's lead unit (named in every reminder) and assigning unit (escalation) come with the
    item from the one query of open items, not one query per item and unit."""
    with CaptureQueriesContext(connection) as queries:
        sent = reminders.send_reminders(DONGCHENG_DUE - timedelta(days=3), reminders.ReminderSettings())
        sent_later = reminders.send_reminders(DONGCHENG_DUE + timedelta(days=30), reminders.ReminderSettings())
    assert sent["due_soon"] == 1 and sent_later["escalation"] == 1
    lone_units = [q["sql"] for q in queries.captured_queries if UNIT_BY_ID.search(q["sql"])]
    assert lone_units == []


def test_the_run_counts_every_reminder_it_sends(world, small):
    """The counts the worker logs: one per item reminded. Four items are due on 2025-12-31 (the
    key task, the measure, 北京's and 上海's items); 东城区's was due 2025-06-30; 上海's item is the
    only leaf running in 2025-Q3 and 2025-Q4 (东城区's ended with Q2)."""
    config = reminders.ReminderSettings()
    assert reminders.send_reminders(date(2025, 12, 28), config) == {
        "due_soon": 4, "due_today": 0, "escalation": 1, "missing_report": 1}
    assert reminders.send_reminders(date(2025, 12, 31), config) == {
        "due_soon": 0, "due_today": 4, "escalation": 0, "missing_report": 0}
    assert reminders.send_reminders(date(2026, 1, 14), config) == {
        "due_soon": 0, "due_today": 0, "escalation": 4, "missing_report": 1}
