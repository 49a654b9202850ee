"""The expression AST: frozen dataclasses whose positions are data, not identity.

Every node keeps ``pos``, the ``(start, end)`` character offsets of its text
inside the expression string. ``pos`` is excluded from equality and hashing,
so two trees compare by structure, and every later stage can still point at
the source (the loader maps offsets to file:line:column).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

__all__ = [
    "AGGREGATE_KINDS",
    "BINARY_OPS",
    "DURATION_UNITS",
    "QUANTIFIER_KINDS",
    "Aggregate",
    "Binary",
    "BoolLit",
    "Call",
    "DateLit",
    "Expr",
    "If",
    "Keyword",
    "ListLit",
    "Member",
    "MoneyLit",
    "Name",
    "NumberLit",
    "Pos",
    "Quantifier",
    "QuantityLit",
    "SetLit",
    "TextLit",
    "Unary",
    "children",
    "free_names",
    "walk",
]

Pos = tuple[int, int]

#: Units a quantity literal may have, in their canonical (plural) spelling.
DURATION_UNITS = ("years", "months", "weeks", "days", "hours")
QUANTIFIER_KINDS = ("any", "all", "count", "select")
AGGREGATE_KINDS = ("sum", "min", "max", "latest")
BINARY_OPS = ("or", "and", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "+", "-", "*", "/")


@dataclass(frozen=True, slots=True)
class Expr:
    """Base class of all expression nodes."""

    pos: Pos = field(default=(0, 0), compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class BoolLit(Expr):
    value: bool


@dataclass(frozen=True, slots=True)
class NumberLit(Expr):
    """A non-negative number: ``int`` when written without a fraction, else ``Decimal``."""

    value: int | Decimal


@dataclass(frozen=True, slots=True)
class TextLit(Expr):
    value: str


@dataclass(frozen=True, slots=True)
class DateLit(Expr):
    value: date


@dataclass(frozen=True, slots=True)
class QuantityLit(Expr):
    """A duration or a number of hours: ``2 years``, ``7 days``, ``15 hours``."""

    amount: int | Decimal
    unit: str  # one of DURATION_UNITS


@dataclass(frozen=True, slots=True)
class MoneyLit(Expr):
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Name(Expr):
    id: str


@dataclass(frozen=True, slots=True)
class Member(Expr):
    obj: Expr
    name: str


@dataclass(frozen=True, slots=True)
class Keyword(Expr):
    """A named argument of a call: ``gap=1 day``."""

    name: str
    value: Expr


@dataclass(frozen=True, slots=True)
class Call(Expr):
    func: str
    args: tuple[Expr, ...] = ()
    kwargs: tuple[Keyword, ...] = ()


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    op: str  # "-" or "not"
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    op: str  # one of BINARY_OPS
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class If(Expr):
    cond: Expr
    then: Expr
    orelse: Expr


@dataclass(frozen=True, slots=True)
class ListLit(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class SetLit(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Quantifier(Expr):
    """``any(o in offers where ...)``, likewise ``all``, ``count`` and ``select``."""

    kind: str  # one of QUANTIFIER_KINDS
    var: str
    source: Expr
    where: Expr | None = None
    var_pos: Pos = field(default=(0, 0), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Aggregate(Expr):
    """``sum(o.weekly_hours for o in offers where ... else 0 hours)``; also min, max, latest."""

    kind: str  # one of AGGREGATE_KINDS
    value: Expr
    var: str
    source: Expr
    where: Expr | None = None
    default: Expr | None = None
    var_pos: Pos = field(default=(0, 0), compare=False, repr=False)


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``node``, in source order."""
    match node:
        case Member(obj=obj):
            return (obj,)
        case Keyword(value=value):
            return (value,)
        case Call(args=args, kwargs=kwargs):
            return (*args, *kwargs)
        case Unary(operand=operand):
            return (operand,)
        case Binary(left=left, right=right):
            return (left, right)
        case If(cond=cond, then=then, orelse=orelse):
            return (cond, then, orelse)
        case ListLit(items=items) | SetLit(items=items):
            return items
        case Quantifier(source=source, where=where):
            return (source,) if where is None else (source, where)
        case Aggregate(value=value, source=source, where=where, default=default):
            out: list[Expr] = [value, source]
            if where is not None:
                out.append(where)
            if default is not None:
                out.append(default)
            return tuple(out)
        case _:
            return ()


def walk(node: Expr) -> Iterator[Expr]:
    """Every node of the tree, parents before children (iterative: deep trees are fine)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def free_names(node: Expr) -> list[Name]:
    """The ``Name`` nodes that refer outside the expression (not to a quantifier variable)."""
    out: list[Name] = []

    def visit(n: Expr, bound: frozenset[str]) -> None:
        match n:
            case Name(id=ident):
                if ident not in bound:
                    out.append(n)
            case Quantifier(var=var, source=source, where=where):
                visit(source, bound)
                if where is not None:
                    visit(where, bound | {var})
            case Aggregate(value=value, var=var, source=source, where=where, default=default):
                visit(source, bound)
                inner = bound | {var}
                visit(value, inner)
                if where is not None:
                    visit(where, inner)
                if default is not None:
                    visit(default, bound)
            case _:
                for child in children(n):
                    visit(child, bound)

    visit(node, frozenset())
    return out
