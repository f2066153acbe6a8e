"""Shared helpers for the benchmarks: a throwaway database, timing and reporting."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def setup_django(name: str, *, flush: bool = True) -> str:
    """Point Luoshi at a fresh database (SQLite in a temp folder unless LUOSHI_BENCH_DATABASE_URL) and migrate.

    ``flush=False`` keeps what the database holds (a data set built by an earlier run).
    """
    data_dir = tempfile.mkdtemp(prefix=f"luoshi-bench-{name}-")
    os.environ["LUOSHI_DATA_DIR"] = data_dir
    os.environ["LUOSHI_LOGIN_RATE_LIMIT"] = "false"
    os.environ["LUOSHI_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
    url = os.environ.get("LUOSHI_BENCH_DATABASE_URL", "")
    if url:
        os.environ["LUOSHI_DATABASE_URL"] = url
    else:
        os.environ.pop("LUOSHI_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if url and flush:
        call_command("flush", interactive=False, verbosity=0) if _has_tables() else None
    call_command("migrate", interactive=False, verbosity=0)
    return connection.vendor


def _has_tables() -> bool:
    from django.db import connection

    return "orgs_orgunit" in connection.introspection.table_names()


@dataclass
class Measurement:
    name: str
    ours_ms: float
    floor_ms: float | None
    queries: int | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    def row(self) -> str:
        floor = f"{self.floor_ms:.1f}" if self.floor_ms is not None else "—"
        ratio = f"{self.ours_ms / self.floor_ms:.1f}×" if self.floor_ms else "—"
        queries = "" if self.queries is None else str(self.queries)
        return f"| {self.name} | {self.ours_ms:.1f} | {floor} | {ratio} | {queries} | {self.note} |"


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time in milliseconds over ``repeat`` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def count_queries(fn: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


TABLE_HEAD = "| measurement | ours (ms) | floor (ms) | ours / floor | queries | note |\n|---|---:|---:|---:|---:|---|"
