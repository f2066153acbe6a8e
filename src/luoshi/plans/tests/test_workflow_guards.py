"""Workflow guards of plans and progress reports (issue 13): each test fails if its guard goes.

The forbidden transitions are generated from the services' own tables (``TRANSITIONS`` for
reports, ``PLAN_STATUS_CHANGES`` for plans), so a transition added to a table is tried here too.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from luoshi.accounts import services as account_services
from luoshi.audit.models import AuditRecord
from luoshi.core.services import EditConflict
from luoshi.core.tabular import TableError
from luoshi.orgs import services as org_services
from luoshi.plans import services
from luoshi.plans.models import Evidence, Notification, Plan, PlanItem, ProgressReport

DATA = {"status": "on_track", "percent": Decimal(40), "achievements": "完成园所布局调研。"}
REPORT_STATES = [s.value for s in ProgressReport.State]
PLAN_STATES = [s.value for s in Plan.Status]


def _draft(world, small, period="2024-Q1") -> ProgressReport:
    return services.save_report(world.user("beijing_reporter"), small.beijing, world.unit("110000"), period, dict(DATA))


def _report_in(world, small, state: str) -> ProgressReport:
    """A report on 北京's item brought into ``state`` through the real services."""
    report = _draft(world, small)
    if state == "draft":
        return report
    services.submit_report(world.user("beijing_reporter"), report)
    if state == "approved":
        services.approve_report(world.user("ministry_reviewer"), report)
    elif state == "returned":
        services.return_report(world.user("ministry_reviewer"), report, "请补充数据。")
    report.refresh_from_db()
    assert report.state == state
    return report


def _do(world, action: str, report: ProgressReport):
    if action == "submit":
        return services.submit_report(world.user("beijing_reporter"), report)
    if action == "approve":
        return services.approve_report(world.user("ministry_reviewer"), report, "好")
    return services.return_report(world.user("ministry_reviewer"), report, "请补充。")


ACTION_WORDS = {"submit": "submitted", "approve": "approved", "return": "returned"}
FORBIDDEN_REPORT = [(state, action) for action, (sources, _t) in services.TRANSITIONS.items()
                    for state in REPORT_STATES if state not in sources]
ALLOWED_REPORT = [(state, action, target) for action, (sources, target) in services.TRANSITIONS.items()
                  for state in sorted(sources)]


def test_the_report_table_forbids_what_the_issue_names():
    assert ("approved", "return") in FORBIDDEN_REPORT and ("approved", "submit") in FORBIDDEN_REPORT
    assert ("draft", "approve") in FORBIDDEN_REPORT and ("returned", "approve") in FORBIDDEN_REPORT


@pytest.mark.parametrize(("state", "action"), FORBIDDEN_REPORT, ids=[f"{s}-{a}" for s, a in FORBIDDEN_REPORT])
def test_every_forbidden_report_transition_is_refused_with_a_clear_message(world, small, state, action):
    report = _report_in(world, small, state)
    before = (report.version, report.versions.count(), AuditRecord.objects.filter(action="transition").count())
    with pytest.raises(ValidationError) as refused:
        _do(world, action, report)
    label = str(ProgressReport.State(state).label)
    assert f"This report is {label} and cannot be {ACTION_WORDS[action]}." in refused.value.messages
    report.refresh_from_db()
    assert report.state == state
    assert (report.version, report.versions.count(), AuditRecord.objects.filter(action="transition").count()) == before


@pytest.mark.parametrize(("state", "action", "target"), ALLOWED_REPORT, ids=[f"{s}-{a}" for s, a, _t in ALLOWED_REPORT])
def test_every_allowed_report_transition_goes_where_the_table_says(world, small, state, action, target):
    report = _report_in(world, small, state)
    _do(world, action, report)
    report.refresh_from_db()
    assert report.state == target


