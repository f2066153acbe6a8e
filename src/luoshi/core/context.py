"""The context of one action: which batch of changes a write belongs to, and where it came from.

The web middleware, the API, CLI commands, imports and background jobs each open a batch;
every audit record written inside it carries the same ``batch_id``, so one action's changes
can be read together.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

SOURCES = ("web", "api", "cli", "import", "worker", "system")


@dataclass(frozen=True)
class Batch:
    source: str = "system"
    batch_id: uuid.UUID = field(default_factory=uuid.uuid4)


_current: ContextVar[Batch | None] = ContextVar("luoshi_batch", default=None)


def current_batch() -> Batch:
    """The open batch, or a fresh one-off batch for a write made outside any."""
    return _current.get() or Batch()


@contextmanager
def batch(source: str, batch_id: uuid.UUID | None = None) -> Iterator[Batch]:
    if source not in SOURCES:
        raise ValueError(f"unknown batch source {source!r}")
    opened = Batch(source=source, batch_id=batch_id or uuid.uuid4())
    token = _current.set(opened)
    try:
        yield opened
    finally:
        _current.reset(token)


# Per-request memo of derived read data (e.g. a user's compiled scope of one plan's items), so a
# page that asks the same scope question four times computes it once. Only opened for reading
# requests (GET/HEAD): a write in the request could change the answer. Outside a request (tests,
# services, commands) nothing is memoised.
_memo: ContextVar[dict | None] = ContextVar("luoshi_request_memo", default=None)


@contextmanager
def read_memo() -> Iterator[dict]:
    token = _memo.set({})
    try:
        yield _memo.get()
    finally:
        _memo.reset(token)


def memoized(key: tuple, compute):
    """``compute()``, computed once per key within an open ``read_memo`` (else every time)."""
    memo = _memo.get()
    if memo is None:
        return compute()
    try:
        return memo[key]
    except KeyError:
        value = memo[key] = compute()
        return value
