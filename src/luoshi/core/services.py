"""Helpers every domain's ``services.py`` uses: optimistic locking and audited saves."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _

from luoshi.audit import services as audit


class EditConflict(Exception):
    """A save was based on a stale version; ``changes`` lists what changed meanwhile."""

    def __init__(self, obj: models.Model, expected: int, changes: list[tuple[str, object, object]]):
        self.obj = obj
        self.expected = expected
        self.changes = changes
        names = ", ".join(name for name, _old, _new in changes) or _("no visible fields")
        super().__init__(
            _("%(obj)s was changed by someone else since you opened it (version %(old)s → %(new)s; changed: %(fields)s). Reload and apply your edit again.")
            % {"obj": obj, "old": expected, "new": obj.version, "fields": names}
        )


def check_version(obj: models.Model, expected_version: int | None) -> None:
    """Refuse an update based on an older version than the one stored now.

    ``obj`` must have been read with ``select_for_update`` inside the caller's transaction.
    """
    if expected_version is None or int(expected_version) == obj.version:
        return
    from luoshi.audit.models import AuditRecord

    newer = AuditRecord.objects.filter(
        content_type__app_label=obj._meta.app_label,
        content_type__model=obj._meta.model_name,
        object_id=str(obj.pk),
    ).order_by("-timestamp", "-id").first()
    changes = newer.changed_fields() if newer else []
    raise EditConflict(obj, int(expected_version), changes)


def require_version(version: int | None) -> int:
    """API updates must say which version they were based on (the ``version`` of the object read).

    Without it a write from a copy read earlier would silently replace someone else's changes.
    Internal callers (CLI, imports, tests) may still pass ``expected_version=None`` to services.
    """
    if version is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"version": [_("Send the version of the object you read (its \"version\" field); without it the change could overwrite someone else's.")]})
    return version


def refuse_nulls(data: dict, nullable: tuple[str, ...] = ()) -> None:
    """An explicit ``null`` for a field that cannot be empty is a 422 naming the field, not a database error."""
    from django.core.exceptions import ValidationError

    errors = {name: [_("This field cannot be null; send a value (an empty text is \"\").")]
              for name, value in data.items() if value is None and name not in nullable}
    if errors:
        raise ValidationError(errors)


def apply_changes(actor, obj: models.Model, data: dict, expected_version: int | None = None, verb: str = "") -> bool:
    """Set ``data`` on ``obj``, bump its version, save and audit; ``False`` when nothing changed."""
    check_version(obj, expected_version)
    before = audit.snapshot(obj)
    for name, value in data.items():
        setattr(obj, name, value)
    obj.full_clean()
    return save_if_changed(actor, obj, before, verb)


def save_if_changed(actor, obj: models.Model, before: dict, verb: str = "", *, unseen_change: bool = False) -> bool:
    """After fields (and many-to-many sets) of ``obj`` were changed in place: if its snapshot
    differs from ``before``, bump the version, save and audit. ``False`` when nothing changed.

    ``unseen_change``: the caller changed a field the snapshot leaves out (the model's
    ``audit_exclude``, e.g. a policy document's full text); it is saved, versioned and recorded
    as any change, the record showing what the snapshot holds."""
    after = audit.snapshot(obj)
    if before == after and not unseen_change:
        return False
    obj.version = (obj.version or 0) + 1
    obj.save()
    after["version"] = obj.version
    audit.record(actor, "update", obj, before, after, verb)
    return True


def create(actor, obj: models.Model, verb: str = "") -> models.Model:
    obj.full_clean()
    obj.save()
    audit.record(actor, "create", obj, None, audit.snapshot(obj), verb)
    return obj


def delete(actor, obj: models.Model, verb: str = "") -> None:
    before = audit.snapshot(obj)
    audit.record(actor, "delete", obj, before, None, verb)
    obj.delete()
