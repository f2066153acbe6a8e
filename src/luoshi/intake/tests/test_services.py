"""The intake flow's writes called directly (issue 13, mutation testing of ``intake/services.py``):
who may start, read, edit, convert, create from and discard a draft, with the refusal each other
user gets; what a draft keeps and what its start and end record; the worker's progress, failures
and the drafts' expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from luoshi.audit.models import AuditRecord
from luoshi.intake import services
from luoshi.intake.errors import SpamDocumentError
from luoshi.intake.models import Draft
from luoshi.plans.models import Plan

from .conftest import fixture_text

pytestmark = pytest.mark.django_db

REPORT = fixture_text("city_conference_noisy.txt")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def planner(world):
    return world.user("ministry_planner")


@pytest.fixture
def draft(planner) -> Draft:
    return services.start(planner, data=REPORT)


def _records(draft: Draft, action: str):
    return AuditRecord.objects.filter(content_type__model="draft", object_id=str(draft.pk), action=action)


def _queued(planner, monkeypatch, data=REPORT, **kwargs) -> Draft:
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", 10)
    return services.start(planner, data=data, **kwargs)


# Who may ---------------------------------------------------------------------------------------

def test_only_planners_and_administrators_start_a_draft(world):
    with pytest.raises(PermissionDenied) as refused:
        services.start(world.user("beijing_reporter"), data=REPORT)
    assert str(refused.value) == "Only planners and administrators can draft plans from policy documents."
    assert not Draft.objects.exists()
    assert services.may_use(world.user("ministry_admin")) and not services.may_use(world.user("auditor"))
    assert services.start(world.user("ministry_admin"), data=REPORT).status == Draft.Status.DONE


def test_another_users_draft_is_neither_read_edited_converted_used_nor_discarded(world, draft):
    other = world.user("shanghai_planner")
    for attempt in (lambda: services.save_outline(other, draft, "[]"),
                    lambda: services.convert(other, draft),
                    lambda: services.create_plan(other, draft, title="别人的", issuer=world.unit("310000"),
                                                 start_year=2024, end_year=2024),
                    lambda: services.discard(other, draft)):
        with pytest.raises(PermissionDenied) as refused:
            attempt()
        assert str(refused.value) == "This document belongs to another user."
    kept = Draft.objects.get(pk=draft.pk)
    assert kept.outline == draft.outline and not kept.to_simplified and not _records(draft, "delete").exists()
    assert not Plan.objects.filter(title="别人的").exists()


def test_a_user_who_lost_the_planner_role_cannot_go_on_with_their_draft(world, draft, planner):
    from luoshi.orgs.models import Membership

    Membership.objects.filter(user=planner).delete()
    planner = type(planner).objects.get(pk=planner.pk)
    with pytest.raises(PermissionDenied, match="Only planners and administrators"):
        services.save_outline(planner, draft, "[]")


def test_a_draft_not_yet_read_cannot_be_edited_converted_or_used(planner, monkeypatch):
    queued = _queued(planner, monkeypatch)
    for attempt in (lambda: services.save_outline(planner, queued, "[]"),
                    lambda: services.convert(planner, queued)):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.messages == ["The document has not been read yet."]
    assert Draft.objects.get(pk=queued.pk).status == Draft.Status.QUEUED


# Starting ---------------------------------------------------------------------------------------

def test_pasted_text_is_read_at_once_and_its_start_recorded(planner, draft):
    stored = Draft.objects.get(pk=draft.pk)
    assert (stored.status, stored.stage, stored.progress) == (Draft.Status.DONE, "done", 1.0)
    assert stored.pasted and stored.filename == "" and stored.owner == planner
    assert stored.size == len(REPORT.encode("utf-8")) and bytes(stored.data) == REPORT.encode("utf-8")
    assert stored.title == "2024年全市教育工作会议召开 部署全年七项重点任务"
    assert len(stored.outline) == 7 and stored.parsed["items"] and stored.preview
    record = _records(draft, "create").get()
    assert (record.actor, record.before) == (planner, None)
    assert record.after == {"filename": "", "size": stored.size, "pasted": True}


def test_an_upload_keeps_its_bytes_and_its_name_cut_to_the_column(planner):
    data = REPORT.encode("utf-8")
    name = "很" * 260 + ".txt"
    draft = services.start(planner, data=data, filename=name)
    stored = Draft.objects.get(pk=draft.pk)
    assert not stored.pasted and stored.filename == name[:255] and stored.size == len(data)
    assert len(stored.outline) == 7


def test_a_document_up_to_the_inline_limit_is_read_now_and_a_byte_more_goes_to_the_worker(
        planner, monkeypatch, django_capture_on_commit_callbacks):
    size = len(REPORT.encode("utf-8"))
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", size)
    assert services.start(planner, data=REPORT).status == Draft.Status.DONE
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", size - 1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = services.start(planner, data=REPORT, to_simplified=True)
    stored = Draft.objects.get(pk=queued.pk)
    assert (stored.status, stored.parsed, stored.to_simplified, stored.size) == (Draft.Status.QUEUED, None, True, size)
    assert bytes(stored.data) == REPORT.encode("utf-8") and stored.pasted
    assert len(callbacks) == 1 and _records(queued, "create").get().after["size"] == size


def test_a_spam_document_read_at_once_stores_nothing(planner):
    with pytest.raises(SpamDocumentError):
        services.start(planner, data=fixture_text("spam_only.txt"))
    assert not Draft.objects.exists() and not AuditRecord.objects.filter(content_type__model="draft").exists()


# The worker -------------------------------------------------------------------------------------

def test_the_worker_reads_pasted_text_and_notes_its_progress_capped_below_done(planner, monkeypatch):
    queued = _queued(planner, monkeypatch, to_simplified=True)
    seen = []
    real_read = services.read

    def read(data, filename, to_simplified, progress):
        assert data == REPORT and to_simplified is True
        progress("s" * 40, 2.0)
        row = Draft.objects.get(pk=queued.pk)
        seen.append((row.status, row.stage, row.progress))
        monkeypatch.setattr(services, "PROGRESS_EVERY", 10**6)
        progress("later", 0.5)          # within PROGRESS_EVERY of the last write: not written
        row = Draft.objects.get(pk=queued.pk)
        seen.append((row.stage, row.progress))
        monkeypatch.setattr(services, "PROGRESS_EVERY", 0.0)
        progress("below", -1.0)
        row = Draft.objects.get(pk=queued.pk)
        seen.append((row.stage, row.progress))
        return real_read(data, filename, to_simplified)

    monkeypatch.setattr(services, "read", read)
    assert services.run(queued.pk) == "done"
    assert seen == [(Draft.Status.RUNNING, "s" * 32, 0.95), ("s" * 32, 0.95), ("below", 0.0)]
    done = Draft.objects.get(pk=queued.pk)
    assert (done.status, done.stage, done.progress) == (Draft.Status.DONE, "done", 1.0)
    assert len(done.outline) == 7 and done.title and bytes(done.data) == REPORT.encode("utf-8")


def test_the_worker_reads_an_upload_as_bytes(planner, monkeypatch):
    queued = _queued(planner, monkeypatch, data=REPORT.encode("utf-8"), filename="report.txt")
    assert services.run(queued.pk) == "done"
    assert len(Draft.objects.get(pk=queued.pk).outline) == 7
    assert services.run(queued.pk) == "skipped"


def test_a_refused_document_fails_with_its_reason_and_code_and_drops_the_upload(planner, monkeypatch):
    queued = _queued(planner, monkeypatch, data=fixture_text("spam_only.txt"))
    assert services.run(queued.pk) == "failed"
    failed = Draft.objects.get(pk=queued.pk)
    assert failed.status == Draft.Status.FAILED and failed.error_code == SpamDocumentError.exit_code == 3
    assert "refused" in failed.error and len(failed.error) <= 500 and bytes(failed.data) == b""


def test_an_internal_error_of_the_reading_fails_the_draft_with_a_plain_message(planner, monkeypatch):
    queued = _queued(planner, monkeypatch)

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(services, "read", broken)
    _assert_run_fails_internally(queued, RuntimeError)


def _assert_run_fails_internally(queued: Draft, error: type[Exception]) -> None:
    """The worker's run raises ``error`` (for the log) and leaves the draft failed, its upload
    dropped, with a plain message."""
    with pytest.raises(error):
        services.run(queued.pk)
    failed = Draft.objects.get(pk=queued.pk)
    assert failed.status == Draft.Status.FAILED and bytes(failed.data) == b""
    assert failed.error == "The document could not be read because of an internal error."


def test_a_stored_paste_that_no_longer_decodes_fails_the_draft_instead_of_leaving_it_running(planner, monkeypatch):
    queued = _queued(planner, monkeypatch)
    Draft.objects.filter(pk=queued.pk).update(data=b"\xff\xfe not UTF-8")
    _assert_run_fails_internally(queued, UnicodeDecodeError)


# Editing, converting, creating, discarding -----------------------------------------------------

def test_an_edited_outline_is_checked_and_kept(planner, draft):
    outline = [{"id": 1, "title": "  改过的  标题 ", "merged": [2], "children": []}]
    kept = services.save_outline(planner, draft, outline)
    assert kept == [{"id": 1, "title": "改过的 标题", "merged": [2], "children": []}]
    assert Draft.objects.get(pk=draft.pk).outline == kept and draft.outline == kept
    from luoshi.intake.editing import OutlineError

    with pytest.raises(OutlineError):
        services.save_outline(planner, draft, [{"id": 99, "title": "x"}])
    assert Draft.objects.get(pk=draft.pk).outline == kept


def test_a_draft_is_converted_to_simplified_script_once(planner, monkeypatch):
    draft = services.start(planner, data="關於加強校園安全管理的通知\n一、健全校園安全責任體系。\n二、加強安全教育。\n")
    services.save_outline(planner, draft, [{"id": 1, "title": "改过", "merged": [], "children": []}])
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", draft.size)   # at the limit: read again at once
    converted = services.convert(planner, draft)
    assert converted.status == Draft.Status.DONE and converted.to_simplified and converted.parsed["title"] == "关于加强校园安全管理的通知"
    assert converted.title == "关于加强校园安全管理的通知" and converted.outline[0]["title"] != "改过"
    assert Draft.objects.get(pk=draft.pk).to_simplified
    with pytest.raises(ValidationError) as again:
        services.convert(planner, converted)
    assert again.value.messages == ["The document is already in simplified script."]


def test_a_draft_whose_upload_is_gone_cannot_be_converted(planner, draft):
    Draft.objects.filter(pk=draft.pk).update(data=b"")
    with pytest.raises(ValidationError) as refused:
        services.convert(planner, Draft.objects.get(pk=draft.pk))
    assert refused.value.messages == ["The original of this document is no longer kept; upload it again."]
    assert not Draft.objects.get(pk=draft.pk).to_simplified


def test_a_large_draft_is_converted_by_the_worker(planner, monkeypatch, django_capture_on_commit_callbacks):
    upload = services.start(planner, data=REPORT.encode("utf-8"), filename="report.txt")
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", 10)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = services.convert(planner, upload)
    assert (queued.status, queued.stage, queued.progress, queued.to_simplified) == (Draft.Status.QUEUED, "", 0.0, True)
    assert queued.parsed is None and queued.preview is None and queued.outline is None and len(callbacks) == 1
    assert services.run(queued.pk) == "done"
    assert len(Draft.objects.get(pk=queued.pk).outline) == 7


def test_a_plan_is_made_once_from_a_draft_with_its_kept_or_given_outline(world, planner, draft):
    services.save_outline(planner, draft, [{"id": 1, "title": "保存的", "merged": [], "children": []}])
    plan = services.create_plan(planner, Draft.objects.get(pk=draft.pk), title="来自文件的规划",
                                issuer=world.unit("MOE"), start_year=2024, end_year=2024)
    assert [i.title for i in plan.items.all()] == ["保存的"] and plan.source.filename == ""
    assert not Draft.objects.filter(pk=draft.pk).exists()
    with pytest.raises(ValidationError) as twice:
        services.create_plan(planner, draft, title="再来一次", issuer=world.unit("MOE"), start_year=2024, end_year=2024)
    assert twice.value.messages == ["A plan has already been created from this document."]
    assert not Plan.objects.filter(title="再来一次").exists()

    other = services.start(planner, data=REPORT)
    given = [{"id": 2, "title": "给定的", "merged": [], "children": []}]
    plan = services.create_plan(planner, other, title="给定大纲", issuer=world.unit("MOE"), start_year=2024,
                                end_year=2024, outline=given)
    assert [i.title for i in plan.items.all()] == ["给定的"]


def test_a_discarded_draft_is_gone_and_its_end_recorded(planner, draft):
    services.discard(planner, draft)
    assert not Draft.objects.filter(pk=draft.pk).exists()
    record = _records(draft, "delete").get()
    assert record.actor == planner and record.after is None
    assert record.before == {"filename": "", "size": draft.size, "pasted": True}


def test_drafts_are_kept_for_a_day(planner, draft):
    young = services.start(planner, data=REPORT)
    Draft.objects.filter(pk=young.pk).update(created_at=timezone.now() - timedelta(hours=services.DRAFT_HOURS - 1))
    Draft.objects.filter(pk=draft.pk).update(created_at=timezone.now() - timedelta(hours=services.DRAFT_HOURS, minutes=1))
    assert services.purge_expired() == 1
    assert Draft.objects.filter(pk=young.pk).exists() and not Draft.objects.filter(pk=draft.pk).exists()
    assert _records(draft, "delete").get().actor_username == "system"
    assert services.purge_expired() == 0



def test_an_uploaded_page_is_read_again_as_a_page_when_converted(planner):
    page = ("<html><head><title>關於加強校園安全管理的通知</title></head><body><h1>關於加強校園安全管理的通知</h1>"
            "<p>一、健全校園安全責任體系。</p><p>二、加強安全教育。</p></body></html>").encode("utf-8")
    draft = services.start(planner, data=page, filename="notice.html")
    before = Draft.objects.get(pk=draft.pk).updated_at
    converted = services.convert(planner, draft)
    assert converted.parsed["title"] == "关于加强校园安全管理的通知"
    assert "<p>" not in converted.parsed["clean_text"] and "健全校园安全责任体系" in converted.parsed["clean_text"]
    assert converted.updated_at > before
