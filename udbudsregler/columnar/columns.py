"""The values of the columnar backend: one column per expression, numpy arrays inside.

A value is either a *scalar* (a Python value, exactly as the per-record evaluators
hold it: the same for every row of the batch) or a column object below. A column has a
``level``: 0 for one value per citizen, 1 for one value per element of a list the
citizen has (the body of a quantifier), 2 for one value per element of a list read in
that body (a quantifier inside a quantifier), and so on. A column read at a deeper level
is broadcast to the elements by their ``parent``, level by level; a list read at a deeper
level becomes, for each element, the records of its row
(:meth:`udbudsregler.columnar.evaluate.Batch.list_per_element`).

- :class:`Bools`: ``bool`` values.
- :class:`Num`: whole numbers, decimals, hours and amounts as exact scaled integers:
  the value is ``units / 10**scale`` (int64). Amounts are in the policy's currency.
- :class:`Dates`: day numbers (``date.toordinal()``); an open end is
  :data:`OPEN` (``date.max``), as ``history_to`` and ``period_to`` read it.
- :class:`Cats`: choices and texts as codes into ``values`` (-1: none).
- :class:`Pers`: periods (first and last day numbers; :data:`OPEN` for an open end).
- :class:`Spans`: lengths of spans (``SpanLength``: first and last day).
- :class:`Days`: durations in whole days (``Duration(0, d)``): the days between two
  dates (``today - since``), and sums and differences of them.
- :class:`Durs`: calendar durations (``Duration(m, d)``): a duration fact
  (``4 months``), and sums and multiples of it.
- :class:`Lst`: a list of records per row: the records' fields as columns one level
  down, and the row (``parent``) each record belongs to, rows ascending.
- :class:`Rec`: a record: its fields as columns of the record's level.

The date kernels here (:func:`split`, :func:`join`, :func:`add_months`, :func:`age`) are
the vector forms of :mod:`udbudsregler.values.temporal`; a property test holds them to
the scalar functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from udbudsregler.values.temporal import MonthEnd

__all__ = [
    "ELEMENT",
    "OPEN",
    "Bools",
    "Cats",
    "Col",
    "Dates",
    "Days",
    "Durs",
    "Lst",
    "Num",
    "Opaque",
    "Pers",
    "Rec",
    "Spans",
    "Unsupported",
    "add_months",
    "age",
    "at_level",
    "join",
    "parents",
    "running",
    "split",
    "take_same",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: The one field of the records of a list of plain values (a list written out, a
#: constant list, spells: no field name is empty).
ELEMENT = ""
#: The day number of an open end (``ops.OPEN_END``, ``date.max``).
OPEN = date.max.toordinal()
#: ``date.toordinal()`` of 1970-01-01: numpy's and Arrow's day 0.
EPOCH = 719163
_MIN = 1
_MAX = OPEN


@dataclass
class Col:
    level: int

    def take(self, index: IntArray) -> Col:  # pragma: no cover - every kind overrides
        raise NotImplementedError


@dataclass
class Bools(Col):
    v: BoolArray

    def take(self, index: IntArray) -> Bools:
        return Bools(self.level + 1, self.v[index])


@dataclass
class Num(Col):
    u: IntArray
    scale: int = 0
    #: The currency of an amount; None for a number or hours.
    currency: str | None = None

    def take(self, index: IntArray) -> Num:
        return Num(self.level + 1, self.u[index], self.scale, self.currency)


@dataclass
class Dates(Col):
    o: IntArray

    def take(self, index: IntArray) -> Dates:
        return Dates(self.level + 1, self.o[index])


@dataclass
class Cats(Col):
    c: npt.NDArray[np.int32]
    values: tuple[str, ...]

    def take(self, index: IntArray) -> Cats:
        return Cats(self.level + 1, self.c[index], self.values)


@dataclass
class Pers(Col):
    s: IntArray
    e: IntArray

    def take(self, index: IntArray) -> Pers:
        return Pers(self.level + 1, self.s[index], self.e[index])


@dataclass
class Spans(Col):
    s: IntArray
    e: IntArray

    def take(self, index: IntArray) -> Spans:
        return Spans(self.level + 1, self.s[index], self.e[index])


@dataclass
class Days(Col):
    d: IntArray

    def take(self, index: IntArray) -> Days:
        return Days(self.level + 1, self.d[index])


@dataclass
class Durs(Col):
    m: IntArray
    d: IntArray

    def take(self, index: IntArray) -> Durs:
        return Durs(self.level + 1, self.m[index], self.d[index])


@dataclass
class Rec(Col):
    fields: dict[str, Any] = field(default_factory=dict)
    #: A history record: ``from`` and ``to`` are among the fields (``to`` OPEN if open).
    history: bool = False

    def take(self, index: IntArray) -> Rec:
        return Rec(self.level + 1, {k: (v.take(index) if isinstance(v, Col) else v)
                                    for k, v in self.fields.items()}, self.history)


@dataclass
class Lst(Col):
    #: The number of rows (of ``level``) the records belong to.
    n: int
    #: For each record, its row (ascending): :attr:`parent`; None while it is not needed
    #: and ``offsets`` give it (computing it is a pass over every record).
    known_parent: IntArray | None
    #: The records (level ``level + 1``).
    rec: Rec
    #: Where each row's records start (``n + 1`` ascending, from 0), if known: per-row
    #: counts are then differences of running sums, without ``parent``.
    offsets: IntArray | None = None

    @property
    def parent(self) -> IntArray:
        """For each record, its row; ascending."""
        if self.known_parent is None:
            assert self.offsets is not None, "a list without parents or offsets"
            self.known_parent = parents(self.offsets)
        return self.known_parent

    def records(self) -> int:
        """How many records all the rows have."""
        if self.known_parent is None and self.offsets is not None:
            return int(self.offsets[-1])
        return len(self.parent)

    def take(self, index: IntArray) -> Col:
        # a list read one level down is Batch.list_per_element (which bounds the copies
        # a row makes), as a field of a record too (Batch.per_element)
        raise Unsupported("a list read inside a loop other than by Batch.per_element")

    def gather(self, index: IntArray, level: int, counts: IntArray | None = None) -> Lst:
        """The lists of the rows ``index``, in that order, as a list of ``level`` with
        ``len(index)`` rows (its records at ``level + 1``); ``counts``: how many of each
        picked row's records to take, from its first (all of them if None)."""
        sizes = self.sizes()
        starts = np.cumsum(sizes) - sizes
        taken = sizes[index] if counts is None else counts
        offsets = np.zeros(len(index) + 1, dtype=np.int64)
        np.cumsum(taken, out=offsets[1:])
        element = parents(offsets)
        picked = starts[index][element] + (np.arange(len(element)) - offsets[element])
        return Lst(level, len(index), element, at_level(self.rec.take(picked), level + 1),
                   offsets)

    def filter(self, keep: BoolArray) -> Lst:
        where = np.flatnonzero(keep)
        rec = Rec(self.rec.level, {k: (take_same(v, where) if isinstance(v, Col) else v)
                                   for k, v in self.rec.fields.items()}, self.rec.history)
        if self.offsets is None:
            return Lst(self.level, self.n, self.parent[where], rec)
        return Lst(self.level, self.n, None, rec, running(keep)[self.offsets])

    def hits(self, keep: BoolArray) -> IntArray:
        """How many of each row's records ``keep`` holds."""
        if self.offsets is not None:
            total = running(keep)
            out: IntArray = (total[self.offsets[1:]] - total[self.offsets[:-1]]).astype(
                np.int64)
            return out
        return np.bincount(self.parent[keep], minlength=self.n).astype(np.int64)

    def sizes(self) -> IntArray:
        """How many records each row has."""
        if self.offsets is not None:
            return np.diff(self.offsets)
        return np.bincount(self.parent, minlength=self.n).astype(np.int64)


