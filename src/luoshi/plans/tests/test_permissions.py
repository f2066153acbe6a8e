"""Permission battery for plans, plan items, progress reports, their versions and evidence files,
and the policy texts plans are drafted from (see ``luoshi.core.testing.battery``).

The objects live in the district (110101 东城区; 310101 黄浦区 for the out-of-scope counterpart):

* a plan is issued by the district itself, with one item led by it;
* items belong to a published plan issued by the district's province (110000), which assigned
  them to the district; the district breaks them down to its school (cascading);
* reports are the district's reports on such an item, for 2024-Q1;
* an item of a *draft* plan of the ministry, led by the district, shows that the units holding
  a draft's items do not see it before it is published (there 北京's planner is out of scope).

Who plays which part: 北京's planner writes plans and items, 北京's reporter writes the
district's reports, and 北京's reviewer reviews them (北京 assigned the item). The wrong role is
北京's reporter for planning and 北京's planner for reporting; out of scope is the 上海 user of the
same role, who does not see 北京's work at all.
"""

from __future__ import annotations

import io
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from luoshi.core import authz
from luoshi.core.tabular import TableError, read_table
from luoshi.core.testing.battery import Action, Http, ModelSpec, generate
from luoshi.orgs.models import OrgUnit
from luoshi.plans import queries, services
from luoshi.plans.models import Evidence, Plan, PlanItem, ProgressReport, ReportVersion, SourceDocument

PERIOD = "2024-Q1"
NEW_TITLE = "测试标题（已修改）"
EVIDENCE_NAME = "督导记录.pdf"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Evidence files go to a temporary media directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _html(response) -> str:
    return response.content.decode()


def _links_to(path):
    return lambda c, r: f'href="{path(c)}"' in _html(r)


def _api_lists(c, r) -> bool:
    return any(row["id"] == c.pk for row in r.json()["items"])


def _xlsx_rows(response) -> list[tuple]:
    ws = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return list(ws.iter_rows(values_only=True))


def _with(unit: OrgUnit, **attrs) -> OrgUnit:
    """A fresh instance of ``unit`` carrying what an "add" case needs (the item to add below …).

    "add" cases target the org unit the new object will belong to, as the battery checks
    ``authz.can_in_unit`` on it.
    """
    fresh = OrgUnit.objects.get(pk=unit.pk)
    for name, value in attrs.items():
        setattr(fresh, name, value)
    return fresh


def _school(district: OrgUnit) -> OrgUnit:
    return OrgUnit.objects.filter(parent=district, type="school").order_by("code").first()


# Plans ---------------------------------------------------------------------------------------

def make_plan(world, district) -> Plan:
    """A draft plan issued by ``district`` with one item led by it (so that it can be published)."""
    plan = services.create_plan(world.admin, title=f"测试规划{_tag()}", issuer=district, start_year=2024, end_year=2025)
    services.add_item(world.admin, plan, title="测试任务", kind="key_task", lead_unit=district)
    return Plan.objects.get(pk=plan.pk)


def make_published_plan(world, district) -> Plan:
    plan = make_plan(world, district)
    services.set_plan_status(world.admin, plan, Plan.Status.PUBLISHED)
    return Plan.objects.get(pk=plan.pk)


def _district(world, home):
    return home


def _plan_page(c) -> str:
    return f"/plans/{c.pk}/"


def _new_plan_title(c) -> str:
    return f"新规划{c.new_code}"


def _new_plan_exists(c) -> bool:
    return Plan.objects.filter(title=_new_plan_title(c), issuer=c.obj).exists()


def _plan_form(c) -> dict:
    return {"title": NEW_TITLE, "start_year": c.obj.start_year, "end_year": c.obj.end_year, "period": c.obj.period,
            "description": "", "version": c.obj.version}


def _status_is(status):
    return lambda c: c.refresh().status == status


def _outline(c) -> dict:
    """A parsed policy outline (the JSON of ``luoshi policy parse``), as the intake hands it over."""
    return {"title": _new_plan_title(c), "doc_number": "京教〔2024〕1号", "clean_text": "一、总体要求\n坚持立德树人。",
            "items": [{"marker": "一、", "title": "总体要求", "text": "坚持立德树人。", "children": []}]}


