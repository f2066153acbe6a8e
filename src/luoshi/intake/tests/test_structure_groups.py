"""Structure (issue 13): enclosed numbers ⑴ and ⒈, a second list that has no introduction of its
own, and a sub-list that ends with the paragraph of its parent item."""

from __future__ import annotations

from luoshi.intake.structure import parse_structure


def outline(items, depth=0):
    rows = []
    for item in items:
        rows.append((depth, item.marker, item.title, item.text))
        rows.extend(outline(item.children, depth + 1))
    return rows


def test_parenthesised_and_dotted_enclosed_numbers_are_items():
    items = parse_structure("工作要求：\n⑴加强组织领导。\n⑵完善工作机制。\n⑶强化督促检查。")
    assert [(item.marker, item.title) for item in items] == [("⑴", "加强组织领导"), ("⑵", "完善工作机制"),
                                                             ("⑶", "强化督促检查")]
    items = parse_structure("工作要求：\n⒈开展专项行动。\n⒉做好总结评估。")
    assert [(item.marker, item.title) for item in items] == [("⒈", "开展专项行动"), ("⒉", "做好总结评估")]


def test_a_second_list_right_after_the_first_has_an_empty_introduction():
    # Two runs at one level (the numbering starts again at 1) become two passages; the second has
    # no paragraph of its own before it, so its introduction is empty, not the first list's last item.
    rows = outline(parse_structure("主要任务如下：\n1.加强组织领导。\n2.完善工作机制。\n3.强化督促检查。\n"
                                   "1.开展专项行动。\n2.做好总结评估。"))
    assert rows == [
        (0, "", "主要任务如下", "主要任务如下："),
        (1, "1.", "加强组织领导", "加强组织领导。"),
        (1, "2.", "完善工作机制", "完善工作机制。"),
        (1, "3.", "强化督促检查", "强化督促检查。"),
        (0, "", "", ""),
        (1, "1.", "开展专项行动", "开展专项行动。"),
        (1, "2.", "做好总结评估", "做好总结评估。"),
    ]


def test_a_sub_list_ends_with_the_paragraph_of_its_parent_item():
    # ①② belong to 一是, whose paragraph ends after ②: a ③ in the next paragraph does not reopen
    # that list; it is text of 一、 (一是 alone is no list and is dropped).
    rows = outline(parse_structure("一、总体要求\n一是加强领导，①建立机制；②明确责任。\n③完善制度。\n二、主要任务"))
    assert [(depth, marker, title) for depth, marker, title, _text in rows] == [
        (0, "一、", "总体要求"), (1, "①", "建立机制"), (1, "②", "明确责任"), (0, "二、", "主要任务")]
    assert rows[0][3].endswith("\n③完善制度。")
