"""The formula language of derived indicators and validation rules (pure: no database, no eval).

Grammar (lowest precedence first)::

    formula    := comparison
    comparison := sum [("<" | "<=" | ">" | ">=" | "==" | "!=") sum]      (not chained)
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | "+" unary | atom
    atom       := NUMBER | REF | FUNC "(" formula ("," formula)* ")" | "(" formula ")"
    FUNC       := min | max | if                      (if(condition, then, else): exactly three)
    REF        := an indicator code: letters of any script, digits, "_", not starting with a digit

Text is tokenised, parsed by recursive descent into a small tree of frozen dataclasses, printed
back in one canonical spelling (``to_text``: minimal parentheses, single spaces) and evaluated
over a mapping of code → number. Any input either parses or raises ``FormulaError`` carrying
the 0-based position of the problem; nothing in the text is ever executed.

A missing value (``None``) makes the result ``None`` (not computable), except in the branch of
an ``if`` that is not taken. Division by zero at evaluation time also gives ``None``; division by
a constant zero is reported when the formula is saved (``check``), as are unknown references
and cycles between derived indicators (``find_cycle``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

MAX_LENGTH = 1000
MAX_DEPTH = 60
FUNCTIONS = {"min": None, "max": None, "if": 3}  # name -> how many arguments (None: one or more)
RESERVED = frozenset(FUNCTIONS)
COMPARISONS = ("<=", ">=", "==", "!=", "<", ">")
PRECEDENCE = {"cmp": 1, "+": 2, "-": 2, "*": 3, "/": 3, "neg": 4, "atom": 5}


class FormulaError(ValueError):
    """A formula that cannot be used; ``position`` is the 0-based offset in the text."""

    def __init__(self, message: str, position: int) -> None:
        self.message = message  # (Exception.__new__ keeps both as ``args``)
        self.position = position

    def __str__(self) -> str:
        return _("%(message)s (at character %(position)d)") % {"message": self.message, "position": self.position + 1}


# Syntax tree ---------------------------------------------------------------------------------
# ``pos`` is left out of equality so that trees compare by meaning (the round-trip property).

@dataclass(frozen=True)
class Num:
    value: Decimal
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Ref:
    code: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Neg:
    operand: Node
    sign: str = "-"
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


Node = Num | Ref | Neg | Binary | Call


# Tokens --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    kind: str   # "num", "ident", "op", "(", ")", ",", "end"
    text: str
    pos: int


def _is_ident_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def _is_ident_char(ch: str) -> bool:
    return ch == "_" or ch.isalnum()


def tokenize(text: str) -> list[Token]:
    if not isinstance(text, str):
        raise FormulaError(_("a formula must be text"), 0)
    if len(text) > MAX_LENGTH:
        raise FormulaError(_("the formula is longer than %(max)d characters") % {"max": MAX_LENGTH}, MAX_LENGTH)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n\u3000":
            i += 1
            continue
        start = i
        if ch.isascii() and ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isascii() and text[i + 1].isdigit()):
            while i < n and text[i].isascii() and text[i].isdigit():
                i += 1
            if i < n and text[i] == ".":
                i += 1
                if not (i < n and text[i].isascii() and text[i].isdigit()):
                    raise FormulaError(_("a digit must follow the decimal point"), i)
                while i < n and text[i].isascii() and text[i].isdigit():
                    i += 1
            if i < n and text[i] in "eE":
                j = i + 1
                if j < n and text[j] in "+-":
                    j += 1
                if j < n and text[j].isascii() and text[j].isdigit():
                    i = j
                    while i < n and text[i].isascii() and text[i].isdigit():
                        i += 1
            if i < n and _is_ident_char(text[i]):
                raise FormulaError(_("a code cannot start with a digit"), start)
            tokens.append(Token("num", text[start:i], start))
            continue
        if _is_ident_start(ch):
            while i < n and _is_ident_char(text[i]):
                i += 1
            tokens.append(Token("ident", text[start:i], start))
            continue
        two = text[i:i + 2]
        if two in ("<=", ">=", "==", "!="):
            tokens.append(Token("op", two, start))
            i += 2
            continue
        if ch in ("+", "-", "*", "/", "<", ">"):
            tokens.append(Token("op", ch, start))
            i += 1
            continue
        if ch in ("(", ")", ","):
            tokens.append(Token(ch, ch, start))
            i += 1
            continue
        if ch == "=":
            raise FormulaError(_("use '==' to compare"), start)
        raise FormulaError(_("unexpected character %(char)r") % {"char": ch}, start)
    tokens.append(Token("end", "", n))
    return tokens


# Parser --------------------------------------------------------------------------------------

class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str, what: str) -> Token:
        if self.tok.kind != kind:
            raise FormulaError(_("expected %(what)s") % {"what": what}, self.tok.pos)
        return self.take()

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(_("the formula is nested too deeply"), pos)

    def formula(self) -> Node:
        self.enter(self.tok.pos)
        left = self.sum()
        if self.tok.text in COMPARISONS:  # (only an operator is spelled so)
            op = self.take()
            right = self.sum()
            if self.tok.text in COMPARISONS:
                raise FormulaError(_("comparisons cannot be chained; use parentheses"), self.tok.pos)
            left = Binary(op.text, left, right, op.pos)
        self.depth -= 1
        return left

    def sum(self) -> Node:
        left = self.product()
        while self.tok.text in ("+", "-"):
            op = self.take()
            left = Binary(op.text, left, self.product(), op.pos)
        return left

    def product(self) -> Node:
        left = self.unary()
        while self.tok.text in ("*", "/"):
            op = self.take()
            left = Binary(op.text, left, self.unary(), op.pos)
        return left

    def unary(self) -> Node:
        if self.tok.text in ("+", "-"):
            op = self.take()
            self.enter(op.pos)
            operand = self.unary()
            self.depth -= 1
            return Neg(operand, op.text, op.pos)
        return self.atom()

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.take()
            try:  # digits, a fraction and an exponent (tokenize): only an exponent too large fails
                value = Decimal(tok.text)
            except InvalidOperation:
                raise FormulaError(_("not a number: %(text)s") % {"text": tok.text}, tok.pos) from None
            return Num(value, tok.pos)
        if tok.kind == "ident":
            self.take()
            if self.tok.kind == "(":
                return self.call(tok)
            if tok.text in RESERVED:
                raise FormulaError(_("'%(name)s' is a function: write %(name)s(…)") % {"name": tok.text}, tok.pos)
            return Ref(tok.text, tok.pos)
        if tok.kind == "(":
            self.take()
            inner = self.formula()
            self.expect(")", _("')'"))
            return inner
        if tok.kind == "end":
            raise FormulaError(_("the formula ends too early"), tok.pos)
        raise FormulaError(_("unexpected '%(text)s'") % {"text": tok.text}, tok.pos)

    def call(self, name_tok: Token) -> Node:
        name = name_tok.text
        if name not in FUNCTIONS:
            raise FormulaError(_("unknown function '%(name)s' (use min, max or if)") % {"name": name}, name_tok.pos)
        self.take()  # "("
        args = [self.formula()]
        while self.tok.kind == ",":
            self.take()
            args.append(self.formula())
        self.expect(")", _("',' or ')'"))
        wanted = FUNCTIONS[name]  # (one argument at least is in the grammar)
        if wanted is not None and len(args) != wanted:
            raise FormulaError(_("%(name)s() takes %(wanted)s arguments, not %(got)d")
                               % {"name": name, "wanted": str(wanted), "got": len(args)}, name_tok.pos)
        return Call(name, tuple(args), name_tok.pos)


def parse(text: str) -> Node:
    """The syntax tree of ``text``; ``FormulaError`` (with position) if it is not a formula."""
    parser = _Parser(text)
    if parser.tok.kind == "end":
        raise FormulaError(_("the formula is empty"), 0)
    node = parser.formula()
    if parser.tok.kind != "end":
        raise FormulaError(_("unexpected '%(text)s'") % {"text": parser.tok.text}, parser.tok.pos)
    return node


# Printer -------------------------------------------------------------------------------------

def _prec(node: Node) -> int:
    if isinstance(node, Binary):
        return PRECEDENCE["cmp"] if node.op in COMPARISONS else PRECEDENCE[node.op]
    if isinstance(node, Neg):
        return PRECEDENCE["neg"]
    return PRECEDENCE["atom"]


def _number_text(value: Decimal) -> str:
    return str(value)


def to_text(node: Node) -> str:
    """The canonical spelling of a tree; ``parse(to_text(t)) == t`` for every tree."""
    if isinstance(node, Num):
        return _number_text(node.value)
    if isinstance(node, Ref):
        return node.code
    if isinstance(node, Neg):
        inner = to_text(node.operand)
        if _prec(node.operand) < PRECEDENCE["neg"]:
            inner = f"({inner})"
        return f"{node.sign}{inner}"
    if isinstance(node, Call):
        return f"{node.name}({', '.join(to_text(a) for a in node.args)})"
    prec = _prec(node)
    left, right = to_text(node.left), to_text(node.right)
    if _prec(node.left) < prec or (prec == PRECEDENCE["cmp"] and _prec(node.left) == prec):
        left = f"({left})"
    if _prec(node.right) <= prec:
        right = f"({right})"
    return f"{left} {node.op} {right}"


def refs(node: Node) -> list[str]:
    """The codes referenced, in order of first appearance."""
    codes: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Ref):
            codes.append(n.code)
        elif isinstance(n, Neg):
            walk(n.operand)
        elif isinstance(n, Binary):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, Call):
            for a in n.args:
                walk(a)

    walk(node)
    return list(dict.fromkeys(codes))


# Evaluation ----------------------------------------------------------------------------------

Number = float | None


def _compare(op: str, a: float, b: float, tolerance: float) -> bool:
    if op == "==":
        return abs(a - b) <= tolerance
    if op == "!=":
        return abs(a - b) > tolerance
    if op == "<=":
        return a <= b + tolerance
    if op == "<":
        return a < b + tolerance
    if op == ">=":
        return a + tolerance >= b
    return a + tolerance > b


def evaluate(node: Node, values: Mapping[str, Number], tolerance: float = 0.0) -> Number:
    """The value of ``node`` with ``values[code]`` for each reference; ``None`` if not computable.

    A comparison gives 1.0 or 0.0; ``tolerance`` widens the comparisons (rules ``A == B + C``).
    """
    if isinstance(node, Num):
        number = float(node.value)  # a huge exponent (1e400) is no number either
        return number if math.isfinite(number) else None
    if isinstance(node, Ref):
        value = values.get(node.code)
        return None if value is None else float(value)
    if isinstance(node, Neg):
        inner = evaluate(node.operand, values, tolerance)
        return None if inner is None else (-inner if node.sign == "-" else inner)
    if isinstance(node, Call):
        if node.name == "if":
            condition = evaluate(node.args[0], values, tolerance)
            if condition is None:
                return None
            return evaluate(node.args[1] if condition != 0 else node.args[2], values, tolerance)
        args = [evaluate(a, values, tolerance) for a in node.args]
        if any(a is None for a in args):
            return None
        return min(args) if node.name == "min" else max(args)
    left = evaluate(node.left, values, tolerance)
    right = evaluate(node.right, values, tolerance)
    if left is None or right is None:
        return None
    op = node.op
    if op in COMPARISONS:
        return 1.0 if _compare(op, left, right, tolerance) else 0.0
    if op == "+":
        result = left + right
    elif op == "-":
        result = left - right
    elif op == "*":
        result = left * right
    else:
        if right == 0:
            return None
        result = left / right
    return result if math.isfinite(result) else None


def is_comparison(node: Node) -> bool:
    return isinstance(node, Binary) and node.op in COMPARISONS


def _constant(node: Node) -> Number:
    """The value of a subtree whatever the values of its references (``None`` if it depends on them
    or is not computable): it is evaluated with no values, so a reference that is read makes it
    ``None``; one read only in the branch of an ``if`` not taken (``if(0, A, 0)``) does not."""
    return evaluate(node, {})


def check(text: str, known: Iterable[str], *, comparison: bool = False) -> tuple[Node, list[FormulaError]]:
    """Parse ``text`` and list what is wrong with it as a saved formula (or rule, if ``comparison``).

    Raises ``FormulaError`` for syntax errors; returns the tree and the other problems:
    unknown references, division by a constant zero, a rule that is not a comparison.
    """
    tree = parse(text)
    known_set = set(known)
    problems: list[FormulaError] = []

    def walk(n: Node) -> None:
        if isinstance(n, Ref) and n.code not in known_set:
            problems.append(FormulaError(_("unknown indicator '%(code)s'") % {"code": n.code}, n.pos))
        elif isinstance(n, Neg):
            walk(n.operand)
        elif isinstance(n, Binary):
            walk(n.left)
            walk(n.right)
            if n.op == "/":
                divisor = _constant(n.right)
                if divisor == 0 or (divisor is None and not refs(n.right)):
                    problems.append(FormulaError(_("division by zero"), n.pos))
        elif isinstance(n, Call):
            for a in n.args:
                walk(a)

    walk(tree)
    if comparison and not is_comparison(tree):
        problems.append(FormulaError(_("a rule must compare two sides, e.g. A <= B or A == B + C"), 0))
    return tree, problems


def find_cycle(graph: Mapping[str, Iterable[str]], start: str) -> list[str] | None:
    """A cycle through ``start`` in ``graph`` (code → codes it refers to), as a path, else ``None``.

    Iterative depth-first search, so a long chain of derived indicators cannot exhaust the stack.
    """
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in graph.get(node, ()):
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


def evaluation_order(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Codes ordered so that each comes after the codes it refers to (graph must be acyclic).

    Iterative depth-first search; each code is listed once (a code is marked when first reached)."""
    order: list[str] = []
    seen: set[str] = set()
    for root in graph:
        if root in seen:
            continue
        seen.add(root)
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(graph[root]))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if child not in seen:
                    seen.add(child)
                    stack.append((child, iter(graph.get(child, ()))))
                    break
            else:  # every child is listed (or on the stack): the node comes next
                stack.pop()
                order.append(node)
    return order


def evaluator(text: str) -> Callable[[Mapping[str, Number]], Number]:
    """A function computing the formula ``text`` (parsed once)."""
    tree = parse(text)
    return lambda values: evaluate(tree, values)
