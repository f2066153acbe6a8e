"""Every write of the evaluation system: actor first, one transaction, authz check, audit record.

Signatures (stable; 7b's views and the API call these):

Definitions (planner/admin in the owning unit's scope):
    create_indicator(actor, *, code, name, owner_unit, **fields) -> Indicator
    update_indicator(actor, indicator, *, expected_version=None, **fields) -> Indicator
    delete_indicator(actor, indicator) -> None
    set_indicator_items(actor, indicator, items: Iterable[PlanItem]) -> Indicator
    create_category_set(actor, *, code, name, owner_unit, categories: list[tuple[code, name]]) -> CategorySet
    update_category_set(actor, category_set, *, expected_version=None, name=..., categories=...) -> CategorySet
    delete_category_set(actor, category_set) -> None
    set_target(actor, *, indicator, unit, year, value) -> Target          (create or update)
    delete_target(actor, target) -> None
    create_rule(actor, *, code, expression, owner_unit, tolerance=0, severity="error", message="") -> ValidationRule
    update_rule(actor, rule, *, expected_version=None, **fields) -> ValidationRule
    delete_rule(actor, rule) -> None
    create_dataset(actor, *, code, name, owner_unit, periodicity, indicators, reporting_unit_types, description="") -> DataSet
    update_dataset(actor, dataset, *, expected_version=None, **fields) -> DataSet
    delete_dataset(actor, dataset) -> None

Entering and approving data (reporter enters and submits; reviewer of a unit above approves):
    save_values(actor, *, dataset, unit, period, entries: list[Entry]) -> SaveResult
        Entry(indicator_code, value: str, comment="", category_code=None)
        SaveResult.errors / .warnings: list[Problem(indicator, category, message, code)];
        nothing is saved when there are errors, or warnings without a comment on that value.
    check_values(actor, *, dataset, unit, period, entries) -> SaveResult   (the same checks, read-only)
    submit(actor, *, dataset, unit, period) -> Approval
    approve(actor, *, dataset, unit, period) -> Approval
    return_data(actor, *, dataset, unit, period, reason) -> Approval
    unapprove(actor, *, dataset, unit, period, reason) -> Approval
    set_follow_up(actor, value: DataValue, follow_up: bool, note="") -> DataValue

Bulk (luoshi.indicators.imports, same service for CLI, API and upload page):
    imports.import_values(actor, source, *, filename="", dry_run=False, progress=None) -> ImportResult
    imports.import_upload(actor, uploaded_file, *, dry_run=False) -> ImportResult
    imports.import_records(actor, records: list[dict], *, dry_run=False) -> ImportResult   (API JSON)
    imports.import_targets(actor, source, *, filename="", dry_run=False) -> ImportResult
    ImportResult: ok, dry_run, rows, created, changed, unchanged, errors: list[RowError(row, field, message)],
                  warnings, summary() -> str
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.core import authz
from luoshi.core import services as core
from luoshi.indicators import formula, outliers, validation
from luoshi.indicators.models import (
    Aggregation, Approval, ApprovalState, Category, CategorySet, DataSet, DataValue, Direction, Indicator,
    Periodicity, Severity, Target, ValidationRule, ValueState, ValueType,
)
from luoshi.orgs.models import OrgUnit, UnitType
from luoshi.plans import rules as period_rules

INDICATOR_FIELDS = (
    "name", "definition", "unit_of_measure", "value_type", "decimals", "direction", "band_low", "band_high",
    "periodicity", "reporting_unit_types", "source", "owner_unit", "aggregation", "weight_indicator",
    "category_set", "formula", "min_value", "max_value", "required", "baseline_value", "baseline_year", "is_active",
)
RULE_FIELDS = ("expression", "tolerance", "severity", "message", "is_active")
DATASET_FIELDS = ("name", "description", "periodicity", "reporting_unit_types")
HISTORY_PERIODS = 8  # earlier periods of a unit's own history compared by the outlier check


# Indicators ----------------------------------------------------------------------------------

def _check_unit_types(types, field_name: str) -> list[str]:
    types = list(types or [])
    valid = set(UnitType.values)
    bad = [t for t in types if t not in valid]
    if bad:
        raise ValidationError({field_name: _("unknown unit types: %(types)s") % {"types": ", ".join(map(str, bad))}})
    return types


def _formula_graph() -> dict[str, list[str]]:
    """code → the codes its formula refers to, for every indicator (a reported one refers to none)."""
    return {code: list(refs) for code, refs in Indicator.objects.values_list("code", "formula_refs")}


def _check_formula(indicator: Indicator) -> None:
    """Parse and check the formula; sets ``formula_refs``. ``ValidationError`` naming the position."""
    text = indicator.formula
    if not text.strip():
        indicator.formula, indicator.formula_refs = "", []
        return
    # every stored code and this indicator's own (not stored yet when it is new; a code never changes)
    known = set(Indicator.objects.values_list("code", flat=True)) | {indicator.code}
    try:
        tree, problems = formula.check(text, known)
    except formula.FormulaError as exc:
        raise ValidationError({"formula": str(exc)}) from None
    if problems:
        raise ValidationError({"formula": [str(p) for p in problems]})
    refs = formula.refs(tree)
    graph = _formula_graph()
    graph[indicator.code] = refs  # (the stored formula is replaced: a code never changes)
    cycle = formula.find_cycle(graph, indicator.code)
    if cycle:
        first = next(n for n in _ref_nodes(tree) if n.code in cycle)
        raise ValidationError({"formula": str(formula.FormulaError(
            _("circular reference: %(cycle)s") % {"cycle": " → ".join(cycle)}, first.pos))})
    if indicator.value_type in (ValueType.TEXT, ValueType.BOOLEAN):
        raise ValidationError({"value_type": _("a derived indicator is a number, a whole number or a percent")})
    indicator.formula = formula.to_text(tree)
    indicator.formula_refs = refs


def _ref_nodes(tree):
    if isinstance(tree, formula.Ref):
        yield tree
    elif isinstance(tree, formula.Neg):
        yield from _ref_nodes(tree.operand)
    elif isinstance(tree, formula.Binary):
        yield from _ref_nodes(tree.left)
        yield from _ref_nodes(tree.right)
    elif isinstance(tree, formula.Call):
        for a in tree.args:
            yield from _ref_nodes(a)


def _check_indicator(indicator: Indicator) -> None:
    if indicator.code in formula.RESERVED:
        raise ValidationError({"code": _("'%(code)s' is a function name in formulas") % {"code": indicator.code}})
    indicator.reporting_unit_types = _check_unit_types(indicator.reporting_unit_types, "reporting_unit_types")
    if indicator.direction == Direction.BAND:
        if indicator.band_low is None or indicator.band_high is None or indicator.band_low > indicator.band_high:
            raise ValidationError({"band_low": _("a target band needs a low and a high end, low ≤ high")})
    if indicator.aggregation == Aggregation.WEIGHTED_AVG:
        if indicator.weight_indicator_id is None:
            raise ValidationError({"weight_indicator": _("a weighted average needs the indicator it is weighted by")})
        if indicator.weight_indicator_id == indicator.pk:
            raise ValidationError({"weight_indicator": _("an indicator cannot be weighted by itself")})
    if indicator.min_value is not None and indicator.max_value is not None and indicator.min_value > indicator.max_value:
        raise ValidationError({"min_value": _("the minimum is above the maximum")})
    if (indicator.baseline_value is None) != (indicator.baseline_year is None):
        raise ValidationError({"baseline_year": _("give the baseline value and its year together")})
    if indicator.value_type == ValueType.TEXT and indicator.aggregation != Aggregation.NONE:
        indicator.aggregation = Aggregation.NONE
    _check_formula(indicator)


@transaction.atomic
def create_indicator(actor, *, code: str, name: str, owner_unit: OrgUnit, plan_items: Iterable = (), **fields) -> Indicator:
    authz.require_in_unit(actor, "add", Indicator, owner_unit)
    unknown = set(fields) - set(INDICATOR_FIELDS)
    if unknown:
        raise TypeError(f"unknown indicator fields: {sorted(unknown)}")
    indicator = Indicator(code=code, name=name, owner_unit=owner_unit, **fields)
    _check_indicator(indicator)
    core.create(actor, indicator)
    if plan_items:
        before = audit.snapshot(indicator)
        indicator.plan_items.set(_visible_items(actor, plan_items))
        core.save_if_changed(actor, indicator, before, verb="items")
    return indicator


@transaction.atomic
def update_indicator(actor, indicator: Indicator, *, expected_version: int | None = None, **fields) -> Indicator:
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    authz.require(actor, "change", indicator)
    unknown = set(fields) - set(INDICATOR_FIELDS)
    if unknown:
        raise TypeError(f"unknown indicator fields: {sorted(unknown)}")
    if "owner_unit" in fields and fields["owner_unit"] != indicator.owner_unit:
        authz.require_in_unit(actor, "add", Indicator, fields["owner_unit"])
    core.check_version(indicator, expected_version)
    before = audit.snapshot(indicator)
    for name, value in fields.items():
        setattr(indicator, name, value)
    _check_indicator(indicator)
    indicator.full_clean()
    core.save_if_changed(actor, indicator, before)
    return indicator


@transaction.atomic
def delete_indicator(actor, indicator: Indicator) -> None:
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    authz.require(actor, "delete", indicator)
    # (its own formula never names it: a cycle is refused when a formula is saved)
    dependants = [code for code, refs in _formula_graph().items() if indicator.code in refs]
    dependants += list(ValidationRule.objects.filter(refs__icontains=f'"{indicator.code}"').values_list("code", flat=True))
    if dependants:
        raise ValidationError(_("%(code)s is used in the formulas or rules %(others)s") % {"code": indicator.code, "others": ", ".join(dependants)})
    if indicator.values.exists():
        raise ValidationError(_("%(code)s has reported values; deactivate it instead") % {"code": indicator.code})
    core.delete(actor, indicator)


def _visible_items(actor, items):
    from luoshi.plans.models import PlanItem

    ids = [getattr(i, "pk", i) for i in items]
    visible = list(authz.scope(actor, PlanItem).filter(pk__in=ids))
    if len(visible) != len(set(ids)):
        raise Http404("not found")
    return visible


@transaction.atomic
def set_indicator_items(actor, indicator: Indicator, items: Iterable) -> Indicator:
    """Link the indicator to the plan items it measures (items the actor can see)."""
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    authz.require(actor, "change", indicator)
    before = audit.snapshot(indicator)
    indicator.plan_items.set(_visible_items(actor, items))
    core.save_if_changed(actor, indicator, before, verb="items")
    return indicator


# Category sets --------------------------------------------------------------------------------

def _set_categories(category_set: CategorySet, categories) -> None:
    rows = [(str(c).strip(), str(n).strip()) for c, n in categories]
    codes = [c for c, _n in rows]
    if len(rows) < 2:
        raise ValidationError({"categories": _("a category set needs at least two categories")})
    if len(set(codes)) != len(codes):
        raise ValidationError({"categories": _("category codes repeat")})
    existing = {c.code: c for c in category_set.categories.all()}
    removed = [c for code, c in existing.items() if code not in codes]
    if removed and DataValue.objects.filter(category__in=removed).exists():
        raise ValidationError({"categories": _("categories with reported values cannot be removed")})
    for c in removed:
        c.delete()
    for order, (code, name) in enumerate(rows):
        cat = existing.get(code) or Category(category_set=category_set, code=code)
        cat.name, cat.order = name, order
        cat.full_clean()
        cat.save()


def _category_snapshot(category_set: CategorySet) -> list:
    return [[c.code, c.name] for c in category_set.categories.order_by("order")]  # (orders are 0, 1, 2 …)


@transaction.atomic
def create_category_set(actor, *, code: str, name: str, owner_unit: OrgUnit, categories) -> CategorySet:
    authz.require_in_unit(actor, "add", CategorySet, owner_unit)
    cs = CategorySet(code=code, name=name, owner_unit=owner_unit)
    cs.full_clean()
    cs.save()
    _set_categories(cs, categories)
    after = audit.snapshot(cs)
    after["categories"] = _category_snapshot(cs)
    audit.record(actor, "create", cs, None, after)
    return cs


@transaction.atomic
def update_category_set(actor, category_set: CategorySet, *, expected_version: int | None = None,
                        name: str | None = None, categories=None) -> CategorySet:
    cs = CategorySet.objects.select_for_update().get(pk=category_set.pk)
    authz.require(actor, "change", cs)
    core.check_version(cs, expected_version)
    before = audit.snapshot(cs)
    before["categories"] = _category_snapshot(cs)
    if name is not None:
        cs.name = name
    if categories is not None:
        _set_categories(cs, categories)
    cs.full_clean()
    after = audit.snapshot(cs)
    after["categories"] = _category_snapshot(cs)
    if before != after:
        cs.version += 1
        cs.save()
        after["version"] = cs.version
        audit.record(actor, "update", cs, before, after)
    return cs


@transaction.atomic
def delete_category_set(actor, category_set: CategorySet) -> None:
    cs = CategorySet.objects.select_for_update().get(pk=category_set.pk)
    authz.require(actor, "delete", cs)
    if cs.indicators.exists():
        raise ValidationError(_("indicators use this category set"))
    core.delete(actor, cs)


# Targets --------------------------------------------------------------------------------------

@transaction.atomic
def set_target(actor, *, indicator: Indicator, unit: OrgUnit, year: int, value: float) -> Target:
    """Create or update the target of ``indicator`` for ``unit`` in ``year``."""
    authz.require(actor, "view", indicator)
    existing = Target.objects.select_for_update().filter(indicator=indicator, unit=unit, year=year).first()
    if existing is None:
        authz.require_in_unit(actor, "add", Target, unit)
        return core.create(actor, Target(indicator=indicator, unit=unit, year=year, value=float(value)))
    authz.require(actor, "change", existing)
    core.apply_changes(actor, existing, {"value": float(value)})
    return existing


@transaction.atomic
def delete_target(actor, target: Target) -> None:
    target = Target.objects.select_for_update().get(pk=target.pk)
    authz.require(actor, "delete", target)
    core.delete(actor, target)


# Validation rules -----------------------------------------------------------------------------

def _check_rule(rule: ValidationRule) -> None:
    known = set(Indicator.objects.values_list("code", flat=True))
    try:
        tree, problems = formula.check(rule.expression, known, comparison=True)
    except formula.FormulaError as exc:
        raise ValidationError({"expression": str(exc)}) from None
    if problems:
        raise ValidationError({"expression": [str(p) for p in problems]})
    rule.expression = formula.to_text(tree)
    rule.refs = formula.refs(tree)


@transaction.atomic
def create_rule(actor, *, code: str, expression: str, owner_unit: OrgUnit, tolerance: float = 0,
                severity: str = Severity.ERROR, message: str = "", is_active: bool = True) -> ValidationRule:
    authz.require_in_unit(actor, "add", ValidationRule, owner_unit)
    rule = ValidationRule(code=code, expression=expression, owner_unit=owner_unit, tolerance=tolerance,
                          severity=severity, message=message, is_active=is_active)
    _check_rule(rule)
    return core.create(actor, rule)


@transaction.atomic
def update_rule(actor, rule: ValidationRule, *, expected_version: int | None = None, **fields) -> ValidationRule:
    rule = ValidationRule.objects.select_for_update().get(pk=rule.pk)
    authz.require(actor, "change", rule)
    core.check_version(rule, expected_version)
    before = audit.snapshot(rule)
    for name, value in fields.items():
        if name not in RULE_FIELDS:
            raise TypeError(f"unknown rule field {name!r}")
        setattr(rule, name, value)
    _check_rule(rule)
    rule.full_clean()
    core.save_if_changed(actor, rule, before)
    return rule


@transaction.atomic
def delete_rule(actor, rule: ValidationRule) -> None:
    rule = ValidationRule.objects.select_for_update().get(pk=rule.pk)
    authz.require(actor, "delete", rule)
    core.delete(actor, rule)


# Data sets ------------------------------------------------------------------------------------

def _visible_indicators(actor, indicators) -> list[Indicator]:
    ids = [getattr(i, "pk", i) for i in indicators]
    found = list(authz.scope(actor, Indicator).filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise Http404("not found")
    return found


@transaction.atomic
def create_dataset(actor, *, code: str, name: str, owner_unit: OrgUnit, periodicity: str = Periodicity.YEARLY,
                   indicators: Iterable = (), reporting_unit_types: Iterable[str] = (), description: str = "") -> DataSet:
    authz.require_in_unit(actor, "add", DataSet, owner_unit)
    ds = DataSet(code=code, name=name, owner_unit=owner_unit, periodicity=periodicity, description=description,
                 reporting_unit_types=_check_unit_types(reporting_unit_types, "reporting_unit_types"))
    found = _visible_indicators(actor, indicators)
    _check_dataset_indicators(ds, found)
    ds.full_clean()
    ds.save()
    ds.indicators.set(found)
    audit.record(actor, "create", ds, None, audit.snapshot(ds))
    return ds


def _check_dataset_indicators(ds: DataSet, indicators: list[Indicator]) -> None:
    wrong = [i.code for i in indicators if i.periodicity != ds.periodicity]
    if wrong:
        raise ValidationError({"indicators": _("these indicators are not reported %(period)s: %(codes)s")
                               % {"period": ds.get_periodicity_display(), "codes": ", ".join(wrong)}})


@transaction.atomic
def update_dataset(actor, dataset: DataSet, *, expected_version: int | None = None, indicators=None, **fields) -> DataSet:
    ds = DataSet.objects.select_for_update().get(pk=dataset.pk)
    authz.require(actor, "change", ds)
    core.check_version(ds, expected_version)
    before = audit.snapshot(ds)
    for name, value in fields.items():
        if name not in DATASET_FIELDS:
            raise TypeError(f"unknown data set field {name!r}")
        setattr(ds, name, value)
    ds.reporting_unit_types = _check_unit_types(ds.reporting_unit_types, "reporting_unit_types")
    if "periodicity" in fields and fields["periodicity"] != before["periodicity"] and ds.approvals.exists():
        raise ValidationError({"periodicity": _("the period type of a data set with reported data is fixed")})
    found = _visible_indicators(actor, indicators) if indicators is not None else list(ds.indicators.all())
    _check_dataset_indicators(ds, found)
    ds.full_clean()
    if indicators is not None:
        ds.indicators.set(found)
    core.save_if_changed(actor, ds, before)
    return ds


@transaction.atomic
def delete_dataset(actor, dataset: DataSet) -> None:
    ds = DataSet.objects.select_for_update().get(pk=dataset.pk)
    authz.require(actor, "delete", ds)
    if ds.approvals.exclude(state=ApprovalState.DRAFT).exists():
        raise ValidationError(_("data of this data set has been submitted; it cannot be deleted"))
    core.delete(actor, ds)


# Who reports, and what is locked ---------------------------------------------------------------

def expected_units(dataset: DataSet):
    """Active units expected to report ``dataset``: its owner's subtree, of the listed types."""
    return OrgUnit.objects.filter(path__startswith=dataset.owner_unit.path, is_active=True,
                                  type__in=dataset.reporting_unit_types)


