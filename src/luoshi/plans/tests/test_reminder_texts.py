"""What each notice says (``plans/reminders.py``, ``plans/notify.py``), issue 13: the title and
text a reader finds in the notification list, the link it opens, and the record each reminder
leaves in the audit log (its key, kind and item). The small plan (``conftest.build_small_plan``):
东城区's item is due 2025-06-30, led by 东城区 and assigned by 北京.
"""

from __future__ import annotations

from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from luoshi.audit.models import AuditRecord
from luoshi.plans import reminders, services
from luoshi.plans.models import Notification, ReminderLog

CONFIG = reminders.ReminderSettings(days_before=7, grace_days=10, escalate_after=14)


def note(kind: str, item, username: str = "beijing_reporter") -> Notification:
    return Notification.objects.get(kind=kind, item_id=item.pk, user__username=username)


def test_each_reminder_names_the_item_its_date_and_the_unit_leading_it(world, small):
    item = small.dongcheng
    lead = world.unit("110101")
    link = reverse("plans:item", args=[item.plan_id, item.pk])
    reminders.send_reminders(date(2025, 6, 27), CONFIG)
    reminders.send_reminders(date(2025, 6, 30), CONFIG)
    reminders.send_reminders(date(2025, 7, 14), CONFIG)
    texts = {kind: (n.title, n.body, n.url) for kind in ("due_soon", "due_today")
             for n in [note(kind, item)]}
    assert texts == {
        "due_soon": (f"Due on 2025-06-30: {item}", f"{lead} leads this item.", link),
        "due_today": (f"Due today: {item}", f"{lead} leads this item.", link),
    }
    escalation = note("escalation", item, "beijing_reviewer")
    assert (escalation.title, escalation.body, escalation.url) == (
        f"Overdue 14 days: {item} ({lead})", "Due 2025-06-30 and not done.", link)


def test_a_missing_report_reminder_names_the_period_and_the_unit(world, small):
    reminders.send_reminders(date(2024, 4, 15), CONFIG)
    item, lead = small.dongcheng, world.unit("110101")
    missing = note("missing_report", item)
    assert (missing.title, missing.body) == (f"Report missing for 2024-Q1: {item}",
                                             f"No report from {lead} has been submitted for 2024-Q1.")
    assert missing.url == reverse("plans:item", args=[item.plan_id, item.pk])


def test_each_reminder_leaves_its_key_in_the_audit_log(world, small):
    item = small.dongcheng
    reminders.send_reminders(date(2024, 4, 15), CONFIG)  # 2024-Q1 missing
    reminders.send_reminders(date(2025, 6, 27), CONFIG)
    reminders.send_reminders(date(2025, 6, 30), CONFIG)
    reminders.send_reminders(date(2025, 7, 14), CONFIG)
    lead_id = item.lead_unit_id
    # 2025-06-27 and 06-30 also find 2025-Q1's report missing, 2025-07-14 2025-Q2's.
    expected = {
        f"missing:{item.pk}:{lead_id}:2024-Q1": "missing_report",
        f"missing:{item.pk}:{lead_id}:2025-Q1": "missing_report",
        f"missing:{item.pk}:{lead_id}:2025-Q2": "missing_report",
        f"due_soon:{item.pk}:2025-06-30": "due_soon",
        f"due_today:{item.pk}:2025-06-30": "due_today",
        f"escalation:{item.pk}:2025-06-30": "escalation",
    }
    keys = set(ReminderLog.objects.values_list("key", flat=True))
    assert {k for k in keys if k.split(":")[1] == str(item.pk)} == set(expected)
    records = AuditRecord.objects.filter(content_type=ContentType.objects.get_for_model(ReminderLog), action="create")
    about_item = {r.after["key"]: (r.after["kind"], r.actor_id) for r in records if r.after["item"] == item.pk}
    assert about_item == {key: (kind, None) for key, kind in expected.items()}


def test_review_notices_say_which_report_and_link_to_where_it_is_handled(world, small):
    item = small.dongcheng
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, item, world.unit("110101"), "2024-Q1", {"status": "on_track", "percent": 10})
    services.submit_report(reporter, report)
    submitted = note("submitted", item, "beijing_reviewer")
    assert (submitted.title, submitted.body, submitted.url) == (
        f"Report to review: {item} ({world.unit('110101')}, 2024-Q1)", "",
        reverse("plans:report_review", args=[report.pk]))
    services.return_report(world.user("beijing_reviewer"), report, "请补充。")
    returned = note("returned", item)
    assert (returned.title, returned.body, returned.url) == (
        f"Report returned: {item} (2024-Q1)", "请补充。", reverse("plans:item", args=[item.plan_id, item.pk]))
    report.refresh_from_db()
    services.submit_report(reporter, report)
    services.approve_report(world.user("beijing_reviewer"), report)
    approved = note("approved", item)
    assert (approved.title, approved.url) == (f"Report approved: {item} (2024-Q1)",
                                              reverse("plans:item", args=[item.plan_id, item.pk]))


def test_a_review_notice_goes_to_the_units_reporters_when_the_submitter_is_unknown(world, small):
    """``submitted_by`` is cleared when the submitter's account is removed (SET_NULL): the
    notice of the decision then goes to the reporters covering the unit, as for a deactivated
    submitter."""
    from luoshi.plans.models import ProgressReport

    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.dongcheng, world.unit("110101"), "2024-Q1",
                                  {"status": "on_track", "percent": 10})
    services.submit_report(reporter, report)
    ProgressReport.objects.filter(pk=report.pk).update(submitted_by=None)
    report.refresh_from_db()
    services.return_report(world.user("beijing_reviewer"), report, "请补充。")
    receivers = set(Notification.objects.filter(kind="returned", item_id=small.dongcheng.pk)
                    .values_list("user__username", flat=True))
    assert receivers == {"beijing_reporter", "ministry_reporter"}
