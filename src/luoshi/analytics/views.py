"""Analytics pages: the overview, a unit's page, the comparison across the units below, and the
XLSX export of any chart's table. Views parse input, ask ``dashboard`` (scoped reads) for the
numbers, shape them with ``charts`` and render; the export rebuilds the page's charts the same
way and writes the table of the one asked for, so it holds exactly what the page showed.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.analytics import charts, dashboard
from luoshi.core.tabular import write_xlsx
from luoshi.orgs.models import OrgUnit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TRENDS = 6        # indicator trend charts on a unit page
PLAN_CHARTS = 4   # plans charted on a page


def _unit_url(unit) -> str:
    code = unit if isinstance(unit, str) else unit.code
    return reverse("analytics:unit", args=[code])


def _item_url(item) -> str:
    return reverse("plans:item", args=[item.plan_id, item.pk])


def _period(request: HttpRequest, user, unit: OrgUnit) -> str:
    text = (request.GET.get("period") or "").strip()
    if not text:
        return dashboard.default_period(user, unit)
    from django.core.exceptions import ValidationError

    from luoshi.bulletins.services import clean_period

    try:
        return clean_period(text)
    except ValidationError:
        raise Http404("bad period") from None


def _cell(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{value:,.0f}"
    return str(value)


def _finish(chart: dict, page: str, params: dict, link_col: int = 0) -> dict:
    """Add what the template needs: the element id, the export link and the table's cells."""
    links = chart["links"]
    chart["dom_id"] = f"chart-data-{chart['id']}"
    chart["export"] = reverse("analytics:export") + "?" + urlencode({**params, "page": page, "chart": chart["id"]})
    chart["table_rows"] = [[{"text": _cell(v), "link": links[i] if j == link_col and i < len(links) else None}
                            for j, v in enumerate(row)] for i, row in enumerate(chart["rows"])]
    return chart


# Page data ------------------------------------------------------------------------------------

def _plan_charts(user, unit: OrgUnit, year: int | None) -> tuple[dashboard.PlanOverview, list[dict]]:
    overview = dashboard.plan_overview(user, unit, year)
    found = [charts.lights_chart(overview.lights), charts.overdue_chart(overview.by_unit, _unit_url)]
    found += [charts.plan_progress_chart(s, _item_url) for s in overview.plans[:PLAN_CHARTS] if s.headline]
    return overview, found


def overview_data(user, unit: OrgUnit, period: str) -> dict:
    plans, plan_charts = _plan_charts(user, unit, None)
    rows = dashboard.indicator_rows(user, unit, period)
    compare = reverse("analytics:compare") + "?" + urlencode({"unit": unit.code, "period": period})
    below = (lambda r: f"{compare}&indicator={r.indicator}") if dashboard.child_units(user, unit) else None
    indicator_charts = [charts.attainment_chart(dashboard.attainment_rows(user, unit, rows), below or (lambda r: None)),
                        charts.completeness_chart(rows, below)]
    return {"plans": plans, "plan_charts": plan_charts, "indicator_charts": indicator_charts, "rows": rows}


def _compare_url(unit: OrgUnit, code: str):
    """Drill-down from a period of an indicator to the units below, for that period."""
    base = reverse("analytics:compare")
    return lambda row: base + "?" + urlencode({"unit": unit.code, "period": row.period, "indicator": code})


def unit_data(user, unit: OrgUnit, period: str) -> dict:
    data = overview_data(user, unit, period)
    data["children"] = dashboard.child_units(user, unit)
    targeted = dashboard.with_target(data["rows"]) or data["rows"]
    trend_charts = []
    for indicator, series, view in dashboard.trends(user, unit, [r.indicator for r in targeted][:TRENDS]):
        trend_charts.append(charts.trend_chart(
            indicator.code, indicator.name, indicator.unit_of_measure, series, note=view.text,
            period_url=_compare_url(unit, indicator.code) if data["children"] else None))
    year = dashboard.year_of(period)
    standings = dashboard.standings(user, unit, year)
    rank_charts = []
    for standing in standings:
        rows = [{"unit": r.unit, "score": r.score, "rank": r.rank} for r in standing.visible]
        if rows:
            rank_charts.append(charts.ranking_chart(rows, unit.code, _unit_url, f"{standing.run.scheme.name} · {standing.run.year}",
                                                    id=f"ranking-{standing.run.pk}"))
    for run, results in dashboard.rankings_below(user, unit, year):
        if any(c["id"] == f"ranking-{run.pk}" for c in rank_charts):
            continue
        rows = [{"unit": r.unit, "score": r.score, "rank": r.rank} for r in results]
        rank_charts.append(charts.ranking_chart(rows, None, _unit_url, f"{run.scheme.name} · {run.year}", id=f"ranking-{run.pk}"))
    data.update({"trend_charts": trend_charts, "standings": standings, "rank_charts": rank_charts})
    return data


