#!/usr/bin/env python3
"""Mutation testing of the guards and rules (issue 13), driving mutmut 3.

    python scripts/mutation.py                      every listed module, full run
    python scripts/mutation.py --modules core/authz.py,plans/rules.py
    python scripts/mutation.py --sample 24 --seed 13    the bounded CI sample

Each module gets its own mutmut workspace under ``var/mutation/<name>/`` (a generated
pyproject.toml whose ``[tool.mutmut]`` mutates only that module and selects only the fast
tests mapped to it below; browser, spark and postgres tests are deselected). mutmut forks one
worker per mutant from a process that has already imported Django and the tests, and runs only
the tests that reach the mutated function, so a mutant costs about half a second of CPU here
instead of the ~7 s a fresh ``pytest`` process needs to import the project.

For every module the driver prints killed / total and the score, and every survivor with its
diff. A survivor listed in ``scripts/mutation_equivalents.toml`` (module, function, the changed
lines and the reason it cannot be told apart by any test) is counted as equivalent, not as
survived. The exit status is 1 when a non-equivalent mutant survives (``--sample``) or a
module scores under ``--min-score`` (full runs, default 0 = report only).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "luoshi"
# mutmut's workspaces (LUOSHI_MUTATION_DIR moves them, e.g. to run the sample beside a full run)
WORK = Path(os.environ.get("LUOSHI_MUTATION_DIR") or ROOT / "var" / "mutation")
EQUIVALENTS = ROOT / "scripts" / "mutation_equivalents.toml"
FAST = "not browser and not spark and not postgres"

# module (relative to src/luoshi) -> the tests that guard it (globs relative to src/luoshi).
# Keep each list to the tests that exercise the module's rules: mutmut runs, per mutant, only
# those of them that reach the mutated function, but it first runs them all once for its map.
# authz: its own tests and the battery; every domain's test_permissions.py would be a fuller map
# but its one instrumented run takes most of an hour on a busy two-core machine.
PERMISSION_TESTS = ["core/tests/test_authz*.py", "core/tests/test_battery*.py", "orgs/tests/test_permissions.py"]
MODULES: dict[str, list[str]] = {
    "core/authz.py": PERMISSION_TESTS,
    "core/tabular.py": ["core/tests/test_tabular*.py", "core/tests/test_zip_bombs.py"],
    "plans/rules.py": ["plans/tests/test_rules*.py", "plans/tests/test_boundar*.py"],
    "plans/rollup.py": ["plans/tests/test_rollup*.py", "plans/tests/test_rules*.py",
                        "plans/tests/test_boundar*.py"],
    "plans/reminders.py": ["plans/tests/test_reminder*.py", "plans/tests/test_boundar*.py"],
    "plans/notify.py": ["plans/tests/test_reminder*.py", "plans/tests/test_notif*.py",
                        "plans/tests/test_workflow*.py"],
    "intake/cleaning.py": ["intake/tests/test_cleaning*.py", "intake/tests/test_properties.py",
                           "intake/tests/test_boundar*.py"],
    "intake/noise.py": ["intake/tests/test_cleaning*.py", "intake/tests/test_properties.py", "intake/tests/test_noise*.py"],
    "intake/boilerplate.py": ["intake/tests/test_cleaning*.py", "intake/tests/test_properties.py",
                              "intake/tests/test_boilerplate*.py"],
    "intake/html_text.py": ["intake/tests/test_reading*.py", "intake/tests/test_cleaning*.py", "intake/tests/test_html*.py"],
    "intake/structure.py": ["intake/tests/test_structure*.py", "intake/tests/test_properties.py"],
    "intake/spam.py": ["intake/tests/test_spam*.py"],
}
# The rules of the newer domains (issue 13: "new domains join the list as they land"): their
# pure modules (formulas, value checks, outliers, scoring, attainment, the state machines), each
# with its own tests and the transition tests that try every forbidden move through the services.
MODULES.update({
    "indicators/formula.py": ["indicators/tests/test_formula*.py"],
    # (not test_import_process.py: the importer in subprocesses, where no mutant is active; see
    # indicators/services.py below)
    "indicators/validation.py": ["indicators/tests/test_validation*.py", "indicators/tests/test_import.py",
                                 "indicators/tests/test_approval.py"],
    "indicators/outliers.py": ["indicators/tests/test_outlier*.py", "indicators/tests/test_approval.py"],
    "analytics/targets.py": ["analytics/tests/test_targets*.py", "analytics/tests/test_api.py",
                             "analytics/tests/test_scoring*.py"],
    "analytics/scoring.py": ["analytics/tests/test_scoring*.py"],
    "pilots/rules.py": ["pilots/tests/test_rules*.py", "pilots/tests/test_transitions.py"],
    "library/rules.py": ["library/tests/test_rules*.py", "library/tests/test_transitions.py"],
})
# intake/services.py: of intake/tests/ only the pages, the review page and the expiry test reach
# the services (the rest test the reading pipeline, mapped to the intake modules above).
MODULES["intake/services.py"] = ["intake/tests/test_services*.py", "intake/tests/test_views.py",
                                 "intake/tests/test_review_page.py", "intake/tests/test_security.py"]
# core/services.py (optimistic locking, audited saves) is used by every domain, but core/tests/
# holds the battery, translations and settings tests, which never reach its checks: its map is
# its own tests plus the locking and audit-trail tests that exercise them (narrowed for speed).
MODULES["core/services.py"] = ["core/tests/test_services*.py", "plans/tests/test_locking.py",
                               "audit/tests/test_trail.py", "core/tests/test_api_input.py"]
# orgs/services.py: the battery (test_permissions.py) does reach its writes and stays; test_demo.py
# and test_cli.py run the demo loader and the console script in subprocesses, where no mutant is
# active and nothing is mapped (mutmut's instrumented run found no services function reached by
# them), and cost 364 of the directory's 443 s of tests. The rest of orgs/tests/ stays.
MODULES["orgs/services.py"] = ["orgs/tests/test_permissions.py", "orgs/tests/test_import.py",
                               "orgs/tests/test_invitations.py", "orgs/tests/test_security.py",
                               "orgs/tests/test_tree.py", "orgs/tests/test_services*.py"]
# indicators/services.py: indicators/tests/ without test_import_process.py (it runs the importer
# in subprocesses on a 100,000-row file, where no mutant is active; its time limit is 1500 s) and
# without the formula tests (the pure formula language: they never reach the services).
MODULES["indicators/services.py"] = ["indicators/tests/test_services*.py", "indicators/tests/test_approval.py",
                                     "indicators/tests/test_transitions.py", "indicators/tests/test_permissions.py",
                                     "indicators/tests/test_pages.py", "indicators/tests/test_import.py",
                                     "indicators/tests/test_validation.py", "indicators/tests/test_outliers.py",
                                     "indicators/tests/test_demo.py", "indicators/tests/test_flag_outliers.py",
                                     "indicators/tests/test_service_checks.py"]
# plans/services.py: plans/tests/ without the pure rules' tests (test_rules*.py, test_boundaries.py:
# they call plans/rules.py only and never reach a service) and without test_demo.py, whose two tests
# load whole demo plans (the national one: hundreds of items and reports, built through these
# services) to check the dates the demo gives its history; what they would show of the services is
# asserted directly by the workflow, cascade, guard and import tests, and a demo load would run for
# every surviving mutant of add_item, save_report or the transitions. The real-worker test is left
# out below (DESELECT), as for the reminders.
MODULES["plans/services.py"] = [
    f"plans/tests/{_test.name}" for _test in sorted((SRC / "plans" / "tests").glob("test_*.py"))
    if not _test.name.startswith(("test_rules", "test_boundar", "test_demo"))]
# Every services.py, each with its own domain's tests (browser tests are deselected).
for _services in sorted(SRC.glob("*/services.py")):
    _domain = _services.parent.name
    MODULES.setdefault(f"{_domain}/services.py", [f"{_domain}/tests/"])

# Tests of a module's globs that are left out of its map (pytest ``--deselect`` node ids, relative
# to src/luoshi), with the reason. The real-worker test of supervision tests the worker plumbing
# (the task is queued, a `db_worker` process picks it up); what it asserts of the reminders (a
# missing-report reminder goes out) is asserted in detail by the recipient and text tests. It is
# transactional (it flushes the test database, which the next test then builds again) and starts
# the worker, so it made every reminder mutant that reached it cost far more than the rules' tests.
# `test_no_rule_names_a_brand` reads the deciding modules as text and the benchmark's lexicon
# (bench/data, outside src: missing in the workspace, where it failed mutmut's first run); it
# calls no function of spam.py, so no mutant can fail it.
DESELECT: dict[str, list[str]] = {
    "plans/reminders.py": ["plans/tests/test_reminders.py::test_it_runs_supervision_in_the_real_worker"],
    "plans/notify.py": ["plans/tests/test_reminders.py::test_it_runs_supervision_in_the_real_worker"],
    "plans/services.py": ["plans/tests/test_reminders.py::test_it_runs_supervision_in_the_real_worker"],
    "intake/spam.py": ["intake/tests/test_spam.py::test_no_rule_names_a_brand"],
}

# The bounded CI sample draws only from these: modules whose mapped tests need no database, so the
# sample stays a few minutes of CPU. (Database-backed modules no longer time out since the workers
# share one prepared test database, LUOSHI_TEST_DB_PREPARED; they are left out only for the time
# their instrumented runs cost: about two minutes of CPU for core/authz.py's map.)
CI_MODULES = ["core/tabular.py", "plans/rules.py", "intake/cleaning.py", "intake/structure.py"]

# mutmut stops a worker after (T + constant) x multiplier seconds of wall time and twice that of
# CPU time, T being the summed call durations of its tests in the instrumented run. Its defaults
# (1 s, x15) leave no room for what a worker pays besides the calls (starting a pytest session,
# copying the prepared database, fixtures: about a second of CPU) on a shared machine where a
# nice-19 worker gets a small share of a core; a mutant that makes a loop endless is still
# stopped after a minute or two.
TIMEOUT_CONSTANT = 6.0
TIMEOUT_MULTIPLIER = 10.0

# A timeout is NOT counted as killed: mutmut limits a worker's CPU time from the tests' own
# durations, and a worker whose tests need the database rebuilds the test database first, so
# on a busy machine a timeout says "too slow to judge", not "a test failed". Timeouts are
# listed with the survivors (status "timeout") and need a look (or a quieter machine).
KILLED = {"killed", "caught by type check", "segfault"}


@dataclass
class Outcome:
    module: str
    status: dict[str, str] = field(default_factory=dict)   # mutant name -> mutmut status
    diffs: dict[str, str] = field(default_factory=dict)
    equivalent: dict[str, str] = field(default_factory=dict)  # mutant name -> reason

    @property
    def survivors(self) -> list[str]:
        return sorted(n for n, s in self.status.items() if s not in KILLED and n not in self.equivalent)

    def score(self) -> tuple[int, int, float]:
        counted = [n for n in self.status if n not in self.equivalent]
        killed = sum(1 for n in counted if self.status[n] in KILLED)
        return killed, len(counted), (100.0 * killed / len(counted) if counted else 100.0)


def slug(module: str) -> str:
    return module.removesuffix(".py").replace("/", "-")


def dotted(module: str) -> str:
    return "luoshi." + module.removesuffix(".py").replace("/", ".")


def test_paths(module: str) -> list[str]:
    found: list[str] = []
    for pattern in MODULES[module]:
        for path in sorted(glob.glob(str(SRC / pattern))):
            rel = "src/luoshi/" + str(Path(path).relative_to(SRC)) + ("/" if pattern.endswith("/") else "")
            if rel not in found:
                found.append(rel)
    return found


def deselected(module: str) -> list[str]:
    """pytest arguments that leave the module's DESELECT tests out (mutmut runs from ``mutants/``)."""
    return [arg for test in DESELECT.get(module, []) for arg in ("--deselect", "src/luoshi/" + test)]


def toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def prepare(module: str) -> Path:
    """The module's workspace: src and conftest linked/copied, pyproject with [tool.mutmut]."""
    ws = WORK / slug(module)
    ws.mkdir(parents=True, exist_ok=True)
    link = ws / "src"
    if not link.is_symlink():
        link.symlink_to(ROOT / "src")
    shutil.copy2(ROOT / "conftest.py", ws / "conftest.py")
    base = (ROOT / "pyproject.toml").read_text("utf-8")
    tests = test_paths(module)
    config = (
        "\n[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        f'only_mutate = {toml_list(["src/luoshi/" + module])}\n'
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
        f"pytest_add_cli_args = {toml_list(['-m', FAST, *deselected(module)])}\n"
        'also_copy = ["conftest.py"]\n'
        "use_git_change_detection = false\n"
        f"timeout_multiplier = {TIMEOUT_MULTIPLIER}\n"
        f"timeout_constant = {TIMEOUT_CONSTANT}\n"
    )
    text = base + config
    target = ws / "pyproject.toml"
    if not target.exists() or target.read_text("utf-8") != text:
        # (mutmut notices a changed test map itself and reruns its stats)
        target.write_text(text, "utf-8")
    return ws


def prepared_db(ws: Path) -> Path:
    """The test database every pytest session of a workspace copies (built by the first one)."""
    return ws / "testdb" / "world.sqlite3"


