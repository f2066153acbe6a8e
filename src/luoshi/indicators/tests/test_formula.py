"""The formula language: parsing, printing, evaluation, and the checks made when a formula is saved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from luoshi.indicators import formula
from luoshi.indicators.formula import Binary, Call, FormulaError, Neg, Num, Ref

# Tests that need milliseconds fail after 10 s of CPU time (a mutant's endless loop; see
# docs/testing.md); the property tests, which take seconds, are left to mutmut's own limit.
fast = pytest.mark.usefixtures("endless_loops_fail")

codes = st.sampled_from(["A", "B", "C", "在校生数", "适龄人口", "x_1"])
numbers = st.decimals(min_value=0, max_value=10**6, allow_nan=False, allow_infinity=False, places=3).map(
    lambda d: Num(d.normalize() if d != d.to_integral() else d.quantize(Decimal(1))))


def trees():
    leaves = numbers | codes.map(Ref)
    return st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(st.sampled_from("+-*/"), inner, inner).map(lambda t: Binary(*t)),
        inner.map(lambda t: Neg(t)),
        st.lists(inner, min_size=1, max_size=3).map(lambda a: Call("min", tuple(a))),
        st.lists(inner, min_size=1, max_size=3).map(lambda a: Call("max", tuple(a))),
        st.tuples(inner, inner, inner).map(lambda a: Call("if", a)),
        st.tuples(st.sampled_from(formula.COMPARISONS), inner, inner).map(lambda t: Binary(*t)),
    ), max_leaves=12)


@given(trees())
@settings(max_examples=300, deadline=None)
def test_it_prints_what_it_parses_back(tree):
    text = formula.to_text(tree)
    assert formula.parse(text) == tree
    assert formula.to_text(formula.parse(text)) == text


@given(st.text(max_size=80))
@settings(max_examples=500, deadline=None)
def test_no_input_runs_code_or_crashes(text):
    try:
        tree = formula.parse(text)
    except FormulaError as exc:
        assert 0 <= exc.position <= len(text)
        return
    formula.evaluate(tree, {code: 1.0 for code in formula.refs(tree)})


@fast
@pytest.mark.parametrize("text", [
    "__import__('os').system('echo hi')", "open('x')", "A.__class__", "lambda: 1", "ex" "ec('1')", "[1, 2]", "A; B",
    "os.system", "1 if A else 2", "A ** 2", "'text'",
])
def test_python_is_not_a_formula(text):
    with pytest.raises(FormulaError):
        formula.parse(text)


@fast
@pytest.mark.parametrize("text, position", [
    ("A +", 3), ("(A + B", 6), ("A + * B", 4), ("foo(A)", 0), ("if(A, B)", 0), ("A = B", 2), ("A < B < C", 6),
    ("1A", 0), ("A $ B", 2), ("", 0), ("min", 0), ("A + 1.", 6),
])
def test_errors_name_the_position(text, position):
    with pytest.raises(FormulaError) as info:
        formula.parse(text)
    assert info.value.position == position
    assert f"character {position + 1}" in str(info.value)


@fast
def test_it_evaluates_arithmetic_functions_and_conditions():
    values = {"在校生数": 480.0, "适龄人口": 500.0, "A": 2.0, "B": 3.0}
    assert formula.evaluate(formula.parse("在校生数 / 适龄人口 * 100"), values) == pytest.approx(96.0)
    assert formula.evaluate(formula.parse("-(A + B) * 2"), values) == -10.0
    assert formula.evaluate(formula.parse("min(A, B, 1) + max(A, B)"), values) == 4.0
    assert formula.evaluate(formula.parse("if(A > B, 1, 2)"), values) == 2.0
    assert formula.evaluate(formula.parse("A / (B - 3)"), values) is None  # division by zero: not computable
    assert formula.evaluate(formula.parse("A + C"), values) is None       # missing value
    assert formula.evaluate(formula.parse("if(A < B, A, C)"), values) == 2.0  # the branch not taken may be missing
    assert formula.evaluate(formula.parse("A == B - 1.5"), values, tolerance=0.5) == 1.0
    assert formula.evaluate(formula.parse("A == B - 1.5"), values, tolerance=0.4) == 0.0


@fast
def test_check_reports_unknown_references_and_constant_zero_division():
    _tree, problems = formula.check("A / (2 - 2) + ZZZ", {"A"})
    messages = [(p.message, p.position) for p in problems]
    assert ("division by zero", 2) in messages
    assert ("unknown indicator 'ZZZ'", 14) in messages
    _tree, problems = formula.check("A / B", {"A", "B"})
    assert problems == []
    _tree, problems = formula.check("A + B", {"A", "B"}, comparison=True)
    assert problems and "compare" in problems[0].message


@fast
def test_it_finds_cycles():
    graph = {"A": ["B"], "B": ["C"], "C": ["A"], "D": ["A"]}
    assert formula.find_cycle(graph, "A") == ["A", "B", "C", "A"]
    assert formula.find_cycle(graph, "D") is None
    assert formula.find_cycle({"A": ["A"]}, "A") == ["A", "A"]
    chain = {f"I{i}": [f"I{i + 1}"] for i in range(5000)}
    chain["I5000"] = ["I0"]
    assert len(formula.find_cycle(chain, "I0")) == 5002  # iterative: no recursion limit


@given(st.dictionaries(st.sampled_from("ABCDEFG"), st.lists(st.sampled_from("ABCDEFG"), max_size=3), max_size=7))
@settings(max_examples=300, deadline=None)
def test_cycles_are_found_exactly_when_there_are_any(graph):
    start = "A"
    cycle = formula.find_cycle(graph, start)
    # Reference: is start reachable from one of its own references?
    seen, todo = set(), list(graph.get(start, []))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, []))
    assert (cycle is not None) == (start in seen)
    if cycle:
        assert cycle[0] == cycle[-1] == start
        assert all(b in graph[a] for a, b in zip(cycle, cycle[1:]))


@fast
def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(FormulaError, match="nested too deeply"):
        formula.parse("(" * 200 + "A" + ")" * 200)
    with pytest.raises(FormulaError, match="nested too deeply"):
        formula.parse("-" * 200 + "A")
