"""Figures for the page, export and bulletin tests: two years of county values in 北京 and 上海
(entered through the indicators services, rolled up by the analytics engine), targets, a
districts' evaluation run, and the small published plan of the plans tests.

上海's numbers are chosen so that they can be recognised wherever they would leak: its only
county reports ENROL 700 (2024) and 650 (2023), numbers no 北京 figure shares.
"""

from __future__ import annotations

from dataclasses import dataclass

from luoshi.analytics import engine
from luoshi.analytics import services as analytics_services
from luoshi.analytics.tests.conftest import enter
from luoshi.indicators import services as indicator_services
from luoshi.indicators.tests.conftest import build_setup
from luoshi.plans.tests.conftest import build_small_plan

VALUES_2023 = {"110101": (800, 1000, 280, 90), "110102": (400, 500, 190, 40), "310101": (650, 1000, 10, 20)}
SHANGHAI_VALUES = (700, 650, 2050, 1950)  # its county's ENROL, and the national sums holding it
SHANGHAI_NAMES = ("黄浦区", "310101", "上海")


@dataclass
class Figures:
    setup: object
    small: object
    run: object


def build_figures(world) -> Figures:
    setup = build_setup(world)
    enter(world, setup, "2023", VALUES_2023)
    enter(world, setup)  # 2024: 110101 ENROL 900, 110102 ENROL 450, 310101 ENROL 700
    planner = world.user("ministry_planner")
    for year, national, beijing in ((2023, 1900, 1100), (2024, 2000, 1200)):
        indicator_services.set_target(planner, indicator=setup.enrol, unit=world.unit("MOE"), year=year, value=national)
        indicator_services.set_target(planner, indicator=setup.enrol, unit=world.unit("110000"), year=year, value=beijing)
    engine.rebuild()
    scheme = analytics_services.create_scheme(planner, code="BJ_DISTRICTS", name="北京各区评价", owner_unit=world.unit("MOE"),
                                              peer_parent=world.unit("110000"),
                                              measures=[{"indicator": "ENROL", "weight": 1, "normalisation": "minmax"}])
    run = analytics_services.compute_run(planner, scheme, 2024)
    return Figures(setup, build_small_plan(world), run)
