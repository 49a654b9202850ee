"""Operator semantics at run time, shared by the reference interpreter and generated code.

The checker has already made sure the operand types fit; these functions
decide what the operation means for the values (a date plus months follows
the month-end rule, a length compares with months anchored at its start,
decimals use one fixed context so results never depend on the host's).
"""

from __future__ import annotations

import decimal
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from udbudsregler.diagnostics import EvaluationError
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import (
    DateRangeError,
    Duration,
    MonthEnd,
    Period,
    SpanLength,
    add_duration,
    compare_durations,
    compare_length,
    compare_lengths,
)

__all__ = [
    "CONTEXT",
    "OPEN_END",
    "add",
    "budget_error",
    "compare_values",
    "contains",
    "divide",
    "duration_compare",
    "eq",
    "multiply",
    "negate",
    "subtract",
    "to_decimal",
]

#: Every decimal operation of a decision runs in this context, not the host's.
CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN,
                          traps=[decimal.InvalidOperation, decimal.DivisionByZero,
                                 decimal.Overflow])
#: What ``.to`` of an open-ended period reads as: later than any real date.
OPEN_END = date.max


def budget_error(limit: int) -> EvaluationError:
    """A decision that visits more list elements in its loops than ``limit`` (UDB706)."""
    return EvaluationError(
        "UDB706", f"the decision goes through more than {limit} list elements in its loops, "
        "the limit of one decision")


def to_decimal(x: int | Decimal) -> Decimal:
    return x if type(x) is Decimal else Decimal(x)


def _date_error(error: DateRangeError | OverflowError) -> EvaluationError:
    return EvaluationError("UDB701", f"a date falls outside the calendar: {error}")


def _money_error(error: ValueError) -> EvaluationError:
    return EvaluationError("UDB705", f"an amount cannot be computed exactly: {error}")


def add(a: Any, b: Any, rule: MonthEnd) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return a + b
    if ta is date or tb is date:
        d, dur = (a, b) if ta is date else (b, a)
        return _shift(d, dur, rule, 1)
    if ta is Decimal or tb is Decimal:
        return CONTEXT.add(to_decimal(a), to_decimal(b))
    if ta is Money:
        try:
            return a + b
        except ValueError as error:  # more digits than an exact amount keeps
            raise _money_error(error) from None
    if ta in (Duration, SpanLength) and tb in (Duration, SpanLength):
        return _as_duration(a) + _as_duration(b)
    return a + b  # text


def subtract(a: Any, b: Any, rule: MonthEnd) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return a - b
    if ta is date:
        if tb is date:
            return Duration(0, a.toordinal() - b.toordinal())
        return _shift(a, b, rule, -1)
    if ta is Decimal or tb is Decimal:
        return CONTEXT.subtract(to_decimal(a), to_decimal(b))
    if ta is Money:
        try:
            return a - b
        except ValueError as error:
            raise _money_error(error) from None
    if ta in (Duration, SpanLength):
        return _as_duration(a) - _as_duration(b)
    return a - b


def multiply(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return a * b
    if ta is Money or tb is Money:
        try:
            return a * b
        except ValueError as error:
            raise _money_error(error) from None
    if ta in (Duration, SpanLength):
        return _as_duration(a) * b
    if tb in (Duration, SpanLength):
        return _as_duration(b) * a
    return CONTEXT.multiply(to_decimal(a), to_decimal(b))


def divide(a: Any, b: Any) -> Any:
    if b == 0 or (type(b) is Money and b.amount == 0):
        raise EvaluationError("UDB702", "division by zero")
    if type(a) is Money:
        if type(b) is Money:
            return CONTEXT.divide(a.amount, b.amount)
        return Money(CONTEXT.divide(a.amount, to_decimal(b)), a.currency)
    return CONTEXT.divide(to_decimal(a), to_decimal(b))


def negate(a: Any) -> Any:
    if type(a) is SpanLength:
        return -a.to_duration()
    if type(a) is Decimal:  # exact: `-a` would round in the host's decimal context
        return a.copy_negate() if a else a.copy_abs()
    return -a


def _as_duration(x: Duration | SpanLength) -> Duration:
    return x if type(x) is Duration else x.to_duration()  # type: ignore[union-attr]


def _shift(d: date, dur: Any, rule: MonthEnd, sign: int) -> date:
    try:
        if type(dur) is SpanLength:
            return d + timedelta(days=sign * dur.days)
        step: Duration = dur if sign > 0 else -dur
        if not step.months:
            return d + timedelta(days=step.days)
        return add_duration(d, step, rule)
    except (DateRangeError, OverflowError) as error:
        raise _date_error(error) from None


def duration_compare(a: Duration | SpanLength, b: Duration | SpanLength, rule: MonthEnd) -> int:
    """Sign of ``a - b`` for durations the checker allows to be compared."""
    if type(a) is SpanLength:
        if type(b) is SpanLength:
            return compare_lengths(a, b)
        return compare_length(a, b, rule)  # type: ignore[arg-type]
    if type(b) is SpanLength:
        return -compare_length(b, a, rule)  # type: ignore[arg-type]
    return compare_durations(a, b)  # type: ignore[arg-type]


def compare_values(op: str, a: Any, b: Any, rule: MonthEnd) -> bool:
    """``<`` ``<=`` ``>`` ``>=`` ``==`` ``!=`` with the language's meaning."""
    if type(a) in (Duration, SpanLength):
        sign = duration_compare(a, b, rule)
        return bool(_SIGN_TESTS[op](sign))
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def eq(a: Any, b: Any, rule: MonthEnd) -> bool:
    return compare_values("==", a, b, rule)


_SIGN_TESTS = {
    "<": lambda s: s < 0, "<=": lambda s: s <= 0, ">": lambda s: s > 0,
    ">=": lambda s: s >= 0, "==": lambda s: s == 0, "!=": lambda s: s != 0,
}


def period_member(d: date, p: Period) -> bool:
    return p.contains(d)


def contains(b: Any, a: Any, rule: MonthEnd) -> bool:
    """``a in b``: a date inside a period, or an element of a list or set, found by the
    language's ``==``: a length is among durations in days that have as many days (Python's
    ``==`` never equates a length with a duration)."""
    if type(b) is Period:
        return b.contains(a)
    if type(a) in (Duration, SpanLength):
        for x in b:
            if type(a) is SpanLength or type(x) is SpanLength:
                if duration_compare(a, x, rule) == 0:
                    return True
            elif a == x:
                return True
        return False
    return a in b
