"""Writes of ``indicators/services.py`` the driver's mutants found untested (issue 13, second half of
the module): the definitions' creates (indicators, category sets, rules, data sets), saving values,
the rules a save checks, the period keys, and who approves in the chain."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from luoshi.indicators import services, status
from luoshi.indicators.models import Approval, DataValue, Indicator
from luoshi.indicators.tests.test_approval import enter_and_submit

pytestmark = pytest.mark.django_db
E = services.Entry


# Rules a save checks ---------------------------------------------------------------------------

def test_a_rule_over_exactly_the_data_sets_indicators_is_checked(world, setup):
    """The rule names TEACH_F and TEACH, and the data set holds those two only."""
    ds = services.create_dataset(world.ministry_planner, code="DS_TEACH", name="教师", owner_unit=world.unit("MOE"),
                                 indicators=[setup.teach, setup.teach_f], reporting_unit_types=["county"])
    result = services.save_values(world.beijing_reporter, dataset=ds, unit=world.unit("110101"), period="2024",
                                  entries=[E("TEACH", "10"), E("TEACH_F", "12")])
    assert [(p.indicator, p.category, p.message, p.code) for p in result.errors] == [
        ("TEACH_F", None, "女专任教师数不能超过专任教师数 (TEACH_F = 12, TEACH = 10)", "rule:R_TEACH_F")]
    assert (result.saved, result.unchanged, result.warnings) == (0, 0, [])
    assert not DataValue.objects.exists()


def test_a_rule_that_names_no_indicator_is_never_checked_on_a_save(world, setup):
    services.create_rule(world.ministry_planner, code="R_NEVER", expression="1 > 2", owner_unit=world.unit("MOE"))
    result = services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=world.unit("110101"),
                                  period="2024", entries=[E("TEACH", "10"), E("TEACH_F", "8")])
    assert (result.ok, result.saved, result.errors, result.warnings) == (True, 2, [], [])


# Who approves ------------------------------------------------------------------------------------

def test_a_superuser_without_memberships_approves_returns_and_unapproves(world, setup):
    dongcheng = world.unit("110101")
    enter_and_submit(world, setup, "110101")
    admin = world.admin
    returned = services.return_data(admin, dataset=setup.dataset, unit=dongcheng, period="2024", reason="补充说明")
    assert (returned.state, returned.reason) == ("returned", "补充说明")
    services.submit(world.beijing_reporter, dataset=setup.dataset, unit=dongcheng, period="2024")
    approved = services.approve(admin, dataset=setup.dataset, unit=dongcheng, period="2024")
    assert (approved.state, approved.approved_by) == ("approved", admin)
    again = services.unapprove(admin, dataset=setup.dataset, unit=dongcheng, period="2024", reason="更正")
    assert (again.state, again.reason) == ("submitted", "更正")


def test_a_deactivated_district_is_out_of_the_chain_its_province_waits_for_the_active_ones(world, setup):
    """A data set reported by schools: 东城区 is deactivated while its school stays active. 北京
    waits for its active districts with schools (as the review page lists them), not for 东城区."""
    from luoshi.orgs import services as org_services

    ds = services.create_dataset(world.ministry_planner, code="DS_SCHOOL", name="学校年报", owner_unit=world.unit("MOE"),
                                 indicators=[setup.enrol], reporting_unit_types=["school"])
    org_services.update_unit(world.admin, world.unit("110101"), {"is_active": False})
    beijing = world.unit("110000")
    assert services.approvable(ds, world.fresh_unit("110101"))  # its school still reports
    with pytest.raises(ValidationError) as refused:
        services.approve(world.ministry_reviewer, dataset=ds, unit=beijing, period="2024")
    waiting = [world.unit(code) for code in ("110102", "110105", "110108")]  # 西城区, 朝阳区, 海淀区: schools below
    waiting.sort(key=lambda u: u.path)  # (the units' order)
    assert refused.value.messages == ["first approve the units below: " + "、".join(u.display_name for u in waiting)]
    assert status.missing_below(ds, beijing, "2024") == waiting
    for code in ("110102", "110105", "110108"):
        Approval.objects.create(dataset=ds, unit=world.unit(code), period="2024", state="approved")
    assert services.approve(world.ministry_reviewer, dataset=ds, unit=beijing, period="2024").state == "approved"


# Saving values ---------------------------------------------------------------------------------

@pytest.fixture
def grid(world, setup):
    """A data set with a text indicator beside the setup's figures; the rule made a warning."""
    note = services.create_indicator(world.ministry_planner, code="NOTE", name="情况说明", owner_unit=world.unit("MOE"),
                                     value_type="text", reporting_unit_types=["county"])
    ds = services.create_dataset(world.ministry_planner, code="DS_GRID", name="填报表", owner_unit=world.unit("MOE"),
                                 indicators=[setup.enrol, setup.pop, setup.teach, setup.teach_f, setup.pupils, note],
                                 reporting_unit_types=["county"])
    services.update_rule(world.ministry_planner, setup.rule, severity="warning")
    return ds