PLAN = ModelSpec(
    model=Plan,
    make=make_plan,
    in_scope="beijing_planner",
    wrong_role="beijing_reporter",   # sees 北京's plans, may not write them
    out_of_scope="shanghai_planner",
    actions=(
        Action(
            "list", listing=True,
            ui=Http("get", lambda c: "/plans/", data=lambda c: {"q": c.obj.title}, shows=_links_to(_plan_page)),
            api=Http("get", lambda c: "/api/v1/plans", data=lambda c: {"q": c.obj.title}, shows=_api_lists),
            service=lambda user, c: queries.plans(user, q=c.obj.title),
        ),
        Action(
            "detail",
            ui=Http("get", _plan_page),
            api=Http("get", lambda c: f"/api/v1/plans/{c.pk}"),
            service=lambda user, c: authz.get_or_404(user, Plan, pk=c.pk),
        ),
        Action(
            "outline",
            api=Http("get", lambda c: f"/api/v1/plans/{c.pk}/outline"),
            service=lambda user, c: queries.outline(user, authz.get_or_404(user, Plan, pk=c.pk)),
        ),
        Action("import_template", ui=Http("get", lambda c: f"/plans/{c.pk}/items/template.xlsx")),
        Action(
            # A form choice: a unit outside the user's scope is not among the issuers offered,
            # so the form comes back with an error (200) rather than a 404.
            "add", permission="add", target=_district, audit="create", effect=_new_plan_exists,
            ui=Http("post", lambda c: "/plans/new/", ok=302,
                    data=lambda c: {"title": _new_plan_title(c), "issuer": c.obj.pk, "start_year": 2024, "end_year": 2025,
                                    "period": "quarterly", "description": ""}),
            api=Http("post", lambda c: "/api/v1/plans", ok=201, json=True,
                     data=lambda c: {"title": _new_plan_title(c), "issuer": c.obj.code, "start_year": 2024, "end_year": 2025}),
            service=lambda user, c: services.create_plan(user, title=_new_plan_title(c), issuer=c.obj,
                                                         start_year=2024, end_year=2025),
            expect={("ui", "out_of_scope"): 200},
        ),
        Action(
            # Drafting a plan from a policy text (what the intake UI calls): source document, plan, items.
            "add_from_outline", permission="add", target=_district, audit="create", effect=_new_plan_exists,
            service=lambda user, c: services.create_plan_from_outline(user, title=_new_plan_title(c), issuer=c.obj,
                                                                      parsed=_outline(c), filename="通知.txt",
                                                                      start_year=2024, end_year=2025),
        ),
        Action(
            "change", permission="change", audit="update", effect=lambda c: c.refresh().title == NEW_TITLE,
            ui=Http("post", lambda c: f"/plans/{c.pk}/edit/", ok=302, data=_plan_form),
            api=Http("patch", lambda c: f"/api/v1/plans/{c.pk}", json=True,
                     data=lambda c: {"title": NEW_TITLE, "version": c.obj.version}),
            service=lambda user, c: services.update_plan(user, c.obj, {"title": NEW_TITLE}),
        ),
        Action(
            # Renumbering changes the plan's items (their audit records), not the plan.
            "renumber", permission="change", audit="update", verb="renumber", audit_model=PlanItem,
            prepare=lambda c: PlanItem.objects.filter(plan_id=c.pk).update(code="X"),
            effect=lambda c: not PlanItem.objects.filter(plan_id=c.pk, code="X").exists(),
            ui=Http("post", lambda c: f"/plans/{c.pk}/renumber/", ok=302),
            service=lambda user, c: services.renumber(user, c.obj),
        ),
        Action(
            "publish", permission="publish", audit="update", verb="published", effect=_status_is("published"),
            ui=Http("post", lambda c: f"/plans/{c.pk}/status/", ok=302, data=lambda c: {"status": "published"}),
            api=Http("patch", lambda c: f"/api/v1/plans/{c.pk}", json=True, data=lambda c: {"status": "published"}),
            service=lambda user, c: services.set_plan_status(user, c.obj, "published"),
        ),
        Action(
            "publish_confirm", permission="publish",  # the confirmation page
            ui=Http("get", lambda c: f"/plans/{c.pk}/status/", data=lambda c: {"status": "published"}),
        ),
        Action(
            "archive", permission="publish", target=make_published_plan, audit="update", verb="archived",
            effect=_status_is("archived"),
            ui=Http("post", lambda c: f"/plans/{c.pk}/status/", ok=302, data=lambda c: {"status": "archived"}),
            api=Http("patch", lambda c: f"/api/v1/plans/{c.pk}", json=True, data=lambda c: {"status": "archived"}),
            service=lambda user, c: services.set_plan_status(user, c.obj, "archived"),
        ),
        Action(
            "delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
            service=lambda user, c: services.delete_plan(user, c.obj),
        ),
    ),
)


