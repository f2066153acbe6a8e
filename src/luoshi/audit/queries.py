"""Scoped reads of the audit trail."""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet

from luoshi.audit.models import AuditRecord
from luoshi.core import authz


def history(user, obj: Model) -> QuerySet[AuditRecord]:
    """An object's own history; the caller has already checked that ``user`` may view ``obj``."""
    authz.require(user, "view", obj)
    ct = ContentType.objects.get_for_model(obj.__class__)
    return AuditRecord.objects.filter(content_type=ct, object_id=str(obj.pk)).order_by("-timestamp", "-id")


def search(user, *, q: str = "", actor: str = "", action: str = "", model: str = "",
           batch: str = "", since: date | None = None, until: date | None = None) -> QuerySet[AuditRecord]:
    """The audit page: records whose objects lie in the user's audit scope."""
    qs = authz.scope(user, AuditRecord.objects.select_related("content_type"))
    if q:
        qs = qs.filter(Q(object_repr__icontains=q) | Q(object_id=q))
    if actor:
        qs = qs.filter(actor_username__iexact=actor)
    if action:
        qs = qs.filter(action=action)
    if model:
        app_label, _, model_name = model.partition(".")
        qs = qs.filter(content_type__app_label=app_label, content_type__model=model_name)
    if batch:
        try:
            qs = qs.filter(batch_id=uuid.UUID(batch))
        except ValueError:
            qs = qs.none()
    if since:
        qs = qs.filter(timestamp__date__gte=since)
    if until:
        qs = qs.filter(timestamp__date__lte=until)
    return qs.order_by("-timestamp", "-id")


def model_choices() -> list[tuple[str, str]]:
    cts = ContentType.objects.filter(pk__in=AuditRecord.objects.values("content_type").distinct())
    return sorted((f"{ct.app_label}.{ct.model}", str(ct.model_class()._meta.verbose_name) if ct.model_class() else ct.model) for ct in cts)
