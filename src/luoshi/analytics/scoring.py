"""Scores of evaluation schemes (pure: no database).

Each measure turns a unit's raw value into points from 0 to 100 by its normalisation:

* attainment: 100 × attainment of the target, capped at 100 (see ``targets.attainment``);
* min–max across the peer group: the best value in the group gets 100, the worst 0, the others
  in proportion (lower-is-better measures are turned round); everyone gets 100 when all
  values are equal;
* threshold bands: ``[[threshold, points], …]``; the unit gets the points of the best band it
  reaches (for higher-is-better: value ≥ threshold; lower-is-better: value ≤ threshold), else 0.

A unit without a value for a measure gets 0 points for it (and the breakdown says so). The
score is Σ weight × points ÷ Σ weight; ranks follow the score (equal scores share a rank, the
next rank skips: 1, 2, 2, 4), units without any value at all are ranked last together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from luoshi.analytics import targets

ATTAINMENT, MINMAX, BANDS = "attainment", "minmax", "bands"


@dataclass(frozen=True)
class Measure:
    key: str                 # indicator code, or the plan measure's kind
    label: str
    weight: float
    normalisation: str
    direction: str = targets.HIGHER
    bands: tuple[tuple[float, float], ...] = ()
    band_low: float | None = None
    band_high: float | None = None


@dataclass
class Line:
    """One row of a breakdown: how a measure gave the unit its points."""

    key: str
    label: str
    value: float | None
    target: float | None
    attainment: float | None
    points: float
    weight: float
    contribution: float
    note: str = ""

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("key", "label", "value", "target", "attainment", "points", "weight",
                                               "contribution", "note")}


@dataclass
class Score:
    unit: int
    score: float | None
    rank: int | None = None
    lines: list[Line] = field(default_factory=list)


def band_points(value: float, bands: Sequence[tuple[float, float]], direction: str) -> float:
    ordered = sorted(bands, key=lambda b: b[0], reverse=direction != targets.LOWER)
    for threshold, points in ordered:
        if (value <= threshold) if direction == targets.LOWER else (value >= threshold):
            return float(points)
    return 0.0


def points_for(measure: Measure, value: float | None, target: float | None, peers: Sequence[float]) -> tuple[float, float | None, str]:
    """(points, attainment, note) of one unit's value."""
    if value is None or not math.isfinite(value):
        return 0.0, None, "no data"
    share = targets.attainment(value, target, measure.direction, measure.band_low, measure.band_high)
    if measure.normalisation == ATTAINMENT:
        if share is None:
            return 0.0, None, "no target"
        return 100.0 * min(1.0, max(0.0, share)), share, ""
    if measure.normalisation == BANDS:
        return max(0.0, min(100.0, band_point_value(measure, value))), share, ""
    low, high = min(peers), max(peers)
    if high == low:
        return 100.0, share, ""
    fraction = (value - low) / (high - low)
    if measure.direction == targets.LOWER:
        fraction = 1.0 - fraction
    return 100.0 * fraction, share, ""


def band_point_value(measure: Measure, value: float) -> float:
    return band_points(value, measure.bands, measure.direction)


def score(measures: Sequence[Measure], values: Mapping[str, Mapping[int, float | None]],
          target_of: Mapping[str, Mapping[int, float | None]], units: Sequence[int]) -> list[Score]:
    """Scores of ``units``: ``values[measure.key][unit]`` and ``target_of[measure.key][unit]``."""
    total_weight = sum(m.weight for m in measures)
    out = []
    for unit in units:
        lines = []
        for m in measures:
            value = values.get(m.key, {}).get(unit)
            peers = [v for v in values.get(m.key, {}).values() if v is not None and math.isfinite(v)]
            target = target_of.get(m.key, {}).get(unit)
            points, share, note = points_for(m, value, target, peers)
            contribution = m.weight * points / total_weight if total_weight else 0.0
            lines.append(Line(m.key, m.label, value, target, share, round(points, 6), m.weight, round(contribution, 6), note))
        has_data = any(line.value is not None for line in lines)
        total = round(sum(line.contribution for line in lines), 6) if (has_data and total_weight) else None
        out.append(Score(unit, total, None, lines))
    rank_scores(out)
    return out


def rank_scores(scores: list[Score]) -> None:
    """Competition ranking by score (1, 2, 2, 4); no score: ranked last together."""
    ordered = sorted(scores, key=lambda s: (s.score is None, -(s.score or 0.0)))
    last_rank, last_score = 0, object()
    for position, s in enumerate(ordered, start=1):
        key = s.score
        if key != last_score:
            last_rank, last_score = position, key
        s.rank = last_rank