# Plan items ----------------------------------------------------------------------------------

def _published_plan_of(world, district) -> Plan:
    """A published plan of the district's province, which assigned the district items A and B."""
    province = district.parent
    plan = services.create_plan(world.admin, title=f"测试规划{_tag()}", issuer=province, start_year=2024, end_year=2025)
    for code in ("A", "B"):
        services.add_item(world.admin, plan, code=code, title=f"测试事项{code}{_tag()}", lead_unit=district,
                          start_date=date(2024, 1, 1), due_date=date(2025, 12, 31))
    services.set_plan_status(world.admin, plan, Plan.Status.PUBLISHED)
    return plan


def make_item(world, district) -> PlanItem:
    """Item A: led by ``district``, assigned by its province, in a published plan."""
    plan = _published_plan_of(world, district)
    return PlanItem.objects.select_related("plan").get(plan=plan, code="A")


def make_sub_item(world, district) -> PlanItem:
    """The district's breakdown of item A to its school."""
    item = make_item(world, district)
    return services.add_item(world.admin, item.plan, parent=item, title=f"学校落实{_tag()}", lead_unit=_school(district))


def make_draft_item(world, district) -> PlanItem:
    """An item led by ``district`` in a draft plan of the ministry, already broken down by the
    ministry's planners to 北京 and on to the district (so 北京 is its assigning unit).

    Until the plan is published, only the ministry's scope sees it: the units holding its items
    (北京 and the district) do not, not even the item they would assign.
    """
    plan = services.create_plan(world.admin, title=f"测试规划{_tag()}", issuer=world.unit("MOE"), start_year=2024, end_year=2025)
    province = services.add_item(world.admin, plan, title=f"省级任务{_tag()}", lead_unit=district.parent)
    return services.add_item(world.admin, plan, parent=province, title=f"区级任务{_tag()}", lead_unit=district)


# The ministry's draft plan is the ministry's whatever the district: it is anchored at the root
# unit, which has no parent, and a prefix twin of the root would not hold the plan.
ROOT_ANCHOR = "anchored at the root unit (the ministry's draft plan), which has no unit above it"
DRAFT_NA = {"above": ROOT_ANCHOR, "above_not_covering": ROOT_ANCHOR,
            "prefix": "the ministry's plan is made for the ministry whatever the district, so no twin holds it"}


def _cascade_target(world, district) -> OrgUnit:
    """The district, with its item A to break down (``.item``) to its school (``.school``)."""
    return _with(district, item=make_item(world, district), school=_school(district))


def _top_target(world, district) -> OrgUnit:
    """The district, with a published plan of its province (``.plan``) to add a top-level item to."""
    return _with(district, plan=_published_plan_of(world, district))


def _item_page(c) -> str:
    return f"/plans/{c.obj.plan_id}/items/{c.pk}/"


def _new_item_title(c) -> str:
    return f"新事项{c.new_code}"


def _new_item_exists(c) -> bool:
    return PlanItem.objects.filter(title=_new_item_title(c)).exists()


def _new_sub_item_exists(c) -> bool:
    return PlanItem.objects.filter(title=_new_item_title(c), parent=c.obj.item, lead_unit=c.obj.school,
                                   assigned_by=c.obj).exists()


def _item_form(c, **extra) -> dict:
    return {"kind": "measure", "title": _new_item_title(c), "description": "", "start_date": "", "due_date": "",
            "weight": "1", "deliverables": "", **extra}