def environment(ws: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LUOSHI_DATABASE_URL")}
    env["LUOSHI_DATA_DIR"] = str(ws / "var")
    # The forked workers reuse one prepared test database (luoshi.core.testing.fixtures): each
    # copies it instead of running the migrations and building the standing world again.
    env["LUOSHI_TEST_DB_PREPARED"] = str(prepared_db(ws))
    # No per-test time limit (pytest-timeout, 300 s in pyproject.toml): mutmut limits each worker
    # itself, and on a shared machine a paused run (/work/tools/quiet) made an unmutated test of
    # the clean run "time out", which stops the whole module's run.
    env["PYTEST_TIMEOUT"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # hypothesis's timing checks off (conftest.py): the worker's own time limit decides
    env["LUOSHI_MUTATION"] = "1"
    return env


def mutmut(ws: Path, *args: str) -> int:
    """``mutmut ARGS`` in the workspace, with the decorators of MUTATE_DECORATED allowed."""
    return subprocess.call([sys.executable, __file__, "--mutmut", *args], cwd=ws, env=environment(ws))


# mutmut 3.8 leaves every decorated function unmutated except under @staticmethod/@classmethod,
# because a copy of a function with its decorator may do something when it is defined (register a
# route twice) or break the trampoline (@property). It copies the function once per mutant, each
# copy with the function's decorators, and puts the decorators on the trampoline too. For
# @transaction.atomic that is harmless: the copies register nothing, and the trampoline's atomic
# block only wraps the copy's own (one more savepoint). Half of the functions of the services.py
# modules are written under @transaction.atomic, so those are mutated too; any other decorator
# keeps mutmut's rule.
MUTATE_DECORATED = frozenset({"transaction.atomic"})


def allow_decorators() -> None:
    import libcst as cst
    from libcst.metadata import PositionProvider
    from mutmut.mutation import file_mutation

    original = file_mutation.MutationVisitor._skip_node_and_children
    if getattr(original, "luoshi_patched", False):
        return

    def skip(self, node) -> bool:
        if (isinstance(node, cst.FunctionDef) and node.decorators
                and all(cst.Module([]).code_for_node(d.decorator) in MUTATE_DECORATED for d in node.decorators)):
            position = self.get_metadata(PositionProvider, node, None)
            if position is None or position.start.line not in self._ignored_node_lines:
                # judged as the same function without the decorator (its name, its pragmas)
                return original(self, node.with_changes(decorators=[]))
        return original(self, node)

    skip.luoshi_patched = True
    file_mutation.MutationVisitor._skip_node_and_children = skip


def stretch_wall_limit() -> None:
    """Multiply mutmut's wall-time limit per worker by LUOSHI_MUTATION_WALL_FACTOR (default 1).

    mutmut's clock keeps running while a worker is stopped: on a shared machine where every
    nice-19 process is paused during benchmark measurements (/work/tools/quiet), a worker that
    was paused ends as a timeout. The CPU-time limit (which a pause does not consume) stays as
    it is, so a mutant that makes a loop endless is still stopped.
    """
    factor = float(os.environ.get("LUOSHI_MUTATION_WALL_FACTOR") or 1)
    if factor == 1:
        return
    from mutmut.workers import isolation, timeout

    def register(pid: int, timeout_s: float, _register=timeout.register_timeout) -> None:
        _register(pid=pid, timeout_s=timeout_s * factor)

    isolation.register_timeout = register


def run_mutmut_cli(args: list[str]) -> int:
    allow_decorators()
    stretch_wall_limit()
    from mutmut.__main__ import cli

    sys.argv = ["mutmut", *args]
    return cli(args=args, prog_name="mutmut", standalone_mode=True)


def list_mutants(ws: Path, module: str) -> list[str]:
    """Generate the module's mutants (no tests run) and return their names."""
    code = subprocess.call([sys.executable, __file__, "--generate-only"], cwd=ws, env=environment(ws))
    if code:
        raise SystemExit(f"mutant generation failed for {module}")
    return sorted(read_meta(ws, module))


def generate_only() -> None:
    """In a workspace: what ``mutmut run`` does before any test runs (copy, mutate)."""
    from mutmut.__main__ import copy_also_copy_files, copy_src_dir, create_mutants
    from mutmut.utils.file_utils import setup_source_paths

    allow_decorators()
    os.makedirs("mutants", exist_ok=True)
    copy_src_dir()
    copy_also_copy_files()
    setup_source_paths()
    create_mutants(1)


def read_meta(ws: Path, module: str) -> dict[str, int | None]:
    meta = ws / "mutants" / "src" / "luoshi" / (module + ".meta")
    if not meta.exists():
        return {}
    return json.loads(meta.read_text("utf-8"))["exit_code_by_key"]


def diffs_for(ws: Path, names: list[str]) -> dict[str, str]:
    if not names:
        return {}
    out = subprocess.run([sys.executable, __file__, "--diffs-only", *names], cwd=ws,
                         env=environment(ws), capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stderr)
        return {}
    return json.loads(out.stdout)


def print_diffs(names: list[str]) -> None:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    result = {}
    for name in names:
        dotted_module = re.split(r"\.x(?:_|ǁ)", name, maxsplit=1)[0]
        result[name] = get_diff_for_mutant(name, path="src/" + dotted_module.replace(".", "/") + ".py")
    print(json.dumps(result))


def function_of(name: str) -> str:
    """``luoshi.core.authz.x_can__mutmut_3`` -> ``can``; methods -> ``Class.method``."""
    stem = name.rsplit("__mutmut_", 1)[0].rsplit(".", 1)[-1]
    if stem.startswith("xǁ"):
        return stem[2:].replace("ǁ", ".")
    return stem.removeprefix("x_")


def changed_lines(diff: str) -> tuple[str, str]:
    removed, added = [], []
    for line in diff.splitlines():
        if line.startswith(("---", "+++", "@@")):
            continue
        if line.startswith("-"):
            removed.append(" ".join(line[1:].split()))
        elif line.startswith("+"):
            added.append(" ".join(line[1:].split()))
    return "\n".join(removed), "\n".join(added)


def load_equivalents() -> list[dict[str, str]]:
    if not EQUIVALENTS.exists():
        return []
    entries = tomllib.loads(EQUIVALENTS.read_text("utf-8")).get("equivalent", [])
    for entry in entries:
        missing = {"module", "function", "removed", "added", "reason"} - set(entry)
        if missing:
            raise SystemExit(f"{EQUIVALENTS.name}: an entry lacks {', '.join(sorted(missing))}: {entry}")
        entry["removed"] = "\n".join(" ".join(x.split()) for x in entry["removed"].strip().splitlines())
        entry["added"] = "\n".join(" ".join(x.split()) for x in entry["added"].strip().splitlines())
    return entries


def judge(ws: Path, module: str, names: list[str] | None, equivalents: list[dict[str, str]]) -> Outcome:
    from mutmut.stats import status_by_exit_code

    outcome = Outcome(module)
    codes = read_meta(ws, module)
    for name, code in codes.items():
        if names is None or name in names:
            outcome.status[name] = status_by_exit_code[code]
    not_killed = sorted(n for n, s in outcome.status.items() if s not in KILLED)
    outcome.diffs = diffs_for(ws, not_killed)
    mine = [e for e in equivalents if e["module"] == module]
    for name in not_killed:
        removed, added = changed_lines(outcome.diffs.get(name, ""))
        for entry in mine:
            if entry["function"] == function_of(name) and entry["removed"] == removed and entry["added"] == added:
                outcome.equivalent[name] = entry["reason"]
                break
    return outcome


def report(outcome: Outcome, seconds: float) -> None:
    killed, counted, score = outcome.score()
    print(f"\n== {outcome.module}: {killed}/{counted} killed ({score:.1f} %), "
          f"{len(outcome.equivalent)} equivalent, {seconds:.0f} s")
    for name in outcome.survivors:
        print(f"-- survived ({outcome.status[name]}): {name}")
        for line in outcome.diffs.get(name, "(no diff)").splitlines()[2:]:
            if line.startswith(("+", "-")):
                print("   " + line)


def run_module(module: str, names: list[str] | None, equivalents, max_children: int,
               rerun_survivors: bool = False) -> Outcome:
    started = time.monotonic()
    ws = prepare(module)
    # built again by the run's first pytest session, from the code and migrations as they are now
    shutil.rmtree(prepared_db(ws).parent, ignore_errors=True)
    if names is None and rerun_survivors:
        from mutmut.stats import status_by_exit_code

        survivors = [n for n, c in read_meta(ws, module).items() if status_by_exit_code[c] not in KILLED]
        if survivors:
            print(f"== {module}: retesting {len(survivors)} earlier survivors", flush=True)
            code = mutmut(ws, "run", "--max-children", str(max_children), *survivors)
            if code:
                raise SystemExit(f"mutmut failed for {module} (exit {code}); see the output above")
    print(f"== {module}: tests {' '.join(test_paths(module))}", flush=True)
    args = ["run", "--max-children", str(max_children)]
    if names is not None:
        args += names
    code = mutmut(ws, *args)
    if code:
        raise SystemExit(f"mutmut failed for {module} (exit {code}); see the output above")
    outcome = judge(ws, module, names, equivalents)
    report(outcome, time.monotonic() - started)
    return outcome


def main() -> int:
    if sys.argv[1:2] == ["--mutmut"]:
        return run_mutmut_cli(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", default="", help="comma-separated, relative to src/luoshi (default: all listed)")
    parser.add_argument("--sample", type=int, default=0, help="test only this many mutants, drawn with --seed")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-children", type=int, default=1)
    parser.add_argument("--min-score", type=float, default=0.0, help="fail when a module scores below this")
    parser.add_argument("--rerun-survivors", action="store_true",
                        help="test earlier survivors again (after adding tests; mutmut keeps old results)")
    parser.add_argument("--list", action="store_true", help="list the modules and their tests")
    parser.add_argument("--status", action="store_true",
                        help="print the scores of the last (possibly unfinished) runs without running anything")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--diffs-only", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.generate_only:
        generate_only()
        return 0
    if args.diffs_only is not None:
        print_diffs(args.diffs_only)
        return 0

    modules = [m.strip().removeprefix("src/luoshi/") for m in args.modules.split(",") if m.strip()]
    if not modules:
        modules = CI_MODULES if args.sample else list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        raise SystemExit(f"not in the mutation list: {', '.join(unknown)} (see MODULES in {__file__})")
    if args.list:
        for module in modules:
            print(f"{module}: {' '.join(test_paths(module))}"
                  + "".join(f" (without {test})" for test in DESELECT.get(module, [])))
        return 0

    equivalents = load_equivalents()
    if args.status:
        print(f"{'module':28} {'killed/tested':>13}  score   equivalent  not yet tested")
        for module in modules:
            ws = WORK / slug(module)
            codes = read_meta(ws, module)
            if not codes:
                print(f"{module:28} {'(not run)':>13}")
                continue
            tested = [n for n, c in codes.items() if c is not None]
            outcome = judge(ws, module, tested, equivalents)
            killed, counted, score = outcome.score()
            print(f"{module:28} {killed:6}/{counted:<6} {score:5.1f} %  {len(outcome.equivalent):10}  "
                  f"{len(codes) - len(tested)} of {len(codes)}")
            for name in outcome.survivors:
                print(f"    survived ({outcome.status[name]}): {name}")
        return 0
    outcomes: list[Outcome] = []
    if args.sample:
        everything = [(m, n) for m in modules for n in list_mutants(prepare(m), m)]
        drawn = random.Random(args.seed).sample(everything, min(args.sample, len(everything)))
        print(f"== sample: {len(drawn)} of {len(everything)} mutants (seed {args.seed})")
        for module in modules:
            names = sorted(n for m, n in drawn if m == module)
            if names:
                outcomes.append(run_module(module, names, equivalents, args.max_children))
    else:
        for module in modules:
            outcomes.append(run_module(module, None, equivalents, args.max_children, args.rerun_survivors))

    print("\n== mutation score per module (killed / tested, equivalents excluded)")
    failed = False
    for outcome in outcomes:
        killed, counted, score = outcome.score()
        flag = ""
        if args.sample and outcome.survivors:
            flag, failed = "  <- survivors", True
        elif not args.sample and score < args.min_score:
            flag, failed = f"  <- under {args.min_score:g} %", True
        print(f"{outcome.module:28} {killed:5}/{counted:<5} {score:5.1f} %  "
              f"({len(outcome.equivalent)} equivalent){flag}")
    if failed:
        print("\nA mutant survived that is not listed as equivalent: add a test that kills it, or,"
              f" if no test can tell it apart, list it in {EQUIVALENTS.relative_to(ROOT)} with the reason.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
