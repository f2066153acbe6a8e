"""Scores, by hand: the pure scoring module and a scheme run through the services."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from luoshi.analytics import engine, queries, scoring, services
from luoshi.analytics.models import EvaluationRun
from luoshi.analytics.tests.conftest import enter
from luoshi.indicators import services as indicator_services
from luoshi.indicators.tests.conftest import build_setup


def test_scores_reproduce_a_hand_computed_example():
    measures = [
        scoring.Measure("ATT", "attainment", 2, scoring.ATTAINMENT),
        scoring.Measure("MM", "min-max", 1, scoring.MINMAX),
        scoring.Measure("BD", "bands", 1, scoring.BANDS, direction="lower", bands=((5, 100), (10, 60))),
    ]
    values = {"ATT": {1: 80.0, 2: 120.0, 3: None}, "MM": {1: 10.0, 2: 20.0, 3: 30.0}, "BD": {1: 4.0, 2: 8.0, 3: 12.0}}
    target_of = {"ATT": {1: 100.0, 2: 100.0, 3: 100.0}}
    got = {s.unit: s for s in scoring.score(measures, values, target_of, [1, 2, 3])}
    # A: (2×80 + 1×0 + 1×100) / 4 = 65; B: (2×100 + 50 + 60) / 4 = 77.5; C: (0 + 100 + 0) / 4 = 25
    assert (got[1].score, got[2].score, got[3].score) == (65.0, 77.5, 25.0)
    assert (got[2].rank, got[1].rank, got[3].rank) == (1, 2, 3)
    assert [line.points for line in got[1].lines] == [80.0, 0.0, 100.0]
    assert [line.contribution for line in got[2].lines] == [50.0, 12.5, 15.0]
    assert got[3].lines[0].note == "no data"
    assert got[2].lines[0].attainment == pytest.approx(1.2)


def test_ties_share_a_rank_and_units_without_data_come_last():
    scores = [scoring.Score(1, 50.0), scoring.Score(2, 70.0), scoring.Score(3, 50.0), scoring.Score(4, None), scoring.Score(5, 10.0)]
    scoring.rank_scores(scores)
    assert [s.rank for s in scores] == [2, 1, 2, 5, 4]


@pytest.mark.django_db
def test_a_scheme_run_scores_the_districts_and_publishing_freezes_it(world):
    setup = build_setup(world)
    enter(world, setup)
    planner = world.user("ministry_planner")
    indicator_services.set_target(planner, indicator=setup.enrol, unit=world.unit("110000"), year=2024, value=600)
    engine.rebuild()
    scheme = services.create_scheme(planner, code="BJ_DISTRICTS", name="北京各区评价", owner_unit=world.unit("MOE"),
                                    peer_parent=world.unit("110000"), measures=[
                                        {"indicator": "ENROL", "weight": 3, "normalisation": "attainment"},
                                        {"indicator": "POP", "weight": 1, "normalisation": "minmax"}])
    run = services.compute_run(planner, scheme, 2024)
    results = {r.unit.code: r for r in run.results.select_related("unit")}
    # 110101: ENROL 900 ≥ 600 (the city's target) → 100; POP best → 100: score 100.
    # 110102: ENROL 450 / 600 = 75 %; POP worst of those with data → 0: (3×75 + 0) / 4 = 56.25.
    assert results["110101"].score == pytest.approx(100.0) and results["110101"].rank == 1
    assert results["110102"].score == pytest.approx(56.25) and results["110102"].rank == 2
    assert results["110102"].breakdown[0]["target"] == 600 and results["110102"].breakdown[0]["points"] == pytest.approx(75)
    assert all(r.score is None for code, r in results.items() if code not in ("110101", "110102"))

    services.publish_run(planner, run)
    with pytest.raises(ValidationError):
        services.compute_run(planner, scheme, 2024)
    # Changing a scheme with published results makes a new revision; the old results stay.
    revised = services.update_scheme(planner, scheme, measures=[{"indicator": "ENROL", "weight": 1}])
    assert revised.pk != scheme.pk and revised.revision == 2 and revised.is_current
    scheme.refresh_from_db()
    assert not scheme.is_current and EvaluationRun.objects.get(scheme=scheme).state == "published"

    # A 北京 reviewer sees the 北京 districts' rows only; a 上海 user sees none of them.
    assert {r.unit.code for r in queries.results(world.user("beijing_reviewer"), run)} >= {"110101", "110102"}
    assert not [r for r in queries.results(world.user("shanghai_reporter"), run) if r.unit.code.startswith("11")]


@pytest.mark.django_db
def test_bad_measures_are_refused(world):
    planner = world.user("ministry_planner")
    build_setup(world)
    with pytest.raises(ValidationError):
        services.create_scheme(planner, code="X1", name="x", owner_unit=world.unit("MOE"), peer_parent=world.unit("110000"),
                               measures=[{"kind": "plan_overdue", "weight": 1, "normalisation": "attainment"}])
    with pytest.raises(ValidationError):
        services.create_scheme(planner, code="X2", name="x", owner_unit=world.unit("MOE"), peer_parent=world.unit("110000"),
                               measures=[{"indicator": "ENROL", "weight": 1, "normalisation": "bands", "bands": [[1, 200]]}])
    with pytest.raises(ValidationError):
        services.create_scheme(planner, code="X3", name="x", owner_unit=world.unit("MOE"), measures=[{"indicator": "ENROL"}])


@pytest.mark.django_db
def test_a_peer_group_of_the_provinces_below_the_ministry(world):
    build_setup(world)
    scheme = services.create_scheme(world.user("ministry_planner"), code="PROV", name="各省评价", owner_unit=world.unit("MOE"),
                                    peer_parent=world.unit("MOE"), peer_unit_type="province",
                                    measures=[{"indicator": "ENROL", "weight": 1}])
    units = list(queries.peer_units(scheme))
    assert len(units) == 32 and all(u.type == "province" for u in units)  # 31 provinces and 新疆生产建设兵团
