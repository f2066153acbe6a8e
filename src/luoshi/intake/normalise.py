"""Normalised keys for matching: one spelling for the many ways a word can be written.

Spam writes its words so that fixed lists miss them: full-width letters and digits, circled
or parenthesised forms, Kangxi radicals and compatibility ideographs instead of the ordinary
characters, Cyrillic or Greek letters that look like Latin ones, traditional characters in a
simplified copy, and separators between the characters of a word (``博 彩``, ``博.彩``,
``博*彩``). :func:`match_key` undoes all of that before any model or rule looks at a line:

1. Unicode NFKC (compatibility forms: ｗｗｗ → www, ① → 1, ⼈ → 人, ﹒ → .);
2. look-alike letters (Cyrillic а е о р с х у …, Greek ο α ν …) → Latin; a few look-alike Han
   characters that differ by a stroke → the ordinary character;
3. traditional → simplified (character table) and lower case;
4. separators (spaces, dots, stars, bars, middle dots, underscores) *between two Han
   characters* are dropped: real text never spaces out the characters of a word.

The result is for matching only; it does not keep offsets. :func:`shape` goes further for the
statistical model: every digit becomes ``0`` and every run of Latin letters that is not a
generic web word becomes ``x`` (at most three), so ``abc88`` and ``K9`` look alike — a model
learns the *shape* of a brand, never a brand.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from .charsets import simplified_key

# Letters from other alphabets that are drawn like Latin letters.
_LOOKALIKE_LATIN = {
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ɡ": "g", "ı": "i", "ℓ": "l",
}
# Han characters that differ from a common one by a stroke or a dot and are used to dodge
# word lists (no meaning of their own in running text), and radical-supplement forms that
# NFKC leaves alone.
_LOOKALIKE_HAN = {
    "祼": "裸", "徃": "往", "冇": "有", "氺": "水", "⺅": "亻", "⻊": "足", "⺮": "竹",
    "⻌": "辶", "⻍": "辶", "⺡": "氵", "⺘": "扌", "⻖": "阝", "⺼": "月", "⻓": "长",
    "⻩": "黄", "⻢": "马", "⻥": "鱼", "⻛": "风", "⻔": "门", "⻚": "页", "⻅": "见",
}
_HAN = "\u3400-\u9fff\uf900-\ufaff"
_SPACED = re.compile(rf"(?<=[{_HAN}])[\s.·•*_|｜丨~\-+/\\^`'\"]+(?=[{_HAN}])")
# Generic web words kept as words by :func:`shape` (not brands: the vocabulary of any site).
GENERIC_LATIN = frozenset({
    "app", "apk", "ios", "android", "www", "com", "net", "cn", "cc", "vip", "top", "xyz", "http",
    "https", "html", "qq", "vx", "wx", "h5", "pc", "id", "vr", "ai", "nba", "cba", "mv", "av",
    "vpn", "ktv", "pdf", "doc", "docx", "xls", "gdp", "stem", "it",
})
_LATIN_RUN = re.compile(r"[a-z]+")
_DIGIT = re.compile(r"\d")


@cache
def _table() -> dict[int, str]:
    table: dict[int, str] = {c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {0x3000: " "}
    table.update({ord(k): v for k, v in _LOOKALIKE_LATIN.items()})
    table.update({ord(k.upper()): v for k, v in _LOOKALIKE_LATIN.items() if k.upper() != k})
    table.update({ord(k): v for k, v in _LOOKALIKE_HAN.items()})
    return table


def match_key(text: str) -> str:
    """The line in one spelling: NFKC, look-alikes replaced, simplified, lower case, unspaced."""
    # Full-width forms (most of NFKC's work on Chinese text) and look-alikes in one pass; the
    # rest of NFKC only when something is left for it.
    text = text.translate(_table())
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text).translate(_table())
    text = simplified_key(text).lower()
    return _SPACED.sub("", text)


def match_key_of_simplified(key: str) -> str:
    """:func:`match_key` of a line already in simplified script (the cleaning's line keys, made in
    one OpenCC pass): the character table is not needed again."""
    text = key.translate(_table())
    if not unicodedata.is_normalized("NFKC", text):
        text = simplified_key(unicodedata.normalize("NFKC", text).translate(_table()))
    return _SPACED.sub("", text.lower())


def _latin(match: re.Match[str]) -> str:
    word = match.group()
    return word if word in GENERIC_LATIN else "x" * min(len(word), 3)


def shape(key: str) -> str:
    """A :func:`match_key` with digits as ``0`` and brand-like Latin runs as ``x``…"""
    return _DIGIT.sub("0", _LATIN_RUN.sub(_latin, key))
