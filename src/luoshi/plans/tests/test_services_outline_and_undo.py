"""Drafting a plan from an outline and undoing a failed batch write (issue 13, session 23).

Tests written against the surviving mutants of ``plans/services.py``'s ``create_plan_from_outline``,
``import_items`` (a batch that crashes), ``renumber``, ``save_source_document`` and their helpers.
The transactional tests need no standing world (a superuser and one unit of their own), so the
database flush after each costs no rebuild of the world for the test that follows.
"""

from __future__ import annotations

import re

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from luoshi.audit.models import AuditRecord
from luoshi.core.tabular import read_table
from luoshi.plans import services
from luoshi.plans.models import Plan, PlanItem, SourceDocument


def _records(model: str, **filters) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(content_type__model=model, **filters).order_by("pk"))


# Drafting from an outline (in the test's transaction) -------------------------------------------

@pytest.mark.django_db
def test_the_children_of_a_nested_node_without_a_headline_join_its_parent(world):
    parsed = {"clean_text": "正文", "items": [
        {"marker": "一、", "title": "任务一", "text": "", "children": [
            {"marker": "", "title": "", "text": "   ", "children": [  # no headline: its children move up to 任务一
                {"marker": "1.", "title": "举措一", "text": "", "children": []},
                {"marker": "2.", "title": "举措二", "text": "", "children": []}]},
            {"marker": "3.", "title": "举措三", "text": "", "children": []}]}]}
    plan = services.create_plan_from_outline(world.user("ministry_planner"), title="嵌套", issuer=world.unit("MOE"),
                                             parsed=parsed, start_year=2024)
    items = {i.code: i for i in PlanItem.objects.filter(plan=plan)}
    assert {code: (i.title, i.kind, i.position, i.depth, i.parent_id, i.child_count) for code, i in items.items()} == {
        "1": ("任务一", "key_task", 0, 0, None, 3),
        "1.1": ("举措一", "measure", 0, 1, items["1"].pk, 0),
        "1.2": ("举措二", "measure", 1, 1, items["1"].pk, 0),
        "1.3": ("举措三", "measure", 2, 1, items["1"].pk, 0),
    }


@pytest.mark.django_db
def test_an_outline_without_items_drafts_an_empty_plan_with_its_source(world):
    plan = services.create_plan_from_outline(world.user("ministry_planner"), title="无条目", issuer=world.unit("MOE"),
                                             parsed={"clean_text": "只有正文"}, start_year=2024)
    plan = Plan.objects.get(pk=plan.pk)
    assert (plan.title, plan.status, plan.source.clean_text) == ("无条目", "draft", "只有正文")
    assert not PlanItem.objects.filter(plan=plan).exists()


def _outline(tasks: int, measures: int) -> dict:
    return {"clean_text": "正文", "items": [
        {"marker": "一、", "title": f"任务{t}", "text": "", "children": [
            {"marker": "1.", "title": f"举措{t}-{m}", "text": "", "children": []} for m in range(measures)]}
        for t in range(tasks)]}


# An existence check of one row by its id: what validating a foreign key of each item would cost.
_LOOKUP_BY_ID = re.compile(r'SELECT 1 AS "a" FROM "(orgs_orgunit|plans_plan|plans_planitem)" WHERE .*"id" = ')


