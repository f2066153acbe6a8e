"""The item import into an existing plan writes in bounded batches (other writers get the
database between them) and stays all or nothing for the importer."""

from __future__ import annotations


import pytest

from luoshi.core import batches
from luoshi.core.tabular import TableError, read_table
from luoshi.plans import services
from luoshi.plans.models import PlanItem
from luoshi.plans.tests.conftest import build_small_plan

COLUMNS, OPTIONAL = services.ITEM_COLUMNS, services.ITEM_OPTIONAL


def _rows(*lines: str):
    text = ",".join(COLUMNS) + "\n" + "\n".join(lines) + "\n"
    return read_table(text.encode(), "items.csv", COLUMNS, OPTIONAL)


def _state(plan):
    return sorted(PlanItem.objects.filter(plan=plan).values_list("code", "title", "parent_id", "position", "path", "child_count",
                                                                 "lead_unit__code", "due_date"))


def _failing_in_the_last_batch(small) -> list[str]:
    """Rows in batches of two: an existing item changed and moved under another parent, then new
    items, and in the last batch a row the service refuses (due after the plan's horizon)."""
    return [
        f"{small.shanghai.code},{small.task.code},measure,上海：改名,310000,2025-10-31",
        "9,,key_task,新任务,MOE-JCJYS,2025-12-31",
        "9.1,9,measure,新措施一,110000,2025-12-31",
        "9.2,9,measure,新措施二,310000,2025-12-31",
        "9.3,9,measure,新措施三,110000,2031-12-31",
    ]


def test_a_failing_row_in_a_later_batch_undoes_the_batches_already_written(world, small, monkeypatch):
    monkeypatch.setattr(services, "ITEM_IMPORT_BATCH", 2)
    planner = world.user("ministry_planner")
    before = _state(small.plan)
    lines = _failing_in_the_last_batch(small)
    with pytest.raises(TableError) as caught:
        services.import_items(planner, small.plan, _rows(*lines), "items.csv")
    assert [e.field for e in caught.value.errors] == ["due_date"]
    assert _state(small.plan) == before


@pytest.mark.django_db(transaction=True)
def test_a_failing_row_outside_a_transaction_undoes_the_committed_batches_newest_first(world, monkeypatch):
    # as a real request runs it: each batch committed on its own, then undone batch by batch
    small = build_small_plan(world)
    monkeypatch.setattr(services, "ITEM_IMPORT_BATCH", 2)
    before = _state(small.plan)
    lines = _failing_in_the_last_batch(small)
    with pytest.raises(TableError) as caught:
        services.import_items(world.user("ministry_planner"), small.plan, _rows(*lines), "items.csv")
    assert [(e.row, e.field) for e in caught.value.errors] == [(6, "due_date")]
    assert _state(small.plan) == before


@pytest.mark.django_db(transaction=True)
def test_batches_are_committed_one_by_one_with_the_database_free_in_between(world, monkeypatch):
    from django.db import transaction

    small = build_small_plan(world)
    monkeypatch.setattr(services, "ITEM_IMPORT_BATCH", 2)
    seen_between: list[tuple[bool, int]] = []

    real_give_way = batches.Turns.give_way

    def give_way(turns):  # called before each batch (it pauses there on SQLite; see test_batches.py)
        seen_between.append((transaction.get_connection().in_atomic_block,
                             PlanItem.objects.filter(plan=small.plan, code__startswith="8").count()))
        real_give_way(turns)

    monkeypatch.setattr(batches.Turns, "give_way", give_way)
    lines = [f"8{n},,measure,新措施{n},110000,2025-12-31" for n in range(5)]
    result = services.import_items(world.user("ministry_planner"), small.plan, _rows(*lines), "items.csv")
    assert result == {"created": 5, "updated": 0}
    # three batches (2 + 2 + 1 rows): outside any transaction before each, earlier rows committed
    assert seen_between == [(False, 0), (False, 2), (False, 4)]
