"""Issue 12: a write that times out waiting for the database answers "busy, try again" (503), never 500;
long imports write in batches so that other writers get their turn, all or nothing for the importer."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time

import pytest
from django.db import OperationalError
from django.test import Client

from luoshi.core.testing.fixtures import luoshi_bin, luoshi_env, luoshi_runner


def _locked(*args, **kwargs):
    raise OperationalError("database is locked")


def test_a_page_write_that_times_out_answers_busy(world, login, monkeypatch):
    from luoshi.orgs import services

    monkeypatch.setattr(services, "update_unit", _locked)
    unit = world.unit("110101")
    client = login("beijing_admin")
    response = client.post(f"/units/{unit.code}/edit/", {"code": unit.code, "name": "x", "short_name": "", "type": unit.type,
                                                         "is_active": "on", "version": unit.version})
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "busy" in response.content.decode() and "try again" in response.content.decode()


def test_an_api_write_that_times_out_answers_busy_in_json(world, api, monkeypatch):
    from luoshi.orgs import services

    monkeypatch.setattr(services, "update_unit", _locked)
    unit = world.unit("110101")
    response = api("beijing_admin").patch(f"/api/v1/org-units/{unit.code}", {"name": "x", "version": unit.version},
                                          content_type="application/json")
    assert response.status_code == 503 and response["Retry-After"]
    assert "busy" in response.json()["detail"]


def test_the_busy_answer_is_translated(world, monkeypatch):
    from luoshi.orgs import services

    monkeypatch.setattr(services, "update_unit", _locked)
    unit = world.unit("110101")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(world.user("beijing_admin"))
    response = client.post(f"/units/{unit.code}/edit/", {"code": unit.code, "name": "x", "type": unit.type, "version": unit.version})
    assert response.status_code == 503 and "繁忙" in response.content.decode()


def test_other_errors_of_the_database_still_fail_loudly(world, login, monkeypatch):
    from luoshi.orgs import services

    def broken(*args, **kwargs):
        raise OperationalError("no such table: orgs_orgunit")

    monkeypatch.setattr(services, "update_unit", broken)
    unit = world.unit("110101")
    with pytest.raises(OperationalError):
        login("beijing_admin").post(f"/units/{unit.code}/edit/", {"code": unit.code, "name": "x", "type": unit.type,
                                                                  "version": unit.version})


@pytest.mark.django_db(transaction=True)
def test_a_failing_batch_undoes_the_batches_already_written(world, monkeypatch):
    from luoshi.core.tabular import TableError
    from luoshi.orgs import services
    from luoshi.orgs.models import OrgUnit

    monkeypatch.setattr(services, "IMPORT_BATCH", 3)
    rows = [(n + 2, {"code": f"Q{n}", "name": f"学校{n}", "type": "school", "parent_code": "110101"}) for n in range(7)]
    rows.append((9, {"code": "Q0A", "name": "分校", "type": "school", "parent_code": "Q0"}))
    real = OrgUnit.objects.bulk_create
    calls = []

    def fail_on_the_third(objs, *args, **kwargs):
        calls.append(len(objs))
        if len(calls) == 3:
            OrgUnit.objects.create(code="Q0A", name="别人先建的", type="school", path="/x/", depth=9)  # someone else's unit
        return real(objs, *args, **kwargs)

    monkeypatch.setattr(OrgUnit.objects, "bulk_create", fail_on_the_third)
    with pytest.raises(TableError) as caught:
        services.import_units(world.user("beijing_admin"), rows, "units.csv")
    assert "try again" in str(caught.value)
    assert calls == [3, 3, 1] or calls[:2] == [3, 3]
    assert not OrgUnit.objects.filter(code__startswith="Q").exclude(code="Q0A").exists()


BIG = 6000


@pytest.fixture
def big_site(tmp_path):
    run = luoshi_runner(tmp_path)
    assert run("migrate", "--verbosity", "0").returncode == 0
    made = run("createsuperuser", "--noinput", "--username", "root", "--email", "root@example.org",
               env={"DJANGO_SUPERUSER_PASSWORD": "a-long-password-1"})
    assert made.returncode == 0, made.stderr
    lines = ["code,name,type,parent_code", "MOE,教育部,ministry,"]
    lines += [f"P{p},省{p},province,MOE" for p in range(30)]
    lines += [f"S{n},学校{n},school,P{n % 30}" for n in range(BIG)]
    big = tmp_path / "big.csv"
    big.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path, big


def test_other_writers_wait_briefly_while_a_big_import_runs(big_site):
    site, big = big_site
    importer = subprocess.Popen([luoshi_bin(), "orgunits", "import", str(big)], env=luoshi_env(site), cwd=site,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waits: list[float] = []
    failures: list[str] = []
    db = site / "luoshi.sqlite3"
    # Another user's short write, every 0.2 s while the import runs, with the application's busy
    # timeout (a single-transaction import of this file holds the lock far longer).
    from luoshi.conf import SQLITE_BUSY_SECONDS

    conn = sqlite3.connect(db, timeout=SQLITE_BUSY_SECONDS, isolation_level=None)
    started = time.monotonic()
    while importer.poll() is None and time.monotonic() - started < 180:
        t0 = time.monotonic()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE django_session SET expire_date = expire_date WHERE 0")
            conn.execute("UPDATE auth_user SET last_name = last_name WHERE username = 'root'")
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            failures.append(str(exc))
            try:
                conn.execute("ROLLBACK")
            except sqlite3.OperationalError:
                pass
        waits.append(time.monotonic() - t0)
        time.sleep(0.2)
    out, err = importer.communicate(timeout=60)
    conn.close()
    assert importer.returncode == 0, err
    assert f"{BIG + 31} created" in out
    assert len(waits) >= 3, "the import finished too quickly to observe"
    assert not failures, failures
    # Typically a writer waits for at most one batch (well under a second on an idle machine).
    assert sorted(waits)[len(waits) // 2] < 1.0, sorted(waits)
