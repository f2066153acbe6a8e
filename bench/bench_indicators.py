"""Indicator import benchmark: one CSV of N values (1,000,000 for the figures in docs/performance.md).

Measures ``luoshi data import`` (``imports.import_values``: stream, check, stage, set-based
checks, batched apply) next to the floor, the database's own bulk load of the same rows into
the same table: ``executemany`` in one transaction on SQLite, ``COPY`` on PostgreSQL (both read a
CSV file of the same rows with ids already resolved, the importing user and an import tag
included, as the importer writes them). Reports values per second and the peak memory growth of
the process for a file a tenth of the size and for the whole file (streamed: the two should be
close). ``--floor-breakdown`` (PostgreSQL) also times the floor with the foreign keys and
indexes left out, in rolled-back transactions, to show where its time goes.

Size: ``LUOSHI_BENCH_INDICATOR_VALUES`` (default 200,000 for ``make bench``; the documented run
used 1,000,000). PostgreSQL: ``LUOSHI_BENCH_DATABASE_URL=postgresql://…``.
Run: ``.venv/bin/python bench/bench_indicators.py [--json PATH] [--floor-breakdown]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import TABLE_HEAD, Measurement, setup_django  # noqa: E402

N_VALUES = int(os.environ.get("LUOSHI_BENCH_INDICATOR_VALUES", "200000"))
N_INDICATORS = 40
N_UNITS = 2500
TARGET_RATIO = 3.0
TARGET_PG_RATE = 50000
STAMP = "2026-12-03T00:00:00+00:00"
# The floor loads the rows the importer writes: with the importing user (a checked foreign key, as
# the indicator and the unit are) and an import tag.
FLOOR_COLUMNS = ("indicator_id, unit_id, period, value, text_value, comment, state, warnings, follow_up, updated_at,"
                 " entered_by_id, import_batch")
FLOOR_BATCH = "5f0c1c6e-8a6b-4c55-9a43-0d1f7b3f2a10"


def build(progress):
    from django.contrib.auth import get_user_model

    from luoshi.indicators.models import Indicator
    from luoshi.orgs.models import OrgUnit

    User = get_user_model()
    actor = User.objects.create_superuser("bench_admin", password="x")
    root = OrgUnit.objects.create(code="MOE", name="教育部", type="ministry", path="", depth=0)
    root.path = f"/{root.pk}/"
    root.save(update_fields=["path"])
    units = OrgUnit.objects.bulk_create([OrgUnit(code=f"U{i:05d}", name=f"单位{i}", type="county", parent=root, depth=1)
                                         for i in range(N_UNITS)])
    for u in units:
        u.path = f"{root.path}{u.pk}/"
    OrgUnit.objects.bulk_update(units, ["path"], batch_size=2000)
    indicators = Indicator.objects.bulk_create([
        Indicator(code=f"IND{i:02d}", name=f"指标{i}", owner_unit=root, value_type="number", periodicity="yearly")
        for i in range(N_INDICATORS)])
    progress(f"{N_UNITS + 1} units, {N_INDICATORS} indicators")
    return actor, [(u.code, u.pk) for u in units], [(i.code, i.pk) for i in indicators]


def write_files(folder: Path, units, indicators, n: int, first_year: int, name: str, actor_id: int) -> tuple[Path, Path]:
    """The import file (codes) and the floor's file (ids) of the same ``n`` rows."""
    ours, floor = folder / f"{name}.csv", folder / f"{name}-ids.csv"
    per_year = len(units) * len(indicators)
    with ours.open("w", newline="") as fo, floor.open("w", newline="") as ff:
        wo, wf = csv.writer(fo), csv.writer(ff)
        wo.writerow(["indicator", "org_unit", "period", "value"])
        written = 0
        year = first_year
        while written < n:
            for ucode, upk in units:
                for icode, ipk in indicators:
                    value = f"{(written * 7919) % 100000 / 100:.2f}"
                    wo.writerow([icode, ucode, year, value])
                    wf.writerow([ipk, upk, year, value, "", "", "draft", "[]", "false", STAMP, actor_id, FLOOR_BATCH])
                    written += 1
                    if written >= n:
                        break
                if written >= n:
                    break
            year += 1
            assert per_year
    return ours, floor


