"""Cleaning, line by line (issue 13): where the margins of a page are, which rule takes a line that
two rules want, repeated lines, cut-out pieces, and the progress a reader watches.

Each test states what the reader of the cleaned text and of the removal list sees."""

from __future__ import annotations

import pytest

from luoshi.intake import SpamDocumentError
from luoshi.intake.cleaning import CleanResult, clean
from luoshi.intake.models import STAGE_LABELS

BODY = "各地要高度重视教育数字化工作，把它摆在重要位置，明确责任分工，定期调度进展。"
BODY2 = "区教育局将组织专项督查，督查结果纳入年度考核，并在全区范围内通报。"


def removed(result: CleanResult) -> list[tuple[str, str]]:
    return [(entry.kind, entry.text) for entry in result.removed]


# The margins: lines before the first and after the last paragraph of running text -------------

def test_footer_lines_go_in_the_margin_and_stay_between_paragraphs():
    footer, address = "主办单位：北京市教育委员会", "https://jw.beijing.gov.cn/"
    at_the_end = clean(f"{BODY}\n{footer}\n{address}")
    assert at_the_end.text == BODY
    assert removed(at_the_end) == [("boilerplate", footer), ("boilerplate", address)]
    between = f"{BODY}\n{footer}\n{BODY2}\n{address}\n{BODY}"
    assert clean(between).text == between and not clean(between).removed


def test_a_blank_line_does_not_end_the_cleaning():
    result = clean(f"{BODY}\n\n{BODY2}\n\n主办单位：北京市教育委员会\n")
    assert result.text == f"{BODY}\n{BODY2}"
    assert removed(result) == [("boilerplate", "主办单位：北京市教育委员会")]


def test_a_notices_own_meeting_time_is_kept_between_its_paragraphs():
    # Weak page-meta labels and a bare date with a time count only in the margins.
    meeting = "会议时间：2024年3月5日 上午9:00"
    text = f"关于召开全市教育工作会议的通知\n{BODY}\n{meeting}\n{BODY2}"
    assert clean(text).text == text
    # The same line above the first paragraph is the page's date line.
    result = clean(f"{meeting}\n{BODY}\n{BODY2}")
    assert result.text == f"{BODY}\n{BODY2}"
    assert removed(result) == [("page_meta", meeting)]
    assert [(hint.field, hint.value) for hint in result.hints] == [("date", "2024-03-05")]


ORGANISERS = "主办单位：市教育局，承办单位：市电教馆，比赛时间为2024-05-20至2024-05-31，请各校按时组织学生报名参加。"


@pytest.mark.parametrize("where", ["first", "last"])
def test_the_first_and_last_paragraphs_are_not_margin(where):
    # An event notice names its organisers in a sentence of its own: running text, not a footer,
    # also when it is the first or the last paragraph.
    text = (f"关于举办中小学生书法比赛的通知\n{ORGANISERS}\n{BODY}" if where == "first"
            else f"关于举办中小学生书法比赛的通知\n{BODY}\n{ORGANISERS}")
    result = clean(text)
    assert result.text == text and not result.removed


def test_running_text_about_reporting_channels_is_not_a_site_footer():
    # 违法和不良信息举报 ends many site footers; in a sentence of a policy it is policy.
    text = f"{BODY}\n各地要设立违法和不良信息举报电话，及时受理群众反映的问题；\n{BODY2}"
    result = clean(text)
    assert result.text == text and not result.removed


# When site chrome and spam both want a line, the chrome rule names it ------------------------

def test_an_advertising_footer_in_the_margin_is_site_chrome_not_spam():
    footer = "技术支持：招生培训中心 客服热线400-123-4567 微信同号"
    result = clean(f"{BODY}\n{BODY2}\n{footer}")
    assert result.text == f"{BODY}\n{BODY2}"
    assert removed(result) == [("boilerplate", footer)]
    assert not [flag for flag in result.flags if flag.kind == "spam"]


def test_a_source_line_next_to_an_ad_stays_page_meta_unless_spam_on_its_own():
    source = "来源：代写论文包过 作者：加微信"
    ad = "百家乐 开户送彩金 客服热线400-888-8888"
    result = clean(f"{source}\n{ad}\n{BODY}\n{BODY2}")
    assert result.text == f"{BODY}\n{BODY2}"
    assert removed(result)[0] == ("page_meta", source)
    assert ("spam", ad) in removed(result)
    assert [flag.text for flag in result.flags if flag.kind == "spam"] == [ad]


# Repeated lines are cleaned alike -------------------------------------------------------------

def test_a_repeated_furniture_line_is_removed_each_time():
    share = "分享到：微信 微博 QQ空间"
    result = clean(f"{BODY}\n{share}\n{BODY2}\n{share}\n{BODY}")
    assert result.text == f"{BODY}\n{BODY2}\n{BODY}"
    assert removed(result) == [("boilerplate", share), ("boilerplate", share)]


def test_a_repeated_line_loses_its_continuation_note_each_time():
    result = clean(f"{BODY}\n教育快讯（下转第3版）\n{BODY2}\n教育快讯（下转第3版）\n{BODY}")
    assert result.text == f"{BODY}\n教育快讯\n{BODY2}\n教育快讯\n{BODY}"
    assert removed(result) == [("boilerplate", "（下转第3版）"), ("boilerplate", "（下转第3版）")]


# Pieces cut out of a kept line ----------------------------------------------------------------

