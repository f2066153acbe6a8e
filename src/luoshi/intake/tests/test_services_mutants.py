"""What the survivors of the mutation run of ``intake/services.py`` showed untested (issue 13):
pasted text that is not valid Unicode, the audit records' actors, and the drafts' ``updated_at``.
Each test asserts what a user sees or relies on."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import translation

from luoshi.audit.models import AuditRecord
from luoshi.intake import services
from luoshi.intake.errors import IntakeError
from luoshi.intake.models import Draft

from .conftest import fixture_text
from .test_services import english, planner  # noqa: F401  (fixtures: English messages, the planner)

pytestmark = pytest.mark.django_db

REPORT = fixture_text("city_conference_noisy.txt")


def _records(action: str):
    return AuditRecord.objects.filter(content_type__model="draft", action=action)


# Pasted text with a lone surrogate ----------------------------------------------------------------

@pytest.mark.parametrize("limit", [None, 10], ids=["read-now", "for-the-worker"])
def test_pasted_text_with_a_lone_surrogate_gets_a_clear_error_and_nothing_is_stored(planner, monkeypatch, limit):
    if limit is not None:
        monkeypatch.setattr(services, "INLINE_MAX_BYTES", limit)
    broken = "一、加强学校安全管理\ud83d。\n" + REPORT
    with pytest.raises(IntakeError) as refused:
        services.start(planner, data=broken)
    assert str(refused.value) == ("<input>: the text holds a lone surrogate (U+D83D) at character 11, which is not "
                                  "a character; copy the text again from its source")
    assert not Draft.objects.exists() and not _records("create").exists()


def test_a_lone_surrogate_is_named_with_the_file_and_where_it_is(planner):
    with pytest.raises(IntakeError) as refused:
        services.start(planner, data="\udfff" + REPORT, filename="粘贴.txt")
    assert str(refused.value).startswith("粘贴.txt: the text holds a lone surrogate (U+DFFF) at character 1,")


def test_the_lone_surrogate_refusal_reads_in_chinese_on_the_page(planner):
    from luoshi.intake import display

    with pytest.raises(IntakeError) as refused:
        services.start(planner, data="\udfff" + REPORT, filename="粘贴.txt")
    with translation.override("zh-hans"):
        shown = display.error(str(refused.value), "粘贴.txt")
    assert shown == "粘贴.txt: 文本中含有一个孤立的代理码位（U+DFFF，位于第 1 个字符处），它不是有效字符；请从原处重新复制文本"


# The worker ---------------------------------------------------------------------------------------

def _queued(planner, monkeypatch, data=REPORT, **kwargs) -> Draft:
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", 10)
    return services.start(planner, data=data, **kwargs)


class _Clock:
    """``time.monotonic`` for the worker: the start, then ``offset`` later, then every reading
    ``step`` further."""

    def __init__(self, step: float = 0.0, offset: float = 0.0) -> None:
        self.step, self.offset, self.readings = step, offset, 0

    def __call__(self) -> float:
        self.readings += 1
        if self.readings == 1:
            return 1000.0
        return 1000.0 + self.offset + self.step * (self.readings - 2)


def _set_clock(monkeypatch, clock: _Clock) -> None:
    """The worker's clock only (the reading's own timings keep the real one)."""
    monkeypatch.setattr(services, "time", SimpleNamespace(monotonic=clock))


def _watch_the_reading(monkeypatch, draft: Draft):
    """Replace ``services.read`` by the real one, noting the row as the reading starts and how
    many progress reports it made and how many of them were written."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seen: dict = {"reports": 0}
    real_read = services.read

    def read(data, filename, to_simplified, progress):
        row = Draft.objects.get(pk=draft.pk)
        seen["at_start"] = (row.status, row.stage, row.progress)

        def counted(stage, fraction):
            seen["reports"] += 1
            progress(stage, fraction)

        with CaptureQueriesContext(connection) as queries:
            result = real_read(data, filename, to_simplified, counted)
        seen["writes"] = sum(1 for q in queries.captured_queries
                             if q["sql"].startswith("UPDATE") and "intake_draft" in q["sql"])
        return result

    monkeypatch.setattr(services, "read", read)
    return seen


def test_the_worker_claims_only_its_draft_and_shows_it_being_read_from_the_start(planner, monkeypatch):
    queued, other = _queued(planner, monkeypatch), _queued(planner, monkeypatch)
    seen = _watch_the_reading(monkeypatch, queued)
    assert services.run(queued.pk) == "done"
    assert seen["at_start"] == (Draft.Status.RUNNING, "read", 0.0)
    assert Draft.objects.get(pk=other.pk).status == Draft.Status.QUEUED
    assert services.run(other.pk) == "done"


def test_progress_is_written_at_most_every_progress_interval(planner, monkeypatch):
    queued = _queued(planner, monkeypatch)
    _set_clock(monkeypatch, _Clock())   # the reading takes no time
    seen = _watch_the_reading(monkeypatch, queued)
    assert services.run(queued.pk) == "done"
    assert seen["reports"] > 3 and seen["writes"] == 1                    # the first report only


