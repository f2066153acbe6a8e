"""Optimistic locking: a save based on a stale version is refused and shows what changed."""

from __future__ import annotations

import json

import pytest

from luoshi.core.services import EditConflict
from luoshi.plans import services
from luoshi.plans.models import PlanItem


def test_it_refuses_a_stale_item_edit_and_names_the_changed_fields(world, small):
    planner = world.user("ministry_planner")
    version = small.measure.version
    services.update_item(planner, small.measure, {"title": "推进学前教育普及普惠安全优质发展"}, expected_version=version)
    with pytest.raises(EditConflict) as caught:
        services.update_item(planner, small.measure, {"deliverables": "评估报告"}, expected_version=version)
    assert [name for name, _b, _a in caught.value.changes] == ["title"]
    item = PlanItem.objects.get(pk=small.measure.pk)
    assert item.deliverables == "" and item.title == "推进学前教育普及普惠安全优质发展"


def test_it_answers_409_to_a_stale_api_update(world, small, api):
    client = api("ministry_planner")
    url = f"/api/v1/items/{small.measure.pk}"
    version = client.get(url).json()["version"]
    ok = client.patch(url, json.dumps({"title": "新标题", "version": version}), content_type="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == version + 1
    stale = client.patch(url, json.dumps({"title": "另一个标题", "version": version}), content_type="application/json")
    assert stale.status_code == 409
    body = stale.json()
    assert body["current_version"] == version + 1 and body["changes"][0]["field"] == "title"
    assert PlanItem.objects.get(pk=small.measure.pk).title == "新标题"


def test_it_refuses_a_stale_report_edit(world, small):
    reporter = world.user("beijing_reporter")
    report = services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", {"status": "on_track", "percent": 10})
    services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", {"percent": 20}, expected_version=report.version)
    with pytest.raises(EditConflict):
        services.save_report(reporter, small.beijing, world.unit("110000"), "2024-Q1", {"percent": 30}, expected_version=report.version)
