"""Demo data of analytics: the aggregates of whatever indicator values the demo holds, and an
illustrative evaluation scheme of the provinces (invented weights, labelled as an example).

Idempotent: the aggregates are rebuilt (no audit record: nothing a user did), the scheme and
its runs are made once.
"""

from __future__ import annotations

from luoshi.analytics import engine, services
from luoshi.analytics.models import AggregateValue, EvaluationRun, EvaluationScheme
from luoshi.indicators.models import Indicator, Target
from luoshi.orgs.models import OrgUnit

SCHEME_CODE = "DEMO_PROVINCES"


def load(actor) -> dict[str, int]:
    result = engine.rebuild()
    root = OrgUnit.objects.filter(code="MOE").first()
    with_targets = list(Indicator.objects.filter(pk__in=Target.objects.values("indicator_id"), formula="",
                                                 is_active=True).order_by("code")[:3])
    if root is not None and with_targets and not EvaluationScheme.objects.filter(code=SCHEME_CODE).exists():
        measures = [{"indicator": ind, "weight": 1, "normalisation": "attainment"} for ind in with_targets]
        measures.append({"kind": "plan_on_time", "weight": 1, "normalisation": "attainment"})
        services.create_scheme(actor, code=SCHEME_CODE, name="各省教育发展评价（示例）", owner_unit=root, peer_parent=root,
                               peer_unit_type="province", measures=measures,
                               description="示例方案：权重为演示而设，非正式评价。")
    scheme = EvaluationScheme.objects.filter(code=SCHEME_CODE, is_current=True).first()
    if scheme is not None:
        years = sorted({int(p) for p in AggregateValue.objects.filter(
            indicator__in=[m.indicator_id for m in scheme.measures.all() if m.indicator_id]).values_list("period", flat=True)
            if len(p) == 4})
        for year in years[-3:]:
            if not EvaluationRun.objects.filter(scheme=scheme, year=year).exists():
                services.compute_run(actor, scheme, year)
    return {"aggregated values": result["rows"]}
