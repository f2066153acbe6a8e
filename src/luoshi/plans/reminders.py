"""Supervision (督办): reminders before and at due dates, for missing period reports, and
escalation to the unit above after a number of days overdue. Run daily by the worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from luoshi.plans import notify, rollup, rules
from luoshi.plans.models import Notification, Plan, PlanItem, ProgressReport


@dataclass
class ReminderSettings:
    days_before: int = 7
    grace_days: int = 10
    escalate_after: int = 14

    @classmethod
    def from_settings(cls) -> "ReminderSettings":
        return cls(settings.LUOSHI_REMIND_DAYS_BEFORE, settings.LUOSHI_REPORT_GRACE_DAYS, settings.LUOSHI_ESCALATE_AFTER_DAYS)


def _open_items():
    # The units are read with the item (every reminder names the lead unit; escalation goes to the
    # assigning unit); the plan is not: nothing below reads ``item.plan``.
    return (PlanItem.objects.filter(plan__status=Plan.Status.PUBLISHED).exclude(light="done")
            .select_related("lead_unit", "assigned_by"))


def send_reminders(today: date, config: ReminderSettings | None = None) -> dict[str, int]:
    """Send every reminder due on ``today`` that has not been sent before."""
    config = config or ReminderSettings.from_settings()
    sent = {"due_soon": 0, "due_today": 0, "escalation": 0, "missing_report": 0}
    open_items = _open_items().filter(due_date__isnull=False)

    for item in open_items.filter(due_date__gt=today, due_date__lte=today + timedelta(days=config.days_before)):
        sent["due_soon"] += notify.remind_once(
            f"due_soon:{item.pk}:{item.due_date}", notify.users_with_role(item.lead_unit, "reporter", "planner"),
            Notification.Kind.DUE_SOON, _("Due on %(date)s: %(item)s") % {"date": item.due_date, "item": item},
            _("%(unit)s leads this item.") % {"unit": item.lead_unit}, item)

    for item in open_items.filter(due_date=today):
        sent["due_today"] += notify.remind_once(
            f"due_today:{item.pk}:{item.due_date}", notify.users_with_role(item.lead_unit, "reporter", "planner"),
            Notification.Kind.DUE_TODAY, _("Due today: %(item)s") % {"item": item},
            _("%(unit)s leads this item.") % {"unit": item.lead_unit}, item)

    for item in open_items.filter(due_date__lte=today - timedelta(days=config.escalate_after)):
        above = item.assigned_by if item.assigned_by_id != item.lead_unit_id else (item.lead_unit.parent or item.lead_unit)
        days = (today - item.due_date).days
        sent["escalation"] += notify.remind_once(
            f"escalation:{item.pk}:{item.due_date}", notify.users_with_role(above, "reviewer", "planner"),
            Notification.Kind.ESCALATION,
            _("Overdue %(days)s days: %(item)s (%(unit)s)") % {"days": days, "item": item, "unit": item.lead_unit},
            _("Due %(date)s and not done.") % {"date": item.due_date}, item)

    sent["missing_report"] = _missing_reports(today, config)
    return sent


def _missing_reports(today: date, config: ReminderSettings) -> int:
    count = 0
    plans = Plan.objects.filter(status=Plan.Status.PUBLISHED)
    for plan in plans:
        period = rules.previous_period(plan.period, today - timedelta(days=config.grace_days))
        if period.end.year < plan.start_year or period.start.year > plan.end_year:
            continue
        received = ProgressReport.objects.filter(
            item__plan=plan, period=period.key, state__in=[ProgressReport.State.SUBMITTED, ProgressReport.State.APPROVED]
        ).values_list("item_id", "unit_id")
        have = set(received)
        leaves = (_open_items().filter(plan=plan, child_count=0)
                  .filter(Q(start_date__isnull=True) | Q(start_date__lte=period.end))
                  .filter(Q(due_date__isnull=True) | Q(due_date__gte=period.start)))
        for item in leaves:
            if (item.pk, item.lead_unit_id) in have:
                continue
            count += notify.remind_once(
                f"missing:{item.pk}:{item.lead_unit_id}:{period.key}", notify.users_with_role(item.lead_unit, "reporter"),
                Notification.Kind.MISSING_REPORT,
                _("Report missing for %(period)s: %(item)s") % {"period": period.key, "item": item},
                _("No report from %(unit)s has been submitted for %(period)s.") % {"unit": item.lead_unit, "period": period.key}, item)
    return count


def daily(today: date) -> dict[str, int]:
    """The daily supervision run: refresh the lights (they depend on the date), then remind."""
    for plan_id in Plan.objects.filter(status=Plan.Status.PUBLISHED).values_list("pk", flat=True):
        rollup.refresh_plan(plan_id, today)
    return send_reminders(today)
