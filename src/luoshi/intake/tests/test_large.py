"""Large documents: .docx reading is linear in the document's size."""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

from luoshi.intake import parse_document
from luoshi.intake.office import docx_text

from .conftest import big_docx, docx_bytes


def _cpu_seconds(data: bytes, repeat: int = 2) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        docx_text(data, "big.docx")
        best = min(best, time.process_time() - start)
    return best


def test_docx_reading_scales_linearly_from_10k_to_80k_paragraphs() -> None:
    small, large = big_docx(10_000), big_docx(80_000)
    assert docx_text(large, "big.docx").count("\n") == 79_999
    ratio = _cpu_seconds(large) / _cpu_seconds(small)
    # 8 times the paragraphs: about 8 times the time (quadratic reading would be 64 times).
    assert ratio < 14, ratio


def test_docx_reading_keeps_memory_bounded() -> None:
    data = big_docx(8_000)
    text_bytes = len(docx_text(data, "big.docx").encode("utf-8"))
    tracemalloc.start()
    try:
        docx_text(data, "big.docx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The XML is streamed: the peak stays a small multiple of the text itself.
    assert peak < 12 * text_bytes, (peak, text_bytes)


def test_it_reads_what_python_docx_writes_the_same_way() -> None:
    def build(document: Any) -> None:
        document.add_heading("关于开展读书月活动的通知", level=1)
        paragraph = document.add_paragraph("第一段")
        paragraph.add_run("接着写\t制表").add_break()
        paragraph.add_run("换行之后")
        document.add_paragraph("开展阅读分享会。", style="List Number")
        document.add_paragraph("评选书香班级。", style="List Number")
        document.add_paragraph("要点一", style="List Bullet")
        table = document.add_table(rows=2, cols=3)
        table.cell(0, 0).merge(table.cell(0, 1)).text = "合并的单元格"
        table.cell(0, 2).text = "备注"
        table.cell(1, 0).text = "甲"
        table.cell(1, 2).text = "乙"
        document.add_paragraph("结束。")

    text = docx_text(docx_bytes(build), "notice.docx")
    assert text.split("\n") == [
        "关于开展读书月活动的通知", "第一段接着写\t制表", "换行之后", "1.开展阅读分享会。", "2.评选书香班级。",
        "要点一", "合并的单元格 备注", "甲 乙", "结束。",
    ]


def test_a_large_docx_parses_whole() -> None:
    document = parse_document(big_docx(5_000), filename="big.docx")
    assert document.clean_text.count("\n") == 4_999