def test_returning_an_already_approved_report_is_refused(world, small):
    report = _report_in(world, small, "approved")
    versions = report.versions.count()
    with pytest.raises(ValidationError, match="This report is Approved and cannot be returned"):
        services.return_report(world.user("ministry_reviewer"), report, "再看看")
    report.refresh_from_db()
    assert report.state == "approved" and report.review_comment == ""
    assert report.versions.count() == versions and report.versions.last().state == "approved"
    assert not Notification.objects.filter(kind="returned", item_id=small.beijing.pk).exists()


@pytest.fixture
def submitter_and_reviewer(world):
    """Someone who reports for 东城区 and reviews for 北京, which assigned 东城区 its part."""
    admin = world.user("admin")
    user = account_services.create_user(admin, username="submits_and_reviews", password=None, display_name="既报又审")
    org_services.add_membership(admin, user=user, unit=world.unit("110101"), role="reporter")
    org_services.add_membership(admin, user=user, unit=world.unit("110000"), role="reviewer")
    return user


def test_approving_a_report_one_submitted_oneself_is_refused(world, small, submitter_and_reviewer, settings):
    # A colleague wrote it; the dual-role user only submitted it, then tries to approve it.
    report = services.save_report(world.user("beijing_reporter"), small.dongcheng, world.unit("110101"), "2024-Q1", dict(DATA))
    services.submit_report(submitter_and_reviewer, report)
    for action in ("approve", "return"):
        with pytest.raises(PermissionDenied, match="cannot review a report you wrote, edited or submitted yourself"):
            if action == "approve":
                services.approve_report(submitter_and_reviewer, report)
            else:
                services.return_report(submitter_and_reviewer, report, "自己退回")
    assert ProgressReport.objects.get(pk=report.pk).state == "submitted"
    # The rule is the setting's: with self-review allowed (a one-person office) the same call passes.
    settings.LUOSHI_ALLOW_SELF_REVIEW = True
    services.approve_report(submitter_and_reviewer, report)
    assert ProgressReport.objects.get(pk=report.pk).state == "approved"


# Version checks ---------------------------------------------------------------------------------

def test_submit_with_a_stale_version_is_a_visible_conflict(world, small, login):
    report = _draft(world, small)
    stale = report.version
    services.save_report(world.user("beijing_reporter"), small.beijing, world.unit("110000"), "2024-Q1",
                         {**DATA, "percent": Decimal(55)}, expected_version=stale)
    with pytest.raises(EditConflict, match="changed by someone else"):
        services.submit_report(world.user("beijing_reporter"), report, expected_version=stale)
    assert ProgressReport.objects.get(pk=report.pk).state == "draft"
    page = login("beijing_reporter").post(reverse("plans:report_submit", args=[report.pk]), {"version": stale}, follow=True)
    assert "changed by someone else" in page.content.decode()
    assert ProgressReport.objects.get(pk=report.pk).state == "draft"


@pytest.mark.parametrize("decision", ["approve", "return"])
def test_review_with_a_stale_version_is_a_visible_conflict(world, small, login, decision):
    report = _report_in(world, small, "submitted")
    stale = report.version - 1
    with pytest.raises(EditConflict):
        if decision == "approve":
            services.approve_report(world.user("ministry_reviewer"), report, expected_version=stale)
        else:
            services.return_report(world.user("ministry_reviewer"), report, "理由", expected_version=stale)
    page = login("ministry_reviewer").post(reverse("plans:report_review", args=[report.pk]),
                                           {"decision": decision, "comment": "理由", "version": stale})
    assert page.status_code == 200 and "changed by someone else" in page.content.decode()
    report.refresh_from_db()
    assert report.state == "submitted"
    # With the current version the same review goes through.
    services.approve_report(world.user("ministry_reviewer"), report, expected_version=report.version)


def test_move_with_a_stale_version_is_a_visible_conflict(world, small, login):
    planner = world.user("ministry_planner")
    item = PlanItem.objects.get(pk=small.shanghai.pk)
    stale = item.version
    services.update_item(planner, item, {"title": "上海：推进学前教育普及普惠（修订）"}, expected_version=stale)
    with pytest.raises(EditConflict):
        services.move_item(planner, item, small.task, expected_version=stale)
    page = login("ministry_planner").post(reverse("plans:item_move", args=[small.plan.pk, item.pk]),
                                          {"parent": small.task.pk, "position": "", "version": stale})
    assert page.status_code == 200 and "changed by someone else" in page.content.decode()
    assert PlanItem.objects.get(pk=item.pk).parent_id == small.measure.pk


