"""What the indicator pages show: formatted values, latest values and targets (7b's read helpers).

Reads go through ``authz.scope`` like every query; the pages never see a value outside the
user's scope. A disaggregated indicator's value for a unit and period is the sum of its
category values (its total is derived, never typed). Values are looked up for a unit or, when
that unit reports none, its nearest ancestor that does (a ministry department's item shows the
national figure reported by the ministry).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import pgettext_lazy

from luoshi.core import authz
from luoshi.indicators.models import DataValue, Indicator, Target, ValueType
from luoshi.orgs.models import OrgUnit


def fmt(indicator: Indicator, value: float | None, text: str = "") -> str:
    """A value as the pages show it: the indicator's decimals, no thousands separator."""
    if value is None:
        return text
    if indicator.value_type == ValueType.BOOLEAN:
        return "是" if value else "否"
    if indicator.value_type == ValueType.INTEGER:
        return str(int(round(value)))
    return f"{value:.{indicator.decimals}f}"


def with_unit(indicator: Indicator, text: str) -> str:
    if not text:
        return text
    if indicator.value_type == ValueType.PERCENT:
        return f"{text}%"
    return f"{text} {indicator.unit_of_measure}".strip()


@dataclass(frozen=True)
class Reading:
    """One value of an indicator at a unit and period (a total when it has categories)."""

    period: str
    unit: OrgUnit
    value: float | None
    text: str
    state: str
    follow_up: bool = False
    shown: str = ""  # formatted with the indicator's decimals and unit of measure


def _totals(rows) -> dict[tuple[int, int, str], Reading]:
    """(indicator id, unit id, period) -> Reading, summing category rows into their total.
    ``rows`` must come with ``select_related("unit", "indicator")``."""
    parts: dict[tuple[int, int, str], list] = defaultdict(list)
    for row in rows:
        parts[(row.indicator_id, row.unit_id, row.period)].append(row)
    out = {}
    for key, found in parts.items():
        first = found[0]
        if len(found) == 1 and first.category_id is None:
            value, text = first.value, first.text_value
        else:
            numbers = [r.value for r in found if r.value is not None]
            value, text = (sum(numbers) if numbers else None), ""
        states = {r.state for r in found}
        state = "draft" if "draft" in states else ("submitted" if "submitted" in states else "approved")
        shown = with_unit(first.indicator, fmt(first.indicator, value, text))
        out[key] = Reading(first.period, first.unit, value, text, state, any(r.follow_up for r in found), shown)
    return out


def readings(user, indicator: Indicator, units=None, limit_periods: int | None = None) -> list[Reading]:
    """The indicator's values the user may see, newest period first, then by unit path."""
    qs = authz.scope(user, DataValue.objects.filter(indicator=indicator)).select_related("unit", "indicator")
    if units is not None:
        qs = qs.filter(unit__in=units)
    if limit_periods:
        periods = list(qs.order_by("-period").values_list("period", flat=True).distinct()[:limit_periods])
        qs = qs.filter(period__in=periods)
    found = _totals(qs)
    return sorted(found.values(), key=lambda r: (_neg(r.period), r.unit.path))


def _neg(period: str) -> tuple:
    return tuple(-ord(c) for c in period)


def latest_for_unit(user, indicator: Indicator, unit: OrgUnit) -> Reading | None:
    """The newest value at ``unit`` or, if it reports none, at its nearest ancestor."""
    chain = list(OrgUnit.objects.ancestors_of(unit, include_self=True))  # root first
    qs = authz.scope(user, DataValue.objects.filter(indicator=indicator, unit__in=chain)).select_related("unit", "indicator")
    found = _totals(qs)
    for candidate in reversed(chain):
        mine = [r for (i, u, p), r in found.items() if u == candidate.pk]
        if mine:
            return max(mine, key=lambda r: r.period)
    return None


def target_for_unit(user, indicator: Indicator, unit: OrgUnit, from_year: int | None = None) -> Target | None:
    """The next target (this year or later) for ``unit`` or its nearest ancestor that has one."""
    from_year = from_year or timezone.localdate().year
    chain = list(OrgUnit.objects.ancestors_of(unit, include_self=True))
    targets = list(authz.scope(user, Target.objects.filter(indicator=indicator, unit__in=chain, year__gte=from_year))
                   .select_related("unit", "indicator").order_by("year"))
    for candidate in reversed(chain):
        mine = [t for t in targets if t.unit_id == candidate.pk]
        if mine:
            return mine[0]
    return None


def target_table(user, indicator: Indicator) -> tuple[list[int], list[dict]]:
    """Years, and one row per unit (national first): {"unit", "cells": [value or None per year]}."""
    targets = list(authz.scope(user, indicator.targets.select_related("unit", "indicator")).order_by("unit__path", "year"))
    years = sorted({t.year for t in targets})
    by_unit: dict[int, dict] = {}
    for t in targets:
        row = by_unit.setdefault(t.unit_id, {"unit": t.unit, "values": {}})
        row["values"][t.year] = fmt(indicator, t.value)
    rows = [{"unit": r["unit"], "cells": [r["values"].get(y) for y in years]} for r in by_unit.values()]
    return years, sorted(rows, key=lambda r: r["unit"].path)


@dataclass(frozen=True)
class ItemIndicator:
    indicator: Indicator
    latest: Reading | None
    target: Target | None


