"""Office uploads are zip archives: one that unpacks to far more than it weighs is refused unread."""

from __future__ import annotations

import io
import zipfile

import pytest

from luoshi.core.tabular import TableError, read_table, zip_too_large


def _bomb(size: int, member: str = "xl/worksheets/sheet1.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr(member, b"0" * size)
    return buffer.getvalue()


def test_it_refuses_an_xlsx_that_unpacks_to_too_much():
    data = _bomb(20 * 1024 * 1024)  # ~20 KB packed, 20 MB unpacked: a ratio only a bomb has
    assert len(data) < 100_000 and zip_too_large(data)
    with pytest.raises(TableError) as caught:
        read_table(data, "units.xlsx", ["code"])
    assert "units.xlsx" in str(caught.value) and "packed" in str(caught.value)


def test_it_refuses_a_docx_bomb_in_the_intake():
    from luoshi.intake import parse_document
    from luoshi.intake.errors import UnreadableInputError

    with pytest.raises(UnreadableInputError, match="packed"):
        parse_document(_bomb(20 * 1024 * 1024, "word/document.xml"), "policy.docx")


def test_it_lets_ordinary_workbooks_through():
    from luoshi.core.tabular import write_xlsx

    data = write_xlsx(["code", "name", "type", "parent_code"], [["T1", "测试学校", "school", "110101"]])
    assert zip_too_large(data) is None
    assert read_table(data, "units.xlsx", ["code", "name", "type", "parent_code"])[0][1]["code"] == "T1"
