"""The bulletin's request and its states as the worker moves it along (issue 13, mutation testing
of ``bulletins/services.py``): the language it will be written in, the refusal of a bad period
with the text typed, the progress a poller sees, the stored PDF and its size, the failure text,
and which older PDFs are replaced."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from luoshi.audit.models import AuditRecord
from luoshi.bulletins import services
from luoshi.bulletins.models import Bulletin
from luoshi.core.context import batch

pytestmark = pytest.mark.django_db


def _request(world, period="2024", **kwargs) -> Bulletin:
    with batch("cli"):
        return services.request_bulletin(world.user("beijing_reviewer"), world.unit("110000"), period,
                                         enqueue=False, **kwargs)


def _stored(bulletin) -> Bulletin:
    return Bulletin.objects.get(pk=bulletin.pk)


def test_a_period_is_stored_by_its_key_and_a_bad_one_is_refused_quoting_it():
    assert services.clean_period(" 2024q3 ".strip()) == services.clean_period("2024-Q3")
    assert services.clean_period("2024") == "2024"
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.clean_period("someday")
    assert caught.value.message_dict == {
        "period": ["Not a period: someday. Write 2024, 2024-H2, 2024-Q3 or 2024-07."]}
    with pytest.raises(ValidationError):
        services.clean_period(None)


def test_a_request_is_queued_in_the_asked_language_or_in_chinese_and_audited(world):
    english = _request(world, language="en")
    assert (_stored(english).language, _stored(english).state, _stored(english).period) == ("en", "queued", "2024")
    assert _stored(english).requested_by == world.user("beijing_reviewer")
    assert _stored(_request(world, language="fr")).language == "zh-hans"
    assert _stored(_request(world)).language == "zh-hans"
    record = AuditRecord.objects.get(content_type__model="bulletin", object_id=str(english.pk))
    assert (record.action, record.actor_username, record.after["language"]) == ("create", "beijing_reviewer", "en")


def test_a_queued_request_gets_the_id_of_its_task(world):
    with batch("cli"):
        bulletin = services.request_bulletin(world.user("beijing_reviewer"), world.unit("110000"), "2024")
    assert bulletin.task_id and _stored(bulletin).task_id == bulletin.task_id
    assert not _request(world).task_id


def test_the_progress_shows_the_running_step_cut_to_its_column(world):
    bulletin = _request(world)
    services.set_progress(bulletin.pk, 40, "步" * 250)
    stored = _stored(bulletin)
    assert (stored.state, stored.progress, stored.step) == ("running", 40, "步" * 200)
    assert stored.updated_at > bulletin.updated_at


def test_a_finished_bulletin_holds_its_pdf_and_its_size(world):
    bulletin = _request(world)
    services.set_progress(bulletin.pk, 80, "排版")
    running = _stored(bulletin)
    services.finish(bulletin.pk, b"%PDF-finished")
    stored = _stored(bulletin)
    assert stored.updated_at > running.updated_at
    assert (stored.state, stored.progress, stored.step) == ("done", 100, "")
    assert bytes(stored.pdf) == b"%PDF-finished" and stored.size == len(b"%PDF-finished")
    assert stored.finished_at is not None and stored.updated_at > bulletin.updated_at


def test_a_failed_bulletin_keeps_the_reason_cut_to_its_column(world):
    bulletin = _request(world)
    services.fail(bulletin.pk, "错" * 2100)
    stored = _stored(bulletin)
    assert (stored.state, stored.error) == ("failed", "错" * 2000)
    assert stored.finished_at is not None and stored.updated_at > bulletin.updated_at


def test_only_the_same_units_period_and_language_are_replaced_the_newest_first(world, settings):
    settings.BULLETIN_KEEP_PDFS = 1
    first, second = _request(world), _request(world)
    english = _request(world, language="en")
    services.finish(english.pk, b"%PDF-en")
    with batch("cli"):
        district = services.request_bulletin(world.user("beijing_reviewer"), world.unit("110101"), "2024", enqueue=False)
    services.finish(district.pk, b"%PDF-district")
    services.finish(second.pk, b"%PDF-2")   # finished first, though asked for later
    finished = _stored(second).updated_at
    services.finish(first.pk, b"%PDF-1")    # the newest finished one is kept
    assert (_stored(first).state, bytes(_stored(first).pdf)) == ("done", b"%PDF-1")
    replaced = _stored(second)
    assert (replaced.state, bytes(replaced.pdf), replaced.size) == ("replaced", b"", 0)
    assert replaced.updated_at > finished
    assert (_stored(english).state, bytes(_stored(english).pdf)) == ("done", b"%PDF-en")  # another language
    assert (_stored(district).state, bytes(_stored(district).pdf)) == ("done", b"%PDF-district")  # another unit
    assert services.prune(first.pk) == 0


def test_of_two_pdfs_finished_at_the_same_moment_the_later_request_is_kept(world, settings):
    settings.BULLETIN_KEEP_PDFS = 1
    first, second = _request(world), _request(world)
    services.finish(first.pk, b"%PDF-1")
    services.finish(second.pk, b"%PDF-2")
    moment = _stored(second).finished_at
    Bulletin.objects.filter(pk__in=[first.pk, second.pk]).update(state="done", finished_at=moment)
    assert services.prune(first.pk) == 1
    assert _stored(second).state == "done" and _stored(first).state == "replaced"


def test_a_failed_or_running_bulletin_is_never_replaced(world, settings):
    settings.BULLETIN_KEEP_PDFS = 1
    failed, running, done = _request(world), _request(world), _request(world)
    services.fail(failed.pk, "no data")
    services.set_progress(running.pk, 10, "开始")
    services.finish(done.pk, b"%PDF")
    assert (_stored(failed).state, _stored(running).state, _stored(done).state) == ("failed", "running", "done")
