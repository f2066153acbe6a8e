"""Long writes in bounded batches, all or nothing for the one who started them.

SQLite has one writer at a time: an import written in a single transaction makes every other
user's write wait for all of it (and fail after the busy timeout). ``write_in_batches`` commits
each batch on its own and, on SQLite, pauses briefly in between so that waiting writers get their
turn (PostgreSQL has no single writer and never pauses: ``Turns``); if a later batch fails, the
batches already committed are undone (each through the ``undo`` the caller gives) and the error
is raised again, so the importer sees all or nothing.

Inside a transaction the caller already holds (an outer ``atomic`` block), batches cannot
release anything: everything then runs in that transaction as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from django.db import transaction

T = TypeVar("T")
U = TypeVar("U")

log = logging.getLogger(__name__)

# A batch on SQLite should hold the write lock for well under a second.
DEFAULT_BATCH_SIZE = 500
# Long enough for a writer in SQLite's busy handler (which sleeps up to 100 ms between tries) to
# wake up and take the lock.
PAUSE_SECONDS = 0.12


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def write_in_batches(batches: Iterable[Sequence[T]], write: Callable[[Sequence[T]], list[U]],
                     undo: Callable[[list[U]], None], *, pause: float = PAUSE_SECONDS,
                     progress: Callable[[int], None] | None = None) -> list[U]:
    """Run ``write(batch)`` for each batch in its own transaction; returns everything it returned.

    ``write`` returns what ``undo`` needs to reverse the batch. If any batch raises, ``undo`` is
    called once per committed batch, newest first, each in its own transaction, and the error is
    raised again.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block:  # an outer transaction: nothing can be released early
        done: list[U] = []
        with transaction.atomic():
            for batch in batches:
                done.extend(write(batch))
        return done
    committed: list[list[U]] = []
    written = 0
    # On SQLite a pause before every batch after the first (a hold of 0 s); on PostgreSQL, whose
    # writers do not share one lock, no pause at all.
    turns = Turns(hold=0.0, pause=pause)
    try:
        for batch in batches:
            with turns.atomic():
                committed.append(write(batch))
            written += len(batch)
            if progress:
                progress(written)
    except BaseException:
        for done_batch in reversed(committed):
            try:
                with transaction.atomic():
                    undo(done_batch)
            except Exception:  # keep undoing the rest; the original error is the one to report
                log.exception("undoing a committed import batch failed")
        raise
    return [entry for batch in committed for entry in batch]


class Turns:
    """Short write transactions that leave waiting SQLite writers their turn.

    SQLite has no queue for its write lock: a process that commits and at once begins its next
    transaction takes the lock again before a writer asleep in its busy handler (which retries
    every 100 ms at most) wakes up. ``Turns.atomic()`` is ``transaction.atomic()`` that also
    counts how long the lock was held; once ``hold`` seconds have been held since the last
    pause, it pauses for ``pause`` seconds before the next transaction. A waiting writer thus
    waits at most about ``hold`` seconds plus one transaction, and a long job pays about
    ``pause / hold`` of its writing time. Other databases (row locks, no single writer) never pause.
    """

    def __init__(self, hold: float = 1.0, pause: float = PAUSE_SECONDS) -> None:
        self.hold = hold
        self.pause = pause
        self.held = 0.0
        self.pauses = 0
        self.sqlite = transaction.get_connection().vendor == "sqlite"

    def give_way(self) -> None:
        """Pause now if the lock has been held for ``hold`` seconds since the last pause."""
        if (self.sqlite and self.held > 0 and self.held >= self.hold
                and not transaction.get_connection().in_atomic_block):
            time.sleep(self.pause)
            self.held = 0.0
            self.pauses += 1

    @contextmanager
    def atomic(self) -> Iterator[None]:
        self.give_way()
        start = time.monotonic()
        try:
            with transaction.atomic():
                yield
        finally:
            self.held += time.monotonic() - start
