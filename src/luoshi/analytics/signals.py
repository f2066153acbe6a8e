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
    """Refresh the aggregates an import's values feed, in parts of a bounded size.

    ``engine.refresh`` recomputes the cross product of the indicators, units and years of its
    keys, so the parts are built from the import's counts per year and indicator (memory of the
    size of the catalogue, not of the file): whole years where they are small, a year's
    indicators in groups where it is large, and one indicator's units in groups beyond that.
    Aggregates of a year depend on values of that year only, and every part recomputes the
    ancestors of its units and the derived indicators depending on its indicators, so once the
    last part has run every aggregate is as a full rebuild would make it. Each part is its own
    short transaction (``batches.Turns``): on SQLite a large import's refresh never holds the
    single write lock for long, and on PostgreSQL it never holds the aggregates' row locks long.
    """
    from luoshi.analytics import engine
    from luoshi.analytics.models import IndicatorRule
    from luoshi.core import batches
    from luoshi.indicators.models import DataValue

    if not IndicatorRule.objects.exists():
        return
    try:
        parts = _import_parts(DataValue.objects.filter(import_batch=import_id).order_by(), _part_size())
        turns = batches.Turns()
        for inds, units, years in parts:
            with turns.atomic():
                engine.refresh(_cycled(inds, units, years))
    except Exception:  # the import itself succeeded; a full rebuild repairs the aggregates
        log.exception("analytics refresh after an import failed; run `luoshi analytics rebuild`")


def _part_size() -> int:
    from django.conf import settings

    return int(getattr(settings, "LUOSHI_IMPORT_BATCH_ROWS", 20000))


def _import_parts(values, size: int) -> list[tuple[list[int], list[int], list[str]]]:
    """``(indicators, units, years)`` parts covering ``values``, each of about ``size`` values at most
    (estimated from the counts per year and indicator, the units of a large part split evenly)."""
    from django.db.models import Count
    from django.db.models.functions import Substr

    units = sorted(values.values_list("unit_id", flat=True).distinct())
    counts: dict[str, list[tuple[int, int]]] = {}
    for year, ind, n in (values.annotate(year=Substr("period", 1, 4)).values("year", "indicator_id")
                         .annotate(n=Count("id")).values_list("year", "indicator_id", "n")):
        counts.setdefault(year, []).append((ind, n))
    per_year: list[tuple[tuple[int, ...], tuple[int, ...], str, int]] = []
    for year in sorted(counts):
        group: list[int] = []
        total = 0
        for ind, n in sorted(counts[year]):
            if n > size:  # one indicator alone is too big: its units in groups
                pieces = -(-n // size)
                step = -(-len(units) // pieces)
                for k in range(0, len(units), step):
                    per_year.append(((ind,), tuple(units[k:k + step]), year, n * min(step, len(units) - k) // len(units)))
                continue
            if total + n > size and group:
                per_year.append((tuple(group), tuple(units), year, total))
                group, total = [], 0
            group.append(ind)
            total += n
        if group:
            per_year.append((tuple(group), tuple(units), year, total))
    # Neighbouring years with the same indicators and units go together while they stay small.
    parts: list[tuple[list[int], list[int], list[str]]] = []
    last, total = None, 0
    for inds, unit_ids, year, n in per_year:
        if last is not None and (inds, unit_ids) == last and total + n <= size:
            parts[-1][2].append(year)
            total += n
        else:
            parts.append((list(inds), list(unit_ids), [year]))
            last, total = (inds, unit_ids), n
    return parts


def _cycled(*columns: list) -> list[tuple]:
    """Keys whose sets of first, second and third members are exactly ``columns``."""
    width = max(map(len, columns))
    return [tuple(column[k % len(column)] for column in columns) for k in range(width)]


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
