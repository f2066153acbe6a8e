"""Issue 12: self-approval by a detour, and the lost first report."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from luoshi.accounts import services as account_services
from luoshi.core.services import EditConflict
from luoshi.orgs import services as org_services
from luoshi.plans import services
from luoshi.plans.models import ProgressReport


def _post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def author(world):
    """Someone who reports for 东城区 and also reviews for 北京 (which assigned 东城区 its part)."""
    admin = world.user("admin")
    user = account_services.create_user(admin, username="dual_role", password=None, display_name="双角色")
    org_services.add_membership(admin, user=user, unit=world.unit("110101"), role="reporter")
    org_services.add_membership(admin, user=user, unit=world.unit("110000"), role="reviewer")
    return user


def test_it_refuses_approval_by_the_author_when_a_colleague_submitted(world, small, author):
    report = services.save_report(author, small.dongcheng, world.unit("110101"), "2024-Q1", {"status": "on_track", "percent": 40})
    services.submit_report(world.user("beijing_reporter"), report)
    with pytest.raises(PermissionDenied):
        services.approve_report(author, report)
    assert ProgressReport.objects.get(pk=report.pk).state == "submitted"
    # Someone who neither wrote nor edited it may approve.
    services.approve_report(world.user("beijing_reviewer"), report)


def test_it_refuses_approval_by_someone_who_edited_an_earlier_version(world, small, author):
    colleague = world.user("beijing_reporter")
    unit = world.unit("110101")
    report = services.save_report(colleague, small.dongcheng, unit, "2024-Q1", {"status": "on_track", "percent": 20})
    services.save_report(author, small.dongcheng, unit, "2024-Q1", {"percent": 25})  # the author edits version 1
    services.submit_report(colleague, report)
    services.return_report(world.user("beijing_reviewer"), report, "请补充")
    services.save_report(colleague, small.dongcheng, unit, "2024-Q1", {"percent": 30})
    services.submit_report(colleague, report)
    with pytest.raises(PermissionDenied):
        services.return_report(author, report, "再补充")
    with pytest.raises(PermissionDenied):
        services.approve_report(author, report)


def test_the_api_answers_403_to_a_detoured_self_approval(world, small, author, api):
    report = services.save_report(author, small.dongcheng, world.unit("110101"), "2024-Q1", {"status": "on_track", "percent": 40})
    services.submit_report(world.user("beijing_reporter"), report)
    _token, raw = account_services.create_token(author, author, "test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")
    assert _post(client, f"/api/v1/reports/{report.pk}/approve").status_code == 403
    assert ProgressReport.objects.get(pk=report.pk).state == "submitted"


# The lost first report -------------------------------------------------------------------------

def test_two_first_reports_from_forms_conflict_visibly(world, small, login):
    url = f"/plans/{small.plan.pk}/items/{small.dongcheng.pk}/report/"
    admin = world.user("admin")
    colleague = account_services.create_user(admin, username="dongcheng_reporter", password=None)
    org_services.add_membership(admin, user=colleague, unit=world.unit("110101"), role="reporter")
    first, second = login("beijing_reporter"), Client(HTTP_ACCEPT_LANGUAGE="en")
    second.force_login(colleague)
    target = {"period": "2024-Q1", "unit": world.unit("110101").pk}
    for client in (first, second):
        page = client.get(url, target)
        assert page.status_code == 200
        assert 'name="version" value="0"' in page.content.decode()
    form = {**target, "status": "on_track", "percent": "10", "achievements": "", "problems": "", "next_steps": "", "version": "0"}
    assert first.post(url, {**form, "achievements": "第一份"}).status_code == 302
    answer = second.post(url, {**form, "achievements": "第二份"})
    assert answer.status_code == 200  # the form again, with the conflict shown
    assert "changed by someone else" in answer.content.decode()
    assert ProgressReport.objects.get(item=small.dongcheng, period="2024-Q1").achievements == "第一份"


def test_a_concurrent_first_insert_becomes_a_conflict_not_an_error(world, small, monkeypatch):
    reporter = world.user("beijing_reporter")
    unit = world.unit("110101")
    services.save_report(reporter, small.dongcheng, unit, "2024-Q1", {"status": "on_track", "percent": 10, "achievements": "先"})
    # The other transaction's row was not visible when this one looked (PostgreSQL, read committed).
    monkeypatch.setattr(services, "_locked_report", lambda item, unit, period: None)
    with pytest.raises(EditConflict):
        services.save_report(reporter, small.dongcheng, unit, "2024-Q1", {"percent": 20, "achievements": "后"}, expected_version=0)
    assert ProgressReport.objects.get(item=small.dongcheng, period="2024-Q1").achievements == "先"


def test_the_api_needs_a_version_to_change_an_existing_report(world, small, api):
    client = api("beijing_reporter")
    url = f"/api/v1/items/{small.dongcheng.pk}/reports"
    body = {"unit": "110101", "period": "2024-Q1", "percent": 10, "achievements": "第一份"}
    created = _post(client, url, body)
    assert created.status_code == 200, created.content
    again = _post(client, url, {**body, "achievements": "第二份"})  # no version: meant as a creation
    assert again.status_code == 409
    assert ProgressReport.objects.get(pk=created.json()["id"]).achievements == "第一份"
    edited = _post(client, url, {**body, "achievements": "改过", "version": created.json()["version"]})
    assert edited.status_code == 200 and edited.json()["achievements"] == "改过"


@pytest.mark.parametrize("path, body", [
    ("/api/v1/items/{measure}", {"title": "无版本"}),
    ("/api/v1/plans/{plan}", {"title": "无版本"}),
])
def test_api_field_updates_need_the_version_read(world, small, api, path, body):
    client = api("ministry_planner")
    url = path.format(measure=small.measure.pk, plan=small.plan.pk)
    answer = client.patch(url, json.dumps(body), content_type="application/json")
    assert answer.status_code == 422 and "version" in answer.json()["errors"], answer.content


def test_org_unit_updates_need_the_version_read(world, api):
    answer = api("beijing_admin").patch("/api/v1/org-units/110101", json.dumps({"name": "无版本"}), content_type="application/json")
    assert answer.status_code == 422 and "version" in answer.json()["errors"], answer.content


# The expand toggle --------------------------------------------------------------------------------

def test_no_expand_toggle_on_an_item_whose_sub_items_are_all_hidden(world, small, login):
    # 教育部 breaks 上海's part down to a unit 上海 cannot see (a structural edit by the assigning unit).
    services.add_item(world.user("ministry_planner"), small.plan, parent=small.shanghai, title="另一部分",
                      lead_unit=world.unit("110000"))
    url = f"/plans/{small.plan.pk}/children/?parent={small.measure.pk}"

    def row_of(html: str, item) -> str:
        return html.split(f'/items/{item.pk}/"', 1)[0].rsplit("<li>", 1)[-1]

    shanghai_view = login("shanghai_reporter").get(url).content.decode()
    assert "data-tree-toggle" not in row_of(shanghai_view, small.shanghai)
    ministry_view = login("ministry_planner").get(url).content.decode()
    assert "data-tree-toggle" in row_of(ministry_view, small.shanghai)


# Unit choices as a searchable combobox -------------------------------------------------------------

def test_the_unit_search_offers_only_units_the_user_may_assign_work_to(world, login):
    client = login("beijing_planner")
    found = client.get("/plans/unit-options/", {"q": "东城"}).content.decode()
    assert 'role="option"' in found and "110101" in found
    assert "310101" not in client.get("/plans/unit-options/", {"q": "黄浦"}).content.decode()
    assert "310000" not in client.get("/plans/unit-options/", {"q": "上海"}).content.decode()
    assert login(None).get("/plans/unit-options/", {"q": "东城"}).status_code == 302


def test_the_item_form_is_a_combobox_not_a_list_of_every_unit(world, small, login):
    page = login("beijing_planner").get(f"/plans/{small.plan.pk}/items/new/", {"parent": small.beijing.pk}).content.decode()
    assert 'role="combobox"' in page and 'name="lead_unit_search"' in page
    assert '<select name="lead_unit"' not in page and '<select name="co_owners"' not in page


def test_a_typed_code_is_resolved_in_scope(world, small, login):
    client = login("beijing_planner")
    url = f"/plans/{small.plan.pk}/items/new/?parent={small.beijing.pk}"
    form = {"kind": "measure", "title": "海淀区落实", "lead_unit": "", "lead_unit_search": "110108 · 海淀区",
            "co_owners_search": "110101", "weight": "1", "parent": small.beijing.pk}
    answer = client.post(url, form)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    from luoshi.plans.models import PlanItem

    item = PlanItem.objects.get(title="海淀区落实")
    assert item.lead_unit.code == "110108" and [u.code for u in item.co_owners.all()] == ["110101"]
    refused = client.post(url, {**form, "title": "越界", "lead_unit_search": "310101"})
    assert refused.status_code == 200 and "No unit with code 310101" in refused.content.decode()
    assert not PlanItem.objects.filter(title="越界").exists()
