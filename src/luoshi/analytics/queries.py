"""Scoped reads of the analytics tables: aggregated values with targets, series, drill-down, evaluations.

Every function takes the acting user first and returns only what the user may see: aggregates
are scoped by their unit's path through ``authz`` (a province's users get their own subtree,
never another province's numbers); a unit outside the scope answers 404 (``Http404``) like a
missing one. Indicators are looked up through ``luoshi.indicators.queries``.

Rows are plain ``AggregateRow`` dataclasses (no ORM objects), ready for JSON, charts and
exports. ``target`` is the target of the row's unit for the period's year, or, when the unit
has none, of its nearest ancestor that has one (``target_unit`` says whose); ``attainment``
follows ``luoshi.analytics.targets``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from luoshi.analytics import targets as target_rules
from luoshi.analytics.models import AggregateValue, EvaluationResult, EvaluationRun, EvaluationScheme
from luoshi.core import authz
from luoshi.indicators.models import Category, Indicator, Target
from luoshi.orgs.models import OrgGroup, OrgUnit

MAX_ROWS = 5000


@dataclass
class AggregateRow:
    indicator: str
    indicator_name: str
    unit: str
    unit_name: str
    unit_id: int
    depth: int
    period: str
    category: str | None
    value: float | None
    units_reporting: int
    units_expected: int
    completeness: float | None
    target: float | None = None
    target_unit: str | None = None
    attainment: float | None = None
    direction: str = "higher"
    unit_of_measure: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def visible_units(user) -> QuerySet[OrgUnit]:
    """Units whose aggregates ``user`` may see (their grants' subtrees; not the ancestors shown by name)."""
    if authz.is_unrestricted(user):
        return OrgUnit.objects.all()
    q = Q(pk__in=[])
    for g in authz.grants(user):
        if g.role in authz.allowed_roles(AggregateValue, "view"):
            q |= Q(path__startswith=g.path) if g.covers_below else Q(path=g.path)
    return OrgUnit.objects.filter(q)


def _can_see_unit(user, unit: OrgUnit) -> bool:
    return authz.can_in_unit(user, "view", AggregateValue, unit)


def unit(user, code: str) -> OrgUnit:
    """A unit whose aggregates ``user`` may see, by code; 404 otherwise."""
    found = OrgUnit.objects.filter(code=code).first()
    if found is None or not _can_see_unit(user, found):
        raise Http404("not found")
    return found


def indicator(user, code: str) -> Indicator:
    from luoshi.indicators import queries as indicator_queries

    return indicator_queries.indicator(user, code)


def scoped(user) -> QuerySet[AggregateValue]:
    """All aggregate rows ``user`` may see (a queryset; filter it further)."""
    return authz.scope(user, AggregateValue.objects.all())


def aggregates(user, *, indicator: Indicator | None = None, indicators: Sequence[Indicator] | None = None,
               unit: OrgUnit | None = None, units: Sequence[OrgUnit] | None = None, period: str | None = None,
               periods: Sequence[str] | None = None, level: int | None = None, category: str | None = "",
               with_targets: bool = True, limit: int = MAX_ROWS) -> list[AggregateRow]:
    """Aggregated values, filtered; ``level=N`` with ``unit``: the units at depth N below (or at) ``unit``.

    ``category``: ``""`` (default) totals only, ``None`` totals and every category, or a category
    code. Units outside the user's scope are silently absent (pass them through ``unit()`` first
    when a 404 is wanted).
    """
    qs = scoped(user)
    inds = list(indicators or ([] if indicator is None else [indicator]))
    if inds:
        qs = qs.filter(indicator_id__in=[i.pk for i in inds])
    if unit is not None and level is None:
        qs = qs.filter(unit_id=unit.pk)
    elif unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path, depth=level)
    elif level is not None:
        qs = qs.filter(depth=level)
    if units is not None:
        qs = qs.filter(unit_id__in=[u.pk for u in units])
    if period is not None:
        qs = qs.filter(period=period)
    if periods is not None:
        qs = qs.filter(period__in=list(periods))
    if category == "":
        qs = qs.filter(category__isnull=True)
    elif category is not None:
        qs = qs.filter(category__code=category)
    rows = list(qs.order_by("indicator_id", "unit__path", "period", "category_id").values(
        "indicator_id", "unit_id", "unit__code", "unit__name", "unit__short_name", "depth", "period", "category_id",
        "value", "units_reporting", "units_expected", "completeness")[:limit])
    return _rows(rows, with_targets)


