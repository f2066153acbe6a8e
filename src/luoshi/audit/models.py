"""The audit trail: one append-only record per create, update or delete."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _


class AuditTrailIsAppendOnly(Exception):
    """Raised on any attempt to change or remove an audit record."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002 - refuse whatever is asked
        raise AuditTrailIsAppendOnly("audit records cannot be updated")

    def delete(self):
        raise AuditTrailIsAppendOnly("audit records cannot be deleted")

    _raw_delete = delete


# How the trail shows the codes it stores (``source`` and ``verb``); unknown codes show as stored.
SOURCE_LABELS = {
    "web": _("web"), "api": _("API"), "cli": _("command line"), "import": _("import"),
    "worker": _("background task"), "system": _("system"),
}
VERB_LABELS = {
    "move": _("move"), "submit": _("submit"), "approve": _("approve"), "return": _("return"),
    "revoke": _("revoke"), "password": _("password change"), "password reset": _("password reset"),
    "activate": _("activate"), "deactivate": _("deactivate"),
}


class AuditRecord(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")
        TRANSITION = "transition", _("changed state")

    timestamp = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",  # a user who acted is deactivated, never deleted
    )
    actor_username = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    verb = models.CharField(_("detail"), max_length=64, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=255)
    unit_path = models.CharField(max_length=255, db_index=True, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    batch_id = models.UUIDField(_("request or batch id"), db_index=True)
    source = models.CharField(_("source"), max_length=16)

    objects = AuditQuerySet.as_manager()

    scope_field = "unit_path"

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-timestamp"], name="audit_object_idx")]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")

    def __str__(self) -> str:
        return f"{self.actor_username} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("audit records cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("audit records cannot be deleted")

    def changed_fields(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field whose value differs (the version counter aside)."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if k != "version" and before.get(k) != after.get(k)]

    def changed_fields_display(self) -> list[tuple[str, str, object, object]]:
        """(label, field, before, after): ``changed_fields`` with each field's (translated) name and choice labels."""
        model = ContentType.objects.get_for_id(self.content_type_id).model_class()  # cached: no query per record
        rows = []
        for name, before, after in self.changed_fields():
            try:
                field = model._meta.get_field(name) if model else None
            except FieldDoesNotExist:
                field = None
            label = capfirst(field.verbose_name) if getattr(field, "verbose_name", None) else name
            choices = {str(value): text for value, text in field.flatchoices} if getattr(field, "choices", None) else {}
            rows.append((label, name, *(choices.get(v, v) if isinstance(v, str) else v for v in (before, after))))
        return rows

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)

    @property
    def verb_label(self) -> str:
        return VERB_LABELS.get(self.verb, self.verb)
