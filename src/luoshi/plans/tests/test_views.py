"""The plan pages: every URL renders for a user in scope, 404 out of scope, 403 for the wrong role;
lazy tree partials, constant query counts, safe exports, and the write flows through the services."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from luoshi.audit.models import AuditRecord
from luoshi.core.tabular import write_xlsx
from luoshi.plans import services
from luoshi.plans.models import Evidence, Notification, Plan, PlanItem, ProgressReport
from luoshi.plans.tests.conftest import SmallPlan

DATA = {"status": "on_track", "percent": Decimal(40), "achievements": "完成园所布局调研。"}


@dataclass
class Pages:
    small: SmallPlan
    submitted: ProgressReport  # 东城区's 2024-Q1 report, waiting for 北京's reviewers
    draft: ProgressReport      # 东城区's 2024-Q2 draft, with one evidence file
    evidence: Evidence

    @property
    def plan(self) -> Plan:
        return self.small.plan


@pytest.fixture
def pages(world, small, settings, tmp_path) -> Pages:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    reporter, unit = world.user("beijing_reporter"), world.unit("110101")
    submitted = services.submit_report(reporter, services.save_report(reporter, small.dongcheng, unit, "2024-Q1", DATA))
    draft = services.save_report(reporter, small.dongcheng, unit, "2024-Q2", {**DATA, "percent": Decimal(55)})
    evidence = services.add_evidence(reporter, draft, SimpleUploadedFile("督导记录.pdf", b"%PDF-1.4 evidence"))
    return Pages(small, ProgressReport.objects.get(pk=submitted.pk), ProgressReport.objects.get(pk=draft.pk), evidence)


def _urls(p: Pages) -> dict[str, tuple[str, str]]:
    """URL name → (path, GET or POST) for every view of the URL contract, on 东城区's objects."""
    plan, item = p.plan.pk, p.small.dongcheng.pk
    return {
        "list": (reverse("plans:list"), "GET"),
        "create": (reverse("plans:create"), "GET"),
        "my_work": (reverse("plans:my_work"), "GET"),
        "reviews": (reverse("plans:reviews"), "GET"),
        "supervision": (reverse("plans:supervision"), "GET"),
        "supervision_export": (reverse("plans:supervision_export", args=["csv"]), "GET"),
        "notifications": (reverse("plans:notifications"), "GET"),
        "notifications_read": (reverse("plans:notifications_read"), "POST"),
        "detail": (reverse("plans:detail", args=[plan]), "GET"),
        "edit": (reverse("plans:edit", args=[plan]), "GET"),
        "history": (reverse("plans:history", args=[plan]), "GET"),
        "status": (reverse("plans:status", args=[plan]) + "?status=archived", "GET"),
        "renumber": (reverse("plans:renumber", args=[plan]), "GET"),
        "children": (reverse("plans:children", args=[plan]) + f"?parent={p.small.beijing.pk}", "GET"),
        "unit_options": (reverse("plans:unit_options") + "?q=110", "GET"),
        "filter_unit_options": (reverse("plans:filter_unit_options", args=[plan]) + "?q=110", "GET"),
        "supervision_unit_options": (reverse("plans:supervision_unit_options") + "?q=110", "GET"),
        "item_create": (reverse("plans:item_create", args=[plan]) + f"?parent={item}", "GET"),
        "items_import": (reverse("plans:items_import", args=[plan]), "GET"),
        "items_export": (reverse("plans:items_export", args=[plan]), "GET"),
        "items_template": (reverse("plans:items_template", args=[plan]), "GET"),
        "item": (reverse("plans:item", args=[plan, item]), "GET"),
        "item_edit": (reverse("plans:item_edit", args=[plan, item]), "GET"),
        "item_move": (reverse("plans:item_move", args=[plan, item]), "GET"),
        "item_delete": (reverse("plans:item_delete", args=[plan, item]), "GET"),
        "report_edit": (reverse("plans:report_edit", args=[plan, item]), "GET"),
        "report": (reverse("plans:report", args=[p.draft.pk]), "GET"),
        "report_submit": (reverse("plans:report_submit", args=[p.draft.pk]), "POST"),
        "report_review": (reverse("plans:report_review", args=[p.submitted.pk]), "GET"),
        "evidence_upload": (reverse("plans:evidence_upload", args=[p.draft.pk]), "POST"),
        "evidence": (reverse("plans:evidence", args=[p.evidence.pk]), "GET"),
        "evidence_delete": (reverse("plans:evidence_delete", args=[p.evidence.pk]), "POST"),
    }