def _rows(rows: list[dict], with_targets: bool) -> list[AggregateRow]:
    ind_by_id = {i.pk: i for i in Indicator.objects.filter(pk__in={r["indicator_id"] for r in rows})}
    cat_codes = dict(Category.objects.filter(pk__in={r["category_id"] for r in rows if r["category_id"]}).values_list("pk", "code"))
    out = []
    for r in rows:
        ind = ind_by_id[r["indicator_id"]]
        out.append(AggregateRow(
            indicator=ind.code, indicator_name=ind.name, unit=r["unit__code"],
            unit_name=r["unit__short_name"] or r["unit__name"], unit_id=r["unit_id"], depth=r["depth"],
            period=r["period"], category=cat_codes.get(r["category_id"]), value=r["value"],
            units_reporting=r["units_reporting"], units_expected=r["units_expected"], completeness=r["completeness"],
            direction=ind.direction, unit_of_measure=ind.unit_of_measure))
    if with_targets:
        attach_targets(out, ind_by_id)
    return out


def attach_targets(rows: list[AggregateRow], ind_by_id: dict[int, Indicator] | None = None) -> None:
    """Fill ``target``, ``target_unit`` and ``attainment`` of ``rows`` (one query for the targets)."""
    if not rows:
        return
    inds = ind_by_id or {i.pk: i for i in Indicator.objects.filter(code__in={r.indicator for r in rows})}
    by_code = {i.code: i for i in inds.values()}
    paths = dict(OrgUnit.objects.filter(pk__in={r.unit_id for r in rows}).values_list("pk", "path"))
    chain = {uid: [int(p) for p in path.strip("/").split("/") if p][::-1] for uid, path in paths.items()}
    years = {int(r.period[:4]) for r in rows}
    wanted_units = {u for c in chain.values() for u in c}
    found: dict[tuple[int, int, int], tuple[float, int]] = {}
    for ind_id, unit_id, year, value in Target.objects.filter(
            indicator_id__in=[i.pk for i in by_code.values()], unit_id__in=wanted_units, year__in=years
    ).values_list("indicator_id", "unit_id", "year", "value"):
        found[(ind_id, unit_id, year)] = (value, unit_id)
    codes = dict(OrgUnit.objects.filter(pk__in=wanted_units).values_list("pk", "code")) if found else {}
    for r in rows:
        ind = by_code[r.indicator]
        year = int(r.period[:4])
        for uid in chain.get(r.unit_id, []):
            hit = found.get((ind.pk, uid, year))
            if hit is not None:
                r.target, r.target_unit = hit[0], codes.get(uid)
                break
        r.attainment = target_rules.attainment(r.value, r.target, ind.direction, ind.band_low, ind.band_high)


def children(user, indicator: Indicator, unit: OrgUnit, period: str, category: str | None = "") -> list[AggregateRow]:
    """Drill-down: the aggregates of the units directly below ``unit`` (404 if ``unit`` is out of scope)."""
    if not _can_see_unit(user, unit):
        raise Http404("not found")
    return aggregates(user, indicator=indicator, unit=unit, level=unit.depth + 1, period=period, category=category)


def series(user, indicator: Indicator, unit: OrgUnit, *, yearly: bool = True) -> list[AggregateRow]:
    """The unit's values over time (years only, or every period), oldest first, with targets."""
    if not _can_see_unit(user, unit):
        raise Http404("not found")
    rows = aggregates(user, indicator=indicator, unit=unit)
    if yearly:
        rows = [r for r in rows if len(r.period) == 4]
    return sorted(rows, key=lambda r: r.period)


