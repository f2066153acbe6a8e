"""Site chrome, line by line (``intake/boilerplate.py``; issue 13, mutation testing): each rule
on a line just inside and just outside its limits. The lines are written for these tests."""

from __future__ import annotations

import pytest

from luoshi.intake import boilerplate as b

pytestmark = pytest.mark.usefixtures("endless_loops_fail")


def kind(line: str, in_margin: bool = False) -> str | None:
    return b.boilerplate_kind(b.key_of(line), in_margin)


# Keys -----------------------------------------------------------------------------------------------------

def test_a_key_is_simplified_and_lower_case_with_the_same_offsets():
    assert b.key_of("關於ABC編輯") == "关于abc编辑"
    assert b.keys_of(["關於ABC", "責任編輯：某", ""]) == ["关于abc", "责任编辑：某", ""]
    assert b.han_count("abc中文1２三") == 3


# Body paragraphs --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line, body", [
    ("甲" * 15 + "。", True),
    ("甲" * 14 + "。", False),
    ("甲" * 14 + "a。", False),
    ("甲" * 15 + "！", True),
    ("甲" * 20, False),
    ("甲" * 40 + "，", True),
    ("甲" * 39 + "、", False),
    ("甲" * 40, False),
])
def test_running_text_needs_fifteen_characters_and_a_sentence_mark_or_forty_and_a_comma(line, body):
    assert b.is_body(line) is body


# Breadcrumbs and navigation -----------------------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "当前位置：首页",
    "您现在的位置: 学校",
    "首页 > 新闻中心 > 通知公告",
    "首页>>新闻>>正文",
    "甲" * 30 + " > 乙 > " + "丙" * 80,
    "首页 / 新闻 / 正文",
    "甲" * 15 + " / 乙 / 首页",
])
def test_breadcrumbs_are_boilerplate(line):
    assert b.is_breadcrumb(b.key_of(line)) and kind(line) == "boilerplate"


@pytest.mark.parametrize("line", [
    "甲 > 乙",                                        # two parts
    "甲" * 31 + " > 乙 > 丙",                          # a part too long
    "甲 > 乙 > " + "丙" * 81,                          # the last part too long
    "首页 / 新闻",
    "甲" * 16 + " / 乙 / 首页",
    "甲 / 乙 / 丙",                                   # no cue
    "首页 新闻 正文",                                   # no hint
])
def test_lines_that_are_not_breadcrumbs(line):
    assert not b.is_breadcrumb(b.key_of(line))


def test_navigation_bars_and_archive_lists():
    assert b.is_navigation(b.key_of("首页 新闻 通知 公告 政策 解读 服务 登录"))
    assert not b.is_navigation(b.key_of("首页 新闻 通知 公告 政策 解读 服务"))            # seven tokens
    assert not b.is_navigation(b.key_of("学校 家庭 社会 政府 企业 高校 医院 社区"))       # no token of the list
    assert not b.is_navigation(b.key_of("首页 新闻 通知 公告 政策 解读 服务 登录。"))
    six = "首页 登录 " + " ".join(["甲" * 7] * 4 + ["乙" * 8] * 2)        # tokens of six characters on average
    assert b.is_navigation(b.key_of(six)) and not b.is_navigation(b.key_of(six + "乙"))
    assert b.is_navigation(b.key_of("aa|bb|cc|dd|ee|ff，甲x"))
    assert not b.is_navigation(b.key_of("aa|bb|cc|dd|eeff，甲xy"))
    assert b.is_navigation(b.key_of("2024-01-02 2024-02-03 2024-03-04 x"))
    assert not b.is_navigation(b.key_of("2024-01-02 2024-02-03 xxxxxxxx"))
    assert not b.is_navigation(b.key_of("2024-01-02 2024-02-03 2024-03-04 " + "甲" * 9))
    assert b.is_navigation(b.key_of("2024-01-02 2024-02-03 2024-03-04 " + "甲" * 8))