def stored(unit):
    return sorted((v.indicator.code, v.period, v.category.code if v.category else None, v.value, v.text_value, v.comment,
                   v.warnings, v.follow_up, v.entered_by.username, v.state)
                  for v in DataValue.objects.filter(unit=unit).select_related("indicator", "category", "entered_by"))


def value_records(action):
    from luoshi.audit.models import AuditRecord

    return AuditRecord.objects.filter(content_type__model="datavalue", action=action).order_by("pk")


def test_a_first_save_creates_every_value_as_entered_and_opens_a_draft(world, setup, grid):
    dongcheng, reporter = world.unit("110101"), world.beijing_reporter
    result = services.save_values(reporter, dataset=grid, unit=dongcheng, period="2024", entries=[
        E("ENROL", "100", " 含借读生 "), E("TEACH", "10"), E("TEACH_F", "12"), E("PUPILS", "30", category_code="urban"),
        E("NOTE", "新建校区")])
    assert (result.saved, result.unchanged, result.errors) == (5, 0, [])
    assert [(w.indicator, w.code) for w in result.warnings] == [("TEACH_F", "rule:R_TEACH_F")]
    assert stored(dongcheng) == [
        ("ENROL", "2024", None, 100.0, "", "含借读生", [], False, "beijing_reporter", "draft"),
        ("NOTE", "2024", None, None, "新建校区", "", [], False, "beijing_reporter", "draft"),
        ("PUPILS", "2024", "urban", 30.0, "", "", [], False, "beijing_reporter", "draft"),
        ("TEACH", "2024", None, 10.0, "", "", ["rule:R_TEACH_F"], True, "beijing_reporter", "draft"),
        ("TEACH_F", "2024", None, 12.0, "", "", ["rule:R_TEACH_F"], True, "beijing_reporter", "draft"),
    ]
    # one save, one moment
    assert DataValue.objects.filter(unit=dongcheng).values("updated_at").distinct().count() == 1
    assert list(Approval.objects.filter(unit=dongcheng).values_list("dataset__code", "period", "state")) == [
        ("DS_GRID", "2024", "draft")]
    records = value_records("create")
    assert [(r.actor, r.before, r.after["value"], r.after["text_value"]) for r in records] == [
        (reporter, None, 100.0, ""), (reporter, None, 10.0, ""), (reporter, None, 12.0, ""), (reporter, None, 30.0, ""),
        (reporter, None, None, "新建校区")]
    assert {r.object_id for r in records} == {str(pk) for pk in DataValue.objects.values_list("pk", flat=True)}


def test_a_second_save_changes_what_changed_keeps_the_rest_and_removes_cleared_cells(world, setup, grid):
    dongcheng = world.unit("110101")
    first, second = world.beijing_reporter, world.ministry_reporter
    services.save_values(first, dataset=grid, unit=dongcheng, period="2024", entries=[
        E("ENROL", "100"), E("POP", "500"), E("TEACH", "10"), E("TEACH_F", "8"), E("NOTE", "旧说明")])
    kept = DataValue.objects.get(indicator=setup.enrol).updated_at
    pop = DataValue.objects.get(indicator=setup.pop)
    result = services.save_values(second, dataset=grid, unit=dongcheng, period="2024", entries=[
        E("ENROL", "100"), E("POP", ""), E("TEACH", "11"), E("TEACH_F", "8", "已核实"), E("NOTE", "新说明")])
    assert (result.saved, result.unchanged, result.errors, result.warnings) == (4, 1, [], [])
    assert stored(dongcheng) == [
        ("ENROL", "2024", None, 100.0, "", "", [], False, "beijing_reporter", "draft"),
        ("NOTE", "2024", None, None, "新说明", "", [], False, "ministry_reporter", "draft"),
        ("TEACH", "2024", None, 11.0, "", "", [], False, "ministry_reporter", "draft"),
        ("TEACH_F", "2024", None, 8.0, "", "已核实", [], False, "ministry_reporter", "draft"),
    ]
    assert DataValue.objects.get(indicator=setup.enrol).updated_at == kept
    assert DataValue.objects.get(indicator=setup.teach).updated_at > kept
    deleted = value_records("delete").get()
    assert (deleted.actor, deleted.object_id, deleted.before["value"], deleted.after) == (second, str(pop.pk), 500.0, None)
    updates = value_records("update")
    assert [(r.actor, r.before["value"], r.after["value"], r.before["comment"], r.after["comment"],
             r.before["text_value"], r.after["text_value"]) for r in updates] == [
        (second, 10.0, 11.0, "", "", "", ""), (second, 8.0, 8.0, "", "已核实", "", ""),
        (second, None, None, "", "", "旧说明", "新说明")]
    assert Approval.objects.filter(unit=dongcheng).count() == 1


