"""intake/structure.py: the trees a reader sees, pinned where mutation testing found no test (issue 13).

Each case is a small policy text and the whole outline the review page shows for it: markers,
titles and texts, passages (the unnumbered text that introduces a group of items) included.
"""

from __future__ import annotations

from luoshi.intake.structure import headline, parse_structure


def outline(text: str) -> list:
    def walk(items):
        return [(i.marker, i.title, i.text, walk(i.children)) for i in items]

    return walk(parse_structure(text))


def test_two_enumerations_side_by_side_become_passages_titled_by_their_introductions():
    text = "X 说明：首先，做甲；其次，做乙。\n中间 一段话。\nY 另一段：首先，做丙；其次，做丁。"
    assert outline(text) == [
        ("", "X 说明", "X 说明：", [("首先，", "做甲", "做甲；", []), ("其次，", "做乙", "做乙。", [])]),
        ("", "Y 另一段", "Y 另一段：", [("首先，", "做丙", "做丙；", []), ("其次，", "做丁", "做丁。", [])]),
    ]


def test_passages_inside_an_item_are_introduced_from_after_its_marker():
    text = "一、总体要求。①做甲；②做乙。另 说明：①做丙；②做丁。\n二、任务。"
    assert outline(text) == [
        ("一、", "总体要求", "总体要求。①做甲；②做乙。另 说明：①做丙；②做丁。", [
            ("", "总体要求", "总体要求。", [("①", "做甲", "做甲；", []), ("②", "做乙", "做乙。另 说明：", [])]),
            ("", "", "", [("①", "做丙", "做丙；", []), ("②", "做丁", "做丁。", [])]),
        ]),
        ("二、", "任务", "任务。", []),
    ]


def test_a_headline_is_the_first_sentence_or_the_first_clause_of_a_long_one():
    assert headline("加强师资。具体如下") == "加强师资"
    assert headline("  加强师资队伍建设\n第二行") == "加强师资队伍建设"
    long_clause = "加强" * 35  # 70 characters, no sentence mark
    assert headline(f"总体要求，{long_clause}。") == "总体要求"
    assert headline(f"总体，{long_clause}") == f"总体，{long_clause}"  # a clause under 4 characters is no title
    assert headline("、：，加强。") == "加强"


def test_an_item_of_a_paragraph_scoped_list_ends_with_its_paragraph():
    # the text between ① and ② belongs to neither
    assert outline("①做甲。\n中间段。\n②做乙。") == [("①", "做甲", "做甲。", []), ("②", "做乙", "做乙。", [])]


def test_a_sub_item_ends_where_the_next_item_above_it_begins():
    assert outline("一、甲。\n（一）子甲。\n（二）子乙。\n二、乙。") == [
        ("一、", "甲", "甲。\n（一）子甲。\n（二）子乙。", [("（一）", "子甲", "子甲。", []), ("（二）", "子乙", "子乙。", [])]),
        ("二、", "乙", "乙。", []),
    ]


def test_after_zuihou_a_new_shouxian_starts_a_new_list():
    assert outline("说明：首先，甲；最后，乙。首先，丙；其次，丁。") == [
        ("", "说明", "说明：", [("首先，", "甲", "甲；", []), ("最后，", "乙", "乙。", [])]),
        ("", "", "", [("首先，", "丙", "丙；", []), ("其次，", "丁", "丁。", [])]),
    ]


def test_a_passage_title_keeps_its_last_letter_and_drops_only_the_punctuation():
    assert [(p.title, p.text) for p in parse_structure("任务 X：首先，做甲；其次，做乙。\nY：首先，做丙；其次，做丁。")] == [
        ("任务 X", "任务 X："), ("Y", "Y：")]


def test_a_headline_comes_from_the_first_line_only():
    assert headline("加强师资队伍建设\n第二行\n第三行") == "加强师资队伍建设"


def test_a_sentence_of_exactly_sixty_characters_is_still_a_whole_title():
    sixty = "总体要求，" + "加" * 55
    assert len(sixty) == 60
    assert headline(sixty + "。") == sixty
    assert headline(sixty + "加。") == "总体要求"  # 61: cut at its first clause


def test_a_long_sentence_without_a_clause_mark_is_the_title_as_it_is():
    long_sentence = "加强" * 40
    assert headline(long_sentence + "。后文") == long_sentence


def test_a_headline_keeps_latin_letters_at_its_edges():
    assert headline("X 射线检测设备配备到位。") == "X 射线检测设备配备到位"
    assert headline("配备 X。") == "配备 X"


def test_yi_dun_after_a_full_stop_starts_an_item_but_not_after_a_comma():
    assert outline("前言。一、加强领导。二、完善制度。") == [
        ("一、", "加强领导", "加强领导。", []), ("二、", "完善制度", "完善制度。", [])]
    assert outline("总体要求，一、加强领导，二、完善制度。") == []


def test_article_markers_count_only_at_the_start_of_a_line():
    assert outline("按照第一条 和第二条 的规定执行。") == []


def test_circled_numbers_count_anywhere_in_a_sentence():
    assert outline("前言，①加强领导；②完善制度。") == [
        ("①", "加强领导", "加强领导；", []), ("②", "完善制度", "完善制度。", [])]


def test_chapter_article_and_numbered_markers_after_a_full_stop_are_not_markers():
    from luoshi.intake.structure import find_markers

    for text, style in (("第一章 总则", "chapter"), ("第二节 内容", "section"), ("第一条 任务", "article"),
                        ("1) 完成", "ar_rparen")):
        assert [m.style for m in find_markers(text, 0)] == [style]
        assert find_markers(f"见下文。{text}", 0) == []
        assert find_markers(f"要求：{text}", 0) == []


def test_a_number_zero_is_no_marker_and_the_markers_after_it_are_still_found():
    """(0) / 0. / （〇） are not items, but an item marker later in the same paragraph still is."""
    from luoshi.intake.structure import find_markers

    assert [(m.style, m.value) for m in find_markers("（0）无效。（1）有效", 0)] == [("ar_paren", 1)]
    assert [(m.style, m.value) for m in find_markers("0. 无效。1. 有效", 0)] == [("ar_dot", 1)]
    assert [(m.style, m.value) for m in find_markers("（〇）甲；（一）乙", 0)] == [("cn_paren", 1)]
