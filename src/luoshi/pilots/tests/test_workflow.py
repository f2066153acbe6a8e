"""The pilot workflow through the services: call → application → decision → pilot → progress →
review (复盘) → outcome; every illegal step refused with a clear message and no change."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from luoshi.audit.models import AuditRecord
from luoshi.pilots import services
from luoshi.pilots.models import Application, Pilot, PilotEvidence, Programme, ProgressEntry, Review
from luoshi.pilots.tests.conftest import (
    OTHER_SCHOOL, REVIEW_DATA, SCHOOL, application_data, make_application, make_pilot, make_programme, make_review,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_the_whole_path_from_call_to_promotion(world):
    programme = make_programme(world)
    school = world.unit(SCHOOL)
    reporter, reviewer = world.user("beijing_reporter"), world.user("ministry_reviewer")
    application = services.save_application(reporter, programme, school, application_data())
    assert application.state == "draft"
    services.submit_application(reporter, application)
    services.decide_application(reviewer, application, "shortlist")
    services.decide_application(reviewer, application, "approve", "方案扎实。")
    pilot = Pilot.objects.get(application=application)
    assert (pilot.unit, pilot.state, pilot.baseline) == (school, "running", application_data()["baseline"])
    assert school in pilot.participants.all()

    entry = services.add_entry(reporter, pilot, {"done": "完成智慧教室建设。", "problems": "网络带宽不足。",
                                                 "figures": {"数字化教学课时占比": "20"}}, escalate=True)
    assert entry.escalation == "open"
    services.answer_escalation(world.user("beijing_reviewer"), entry, "区里统筹升级带宽。")
    assert ProgressEntry.objects.get(pk=entry.pk).escalation == "answered"

    review = services.save_review(reporter, pilot, dict(REVIEW_DATA))
    assert review.figures[0] == {"name": "数字化教学课时占比", "baseline": "12", "result": "31"}
    services.submit_review(reporter, review)
    assert Pilot.objects.get(pk=pilot.pk).state == "reviewing"
    services.decide_review(reviewer, review, "promote")
    assert Review.objects.get(pk=review.pk).outcome == "promote"
    assert Pilot.objects.get(pk=pilot.pk).state == "promoted"
    verbs = set(AuditRecord.objects.filter(action="transition").values_list("verb", flat=True))
    assert {"submit", "shortlist", "approve", "submit_review", "promote"} <= verbs


@pytest.mark.parametrize("outcome, pilot_state", [("continue", "running"), ("adjust", "running"), ("close", "closed")])
def test_other_outcomes(world, outcome, pilot_state):
    review = make_review(world, world.unit(SCHOOL))
    services.decide_review(world.user("ministry_reviewer"), review, outcome, "理由：示例。")
    assert Pilot.objects.get(pk=review.pilot_id).state == pilot_state


def test_a_decision_other_than_promote_needs_a_reason(world):
    review = make_review(world, world.unit(SCHOOL))
    with pytest.raises(ValidationError, match="reason|why|理由|说明"):
        services.decide_review(world.user("ministry_reviewer"), review, "close", "")
    assert Review.objects.get(pk=review.pk).state == "submitted"


def test_a_midterm_check_cannot_promote_and_leaves_the_pilot_running(world):
    review = make_review(world, world.unit(SCHOOL), kind="midterm")
    assert Pilot.objects.get(pk=review.pilot_id).state == "running"
    with pytest.raises(ValidationError, match="mid-term"):
        services.decide_review(world.user("ministry_reviewer"), review, "promote")
    services.decide_review(world.user("ministry_reviewer"), review, "adjust", "调整范围。")
    assert Pilot.objects.get(pk=review.pilot_id).state == "running"


def test_a_returned_review_can_be_corrected_and_resubmitted(world):
    review = make_review(world, world.unit(SCHOOL))
    reviewer = world.user("ministry_reviewer")
    services.return_review(reviewer, review, "请补充成本明细。")
    assert (Review.objects.get(pk=review.pk).state, Pilot.objects.get(pk=review.pilot_id).state) == ("returned", "running")
    services.save_review(world.admin, review.pilot, {"cost_notes": "设备30万元，培训15.5万元。"}, review=review)
    services.submit_review(world.admin, review)
    assert Pilot.objects.get(pk=review.pilot_id).state == "reviewing"


ILLEGAL = [
    ("decided review decided again", lambda w, r: services.decide_review(w.user("ministry_reviewer"), r, "close", "x"),
     "cannot be decided"),
    ("decided review returned", lambda w, r: services.return_review(w.user("ministry_reviewer"), r, "x"),
     "cannot be returned"),
    ("decided review submitted", lambda w, r: services.submit_review(w.admin, r), "cannot be submitted"),
    ("decided review edited", lambda w, r: services.save_review(w.admin, r.pilot, {"lessons": "x"}, review=r),
     "cannot be edited"),
    ("promoted pilot gets a new review", lambda w, r: services.save_review(w.admin, r.pilot, dict(REVIEW_DATA)),
     "while the pilot is running"),
    ("promoted pilot gets progress", lambda w, r: services.add_entry(w.admin, r.pilot, {"done": "x"}),
     "while a pilot is running"),
]


@pytest.mark.parametrize("name, step, message", ILLEGAL, ids=[i[0] for i in ILLEGAL])
def test_illegal_steps_after_promotion_are_refused(world, name, step, message):
    review = make_review(world, world.unit(SCHOOL))
    services.decide_review(world.user("ministry_reviewer"), review, "promote")
    review = Review.objects.get(pk=review.pk)
    before = AuditRecord.objects.count()
    with pytest.raises(ValidationError, match=message):
        step(world, review)
    assert AuditRecord.objects.count() == before


def test_application_transitions_refused(world):
    application = make_application(world, world.unit(SCHOOL))
    reviewer = world.user("ministry_reviewer")
    with pytest.raises(ValidationError, match="cannot be submitted"):
        services.submit_application(world.admin, application)
    services.decide_application(reviewer, application, "decline", "名额有限，示例。")
    for action in ("shortlist", "approve", "decline"):
        with pytest.raises(ValidationError, match="Declined|cannot be"):
            services.decide_application(reviewer, application, action, "x")
    with pytest.raises(ValidationError, match="cannot be withdrawn"):
        services.withdraw_application(world.admin, application)
    assert not Pilot.objects.filter(application=application).exists()


def test_decline_needs_a_reason_and_approval_respects_places(world):
    programme = make_programme(world, places=1)
    first = make_application(world, world.unit(SCHOOL), programme)
    second = make_application(world, world.unit(OTHER_SCHOOL), programme)
    reviewer = world.user("ministry_reviewer")
    with pytest.raises(ValidationError, match="declined"):
        services.decide_application(reviewer, second, "decline", "  ")
    services.decide_application(reviewer, first, "approve")
    with pytest.raises(ValidationError, match="places"):
        services.decide_application(reviewer, second, "approve")
    assert Application.objects.get(pk=second.pk).state == "submitted"


def test_applications_only_to_an_open_call_from_eligible_units(world, today):
    draft = make_programme(world, status="draft")
    with pytest.raises(ValidationError, match="not open"):
        services.save_application(world.admin, draft, world.unit(SCHOOL), application_data())
    programme = make_programme(world)
    with pytest.raises(ValidationError, match="type"):  # a province is not a school or county
        services.save_application(world.admin, programme, world.unit("110000"), application_data())
    with pytest.raises(ValidationError, match="regions"):  # 天津 is outside 北京 and 上海
        school_elsewhere = world.unit("120000")
        services.save_application(world.admin, make_programme(world, eligible_types=[], title="x"), school_elsewhere,
                                  application_data())
    late = make_programme(world, title="late")
    Programme.objects.filter(pk=late.pk).update(call_closes=today - timedelta(days=1), call_opens=today - timedelta(days=9))
    with pytest.raises(ValidationError, match="closed on"):
        services.save_application(world.admin, late, world.unit(SCHOOL), application_data())


def test_baseline_must_name_the_programmes_indicators_and_be_numbers(world):
    programme = make_programme(world)
    with pytest.raises(ValidationError, match="not one of"):
        services.save_application(world.admin, programme, world.unit(SCHOOL), application_data(baseline={"升学率": "90"}))
    with pytest.raises(ValidationError, match="not a number"):
        services.save_application(world.admin, programme, world.unit(SCHOOL),
                                  application_data(baseline={"数字化教学课时占比": "很多"}))
    app = services.save_application(world.admin, programme, world.unit(SCHOOL), application_data(baseline={}))
    with pytest.raises(ValidationError, match="baseline"):
        services.submit_application(world.admin, app)


def test_no_one_decides_on_their_own_application(world, settings):
    settings.LUOSHI_ALLOW_SELF_REVIEW = False
    application = make_application(world, world.unit(SCHOOL), submitted=False)
    services.submit_application(world.admin, application)
    with pytest.raises(PermissionDenied):
        services.decide_application(world.admin, application, "approve")


def test_reviewers_of_the_applicant_are_not_the_programmes_reviewers(world):
    application = make_application(world, world.unit(SCHOOL))
    with pytest.raises(PermissionDenied):
        services.decide_application(world.user("beijing_reviewer"), application, "approve")
    with pytest.raises(Http404):
        services.decide_application(world.user("shanghai_reviewer"), application, "approve")


def test_programme_status_machine(world):
    programme = make_programme(world, status="draft")
    planner = world.user("ministry_planner")
    with pytest.raises(ValidationError, match="cannot be finished"):
        services.set_programme_status(planner, programme, "finish")
    services.set_programme_status(planner, programme, "publish")
    with pytest.raises(ValidationError, match="cannot be published"):
        services.set_programme_status(planner, programme, "publish")
    make_pilot(world, world.unit(SCHOOL), programme)
    services.set_programme_status(planner, programme, "close_call")
    with pytest.raises(ValidationError, match="running pilots"):
        services.set_programme_status(planner, programme, "finish")


def test_progress_figures_and_dates_are_checked(world):
    pilot = make_pilot(world, world.unit(SCHOOL))
    with pytest.raises(ValidationError, match="not one of"):
        services.add_entry(world.admin, pilot, {"done": "x", "figures": {"升学率": "1"}})
    with pytest.raises(ValidationError, match="future"):
        services.add_entry(world.admin, pilot, {"done": "x", "entry_date": timezone.localdate() + timedelta(days=1)})
    with pytest.raises(ValidationError, match="problem"):
        services.add_entry(world.admin, pilot, {"done": "x", "problems": ""}, escalate=True)
    assert not pilot.entries.exists()


def test_evidence_files_are_checked(world):
    pilot = make_pilot(world, world.unit(SCHOOL))
    entry = services.add_entry(world.admin, pilot, {"done": "完成。"})
    with pytest.raises(ValidationError, match="only"):
        services.add_evidence(world.admin, entry, SimpleUploadedFile("x.exe", b"MZ"))
    with pytest.raises(ValidationError, match="does not look like"):
        services.add_evidence(world.admin, entry, SimpleUploadedFile("x.pdf", b"hello"))
    evidence = services.add_evidence(world.admin, entry, SimpleUploadedFile("课堂记录.pdf", b"%PDF-1.4 x"))
    assert PilotEvidence.objects.filter(entry=entry).count() == 1
    services.remove_evidence(world.admin, evidence)
    assert not PilotEvidence.objects.filter(entry=entry).exists()


def test_review_cost_cannot_be_negative(world):
    pilot = make_pilot(world, world.unit(SCHOOL))
    with pytest.raises(ValidationError):
        services.save_review(world.admin, pilot, {**REVIEW_DATA, "cost": Decimal("-1")})
    assert not pilot.reviews.exists()


def test_one_review_at_a_time(world):
    pilot = make_pilot(world, world.unit(SCHOOL))
    services.save_review(world.admin, pilot, dict(REVIEW_DATA), kind="midterm")
    with pytest.raises(ValidationError, match="in progress"):
        services.save_review(world.admin, pilot, dict(REVIEW_DATA))
