"""Permission battery for analytics (see ``luoshi.core.testing.battery``).

Objects live in the district 110101 东城区 (310101 黄浦区 for the out-of-scope counterpart):
an aggregated value of the district, a scheme owned by it, a run of that scheme, and the
district's result in a run ranking the districts of its city. 北京's admin covers them; 上海's
admin sees none of them; 北京's reporter sees them but may not write schemes or runs.
"""

from __future__ import annotations

import uuid

from luoshi.analytics import engine, queries, services
from luoshi.analytics.models import AggregateValue, EvaluationResult, EvaluationRun, EvaluationScheme
from luoshi.analytics.tests.conftest import enter
from luoshi.core.testing.battery import Action, Http, ModelSpec, generate
from luoshi.indicators.models import Indicator
from luoshi.indicators.tests.conftest import build_setup

MEASURES = [{"indicator": "ENROL", "weight": 1, "normalisation": "minmax"}]


def _setup(world):
    if not Indicator.objects.filter(code="ENROL").exists():
        build_setup(world)
    from luoshi.indicators.models import DataSet

    return DataSet.objects.get(code="DS_COUNTY")


class _Setup:
    def __init__(self, dataset):
        self.dataset = dataset


def make_aggregate(world, district) -> AggregateValue:
    dataset = _setup(world)
    enter(world, _Setup(dataset), values={district.code: (900, 1000, 300, 100)})
    engine.sync_rules()
    enrol = Indicator.objects.get(code="ENROL")
    engine.refresh([(enrol.pk, district.pk, "2024")])
    return AggregateValue.objects.get(indicator=enrol, unit=district, period="2024", category=None)


def make_scheme(world, district, peer_parent=None) -> EvaluationScheme:
    _setup(world)
    return services.create_scheme(world.admin, code="S" + uuid.uuid4().hex[:10], name="评价", owner_unit=district,
                                  peer_parent=peer_parent or district, measures=MEASURES)


def make_run(world, district) -> EvaluationRun:
    return services.compute_run(world.admin, make_scheme(world, district, district.parent), 2024)


def make_result(world, district) -> EvaluationResult:
    make_aggregate(world, district)
    return make_run(world, district).results.get(unit=district)


def _district(world, home):
    _setup(world)
    return home


def _prepare_scheme(c) -> None:
    c.scheme = make_scheme(c.world, c.obj, c.obj.parent)


def _lists_units(c, response) -> bool:
    return any(i["unit"] == c.obj.unit.code for i in response.json()["items"])


SPECS = [
    ModelSpec(
        model=AggregateValue,
        make=make_aggregate,
        actions=(
            Action("list", listing=True,
                   api=Http("get", lambda c: f"/api/v1/analytics?indicator=ENROL&period=2024", shows=_lists_units),
                   service=lambda user, c: queries.aggregates(user, indicator=c.obj.indicator, period="2024"),
                   service_shows=lambda c, rows: any(r.unit == c.obj.unit.code for r in rows)),
            Action("detail",
                   api=Http("get", lambda c: f"/api/v1/analytics?indicator=ENROL&unit={c.obj.unit.code}&period=2024"),
                   service=lambda user, c: queries.series(user, c.obj.indicator, queries.unit(user, c.obj.unit.code))),
        ),
    ),
    ModelSpec(
        model=EvaluationScheme,
        make=make_scheme,
        actions=(
            Action("list", listing=True,
                   api=Http("get", lambda c: "/api/v1/evaluations", shows=lambda c, r: any(i["id"] == c.pk for i in r.json()["items"])),
                   service=lambda user, c: queries.schemes(user)),
            Action("detail", service=lambda user, c: queries.scheme(user, c.pk)),
            Action("add", permission="add", target=_district, audit="create",
                   effect=lambda c: EvaluationScheme.objects.filter(code=c.new_code).exists(),
                   service=lambda user, c: services.create_scheme(user, code=c.new_code, name="新方案", owner_unit=c.obj,
                                                                  peer_parent=c.obj, measures=MEASURES)),
            Action("change", permission="change", audit="update",
                   effect=lambda c: c.refresh().name == "改名",
                   service=lambda user, c: services.update_scheme(user, c.obj, name="改名")),
            Action("delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
                   service=lambda user, c: services.delete_scheme(user, c.obj)),
        ),
    ),
    ModelSpec(
        model=EvaluationRun,
        make=make_run,
        actions=(
            Action("list", listing=True, service=lambda user, c: queries.runs(user)),
            Action("detail", service=lambda user, c: queries.run(user, c.pk)),
            Action("add", permission="add", target=_district, audit="create", verb="compute", prepare=_prepare_scheme,
                   effect=lambda c: EvaluationRun.objects.filter(scheme=c.scheme).exists(),
                   service=lambda user, c: services.compute_run(user, c.scheme, 2024)),
            Action("publish", permission="publish", audit="update", verb="publish",
                   effect=lambda c: c.refresh().state == EvaluationRun.State.PUBLISHED,
                   service=lambda user, c: services.publish_run(user, c.obj)),
        ),
    ),
    ModelSpec(
        model=EvaluationResult,
        make=make_result,
        actions=(
            Action("list", listing=True,
                   api=Http("get", lambda c: f"/api/v1/evaluations/{c.obj.run.scheme_id}/results?year=2024",
                            shows=lambda c, r: any(i["unit"] == c.obj.unit.code for i in r.json()["items"]),
                            out_of_scope_status=404),
                   service=lambda user, c: queries.results(user, c.obj.run)),
        ),
    ),
]

test_permissions = generate(SPECS)
