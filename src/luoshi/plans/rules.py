"""Pure rules of plan tracking: traffic lights, roll-up arithmetic and reporting periods.

No database access here, so the rules can be tested exhaustively (property tests) and shown
to users verbatim (``LIGHT_RULE_TEXT``).

Traffic light of one item on day ``today`` (``percent`` is the item's progress, 0–100):

1. ``done``  — percent is 100, or the latest approved report says done.
2. ``red``   — the due date has passed and the item is not done; or the report says delayed.
3. ``grey``  — the start date is still ahead (nothing expected yet).
4. Otherwise compare progress with the share of the time window that has elapsed
   (``expected`` = elapsed days / window days × 100):
   ``green`` if percent ≥ expected − 10, ``amber`` if percent ≥ expected − 25, else ``red``.
   A report status "at risk" makes a green item amber.

Roll-up: an item with children has the weighted mean of its children's progress (weights
as set; all-zero weights count equally) and the worst of its children's lights (order
done < grey < green < amber < red), where "done" only rolls up when every child is done.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

GREEN_SLACK = Decimal(10)
AMBER_SLACK = Decimal(25)
LIGHT_ORDER = ("done", "grey", "green", "amber", "red")

LIGHT_RULE_TEXT = _(
    # Translators: shown verbatim, never %-formatted. xgettext:no-python-format
    "Done: 100% or reported done. Red: past the due date and not done, reported delayed, or more than "
    "25 points behind schedule. Grey: not started yet. Otherwise progress is compared with the share of "
    "the time window already elapsed: green within 10 points, amber within 25 points. A parent shows its "
    "children's worst light."
)


def light_for(percent: Decimal, start: date | None, due: date | None, today: date, reported_status: str = "") -> str:
    percent = Decimal(percent)
    if percent >= 100 or reported_status == "done":
        return "done"
    if due is not None and today > due:
        return "red"
    if reported_status == "delayed":
        return "red"
    if start is not None and today < start:
        return "grey"
    if start is None or due is None or due <= start:
        expected = Decimal(0)
    else:
        elapsed = (today - start).days
        expected = Decimal(100) * Decimal(elapsed) / Decimal((due - start).days)
    if percent >= expected - GREEN_SLACK:
        light = "green"
    elif percent >= expected - AMBER_SLACK:
        light = "amber"
    else:
        light = "red"
    if light == "green" and reported_status == "at_risk":
        light = "amber"
    return light


def worst(lights: list[str]) -> str:
    if not lights:
        return "grey"
    if all(light == "done" for light in lights):
        return "done"
    # "done" ranks lowest, so with one light that is not done the worst is never "done"
    return max(lights, key=LIGHT_ORDER.index)


def weighted_progress(children: list[tuple[Decimal, Decimal]]) -> Decimal:
    """Weighted mean of (progress, weight) pairs, rounded to 2 places; zero weights count equally."""
    if not children:
        return Decimal(0)
    total_weight = sum((w for _p, w in children), Decimal(0))
    if total_weight <= 0:
        value = sum((p for p, _w in children), Decimal(0)) / len(children)
    else:
        value = sum((p * w for p, w in children), Decimal(0)) / total_weight
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date


def periods_for_year(kind: str, year: int) -> list[Period]:
    """The reporting periods of a year for a plan's reporting kind."""
    if kind == "monthly":
        return [Period(f"{year}-M{m:02d}", date(year, m, 1), date(year, m, calendar.monthrange(year, m)[1])) for m in range(1, 13)]
    if kind == "quarterly":
        return [Period(f"{year}-Q{q}", date(year, 3 * q - 2, 1), date(year, 3 * q, calendar.monthrange(year, 3 * q)[1])) for q in range(1, 5)]
    if kind == "half":
        return [Period(f"{year}-H1", date(year, 1, 1), date(year, 6, 30)), Period(f"{year}-H2", date(year, 7, 1), date(year, 12, 31))]
    return [Period(str(year), date(year, 1, 1), date(year, 12, 31))]


def parse_period(kind: str, key: str) -> Period:
    """The period named ``key`` (``2024-Q1`` …); ``ValueError`` if it does not fit ``kind``."""
    year_text = key[:4]
    if len(year_text) != 4 or not year_text.isdigit():
        raise ValueError(f"not a period: {key!r}")
    for period in periods_for_year(kind, int(year_text)):
        if period.key == key:
            return period
    raise ValueError(f"{key!r} is not a {kind} period")


def period_containing(kind: str, day: date) -> Period:
    for period in periods_for_year(kind, day.year):
        if period.start <= day <= period.end:
            return period
    raise AssertionError("unreachable: every day lies in a period")


def previous_period(kind: str, day: date) -> Period:
    """The last period that ended before ``day``."""
    current = period_containing(kind, day)
    earlier = [p for p in periods_for_year(kind, day.year) + periods_for_year(kind, day.year - 1) if p.end < current.start]
    return max(earlier, key=lambda p: p.end)


# Period names as people write them (indicator data, imports): the canonical key of each kind
# and the spellings accepted for it. ``2024``, ``2024-H2`` / ``2024H2``, ``2024-Q3`` / ``2024Q3``,
# ``2024-M07`` / ``2024M07`` / ``2024-07``.
_PERIOD_SPELLINGS = re.compile(
    r"^(?P<year>\d{4})(?:(?:-?H(?P<half>[12]))|(?:-?Q(?P<quarter>[1-4]))|(?:-?M(?P<month>\d{2}))|(?:-(?P<month2>\d{2})))?$"
)


def normalise_period(text: str) -> tuple[str, Period]:
    """The kind and period of a period written any accepted way; ``ValueError`` otherwise."""
    match = _PERIOD_SPELLINGS.match(text.strip().upper()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"not a period: {text!r} (write 2024, 2024-H2, 2024-Q3 or 2024-07)")
    year = int(match["year"])
    if not 1900 <= year <= 2100:
        raise ValueError(f"year out of range in period {text!r}")
    if match["half"]:
        kind, key = "half", f"{year}-H{match['half']}"
    elif match["quarter"]:
        kind, key = "quarterly", f"{year}-Q{match['quarter']}"
    elif match["month"] or match["month2"]:
        month = int(match["month"] or match["month2"])
        if not 1 <= month <= 12:
            raise ValueError(f"no month {month} in period {text!r}")
        kind, key = "monthly", f"{year}-M{month:02d}"
    else:
        kind, key = "yearly", str(year)
    return kind, parse_period(kind, key)


def shift_period(kind: str, key: str, steps: int) -> Period:
    """The period ``steps`` periods after (negative: before) the period ``key`` of ``kind``."""
    year = int(key[:4])
    per_year = len(periods_for_year(kind, year))
    index = [p.key for p in periods_for_year(kind, year)].index(key) + steps
    year += index // per_year
    return periods_for_year(kind, year)[index % per_year]
