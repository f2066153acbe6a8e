"""Intake rules at their edges (issue 13): where ``一、`` may start an item, the share of spam at
which a document is refused, and the ``--to simplified`` conversion of the source name."""

from __future__ import annotations

import pytest

from luoshi.intake import cleaning, parse_document
from luoshi.intake.errors import SpamDocumentError
from luoshi.intake.structure import find_markers


def _styles(text: str) -> list[tuple[str, str]]:
    return [(m.style, m.text) for m in find_markers(text, 0)]


@pytest.mark.parametrize("before", ["。", "；", "：", "！", "？"])
def test_yi_dun_starts_an_item_after_a_sentence_mark(before):
    assert _styles(f"会议指出{before}一、要加强组织领导。") == [("cn_dun", "一、")]


@pytest.mark.parametrize("before", ["，", ",", "、", "统", "的"])
def test_yi_dun_after_a_comma_or_inside_a_word_is_running_text(before):
    assert _styles(f"会议指出{before}一、要加强组织领导。") == []


def test_yi_dun_at_the_start_of_a_line_is_an_item():
    assert _styles("一、加强组织领导") == [("cn_dun", "一、")]


def test_a_list_after_a_comma_stays_one_paragraph():
    assert _styles("主要任务，一、加强领导，二、完善机制。") == []
    assert _styles("主要任务：一、加强领导；二、完善机制。") == [("cn_dun", "一、"), ("cn_dun", "二、")]


# The spam share at which a document is refused (``cleaning.SPAM_REFUSAL_SHARE``, one half) -----

REAL = "教育" * 50  # 100 characters of real text


@pytest.mark.parametrize(("spam", "refused"), [(99, False), (100, True), (101, True)])
def test_a_document_is_refused_from_half_of_its_text_being_spam(spam, refused):
    assert cleaning.SPAM_REFUSAL_SHARE == 0.5
    if refused:
        with pytest.raises(SpamDocumentError, match=r"refused: \d+% of the text is spam or advertising"):
            cleaning._refuse_spam(REAL, spam, "a.txt")
    else:
        cleaning._refuse_spam(REAL, spam, "a.txt")


@pytest.mark.parametrize(("han", "refused"), [(9, True), (10, False)])
def test_a_document_with_spam_and_too_few_han_characters_left_is_refused(han, refused):
    text = "教" * han + " abc"
    if refused:
        with pytest.raises(SpamDocumentError):
            cleaning._refuse_spam(text, 1, "a.txt")
    else:
        cleaning._refuse_spam(text, 1, "a.txt")
    cleaning._refuse_spam("教" * 3, 0, "a.txt")  # no spam removed: never refused for shortness


# ``--to simplified``: the source name too -------------------------------------------------------

TRADITIONAL = ("關於推進教育數字化的通知\n來源：新華網\n2025年1月10日\n"
               "一、加強組織領導。各地要高度重視教育數字化工作，把它擺在重要位置。\n"
               "二、完善工作機制。建立健全協調推進機制，明確責任分工。\n")


def test_to_simplified_converts_the_source_name_with_the_text():
    converted = parse_document(TRADITIONAL.encode(), filename="a.txt", to_simplified=True)
    assert converted.source == "新华网" and converted.title == "关于推进教育数字化的通知"
    assert "加强组织领导" in converted.clean_text
    kept = parse_document(TRADITIONAL.encode(), filename="a.txt", to_simplified=False)
    assert kept.source == "新華網" and "加強組織領導" in kept.clean_text


def test_the_cli_converts_the_source_name(tmp_path, run_luoshi):
    import json

    path = tmp_path / "traditional.txt"
    path.write_text(TRADITIONAL, "utf-8")
    result = run_luoshi("policy", "parse", "--json", "--to", "simplified", str(path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["source"] == "新华网"
