"""Test-suite hygiene (issue 13): a per-test time limit, and real-sample tests that may not
skip silently under ``LUOSHI_STRICT_TESTS=1``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from luoshi.core.testing import skips
from luoshi.core.testing.fixtures import REPO_ROOT

SAMPLES_TEST = "src/luoshi/intake/tests/test_samples.py"


# Each test runs pytest in a subprocess (allowed 300 s); the default limit would cut it first.
pytestmark = pytest.mark.timeout(600)


def _pytest(args: list[str], **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("LUOSHI_STRICT_TESTS", "PYTEST_ADDOPTS", "LUOSHI_POLICY_SAMPLES")}
    environ.update(env)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *args], cwd=REPO_ROOT,
                          env=environ, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


def test_every_test_has_a_time_limit(pytestconfig, request):
    assert pytestconfig.pluginmanager.hasplugin("timeout"), "pytest-timeout is in the test extra"
    assert 60 <= int(pytestconfig.getini("timeout")) <= 600
    # the session's database set-up is not the test's: only the function is timed
    assert pytestconfig.getini("timeout_func_only") is True


def test_a_hanging_test_fails_instead_of_stalling(tmp_path):
    (tmp_path / "test_hang.py").write_text("import time\n\ndef test_hangs():\n    time.sleep(60)\n")
    result = _pytest(["-c", str(REPO_ROOT / "pyproject.toml"), "--rootdir", str(tmp_path), "-o", "timeout=2",
                      str(tmp_path / "test_hang.py")])
    assert result.returncode == 1, result.stdout[-2000:]
    assert "Timeout" in result.stdout and "1 failed" in result.stdout.strip().splitlines()[-1]


def test_browser_and_spark_tests_get_the_long_time_limit(tmp_path):
    (tmp_path / "show_timeouts.py").write_text(
        "def pytest_collection_finish(session):\n"
        "    for item in session.items:\n"
        "        marker = item.get_closest_marker('timeout')\n"
        "        print('LIMIT', item.nodeid.replace(' ', '_'), marker.args[0] if marker else 'default')\n")
    result = _pytest(["--collect-only", "-p", "show_timeouts", "src/luoshi/orgs/tests/test_browser.py",
                      "src/luoshi/plans/tests/test_rules.py"],
                     PYTHONPATH=f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    limits = [line.split()[1:] for line in result.stdout.splitlines() if line.startswith("LIMIT ")]
    browser = [limit for nodeid, limit in limits if "test_browser.py" in nodeid]
    ordinary = [limit for nodeid, limit in limits if "test_rules.py" in nodeid]
    assert browser and all(limit == str(skips.LONG_TIMEOUT) for limit in browser), limits
    assert ordinary and all(limit == "default" for limit in ordinary), limits  # the default from pyproject.toml


def test_real_sample_tests_skip_with_the_reason_when_their_samples_are_missing(tmp_path):
    result = _pytest([SAMPLES_TEST], LUOSHI_POLICY_SAMPLES=str(tmp_path / "none"))
    assert result.returncode == 0, result.stdout[-2000:]
    assert "failed" not in result.stdout and "skipped" in result.stdout
    assert f"no policy samples at {tmp_path / 'none'}" in result.stdout


def test_real_sample_tests_fail_under_the_strict_flag_when_their_samples_are_missing(tmp_path):
    result = _pytest([SAMPLES_TEST], LUOSHI_POLICY_SAMPLES=str(tmp_path / "none"), LUOSHI_STRICT_TESTS="1")
    assert result.returncode == 1, result.stdout[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert "skipped" not in summary and ("failed" in summary or "error" in summary), summary
    assert "LUOSHI_STRICT_TESTS=1: a samples test may not skip here (no policy samples at" in result.stdout
