"""The spam judge's sentence-by-sentence reading of paragraphs (``intake/spam.py``'s
``_judge_sentences``; issue 13, mutation testing), with models written for these tests so that
every reading is known exactly: the removal bar of a sentence, the quick reading on character
pairs that skips clearly official sentences of long paragraphs (``QUICK_GATE``), the fallback
when normalisation changes the number of sentence marks, and ``looks_like_spam`` at its bar.

In the test model only the n-grams listed have a weight (the rest count as nothing), so a
sentence's reading is 3 × the mean of the weights of its known n-grams (``spammodel.TEMPER``)."""

from __future__ import annotations

import pytest

from luoshi.intake import boilerplate, spam, spammodel

pytestmark = pytest.mark.usefixtures("endless_loops_fail")

RATIO = {
    "政": -1.0,                                  # filler: reads as official text
    "赢": 2.0,                                   # 3 × 2.0 = 6.0 for a sentence of them
    "甲": 10.0, "甲甲": -3.0,                    # pairs -9 (quick: official), in full 11.35
    "丙": 20.0, "乙丙": -100.0,                  # one very official pair at the sentence's start
    "丁": 8.0, "戊": 8.0, "己": 8.0, "庚": 8.0,  # pairs exactly -8, in full 3 × 24 / 7
    "丁戊": -3.0, "戊己": -3.0, "己庚": -2.0,
    "干": 20.0,                                  # the character table's 干 of 乾隆
    "癸": 10.0, "癸癸": -1.5,                    # pairs -4.5, in full 13.1
    "子": 20.0, "子子": -4.0,                    # pairs -12, in full 27.3 (both damped when short)
    "丑": 20.0, "^丑": -300.0,                   # a line's first pair decides its quick reading
    "卯": 20.0, "卯$": -300.0,                   # and its last
    "亥": -10.0,                                 # very official
    "寅": 1.0, "寅寅": 0.0,                      # 寅寅 reads 3 × 2 / 3 = 2.0
    "关": 1.0, "关关": 0.0,                      # so does 關關 (关关 in its key)
    "辰": 0.0,                                   # 寅辰辰 reads 3 × 1 / 3 = 1.0
}
# Categories: nothing known but Latin-shaped runs ("x") in the adult table; a text of Han only
# is then gambling (the first class at equal scores).
TABLES = {name: {} for name in spammodel.SPAM_CLASSES} | {"adult": {"x": 0.0, "xx": 0.0, "xxx": 0.0}}
MODEL = spammodel.Model(RATIO, TABLES, {name: -10.0 for name in spammodel.SPAM_CLASSES})

FILLER = "政" * 19 + "。"
AT_BAR = "赢" * 12 + "电话13812345678!!"          # 6.0 + a mobile number 3.0 + exclamation 1.0 = 10.0
SKIPPED = "甲" * 12 + "。"                          # pairs -9: skipped on the quick reading
FIRST_PAIR = "乙" + "丙" * 11 + "。"                # its first pair -300, the rest unknown; in full 30
AT_GATE = "丁戊己庚" + "辛" * 8 + "。"              # pairs exactly -8.0; in full 10.29


@pytest.fixture(autouse=True)
def model():
    with spammodel.using(MODEL):
        yield


def judge(lines: list[str], **kwargs) -> dict[int, tuple]:
    body = [boilerplate.is_body(line) for line in lines]
    return {index: (j.action, j.category, round(j.confidence, 6), j.reasons, j.spans, j.strong)
            for index, j in spam.judge_document(lines, body, **kwargs).items()}


def cut(spans, total: float, category: str = "gambling") -> tuple:
    return ("remove", category, round(spam.confidence(total), 6), ("advertising sentence in a paragraph",),
            tuple(spans), True)


def where(paragraph: str, sentence: str, start: int = 0) -> tuple[int, int]:
    begin = paragraph.index(sentence, start)
    return begin, begin + len(sentence)


# The removal bar of a sentence (a paragraph of 61 to 200 characters: read in full) -----------------

def test_a_sentence_at_the_bar_is_cut_out_of_its_paragraph():
    paragraph = "政" * 30 + "。" + AT_BAR + "政" * 30 + "。"
    assert spam.SENTENCE_LINE_MIN < len(paragraph) <= spam.WHOLE_LINE_MAX
    assert judge([paragraph]) == {0: cut([where(paragraph, AT_BAR)], 10.0)}


