"""The one check every uploaded file passes before it is stored (report evidence, pilot evidence,
solution attachments): a known extension, a size within ``MAX_UPLOAD_BYTES``, and leading bytes that
match the extension. Errors name the file and are keyed to the form's ``file`` field."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

OFFICE_ZIP = b"PK\x03\x04"
MAGIC = {".pdf": b"%PDF", ".docx": OFFICE_ZIP, ".xlsx": OFFICE_ZIP, ".pptx": OFFICE_ZIP, ".png": b"\x89PNG",
         ".jpg": b"\xff\xd8", ".jpeg": b"\xff\xd8"}


def check_upload(upload, types: dict[str, str]) -> tuple[str, str]:
    """Return the upload's stored name and content type, or raise ``ValidationError`` naming the file.

    ``types`` maps the accepted extensions to the content type stored with the file.
    """
    name = os.path.basename(upload.name or "")[:200]
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in types:
        raise ValidationError({"file": _("%(name)s: only %(types)s files are accepted.")
                               % {"name": name, "types": ", ".join(sorted(types))}})
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _("%(name)s is larger than %(mb)s MB.")
                               % {"name": name, "mb": settings.MAX_UPLOAD_BYTES // 1048576}})
    head = upload.read(8)
    upload.seek(0)
    magic = MAGIC.get(suffix)
    if (magic and not head.startswith(magic)) or (suffix == ".txt" and b"\x00" in head):
        raise ValidationError({"file": _("%(name)s does not look like a %(suffix)s file.")
                               % {"name": name, "suffix": suffix}})
    return name, types[suffix]