# Lines that are chrome whatever their place ----------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "第3版：要闻", "上一篇：关于做好工作的通知", "- 3 -", "第2页 共5页", "共5页", "3/10", "Page 2 of 9", "【图片】",
    "责任编辑：王某", "版权所有 某某网", "首页 | 打印 | 关闭",
])
def test_chrome_lines(line):
    assert kind(line) == "boilerplate"


def test_the_length_limits_of_the_chrome_rules():
    assert kind("上一篇：" + "甲" * 76) == "boilerplate" and kind("上一篇：" + "甲" * 77) is None
    assert kind("责任编辑：" + "甲" * 55) == "boilerplate" and kind("责任编辑：" + "甲" * 56) is None
    assert kind("版权所有" + "甲" * 146) == "boilerplate" and kind("版权所有" + "甲" * 147) is None
    assert kind("版权所有。") is None
    assert kind("当前位置：" + "甲" * 195) == "boilerplate" and kind("当前位置：" + "甲" * 196) is None


def test_footer_lines_and_bare_addresses_only_in_the_margins():
    assert kind("主办单位：某某局", in_margin=True) == "boilerplate" and kind("主办单位：某某局") is None
    assert kind("主办单位：" + "甲" * 75, in_margin=True) == "boilerplate"
    assert kind("主办单位：" + "甲" * 76, in_margin=True) is None
    assert kind("http://example.cn/a", in_margin=True) == "boilerplate" and kind("http://example.cn/a") is None


# Page meta ----------------------------------------------------------------------------------------------------

def test_page_meta_lines():
    key = b.key_of
    assert b.is_page_meta(key("发布时间：2024-03-01 浏览次数：12"), False)
    assert b.is_page_meta(key("来源：市教育局"), True) and not b.is_page_meta(key("来源：市教育局"), False)
    assert b.is_page_meta(key("作者：张三"), True) and not b.is_page_meta(key("作者：张三"), False)
    assert b.is_page_meta(key("2024-03-01 10:20"), True) and not b.is_page_meta(key("2024-03-01 10:20"), False)
    assert not b.is_page_meta(key("2024-03-01"), True)
    assert not b.is_page_meta(key("发布时间：" + "甲" * 17), False)
    assert b.is_page_meta(key("发布时间：" + "甲" * 16), False)
    assert not b.is_page_meta(key("发布时间：2024-03-01" + " " * 106), False)
    assert b.is_page_meta(key("发布时间：2024-03-01" + " " * 105), False)
    assert not b.is_page_meta(key("市教育局"), True)
    assert b.is_page_meta(key("作者：" + "甲" * 16), True) and not b.is_page_meta(key("作者/" + "甲" * 37), True)


def test_a_meta_tail_glued_to_a_heading_starts_at_its_label():
    assert b.meta_tail_start(b.key_of("关于通知发布日期:2025-04-22")) == 4
    assert b.meta_tail_start(b.key_of("通知发布日期:2025-04-22")) is None
    assert b.meta_tail_start(b.key_of("关于通知发布日期:" + "甲" * 17)) is None
    assert b.meta_tail_start(b.key_of("关于做好年度工作的通知")) is None


def test_what_precedes_a_meta_tail():
    assert b.head_is_meta("2024-03-01") and b.head_is_meta("某某网 ")
    assert not b.head_is_meta("关于做好年度重点工作的通知")
    assert b.head_is_meta("2024-03-01 " + "甲" * 16) and not b.head_is_meta("2024-03-01 " + "甲" * 17)


def test_the_date_and_source_of_a_meta_line_with_their_priority():
    hints = b.meta_hints("發佈日期：2024-03-01 來源：市教育局")
    assert [(h.field, h.value, h.priority, h.problem) for h in hints] == [
        ("date", "2024-03-01", 1, None), ("source", "市教育局", 1, None)]
    hints = b.meta_hints("2024-03-01 10:20 市教育局 ")
    assert [(h.field, h.value, h.priority) for h in hints] == [("date", "2024-03-01", 2), ("source", "市教育局", 2)]


