"""The typed expressions of the rule graph.

Every node carries its type, and where it is written (``loc``, excluded from
equality, so trees compare by structure). Names are resolved: a fact is a
:class:`FactRef`, a named definition of the graph a :class:`NodeRef`, a
quantifier's variable a :class:`Var`, a choice value a :class:`Const` of its
choice's type.

The ``check`` stage writes operators and calls as the author did (:class:`Op`,
:class:`Call`: ``+`` of two types, ``age(birth, on)`` with its defaults filled
in); the ``lower`` stage replaces each by the primitive of the semantic table
that gives its meaning for those types (:class:`Prim`), and makes coercions
explicit. Every backend (the generated code, the interpreter, later the
columnar and SMT backends) walks the lowered tree, so each operation means
the same in all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from udbudsregler.diagnostics import Span
from udbudsregler.expr import ast as A
from udbudsregler.expr.source import SourceExpr
from udbudsregler.semantics.types import Type

__all__ = [
    "FIELD_ACCESS",
    "LOOP_KINDS",
    "And",
    "Call",
    "Const",
    "Criteria",
    "Expr",
    "FactRef",
    "Field",
    "FirstOf",
    "If",
    "ListOf",
    "Loc",
    "Loop",
    "NodeRef",
    "Not",
    "Op",
    "Or",
    "Prim",
    "SetOf",
    "Today",
    "Var",
    "children",
    "map_children",
    "refs",
    "walk",
]


@dataclass(frozen=True, slots=True)
class Loc:
    """Where a node is written: an expression of the policy and a character range in it.

    The file:line:column is worked out only when asked for (an error to report).
    """

    expr: SourceExpr
    pos: A.Pos

    @property
    def span(self) -> Span | None:
        return self.expr.span(self.pos)

    @property
    def text(self) -> str:
        """The author's text of the node."""
        start, end = self.pos
        return self.expr.text[start:end] if end > start else self.expr.text


@dataclass(frozen=True, slots=True)
class Expr:
    """Base class of the typed expressions."""

    type: Type
    loc: Loc | None = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Const(Expr):
    """A constant: a literal, a choice value, or a folded parameter value."""

    value: Any


@dataclass(frozen=True, slots=True)
class FactRef(Expr):
    """A fact the host supplies."""

    name: str


@dataclass(frozen=True, slots=True)
class NodeRef(Expr):
    """A named node of the graph: a parameter, rule, criterion, target group, area, ..."""

    name: str


@dataclass(frozen=True, slots=True)
class Today(Expr):
    """The decision date."""


@dataclass(frozen=True, slots=True)
class Var(Expr):
    """The variable of a quantifier or aggregate."""

    name: str


#: How a field is read: ``key`` a record's field; ``history_to`` the end of a history
#: record (open reads as the latest date); ``history_period`` a history record as a
#: period; ``period_from``/``period_to`` the bounds of a period.
FIELD_ACCESS = ("key", "history_to", "history_period", "period_from", "period_to")


@dataclass(frozen=True, slots=True)
class Field(Expr):
    """``obj.name``: a field of a record, or a bound of a period."""

    obj: Expr
    name: str
    access: Literal["key", "history_to", "history_period", "period_from", "period_to"]


@dataclass(frozen=True, slots=True)
class Not(Expr):
    operand: Expr


@dataclass(frozen=True, slots=True)
class And(Expr):
    """``a and b``: ``b`` is evaluated only if ``a`` is true."""

    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Or(Expr):
    """``a or b``: ``b`` is evaluated only if ``a`` is false."""

    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Op(Expr):
    """An operator as written (checked, not yet lowered): ``+ - * / neg == != < <= > >=
    in``, with its operands."""

    op: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Call(Expr):
    """A call of the function library (checked, not yet lowered): the arguments in the
    order of the function's parameters, defaults filled in, then any extra arguments."""

    func: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Prim(Expr):
    """A primitive of the semantic table (``udbudsregler.semantics.prims``) applied to its
    arguments: what an operator or call means for its argument types."""

    prim: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class If(Expr):
    cond: Expr
    then: Expr
    orelse: Expr


