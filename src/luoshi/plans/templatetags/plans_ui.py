"""Small display helpers of the plan pages: traffic lights, progress bars, state badges."""

from __future__ import annotations

import html
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from luoshi.plans.models import Light, ProgressReport
from luoshi.plans.rules import LIGHT_RULE_TEXT

register = template.Library()

LIGHT_LABELS = dict(Light.choices)
STATE_LABELS = dict(ProgressReport.State.choices)


# These three run for every row of the long lists (my work, supervision, plan trees). They are
# simple tags building their few elements with format_html rather than inclusion tags rendering
# a sub-template each: the profile of those pages showed the sub-templates as the largest cost.

_lights: dict[tuple, str] = {}


@register.simple_tag
def light(code: str, compact: bool = False) -> str:
    """A traffic light: coloured dot and text label; the rule is the tooltip. Made once per code,
    form and language (a page shows the same few lights in its legend, tree and lists)."""
    key = (code, compact, get_language())
    made = _lights.get(key)
    if made is None:
        label = LIGHT_LABELS.get(code, code)
        text = format_html('<span class="visually-hidden">{}</span>', label) if compact else conditional_escape(label)
        made = format_html('<span class="light light-{}" title="{}"><span class="light-dot" aria-hidden="true"></span>{}</span>',
                           code, LIGHT_RULE_TEXT, text)
        if len(_lights) >= 256:
            _lights.clear()
        _lights[key] = made
    return made


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


def _url_maker(name: str, arity: int):
    """``reverse(name, args)`` for many rows: reversed once with placeholders, then filled in."""
    from django.urls import reverse

    marks = [str(9_000_000_001 + n) for n in range(arity)]
    pattern = reverse(name, args=marks)

    def make(*args) -> str:
        url = pattern
        for mark, value in zip(marks, args, strict=True):
            url = url.replace(mark, str(int(value)), 1)
        return url

    return make


@register.simple_tag
def item_rows(items, show_plan: bool = False, show_report: bool = False, reports=None, writable=()) -> str:
    """The rows of ``plans/_item_table.html``, built in Python: these lists are the largest pages
    (up to 150 rows on "my work"), and a template loop spent about a millisecond a row on URL
    reversal, lazy translations and tag dispatch. Labels, URL patterns and the fixed parts of the
    cells are made once per table; every value from the database is escaped."""
    from django.utils.translation import ngettext

    from luoshi.plans.models import ItemKind

    def attr(text) -> str:
        return html.escape(str(text))  # what ``escape`` returns, without its lazy-string wrapper

    kinds = {code: attr(text) for code, text in ItemKind.choices}
    lights = {code: light(code) for code in LIGHT_LABELS}
    states = {code: state(code) for code in STATE_LABELS}
    progress_label = gettext("Progress")
    plan_url, item_url = _url_maker("plans:detail", 1), _url_maker("plans:item", 2)
    # (gettext outside the f-strings: xgettext does not look inside their expressions)
    plan_label, lead_label, due_label = attr(gettext("Plan")), attr(gettext("Lead unit")), attr(gettext("Due"))
    light_label = attr(gettext("Light"))
    td_plan = f'<td class="small" data-label="{plan_label}"><a href="'
    td_lead = f'<td data-label="{lead_label}">'
    td_due = f'<td class="nowrap" data-label="{due_label}">'
    td_progress = f'<td class="progress-cell" data-label="{attr(progress_label)}">'
    td_light = f'<td data-label="{light_label}">'
    if show_report:
        report_url, write_url = _url_maker("plans:report", 1), _url_maker("plans:report_edit", 2)
        report_label = attr(gettext("This period's report"))
        td_report = f'<td data-label="{report_label}">'
        rolled_up_text, missing_text = attr(gettext("Rolled up from sub-items")), attr(gettext("Missing"))
        rolled_up = f'<span class="muted small">{rolled_up_text}</span>'
        missing = f'<span class="badge state state-missing">{missing_text}</span>'
        write_text = attr(gettext("Write"))
        reports = reports or {}
        writable = writable or ()
    today = timezone.localdate()
    bars: dict = {}  # progress bar by value: a list repeats a few values (0, 100 …) many times
    out = []
    for item in items:
        out.append("<tr>")
        if show_plan:
            out.append(f"{td_plan}{plan_url(item.plan_id)}\">{attr(item.plan.title)}</a></td>")
        out.append(f'<td class="mono nowrap cell-code">{attr(item.code)}</td>'
                   f'<td class="cell-title"><a href="{item_url(item.plan_id, item.pk)}">{attr(item.title)}</a> '
                   f'<span class="badge badge-kind">{kinds.get(item.kind) or attr(item.kind)}</span></td>'
                   f"{td_lead}{attr(item.lead_unit.display_name)}</td>{td_due}")
        if item.due_date:
            out.append(item.due_date.strftime("%Y-%m-%d"))
            late = 0 if item.light == Light.DONE else max((today - item.due_date).days, 0)
            if late:
                text = ngettext("%(n)s day late", "%(n)s days late", late) % {"n": late}
                out.append(f'<br><span class="late small">{attr(text)}</span>')
        else:
            out.append("—")
        bar = bars.get(item.progress)
        if bar is None:
            bar = bars[item.progress] = progress(item.progress, progress_label)
        out.append(f"</td>{td_progress}{bar}</td>"
                   f"{td_light}{lights.get(item.light) or light(item.light)}</td>")
        if show_report:
            out.append(td_report)
            if item.child_count:
                out.append(rolled_up)
            elif (report := reports.get(item.pk)) is not None:
                out.append(f'<a href="{report_url(report.pk)}" class="nowrap">{states.get(report.state) or state(report.state)} '
                           f'<span class="small">{attr(report.period)}</span></a>')
            else:
                out.append(missing)
                if item.pk in writable:
                    out.append(f' <a class="small nowrap" href="{write_url(item.plan_id, item.pk)}">{write_text}</a>')
            out.append("</td>")
        out.append("</tr>\n")
    return mark_safe("".join(out))


