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
            return A.DateLit(d(_LITERAL_DATES))
        if t == HOURS:
            amount = d(_between(0, 40)) if self.chance() else Decimal(self.pick(_DECIMALS))
            return A.QuantityLit(amount, "hours")
        if t == TEXT:
            return A.TextLit(d(_LITERAL_TEXTS))
        if t == MONTHS:
            return A.QuantityLit(d(_between(0, 30)), self.pick(("years", "months")))
        if t == DAYS:
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
        elif isinstance(t, ListType) and t.elem == PERIOD:
            options.append(lambda: A.Call("spells", (self.periods(0, env),)))
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
                        ("gap", self.optional(lambda: e(self.pick(_CALENDAR_DURATIONS), d,
                                                        env)))]))
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
                ("gap", self.optional(lambda: e(self.pick(_CALENDAR_DURATIONS), d, env)))]))
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
             max_depth: int = 3) -> GeneratedPolicy:
    """A policy of generated rules (each may use the earlier ones) and one target group
    whose criteria are the bool rules."""
    n = draw(st.integers(min_rules, max_rules))
    rules: dict[str, tuple[A.Expr, Type]] = {}
    for i in range(n):
        t = BOOL if i == 0 else draw(st.sampled_from(RULE_TYPES))
        gen = ExprGen(draw, [(k, v[1]) for k, v in rules.items()])
        rules[f"r{i}"] = (gen.expr(t, draw(st.integers(0, max_depth))), t)
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


_BASES = st.dates(date(1920, 1, 1), date(2080, 12, 31))
_FACT_DECIMALS = st.one_of(st.sampled_from(_DECIMALS).map(Decimal),
                           st.decimals(-1000, 1000, places=2, allow_nan=False,
                                       allow_infinity=False))
_FACT_MONEY = st.decimals(-5000, 5000, places=2, allow_nan=False,
                          allow_infinity=False).map(lambda x: Money(x, "DKK"))
_FACT_HOURS = st.one_of(st.integers(0, 60), st.sampled_from(_DECIMALS).map(Decimal))
_FACT_TEXTS = st.text(alphabet="abæ \"", max_size=3)


@st.composite
def facts(draw: Draw) -> tuple[dict[str, Any], date]:
    """Valid facts in their canonical form, and a decision date; dates cluster around one
    base date so periods overlap and touch."""
    base = draw(_BASES)

    def near(spread: int = 2500) -> date:
        return _clip(base + timedelta(days=draw(_between(-spread, spread))))

    def end_after(start: date) -> date | None:
        if draw(_below(3)) == 0:
            return None
        return _clip(start + timedelta(days=draw(_between(0, 1500))))

    def history(most: int, **fields: st.SearchStrategy[Any]) -> list[dict[str, Any]]:
        out = []
        for _ in range(draw(_between(0, most))):
            record = {k: draw(v) for k, v in fields.items()}
            record["from"] = near()
            record["to"] = end_after(record["from"])
            out.append(record)
        return out

    def job() -> dict[str, Any]:
        start = near()
        return {"employer": draw(_FACT_TEXTS), "hours": draw(_FACT_HOURS),
                "active": draw(st.booleans()), "started": near(),
                "period": Period(start, end_after(start))}

    stay_start = near()
    values = {
        "flag": draw(st.booleans()),
        "count_n": draw(_between(-50, 200)),
        "ratio": draw(_FACT_DECIMALS),
        "income": draw(_FACT_MONEY),
        "birth_date": near(30000),
        "start_date": near(),
        "weekly": draw(_FACT_HOURS),
        "note": draw(_FACT_TEXTS),
        "visitation": E_VIS.values[draw(_below(3))],
        "pause": Duration(draw(_between(0, 30)), draw(_between(0, 60))),
        "stay": Period(stay_start, end_after(stay_start)),
        "sag": {"opened": near(), "level": draw(_between(0, 5))},
        "offers": history(4, kind=st.sampled_from(E_OFFER.values), weekly_hours=_FACT_HOURS,
                          pay=_FACT_MONEY),
        "benefits": history(4, kind=st.sampled_from(E_BEN.values)),
        "jobs": [job() for _ in range(draw(_between(0, 3)))],
    }
    return values, near(1500)
