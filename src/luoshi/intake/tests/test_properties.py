"""Property tests: cleaning keeps every Han character of the real text, in
order; parsing never crashes, whatever the input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.intake import IntakeError, ParsedDocument, SpamDocumentError, parse_document
from luoshi.intake.cleaning import clean

from .conftest import han

PHRASES = (
    "坚持立德树人", "推进教育数字化", "完善教师培训体系", "扩大优质学位供给", "加强思想政治工作",
    "深化评价改革", "落实课后服务", "建设高素质教师队伍", "提升县域高中办学水平", "健全学生资助制度",
    "推动职业教育产教融合", "加强高校基础学科建设", "2024年底前完成", "(2024-2035年)", "（一）",
    "教基〔2024〕1号", "第一", "一是", "统一要求", "之一", "進一步加強", "製定規劃", "首先", "最后",
)
PUNCT = ("，", "。", "；", "：", "、")
EMOJI = ("😀", "👍🏽", "👩\u200d💻", "1️⃣", "#️⃣", "🇨🇳", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
         "♀", "♂️", "✨", "🙋\u200d♀️", "\u200d", "\ufe0f")
DECORATIONS = ("★ღ", "✿", "❀❀", "☆", "◆")
INVISIBLE = ("\u200b", "\u2060", "\ufeff", "\u00ad")
PINYIN = ("(gōng)", "(zuò)", "（jiào）", " (yù)", "(shi2)")
INJECTED = ("ㄅ", "ㄆㄇ", "qX7", "k3d")
NOISE_LINES = (
    "澳门新葡京娱乐场 百家乐 开户送彩金 www.example-bet.vip",
    "服务热线：13912345678 加微信咨询",
    "首页 > 新闻中心 > 教育动态",
    "分享到：微信 微博 QQ空间",
    "责任编辑：王老师",
    "【打印本页】【关闭窗口】",
)


@st.composite
def sentences(draw: st.DrawFn) -> str:
    clauses = draw(st.lists(st.sampled_from(PHRASES), min_size=2, max_size=5))
    marks = draw(st.lists(st.sampled_from(PUNCT), min_size=len(clauses), max_size=len(clauses)))
    return "".join(c + m for c, m in zip(clauses, marks)).rstrip("，、：；") + "。"


@st.composite
def documents(draw: st.DrawFn) -> list[str]:
    return draw(st.lists(sentences(), min_size=1, max_size=6))


@st.composite
def noisy(draw: st.DrawFn, paragraphs: list[str]) -> str:
    out: list[str] = []
    for paragraph in paragraphs:
        if draw(st.booleans()) and draw(st.booleans()):
            out.append(draw(st.sampled_from(NOISE_LINES)) + "\n")
        for char in paragraph:
            out.append(char)
            roll = draw(st.integers(0, 19))
            if roll == 0:
                out.append(draw(st.sampled_from(EMOJI)))
            elif roll == 1:
                out.append(draw(st.sampled_from(INVISIBLE)))
            elif roll == 2 and "\u4e00" <= char <= "\u9fff":
                out.append(draw(st.sampled_from(PINYIN)))
            elif roll == 3 and char in "，。；：、":
                out.append(draw(st.sampled_from(DECORATIONS + INJECTED)))
        out.append("\n")
    return "".join(out)


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_it_never_drops_or_reorders_a_han_character_of_the_real_text(data: st.DataObject) -> None:
    paragraphs = data.draw(documents())
    text = data.draw(noisy(paragraphs))
    try:
        result = clean(text)
    except SpamDocumentError:
        # Refusing is right only when the spam lines outweigh the short real text.
        spam = sum(text.count(line) * len(line) for line in NOISE_LINES[:2])
        assert spam and spam >= 0.5 * len("".join(paragraphs))
        return
    assert han(result.text) == han("".join(paragraphs))


@settings(max_examples=150, deadline=None, database=None)
@given(st.text(max_size=400))
def test_it_never_crashes_on_arbitrary_unicode(text: str) -> None:
    try:
        document = parse_document(text, filename="random.txt")
    except IntakeError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(document, ParsedDocument)
    document.to_dict()


@settings(max_examples=150, deadline=None, database=None)
@given(st.binary(max_size=400))
def test_it_never_crashes_on_arbitrary_bytes(data: bytes) -> None:
    try:
        document = parse_document(data, filename="random.bin")
    except IntakeError:
        return
    document.to_dict()


@settings(max_examples=80, deadline=None, database=None)
@given(st.lists(st.sampled_from(["一、", "（一）", "1.", "①", "一是", "第一，", "首先，", "二、", "（二）",
                                 "2.", "②", "二是", "第二，", "其次，", "最后，", "第一章", "第一条",
                                 "教育", "改革", "。", "；", "\n"]), max_size=40))
def test_it_never_crashes_on_marker_soup(tokens: list[str]) -> None:
    text = "".join(tokens)
    try:
        document = parse_document(text or "空", filename="soup.txt")
    except IntakeError:
        return
    for item in document.items:
        assert item.text is not None
