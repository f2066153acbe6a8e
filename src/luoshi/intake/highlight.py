"""Where the removed parts were: the clean text with each removal put back at its place.

The intake pipeline reports *what* it removed (``removed``: kind and text), not where. Cleaning
only deletes (and tidies whitespace), so the text as read is the clean text with the removals
interleaved; :func:`segments` recovers that interleaving by walking both texts together. A
character of the original either continues the clean text, is whitespace the cleaning dropped,
or starts one of the reported removals. The result is used only if the walk accounts for every
character of the clean text up to the preview limit; otherwise it is ``None`` and the page lists
the removals by kind next to the text instead of guessing.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable

from .charsets import to_simplified

PREVIEW_CHARS = 100_000   # characters of clean text shown with highlights
MAX_ORIGINAL_CHARS = 4_000_000

Segment = tuple[str, str, bool]  # (kind or "" for kept text, text, removal was a whole line)


def _pending(removed: Iterable[dict[str, str]], convert: bool) -> tuple[dict[str, list[str]], dict[str, deque[str]]]:
    by_first: dict[str, set[str]] = defaultdict(set)
    kinds: dict[str, deque[str]] = defaultdict(deque)
    for entry in removed:
        text = entry.get("text") or ""
        if convert:
            text = to_simplified(text)
        if not text.strip():
            continue
        by_first[text[0]].add(text)
        kinds[text].append(entry.get("kind") or "")
    return {c: sorted(texts, key=len, reverse=True) for c, texts in by_first.items()}, kinds


def _common(a: str, i: int, b: str, j: int, limit: int) -> int:
    n = 0
    while n < limit and i + n < len(a) and j + n < len(b) and a[i + n] == b[j + n]:
        n += 1
    return n


def _match(original: str, i: int, text: str, starts: dict[str, list[str]], kinds: dict[str, deque[str]]) -> tuple[int, list[str]]:
    """Where ``text`` ends if it starts at ``original[i]``, or -1.

    Removals are reported from the text as each cleaning step saw it, so a boilerplate line may
    be reported without the pinyin or emoji removed from it by an earlier step: those other
    pending removals may sit inside the match (they are returned, to be consumed with it).
    """
    if original.startswith(text, i):
        return i + len(text), []
    pos, k, inner = i, 0, []
    while k < len(text):
        if pos < len(original) and original[pos] == text[k]:
            pos += 1
            k += 1
            continue
        if pos >= len(original) or k == 0:
            return -1, []
        for other in starts.get(original[pos], ()):
            if other != text and len(kinds[other]) > inner.count(other) and original.startswith(other, pos):
                inner.append(other)
                pos += len(other)
                break
        else:
            return -1, []
    return pos, inner


def segments(original: str, clean_text: str, removed: list[dict[str, str]], *,
             converted: bool = False, limit: int = PREVIEW_CHARS) -> list[Segment] | None:
    """The first ``limit`` characters of ``clean_text`` as kept and removed segments, or None.

    ``converted``: the clean text was converted to simplified script after cleaning, so the
    original and the removals are converted the same way before the walk (a conversion that
    changes the length of the original makes the walk impossible: None).
    """
    if len(original) > MAX_ORIGINAL_CHARS:
        return None
    if converted:
        simplified = to_simplified(original)
        if len(simplified) != len(original):
            return None
        original = simplified
    starts, kinds = _pending(removed, converted)
    out: list[Segment] = []
    kept: list[str] = []
    i = j = 0
    end = min(len(clean_text), limit)

    def flush() -> None:
        if kept:
            out.append(("", "".join(kept), False))
            kept.clear()

    while j < end:
        if i >= len(original):
            return None
        char = original[i]
        removal, stop, inner = None, -1, []
        for text in starts.get(char, ()):
            if kinds[text]:
                stop, inner = _match(original, i, text, starts, kinds)
                if stop >= 0:
                    removal = text
                    break
        if removal is not None and char == clean_text[j] and _common(original, i, clean_text, j, stop - i) >= stop - i:
            removal = None  # the clean text goes on with the same characters: keep them
        if removal is not None:
            whole_line = (i == 0 or original[i - 1] in "\r\n") and original[stop:].lstrip(" \t\u3000")[:1] in ("", "\r", "\n")
            flush()
            out.append((kinds[removal].popleft(), original[i:stop], whole_line))
            for other in inner:
                kinds[other].popleft()
            i = stop
        elif char == clean_text[j]:
            kept.append(char)
            i += 1
            j += 1
        elif char.isspace():
            i += 1
        elif clean_text[j].isspace():
            kept.append(clean_text[j])
            j += 1
        else:
            return None
    flush()
    # Removals right after the last kept character (a page footer) belong to the preview too.
    while i < len(original) and end == len(clean_text):
        char = original[i]
        if char.isspace():
            i += 1
            continue
        for text in starts.get(char, ()):
            stop, inner = _match(original, i, text, starts, kinds) if kinds[text] else (-1, [])
            if stop >= 0:
                whole_line = original[i - 1] in "\r\n" and original[stop:].lstrip(" \t\u3000")[:1] in ("", "\r", "\n")
                out.append((kinds[text].popleft(), original[i:stop], whole_line))
                for other in inner:
                    kinds[other].popleft()
                i = stop
                break
        else:
            break
    return out
