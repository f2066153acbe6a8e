"""``POST /api/v1/intake/parse``: read, clean and structure a policy document (planners, admins).

The answer is the JSON of ``luoshi policy parse --json``. Nothing is stored: to draft a plan,
use the intake pages or ``luoshi policy import``.
"""

from __future__ import annotations

from django.conf import settings
from ninja import File, Form, Router
from ninja.files import UploadedFile

from luoshi.intake import services
from luoshi.intake.errors import IntakeError, SpamDocumentError

router = Router(tags=["policy intake"])


@router.post("/parse", response={200: dict, 422: dict}, summary="Parse a policy document",
             description="Multipart form: `file` (a .txt, .html, .docx or .pdf file) or `text`; optional "
                         "`to=simplified`. Answers the JSON of `luoshi policy parse --json`; 422 with `error` "
                         "`unreadable` or `spam` (and the one-line reason in `detail`) when the document cannot be used.")
def parse(request, file: UploadedFile | None = File(None), text: str | None = Form(None), to: str | None = Form(None)):
    from luoshi.intake.pipeline import parse_document

    services.require_intake(request.user)
    if to not in (None, "", "simplified"):
        return 422, {"detail": "to: the only conversion is 'simplified'", "error": "invalid"}
    if (file is None) == (not text):
        return 422, {"detail": "send either a file or text", "error": "invalid"}
    if file is not None and file.size > settings.MAX_UPLOAD_BYTES:
        return 422, {"detail": f"{file.name}: file is larger than {settings.MAX_UPLOAD_BYTES // 1048576} MB", "error": "unreadable"}
    data = b"".join(file.chunks()) if file is not None else text
    try:
        document = parse_document(data, filename=file.name if file is not None else "", to_simplified=to == "simplified")
    except SpamDocumentError as exc:
        return 422, {"detail": str(exc), "error": "spam"}
    except IntakeError as exc:
        return 422, {"detail": str(exc), "error": "unreadable"}
    return document.to_dict()
