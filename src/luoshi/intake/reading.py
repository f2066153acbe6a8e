"""Reading a file into text: plain text, HTML, .docx, text-based PDF.

* Size: files over ``MAX_INPUT_BYTES`` (20 MiB) are refused, checked with
  ``os.stat`` before anything is read (and on the length of ``bytes`` input).
* Format: recognised by magic bytes first (PDF, ZIP-based .docx), then by the
  file name and content (HTML); other binary formats (images, archives, old
  .doc, executables, data with NUL bytes) are refused with a clear error.
* Encoding: see :mod:`luoshi.intake.encoding`.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .encoding import declared_charset, decode
from .errors import BinaryInputError, EmptyInputError, FileTooLargeError, UnreadableInputError
from .html_text import html_to_text
from .model import Removal
from .office import docx_text, pdf_text

MAX_INPUT_BYTES = 20 * 1024 * 1024
_SNIFF = 65_536
_HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx", ".jsp"})
_HTML_START = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
                         re.IGNORECASE | re.DOTALL)
_HTML_TAGS = re.compile(r"<(?:p|div|span|br|table|h[1-6]|a|ul|li)\b[^>]*>", re.IGNORECASE)
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office file (.doc/.xls); save it as .docx"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "an executable"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"RIFF", "a media file"),
    (b"ID3", "an audio file"),
    (b"{\\rtf", "an RTF file; save it as .docx"),
    (b"%!PS", "a PostScript file"),
)


@dataclass(slots=True)
class ReadResult:
    """Text read from a file, before cleaning."""

    text: str
    kind: str  # "text", "html", "docx" or "pdf"
    encoding: str | None = None
    removed: list[Removal] = field(default_factory=list)
    title: str | None = None
    date: str | None = None
    source: str | None = None


def check_size(size: int, filename: str) -> None:
    if size > MAX_INPUT_BYTES:
        raise FileTooLargeError(
            filename,
            f"file is {size / 1_048_576:.1f} MiB; the limit is {MAX_INPUT_BYTES // 1_048_576} MiB",
        )


def read_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of ``path``, refusing oversized files before reading them."""
    name = str(path)
    try:
        size = os.stat(path).st_size
        check_size(size, name)
        return Path(path).read_bytes()
    except IsADirectoryError as exc:
        raise BinaryInputError(name, "is a directory") from exc
    except FileNotFoundError as exc:
        raise UnreadableInputError(name, "no such file") from exc
    except PermissionError as exc:
        raise UnreadableInputError(name, "permission denied") from exc


def read_bytes(data: bytes, filename: str = "") -> ReadResult:
    """Turn the bytes of a document into text."""
    check_size(len(data), filename)
    if not data.strip():
        raise EmptyInputError(filename, "file is empty")
    if data.startswith(b"%PDF-"):
        return ReadResult(pdf_text(data, filename), "pdf")
    if data.startswith(b"PK\x03\x04"):
        return ReadResult(_zip_text(data, filename), "docx")
    _refuse_binary(data, filename)
    text, encoding = decode(data, filename, declared_charset(data))
    if _looks_like_html(text, filename):
        page = html_to_text(text)
        return ReadResult(page.text, "html", encoding, page.removed, page.title, page.date, page.source)
    return ReadResult(text, "text", encoding)


def _zip_text(data: bytes, filename: str) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile as exc:
        raise BinaryInputError(filename, "a damaged ZIP archive") from exc
    if "word/document.xml" not in names:
        raise BinaryInputError(filename, "a ZIP archive that is not a .docx document")
    return docx_text(data, filename)


def _refuse_binary(data: bytes, filename: str) -> None:
    head = data[:_SNIFF]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise BinaryInputError(filename, f"binary file ({what}), not a text document")
    utf_wide = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not utf_wide and b"\x00" in head:
        raise BinaryInputError(filename, "binary file (contains NUL bytes), not a text document")
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13, 27))
    if not utf_wide and controls > 0.05 * len(head):
        raise BinaryInputError(filename, "binary file (control bytes), not a text document")


def _looks_like_html(text: str, filename: str) -> bool:
    if Path(filename).suffix.lower() in _HTML_SUFFIXES:
        return True
    head = text[:4096]
    return bool(_HTML_START.match(head)) or len(_HTML_TAGS.findall(head)) >= 3