def is_expected(dataset: DataSet, unit: OrgUnit) -> bool:
    return unit.is_active and unit.path.startswith(dataset.owner_unit.path) and unit.type in dataset.reporting_unit_types


def approvable(dataset: DataSet, unit: OrgUnit) -> bool:
    """Is ``unit`` part of the approval chain: an expected reporter or above one (within the owner)?"""
    if not unit.path.startswith(dataset.owner_unit.path):
        return False
    return expected_units(dataset).filter(path__startswith=unit.path).exists()


def normalise_period(dataset_or_kind, text: str) -> str:
    """The canonical key of ``text`` for the data set's (or the given) period type; ``ValidationError``."""
    kind = dataset_or_kind.periodicity if isinstance(dataset_or_kind, DataSet) else dataset_or_kind
    try:
        found_kind, period = period_rules.normalise_period(text)
    except ValueError as exc:
        raise ValidationError({"period": str(exc)}) from None
    if found_kind != kind:
        raise ValidationError({"period": _("%(period)s is not a %(kind)s period") % {
            "period": period.key, "kind": Periodicity(kind).label}})
    return period.key


LOCKING_STATES = (ApprovalState.SUBMITTED, ApprovalState.APPROVED)


def locked_keys(indicator_ids: Iterable[int], unit_ids: Iterable[int] | None = None, periods: Iterable[str] | None = None) -> dict[tuple[int, int, str], str]:
    """``(indicator id, unit id, period) -> approval state`` for values locked by a submission or approval."""
    qs = Approval.objects.filter(state__in=LOCKING_STATES, dataset__indicators__in=list(indicator_ids))
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=list(unit_ids))
    if periods is not None:
        qs = qs.filter(period__in=list(periods))
    out: dict[tuple[int, int, str], str] = {}
    for ind, unit, period, state in qs.values_list("dataset__indicators", "unit_id", "period", "state"):
        if out.get((ind, unit, period)) != ApprovalState.APPROVED:
            out[(ind, unit, period)] = state
    return out


