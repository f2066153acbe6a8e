"""Writing bulletins: the request (audited), and the worker's progress and result."""

from __future__ import annotations


from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.analytics import dashboard
from luoshi.bulletins.models import Bulletin
from luoshi.core import authz
from luoshi.core import services as core_services
from luoshi.orgs.models import OrgUnit
from luoshi.plans.rules import normalise_period

LANGUAGES = ("zh-hans", "en")


def clean_period(text: str) -> str:
    """The canonical key of a period typed by a user (``2024``, ``2024-Q3`` …)."""
    try:
        _kind, period = normalise_period(text or "")
    except ValueError as exc:
        raise ValidationError({"period": _("Not a period: %(value)s. Write 2024, 2024-H2, 2024-Q3 or 2024-07.")
                               % {"value": text}}) from exc
    return period.key


def request_bulletin(actor, unit: OrgUnit, period: str, *, language: str = "zh-hans", enqueue: bool = True) -> Bulletin:
    """Ask for a bulletin about ``unit``'s subtree for ``period``; the worker writes it.

    Needs a role that may add bulletins in ``unit`` and a grant covering the unit's whole
    subtree (a bulletin holds the numbers of every unit below it).
    """
    if not dashboard.may_see_subtree(actor, unit):
        raise Http404("not found")
    authz.require_in_unit(actor, "add", Bulletin, unit)
    key = clean_period(period)
    with transaction.atomic():
        bulletin = core_services.create(actor, Bulletin(unit=unit, period=key, requested_by=actor,
                                                        language=language if language in LANGUAGES else "zh-hans"))
        if enqueue:
            from luoshi.bulletins.tasks import build_bulletin

            result = build_bulletin.enqueue(bulletin.pk)
            Bulletin.objects.filter(pk=bulletin.pk).update(task_id=str(result.id))
            bulletin.task_id = str(result.id)
    return bulletin


def set_progress(bulletin_id: int, percent: int, step: str) -> None:
    """Record how far the worker got (its own small write, so a poller sees it at once)."""
    Bulletin.objects.filter(pk=bulletin_id).update(state=Bulletin.State.RUNNING, progress=percent, step=step[:200],
                                                    updated_at=timezone.now())


def finish(bulletin_id: int, pdf: bytes) -> None:
    """Store the PDF, then drop the PDFs of the same unit, period and language beyond the newest ``keep_pdfs()``."""
    with transaction.atomic():
        Bulletin.objects.filter(pk=bulletin_id).update(state=Bulletin.State.DONE, progress=100, step="", pdf=pdf,
                                                        size=len(pdf), finished_at=timezone.now(), updated_at=timezone.now())
        prune(bulletin_id)


def prune(bulletin_id: int) -> int:
    """Mark the older finished bulletins like this one as replaced and free their PDF bytes; returns how many."""
    from luoshi.bulletins.models import keep_pdfs

    bulletin = Bulletin.objects.only("unit_id", "period", "language").get(pk=bulletin_id)
    same = Bulletin.objects.filter(unit_id=bulletin.unit_id, period=bulletin.period, language=bulletin.language,
                                   state=Bulletin.State.DONE)
    keep = list(same.order_by("-finished_at", "-id").values_list("pk", flat=True)[:keep_pdfs()])
    return same.exclude(pk__in=keep).update(state=Bulletin.State.REPLACED, pdf=b"", size=0, updated_at=timezone.now())


def fail(bulletin_id: int, message: str) -> None:
    Bulletin.objects.filter(pk=bulletin_id).update(state=Bulletin.State.FAILED, error=message[:2000],
                                                    finished_at=timezone.now(), updated_at=timezone.now())
