"""Edges of ``indicators/services.py`` the driver's first mutants found untested (issue 13): plan
items given by id, a write that changes nothing, and the years an outlier check looks back over
(``HISTORY_PERIODS``, at least ``outliers.MIN_REFERENCE`` of them), per category."""

from __future__ import annotations

from luoshi.audit.models import AuditRecord
from luoshi.indicators import services
from luoshi.indicators.models import DataValue
from luoshi.indicators.tests.test_flag_outliers import state, value


def test_plan_items_given_by_id_are_linked_and_the_same_items_again_change_nothing(world, setup):
    from luoshi.plans.tests.conftest import build_small_plan

    small = build_small_plan(world, status="draft")
    planner = world.ministry_planner
    indicator = services.set_indicator_items(planner, setup.enrol, [small.beijing.pk, small.shanghai.pk])
    assert sorted(indicator.plan_items.values_list("pk", flat=True)) == sorted([small.beijing.pk, small.shanghai.pk])
    version = indicator.version
    record = AuditRecord.objects.filter(object_id=str(indicator.pk), verb="items").get()
    assert record.before["plan_items"] == [] and record.after["plan_items"] == sorted([small.beijing.pk, small.shanghai.pk])
    again = services.set_indicator_items(planner, setup.enrol, [small.shanghai, small.beijing.pk])
    assert again.version == version
    assert AuditRecord.objects.filter(object_id=str(indicator.pk), verb="items").count() == 1


def own_years(world, indicator, numbers_by_year: dict[int, float], now: float, code="110101", period="2024"):
    for year, number in numbers_by_year.items():
        value(world, indicator, code, str(year), number)
    return value(world, indicator, code, period, now)


def test_the_last_four_years_are_enough_to_compare(world, setup):
    jump = own_years(world, setup.enrol, {2020: 100, 2021: 102, 2022: 98, 2023: 101}, 5000)
    assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 1
    assert state(jump) == (["outlier_own"], True)


def test_the_eighth_year_back_is_still_compared(world, setup):
    jump = own_years(world, setup.enrol, {2016: 100, 2017: 102, 2018: 98, 2019: 101}, 5000)
    assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 1
    assert state(jump) == (["outlier_own"], True)


def test_the_ninth_year_back_and_the_year_itself_are_not(world, setup):
    """Three years within the eight and one nine years back: too few to compare (the figure being
    checked is not counted among its own history either)."""
    jump = own_years(world, setup.enrol, {2015: 100, 2021: 102, 2022: 98, 2023: 101}, 5000)
    assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 0
    assert state(jump) == ([], False)


def test_each_category_is_compared_with_its_own_years(world, setup):
    urban, rural = setup.urban_rural.categories.order_by("order")
    for year in range(2016, 2024):
        value(world, setup.pupils, "110101", str(year), 100 + year % 3, category=urban)
        value(world, setup.pupils, "110101", str(year), 5000 + year % 3, category=rural)
    town = value(world, setup.pupils, "110101", "2024", 101, category=urban)
    country = value(world, setup.pupils, "110101", "2024", 5001, category=rural)
    assert services.flag_outliers(world.beijing_reviewer, setup.pupils, "2024") == 0
    assert state(town) == ([], False) and state(country) == ([], False)
    DataValue.objects.filter(pk=country.pk).update(value=101)  # the rural figure at the town's level: a jump
    assert services.flag_outliers(world.beijing_reviewer, setup.pupils, "2024") == 1
    assert state(country) == (["outlier_own"], True) and state(town) == ([], False)


def test_a_data_sets_update_keeps_its_reporting_units_and_refuses_a_stale_copy(world, setup):
    from django.core.exceptions import ValidationError

    from luoshi.core.services import EditConflict

    planner = world.ministry_planner
    read = setup.dataset.version
    ds = services.update_dataset(planner, setup.dataset, expected_version=read, name="区县年报（修订）")
    assert (ds.name, ds.reporting_unit_types, ds.version) == ("区县年报（修订）", ["county"], read + 1)
    try:
        services.update_dataset(planner, setup.dataset, expected_version=read, name="旧副本")
    except EditConflict as conflict:
        assert conflict.expected == read
    else:
        raise AssertionError("a copy read before the last change was saved over it")
    try:
        services.update_dataset(planner, setup.dataset, reporting_unit_types=["county", "planet"])
    except ValidationError as refused:
        assert refused.message_dict == {"reporting_unit_types": ["unknown unit types: planet"]}
    else:
        raise AssertionError("an unknown unit type was accepted")
    same = services.update_dataset(planner, setup.dataset, name="区县年报（修订）")
    assert same.version == read + 1
    assert AuditRecord.objects.filter(object_id=str(ds.pk), content_type__model="dataset", action="update").count() == 1
