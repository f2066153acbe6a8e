"""The pilots demo: both programmes, pilots in 北京 and 上海, every outcome, idempotent."""

from __future__ import annotations

import pytest

from luoshi.core.context import batch
from luoshi.pilots import demo
from luoshi.pilots.models import Application, Pilot, Programme, Review
from luoshi.plans import demo as plan_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_the_demo_covers_the_whole_path_and_runs_twice(world):
    with batch("cli"):
        plan_demo.load(world.admin)
        summary = demo.load(world.admin)
    assert summary["pilots"] == 6
    assert set(Programme.objects.values_list("title", flat=True)) == {demo.DIGITAL, demo.COUNTY}
    assert Programme.objects.get(title=demo.COUNTY).status == "open"
    outcomes = set(Review.objects.values_list("outcome", flat=True))
    assert outcomes == {"promote", "continue", "adjust", "close"}
    assert Review.objects.filter(outcome="promote", kind="final").count() >= 2
    assert Review.objects.filter(kind="midterm").exists()
    units = set(Pilot.objects.values_list("unit__code", flat=True))
    assert {u[:2] for u in units if u[0].isdigit()} == {"11", "31"}          # districts of both cities
    assert any(u.startswith("S11") for u in units) and any(u.startswith("S31") for u in units)  # and schools
    assert Pilot.objects.filter(state="running").exists() and Pilot.objects.filter(state="promoted").count() >= 2
    assert Application.objects.filter(state="declined").exclude(decision_reason="").exists()
    for programme in Programme.objects.all():
        assert "示例" in programme.title and "illustrative" in programme.call_text
    with batch("cli"):
        assert demo.load(world.admin) == {}
    assert Pilot.objects.count() == 6
