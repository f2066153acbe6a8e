"""The importer as a process: killed with SIGKILL half-way it leaves nothing behind (after the
automatic recovery), and other writers are not failed while a long import runs on SQLite."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from luoshi.core.testing.fixtures import luoshi_bin, luoshi_env

SETUP = """
from luoshi.accounts import services as accounts
from luoshi.indicators import services
from luoshi.orgs import demo
from luoshi.core.context import batch
with batch("cli"):
    admin = accounts.create_user(None, username="admin", password=None, is_superuser=True)
    demo.load(admin)
    from luoshi.orgs.models import OrgUnit
    moe = OrgUnit.objects.get(code="MOE")
    for i in range(20):
        services.create_indicator(admin, code=f"K{i}", name=f"指标{i}", owner_unit=moe, value_type="number")
"""

# Real importer processes on a 100,000-row file (subprocess limits up to 600 s): above the default limit.
pytestmark = pytest.mark.timeout(1500)

COUNT = "from luoshi.indicators.models import DataValue, ImportRow, DataImport; " \
        "print(DataValue.objects.count(), ImportRow.objects.count(), sorted(DataImport.objects.values_list('state', flat=True)))"


@pytest.fixture(scope="module")
def big_db(tmp_path_factory):
    """A private SQLite database with the demo units, 20 indicators and a 100,000-row CSV."""
    data = tmp_path_factory.mktemp("importer")
    env = luoshi_env(data)
    subprocess.run([luoshi_bin(), "migrate", "-v", "0"], env=env, check=True, cwd=data, timeout=300)
    subprocess.run([luoshi_bin(), "shell", "-c", SETUP], env=env, check=True, cwd=data, timeout=300)
    units = subprocess.run([luoshi_bin(), "shell", "-c",
                            "from luoshi.orgs.models import OrgUnit; print(' '.join(OrgUnit.objects.values_list('code', flat=True)[:50]))"],
                           env=env, check=True, cwd=data, capture_output=True, text=True).stdout.strip().splitlines()[-1].split()
    csv_path = data / "big.csv"
    with csv_path.open("w") as fh:
        fh.write("indicator,org_unit,period,value\n")
        for year in range(1950, 2050):
            for unit in units:
                for i in range(20):
                    fh.write(f"K{i},{unit},{year},{year + i}.5\n")
    return data, csv_path, len(units) * 20 * 100


def _shell(data: Path, code: str) -> str:
    return subprocess.run([luoshi_bin(), "shell", "-c", code], env=luoshi_env(data), check=True, cwd=data,
                          capture_output=True, text=True, timeout=120).stdout.strip().splitlines()[-1]


def _start_import(data: Path, csv_path: Path, batch_rows: str = "2000") -> subprocess.Popen:
    env = luoshi_env(data, LUOSHI_IMPORT_BATCH_ROWS=batch_rows)
    return subprocess.Popen([luoshi_bin(), "data", "import", str(csv_path)], env=env, cwd=data,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("phase", ["read", "written"])
def test_kill_9_in_the_middle_leaves_nothing_behind(big_db, phase):
    data, csv_path, rows = big_db
    before = _shell(data, COUNT)
    proc = _start_import(data, csv_path)
    try:
        for line in proc.stderr:
            if phase in line and "rows of" not in line or (phase == "written" and "written" in line):
                break
        else:
            pytest.fail(f"the import ended before the {phase} phase was seen: {proc.wait()}")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    if phase == "written":
        # some batches were written before the kill: visible until recovered
        assert _shell(data, "from luoshi.indicators.models import DataImport; print(DataImport.objects.filter(state='applying').count())") == "1"
    recovered = subprocess.run([luoshi_bin(), "data", "recover"], env=luoshi_env(data), cwd=data,
                               capture_output=True, text=True, timeout=300)
    assert "1 interrupted import(s) undone" in recovered.stdout
    values, staged, _states = before.split(" ", 2)
    after = _shell(data, COUNT)
    assert after.split(" ", 2)[:2] == [values, "0"], (before, after)
    assert "rolled_back" in after


def test_a_concurrent_writer_is_not_failed_by_a_long_import(big_db):
    data, csv_path, rows = big_db
    db = data / "luoshi.sqlite3"
    proc = _start_import(data, csv_path)
    failures, writes = [], []

    def writer():
        conn = sqlite3.connect(db, timeout=5)  # a quarter of the application's own 20 s
        while proc.poll() is None:
            try:
                with conn:
                    conn.execute("UPDATE orgs_orgunit SET short_name = short_name WHERE code = 'MOE'")
                writes.append(time.monotonic())
            except sqlite3.OperationalError as exc:
                failures.append(str(exc))
            time.sleep(0.05)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    out, err = proc.communicate(timeout=600)
    thread.join()
    assert proc.returncode == 0, err
    assert f"{rows} created" in out.replace(",", "")
    assert not failures, failures
    assert len(writes) > 10
    counts = _shell(data, COUNT).split(" ", 2)
    assert counts[:2] == [str(rows), "0"]
    again = subprocess.run([luoshi_bin(), "data", "import", "--quiet", str(csv_path)], env=luoshi_env(data), cwd=data,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "nothing to change" in again.stdout
