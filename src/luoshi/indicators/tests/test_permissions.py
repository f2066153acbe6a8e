"""Permission battery for the evaluation system (see ``luoshi.core.testing.battery``).

Objects live in the district 110101 东城区 (310101 黄浦区 for the out-of-scope counterpart):
definitions (indicators, category sets, rules, data sets) are owned by the district; targets
are set for it; values are entered for it in a data set it owns; approvals are its data's.

Who plays which part: 北京's administrator writes definitions (北京's reporter is the wrong
role); 北京's reporter enters and submits values (北京's administrator is the wrong role);
北京's reviewer approves and marks values for follow-up (北京's reporter is the wrong role). The
out-of-scope party is the 上海 user of the same role.
"""

from __future__ import annotations

import json
import uuid

from luoshi.core import authz
from luoshi.core.testing.battery import Action, Http, ModelSpec, generate
from luoshi.indicators import queries, services
from luoshi.indicators.models import (
    Approval, CategorySet, DataImport, DataSet, DataValue, Indicator, Target, ValidationRule,
)
from luoshi.orgs.models import OrgUnit

NEW_NAME = "已修改的名称"
PERIOD = "2024"


def _tag() -> str:
    return uuid.uuid4().hex[:8].upper()


def _admin(world):
    return world.user("admin")


def _indicator(world, unit, **fields) -> Indicator:
    return services.create_indicator(_admin(world), code="I" + _tag(), name="指标" + _tag(), owner_unit=unit,
                                     reporting_unit_types=[unit.type], **fields)


def _unit(world, unit) -> OrgUnit:
    return OrgUnit.objects.get(pk=unit.pk)


def _api_lists(field):
    return lambda c, r: any(row[field] == getattr(c.obj, field) for row in r.json()["items"])


# Indicators ----------------------------------------------------------------------------------

INDICATOR = ModelSpec(
    model=Indicator,
    make=_indicator,
    actions=(
        Action("list", listing=True,
               api=Http("get", lambda c: "/api/v1/indicators", data=lambda c: {"q": c.obj.code}, shows=_api_lists("code")),
               service=lambda user, c: queries.indicators(user, q=c.obj.code)),
        Action("detail",
               api=Http("get", lambda c: f"/api/v1/indicators/{c.obj.code}"),
               service=lambda user, c: queries.indicator(user, c.obj.code)),
        Action("add", permission="add", target=_unit, audit="create",
               effect=lambda c: Indicator.objects.filter(code=c.new_code).exists(),
               service=lambda user, c: services.create_indicator(user, code=c.new_code, name="新指标", owner_unit=c.obj)),
        Action("change", permission="change", audit="update", effect=lambda c: c.refresh().name == NEW_NAME,
               service=lambda user, c: services.update_indicator(user, c.obj, name=NEW_NAME)),
        Action("delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
               service=lambda user, c: services.delete_indicator(user, c.obj)),
    ),
)


# Category sets -------------------------------------------------------------------------------

def _category_set(world, unit) -> CategorySet:
    return services.create_category_set(_admin(world), code="C" + _tag(), name="城乡" + _tag(), owner_unit=unit,
                                        categories=[("urban", "城镇"), ("rural", "乡村")])


CATEGORY_SET = ModelSpec(
    model=CategorySet,
    make=_category_set,
    actions=(
        Action("list", listing=True, service=lambda user, c: queries.category_sets(user)),
        Action("detail", service=lambda user, c: authz.get_or_404(user, CategorySet, pk=c.pk)),
        Action("add", permission="add", target=_unit, audit="create",
               effect=lambda c: CategorySet.objects.filter(code=c.new_code).exists(),
               service=lambda user, c: services.create_category_set(user, code=c.new_code, name="性别", owner_unit=c.obj,
                                                                    categories=[("m", "男"), ("f", "女")])),
        Action("change", permission="change", audit="update", effect=lambda c: c.refresh().name == NEW_NAME,
               service=lambda user, c: services.update_category_set(user, c.obj, name=NEW_NAME)),
        Action("delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
               service=lambda user, c: services.delete_category_set(user, c.obj)),
    ),
)


# Targets -------------------------------------------------------------------------------------

def _national_indicator(world) -> Indicator:
    return _indicator(world, world.unit("MOE"))


def _target(world, unit) -> Target:
    return services.set_target(_admin(world), indicator=_national_indicator(world), unit=unit, year=2030, value=50)


