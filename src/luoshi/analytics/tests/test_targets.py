"""Attainment of targets, by direction and at every edge, and the trend's projection and the words
shown beside the chart (the pure ``analytics/targets.py``; no database)."""

from __future__ import annotations

import math

import pytest

from luoshi.analytics import targets
from luoshi.analytics.targets import BAND, HIGHER, LOWER


@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf])
def test_no_attainment_without_a_finite_value(value):
    assert targets.attainment(value, 10.0) is None
    assert targets.attainment(value, None, BAND, 1.0, 2.0) is None
    assert targets.reached(value, 10.0) is None


@pytest.mark.parametrize(("value", "target", "share"), [
    (50.0, 100.0, 0.5),
    (120.0, 100.0, 1.2),     # not capped here
    (0.0, 0.0, 1.0),         # a target of 0 is reached by any value >= 0
    (5.0, 0.0, 1.0),
    (-1.0, 0.0, 0.0),
    (5.0, -2.0, None),       # a negative target of a higher-is-better indicator says nothing
    (5.0, None, None),
    (5.0, math.inf, None),
    (5.0, math.nan, None),
])
def test_higher_is_better_is_value_over_target_and_the_default(value, target, share):
    assert targets.attainment(value, target, HIGHER) == share
    assert targets.attainment(value, target) == share


@pytest.mark.parametrize(("value", "target", "share"), [
    (10.0, 5.0, 0.5),
    (4.0, 5.0, 1.25),
    (10.0, 0.0, 0.0),
    (0.0, 5.0, 1.0),         # nothing left reaches any target >= 0
    (0.0, 0.0, 1.0),
    (-3.0, 5.0, 1.0),
    (0.0, -1.0, None),
    (10.0, -1.0, None),
    (10.0, None, None),
])
def test_lower_is_better_is_target_over_value(value, target, share):
    assert targets.attainment(value, target, LOWER) == share


@pytest.mark.parametrize(("value", "low", "high", "share"), [
    (10.0, 10.0, 20.0, 1.0),     # both edges are inside
    (20.0, 10.0, 20.0, 1.0),
    (15.0, 10.0, 20.0, 1.0),
    (5.0, 10.0, 20.0, 0.5),      # half the band's width below
    (25.0, 10.0, 20.0, 0.5),
    (8.0, 10.0, 20.0, 0.8),
    (22.0, 10.0, 20.0, 0.8),
    (40.0, 10.0, 20.0, 0.0),     # never below 0
    (-30.0, 10.0, 20.0, 0.0),
    (5.0, 20.0, 10.0, 0.5),      # a band given the wrong way round
    (25.0, 20.0, 10.0, 0.5),
    (15.0, 20.0, 10.0, 1.0),
])
def test_a_band_is_reached_inside_and_loses_by_distance_over_width(value, low, high, share):
    assert targets.attainment(value, None, BAND, low, high) == pytest.approx(share)


def test_a_band_without_width_measures_the_distance_against_its_edge_or_one():
    assert targets.attainment(8.0, 10.0, BAND) == pytest.approx(0.8)        # the target as both edges
    assert targets.attainment(12.0, None, BAND, 10.0, 10.0) == pytest.approx(0.8)
    assert targets.attainment(10.0, 10.0, BAND) == 1.0
    assert targets.attainment(-0.25, 0.0, BAND) == pytest.approx(0.75)    # edge 0: against 1
    assert targets.attainment(0.5, None, BAND, 0.0, 0.0) == pytest.approx(0.5)


def test_a_band_with_one_edge_takes_the_target_for_the_other():
    assert targets.attainment(5.0, 20.0, BAND, band_low=10.0) == 0.5       # band 10..20
    assert targets.attainment(25.0, 10.0, BAND, band_high=20.0) == 0.5     # band 10..20
    assert targets.attainment(5.0, None, BAND, band_low=10.0) is None
    assert targets.attainment(5.0, None, BAND, band_high=10.0) is None
    assert targets.attainment(5.0, None, BAND) is None


def test_reached_allows_rounding_noise_only():
    assert targets.reached(100.0, 100.0) is True
    assert targets.reached(100.0 - 1e-8, 100.0) is True        # share 1 - 1e-10
    assert targets.reached(1.0 - 1e-9, 1.0) is True             # exactly at the allowance
    assert targets.reached(99.9, 100.0) is False
    assert targets.reached(99.9999, 100.0) is False            # share 1 - 1e-6
    assert targets.reached(4.0, 5.0, LOWER) is True
    assert targets.reached(6.0, 5.0, LOWER) is False
    assert targets.reached(12.0, None, BAND, 10.0, 20.0) is True
    assert targets.reached(9.0, None, BAND, 10.0, 20.0) is False
    assert targets.reached(5.0, None) is None


