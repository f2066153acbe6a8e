"""Keeping items' rolled-up ``progress`` and ``light`` up to date.

``refresh_branch`` runs after a report is approved: it recomputes the item and its ancestors
only, in a constant number of queries. ``refresh_plan`` recomputes a whole plan in one pass
(used after structural edits and by the daily job, since lights depend on the date).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import F, Q
from django.utils import timezone

from luoshi.plans import rules
from luoshi.plans.models import PlanItem, ProgressReport

FIELDS = ("id", "parent_id", "weight", "start_date", "due_date", "progress", "light", "depth", "child_count")


def _own_reports(item_filter: Q) -> dict[int, tuple[Decimal, str]]:
    """The latest approved lead-unit report per item, read in one pass (no per-item subquery)."""
    rows = (ProgressReport.objects.filter(item_filter, state=ProgressReport.State.APPROVED, unit_id=F("item__lead_unit_id"))
            .order_by("item_id", "period_end", "pk").values_list("item_id", "percent", "status"))
    return {item_id: (percent, status) for item_id, percent, status in rows}


def _attach(rows: list[dict], own: dict[int, tuple[Decimal, str]]) -> list[dict]:
    for row in rows:
        row["own_percent"], row["own_status"] = own.get(row["id"], (None, ""))
    return rows


def _compute(item: dict, children: list[dict], today: date) -> tuple[Decimal, str]:
    if children:
        progress = rules.weighted_progress([(c["progress"], c["weight"]) for c in children])
        return progress, rules.worst([c["light"] for c in children])
    progress = Decimal(item["own_percent"] or 0).quantize(Decimal("0.01"))
    light = rules.light_for(progress, item["start_date"], item["due_date"], today, item["own_status"] or "")
    return progress, light


def _save(changed: list[dict]) -> None:
    objs = [PlanItem(pk=row["id"], progress=row["progress"], light=row["light"], child_count=row["child_count"]) for row in changed]
    PlanItem.objects.bulk_update(objs, ["progress", "light", "child_count"], batch_size=1000)


def refresh_plan(plan_id: int, today: date | None = None) -> int:
    """Recompute every item of a plan bottom-up; returns how many items changed."""
    today = today or timezone.localdate()
    rows = _attach(list(PlanItem.objects.filter(plan_id=plan_id).values(*FIELDS)), _own_reports(Q(item__plan_id=plan_id)))
    by_parent: dict[int | None, list[dict]] = {}
    for row in rows:
        by_parent.setdefault(row["parent_id"], []).append(row)
    changed = []
    for row in sorted(rows, key=lambda r: -r["depth"]):
        children = by_parent.get(row["id"], [])
        progress, light = _compute(row, children, today)
        if (progress, light, len(children)) != (row["progress"], row["light"], row["child_count"]):
            row.update(progress=progress, light=light, child_count=len(children))
            changed.append(row)
    _save(changed)
    return len(changed)


def refresh_branch(item: PlanItem, today: date | None = None) -> None:
    """Recompute ``item`` and its ancestors (after a report on ``item`` was approved)."""
    today = today or timezone.localdate()
    chain_ids = [*item.ancestor_ids(), item.pk]
    own = _own_reports(Q(item_id__in=chain_ids))
    chain = {r["id"]: r for r in _attach(list(PlanItem.objects.filter(pk__in=chain_ids).values(*FIELDS)), own)}
    siblings = list(PlanItem.objects.filter(parent_id__in=chain_ids).exclude(pk__in=chain_ids).values(*FIELDS))
    by_parent: dict[int, list[dict]] = {}
    for row in siblings:
        by_parent.setdefault(row["parent_id"], []).append(row)
    changed = []
    for pk in reversed(chain_ids):
        row = chain[pk]
        children = by_parent.get(pk, [])
        progress, light = _compute(row, children, today)
        if (progress, light) != (row["progress"], row["light"]):
            row.update(progress=progress, light=light)
            changed.append(row)
        if row["parent_id"] is not None:
            by_parent.setdefault(row["parent_id"], []).append(row)
    _save(changed)


def overdue_q(today: date) -> Q:
    """Items past their due date and not done."""
    return Q(due_date__lt=today) & ~Q(light="done")

