"""When a test may skip, and when a skip is really a failure.

* Browser tests (marker ``browser``) need Debian's Chromium and the Playwright package.
  Locally they skip with the reason; with ``LUOSHI_STRICT_TESTS=1`` (CI) the skip is
  turned into a failure by the hooks in the root ``conftest.py``, so a CI machine that
  lost Chromium cannot pass by skipping.
* Spark tests (marker ``spark``) need pyspark (the ``spark`` extra) and Java 17; they skip
  with the reason locally and fail under ``LUOSHI_STRICT_TESTS=1``, like browser tests.
* Real-sample tests (marker ``samples``: policy texts kept outside the repository, found
  through ``LUOSHI_POLICY_SAMPLES``) skip locally when the samples are missing and fail under
  ``LUOSHI_STRICT_TESTS=1``: CI must have them.
* PostgreSQL tests (marker ``postgres``) skip on SQLite: ``make test`` runs the whole
  suite again on PostgreSQL, where they run. That skip is never a failure.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

STRICT_ENV = "LUOSHI_STRICT_TESTS"
CHROMIUM = Path(os.environ.get("LUOSHI_TEST_CHROMIUM", "/usr/bin/chromium"))  # Debian's Chromium
POSTGRES_SKIP_REASON = "runs in the PostgreSQL pass"
# Markers whose skip is a failure under LUOSHI_STRICT_TESTS=1.
STRICT_MARKERS = ("browser", "spark", "samples")
# The per-test time limit of browser and spark tests (the others: ``timeout`` in pyproject.toml),
# generous for a slow shared 2-core CI machine.
SLOW_MARKERS = ("browser", "spark")
LONG_TIMEOUT = 900


def strict() -> bool:
    return os.environ.get(STRICT_ENV, "") == "1"


def chromium_missing() -> str | None:
    """Why browser tests cannot run here, or ``None`` when they can."""
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        return f"needs Chromium at {CHROMIUM} (apt-get install -y chromium fonts-noto-cjk)"
    for module in ("playwright", "pytest_playwright"):
        if importlib.util.find_spec(module) is None:
            return f"needs the Python package {module} (pip install -e '.[test]')"
    return None


def spark_missing() -> str | None:
    """Why Spark tests cannot run here, or ``None`` when they can."""
    from luoshi.analytics import spark

    return spark.available()


def requires_chromium():
    """Mark a test as a browser test: it skips (or, strictly, fails) without Chromium."""
    return pytest.mark.browser


def requires_postgres():
    """Mark a test as PostgreSQL-only: it skips on SQLite, and runs in the PostgreSQL pass."""
    return pytest.mark.postgres


def on_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
