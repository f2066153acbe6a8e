"""``/api/v1/analytics`` (aggregated values) and ``/api/v1/evaluations`` (schemes, results): scoped reads."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Router, Schema

from luoshi.analytics import queries
from luoshi.analytics.models import EvaluationRun
from luoshi.plans import rules as period_rules

analytics_router = Router(tags=["analytics"])
evaluations_router = Router(tags=["evaluations"])


class AggregateOut(Schema):
    indicator: str
    unit: str
    unit_name: str
    period: str
    category: str | None
    value: float | None
    units_reporting: int
    units_expected: int
    completeness: float | None
    target: float | None
    attainment: float | None


class AggregateList(Schema):
    items: list[AggregateOut]
    count: int


def _period(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return period_rules.normalise_period(text)[1].key
    except ValueError as exc:
        raise ValidationError({"period": [str(exc)]}) from None


@analytics_router.get("", response=AggregateList)
def aggregates(request, indicator: str, unit: str | None = None, period: str | None = None, level: int | None = None,
               category: str | None = None):
    """Aggregated values of an indicator: at ``unit`` (or, with ``level=N``, the units at depth N below it)."""
    ind = queries.indicator(request.user, indicator)
    found = queries.unit(request.user, unit) if unit else None
    if level is not None and not 0 <= level <= 20:
        raise ValidationError({"level": ["give a depth between 0 and 20"]})
    rows = queries.aggregates(request.user, indicator=ind, unit=found, period=_period(period), level=level,
                              category=category or "")
    return {"items": [r.as_dict() for r in rows], "count": len(rows)}


class SchemeOut(Schema):
    id: int
    code: str
    revision: int
    name: str
    owner_unit: str
    peer_group: str | None
    peer_parent: str | None
    is_current: bool
    years: list[int]
    published_years: list[int]


class SchemeList(Schema):
    items: list[SchemeOut]
    count: int


def _scheme_dict(user, s) -> dict:
    runs = list(queries.runs(user, s).values_list("year", "state"))
    return {"id": s.pk, "code": s.code, "revision": s.revision, "name": s.name, "owner_unit": s.owner_unit.code,
            "peer_group": s.peer_group.code if s.peer_group_id else None,
            "peer_parent": s.peer_parent.code if s.peer_parent_id else None, "is_current": s.is_current,
            "years": sorted(y for y, _st in runs), "published_years": sorted(y for y, st in runs if st == EvaluationRun.State.PUBLISHED)}


@evaluations_router.get("", response=SchemeList)
def schemes(request):
    items = [_scheme_dict(request.user, s) for s in queries.schemes(request.user)]
    return {"items": items, "count": len(items)}


class LineOut(Schema):
    key: str
    label: str
    value: float | None
    target: float | None
    attainment: float | None
    points: float
    weight: float
    contribution: float
    note: str


class ResultOut(Schema):
    unit: str
    unit_name: str
    score: float | None
    rank: int | None
    breakdown: list[LineOut]


class ResultList(Schema):
    scheme: str
    revision: int
    year: int
    state: str
    items: list[ResultOut]
    count: int


@evaluations_router.get("/{scheme_id}/results", response=ResultList)
def results(request, scheme_id: int, year: int | None = None):
    """A scheme's results for ``year`` (default: the latest computed year); a province sees its own row."""
    scheme = queries.scheme(request.user, scheme_id)
    runs = queries.runs(request.user, scheme)
    run = runs.filter(year=year).first() if year else runs.first()
    if run is None:
        raise Http404("not found")
    items = [{"unit": r.unit.code, "unit_name": r.unit.name, "score": r.score, "rank": r.rank, "breakdown": r.breakdown}
             for r in queries.results(request.user, run)]
    return {"scheme": scheme.code, "revision": scheme.revision, "year": run.year, "state": run.state, "items": items,
            "count": len(items)}
