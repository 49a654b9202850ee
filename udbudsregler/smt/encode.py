"""The encoder: one visitor over the lowered rule graph, one encoding per primitive.

:class:`Encoder` turns each named node of a lowered :class:`~udbudsregler.ir.graph.
RuleGraph` into a pair ``(value, ok)`` of solver terms for a symbolic citizen
(:class:`~udbudsregler.smt.domain.Citizen`) and a symbolic decision date: ``value`` is
what the node evaluates to, ``ok`` says that evaluating it does not fail (an
:class:`~udbudsregler.diagnostics.EvaluationError` of the interpreter: an age before the
birth date, a period that ends before it starts, a division by zero, a parameter with no
value yet). Evaluation order follows the interpreter: ``and``/``or``/``if``, ``any``/
``all`` and the routing's first fitting area stop early, so a failure after the point
where they stop does not count; a target group's criteria are three-valued
(:class:`~udbudsregler.ir.nodes.Criteria`).

Every :class:`~udbudsregler.ir.nodes.Prim` is encoded by the entry of :data:`ENCODINGS`
with its name, so the encoder covers the semantic table
(:data:`udbudsregler.semantics.prims.PRIMS`) entry by entry; an entry that is missing,
or a case an entry does not handle (a text, a duration given as a fact, month
arithmetic on an open end), raises :class:`~udbudsregler.smt.symbolic.NotEncodable` with
the place in the policy, and the analysis reports what depends on it as unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import z3

from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import Node, RuleGraph
from udbudsregler.semantics import ops
from udbudsregler.semantics.types import (
    BOOL,
    DATE,
    DECIMAL,
    HOURS,
    INT,
    EnumType,
    MoneyType,
    SetType,
    Type,
)
from udbudsregler.smt.calendar import MAX_SHIFT_YEARS, Calendar
from udbudsregler.smt.domain import Citizen
from udbudsregler.smt.symbolic import (
    NotEncodable,
    SDate,
    SDays,
    SList,
    SPeriod,
    SRecord,
    SSpan,
    merge,
)
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration

__all__ = ["ENCODINGS", "OPEN", "Encoder", "where_of"]

Term = Any
#: The day number of an open end (``ops.OPEN_END``, later than any date).
OPEN = ops.OPEN_END.toordinal()


def where_of(expr: I.Expr | None, node: Node | None = None) -> str | None:
    if expr is not None and expr.loc is not None and expr.loc.span is not None:
        return str(expr.loc.span)
    if node is not None and node.span is not None:
        return str(node.span)
    return None


def _real(x: Term) -> Term:
    return z3.ToReal(x) if z3.is_int(x) else x


def _arith(a: Term, b: Term) -> tuple[Term, Term]:
    if z3.is_int(a) and z3.is_real(b):
        return z3.ToReal(a), b
    if z3.is_real(a) and z3.is_int(b):
        return a, z3.ToReal(b)
    return a, b


class Encoder:
    """The terms of one policy's nodes for one symbolic citizen and decision date."""

    def __init__(self, graph: RuleGraph, citizen: Citizen, today: Term, calendar: Calendar,
                 month_end: str) -> None:
        assert graph.lowered, "the encoder reads the lowered rule graph"
        self.graph = graph
        self.citizen = citizen
        self.today = today
        self.cal = calendar
        self.rule = month_end
        self.memo: dict[str, tuple[Any, Term] | NotEncodable] = {}
        self.current: Node | None = None

    # -- named nodes ---------------------------------------------------------

    def node(self, name: str) -> tuple[Any, Term]:
        """``(value, ok)`` of a named node (raises NotEncodable)."""
        found = self.memo.get(name)
        if isinstance(found, NotEncodable):
            raise found
        if found is not None:
            return found
        node = self.graph.nodes[name]
        outer, self.current = self.current, node
        try:
            if node.kind == "parameter":
                result = self._parameter(node)
            elif node.kind == "target_group":
                assert node.expr is not None
                t, f = self.kleene(node.expr)
                result = (t, z3.Or(t, f))
            else:
                assert node.expr is not None
                result = self.expr(node.expr, {})
        except NotEncodable as error:
            if error.where is None:
                error.where = where_of(None, node)
            self.memo[name] = error
            raise
        finally:
            self.current = outer
        self.memo[name] = result
        return result

    def holds(self, name: str) -> Term:
        """The node is true (and evaluating it does not fail)."""
        value, ok = self.node(name)
        return z3.And(ok, value)

    def fails(self, name: str) -> Term:
        """The node is false (and evaluating it does not fail)."""
        value, ok = self.node(name)
        return z3.And(ok, z3.Not(value))

    def _parameter(self, node: Node) -> tuple[Any, Term]:
        value: Any = None
        ok: Term = z3.BoolVal(False)  # no value applies yet (UDB705)
        for dated in node.values:
            v, v_ok = self.expr(dated.expr, {})
            if dated.start is None:
                value, ok = v, v_ok
                continue
            applies = self.today >= dated.start.toordinal()
            value = v if value is None else merge(applies, v, value)
            ok = z3.If(applies, v_ok, ok)
        return value, ok

    def kleene(self, expr: I.Expr) -> tuple[Term, Term]:
        """A target group's criteria as (certainly true, certainly false)."""
        if isinstance(expr, I.NodeRef):
            value, ok = self.node(expr.name)
            return z3.And(ok, value), z3.And(ok, z3.Not(value))
        if not isinstance(expr, I.Criteria):
            raise NotEncodable("a target group that is not a tree of criteria",
                               where_of(expr, self.current))
        if expr.op == "not":
            t, f = self.kleene(expr.items[0])
            return f, t
        pairs = [self.kleene(item) for item in expr.items]
        if expr.op == "all":
            return z3.And([t for t, _ in pairs]), z3.Or([f for _, f in pairs])
        return z3.Or([t for t, _ in pairs]), z3.And([f for _, f in pairs])

    # -- expressions -----------------------------------------------------------

    def expr(self, e: I.Expr, env: dict[str, Any]) -> tuple[Any, Term]:
        try:
            return self._expr(e, env)
        except NotEncodable as error:
            if error.where is None:
                error.where = where_of(e, self.current)
            raise

    def _expr(self, e: I.Expr, env: dict[str, Any]) -> tuple[Any, Term]:
        match e:
            case I.Const():
                return self.const(e.value, e.type), z3.BoolVal(True)
            case I.FactRef(name=name):
                return self.citizen.fact(name), z3.BoolVal(True)
            case I.NodeRef(name=name):
                return self.node(name)
            case I.Today():
                return SDate(self.today), z3.BoolVal(True)
            case I.Var(name=name):
                return env[name], z3.BoolVal(True)
            case I.Field(obj=obj, name=name):
                value, ok = self.expr(obj, env)
                return self.field(value, name), ok
            case I.Prim():
                return self.prim(e, env)
            case I.Not(operand=operand):
                value, ok = self.expr(operand, env)
                return z3.Not(value), ok
            case I.And(left=left, right=right):
                a, a_ok = self.expr(left, env)
                b, b_ok = self.expr(right, env)
                return z3.And(a, b), z3.And(a_ok, z3.Or(z3.Not(a), b_ok))
            case I.Or(left=left, right=right):
                a, a_ok = self.expr(left, env)
                b, b_ok = self.expr(right, env)
                return z3.Or(a, b), z3.And(a_ok, z3.Or(a, b_ok))
            case I.If(cond=cond, then=then, orelse=orelse):
                c, c_ok = self.expr(cond, env)
                a, a_ok = self.expr(then, env)
                b, b_ok = self.expr(orelse, env)
                return merge(c, a, b), z3.And(c_ok, z3.If(c, a_ok, b_ok))
            case I.ListOf(items=items):
                parts = [self.expr(i, env) for i in items]
                return (SList(tuple((z3.BoolVal(True), v) for v, _ in parts)),
                        z3.And([ok for _, ok in parts]))
            case I.SetOf(items=items):
                parts = [self.expr(i, env) for i in items]
                return (SList(tuple((z3.BoolVal(True), v) for v, _ in parts)),
                        z3.And([ok for _, ok in parts]))
            case I.Loop():
                return self.loop(e, env)
            case I.FirstOf(cases=cases):
                chosen: Term = z3.IntVal(0)  # None: no case holds
                chosen_ok: Term = z3.BoolVal(True)
                for cond, result in reversed(cases):
                    c, c_ok = self.expr(cond, env)
                    v, v_ok = self.expr(result, env)
                    chosen = z3.If(c, v, chosen)
                    chosen_ok = z3.And(c_ok, z3.If(c, v_ok, chosen_ok))
                return chosen, chosen_ok
            case I.Criteria():
                t, f = self.kleene(e)
                return t, z3.Or(t, f)
        raise NotEncodable(f"the expression form {type(e).__name__} has no encoding")

    def const(self, value: Any, t: Type) -> Any:
        if value is None:
            return None
        if t == BOOL or type(value) is bool:
            return z3.BoolVal(bool(value))
        if isinstance(t, EnumType):
            return z3.IntVal(self.citizen.choices.id(str(value)))
        if type(value) is Money:
            return z3.RealVal(str(value.amount))
        if t == DATE or type(value) is date:
            return SDate(z3.IntVal(value.toordinal()))
        if type(value) is Duration or type(value) is timedelta or isinstance(value, frozenset):
            return value
        if t in (DECIMAL, HOURS) or isinstance(t, MoneyType) or type(value) is Decimal:
            return z3.RealVal(str(value))
        if t == INT and type(value) is int:
            return z3.IntVal(value)
        raise NotEncodable(f"constants of type {t.describe()} have no encoding")

    def field(self, value: Any, name: str) -> Any:
        if not isinstance(value, SRecord):
            raise NotEncodable(f"the field `{name}` of a value that is not a record")
        if value.period is not None and name == "from":
            return SDate(value.period.start)
        if value.period is not None and name in ("to", "period"):
            raise NotEncodable(f"`{name}` of a history record read as a plain field")
        return value.get(name)

    # -- loops -----------------------------------------------------------------------

    def loop(self, e: I.Loop, env: dict[str, Any]) -> tuple[Any, Term]:
        source, ok = self.expr(e.source, env)
        if not isinstance(source, SList):
            raise NotEncodable(f"`{e.kind}` over a value that is not a list")
        kind = e.kind
        rows: list[tuple[Term, Any, Term, Term, Any, Term]] = []
        for present, item in source.slots:
            inner = {**env, e.var: item}
            where, where_ok = (self.expr(e.where, inner) if e.where is not None
                               else (z3.BoolVal(True), z3.BoolVal(True)))
            value: Any = None
            value_ok: Term = z3.BoolVal(True)
            if e.value is not None:
                value, value_ok = self.expr(e.value, inner)
            rows.append((present, item, where, where_ok, value, value_ok))
        if kind in ("any", "all"):
            decisive = kind == "any"
            settled: Term = z3.BoolVal(False)  # an earlier element decided it
            for present, _, where, where_ok, _, _ in rows:
                reached = z3.And(present, z3.Not(settled))
                ok = z3.And(ok, z3.Implies(reached, where_ok))
                hit = z3.And(present, where if decisive else z3.Not(where))
                settled = z3.Or(settled, hit)
            return (settled if decisive else z3.Not(settled)), ok
        for present, _, _, where_ok, _, _ in rows:
            ok = z3.And(ok, z3.Implies(present, where_ok))
        passing = [(z3.And(present, where), item, value, value_ok)
                   for present, item, where, _, value, value_ok in rows]
        if kind == "count":
            return z3.Sum([z3.If(p, 1, 0) for p, _, _, _ in passing] or [z3.IntVal(0)]), ok
        if kind == "select":
            return SList(tuple((p, item) for p, item, _, _ in passing)), ok
        for p, _, _, value_ok in passing:
            ok = z3.And(ok, z3.Implies(p, value_ok))
        assert e.default is not None
        default, default_ok = self.expr(e.default, env)
        anyone = z3.Or([p for p, _, _, _ in passing] or [z3.BoolVal(False)])
        ok = z3.And(ok, z3.Or(anyone, default_ok))
        if kind == "sum":
            if not passing:
                return default, ok
            if not all(z3.is_expr(v) and z3.is_arith(v) for _, _, v, _ in passing):
                raise NotEncodable("`sum` of values that are not numbers or amounts")
            total = z3.Sum([z3.If(p, _real(v), 0) for p, _, v, _ in passing])
            if z3.is_int(default) and all(z3.is_int(v) for _, _, v, _ in passing):
                total = z3.Sum([z3.If(p, v, 0) for p, _, v, _ in passing])
            return merge(anyone, total, default), ok
        if kind in ("min", "max"):
            best: Any = None
            found: Term = z3.BoolVal(False)
            for p, _, v, _ in passing:
                if best is None:
                    best, found = v, p
                    continue
                better = self._less(best, v) if kind == "max" else self._less(v, best)
                take = z3.And(p, z3.Or(z3.Not(found), better))
                best = merge(take, v, best)
                found = z3.Or(found, p)
            if best is None:
                return default, ok
            return merge(found, best, default), ok
        raise NotEncodable(f"`{kind}` loops have no encoding")

    def _less(self, a: Any, b: Any) -> Term:
        if isinstance(a, SDate) and isinstance(b, SDate):
            return a.n < b.n
        if z3.is_expr(a) and z3.is_expr(b) and z3.is_arith(a):
            x, y = _arith(a, b)
            return x < y
        lt, _, _ = self.relation(a, b)
        return lt

    # -- primitives --------------------------------------------------------------------

    def prim(self, e: I.Prim, env: dict[str, Any]) -> tuple[Any, Term]:
        encode = ENCODINGS.get(e.prim)
        if encode is None:
            raise NotEncodable(f"the primitive `{e.prim}` has no encoding")
        parts = [self.expr(a, env) for a in e.args]
        values = [v for v, _ in parts]
        ok = z3.And([o for _, o in parts]) if parts else z3.BoolVal(True)
        value, extra = encode(self, e, values)
        return value, (ok if extra is None else z3.And(ok, extra))

    def relation(self, a: Any, b: Any) -> tuple[Term, Term, Term]:
        """(a < b, a == b, a > b) for durations and lengths, exactly (see
        :func:`udbudsregler.semantics.ops.duration_compare`)."""
        if isinstance(a, Duration) and isinstance(b, Duration):
            sign = ops.duration_compare(a, b, self.rule)  # type: ignore[arg-type]
            return z3.BoolVal(sign < 0), z3.BoolVal(sign == 0), z3.BoolVal(sign > 0)
        if isinstance(a, Duration) or isinstance(b, Duration):
            if isinstance(a, Duration):
                lt, eq, gt = self.relation(b, a)
                return gt, eq, lt
            assert isinstance(b, Duration)
            if isinstance(a, SSpan):
                self.check_shift(b.months)
                target = self.cal.shift(a.start, b.months, b.days)
                limit = a.end + 1
                return target > limit, target == limit, target < limit
            if isinstance(a, SDays):
                if b.months:
                    raise NotEncodable("a duration in days compared with one in months")
                return a.days < b.days, a.days == b.days, a.days > b.days
        x, y = self.days_of(a), self.days_of(b)
        return x < y, x == y, x > y

    @staticmethod
    def days_of(x: Any) -> Term:
        if isinstance(x, SSpan):
            return x.end - x.start + 1
        if isinstance(x, SDays):
            return x.days
        if isinstance(x, Duration) and not x.months:
            return z3.IntVal(x.days)
        raise NotEncodable("a duration that is not a number of days")

    @staticmethod
    def check_shift(months: int) -> None:
        if abs(months) > 12 * MAX_SHIFT_YEARS:
            raise NotEncodable(f"month arithmetic of more than {MAX_SHIFT_YEARS} years")

    def shift(self, d: SDate, dur: Any, sign: int) -> SDate:
        if d.maybe_open:
            raise NotEncodable("date arithmetic on the open end of a period")
        if isinstance(dur, Duration):
            self.check_shift(dur.months)
            return SDate(self.cal.shift(d.n, sign * dur.months, sign * dur.days))
        if isinstance(dur, timedelta):
            return SDate(d.n + sign * dur.days)
        return SDate(d.n + sign * self.days_of(dur))


