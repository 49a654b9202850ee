"""Hypothesis strategies: well-typed expressions over one fixed fact schema, policies made
of them, and valid facts for that schema.

The generator is type-directed: ``ExprGen.expr(t, ...)`` builds an AST whose type, as the
checker infers it, is exactly ``t`` (the tests assert this for every generated rule). It
uses every literal, fact, parameter and earlier rule, member access, the operators the
checker allows, if-then-else, list and set literals, every function of the library (with
positional and keyword arguments, defaults sometimes omitted), quantifiers and aggregates.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from udbudsregler.expr import ast as A
from udbudsregler.expr.printer import to_text
from udbudsregler.semantics.types import (
    BOOL,
    DATE,
    DECIMAL,
    HOURS,
    INT,
    PERIOD,
    TEXT,
    DurationType,
    EnumType,
    ListType,
    MoneyType,
    RecordType,
    SetType,
    Type,
)
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, Period

__all__ = ["GeneratedPolicy", "facts", "policies"]

Draw = Callable[[st.SearchStrategy[Any]], Any]
Env = tuple[tuple[str, Type], ...]

MONEY = MoneyType("DKK")
MONTHS = DurationType("months")
DAYS = DurationType("days")
CALENDAR = DurationType("calendar")
SPAN = DurationType("span")

E_VIS = EnumType("visitation", ("aktivitetsparat", "jobparat", "uafklaret"))
E_OFFER = EnumType("offers.kind", ("virksomhedspraktik", "loentilskud", "vejledning"))
E_BEN = EnumType("benefits.kind", ("kontanthjaelp", "sygedagpenge", "jobafklaring"))
_HISTORY = (("from", DATE), ("to", DATE), ("period", PERIOD))
R_OFFER = RecordType("offers", (("kind", E_OFFER), ("weekly_hours", HOURS), ("pay", MONEY),
                                *_HISTORY), history=True)
R_BEN = RecordType("benefits", (("kind", E_BEN), *_HISTORY), history=True)
# `period` is an ordinary field here: only a history record derives one from `from`/`to`.
R_JOB = RecordType("jobs", (("employer", TEXT), ("hours", HOURS), ("active", BOOL),
                            ("started", DATE), ("period", PERIOD)))
R_SAG = RecordType("sag", (("opened", DATE), ("level", INT)))

SCHEMA_YAML = """\
facts:
  flag: bool
  count_n: int
  ratio: decimal
  income: money
  birth_date: date
  start_date: date
  weekly: hours
  note: text
  visitation: {type: enum, values: [aktivitetsparat, jobparat, uafklaret]}
  pause: duration
  stay: period
  sag:
    type: record
    fields: {opened: date, level: int}
  offers:
    type: history
    fields:
      kind: {type: enum, values: [virksomhedspraktik, loentilskud, vejledning]}
      weekly_hours: hours
      pay: money
  benefits:
    type: history
    fields:
      kind: {type: enum, values: [kontanthjaelp, sygedagpenge, jobafklaring]}
  jobs:
    type: list
    fields:
      employer: text
      hours: hours
      active: bool
      started: date
      period: period

parameters:
  min_age: 30
  window: 2 years
  min_hours: 15 hours
  rate:
    values:
      - {from: "1950-01-01", value: "1"}
      - {from: "2000-01-01", value: "1.25"}
  base: "1850.50 DKK"
  cutoff: "2015-06-30"
  grace: 1 day
  levels: "[1, 2.5]"
  codes: "{1, 2, 3}"
  offset: -3
  steps:
    values:
      - {from: "1950-01-01", value: "[1, 2]"}
      - {from: "2000-01-01", value: "[2.5]"}
