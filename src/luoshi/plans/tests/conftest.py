"""Fixtures for the plans domain: a small published plan built through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from luoshi.plans import services
from luoshi.plans.models import Plan, PlanItem


@dataclass
class SmallPlan:
    plan: Plan
    task: PlanItem            # key task led by 基础教育司, assigned by 教育部
    measure: PlanItem         # national measure led by 基础教育司
    beijing: PlanItem         # the measure's part for 北京 (assigned by 教育部)
    shanghai: PlanItem        # … for 上海
    dongcheng: PlanItem       # 北京's part broken down to 东城区 (assigned by 北京)


def build_small_plan(world, status: str = "published") -> SmallPlan:
    planner = world.user("ministry_planner")
    u = world.unit
    plan = services.create_plan(planner, title="测试规划", issuer=u("MOE"), start_year=2024, end_year=2025)
    task = services.add_item(planner, plan, title="夯实基础教育基点", kind="key_task", lead_unit=u("MOE-JCJYS"),
                             start_date=date(2024, 1, 1), due_date=date(2025, 12, 31))
    measure = services.add_item(planner, plan, parent=task, title="推进学前教育普及普惠", lead_unit=u("MOE-JCJYS"),
                                start_date=date(2024, 1, 1), due_date=date(2025, 12, 31))
    beijing = services.add_item(planner, plan, parent=measure, title="北京：推进学前教育普及普惠", lead_unit=u("110000"),
                                start_date=date(2024, 1, 1), due_date=date(2025, 12, 31), weight=Decimal(2))
    shanghai = services.add_item(planner, plan, parent=measure, title="上海：推进学前教育普及普惠", lead_unit=u("310000"),
                                 start_date=date(2024, 1, 1), due_date=date(2025, 12, 31))
    if status == "published":
        services.set_plan_status(planner, plan, Plan.Status.PUBLISHED)
    dongcheng = services.add_item(world.user("beijing_planner") if status == "published" else planner, plan, parent=beijing,
                                  title="东城区落实", lead_unit=u("110101"), start_date=date(2024, 1, 1), due_date=date(2025, 6, 30))
    return SmallPlan(Plan.objects.get(pk=plan.pk), task, measure, beijing, shanghai, dongcheng)


@pytest.fixture
def small(world) -> SmallPlan:
    return build_small_plan(world)
