"""Metadata: title, date, source, document number; ambiguity is reported."""

from __future__ import annotations

from luoshi.intake import parse_document

from .conftest import fixture_text


def test_it_reads_title_number_and_signature_date() -> None:
    document = parse_document(fixture_text("plan_nested.txt"))
    assert document.title == "关于推进县域义务教育优质均衡发展的实施意见"
    assert document.doc_number == "某教发〔2024〕7号"
    assert document.date == "2024-03-05"
    assert document.source is None


def test_it_reads_labelled_page_meta() -> None:
    document = parse_document(fixture_text("boilerplate.txt"))
    assert document.title == "市教育局召开课后服务工作推进会"
    assert document.date == "2024-05-20"
    assert document.source == "市教育局办公室"


def test_it_reports_a_broken_date_instead_of_guessing() -> None:
    document = parse_document(fixture_text("dates.txt"))
    assert document.date is None
    assert any(f.kind == "ambiguous_date" and "document date" in f.reason for f in document.flags)


def test_it_reports_conflicting_dates() -> None:
    text = "关于开展教师培训的通知\n发布日期：2024-03-01\n正文内容如下，请各单位认真落实，按时报送材料。\n日期：2024-03-09"
    document = parse_document(text)
    assert document.date is None
    assert any("different dates" in f.reason for f in document.flags)


def test_it_reads_chinese_numeral_dates() -> None:
    text = "关于做好招生工作的通知\n各区教育局要严格执行招生政策，确保公平公正，维护良好秩序。\n某市教育局\n二〇二四年四月十日"
    assert parse_document(text).date == "2024-04-10"


def test_it_does_not_take_a_cited_number_for_the_documents_own() -> None:
    text = ("关于转发有关通知的通知\n各学校：\n现将《关于加强课后服务的通知》转发给你们。"
            "请按照教基〔2021〕6号文件要求认真执行，并结合实际制定实施方案。")
    assert parse_document(text).doc_number is None


def test_it_refuses_an_ad_as_source() -> None:
    text = "来源：专业代写论文 QQ 12345678\n教育局召开会议，部署新学期工作，要求各校做好开学准备。"
    document = parse_document(text)
    assert document.source is None


def test_it_has_no_title_when_the_text_starts_with_a_paragraph() -> None:
    document = parse_document(fixture_text("no_structure.txt"))
    assert document.title is None and document.date is None and document.doc_number is None
