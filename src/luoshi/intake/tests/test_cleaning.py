"""Cleaning: each kind of noise is removed and reported, the real text is kept."""

from __future__ import annotations

import re

import pytest
import regex

from luoshi.intake import SpamDocumentError, parse_document
from luoshi.intake.cleaning import CleanResult, clean

from .conftest import fixture_text, han, is_subsequence

PICTOGRAPH = regex.compile(r"[\p{Extended_Pictographic}\u200d\ufe0f\u20e3\U0001F1E6-\U0001F1FF\U000E0000-\U000E007F]")


def kinds(result: CleanResult) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for entry in result.removed:
        found.setdefault(entry.kind, []).append(entry.text)
    return found


def test_it_removes_emoji_sequences_whole() -> None:
    result = clean(fixture_text("emoji_noise.txt"))
    assert not PICTOGRAPH.search(result.text)
    emoji = kinds(result)["emoji"]
    assert "👍🏽" in emoji and "🙋\u200d♀️" in emoji and "👨\u200d👩\u200d👧" in emoji
    assert "🇨🇳" in emoji and "☀️" in emoji
    assert "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f" in emoji
    assert "♀" in emoji  # left over from 👮‍♀️ whose joiner was stripped


def test_it_removes_the_digit_of_a_keycap() -> None:
    result = clean("1️⃣加强思想政治工作，2️⃣推进课程改革，#️⃣提升教师素质。2024年完成。")
    assert result.text == "加强思想政治工作，推进课程改革，提升教师素质。2024年完成。"
    assert kinds(result)["emoji"] == ["1️⃣", "2️⃣", "#️⃣"]


def test_it_keeps_copyright_and_number_signs_that_are_text() -> None:
    result = clean("第3号文件规定，版权©归作者所有，编号#12。")
    assert result.text == "第3号文件规定，版权©归作者所有，编号#12。"


def test_it_removes_pinyin_but_not_real_brackets() -> None:
    result = clean(fixture_text("decorations.txt"))
    text = result.text
    assert text.startswith("教育工作要点\n")
    assert "《教育强国建设规划纲要(2024-2035年)》" in text
    assert "（一）加强组织领导。" in text and "教基〔2024〕1号" in text
    assert kinds(result)["pinyin"] == ["(jiào)", "(yù)", "(gōng)", "(zuò)"]


@pytest.mark.parametrize(
    "kept",
    ["要求(试行)", "文件(2024年版)", "学校(含幼儿园)", "等级(A)", "标准(gb)", "单位(个)"],
)
def test_it_leaves_brackets_without_tone_marks(kept: str) -> None:
    assert clean(f"各地执行{kept}的规定。").text == f"各地执行{kept}的规定。"


def test_it_removes_pinyin_with_tone_numbers_and_spaces() -> None:
    result = clean("落实(luo4 shi2)工作，教 (jiào)育")
    assert result.text == "落实工作，教育"


def test_it_removes_decorations_after_clauses_but_keeps_a_leading_bullet() -> None:
    result = clean(fixture_text("decorations.txt"))
    assert "★" not in result.text and "ღ" not in result.text and "✿" not in result.text
    assert "●重点任务：完善学位预警机制。" in result.text
    assert kinds(result)["decoration"] == ["★ღ", "✿", "❀❀", "☆"]


def test_it_keeps_a_circle_used_as_zero_in_dates() -> None:
    assert clean("二○二四年三月五日印发。").text == "二○二四年三月五日印发。"


def test_it_removes_characters_injected_after_punctuation() -> None:
    result = clean(fixture_text("decorations.txt"))
    assert kinds(result)["injected_chars"] == ["ㄅ", "qX7", "k3d", "Zp9"]
    assert "各地要成立工作专班，明确责任分工，定期调度进展。" in result.text


