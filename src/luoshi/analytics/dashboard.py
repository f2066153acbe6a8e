"""Data of the analytics pages and bulletins, read through the scoped queries of each domain.

Every function takes the acting user and a unit, and returns only numbers of that unit's
subtree that the user may see: plan items through ``plans.queries`` / ``authz.scope``, aggregated
indicator values through ``analytics.queries``. A page or bulletin about a unit needs a grant
covering the unit's whole subtree (``subject_unit``): seeing a unit's name as the ancestor of
one's own unit is not enough, since its aggregates hold other units' numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from luoshi.core import authz
from luoshi.orgs.models import OrgUnit
from luoshi.plans import queries as plan_queries
from luoshi.plans.models import ItemKind, Plan, PlanItem
from luoshi.plans.rollup import overdue_q


# Units ----------------------------------------------------------------------------------------

def home_units(user) -> list[OrgUnit]:
    """The topmost units whose whole subtree the user may see (where their overview starts)."""
    if authz.is_unrestricted(user):
        return list(OrgUnit.objects.filter(parent__isnull=True, is_active=True).order_by("path"))
    paths = sorted({g.path for g in authz.grants(user) if g.covers_below})
    tops = [p for p in paths if not any(p != other and p.startswith(other) for other in paths)]
    return list(OrgUnit.objects.filter(path__in=tops, is_active=True).order_by("path"))


def subject_unit(user, code: str) -> OrgUnit:
    """The unit ``code`` if the user may see its whole subtree, else 404 (as if it did not exist)."""
    unit = OrgUnit.objects.filter(code=code, is_active=True).first()
    if unit is None or not authz.covers_subtree(user, "view", OrgUnit, unit):
        raise Http404("not found")
    return unit


def may_see_subtree(user, unit: OrgUnit) -> bool:
    return authz.covers_subtree(user, "view", OrgUnit, unit)


def child_units(user, unit: OrgUnit) -> list[OrgUnit]:
    """The active units directly below ``unit`` (all in scope, as the user covers the subtree)."""
    return list(authz.scope(user, OrgUnit).filter(parent=unit, is_active=True).order_by("code"))


def breadcrumbs(user, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors whose subtree the user also covers (links up the drill-down)."""
    ancestors = OrgUnit.objects.filter(pk__in=unit.ancestor_ids()).order_by("depth")
    return [a for a in ancestors if may_see_subtree(user, a)]


def child_of(unit: OrgUnit, path: str) -> str:
    """The path of the unit directly below ``unit`` that ``path`` lies in (``unit.path`` itself
    for the unit's own records)."""
    rest = path[len(unit.path):].strip("/")
    if not rest:
        return unit.path
    return f"{unit.path}{rest.split('/', 1)[0]}/"


# Plans ----------------------------------------------------------------------------------------

@dataclass
class PlanSummary:
    plan: Plan
    headline: list[PlanItem]            # key tasks (a plan of the subtree) or the subtree's parts
    lights: dict[str, int]              # items led in the subtree, by light
    overdue: int
    own_plan: bool                      # issued within the subtree
    items: int = 0


@dataclass
class OverdueRow:
    unit: OrgUnit
    overdue: int = 0
    red: int = 0
    amber: int = 0
    items: int = 0
    own: bool = False                   # the unit's own items, not a unit below


@dataclass
class PlanOverview:
    plans: list[PlanSummary] = field(default_factory=list)
    lights: dict[str, int] = field(default_factory=dict)
    by_unit: list[OverdueRow] = field(default_factory=list)
    overdue_items: list[PlanItem] = field(default_factory=list)
    overdue_total: int = 0
    today: date | None = None


def _subtree_items(user, unit: OrgUnit) -> QuerySet[PlanItem]:
    """Items of published plans led within ``unit``'s subtree that the user may see."""
    qs = PlanItem.objects.filter(plan__status=Plan.Status.PUBLISHED, lead_unit__path__startswith=unit.path)
    if authz.covers_subtree(user, "view", PlanItem, unit):
        # Items of published plans led in a subtree the user's grant covers are directly visible
        # (``PlanItem.authz_scope_q``): no row-by-row scope needed.
        return qs
    return authz.scope(user, qs)


def plans_for(user, unit: OrgUnit, year: int | None = None) -> QuerySet[Plan]:
    """Published plans with items led in the subtree (whose horizon holds ``year``, if given)."""
    qs = plan_queries.plans(user, status=Plan.Status.PUBLISHED).filter(
        pk__in=_subtree_items(user, unit).values("plan_id"))
    if year is not None:
        qs = qs.filter(start_year__lte=year, end_year__gte=year)
    return qs


# Siblings in their order in the plan (``path`` holds ids, so it does not sort siblings).
TREE_ORDER = ("depth", "parent_id", "position", "pk")