# Entering data --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One cell of the entry grid: a value typed for an indicator (and category)."""

    indicator_code: str
    value: object
    comment: str = ""
    category_code: str | None = None


@dataclass(frozen=True)
class Problem:
    indicator: str
    category: str | None
    message: str
    code: str = ""

    def __str__(self) -> str:
        where = self.indicator + (f" [{self.category}]" if self.category else "")
        return f"{where}: {self.message}"


@dataclass
class SaveResult:
    saved: int = 0
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def rule_specs(indicator_codes: Iterable[str]) -> list[validation.RuleSpec]:
    """Active rules whose every indicator is in ``indicator_codes``."""
    codes = set(indicator_codes)
    specs = []
    for rule in ValidationRule.objects.filter(is_active=True):
        if rule.refs and set(rule.refs) <= codes:
            specs.append(validation.RuleSpec.of(rule))
    return specs


def outlier_flags(indicator: Indicator, unit: OrgUnit, period: str, category_id, value: float) -> list[str]:
    """``outlier_own`` / ``outlier_peer`` when ``value`` stands out from the unit's own history or its peers."""
    flags = []
    kind = indicator.periodicity
    earlier = [period_rules.shift_period(kind, period, -k).key for k in range(1, HISTORY_PERIODS + 1)]
    own = list(DataValue.objects.filter(indicator=indicator, unit=unit, category_id=category_id, period__in=earlier,
                                        value__isnull=False).values_list("value", flat=True))
    if outliers.is_outlier(value, own):
        flags.append("outlier_own")
    if unit.parent_id is not None:
        peers = list(DataValue.objects.filter(indicator=indicator, period=period, category_id=category_id,
                                              unit__parent_id=unit.parent_id, unit__type=unit.type,
                                              value__isnull=False).exclude(unit=unit).values_list("value", flat=True))
        if outliers.is_outlier(value, peers):
            flags.append("outlier_peer")
    return flags