"""

FACT_TYPES: dict[str, Type] = {
    "flag": BOOL, "count_n": INT, "ratio": DECIMAL, "income": MONEY, "birth_date": DATE,
    "start_date": DATE, "weekly": HOURS, "note": TEXT, "visitation": E_VIS, "pause": CALENDAR,
    "stay": PERIOD, "sag": R_SAG, "offers": ListType(R_OFFER), "benefits": ListType(R_BEN),
    "jobs": ListType(R_JOB),
}
PARAM_TYPES: dict[str, Type] = {
    "min_age": INT, "window": MONTHS, "min_hours": HOURS, "rate": DECIMAL, "base": MONEY,
    "cutoff": DATE, "grace": DAYS, "levels": ListType(DECIMAL), "codes": SetType(INT),
    "offset": INT, "steps": ListType(DECIMAL),
}

#: The types a generated rule may have.
RULE_TYPES: tuple[Type, ...] = (
    BOOL, INT, DECIMAL, MONEY, DATE, HOURS, TEXT, PERIOD, MONTHS, DAYS, CALENDAR, SPAN,
    E_VIS, E_OFFER, E_BEN, R_SAG,
    ListType(PERIOD), ListType(R_OFFER), ListType(R_BEN), ListType(R_JOB), ListType(INT),
    ListType(DECIMAL), ListType(DATE), ListType(TEXT), ListType(MONEY), ListType(HOURS),
    ListType(MONTHS), ListType(BOOL),
    SetType(INT), SetType(DECIMAL), SetType(TEXT), SetType(DATE), SetType(MONEY),
    SetType(BOOL),
)
#: Element types a list literal may be built of (records come only from facts and select).
_LITERAL_ELEMS = (BOOL, INT, DECIMAL, MONEY, DATE, HOURS, TEXT, PERIOD, MONTHS, DAYS, SPAN)
_SUMMABLE = (INT, DECIMAL, MONEY, HOURS, MONTHS, DAYS)
#: CALENDAR is left out: the checker lets `min`/`max(x for ...)` take durations in months and
#: days, which have no order, so evaluation fails with a Python error (a checker bug).
_ORDERED = (INT, DECIMAL, MONEY, HOURS, DATE, MONTHS, DAYS, SPAN)
_DURATIONS = (MONTHS, DAYS, CALENDAR, SPAN)
_CALENDAR_DURATIONS = (MONTHS, DAYS, CALENDAR)
_ENUMS = (E_VIS, E_OFFER, E_BEN)
_PERIOD_SOURCES = (ListType(R_OFFER), ListType(R_BEN), ListType(PERIOD))
_QUANTIFIER_ELEMS = (R_OFFER, R_BEN, R_JOB, PERIOD, INT, DECIMAL, DATE, MONEY, TEXT)

_LITERAL_TYPES = (BOOL, INT, DECIMAL, MONEY, DATE, HOURS, TEXT, MONTHS, DAYS)
_LITERAL_DATES = st.dates(date(1900, 1, 1), date(2100, 12, 31))
_LITERAL_TEXTS = st.text(alphabet="abæ \"'\\\n", max_size=4)
# Equal values written differently (2.0, 2.00), and more digits than decimal arithmetic keeps.
_DECIMALS = ("0.5", "1.25", "2.0", "0.10", "3.333", "0.0", "10.75", "7.5", "2.00",
             "0.1234567890123456789012345678901234567")
_AMOUNTS = ("0", "100", "1850.50", "0.01", "250.25", "12", "999.99", "3.5", "3.50")
#: A whole number with more digits than decimal arithmetic keeps.
_LONG_INT = 123456789012345678901234567890123456789


@functools.cache
def _below(n: int) -> st.SearchStrategy[int]:
    """0 to n - 1 (strategies are built once: building and validating them is slow)."""
    return st.integers(0, n - 1)


@functools.cache
def _between(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


def _name(ident: str) -> A.Name:
    return A.Name(ident)


def _sub_types(t: Type) -> tuple[Type, ...]:
    """Types whose join with ``t`` is ``t`` (besides ``t`` itself)."""
    if t == DECIMAL:
        return (INT,)
    if t == DAYS:
        return (SPAN,)
    if isinstance(t, ListType):
        return tuple(ListType(s) for s in _sub_types(t.elem))
    if isinstance(t, SetType):
        return tuple(SetType(s) for s in _sub_types(t.elem))
    return ()


def _join_pairs(t: Type) -> list[tuple[Type, Type]]:
    """Pairs of types whose join is exactly ``t``."""
    pairs = [(t, t)]
    for s in _sub_types(t):
        pairs += [(t, s), (s, t)]
    return pairs


class ExprGen:
    """Draws well-typed expressions; ``rules`` are the earlier rules, by name, with types."""

    def __init__(self, draw: Draw, rules: Sequence[tuple[str, Type]]) -> None:
        self.draw = draw
        self.rules = list(rules)

    # -- helpers -----------------------------------------------------------

    def pick(self, options: Sequence[Any]) -> Any:
        """One of ``options``; shrinks towards the first."""
        return options[self.draw(_below(len(options)))]

    def chance(self, n: int = 2) -> bool:
        """True with probability 1/n (False shrinks towards the simpler choice)."""
        return bool(self.draw(_below(n)) == n - 1)

    def named(self, env: Env) -> list[tuple[A.Expr, Type]]:
        """Every name in scope, and every field of a named record, with its type."""
        out: list[tuple[A.Expr, Type]] = [(_name("today"), DATE)]
        out += [(_name(n), t) for n, t in FACT_TYPES.items()]
        out += [(_name(n), t) for n, t in PARAM_TYPES.items()]
        out += [(_name(n), t) for n, t in self.rules]
        out += [(_name(n), t) for n, t in env]
        fields: list[tuple[A.Expr, Type]] = []
        for node, t in out:
            if isinstance(t, RecordType):
                fields += [(A.Member(node, f), ft) for f, ft in t.fields]
            elif t == PERIOD and isinstance(node, A.Name) and node.id in dict(env):
                fields += [(A.Member(node, "from"), DATE), (A.Member(node, "to"), DATE)]
        return out + fields

    def fresh_var(self, elem: Type, env: Env) -> str:
        prefix = {R_OFFER: "o", R_BEN: "b", R_JOB: "j", PERIOD: "p"}.get(elem, "x")
        return f"{prefix}{len(env) + 1}"

    def call(self, func: str, given: Sequence[tuple[str, A.Expr | None]]) -> A.Call:
        """A call with a positional prefix and the rest as keywords; ``None`` omits an
        optional argument."""
        npos = self.draw(_below(len(given) + 1))
        args: list[A.Expr] = []
        kwargs: list[A.Keyword] = []
        gap = False
        for i, (name, value) in enumerate(given):
            if value is None:
                gap = True
                continue
            if i < npos and not gap:
                args.append(value)
            else:
                kwargs.append(A.Keyword(name, value))
        if len(kwargs) > 1:
            kwargs = list(self.draw(st.permutations(kwargs)))
        return A.Call(func, tuple(args), tuple(kwargs))

    def optional(self, make: Callable[[], A.Expr]) -> A.Expr | None:
        return make() if self.chance() else None

    # -- the entry point ---------------------------------------------------

    def expr(self, t: Type, depth: int, env: Env = (), exp: bool = False) -> A.Expr:
        """An expression of type ``t``. ``exp``: the checker expects ``t`` here, so a bare
        choice value (``jobparat``) is allowed where ``t`` is a choice."""
        if depth > 0 and self.draw(_below(3)) > 0:  # shrinks towards a leaf
            builders = self.composites(t, depth - 1, env, exp)
            if builders:
                return self.pick(builders)()
        return self.leaf(t, env, exp)

    # -- leaves --------------------------------------------------------------

    def literal(self, t: Type) -> A.Expr:
        d = self.draw
        if t == BOOL:
            return A.BoolLit(self.chance())
        if t == INT:
            return A.NumberLit(_LONG_INT if self.chance(12) else d(_between(0, 40)))
        if t == DECIMAL:
            return A.NumberLit(Decimal(self.pick(_DECIMALS)))
        if t == MONEY:
            return A.MoneyLit(Decimal(self.pick(_AMOUNTS)), "DKK")
        if t == DATE:
            return A.DateLit(_edge_date(d, d(_LITERAL_DATES)))
        if t == HOURS:
            amount = d(_between(0, 40)) if self.chance() else Decimal(self.pick(_DECIMALS))
            return A.QuantityLit(amount, "hours")
        if t == TEXT:
            return A.TextLit(d(_LITERAL_TEXTS))
        if t == MONTHS:
            return A.QuantityLit(d(_between(0, 30)), self.pick(("years", "months")))
        if t == DAYS:
            if self.chance(3):  # a day or two: periods that touch, or a one-day break
                return A.QuantityLit(d(_between(0, 3)), "days")
            return A.QuantityLit(d(_between(0, 400)), self.pick(("days", "weeks")))
        raise AssertionError(f"no literal of {t}")

    def leaf(self, t: Type, env: Env, exp: bool) -> A.Expr:
        options: list[Callable[[], A.Expr]] = []
        if t in _LITERAL_TYPES:
            options.append(lambda: self.literal(t))
        names = [node for node, nt in self.named(env) if nt == t]
        if names:
            options.append(lambda: self.pick(names))
        if isinstance(t, EnumType):
            if exp:
                options.append(lambda: _name(self.pick(t.values)))
                options.append(lambda: A.TextLit(self.pick(t.values)))
            if not names:
                source = ListType(R_OFFER if t == E_OFFER else R_BEN)
                options.append(lambda: self.latest_kind(t, source, env))
        elif t == SPAN:
            options.append(lambda: A.Call("length", (self.leaf(PERIOD, env, False),)))
            options.append(lambda: A.Call("spell_length", (self.periods(0, env),)))
            options.append(lambda: A.Call("spell_length", (self.periods(0, env), self.expr(
                DATE, 0, env), self.gap(0, env))))
        elif isinstance(t, ListType) and t.elem == PERIOD:
            options.append(lambda: A.Call("spells", (self.periods(0, env),)))
            options.append(lambda: A.Call("spells", (self.periods(0, env), self.gap(0, env))))
        if isinstance(t, (ListType, SetType)) and t.elem in (*_LITERAL_ELEMS, *_ENUMS):
            options.append(lambda: self.collection(t, 0, env, exp))
        assert options, f"no leaf of {t}"
        return self.pick(options)()

    def latest_kind(self, t: EnumType, source: Type, env: Env) -> A.Expr:
        assert isinstance(source, ListType)
        var = self.fresh_var(source.elem, env)
        default = _name(self.pick(t.values))
        return A.Aggregate("latest", A.Member(_name(var), "kind"), var, self.leaf(source, env,
                           False), None, default)

    # -- composites ------------------------------------------------------------

    def composites(self, t: Type, d: int, env: Env, exp: bool) -> list[Callable[[], A.Expr]]:
        e = self.expr
        out: list[Callable[[], A.Expr]] = []

        def add(*builders: Callable[[], A.Expr]) -> None:
            out.extend(builders)

        def if_() -> A.Expr:
            a, b = self.pick(_join_pairs(t))
            return A.If(e(BOOL, d, env), e(a, d, env, exp), e(b, d, env, exp))

        add(if_, lambda: self.aggregate(t, d, env, exp))
        if t == BOOL:
            add(lambda: A.Unary("not", e(BOOL, d, env)),
                lambda: A.Binary(self.pick(("and", "or")), e(BOOL, d, env), e(BOOL, d, env)),
                lambda: self.comparison(d, env),
                lambda: self.membership(d, env),
                lambda: self.call("covers", [("history", self.periods(d, env)),
                                             ("on", self.optional(lambda: e(DATE, d, env)))]),
                lambda: self.call(self.pick(("covers_all", "overlaps")),
                                  [("history", self.periods(d, env)),
                                   ("window", e(PERIOD, d, env))]),
                lambda: self.quantifier(self.pick(("any", "all")), d, env))
        elif t == INT:
            add(lambda: A.Unary("-", e(INT, d, env)),
                lambda: A.Binary(self.pick("+-*"), e(INT, d, env), e(INT, d, env)),
                lambda: self.call("age", [("birth", e(DATE, d, env)),
                                          ("on", self.optional(lambda: e(DATE, d, env)))]),
                lambda: self.call("day_count", [("period", self.period_like(d, env))]),
                lambda: self.call("overlap_days", [("history", self.periods(d, env)),
                                                   ("window", e(PERIOD, d, env))]),
                lambda: self.call(self.pick(("year", "month")), [("date", e(DATE, d, env))]),
                lambda: self.call("abs", [("x", e(INT, d, env))]),
                lambda: self.extreme(t, d, env),
                lambda: self.quantifier("count", d, env))
        elif t == DECIMAL:
            def arithmetic() -> A.Expr:
                op = self.pick("+-*/")
                pairs = [(INT, INT), *_join_pairs(DECIMAL)[1:]] if op == "/" else \
                    _join_pairs(DECIMAL)
                a, b = self.pick(pairs)
                return A.Binary(op, e(a, d, env), e(b, d, env))
            add(arithmetic,
                lambda: A.Unary("-", e(DECIMAL, d, env)),
                lambda: A.Binary("/", e(MONEY, d, env), e(MONEY, d, env)),
                lambda: A.Binary("/", e(HOURS, d, env), e(HOURS, d, env)),
                lambda: self.call("abs", [("x", e(DECIMAL, d, env))]),
                lambda: self.extreme(t, d, env))
        elif t in (MONEY, HOURS):
            add(lambda: A.Unary("-", e(t, d, env)),
                lambda: A.Binary(self.pick("+-"), e(t, d, env), e(t, d, env)),
                lambda: A.Binary("*", e(t, d, env), self.number(d, env)),
                lambda: A.Binary("*", self.number(d, env), e(t, d, env)),
                lambda: A.Binary("/", e(t, d, env), self.number(d, env)),
                lambda: self.call("abs", [("x", e(t, d, env))]),
                lambda: self.extreme(t, d, env))
        elif t == DATE:
            add(lambda: A.Binary(self.pick("+-"), e(DATE, d, env),
                                 e(self.pick(_DURATIONS), d, env)),
                lambda: A.Binary("+", e(self.pick(_DURATIONS), d, env), e(DATE, d, env)),
                lambda: A.Member(e(PERIOD, d, env), self.pick(("from", "to"))),
                lambda: self.call(self.pick(("start_of_month", "end_of_month")),
                                  [("date", e(DATE, d, env))]),
                lambda: self.extreme(t, d, env))
        elif t == TEXT:
            add(lambda: A.Binary("+", e(TEXT, d, env), e(TEXT, d, env)))
        elif t == PERIOD:
            add(lambda: self.call("period", [("start", e(DATE, d, env)),
                                             ("end", e(DATE, d, env))]),
                lambda: self.window(d, env))
        elif isinstance(t, DurationType):
            add(*self.duration_composites(t, d, env))
        elif isinstance(t, (ListType, SetType)):
            if t.elem in (*_LITERAL_ELEMS, *_ENUMS):
                add(lambda: self.collection(t, d, env, exp))
            if isinstance(t, ListType):
                add(lambda: self.select(t, d, env))
                if t.elem == PERIOD:
                    add(lambda: self.call("spells", [
                        ("history", self.periods(d, env)),
                        ("gap", self.optional(lambda: self.gap(d, env)))]))
        return out

    def duration_composites(self, t: DurationType, d: int,
                            env: Env) -> list[Callable[[], A.Expr]]:
        e = self.expr
        out: list[Callable[[], A.Expr]] = []
        if t != SPAN:
            # `+`/`-` of durations: months+months -> months, days|span+days|span -> days,
            # anything mixed -> calendar.
            if t == MONTHS:
                pairs = [(MONTHS, MONTHS)]
            elif t == DAYS:
                pairs = [(a, b) for a in (DAYS, SPAN) for b in (DAYS, SPAN)]
            else:
                pairs = [(a, b) for a in _DURATIONS for b in _DURATIONS
                         if CALENDAR in (a, b) or (MONTHS in (a, b) and a != b)]
            out.append(lambda: A.Binary(self.pick("+-"), *(e(x, d, env) for x in
                                                            self.pick(pairs))))
            negated = (t, SPAN) if t == DAYS else (t,)
            out.append(lambda: A.Unary("-", e(self.pick(negated), d, env)))
            out.append(lambda: A.Binary("*", e(self.pick(negated), d, env), e(INT, d, env)))
            out.append(lambda: A.Binary("*", e(INT, d, env), e(self.pick(negated), d, env)))
        if t == DAYS:
            out.append(lambda: A.Binary("-", e(DATE, d, env), e(DATE, d, env)))
        if t in _ORDERED:
            out.append(lambda: self.extreme(t, d, env))
        if t == SPAN:
            out.append(lambda: self.call("length", [("period", self.period_like(d, env))]))
            out.append(lambda: self.call("spell_length", [
                ("history", self.periods(d, env)),
                ("on", self.optional(lambda: e(DATE, d, env))),
                ("gap", self.optional(lambda: self.gap(d, env)))]))
        return out

    # -- pieces ------------------------------------------------------------------

    def number(self, d: int, env: Env) -> A.Expr:
        return self.expr(self.pick((INT, DECIMAL)), d, env)

    def periods(self, d: int, env: Env) -> A.Expr:
        """An argument the history functions accept."""
        options: list[Type] = [ListType(R_OFFER), ListType(R_BEN), ListType(PERIOD), PERIOD]
        options += [t for _, t in env if isinstance(t, RecordType) and t.history]
        return self.expr(self.pick(options), d, env)

    def period_like(self, d: int, env: Env) -> A.Expr:
        options: list[Type] = [PERIOD]
        options += [t for _, t in env if isinstance(t, RecordType) and t.history]
        return self.expr(self.pick(options), d, env)

    def probe(self, t: Type, d: int, env: Env = ()) -> A.Expr:
        """A ``t`` (bool, int or date) that reads each spell of a history one by one (its
        first and last day, its length, the one holding a date) through a gap, mostly one
        at the edges (:meth:`gap`): where a spell's own end matters, not only the days the
        spells cover, as when a gap below zero starts a spell inside the one before it."""
        e = self.expr
        history = _name(self.pick(("benefits", "offers"))) if self.chance(4) == 0 else \
            self.periods(d, env)
        gap = self.optional(lambda: self.gap(d, env)) if self.chance(4) else \
            self.gap(d, env, edge=True)
        source = self.call("spells", [("history", history), ("gap", gap)])
        var = self.fresh_var(PERIOD, env)
        inner = (*env, (var, PERIOD))
        spell = _name(var)

        def edge() -> A.Expr:  # a spell's end or start against a date, or its length
            if self.chance(3):
                return A.Binary(self.pick(("<", "<=", ">", ">=", "==")),
                                self.call("length", [("period", spell)]),
                                e(self.pick((MONTHS, DAYS, SPAN)), d, inner))
            return A.Binary(self.pick(("<", "<=", ">", ">=", "==", "!=")),
                            A.Member(spell, self.pick(("from", "to"))), e(DATE, d, inner))

        def where() -> A.Expr | None:  # none half the time: every spell counts
            kind = self.draw(_below(6))
            return None if kind < 3 else e(BOOL, d, inner) if kind == 3 else edge()

        def days() -> A.Expr:  # every spell's days (an error where one is running)
            return A.Aggregate("sum", self.call("day_count", [("period", spell)]), var,
                               source, where(), None)

        if t == INT:
            return A.Quantifier("count", var, source, where()) if self.chance(3) else days()
        if t == DATE:
            return A.Aggregate(self.pick(("min", "latest", "max")),
                               A.Member(spell, self.pick(("to", "to", "from"))), var, source,
                               where(), e(DATE, d, env))
        assert t == BOOL
        kind = self.draw(_below(4))
        if kind == 0:
            return A.Quantifier(self.pick(("any", "all")), var, source, where())
        if kind == 1:
            count = days() if self.chance(3) else A.Quantifier("count", var, source, where())
            return A.Binary(self.pick(("<", "<=", ">", ">=", "==", "!=")), count,
                            e(INT, d, env))
        if kind == 2:
            return A.Binary(self.pick(("<", "<=", ">", ">=", "==", "!=")),
                            self.probe(DATE, d, env), e(DATE, d, env))
        length = self.call("spell_length", [
            ("history", history), ("on", self.optional(lambda: e(DATE, d, env))),
            ("gap", gap)])
        return A.Binary(self.pick(("<", "<=", ">", ">=", "==")), length,
                        e(self.pick((MONTHS, DAYS, SPAN)), d, env))

    def gap(self, d: int, env: Env, edge: bool = False) -> A.Expr:
        """A gap for ``spells``/``spell_length``: half the time (always with ``edge``) one
        at the edges, where a spell's end and the next period's start meet: zero, a day,
        below zero (a spell that starts inside the one before it), fixed or per citizen
        (``pause - 5 days``), in days or months."""
        if not edge and self.chance():
            return self.expr(self.pick(_CALENDAR_DURATIONS), d, env)
        k = A.QuantityLit(self.draw(_between(0, 6)), "days")
        month = A.QuantityLit(self.draw(_between(0, 2)), "months")
        if edge and not self.chance(3):  # below zero: the last days of a spell
            # (counted down: Hypothesis draws small numbers most, and a gap of -1 or -2
            # days starts no spell inside another that ends before it)
            days = A.QuantityLit(6 - self.draw(_below(4)), "days")
            return self.pick((lambda: A.Unary("-", days),
                              lambda: A.Binary("-", _name("pause"), days)))()
        return self.pick((
            lambda: k,
            lambda: A.Unary("-", k),
            lambda: A.Binary("-", _name(self.pick(("pause", "grace"))), k),
            lambda: A.Binary("-", _name("pause"), month),
            lambda: A.Unary("-", month),
            lambda: A.Binary("-", month, k),
        ))()

    def window(self, d: int, env: Env) -> A.Expr:
        func, anchor = self.pick((("following", "start"), ("preceding", "end")))
        return self.call(func, [(anchor, self.expr(DATE, d, env)),
                                ("length", self.expr(self.pick(_CALENDAR_DURATIONS), d, env))])

    def collection(self, t: ListType | SetType, d: int, env: Env, exp: bool) -> A.Expr:
        n = self.draw(_between(1, 3))
        types = [t.elem] + [self.pick((t.elem, *_sub_types(t.elem))) for _ in range(n - 1)]
        types = list(self.draw(st.permutations(types)))
        items = tuple(self.expr(x, d, env, exp) for x in types)
        return A.ListLit(items) if isinstance(t, ListType) else A.SetLit(items)

    def extreme(self, t: Type, d: int, env: Env) -> A.Expr:
        """``min``/``max`` of 2 to 4 arguments whose common type is ``t``."""
        n = self.draw(_between(2, 4))
        types = [t] + [self.pick((t, *(_sub_types(t) if t == DECIMAL else ())))
                       for _ in range(n - 1)]
        types = list(self.draw(st.permutations(types)))
        args = tuple(self.expr(x, d, env) for x in types)
        func = self.pick(("min", "max"))
        if n == 2 and self.chance(4):
            return A.Call(func, (args[0],), (A.Keyword("b", args[1]),))
        return A.Call(func, args)

    def comparison(self, d: int, env: Env) -> A.Expr:
        e = self.expr
        kind = self.pick(("number", "ordered", "equality", "choice", "duration"))
        if kind == "number":
            return A.Binary(self.pick(("==", "!=", "<", "<=", ">", ">=")),
                            self.number(d, env), self.number(d, env))
        if kind == "ordered":
            t = self.pick((MONEY, DATE, HOURS))
            return A.Binary(self.pick(("==", "!=", "<", "<=", ">", ">=")),
                            e(t, d, env), e(t, d, env, True))
        if kind == "equality":
            t = self.pick((TEXT, BOOL, PERIOD))
            return A.Binary(self.pick(("==", "!=")), e(t, d, env), e(t, d, env, True))
        if kind == "choice":
            t = self.pick(_ENUMS)
            op = self.pick(("==", "!="))
            if self.chance(4):  # a bare value on the left, given meaning by the right
                bare = self.pick((_name, A.TextLit))(self.pick(t.values))
                return A.Binary(op, bare, e(t, d, env))
            return A.Binary(op, e(t, d, env), e(t, d, env, True))
        a = self.pick(_DURATIONS)
        b = self.pick(_DURATIONS if a == SPAN else (a, SPAN) if a != CALENDAR else (SPAN,))
        return A.Binary(self.pick(("==", "!=", "<", "<=", ">", ">=")), e(a, d, env),
                        e(b, d, env))

    def membership(self, d: int, env: Env) -> A.Expr:
        e = self.expr
        op = self.pick(("in", "not in"))
        kind = self.pick(("choice", "element", "date"))
        if kind == "date":
            return A.Binary(op, e(DATE, d, env), e(PERIOD, d, env))
        if kind == "choice":
            t = self.pick(_ENUMS)
            coll: Type = self.pick((SetType(t), ListType(t)))
            return A.Binary(op, e(t, d, env), e(coll, d, env, True))
        elem = self.pick((INT, DECIMAL, DATE, TEXT, MONEY, HOURS, PERIOD, MONTHS, BOOL, DAYS,
                          SPAN))
        if elem in (INT, DECIMAL):
            coll = self.pick((ListType(INT), ListType(DECIMAL), SetType(INT), SetType(DECIMAL)))
        elif elem in (DATE, TEXT, MONEY, BOOL):
            coll = self.pick((ListType(elem), SetType(elem)))
        elif elem in (DAYS, SPAN):  # a length among durations in days
            coll = self.pick((ListType(DAYS), ListType(SPAN)))
        else:
            coll = ListType(elem)
        return A.Binary(op, e(elem, d, env), e(coll, d, env))

    def quantifier(self, kind: str, d: int, env: Env) -> A.Expr:
        elem = self.pick(_QUANTIFIER_ELEMS)
        source = self.expr(ListType(elem), d, env)
        var = self.fresh_var(elem, env)
        inner = (*env, (var, elem))
        where = self.optional(lambda: self.expr(BOOL, d, inner))
        return A.Quantifier(kind, var, source, where)

    def select(self, t: ListType, d: int, env: Env) -> A.Expr:
        source = self.expr(t, d, env)
        var = self.fresh_var(t.elem, env)
        inner = (*env, (var, t.elem))
        where = self.optional(lambda: self.expr(BOOL, d, inner))
        return A.Quantifier("select", var, source, where)

    def aggregate(self, t: Type, d: int, env: Env, exp: bool) -> A.Expr:
        kinds = ["latest"]
        if t in _SUMMABLE:
            kinds.append("sum")
        if t in _ORDERED:
            kinds += ["min", "max"]
        kind = self.pick(kinds)
        if kind == "latest":
            source_type: Type = self.pick(_PERIOD_SOURCES)
        else:
            source_type = ListType(self.pick(_QUANTIFIER_ELEMS))
        assert isinstance(source_type, ListType)
        source = self.expr(source_type, d, env)
        var = self.fresh_var(source_type.elem, env)
        inner = (*env, (var, source_type.elem))
        value_type, default_type = self.pick(_join_pairs(t))
        if kind == "sum":
            if t == DAYS and value_type == DAYS and self.chance():
                value_type = SPAN  # a sum of lengths is a duration in days
            default: A.Expr | None = self.optional(lambda: self.expr(default_type, d, env))
            if default is None and value_type != t and not (t == DAYS and value_type == SPAN):
                value_type = t
        else:
            default = self.expr(default_type, d, env, True)
        value = self.expr(value_type, d, inner)
        where = self.optional(lambda: self.expr(BOOL, d, inner))
        return A.Aggregate(kind, value, var, source, where, default)


# -- policies --------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedPolicy:
    """A policy's YAML text and what the generator meant by each rule."""

    text: str
    #: rule name -> (AST, the type the checker must give it)
    rules: dict[str, tuple[A.Expr, Type]]
    month_end: str

    def describe(self) -> str:
        return "\n".join(f"{n}: {to_text(x)}    # {t}" for n, (x, t) in self.rules.items())

    def dates(self) -> tuple[date, ...]:
        """The dates the policy names (its literals, the parameter ``cutoff``): citizens
        whose periods start, end or are decided on or beside them meet its windows' and
        comparisons' edges."""
        found = {n.value for x, _ in self.rules.values() for n in A.walk(x)
                 if isinstance(n, A.DateLit)}
        return (date(2015, 6, 30), *sorted(found))


