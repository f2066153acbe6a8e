"""``POST /api/v1/intake/parse``: read, clean and structure a policy document (planners, admins).

A small document (up to ``services.INLINE_MAX_BYTES``) is answered at once with the JSON of
``luoshi policy parse --json``, and nothing is stored. A larger one is read by the background
worker: the answer is ``202`` with a job token, and ``GET /api/v1/intake/jobs/{token}`` reports
its progress and, once read, the same JSON. The job is the caller's own intake draft (nobody else
sees it; it ends after a day, like any draft). To draft a plan, use the intake pages or
``luoshi policy import``.
"""

from __future__ import annotations

from django.conf import settings
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from uuid import UUID

from django.urls import reverse

from luoshi.intake import queries, services
from luoshi.intake.errors import IntakeError, SpamDocumentError
from luoshi.intake.models import Draft

router = Router(tags=["policy intake"])


@router.post("/parse", response={200: dict, 202: dict, 422: dict}, summary="Parse a policy document",
             description="Multipart form: `file` (a .txt, .html, .docx or .pdf file) or `text`; optional "
                         "`to=simplified`. A small document is answered with the JSON of `luoshi policy parse "
                         "--json`; 422 with `error` `unreadable` or `spam` (and the one-line reason in `detail`) "
                         "when the document cannot be used. A document over 64 KB is read in the background: "
                         "202 with `job` and `status_url`; poll that URL.")
def parse(request, file: UploadedFile | None = File(None), text: str | None = Form(None), to: str | None = Form(None)):
    from luoshi.intake.pipeline import parse_document

    services.require_intake(request.user)
    if to not in (None, "", "simplified"):
        return Status(422, {"detail": "to: the only conversion is 'simplified'", "error": "invalid"})
    if (file is None) == (not text):
        return Status(422, {"detail": "send either a file or text", "error": "invalid"})
    if file is not None and file.size > settings.MAX_UPLOAD_BYTES:
        return Status(422, {"detail": f"{file.name}: file is larger than {settings.MAX_UPLOAD_BYTES // 1048576} MB", "error": "unreadable"})
    data = b"".join(file.chunks()) if file is not None else text
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > services.INLINE_MAX_BYTES:
        draft = services.start(request.user, data=data, filename=file.name if file is not None else "",
                               to_simplified=to == "simplified")
        return Status(202, _job(draft))
    try:
        document = parse_document(data, filename=file.name if file is not None else "", to_simplified=to == "simplified")
    except SpamDocumentError as exc:
        return Status(422, {"detail": str(exc), "error": "spam"})
    except IntakeError as exc:
        return Status(422, {"detail": str(exc), "error": "unreadable"})
    return document.to_dict()


def _job(draft: Draft) -> dict:
    job = {"job": str(draft.token), "status": draft.status, "stage": draft.stage, "progress": round(draft.progress, 3),
           "status_url": reverse("api:intake_job", kwargs={"token": draft.token})}
    if draft.status == Draft.Status.DONE:
        job["result"] = draft.parsed
    elif draft.status == Draft.Status.FAILED:
        job["error"] = "spam" if draft.error_code == SpamDocumentError.exit_code else "unreadable"
        job["detail"] = draft.error
    return job


@router.get("/jobs/{token}", response={200: dict}, url_name="intake_job", summary="A background parse",
            description="Status of a document sent to `/parse` that is read in the background: `status` "
                        "(`queued`, `running`, `done`, `failed`), `stage`, `progress` (0-1); when done, `result` "
                        "(the JSON of `luoshi policy parse --json`); when failed, `error` and `detail`. "
                        "Only the caller who sent the document sees it (404 otherwise).")
def job(request, token: UUID):
    services.require_intake(request.user)
    return _job(queries.draft(request.user, token))
