"""Pages and API: bad input answers with an error naming the field and changes nothing;
stale versions are refused; lists have the agreed shape."""

from __future__ import annotations

import json

import pytest

from luoshi.audit.models import AuditRecord
from luoshi.pilots.models import Application, PilotEvidence, Programme, ProgressEntry, Review
from luoshi.pilots.tests.conftest import SCHOOL, make_application, make_pilot, make_programme, make_review

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _json(client, method, url, data):
    return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")


def test_a_bad_indicator_line_is_shown_on_the_form_and_nothing_is_created(world, login):
    client = login("ministry_planner")
    before = Programme.objects.count()
    response = client.post("/pilots/programmes/new/", {
        "owner": world.unit("MOE").pk, "title": "坏指标", "indicators": "生师比 | | sideways", "places": 2})
    assert response.status_code == 200
    assert "line 1: direction must be up or down" in response.content.decode()
    assert Programme.objects.count() == before


def test_an_application_with_an_unknown_indicator_is_refused_on_the_form(world, login):
    programme = make_programme(world)
    client = login("beijing_reporter")
    response = client.post(f"/pilots/programmes/{programme.pk}/apply/", {
        "unit": world.unit(SCHOOL).pk, "aims": "a", "approach": "b", "baseline": "升学率 = 90"})
    assert response.status_code == 200
    assert "升学率 is not one of the programme" in response.content.decode()
    assert not Application.objects.filter(programme=programme).exists()


def test_a_future_progress_date_and_a_bad_evidence_file_are_refused(world, login):
    pilot = make_pilot(world, world.unit(SCHOOL))
    client = login("beijing_reporter")
    response = client.post(f"/pilots/runs/{pilot.pk}/progress/", {"entry_date": "2099-01-01", "done": "x"})
    assert response.status_code == 200 and "The date is in the future." in response.content.decode()
    assert not ProgressEntry.objects.filter(pilot=pilot).exists()
    client.post(f"/pilots/runs/{pilot.pk}/progress/", {"entry_date": "2026-11-30", "done": "完成培训。"})
    entry = ProgressEntry.objects.get(pilot=pilot)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(f"/pilots/entries/{entry.pk}/evidence/", {"file": SimpleUploadedFile("x.pdf", b"not a pdf")},
                           follow=True)
    assert "x.pdf does not look like a .pdf file." in response.content.decode()
    assert not PilotEvidence.objects.exists()


def test_declining_without_a_reason_changes_nothing(world, login):
    application = make_application(world, world.unit(SCHOOL))
    records = AuditRecord.objects.count()
    response = login("ministry_reviewer").post(f"/pilots/applications/{application.pk}/decide/",
                                               {"decision": "decline", "reason": "", "version": application.version},
                                               follow=True)
    assert "Say why the application is declined." in response.content.decode()
    assert Application.objects.get(pk=application.pk).state == "submitted"
    assert AuditRecord.objects.count() == records


def test_a_stale_edit_is_refused_with_409_and_the_changes(world, api):
    review = make_review(world, world.unit(SCHOOL), submitted=False)
    client = api("beijing_reporter")
    ok = _json(client, "patch", f"/api/v1/reviews/{review.pk}", {"lessons": "第一次修改", "version": review.version})
    assert ok.status_code == 200 and ok.json()["version"] == review.version + 1
    stale = _json(client, "patch", f"/api/v1/reviews/{review.pk}", {"lessons": "第二次修改", "version": review.version})
    assert stale.status_code == 409
    assert any(c["field"] == "lessons" for c in stale.json()["changes"])
    assert Review.objects.get(pk=review.pk).lessons == "第一次修改"


def test_illegal_transitions_answer_422_with_the_message(world, api):
    review = make_review(world, world.unit(SCHOOL))
    reviewer = api("ministry_reviewer")
    assert _json(reviewer, "post", f"/api/v1/reviews/{review.pk}/decide", {"decision": "close", "reason": "示例"}).status_code == 200
    again = _json(reviewer, "post", f"/api/v1/reviews/{review.pk}/decide", {"decision": "promote"})
    assert again.status_code == 422
    assert "cannot be decided" in json.dumps(again.json(), ensure_ascii=False)


def test_lists_have_items_and_count(world, api):
    review = make_review(world, world.unit(SCHOOL))
    client = api("ministry_reviewer")
    for url in ("/api/v1/pilot-programmes", "/api/v1/pilots", "/api/v1/reviews"):
        body = client.get(url).json()
        assert set(body) == {"items", "count"} and body["count"] >= 1, url
    pilot = client.get(f"/api/v1/pilots/{review.pilot_id}").json()
    assert pilot["unit"] == SCHOOL and SCHOOL in pilot["participants"]
    programme = client.get(f"/api/v1/pilot-programmes/{pilot['programme']}").json()
    assert programme["eligible_regions"] == ["110000", "310000"]
    assert [i["name"] for i in programme["indicators"]] == ["数字化教学课时占比", "教师信息素养达标率"]


def test_a_published_call_is_readable_by_every_member_but_a_draft_is_not(world, api):
    draft = make_programme(world, status="draft", title="草稿项目")
    published = make_programme(world, title="已发布项目")
    client = api("shanghai_reporter")
    assert client.get(f"/api/v1/pilot-programmes/{published.pk}").status_code == 200
    assert client.get(f"/api/v1/pilot-programmes/{draft.pk}").status_code == 404
    assert api("nobody").get(f"/api/v1/pilot-programmes/{published.pk}").status_code == 404


def test_applicants_do_not_see_each_others_applications(world, api):
    programme = make_programme(world)
    mine = make_application(world, world.unit(SCHOOL), programme)
    theirs = make_application(world, world.unit("S310101001"), programme)
    ids = {a["id"] for a in api("beijing_reporter").get(f"/api/v1/pilot-programmes/{programme.pk}/applications").json()["items"]}
    assert mine.pk in ids and theirs.pk not in ids
    owner_ids = {a["id"] for a in api("ministry_reviewer").get(f"/api/v1/pilot-programmes/{programme.pk}/applications").json()["items"]}
    assert {mine.pk, theirs.pk} <= owner_ids


def test_the_xlsx_export_neutralises_formulas(world, login):
    import io

    from openpyxl import load_workbook

    programme = make_programme(world, title="=HYPERLINK(\"http://x\")")
    response = login("ministry_planner").get("/pilots/export.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    titles = [r[1] for r in rows[1:] if r[0] == programme.pk]
    assert titles and not str(titles[0]).startswith("=")


def test_pages_render_for_the_owner_and_the_applicant(world, login):
    review = make_review(world, world.unit(SCHOOL))
    pilot = review.pilot
    for username in ("ministry_reviewer", "beijing_reporter"):
        client = login(username)
        for url in ("/pilots/", f"/pilots/programmes/{pilot.programme_id}/", "/pilots/runs/", f"/pilots/runs/{pilot.pk}/",
                    "/pilots/reviews/", f"/pilots/reviews/{review.pk}/", "/pilots/applications/", "/pilots/work/",
                    f"/pilots/applications/{pilot.application_id}/"):
            assert client.get(url).status_code == 200, (username, url)
    assert 'data-testid="decision-form"' in login("ministry_reviewer").get(f"/pilots/reviews/{review.pk}/").content.decode()
    assert 'data-testid="decision-form"' not in login("beijing_reporter").get(f"/pilots/reviews/{review.pk}/").content.decode()
