"""``services.flag_outliers``: the outlier warnings of a whole period recomputed (after a large
import), for what the actor may review, against each unit's own history and its peers (issue 13:
the driver's first mutants of ``indicators/services.py`` showed that only a run with nothing to
flag reached it)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.audit.models import AuditRecord
from luoshi.indicators import services
from luoshi.indicators.models import DataValue
from luoshi.indicators.services import Problem

STEADY = [100, 102, 98, 101, 99, 100, 103, 97]  # eight earlier years, 2016–2023
BEIJING_PEERS = ["110102", "110105", "110106", "110107"]  # districts of 北京 beside 东城 (110101)


def value(world, indicator, code, period, number, **extra):
    return DataValue.objects.create(indicator=indicator, unit=world.unit(code), period=period, value=number, **extra)


def history(world, indicator, code, numbers=STEADY):
    for year, number in zip(range(2024 - len(numbers), 2024), numbers, strict=True):
        value(world, indicator, code, str(year), number)


def state(v) -> tuple[list[str], bool]:
    v.refresh_from_db()
    return v.warnings, v.follow_up


def test_a_jump_against_the_units_own_years_and_its_peers_is_flagged_and_recorded(world, setup):
    history(world, setup.enrol, "110101")
    peers = [value(world, setup.enrol, code, "2024", n) for code, n in zip(BEIJING_PEERS, [100, 105, 95, 101], strict=True)]
    jump = value(world, setup.enrol, "110101", "2024", 5000)
    assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 1
    assert state(jump) == (["outlier_own", "outlier_peer"], True)
    assert all(state(p) == ([], False) for p in peers)
    record = AuditRecord.objects.get(object_id=str(jump.pk), verb="outliers")
    assert (record.actor, record.action) == (world.beijing_reviewer, "update")
    assert record.before["warnings"] == [] and record.after["warnings"] == ["outlier_own", "outlier_peer"]
    assert record.before["follow_up"] is False and record.after["follow_up"] is True
    # nothing new the second time: no change, no record
    assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 0
    assert AuditRecord.objects.filter(verb="outliers").count() == 1


def test_own_history_alone_when_the_peers_moved_too(world, setup):
    """Every district jumped (a new way of counting): each is an outlier against its own years
    only; the history read is the indicator's own, not another one's."""
    history(world, setup.enrol, "110101")
    history(world, setup.pop, "110101", [5000] * 8)  # another indicator's years, at the new level
    for code, n in zip(BEIJING_PEERS, [5100, 4900, 5050, 4950], strict=True):
        value(world, setup.enrol, code, "2024", n)
    jump = value(world, setup.enrol, "110101", "2024", 5000)
    assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 1
    assert state(jump) == (["outlier_own"], True)


def test_a_rules_warning_is_kept_and_a_stale_outlier_warning_dropped(world, setup):
    history(world, setup.enrol, "110101")
    for code, n in zip(BEIJING_PEERS, [80, 120, 100, 90], strict=True):  # spread wide: none of them stands out
        value(world, setup.enrol, code, "2024", n)
    calm = value(world, setup.enrol, "110101", "2024", 101, warnings=["rule:R_TEACH_F", "outlier_own"], follow_up=True)
    assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 1
    assert state(calm) == (["rule:R_TEACH_F"], True)  # follow-up is left for a person to clear


def test_only_what_the_actor_may_review_is_recomputed(world, setup):
    for province, districts in (("110101", BEIJING_PEERS), ("310101", ["310104", "310105", "310106", "310107"])):
        history(world, setup.enrol, province)
        for code, n in zip(districts, [100, 105, 95, 101], strict=True):
            value(world, setup.enrol, code, "2024", n)
    beijing = value(world, setup.enrol, "110101", "2024", 5000)
    shanghai = value(world, setup.enrol, "310101", "2024", 5000)
    assert services.flag_outliers(world.beijing_reporter, setup.enrol, "2024") == 0  # reporters do not review
    assert state(beijing) == ([], False)
    assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 1
    assert state(beijing)[1] and state(shanghai) == ([], False)
    assert services.flag_outliers(world.shanghai_reviewer, setup.enrol, "2024") == 1
    assert state(shanghai) == (["outlier_own", "outlier_peer"], True)


def test_other_indicators_other_periods_and_empty_values_are_left_alone(world, setup):
    history(world, setup.enrol, "110101")
    for code, n in zip(BEIJING_PEERS, [100, 105, 95, 101], strict=True):
        value(world, setup.enrol, code, "2024", n)
    value(world, setup.enrol, "110108", "2024", None, text_value="")  # an empty entry among the peers
    other = value(world, setup.pop, "110102", "2024", 90000)           # another indicator's figure
    stale = DataValue.objects.get(indicator=setup.enrol, unit=world.unit("110101"), period="2023")
    DataValue.objects.filter(pk=stale.pk).update(warnings=["outlier_own"], follow_up=True)  # another year's
    jump = value(world, setup.enrol, "110101", "2024", 5000)
    assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 1
    assert state(jump)[0] == ["outlier_own", "outlier_peer"]
    assert state(other) == ([], False)
    assert state(stale) == (["outlier_own"], True)
    assert state(DataValue.objects.get(indicator=setup.enrol, unit=world.unit("110108"), period="2024")) == ([], False)


def test_nothing_to_compare_answers_zero(world, setup):
    planner, moe = world.ministry_planner, world.unit("MOE")
    has_library = services.create_indicator(planner, code="HASLIB", name="有图书馆", owner_unit=moe, value_type="boolean",
                                            reporting_unit_types=["county"])
    for code in BEIJING_PEERS:
        value(world, has_library, code, "2024", 1)
    lone = value(world, has_library, "110101", "2024", 0)  # would stand out, were yes/no figures compared
    assert services.flag_outliers(world.beijing_reviewer, has_library, "2024") == 0
    assert state(lone) == ([], False)
    assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2030") == 0  # a period without values


def test_the_queries_do_not_grow_with_the_values(world, setup):
    history(world, setup.enrol, "110101")
    for code, n in zip(BEIJING_PEERS, [100, 105, 95, 101], strict=True):
        value(world, setup.enrol, code, "2024", n)
    value(world, setup.enrol, "110101", "2024", 99)
    services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024")
    with CaptureQueriesContext(connection) as few:
        assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 0
    for code in ("110108", "110109", "110111", "110112"):
        value(world, setup.enrol, code, "2024", 100)
    with CaptureQueriesContext(connection) as more:
        assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 0
    assert len(more) == len(few)


def test_a_problem_names_its_indicator_and_category():
    assert str(Problem("ENROL", None, "必须是数字")) == "ENROL: 必须是数字"
    assert str(Problem("PUPILS", "乡村", "必须是数字", "type")) == "PUPILS [乡村]: 必须是数字"


def test_a_quarterly_figure_is_compared_with_the_quarters_before_it(world, setup):
    planner, moe = world.ministry_planner, world.unit("MOE")
    visits = services.create_indicator(planner, code="VISITS", name="督导次数", owner_unit=moe, value_type="integer",
                                       periodicity="quarterly", reporting_unit_types=["county"], decimals=0)
    for n, quarter in enumerate(["2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4", "2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]):
        value(world, visits, "110101", quarter, 10 + n % 3)
    jump = value(world, visits, "110101", "2024-Q1", 60)
    assert services.flag_outliers(world.beijing_reviewer, visits, "2024-Q1") == 1
    assert state(jump) == (["outlier_own"], True)


def test_several_jumps_are_counted_and_empty_years_are_no_history(world, setup):
    for code in ("110101", "110102"):
        history(world, setup.enrol, code, [100, 102, 98, 101])  # 2020–2023
        for year in range(2016, 2020):
            value(world, setup.enrol, code, str(year), None)  # years with an empty entry
    jumps = [value(world, setup.enrol, code, "2024", 5000) for code in ("110101", "110102")]
    assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 2
    assert [state(j)[0] for j in jumps] == [["outlier_own"], ["outlier_own"]]


def test_peers_are_the_same_indicators_figures(world, setup):
    """Three districts beside 东城 are too few to compare with; another indicator's figure of a
    fourth district does not make them enough."""
    for code, n in zip(["110102", "110105", "110106"], [100, 105, 95], strict=True):
        value(world, setup.enrol, code, "2024", n)
    value(world, setup.pop, "110107", "2024", 101)
    jump = value(world, setup.enrol, "110101", "2024", 5000)
    assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 0
    assert state(jump) == ([], False)


def test_a_value_changed_by_someone_else_meanwhile_is_neither_lost_nor_a_crash(world, setup, monkeypatch):
    """The recompute reads without locks (it runs after large imports): a value emptied by another
    writer between its reads is skipped, and a figure corrected meanwhile keeps the correction (only
    the warnings and the follow-up mark are written)."""
    from luoshi.indicators import outliers

    history(world, setup.enrol, "110101")
    for code, n in zip(BEIJING_PEERS, [100, 105, 95, 101], strict=True):
        value(world, setup.enrol, code, "2024", n)
    from luoshi.orgs import services as org_services

    college = org_services.create_unit(world.user("admin"), code="BJU0", name="北京某大学", type="university",
                                       parent=world.unit("110000"))
    emptied = value(world, setup.enrol, college.code, "2024", 99)  # alone among 北京's universities
    jump = value(world, setup.enrol, "110101", "2024", 5000)
    real_shift, real_is_outlier = services.period_rules.shift_period, outliers.is_outlier

    def shift_and_empty(*args):  # called after the values are read, before their peers are
        DataValue.objects.filter(pk=emptied.pk).update(value=None)
        return real_shift(*args)

    corrected = []

    def check_and_correct(x, reference, *args):  # another writer corrects 东城's figure meanwhile, once
        if not corrected:
            corrected.append(DataValue.objects.filter(pk=jump.pk).update(value=5001))
        return real_is_outlier(x, reference, *args)

    monkeypatch.setattr(services.period_rules, "shift_period", shift_and_empty)
    monkeypatch.setattr(outliers, "is_outlier", check_and_correct)
    assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 1
    jump.refresh_from_db()
    assert (jump.value, jump.warnings, jump.follow_up) == (5001, ["outlier_own", "outlier_peer"], True)
