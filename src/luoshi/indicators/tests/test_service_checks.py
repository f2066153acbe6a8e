"""The checks of ``indicators/services.py`` before anything is written (issue 13): what an entry
of values (``_check_entries``), an indicator (``_check_indicator``, ``_check_formula``,
``_check_unit_types``), a rule (``_check_rule``) and a data set's indicators
(``_check_dataset_indicators``) are refused or warned for, each refusal compared word for word."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from luoshi.indicators import services
from luoshi.indicators.models import Approval, DataValue

pytestmark = pytest.mark.django_db
E = services.Entry


def save(world, setup, entries, *, unit="110101", period="2024", dataset=None):
    return services.save_values(world.beijing_reporter, dataset=dataset or setup.dataset, unit=world.unit(unit),
                                period=period, entries=entries)


# Entering values: who may, and when --------------------------------------------------------------

def test_a_unit_the_data_set_does_not_expect_is_refused_by_name(world, setup):
    beijing = world.unit("110000")  # a province: the data set is reported by counties
    with pytest.raises(ValidationError) as refused:
        save(world, setup, [E("ENROL", "5")], unit="110000")
    assert refused.value.messages == [f"{beijing} is not expected to report 区县年报"]
    assert not DataValue.objects.exists() and not Approval.objects.exists()


def test_another_data_sets_submission_does_not_lock_this_data_set(world, setup):
    planner, reporter, unit = world.ministry_planner, world.beijing_reporter, world.unit("110101")
    funds = services.create_indicator(planner, code="FUNDS", name="经费", owner_unit=world.unit("MOE"),
                                      reporting_unit_types=["county"])
    other = services.create_dataset(planner, code="DS_FUNDS", name="经费年报", owner_unit=world.unit("MOE"),
                                    indicators=[funds], reporting_unit_types=["county"])
    assert save(world, setup, [E("FUNDS", "500")], dataset=other).ok
    services.submit(reporter, dataset=other, unit=unit, period="2024")
    result = save(world, setup, [E("ENROL", "480")])
    assert (result.ok, result.saved) == (True, 1)
    assert sorted(DataValue.objects.values_list("indicator__code", "value")) == [("ENROL", 480), ("FUNDS", 500)]
    with pytest.raises(ValidationError) as refused:
        save(world, setup, [E("FUNDS", "501")], dataset=other)
    assert refused.value.messages == [f"the data of {unit} for 2024 is Submitted and locked"]


# Entering values: what each entry is refused for -------------------------------------------------

P = services.Problem


def test_each_refused_entry_is_named_with_its_category_and_the_entries_after_it_are_still_checked(world, setup):
    entries = [
        E("NOPE", "1"), E("NOPE", "1", category_code="urban"),
        E("GER", "5"),
        E("PUPILS", "1"), E("PUPILS", "1", category_code="suburb"), E("PUPILS", "1", category_code=""),
        E("ENROL", "1", category_code="urban"),
        E("POP", "10"), E("POP", "11"),
        E("PUPILS", "7", category_code="urban"), E("PUPILS", "8", category_code="rural"), E("PUPILS", "9", category_code="urban"),
        E("TEACH", "x"), E("TEACH_F", "-5"),
    ]
    expected = [
        P("NOPE", None, "not an indicator of this data set", "unknown"),
        P("NOPE", "urban", "not an indicator of this data set", "unknown"),
        P("GER", None, "computed from its formula, not entered", "derived"),
        P("PUPILS", None, "give one of the categories of 城乡; the total is derived", "category"),
        P("PUPILS", "suburb", "give one of the categories of 城乡; the total is derived", "category"),
        P("PUPILS", None, "give one of the categories of 城乡; the total is derived", "category"),
        P("ENROL", "urban", "this indicator has no categories", "category"),
        P("POP", None, "entered twice", "duplicate"),
        P("PUPILS", "urban", "entered twice", "duplicate"),
        P("TEACH", None, "expected a number, got 'x'", "type"),
        P("TEACH_F", None, "-5 is below the minimum 0", "range"),
    ]
    checked = services.check_values(world.beijing_reporter, dataset=setup.dataset, unit=world.unit("110101"),
                                    period="2024", entries=entries)
    assert (checked.errors, checked.warnings, checked.saved, checked.unchanged) == (expected, [], 0, 0)
    result = save(world, setup, entries)
    assert (result.errors, result.ok, result.saved) == (expected, False, 0)
    assert not DataValue.objects.exists() and not Approval.objects.exists()


def test_a_refusal_names_the_category_the_value_was_entered_for(world, setup):
    services.update_indicator(world.ministry_planner, setup.pupils, min_value=0)
    result = save(world, setup, [E("PUPILS", "x", category_code="urban"), E("PUPILS", "-1", category_code="rural"),
                                 E("GER", "5", category_code="urban")])
    assert result.errors == [
        P("PUPILS", "urban", "expected a number, got 'x'", "type"),
        P("PUPILS", "rural", "-1 is below the minimum 0", "range"),
        P("GER", "urban", "computed from its formula, not entered", "derived"),
    ]
    assert not DataValue.objects.exists()


def test_a_rule_is_checked_with_the_values_already_stored(world, setup):
    assert save(world, setup, [E("TEACH", "10")]).saved == 1
    result = save(world, setup, [E("TEACH_F", "12")])
    broken = P("TEACH_F", None, "女专任教师数不能超过专任教师数 (TEACH_F = 12, TEACH = 10)", "rule:R_TEACH_F")
    assert (result.errors, result.warnings, result.saved) == ([broken], [], 0)
    assert not DataValue.objects.filter(indicator=setup.teach_f).exists()
    result = save(world, setup, [E("TEACH", "15"), E("TEACH_F", "12")])
    assert (result.errors, result.saved, result.unchanged) == ([], 2, 0)
    assert sorted(DataValue.objects.values_list("indicator__code", "value")) == [("TEACH", 15), ("TEACH_F", 12)]


def test_a_rule_meets_the_stored_values_of_the_same_category(world, setup):
    planner = world.ministry_planner
    girls = services.create_indicator(planner, code="PUPILS_F", name="女生数", owner_unit=world.unit("MOE"),
                                      category_set=setup.urban_rural, reporting_unit_types=["county"])
    services.update_dataset(planner, setup.dataset, indicators=list(setup.dataset.indicators.all()) + [girls])
    services.create_rule(planner, code="R_GIRLS", expression="PUPILS_F <= PUPILS", owner_unit=world.unit("MOE"),
                         message="女生数不能超过在校生数")
    assert save(world, setup, [E("PUPILS", "100", category_code="urban"), E("PUPILS", "200", category_code="rural")]).ok
    result = save(world, setup, [E("PUPILS_F", "150", category_code="urban"), E("PUPILS_F", "150", category_code="rural")])
    assert result.errors == [P("PUPILS_F", "urban", "女生数不能超过在校生数 (PUPILS_F = 150, PUPILS = 100)", "rule:R_GIRLS")]
    assert not DataValue.objects.filter(indicator=girls).exists()


def test_yes_no_answers_and_empty_cells_are_not_checked_for_outliers(world, setup):
    planner = world.ministry_planner
    library = services.create_indicator(planner, code="LIBRARY", name="是否有图书馆", owner_unit=world.unit("MOE"),
                                        value_type="boolean", reporting_unit_types=["county"])
    services.update_dataset(planner, setup.dataset, indicators=list(setup.dataset.indicators.all()) + [library])
    for year in range(2016, 2024):
        DataValue.objects.create(indicator=library, unit=world.unit("110101"), period=str(year), value=1)
        DataValue.objects.create(indicator=setup.enrol, unit=world.unit("110101"), period=str(year), value=100)
    result = save(world, setup, [E("LIBRARY", "0"), E("ENROL", "")])
    assert (result.errors, result.warnings, result.saved, result.unchanged) == ([], [], 1, 0)
    answer = DataValue.objects.get(indicator=library, period="2024")
    assert (answer.value, answer.warnings, answer.follow_up) == (0, [], False)
    assert save(world, setup, [E("ENROL", "5000")]).warnings == [
        P("ENROL", None, "unusual compared with this unit's earlier periods", "outlier_own")]


def test_a_save_reads_only_this_units_values_of_this_period(world, setup):
    """The stored values a save compares with are this unit's for this period: another year's or
    another district's figure is neither changed nor counted."""
    assert save(world, setup, [E("ENROL", "100")], period="2023").saved == 1
    assert save(world, setup, [E("ENROL", "100")], unit="110102").saved == 1
    result = save(world, setup, [E("ENROL", "100")])
    assert (result.saved, result.unchanged) == (1, 0)
    assert sorted(DataValue.objects.values_list("unit__code", "period", "value")) == [
        ("110101", "2023", 100), ("110101", "2024", 100), ("110102", "2024", 100)]


