"""A character n-gram Naive Bayes model: is a line official text, or gambling, adult, ad or SEO spam?

Features are the character 1-, 2- and 3-grams of a line's :func:`~luoshi.intake.normalise.shape`
(normalised spelling; digits and brand-like Latin runs reduced to their shape), with a start and
an end mark. The model is multinomial Naive Bayes with add-α smoothing, trained on
:func:`luoshi.intake.spamcorpus.corpus` at first use in a process (about a second; the corpus is
generated from the vocabularies in the repository with a fixed seed, so every process trains the
same model and nothing is fetched).

:meth:`Model.logit` is the log-odds *spam vs real* of a line, tempered for length: Naive Bayes
multiplies evidence as if every n-gram were independent, which makes long lines absurdly sure;
the mean per-n-gram log-ratio times ``TEMPER`` is used instead, so a line's certainty grows with
how typical its n-grams are, not with how many there are. N-grams never seen in training count
as nothing.
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import accumulate, repeat
from operator import add
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from .normalise import match_key, shape

ALPHA = 0.5
TEMPER = 3.0
SPAM_CLASSES = ("gambling", "adult", "ad", "seo")


def grams(key: str) -> list[str]:
    """Character 1-3-grams of a shaped key, with start (``^``) and end (``$``) marks."""
    text = f"^{key}$"
    pairs = list(map(add, text, text[1:]))
    out = list(key)
    out += pairs
    out += map(add, pairs, text[2:])
    return out


def features(line: str) -> list[str]:
    return grams(shape(match_key(line)))


@dataclass(slots=True)
class Model:
    ratio: dict[str, float]                  # n-gram -> log P(g|spam) - log P(g|real)
    by_class: dict[str, dict[str, float]]    # spam class -> n-gram -> log P(g|class)
    unseen: dict[str, float]                 # spam class -> log P(unseen|class)

    def logit(self, line: str) -> float:
        """Tempered log-odds that ``line`` is spam (negative: official text)."""
        return self.logit_of(features(line))

    def logit_key(self, key: str) -> float:
        """:meth:`logit` of a line given by its :func:`~luoshi.intake.normalise.match_key`."""
        return self.logit_of(grams(shape(key)))

    def logit_of(self, feats: list[str]) -> float:
        values = list(map(self.ratio.get, feats))
        seen = len(values) - values.count(None)
        if not seen:
            return 0.0
        return TEMPER * sum(filter(None, values)) / seen

    def quick(self, shaped: str) -> float:
        """A first reading on the character pairs alone (one look-up per character instead of three).
        Where it finds clearly official text the full reading is not needed (see ``spam.QUICK_GATE``)."""
        text = f"^{shaped}$"
        return self.logit_of(list(map(add, text, text[1:])))

    def pair_profile(self, shaped: str) -> tuple[list[float], list[int]]:
        """Prefix sums of the pairs' log-ratios (and of how many pairs are known) by position in
        ``^shaped$``: the quick reading of any stretch of a paragraph in constant time."""
        text = f"^{shaped}$"
        pairs = list(map(add, text, text[1:]))
        values = map(self.ratio.get, pairs, repeat(0.0))
        counts = map(self.ratio.__contains__, pairs)
        return list(accumulate(values, initial=0.0)), list(accumulate(counts, initial=0))

    @staticmethod
    def stretch(profile: tuple[list[float], list[int]], start: int, end: int) -> float:
        """Tempered log-odds of pairs ``start:end`` (see :meth:`pair_profile`)."""
        sums, counts = profile
        seen = counts[end] - counts[start]
        return TEMPER * (sums[end] - sums[start]) / seen if seen else 0.0

    def category(self, line: str) -> str:
        feats = features(line)
        best, best_score = SPAM_CLASSES[0], -math.inf
        for name in SPAM_CLASSES:
            table, unseen = self.by_class[name], self.unseen[name]
            score = sum(table.get(g, unseen) for g in feats)
            if score > best_score:
                best, best_score = name, score
        return best


def train(rows: Iterable[tuple[str, str]]) -> Model:
    """Train on (label, line) pairs; label ``real`` or one of :data:`SPAM_CLASSES`."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in ("real", *SPAM_CLASSES)}
    for label, line in rows:
        counts[label if label in counts else "ad"].update(features(line))
    spam = Counter()
    for name in SPAM_CLASSES:
        spam.update(counts[name])
    real = counts["real"]
    vocabulary = set(real) | set(spam)
    size = len(vocabulary)
    real_total, spam_total = sum(real.values()), sum(spam.values())
    real_norm = math.log(real_total + ALPHA * size)
    spam_norm = math.log(spam_total + ALPHA * size)
    ratio = {g: (math.log(spam[g] + ALPHA) - spam_norm) - (math.log(real[g] + ALPHA) - real_norm)
             for g in vocabulary}
    by_class: dict[str, dict[str, float]] = {}
    unseen: dict[str, float] = {}
    for name in SPAM_CLASSES:
        table = counts[name]
        norm = math.log(sum(table.values()) + ALPHA * size)
        by_class[name] = {g: math.log(n + ALPHA) - norm for g, n in table.items()}
        unseen[name] = math.log(ALPHA) - norm
    return Model(ratio, by_class, unseen)


_current: Model | None = None
_override: list[Model] = []


def current() -> Model:
    """The model in use: the one trained on the shipped corpus (or one set by :func:`using`)."""
    global _current
    if _override:
        return _override[-1]
    if _current is None:
        from .spamcorpus import corpus

        _current = train(corpus())
    return _current


@contextmanager
def using(model: Model) -> Iterator[Model]:
    """Use another model for a while (the leave-one-source-out evaluation)."""
    _override.append(model)
    try:
        yield model
    finally:
        _override.pop()