def floor_load(floor_file: Path) -> float:
    """The database's own bulk load of the rows into the values table; seconds."""
    from django.db import connection, transaction
    from django.utils import timezone

    from luoshi.indicators import imports

    table = "indicators_datavalue"
    now = timezone.now()
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({FLOOR_COLUMNS}) FROM STDIN"
                                    f" WITH (FORMAT csv, FORCE_NOT_NULL (text_value, comment))") as copy:
                with floor_file.open("rb") as fh:
                    while chunk := fh.read(1 << 20):
                        copy.write(chunk)
        else:
            cursor.execute(f"PRAGMA cache_size = -{imports.SQLITE_IMPORT_CACHE_KB}")  # the importer's cache, for fairness

            def rows():
                with floor_file.open(newline="") as fh:
                    for ind, unit, period, value, text, comment, state, warnings, _f, _stamp, user, tag in csv.reader(fh):
                        yield (int(ind), int(unit), period, float(value), text, comment, state, warnings, False, now,
                               int(user), tag.replace("-", ""))  # Django keeps a UUID as 32 hex digits on SQLite
            marks = ", ".join(["%s"] * len(FLOOR_COLUMNS.split(",")))
            cursor.executemany(f"INSERT INTO {table} ({FLOOR_COLUMNS}) VALUES ({marks})", rows())
    return time.perf_counter() - start


BREAKDOWN = [
    ("as in the schema", set()),
    ("without the foreign-key check of the importing user", {"fk_user"}),
    ("without the foreign-key checks", {"fk"}),
    ("without the unique key and (unit, period) indexes", {"idx"}),
    ("without both", {"fk", "idx"}),
    ("without both and the primary key (plain table)", {"fk", "idx", "pk"}),
]


def floor_breakdown(floor_file: Path, progress) -> list[dict]:
    """PostgreSQL: the floor's ``COPY`` again with parts of the schema left out, to show where its
    time goes. Each variant drops those parts inside a transaction that is rolled back, so the
    schema is unchanged afterwards; the deferred foreign-key checks are fired before the
    rollback (``SET CONSTRAINTS ALL IMMEDIATE``, what a commit does) and timed with the load."""
    from django.db import connection

    table = "indicators_datavalue"
    out = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT conname FROM pg_constraint WHERE conrelid = '{table}'::regclass AND contype = 'f'")
        fks = [name for (name,) in cursor.fetchall()]
        for label, leave_out in BREAKDOWN:
            cursor.execute(f"TRUNCATE {table}")
            cursor.execute("CHECKPOINT")
            cursor.execute("BEGIN")
            try:
                for fk in fks if "fk" in leave_out else [f for f in fks if "entered_by" in f] if "fk_user" in leave_out else []:
                    cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {fk}")
                if "idx" in leave_out:
                    cursor.execute("DROP INDEX datavalue_unique_key")
                    cursor.execute("DROP INDEX datavalue_unit_period_idx")
                if "pk" in leave_out:
                    cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey")
                cursor.execute("SELECT pg_current_wal_lsn()")
                wal_start = cursor.fetchone()[0]
                start = time.perf_counter()
                with cursor.cursor.copy(f"COPY {table} ({FLOOR_COLUMNS}) FROM STDIN"
                                        f" WITH (FORMAT csv, FORCE_NOT_NULL (text_value, comment))") as copy:
                    with floor_file.open("rb") as fh:
                        while chunk := fh.read(1 << 20):
                            copy.write(chunk)
                loaded = time.perf_counter()
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                done = time.perf_counter()
                cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [wal_start])
                wal_mb = float(cursor.fetchone()[0]) / 1048576
            finally:
                cursor.execute("ROLLBACK")
            row = {"variant": label, "copy_s": round(loaded - start, 2), "fk_checks_s": round(done - loaded, 2),
                   "total_s": round(done - start, 2), "values_per_s": round(N_VALUES / (done - start)),
                   "wal_mb": round(wal_mb)}
            progress(f"floor breakdown: {row}")
            out.append(row)
        cursor.execute(f"TRUNCATE {table}")
    return out


def clear_values() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE indicators_datavalue")
        else:
            cursor.execute("DELETE FROM indicators_datavalue")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 1048576


class PeakGrowth:
    """Samples the resident memory every 20 ms while the block runs; ``growth_mb``: peak − start."""

    def __enter__(self):
        self.start = rss_mb()
        self.peak = self.start
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, rss_mb())
        self.growth_mb = self.peak - self.start


