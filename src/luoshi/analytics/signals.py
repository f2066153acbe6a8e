"""Keep the aggregates current: changed values queue an incremental refresh run at commit.

Connected from ``AnalyticsConfig.ready``; nothing in ``luoshi.indicators`` calls analytics.

* a ``DataValue`` saved or deleted (the entry grid, follow-up marks are ignored);
* an ``Approval`` changing state (only matters when unapproved data is hidden: the aggregates
  then count approved values only, and approving changes ``DataValue.state`` with an update);
* a ``DataImport`` finishing (the importer writes values with set-based SQL, no per-row signal);
* an ``Indicator`` saved or deleted (its rule may have changed: recompute it everywhere).

Keys are collected per transaction and refreshed once, after the commit, in one go.
"""

from __future__ import annotations

import logging
import threading

from django.db import transaction
from django.db.models.signals import post_delete, post_save

log = logging.getLogger(__name__)
_pending = threading.local()


def _queue(keys=(), indicators=()) -> None:
    """Remember what changed and ask for a flush at commit (the first flush takes everything
    pending, later ones find nothing; keys of a rolled-back write only cost a needless refresh)."""
    state = getattr(_pending, "state", None)
    if state is None:
        state = _pending.state = {"keys": set(), "indicators": set()}
    state["keys"].update(keys)
    state["indicators"].update(indicators)
    transaction.on_commit(_flush)  # runs at once outside a transaction


def _flush() -> None:
    from luoshi.analytics import engine

    state = getattr(_pending, "state", None)
    _pending.state = None
    if not state:
        return
    try:
        if state["indicators"]:
            engine.refresh_indicators(state["indicators"])
        keys = [k for k in state["keys"] if k[0] not in state["indicators"]]
        if keys:
            with transaction.atomic():
                engine.refresh(keys)
    except Exception:  # the write itself succeeded; a full rebuild repairs the aggregates
        log.exception("analytics refresh failed; run `luoshi analytics rebuild`")


def _value_changed(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields and set(update_fields) <= {"follow_up", "warnings"}:
        return
    _queue(keys=[(instance.indicator_id, instance.unit_id, instance.period)])


def _approval_changed(sender, instance, **kwargs) -> None:
    from luoshi.analytics import engine

    if not engine.approved_only():
        return
    ids = list(instance.dataset.indicators.values_list("pk", flat=True))
    _queue(keys=[(i, instance.unit_id, instance.period) for i in ids])


def _import_finished(sender, instance, **kwargs) -> None:
    from luoshi.indicators.models import DataImport

    if instance.state != DataImport.State.DONE or instance.dry_run:
        return
    # After the commit: the scans of the imported values then run outside the import's last
    # write transaction (on SQLite, other writers are not kept waiting for them).
    pk = instance.pk
    transaction.on_commit(lambda: _queue_import(pk))


def _queue_import(import_id) -> None:
    from luoshi.indicators.models import DataValue

    # ``engine.refresh`` uses only the sets of indicators, units and periods of its keys, so one
    # key per distinct value of each column (cycled) covers the whole import: memory of the size
    # of the catalogue, not of the file (a million imported values are not listed one by one).
    values = DataValue.objects.filter(import_batch=import_id).order_by()
    columns = [list(values.values_list(name, flat=True).distinct()) for name in ("indicator_id", "unit_id", "period")]
    if all(columns):
        ind, unit, period = columns
        _queue(keys=[(ind[k % len(ind)], unit[k % len(unit)], period[k % len(period)])
                     for k in range(max(map(len, columns)))])


def _indicator_changed(sender, instance, **kwargs) -> None:
    _queue(indicators=[instance.pk])


def connect() -> None:
    from luoshi.indicators.models import Approval, DataImport, DataValue, Indicator

    post_save.connect(_value_changed, sender=DataValue, dispatch_uid="analytics_value_saved")
    post_delete.connect(_value_changed, sender=DataValue, dispatch_uid="analytics_value_deleted")
    post_save.connect(_approval_changed, sender=Approval, dispatch_uid="analytics_approval_saved")
    post_save.connect(_import_finished, sender=DataImport, dispatch_uid="analytics_import_done")
    post_save.connect(_indicator_changed, sender=Indicator, dispatch_uid="analytics_indicator_saved")
    post_delete.connect(_indicator_changed, sender=Indicator, dispatch_uid="analytics_indicator_deleted")
