"""The Spark runner of the rollup: the SQL of ``rollup_sql`` (dialect ``spark``) on Spark SQL.

A rebuild is a handful of Spark jobs, whatever the depth of the tree or the number of derived
indicators:

1. ``engine.sync_rules()`` rewrites the small inputs (``analytics_rule``, ``analytics_expected``)
   exactly as for the database runner.
2. *Snapshot*: the input relations are written by Luoshi as CSV files into a fresh directory
   under the data dir (``spark/run-…``): PostgreSQL ``COPY … TO STDOUT`` streams them, on SQLite
   a cursor does; the unit → ancestors closure (``rollup_sql.closure_rows``, one row per unit and
   ancestor: small) is computed from the tree in the same read. A file snapshot rather than
   Spark reading PostgreSQL over JDBC: it works with either database (the tests run on SQLite
   too), needs no JDBC driver on the executors, reads the values once at one consistent moment
   (one repeatable-read transaction on PostgreSQL) and lets Spark split the file into as many
   tasks as it likes; CSV rather than Parquet because writing Parquet from Python would need
   pyarrow (a 40 MB wheel) for no gain at these widths (six columns of numbers).
3. Spark registers each file as a temporary view under the relation's name; the values are
   parsed once and kept while ``base_select`` (the unit-level partials, which reads them several
   times) is computed and kept (one job). ``closure_select`` (every level in one aggregation:
   each partial joined to its unit's ancestors, grouped once) is one job writing CSV files; its
   result is kept (``persist``, spilling to disk) only when derived indicators need it.
4. Derived indicators: one job per dependency layer (``derived_layer_select``: all of a layer's
   formulas in one pass over their references), written beside the levels.
5. The files are loaded into ``analytics_aggregate_next`` (``COPY … FROM STDIN`` on PostgreSQL),
   indexed and swapped in by ``engine`` exactly as the database runner does. Until that swap
   commits, the live table is untouched: a failed or killed run leaves the previous aggregates
   served.

No arithmetic on values is written here: this module only moves rows and runs the SQL text.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from luoshi.analytics import engine
from luoshi.analytics import rollup_sql as R
from luoshi.analytics.models import RebuildState
from luoshi.indicators.models import DataValue

DIALECT = "spark"
DEFAULT_MASTER = "local[2]"

# relation -> (select run on the database, Spark schema)
INPUTS = {
    R.VALUES: ("SELECT indicator_id, unit_id, period, category_id, value, state FROM indicators_datavalue "
               "WHERE value IS NOT NULL",
               "indicator_id BIGINT, unit_id BIGINT, period STRING, category_id BIGINT, value DOUBLE, state STRING"),
    R.UNITS: ("SELECT id, parent_id, depth FROM orgs_orgunit", "id BIGINT, parent_id BIGINT, depth INT"),
    R.RULES: ("SELECT indicator_id, agg, weight_id, weight_by_category, sub_yearly, derived, sig FROM analytics_rule",
              "indicator_id BIGINT, agg STRING, weight_id BIGINT, weight_by_category INT, sub_yearly INT, derived INT, sig INT"),
    R.EXPECTED: ("SELECT unit_id, sig, n FROM analytics_expected", "unit_id BIGINT, sig INT, n INT"),
}
CLOSURE_SCHEMA = "unit_id BIGINT, ancestor_id BIGINT, ancestor_depth INT"
RESULT_COLUMNS = tuple(R.COLUMNS)
RESULT_TYPES = {"indicator_id": "bigint", "unit_id": "bigint", "period": "string", "category_id": "bigint", "depth": "int",
                "value": "double", "num": "double", "den": "double", "units_reporting": "int", "units_expected": "int",
                "completeness": "double"}
STAGE_VIEW = "analytics_stage_view"


class SparkUnavailable(RuntimeError):
    """pyspark or Java is missing (install the ``spark`` extra and Java 17)."""


def available() -> str | None:
    """Why Spark cannot run here, or ``None`` when it can."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        return "needs the Python package pyspark (pip install -e '.[spark]')"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "needs Java 17 or newer (apt-get install -y openjdk-17-jre-headless)"
    return None


