"""Analytics benchmark: the rollup of a national-scale synthetic data set, beside its floors.

Scale (``--scale`` or ``LUOSHI_BENCH_SCALE``; ``make bench SCALE=national``):

* ``reduced`` (default, CI): 1 + 4 provinces × 4 cities × ~8 counties, 60 indicators, 4 years;
* ``medium``: 1 + 12 provinces × 8 cities × ~8.5 counties ≈ 900 units, 192 indicators, 8 years:
  ≈ 1.4 M values (to compare changes quickly, the floor in the same run);
* ``national``: 1 + 31 provinces + 341 cities + ~2,950 counties ≈ 3,300 units in four levels,
  300 indicators (200 yearly, 20 of them per 城乡 category; 40 quarterly; 10 weighted averages;
  10 averages, minima or maxima; 40 derived ratios), 12 years and 48 quarters: ≥ 10 M values.

The data set is written with set-based SQL (a cross join of counties × indicators × periods
with a deterministic pseudo-random value and ~8 % of cells left empty), not the services.

Measured in one run, each beside its floor:

* full rebuild (``engine.rebuild``: stage table, unit-level values, levels, indexes, derived,
  swap) — floor: one hand-written SQL statement aggregating the raw table up a closure table
  in the same database (``CREATE TABLE … AS SELECT``; it does less: no category totals, no year
  roll-ups, no derived indicators, no completeness), and the same statement in DuckDB over the
  same rows (loaded from a CSV copy; the load is not timed);
* incremental refresh after one county's values change: one indicator-period, and every
  indicator of one year;
* the analytics API (``GET /api/v1/analytics``) p50 / p95 over random requests, for the
  ministry and for a province user (scoped);
* peak memory (max RSS) of this process; the database server's memory is its own.

Run: ``.venv/bin/python bench/bench_analytics.py [--scale national] [--json PATH]``; on
PostgreSQL with ``LUOSHI_BENCH_DATABASE_URL=postgresql://…``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import TABLE_HEAD, Measurement, setup_django  # noqa: E402

SCALES = {
    "reduced": {"provinces": 4, "cities": 4, "counties": (7, 9), "yearly": 40, "cat": 4, "quarterly": 6, "weighted": 2,
                "other": 2, "derived": 6, "years": 4},
    "medium": {"provinces": 12, "cities": 8, "counties": (8, 9), "yearly": 120, "cat": 12, "quarterly": 24, "weighted": 6,
               "other": 6, "derived": 24, "years": 8},
    "national": {"provinces": 31, "cities": 11, "counties": (8, 9, 9), "yearly": 200, "cat": 20, "quarterly": 40,
                 "weighted": 10, "other": 10, "derived": 40, "years": 12},
}
FIRST_YEAR = 2014


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(scale: dict, progress) -> dict:
    from django.db import connection

    from luoshi.indicators.models import Category, CategorySet, Indicator
    from luoshi.orgs.models import OrgUnit

    root = OrgUnit.objects.create(code="MOE", name="教育部", type="ministry", depth=0)
    root.path = f"/{root.pk}/"
    root.save(update_fields=["path"])

    def level(parents, per, type_, prefix):
        rows = []
        for n, p in enumerate(parents):
            count = per[n % len(per)] if isinstance(per, tuple) else per
            rows += [OrgUnit(code=f"{prefix}{p.pk}-{i}", name=f"{p.name[:20]}·{i}", type=type_, parent=p, depth=p.depth + 1)
                     for i in range(count)]
        made = OrgUnit.objects.bulk_create(rows, batch_size=2000)
        for u in made:
            u.path = f"{u.parent.path}{u.pk}/"
        OrgUnit.objects.bulk_update(made, ["path"], batch_size=2000)
        return made

    provinces = level([root], scale["provinces"], "province", "P")
    cities = level(provinces, scale["cities"], "city", "C")
    counties = level(cities, scale["counties"], "county", "X")
    units = 1 + len(provinces) + len(cities) + len(counties)
    progress(f"{units} units")

    cs = CategorySet.objects.create(code="UR", name="城乡", owner_unit=root)
    Category.objects.bulk_create([Category(category_set=cs, code="urban", name="城镇", order=0),
                                  Category(category_set=cs, code="rural", name="乡村", order=1)])
    common = {"owner_unit": root, "reporting_unit_types": ["county"]}
    inds = []
    for i in range(scale["yearly"]):
        inds.append(Indicator(code=f"Y{i:03d}", name=f"年报指标{i}", category_set=cs if i < scale["cat"] else None, **common))
    for i in range(scale["quarterly"]):
        inds.append(Indicator(code=f"Q{i:03d}", name=f"季报指标{i}", periodicity="quarterly", **common))
    for i, agg in zip(range(scale["other"]), ["avg", "min", "max"] * 100):
        inds.append(Indicator(code=f"O{i:03d}", name=f"其他指标{i}", aggregation=agg, **common))
    Indicator.objects.bulk_create(inds)
    weight = Indicator.objects.get(code="Y050" if scale["yearly"] > 50 else "Y010")
    Indicator.objects.bulk_create([
        Indicator(code=f"W{i:03d}", name=f"加权指标{i}", aggregation="weighted_avg", weight_indicator=weight, **common)
        for i in range(scale["weighted"])])
    Indicator.objects.bulk_create([
        Indicator(code=f"D{i:03d}", name=f"派生指标{i}", aggregation="none", formula=f"Y{2 * i + 60:03d} / Y{2 * i + 61:03d} * 100"
                  if scale["yearly"] > 2 * i + 61 else f"Y{i:03d} / Y{i + 1:03d} * 100", owner_unit=root)
        for i in range(scale["derived"])])
    for ind in Indicator.objects.exclude(formula=""):
        ind.formula_refs = [r for r in ind.formula.replace("/", " ").replace("*", " ").split() if r[0] in "YQ"]
        ind.save(update_fields=["formula_refs"])

    years = [FIRST_YEAR + k for k in range(scale["years"])]
    periods = [(n, str(y), 0) for n, y in enumerate(years)]
    periods += [(100 + n, f"{y}-Q{q}", 1) for n, (y, q) in enumerate((y, q) for y in years for q in range(1, 5))]
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_period")
        cur.execute("CREATE TABLE bench_period (idx INTEGER, period VARCHAR(10), quarterly INTEGER)")
        cur.executemany("INSERT INTO bench_period VALUES (%s, %s, %s)", periods)
        cur.execute("DROP TABLE IF EXISTS bench_cat")
        cur.execute("CREATE TABLE bench_cat (set_id BIGINT, category_id BIGINT)")
        cur.execute("INSERT INTO bench_cat SELECT category_set_id, id FROM indicators_category")
        warnings = "CAST('[]' AS jsonb)" if connection.vendor == "postgresql" else "'[]'"
        false = "false" if connection.vendor == "postgresql" else "0"
        started = time.perf_counter()
        # PostgreSQL: load as a bulk load is done — the secondary indexes and foreign keys of the
        # values table are dropped first and made again afterwards (one sorted build, one
        # validating join each, instead of per-row index inserts and deferred trigger checks).
        deferred = _drop_secondary(cur, "indicators_datavalue") if connection.vendor == "postgresql" else []
        for ind_kind, quarterly in (("Y", 0), ("O", 0), ("W", 0), ("Q", 1)):
            # value: deterministic pseudo-random in 1..1000; ~8 % of cells empty
            cur.execute(f"""
                INSERT INTO indicators_datavalue (indicator_id, unit_id, period, category_id, value, text_value, comment,
                                                  state, warnings, follow_up, updated_at)
                SELECT i.id, u.id, p.period, c.category_id,
                       1.0 + ((u.id * 7919 + i.id * 104729 + p.idx * 1237 + COALESCE(c.category_id, 0) * 31) % 1000),
                       '', '', 'approved', {warnings}, {false}, CURRENT_TIMESTAMP
                FROM orgs_orgunit u
                CROSS JOIN indicators_indicator i
                JOIN bench_period p ON p.quarterly = {quarterly}
                LEFT JOIN bench_cat c ON c.set_id = i.category_set_id
                WHERE u.depth = 3 AND i.code LIKE '{ind_kind}%'
                  AND (u.id * 13 + i.id * 7 + p.idx * 3) % 12 <> 0""")
            progress(f"values of {ind_kind}… indicators written")
        for sql in deferred:
            cur.execute(sql)
        if deferred:
            progress(f"{len(deferred)} indexes and foreign keys made again")
        cur.execute("SELECT COUNT(*) FROM indicators_datavalue")
        values = cur.fetchone()[0]
        if connection.vendor == "postgresql":
            cur.execute("ANALYZE")
    progress(f"{values:,} values in {time.perf_counter() - started:.0f} s")
    return {"units": units, "indicators": Indicator.objects.count(), "values": values,
            "periods": len(periods), "counties": [c.pk for c in counties[:50]], "provinces": [p.code for p in provinces]}


def existing(scale: dict) -> dict | None:
    """The description ``build`` returns, of a data set of this scale already in the database (else None)."""
    from django.db import connection

    from luoshi.indicators.models import Indicator
    from luoshi.orgs.models import OrgUnit

    counties = list(OrgUnit.objects.filter(depth=3).order_by("pk").values_list("pk", flat=True))
    provinces = list(OrgUnit.objects.filter(depth=1).order_by("pk").values_list("code", flat=True))
    if len(provinces) != scale["provinces"] or not OrgUnit.objects.filter(code="MOE").exists():
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM indicators_datavalue")
        values = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM bench_period")
        periods = cur.fetchone()[0]
    if not values:
        return None
    return {"units": OrgUnit.objects.count(), "indicators": Indicator.objects.count(), "values": values,
            "periods": periods, "counties": counties[:50], "provinces": provinces}


def _drop_secondary(cur, table: str) -> list[str]:
    """Drop ``table``'s foreign keys and indexes other than the primary key; return the statements that restore them."""
    cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
                [table])
    fks = cur.fetchall()
    cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p')", [table, table])
    indexes = cur.fetchall()
    for name, _def in fks:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _def in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    return [d for _n, d in indexes] + [f'ALTER TABLE {table} ADD CONSTRAINT "{n}" {d}' for n, d in fks]