@pytest.mark.parametrize("weight, removed", [(1.99, False), (2.0, True), (2.01, True)])
def test_a_sentence_just_under_the_bar_stays(weight, removed):
    paragraph = "政" * 30 + "。" + AT_BAR + "政" * 30 + "。"
    model = spammodel.Model(RATIO | {"赢": weight}, TABLES, MODEL.unseen)
    with spammodel.using(model):
        result = judge([paragraph])
    assert (result != {}) is removed
    if removed:
        assert result[0][4] == (where(paragraph, AT_BAR),)


def test_two_ad_sentences_are_cut_out_together_and_named_by_their_own_text():
    paragraph = AT_BAR + "政" * 60 + "。" + AT_BAR + "政" * 60 + "。"
    assert len(paragraph) <= spam.WHOLE_LINE_MAX
    first, second = where(paragraph, AT_BAR), where(paragraph, AT_BAR, 1)
    assert judge([paragraph]) == {0: cut([first, second], 10.0, "gambling")}


# The quick reading of long paragraphs (over 200 characters) ---------------------------------------------

def long_paragraph(*sentences: str) -> str:
    paragraph = "".join(sentences) + FILLER * 10
    assert len(paragraph) > spam.WHOLE_LINE_MAX
    return paragraph


def test_a_sentence_whose_pairs_read_as_clearly_official_is_not_read_further():
    # In full it would be cut (11.35): the quick reading on character pairs (-9) decides.
    assert spam.model_logit(MODEL, SKIPPED) == pytest.approx(3 * (120 - 33) / 23)
    assert judge([long_paragraph(SKIPPED)]) == {}
    assert judge([long_paragraph(FILLER, SKIPPED)]) == {}
    assert judge([long_paragraph(FILLER * 3, SKIPPED, FILLER)]) == {}


def test_a_sentence_skipped_on_its_pairs_does_not_stop_the_reading_of_the_next():
    paragraph = long_paragraph(FILLER, SKIPPED, AT_BAR, FILLER)
    assert judge([paragraph]) == {0: cut([where(paragraph, AT_BAR)], 10.0)}


def test_the_quick_reading_takes_the_pairs_inside_the_sentence():
    # The sentence's first pair (乙丙, -100) is inside it and makes it clearly official; the pair
    # before it (。乙) and the one across its start are not part of it.
    assert judge([long_paragraph(FILLER, FIRST_PAIR)]) == {}
    assert judge([long_paragraph(FIRST_PAIR)]) == {}


def test_a_sentence_whose_pairs_read_exactly_at_the_gate_is_read_in_full():
    paragraph = long_paragraph(FILLER, AT_GATE)
    assert judge([paragraph]) == {0: cut([where(paragraph, AT_GATE)], 3 * 24 / 7)}


def test_short_paragraphs_are_read_sentence_by_sentence_in_full():
    # (Once the whole line is not clearly official: here the number makes it read in full. It
    # stands between two paragraphs of the document, not in its margin.)
    # The confidence is that of the strongest sentence cut out.
    paragraph = FILLER * 3 + AT_BAR + SKIPPED
    assert spam.SENTENCE_LINE_MIN < len(paragraph) <= spam.WHOLE_LINE_MAX
    assert judge([FILLER * 2, paragraph, FILLER * 2]) == {
        1: cut([where(paragraph, AT_BAR), where(paragraph, SKIPPED)], 3 * (120 - 33) / 23)}


# When normalisation changes the number of sentence marks ------------------------------------------------
# "﹖" (a small question mark) is no sentence mark of the line, but its key (NFKC) has "?": the
# line's sentences and its key's no longer match one for one, so each sentence is keyed on its own
# and read in full.

def test_a_paragraph_whose_key_has_more_sentence_marks_is_read_sentence_by_sentence_in_full():
    paragraph = "政" * 20 + "﹖" + "政" * 20 + "。" + AT_BAR + "政" * 20 + "。"
    assert spam.SENTENCE_LINE_MIN < len(paragraph) <= spam.WHOLE_LINE_MAX
    assert judge([paragraph]) == {0: cut([where(paragraph, AT_BAR)], 10.0)}


def test_a_long_paragraph_whose_key_has_more_sentence_marks_skips_no_sentence():
    paragraph = long_paragraph("政" * 20 + "﹖" + "政" * 20 + "。", SKIPPED)
    assert judge([paragraph]) == {0: cut([where(paragraph, SKIPPED)], 3 * (120 - 33) / 23)}


