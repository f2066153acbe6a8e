"""Text of .docx (python-docx) and text-based PDF (pypdf) files."""

from __future__ import annotations

import io
import logging
import re
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .errors import BinaryInputError, EmptyInputError, UnreadableInputError

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN = "〇一二三四五六七八九"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_SENTENCE_END = "。！？；：!?;:”」』）)"
_STARTS_ITEM = re.compile(
    r"^(?:第[一二三四五六七八九十]+[章节条，,、]|[一二三四五六七八九十]+[、.．是要]|[（(][一二三四五六七八九十\d]+[）)]"
    r"|\d{1,2}[.．、）)]|[①-⑳]|首先|其次|最后)"
)
_PAGE_FOOTER = re.compile(r"^\s*[-—–]\s*\d+\s*[-—–]\s*$")


# --- docx ---------------------------------------------------------------------------


def _chinese_counting(number: int) -> str:
    if number < 10:
        return _CN[number]
    tens, units = divmod(number, 10)
    return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[units] if units else "")


def _roman(number: int) -> str:
    pairs = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
             (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, letters in pairs:
        while number >= value:
            out, number = out + letters, number - value
    return out


def format_number(number: int, fmt: str) -> str:
    """A list number in one of Word's numbering formats."""
    if fmt.startswith("chinese") or fmt in ("ideographTraditional", "taiwaneseCounting",
                                            "ideographLegalTraditional"):
        return _chinese_counting(number) if number < 100 else str(number)
    if fmt == "ideographDigital":
        return "".join(_CN[int(d)] for d in str(number))
    if fmt.startswith("decimalEnclosedCircle") and 1 <= number <= len(_CIRCLED):
        return _CIRCLED[number - 1]
    if fmt == "decimalFullWidth":
        return "".join(chr(0xFF10 + int(d)) for d in str(number))
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (number - 1) % 26)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        return _roman(number) if fmt == "upperRoman" else _roman(number).lower()
    if fmt in ("bullet", "none"):
        return ""
    return str(number)


class _Numbering:
    """Renders Word's automatic list numbers (``w:numPr``) as text."""

    def __init__(self, document: Any) -> None:
        self.levels: dict[tuple[str, int], tuple[int, str, str]] = {}
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, AttributeError, NotImplementedError):
            return
        abstract = {a.get(f"{_W}abstractNumId"): a for a in root.iter(f"{_W}abstractNum")}
        for num in root.iter(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is None or ref.get(f"{_W}val") not in abstract:
                continue
            for lvl in abstract[ref.get(f"{_W}val")].iter(f"{_W}lvl"):
                start = lvl.find(f"{_W}start")
                fmt = lvl.find(f"{_W}numFmt")
                text = lvl.find(f"{_W}lvlText")
                self.levels[(num.get(f"{_W}numId"), int(lvl.get(f"{_W}ilvl", "0")))] = (
                    int(start.get(f"{_W}val")) if start is not None else 1,
                    fmt.get(f"{_W}val") if fmt is not None else "decimal",
                    text.get(f"{_W}val") if text is not None else "",
                )

    @staticmethod
    def _numpr(paragraph: Any) -> Any:
        """The paragraph's own numbering, else its style's (List Number …)."""
        ppr = paragraph._p.pPr
        if ppr is not None and ppr.numPr is not None:
            return ppr.numPr
        style = paragraph.style
        while style is not None:
            style_ppr = style.element.pPr
            if style_ppr is not None and style_ppr.numPr is not None:
                return style_ppr.numPr
            style = style.base_style
        return None

    def label(self, paragraph: Any) -> str:
        if not self.levels:
            return ""
        numpr = self._numpr(paragraph)
        if numpr is None or numpr.numId is None:
            return ""
        num_id = str(numpr.numId.val)
        level = int(numpr.ilvl.val) if numpr.ilvl is not None else 0
        if (num_id, level) not in self.levels:
            return ""
        counters = self.counters.setdefault(num_id, [0] * 9)
        counters[level] += 1
        for deeper in range(level + 1, 9):
            counters[deeper] = 0
        text = self.levels[(num_id, level)][2]
        for index in range(level + 1):
            start, fmt, _ = self.levels.get((num_id, index), (1, "decimal", ""))
            number = max(counters[index], 1) + start - 1
            text = text.replace(f"%{index + 1}", format_number(number, fmt))
        return text


def docx_text(data: bytes, filename: str) -> str:
    from luoshi.core.tabular import zip_too_large

    if reason := zip_too_large(data):
        raise UnreadableInputError(filename, f"not read: {reason}")
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds on broken files
        raise UnreadableInputError(filename, f"not a readable .docx file ({type(exc).__name__})") from exc
    numbering = _Numbering(document)
    lines: list[str] = []
    for element in document.element.body.iterchildren():
        if element.tag == f"{_W}p":
            paragraph = Paragraph(element, document)
            lines.append(numbering.label(paragraph) + paragraph.text)
        elif element.tag == f"{_W}tbl":
            for row in Table(element, document).rows:
                cells = [cell.text.strip() for cell in row.cells]
                lines.append(" ".join(dict.fromkeys(c for c in cells if c)))
    return "\n".join(lines)


# --- pdf -----------------------------------------------------------------------------


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Keep a library's warnings about damaged files off the console (we raise instead)."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def pdf_text(data: bytes, filename: str) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        with _quiet("pypdf"):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise UnreadableInputError(filename, "the PDF is encrypted")
            pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableInputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise BinaryInputError(filename, f"not a readable PDF ({exc.__class__.__name__})") from exc
    if not any(page.strip() for page in pages):
        raise EmptyInputError(filename, "the PDF has no text layer (a scan?); run OCR first")
    return reflow("\n".join(pages))


def reflow(text: str) -> str:
    """Join lines that a PDF broke at the page width back into paragraphs."""
    lines = [line.rstrip() for line in text.split("\n")]
    lengths = [len(line) for line in lines if len(line) >= 10]
    if len(lengths) < 3:
        return text
    full = statistics.quantiles(lengths, n=10)[-1]
    out: list[str] = []
    joining = False
    for line in lines:
        stripped = line.strip()
        if joining and stripped and not _STARTS_ITEM.match(stripped) and out:
            out[-1] += stripped
        else:
            out.append(stripped)
        joining = (
            len(stripped) >= 0.85 * full
            and stripped[-1:] not in _SENTENCE_END
            and not _PAGE_FOOTER.match(stripped)
        )
    return "\n".join(out)
