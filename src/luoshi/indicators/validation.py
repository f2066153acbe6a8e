"""Pure checks of reported values: typing, range, required, rules between indicators.

No database access: callers pass plain descriptions of indicators (``Spec``) and rules
(``RuleSpec``), so the same checks serve the entry grid, the importer and the API, and can be
tested exhaustively.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from luoshi.indicators import formula

TRUE_WORDS = {"1", "yes", "y", "true", "是", "有", "√"}
FALSE_WORDS = {"0", "no", "n", "false", "否", "无", "×"}


@dataclass(frozen=True)
class Spec:
    """What the checks need to know about an indicator."""

    code: str
    value_type: str = "number"
    decimals: int = 2
    min_value: float | None = None
    max_value: float | None = None
    required: bool = False
    derived: bool = False
    disaggregated: bool = False

    @classmethod
    def of(cls, indicator) -> Spec:
        return cls(code=indicator.code, value_type=indicator.value_type, decimals=indicator.decimals,
                   min_value=indicator.min_value, max_value=indicator.max_value, required=indicator.required,
                   derived=bool(indicator.formula.strip()), disaggregated=indicator.category_set_id is not None)


@dataclass(frozen=True)
class RuleSpec:
    code: str
    tree: formula.Node
    refs: tuple[str, ...]
    tolerance: float
    severity: str
    message: str

    @classmethod
    def of(cls, rule) -> RuleSpec:
        tree = formula.parse(rule.expression)
        return cls(rule.code, tree, tuple(formula.refs(tree)), float(rule.tolerance), rule.severity, rule.message)


class BadValue(ValueError):
    """A value that does not fit its indicator (message for the user)."""


def parse_value(spec: Spec, text: object) -> tuple[float | None, str]:
    """``(number, text)`` stored for the typed ``text``; ``BadValue`` if it does not fit the type.

    Blank gives ``(None, "")``. Numbers accept thousands separators and full-width digits; a
    percent may carry a trailing ``%``.
    """
    if text is None:
        return None, ""
    if isinstance(text, bool):
        text = "1" if text else "0"
    raw = str(text).strip()  # (a float's str() is its shortest text that reads back as the same float)
    if raw == "":
        return None, ""
    if spec.value_type in ("number", "percent", "integer") and raw[-1:].isdigit():
        try:  # the common case: a plain number
            number = float(raw)
        except ValueError:
            pass
        else:
            if math.isfinite(number) and (spec.value_type != "integer" or number == int(number)):
                return number, ""
    if spec.value_type == "text":
        if len(raw) > 500:
            raise BadValue(_("text longer than 500 characters"))
        return None, raw
    if spec.value_type == "boolean":
        lowered = raw.lower()
        if lowered in TRUE_WORDS:
            return 1.0, ""
        if lowered in FALSE_WORDS:
            return 0.0, ""
        raise BadValue(_("expected yes or no (1/0), got %(value)r") % {"value": raw})
    cleaned = raw.translate(_FULLWIDTH).replace(",", "").replace(" ", "")
    if spec.value_type == "percent" and cleaned.endswith("%"):
        cleaned = cleaned[:-1]
    try:
        number = float(cleaned)
    except ValueError:
        raise BadValue(_("expected a number, got %(value)r") % {"value": raw}) from None
    if not math.isfinite(number):
        raise BadValue(_("expected a number, got %(value)r") % {"value": raw})
    if spec.value_type == "integer" and number != int(number):
        raise BadValue(_("expected a whole number, got %(value)r") % {"value": raw})
    return number, ""


_FULLWIDTH = str.maketrans("０１２３４５６７８９．，－＋％", "0123456789.,-+%")


def range_problem(spec: Spec, value: float | None) -> str | None:
    """Why ``value`` is outside the indicator's range, or ``None``."""
    if value is None:
        return None
    if spec.min_value is not None and value < spec.min_value:
        return _("%(value)s is below the minimum %(min)s") % {"value": _fmt(value), "min": _fmt(spec.min_value)}
    if spec.max_value is not None and value > spec.max_value:
        return _("%(value)s is above the maximum %(max)s") % {"value": _fmt(value), "max": _fmt(spec.max_value)}
    if spec.value_type == "percent" and spec.min_value is None and value < 0:
        return _("a percentage cannot be negative")
    return None


def _fmt(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class RuleOutcome:
    rule: RuleSpec
    values: dict[str, float | None]

    def message(self) -> str:
        shown = ", ".join(f"{code} = {'—' if v is None else _fmt(v)}" for code, v in self.values.items())
        base = self.rule.message or _("rule %(code)s (%(expr)s) does not hold") % {
            "code": self.rule.code, "expr": formula.to_text(self.rule.tree)}
        return f"{base} ({shown})"


def broken_rules(rules: list[RuleSpec], values: Mapping[str, float | None]) -> list[RuleOutcome]:
    """The rules that do not hold for ``values`` (one unit, period and category).

    A rule is checked only when every indicator it names has a value: a missing value is the
    business of the ``required`` check, not of the rule.
    """
    broken = []
    for rule in rules:
        if any(values.get(code) is None for code in rule.refs):
            continue
        outcome = formula.evaluate(rule.tree, values, rule.tolerance)
        if outcome == 0.0:
            broken.append(RuleOutcome(rule, {code: values.get(code) for code in rule.refs}))
    return broken