def work_dir() -> Path:
    """``<data dir>/spark``: snapshots, run folders and the local cluster's pid files and logs."""
    path = Path(settings.DATA_DIR) / "spark"
    path.mkdir(parents=True, exist_ok=True)
    return path


def session(master: str | None = None, *, app_name: str = "luoshi-analytics"):
    """A Spark session for a small machine: driver and executors 1 GB each, 4 shuffle partitions, no UI.

    Environment overrides: ``LUOSHI_SPARK_DRIVER_MEMORY``, ``LUOSHI_SPARK_EXECUTOR_MEMORY``,
    ``LUOSHI_SPARK_PARTITIONS`` (on a real cluster: a few times its number of cores).
    """
    reason = available()
    if reason:
        raise SparkUnavailable(reason)
    from pyspark.sql import SparkSession

    master = master or os.environ.get("LUOSHI_SPARK_MASTER") or DEFAULT_MASTER
    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.driver.memory", os.environ.get("LUOSHI_SPARK_DRIVER_MEMORY", "1g"))
               .config("spark.executor.memory", os.environ.get("LUOSHI_SPARK_EXECUTOR_MEMORY", "1g"))
               .config("spark.sql.shuffle.partitions", os.environ.get("LUOSHI_SPARK_PARTITIONS", "4"))
               .config("spark.sql.adaptive.enabled", "true")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.session.timeZone", "UTC"))
    return builder.getOrCreate()


# Snapshot -------------------------------------------------------------------------------------

def _snapshot(directory: Path) -> dict[str, Path]:
    """Write the input relations as CSV files (one consistent read); returns relation -> file."""
    files = {}
    outer = connection.in_atomic_block  # inside a caller's transaction, its snapshot applies
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not outer:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            for name, (select, _schema) in INPUTS.items():
                path = directory / f"{name}.csv"
                files[name] = path
                if connection.vendor == "postgresql":
                    with path.open("wb") as out, cursor.cursor.copy(f"COPY ({select}) TO STDOUT (FORMAT csv)") as copy:
                        for chunk in copy:
                            out.write(chunk)
                else:
                    cursor.execute(select)
                    with path.open("w", newline="") as out:
                        writer = csv.writer(out)
                        while rows := cursor.fetchmany(10_000):
                            writer.writerows([["" if v is None else (repr(v) if isinstance(v, float) else v) for v in row]
                                              for row in rows])
            cursor.execute("SELECT id, parent_id, depth FROM orgs_orgunit")
            files[R.CLOSURE] = directory / f"{R.CLOSURE}.csv"
            with files[R.CLOSURE].open("w", newline="") as out:
                csv.writer(out).writerows(R.closure_rows(cursor.fetchall()))
    return files


# Load back -----------------------------------------------------------------------------------

def _load(result_dir: Path) -> int:
    """Copy the CSV parts Spark wrote into the stage table; returns the number of rows."""
    parts = sorted(result_dir.glob("*/part-*"))
    cols = ", ".join(RESULT_COLUMNS)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {engine.STAGE} ({cols}) FROM STDIN (FORMAT csv)") as copy:
                for part in parts:
                    with part.open("rb") as f:
                        while block := f.read(1 << 20):
                            copy.write(block)
        else:
            marks = ", ".join("%s" for _ in RESULT_COLUMNS)
            for part in parts:
                with part.open(newline="") as f:
                    rows = [[None if v == "" else v for v in row] for row in csv.reader(f)]
                cursor.executemany(f"INSERT INTO {engine.STAGE} ({cols}) VALUES ({marks})", rows)
        cursor.execute(f"SELECT COUNT(*) FROM {engine.STAGE}")
        count = cursor.fetchone()[0]
    return count