def _sibling(c) -> PlanItem:
    return PlanItem.objects.get(plan_id=c.obj.plan_id, code="B")


def _outline_shows(c, nodes) -> bool:
    def walk(nodes):
        for node in nodes:
            yield node["id"]
            yield from walk(node["children"])

    return c.pk in set(walk(nodes))


def _import_csv(c) -> bytes:
    return (f"code,parent_code,kind,title,lead_unit,due_date\n"
            f"{c.new_code},A,measure,{_new_item_title(c)},{c.obj.school.code},2025-06-30\n").encode()


def _import_service(user, c):
    rows = read_table(_import_csv(c), "items.csv", services.ITEM_COLUMNS, services.ITEM_OPTIONAL)
    return services.import_items(user, c.obj.item.plan, rows, "items.csv")


PLAN_ITEM = ModelSpec(
    model=PlanItem,
    make=make_item,
    in_scope="beijing_planner",      # 北京 assigned the item
    wrong_role="beijing_reporter",   # sees it, may not plan
    out_of_scope="shanghai_planner",
    actions=(
        Action(
            "tree", listing=True,  # the plan's top level, loaded by htmx
            ui=Http("get", lambda c: f"/plans/{c.obj.plan_id}/children/", shows=_links_to(_item_page),
                    out_of_scope_status=404),
            service=lambda user, c: queries.children(user, c.obj.plan, None),
        ),
        Action(
            "plan_page", listing=True,  # the plan page lists its top level
            ui=Http("get", lambda c: f"/plans/{c.obj.plan_id}/", shows=_links_to(_item_page), out_of_scope_status=404),
            service=lambda user, c: queries.items(user, c.obj.plan),
        ),
        Action(
            "children", listing=True, target=make_sub_item,  # a tree node opened: the sub-items of A
            ui=Http("get", lambda c: f"/plans/{c.obj.plan_id}/children/", data=lambda c: {"parent": c.obj.parent_id},
                    shows=_links_to(_item_page), out_of_scope_status=404),
            service=lambda user, c: queries.children(user, c.obj.plan, c.obj.parent),
        ),
        Action(
            "cascade", listing=True, target=make_sub_item,  # the parent item's page lists its breakdown
            ui=Http("get", lambda c: f"/plans/{c.obj.plan_id}/items/{c.obj.parent_id}/", shows=_links_to(_item_page),
                    out_of_scope_status=404),
            service=lambda user, c: queries.cascade(user, c.obj.parent),
        ),
        Action(
            "outline", listing=True,
            api=Http("get", lambda c: f"/api/v1/plans/{c.obj.plan_id}/outline", shows=lambda c, r: _outline_shows(c, r.json()),
                     out_of_scope_status=404),
            service=lambda user, c: queries.outline(user, c.obj.plan),
            service_shows=_outline_shows,
        ),
        Action(
            "export", listing=True,
            ui=Http("get", lambda c: f"/plans/{c.obj.plan_id}/items/export.xlsx",
                    shows=lambda c, r: any(row[3] == c.obj.title for row in _xlsx_rows(r)), out_of_scope_status=404),
            service=lambda user, c: services.export_item_rows(user, c.obj.plan),
            service_shows=lambda c, result: any(row[3] == c.obj.title for row in result[1]),
        ),
        Action(
            "detail",
            ui=Http("get", _item_page),
            api=Http("get", lambda c: f"/api/v1/items/{c.pk}"),
            service=lambda user, c: authz.get_or_404(user, PlanItem, pk=c.pk),
        ),
        Action(
            "draft_detail", target=make_draft_item, in_scope="ministry_planner", out_of_scope="beijing_planner",
            shapes_na=DRAFT_NA,
            ui=Http("get", _item_page),
            api=Http("get", lambda c: f"/api/v1/items/{c.pk}"),
            service=lambda user, c: authz.get_or_404(user, PlanItem, pk=c.pk),
        ),
        Action(
            "draft_change", permission="change", target=make_draft_item, in_scope="ministry_planner",
            wrong_role="ministry_reporter", out_of_scope="beijing_planner", shapes_na=DRAFT_NA,
            audit="update", effect=lambda c: c.refresh().title == NEW_TITLE,
            ui=Http("post", lambda c: f"{_item_page(c)}edit/", ok=302,
                    data=lambda c: {**_item_form(c, lead_unit=c.obj.lead_unit_id, version=c.obj.version), "title": NEW_TITLE}),
            api=Http("patch", lambda c: f"/api/v1/items/{c.pk}", json=True,
                     data=lambda c: {"title": NEW_TITLE, "version": c.obj.version}),
            service=lambda user, c: services.update_item(user, c.obj, {"title": NEW_TITLE}),
        ),
        Action(
            # Cascading: the district's planners break item A down to the district's school.
            "add", permission="add", target=_cascade_target, audit="create", effect=_new_sub_item_exists,
            ui=Http("post", lambda c: f"/plans/{c.obj.item.plan_id}/items/new/", ok=302,
                    data=lambda c: _item_form(c, parent=c.obj.item.pk, code="", lead_unit=c.obj.school.pk)),
            api=Http("post", lambda c: f"/api/v1/plans/{c.obj.item.plan_id}/items", ok=201, json=True,
                     data=lambda c: {"title": _new_item_title(c), "lead_unit": c.obj.school.code, "parent": c.obj.item.pk}),
            service=lambda user, c: services.add_item(user, c.obj.item.plan, parent=c.obj.item, title=_new_item_title(c),
                                                      lead_unit=c.obj.school),
        ),
        Action(
            # A top-level item, by the planners of the plan's issuer (北京).
            "add_top", permission="add", target=_top_target, audit="create", effect=_new_item_exists,
            ui=Http("post", lambda c: f"/plans/{c.obj.plan.pk}/items/new/", ok=302,
                    data=lambda c: _item_form(c, code="", lead_unit=c.obj.pk)),
            api=Http("post", lambda c: f"/api/v1/plans/{c.obj.plan.pk}/items", ok=201, json=True,
                     data=lambda c: {"title": _new_item_title(c), "lead_unit": c.obj.code}),
            service=lambda user, c: services.add_item(user, c.obj.plan, title=_new_item_title(c), lead_unit=c.obj),
        ),
        Action(
            # A bulk form: a planner without the role gets every row refused, listed in a TableError.
            "import", permission="add", target=_cascade_target, audit="create", effect=_new_sub_item_exists,
            ui=Http("post", lambda c: f"/plans/{c.obj.item.plan_id}/items/import/", ok=302,
                    data=lambda c: {"file": SimpleUploadedFile("items.csv", _import_csv(c), content_type="text/csv")}),
            service=_import_service,
            expect={("service", "wrong_role"): TableError},
        ),
        Action(
            "change", permission="change", audit="update", effect=lambda c: c.refresh().title == NEW_TITLE,
            ui=Http("post", lambda c: f"{_item_page(c)}edit/", ok=302,
                    data=lambda c: {**_item_form(c, lead_unit=c.obj.lead_unit_id, version=c.obj.version), "title": NEW_TITLE,
                                    "start_date": "2024-01-01", "due_date": "2025-12-31"}),
            api=Http("patch", lambda c: f"/api/v1/items/{c.pk}", json=True,
                     data=lambda c: {"title": NEW_TITLE, "version": c.obj.version}),
            service=lambda user, c: services.update_item(user, c.obj, {"title": NEW_TITLE}),
        ),
        Action(
            "move", permission="change", audit="update", verb="move",
            effect=lambda c: c.refresh().parent_id == _sibling(c).pk,
            ui=Http("post", lambda c: f"{_item_page(c)}move/", ok=302,
                    data=lambda c: {"parent": _sibling(c).pk, "position": "", "version": c.obj.version}),
            api=Http("post", lambda c: f"/api/v1/items/{c.pk}/move", json=True,
                     data=lambda c: {"parent": _sibling(c).pk, "version": c.obj.version}),
            service=lambda user, c: services.move_item(user, c.obj, _sibling(c)),
        ),
        Action(
            "delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
            ui=Http("post", lambda c: f"{_item_page(c)}delete/", ok=302),
            api=Http("delete", lambda c: f"/api/v1/items/{c.pk}", ok=204),
            service=lambda user, c: services.delete_item(user, c.obj),
        ),
        Action(
            "delete_confirm", permission="delete",  # the confirmation page
            ui=Http("get", lambda c: f"{_item_page(c)}delete/"),
        ),
    ),
)


