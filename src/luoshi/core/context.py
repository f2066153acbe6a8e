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
