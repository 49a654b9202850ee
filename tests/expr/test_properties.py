"""Properties of the expression language: the parser never crashes, printing round-trips.

Three kinds of input: strings generated from the project's own grammar
(``hypothesis.extra.lark.from_lark``), arbitrary text and small mutations of
valid expressions, and ASTs built directly, printed and parsed back.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from udbudsregler.expr import ast as A
from udbudsregler.expr.parser import ExprSyntaxError, _parser, parse_expression, reserved_words
from udbudsregler.expr.printer import to_text

FAST = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

# Every keyword of the grammar (a member may be named so, but nothing else may).
KEYWORDS = frozenset({"if", "then", "else", "and", "or", "not", "in", "where", "for", "true",
                      "false", "any", "all", "count", "select", "sum", "min", "max", "latest"})

RESERVED = reserved_words()
assert KEYWORDS <= RESERVED

# Names that start with a keyword, unit words and currency-like words, which are all plain
# names wherever no number precedes them.
TRICKY_NAMES = ["min_hours", "income", "order", "android", "iffy", "counter", "summary",
                "maxi", "selection", "trueish", "notable", "days", "hours", "year", "LAB",
                "første_dag", "ydelse_år", "_x"]

names = st.one_of(
    st.builds(str.__add__, st.sampled_from("abcdefhiostæø_"),
              st.text("abefilnorstuyæå0_", max_size=4)).filter(lambda s: s not in RESERVED),
    st.sampled_from(TRICKY_NAMES),
)


# Decimals as the parser makes them: digits, a point, digits (trailing zeros kept).
_DECIMALS = st.builds(lambda whole, frac: Decimal(f"{whole}.{frac}"), st.integers(0, 10**6),
                      st.sampled_from(["0", "5", "50", "25", "05", "125", "000"]))


def assert_error_within(text: str, error: ExprSyntaxError) -> None:
    start, end = error.pos
    assert 0 <= start <= end <= len(text) + 1, (text, error)
    assert re.fullmatch(r"UDB3\d\d", error.code), error.code
    assert error.message and "\n" not in error.message
    for word in ("Token", "Tree", "lark", "Unexpected", "Expected one of"):
        assert word not in error.message, error.message


def parses_or_fails_cleanly(text: str) -> ExprSyntaxError | None:
    """Parse ``text``; only :class:`ExprSyntaxError` may escape, with a position inside it."""
    try:
        parse_expression(text)
    except ExprSyntaxError as error:
        assert_error_within(text, error)
        return error
    return None


# -- strings from the grammar ---------------------------------------------------

# from_lark joins tokens without spaces: it draws an `%ignore`d WS after a symbol only one
# time in four, so `if` + `a` would mostly lex as the name `ifa`. Every terminal is drawn
# with a space on each side instead, so each generated string lexes into exactly the
# tokens the grammar drew; the ignored WS still adds line breaks and tabs now and then.
_WORDS = {
    "IF": "if", "THEN": "then", "OR": "or", "AND": "and", "NOT": "not", "IN": "in",
    "WHERE": "where", "FOR": "for", "ELSE": "else", "TRUE": "true", "FALSE": "false",
    "ADD": "+", "MINUS": "-", "DOT": ".", "LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]",
    "LBRACE": "{", "RBRACE": "}", "COMMA": ",", "EQUAL": "=",
}


def _rarely(common: st.SearchStrategy[str], rare: str) -> st.SearchStrategy[str]:
    """``common``, and one time in fifty ``rare`` (a value the parser rejects)."""
    pick_rare = st.sampled_from([False] * 49 + [True])  # hypothesis favours the first ones
    return st.tuples(common, pick_rare).map(lambda t: rare if t[1] else t[0])


_TERMINALS: dict[str, st.SearchStrategy[str]] = {
    **{name: st.just(word) for name, word in _WORDS.items()},
    "QUANT": st.sampled_from(A.QUANTIFIER_KINDS),
    "AGGREGATE": st.sampled_from(A.AGGREGATE_KINDS),
    "COMPARE": st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
    "MUL": st.sampled_from(["*", "/"]),
    "UNIT": st.sampled_from(["years", "year", "months", "month", "weeks", "week", "days", "day",
                             "hours", "hour"]),
    "CURRENCY": st.sampled_from(["DKK", "EUR", "LAB"]),
    "DATE": _rarely(st.dates(min_value=date(1000, 1, 1)).map(date.isoformat), "2019-02-29"),
    "NUMBER": _rarely(st.integers(0, 9999).map(str), "1.50"),
    "STRING": _rarely(st.sampled_from(['""', '"LAB"', "'it\\'s'", '"a\\"b\\n\\t\\\\"',
                                       '"første år"']), '"\\q"'),
    "NAME": names,
    "WS": st.sampled_from(["\n", "\t", "\r\n", "   "]),
}


def leveled_grammar(depth: int) -> tuple[str, str]:
    """The project's grammar with its recursion cut off below ``depth`` levels.

    from_lark picks each alternative with equal chance; in our grammar most atoms
    nest further expressions, so a derivation almost never ends and hypothesis
    discards it as too large. Here every rule ``R`` becomes ``R_0 .. R_depth``:
    a unit production (``sum: product``) and a rule's reference to itself
    (``sum: sum ADD product``) stay on their level, every other reference goes
    one level down, and level 0 keeps only productions that need no lower level.
    So brackets, conditionals and both sides of a comparison nest at most
    ``depth`` deep, while chains such as ``a + b - c.d.e`` stay possible. Each
    ``R_k`` derives a subset of what ``R`` derives: every generated string is in
    the project's language.
    """
    terminals, rules, _ = _parser().grammar.compile(["start"], ())
    by_origin: dict[str, list[tuple[Any, ...]]] = {}
    for rule in rules:
        by_origin.setdefault(rule.origin.name, []).append(tuple(rule.expansion))
    ids = {name: f"r{i}" for i, name in enumerate(by_origin)}
    defined: dict[str, list[list[str]]] = {}
    for level in range(depth + 1):
        for origin, expansions in by_origin.items():
            alternatives = []
            for expansion in expansions:
                unit = len(expansion) == 1
                alternative = [
                    str(symbol.name) if symbol.is_term else
                    f"{ids[symbol.name]}_{level if unit or symbol.name == origin else level - 1}"
                    for symbol in expansion]
                if not any(name.endswith("_-1") for name in alternative):
                    alternatives.append(alternative)
            defined[f"{ids[origin]}_{level}"] = alternatives
    changed = True
    while changed:  # drop what refers to a rule left without any production
        changed = False
        for name, alternatives in list(defined.items()):
            kept = [alt for alt in alternatives if all(s.isupper() or s in defined for s in alt)]
            changed |= len(kept) != len(alternatives)
            if kept:
                defined[name] = kept
            else:
                del defined[name]
    lines = [f"{name}: " + " | ".join(" ".join(alt) for alt in alts)
             for name, alts in defined.items()]
    lines.append("%declare " + " ".join(sorted(t.name for t in terminals if t.name != "WS")))
    lines.append("WS: /[ \\t\\r\\n]+/")
    lines.append("%ignore WS")  # from_lark puts a WS after a symbol now and then
    return "\n".join(lines), f"{ids['start']}_{depth}"


DEPTH = 2


def _grammar_strings(depth: int) -> st.SearchStrategy[str]:
    text, start = leveled_grammar(depth)
    return from_lark(Lark(text, start=start), start=start,
                     explicit={name: s.map(lambda t: f" {t} ") for name, s in _TERMINALS.items()})


GRAMMAR_STRINGS = st.deferred(lambda: _grammar_strings(DEPTH))

# What a string derived from the grammar may still be rejected for: the checks made on
# the values, after the grammar accepted them.
_VALUE_ERRORS = {
    "UDB304": "is not a real calendar date",
    "UDB305": "is not a whole number of",
    "UDB308": "unknown escape",
    "UDB301": "a positional argument follows a named one",
    "UDB312": "levels deep",
}


def test_the_leveled_grammar_covers_every_terminal_and_rule() -> None:
    text, start = leveled_grammar(DEPTH)
    terminals, rules, _ = _parser().grammar.compile(["start"], ())
    used = set(re.findall(r"\b[A-Z]+\b", text.split("%declare")[0])) | {"WS"}
    assert used == {t.name for t in terminals} == set(_TERMINALS)
    top = re.findall(rf"^r\d+_{DEPTH}:", text, flags=re.M)
    assert len(top) == len({r.origin for r in rules})
    Lark(text, start=start)  # a well-formed grammar


@settings(FAST, max_examples=150)
@given(GRAMMAR_STRINGS)
def test_strings_from_the_grammar_parse_and_print_back(text: str) -> None:
    error = parses_or_fails_cleanly(text)
    if error is not None:  # only a value the grammar cannot check may fail
        assert error.code in _VALUE_ERRORS, (text, error)
        assert _VALUE_ERRORS[error.code] in error.message, (text, error)
        return
    tree = parse_expression(text)
    assert parse_expression(to_text(tree)) == tree


# -- arbitrary text and mutations -----------------------------------------------


@settings(FAST, max_examples=500)
@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes_the_parser(text: str) -> None:
    parses_or_fails_cleanly(text)


_ALPHABET = st.sampled_from([*"ab01 ()[]{},.=<>!+-*/\"'\\\n\t_æ@&|#:;",
                             "if", "then", "else", "and", "or", "not", "in", "where", "for",
                             "any", "sum", "days", "DKK", "2019-02-01"])

SEEDS = [
    "a + b * c", "if a then b else c", "any(o in offers where o.weekly_hours >= 15 hours)",
    "sum(o.h for o in offers where o.ok else 0 hours)", '[1, 2.5, "x\\n", 2019-02-01]',
    "{a, b,}", "f(a, gap=1 day)", "not a and b or c", "a not in b", "1850.50 DKK * 2",
    "-x.y - -z", "min(a, b)", "latest(o.d for o in x)", "(if a then b else c) + 1",
    "count(o in s) > 2", "'it\\'s' == t",
]


@st.composite
def mutations(draw: st.DrawFn) -> str:
    """A valid expression with a few characters deleted, inserted or duplicated."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if action == "delete":
            text = text[:i] + text[i + 1:]
        elif action == "insert":
            text = text[:i] + draw(_ALPHABET) + text[i:]
        else:
            text = text[:i] + text[i:i + 1] + text[i:]
    return text