def test_it_only_flags_a_lone_odd_token() -> None:
    result = clean("会议强调，xY要坚持立德树人。推进AI赋能，5G网络覆盖，2024年完成。")
    assert result.text == "会议强调，xY要坚持立德树人。推进AI赋能，5G网络覆盖，2024年完成。"
    assert [flag.kind for flag in result.flags] == ["suspicious_chars"]


def test_it_removes_invisible_characters() -> None:
    result = clean("教\u200b育\u2060改\ufeff革\u00ad。")
    assert result.text == "教育改革。"
    assert {entry.kind for entry in result.removed} == {"invisible"}


def test_it_removes_spam_lines_and_flags_them() -> None:
    result = clean(fixture_text("spam_mixed.txt"))
    spam = kinds(result)["spam"]
    assert len(spam) == 4
    assert any("百家乐" in line for line in spam) and any("客服热线" in line for line in spam)
    assert any("考研培训" in line for line in spam) and any("裸聊" in line for line in spam)
    assert "学校要严禁学生参与网络赌博，防范色情等不良信息" in result.text
    reasons = {flag.text: flag.reason for flag in result.flags if flag.kind == "spam"}
    assert any(reason.startswith("gambling") for reason in reasons.values())
    assert any(reason.startswith("adult") for reason in reasons.values())
    assert any(reason.startswith("seo") for reason in reasons.values())
    assert all("confidence" in reason for reason in reasons.values())
    assert any("repeated keywords" in reason for reason in reasons.values())
    removed = [entry for entry in result.removed if entry.kind == "spam"]
    assert all(entry.reason and entry.confidence >= 0.9 for entry in removed)


def test_it_removes_a_spam_sentence_glued_to_a_paragraph() -> None:
    paragraph = ("各校要在开学前完成校舍安全排查，建立隐患台账并逐项整改，确保师生安全。"
                 "新葡京娱乐场开户送彩金，首存即送，网址www.example-bet.vip！"
                 "区教育局将组织专项督查，督查结果纳入年度考核。")
    result = clean(paragraph)
    assert "新葡京" not in result.text
    assert result.text.startswith("各校要在开学前完成校舍安全排查")
    assert result.text.endswith("督查结果纳入年度考核。")


def test_it_keeps_an_official_contact_line() -> None:
    text = "联系人：张老师，联系电话：010-12345678，13800001234。\n请各单位于3月1日前报送。"
    assert clean(text).text == text


def test_it_refuses_a_document_that_is_mostly_spam() -> None:
    with pytest.raises(SpamDocumentError) as caught:
        parse_document(fixture_text("spam_only.txt"), filename="spam.txt")
    assert caught.value.exit_code == 3
    assert str(caught.value).startswith("spam.txt: refused")


def test_it_removes_site_boilerplate() -> None:
    result = clean(fixture_text("boilerplate.txt"))
    assert result.text.split("\n") == [
        "市教育局召开课后服务工作推进会",
        "5月20日，市教育局召开全市中小学课后服务工作推进会，总结前一阶段工作，部署下一步任务。",
        "会议要求，各校要丰富课后服务内容，提高服务质量，切实减轻家长负担。",
    ]
    found = kinds(result)
    assert "(下转第二版)" in found["boilerplate"]
    assert "（责任编辑：李老师）" in found["boilerplate"]
    assert any(line.startswith("首页 > ") for line in found["boilerplate"])
    assert any(line.startswith("分享到") for line in found["boilerplate"])
    assert any(line.startswith("发布时间") for line in found["page_meta"])
    assert "用户13xxx27" in found["comments"] and "希望多开展体育活动" in found["comments"]


def test_it_strips_a_page_meta_tail_glued_to_a_heading() -> None:
    result = clean("全市教育工作会议召开发布日期:2024-02-01 09:00 浏览次数:\n会议总结了去年的工作，部署了今年的任务。")
    assert result.text.split("\n")[0] == "全市教育工作会议召开"
    assert [(h.field, h.value) for h in result.hints] == [("date", "2024-02-01")]


