"""Readable text rendering of a parsed document (the CLI without --json)."""

from __future__ import annotations

from collections import Counter

from .model import Item, ParsedDocument

_SNIPPET = 60


def _short(text: str, limit: int = _SNIPPET) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def render(document: ParsedDocument) -> str:
    lines = [
        f"Title:      {document.title or '-'}",
        f"Date:       {document.date or '-'}",
        f"Source:     {document.source or '-'}",
        f"Doc number: {document.doc_number or '-'}",
        f"Issuer:     {document.issuer or '-'}",
        f"Text:       {len(document.clean_text):,} characters",
    ]
    counts = Counter(entry.kind for entry in document.removed)
    summary = ", ".join(f"{kind} {count}" for kind, count in counts.most_common())
    lines.append(f"Removed:    {len(document.removed)}" + (f" ({summary})" if summary else ""))
    lines.append(f"Flags:      {len(document.flags)}")
    for flag in document.flags:
        lines.append(f"  [{flag.kind}] {_short(flag.text, 40)}: {flag.reason}")
    lines.append("Outline:")
    if not document.items:
        lines.append("  (no enumerations found)")
    lines.extend(_outline(document.items, 1))
    return "\n".join(lines)


def _outline(items: list[Item], depth: int) -> list[str]:
    lines: list[str] = []
    indent = "  " * depth
    for item in items:
        if item.marker:
            lines.append(f"{indent}{item.marker} {_short(item.title)}")
        else:
            lines.append(f"{indent}¶ {_short(item.title) or '(group)'}")
        lines.extend(_outline(item.children, depth + 1))
    return lines
