"""Small display helpers of the plan pages: traffic lights, progress bars, state badges."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext

from luoshi.plans.models import Light, ProgressReport
from luoshi.plans.rules import LIGHT_RULE_TEXT

register = template.Library()

LIGHT_LABELS = dict(Light.choices)
STATE_LABELS = dict(ProgressReport.State.choices)


# These three run for every row of the long lists (my work, supervision, plan trees). They are
# simple tags building their few elements with format_html rather than inclusion tags rendering
# a sub-template each: the profile of those pages showed the sub-templates as the largest cost.

@register.simple_tag
def light(code: str, compact: bool = False) -> str:
    """A traffic light: coloured dot and text label; the rule is the tooltip."""
    label = LIGHT_LABELS.get(code, code)
    text = format_html('<span class="visually-hidden">{}</span>', label) if compact else conditional_escape(label)
    return format_html('<span class="light light-{}" title="{}"><span class="light-dot" aria-hidden="true"></span>{}</span>',
                       code, LIGHT_RULE_TEXT, text)


def _rounded(value: Decimal, places: str) -> str:
    return str(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


@register.simple_tag
def progress(value, label: str = "") -> str:
    """An accessible progress bar (0–100)."""
    number = max(Decimal(0), min(Decimal(100), Decimal(value or 0)))
    whole = _rounded(number, "1")
    return format_html(
        '<span class="progress-wrap"><span class="progress" role="progressbar" aria-valuenow="{}" aria-valuemin="0" '
        'aria-valuemax="100" aria-label="{}"><span class="progress-fill" style="width:{}%"></span></span>'
        '<span class="progress-num">{}%</span></span>',
        whole, label or gettext("Progress"), _rounded(number, "0.1"), whole)


@register.simple_tag
def state(code: str) -> str:
    """A report's workflow state as a badge."""
    return format_html('<span class="badge state state-{}">{}</span>', code, STATE_LABELS.get(code, code))


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
