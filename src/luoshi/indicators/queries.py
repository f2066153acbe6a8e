"""Scoped reads of the evaluation system (API, exports, reviewers' lists, completeness).

Every list goes through ``authz.scope``. Values of units below the user's own units are also
subject to ``LUOSHI_SHOW_UNAPPROVED_DATA``: when it is off, a user sees another unit's values
only once approved, except reviewers, who also see what was submitted to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from luoshi.core import authz, tabular
from luoshi.core.text import search_q
from luoshi.indicators import formula, services
from luoshi.indicators.models import (
    Approval, ApprovalState, DataSet, DataValue, Indicator, Target, ValueState,
)
from luoshi.orgs.models import OrgUnit

EXPORT_HEADER = ["indicator", "org_unit", "period", "value", "category", "comment", "state"]


def indicators(user, *, q: str = "", active_only: bool = False) -> QuerySet[Indicator]:
    qs = authz.scope(user, Indicator.objects.select_related("owner_unit", "category_set"))
    if active_only:
        qs = qs.filter(is_active=True)
    if q:
        qs = qs.filter(search_q(q, "name") | Q(code__icontains=q))
    return qs.order_by("code")


def indicator(user, code: str) -> Indicator:
    return authz.get_or_404(user, Indicator.objects.select_related("owner_unit", "category_set"), code=code)


def targets(user, indicator: Indicator) -> QuerySet[Target]:
    return authz.scope(user, Target.objects.filter(indicator=indicator).select_related("unit")).order_by("unit__path", "year")


def datasets(user) -> QuerySet[DataSet]:
    return authz.scope(user, DataSet.objects.select_related("owner_unit")).order_by("code")


def _unapproved_filter(user) -> Q | None:
    """With LUOSHI_SHOW_UNAPPROVED_DATA off: what of other units' unapproved values stays visible."""
    if services.show_unapproved() or authz.is_unrestricted(user):
        return None
    own_paths = [g.path for g in authz.grants(user)]
    reviewer_paths = [g.path for g in authz.grants(user) if g.role in authz.allowed_roles(Approval, "review")]
    q = Q(state=ValueState.APPROVED)
    for path in own_paths:
        q |= Q(unit__path=path)
    for path in reviewer_paths:
        q |= Q(state=ValueState.SUBMITTED, unit__path__startswith=path)
    return q


def values(user, *, indicator: Indicator | None = None, unit: OrgUnit | None = None, period: str | None = None,
           below: bool = False) -> QuerySet[DataValue]:
    """Reported values the user may see; ``below``: the unit and every unit under it."""
    qs = DataValue.objects.select_related("indicator", "unit", "category")
    if indicator is not None:
        qs = qs.filter(indicator=indicator)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path) if below else qs.filter(unit=unit)
    if period:
        qs = qs.filter(period=period)
    qs = authz.scope(user, qs)
    extra = _unapproved_filter(user)
    if extra is not None:
        qs = qs.filter(extra)
    return qs.order_by("indicator__code", "unit__path", "period", "category__order")


def follow_ups(user) -> QuerySet[DataValue]:
    """Values marked for follow-up (outliers, warnings) that the user may review."""
    qs = authz.scope(user, DataValue.objects.filter(follow_up=True).select_related("indicator", "unit", "category"), "review")
    return qs.order_by("-updated_at")


def export_rows(qs: QuerySet[DataValue]) -> Iterator[list[object]]:
    """Rows in the import format (plus the state), streamed."""
    for v in qs.iterator(chunk_size=2000):
        value = _safe_text(v.text_value) if v.value is None else _number(v.value, v.indicator.decimals)
        yield [v.indicator.code, v.unit.code, v.period, value, v.category.code if v.category else "", _safe_text(v.comment), v.state]


def _safe_text(text: str) -> str:
    """Text a spreadsheet will not run: a formula at the start of any of its lines is neutralised."""
    lines = text.splitlines()
    if len(lines) > 1 and any(line.lstrip().startswith(tabular.FORMULA_PREFIXES) for line in lines[1:]):
        return "'" + text
    return text


def _number(value: float, decimals: int) -> object:
    if float(value).is_integer():
        return int(value)
    return round(value, max(decimals, 0) + 4)