# Who may use each page in the 北京 district: the planner of 北京 (who assigned 东城区 its item),
# 北京's reporter (who writes 东城区's reports) and 北京's reviewer (who reviews them).
IN_SCOPE = {
    "create": "ministry_planner", "reviews": "beijing_reviewer", "edit": "ministry_planner",
    "status": "ministry_planner", "renumber": "ministry_planner", "item_create": "beijing_planner",
    "items_import": "beijing_planner", "item_edit": "beijing_planner", "item_move": "beijing_planner",
    "item_delete": "beijing_planner", "report_review": "beijing_reviewer", "unit_options": "beijing_planner",
}
OK_STATUS = {"notifications_read": 302, "report_submit": 302, "evidence_upload": 302, "evidence_delete": 302}


def test_it_renders_every_url_for_a_user_in_scope(pages, login):
    from luoshi.plans import urls

    table = _urls(pages)
    assert set(table) == {p.name for p in urls.urlpatterns}
    for name, (path, method) in table.items():
        client = login(IN_SCOPE.get(name, "beijing_reporter"))
        response = client.post(path) if method == "POST" else client.get(path)
        assert response.status_code == OK_STATUS.get(name, 200), (name, path, response.status_code)


OUT_OF_SCOPE = ["item", "item_edit", "item_move", "item_delete", "report_edit", "report", "report_submit",
                "report_review", "evidence_upload", "evidence", "evidence_delete", "item_create"]


@pytest.mark.parametrize("name", OUT_OF_SCOPE)
def test_it_answers_404_out_of_scope(pages, login, name):
    """上海's reporter cannot see 北京's district item, its reports or their evidence."""
    path, method = _urls(pages)[name]
    client = login("shanghai_reporter")
    response = client.post(path) if method == "POST" else client.get(path)
    assert response.status_code == 404, (name, response.status_code)


WRONG_ROLE = {
    "create": "beijing_reporter", "edit": "beijing_reporter", "status": "beijing_reporter",
    "renumber": "beijing_planner", "item_edit": "beijing_reporter", "item_move": "beijing_reporter",
    "item_delete": "beijing_reviewer", "item_create": "beijing_reporter", "items_import": "beijing_reporter",
    "report_edit": "beijing_reviewer", "report_submit": "beijing_reviewer", "report_review": "beijing_reporter",
    "evidence_upload": "beijing_reviewer", "evidence_delete": "beijing_reviewer",
}


@pytest.mark.parametrize("name", sorted(WRONG_ROLE))
def test_it_answers_403_for_the_wrong_role(pages, login, name):
    path, method = _urls(pages)[name]
    client = login(WRONG_ROLE[name])
    response = client.post(path) if method == "POST" else client.get(path)
    assert response.status_code == 403, (name, response.status_code)


def test_it_sends_anonymous_users_to_the_login_page(pages, client):
    for name, (path, method) in _urls(pages).items():
        response = client.post(path) if method == "POST" else client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


# The tree -------------------------------------------------------------------------------------

def test_it_loads_only_the_visible_children(pages, login):
    small = pages.small
    path = reverse("plans:children", args=[small.plan.pk]) + f"?parent={small.measure.pk}"
    shanghai = login("shanghai_reporter").get(path, HTTP_HX_REQUEST="true").content.decode()
    assert small.shanghai.title in shanghai and small.beijing.title not in shanghai
    beijing = login("beijing_reporter").get(path, HTTP_HX_REQUEST="true").content.decode()
    assert small.beijing.title in beijing and small.shanghai.title not in beijing
    assert "<html" not in beijing  # a partial, not a page


def test_it_shows_only_the_top_level_on_the_plan_page(pages, login):
    html = login("ministry_planner").get(reverse("plans:detail", args=[pages.plan.pk])).content.decode()
    assert pages.small.task.title in html
    assert pages.small.measure.title not in html  # loaded on demand
    assert f'hx-get="{reverse("plans:children", args=[pages.plan.pk])}?parent={pages.small.task.pk}"' in html
    assert 'role="progressbar"' in html and 'aria-valuenow="' in html
    assert 'id="chart-data"' in html and "vendor/echarts/echarts.min.js" in html
    assert "Done: 100% or reported done." in html  # the light rule, as tooltip and legend


