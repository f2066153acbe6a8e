"""Permission battery for pilot programmes, applications, pilots, progress entries, their
evidence files and reviews (see ``luoshi.core.testing.battery``).

The objects live in the district (110101 东城区; 310101 黄浦区 for the out-of-scope counterpart):
the district owns a programme open to its own schools; its school (S110101001 北京市第二中学)
applies, runs the pilot and writes the review.

Who plays which part: 北京's planner sets up programmes (its reporter is the wrong role); 北京's
reporter applies, reports progress and writes reviews for the school (its reviewer is the wrong
role); 北京's reviewer decides applications and reviews, and answers problems raised (its
reporter is the wrong role). Out of scope is always the 上海 user of the same role, who sees
none of 北京's drafts, applications, pilots or reviews (a published call is readable by all).
"""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from luoshi.core import authz
from luoshi.core.testing.battery import Action, Http, ModelSpec, generate
from luoshi.orgs.models import OrgUnit
from luoshi.pilots import queries, services
from luoshi.pilots.models import Application, Pilot, PilotEvidence, Programme, ProgressEntry, Review

NEW_TEXT = "测试内容（已修改）"
EVIDENCE_NAME = "课堂观察记录.pdf"
INDICATORS = [{"name": "数字化教学课时占比", "unit": "%", "direction": "up", "code": ""}]
BASELINE = {"数字化教学课时占比": "12"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _html(response) -> str:
    return response.content.decode()


def _links_to(path):
    return lambda c, r: f'href="{path(c)}"' in _html(r)


def _api_lists(c, r) -> bool:
    return any(row["id"] == c.pk for row in r.json()["items"])


def _xlsx_ids(response) -> set:
    ws = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return {row[0] for row in list(ws.iter_rows(values_only=True))[1:]}


def _with(unit: OrgUnit, **attrs) -> OrgUnit:
    fresh = OrgUnit.objects.get(pk=unit.pk)
    for name, value in attrs.items():
        setattr(fresh, name, value)
    return fresh


def _school(district: OrgUnit) -> OrgUnit:
    return OrgUnit.objects.filter(parent=district, type="school").order_by("code").first()


def _reviewer(world, district):
    return world.user("beijing_reviewer" if district.code.startswith("11") else "shanghai_reviewer")


# Makers ----------------------------------------------------------------------------------------

def make_programme(world, district, status: str = "draft") -> Programme:
    today = timezone.localdate()
    programme = services.create_programme(
        world.admin, owner=district, title=f"测试试点项目{_tag()}", aims="示例目标。", indicators=INDICATORS,
        eligible_types=["school"], eligible_regions=[district], call_opens=today - timedelta(days=5),
        call_closes=today + timedelta(days=30), starts_on=today, ends_on=today + timedelta(days=365),
        call_text="示例征集通知。", places=3)
    if status == "open":
        services.set_programme_status(world.admin, programme, "publish")
    return Programme.objects.select_related("owner").get(pk=programme.pk)


def make_open_programme(world, district) -> Programme:
    return make_programme(world, district, "open")


APPLICATION_DATA = {"aims": "示例：提高数字化教学课时占比。", "approach": "示例做法。", "baseline": BASELINE}


def make_draft_application(world, district) -> Application:
    programme = make_open_programme(world, district)
    application = services.save_application(world.admin, programme, _school(district), dict(APPLICATION_DATA))
    return Application.objects.select_related("programme", "unit").get(pk=application.pk)


def make_application(world, district) -> Application:
    application = make_draft_application(world, district)
    services.submit_application(world.admin, application)
    return Application.objects.select_related("programme", "unit").get(pk=application.pk)


def make_pilot(world, district) -> Pilot:
    application = make_application(world, district)
    services.decide_application(_reviewer(world, district), application, "approve")
    return Pilot.objects.select_related("programme", "unit").get(application=application)


def make_entry(world, district) -> ProgressEntry:
    pilot = make_pilot(world, district)
    entry = services.add_entry(world.admin, pilot, {"done": f"示例进展{_tag()}", "problems": "示例问题：带宽不足。",
                                                    "figures": {"数字化教学课时占比": "15"}}, escalate=True)
    return ProgressEntry.objects.select_related("pilot").get(pk=entry.pk)


def make_evidence(world, district) -> PilotEvidence:
    entry = make_entry(world, district)
    return services.add_evidence(world.admin, entry, _upload())


def make_entry_with_evidence(world, district) -> ProgressEntry:
    entry = make_entry(world, district)
    services.add_evidence(world.admin, entry, _upload())
    return entry


REVIEW_DATA = {"aims_vs_results": "示例：目标基本达成。", "what_worked": "示例做法。", "core_problems": "示例问题。",
               "lessons": "示例经验。", "results": {"数字化教学课时占比": "30"}}


def make_review(world, district) -> Review:
    pilot = make_pilot(world, district)
    review = services.save_review(world.admin, pilot, dict(REVIEW_DATA))
    return Review.objects.select_related("pilot").get(pk=review.pk)


def make_submitted_review(world, district) -> Review:
    review = make_review(world, district)
    services.submit_review(world.admin, review)
    return Review.objects.select_related("pilot").get(pk=review.pk)


def _upload() -> SimpleUploadedFile:
    return SimpleUploadedFile(EVIDENCE_NAME, b"%PDF-1.4 evidence", content_type="application/pdf")


# Programmes ------------------------------------------------------------------------------------

def _programme_page(c) -> str:
    return f"/pilots/programmes/{c.pk}/"


def _new_title(c) -> str:
    return f"新试点项目{c.new_code}"


def _programme_form(c, title) -> dict:
    return {"owner": c.obj.pk if isinstance(c.obj, OrgUnit) else c.obj.owner_id, "title": title, "aims": "",
            "indicators": "数字化教学课时占比 | % | up", "places": 3, "call_text": "示例", "review_template": "",
            "version": getattr(c.obj, "version", "")}


PROGRAMME = ModelSpec(
    model=Programme,
    make=make_programme,
    in_scope="beijing_planner",
    wrong_role="beijing_reporter",
    out_of_scope="shanghai_planner",
    actions=(
        Action(
            "list", listing=True,
            ui=Http("get", lambda c: "/pilots/", data=lambda c: {"q": c.obj.title}, shows=_links_to(_programme_page)),
            api=Http("get", lambda c: "/api/v1/pilot-programmes", data=lambda c: {"q": c.obj.title}, shows=_api_lists),
            service=lambda user, c: queries.programmes(user, q=c.obj.title),
        ),
        Action(
            "export", listing=True,
            ui=Http("get", lambda c: "/pilots/export.xlsx", data=lambda c: {"q": c.obj.title},
                    shows=lambda c, r: c.pk in _xlsx_ids(r)),
        ),
        Action(
            "detail",
            ui=Http("get", _programme_page),
            api=Http("get", lambda c: f"/api/v1/pilot-programmes/{c.pk}"),
            service=lambda user, c: authz.get_or_404(user, Programme, pk=c.pk),
        ),
        Action(
            "add", permission="add", target=lambda w, d: d, audit="create",
            effect=lambda c: Programme.objects.filter(title=_new_title(c), owner=c.obj).exists(),
            ui=Http("post", lambda c: "/pilots/programmes/new/", ok=302, data=lambda c: _programme_form(c, _new_title(c))),
            api=Http("post", lambda c: "/api/v1/pilot-programmes", ok=201, json=True,
                     data=lambda c: {"owner": c.obj.code, "title": _new_title(c)}),
            service=lambda user, c: services.create_programme(user, owner=c.obj, title=_new_title(c)),
            expect={("ui", "out_of_scope"): 200},
        ),
        Action(
            "change", permission="change", audit="update", effect=lambda c: c.refresh().title == NEW_TEXT,
            ui=Http("post", lambda c: f"/pilots/programmes/{c.pk}/edit/", ok=302, data=lambda c: _programme_form(c, NEW_TEXT)),
            api=Http("patch", lambda c: f"/api/v1/pilot-programmes/{c.pk}", json=True,
                     data=lambda c: {"title": NEW_TEXT, "version": c.obj.version}),
            service=lambda user, c: services.update_programme(user, c.obj, {"title": NEW_TEXT}),
        ),
        Action(
            "publish", permission="publish", audit="transition", verb="publish",
            effect=lambda c: c.refresh().status == "open",
            ui=Http("post", lambda c: f"/pilots/programmes/{c.pk}/status/", ok=302, data=lambda c: {"action": "publish"}),
            api=Http("patch", lambda c: f"/api/v1/pilot-programmes/{c.pk}", json=True, data=lambda c: {"action": "publish"}),
            service=lambda user, c: services.set_programme_status(user, c.obj, "publish"),
        ),
        Action(
            "delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
            service=lambda user, c: services.delete_programme(user, c.obj),
        ),
    ),
)


# Applications ----------------------------------------------------------------------------------

def _application_page(c) -> str:
    return f"/pilots/applications/{c.pk}/"


def _apply_target(world, district) -> OrgUnit:
    """The district's school, with an open programme of the district (``.programme``) to apply to."""
    return _with(_school(district), programme=make_open_programme(world, district))


def _application_form(version="", aims="示例目标。") -> dict:
    return {"aims": aims, "approach": "示例做法。", "resources": "", "baseline": "数字化教学课时占比 = 12",
            "contact_name": "", "contact_info": "", "version": version}


def _state_is(state):
    return lambda c: c.refresh().state == state


DECIDE = {"in_scope": "beijing_reviewer", "wrong_role": "beijing_reporter", "out_of_scope": "shanghai_reviewer"}

APPLICATION = ModelSpec(
    model=Application,
    make=make_application,
    in_scope="beijing_reporter",
    wrong_role="beijing_reviewer",
    out_of_scope="shanghai_reporter",
    actions=(
        Action(
            "list", listing=True,
            ui=Http("get", lambda c: "/pilots/applications/", data=lambda c: {"q": c.obj.programme.title},
                    shows=_links_to(_application_page)),
            api=Http("get", lambda c: f"/api/v1/pilot-programmes/{c.obj.programme_id}/applications", shows=_api_lists),
            service=lambda user, c: queries.applications(user, q=c.obj.programme.title),
        ),
        Action(
            "programme_page", listing=True,
            ui=Http("get", lambda c: f"/pilots/programmes/{c.obj.programme_id}/", shows=_links_to(_application_page)),
            service=lambda user, c: queries.applications(user, programme=c.obj.programme),
        ),
        Action(
            "export", listing=True,
            ui=Http("get", lambda c: "/pilots/applications/export.xlsx", data=lambda c: {"q": c.obj.programme.title},
                    shows=lambda c, r: c.pk in _xlsx_ids(r)),
        ),
        Action(
            "queue", permission="review", listing=True, **DECIDE,
            ui=Http("get", lambda c: "/pilots/work/", shows=_links_to(_application_page)),
            service=lambda user, c: queries.application_queue(user),
            expect={("ui", "wrong_role"): 200},
        ),
        Action(
            "detail",
            ui=Http("get", _application_page),
            api=Http("get", lambda c: f"/api/v1/pilot-programmes/applications/{c.pk}"),
            service=lambda user, c: authz.get_or_404(user, Application, pk=c.pk),
        ),
        Action(
            # The apply form offers only units the user may apply for that the programme accepts.
            "add", permission="add", target=_apply_target, audit="create",
            effect=lambda c: Application.objects.filter(programme=c.obj.programme, unit=c.obj).exists(),
            ui=Http("post", lambda c: f"/pilots/programmes/{c.obj.programme.pk}/apply/", ok=302,
                    data=lambda c: {"unit": c.obj.pk, **_application_form()}),
            api=Http("post", lambda c: f"/api/v1/pilot-programmes/{c.obj.programme.pk}/applications", json=True,
                     data=lambda c: {"unit": c.obj.code, "aims": "示例", "approach": "示例", "baseline": {"数字化教学课时占比": 12}}),
            service=lambda user, c: services.save_application(user, c.obj.programme, c.obj, dict(APPLICATION_DATA)),
            # The call is readable by all, but none of 上海's units is eligible for 东城区's programme.
            expect={("ui", "out_of_scope"): 403},
        ),
        Action(
            "change", permission="change", target=make_draft_application, audit="update",
            effect=lambda c: c.refresh().aims == NEW_TEXT,
            ui=Http("post", lambda c: f"/pilots/programmes/{c.obj.programme_id}/apply/?application={c.pk}", ok=302,
                    data=lambda c: _application_form(c.obj.version, NEW_TEXT)),
            api=Http("post", lambda c: f"/api/v1/pilot-programmes/{c.obj.programme_id}/applications", json=True,
                     data=lambda c: {"unit": c.obj.unit.code, "aims": NEW_TEXT, "approach": "示例", "version": c.obj.version}),
            service=lambda user, c: services.save_application(user, c.obj.programme, c.obj.unit, {"aims": NEW_TEXT}),
        ),
        Action(
            "submit", permission="submit", target=make_draft_application, audit="transition", verb="submit",
            effect=_state_is("submitted"),
            ui=Http("post", lambda c: f"/pilots/applications/{c.pk}/submit/", ok=302, data=lambda c: {"version": c.obj.version}),
            api=Http("post", lambda c: f"/api/v1/pilot-programmes/applications/{c.pk}/submit", json=True,
                     data=lambda c: {"version": c.obj.version}),
            service=lambda user, c: services.submit_application(user, c.obj),
        ),
        Action(
            "withdraw", permission="change", audit="transition", verb="withdraw", effect=_state_is("withdrawn"),
            ui=Http("post", lambda c: f"/pilots/applications/{c.pk}/withdraw/", ok=302, data=lambda c: {"version": c.obj.version}),
            api=Http("post", lambda c: f"/api/v1/pilot-programmes/applications/{c.pk}/withdraw", json=True,
                     data=lambda c: {"version": c.obj.version}),
            service=lambda user, c: services.withdraw_application(user, c.obj),
        ),
        Action(
            "approve", permission="review", **DECIDE, audit="transition", verb="approve", effect=_state_is("approved"),
            ui=Http("post", lambda c: f"/pilots/applications/{c.pk}/decide/", ok=302,
                    data=lambda c: {"decision": "approve", "reason": "", "version": c.obj.version}),
            api=Http("post", lambda c: f"/api/v1/pilot-programmes/applications/{c.pk}/decide", json=True,
                     data=lambda c: {"decision": "approve", "version": c.obj.version}),
            service=lambda user, c: services.decide_application(user, c.obj, "approve"),
        ),
        Action(
            "decline", permission="review", **DECIDE, audit="transition", verb="decline", effect=_state_is("declined"),
            ui=Http("post", lambda c: f"/pilots/applications/{c.pk}/decide/", ok=302,
                    data=lambda c: {"decision": "decline", "reason": "示例理由。", "version": c.obj.version}),
            api=Http("post", lambda c: f"/api/v1/pilot-programmes/applications/{c.pk}/decide", json=True,
                     data=lambda c: {"decision": "decline", "reason": "示例理由。"}),
            service=lambda user, c: services.decide_application(user, c.obj, "decline", "示例理由。"),
        ),
    ),
)


# Pilots ----------------------------------------------------------------------------------------

def _pilot_page(c) -> str:
    return f"/pilots/runs/{c.pk}/"


PILOT = ModelSpec(
    model=Pilot,
    make=make_pilot,
    in_scope="beijing_reporter",
    wrong_role="beijing_reviewer",
    out_of_scope="shanghai_reporter",
    actions=(
        Action(
            "list", listing=True,
            ui=Http("get", lambda c: "/pilots/runs/", data=lambda c: {"q": c.obj.title}, shows=_links_to(_pilot_page)),
            api=Http("get", lambda c: "/api/v1/pilots", data=lambda c: {"q": c.obj.title}, shows=_api_lists),
            service=lambda user, c: queries.pilots(user, q=c.obj.title),
        ),
        Action(
            "export", listing=True,
            ui=Http("get", lambda c: "/pilots/runs/export.xlsx", data=lambda c: {"q": c.obj.title},
                    shows=lambda c, r: c.pk in _xlsx_ids(r)),
        ),
        Action(
            "detail",
            ui=Http("get", _pilot_page),
            api=Http("get", lambda c: f"/api/v1/pilots/{c.pk}"),
            service=lambda user, c: authz.get_or_404(user, Pilot, pk=c.pk),
        ),
        Action(
            "change", permission="change", audit="update", effect=lambda c: c.refresh().contact_name == "李老师",
            ui=Http("post", lambda c: f"/pilots/runs/{c.pk}/edit/", ok=302,
                    data=lambda c: {"contact_name": "李老师", "contact_info": "", "milestones": "2027-06-30 示例里程碑",
                                    "ends_on": "", "version": c.obj.version}),
            api=Http("patch", lambda c: f"/api/v1/pilots/{c.pk}", json=True,
                     data=lambda c: {"contact_name": "李老师", "version": c.obj.version}),
            service=lambda user, c: services.update_pilot(user, c.obj, {"contact_name": "李老师"}),
        ),
    ),
)


# Progress entries ------------------------------------------------------------------------------

def _entry_target(world, district) -> OrgUnit:
    """The district's school, with its running pilot (``.pilot``) to record progress on."""
    pilot = make_pilot(world, district)
    return _with(pilot.unit, pilot=pilot)


def _new_entry_exists(c) -> bool:
    return ProgressEntry.objects.filter(pilot=c.obj.pilot, done=NEW_TEXT).exists()


def _evidence_of(c) -> PilotEvidence:
    if not hasattr(c, "evidence"):
        c.evidence = PilotEvidence.objects.get(entry_id=c.pk)
    return c.evidence


ANSWER = {"in_scope": "beijing_reviewer", "wrong_role": "beijing_reporter", "out_of_scope": "shanghai_reviewer"}

PROGRESS_ENTRY = ModelSpec(
    model=ProgressEntry,
    make=make_entry,
    in_scope="beijing_reporter",
    wrong_role="beijing_reviewer",
    out_of_scope="shanghai_reporter",
    actions=(
        Action(
            "pilot_page", listing=True,
            ui=Http("get", lambda c: f"/pilots/runs/{c.obj.pilot_id}/", shows=lambda c, r: f'id="entry-{c.pk}"' in _html(r),
                    out_of_scope_status=404),
            api=Http("get", lambda c: f"/api/v1/pilots/{c.obj.pilot_id}/entries", shows=_api_lists, out_of_scope_status=404),
            service=lambda user, c: queries.entries(user, c.obj.pilot),
        ),
        Action(
            "raised", permission="review", listing=True, **ANSWER,
            ui=Http("get", lambda c: "/pilots/work/", shows=_links_to(lambda c: f"/pilots/runs/{c.obj.pilot_id}/")),
            service=lambda user, c: queries.raised_issues(user),
            expect={("ui", "wrong_role"): 200},
        ),
        Action(
            "add", permission="add", target=_entry_target, audit="create", effect=_new_entry_exists,
            ui=Http("post", lambda c: f"/pilots/runs/{c.obj.pilot.pk}/progress/", ok=302,
                    data=lambda c: {"entry_date": timezone.localdate().isoformat(), "period": "", "done": NEW_TEXT,
                                    "problems": "", "figures": "数字化教学课时占比 = 14"}),
            api=Http("post", lambda c: f"/api/v1/pilots/{c.obj.pilot.pk}/entries", ok=201, json=True,
                     data=lambda c: {"done": NEW_TEXT, "figures": {"数字化教学课时占比": 14}}),
            service=lambda user, c: services.add_entry(user, c.obj.pilot, {"done": NEW_TEXT}),
        ),
        Action(
            "change", permission="change", audit="update", effect=lambda c: c.refresh().done == NEW_TEXT,
            service=lambda user, c: services.update_entry(user, c.obj, {"done": NEW_TEXT}),
        ),
        Action(
            "answer", permission="review", **ANSWER, audit="update", verb="answer",
            effect=lambda c: c.refresh().escalation == "answered",
            ui=Http("post", lambda c: f"/pilots/entries/{c.pk}/answer/", ok=302,
                    data=lambda c: {"response": "示例答复。", "version": c.obj.version}),
            service=lambda user, c: services.answer_escalation(user, c.obj, "示例答复。"),
        ),
        Action(
            "add_evidence", permission="change", audit="create", audit_model=PilotEvidence,
            effect=lambda c: PilotEvidence.objects.filter(entry_id=c.pk, name=EVIDENCE_NAME).exists(),
            ui=Http("post", lambda c: f"/pilots/entries/{c.pk}/evidence/", ok=302, data=lambda c: {"file": _upload()}),
            service=lambda user, c: services.add_evidence(user, c.obj, _upload()),
        ),
        Action(
            "remove_evidence", permission="change", target=make_entry_with_evidence, audit="delete", audit_model=PilotEvidence,
            effect=lambda c: not PilotEvidence.objects.filter(entry_id=c.pk).exists(), prepare=_evidence_of,
            ui=Http("post", lambda c: f"/pilots/evidence/{_evidence_of(c).pk}/delete/", ok=302),
            service=lambda user, c: services.remove_evidence(user, _evidence_of(c)),
        ),
    ),
)


PILOT_EVIDENCE = ModelSpec(
    model=PilotEvidence,
    make=make_evidence,
    in_scope="beijing_reporter",
    out_of_scope="shanghai_reporter",
    actions=(
        Action(
            "download",
            ui=Http("get", lambda c: f"/pilots/evidence/{c.pk}/"),
            service=lambda user, c: authz.get_or_404(user, PilotEvidence, pk=c.pk),
        ),
    ),
)


# Reviews ---------------------------------------------------------------------------------------

def _review_page(c) -> str:
    return f"/pilots/reviews/{c.pk}/"


def _review_target(world, district) -> OrgUnit:
    pilot = make_pilot(world, district)
    return _with(pilot.unit, pilot=pilot)


def _review_form(c, text, version="") -> dict:
    return {"kind": "final", "aims_vs_results": text, "results": "数字化教学课时占比 = 28", "what_worked": "",
            "essential_problems": "", "core_problems": "", "lessons": "", "reuse_conditions": "", "cost": "",
            "cost_notes": "", "version": version}


def _outcome_is(outcome):
    return lambda c: c.refresh().outcome == outcome


REVIEW = ModelSpec(
    model=Review,
    make=make_review,
    in_scope="beijing_reporter",
    wrong_role="beijing_reviewer",
    out_of_scope="shanghai_reporter",
    actions=(
        Action(
            "list", listing=True,
            ui=Http("get", lambda c: "/pilots/reviews/", data=lambda c: {"q": c.obj.pilot.title}, shows=_links_to(_review_page)),
            api=Http("get", lambda c: "/api/v1/reviews", data=lambda c: {"q": c.obj.pilot.title}, shows=_api_lists),
            service=lambda user, c: queries.reviews(user, q=c.obj.pilot.title),
        ),
        Action(
            "export", listing=True,
            ui=Http("get", lambda c: "/pilots/reviews/export.xlsx", data=lambda c: {"q": c.obj.pilot.title},
                    shows=lambda c, r: c.pk in _xlsx_ids(r)),
        ),
        Action(
            "queue", permission="review", listing=True, target=make_submitted_review, **DECIDE,
            ui=Http("get", lambda c: "/pilots/work/", shows=_links_to(_review_page)),
            service=lambda user, c: queries.review_queue(user),
            expect={("ui", "wrong_role"): 200},
        ),
        Action(
            "detail",
            ui=Http("get", _review_page),
            api=Http("get", lambda c: f"/api/v1/reviews/{c.pk}"),
            service=lambda user, c: authz.get_or_404(user, Review, pk=c.pk),
        ),
        Action(
            "add", permission="add", target=_review_target, audit="create",
            effect=lambda c: Review.objects.filter(pilot=c.obj.pilot).exists(),
            ui=Http("post", lambda c: f"/pilots/runs/{c.obj.pilot.pk}/review/", ok=302, data=lambda c: _review_form(c, NEW_TEXT)),
            api=Http("post", lambda c: f"/api/v1/pilots/{c.obj.pilot.pk}/reviews", ok=201, json=True,
                     data=lambda c: {"aims_vs_results": NEW_TEXT}),
            service=lambda user, c: services.save_review(user, c.obj.pilot, {"aims_vs_results": NEW_TEXT}),
        ),
        Action(
            "change", permission="change", audit="update", effect=lambda c: c.refresh().aims_vs_results == NEW_TEXT,
            ui=Http("post", lambda c: f"/pilots/reviews/{c.pk}/edit/", ok=302,
                    data=lambda c: _review_form(c, NEW_TEXT, c.obj.version)),
            api=Http("patch", lambda c: f"/api/v1/reviews/{c.pk}", json=True,
                     data=lambda c: {"aims_vs_results": NEW_TEXT, "version": c.obj.version}),
            service=lambda user, c: services.save_review(user, c.obj.pilot, {"aims_vs_results": NEW_TEXT}, review=c.obj),
        ),
        Action(
            "submit", permission="submit", audit="transition", verb="submit", effect=_state_is("submitted"),
            ui=Http("post", lambda c: f"/pilots/reviews/{c.pk}/submit/", ok=302, data=lambda c: {"version": c.obj.version}),
            api=Http("post", lambda c: f"/api/v1/reviews/{c.pk}/submit", json=True, data=lambda c: {"version": c.obj.version}),
            service=lambda user, c: services.submit_review(user, c.obj),
        ),
        Action(
            "promote", permission="review", target=make_submitted_review, **DECIDE, audit="transition", verb="promote",
            effect=_outcome_is("promote"),
            ui=Http("post", lambda c: f"/pilots/reviews/{c.pk}/decide/", ok=302,
                    data=lambda c: {"decision": "promote", "reason": "", "version": c.obj.version}),
            api=Http("post", lambda c: f"/api/v1/reviews/{c.pk}/decide", json=True,
                     data=lambda c: {"decision": "promote", "version": c.obj.version}),
            service=lambda user, c: services.decide_review(user, c.obj, "promote"),
        ),
        Action(
            "close", permission="review", target=make_submitted_review, **DECIDE, audit="transition", verb="close",
            effect=_outcome_is("close"),
            ui=Http("post", lambda c: f"/pilots/reviews/{c.pk}/decide/", ok=302,
                    data=lambda c: {"decision": "close", "reason": "示例理由。", "version": c.obj.version}),
            api=Http("post", lambda c: f"/api/v1/reviews/{c.pk}/decide", json=True,
                     data=lambda c: {"decision": "close", "reason": "示例理由。"}),
            service=lambda user, c: services.decide_review(user, c.obj, "close", "示例理由。"),
        ),
        Action(
            "return", permission="review", target=make_submitted_review, **DECIDE, audit="transition", verb="return",
            effect=_state_is("returned"),
            ui=Http("post", lambda c: f"/pilots/reviews/{c.pk}/decide/", ok=302,
                    data=lambda c: {"decision": "return", "reason": "示例：请补充。", "version": c.obj.version}),
            api=Http("post", lambda c: f"/api/v1/reviews/{c.pk}/decide", json=True,
                     data=lambda c: {"decision": "return", "reason": "示例：请补充。"}),
            service=lambda user, c: services.return_review(user, c.obj, "示例：请补充。"),
        ),
    ),
)


SPECS = [PROGRAMME, APPLICATION, PILOT, PROGRESS_ENTRY, PILOT_EVIDENCE, REVIEW]
test_permissions = generate(SPECS)
