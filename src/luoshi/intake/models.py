"""The one table of the intake web flow: a document on its way to becoming a draft plan.

A :class:`Draft` is private scratch space, not an organisation record: it belongs to the user
who uploaded or pasted the text, nobody else can open it, it holds the parsed document (clean
text, removal report, flags, outline) and the outline as the user is editing it, and it is
deleted when the plan is created, when the user discards it, or a day after it was started.
What stays is what ``plans.services.create_plan_from_outline`` writes: the SourceDocument, the
plan and its items, each with its audit record.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Draft(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Reading")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    token = models.UUIDField(_("token"), unique=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE,
                              related_name="+")
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    title = models.CharField(_("document title"), max_length=500, blank=True)
    pasted = models.BooleanField(_("pasted text"), default=False)
    to_simplified = models.BooleanField(_("convert to simplified script"), default=False)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DONE)
    stage = models.CharField(_("stage"), max_length=32, blank=True)
    progress = models.FloatField(_("progress"), default=0.0)
    # The upload while it waits for the worker; emptied once it has been read.
    data = models.BinaryField(_("data"), blank=True, default=b"")
    parsed = models.JSONField(_("parsed document"), null=True, blank=True)
    preview = models.JSONField(_("highlighted preview"), null=True, blank=True)
    outline = models.JSONField(_("outline"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    error_code = models.PositiveSmallIntegerField(_("exit code"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("intake draft")
        verbose_name_plural = _("intake drafts")
        indexes = [models.Index(fields=["owner", "created_at"])]

    def __str__(self) -> str:
        return self.filename or str(_("Pasted text"))

    @property
    def display_name(self) -> str:
        return str(self)

    @property
    def stage_label(self) -> str:
        """The pipeline step (``luoshi.intake`` progress names) in the user's language."""
        return str(STAGE_LABELS.get(self.stage, self.stage))


STAGE_LABELS = {
    "read": _("reading the file"), "emoji": _("removing emoji"), "pinyin": _("removing pinyin"),
    "lines": _("removing ads and site boilerplate"), "flags": _("checking for problems"),
    "cleaned": _("cleaned"), "structure": _("finding the structure"), "done": _("done"),
}
