"""A pytest plugin: test a list of mutmut's mutants in one pytest process (issue 13).

When a module's driver run (``scripts/mutation.py``) cannot finish in the time there is, this
settles chosen mutants from the run's workspace: every collected test runs once per mutant,
grouped by mutant, and after a mutant's first failure (or error) its other tests are skipped,
as mutmut does. It uses mutmut's own mutants (the trampolines choose the active one from
``MUTANT_UNDER_TEST`` at every call), so a verdict here is the verdict mutmut would give with
the same tests, except that there is no time limit (a mutant that loops hangs the sweep).

    cd var/mutation/core-authz/mutants
    env -u LUOSHI_DATABASE_URL LUOSHI_TEST_DB_PREPARED=/tmp/sweep/world.sqlite3 PYTEST_TIMEOUT=0 \\
        LUOSHI_MUTATION=1 MUTSWEEP_NAMES=luoshi.core.authz.x_can__mutmut_1,... \\
        MUTSWEEP_OUT=/tmp/sweep/can.txt PYTHONPATH=src:../../../../scripts \\
        nice -n 19 python -m pytest -q -p mutation_sweep -m "not browser and not spark and not postgres" TESTS…

``MUTSWEEP_OUT`` gets one line per mutant at the end: ``NAME killed by TEST`` or ``NAME SURVIVED``;
``MUTSWEEP_OUT.partial`` lists the kills as they happen.
"""

from __future__ import annotations

import os

import pytest

NAMES = [n for n in os.environ.get("MUTSWEEP_NAMES", "").split(",") if n]
KILLED: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _mutant(request):
    name = request.param
    if name in KILLED:
        pytest.skip("mutant already killed")
    os.environ["MUTANT_UNDER_TEST"] = name
    yield name
    os.environ["MUTANT_UNDER_TEST"] = ""


def pytest_generate_tests(metafunc):
    if "_mutant" in metafunc.fixturenames:
        metafunc.parametrize("_mutant", NAMES, indirect=True, ids=NAMES)


def pytest_collection_modifyitems(items):
    def by_mutant(item):
        params = getattr(getattr(item, "callspec", None), "params", {})
        return NAMES.index(params["_mutant"]) if "_mutant" in params else -1

    items.sort(key=by_mutant)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "_mutant" in params and report.failed and params["_mutant"] not in KILLED:
        KILLED[params["_mutant"]] = item.originalname
        with open(os.environ["MUTSWEEP_OUT"] + ".partial", "a", encoding="utf-8") as out:
            out.write(f"{params['_mutant']} killed by {item.originalname}\n")  # readable while it runs


def pytest_sessionfinish(session):
    with open(os.environ["MUTSWEEP_OUT"], "w", encoding="utf-8") as out:
        for name in NAMES:
            out.write(f"{name} {'killed by ' + KILLED[name] if name in KILLED else 'SURVIVED'}\n")
