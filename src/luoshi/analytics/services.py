"""Writes of the analytics domain: rebuilds, evaluation schemes, their runs and publication.

Every function takes the acting user first, checks permission through ``authz``, runs in a
transaction and leaves an audit record. Schemes are versioned: once a year's results of a
scheme are published, the scheme is never edited in place; ``update_scheme`` makes a new
revision (the old one stays, with its frozen results) and marks it current.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.analytics import engine, queries, scoring, targets
from luoshi.analytics.models import (
    AggregateValue, EvaluationResult, EvaluationRun, EvaluationScheme, MeasureKind, Normalisation, RebuildState,
    SchemeMeasure,
)
from luoshi.core import authz
from luoshi.core.services import check_version
from luoshi.indicators.models import Indicator
from luoshi.orgs.models import OrgGroup, OrgUnit

SCHEME_FIELDS = ("code", "name", "description", "owner_unit", "peer_group", "peer_parent", "peer_unit_type")


# Rebuild ------------------------------------------------------------------------------------

def rebuild(actor, progress: Callable[[int, int, str], None] | None = None, *, engine_name: str = "database",
            master: str | None = None) -> dict:
    """Rebuild every aggregate (administrators of the root unit, or superusers).

    ``engine_name``: ``database`` (the default) or ``spark`` (``master``: a Spark master URL).
    """
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    # covers_subtree answers a superuser before reading the unit: before the first unit exists
    # (no root, hence no grants) a superuser may rebuild and nobody else
    if not authz.covers_subtree(actor, "change", OrgUnit, root):
        raise PermissionDenied(_("only administrators of the whole tree may rebuild the analytics"))
    if engine_name == "spark":
        from luoshi.analytics import spark

        try:
            result = spark.rebuild(progress, master=master)
        except spark.SparkUnavailable as exc:
            raise ValidationError(str(exc)) from None
    elif engine_name == "database":
        result = engine.rebuild(progress)
    else:
        raise ValueError(f"unknown engine: {engine_name!r} (database or spark)")
    state = RebuildState.objects.get(pk=1)
    audit.record(actor, "update", state, None, {"rows": result["rows"], "seconds": round(result["seconds"], 3),
                                                "engine": engine_name}, verb="rebuild")
    return result


# Schemes ------------------------------------------------------------------------------------

def _clean_measures(actor, measures: Iterable[dict]) -> list[SchemeMeasure]:
    out = []
    for n, m in enumerate(measures):
        kind = m.get("kind", MeasureKind.INDICATOR)
        if kind not in MeasureKind.values:
            raise ValidationError({"measures": _("measure %(n)d: unknown kind %(kind)s") % {"n": n + 1, "kind": kind}})
        norm = m.get("normalisation", Normalisation.ATTAINMENT)
        if norm not in Normalisation.values:
            raise ValidationError({"measures": _("measure %(n)d: unknown normalisation %(v)s") % {"n": n + 1, "v": norm}})
        try:
            weight = float(m.get("weight", 1))
        except (TypeError, ValueError):
            weight = math.nan
        if not math.isfinite(weight) or weight < 0:
            raise ValidationError({"measures": _("measure %(n)d: the weight must be a number ≥ 0") % {"n": n + 1}})
        indicator = m.get("indicator")
        if kind == MeasureKind.INDICATOR:
            if isinstance(indicator, str):
                indicator = Indicator.objects.filter(code=indicator).first()
            if not isinstance(indicator, Indicator) or not authz.can(actor, "view", indicator):
                raise ValidationError({"measures": _("measure %(n)d: choose an indicator") % {"n": n + 1}})
        else:
            indicator = None
            if kind == MeasureKind.PLAN_OVERDUE and norm == Normalisation.ATTAINMENT:
                raise ValidationError({"measures": _("measure %(n)d: overdue counts have no target; use min–max or bands")
                                       % {"n": n + 1}})
        bands = m.get("bands") or []
        if norm == Normalisation.BANDS:
            unreadable = ValidationError({"measures": _("measure %(n)d: give bands as [threshold, points 0–100] pairs")
                                          % {"n": n + 1}})
            try:
                bands = [[float(t), float(p)] for t, p in bands]
            except (TypeError, ValueError):
                raise unreadable from None
            if not bands or any(not 0 <= p <= 100 or not math.isfinite(t) for t, p in bands):
                raise unreadable
            if len({t for t, _p in bands}) < len(bands):
                raise ValidationError({"measures": _("measure %(n)d: give each band its own threshold") % {"n": n + 1}})
        out.append(SchemeMeasure(order=n, kind=kind, indicator=indicator, weight=weight, normalisation=norm, bands=bands))
    if not out:
        raise ValidationError({"measures": _("a scheme needs at least one measure")})
    if sum(m.weight for m in out) <= 0:
        raise ValidationError({"measures": _("the weights must not all be zero")})
    return out


def _check_peers(scheme: EvaluationScheme) -> None:
    if bool(scheme.peer_group_id) == bool(scheme.peer_parent_id):
        raise ValidationError({"peer_group": _("choose either a group of units or the units below one unit")})


def _measures_snapshot(scheme: EvaluationScheme) -> list:
    return [{"kind": m.kind, "indicator": m.indicator.code if m.indicator else None, "weight": m.weight,
             "normalisation": m.normalisation, "bands": m.bands} for m in scheme.measures.select_related("indicator")]


@transaction.atomic
def create_scheme(actor, *, code: str, name: str, owner_unit: OrgUnit, measures: Iterable[dict],
                  peer_group: OrgGroup | None = None, peer_parent: OrgUnit | None = None, peer_unit_type: str = "",
                  description: str = "") -> EvaluationScheme:
    authz.require_in_unit(actor, "add", EvaluationScheme, owner_unit)
    for peer in (peer_group, peer_parent):
        if peer is not None:
            authz.require(actor, "view", peer)
    if EvaluationScheme.objects.filter(code=code).exists():
        raise ValidationError({"code": _("a scheme with this code exists; change it to make a new revision")})
    scheme = EvaluationScheme(code=code, name=name, description=description, owner_unit=owner_unit,
                              peer_group=peer_group, peer_parent=peer_parent, peer_unit_type=peer_unit_type)
    _check_peers(scheme)
    scheme.full_clean()
    cleaned = _clean_measures(actor, measures)
    scheme.save()
    for m in cleaned:
        m.scheme = scheme
    SchemeMeasure.objects.bulk_create(cleaned)
    after = audit.snapshot(scheme) | {"measures": _measures_snapshot(scheme)}
    audit.record(actor, "create", scheme, None, after)
    return scheme


@transaction.atomic
def update_scheme(actor, scheme: EvaluationScheme, *, expected_version: int | None = None,
                  measures: Iterable[dict] | None = None, **fields) -> EvaluationScheme:
    """Change a scheme; once any of its results are published the change makes a new revision."""
    scheme = EvaluationScheme.objects.select_for_update().get(pk=scheme.pk)
    authz.require(actor, "change", scheme)
    check_version(scheme, expected_version)
    if not scheme.is_current:
        raise ValidationError(_("this is an old revision; change the current one"))
    unknown = set(fields) - set(SCHEME_FIELDS)
    if unknown:
        raise ValidationError(_("unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    fields.pop("code", None)
    before = audit.snapshot(scheme) | {"measures": _measures_snapshot(scheme)}
    new_measures = _clean_measures(actor, measures) if measures is not None else [
        SchemeMeasure(order=m.order, kind=m.kind, indicator=m.indicator, weight=m.weight, normalisation=m.normalisation,
                      bands=m.bands) for m in scheme.measures.all()]
    if scheme.runs.filter(state=EvaluationRun.State.PUBLISHED).exists():
        EvaluationScheme.objects.filter(pk=scheme.pk).update(is_current=False)
        old = scheme
        scheme = EvaluationScheme(code=old.code, revision=old.revision + 1, name=old.name, description=old.description,
                                  owner_unit=old.owner_unit, peer_group=old.peer_group, peer_parent=old.peer_parent,
                                  peer_unit_type=old.peer_unit_type)
        for key, value in fields.items():
            setattr(scheme, key, value)
        if scheme.owner_unit_id != old.owner_unit_id:
            authz.require_in_unit(actor, "add", EvaluationScheme, scheme.owner_unit)
        _check_peers(scheme)
        scheme.full_clean()
        scheme.save()
        for m in new_measures:
            m.pk, m.scheme = None, scheme
        SchemeMeasure.objects.bulk_create(new_measures)
        audit.record(actor, "create", scheme, None, audit.snapshot(scheme) | {"measures": _measures_snapshot(scheme)},
                     verb="revise")
        return scheme
    for key, value in fields.items():
        setattr(scheme, key, value)
    if "owner_unit" in fields:
        authz.require_in_unit(actor, "change", EvaluationScheme, scheme.owner_unit)
    _check_peers(scheme)
    scheme.full_clean()
    scheme.version += 1
    scheme.save()
    scheme.measures.all().delete()
    for m in new_measures:
        m.pk, m.scheme = None, scheme
    SchemeMeasure.objects.bulk_create(new_measures)
    audit.record(actor, "update", scheme, before, audit.snapshot(scheme) | {"measures": _measures_snapshot(scheme)})
    return scheme


@transaction.atomic
def delete_scheme(actor, scheme: EvaluationScheme) -> None:
    scheme = EvaluationScheme.objects.select_for_update().get(pk=scheme.pk)
    authz.require(actor, "delete", scheme)
    if scheme.runs.filter(state=EvaluationRun.State.PUBLISHED).exists():
        raise ValidationError(_("the scheme has published results and is kept"))
    before = audit.snapshot(scheme)
    audit.record(actor, "delete", scheme, before, None)
    EvaluationRun.objects.filter(scheme=scheme).delete()
    scheme.delete()


# Runs ---------------------------------------------------------------------------------------

def plan_measures(units: list[OrgUnit], year: int, today: date | None = None) -> dict[str, dict[int, float | None]]:
    """Per unit (its subtree): the share of plan items on time (%) and the count of overdue items.

    Items of published plans led by a unit in the subtree. On time: the traffic light is not
    red, among items that have started (not grey). Overdue: due on or before the end of the
    year (or today, if earlier) and not done.
    """
    from luoshi.plans.models import Light, PlanItem

    cutoff = min(date(year, 12, 31), today or timezone.localdate())
    on_time: dict[int, float | None] = {}
    overdue: dict[int, float | None] = {}
    for unit in units:
        items = PlanItem.objects.filter(plan__status__in=["published", "archived"], lead_unit__path__startswith=unit.path)
        started = items.exclude(light=Light.GREY)
        total = started.count()
        on_time[unit.pk] = 100.0 * started.exclude(light=Light.RED).count() / total if total else None
        overdue[unit.pk] = float(items.filter(due_date__lte=cutoff).exclude(light=Light.DONE).count())
    return {MeasureKind.PLAN_ON_TIME: on_time, MeasureKind.PLAN_OVERDUE: overdue}


def _inputs(scheme: EvaluationScheme, year: int, units: list[OrgUnit]):
    measures, values, target_of = [], {}, {}
    plans = None
    for m in scheme.measures.select_related("indicator").order_by("order"):
        if m.kind == MeasureKind.INDICATOR:
            ind = m.indicator
            key = ind.code
            rows = {r.unit_id: r for r in AggregateValue.objects.filter(
                indicator=ind, period=str(year), category__isnull=True, unit_id__in=[u.pk for u in units])}
            probe = [queries.AggregateRow(ind.code, ind.name, u.code, u.name, u.pk, u.depth, str(year), None,
                                          rows[u.pk].value if u.pk in rows else None, 0, 0, None) for u in units]
            queries.attach_targets(probe, {ind.pk: ind})
            values[key] = {p.unit_id: p.value for p in probe}
            target_of[key] = {p.unit_id: p.target for p in probe}
            measures.append(scoring.Measure(key, ind.name, m.weight, m.normalisation, ind.direction,
                                            tuple(tuple(b) for b in m.bands), ind.band_low, ind.band_high))
        else:
            if plans is None:  # read once, for both plan measures
                plans = plan_measures(units, year)
            key = m.kind
            values[key] = plans[m.kind]
            target_of[key] = {u.pk: 100.0 for u in units} if m.kind == MeasureKind.PLAN_ON_TIME else {}
            direction = targets.LOWER if m.kind == MeasureKind.PLAN_OVERDUE else targets.HIGHER
            measures.append(scoring.Measure(key, str(MeasureKind(m.kind).label), m.weight, m.normalisation, direction,
                                            tuple(tuple(b) for b in m.bands)))
    return measures, values, target_of


@transaction.atomic
def compute_run(actor, scheme: EvaluationScheme, year: int) -> EvaluationRun:
    """Score the peer group for ``year`` (again, replacing earlier results unless published)."""
    scheme = EvaluationScheme.objects.select_related("owner_unit", "peer_group", "peer_parent").get(pk=scheme.pk)
    authz.require(actor, "view", scheme)
    authz.require_in_unit(actor, "add", EvaluationRun, scheme.owner_unit)
    if not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": _("give a year between 2000 and 2100")})
    run = EvaluationRun.objects.select_for_update().filter(scheme=scheme, year=year).first()
    if run and run.state == EvaluationRun.State.PUBLISHED:
        raise ValidationError(_("the results of %(year)d are published and frozen") % {"year": year})
    units = list(queries.peer_units(scheme))
    measures, values, target_of = _inputs(scheme, int(year), units)
    scores = scoring.score(measures, values, target_of, [u.pk for u in units])
    created = run is None
    before = None if created else audit.snapshot(run)
    if created:
        run = EvaluationRun(scheme=scheme, year=year)
    run.computed_at = timezone.now()
    if not created:
        run.version += 1
    run.save()
    run.results.all().delete()
    EvaluationResult.objects.bulk_create([
        EvaluationResult(run=run, unit_id=s.unit, score=s.score, rank=s.rank, breakdown=[line.as_dict() for line in s.lines])
        for s in scores])
    audit.record(actor, "create" if created else "update", run, before, audit.snapshot(run) | {"units": len(scores)},
                 verb="compute")
    return run


@transaction.atomic
def publish_run(actor, run: EvaluationRun) -> EvaluationRun:
    """Publish a year's results: from now on they are frozen."""
    run = EvaluationRun.objects.select_for_update().select_related("scheme__owner_unit").get(pk=run.pk)
    authz.require(actor, "publish", run)
    if run.state == EvaluationRun.State.PUBLISHED:
        return run
    before = audit.snapshot(run)
    run.state = EvaluationRun.State.PUBLISHED
    run.published_at = timezone.now()
    run.published_by = actor
    run.version += 1
    run.save()
    audit.record(actor, "update", run, before, audit.snapshot(run), verb="publish")
    return run
