"""Bulletins (通报): a PDF about one unit and its subtree for one period, built in the background.

A ``Bulletin`` row is the request and its result: the worker fills in ``progress`` and ``step``
while it works (the page polls them) and stores the PDF in ``pdf``. It is scoped by the unit it
is about, so whoever can see that unit's subtree can download it; its content only ever holds
numbers of that subtree (see ``luoshi.bulletins.content``).

Retention: only the newest ``KEEP_PDFS`` finished PDFs of one unit, period and language are
kept (setting ``BULLETIN_KEEP_PDFS``); older ones become ``replaced``: the row stays (who asked
for what, when) but its PDF bytes are dropped.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luoshi.core.models import TrackedModel
from luoshi.orgs.models import OrgUnit


KEEP_PDFS = 3


def keep_pdfs() -> int:
    return max(1, int(getattr(settings, "BULLETIN_KEEP_PDFS", KEEP_PDFS)))


class Bulletin(TrackedModel):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being written")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        REPLACED = "replaced", _("Replaced by a newer bulletin")

    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=10)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    step = models.CharField(_("step"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    pdf = models.BinaryField(_("PDF"), blank=True, default=b"", editable=False)
    size = models.PositiveIntegerField(_("size"), default=0)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    scope_field = "unit__path"
    # The PDF bytes and the progress ticks are not worth an audit entry each.
    audit_exclude = ("created_at", "updated_at", "pdf", "progress", "step")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        indexes = [models.Index(fields=["unit", "period"], name="bulletin_unit_period_idx")]

    def __str__(self) -> str:
        return f"{self.unit} {self.period}"

    @property
    def filename(self) -> str:
        return f"bulletin-{self.unit.code}-{self.period}.pdf"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED, self.State.REPLACED)