def test_the_fit_is_the_least_squares_line_of_the_finite_values():
    slope, intercept = targets.fit([(2020, 1.0), (2021, 3.0), (2022, 2.0), (2023, None), (2024, math.nan)])
    assert slope == pytest.approx(0.5) and intercept == pytest.approx(2.0 - 0.5 * 2021)
    assert targets.fit([(2020, 5.0), (2020, 7.0)]) is None      # one year only
    assert targets.fit([(2020, 5.0), (2021, None)]) is None
    assert targets.fit([]) is None


def test_a_trend_projects_the_line_to_the_target_year():
    line = targets.trend([(2021, 100.0), (2022, 110.0), (2023, None), (2024, 130.0)], 2030, 200.0)
    assert line.slope == pytest.approx(10.0)
    assert line.projected == pytest.approx(190.0)
    assert (line.first_year, line.last_year, line.points, line.target_year, line.target) == (2021, 2024, 3, 2030, 200.0)
    assert line.on_course is False
    assert targets.trend([(2021, 100.0), (2022, 110.0)], 2030, 190.0).on_course is True
    assert targets.trend([(2021, 100.0), (2022, 90.0)], 2030, 5.0, LOWER).on_course is False   # projected 10 > 5
    assert targets.trend([(2021, 100.0), (2022, 90.0)], 2030, 20.0, LOWER).on_course is True
    assert targets.trend([(2021, 100.0)], 2030, 190.0) is None


def test_without_a_target_the_course_is_unknown_except_for_a_band():
    assert targets.trend([(2021, 1.0), (2022, 2.0)], 2030, None).on_course is None
    assert targets.trend([(2021, 1.0), (2022, 2.0)], 2030, None, BAND, 5.0, 12.0).on_course is True
    assert targets.trend([(2021, 1.0), (2022, 2.0)], 2030, None, BAND, 1.0, 5.0).on_course is False


def test_the_explanation_says_how_the_value_moved_and_where_it_leads():
    rising = targets.trend([(2020, 1000.0), (2024, 1500.0)], 2035, 3000.0)
    assert rising.explain() == (
        "From 2020 to 2024 (2 values) the value rose by 125 a year on average; at that pace it would be 2,875 in 2035. "
        "That falls short of the target of 3,000: not on course.")
    falling = targets.trend([(2020, 10.0), (2021, 9.5), (2022, 9.0)], 2030, 6.0, LOWER)
    assert falling.explain(LOWER) == (
        "From 2020 to 2022 (3 values) the value fell by 0.5 a year on average; at that pace it would be 5 in 2030. "
        "That reaches the target of 6: on course.")
    level = targets.trend([(2020, 7.25), (2021, 7.25)], 2030, None)
    assert level.explain() == (
        "From 2020 to 2021 (2 values) the value stayed level by 0 a year on average; at that pace it would be 7.25 "
        "in 2030. There is no target to compare with.")


def test_a_value_that_cannot_be_written_as_a_number_is_shown_as_a_dash():
    line = targets.Trend(math.inf, 0.0, 2020, 2021, 2, 2030, None, math.inf, None)
    assert "by — a year" in line.explain() and "it would be — in 2030" in line.explain()


def test_without_a_usable_target_the_explanation_says_so():
    negative = targets.trend([(2021, 1.0), (2022, 2.0)], 2030, -5.0)      # a target attainment cannot judge
    assert negative.on_course is None
    assert negative.explain().endswith("There is no target to compare with.")


def test_values_and_targets_under_one_are_compared_like_any_other():
    assert targets.attainment(0.5, 0.25, LOWER) == 0.5
    assert targets.attainment(1.0, 0.5, LOWER) == 0.5
    assert targets.attainment(0.25, 0.5) == 0.5
    assert targets.attainment(0.75, 0.5) == 1.5


def test_a_slow_rise_is_still_a_rise_and_the_line_is_returned_whole():
    slow = targets.trend([(2020, 1.0), (2022, 2.0)], 2030, None)
    assert (slow.slope, slow.intercept) == (pytest.approx(0.5), pytest.approx(1.0 - 0.5 * 2020))
    assert slow.explain().startswith("From 2020 to 2022 (2 values) the value rose by 0.5 a year on average")
