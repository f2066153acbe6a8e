"""The spam judge's evidence, piece by piece (``intake/spam.py``; issue 13, mutation testing):
the structure of a line, keyword lists, the document's script, the confidence and the
neighbours of a line, each just inside and just outside its limits. The lines are written for
these tests (no brand, no sample document's wording)."""

from __future__ import annotations

import pytest

from luoshi.intake import spam
from luoshi.intake.normalise import match_key

pytestmark = pytest.mark.usefixtures("endless_loops_fail")


def structure(line: str):
    return spam.structure(match_key(line))


def keywords(line: str):
    return spam.keyword_list(match_key(line))


# Structure ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line, points, reasons", [
    ("13812345678", spam.W_PHONE_ONLY, ["line is only a phone number"]),
    ("（138 1234 5678）", spam.W_PHONE_ONLY, ["line is only a phone number"]),
    ("400-123-4567", spam.W_PHONE_ONLY, ["line is only a phone number"]),
    ("电话：13812345678", spam.W_NUMBER, ["mobile or hotline number"]),
    ("热线800 123 4567", spam.W_NUMBER, ["mobile or hotline number"]),
    ("联系电话：010-12345678", spam.W_CONTACT, ["office contact line"]),
    ("联系电话：010-12345678 13812345678", 0.0, []),
    ("办公室：12345", 0.0, []),
    ("加微信 abcde123 领取", spam.W_MESSENGER, ["messenger contact"]),
    ("太好了!!快来", 1.0, ["exclamatory slogan"]),
    ("太好了！快来", 0.0, []),
    ("甲" * 38 + "!!", 1.0, ["exclamatory slogan"]),
    ("甲" * 39 + "!!", 0.0, []),
    ("普通的一行文字", 0.0, []),
])
def test_the_structure_of_a_line(line, points, reasons):
    assert structure(line) == (points, reasons)


def test_structural_evidence_adds_up():
    assert structure("电话13812345678 加微信abcde123!!") == (
        spam.W_NUMBER + spam.W_MESSENGER + 1.0, ["mobile or hotline number", "messenger contact", "exclamatory slogan"])


# Keyword lists ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line, expected", [
    ("学校、家庭、社会、政府", (spam.W_KEYWORDS, "keyword list without verbs")),
    ("学校、家庭、社会", (0.0, None)),                                   # three tokens
    ("学校、家庭、社会、政府。", (0.0, None)),                            # a sentence mark
    ("甲、乙、丙、丁", (0.0, None)),                                     # shorter than 8
    ("甲甲、乙、丙、丁", (spam.W_KEYWORDS, "keyword list without verbs")),  # 8
    ("甲" * 8 + "、" + "乙" * 8 + "、" + "丙" * 8 + "、" + "丁" * 8, (spam.W_KEYWORDS, "keyword list without verbs")),
    ("甲" * 9 + "、" + "乙" * 8 + "、" + "丙" * 8 + "、" + "丁" * 8, (0.0, None)),   # tokens too long
    ("学校、学校、学校、家庭、社会", (spam.W_STUFFING, "repeated keywords")),
    ("甲、甲、甲、甲、乙、丙、丁、戊、己、庚", (spam.W_STUFFING, "repeated keywords")),        # 3 of 10 repeat
    ("甲、甲、甲、甲、乙、丙、丁、戊、己、庚、辛", (spam.W_KEYWORDS, "keyword list without verbs")),  # 3 of 11
    ("学校、学校、家庭、社会、政府", (spam.W_KEYWORDS, "keyword list without verbs")),   # 0.2 repeated
    ("学校、学校、学校、家庭", (spam.W_KEYWORDS, "keyword list without verbs")),          # four tokens only
    ("一号用品、二号用品、三号用品、四号用品、五号", (spam.W_STUFFING, "repeated keywords")),
    ("用品一号、用品二号、用品三号、用品四号、五号", (spam.W_STUFFING, "repeated keywords")),
    ("一号用品、二号用品、三号用品、甲乙、丙丁", (spam.W_KEYWORDS, "keyword list without verbs")),
    ("用品一号、用品二号、用品三号、甲乙、丙丁", (spam.W_KEYWORDS, "keyword list without verbs")),  # 3 of 5
    ("甲用品、乙用品、丙用品、丁用品、戊", (spam.W_STUFFING, "repeated keywords")),   # words of 3 share
    ("用品甲、用品乙、用品丙、用品丁、戊", (spam.W_STUFFING, "repeated keywords")),
    ("甲乙、丙乙、丁乙、戊乙、己", (spam.W_KEYWORDS, "keyword list without verbs")),   # of 2 do not
    ("一号用品、二号用品、三号用品、四号用品、甲、乙、丙、丁、戊", (spam.W_KEYWORDS, "keyword list without verbs")),
    ("一号用品、二号用品、三号用品、四号用品、甲、乙、丙、丁", (spam.W_STUFFING, "repeated keywords")),
    ("推进改革、加强管理、完善制度、落实责任", (0.0, None)),
    ("推进改革、加强管理、学校、家庭、社会", (spam.W_KEYWORDS, "keyword list without verbs")),
    ("推进改革、加强管理、完善制度、学校、家庭", (0.0, None)),             # 40 % without a verb
])
def test_keyword_lists(line, expected):
    assert keywords(line) == expected


