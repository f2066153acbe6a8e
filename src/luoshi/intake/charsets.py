"""Character sets derived from the national encodings and from OpenCC.

* *Common Han characters*: GB 2312 level 1 (the 3,755 most used simplified
  characters) together with Big5 level 1 (the 5,401 most used traditional
  characters). Correctly decoded Chinese text consists almost entirely of
  these; text decoded with the wrong codec, or mojibake pasted into a page,
  is full of rare ones. Both the encoding detector and the mojibake detector
  rely on this.
* *Traditional-only* and *simplified-only* characters, from OpenCC's
  single-character tables, used to describe the script of a text and to build a
  fast character map to simplified form for matching boilerplate phrases.

Everything is computed once per process, on first use (a few milliseconds).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

# Unicode blocks that hold Han ideographs (URO, extension A, compatibility
# ideographs, and the supplementary ideographic planes).
HAN_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x323AF),
)

# A handful of frequent characters that happen to sit in GB 2312 level 2.
_EXTRA_COMMON = "浏丨曦瑜璐琦琳瑶颖婷萱彧鑫淼垚焱琪炜昊晗钰"


def _decode_pairs(codec: str, leads: Iterable[int], trails: Iterable[int]) -> set[str]:
    found: set[str] = set()
    trail_list = list(trails)
    for lead in leads:
        for trail in trail_list:
            try:
                found.add(bytes((lead, trail)).decode(codec))
            except UnicodeDecodeError:
                continue
    return found


@cache
def common_han() -> frozenset[str]:
    """GB 2312 level 1 plus Big5 level 1 (about 6,700 characters)."""
    gb_level1 = _decode_pairs("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF))
    big5_trails = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    big5_level1 = _decode_pairs("big5", range(0xA4, 0xC6), big5_trails)
    big5_level1 |= _decode_pairs("big5", (0xC6,), range(0x40, 0x7F))
    return frozenset(gb_level1 | big5_level1 | set(_EXTRA_COMMON))


def ranges_class(chars: Iterable[str]) -> str:
    """A regular-expression character class body matching exactly ``chars``."""
    points = sorted({ord(c) for c in chars})
    parts: list[str] = []
    start = prev = -2
    for point in points:
        if point == prev + 1:
            prev = point
            continue
        if start >= 0:
            parts.append(_span(start, prev))
        start = prev = point
    if start >= 0:
        parts.append(_span(start, prev))
    return "".join(parts)


def _span(start: int, end: int) -> str:
    if start == end:
        return re.escape(chr(start))
    return f"{re.escape(chr(start))}-{re.escape(chr(end))}"


@cache
def rare_han_pattern() -> re.Pattern[str]:
    """Matches one Han character that is *not* common."""
    common = common_han()
    rare: list[str] = []
    for low, high in HAN_RANGES:
        start = None
        for point in range(low, high + 1):
            if chr(point) in common:
                if start is not None:
                    rare.append(_span(start, point - 1))
                    start = None
            elif start is None:
                start = point
        if start is not None:
            rare.append(_span(start, high))
    return re.compile("[" + "".join(rare) + "]")


@cache
def _opencc(config: str) -> Any:
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Convert with OpenCC ``t2s`` (phrase aware; also repairs 製定 → 制定)."""
    return str(_opencc("t2s").convert(text))


@cache
def _single_char_tables() -> tuple[dict[int, str], frozenset[str], frozenset[str]]:
    urochars = [chr(p) for p in range(0x4E00, 0xA000)]
    joined = "\n".join(urochars)
    simplified = _opencc("t2s").convert(joined).split("\n")
    traditional = _opencc("s2t").convert(joined).split("\n")
    table: dict[int, str] = {}
    trad_only: set[str] = set()
    simp_only: set[str] = set()
    if len(simplified) == len(urochars):
        for char, simp in zip(urochars, simplified):
            if simp != char and len(simp) == 1:
                table[ord(char)] = simp
                trad_only.add(char)
    if len(traditional) == len(urochars):
        for char, trad in zip(urochars, traditional):
            if trad != char and char not in trad_only:
                simp_only.add(char)
    return table, frozenset(trad_only), frozenset(simp_only)


def simplified_key(text: str) -> str:
    """Character-by-character simplified form, for matching only (fast)."""
    return text.translate(_single_char_tables()[0])


@cache
def script_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(traditional-only pattern, simplified-only pattern)."""
    _, trad_only, simp_only = _single_char_tables()
    return (
        re.compile("[" + ranges_class(trad_only) + "]"),
        re.compile("[" + ranges_class(simp_only) + "]"),
    )
