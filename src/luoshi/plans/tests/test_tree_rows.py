"""The plan tree's rows are built in Python (``plans_ui.tree_rows``): the markup must be the
template loop's it replaced, character for character, with every value escaped."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Engine
from django.utils import timezone, translation

from luoshi.plans.templatetags.plans_ui import tree_rows

# The loop of ``plans/_tree_rows.html`` before it became ``tree_rows`` (2026-12-03).
OLD_LOOP = """{% load i18n plans_ui %}{% for item in items %}<li>
  <div class="item-row">
    <div class="item-main">
      {% if item.expandable %}<button type="button" class="tree-toggle item-toggle" data-tree-toggle aria-expanded="false" aria-controls="kids-{{ item.pk }}"
        aria-label="{% blocktranslate with title=item.title %}Show the items below {{ title }}{% endblocktranslate %}"
        hx-get="{% url 'plans:children' plan.pk %}?parent={{ item.pk }}" hx-target="#kids-{{ item.pk }}" hx-trigger="click once" hx-indicator="#spin-{{ item.pk }}"></button>{% else %}<span class="tree-spacer"></span>{% endif %}
      <span class="item-title"><span class="item-code mono">{{ item.code }}</span> <a href="{% url 'plans:item' plan.pk item.pk %}">{{ item.title }}</a> <span class="badge badge-kind">{{ item.get_kind_display }}</span><span class="spinner" id="spin-{{ item.pk }}" aria-hidden="true"></span></span>
    </div>
    <div class="item-unit"><span class="label-sm">{% translate "Lead unit" %}</span>{{ item.lead_unit.display_name }}</div>
    <div class="item-due"><span class="label-sm">{% translate "Due" %}</span>{% if item.due_date %}{% with late=item|days_overdue %}<span {% if late %}class="late" title="{% blocktranslate count n=late %}{{ n }} day overdue{% plural %}{{ n }} days overdue{% endblocktranslate %}"{% endif %}>{{ item.due_date|date:"Y-m-d" }}</span>{% endwith %}{% else %}—{% endif %}</div>
    <div class="item-progress">{% progress item.progress %}</div>
    <div class="item-light">{% light item.light %}</div>
  </div>
  {% if item.expandable %}<ul id="kids-{{ item.pk }}" hidden></ul>{% endif %}
</li>{% endfor %}"""


def _item(pk, *, title, code, kind, due, light, progress, expandable, unit):
    from luoshi.plans.models import ItemKind

    return SimpleNamespace(pk=pk, title=title, code=code, kind=kind, due_date=due, light=light, progress=progress,
                           expandable=expandable, lead_unit=SimpleNamespace(display_name=unit),
                           get_kind_display=lambda: dict(ItemKind.choices).get(kind, kind))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_tree_rows_are_the_old_template_loop(language, db):
    today = timezone.localdate()
    items = [
        _item(7, title='<b>"引号" & \'撇号\'</b>', code="1.<2>", kind="measure", due=today - timedelta(days=1), light="red",
              progress=Decimal("12.35"), expandable=True, unit='东城区 <"x">'),
        _item(8, title="北京：推进学前教育", code="", kind="goal", due=today - timedelta(days=30), light="amber",
              progress=Decimal("0"), expandable=False, unit="北京市"),
        _item(9, title="完成", code="3", kind="key_task", due=date(2020, 1, 1), light="done", progress=Decimal("100"),
              expandable=True, unit="教育部"),
        _item(10, title="未定", code="4", kind="unknown-kind", due=None, light="grey", progress=None, expandable=False,
              unit="上海市"),
        _item(11, title="将来", code="5", kind="milestone", due=today + timedelta(days=3), light="green",
              progress=Decimal("99.96"), expandable=False, unit="上海市"),
    ]
    plan = SimpleNamespace(pk=3)
    with translation.override(language):
        old = Engine.get_default().from_string(OLD_LOOP).render(Context({"items": items, "plan": plan}))
        assert tree_rows(items, plan) == old
        assert tree_rows([], plan) == ""


@pytest.mark.parametrize("value", [None, "", "b", 2, ["b"], "missing"])
def test_fast_select_renders_what_djangos_select_renders(value):
    """``FastSelect`` builds a flat select's options straight from the choices: the same markup as
    its general path through Django's ``optgroups`` (what the pages showed before)."""
    from django.utils.translation import gettext_lazy

    from luoshi.plans.forms import FastSelect

    from django.utils.safestring import mark_safe

    choices = [("", gettext_lazy("All units")), ("b", '<b>"北京" & 上海</b>'), (2, "二"), ("b", "again b"), (None, "none"),
               ("s", mark_safe("<i>kept</i>")), ("'<&>", "'quote'")]
    attrs = {"id": "id_unit", "data-x": 'a"b', "required": True}
    widget = FastSelect(choices=choices)
    fast = widget.render("unit", value, attrs)
    assert fast == widget.render_optgroups("unit", value, attrs)
    assert fast.count(" selected") == (0 if value in ("missing",) else 1)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_item_rows_show_each_rows_own_progress_bar_and_escape_every_value(language, db):
    """``item_rows`` makes each progress bar once per value for a table: every row still shows the
    bar of its own value (equal values, written differently, give the same bar), and every value
    from the database is escaped as ``escape`` would."""
    from django.utils.html import escape

    from django.utils.translation import gettext

    from luoshi.plans.templatetags.plans_ui import item_rows, progress

    unit = SimpleNamespace(display_name='<b>"东城"</b> & 区')
    values = [Decimal("50"), Decimal("50.00"), None, Decimal(0), Decimal("99.96"), Decimal("50"), Decimal("12.35")]
    items = [SimpleNamespace(pk=10 + n, plan_id=3, plan=SimpleNamespace(title="规划 <1>"), code=f"1.{n}", title=f"<i>'{n}'</i>",
                             kind="measure", lead_unit=unit, due_date=None, light="green", progress=value, child_count=0)
             for n, value in enumerate(values)]
    with translation.override(language):
        rows = item_rows(items, show_plan=True).split("</tr>\n")[:-1]
        assert len(rows) == len(items)
        for row, item in zip(rows, items, strict=True):
            assert str(progress(item.progress, gettext("Progress"))) in row
            assert escape(item.title) in row and escape(unit.display_name) in row and escape(item.plan.title) in row
            assert "<i>" not in row and "<b>" not in row


