"""The pure value checks, case by case: what a typed value is stored as, every refusal and its
words, the range limits at and just past their edges, and rules between indicators (no database)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from luoshi.indicators import formula, validation
from luoshi.indicators.validation import BadValue, Spec

NUMBER, INTEGER, PERCENT = Spec("N"), Spec("I", "integer", 0), Spec("P", "percent")
TEXT, BOOLEAN = Spec("T", "text"), Spec("B", "boolean")


@pytest.mark.parametrize(("spec", "typed", "stored"), [
    (NUMBER, None, (None, "")),
    (NUMBER, "", (None, "")),
    (NUMBER, "   ", (None, "")),
    (NUMBER, " 12.5 ", (12.5, "")),
    (NUMBER, 7, (7.0, "")),
    (NUMBER, 2.5, (2.5, "")),
    (NUMBER, 1e20, (1e20, "")),
    (NUMBER, True, (1.0, "")),
    (NUMBER, False, (0.0, "")),
    (NUMBER, "1,234.5", (1234.5, "")),
    (NUMBER, "1 234", (1234.0, "")),
    (NUMBER, "１２３．５", (123.5, "")),
    (NUMBER, "－５", (-5.0, "")),
    (NUMBER, "＋５", (5.0, "")),
    (NUMBER, "１，０００", (1000.0, "")),
    (NUMBER, "-0.5", (-0.5, "")),
    (INTEGER, "12", (12.0, "")),
    (INTEGER, "12.0", (12.0, "")),
    (INTEGER, "1,000", (1000.0, "")),
    (INTEGER, "1e3", (1000.0, "")),
    (PERCENT, "45", (45.0, "")),
    (PERCENT, "45%", (45.0, "")),
    (PERCENT, "４５％", (45.0, "")),
    (PERCENT, " 12.5 % ", (12.5, "")),
    (TEXT, "  良好  ", (None, "良好")),
    (TEXT, "12", (None, "12")),
    (TEXT, "x" * 500, (None, "x" * 500)),
    (BOOLEAN, "Yes", (1.0, "")),
    (BOOLEAN, "是", (1.0, "")),
    (BOOLEAN, "√", (1.0, "")),
    (BOOLEAN, "TRUE", (1.0, "")),
    (BOOLEAN, "1", (1.0, "")),
    (BOOLEAN, True, (1.0, "")),
    (BOOLEAN, "No", (0.0, "")),
    (BOOLEAN, "否", (0.0, "")),
    (BOOLEAN, "无", (0.0, "")),
    (BOOLEAN, "0", (0.0, "")),
    (BOOLEAN, False, (0.0, "")),
])
def test_a_typed_value_is_stored_as(spec, typed, stored):
    assert validation.parse_value(spec, typed) == stored


@pytest.mark.parametrize(("spec", "typed", "message"), [
    (NUMBER, "12a", "expected a number, got '12a'"),
    (NUMBER, "abc", "expected a number, got 'abc'"),
    (NUMBER, "1.2.3", "expected a number, got '1.2.3'"),
    (NUMBER, "inf", "expected a number, got 'inf'"),
    (NUMBER, "nan", "expected a number, got 'nan'"),
    (NUMBER, "1e999", "expected a number, got '1e999'"),
    (NUMBER, "45%", "expected a number, got '45%'"),
    (PERCENT, "1e999", "expected a number, got '1e999'"),
    (INTEGER, "12.5", "expected a whole number, got '12.5'"),
    (INTEGER, "1,000.5", "expected a whole number, got '1,000.5'"),
    (INTEGER, "1e999", "expected a number, got '1e999'"),
    (TEXT, "x" * 501, "text longer than 500 characters"),
    (BOOLEAN, "maybe", "expected yes or no (1/0), got 'maybe'"),
    (BOOLEAN, "2", "expected yes or no (1/0), got '2'"),
])
def test_a_value_that_does_not_fit_is_refused_with_the_reason(spec, typed, message):
    with pytest.raises(BadValue) as refused:
        validation.parse_value(spec, typed)
    assert str(refused.value) == message


@pytest.mark.parametrize(("spec", "value", "problem"), [
    (Spec("X", min_value=0, max_value=100), None, None),
    (Spec("X", min_value=0, max_value=100), 0.0, None),
    (Spec("X", min_value=0, max_value=100), 100.0, None),
    (Spec("X", min_value=0, max_value=100), -0.5, "-0.5 is below the minimum 0"),
    (Spec("X", min_value=0, max_value=100), 100.5, "100.5 is above the maximum 100"),
    (Spec("X", min_value=1.5), 1.25, "1.25 is below the minimum 1.5"),
    (Spec("X", max_value=-1), 0.0, "0 is above the maximum -1"),
    (Spec("X"), -1e9, None),
    (Spec("P", "percent"), -0.1, "a percentage cannot be negative"),
    (Spec("P", "percent"), 0.0, None),
    (Spec("P", "percent"), 250.0, None),
    (Spec("P", "percent", min_value=-10), -5.0, None),
    (Spec("P", "percent", min_value=-10), -11.0, "-11 is below the minimum -10"),
    (Spec("P", "percent", max_value=100), -5.0, "a percentage cannot be negative"),
])
def test_range_problems(spec, value, problem):
    assert validation.range_problem(spec, value) == problem


def rule(expression: str, message: str = "", tolerance: float = 0.0):
    return validation.RuleSpec.of(SimpleNamespace(code="R1", expression=expression, tolerance=tolerance,
                                                  severity="error", message=message))


def test_a_rule_is_read_from_its_row():
    spec = rule("TEACH_F <= TEACH + EXTRA", "too many", 0.5)
    assert spec.code == "R1" and spec.refs == ("TEACH_F", "TEACH", "EXTRA") and spec.tolerance == 0.5
    assert spec.severity == "error" and spec.message == "too many"
    assert spec.tree == formula.parse("TEACH_F <= TEACH + EXTRA")


def test_an_indicator_is_described_from_its_row():
    row = SimpleNamespace(code="GER", value_type="percent", decimals=1, min_value=0, max_value=200, required=True,
                          formula=" ENROL / POP ", category_set_id=None)
    assert Spec.of(row) == Spec("GER", "percent", 1, 0, 200, True, True, False)
    plain = SimpleNamespace(code="P", value_type="integer", decimals=0, min_value=None, max_value=None, required=False,
                            formula="  ", category_set_id=3)
    assert Spec.of(plain) == Spec("P", "integer", 0, None, None, False, False, True)


def test_broken_rules_are_those_that_do_not_hold_with_every_value_present():
    r = rule("A <= B")
    assert validation.broken_rules([r], {"A": 3.0, "B": 2.0})[0].values == {"A": 3.0, "B": 2.0}
    assert validation.broken_rules([r], {"A": 2.0, "B": 2.0}) == []
    assert validation.broken_rules([r], {"A": 3.0, "B": None}) == []       # the required check's business
    assert validation.broken_rules([r], {"A": 3.0}) == []
    assert validation.broken_rules([rule("A / B <= 1")], {"A": 3.0, "B": 0.0}) == []   # not computable
    assert validation.broken_rules([rule("A == B", tolerance=0.5)], {"A": 2.4, "B": 2.0}) == []
    assert len(validation.broken_rules([rule("A == B", tolerance=0.5)], {"A": 2.6, "B": 2.0})) == 1
    two = validation.broken_rules([rule("A <= B"), rule("B <= C")], {"A": 3.0, "B": 2.0, "C": 1.0, "D": 9.0})
    assert [outcome.values for outcome in two] == [{"A": 3.0, "B": 2.0}, {"B": 2.0, "C": 1.0}]


def test_a_broken_rule_says_its_message_or_its_formula_with_the_values():
    [own] = validation.broken_rules([rule("A <= B", "A must not exceed B")], {"A": 3.0, "B": 2.5})
    assert own.message() == "A must not exceed B (A = 3, B = 2.5)"
    [plain] = validation.broken_rules([rule("A<=(B)")], {"A": 3.0, "B": 2.0})
    assert plain.message() == "rule R1 (A <= B) does not hold (A = 3, B = 2)"
    shown = validation.RuleOutcome(rule("A <= B"), {"A": 1.0, "B": None})
    assert shown.message() == "rule R1 (A <= B) does not hold (A = 1, B = —)"


def test_a_rule_skipped_for_a_missing_value_does_not_stop_the_rules_after_it():
    broken = validation.broken_rules([rule("A <= B"), rule("C <= B")], {"A": None, "B": 1.0, "C": 2.0})
    assert [outcome.values for outcome in broken] == [{"C": 2.0, "B": 1.0}]
