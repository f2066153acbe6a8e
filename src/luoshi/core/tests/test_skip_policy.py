"""Browser tests skip without Chromium, except under LUOSHI_STRICT_TESTS=1 (CI), where they fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from luoshi.core.testing.fixtures import REPO_ROOT

BROWSER_TEST = "src/luoshi/orgs/tests/test_browser.py"


# Each test runs pytest in a subprocess (allowed 300 s); the default limit would cut it first.
pytestmark = pytest.mark.timeout(600)


def run_pytest(**env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("LUOSHI_STRICT_TESTS", "PYTEST_ADDOPTS")}
    environ.update(env, LUOSHI_TEST_CHROMIUM="/nonexistent/chromium")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", BROWSER_TEST], cwd=REPO_ROOT, env=environ,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


@pytest.mark.skipif(not (Path(REPO_ROOT) / BROWSER_TEST).exists(), reason="needs the repository's own tests")
def test_it_skips_a_browser_test_without_chromium_stating_why():
    result = run_pytest()
    assert result.returncode == 0, result.stdout[-2000:]
    assert "1 skipped" in result.stdout
    assert "needs Chromium at /nonexistent/chromium" in result.stdout


@pytest.mark.skipif(not (Path(REPO_ROOT) / BROWSER_TEST).exists(), reason="needs the repository's own tests")
def test_it_fails_that_skip_under_the_strict_flag():
    result = run_pytest(LUOSHI_STRICT_TESTS="1")
    assert result.returncode == 1, result.stdout[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert ("1 error" in summary or "1 failed" in summary) and "skipped" not in summary, summary  # setup failed
    assert "LUOSHI_STRICT_TESTS=1: a browser test may not skip here (needs Chromium at /nonexistent/chromium" in result.stdout