def test_it_keeps_the_original_script_by_default() -> None:
    result = clean(fixture_text("traditional_mixed.txt"))
    assert "製定" in result.text and "隊伍" in result.text and "加强教师培训" in result.text
    flagged = {flag.text for flag in result.flags if flag.kind == "script_artifact"}
    assert flagged == {"製定", "製度", "機製"}
    assert any(flag.kind == "mixed_script" for flag in result.flags)


def test_it_converts_to_simplified_and_repairs_artefacts() -> None:
    result = clean(fixture_text("traditional_mixed.txt"), to_simplified_script=True)
    assert "各地要制定教师队伍建设规划，完善教师管理制度，健全激励机制。" in result.text
    assert "製" not in result.text


def test_it_flags_mojibake_without_dropping_it() -> None:
    sentence = "总书记在全国教育大会上的重要讲话"
    garbled = sentence.encode("utf-8").decode("gbk", errors="replace")
    text = f"会议指出，{garbled}为教育强国建设指明了方向。"
    result = clean(text)
    assert garbled in result.text
    assert any(flag.kind == "mojibake" for flag in result.flags)


def test_it_suggests_the_repair_of_a_reversible_mojibake() -> None:
    garbled = "落实教育强国建设规划纲要".encode("gbk").decode("big5")  # GBK bytes read as Big5
    result = clean(f"全会提出，{garbled}。")
    flags = [flag for flag in result.flags if flag.kind == "mojibake"]
    assert flags and "教育强国建设规划纲要" in flags[0].reason
    assert garbled in result.text


def test_it_flags_latin1_mojibake() -> None:
    garbled = "教育部通知".encode("utf-8").decode("cp1252", errors="replace")
    result = clean(f"转发{garbled}的意见。")
    assert any(flag.kind == "mojibake" and "教育部通知" in flag.reason for flag in result.flags)


def test_it_flags_dates_broken_by_the_copy() -> None:
    result = clean(fixture_text("dates.txt"))
    flagged = [flag.reason for flag in result.flags if flag.kind == "ambiguous_date"]
    assert any("'2024年1月111日'" in reason for reason in flagged)
    assert any("'2024年13月'" in reason for reason in flagged)
    assert "2024年1月111日" in result.text  # kept as written


def test_it_flags_spun_text() -> None:
    text = ("一年来，教育系统以新时代中国特色社会从义思惟为指点，鞭策教育强国扶植，"
            "深切进修，教育工做取得汗青性成绩。")
    result = clean(text)
    assert result.text == text
    spun = [flag for flag in result.flags if flag.kind == "spun_text"]
    assert spun and "体制" not in spun[0].reason and "社会从义 (社会主义)" in spun[0].reason


def test_it_does_not_call_real_words_spun() -> None:
    text = "学校提拔了一批青年干部，组织教师进修，深切缅怀老校长。"
    assert not [flag for flag in clean(text).flags if flag.kind == "spun_text"]


def test_it_never_inserts_or_reorders_real_characters() -> None:
    for name in ("boilerplate.txt", "decorations.txt", "emoji_noise.txt", "spam_mixed.txt",
                 "conference_report.txt", "traditional_mixed.txt"):
        original = fixture_text(name)
        assert is_subsequence(han(clean(original).text), han(original)), name


def test_it_reports_progress() -> None:
    stages: list[tuple[str, float]] = []
    parse_document("一、总体要求\n二、主要任务", progress=lambda stage, done: stages.append((stage, done)))
    assert stages[0] == ("read", 0.0) and stages[-1] == ("done", 1.0)
    assert [done for _, done in stages] == sorted(done for _, done in stages)


def test_it_reports_removed_text_verbatim() -> None:
    result = clean("教育★ღ改革😀。")
    assert [(e.kind, e.text) for e in result.removed] == [("emoji", "😀"), ("decoration", "★ღ")]
    assert re.fullmatch("教育改革。", result.text)