def _target_unit(world, unit) -> OrgUnit:
    return OrgUnit.objects.get(pk=unit.pk)


def _add_target(user, c):
    c.indicator = getattr(c, "indicator", None) or _national_indicator(c.world)
    return services.set_target(user, indicator=c.indicator, unit=c.obj, year=2035, value=60)


TARGET = ModelSpec(
    model=Target,
    make=_target,
    actions=(
        Action("list", listing=True, service=lambda user, c: queries.targets(user, c.obj.indicator),
               api=Http("get", lambda c: f"/api/v1/indicators/{c.obj.indicator.code}",
                        shows=lambda c, r: any(t["unit"] == c.obj.unit.code for t in r.json()["targets"]))),
        Action("detail", service=lambda user, c: authz.get_or_404(user, Target, pk=c.pk)),
        Action("add", permission="add", target=_target_unit, audit="create",
               prepare=lambda c: setattr(c, "indicator", _national_indicator(c.world)),
               effect=lambda c: Target.objects.filter(unit=c.obj, year=2035).exists(),
               service=_add_target),
        Action("change", permission="change", audit="update", effect=lambda c: c.refresh().value == 75,
               service=lambda user, c: services.set_target(user, indicator=c.obj.indicator, unit=c.obj.unit, year=2030, value=75)),
        Action("delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
               service=lambda user, c: services.delete_target(user, c.obj)),
    ),
)


# Validation rules ----------------------------------------------------------------------------

def _rule(world, unit) -> ValidationRule:
    a, b = _indicator(world, unit), _indicator(world, unit)
    return services.create_rule(_admin(world), code="R" + _tag(), expression=f"{a.code} <= {b.code}", owner_unit=unit)


RULE = ModelSpec(
    model=ValidationRule,
    make=_rule,
    actions=(
        Action("list", listing=True, service=lambda user, c: queries.rules(user)),
        Action("detail", service=lambda user, c: authz.get_or_404(user, ValidationRule, pk=c.pk)),
        Action("add", permission="add", target=_unit, audit="create",
               effect=lambda c: ValidationRule.objects.filter(code=c.new_code).exists(),
               service=lambda user, c: services.create_rule(user, code=c.new_code, expression="1 <= 2", owner_unit=c.obj)),
        Action("change", permission="change", audit="update", effect=lambda c: c.refresh().message == NEW_NAME,
               service=lambda user, c: services.update_rule(user, c.obj, message=NEW_NAME)),
        Action("delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
               service=lambda user, c: services.delete_rule(user, c.obj)),
    ),
)


# Data sets -----------------------------------------------------------------------------------

def _dataset(world, unit, indicators=()) -> DataSet:
    return services.create_dataset(_admin(world), code="D" + _tag(), name="数据集" + _tag(), owner_unit=unit,
                                   indicators=list(indicators), reporting_unit_types=[unit.type])


DATASET = ModelSpec(
    model=DataSet,
    make=_dataset,
    actions=(
        Action("list", listing=True, service=lambda user, c: queries.datasets(user)),
        Action("detail", service=lambda user, c: authz.get_or_404(user, DataSet, pk=c.pk)),
        Action("add", permission="add", target=_unit, audit="create",
               effect=lambda c: DataSet.objects.filter(code=c.new_code).exists(),
               service=lambda user, c: services.create_dataset(user, code=c.new_code, name="新数据集", owner_unit=c.obj)),
        Action("change", permission="change", audit="update", effect=lambda c: c.refresh().name == NEW_NAME,
               service=lambda user, c: services.update_dataset(user, c.obj, name=NEW_NAME)),
        Action("delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
               service=lambda user, c: services.delete_dataset(user, c.obj)),
    ),
)


# Values and approvals ------------------------------------------------------------------------

def _value(world, unit) -> DataValue:
    indicator = _indicator(world, unit)
    dataset = _dataset(world, unit, [indicator])
    services.save_values(_admin(world), dataset=dataset, unit=unit, period=PERIOD,
                         entries=[services.Entry(indicator.code, "5")])
    value = DataValue.objects.get(indicator=indicator, unit=unit)
    value.dataset = dataset
    return value


def _entry_unit(world, unit) -> OrgUnit:
    """An "add" target: the unit, carrying a data set with a fresh indicator and no value yet."""
    fresh = OrgUnit.objects.get(pk=unit.pk)
    fresh.indicator = _indicator(world, unit)
    fresh.dataset = _dataset(world, unit, [fresh.indicator])
    return fresh


