"""CPU time per request of the main pages, in-process: the Django process's CPU clock
(``time.process_time``) around each request through the test client and the whole middleware
chain, beside the PostgreSQL backend's CPU (from ``/proc``, same host) and the number of queries.

Usage (settings from the environment, as for ``luoshi``; GET requests only, but ``force_login``
writes each user's last log-in, so use a copy of the data):

    LUOSHI_DATABASE_URL=postgresql://…/copy PYTHONPATH=src python bench/page_cpu.py [--repeat 10]
        [--users a,b] [--pages home,plan] [--profile PAGE]

It prints, per page, the mean over the users of the lowest of ``--rounds`` rounds of ``--repeat``
requests (after warm-ups): server ms + database ms (queries). ``--profile PAGE`` prints a cProfile
(CPU clock) of that page's requests instead."""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import time

import django

USERS = ["ministry_planner", "ministry_reviewer", "beijing_reporter", "beijing_reviewer", "beijing_planner",
         "shanghai_reporter", "shanghai_reviewer", "auditor", "ministry_reporter", "shanghai_planner"]


def backend_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--users", default=",".join(USERS))
    parser.add_argument("--pages", default="home,my work,plan,filtered,supervision")
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    User = get_user_model()
    c0 = Client(HTTP_HOST="127.0.0.1")
    c0.force_login(User.objects.get(username="ministry_planner"))
    ids = [int(x) for x in re.findall(rb'href="/plans/(\d+)/"', c0.get("/plans/").content)]
    plan = max(set(ids), key=ids.count)
    all_pages = {"home": "/", "my work": "/plans/my-work/", "plan": f"/plans/{plan}/",
                 "filtered": f"/plans/{plan}/?light=red", "supervision": "/plans/supervision/"}
    pages = {name: all_pages[name] for name in args.pages.split(",")}
    users = args.users.split(",")
    clients = {}
    for u in users:
        c = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans")
        c.force_login(User.objects.get(username=u))
        clients[u] = c
    pid = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
    if args.profile:
        path = pages[args.profile]
        for c in clients.values():
            for _ in range(3):
                c.get(path)
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        for c in clients.values():
            for _ in range(args.repeat):
                c.get(path)
        prof.disable()
        pstats.Stats(prof).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(int(os.environ.get("PROFILE_LINES", "60")))
        return 0
    results = {name: {} for name in pages}
    for name, path in pages.items():
        for u, c in clients.items():
            for _ in range(3):
                assert c.get(path).status_code == 200, (u, path)
            q = []
            with connection.execute_wrapper(lambda execute, sql, params, many, context: (q.append(sql), execute(sql, params, many, context))[1]):
                c.get(path)
            best = None
            for _ in range(args.rounds):
                d0, t0 = backend_cpu(pid), time.process_time()
                for _ in range(args.repeat):
                    c.get(path)
                t1, d1 = time.process_time(), backend_cpu(pid)
                got = ((t1 - t0) * 1000 / args.repeat, (d1 - d0) * 1000 / args.repeat)
                if best is None or sum(got) < sum(best):
                    best = got
            results[name][u] = (*best, len(q))
    for name, per_user in results.items():
        s = statistics.mean(v[0] for v in per_user.values())
        d = statistics.mean(v[1] for v in per_user.values())
        n = statistics.mean(v[2] for v in per_user.values())
        print(f"{name:12} {s:5.1f} + {d:4.1f} = {s + d:5.1f} ms ({n:.1f} queries)   "
              + " ".join(f"{u.split('_')[0][:3]}_{u.split('_')[-1][:3]}={v[0] + v[1]:.0f}/{v[2]}" for u, v in per_user.items()),
              flush=True)
    print("load", open("/proc/loadavg").read().split()[:3])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
