"""Notifications by e-mail (``plans/notify.py``, issue 13): when SMTP is configured, each
notification also goes out as one e-mail to its reader, after the transaction commits, and is
marked as e-mailed; readers without an address, and every reader when e-mail is off, get none.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from luoshi.plans import notify, reminders
from luoshi.plans.models import Notification

CONFIG = reminders.ReminderSettings(days_before=7, grace_days=10, escalate_after=14)
DUE_TODAY = date(2025, 6, 30)  # 东城区's item in the small plan (plans/tests/conftest.py)


@pytest.fixture
def addresses(world):
    User = get_user_model()
    User.objects.filter(username="beijing_reporter").update(email="bj-reporter@example.org")
    User.objects.filter(username="ministry_planner").update(email="moe-planner@example.org")
    User.objects.filter(username__in=["beijing_planner", "ministry_reporter"]).update(email="")


def _due_today(item) -> list[Notification]:
    return list(Notification.objects.filter(kind="due_today", item=item).select_related("user").order_by("user__username"))


def test_a_reminder_is_emailed_once_to_each_reader_with_an_address(world, small, addresses, settings,
                                                                    django_capture_on_commit_callbacks):
    settings.EMAIL_ENABLED = True
    settings.DEFAULT_FROM_EMAIL = "luoshi@example.org"
    with django_capture_on_commit_callbacks(execute=True):
        reminders.send_reminders(DUE_TODAY, CONFIG)
    notes = _due_today(small.dongcheng)
    assert [n.user.username for n in notes] == ["beijing_planner", "beijing_reporter", "ministry_planner", "ministry_reporter"]
    sent = sorted((m for m in mail.outbox if m.subject.startswith("Due today")), key=lambda m: m.to)
    assert [m.to for m in sent] == [["bj-reporter@example.org"], ["moe-planner@example.org"]]
    note = next(n for n in notes if n.user.username == "beijing_reporter")
    assert sent[0].subject == note.title == f"Due today: {small.dongcheng}"
    assert sent[0].body == f"{note.body}\n\n{note.url}"
    assert note.url == reverse("plans:item", args=[small.dongcheng.plan_id, small.dongcheng.pk])
    assert sent[0].from_email == "luoshi@example.org"
    emailed = {n.user.username for n in notes if n.emailed_at is not None}
    assert emailed == {"beijing_reporter", "ministry_planner"}  # not those without an address


def test_no_email_before_the_transaction_commits(world, small, addresses, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_ENABLED = True
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reminders.send_reminders(DUE_TODAY, CONFIG)
    assert callbacks and not mail.outbox
    assert all(n.emailed_at is None for n in _due_today(small.dongcheng))


def test_without_smtp_notifications_stay_in_the_app(world, small, addresses, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_ENABLED = False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reminders.send_reminders(DUE_TODAY, CONFIG)
    assert len(_due_today(small.dongcheng)) == 4
    assert not mail.outbox and not callbacks
    assert all(n.emailed_at is None for n in _due_today(small.dongcheng))


def test_a_long_title_is_cut_to_300_characters_and_readers_who_cannot_see_the_item_get_nothing(world, small):
    User = get_user_model()
    readers = list(User.objects.filter(username__in=["beijing_reporter", "shanghai_reporter"]))
    notes = notify.send(readers, "due_soon", "长" * 301, "body", small.dongcheng, "/x/")
    assert [n.user.username for n in notes] == ["beijing_reporter"]  # 上海 cannot open 东城区's item
    stored = Notification.objects.get(pk=notes[0].pk)
    assert stored.title == "长" * 300 and stored.body == "body" and stored.url == "/x/" and stored.kind == "due_soon"
    assert stored.item_id == small.dongcheng.pk


def test_an_unreachable_mail_server_does_not_stop_the_reminders(world, small, addresses, settings,
                                                                 django_capture_on_commit_callbacks):
    """SMTP configured but the server refuses connections: every notification is still in the app,
    none is marked as e-mailed, and the run ends normally (the mail is sent with ``fail_silently``)."""
    import socket

    with socket.socket() as probe:  # a local port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sent = reminders.send_reminders(DUE_TODAY, CONFIG)
    assert callbacks and sent["due_today"] == 1
    assert [n.user.username for n in _due_today(small.dongcheng)] == [
        "beijing_planner", "beijing_reporter", "ministry_planner", "ministry_reporter"]
    assert all(n.emailed_at is None for n in _due_today(small.dongcheng))


def test_a_notice_about_no_item_goes_to_every_reader_given(world):
    User = get_user_model()
    readers = list(User.objects.filter(username__in=["beijing_reporter", "shanghai_reporter"]).order_by("username"))
    notes = notify.send(readers, "due_soon", "通知", "正文")
    assert [n.user.username for n in notes] == ["beijing_reporter", "shanghai_reporter"]
    assert set(Notification.objects.filter(title="通知", item=None, url="").values_list("user__username", flat=True)) == {
        "beijing_reporter", "shanghai_reporter"}