FLOOR_SQL = """
SELECT c.ancestor_id AS unit_id, v.indicator_id, v.period, v.category_id,
       CASE r.agg WHEN 'sum' THEN SUM(v.value) WHEN 'avg' THEN AVG(v.value) WHEN 'min' THEN MIN(v.value)
                  WHEN 'max' THEN MAX(v.value) ELSE SUM(v.value * w.value) / NULLIF(SUM(w.value), 0) END AS value,
       COUNT(DISTINCT v.unit_id) AS units_reporting
FROM {values} v
JOIN {closure} c ON c.unit_id = v.unit_id
JOIN {rules} r ON r.indicator_id = v.indicator_id
LEFT JOIN {values} w ON r.agg = 'weighted_avg' AND w.indicator_id = r.weight_id AND w.unit_id = v.unit_id
     AND w.period = v.period AND w.category_id IS NULL
WHERE v.value IS NOT NULL AND r.agg <> 'none'
GROUP BY c.ancestor_id, v.indicator_id, v.period, v.category_id, r.agg
"""


def floor_database() -> tuple[float, int]:
    """The hand-written floor in the same database: closure table + one aggregation statement."""
    from django.db import connection

    with connection.cursor() as cur:
        for t in ("bench_floor", "bench_closure"):
            cur.execute(f"DROP TABLE IF EXISTS {t}")
        started = time.perf_counter()
        cur.execute("CREATE TABLE bench_closure AS SELECT a.id AS ancestor_id, d.id AS unit_id FROM orgs_orgunit a "
                    "JOIN orgs_orgunit d ON d.path LIKE a.path || '%'")
        cur.execute("CREATE TABLE bench_floor AS " + FLOOR_SQL.format(values="indicators_datavalue", closure="bench_closure",
                                                                      rules="analytics_rule"))
        seconds = time.perf_counter() - started
        cur.execute("SELECT COUNT(*) FROM bench_floor")
        rows = cur.fetchone()[0]
        cur.execute("DROP TABLE bench_floor")
    return seconds, rows


