"""Abstract bases shared by every domain model."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TrackedModel(models.Model):
    """Creation and change times plus a version number for optimistic locking.

    ``version`` is incremented by ``luoshi.core.services.save_versioned`` on each update; a
    save based on an older version is refused with ``EditConflict``.
    """

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    # Field path from this model to the ``path`` of the org unit that scopes it.
    scope_field: str = "unit__path"
    # Fields left out of audit snapshots (noise, or derived).
    audit_exclude: tuple[str, ...] = ("created_at", "updated_at")

    class Meta:
        abstract = True