def test_the_same_values_again_save_nothing(world, setup, grid):
    dongcheng, reporter = world.unit("110101"), world.beijing_reporter
    entries = [E("ENROL", "100"), E("TEACH", "10"), E("TEACH_F", "12", "含外聘")]
    services.save_values(reporter, dataset=grid, unit=dongcheng, period="2024", entries=entries)
    before = stored(dongcheng)
    result = services.save_values(world.ministry_reporter, dataset=grid, unit=dongcheng, period="2024", entries=entries)
    assert (result.saved, result.unchanged, result.errors) == (0, 3, [])
    assert stored(dongcheng) == before
    assert not value_records("update").exists()


def test_clearing_a_cell_that_holds_nothing_saves_nothing(world, setup, grid):
    dongcheng = world.unit("110101")
    result = services.save_values(world.beijing_reporter, dataset=grid, unit=dongcheng, period="2024",
                                  entries=[E("POP", ""), E("ENROL", "100")])
    assert (result.saved, result.unchanged) == (1, 0)
    assert [v[0] for v in stored(dongcheng)] == ["ENROL"]
    assert not value_records("delete").exists()


def test_new_warnings_mark_a_value_and_a_mark_outlives_the_warnings_that_set_it(world, setup, grid):
    dongcheng, reporter, reviewer = world.unit("110101"), world.beijing_reporter, world.beijing_reviewer
    services.save_values(reporter, dataset=grid, unit=dongcheng, period="2024", entries=[E("TEACH", "10"), E("TEACH_F", "8")])
    services.save_values(reporter, dataset=grid, unit=dongcheng, period="2024", entries=[E("TEACH", "10"), E("TEACH_F", "12")])
    teach, teach_f = DataValue.objects.get(indicator=setup.teach), DataValue.objects.get(indicator=setup.teach_f)
    assert (teach.warnings, teach.follow_up, teach_f.warnings, teach_f.follow_up) == (
        ["rule:R_TEACH_F"], True, ["rule:R_TEACH_F"], True)
    services.set_follow_up(reviewer, teach_f, False)  # looked into: the reviewer clears its mark
    services.save_values(reporter, dataset=grid, unit=dongcheng, period="2024", entries=[E("TEACH", "10"), E("TEACH_F", "9")])
    teach.refresh_from_db()
    teach_f.refresh_from_db()
    # the warnings are gone from both; TEACH keeps its mark, TEACH_F stays cleared
    assert (teach.warnings, teach.follow_up, teach_f.warnings, teach_f.follow_up) == ([], True, [], False)


# Definitions -----------------------------------------------------------------------------------

def created(model: str, object_id):
    from luoshi.audit.models import AuditRecord

    return AuditRecord.objects.get(content_type__model=model, object_id=str(object_id), action="create")


def test_an_indicator_is_created_with_its_fields_and_plan_items_and_recorded(world, setup):
    from luoshi.audit.models import AuditRecord
    from luoshi.plans.tests.conftest import build_small_plan

    small = build_small_plan(world, status="draft")
    planner, moe = world.ministry_planner, world.unit("MOE")
    indicator = services.create_indicator(planner, code="RATE", name="巩固率", owner_unit=moe, value_type="percent",
                                          decimals=1, periodicity="quarterly", plan_items=[small.beijing, small.shanghai.pk])
    indicator.refresh_from_db()
    assert (indicator.code, indicator.name, indicator.owner_unit, indicator.value_type, indicator.decimals,
            indicator.periodicity, indicator.version) == ("RATE", "巩固率", moe, "percent", 1, "quarterly", 2)
    assert sorted(indicator.plan_items.values_list("pk", flat=True)) == sorted([small.beijing.pk, small.shanghai.pk])
    record = created("indicator", indicator.pk)
    assert (record.actor, record.before, record.after["code"], record.after["plan_items"]) == (planner, None, "RATE", [])
    items = AuditRecord.objects.get(content_type__model="indicator", object_id=str(indicator.pk), verb="items")
    assert (items.actor, items.action, items.before["plan_items"], items.after["plan_items"], items.after["version"]) == (
        planner, "update", [], sorted([small.beijing.pk, small.shanghai.pk]), 2)


