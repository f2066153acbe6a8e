"""Fixtures of the evaluation system: a few indicators, a rule and a data set, built through the services."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from luoshi.indicators import services
from luoshi.indicators.models import CategorySet, DataSet, Indicator, ValidationRule


@dataclass
class Setup:
    enrol: Indicator      # 在校生数 (integer, county-reported)
    pop: Indicator        # 适龄人口
    ger: Indicator        # derived: ENROL / POP * 100
    teach: Indicator      # 专任教师数
    teach_f: Indicator    # 女专任教师数 (rule: TEACH_F <= TEACH)
    pupils: Indicator     # per 城乡 category
    urban_rural: CategorySet
    rule: ValidationRule
    dataset: DataSet      # yearly, owned by the ministry, reported by counties


def build_setup(world) -> Setup:
    planner = world.user("ministry_planner")
    moe = world.unit("MOE")
    common = {"owner_unit": moe, "value_type": "integer", "reporting_unit_types": ["county", "province"], "decimals": 0}
    enrol = services.create_indicator(planner, code="ENROL", name="在校生数", **common)
    pop = services.create_indicator(planner, code="POP", name="适龄人口", **common)
    ger = services.create_indicator(planner, code="GER", name="毛入学率", owner_unit=moe, value_type="percent",
                                    aggregation="none", formula="ENROL / POP * 100")
    teach = services.create_indicator(planner, code="TEACH", name="专任教师数", min_value=0, **common)
    teach_f = services.create_indicator(planner, code="TEACH_F", name="女专任教师数", min_value=0, **common)
    urban_rural = services.create_category_set(planner, code="UR", name="城乡", owner_unit=moe,
                                               categories=[("urban", "城镇"), ("rural", "乡村")])
    pupils = services.create_indicator(planner, code="PUPILS", name="小学在校生数", category_set=urban_rural, **common)
    rule = services.create_rule(planner, code="R_TEACH_F", expression="TEACH_F <= TEACH", owner_unit=moe,
                                message="女专任教师数不能超过专任教师数")
    dataset = services.create_dataset(planner, code="DS_COUNTY", name="区县年报", owner_unit=moe, periodicity="yearly",
                                      indicators=[enrol, pop, ger, teach, teach_f, pupils], reporting_unit_types=["county"])
    return Setup(enrol, pop, ger, teach, teach_f, pupils, urban_rural, rule, dataset)


@pytest.fixture
def setup(world) -> Setup:
    return build_setup(world)
