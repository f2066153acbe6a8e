"""Supervision: reminders go out once, survive an interrupted run, escalate to the unit above,
and run in the real background worker."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command

from luoshi.plans import notify, reminders, services
from luoshi.plans.models import Notification, PlanItem, ReminderLog

CONFIG = reminders.ReminderSettings(days_before=7, grace_days=10, escalate_after=14)


def _kinds(world, username):
    return sorted(Notification.objects.filter(user=world.user(username)).values_list("kind", flat=True))


def test_it_reminds_before_and_at_the_due_date_once(world, small):
    due = PlanItem.objects.get(pk=small.dongcheng.pk).due_date  # 2025-06-30
    reminders.send_reminders(due - timedelta(days=3), CONFIG)
    reminders.send_reminders(due - timedelta(days=2), CONFIG)
    reminders.send_reminders(due, CONFIG)
    reminders.send_reminders(due, CONFIG)
    kinds = Notification.objects.filter(item_id=small.dongcheng.pk, user=world.user("beijing_reporter"),
                                        kind__in=["due_soon", "due_today"]).values_list("kind", flat=True)
    assert sorted(kinds) == ["due_soon", "due_today"]


def test_it_escalates_overdue_work_to_the_unit_above(world, small):
    due = PlanItem.objects.get(pk=small.dongcheng.pk).due_date
    reminders.send_reminders(due + timedelta(days=13), CONFIG)
    assert not Notification.objects.filter(kind="escalation", item_id=small.dongcheng.pk).exists()
    reminders.send_reminders(due + timedelta(days=14), CONFIG)
    escalated = set(Notification.objects.filter(kind="escalation", item_id=small.dongcheng.pk).values_list("user__username", flat=True))
    # 东城区's item was assigned by 北京: 北京's reviewers and planners hear of it (and the ministry's, who cover 北京).
    assert {"beijing_reviewer", "beijing_planner"} <= escalated
    assert "shanghai_reviewer" not in escalated


def test_it_reports_missing_period_reports_once(world, small):
    day = date(2024, 4, 15)  # Q1 ended 31 March; grace of 10 days is over
    first = reminders.send_reminders(day, CONFIG)
    again = reminders.send_reminders(day, CONFIG)
    assert first["missing_report"] >= 2 and again["missing_report"] == 0
    assert Notification.objects.filter(kind="missing_report", user=world.user("beijing_reporter"), item_id=small.dongcheng.pk).count() == 1
    # A unit that reported gets no reminder.
    reporter = world.user("shanghai_reporter")
    report = services.save_report(reporter, small.shanghai, world.unit("310000"), "2024-Q2", {"status": "on_track", "percent": 30})
    services.submit_report(reporter, report)
    reminders.send_reminders(date(2024, 7, 15), CONFIG)
    assert not Notification.objects.filter(kind="missing_report", item_id=small.shanghai.pk, title__contains="2024-Q2").exists()


def test_it_sends_no_duplicates_after_an_interrupted_run(world, small, monkeypatch):
    day = date(2024, 4, 15)
    real_send, calls = notify.send, {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real_send(*args, **kwargs)

    monkeypatch.setattr(notify, "send", flaky)
    with pytest.raises(RuntimeError):
        reminders.send_reminders(day, CONFIG)
    sent_before = ReminderLog.objects.count()
    assert sent_before == 1
    monkeypatch.setattr(notify, "send", real_send)
    reminders.send_reminders(day, CONFIG)
    keys = list(ReminderLog.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys)) and len(keys) > sent_before
    per_user_item = Notification.objects.values_list("user_id", "item_id", "kind", "title")
    assert len(per_user_item) == len(set(per_user_item))


@pytest.mark.django_db(transaction=True)
def test_it_runs_supervision_in_the_real_worker(world):
    from luoshi.plans.tasks import run_supervision
    from luoshi.plans.tests.conftest import build_small_plan

    small = build_small_plan(world)
    result = run_supervision.enqueue("2024-04-15")
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    result.refresh()
    assert result.status == "SUCCESSFUL", result.status
    assert result.return_value["missing_report"] >= 2
    assert Notification.objects.filter(kind="missing_report", item_id=small.dongcheng.pk).exists()
