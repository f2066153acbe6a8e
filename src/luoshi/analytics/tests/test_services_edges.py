"""The analytics services at the edges the full mutation sweep of ``analytics/services.py`` found
untested (issue 13): who below the root may rebuild, the engine chosen by default, two schemes'
runs of one year kept apart, every measure kept in its place by a change without measures."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from luoshi.analytics import engine, services
from luoshi.analytics.tests.conftest import enter
from luoshi.audit.models import AuditRecord
from luoshi.indicators import services as indicator_services
from luoshi.indicators.tests.conftest import build_setup
from luoshi.orgs import services as org_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(world):
    setup = build_setup(world)
    enter(world, setup)
    indicator_services.set_target(world.user("ministry_planner"), indicator=setup.enrol, unit=world.unit("110000"), year=2024,
                                  value=600)
    engine.rebuild()
    return setup


def scheme_of(world, code, measures):
    return services.create_scheme(world.user("ministry_planner"), code=code, name="北京各区", owner_unit=world.unit("MOE"),
                                  peer_parent=world.unit("110000"), measures=measures)


@pytest.mark.parametrize("code", ["MOE-BGT", "110000"])
def test_an_administrator_of_a_unit_below_the_root_may_not_rebuild(world, code):
    # MOE-BGT (办公厅) is the first unit made below the ministry: its administrator covers it and
    # everything below it, not the whole tree
    org_services.add_membership(world.admin, user=world.user("nobody"), unit=world.unit(code), role="admin")
    with pytest.raises(PermissionDenied) as refused:
        services.rebuild(world.user("nobody"))
    assert str(refused.value) == "only administrators of the whole tree may rebuild the analytics"
    assert not AuditRecord.objects.filter(verb="rebuild").exists()


def test_the_database_engine_is_the_default_and_spark_is_not_asked(world, monkeypatch):
    from luoshi.analytics import spark

    def not_asked(progress, *, master=None):
        raise AssertionError("Spark was asked")

    monkeypatch.setattr(spark, "rebuild", not_asked)
    services.rebuild(world.admin)
    services.rebuild(world.user("ministry_admin"), engine_name="database")
    assert [(r.actor.username, r.after["engine"]) for r in AuditRecord.objects.filter(verb="rebuild").order_by("id")] == [
        ("admin", "database"), ("ministry_admin", "database")]


def test_two_schemes_results_of_one_year_are_kept_apart(world, filled):
    from luoshi.analytics.models import EvaluationRun

    planner = world.user("ministry_planner")
    first = scheme_of(world, code="ONE", measures=[{"indicator": "ENROL"}])
    second = scheme_of(world, code="TWO", measures=[{"indicator": "POP", "normalisation": "minmax"}])
    published = services.publish_run(planner, services.compute_run(planner, first, 2024))
    before = {r.unit_id: (r.score, r.breakdown) for r in published.results.all()}
    run = services.compute_run(planner, second, 2024)  # the first scheme's results of 2024 are frozen, not this one's
    assert run.pk != published.pk
    assert sorted(EvaluationRun.objects.filter(year=2024).values_list("scheme__code", "state", "version")) == [
        ("ONE", "published", 2), ("TWO", "computed", 1)]
    assert {r.breakdown[0]["key"] for r in run.results.all()} == {"POP"}
    assert {r.unit_id: (r.score, r.breakdown) for r in published.results.all()} == before


def test_a_change_without_measures_keeps_every_measure_in_its_place(world, filled):
    from luoshi.analytics.models import SchemeMeasure

    def measures_of(scheme):
        return [(m.order, m.kind, m.indicator.code if m.indicator else None, m.weight, m.normalisation, m.bands)
                for m in SchemeMeasure.objects.filter(scheme=scheme).order_by("order")]

    planner = world.user("ministry_planner")
    scheme = scheme_of(world, "KEEP", [{"kind": "plan_overdue", "normalisation": "bands", "bands": [[0, 100], [3, 50]]},
                                       {"indicator": "ENROL", "weight": 2, "normalisation": "minmax"}])
    kept = [(0, "plan_overdue", None, 1.0, "bands", [[0.0, 100.0], [3.0, 50.0]]), (1, "indicator", "ENROL", 2.0, "minmax", [])]
    assert measures_of(scheme) == kept
    services.update_scheme(planner, scheme, name="改名")  # in place
    assert measures_of(scheme) == kept
    services.publish_run(planner, services.compute_run(planner, scheme, 2024))
    revised = services.update_scheme(planner, scheme, name="第二版")  # a new revision, the measures copied
    assert revised.pk != scheme.pk and measures_of(revised) == measures_of(scheme) == kept