# -- the encodings of the semantic table ------------------------------------------------

Encoding = Callable[[Encoder, I.Prim, list[Any]], tuple[Any, Term | None]]


def _scalar(x: Any) -> Term:
    if isinstance(x, SDate):
        return x.n
    if z3.is_expr(x):
        return x
    raise NotEncodable("a comparison of values that are not numbers, dates or choices")


def _compare(op: str) -> Encoding:
    def encode(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
        a, b = v
        if a is None or b is None:
            if op in ("eq", "ne"):
                same = z3.BoolVal(a is None and b is None)
                return (same if op == "eq" else z3.Not(same)), None
            raise NotEncodable("an order comparison with nothing")
        x, y = _scalar(a), _scalar(b)
        if z3.is_arith(x):
            x, y = _arith(x, y)
        return {"eq": lambda: x == y, "ne": lambda: x != y, "lt": lambda: x < y,
                "le": lambda: x <= y, "gt": lambda: x > y, "ge": lambda: x >= y}[op](), None
    return encode


def _duration_compare(op: str) -> Encoding:
    def encode(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
        lt, eq, gt = enc.relation(v[0], v[1])
        return {"eq": eq, "ne": z3.Not(eq), "lt": lt, "le": z3.Or(lt, eq), "gt": gt,
                "ge": z3.Or(gt, eq)}[op], None
    return encode


def _int_op(fn: Callable[..., Term]) -> Encoding:
    def encode(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
        return fn(*v), None
    return encode


def _add(sign: int) -> Encoding:
    def encode(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
        a, b = v
        if isinstance(a, SDate) and isinstance(b, SDate) and sign < 0:
            return SDays(a.n - b.n), None
        if isinstance(a, SDate):
            return enc.shift(a, b, sign), None
        if isinstance(b, SDate) and sign > 0:
            return enc.shift(b, a, 1), None
        if isinstance(a, Duration) and isinstance(b, Duration):
            return (a + b if sign > 0 else a - b), None
        if isinstance(a, (Duration, SSpan, SDays)) and isinstance(b, (Duration, SSpan, SDays)):
            x, y = enc.days_of(a), enc.days_of(b)
            return SDays(x + y if sign > 0 else x - y), None
        if z3.is_expr(a) and z3.is_expr(b) and z3.is_arith(a) and z3.is_arith(b):
            x, y = _arith(a, b)
            return (x + y if sign > 0 else x - y), None
        raise NotEncodable("`+`/`-` of these values has no encoding")
    return encode


def _mul(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    a, b = v
    if isinstance(a, Duration) and z3.is_int_value(b):
        return a * b.as_long(), None
    if isinstance(b, Duration) and z3.is_int_value(a):
        return b * a.as_long(), None
    if z3.is_expr(a) and z3.is_expr(b) and z3.is_arith(a) and z3.is_arith(b):
        x, y = _arith(a, b)
        return x * y, None
    raise NotEncodable("`*` of these values has no encoding")


def _div(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    a, b = v
    if z3.is_expr(a) and z3.is_expr(b) and z3.is_arith(a) and z3.is_arith(b):
        return _real(a) / _real(b), _real(b) != 0
    raise NotEncodable("`/` of these values has no encoding")


def _neg(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    (a,) = v
    if isinstance(a, Duration):
        return -a, None
    if isinstance(a, (SSpan, SDays)):
        return SDays(-enc.days_of(a)), None
    if z3.is_expr(a) and z3.is_arith(a):
        return -a, None
    raise NotEncodable("`-` of this value has no encoding")


def _date_add_months(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    d, months = v
    if not isinstance(d, SDate) or not z3.is_int_value(months):
        raise NotEncodable("month arithmetic by a number of months not known in advance")
    return enc.shift(d, Duration(months.as_long(), 0), 1), None


def _date_add_days(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    d, delta = v
    if not isinstance(d, SDate) or not isinstance(delta, timedelta):
        raise NotEncodable("day arithmetic on these values has no encoding")
    if d.maybe_open:
        raise NotEncodable("date arithmetic on the open end of a period")
    return SDate(d.n + delta.days), None


def _members(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    """``a in b`` for an element and a constant set or a list."""
    a, b = v
    elem_type = e.args[1].type.elem if isinstance(e.args[1].type, SetType) else None
    if isinstance(b, frozenset):
        # in a fixed order: a set's iteration order follows string hashing, which differs
        # between processes, and the solver's answers follow the order of its terms
        options = [enc.const(item, elem_type) if elem_type is not None else item
                   for item in sorted(b, key=repr)]
        x = _scalar(a)
        return z3.Or([x == _scalar(o) for o in options] or [z3.BoolVal(False)]), None
    if isinstance(b, SList):
        x = _scalar(a)
        return z3.Or([z3.And(p, x == _scalar(item)) for p, item in b.slots]
                     or [z3.BoolVal(False)]), None
    raise NotEncodable("`in` of these values has no encoding")


def _not(encoding: Encoding) -> Encoding:
    def encode(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
        value, extra = encoding(enc, e, v)
        return z3.Not(value), extra
    return encode


def _period_of(x: Any) -> SPeriod:
    if isinstance(x, SPeriod):
        return x
    if isinstance(x, SRecord) and x.period is not None:
        return x.period
    raise NotEncodable("a value that is not a period or a history record")


def _periods(x: Any) -> list[tuple[Term, SPeriod]]:
    """(present, period) of any periods value (a list, a period, a record)."""
    if isinstance(x, SList):
        return [(p, _period_of(item)) for p, item in x.slots]
    return [(z3.BoolVal(True), _period_of(x))]


def _in_period(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    d, p = v
    period = _period_of(p)
    n = _scalar(d)
    return z3.And(period.start <= n, z3.Or(period.open, n <= period.end)), None


def _history_to(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    period = _period_of(v[0])
    return SDate(z3.If(period.open, OPEN, period.end), maybe_open=True), None


def _history_period(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    return _period_of(v[0]), None


def _period_from(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    return SDate(_period_of(v[0]).start), None


def _overlaps(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    x, window = v
    w = _period_of(window)
    return z3.Or([z3.And(present, z3.Or(w.open, p.start <= w.end),
                         z3.Or(p.open, p.end >= w.start))
                  for present, p in _periods(x)] or [z3.BoolVal(False)]), None


def _covers(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    x, on = v
    n = _scalar(on)
    return z3.Or([z3.And(present, p.start <= n, z3.Or(p.open, n <= p.end))
                  for present, p in _periods(x)] or [z3.BoolVal(False)]), None


def _age(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    birth, on = v
    if birth.maybe_open or on.maybe_open:
        raise NotEncodable("an age from or on the open end of a period")
    return enc.cal.age(birth.n, on.n), on.n >= birth.n


def _period(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    start, end = v
    return SPeriod(start.n, end.n, z3.BoolVal(False)), start.n <= end.n


def _positive(dur: Any) -> Term:
    if isinstance(dur, Duration):
        return z3.BoolVal(not (dur.months <= 0 and dur.days <= 0))
    return Encoder.days_of(dur) > 0


def _following(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    start, dur = v
    end = enc.shift(start, dur, 1).n - 1
    return SPeriod(start.n, end, z3.BoolVal(False)), z3.And(_positive(dur), end >= start.n)


def _preceding(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    end, dur = v
    start = enc.shift(end, dur, -1).n + 1
    return SPeriod(start, end.n, z3.BoolVal(False)), z3.And(_positive(dur), start <= end.n)


def _length(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    p = _period_of(v[0])
    return SSpan(p.start, p.end), z3.Not(p.open)


def _day_count(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    p = _period_of(v[0])
    return p.end - p.start + 1, z3.Not(p.open)


def _spell_length(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    """The spell covering ``on`` (periods merged when a gap of at most ``gap`` lies
    between them; the bridged days belong to the spell), from its start up to ``on``;
    zero when no spell covers ``on``. Follows ``library._merged``: a period starts a new
    spell when it starts later than the reach (end + 1 day + gap) of every period before
    it in start order; an open period reaches everything after it."""
    x, on, gap = v
    n = _scalar(on)
    if not isinstance(gap, Duration):
        gap = Duration(0, 0) if gap is None else gap
        if not isinstance(gap, Duration):
            raise NotEncodable("a gap between periods not known in advance")
    enc.check_shift(gap.months)
    items = _periods(x)

    def reach(p: SPeriod) -> Term:
        return enc.cal.shift(p.end + 1, gap.months, gap.days)

    def before(j: int, i: int) -> Term:
        pj, pi = items[j][1], items[i][1]
        return z3.Or(pj.start < pi.start, z3.And(pj.start == pi.start, j < i))

    starts = []
    for i, (present, p) in enumerate(items):
        blocked = [z3.Implies(z3.And(items[j][0], before(j, i)),
                              z3.And(z3.Not(items[j][1].open), reach(items[j][1]) < p.start))
                   for j in range(len(items)) if j != i]
        starts.append(z3.And(present, *blocked))
    length_start: Term = n + 1  # the empty length: SpanLength.empty(on)
    for i, (_, p) in enumerate(items):
        last_start = z3.And(starts[i], p.start <= n, *[
            z3.Not(z3.And(starts[j], items[j][1].start > p.start, items[j][1].start <= n))
            for j in range(len(items)) if j != i])
        in_spell = [z3.And(items[j][0], items[j][1].start >= p.start, z3.Not(z3.Or([
            z3.And(starts[s], items[s][1].start > p.start,
                   items[s][1].start <= items[j][1].start)
            for s in range(len(items)) if s != i] or [z3.BoolVal(False)])),
            z3.Or(items[j][1].open, items[j][1].end >= n))
            for j in range(len(items))]
        covered = z3.And(last_start, z3.Or(in_spell or [z3.BoolVal(False)]))
        length_start = z3.If(covered, p.start, length_start)
    return SSpan(length_start, n), None


def _calendar(name: str) -> Encoding:
    def encode(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
        d = v[0]
        if d.maybe_open:
            raise NotEncodable(f"`{name}` of the open end of a period")
        fn = getattr(enc.cal, name)
        result = fn(d.n)
        return (SDate(result) if name in ("start_of_month", "end_of_month") else result), None
    return encode


def _extreme(pick_max: bool) -> Encoding:
    def encode(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
        best = v[0]
        for x in v[1:]:
            better = enc._less(best, x) if pick_max else enc._less(x, best)
            best = merge(better, x, best)
        return best, None
    return encode


def _abs(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    (a,) = v
    return z3.If(a < 0, -a, a), None


def _to_decimal(enc: Encoder, e: I.Prim, v: list[Any]) -> tuple[Any, Term | None]:
    return _real(v[0]), None


def _table() -> dict[str, Encoding]:
    table: dict[str, Encoding] = {
        "int_add": _int_op(lambda a, b: a + b), "int_sub": _int_op(lambda a, b: a - b),
        "int_mul": _int_op(lambda a, b: a * b), "int_neg": _int_op(lambda a: -a),
        "add": _add(1), "sub": _add(-1), "mul": _mul, "div": _div, "neg": _neg,
        "date_add_months": _date_add_months, "date_add_days": _date_add_days,
        "to_decimal": _to_decimal,
        "in_period": _in_period, "not_in_period": _not(_in_period),
        "in": _members, "not_in": _not(_members),
        "history_to": _history_to, "history_period": _history_period,
        "period_from": _period_from, "period_to": _history_to,
        "overlaps_record": _overlaps, "covers_records": _covers,
        "age": _age, "period": _period, "following": _following, "preceding": _preceding,
        "length": _length, "day_count": _day_count, "spell_length": _spell_length,
        "covers": _covers, "overlaps": _overlaps,
        "start_of_month": _calendar("start_of_month"),
        "end_of_month": _calendar("end_of_month"),
        "year": _calendar("year"), "month": _calendar("month"),
        "min": _extreme(False), "max": _extreme(True), "abs": _abs,
    }
    for op in ("eq", "ne", "lt", "le", "gt", "ge"):
        table[op] = _compare(op)
        table[f"dur_{op}"] = _duration_compare(op)
        table[f"len_{op}"] = _duration_compare(op)
    return table


#: The encoding of each primitive of the semantic table. Not here (unknown when used):
#: ``spells`` (a list of merged spells), ``covers_all``, ``overlap_days``,
#: ``in_durations``/``not_in_durations``.
ENCODINGS: dict[str, Encoding] = _table()
