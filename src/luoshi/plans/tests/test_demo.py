"""The demo plans carry the dates they represent: a past year's work happened in that year.

A visitor opening a 2024 report should read that it was submitted and approved in 2024 (its
version history, its audit record, the notices it sent), not on the day the demo was built; the
notices of long-past quarters have been read; and the lights are today's. Each test loads one
demo plan (the national one takes a while), and checks what a visitor would look at.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from luoshi.audit.models import AuditRecord
from luoshi.core.context import batch
from luoshi.plans import demo
from luoshi.plans.models import Notification, Plan, PlanItem, ProgressReport, ReportVersion

pytestmark = pytest.mark.django_db


def local_date(moment: datetime) -> date:
    assert moment is not None
    return timezone.localtime(moment).date()


def history(obj) -> list[tuple[str, date]]:
    records = AuditRecord.objects.filter(content_type=ContentType.objects.get_for_model(obj),
                                         object_id=str(obj.pk)).order_by("timestamp", "pk")
    return [(r.verb or r.action, local_date(r.timestamp)) for r in records]


def assert_notices_read_and_past(plan) -> None:
    notices = Notification.objects.filter(item__plan=plan)
    assert notices.exists()
    assert not notices.filter(read_at=None).exists()
    for notice in notices:
        assert local_date(notice.created_at) < timezone.localdate()
        assert notice.read_at >= notice.created_at


def test_the_2024_plan_was_carried_out_in_2024(world):
    with batch("cli"):
        demo.load(world.admin)
    plan = Plan.objects.get(title=demo.PLAN_TITLE)
    assert history(plan) == [("create", date(2024, 1, 15)), ("published", date(2024, 1, 19))]

    # every report was written and submitted in the first week after its quarter, and decided
    # in the second; the last decisions fell in January 2025
    reports = list(ProgressReport.objects.filter(item__plan=plan).exclude(submitted_at=None))
    assert len(reports) > 100
    decided = [r for r in reports if r.reviewed_at is not None]
    for report in reports:
        assert local_date(report.created_at) == local_date(report.submitted_at) \
            == report.period_end + timedelta(days=demo.REPORT_AFTER), report
    for report in decided:
        assert local_date(report.reviewed_at) == report.period_end + timedelta(days=demo.REVIEW_AFTER), report
    assert max(local_date(r.reviewed_at) for r in decided) == date(2025, 1, 12)
    # one item is still open: its Q3 report waits for review since October 2024
    waiting = [r for r in reports if r.reviewed_at is None]
    assert [(r.period, r.state) for r in waiting] == [("2024-Q3", "submitted")]

    # what the report page shows: the frozen versions and the history, dated then
    report = ProgressReport.objects.filter(item__plan=plan, period="2024-Q2", state="approved").first()
    versions = ReportVersion.objects.filter(report=report).order_by("number")
    assert [(v.state, local_date(v.created_at)) for v in versions] == [
        ("submitted", date(2024, 7, 6)), ("approved", date(2024, 7, 12))]
    assert history(report) == [("create", date(2024, 7, 6)), ("submit", date(2024, 7, 6)),
                               ("approve", date(2024, 7, 12))]

    assert_notices_read_and_past(plan)
    # the lights are today's: 2024 is over, so what was not finished is red, the rest done
    assert set(PlanItem.objects.filter(plan=plan).values_list("light", flat=True)) == {"done", "red"}


def test_the_current_year_plan_reports_its_ended_quarters_after_they_ended(world):
    with batch("cli"):
        demo.load_current(world.admin)
    today = timezone.localdate()
    plan = Plan.objects.get(title=f"北京市{today.year}年教育工作要点（示例）")
    assert local_date(plan.created_at) == min(date(today.year, 1, 8), today)
    reports = ProgressReport.objects.filter(item__plan=plan)
    for report in reports:
        assert report.period_end < today
        assert report.period_end < local_date(report.submitted_at) <= local_date(report.reviewed_at) <= today
    # the notices of earlier quarters have been read; the latest quarter's wait to be opened
    latest_end = max((r.period_end for r in reports), default=None)
    notices = Notification.objects.filter(item__plan=plan)
    for notice in notices:
        assert local_date(notice.created_at) <= today
        assert (notice.read_at is None) == (local_date(notice.created_at) > latest_end), notice.title
    if latest_end:
        assert notices.filter(read_at=None).exists()