# A sentence is read in its line's key ------------------------------------------------------------------

def test_a_sentence_is_read_in_the_key_the_cleaning_gave_its_line():
    # The cleaning's keys are converted phrase by phrase (乾隆 stays 乾隆); the character table
    # would make 干隆 of it, which this model reads as spam.
    paragraph = "政" * 30 + "。" + "乾隆" * 6 + "。" + "政" * 30 + "。"
    keys = boilerplate.keys_of([paragraph])
    assert "乾隆" in keys[0] and "干" in spam.match_key(paragraph)
    assert judge([paragraph], simplified=keys) == {}


# looks_like_spam at its bar (REMOVE_AT, 6.0), with the damping of short values ------------------------------

@pytest.mark.parametrize("text, spammy", [
    ("赢" * 12, True),                  # 6.0
    ("赢" * 6, False),                  # damped by half: 3.0
    ("13812345678", True),              # a phone number alone: 6.0
    ("电话13812345678", False),          # 3.0
])
def test_a_source_name_at_the_removal_bar(text, spammy):
    assert spam.looks_like_spam(text) is spammy


def test_a_short_source_name_is_damped_to_the_bar():
    model = spammodel.Model(RATIO | {"赢": 4.0}, TABLES, MODEL.unseen)
    with spammodel.using(model):
        assert spam.looks_like_spam("赢" * 6)        # 12.0 damped by half: 6.0
        assert not spam.looks_like_spam("赢" * 5)    # 12.0 × 5/12: 5.0


# A line that holds a sentence reading as official text is never removed whole ---------------------------------
# (the sentence's own reading below 0; 辛 is unknown to the model: a sentence of it reads 0.0)

def around(line: str) -> list[str]:
    return [FILLER * 2, line, FILLER * 2]   # between two paragraphs: no margin


@pytest.mark.parametrize("sentence, action", [
    ("辛" * 12 + "。", "remove"),             # reads 0.0: not official
    ("政" + "辛" * 11 + "。", "flag"),        # reads -3.0
])
def test_a_line_at_the_bar_holding_an_official_sentence_is_flagged(sentence, action):
    line = sentence + "赢" * 12 + "13812345678"
    [(index, judgement)] = judge(around(line)).items()
    assert index == 1 and judgement[0] == action
    assert judgement[3] == ("reads like advertising", "mobile or hotline number")


def test_a_line_holding_an_official_sentence_next_to_an_ad_is_flagged():
    line = "政政。" + "赢" * 12                  # its sentence reads -0.75; the line 4.71
    result = judge([FILLER * 2, "13812345678", line, FILLER * 2])
    assert result[1][0] == "remove"
    assert result[2][0] == "flag" and result[2][3] == ("reads like advertising", "next to an advertisement")
    assert result[2][2] == round(spam.confidence(3 * 22 / 14 + spam.W_NEIGHBOUR), 6)


def test_ad_sentences_are_cut_out_of_a_paragraph_that_holds_an_official_one():
    # The paragraph as a whole reaches the removal bar (7.2); its official sentences keep it, and
    # its ad sentences are cut out.
    paragraph = "政政政。" + AT_BAR + "政政政。" + AT_BAR
    assert len(paragraph) > spam.SENTENCE_LINE_MIN
    first, second = where(paragraph, AT_BAR), where(paragraph, AT_BAR, 5)
    assert judge(around(paragraph)) == {1: cut([first, second], 10.0)}


# The quick reading of a whole line ----------------------------------------------------------------------------

def test_a_line_whose_pairs_do_not_read_as_clearly_official_is_read_in_full():
    assert judge(around("癸" * 24)) == {
        1: ("remove", "gambling", round(spam.confidence(3 * (240 - 34.5) / 47), 6), ("reads like advertising",), (),
            True)}


def test_the_quick_reading_of_a_short_line_is_damped_too():
    # Pairs -12, damped by half: -6, not clearly official; in full 27.3 damped by half.
    assert judge(around("子" * 6)) == {
        1: ("remove", "gambling", round(spam.confidence(3 * 100 / 11 / 2), 6), ("reads like advertising",), (), True)}