def outlier_flags_many(unit: OrgUnit, period: str, items: list[tuple[Indicator, object, float]]) -> dict[tuple, list[str]]:
    """``outlier_flags`` for several values of one unit and period in two queries:
    ``{(indicator id, category id): flags}`` for ``items`` of (indicator, category id, value)."""
    if not items:
        return {}
    kinds = {ind.periodicity for ind, _c, _v in items}
    earlier = {p for kind in kinds for p in (period_rules.shift_period(kind, period, -k).key
                                                for k in range(1, HISTORY_PERIODS + 1))}
    ids = {ind.pk for ind, _c, _v in items}
    own: dict[tuple, list[float]] = {}
    for ind_id, cat_id, value in DataValue.objects.filter(indicator_id__in=ids, unit=unit, period__in=earlier,
                                                          value__isnull=False).values_list("indicator_id", "category_id", "value"):
        own.setdefault((ind_id, cat_id), []).append(value)
    peers: dict[tuple, list[float]] = {}
    if unit.parent_id is not None:
        for ind_id, cat_id, value in (DataValue.objects.filter(indicator_id__in=ids, period=period, value__isnull=False,
                                                               unit__parent_id=unit.parent_id, unit__type=unit.type)
                                      .exclude(unit=unit).values_list("indicator_id", "category_id", "value")):
            peers.setdefault((ind_id, cat_id), []).append(value)
    out = {}
    for ind, cat_id, value in items:
        key = (ind.pk, cat_id)
        flags = []
        if outliers.is_outlier(value, own.get(key, [])):
            flags.append("outlier_own")
        if outliers.is_outlier(value, peers.get(key, [])):
            flags.append("outlier_peer")
        out[key] = flags
    return out


