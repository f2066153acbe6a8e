"""The modified z-score at its edges: the 3.5 threshold, the least history, a MAD under 1 and a
constant history (no database)."""

from __future__ import annotations

import pytest

from luoshi.indicators import outliers

# median 0, every deviation 0.6745, so MAD = 0.6745 and M = x exactly
SPREAD = [-0.6745, -0.6745, 0.6745, 0.6745]


def test_a_score_of_exactly_the_threshold_is_not_an_outlier_and_just_over_it_is():
    assert outliers.modified_z(3.5, SPREAD) == 3.5
    assert not outliers.is_outlier(3.5, SPREAD)
    assert not outliers.is_outlier(-3.5, SPREAD)
    assert outliers.is_outlier(3.5001, SPREAD)
    assert outliers.is_outlier(-3.5001, SPREAD)


def test_four_reference_values_are_enough_three_are_not():
    assert outliers.modified_z(10, [1, 2, 3, 4]) == pytest.approx(0.6745 * 7.5 / 1.0)
    assert outliers.is_outlier(10, [1, 2, 3, 4])
    assert outliers.modified_z(10, [1, 2, 3]) is None
    assert not outliers.is_outlier(1000, [1, 2, 3])


def test_a_median_absolute_deviation_under_one_is_still_used():
    # median 1, deviations 1, 0, 0, 1: MAD 0.5 (the mean absolute deviation would give 1.596)
    assert outliers.modified_z(2, [0, 1, 1, 2]) == pytest.approx(0.6745 * 1 / 0.5)


def test_against_a_constant_history_the_same_value_scores_zero_and_others_infinitely_far():
    assert outliers.modified_z(3, [3, 3, 3, 3]) == 0.0
    assert outliers.modified_z(4, [3, 3, 3, 3]) == float("inf")
    assert outliers.modified_z(2, [3, 3, 3, 3]) == float("-inf")
    assert outliers.is_outlier(2, [3, 3, 3, 3]) and outliers.is_outlier(4, [3, 3, 3, 3])
