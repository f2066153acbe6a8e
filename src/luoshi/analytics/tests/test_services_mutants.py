"""The analytics services in detail (issue 13, mutation testing of ``analytics/services.py``):
who may rebuild, every refusal of a scheme as the whole text a user reads, measures stored as
given or by their defaults, revisions, runs and their freezing, the plan measures at their date
limits, and the audit records of each write."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from luoshi.analytics import engine, services
from luoshi.analytics.models import EvaluationResult, EvaluationRun, EvaluationScheme, RebuildState, SchemeMeasure
from luoshi.analytics.tests.conftest import enter
from luoshi.audit.models import AuditRecord
from luoshi.core.services import EditConflict
from luoshi.indicators import services as indicator_services
from luoshi.indicators.tests.conftest import build_setup
from luoshi.orgs.models import OrgGroup

pytestmark = pytest.mark.django_db


def records(obj) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(content_type=ContentType.objects.get_for_model(type(obj)),
                                           object_id=str(obj.pk)).order_by("id"))


def refusal(exc_info) -> object:
    error = exc_info.value
    return error.message_dict if hasattr(error, "error_dict") else error.messages


def measures_of(scheme) -> list[tuple]:
    return [(m.order, m.kind, m.indicator.code if m.indicator else None, m.weight, m.normalisation, m.bands)
            for m in SchemeMeasure.objects.filter(scheme=scheme).order_by("order")]


@pytest.fixture
def setup(world):
    return build_setup(world)


def scheme_of(world, code="BJ", measures=None, **extra) -> EvaluationScheme:
    extra.setdefault("peer_parent", world.unit("110000"))
    return services.create_scheme(world.user("ministry_planner"), code=code, name="北京各区", owner_unit=world.unit("MOE"),
                                  measures=measures or [{"indicator": "ENROL"}], **extra)


# Rebuild ----------------------------------------------------------------------------------------

def test_only_administrators_of_the_whole_tree_rebuild(world, setup):
    for username in ("beijing_admin", "ministry_planner"):
        with pytest.raises(PermissionDenied) as refused:
            services.rebuild(world.user(username))
        assert str(refused.value) == "only administrators of the whole tree may rebuild the analytics"
    assert not AuditRecord.objects.filter(verb="rebuild").exists()
    steps = []
    result = services.rebuild(world.user("ministry_admin"), lambda i, n, label: steps.append((i, n)))
    assert steps and steps[-1][0] == steps[-1][1]
    record = AuditRecord.objects.get(verb="rebuild")
    assert (record.action, record.actor, record.before) == ("update", world.user("ministry_admin"), None)
    assert record.after == {"rows": result["rows"], "seconds": round(result["seconds"], 3), "engine": "database"}
    services.rebuild(world.admin)
    assert AuditRecord.objects.filter(verb="rebuild").count() == 2


def test_an_unknown_engine_is_refused_by_name(world):
    with pytest.raises(ValueError) as refused:
        services.rebuild(world.admin, engine_name="duck")
    assert str(refused.value) == "unknown engine: 'duck' (database or spark)"


def test_the_spark_engine_is_asked_with_the_master_and_its_absence_is_told(world, monkeypatch):
    from luoshi.analytics import spark

    calls = []

    def fake(progress, *, master=None):
        calls.append((progress, master))
        RebuildState.objects.get_or_create(pk=1)
        return {"rows": 7, "seconds": 1.23456}

    monkeypatch.setattr(spark, "rebuild", fake)
    tick = lambda i, n, label: None  # noqa: E731
    assert services.rebuild(world.admin, tick, engine_name="spark", master="spark://h:7077") == {"rows": 7, "seconds": 1.23456}
    assert calls == [(tick, "spark://h:7077")]
    assert AuditRecord.objects.get(verb="rebuild").after == {"rows": 7, "seconds": 1.235, "engine": "spark"}

    def missing(progress, *, master=None):
        raise spark.SparkUnavailable("needs Java 17 or newer")

    monkeypatch.setattr(spark, "rebuild", missing)
    with pytest.raises(ValidationError) as refused:
        services.rebuild(world.admin, engine_name="spark")
    assert refusal(refused) == ["needs Java 17 or newer"]
    assert AuditRecord.objects.filter(verb="rebuild").count() == 1


# Schemes ----------------------------------------------------------------------------------------

def test_a_measure_given_only_its_indicator_gets_the_defaults(world, setup):
    scheme = scheme_of(world, measures=[{"indicator": "ENROL"}, {"indicator": setup.pop, "weight": "2.5",
                                                                 "normalisation": "minmax", "bands": [[1, 2]]}])
    assert measures_of(scheme) == [(0, "indicator", "ENROL", 1.0, "attainment", []),
                                   (1, "indicator", "POP", 2.5, "minmax", [[1, 2]])]
    stored = EvaluationScheme.objects.get(pk=scheme.pk)
    assert (stored.code, stored.name, stored.description, stored.owner_unit, stored.peer_parent, stored.peer_group,
            stored.peer_unit_type, stored.revision, stored.is_current) == (
        "BJ", "北京各区", "", world.unit("MOE"), world.unit("110000"), None, "", 1, True)
    record = records(scheme)[-1]
    assert (record.action, record.actor, record.before) == ("create", world.user("ministry_planner"), None)
    assert record.after["measures"] == [
        {"kind": "indicator", "indicator": "ENROL", "weight": 1.0, "normalisation": "attainment", "bands": []},
        {"kind": "indicator", "indicator": "POP", "weight": 2.5, "normalisation": "minmax", "bands": [[1, 2]]}]
    assert record.after["code"] == "BJ"


def test_plan_measures_have_no_indicator_and_bands_are_read_as_numbers(world, setup):
    scheme = scheme_of(world, description="说明", peer_unit_type="county", measures=[
        {"kind": "plan_on_time", "indicator": "ENROL", "weight": 0},
        {"kind": "plan_overdue", "normalisation": "bands", "bands": [["5", 100], [10, "0"]], "weight": 1}])
    assert measures_of(scheme) == [(0, "plan_on_time", None, 0.0, "attainment", []),
                                   (1, "plan_overdue", None, 1.0, "bands", [[5.0, 100.0], [10.0, 0.0]])]
    stored = EvaluationScheme.objects.get(pk=scheme.pk)
    assert (stored.description, stored.peer_unit_type) == ("说明", "county")
    assert records(scheme)[-1].after["measures"][0] == {"kind": "plan_on_time", "indicator": None, "weight": 0.0,
                                                        "normalisation": "attainment", "bands": []}


BAD_MEASURES = [
    ([{"indicator": "ENROL"}, {"kind": "survey"}], "measure 2: unknown kind survey"),
    ([{"indicator": "ENROL", "normalisation": "zscore"}], "measure 1: unknown normalisation zscore"),
    ([{"indicator": "ENROL", "weight": "heavy"}], "measure 1: the weight must be a number ≥ 0"),
    ([{"indicator": "ENROL", "weight": None}], "measure 1: the weight must be a number ≥ 0"),
    ([{"indicator": "ENROL", "weight": -0.5}], "measure 1: the weight must be a number ≥ 0"),
    ([{"indicator": "ENROL", "weight": "inf"}], "measure 1: the weight must be a number ≥ 0"),
    ([{"indicator": "ENROL", "weight": "nan"}], "measure 1: the weight must be a number ≥ 0"),
    ([{"indicator": "NOPE"}], "measure 1: choose an indicator"),
    ([{"weight": 1}], "measure 1: choose an indicator"),
    ([{"indicator": 5}], "measure 1: choose an indicator"),
    ([{"kind": "plan_on_time"}, {"kind": "plan_overdue", "normalisation": "attainment"}],
     "measure 2: overdue counts have no target; use min–max or bands"),
    ([{"indicator": "ENROL", "normalisation": "bands"}], "measure 1: give bands as [threshold, points 0–100] pairs"),
    ([{"indicator": "ENROL", "normalisation": "bands", "bands": [[1, 100.5]]}],
     "measure 1: give bands as [threshold, points 0–100] pairs"),
    ([{"indicator": "ENROL", "normalisation": "bands", "bands": [[1, -0.5]]}],
     "measure 1: give bands as [threshold, points 0–100] pairs"),
    ([{"indicator": "ENROL", "normalisation": "bands", "bands": [["inf", 50]]}],
     "measure 1: give bands as [threshold, points 0–100] pairs"),
    ([{"indicator": "ENROL", "normalisation": "bands", "bands": [["many", 50]]}],
     "measure 1: give bands as [threshold, points 0–100] pairs"),
    ([{"indicator": "ENROL", "normalisation": "bands", "bands": [[1, None]]}],
     "measure 1: give bands as [threshold, points 0–100] pairs"),
    ([{"indicator": "ENROL", "normalisation": "bands", "bands": [[1]]}],
     "measure 1: give bands as [threshold, points 0–100] pairs"),
    ([{"indicator": "ENROL", "normalisation": "bands", "bands": [[1, 50], ["1.0", 80]]}],
     "measure 1: give each band its own threshold"),
    ([], "a scheme needs at least one measure"),
    ([{"indicator": "ENROL", "weight": 0}, {"kind": "plan_on_time", "weight": 0}], "the weights must not all be zero"),
]


@pytest.mark.parametrize("measures, message", BAD_MEASURES, ids=[m for _ms, m in BAD_MEASURES])
def test_bad_measures_are_refused_with_their_number(world, setup, measures, message):
    with pytest.raises(ValidationError) as refused:
        services.create_scheme(world.user("ministry_planner"), code="BAD", name="x", owner_unit=world.unit("MOE"),
                               peer_parent=world.unit("110000"), measures=measures)
    assert refusal(refused) == {"measures": [message]}
    assert not EvaluationScheme.objects.filter(code="BAD").exists()


def test_bands_at_the_ends_of_the_points_range_are_kept(world, setup):
    scheme = scheme_of(world, measures=[{"indicator": "ENROL", "normalisation": "bands",
                                         "bands": [[10, 100], [5, 0], [0, 0]]}])
    assert measures_of(scheme)[0][5] == [[10.0, 100.0], [5.0, 0.0], [0.0, 0.0]]  # points may repeat, thresholds not


def test_an_indicator_the_planner_cannot_see_is_not_a_measure(world, setup):
    indicator_services.create_indicator(world.user("shanghai_planner"), code="SH_ONLY", name="上海指标",
                                        owner_unit=world.unit("310000"), value_type="integer")
    with pytest.raises(ValidationError) as refused:
        services.create_scheme(world.user("beijing_planner"), code="BJX", name="x", owner_unit=world.unit("110000"),
                               peer_parent=world.unit("110000"), measures=[{"indicator": "SH_ONLY"}])
    assert refusal(refused) == {"measures": ["measure 1: choose an indicator"]}


def test_a_scheme_names_exactly_one_kind_of_peer_group(world, setup):
    group = OrgGroup.objects.order_by("pk").first()
    for peers in ({}, {"peer_group": group, "peer_parent": world.unit("110000")}):
        with pytest.raises(ValidationError) as refused:
            services.create_scheme(world.user("ministry_planner"), code="PEERS", name="x", owner_unit=world.unit("MOE"),
                                   measures=[{"indicator": "ENROL"}], **peers)
        assert refusal(refused) == {"peer_group": ["choose either a group of units or the units below one unit"]}
    scheme = services.create_scheme(world.user("ministry_planner"), code="PEERS", name="x", owner_unit=world.unit("MOE"),
                                    measures=[{"indicator": "ENROL"}], peer_group=group)
    assert EvaluationScheme.objects.get(pk=scheme.pk).peer_group == group


def test_who_may_make_a_scheme_and_over_which_peers(world, setup):
    with pytest.raises(PermissionDenied):
        services.create_scheme(world.user("beijing_reporter"), code="R", name="x", owner_unit=world.unit("110000"),
                               peer_parent=world.unit("110000"), measures=[{"indicator": "ENROL"}])
    with pytest.raises(Http404):
        services.create_scheme(world.user("beijing_planner"), code="R", name="x", owner_unit=world.unit("110000"),
                               peer_parent=world.unit("310000"), measures=[{"indicator": "ENROL"}])
    assert not EvaluationScheme.objects.filter(code="R").exists()
    from luoshi.orgs import services as org_services

    shanghai = org_services.create_group(world.user("shanghai_admin"), code="SHG", name="上海组", owner=world.unit("310000"),
                                         members=[world.unit("310101")])
    with pytest.raises(Http404):
        services.create_scheme(world.user("beijing_planner"), code="R", name="x", owner_unit=world.unit("110000"),
                               peer_group=shanghai, measures=[{"indicator": "ENROL"}])
    assert not EvaluationScheme.objects.filter(code="R").exists()
    services.create_scheme(world.user("beijing_planner"), code="R", name="x", owner_unit=world.unit("110000"),
                           peer_parent=world.unit("110000"), measures=[{"indicator": "ENROL"}])


def test_a_code_is_used_once(world, setup):
    scheme_of(world)
    with pytest.raises(ValidationError) as refused:
        scheme_of(world)
    assert refusal(refused) == {"code": ["a scheme with this code exists; change it to make a new revision"]}


def test_an_unpublished_scheme_is_changed_in_place(world, setup):
    scheme = scheme_of(world, measures=[{"indicator": "ENROL", "weight": 2}])
    planner = world.user("ministry_planner")
    changed = services.update_scheme(planner, scheme, expected_version=scheme.version, name="新名", code="OTHER",
                                     description="说明", peer_unit_type="county")
    assert changed.pk == scheme.pk
    stored = EvaluationScheme.objects.get(pk=scheme.pk)
    assert (stored.name, stored.code, stored.description, stored.peer_unit_type, stored.version, stored.revision) == (
        "新名", "BJ", "说明", "county", scheme.version + 1, 1)
    assert measures_of(scheme) == [(0, "indicator", "ENROL", 2.0, "attainment", [])]  # kept as they were
    record = records(scheme)[-1]
    assert (record.action, record.verb, record.actor) == ("update", "", planner)
    assert (record.before["name"], record.after["name"]) == ("北京各区", "新名")
    assert record.before["measures"] == record.after["measures"] == [
        {"kind": "indicator", "indicator": "ENROL", "weight": 2.0, "normalisation": "attainment", "bands": []}]
    services.update_scheme(planner, stored, measures=[{"indicator": "POP", "normalisation": "minmax"}, {"kind": "plan_on_time"}])
    assert measures_of(scheme) == [(0, "indicator", "POP", 1.0, "minmax", []), (1, "plan_on_time", None, 1.0, "attainment", [])]
    assert records(scheme)[-1].after["measures"][0]["indicator"] == "POP"
    assert EvaluationScheme.objects.filter(code="BJ").count() == 1


def test_scheme_update_refusals(world, setup):
    scheme = scheme_of(world)
    planner = world.user("ministry_planner")
    with pytest.raises(ValidationError) as refused:
        services.update_scheme(planner, scheme, colour="red", size=3, name="x")
    assert refusal(refused) == ["unknown fields: colour, size"]
    with pytest.raises(ValidationError) as refused:
        services.update_scheme(planner, scheme, peer_parent=None)
    assert refusal(refused) == {"peer_group": ["choose either a group of units or the units below one unit"]}
    with pytest.raises(ValidationError) as refused:
        services.update_scheme(planner, scheme, measures=[])
    assert refusal(refused) == {"measures": ["a scheme needs at least one measure"]}
    with pytest.raises(ValidationError):
        services.update_scheme(planner, scheme, name="")
    services.update_scheme(planner, scheme, name="一")
    with pytest.raises(EditConflict):
        services.update_scheme(planner, scheme, expected_version=scheme.version, name="二")
    with pytest.raises(PermissionDenied):
        services.update_scheme(world.user("ministry_reporter"), scheme, name="三")
    beijing = services.create_scheme(world.user("beijing_planner"), code="BJ2", name="x", owner_unit=world.unit("110000"),
                                     peer_parent=world.unit("110000"), measures=[{"indicator": "ENROL"}])
    with pytest.raises(PermissionDenied):  # moved to a unit the planner does not cover
        services.update_scheme(world.user("beijing_planner"), beijing, owner_unit=world.unit("MOE"))
    assert EvaluationScheme.objects.get(code="BJ2").owner_unit == world.unit("110000")
    services.update_scheme(world.user("beijing_planner"), beijing, owner_unit=world.unit("110101"))
    assert EvaluationScheme.objects.get(code="BJ2").owner_unit == world.unit("110101")
    assert EvaluationScheme.objects.get(pk=scheme.pk).name == "一"


def _published(world, scheme, year=2024) -> EvaluationRun:
    run = services.compute_run(world.user("ministry_planner"), scheme, year)
    return services.publish_run(world.user("ministry_planner"), run)


def test_a_published_scheme_is_revised_and_the_old_revision_stays(world, setup):
    scheme = scheme_of(world, measures=[{"indicator": "ENROL", "weight": 3, "normalisation": "bands", "bands": [[1, 50]]}],
                       description="旧说明", peer_unit_type="county")
    _published(world, scheme)
    planner = world.user("ministry_planner")
    revised = services.update_scheme(planner, scheme, expected_version=scheme.version, name="第二版", code="IGNORED")
    assert revised.pk != scheme.pk
    fresh = EvaluationScheme.objects.get(pk=revised.pk)
    assert (fresh.code, fresh.revision, fresh.name, fresh.description, fresh.owner_unit, fresh.peer_parent,
            fresh.peer_group, fresh.peer_unit_type, fresh.is_current) == (
        "BJ", 2, "第二版", "旧说明", world.unit("MOE"), world.unit("110000"), None, "county", True)
    old = EvaluationScheme.objects.get(pk=scheme.pk)
    assert (old.is_current, old.name, old.revision) == (False, "北京各区", 1)
    assert measures_of(old) == measures_of(fresh) == [(0, "indicator", "ENROL", 3.0, "bands", [[1.0, 50.0]])]
    record = records(fresh)[-1]
    assert (record.action, record.verb, record.actor, record.before) == ("create", "revise", planner, None)
    assert record.after["measures"] == [
        {"kind": "indicator", "indicator": "ENROL", "weight": 3.0, "normalisation": "bands", "bands": [[1.0, 50.0]]}]
    assert record.after["revision"] == 2
    assert EvaluationRun.objects.get(scheme=old).state == "published"
    with pytest.raises(ValidationError) as refused:
        services.update_scheme(planner, old, name="x")
    assert refusal(refused) == ["this is an old revision; change the current one"]
    _published(world, fresh)
    third = services.update_scheme(planner, fresh, measures=[{"indicator": "POP"}])
    assert measures_of(third) == [(0, "indicator", "POP", 1.0, "attainment", [])]
    assert measures_of(fresh) == [(0, "indicator", "ENROL", 3.0, "bands", [[1.0, 50.0]])]
    assert EvaluationScheme.objects.get(pk=third.pk).revision == 3


def test_a_revision_keeps_the_peer_group(world, setup):
    group = OrgGroup.objects.order_by("pk").first()
    scheme = services.create_scheme(world.user("ministry_planner"), code="GRP", name="组内评价", owner_unit=world.unit("MOE"),
                                    peer_group=group, measures=[{"indicator": "ENROL"}])
    _published(world, scheme)
    revised = services.update_scheme(world.user("ministry_planner"), scheme, name="组内评价（二）")
    fresh = EvaluationScheme.objects.get(pk=revised.pk)
    assert (fresh.revision, fresh.peer_group, fresh.peer_parent, fresh.name) == (2, group, None, "组内评价（二）")


def test_a_revision_moved_to_another_unit_needs_the_right_to_add_there(world, setup):
    planner = world.user("beijing_planner")
    scheme = services.create_scheme(planner, code="BJR", name="x", owner_unit=world.unit("110000"),
                                    peer_parent=world.unit("110000"), measures=[{"indicator": "ENROL"}])
    services.publish_run(planner, services.compute_run(planner, scheme, 2024))
    with pytest.raises(PermissionDenied):
        services.update_scheme(planner, scheme, owner_unit=world.unit("MOE"))
    assert EvaluationScheme.objects.filter(code="BJR").count() == 1
    with pytest.raises(ValidationError) as refused:
        services.update_scheme(planner, scheme, peer_parent=None)
    assert refusal(refused) == {"peer_group": ["choose either a group of units or the units below one unit"]}
    assert EvaluationScheme.objects.get(pk=scheme.pk).is_current
    moved = services.update_scheme(planner, scheme, owner_unit=world.unit("110101"))
    assert EvaluationScheme.objects.get(pk=moved.pk).owner_unit == world.unit("110101")


def test_a_scheme_with_published_results_is_kept(world, setup):
    scheme = scheme_of(world)
    planner = world.user("ministry_planner")
    run = services.compute_run(planner, scheme, 2024)
    with pytest.raises(PermissionDenied):
        services.delete_scheme(world.user("ministry_reporter"), scheme)
    services.publish_run(planner, run)
    with pytest.raises(ValidationError) as refused:
        services.delete_scheme(planner, scheme)
    assert refusal(refused) == ["the scheme has published results and is kept"]
    other = scheme_of(world, code="GONE")
    services.compute_run(planner, other, 2023)
    pk = other.pk
    services.delete_scheme(planner, other)
    assert not EvaluationScheme.objects.filter(pk=pk).exists() and not EvaluationRun.objects.filter(scheme_id=pk).exists()
    record = AuditRecord.objects.get(object_id=str(pk), action="delete",
                                     content_type=ContentType.objects.get_for_model(EvaluationScheme))
    assert (record.actor, record.before["code"], record.after) == (planner, "GONE", None)
    assert EvaluationScheme.objects.filter(pk=scheme.pk).exists()


# Plan measures ----------------------------------------------------------------------------------

def test_plan_measures_count_started_items_on_time_and_items_overdue_by_the_cutoff(world):
    from luoshi.plans.models import Light, Plan, PlanItem
    from luoshi.plans.tests.conftest import build_small_plan

    small = build_small_plan(world)
    items = PlanItem.objects.filter(plan=small.plan)
    items.update(light=Light.GREEN, due_date=date(2026, 1, 1))
    PlanItem.objects.filter(pk=small.beijing.pk).update(light=Light.RED, due_date=date(2025, 6, 30))
    PlanItem.objects.filter(pk=small.dongcheng.pk).update(light=Light.AMBER, due_date=date(2025, 6, 30))
    PlanItem.objects.filter(pk=small.shanghai.pk).update(light=Light.GREY, due_date=date(2025, 6, 30))
    units = [world.unit("110000"), world.unit("310000"), world.unit("110101"), world.unit("120000")]
    pk = {u.code: u.pk for u in units}
    got = services.plan_measures(units, 2025, today=date(2025, 6, 30))
    assert got["plan_on_time"] == {pk["110000"]: 50.0, pk["310000"]: None, pk["110101"]: 100.0, pk["120000"]: None}
    assert got["plan_overdue"] == {pk["110000"]: 2.0, pk["310000"]: 1.0, pk["110101"]: 1.0, pk["120000"]: 0.0}
    # the day before the due date nothing is overdue; a year ending earlier cuts off at its end
    assert services.plan_measures(units, 2025, today=date(2025, 6, 29))["plan_overdue"][pk["110000"]] == 0.0
    assert services.plan_measures(units, 2024, today=date(2030, 1, 1))["plan_overdue"][pk["110000"]] == 0.0
    assert services.plan_measures(units, 2025, today=date(2030, 1, 1))["plan_overdue"][pk["110000"]] == 2.0
    PlanItem.objects.filter(pk=small.dongcheng.pk).update(light=Light.DONE)
    got = services.plan_measures(units, 2025, today=date(2025, 6, 30))
    assert got["plan_overdue"][pk["110000"]] == 1.0 and got["plan_on_time"][pk["110000"]] == 50.0
    Plan.objects.filter(pk=small.plan.pk).update(status="archived")
    assert services.plan_measures(units, 2025, today=date(2025, 6, 30))["plan_overdue"][pk["110000"]] == 1.0
    Plan.objects.filter(pk=small.plan.pk).update(status="draft")
    got = services.plan_measures(units, 2025, today=date(2025, 6, 30))
    assert got["plan_overdue"][pk["110000"]] == 0.0 and got["plan_on_time"][pk["110000"]] is None


def test_plan_measures_cut_off_today_by_default(world):
    from luoshi.plans.models import Light, PlanItem
    from luoshi.plans.tests.conftest import build_small_plan

    small = build_small_plan(world)
    today = timezone.localdate()
    PlanItem.objects.filter(plan=small.plan).update(light=Light.GREEN, due_date=today.replace(year=today.year + 1))
    PlanItem.objects.filter(pk=small.beijing.pk).update(due_date=today)
    unit = world.unit("110000")
    assert services.plan_measures([unit], today.year)["plan_overdue"] == {unit.pk: 1.0}
    PlanItem.objects.filter(pk=small.beijing.pk).update(due_date=date(today.year, 12, 31))
    if today != date(today.year, 12, 31):
        assert services.plan_measures([unit], today.year)["plan_overdue"] == {unit.pk: 0.0}


# Runs -------------------------------------------------------------------------------------------

@pytest.fixture
def filled(world, setup):
    enter(world, setup)
    indicator_services.set_target(world.user("ministry_planner"), indicator=setup.enrol, unit=world.unit("110000"), year=2024,
                                  value=600)
    engine.rebuild()
    return setup


def test_a_run_explains_each_units_score_measure_by_measure(world, filled):
    from luoshi.plans.models import Light, PlanItem
    from luoshi.plans.tests.conftest import build_small_plan

    small = build_small_plan(world)
    PlanItem.objects.filter(plan=small.plan).update(light=Light.GREEN, due_date=date(2030, 1, 1))
    PlanItem.objects.filter(pk=small.dongcheng.pk).update(light=Light.RED, due_date=date(2024, 6, 1))
    scheme = scheme_of(world, measures=[
        {"indicator": "ENROL", "weight": 2},
        {"kind": "plan_on_time", "weight": 1},
        {"kind": "plan_overdue", "weight": 1, "normalisation": "bands", "bands": [[0, 100], [2, 40]]}])
    planner = world.user("ministry_planner")
    before = timezone.now()
    run = services.compute_run(planner, scheme, 2024)
    run = EvaluationRun.objects.get(pk=run.pk)
    assert (run.year, run.state, run.version) == (2024, "computed", 1) and run.computed_at >= before
    results = {r.unit.code: r for r in EvaluationResult.objects.filter(run=run).select_related("unit")}
    dongcheng, xicheng = results["110101"], results["110102"]
    assert [(d["key"], d["label"], d["value"], d["target"], d["points"], d["weight"]) for d in dongcheng.breakdown] == [
        ("ENROL", "在校生数", 900.0, 600.0, 100.0, 2.0),
        ("plan_on_time", "Share of plan items on time", 0.0, 100.0, 0.0, 1.0),
        ("plan_overdue", "Overdue plan items", 1.0, None, 40.0, 1.0)]
    assert [(d["key"], d["value"], d["target"], d["points"]) for d in xicheng.breakdown] == [
        ("ENROL", 450.0, 600.0, 75.0), ("plan_on_time", None, 100.0, 0.0), ("plan_overdue", 0.0, None, 100.0)]
    assert dongcheng.score == pytest.approx((2 * 100 + 0 + 40) / 4) and xicheng.score == pytest.approx((2 * 75 + 0 + 100) / 4)
    assert (dongcheng.rank, xicheng.rank) == (2, 1)
    record = records(run)[-1]
    assert (record.action, record.verb, record.actor, record.before) == ("create", "compute", planner, None)
    assert record.after["units"] == len(results) and record.after["year"] == 2024


def test_an_indicator_measure_reads_the_years_totals_only(world, filled):
    scheme = scheme_of(world, measures=[{"indicator": "PUPILS", "normalisation": "minmax"}])
    run = services.compute_run(world.user("ministry_planner"), scheme, 2024)
    values = {r.unit.code: r.breakdown[0]["value"] for r in run.results.select_related("unit")}
    assert (values["110101"], values["110102"]) == (400.0, 250.0)
    other_year = services.compute_run(world.user("ministry_planner"), scheme, 2023)
    assert all(r.breakdown[0]["value"] is None and r.score is None for r in other_year.results.all())


def test_an_indicator_scored_by_bands_uses_its_direction(world, filled):
    from luoshi.indicators.models import Indicator

    measures = [{"indicator": "ENROL", "normalisation": "bands", "bands": [[400, 50], [800, 100]]}]
    run = services.compute_run(world.user("ministry_planner"), scheme_of(world, measures=measures), 2024)
    points = {r.unit.code: r.breakdown[0]["points"] for r in run.results.select_related("unit")}
    assert (points["110101"], points["110102"]) == (100.0, 50.0)  # 900 reaches 800, 450 reaches 400
    Indicator.objects.filter(code="ENROL").update(direction="lower")
    run = services.compute_run(world.user("ministry_planner"), scheme_of(world, code="LOW", measures=measures), 2024)
    points = {r.unit.code: r.breakdown[0]["points"] for r in run.results.select_related("unit")}
    assert (points["110101"], points["110102"]) == (0.0, 100.0)  # 900 exceeds both, 450 does not exceed 800


def test_a_band_indicator_is_scored_by_its_band(world, filled):
    from luoshi.indicators.models import Indicator

    Indicator.objects.filter(code="POP").update(band_low=600, band_high=900, direction="band")
    scheme = scheme_of(world, measures=[{"indicator": "POP"}])
    run = services.compute_run(world.user("ministry_planner"), scheme, 2024)
    lines = {r.unit.code: r.breakdown[0] for r in run.results.select_related("unit")}
    # 1000 is 100 above the band's top (900), 500 is 100 below its bottom (600)
    assert lines["110101"]["attainment"] == pytest.approx(lines["110102"]["attainment"])
    assert lines["110101"]["attainment"] < 1


def test_run_years_between_2000_and_2100(world, setup):
    scheme = scheme_of(world)
    planner = world.user("ministry_planner")
    for year in (1999, 2101):
        with pytest.raises(ValidationError) as refused:
            services.compute_run(planner, scheme, year)
        assert refusal(refused) == {"year": ["give a year between 2000 and 2100"]}
    for year in (2000, 2100, "2050"):
        services.compute_run(planner, scheme, year)
    assert sorted(EvaluationRun.objects.filter(scheme=scheme).values_list("year", flat=True)) == [2000, 2050, 2100]


def test_computing_again_replaces_the_results_until_they_are_published(world, filled):
    scheme = scheme_of(world)
    planner = world.user("ministry_planner")
    run = services.compute_run(planner, scheme, 2024)
    first = set(EvaluationResult.objects.filter(run=run).values_list("pk", flat=True))
    again = services.compute_run(planner, scheme, 2024)
    assert again.pk == run.pk and EvaluationRun.objects.get(pk=run.pk).version == 2
    results = EvaluationResult.objects.filter(run=run)
    assert results.count() == len(first) and not first & set(results.values_list("pk", flat=True))
    record = records(run)[-1]
    assert (record.action, record.verb, record.actor, record.before["version"], record.after["version"]) == (
        "update", "compute", planner, 1, 2)
    services.publish_run(planner, again)
    with pytest.raises(ValidationError) as refused:
        services.compute_run(planner, scheme, 2024)
    assert refusal(refused) == ["the results of 2024 are published and frozen"]
    assert EvaluationRun.objects.get(pk=run.pk).version == 3


def test_who_may_compute_and_publish(world, filled):
    scheme = scheme_of(world)
    with pytest.raises(PermissionDenied):
        services.compute_run(world.user("ministry_reporter"), scheme, 2024)
    with pytest.raises(PermissionDenied):  # a province sees the ministry's scheme, does not run it
        services.compute_run(world.user("shanghai_planner"), scheme, 2024)
    beijing = services.create_scheme(world.user("beijing_planner"), code="BJO", name="x", owner_unit=world.unit("110000"),
                                     peer_parent=world.unit("110000"), measures=[{"indicator": "ENROL"}])
    with pytest.raises(Http404):
        services.compute_run(world.user("shanghai_planner"), beijing, 2024)
    with pytest.raises(PermissionDenied):  # sees the scheme, does not run it
        services.compute_run(world.user("beijing_reporter"), beijing, 2024)
    run = services.compute_run(world.user("beijing_planner"), beijing, 2024)
    with pytest.raises(PermissionDenied):
        services.publish_run(world.user("beijing_reporter"), run)
    assert EvaluationRun.objects.get(pk=run.pk).state == "computed"


def test_publishing_freezes_once_and_records_who(world, filled):
    scheme = scheme_of(world)
    planner = world.user("ministry_planner")
    run = services.compute_run(planner, scheme, 2024)
    before = timezone.now()
    published = services.publish_run(planner, run)
    stored = EvaluationRun.objects.get(pk=run.pk)
    assert (stored.state, stored.published_by, stored.version) == ("published", planner, 2)
    assert stored.published_at >= before and published.state == "published"
    record = records(run)[-1]
    assert (record.action, record.verb, record.actor) == ("update", "publish", planner)
    assert (record.before["state"], record.after["state"], record.after["version"]) == ("computed", "published", 2)
    count = len(records(run))
    again = services.publish_run(world.user("ministry_admin"), stored)
    assert again.published_by == planner and len(records(run)) == count
    assert EvaluationRun.objects.get(pk=run.pk).version == 2