def test_only_a_save_locks_the_stored_values_it_compares_with(world, setup, monkeypatch):
    """On PostgreSQL a save reads the values it will change with SELECT … FOR UPDATE, so that two
    saves of the same cells wait for each other; the inline check takes no lock. SQLite has no row
    locks and Django leaves the clause out there: the test lets Django write it as for a database
    with row locks and records each statement, then runs it without the clause."""
    from django.db import connection

    monkeypatch.setattr(connection.features, "has_select_for_update", True)
    statements = []

    def without_lock(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql.replace(" FOR UPDATE", ""), params, many, context)

    def locked(call):
        statements.clear()
        with connection.execute_wrapper(without_lock):
            call(world.beijing_reporter, dataset=setup.dataset, unit=world.unit("110101"), period="2024",
                 entries=[E("ENROL", "100")])
        return [sql for sql in statements if "FOR UPDATE" in sql]

    assert locked(services.check_values) == []
    reads = locked(services.save_values)
    assert len(reads) == 1 and 'FROM "indicators_datavalue"' in reads[0]


def test_what_a_save_counts_as_saved_and_as_unchanged(world, setup):
    def counts(entries):
        checked = services.check_values(world.beijing_reporter, dataset=setup.dataset, unit=world.unit("110101"),
                                        period="2024", entries=entries)
        result = save(world, setup, entries)
        assert (checked.saved, checked.unchanged, checked.errors, checked.warnings) == \
               (result.saved, result.unchanged, result.errors, result.warnings) and result.ok
        return result.saved, result.unchanged

    assert counts([E("ENROL", "100"), E("POP", "500", "  来源：统计局  ")]) == (2, 0)
    pop = DataValue.objects.get(indicator=setup.pop)
    assert (pop.value, pop.comment) == (500, "来源：统计局")
    assert counts([E("ENROL", "100"), E("POP", "500", "来源：统计局 ")]) == (0, 2)
    assert counts([E("ENROL", "100", "新"), E("POP", "500", "来源：统计局")]) == (1, 1)
    assert counts([E("ENROL", "101", "新"), E("POP", "500.0", "来源：统计局")]) == (1, 1)
    # a value whose stored warnings no longer hold is saved again, without them
    DataValue.objects.filter(indicator=setup.pop).update(warnings=["outlier_own"])
    assert counts([E("POP", "500", "来源：统计局")]) == (1, 0)
    assert DataValue.objects.get(indicator=setup.pop).warnings == []
    # a cleared cell removes a stored value (saved) and is nothing without one
    assert counts([E("ENROL", ""), E("TEACH", "")]) == (1, 0)
    assert list(DataValue.objects.values_list("indicator__code", flat=True)) == ["POP"]
    assert counts([E("ENROL", "  ")]) == (0, 0)
    # a comment is kept to its first 1000 characters
    assert counts([E("POP", "500", " " + "注" * 1200)]) == (1, 0)
    assert DataValue.objects.get(indicator=setup.pop).comment == "注" * 1000
    assert counts([E("POP", "500", "注" * 1000 + "另")]) == (0, 1)


# Definitions ---------------------------------------------------------------------------------

def definition_refusal(exc_info) -> dict:
    return exc_info.value.message_dict


def test_a_data_set_names_every_indicator_of_another_period_type(world, setup):
    planner, moe = world.ministry_planner, world.unit("MOE")
    monthly = services.create_indicator(planner, code="M1", name="月指标", owner_unit=moe, periodicity="monthly")
    quarterly = services.create_indicator(planner, code="Q1", name="季指标", owner_unit=moe, periodicity="quarterly")
    with pytest.raises(ValidationError) as refused:
        services.create_dataset(planner, code="DS2", name="年报", owner_unit=moe,
                                indicators=[quarterly, setup.enrol, monthly])
    assert definition_refusal(refused) == {"indicators": ["these indicators are not reported Yearly: M1, Q1"]}