def test_an_indicator_without_plan_items_is_recorded_once(world, setup):
    from luoshi.audit.models import AuditRecord

    indicator = services.create_indicator(world.ministry_planner, code="PLAIN", name="无关联", owner_unit=world.unit("MOE"))
    assert indicator.version == 1
    assert list(AuditRecord.objects.filter(content_type__model="indicator", object_id=str(indicator.pk))
                .values_list("action", "verb")) == [("create", "")]


def test_an_indicator_with_fields_it_does_not_have_is_refused(world, setup):
    with pytest.raises(TypeError) as refused:
        services.create_indicator(world.ministry_planner, code="X", name="未知", owner_unit=world.unit("MOE"),
                                  colour="red", decimals=0, size=3)
    assert str(refused.value) == "unknown indicator fields: ['colour', 'size']"
    assert not Indicator.objects.filter(code="X").exists()


@pytest.mark.parametrize("create", ["indicator", "category_set", "rule", "dataset"])
def test_only_a_planner_of_the_owner_creates_definitions(world, setup, create):
    from django.core.exceptions import PermissionDenied

    moe = world.unit("MOE")
    calls = {
        "indicator": lambda actor: services.create_indicator(actor, code="N1", name="新", owner_unit=moe),
        "category_set": lambda actor: services.create_category_set(actor, code="N1", name="新", owner_unit=moe,
                                                                    categories=[("a", "甲"), ("b", "乙")]),
        "rule": lambda actor: services.create_rule(actor, code="N1", expression="TEACH_F <= TEACH", owner_unit=moe),
        "dataset": lambda actor: services.create_dataset(actor, code="N1", name="新", owner_unit=moe),
    }
    with pytest.raises(PermissionDenied) as refused:
        calls[create](world.ministry_reviewer)
    label = {"indicator": "indicator", "category_set": "category set", "rule": "validation rule", "dataset": "data set"}[create]
    assert str(refused.value) == f"your role does not allow 'add' of {label} in {moe}"
    assert calls[create](world.ministry_planner).code == "N1"


def test_a_category_set_keeps_its_categories_in_order_trimmed_and_recorded(world, setup):
    planner = world.ministry_planner
    cs = services.create_category_set(planner, code="SEX", name="性别", owner_unit=world.unit("MOE"),
                                      categories=[(" m ", " 男 "), ("f", "女"), ("x", "未说明")])
    assert list(cs.categories.order_by("order").values_list("code", "name", "order")) == [
        ("m", "男", 0), ("f", "女", 1), ("x", "未说明", 2)]
    record = created("categoryset", cs.pk)
    assert (record.actor, record.before, record.after["code"], record.after["name"], record.after["categories"]) == (
        planner, None, "SEX", "性别", [["m", "男"], ["f", "女"], ["x", "未说明"]])


@pytest.mark.parametrize("categories, message", [
    ([("only", "唯一")], "a category set needs at least two categories"),
    ([], "a category set needs at least two categories"),
    ([("a", "甲"), (" a", "乙")], "category codes repeat"),
])
def test_a_category_set_needs_two_categories_with_distinct_codes(world, setup, categories, message):
    with pytest.raises(ValidationError) as refused:
        services.create_category_set(world.ministry_planner, code="BAD", name="坏", owner_unit=world.unit("MOE"),
                                     categories=categories)
    assert refused.value.message_dict == {"categories": [message]}


