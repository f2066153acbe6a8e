"""Entering data, level-by-level approval, locking, outliers, completeness and visibility."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from luoshi.audit.models import AuditRecord
from luoshi.indicators import outliers, queries, services
from luoshi.indicators.models import Approval, DataValue
from luoshi.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db
E = services.Entry


def enter_and_submit(world, setup, code: str, enrol: str = "100"):
    unit = world.unit(code)
    reporter = world.user("beijing_reporter" if code.startswith("11") else "shanghai_reporter")
    result = services.save_values(reporter, dataset=setup.dataset, unit=unit, period="2024", entries=[E("ENROL", enrol)])
    assert result.ok, result.errors
    services.submit(reporter, dataset=setup.dataset, unit=unit, period="2024")


def test_save_reports_errors_and_saves_nothing(world, setup):
    unit = world.unit("110101")
    result = services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024",
                                  entries=[E("ENROL", "x"), E("TEACH", "-5"), E("GER", "5"), E("PUPILS", "1"), E("POP", "10")])
    assert {(p.indicator, p.code) for p in result.errors} == {("ENROL", "type"), ("TEACH", "range"), ("GER", "derived"),
                                                              ("PUPILS", "category")}
    assert not DataValue.objects.exists()
    with pytest.raises(ValidationError):
        services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024Q1", entries=[])


def test_a_warning_rule_allows_saving_but_submitting_needs_a_comment(world, setup):
    services.update_rule(world.ministry_planner, setup.rule, severity="warning")
    unit = world.unit("110101")
    result = services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024",
                                  entries=[E("TEACH", "10"), E("TEACH_F", "12")])
    assert result.ok and result.saved == 2 and [w.code for w in result.warnings] == ["rule:R_TEACH_F"]
    value = DataValue.objects.get(indicator=setup.teach_f)
    assert value.follow_up and value.warnings == ["rule:R_TEACH_F"]
    with pytest.raises(ValidationError, match="need a comment"):
        services.submit(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024")
    services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024",
                         entries=[E("TEACH", "10", "含外聘"), E("TEACH_F", "12", "含外聘教师")])
    assert services.submit(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024").state == "submitted"
    assert set(DataValue.objects.values_list("state", flat=True)) == {"submitted"}


def test_a_parent_is_approved_only_after_all_its_children(world, setup):
    beijing = world.unit("110000")
    districts = list(OrgUnit.objects.filter(parent=beijing, type="county"))
    assert len(districts) > 2
    for d in districts[:-1]:
        enter_and_submit(world, setup, d.code)
        services.approve(world.beijing_reviewer, dataset=setup.dataset, unit=d, period="2024")
    with pytest.raises(ValidationError, match="first approve the units below"):
        services.approve(world.ministry_reviewer, dataset=setup.dataset, unit=beijing, period="2024")
    last = districts[-1]
    with pytest.raises(ValidationError, match="has not submitted"):
        services.approve(world.beijing_reviewer, dataset=setup.dataset, unit=last, period="2024")
    enter_and_submit(world, setup, last.code)
    services.approve(world.beijing_reviewer, dataset=setup.dataset, unit=last, period="2024")
    # a reviewer of 北京 does not approve 北京 itself: the unit above does
    with pytest.raises(PermissionDenied):
        services.approve(world.beijing_reviewer, dataset=setup.dataset, unit=beijing, period="2024")
    approval = services.approve(world.ministry_reviewer, dataset=setup.dataset, unit=beijing, period="2024")
    assert approval.state == "approved"
    # approved values are locked
    with pytest.raises(ValidationError, match="locked"):
        services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=last, period="2024", entries=[E("ENROL", "5")])
    # un-approving: the unit above first, with a reason, audited
    with pytest.raises(ValidationError, match="unit above"):
        services.unapprove(world.beijing_reviewer, dataset=setup.dataset, unit=last, period="2024", reason="更正")
    with pytest.raises(ValidationError, match="reason"):
        services.unapprove(world.ministry_reviewer, dataset=setup.dataset, unit=beijing, period="2024", reason=" ")
    services.unapprove(world.ministry_reviewer, dataset=setup.dataset, unit=beijing, period="2024", reason="数据需复核")
    services.unapprove(world.beijing_reviewer, dataset=setup.dataset, unit=last, period="2024", reason="更正在校生数")
    record = AuditRecord.objects.filter(verb="unapprove", object_id=str(Approval.objects.get(unit=last).pk)).get()
    assert record.after["reason"] == "更正在校生数" and record.before["state"] == "approved"
    services.return_data(world.beijing_reviewer, dataset=setup.dataset, unit=last, period="2024", reason="请更正")
    assert services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=last, period="2024",
                                entries=[E("ENROL", "5")]).ok


def test_reporters_cannot_approve_and_other_provinces_cannot_see(world, setup):
    enter_and_submit(world, setup, "110101")
    with pytest.raises(PermissionDenied):
        services.approve(world.beijing_reporter, dataset=setup.dataset, unit=world.unit("110101"), period="2024")
    with pytest.raises(Exception) as info:
        services.approve(world.shanghai_reviewer, dataset=setup.dataset, unit=world.unit("110101"), period="2024")
    assert info.type.__name__ == "Http404"


def test_required_values_are_checked_on_submit(world, setup):
    services.update_indicator(world.ministry_planner, setup.pop, required=True)
    unit = world.unit("110101")
    services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024", entries=[E("ENROL", "1")])
    with pytest.raises(ValidationError, match="required values are missing: POP"):
        services.submit(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024")


def test_modified_z_score_on_known_data():
    history = [100, 102, 98, 101, 99, 100]
    assert outliers.modified_z(100, history) == 0
    assert not outliers.is_outlier(104, history)
    assert outliers.is_outlier(130, history)          # |M| = 0.6745 * 30 / 1 ≈ 20
    assert outliers.modified_z(130, [1, 2, 3]) is None  # too little history
    assert outliers.is_outlier(5, [3, 3, 3, 3, 3])      # constant history: any change stands out
    assert not outliers.is_outlier(3, [3, 3, 3, 3, 3])
    # MAD 0 but not constant: the mean absolute deviation is used
    assert outliers.modified_z(10, [5, 5, 5, 5, 9]) == pytest.approx((10 - 5) / (1.253314 * 0.8))


def test_outliers_against_own_history_and_peers_are_flagged_for_follow_up(world, setup):
    unit = world.unit("110101")
    for year, value in zip(range(2016, 2024), [100, 102, 98, 101, 99, 100, 103, 97]):
        DataValue.objects.create(indicator=setup.enrol, unit=unit, period=str(year), value=value)
    for code, value in [("110102", 100), ("110105", 105), ("110106", 95), ("110107", 101), ("110108", 99)]:
        DataValue.objects.create(indicator=setup.enrol, unit=world.unit(code), period="2024", value=value)
    result = services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024",
                                  entries=[E("ENROL", "1000")])
    assert result.ok and {w.code for w in result.warnings} == {"outlier_own", "outlier_peer"}
    value = DataValue.objects.get(indicator=setup.enrol, unit=unit, period="2024")
    assert value.follow_up and set(value.warnings) == {"outlier_own", "outlier_peer"}
    assert value in queries.follow_ups(world.beijing_reviewer)
    assert value not in queries.follow_ups(world.shanghai_reviewer)
    services.set_follow_up(world.beijing_reviewer, value, False)
    assert value not in queries.follow_ups(world.beijing_reviewer)
    calm = services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024",
                                entries=[E("ENROL", "101", "")])
    assert calm.ok and not calm.warnings


def test_completeness(world, setup):
    enter_and_submit(world, setup, "110101")
    services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=world.unit("110102"), period="2024",
                         entries=[E("ENROL", "1"), E("POP", "2")])
    rows, rate = queries.completeness(world.beijing_reviewer, setup.dataset, "2024")
    by_code = {r.unit.code: r for r in rows}
    assert set(by_code) == set(OrgUnit.objects.filter(parent__code="110000", type="county").values_list("code", flat=True))
    assert by_code["110101"].state == "submitted" and by_code["110101"].received == 1
    assert by_code["110102"].state == "draft" and by_code["110102"].expected == 6 and by_code["110102"].received == 2
    assert rate == pytest.approx(1 / len(rows))


def test_higher_levels_see_unapproved_data_only_if_the_setting_says_so(world, setup, settings):
    services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=world.unit("110101"), period="2024",
                         entries=[E("ENROL", "1")])
    assert queries.values(world.ministry_planner).count() == 1
    settings.LUOSHI_SHOW_UNAPPROVED_DATA = False
    assert queries.values(world.ministry_planner).count() == 0
    assert queries.values(world.beijing_reporter).count() == 1  # reporters covering the unit enter it
    services.submit(world.beijing_reporter, dataset=setup.dataset, unit=world.unit("110101"), period="2024")
    assert queries.values(world.beijing_reviewer).count() == 1   # submitted to them
    assert queries.values(world.ministry_planner).count() == 0
    services.approve(world.beijing_reviewer, dataset=setup.dataset, unit=world.unit("110101"), period="2024")
    assert queries.values(world.ministry_planner).count() == 1


def test_formula_errors_on_save(world, setup):
    planner, moe = world.ministry_planner, world.unit("MOE")
    with pytest.raises(ValidationError, match="unknown indicator 'NOPE'"):
        services.create_indicator(planner, code="X1", name="x", owner_unit=moe, formula="ENROL / NOPE")
    with pytest.raises(ValidationError, match="division by zero"):
        services.create_indicator(planner, code="X2", name="x", owner_unit=moe, formula="ENROL / (1 - 1)")
    services.create_indicator(planner, code="X3", name="x", owner_unit=moe, formula="GER * 2")
    with pytest.raises(ValidationError, match="circular reference: GER → X3 → GER"):
        services.update_indicator(planner, setup.ger, formula="X3 + 1")
    with pytest.raises(ValidationError, match="character 9"):
        services.update_indicator(planner, setup.ger, formula="ENROL / ")
    assert queries.derived_value(setup.ger, world.unit("110101"), "2024") is None
    services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=world.unit("110101"), period="2024",
                         entries=[E("ENROL", "480"), E("POP", "500")])
    assert queries.derived_value(setup.ger, world.unit("110101"), "2024") == pytest.approx(96)


def test_outliers_can_be_recomputed_after_a_large_import(world, setup, capsys):
    from django.core.management import call_command

    for code, value in [("110101", 5000), ("110102", 100), ("110105", 105), ("110106", 95), ("110107", 101), ("110108", 99)]:
        DataValue.objects.create(indicator=setup.enrol, unit=world.unit(code), period="2024", value=value)
    call_command("data", "outliers", "--indicator", "ENROL", "--period", "2024")
    assert "1 value(s)" in capsys.readouterr().out
    flagged = DataValue.objects.get(follow_up=True)
    assert flagged.unit.code == "110101" and flagged.warnings == ["outlier_peer"]
    assert services.flag_outliers(world.beijing_reviewer, setup.enrol, "2024") == 0


def test_the_inline_check_writes_nothing_and_answers_as_saving_would(world, setup):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from luoshi.indicators import grid

    services.update_rule(world.ministry_planner, setup.rule, severity="warning")
    unit = world.unit("110101")
    entries = [E("ENROL", "100"), E("TEACH", "10"), E("TEACH_F", "12")]
    with CaptureQueriesContext(connection) as ctx:
        checked = grid.check(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024", entries=entries)
    writes = [q["sql"] for q in ctx.captured_queries
              if q["sql"].lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "SAVEPOINT")
              or "FOR UPDATE" in q["sql"].upper()]
    assert writes == []
    assert not DataValue.objects.exists() and not Approval.objects.exists()
    saved = services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024", entries=entries)
    assert [(p.indicator, p.code) for p in checked.warnings] == [(p.indicator, p.code) for p in saved.warnings] != []
    assert (checked.saved, checked.unchanged, checked.errors) == (saved.saved, saved.unchanged, []) == (3, 0, [])


def test_submit_counts_only_required_indicators_the_unit_reports(world, setup):
    # A required indicator reported by provinces only is not missing from a county's data.
    province_only = services.create_indicator(world.ministry_planner, code="PROV_ONLY", name="省级指标",
                                              owner_unit=world.unit("MOE"), value_type="integer", required=True,
                                              reporting_unit_types=["province"])
    services.update_dataset(world.ministry_planner, setup.dataset,
                            indicators=list(setup.dataset.indicators.all()) + [province_only])
    unit = world.unit("110101")
    services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024", entries=[E("ENROL", "1")])
    approval = services.submit(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024")
    assert approval.state == "submitted"
