"""The fixed function library: what each function accepts, returns and does.

One table: each :class:`Signature` names the function's parameters (with
their defaults), its result type, and its implementation (in
:mod:`udbudsregler.semantics.library`). Arguments reach an implementation
positionally, in the order of ``params``, defaults filled in, then any extra
arguments, then the policy's month-end rule if the function takes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from udbudsregler.semantics import library as L
from udbudsregler.semantics.types import (
    BOOL,
    DATE,
    ERROR,
    HOURS,
    INT,
    PERIOD,
    DurationType,
    ListType,
    MoneyType,
    RecordType,
    Type,
    comparable_durations,
    is_numeric,
)

__all__ = ["FUNCTIONS", "Param", "Signature", "is_comparable", "is_periods"]


@dataclass(frozen=True)
class Param:
    name: str
    accepts: Callable[[Type], bool]
    expects: str  # what to say when the argument does not fit
    default: str | None = None  # expression text of the default, if optional


@dataclass(frozen=True)
class Signature:
    name: str
    params: tuple[Param, ...]
    #: The result type from the argument types (in ``params`` order).
    result: Callable[[list[Type]], Type]
    summary: str
    #: Whether the result depends on the policy's month-end rule.
    month_end: bool = False
    #: Variadic functions (min, max) take any number >= len(params) of positional arguments.
    variadic: bool = False
    #: The implementation: the arguments in the order of ``params`` (defaults filled in),
    #: then any extra arguments, then the policy's month-end rule if ``takes_rule``.
    impl: Callable[..., Any] | None = None
    takes_rule: bool = False


def _is(t: Type) -> Callable[[Type], bool]:
    return lambda u: u == t


def is_periods(t: Type) -> bool:
    """A history, a list of periods, a period, or one history record."""
    if t == PERIOD:
        return True
    if isinstance(t, RecordType):
        return t.history
    if isinstance(t, ListType):
        return t.elem == PERIOD or (isinstance(t.elem, RecordType) and t.elem.history)
    return False


def _calendar_duration(t: Type) -> bool:
    return isinstance(t, DurationType) and t.kind != "span"


def _period_like(t: Type) -> bool:
    return t == PERIOD or (isinstance(t, RecordType) and t.history)


def is_comparable(t: Type) -> bool:
    """Types with an order (for <, min, max)."""
    return (is_numeric(t) or t in (DATE, HOURS) or isinstance(t, (MoneyType, DurationType)))


def _same_comparable(types: list[Type]) -> Type:
    first = types[0]
    for t in types[1:]:
        if first == ERROR or t == ERROR:
            return ERROR
        if is_numeric(first) and is_numeric(t):
            first = first if first == t else _decimal()
        elif isinstance(first, DurationType) and isinstance(t, DurationType):
            if not comparable_durations(first, t) or first != t:
                return ERROR
        elif first != t:
            return ERROR
    return first


def _decimal() -> Type:
    from udbudsregler.semantics.types import DECIMAL

    return DECIMAL


_DATE = "a date"
_PERIODS = "a history, a list of periods, a period or a history record"
_DURATION = "a duration such as `2 years` or `7 days`"
_WINDOW = "a period, e.g. `preceding(today, 2 years)`"

FUNCTIONS: dict[str, Signature] = {s.name: s for s in (
    Signature("age", (Param("birth", _is(DATE), _DATE), Param("on", _is(DATE), _DATE, "today")),
              lambda a: INT,
              "full years from a birth date to a date; a 29 February birthday follows "
              "the policy's month-end rule", month_end=True,
              impl=L.age, takes_rule=True),
    Signature("period", (Param("start", _is(DATE), _DATE), Param("end", _is(DATE), _DATE)),
              lambda a: PERIOD, "the period from one date to another, both days included",
              impl=L.period, takes_rule=False),
    Signature("following", (Param("start", _is(DATE), _DATE),
                            Param("length", _calendar_duration, _DURATION)),
              lambda a: PERIOD,
              "the period of a given length that starts on a date", month_end=True,
              impl=L.following, takes_rule=True),
    Signature("preceding", (Param("end", _is(DATE), _DATE),
                            Param("length", _calendar_duration, _DURATION)),
              lambda a: PERIOD,
              "the period of a given length that ends on a date (the date included)",
              month_end=True,
              impl=L.preceding, takes_rule=True),
    Signature("length", (Param("period", _period_like, "a period or a history record"),),
              lambda a: DurationType("span"), "the length of a closed period",
              impl=L.length, takes_rule=False),
    Signature("day_count", (Param("period", _period_like, "a period or a history record"),),
              lambda a: INT, "the number of days in a closed period",
              impl=L.day_count, takes_rule=False),
    Signature("spells", (Param("history", is_periods, _PERIODS),
                         Param("gap", _calendar_duration, _DURATION, "0 days")),
              lambda a: ListType(PERIOD),
              "periods merged into continuous spells, bridging gaps up to `gap`", month_end=True,
              impl=L.spells, takes_rule=True),
    Signature("spell_length", (Param("history", is_periods, _PERIODS),
                               Param("on", _is(DATE), _DATE, "today"),
                               Param("gap", _calendar_duration, _DURATION, "0 days")),
              lambda a: DurationType("span"),
              "how long the continuous spell covering a date has lasted up to that date "
              "(zero if no spell covers it)", month_end=True,
              impl=L.spell_length, takes_rule=True),
    Signature("covers", (Param("history", is_periods, _PERIODS),
                         Param("on", _is(DATE), _DATE, "today")),
              lambda a: BOOL, "whether some period includes the date",
              impl=L.covers, takes_rule=False),
    Signature("covers_all", (Param("history", is_periods, _PERIODS),
                             Param("window", _is(PERIOD), _WINDOW)),
              lambda a: BOOL, "whether every day of the window is inside some period",
              impl=L.covers_all, takes_rule=False),
    Signature("overlaps", (Param("history", is_periods, _PERIODS),
                           Param("window", _is(PERIOD), _WINDOW)),
              lambda a: BOOL, "whether some period shares at least one day with the window",
              impl=L.overlaps, takes_rule=False),
    Signature("overlap_days", (Param("history", is_periods, _PERIODS),
                               Param("window", _is(PERIOD), _WINDOW)),
              lambda a: INT, "how many days of the window are inside the periods",
              impl=L.overlap_days, takes_rule=False),
    Signature("start_of_month", (Param("date", _is(DATE), _DATE),),
              lambda a: DATE, "the first day of the date's month",
              impl=L.start_of_month, takes_rule=False),
    Signature("end_of_month", (Param("date", _is(DATE), _DATE),),
              lambda a: DATE, "the last day of the date's month",
              impl=L.end_of_month, takes_rule=False),
    Signature("year", (Param("date", _is(DATE), _DATE),), lambda a: INT, "the year of a date",
              impl=L.year, takes_rule=False),
    Signature("month", (Param("date", _is(DATE), _DATE),), lambda a: INT,
              "the month of a date, 1 to 12",
              impl=L.month, takes_rule=False),
    Signature("min", (Param("a", is_comparable, "numbers, amounts, dates, hours or durations"),
                      Param("b", is_comparable, "numbers, amounts, dates, hours or durations")),
              _same_comparable, "the smallest of its arguments", variadic=True,
              impl=L.minimum, takes_rule=True),
    Signature("max", (Param("a", is_comparable, "numbers, amounts, dates, hours or durations"),
                      Param("b", is_comparable, "numbers, amounts, dates, hours or durations")),
              _same_comparable, "the largest of its arguments", variadic=True,
              impl=L.maximum, takes_rule=True),
    Signature("abs", (Param("x", lambda t: is_numeric(t) or t == HOURS or
                            isinstance(t, MoneyType), "a number, an amount or hours"),),
              lambda a: a[0], "the value without its sign",
              impl=L.absolute, takes_rule=False),
)}
