"""plans/rules.py, the reporting periods: what a reporter sees as "this period" and "the last
one", and how typed period names are read (issue 13: mutation testing found them untested)."""

from __future__ import annotations

from datetime import date

import pytest

from luoshi.plans import rules
from luoshi.plans.rules import Period


def keys(kind: str, year: int) -> list[str]:
    return [p.key for p in rules.periods_for_year(kind, year)]


def test_each_kind_of_plan_has_its_periods():
    assert keys("monthly", 2024) == [f"2024-M{m:02d}" for m in range(1, 13)]
    assert keys("quarterly", 2024) == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert keys("half", 2024) == ["2024-H1", "2024-H2"]
    assert keys("yearly", 2024) == ["2024"]
    assert keys("anything else", 2024) == ["2024"]


def test_periods_cover_the_year_without_gaps_or_overlaps():
    for kind in ("monthly", "quarterly", "half", "yearly"):
        for year in (2023, 2024):  # 2024 is a leap year
            periods = rules.periods_for_year(kind, year)
            assert periods[0].start == date(year, 1, 1) and periods[-1].end == date(year, 12, 31)
            assert all((b.start - a.end).days == 1 for a, b in zip(periods, periods[1:]))


def test_period_bounds_are_the_first_and_last_day():
    assert rules.periods_for_year("monthly", 2024)[1] == Period("2024-M02", date(2024, 2, 1), date(2024, 2, 29))
    assert rules.periods_for_year("monthly", 2023)[1].end == date(2023, 2, 28)
    assert rules.periods_for_year("quarterly", 2024)[1] == Period("2024-Q2", date(2024, 4, 1), date(2024, 6, 30))
    assert rules.periods_for_year("quarterly", 2024)[3] == Period("2024-Q4", date(2024, 10, 1), date(2024, 12, 31))
    assert rules.periods_for_year("half", 2024) == [Period("2024-H1", date(2024, 1, 1), date(2024, 6, 30)),
                                                    Period("2024-H2", date(2024, 7, 1), date(2024, 12, 31))]


@pytest.mark.parametrize("kind, day, key", [
    ("quarterly", date(2024, 3, 31), "2024-Q1"), ("quarterly", date(2024, 4, 1), "2024-Q2"),
    ("quarterly", date(2024, 1, 1), "2024-Q1"), ("quarterly", date(2024, 12, 31), "2024-Q4"),
    ("monthly", date(2024, 2, 29), "2024-M02"), ("monthly", date(2024, 3, 1), "2024-M03"),
    ("half", date(2024, 6, 30), "2024-H1"), ("half", date(2024, 7, 1), "2024-H2"),
    ("yearly", date(2024, 12, 31), "2024"),
])
def test_the_period_containing_a_day_includes_its_first_and_last_day(kind, day, key):
    assert rules.period_containing(kind, day).key == key


@pytest.mark.parametrize("kind, day, key", [
    ("quarterly", date(2024, 4, 1), "2024-Q1"), ("quarterly", date(2024, 3, 31), "2023-Q4"),
    ("quarterly", date(2024, 1, 1), "2023-Q4"), ("monthly", date(2024, 1, 15), "2023-M12"),
    ("monthly", date(2024, 3, 1), "2024-M02"), ("half", date(2024, 7, 1), "2024-H1"),
    ("half", date(2024, 6, 30), "2023-H2"), ("yearly", date(2024, 12, 31), "2023"),
])
def test_the_previous_period_is_the_last_one_that_ended_before_the_current_one(kind, day, key):
    assert rules.previous_period(kind, day).key == key


def test_a_period_key_is_read_only_for_its_kind():
    assert rules.parse_period("quarterly", "2024-Q3") == Period("2024-Q3", date(2024, 7, 1), date(2024, 9, 30))
    assert rules.parse_period("yearly", "2024") == Period("2024", date(2024, 1, 1), date(2024, 12, 31))
    with pytest.raises(ValueError, match="'2024-Q3' is not a monthly period"):
        rules.parse_period("monthly", "2024-Q3")
    for bad in ("24-Q1", "x024-Q1", "Q1", ""):
        with pytest.raises(ValueError, match="not a period"):
            rules.parse_period("quarterly", bad)


@pytest.mark.parametrize("text, kind, key", [
    ("2024", "yearly", "2024"), (" 2024 ", "yearly", "2024"),
    ("2024-H2", "half", "2024-H2"), ("2024h1", "half", "2024-H1"),
    ("2024-Q3", "quarterly", "2024-Q3"), ("2024q4", "quarterly", "2024-Q4"),
    ("2024-M07", "monthly", "2024-M07"), ("2024M12", "monthly", "2024-M12"), ("2024-01", "monthly", "2024-M01"),
    ("1900", "yearly", "1900"), ("2100-12", "monthly", "2100-M12"),
])
def test_period_names_are_read_as_people_write_them(text, kind, key):
    found_kind, period = rules.normalise_period(text)
    assert (found_kind, period.key) == (kind, key)


@pytest.mark.parametrize("text, message", [
    ("2024-Q5", "not a period: '2024-Q5' (write 2024, 2024-H2, 2024-Q3 or 2024-07)"),
    ("2024-H3", "not a period"), ("2024/07", "not a period"), ("Q3", "not a period"), (2024, "not a period"),
    ("1899", "year out of range in period '1899'"), ("2101-Q1", "year out of range in period '2101-Q1'"),
    ("2024-13", "no month 13 in period '2024-13'"), ("2024-M00", "no month 0 in period '2024-M00'"),
])
def test_impossible_period_names_are_refused_with_the_reason(text, message):
    with pytest.raises(ValueError) as refused:
        rules.normalise_period(text)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize("kind, key, steps, expected", [
    ("quarterly", "2024-Q4", 1, "2025-Q1"), ("quarterly", "2024-Q1", -1, "2023-Q4"),
    ("quarterly", "2024-Q2", 0, "2024-Q2"), ("quarterly", "2024-Q2", 9, "2026-Q3"),
    ("monthly", "2024-M01", -13, "2022-M12"), ("half", "2024-H2", 1, "2025-H1"),
    ("yearly", "2024", -2, "2022"),
])
def test_shifting_a_period_crosses_years(kind, key, steps, expected):
    assert rules.shift_period(kind, key, steps).key == expected
