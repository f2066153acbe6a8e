"""Which report counts in a roll-up (issue 13): the latest approved report of the lead unit, never
an earlier one, never another unit's, never one merely drafted, submitted or returned.

Property tests put several reports per item from several units in every state, and compare the
stored progress and light (both ``refresh_plan`` and ``refresh_branch``) with an independent
oracle; a deterministic test walks the same rule through the real services.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.plans import rollup, rules, services
from luoshi.plans.models import Plan, PlanItem, ProgressReport

UNITS = ("310000", "110000", "440000")  # the lead unit first, then two co-owners
PERIODS = rules.periods_for_year("quarterly", 2024) + rules.periods_for_year("quarterly", 2025)
STATES = [s.value for s in ProgressReport.State]
STATUSES = [s.value for s in ProgressReport.Status]
START, DUE = date(2024, 1, 1), date(2025, 12, 31)

reports = st.dictionaries(
    keys=st.tuples(st.integers(0, len(UNITS) - 1), st.integers(0, len(PERIODS) - 1)),
    values=st.tuples(st.sampled_from(STATES), st.decimals(0, 100, places=2), st.sampled_from(STATUSES)),
    max_size=12,
)


def _oracle(item_reports: dict, today: date) -> tuple[Decimal, str]:
    """Progress and light of a leaf from its reports, computed independently of ``rollup``."""
    counting = [(period, value) for (unit, period), value in item_reports.items() if unit == 0 and value[0] == "approved"]
    if not counting:
        return Decimal("0.00"), rules.light_for(Decimal(0), START, DUE, today, "")
    _period, (_state, percent, status) = max(counting, key=lambda pair: PERIODS[pair[0]].end)
    progress = percent.quantize(Decimal("0.01"))
    return progress, rules.light_for(progress, START, DUE, today, status)


def _build(world, leaves: list[tuple[Decimal, dict]]) -> tuple[Plan, PlanItem, list[PlanItem]]:
    moe = world.unit("MOE")
    lead, *co = [world.unit(code) for code in UNITS]
    plan = Plan.objects.create(title="汇总性质", issuer=moe, start_year=2024, end_year=2025, status="published")
    parent = PlanItem.objects.create(plan=plan, title="上级", lead_unit=moe, assigned_by=moe, start_date=START, due_date=DUE)
    parent.path = f"/{parent.pk}/"
    parent.save(update_fields=["path"])
    items = []
    for weight, item_reports in leaves:
        item = PlanItem.objects.create(plan=plan, parent=parent, title="事项", lead_unit=lead, assigned_by=moe, weight=weight,
                                       start_date=START, due_date=DUE, depth=1)
        item.path = f"{parent.path}{item.pk}/"
        item.save(update_fields=["path"])
        item.co_owners.set(co)
        units = [lead, *co]
        for (unit, period), (state, percent, status) in item_reports.items():
            ProgressReport.objects.create(item=item, unit=units[unit], period=PERIODS[period].key, period_end=PERIODS[period].end,
                                          state=state, percent=percent, status=status)
        items.append(item)
    return plan, parent, items


def _stored(items):
    return {i.pk: (i.progress, i.light) for i in PlanItem.objects.filter(pk__in=[i.pk for i in items])}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(leaves=st.lists(st.tuples(st.sampled_from([Decimal(0), Decimal(1), Decimal(2), Decimal("0.5")]), reports),
                       min_size=1, max_size=3),
       today=st.sampled_from([date(2023, 12, 31), date(2024, 1, 1), date(2024, 9, 30), date(2025, 12, 31), date(2026, 1, 1)]))
def test_only_the_latest_approved_lead_unit_report_counts(world, leaves, today):
    with transaction.atomic():
        plan, parent, items = _build(world, leaves)
        rollup.refresh_plan(plan.pk, today)
        stored = _stored([parent, *items])
        expected = [_oracle(item_reports, today) for _w, item_reports in leaves]
        assert [stored[i.pk] for i in items] == expected
        weighted = rules.weighted_progress([(progress, weight) for (progress, _l), (weight, _r) in zip(expected, leaves, strict=True)])
        assert stored[parent.pk] == (weighted, rules.worst([light for _p, light in expected]))

        # refresh_branch (what an approval runs) agrees with the whole-plan pass, from stale values.
        PlanItem.objects.filter(plan=plan).update(progress=Decimal("55.55"), light="grey")
        for item in items:
            rollup.refresh_branch(item, today)
        assert _stored([parent, *items]) == stored

        # Metamorphic: whatever the reports that do not count say, nothing moves.
        counting = ProgressReport.objects.filter(item__plan=plan, state="approved", unit=world.unit(UNITS[0]))
        latest = {}
        for report in counting.order_by("period_end"):
            latest[report.item_id] = report.pk
        ProgressReport.objects.filter(item__plan=plan).exclude(pk__in=latest.values()).update(percent=Decimal(100), status="done")
        rollup.refresh_plan(plan.pk, today)
        assert _stored([parent, *items]) == stored
        transaction.set_rollback(True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.decimals(0, 100, places=2), st.sampled_from([Decimal(0), Decimal(1), Decimal(3)])),
                min_size=2, max_size=4))
def test_a_parent_rounds_its_childrens_mean_half_up(world, children):
    with transaction.atomic():
        leaves = [(weight, {(0, 0): ("approved", percent, "on_track")}) for percent, weight in children]
        plan, parent, _items = _build(world, leaves)
        rollup.refresh_plan(plan.pk, date(2024, 6, 1))
        total = sum(w for _p, w in children)
        exact = (sum(p * w for p, w in children) / total) if total else sum(p for p, _w in children) / len(children)
        assert PlanItem.objects.get(pk=parent.pk).progress == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        transaction.set_rollback(True)


def test_a_tie_in_a_parents_mean_rounds_half_up(world):
    leaves = [(Decimal(1), {(0, 0): ("approved", Decimal("10.00"), "on_track")}),
              (Decimal(1), {(0, 0): ("approved", Decimal("10.01"), "on_track")})]
    plan, parent, _items = _build(world, leaves)
    rollup.refresh_plan(plan.pk, date(2024, 6, 1))
    assert PlanItem.objects.get(pk=parent.pk).progress == Decimal("10.01")  # 10.005, half up


# The same rule through the real services -------------------------------------------------------

def _report(world, small, username, unit, period, percent, status="on_track"):
    return services.save_report(world.user(username), small.shanghai, world.unit(unit), period,
                                {"status": status, "percent": Decimal(percent)})


def _progress(small):
    item = PlanItem.objects.get(pk=small.shanghai.pk)
    return item.progress, PlanItem.objects.get(pk=small.measure.pk).progress


def test_unapproved_reports_never_move_progress_and_the_latest_period_wins(world, small):
    reviewer, reporter = world.user("ministry_reviewer"), world.user("shanghai_reporter")
    q2 = _report(world, small, "shanghai_reporter", "310000", "2024-Q2", 90)
    assert _progress(small) == (Decimal(0), Decimal(0))           # a draft does not count
    services.submit_report(reporter, q2)
    assert _progress(small) == (Decimal(0), Decimal(0))           # nor a submitted report
    services.return_report(reviewer, q2, "数据有误")
    assert _progress(small) == (Decimal(0), Decimal(0))           # nor a returned one
    _report(world, small, "shanghai_reporter", "310000", "2024-Q2", 80)
    services.submit_report(reporter, q2)
    services.approve_report(reviewer, q2)
    assert _progress(small) == (Decimal(80), Decimal("26.67"))     # 上海 weighs 1, 北京 2: 80 / 3

    # An earlier period approved afterwards does not replace the later one.
    q1 = _report(world, small, "shanghai_reporter", "310000", "2024-Q1", 30)
    services.submit_report(reporter, q1)
    services.approve_report(reviewer, q1)
    assert _progress(small)[0] == Decimal(80)

    # A later period counts once it is approved, not when it is submitted.
    q3 = _report(world, small, "shanghai_reporter", "310000", "2024-Q3", 95, status="at_risk")
    services.submit_report(reporter, q3)
    assert _progress(small)[0] == Decimal(80)
    services.approve_report(reviewer, q3)
    item = PlanItem.objects.get(pk=small.shanghai.pk)
    assert item.progress == Decimal(95)


def test_a_co_owners_approved_report_does_not_move_the_lead_units_progress(world, small):
    planner, reviewer = world.user("ministry_planner"), world.user("ministry_reviewer")
    services.update_item(planner, small.shanghai, {"co_owners": [world.unit("110000")]})
    theirs = _report(world, small, "beijing_reporter", "110000", "2024-Q4", 100, status="done")
    services.submit_report(world.user("beijing_reporter"), theirs)
    services.approve_report(reviewer, theirs)
    item = PlanItem.objects.get(pk=small.shanghai.pk)
    assert (item.progress, item.light) == (Decimal(0), "red")  # 2026: past due, nothing from 上海
    lead = _report(world, small, "shanghai_reporter", "310000", "2024-Q1", 20)
    services.submit_report(world.user("shanghai_reporter"), lead)
    services.approve_report(reviewer, lead)
    assert PlanItem.objects.get(pk=small.shanghai.pk).progress == Decimal(20)
