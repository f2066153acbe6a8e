"""What a move or an edit of an item locks (issue 13). On PostgreSQL the service reads the item
with ``SELECT … FOR UPDATE``, which locks the rows of every table the statement joins: the plan
(so that a move or an edit waits for ``add_item``'s next place and for archiving, which lock the
plan) and, for an edit, the units whose paths the lead-unit check reads. SQLite has no row locks
and Django leaves the clause out there, so these tests let Django write it as for a database with
row locks, record each statement and run it without the clause: on both databases they check
which tables the locking read takes its rows from."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from luoshi.plans import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def locking_reads(monkeypatch):
    monkeypatch.setattr(connection.features, "has_select_for_update", True)

    def run(call) -> list[str]:
        statements: list[str] = []

        def without_lock(execute, sql, params, many, context):
            statements.append(sql)
            return execute(sql.replace(" FOR UPDATE", ""), params, many, context)

        with connection.execute_wrapper(without_lock):
            call()
        return [sql for sql in statements if sql.endswith(" FOR UPDATE")]

    return run


def _tables(sql: str) -> list[str]:
    """The tables a statement reads, in the order of its FROM and JOIN clauses."""
    words = sql.replace("(", " ").split()
    return [words[i + 1].strip('"') for i, word in enumerate(words) if word in ("FROM", "JOIN")]


def test_a_move_locks_the_item_with_its_plan(world, small, locking_reads):
    planner = world.user("ministry_planner")
    reads = locking_reads(lambda: services.move_item(planner, small.shanghai, small.measure, position=1))
    assert _tables(reads[0]) == ["plans_planitem", "plans_plan"]


def test_an_edit_locks_the_item_with_its_plan_lead_unit_and_assigning_unit(world, small, locking_reads):
    planner = world.user("ministry_planner")
    reads = locking_reads(lambda: services.update_item(planner, small.shanghai, {"weight": Decimal(2)}))
    assert _tables(reads[0]) == ["plans_planitem", "plans_plan", "orgs_orgunit", "orgs_orgunit"]
