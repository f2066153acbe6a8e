"""Fixtures for the pilots domain: a published programme of the ministry, built through the real services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from luoshi.pilots import services
from luoshi.pilots.models import Application, Pilot, Programme, Review

INDICATORS = [
    {"name": "数字化教学课时占比", "unit": "%", "direction": "up", "code": ""},
    {"name": "教师信息素养达标率", "unit": "%", "direction": "up", "code": ""},
]
BASELINE = {"数字化教学课时占比": "12", "教师信息素养达标率": "60"}
SCHOOL = "S110101001"   # 北京市第二中学, in 东城区
OTHER_SCHOOL = "S310101001"  # 上海市格致中学, in 黄浦区


def make_programme(world, owner=None, status: str = "open", **extra) -> Programme:
    """A programme of ``owner`` (default 教育部) open to schools and districts of 北京 and 上海."""
    today = timezone.localdate()
    planner = world.admin if owner is not None else world.user("ministry_planner")
    programme = services.create_programme(
        planner, owner=owner or world.unit("MOE"), title=extra.pop("title", "教育数字化试点（测试）"),
        aims="以数字化推动教学方式变革。", indicators=INDICATORS, eligible_types=extra.pop("eligible_types", ["school", "county"]),
        eligible_regions=[world.unit("110000"), world.unit("310000")], call_opens=today - timedelta(days=30),
        call_closes=today + timedelta(days=30), starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=365),
        call_text="面向北京、上海的区和学校征集试点。", places=extra.pop("places", 5), **extra)
    if status != "draft":
        services.set_programme_status(planner, programme, "publish")
    return Programme.objects.get(pk=programme.pk)


def application_data(**extra) -> dict:
    return {"aims": "两年内数字化教学课时占比达到30%。", "approach": "建设智慧教室，开展教师研修。",
            "resources": "专项经费50万元。", "baseline": dict(BASELINE), "contact_name": "张老师",
            "contact_info": "010-00000000", **extra}


def make_application(world, unit, programme=None, submitted: bool = True) -> Application:
    programme = programme or make_programme(world)
    application = services.save_application(world.admin, programme, unit, application_data())
    if submitted:
        services.submit_application(world.user("beijing_reporter") if unit.path.startswith(world.unit("110000").path)
                                    else world.admin, application)
    return Application.objects.select_related("programme", "unit").get(pk=application.pk)


def make_pilot(world, unit, programme=None) -> Pilot:
    application = make_application(world, unit, programme)
    services.decide_application(world.user("ministry_reviewer"), application, "approve")
    return Pilot.objects.select_related("programme", "unit").get(application=application)


REVIEW_DATA = {"aims_vs_results": "目标基本达成。", "what_worked": "教研组集体备课。", "essential_problems": "评价方式滞后。",
               "core_problems": "教师时间不足。", "lessons": "先培训后推开。", "reuse_conditions": "具备千兆校园网。",
               "cost": "45.5", "results": {"数字化教学课时占比": "31", "教师信息素养达标率": "85"}}


def make_review(world, unit, submitted: bool = True, kind: str = "final") -> Review:
    pilot = make_pilot(world, unit)
    review = services.save_review(world.admin, pilot, dict(REVIEW_DATA), kind=kind)
    if submitted:
        services.submit_review(world.admin, review)
    return Review.objects.select_related("pilot").get(pk=review.pk)


@pytest.fixture
def programme(world) -> Programme:
    return make_programme(world)


@pytest.fixture
def today() -> date:
    return timezone.localdate()
