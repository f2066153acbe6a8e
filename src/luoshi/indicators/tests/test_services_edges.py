"""Edges of ``indicators/services.py`` the driver's first mutants found untested (issue 13): plan
items given by id, a write that changes nothing, and the years an outlier check looks back over
(``HISTORY_PERIODS``, at least ``outliers.MIN_REFERENCE`` of them), per category."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

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
    assert record.actor == planner
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
    with pytest.raises(ValidationError) as refused:
        services.update_dataset(planner, setup.dataset, reporting_unit_types=["county", "planet"])
    assert refused.value.message_dict == {"reporting_unit_types": ["unknown unit types: planet"]}
    same = services.update_dataset(planner, setup.dataset, name="区县年报（修订）")
    assert same.version == read + 1
    assert AuditRecord.objects.filter(object_id=str(ds.pk), content_type__model="dataset", action="update").count() == 1


def test_unapproving_names_what_stops_it_and_reopens_exactly_that_units_period(world, setup):
    from django.core.exceptions import ValidationError

    from luoshi.indicators.models import Approval
    from luoshi.indicators.tests.test_approval import enter_and_submit

    planner, reviewer = world.ministry_planner, world.beijing_reviewer
    dongcheng, xicheng, beijing = world.unit("110101"), world.unit("110102"), world.unit("110000")
    for code in ("110101", "110102"):
        enter_and_submit(world, setup, code)
    services.approve(reviewer, dataset=setup.dataset, unit=dongcheng, period="2024")
    with pytest.raises(ValidationError) as refused:
        services.unapprove(reviewer, dataset=setup.dataset, unit=xicheng, period="2024", reason="更正")
    assert refused.value.messages == ["the data is not approved"]
    # 北京 approved another data set, and this one for another year: neither holds 东城's 2024 back
    other = services.create_dataset(planner, code="DS_OTHER", name="另一报表", owner_unit=world.unit("MOE"),
                                    periodicity="yearly", indicators=[setup.pop], reporting_unit_types=["county"])
    Approval.objects.create(dataset=other, unit=beijing, period="2024", state="approved")
    Approval.objects.create(dataset=setup.dataset, unit=beijing, period="2023", state="approved")
    approval = services.unapprove(reviewer, dataset=setup.dataset, unit=dongcheng, period="2024", reason="更正在校生数")
    assert (approval.state, approval.approved_by, approval.reason) == ("submitted", None, "更正在校生数")
    assert set(DataValue.objects.filter(unit=dongcheng).values_list("period", "state")) == {("2024", "submitted")}
    record = AuditRecord.objects.get(verb="unapprove", object_id=str(approval.pk))
    assert record.actor == reviewer
    # now 北京 approves this data set for 2024: un-approving below it waits for 北京
    services.approve(reviewer, dataset=setup.dataset, unit=dongcheng, period="2024")
    Approval.objects.create(dataset=setup.dataset, unit=beijing, period="2024", state="approved")
    with pytest.raises(ValidationError) as refused:
        services.unapprove(reviewer, dataset=setup.dataset, unit=dongcheng, period="2024", reason="再次更正")
    assert refused.value.messages == ["the unit above has approved this data; un-approve it there first"]


def test_a_unit_that_does_not_report_itself_goes_back_to_draft(world, setup):
    """北京 (a province) is not among the data set's reporting unit types (counties): its approval,
    withdrawn, is a draft again, not a submission waiting for review."""
    from luoshi.indicators.models import Approval

    beijing = world.unit("110000")
    Approval.objects.create(dataset=setup.dataset, unit=beijing, period="2024", state="approved")
    approval = services.unapprove(world.ministry_reviewer, dataset=setup.dataset, unit=beijing, period="2024", reason="复核")
    assert approval.state == "draft"


def test_a_quarterly_figure_checked_on_entry_is_compared_with_the_quarters_before_it(world, setup):
    planner, moe, unit = world.ministry_planner, world.unit("MOE"), world.unit("110101")
    visits = services.create_indicator(planner, code="VISITS", name="督导次数", owner_unit=moe, value_type="integer",
                                       periodicity="quarterly", reporting_unit_types=["county"], decimals=0)
    for n, quarter in enumerate(["2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4", "2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]):
        value(world, visits, "110101", quarter, 10 + n % 3)
    assert services.outlier_flags(visits, unit, "2024-Q1", None, 60) == ["outlier_own"]
    assert services.outlier_flags(visits, unit, "2024-Q1", None, 11) == []
    assert services.outlier_flags_many(unit, "2024-Q1", [(visits, None, 60)]) == {(visits.pk, None): ["outlier_own"]}


YEARS_AROUND = {  # name: (the years of history, of which indicator / unit / category, what the check says)
    "the last four years": ({2020: 100, 2021: 102, 2022: 98, 2023: 101}, "same", ["outlier_own"]),
    "the eighth year back": ({2016: 100, 2017: 102, 2018: 98, 2019: 101}, "same", ["outlier_own"]),
    "three years and the ninth back": ({2015: 100, 2021: 102, 2022: 98, 2023: 101}, "same", []),
    "another indicator's years": ({y: 100 + y % 3 for y in range(2016, 2024)}, "indicator", []),
    "another unit's years": ({y: 100 + y % 3 for y in range(2016, 2024)}, "unit", []),
    "another category's years": ({y: 100 + y % 3 for y in range(2016, 2024)}, "category", []),
    "eight years at this level": ({y: 5000 + y % 3 for y in range(2016, 2024)}, "same", []),
    "four years and four empty ones": ({2016: None, 2017: None, 2018: None, 2019: None,
                                        2020: 100, 2021: 102, 2022: 98, 2023: 101}, "same", ["outlier_own"]),
}


@pytest.mark.parametrize("case", list(YEARS_AROUND))
def test_a_figure_checked_on_entry_is_compared_with_its_own_eight_years_only(world, setup, case):
    """``outlier_flags`` (imports) and ``outlier_flags_many`` (forms) on the same history: a figure
    of 5000 in 2024 against the years the case gives (no peers)."""
    years, whose, expected = YEARS_AROUND[case]
    urban, rural = setup.urban_rural.categories.order_by("order")
    indicator, unit, category = setup.pupils, world.unit("110101"), urban
    if whose == "indicator":  # another indicator of the same categories
        common = {"owner_unit": world.unit("MOE"), "value_type": "integer", "reporting_unit_types": ["county"]}
        sibling = services.create_indicator(world.ministry_planner, code="PUPILS_B", name="小学寄宿生数",
                                            category_set=setup.urban_rural, **common)
    other = {"indicator": (sibling if whose == "indicator" else None, unit, urban),
             "unit": (indicator, world.unit("110102"), urban), "category": (indicator, unit, rural)}.get(whose, (indicator, unit, urban))
    for year, number in years.items():
        DataValue.objects.create(indicator=other[0], unit=other[1], category=other[2], period=str(year), value=number)
    # the figure itself is stored already when an import checks it: it is not its own history
    DataValue.objects.create(indicator=indicator, unit=unit, category=category, period="2024", value=5000)
    assert services.outlier_flags(indicator, unit, "2024", category.pk, 5000) == expected
    assert services.outlier_flags_many(unit, "2024", [(indicator, category.pk, 5000)]) == {(indicator.pk, category.pk): expected}


PEERS_AROUND = {  # name: (how the four figures beside 东城's 5000 stand, what the check says)
    "four districts of 北京": ("districts", ["outlier_peer"]),
    "the same districts' year before": ("year before", []),
    "another indicator of the districts": ("indicator", []),
    "the districts' other category": ("category", []),
    "four districts of 上海": ("shanghai", []),
    "three districts and an empty entry": ("empty", []),
    "three districts and 东城's own figure": ("itself", []),
    "four districts at this level": ("level", []),
    "four universities of 北京": ("universities", []),
}


@pytest.mark.parametrize("case", list(PEERS_AROUND))
def test_a_figure_checked_on_import_is_compared_with_its_peers_of_the_same_figure_only(world, setup, case):
    """``outlier_flags`` (imports) and ``outlier_flags_many`` (forms): 东城 reports 5000 for 2024;
    its peers are the other districts of 北京 (same parent, same type), for the same indicator,
    category and period, their figures only."""
    how, expected = PEERS_AROUND[case]
    urban, rural = setup.urban_rural.categories.order_by("order")
    indicator, unit = setup.pupils, world.unit("110101")
    sibling = services.create_indicator(world.ministry_planner, code="PUPILS_B", name="小学寄宿生数", owner_unit=world.unit("MOE"),
                                        value_type="integer", reporting_unit_types=["county"], category_set=setup.urban_rural)
    codes = ["310104", "310105", "310106", "310107"] if how == "shanghai" else ["110102", "110105", "110106", "110107"]
    if how == "universities":  # below 北京 too, but not districts
        from luoshi.orgs import services as org_services

        codes = [org_services.create_unit(world.user("admin"), code=f"BJU{n}", name=f"北京某大学{n}", type="university",
                                          parent=world.unit("110000")).code for n in range(4)]
    figures = [5100, 4900, 5050, 4950] if how == "level" else [100, 105, 95, 101]
    for n, (code, number) in enumerate(zip(codes, figures, strict=True)):
        if how in ("empty", "itself") and n == 3:
            if how == "empty":
                DataValue.objects.create(indicator=indicator, unit=world.unit(code), category=urban, period="2024", value=None)
            continue
        DataValue.objects.create(indicator=sibling if how == "indicator" else indicator, unit=world.unit(code),
                                 category=rural if how == "category" else urban,
                                 period="2023" if how == "year before" else "2024", value=number)
    if how == "itself":
        DataValue.objects.create(indicator=indicator, unit=unit, category=urban, period="2024", value=5000)
    assert services.outlier_flags(indicator, unit, "2024", urban.pk, 5000) == expected
    assert services.outlier_flags_many(unit, "2024", [(indicator, urban.pk, 5000)]) == {(indicator.pk, urban.pk): expected}


def test_warnings_on_entry_say_what_stands_out_and_for_which_category(world, setup):
    from django.utils import translation

    urban, _rural = setup.urban_rural.categories.order_by("order")
    unit = world.unit("110101")
    for year in range(2016, 2024):
        DataValue.objects.create(indicator=setup.pupils, unit=unit, category=urban, period=str(year), value=100 + year % 3)
    for code, number in zip(["110102", "110105", "110106", "110107"], [100, 105, 95, 101], strict=True):
        DataValue.objects.create(indicator=setup.pupils, unit=world.unit(code), category=urban, period="2024", value=number)
    with translation.override("en"):
        result = services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024",
                                      entries=[services.Entry("PUPILS", "5000", category_code="urban")])
    assert result.ok
    assert [(w.indicator, w.category, w.message, w.code) for w in result.warnings] == [
        ("PUPILS", "urban", "unusual compared with this unit's earlier periods", "outlier_own"),
        ("PUPILS", "urban", "unusual compared with peer units this period", "outlier_peer"),
    ]


def test_a_broken_rule_names_the_category_it_is_broken_in(world, setup):
    setup_rule = services.create_rule(world.ministry_planner, code="R_PUPILS", expression="PUPILS <= 1000",
                                      owner_unit=world.unit("MOE"), message="小学在校生数超出合理范围")
    assert setup_rule.severity == "error"
    for broken, fine in (("rural", "urban"), ("urban", "rural")):
        result = services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=world.unit("110101"), period="2024",
                                      entries=[services.Entry("PUPILS", "5000", category_code=broken),
                                               services.Entry("PUPILS", "10", category_code=fine)])
        assert [(e.indicator, e.category, e.message, e.code) for e in result.errors] == [
            ("PUPILS", broken, "小学在校生数超出合理范围 (PUPILS = 5000)", "rule:R_PUPILS")]


def test_returning_reopens_exactly_that_units_period_and_records_the_change(world, setup):
    from django.core.exceptions import ValidationError

    from luoshi.indicators.tests.test_approval import enter_and_submit

    reviewer, dongcheng = world.beijing_reviewer, world.unit("110101")
    enter_and_submit(world, setup, "110101")
    enter_and_submit(world, setup, "110102")
    DataValue.objects.create(indicator=setup.enrol, unit=dongcheng, period="2023", value=90, state="approved")
    approval = services.return_data(reviewer, dataset=setup.dataset, unit=dongcheng, period="2024", reason="请核对在校生数")
    assert (approval.state, approval.reason) == ("returned", "请核对在校生数")
    assert set(DataValue.objects.filter(unit=dongcheng).values_list("period", "state")) == {("2024", "draft"), ("2023", "approved")}
    assert set(DataValue.objects.filter(unit__code="110102").values_list("state", flat=True)) == {"submitted"}
    record = AuditRecord.objects.get(verb="return", object_id=str(approval.pk))
    assert (record.actor, record.before["state"], record.after["state"]) == (reviewer, "submitted", "returned")
    with pytest.raises(ValidationError) as refused:
        services.return_data(reviewer, dataset=setup.dataset, unit=dongcheng, period="2024", reason="再退一次")
    assert refused.value.messages == ["only submitted data can be returned"]


def test_a_reason_is_required_to_return_data(world, setup):
    from django.core.exceptions import ValidationError

    from luoshi.indicators.tests.test_approval import enter_and_submit

    enter_and_submit(world, setup, "110101")
    for reason in (None, "", "  "):
        with pytest.raises(ValidationError) as refused:
            services.return_data(world.beijing_reviewer, dataset=setup.dataset, unit=world.unit("110101"), period="2024",
                             reason=reason)
        assert refused.value.message_dict == {"reason": ["give a reason"]}


def test_marking_for_follow_up_is_recorded_with_what_changed(world, setup):
    value = DataValue.objects.create(indicator=setup.enrol, unit=world.unit("110101"), period="2024", value=100)
    services.set_follow_up(world.beijing_reviewer, value, True)
    record = AuditRecord.objects.get(verb="follow_up", object_id=str(value.pk))
    assert (record.actor, record.before["follow_up"], record.after["follow_up"]) == (world.beijing_reviewer, False, True)
    assert record.after["value"] == 100.0


def test_approving_refuses_word_for_word(world, setup):
    from django.core.exceptions import ValidationError

    from luoshi.indicators.tests.test_approval import enter_and_submit

    reviewer, school, dongcheng, xicheng = (world.beijing_reviewer, world.unit("S110101001"), world.unit("110101"),
                                            world.unit("110102"))

    def refusal(unit):
        try:
            services.approve(reviewer, dataset=setup.dataset, unit=unit, period="2024")
        except ValidationError as refused:
            return refused.messages
        raise AssertionError(f"{unit} was approved")

    assert refusal(school) == [f"{school} does not report 区县年报"]
    assert refusal(xicheng) == [f"{xicheng} has not submitted its data for 2024"]
    enter_and_submit(world, setup, "110101")
    services.approve(reviewer, dataset=setup.dataset, unit=dongcheng, period="2024")
    assert refusal(dongcheng) == ["the data is already approved"]


def test_the_units_expected_to_report_are_the_owners_active_units_of_the_listed_types(world, setup):
    from luoshi.orgs.models import OrgUnit

    beijing = world.unit("110000")
    local = services.create_dataset(world.ministry_planner, code="DS_BJ", name="北京区县年报", owner_unit=beijing,
                                    periodicity="yearly", indicators=[setup.enrol], reporting_unit_types=["county"])
    OrgUnit.objects.filter(code="110108").update(is_active=False)
    expected = set(services.expected_units(local).values_list("code", flat=True))
    assert expected == set(OrgUnit.objects.filter(path__startswith=beijing.path, type="county", is_active=True)
                           .values_list("code", flat=True))
    assert "110101" in expected and "110108" not in expected and not any(c.startswith("31") for c in expected)
    with pytest.raises(ValidationError) as refused:
        services.approve(world.user("admin"), dataset=local, unit=world.unit("310101"), period="2024")
    assert refused.value.messages == [f"{world.unit('310101')} does not report 北京区县年报"]


def test_only_a_reviewer_above_approves_and_an_approval_clears_the_reason(world, setup):
    from django.core.exceptions import PermissionDenied

    from luoshi.indicators.tests.test_approval import enter_and_submit

    enter_and_submit(world, setup, "110101")
    dongcheng = world.unit("110101")
    try:
        services.approve(world.beijing_reviewer, dataset=setup.dataset, unit=world.unit("110000"), period="2024")
    except PermissionDenied as refused:
        assert str(refused) == "a unit's data is approved by a reviewer of the unit above it"
    else:
        raise AssertionError("北京's reviewer approved 北京")
    services.approve(world.beijing_reviewer, dataset=setup.dataset, unit=dongcheng, period="2024")
    services.unapprove(world.beijing_reviewer, dataset=setup.dataset, unit=dongcheng, period="2024", reason="更正")
    approval = services.approve(world.beijing_reviewer, dataset=setup.dataset, unit=dongcheng, period="2024")
    assert (approval.state, approval.reason, approval.approved_by) == ("approved", "", world.beijing_reviewer)
    record = AuditRecord.objects.filter(verb="approve", object_id=str(approval.pk)).order_by("-id").first()
    assert (record.before["state"], record.after["state"], record.before["reason"]) == ("submitted", "approved", "更正")


@pytest.mark.parametrize("waiting", [20, 21])
def test_the_units_still_to_approve_are_named_up_to_twenty(world, setup, waiting):
    """The ministry's reviewer approving 上海 for the county report waits for every district of
    上海 (22 more added here); the refusal names the first twenty and marks more with an ellipsis."""
    from luoshi.indicators.models import Approval
    from luoshi.orgs import services as org_services
    from luoshi.orgs.models import OrgUnit

    shanghai = world.unit("310000")
    for n in range(22):
        org_services.create_unit(world.user("admin"), code=f"31X{n:02d}", name=f"上海新区{n:02d}", type="county", parent=shanghai)
    children = list(OrgUnit.objects.filter(parent=shanghai, is_active=True, type="county"))
    for done in children[:len(children) - waiting]:
        Approval.objects.create(dataset=setup.dataset, unit=done, period="2024", state="approved")
    left = [c.display_name for c in children[len(children) - waiting:]]
    with pytest.raises(ValidationError) as refused:
        services.approve(world.ministry_reviewer, dataset=setup.dataset, unit=shanghai, period="2024")
    assert refused.value.messages == ["first approve the units below: " + "、".join(left[:20]) + ("…" if waiting > 20 else "")]


@pytest.mark.parametrize("kind", ["another data set", "another year", "only submitted"])
def test_only_this_data_sets_approvals_of_the_period_below_count(world, setup, kind):
    """Every district of 北京 approved another data set, or another year, or only submitted: 北京
    still waits for them."""
    from luoshi.indicators.models import Approval
    from luoshi.orgs.models import OrgUnit

    beijing = world.unit("110000")
    other = services.create_dataset(world.ministry_planner, code="DS_OTHER", name="另一报表", owner_unit=world.unit("MOE"),
                                    periodicity="yearly", indicators=[setup.pop], reporting_unit_types=["county"])
    dataset, period, state = {"another data set": (other, "2024", "approved"), "another year": (setup.dataset, "2023", "approved"),
                              "only submitted": (setup.dataset, "2024", "submitted")}[kind]
    for child in OrgUnit.objects.filter(parent=beijing, is_active=True, type="county"):
        Approval.objects.create(dataset=dataset, unit=child, period=period, state=state)
    with pytest.raises(ValidationError, match="first approve the units below"):
        services.approve(world.ministry_reviewer, dataset=setup.dataset, unit=beijing, period="2024")


def test_an_approval_moves_its_version_by_one_and_locks_only_the_data_sets_values(world, setup):
    from luoshi.indicators.tests.test_approval import enter_and_submit

    outside = services.create_indicator(world.ministry_planner, code="OUTSIDE", name="报表外指标", owner_unit=world.unit("MOE"),
                                        value_type="integer", reporting_unit_types=["county"])
    dongcheng = world.unit("110101")
    loose = DataValue.objects.create(indicator=outside, unit=dongcheng, period="2024", value=7)
    enter_and_submit(world, setup, "110101")
    from luoshi.indicators.models import Approval

    version = Approval.objects.get(dataset=setup.dataset, unit=dongcheng, period="2024").version
    approval = services.approve(world.beijing_reviewer, dataset=setup.dataset, unit=dongcheng, period="2024")
    assert approval.version == version + 1
    assert DataValue.objects.get(indicator=setup.enrol, unit=dongcheng, period="2024").state == "approved"
    loose.refresh_from_db()
    assert loose.state == "draft"