def _lookups_by_id(world, parsed: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        services.create_plan_from_outline(world.user("ministry_planner"), title="计数", issuer=world.unit("MOE"),
                                          parsed=parsed, start_year=2024)
    return sum(1 for q in queries.captured_queries if _LOOKUP_BY_ID.search(q["sql"]))


@pytest.mark.django_db
def test_drafting_a_long_outline_checks_no_unit_plan_or_parent_row_per_item(world):
    # Every item is led and assigned by the issuer, in the plan just created, below a parent
    # written in an earlier batch: none of that is read again for each of thousands of items.
    few, many = _lookups_by_id(world, _outline(1, 1)), _lookups_by_id(world, _outline(4, 5))
    assert many == few


# A batch that fails outside a transaction (as a request or the CLI runs it) -------------------

def _admin_and_unit():
    from luoshi.accounts import services as account_services
    from luoshi.orgs import services as org_services

    admin = account_services.create_user(None, username="undo_admin", password=None, display_name="撤销测试",
                                         is_superuser=True)
    unit = org_services.create_unit(admin, code="UNDO", name="撤销测试司", type="ministry")
    return admin, unit


@pytest.mark.django_db(transaction=True)
def test_a_failing_outline_batch_undoes_the_written_items_on_the_record_then_the_plan_and_its_source(monkeypatch):
    admin, unit = _admin_and_unit()
    services.create_plan(admin, title="另一规划", issuer=unit, start_year=2024, end_year=2024)  # no source
    plans, sources = set(Plan.objects.values_list("pk", flat=True)), SourceDocument.objects.count()
    monkeypatch.setattr(services, "OUTLINE_BATCH", 2)
    calls = []
    real = PlanItem.objects.bulk_create

    def fail_fourth(objs, *args, **kwargs):
        calls.append([o.title for o in objs])
        if len(calls) == 4:
            raise OperationalError("database is locked")
        return real(objs, *args, **kwargs)

    monkeypatch.setattr(PlanItem.objects, "bulk_create", fail_fourth)
    parsed = {"clean_text": "正文", "items": [
        {"marker": "一、", "title": f"任务{t}", "text": "", "children": [
            {"marker": "1.", "title": f"举措{t}-{m}", "text": "", "children": [
                {"marker": "(1)", "title": f"步骤{t}-{m}", "text": "", "children": []}]}
            for m in range(2)]}
        for t in range(2)]}
    with pytest.raises(OperationalError):
        services.create_plan_from_outline(admin, title="会失败", issuer=unit, parsed=parsed, start_year=2024)
    # batches: the two tasks, the measures two by two, then the steps (the fourth write fails)
    assert calls[:4] == [["任务0", "任务1"], ["举措0-0", "举措0-1"], ["举措1-0", "举措1-1"], ["步骤0-0", "步骤0-1"]]
    assert set(Plan.objects.values_list("pk", flat=True)) == plans
    assert not PlanItem.objects.exclude(plan__in=plans).exists()
    assert SourceDocument.objects.count() == sources
    # the committed batches undone newest first, each item on the record as it was
    undone = _records("planitem", verb="import undone")
    assert len(undone) == 6
    assert {(r.action, r.actor, r.after, r.before["plan"]) for r in undone} == {("delete", admin, None, undone[0].before["plan"])}
    assert [sorted(r.before["title"] for r in batch) for batch in (undone[:2], undone[2:4], undone[4:])] == [
        ["举措1-0", "举措1-1"], ["举措0-0", "举措0-1"], ["任务0", "任务1"]]
    [plan_gone] = _records("plan", verb="import undone")
    assert (plan_gone.action, plan_gone.actor, plan_gone.before["title"], plan_gone.before["id"], plan_gone.after) == (
        "delete", admin, "会失败", undone[0].before["plan"], None)


@pytest.mark.django_db(transaction=True)
def test_an_import_batch_that_crashes_undoes_the_batches_already_committed(monkeypatch):
    admin, unit = _admin_and_unit()
    plan = services.create_plan(admin, title="导入规划", issuer=unit, start_year=2024, end_year=2025)
    kept = services.add_item(admin, plan, title="原有任务", lead_unit=unit, kind="key_task", code="1")
    monkeypatch.setattr(services, "ITEM_IMPORT_BATCH", 2)
    real = services.add_item

    def crash_on_c(actor, plan, **fields):
        if fields["title"] == "新任务C":
            raise OperationalError("database is locked")
        return real(actor, plan, **fields)

    monkeypatch.setattr(services, "add_item", crash_on_c)
    columns, optional = services.ITEM_COLUMNS, services.ITEM_OPTIONAL
    text = ",".join(columns) + "\n" + "\n".join([
        "1,,key_task,改名的任务,UNDO,2025-06-30",  # first batch: an update ...
        "2,,key_task,新任务A,UNDO,2025-12-31",     # ... and a new item
        "3,,key_task,新任务B,UNDO,2025-12-31",     # second batch: crashes on C
        "4,,key_task,新任务C,UNDO,2025-12-31"]) + "\n"
    with pytest.raises(OperationalError):
        services.import_items(admin, plan, read_table(text.encode(), "items.csv", columns, optional), "items.csv")
    assert list(PlanItem.objects.filter(plan=plan).values_list("pk", "code", "title", "due_date")) == [
        (kept.pk, "1", "原有任务", None)]
    undone = _records("planitem", verb="import undone")
    assert [(r.action, r.actor, r.before["title"], (r.after or {}).get("title")) for r in undone] == [
        ("delete", admin, "新任务A", None), ("update", admin, "改名的任务", "原有任务")]


# The source document, the export and renumbering (in the test's transaction) ------------------

@pytest.mark.django_db
def test_a_source_document_saved_without_a_file_name_has_none(world):
    doc = services.save_source_document(world.user("ministry_planner"), world.unit("MOE"), {"clean_text": "粘贴的正文"})
    doc = SourceDocument.objects.get(pk=doc.pk)
    assert (doc.filename, doc.title, doc.clean_text, doc.unit) == ("", "", "粘贴的正文", world.unit("MOE"))


@pytest.mark.django_db
def test_an_item_without_dates_is_exported_with_empty_date_cells(world, small):
    planner = world.user("ministry_planner")
    undated = services.add_item(planner, small.plan, parent=small.task, title="无日期举措", lead_unit=world.unit("MOE-JCJYS"))
    _header, rows = services.export_item_rows(planner, small.plan)
    [row] = [r for r in rows if r[0] == undated.code]
    assert row == [undated.code, small.task.code, "measure", "无日期举措", "MOE-JCJYS", "", "", "", "1.00", "", ""]


@pytest.mark.django_db
def test_the_export_reads_a_fixed_number_of_queries_however_many_items(world, small):
    planner = world.user("ministry_planner")

    def queries_of_export() -> int:
        with CaptureQueriesContext(connection) as queries:
            services.export_item_rows(planner, small.plan)
        return len(queries.captured_queries)

    queries_of_export()  # (the first call also reads the planner's scope, kept for the request)
    before = queries_of_export()
    for n in range(3):  # more items, each below a parent and with co-owners
        services.add_item(planner, small.plan, parent=small.measure, title=f"新增{n}", lead_unit=world.unit("310000"),
                          co_owners=[world.unit("110000"), world.unit("120000")])
    assert queries_of_export() == before


@pytest.mark.django_db
def test_siblings_in_the_same_place_are_renumbered_in_the_order_they_were_added(world, small):
    planner = world.user("ministry_planner")
    late = services.add_item(planner, small.plan, parent=small.measure, title="天津：推进学前教育普及普惠",
                             lead_unit=world.unit("120000"))
    # two adds at once may both take the next free place; here the later sibling shares the first
    PlanItem.objects.filter(pk=late.pk).update(position=small.beijing.position)
    # a later write of the earlier sibling (on PostgreSQL its row then lies behind the other)
    PlanItem.objects.filter(pk=small.beijing.pk).update(title=small.beijing.title)
    assert services.renumber(planner, small.plan) == 2
    codes = dict(PlanItem.objects.filter(plan=small.plan).values_list("pk", "code"))
    assert [codes[i.pk] for i in (small.beijing, late, small.shanghai, small.dongcheng)] == [
        "1.1.1", "1.1.2", "1.1.3", "1.1.1.1"]


@pytest.mark.django_db
def test_a_plan_created_without_a_description_or_period_has_none_and_is_quarterly(world):
    plan = services.create_plan(world.user("ministry_planner"), title="简要规划", issuer=world.unit("MOE"),
                                start_year=2024, end_year=2025)
    plan = Plan.objects.get(pk=plan.pk)
    assert (plan.title, plan.description, plan.period, plan.source, plan.status) == ("简要规划", "", "quarterly", None, "draft")
