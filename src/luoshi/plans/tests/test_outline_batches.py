"""Issue 12: a plan from a long policy outline is written in short batches, all or nothing."""

from __future__ import annotations

import pytest

from luoshi.audit.models import AuditRecord
from luoshi.plans import services
from luoshi.plans.models import Plan, PlanItem, SourceDocument


def _outline(tasks: int, measures: int, steps: int) -> dict:
    return {"title": "测试纲要", "text": "测试纲要正文", "clean_text": "测试纲要正文", "items": [
        {"marker": "一、", "title": f"任务{t}", "text": "", "children": [
            {"marker": f"{m}.", "title": f"举措{t}-{m}", "text": "说明", "children": [
                {"marker": f"({s})", "title": f"步骤{t}-{m}-{s}", "text": "", "children": []} for s in range(steps)]}
            for m in range(measures)]}
        for t in range(tasks)]}


@pytest.mark.django_db(transaction=True)
def test_it_writes_a_long_outline_in_bounded_batches_with_the_same_tree(world, monkeypatch):
    monkeypatch.setattr(services, "OUTLINE_BATCH", 100)
    sizes = []
    real = PlanItem.objects.bulk_create

    def spy(objs, *args, **kwargs):
        sizes.append(len(objs))
        return real(objs, *args, **kwargs)

    monkeypatch.setattr(PlanItem.objects, "bulk_create", spy)
    plan = services.create_plan_from_outline(world.user("ministry_planner"), title="长纲要", issuer=world.unit("MOE"),
                                             parsed=_outline(6, 12, 4), start_year=2026)
    total = 6 + 6 * 12 + 6 * 12 * 4
    assert sum(sizes) == total and max(sizes) <= 100 and len(sizes) >= total // 100
    items = {i.pk: i for i in PlanItem.objects.filter(plan=plan)}
    assert len(items) == total
    by_code = {i.code: i for i in items.values()}
    assert by_code["1"].title == "任务0" and by_code["1.2"].title == "举措0-1" and by_code["6.12.4"].title == "步骤5-11-3"
    assert by_code["1"].kind == "key_task" and by_code["1.2"].kind == "measure"
    assert by_code["1"].child_count == 12 and by_code["1.1"].child_count == 4 and by_code["1.1.1"].child_count == 0
    for item in items.values():
        parent = items.get(item.parent_id)
        assert item.path == (parent.path if parent else "/") + f"{item.pk}/"
        assert item.depth == (parent.depth + 1 if parent else 0)
        assert item.assigned_by.code == "MOE" and item.lead_unit.code == "MOE"
    assert AuditRecord.objects.filter(content_type__model="planitem", action="create").count() >= total


@pytest.mark.django_db(transaction=True)
def test_a_failing_batch_leaves_no_plan_behind(world, monkeypatch):
    monkeypatch.setattr(services, "OUTLINE_BATCH", 50)
    calls = []
    real = PlanItem.objects.bulk_create

    def fail_third(objs, *args, **kwargs):
        calls.append(len(objs))
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(objs, *args, **kwargs)

    monkeypatch.setattr(PlanItem.objects, "bulk_create", fail_third)
    plans_before, sources_before = Plan.objects.count(), SourceDocument.objects.count()
    with pytest.raises(RuntimeError):
        services.create_plan_from_outline(world.user("ministry_planner"), title="会失败", issuer=world.unit("MOE"),
                                          parsed=_outline(3, 10, 3), start_year=2026)
    assert Plan.objects.count() == plans_before
    assert not PlanItem.objects.filter(plan__title="会失败").exists()
    assert SourceDocument.objects.count() == sources_before
    assert not PlanItem.objects.filter(title__startswith="任务").exists()
    # the batches already written (3 tasks, then 30 measures) were undone item by item, on the record
    undone = AuditRecord.objects.filter(verb="import undone", content_type__model="planitem")
    assert undone.count() == 33
    assert {(r.action, r.actor_id, r.after) for r in undone} == {("delete", world.user("ministry_planner").pk, None)}
    assert AuditRecord.objects.filter(verb="import undone", content_type__model="plan", action="delete").count() == 1
