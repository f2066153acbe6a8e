"""Attainment of targets and the trend toward them (pure: no database).

Attainment is the share of the target reached, by the indicator's direction:

* higher is better: ``value / target`` (a target of 0 is reached by any value ≥ 0);
* lower is better: ``target / value`` (a value of 0 or less reaches any target ≥ 0);
* within a band ``[low, high]``: 1 inside the band; outside, 1 minus the distance to the
  nearest edge relative to the band's width (or to the edge itself when the band has no
  width), never below 0.

Attainment is not capped here (120 % means the target was passed by a fifth); evaluation
schemes cap it when they normalise. The trend is a least-squares line through the unit's own
yearly values; it is projected to the target year and the unit is *on course* when the
projection reaches the target in the indicator's direction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

HIGHER, LOWER, BAND = "higher", "lower", "band"


def attainment(value: float | None, target: float | None, direction: str = HIGHER,
               band_low: float | None = None, band_high: float | None = None) -> float | None:
    """The share of the target reached (1.0 = reached exactly); ``None`` when it cannot be said."""
    if value is None or not math.isfinite(value):
        return None
    if direction == BAND:
        low = band_low if band_low is not None else target
        high = band_high if band_high is not None else target
        if low is None or high is None:
            return None
        if low > high:
            low, high = high, low
        if low <= value <= high:
            return 1.0
        edge = low if value < low else high
        width = high - low or abs(edge) or 1.0
        return max(0.0, 1.0 - abs(value - edge) / width)
    if target is None or not math.isfinite(target):
        return None
    if direction == LOWER:
        if value <= 0:
            return 1.0 if target >= 0 else None
        return target / value if target >= 0 else None
    if target == 0:
        return 1.0 if value >= 0 else 0.0
    if target < 0:
        return None
    return value / target


def reached(value: float | None, target: float | None, direction: str = HIGHER,
            band_low: float | None = None, band_high: float | None = None) -> bool | None:
    share = attainment(value, target, direction, band_low, band_high)
    return None if share is None else share >= 1.0 - 1e-9


@dataclass(frozen=True)
class Trend:
    """A least-squares line through (year, value) points, projected to ``target_year``."""

    slope: float            # change per year
    intercept: float
    first_year: int
    last_year: int
    points: int
    target_year: int
    target: float | None
    projected: float
    on_course: bool | None  # None: no target to compare with

    def explain(self, direction: str = HIGHER) -> str:
        """The projection in words (shown beside the chart)."""
        change = _("rose") if self.slope > 0 else _("fell") if self.slope < 0 else _("stayed level")
        text = _("From %(first)d to %(last)d (%(n)d values) the value %(change)s by %(rate)s a year on average; "
                 "at that pace it would be %(projected)s in %(year)d.") % {
            "first": self.first_year, "last": self.last_year, "n": self.points, "change": change,
            "rate": _fmt(abs(self.slope)), "projected": _fmt(self.projected), "year": self.target_year}
        if self.target is None or self.on_course is None:
            return text + " " + _("There is no target to compare with.")
        if self.on_course:
            return text + " " + _("That reaches the target of %(target)s: on course.") % {"target": _fmt(self.target)}
        return text + " " + _("That falls short of the target of %(target)s: not on course.") % {"target": _fmt(self.target)}


def _fmt(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".") if math.isfinite(x) else "—"


def fit(points: Sequence[tuple[int, float]]) -> tuple[float, float] | None:
    """Least-squares slope and intercept of (year, value) points; ``None`` for fewer than two years."""
    pts = [(float(x), float(y)) for x, y in points if y is not None and math.isfinite(y)]
    if len({x for x, _ in pts}) < 2:
        return None
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    sxy = sum((x - mx) * (y - my) for x, y in pts)
    slope = sxy / sxx
    return slope, my - slope * mx


def trend(points: Sequence[tuple[int, float]], target_year: int, target: float | None, direction: str = HIGHER,
          band_low: float | None = None, band_high: float | None = None) -> Trend | None:
    """The trend of a unit's own history toward ``target`` in ``target_year``; ``None`` with < 2 years."""
    line = fit(points)
    if line is None:
        return None
    slope, intercept = line
    years = [int(x) for x, y in points if y is not None and math.isfinite(y)]
    projected = intercept + slope * target_year
    on_course = reached(projected, target, direction, band_low, band_high) if (target is not None or direction == BAND) else None
    return Trend(slope, intercept, min(years), max(years), len(years), target_year, target, projected, on_course)