# Progress reports ----------------------------------------------------------------------------

REPORT_DATA = {"status": "on_track", "percent": Decimal(40)}


def make_report(world, district) -> ProgressReport:
    """The district's draft report on its item A for 2024-Q1."""
    item = make_item(world, district)
    report = services.save_report(world.admin, item, district, PERIOD, {**REPORT_DATA, "achievements": f"完成调研{_tag()}"})
    return ProgressReport.objects.select_related("item").get(pk=report.pk)


def make_submitted_report(world, district) -> ProgressReport:
    report = make_report(world, district)
    services.submit_report(world.admin, report)
    return ProgressReport.objects.select_related("item").get(pk=report.pk)


def make_report_with_evidence(world, district) -> ProgressReport:
    report = make_report(world, district)
    services.add_evidence(world.admin, report, _upload())
    return report


def _upload() -> SimpleUploadedFile:
    return SimpleUploadedFile(EVIDENCE_NAME, b"%PDF-1.4 evidence", content_type="application/pdf")


def _evidence_of(c) -> Evidence:
    """The report's evidence file, looked up once (the URL is still needed after it is gone)."""
    if not hasattr(c, "evidence"):
        c.evidence = Evidence.objects.get(report_id=c.pk)
    return c.evidence


def _report_page(c) -> str:
    return f"/plans/reports/{c.pk}/"


