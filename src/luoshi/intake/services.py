"""The intake flow's writes: start a draft, read it (now or in the worker), edit its outline,
turn it into a draft plan, discard it.

Who may: planners and admins (``authz.has_any_role``); the plan's issuing unit is checked again
by ``plans.services.create_plan_from_outline``. A :class:`~luoshi.intake.models.Draft` is the
user's private scratch space (see ``models.py``), so its own writes are not audited; the
SourceDocument, plan and items created from it are, by the plans services.

Only very small documents (up to ``INLINE_MAX_BYTES``, a few hundredths of a second) are read in
the request. Everything larger is read by ``luoshi worker`` (``tasks.parse_draft``), which
reports its progress on the draft row: parsing is CPU-bound and would hold a web worker (and,
through the GIL, its other threads) for seconds. The worker gives a document at most
``TIME_BUDGET_SECONDS``; the reading refuses documents with more text than it can clean in that
time (``pipeline.MAX_TEXT_CHARS``) before it starts, with a message saying so.

The draft keeps the uploaded bytes until it ends, so the page can read the document again
converted to simplified script (``convert``).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.core import authz
from luoshi.intake import editing
from luoshi.intake.errors import IntakeError, TimeBudgetError, UndecodableError
from luoshi.intake.models import Draft

INLINE_MAX_BYTES = 64 * 1024       # larger documents go to the worker
TIME_BUDGET_SECONDS = 120          # the worker stops reading a document after this long
DRAFT_HOURS = 24                   # drafts are deleted this long after they were started
PROGRESS_EVERY = 0.5               # seconds between progress writes from the worker


def may_use(user) -> bool:
    return authz.has_any_role(user, authz.PLANNER, authz.ADMIN)


def require_intake(user) -> None:
    if not may_use(user):
        raise PermissionDenied(_("Only planners and administrators can draft plans from policy documents."))


def expiry_cutoff():
    return timezone.now() - timedelta(hours=DRAFT_HOURS)


def purge_expired() -> int:
    """Delete the drafts past their day; each end is audited (by the system), as a discard is."""
    with transaction.atomic():
        expired = list(Draft.objects.filter(created_at__lt=expiry_cutoff()).defer("data", "parsed", "preview", "outline"))
        for draft in expired:
            _audit(None, "delete", draft)
        Draft.objects.filter(pk__in=[d.pk for d in expired]).delete()
    return len(expired)


def read(data: bytes | str, filename: str = "", to_simplified: bool = False, progress=None) -> dict[str, Any]:
    """Parse a document into the fields a done draft keeps (raises ``IntakeError``)."""
    # Imported here: the parser's tables and HTML/PDF readers are loaded on first use, not at start-up.
    from luoshi.intake import highlight
    from luoshi.intake.pipeline import parse_document
    from luoshi.intake.reading import read_bytes

    document = parse_document(data, filename=filename, to_simplified=to_simplified, progress=progress)
    parsed = document.to_dict()
    original = data if isinstance(data, str) else read_bytes(data, filename).text
    preview = highlight.segments(original, parsed["clean_text"], parsed["removed"], converted=to_simplified)
    return {"parsed": parsed, "preview": preview, "outline": editing.proposed(parsed["items"]),
            "title": (parsed.get("title") or "")[:500]}


def start(actor, *, data: bytes | str, filename: str = "", to_simplified: bool = False) -> Draft:
    """A new draft from an upload (bytes) or pasted text (str).

    Up to ``INLINE_MAX_BYTES`` the document is read now: an unreadable or spam document raises
    ``IntakeError`` and nothing is stored. A larger one is stored and queued for the worker.
    Pasted text must be valid Unicode: text holding a lone surrogate (half of a UTF-16 pair, which
    a form or an API client can pass on) is refused at once, whatever its size, so a stored paste
    is always valid UTF-8.
    """
    require_intake(actor)
    purge_expired()
    pasted = isinstance(data, str)
    raw = _encoded(data, filename) if pasted else data
    common = {"owner": actor, "filename": filename[:255], "pasted": pasted, "to_simplified": to_simplified, "size": len(raw)}
    if len(raw) <= INLINE_MAX_BYTES:
        result = read(data, filename, to_simplified)
        with transaction.atomic():
            draft = Draft.objects.create(status=Draft.Status.DONE, stage="done", progress=1.0, data=raw,
                                         **common, **result)
            _audit(actor, "create", draft)
        return draft
    with transaction.atomic():
        draft = Draft.objects.create(status=Draft.Status.QUEUED, data=raw, **common)
        _audit(actor, "create", draft)
        transaction.on_commit(lambda: _enqueue(draft.pk))
    return draft


def _encoded(text: str, filename: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UndecodableError(filename, f"the text holds a lone surrogate (U+{ord(text[exc.start]):04X}) at "
                               f"character {exc.start + 1}, which is not a character; copy the text again "
                               "from its source") from exc


def _audit(actor, action: str, draft: Draft) -> None:
    """Drafts are the user's scratch space: their start and end are audited (what was uploaded),
    not each autosave of the outline being edited."""
    facts = {"filename": draft.filename, "size": draft.size, "pasted": draft.pasted}
    before, after = (None, facts) if action == "create" else (facts, None)
    audit.record(actor, action, draft, before, after)


def _enqueue(draft_id: int) -> None:
    from luoshi.intake.tasks import parse_draft

    parse_draft.enqueue(draft_id)


def run(draft_id: int) -> str:
    """Read a queued draft (the worker's job). Claimed with a conditional update, so one worker
    reads it once; progress is written at most every ``PROGRESS_EVERY`` seconds."""
    claimed = Draft.objects.filter(pk=draft_id, status=Draft.Status.QUEUED).update(
        status=Draft.Status.RUNNING, stage="read", progress=0.0)
    if not claimed:
        return "skipped"
    draft = Draft.objects.get(pk=draft_id)
    last = 0.0
    started = time.monotonic()

    def progress(stage: str, fraction: float) -> None:
        nonlocal last
        now = time.monotonic()
        if now - started > TIME_BUDGET_SECONDS:
            raise TimeBudgetError(draft.filename, f"reading stopped after {TIME_BUDGET_SECONDS} seconds: the "
                                  "document is too large to read here; split it into parts")
        if now - last >= PROGRESS_EVERY:
            last = now
            Draft.objects.filter(pk=draft_id).update(stage=stage[:32], progress=min(max(fraction, 0.0), 1.0) * 0.95)

    try:  # decoding included: a claimed draft always ends done or failed, never stays running
        data: bytes | str = bytes(draft.data)
        if draft.pasted:
            data = data.decode("utf-8")
        result = read(data, draft.filename, draft.to_simplified, progress)
    except IntakeError as exc:
        Draft.objects.filter(pk=draft_id).update(status=Draft.Status.FAILED, error=str(exc)[:500],
                                                 error_code=exc.exit_code, data=b"")
        return "failed"
    except Exception:
        Draft.objects.filter(pk=draft_id).update(status=Draft.Status.FAILED, data=b"",
                                                 error=_("The document could not be read because of an internal error."))
        raise
    Draft.objects.filter(pk=draft_id).update(status=Draft.Status.DONE, stage="done", progress=1.0, **result)
    return "done"


def convert(actor, draft: Draft) -> Draft:
    """Read the draft's document again, converted to simplified script (the review page's button).
    The outline edited so far is replaced by the new proposal."""
    _require_ready(actor, draft)
    if draft.to_simplified:
        raise ValidationError(_("The document is already in simplified script."))
    if not draft.data:
        raise ValidationError(_("The original of this document is no longer kept; upload it again."))
    data: bytes | str = bytes(draft.data)
    if draft.pasted:
        data = data.decode("utf-8")
    if draft.size <= INLINE_MAX_BYTES:
        result = read(data, draft.filename, True)
        Draft.objects.filter(pk=draft.pk).update(to_simplified=True, updated_at=timezone.now(), **result)
    else:
        with transaction.atomic():
            Draft.objects.filter(pk=draft.pk).update(
                to_simplified=True, status=Draft.Status.QUEUED, stage="", progress=0.0, parsed=None, preview=None,
                outline=None, updated_at=timezone.now())
            transaction.on_commit(lambda: _enqueue(draft.pk))
    draft.refresh_from_db()
    return draft


def _known(draft: Draft) -> dict[int, dict[str, Any]]:
    return editing.originals((draft.parsed or {}).get("items", []))


def _require_ready(actor, draft: Draft) -> None:
    require_intake(actor)
    if draft.owner_id != actor.pk:
        raise PermissionDenied(_("This document belongs to another user."))
    if draft.status != Draft.Status.DONE:
        raise ValidationError(_("The document has not been read yet."))


def save_outline(actor, draft: Draft, posted: str | list) -> list[dict[str, Any]]:
    """Check an edited outline (``editing.OutlineError`` if bad) and keep it with the draft."""
    _require_ready(actor, draft)
    outline = editing.validate(posted, _known(draft))
    Draft.objects.filter(pk=draft.pk).update(outline=outline, updated_at=timezone.now())
    draft.outline = outline
    return outline


def create_plan(actor, draft: Draft, *, title: str, issuer, start_year: int, end_year: int,
                outline: str | list | None = None):
    """The draft plan: the (edited) outline's nodes become items through
    ``plans.services.create_plan_from_outline``, which also keeps the SourceDocument with the
    clean text and the removal report. The draft is deleted in the same transaction."""
    from luoshi.plans import services as plan_services

    _require_ready(actor, draft)
    known = _known(draft)
    checked = editing.validate((draft.outline or []) if outline is None else outline, known)
    parsed = {**draft.parsed, "items": editing.to_items(checked, known)}
    with transaction.atomic():
        # One plan per draft, also when the form is sent twice at once: the second waits here,
        # then finds the draft gone.
        if not Draft.objects.select_for_update().filter(pk=draft.pk).exists():
            raise ValidationError(_("A plan has already been created from this document."))
        plan = plan_services.create_plan_from_outline(
            actor, title=title, issuer=issuer, parsed=parsed, filename=draft.filename,
            start_year=start_year, end_year=end_year)
        Draft.objects.filter(pk=draft.pk).delete()
    return plan


def discard(actor, draft: Draft) -> None:
    if draft.owner_id != actor.pk:
        raise PermissionDenied(_("This document belongs to another user."))
    with transaction.atomic():
        _audit(actor, "delete", draft)
        Draft.objects.filter(pk=draft.pk).delete()
