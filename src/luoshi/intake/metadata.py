"""Document metadata: title, date, source, document number (文号).

* **title**: the first line of the cleaned text (after a document-number or
  date line, if any) when it is short (at most 60 characters), does not end
  with punctuation and is not a marker or a bracketed label; else the HTML
  title when it occurs among the first lines.
* **date**: in order of trust, a labelled page date (发布日期, 日期, 时间 …),
  the HTML publication date, a date standing alone on a line at the end
  (signature block) or at the top, then an unlabelled date in a page-meta
  line. A damaged or ambiguous date is never guessed: the date is null and an
  ``ambiguous_date`` flag says why. Two different dates at the same level of
  trust are ambiguous too.
* **source**: the value of a 来源/信息来源/文章来源 label, else the outlet in
  a dateline (``08:31 新华网``), else the HTML source; never a value that
  looks like an ad (phone numbers, web addresses, spam terms).
* **doc_number**: a line that is only a document number (教基〔2024〕1号), else
  a document number in a short header line (no sentence punctuation) among
  the first three. Numbers cited in the body are not the document's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import spam
from .boilerplate import MetaHint
from .charsets import simplified_key
from .dates import find_dates
from .model import Flag

TITLE_MAX = 60
_HEAD_LINES = 6
_DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{1,12}\s*[〔［\[【(（]\s*(?:19|20)\d{2}\s*[〕］\]】)）]\s*\d{1,4}\s*[号號]"
)
_STANDALONE_DATE = re.compile(
    r"^\s*(?:\d{4}\s*年\s*\d{1,3}\s*月\s*\d{1,4}\s*日|[〇○零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月"
    r"[一二三四五六七八九十]{1,4}日|\d{4}-\d{1,2}-\d{1,2})\s*$"
)
_MARKER_START = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.．、]|第[一二三四五六七八九十]+[章节条])")
_TITLE_END_BAD = re.compile(r"[。，,；;：:！!？?.]$")
_SENTENCE_PUNCT = re.compile(r"[。，,；;！!？?]")
_LABEL_ONLY = re.compile(r"^[【\[].{1,20}[】\]]$")


# The signing body: a short line naming an office, just above the date at the end, or the
# "… 文件" masthead at the top. Matched on the simplified key, so traditional copies match too.
_ORG_END = re.compile(
    r"(?:部|厅|委|委员会|局|办公室|办公厅|政府|人民政府|院|司|处|中心|党组|学校|大学|学院|协会|联合会|教育体育局)$"
)
_MASTHEAD = re.compile(r"^(.{2,30}?)\s*文件$")
_ISSUER_MAX = 30
_ISSUER_BAD = re.compile(r"[。，,；;：:！!？?、]|^[一二三四五六七八九十]+[、.．]|^[（(]|^第.+[章节条]")


@dataclass(slots=True)
class Metadata:
    title: str | None
    date: str | None
    source: str | None
    doc_number: str | None
    flags: list[Flag]
    issuer: str | None = None


def extract(text: str, hints: list[MetaHint], *, html_title: str | None = None,
            html_date: str | None = None, html_source: str | None = None) -> Metadata:
    lines = [line for line in text.split("\n") if line.strip()]
    flags: list[Flag] = []
    date = _date(lines, hints, html_date, flags)
    return Metadata(_title(lines, html_title), date, _source(hints, html_source),
                    _doc_number(lines), flags, _issuer(lines))


def _is_office(line: str) -> bool:
    key = simplified_key(line.strip())
    return (2 <= len(key) <= _ISSUER_MAX and not _ISSUER_BAD.search(key) and bool(_ORG_END.search(key))
            and not _STANDALONE_DATE.match(key))


def _issuer(lines: list[str]) -> str | None:
    """The office that signs the document: above the closing date (one or two lines: joint
    issuers), else the masthead ("教育部文件")."""
    tail = lines[-4:]
    for index in range(len(tail) - 1, 0, -1):
        if _STANDALONE_DATE.match(tail[index].strip()):
            offices = []
            above = index - 1
            while above >= 0 and _is_office(tail[above]) and len(offices) < 2:
                offices.insert(0, tail[above].strip())
                above -= 1
            if offices:
                return " ".join(offices)
            break
    for line in lines[:3]:
        match = _MASTHEAD.match(simplified_key(line.strip()))
        if match and _is_office(match.group(1)):
            return line.strip()[: match.end(1)].strip()
    return None


def _title(lines: list[str], html_title: str | None) -> str | None:
    for line in lines[:3]:
        candidate = line.strip()
        if _DOC_NUMBER.fullmatch(candidate) or _STANDALONE_DATE.match(candidate):
            continue  # a number or date line above the title
        if (
            2 <= len(candidate) <= TITLE_MAX
            and not _TITLE_END_BAD.search(candidate)
            and not _MARKER_START.match(candidate)
            and not _LABEL_ONLY.match(candidate)
        ):
            return candidate
        break
    if html_title:
        for line in lines[:_HEAD_LINES]:
            if line.strip() and line.strip() in html_title:
                return line.strip()
    return None


def _date(lines: list[str], hints: list[MetaHint], html_date: str | None,
          flags: list[Flag]) -> str | None:
    levels: list[list[tuple[str | None, str, str | None]]] = [[], [], [], []]
    for hint in hints:
        if hint.field == "date":
            level = 0 if hint.priority == 1 else 3
            levels[level].append((None if hint.problem else hint.value, hint.value, hint.problem))
    if html_date:
        found = next(find_dates(html_date), None)
        if found:
            levels[1].append((found.iso, found.text, found.problem))
    tail = lines[-3:] if len(lines) > _HEAD_LINES else []
    for line in tail + lines[:_HEAD_LINES]:
        if _STANDALONE_DATE.match(line):
            found = next(find_dates(line), None)
            if found:
                levels[2].append((found.iso, found.text, found.problem))
    for candidates in levels:
        if not candidates:
            continue
        broken = [(text, problem) for iso, text, problem in candidates if iso is None]
        values = {iso for iso, _, _ in candidates if iso}
        if broken:
            text, problem = broken[0]
            flags.append(Flag("ambiguous_date", text, f"document date {problem}; date left empty"))
            return None
        if len(values) > 1:
            flags.append(Flag("ambiguous_date", ", ".join(sorted(values)),
                              "the page states different dates; date left empty"))
            return None
        return values.pop()
    return None


def _source(hints: list[MetaHint], html_source: str | None) -> str | None:
    for priority in (1, 2):
        for hint in hints:
            if hint.field == "source" and hint.priority == priority and _clean_source(hint.value):
                return hint.value.strip()
    if html_source and _clean_source(html_source):
        return html_source.strip()
    return None


def _clean_source(value: str) -> bool:
    return bool(value.strip()) and not spam.looks_like_spam(value) and not re.search(r"\d{5,}|www\.|https?:", value)


def _doc_number(lines: list[str]) -> str | None:
    for line in lines[:12]:
        match = _DOC_NUMBER.fullmatch(line.strip())
        if match:
            return _tidy_number(match.group())
    for line in lines[:3]:
        if len(line) > 40 or _SENTENCE_PUNCT.search(line):
            continue  # a sentence that cites another document
        match = _DOC_NUMBER.search(line)
        if match:
            return _tidy_number(match.group())
    return None


def _tidy_number(number: str) -> str:
    return re.sub(r"\s+", "", number)