def test_a_keyword_list_may_be_four_hundred_characters_long():
    line = "甲乙丙丁、" * 80
    assert len(line) == 400 and spam.keyword_list(line)[0] > 0
    assert spam.keyword_list(line + "甲")[0] == 0.0


# The document's script ---------------------------------------------------------------------------------------

def test_a_document_needs_twenty_marked_characters_for_its_script_to_count():
    assert spam.document_script(["關" * 19]) is None
    assert spam.document_script(["關" * 10, "關" * 10]) == "traditional"
    assert spam.document_script(["关" * 20]) == "simplified"


def test_a_script_counts_from_four_fifths_of_the_marked_characters():
    assert spam.document_script(["關" * 16 + "关" * 4]) == "traditional"
    assert spam.document_script(["關" * 15 + "关" * 5]) is None
    assert spam.document_script(["关" * 16 + "關" * 4]) == "simplified"
    assert spam.document_script(["关" * 15 + "關" * 5]) is None


def test_a_line_breaks_the_script_of_its_document():
    assert spam._script_break("关于", "traditional") and not spam._script_break("关", "traditional")
    assert not spam._script_break("关于關", "traditional")
    assert spam._script_break("關於學", "simplified") and not spam._script_break("關於", "simplified")
    assert not spam._script_break("關於學关", "simplified")
    assert not spam._script_break("關於學", None) and not spam._script_break("关于", None)


# Confidence, neighbours, the document's share ------------------------------------------------------------------

def test_the_confidence_is_the_logistic_of_half_the_evidence_and_stays_finite():
    assert spam.confidence(0.0) == 0.5
    assert round(spam.confidence(spam.FLAG_AT), 2) == 0.73 and round(spam.confidence(spam.REMOVE_AT), 2) == 0.95
    assert spam.confidence(60.0) == spam.confidence(1e6) == 1.0 / (1.0 + 2.718281828459045 ** -30.0)
    assert spam.confidence(-60.0) == spam.confidence(-1e6) == pytest.approx(9.357622968839299e-14)
    assert spam.confidence(58.0) < spam.confidence(60.0)
    assert spam.confidence(-58.0) > spam.confidence(-60.0)


def test_the_neighbours_of_a_line_skip_empty_lines():
    assert spam._neighbours(["甲", "", "乙", "", "丙"], 2) == [0, 4]
    assert spam._neighbours(["甲", "乙"], 0) == [1] and spam._neighbours(["甲", "乙"], 1) == [0]
    assert spam._neighbours(["", "甲", ""], 1) == []


def test_what_the_document_adds_to_a_lines_evidence():
    reasons = ["reads like advertising", "keyword list without verbs", "after the last sentence of the document",
               "next to an advertisement"]
    assert spam._document_points(reasons) == spam.W_KEYWORDS + spam.W_MARGIN + spam.W_NEIGHBOUR
    assert spam._document_points(["repeated keywords", "before the first sentence of the document"]) == (
        spam.W_STUFFING + spam.W_MARGIN)
    assert spam._document_points(["line is only a phone number"]) == 0.0
    assert spam._document_points(["exclamatory slogan", "slogan next to an advertisement"]) == spam.W_SLOGAN
