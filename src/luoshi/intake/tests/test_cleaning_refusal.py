"""intake/cleaning.py: when a document is refused as spam, at the edge of each rule (issue 13).

A document is refused when its spam is at least half of the text (non-space characters), or
when what remains has fewer than ten Han characters; a document without any spam is never
refused here. The message names the share, which the reader sees on the upload page and the
CLI prints (exit code 3).
"""

from __future__ import annotations

import pytest

from luoshi.intake import cleaning
from luoshi.intake.errors import SpamDocumentError

HAN_20 = "教育" * 10  # 20 Han characters of real text


def refuses(clean_text: str, spam_chars: int) -> str | None:
    try:
        cleaning._refuse_spam(clean_text, spam_chars, "doc.txt")
    except SpamDocumentError as refused:
        assert refused.exit_code == 3 and refused.filename == "doc.txt"
        return refused.problem
    return None


def test_spam_of_exactly_half_the_text_is_refused_and_just_under_half_is_kept():
    assert refuses(HAN_20, 20) == "refused: 50% of the text is spam or advertising"
    assert refuses(HAN_20, 19) is None
    assert refuses(HAN_20 + "教育", 21) is None  # 21 of 43
    assert refuses(HAN_20 + "教", 21) == "refused: 50% of the text is spam or advertising"  # 21 of 42


def test_the_share_counts_characters_not_spaces():
    spaced = " ".join(HAN_20)  # 20 characters and 19 spaces: still 20
    assert refuses(spaced, 20) == "refused: 50% of the text is spam or advertising"
    assert refuses(spaced, 19) is None
    assert refuses("\n".join([HAN_20[:10], HAN_20[10:]]), 19) is None


def test_the_refusal_names_the_share_rounded_to_whole_percent():
    assert refuses(HAN_20, 60) == "refused: 75% of the text is spam or advertising"
    assert refuses(HAN_20, 1000) == "refused: 98% of the text is spam or advertising"


def test_a_little_spam_refuses_a_text_with_fewer_than_ten_han_characters():
    assert refuses("教育" * 5, 1) is None  # exactly ten Han characters remain
    assert refuses("教育" * 4 + "教", 1) == "refused: 10% of the text is spam or advertising"
    assert refuses("ABC 教育教育教育教育教育 DEF。", 1) is None  # ten, with Latin letters between
    assert refuses("Latin text only, long enough to outweigh the spam", 1) is not None


def test_a_document_without_spam_is_never_refused_here():
    assert refuses("", 0) is None
    assert refuses("short", 0) is None


def test_clean_refuses_a_document_that_is_only_advertising():
    ad = "加微信 abc12345 领取高额返利，博彩日赚千元，点击链接立即注册！\n"
    with pytest.raises(SpamDocumentError, match=r"refused: \d+% of the text is spam or advertising"):
        cleaning.clean(ad * 20, filename="ad.txt")


# -- cuts inside a kept line: what the reader sees removed, and what counts as spam ----------

from luoshi.intake.boilerplate import LinePlan  # noqa: E402
from luoshi.intake.model import Removal  # noqa: E402


def cut(line: str, cuts, reason: str = "", confidence: float | None = None):
    removed: list[Removal] = []
    kept, spam_chars = cleaning._cut(line, LinePlan(None, list(cuts), reason, confidence), removed)
    return kept, spam_chars, removed


def test_a_spam_span_is_cut_out_of_the_line_and_reported_with_its_reason_and_confidence():
    line = "加强师资建设。加微信 abc 领返利。落实经费保障。"
    start, end = line.index("加微信"), line.index("落实")
    kept, spam_chars, removed = cut(line, [(start, end, "spam")], "advertising", 0.97)
    assert kept == "加强师资建设。落实经费保障。"
    assert removed == [Removal("spam", "加微信 abc 领返利。", "advertising", 0.97)]
    assert spam_chars == len("加微信abc领返利。")  # spaces do not count


def test_other_cuts_are_reported_without_reason_and_do_not_count_as_spam():
    line = "全文完。（责任编辑：张三）"
    start = line.index("（")
    kept, spam_chars, removed = cut(line, [(start, len(line), "page_meta")], "ignored", 0.5)
    assert kept == "全文完。"
    assert removed == [Removal("page_meta", "（责任编辑：张三）")]
    assert spam_chars == 0


def test_overlapping_and_empty_cuts_remove_each_character_once_and_keep_the_rest():
    line = "甲乙丙丁戊己庚"
    kept, spam_chars, removed = cut(line, [(1, 3, "spam"), (2, 4, "spam"), (5, 5, "spam"), (6, 7, "page_meta")])
    assert kept == "甲戊己"
    assert [r.text for r in removed] == ["乙丙", "丁", "庚"]
    assert spam_chars == 3


def test_a_cut_of_only_spaces_is_not_reported_and_trimming_keeps_ascii_tabs_apart():
    kept, spam_chars, removed = cut("甲\u3000 \t乙", [(1, 4, "spam")])
    assert (kept, spam_chars, removed) == ("甲乙", 0, [])
    kept, _spam, removed = cut("甲\u3000x\u3000乙", [(1, 4, "spam")])
    assert removed == [Removal("spam", "x")]  # the ideographic spaces around it are trimmed
