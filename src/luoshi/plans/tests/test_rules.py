"""The pure rules: traffic lights, roll-up arithmetic, reporting periods (property tests)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from luoshi.plans import rules

percents = st.decimals(min_value=0, max_value=100, places=2)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


def test_it_marks_complete_work_done_whatever_the_dates():
    assert rules.light_for(Decimal(100), date(2024, 1, 1), date(2024, 2, 1), date(2025, 1, 1)) == "done"
    assert rules.light_for(Decimal(40), date(2024, 1, 1), date(2024, 2, 1), date(2025, 1, 1), "done") == "done"


def test_it_marks_overdue_work_red():
    assert rules.light_for(Decimal(99), date(2024, 1, 1), date(2024, 6, 30), date(2024, 7, 1)) == "red"


def test_it_compares_progress_with_elapsed_time():
    start, due = date(2024, 1, 1), date(2024, 12, 31)
    halfway = start + (due - start) / 2
    assert rules.light_for(Decimal(50), start, due, halfway) == "green"
    assert rules.light_for(Decimal(35), start, due, halfway) == "amber"
    assert rules.light_for(Decimal(20), start, due, halfway) == "red"
    assert rules.light_for(Decimal(0), start, due, start - timedelta(days=1)) == "grey"


def test_it_lets_a_reported_risk_downgrade_green_to_amber():
    start, due = date(2024, 1, 1), date(2024, 12, 31)
    assert rules.light_for(Decimal(60), start, due, date(2024, 6, 1), "at_risk") == "amber"
    assert rules.light_for(Decimal(60), start, due, date(2024, 6, 1), "delayed") == "red"


@given(percents, percents, days, st.integers(1, 2000), days)
def test_it_never_gives_a_worse_light_for_more_progress(p1, p2, start, length, today):
    due = start + timedelta(days=length)
    low, high = sorted([p1, p2])
    order = rules.LIGHT_ORDER
    assert order.index(rules.light_for(high, start, due, today)) <= order.index(rules.light_for(low, start, due, today))


@given(st.lists(st.tuples(percents, st.decimals(min_value=0, max_value=50, places=2)), min_size=1, max_size=20))
def test_it_keeps_weighted_progress_between_the_children(children):
    value = rules.weighted_progress(children)
    assert min(p for p, _w in children) - Decimal("0.01") <= value <= max(p for p, _w in children) + Decimal("0.01")


def test_it_weighs_children():
    assert rules.weighted_progress([(Decimal(100), Decimal(3)), (Decimal(0), Decimal(1))]) == Decimal("75.00")
    assert rules.weighted_progress([(Decimal(100), Decimal(0)), (Decimal(0), Decimal(0))]) == Decimal("50.00")


@given(st.lists(st.sampled_from(rules.LIGHT_ORDER), min_size=1))
def test_it_rolls_up_the_worst_light(lights):
    result = rules.worst(lights)
    if all(light == "done" for light in lights):
        assert result == "done"
    else:
        assert result == max((x for x in lights if x != "done"), key=rules.LIGHT_ORDER.index)


@given(st.sampled_from(["monthly", "quarterly", "half", "yearly"]), st.integers(2000, 2100))
def test_it_tiles_each_year_with_periods(kind, year):
    periods = rules.periods_for_year(kind, year)
    assert periods[0].start == date(year, 1, 1) and periods[-1].end == date(year, 12, 31)
    for a, b in zip(periods, periods[1:]):
        assert a.end + timedelta(days=1) == b.start
    for p in periods:
        assert rules.parse_period(kind, p.key) == p


def test_it_refuses_periods_of_another_kind():
    import pytest

    for kind, key in (("quarterly", "2024-M03"), ("monthly", "2024-Q1"), ("quarterly", "2024-Q5"), ("yearly", "24")):
        with pytest.raises(ValueError):
            rules.parse_period(kind, key)