def _warning_text(flag: str) -> str:
    """The words of an outlier flag (``outlier_own`` or ``outlier_peer``; a rule's warning is its own message)."""
    if flag == "outlier_own":
        return _("unusual compared with this unit's earlier periods")
    return _("unusual compared with peer units this period")


@dataclass
class _Checked:
    """What the checks of a save found: the parsed entries, the stored values they meet, and the
    warning flags each value will carry."""

    period: str
    approval: Approval | None
    parsed: list                                   # (indicator, category, number, text, comment)
    existing: dict                                 # (indicator id, category id) -> DataValue
    flags: dict = field(default_factory=dict)      # (indicator id, category id) -> [flag, ...]


def _check_entries(actor, dataset: DataSet, unit: OrgUnit, period: str, entries: list[Entry], *,
                   for_update: bool) -> tuple[SaveResult, _Checked | None]:
    """Every check of a save, reading only (``for_update``: lock the stored values the save will
    change). Returns the result with its errors and warnings, and what to write if none is an error."""
    authz.require(actor, "view", dataset)
    authz.require_in_unit(actor, "change", DataValue, unit)
    result = SaveResult()
    period = normalise_period(dataset, period)
    if not is_expected(dataset, unit):
        raise ValidationError(_("%(unit)s is not expected to report %(dataset)s") % {"unit": unit, "dataset": dataset.name})
    approval = Approval.objects.filter(dataset=dataset, unit=unit, period=period).first()
    if approval and approval.state in LOCKING_STATES:
        raise ValidationError(_("the data of %(unit)s for %(period)s is %(state)s and locked") % {
            "unit": unit, "period": period, "state": approval.get_state_display()})
    indicators = {i.code: i for i in dataset.indicators.select_related("category_set")}
    categories = {(c.category_set_id, c.code): c for c in Category.objects.filter(
        category_set_id__in={i.category_set_id for i in indicators.values() if i.category_set_id})}
    parsed = []  # (indicator, category, number, text, comment)
    seen = set()
    for entry in entries:
        ind = indicators.get(entry.indicator_code)
        cat_code = entry.category_code or None
        if ind is None:
            result.errors.append(Problem(entry.indicator_code, cat_code, _("not an indicator of this data set"), "unknown"))
            continue
        spec = validation.Spec.of(ind)
        if spec.derived:
            result.errors.append(Problem(ind.code, cat_code, _("computed from its formula, not entered"), "derived"))
            continue
        category = None
        if ind.category_set_id:
            category = categories.get((ind.category_set_id, cat_code))
            if category is None:
                result.errors.append(Problem(ind.code, cat_code, _("give one of the categories of %(set)s; the total is derived")
                                             % {"set": ind.category_set.name}, "category"))
                continue
        elif cat_code:
            result.errors.append(Problem(ind.code, cat_code, _("this indicator has no categories"), "category"))
            continue
        key = (ind.pk, category.pk if category else None)
        if key in seen:
            result.errors.append(Problem(ind.code, cat_code, _("entered twice"), "duplicate"))
            continue
        seen.add(key)
        try:
            number, text = validation.parse_value(spec, entry.value)
        except validation.BadValue as exc:
            result.errors.append(Problem(ind.code, cat_code, str(exc), "type"))
            continue
        if problem := validation.range_problem(spec, number):
            result.errors.append(Problem(ind.code, cat_code, problem, "range"))
            continue
        parsed.append((ind, category, number, text, (entry.comment or "").strip()[:1000]))
    if result.errors:
        return result, None

    stored = DataValue.objects.filter(unit=unit, period=period, indicator__in=indicators.values())
    existing = {(v.indicator_id, v.category_id): v for v in (stored.select_for_update() if for_update else stored)}
    # Rules between indicators, per category (and the totals-only case), on the values as they will be.
    merged: dict[object, dict[str, float | None]] = {}
    for (ind_id, cat_id), v in existing.items():
        code = next(c for c, i in indicators.items() if i.pk == ind_id)
        merged.setdefault(cat_id, {})[code] = v.value
    for ind, category, number, _text, _comment in parsed:
        merged.setdefault(category.pk if category else None, {})[ind.code] = number
    rule_flags: dict[tuple[str, object], list[str]] = {}
    rules = rule_specs(indicators)
    for cat_id, values in merged.items():
        for outcome in validation.broken_rules(rules, values):
            problem = Problem(outcome.rule.refs[0], _category_code(categories, cat_id), outcome.message(), f"rule:{outcome.rule.code}")
            if outcome.rule.severity == Severity.ERROR:
                result.errors.append(problem)
            else:
                result.warnings.append(problem)
                for code in outcome.rule.refs:
                    rule_flags.setdefault((code, cat_id), []).append(f"rule:{outcome.rule.code}")
    if result.errors:
        return result, None

    checked = _Checked(period, approval, parsed, existing)
    outlier_map = outlier_flags_many(unit, period, [
        (ind, category.pk if category else None, number) for ind, category, number, _t, _c in parsed
        if number is not None and ind.value_type not in (ValueType.BOOLEAN, ValueType.TEXT)])
    for ind, category, number, text, comment in parsed:
        cat_id = category.pk if category else None
        flags = list(rule_flags.get((ind.code, cat_id), [])) + outlier_map.get((ind.pk, cat_id), [])
        checked.flags[(ind.pk, cat_id)] = flags
        for flag in flags:
            if not flag.startswith("rule:"):
                result.warnings.append(Problem(ind.code, category.code if category else None, _warning_text(flag), flag))
        current = existing.get((ind.pk, cat_id))
        if number is None and not text:
            result.saved += current is not None  # a cleared cell removes the value
        elif current is not None and (current.value, current.text_value, current.comment) == (number, text, comment) \
                and current.warnings == flags:
            result.unchanged += 1
        else:
            result.saved += 1
    return result, checked