# Rebuild --------------------------------------------------------------------------------------

def _typed(frame):
    """The result columns in their order and types (``NULL AS num`` has no type of its own in Spark)."""
    return frame.select(*[frame[c].cast(RESULT_TYPES[c]).alias(c) for c in RESULT_COLUMNS])


def rebuild(progress: engine.Progress | None = None, *, master: str | None = None, spark=None) -> dict:
    """Recompute every aggregate on Spark, then load and swap them in like ``engine.rebuild``."""
    progress = progress or (lambda i, n, label: None)
    started = time.perf_counter()
    since = timezone.now()
    kind = engine.dialect()
    indicators = engine.sync_rules()
    layers = R.derived_layers(R.derived_order(indicators))
    steps = 7 + len(layers)
    step = 0

    def tick(label: str) -> None:
        nonlocal step
        step += 1
        progress(step, steps, label)

    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=work_dir()))
    result_dir = run_dir / "result"
    own_session = spark is None
    kept = []
    try:
        files = _snapshot(run_dir)
        tick("snapshot")
        spark = spark or session(master)
        tick("spark session")
        schemas = {name: schema for name, (_select, schema) in INPUTS.items()} | {R.CLOSURE: CLOSURE_SCHEMA}
        frames = {name: spark.read.csv(str(files[name]), schema=schema) for name, schema in schemas.items()}
        values = frames[R.VALUES] = frames[R.VALUES].persist()  # read several times by base_select (values, weights, …)
        kept.append(values)
        for name, frame in frames.items():
            frame.createOrReplaceTempView(name)
        base = spark.sql(R.base_select(R.Scope(), engine.approved_only())).persist()
        kept.append(base)
        base.createOrReplaceTempView(R.BASE)
        partials = base.count()  # one pass over the values: the partials are read twice below
        values.unpersist()  # the parsed values are no longer needed
        tick(f"unit-level partials ({partials:,})")
        done = _typed(spark.sql(R.closure_select()))
        if layers:  # read again by the derived indicators: computed once
            done = done.persist()
            kept.append(done)
        done.write.csv(str(result_dir / "levels"))
        base.unpersist()
        tick("levels (all at once)")
        for n, layer in enumerate(layers, start=1):
            done.createOrReplaceTempView(STAGE_VIEW)
            sql = R.derived_layer_select(layer, STAGE_VIEW, R.Scope(), DIALECT)
            if sql:
                rows = _typed(spark.sql(sql))
                if n < len(layers):
                    rows = rows.persist()
                    kept.append(rows)
                rows.write.csv(str(result_dir / f"derived-{n}"))
                done = done.unionByName(rows)
            tick(f"derived indicators, layer {n}")
        engine._run(R.create_table(engine.STAGE, kind))
        rows = _load(result_dir)
        tick("loaded")
        engine._run(R.create_indexes(engine.STAGE, engine.STAGE))
        if kind == "postgresql":
            engine._run([f"ANALYZE {engine.STAGE}"])
        tick("indexes")
        engine._swap(kind)
        seconds = time.perf_counter() - started
        RebuildState.objects.update_or_create(pk=1, defaults={
            "rebuilt_at": timezone.now(), "seconds": seconds, "rows": rows, "approved_only": engine.approved_only(),
            "engine": "spark"})
        tick("swap")
    finally:
        for frame in kept:
            try:
                frame.unpersist()
            except Exception:  # noqa: BLE001 - the session may be gone (a killed run); nothing left to free
                pass
        if own_session and spark is not None:
            spark.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    late = DataValue.objects.filter(updated_at__gte=since).order_by().values_list("indicator_id", "unit_id", "period").distinct()
    if late.exists():
        with transaction.atomic():
            engine.refresh(list(late))
    return {"rows": rows, "seconds": seconds, "engine": "spark"}
