"""Character-level noise (``intake/noise.py``), one rule at a time (issue 13, mutation testing):
what each ``remove_*`` function takes out, what it reports, and what it must leave alone.
The texts are written for these tests."""

from __future__ import annotations

import pytest

from luoshi.intake import noise
from luoshi.intake.model import Flag, Removal


def _run(function, text: str) -> tuple[str, list[tuple[str, str]]]:
    removed: list[Removal] = []
    out = function(text, removed)
    return out, [(r.kind, r.text) for r in removed]


# Breaks, controls, invisible characters ------------------------------------------------------------

def test_line_breaks_and_exotic_spaces_are_unified_without_a_report():
    assert noise.normalise_breaks("第一条\r\n第二条\r第三条\u2028第四条\x0c第五条") == "第一条\n第二条\n第三条\n第四条\n第五条"
    assert noise.normalise_breaks("各地\u00a0各校\u2003落实\u3000到位") == "各地 各校 落实\u3000到位"


def test_control_characters_are_removed_and_reported_as_such():
    assert _run(noise.remove_controls, "加强\x07\x08管理\x1f工作") == ("加强管理工作", [("control", "\x07\x08"), ("control", "\x1f")])
    assert _run(noise.remove_controls, "第一行\n第二行\t末尾") == ("第一行\n第二行\t末尾", [])


def test_invisible_characters_are_removed_and_reported_as_such():
    text, removed = _run(noise.remove_invisible, "\ufeff推进\u200b\u200b教育\u00ad改革")
    assert text == "推进教育改革"
    assert removed == [("invisible", "\ufeff"), ("invisible", "\u200b\u200b"), ("invisible", "\u00ad")]


# Emoji ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("piece", [
    "3\ufe0f\u20e3",                                                       # keycap with its digit
    "#\u20e3",
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",   # tag sequence
    "\U0001f1e8\U0001f1f3",                                                # a flag
    "\U0001f469\u200d\U0001f3eb",                                          # a joined sequence
    "\U0001f44b\U0001f3fd",                                                # with a skin tone
    "\u231a",                                                               # a pictograph of the BMP
    "\u2764\ufe0f",
    "\U0001f004",                                                           # the symbol planes, whole
    "\ufe0f\u200d",                                                         # selectors and joiners left alone
])
def test_each_kind_of_emoji_is_removed_whole_and_reported(piece):
    text, removed = _run(noise.remove_emoji, f"学校{piece}开学")
    assert (text, removed) == ("学校开学", [("emoji", piece)])


def test_copyright_and_trademark_signs_are_text_not_emoji():
    text = "版权所有\u00a9 2024 某某\u00ae 产品\u2122"
    assert _run(noise.remove_emoji, text) == (text, [])


# Pinyin -----------------------------------------------------------------------------------------------

def test_pinyin_after_a_character_is_removed_and_reported():
    text, removed = _run(noise.remove_pinyin, "落(luò)实(shí)到位，规(gui1)范")
    assert text == "落实到位，规范"
    assert removed == [("pinyin", "(luò)"), ("pinyin", "(shí)"), ("pinyin", "(gui1)")]


def test_pinyin_like_brackets_after_anything_but_a_character_are_kept():
    for text in ("(luò)开头", "第3(luò)条", "工a(gōng)作", "计划 \n(jì)"):
        assert _run(noise.remove_pinyin, text) == (text, [])


def test_a_pinyin_annotation_cut_off_at_the_end_is_removed():
    assert _run(noise.remove_pinyin, "全面落实(luo") == ("全面落实", [("pinyin", "(luo")])
    assert _run(noise.remove_pinyin, "全面落实(luo。") == ("全面落实(luo。", [])


# Decorations ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["●第一项任务", "目标如下\n■第二项任务", "◆第三项任务"])
def test_a_single_bullet_that_starts_a_line_is_kept(text):
    assert _run(noise.remove_decorations, text) == (text, [])


