"""The plans API: listing, outline, item writes and the report workflow, scoped and audited."""

from __future__ import annotations

import json

from luoshi.audit.models import AuditRecord
from luoshi.plans.models import Plan, ProgressReport


def _post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def test_it_lists_plans_in_scope_with_pagination(world, small, api):
    body = api("beijing_reporter").get("/api/v1/plans").json()
    assert set(body) == {"items", "count"} and body["count"] == 1
    assert body["items"][0]["title"] == "测试规划" and body["items"][0]["issuer"] == "MOE"
    assert api("nobody").get("/api/v1/plans").json()["count"] == 0
    assert api(None).get("/api/v1/plans").status_code == 401


def test_it_returns_the_outline_as_a_nested_tree(world, small, api):
    outline = api("ministry_reviewer").get(f"/api/v1/plans/{small.plan.pk}/outline").json()
    assert [n["title"] for n in outline] == ["夯实基础教育基点"]
    node = outline[0]["children"][0]
    assert {"id", "code", "kind", "title", "lead_unit", "due", "progress", "status", "children"} <= set(node)
    assert node["lead_unit"] == "MOE-JCJYS" and len(node["children"]) == 2
    assert node["children"][0]["children"][0]["lead_unit"] == "110101"


def test_it_creates_a_plan_and_items_through_the_api(world, api):
    client = api("ministry_planner")
    created = _post(client, "/api/v1/plans", {"title": "接口规划", "issuer": "MOE", "start_year": 2025, "end_year": 2027})
    assert created.status_code == 201, created.content
    plan_id = created.json()["id"]
    item = _post(client, f"/api/v1/plans/{plan_id}/items", {"title": "任务一", "lead_unit": "MOE-GJS", "kind": "key_task",
                                                             "due_date": "2026-06-30"})
    assert item.status_code == 201, item.content
    assert item.json()["code"] == "1" and item.json()["assigned_by"] == "MOE"
    bad = _post(client, f"/api/v1/plans/{plan_id}/items", {"title": "越界", "lead_unit": "MOE-GJS", "due_date": "2030-01-01"})
    assert bad.status_code == 422 and "due_date" in bad.json()["errors"]
    assert AuditRecord.objects.filter(content_type__model="plan", object_id=str(plan_id), source="api").exists()
    # A reporter may not create plans.
    denied = _post(api("beijing_reporter"), "/api/v1/plans", {"title": "x", "issuer": "110000", "start_year": 2025, "end_year": 2025})
    assert denied.status_code == 403
    # A unit outside scope is not found.
    hidden = _post(api("beijing_planner"), "/api/v1/plans", {"title": "x", "issuer": "310000", "start_year": 2025, "end_year": 2025})
    assert hidden.status_code == 404


def test_it_runs_the_report_workflow_through_the_api(world, small, api):
    reporter, reviewer = api("beijing_reporter"), api("beijing_reviewer")
    saved = _post(reporter, f"/api/v1/items/{small.dongcheng.pk}/reports",
                  {"unit": "110101", "period": "2024-Q1", "percent": 30, "status": "on_track", "achievements": "已部署"})
    assert saved.status_code == 200, saved.content
    report_id = saved.json()["id"]
    assert _post(reviewer, f"/api/v1/reports/{report_id}/approve").status_code == 422  # still a draft
    assert _post(reporter, f"/api/v1/reports/{report_id}/submit").json()["state"] == "submitted"
    assert _post(reviewer, f"/api/v1/reports/{report_id}/return", {"comment": ""}).status_code == 422
    returned = _post(reviewer, f"/api/v1/reports/{report_id}/return", {"comment": "请补充材料"})
    assert returned.json()["state"] == "returned"
    assert _post(reporter, f"/api/v1/reports/{report_id}/submit").status_code == 200
    approved = _post(reviewer, f"/api/v1/reports/{report_id}/approve", {"comment": "同意"})
    assert approved.json()["state"] == "approved"
    outline = reviewer.get(f"/api/v1/plans/{small.plan.pk}/outline").json()
    beijing = outline[0]["children"][0]["children"][0]
    assert beijing["lead_unit"] == "110000" and beijing["progress"] == 30.0  # rolled up from 东城区
    assert beijing["children"][0]["progress"] == 30.0
    # Shanghai cannot see it; a report for an item the unit does not hold is refused.
    assert api("shanghai_reporter").get(f"/api/v1/reports/{report_id}").status_code == 404
    assert ProgressReport.objects.get(pk=report_id).state == "approved"
    wrong = _post(api("shanghai_reporter"), f"/api/v1/items/{small.shanghai.pk}/reports",
                  {"unit": "310101", "period": "2024-Q1", "percent": 10})
    assert wrong.status_code == 422


def test_it_publishes_a_plan_through_the_api(world, api):
    from luoshi.plans.tests.conftest import build_small_plan

    draft = build_small_plan(world, status="draft")
    client = api("ministry_planner")
    response = client.patch(f"/api/v1/plans/{draft.plan.pk}", json.dumps({"status": "published"}), content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert Plan.objects.get(pk=draft.plan.pk).status == "published"