def floor_duckdb(workdir: str) -> tuple[float, int, float]:
    """The same statement in DuckDB over the same rows (copied out as CSV; the copy is not timed)."""
    import duckdb
    from django.db import connection

    files = {}
    with connection.cursor() as cur:
        for name, sql in (("dv", "SELECT indicator_id, unit_id, period, category_id, value FROM indicators_datavalue"),
                          ("closure", "SELECT ancestor_id, unit_id FROM bench_closure"),
                          ("rules", "SELECT indicator_id, agg, weight_id FROM analytics_rule")):
            path = Path(workdir) / f"{name}.csv"
            cur.execute(sql)
            with path.open("w") as fh:
                while True:
                    chunk = cur.fetchmany(200_000)
                    if not chunk:
                        break
                    fh.writelines(",".join("" if x is None else str(x) for x in row) + "\n" for row in chunk)
            files[name] = path
    db = duckdb.connect()
    db.execute(f"CREATE TABLE dv AS SELECT * FROM read_csv('{files['dv']}', header=false, "
               "columns={'indicator_id': 'BIGINT', 'unit_id': 'BIGINT', 'period': 'VARCHAR', 'category_id': 'BIGINT', 'value': 'DOUBLE'})")
    db.execute(f"CREATE TABLE closure AS SELECT * FROM read_csv('{files['closure']}', header=false, "
               "columns={'ancestor_id': 'BIGINT', 'unit_id': 'BIGINT'})")
    db.execute(f"CREATE TABLE rules AS SELECT * FROM read_csv('{files['rules']}', header=false, "
               "columns={'indicator_id': 'BIGINT', 'agg': 'VARCHAR', 'weight_id': 'BIGINT'})")
    before = rss_mb()
    started = time.perf_counter()
    db.execute("CREATE TABLE floor AS " + FLOOR_SQL.format(values="dv", closure="closure", rules="rules"))
    seconds = time.perf_counter() - started
    rows = db.execute("SELECT COUNT(*) FROM floor").fetchone()[0]
    db.close()
    return seconds, rows, max(rss_mb() - before, 0.0)