@pytest.mark.parametrize("text, kept, piece", [
    ("任务●明确", "任务明确", "●"),              # not at a line's start
    ("●●第一项任务", "第一项任务", "●●"),          # more than one symbol
    ("✿第一项任务", "第一项任务", "✿"),            # not a bullet
    ("目标如下\n●\n第二项", "目标如下\n\n第二项", "●"),   # nothing follows on its line
    ("目标如下●", "目标如下", "●"),                # the end of the text
    ("一\n● \n二", "一\n \n二", "●"),               # only a space follows
])
def test_other_decorations_are_removed_and_reported(text, kept, piece):
    assert _run(noise.remove_decorations, text) == (kept, [("decoration", piece)])


def test_a_circle_written_for_zero_in_a_chinese_date_is_kept():
    for text in ("二○二四年", "年○二", "从二○起", "于○九年"):
        assert _run(noise.remove_decorations, text) == (text, [])
    assert _run(noise.remove_decorations, "甲二○乙") == ("甲二○乙", [])
    assert _run(noise.remove_decorations, "甲乙○丙二") == ("甲乙丙二", [("decoration", "○")])
    assert _run(noise.remove_decorations, "年○一二") == ("年○一二", [])


# Injected characters -----------------------------------------------------------------------------------

@pytest.mark.parametrize("token, expected", [
    ("qX7", True), ("k", True), ("Ab", True), ("zZ", True),
    ("2024", False), ("２０２４", False), ("AI", False), ("5G", False), ("ＡＩ", False),
    ("ppt", False), ("PPT", False), ("ｐｐｔ", False), ("Beijing", False), ("-", False), ("__", False),
])
def test_which_tokens_look_random(token, expected):
    assert noise.looks_random(token) is expected


def test_symbols_injected_after_punctuation_are_removed_and_the_punctuation_kept():
    flags: list[Flag] = []
    removed: list[Removal] = []
    assert noise.remove_injected("加强管理，ㄅㄆ推进改革。\u00a8落实", removed, flags) == "加强管理，推进改革。落实"
    assert [(r.kind, r.text) for r in removed] == [("injected_chars", "ㄅㄆ"), ("injected_chars", "\u00a8")]
    assert flags == []


def test_combining_marks_are_removed_from_characters_but_kept_on_latin_letters():
    flags: list[Flag] = []
    removed: list[Removal] = []
    text = "\u0301开头 \u0301空格 cafe\u0301 推\u0302\u0303进"
    assert noise.remove_injected(text, removed, flags) == "\u0301开头 \u0301空格 cafe\u0301 推进"
    assert [(r.kind, r.text) for r in removed] == [("injected_chars", "\u0302\u0303")]


def test_fewer_random_tokens_than_the_minimum_are_kept_and_flagged():
    flags: list[Flag] = []
    removed: list[Removal] = []
    text = "今年各地要健全制度，qX7加快推进，深化改革。"
    assert noise.remove_injected(text, removed, flags) == text and removed == []
    assert flags == [Flag("suspicious_chars", "各地要健全制度，qX7加快推进，深化改",
                          "'qX7' after punctuation looks injected; kept because it occurs fewer than 3 times")]


def test_the_context_of_a_flag_starts_at_the_beginning_of_the_text():
    flags: list[Flag] = []
    assert noise.remove_injected("好，Zp9开始", [], flags) == "好，Zp9开始"
    assert [f.text for f in flags] == ["好，Zp9开始"]


def test_as_many_random_tokens_as_the_minimum_are_removed(monkeypatch):
    flags: list[Flag] = []
    removed: list[Removal] = []
    text = "第一，qX7加强领导；第二，k3d完善制度；第三，Zp9强化保障。"
    assert noise.remove_injected(text, removed, flags) == "第一，加强领导；第二，完善制度；第三，强化保障。"
    assert [(r.kind, r.text) for r in removed] == [("injected_chars", t) for t in ("qX7", "k3d", "Zp9")]
    assert flags == []
    monkeypatch.setattr(noise, "RANDOM_TOKEN_MIN", 4)
    flags, removed = [], []
    assert noise.remove_injected(text, removed, flags) == text and removed == [] and len(flags) == 3


def test_known_tokens_after_punctuation_are_neither_removed_nor_flagged():
    flags: list[Flag] = []
    removed: list[Removal] = []
    text = "下载，app安装，pdf文件，AI赋能，2024年。"
    assert noise.remove_injected(text, removed, flags) == text and removed == [] and flags == []