def _criteria(draw: Draw, bools: list[str], indent: str) -> list[str]:
    """A criteria tree over the bool rules: all/any lists, sometimes a `not`."""
    combinator = draw(st.sampled_from(("all", "any")))
    lines = [f"{indent}{combinator}:"]
    for i, rule in enumerate(bools):
        entry = f"{{id: k{i}, title: Kriterium {i}, when: {rule}}}"
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"{indent}  - not: {entry}")
        else:
            lines.append(f"{indent}  - {entry}")
    return lines


@st.composite
def policies(draw: Draw, min_rules: int = 3, max_rules: int = 7,
             max_depth: int = 3, probes: bool = False) -> GeneratedPolicy:
    """A policy of generated rules (each may use the earlier ones) and one target group
    whose criteria are the bool rules. With ``probes``, every rule is a bool, int or date
    that reads spells one by one (:meth:`ExprGen.probe`)."""
    n = draw(st.integers(min_rules, max_rules))
    rules: dict[str, tuple[A.Expr, Type]] = {}
    for i in range(n):
        t = BOOL if i == 0 else draw(st.sampled_from((INT, DATE, INT, DATE, BOOL) if probes
                                                      else RULE_TYPES))
        gen = ExprGen(draw, [(k, v[1]) for k, v in rules.items()])
        depth = draw(st.integers(0, max_depth))
        # a third of the criteria and some ints and dates read spells one by one
        if probes or (t in (BOOL, INT, DATE) and gen.chance(3 if i == 0 else 6)):
            rules[f"r{i}"] = (gen.probe(t, min(depth, 1)), t)
        else:
            rules[f"r{i}"] = (gen.expr(t, depth), t)
    bools = [k for k, (_, t) in rules.items() if t == BOOL]
    # Rules after the criteria may read the target group itself.
    for i in range(n, n + draw(st.integers(0, 2))):
        t = draw(st.sampled_from(RULE_TYPES))
        gen = ExprGen(draw, [("g", BOOL), *((k, v[1]) for k, v in rules.items())])
        rules[f"r{i}"] = (gen.expr(t, draw(st.integers(1, max_depth))), t)
    month_end = draw(st.sampled_from(("clamp", "roll")))
    lines = [
        "policy:",
        "  id: generated",
        "  title: Generated",
        "  authority: Tests",
        '  valid: {from: "1900-01-01", to: "2100-12-31"}',
        f"  month_end: {month_end}",
        "  rounding: {unit: 0.01, mode: half_up}",
        "",
        SCHEMA_YAML,
        "rules:",
        *(f"  {k}: {json.dumps(to_text(x), ensure_ascii=False)}" for k, (x, _) in rules.items()),
        "",
        "target_groups:",
        "  g:",
        "    title: Gruppe",
        "    criteria:",
        *_criteria(draw, bools, "      "),
    ]
    return GeneratedPolicy("\n".join(lines) + "\n", rules, month_end)