# Comments ----------------------------------------------------------------------------------------------------

def test_comment_markers():
    for line in ("用户14xxx47", "张三 回复 01-21 08:23", "#3楼 说得好", "李四 01-21 08:23", "王五 3分钟前"):
        assert b.is_comment_marker(b.key_of(line))
    assert not b.is_comment_marker(b.key_of("#3楼" + "甲" * 58))
    assert b.is_comment_marker(b.key_of("#3楼" + "甲" * 57))


def _block(lines: list[str], taken: set[int] | None = None) -> list[int]:
    return b.comment_block(lines, [b.key_of(line) for line in lines], taken or set())


def test_a_comment_section_needs_two_markers_or_a_header_and_runs_to_a_long_line():
    body = "一、健全工作机制，明确各方责任，确保各项任务落到实处。"
    lines = [body, "网友留言", "用户14xxx47", "写得好", "用户15xxx88", "支持", "", "甲" * 150, "其后"]
    assert _block(lines) == [1, 2, 3, 4, 5]
    assert _block([body, "用户14xxx47", "写得好"]) == []
    assert _block([body, "网友评论", "写得好"]) == [1, 2]
    assert _block(lines, taken={1}) == [2, 3, 4, 5]
    long_first = [body, "用户14xxx47", "甲" * 149, "用户15xxx88"]
    assert _block(long_first) == [1, 2, 3]


def test_lines_above_a_comment_section_join_it_only_when_short_and_unfinished():
    lines = ["甲" * 49, "用户14xxx47", "用户15xxx88"]
    assert _block(lines) == [0, 1, 2]
    assert _block(["甲" * 50, "用户14xxx47", "用户15xxx88"]) == [1, 2]
    assert _block(["留言如下：", "用户14xxx47", "用户15xxx88"]) == [1, 2]
    assert _block(["留言如下；", "用户14xxx47", "用户15xxx88"]) == [1, 2]
    assert _block(["", "用户14xxx47", "用户15xxx88"]) == [1, 2]


# Inline pieces -----------------------------------------------------------------------------------------------------

def test_continuation_notes_and_editor_tails_are_cut_from_their_line():
    assert b.continuation_spans("全文完(下转第三版)结束") == [(3, 10, "boilerplate")]
    assert b.continuation_spans("没有转版") == []
    line = "正文内容。（责任编辑：李四）"
    assert b.editor_tail_spans(line, b.key_of(line)) == [(5, len(line), "boilerplate")]
    assert b.editor_tail_spans("正文内容。", "正文内容。") == []


# Found by the mutation run (2026-12-04) ---------------------------------------------------------------------

def test_what_precedes_a_meta_tail_at_its_limits():
    # Without a label or a date: at most six characters left.
    assert b.head_is_meta("某某市教育局") and not b.head_is_meta("某某市教育局网")
    # A weak label (作者, 来源 …) counts here: what is left may then be sixteen characters long.
    assert b.head_is_meta("作者：张三李四王五赵六") and not b.head_is_meta("张三李四王五赵六钱七")
    assert b.head_is_meta("作者：" + "甲" * 16) and not b.head_is_meta("作者：" + "甲" * 17)
    # A time of day counts as a date.
    assert b.head_is_meta("10:20 " + "甲" * 16) and not b.head_is_meta("10:20 " + "甲" * 17)
    assert not b.head_is_meta("甲" * 16)


def test_a_meta_lines_impossible_date_keeps_its_problem():
    [hint] = b.meta_hints("发布日期：2024年2月30日")
    assert (hint.field, hint.value, hint.priority, hint.problem) == (
        "date", "2024年2月30日", 1, "2024-2-30 is not a calendar date")


def test_blank_lines_and_nicknames_above_a_comment_section_join_it():
    assert _block(["甲" * 49, "", "用户14xxx47", "用户15xxx88"]) == [0, 2, 3]
    assert _block(["网友X", "用户14xxx47", "用户15xxx88"]) == [0, 1, 2]


