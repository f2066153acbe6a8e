"""The demo evaluation system: sourced national figures, labelled illustrative local data in every
state of collection, and a second load that changes nothing."""

from __future__ import annotations

import pytest

from luoshi.audit.models import AuditRecord
from luoshi.indicators import demo, display
from luoshi.indicators.demo_figures import BULLETIN, NATIONAL
from luoshi.indicators.models import Approval, DataSet, DataValue, Indicator, Target

pytestmark = pytest.mark.django_db


def test_the_demo_holds_the_published_figures_and_labels_the_rest(world):
    admin = world.user("admin")
    demo.load(admin)

    # National values: exactly the published figures, approved, each naming its source.
    national = DataValue.objects.filter(unit__code="MOE", indicator__datasets__code="DS_NATIONAL")
    for code, series in NATIONAL.items():
        for year, value in series.items():
            v = national.get(indicator__code=code, period=str(year))
            assert v.value == pytest.approx(float(value)) and v.state == "approved"
            assert BULLETIN[year] in v.comment
    assert national.get(indicator__code="GER_PRE", period="2024").value == pytest.approx(92.0)
    assert national.get(indicator__code="TEACHERS", period="2023").value == pytest.approx(1891.78)
    ger_pre = Indicator.objects.get(code="GER_PRE")
    assert "统计公报" in ger_pre.source and ger_pre.baseline_year == 2021
    assert Target.objects.get(indicator=ger_pre, unit__code="MOE", year=2025).value == 90
    # The derived 普通高中生师比 reproduces the published ratios from the published counts.
    str_hs = Indicator.objects.get(code="STR_HS")
    for year, published in ((2023, "12.66"), (2024, "12.70")):
        computed = display.derived_values(admin, [str_hs], world.unit("MOE"), str(year))[str_hs.pk]
        assert display.fmt(str_hs, computed) == published

    # Local data: illustrative, and in every state.
    local = DataSet.objects.get(code="DS_LOCAL")
    assert "illustrative" in local.description
    assert not DataValue.objects.filter(indicator__datasets=local).exclude(unit__code="MOE").exclude(
        comment__contains="示例").exists()
    states = set(Approval.objects.filter(dataset=local).values_list("state", flat=True))
    assert states >= {"draft", "submitted", "approved", "returned"}
    assert Approval.objects.get(dataset=local, unit__code="110000", period="2024").state == "submitted"  # waits for districts
    flagged = DataValue.objects.filter(indicator__datasets=local, period="2025").exclude(warnings=[])
    assert any("rule:R_PRI_RATIO" in v.warnings for v in flagged.filter(unit__code="530000"))
    assert flagged.filter(unit__code="620000", follow_up=True).exists()

    counts = (DataValue.objects.count(), Approval.objects.count(), AuditRecord.objects.count())
    demo.load(admin)
    assert (DataValue.objects.count(), Approval.objects.count(), AuditRecord.objects.count()) == counts
