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

Failures are reported without tracebacks (``--tb=no`` is set: formatting them was most of the
cost of a killed mutant); run the test alone with the mutant to see why it failed.

``MUTSWEEP_OUT`` gets one line per mutant at the end: ``NAME killed by TEST`` or ``NAME SURVIVED``;
``MUTSWEEP_OUT.partial`` lists the kills as they happen.

With ``MUTSWEEP_STATS=mutmut-stats.json`` (the workspace's, written by the driver's instrumented
run) each mutant runs only the tests mutmut mapped to its function, fastest first, as a mutmut
worker would: a module whose map holds many tests that never reach a given function (a services
module's domain tests) then costs per mutant what its function's tests cost, not the whole map.
"""

from __future__ import annotations

import json
import os

import pytest

NAMES = [n for n in os.environ.get("MUTSWEEP_NAMES", "").split(",") if n]
KILLED: dict[str, str] = {}
SELECTED: dict[str, int] = {}  # mutant -> number of its tests kept


def _stats() -> tuple[dict[str, set[str]], dict[str, float]] | None:
    path = os.environ.get("MUTSWEEP_STATS")
    if not path:
        return None
    with open(path, encoding="utf-8") as f:
        stats = json.load(f)
    tests = {function: set(ids) for function, ids in stats["tests_by_mangled_function_name"].items()}
    return tests, stats["duration_by_test"]


def _function(name: str) -> str:
    return name.rsplit("__mutmut_", 1)[0]


def _plain_id(nodeid: str, name: str) -> str:
    """The test's id without the mutant parameter (as mutmut's stats name it). pytest writes a
    parameter id's non-ASCII characters escaped (a method's mutant: ``xǁGrantǁcovers``)."""
    for shown in {name, name.encode("unicode_escape").decode("ascii")}:
        nodeid = nodeid.replace(f"[{shown}]", "").replace(f"-{shown}]", "]").replace(f"[{shown}-", "[")
    return nodeid


@pytest.fixture(autouse=True)
def _mutant(request):
    name = request.param
    if name in KILLED:
        pytest.skip("mutant already killed")
    os.environ["MUTANT_UNDER_TEST"] = name
    yield name
    os.environ["MUTANT_UNDER_TEST"] = ""


def pytest_configure(config):
    # No tracebacks: a sweep only needs to know that a test failed, and formatting a killed
    # mutant's traceback (long style, source lines of every frame through Django) cost more than
    # running its tests (orgs/services.py: 6-9 mutants a minute with them, ~130 without).
    config.option.tbstyle = "no"


def pytest_generate_tests(metafunc):
    if "_mutant" in metafunc.fixturenames:
        metafunc.parametrize("_mutant", NAMES, indirect=True, ids=NAMES)


def pytest_collection_modifyitems(config, items):
    stats = _stats()

    def mutant_of(item):
        return getattr(getattr(item, "callspec", None), "params", {}).get("_mutant")

    if stats is not None:
        tests, durations = stats
        kept, dropped = [], []
        for item in items:
            name = mutant_of(item)
            mapped = name is None or _plain_id(item.nodeid, name) in tests.get(_function(name), ())
            (kept if mapped else dropped).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = kept

    def order(item):
        name = mutant_of(item)
        if name is None:
            return (-1, 0.0)
        duration = stats[1].get(_plain_id(item.nodeid, name), 0.0) if stats is not None else 0.0
        return (NAMES.index(name), duration)

    items.sort(key=order)
    for item in items:
        name = mutant_of(item)
        if name is not None:
            SELECTED[name] = SELECTED.get(name, 0) + 1


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
    stats = _stats()
    with open(os.environ["MUTSWEEP_OUT"], "w", encoding="utf-8") as out:
        for name in NAMES:
            if name in KILLED:
                verdict = "killed by " + KILLED[name]
            elif not SELECTED.get(name):
                verdict = "NO TESTS"  # as mutmut: no selected test reaches the function
            else:
                verdict = "SURVIVED"
            out.write(f"{name} {verdict}\n")