def running(keep: BoolArray) -> Any:
    """0 and the running sums of ``keep``: ``out[j]`` is how many of the first j hold (in
    32 bits when they fit)."""
    width = np.int32 if len(keep) < 2**31 else np.int64
    out = np.empty(len(keep) + 1, dtype=width)
    out[0] = 0
    np.cumsum(keep.view(np.uint8), out=out[1:], dtype=width)
    return out


def parents(offsets: IntArray) -> IntArray:
    """The row of each record, from the rows' ``offsets`` (ascending, from 0)."""
    total = int(offsets[-1])
    marks = np.bincount(offsets[1:-1], minlength=total + 1)[:total]
    out: IntArray = np.cumsum(marks, dtype=np.int64)
    return out


_C = TypeVar("_C", bound=Col)


def take_same(col: Col, index: IntArray) -> Col:
    """``col`` at ``index``, on its own level."""
    return at_level(col.take(index), col.level)


def at_level(col: _C, level: int) -> _C:
    """``col`` (a column just made) moved to ``level``, with the records of a record or a
    list (a record's fields are of its level; a list's records one level down)."""
    col.level = level
    if isinstance(col, Rec):
        for value in col.fields.values():
            if isinstance(value, Col):
                at_level(value, level)
    elif isinstance(col, Lst):
        at_level(col.rec, level + 1)
    return col


