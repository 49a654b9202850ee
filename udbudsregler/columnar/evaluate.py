"""The columnar evaluator: the lowered rule graph over a batch of citizens at once.

It walks the same lowered graph as the interpreter and the generated code, once per
batch, and gives each expression one value for the whole batch: a scalar (the same for
every citizen: parameters, ``today``, windows such as ``period(today - 2 years,
today)``, computed by the interpreter itself, so by the semantic table's ``impl``) or a
column (:mod:`udbudsregler.columnar.columns`). Each primitive of
:data:`udbudsregler.semantics.prims.PRIMS` that can meet a column has one columnar
implementation in :data:`KERNELS` (the operators in :mod:`udbudsregler.columnar.kernels`,
the function library in :mod:`udbudsregler.columnar.library`, reading their operands by
:mod:`udbudsregler.columnar.operands`); each loop kind, the three-valued criteria,
``FirstOf``, if/else and lists written out have theirs here.

**Never a silent wrong answer.** A kernel that meets a row it cannot answer exactly (a
number beyond 64 bits, a date beyond the calendar, an evaluation that fails per record:
a period that ends before it starts, a birth date after the decision date) marks the row
*unsure*; unsure rows are decided again per record by the caller, so their answer (or
their error) is the per-record one. Where the three-valued criteria could have settled
a failing criterion, the row is still sent per record: the columnar path only answers
rows on which nothing failed. A part of the policy with no columnar form raises
:class:`Unsupported` before any answer is given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from udbudsregler.columnar import library  # noqa: F401 - registers its kernels in KERNELS
from udbudsregler.columnar.columns import (
    ELEMENT,
    BoolArray,
    Bools,
    Cats,
    Col,
    Dates,
    Days,
    Durs,
    IntArray,
    Lst,
    Num,
    Opaque,
    Pers,
    Rec,
    Spans,
    Unsupported,
    at_level,
    take_same,
)
from udbudsregler.columnar.kernels import (
    KERNELS,
    history_period,
    history_to,
    period_from,
    period_to,
)
from udbudsregler.columnar.operands import (
    _MAXI,
    _MONTHS,
    _SAFE,
    AllUnsure,
    _align_pair,
    _calendar,
    _cats_pair,
    _choose,
    _days,
    _full,
    _has_length,
    _is_number,
    _months,
    _number,
    _ords,
    _period_parts,
    _places,
    _rescale,
    _scaled,
    _span_parts,
)
from udbudsregler.diagnostics import EvaluationError
from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import Node, RuleGraph
from udbudsregler.runtime.interpreter import Interpreter
from udbudsregler.semantics.prims import PRIMS
from udbudsregler.semantics.types import (
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
    SetType,
    Type,
)
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, MonthEnd, Period, SpanLength

__all__ = ["KERNELS", "LOOP_KINDS", "Batch", "Unsupported", "fact_dependent"]


#: At most this many pairs of a row's elements and another list's records are made for
#: a list read in a loop body (``any(o in offers where covers(benefits, o.from))``); a row
#: with more is decided per record.
PAIRS_PER_ROW = 4096


#: Whether an expression is constant, by (id, the loop variables bound to columns); the
#: expression is kept with the answer, so a reused id never answers for another one.
_CONSTANT: dict[tuple[int, frozenset[str], bool], tuple[I.Expr, bool]] = {}


def fact_dependent(graph: RuleGraph, by_day: bool = False) -> set[str]:
    """The named nodes whose value depends on the facts; ``by_day``: or on the decision
    date (each row on a date of its own: ``today``, and a parameter whose value depends
    on the date, differ from row to row)."""
    out: set[str] = set()
    for name, node in graph.nodes.items():
        if any(dep in graph.facts or dep in out for dep in node.deps) or (
                by_day and _reads_the_date(node)):
            out.add(name)
    return out


def _reads_the_date(node: Node) -> bool:
    """Whether a node reads ``today``, or is a parameter whose value depends on the date
    (a value from a date on)."""
    return node.reads_today or (node.kind == "parameter"
                                and any(v.start is not None for v in node.values))


class Batch:
    """One evaluation of the graph over ``n`` rows on the date ``on``."""

    def __init__(self, graph: RuleGraph, facts: dict[str, Any], n: int, on: date,
                 rule: MonthEnd, dependent: set[str], unsure: BoolArray,
                 days: IntArray | None = None) -> None:
        self.graph = graph
        self.facts = facts
        self.n = n
        self.on = on
        #: Each row's decision date as a day number (``date.toordinal``), when the rows
        #: are not all decided on ``on``: ``today`` is then a column, and ``dependent``
        #: must hold the nodes that read it (``fact_dependent(graph, by_day=True)``).
        self.days = days
        self.rule = rule
        self.dependent = dependent
        self.unsure = unsure
        self.memo: dict[str, Any] = {}
        self.scalar = Interpreter(graph, {}, on, rule)
        #: The lists whose elements the loop bodies being evaluated are for, outermost
        #: first: the body of a loop over ``within[k]`` is evaluated at level ``k + 1``.
        self.within: list[Lst] = []

    def parent(self, level: int) -> IntArray:
        """For each value of ``level`` (1 or more, inside loop bodies), the value of
        ``level - 1`` it belongs to (computed from the list's offsets when first needed)."""
        return self.within[level - 1].parent

    # -- rows to decide per record ---------------------------------------------------

    def flag(self, mask: Any, level: int) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        if level == 0:
            self.unsure |= mask
            return
        at = np.flatnonzero(np.broadcast_to(mask, (self.size(level),)))
        for inner in range(level, 0, -1):  # down to the rows
            at = self.parent(inner)[at]
        self.unsure[at] = True

    # -- named nodes ---------------------------------------------------------------

    def value(self, name: str) -> Any:
        if name in self.memo:
            return self.memo[name]
        if name in self.graph.facts:
            fact = self.facts[name]
            if isinstance(fact, Opaque):
                raise Unsupported(fact.what)
            return fact
        node = self.graph.nodes[name]
        if name not in self.dependent:
            result = self._scalar(lambda: self.scalar.value(name))
        elif node.kind == "parameter":
            result = self.parameter(node)
        else:
            assert node.expr is not None
            saved, self.within = self.within, []
            try:
                result = self.ev(node.expr, {}, 0)
            finally:
                self.within = saved
        self.memo[name] = result
        return result

    def parameter(self, node: Node) -> Any:
        """A parameter's value when the rows have dates of their own: each row's the
        value that applies on its date (the last that starts on or before it, as
        :meth:`Interpreter.parameter` chooses); one value if every row has the same. A
        row before the first value's start has none: it is decided per record (where
        ``decide`` says so)."""
        assert self.days is not None
        chosen = np.full(self.n, -1, dtype=np.int64)
        for k, dated in enumerate(node.values):
            if dated.start is None:
                chosen[:] = k
            else:
                chosen[self.days >= dated.start.toordinal()] = k
        self.flag(chosen < 0, 0)
        used = [int(k) for k in np.unique(chosen) if k >= 0] or [len(node.values) - 1]
        result: Any = None
        for k in used:
            value = self.ev(node.values[k].expr, {}, 0)
            result = value if result is None else self.where(chosen == k, value, result, 0)
        return result

    def _scalar(self, compute: Callable[[], Any]) -> Any:
        try:
            return compute()
        except (EvaluationError, ArithmeticError, ValueError, OverflowError):
            raise AllUnsure() from None

    # -- expressions ------------------------------------------------------------------

    def constant(self, expr: I.Expr, env: dict[str, Any]) -> bool:
        """Whether ``expr`` is the same for every row: it reads no fact, no node that
        depends on the facts, and no loop variable bound to a column."""
        columns = frozenset(k for k, v in env.items() if isinstance(v, Col))
        key = (id(expr), columns, self.days is not None)
        found = _CONSTANT.get(key)
        if found is not None and found[0] is expr:
            return found[1]
        result = self._constant(expr, env)
        if len(_CONSTANT) > 65536:
            _CONSTANT.clear()
        _CONSTANT[key] = (expr, result)
        return result

    def _constant(self, expr: I.Expr, env: dict[str, Any]) -> bool:
        for sub in I.walk(expr):
            if isinstance(sub, I.FactRef):
                return False
            if isinstance(sub, I.NodeRef) and sub.name in self.dependent:
                return False
            if isinstance(sub, I.Var) and isinstance(env.get(sub.name), Col):
                return False
            if isinstance(sub, I.Today) and self.days is not None:
                return False
        return True

    def lift(self, value: Any, level: int) -> Any:
        """``value`` read at ``level``: one value per element of the loop bodies around."""
        if not isinstance(value, Col) or value.level == level:
            return value
        if value.level > level:
            raise Unsupported("a value of an inner loop read outside it")
        while value.level < level:
            inner = value.level + 1
            value = self.per_element(value, inner)
        return value

    def per_element(self, value: Col, level: int) -> Col:
        """A column of ``level - 1`` read for each element of the loop body at ``level``;
        a list (one inside a record too) by :meth:`list_per_element`."""
        if isinstance(value, Lst):
            return self.list_per_element(value, level)
        if isinstance(value, Rec) and any(isinstance(v, (Lst, Rec)) for v in
                                          value.fields.values()):
            return Rec(level, {k: self.per_element(v, level) if isinstance(v, Col) else v
                               for k, v in value.fields.items()}, value.history)
        return value.take(self.parent(level))

    def list_per_element(self, lst: Lst, level: int) -> Lst:
        """A list of level ``level - 1`` read in a loop body (``covers(benefits, o.from)``
        for each offer ``o``): for each element, the records of its row, as a list of
        ``level``. A row whose pairs of elements and records number more than
        :data:`PAIRS_PER_ROW` is decided per record instead (its elements get no
        records here)."""
        index = self.parent(level)  # the row of each element
        sizes = lst.sizes()
        counts = sizes[index]
        pairs = np.bincount(index, weights=counts, minlength=len(sizes))
        big = pairs > PAIRS_PER_ROW
        if not big.any():
            return lst.gather(index, level)
        self.flag(big, level - 1)
        return lst.gather(index, level, np.where(big[index], 0, counts))

    def ev(self, expr: I.Expr, env: dict[str, Any], level: int) -> Any:
        if self.constant(expr, env):
            scalars = {k: v for k, v in env.items() if not isinstance(v, Col)}
            return self._scalar(lambda: self.scalar.eval(expr, scalars, {}))
        match expr:
            case I.FactRef(name=name) | I.NodeRef(name=name):
                return self.lift(self.value(name), level)
            case I.Var(name=name):
                return self.lift(env[name], level)
            case I.Today():  # (a constant unless each row has its own date)
                assert self.days is not None
                return self.lift(Dates(0, self.days), level)
            case I.Field(obj=obj, name=name, access=access):
                return self.field(self.ev(obj, env, level), name, access)
            case I.Prim(prim=prim, args=args):
                values = [self.ev(a, env, level) for a in args]
                if not any(isinstance(v, Col) for v in values):
                    entry = PRIMS[prim]
                    return self._scalar(lambda: entry.impl(*values, self.rule) if entry.rule
                                        else entry.impl(*values))
                kernel = KERNELS.get(prim)
                if kernel is None:
                    raise Unsupported(f"the operation `{prim}` on a column")
                return kernel(self, level, *values)
            case I.Not(operand=operand):
                return Bools(level, ~self.bools(self.ev(operand, env, level), level))
            case I.And(left=left, right=right):
                return Bools(level, self.bools(self.ev(left, env, level), level)
                             & self.bools(self.ev(right, env, level), level))
            case I.Or(left=left, right=right):
                return Bools(level, self.bools(self.ev(left, env, level), level)
                             | self.bools(self.ev(right, env, level), level))
            case I.If(cond=cond, then=then, orelse=orelse):
                test = self.ev(cond, env, level)
                if not isinstance(test, Col):
                    return self.ev(then if test else orelse, env, level)
                return self.where(self.bools(test, level), self.ev(then, env, level),
                                  self.ev(orelse, env, level), level)
            case I.Loop():
                return self.loop(expr, env, level)
            case I.Criteria(op=op, items=items):
                parts = [self.bools(self.ev(i, env, level), level) for i in items]
                if op == "not":
                    return Bools(level, ~parts[0])
                combine = np.logical_and if op == "all" else np.logical_or
                out = parts[0].copy()
                for p in parts[1:]:
                    combine(out, p, out=out)
                return Bools(level, out)
            case I.FirstOf(cases=cases):
                return self.first_of(cases, env, level)
            case I.ListOf(items=items) | I.SetOf(items=items):
                # a set is only looked in (`x in {a, b}`: UDB415 refuses a loop over one),
                # where an item written twice changes nothing: its items as a list
                return self.list_of([self.ev(i, env, level) for i in items], level)
        raise Unsupported(f"{type(expr).__name__} over a column")

    def size(self, level: int) -> int:
        if level == 0:
            return self.n
        return self.within[level - 1].records()

    def bools(self, value: Any, level: int) -> BoolArray:
        if isinstance(value, Bools):
            return value.v
        if isinstance(value, Col):
            raise Unsupported(f"{type(value).__name__} used as true/false")
        return np.full(self.size(level), bool(value))

    def field(self, obj: Any, name: str, access: str) -> Any:
        if not isinstance(obj, Col):  # pragma: no cover - constant parts are scalars
            raise Unsupported("a field of a constant inside a column expression")
        if access == "key":
            if not isinstance(obj, Rec) or name not in obj.fields:
                raise Unsupported(f"the field `{name}` of {type(obj).__name__}")
            if obj.history and name == "to":
                raise Unsupported("`to` of a history record read as a value")
            return obj.fields[name]
        if access == "history_to":
            return history_to(self, obj.level, obj)
        if access == "history_period":
            return history_period(self, obj.level, obj)
        if access == "period_from":
            return period_from(self, obj.level, obj)
        return period_to(self, obj.level, obj)

    def where(self, test: BoolArray, a: Any, b: Any, level: int) -> Any:
        n = len(test)
        if isinstance(a, Bools) or isinstance(b, Bools) or isinstance(a, bool):
            va, vb = self.bools(a, level), self.bools(b, level)
            return Bools(level, (test & va) | (~test & vb))
        if isinstance(a, Num) or isinstance(b, Num) or _is_number(a):
            ua, ub, scale, currency = _align_pair(self, a, b, level, n)
            return Num(level, _choose(test, ua, ub), scale, currency)
        if isinstance(a, Dates) or isinstance(b, Dates) or type(a) is date:
            return Dates(level, _choose(test, _ords(a, n), _ords(b, n)))
        if isinstance(a, Cats) or isinstance(b, Cats) or isinstance(a, str):
            values, ca, cb = _cats_pair(a, b, n)
            return Cats(level, _choose(test, ca, cb).astype(np.int32), values)
        if (_months(a) or _months(b)) and not _has_length(a, b):  # months and days
            (ma, da), (mb, db) = _calendar(a), _calendar(b)
            return Durs(level, _full(_choose(test, ma, mb), n), _full(_choose(test, da, db), n))
        if any(isinstance(x, Days) or type(x) is Duration for x in (a, b)):
            # in days (a length on one side counts its days: the value is typed as a
            # duration in days, which nothing compares with months)
            return Days(level, _full(_choose(test, _days(a), _days(b)), n))
        if all(isinstance(x, Pers) or type(x) is Period for x in (a, b)):
            (sa, ea), (sb, eb) = _period_parts(a, n), _period_parts(b, n)
            return Pers(level, _choose(test, sa, sb), _choose(test, ea, eb))
        if all(isinstance(x, Spans) or type(x) is SpanLength for x in (a, b)):
            (sa, ea), (sb, eb) = _span_parts(a), _span_parts(b)
            return Spans(level, _choose(test, sa, sb), _choose(test, ea, eb))
        if all(isinstance(x, (Lst, list, tuple, set, frozenset)) for x in (a, b)):
            return _pick_lists(test, self.as_list(a, b, level), self.as_list(b, a, level))
        if isinstance(a, Rec) and isinstance(b, Rec) and a.history == b.history \
                and set(a.fields) == set(b.fields):  # field by field
            return Rec(level, {k: self.where(test, a.fields[k], b.fields[k], level)
                               for k in a.fields}, a.history)
        raise Unsupported("if/else of values of this kind over a column")

    def as_list(self, x: Any, other: Any, level: int) -> Lst:
        """A list (or set) for :func:`_pick_lists`: a column of lists as it is; one the
        same for every row as its items for each (with no items: ``other``'s records,
        none for each row)."""
        if isinstance(x, Lst):
            return x
        if not x:
            like = other if isinstance(other, Lst) else self.constant_list(other, level)[0]
            none = at_level(like.rec.take(np.zeros(0, dtype=np.int64)), level + 1)
            n = self.size(level)
            return Lst(level, n, None, none, np.zeros(n + 1, dtype=np.int64))
        return self.constant_list(x, level)[0]

    def first_of(self, cases: tuple[tuple[I.Expr, I.Expr], ...], env: dict[str, Any],
                 level: int) -> Any:
        n = self.size(level)
        tests = [self.bools(self.ev(c, env, level), level) for c, _ in cases]
        values = [self.ev(v, env, level) for _, v in cases]
        if not all(isinstance(v, str) for v in values):
            raise Unsupported("a first-of whose values are not choices")
        names = tuple(dict.fromkeys(values))
        out = np.full(n, -1, dtype=np.int32)
        for test, value in reversed(list(zip(tests, values, strict=True))):
            out = _choose(test, names.index(value), out).astype(np.int32)
        return Cats(level, out, names)

    # -- loops -----------------------------------------------------------------------

    def loop(self, expr: I.Loop, env: dict[str, Any], level: int) -> Any:
        """A quantifier over a list of ``level``: its body at ``level + 1`` (a loop inside
        another's body reads a list of its row for each element: :meth:`list_per_element`)."""
        source = self.ev(expr.source, env, level)
        element: Any
        if isinstance(source, Lst):
            # a list of records; or of plain values (a constant list's, kept by `select`)
            element = source.rec.fields.get(ELEMENT, source.rec)
        elif isinstance(source, (list, tuple, set, frozenset)):
            source, element = self.constant_list(source, level, expr.source.type)
        else:
            raise Unsupported(f"a quantifier over {type(source).__name__}")
        assert source.level == level
        body = level + 1
        self.within.append(source)
        try:
            inner = {**env, expr.var: element}
            if expr.where is not None:
                keep = self.bools(self.ev(expr.where, inner, body), body)
            else:
                keep = np.ones(source.records(), dtype=bool)
            kind = expr.kind
            if kind == "any":
                return Bools(level, source.hits(keep) > 0)
            if kind == "all":
                return Bools(level, source.hits(~keep) == 0)
            if kind == "count":
                return Num(level, source.hits(keep))
            if kind == "select":
                return source.filter(keep)
            assert expr.value is not None
            kept = np.flatnonzero(keep)
            value = self.ev(expr.value, inner, body)
        finally:
            self.within.pop()
        return self.aggregate(expr, env, source, kept, value, level)

    def list_of(self, values: list[Any], level: int) -> Lst:
        """A list written out (``[since, today - 2 years]``) whose items are not the same
        for every row: the items of each row, in order, as a list of ``level``."""
        n, k = self.size(level), len(values)
        parts = _parts_of(self, values, level, n)
        if isinstance(parts, str):
            raise Unsupported(f"a list of {parts} per citizen")
        make, arrays = parts
        stacked = [np.stack([np.broadcast_to(np.asarray(a, dtype=np.int64 if a.dtype != bool
                                                        else bool), (n,)) for a in column],
                            axis=1).reshape(-1) for column in arrays]
        element = make(level + 1, *stacked)
        offsets = np.arange(0, n * k + 1, k, dtype=np.int64)
        return Lst(level, n, None, Rec(level + 1, {ELEMENT: element}), offsets)

    def constant_list(self, items: Any, level: int,
                      typ: Type | None = None) -> tuple[Lst, Any]:
        """A list that is the same for every citizen (a parameter, a literal), looped over
        by a body that is not (``all(d in measure_dates where covers(benefits, d))``): the
        same elements for every row of ``level``, in the order the per-record evaluators
        take them. Returns the list and the loop variable's column (of the list's type
        ``typ`` when it has no elements: ``select(d in [...] where false)``, folded to
        ``[]``, still holds dates)."""
        values = list(items)
        n, k = self.size(level), len(values)
        column = _column_of(values, level + 1) if values or typ is None else \
            _empty_column(typ, level + 1)
        if not isinstance(column, Col):
            raise Unsupported(f"a quantifier over a list of {column}")
        element = take_same(column, np.tile(np.arange(k, dtype=np.int64), n))
        offsets = np.arange(0, n * k + 1, max(k, 1), dtype=np.int64) if k else \
            np.zeros(n + 1, dtype=np.int64)
        return Lst(level, n, None, Rec(level + 1, {ELEMENT: element}), offsets), element

    def aggregate(self, expr: I.Loop, env: dict[str, Any], source: Lst, kept: IntArray,
                  value: Any, level: int) -> Any:
        n = source.n
        rows = source.parent[kept]
        has = np.zeros(n, dtype=bool)
        has[rows] = True
        assert expr.default is not None
        default = self.ev(expr.default, env, level)
        kind = expr.kind
        if kind in ("min", "max", "latest") and not isinstance(value, Col):
            # the same value for every element: it, where a row has an element
            return self.where(has, value, default, level)
        if kind != "latest" and not isinstance(value, Col):
            # a body whose value is the same for every element (`sum(1 for o in offers
            # where ...)`): that value for every element
            column = _column_of([value], level + 1)
            if isinstance(column, Col):
                value = take_same(column, np.zeros(source.records(), dtype=np.int64))
        if kind == "latest":
            rec = source.rec
            element = rec.fields.get(ELEMENT)
            if isinstance(element, Pers):  # a list of periods (`[stay, ...]`, `spells`)
                start, end = element.s[kept], element.e[kept]
            elif rec.history:
                start, end = rec.fields["from"].o[kept], rec.fields["to"].o[kept]
            else:
                raise Unsupported("`latest` over records without periods")
            order = np.lexsort((np.arange(len(kept)), end, start, rows))
            last = np.ones(len(order), dtype=bool)
            last[:-1] = rows[order][1:] != rows[order][:-1]
            chosen = order[last]
            picked = _pick(value, kept[chosen] if isinstance(value, Col) else None, level)
            return self.where(has, _scatter(picked, rows[chosen], n, level),
                              default, level)
        if isinstance(value, Spans) and (kind, expr.combine) in (("min", "dur_lt"),
                                                                 ("max", "dur_gt")):
            # lengths by their days; the first of equal ones stays (as the loop keeps
            # the best unless a later one is strictly better)
            days = (value.e - value.s + 1)[kept]
            order = np.lexsort((np.arange(len(kept)), -days if kind == "max" else days,
                                rows))
            first = np.ones(len(order), dtype=bool)
            first[1:] = rows[order][1:] != rows[order][:-1]
            chosen = order[first]
            picked = _pick(value, kept[chosen], level)
            return self.where(has, _scatter(picked, rows[chosen], n, level), default, level)
        if isinstance(value, Spans) and kind == "sum":  # lengths add up as day counts
            value = Days(value.level, value.e - value.s + 1)
        if isinstance(value, Days) and (kind, expr.combine or "") in _DAYS_AGGREGATES:
            counts = value.d[kept]
            if kind == "sum":  # day counts reach 2**62 (multiples): a sum may pass it
                bound, first = _segments(np.abs(counts).astype(np.float64), rows, np.add)
                self.flag(_spread(bound >= _SAFE, first, n), level)
            reduced, first = _segments(counts, rows,
                                       _DAYS_AGGREGATES[kind, expr.combine or ""])
            full = np.zeros(n, dtype=np.int64)
            full[first] = reduced
            return self.where(has, Days(level, full), default, level)
        if isinstance(value, Durs) and kind == "sum" and expr.combine == "add":
            # calendar durations add months and days apart (`Duration.__add__`); a sum
            # that may pass 2**62 goes per record, as for day counts
            parts = []
            for part in (value.m[kept], value.d[kept]):
                bound, first = _segments(np.abs(part).astype(np.float64), rows, np.add)
                self.flag(_spread(bound >= _SAFE, first, n), level)
                reduced, first = _segments(part, rows, np.add)
                full = np.zeros(n, dtype=np.int64)
                full[first] = reduced
                parts.append(full)
            return self.where(has, Durs(level, *parts), default, level)
        if not isinstance(value, Num):
            if isinstance(value, Dates) and kind in ("min", "max"):
                values = value.o[kept]
                reduced, first = _segments(values, rows, np.minimum if kind == "min"
                                           else np.maximum)
                full = np.zeros(n, dtype=np.int64)
                full[first] = reduced
                return self.where(has, Dates(level, full), default, level)
            raise Unsupported(f"`{kind}` of values that are not numbers or amounts")
        combine = expr.combine or ""
        if kind == "sum" and combine not in ("add", "int_add"):
            raise Unsupported(f"`sum` combined by `{combine}`")
        if kind in ("min", "max") and combine not in ("lt", "gt"):
            raise Unsupported(f"`{kind}` compared by `{combine}`")
        units = value.u[kept]
        if kind == "sum":
            bound, first = _segments(np.abs(units).astype(np.float64), rows, np.add)
            total, _ = _segments(units, rows, np.add)
            self.flag(_spread(bound > _SAFE, first, n), level)
            full = np.zeros(n, dtype=np.int64)
            full[first] = total
        else:
            reduced, first = _segments(units, rows,
                                       np.minimum if kind == "min" else np.maximum)
            full = np.zeros(n, dtype=np.int64)
            full[first] = reduced
        return self.where(has, Num(level, full, value.scale, value.currency), default, level)


def _parts_of(batch: Batch, values: list[Any], level: int, n: int
              ) -> tuple[Callable[..., Col], list[list[Any]]] | str:
    """The items of a list written out, some of them columns of ``level``, as arrays of
    one kind: how to make the column of their kind from stacked arrays, and each array's
    items (a Python value of an item the same for all is an array of one); or what
    kind of items have no column here."""
    def each(get: Callable[[Any], Any]) -> list[Any]:
        return [np.asarray(get(v)) for v in values]

    if all(isinstance(v, Bools) or type(v) is bool for v in values):
        return (lambda lv, v: Bools(lv, v)), [each(lambda v: v.v if isinstance(v, Bools)
                                                   else v)]
    if all(isinstance(v, Dates) or type(v) is date for v in values):
        return (lambda lv, o: Dates(lv, o)), [each(lambda v: _ords(v, n))]
    if all(isinstance(v, Num) or _is_number(v) for v in values):
        # one scale for every item, as _align_pair aligns two
        scale = max(v.scale if isinstance(v, Num) else _places(_number(v)) for v in values)
        if scale > 18:
            raise AllUnsure()
        currency = next((v.currency for v in values
                         if (isinstance(v, Num) and v.currency) or type(v) is Money), None)
        out = []
        for v in values:
            if isinstance(v, Num):
                out.append(_rescale(batch, v, scale, level))
                continue
            scaled = _scaled(_number(v), scale)
            if abs(scaled) > _MAXI:
                batch.flag(np.ones(n, dtype=bool), level)
                scaled = 0
            out.append(np.asarray(scaled))
        return (lambda lv, u: Num(lv, u, scale, currency)), [out]
    if all(isinstance(v, (Cats, str)) or v is None for v in values):
        names: tuple[str, ...] = ()
        for v in values:
            names = tuple(dict.fromkeys((*names, *(v.values if isinstance(v, Cats)
                                                   else () if v is None else (v,)))))
        codes = []
        for v in values:  # codes into `names` (-1: no value)
            if isinstance(v, Cats):
                table = np.array([names.index(x) for x in v.values] + [-1], dtype=np.int32)
                codes.append(table[v.c])
            else:
                codes.append(np.asarray(-1 if v is None else names.index(v), dtype=np.int32))
        return (lambda lv, c: Cats(lv, c.astype(np.int32), names)), [codes]
    if all(isinstance(v, Pers) or type(v) is Period for v in values):
        pairs = [_period_parts(v, n) for v in values]
        return (lambda lv, s, e: Pers(lv, s, e)), [[np.asarray(p[0]) for p in pairs],
                                                   [np.asarray(p[1]) for p in pairs]]
    if any(isinstance(v, Days) or type(v) is Duration for v in values) and all(
            isinstance(v, (Days, Spans)) or type(v) in (Duration, SpanLength) for v in values):
        # durations in days (a length among them counts its days)
        return (lambda lv, d: Days(lv, d)), [each(_days)]
    if all(isinstance(v, (Durs, Days)) or type(v) is Duration for v in values):
        pairs = [_calendar(v) for v in values]  # months in some: months and days
        return (lambda lv, m, d: Durs(lv, m, d)), [[np.asarray(p[0]) for p in pairs],
                                                   [np.asarray(p[1]) for p in pairs]]
    if all(isinstance(v, Spans) or type(v) is SpanLength for v in values):
        spans = [_span_parts(v) for v in values]
        return (lambda lv, s, e: Spans(lv, s, e)), [[np.asarray(p[0]) for p in spans],
                                                    [np.asarray(p[1]) for p in spans]]
    return "values of this kind"


def _empty_column(typ: Type, level: int) -> Col:
    """A column of no values of the elements of a list (or set) type ``typ``."""
    elem = typ.elem if isinstance(typ, (ListType, SetType)) else None
    none = np.zeros(0, dtype=np.int64)
    if elem == DATE:
        return Dates(level, none)
    if elem == PERIOD:
        return Pers(level, none, none)
    if elem in (INT, DECIMAL, HOURS):
        return Num(level, none)
    if isinstance(elem, MoneyType):
        return Num(level, none, 0, elem.currency)
    if isinstance(elem, EnumType):
        return Cats(level, np.zeros(0, dtype=np.int32), elem.values)
    if elem == TEXT:
        return Cats(level, np.zeros(0, dtype=np.int32), ())
    if isinstance(elem, DurationType) and elem.kind in ("days", "span"):
        return Days(level, none)
    if isinstance(elem, DurationType):
        return Durs(level, none, none)
    return Bools(level, np.zeros(0, dtype=bool))


def _column_of(values: list[Any], level: int) -> Col | str:
    """Python values of one kind as a column of ``level`` (one value each), or what kind
    of values have no column here."""
    kinds = {type(v) for v in values}
    if not values:
        return Bools(level, np.zeros(0, dtype=bool))
    if len(kinds) > 1 and not kinds <= {int, Decimal}:
        return "values of more than one kind"
    kind = next(iter(kinds))
    if kind is bool:
        return Bools(level, np.array(values, dtype=bool))
    if kind is date:
        return Dates(level, np.array([v.toordinal() for v in values], dtype=np.int64))
    if kind is str:
        names = tuple(dict.fromkeys(values))
        return Cats(level, np.array([names.index(v) for v in values], dtype=np.int32), names)
    if kind is Period:
        return Pers(level, np.array([v.start.toordinal() for v in values], dtype=np.int64),
                    np.array([(v.end or date.max).toordinal() for v in values],
                             dtype=np.int64))
    if kinds <= {int, Decimal} or kind is Money:
        currencies = {v.currency for v in values} if kind is Money else {None}
        numbers = [_number(v) for v in values]
        scale = max(_places(x) for x in numbers)
        units = [_scaled(x, scale) for x in numbers]
        if len(currencies) > 1 or scale > 18 or max(abs(u) for u in units) >= _SAFE:
            return "numbers beyond 64-bit units"
        return Num(level, np.array(units, dtype=np.int64), scale, currencies.pop())
    if kind is Duration and not any(v.months for v in values):
        if max(abs(v.days) for v in values) >= _SAFE:
            return "durations beyond 64-bit day counts"
        return Days(level, np.array([v.days for v in values], dtype=np.int64))
    if kind is Duration:  # with months: months and days
        if max(max(abs(v.months), abs(v.days)) for v in values) >= _MONTHS:
            return "durations beyond the columnar calendar"
        return Durs(level, np.array([v.months for v in values], dtype=np.int64),
                    np.array([v.days for v in values], dtype=np.int64))
    return kind.__name__


#: `sum`, `min` and `max` of durations in days over a list (a sum near 2**62 is decided
#: per record).
_DAYS_AGGREGATES = {("sum", "add"): np.add, ("min", "dur_lt"): np.minimum,
                    ("max", "dur_gt"): np.maximum}


def _segments(values: Any, rows: IntArray, ufunc: Any) -> tuple[Any, IntArray]:
    """``ufunc.reduceat`` over runs of equal ``rows`` (ascending); and each run's row."""
    if len(rows) == 0:
        return values[:0], rows[:0]
    starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
    return ufunc.reduceat(values, starts), rows[starts]


def _spread(mask: BoolArray, rows: IntArray, n: int) -> BoolArray:
    out = np.zeros(n, dtype=bool)
    out[rows[mask]] = True
    return out


def _pick(value: Any, index: IntArray | None, level: int) -> Any:
    """The items ``index`` of a loop body's ``value``, as a column of ``level``."""
    if index is None:
        return value
    if isinstance(value, Lst):  # a list per element: the chosen elements' lists
        return value.gather(index, level)
    return at_level(value.take(index), level)


def _scatter(value: Any, rows: IntArray, n: int, level: int) -> Any:
    """A column of ``level`` holding ``value``'s items at ``rows`` (other rows: zero, or
    no records)."""
    if not isinstance(value, Col):
        return value
    if isinstance(value, Num):
        u = np.zeros(n, dtype=np.int64)
        u[rows] = value.u
        return Num(level, u, value.scale, value.currency)
    if isinstance(value, Dates):
        o = np.zeros(n, dtype=np.int64)
        o[rows] = value.o
        return Dates(level, o)
    if isinstance(value, Bools):
        v = np.zeros(n, dtype=bool)
        v[rows] = value.v
        return Bools(level, v)
    if isinstance(value, Cats):
        c = np.full(n, -1, dtype=np.int32)
        c[rows] = value.c
        return Cats(level, c, value.values)
    if isinstance(value, Days):
        d = np.zeros(n, dtype=np.int64)
        d[rows] = value.d
        return Days(level, d)
    if isinstance(value, Durs):
        m, d = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        m[rows], d[rows] = value.m, value.d
        return Durs(level, m, d)
    if isinstance(value, (Pers, Spans)):
        start, end = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        start[rows], end[rows] = value.s, value.e
        return type(value)(level, start, end)
    if isinstance(value, Rec):
        return Rec(level, {k: _scatter(v, rows, n, level) for k, v in value.fields.items()},
                   value.history)
    if isinstance(value, Lst):  # `rows` ascend: the records keep their order
        sizes = np.zeros(n, dtype=np.int64)
        sizes[rows] = value.sizes()
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        return Lst(level, n, None, value.rec, offsets)
    raise Unsupported(f"`latest` of {type(value).__name__}")


def _pick_lists(test: BoolArray, a: Lst, b: Lst) -> Lst:
    """``if test then a else b`` for two lists per row: each row's records from one of
    them, in their order."""
    if a.rec.history != b.rec.history or set(a.rec.fields) != set(b.rec.fields):
        raise Unsupported("if/else of lists of different records")
    fa, fb = a.filter(test[a.parent]), b.filter(~test[b.parent])
    parent = np.concatenate((fa.parent, fb.parent))
    order = np.argsort(parent, kind="stable")  # a row's records all come from one list
    fields = {k: take_same(_joined(fa.rec.fields[k], fb.rec.fields[k]), order)
              for k in a.rec.fields}
    offsets = np.zeros(a.n + 1, dtype=np.int64)
    np.cumsum(np.bincount(parent, minlength=a.n), out=offsets[1:])
    return Lst(a.level, a.n, parent[order], Rec(a.rec.level, fields, a.rec.history), offsets)


def _joined(x: Any, y: Any) -> Col:
    """The values of two columns of one level and kind, ``x``'s then ``y``'s."""
    if isinstance(x, Bools) and isinstance(y, Bools):
        return Bools(x.level, np.concatenate((x.v, y.v)))
    if isinstance(x, Dates) and isinstance(y, Dates):
        return Dates(x.level, np.concatenate((x.o, y.o)))
    if isinstance(x, Days) and isinstance(y, Days):
        return Days(x.level, np.concatenate((x.d, y.d)))
    if isinstance(x, Durs) and isinstance(y, Durs):
        return Durs(x.level, np.concatenate((x.m, y.m)), np.concatenate((x.d, y.d)))
    if isinstance(x, Num) and isinstance(y, Num) and x.currency == y.currency:
        scale = max(x.scale, y.scale)
        parts = []
        for z in (x, y):
            factor = 10 ** (scale - z.scale)
            if factor > 1 and len(z.u) and int(np.abs(z.u).max()) > _MAXI // factor:
                raise AllUnsure()  # a value beyond 64-bit units at the wider scale
            parts.append(z.u * factor)
        return Num(x.level, np.concatenate(parts), scale, x.currency)
    if isinstance(x, Cats) and isinstance(y, Cats):
        names = tuple(dict.fromkeys((*x.values, *y.values)))
        table = np.array([names.index(v) for v in y.values] + [-1], dtype=np.int32)
        return Cats(x.level, np.concatenate((x.c, table[y.c])).astype(np.int32), names)
    if isinstance(x, (Days, Spans)) and isinstance(y, (Days, Spans)) and not (
            isinstance(x, Spans) and isinstance(y, Spans)):  # in days
        return Days(x.level, np.concatenate((_days(x), _days(y))))
    if (isinstance(x, Pers) and isinstance(y, Pers)) or (isinstance(x, Spans)
                                                         and isinstance(y, Spans)):
        return type(x)(x.level, np.concatenate((x.s, y.s)), np.concatenate((x.e, y.e)))
    if isinstance(x, Rec) and isinstance(y, Rec) and x.history == y.history and \
            set(x.fields) == set(y.fields):
        return Rec(x.level, {k: _joined(x.fields[k], y.fields[k]) for k in x.fields},
                   x.history)
    raise Unsupported(f"if/else of lists of {type(x).__name__} and {type(y).__name__}")


#: The loop kinds with a columnar form (all of them; `latest` over history records).
LOOP_KINDS = I.LOOP_KINDS
