"""A planner uploads a large .docx: the page answers at once with a progress display, the
background worker reads the document, and the page turns into the review when it is done.

Runs in Chromium (Playwright) against ``live_server``; the worker is the real one
(django-tasks-db's ``db_worker``), started in a thread once the upload has been answered (its
signal handlers, which only the main thread may install, are left out).
"""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection

from playwright.sync_api import Error as PlaywrightError

from luoshi.core.testing.browser import log_in
from luoshi.core.testing.skips import requires_chromium
from luoshi.intake import services
from luoshi.intake.models import Draft

from .conftest import big_docx

pytestmark = [requires_chromium(), pytest.mark.django_db(transaction=True)]


def _run_worker() -> None:
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finally:
        connection.close()


def test_a_large_upload_shows_progress_and_is_read_in_the_background(world, live_server, page, shots, monkeypatch):
    from django_tasks_db.management.commands import db_worker

    # The worker runs in a thread of the test, where signal handlers cannot be installed.
    monkeypatch.setattr(db_worker.Worker, "configure_signals", lambda self: None)
    base = live_server.url
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base, "ministry_planner", "/intake/")

    data = big_docx(20_000)
    assert len(data) > services.INLINE_MAX_BYTES
    page.set_input_files("#id_file", files=[{
        "name": "大文件.docx", "buffer": data,
        "mimeType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}])
    started = time.monotonic()
    page.click("#document-form button[type=submit]")
    page.wait_for_url(re.compile(r"/intake/[0-9a-f-]{36}/$"))
    answered = time.monotonic() - started

    # The upload is answered at once: the progress display, polled by htmx, while the worker has not run.
    progress = page.locator("[data-testid=intake-progress]")
    progress.wait_for()
    assert progress.locator("progress").count() == 1
    assert progress.locator("progress").get_attribute("value") == "0"
    assert answered < 10, answered
    draft = Draft.objects.get()
    assert draft.status == Draft.Status.QUEUED and draft.filename == "大文件.docx"
    page.screenshot(path=str(shots / "intake-large-queued.png"), full_page=True)

    worker = threading.Thread(target=_run_worker, daemon=True)
    worker.start()
    seen: set[str] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not page.locator("[data-outline-editor]").count():
        try:  # one atomic look: the page may reload between two
            value = page.evaluate("() => document.querySelector('[data-testid=intake-progress] progress')?.value")
        except PlaywrightError:
            value = None  # the page was reloading
        if value is not None:
            seen.add(str(value))
        page.wait_for_timeout(200)
    worker.join(timeout=120)

    # When the worker is done the page reloads into the review of the whole document.
    page.locator("[data-testid=clean-text]").wait_for()
    draft.refresh_from_db()
    assert draft.status == Draft.Status.DONE and draft.parsed["clean_text"].count("\n") == 19_999
    # Values the bar showed while polling (0 while queued, then the stages): informative only, a
    # fast worker may finish between two looks.
    assert seen <= {str(v) for v in range(101)}
    page.screenshot(path=str(shots / "intake-large-done.png"))
    assert errors == []
