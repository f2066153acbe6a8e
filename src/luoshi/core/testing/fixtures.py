"""pytest fixtures shared by every domain (loaded by the root ``conftest.py``).

The standing world (``luoshi.core.testing.world``) is built once per session into the test
database; each ordinary test runs in a transaction that is rolled back, so tests see the
same world and cannot disturb each other. A transactional test (``live_server``) flushes
the database afterwards; the ``world`` fixture rebuilds it when it is missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from luoshi.core.testing.world import World, build_world, world_is_built

REPO_ROOT = Path(__file__).resolve().parents[4]
TEST_OUTPUT = REPO_ROOT / "test-output"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with the standing world loaded once."""
    with django_db_blocker.unblock():
        build_world()


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