# -- facts -------------------------------------------------------------------------------

_FIRST = date(1900, 1, 1)
_LAST = date(2100, 12, 31)


def _clip(d: date) -> date:
    return min(max(d, _FIRST), _LAST)


def _plus_months(d: date, months: int) -> date:
    """``d`` moved by whole months, the day clamped to the month's last."""
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    if not _FIRST.year <= y <= _LAST.year:
        return _clip(date(max(min(y, _LAST.year), _FIRST.year), m + 1, 1))
    return date(y, m + 1, min(d.day, _month_days(y, m + 1)))


def _month_days(year: int, month: int) -> int:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def _edge_date(draw: Draw, d: date) -> date:
    """Sometimes ``d`` moved to where the calendar has edges: its month's last day, the
    first, or 29 February of a leap year near it."""
    kind = draw(_below(6))
    if kind == 1:
        return date(d.year, d.month, _month_days(d.year, d.month))
    if kind == 2:
        return d.replace(day=1)
    if kind == 3:
        year = d.year - d.year % 4
        year = year if year % 100 or year % 400 == 0 else year + 4  # not 1900 nor 2100
        return _clip(date(year, 2, 29)) if year <= _LAST.year else d
    return d


_BASES = st.dates(date(1920, 1, 1), date(2080, 12, 31))
#: Facts hold a decimal of more than 18 places rarely (the ratio of one citizen in 40): a
#: batch with one is an Arrow table of wider decimals, which is decided per record as a
#: whole, and would hide every other citizen of its batch from the columnar kernels.
_SHORT_DECIMALS = tuple(x for x in _DECIMALS if len(x) <= 20)
_FACT_DECIMALS = st.one_of(st.sampled_from(_SHORT_DECIMALS).map(Decimal),
                           st.decimals(-1000, 1000, places=2, allow_nan=False,
                                       allow_infinity=False))
