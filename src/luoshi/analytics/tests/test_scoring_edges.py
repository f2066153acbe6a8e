"""The pure scoring module at its edges: band thresholds, caps, min–max without spread, missing
data and weights, the breakdown row and ranking with zero and missing scores (no database)."""

from __future__ import annotations

import math

import pytest

from luoshi.analytics import scoring
from luoshi.analytics.scoring import ATTAINMENT, BANDS, MINMAX, Measure
from luoshi.analytics.targets import LOWER


@pytest.mark.parametrize("bands", [((50, 60), (80, 100)), ((80, 100), (50, 60))])
@pytest.mark.parametrize(("value", "points"), [(80, 100.0), (95, 100.0), (79.9, 60.0), (50, 60.0), (49.9, 0.0)])
def test_higher_is_better_bands_give_the_points_of_the_highest_threshold_reached(bands, value, points):
    assert scoring.band_points(value, bands, "higher") == points


@pytest.mark.parametrize("bands", [((5, 100), (10, 60)), ((10, 60), (5, 100))])
@pytest.mark.parametrize(("value", "points"), [(5, 100.0), (1, 100.0), (5.1, 60.0), (10, 60.0), (10.1, 0.0)])
def test_lower_is_better_bands_give_the_points_of_the_lowest_threshold_reached(bands, value, points):
    assert scoring.band_points(value, bands, LOWER) == points


def test_band_points_are_numbers_of_points_capped_to_0_to_100():
    measure = Measure("B", "b", 1, BANDS, bands=((10, 150), (5, -20)))
    assert scoring.points_for(measure, 12.0, None, [12.0]) == (100.0, None, "")
    assert scoring.points_for(measure, 6.0, None, [6.0]) == (0.0, None, "")
    assert scoring.points_for(Measure("B", "b", 1, BANDS, bands=((10, 40),)), 12.0, 24.0, [12.0]) == (40.0, 0.5, "")


@pytest.mark.parametrize("value", [None, math.nan, math.inf])
def test_a_missing_value_gets_no_points_whatever_the_normalisation(value):
    for normalisation in (ATTAINMENT, MINMAX, BANDS):
        measure = Measure("M", "m", 1, normalisation, bands=((0, 100),))
        assert scoring.points_for(measure, value, 10.0, [1.0, 2.0]) == (0.0, None, "no data")


def test_attainment_points_are_capped_at_100_and_floored_at_0_and_need_a_target():
    measure = Measure("A", "a", 1, ATTAINMENT)
    assert scoring.points_for(measure, 150.0, 100.0, []) == (100.0, 1.5, "")
    assert scoring.points_for(measure, 25.0, 100.0, []) == (25.0, 0.25, "")
    assert scoring.points_for(measure, -10.0, 100.0, []) == (0.0, -0.1, "")
    assert scoring.points_for(measure, 10.0, None, []) == (0.0, None, "no target")
    assert scoring.points_for(Measure("A", "a", 1, ATTAINMENT, direction=LOWER), 20.0, 10.0, []) == (50.0, 0.5, "")


def test_min_max_runs_from_the_worst_to_the_best_of_the_peers():
    higher, lower = Measure("M", "m", 1, MINMAX), Measure("M", "m", 1, MINMAX, direction=LOWER)
    peers = [10.0, 20.0, 50.0]
    assert [scoring.points_for(higher, v, None, peers)[0] for v in peers] == [0.0, 25.0, 100.0]
    assert [scoring.points_for(lower, v, None, peers)[0] for v in peers] == [100.0, 75.0, 0.0]
    assert scoring.points_for(higher, 20.0, 40.0, peers) == (25.0, 0.5, "")     # the attainment is still given
    assert scoring.points_for(higher, 7.0, None, [7.0, 7.0]) == (100.0, None, "")
    assert scoring.points_for(lower, 7.0, None, [7.0]) == (100.0, None, "")


