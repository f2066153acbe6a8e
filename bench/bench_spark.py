"""The analytics rebuild on the database engine beside the Spark engine with 1 and 2 local workers.

Same synthetic data set as ``bench_analytics.py`` (``--scale reduced|national``; ``school`` is
the national tree with about twice as many yearly indicators, ≥ 20 M values: hours on a small
machine; ``regional`` is four provinces of the national tree with the national indicators,
≈ 1.7 M values). ``--build-only`` writes the data set once; ``--reuse`` measures on it later
(``--no-database`` / ``--workers`` choose the engines; runs of earlier invocations on the same
data set are kept in the JSON, each with its finishing time and load average). For each engine: wall time of the full rebuild (snapshot, compute, load, index,
swap), aggregate rows per second and values per second, and peak memory (max RSS of this
Python process; for Spark also of the driver JVM, in which ``local[N]`` executors run).

Run: ``python bench/bench_spark.py --scale reduced [--workers 1,2] [--json-dir bench/results]``,
on PostgreSQL with ``LUOSHI_BENCH_DATABASE_URL=postgresql://…`` (``make bench-spark``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_analytics as BA  # noqa: E402
from common import setup_django  # noqa: E402

SCALES = dict(BA.SCALES)
SCALES["school"] = {**BA.SCALES["national"], "yearly": 420, "cat": 40}
# a middle size: four provinces of the national tree, the national indicator set (≈ 1.7 M values)
SCALES["regional"] = {**BA.SCALES["national"], "provinces": 4}


def jvm_peak_mb(spark) -> float | None:
    try:
        pid = spark.sparkContext._gateway.proc.pid
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (AttributeError, OSError, ValueError):
        return None
    return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default=os.environ.get("LUOSHI_BENCH_SCALE", "reduced"), choices=sorted(SCALES))
    parser.add_argument("--workers", default="1,2", help="Spark local[N] sizes to run, comma-separated")
    parser.add_argument("--master", action="append", default=[],
                        help="also run on this Spark master (e.g. spark://127.0.0.1:7077 of `luoshi spark-local`); "
                             "give it as URL=WORKERS to label the run")
    parser.add_argument("--json-dir", default=str(Path(__file__).resolve().parent / "results"))
    parser.add_argument("--build-only", action="store_true", help="write the data set and stop (measure later with --reuse)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data set already in LUOSHI_BENCH_DATABASE_URL (from --build-only) instead of a new one")
    parser.add_argument("--no-database", action="store_true", help="skip the database engine's rebuild")
    args = parser.parse_args()
    vendor = setup_django("spark", flush=not args.reuse)

    def progress(msg: str) -> None:
        print(f"  … {msg}", file=sys.stderr, flush=True)

    from luoshi.analytics import engine, spark
    from luoshi.indicators.models import DataValue
    from luoshi.orgs.models import OrgUnit

    if args.reuse and DataValue.objects.exists():
        info = {"values": DataValue.objects.count(), "units": OrgUnit.objects.count()}
        progress(f"reusing {info['values']:,} values of {info['units']:,} units")
    else:
        info = BA.build(SCALES[args.scale], progress)
    if args.build_only:
        return 0
    values = info["values"]
    out = []
    directory = Path(args.json_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"spark-{args.scale}-{vendor}.json"

    earlier = []
    if args.reuse and path.exists():  # runs of an earlier invocation on the same data set are kept
        old = json.loads(path.read_text())
        earlier = old.get("runs", []) if old.get("values") == values else []

    def save() -> None:  # after every run, so a long benchmark stopped midway keeps what it measured
        mine = {(r["engine"], r["workers"]) for r in out}
        runs = [r for r in earlier if (r["engine"], r["workers"]) not in mine] + out
        path.write_text(json.dumps({"values": values, "units": info["units"], "runs": runs}, indent=1))

    def record(name: str, workers: int, seconds: float, rows: int, peak: float, jvm: float | None) -> None:
        item = {"engine": name, "workers": workers, "values": values, "aggregate_rows": rows, "seconds": round(seconds, 2),
                "values_per_s": round(values / seconds), "rows_per_s": round(rows / seconds),
                "peak_rss_python_mb": round(peak), "peak_rss_jvm_mb": None if jvm is None else round(jvm),
                "scale": args.scale, "database": vendor, "cpus": os.cpu_count(),
                "load_after": [round(x, 2) for x in os.getloadavg()],
                "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        out.append(item)
        save()
        progress(json.dumps(item))

    if not args.no_database:
        started = time.perf_counter()
        result = engine.rebuild(lambda i, n, label: progress(f"database {i}/{n} {label}"))
        record("database", 0, time.perf_counter() - started, result["rows"], BA.rss_mb(), None)
    runs = [(f"local[{int(w)}]", int(w), "spark") for w in args.workers.split(",") if w.strip()]
    runs += [(m.split("=")[0], int(m.split("=")[1]) if "=" in m else 0, "spark-cluster") for m in args.master]
    for master, n, name in runs:
        session = spark.session(master, app_name=f"luoshi-bench-{n}")
        try:
            started = time.perf_counter()
            result = spark.rebuild(lambda i, n, label: progress(f"{master} {i}/{n} {label}"), spark=session)
            seconds = time.perf_counter() - started
            record(name, n, seconds, result["rows"], BA.rss_mb(), jvm_peak_mb(session))
        finally:
            session.stop()
    save()
    print(f"{'engine':<10} {'workers':>7} {'values':>12} {'seconds':>9} {'values/s':>10} {'rows/s':>10} {'RSS py':>7} {'RSS jvm':>8}")
    for r in out:
        print(f"{r['engine']:<10} {r['workers']:>7} {r['values']:>12,} {r['seconds']:>9.1f} {r['values_per_s']:>10,} "
              f"{r['rows_per_s']:>10,} {r['peak_rss_python_mb']:>7} {r['peak_rss_jvm_mb'] or '-':>8}")
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
