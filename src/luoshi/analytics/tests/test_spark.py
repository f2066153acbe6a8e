"""The Spark runner against the database runner: same rows, same values (marker ``spark``).

These tests need pyspark (the ``spark`` extra) and Java 17: without them they skip with the
reason, and under ``LUOSHI_STRICT_TESTS=1`` (CI) that skip is a failure (root ``conftest.py``).
One Spark session serves the whole module (``spark_session`` in the root conftest: ``local[2]``,
or the local standalone cluster of ``luoshi spark-local`` when ``LUOSHI_TEST_SPARK_CLUSTER=1``).
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.analytics import engine
from luoshi.analytics import rollup_sql as R
from luoshi.analytics.models import AggregateValue, RebuildState
from luoshi.analytics.tests.test_rollup import (
    Rollback, assert_same, build_indicators, build_tree, shape, tree_strategy, value_keys, values_strategy)
from luoshi.indicators.models import DataValue

pytestmark = pytest.mark.spark


def fill(tree, inactive, sh, picks):
    units = build_tree(tree, inactive)
    inds = build_indicators(sh, units[0])
    keys = value_keys(inds, units)
    seen, rows = set(), []
    for pick, number in picks:
        ind, unit, period, cat = keys[pick % len(keys)]
        key = (ind.pk, unit.pk, period, cat.pk if cat else None)
        if key not in seen:
            seen.add(key)
            rows.append(DataValue(indicator=ind, unit=unit, period=period, category=cat, value=float(number) / 3))
    DataValue.objects.bulk_create(rows)
    return units, inds


def rows_of_table() -> dict:
    return {(r.indicator_id, r.unit_id, r.period, r.category_id): (r.value, r.units_reporting, r.units_expected, r.completeness)
            for r in AggregateValue.objects.all()}


def full_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(R.COLUMNS)} FROM {R.AGGREGATE}")
        return sorted(cursor.fetchall(), key=repr)


@pytest.mark.django_db
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(tree=tree_strategy(), inactive=st.sets(st.integers(1, 12), max_size=2), sh=shape, picks=values_strategy)
def test_spark_equals_database(spark_session, tree, inactive, sh, picks):
    from luoshi.analytics import spark

    try:
        with transaction.atomic():
            fill(tree, inactive, sh, picks)
            engine.rebuild()
            want = rows_of_table()
            result = spark.rebuild(spark=spark_session())
            got = rows_of_table()
            assert result["rows"] == len(want)
            assert_same(got, want)
            assert RebuildState.objects.get(pk=1).engine == "spark"
            raise Rollback
    except Rollback:
        pass


@pytest.mark.django_db
def test_a_killed_spark_run_leaves_the_served_table(spark_session):
    from luoshi.analytics import spark

    fill([0, 0, 1, 1, 2], set(), {"x_agg": "avg", "x_cat": True, "x_quarterly": True, "z_cat": True, "types": [],
                                  "formula": "X / Y * 100"}, [(i * 7, i - 3) for i in range(40)])
    engine.rebuild()
    before = full_rows()
    assert before
    session = spark_session()

    def kill(done, total, label):
        if label.startswith("level"):
            session.stop()  # the Spark application dies mid-run

    with pytest.raises(Exception):
        spark.rebuild(kill, spark=session)
    assert full_rows() == before
    assert RebuildState.objects.get(pk=1).engine == "database"
    assert AggregateValue.objects.count() == len(before)


@pytest.mark.django_db
def test_the_command_rebuilds_on_spark_and_is_audited(spark_session):
    """``luoshi analytics rebuild --engine spark``: same rows as the database engine, an audit record naming the engine."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from luoshi.audit.models import AuditRecord

    fill([0, 1, 1], set(), {"x_agg": "sum", "x_cat": True, "x_quarterly": False, "z_cat": False, "types": ["county"],
                            "formula": "X + Y"}, [(i * 5, i) for i in range(30)])
    engine.rebuild()
    want = rows_of_table()
    get_user_model().objects.create_superuser("spark_admin", password="x")
    spark_session()  # the command's session is the tests' one (getOrCreate); the command stops it
    call_command("analytics", "rebuild", "--quiet", "--engine", "spark", "--as", "spark_admin")
    assert_same(rows_of_table(), want)
    record = AuditRecord.objects.filter(verb="rebuild").order_by("-pk").first()
    assert record is not None and record.after["engine"] == "spark"
