"""Fixtures of analytics: the indicators app's setup, with values entered through its services."""

from __future__ import annotations

import pytest

from luoshi.indicators import services as indicator_services
from luoshi.indicators.services import Entry
from luoshi.indicators.tests.conftest import build_setup

# county -> (ENROL, POP, PUPILS urban, PUPILS rural)
VALUES = {
    "110101": (900, 1000, 300, 100),
    "110102": (450, 500, 200, 50),
    "310101": (700, 1000, 10, 20),
}


def enter(world, setup, year: str = "2024", values=VALUES) -> None:
    for code, (enrol, pop, urban, rural) in values.items():
        reporter = world.user("beijing_reporter" if code.startswith("11") else "shanghai_reporter")
        result = indicator_services.save_values(reporter, dataset=setup.dataset, unit=world.unit(code), period=year, entries=[
            Entry("ENROL", enrol), Entry("POP", pop),
            Entry("PUPILS", urban, category_code="urban"), Entry("PUPILS", rural, category_code="rural")])
        assert result.ok, result.errors


@pytest.fixture
def filled(world):
    """The indicators setup with 2024 values of three counties (two in 北京, one in 上海)."""
    setup = build_setup(world)
    enter(world, setup)
    return setup
