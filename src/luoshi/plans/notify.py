"""Notifications: who is told what when reports move and when work falls behind.

In-app notifications always; e-mail as well when SMTP is configured (``LUOSHI_EMAIL_URL``).
Reminders carry a unique key in ``ReminderLog`` so each goes out once, even when the job is
interrupted and run again.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.core import authz, badges
from luoshi.orgs.models import Membership, OrgUnit
from luoshi.plans.models import Notification, PlanItem, ReminderLog


def users_with_role(unit: OrgUnit, *roles: str):
    """Active users holding one of ``roles`` in ``unit`` or above it with 'covers units below'."""
    ancestors = unit.ancestor_ids()
    grants = Membership.objects.filter(role__in=roles).filter(Q(unit=unit) | Q(unit_id__in=ancestors, covers_below=True))
    return get_user_model().objects.filter(is_active=True, pk__in=grants.values("user_id")).order_by("pk")


def seeing(users: Iterable, obj) -> list:
    """The users who may see ``obj``: a notification never names what its reader cannot open."""
    return [u for u in users if authz.can(u, "view", obj)]


def _item_url(item: PlanItem) -> str:
    return reverse("plans:item", args=[item.plan_id, item.pk])


def send(users: Iterable, kind: str, title: str, body: str, item: PlanItem | None = None, url: str = "") -> list[Notification]:
    users = seeing(users, item) if item is not None else list(users)
    notes = Notification.objects.bulk_create(
        [Notification(user=u, kind=kind, title=title[:300], body=body, item=item, url=url) for u in users]
    )
    badges.changed()  # bulk_create sends no signal
    if settings.EMAIL_ENABLED:
        recipients = [(n, u.email) for n, u in zip(notes, users, strict=True) if u.email]

        def mail() -> None:
            # A mail the server refused is not marked as e-mailed (send_mail answers 0 for it).
            emailed = [note.pk for note, address in recipients
                       if send_mail(note.title, f"{note.body}\n\n{note.url}", settings.DEFAULT_FROM_EMAIL, [address],
                                    fail_silently=True)]
            Notification.objects.filter(pk__in=emailed).update(emailed_at=timezone.now())

        transaction.on_commit(mail)
    return notes


def report_submitted(report) -> None:
    item = report.item
    send(seeing(users_with_role(item.assigned_by, "reviewer"), report), Notification.Kind.SUBMITTED,
         _("Report to review: %(item)s (%(unit)s, %(period)s)") % {"item": item, "unit": report.unit, "period": report.period},
         "", item, reverse("plans:report_review", args=[report.pk]))


def report_reviewed(report) -> None:
    item = report.item
    kind = Notification.Kind.APPROVED if report.state == "approved" else Notification.Kind.RETURNED
    title = (_("Report approved: %(item)s (%(period)s)") if kind == Notification.Kind.APPROVED
             else _("Report returned: %(item)s (%(period)s)")) % {"item": item, "period": report.period}
    recipients = [report.submitted_by] if report.submitted_by and report.submitted_by.is_active else list(users_with_role(report.unit, "reporter"))
    send(seeing(recipients, report), kind, title, report.review_comment, item, _item_url(item))


def remind_once(key: str, users: Iterable, kind: str, title: str, body: str, item: PlanItem) -> bool:
    """Send one reminder unless its key was sent before; each in its own transaction."""
    try:
        with transaction.atomic():
            log = ReminderLog.objects.create(key=key[:200])
            send(users, kind, title, body, item, _item_url(item))
            audit.record(None, "create", log, None, {"key": log.key, "kind": kind, "item": item.pk})
    except IntegrityError:
        return False
    return True
