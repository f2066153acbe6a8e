"""The analytics rebuild on the database engine beside the Spark engine with 1 and 2 local workers.

Same synthetic data set as ``bench_analytics.py`` (``--scale reduced|national``; ``school`` is
the national tree with about twice as many yearly indicators, ≥ 20 M values: hours on a small
machine). For each engine: wall time of the full rebuild (snapshot, compute, load, index,
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
    args = parser.parse_args()
    vendor = setup_django("spark")

    def progress(msg: str) -> None:
        print(f"  … {msg}", file=sys.stderr, flush=True)

    from luoshi.analytics import engine, spark

    info = BA.build(SCALES[args.scale], progress)
    values = info["values"]
    out = []

    def record(name: str, workers: int, seconds: float, rows: int, peak: float, jvm: float | None) -> None:
        item = {"engine": name, "workers": workers, "values": values, "aggregate_rows": rows, "seconds": round(seconds, 2),
                "values_per_s": round(values / seconds), "rows_per_s": round(rows / seconds),
                "peak_rss_python_mb": round(peak), "peak_rss_jvm_mb": None if jvm is None else round(jvm),
                "scale": args.scale, "database": vendor, "cpus": os.cpu_count()}
        out.append(item)
        progress(json.dumps(item))

    started = time.perf_counter()
    result = engine.rebuild()
    record("database", 0, time.perf_counter() - started, result["rows"], BA.rss_mb(), None)
    runs = [(f"local[{int(w)}]", int(w), "spark") for w in args.workers.split(",") if w.strip()]
    runs += [(m.split("=")[0], int(m.split("=")[1]) if "=" in m else 0, "spark-cluster") for m in args.master]
    for master, n, name in runs:
        session = spark.session(master, app_name=f"luoshi-bench-{n}")
        try:
            started = time.perf_counter()
            result = spark.rebuild(spark=session)
            seconds = time.perf_counter() - started
            record(name, n, seconds, result["rows"], BA.rss_mb(), jvm_peak_mb(session))
        finally:
            session.stop()
    directory = Path(args.json_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"spark-{args.scale}-{vendor}.json"
    path.write_text(json.dumps({"values": values, "units": info["units"], "runs": out}, indent=1))
    print(f"{'engine':<10} {'workers':>7} {'values':>12} {'seconds':>9} {'values/s':>10} {'rows/s':>10} {'RSS py':>7} {'RSS jvm':>8}")
    for r in out:
        print(f"{r['engine']:<10} {r['workers']:>7} {r['values']:>12,} {r['seconds']:>9.1f} {r['values_per_s']:>10,} "
              f"{r['rows_per_s']:>10,} {r['peak_rss_python_mb']:>7} {r['peak_rss_jvm_mb'] or '-':>8}")
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
