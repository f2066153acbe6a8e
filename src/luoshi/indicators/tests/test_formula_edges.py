"""The formula language at its edges, word for word: what the tokenizer accepts, every refusal with
its text and position, the nesting and length limits at and one past them, the canonical
spelling, comparisons with a tolerance at their boundaries, and the order derived indicators are
computed in (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from luoshi.indicators import formula
from luoshi.indicators.formula import Binary, Call, FormulaError, Neg, Num, Ref

# Each test needs milliseconds: one caught in an endless loop (a mutant of a walk) fails after 10 s
# of CPU time instead of growing its stack until mutmut's time limit (see docs/testing.md).
pytestmark = pytest.mark.usefixtures("endless_loops_fail")


def refused(text) -> FormulaError:
    with pytest.raises(FormulaError) as info:
        formula.parse(text)
    return info.value


def value(text: str, tolerance: float = 0.0, **values):
    return formula.evaluate(formula.parse(text), values, tolerance)


# Tokens and numbers ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "number"), [
    ("12", "12"), ("0.5", "0.5"), (".5", "0.5"), ("1.25", "1.25"), ("1e3", "1000"), ("1E3", "1000"),
    ("1.5e+2", "150"), ("25e-1", "2.5"), ("007", "7"),
])
def test_numbers_may_be_written_as(text, number):
    assert formula.parse(text) == Num(Decimal(number))


def test_a_number_ends_where_its_digits_do():
    assert formula.parse("A *\u3000.5") == Binary("*", Ref("A"), Num(Decimal("0.5")))
    assert formula.parse("A*.5") == Binary("*", Ref("A"), Num(Decimal("0.5")))
    assert formula.parse("1e3*A") == Binary("*", Num(Decimal(1000)), Ref("A"))
    assert formula.parse("12+A") == Binary("+", Num(Decimal(12)), Ref("A"))
    assert formula.parse("1.5/A") == Binary("/", Num(Decimal("1.5")), Ref("A"))


def test_white_space_of_any_kind_separates_tokens():
    assert formula.parse("\tA\r\n+\u3000B ") == Binary("+", Ref("A"), Ref("B"))


def test_codes_are_letters_of_any_script_digits_and_underscores():
    assert formula.parse("在校生数_2 + _x1 + Ａ１") == Binary("+", Binary("+", Ref("在校生数_2"), Ref("_x1")), Ref("Ａ１"))
    assert formula.refs(formula.parse("minA + if_ + max2")) == ["minA", "if_", "max2"]


def test_the_two_character_operators():
    for op in ("<=", ">=", "==", "!="):
        assert formula.parse(f"A{op}B") == Binary(op, Ref("A"), Ref("B"))
    assert formula.parse("A<B") == Binary("<", Ref("A"), Ref("B"))
    assert formula.parse("A>-B") == Binary(">", Ref("A"), Neg(Ref("B")))


@pytest.mark.parametrize(("text", "message", "position"), [
    ("1.", "a digit must follow the decimal point", 2),
    ("A + 1.x", "a digit must follow the decimal point", 6),
    ("1e", "a code cannot start with a digit", 0),
    ("2e+", "a code cannot start with a digit", 0),
    ("A + 3x", "a code cannot start with a digit", 4),
    ("A + 1.5_", "a code cannot start with a digit", 4),
    ("A = B", "use '==' to compare", 2),
    ("A ! B", "unexpected character '!'", 2),
    ("A + .", "unexpected character '.'", 4),
    ("１ + A", "unexpected character '１'", 0),
    ("", "the formula is empty", 0),
    (" \u3000 ", "the formula is empty", 0),
    ("A +", "the formula ends too early", 3),
    ("A B", "unexpected 'B'", 2),
    ("A + )", "unexpected ')'", 4),
    ("(A + B", "expected ')'", 6),
    ("min(A B)", "expected ',' or ')'", 6),
    ("min + 1", "'min' is a function: write min(…)", 0),
    ("2 * if", "'if' is a function: write if(…)", 4),
    ("sum(A, B)", "unknown function 'sum' (use min, max or if)", 0),
    ("1 + if(A, B)", "if() takes 3 arguments, not 2", 4),
    ("if(A, B, C, D)", "if() takes 3 arguments, not 4", 0),
    ("A < B == C", "comparisons cannot be chained; use parentheses", 6),
    ("min()", "unexpected ')'", 4),
    # digits of other scripts (which Decimal would read) are never part of a number
    ("A + .x", "unexpected character '.'", 4),
    (".１", "unexpected character '.'", 0),
    ("1１", "a code cannot start with a digit", 0),
    ("1.１", "a digit must follow the decimal point", 2),
    ("1.5１", "a code cannot start with a digit", 0),
    ("1e１", "a code cannot start with a digit", 0),
    ("1e5１", "a code cannot start with a digit", 0),
    ("1e+１", "a code cannot start with a digit", 0),
    # an exponent is e or E, an optional sign and digits: anything else ends the number
    ("1X5", "a code cannot start with a digit", 0),
    ("1eX5", "a code cannot start with a digit", 0),
    ("2e+ 1", "a code cannot start with a digit", 0),
    ("2e- 1", "a code cannot start with a digit", 0),
    ("(2e+)", "a code cannot start with a digit", 1),
    # an exponent too large for a decimal
    ("1e9999999999999999999", "not a number: 1e9999999999999999999", 0),
    ("A + 1e-9999999999999999999", "not a number: 1e-9999999999999999999", 4),
])
def test_every_refusal_names_the_problem_and_where_it_is(text, message, position):
    error = refused(text)
    assert (error.message, error.position) == (message, position)
    assert str(error) == f"{message} (at character {position + 1})"


def test_a_formula_must_be_text():
    error = refused(12)
    assert (error.message, error.position) == ("a formula must be text", 0)


def test_a_formula_may_be_up_to_1000_characters_long():
    assert formula.parse("A" * 1000) == Ref("A" * 1000)
    assert formula.parse("A" + " " * 999) == Ref("A")
    error = refused("A" * 1001)
    assert (error.message, error.position) == ("the formula is longer than 1000 characters", 1000)


def test_nesting_is_allowed_to_60_levels_and_refused_at_61():
    assert formula.parse("(" * 59 + "A" + ")" * 59) == Ref("A")
    error = refused("(" * 60 + "A" + ")" * 60)
    assert (error.message, error.position) == ("the formula is nested too deeply", 60)
    assert formula.parse("-" * 59 + "A") is not None
    error = refused("-" * 60 + "A")
    assert (error.message, error.position) == ("the formula is nested too deeply", 59)


def test_the_nesting_count_is_of_depth_not_of_how_many_groups_there_are():
    many = " + ".join(["(((A)))"] * 40)
    assert formula.refs(formula.parse(many)) == ["A"]
    assert formula.parse(" + ".join(["-(-A)"] * 40)) is not None
    assert formula.parse(", ".join(["min(A"] * 30) + ")" * 30) is not None
    assert formula.parse("min(" + ", ".join(["(A)"] * 80) + ")") is not None


def test_a_comparison_in_parentheses_may_be_compared():
    assert formula.parse("(A < B) == C") == Binary("==", Binary("<", Ref("A"), Ref("B")), Ref("C"))
    assert formula.parse("A == (B < C)") == Binary("==", Ref("A"), Binary("<", Ref("B"), Ref("C")))


def test_functions_take_their_arguments():
    assert formula.parse("min(A)") == Call("min", (Ref("A"),))
    assert formula.parse("max(A, B, 2)") == Call("max", (Ref("A"), Ref("B"), Num(Decimal(2))))
    assert formula.parse("if(A > 1, B, C)") == Call("if", (Binary(">", Ref("A"), Num(Decimal(1))), Ref("B"), Ref("C")))


def test_positions_are_kept_in_the_tree():
    tree = formula.parse("A + min(B, -C)")
    assert (tree.pos, tree.left.pos, tree.right.pos, tree.right.args[0].pos, tree.right.args[1].pos) == (2, 0, 4, 8, 11)
    assert tree.right.args[1].operand.pos == 12
    assert formula.parse("  4.5").pos == 2


def test_a_comparison_keeps_the_position_of_its_operator():
    assert formula.parse("A + B <= C").pos == 6
    assert formula.parse("(A) != -B").pos == 4
    assert formula.parse("if(A > 1, B, C)").args[0].pos == 5


# The canonical spelling ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "canonical"), [
    ("A-(B-C)", "A - (B - C)"),
    ("(A-B)-C", "A - B - C"),
    ("A/(B*C)", "A / (B * C)"),
    ("(A/B)*C", "A / B * C"),
    ("A*(B+C)", "A * (B + C)"),
    ("(A*B)+C", "A * B + C"),
    ("-(A+B)", "-(A + B)"),
    ("-(A*B)", "-(A * B)"),
    ("--A", "--A"),
    ("+A", "+A"),
    ("-(-A)", "--A"),
    ("(A<B)==C", "(A < B) == C"),
    ("A==(B<C)", "A == (B < C)"),
    ("A+B<=C*2", "A + B <= C * 2"),
    ("-(A<B)", "-(A < B)"),
    ("min(A,B)+max( C )", "min(A, B) + max(C)"),
    ("if(A>1,B,-C)", "if(A > 1, B, -C)"),
    ("1.50 + 1e3", "1.50 + 1E+3"),
])
def test_it_prints_one_canonical_spelling(text, canonical):
    assert formula.to_text(formula.parse(text)) == canonical
    assert formula.parse(canonical) == formula.parse(text)


def test_references_are_listed_once_in_order_of_first_appearance():
    tree = formula.parse("-B + if(C > A, min(D, B), max(E)) - A * F")
    assert formula.refs(tree) == ["B", "C", "A", "D", "E", "F"]
    assert formula.refs(formula.parse("2 + 3")) == []


# Evaluation ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("op", "a", "b", "holds"), [
    ("==", 2.0, 2.0, True), ("==", 2.0, 2.5, False),
    ("!=", 2.0, 2.5, True), ("!=", 2.0, 2.0, False),
    ("<=", 2.0, 2.0, True), ("<=", 2.5, 2.0, False),
    ("<", 1.5, 2.0, True), ("<", 2.0, 2.0, False),
    (">=", 2.0, 2.0, True), (">=", 1.5, 2.0, False),
    (">", 2.5, 2.0, True), (">", 2.0, 2.0, False),
])
def test_comparisons_without_tolerance(op, a, b, holds):
    assert value(f"A {op} B", A=a, B=b) == (1.0 if holds else 0.0)


@pytest.mark.parametrize(("op", "a", "b", "holds"), [
    ("==", 2.5, 2.0, True), ("==", 2.0, 2.5, True), ("==", 2.75, 2.0, False), ("==", 2.0, 2.75, False),
    ("!=", 2.5, 2.0, False), ("!=", 2.75, 2.0, True), ("!=", 2.0, 2.75, True),
    ("<=", 2.5, 2.0, True), ("<=", 2.75, 2.0, False),
    ("<", 2.25, 2.0, True), ("<", 2.5, 2.0, False),
    (">=", 1.5, 2.0, True), (">=", 1.25, 2.0, False),
    (">", 1.75, 2.0, True), (">", 1.5, 2.0, False),
])
def test_a_tolerance_widens_each_comparison_by_exactly_itself(op, a, b, holds):
    assert value(f"A {op} B", 0.5, A=a, B=b) == (1.0 if holds else 0.0)


def test_the_tolerance_reaches_comparisons_nested_anywhere():
    near = {"A": 2.25, "B": 2.0}
    assert value("-(A == B)", 0.5, **near) == -1.0
    assert value("+(A == B)", 0.5, **near) == 1.0
    assert value("min(A == B, 5)", 0.5, **near) == 1.0
    assert value("max(A == B, 0)", 0.5, **near) == 1.0
    assert value("if(A == B, 7, 9)", 0.5, **near) == 7.0
    assert value("if(1, A == B, 9)", 0.5, **near) == 1.0
    assert value("if(0, 9, A == B)", 0.5, **near) == 1.0
    assert value("(A == B) + (A == B)", 0.5, **near) == 2.0
    assert value("(A == B) == 1", 0.5, **near) == 1.0


def test_arithmetic_functions_and_conditions():
    assert value("A + B", A=2.0, B=3.0) == 5.0
    assert value("A - B", A=2.0, B=3.0) == -1.0
    assert value("A * B", A=2.0, B=3.0) == 6.0
    assert value("A / B", A=3.0, B=2.0) == 1.5
    assert value("-A", A=2.0) == -2.0
    assert value("+A", A=2.0) == 2.0
    assert value("1.5") == 1.5
    assert value("A", A=4) == 4.0 and isinstance(value("A", A=4), float)
    assert value("min(A, B, 4)", A=5.0, B=3.0) == 3.0
    assert value("max(A, B, 4)", A=5.0, B=3.0) == 5.0
    assert value("min(A)", A=5.0) == 5.0
    assert value("if(A, 1, 2)", A=-1.0) == 1.0        # any non-zero condition is true
    assert value("if(A, 1, 2)", A=0.0) == 2.0
    assert value("if(A - A, B, C)", A=1.0, C=8.0) == 8.0   # the branch not taken may be missing
    assert value("if(A, B, C)", A=1.0, B=6.0) == 6.0


def test_what_cannot_be_computed_is_none():
    assert value("A + B", A=1.0) is None
    assert value("B + A", A=1.0) is None
    assert value("-B") is None
    assert value("A > B", A=1.0) is None
    assert value("B > A", A=1.0) is None
    assert value("min(A, B)", A=1.0) is None
    assert value("max(B, A)", A=1.0) is None
    assert value("if(B, 1, 2)") is None
    assert value("A / B", A=1.0, B=0.0) is None
    assert value("A / (B - B)", A=1.0, B=3.0) is None
    assert value("A * A * A", A=1e200) is None          # overflow is not a number
    assert value("A - B", A=1.0, B=None) is None


def test_is_comparison():
    assert formula.is_comparison(formula.parse("A <= B + C"))
    assert formula.is_comparison(formula.parse("A != B"))
    assert not formula.is_comparison(formula.parse("A - B"))
    assert not formula.is_comparison(formula.parse("min(A < B)"))
    assert not formula.is_comparison(formula.parse("-(A < B)"))


def test_an_evaluator_parses_once_and_computes_many_times():
    compute = formula.evaluator("A / B * 100")
    assert compute({"A": 1.0, "B": 4.0}) == 25.0
    assert compute({"A": 3.0, "B": 4.0}) == 75.0
    assert compute({"A": 3.0, "B": 0.0}) is None
    with pytest.raises(FormulaError):
        formula.evaluator("A +")


# Checks made when a formula is saved -------------------------------------------------------------

def problems(text: str, known=("A", "B"), *, comparison: bool = False) -> list[tuple[str, int]]:
    _tree, found = formula.check(text, iter(known), comparison=comparison)
    return [(p.message, p.position) for p in found]


def test_unknown_references_are_found_anywhere_in_the_formula():
    assert problems("-X + min(A, Y) * if(Z, B, W) - (V < B)") == [
        ("unknown indicator 'X'", 1), ("unknown indicator 'Y'", 12), ("unknown indicator 'Z'", 20),
        ("unknown indicator 'W'", 26), ("unknown indicator 'V'", 32)]
    assert problems("A + B") == []


def test_division_by_a_constant_zero_is_found_but_not_by_a_value_that_may_be_zero():
    assert problems("A / 0") == [("division by zero", 2)]
    assert problems("A / (2 - 2)") == [("division by zero", 2)]
    assert problems("A / (1 / 0)") == [("division by zero", 7), ("division by zero", 2)]
    assert problems("A / -0") == [("division by zero", 2)]
    assert problems("min(A / 0)") == [("division by zero", 6)]
    assert problems("-(A / 0)") == [("division by zero", 4)]
    assert problems("A / (B - B)") == []
    assert problems("A / 2") == []
    assert problems("A / (B * 0)") == []
    assert problems("A * 0") == []
    assert problems("0 / A") == []


def test_a_rule_must_be_a_comparison():
    assert problems("A + B", comparison=True) == [("a rule must compare two sides, e.g. A <= B or A == B + C", 0)]
    assert problems("A <= B", comparison=True) == []
    assert problems("A + B") == []
    assert problems("X + B", comparison=True) == [("unknown indicator 'X'", 0),
                                                   ("a rule must compare two sides, e.g. A <= B or A == B + C", 0)]
    tree, _found = formula.check("A <= B", ["A", "B"], comparison=True)
    assert tree == formula.parse("A <= B")


def test_a_syntax_error_is_raised_not_listed():
    with pytest.raises(FormulaError):
        formula.check("A +", ["A"])


# Cycles and the order of computation ---------------------------------------------------------------

def test_a_cycle_is_given_as_the_path_around_it():
    assert formula.find_cycle({"A": ["B", "C"], "C": ["D"], "D": ["A"]}, "A") == ["A", "C", "D", "A"]
    assert formula.find_cycle({"A": ["B"], "B": ["C"]}, "A") is None
    assert formula.find_cycle({}, "A") is None
    assert formula.find_cycle({"A": ["B", "B"], "B": ["C"], "C": []}, "A") is None
    diamond = {"A": ["B", "C"], "B": ["D"], "C": ["D"], "D": ["E"], "E": ["B"]}
    assert formula.find_cycle(diamond, "A") is None


def test_each_code_is_computed_after_the_codes_it_refers_to():
    graph = {"GER": ["ENROL", "POP"], "RATIO": ["GER", "TEACH"], "ENROL": [], "X": ["RATIO", "ENROL"]}
    assert formula.evaluation_order(graph) == ["ENROL", "POP", "GER", "TEACH", "RATIO", "X"]
    assert formula.evaluation_order({"B": ["A"], "A": []}) == ["A", "B"]
    assert formula.evaluation_order({"A": [], "B": []}) == ["A", "B"]
    assert formula.evaluation_order({}) == []


def test_a_long_chain_is_ordered_without_recursion():
    chain = {f"I{i}": [f"I{i + 1}"] for i in range(5000)}
    order = formula.evaluation_order(chain)
    assert order[0] == "I5000" and order[-1] == "I0" and len(order) == 5001


def test_a_divisor_that_is_zero_whatever_the_values_is_found():
    # the reference sits in the branch of an ``if`` that is never taken: the divisor is always 0
    assert problems("A / if(0, B, 0)") == [("division by zero", 2)]
    assert problems("A / if(1, 0, B)") == [("division by zero", 2)]
    assert problems("A / if(1, 2, B)") == []
    assert problems("A / if(B, 1, 0)") == []          # zero only when B is


def test_each_code_is_listed_once_even_around_a_cycle():
    # saving refuses cycles (find_cycle); the order still never repeats a code nor loops
    assert formula.evaluation_order({"A": ["B"], "B": ["A"]}) == ["B", "A"]
    assert formula.evaluation_order({"A": ["A"]}) == ["A"]
    assert formula.evaluation_order({"A": ["B"], "B": ["C"], "C": ["A", "D"]}) == ["D", "C", "B", "A"]


def test_a_finished_group_gives_its_depth_back_exactly():
    # after "(A)" or "-A" the depth is back where it was: the next group still stops at 61 levels
    assert formula.parse("(A) + " + "(" * 59 + "A" + ")" * 59) is not None
    error = refused("(A) + " + "(" * 60 + "A" + ")" * 60)
    assert (error.message, error.position) == ("the formula is nested too deeply", 66)
    assert formula.parse("-A + " + "-" * 59 + "A") is not None
    error = refused("-A + " + "-" * 60 + "A")
    assert (error.message, error.position) == ("the formula is nested too deeply", 64)
    assert formula.parse("min(A, " + "(" * 58 + "A" + ")" * 58 + ")") is not None
    error = refused("min(A, " + "(" * 59 + "A" + ")" * 59 + ")")
    assert (error.message, error.position) == ("the formula is nested too deeply", 66)


def test_the_depth_given_back_is_the_depth_before_the_group_at_any_level():
    assert formula.parse("((A) + " + "(" * 58 + "A" + ")" * 58 + ")") is not None
    error = refused("((A) + " + "(" * 59 + "A" + ")" * 59 + ")")
    assert (error.message, error.position) == ("the formula is nested too deeply", 66)
    assert formula.parse("(-A + " + "-" * 58 + "A)") is not None
    error = refused("(-A + " + "-" * 59 + "A)")
    assert (error.message, error.position) == ("the formula is nested too deeply", 64)


def test_comparisons_without_a_tolerance_are_exact():
    assert formula.evaluator("A == B")({"A": 1.0, "B": 1.5}) == 0.0
    assert formula.evaluator("A > B")({"A": 2.5, "B": 3.0}) == 0.0
    assert formula.evaluator("A >= B")({"A": 3.0, "B": 3.0}) == 1.0


def test_a_number_too_large_for_a_float_is_not_computable():
    assert value("1e999999999999999999") is None
    assert value("A + 1e400", A=1.0) is None
    assert value("if(1, 2, 1e400)") == 2.0


def test_a_formula_error_keeps_its_message_and_position():
    error = refused("A +")
    assert error.args == ("the formula ends too early", 3)
