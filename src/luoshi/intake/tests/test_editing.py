"""The outline editor's rules (``editing``) and the removal highlighting (``highlight``); no database."""

from __future__ import annotations

import json

import pytest

from luoshi.intake import editing, highlight, parse_document
from luoshi.intake.reading import read_bytes

from .conftest import fixture_bytes, fixture_text


def node(marker: str, title: str, text: str = "", children: list | None = None) -> dict:
    return {"marker": marker, "title": title, "text": text or title, "children": children or []}


def chain(levels: int) -> list[dict]:
    """A document nested ``levels`` deep (one item per level)."""
    items: list[dict] = []
    for level in reversed(range(levels)):
        items = [node(f"{level + 1}.", f"第{level + 1}层", children=items)]
    return items


def edited(outline: list[dict]) -> list[dict]:
    """The editable form of an outline: every node with merged = []."""
    return [{"id": n["id"], "title": n["title"], "merged": n.get("merged", []), "children": edited(n.get("children", []))}
            for n in outline]


# Numbering and the proposal --------------------------------------------------------------------

def test_it_numbers_nodes_in_document_order() -> None:
    items = [node("一、", "总体要求", children=[node("（一）", "指导思想")]), node("二、", "主要任务")]
    assert {k: v["title"] for k, v in editing.originals(items).items()} == {1: "总体要求", 2: "指导思想", 3: "主要任务"}
    assert editing.proposed(items) == [
        {"id": 1, "title": "总体要求", "merged": [], "children": [{"id": 2, "title": "指导思想", "merged": [], "children": []}]},
        {"id": 3, "title": "主要任务", "merged": [], "children": []},
    ]


def test_it_lifts_the_children_of_an_empty_passage() -> None:
    items = [{"marker": "", "title": "", "text": "", "children": [node("一要", "甲"), node("二要", "乙")]}]
    assert [n["id"] for n in editing.proposed(items)] == [2, 3]


def test_it_proposes_only_the_top_levels_of_a_document_too_big_for_a_plan() -> None:
    wide = [node(f"{i}.", f"任务{i}", children=[node(f"({j})", f"举措{i}.{j}") for j in range(1, 4)]) for i in range(1, 801)]
    assert editing.total(wide) == 3200
    outline = editing.proposed(wide)
    assert editing.count(outline) == 800 and editing.depth(outline) == 1
    deep = chain(12)
    assert editing.depth(editing.proposed(deep)) == editing.MAX_DEPTH
    flat = [node(f"{i}.", f"任务{i}") for i in range(1, 2501)]
    assert editing.count(editing.proposed(flat)) == editing.MAX_NODES


# Validation ------------------------------------------------------------------------------------

def test_it_accepts_and_normalises_a_good_outline() -> None:
    known = editing.originals([node("一要", "甲"), node("二要", "乙"), node("三要", "丙")])
    posted = json.dumps([{"id": 1, "title": "  新  标题 ", "merged": [3], "children": [{"id": 2, "title": "乙"}]}])
    assert editing.validate(posted, known) == [
        {"id": 1, "title": "新 标题", "merged": [3], "children": [{"id": 2, "title": "乙", "merged": [], "children": []}]}]


def test_it_refuses_outlines_deeper_than_eight_levels() -> None:
    known = editing.originals(chain(9))
    outline = editing._numbered(chain(9))
    with pytest.raises(editing.OutlineError, match="more than 8 levels"):
        editing.validate(edited(outline), known)
    assert editing.depth(editing.validate(edited(editing._cut(outline, 8)), known)) == 8


def test_it_refuses_more_than_2000_items() -> None:
    items = [node(f"{i}.", f"任务{i}") for i in range(1, 2002)]
    known = editing.originals(items)
    with pytest.raises(editing.OutlineError, match="more than 2000 items"):
        editing.validate(edited(editing._numbered(items)), known)
    assert editing.count(editing.validate(edited(editing._numbered(items))[:2000], known)) == 2000


def test_it_refuses_a_merged_id_used_elsewhere() -> None:
    known = editing.originals([node("一要", "甲"), node("二要", "乙")])
    with pytest.raises(editing.OutlineError, match="twice"):
        editing.validate([{"id": 1, "title": "甲", "merged": [2]}, {"id": 2, "title": "乙"}], known)