def _headline(user, unit: OrgUnit, plan: Plan, items: QuerySet[PlanItem]) -> list[PlanItem]:
    if plan.issuer.path.startswith(unit.path):
        tasks = list(items.filter(kind=ItemKind.KEY_TASK).select_related("lead_unit").order_by(*TREE_ORDER))
        if tasks:
            return tasks
        return list(items.filter(parent__isnull=True).select_related("lead_unit").order_by(*TREE_ORDER))
    # A plan issued above: the subtree's parts are its topmost items led within the subtree.
    inside = items.select_related("lead_unit", "parent__lead_unit").order_by(*TREE_ORDER)
    return [i for i in inside if i.parent is None or not i.parent.lead_unit.path.startswith(unit.path)]


def plan_overview(user, unit: OrgUnit, year: int | None = None, today: date | None = None,
                  overdue_limit: int = 20) -> PlanOverview:
    """Plan progress, traffic lights and overdue items of ``unit``'s subtree."""
    today = today or timezone.localdate()
    overview = PlanOverview(today=today)
    children = {u.path: u for u in child_units(user, unit)}
    rows: dict[str, OverdueRow] = {unit.path: OverdueRow(unit, own=True)}
    rows.update({path: OverdueRow(child) for path, child in children.items()})
    totals: dict[str, int] = {}
    for plan in plans_for(user, unit, year).select_related("issuer"):
        items = _subtree_items(user, unit).filter(plan=plan)
        lights = plan_queries.light_counts(items)
        overdue = items.filter(overdue_q(today)).count()
        overview.plans.append(PlanSummary(plan, _headline(user, unit, plan, items), lights, overdue,
                                          plan.issuer.path.startswith(unit.path), sum(lights.values())))
        for light, n in lights.items():
            totals[light] = totals.get(light, 0) + n
    overview.lights = totals
    plan_ids = [s.plan.pk for s in overview.plans]
    scoped = _subtree_items(user, unit).filter(plan_id__in=plan_ids)
    for path, light, due in scoped.values_list("lead_unit__path", "light", "due_date"):
        row = rows.get(child_of(unit, path))
        if row is None:  # a unit below that is inactive now: count it with the unit itself
            row = rows[unit.path]
        row.items += 1
        if light == "red":
            row.red += 1
        elif light == "amber":
            row.amber += 1
        if due is not None and due < today and light != "done":
            row.overdue += 1
    overview.by_unit = [rows[unit.path]] + [rows[p] for p in children]
    overdue = scoped.filter(overdue_q(today)).select_related("plan", "lead_unit").order_by("due_date", "path")
    overview.overdue_total = overdue.count()
    overview.overdue_items = list(overdue[:overdue_limit])
    return overview


def overdue_items(user, unit: OrgUnit, year: int | None = None, today: date | None = None) -> QuerySet[PlanItem]:
    """Every overdue item of the subtree (for exports and bulletins)."""
    today = today or timezone.localdate()
    plans = plans_for(user, unit, year).values("pk")
    return (_subtree_items(user, unit).filter(plan_id__in=plans).filter(overdue_q(today))
            .select_related("plan", "lead_unit").order_by("lead_unit__path", "due_date", "path"))


def year_of(period: str) -> int | None:
    """The year of a period key (``2024``, ``2024-Q3`` …), or ``None`` for an empty one."""
    return int(period[:4]) if period[:4].isdigit() else None



# Indicators (aggregates from luoshi.analytics.queries) ---------------------------------------

def unit_periods(user, unit: OrgUnit) -> list[str]:
    """Periods with aggregated totals for ``unit``, newest first (years before quarters of a year)."""
    from luoshi.analytics import queries

    found = set(queries.scoped(user).filter(unit_id=unit.pk, category__isnull=True).values_list("period", flat=True).distinct())
    return sorted(found, key=lambda p: (p[:4], len(p) == 4, p), reverse=True)


def default_period(user, unit: OrgUnit) -> str:
    """The year with the most indicators for ``unit`` (the newest of equals): a year just begun,
    with one early figure, is not what a page should open on. Else its newest period, else this year."""
    from luoshi.analytics import queries

    pairs = set(queries.scoped(user).filter(unit_id=unit.pk, category__isnull=True)
                .values_list("period", "indicator_id").distinct())
    per_year: dict[str, int] = {}
    for period, _indicator in pairs:
        if len(period) == 4:
            per_year[period] = per_year.get(period, 0) + 1
    if per_year:
        return max(per_year, key=lambda year: (per_year[year], year))
    periods = unit_periods(user, unit)
    return (periods or [str(timezone.localdate().year)])[0]


def indicator_rows(user, unit: OrgUnit, period: str):
    """The unit's aggregated totals of every indicator for ``period``, with targets and attainment."""
    from luoshi.analytics import queries

    rows = queries.aggregates(user, unit=unit, period=period)
    return sorted(rows, key=lambda r: r.indicator)


