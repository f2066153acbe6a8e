"""Issue 12: odd API input gets a 4xx naming the field, never a 500."""

from __future__ import annotations

import json

import pytest

from luoshi.plans.tests.conftest import build_small_plan

HUGE = "99999999999999999999"


@pytest.mark.parametrize("url", [
    f"/api/v1/plans?offset={HUGE}",
    f"/api/v1/plans?limit={HUGE}",
    f"/api/v1/org-units?offset={HUGE}",
    "/api/v1/plans?offset=-1",
    "/api/v1/plans?limit=0",
])
def test_out_of_range_paging_is_a_422_naming_the_parameter(world, api, url):
    response = api("ministry_planner").get(url)
    assert response.status_code == 422, response.content
    name = url.split("?")[1].split("=")[0]
    assert name in response.content.decode()


@pytest.mark.parametrize("url", [
    f"/api/v1/plans/{HUGE}", f"/api/v1/items/{HUGE}", f"/api/v1/reports/{HUGE}", f"/api/v1/plans/{HUGE}/outline",
    f"/api/v1/items/{HUGE}/reports",
])
def test_an_id_beyond_64_bits_is_not_a_server_error(world, api, url):
    response = api("ministry_planner").get(url)
    assert response.status_code in (404, 422), response.content


def test_explicit_null_for_text_fields_is_a_422_naming_the_field(world, api):
    small = build_small_plan(world)
    client = api("ministry_planner")
    plan = client.patch(f"/api/v1/plans/{small.plan.pk}", json.dumps({"description": None, "version": small.plan.version}),
                        content_type="application/json")
    assert plan.status_code == 422 and "description" in plan.json()["errors"], plan.content
    item = client.patch(f"/api/v1/items/{small.measure.pk}", json.dumps({"deliverables": None, "version": small.measure.version}),
                        content_type="application/json")
    assert item.status_code == 422 and "deliverables" in item.json()["errors"], item.content
    for field in ("title", "description", "kind", "lead_unit", "weight"):
        answer = client.patch(f"/api/v1/items/{small.measure.pk}", json.dumps({field: None, "version": small.measure.version}),
                              content_type="application/json")
        assert answer.status_code == 422 and field in answer.json()["errors"], (field, answer.content)
    unit = world.unit("110101")
    answer = api("beijing_admin").patch("/api/v1/org-units/110101", json.dumps({"short_name": None, "version": unit.version}),
                                        content_type="application/json")
    assert answer.status_code == 422 and "short_name" in answer.json()["errors"], answer.content


def test_explicit_null_in_creations_is_a_422_naming_the_field(world, api):
    client = api("ministry_planner")
    answer = client.post("/api/v1/plans", json.dumps({"title": "x", "issuer": "MOE", "start_year": 2026, "end_year": 2026,
                                                       "description": None}), content_type="application/json")
    assert answer.status_code == 422 and "description" in answer.content.decode(), answer.content
