"""luoshi.intake: read a policy document, clean a noisy copy, find its structure.

A pure domain module: nothing here touches the database or the web layer.

    >>> from luoshi.intake import parse_document
    >>> doc = parse_document("一、总体要求\\n（一）指导思想。坚持立德树人。", filename="a.txt")
    >>> [item.marker for item in doc.items]
    ['一、']

The names below are imported on first use (PEP 562), so that Django, which
imports this package at start-up as the ``intake`` app, does not pay for
BeautifulSoup, lxml and the pattern tables of a parser it may never run.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import (
        BinaryInputError,
        EmptyInputError,
        FileTooLargeError,
        IntakeError,
        SpamDocumentError,
        UndecodableError,
        UnreadableInputError,
    )
    from .model import Flag, Item, ParsedDocument, Removal
    from .pipeline import parse_document, parse_path
    from .reading import MAX_INPUT_BYTES

_EXPORTS = {
    "BinaryInputError": "errors",
    "EmptyInputError": "errors",
    "FileTooLargeError": "errors",
    "IntakeError": "errors",
    "SpamDocumentError": "errors",
    "UndecodableError": "errors",
    "UnreadableInputError": "errors",
    "Flag": "model",
    "Item": "model",
    "ParsedDocument": "model",
    "Removal": "model",
    "parse_document": "pipeline",
    "parse_path": "pipeline",
    "MAX_INPUT_BYTES": "reading",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