def with_target(rows):
    return [r for r in rows if r.target is not None and r.attainment is not None]


def attainment_rows(user, unit: OrgUnit, rows):
    """The rows of a period against their targets: the period's own target where there is one,
    else the nearest target ahead (a 2024 value against the 2025 target; plans set targets for a
    few years toward 2035). The target is the unit's, or its nearest ancestor's, as the user sees
    targets (``indicators.Target`` is visible down the tree). ``target_year`` says which year."""
    from dataclasses import replace

    from luoshi.analytics import targets as target_rules
    from luoshi.indicators.models import Indicator, Target

    for row in rows:
        row.target_year = int(row.period[:4]) if row.target is not None else None
    missing = [r for r in rows if r.target is None and r.value is not None]
    if not missing:
        return with_target(rows)
    missing_ids = {id(r) for r in missing}
    chain = [unit.pk, *reversed(unit.ancestor_ids())]  # nearest first
    indicators = {i.code: i for i in Indicator.objects.filter(code__in={r.indicator for r in missing})}
    found: dict[tuple[int, int], list[tuple[int, float]]] = {}
    visible = authz.scope(user, Target.objects.filter(indicator__in=indicators.values(), unit_id__in=chain))
    for ind_id, unit_id, year, value in visible.values_list("indicator_id", "unit_id", "year", "value"):
        found.setdefault((ind_id, unit_id), []).append((year, value))
    out = []
    for row in rows:
        if id(row) in missing_ids:
            ind = indicators[row.indicator]
            year = int(row.period[:4])
            for unit_id in chain:
                ahead = sorted((y, v) for y, v in found.get((ind.pk, unit_id), []) if y > year)
                if ahead:
                    target_year, target = ahead[0]
                    row = replace(row, target=target, attainment=target_rules.attainment(
                        row.value, target, ind.direction, ind.band_low, ind.band_high))
                    row.target_year = target_year
                    break
        out.append(row)
    return with_target(out)


def trends(user, unit: OrgUnit, codes: list[str], target_year: int = 2035) -> list[tuple]:
    """For each indicator code: ``(indicator, yearly rows, trend explanation)`` of ``unit``."""
    from luoshi.analytics import queries
    from luoshi.indicators.models import Indicator

    out = []
    for indicator in Indicator.objects.filter(code__in=codes).order_by("code"):
        rows = queries.series(user, indicator, unit)
        if not rows:
            continue
        view = queries.trend(user, indicator, unit, target_year)
        out.append((indicator, rows, view))
    return out


def compared_indicators(user, unit: OrgUnit, period: str) -> set[str]:
    """Codes of the indicators with totals for ``period`` at the units directly below ``unit``."""
    from luoshi.analytics import queries

    return set(queries.scoped(user).filter(unit__parent_id=unit.pk, period=period, category__isnull=True)
               .values_list("indicator__code", flat=True).distinct())


def compare_rows(user, unit: OrgUnit, indicator, period: str):
    """The indicator across the units directly below ``unit`` (each in the user's scope)."""
    from luoshi.analytics import queries

    return queries.children(user, indicator, unit, period)


@dataclass
class Standing:
    """A unit's place in one evaluation run."""
    run: object
    result: object | None               # the unit's own result (None when it is not ranked)
    peers: int
    visible: list                        # results the user may see within the subject's subtree


def standings(user, unit: OrgUnit, year: int | None) -> list[Standing]:
    """Evaluation runs of ``year`` in which ``unit`` is ranked (its rank among its peers)."""
    from luoshi.analytics import queries
    from luoshi.analytics.models import EvaluationResult

    out = []
    runs = queries.runs(user)
    if year is not None:
        runs = runs.filter(year=year)
    own = {r.run_id: r for r in authz.scope(user, EvaluationResult.objects.filter(unit=unit, run__in=runs))}
    for run in runs.filter(pk__in=own.keys()).select_related("scheme"):
        peers = queries.peer_units(run.scheme).count()
        visible = [r for r in queries.results(user, run) if r.unit.path.startswith(unit.path)]
        out.append(Standing(run, own[run.pk], peers, visible))
    return out


def rankings_below(user, unit: OrgUnit, year: int | None) -> list[tuple]:
    """Runs of ``year`` that rank units of ``unit``'s subtree: ``(run, results within the subtree)``,
    best first. Units outside the subtree are left out, so a bulletin sent down holds none of them."""
    from luoshi.analytics import queries

    out = []
    runs = queries.runs(user)
    if year is not None:
        runs = runs.filter(year=year)
    for run in runs.select_related("scheme"):
        rows = [r for r in queries.results(user, run).filter(unit__path__startswith=unit.path).exclude(unit=unit)]
        if rows:
            out.append((run, rows))
    return out
