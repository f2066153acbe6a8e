"""Who reports what, how far they are, and what reviewers may do (7b's read helpers for the pages).

Expected reporters of a data set are the active units in its owner's subtree whose type is in
``reporting_unit_types`` (the owner alone when none is named). Every read is scoped with
``authz.scope``; the decisions themselves (submit, approve, return, un-approve) are taken by
``services``, which check permission and the bottom-up order again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Min, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from luoshi.core import authz
from luoshi.indicators import grid
from luoshi.indicators.models import Approval, ApprovalState, Category, DataSet, DataValue
from luoshi.orgs.models import OrgUnit
from luoshi.plans import rules

STATE_LABELS = {
    "missing": _("Not started"), "draft": _("Being entered"), "submitted": _("Submitted"),
    "approved": _("Approved"), "returned": _("Returned"),
}
RECEIVED = (ApprovalState.SUBMITTED, ApprovalState.APPROVED)


def expected(dataset: DataSet, unit: OrgUnit) -> bool:
    """Does ``unit`` report ``dataset``, or approve for units below it that do (the approval chain)?"""
    from luoshi.indicators import services

    return services.approvable(dataset, unit)


def expected_units(user, dataset: DataSet) -> QuerySet[OrgUnit]:
    """The units of the approval chain the user can see (expected reporters and the units above
    them within the owner's subtree), in tree order."""
    from luoshi.indicators import services

    reporters = services.expected_units(dataset)
    chain_ids = {pk for path in reporters.values_list("path", flat=True) for pk in _ids_in(path)}
    owner_path = dataset.owner_unit.path
    qs = OrgUnit.objects.filter(pk__in=chain_ids, path__startswith=owner_path, is_active=True)
    return authz.scope(user, qs).order_by("path")


def _ids_in(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def is_reporter(dataset: DataSet, unit: OrgUnit) -> bool:
    from luoshi.indicators import services

    return services.is_expected(dataset, unit)


def known_periods(user, dataset: DataSet) -> list[str]:
    """Periods with data or approvals in this data set, newest first; else the current period."""
    from django.utils import timezone

    # Saving a unit's values opens its approval record, so approvals name every period in use.
    found = set(authz.scope(user, Approval.objects.filter(dataset=dataset)).values_list("period", flat=True).distinct())
    valid = []
    for p in found:
        try:
            rules.parse_period(dataset.periodicity, p)
        except ValueError:
            continue
        valid.append(p)
    if not valid:
        valid = [rules.previous_period(dataset.periodicity, timezone.localdate()).key]
    return sorted(valid, reverse=True)


def approval(user, dataset: DataSet, unit: OrgUnit, period: str) -> Approval | None:
    return authz.scope(user, Approval.objects.filter(dataset=dataset, unit=unit, period=period)).first()


def state_of(approval_: Approval | None, has_values: bool) -> str:
    if approval_ is not None and approval_.state != ApprovalState.DRAFT:
        return approval_.state
    return "draft" if has_values or approval_ is not None else "missing"


def can_enter(user, dataset: DataSet, unit: OrgUnit, approval_: Approval | None) -> bool:
    """Open for entry: not submitted or approved, and the user enters data for the unit."""
    if approval_ is not None and approval_.state in RECEIVED:
        return False
    return is_reporter(dataset, unit) and authz.can_in_unit(user, "add", DataValue, unit)


def can_submit(user, unit: OrgUnit) -> bool:
    return authz.can_in_unit(user, "submit", Approval, unit)


def can_review(user, dataset: DataSet, unit: OrgUnit) -> bool:
    """Reviewers of a unit above ``unit`` decide on its data (the owner's own reviewers on the owner's)."""
    if authz.is_unrestricted(user):
        return True
    grants = [g for g in authz.grants(user) if g.role in authz.allowed_roles(Approval, "review")]
    above = any(g.covers_below and unit.path.startswith(g.path) and g.path != unit.path for g in grants)
    own_top = unit.pk == dataset.owner_unit_id and any(g.path == unit.path for g in grants)
    return above or own_top


@dataclass
class ReviewActions:
    approve: bool = False
    give_back: bool = False     # return submitted data
    unapprove: bool = False
    missing: list[OrgUnit] = field(default_factory=list)  # units below that are not approved yet


def missing_below(dataset: DataSet, unit: OrgUnit, period: str) -> list[OrgUnit]:
    """Units directly below ``unit`` in the approval chain whose data for ``period`` is not approved
    (what ``services.approve`` waits for; unscoped: a fact the reviewer needs)."""
    from luoshi.indicators import services

    children = [c for c in OrgUnit.objects.filter(parent=unit, is_active=True).order_by("path") if services.approvable(dataset, c)]
    approved = set(Approval.objects.filter(dataset=dataset, period=period, state=ApprovalState.APPROVED,
                                           unit__in=children).values_list("unit_id", flat=True))
    return [u for u in children if u.pk not in approved]


def review_actions(user, dataset: DataSet, unit: OrgUnit, period: str, approval_: Approval | None) -> ReviewActions:
    if not can_review(user, dataset, unit):
        return ReviewActions()
    state = approval_.state if approval_ else "missing"
    reporter = is_reporter(dataset, unit)
    actions = ReviewActions(
        # A unit that only approves for the units below it (no data of its own) needs no submission.
        approve=state == ApprovalState.SUBMITTED or (not reporter and state != ApprovalState.APPROVED),
        give_back=state == ApprovalState.SUBMITTED,
        unapprove=state == ApprovalState.APPROVED,
    )
    if actions.approve:
        actions.missing = missing_below(dataset, unit, period)
    return actions


def entry_periods(dataset: DataSet, period: str, around: int = 2) -> list[str]:
    """The periods next to ``period`` that have begun (for moving between them in the grid's header)."""
    from django.utils import timezone

    today = timezone.localdate()
    out = []
    for step in range(-around, around + 1):
        try:
            p = rules.shift_period(dataset.periodicity, period, step)
        except (ValueError, IndexError):
            continue
        if p.start <= today or p.key == period:
            out.append(p.key)
    return out


# Status table --------------------------------------------------------------------------------

def cells_expected(dataset: DataSet, unit_type: str, cache: dict) -> int:
    if unit_type not in cache:
        probe = OrgUnit(type=unit_type)
        indicators = grid.grid_indicators(dataset, probe)
        sets = {i.category_set_id for i in indicators if i.category_set_id}
        per_set = dict(Category.objects.filter(category_set_id__in=sets).values_list("category_set_id").annotate(n=Count("id")))
        cache[unit_type] = sum(0 if i.is_derived else (per_set.get(i.category_set_id, 1) if i.category_set_id else 1)
                               for i in indicators)
    return cache[unit_type]


@dataclass
class StatusCell:
    period: str
    state: str
    filled: int
    expected: int
    flagged: int
    follow_up: int
    approval: Approval | None
    waiting: list[OrgUnit] = field(default_factory=list)  # units below whose approval this one waits for

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass
class StatusRow:
    unit: OrgUnit
    cells: list[StatusCell]
    can_enter: bool
    can_review: bool
    reports: bool  # an expected reporter (else a unit that only approves for those below it)


@dataclass
class PeriodTotals:
    period: str
    expected: int
    received: int
    approved: int

    @property
    def percent(self) -> int:
        return round(100 * self.received / self.expected) if self.expected else 0


@dataclass
class StatusTable:
    rows: list[StatusRow]
    totals: list[PeriodTotals]
    base_depth: int


LONG_TABLE = 40  # rows; a longer status table starts with its top reporting level only


def levels(user, dataset: DataSet) -> list[tuple[str, str]]:
    """The reporting unit types of the data set, top level first, as (type, label)."""
    from luoshi.orgs.models import UnitType

    labels = dict(UnitType.choices)
    depth = dict(expected_units(user, dataset).values_list("type").annotate(d=Min("depth")))
    types = [t for t in dataset.reporting_unit_types if t in depth]
    return [(t, str(labels.get(t, t))) for t in sorted(types, key=lambda t: depth[t])]


def default_level(user, dataset: DataSet) -> str:
    found = levels(user, dataset)
    if len(found) > 1 and expected_units(user, dataset).count() > LONG_TABLE:
        return found[0][0]
    return ""


def table(user, dataset: DataSet, periods: list[str], level: str = "") -> StatusTable:
    units = list(expected_units(user, dataset))
    if level:
        units = [u for u in units if u.type == level]
    unit_ids = [u.pk for u in units]
    reporters = {u.pk for u in units if is_reporter(dataset, u)}
    indicator_ids = [i.pk for i in dataset.indicators.all() if not i.is_derived]
    approvals = {(a.unit_id, a.period): a for a in authz.scope(user, Approval.objects.filter(
        dataset=dataset, period__in=periods, unit_id__in=unit_ids))}
    counts = {(r["unit_id"], r["period"]): r for r in authz.scope(user, DataValue.objects.filter(
        indicator_id__in=indicator_ids, period__in=periods, unit_id__in=reporters))
        .values("unit_id", "period").annotate(
            n=Count("id", filter=Q(value__isnull=False) | ~Q(text_value="")),
            flagged=Count("id", filter=~Q(warnings=[])), follow=Count("id", filter=Q(follow_up=True)))}
    # What each unit's approval waits for: its children in the chain (all of them, whatever is shown).
    chain = list(expected_units(user, dataset))
    children: dict[int, list[OrgUnit]] = defaultdict(list)
    for u in chain:
        if u.parent_id:
            children[u.parent_id].append(u)
    approved = set(authz.scope(user, Approval.objects.filter(
        dataset=dataset, period__in=periods, state=ApprovalState.APPROVED)).values_list("unit_id", "period"))
    cache: dict = {}
    totals = {p: PeriodTotals(p, 0, 0, 0) for p in periods}
    rows = []
    for unit in units:
        reports = unit.pk in reporters
        cells = []
        for p in periods:
            found = counts.get((unit.pk, p), {})
            a = approvals.get((unit.pk, p))
            state = state_of(a, bool(found.get("n")))
            cell = StatusCell(p, state, found.get("n", 0), cells_expected(dataset, unit.type, cache) if reports else 0,
                              found.get("flagged", 0), found.get("follow", 0), a)
            cell.waiting = [c for c in children.get(unit.pk, []) if (c.pk, p) not in approved]
            cells.append(cell)
            if reports:
                totals[p].expected += 1
                totals[p].received += state in RECEIVED
                totals[p].approved += state == ApprovalState.APPROVED
        rows.append(StatusRow(unit, cells, reports and authz.can_in_unit(user, "add", DataValue, unit),
                              can_review(user, dataset, unit), reports))
    base = min((u.depth for u in units), default=0)
    return StatusTable(rows, [totals[p] for p in periods], base)


@dataclass
class DataSetSummary:
    dataset: DataSet
    period: str
    expected: int
    received: int
    approved: int

    @property
    def percent(self) -> int:
        return round(100 * self.received / self.expected) if self.expected else 0


def summary(user, dataset: DataSet) -> DataSetSummary:
    from luoshi.indicators import services

    period = known_periods(user, dataset)[0]
    units = list(authz.scope(user, services.expected_units(dataset)).values_list("pk", flat=True))
    states = dict(authz.scope(user, Approval.objects.filter(dataset=dataset, period=period, unit_id__in=units))
                  .values_list("unit_id", "state"))
    received = sum(1 for s in states.values() if s in RECEIVED)
    approved = sum(1 for s in states.values() if s == ApprovalState.APPROVED)
    return DataSetSummary(dataset, period, len(units), received, approved)


# Review queue and data quality ----------------------------------------------------------------

def review_queue(user) -> QuerySet[Approval]:
    """Submitted data of units the user reviews (units strictly below a unit where they are reviewer)."""
    grants = [g for g in authz.grants(user) if g.role in authz.allowed_roles(Approval, "review")]
    qs = authz.scope(user, Approval.objects.filter(state=ApprovalState.SUBMITTED))
    if not authz.is_unrestricted(user):
        below = Q(pk__in=[])
        for g in grants:
            below |= Q(unit__path__startswith=g.path) & ~Q(unit__path=g.path)
        qs = qs.filter(below)
    return qs.select_related("dataset", "unit", "unit__parent", "submitted_by").order_by("submitted_at", "unit__path")


@dataclass
class ReviewRow:
    approval: Approval
    missing: list[OrgUnit]
    may_decide: bool


def review_rows(user, approvals: list[Approval]) -> list[ReviewRow]:
    return [ReviewRow(a, missing_below(a.dataset, a.unit, a.period), can_review(user, a.dataset, a.unit)) for a in approvals]


def flagged_values(user, *, follow_up: str = "", period: str = "") -> QuerySet[DataValue]:
    """Values saved with warnings (outliers, rules) or marked for follow-up, in the user's scope."""
    qs = authz.scope(user, DataValue.objects.filter(~Q(warnings=[]) | Q(follow_up=True)))
    if follow_up == "open":
        qs = qs.filter(follow_up=True)
    elif follow_up == "done":
        qs = qs.filter(follow_up=False)
    if period:
        qs = qs.filter(period=period)
    return qs.select_related("indicator", "unit", "category").order_by("-follow_up", "-period", "unit__path", "indicator__code")


def warning_label(code: str) -> str:
    return grid.flag_text(code)


@dataclass
class FlagRow:
    value: DataValue
    shown: str
    labels: list[str]


def flag_rows(values: list[DataValue]) -> list[FlagRow]:
    from luoshi.indicators.display import fmt, with_unit

    return [FlagRow(v, with_unit(v.indicator, fmt(v.indicator, v.value, v.text_value)),
                    [warning_label(c) for c in (v.warnings or [])]) for v in values]


# Import templates ------------------------------------------------------------------------------

def template_units(user, dataset: DataSet) -> QuerySet[OrgUnit]:
    """Units of the data set the user enters data for."""
    return expected_units(user, dataset).filter(pk__in=authz.units_where(user, "add", DataValue).values("pk"))


TEMPLATE_HEADER = ["indicator", "org_unit", "period", "value", "category", "comment"]  # the importer's columns


def template_rows(user, dataset: DataSet, unit: OrgUnit, period: str) -> tuple[list[str], list[list[object]]]:
    """One row per value to report (per category where there are categories), with its current value."""
    indicators = [i for i in grid.grid_indicators(dataset, unit) if not i.is_derived]
    current = {}
    if period:
        for v in authz.scope(user, DataValue.objects.filter(indicator__in=indicators, unit=unit, period=period)):
            current[(v.indicator_id, v.category_id)] = v
    sets = {i.category_set_id for i in indicators if i.category_set_id}
    categories = defaultdict(list)
    for c in Category.objects.filter(category_set_id__in=sets).order_by("order", "code"):
        categories[c.category_set_id].append(c)
    from luoshi.indicators.display import fmt

    rows: list[list[object]] = []
    for ind in indicators:
        for cat in categories.get(ind.category_set_id, [None]) if ind.category_set_id else [None]:
            v = current.get((ind.pk, cat.pk if cat else None))
            rows.append([ind.code, unit.code, period, fmt(ind, v.value, v.text_value) if v else "",
                         cat.code if cat else "", v.comment if v else ""])
    return TEMPLATE_HEADER, rows
