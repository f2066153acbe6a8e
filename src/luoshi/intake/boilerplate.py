"""Line-level site chrome: breadcrumbs, share bars, editor and page-meta lines,
navigation, footers, page numbers, comment sections.

Every rule looks at the *simplified key* of a line (OpenCC's single-character
table, lower case), so traditional copies are caught by the same rules.
Some rules only apply in the page margins: the lines before the first and
after the last body paragraph (running text: at least 15 Han characters and a
sentence mark, or at least 40 and a comma). See docs/intake.md for the rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import lexicon
from .charsets import simplified_key, to_simplified
from .dates import find_dates

HAN_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U000323af]")
_FIFTEEN_HAN = re.compile(r"(?:[^\u3400-\u9fff\uf900-\ufaff]*[\u3400-\u9fff\uf900-\ufaff]){15}")
_FORTY_HAN = re.compile(r"(?:[^\u3400-\u9fff\uf900-\ufaff]*[\u3400-\u9fff\uf900-\ufaff]){40}")
_BODY_PUNCT = re.compile(r"[。！？；]")
_CLAUSE_PUNCT = re.compile(r"[，,、]")
_CRUMB_HINT = re.compile(r"[>＞»›/／]|位置")
# Every page-meta line has a colon, a digit (dates, counts) or a byline mark.
_META_HINT = re.compile(r"[:：\d/丨|]")
_CHROME_HINT = re.compile(r"[>＞»›|｜/©]|版权|icp|位置|\d{4}-\d{1,2}-\d{1,2}")

_BREADCRUMB_START = re.compile(r"^(?:您?(?:现在|当前)?的?(?:所在)?位置|当前位置|所在位置)\s*[:：]")
_ARROW_SPLIT = re.compile(r"\s*(?:>>|[>＞»›])\s*")
_SLASH_SPLIT = re.compile(r"\s+[/／]\s+")
_SLASH_CUES = re.compile(r"首页|正文|频道|栏目|新闻|网$")
_TOKEN_SPLIT = re.compile(r"[\s|｜/\\【】\[\]()（）·•:：>＞»,，、_]+")
_FILLER_TOKEN = re.compile(r"^(?:\d+|第\d+版|第\d+页|共\d+页|[-—–]+|a[+-]?|\+)$")
_EDITOR = re.compile(
    r"^[\[【(（]?\s*(?:责任编辑|责编|值班编辑|网络编辑|编辑|审核|审校|校对|终审|初审|复审|编审|纠错)\s*[:：]"
)
_EDITOR_TAIL = re.compile(
    r"[\[【(（]\s*(?:责任编辑|责编|编辑|审核|校对)\s*[:：][^\]】)）]{1,20}[\]】)）]\s*$"
)
_BYLINE = re.compile(r"^(?:作者|记者|通讯员|撰稿|摄影|供稿|文|图|来源)\s*[:：/丨|]")
_NEWSPAPER = re.compile(r"^第\s*\d+\s*版\s*[:：]")
_PAGER = re.compile(r"^[\[【]?(?:上一篇|下一篇|上一条|下一条|上一页|下一页|相关阅读|相关新闻|相关文章|推荐阅读|延伸阅读)[\]】]?\s*[:：]")
_PAGE_NUMBER = re.compile(
    r"^(?:[-—－–]+\s*\d{1,4}\s*[-—－–]+|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?"
    r"|共\s*\d+\s*页|\d{1,4}\s*/\s*\d{1,4}|page\s+\d+(?:\s+of\s+\d+)?)$",
    re.IGNORECASE,
)
_CONTINUATION = re.compile(
    r"[(（]\s*(?:下转|上接|转|接|紧接|转自|见)第?\s*[0-9一二三四五六七八九十]+\s*版"
    r"(?:第?\s*[0-9一二三四五六七八九十]+\s*栏)?\s*[)）]"
)
_COPYRIGHT = re.compile(r"版权所有|copyright|©|icp备|icp证|公网安备|网站标识码|违法和不良信息举报")
_FOOTER_ONLY = re.compile(r"^(?:主办单位|承办单位|主办|承办|技术支持|运维单位|网站维护)\s*[:：]")
_IMAGE_PLACEHOLDER = re.compile(r"^[\[【(（]?\s*(?:图片|图|视频|点击播放|视频加载中\.*|点击图片查看大图)\s*[\]】)）]?$")
_URL_ONLY = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_SENTENCE_PUNCT = re.compile(r"[。，,；;！!？?]")
_TIME = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)

STRONG_LABELS = (
    "浏览次数|浏览量|浏览数|阅读量|阅读数|阅读次数|点击量|点击数|点击率|点击次数|访问量|"
    "访问次数|发布人|发布者|责任编辑|责编|发布日期|发布时间|信息来源|文章来源|稿件来源|"
    "更新时间|录入时间|发稿时间"
)
WEAK_LABELS = "日期|时间|资料来源|来源|作者|编辑|阅读|浏览|点击|人气|出处|稿源|字号"
_STRONG_LABEL = re.compile(f"(?:{STRONG_LABELS})\\s*[:：]?")
_WEAK_LABEL = re.compile(f"(?:^|(?<=[\\s|｜】\\]]))(?:{WEAK_LABELS})\\s*[:：]")
_SIZE_WIDGET = re.compile(r"[【\[]?\s*[大中小]\s*[】\]]?")
_META_REMAINDER_MAX = 16
_META_FILLER = re.compile(r"[\d\s|｜:：,，/\\\-—_【】\[\]()（）]+")
_SOURCE_VALUE = re.compile(r"(?:来源|信息来源|文章来源|稿件来源|稿源|出处)\s*[:：]\s*([^\s|｜,，;；]{1,30})")
_DATELINE_SOURCE = re.compile(
    r"\d{1,2}:\d{2}(?::\d{2})?\s+([^\s\d|｜:：]{2,15}?(?:网|报|社|部|厅|局|委|台|日报|政府|中心))(?=\s|$)"
)
_DATE_LABEL = re.compile(r"(?:日期|发布日期|发布时间|时间|更新时间|发稿时间)\s*[:：]\s*$")

_COMMENT_MARKER = re.compile(
    "|".join((
        r"^.{1,24}\s+回复\s+\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2})?$",
        r"^用户\d*[x*]{2,}\d*$",
        r"^#?\d+楼",
        r"^.{1,20}\s+\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}$",
        r"^.{1,20}\s+\d+\s*(?:分钟|小时|天)前$",
    ))
)
_COMMENT_HEADER = re.compile(
    r"^(?:发表评论|网友评论|全部评论|热门评论|最新评论|评论区|我要评论|相关评论|评论\s*\(\d+\)|\d+\s*条评论)"
)


@dataclass(slots=True)
class MetaHint:
    """A date or source value read from a page-meta line."""

    field: str  # "date" or "source"
    value: str
    priority: int
    problem: str | None = None


@dataclass(slots=True)
class LinePlan:
    """What happens to one line: dropped (``kind``) or kept with cuts."""

    kind: str | None = None
    cuts: list[tuple[int, int, str]] = field(default_factory=list)
    reason: str = ""
    confidence: float | None = None


_ASCII_LOWER = str.maketrans({c: c + 32 for c in range(0x41, 0x5B)})


def key_of(line: str) -> str:
    """Simplified, ASCII-lower-cased form of ``line``; same length, same offsets."""
    return simplified_key(line).translate(_ASCII_LOWER)


def keys_of(lines: list[str]) -> list[str]:
    """``key_of`` for many lines at once, through one OpenCC pass (fast; phrase aware, so a few
    phrases differ from ``key_of``'s character table: 乾隆 stays 乾隆).

    Each key keeps its line's length and offsets: every entry of OpenCC's ``t2s`` dictionaries
    (characters and phrases) is as long as its key and none holds a line break
    (``test_opencc_keeps_the_length_of_every_line``). Lines that hold a line break themselves (or
    no lines) do not split back one for one: then each line is keyed alone, as ``key_of``.
    """
    # ASCII letters only, as key_of: str.lower() could change a length ("İ") or lower other scripts.
    parts = to_simplified("\n".join(lines)).translate(_ASCII_LOWER).split("\n")
    if len(parts) != len(lines):
        return [key_of(line) for line in lines]
    return parts


def han_count(text: str) -> int:
    return len(HAN_CHAR.findall(text))


def is_body(line: str) -> bool:
    """A paragraph of running text (navigation bars have no punctuation)."""
    if len(line) < 15 or not _FIFTEEN_HAN.match(line):
        return False
    if _BODY_PUNCT.search(line):
        return True
    return bool(_CLAUSE_PUNCT.search(line)) and bool(_FORTY_HAN.match(line))


def _only_boiler_tokens(key: str) -> bool:
    tokens = [t for t in _TOKEN_SPLIT.split(key) if t]
    if not tokens:
        return False
    vocabulary = lexicon.boilerplate_tokens()
    named = [t for t in tokens if t in vocabulary]
    return bool(named) and all(t in vocabulary or _FILLER_TOKEN.match(t) for t in tokens)


def is_breadcrumb(key: str) -> bool:
    if not _CRUMB_HINT.search(key):
        return False
    if _BREADCRUMB_START.match(key):
        return True
    parts = _ARROW_SPLIT.split(key)
    if len(parts) >= 3 and all(1 <= len(p) <= 30 for p in parts[:-1]) and len(parts[-1]) <= 80:
        return True
    slashes = _SLASH_SPLIT.split(key)
    return (
        len(slashes) >= 3
        and all(1 <= len(p) <= 15 for p in slashes)
        and any(_SLASH_CUES.search(p) for p in slashes)
    )


def is_navigation(key: str) -> bool:
    """Navigation bars and archive lists."""
    if key.count("|") < 5 and _SENTENCE_PUNCT.search(key):
        return False
    tokens = key.split()
    if (
        len(tokens) >= 8
        and not _SENTENCE_PUNCT.search(key)
        and sum(map(len, tokens)) / len(tokens) <= 6
        and any(t in lexicon.boilerplate_tokens() for t in _TOKEN_SPLIT.split(key))
    ):
        return True
    if len(key) >= 20 and han_count(key) < 0.2 * len(key):
        dates = sum(1 for _ in find_dates(key))
        return dates >= 3 or key.count("|") >= 5
    return False


def has_chrome_hint(key: str) -> bool:
    """Characters without which a paragraph of running text is never chrome."""
    return bool(_CHROME_HINT.search(key))


def boilerplate_kind(key: str, in_margin: bool) -> str | None:
    """The kind of boilerplate a line is (given by its ``key_of``), or None."""
    if len(key) <= 200:
        if (
            is_breadcrumb(key)
            or _only_boiler_tokens(key)
            or _NEWSPAPER.match(key)
            or (_PAGER.match(key) and len(key) <= 80)
            or _PAGE_NUMBER.match(key)
            or _IMAGE_PLACEHOLDER.match(key)
            or (_EDITOR.match(key) and len(key) <= 60)
            or (_COPYRIGHT.search(key) and len(key) <= 150 and "。" not in key)
            or (in_margin and _FOOTER_ONLY.match(key) and len(key) <= 80)
            or (in_margin and _URL_ONLY.match(key))
        ):
            return "boilerplate"
    if is_navigation(key):
        return "boilerplate"
    return None


# --- page meta -----------------------------------------------------------------


def _meta_remainder(key: str, allow_weak: bool) -> tuple[int, str]:
    """(number of labels found, what is left after removing meta fields)."""
    labels = len(_STRONG_LABEL.findall(key))
    rest = _STRONG_LABEL.sub(" ", key)
    if allow_weak:
        labels += len(_WEAK_LABEL.findall(rest))
        rest = _WEAK_LABEL.sub(" ", rest)
    for date in sorted(find_dates(rest), key=lambda d: -d.start):
        rest = rest[: date.start] + " " + rest[date.end :]
    rest = _URL.sub(" ", rest)
    rest = _TIME.sub(" ", rest)
    rest = _SIZE_WIDGET.sub(" ", rest)
    rest = _META_FILLER.sub("", rest)
    return labels, rest


def is_page_meta(key: str, in_margin: bool) -> bool:
    if len(key) > 120 or not _META_HINT.search(key) or is_body(key):
        return False
    labels, rest = _meta_remainder(key, allow_weak=in_margin)
    if len(rest) > _META_REMAINDER_MAX:
        return False
    if labels:
        return True
    if in_margin and (_BYLINE.match(key) and len(key) <= 40):
        return True
    has_date = any(d.iso or d.problem for d in find_dates(key))
    return in_margin and has_date and bool(_TIME.search(key) or _URL.search(key))


def head_is_meta(head: str) -> bool:
    """Whether what precedes a meta tail is meta too (a date, an outlet name)."""
    labels, rest = _meta_remainder(head, allow_weak=True)
    if len(rest) <= 6 or (labels and len(rest) <= _META_REMAINDER_MAX):
        return True
    has_date = any(True for _ in find_dates(head)) or bool(_TIME.search(head))
    return has_date and len(rest) <= _META_REMAINDER_MAX


def meta_tail_start(key: str) -> int | None:
    """Start of a page-meta tail glued to a heading (``…发布日期:2025-04-22``)."""
    match = _STRONG_LABEL.search(key)
    if match is None or match.start() < 4:
        return None
    labels, rest = _meta_remainder(key[match.start() :], allow_weak=True)
    if labels and len(rest) <= _META_REMAINDER_MAX:
        return match.start()
    return None


def meta_hints(line: str) -> list[MetaHint]:
    """Dates and sources stated in a page-meta line."""
    key = simplified_key(line)
    hints: list[MetaHint] = []
    for date in find_dates(line):
        labelled = bool(_DATE_LABEL.search(key[: date.start]))
        hints.append(MetaHint("date", date.iso or date.text, 1 if labelled else 2, date.problem))
    for match in _SOURCE_VALUE.finditer(key):
        hints.append(MetaHint("source", line[match.start(1) : match.end(1)], 1))
    for match in _DATELINE_SOURCE.finditer(key):
        hints.append(MetaHint("source", line[match.start(1) : match.end(1)], 2))
    return hints


# --- comments --------------------------------------------------------------------


def is_comment_marker(key: str) -> bool:
    """A reader comment's header line (``用户14xxx47``, ``某某 回复 01-21 08:23`` …)."""
    return len(key) <= 60 and bool(_COMMENT_MARKER.match(key))


def comment_block(lines: list[str], keys: list[str], taken: set[int]) -> list[int]:
    """Indices of the lines of a reader-comment section (empty if none).

    The section starts at the first comment marker (``用户14xxx47``, a name
    followed by ``回复 01-21 08:23``, a header such as 网友评论) and needs two
    markers or a header. It takes in the short, unpunctuated lines just above
    the first marker and runs to the end of the page or the next long line.
    Lines already classified (``taken``) are left to their class.
    """
    markers = [i for i, key in enumerate(keys)
               if i not in taken and len(key) < 60 and _COMMENT_MARKER.match(key)]
    headers = [i for i, key in enumerate(keys)
               if i not in taken and len(key) < 60 and _COMMENT_HEADER.match(key)]
    if len(markers) < 2 and not headers:
        return []
    first = min(markers + headers)
    start = first
    while start > 0 and (start - 1) not in taken and _comment_like(lines[start - 1]):
        start -= 1
    end = first
    while end < len(lines) and len(lines[end]) < 150:
        end += 1
    return [i for i in range(start, end) if lines[i] and i not in taken]


def _comment_like(line: str) -> bool:
    stripped = line.strip()
    if not stripped:
        return True
    return len(stripped) < 50 and stripped[-1] not in "。；：:;" and not is_body(stripped)


def continuation_spans(line: str) -> list[tuple[int, int, str]]:
    """Inline page-continuation notes such as ``(下转三版)``."""
    return [(m.start(), m.end(), "boilerplate") for m in _CONTINUATION.finditer(line)]


def editor_tail_spans(line: str, key: str) -> list[tuple[int, int, str]]:
    match = _EDITOR_TAIL.search(key)
    return [(match.start(), len(line), "boilerplate")] if match else []
