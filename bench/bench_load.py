"""Throughput under load: the main pages served by ``luoshi serve --workers 4`` on the demo data.

Bounded and self-stopping, loopback only. It prepares a data directory with ``luoshi demo
--no-serve`` (SQLite, or PostgreSQL with ``LUOSHI_BENCH_DATABASE_URL``), starts the server on a
free 127.0.0.1 port, logs in the demo users and then measures, with a small threaded HTTP client
of its own (keep-alive connections, one per simulated user):

1. **Saturation**, per page: ``--clients`` users requesting the page back to back for
   ``--seconds``; requests per second, p50 and p95. The floor is a static file served by the
   same server (WhiteNoise, same middleware chain up to it).
2. **Thinking users**: ``--users`` users (50) each requesting a random main page and then
   pausing 1–3 s, for ``--think-seconds``; p50 and p95 per page and overall, and any errors.

Each saturation row also gives the CPU time per request of the server's processes and of the
PostgreSQL backends serving the database (from ``/proc``, after the log-ins), so that what a page
costs can be told apart from what the machine's load did to its wall time.

Usage: ``python bench/bench_load.py [--json OUT] [--clients 16] [--seconds 8] [--users 50]
[--think-seconds 30] [--workers 4] [--threads 4]``. The server is stopped (by its process id)
whatever happens.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LUOSHI = str(Path(sys.executable).parent / "luoshi")
USERS = ["ministry_planner", "ministry_reviewer", "beijing_reporter", "beijing_reviewer", "beijing_planner",
         "shanghai_reporter", "shanghai_reviewer", "auditor", "ministry_reporter", "shanghai_planner"]
PASSWORD = "luoshi-demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUOSHI_") or k == "LUOSHI_BENCH_DATABASE_URL"}
    env.update({"LUOSHI_DATA_DIR": data_dir, "LUOSHI_LOGIN_RATE_LIMIT": "false", "LUOSHI_LANGUAGE": "zh-hans",
                "PYTHONPATH": str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")})
    env.pop("LUOSHI_BENCH_DATABASE_URL", None)
    url = os.environ.get("LUOSHI_BENCH_DATABASE_URL")
    if url:
        env["LUOSHI_DATABASE_URL"] = url
    return env


class Session:
    """One simulated user: a keep-alive connection and the session cookie."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError, TimeoutError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def login(self, username: str) -> None:
        status, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        body = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
        status, _ = self.request("POST", "/accounts/login/", body,
                                 {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}/accounts/login/"})
        if status != 302:
            raise RuntimeError(f"log-in of {username} failed ({status})")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def saturate(port: int, path: str, clients: int, seconds: float, logged_in: bool = True, measure=None) -> dict:
    times: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    sessions = []
    for n in range(clients):
        s = Session(port)
        if logged_in:
            s.login(USERS[n % len(USERS)])
        sessions.append(s)
    cpu0 = measure() if measure else None
    client0 = time.process_time()
    stop = time.monotonic() + seconds
    start = time.monotonic()

    def run(s: Session) -> None:
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            status, _ = s.request("GET", path)
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                times.append(elapsed)
                if status >= 400:
                    errors.append(status)

    threads = [threading.Thread(target=run, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    client_cpu = time.process_time() - client0
    result = {"path": path, "requests": len(times), "rps": len(times) / wall, "p50": percentile(times, 50),
              "p95": percentile(times, 95), "errors": len(errors),
              "client_cpu_ms": client_cpu * 1000 / max(1, len(times))}
    if measure and times:
        cpu1 = measure()
        result["server_cpu_ms"] = cpu_used(cpu0, cpu1, "server") * 1000 / len(times)
        result["db_cpu_ms"] = cpu_used(cpu0, cpu1, "database") * 1000 / len(times)
    return result


def thinking(port: int, pages: dict[str, str], users: int, seconds: float) -> dict:
    times: dict[str, list[float]] = {name: [] for name in pages}
    errors: list[tuple[str, int]] = []
    lock = threading.Lock()
    sessions = []
    for n in range(users):
        s = Session(port)
        s.login(USERS[n % len(USERS)])
        sessions.append(s)
    stop = time.monotonic() + seconds
    start = time.monotonic()

    def run(s: Session, seed: int) -> None:
        rng = random.Random(seed)
        time.sleep(rng.uniform(0, 2))  # users arrive spread out
        while time.monotonic() < stop:
            name = rng.choice(list(pages))
            t0 = time.perf_counter()
            status, _ = s.request("GET", pages[name])
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                times[name].append(elapsed)
                if status >= 400:
                    errors.append((name, status))
            time.sleep(rng.uniform(1, 3))

    threads = [threading.Thread(target=run, args=(s, n)) for n, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    everything = [t for values in times.values() for t in values]
    return {"users": users, "requests": len(everything), "rps": len(everything) / wall,
            "p50": percentile(everything, 50), "p95": percentile(everything, 95), "errors": len(errors),
            "pages": {name: {"requests": len(v), "p50": percentile(v, 50), "p95": percentile(v, 95)} for name, v in times.items()}}


def prepare(data_dir: str) -> None:
    done = subprocess.run([LUOSHI, "demo", "--no-serve"], env=env_for(data_dir), capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])


def main_pages(port: int) -> dict[str, str]:
    s = Session(port)
    s.login("ministry_planner")
    status, listing = s.request("GET", "/plans/")
    ids = [int(x) for x in re.findall(rb'href="/plans/(\d+)/"', listing)]
    plan = max(set(ids), key=ids.count) if ids else 1
    return {"home": "/", "my work": "/plans/my-work/", "plan page": f"/plans/{plan}/",
            "plan page, filtered": f"/plans/{plan}/?light=red", "supervision": "/plans/supervision/"}


def process_cpu(server_pid: int, database: str | None) -> dict[tuple[str, int], float]:
    """CPU seconds (user + system) used so far by each of the server's processes (its own session:
    the gunicorn master and workers) and each PostgreSQL backend serving ``database`` on this host
    (none for SQLite), keyed by ("server" or "database", process id)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[tuple[str, int], float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            used = (int(fields[11]) + int(fields[12])) / tick
            if int(fields[3]) == server_pid:
                found["server", int(entry.name)] = used
            elif database:
                command = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
                if command.startswith("postgres: ") and f" {database} " in command:
                    found["database", int(entry.name)] = used
        except (OSError, IndexError, ValueError):
            continue
    return found


def cpu_used(before: dict, after: dict, kind: str) -> float:
    """CPU seconds of ``kind`` processes between two ``process_cpu`` readings. A process that exited
    in between is missing from ``after`` and its share is lost (a backend closed by
    ``CONN_MAX_AGE``): the figure is a lower bound."""
    return sum(used - before.get(key, 0.0) for key, used in after.items() if key[0] == kind)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--think-seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="threads per server worker")
    parser.add_argument("--data-dir", help="reuse a prepared data directory (kept afterwards)")
    parser.add_argument("--no-prepare", action="store_true",
                        help="with --data-dir: the data (and the PostgreSQL database) is already prepared")
    args = parser.parse_args()

    data_dir = args.data_dir or tempfile.mkdtemp(prefix="luoshi-load-")
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    if not args.data_dir or not any(Path(data_dir).iterdir()):
        prepare(data_dir)
    elif os.environ.get("LUOSHI_BENCH_DATABASE_URL") and not args.no_prepare:
        prepare(data_dir)
    port = free_port()
    server = subprocess.Popen([LUOSHI, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
                               "--threads", str(args.threads)],
                              env=env_for(data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start: " + (server.stderr.read() if server.stderr else ""))
                time.sleep(0.3)
        pages = main_pages(port)
        url = os.environ.get("LUOSHI_BENCH_DATABASE_URL")
        database = url.rsplit("/", 1)[-1].split("?")[0] if url else None

        def measure() -> dict:
            return process_cpu(server.pid, database)

        vendor = "PostgreSQL" if os.environ.get("LUOSHI_BENCH_DATABASE_URL") else "SQLite"
        result = {"database": vendor, "workers": args.workers, "threads": args.threads, "load_before": load_average(), "saturation": [], "thinking": None}
        # Warm up every worker.
        for path in pages.values():
            saturate(port, path, 4, 1.0)
        floor = saturate(port, "/static/luoshi/app.css", args.clients, args.seconds, logged_in=False, measure=measure)
        floor["name"] = "floor: static file"
        result["saturation"].append(floor)
        for name, path in pages.items():
            measured = saturate(port, path, args.clients, args.seconds, measure=measure)
            measured["name"] = name
            result["saturation"].append(measured)
        result["thinking"] = thinking(port, {k: v for k, v in pages.items()}, args.users, args.think_seconds)
        result["load_after"] = load_average()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)

    print(f"{result['database']}, luoshi serve --workers {result['workers']} --threads {result['threads']}, load average {result['load_before']} → {result['load_after']}")
    print(f"\n| saturation ({args.clients} clients, no pause, {args.seconds:.0f} s) | requests/s | p50 ms | p95 ms | errors "
          "| server CPU ms/request | database CPU ms/request | client CPU ms/request |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in result["saturation"]:
        print(f"| {row['name']} | {row['rps']:.1f} | {row['p50']:.0f} | {row['p95']:.0f} | {row['errors']} "
              f"| {row.get('server_cpu_ms', float('nan')):.1f} | {row.get('db_cpu_ms', float('nan')):.1f} | {row.get('client_cpu_ms', float('nan')):.1f} |")
    t = result["thinking"]
    print(f"\n| {t['users']} users, 1–3 s think time, {args.think_seconds:.0f} s | requests | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    for name, row in t["pages"].items():
        print(f"| {name} | {row['requests']} | {row['p50']:.0f} | {row['p95']:.0f} |")
    print(f"| all pages ({t['rps']:.1f} requests/s, {t['errors']} errors) | {t['requests']} | {t['p50']:.0f} | {t['p95']:.0f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
