"""Data classes returned by the intake pipeline, and their JSON shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Removal:
    """A piece of text that cleaning removed, with the kind of noise it was."""

    kind: str
    text: str
    # Why, and how sure (spam only): the reader sees both.
    reason: str = ""
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "text": self.text}
        if self.reason:
            out["reason"] = self.reason
        if self.confidence is not None:
            out["confidence"] = round(self.confidence, 3)
        return out


@dataclass(frozen=True, slots=True)
class Flag:
    """Something the reader should look at; ``text`` is the passage concerned."""

    kind: str
    text: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text, "reason": self.reason}


@dataclass(slots=True)
class Item:
    """One node of the enumeration tree.

    ``marker`` is the enumeration marker as written (``一、``, ``（1）``, ``一是``).
    A node whose marker is ``""`` is a *passage*: the text that introduces a
    group of items; its children are that group.
    """

    marker: str
    title: str
    text: str
    children: list[Item] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "marker": self.marker,
            "title": self.title,
            "text": self.text,
            "children": [child.to_dict() for child in self.children],
        }


@dataclass(slots=True)
class ParsedDocument:
    """The result of :func:`luoshi.intake.parse_document`."""

    title: str | None
    date: str | None
    source: str | None
    doc_number: str | None
    clean_text: str
    removed: list[Removal] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    issuer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "date": self.date,
            "source": self.source,
            "doc_number": self.doc_number,
            "issuer": self.issuer,
            "clean_text": self.clean_text,
            "removed": [entry.to_dict() for entry in self.removed],
            "flags": [flag.to_dict() for flag in self.flags],
            "items": [item.to_dict() for item in self.items],
        }
