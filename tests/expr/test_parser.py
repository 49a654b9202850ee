"""Tests of udbudsregler.expr.parser: text to AST, and syntax errors an author can act on."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from udbudsregler.diagnostics import CODES
from udbudsregler.expr import ast as A
from udbudsregler.expr.parser import (
    MAX_DEPTH,
    MAX_LENGTH,
    ExprSyntaxError,
    parse_expression,
    reserved_words,
)

D = Decimal
N = A.Name


def num(value: int | str) -> A.NumberLit:
    return A.NumberLit(D(value) if isinstance(value, str) else value)


def binary(op: str, left: A.Expr, right: A.Expr) -> A.Binary:
    return A.Binary(op, left, right)


def syntax_error(text: str) -> ExprSyntaxError:
    with pytest.raises(ExprSyntaxError) as info:
        parse_expression(text)
    return info.value


def source_of(text: str, node: A.Expr) -> str:
    start, end = node.pos
    return text[start:end]


a, b, c, x, y = N("a"), N("b"), N("c"), N("x"), N("y")


# -- literals -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", num(0)),
        ("42", num(42)),
        ("007", num(7)),
        ("1850.50", num("1850.50")),
        ("0.5", num("0.5")),
        ("true", A.BoolLit(True)),
        ("false", A.BoolLit(False)),
        ('"jobcenter"', A.TextLit("jobcenter")),
        ("'jobcenter'", A.TextLit("jobcenter")),
        ('""', A.TextLit("")),
        ('"første \\"dag\\""', A.TextLit('første "dag"')),
        ("'it\\'s'", A.TextLit("it's")),
        ('"a\\\\b"', A.TextLit("a\\b")),
        ('"line\\nnext\\ttab"', A.TextLit("line\nnext\ttab")),
        ("'say \"hi\"'", A.TextLit('say "hi"')),
        ('"🙂 æøå"', A.TextLit("🙂 æøå")),
        ("2019-02-28", A.DateLit(date(2019, 2, 28))),
        ("2020-02-29", A.DateLit(date(2020, 2, 29))),
        ("1850 DKK", A.MoneyLit(D("1850"), "DKK")),
        ("1850.50 DKK", A.MoneyLit(D("1850.50"), "DKK")),
        ("12 EUR", A.MoneyLit(D("12"), "EUR")),
    ],
)
def test_literals(text: str, expected: A.Expr) -> None:
    assert parse_expression(text) == expected


def test_whole_numbers_are_int_and_fractions_are_decimal() -> None:
    whole = parse_expression("1850")
    frac = parse_expression("1850.50")
    assert isinstance(whole, A.NumberLit) and type(whole.value) is int
    assert isinstance(frac, A.NumberLit) and type(frac.value) is Decimal
    assert str(frac.value) == "1850.50"  # the written digits are kept


def test_money_amount_is_always_decimal() -> None:
    money = parse_expression("1850 DKK")
    assert isinstance(money, A.MoneyLit)
    assert type(money.amount) is Decimal and money.amount == 1850


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("1 year", 1, "years"), ("2 years", 2, "years"),
        ("1 month", 1, "months"), ("6 months", 6, "months"),
        ("1 week", 1, "weeks"), ("3 weeks", 3, "weeks"),
        ("1 day", 1, "days"), ("7 days", 7, "days"),
        ("1 hour", 1, "hours"), ("15 hours", 15, "hours"),
        ("2 day", 2, "days"), ("1 days", 1, "days"),  # agreement is not enforced
        ("0 hours", 0, "hours"),
    ],
)
def test_durations_in_every_unit(text: str, amount: int, unit: str) -> None:
    result = parse_expression(text)
    assert result == A.QuantityLit(amount, unit)
    assert isinstance(result, A.QuantityLit) and type(result.amount) is int


@pytest.mark.parametrize(
    ("text", "amount"),
    [("1.5 hours", D("1.5")), ("0.25 hour", D("0.25")), ("37.0 hours", D("37.0"))],
)
def test_hours_may_have_fractions(text: str, amount: Decimal) -> None:
    result = parse_expression(text)
    assert result == A.QuantityLit(amount, "hours")
    assert isinstance(result, A.QuantityLit) and type(result.amount) is Decimal


def test_negative_literals_are_unary_minus() -> None:
    assert parse_expression("-5") == A.Unary("-", num(5))
    assert parse_expression("-2 days") == A.Unary("-", A.QuantityLit(2, "days"))


# -- names, members, calls ------------------------------------------------------


def test_member_access_chains_to_the_left() -> None:
    assert parse_expression("a.b.c") == A.Member(A.Member(a, "b"), "c")
    assert parse_expression("borger . alder") == A.Member(N("borger"), "alder")
    assert parse_expression("f(x).y") == A.Member(A.Call("f", (x,)), "y")
    assert parse_expression("(a + b).c") == A.Member(binary("+", a, b), "c")
    assert parse_expression("1 day.x") == A.Member(A.QuantityLit(1, "days"), "x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("f()", A.Call("f")),
        ("f(a)", A.Call("f", (a,))),
        ("f(a, b,)", A.Call("f", (a, b))),
        ("f(a, gap=1 day)",
         A.Call("f", (a,), (A.Keyword("gap", A.QuantityLit(1, "days")),))),
        ("f(x=1, y=2)", A.Call("f", (), (A.Keyword("x", num(1)), A.Keyword("y", num(2))))),
        ("f(a == b)", A.Call("f", (binary("==", a, b),))),
        ("f(k = if a then b else c)", A.Call("f", (), (A.Keyword("k", A.If(a, b, c)),))),
        ("f(g(x), [y])", A.Call("f", (A.Call("g", (x,)), A.ListLit((y,))))),
    ],
)
def test_calls_with_positional_and_keyword_arguments(text: str, expected: A.Expr) -> None:
    assert parse_expression(text) == expected


# -- operators ------------------------------------------------------------------


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*", "/",
                                "and", "or"])
def test_every_binary_operator(op: str) -> None:
    assert parse_expression(f"a {op} b") == binary(op, a, b)


def test_not_in_is_one_operator() -> None:
    assert parse_expression("a not in b") == binary("not in", a, b)
    assert parse_expression("a not  in [1, 2]") == binary("not in", a, A.ListLit((num(1), num(2))))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # left-associative
        ("a - b - c", binary("-", binary("-", a, b), c)),
        ("a / b / c", binary("/", binary("/", a, b), c)),
        ("a - b + c", binary("+", binary("-", a, b), c)),
        ("a and b and c", binary("and", binary("and", a, b), c)),
        ("a or b or c", binary("or", binary("or", a, b), c)),
        # parentheses override
        ("a - (b - c)", binary("-", a, binary("-", b, c))),
        ("(a or b) and c", binary("and", binary("or", a, b), c)),
        # precedence, loosest first: or, and, not, comparison, + -, * /, unary -, postfix
        ("a or b and c", binary("or", a, binary("and", b, c))),
        ("a and b or c", binary("or", binary("and", a, b), c)),
        ("not a and b", binary("and", A.Unary("not", a), b)),
        ("not a or not b", binary("or", A.Unary("not", a), A.Unary("not", b))),
        ("not a == b", A.Unary("not", binary("==", a, b))),
        ("not not a", A.Unary("not", A.Unary("not", a))),
        ("a == b and b < c", binary("and", binary("==", a, b), binary("<", b, c))),
        ("a + b == c * 2", binary("==", binary("+", a, b), binary("*", c, num(2)))),
        ("a + b * c", binary("+", a, binary("*", b, c))),
        ("a * b + c", binary("+", binary("*", a, b), c)),
        ("a in b + c", binary("in", a, binary("+", b, c))),
        ("-x.y", A.Unary("-", A.Member(x, "y"))),
        ("-x * y", binary("*", A.Unary("-", x), y)),
        ("x * -y", binary("*", x, A.Unary("-", y))),
        ("- -x", A.Unary("-", A.Unary("-", x))),
        ("--x", A.Unary("-", A.Unary("-", x))),
        ("a - -b", binary("-", a, A.Unary("-", b))),
        ("a == -b", binary("==", a, A.Unary("-", b))),
    ],
)
def test_precedence_and_associativity(text: str, expected: A.Expr) -> None:
    assert parse_expression(text) == expected


# -- conditionals ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("if a then b else c", A.If(a, b, c)),
        ("if a and b then 1 else 2", A.If(binary("and", a, b), num(1), num(2))),
        ("if a then b else if c then x else y", A.If(a, b, A.If(c, x, y))),
        ("if a then if b then c else x else y", A.If(a, A.If(b, c, x), y)),
        ("if if a then b else c then x else y", A.If(A.If(a, b, c), x, y)),
        ("if a then b else c + 1", A.If(a, b, binary("+", c, num(1)))),
        ("(if a then b else c) + 1", binary("+", A.If(a, b, c), num(1))),
        ("x and (if a then b else c)", binary("and", x, A.If(a, b, c))),
        ("f(if a then b else c)", A.Call("f", (A.If(a, b, c),))),
        ("[if a then b else c]", A.ListLit((A.If(a, b, c),))),
    ],
)
def test_conditionals(text: str, expected: A.Expr) -> None:
    assert parse_expression(text) == expected


# -- collections ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[]", A.ListLit(())),
        ("[1]", A.ListLit((num(1),))),
        ("[1,]", A.ListLit((num(1),))),
        ("[1, 2, 3,]", A.ListLit((num(1), num(2), num(3)))),
        ("[[a], []]", A.ListLit((A.ListLit((a,)), A.ListLit(())))),
        ("{1}", A.SetLit((num(1),))),
        ("{'LAB', 'A',}", A.SetLit((A.TextLit("LAB"), A.TextLit("A")))),
        ("{a, b}", A.SetLit((a, b))),
    ],
)
def test_list_and_set_literals(text: str, expected: A.Expr) -> None:
    assert parse_expression(text) == expected


def test_list_and_set_differ() -> None:
    assert parse_expression("[a]") != parse_expression("{a}")


# -- quantifiers and aggregates -------------------------------------------------


offers = N("offers")
o = N("o")


@pytest.mark.parametrize("kind", ["any", "all", "count", "select"])
def test_quantifiers_with_and_without_where(kind: str) -> None:
    assert parse_expression(f"{kind}(o in offers)") == A.Quantifier(kind, "o", offers)
    cond = binary(">=", A.Member(o, "weekly_hours"), A.QuantityLit(15, "hours"))
    assert parse_expression(f"{kind}(o in offers where o.weekly_hours >= 15 hours)") == \
        A.Quantifier(kind, "o", offers, cond)


@pytest.mark.parametrize("kind", ["sum", "min", "max", "latest"])
def test_aggregates_with_where_and_else(kind: str) -> None:
    value = A.Member(o, "h")
    assert parse_expression(f"{kind}(o.h for o in offers)") == A.Aggregate(kind, value, "o", offers)
    assert parse_expression(f"{kind}(o.h for o in offers where o.ok)") == \
        A.Aggregate(kind, value, "o", offers, A.Member(o, "ok"))
    assert parse_expression(f"{kind}(o.h for o in offers else 0 hours)") == \
        A.Aggregate(kind, value, "o", offers, None, A.QuantityLit(0, "hours"))
    assert parse_expression(f"{kind}(o.h for o in offers where o.ok else 0 hours)") == \
        A.Aggregate(kind, value, "o", offers, A.Member(o, "ok"), A.QuantityLit(0, "hours"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("min(a, b)", A.Call("min", (a, b))),
        ("max(a, b, c)", A.Call("max", (a, b, c))),
        ("sum(x)", A.Call("sum", (x,))),
        ("latest()", A.Call("latest")),
        ("min(a, gap=1 day)", A.Call("min", (a,), (A.Keyword("gap", A.QuantityLit(1, "days")),))),
    ],
)
def test_aggregate_words_as_plain_calls(text: str, expected: A.Expr) -> None:
    assert parse_expression(text) == expected


def test_quantifier_nested_in_operands() -> None:
    inner = A.Quantifier("count", "o", offers)
    assert parse_expression("count(o in offers) > 2 and x") == \
        binary("and", binary(">", inner, num(2)), x)
    assert parse_expression("any(o in a in b)") == A.Quantifier("any", "o", binary("in", a, b))


# -- names and keywords ---------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    ["min_hours", "income", "order", "android", "format", "notable", "iffy", "counter",
     "summary", "maxi", "allowance", "anyway", "selection", "latest_offer", "trueish",
     "falsely", "thence", "elsewhere", "forecast", "wherever", "inside", "today", "_x", "x1"],
)
def test_names_that_start_with_a_keyword(word: str) -> None:
    assert parse_expression(word) == N(word)
    assert parse_expression(f"{word} + 1") == binary("+", N(word), num(1))
    assert parse_expression(f"f({word}={word})") == A.Call("f", (), (A.Keyword(word, N(word)),))


@pytest.mark.parametrize("word", ["første_dag", "ydelse_år", "Ærø", "æble", "år"])
def test_danish_letters_in_names(word: str) -> None:
    assert parse_expression(f"{word}.beløb") == A.Member(N(word), "beløb")


def test_uppercase_three_letter_names_outside_money() -> None:
    assert parse_expression("LAB") == N("LAB")
    assert parse_expression("area == LAB") == binary("==", N("area"), N("LAB"))
    assert parse_expression("LAB in areas") == binary("in", N("LAB"), N("areas"))
    assert parse_expression("5 LAB") == A.MoneyLit(D(5), "LAB")  # after a number: a currency


@pytest.mark.parametrize("word", ["days", "hours", "year", "months", "week"])
def test_unit_words_as_names_where_no_number_precedes(word: str) -> None:
    assert parse_expression(word) == N(word)
    assert parse_expression(f"{word} >= 15 hours") == \
        binary(">=", N(word), A.QuantityLit(15, "hours"))
    assert parse_expression(f"x.{word}") == A.Member(x, word)


def test_keywords_are_reserved() -> None:
    grammar_words = {"and", "or", "not", "in", "if", "then", "else", "where", "for", "true",
                     "false", "any", "all", "count", "select", "sum", "min", "max", "latest"}
    assert grammar_words <= reserved_words()


@pytest.mark.parametrize("word", ["and", "or", "then", "else", "where", "for", "in"])
def test_connectives_never_become_names(word: str) -> None:
    error = syntax_error(word)
    assert error.code == "UDB310"
    assert error.pos == (0, len(word))


# -- positions ------------------------------------------------------------------


def test_positions_are_character_offsets() -> None:
    text = "a  +  b"
    tree = parse_expression(text)
    assert isinstance(tree, A.Binary)
    assert tree.pos == (0, 7)
    assert tree.left.pos == (0, 1)
    assert tree.right.pos == (6, 7)


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("  x  ", ["x"]),
        ("(a + b) * c", ["(a + b) * c", "a + b", "a", "b", "c"]),
        ("if x then y.z else -w", ["if x then y.z else -w", "x", "y.z", "y", "-w", "w"]),
        ("f(x, gap = 1 day)", ["f(x, gap = 1 day)", "x", "gap = 1 day", "1 day"]),
        ('[1850.50 DKK, "t\\n", 2019-02-01]',
         ['[1850.50 DKK, "t\\n", 2019-02-01]', "1850.50 DKK", '"t\\n"', "2019-02-01"]),
        ("{ a }", ["{ a }", "a"]),
        ("a not in b", ["a not in b", "a", "b"]),
        ("not  x", ["not  x", "x"]),
        ("a.b.c", ["a.b.c", "a.b", "a"]),
        ("any(o in offers where o.ok)", ["any(o in offers where o.ok)", "offers", "o.ok", "o"]),
        ("sum(o.h for o in s where o.ok else 0 hours)",
         ["sum(o.h for o in s where o.ok else 0 hours)", "o.h", "o", "s", "o.ok", "o",
          "0 hours"]),
        ("min(a, b)", ["min(a, b)", "a", "b"]),
        ("[]", ["[]"]),
        ("x + f()", ["x + f()", "x", "f()"]),
    ],
)
def test_positions_of_nested_nodes(text: str, spans: list[str]) -> None:
    nodes = list(A.walk(parse_expression(text)))
    assert [source_of(text, n) for n in nodes] == spans


def test_quantifier_and_aggregate_variable_positions() -> None:
    quant = parse_expression("any( offer in offers)")
    assert isinstance(quant, A.Quantifier)
    assert quant.var_pos == (5, 10)
    agg = parse_expression("x + sum(o.h for   o in s)")
    assert isinstance(agg, A.Binary) and isinstance(agg.right, A.Aggregate)
    assert agg.right.pos == (4, 25)
    assert agg.right.var_pos == (18, 19)


def test_positions_do_not_take_part_in_equality() -> None:
    assert parse_expression("a+b") == parse_expression("a  +  b")
    assert parse_expression("a+b").pos != parse_expression("a  +  b").pos
    assert hash(parse_expression("(x)")) == hash(parse_expression("  x"))
    q1, q2 = parse_expression("any(o in s)"), parse_expression("any(  o  in s)")
    assert q1 == q2
    assert isinstance(q1, A.Quantifier) and isinstance(q2, A.Quantifier)
    assert q1.var_pos != q2.var_pos


def test_deep_trees_within_the_limit_parse() -> None:
    text = "-" * (MAX_DEPTH - 1) + "x"
    tree = parse_expression(text)
    assert sum(1 for _ in A.walk(tree)) == MAX_DEPTH
    nested = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert sum(1 for _ in A.walk(parse_expression(nested))) == MAX_DEPTH - 1


# -- syntax errors --------------------------------------------------------------

# (text, code, (start, end), fragment of the message)
SYNTAX_ERRORS: list[tuple[str, str, tuple[int, int], str]] = [
    ("", "UDB309", (0, 0), "the expression is empty"),
    ("   ", "UDB309", (0, 3), "the expression is empty"),
    # brackets: the opener of an unclosed one, or the stray closer
    ("(a + b", "UDB302", (0, 1), "`(` is not closed"),
    ("x * (a + (b)", "UDB302", (4, 5), "`(` is not closed"),
    ("[1, 2", "UDB302", (0, 1), "`[` is not closed"),
    ("{1, 2", "UDB302", (0, 1), "`{` is not closed"),
    ("f(a", "UDB302", (1, 2), "`(` is not closed"),
    ("a + b)", "UDB302", (5, 6), "`)` closes nothing"),
    ("a ]", "UDB302", (2, 3), "`]` closes nothing"),
    ("}", "UDB302", (0, 1), "`}` closes nothing"),
    ("(a]", "UDB302", (2, 3), "`]` does not close the `(`"),
    ("[a)", "UDB302", (2, 3), "`)` does not close the `[`"),
    ("f({a)}", "UDB302", (4, 5), "`)` does not close the `{`"),
    ('"abc', "UDB302", (0, 1), "text starting with `\"` is not closed"),
    ("a + 'abc", "UDB302", (4, 5), "text starting with `'` is not closed"),
    ('"a\\"', "UDB302", (0, 1), "is not closed"),
    ('x == "a\nb"', "UDB302", (5, 6), "the text starting with `\"` is not closed on its line"),
    # the expression ends too early
    ("a +", "UDB303", (2, 3), "ends after `+`"),
    ("a and", "UDB303", (2, 5), "ends after `and`"),
    ("not", "UDB303", (0, 3), "ends after `not`"),
    ("x ==  ", "UDB303", (2, 4), "ends after `==`"),
    ("if a then b else", "UDB303", (12, 16), "ends after `else`"),
    ("a.", "UDB303", (1, 2), "ends after `.`"),
    # a value is missing between operators
    ("a + * b", "UDB310", (4, 5), "`*` cannot follow `+`"),
    ("a * / b", "UDB310", (4, 5), "`/` cannot follow `*`"),
    ("a <> b", "UDB310", (3, 4), "`>` cannot follow `<`"),
    ("f(a,,b)", "UDB310", (4, 5), "`,` cannot follow `,`"),
    ("[,]", "UDB310", (1, 2), "`,` cannot follow `[`"),
    ("{}", "UDB310", (1, 2), "`}` cannot follow `{`"),
    ("f(a=)", "UDB310", (4, 5), "`)` cannot follow `=`"),
    ("* a", "UDB310", (0, 1), "starts with `*`"),
    (".5", "UDB310", (0, 1), "starts with `.`"),
    # a keyword where a value must stand
    ("a and and b", "UDB310", (6, 9), "`and` stands where a value is expected"),
    ("a and or b", "UDB310", (6, 8), "`or` stands where a value is expected"),
    ("a + then", "UDB310", (4, 8), "`then` stands where a value is expected"),
    ("not in b", "UDB310", (4, 6), "`in` stands where a value is expected"),
    ("a == not b", "UDB310", (5, 8), "`not` stands where a value is expected"),
    ("f(a, where)", "UDB310", (5, 10), "`where` stands where a value is expected"),
    # chained comparisons
    ("a < b < c", "UDB306", (6, 7), "comparisons cannot be chained"),
    ("a == b == c", "UDB306", (7, 9), "`==` follows a comparison"),
    ("a < b in c", "UDB306", (6, 8), "`in` follows a comparison"),
    ("a not in b in c", "UDB306", (11, 13), "comparisons cannot be chained"),
    ("a < b not in c", "UDB306", (6, 9), "comparisons cannot be chained"),
    # `=` for `==`
    ("a = b", "UDB307", (2, 3), "`=` is not a comparison"),
    ("f(1=2)", "UDB307", (3, 4), "`=` is not a comparison"),
    ("a => b", "UDB307", (2, 3), "`=` is not a comparison"),
    # values side by side
    ("a b", "UDB301", (2, 3), "`b` follows `a` without an operator"),
    ("1 2", "UDB301", (2, 3), "`2` follows `1` without an operator"),
    ('a "x"', "UDB301", (2, 5), '`"x"` follows `a`'),
    ("2019-02-01 x", "UDB301", (11, 12), "`x` follows `2019-02-01`"),
    ("(a b)", "UDB301", (3, 4), "`b` follows `a`"),
    ("f(a) b", "UDB301", (5, 6), "`b` follows `)`"),
    ("if a then b else c d", "UDB301", (19, 20), "`d` follows `c`"),
    ("a not b", "UDB301", (6, 7), "`not` between two values must be followed by `in`"),
    ("a, b", "UDB301", (1, 2), "unexpected `,` after `a`"),
    ("f(1)(2)", "UDB301", (4, 5), "unexpected `(` after `)`"),
    # conditionals
    ("if a", "UDB311", (3, 4), "a conditional needs `then` after `a`"),
    ("if a b else c", "UDB311", (5, 6), "needs `then` after `a`"),
    ("if a then b", "UDB311", (10, 11), "needs `else` after `b`"),
    ("if a then b c", "UDB311", (12, 13), "needs `else` after `b`"),
    ("(if a b)", "UDB311", (6, 7), "needs `then` after `a`"),
    ("[if a then b]", "UDB311", (12, 13), "needs `else` after `b`"),
    ("if a then if b then c else d e", "UDB311", (29, 30), "needs `else` after `d`"),
    ("x + if a then b else c", "UDB311", (4, 8), "must be in parentheses"),
    ("a and if a then b else c", "UDB311", (6, 10), "must be in parentheses"),
    # quantifiers and aggregates
    ("any(o offers)", "UDB313", (6, 12), "unexpected `offers` in a quantifier"),
    ("any(o in)", "UDB313", (8, 9), "unexpected `)` in a quantifier"),
    ("any(o in offers where)", "UDB313", (21, 22), "in a quantifier"),
    ("any(o.x in offers)", "UDB313", (5, 6), "unexpected `.` in a quantifier"),
    ("any()", "UDB313", (4, 5), "in a quantifier"),
    ("any(o in x, y)", "UDB313", (10, 11), "unexpected `,` in a quantifier"),
    ("sum(o for o)", "UDB313", (11, 12), "in a quantifier"),
    ("sum(o for o in x else)", "UDB313", (21, 22), "in a quantifier"),
    ("any(and in x)", "UDB313", (4, 7), "`and` is a reserved word"),
    ("sum(o.h for then in x)", "UDB313", (12, 16), "`then` is a reserved word"),
    ("count(today in days)", "UDB313", (6, 11), "cannot name a quantifier's variable"),
    # units
    ("2 yrs", "UDB305", (2, 5), "unknown unit `yrs`"),
    ("4 måneder", "UDB305", (2, 9), "unknown unit `måneder`"),
    ("1850 kr", "UDB305", (5, 7), "unknown unit `kr`"),
    ("2 dayz", "UDB305", (2, 6), "unknown unit `dayz`"),
    ("1.5 years", "UDB305", (0, 9), "`1.5 years` is not a whole number of years"),
    ("x + 0.5 days", "UDB305", (4, 12), "not a whole number of days"),
    ("1.5 month", "UDB305", (0, 9), "not a whole number of months"),
    # literals too large to be meant (issue 12, items 3 and 4)
    ("1" + "0" * 40 + " > 1", "UDB314", (0, 41), "has 41 digits before the decimal point"),
    ("x + 0." + "5" * 41 + " DKK", "UDB314", (4, 51), "has 41 digits after the decimal point"),
    ("d - 3652426 days", "UDB314", (4, 16), "`3652426 days` is longer than the calendar"),
    ("d + 120001 months", "UDB314", (4, 17), "the limit is 120000 months"),
    # dates
    ("2019-02-29", "UDB304", (0, 10), "`2019-02-29` is not a real calendar date"),
    ("d < 2019-13-01", "UDB304", (4, 14), "`2019-13-01` is not a real calendar date"),
    ("2019-04-31", "UDB304", (0, 10), "not a real calendar date"),
    ("2019-02-30 + 2019-02-31", "UDB304", (0, 10), "`2019-02-30`"),  # the first one
    # characters
    ("a @ b", "UDB308", (2, 3), "`@` is not allowed here"),
    ("a $ b", "UDB308", (2, 3), "`$` is not allowed here"),
    ("a && b", "UDB308", (2, 4), "`&&` is not an operator"),
    ("a || b", "UDB308", (2, 4), "`||` is not an operator"),
    ("!a", "UDB308", (0, 1), "`!` is not an operator"),
    ("a ≥ b", "UDB308", (2, 3), "`≥` is not an operator"),
    ("a +\x00", "UDB308", (3, 4), "`'\\x00'` is not allowed here"),
    ("1e5", "UDB308", (0, 3), "`1e5` is not a number"),
    ("x + 2days", "UDB308", (4, 9), "`2days` is not a number"),
    ('"a\\q"', "UDB308", (2, 4), "unknown escape `\\q` in text"),
    ("x == 'a' + \"b\\d\"", "UDB308", (13, 15), "unknown escape `\\d`"),
    # arguments
    ("f(a=1, b)", "UDB301", (7, 8), "a positional argument follows a named one"),
    ("min(k=1, 2 days)", "UDB301", (9, 15), "positional argument follows a named one"),
]

HINTS = {
    "2 yrs": "did you mean `2 years`?",
    "4 måneder": "did you mean `4 months`?",
    "6 månader": "did you mean `6 months`?",
    "1 vecka": "did you mean `1 week`?",
    "30 dagar": "did you mean `30 days`?",
    "15 timmar": "did you mean `15 hours`?",
    "1850 kr": "did you mean `1850 DKK`?",
    "2 dayz": "did you mean `2 days`?",
    "a && b": "write `and`",
    "a || b": "write `or`",
    "!a": "write `not`",
    "a ≥ b": "write `>=`",
}


def test_the_error_table_is_large_and_has_no_duplicates() -> None:
    texts = [row[0] for row in SYNTAX_ERRORS]
    assert len(texts) >= 40
    assert len(set(texts)) == len(texts)


@pytest.mark.parametrize(("text", "code", "pos", "fragment"), SYNTAX_ERRORS,
                         ids=[repr(row[0]) for row in SYNTAX_ERRORS])
def test_syntax_errors(text: str, code: str, pos: tuple[int, int], fragment: str) -> None:
    error = syntax_error(text)
    assert (error.code, error.pos) == (code, pos), error.message
    assert fragment in error.message


@pytest.mark.parametrize(("text", "hint"), sorted(HINTS.items()))
def test_did_you_mean_hints(text: str, hint: str) -> None:
    assert syntax_error(text).hint == hint


@pytest.mark.parametrize(
    ("text", "hint"),
    [("1 dayz", "did you mean `1 day`?"), ("1 dkk", "did you mean `1 DKK`?"),
     ("3 uger", "did you mean `3 weeks`?"), ("2 hrs", "did you mean `2 hours`?")],
)
def test_unit_hints_agree_with_the_number_and_ignore_case(text: str, hint: str) -> None:
    error = syntax_error(text)
    assert error.code == "UDB305"
    assert error.hint == hint


def test_an_unknown_word_after_a_number_without_a_close_unit_gets_the_general_hint() -> None:
    error = syntax_error("2 xyz")
    assert error.code == "UDB305"
    assert error.hint is not None and "years, months, weeks, days or hours" in error.hint


JARGON = ("Token", "Tree", "lark", "Unexpected", "Expected one of", "$END", "RULE")
PYTHON_NAMES = re.compile(r"\b(None|NoneType|str|int|float|Decimal|Exception|Error|tuple|list)\b")


def assert_plain(line: str) -> None:
    assert "\n" not in line and "\r" not in line
    for word in JARGON:
        assert word not in line, word
    assert PYTHON_NAMES.search(line) is None, line


@pytest.mark.parametrize("text", [row[0] for row in SYNTAX_ERRORS])
def test_messages_follow_the_house_rules(text: str) -> None:
    error = syntax_error(text)
    message = error.message
    assert message.strip() == message and message
    assert "\n" not in message and "\r" not in message
    assert message[0] == message[0].lower()  # lowercase first letter (or a backtick)
    assert not message.endswith(".")
    assert message.count("`") % 2 == 0  # user input is quoted in pairs
    assert "``" not in message  # never an empty quotation
    assert_plain(message)
    if error.hint is not None:
        assert_plain(error.hint)


@pytest.mark.parametrize("text", [row[0] for row in SYNTAX_ERRORS])
def test_error_codes_are_registered_parse_codes(text: str) -> None:
    error = syntax_error(text)
    info = CODES[error.code]
    assert info.stage == "parse"
    assert 0 <= error.pos[0] <= error.pos[1] <= len(text) + 1
    assert str(error).startswith(f"{error.code}: {error.message}")


def test_every_parse_code_is_triggered_by_the_table() -> None:
    parse_codes = {code for code, info in CODES.items() if info.stage == "parse"}
    triggered = {row[1] for row in SYNTAX_ERRORS} | {"UDB312"}
    assert parse_codes == triggered


# -- limits ---------------------------------------------------------------------


def test_text_longer_than_the_limit() -> None:
    error = syntax_error("a" * (MAX_LENGTH + 1))
    assert error.code == "UDB312"
    assert error.pos == (0, 1)
    assert f"{MAX_LENGTH + 1} characters long" in error.message
    assert str(MAX_LENGTH) in error.message
    assert isinstance(parse_expression("a" * MAX_LENGTH), A.Name)


@pytest.mark.parametrize(
    ("text", "pos"),
    [
        ("-" * MAX_DEPTH + "x", (MAX_DEPTH, MAX_DEPTH + 1)),
        ("not " * MAX_DEPTH + "x", (4 * MAX_DEPTH, 4 * MAX_DEPTH + 1)),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), (MAX_DEPTH, MAX_DEPTH + 2)),
        ("x" + ".y" * MAX_DEPTH, (0, 1)),
    ],
)
def test_nesting_deeper_than_the_limit(text: str, pos: tuple[int, int]) -> None:
    error = syntax_error(text)
    assert error.code == "UDB312"
    assert error.pos == pos
    assert f"nested more than {MAX_DEPTH} levels deep" in error.message


@pytest.mark.parametrize(
    "text",
    ["-" * 4999 + "x", "not " * 2400 + "x", "[" * 4000 + "]" * 4000, "a" + ".b" * 4000,
     "a+" * 4000 + "a", "f(" * 3000 + ")" * 3000, "(" * 4000 + "a" + ")" * 4000],
)
def test_very_deep_input_is_a_syntax_error_not_a_crash(text: str) -> None:
    try:
        tree = parse_expression(text)
    except ExprSyntaxError as error:
        assert error.code == "UDB312"
    else:  # parentheses alone add no depth
        assert tree == N("a")


@pytest.mark.parametrize("text, message, pos, hint", [
    ("count(offers)", "`count` needs a name for each element of `offers`: `count(o in offers)`",
     (6, 12), "write e.g. `count(o in offers where ...)`"),
    ("any(benefits where b.kind == kontanthjaelp)",
     "`any` needs a name for each element of `benefits`: `any(b in benefits)`", (4, 12),
     "`b` stands for each element of `benefits` in turn"),
])
def test_a_quantifier_without_its_variable_says_how_to_write_it(
        text: str, message: str, pos: tuple[int, int], hint: str) -> None:
    with pytest.raises(ExprSyntaxError) as caught:
        parse_expression(text)
    error = caught.value
    assert (error.code, error.pos) == ("UDB313", pos)
    assert message in error.message
    assert error.hint is not None and hint in error.hint