# The home page's two loops before they became ``home_items`` (2026-12-04).
OLD_HOME_OVERDUE = """{% load i18n plans_ui %}{% for item in overdue %}<li><a href="{% url 'plans:item' item.plan_id item.pk %}">{{ item.code }} {{ item.title }}</a>
    <span class="muted small">{{ item.lead_unit.display_name }} · {% blocktranslate with date=item.due_date|date:"Y-m-d" count days=item|days_overdue %}due {{ date }}, {{ days }} day late{% plural %}due {{ date }}, {{ days }} days late{% endblocktranslate %}</span></li>{% endfor %}"""
OLD_HOME_DUE_SOON = """{% load i18n plans_ui %}{% for item in due_soon %}<li><a href="{% url 'plans:item' item.plan_id item.pk %}">{{ item.code }} {{ item.title }}</a>
    <span class="muted small">{{ item.lead_unit.display_name }} · {% translate "due" %} {{ item.due_date|date:"Y-m-d" }}</span></li>{% endfor %}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_home_items_are_the_old_template_loops(language, db):
    from luoshi.plans.templatetags.plans_ui import home_items

    today = timezone.localdate()
    late = [SimpleNamespace(pk=7 + n, plan_id=3, code=f"1.{n}<", title=f'<b>"逾期" & {n}</b>', light=light,
                            due_date=today - timedelta(days=days), lead_unit=SimpleNamespace(display_name="东城<区>"))
            for n, (days, light) in enumerate([(1, "red"), (2, "amber"), (400, "red"), (0, "red"), (3, "done")])]
    soon = [SimpleNamespace(pk=20 + n, plan_id=4, code=f"2.{n}", title=f"即将 '{n}' &", light="green",
                            due_date=today + timedelta(days=n), lead_unit=SimpleNamespace(display_name='"北京"'))
            for n in range(4)]
    with translation.override(language):
        engine = Engine.get_default()
        assert home_items(late, overdue=True) == engine.from_string(OLD_HOME_OVERDUE).render(Context({"overdue": late}))
        assert home_items(soon) == engine.from_string(OLD_HOME_DUE_SOON).render(Context({"due_soon": soon}))
        assert home_items([]) == "" and home_items([], overdue=True) == ""


def test_a_light_made_once_follows_the_language(db):
    """``light`` keeps each code's markup per form and language: the same markup as made afresh,
    and the other language's label once the language changes."""
    from django.utils.html import conditional_escape, format_html

    from luoshi.plans.rules import LIGHT_RULE_TEXT
    from luoshi.plans.templatetags import plans_ui

    def afresh(code, compact):
        label = plans_ui.LIGHT_LABELS.get(code, code)
        text = format_html('<span class="visually-hidden">{}</span>', label) if compact else conditional_escape(label)
        return format_html('<span class="light light-{}" title="{}"><span class="light-dot" aria-hidden="true"></span>{}</span>',
                           code, LIGHT_RULE_TEXT, text)

    seen = {}
    for _ in range(2):
        for language in ("zh-hans", "en"):
            with translation.override(language):
                for code in [*plans_ui.LIGHT_LABELS, "<odd>"]:
                    for compact in (False, True):
                        made = plans_ui.light(code, compact)
                        assert made == afresh(code, compact)
                        seen[language, code, compact] = made
    assert seen["zh-hans", "red", False] != seen["en", "red", False]


def test_item_rows_labels_read_in_chinese(db):
    """Every fixed text of ``item_rows`` is in the catalogue (a ``gettext`` call inside an f-string's
    braces is not found by ``makemessages``, so its text would fall back to English)."""
    from luoshi.plans.templatetags.plans_ui import item_rows

    unit = SimpleNamespace(display_name="东城区")
    items = [SimpleNamespace(pk=1 + n, plan_id=3, plan=SimpleNamespace(title="规划"), code=f"1.{n}", title="事项",
                             kind="measure", lead_unit=unit, due_date=None, light="green", progress=Decimal(10),
                             child_count=children) for n, children in enumerate([0, 2])]
    with translation.override("zh-hans"):
        html = str(item_rows(items, show_plan=True, show_report=True, reports={}, writable=()))
    assert ">未报<" in html and ">由下级事项汇总<" in html
    labels = set(re.findall(r'data-label="([^"]*)"', html))
    assert labels and not any(re.search(r"[A-Za-z]", label) for label in labels), labels
