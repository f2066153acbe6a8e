"""Reading: encodings, HTML, .docx, PDF, and refusals of bad input."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pytest

from luoshi.intake import (
    MAX_INPUT_BYTES,
    BinaryInputError,
    EmptyInputError,
    FileTooLargeError,
    UndecodableError,
    UnreadableInputError,
    parse_document,
    parse_path,
)
from luoshi.intake.reading import read_bytes

from .conftest import docx_bytes, fixture_bytes, fixture_text, make_pdf

SIMPLIFIED = fixture_text("plan_nested.txt")
TRADITIONAL = fixture_text("traditional_mixed.txt").split("二、")[0]


@pytest.mark.parametrize("codec", ["gb18030", "gbk", "utf-8", "utf-8-sig", "utf-16"])
def test_it_detects_the_encoding_of_simplified_text(codec: str) -> None:
    result = read_bytes(SIMPLIFIED.encode(codec), "plan.txt")
    assert result.text.replace("\r\n", "\n") == SIMPLIFIED
    assert result.encoding


@pytest.mark.parametrize("codec", ["big5", "cp950", "gb18030", "utf-8"])
def test_it_detects_the_encoding_of_traditional_text(codec: str) -> None:
    result = read_bytes(TRADITIONAL.encode(codec), "trad.txt")
    assert result.text == TRADITIONAL


def test_it_refuses_bytes_that_no_chinese_encoding_reads(tmp_path: Path) -> None:
    damaged = bytearray(SIMPLIFIED.encode("gbk"))
    for index in range(3, len(damaged), 5):
        damaged[index] = 0xFF
    with pytest.raises(UndecodableError) as caught:
        parse_document(bytes(damaged), filename="damaged.txt")
    message = str(caught.value)
    assert message.startswith("damaged.txt: ") and "\n" not in message
    assert "encoding" in message


def test_it_accepts_a_few_damaged_bytes_and_flags_them() -> None:
    data = bytearray(SIMPLIFIED.encode("gb18030"))
    data[60] = 0xFF
    document = parse_document(bytes(data), filename="one-bad-byte.txt")
    assert any(flag.kind == "mojibake" for flag in document.flags)


@pytest.mark.parametrize("data", [b"", b"   \n\t\n", "\ufeff".encode("utf-8")])
def test_it_refuses_empty_files(data: bytes) -> None:
    with pytest.raises(EmptyInputError, match="empty"):
        parse_document(data, filename="empty.txt")


def test_it_refuses_a_file_that_is_only_noise() -> None:
    with pytest.raises(EmptyInputError, match="no text left"):
        parse_document("😀😀😀\n★★★\n", filename="noise.txt")


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "PNG"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, ".doc"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "executable"),
        (b"some text\x00\x00\x00\x01\x02binary", "NUL"),
        (b"PK\x03\x04" + b"\x00" * 40, "ZIP"),
    ],
)
def test_it_refuses_binary_files(data: bytes, what: str) -> None:
    with pytest.raises(BinaryInputError, match=what):
        parse_document(data, filename="blob.bin")


def test_it_refuses_a_50_mb_file_before_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: nothing is written
    with pytest.raises(FileTooLargeError) as caught:
        parse_path(big)
    assert "50.0 MiB" in str(caught.value) and "limit is 20 MiB" in str(caught.value)


def test_it_refuses_oversized_bytes() -> None:
    with pytest.raises(FileTooLargeError):
        parse_document(b" " * (MAX_INPUT_BYTES + 1), filename="big.txt")


def test_it_reports_a_missing_file() -> None:
    with pytest.raises(UnreadableInputError, match="no such file"):
        parse_path("/nonexistent/policy.txt")


def test_it_keeps_the_main_text_of_an_html_page() -> None:
    document = parse_document(fixture_bytes("page.html"), filename="page.html")
    text = document.clean_text
    assert text.startswith("市教育局关于做好秋季开学工作的通知\n")
    assert "各校要在开学前完成安全隐患排查" in text
    for dropped in ("脚本", "隐藏干扰文字", "8fK2", "这一段被隐藏了", "辅助技术隐藏",
                    "机构设置", "当前位置", "相关链接", "分享到", "版权所有", "请启用脚本", "font-size"):
        assert dropped not in text
    kinds = {(entry.kind, entry.text) for entry in document.removed}
    assert ("html_hidden", "8fK2") in kinds
    assert ("html_nav", "首页 机构设置 政务公开 办事服务") in kinds
    assert [item.marker for item in document.items] == ["一、", "二、", "三、"]
    assert document.title == "市教育局关于做好秋季开学工作的通知"
    assert document.date == "2024-08-20"
    assert document.source == "市教育局基础教育处"


def test_it_reads_html_in_gbk_with_a_declared_charset() -> None:
    page = ('<html><head><meta charset="gbk"></head><body><p>一、加强组织领导。</p>'
            "<p>二、强化经费保障。</p></body></html>")
    document = parse_document(page.encode("gbk"), filename="page.htm")
    assert [item.marker for item in document.items] == ["一、", "二、"]


def test_it_reads_a_docx_with_paragraphs_tables_and_list_numbers() -> None:
    def build(document: Any) -> None:
        document.add_paragraph("关于加强教师培训工作的通知")
        document.add_paragraph("一、总体要求")
        document.add_paragraph("各地要把教师培训纳入年度重点工作。")
        document.add_paragraph("二、主要任务")
        document.add_paragraph("开展全员轮训。", style="List Number")
        document.add_paragraph("建设培训基地。", style="List Number")
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).text = "任务"
        table.cell(0, 1).text = "牵头单位"
        table.cell(1, 0).text = "全员轮训"
        table.cell(1, 1).text = "教师工作处"

    document = parse_document(docx_bytes(build), filename="notice.docx")
    assert document.title == "关于加强教师培训工作的通知"
    assert "全员轮训 教师工作处" in document.clean_text
    top = document.items
    assert [item.marker for item in top] == ["一、", "二、"]
    assert [child.marker for child in top[1].children] == ["1.", "2."]
    assert top[1].children[1].title == "建设培训基地"


def test_it_renders_chinese_word_numbering() -> None:
    from luoshi.intake.office import format_number

    assert [format_number(n, "chineseCounting") for n in (1, 10, 12, 20, 35)] == [
        "一", "十", "十二", "二十", "三十五"]
    assert format_number(3, "decimalEnclosedCircle") == "③"
    assert format_number(4, "upperRoman") == "IV"


def test_it_reads_a_text_pdf() -> None:
    pdf = make_pdf(["关于做好教育督导工作的通知", "一、明确督导重点。各地要聚焦课后服务。",
                    "二、强化结果运用，督导结果纳入考核。"])
    document = parse_document(pdf, filename="notice.pdf")
    assert document.title == "关于做好教育督导工作的通知"
    assert [item.marker for item in document.items] == ["一、", "二、"]


def test_it_rejoins_lines_a_pdf_broke_at_the_page_width() -> None:
    from luoshi.intake.office import reflow

    broken = ("各地要切实加强对教育督导工作的组织领导，把督导结果作为\n"
              "考核的重要依据，确保各项任务落到实处。\n"
              "一、明确督导重点。\n"
              "二、强化结果运用。\n"
              "三、加强队伍建设，提高督学的专业能力和工作水平，做到\n"
              "人岗相适。")
    lines = reflow(broken).split("\n")
    assert lines[0].endswith("确保各项任务落到实处。")
    assert lines[1] == "一、明确督导重点。"
    assert lines[-1].endswith("人岗相适。")


def test_it_explains_a_pdf_without_text() -> None:
    with pytest.raises(EmptyInputError, match="no text layer"):
        parse_document(make_pdf([]), filename="scan.pdf")


def test_it_detects_html_by_content_without_an_extension() -> None:
    page = "<!DOCTYPE html><html><body><nav>首页 新闻</nav><p>正文第一段，内容完整。</p></body></html>"
    result = read_bytes(page.encode(), "download")
    assert result.kind == "html" and result.text == "正文第一段，内容完整。"


def test_it_reads_utf16_with_bom() -> None:
    assert read_bytes(codecs.BOM_UTF16_LE + "一、总体要求".encode("utf-16-le"), "u16.txt").text == "一、总体要求"