def _ymd(day) -> str:
    """``day|date:"Y-m-d"``."""
    return "" if day is None else f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


@register.simple_tag
def home_items(items, overdue: bool = False) -> str:
    """The entries of the home page's overdue (``overdue``) or due-soon list, built in Python: the
    markup of the template loop they replace (``{% url %}``, ``{% blocktranslate %}`` with a
    plural and the date filter for each entry), every value escaped, the translations as
    ``{% blocktranslate %}`` leaves them."""
    from django.utils.translation import ngettext

    item_url = _url_maker("plans:item", 2)
    due = html.escape(gettext("due"))
    out = []
    for item in items:
        date = html.escape(_ymd(item.due_date))
        if overdue:
            days = days_overdue(item)
            when = ngettext("due %(date)s, %(days)s day late", "due %(date)s, %(days)s days late", days) % {
                "date": date, "days": html.escape(str(days))}
        else:
            when = f"{due} {date}"
        out.append(f'<li><a href="{item_url(item.plan_id, item.pk)}">{html.escape(str(item.code))} {html.escape(str(item.title))}</a>\n'
                   f'    <span class="muted small">{html.escape(str(item.lead_unit.display_name))} · {when}</span></li>')
    return mark_safe("".join(out))


@register.simple_tag
def tree_rows(items, plan) -> str:
    """The rows of ``plans/_tree_rows.html`` (the plan's item tree), built in Python like
    ``item_rows``: the same markup as the template loop it replaced, every value escaped, the
    labels and URL patterns made once per list."""
    from django.utils.translation import ngettext

    from luoshi.plans.models import ItemKind

    kinds = {code: escape(str(text)) for code, text in ItemKind.choices}
    lights = {code: light(code) for code in LIGHT_LABELS}
    children_url = _url_maker("plans:children", 1)(plan.pk)
    item_url = _url_maker("plans:item", 2)
    lead_label, due_label = escape(gettext("Lead unit")), escape(gettext("Due"))
    progress_label = gettext("Progress")
    today = timezone.localdate()
    out = []
    for item in items:
        pk = int(item.pk)
        if item.expandable:
            # as ``{% blocktranslate %}`` does: the value escaped, the translation as it is
            below = gettext("Show the items below %(title)s") % {"title": escape(item.title)}
            toggle = (f'<button type="button" class="tree-toggle item-toggle" data-tree-toggle aria-expanded="false" '
                      f'aria-controls="kids-{pk}"\n        aria-label="{below}"\n        hx-get="{children_url}?parent={pk}" '
                      f'hx-target="#kids-{pk}" hx-trigger="click once" hx-indicator="#spin-{pk}"></button>')
        else:
            toggle = '<span class="tree-spacer"></span>'
        if item.due_date:
            late = 0 if item.light == Light.DONE else max((today - item.due_date).days, 0)
            title = ""
            if late:
                title = 'class="late" title="{}"'.format(ngettext("%(n)s day overdue", "%(n)s days overdue", late) % {"n": late})
            due = f'<span {title}>{item.due_date.strftime("%Y-%m-%d")}</span>'
        else:
            due = "—"
        out.append(
            f'<li>\n  <div class="item-row">\n    <div class="item-main">\n      {toggle}\n'
            f'      <span class="item-title"><span class="item-code mono">{escape(item.code)}</span> '
            f'<a href="{item_url(plan.pk, pk)}">{escape(item.title)}</a> '
            f'<span class="badge badge-kind">{kinds.get(item.kind) or escape(item.kind)}</span>'
            f'<span class="spinner" id="spin-{pk}" aria-hidden="true"></span></span>\n    </div>\n'
            f'    <div class="item-unit"><span class="label-sm">{lead_label}</span>{escape(item.lead_unit.display_name)}</div>\n'
            f'    <div class="item-due"><span class="label-sm">{due_label}</span>{due}</div>\n'
            f'    <div class="item-progress">{progress(item.progress, progress_label)}</div>\n'
            f'    <div class="item-light">{lights.get(item.light) or light(item.light)}</div>\n  </div>\n'
            f'  {f"""<ul id="kids-{pk}" hidden></ul>""" if item.expandable else ""}\n</li>')
    return mark_safe("".join(out))