def test_a_meta_tail_is_listed_as_page_meta():
    result = clean(f"全市教育工作会议召开发布日期:2024-02-01 09:00 浏览次数:\n{BODY}")
    assert result.text == f"全市教育工作会议召开\n{BODY}"
    assert removed(result) == [("page_meta", "发布日期:2024-02-01 09:00 浏览次数:")]


def test_an_ad_sentence_cut_from_a_paragraph_is_listed_and_flagged_as_spam():
    ad = "新葡京娱乐场开户送彩金，首存即送，网址www.example-bet.vip！"
    result = clean(f"各校要在开学前完成校舍安全排查，建立隐患台账并逐项整改，确保师生安全。{ad}"
                   "区教育局将组织专项督查，督查结果纳入年度考核。")
    assert ad not in result.text
    spam_removed = [entry for entry in result.removed if entry.kind == "spam"]
    assert [entry.text for entry in spam_removed] == [ad]
    assert spam_removed[0].reason.startswith("gambling") and spam_removed[0].confidence >= 0.9
    spam_flags = [(flag.kind, flag.text, flag.reason) for flag in result.flags if flag.kind == "spam"]
    assert spam_flags == [("spam", ad, spam_removed[0].reason)]


# Spaces and line ends -------------------------------------------------------------------------

def test_every_exotic_space_is_unified_and_trimmed_at_line_ends():
    # U+1680 (Ogham space mark) is a space separator like U+2002 or U+00A0.
    result = clean(f"关于\u1680加强\u00a0管理的通知\u1680\n\u1680\u2002{BODY}\u3000")
    assert result.text == f"关于 加强 管理的通知\n{BODY}"
    assert not result.removed


# What the reader is told while a document is read ---------------------------------------------

def test_the_progress_names_every_cleaning_step_in_order():
    seen: list[tuple[str, float]] = []
    lines = [BODY, BODY2] * 30  # long enough for the line step to report as it goes
    clean("\n".join(lines), progress=lambda stage, fraction: seen.append((stage, fraction)))
    steps = [stage for index, (stage, _f) in enumerate(seen) if index == 0 or seen[index - 1][0] != stage]
    assert steps == ["emoji", "pinyin", "lines", "flags", "cleaned"]
    assert all(stage in STAGE_LABELS for stage, _f in seen)  # each has a label in the reader's language
    fractions = [fraction for _s, fraction in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 0.8
    moving = [fraction for stage, fraction in seen if stage == "lines"]
    assert len(moving) > 3 and 0.4 <= min(moving) < max(moving) <= 0.6


def test_a_refusal_without_a_file_name_names_the_input():
    with pytest.raises(SpamDocumentError) as caught:
        clean("百家乐 开户送彩金 客服热线400-888-8888\n" * 5 + "教育")
    assert str(caught.value).startswith("<input>: refused")


def test_an_uncertain_line_is_kept_and_shown_to_the_reader_as_suspect():
    doubtful = "加微信领取考研资料 优惠多多"
    text = f"{BODY}\n{doubtful}\n{BODY2}"
    result = clean(text)
    assert result.text == text and not result.removed
    suspects = [(flag.kind, flag.text) for flag in result.flags if flag.kind.startswith("spam")]
    assert suspects == [("spam_suspect", doubtful)]
    assert [flag.reason for flag in result.flags if flag.kind == "spam_suspect"][0].startswith("ad;")
    # A doubtful line that a chrome rule removes is listed as what it is, not also as suspect.
    source = "来源：代写论文 作者：加微信"
    result = clean(f"{source}\n{BODY}\n{BODY2}")
    assert removed(result) == [("page_meta", source)]
    assert not [flag for flag in result.flags if flag.kind.startswith("spam")]


# Spam adds up over the document before it is refused -----------------------------------------

AD_LINE = "百家乐 开户送彩金 客服热线400-888-8888"
AD_SENTENCE = "新葡京娱乐场开户送彩金，首存即送，网址www.example-bet.vip！"
PARAGRAPH = "各校要在开学前完成校舍安全排查，建立隐患台账并逐项整改，确保师生安全。"


def test_spam_lines_add_up_to_a_refusal():
    assert clean(f"{BODY}\n{AD_LINE}").text == BODY  # one ad line: removed, the text kept
    with pytest.raises(SpamDocumentError, match=r"refused: 65% of the text is spam"):
        clean(f"{AD_LINE}\n{BODY}\n{AD_LINE}\n{AD_LINE}")


def test_ad_sentences_cut_from_paragraphs_add_up_to_a_refusal():
    assert clean(f"{PARAGRAPH}{AD_SENTENCE}\n{BODY}").text == f"{PARAGRAPH}\n{BODY}"
    with pytest.raises(SpamDocumentError, match=r"refused: 53% of the text is spam"):
        clean("\n".join([PARAGRAPH + AD_SENTENCE] * 3))


def test_a_document_of_nothing_but_spam_is_refused_as_all_spam():
    from luoshi.intake.cleaning import _refuse_spam

    with pytest.raises(SpamDocumentError, match=r"refused: 100% of the text is spam"):
        _refuse_spam("", 1, "a.txt")


def test_a_line_left_empty_by_its_cuts_is_dropped_and_the_next_lines_kept():
    result = clean(f"{BODY}\n（下转第3版）\n{PARAGRAPH}\n{BODY2}")
    assert result.text == f"{BODY}\n{PARAGRAPH}\n{BODY2}"
    assert removed(result) == [("boilerplate", "（下转第3版）")]
