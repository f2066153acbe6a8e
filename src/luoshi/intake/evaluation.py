"""Evaluation of spam removal on the labelled set (``tests/evalset``): precision and recall of
removed lines, characters of real text lost, lines flagged for the reader.

Each source is cleaned as a whole document with :func:`luoshi.intake.cleaning.clean`.

* a spam line (``S|``) counts as removed when it is no longer in the clean text as written;
* a real line (``R|``) that is not in the clean text whole counts as wrongly removed, and its
  characters that the clean text lost (all of them, unless the line survives) as *real
  characters lost*;
* other furniture (``N|``) is not counted.

:func:`evaluate` scores the model in use (trained on the generated corpus only: every source is
held apart from it); :func:`leave_one_source_out` retrains the model on the corpus plus every
other source and tests on the one left out. ``judge`` swaps the line judge (the benchmark uses
it to score the former lexicon method on the same documents).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import spam, spammodel
from .cleaning import clean
from .errors import SpamDocumentError

EVALSET = Path(__file__).resolve().parent / "tests" / "evalset"


@dataclass(slots=True)
class Source:
    name: str
    lines: list[tuple[str, str]]  # (label, text)

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.lines)


@dataclass(slots=True)
class Score:
    spam_removed: int = 0
    spam_kept: int = 0
    real_removed: int = 0
    real_chars_lost: int = 0
    flagged: int = 0
    misses: list[str] = field(default_factory=list)
    losses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        removed = self.spam_removed + self.real_removed
        return self.spam_removed / removed if removed else 1.0

    @property
    def recall(self) -> float:
        total = self.spam_removed + self.spam_kept
        return self.spam_removed / total if total else 1.0

    def add(self, other: Score) -> None:
        self.spam_removed += other.spam_removed
        self.spam_kept += other.spam_kept
        self.real_removed += other.real_removed
        self.real_chars_lost += other.real_chars_lost
        self.flagged += other.flagged
        self.misses += other.misses
        self.losses += other.losses


def load(directory: Path = EVALSET) -> list[Source]:
    sources = []
    for path in sorted(directory.glob("*.txt")):
        lines = []
        for raw in path.read_text("utf-8").splitlines():
            if raw.strip():
                label, _, text = raw.partition("|")
                if label not in ("R", "S", "N"):
                    raise ValueError(f"{path.name}: line without a label: {raw!r}")
                lines.append((label, text))
        sources.append(Source(path.stem, lines))
    return sources


def score_source(source: Source) -> Score:
    score = Score()
    try:
        result = clean(source.text)
    except SpamDocumentError:
        clean_text, flags = "", []
    else:
        clean_text, flags = result.text, result.flags
    kept_lines = set(clean_text.split("\n"))
    score.flagged = sum(1 for flag in flags if flag.kind == "spam_suspect")
    for label, text in source.lines:
        line = text.strip()
        survives = line in kept_lines or line in clean_text
        if label == "S":
            if survives:
                score.spam_kept += 1
                score.misses.append(f"{source.name}: {line}")
            else:
                score.spam_removed += 1
        elif label == "R" and not survives:
            score.real_removed += 1
            score.real_chars_lost += len(line) - _longest_kept(line, clean_text)
            score.losses.append(f"{source.name}: {line}")
    return score


def _longest_kept(line: str, clean_text: str) -> int:
    """Characters of ``line`` still in the clean text: its longest prefix there (a cut tail)."""
    low, high = 0, len(line)
    while low < high:
        middle = (low + high + 1) // 2
        if line[:middle] in clean_text:
            low = middle
        else:
            high = middle - 1
    return low


def evaluate(sources: list[Source] | None = None) -> tuple[Score, dict[str, Score]]:
    """Score the model in use on every source; (total, per source)."""
    per = {source.name: score_source(source) for source in (sources or load())}
    total = Score()
    for score in per.values():
        total.add(score)
    return total, per


def leave_one_source_out(sources: list[Source] | None = None) -> tuple[Score, dict[str, Score]]:
    """For each source: a model trained on the corpus and the other sources, tested on it."""
    from .spamcorpus import corpus

    sources = sources or load()
    per: dict[str, Score] = {}
    for held in sources:
        rows = list(corpus())
        for other in sources:
            if other.name != held.name:
                rows += [("real" if label == "R" else "ad", text) for label, text in other.lines if label != "N"]
        with spammodel.using(spammodel.train(rows)):
            per[held.name] = score_source(held)
    total = Score()
    for score in per.values():
        total.add(score)
    return total, per


@contextmanager
def judge(replacement: Callable[..., dict[int, spam.Judgement]]) -> Iterator[None]:
    """Clean with another line judge for a while (the lexicon baseline of the benchmark)."""
    original = spam.judge_document
    spam.judge_document = replacement
    try:
        yield
    finally:
        spam.judge_document = original
