"""Structure: enumerations of every style, inline and nested, and their groups."""

from __future__ import annotations

from luoshi.intake import Item, parse_document
from luoshi.intake.structure import headline, parse_structure

from .conftest import fixture_text


def outline(items: list[Item]) -> list:
    return [(item.marker, outline(item.children)) if item.children else item.marker for item in items]


def test_it_finds_the_three_separate_enumerations_of_a_conference_report() -> None:
    items = parse_structure(fixture_text("conference_report.txt"))
    assert [item.marker for item in items] == ["", "", ""]
    attributes, tasks, requirements = items
    assert [c.marker for c in attributes.children] == ["一是", "二是", "三是"]
    assert [c.marker for c in tasks.children] == [f"{n}要" for n in "一二三四五六七"]
    assert [c.marker for c in requirements.children] == ["首先，", "其次，", "再次，", "最后，"]
    assert attributes.title == "准确把握教育工作的三个属性"
    assert tasks.title == "会议部署了2024年七项重点任务"
    assert tasks.text == "会议部署了2024年七项重点任务。"
    assert requirements.title == "会议强调，抓落实要做到四个方面"


def test_it_gives_each_item_a_headline_and_its_full_text() -> None:
    attributes, tasks, requirements = parse_structure(fixture_text("conference_report.txt"))
    first = attributes.children[0]
    assert first.title == "政治属性，始终坚持党对教育工作的全面领导"
    assert first.text == "政治属性，始终坚持党对教育工作的全面领导；"
    last = attributes.children[2]
    assert last.text.endswith("把教育摆在优先发展的位置。进一步提高认识是做好工作的前提之一是大家的共识。")
    assert tasks.children[6].title == "建设高素质教师队伍，弘扬教育家精神"
    assert requirements.children[3].text == "总结形成可复制可推广的解决方案。"


def test_it_ignores_words_that_merely_contain_marker_characters() -> None:
    assert parse_structure(fixture_text("false_friends.txt")) == []
    assert parse_structure(fixture_text("no_structure.txt")) == []


def test_it_nests_headings_of_five_styles() -> None:
    items = parse_structure(fixture_text("plan_nested.txt"))
    assert outline(items) == [
        ("一、", ["（一）", "（二）"]),
        ("二、", [
            ("（一）", ["1.", ("2.", ["（1）", "（2）"])]),
            ("（二）", ["1.", ("2.", ["①", "②", "③"])]),
        ]),
        "三、",
    ]
    task = items[1].children[1].children[1]
    assert task.title == "完善教师培训体系"
    assert [c.title for c in task.children] == ["开展新教师入职培训", "实施骨干教师研修计划", "建立名师工作室"]
    assert items[2].text == "保障措施\n各地要加强组织领导，把优质均衡发展纳入政府督导考核。\n某省教育厅\n2024年3月5日"


def test_it_nests_by_order_of_appearance_not_by_a_fixed_ranking() -> None:
    items = parse_structure(fixture_text("order_nesting.txt"))
    assert outline(items) == [("（1）", ["1.", "2."]), ("（2）", ["1.", "2.", "3."])]
    assert items[1].title == "课后服务内容"


def test_it_reads_chapters_and_articles() -> None:
    items = parse_structure(fixture_text("regulation.txt"))
    assert outline(items) == [("第一章", ["第一条", "第二条"]), ("第二章", ["第三条", "第四条"])]
    assert items[0].children[0].title == "为加强中小学校园安全管理，保障师生安全，制定本办法"


def test_it_finds_inline_runs_in_one_paragraph() -> None:
    text = "今年重点抓好三件事：一是扩大学位供给；二是加强教师培训；三是推进数字化。"
    items = parse_structure(text)
    assert [c.marker for c in items] == ["一是", "二是", "三是"]
    assert [c.title for c in items] == ["扩大学位供给", "加强教师培训", "推进数字化"]


def test_it_finds_inline_numbered_runs() -> None:
    text = "主要措施包括：（1）完善制度；（2）加强督导；（3）强化问责。其他事项另行通知。"
    assert [c.marker for c in parse_structure(text)] == ["（1）", "（2）", "（3）"]
    text = "工作要求如下：第一，提高认识。第二，压实责任。第三，加强宣传。"
    assert [c.title for c in parse_structure(text)] == ["提高认识", "压实责任", "加强宣传"]