@FAST
@given(mutations())
def test_mutated_expressions_never_crash_the_parser(text: str) -> None:
    parses_or_fails_cleanly(text)


def test_the_seeds_are_valid() -> None:
    for seed in SEEDS:
        parse_expression(seed)


# -- ASTs built directly: print then parse --------------------------------------

_DATES = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
_NATURALS = st.integers(min_value=0, max_value=10**12)

literals: st.SearchStrategy[A.Expr] = st.one_of(
    st.builds(A.BoolLit, st.booleans()),
    st.builds(A.NumberLit, st.one_of(_NATURALS, _DECIMALS)),
    st.builds(A.TextLit, st.text(st.one_of(st.sampled_from("\"'\\\n\t\r "), st.characters()),
                                 max_size=8)),
    st.builds(A.DateLit, _DATES),
    # Durations are at most 10,000 years (UDB314): no unit's limit is below 10,000.
    st.builds(A.QuantityLit, st.integers(0, 10_000), st.sampled_from(A.DURATION_UNITS)),
    st.builds(A.QuantityLit, _DECIMALS, st.just("hours")),
    st.builds(A.MoneyLit, st.one_of(_DECIMALS, _NATURALS.map(Decimal)),
              st.sampled_from(["DKK", "EUR", "LAB"])),
    st.builds(A.Name, names),
)

