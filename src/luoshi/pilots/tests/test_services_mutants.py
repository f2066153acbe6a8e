"""The pilots services in detail (issue 13, mutation testing of ``pilots/services.py``): every
refusal compared as the whole text a user reads, the values stored and shown, who may do what,
limits at and just past their edges, and the audit records each write leaves."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from luoshi.audit.models import AuditRecord
from luoshi.core.services import EditConflict
from luoshi.pilots import services
from luoshi.pilots.models import Application, Pilot, PilotEvidence, Programme, ProgressEntry, Review
from luoshi.pilots.tests.conftest import (
    BASELINE, INDICATORS, OTHER_SCHOOL, REVIEW_DATA, SCHOOL, application_data, make_application, make_pilot,
    make_programme, make_review,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def records(obj) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(content_type=ContentType.objects.get_for_model(type(obj)),
                                           object_id=str(obj.pk)).order_by("id"))


def last(obj) -> AuditRecord:
    return records(obj)[-1]


def refusal(exc_info) -> object:
    """What the user is told: the message dict of a field error, else the list of messages."""
    error = exc_info.value
    return error.message_dict if hasattr(error, "error_dict") else error.messages


def _set(obj, **fields):
    type(obj).objects.filter(pk=obj.pk).update(**fields)
    return type(obj).objects.get(pk=obj.pk)


# Programmes ------------------------------------------------------------------------------------

def test_a_programme_made_with_only_its_title_gets_the_defaults(world):
    planner = world.user("ministry_planner")
    programme = services.create_programme(planner, owner=world.unit("MOE"), title="最简试点")
    programme = Programme.objects.get(pk=programme.pk)
    assert (programme.title, programme.aims, programme.indicators, programme.eligible_types, programme.call_text,
            programme.places, programme.status) == ("最简试点", "", [], [], "", 10, "draft")
    assert programme.review_template == services.DEFAULT_REVIEW_TEMPLATE
    assert (programme.call_opens, programme.call_closes, programme.starts_on, programme.ends_on) == (None,) * 4
    assert not programme.eligible_regions.exists() and not programme.plan_items.exists()
    record = last(programme)
    assert (record.action, record.actor, record.before) == ("create", planner, None)
    assert record.after["title"] == "最简试点" and record.after["places"] == 10


def test_a_programme_keeps_what_it_was_given(world, today):
    from luoshi.plans.tests.conftest import build_small_plan

    small = build_small_plan(world)
    planner = world.user("beijing_planner")
    programme = services.create_programme(
        planner, owner=world.unit("110000"), title="北京试点", aims="目标。", indicators=INDICATORS,
        eligible_types=["school", "county"], eligible_regions=[world.unit("110101")], plan_items=[small.beijing],
        call_opens=today, call_closes=today, starts_on=today, ends_on=today, call_text="通知。", places=1,
        review_template="一、对照目标。")
    programme = Programme.objects.get(pk=programme.pk)
    assert (programme.aims, programme.indicators, programme.eligible_types, programme.call_text, programme.places,
            programme.review_template) == ("目标。", INDICATORS, ["school", "county"], "通知。", 1, "一、对照目标。")
    # a call that opens and closes on the same day, pilots that start and end on it: allowed
    assert (programme.call_opens, programme.call_closes, programme.starts_on, programme.ends_on) == (today,) * 4
    assert list(programme.eligible_regions.all()) == [world.unit("110101")]
    assert list(programme.plan_items.all()) == [small.beijing]
    assert last(programme).after["plan_items"] == [small.beijing.pk]


def test_dates_in_the_wrong_order_are_refused_on_the_later_field(world, today):
    planner = world.user("ministry_planner")
    with pytest.raises(ValidationError) as refused:
        services.create_programme(planner, owner=world.unit("MOE"), title="x", call_opens=today,
                                  call_closes=today - timedelta(days=1), starts_on=today, ends_on=today - timedelta(days=1))
    assert refusal(refused) == {"call_closes": ["This date is before call opens."],
                                "ends_on": ["This date is before pilots start."]}
    with pytest.raises(ValidationError) as refused:
        services.create_programme(planner, owner=world.unit("MOE"), title="x", starts_on=today,
                                  ends_on=today - timedelta(days=1))
    assert refusal(refused) == {"ends_on": ["This date is before pilots start."]}
    # one date of a pair alone is fine
    services.create_programme(planner, owner=world.unit("MOE"), title="y", call_closes=today, ends_on=today)
    services.create_programme(planner, owner=world.unit("MOE"), title="z", call_opens=today, starts_on=today)
    assert not Programme.objects.filter(title="x").exists()


def test_unknown_unit_types_are_named(world):
    with pytest.raises(ValidationError) as refused:
        services.create_programme(world.user("ministry_planner"), owner=world.unit("MOE"), title="x",
                                  eligible_types=["school", "planet", "moon"])
    assert refusal(refused) == {"eligible_types": ["Unknown unit type planet, moon."]}


def test_regions_and_plan_items_outside_the_planners_scope_are_refused(world):
    from luoshi.plans.tests.conftest import build_small_plan

    small = build_small_plan(world)
    planner = world.user("beijing_planner")
    with pytest.raises(ValidationError) as refused:
        services.create_programme(planner, owner=world.unit("110000"), title="x",
                                  eligible_regions=[world.unit("110101"), world.unit("310000"), world.unit("120000")])
    assert refusal(refused) == [f"{world.unit('310000').name} is outside your scope."]
    with pytest.raises(ValidationError) as refused:
        services.create_programme(planner, owner=world.unit("110000"), title="x", plan_items=[small.beijing, small.shanghai])
    assert refusal(refused) == {"plan_items": ["A linked plan item is outside your scope."]}
    assert not Programme.objects.filter(title="x").exists()
    with pytest.raises(PermissionDenied):
        services.create_programme(world.user("beijing_reporter"), owner=world.unit("110000"), title="x")


def test_a_programme_update_changes_its_fields_only_and_keeps_links_not_named(world, today):
    programme = make_programme(world, status="draft")
    planner = world.user("ministry_planner")
    regions = set(programme.eligible_regions.all())
    updated = services.update_programme(planner, programme, {"title": "新标题", "places": 3, "status": "finished",
                                                             "owner": world.unit("110000")}, expected_version=programme.version)
    fresh = Programme.objects.get(pk=programme.pk)
    assert (fresh.title, fresh.places, fresh.status, fresh.owner) == ("新标题", 3, "draft", world.unit("MOE"))
    assert updated.title == "新标题" and fresh.version == programme.version + 1
    assert set(fresh.eligible_regions.all()) == regions
    record = last(programme)
    assert (record.action, record.actor) == ("update", planner)
    assert (record.before["title"], record.after["title"]) == ("教育数字化试点（测试）", "新标题")
    services.update_programme(planner, fresh, {"eligible_regions": [world.unit("310000")], "eligible_types": ["school"]})
    fresh = Programme.objects.get(pk=programme.pk)
    assert list(fresh.eligible_regions.all()) == [world.unit("310000")] and fresh.eligible_types == ["school"]


def test_a_programme_update_is_checked_like_a_new_one(world, today):
    from luoshi.plans.tests.conftest import build_small_plan

    small = build_small_plan(world)
    programme = make_programme(world, status="draft")
    planner = world.user("ministry_planner")
    with pytest.raises(ValidationError) as refused:  # against the stored opening date
        services.update_programme(planner, programme, {"call_closes": programme.call_opens - timedelta(days=1)})
    assert refusal(refused) == {"call_closes": ["This date is before call opens."]}
    with pytest.raises(ValidationError) as refused:
        services.update_programme(planner, programme, {"eligible_types": ["star"]})
    assert refusal(refused) == {"eligible_types": ["Unknown unit type star."]}
    services.update_programme(planner, programme, {"call_closes": programme.call_opens})
    services.update_programme(planner, programme, {"plan_items": [small.measure]})
    assert list(Programme.objects.get(pk=programme.pk).plan_items.all()) == [small.measure]
    beijing = make_programme(world, owner=world.unit("110000"), status="draft", title="北京的")
    with pytest.raises(ValidationError) as refused:
        services.update_programme(world.user("beijing_planner"), beijing, {"plan_items": [small.shanghai]})
    assert refusal(refused) == {"plan_items": ["A linked plan item is outside your scope."]}
    with pytest.raises(ValidationError) as refused:
        services.update_programme(world.user("beijing_planner"), beijing, {"eligible_regions": [world.unit("310000")]})
    assert refusal(refused) == [f"{world.unit('310000').name} is outside your scope."]
    with pytest.raises(PermissionDenied):
        services.update_programme(world.user("ministry_reporter"), programme, {"title": "x"})


def test_a_stale_or_finished_programme_is_not_changed(world):
    programme = make_programme(world, status="draft")
    planner = world.user("ministry_planner")
    services.update_programme(planner, programme, {"title": "第一次"})
    with pytest.raises(EditConflict):
        services.update_programme(planner, programme, {"title": "第二次"}, expected_version=programme.version)
    finished = _set(programme, status="finished")
    with pytest.raises(ValidationError) as refused:
        services.update_programme(planner, finished, {"title": "x"})
    assert refusal(refused) == ["A finished programme cannot be changed."]
    assert Programme.objects.get(pk=programme.pk).title == "第一次"


def test_places_may_go_down_to_the_approved_applications_and_not_below(world):
    programme = make_programme(world, places=3)
    reviewer, planner = world.user("ministry_reviewer"), world.user("ministry_planner")
    for code in (SCHOOL, OTHER_SCHOOL):
        services.decide_application(reviewer, make_application(world, world.unit(code), programme), "approve")
    with pytest.raises(ValidationError) as refused:
        services.update_programme(planner, programme, {"places": 1})
    assert refusal(refused) == {"places": ["More applications than that are already approved."]}
    services.update_programme(planner, programme, {"places": 2})
    assert Programme.objects.get(pk=programme.pk).places == 2


def test_publishing_needs_a_call_text_and_closing_does_not(world):
    planner = world.user("ministry_planner")
    programme = services.create_programme(planner, owner=world.unit("MOE"), title="x", call_text=" \n ")
    with pytest.raises(ValidationError) as refused:
        services.set_programme_status(planner, programme, "publish")
    assert refusal(refused) == {"call_text": ["Write the call text before publishing the call."]}
    services.update_programme(planner, programme, {"call_text": "通知。"})
    services.set_programme_status(planner, programme, "publish")
    services.update_programme(planner, programme, {"call_text": ""})
    services.set_programme_status(planner, programme, "close_call")
    record = last(programme)
    assert (record.action, record.verb, record.actor) == ("transition", "close_call", planner)
    assert (record.before["status"], record.after["status"]) == ("open", "running")
    assert Programme.objects.get(pk=programme.pk).status == "running"
    with pytest.raises(PermissionDenied):
        services.set_programme_status(world.user("ministry_reporter"), programme, "reopen")


@pytest.mark.parametrize("pilot_state, refused", [("running", True), ("reviewing", True), ("promoted", False),
                                                  ("closed", False)])
def test_a_programme_finishes_only_when_no_pilot_runs_or_is_under_review(world, pilot_state, refused):
    programme = make_programme(world)
    pilot = make_pilot(world, world.unit(SCHOOL), programme)
    _set(pilot, state=pilot_state)
    planner = world.user("ministry_planner")
    services.set_programme_status(planner, programme, "close_call")
    if refused:
        with pytest.raises(ValidationError) as refusal_:
            services.set_programme_status(planner, programme, "finish")
        assert refusal(refusal_) == ["The programme still has running pilots; review or close them first."]
        assert Programme.objects.get(pk=programme.pk).status == "running"
    else:
        services.set_programme_status(planner, programme, "finish")
        assert Programme.objects.get(pk=programme.pk).status == "finished"


def test_only_a_draft_programme_is_deleted_by_its_planner(world):
    planner = world.user("ministry_planner")
    programme = make_programme(world)
    with pytest.raises(ValidationError) as refused:
        services.delete_programme(planner, programme)
    assert refusal(refused) == ["Only a draft programme can be deleted."]
    draft = make_programme(world, status="draft", title="草稿")
    with pytest.raises(PermissionDenied):
        services.delete_programme(world.user("ministry_reporter"), draft)
    pk = draft.pk
    services.delete_programme(planner, draft)
    assert not Programme.objects.filter(pk=pk).exists()
    record = AuditRecord.objects.filter(object_id=str(pk), action="delete").get()
    assert (record.actor, record.before["title"], record.after) == (planner, "草稿", None)


# Applications ----------------------------------------------------------------------------------

def test_an_application_is_stored_as_given_with_its_baseline_as_numbers(world):
    programme = make_programme(world)
    reporter = world.user("beijing_reporter")
    application = services.save_application(reporter, programme, world.unit(SCHOOL), application_data(
        baseline={"数字化教学课时占比": " 12.5% ", "教师信息素养达标率": 60}, state="approved"))
    application = Application.objects.get(pk=application.pk)
    assert (application.state, application.aims, application.contact_name, application.resources) == (
        "draft", "两年内数字化教学课时占比达到30%。", "张老师", "专项经费50万元。")
    assert application.baseline == {"数字化教学课时占比": "12.5", "教师信息素养达标率": "60"}
    record = last(application)
    assert (record.action, record.actor) == ("create", reporter)


def test_a_baseline_is_checked_against_the_indicators_and_read_as_numbers(world):
    programme = make_programme(world)
    with pytest.raises(ValidationError) as refused:
        services.save_application(world.admin, programme, world.unit(SCHOOL),
                                  application_data(baseline={"数字化教学课时占比": "1", "升学率": "90", "巩固率": "9"}))
    assert refusal(refused) == {"baseline": ["升学率 is not one of the programme's indicators."]}
    with pytest.raises(ValidationError) as refused:
        services.save_application(world.admin, programme, world.unit(SCHOOL),
                                  application_data(baseline={"数字化教学课时占比": "很多"}))
    assert refusal(refused) == {"baseline": ["数字化教学课时占比: '很多' is not a number."]}
    assert not Application.objects.filter(programme=programme).exists()
    # a programme without indicators takes any names; an empty baseline is no baseline
    free = _set(make_programme(world, title="无指标"), indicators=[])
    application = services.save_application(world.admin, free, world.unit(SCHOOL),
                                            application_data(baseline={"升学率": "90"}))
    assert Application.objects.get(pk=application.pk).baseline == {"升学率": "90"}
    other = services.save_application(world.admin, free, world.unit(OTHER_SCHOOL), application_data(baseline=None))
    assert Application.objects.get(pk=other.pk).baseline == {}


@pytest.mark.parametrize("opens, closes, message", [
    (1, 9, "The call opens on {opens}."),
    (-9, -1, "The call closed on {closes}."),
])
def test_an_application_outside_the_call_dates_is_refused_with_the_date(world, today, opens, closes, message):
    programme = make_programme(world)
    programme = _set(programme, call_opens=today + timedelta(days=opens), call_closes=today + timedelta(days=closes))
    with pytest.raises(ValidationError) as refused:
        services.save_application(world.admin, programme, world.unit(SCHOOL), application_data())
    assert refusal(refused) == [message.format(opens=programme.call_opens.isoformat(),
                                               closes=programme.call_closes.isoformat())]


def test_a_call_open_from_today_until_today_takes_applications(world, today):
    programme = _set(make_programme(world), call_opens=today, call_closes=today)
    services.save_application(world.admin, programme, world.unit(SCHOOL), application_data())
    assert Application.objects.filter(programme=programme).count() == 1


def test_eligibility_refusals_are_the_rules_texts(world):
    programme = make_programme(world)
    with pytest.raises(ValidationError) as refused:
        services.save_application(world.admin, programme, world.unit("110000"), application_data())
    assert refusal(refused) == ["Units of this type are not eligible for this programme."]
    anywhere = make_programme(world, title="天津不在内", eligible_types=[])
    with pytest.raises(ValidationError) as refused:
        services.save_application(world.admin, anywhere, world.unit("120000"), application_data())
    assert refusal(refused) == ["The unit is outside the programme's eligible regions."]
    draft = make_programme(world, status="draft", title="草稿")
    with pytest.raises(ValidationError) as refused:
        services.save_application(world.admin, draft, world.unit(SCHOOL), application_data())
    assert refusal(refused) == ["The programme's call for applications is not open."]
    # an eligible county of an eligible region
    services.save_application(world.admin, programme, world.unit("110101"), application_data())


def test_who_may_apply_for_a_unit(world):
    programme = make_programme(world)
    with pytest.raises(Http404):
        services.save_application(world.user("shanghai_reporter"), programme, world.unit(SCHOOL), application_data())
    with pytest.raises(PermissionDenied):
        services.save_application(world.user("beijing_reviewer"), programme, world.unit(SCHOOL), application_data())
    draft = make_programme(world, owner=world.unit("110000"), status="draft", title="北京草稿")
    with pytest.raises(Http404):
        services.save_application(world.user("shanghai_reporter"), draft, world.unit(OTHER_SCHOOL), application_data())
    assert not Application.objects.exists()


def test_editing_a_draft_changes_its_fields_and_each_unit_has_its_own(world):
    programme = make_programme(world)
    reporter = world.user("beijing_reporter")
    first = services.save_application(reporter, programme, world.unit(SCHOOL), application_data())
    other = services.save_application(world.admin, programme, world.unit(OTHER_SCHOOL), application_data(aims="上海目标。"))
    edited = services.save_application(reporter, programme, world.unit(SCHOOL),
                                       {"aims": "新目标。", "baseline": {**BASELINE, "数字化教学课时占比": "13"}, "state": "approved"},
                                       expected_version=first.version)
    assert edited.pk == first.pk
    fresh = Application.objects.get(pk=first.pk)
    assert (fresh.aims, fresh.baseline, fresh.state) == ("新目标。", {**BASELINE, "数字化教学课时占比": "13"}, "draft")
    assert Application.objects.get(pk=other.pk).aims == "上海目标。"
    with pytest.raises(EditConflict):
        services.save_application(reporter, programme, world.unit(SCHOOL), {"aims": "x"}, expected_version=first.version)
    with pytest.raises(PermissionDenied):  # a reviewer of the unit sees the draft but does not write it
        services.save_application(world.user("beijing_reviewer"), programme, world.unit(SCHOOL), {"aims": "x"})
    services.submit_application(reporter, fresh)
    with pytest.raises(ValidationError) as refused:
        services.save_application(reporter, programme, world.unit(SCHOOL), {"aims": "x"})
    assert refusal(refused) == ["This application is Submitted and cannot be edited."]


def test_submitting_records_who_and_when_and_needs_the_whole_baseline(world):
    programme = make_programme(world)
    reporter = world.user("beijing_reporter")
    application = services.save_application(reporter, programme, world.unit(SCHOOL), application_data(baseline={}))
    with pytest.raises(ValidationError) as refused:
        services.submit_application(reporter, application)
    assert refusal(refused) == {"baseline": ["Give the baseline of 数字化教学课时占比、教师信息素养达标率 before submitting."]}
    services.save_application(reporter, programme, world.unit(SCHOOL), {"baseline": {"教师信息素养达标率": "60"}})
    with pytest.raises(ValidationError) as refused:
        services.submit_application(reporter, application)
    assert refusal(refused) == {"baseline": ["Give the baseline of 数字化教学课时占比 before submitting."]}
    services.save_application(reporter, programme, world.unit(SCHOOL), {"baseline": dict(BASELINE)})
    with pytest.raises(EditConflict):
        services.submit_application(reporter, application, expected_version=application.version)
    before = timezone.now()
    services.submit_application(reporter, application)
    fresh = Application.objects.get(pk=application.pk)
    assert (fresh.state, fresh.submitted_by) == ("submitted", reporter) and fresh.submitted_at >= before
    record = last(application)
    assert (record.action, record.verb, record.actor) == ("transition", "submit", reporter)
    assert (record.before["state"], record.after["state"]) == ("draft", "submitted")
    assert record.after["version"] == record.before["version"] + 1 == fresh.version


def test_a_draft_is_not_submitted_after_the_call_closed(world, today):
    programme = make_programme(world)
    application = services.save_application(world.admin, programme, world.unit(SCHOOL), application_data())
    _set(programme, call_closes=today - timedelta(days=1))
    with pytest.raises(ValidationError) as refused:
        services.submit_application(world.admin, application)
    assert refusal(refused) == [f"The call closed on {(today - timedelta(days=1)).isoformat()}."]
    assert Application.objects.get(pk=application.pk).state == "draft"


def test_a_draft_is_not_submitted_before_the_call_opens(world, today):
    programme = make_programme(world)
    application = services.save_application(world.admin, programme, world.unit(SCHOOL), application_data())
    _set(programme, call_opens=today + timedelta(days=1))  # the call moved to a later date
    with pytest.raises(ValidationError) as refused:
        services.submit_application(world.admin, application)
    assert refusal(refused) == [f"The call opens on {(today + timedelta(days=1)).isoformat()}."]
    assert Application.objects.get(pk=application.pk).state == "draft"
    _set(programme, call_opens=today)  # and from the day it opens
    services.submit_application(world.admin, application)
    assert Application.objects.get(pk=application.pk).state == "submitted"


def test_a_unit_applying_to_two_programmes_gets_one_application_to_each(world):
    first, second = make_programme(world), make_programme(world, title="第二个试点")
    reporter = world.user("beijing_reporter")
    one = services.save_application(reporter, first, world.unit(SCHOOL), application_data(aims="第一个。"))
    two = services.save_application(reporter, second, world.unit(SCHOOL), application_data(aims="第二个。"))
    assert one.pk != two.pk
    services.save_application(reporter, second, world.unit(SCHOOL), {"aims": "第二个，改过。"})
    assert Application.objects.get(pk=one.pk).aims == "第一个。"
    assert Application.objects.get(pk=two.pk).aims == "第二个，改过。"
    assert sorted(Application.objects.filter(unit=world.unit(SCHOOL)).values_list("programme__title", flat=True)) == sorted(
        [first.title, second.title])


def test_editing_a_draft_is_recorded_with_its_editor(world):
    programme = make_programme(world)
    application = services.save_application(world.admin, programme, world.unit(SCHOOL), application_data())
    reporter = world.user("beijing_reporter")
    services.save_application(reporter, programme, world.unit(SCHOOL), {"aims": "新目标。"})
    record = last(application)
    assert (record.action, record.actor, record.before["aims"], record.after["aims"]) == (
        "update", reporter, "两年内数字化教学课时占比达到30%。", "新目标。")


def test_a_submitted_application_is_refused_for_its_state_not_the_call_or_baseline(world, today):
    application = make_application(world, world.unit(SCHOOL))
    programme = _set(application.programme, call_closes=today - timedelta(days=1),
                     indicators=[*INDICATORS, {"name": "新指标", "unit": "", "direction": "up", "code": ""}])
    assert programme.status == "open"
    with pytest.raises(ValidationError) as refused:
        services.submit_application(world.admin, application)
    assert refusal(refused) == ["This application is in state “Submitted” and cannot be submitted."]


def test_withdrawing_is_the_applicants_and_checks_the_version(world):
    application = make_application(world, world.unit(SCHOOL))
    with pytest.raises(PermissionDenied):
        services.withdraw_application(world.user("ministry_reviewer"), application)
    with pytest.raises(EditConflict):
        services.withdraw_application(world.user("beijing_reporter"), application, expected_version=application.version - 1)
    services.withdraw_application(world.user("beijing_reporter"), application, expected_version=application.version)
    assert Application.objects.get(pk=application.pk).state == "withdrawn"
    record = last(application)
    assert (record.verb, record.actor) == ("withdraw", world.user("beijing_reporter"))


def test_a_decision_records_its_reason_who_and_when(world):
    application = make_application(world, world.unit(SCHOOL))
    reviewer = world.user("ministry_reviewer")
    with pytest.raises(EditConflict):
        services.decide_application(reviewer, application, "shortlist", expected_version=application.version - 1)
    before = timezone.now()
    services.decide_application(reviewer, application, "shortlist", "  入围。  ", expected_version=application.version)
    fresh = Application.objects.get(pk=application.pk)
    assert (fresh.state, fresh.decision_reason, fresh.decided_by) == ("shortlisted", "入围。", reviewer)
    assert fresh.decided_at >= before
    record = last(application)
    assert (record.action, record.verb, record.actor) == ("transition", "shortlist", reviewer)
    services.decide_application(reviewer, fresh, "decline", " 名额有限。 ")
    fresh = Application.objects.get(pk=application.pk)
    assert (fresh.state, fresh.decision_reason) == ("declined", "名额有限。")
    assert last(application).verb == "decline"
    assert not Pilot.objects.filter(application=application).exists()


def test_decision_refusals(world):
    application = make_application(world, world.unit(SCHOOL))
    reviewer = world.user("ministry_reviewer")
    with pytest.raises(ValidationError) as refused:
        services.decide_application(reviewer, application, "promote")
    assert refusal(refused) == ["Unknown decision 'promote'."]
    with pytest.raises(ValidationError) as refused:
        services.decide_application(reviewer, application, "decline", " \n")
    assert refusal(refused) == {"reason": ["Say why the application is declined."]}
    with pytest.raises(PermissionDenied):
        services.decide_application(world.user("ministry_planner"), application, "approve")
    assert Application.objects.get(pk=application.pk).state == "submitted"
    assert records(application)[-1].verb == "submit"


def test_by_default_no_one_decides_on_what_they_submitted(world, settings):
    assert not hasattr(settings, "LUOSHI_ALLOW_SELF_REVIEW")
    application = make_application(world, world.unit(SCHOOL), submitted=False)
    services.submit_application(world.admin, application)
    with pytest.raises(PermissionDenied) as refused:
        services.decide_application(world.admin, application, "approve")
    assert str(refused.value) == "You cannot decide on an application you submitted yourself."
    settings.LUOSHI_ALLOW_SELF_REVIEW = True
    services.decide_application(world.admin, application, "approve")
    assert Application.objects.get(pk=application.pk).state == "approved"


def test_self_review_is_refused_to_the_submitter_only(world, settings):
    application = make_application(world, world.unit(SCHOOL), submitted=False)
    services.submit_application(world.user("beijing_reporter"), application)
    services.decide_application(world.admin, application, "approve")
    assert Application.objects.get(pk=application.pk).state == "approved"


def test_the_last_place_can_be_given_and_then_no_more(world):
    programme = make_programme(world, places=2)
    reviewer = world.user("ministry_reviewer")
    first = make_application(world, world.unit(SCHOOL), programme)
    second = make_application(world, world.unit(OTHER_SCHOOL), programme)
    third = make_application(world, world.unit("110101"), programme)
    services.decide_application(reviewer, first, "approve")
    services.decide_application(reviewer, second, "approve")
    with pytest.raises(ValidationError) as refused:
        services.decide_application(reviewer, third, "approve")
    assert refusal(refused) == ["All 2 places of the programme are taken."]
    assert Application.objects.get(pk=third.pk).state == "submitted"
    services.decide_application(reviewer, third, "shortlist")  # other decisions are not limited


def test_approval_creates_the_pilot_from_the_application(world, today):
    programme = make_programme(world)
    application = make_application(world, world.unit("110101"), programme)
    reviewer = world.user("ministry_reviewer")
    services.decide_application(reviewer, application, "approve")
    pilot = Pilot.objects.get(application=application)
    assert (pilot.programme, pilot.unit, pilot.state, pilot.title) == (
        programme, world.unit("110101"), "running", f"东城区·{programme.title}")
    assert (pilot.aims, pilot.approach, pilot.baseline) == (application.aims, application.approach, BASELINE)
    assert (pilot.contact_name, pilot.contact_info, pilot.milestones) == ("张老师", "010-00000000", [])
    assert (pilot.starts_on, pilot.ends_on) == (programme.starts_on, programme.ends_on)
    assert list(pilot.participants.all()) == [world.unit("110101")]
    record = last(pilot)
    assert (record.action, record.actor, record.before) == ("create", reviewer, None)
    assert record.after["title"] == pilot.title and record.after["participants"] == [world.unit("110101").pk]


def test_approval_takes_the_pilot_data_given(world, today):
    programme = _set(make_programme(world), starts_on=None)
    application = make_application(world, world.unit(SCHOOL), programme)
    milestones = [{"due": "2027-01-01", "title": "建成", "done": False}]
    services.decide_application(world.user("ministry_reviewer"), application, "approve", pilot_data={
        "title": "题" * 301, "contact_name": "李老师", "contact_info": "13800000000", "milestones": milestones,
        "participants": [world.unit(SCHOOL), world.unit("110102")]})
    pilot = Pilot.objects.get(application=application)
    assert pilot.title == "题" * 300
    assert (pilot.contact_name, pilot.contact_info, pilot.milestones) == ("李老师", "13800000000", milestones)
    assert pilot.starts_on == today
    assert set(pilot.participants.all()) == {world.unit(SCHOOL), world.unit("110102")}
    school = world.unit(SCHOOL)
    assert not school.short_name and Pilot.objects.filter(title=f"{school.name}·{programme.title}").count() == 0
    other = make_application(world, world.unit(OTHER_SCHOOL), programme)
    services.decide_application(world.user("ministry_reviewer"), other, "approve")
    assert Pilot.objects.get(application=other).title == f"{world.unit(OTHER_SCHOOL).name}·{programme.title}"


# Pilots ----------------------------------------------------------------------------------------

def test_a_pilot_update_changes_its_own_fields_only(world):
    pilot = make_pilot(world, world.unit(SCHOOL))
    reporter = world.user("beijing_reporter")
    services.update_pilot(reporter, pilot, {"contact_name": "王老师", "title": "改名", "state": "closed",
                                            "participants": [world.unit("110102")]}, expected_version=pilot.version)
    fresh = Pilot.objects.get(pk=pilot.pk)
    assert (fresh.contact_name, fresh.title, fresh.state) == ("王老师", pilot.title, "running")
    assert set(fresh.participants.all()) == {world.unit(SCHOOL), world.unit("110102")}
    assert fresh.version == pilot.version + 1
    record = last(pilot)
    assert (record.action, record.actor, record.before["contact_name"], record.after["contact_name"]) == (
        "update", reporter, "张老师", "王老师")
    with pytest.raises(EditConflict):
        services.update_pilot(reporter, pilot, {"contact_name": "x"}, expected_version=pilot.version)
    with pytest.raises(ValidationError) as refused:
        services.update_pilot(reporter, fresh, {"participants": [world.unit("310101")]})
    assert refusal(refused) == [f"{world.unit('310101').name} is outside your scope."]
    with pytest.raises(PermissionDenied):
        services.update_pilot(world.user("ministry_reviewer"), fresh, {"contact_name": "x"})
    services.update_pilot(reporter, fresh, {"contact_info": "110"})
    assert set(Pilot.objects.get(pk=pilot.pk).participants.all()) == {world.unit(SCHOOL), world.unit("110102")}


@pytest.mark.parametrize("state, label", [("promoted", "Promoted"), ("closed", "Closed")])
def test_a_finished_pilot_is_not_changed(world, state, label):
    pilot = _set(make_pilot(world, world.unit(SCHOOL)), state=state)
    with pytest.raises(ValidationError) as refused:
        services.update_pilot(world.admin, pilot, {"contact_name": "x"})
    assert refusal(refused) == [f"A {label} pilot cannot be changed."]


def test_a_pilot_under_review_can_still_be_updated(world):
    pilot = _set(make_pilot(world, world.unit(SCHOOL)), state="reviewing")
    services.update_pilot(world.admin, pilot, {"contact_name": "赵老师"})
    assert Pilot.objects.get(pk=pilot.pk).contact_name == "赵老师"


# Progress entries ------------------------------------------------------------------------------

def test_an_entry_is_dated_today_unless_told_and_written_by_its_author(world, today):
    pilot = make_pilot(world, world.unit(SCHOOL))
    reporter = world.user("beijing_reporter")
    entry = services.add_entry(reporter, pilot, {"done": "完成。", "figures": {"数字化教学课时占比": "1,200"},
                                                 "response": "不该写入", "period": "2026年秋"})
    entry = ProgressEntry.objects.get(pk=entry.pk)
    assert (entry.entry_date, entry.author, entry.escalation, entry.response, entry.period) == (
        today, reporter, "", "", "2026年秋")
    assert entry.figures == {"数字化教学课时占比": "1200"}
    record = last(entry)
    assert (record.action, record.actor) == ("create", reporter)
    raised = services.add_entry(reporter, pilot, {"done": "x", "problems": "带宽不足。", "entry_date": today}, escalate=True)
    assert ProgressEntry.objects.get(pk=raised.pk).escalation == "open"


def test_entry_refusals(world, today):
    pilot = make_pilot(world, world.unit(SCHOOL))
    with pytest.raises(ValidationError) as refused:
        services.add_entry(world.admin, pilot, {"done": "x", "entry_date": today + timedelta(days=1)})
    assert refusal(refused) == {"entry_date": ["The date is in the future."]}
    with pytest.raises(ValidationError) as refused:
        services.add_entry(world.admin, pilot, {"done": "x", "problems": "  "}, escalate=True)
    assert refusal(refused) == {"problems": ["Describe the problem you raise to the level above."]}
    with pytest.raises(ValidationError) as refused:
        services.add_entry(world.admin, pilot, {"done": "x"}, escalate=True)
    assert refusal(refused) == {"problems": ["Describe the problem you raise to the level above."]}
    with pytest.raises(ValidationError) as refused:
        services.add_entry(world.admin, pilot, {"done": "x", "figures": {"升学率": "1", "数字化教学课时占比": "1", "巩固率": "2"}})
    assert refusal(refused) == {"figures": ["升学率 is not one of the programme's indicators."]}
    with pytest.raises(ValidationError) as refused:
        services.add_entry(world.admin, pilot, {"done": "x", "figures": {"数字化教学课时占比": "较多"}})
    assert refusal(refused) == {"figures": ["'较多' is not a number."]}
    with pytest.raises(PermissionDenied):  # the programme's reviewers see the pilot but do not report for it
        services.add_entry(world.user("ministry_reviewer"), pilot, {"done": "x"})
    with pytest.raises(Http404):
        services.add_entry(world.user("shanghai_reporter"), pilot, {"done": "x"})
    assert not pilot.entries.exists()
    reviewing = _set(pilot, state="reviewing")
    with pytest.raises(ValidationError) as refused:
        services.add_entry(world.admin, reviewing, {"done": "x"})
    assert refusal(refused) == ["Progress is recorded while a pilot is running; this one is Under review."]


def test_figures_of_a_programme_without_indicators_take_any_name(world):
    programme = _set(make_programme(world), indicators=[])
    pilot = make_pilot(world, world.unit(SCHOOL), programme)
    entry = services.add_entry(world.admin, pilot, {"done": "x", "figures": {"自定指标": "３"}})
    assert ProgressEntry.objects.get(pk=entry.pk).figures == {"自定指标": "3"}


def test_an_entry_is_edited_while_its_pilot_runs(world, today):
    pilot = make_pilot(world, world.unit(SCHOOL))
    reporter = world.user("beijing_reporter")
    entry = services.add_entry(reporter, pilot, {"done": "完成。", "figures": {"数字化教学课时占比": "20"}})
    services.update_entry(reporter, entry, {"done": "改了。", "figures": {"数字化教学课时占比": "2,1"}, "author": world.admin,
                                            "entry_date": today}, expected_version=entry.version)
    fresh = ProgressEntry.objects.get(pk=entry.pk)
    assert (fresh.done, fresh.figures, fresh.author, fresh.entry_date) == ("改了。", {"数字化教学课时占比": "21"}, reporter, today)
    record = last(entry)
    assert (record.action, record.actor, record.before["done"], record.after["done"]) == ("update", reporter, "完成。", "改了。")
    with pytest.raises(EditConflict):
        services.update_entry(reporter, entry, {"done": "x"}, expected_version=entry.version)
    with pytest.raises(ValidationError) as refused:
        services.update_entry(reporter, fresh, {"entry_date": today + timedelta(days=1)})
    assert refusal(refused) == {"entry_date": ["The date is in the future."]}
    with pytest.raises(ValidationError) as refused:
        services.update_entry(reporter, fresh, {"figures": {"升学率": "1"}})
    assert refusal(refused) == {"figures": ["升学率 is not one of the programme's indicators."]}
    services.update_entry(reporter, fresh, {"figures": None})
    assert ProgressEntry.objects.get(pk=entry.pk).figures == {}
    with pytest.raises(PermissionDenied):
        services.update_entry(world.user("ministry_reviewer"), fresh, {"done": "x"})
    _set(pilot, state="reviewing")
    with pytest.raises(ValidationError) as refused:
        services.update_entry(reporter, fresh, {"done": "x"})
    assert refusal(refused) == ["Entries of a pilot that is no longer running stay as they are."]


def test_a_raised_problem_is_answered_once_by_the_level_above(world):
    pilot = make_pilot(world, world.unit(SCHOOL))
    plain = services.add_entry(world.admin, pilot, {"done": "x"})
    entry = services.add_entry(world.admin, pilot, {"done": "x", "problems": "带宽不足。"}, escalate=True)
    answerer = world.user("beijing_reviewer")
    with pytest.raises(ValidationError) as refused:
        services.answer_escalation(answerer, plain, "答复。")
    assert refusal(refused) == ["Only a problem raised and not yet answered can be answered."]
    with pytest.raises(ValidationError) as refused:
        services.answer_escalation(answerer, entry, " \n ")
    assert refusal(refused) == {"response": ["Write the answer."]}
    with pytest.raises(PermissionDenied):
        services.answer_escalation(world.user("beijing_reporter"), entry, "答复。")
    with pytest.raises(EditConflict):
        services.answer_escalation(answerer, entry, "答复。", expected_version=entry.version - 1)
    services.answer_escalation(answerer, entry, "  区里统筹。 ", expected_version=entry.version)
    fresh = ProgressEntry.objects.get(pk=entry.pk)
    assert (fresh.escalation, fresh.response, fresh.responded_by) == ("answered", "区里统筹。", answerer)
    record = last(entry)
    assert (record.action, record.verb, record.actor) == ("update", "answer", answerer)
    with pytest.raises(ValidationError) as refused:
        services.answer_escalation(answerer, fresh, "再答。")
    assert refusal(refused) == ["Only a problem raised and not yet answered can be answered."]


def test_evidence_is_stored_with_its_facts_and_removed_with_its_file(world):
    pilot = make_pilot(world, world.unit(SCHOOL))
    reporter = world.user("beijing_reporter")
    entry = services.add_entry(reporter, pilot, {"done": "x"})
    evidence = services.add_evidence(reporter, entry, SimpleUploadedFile("记录.pdf", b"%PDF-1.4 abc"))
    evidence = PilotEvidence.objects.get(pk=evidence.pk)
    assert (evidence.entry, evidence.name, evidence.size, evidence.content_type, evidence.uploaded_by) == (
        entry, "记录.pdf", 12, "application/pdf", reporter)
    path = evidence.file.name
    assert path == f"pilot-evidence/{pilot.pk}/{entry.pk}/记录.pdf"  # stored under the name it was uploaded with
    assert default_storage.exists(path)
    record = last(evidence)
    assert (record.action, record.actor, record.before, record.after) == (
        "create", reporter, None, {"entry": entry.pk, "name": "记录.pdf", "size": 12})
    with pytest.raises(PermissionDenied):
        services.add_evidence(world.user("ministry_reviewer"), entry, SimpleUploadedFile("a.pdf", b"%PDF-1.4"))
    with pytest.raises(PermissionDenied):
        services.remove_evidence(world.user("ministry_reviewer"), evidence)
    pk = evidence.pk
    services.remove_evidence(reporter, evidence)
    assert not PilotEvidence.objects.filter(pk=pk).exists() and not default_storage.exists(path)
    record = AuditRecord.objects.filter(object_id=str(pk), action="delete",
                                        content_type=ContentType.objects.get_for_model(PilotEvidence)).get()
    assert (record.actor, record.before, record.after) == (reporter, {"entry": entry.pk, "name": "记录.pdf", "size": 12}, None)


def test_evidence_is_neither_added_nor_removed_once_the_pilot_stopped_running(world):
    pilot = make_pilot(world, world.unit(SCHOOL))
    entry = services.add_entry(world.admin, pilot, {"done": "x"})
    evidence = services.add_evidence(world.admin, entry, SimpleUploadedFile("a.pdf", b"%PDF-1.4"))
    _set(pilot, state="reviewing")
    with pytest.raises(ValidationError) as refused:
        services.add_evidence(world.admin, entry, SimpleUploadedFile("b.pdf", b"%PDF-1.4"))
    assert refusal(refused) == ["Evidence is added while the pilot is running."]
    with pytest.raises(ValidationError) as refused:
        services.remove_evidence(world.admin, evidence)
    assert refusal(refused) == ["Evidence of a pilot that is no longer running stays."]
    assert PilotEvidence.objects.filter(entry=entry).count() == 1
    assert default_storage.exists(evidence.file.name)


# Reviews ---------------------------------------------------------------------------------------

def test_the_latest_figures_are_each_indicators_most_recent_by_date_then_order(world, today):
    pilot = make_pilot(world, world.unit(SCHOOL))
    add = services.add_entry
    add(world.admin, pilot, {"done": "x", "entry_date": today, "figures": {"数字化教学课时占比": "30"}})
    add(world.admin, pilot, {"done": "x", "entry_date": today - timedelta(days=5),
                             "figures": {"数字化教学课时占比": "10", "教师信息素养达标率": "70"}})
    add(world.admin, pilot, {"done": "x", "entry_date": today, "figures": {"教师信息素养达标率": "80"}})
    add(world.admin, pilot, {"done": "x", "entry_date": today})
    assert services.latest_figures(pilot) == {"数字化教学课时占比": "30", "教师信息素养达标率": "80"}
    review = services.save_review(world.admin, pilot, {"aims_vs_results": "x"})
    assert Review.objects.get(pk=review.pk).figures == [
        {"name": "数字化教学课时占比", "baseline": "12", "result": "30"},
        {"name": "教师信息素养达标率", "baseline": "60", "result": "80"}]


def test_of_two_entries_of_one_day_the_later_one_gives_the_latest_figure(world, today):
    # latest_figures reads the entries newest first. Without its "-id" tie-break SQLite returns
    # one day's entries in row-id order, oldest first, and the first of the day would win (with
    # the entries read oldest first, as before, SQLite could not show a missing tie-break).
    pilot = make_pilot(world, world.unit(SCHOOL))
    for value in ("20", "25", "22"):
        services.add_entry(world.admin, pilot, {"done": "x", "entry_date": today, "figures": {"数字化教学课时占比": value}})
    assert services.latest_figures(pilot) == {"数字化教学课时占比": "22"}


def test_review_figures_without_programme_indicators_list_the_baseline_by_name_then_the_new_results(world):
    programme = _set(make_programme(world), indicators=[])
    application = services.save_application(world.admin, programme, world.unit(SCHOOL),
                                            application_data(baseline={"甲": "1", "乙": "2"}))
    services.submit_application(world.admin, application)
    services.decide_application(world.user("ministry_reviewer"), application, "approve")
    pilot = Pilot.objects.get(application=application)
    review = services.save_review(world.admin, pilot, {"aims_vs_results": "x", "results": {"丙": "3", "乙": "5"}})
    # sorted by name (乙 U+4E59 before 甲 U+7532): PostgreSQL does not keep a JSON object's order
    assert Review.objects.get(pk=review.pk).figures == [
        {"name": "乙", "baseline": "2", "result": "5"}, {"name": "甲", "baseline": "1", "result": ""},
        {"name": "丙", "baseline": "", "result": "3"}]


def test_a_new_review_is_a_final_draft_of_the_running_pilot(world):
    pilot = make_pilot(world, world.unit(SCHOOL))
    reporter = world.user("beijing_reporter")
    review = services.save_review(reporter, pilot, {**REVIEW_DATA, "state": "decided", "outcome": "promote"})
    review = Review.objects.get(pk=review.pk)
    assert (review.kind, review.state, review.outcome, review.lessons, review.cost) == (
        "final", "draft", "", "先培训后推开。", Decimal("45.5"))
    assert review.figures[1] == {"name": "教师信息素养达标率", "baseline": "60", "result": "85"}
    record = last(review)
    assert (record.action, record.actor) == ("create", reporter)


def test_review_refusals(world):
    pilot = make_pilot(world, world.unit(SCHOOL))
    with pytest.raises(ValidationError) as refused:
        services.save_review(world.admin, pilot, dict(REVIEW_DATA), kind="annual")
    assert refusal(refused) == {"kind": ["Unknown kind of review."]}
    with pytest.raises(PermissionDenied):
        services.save_review(world.user("ministry_reviewer"), pilot, dict(REVIEW_DATA))
    with pytest.raises(ValidationError) as refused:
        services.save_review(world.admin, pilot, {**REVIEW_DATA, "results": {"升学率": "1"}})
    assert refusal(refused) == {"figures": ["升学率 is not one of the programme's indicators."]}
    assert not pilot.reviews.exists()
    first = services.save_review(world.admin, pilot, dict(REVIEW_DATA), kind="midterm")
    with pytest.raises(ValidationError) as refused:
        services.save_review(world.admin, pilot, dict(REVIEW_DATA))
    assert refusal(refused) == ["The pilot already has a review in progress; finish that one first."]
    services.submit_review(world.admin, first)
    services.decide_review(world.user("ministry_reviewer"), first, "continue", "继续。")
    second = services.save_review(world.admin, pilot, dict(REVIEW_DATA))  # a decided review is no obstacle
    assert pilot.reviews.count() == 2 and Review.objects.get(pk=second.pk).kind == "final"
    services.submit_review(world.admin, second)
    with pytest.raises(ValidationError) as refused:
        services.save_review(world.admin, pilot, dict(REVIEW_DATA), kind="midterm")
    assert refusal(refused) == ["A review is written while the pilot is running; this one is Under review."]


def test_a_review_is_edited_while_draft_or_returned_and_only_through_its_pilot(world):
    review = make_review(world, world.unit(SCHOOL), submitted=False)
    pilot = review.pilot
    reporter = world.user("beijing_reporter")
    services.save_review(reporter, pilot, {"lessons": "新经验。", "state": "decided", "results": {"数字化教学课时占比": "40"}},
                         review=review, expected_version=review.version)
    fresh = Review.objects.get(pk=review.pk)
    assert (fresh.lessons, fresh.state) == ("新经验。", "draft")
    assert fresh.figures == [{"name": "数字化教学课时占比", "baseline": "12", "result": "40"},
                             {"name": "教师信息素养达标率", "baseline": "60", "result": ""}]
    record = last(review)
    assert (record.action, record.actor, record.after["lessons"]) == ("update", reporter, "新经验。")
    with pytest.raises(EditConflict):
        services.save_review(reporter, pilot, {"lessons": "x"}, review=review, expected_version=review.version)
    other = make_pilot(world, world.unit(OTHER_SCHOOL), pilot.programme)
    with pytest.raises(Review.DoesNotExist):
        services.save_review(world.admin, other, {"lessons": "x"}, review=review)
    with pytest.raises(PermissionDenied):
        services.save_review(world.user("ministry_reviewer"), pilot, {"lessons": "x"}, review=review)
    services.submit_review(reporter, fresh)
    with pytest.raises(ValidationError) as refused:
        services.save_review(reporter, pilot, {"lessons": "x"}, review=review)
    assert refusal(refused) == ["This review is Submitted and cannot be edited."]
    assert Review.objects.get(pk=review.pk).lessons == "新经验。"


def test_of_a_pilots_two_reviews_the_one_named_is_edited(world):
    pilot = make_pilot(world, world.unit(SCHOOL))
    midterm = services.save_review(world.admin, pilot, dict(REVIEW_DATA), kind="midterm")
    services.submit_review(world.admin, midterm)
    services.decide_review(world.user("ministry_reviewer"), midterm, "continue", "继续。")
    final = services.save_review(world.admin, pilot, dict(REVIEW_DATA))
    services.save_review(world.admin, pilot, {"lessons": "终期经验。"}, review=final)
    assert Review.objects.get(pk=final.pk).lessons == "终期经验。"
    assert Review.objects.get(pk=midterm.pk).lessons == REVIEW_DATA["lessons"]


def test_submitting_a_review_needs_its_four_main_answers(world):
    pilot = make_pilot(world, world.unit(SCHOOL))
    review = services.save_review(world.admin, pilot, {"aims_vs_results": " ", "lessons": "有。"})
    with pytest.raises(ValidationError) as refused:
        services.submit_review(world.admin, review)
    assert refusal(refused) == ["Fill in aims against results、what worked、core problems before submitting the review."]
    services.save_review(world.admin, pilot, {"aims_vs_results": "a", "what_worked": "b", "core_problems": "c"}, review=review)
    with pytest.raises(EditConflict):
        services.submit_review(world.admin, review, expected_version=review.version)
    reporter = world.user("beijing_reporter")
    before = timezone.now()
    services.submit_review(reporter, review)
    fresh = Review.objects.get(pk=review.pk)
    assert (fresh.state, fresh.submitted_by) == ("submitted", reporter) and fresh.submitted_at >= before
    assert Pilot.objects.get(pk=pilot.pk).state == "reviewing"
    assert (last(review).verb, last(review).actor) == ("submit", reporter)
    assert (last(pilot).verb, last(pilot).actor) == ("submit_review", reporter)


def test_a_submitted_review_with_missing_answers_is_refused_for_its_state(world):
    review = make_review(world, world.unit(SCHOOL))
    review = _set(review, lessons="")
    with pytest.raises(ValidationError) as refused:
        services.submit_review(world.admin, review)
    assert refusal(refused) == ["This review is in state “Submitted” and cannot be submitted."]


def test_a_midterm_check_leaves_the_pilot_running_through_its_steps(world):
    review = make_review(world, world.unit(SCHOOL), kind="midterm")
    pilot_id = review.pilot_id
    assert Pilot.objects.get(pk=pilot_id).state == "running"
    reviewer = world.user("ministry_reviewer")
    services.return_review(reviewer, review, "补充。")
    assert (Review.objects.get(pk=review.pk).state, Pilot.objects.get(pk=pilot_id).state) == ("returned", "running")
    services.submit_review(world.admin, review)
    services.decide_review(reviewer, review, "close", "结束。")
    assert Pilot.objects.get(pk=pilot_id).state == "closed"


def test_returning_a_review_records_the_reason_who_and_when(world):
    review = make_review(world, world.unit(SCHOOL))
    reviewer = world.user("ministry_reviewer")
    with pytest.raises(ValidationError) as refused:
        services.return_review(reviewer, review, "  ")
    assert refusal(refused) == {"reason": ["Say why the review is returned."]}
    with pytest.raises(PermissionDenied):
        services.return_review(world.user("beijing_reporter"), review, "x")
    with pytest.raises(EditConflict):
        services.return_review(reviewer, review, "x", expected_version=review.version - 1)
    before = timezone.now()
    services.return_review(reviewer, review, " 请补充成本。 ", expected_version=review.version)
    fresh = Review.objects.get(pk=review.pk)
    assert (fresh.state, fresh.decision_reason, fresh.decided_by) == ("returned", "请补充成本。", reviewer)
    assert fresh.decided_at >= before
    assert (last(review).verb, last(review).actor) == ("return", reviewer)
    pilot = Pilot.objects.get(pk=review.pilot_id)
    assert pilot.state == "running" and (last(pilot).verb, last(pilot).actor) == ("review_returned", reviewer)


def test_no_one_decides_on_a_review_they_submitted(world):
    review = make_review(world, world.unit(SCHOOL))  # submitted by admin
    for step in (lambda: services.return_review(world.admin, review, "x"),
                 lambda: services.decide_review(world.admin, review, "close", "x")):
        with pytest.raises(PermissionDenied) as refused:
            step()
        assert str(refused.value) == "You cannot decide on a review you submitted yourself."
    with pytest.raises(PermissionDenied):
        services.decide_review(world.user("beijing_reporter"), review, "close", "x")
    assert Review.objects.get(pk=review.pk).state == "submitted"


def test_a_decision_on_a_review_records_outcome_reason_who_and_when(world):
    review = make_review(world, world.unit(SCHOOL))
    reviewer = world.user("ministry_reviewer")
    with pytest.raises(ValidationError) as refused:
        services.decide_review(reviewer, review, "pause", "x")
    assert refusal(refused) == {"outcome": ["'pause' is not an outcome; choose one of promote, continue, adjust, close."]}
    with pytest.raises(ValidationError) as refused:
        services.decide_review(reviewer, review, "adjust", " ")
    assert refusal(refused) == {"reason": ["Say why the pilot should Adjust."]}
    with pytest.raises(EditConflict):
        services.decide_review(reviewer, review, "adjust", "x", expected_version=review.version - 1)
    before = timezone.now()
    services.decide_review(reviewer, review, "adjust", " 缩小范围。 ", expected_version=review.version)
    fresh = Review.objects.get(pk=review.pk)
    assert (fresh.state, fresh.outcome, fresh.decision_reason, fresh.decided_by) == ("decided", "adjust", "缩小范围。", reviewer)
    assert fresh.decided_at >= before
    assert (last(review).action, last(review).verb, last(review).actor) == ("transition", "adjust", reviewer)
    pilot = Pilot.objects.get(pk=review.pilot_id)
    assert pilot.state == "running" and (last(pilot).verb, last(pilot).actor) == ("adjust", reviewer)


def test_a_promoted_review_becomes_a_solution_without_a_reason(world):
    from luoshi.library.models import Solution

    review = make_review(world, world.unit(SCHOOL))
    services.decide_review(world.user("ministry_reviewer"), review, "promote")
    fresh = Review.objects.get(pk=review.pk)
    assert (fresh.outcome, fresh.decision_reason) == ("promote", "")
    assert Pilot.objects.get(pk=review.pilot_id).state == "promoted"
    assert Solution.objects.count() == 1


def test_without_the_library_a_promotion_hands_nothing_on(world, monkeypatch):
    from django.apps import apps

    review = make_review(world, world.unit(SCHOOL))
    monkeypatch.setattr(apps, "is_installed", lambda name: name != "luoshi.library")
    assert services.promote_to_library(world.admin, review) is None


# Exports and small helpers ----------------------------------------------------------------------

def test_the_exports_rows(world, today):
    review = make_review(world, world.unit(SCHOOL))
    pilot = Pilot.objects.select_related("programme", "unit").get(pk=review.pilot_id)
    programme = pilot.programme
    programme.application_count, programme.pilot_count = 1, 1
    header, rows = services.export_programme_rows([programme])
    assert header == ["id", "title", "owner", "status", "call_opens", "call_closes", "starts_on", "ends_on", "places",
                      "applications", "pilots", "indicators"]
    assert rows == [[programme.pk, programme.title, "MOE", "open", programme.call_opens.isoformat(),
                     programme.call_closes.isoformat(), programme.starts_on.isoformat(), programme.ends_on.isoformat(), 5,
                     1, 1, "数字化教学课时占比；教师信息素养达标率"]]
    bare = Programme.objects.create(owner=world.unit("MOE"), title="空")
    assert services.export_programme_rows([bare])[1] == [[bare.pk, "空", "MOE", "draft", "", "", "", "", 10, "", "", ""]]
    application = pilot.application
    header, rows = services.export_application_rows([application])
    assert header == ["id", "programme", "unit", "unit_name", "state", "aims", "baseline", "contact", "decision_reason"]
    assert rows == [[application.pk, programme.title, SCHOOL, world.unit(SCHOOL).name, "approved", application.aims,
                     "数字化教学课时占比=12；教师信息素养达标率=60", "张老师", ""]]
    header, rows = services.export_pilot_rows([pilot])
    assert header == ["id", "title", "programme", "unit", "unit_name", "state", "starts_on", "ends_on", "contact", "baseline"]
    assert rows == [[pilot.pk, pilot.title, programme.title, SCHOOL, world.unit(SCHOOL).name, "reviewing",
                     pilot.starts_on.isoformat(), pilot.ends_on.isoformat(), "张老师",
                     "数字化教学课时占比=12；教师信息素养达标率=60"]]
    review = Review.objects.select_related("pilot__unit").get(pk=review.pk)
    header, rows = services.export_review_rows([review])
    assert header == ["id", "pilot", "unit", "kind", "state", "outcome", "figures", "cost", "core_problems", "lessons",
                      "decision_reason"]
    assert rows == [[review.pk, pilot.title, SCHOOL, "final", "submitted", "",
                     "数字化教学课时占比: 12→31；教师信息素养达标率: 60→85", "45.50", "教师时间不足。", "先培训后推开。", ""]]
    review.cost, review.figures = None, [{"name": "甲"}]
    assert services.export_review_rows([review])[1][0][6:8] == ["甲: →", ""]


def test_baseline_figures_are_shown_in_the_programmes_indicator_order_whatever_order_they_were_given_in(world):
    """PostgreSQL keeps a JSON object's keys in an order of its own; every listing of a baseline
    (exports, the application page, the edit form) follows the programme's indicators instead."""
    from luoshi.pilots import rules

    programme = make_programme(world)
    names = programme.indicator_names()
    application = services.save_application(world.admin, programme, world.unit(SCHOOL),
                                            application_data(baseline={names[1]: "60", names[0]: "12"}))
    application = Application.objects.select_related("programme", "unit").get(pk=application.pk)
    assert application.baseline_items() == [(names[0], "12"), (names[1], "60")]
    assert services.export_application_rows([application])[1][0][6] == f"{names[0]}=12；{names[1]}=60"
    assert rules.ordered_figures(["b"], {"c": 1, "a": 2, "b": 3}) == [("b", 3), ("a", 2), ("c", 1)]
