"""Text of .docx (streamed XML, lxml) and text-based PDF (pypdf) files."""

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


_BODY = f"{_W}body"
_P, _TBL, _TR, _TC = f"{_W}p", f"{_W}tbl", f"{_W}tr", f"{_W}tc"
_VAL = f"{_W}val"
# Run content that python-docx renders as text, in document order.
_TEXT_TAGS = {f"{_W}t": None, f"{_W}tab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n",
              f"{_W}noBreakHyphen": "-", f"{_W}ptab": "\t"}
# Inside these the text is not the document's (deleted revisions, field codes, fallbacks).
_SKIP_INSIDE = {f"{_W}del", f"{_W}instrText", f"{_W}delText",
                "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"}


def _numpr(ppr: Any) -> tuple[str | None, int | None] | None:
    """(numId, ilvl) of a ``w:pPr``'s ``w:numPr``, or None when it has none."""
    if ppr is None:
        return None
    numpr = ppr.find(f"{_W}numPr")
    if numpr is None:
        return None
    num_id = numpr.find(f"{_W}numId")
    ilvl = numpr.find(f"{_W}ilvl")
    return (num_id.get(_VAL) if num_id is not None else None,
            int(ilvl.get(_VAL, "0")) if ilvl is not None else None)


class _Numbering:
    """Renders Word's automatic list numbers (``w:numPr``) as text.

    ``numbering.xml`` and ``styles.xml`` are read once; a paragraph's numbering is its own
    ``w:numPr``, else its style's (following ``w:basedOn``), else the default paragraph style's.
    """

    def __init__(self, numbering: bytes | None, styles: bytes | None) -> None:
        from lxml import etree

        self.levels: dict[tuple[str, int], tuple[int, str, str]] = {}
        self.counters: dict[str, list[int]] = {}
        self.style_numpr: dict[str, tuple[str | None, int | None] | None] = {}
        self.default_style: str | None = None
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        if styles:
            self._read_styles(etree.fromstring(styles, parser))
        if not numbering:
            return
        root = etree.fromstring(numbering, parser)
        abstract = {a.get(f"{_W}abstractNumId"): a for a in root.iter(f"{_W}abstractNum")}
        for num in root.iter(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is None or ref.get(_VAL) not in abstract:
                continue
            for lvl in abstract[ref.get(_VAL)].iter(f"{_W}lvl"):
                start = lvl.find(f"{_W}start")
                fmt = lvl.find(f"{_W}numFmt")
                text = lvl.find(f"{_W}lvlText")
                self.levels[(num.get(f"{_W}numId"), int(lvl.get(f"{_W}ilvl", "0")))] = (
                    int(start.get(_VAL)) if start is not None else 1,
                    fmt.get(_VAL) if fmt is not None else "decimal",
                    text.get(_VAL) if text is not None else "",
                )

    def _read_styles(self, root: Any) -> None:
        own: dict[str, tuple[str | None, int | None] | None] = {}
        based: dict[str, str] = {}
        for style in root.iter(f"{_W}style"):
            if style.get(f"{_W}type") != "paragraph":
                continue
            style_id = style.get(f"{_W}styleId")
            own[style_id] = _numpr(style.find(f"{_W}pPr"))
            parent = style.find(f"{_W}basedOn")
            if parent is not None:
                based[style_id] = parent.get(_VAL)
            if style.get(f"{_W}default") in ("1", "true", "on"):
                self.default_style = style_id
        for style_id in own:
            seen: set[str] = set()
            current: str | None = style_id
            found = None
            while current is not None and current not in seen:
                seen.add(current)
                found = own.get(current)
                if found is not None:
                    break
                current = based.get(current)
            self.style_numpr[style_id] = found

    def label(self, ppr: Any) -> str:
        if not self.levels:
            return ""
        numpr = _numpr(ppr)
        if numpr is None:
            style = ppr.find(f"{_W}pStyle") if ppr is not None else None
            style_id = style.get(_VAL) if style is not None else self.default_style
            numpr = self.style_numpr.get(style_id) if style_id else None
        if numpr is None or numpr[0] is None:
            return ""
        num_id, level = numpr[0], numpr[1] or 0
        if (num_id, level) not in self.levels:
            return ""
        counters = self.counters.setdefault(num_id, [0] * 9)
        counters[level] += 1
        for deeper in range(level + 1, 9):
            counters[deeper] = 0
        if self.levels[(num_id, level)][1] in ("bullet", "none"):
            return ""  # a bullet (often a private-use Symbol character) is not a number
        text = self.levels[(num_id, level)][2]
        for index in range(level + 1):
            start, fmt, _ = self.levels.get((num_id, index), (1, "decimal", ""))
            number = max(counters[index], 1) + start - 1
            text = text.replace(f"%{index + 1}", format_number(number, fmt))
        return text


def _paragraph_text(paragraph: Any) -> str:
    """The text of a ``w:p`` as python-docx gives it (runs, hyperlinks, tabs, breaks)."""
    parts: list[str] = []
    for element in paragraph.iter(*_TEXT_TAGS):
        ancestor = element.getparent()
        skip = False
        while ancestor is not None and ancestor is not paragraph:
            if ancestor.tag in _SKIP_INSIDE:
                skip = True
                break
            ancestor = ancestor.getparent()
        if skip:
            continue
        fixed = _TEXT_TAGS[element.tag]
        if fixed is None:
            parts.append(element.text or "")
        elif element.tag == f"{_W}br" and element.get(f"{_W}type") not in (None, "textWrapping"):
            continue  # page and column breaks are layout, not text
        else:
            parts.append(fixed)
    return "".join(parts)


def _table_lines(table: Any) -> list[str]:
    """One line per row: the distinct non-empty cell texts, separated by a space."""
    lines = []
    for row in table.iterchildren(_TR):
        cells = []
        for cell in row.iterchildren(_TC):
            text = "\n".join(_paragraph_text(p) for p in cell.iter(_P)).strip()
            if text:
                cells.append(text)
        lines.append(" ".join(dict.fromkeys(cells)))
    return lines


def docx_text(data: bytes, filename: str) -> str:
    """The text of a .docx: body paragraphs (with their automatic list numbers) and table rows,
    in body order.

    Linear in the document's size: ``word/document.xml`` is streamed with ``iterparse`` and each
    body element is freed once read; styles and numbering are read once (python-docx looked up
    every paragraph's style through the whole styles part, which made large files quadratic)."""
    import zipfile

    from lxml import etree

    from luoshi.core.tabular import zip_too_large

    if reason := zip_too_large(data):
        raise UnreadableInputError(filename, f"not read: {reason}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())

        def part(name: str) -> bytes | None:
            return archive.read(name) if name in names else None

        numbering = _Numbering(part("word/numbering.xml"), part("word/styles.xml"))
        lines: list[str] = []
        with archive.open("word/document.xml") as stream:
            depth = 0
            for event, element in etree.iterparse(stream, events=("start", "end"), tag=(_BODY, _P, _TBL),
                                                  resolve_entities=False, no_network=True, huge_tree=True):
                if element.tag == _BODY:
                    continue
                if event == "start":
                    if element.tag == _TBL:
                        depth += 1
                    continue
                if element.tag == _TBL:
                    depth -= 1
                parent = element.getparent()
                if depth or parent is None or parent.tag != _BODY:
                    continue  # inside a table (read with it) or a content control
                if element.tag == _P:
                    lines.append(numbering.label(element.find(f"{_W}pPr")) + _paragraph_text(element))
                else:
                    lines.extend(_table_lines(element))
                element.clear()
                while element.getprevious() is not None:
                    del parent[0]
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, ValueError, OSError) as exc:
        raise UnreadableInputError(filename, f"not a readable .docx file ({type(exc).__name__})") from exc
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