def test_progress_is_written_again_once_the_interval_has_passed(planner, monkeypatch):
    queued = _queued(planner, monkeypatch)
    _set_clock(monkeypatch, _Clock(step=services.PROGRESS_EVERY))
    seen = _watch_the_reading(monkeypatch, queued)
    assert services.run(queued.pk) == "done"
    assert seen["reports"] > 3 and seen["writes"] == seen["reports"]


def test_a_reading_that_takes_exactly_the_time_budget_is_finished(planner, monkeypatch):
    queued = _queued(planner, monkeypatch)
    _set_clock(monkeypatch, _Clock(offset=services.TIME_BUDGET_SECONDS))
    assert services.run(queued.pk) == "done"


def test_a_reading_past_the_time_budget_fails_naming_the_file(planner, monkeypatch):
    name = "年度工作要点.txt"
    queued = _queued(planner, monkeypatch, data=REPORT.encode("utf-8"), filename=name)
    _set_clock(monkeypatch, _Clock(offset=services.TIME_BUDGET_SECONDS + 0.001))
    assert services.run(queued.pk) == "failed"
    failed = Draft.objects.get(pk=queued.pk)
    assert failed.error == (f"{name}: reading stopped after {services.TIME_BUDGET_SECONDS} seconds: the document "
                            "is too large to read here; split it into parts")


def test_a_long_reading_error_is_kept_cut_to_its_column(planner, monkeypatch):
    queued = _queued(planner, monkeypatch)

    def refuse(*args, **kwargs):
        raise IntakeError("长文件.txt", "问题" * 400)

    monkeypatch.setattr(services, "read", refuse)
    assert services.run(queued.pk) == "failed"
    failed = Draft.objects.get(pk=queued.pk)
    assert failed.error == ("长文件.txt: " + "问题" * 400)[:500] and len(failed.error) == 500


# Converting a large draft ----------------------------------------------------------------------------

def test_a_large_draft_to_convert_is_handed_to_the_worker_and_marked_as_changed(
        planner, monkeypatch, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    upload = services.start(planner, data=REPORT.encode("utf-8"), filename="report.txt")
    before = Draft.objects.get(pk=upload.pk).updated_at
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", 10)
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.convert(planner, upload)
    assert queued.status == Draft.Status.QUEUED and queued.updated_at > before
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("parse_draft") and task.args_kwargs["args"] == [upload.pk]


# Starting and editing ---------------------------------------------------------------------------------

def test_a_document_for_the_worker_records_who_started_it(planner, monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        queued = _queued(planner, monkeypatch, data=REPORT.encode("utf-8"), filename="要点.txt")
    record = _records("create").get(object_id=str(queued.pk))
    assert (record.actor, record.actor_username, record.before) == (planner, planner.username, None)
    assert record.after == {"filename": "要点.txt", "size": len(REPORT.encode("utf-8")), "pasted": False}


def test_saving_an_edited_outline_marks_the_draft_as_changed(planner):
    draft = services.start(planner, data=REPORT)
    before = Draft.objects.get(pk=draft.pk).updated_at
    services.save_outline(planner, draft, [{"id": 1, "title": "改过的标题", "merged": [], "children": []}])
    assert Draft.objects.get(pk=draft.pk).updated_at > before


def test_the_preview_of_an_upload_shows_the_page_as_read_by_its_file_name(planner):
    """A page named .html is read as a page even when its content hardly looks like one: the
    preview shows its text, not its markup."""
    import json

    page = "<b>一、健全校园安全责任体系。</b>\n二、加强安全教育，落实管理责任。\n".encode("utf-8")
    draft = services.start(planner, data=page, filename="notice.html")
    shown = json.dumps(Draft.objects.get(pk=draft.pk).preview, ensure_ascii=False)
    assert "健全校园安全责任体系" in shown and "<b>" not in shown


# Creating the plan -----------------------------------------------------------------------------------------

def test_the_plan_keeps_the_years_given_and_the_name_of_the_uploaded_file(world, planner):
    draft = services.start(planner, data=REPORT.encode("utf-8"), filename="年度要点.txt")
    plan = services.create_plan(planner, draft, title="三年行动", issuer=world.unit("MOE"), start_year=2024,
                                end_year=2026)
    assert (plan.start_year, plan.end_year) == (2024, 2026)
    assert plan.source.filename == "年度要点.txt"


def test_a_document_without_a_title_gives_a_draft_without_one(planner):
    draft = services.start(planner, data="一、加强校园安全管理。\n二、落实各方责任。\n")
    assert Draft.objects.get(pk=draft.pk).title == ""


def test_the_preview_of_a_document_read_in_simplified_script_shows_the_simplified_text_and_the_removals(planner):
    text = "關於加強校園安全管理的通知😀\n一、健全校園安全責任體系。\n二、加強安全教育。\n"
    draft = services.start(planner, data=text, to_simplified=True)
    preview = Draft.objects.get(pk=draft.pk).preview
    assert preview, "a converted document keeps its preview"
    shown = "".join(segment[1] for segment in preview)
    assert "关于加强校园安全管理的通知" in shown and "健全校园安全责任体系" in shown
    assert ["emoji", "😀"] in [list(segment[:2]) for segment in preview]
