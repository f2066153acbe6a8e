"""``core.batches``: bounded write batches pause for waiting writers only where writers share one
lock (SQLite), and undo what they committed when a later batch fails."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from luoshi.core import batches

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sleeps(monkeypatch):
    calls: list[float] = []
    monkeypatch.setattr(batches.time, "sleep", calls.append)
    return calls


def _write(batch):
    return [Group.objects.create(name=f"batch-{n}").pk for n in batch]


def _undo(pks):
    Group.objects.filter(pk__in=pks).delete()


def test_batches_pause_between_batches_on_sqlite_and_never_on_postgresql(sleeps):
    done = batches.write_in_batches(list(batches.chunks(list(range(10)), 3)), _write, _undo, pause=0.05)
    assert len(done) == 10 and Group.objects.filter(name__startswith="batch-").count() == 10
    if connection.vendor == "sqlite":
        assert sleeps == [0.05, 0.05, 0.05]  # before batches 2, 3 and 4, never before the first
    else:
        assert sleeps == []


def test_a_failing_batch_undoes_the_committed_ones(sleeps):
    def write(batch):
        if 7 in batch:
            raise ValueError("row 7")
        return _write(batch)

    with pytest.raises(ValueError, match="row 7"):
        batches.write_in_batches(list(batches.chunks(list(range(10)), 3)), write, _undo)
    assert not Group.objects.filter(name__startswith="batch-").exists()


def test_turns_pause_only_after_holding_the_lock_for_their_hold(sleeps):
    turns = batches.Turns(hold=10.0, pause=0.01)
    for _ in range(3):
        with turns.atomic():
            Group.objects.create(name=f"batch-x{_}")
    assert sleeps == [] and turns.pauses == 0  # well under 10 s held
    turns.held = 10.0
    with turns.atomic():
        pass
    assert turns.pauses == (1 if connection.vendor == "sqlite" else 0)