def test_a_score_weighs_the_points_and_lists_each_measure():
    measures = [Measure("A", "Attained", 3, ATTAINMENT), Measure("M", "Spread", 1, MINMAX)]
    values = {"A": {1: 50.0, 2: 100.0}, "M": {1: 1.0, 2: 3.0, 9: None, 8: math.nan}}
    got = {s.unit: s for s in scoring.score(measures, values, {"A": {1: 100.0, 2: 100.0}}, [1, 2])}
    assert got[1].score == 37.5 and got[2].score == 100.0       # (3×50 + 0) / 4, (3×100 + 100) / 4
    assert (got[2].rank, got[1].rank) == (1, 2)
    assert got[1].lines[0].as_dict() == {"key": "A", "label": "Attained", "value": 50.0, "target": 100.0,
                                         "attainment": 0.5, "points": 50.0, "weight": 3, "contribution": 37.5,
                                         "note": ""}
    assert got[1].lines[1].as_dict() == {"key": "M", "label": "Spread", "value": 1.0, "target": None,
                                         "attainment": None, "points": 0.0, "weight": 1, "contribution": 0.0,
                                         "note": ""}


def test_points_and_contributions_are_rounded_to_six_places():
    measures = [Measure("M", "m", 1, MINMAX), Measure("N", "n", 2, MINMAX)]
    values = {"M": {1: 0.0, 2: 1.0, 3: 3.0}, "N": {1: 0.0, 2: 0.0, 3: 0.0}}
    got = {s.unit: s for s in scoring.score(measures, values, {}, [1, 2, 3])}
    assert got[2].lines[0].points == 33.333333 and got[2].lines[0].contribution == 11.111111
    assert got[2].score == 77.777778                              # 11.111111 + 2 × 100 / 3


def test_a_unit_without_any_value_has_no_score_and_comes_last_even_after_zero():
    measures = [Measure("M", "m", 1, MINMAX)]
    values = {"M": {1: 5.0, 2: 9.0, 3: None}}
    got = {s.unit: s for s in scoring.score(measures, values, {}, [1, 2, 3, 4])}
    assert (got[1].score, got[2].score, got[3].score, got[4].score) == (0.0, 100.0, None, None)
    assert (got[2].rank, got[1].rank, got[3].rank, got[4].rank) == (1, 2, 3, 3)
    assert got[3].lines[0].note == "no data" and got[4].lines[0].value is None


def test_a_measure_without_values_gives_no_data_and_no_weight_gives_no_score():
    got = scoring.score([Measure("X", "x", 1, MINMAX), Measure("M", "m", 1, MINMAX)], {"M": {1: 2.0}}, {}, [1])
    assert got[0].lines[0].note == "no data" and got[0].score == 50.0 and got[0].rank == 1
    weightless = scoring.score([Measure("M", "m", 0, MINMAX)], {"M": {1: 2.0}}, {}, [1])
    assert weightless[0].score is None and weightless[0].lines[0].contribution == 0.0
    assert weightless[0].lines[0].points == 100.0


def test_ranks_follow_the_score_with_shared_places():
    scores = [scoring.Score(1, 0.0), scoring.Score(2, None), scoring.Score(3, 0.0), scoring.Score(4, 0.5),
              scoring.Score(5, 0.5), scoring.Score(6, 90.0)]
    scoring.rank_scores(scores)
    assert [s.rank for s in scores] == [4, 6, 4, 2, 2, 1]
    only_missing = [scoring.Score(1, None), scoring.Score(2, None)]
    scoring.rank_scores(only_missing)
    assert [s.rank for s in only_missing] == [1, 1]


def test_attainment_of_a_band_uses_both_edges_of_the_measure():
    measure = Measure("B", "b", 1, ATTAINMENT, direction="band", band_low=10.0, band_high=20.0)
    assert scoring.points_for(measure, 15.0, None, []) == (100.0, 1.0, "")
    assert scoring.points_for(measure, 5.0, None, []) == (50.0, 0.5, "")     # half the width below 10
    assert scoring.points_for(measure, 25.0, None, []) == (50.0, 0.5, "")    # half the width above 20
    assert scoring.points_for(measure, 25.0, 30.0, []) == (50.0, 0.5, "")    # the edges, not the target
