"""pytest fixtures shared by every domain (loaded by the root ``conftest.py``).

The standing world (``luoshi.core.testing.world``) is built once per session into the test
database; each ordinary test runs in a transaction that is rolled back, so tests see the
same world and cannot disturb each other. A transactional test (``live_server``) flushes
the database afterwards; the ``world`` fixture rebuilds it when it is missing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from luoshi.core.testing.world import World, build_world, world_is_built

REPO_ROOT = Path(__file__).resolve().parents[4]
TEST_OUTPUT = REPO_ROOT / "test-output"


# Mutation runs (scripts/mutation.py) start one short pytest session per mutant, forked from a
# process that has imported everything. Building the test database and the standing world costs
# ~13 s of CPU a session, far more than the few tests a mutant needs, so such runs set
# LUOSHI_TEST_DB_PREPARED to a file path: the first session builds the database there once (under
# a lock), and every session, the first included, works on a private copy of it (SQLite only).
PREPARED_DB_ENV = "LUOSHI_TEST_DB_PREPARED"


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_blocker):
    """The test database, with the standing world loaded once."""
    prepared = os.environ.get(PREPARED_DB_ENV)
    if prepared:
        request.getfixturevalue("django_test_environment")
        yield from _prepared_database(Path(prepared), django_db_blocker)
        return
    request.getfixturevalue("django_db_setup")  # pytest-django's: creates the test database
    with django_db_blocker.unblock():
        build_world()
    yield


def _prepared_database(template: Path, django_db_blocker):
    import fcntl
    import sqlite3

    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases

    if connections["default"].vendor != "sqlite":
        raise pytest.UsageError(f"{PREPARED_DB_ENV} works with SQLite only (unset LUOSHI_DATABASE_URL)")
    template.parent.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        with open(template.with_name(template.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not template.exists():
                building = template.with_name(f"{template.name}.building-{os.getpid()}")
                connections["default"].settings_dict.setdefault("TEST", {})["NAME"] = str(building)
                setup_databases(verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set())
                build_world()
                connections.close_all()
                _sqlite_copy(sqlite3, building, template)
                for path in building.parent.glob(building.name + "*"):
                    path.unlink()
        copy = template.with_name(f"{template.stem}-{os.getpid()}.sqlite3")
        _sqlite_copy(sqlite3, template, copy)
        connections.close_all()
        settings.DATABASES["default"]["NAME"] = str(copy)
        connections["default"].settings_dict["NAME"] = str(copy)
    try:
        yield
    finally:
        connections.close_all()
        for path in copy.parent.glob(copy.name + "*"):
            path.unlink(missing_ok=True)


def _sqlite_copy(sqlite3, source: Path, target: Path) -> None:
    """A consistent copy of an SQLite database (whatever its journal mode)."""
    target.unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


# Pages and messages are asserted in English, the source language, so that tests do not
# depend on the state of the Chinese catalogue; clients ask for it like a browser would.
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _english_messages():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty shared cache (navigation badges): test databases reuse ids."""
    from django.core.cache import cache

    cache.clear()
    yield


CPU_SECONDS = 10


@pytest.fixture
def endless_loops_fail():
    """For tests that need milliseconds: one that spends CPU_SECONDS of CPU time is in an endless
    loop (a mutant of a walk, ``start -= 1`` made ``start = 1``) and fails, so mutation testing
    counts the mutant killed rather than timed out (issue 13). A module asks for it with
    ``pytestmark = pytest.mark.usefixtures("endless_loops_fail")`` (intake, indicators' formulas).

    CPU time, not wall time: on the shared machine a paused or starved process must not fail
    (the reason the mutation driver does not count mutmut's timeouts as kills). User and system
    time together (``ITIMER_PROF``): in mutmut's forked workers on this machine the kernel counted
    all of a worker's time as system time, so a user-time timer (``ITIMER_VIRTUAL``) never fired."""
    def endless(signum, frame):
        raise TimeoutError(f"more than {CPU_SECONDS} s of CPU time: an endless loop")

    previous = signal.signal(signal.SIGPROF, endless)
    signal.setitimer(signal.ITIMER_PROF, CPU_SECONDS)
    yield
    signal.setitimer(signal.ITIMER_PROF, 0)
    signal.signal(signal.SIGPROF, previous)


@pytest.fixture
def world(db) -> World:
    if not world_is_built():  # a transactional test flushed it
        build_world()
    return World()


@pytest.fixture
def login(world):
    """``login("beijing_reporter")`` → a test client with that user's session."""

    def _login(username: str | None) -> Client:
        client = Client(**ENGLISH)
        if username:
            client.force_login(world.user(username))
        return client

    return _login


@pytest.fixture
def api(world):
    """``api("shanghai_reporter")`` → a test client sending that user's fresh bearer token."""
    from luoshi.accounts import services as account_services

    def _api(username: str | None) -> Client:
        if not username:
            return Client(**ENGLISH)
        user = world.user(username)
        _token, raw = account_services.create_token(user, user, "test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", **ENGLISH)

    return _api


@pytest.fixture
def output_dir() -> Path:
    """``test-output/`` at the repository root: kept by CI as an artefact."""
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT


@pytest.fixture
def shots(output_dir) -> Path:
    """``test-output/browser/``: where browser tests leave their screenshots."""
    folder = output_dir / "browser"
    folder.mkdir(exist_ok=True)
    return folder


def luoshi_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment for a ``luoshi`` subprocess: no inherited ``LUOSHI_*``, its own data dir."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LUOSHI_") and k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env["LUOSHI_DATA_DIR"] = str(data_dir)
    env["LUOSHI_LANGUAGE"] = "en"  # output is asserted in English, as pages are (see ENGLISH)
    env.update(overrides)
    return env


def luoshi_bin() -> str:
    candidate = Path(sys.executable).parent / "luoshi"
    return str(candidate) if candidate.exists() else "luoshi"


def luoshi_runner(data_dir: Path):
    """A function running the real ``luoshi`` console script on a private SQLite database in ``data_dir``."""

    def _run(*args: str, env: dict[str, str] | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [luoshi_bin(), *args], env=luoshi_env(data_dir, **(env or {})), capture_output=True,
            text=True, timeout=timeout, cwd=data_dir, stdin=subprocess.DEVNULL,
        )

    return _run


@pytest.fixture
def run_luoshi(tmp_path):
    """Run the real ``luoshi`` console script on a private SQLite database in ``tmp_path``."""
    return luoshi_runner(tmp_path)
