"""Metadata (source, date, document number, issuer) in traditional and simplified copies alike."""

from __future__ import annotations

import pytest

from luoshi.intake import parse_document
from luoshi.intake.charsets import to_simplified

NOTICE = """關於做好2024年寒假期間中小學生安全教育工作的通知
教基〔2024〕7號
來源：教育部政府門戶網站　發佈時間：2024年01月10日
各省、自治區、直轄市教育廳（教委）：
寒假將至，為切實保障廣大中小學生度過一個安全、健康、快樂的假期，現就有關工作通知如下。
一、高度重視假期安全教育
各地要在放假前集中開展一次安全教育，提醒學生注意防溺水、防火災、防交通事故。
二、加強家校溝通
學校要通過家長會、告家長書等方式，督促家長切實履行監護責任。
教育部辦公廳
2024年1月10日
"""

REPORT_WITH_AD = """某省教育廳2023年度工作總結
資料來源：某省教育廳
2023年，全省教育系統深入推進教育綜合改革，各項事業取得新進展。
一、基礎教育提質擴容，新增學位五萬餘個。
二、職業教育產教融合不斷深化。
某省教育廳
二〇二三年十二月二十八日
YB8体育官网入口 注册登录送彩金 世界杯欧洲杯投注app下载
"""


@pytest.mark.parametrize("script", ["traditional", "simplified"])
def test_it_finds_source_date_number_and_issuer_in_either_script(script: str) -> None:
    text = NOTICE if script == "traditional" else to_simplified(NOTICE)
    document = parse_document(text)
    expected_source = "教育部政府門戶網站" if script == "traditional" else "教育部政府门户网站"
    assert document.source == expected_source
    assert document.date == "2024-01-10"
    assert document.doc_number == ("教基〔2024〕7號" if script == "traditional" else "教基〔2024〕7号")
    assert document.issuer == ("教育部辦公廳" if script == "traditional" else "教育部办公厅")
    assert document.title.startswith("關於" if script == "traditional" else "关于")


@pytest.mark.parametrize("script", ["traditional", "simplified"])
def test_a_traditional_copy_with_an_ad_keeps_its_source_line_as_metadata(script: str) -> None:
    text = REPORT_WITH_AD if script == "traditional" else to_simplified(REPORT_WITH_AD)
    document = parse_document(text)
    assert document.source in ("某省教育廳", "某省教育厅")
    assert document.date == "2023-12-28"
    assert document.issuer in ("某省教育廳", "某省教育厅")
    assert "体育官网" not in document.clean_text


def test_converted_metadata_is_simplified() -> None:
    document = parse_document(NOTICE, to_simplified=True)
    assert (document.source, document.doc_number, document.issuer) == (
        "教育部政府门户网站", "教基〔2024〕7号", "教育部办公厅")


def test_a_heading_is_not_an_issuer() -> None:
    text = "关于推进课后服务的意见\n各地要完善课后服务经费保障机制，确保服务质量。\n三、组织保障\n2024年5月6日\n"
    assert parse_document(text).issuer is None