def _save(user, c, value: str):
    obj = c.obj
    unit = obj if isinstance(obj, OrgUnit) else obj.unit
    code = obj.indicator.code
    dataset = obj.dataset if hasattr(obj, "dataset") else DataSet.objects.filter(indicators=obj.indicator).get()
    result = services.save_values(user, dataset=dataset, unit=unit, period=PERIOD, entries=[services.Entry(code, value)])
    assert result.ok, result.errors
    return result


DATA_VALUE = ModelSpec(
    model=DataValue,
    make=_value,
    in_scope="beijing_reporter",
    wrong_role="beijing_admin",
    out_of_scope="shanghai_reporter",
    actions=(
        Action("list", listing=True, in_scope="beijing_admin", out_of_scope="shanghai_admin",
               api=Http("get", lambda c: "/api/v1/data-values", data=lambda c: {"indicator": c.obj.indicator.code},
                        shows=lambda c, r: any(i["indicator"] == c.obj.indicator.code for i in r.json()["items"]),
                        out_of_scope_status=404),
               service=lambda user, c: queries.values(user, indicator=c.obj.indicator)),
        Action("add", permission="add", target=_entry_unit, audit="create",
               effect=lambda c: DataValue.objects.filter(indicator=c.obj.indicator, unit=c.obj).exists(),
               service=lambda user, c: _save(user, c, "7")),
        Action("import", permission="add", target=_entry_unit, audit="create", audit_model=DataImport, verb="import",
               effect=lambda c: DataValue.objects.filter(indicator=c.obj.indicator, unit=c.obj).exists(),
               api=Http("post", lambda c: "/api/v1/data-values", json=True,
                        data=lambda c: [{"indicator": c.obj.indicator.code, "org_unit": c.obj.code, "period": PERIOD, "value": 3}]),
               # out of scope: the unit is unknown to the importer, so the rows are refused (422), nothing written
               expect={("api", "out_of_scope"): 422},
               # grants only in a deactivated unit reach no unit at all: "your role does not allow
               # entering data" before any row is read
               shape_expect={("api", "deactivated"): 403}),
        Action("change", permission="change", audit="update", effect=lambda c: c.refresh().value == 9,
               service=lambda user, c: _save(user, c, "9")),
        Action("follow_up", permission="review", in_scope="beijing_reviewer", wrong_role="beijing_reporter",
               out_of_scope="shanghai_reviewer", audit="update", verb="follow_up",
               effect=lambda c: c.refresh().follow_up,
               service=lambda user, c: services.set_follow_up(user, c.obj, True)),
    ),
)


def _submitted(world, unit) -> Approval:
    value = _value(world, unit)
    services.submit(_admin(world), dataset=value.dataset, unit=unit, period=PERIOD)
    return Approval.objects.get(dataset=value.dataset, unit=unit, period=PERIOD)


def _draft(world, unit) -> Approval:
    value = _value(world, unit)
    return Approval.objects.get(dataset=value.dataset, unit=unit, period=PERIOD)


APPROVAL = ModelSpec(
    model=Approval,
    make=_submitted,
    in_scope="beijing_reviewer",
    wrong_role="beijing_reporter",
    out_of_scope="shanghai_reviewer",
    actions=(
        Action("list", listing=True, service=lambda user, c: queries.approvals(user, c.obj.dataset)),
        Action("submit", permission="submit", target=_draft, in_scope="beijing_reporter", wrong_role="beijing_admin",
               out_of_scope="shanghai_reporter", audit="update", verb="submit",
               effect=lambda c: c.refresh().state == "submitted",
               service=lambda user, c: services.submit(user, dataset=c.obj.dataset, unit=c.obj.unit, period=PERIOD)),
        Action("approve", permission="review", audit="update", verb="approve",
               effect=lambda c: c.refresh().state == "approved",
               service=lambda user, c: services.approve(user, dataset=c.obj.dataset, unit=c.obj.unit, period=PERIOD)),
        Action("return", permission="review", audit="update", verb="return",
               effect=lambda c: c.refresh().state == "returned",
               service=lambda user, c: services.return_data(user, dataset=c.obj.dataset, unit=c.obj.unit, period=PERIOD,
                                                            reason="请核实")),
    ),
)


SPECS = [INDICATOR, CATEGORY_SET, TARGET, RULE, DATASET, DATA_VALUE, APPROVAL]

test_permissions = generate(SPECS)