def check_values(actor, *, dataset: DataSet, unit: OrgUnit, period: str, entries: list[Entry]) -> SaveResult:
    """What :func:`save_values` would answer (errors, warnings, how many values it would save or
    leave), without writing anything or taking locks: the entry grid's inline validation."""
    result, _checked = _check_entries(actor, dataset, unit, period, entries, for_update=False)
    return result


@transaction.atomic
def save_values(actor, *, dataset: DataSet, unit: OrgUnit, period: str, entries: list[Entry]) -> SaveResult:
    """Save a unit's values of a data set for a period as a draft (the entry grid).

    Errors (wrong type, out of range, an error rule broken, locked data) block the whole save.
    Warnings (outliers, warning rules) are saved on the values, which are marked for follow-up;
    a warned value needs a comment before the data can be submitted.
    """
    result, checked = _check_entries(actor, dataset, unit, period, entries, for_update=True)
    if checked is None:
        return result
    period, existing = checked.period, checked.existing
    now = timezone.now()
    records = []
    for ind, category, number, text, comment in checked.parsed:
        cat_id = category.pk if category else None
        flags = checked.flags[(ind.pk, cat_id)]
        current = existing.get((ind.pk, cat_id))
        if number is None and not text:
            if current is not None:  # a cleared cell removes the value
                records.append(audit.build(actor, "delete", current, audit.snapshot(current), None))
                current.delete()
            continue
        if current is None:
            value = DataValue(indicator=ind, unit=unit, period=period, category=category, value=number, text_value=text,
                              comment=comment, warnings=flags, follow_up=bool(flags), entered_by=actor,
                              updated_at=now)
            value.save()
            records.append(audit.build(actor, "create", value, None, audit.snapshot(value)))
            continue
        before = audit.snapshot(current)
        if (current.value, current.text_value, current.comment) == (number, text, comment) and current.warnings == flags:
            continue
        current.value, current.text_value, current.comment = number, text, comment
        if current.warnings != flags:  # new warnings mark the value; a mark is kept when they go
            current.follow_up = bool(flags) or current.follow_up
            current.warnings = flags
        current.entered_by = actor
        current.updated_at = now
        current.save()
        records.append(audit.build(actor, "update", current, before, audit.snapshot(current)))
    audit.record_many(records)
    if checked.approval is None:
        Approval.objects.create(dataset=dataset, unit=unit, period=period)
    return result


