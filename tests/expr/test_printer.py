"""Tests of udbudsregler.expr.printer: the canonical text of an AST."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from udbudsregler.expr import ast as A
from udbudsregler.expr.parser import parse_expression
from udbudsregler.expr.printer import format_number, to_text

D = Decimal
N = A.Name
a, b, c, x, y = N("a"), N("b"), N("c"), N("x"), N("y")


def binary(op: str, left: A.Expr, right: A.Expr) -> A.Binary:
    return A.Binary(op, left, right)


def neg(operand: A.Expr) -> A.Unary:
    return A.Unary("-", operand)


def not_(operand: A.Expr) -> A.Unary:
    return A.Unary("not", operand)


@pytest.mark.parametrize(
    ("node", "text"),
    [
        # literals
        (A.BoolLit(True), "true"),
        (A.BoolLit(False), "false"),
        (A.NumberLit(0), "0"),
        (A.NumberLit(1850), "1850"),
        (A.NumberLit(D("1850.50")), "1850.50"),
        (A.NumberLit(D("0.000")), "0.000"),
        (A.DateLit(date(2019, 2, 1)), "2019-02-01"),
        (A.DateLit(date(9, 1, 1)), "0009-01-01"),
        (A.MoneyLit(D("1.50"), "DKK"), "1.50 DKK"),
        (A.MoneyLit(D("1850"), "EUR"), "1850 EUR"),
        (A.QuantityLit(1, "days"), "1 day"),
        (A.QuantityLit(2, "days"), "2 days"),
        (A.QuantityLit(1, "years"), "1 year"),
        (A.QuantityLit(1, "months"), "1 month"),
        (A.QuantityLit(1, "weeks"), "1 week"),
        (A.QuantityLit(1, "hours"), "1 hour"),
        (A.QuantityLit(0, "hours"), "0 hours"),
        (A.QuantityLit(D("1.5"), "hours"), "1.5 hours"),
        (A.QuantityLit(D("37.00"), "hours"), "37.00 hours"),
        # text: always double quotes, escapes for backslash, quote, newline and tab
        (A.TextLit(""), '""'),
        (A.TextLit("jobcenter"), '"jobcenter"'),
        (A.TextLit('say "hi"'), '"say \\"hi\\""'),
        (A.TextLit("it's"), '"it\'s"'),
        (A.TextLit("a\\b"), '"a\\\\b"'),
        (A.TextLit("line\nnext\ttab"), '"line\\nnext\\ttab"'),
        (A.TextLit("første år"), '"første år"'),
        # names, members, calls
        (N("første_dag"), "første_dag"),
        (A.Member(A.Member(a, "b"), "c"), "a.b.c"),
        (A.Member(neg(x), "y"), "(-x).y"),
        (A.Member(binary("+", a, b), "c"), "(a + b).c"),
        (A.Member(A.Call("f", (x,)), "y"), "f(x).y"),
        (A.Member(A.NumberLit(1), "x"), "1.x"),
        (A.Call("f"), "f()"),
        (A.Call("min", (a, b)), "min(a, b)"),
        (A.Call("f", (a,), (A.Keyword("gap", A.QuantityLit(1, "days")),)), "f(a, gap=1 day)"),
        (A.Call("f", (), (A.Keyword("k", A.If(a, b, c)),)), "f(k=if a then b else c)"),
        (A.Keyword("gap", A.QuantityLit(7, "days")), "gap=7 days"),
        # minimal parentheses
        (binary("and", binary("or", a, b), c), "(a or b) and c"),
        (binary("or", a, binary("and", b, c)), "a or b and c"),
        (binary("or", binary("or", a, b), c), "a or b or c"),
        (binary("or", a, binary("or", b, c)), "a or (b or c)"),
        (binary("-", binary("-", a, b), c), "a - b - c"),
        (binary("-", a, binary("-", b, c)), "a - (b - c)"),
        (binary("+", a, binary("*", b, c)), "a + b * c"),
        (binary("*", binary("+", a, b), c), "(a + b) * c"),
        (binary("/", a, binary("*", b, c)), "a / (b * c)"),
        (binary("<", binary("<", a, b), c), "(a < b) < c"),
        (binary("==", a, binary("in", b, c)), "a == (b in c)"),
        (binary("not in", binary("+", a, b), c), "a + b not in c"),
        (binary("==", not_(a), b), "(not a) == b"),
        (not_(binary("==", a, b)), "not a == b"),
        (not_(binary("and", a, b)), "not (a and b)"),
        (binary("and", not_(a), b), "not a and b"),
        (binary("and", a, not_(b)), "a and not b"),
        (not_(not_(a)), "not not a"),
        (neg(neg(x)), "- -x"),
        (neg(A.NumberLit(5)), "-5"),
        (neg(neg(A.NumberLit(5))), "- -5"),
        (neg(binary("-", a, b)), "-(a - b)"),
        (neg(binary("*", a, b)), "-(a * b)"),
        (neg(not_(a)), "-(not a)"),
        (neg(A.Member(x, "y")), "-x.y"),
        (binary("-", a, neg(b)), "a - -b"),
        (binary("*", neg(a), neg(b)), "-a * -b"),
        (binary("+", A.If(a, b, c), A.NumberLit(1)), "(if a then b else c) + 1"),
        (binary("+", A.NumberLit(1), A.If(a, b, c)), "1 + (if a then b else c)"),
        (not_(A.If(a, b, c)), "not (if a then b else c)"),
        (A.Member(A.If(a, b, c), "d"), "(if a then b else c).d"),
        (A.If(A.If(a, b, c), x, y), "if if a then b else c then x else y"),
        (A.If(a, b, A.If(c, x, y)), "if a then b else if c then x else y"),
        (A.If(binary("or", a, b), neg(x), binary("+", y, A.NumberLit(1))),
         "if a or b then -x else y + 1"),
        # collections
        (A.ListLit(()), "[]"),
        (A.ListLit((A.NumberLit(1), A.If(a, b, c))), "[1, if a then b else c]"),
        (A.SetLit((A.TextLit("LAB"),)), '{"LAB"}'),
        # quantifiers and aggregates
        (A.Quantifier("any", "o", N("offers")), "any(o in offers)"),
        (A.Quantifier("count", "o", N("offers"), binary(">", A.Member(N("o"), "h"), x)),
         "count(o in offers where o.h > x)"),
        (A.Aggregate("sum", A.Member(N("o"), "h"), "o", N("s")), "sum(o.h for o in s)"),
        (A.Aggregate("max", A.Member(N("o"), "h"), "o", N("s"), None, A.QuantityLit(0, "hours")),
         "max(o.h for o in s else 0 hours)"),
        (A.Aggregate("latest", N("o"), "o", N("s"), A.BoolLit(True), A.NumberLit(0)),
         "latest(o for o in s where true else 0)"),
        (binary("+", A.Aggregate("min", N("o"), "o", N("s")), A.NumberLit(1)),
         "min(o for o in s) + 1"),
    ],
)
def test_canonical_text(node: A.Expr, text: str) -> None:
    assert to_text(node) == text


@pytest.mark.parametrize(
    ("source", "canonical"),
    [
        ("a+b", "a + b"),
        ("((a))", "a"),
        ("(a or b) and (c)", "(a or b) and c"),
        ("a or (b and c)", "a or b and c"),
        ("-(-x)", "- -x"),
        ("--x", "- -x"),
        ("not(a)", "not a"),
        ("not (a == b)", "not a == b"),
        ("a not  in b", "a not in b"),
        ("1 days", "1 day"),
        ("2 day", "2 days"),
        ("1 hour", "1 hour"),
        ("1.50   DKK", "1.50 DKK"),
        ("'it\\'s'", '"it\'s"'),
        ("'say \"hi\"'", '"say \\"hi\\""'),
        ("[1,2,]", "[1, 2]"),
        ("{ a , }", "{a}"),
        ("f( a ,k = 1 ,)", "f(a, k=1)"),
        ("any( o  in s where(o.ok) )", "any(o in s where o.ok)"),
        ("sum(o.h for o in s where o.ok else(0 hours))",
         "sum(o.h for o in s where o.ok else 0 hours)"),
        ("if(a)then(b)else(c)", "if a then b else c"),
        ("x.y . z", "x.y.z"),
    ],
)
def test_parse_then_print_gives_the_canonical_form(source: str, canonical: str) -> None:
    tree = parse_expression(source)
    assert to_text(tree) == canonical
    assert parse_expression(canonical) == tree
    assert to_text(parse_expression(canonical)) == canonical


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (7, "7"), (D("1.50"), "1.50"), (D("0.05"), "0.05"), (D("1850"), "1850"),
     (D("1E+2"), "100"), (D("12345678901234567890.1"), "12345678901234567890.1")],
)
def test_format_number_writes_plain_digits(value: int | Decimal, text: str) -> None:
    assert format_number(value) == text


def test_printing_ignores_positions() -> None:
    assert to_text(A.Binary("+", N("a", pos=(5, 6)), N("b"), pos=(0, 99))) == "a + b"
