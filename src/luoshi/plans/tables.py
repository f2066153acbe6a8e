"""Shapes of the plan pages' tables, charts and exports (no database access of their own).

The views pass in what ``queries`` returned; these functions only arrange it for display or
for a spreadsheet.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from luoshi.plans.models import ItemKind, Light, Plan, PlanItem
from luoshi.plans.rules import Period

# Light colours, the same as in app.css (.light-*), for the charts.
LIGHT_COLORS = {"done": "#1f5fa8", "grey": "#9aa3b0", "green": "#1e7b3c", "amber": "#d08700", "red": "#b3261e"}


def _short(text: str, size: int = 18) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def chart_data(light_counts: dict[str, int], roots: list[PlanItem]) -> dict:
    """Data of the plan page's two charts: items by light, and progress of the top-level items."""
    lights = [{"name": str(label), "value": light_counts.get(code, 0), "itemStyle": {"color": LIGHT_COLORS[code]}}
              for code, label in Light.choices]
    return {
        "lights": lights,
        "lights_summary": ", ".join(f"{row['name']}: {row['value']}" for row in lights),
        "progress_summary": "; ".join(f"{r.code} {r.title}: {r.progress:.0f}%" for r in roots),
        "progress": {
            "labels": [_short(f"{r.code} {r.title}".strip()) for r in roots],
            "titles": [f"{r.code} {r.title}".strip() for r in roots],
            "values": [float(r.progress) for r in roots],
            "colors": [LIGHT_COLORS.get(r.light, LIGHT_COLORS["grey"]) for r in roots],
        },
        "text": {"items": _("items"), "progress": _("Progress (%)")},
    }


def _overlaps(period: Period, item: PlanItem) -> bool:
    return (item.start_date is None or period.end >= item.start_date) and (item.due_date is None or period.start <= item.due_date)


def report_timeline(item: PlanItem, periods: list[Period], units: list, reports, report_units: list) -> list[dict]:
    """Rows of the item's report timeline, newest period first: one cell per responsible unit.

    ``periods`` are the plan's started periods; those outside the item's dates are left out
    unless a report was made for them. An item with sub-items needs no reports of its own,
    so only the reports made are shown. ``units`` are the responsible units whose reports the
    user may see; ``report_units`` those the user reports for.
    """
    reports = list(reports)
    by_key = {(r.period, r.unit_id): r for r in reports}
    units = list(units) + [r.unit for r in reports if r.unit not in units]
    units = list(dict.fromkeys(units))
    reported = {r.period for r in reports}
    if item.child_count:  # progress rolls up from the sub-items: show only reports actually made
        units = [u for u in units if any(r.unit_id == u.pk for r in reports)]
    rows = []
    for period in periods:
        if not (_overlaps(period, item) and not item.child_count or period.key in reported):
            continue
        cells = [{"unit": u, "report": by_key.get((period.key, u.pk)), "can_write": u in report_units} for u in units]
        rows.append({"period": period, "cells": cells})
    return rows


def import_template(plan: Plan, required: list[str], optional: list[str]) -> tuple[list[str], list[list[object]]]:
    """The item import template: the header and one example row."""
    example = {
        "code": "1", "parent_code": "", "kind": ItemKind.KEY_TASK.value, "title": _("Example: expand quality preschool places"),
        "lead_unit": plan.issuer.code, "co_owners": "", "start_date": f"{plan.start_year}-01-01",
        "due_date": f"{plan.end_year}-12-31", "weight": "1", "description": _("Replace this row with your items."),
        "deliverables": _("A published work plan"),
    }
    header = [*required, *optional]
    return header, [[example.get(name, "") for name in header]]


def supervision_rows(items, today: date) -> tuple[list[str], list[list[object]]]:
    """The supervision list as a spreadsheet (the caller writes it with ``core.tabular``)."""
    header = [_("Plan"), _("Code"), _("Title"), _("Kind"), _("Lead unit"), _("Lead unit code"), _("Start date"),
              _("Due date"), _("Days overdue"), _("Progress (%)"), _("Light")]
    lights = dict(Light.choices)
    kinds = dict(ItemKind.choices)
    rows = []
    for item in items:
        late = (today - item.due_date).days if item.due_date and item.due_date < today and item.light != Light.DONE else ""
        rows.append([item.plan.title, item.code, item.title, str(kinds.get(item.kind, item.kind)), item.lead_unit.name,
                     item.lead_unit.code, item.start_date.isoformat() if item.start_date else "",
                     item.due_date.isoformat() if item.due_date else "", late, float(item.progress),
                     str(lights.get(item.light, item.light))])
    return header, rows