def _report_edit(c) -> str:
    return f"/plans/{c.obj.item.plan_id}/items/{c.obj.item_id}/report/"


def _item_target(world, district) -> OrgUnit:
    """The district, with its item A (``.item``) to report on."""
    return _with(district, item=make_item(world, district))


def _new_report_exists(c) -> bool:
    return ProgressReport.objects.filter(item=c.obj.item, unit=c.obj, period=PERIOD).exists()


def _report_form(percent, version="") -> dict:
    return {"status": "on_track", "percent": str(percent), "achievements": "", "problems": "", "next_steps": "",
            "version": version}


def _state_is(state):
    return lambda c: c.refresh().state == state


# Reviewing is for the reviewers of the unit that assigned the item (北京).
REVIEW = {"in_scope": "beijing_reviewer", "wrong_role": "beijing_reporter", "out_of_scope": "shanghai_reviewer"}

PROGRESS_REPORT = ModelSpec(
    model=ProgressReport,
    make=make_report,
    in_scope="beijing_reporter",      # reports for 北京 and its districts
    wrong_role="beijing_planner",     # sees the report, does not report
    out_of_scope="shanghai_reporter",
    actions=(
        Action(
            "item_reports", listing=True,  # the report timeline of the item page
            ui=Http("get", lambda c: f"/plans/{c.obj.item.plan_id}/items/{c.obj.item_id}/", shows=_links_to(_report_page),
                    out_of_scope_status=404),
            api=Http("get", lambda c: f"/api/v1/items/{c.obj.item_id}/reports", shows=_api_lists, out_of_scope_status=404),
            service=lambda user, c: queries.item_reports(user, c.obj.item),
        ),
        Action(
            # The review queue is a work list: for a user who may not review it is empty, not forbidden.
            "review_queue", permission="review", listing=True, target=make_submitted_report, **REVIEW,
            ui=Http("get", lambda c: "/plans/reviews/", shows=_links_to(lambda c: f"/plans/reports/{c.pk}/review/")),
            service=lambda user, c: queries.review_queue(user),
            expect={("ui", "wrong_role"): 200},
        ),
        Action(
            "detail",
            ui=Http("get", _report_page),
            api=Http("get", lambda c: f"/api/v1/reports/{c.pk}"),
            service=lambda user, c: authz.get_or_404(user, ProgressReport, pk=c.pk),
        ),
        Action(
            "edit_form", permission="change",  # the report form of the item, opened on this report
            ui=Http("get", _report_edit, data=lambda c: {"period": c.obj.period, "unit": c.obj.unit_id}),
        ),
        Action(
            "add", permission="add", target=_item_target, audit="create", effect=_new_report_exists,
            ui=Http("post", lambda c: f"/plans/{c.obj.item.plan_id}/items/{c.obj.item.pk}/report/", ok=302,
                    data=lambda c: {"period": PERIOD, "unit": c.obj.pk, **_report_form(30)}),
            api=Http("post", lambda c: f"/api/v1/items/{c.obj.item.pk}/reports", json=True,
                     data=lambda c: {"unit": c.obj.code, "period": PERIOD, "percent": 30}),
            service=lambda user, c: services.save_report(user, c.obj.item, c.obj, PERIOD, {**REPORT_DATA}),
        ),
        Action(
            "change", permission="change", audit="update", effect=lambda c: c.refresh().percent == Decimal(66),
            ui=Http("post", _report_edit, ok=302,
                    data=lambda c: {"period": c.obj.period, "unit": c.obj.unit_id, **_report_form(66, c.obj.version)}),
            api=Http("post", lambda c: f"/api/v1/items/{c.obj.item_id}/reports", json=True,
                     data=lambda c: {"unit": c.obj.unit.code, "period": c.obj.period, "percent": 66, "version": c.obj.version}),
            service=lambda user, c: services.save_report(user, c.obj.item, c.obj.unit, c.obj.period, {"percent": Decimal(66)}),
        ),
        Action(
            "add_evidence", permission="change", audit="create", audit_model=Evidence,
            effect=lambda c: Evidence.objects.filter(report_id=c.pk, name=EVIDENCE_NAME).exists(),
            ui=Http("post", lambda c: f"/plans/reports/{c.pk}/evidence/", ok=302, data=lambda c: {"file": _upload()}),
            service=lambda user, c: services.add_evidence(user, c.obj, _upload()),
        ),
        Action(
            "remove_evidence", permission="change", target=make_report_with_evidence, audit="delete", audit_model=Evidence,
            effect=lambda c: not Evidence.objects.filter(report_id=c.pk).exists(),
            prepare=_evidence_of,
            ui=Http("post", lambda c: f"/plans/evidence/{_evidence_of(c).pk}/delete/", ok=302),
            service=lambda user, c: services.remove_evidence(user, _evidence_of(c)),
        ),
        Action(
            "submit", permission="submit", audit="transition", verb="submit", effect=_state_is("submitted"),
            ui=Http("post", lambda c: f"/plans/reports/{c.pk}/submit/", ok=302, data=lambda c: {"version": c.obj.version}),
            api=Http("post", lambda c: f"/api/v1/reports/{c.pk}/submit", json=True, data=lambda c: {"version": c.obj.version}),
            service=lambda user, c: services.submit_report(user, c.obj),
        ),
        Action(
            "review_page", permission="review", target=make_submitted_report, **REVIEW,
            ui=Http("get", lambda c: f"/plans/reports/{c.pk}/review/"),
        ),
        Action(
            "approve", permission="review", target=make_submitted_report, **REVIEW,
            audit="transition", verb="approve", effect=_state_is("approved"),
            ui=Http("post", lambda c: f"/plans/reports/{c.pk}/review/", ok=302,
                    data=lambda c: {"decision": "approve", "comment": "", "version": c.obj.version}),
            api=Http("post", lambda c: f"/api/v1/reports/{c.pk}/approve", json=True, data=lambda c: {"version": c.obj.version}),
            service=lambda user, c: services.approve_report(user, c.obj),
        ),
        Action(
            "return", permission="review", target=make_submitted_report, **REVIEW,
            audit="transition", verb="return", effect=_state_is("returned"),
            ui=Http("post", lambda c: f"/plans/reports/{c.pk}/review/", ok=302,
                    data=lambda c: {"decision": "return", "comment": "请补充量化数据。", "version": c.obj.version}),
            api=Http("post", lambda c: f"/api/v1/reports/{c.pk}/return", json=True,
                     data=lambda c: {"comment": "请补充量化数据。", "version": c.obj.version}),
            service=lambda user, c: services.return_report(user, c.obj, "请补充量化数据。"),
        ),
    ),
)


