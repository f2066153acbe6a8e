"""The public entry point: bytes or text in, :class:`ParsedDocument` out."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

from . import metadata
from .charsets import to_simplified as to_simplified_script
from .cleaning import ProgressCallback, clean
from .errors import EmptyInputError, TooMuchTextError
from .model import ParsedDocument
from .reading import ReadResult, check_size, read_bytes, read_file
from .structure import parse_structure


# Above this size the cyclic garbage collector is paused while a document is
# parsed: building the result allocates hundreds of thousands of small objects,
# and repeated full collections over them cost up to a third of the run time.
# Reference counting still frees memory; the collector is re-enabled after.
GC_PAUSE_MIN_CHARS = 1_000_000
# The most text a document may hold (a .docx or PDF can unpack to far more than its file size):
# about ten seconds of cleaning on one core. Checked right after reading, before any cleaning.
MAX_TEXT_CHARS = 12_000_000


@contextmanager
def _gc_paused(size: int) -> Iterator[None]:
    pause = size >= GC_PAUSE_MIN_CHARS and gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if pause:
            gc.enable()


def parse_document(
    data: bytes | str,
    filename: str = "",
    to_simplified: bool = False,
    progress: ProgressCallback | None = None,
) -> ParsedDocument:
    """Read, clean and structure one policy document.

    ``data`` is the raw file (bytes: the format and encoding are detected) or
    already decoded text. ``to_simplified`` converts the kept text to
    simplified script with OpenCC t2s. ``progress(stage, fraction)`` is called
    as the work advances (useful for large files).

    Raises a subclass of :class:`~luoshi.intake.errors.IntakeError`:
    :class:`UnreadableInputError` subclasses for input that cannot be read, and
    :class:`SpamDocumentError` for a document that is mostly spam.
    """
    with _gc_paused(len(data)):
        return _parse(data, filename, to_simplified, progress)


def _parse(data: bytes | str, filename: str, to_simplified: bool,
           progress: ProgressCallback | None) -> ParsedDocument:
    report = progress or (lambda stage, fraction: None)
    report("read", 0.0)
    if isinstance(data, str):
        check_size(len(data.encode("utf-8", "surrogatepass")), filename)
        source = ReadResult(data, "text")
    else:
        source = read_bytes(data, filename)
    if not source.text.strip():
        raise EmptyInputError(filename, "file is empty")
    if len(source.text) > MAX_TEXT_CHARS:
        raise TooMuchTextError(filename, f"the document holds {len(source.text) / 1e6:.1f} million characters of "
                               f"text; at most {MAX_TEXT_CHARS / 1e6:.0f} million can be read: split it into parts")
    report("read", 0.05)
    cleaned = clean(source.text, filename=filename, to_simplified_script=to_simplified,
                    progress=report)
    if not cleaned.text.strip():
        raise EmptyInputError(filename, "no text left after removing noise")
    meta = metadata.extract(cleaned.text, cleaned.hints, html_title=source.title,
                            html_date=source.date, html_source=source.source)
    source_name, issuer = meta.source, meta.issuer
    if to_simplified and source_name:
        source_name = to_simplified_script(source_name)
    report("structure", 0.85)
    items = parse_structure(cleaned.text)
    report("done", 1.0)
    return ParsedDocument(
        title=meta.title,
        date=meta.date,
        source=source_name,
        doc_number=meta.doc_number,
        clean_text=cleaned.text,
        removed=source.removed + cleaned.removed,
        flags=cleaned.flags + meta.flags,
        items=items,
        issuer=issuer,
    )


def parse_path(path: str | os.PathLike[str], to_simplified: bool = False,
               progress: ProgressCallback | None = None) -> ParsedDocument:
    """:func:`parse_document` on a file, refusing oversized files before reading."""
    name = os.fspath(path)
    return parse_document(read_file(path), filename=name, to_simplified=to_simplified,
                          progress=progress)