def _category_code(categories, cat_id) -> str | None:
    for c in categories.values():
        if c.pk == cat_id:
            return c.code
    return None


# Approval -------------------------------------------------------------------------------------

def _approval_for_update(dataset: DataSet, unit: OrgUnit, period: str) -> Approval:
    approval, _created = Approval.objects.select_for_update().get_or_create(dataset=dataset, unit=unit, period=period)
    return approval


def _set_value_state(dataset: DataSet, unit: OrgUnit, period: str, state: str) -> int:
    return DataValue.objects.filter(unit=unit, period=period, indicator__in=dataset.indicators.all()).update(state=state)


def _record_transition(actor, approval: Approval, before: dict, verb: str) -> None:
    approval.version += 1
    approval.save()
    audit.record(actor, "update", approval, before, audit.snapshot(approval), verb)


@transaction.atomic
def submit(actor, *, dataset: DataSet, unit: OrgUnit, period: str) -> Approval:
    """The reporter sends the unit's data for review; required values and warning comments are checked."""
    authz.require(actor, "view", dataset)
    authz.require_in_unit(actor, "submit", Approval, unit)
    period = normalise_period(dataset, period)
    if not is_expected(dataset, unit):
        raise ValidationError(_("%(unit)s is not expected to report %(dataset)s") % {"unit": unit, "dataset": dataset.name})
    approval = _approval_for_update(dataset, unit, period)
    if approval.state not in (ApprovalState.DRAFT, ApprovalState.RETURNED):
        raise ValidationError(_("the data is already %(state)s") % {"state": approval.get_state_display()})
    values = DataValue.objects.filter(unit=unit, period=period, indicator__in=dataset.indicators.all())
    present = set(values.values_list("indicator_id", flat=True))
    # Required: the active, reported indicators of the data set that this unit's type reports
    # (an indicator that names no types is reported by every type), as in the entry grid.
    missing = [i.code for i in dataset.indicators.filter(required=True, formula="", is_active=True).order_by("code")
               if i.pk not in present and (not i.reporting_unit_types or unit.type in i.reporting_unit_types)]
    problems = []
    if missing:
        problems.append(_("required values are missing: %(codes)s") % {"codes": ", ".join(missing)})
    uncommented = [f"{code}" for code, warnings, comment in values.values_list("indicator__code", "warnings", "comment")
                   if warnings and not comment.strip()]
    if uncommented:
        problems.append(_("values with warnings need a comment: %(codes)s") % {"codes": ", ".join(sorted(set(uncommented)))})
    if problems:
        raise ValidationError(problems)
    before = audit.snapshot(approval)
    approval.state = ApprovalState.SUBMITTED
    approval.submitted_by, approval.submitted_at, approval.reason = actor, timezone.now(), ""
    _set_value_state(dataset, unit, period, ValueState.SUBMITTED)
    _record_transition(actor, approval, before, "submit")
    return approval


def _require_reviewer_above(actor, approval: Approval, dataset: DataSet, unit: OrgUnit) -> None:
    """Only a reviewer of a unit above (or of the data set's owner, for the owner itself) approves."""
    authz.require(actor, "review", approval)
    if authz.is_unrestricted(actor):
        return
    grants = [g for g in authz.grants(actor) if g.role in authz.allowed_roles(Approval, "review")]
    above = any(g.covers_below and unit.path.startswith(g.path) and g.path != unit.path for g in grants)
    own_top = unit.pk == dataset.owner_unit_id and any(g.path == unit.path for g in grants)
    if not (above or own_top):
        raise PermissionDenied(_("a unit's data is approved by a reviewer of the unit above it"))


def _child_units_in_chain(dataset: DataSet, unit: OrgUnit) -> list[OrgUnit]:
    return [c for c in OrgUnit.objects.filter(parent=unit, is_active=True) if approvable(dataset, c)]


@transaction.atomic
def approve(actor, *, dataset: DataSet, unit: OrgUnit, period: str) -> Approval:
    """Approve a unit's data: only after every unit below it in the chain is approved; locks the values."""
    authz.require(actor, "view", dataset)
    period = normalise_period(dataset, period)
    if not approvable(dataset, unit):
        raise ValidationError(_("%(unit)s does not report %(dataset)s") % {"unit": unit, "dataset": dataset.name})
    approval = _approval_for_update(dataset, unit, period)
    _require_reviewer_above(actor, approval, dataset, unit)
    if approval.state == ApprovalState.APPROVED:
        raise ValidationError(_("the data is already approved"))
    if is_expected(dataset, unit) and approval.state != ApprovalState.SUBMITTED:
        raise ValidationError(_("%(unit)s has not submitted its data for %(period)s") % {"unit": unit, "period": period})
    children = _child_units_in_chain(dataset, unit)
    approved = set(Approval.objects.filter(dataset=dataset, period=period, unit__in=children,
                                           state=ApprovalState.APPROVED).values_list("unit_id", flat=True))
    waiting = [c.display_name for c in children if c.pk not in approved]
    if waiting:
        raise ValidationError(_("first approve the units below: %(units)s") % {"units": "、".join(waiting[:20])
                                                                              + ("…" if len(waiting) > 20 else "")})
    before = audit.snapshot(approval)
    approval.state = ApprovalState.APPROVED
    approval.approved_by, approval.approved_at, approval.reason = actor, timezone.now(), ""
    _set_value_state(dataset, unit, period, ValueState.APPROVED)
    _record_transition(actor, approval, before, "approve")
    return approval


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("give a reason")})
    return reason