# A call may not be named after a quantifier or a keyword; `min(a, b)` is a call.
_FUNCS = st.one_of(names, st.sampled_from(A.AGGREGATE_KINDS))


def _operators(inner: st.SearchStrategy[A.Expr]) -> st.SearchStrategy[A.Expr]:
    return st.one_of(
        st.builds(A.Binary, st.sampled_from(A.BINARY_OPS), inner, inner),
        st.builds(A.Unary, st.sampled_from(["-", "not"]), inner),
        st.builds(A.If, inner, inner, inner),
        st.builds(A.Member, inner, names),
    )


def _compound(inner: st.SearchStrategy[A.Expr]) -> st.SearchStrategy[A.Expr]:
    small = st.lists(inner, max_size=3).map(tuple)
    optional = st.none() | inner
    return st.one_of(
        _operators(inner),
        st.builds(A.Binary, st.sampled_from(A.BINARY_OPS), inner, inner),
        st.builds(A.Member, inner, st.sampled_from(sorted(KEYWORDS))),
        st.builds(A.Call, _FUNCS, small,
                  st.lists(st.builds(A.Keyword, names, inner), max_size=2).map(tuple)),
        st.builds(A.ListLit, small),
        st.builds(A.SetLit, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(A.Quantifier, st.sampled_from(A.QUANTIFIER_KINDS), names, inner, optional),
        st.builds(A.Aggregate, st.sampled_from(A.AGGREGATE_KINDS), inner, names, inner,
                  optional, optional),
    )


exprs = st.recursive(literals, _compound, max_leaves=12)
# Operators only, over short leaves: where precedence and parentheses matter most.
operator_exprs = st.recursive(
    st.one_of(st.builds(A.Name, st.sampled_from(["a", "b", "c"])),
              st.builds(A.NumberLit, st.sampled_from([0, 1, Decimal("2.50")]))),
    _operators, max_leaves=8)


@FAST
@given(st.one_of(operator_exprs, exprs))
def test_print_then_parse_gives_the_same_tree_and_text(tree: A.Expr) -> None:
    text = to_text(tree)
    parsed = parse_expression(text)
    assert parsed == tree, text
    assert to_text(parsed) == text  # the canonical text is a fixed point


@settings(FAST, max_examples=200)
@given(exprs)
def test_positions_of_a_parsed_tree_lie_within_its_text(tree: A.Expr) -> None:
    text = to_text(tree)
    parsed = parse_expression(text)
    assert parsed.pos == (0, len(text))
    for node in A.walk(parsed):
        start, end = node.pos
        assert 0 <= start <= end <= len(text)
        if isinstance(node, A.Quantifier | A.Aggregate):
            vstart, vend = node.var_pos
            assert text[vstart:vend] == node.var
        if isinstance(node, A.Name):
            assert text[start:end] == node.id
        # a node's text is itself an expression with the same tree (up to parentheses)
        if not isinstance(node, A.Keyword):
            assert parse_expression(text[start:end]) == node
