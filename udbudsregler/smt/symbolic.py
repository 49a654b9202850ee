"""Symbolic values: what an expression of the rule graph is, as terms of the solver.

Scalars are plain z3 terms: true/false a ``Bool``; whole numbers, dates (day numbers)
and choice values (a number per value name, see :class:`Choices`) an ``Int``; decimals,
hours and amounts a ``Real`` (exact rationals, so money is exact). The structured values
are the classes below. A constant duration stays a
:class:`~udbudsregler.values.temporal.Duration` (month arithmetic needs its parts); a
constant set of literals stays a ``frozenset``.

:class:`NotEncodable` is raised for anything the encoder has no exact encoding of; the
analysis then reports the affected results as unknown, never as a claim.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

__all__ = ["Choices", "NotEncodable", "SDate", "SDays", "SList", "SPeriod", "SRecord",
           "SSpan", "merge"]

Term = Any  # a z3 expression (z3 has no type stubs)


class NotEncodable(Exception):
    """An operation the encoder cannot express exactly."""

    def __init__(self, reason: str, where: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.where = where

    def __str__(self) -> str:
        return f"{self.reason} ({self.where})" if self.where else self.reason


@dataclass(frozen=True)
class SDate:
    """A date: its day number. ``maybe_open``: it may be the open end of a period (later
    than any date), on which no month arithmetic is defined here."""

    n: Term
    maybe_open: bool = False


@dataclass(frozen=True)
class SDays:
    """A duration in days, not known in advance (the difference of two dates)."""

    days: Term


@dataclass(frozen=True)
class SSpan:
    """The length of the inclusive span [start, end] (end = start - 1 is length 0)."""

    start: Term
    end: Term


@dataclass(frozen=True)
class SPeriod:
    """A period [start, end], or from start on when ``open`` holds."""

    start: Term
    end: Term
    open: Term


@dataclass
class SRecord:
    """A record (a history record has a period too). Fields are made on first read."""

    name: str
    make: Callable[[str], Any] | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    period: SPeriod | None = None

    def get(self, name: str) -> Any:
        if name not in self.fields:
            if self.make is None:
                raise NotEncodable(f"the record `{self.name}` has no field `{name}`")
            self.fields[name] = self.make(name)
        return self.fields[name]


@dataclass(frozen=True)
class SList:
    """A list of at most K elements: each slot is (present, element), in list order."""

    slots: tuple[tuple[Term, Any], ...]


class Choices:
    """A number for each choice value name, shared by every policy of one analysis (two
    rounds compare their choices by name)."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def id(self, name: str) -> int:
        return self.ids.setdefault(name, len(self.ids) + 1)

    def name(self, number: int) -> str | None:
        for key, value in self.ids.items():
            if value == number:
                return key
        return None


def merge(cond: Term, a: Any, b: Any) -> Any:
    """``a`` where ``cond`` holds, else ``b``: values of the same shape."""
    if isinstance(a, SDate) and isinstance(b, SDate):
        return SDate(z3.If(cond, a.n, b.n), a.maybe_open or b.maybe_open)
    if isinstance(a, SDays) and isinstance(b, SDays):
        return SDays(z3.If(cond, a.days, b.days))
    if isinstance(a, SSpan) and isinstance(b, SSpan):
        return SSpan(z3.If(cond, a.start, b.start), z3.If(cond, a.end, b.end))
    if isinstance(a, SPeriod) and isinstance(b, SPeriod):
        return SPeriod(z3.If(cond, a.start, b.start), z3.If(cond, a.end, b.end),
                       z3.If(cond, a.open, b.open))
    if z3.is_expr(a) and z3.is_expr(b):
        if z3.is_int(a) and z3.is_real(b):
            a = z3.ToReal(a)
        elif z3.is_real(a) and z3.is_int(b):
            b = z3.ToReal(b)
        return z3.If(cond, a, b)
    if a is None and b is None:
        return None
    if type(a) is type(b) and not isinstance(a, (SList, SRecord)) and a == b:
        return a
    raise NotEncodable("a choice between values of different shapes")
