"""Root pytest configuration: shared fixtures, fast password hashing, and skip policy.

* Fixtures (the standing world, logged-in clients, subprocess runner) live in
  ``luoshi.core.testing.fixtures``; the permission battery in ``luoshi.core.testing.battery``.
* ``browser`` tests skip without Chromium, except under ``LUOSHI_STRICT_TESTS=1`` (CI), where
  that skip is a failure. ``postgres`` tests skip on SQLite ("runs in the PostgreSQL pass");
  ``make test`` runs the suite again on PostgreSQL when ``LUOSHI_TEST_POSTGRES_URL`` is set.
* ``samples`` tests (real files kept outside the repository) skip without them, and fail under
  ``LUOSHI_STRICT_TESTS=1`` like browser and spark tests.
* Every test has a time limit (pytest-timeout, ``timeout`` in pyproject.toml); browser and spark
  tests get ``skips.LONG_TIMEOUT`` unless they set their own ``@pytest.mark.timeout``.
"""

from __future__ import annotations

import os
import socket

import pytest

from luoshi.core.testing import skips

# live_server and the ORM share the test's thread while Playwright runs an event loop in it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = ["luoshi.core.testing.fixtures"]

# Property tests explore new random examples on a developer's machine; in CI (CI=true) they are
# derandomised, so a build is reproducible and a new counterexample is found locally, where it is
# written down as a test of its own (see intake/tests/test_spam.py).
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI") == "true":
        _hypothesis_settings.load_profile("ci")
    # Mutation runs (scripts/mutation.py sets LUOSHI_MUTATION=1) time every worker themselves and
    # run niced on a shared machine: hypothesis's own timing checks (the 200 ms deadline, "input
    # generation is slow") would fail an unmutated test there and stop the module's run.
    if os.environ.get("LUOSHI_MUTATION") == "1":
        from hypothesis import HealthCheck as _HealthCheck

        _hypothesis_settings.register_profile(
            "mutation", parent=_hypothesis_settings.get_profile("ci" if os.environ.get("CI") == "true" else "default"),
            deadline=None, suppress_health_check=[_HealthCheck.too_slow])
        _hypothesis_settings.load_profile("mutation")
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings
    from django.contrib.auth import hashers

    # Hashing with Argon2 costs ~50 ms a password; tests do not need that strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    hashers.get_hashers.cache_clear()
    hashers.get_hashers_by_algorithm.cache_clear()
    # The shared file cache (navigation badges) would be shared by test runs started at once in
    # one checkout; each run keeps its own in memory (emptied before every test by a fixture).
    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "luoshi-tests"}}
    caches.__dict__.pop("settings", None)
    caches._settings = None
    # (Embedded mode has no STATIC_ROOT, so WhiteNoise has no collected folder to warn about.)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("timeout"):
        return
    for item in items:
        if item.get_closest_marker("timeout") is None and any(item.get_closest_marker(m) for m in skips.SLOW_MARKERS):
            item.add_marker(pytest.mark.timeout(skips.LONG_TIMEOUT))


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    db = settings.DATABASES["default"]
    return [
        f"luoshi: database {db['ENGINE'].rsplit('.', 1)[-1]}"
        f" ({db.get('HOST') or db['NAME']}), strict={'yes' if skips.strict() else 'no'},"
        f" browser={'unavailable: ' + reason if (reason := skips.chromium_missing()) else 'chromium'}"
        f", spark={'unavailable: ' + reason if (reason := skips.spark_missing()) else 'yes'}"
    ]


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and not skips.on_postgres():
        pytest.skip(skips.POSTGRES_SKIP_REASON)
    if item.get_closest_marker("browser") and (reason := skips.chromium_missing()):
        pytest.skip(reason)
    if item.get_closest_marker("spark") and (reason := skips.spark_missing()):
        pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and skips.strict() and (kind := next(
            (m for m in skips.STRICT_MARKERS if item.get_closest_marker(m)), None)):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = f"{skips.STRICT_ENV}=1: a {kind} test may not skip here ({reason})"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (Playwright's own browser download is not available here)."""
    return {**browser_type_launch_args, "executable_path": str(skips.CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A browser set up like our users': Chinese first (so the language switch is observable)."""
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory):
    """A function returning the tests' Spark session (one JVM for the whole run, stopped at the end).

    ``local[2]`` by default; with ``LUOSHI_TEST_SPARK_CLUSTER=1`` a local standalone cluster (a
    master and 2 workers on 127.0.0.1, ``luoshi.analytics.spark_local``) is started for the
    session and stopped whatever happens.
    """
    if reason := skips.spark_missing():
        pytest.skip(reason)
    from luoshi.analytics import spark, spark_local

    cluster = None
    master = "local[2]"
    os.environ.setdefault("LUOSHI_SPARK_PARTITIONS", "2")  # tiny test data: few tasks per query
    if os.environ.get("LUOSHI_TEST_SPARK_CLUSTER") == "1":
        cluster = tmp_path_factory.mktemp("spark-cluster")
        # a free port, so that two test runs on one machine (SQLite and PostgreSQL passes side by
        # side) do not meet on one master
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        master = spark_local.start(cluster, workers=2, memory="1g", port=port)
    try:
        def get():
            session = spark.session(master, app_name="luoshi-tests")
            # tiny test data: compiling whole-stage code costs more than it saves
            session.conf.set("spark.sql.codegen.wholeStage", "false")
            return session

        yield get
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            active.stop()
    finally:
        if cluster is not None:
            spark_local.stop(cluster)
