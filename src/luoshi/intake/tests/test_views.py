"""The policy intake pages and API: paste or upload, review, edit the outline, create the draft plan."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from luoshi.audit.models import AuditRecord
from luoshi.intake import services
from luoshi.intake.models import Draft
from luoshi.plans.models import Plan, PlanItem, SourceDocument

from .conftest import FIXTURES, fixture_bytes, fixture_text

pytestmark = pytest.mark.django_db

REPORT = "city_conference_noisy.txt"
TASKS = ["坚持立德树人根本任务", "推动高等教育内涵发展", "夯实基础教育基点", "提升职业教育适应性",
         "加快教育数字化转型", "扩大教育对外交流合作", "建设高素质专业化教师队伍"]
HTMX = {"HTTP_HX_REQUEST": "true"}


def paste(client, text: str, **extra):
    return client.post(reverse("intake:start"), {"text": text}, **extra)


def draft_of(response) -> Draft:
    url = response.headers.get("HX-Redirect") or response.url
    token = re.search(r"/intake/([0-9a-f-]{36})/", url).group(1)
    return Draft.objects.get(token=token)


@pytest.fixture
def planner(login):
    return login("ministry_planner")


@pytest.fixture
def draft(planner) -> Draft:
    return draft_of(paste(planner, fixture_text(REPORT)))


def created() -> tuple[int, int, int]:
    return Plan.objects.count(), PlanItem.objects.count(), SourceDocument.objects.count()


def outline_ids(draft: Draft) -> list[int]:
    return [node["id"] for node in Draft.objects.get(pk=draft.pk).outline]


def plan_form(draft: Draft, world, **extra) -> dict:
    return {"title": "2024年全市教育重点任务", "issuer": world.unit("MOE").pk, "start_year": 2024, "end_year": 2024, **extra}


# Who may ----------------------------------------------------------------------------------------

def test_it_refuses_a_reporter_on_every_intake_page(login, draft) -> None:
    reporter = login("beijing_reporter")
    token = draft.token
    assert reporter.get(reverse("intake:start")).status_code == 403
    assert paste(reporter, fixture_text(REPORT)).status_code == 403
    assert reporter.get(reverse("intake:review", args=[token])).status_code == 403
    assert reporter.post(reverse("intake:review", args=[token]), {}).status_code == 403
    assert reporter.get(reverse("intake:status", args=[token])).status_code == 403
    assert reporter.post(reverse("intake:outline", args=[token]), {"outline": "[]"}).status_code == 403
    assert reporter.post(reverse("intake:discard", args=[token])).status_code == 403
    assert Draft.objects.filter(pk=draft.pk).exists() and Draft.objects.count() == 1


def test_it_sends_anonymous_users_to_the_login_page(login, draft) -> None:
    response = login(None).get(reverse("intake:review", args=[draft.token]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_it_hides_a_draft_from_everyone_but_its_owner(login, draft) -> None:
    for other in ("shanghai_planner", "ministry_admin", "admin"):
        client = login(other)
        assert client.get(reverse("intake:review", args=[draft.token])).status_code == 404, other
        assert client.post(reverse("intake:discard", args=[draft.token])).status_code == 404, other
    assert Draft.objects.filter(pk=draft.pk).exists()


def test_it_shows_the_nav_entry_to_planners_and_admins_only(login) -> None:
    link = f'href="{reverse("intake:start")}"'
    for username, visible in (("ministry_planner", True), ("beijing_admin", True), ("beijing_reporter", False),
                              ("auditor", False), ("ministry_reviewer", False)):
        html = login(username).get(reverse("core:home")).content.decode()
        assert (link in html) is visible, username


# Paste, review, create --------------------------------------------------------------------------

def test_it_drafts_a_plan_from_a_pasted_noisy_report(planner, world) -> None:
    before = AuditRecord.objects.count()
    response = paste(planner, fixture_text(REPORT))
    assert response.status_code == 302
    draft = draft_of(response)
    assert draft.status == Draft.Status.DONE and draft.pasted and draft.owner == world.user("ministry_planner")

    page = planner.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200
    # The clean text with the noise at its place, marked by kind; the flags; the outline.
    assert 'data-kind="emoji"' in html
    assert ">[U+1F44D THUMBS UP SIGN + U+1F3FD EMOJI MODIFIER FITZPATRICK TYPE-4]</del>" in html
    assert re.search(r'<del class="rm rm-spam rm-line"[^>]*data-kind="spam">澳门真人视讯百家乐', html)
    assert re.search(r'<del class="rm rm-noise"[^>]*data-kind="pinyin">\(luò\)</del>', html)
    assert "确保各项任务落" in html and "Site boilerplate" in html and "Spam and ads" in html
    assert "advertising; confidence 100%" in html  # the spam flag's category and confidence
    outline = json.loads(re.search(r'<script id="outline-data" type="application/json">(.*?)</script>', html).group(1))
    assert [node["title"][:len(task)] for node, task in zip(outline, TASKS, strict=True)] == TASKS
    # Reading a document records only that the draft was started (what was uploaded, by whom).
    assert list(AuditRecord.objects.order_by("-id").values_list("action", "content_type__model")[:1]) == [("create", "draft")]
    assert AuditRecord.objects.count() == before + 1

    # Without JavaScript the form carries no outline: the one kept with the draft is used.
    response = planner.post(reverse("intake:review", args=[draft.token]), plan_form(draft, world))
    plan = Plan.objects.latest("pk")
    assert response.status_code == 302 and response.url == reverse("plans:detail", args=[plan.pk])
    assert plan.status == Plan.Status.DRAFT and plan.issuer.code == "MOE" and plan.title == "2024年全市教育重点任务"
    items = list(plan.items.order_by("position"))
    assert len(items) == 7 and {item.parent_id for item in items} == {None}  # ONE sibling group
    assert [item.kind for item in items] == ["key_task"] * 7
    assert all(item.title.startswith(task) for item, task in zip(items, TASKS, strict=True))
    assert plan.source.clean_text.startswith("2024年全市教育工作会议召开") and not plan.source.filename
    assert {"emoji", "pinyin", "spam", "boilerplate"} <= {entry["kind"] for entry in plan.source.removed}
    assert not Draft.objects.filter(pk=draft.pk).exists()
    records = AuditRecord.objects.order_by("pk")[before + 1:]  # after the draft was started
    assert {r.source for r in records} == {"web"} and len({r.batch_id for r in records}) == 1
    assert sorted(r.content_type.model for r in records).count("planitem") == 7

    detail = planner.get(response.url).content.decode()
    assert all(task in detail for task in TASKS)


def test_it_answers_htmx_with_a_client_redirect(planner) -> None:
    response = paste(planner, fixture_text(REPORT), **HTMX)
    assert response.status_code == 200 and response.headers["HX-Redirect"].startswith("/intake/")
    assert draft_of(response).status == Draft.Status.DONE


def test_it_applies_renames_demotions_drops_and_merges(planner, world, draft) -> None:
    one, two, three, four, five, six, seven = (
        {"id": i, "title": title, "merged": [], "children": []} for i, title in enumerate(
            ["立德树人", "高等教育", "基础教育", "职业教育", "教育数字化", "对外开放", "教师队伍"], start=1))
    two["children"] = [three]                     # 三要 demoted under 二要
    four["merged"] = [five["id"]]                 # 五要 merged into 四要
    outline = [one, two, four, six]               # 七要 dropped
    response = planner.post(reverse("intake:review", args=[draft.token]),
                            plan_form(draft, world, outline=json.dumps(outline, ensure_ascii=False)))
    assert response.status_code == 302
    plan = Plan.objects.latest("pk")
    top = list(plan.items.filter(parent=None).order_by("position"))
    assert [item.title for item in top] == ["立德树人", "高等教育", "职业教育", "对外开放"]
    assert [item.kind for item in top] == ["key_task"] * 4
    child = plan.items.get(parent=top[1])
    assert child.title == "基础教育" and child.kind == "measure"
    assert "深化校企合作办学" in top[2].description and "建设全市智慧教育平台" in top[2].description
    assert not plan.items.filter(title__contains="教师").exists() and plan.items.count() == 5


def test_it_keeps_outline_edits_sent_while_editing(planner, world, draft) -> None:
    url = reverse("intake:outline", args=[draft.token])
    outline = [{"id": 1, "title": "改过的标题", "merged": [], "children": []}]
    response = planner.post(url, {"outline": json.dumps(outline, ensure_ascii=False)})
    assert response.status_code == 200 and response.json() == {"items": 1}
    assert Draft.objects.get(pk=draft.pk).outline == outline
    # The review page shows the kept outline, and the form without an outline uses it.
    assert "改过的标题" in planner.get(reverse("intake:review", args=[draft.token])).content.decode()
    planner.post(reverse("intake:review", args=[draft.token]), plan_form(draft, world))
    assert [item.title for item in Plan.objects.latest("pk").items.all()] == ["改过的标题"]


@pytest.mark.parametrize(("posted", "message"), [
    ("{not json", "not valid JSON"),
    ('{"id": 1}', "must be a list"),
    ('[{"id": 99, "title": "x"}]', "not in the document"),
    ('[{"id": 1, "title": "x"}, {"id": 1, "title": "y"}]', "uses item 1 twice"),
    ('[{"id": 1, "title": "  "}]', "needs a title"),
    ('[{"id": 1, "title": "' + "长" * 501 + '"}]', "longer than 500"),
    ('[{"id": 1, "title": "x", "text": "injected"}]', "needs an id and a title, and nothing else"),
    ('[{"id": true, "title": "x"}]', "not in the document"),
    ('[{"id": 1, "title": "x", "children": {"id": 2}}]', "must be a list"),
])
def test_it_refuses_a_bad_outline_with_a_clear_message(planner, world, draft, posted: str, message: str) -> None:
    kept = Draft.objects.get(pk=draft.pk).outline
    before = created()
    response = planner.post(reverse("intake:review", args=[draft.token]), plan_form(draft, world, outline=posted))
    assert response.status_code == 400 and message in response.content.decode()
    response = planner.post(reverse("intake:outline", args=[draft.token]), {"outline": posted})
    assert response.status_code == 400 and message in response.json()["error"]
    assert created() == before and Draft.objects.get(pk=draft.pk).outline == kept


def test_it_re_shows_the_form_with_the_edited_outline_when_the_plan_fields_are_wrong(planner, world, draft) -> None:
    outline = [{"id": 2, "title": "只留高等教育", "merged": [], "children": []}]
    data = plan_form(draft, world, outline=json.dumps(outline, ensure_ascii=False), start_year=2026, end_year=2024)
    before = created()
    response = planner.post(reverse("intake:review", args=[draft.token]), data)
    assert response.status_code == 200 and "The end year is before the start year." in response.content.decode()
    assert "只留高等教育" in response.content.decode() and created() == before
    assert Draft.objects.get(pk=draft.pk).outline == outline


def test_it_offers_only_the_units_where_the_user_may_create_plans(login) -> None:
    client = login("beijing_planner")
    draft = draft_of(paste(client, fixture_text(REPORT)))
    html = client.get(reverse("intake:review", args=[draft.token])).content.decode()
    assert "北京市教育委员会 (110000)" in html and "(MOE)" not in html and "(310000)" not in html


def test_it_lists_the_users_unfinished_documents(planner, login, draft) -> None:
    link = f'<a href="{reverse("intake:review", args=[draft.token])}">2024年全市教育工作会议召开 部署全年七项重点任务</a>'
    assert link in planner.get(reverse("intake:start")).content.decode()
    assert str(draft.token) not in login("shanghai_planner").get(reverse("intake:start")).content.decode()


def test_it_discards_a_draft(planner, draft) -> None:
    response = planner.post(reverse("intake:discard", args=[draft.token]))
    assert response.status_code == 302 and not Draft.objects.filter(pk=draft.pk).exists()


def test_it_forgets_drafts_after_a_day(planner, draft) -> None:
    Draft.objects.filter(pk=draft.pk).update(created_at=timezone.now() - timedelta(hours=services.DRAFT_HOURS, minutes=1))
    assert planner.get(reverse("intake:review", args=[draft.token])).status_code == 404
    paste(planner, fixture_text(REPORT))  # starting another one clears expired drafts
    assert not Draft.objects.filter(pk=draft.pk).exists()


# Refused and unreadable input -------------------------------------------------------------------

def test_it_shows_the_refusal_reason_for_spam_and_creates_nothing(planner) -> None:
    before = created()
    response = paste(planner, fixture_text("spam_only.txt"))
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="refusal"' in html
    assert "refused: 97% of the text is spam or advertising" in html and "Nothing was created." in html
    assert Draft.objects.count() == 0 and created() == before


def test_it_shows_the_one_line_error_for_an_unreadable_file(planner) -> None:
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = planner.post(reverse("intake:start"), {"file": upload}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="file-error"' in html and "scan.pdf: " in html
    assert "<html" not in html  # htmx gets the form back, not the page
    assert Draft.objects.count() == 0


@pytest.mark.parametrize(("name", "content", "message"), [
    ("notes.doc", b"old word", "Only .txt, .html, .htm, .docx and .pdf files can be read."),
    ("photo.png", b"\x89PNG", "Only .txt, .html, .htm, .docx and .pdf files can be read."),
    ("big.txt", "一" * 400_000, "larger than 1 MB"),
])
def test_it_checks_the_type_and_size_of_uploads(planner, settings, name: str, content, message: str) -> None:
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    data = content.encode("utf-8") if isinstance(content, str) else content
    response = planner.post(reverse("intake:start"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 200 and message in response.content.decode()
    assert Draft.objects.count() == 0


def test_it_wants_a_file_or_text_but_not_both(planner) -> None:
    assert "Upload a file or paste the text" in planner.post(reverse("intake:start"), {"text": ""}).content.decode()
    both = {"text": "一、总体要求", "file": SimpleUploadedFile("a.txt", "一、总体要求".encode())}
    assert "not both" in planner.post(reverse("intake:start"), both).content.decode()


def test_it_reads_an_uploaded_file_in_traditional_script_into_simplified(planner) -> None:
    upload = SimpleUploadedFile("教師.txt", fixture_bytes("traditional_mixed.txt"))
    response = planner.post(reverse("intake:start"), {"file": upload, "to_simplified": "on"})
    draft = draft_of(response)
    assert draft.filename == "教師.txt" and draft.parsed["title"] == "关于进一步加强中小学教师队伍建设的实施意见"


# Large documents: the worker --------------------------------------------------------------------

def test_it_reads_a_large_document_in_the_worker_and_shows_progress(planner, world, settings, monkeypatch,
                                                                    django_capture_on_commit_callbacks) -> None:
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", 100)
    upload = SimpleUploadedFile("report.txt", fixture_bytes(REPORT))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = planner.post(reverse("intake:start"), {"file": upload})
    draft = draft_of(response)
    assert draft.status == Draft.Status.QUEUED and bytes(draft.data) == fixture_bytes(REPORT) and len(callbacks) == 1

    page = planner.get(reverse("intake:review", args=[draft.token])).content.decode()
    assert 'data-testid="intake-progress"' in page and "<progress" in page
    assert 'hx-get="{}"'.format(reverse("intake:status", args=[draft.token])) in page
    partial = planner.get(reverse("intake:status", args=[draft.token]), **HTMX)
    assert partial.status_code == 200 and "Waiting for the background worker" in partial.content.decode()

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    callbacks[0]()  # enqueue: the immediate backend runs parse_draft now
    draft.refresh_from_db()
    # The upload is kept until the draft ends (to read it again in simplified script).
    assert draft.status == Draft.Status.DONE and draft.progress == 1.0 and bytes(draft.data) == fixture_bytes(REPORT)
    assert len(draft.outline) == 7 and draft.preview
    assert planner.get(reverse("intake:status", args=[draft.token]), **HTMX).headers["HX-Refresh"] == "true"
    assert "Proposed outline" in planner.get(reverse("intake:review", args=[draft.token])).content.decode()


def test_it_reports_a_document_the_worker_refused(planner, monkeypatch) -> None:
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", 10)
    draft = draft_of(paste(planner, fixture_text("spam_only.txt")))
    assert services.run(draft.pk) == "failed"
    assert services.run(draft.pk) == "skipped"  # claimed once
    page = planner.get(reverse("intake:review", args=[draft.token])).content.decode()
    assert 'data-testid="intake-failed"' in page and "refused: 97% of the text is spam" in page
    assert "Nothing was created." in page and Plan.objects.filter(source__isnull=False).count() == 0


# API --------------------------------------------------------------------------------------------

def test_the_api_parses_text_and_files_like_the_cli(api) -> None:
    out = io.StringIO()
    call_command("policy", "parse", str(FIXTURES / REPORT), "--json", stdout=out)
    expected = json.loads(out.getvalue())
    client = api("ministry_planner")
    response = client.post("/api/v1/intake/parse", {"file": SimpleUploadedFile(REPORT, fixture_bytes(REPORT))})
    assert response.status_code == 200 and response.json() == expected
    response = client.post("/api/v1/intake/parse", {"text": fixture_text(REPORT)})
    assert response.status_code == 200 and response.json()["items"] == expected["items"]


def test_the_api_refuses_spam_unreadable_input_and_non_planners(api) -> None:
    client = api("ministry_planner")
    spam = client.post("/api/v1/intake/parse", {"text": fixture_text("spam_only.txt")})
    assert spam.status_code == 422 and spam.json()["error"] == "spam" and "refused" in spam.json()["detail"]
    binary = client.post("/api/v1/intake/parse", {"file": SimpleUploadedFile("x.txt", bytes(range(256)))})
    assert binary.status_code == 422 and binary.json()["error"] == "unreadable"
    assert client.post("/api/v1/intake/parse", {}).status_code == 422
    assert api("beijing_reporter").post("/api/v1/intake/parse", {"text": "一、总体要求"}).status_code == 403
    assert api(None).post("/api/v1/intake/parse", {"text": "一、总体要求"}).status_code == 401


def test_the_api_reads_a_large_document_in_the_background(api, login) -> None:
    client = api("ministry_planner")
    text = fixture_text(REPORT) + "\n" + "各地要加快推进义务教育优质均衡发展，确保各项任务落到实处。\n" * 1500
    assert len(text.encode()) > services.INLINE_MAX_BYTES
    response = client.post("/api/v1/intake/parse", {"text": text})
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "queued" and job["status_url"] == f"/api/v1/intake/jobs/{job['job']}"
    draft = Draft.objects.get(token=job["job"])
    assert services.run(draft.pk) == "done"
    done = client.get(job["status_url"]).json()
    assert done["status"] == "done" and done["progress"] == 1.0
    assert done["result"]["items"] and done["result"]["clean_text"].count("\n") > 1500
    assert "澳门" not in done["result"]["clean_text"]
    # Nobody else sees the job.
    assert api("beijing_admin").get(job["status_url"]).status_code == 404


def test_the_api_reports_a_refused_background_job(api, monkeypatch) -> None:
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", 10)
    client = api("ministry_planner")
    job = client.post("/api/v1/intake/parse", {"text": fixture_text("spam_only.txt")}).json()
    services.run(Draft.objects.get(token=job["job"]).pk)
    failed = client.get(job["status_url"]).json()
    assert failed["status"] == "failed" and failed["error"] == "spam" and "refused" in failed["detail"]


def test_the_worker_stops_at_the_time_budget(planner, monkeypatch) -> None:
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", 10)
    monkeypatch.setattr(services, "TIME_BUDGET_SECONDS", -1)
    draft = draft_of(paste(planner, fixture_text(REPORT)))
    assert services.run(draft.pk) == "failed"
    draft.refresh_from_db()
    assert "reading stopped after -1 seconds" in draft.error and not draft.data
    page = planner.get(reverse("intake:review", args=[draft.token]), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "读取 -1 秒后已停止" in page


def test_a_document_with_too_much_text_is_refused_before_cleaning(monkeypatch) -> None:
    from luoshi.intake import pipeline
    from luoshi.intake.errors import TooMuchTextError

    monkeypatch.setattr(pipeline, "MAX_TEXT_CHARS", 100)
    with pytest.raises(TooMuchTextError, match="split it into parts"):
        pipeline.parse_document(fixture_text(REPORT), filename="big.txt")
