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


TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # fields from the 3rd on (state, ppid, …)


def proc_cpu(pid: int | None, *, children: bool = False) -> float:
    """CPU seconds (user + system) a process has used; with ``children``, also its waited-for children's."""
    if pid is None:
        return 0.0
    try:
        f = _stat(pid)
    except (OSError, ValueError):
        return 0.0
    ticks = int(f[11]) + int(f[12]) + ((int(f[13]) + int(f[14])) if children else 0)
    return ticks / TICK


def server_cpu() -> float | None:
    """CPU seconds used so far on the PostgreSQL server whose data dir is ``LUOSHI_BENCH_PG_DATA``, for this database.

    The live processes serving the benchmark's database (backends named after it, and parallel
    workers of those backends) plus, through the postmaster's children counters, every process
    of that server that already ended (parallel workers, autovacuum): so meaningful when nothing
    else on that server starts and ends processes meanwhile.
    """
    data = os.environ.get("LUOSHI_BENCH_PG_DATA")
    if not data:
        return None
    from django.db import connection

    name = connection.settings_dict["NAME"]
    try:
        master = int(Path(data, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    total = proc_cpu(master, children=True) - proc_cpu(master)
    titles = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == master:
                    titles[int(entry.name)] = Path(entry, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, ValueError, IndexError):
                continue
    ours = {pid for pid, title in titles.items() if f" {name} " in title}
    for pid, title in titles.items():
        if pid in ours or any(f"parallel worker for PID {leader}" in title for leader in ours):
            total += proc_cpu(pid)
    return total


def self_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def jvm_pid(spark) -> int | None:
    try:
        return spark.sparkContext._gateway.proc.pid
    except AttributeError:
        return None


def fresh_jvm() -> None:
    """End the JVM that pyspark started, so the next run starts cold with its own settings and memory peak."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    if gateway is None:
        return
    proc = getattr(gateway, "proc", None)
    gateway.shutdown()
    if proc is not None:
        proc.stdin.close()  # the JVM exits when its stdin closes
        try:
            proc.wait(60)
        except Exception:  # noqa: BLE001 - not ours to wait on forever
            proc.kill()
    SparkContext._gateway = None
    SparkContext._jvm = None


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
    parser.add_argument("--database-last", action="store_true", help="run the database engine after the Spark runs")
    args = parser.parse_args()
    vendor = setup_django("spark", flush=not args.reuse)

    def progress(msg: str) -> None:
        print(f"  {time.strftime('%H:%M:%S', time.gmtime())} … {msg}", file=sys.stderr, flush=True)

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

    def record(name: str, workers: int, seconds: float, rows: int, peak: float, jvm: float | None, cpu: dict) -> None:
        item = {"engine": name, "workers": workers, "values": values, "aggregate_rows": rows, "seconds": round(seconds, 2),
                **{k: (None if v is None else round(v, 1)) for k, v in cpu.items()},
                "values_per_s": round(values / seconds), "rows_per_s": round(rows / seconds),
                "peak_rss_python_mb": round(peak), "peak_rss_jvm_mb": None if jvm is None else round(jvm),
                "scale": args.scale, "database": vendor, "cpus": os.cpu_count(),
                "spark_driver_memory": os.environ.get("LUOSHI_SPARK_DRIVER_MEMORY", "1g") if workers or name != "database" else None,
                "load_after": [round(x, 2) for x in os.getloadavg()],
                "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        out.append(item)
        save()
        progress(json.dumps(item))

    def cpu_since(before: dict, jvm: int | None = None) -> dict:
        now = cpu_now(jvm)
        out = {k: (None if now[k] is None or before[k] is None else now[k] - before[k]) for k in now}
        out["cpu_s_total"] = sum(v for v in out.values() if v is not None)
        return out

    def cpu_now(jvm: int | None = None) -> dict:
        return {"cpu_s_python": self_cpu(), "cpu_s_jvm": proc_cpu(jvm) if jvm else None, "cpu_s_postgres": server_cpu()}

    def database() -> None:
        before = cpu_now()
        started = time.perf_counter()
        result = engine.rebuild(lambda i, n, label: progress(f"database {i}/{n} {label}"))
        seconds = time.perf_counter() - started
        record("database", 0, seconds, result["rows"], BA.rss_mb(), None, cpu_since(before))

    if not args.no_database and not args.database_last:
        database()
    runs = [(f"local[{int(w)}]", int(w), "spark") for w in args.workers.split(",") if w.strip()]
    runs += [(m.split("=")[0], int(m.split("=")[1]) if "=" in m else 0, "spark-cluster") for m in args.master]
    for master, n, name in runs:
        before = cpu_now()
        started = time.perf_counter()
        session = spark.session(master, app_name=f"luoshi-bench-{n}")  # the JVM start is part of the run
        try:
            before["cpu_s_jvm"] = 0.0  # a new JVM: all its CPU is this run's
            result = spark.rebuild(lambda i, n, label: progress(f"{master} {i}/{n} {label}"), spark=session)
            seconds = time.perf_counter() - started
            record(name, n, seconds, result["rows"], BA.rss_mb(), jvm_peak_mb(session),
                   cpu_since(before, jvm_pid(session)))
        finally:
            session.stop()
            fresh_jvm()
    if not args.no_database and args.database_last:
        database()
    save()
    print(f"{'engine':<10} {'workers':>7} {'values':>12} {'seconds':>9} {'values/s':>10} {'rows/s':>10} {'RSS py':>7} {'RSS jvm':>8}")
    for r in out:
        print(f"{r['engine']:<10} {r['workers']:>7} {r['values']:>12,} {r['seconds']:>9.1f} {r['values_per_s']:>10,} "
              f"{r['rows_per_s']:>10,} {r['peak_rss_python_mb']:>7} {r['peak_rss_jvm_mb'] or '-':>8}")
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
