"""Roll-up arithmetic on random trees, against an independent recursive computation."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.plans import rollup
from luoshi.plans.models import Plan, PlanItem, ProgressReport

TODAY = date(2024, 7, 1)


@st.composite
def trees(draw):
    """A random forest: (parent index or None, weight, approved percent or None) per node."""
    n = draw(st.integers(1, 25))
    nodes = []
    for i in range(n):
        parent = draw(st.one_of(st.none(), st.integers(0, i - 1))) if i else None
        weight = draw(st.sampled_from([Decimal(0), Decimal(1), Decimal(2), Decimal("0.5"), Decimal(5)]))
        percent = draw(st.one_of(st.none(), st.decimals(0, 100, places=0)))
        nodes.append((parent, weight, percent))
    return nodes


def _expected(nodes):
    children = {i: [j for j, (p, _w, _v) in enumerate(nodes) if p == i] for i in range(len(nodes))}

    def value(i):
        kids = children[i]
        if not kids:
            return Decimal(nodes[i][2] or 0).quantize(Decimal("0.01"))
        vals = [(value(k), nodes[k][1]) for k in kids]
        total = sum(w for _v, w in vals)
        raw = sum(v * w for v, w in vals) / total if total > 0 else sum(v for v, _w in vals) / len(vals)
        return raw.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    return [value(i) for i in range(len(nodes))]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(trees())
def test_it_rolls_up_weighted_progress_on_random_trees(world, nodes):
    with transaction.atomic():
        moe = world.unit("MOE")
        plan = Plan.objects.create(title="随机树", issuer=moe, start_year=2024, end_year=2024, status="published")
        items = []
        for parent, weight, _percent in nodes:
            p = items[parent] if parent is not None else None
            item = PlanItem.objects.create(plan=plan, parent=p, title="节点", lead_unit=moe, assigned_by=moe, weight=weight,
                                           start_date=date(2024, 1, 1), due_date=date(2024, 12, 31), depth=p.depth + 1 if p else 0)
            item.path = f"{p.path if p else '/'}{item.pk}/"
            item.save(update_fields=["path"])
            items.append(item)
        for item, (_p, _w, percent) in zip(items, nodes, strict=True):
            if percent is not None:
                ProgressReport.objects.create(item=item, unit=moe, period="2024-Q2", period_end=date(2024, 6, 30),
                                              state="approved", percent=percent)
        rollup.refresh_plan(plan.pk, TODAY)
        stored = {i.pk: i.progress for i in PlanItem.objects.filter(plan=plan)}
        assert [stored[i.pk] for i in items] == _expected(nodes)
        # Refreshing one branch after the fact gives the same values (nothing else changed).
        rollup.refresh_branch(items[-1], TODAY)
        assert {i.pk: i.progress for i in PlanItem.objects.filter(plan=plan)} == stored
        transaction.set_rollback(True)


def test_it_refreshes_only_the_branch_in_constant_queries(world, small, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        rollup.refresh_branch(small.dongcheng, TODAY)


def test_overdue_means_past_the_due_date_and_not_done(world):
    """The "overdue" group of a reporter's work page and the dashboards' overdue counts
    (``rollup.overdue_q``): due before today and not done; due today is not overdue yet, and a
    done item is never overdue, however late."""
    from datetime import timedelta

    from luoshi.plans.queries import my_work

    moe, beijing = world.unit("MOE"), world.unit("110000")
    plan = Plan.objects.create(title="逾期判定", issuer=moe, start_year=2024, end_year=2024, status="published")
    due = {"yesterday": TODAY - timedelta(days=1), "today": TODAY, "tomorrow": TODAY + timedelta(days=1),
           "done_late": TODAY - timedelta(days=30), "long_ago": TODAY - timedelta(days=200)}
    items = {}
    for name, due_date in due.items():
        item = PlanItem.objects.create(plan=plan, title=name, lead_unit=beijing, assigned_by=moe,
                                       start_date=date(2024, 1, 1), due_date=due_date)
        item.path = f"/{item.pk}/"
        item.save(update_fields=["path"])
        items[name] = item
    ProgressReport.objects.create(item=items["done_late"], unit=beijing, period="2024-Q1", period_end=date(2024, 3, 31),
                                  state="approved", percent=100, status="done")
    ProgressReport.objects.create(item=items["long_ago"], unit=beijing, period="2024-Q1", period_end=date(2024, 3, 31),
                                  state="approved", percent=60, status="on_track")
    rollup.refresh_plan(plan.pk, TODAY)
    assert PlanItem.objects.get(pk=items["done_late"].pk).light == "done"

    overdue = {i.title for i in PlanItem.objects.filter(plan=plan).filter(rollup.overdue_q(TODAY))}
    assert overdue == {"yesterday", "long_ago"}

    groups = my_work(world.user("beijing_reporter"), today=TODAY)
    shown = {group: {i.title for i in qs if i.plan_id == plan.pk} for group, qs in groups.items()}
    assert shown["overdue"] == {"yesterday", "long_ago"}
    assert "today" in shown["due_soon"] and "tomorrow" in shown["due_soon"]
    assert "done_late" in shown["others"] and not shown["overdue"] & shown["others"]


def test_of_two_reports_ending_the_same_day_the_later_one_counts(world):
    """A plan whose reporting period changed (quarterly, then monthly) can hold two approved
    reports of the lead unit that end on the same day (2024-Q1 and 2024-03): the one written
    later counts, whichever period key sorts first."""
    moe, beijing = world.unit("MOE"), world.unit("110000")
    plan = Plan.objects.create(title="同日两报", issuer=moe, start_year=2024, end_year=2024, status="published")
    item = PlanItem.objects.create(plan=plan, title="事项", lead_unit=beijing, assigned_by=moe,
                                   start_date=date(2024, 1, 1), due_date=date(2024, 12, 31))
    item.path = f"/{item.pk}/"
    item.save(update_fields=["path"])
    for period, percent in (("2024-Q1", 60), ("2024-03", 80)):
        ProgressReport.objects.create(item=item, unit=beijing, period=period, period_end=date(2024, 3, 31),
                                      state="approved", percent=percent, status="on_track")
    rollup.refresh_plan(plan.pk, TODAY)
    assert PlanItem.objects.get(pk=item.pk).progress == Decimal("80.00")
    PlanItem.objects.filter(pk=item.pk).update(progress=0)
    rollup.refresh_branch(PlanItem.objects.get(pk=item.pk), TODAY)
    assert PlanItem.objects.get(pk=item.pk).progress == Decimal("80.00")


def test_refreshing_a_plan_repairs_the_sub_item_counts_the_pages_show(world):
    """The item page says "rolled up from its sub-items" and the report table hides periods of a
    parent by ``child_count``; the daily refresh sets it from the tree as it is."""
    moe = world.unit("MOE")
    plan = Plan.objects.create(title="子项计数", issuer=moe, start_year=2024, end_year=2024, status="published")

    def make(parent=None):
        item = PlanItem.objects.create(plan=plan, parent=parent, title="事项", lead_unit=moe, assigned_by=moe,
                                       start_date=date(2024, 1, 1), due_date=date(2024, 12, 31),
                                       depth=parent.depth + 1 if parent else 0)
        item.path = f"{parent.path if parent else '/'}{item.pk}/"
        item.save(update_fields=["path"])
        return item

    top = make()
    first, second = make(top), make(top)
    make(first)
    rollup.refresh_plan(plan.pk, TODAY)
    counts = dict(PlanItem.objects.filter(plan=plan).values_list("pk", "child_count"))
    assert (counts[top.pk], counts[first.pk], counts[second.pk]) == (2, 1, 0)
    PlanItem.objects.filter(pk=second.pk).delete()
    assert rollup.refresh_plan(plan.pk, TODAY) == 1
    assert PlanItem.objects.get(pk=top.pk).child_count == 1
