"""The definition writes of the evaluation system, refusal by refusal (issue 13): what an indicator,
a category set, a target, a rule and a data set may be, each refusal's text compared whole, what
is stored (canonical formulas, their references) and the audit trail of each write."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from luoshi.audit.models import AuditRecord
from luoshi.core.services import EditConflict
from luoshi.indicators import services
from luoshi.indicators.models import Approval, CategorySet, DataSet, DataValue, Indicator, Target, ValidationRule

pytestmark = pytest.mark.django_db
E = services.Entry


def refusal(exc_info) -> dict | list:
    error = exc_info.value
    return error.message_dict if hasattr(error, "error_dict") else error.messages


def create(world, code="NEW", **fields):
    fields.setdefault("value_type", "integer")
    return services.create_indicator(world.ministry_planner, code=code, name="新指标", owner_unit=world.unit("MOE"), **fields)


def records(obj, action=None):
    qs = AuditRecord.objects.filter(content_type__model=obj._meta.model_name, object_id=str(obj.pk))
    if action:
        qs = qs.filter(action=action)
    return list(qs.order_by("pk"))


# Indicators ------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["min", "max", "if"])
def test_an_indicator_may_not_be_named_like_a_formula_function(world, code):
    with pytest.raises(ValidationError) as info:
        create(world, code=code)
    assert refusal(info) == {"code": [f"'{code}' is a function name in formulas"]}
    assert create(world, code="min_1").code == "min_1"


def test_unknown_unit_types_are_named(world):
    with pytest.raises(ValidationError) as info:
        create(world, reporting_unit_types=["county", "planet", "moon"])
    assert refusal(info) == {"reporting_unit_types": ["unknown unit types: planet, moon"]}
    assert create(world, reporting_unit_types=["county", "school"]).reporting_unit_types == ["county", "school"]
    assert create(world, code="NEW2").reporting_unit_types == []


@pytest.mark.parametrize(("low", "high"), [(None, 5.0), (1.0, None), (None, None), (5.0, 4.99)])
def test_a_band_needs_both_ends_low_first(world, low, high):
    with pytest.raises(ValidationError) as info:
        create(world, direction="band", band_low=low, band_high=high)
    assert refusal(info) == {"band_low": ["a target band needs a low and a high end, low ≤ high"]}


def test_a_band_may_be_a_single_value_and_other_directions_need_no_band(world):
    assert create(world, direction="band", band_low=5.0, band_high=5.0).band_high == 5.0
    assert create(world, code="NEW2", direction="lower", band_low=5.0).band_low == 5.0


def test_a_weighted_average_names_its_weight_which_is_another_indicator(world, setup):
    with pytest.raises(ValidationError) as info:
        create(world, aggregation="weighted_avg")
    assert refusal(info) == {"weight_indicator": ["a weighted average needs the indicator it is weighted by"]}
    weighted = create(world, aggregation="weighted_avg", weight_indicator=setup.pop)
    assert weighted.weight_indicator == setup.pop
    with pytest.raises(ValidationError) as info:
        services.update_indicator(world.ministry_planner, weighted, weight_indicator=weighted)
    assert refusal(info) == {"weight_indicator": ["an indicator cannot be weighted by itself"]}
    plain = create(world, code="NEW2", weight_indicator=setup.pop)   # a weight is only read by a weighted average
    assert plain.aggregation == "sum"


def test_the_minimum_may_equal_the_maximum_but_not_exceed_it(world):
    with pytest.raises(ValidationError) as info:
        create(world, min_value=10.0, max_value=9.5)
    assert refusal(info) == {"min_value": ["the minimum is above the maximum"]}
    assert create(world, min_value=10.0, max_value=10.0).max_value == 10.0
    assert create(world, code="NEW2", min_value=10.0).max_value is None
    assert create(world, code="NEW3", max_value=-1.0).min_value is None


@pytest.mark.parametrize(("value", "year"), [(90.0, None), (None, 2021)])
def test_a_baseline_is_a_value_and_its_year_together(world, value, year):
    with pytest.raises(ValidationError) as info:
        create(world, baseline_value=value, baseline_year=year)
    assert refusal(info) == {"baseline_year": ["give the baseline value and its year together"]}


def test_a_text_indicator_is_never_aggregated(world):
    assert create(world, value_type="text", aggregation="sum").aggregation == "none"
    assert create(world, code="NEW2", value_type="boolean", aggregation="sum").aggregation == "sum"
    assert create(world, code="NEW3", aggregation="max").aggregation == "max"


def test_a_formula_is_stored_in_its_canonical_spelling_with_its_references(world, setup):
    derived = create(world, value_type="percent", formula="(TEACH_F/TEACH)*100 + 0*ENROL")
    derived.refresh_from_db()
    assert derived.formula == "TEACH_F / TEACH * 100 + 0 * ENROL"
    assert derived.formula_refs == ["TEACH_F", "TEACH", "ENROL"]
    blank = create(world, code="NEW2", formula="  \u3000 ")
    blank.refresh_from_db()
    assert (blank.formula, blank.formula_refs, blank.is_derived) == ("", [], False)
    services.update_indicator(world.ministry_planner, derived, formula=" ")
    derived.refresh_from_db()
    assert (derived.formula, derived.formula_refs) == ("", [])


def test_a_formula_refusal_names_the_problem_and_where_it_is(world, setup):
    with pytest.raises(ValidationError) as info:
        create(world, formula="ENROL +")
    assert refusal(info) == {"formula": ["the formula ends too early (at character 8)"]}
    with pytest.raises(ValidationError) as info:
        create(world, formula="ENROL / NOPE + ZZ")
    assert refusal(info) == {"formula": ["unknown indicator 'NOPE' (at character 9)", "unknown indicator 'ZZ' (at character 16)"]}
    with pytest.raises(ValidationError) as info:
        create(world, value_type="text", formula="ENROL + 1")
    assert refusal(info) == {"value_type": ["a derived indicator is a number, a whole number or a percent"]}
    with pytest.raises(ValidationError) as info:
        create(world, value_type="boolean", formula="ENROL > 1")
    assert refusal(info) == {"value_type": ["a derived indicator is a number, a whole number or a percent"]}
    assert not Indicator.objects.filter(code="NEW").exists()


def test_a_formula_may_not_lead_back_to_its_own_indicator(world, setup):
    with pytest.raises(ValidationError) as info:
        create(world, formula="ENROL + NEW")
    assert refusal(info) == {"formula": ["circular reference: NEW → NEW (at character 9)"]}
    x3 = create(world, code="X3", value_type="number", formula="POP + GER * 2")
    with pytest.raises(ValidationError) as info:
        services.update_indicator(world.ministry_planner, setup.ger, formula="ENROL + X3 / POP")
    assert refusal(info) == {"formula": ["circular reference: GER → X3 → GER (at character 9)"]}
    # the position is that of the first reference on the cycle, wherever it sits
    with pytest.raises(ValidationError) as info:
        services.update_indicator(world.ministry_planner, setup.ger, formula="max(1, -X3) + 1")
    assert refusal(info) == {"formula": ["circular reference: GER → X3 → GER (at character 9)"]}
    with pytest.raises(ValidationError) as info:
        services.update_indicator(world.ministry_planner, setup.ger, formula="X3 * 2")
    assert refusal(info) == {"formula": ["circular reference: GER → X3 → GER (at character 1)"]}
    # an indicator's own stored formula is not part of the graph its new formula is checked against
    services.update_indicator(world.ministry_planner, setup.ger, formula="ENROL / POP")
    setup.ger.refresh_from_db()
    assert setup.ger.formula == "ENROL / POP" and x3.formula == "POP + GER * 2"


def test_updating_an_indicator_checks_its_fields_its_version_and_the_new_owner(world, setup):
    planner = world.ministry_planner
    with pytest.raises(TypeError) as info:
        services.update_indicator(planner, setup.enrol, name="x", colour="red", size=3)
    assert str(info.value) == "unknown indicator fields: ['colour', 'size']"
    with pytest.raises(TypeError) as info:
        create(world, colour="red")
    assert str(info.value) == "unknown indicator fields: ['colour']"
    # a Beijing planner may change a Beijing indicator but not hand it to Shanghai
    beijing = world.user("beijing_admin")
    local = services.create_indicator(beijing, code="BJ", name="北京指标", owner_unit=world.unit("110000"))
    with pytest.raises(Http404):     # Shanghai is out of the Beijing admin's sight
        services.update_indicator(beijing, local, owner_unit=world.unit("310000"))
    assert Indicator.objects.get(pk=local.pk).owner_unit.code == "110000"
    assert services.update_indicator(beijing, local, owner_unit=world.unit("110101")).owner_unit.code == "110101"
    version = setup.enrol.version
    services.update_indicator(planner, setup.enrol, expected_version=version, name="在校生")
    with pytest.raises(EditConflict) as conflict:
        services.update_indicator(planner, setup.enrol, expected_version=version, name="在校学生")
    assert str(conflict.value) == ("ENROL 在校生 was changed by someone else since you opened it (version 1 → 2; "
                                   "changed: name). Reload and apply your edit again.")
    setup.enrol.refresh_from_db()
    assert (setup.enrol.name, setup.enrol.version) == ("在校生", version + 1)
    change = records(setup.enrol, "update")[-1]
    assert (change.before["name"], change.after["name"], change.actor_id) == ("在校生数", "在校生", planner.pk)


def test_an_update_that_changes_nothing_writes_nothing(world, setup):
    version = setup.enrol.version
    before = len(records(setup.enrol))
    services.update_indicator(world.ministry_planner, setup.enrol, name=setup.enrol.name)
    setup.enrol.refresh_from_db()
    assert setup.enrol.version == version and len(records(setup.enrol)) == before


def test_an_indicator_in_use_is_not_deleted(world, setup):
    planner = world.ministry_planner
    with pytest.raises(ValidationError) as info:
        services.delete_indicator(planner, setup.enrol)
    assert refusal(info) == ["ENROL is used in the formulas or rules GER"]
    with pytest.raises(ValidationError) as info:
        services.delete_indicator(planner, setup.teach)
    assert refusal(info) == ["TEACH is used in the formulas or rules R_TEACH_F"]
    create(world, code="X3", value_type="number", formula="TEACH + 1")
    with pytest.raises(ValidationError) as info:
        services.delete_indicator(planner, setup.teach)
    assert refusal(info) == ["TEACH is used in the formulas or rules X3, R_TEACH_F"]
    # a code that only contains another (TEACH in TEACH_F) is not a use of it
    services.delete_rule(planner, setup.rule)
    services.create_rule(planner, code="R_F", expression="TEACH_F >= 0", owner_unit=world.unit("MOE"))
    services.delete_indicator(planner, Indicator.objects.get(code="X3"))
    services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=world.unit("110101"), period="2024",
                         entries=[E("TEACH", "10")])
    with pytest.raises(ValidationError) as info:
        services.delete_indicator(planner, setup.teach)
    assert refusal(info) == ["TEACH has reported values; deactivate it instead"]
    services.delete_rule(planner, ValidationRule.objects.get(code="R_F"))
    pk = setup.teach_f.pk
    services.delete_indicator(planner, setup.teach_f)
    assert not Indicator.objects.filter(pk=pk).exists()
    gone = AuditRecord.objects.get(content_type__model="indicator", object_id=str(pk), action="delete")
    assert gone.before["code"] == "TEACH_F" and gone.after is None and gone.actor_id == planner.pk


def test_an_indicator_measures_only_plan_items_its_editor_sees(world, setup):
    from luoshi.core import authz
    from luoshi.plans.models import PlanItem
    from luoshi.plans.tests.conftest import build_small_plan

    small = build_small_plan(world, status="draft")
    planner = world.ministry_planner
    items = [small.beijing, small.shanghai]
    indicator = services.set_indicator_items(planner, setup.enrol, items)
    assert sorted(indicator.plan_items.values_list("pk", flat=True)) == sorted(i.pk for i in items)
    assert records(setup.enrol, "update")[-1].verb == "items"
    with pytest.raises(Http404):
        services.set_indicator_items(planner, setup.enrol, [small.beijing.pk, -1])
    admin = world.user("beijing_admin")
    hidden = PlanItem.objects.exclude(pk__in=authz.scope(admin, PlanItem).values("pk")).filter(plan=small.plan).first()
    assert hidden is not None
    local = services.create_indicator(admin, code="BJ", name="北京指标", owner_unit=world.unit("110000"))
    with pytest.raises(Http404):
        services.set_indicator_items(admin, local, [hidden])
    assert list(local.plan_items.all()) == []
    created = create(world, plan_items=[small.beijing])
    assert list(created.plan_items.all()) == [small.beijing]
    assert [(r.action, r.verb) for r in records(created)] == [("create", ""), ("update", "items")]
    assert list(create(world, code="NEW2").plan_items.all()) == []


# Category sets ---------------------------------------------------------------------------------

@pytest.mark.parametrize("categories", [[], [("only", "唯一")]])
def test_a_category_set_has_at_least_two_categories(world, categories):
    with pytest.raises(ValidationError) as info:
        services.create_category_set(world.ministry_planner, code="CS", name="分类", owner_unit=world.unit("MOE"),
                                     categories=categories)
    assert refusal(info) == {"categories": ["a category set needs at least two categories"]}


def test_category_codes_do_not_repeat_and_are_kept_in_order(world):
    with pytest.raises(ValidationError) as info:
        services.create_category_set(world.ministry_planner, code="CS", name="分类", owner_unit=world.unit("MOE"),
                                     categories=[("a", "甲"), (" a ", "乙")])
    assert refusal(info) == {"categories": ["category codes repeat"]}
    cs = services.create_category_set(world.ministry_planner, code="CS", name="分类", owner_unit=world.unit("MOE"),
                                      categories=[(" b ", " 乙 "), ("a", "甲"), ("c", "丙")])
    assert [(c.code, c.name, c.order) for c in cs.categories.order_by("order")] == [("b", "乙", 0), ("a", "甲", 1), ("c", "丙", 2)]
    made = records(cs, "create")[0]
    assert made.after["categories"] == [["b", "乙"], ["a", "甲"], ["c", "丙"]] and made.before is None
    assert made.actor_id == world.ministry_planner.pk


def test_a_category_set_update_renames_reorders_and_is_audited_once(world, setup):
    cs, planner = setup.urban_rural, world.ministry_planner
    version = cs.version
    services.update_category_set(planner, cs, name="城乡分类", categories=[("rural", "农村"), ("urban", "城镇")])
    cs.refresh_from_db()
    assert cs.name == "城乡分类" and cs.version == version + 1
    assert [(c.code, c.name) for c in cs.categories.order_by("order")] == [("rural", "农村"), ("urban", "城镇")]
    change = records(cs, "update")[-1]
    assert change.before["categories"] == [["urban", "城镇"], ["rural", "乡村"]]
    assert change.after["categories"] == [["rural", "农村"], ["urban", "城镇"]] and change.after["version"] == version + 1
    assert (change.actor_id, change.before["name"], change.after["name"]) == (planner.pk, "城乡", "城乡分类")
    count = len(records(cs))
    services.update_category_set(planner, cs, name="城乡分类", categories=[("rural", "农村"), ("urban", "城镇")])
    services.update_category_set(planner, cs)
    cs.refresh_from_db()
    assert cs.version == version + 1 and len(records(cs)) == count
    with pytest.raises(EditConflict):
        services.update_category_set(planner, cs, expected_version=version, name="旧")
    assert services.update_category_set(planner, cs, expected_version=version + 1, name="城乡").name == "城乡"


def test_a_category_with_values_is_not_removed_and_one_without_is(world, setup):
    cs, planner = setup.urban_rural, world.ministry_planner
    services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=world.unit("110101"), period="2024",
                         entries=[E("PUPILS", "10", category_code="urban")])
    with pytest.raises(ValidationError) as info:
        services.update_category_set(planner, cs, categories=[("rural", "乡村"), ("town", "镇区")])
    assert refusal(info) == {"categories": ["categories with reported values cannot be removed"]}
    services.update_category_set(planner, cs, categories=[("urban", "城镇"), ("town", "镇区")])
    assert sorted(cs.categories.values_list("code", flat=True)) == ["town", "urban"]
    with pytest.raises(ValidationError) as info:
        services.delete_category_set(planner, cs)
    assert refusal(info) == ["indicators use this category set"]
    other = services.create_category_set(planner, code="CS2", name="性别", owner_unit=world.unit("MOE"),
                                         categories=[("f", "女"), ("m", "男")])
    services.delete_category_set(planner, other)
    assert not CategorySet.objects.filter(code="CS2").exists()
    gone = AuditRecord.objects.get(content_type__model="categoryset", object_id=str(other.pk), action="delete")
    assert (gone.before["code"], gone.after, gone.actor_id) == ("CS2", None, planner.pk)


# Targets and rules ------------------------------------------------------------------------------

def test_a_target_is_created_once_then_updated(world, setup):
    planner, beijing = world.ministry_planner, world.unit("110000")
    pop = services.set_target(planner, indicator=setup.pop, unit=beijing, year=2025, value=50)
    shanghai = services.set_target(planner, indicator=setup.enrol, unit=world.unit("310000"), year=2025, value=60)
    target = services.set_target(planner, indicator=setup.enrol, unit=beijing, year=2025, value="95")
    assert len({pop.pk, shanghai.pk, target.pk}) == 3
    assert records(target, "create")[0].actor_id == planner.pk
    assert (target.value, target.version) == (95.0, target.version)
    again = services.set_target(planner, indicator=setup.enrol, unit=beijing, year=2025, value=97.5)
    assert again.pk == target.pk and Target.objects.get(pk=target.pk).value == 97.5
    assert Target.objects.filter(indicator=setup.enrol, unit=beijing).count() == 1
    change = records(target, "update")[-1]
    assert (change.before["value"], change.after["value"], change.actor_id) == (95.0, 97.5, planner.pk)
    assert [t.value for t in Target.objects.filter(pk__in=[pop.pk, shanghai.pk]).order_by("value")] == [50.0, 60.0]
    other_year = services.set_target(planner, indicator=setup.enrol, unit=beijing, year=2026, value=1)
    assert other_year.pk != target.pk
    services.delete_target(planner, other_year)
    assert not Target.objects.filter(pk=other_year.pk).exists()
    with pytest.raises(PermissionDenied):
        services.set_target(world.beijing_reporter, indicator=setup.enrol, unit=beijing, year=2025, value=1)
    with pytest.raises(PermissionDenied):
        services.set_target(world.beijing_reporter, indicator=setup.enrol, unit=beijing, year=2027, value=1)


def test_a_rule_is_stored_canonical_with_its_references(world, setup):
    planner, moe = world.ministry_planner, world.unit("MOE")
    rule = services.create_rule(planner, code="R2", expression="ENROL>=(TEACH*2)", owner_unit=moe, tolerance=0.5)
    rule.refresh_from_db()
    assert (rule.expression, rule.refs, rule.tolerance, rule.severity, rule.is_active) == (
        "ENROL >= TEACH * 2", ["ENROL", "TEACH"], 0.5, "error", True)
    with pytest.raises(ValidationError) as info:
        services.create_rule(planner, code="R3", expression="ENROL + TEACH", owner_unit=moe)
    assert refusal(info) == {"expression": ["a rule must compare two sides, e.g. A <= B or A == B + C (at character 1)"]}
    with pytest.raises(ValidationError) as info:
        services.create_rule(planner, code="R3", expression="ENROL < ", owner_unit=moe)
    assert refusal(info) == {"expression": ["the formula ends too early (at character 9)"]}
    assert records(rule, "create")[0].actor_id == planner.pk
    plain = services.create_rule(planner, code="R4", expression="ENROL >= 0", owner_unit=moe)
    plain.refresh_from_db()
    assert (plain.tolerance, plain.severity, plain.message, plain.is_active) == (0.0, "error", "", True)
    with pytest.raises(TypeError) as info:
        services.update_rule(planner, rule, colour="red")
    assert str(info.value) == "unknown rule field 'colour'"
    services.update_rule(planner, rule, expression="TEACH<=ENROL", is_active=False)
    rule.refresh_from_db()
    assert (rule.expression, rule.refs, rule.is_active) == ("TEACH <= ENROL", ["TEACH", "ENROL"], False)
    change = records(rule, "update")[-1]
    assert (change.actor_id, change.before["expression"], change.after["expression"]) == (
        planner.pk, "ENROL >= TEACH * 2", "TEACH <= ENROL")
    count = len(records(rule))
    services.update_rule(planner, rule, expression="TEACH <= ENROL")
    assert len(records(rule)) == count
    with pytest.raises(EditConflict):
        services.update_rule(planner, rule, expected_version=rule.version - 1, message="x")
    pk = rule.pk
    services.delete_rule(planner, rule)
    assert not ValidationRule.objects.filter(pk=pk).exists()


# Data sets and periods ------------------------------------------------------------------------------

def test_a_data_set_holds_only_indicators_of_its_period_type(world, setup):
    planner, moe = world.ministry_planner, world.unit("MOE")
    monthly = create(world, code="M1", periodicity="monthly")
    with pytest.raises(ValidationError) as info:
        services.create_dataset(planner, code="DS2", name="年报", owner_unit=moe, indicators=[setup.enrol, monthly])
    assert refusal(info) == {"indicators": ["these indicators are not reported Yearly: M1"]}
    with pytest.raises(ValidationError) as info:
        services.create_dataset(planner, code="DS2", name="年报", owner_unit=moe, reporting_unit_types=["county", "x"])
    assert refusal(info) == {"reporting_unit_types": ["unknown unit types: x"]}
    ds = services.create_dataset(planner, code="DS2", name="月报", owner_unit=moe, periodicity="monthly",
                                 indicators=[monthly], reporting_unit_types=["county"], description="说明")
    assert (list(ds.indicators.all()), ds.reporting_unit_types, ds.description) == ([monthly], ["county"], "说明")
    assert records(ds, "create")[0].after["code"] == "DS2"
    with pytest.raises(TypeError) as info:
        services.update_dataset(planner, ds, colour="red")
    assert str(info.value) == "unknown data set field 'colour'"
    with pytest.raises(ValidationError) as info:
        services.update_dataset(planner, ds, periodicity="yearly")
    assert refusal(info) == {"indicators": ["these indicators are not reported Yearly: M1"]}
    services.update_dataset(planner, ds, periodicity="yearly", indicators=[setup.enrol])
    ds.refresh_from_db()
    assert (ds.periodicity, list(ds.indicators.all())) == ("yearly", [setup.enrol])
    with pytest.raises(Http404):
        services.update_dataset(planner, ds, indicators=[setup.enrol.pk, -5])


def test_the_period_type_of_a_data_set_with_data_is_fixed(world, setup):
    planner = world.ministry_planner
    services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=world.unit("110101"), period="2024",
                         entries=[E("ENROL", "10")])
    with pytest.raises(ValidationError) as info:
        services.update_dataset(planner, setup.dataset, periodicity="monthly", indicators=[])
    assert refusal(info) == {"periodicity": ["the period type of a data set with reported data is fixed"]}
    services.update_dataset(planner, setup.dataset, periodicity="yearly", name="区县年度报表")
    assert DataSet.objects.get(pk=setup.dataset.pk).name == "区县年度报表"


def test_a_data_set_with_submitted_data_is_not_deleted(world, setup):
    planner, unit = world.ministry_planner, world.unit("110101")
    services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024", entries=[E("ENROL", "10")])
    draft_only = services.create_dataset(planner, code="DS3", name="草稿", owner_unit=world.unit("MOE"),
                                         indicators=[setup.enrol], reporting_unit_types=["county"])
    services.save_values(world.beijing_reporter, dataset=draft_only, unit=unit, period="2024", entries=[E("ENROL", "11")])
    services.submit(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024")
    with pytest.raises(ValidationError) as info:
        services.delete_dataset(planner, setup.dataset)
    assert refusal(info) == ["data of this data set has been submitted; it cannot be deleted"]
    pk = draft_only.pk
    services.delete_dataset(planner, draft_only)
    assert not DataSet.objects.filter(code="DS3").exists()
    gone = AuditRecord.objects.get(content_type__model="dataset", object_id=str(pk), action="delete")
    assert (gone.before["code"], gone.after, gone.actor_id) == ("DS3", None, planner.pk)


def test_a_period_is_read_for_the_data_sets_period_type(world, setup):
    assert services.normalise_period(setup.dataset, " 2024 ") == "2024"
    assert services.normalise_period("quarterly", "2024Q3") == "2024-Q3"
    with pytest.raises(ValidationError) as info:
        services.normalise_period(setup.dataset, "2024Q1")
    assert refusal(info) == {"period": ["2024-Q1 is not a Yearly period"]}
    with pytest.raises(ValidationError) as info:
        services.normalise_period(setup.dataset, "soon")
    assert refusal(info) == {"period": ["not a period: 'soon' (write 2024, 2024-H2, 2024-Q3 or 2024-07)"]}


def test_locked_keys_are_the_submitted_and_approved_values(world, setup):
    unit = world.unit("110101")
    services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024", entries=[E("ENROL", "10")])
    assert services.locked_keys([setup.enrol.pk]) == {}
    services.submit(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024")
    assert services.locked_keys([setup.enrol.pk]) == {(setup.enrol.pk, unit.pk, "2024"): "submitted"}
    assert services.locked_keys([setup.enrol.pk], [unit.pk], ["2024"]) == {(setup.enrol.pk, unit.pk, "2024"): "submitted"}
    assert services.locked_keys([setup.enrol.pk], [unit.pk + 1]) == {}
    assert services.locked_keys([setup.enrol.pk], None, ["2023"]) == {}
    # the same indicator in a second data set: an approval there wins over a submission here
    second = services.create_dataset(world.ministry_planner, code="DS4", name="另表", owner_unit=world.unit("MOE"),
                                     indicators=[setup.enrol], reporting_unit_types=["county"])
    Approval.objects.create(dataset=second, unit=unit, period="2024", state="approved")
    assert services.locked_keys([setup.enrol.pk]) == {(setup.enrol.pk, unit.pk, "2024"): "approved"}
    assert DataValue.objects.count() == 1