def test_a_long_line_whose_pairs_read_exactly_at_the_gate_is_read_in_full():
    line = "丁戊己庚" + "辛" * 197 + "。"
    assert len(line) > spam.WHOLE_LINE_MAX
    assert judge(around(line)) == {
        1: ("remove", "gambling", round(spam.confidence(3 * 24 / 7), 6), ("reads like advertising",), (), True)}


@pytest.mark.parametrize("line", ["丑" * 201, "卯" * 201])
def test_the_quick_reading_of_a_long_line_takes_its_first_and_last_pairs(line):
    # Its first (or last) pair makes the line clearly official as a whole; read as one sentence
    # (no sentence mark), its inner pairs are unknown, so it is read in full and cut out.
    assert judge(around(line)) == {1: cut([(0, 201)], 3 * (4020 - 300) / 202)}


@pytest.mark.parametrize("extra, both", [(0, True), (1, False)])
def test_paragraphs_up_to_200_characters_are_read_by_sentence_in_full(extra, both):
    # Up to 200 characters every sentence is read in full (once the line is not clearly official
    # as a whole); over 200 each is screened by its pairs first, and SKIPPED is not read further.
    paragraph = AT_BAR + SKIPPED + FILLER * 8 + "政" * extra
    assert len(paragraph) == 200 + extra
    bar, skipped = where(paragraph, AT_BAR), where(paragraph, SKIPPED)
    expected = cut([bar, skipped], 3 * (120 - 33) / 23) if both else cut([bar], 10.0)
    assert judge(around(paragraph)) == {1: expected}


def test_a_keyword_list_joined_by_bars_counts_its_words_without_the_bars():
    # Four words of 7 characters (the longest mean a keyword list allows is 8).
    line = "春夏秋冬东南西|北上下左右前后|金木水火土日月|山川河湖海江洋"
    assert judge(around(line)) == {
        1: ("flag", "gambling", round(spam.confidence(spam.W_KEYWORDS), 6), ("keyword list without verbs",), (),
            False)}


def test_a_long_line_with_structural_evidence_is_always_read_in_full():
    # Over 200 characters, but its key (spaces between Han characters dropped) is short enough
    # for two exclamation marks to count (+1): then its pairs (-12) do not spare it the full
    # reading (36, undamped on the long path).
    line = "子" + " " * 197 + "子!!"
    assert len(line) > spam.WHOLE_LINE_MAX and spam.match_key(line) == "子子!!"
    assert judge(around(line)) == {
        1: ("remove", "gambling", round(spam.confidence(37.0), 6), ("reads like advertising", "exclamatory slogan"),
            (), True)}


@pytest.mark.parametrize("line, expected", [
    ("子" * 12, None),                        # pairs -12: clearly official, not read further
    ("子" * 12 + "!!", 3 * (240 - 44) / 23 + 1.0),   # the same with structural evidence: read in full
    ("丁戊己庚" + "辛" * 8, 3 * 24 / 7),      # pairs exactly -8: read in full
])
def test_a_line_is_read_in_full_unless_its_pairs_read_as_clearly_official(line, expected):
    result = judge(around(line))
    if expected is None:
        assert result == {}
    else:
        assert result[1][:3] == ("remove", "gambling", round(spam.confidence(expected), 6))


@pytest.mark.parametrize("official, cut_out", [(52, True), (53, False)])
def test_a_paragraph_is_read_by_sentence_from_minus_five(official, cut_out):
    # 干 × 20 and 亥 × 52 read exactly -5.0 as a whole (3 × (400 − 520) / 72); one more 亥 is under.
    paragraph = "干" * 20 + "。" + "亥" * official + "。"
    expected = {1: cut([(0, 21)], 60.0)} if cut_out else {}
    assert judge(around(paragraph)) == expected


@pytest.mark.parametrize("length, cut_out", [(60, False), (61, True)])
def test_paragraphs_over_60_characters_are_read_by_sentence(length, cut_out):
    paragraph = AT_BAR + "政" * (length - len(AT_BAR) - 1) + "。"
    assert len(paragraph) == length
    [(index, judgement)] = judge(around(paragraph)).items()
    assert judgement[0] == ("remove" if cut_out else "flag")
    assert judgement[4] == ((where(paragraph, AT_BAR),) if cut_out else ())


def test_a_line_reading_exactly_at_the_flagging_bar_reads_like_advertising():
    assert judge(around("寅寅" + "辛" * 10)) == {
        1: ("flag", "gambling", round(spam.confidence(2.0), 6), ("reads like advertising",), (), False)}