@transaction.atomic
def return_data(actor, *, dataset: DataSet, unit: OrgUnit, period: str, reason: str) -> Approval:
    """Send submitted data back to the reporter (退回) with a reason; unlocks it."""
    authz.require(actor, "view", dataset)
    period = normalise_period(dataset, period)
    approval = _approval_for_update(dataset, unit, period)
    _require_reviewer_above(actor, approval, dataset, unit)
    reason = _reason(reason)
    if approval.state != ApprovalState.SUBMITTED:
        raise ValidationError(_("only submitted data can be returned"))
    before = audit.snapshot(approval)
    approval.state, approval.reason = ApprovalState.RETURNED, reason
    _set_value_state(dataset, unit, period, ValueState.DRAFT)
    _record_transition(actor, approval, before, "return")
    return approval


@transaction.atomic
def unapprove(actor, *, dataset: DataSet, unit: OrgUnit, period: str, reason: str) -> Approval:
    """Withdraw an approval (with a reason, audited); the unit above must not be approved."""
    authz.require(actor, "view", dataset)
    period = normalise_period(dataset, period)
    approval = _approval_for_update(dataset, unit, period)
    _require_reviewer_above(actor, approval, dataset, unit)
    reason = _reason(reason)
    if approval.state != ApprovalState.APPROVED:
        raise ValidationError(_("the data is not approved"))
    if unit.parent_id and Approval.objects.filter(dataset=dataset, unit_id=unit.parent_id, period=period,
                                                   state=ApprovalState.APPROVED).exists():
        raise ValidationError(_("the unit above has approved this data; un-approve it there first"))
    before = audit.snapshot(approval)
    approval.reason = reason
    approval.approved_by, approval.approved_at = None, None
    approval.state = ApprovalState.SUBMITTED if is_expected(dataset, unit) else ApprovalState.DRAFT
    _set_value_state(dataset, unit, period, ValueState.SUBMITTED)
    _record_transition(actor, approval, before, "unapprove")
    return approval


@transaction.atomic
def set_follow_up(actor, value: DataValue, follow_up: bool) -> DataValue:
    """A reviewer marks a value for follow-up, or clears the mark once it has been looked into."""
    value = DataValue.objects.select_for_update().select_related("unit").get(pk=value.pk)
    authz.require(actor, "review", value)
    if value.follow_up == bool(follow_up):
        return value
    before = audit.snapshot(value)
    value.follow_up = bool(follow_up)
    value.save(update_fields=["follow_up"])
    audit.record(actor, "update", value, before, audit.snapshot(value), "follow_up")
    return value


def show_unapproved() -> bool:
    return bool(settings.LUOSHI_SHOW_UNAPPROVED_DATA)  # (settings.py always sets it, True by default)


@transaction.atomic
def flag_outliers(actor, indicator: Indicator, period: str) -> int:
    """Recompute the outlier warnings of every value of ``indicator`` in ``period`` the actor may
    review (after a large import), in a few queries; returns how many values changed."""
    if indicator.value_type in (ValueType.BOOLEAN, ValueType.TEXT):
        return 0
    period = normalise_period(indicator.periodicity, period)
    values = list(authz.scope(actor, DataValue.objects.filter(indicator=indicator, period=period, value__isnull=False)
                              .select_related("unit"), "review"))
    if not values:
        return 0
    earlier = [period_rules.shift_period(indicator.periodicity, period, -k).key for k in range(1, HISTORY_PERIODS + 1)]
    history: dict[tuple, list[float]] = {}
    for unit_id, cat_id, value in DataValue.objects.filter(
            indicator=indicator, period__in=earlier, unit_id__in=[v.unit_id for v in values], value__isnull=False
    ).values_list("unit_id", "category_id", "value"):
        history.setdefault((unit_id, cat_id), []).append(value)
    peers: dict[tuple, list[DataValue]] = {}
    for v in DataValue.objects.filter(indicator=indicator, period=period, value__isnull=False).select_related("unit"):
        peers.setdefault((v.unit.parent_id, v.unit.type, v.category_id), []).append(v)
    changed, records = 0, []
    for v in values:
        flags = [f for f in v.warnings if f.startswith("rule:")]
        if outliers.is_outlier(v.value, history.get((v.unit_id, v.category_id), [])):
            flags.append("outlier_own")
        # v is among its peers unless another transaction changed it between the two reads
        group = [p.value for p in peers.get((v.unit.parent_id, v.unit.type, v.category_id), []) if p.pk != v.pk]
        if v.unit.parent_id is not None and outliers.is_outlier(v.value, group):
            flags.append("outlier_peer")
        if flags != v.warnings:
            before = audit.snapshot(v)
            v.warnings, v.follow_up = flags, bool(flags) or v.follow_up
            v.save(update_fields=["warnings", "follow_up"])
            records.append(audit.build(actor, "update", v, before, audit.snapshot(v), "outliers"))
            changed += 1
    audit.record_many(records)
    return changed
