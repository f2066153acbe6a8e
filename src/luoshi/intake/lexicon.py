"""Maintained word lists shipped in ``luoshi/intake/data`` (loaded once)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path


DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True, slots=True)
class SpinForm:
    spun: str
    official: str
    strong: bool


def _data_lines(name: str) -> list[list[str]]:
    text = (DATA_DIR / name).read_text("utf-8")
    rows: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@cache
def spin_forms() -> dict[str, SpinForm]:
    return {
        spun: SpinForm(spun, official, strength == "strong")
        for spun, official, strength in _data_lines("spin_lexicon.tsv")
    }


@cache
def spin_pattern() -> re.Pattern[str]:
    return re.compile(_alternation(list(spin_forms())))


@cache
def boilerplate_tokens() -> frozenset[str]:
    return frozenset(row[0].lower() for row in _data_lines("boilerplate_tokens.txt"))
