"""Implementations of the function library (signatures: ``semantics.signatures``).

Arguments arrive positionally in the order of the signature's parameters;
functions whose signature says ``month_end`` get the policy's rule last.

The history functions take "periods": a history (a list of records with
``from``/``to``), a list of :class:`Period`, one period, or one record. They
work on ``(start, end)`` pairs taken straight from the records, without
building objects, because they run on the hot path of every decision; the
general functions of :mod:`udbudsregler.values.temporal` are their
reference, and property tests hold the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter
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
    add_months,
)
from udbudsregler.values.temporal import age as _age
from udbudsregler.values.temporal import following as _following
from udbudsregler.values.temporal import preceding as _preceding
from udbudsregler.values.temporal import unchecked_span_length as _span

__all__ = ["covers_records", "overlaps_record", "pairs", "period_of"]

Pair = tuple[date, date | None]
_DAY = timedelta(days=1)


def _range_error(error: Exception) -> EvaluationError:
    return EvaluationError("UDB701", f"a date falls outside the calendar: {error}")


def _duration(x: Duration | SpanLength) -> Duration:
    """A duration argument as a :class:`Duration`. A value typed as a duration in days may
    be a length at run time (``if c then length(p) else 7 days``): it counts its days."""
    return x.to_duration() if type(x) is SpanLength else x  # type: ignore[return-value]


def period_of(x: Any) -> Period:
    """A period from a period value or a history record."""
    if type(x) is Period:
        return x
    return Period(x["from"], x["to"])


def pairs(x: Any) -> list[Pair]:
    """``(start, end)`` pairs of any periods value; ``end`` None means open-ended."""
    t = type(x)
    if t is list:
        out: list[Pair] = []
        for item in x:
            if type(item) is dict:
                out.append((item["from"], item["to"]))
            else:
                out.append((item.start, item.end))
        return out
    if t is Period:
        return [(x.start, x.end)]
    return [(x["from"], x["to"])]


def _merged(items: list[Pair], gap: Duration, rule: MonthEnd) -> list[Pair]:
    """Sorted, merged spells; a gap of up to ``gap`` between two periods is bridged."""
    if not items:
        return []
    items = sorted(items, key=lambda p: p[0])
    out: list[Pair] = []
    start, end = items[0]
    gap_days = gap.days
    months = gap.months
    for s, e in items[1:]:
        if end is None:
            break
        try:
            reach = (end + _DAY + timedelta(days=gap_days) if not months
                     else add_duration(end + _DAY, gap, rule))
        except (OverflowError, DateRangeError):
            reach = date.max
        if s <= reach:
            if e is None or e > end:
                end = e
        else:
            out.append((start, end))
            start, end = s, e
    out.append((start, end))
    return out


def age(birth: date, on: date, rule: MonthEnd) -> int:
    if on < birth:
        raise EvaluationError("UDB705", f"the date {on} is before the birth date {birth}")
    if birth.month == 2 and birth.day == 29:  # the month-end rule decides the birthday
        return _age(birth, on, rule)
    years = on.year - birth.year
    if on.month < birth.month or (on.month == birth.month and on.day < birth.day):
        years -= 1
    return years


def period(start: date, end: date) -> Period:
    if end < start:
        raise EvaluationError("UDB705", f"a period cannot end ({end}) before it starts ({start})")
    return Period(start, end)


def _window(make: Callable[[date, Duration, MonthEnd], Period], day: date, length: Duration,
            rule: MonthEnd) -> Period:
    from udbudsregler.values.canonical import duration_text

    if (length.months, length.days) <= (0, 0) or (length.months <= 0 and length.days <= 0):
        raise EvaluationError("UDB705", f"a window of {duration_text(length)} has no days; "
                              "the length must be positive")
    try:
        return make(day, length, rule)
    except DateRangeError as error:
        raise _range_error(error) from None
    except ValueError:
        raise EvaluationError("UDB705", f"a window of {duration_text(length)} from {day} has "
                              "no days") from None


def following(start: date, length: Duration, rule: MonthEnd) -> Period:
    return _window(_following, start, _duration(length), rule)


def preceding(end: date, length: Duration, rule: MonthEnd) -> Period:
    return _window(_preceding, end, _duration(length), rule)


def length(x: Any) -> SpanLength:
    start, end = pairs(x)[0]
    if end is None:
        raise EvaluationError("UDB705", f"the period from {start} is open-ended and has no length")
    return SpanLength(start, end)


def day_count(x: Any) -> int:
    return length(x).days


def spells(x: Any, gap: Duration, rule: MonthEnd) -> list[Period]:
    return [Period(s, e) for s, e in _merged(pairs(x), _duration(gap), rule)]


def spell_length(x: Any, on: date, gap: Duration, rule: MonthEnd) -> SpanLength:
    """The length of the spell (periods merged across gaps of up to ``gap``) that holds
    ``on``, from its start to ``on``: the spells of :func:`_merged`, but it stops at the
    spell that holds ``on`` or starts after it (the spells come in order of their start,
    and a spell's end only grows while it is merged)."""
    gap = _duration(gap)
    if gap.months or gap.days < 0:
        for s, e in _merged(pairs(x), gap, rule):
            if s <= on and (e is None or on <= e):
                return _span(s, on)
        return _empty(on)
    items = pairs(x)  # a new list
    if not items:
        return _empty(on)
    if len(items) > 1:
        items.sort(key=_start)
    step = _steps.get(gap.days)  # the day after the end, and the gap
    if step is None:
        if len(_steps) >= 64:  # a gap can come from the facts: keep a few
            _steps.clear()
        step = _steps[gap.days] = timedelta(days=gap.days + 1)
    start, end = items[0]
    for s, e in items:
        if start > on:
            break
        if end is None or on <= end:
            return _span(start, on)
        try:
            reach = end + step
        except OverflowError:
            reach = date.max
        if s <= reach:
            if e is None or e > end:
                end = e
        else:
            start, end = s, e
    if start <= on and (end is None or on <= end):
        return _span(start, on)
    return _empty(on)


_start = itemgetter(0)
_steps: dict[int, timedelta] = {}


def _empty(on: date) -> SpanLength:
    """``SpanLength.empty(on)``."""
    return _span(on + _DAY, on) if on != date.max else SpanLength.empty(on)


def covers(x: Any, on: date) -> bool:
    for s, e in pairs(x):
        if s <= on and (e is None or on <= e):
            return True
    return False


def overlaps_record(record: dict[str, Any], window: Period) -> bool:
    """`overlaps` of one history record with a window, without building a period."""
    hi = window.end
    end = record["to"]
    return (hi is None or record["from"] <= hi) and (end is None or end >= window.start)


def covers_records(records: list[dict[str, Any]], on: date) -> bool:
    """`covers` of a history on a date, reading the records directly."""
    for record in records:
        if record["from"] <= on:
            end = record["to"]
            if end is None or on <= end:
                return True
    return False


def _closed(window: Period) -> tuple[date, date]:
    if window.end is None:
        raise EvaluationError("UDB705", f"the window from {window.start} is open-ended")
    return window.start, window.end


def overlaps(x: Any, window: Period) -> bool:
    lo = window.start
    hi = window.end
    for s, e in pairs(x):
        if (hi is None or s <= hi) and (e is None or e >= lo):
            return True
    return False


def overlap_days(x: Any, window: Period) -> int:
    lo, hi = _closed(window)
    total = 0
    for s, e in _merged(pairs(x), Duration(), "clamp"):
        a = max(s, lo)
        b = hi if e is None else min(e, hi)
        if a <= b:
            total += b.toordinal() - a.toordinal() + 1
    return total


def covers_all(x: Any, window: Period) -> bool:
    lo, hi = _closed(window)
    for s, e in _merged(pairs(x), Duration(), "clamp"):
        if s <= lo and (e is None or e >= hi):
            return True
    return False


def first_uncovered(x: Any, window: Period) -> date | None:
    """The first day of the window outside every period (for explanations)."""
    lo, hi = _closed(window)
    day = lo
    for s, e in _merged(pairs(x), Duration(), "clamp"):
        if e is not None and e < day:
            continue
        if s > day:
            return day
        if e is None or e >= hi:
            return None
        day = e + _DAY
    return day if day <= hi else None


def start_of_month(d: date) -> date:
    return d.replace(day=1)


def end_of_month(d: date) -> date:
    try:
        return add_months(d.replace(day=1), 1, "clamp") - _DAY
    except (DateRangeError, OverflowError):
        return date(d.year, 12, 31)


def year(d: date) -> int:
    return d.year


def month(d: date) -> int:
    return d.month


def _extreme(values: tuple[Any, ...], rule: MonthEnd, pick_max: bool) -> Any:
    from udbudsregler.semantics.ops import compare_values

    best = values[0]
    for v in values[1:]:
        if compare_values(">" if pick_max else "<", v, best, rule):
            best = v
    return best


def minimum(*args: Any) -> Any:
    *values, rule = args
    return _extreme(tuple(values), rule, pick_max=False)


def maximum(*args: Any) -> Any:
    *values, rule = args
    return _extreme(tuple(values), rule, pick_max=True)


def absolute(x: Any) -> Any:
    if type(x) is Money:
        return Money(x.amount.copy_abs(), x.currency)
    if type(x) is Decimal:
        return x.copy_abs()  # exact: `abs()` would round in the host's decimal context
    return abs(x)
