"""Reading the operands of the columnar kernels: a column of a batch, or a value that is
the same for every row (a Python ``int``, ``Decimal``, ``Money``, ``date``,
``Duration``...), as arrays of one kind: numbers as 64-bit units at one scale, dates
and periods as day numbers, durations as months and days, choices as codes into one
tuple of names. Helpers of :mod:`udbudsregler.columnar.evaluate`,
:mod:`udbudsregler.columnar.kernels` and :mod:`udbudsregler.columnar.library`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

import numpy as np

from udbudsregler.columnar.columns import (
    BoolArray,
    Cats,
    Col,
    Dates,
    Days,
    Durs,
    IntArray,
    Lst,
    Num,
    Pers,
    Rec,
    Spans,
    Unsupported,
    add_months,
)
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, MonthEnd, Period, SpanLength

#: The largest 64-bit whole number; a value of 2**62 or more is near enough to it that a
#: sum or product of two may pass it (such rows are decided per record).
_MAXI = 2**63 - 1
_SAFE = 2**62


class BatchView(Protocol):
    """What the kernels read of the evaluation of a batch
    (:class:`udbudsregler.columnar.evaluate.Batch`, which imports them)."""

    #: The policy's month-end rule.
    rule: MonthEnd
    #: The lists whose elements the loop bodies being evaluated are for, outermost first.
    within: list[Lst]

    def flag(self, mask: Any, level: int) -> None:
        """Mark the rows of ``mask`` (values of ``level``) unsure: decided per record."""

    def size(self, level: int) -> int:
        """How many values a column of ``level`` has."""

    def lift(self, value: Any, level: int) -> Any:
        """``value`` read at ``level``: one value per element of the loop bodies around."""

    def bools(self, value: Any, level: int) -> BoolArray:
        """``value`` as true/false for each value of ``level``."""


class AllUnsure(Exception):
    """A part that is the same for every row failed: every row goes per record."""


def _is_number(x: Any) -> bool:
    return type(x) in (int, Decimal, Money)


def _number(x: Any) -> int | Decimal:
    if type(x) is Money:
        amount: Decimal = x.amount
        return amount
    if type(x) in (int, Decimal):
        number: int | Decimal = x
        return number
    raise Unsupported(f"a {type(x).__name__} where a number is meant")


def _places(x: int | Decimal) -> int:
    if type(x) is int:
        return 0
    exponent = x.normalize().as_tuple().exponent  # type: ignore[union-attr]
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _scaled(x: int | Decimal, scale: int) -> int:
    """``x * 10**scale`` as an exact whole number (``scale`` at least ``x``'s places)."""
    return int(Decimal(x).scaleb(scale)) if type(x) is not int else x * 10**scale


def _rescale(batch: BatchView, num: Num, scale: int, level: int) -> IntArray:
    if scale == num.scale:
        return num.u
    factor = 10 ** (scale - num.scale)
    limit = _MAXI // factor
    over = np.abs(num.u) > limit
    if over.any():
        batch.flag(over, level)
        widened: IntArray = np.where(over, 0, num.u) * factor
        return widened
    out: IntArray = num.u * factor
    return out


def _align_pair(batch: BatchView, a: Any, b: Any, level: int, n: int
                ) -> tuple[Any, Any, int, str | None]:
    """Both operands as units of one scale (a scalar as a Python int)."""
    (ua, ub), scale, currency = _align(batch, (a, b), level, n)
    return ua, ub, scale, currency


def _align(batch: BatchView, values: Sequence[Any], level: int, n: int
           ) -> tuple[list[Any], int, str | None]:
    """Numbers (columns or scalars) as units of one scale (a scalar as a Python int; a
    row whose units pass 64 bits is flagged), the scale, and the currency of amounts."""
    currency = next((x.currency for x in values if isinstance(x, Num) and x.currency), None)
    if currency is None:
        currency = next((x.currency for x in values if type(x) is Money), None)
    scale = max(x.scale if isinstance(x, Num) else _places(_number(x)) for x in values)
    if scale > 18:  # a constant with more places than 64-bit units can carry
        raise AllUnsure()
    out: list[Any] = []
    for x in values:
        if isinstance(x, Num):
            out.append(_rescale(batch, x, scale, level))
        else:
            units = _scaled(_number(x), scale)
            if abs(units) > _MAXI:
                batch.flag(np.ones(n, dtype=bool), level)
                units = 0
            out.append(units)
    return out, scale, currency


def _choose(test: BoolArray, a: Any, b: Any) -> Any:
    """``np.where(test, a, b)`` for whole numbers (int arrays or ints; ``test`` an array):
    as ``b + test * (a - b)`` when no step can overflow (both below 2**62 in size). Without
    branches, that is three to five times faster than ``np.where`` on a mask without a
    pattern (0.13-0.2 against 0.72-0.76 ms for 200,000 rows), as a citizen's condition
    is."""
    if _largest(a) >= _SAFE or _largest(b) >= _SAFE:
        return np.where(test, a, b)
    if isinstance(a, (int, np.integer)) and isinstance(b, (int, np.integer)):
        return test * np.int64(int(a) - int(b)) + np.int64(b)
    return test * (np.asarray(a, dtype=np.int64) - b) + b


def _ords(x: Any, n: int) -> Any:
    if isinstance(x, Dates):
        return x.o
    if type(x) is date:
        return x.toordinal()
    raise Unsupported(f"a {type(x).__name__} where a date is meant")


def _days(x: Any) -> Any:
    """A duration in whole days as day counts (``ops._as_duration``): a column of them, a
    length's, or a fixed duration's without months."""
    if isinstance(x, Days):
        return x.d
    if isinstance(x, Spans):
        return x.e - x.s + 1
    if type(x) is SpanLength or (type(x) is Duration and not x.months):
        if abs(x.days) >= _SAFE:  # a fixed duration beyond 64-bit day counts
            raise AllUnsure()
        return x.days
    raise Unsupported(f"a {type(x).__name__} where a duration in days is meant")


def _span_parts(x: Any) -> tuple[Any, Any]:
    """First and last day numbers of a length (a column of them or one ``SpanLength``)."""
    if isinstance(x, Spans):
        return x.s, x.e
    return x.start.toordinal(), x.end.toordinal()


def _has_length(*values: Any) -> bool:
    """Whether a value is a length (which compares anchored at its start: it cannot be
    mixed with durations as day counts, as an if/else or `min`/`max` result)."""
    return any(isinstance(x, Spans) or type(x) is SpanLength for x in values)


def _cats_pair(a: Any, b: Any, n: int) -> tuple[tuple[str, ...], Any, Any]:
    values: tuple[str, ...] = ()
    for x in (a, b):
        if isinstance(x, Cats):
            values = tuple(dict.fromkeys((*values, *x.values)))
        elif isinstance(x, str):
            values = tuple(dict.fromkeys((*values, x)))
        elif x is not None:
            raise Unsupported(f"a {type(x).__name__} where a choice is meant")
    out: list[Any] = []
    for x in (a, b):
        if isinstance(x, Cats) and values[:len(x.values)] == x.values:
            out.append(x.c)  # its codes are already codes into ``values``
        elif isinstance(x, Cats):
            table = np.array([values.index(v) for v in x.values] + [-1], dtype=np.int32)
            out.append(table[x.c])  # code -1 reads the last entry: -1
        else:
            out.append(-1 if x is None else values.index(x))
    return values, out[0], out[1]


def _level(*values: Any) -> int:
    return max(v.level for v in values if isinstance(v, Col))


def _full(out: Any, n: int) -> Any:
    """``out`` as a fresh array of ``n`` items: itself if it is one (a ufunc's result),
    else broadcast (a scalar's)."""
    if isinstance(out, np.ndarray) and out.shape == (n,):
        return out
    return np.broadcast_to(out, (n,)).copy()


def _shift(o: Any, months: int, days: int, rule: MonthEnd) -> Any:
    """``temporal._shift_ordinal``: months by the rule, then days (beyond the calendar too)."""
    if months:
        o, _ = add_months(np.asarray(o, dtype=np.int64), months, rule)
    return o + days


def _calendar(x: Any) -> tuple[Any, Any]:
    """Months and days of a calendar duration: a column of them, day counts, or a fixed
    duration."""
    if isinstance(x, Durs):
        return x.m, x.d
    if isinstance(x, Days):
        return 0, x.d
    if type(x) is Duration:
        fixed = _fixed(x)
        return fixed.months, fixed.days
    raise Unsupported(f"a {type(x).__name__} where a duration is meant")


#: Months a fixed duration may have for the columnar date arithmetic: numpy's calendar
#: (``add_months``) is exact this far beyond the calendar and wraps around in 64 bits
#: somewhere past 3 * 10**17.
_MONTHS = 2**40


def _fixed(x: Duration) -> Duration:
    """A fixed duration the columnar date arithmetic holds exactly (months below 2**40,
    days below 2**62); one beyond (``7 * 123456789012345678901234567890 years``) sends
    every row per record, where it fails or is taken as the per-record evaluators take
    it."""
    if abs(x.months) >= _MONTHS or abs(x.days) >= _SAFE:
        raise AllUnsure()
    return x


def _largest(x: Any) -> int:
    """The largest magnitude among the units ``x`` (an array or a Python int), exactly."""
    if isinstance(x, np.ndarray):
        if len(x) == 0:
            return 0
        return max(abs(int(x.min())), abs(int(x.max())))
    return abs(int(x))


def _months(x: Any) -> bool:
    """Whether ``x`` is a calendar duration (months and days): a column of them, or a
    fixed duration with months."""
    return isinstance(x, Durs) or (type(x) is Duration and x.months != 0)


def _is_duration(x: Any) -> bool:
    return isinstance(x, (Days, Spans)) or type(x) in (Duration, SpanLength)


def _period_parts(x: Any, n: int) -> tuple[Any, Any]:
    """First and last day numbers of a period value (open: OPEN)."""
    if isinstance(x, Pers):
        return x.s, x.e
    if isinstance(x, Rec) and x.history:
        return x.fields["from"].o, x.fields["to"].o
    if type(x) is Period:
        return x.start.toordinal(), (x.end or date.max).toordinal()
    raise Unsupported(f"a {type(x).__name__} where a period is meant")