def periods(user, indicator: Indicator | None = None) -> list[str]:
    """The periods that have aggregates (optionally of one indicator), newest first."""
    qs = AggregateValue.objects.all()
    if indicator is not None:
        qs = qs.filter(indicator_id=indicator.pk)
    return sorted(set(qs.values_list("period", flat=True).distinct()), reverse=True)


@dataclass
class TrendView:
    indicator: str
    unit: str
    points: list[tuple[int, float]]
    target_year: int | None
    target: float | None
    trend: target_rules.Trend | None
    text: str


def trend(user, indicator: Indicator, unit: OrgUnit, target_year: int = 2035) -> TrendView:
    """The unit's yearly history, its target for ``target_year`` (own or nearest ancestor's) and the projection."""
    history = series(user, indicator, unit)
    points = [(int(r.period), r.value) for r in history if r.value is not None]
    probe = AggregateRow(indicator.code, indicator.name, unit.code, unit.name, unit.pk, unit.depth, str(target_year),
                         None, None, 0, 0, None)
    attach_targets([probe], {indicator.pk: indicator})
    line = target_rules.trend(points, target_year, probe.target, indicator.direction, indicator.band_low, indicator.band_high)
    if line is None:
        from django.utils.translation import gettext as _

        text = _("Too few yearly values to project a trend.")
    else:
        text = line.explain(indicator.direction)
    return TrendView(indicator.code, unit.code, points, target_year, probe.target, line, text)


# Evaluation schemes -------------------------------------------------------------------------

def schemes(user, *, current_only: bool = False) -> QuerySet[EvaluationScheme]:
    qs = authz.scope(user, EvaluationScheme.objects.select_related("owner_unit", "peer_group", "peer_parent"))
    if current_only:
        qs = qs.filter(is_current=True)
    return qs.order_by("code", "-revision")


def scheme(user, pk: int) -> EvaluationScheme:
    return authz.get_or_404(user, EvaluationScheme.objects.select_related("owner_unit", "peer_group", "peer_parent"), pk=pk)


def runs(user, scheme: EvaluationScheme | None = None) -> QuerySet[EvaluationRun]:
    qs = authz.scope(user, EvaluationRun.objects.select_related("scheme"))
    if scheme is not None:
        qs = qs.filter(scheme=scheme)
    return qs.order_by("scheme__code", "-year")


def run(user, pk: int) -> EvaluationRun:
    return authz.get_or_404(user, EvaluationRun.objects.select_related("scheme"), pk=pk)


def results(user, run: EvaluationRun) -> QuerySet[EvaluationResult]:
    """The run's results the user may see (a province: its own row), best rank first."""
    return authz.scope(user, run.results.select_related("unit")).order_by("rank", "unit__path")


def peer_units(scheme: EvaluationScheme) -> QuerySet[OrgUnit]:
    """The units a scheme ranks (its group's members, or the units directly below ``peer_parent``)."""
    if scheme.peer_group_id:
        return scheme.peer_group.members.filter(is_active=True).order_by("path")
    if scheme.peer_parent_id:
        units = OrgUnit.objects.filter(parent_id=scheme.peer_parent_id, is_active=True)
        if scheme.peer_unit_type:
            units = units.filter(type=scheme.peer_unit_type)
        return units.order_by("path")
    return OrgUnit.objects.none()


def groups(user) -> QuerySet[OrgGroup]:
    return authz.scope(user, OrgGroup.objects.all()).order_by("code")


def in_scope_units(user, units: Iterable[OrgUnit]) -> list[OrgUnit]:
    return [u for u in units if _can_see_unit(user, u)]


# Exports ------------------------------------------------------------------------------------

EXPORT_HEADER = ["indicator", "org_unit", "unit_name", "period", "category", "value", "units_reporting",
                 "units_expected", "completeness", "target", "attainment"]


def export_rows(rows: Iterable[AggregateRow]) -> list[list]:
    """Rows for CSV/XLSX (``core.tabular`` neutralises anything that looks like a formula)."""
    return [[r.indicator, r.unit, r.unit_name, r.period, r.category or "", r.value, r.units_reporting, r.units_expected,
             r.completeness, r.target, r.attainment] for r in rows]
