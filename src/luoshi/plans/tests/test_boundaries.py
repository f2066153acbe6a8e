"""Every threshold and date rule of ``plans/rules.py`` exactly on, just before and just after its
boundary (issue 13), and the rounding of ties. Pure functions: no database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from luoshi.plans import rules

D = Decimal
START = date(2024, 1, 1)
DUE = START + timedelta(days=100)   # a 100-day window: ``expected`` is the number of days elapsed
HALFWAY = START + timedelta(days=50)  # expected = 50


def light(percent, today=HALFWAY, status="", start=START, due=DUE):
    return rules.light_for(D(percent), start, due, today, status)


# Done ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("percent", "expected"), [("100", "done"), ("100.00", "done"), ("99.99", "green")])
def test_done_starts_exactly_at_100_percent(percent, expected):
    assert light(percent, today=START) == expected


def test_done_wins_over_every_date_and_status():
    assert light("100", today=DUE + timedelta(days=400), status="delayed") == "done"
    assert light("0", today=DUE + timedelta(days=1), status="done") == "done"
    assert light("0", today=START - timedelta(days=1), status="done") == "done"


# Due date: the due day itself is not overdue, the day after is ------------------------------------

@pytest.mark.parametrize(("today", "expected"), [
    (DUE - timedelta(days=1), "green"),
    (DUE, "green"),                     # due today, on schedule: not red yet
    (DUE + timedelta(days=1), "red"),   # the first day overdue
])
def test_overdue_starts_the_day_after_the_due_date(today, expected):
    on_schedule = D((today - START).days) if today <= DUE else D(100) - D("0.01")
    assert light(min(on_schedule, D("99.99")), today=today) == expected


def test_overdue_is_red_whatever_the_progress_short_of_done():
    assert light("99.99", today=DUE + timedelta(days=1)) == "red"


# Start date: grey before it, judged from it -------------------------------------------------------

@pytest.mark.parametrize(("today", "expected"), [
    (START - timedelta(days=1), "grey"),
    (START, "green"),                      # day 0: nothing expected yet, 0 % is on track
    (START + timedelta(days=1), "green"),  # expected 1 %: 0 % is within the 10-point slack
])
def test_grey_ends_on_the_start_date(today, expected):
    assert light("0", today=today) == expected


def test_a_delayed_report_is_red_even_before_the_start():
    assert light("0", today=START - timedelta(days=1), status="delayed") == "red"


# Green / amber / red against the elapsed share of the window -------------------------------------

@pytest.mark.parametrize(("percent", "expected"), [
    ("40.01", "green"), ("40", "green"),      # exactly 10 points behind: still green
    ("39.99", "amber"),                       # just past the green slack
    ("25.01", "amber"), ("25", "amber"),      # exactly 25 points behind: still amber
    ("24.99", "red"),                         # just past the amber slack
])
def test_the_slack_thresholds_are_inclusive(percent, expected):
    assert light(percent) == expected


def test_the_slacks_are_the_documented_ones():
    assert (rules.GREEN_SLACK, rules.AMBER_SLACK) == (D(10), D(25))
    assert "10 points" in str(rules.LIGHT_RULE_TEXT) and "25 points" in str(rules.LIGHT_RULE_TEXT)


@pytest.mark.parametrize(("elapsed", "percent", "expected"), [
    # a 3-day window: expected is 33.33… on day 1, so the green boundary is not a round number
    (1, "23.33", "amber"), (1, "23.34", "green"),
    (2, "56.66", "amber"), (2, "56.67", "green"),   # expected 66.66…
    (2, "41.66", "red"), (2, "41.67", "amber"),
])
def test_the_threshold_uses_the_exact_expected_share_not_a_rounded_one(elapsed, percent, expected):
    start, due = date(2024, 3, 1), date(2024, 3, 4)
    assert rules.light_for(D(percent), start, due, start + timedelta(days=elapsed)) == expected


@pytest.mark.parametrize(("start", "due", "today"), [
    (None, DUE, DUE), (START, None, DUE + timedelta(days=999)), (None, None, HALFWAY), (DUE, DUE, DUE)])
def test_without_a_usable_window_nothing_is_expected_yet(start, due, today):
    assert rules.light_for(D(0), start, due, today) == "green"


# Reported status ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("percent", "status", "expected"), [
    ("50", "at_risk", "amber"),     # green made amber
    ("40", "at_risk", "amber"),     # green at its boundary made amber
    ("39.99", "at_risk", "amber"),  # already amber: stays amber, not red
    ("24.99", "at_risk", "red"),    # red stays red
    ("50", "on_track", "green"),
    ("50", "not_started", "green"),
    ("99", "delayed", "red"),
])
def test_a_reported_status_moves_the_light_as_documented(percent, status, expected):
    assert light(percent, status=status) == expected


# Rolling up lights --------------------------------------------------------------------------------

@pytest.mark.parametrize(("lights", "expected"), [
    ([], "grey"),
    (["done"], "done"),
    (["done", "done"], "done"),
    (["done", "grey"], "grey"),     # one child not done: the parent is not done
    (["done", "green"], "green"),
    (["grey", "green"], "green"),
    (["green", "amber"], "amber"),
    (["amber", "red", "done"], "red"),
])
def test_a_parent_shows_the_worst_child_and_done_only_when_all_are(lights, expected):
    assert rules.worst(lights) == expected


# Weighted progress and the rounding of ties -------------------------------------------------------

@pytest.mark.parametrize(("children", "expected"), [
    ([("10.00", "1"), ("10.01", "1")], "10.01"),   # 10.005: a tie rounds half up (half-even would give 10.00)
    ([("10.01", "1"), ("10.02", "1")], "10.02"),   # 10.015 → 10.02
    ([("0.00", "1"), ("0.01", "1")], "0.01"),      # 0.005 → 0.01
    ([("99.99", "1"), ("100", "1")], "100.00"),    # 99.995 → 100.00
    ([("0", "1"), ("0", "1"), ("0.01", "1")], "0.00"),  # 0.00333… is below the tie
    ([("0", "1"), ("0.01", "1"), ("0.01", "1")], "0.01"),  # 0.00666… is above it
])
def test_weighted_progress_rounds_ties_half_up(children, expected):
    assert rules.weighted_progress([(D(p), D(w)) for p, w in children]) == D(expected)


def test_zero_weights_count_equally_and_one_positive_weight_decides():
    assert rules.weighted_progress([(D(20), D(0)), (D(60), D(0))]) == D("40.00")
    assert rules.weighted_progress([(D(20), D(0)), (D(60), D("0.01"))]) == D("60.00")
    assert rules.weighted_progress([]) == D(0)


@given(st.lists(st.tuples(st.integers(0, 10000), st.integers(0, 500)), min_size=1, max_size=8))
def test_weighted_progress_is_the_exact_mean_rounded_half_up(children):
    pairs = [(D(p) / 100, D(w) / 100) for p, w in children]
    total = sum(w for _p, w in pairs)
    exact = sum(p * w for p, w in pairs) / total if total else sum(p for p, _w in pairs) / len(pairs)
    result = rules.weighted_progress(pairs)
    assert abs(result - exact) <= D("0.005")
    # exactly half a hundredth rounds up, never down
    if (exact * 200) == (exact * 200).to_integral_value() and (exact * 100) != (exact * 100).to_integral_value():
        assert result > exact


# Reporting periods: first and last days -----------------------------------------------------------

@pytest.mark.parametrize(("kind", "day", "key"), [
    ("quarterly", date(2024, 3, 31), "2024-Q1"), ("quarterly", date(2024, 4, 1), "2024-Q2"),
    ("quarterly", date(2024, 12, 31), "2024-Q4"), ("quarterly", date(2025, 1, 1), "2025-Q1"),
    ("monthly", date(2024, 2, 29), "2024-M02"), ("monthly", date(2024, 3, 1), "2024-M03"),
    ("monthly", date(2023, 2, 28), "2023-M02"), ("monthly", date(2023, 3, 1), "2023-M03"),
    ("half", date(2024, 6, 30), "2024-H1"), ("half", date(2024, 7, 1), "2024-H2"),
    ("yearly", date(2024, 12, 31), "2024"), ("yearly", date(2025, 1, 1), "2025"),
])
def test_a_period_holds_its_first_and_last_day(kind, day, key):
    assert rules.period_containing(kind, day).key == key


@pytest.mark.parametrize(("kind", "day", "key"), [
    ("quarterly", date(2024, 4, 1), "2024-Q1"),    # on a period's first day, the one before has ended
    ("quarterly", date(2024, 3, 31), "2023-Q4"),   # on its last day, not yet
    ("quarterly", date(2024, 1, 1), "2023-Q4"),    # across the year
    ("monthly", date(2024, 3, 1), "2024-M02"), ("monthly", date(2024, 1, 1), "2023-M12"),
    ("half", date(2024, 7, 1), "2024-H1"), ("half", date(2024, 6, 30), "2023-H2"),
    ("yearly", date(2025, 1, 1), "2024"), ("yearly", date(2024, 12, 31), "2023"),
])
def test_the_previous_period_is_the_last_one_ended_before_the_day(kind, day, key):
    assert rules.previous_period(kind, day).key == key


@pytest.mark.parametrize(("kind", "key", "steps", "expected"), [
    ("quarterly", "2024-Q4", 1, "2025-Q1"), ("quarterly", "2024-Q1", -1, "2023-Q4"),
    ("monthly", "2024-M12", 1, "2025-M01"), ("monthly", "2024-M01", -13, "2022-M12"),
    ("half", "2024-H2", 1, "2025-H1"), ("yearly", "2024", -1, "2023"),
])
def test_shifting_a_period_crosses_years(kind, key, steps, expected):
    assert rules.shift_period(kind, key, steps).key == expected


@pytest.mark.parametrize(("text", "ok"), [
    ("1900", True), ("1899", False), ("2100", True), ("2101", False),
    ("2024-M12", True), ("2024-M13", False), ("2024-M00", False), ("2024-01", True), ("2024-Q4", True), ("2024-Q5", False),
])
def test_period_spellings_at_their_limits(text, ok):
    if ok:
        rules.normalise_period(text)
    else:
        with pytest.raises(ValueError):
            rules.normalise_period(text)