# Report versions -----------------------------------------------------------------------------

def make_version(world, district) -> ReportVersion:
    """The frozen copy made when the district's report was submitted."""
    report = make_submitted_report(world, district)
    return ReportVersion.objects.select_related("report").get(report=report, number=1)


def _versions_show(c, response) -> bool:
    """The version table (not the report itself) shows the version's frozen text."""
    html = _html(response)
    if 'id="versions-head"' not in html:
        return False
    section = html.split('id="versions-head"', 1)[1].split("</section>", 1)[0]
    return c.obj.data["achievements"] in section


REPORT_VERSION = ModelSpec(
    model=ReportVersion,
    make=make_version,
    in_scope="beijing_reporter",
    out_of_scope="shanghai_reporter",
    actions=(
        Action(
            "report_page", listing=True,
            ui=Http("get", lambda c: f"/plans/reports/{c.obj.report_id}/", shows=_versions_show, out_of_scope_status=404),
            service=lambda user, c: queries.report_versions(user, c.obj.report),
        ),
        Action(
            # The review page is for those who may review the report (the service listing the
            # versions is tried by "report_page").
            "review_page", listing=True, in_scope="beijing_reviewer", out_of_scope="shanghai_reviewer",
            needs=("plans.progressreport", "review"),
            ui=Http("get", lambda c: f"/plans/reports/{c.obj.report_id}/review/", shows=_versions_show,
                    out_of_scope_status=404),
        ),
        Action(
            "detail",
            service=lambda user, c: authz.get_or_404(user, ReportVersion, pk=c.pk),
        ),
    ),
)


