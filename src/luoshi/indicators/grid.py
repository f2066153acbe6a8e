"""The shape of the data-entry grid: one row per indicator of a data set (7b's module).

For a unit, data set and period: every active indicator of the data set that the unit's type
reports, in the data set's order (by code). An indicator with a category set becomes a group:
one input per category and a read-only total derived from them. An indicator defined by a
formula is shown read-only. Beside each cell: the value of the previous period and the comment.

Cell keys, used in field names (``v_<key>``, ``c_<key>``) and by ``entry.js``:
``<indicator id>`` or ``<indicator id>-<category id>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from luoshi.core import authz
from luoshi.indicators.display import fmt
from luoshi.indicators.models import Category, DataSet, DataValue, Indicator
from luoshi.orgs.models import OrgUnit
from luoshi.plans import rules


FLAG_TEXTS = {
    "outlier_own": _("unusual compared with this unit's earlier periods"),
    "outlier_peer": _("unusual compared with peer units this period"),
}


def flag_text(code: str) -> str:
    """A stored warning code (``outlier_own``, ``rule:<code>``) in words."""
    if code.startswith("rule:"):
        return str(_("validation rule %(code)s does not hold")) % {"code": code[5:]}
    return str(FLAG_TEXTS.get(code, code))


def cell_key(indicator_id: int, category_id: int | None) -> str:
    return str(indicator_id) if category_id is None else f"{indicator_id}-{category_id}"


def previous_period(kind: str, period: str) -> str | None:
    """The period before ``period`` (``2024`` → ``2023``, ``2024-Q1`` → ``2023-Q4``)."""
    try:
        current = rules.parse_period(kind, period)
    except ValueError:
        return None
    return rules.previous_period(kind, current.start).key


@dataclass
class Cell:
    key: str
    indicator: Indicator
    category: Category | None
    value: str = ""
    comment: str = ""
    previous: str = ""
    state: str = ""
    flags: list[str] = field(default_factory=list)
    follow_up: bool = False
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def needs_comment(self) -> bool:
        return bool(self.warnings) and not self.comment.strip()

    @property
    def label(self) -> str:
        return f"{self.indicator.name} · {self.category.name}" if self.category else self.indicator.name


@dataclass
class Row:
    indicator: Indicator
    kind: str                       # "single", "group" or "derived"
    cells: list[Cell]
    total: str = ""                 # group: sum of the categories; derived: the computed value
    previous_total: str = ""

    @property
    def parts(self) -> str:
        return " ".join(c.key for c in self.cells)


@dataclass
class Grid:
    dataset: DataSet
    unit: OrgUnit
    period: str
    previous: str | None
    rows: list[Row]

    def cells(self) -> list[Cell]:
        return [c for r in self.rows if r.kind != "derived" for c in r.cells]

    def cell(self, key: str) -> Cell | None:
        return next((c for c in self.cells() if c.key == key), None)

    @property
    def errors(self) -> int:
        return sum(len(c.errors) for c in self.cells())

    @property
    def warnings(self) -> int:
        return sum(len(c.warnings) for c in self.cells())


def grid_indicators(dataset: DataSet, unit: OrgUnit) -> list[Indicator]:
    """The data set's active indicators that ``unit``'s type reports (every type when none is named)."""
    indicators = dataset.indicators.filter(is_active=True).select_related("category_set").order_by("code")
    return [i for i in indicators if not i.reporting_unit_types or unit.type in i.reporting_unit_types]


def _sum(indicator: Indicator, values: list[float | None]) -> str:
    numbers = [v for v in values if v is not None]
    return fmt(indicator, sum(numbers)) if numbers else ""


def build(user, dataset: DataSet, unit: OrgUnit, period: str, derived: dict[int, float | None] | None = None) -> Grid:
    """The grid with the stored values of ``period`` and the previous period (scoped reads)."""
    indicators = grid_indicators(dataset, unit)
    previous = previous_period(dataset.periodicity, period)
    periods = [p for p in (period, previous) if p]
    stored = authz.scope(user, DataValue.objects.filter(indicator__in=indicators, unit=unit, period__in=periods))
    now: dict[str, DataValue] = {}
    before: dict[str, DataValue] = {}
    for v in stored:
        (now if v.period == period else before)[cell_key(v.indicator_id, v.category_id)] = v
    categories: dict[int, list[Category]] = {}
    set_ids = {i.category_set_id for i in indicators if i.category_set_id}
    for cat in Category.objects.filter(category_set_id__in=set_ids).order_by("order", "code"):
        categories.setdefault(cat.category_set_id, []).append(cat)

    def make(indicator: Indicator, category: Category | None) -> Cell:
        key = cell_key(indicator.pk, category.pk if category else None)
        cell = Cell(key, indicator, category)
        if key in now:
            v = now[key]
            cell.value, cell.comment, cell.state = fmt(indicator, v.value, v.text_value), v.comment, v.state
            cell.flags, cell.follow_up = list(v.warnings or []), v.follow_up
            cell.warnings = [flag_text(f) for f in cell.flags]
        if key in before:
            cell.previous = fmt(indicator, before[key].value, before[key].text_value)
        return cell

    rows = []
    for indicator in indicators:
        if indicator.is_derived:
            value = (derived or {}).get(indicator.pk)
            rows.append(Row(indicator, "derived", [Cell(cell_key(indicator.pk, None), indicator, None)],
                            total=fmt(indicator, value) if value is not None else ""))
        elif indicator.category_set_id and categories.get(indicator.category_set_id):
            cells = [make(indicator, c) for c in categories[indicator.category_set_id]]
            row = Row(indicator, "group", cells)
            row.total = _sum(indicator, [now[c.key].value if c.key in now else None for c in cells])
            row.previous_total = _sum(indicator, [before[c.key].value if c.key in before else None for c in cells])
            rows.append(row)
        else:
            rows.append(Row(indicator, "single", [make(indicator, None)]))
    return Grid(dataset, unit, period, previous, rows)


def apply_post(grid: Grid, data) -> None:
    """Put what the user typed into the grid's cells (to show it again beside the messages)."""
    for cell in grid.cells():
        if f"v_{cell.key}" in data:
            cell.value = data.get(f"v_{cell.key}", "").strip()
        if f"c_{cell.key}" in data:
            cell.comment = data.get(f"c_{cell.key}", "").strip()
    for row in grid.rows:
        if row.kind == "group":
            values = []
            for c in row.cells:
                try:
                    values.append(float(c.value.replace(",", "")))
                except ValueError:  # blank or not a number: the checks say so beside the cell
                    continue
            row.total = fmt(row.indicator, sum(values)) if values else ""


