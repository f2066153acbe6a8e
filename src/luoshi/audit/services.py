"""Writing audit records. Called by every service function, inside its transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from luoshi.audit.models import AuditRecord
from luoshi.core.context import current_batch


def snapshot(obj: models.Model) -> dict:
    """JSON-safe values of an object's concrete fields (foreign keys as ids) and many-to-many ids."""
    exclude = set(getattr(obj, "audit_exclude", ()))
    data: dict = {}
    for f in obj._meta.concrete_fields:
        if f.name in exclude:
            continue
        data[f.name] = f.value_from_object(obj)
    if obj.pk is not None:
        for f in obj._meta.many_to_many:
            if f.name not in exclude:
                data[f.name] = sorted(getattr(obj, f.name).values_list("pk", flat=True))
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _unit_path(obj: models.Model) -> str:
    """The unit path the record is scoped by: the object's ``scope_field``, unless the model
    names another with ``audit_unit_path()`` (a draft plan's items: the issuer's)."""
    if hasattr(obj, "audit_unit_path"):
        return obj.audit_unit_path()
    value: object = obj
    for part in getattr(obj, "scope_field", "").split("__"):
        if not part:
            return ""
        value = getattr(value, part, None)
        if value is None:
            return ""
    return str(value)


def build(actor, action: str, obj: models.Model, before: dict | None, after: dict | None, verb: str = "") -> AuditRecord:
    opened = current_batch()
    return AuditRecord(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_username=getattr(actor, "username", "") or "system",
        action=action,
        verb=verb,
        content_type=ContentType.objects.get_for_model(obj.__class__),
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        unit_path=_unit_path(obj),
        before=before,
        after=after,
        batch_id=opened.batch_id,
        source=opened.source,
    )


def record(actor, action: str, obj: models.Model, before: dict | None = None, after: dict | None = None, verb: str = "") -> AuditRecord:
    entry = build(actor, action, obj, before, after, verb)
    entry.save()
    return entry


def record_many(entries: Iterable[AuditRecord]) -> None:
    AuditRecord.objects.bulk_create(list(entries), batch_size=1000)