def test_the_keys_of_many_lines_are_each_lines_key():
    # Found by the mutation run: keys_of lowered with str.lower(), and kept the whole document in
    # upper case when that changed a length ("İ" becomes two characters), so no rule written in
    # lower case ("page 2 of 9", "copyright", "icp备") matched any line of it; it also lowered
    # other scripts, which key_of leaves as they are.
    lines = ["İstanbul 简报", "Page 2 of 9", "ΑΒΓ Ｐage", "關於ABC", ""]
    assert b.keys_of(lines) == [b.key_of(line) for line in lines] == [
        "İstanbul 简报", "page 2 of 9", "ΑΒΓ Ｐage", "关于abc", ""]
    assert b.keys_of([]) == []


def test_a_meta_line_with_a_strong_and_a_weak_label_or_two_dates():
    assert b.is_page_meta(b.key_of("发布时间：2024-03-01 来源：市教育局"), True)
    assert b.is_page_meta(b.key_of("发布时间：2024-03-01 更新时间：2024-03-02"), False)
    assert b.meta_tail_start(b.key_of("关于通知发布时间：2024-03-01 更新时间：2024-03-02")) == 4


@pytest.mark.parametrize("line, hint", [
    ("首页 > 新闻", True), ("主办：某某局 | 承办：某某中心", True), ("© 某某网", True), ("版权所有", True),
    ("京ICP备12345号", True), ("当前位置", True), ("发布于2024-3-1", True),
    ("一、健全工作机制，明确各方责任。", False), ("2024年3月1日", False),
])
def test_the_hints_without_which_running_text_is_never_chrome(line, hint):
    assert b.has_chrome_hint(b.key_of(line)) is hint


def test_running_text_with_a_chrome_hint_is_still_checked_for_chrome():
    from luoshi.intake.cleaning import clean

    body = "一、健全工作机制，明确各方责任，确保各项任务落到实处。"
    copyright_line = "版权所有：某某市人民政府办公室主办；未经书面许可不得转载复制"
    assert b.is_body(copyright_line)
    result = clean("\n".join([body, copyright_line, body]))
    assert result.text == f"{body}\n{body}"


@pytest.mark.parametrize("line", [
    "发布时间：2024-03-01 更新时间：2024-03-02 ",      # two dates, cut from the last one back
    "发布时间：2024-03-01 http://example.cn/a ",        # an address
    "发布时间：2024-03-01 10:20 ",                      # a time of day
    "发布时间：2024-03-01 【大】【中】【小】",            # the font-size widget
])
def test_what_a_meta_line_may_hold_besides_its_fields_is_sixteen_characters(line):
    assert b.is_page_meta(b.key_of(line + "甲" * 16), False)
    assert not b.is_page_meta(b.key_of(line + "甲" * 17), False)


def test_running_text_is_never_page_meta():
    line = "发布时间：2024年3月1日。浏览次数：12。责任编辑：张三李四。"
    assert b.is_body(line) and not b.is_page_meta(b.key_of(line), False)


def test_a_byline_of_up_to_forty_characters_in_the_margin():
    assert b.is_page_meta(b.key_of("记者：张三 " + "1" * 34), True)
    assert not b.is_page_meta(b.key_of("记者：张三 " + "1" * 35), True)


def test_an_archive_list_has_fewer_han_characters_than_a_fifth_of_its_length():
    assert len("甲乙丙|a|b|c|d|efffffff") == 20 and b.is_navigation(b.key_of("甲乙丙|a|b|c|d|efffffff"))
    assert not b.is_navigation(b.key_of("甲乙丙丁|a|b|c|d|effffff"))          # 4 of 20: a fifth


def test_the_keys_of_lines_with_spaces_and_empty_lines_stay_with_their_lines():
    assert b.keys_of(["Page 2", "X", ""]) == ["page 2", "x", ""]


