"""Progress reports: draft → submitted → approved or returned → resubmitted, and who may do what."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from luoshi.audit.models import AuditRecord
from luoshi.plans import services
from luoshi.plans.models import Notification, PlanItem, ProgressReport

DATA = {"status": "on_track", "percent": Decimal(40), "achievements": "完成园所布局调研。"}


def _report(world, item, username="beijing_reporter", unit="110000", period="2024-Q1", **extra):
    return services.save_report(world.user(username), item, world.unit(unit), period, {**DATA, **extra})


def test_it_runs_the_whole_review_cycle(world, small):
    report = _report(world, small.beijing)
    assert report.state == "draft"
    services.submit_report(world.user("beijing_reporter"), report)
    assert Notification.objects.filter(user=world.user("ministry_reviewer"), kind="submitted").exists()

    services.return_report(world.user("ministry_reviewer"), report, "请补充量化数据。")
    report.refresh_from_db()
    assert report.state == "returned" and report.review_comment == "请补充量化数据。"
    assert Notification.objects.filter(user=world.user("beijing_reporter"), kind="returned").exists()

    services.save_report(world.user("beijing_reporter"), small.beijing, world.unit("110000"), "2024-Q1",
                         {**DATA, "percent": Decimal(45)})
    services.submit_report(world.user("beijing_reporter"), report)
    services.approve_report(world.user("ministry_reviewer"), report)
    report.refresh_from_db()
    assert report.state == "approved"
    assert [v.state for v in report.versions.all()] == ["submitted", "returned", "submitted", "approved"]
    assert report.versions.last().data["percent"] == "45.00"
    verbs = list(AuditRecord.objects.filter(object_id=str(report.pk), action="transition").order_by("id").values_list("verb", flat=True))
    assert verbs == ["submit", "return", "submit", "approve"]


def test_it_rolls_progress_up_when_a_report_is_approved(world, small):
    report = _report(world, small.dongcheng, unit="110101", percent=Decimal(80))
    services.submit_report(world.user("beijing_reporter"), report)
    services.approve_report(world.user("beijing_reviewer"), report)
    beijing = PlanItem.objects.get(pk=small.beijing.pk)
    measure = PlanItem.objects.get(pk=small.measure.pk)
    assert beijing.progress == Decimal("80.00")
    # 北京 weighs 2, 上海 1 with nothing approved: (80×2 + 0×1) / 3
    assert measure.progress == Decimal("53.33")
    assert PlanItem.objects.get(pk=small.task.pk).progress == Decimal("53.33")


@pytest.mark.parametrize("action", ["approve", "return"])
def test_it_refuses_to_review_a_draft(world, small, action):
    report = _report(world, small.beijing)
    with pytest.raises(ValidationError, match="cannot be"):
        getattr(services, f"{action}_report")(world.user("ministry_reviewer"), report, "理由")
    report.refresh_from_db()
    assert report.state == "draft"


def test_it_locks_submitted_and_approved_reports(world, small):
    report = _report(world, small.beijing)
    services.submit_report(world.user("beijing_reporter"), report)
    with pytest.raises(ValidationError, match="cannot be edited"):
        _report(world, small.beijing, percent=Decimal(90))
    services.approve_report(world.user("ministry_reviewer"), report)
    with pytest.raises(ValidationError):
        _report(world, small.beijing, percent=Decimal(90))
    with pytest.raises(ValidationError):
        services.submit_report(world.user("beijing_reporter"), report)
    report.refresh_from_db()
    assert report.percent == Decimal(40)


def test_it_requires_a_comment_to_return(world, small):
    report = _report(world, small.beijing)
    services.submit_report(world.user("beijing_reporter"), report)
    with pytest.raises(ValidationError):
        services.return_report(world.user("ministry_reviewer"), report, "  ")


def test_it_lets_only_a_reviewer_of_the_assigning_unit_review(world, small):
    # 东城区's item was assigned by 北京: the ministry's reviewer covers it too (教育部 and below),
    # but 北京's reviewer may not review 北京's own item, which the ministry assigned.
    report = _report(world, small.beijing)
    services.submit_report(world.user("beijing_reporter"), report)
    with pytest.raises(PermissionDenied):
        services.approve_report(world.user("beijing_reviewer"), report)
    with pytest.raises(PermissionDenied):
        services.approve_report(world.user("beijing_reporter"), report)


def test_it_hides_reports_from_other_provinces(world, small):
    from django.http import Http404

    report = _report(world, small.beijing)
    services.submit_report(world.user("beijing_reporter"), report)
    with pytest.raises(Http404):
        services.approve_report(world.user("shanghai_reviewer"), report)


def test_it_refuses_a_report_for_an_item_the_unit_does_not_hold(world, small):
    before = (ProgressReport.objects.count(), AuditRecord.objects.count())
    with pytest.raises(ValidationError, match="does not hold"):
        _report(world, small.beijing, username="beijing_reporter", unit="110101")
    with pytest.raises(ValidationError):
        _report(world, small.beijing, period="2024-M03")
    with pytest.raises(ValidationError):
        _report(world, small.beijing, period="2031-Q1")
    assert (ProgressReport.objects.count(), AuditRecord.objects.count()) == before


def test_it_refuses_reports_on_a_draft_plan(world):
    from luoshi.plans.tests.conftest import build_small_plan

    from django.http import Http404

    draft = build_small_plan(world, status="draft")
    # The ministry's reporter sees the ministry's draft, but may not report on it yet …
    with pytest.raises(ValidationError, match="published"):
        _report(world, draft.task, username="ministry_reporter", unit="MOE-JCJYS")
    # … and to 北京, which holds one of its items, the draft is not there at all until published.
    with pytest.raises(Http404):
        _report(world, draft.beijing)