# Plans ------------------------------------------------------------------------------------------

FORBIDDEN_PLAN = [(old, new) for old in PLAN_STATES for new in PLAN_STATES if (old, new) not in services.PLAN_STATUS_CHANGES]


def test_the_plan_table_forbids_going_back_to_draft():
    assert ("published", "draft") in FORBIDDEN_PLAN and ("archived", "draft") in FORBIDDEN_PLAN
    assert ("draft", "archived") in FORBIDDEN_PLAN


def _plan_in(world, small, status: str) -> Plan:
    if status == "archived":
        services.set_plan_status(world.user("ministry_planner"), small.plan, "archived")
    elif status == "draft":
        Plan.objects.filter(pk=small.plan.pk).update(status="draft")
    plan = Plan.objects.get(pk=small.plan.pk)
    assert plan.status == status
    return plan


@pytest.mark.parametrize(("old", "new"), FORBIDDEN_PLAN, ids=[f"{o}-{n}" for o, n in FORBIDDEN_PLAN])
def test_every_forbidden_plan_status_change_is_refused_with_a_clear_message(world, small, old, new):
    plan = _plan_in(world, small, old)
    before = (plan.version, AuditRecord.objects.count())
    with pytest.raises(ValidationError) as refused:
        services.set_plan_status(world.user("ministry_planner"), plan, new)
    assert f"A plan cannot go from {plan.get_status_display()} to {new}." in refused.value.messages
    plan.refresh_from_db()
    assert plan.status == old and (plan.version, AuditRecord.objects.count()) == before


@pytest.mark.parametrize(("old", "new"), sorted(services.PLAN_STATUS_CHANGES))
def test_every_allowed_plan_status_change_goes_through(world, small, old, new):
    plan = _plan_in(world, small, old)
    services.set_plan_status(world.user("ministry_planner"), plan, new)
    assert Plan.objects.get(pk=plan.pk).status == new


def test_deleting_a_published_plan_is_refused(world, small):
    for status in ("published", "archived"):
        plan = _plan_in(world, small, status)
        with pytest.raises(ValidationError, match="Only a draft plan can be deleted"):
            services.delete_plan(world.user("ministry_planner"), plan)
        assert Plan.objects.filter(pk=plan.pk).exists() and PlanItem.objects.filter(plan=plan).count() == 5


def test_deleting_a_draft_plan_audits_each_of_its_items(world):
    from luoshi.plans.tests.conftest import build_small_plan

    draft = build_small_plan(world, status="draft")
    plan_id = draft.plan.pk
    item_ids = set(PlanItem.objects.filter(plan=draft.plan).values_list("pk", flat=True))
    assert len(item_ids) == 5
    services.delete_plan(world.user("ministry_planner"), draft.plan)
    assert not Plan.objects.filter(pk=plan_id).exists()
    deleted = AuditRecord.objects.filter(content_type__model="planitem", action="delete", actor=world.user("ministry_planner"))
    assert {int(pk) for pk in deleted.values_list("object_id", flat=True)} == item_ids
    assert AuditRecord.objects.filter(content_type__model="plan", object_id=str(plan_id), action="delete").exists()


def test_deleting_an_item_with_approved_reports_is_refused(world, small):
    report = services.save_report(world.user("beijing_reporter"), small.dongcheng, world.unit("110101"), "2024-Q1", dict(DATA))
    services.submit_report(world.user("beijing_reporter"), report)
    planner = world.user("ministry_planner")
    # Submitted is not yet history: … but approved is, on the item itself and on any item above it.
    services.approve_report(world.user("beijing_reviewer"), report)
    for item in (small.dongcheng, small.beijing, small.measure):
        with pytest.raises(ValidationError, match="Items with approved reports cannot be deleted"):
            services.delete_item(world.user("beijing_planner") if item == small.dongcheng else planner, item)
    assert PlanItem.objects.filter(plan=small.plan).count() == 5
    assert ProgressReport.objects.filter(pk=report.pk, state="approved").exists()
    # An item without approved reports in its subtree still goes.
    assert services.delete_item(planner, small.shanghai) == 1