# Evidence files ------------------------------------------------------------------------------

def make_evidence(world, district) -> Evidence:
    """A file attached to the district's draft report."""
    report = make_report(world, district)
    return services.add_evidence(world.admin, report, _upload())


def _evidence_link(c) -> str:
    return f"/plans/evidence/{c.pk}/"


EVIDENCE = ModelSpec(
    model=Evidence,
    make=make_evidence,
    in_scope="beijing_reporter",
    out_of_scope="shanghai_reporter",
    actions=(
        Action(
            "report_page", listing=True,
            ui=Http("get", lambda c: f"/plans/reports/{c.obj.report_id}/", shows=_links_to(_evidence_link),
                    out_of_scope_status=404),
            service=lambda user, c: queries.report_evidence(user, c.obj.report),
        ),
        Action(
            "item_page", listing=True,  # the item's report timeline links the evidence too
            ui=Http("get", lambda c: f"/plans/{c.obj.report.item.plan_id}/items/{c.obj.report.item_id}/",
                    shows=_links_to(_evidence_link), out_of_scope_status=404),
        ),
        Action(
            "download",
            ui=Http("get", _evidence_link),
            service=lambda user, c: authz.get_or_404(user, Evidence, pk=c.pk),
        ),
    ),
)


# Source documents ----------------------------------------------------------------------------

def _parsed(title: str) -> dict:
    return {"title": title, "doc_number": "京教〔2024〕1号", "date": "2024-01-11", "clean_text": "一、总体要求\n坚持立德树人。"}


def make_source(world, district) -> SourceDocument:
    return services.save_source_document(world.admin, district, _parsed(f"关于推进教育工作的通知{_tag()}"), "通知.txt")


def _new_source_title(c) -> str:
    return f"新政策文件{c.new_code}"


SOURCE_DOCUMENT = ModelSpec(
    model=SourceDocument,
    make=make_source,
    in_scope="beijing_planner",
    wrong_role="beijing_reporter",
    out_of_scope="shanghai_planner",
    actions=(
        Action("list", listing=True, service=lambda user, c: authz.scope(user, SourceDocument)),
        Action("detail", service=lambda user, c: authz.get_or_404(user, SourceDocument, pk=c.pk)),
        Action(
            "add", permission="add", target=_district, audit="create",
            effect=lambda c: SourceDocument.objects.filter(title=_new_source_title(c), unit=c.obj).exists(),
            service=lambda user, c: services.save_source_document(user, c.obj, _parsed(_new_source_title(c)), "通知.txt"),
        ),
    ),
)

SPECS = [PLAN, PLAN_ITEM, PROGRESS_REPORT, REPORT_VERSION, EVIDENCE, SOURCE_DOCUMENT]

test_permissions = generate(SPECS)