@dataclass(frozen=True)
class Completeness:
    unit: OrgUnit
    expected: int      # values expected (reported indicators × categories)
    received: int
    state: str         # approval state, or "missing"

    @property
    def share(self) -> float:
        return 0.0 if not self.expected else min(1.0, self.received / self.expected)


def completeness(user, dataset: DataSet, period: str) -> tuple[list[Completeness], float]:
    """Per expected reporting unit the user can see: values expected and received, and the
    approval state; and the completeness rate (上报率: share of units that submitted)."""
    period = services.normalise_period(dataset, period)
    reported = [i for i in dataset.indicators.select_related("category_set") if not i.formula.strip()]
    per_unit_expected = sum(i.category_set.categories.count() if i.category_set_id else 1 for i in reported)
    units = list(authz.scope(user, services.expected_units(dataset)).order_by("path"))
    received = dict(DataValue.objects.filter(unit__in=units, period=period, indicator__in=reported)
                    .values_list("unit_id").annotate(n=_count()).values_list("unit_id", "n"))
    states = dict(Approval.objects.filter(dataset=dataset, period=period, unit__in=units).values_list("unit_id", "state"))
    rows = [Completeness(u, per_unit_expected, received.get(u.pk, 0), states.get(u.pk, "missing")) for u in units]
    sent = sum(1 for r in rows if r.state in (ApprovalState.SUBMITTED, ApprovalState.APPROVED))
    return rows, (sent / len(rows) if rows else 0.0)


def _count():
    from django.db.models import Count

    return Count("id")


def derived_value(indicator: Indicator, unit: OrgUnit, period: str, category_id=None) -> float | None:
    """The value of a derived indicator for a unit and period, computed from its formula."""
    tree = formula.parse(indicator.formula)
    codes = formula.refs(tree)
    found = dict(DataValue.objects.filter(indicator__code__in=codes, unit=unit, period=period, category_id=category_id)
                 .values_list("indicator__code", "value"))
    env: dict[str, float | None] = {}
    for code in codes:
        if code in found:
            env[code] = found[code]
            continue
        ref = Indicator.objects.filter(code=code).first()
        if ref is None:
            env[code] = None
        elif ref.formula.strip():
            env[code] = derived_value(ref, unit, period, category_id)
        elif ref.category_set_id and category_id is None:
            env[code] = total(ref, unit, period)
        else:
            env[code] = None
    return formula.evaluate(tree, env)


def total(indicator: Indicator, unit: OrgUnit, period: str) -> float | None:
    """The total of a disaggregated indicator: derived from its categories, never typed."""
    numbers = list(DataValue.objects.filter(indicator=indicator, unit=unit, period=period, category__isnull=False,
                                            value__isnull=False).values_list("value", flat=True))
    if not numbers:
        return None
    if indicator.aggregation in ("avg", "weighted_avg"):
        return sum(numbers) / len(numbers)
    if indicator.aggregation == "min":
        return min(numbers)
    if indicator.aggregation == "max":
        return max(numbers)
    return sum(numbers)


def latest_value(user, indicator: Indicator, unit: OrgUnit) -> tuple[str, float | None] | None:
    """The latest period with a value of ``indicator`` for ``unit`` that the user can see, and that value."""
    if indicator.formula.strip():
        periods = list(values(user, unit=unit).filter(indicator__code__in=indicator.formula_refs)
                       .order_by("-period").values_list("period", flat=True).distinct()[:1])
        return (periods[0], derived_value(indicator, unit, periods[0])) if periods else None
    row = values(user, indicator=indicator, unit=unit).order_by("-period").first()
    if row is None:
        return None
    if indicator.category_set_id:
        return row.period, total(indicator, unit, row.period)
    return row.period, row.value


def item_indicators(user, item) -> list[dict]:
    """For a plan item's page: its indicators with the latest value and the next target (of the
    item's lead unit, falling back to the national figure on the root unit)."""
    out = []
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
    for ind in indicators(user).filter(plan_items=item):
        units = [item.lead_unit] + ([root] if root and root != item.lead_unit else [])
        latest = None
        for unit in units:
            latest = latest_value(user, ind, unit)
            if latest:
                break
        target = targets(user, ind).filter(unit__in=units).order_by("year").first()
        out.append({"indicator": ind, "latest": latest, "target": target})
    return out