@pytest.mark.parametrize("posted", ["[" * 100_000, "x" * (editing.MAX_POSTED_CHARS + 1)])
def test_it_refuses_hostile_input_without_crashing(posted: str) -> None:
    with pytest.raises(editing.OutlineError):
        editing.validate(posted, {})


def test_it_turns_an_outline_back_into_items_with_the_server_side_texts() -> None:
    items = [node("一要", "甲", "一要甲的全文。"), node("二要", "乙", "二要乙的全文。"), node("三要", "丙", "丙的全文。")]
    known = editing.originals(items)
    outline = editing.validate([{"id": 1, "title": "新甲", "merged": [2], "children": [{"id": 3, "title": "丙"}]}], known)
    assert editing.to_items(outline, known) == [{
        "marker": "一要", "title": "新甲", "text": "一要甲的全文。\n二要乙的全文。",
        "children": [{"marker": "三要", "title": "丙", "text": "丙的全文。", "children": []}]}]


# Highlighting ----------------------------------------------------------------------------------

def _segments(name: str, to_simplified: bool = False):
    data = fixture_bytes(name)
    parsed = parse_document(data, name, to_simplified=to_simplified).to_dict()
    return parsed, highlight.segments(read_bytes(data, name).text, parsed["clean_text"], parsed["removed"],
                                      converted=to_simplified)


@pytest.mark.parametrize("name", ["city_conference_noisy.txt", "emoji_noise.txt", "decorations.txt", "boilerplate.txt",
                                  "spam_mixed.txt", "traditional_mixed.txt"])
@pytest.mark.parametrize("to_simplified", [False, True])
def test_it_puts_every_removal_back_at_its_place(name: str, to_simplified: bool) -> None:
    parsed, segments = _segments(name, to_simplified)
    assert segments is not None
    assert "".join(text for kind, text, _ in segments if not kind) == parsed["clean_text"]
    assert sorted(kind for kind, _, _ in segments if kind) == sorted(entry["kind"] for entry in parsed["removed"])


def test_it_marks_whole_line_removals_and_inline_noise() -> None:
    _, segments = _segments("city_conference_noisy.txt")
    removed = {(kind, text): block for kind, text, block in segments if kind}
    assert removed[("boilerplate", "首页 > 教育要闻 > 正文")] is True
    assert removed[("spam", "澳门真人视讯百家乐开户送88元 客服热线13800138000")] is True
    assert removed[("emoji", "👍🏽")] is False and removed[("pinyin", "(luò)")] is False
    assert removed[("decoration", "★ღ")] is False  # after the last sentence, on its line


def test_it_reports_a_boilerplate_line_with_pinyin_inside_as_one_removal() -> None:
    text = "您现(xiàn)在的位置：首页 > 新闻 > 正文\n会议强调，各地要统一思想，确保各项任务落(luò)实见效。"
    parsed = parse_document(text).to_dict()
    segments = highlight.segments(text, parsed["clean_text"], parsed["removed"])
    assert segments is not None and segments[0][0] == "boilerplate" and segments[0][1].startswith("您现(xiàn)在")


def test_it_gives_up_rather_than_guess() -> None:
    assert highlight.segments("完全不同的文字", "另一段正文", []) is None
    html = parse_document(fixture_bytes("page.html"), "page.html").to_dict()
    segments = highlight.segments(read_bytes(fixture_bytes("page.html"), "page.html").text, html["clean_text"], html["removed"])
    # Hidden and navigation elements were taken out of the HTML before the text existed: they
    # are listed by kind, and the rest still lines up.
    assert segments is not None and "".join(t for k, t, _ in segments if not k) == html["clean_text"]


def test_it_stops_the_preview_at_the_limit() -> None:
    parsed, _ = _segments("city_conference_noisy.txt")
    text = fixture_text("city_conference_noisy.txt")
    segments = highlight.segments(text, parsed["clean_text"], parsed["removed"], limit=50)
    assert "".join(t for k, t, _ in segments if not k) == parsed["clean_text"][:50]