def test_categories_are_renamed_and_reordered_in_place_and_removed_only_without_values(world, setup):
    planner, cs = world.ministry_planner, setup.urban_rural
    urban, rural = cs.categories.order_by("order")
    services.update_category_set(planner, cs, categories=[("rural", "农村"), ("urban", "城镇"), ("town", "镇区")])
    assert list(cs.categories.order_by("order").values_list("pk", "code", "name", "order"))[:2] == [
        (rural.pk, "rural", "农村", 0), (urban.pk, "urban", "城镇", 1)]
    town = cs.categories.get(code="town")
    assert town.order == 2
    services.update_category_set(planner, cs, categories=[("rural", "农村"), ("urban", "城镇")])  # town had no values
    assert list(cs.categories.values_list("code", flat=True).order_by("order")) == ["rural", "urban"]
    services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=world.unit("110101"), period="2024",
                         entries=[E("PUPILS", "30", category_code="urban")])
    with pytest.raises(ValidationError) as refused:
        services.update_category_set(planner, cs, categories=[("rural", "农村"), ("town", "镇区")])
    assert refused.value.message_dict == {"categories": ["categories with reported values cannot be removed"]}
    assert list(cs.categories.values_list("code", flat=True).order_by("order")) == ["rural", "urban"]


def test_a_rule_is_created_with_its_defaults_or_what_is_given_and_recorded(world, setup):
    planner, moe = world.ministry_planner, world.unit("MOE")
    plain = services.create_rule(planner, code="R_PLAIN", expression="ENROL <= POP", owner_unit=moe)
    plain.refresh_from_db()
    assert (plain.code, plain.expression, plain.owner_unit, plain.tolerance, plain.severity, plain.message,
            plain.is_active, plain.refs) == ("R_PLAIN", "ENROL <= POP", moe, 0, "error", "", True, ["ENROL", "POP"])
    given = services.create_rule(planner, code="R_GIVEN", expression="TEACH <= ENROL", owner_unit=moe, tolerance=0.5,
                                 severity="warning", message="教师多于学生", is_active=False)
    given.refresh_from_db()
    assert (given.tolerance, given.severity, given.message, given.is_active) == (0.5, "warning", "教师多于学生", False)
    record = created("validationrule", given.pk)
    assert (record.actor, record.before, record.after["code"]) == (planner, None, "R_GIVEN")


def test_a_data_set_is_created_with_its_indicators_given_by_id_and_recorded(world, setup):
    planner, moe = world.ministry_planner, world.unit("MOE")
    quarterly = [services.create_indicator(planner, code=f"Q{i}", name=f"季{i}", owner_unit=moe, periodicity="quarterly")
                 for i in (1, 2)]
    ds = services.create_dataset(planner, code="DS_Q", name="季报", owner_unit=moe, periodicity="quarterly",
                                 indicators=[quarterly[0].pk, quarterly[1]], reporting_unit_types=["county", "school"])
    ds.refresh_from_db()
    assert (ds.code, ds.name, ds.owner_unit, ds.periodicity, ds.description, ds.reporting_unit_types) == (
        "DS_Q", "季报", moe, "quarterly", "", ["county", "school"])
    assert sorted(ds.indicators.values_list("code", flat=True)) == ["Q1", "Q2"]
    record = created("dataset", ds.pk)
    assert (record.actor, record.before, record.after["code"], sorted(record.after["indicators"])) == (
        planner, None, "DS_Q", sorted(i.pk for i in quarterly))
    described = services.create_dataset(planner, code="DS_D", name="年报", owner_unit=moe, description="说明")
    assert (described.description, described.periodicity, described.reporting_unit_types,
            list(described.indicators.all())) == ("说明", "yearly", [], [])


def test_a_data_set_refuses_unknown_unit_types_and_indicators_out_of_sight(world, setup):
    from django.http import Http404

    planner, moe = world.ministry_planner, world.unit("MOE")
    with pytest.raises(ValidationError) as refused:
        services.create_dataset(planner, code="DS_X", name="坏", owner_unit=moe, reporting_unit_types=["county", "planet"])
    assert refused.value.message_dict == {"reporting_unit_types": ["unknown unit types: planet"]}
    beijing_planner = world.beijing_planner
    own = services.create_indicator(beijing_planner, code="BJ1", name="北京指标", owner_unit=world.unit("110000"))
    shanghai = services.create_indicator(world.shanghai_planner, code="SH1", name="上海指标", owner_unit=world.unit("310000"))
    with pytest.raises(Http404):
        services.create_dataset(beijing_planner, code="DS_BJ", name="北京表", owner_unit=world.unit("110000"),
                                indicators=[own, shanghai])
    ds = services.create_dataset(beijing_planner, code="DS_BJ", name="北京表", owner_unit=world.unit("110000"),
                                 indicators=[own, own.pk])
    assert list(ds.indicators.values_list("code", flat=True)) == ["BJ1"]