def test_it_lists_matching_items_flat_when_filtering(pages, login):
    client = login("ministry_planner")
    response = client.get(reverse("plans:detail", args=[pages.plan.pk]), {"q": "东城区"})
    html = response.content.decode()
    assert "1 matching item" in html and pages.small.dongcheng.title in html
    assert pages.small.shanghai.title not in html
    partial = client.get(reverse("plans:detail", args=[pages.plan.pk]), {"unit": pages.small.shanghai.lead_unit_id},
                         HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and pages.small.shanghai.title in partial and pages.small.dongcheng.title not in partial


def _queries(client, url: str, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_it_renders_the_plan_page_in_a_constant_number_of_queries(world, login, django_assert_max_num_queries):
    """Tree, flat list and children partial cost the same whatever the plan's size (no per-row queries)."""
    planner, u = world.user("ministry_planner"), world.unit
    plan = services.create_plan(planner, title="大规划", issuer=u("MOE"), start_year=2024, end_year=2024)
    top = [services.add_item(planner, plan, title=f"任务{i}", lead_unit=u("MOE-JCJYS")) for i in range(3)]
    services.add_item(planner, plan, parent=top[1], title="举措", lead_unit=u("110000"))
    client = login("ministry_planner")
    page = reverse("plans:detail", args=[plan.pk])
    children = reverse("plans:children", args=[plan.pk])
    client.get("/")  # the navigation badges are counted once, then cached: every measurement alike
    tree, flat = _queries(client, page), _queries(client, page, light="grey", q="举措")
    partial = _queries(client, children, parent=top[1].pk)
    for i in range(20):
        parent = services.add_item(planner, plan, title=f"新任务{i}", lead_unit=u("MOE-GJS"), co_owners=[u("MOE-KJS")])
        for j in range(3):
            services.add_item(planner, plan, parent=parent if j == 0 else top[j], title=f"举措{i}.{j}", lead_unit=u("110000"))
    assert PlanItem.objects.filter(plan=plan).count() == 84
    client.get("/")  # the writes renewed the badges' generation: count them again first
    with django_assert_max_num_queries(tree):
        assert client.get(page).status_code == 200
    # (+1: 61 matches overflow the first page, which then needs its COUNT; a first page that holds
    # every match is counted from its rows, as the small plan's was)
    with django_assert_max_num_queries(flat + 1):
        assert "61 matching items" in client.get(page, {"light": "grey", "q": "举措"}).content.decode()
    with django_assert_max_num_queries(partial):
        client.get(children, {"parent": top[1].pk}, HTTP_HX_REQUEST="true")


def test_it_loads_long_sibling_lists_in_pages(world, login, monkeypatch):
    from luoshi.plans import views

    monkeypatch.setattr(views, "CHILDREN_PAGE", 5)
    planner, u = world.user("ministry_planner"), world.unit
    plan = services.create_plan(planner, title="长列表", issuer=u("MOE"), start_year=2024, end_year=2024)
    for i in range(12):
        services.add_item(planner, plan, title=f"条目{i:02d}", lead_unit=u("MOE-JCJYS"))
    client = login("ministry_planner")
    html = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "条目04" in html and "条目05" not in html and "Show more (5 of 12 shown)" in html
    more = client.get(reverse("plans:children", args=[plan.pk]), {"page": 3}, HTTP_HX_REQUEST="true").content.decode()
    assert "条目10" in more and "条目11" in more and "条目09" not in more and "Show more" not in more


# Exports --------------------------------------------------------------------------------------

def test_it_neutralises_formulas_in_exports(pages, world, login):
    services.update_item(world.user("beijing_planner"), pages.small.dongcheng, {"title": "=HYPERLINK(\"http://x\",\"y\")"})
    client = login("ministry_planner")
    body = client.get(reverse("plans:supervision_export", args=["csv"])).content.decode("utf-8-sig")
    titles = [row[2] for row in csv.reader(io.StringIO(body))]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in titles
    assert not any(t.startswith("=") for t in titles)

    from openpyxl import load_workbook

    for url in (reverse("plans:supervision_export", args=["xlsx"]), reverse("plans:items_export", args=[pages.plan.pk])):
        sheet = load_workbook(io.BytesIO(client.get(url).content)).active
        values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert "'=HYPERLINK(\"http://x\",\"y\")" in values, url
        assert not any(v.startswith("=") for v in values), url


def test_it_filters_the_supervision_list_and_its_export(pages, login):
    client = login("ministry_planner")
    shanghai = pages.small.shanghai.lead_unit
    html = client.get(reverse("plans:supervision"), {"unit": shanghai.pk}).content.decode()
    assert pages.small.shanghai.title in html and pages.small.dongcheng.title not in html
    body = client.get(reverse("plans:supervision_export", args=["csv"]), {"unit": shanghai.pk}).content.decode("utf-8-sig")
    assert pages.small.shanghai.title in body and pages.small.dongcheng.title not in body
    assert client.get(reverse("plans:supervision_export", args=["pdf"])).status_code == 404


def test_it_offers_an_import_template_with_the_service_columns(pages, login):
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(login("ministry_planner").get(reverse("plans:items_template", args=[pages.plan.pk])).content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == services.ITEM_COLUMNS + services.ITEM_OPTIONAL and len(rows) == 2


def test_it_imports_items_or_lists_every_bad_row(pages, login):
    client = login("ministry_planner")
    url = reverse("plans:items_import", args=[pages.plan.pk])
    header = services.ITEM_COLUMNS
    bad = write_xlsx(header, [["9", "", "measure", "", "MOE-JCJYS", "2024-12-31"], ["10", "", "nonsense", "好", "NOPE", "soon"]])
    response = client.post(url, {"file": SimpleUploadedFile("items.xlsx", bad)})
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="import-errors"' in html
    assert html.count("<tr><td>2</td>") >= 1 and html.count("<tr><td>3</td>") >= 3
    assert not PlanItem.objects.filter(plan=pages.plan, code__in=["9", "10"]).exists()

    good = write_xlsx(header, [["9", "", "measure", "新增举措", "MOE-JCJYS", "2024-12-31"]])
    response = client.post(url, {"file": SimpleUploadedFile("items.xlsx", good)})
    assert response.status_code == 302
    assert PlanItem.objects.filter(plan=pages.plan, code="9", title="新增举措").exists()
    refused = client.post(url, {"file": SimpleUploadedFile("items.exe", b"MZ")})
    assert "Only .xlsx and .csv files can be imported." in refused.content.decode()


# Forms and write flows ------------------------------------------------------------------------

def test_it_creates_and_publishes_a_plan(world, login):
    client = login("ministry_planner")
    moe = world.unit("MOE")
    response = client.post(reverse("plans:create"), {"title": "新规划", "issuer": moe.pk, "start_year": 2025,
                                                    "end_year": 2026, "period": "quarterly", "description": ""})
    plan = Plan.objects.get(title="新规划")
    assert response.status_code == 302 and plan.issuer == moe
    refused = client.post(reverse("plans:status", args=[plan.pk]), {"status": "published"}, follow=True)
    assert "without items cannot be published" in refused.content.decode()
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_it_offers_only_units_where_the_user_may_add_plans(login, world):
    html = login("beijing_planner").get(reverse("plans:create")).content.decode()
    assert f'value="{world.unit("110000").pk}"' in html
    assert f'value="{world.unit("MOE").pk}"' not in html and f'value="{world.unit("310000").pk}"' not in html


def test_it_shows_a_conflict_and_keeps_the_input(pages, world, login):
    item = pages.small.dongcheng
    client = login("beijing_planner")
    stale = item.version
    services.update_item(world.user("beijing_planner"), item, {"title": "别人改过的标题"})
    form = {"kind": "measure", "title": "我的标题", "lead_unit": item.lead_unit_id, "start_date": "2024-01-01",
            "due_date": "2025-06-30", "weight": "1", "version": stale}
    response = client.post(reverse("plans:item_edit", args=[pages.plan.pk, item.pk]), form)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="conflict"' in html
    assert 'value="我的标题"' in html and "别人改过的标题" in html
    item.refresh_from_db()
    assert item.title == "别人改过的标题"


def test_it_cascades_a_sub_item_to_a_unit_below(pages, world, login):
    client = login("beijing_planner")
    response = client.post(reverse("plans:item_create", args=[pages.plan.pk]), {
        "parent": pages.small.beijing.pk, "kind": "measure", "title": "海淀区落实", "lead_unit": world.unit("110108").pk,
        "weight": "1"})
    assert response.status_code == 302
    child = PlanItem.objects.get(title="海淀区落实")
    assert child.parent_id == pages.small.beijing.pk and child.assigned_by == world.unit("110000")


def test_it_confirms_how_many_items_a_delete_takes(pages, login):
    client = login("ministry_planner")
    url = reverse("plans:item_delete", args=[pages.plan.pk, pages.small.beijing.pk])
    assert "2 items will be deleted" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not PlanItem.objects.filter(pk__in=[pages.small.beijing.pk, pages.small.dongcheng.pk]).exists()


def test_it_moves_an_item(pages, login):
    client = login("ministry_planner")
    url = reverse("plans:item_move", args=[pages.plan.pk, pages.small.shanghai.pk])
    html = client.get(url).content.decode()
    assert f'<option value="{pages.small.shanghai.pk}"' not in html  # not below itself
    response = client.post(url, {"parent": pages.small.task.pk, "position": "1", "version": pages.small.shanghai.version})
    assert response.status_code == 302
    moved = PlanItem.objects.get(pk=pages.small.shanghai.pk)
    assert moved.parent_id == pages.small.task.pk and moved.position == 0


def test_it_saves_and_submits_a_report(pages, world, login):
    client = login("beijing_reporter")
    url = reverse("plans:report_edit", args=[pages.plan.pk, pages.small.dongcheng.pk])
    assert 'value="2024-Q3" selected' in client.get(url, {"period": "2024-Q3"}).content.decode()
    response = client.post(url, {"period": "2024-Q3", "unit": world.unit("110101").pk, "status": "at_risk",
                                 "percent": "60", "achievements": "进展", "problems": "", "next_steps": ""})
    report = ProgressReport.objects.get(item=pages.small.dongcheng, period="2024-Q3")
    assert response.status_code == 302 and report.state == "draft" and report.percent == 60
    client.post(reverse("plans:report_submit", args=[report.pk]), {"version": report.version})
    report.refresh_from_db()
    assert report.state == "submitted"


def test_it_offers_only_started_periods_within_the_horizon(pages, login):
    html = login("beijing_reporter").get(reverse("plans:report_edit", args=[pages.plan.pk, pages.small.dongcheng.pk])).content.decode()
    select = html.split('name="period"')[1].split("</select>")[0]
    assert "2024-Q1" in select and "2025-Q4" in select and "2023-Q4" not in select and "2026-Q1" not in select


def test_it_shows_the_service_message_for_an_illegal_transition(pages, login):
    client = login("beijing_reporter")
    response = client.post(reverse("plans:report_submit", args=[pages.submitted.pk]), {"version": pages.submitted.version}, follow=True)
    assert "cannot be submitted" in response.content.decode()
    pages.submitted.refresh_from_db()
    assert pages.submitted.state == "submitted"


def test_it_requires_a_comment_to_return_a_report(pages, login):
    client = login("beijing_reviewer")
    url = reverse("plans:report_review", args=[pages.submitted.pk])
    response = client.post(url, {"decision": "return", "comment": " ", "version": pages.submitted.version})
    assert response.status_code == 200 and "Say why the report is returned." in response.content.decode()
    pages.submitted.refresh_from_db()
    assert pages.submitted.state == "submitted"
    response = client.post(url, {"decision": "return", "comment": "请补充数据", "version": pages.submitted.version})
    assert response.status_code == 302
    pages.submitted.refresh_from_db()
    assert pages.submitted.state == "returned" and pages.submitted.review_comment == "请补充数据"
    item_page = login("beijing_reporter").get(reverse("plans:item", args=[pages.plan.pk, pages.small.dongcheng.pk]))
    assert "returned-comment" in item_page.content.decode() and "请补充数据" in item_page.content.decode()


def test_it_lists_reports_to_review_and_counts_them_in_the_nav(pages, login):
    client = login("beijing_reviewer")
    html = client.get(reverse("plans:reviews")).content.decode()
    assert reverse("plans:report_review", args=[pages.submitted.pk]) in html
    assert 'data-testid="review-count"' in client.get(reverse("core:home")).content.decode()
    assert 'data-testid="review-count"' not in login("shanghai_reviewer").get(reverse("core:home")).content.decode()


def test_it_serves_evidence_only_through_authz(pages, login, settings):
    response = login("beijing_reviewer").get(reverse("plans:evidence", args=[pages.evidence.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 evidence"
    assert "attachment" in response["Content-Disposition"]
    html = login("beijing_reporter").get(reverse("plans:report", args=[pages.draft.pk])).content.decode()
    assert settings.MEDIA_URL not in html and reverse("plans:evidence", args=[pages.evidence.pk]) in html
    assert login("shanghai_reviewer").get(reverse("plans:evidence", args=[pages.evidence.pk])).status_code == 404


def test_it_uploads_and_removes_evidence(pages, login):
    client = login("beijing_reporter")
    client.post(reverse("plans:evidence_upload", args=[pages.draft.pk]), {"file": SimpleUploadedFile("统计.csv", b"a,b\n1,2\n")})
    assert pages.draft.evidence.filter(name="统计.csv").exists()
    fake = client.post(reverse("plans:evidence_upload", args=[pages.draft.pk]), {"file": SimpleUploadedFile("x.pdf", b"not a pdf")}, follow=True)
    assert "does not look like" in fake.content.decode()
    client.post(reverse("plans:evidence_delete", args=[pages.evidence.pk]))
    assert not Evidence.objects.filter(pk=pages.evidence.pk).exists()


def test_it_marks_notifications_read_with_an_audit_record(pages, world, login):
    reviewer = world.user("beijing_reviewer")
    notes = list(Notification.objects.filter(user=reviewer, read_at__isnull=True))
    assert notes
    client = login("beijing_reviewer")
    html = client.get(reverse("core:home")).content.decode()
    assert 'data-testid="unread-count"' in html and notes[0].title in html
    response = client.post(reverse("plans:notifications_read"), {"id": notes[0].pk, "next": notes[0].url})
    assert response.status_code == 302 and response["Location"] == notes[0].url
    assert Notification.objects.get(pk=notes[0].pk).read_at is not None
    assert AuditRecord.objects.filter(object_id=str(notes[0].pk), verb="read", actor=reviewer).exists()
    offsite = client.post(reverse("plans:notifications_read"), {"next": "https://evil.example/"})
    assert offsite["Location"] == reverse("plans:notifications")
    assert not Notification.objects.filter(user=reviewer, read_at__isnull=True).exists()
    # Someone else's unread notification, named by id: it stays unread, and no record claims otherwise.
    other = Notification.objects.create(user=world.user("beijing_reporter"), kind="due_soon", title="别人的提醒")
    client.post(reverse("plans:notifications_read"), {"id": other.pk})
    assert Notification.objects.get(pk=other.pk).read_at is None  # only one's own
    assert not AuditRecord.objects.filter(object_id=str(other.pk), verb="read").exists()


def test_it_groups_my_work_and_shows_missing_reports(pages, login):
    html = login("beijing_reporter").get(reverse("plans:my_work")).content.decode()
    assert pages.small.dongcheng.title in html
    assert "Missing" in html or "Draft" in html or "Submitted" in html


def test_it_shows_my_work_highlights_on_the_home_page(world, login):
    planner, u = world.user("ministry_planner"), world.unit
    plan = services.create_plan(planner, title="逾期规划", issuer=u("MOE"), start_year=2020, end_year=2020)
    late = services.add_item(planner, plan, title="早该完成的事", lead_unit=u("110101"), start_date=date(2020, 1, 1), due_date=date(2020, 6, 30))
    services.set_plan_status(planner, plan, "published")
    html = login("beijing_reporter").get(reverse("core:home")).content.decode()
    assert late.title in html and "overdue" in html


def test_it_shows_the_history_of_a_plan_a_report_and_a_group(world, small, login):
    from luoshi.orgs.models import OrgGroup
    from luoshi.plans import services as plan_services

    planner = world.user("ministry_planner")
    plan_services.update_plan(planner, small.plan, {"title": "测试规划（修订）"})
    page = login("ministry_reviewer").get(f"/plans/{small.plan.pk}/history/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "测试规划（修订）" in page and "ministry_planner" in page
    assert login("shanghai_reporter").get(f"/plans/{small.plan.pk}/history/").status_code == 200  # published: its part is visible
    report = plan_services.save_report(world.user("beijing_reporter"), small.beijing, world.unit("110000"), "2024-Q1",
                                       {"status": "on_track", "percent": 10})
    page = login("beijing_reviewer").get(f"/plans/reports/{report.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "beijing_reporter" in page and "History" in page
    group = OrgGroup.objects.get(code="JHDLS")
    assert "History" in login("ministry_reviewer").get(f"/units/groups/{group.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
