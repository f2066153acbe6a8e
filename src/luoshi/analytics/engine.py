"""The database runner of the rollup: executes the SQL of ``rollup_sql`` on Django's connection.

* ``rebuild()``: everything, into a stage table that is swapped in atomically (readers see the
  old table until the swap commits, then the new one; never half of a rebuild).
* ``refresh(keys)``: after values changed, recompute only the changed units' ancestors, for the
  changed indicators (plus those weighted by them and the derived ones depending on them) and
  the changed years; in the caller's transaction.
* ``sync_rules()``: rewrite the flattened rules and expected counts after definitions changed.

No value is touched by Python here: this module only decides *which* statements to run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.utils import timezone

from luoshi.analytics import rollup_sql as R
from luoshi.analytics.models import ExpectedCount, IndicatorRule, RebuildState, SigType
from luoshi.indicators.models import DataValue, Indicator
from luoshi.orgs.models import OrgUnit

STAGE = "analytics_aggregate_next"
OLD = "analytics_aggregate_old"
INDICATOR_FIELDS = ("id", "code", "value_type", "aggregation", "weight_indicator_id", "category_set_id",
                    "periodicity", "formula", "reporting_unit_types")

Progress = Callable[[int, int, str], None]


def dialect() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def approved_only() -> bool:
    from luoshi.indicators import services

    return not services.show_unapproved()


def _run(statements: Iterable[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _indicators() -> list[dict]:
    return list(Indicator.objects.values(*INDICATOR_FIELDS))


def sync_rules(indicators: list[dict] | None = None) -> list[dict]:
    """Rewrite ``analytics_rule``, ``analytics_sigtype`` and ``analytics_expected`` from the definitions."""
    indicators = _indicators() if indicators is None else indicators
    rules, sigtypes, signatures = R.rules_of(indicators)
    units = list(OrgUnit.objects.values_list("id", "parent_id", "type", "is_active"))
    expected = R.expected_counts(units, signatures)
    with transaction.atomic():
        IndicatorRule.objects.all().delete()
        IndicatorRule.objects.bulk_create([IndicatorRule(**r.__dict__) for r in rules], batch_size=2000)
        SigType.objects.all().delete()
        SigType.objects.bulk_create([SigType(sig=s, unit_type=t) for s, t in sigtypes])
        ExpectedCount.objects.all().delete()
        ExpectedCount.objects.bulk_create([ExpectedCount(unit_id=u, sig=s, n=n) for u, s, n in expected], batch_size=5000)
    return indicators


def _max_depth() -> int:
    return OrgUnit.objects.order_by("-depth").values_list("depth", flat=True).first() or 0


# Session settings of a full rebuild on PostgreSQL: the level aggregations hash in memory instead
# of spilling to disk, the indexes sort in memory (bounded: one rebuild runs at a time), and no
# nested loops — every join of a rebuild is a bulk join, and a nested loop chosen on a wrong
# estimate (the few weighted averages against the values table) costs minutes at national scale.
REBUILD_SETTINGS = {"work_mem": "256MB", "maintenance_work_mem": "1GB", "enable_nestloop": "off"}


def rebuild(progress: Progress | None = None) -> dict:
    """Recompute every aggregate into a stage table, then swap it in; returns timings and row count.

    Order: the deepest level straight from the raw values (no temporary table for it), the
    levels above from the stage, the derived indicators one dependency layer per statement
    (one scan of the stage each), and only then the primary key and indexes (one sorted build
    each instead of index maintenance per inserted row).
    """
    progress = progress or (lambda i, n, label: None)
    started = time.perf_counter()
    since = timezone.now()
    kind = dialect()
    indicators = sync_rules()
    layers = R.derived_layers(R.derived_order(indicators))
    depth = _max_depth()
    steps = 4 + (depth + 1) + len(layers)
    step = 0

    def tick(label: str) -> None:
        nonlocal step
        step += 1
        progress(step, steps, label)

    scope = R.Scope()
    only_approved = approved_only()
    pg = kind == "postgresql"
    if pg:
        _run([f"SET {name} = '{value}'" for name, value in REBUILD_SETTINGS.items()])
    try:
        tick("stage")
        _run(R.create_table(STAGE, kind, primary_key=not pg))
        # Partials of the units above the deepest level (usually few) in a temporary table;
        # the deepest level's partials go straight into the stage.
        _run(R.create_base(scope, only_approved, kind, depths=(0, depth - 1)))
        if pg:  # fresh tables have no statistics: without them the planner sorts where it should hash
            _run([f"ANALYZE {R.BASE}"])
        tick("unit-level values")
        for d in range(depth, -1, -1):
            if d == depth:
                select = R.leaf_select(d, scope, source=R.base_select(scope, only_approved, depths=(d, d)))
            else:
                select = R.level_select(d, STAGE, scope)
            _run([R.insert(STAGE, select)])
            if pg:
                _run([f"ANALYZE {STAGE}"])
            tick(f"level {d}")
        for n, layer in enumerate(layers):
            sql = R.derived_layer_select(layer, STAGE, scope, kind)
            if sql:
                _run([R.insert(STAGE, sql)])
            tick(f"derived, layer {n + 1} ({len(layer)} indicators)")
        if pg:
            _run(R.add_primary_key(STAGE))
        _run(R.create_indexes(STAGE, STAGE))
        if pg:
            _run([f"ANALYZE {STAGE}"])
        tick("indexes")
        _run([f"DROP TABLE IF EXISTS {R.BASE}"])
    finally:
        if pg:
            _run([f"RESET {name}" for name in REBUILD_SETTINGS])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {STAGE}")
        rows = cursor.fetchone()[0]
    _swap(kind)
    seconds = time.perf_counter() - started
    RebuildState.objects.update_or_create(pk=1, defaults={
        "rebuilt_at": timezone.now(), "seconds": seconds, "rows": rows, "approved_only": only_approved, "engine": "database"})
    tick("swap")
    # Values saved while the rebuild ran went into the old table: recompute them in the new one.
    late = DataValue.objects.filter(updated_at__gte=since).order_by().values_list("indicator_id", "unit_id", "period").distinct()
    if late.exists():
        with transaction.atomic():
            refresh(list(late))
    return {"rows": rows, "seconds": seconds}


def _swap(kind: str) -> None:
    """Replace the live table by the stage in one transaction (indexes get their usual names)."""
    live = R.AGGREGATE
    with transaction.atomic():
        _run([f"DROP TABLE IF EXISTS {OLD}", f"ALTER TABLE {live} RENAME TO {OLD}", f"ALTER TABLE {STAGE} RENAME TO {live}",
              f"DROP TABLE {OLD}"])
        if kind == "postgresql":
            for suffix, _cols in R.INDEXES:
                _run([f"ALTER INDEX {STAGE}_{suffix}_idx RENAME TO analytics_agg_{suffix}_idx"])
        else:  # SQLite cannot rename an index: make them again under the usual names
            for suffix, _cols in R.INDEXES:
                _run([f"DROP INDEX IF EXISTS {STAGE}_{suffix}_idx"])
            _run(R.create_indexes(live, "analytics_agg"))


# Incremental refresh --------------------------------------------------------------------------

def _affected(indicator_ids: set[int]) -> tuple[set[int], list[tuple[int, str, dict[str, int]]]]:
    """The reported indicators to recompute (with those weighted by them) and the derived ones depending on them."""
    rules = {r.indicator_id: r for r in IndicatorRule.objects.all()}
    base = {i for i in indicator_ids if i in rules and not rules[i].derived}
    grew = True
    while grew:
        more = {r.indicator_id for r in rules.values() if r.weight_id in base and not r.derived} - base
        base |= more
        grew = bool(more)
    indicators = _indicators()
    order = R.derived_order(indicators)
    touched = set(base) | {i for i in indicator_ids if i in rules and rules[i].derived}
    derived = []
    for ind_id, text, refs in order:
        if ind_id in touched or touched & set(refs.values()):
            touched.add(ind_id)
            derived.append((ind_id, text, refs))
    return base, derived


def refresh(keys: Iterable[tuple[int, int, str]], *, all_units: bool = False) -> None:
    """Recompute the aggregates that depend on the values ``keys`` ((indicator id, unit id, period)).

    Only the units' ancestors (themselves included), the affected indicators and the years of the
    periods are rewritten, level by level from the deepest up; ``all_units`` recomputes the
    indicators everywhere (after a definition changed). Runs inside the caller's transaction.
    """
    keys = list(keys)
    if not keys or not IndicatorRule.objects.exists():
        return
    kind = dialect()
    indicator_ids = {k[0] for k in keys}
    years = {int(R.check_period(k[2])[:4]) for k in keys if k[2]}
    base, derived = _affected(indicator_ids)
    if all_units:
        units = None
        by_depth: dict[int, set[int]] = {}
        depth = _max_depth()
    else:
        unit_ids = {k[1] for k in keys}
        paths = OrgUnit.objects.filter(pk__in=unit_ids).values_list("path", flat=True)
        ancestors = {int(p) for path in paths for p in path.strip("/").split("/") if p}
        by_depth = {}
        for uid, d in OrgUnit.objects.filter(pk__in=ancestors).values_list("id", "depth"):
            by_depth.setdefault(d, set()).add(uid)
        units = ancestors
        depth = max(by_depth) if by_depth else 0
    scope = R.Scope(units=None if units is None else frozenset(units), indicators=frozenset(base), years=frozenset(years))
    with transaction.atomic():
        if base:
            _run(R.create_base(scope, approved_only(), kind))
            for d in range(depth, -1, -1):
                level_units = None if units is None else by_depth.get(d, set())
                if level_units is not None and not level_units:
                    continue
                level_scope = R.Scope(units=None if level_units is None else frozenset(level_units),
                                      indicators=scope.indicators, years=scope.years)
                children = None if level_units is None else set(
                    OrgUnit.objects.filter(parent_id__in=level_units).values_list("id", flat=True))
                _run([R.delete_rows(R.AGGREGATE, level_scope, base, depth=d),
                      R.insert(R.AGGREGATE, R.level_select(d, R.AGGREGATE, level_scope, children))])
            _run([f"DROP TABLE IF EXISTS {R.BASE}"])
        for layer in R.derived_layers(derived):
            _run([R.delete_rows(R.AGGREGATE, scope, [ind_id for ind_id, _text, _refs in layer])])
            sql = R.derived_layer_select(layer, R.AGGREGATE, scope, kind)
            if sql:
                _run([R.insert(R.AGGREGATE, sql)])


def refresh_indicators(indicator_ids: Iterable[int]) -> None:
    """Recompute some indicators everywhere and for every year (after their definition changed)."""
    ids = set(indicator_ids)
    if not ids:
        return
    from luoshi.analytics.models import AggregateValue

    gone = ids - set(Indicator.objects.filter(pk__in=ids).values_list("pk", flat=True))
    AggregateValue.objects.filter(indicator_id__in=gone).delete()
    ids -= gone
    sync_rules()
    if not ids:
        return
    periods = set(DataValue.objects.filter(indicator_id__in=ids).values_list("period", flat=True).distinct())
    periods |= set(AggregateValue.objects.filter(indicator_id__in=ids).values_list("period", flat=True).distinct())
    with transaction.atomic():
        if not periods:
            AggregateValue.objects.filter(indicator_id__in=ids).delete()
            return
        refresh([(i, 0, p) for i in ids for p in periods], all_units=True)