_FACT_MONEY = st.decimals(-5000, 5000, places=2, allow_nan=False,
                          allow_infinity=False).map(lambda x: Money(x, "DKK"))
_FACT_HOURS = st.one_of(st.integers(0, 60), st.sampled_from(_SHORT_DECIMALS).map(Decimal))
_FACT_TEXTS = st.text(alphabet="abæ \"", max_size=3)

#: How a period of a history is drawn against one drawn before it, ``[s, e]``: where the
#: columnar kernels (sorting, merging, running ends) and the per-record loop can part.
#: ``tail``: starts in the other's last days (or weeks), where a gap below zero (``-3 days``,
#: ``pause - 1 month``) starts a spell inside the one before it.
_SHAPES = ("free", "free", "same", "inside", "nested", "same_start", "same_end", "touch",
           "adjacent", "one_day", "near_after", "before", "before_adjacent", "around",
           "tail", "tail", "tail", "tail", "tail")


@st.composite
def facts(draw: Draw, anchors: Sequence[date] = ()) -> tuple[dict[str, Any], date]:
    """Valid facts in their canonical form, and a decision date; dates cluster around one
    base date so periods overlap and touch. The base is often one of ``anchors`` (the
    decision date of the other citizens, the policy's date literals), and the histories
    lean to the edges: periods duplicated, nested, starting inside an earlier one, touching,
    one day apart, out of order, running; ends at month ends, on 29 February, a whole number
    of months long; a decision date on or next to a period's first or last day."""
    base = draw(st.sampled_from(anchors)) if anchors and draw(_below(3)) else draw(_BASES)
    base = _edge_date(draw, base)
    pool = [base, *anchors]  # dates the others line up with

    def near(spread: int = 2500) -> date:
        if draw(_below(3)) == 0:  # on, beside or whole months from an edge
            edge = draw(st.sampled_from(pool))
            if draw(_below(3)) == 0:
                return _clip(_plus_months(edge, draw(_between(-24, 24))))
            return _clip(edge + timedelta(days=draw(_between(-1, 1))))
        return _clip(base + timedelta(days=draw(_between(-spread, spread))))

    def end_after(start: date) -> date | None:
        kind = draw(_below(8))
        if kind <= 1:
            return None
        if kind == 2:  # one day
            return start
        if kind == 3:  # whole months (or years) long
            return _clip(max(start, _plus_months(start, draw(_between(1, 36)))
                             - timedelta(days=1)))
        if kind == 4:  # to a month's end
            end = _clip(start + timedelta(days=draw(_between(0, 400))))
            return date(end.year, end.month, _month_days(end.year, end.month))
        return _clip(start + timedelta(days=draw(_between(0, 1500))))

    def day(d: date, days: int) -> date:
        return _clip(d + timedelta(days=days))

    def shaped(earlier: list[tuple[date, date | None]]) -> tuple[date, date | None]:
        shape = draw(st.sampled_from(_SHAPES)) if earlier else "free"
        if shape == "free":
            start = near()
            return start, end_after(start)
        s, e = earlier[draw(_below(len(earlier)))]
        last = e if e is not None else day(s, draw(_between(0, 60)))
        length = (last - s).days
        if shape == "same":
            return s, e
        if shape == "inside":  # starts inside, ends anywhere after
            start = day(s, draw(_between(0, length)))
            return start, end_after(start)
        if shape == "nested":  # inside, ending on or before the other's end
            start = day(s, draw(_between(0, length)))
            return start, day(start, draw(_between(0, (last - start).days)))
        if shape == "same_start":
            return s, end_after(s)
        if shape == "same_end":
            return day(s, -draw(_between(-length, 40))), e
        if shape == "around":  # starts before, ends after
            start = day(s, -draw(_between(1, 40)))
            return start, (None if e is None or draw(_below(4)) == 0
                           else day(last, draw(_between(1, 40))))
        if e is None:  # the rest need an end
            start = near()
            return start, end_after(start)
        if shape == "tail":  # starts in the last days, ends before, on or after the end
            start = day(e, -min(length, draw(_between(1, 5) if draw(_below(4)) else
                                             _between(0, 40))))
            if start < e and draw(_below(2)):  # nested: ends before the other's end
                return start, day(start, draw(_between(0, (e - start).days - 1)))
            return start, (e, end_after(start))[draw(_below(2))]
        if shape == "touch":  # starts on the other's last day
            return e, end_after(e)
        if shape in ("adjacent", "one_day", "near_after"):
            start = day(e, {"adjacent": 1, "one_day": 2}.get(shape) or draw(_between(3, 8)))
            return start, end_after(start)
        # before: ends the day before the other starts, or on its first day, or earlier
        end = day(s, -1 if shape == "before_adjacent" else -draw(_between(0, 3)))
        return day(end, -draw(_between(0, 400))), end

    def history(most: int, **fields: st.SearchStrategy[Any]) -> list[dict[str, Any]]:
        spans: list[tuple[date, date | None]] = []
        for _ in range(draw(_between(0, most))):
            spans.append(shaped(spans))
            pool.extend(d for d in spans[-1] if d is not None)
        if len(spans) > 1 and draw(_below(2)):
            spans = list(draw(st.permutations(spans)))
        return [{**{k: draw(v) for k, v in fields.items()}, "from": s, "to": e}
                for s, e in spans]

    def job() -> dict[str, Any]:
        start = near()
        return {"employer": draw(_FACT_TEXTS), "hours": draw(_FACT_HOURS),
                "active": draw(st.booleans()), "started": near(),
                "period": Period(start, end_after(start))}

    def pause() -> Duration:
        kind = draw(_below(4))
        if kind == 0:  # a few days, a gap below zero once a few are taken off
            return Duration(0, draw(_between(0, 6)))
        if kind == 1:
            return Duration(draw(_between(0, 3)), 0)
        return Duration(draw(_between(0, 30)), draw(_between(0, 60)))

    offers = history(4, kind=st.sampled_from(E_OFFER.values), weekly_hours=_FACT_HOURS,
                     pay=_FACT_MONEY)
    benefits = history(5, kind=st.sampled_from(E_BEN.values))
    stay_start = near()
    values = {
        "flag": draw(st.booleans()),
        "count_n": draw(_between(-50, 200)),
        "ratio": Decimal(_DECIMALS[-1]) if draw(_below(40)) == 39 else draw(_FACT_DECIMALS),
        "income": draw(_FACT_MONEY),
        "birth_date": _edge_date(draw, near(30000)),
        "start_date": near(),
        "weekly": draw(_FACT_HOURS),
        "note": draw(_FACT_TEXTS),
        "visitation": E_VIS.values[draw(_below(3))],
        "pause": pause(),
        "stay": Period(stay_start, end_after(stay_start)),
        "sag": {"opened": near(), "level": draw(_between(0, 5))},
        "offers": offers,
        "benefits": benefits,
        "jobs": [job() for _ in range(draw(_between(0, 3)))],
    }
    return values, near(1500)
