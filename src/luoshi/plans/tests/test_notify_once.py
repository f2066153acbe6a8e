"""Reminders go out once per key (``notify.remind_once``), issue 13: the key is stored in
``ReminderLog`` (a column of 200 characters, unique), cut to fit when it is longer, so that the
insert never fails on a database that enforces the length (PostgreSQL) and the cut key still
stops the same reminder from going out twice.
"""

from __future__ import annotations

from luoshi.plans import notify
from luoshi.plans.models import Notification, ReminderLog


def test_a_key_longer_than_its_column_is_cut_to_200_characters_and_still_sends_once(world, small):
    key = "due_soon:" + "k" * 250
    readers = notify.users_with_role(world.unit("110101"), "reporter")
    assert notify.remind_once(key, readers, "due_soon", "标题", "正文", small.dongcheng) is True
    assert list(ReminderLog.objects.filter(key__startswith="due_soon:k").values_list("key", flat=True)) == [key[:200]]
    assert notify.remind_once(key, readers, "due_soon", "标题", "正文", small.dongcheng) is False
    received = Notification.objects.filter(kind="due_soon", item_id=small.dongcheng.pk).values_list("user__username", flat=True)
    assert sorted(received) == ["beijing_reporter", "ministry_reporter"]  # once each


def test_users_with_role_names_active_users_only(world):
    """Everything that is sent goes to ``users_with_role``'s readers; a deactivated account is
    not one of them, even where it holds the role (here 北京's reporter, covering 东城区)."""
    from django.contrib.auth import get_user_model

    def names():
        return set(notify.users_with_role(world.unit("110101"), "reporter").values_list("username", flat=True))

    assert names() == {"beijing_reporter", "ministry_reporter"}
    get_user_model().objects.filter(username="beijing_reporter").update(is_active=False)
    assert names() == {"ministry_reporter"}