@dataclass(frozen=True, slots=True)
class ListOf(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class SetOf(Expr):
    items: tuple[Expr, ...]


LOOP_KINDS = ("any", "all", "count", "select", "sum", "min", "max", "latest")


@dataclass(frozen=True, slots=True)
class Loop(Expr):
    """A quantifier or an aggregate over a list.

    ``any``/``all``/``count``/``select`` test ``where``; ``sum``/``min``/``max``/
    ``latest`` take ``value`` of the elements that pass ``where``, and give ``default``
    when none does. ``combine`` (set by ``lower``) is the primitive that adds two values
    (``sum``) or says whether the first is better than the second (``min``, ``max``).
    """

    kind: str
    var: str
    source: Expr
    where: Expr | None = None
    value: Expr | None = None
    default: Expr | None = None
    combine: str | None = None


@dataclass(frozen=True, slots=True)
class Criteria(Expr):
    """A target group's criteria, with three values: ``all`` is false as soon as one item
    is false, ``any`` true as soon as one is true, whatever the others; an item whose
    evaluation fails is unknown, and the whole fails only if no item settles it."""

    op: Literal["all", "any", "not"]
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class FirstOf(Expr):
    """The value of the first case whose condition holds, else None (routing: the first
    service area in the priority that the citizen fits)."""

    cases: tuple[tuple[Expr, Expr], ...]


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions, in evaluation order."""
    match node:
        case Field(obj=obj):
            return (obj,)
        case Not(operand=operand):
            return (operand,)
        case And(left=left, right=right) | Or(left=left, right=right):
            return (left, right)
        case Op(args=args) | Call(args=args) | Prim(args=args):
            return args
        case If(cond=cond, then=then, orelse=orelse):
            return (cond, then, orelse)
        case ListOf(items=items) | SetOf(items=items) | Criteria(items=items):
            return items
        case Loop(source=source, where=where, value=value, default=default):
            return tuple(x for x in (source, where, value, default) if x is not None)
        case FirstOf(cases=cases):
            return tuple(x for case in cases for x in case)
    return ()


def map_children(node: Expr, fn: Callable[[Expr], Expr]) -> Expr:
    """A copy of ``node`` with ``fn`` applied to each direct sub-expression."""
    import dataclasses

    match node:
        case Field(obj=obj):
            return dataclasses.replace(node, obj=fn(obj))
        case Not(operand=operand):
            return dataclasses.replace(node, operand=fn(operand))
        case And(left=left, right=right) | Or(left=left, right=right):
            return dataclasses.replace(node, left=fn(left), right=fn(right))
        case Op(args=args) | Call(args=args) | Prim(args=args):
            return dataclasses.replace(node, args=tuple(fn(a) for a in args))
        case If(cond=cond, then=then, orelse=orelse):
            return dataclasses.replace(node, cond=fn(cond), then=fn(then), orelse=fn(orelse))
        case ListOf(items=items) | SetOf(items=items) | Criteria(items=items):
            return dataclasses.replace(node, items=tuple(fn(i) for i in items))
        case Loop(source=source, where=where, value=value, default=default):
            return dataclasses.replace(
                node, source=fn(source), where=fn(where) if where is not None else None,
                value=fn(value) if value is not None else None,
                default=fn(default) if default is not None else None)
        case FirstOf(cases=cases):
            return dataclasses.replace(node, cases=tuple((fn(c), fn(v)) for c, v in cases))
    return node


def walk(node: Expr) -> Iterator[Expr]:
    """Every node of the tree, parents before children (iterative: deep trees are fine)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def refs(node: Expr) -> Iterator[FactRef | NodeRef]:
    """The facts and named nodes the expression reads, in order, with repeats."""
    for sub in walk(node):
        if isinstance(sub, (FactRef, NodeRef)):
            yield sub
