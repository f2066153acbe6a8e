"""Flags about the quality of the kept text: mojibake, broken dates, spun
wording, script artefacts. Nothing here changes the text."""

from __future__ import annotations

import re
from collections import Counter

from . import lexicon
from .charsets import common_han, rare_han_pattern, script_patterns
from .dates import find_dates
from .model import Flag

_REPLACEMENT = re.compile(r"\ufffd+|(?:锟斤拷)+|(?:烫烫烫)+|(?:屯屯屯)+")
_CP1252_TAIL = "\u0080-\u00bf\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
_LATIN_MOJIBAKE = re.compile(f"(?:[\u00c2-\u00ef][{_CP1252_TAIL}]{{1,2}}){{2,}}")
_DEBRIS = "?\ufffd"
_CLUSTER_GAP = 3
_CLUSTER_MIN = 3
_ARTEFACT = re.compile(
    r"製(?:定|度|訂|订|約|约|止|衡)|(?:機|机|體|体|管|控|抑|壓|压|限|牽|牵|節|节|遏|克|強|强|法|專|专)製"
)
_TRANSCODINGS = (("gbk", "big5"), ("big5", "gbk"), ("gbk", "utf-8"),
                 ("big5", "utf-8"), ("cp1252", "utf-8"), ("latin-1", "utf-8"))
_SCRIPT_SAMPLE = 400_000
MAX_FLAGS_PER_KIND = 50


def _context(text: str, start: int, end: int, pad: int = 6) -> str:
    return text[max(0, start - pad) : min(len(text), end + pad)].replace("\n", " ")


def _repair(span: str) -> str | None:
    """A transcoding of ``span`` that yields clean common text, if any."""
    common = common_han()
    for wrong, right in _TRANSCODINGS:
        try:
            candidate = span.encode(wrong).decode(right)
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        han = [c for c in candidate if "\u4e00" <= c <= "\u9fff"]
        if len(han) >= 2 and all(c in common for c in han):
            return candidate
    return None


def mojibake_flags(text: str) -> list[Flag]:
    flags: list[Flag] = []
    for match in _REPLACEMENT.finditer(text):
        flags.append(Flag("mojibake", _context(text, *match.span()),
                          "replacement characters: part of the text was lost in a wrong decoding"))
    for match in _LATIN_MOJIBAKE.finditer(text):
        flags.append(_mojibake_flag(text, match.start(), match.end(), "UTF-8 text read as Latin-1"))
    for start, end in _rare_clusters(text):
        flags.append(_mojibake_flag(text, start, end, "run of rare characters typical of a wrong decoding"))
    return flags[:MAX_FLAGS_PER_KIND]


def _mojibake_flag(text: str, start: int, end: int, why: str) -> Flag:
    span = text[start:end]
    repaired = _repair(span)
    hint = f"; it may read '{repaired}'" if repaired else "; the original cannot be recovered"
    return Flag("mojibake", span, f"{why}{hint} (kept as is)")


def _rare_clusters(text: str) -> list[tuple[int, int]]:
    clusters: list[tuple[int, int]] = []
    start = end = -10
    count = 0
    for match in rare_han_pattern().finditer(text):
        if match.start() - end <= _CLUSTER_GAP:
            end, count = match.end(), count + 1
            continue
        if count >= _CLUSTER_MIN:
            clusters.append(_widen(text, start, end))
        start, end, count = match.start(), match.end(), 1
    if count >= _CLUSTER_MIN:
        clusters.append(_widen(text, start, end))
    return clusters


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Take in the '?' and Latin debris that wrong decodings leave around a run."""
    while start > 0 and text[start - 1] in _DEBRIS:
        start -= 1
    while end < len(text) and (text[end] in _DEBRIS or (text[end].isascii() and text[end].isalpha())):
        end += 1
    return start, end


def date_flags(text: str) -> list[Flag]:
    flags = [
        Flag("ambiguous_date", _context(text, d.start, d.end), f"'{d.text}': {d.problem}; not guessed")
        for d in find_dates(text)
        if d.problem
    ]
    return flags[:MAX_FLAGS_PER_KIND]


def spun_text_flags(text: str) -> list[Flag]:
    forms = lexicon.spin_forms()
    found = Counter(m.group() for m in lexicon.spin_pattern().finditer(text))
    if len(found) < 3 or not any(forms[f].strong for f in found):
        return []
    listed = ", ".join(f"{f} ({forms[f].official})" for f, _ in found.most_common(8))
    first = lexicon.spin_pattern().search(text)
    assert first is not None
    return [Flag(
        "spun_text", _context(text, first.start(), first.end(), 12),
        f"machine-rewritten ('spun') wording, {sum(found.values())} substitutions such as "
        f"{listed}; this copy does not carry the official text",
    )]


def script_flags(text: str) -> list[Flag]:
    flags: list[Flag] = []
    artefacts = Counter(m.group() for m in _ARTEFACT.finditer(text))
    for word, count in artefacts.most_common(MAX_FLAGS_PER_KIND):
        flags.append(Flag("script_artifact", word,
                          f"conversion artefact ({count}x): 製 stands for 制 here; "
                          "convert with --to simplified to repair"))
    sample = text[:_SCRIPT_SAMPLE]
    trad_pattern, simp_pattern = script_patterns()
    trad = len(trad_pattern.findall(sample))
    simp = len(simp_pattern.findall(sample))
    if trad >= 5 and simp >= 5 and min(trad, simp) >= 0.1 * (trad + simp):
        flags.append(Flag("mixed_script", _context(sample, 0, 0, 20),
                          f"text mixes traditional ({trad}) and simplified ({simp}) characters; "
                          "--to simplified gives one script"))
    return flags
