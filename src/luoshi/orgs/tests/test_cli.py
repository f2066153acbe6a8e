"""``luoshi orgunits import|export`` as an operator runs it: the real console script, its exit code
and its output, on a private SQLite database."""

from __future__ import annotations

import pytest

from luoshi.core.testing.fixtures import luoshi_runner

HEADER = "code,name,type,parent_code"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A migrated database with a superuser and two units (the tests below write nothing)."""
    tmp_path = tmp_path_factory.mktemp("cli")
    run_luoshi = luoshi_runner(tmp_path)
    assert run_luoshi("migrate", "--verbosity", "0").returncode == 0
    made = run_luoshi("createsuperuser", "--noinput", "--username", "root", "--email", "root@example.org",
                      env={"DJANGO_SUPERUSER_PASSWORD": "a-long-password-1"})
    assert made.returncode == 0, made.stderr
    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\nMOE,中华人民共和国教育部,ministry,\n110000,北京市教育委员会,province,MOE\n", encoding="utf-8")
    done = run_luoshi("orgunits", "import", str(good))
    assert done.returncode == 0, done.stderr
    assert "good.csv: 2 created, 0 updated, 0 unchanged" in done.stdout
    return tmp_path, run_luoshi


def test_it_exits_non_zero_printing_every_bad_row_and_writes_nothing(site):
    site, run_luoshi = site
    before = run_luoshi("orgunits", "export")
    bad = site / "bad.csv"
    bad.write_text(f"{HEADER}\nX1,一,school,999999\nX2,二,castle,110000\nX3,三,school,110000\nX1,四,school,110000\n",
                   encoding="utf-8")
    result = run_luoshi("orgunits", "import", str(bad))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "bad.csv, row 2, parent_code: unknown unit 999999 (not in this file, nor visible to you)" in lines
    assert any(line.startswith("bad.csv, row 3, type: unknown type 'castle'") for line in lines)
    assert "bad.csv, row 5, code: duplicate code X1 (first in row 2)" in lines
    assert not any("row 4" in line for line in lines)
    assert "bad.csv: nothing imported (3 problem(s))" in result.stderr
    after = run_luoshi("orgunits", "export")
    assert before.returncode == after.returncode == 0
    assert after.stdout == before.stdout and "X3" not in after.stdout


def test_it_exits_non_zero_for_an_unreadable_file(site):
    site, run_luoshi = site
    result = run_luoshi("orgunits", "import", str(site / "missing.csv"))
    assert result.returncode == 2
    assert "missing.csv: cannot read" in result.stderr