def test_a_meta_tail_may_hold_weak_labels_too():
    assert b.meta_tail_start(b.key_of("关于通知发布日期:2025-04-22 来源：" + "甲" * 16)) == 4
    assert b.meta_tail_start(b.key_of("关于通知发布日期:2025-04-22 来源：" + "甲" * 17)) is None


def test_comment_markers_and_headers_are_shorter_than_sixty_characters():
    assert _block(["#3楼" + "甲" * 56, "用户14xxx47"]) == [0, 1]
    assert _block(["#3楼" + "甲" * 57, "用户14xxx47"]) == []
    assert _block(["网友评论" + "甲" * 55, "写得好"]) == [0, 1]
    assert _block(["网友评论" + "甲" * 56, "写得好"]) == []


def test_a_comment_section_does_not_reach_above_a_line_already_taken():
    assert _block(["留言须知", "分享到微博", "用户14xxx47", "用户15xxx88"], taken={1}) == [2, 3]
    assert _block(["留言须知", "分享到微博", "用户14xxx47", "用户15xxx88"]) == [0, 1, 2, 3]


def test_a_line_of_separators_only_is_no_chrome_and_an_archive_list_is():
    assert kind("【】") is None and kind("· · ·") is None and kind("|  |") is None
    assert kind("2024-01-02 2024-02-03 2024-03-04 x") == "boilerplate"
    assert kind("2024-01-02 | 2024-02-03 | 2024-03-04 | " + "x" * 190) == "boilerplate"   # over 200


def test_every_breadcrumb_part_but_the_last_is_at_most_thirty_characters():
    assert not b.is_breadcrumb(b.key_of("甲 > " + "乙" * 31 + " > 丙"))
    assert b.is_breadcrumb(b.key_of("甲 > " + "乙" * 30 + " > 丙"))


def test_the_keys_of_lines_read_phrases_as_opencc_does():
    # keys_of converts the document in one OpenCC pass, phrase aware: 乾隆 and 憑藉 are phrases
    # (key_of's character table makes 干隆 and 凭藉 of them).
    lines = ["乾隆年間", "憑藉ABC", ""]
    assert b.keys_of(lines) == ["乾隆年间", "凭借abc", ""]
    assert [b.key_of(line) for line in lines] == ["干隆年间", "凭藉abc", ""]
    assert b.keys_of(["乾隆年間"]) == ["乾隆年间"]


def test_lines_holding_a_line_break_are_keyed_one_by_one():
    # They do not split back one for one after the joint conversion.
    assert b.keys_of(["關於\nABC", "乾隆"]) == ["关于\nabc", "干隆"]
    assert b.keys_of(["\n"]) == ["\n"]


def test_opencc_keeps_the_length_of_every_line():
    # keys_of relies on it (its keys are cut by its lines' offsets): every entry of the t2s
    # conversion's dictionaries, characters and phrases, is as long as its key, and none holds
    # a line break. Read from the dictionaries themselves, so an OpenCC upgrade that breaks it
    # fails here.
    import json
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    import opencc

    clib = Path(opencc.__file__).parent / "clib"
    share = clib / "share" / "opencc"
    config = json.loads((share / "t2s.json").read_text("utf-8"))
    files = [step["dict"]["file"] for step in config["normalization"]]
    for step in config["conversion_chain"]:
        files += [d["file"] for d in step["dict"].get("dicts", [step["dict"]])]
    assert "TSPhrases.ocd2" in files and "TSCharacters.ocd2" in files
    env = {**os.environ, "LD_LIBRARY_PATH": str(clib / "lib64")}
    entries = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in files:
            out = Path(tmp) / (name + ".txt")
            subprocess.run([str(clib / "bin" / "opencc_dict"), "-i", str(share / name), "-o", str(out),
                            "-f", "ocd2", "-t", "text"], check=True, env=env, capture_output=True)
            for row in out.read_text("utf-8").splitlines():
                key, values = row.split("\t")
                for value in values.split(" "):
                    assert len(value) == len(key) and "\n" not in value, (name, key, value)
                    entries += 1
    assert entries > 4000
