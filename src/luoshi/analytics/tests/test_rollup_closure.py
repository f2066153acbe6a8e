"""The all-levels-at-once shape of the rollup (what the Spark runner runs) against the level-by-level one.

``closure_select`` and ``derived_layer_select`` are standard SQL: here the database itself runs
them on random worlds, so their equality with ``engine.rebuild`` is checked in milliseconds on
SQLite and PostgreSQL, without Spark (``test_spark.py`` then checks the Spark runner end to end).
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.analytics import engine
from luoshi.analytics import rollup_sql as R
from luoshi.analytics.tests.test_rollup import Rollback, assert_same, snapshot, shape, tree_strategy, values_strategy
from luoshi.analytics.tests.test_spark import fill
from luoshi.orgs.models import OrgUnit

TARGET = "analytics_closure_check"


def closure_rows_in_database() -> dict:
    """Every aggregate computed by ``closure_select`` and the derived layers, in the database."""
    kind = engine.dialect()
    d = R.DIALECTS[kind]
    indicators = engine.sync_rules()
    layers = R.derived_layers(R.derived_order(indicators))
    closure = R.closure_rows(OrgUnit.objects.values_list("id", "parent_id", "depth"))
    engine._run([f"DROP TABLE IF EXISTS {R.CLOSURE}",
                 f"CREATE TEMP TABLE {R.CLOSURE} (unit_id {d['bigint']}, ancestor_id {d['bigint']}, ancestor_depth {d['int']})"])
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {R.CLOSURE} VALUES (%s, %s, %s)", closure)
    engine._run([*R.create_base(R.Scope(), engine.approved_only(), kind), f"DROP TABLE IF EXISTS {TARGET}",
                 f"CREATE TEMP TABLE {TARGET} AS {R.closure_select()}"])
    for layer in layers:
        sql = R.derived_layer_select(layer, TARGET, R.Scope(), kind)
        if sql:
            engine._run([R.insert(TARGET, sql)])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT indicator_id, unit_id, period, category_id, value, units_reporting, units_expected, "
                       f"completeness FROM {TARGET}")
        rows = cursor.fetchall()
    engine._run([f"DROP TABLE {TARGET}", f"DROP TABLE {R.CLOSURE}", f"DROP TABLE IF EXISTS {R.BASE}"])
    got = {}
    for ind, unit, period, cat, *rest in rows:
        key = (ind, unit, period, cat)
        assert key not in got, f"two rows for {key}"
        got[key] = tuple(rest)
    return got


def test_closure_rows_pair_each_unit_with_its_ancestors():
    # 1 → 2 → 3, 1 → 4; 3 and 4 have no children, so they are not paired with themselves
    rows = R.closure_rows([(1, None, 0), (2, 1, 1), (3, 2, 2), (4, 1, 1)])
    assert sorted(rows) == [(1, 1, 0), (2, 1, 0), (2, 2, 1), (3, 1, 0), (3, 2, 1), (4, 1, 0)]


def test_derived_layers_follow_references():
    order = [(10, "A / B", {"A": 1, "B": 2}), (11, "D * 2", {"D": 10}), (12, "A + 1", {"A": 1}), (13, "E + D", {"E": 11, "D": 10})]
    assert [[i for i, _t, _r in layer] for layer in R.derived_layers(order)] == [[10, 12], [11], [13]]


@pytest.mark.django_db
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(tree=tree_strategy(), inactive=st.sets(st.integers(1, 12), max_size=2), sh=shape, picks=values_strategy)
def test_all_levels_at_once_equals_level_by_level(tree, inactive, sh, picks):
    try:
        with transaction.atomic():
            fill(tree, inactive, sh, picks)
            engine.rebuild()
            want = snapshot()
            assert_same(closure_rows_in_database(), want)
            raise Rollback
    except Rollback:
        pass
