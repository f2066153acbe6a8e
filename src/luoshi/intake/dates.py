"""Finding dates in Chinese text, and telling apart the broken ones.

A date that a copy has damaged (``2024年1月111日``: 1月11日 or 11月1日?) is
never repaired by guessing: it is returned with ``iso=None`` and a ``problem``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .numerals import CN_DIGITS, cn_number

_FULLWIDTH_DIGITS = str.maketrans({0xFF10 + i: 0x30 + i for i in range(10)})
_DATE = re.compile(
    "|".join((
        r"(?<!\d)(?P<a_y>\d{4})\s*年\s*(?P<a_m>\d{1,4})\s*月\s*(?P<a_d>\d{1,4})\s*[日号]",
        r"(?<![\d.])(?P<b_y>\d{4})(?P<b_sep>[-/.])(?P<b_m>\d{1,3})(?P=b_sep)(?P<b_d>\d{1,3})(?![\d.])",
        r"(?P<c_y>[〇○零一二三四五六七八九]{4})年(?P<c_m>[一二三四五六七八九十]{1,3})月"
        r"(?P<c_d>[一二三四五六七八九十]{1,4})日",
        r"(?<![\d/])(?P<d_1>\d{1,2})/(?P<d_2>\d{1,2})/(?P<d_y>\d{4})(?![\d/])",
        r"(?<![\d年])(?P<e_m>\d{1,2})月(?P<e_d>\d{3,})日",
        r"(?<!\d)(?P<f_y>\d{4})\s*年\s*(?P<f_m>1[3-9]|[2-9]\d|\d{3})\s*月",
    ))
)
_FULLWIDTH_DIGIT = re.compile("[０-９]")
# Every date form has 月, or digits around a separator; long texts are
# scanned line by line, and only lines with such a hint (both checks are fast
# scans) go through the full pattern.
_NUMERIC_HINT = re.compile(r"\d[-/.]\d")
_LINE_SCAN_MIN = 2000
_LOST_DIGIT = "is impossible; the copy may have lost or doubled a digit"


@dataclass(frozen=True, slots=True)
class DateMatch:
    text: str
    start: int
    end: int
    iso: str | None
    problem: str | None


def _check(year: int, month: int, day: int) -> tuple[str | None, str | None]:
    if not 1 <= month <= 12:
        return None, f"month {month} {_LOST_DIGIT}"
    if not 1 <= day <= 31:
        return None, f"day {day} {_LOST_DIGIT}"
    try:
        return dt.date(year, month, day).isoformat(), None
    except ValueError:
        return None, f"{year}-{month}-{day} is not a calendar date"


def _evaluate(match: re.Match[str]) -> tuple[str | None, str | None]:
    group = match.group
    if group("a_y"):
        return _check(int(group("a_y")), int(group("a_m")), int(group("a_d")))
    if group("b_y"):
        return _check(int(group("b_y")), int(group("b_m")), int(group("b_d")))
    if group("c_y"):
        year = int("".join(str(CN_DIGITS[c]) for c in group("c_y")))
        month, day = cn_number(group("c_m")), cn_number(group("c_d"))
        if month is None or day is None:
            return None, "malformed Chinese-numeral date"
        return _check(year, month, day)
    if group("d_y"):
        first, second, year = int(group("d_1")), int(group("d_2")), int(group("d_y"))
        if first > 12 >= second:
            return _check(year, second, first)
        if second > 12 >= first or first == second:
            return _check(year, first, second)
        return None, "day/month order is ambiguous (DD/MM or MM/DD)"
    if group("e_d"):
        return None, f"day {int(group('e_d'))} {_LOST_DIGIT}"
    return None, f"month {int(group('f_m'))} {_LOST_DIGIT}"


def find_dates(text: str) -> Iterator[DateMatch]:
    """All dates in ``text``, in order, each either valid (iso) or with a problem."""
    plain = text.translate(_FULLWIDTH_DIGITS) if _FULLWIDTH_DIGIT.search(text) else text
    if len(plain) <= _LINE_SCAN_MIN:
        yield from _scan(text, plain, 0)
        return
    offset = 0
    for line in plain.split("\n"):
        if "月" in line or _NUMERIC_HINT.search(line):
            yield from _scan(text, line, offset)
        offset += len(line) + 1


def _scan(text: str, plain: str, offset: int) -> Iterator[DateMatch]:
    for match in _DATE.finditer(plain):
        start, end = offset + match.start(), offset + match.end()
        iso, problem = _evaluate(match)
        yield DateMatch(text[start:end], start, end, iso, problem)
