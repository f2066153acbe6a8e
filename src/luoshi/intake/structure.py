"""Enumerations in policy text, at any depth, as a tree of items.

Recognised marker styles (each a *style*; full- and half-width forms of the
same style are one style):

=========  ===========================  ======================================
style      examples                     where it may stand
=========  ===========================  ======================================
chapter    第一章                        line start
section    第一节                        line start
article    第一条                        line start
cn_dun     一、 一．                     line start, or after 。；：！？
cn_paren   （一） (一)                   line start, or after any punctuation
ar_dot     1. 1． ⒈                      line start, or after 。；：！？
ar_dun     1、                           line start, or after 。；：！？
ar_paren   （1） (1) ⑴                   line start, or after any punctuation
ar_rparen  1） 1)                        line start
ar_space   "1 标题"                      line start
circled    ① ②                          anywhere
di         第一， 第一、 第一：          line start, or after any punctuation
shi        一是 二是                     line start, or after any punctuation
yao        一要 二要                     line start, or after any punctuation
seq        首先 其次 再次 最后           line start, or after any punctuation
=========  ===========================  ======================================

Rules (see docs/intake.md):

* A run only counts when its markers are consecutive (一, 二, 三 …). A marker
  that does not continue the run of its style, and does not start a new one
  with 1, is text. Because a marker must follow a line start or punctuation,
  words that merely contain the characters (统一要求, 之一是, 进一步) never
  start items.
* Nesting follows the order in which styles appear: a style seen for the
  first time opens a level below the current item; a style already open
  continues its level (closing everything deeper).
* ``shi``/``yao``/``di``/``seq``/``circled`` items, and any run that starts
  inside a paragraph, end with their paragraph; other items run until the
  next marker at their level or above.
* A run of a single item is kept only for the headline styles (一、 （一）
  第一章 第一节 第一条) starting at 1 on their own line.
* When a node holds several separate groups (e.g. three attributes, seven
  tasks, four requirements), each group is wrapped in a *passage* node whose
  marker is ``""``, whose text is the paragraph that introduces the group and
  whose title is that paragraph's last sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import Item
from .numerals import arabic_number, cn_number, enclosed_number

_N = "[一二三四五六七八九十]{1,3}"
_A = "(?<![0-9０-９])[0-9０-９]{1,2}"
_HAN = "\u3400-\u9fff\uf900-\ufaff"
_MARKER = re.compile(
    "|".join(
        (
            f"(?P<chapter>第(?P<chapter_n>{_N})章)(?=[\\s{_HAN}])",
            f"(?P<section>第(?P<section_n>{_N})节)(?=[\\s{_HAN}])",
            f"(?P<article>第(?P<article_n>{_N})条)(?=[\\s{_HAN}])",
            f"(?P<di>第(?P<di_n>{_N})[，,、：:])",
            f"(?P<cn_paren>[（(](?P<cn_paren_n>{_N})[）)])",
            f"(?P<ar_paren>[（(](?P<ar_paren_n>{_A})[）)]|(?P<ar_paren_e>[⑴-⒇]))",
            "(?P<circled>[①-⑳㉑-㉟㊱-㊿])",
            f"(?P<cn_dun>(?P<cn_dun_n>{_N})[、．.])(?![0-9０-９])",
            f"(?P<ar_dun>(?P<ar_dun_n>{_A})、)(?![0-9０-９])",
            f"(?P<ar_dot>(?P<ar_dot_n>{_A})[.．](?![0-9０-９.．])|(?P<ar_dot_e>[⒈-⒛]))",
            f"(?P<ar_rparen>(?P<ar_rparen_n>{_A})[）)])",
            f"(?P<ar_space>(?P<ar_space_n>{_A})[ \u3000]+)(?=[{_HAN}])",
            f"(?P<shi>(?P<shi_n>{_N})是)(?=[^一二三四五六七八九十\\s，,。])",
            f"(?P<yao>(?P<yao_n>{_N})要)(?=[^一二三四五六七八九十\\s，,。])",
            "(?P<seq>(?P<seq_w>首先|其次|再次|最后|最後)[，,、：:]?)",
        )
    )
)
# Where a marker can start: the line start, after punctuation, or a circled
# number anywhere. Checking these few places is much faster than trying the
# whole pattern at every character.
_SENTENCE_PUNCT = frozenset("。；;：:！？!?")
_ANY_PUNCT = frozenset("。；;：:！？!?，,、“”‘’\"'（(【[《 \u3000—…")
_TRIGGER = re.compile(
    f"(?:^|(?<=[{re.escape(''.join(sorted(_ANY_PUNCT)))}]))"
    "(?=[第（(0-9０-９一二三四五六七八九十首其再最⑴-⒇⒈-⒛])|[①-⑳㉑-㉟㊱-㊿]"
)
STYLES = ("chapter", "section", "article", "di", "cn_paren", "ar_paren", "circled",
          "cn_dun", "ar_dun", "ar_dot", "ar_rparen", "ar_space", "shi", "yao", "seq")
_STYLE_SET = frozenset(STYLES)
_ENCLOSED_VARIANTS = frozenset({"ar_paren", "ar_dot"})
_LINE_START_ONLY = frozenset({"chapter", "section", "article", "ar_rparen", "ar_space"})
_AFTER_SENTENCE = frozenset({"cn_dun", "ar_dun", "ar_dot"})
_ANYWHERE = frozenset({"circled"})
_PARAGRAPH_SCOPED = frozenset({"di", "shi", "yao", "seq", "circled"})
_SINGLETON_OK = frozenset({"chapter", "section", "article", "cn_dun", "cn_paren"})
_SEQ_VALUES = {"首先": 1, "其次": 2, "再次": 3, "最后": 0, "最後": 0}
_SENTENCE_END = re.compile(r"[。！？；;!?]")
_CLAUSE_END = re.compile(r"[，,：:]")
TITLE_MAX = 60


@dataclass(slots=True)
class Marker:
    style: str
    value: int  # 0 means "the last one" (最后)
    start: int
    end: int
    text: str
    line_start: bool


@dataclass(eq=False, slots=True)
class _Node:
    """An item while the tree is built (children only: no cycles to collect)."""

    marker: Marker | None
    group: int
    children: list[_Node] = field(default_factory=list)
    end: int | None = None
    scoped: bool = False


@dataclass(slots=True)
class _Level:
    """One open level of the stack: its style, last value, current item and parent."""

    style: str
    value: int
    node: _Node
    parent: _Node
    closed: bool = False


def find_markers(line: str, offset: int) -> list[Marker]:
    """Candidate markers in one paragraph (absolute offsets)."""
    found: list[Marker] = []
    for trigger in _TRIGGER.finditer(line):
        match = _MARKER.match(line, trigger.start())
        if match is None:
            continue
        style = match.lastgroup  # the outer group of each alternative closes last
        assert style in _STYLE_SET
        start = match.start()
        if not _boundary_ok(style, line, start):
            continue
        value = _value(style, match)
        if value is None:
            continue
        found.append(Marker(style, value, offset + start, offset + match.end(),
                            match.group(style).rstrip(" \u3000"), start == 0))
    return found


def _boundary_ok(style: str, line: str, start: int) -> bool:
    if start == 0 or style in _ANYWHERE:
        return True
    if style in _LINE_START_ONLY:
        return False
    previous = line[start - 1]
    if style in _AFTER_SENTENCE:
        return previous in _SENTENCE_PUNCT
    return previous in _ANY_PUNCT


def _value(style: str, match: re.Match[str]) -> int | None:
    if style == "seq":
        return _SEQ_VALUES[match.group("seq_w")]
    if style == "circled":
        return enclosed_number(match.group("circled"))
    if style in _ENCLOSED_VARIANTS and match.group(f"{style}_e"):
        return enclosed_number(match.group(f"{style}_e"))
    digits = match.group(f"{style}_n")
    if style.startswith("ar_"):
        value = arabic_number(digits)
        return value if value > 0 else None
    return cn_number(digits)


class _TreeBuilder:
    """Builds the item tree from markers, paragraph by paragraph."""

    def __init__(self) -> None:
        self.root = _Node(None, 0)
        self.stack: list[_Level] = []
        self.groups = 0

    def _new_group(self) -> int:
        self.groups += 1
        return self.groups

    def _close(self, node: _Node, position: int) -> None:
        if node.end is None:
            node.end = position

    def _pop_to(self, depth: int, position: int) -> None:
        while len(self.stack) > depth:
            self._close(self.stack.pop().node, position)

    def _pop_closed(self) -> None:
        while self.stack and self.stack[-1].closed:
            self.stack.pop()

    def add(self, marker: Marker) -> None:
        depth = next((i for i, lvl in enumerate(self.stack) if lvl.style == marker.style), None)
        parent_open = depth is None or depth == 0 or not self.stack[depth - 1].closed
        if depth is not None and parent_open and self._continues(self.stack[depth], marker):
            self._add_sibling(depth, marker)
        elif depth is not None and marker.value == 1:
            self._pop_to(depth, marker.start)
            self._push(marker)
        elif depth is None and (marker.value == 1 or (
                marker.line_start and marker.style not in _PARAGRAPH_SCOPED)):
            self._push(marker)

    @staticmethod
    def _continues(level: _Level, marker: Marker) -> bool:
        if level.style == "seq":
            return level.value != 0 and (marker.value == 0 or marker.value == level.value + 1)
        return marker.value == level.value + 1

    def _add_sibling(self, depth: int, marker: Marker) -> None:
        level = self.stack[depth]
        self._pop_to(depth + 1, marker.start)
        self._close(level.node, marker.start)
        node = _Node(marker, level.node.group, scoped=self._scoped(marker))
        level.parent.children.append(node)
        level.node, level.value, level.closed = node, marker.value, False

    def _push(self, marker: Marker) -> None:
        self._pop_closed()
        parent = self.stack[-1].node if self.stack else self.root
        node = _Node(marker, self._new_group(), scoped=self._scoped(marker))
        parent.children.append(node)
        self.stack.append(_Level(marker.style, marker.value, node, parent))

    @staticmethod
    def _scoped(marker: Marker) -> bool:
        return marker.style in _PARAGRAPH_SCOPED or not marker.line_start

    def end_paragraph(self, position: int) -> None:
        for index, level in enumerate(self.stack):
            if level.node.scoped and not level.closed:
                for deeper in self.stack[index:]:
                    self._close(deeper.node, position)
                    deeper.closed = True
                break

    def finish(self, position: int) -> _Node:
        self._pop_to(0, position)
        _prune(self.root)
        return self.root


def _prune(node: _Node) -> None:
    """Dissolve runs of one item where a single item is not a real heading."""
    for child in node.children:
        _prune(child)
    sizes: dict[int, int] = {}
    for child in node.children:
        sizes[child.group] = sizes.get(child.group, 0) + 1
    kept: list[_Node] = []
    for child in node.children:
        marker = child.marker
        assert marker is not None
        lone = sizes[child.group] == 1
        if lone and not (marker.style in _SINGLETON_OK and marker.value == 1 and marker.line_start):
            kept.extend(child.children)
        else:
            kept.append(child)
    node.children = kept


def parse_structure(text: str) -> list[Item]:
    """The enumeration tree of ``text`` (a cleaned text, one paragraph a line)."""
    builder = _TreeBuilder()
    offset = 0
    for line in text.split("\n"):
        for marker in find_markers(line, offset):
            builder.add(marker)
        builder.end_paragraph(offset + len(line))
        offset += len(line) + 1
    root = builder.finish(len(text))
    return _to_items(root, text)


# --- conversion to Items ---------------------------------------------------------


def _content_start(node: _Node) -> int:
    return node.marker.end if node.marker else 0


def _to_items(node: _Node, text: str) -> list[Item]:
    if not node.children:
        return []
    groups: list[list[_Node]] = []
    for child in node.children:
        if groups and groups[-1][0].group == child.group:
            groups[-1].append(child)
        else:
            groups.append([child])
    if len(groups) <= 1:
        return [_item(child, text) for child in node.children]
    passages: list[Item] = []
    region_start = _content_start(node)
    for group in groups:
        first = group[0].marker
        assert first is not None
        intro = _last_paragraph(text[region_start : first.start])
        passages.append(Item("", _passage_title(intro), intro,
                             [_item(child, text) for child in group]))
        region_start = group[-1].end or first.start
    return passages


def _item(node: _Node, text: str) -> Item:
    assert node.marker is not None
    end = node.end if node.end is not None else len(text)
    content = text[node.marker.end : end].strip()
    # The headline stops where the first child begins (``体系，①开展…``).
    lead_end = node.children[0].marker.start if node.children and node.children[0].marker else end
    lead = text[node.marker.end : lead_end].strip()
    return Item(node.marker.text, headline(lead or content), content, _to_items(node, text))


def _last_paragraph(region: str) -> str:
    lines = [line.strip() for line in region.split("\n") if line.strip()]
    return lines[-1] if lines else ""


def _passage_title(passage: str) -> str:
    pieces = [p for p in re.split(r"(?<=[。！？!?；;])", passage) if p.strip()]
    return pieces[-1].strip().rstrip("：:。；;，,").strip() if pieces else ""


def headline(content: str) -> str:
    """First sentence (or, when long, first clause) of an item, without the marker."""
    first_line = content.split("\n", 1)[0].strip()
    end = _SENTENCE_END.search(first_line)
    sentence = first_line[: end.start()] if end else first_line
    if len(sentence) > TITLE_MAX:
        clause = _CLAUSE_END.search(sentence)
        if clause and clause.start() >= 4:
            sentence = sentence[: clause.start()]
    return sentence.strip(" \u3000：:，,、")