def entries(grid: Grid, data, entry_class) -> list:
    """The posted cells as the service's entries: every cell that has a value now or had one."""
    out = []
    for cell in grid.cells():
        name = f"v_{cell.key}"
        if name not in data:
            continue
        value = data.get(name, "").strip()
        comment = data.get(f"c_{cell.key}", "").strip()
        if not value and not cell.state and not comment:
            continue
        out.append(entry_class(cell.indicator.code, value, comment, cell.category.code if cell.category else None))
    return out


def attach_problems(grid: Grid, errors, warnings) -> None:
    """Hang the service's problems on the cells they concern (by indicator and category); they
    replace the warnings stored with the values."""
    from luoshi.indicators.models import ValidationRule

    for cell in grid.cells():
        cell.errors, cell.warnings = [], []
    rule_codes = {p.code[5:] for p in [*errors, *warnings] if str(getattr(p, "code", "")).startswith("rule:")}
    rule_refs = dict(ValidationRule.objects.filter(code__in=rule_codes).values_list("code", "refs")) if rule_codes else {}
    for problems, attr in ((errors, "errors"), (warnings, "warnings")):
        expanded = []
        for p in problems:  # a broken rule concerns every indicator it names
            code = str(getattr(p, "code", ""))
            refs = rule_refs.get(code[5:], []) if code.startswith("rule:") else []
            expanded += [type(p)(ref, p.category, p.message, code) for ref in refs] if refs else [p]
        for p in expanded:
            indicator = getattr(p, "indicator", None)
            category = getattr(p, "category", None)
            ind_id = getattr(indicator, "pk", None)
            if ind_id is None and indicator is not None:
                ind_id = next((r.indicator.pk for r in grid.rows if r.indicator.code == str(indicator)), None)
            cat_id = getattr(category, "pk", None)
            if cat_id is None and category:
                cat_id = next((c.category.pk for c in grid.cells() if c.category and c.indicator.pk == ind_id
                               and c.category.code == str(category)), None)
            cell = grid.cell(cell_key(ind_id, cat_id)) if ind_id else None
            if cell is None and ind_id:  # a problem of a disaggregated indicator's total: show it on its first category
                cell = next((c for c in grid.cells() if c.indicator.pk == ind_id), None)
            if cell is not None:
                getattr(cell, attr).append(str(p.message))


def messages_json(grid: Grid) -> dict:
    """The inline check's answer for ``entry.js``."""
    cells = {c.key: {"errors": c.errors, "warnings": c.warnings, "needs_comment": c.needs_comment}
             for c in grid.cells() if c.errors or c.warnings}
    totals = {str(r.indicator.pk): r.total or "—" for r in grid.rows if r.kind in ("group", "derived")}
    return {"cells": cells, "totals": totals, "errors": grid.errors, "warnings": grid.warnings}


def dataset_indicators(dataset: DataSet) -> list[Indicator]:
    return list(dataset.indicators.filter(is_active=True).select_related("category_set").order_by("code"))


def check(user, *, dataset: DataSet, unit: OrgUnit, period: str, entries: list):
    """The inline check: ``services.check_values``, the very checks of ``save_values`` (errors,
    warnings, outliers) run read-only, so validating a cell writes nothing and locks nothing."""
    from luoshi.indicators import services

    return services.check_values(user, dataset=dataset, unit=unit, period=period, entries=entries)


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").strip())
    except ValueError:
        return None


def derive(grid: Grid) -> None:
    """Compute the derived rows from the values now in the grid (what the user typed), for the
    inline check; references outside the grid stay as stored (unknown here: not computable)."""
    from luoshi.indicators import formula

    values: dict[str, float | None] = {}
    for row in grid.rows:
        if row.kind == "single":
            values[row.indicator.code] = _number(row.cells[0].value) if row.cells[0].value else None
        elif row.kind == "group":
            parts = [_number(c.value) for c in row.cells if c.value]
            values[row.indicator.code] = sum(p for p in parts if p is not None) if parts and None not in parts else None
    for row in grid.rows:
        if row.kind != "derived":
            continue
        refs = row.indicator.formula_refs or []
        if any(r not in values for r in refs):
            continue  # keep the stored computation
        try:
            result = formula.evaluator(row.indicator.formula)({r: values[r] for r in refs})
        except (formula.FormulaError, ZeroDivisionError, TypeError):
            result = None
        row.total = fmt(row.indicator, result) if result is not None else ""