def compare_data(user, unit: OrgUnit, period: str, indicator_code: str) -> dict:
    from luoshi.analytics import queries

    rows = dashboard.indicator_rows(user, unit, period)
    compared = dashboard.compared_indicators(user, unit, period)
    # Indicators the units below report come first (the others have nothing to compare).
    choices = sorted(((r.indicator, r.indicator_name) for r in rows), key=lambda c: c[0] not in compared)
    code = indicator_code or (choices[0][0] if choices else "")
    result = {"choices": choices, "indicator": None, "charts": [], "code": code}
    if not code:
        return result
    indicator = queries.indicator(user, code)
    below = dashboard.compare_rows(user, unit, indicator, period)
    bar = charts.compare_chart(indicator, period, below, lambda r: _unit_url(r.unit))
    result["indicator"] = indicator
    result["charts"] = [bar]
    names = [charts.map_name(c) for c in bar["codes"]]
    if any(names):
        result["charts"].append(charts.map_chart(bar, names))
    return result


def _all_charts(page: str, data: dict) -> list[dict]:
    if page == "compare":
        return data["charts"]
    found = data["plan_charts"] + data["indicator_charts"]
    if page == "unit":
        found += data["trend_charts"] + data["rank_charts"]
    return found


def _context(user, page: str, unit: OrgUnit, period: str, indicator: str = "") -> dict:
    params = {"unit": unit.code, "period": period} | ({"indicator": indicator} if indicator else {})
    if page == "compare":
        data = compare_data(user, unit, period, indicator)
        params["indicator"] = data["code"]
    elif page == "unit":
        data = unit_data(user, unit, period)
    else:
        data = overview_data(user, unit, period)
    for c in _all_charts(page, data):
        _finish(c, page, params, link_col=1 if c["id"].startswith("plan-") else 0)
    return {"unit": unit, "period": period, "periods": dashboard.unit_periods(user, unit) or [period],
            "crumbs": dashboard.breadcrumbs(user, unit), "children": dashboard.child_units(user, unit), **data}



# Pages ----------------------------------------------------------------------------------------

@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The overview of the user's topmost unit (national for the ministry), or of ``?unit=``."""
    user = request.user
    homes = dashboard.home_units(user)
    code = request.GET.get("unit")
    if code:
        unit = dashboard.subject_unit(user, code)
    elif homes:
        unit = homes[0]
    else:
        return render(request, "analytics/overview.html", {"unit": None, "homes": []})
    context = _context(user, "overview", unit, _period(request, user, unit))
    context["homes"] = homes
    context["can_bulletin"] = _can_bulletin(user, unit)
    return render(request, "analytics/overview.html", context)


@login_required
def unit_page(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    unit = dashboard.subject_unit(user, code)
    context = _context(user, "unit", unit, _period(request, user, unit))
    context["can_bulletin"] = _can_bulletin(user, unit)
    from luoshi.bulletins import queries as bulletin_queries

    context["bulletins"] = list(bulletin_queries.bulletins(user, unit=unit)[:5])
    return render(request, "analytics/unit.html", context)


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    user = request.user
    code = request.GET.get("unit")
    if not code:
        homes = dashboard.home_units(user)
        if not homes:
            raise Http404("no unit")
        return redirect(reverse("analytics:compare") + "?" + urlencode({"unit": homes[0].code}))
    unit = dashboard.subject_unit(user, code)
    context = _context(user, "compare", unit, _period(request, user, unit), (request.GET.get("indicator") or "").strip())
    context["with_map"] = any(c["kind"] == "map" for c in context["charts"])
    return render(request, "analytics/compare.html", context)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """``?page=overview|unit|compare&chart=ID&unit=CODE&period=P[&indicator=CODE]``: the chart's table as XLSX."""
    user = request.user
    page = request.GET.get("page", "")
    if page not in ("overview", "unit", "compare"):
        raise Http404("unknown page")
    unit = dashboard.subject_unit(user, request.GET.get("unit", ""))
    context = _context(user, page, unit, _period(request, user, unit), (request.GET.get("indicator") or "").strip())
    wanted = request.GET.get("chart", "")
    found = next((c for c in _all_charts(page, context) if c["id"] == wanted), None)
    if found is None:
        raise Http404("unknown chart")
    content = write_xlsx(found["header"], found["rows"], title=_("Data"))
    response = HttpResponse(content, content_type=XLSX)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{unit.code}-{context["period"]}-{found["id"]}-{stamp}.xlsx"'
    return response


def _can_bulletin(user, unit: OrgUnit) -> bool:
    from luoshi.bulletins.models import Bulletin
    from luoshi.core import authz

    return authz.can_in_unit(user, "add", Bulletin, unit)