# Evidence ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["submitted", "approved"])
def test_adding_evidence_to_a_locked_report_is_refused(world, small, state):
    report = _report_in(world, small, state)
    upload = SimpleUploadedFile("统计.csv", b"a,b\n1,2\n", content_type="text/csv")
    with pytest.raises(ValidationError, match="Evidence can only be added while the report is a draft or returned"):
        services.add_evidence(world.user("beijing_reporter"), report, upload)
    assert not Evidence.objects.filter(report=report).exists()


def test_evidence_can_be_added_to_a_returned_report(world, small):
    report = _report_in(world, small, "returned")
    services.add_evidence(world.user("beijing_reporter"), report, SimpleUploadedFile("统计.csv", b"a,b\n1,2\n"))
    assert Evidence.objects.filter(report=report).count() == 1


# Item import ------------------------------------------------------------------------------------

def _row(code, parent, title="事项", lead="110000"):
    return {"code": code, "parent_code": parent, "kind": "measure", "title": title, "lead_unit": lead, "due_date": "2025-06-30"}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("rows", [
    [(2, _row("A", "B")), (3, _row("B", "A"))],                     # two rows pointing at each other
    [(2, _row("A", "A"))],                                          # a row its own parent
    [(2, _row("A", "C")), (3, _row("B", "A")), (4, _row("C", "B"))],  # a longer loop
], ids=["pair", "self", "triangle"])
def test_an_item_import_with_a_parent_cycle_is_refused_and_never_hangs(world, small, rows):
    before = (PlanItem.objects.count(), AuditRecord.objects.count())
    with pytest.raises(TableError) as refused:
        services.import_items(world.user("ministry_planner"), small.plan, rows, "items.csv")
    cycles = [e for e in refused.value.errors if e.field == "parent_code" and "cycle" in e.message]
    assert {e.row for e in cycles} == {n for n, _v in rows}
    assert all(str(e).startswith(f"items.csv, row {e.row}, parent_code: cycle:") for e in cycles)
    assert (PlanItem.objects.count(), AuditRecord.objects.count()) == before


@pytest.mark.timeout(60)
def test_an_import_that_would_move_an_item_below_its_own_child_is_refused(world, small):
    planner = world.user("ministry_planner")
    codes = dict(PlanItem.objects.filter(plan=small.plan).values_list("pk", "code"))
    task, measure = codes[small.task.pk], codes[small.measure.pk]
    row = {**_row(task, measure, title="夯实基础教育基点", lead="MOE-JCJYS")}
    with pytest.raises(TableError) as refused:
        services.import_items(planner, small.plan, [(2, row)], "items.csv")
    assert [(e.row, e.field) for e in refused.value.errors] == [(2, "parent_code")]
    assert "cycle" in refused.value.errors[0].message
    assert PlanItem.objects.get(pk=small.task.pk).parent_id is None


# Notifications ----------------------------------------------------------------------------------

def test_marking_other_users_notifications_read_is_refused(world):
    mine = Notification.objects.create(user=world.user("beijing_reviewer"), kind="due_soon", title="我的提醒")
    theirs = Notification.objects.create(user=world.user("beijing_reporter"), kind="due_soon", title="别人的提醒")
    assert services.mark_notifications_read(world.user("beijing_reviewer"), [theirs.pk]) == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    # Naming both marks only one's own; "all" is one's own too.
    assert services.mark_notifications_read(world.user("beijing_reviewer"), [mine.pk, theirs.pk]) == 1
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    own_unread = Notification.objects.filter(user=world.user("beijing_reviewer"), read_at__isnull=True).count()
    assert services.mark_notifications_read(world.user("beijing_reviewer")) == own_unread
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert not AuditRecord.objects.filter(object_id=str(theirs.pk), verb="read").exists()
