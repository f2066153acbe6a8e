"""Writing a bulletin: gather its sections through the requester's scope, draw the charts as SVG,
render the HTML template to PDF with WeasyPrint.

Everything in a bulletin about unit U comes from U's subtree (``analytics.dashboard`` reads it
with the requester's grants): plan progress and overdue items of units in U's subtree, U's
aggregated indicators, U's own rank among its peers, and rankings of the units below U. It
never holds another branch's numbers, so it can be sent to the units below U.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from luoshi.analytics import charts, dashboard
from luoshi.bulletins import services, svg
from luoshi.bulletins.models import Bulletin

log = logging.getLogger(__name__)
OVERDUE_LISTED = 200  # overdue items listed one by one (the count is always complete)


class BulletinError(Exception):
    """A bulletin that cannot be written (said in words the requester understands)."""


def _none(_item) -> None:
    return None


def _figure(chart: dict) -> dict:
    return {**chart, "svg": mark_safe(svg.render(chart))}  # noqa: S308 - every label is escaped in svg.py


def collect(user, unit, period: str, today: date | None = None,
            progress: Callable[[int, str], None] = lambda percent, step: None) -> dict:
    """The bulletin's sections as template context (numbers of ``unit``'s subtree only)."""
    today = today or timezone.localdate()
    year = dashboard.year_of(period)
    progress(10, _("Plan progress"))
    overview = dashboard.plan_overview(user, unit, year, today=today)
    plans = [{"summary": s, "chart": _figure(charts.plan_progress_chart(s, _none))} for s in overview.plans if s.headline]
    lights = _figure(charts.lights_chart(overview.lights))
    progress(30, _("Overdue items by unit"))
    by_unit = _figure(charts.overdue_chart(overview.by_unit, _none))
    overdue_qs = dashboard.overdue_items(user, unit, year, today)
    overdue_header, overdue_rows = charts.overdue_rows(list(overdue_qs[:OVERDUE_LISTED]), today)
    progress(50, _("Indicator attainment"))
    rows = dashboard.indicator_rows(user, unit, period)
    attainment = _figure(charts.attainment_chart(dashboard.attainment_rows(user, unit, rows), _none))
    completeness = _figure(charts.completeness_chart(rows))
    trends = []
    for indicator, series, view in dashboard.trends(user, unit, [r.indicator for r in dashboard.with_target(rows)][:4]):
        trends.append(_figure(charts.trend_chart(indicator.code, indicator.name, indicator.unit_of_measure, series, note=view.text)))
    progress(70, _("Rankings"))
    standings = dashboard.standings(user, unit, year)
    rankings = []
    for run, results in dashboard.rankings_below(user, unit, year):
        rows_ = [{"unit": r.unit, "score": r.score, "rank": r.rank, "linked": False} for r in results]
        rankings.append({"run": run, "chart": _figure(charts.ranking_chart(rows_, None, _none, f"{run.scheme.name} · {run.year}"))})
    return {
        "unit": unit, "period": period, "today": today, "overview": overview, "plans": plans, "lights": lights,
        "by_unit": by_unit, "overdue_header": overdue_header, "overdue_rows": overdue_rows,
        "overdue_total": overdue_qs.count(), "overdue_listed": OVERDUE_LISTED, "attainment": attainment,
        "completeness": completeness, "indicator_rows": rows, "trends": trends, "standings": standings,
        "rankings": rankings,
    }


def render_pdf(context: dict) -> bytes:
    """The bulletin's HTML (``bulletins/pdf.html``) as PDF bytes."""
    from weasyprint import HTML

    html = render_to_string("bulletins/pdf.html", context)
    return HTML(string=html, base_url=None).write_pdf()


def write(user, unit, period: str, language: str = "zh-hans", today: date | None = None,
          progress: Callable[[int, str], None] = lambda percent, step: None) -> bytes:
    """The PDF of a bulletin about ``unit`` for ``period``, as ``user`` sees it."""
    if user is None or not user.is_active or not dashboard.may_see_subtree(user, unit):
        raise BulletinError(_("The person who asked for this bulletin may no longer see this unit's figures."))
    with translation.override(language):
        context = collect(user, unit, period, today, progress)
        progress(85, _("Writing the PDF"))
        return render_pdf(context)


def build(bulletin_id: int) -> dict[str, int]:
    """The worker's job: write the bulletin's PDF, recording progress; a failure is recorded, not raised."""

    def progress(percent: int, step: str) -> None:
        services.set_progress(bulletin_id, percent, step)

    return build_with(bulletin_id, progress)


def build_with(bulletin_id: int, progress: Callable[[int, str], None]) -> dict[str, int]:
    bulletin = Bulletin.objects.select_related("unit", "requested_by").defer("pdf").get(pk=bulletin_id)
    if bulletin.finished:
        return {"bulletin": bulletin_id, "bytes": bulletin.size}
    progress(2, _("Starting"))
    try:
        pdf = write(bulletin.requested_by, bulletin.unit, bulletin.period, bulletin.language, progress=progress)
    except BulletinError as exc:
        services.fail(bulletin_id, str(exc))
        return {"bulletin": bulletin_id, "bytes": 0}
    except Exception as exc:  # recorded for the requester to see, and logged with its traceback
        log.exception("bulletin %s failed", bulletin_id)
        services.fail(bulletin_id, f"{type(exc).__name__}: {exc}")
        return {"bulletin": bulletin_id, "bytes": 0}
    services.finish(bulletin_id, pdf)
    return {"bulletin": bulletin_id, "bytes": len(pdf)}