# The document's own text: its body lines that do not read as spam ------------------------------------------

@pytest.mark.parametrize("line, total, reasons", [
    ("寅寅" + "辛" * 13 + "。", 2.0, ("reads like advertising",)),   # exactly at the flagging bar
    ("赢" * 15 + "。", 6.0, ("reads like advertising",)),
])
def test_a_paragraph_reading_as_spam_is_not_the_documents_text(line, total, reasons):
    # A paragraph at the end that reads as spam is not the document's last sentence: the
    # document ends before it, so it lies in the margin.
    assert boilerplate.is_body(line)
    [(index, judgement)] = judge([FILLER * 2, line]).items()
    assert index == 1
    assert judgement[2:4] == (round(spam.confidence(total + spam.W_MARGIN), 6),
                              reasons + ("after the last sentence of the document",))


# The document's script: read from its lines that do not read as spam ------------------------------------------

def test_a_line_at_the_flagging_bar_does_not_count_for_the_documents_script():
    # 16 traditional characters of text, 2 in a line reading 2.0, 2 simplified in a line of text:
    # 18 marked characters are too few for the script to count (20), so 这个 breaks nothing.
    lines = ["國" * 16 + "。", "關關" + "辛" * 10, "这个" + "辛" * 10]
    result = judge(lines)
    assert 2 not in result
    assert result[1][2:4] == (round(spam.confidence(2.0 + spam.W_MARGIN), 6),
                              ("reads like advertising", "after the last sentence of the document"))


def test_the_script_break_adds_to_a_lines_other_evidence():
    line = "这个" + "赢" * 12                     # 6.0 of its own, 6.0 for its script
    assert judge(["國" * 20 + "。", line, "國" * 20 + "。"]) == {
        1: ("remove", "gambling", round(spam.confidence(12.0), 6),
            ("reads like advertising", "script differs from the traditional document"), (), True)}


# Lines after a paragraph with an ad sentence, and ads in blocks ---------------------------------------------

PHONE = "13812345678"                  # the removal bar on its structure alone
LITTLE = "寅辰辰" + "辛" * 9           # reads 1.0: some evidence, below the flagging bar
MESSENGER = "加微信abcde123"           # 3.0


def test_the_lines_after_a_paragraph_with_an_ad_sentence_are_judged_too():
    paragraph = "政" * 30 + "。" + AT_BAR + "政" * 30 + "。"
    assert judge([FILLER * 2, paragraph, "赢" * 15 + "。", FILLER * 2]) == {
        1: cut([where(paragraph, AT_BAR)], 10.0),
        2: ("remove", "gambling", round(spam.confidence(6.0), 6), ("reads like advertising",), (), True)}


def test_the_least_evidence_next_to_an_ad_makes_a_line_part_of_it():
    assert judge([FILLER * 2, PHONE, LITTLE, FILLER * 2])[2] == (
        "flag", "gambling", round(spam.confidence(4.0), 6), ("next to an advertisement",), (), False)


def test_a_line_is_boosted_once_though_the_block_grows_elsewhere():
    # The messenger line becomes an ad in the first pass, so a second pass is made; LITTLE was
    # boosted in the first and stays a flag (a second boost would make it 7.0).
    result = judge([FILLER * 2, PHONE, LITTLE, FILLER * 2, PHONE, MESSENGER, FILLER * 2])
    assert result[5][0] == "remove"
    assert result[2] == ("flag", "gambling", round(spam.confidence(4.0), 6), ("next to an advertisement",), (), False)


@pytest.mark.parametrize("length, slogan", [(40, True), (41, False)])
def test_a_slogan_is_at_most_40_characters(length, slogan):
    line = "辛" * (length - 1) + "!"             # no evidence of its own
    result = judge([FILLER * 2, PHONE, line, FILLER * 2])
    if slogan:
        assert result[2] == ("flag", "gambling", round(spam.confidence(spam.W_SLOGAN), 6),
                             ("slogan next to an advertisement",), (), False)
    else:
        assert 2 not in result


def test_a_slogan_reaching_exactly_the_flagging_bar_is_flagged():
    line = "政" * 12 + "!"                      # reads -3.0; +5 as a slogan next to an ad
    assert judge([FILLER * 2, PHONE, line, FILLER * 2])[2] == (
        "flag", "gambling", round(spam.confidence(2.0), 6), ("slogan next to an advertisement",), (), False)