def for_item(user, item) -> list[ItemIndicator]:
    """The indicators measuring a plan item, with the latest value and next target for its lead unit."""
    indicators = authz.scope(user, Indicator.objects.filter(plan_items=item, is_active=True)).order_by("code")
    return [ItemIndicator(ind, latest_for_unit(user, ind, item.lead_unit), target_for_unit(user, ind, item.lead_unit))
            for ind in indicators]


# Lists and the indicator page -------------------------------------------------------------------

@dataclass(frozen=True)
class ListRow:
    indicator: Indicator
    latest: Reading | None
    target: Target | None


def _home_units(user) -> list[int]:
    """The units where the user holds a role (where "their" figures are reported)."""
    return sorted({g.unit_id for g in authz.grants(user)})


def list_rows(user, indicators: list[Indicator]) -> list[ListRow]:
    """Each indicator with its latest value and next target at its owning unit, or, when the user
    cannot see that unit's figures, at the user's own unit (three queries)."""
    ids = [i.pk for i in indicators]
    homes = _home_units(user)
    units = {i.owner_unit_id for i in indicators} | set(homes)
    found = _totals(authz.scope(user, DataValue.objects.filter(indicator_id__in=ids, unit_id__in=units))
                    .select_related("unit", "indicator"))
    by_indicator: dict[int, list[Reading]] = defaultdict(list)
    for (ind_id, _unit_id, _period), reading in found.items():
        by_indicator[ind_id].append(reading)
    year = timezone.localdate().year
    targets: dict[tuple[int, int], Target] = {}
    for t in authz.scope(user, Target.objects.filter(indicator_id__in=ids, unit_id__in=units, year__gte=year)).order_by("year"):
        targets.setdefault((t.indicator_id, t.unit_id), t)
    rows = []
    for ind in indicators:
        order = [ind.owner_unit_id, *[h for h in homes if h != ind.owner_unit_id]]
        latest = None
        for unit_id in order:
            mine = [r for r in by_indicator.get(ind.pk, []) if r.unit.pk == unit_id]
            if mine:
                latest = max(mine, key=lambda r: r.period)
                break
        target = next((targets[(ind.pk, u)] for u in order if (ind.pk, u) in targets), None)
        rows.append(ListRow(ind, latest, target))
    return rows


def latest_national(user, indicator: Indicator, found: list[Reading]) -> Reading | None:
    """The newest value at the indicator's owning unit (national for the ministry's indicators),
    or at the user's own unit when the owner's figures are out of the user's sight."""
    for unit_id in [indicator.owner_unit_id, *_home_units(user)]:
        mine = [r for r in found if r.unit.pk == unit_id]
        if mine:
            return max(mine, key=lambda r: r.period)
    return None


@dataclass(frozen=True)
class Bar:
    period: str
    shown: str
    percent: int      # bar height relative to the largest value shown


def series(indicator: Indicator, found: list[Reading], unit_id: int | None = None) -> list[Bar]:
    """One unit's values (the owning unit's by default), oldest first, as bars of a small chart."""
    unit_id = unit_id or indicator.owner_unit_id
    mine = sorted((r for r in found if r.unit.pk == unit_id and r.value is not None), key=lambda r: r.period)
    if not mine:
        return []
    top = max(abs(r.value) for r in mine) or 1
    return [Bar(r.period, fmt(indicator, r.value), max(4, round(100 * abs(r.value) / top))) for r in mine]


def rules_for(user, indicator: Indicator) -> list:
    """Active validation rules that mention the indicator."""
    from luoshi.indicators.models import ValidationRule

    return [r for r in authz.scope(user, ValidationRule.objects.filter(is_active=True)).order_by("code")
            if indicator.code in (r.refs or [])]


def derived_values(user, indicators: list[Indicator], unit: OrgUnit, period: str) -> dict[int, float | None]:
    """Values of the derived indicators among ``indicators`` at ``unit`` and ``period``."""
    from luoshi.indicators import formula

    derived = [i for i in indicators if i.is_derived]
    if not derived:
        return {}
    codes = {c for i in derived for c in (i.formula_refs or [])}
    by_code: dict[str, float | None] = {}
    refs = {i.code: i for i in Indicator.objects.filter(code__in=codes)}
    found = _totals(authz.scope(user, DataValue.objects.filter(indicator__in=refs.values(), unit=unit, period=period))
                    .select_related("unit", "indicator"))
    for (ind_id, _u, _p), reading in found.items():
        code = next((c for c, i in refs.items() if i.pk == ind_id), None)
        if code:
            by_code[code] = reading.value
    out = {}
    for ind in derived:
        try:
            out[ind.pk] = formula.evaluator(ind.formula)({c: by_code.get(c) for c in ind.formula_refs or []})
        except (formula.FormulaError, ZeroDivisionError, TypeError):
            out[ind.pk] = None
    return out


def unit_type_labels(types: list[str]) -> str:
    from luoshi.orgs.models import UnitType

    labels = {value: str(label) for value, label in UnitType.choices}
    return "、".join(labels.get(t, t) for t in types or [])


# Labels of the value types in this domain's words ("Percent" alone already means a plan item's
# completion elsewhere in the catalogue).
VALUE_TYPE_LABELS = {
    "number": pgettext_lazy("value type", "Number"), "integer": pgettext_lazy("value type", "Whole number"),
    "percent": pgettext_lazy("value type", "Percentage"), "boolean": pgettext_lazy("value type", "Yes/no"),
    "text": pgettext_lazy("value type", "Text"),
}
