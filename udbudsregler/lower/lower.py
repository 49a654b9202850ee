"""Stage ``lower``: every operator, call and field access becomes a primitive of the
semantic table, chosen by its operand types.

After this stage the rule graph has no :class:`~udbudsregler.ir.nodes.Op` or
:class:`~udbudsregler.ir.nodes.Call`: each is a :class:`~udbudsregler.ir.nodes.Prim`
naming an entry of :data:`udbudsregler.semantics.prims.PRIMS`. The choices
made here, once, are the ones every backend follows:

- ``+ - *`` of two whole numbers stay whole numbers (``int_add``); anything else
  goes through the exact operations (``add``: decimals in a fixed context,
  amounts, hours, durations);
- a date plus or minus a fixed duration (a literal, or an undated parameter
  holding one) shifts by months through the month-end rule, or by days;
- comparisons of durations are exact (``dur_lt``); a period's length against a
  fixed duration is anchored at the period's start (``len_lt``);
- ``in`` means inside a period, among durations by the language's ``==``, or an
  element of a list or set; a list or set of literals becomes a constant set;
- a whole number where a decimal is meant becomes a decimal (``to_decimal``) at
  the join points: the branches of ``if``, the elements of lists and sets, the
  results of calls and aggregates, the values of decimal parameters;
- parameters' values are folded to constants;
- the combination step of each aggregate is chosen (``sum`` adds with
  ``int_add`` or ``add``, ``min``/``max`` compare with ``lt``/``gt`` or
  ``dur_lt``/``dur_gt``), and an empty ``sum`` without ``else`` gives the zero
  of its type.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import Dated, Node, RuleGraph
from udbudsregler.semantics import ops
from udbudsregler.semantics.constants import zero_of
from udbudsregler.semantics.prims import PRIMS
from udbudsregler.semantics.types import (
    DATE,
    DECIMAL,
    INT,
    PERIOD,
    DurationType,
    ListType,
    RecordType,
    SetType,
    Type,
)
from udbudsregler.values.temporal import Duration

__all__ = ["lower_graph"]

_COMPARE = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_SPAN = DurationType("span")
#: The literal values a constant set may hold (as the generated code always folded them).
_SET_LITERALS = (bool, int, Decimal, str, date)


def lower_graph(graph: RuleGraph) -> RuleGraph:
    """A copy of ``graph`` with every expression lowered."""
    lowering = _Lowering(graph)
    nodes: dict[str, Node] = {}
    for name, node in graph.nodes.items():
        lowered = dataclasses.replace(
            node,
            expr=lowering.lower(node.expr) if node.expr is not None else None,
            values=tuple(Dated(v.start, lowering.parameter_value(v.expr, node.type))
                         for v in node.values))
        nodes[name] = lowered
        lowering.done[name] = lowered
    out = dataclasses.replace(graph, nodes=nodes, lowered=True)
    return out


def _coerce(expr: I.Expr, target: Type) -> I.Expr:
    """``expr`` as a value of ``target``: a whole number where a decimal is meant becomes
    a decimal."""
    if target == DECIMAL and expr.type == INT:
        if isinstance(expr, I.Const) and type(expr.value) is int:
            return I.Const(DECIMAL, Decimal(expr.value), loc=expr.loc)
        return I.Prim(DECIMAL, "to_decimal", (expr,), loc=expr.loc)
    return expr


def _elem(t: Type) -> Type:
    return t.elem if isinstance(t, (ListType, SetType)) else t


def _decimals(value: Any) -> Any:
    if type(value) is int:
        return Decimal(value)
    if isinstance(value, frozenset):
        return frozenset(_decimals(v) for v in value)
    return value


class _Lowering:
    def __init__(self, graph: RuleGraph) -> None:
        self.graph = graph
        #: The lowered nodes so far (each node is lowered after the nodes it reads).
        self.done: dict[str, Node] = {}

    # -- parameters ----------------------------------------------------------

    def parameter_value(self, expr: I.Expr, t: Type) -> I.Expr:
        """A parameter's value, folded: a constant, or a list or set of constants."""
        value = self.lower(expr)
        if t == DECIMAL or _elem(t) == DECIMAL:
            if isinstance(value, I.Const):
                value = I.Const(t if t == DECIMAL else value.type, _decimals(value.value),
                                loc=value.loc)
            elif isinstance(value, I.ListOf):
                value = dataclasses.replace(value, items=tuple(
                    I.Const(DECIMAL, _decimals(i.value), loc=i.loc) if isinstance(i, I.Const)
                    else i for i in value.items))
        return value

    def constant_duration(self, expr: I.Expr) -> Duration | None:
        """The value of a fixed duration: a literal, or an undated parameter holding one."""
        if isinstance(expr, I.Const) and type(expr.value) is Duration:
            return expr.value
        if isinstance(expr, I.NodeRef):
            node = self.done.get(expr.name) or self.graph.nodes.get(expr.name)
            if node is not None and node.kind == "parameter" and len(node.values) == 1 \
                    and node.values[0].start is None:
                value = node.values[0].expr
                if isinstance(value, I.Const) and type(value.value) is Duration:
                    return value.value
        return None

    # -- expressions -----------------------------------------------------------

    def lower(self, expr: I.Expr) -> I.Expr:
        match expr:
            case I.Op():
                return self.op(expr)
            case I.Call():
                return self.call(expr)
            case I.Field(obj=obj, access=access):
                lowered = self.lower(obj)
                if access == "key":
                    return dataclasses.replace(expr, obj=lowered)
                return I.Prim(expr.type, access, (lowered,), loc=expr.loc)
            case I.If(then=then, orelse=orelse):
                return dataclasses.replace(
                    expr, cond=self.lower(expr.cond),
                    then=_coerce(self.lower(then), expr.type),
                    orelse=_coerce(self.lower(orelse), expr.type))
            case I.ListOf(items=items):
                elem = _elem(expr.type)
                return dataclasses.replace(
                    expr, items=tuple(_coerce(self.lower(i), elem) for i in items))
            case I.SetOf(items=items):
                elem = _elem(expr.type)
                members = tuple(_coerce(self.lower(i), elem) for i in items)
                folded = self.constant_set(members)
                if folded is not None:
                    return I.Const(expr.type, folded, loc=expr.loc)
                return dataclasses.replace(expr, items=members)
            case I.Loop():
                return self.loop(expr)
        return I.map_children(expr, self.lower)

    def constant_set(self, items: tuple[I.Expr, ...]) -> frozenset[Any] | None:
        if all(isinstance(i, I.Const) and type(i.value) in _SET_LITERALS for i in items):
            return frozenset(i.value for i in items)  # type: ignore[attr-defined]
        return None

    def op(self, expr: I.Op) -> I.Expr:
        op, t, loc = expr.op, expr.type, expr.loc
        args = tuple(self.lower(a) for a in expr.args)
        if op == "neg":
            (a,) = args
            if isinstance(a, I.Const) and a.value is not None:
                return I.Const(t, ops.negate(a.value), loc=loc)
            return I.Prim(t, "int_neg" if a.type == INT else "neg", args, loc=loc)
        left, right = args
        if op in _COMPARE:
            name = _COMPARE[op]
            if isinstance(left.type, DurationType):
                if left.type == _SPAN and self.constant_duration(expr.args[1]) is not None:
                    return I.Prim(t, f"len_{name}", args, loc=loc)
                return I.Prim(t, f"dur_{name}", args, loc=loc)
            return I.Prim(t, name, args, loc=loc)
        if op in ("in", "not in"):
            negated = op == "not in"
            if right.type == PERIOD:
                return I.Prim(t, "not_in_period" if negated else "in_period", args, loc=loc)
            if isinstance(left.type, DurationType):
                return I.Prim(t, "not_in_durations" if negated else "in_durations", args,
                              loc=loc)
            if isinstance(right, I.ListOf):
                folded = self.constant_set(right.items)
                if folded is not None:
                    right = I.Const(SetType(_elem(right.type)), folded, loc=right.loc)
            return I.Prim(t, "not_in" if negated else "in", (left, right), loc=loc)
        if op in ("+", "-"):
            duration = self.constant_duration(expr.args[1])
            if left.type == DATE and duration is not None:
                sign = 1 if op == "+" else -1
                if duration.months and not duration.days:
                    return I.Prim(t, "date_add_months",
                                  (left, I.Const(INT, sign * duration.months)), loc=loc)
                if duration.days and not duration.months:
                    return I.Prim(t, "date_add_days",
                                  (left, I.Const(DurationType("days"),
                                                    timedelta(days=sign * duration.days))),
                                  loc=loc)
            both_int = left.type == INT and right.type == INT
            if op == "+":
                return I.Prim(t, "int_add" if both_int else "add", args, loc=loc)
            return I.Prim(t, "int_sub" if both_int else "sub", args, loc=loc)
        if op == "*":
            both_int = left.type == INT and right.type == INT
            return I.Prim(t, "int_mul" if both_int else "mul", args, loc=loc)
        assert op == "/", op
        return I.Prim(t, "div", args, loc=loc)

    def call(self, expr: I.Call) -> I.Expr:
        args = tuple(self.lower(a) for a in expr.args)
        func = expr.func
        first = expr.args[0].type if expr.args else None
        if func == "overlaps" and isinstance(first, RecordType) and first.history:
            func = "overlaps_record"
        elif (func == "covers" and isinstance(first, ListType)
              and isinstance(first.elem, RecordType) and first.elem.history):
            func = "covers_records"
        assert func in PRIMS, func
        result: I.Expr = I.Prim(expr.type, func, args, loc=expr.loc)
        if expr.type == DECIMAL:
            result = I.Prim(DECIMAL, "to_decimal", (result,), loc=expr.loc)
        return result

    def loop(self, expr: I.Loop) -> I.Expr:
        t = expr.type
        source = self.lower(expr.source)
        where = self.lower(expr.where) if expr.where is not None else None
        if expr.kind in ("any", "all", "count", "select"):
            return dataclasses.replace(expr, source=source, where=where)
        assert expr.value is not None
        value = self.lower(expr.value)
        default = self.lower(expr.default) if expr.default is not None else None
        if expr.kind == "sum":
            combine = "int_add" if t == INT else "add"
            if default is None:
                default = I.Const(t, zero_of(t, self.graph.header.currency))
            summed: I.Expr = dataclasses.replace(
                expr, source=source, where=where, value=value,
                default=_coerce(default, t), combine=combine)
            return _coerce_result(summed, t)
        better: str | None = None
        if expr.kind in ("min", "max"):
            order = "gt" if expr.kind == "max" else "lt"
            better = f"dur_{order}" if isinstance(t, DurationType) else order
        return dataclasses.replace(
            expr, source=source, where=where, value=_coerce(value, t),
            default=_coerce(default, t) if default is not None else None, combine=better)


def _coerce_result(expr: I.Expr, t: Type) -> I.Expr:
    """A sum of decimals that may have added whole numbers only becomes a decimal."""
    if t == DECIMAL:
        return I.Prim(DECIMAL, "to_decimal", (expr,), loc=expr.loc)
    return expr