def run(progress, breakdown: bool = False):
    from django.db import connection

    from luoshi.core.context import batch
    from luoshi.indicators import imports

    t0 = time.perf_counter()
    actor, units, indicators = build(progress)
    folder = Path(tempfile.mkdtemp(prefix="luoshi-bench-indicators-"))
    small_n = max(N_VALUES // 10, 1000)
    small, _small_floor = write_files(folder, units, indicators, small_n, 1900, "small", actor.pk)
    big, big_floor = write_files(folder, units, indicators, N_VALUES, 2000, "big", actor.pk)
    progress(f"files written ({big.stat().st_size // 1048576} MB) in {time.perf_counter() - t0:.1f} s")

    floor_s = floor_load(big_floor)
    progress(f"floor: {floor_s:.1f} s")
    clear_values()
    parts = floor_breakdown(big_floor, progress) if breakdown and connection.vendor == "postgresql" else []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE indicators_datavalue") if not connection.in_atomic_block else None

    with batch("import"), PeakGrowth() as mem_small:
        result_small = imports.import_values(actor, small)
    assert result_small.ok and result_small.created == small_n, result_small.summary()
    progress(f"small import ({small_n}) done, RSS {mem_small.start:.0f} MB, peak +{mem_small.growth_mb:.1f} MB")

    start = time.perf_counter()
    with batch("import"), PeakGrowth() as mem_big:
        result = imports.import_values(actor, big, progress=lambda *a: None)
    ours_s = time.perf_counter() - start
    assert result.ok and result.created == N_VALUES, (result.summary(), result.errors[:5])
    progress(f"ours: {ours_s:.1f} s, peak RSS +{mem_big.growth_mb:.1f} MB; phases {result.timings}")

    start = time.perf_counter()
    with batch("import"):
        again = imports.import_values(actor, big)
    again_s = time.perf_counter() - start
    assert again.ok and again.unchanged == N_VALUES and again.created == 0
    progress(f"again: {again_s:.1f} s; phases {again.timings}")

    rate = N_VALUES / ours_s
    results = [
        Measurement(f"import {N_VALUES:,} values (new)", ours_s * 1000, floor_s * 1000,
                    note=f"{rate:,.0f} values/s (floor {N_VALUES / floor_s:,.0f}/s)"),
        Measurement(f"import the same {N_VALUES:,} values again (nothing changes)", again_s * 1000, None,
                    note=f"{N_VALUES / again_s:,.0f} values/s"),
    ]
    meta = {"vendor": connection.vendor, "values": N_VALUES, "rate": round(rate), "floor_rate": round(N_VALUES / floor_s),
            "ratio": round(ours_s / floor_s, 2), "peak_rss_growth_mb_small": round(mem_small.growth_mb, 1),
            "peak_rss_growth_mb_full": round(mem_big.growth_mb, 1), "rss_start_mb": round(mem_small.start),
            "phases_s": {k: round(v, 2) for k, v in result.timings.items()}, "small_values": small_n,
            "again_phases_s": {k: round(v, 2) for k, v in again.timings.items()}, "floor_breakdown": parts}
    return meta, results


# Memory is "flat in file size" when the whole file grows the process by no more than a tenth of
# it does, plus SQLite's page cache for the import (a fixed 64 MB) and some slack.
MEMORY_SLACK_MB = 80


def targets(vendor: str, meta: dict) -> list[tuple[str, bool, str]]:
    """The issue's targets, each with whether this run met it."""
    out = [(f"within {TARGET_RATIO:g}x of the floor", meta["ratio"] <= TARGET_RATIO,
            f"{meta['ratio']}x: {meta['rate']:,} values/s against {meta['floor_rate']:,}/s")]
    if vendor == "postgresql":
        out.append((f"at least {TARGET_PG_RATE:,} values/s on PostgreSQL", meta["rate"] >= TARGET_PG_RATE,
                    f"{meta['rate']:,} values/s"))
    small, full = meta["peak_rss_growth_mb_small"], meta["peak_rss_growth_mb_full"]
    out.append(("memory flat in file size", full <= small + MEMORY_SLACK_MB,
                f"peak growth {small} MB for {meta['small_values']:,} values, {full} MB for {meta['values']:,}"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", help="write results here")
    parser.add_argument("--floor-breakdown", action="store_true",
                        help="PostgreSQL: also time the floor with foreign keys / indexes left out (rolled back)")
    args = parser.parse_args()
    vendor = setup_django("indicators")
    t0 = time.perf_counter()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    load_start = os.getloadavg()
    meta, results = run(lambda msg: print(f"  [{time.perf_counter() - t0:6.1f} s] {msg}", file=sys.stderr, flush=True),
                        breakdown=args.floor_breakdown)
    meta.update(started_utc=started, load_average_start=[round(x, 2) for x in load_start],
                load_average_end=[round(x, 2) for x in os.getloadavg()], total_s=round(time.perf_counter() - t0, 1))
    print(f"indicator import benchmark on {vendor}: {meta['values']:,} values; peak memory growth "
          f"{meta['peak_rss_growth_mb_small']} MB for {meta['small_values']:,} values, "
          f"{meta['peak_rss_growth_mb_full']} MB for {meta['values']:,}")
    print(TABLE_HEAD)
    for m in results:
        print(m.row())
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "results": [m.__dict__ for m in results]},
                                              ensure_ascii=False, indent=1, default=str))
    ok = True
    for name, met, detail in targets(vendor, meta):
        ok = ok and met
        print(f"target {name}: {'met' if met else 'NOT met'} ({detail})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