@dataclass
class Opaque(Col):
    """A fact the columnar evaluation cannot read (a duration column that is not text):
    every row is checked as ``decide`` checks it, and a rule that reads it is not
    columnar."""

    what: str = ""

    def take(self, index: IntArray) -> Col:
        raise Unsupported(self.what)


class Unsupported(Exception):
    """A part of the policy the columnar backend does not evaluate (it is then decided
    per record, with a note saying so)."""


# -- dates -------------------------------------------------------------------------


def split(o: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Year, month (1-12) and day of each day number."""
    d = (o - EPOCH).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    months = m.astype(np.int64)
    year = months // 12 + 1970
    month = months % 12 + 1
    day = (d - m.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def month_start(year: IntArray, month: IntArray) -> IntArray:
    """The day number of the first day of each month."""
    months = (year - 1970) * 12 + (month - 1)
    out: IntArray = months.astype("datetime64[M]").astype("datetime64[D]").astype(
        np.int64) + EPOCH
    return out


def join(year: IntArray, month: IntArray, day: IntArray) -> IntArray:
    return month_start(year, month) + (day - 1)


def is_leap(year: IntArray) -> BoolArray:
    out: BoolArray = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return out


def add_months(o: IntArray, months: int | IntArray, rule: MonthEnd
               ) -> tuple[IntArray, BoolArray]:
    """``temporal.add_months`` of each day number; and where the result leaves the
    calendar (the per-record evaluators fail there)."""
    year, month, day = split(o)
    total = year * 12 + (month - 1) + months
    ty = total // 12
    tm = total % 12 + 1
    first = month_start(ty, tm)
    length = month_start(ty + (tm == 12), tm % 12 + 1) - first
    if rule == "clamp":
        out = first + np.minimum(day, length) - 1
    else:
        out = np.where(day > length, first + length, first + day - 1)
    bad = (ty < 1) | (ty > 9999) | (out < _MIN) | (out > _MAX)
    return out, bad


def age(birth: IntArray, on: date | IntArray, rule: MonthEnd) -> tuple[IntArray, BoolArray]:
    """``library.age`` of each birth date on ``on`` (one date, or a day number for each
    row); and where it fails (``on`` before the birth)."""
    year, month, day = split(birth)
    on_year: Any
    on_month: Any
    on_day: Any
    on_number: Any
    if isinstance(on, date):
        on_year, on_month, on_day, on_number = on.year, on.month, on.day, on.toordinal()
    else:
        on_year, on_month, on_day = split(on)
        on_number = on
    leap = is_leap(np.asarray(on_year, dtype=np.int64))
    # born on 29 February: a year older on 28 February (clamp) or 1 March (roll) of a
    # year that is not a leap year
    moved = (month == 2) & (day == 29) & ~leap
    if moved.any():
        if rule == "clamp":
            day = np.where(moved, 28, day)
        else:
            month = np.where(moved, 3, month)
            day = np.where(moved, 1, day)
    years = on_year - year - ((on_month < month) | ((on_month == month) & (on_day < day)))
    return years, birth > on_number