def api_latency(info: dict, username: str, units: list[str], n: int) -> tuple[float, float]:
    from django.test import Client

    from luoshi.analytics.models import AggregateValue
    from luoshi.indicators.models import Indicator
    from luoshi.orgs.models import OrgUnit

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username))
    rng = random.Random(3)
    codes = list(Indicator.objects.values_list("code", flat=True))
    periods = list(AggregateValue.objects.filter(unit__code=units[0]).values_list("period", flat=True).distinct()[:60])
    depth_of = dict(OrgUnit.objects.filter(code__in=units).values_list("code", "depth"))
    times = []
    for k in range(n + 5):
        unit = rng.choice(units)
        params = {"indicator": rng.choice(codes), "unit": unit, "period": rng.choice(periods)}
        if k % 3 == 0 and depth_of.get(unit, 9) < 2:
            params["level"] = depth_of[unit] + 1  # drill-down: the units one level below
        started = time.perf_counter()
        resp = client.get("/api/v1/analytics", params)
        elapsed = (time.perf_counter() - started) * 1000
        assert resp.status_code == 200, resp.content[:200]
        if k >= 5:
            times.append(elapsed)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default=os.environ.get("LUOSHI_BENCH_SCALE", "reduced"), choices=sorted(SCALES))
    parser.add_argument("--json")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument("--reuse-data", action="store_true",
                        help="PostgreSQL: measure on the data set already in the database if there is one (made by an "
                             "earlier run or --generate-only) instead of generating it again")
    parser.add_argument("--generate-only", action="store_true", help="generate the data set and stop")
    args = parser.parse_args()
    scale = SCALES[args.scale]
    reuse = args.reuse_data and bool(os.environ.get("LUOSHI_BENCH_DATABASE_URL"))
    vendor = setup_django("analytics", flush=not reuse)

    def progress(msg: str) -> None:
        print(f"  … {msg}", file=sys.stderr, flush=True)

    from django.contrib.auth import get_user_model
    from django.db import transaction

    from luoshi.analytics import engine
    from luoshi.indicators.models import DataValue, Indicator
    from luoshi.orgs.models import Membership, OrgUnit

    info = existing(scale) if reuse else None
    reused = info is not None
    if info is None:
        info = build(scale, progress)
    else:
        progress(f"reusing the data set in the database: {info['values']:,} values")
    if args.generate_only:
        return 0
    User = get_user_model()
    if not User.objects.filter(username="bench_admin").exists():
        User.objects.create_superuser("bench_admin", password="x")
    province_user, _ = User.objects.get_or_create(username="bench_province")
    first_province = OrgUnit.objects.get(code=info["provinces"][0])
    Membership.objects.get_or_create(user=province_user, unit=first_province, defaults={"role": "viewer"})

    results: list[Measurement] = []
    extra: dict = {"scale": args.scale, "database": vendor, **{k: v for k, v in info.items() if k in ("units", "indicators", "values", "periods")}}

    extra["data_reused"] = reused
    extra["load_average_start"] = os.getloadavg()
    if vendor == "postgresql":
        from django.db import connection

        with connection.cursor() as cur:
            settings_of = {}
            for name in ("shared_buffers", "work_mem", "maintenance_work_mem", "effective_cache_size", "max_wal_size",
                         "max_parallel_workers_per_gather", "random_page_cost", "server_version"):
                cur.execute(f"SHOW {name}")
                settings_of[name] = cur.fetchone()[0]
        extra["server_settings"] = settings_of
    mem0 = rss_mb()
    started = time.perf_counter()
    outcome = engine.rebuild(lambda i, n, label: progress(f"rebuild {i}/{n} {label}") if args.scale == "national" else None)
    rebuild_s = time.perf_counter() - started
    extra["aggregate_rows"] = outcome["rows"]
    floor_s, floor_rows = floor_database()
    results.append(Measurement("full rebuild (all aggregates, swapped in)", rebuild_s * 1000, floor_s * 1000,
                               note=f"{outcome['rows']:,} rows; floor: hand-written SQL, {floor_rows:,} rows, same database"))
    extra["rebuild_s"], extra["floor_db_s"], extra["floor_db_rows"] = rebuild_s, floor_s, floor_rows
    extra["rss_after_rebuild_mb"] = rss_mb()
    progress(f"rebuild {rebuild_s:.1f} s, floor {floor_s:.1f} s")

    # Incremental: one county's values change.
    county = OrgUnit.objects.get(pk=info["counties"][7])
    year = str(FIRST_YEAR + scale["years"] - 1)
    ind = Indicator.objects.get(code="Y001")

    def change(filter_kwargs) -> list:
        keys = list(DataValue.objects.filter(unit=county, **filter_kwargs).order_by().values_list("indicator_id", "unit_id", "period").distinct())
        DataValue.objects.filter(unit=county, **filter_kwargs).update(value=12345.0)
        return keys

    one_keys = change({"indicator": ind, "period": year})
    started = time.perf_counter()
    with transaction.atomic():
        engine.refresh(one_keys)
    one_s = time.perf_counter() - started
    all_keys = change({"period__startswith": year})
    started = time.perf_counter()
    with transaction.atomic():
        engine.refresh(all_keys)
    all_s = time.perf_counter() - started
    results.append(Measurement("incremental refresh: one county, one indicator-period", one_s * 1000, None,
                               note=f"{len(one_keys)} key"))
    results.append(Measurement(f"incremental refresh: one county, every indicator of {year}", all_s * 1000, None,
                               note=f"{len(all_keys)} keys (incl. quarters)"))
    extra["incremental_one_s"], extra["incremental_county_year_s"] = one_s, all_s

    # API
    top = ["MOE"] + info["provinces"][:5] + list(OrgUnit.objects.filter(depth=2).values_list("code", flat=True)[:10]) \
        + list(OrgUnit.objects.filter(depth=3).values_list("code", flat=True)[:20])
    p50, p95 = api_latency(info, "bench_admin", top, args.requests)
    mine = [first_province.code] + list(OrgUnit.objects.filter(path__startswith=first_province.path, depth__gte=2)
                                        .values_list("code", flat=True)[:20])
    pp50, pp95 = api_latency(info, "bench_province", mine, args.requests)
    results.append(Measurement("API GET /api/v1/analytics, ministry (p50)", p50, None, note=f"p95 {p95:.1f} ms"))
    results.append(Measurement("API GET /api/v1/analytics, a province user (p50)", pp50, None, note=f"p95 {pp95:.1f} ms"))
    extra.update(api_p50_ms=p50, api_p95_ms=p95, api_province_p50_ms=pp50, api_province_p95_ms=pp95)

    extra["peak_rss_ours_mb"] = rss_mb()  # max RSS so far: ours only, before DuckDB runs in this process
    if not args.skip_duckdb:
        try:
            with tempfile.TemporaryDirectory() as tmp:
                duck_s, duck_rows, duck_mb = floor_duckdb(tmp)
            results.append(Measurement("floor in DuckDB (same statement, same rows)", duck_s * 1000, None,
                                       note=f"{duck_rows:,} rows; in-process, RSS +{duck_mb:.0f} MB"))
            extra.update(floor_duckdb_s=duck_s, floor_duckdb_rows=duck_rows, duckdb_rss_growth_mb=duck_mb)
        except ImportError:
            extra["floor_duckdb_s"] = None
            print("(duckdb not installed: pip install 'luoshi[bench]')", file=sys.stderr)
    extra["peak_rss_mb"] = rss_mb()
    extra["load_average_end"] = os.getloadavg()
    extra["rss_before_rebuild_mb"] = mem0

    print(f"Analytics at scale '{args.scale}' on {vendor}: {info['units']:,} units, {info['indicators']} indicators, "
          f"{info['periods']} periods, {info['values']:,} values → {outcome['rows']:,} aggregates\n")
    print(TABLE_HEAD)
    for m in results:
        print(m.row())
    print(f"\npeak memory of ours (max RSS before the DuckDB floor): {extra['peak_rss_ours_mb']:.0f} MB")
    print(f"peak memory of the benchmark process at the end (DuckDB included): {extra['peak_rss_mb']:.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps({"measurements": [m.__dict__ for m in results], **extra}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
