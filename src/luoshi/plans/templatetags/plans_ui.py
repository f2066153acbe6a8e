"""Small display helpers of the plan pages: traffic lights, progress bars, state badges."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import timezone

from luoshi.plans.models import Light, ProgressReport
from luoshi.plans.rules import LIGHT_RULE_TEXT

register = template.Library()

LIGHT_LABELS = dict(Light.choices)
STATE_LABELS = dict(ProgressReport.State.choices)


@register.inclusion_tag("plans/_light.html")
def light(code: str, compact: bool = False) -> dict:
    """A traffic light: coloured dot and text label; the rule is the tooltip."""
    return {"code": code, "label": LIGHT_LABELS.get(code, code), "rule": LIGHT_RULE_TEXT, "compact": compact}


@register.inclusion_tag("plans/_progress.html")
def progress(value, label: str = "") -> dict:
    """An accessible progress bar (0–100)."""
    number = max(Decimal(0), min(Decimal(100), Decimal(value or 0)))
    return {"value": number, "label": label}


@register.inclusion_tag("plans/_state.html")
def state(code: str) -> dict:
    """A report's workflow state as a badge."""
    return {"code": code, "label": STATE_LABELS.get(code, code)}


@register.filter
def days_overdue(item) -> int:
    """Days past the due date of an item that is not done (0 when not overdue), as ``rollup.overdue_q``."""
    if item.due_date is None or getattr(item, "light", "") == Light.DONE:
        return 0
    return max((timezone.localdate() - item.due_date).days, 0)


@register.simple_tag
def light_legend() -> list[tuple[str, str]]:
    return list(Light.choices)


@register.filter
def lookup(mapping, key):
    """``mapping|lookup:key`` — a dict value in a template (``None`` when missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