def test_it_continues_an_inline_run_in_the_next_paragraph() -> None:
    text = "具体要求：一是加强领导；二是完善机制。\n三是强化保障，确保落实。\n会议还通报了其他情况。"
    items = parse_structure(text)
    assert [c.marker for c in items] == ["一是", "二是", "三是"]
    assert items[2].text == "强化保障，确保落实。"


def test_it_needs_consecutive_markers() -> None:
    assert parse_structure("工作分为：一是准备；三是总结。") == []
    assert parse_structure("其次是要注意安全。最后要总结经验。") == []
    text = "一、总体要求\n二、主要任务\n四、保障措施"
    assert [c.marker for c in parse_structure(text)] == ["一、", "二、"]


def test_it_keeps_a_lone_heading_but_not_a_lone_weak_marker() -> None:
    assert [c.marker for c in parse_structure("一、总体要求\n坚持稳中求进。")] == ["一、"]
    assert parse_structure("1.坚持稳中求进。") == []
    assert parse_structure("会议要求，一是要加强领导。") == []


def test_it_accepts_a_run_that_starts_after_one_on_its_own_lines() -> None:
    text = "（三）完善保障机制。\n（四）加强宣传引导。"
    assert [c.marker for c in parse_structure(text)] == ["（三）", "（四）"]


def test_it_starts_a_new_group_when_a_style_restarts() -> None:
    text = ("一是加强领导，二是完善制度。\n"
            "会议还要求：\n"
            "一是强化督导，二是严格问责，三是及时通报。")
    items = parse_structure(text)
    assert [item.marker for item in items] == ["", ""]
    assert [len(item.children) for item in items] == [2, 3]
    assert items[0].text == "" and items[1].title == "会议还要求"


def test_it_does_not_read_numbers_as_markers() -> None:
    text = "经费增长2.5个百分点。\n1、2、3年级实行弹性放学。\n2024.1.5起执行。"
    assert parse_structure(text) == []


def test_it_finds_markers_in_traditional_script() -> None:
    text = "主要任務：一是加強領導；二是完善機制。\n首先，明確目標；其次，壓實責任；最後，加強督導。"
    items = parse_structure(text)
    assert [[c.marker for c in group.children] for group in items] == [
        ["一是", "二是"], ["首先，", "其次，", "最後，"]]


def test_it_parses_after_conversion_to_simplified() -> None:
    document = parse_document(fixture_text("traditional_mixed.txt"), to_simplified=True)
    assert [item.title for item in document.items] == ["总体要求", "重点任务"]


def test_headline_takes_the_first_sentence_or_a_long_first_clause() -> None:
    assert headline("总体要求\n坚持稳中求进。") == "总体要求"
    assert headline("指导思想。坚持以人民为中心。") == "指导思想"
    long_sentence = "坚持" + "以人民为中心的发展思想" * 6 + "，推动发展。"
    assert headline(long_sentence) == long_sentence.split("，")[0]


def test_it_returns_json_ready_items() -> None:
    item = parse_structure("一、总体要求\n（一）指导思想。")[0]
    assert item.to_dict() == {
        "marker": "一、", "title": "总体要求", "text": "总体要求\n（一）指导思想。",
        "children": [{"marker": "（一）", "title": "指导思想", "text": "指导思想。", "children": []}],
    }


def test_it_reads_dun_paren_space_and_di_styles() -> None:
    items = parse_structure(fixture_text("styles_misc.txt"))
    # Each style seen for the first time nests under the item open at that point.
    assert outline(items) == [
        ("1、", ["(1)", "(2)"]),
        ("2、", ["(一)", ("(二)", ["1", ("2", ["第一，", "第二，", "第三，"])])]),
    ]
    tasks = items[1].children[1].children
    assert [c.title for c in tasks] == ["完善体育设施", "加强体育教师配备"]
    di = tasks[1].children
    assert [c.title for c in di] == ["落实每天一小时校园体育活动", "建立学生体质健康档案", "定期向家长反馈测试结果"]
    assert di[2].text == "定期向家长反馈测试结果。"
