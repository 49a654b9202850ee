"""The columnar kernels of the function library (``semantics/library.py``): periods,
spells and their lengths, windows before and after a date, coverage and overlaps of a
history, ages, the calendar functions, ``min``/``max``/``abs``. Registered in
:data:`udbudsregler.columnar.kernels.KERNELS`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from udbudsregler.columnar.columns import (
    ELEMENT,
    OPEN,
    BoolArray,
    Bools,
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
    age,
    month_start,
    split,
)
from udbudsregler.columnar.kernels import (
    KERNELS,
    Kernel,
    _durations_sign,
    kernel,
)
from udbudsregler.columnar.operands import (
    AllUnsure,
    BatchView,
    _align_pair,
    _calendar,
    _days,
    _fixed,
    _has_length,
    _is_number,
    _months,
    _ords,
    _period_parts,
    _span_parts,
)
from udbudsregler.values.temporal import Duration, MonthEnd, Period, SpanLength


class _Many:
    """The periods of a list value per row: row of each period, first and last day."""

    def __init__(self, n: int, parent: IntArray, s: IntArray, e: IntArray) -> None:
        self.n, self.parent, self.s, self.e = n, parent, s, e


def _periods(batch: BatchView, level: int, x: Any) -> _Many | tuple[Any, Any]:
    if isinstance(x, Lst):
        element = x.rec.fields.get(ELEMENT)
        if isinstance(element, Pers):  # a list of periods per citizen
            return _Many(x.n, x.parent, element.s, element.e)
        if not x.rec.history:
            raise Unsupported("history functions over records without periods")
        return _Many(x.n, x.parent, x.rec.fields["from"].o, x.rec.fields["to"].o)
    if isinstance(x, (Pers, Rec)) or type(x) is Period:
        return _period_parts(x, batch.size(level))
    if isinstance(x, list):  # a list of periods that is the same for every row
        n = batch.size(level)
        pairs = [_period_parts(p, n) for p in x]
        k = len(pairs)
        parent = np.repeat(np.arange(n, dtype=np.int64), k)
        s = np.tile(np.array([p[0] for p in pairs], dtype=np.int64), n)
        e = np.tile(np.array([p[1] for p in pairs], dtype=np.int64), n)
        return _Many(n, parent, s, e)
    raise Unsupported(f"a {type(x).__name__} where periods are meant")


def _on_rows(value: Any, rows: IntArray) -> Any:
    """A level-0 value (a date or window per row) read for each period of a list."""
    if isinstance(value, Dates):
        return value.o[rows]
    if isinstance(value, Pers):
        return value.s[rows], value.e[rows]
    if type(value) is date:
        return value.toordinal()
    if type(value) is Period:
        return value.start.toordinal(), (value.end or date.max).toordinal()
    raise Unsupported(f"a {type(value).__name__} where a date or a window is meant")


def _any_rows(mask: Any, parent: IntArray, n: int) -> BoolArray:
    out = np.zeros(n, dtype=bool)
    out[parent[np.broadcast_to(mask, parent.shape)]] = True
    return out


def merge(many: _Many, gap: tuple[Any, Any], rule: MonthEnd) -> tuple[_Many, BoolArray]:
    """``library._merged`` per row: the periods sorted by start and merged into spells,
    bridging gaps up to ``gap`` (months and days, :func:`_gap`: the same for all, or for
    each row); an open spell takes every later period. And the rows whose spells are not
    sure (for the per-record path): a spell's end here is the latest end of the row so
    far, which is its own periods' latest only where each spell starts after every
    earlier period's end. A gap that is not negative makes it so; a negative one
    (``gap=notice - 5 days``) may start a spell inside an earlier one, whose end and
    whose reach for the next period are then its own periods' alone."""
    unsure = np.zeros(many.n, dtype=bool)
    if len(many.parent) == 0:
        return many, unsure
    p, s, e = many.parent, many.s, many.e
    width = OPEN + 2
    if not bool(np.all((p[1:] != p[:-1]) | (s[1:] >= s[:-1]))):  # not yet by start per row
        order = np.argsort(p * width + s, kind="stable")
        p, s, e = p[order], s[order], e[order]
    run = np.maximum.accumulate(p * width + e) - p * width
    first = np.ones(len(p), dtype=bool)
    first[1:] = p[1:] != p[:-1]
    prev = np.empty_like(run)
    prev[1:] = run[:-1]
    prev[0] = 0
    months, days = gap
    if isinstance(months, np.ndarray):  # a gap per row: each period's row's
        months, days = months[p], days[p]
    reach: Any = np.minimum(prev + 1, OPEN)
    beyond: Any = False
    if np.any(months):
        reach, beyond = add_months(reach, months, rule)
    reach = reach + days
    # a reach beyond the calendar either way is the calendar's end, as `library._merged`
    # takes it (its date arithmetic fails there)
    new = first | ((prev != OPEN) & (s > np.where(beyond | (reach < 1), OPEN, reach)))
    unsure[p[new & ~first & (s <= prev)]] = True
    starts = np.flatnonzero(new)
    ends = np.concatenate((starts[1:], [len(p)])) - 1
    return _Many(many.n, p[starts], s[starts], run[ends]), unsure


def _gap(value: Any, n: int) -> tuple[Any, Any]:
    """A gap or a window's length as months and days: two whole numbers for a fixed
    duration (a length counts its days), or two arrays of the ``n`` rows for one per
    citizen (a duration fact, day counts, a length)."""
    if type(value) is SpanLength:
        return 0, value.days
    if type(value) is Duration:
        fixed = _fixed(value)
        return fixed.months, fixed.days
    if isinstance(value, Spans):
        value = Days(value.level, _days(value))
    if not isinstance(value, (Durs, Days)):
        raise Unsupported(f"a {type(value).__name__} where a gap or a window's length is meant")
    months, days = _calendar(value)
    return (np.broadcast_to(np.asarray(months, dtype=np.int64), (n,)),
            np.broadcast_to(np.asarray(days, dtype=np.int64), (n,)))


@kernel("age")
def age_kernel(batch: BatchView, level: int, birth: Any, on: Any) -> Num:
    n = batch.size(level)
    born = np.broadcast_to(_ords(birth, n), (n,)).astype(np.int64)
    day = on if type(on) is date else np.broadcast_to(_ords(on, n), (n,)).astype(np.int64)
    years, bad = age(born, day, batch.rule)
    batch.flag(bad, level)
    return Num(level, years)


@kernel("period")
def period(batch: BatchView, level: int, start: Any, end: Any) -> Pers:
    n = batch.size(level)
    s = np.broadcast_to(_ords(start, n), (n,)).astype(np.int64)
    e = np.broadcast_to(_ords(end, n), (n,)).astype(np.int64)
    batch.flag(e < s, level)
    return Pers(level, s, e)


def _window(batch: BatchView, level: int, day: Any, length: Any, forward: bool) -> Pers:
    """``following`` / ``preceding`` (``library._window``): from or up to ``day``, of
    ``length``, either of them the same for all or one per citizen."""
    n = batch.size(level)
    months, days = (np.broadcast_to(np.asarray(v, dtype=np.int64), (n,))
                    for v in _gap(length, n))
    # a length that is not positive fails per record; so does a day beyond the calendar
    # on the way (months first, then days; past 3 * 10**17 months numpy wraps around)
    batch.flag((months < 0) | ((months == 0) & (days <= 0)), level)
    o = np.broadcast_to(_ords(day, n), (n,)).astype(np.int64)
    sign = 1 if forward else -1
    shifted = o
    if np.any(months):
        shifted, beyond = add_months(o, sign * months, batch.rule)
        batch.flag(beyond, level)
    shifted = shifted + sign * days
    s, e = (o, shifted - 1) if forward else (shifted + 1, o)
    batch.flag((e < s) | (s < 1) | (e > OPEN), level)
    return Pers(level, s, e)


@kernel("following")
def following(batch: BatchView, level: int, start: Any, length: Any) -> Pers:
    return _window(batch, level, start, length, True)


@kernel("preceding")
def preceding(batch: BatchView, level: int, end: Any, length: Any) -> Pers:
    return _window(batch, level, end, length, False)


@kernel("length")
def length(batch: BatchView, level: int, x: Any) -> Spans:
    if isinstance(x, Lst):
        raise Unsupported("`length` of a list")
    s, e = _period_parts(x, batch.size(level))
    batch.flag(e == OPEN, level)
    return Spans(level, s, np.where(e == OPEN, s, e))


@kernel("day_count")
def day_count(batch: BatchView, level: int, x: Any) -> Num:
    spans = length(batch, level, x)
    return Num(level, spans.e - spans.s + 1)


def _one_each(period: tuple[Any, Any], n: int) -> _Many:
    """One period per row (its first and last day numbers) as the periods of a list."""
    return _Many(n, np.arange(n, dtype=np.int64),
                 *(np.broadcast_to(v, (n,)).astype(np.int64) for v in period))


@kernel("spells")
def spells(batch: BatchView, level: int, x: Any, gap: Any) -> Lst:
    many = _periods(batch, level, x)
    if not isinstance(many, _Many):  # one period per row: the spell is the period
        many = _one_each(many, batch.size(level))
    merged, unsure = merge(many, _gap(gap, batch.size(level)), batch.rule)
    batch.flag(unsure, level)
    # periods, as a list written out holds them (`[stay, ...]`): the one form of a list
    # of periods, whatever made it
    rec = Rec(level + 1, {ELEMENT: Pers(level + 1, merged.s, merged.e)})
    return Lst(level, merged.n, merged.parent, rec)


@kernel("spell_length")
def spell_length(batch: BatchView, level: int, x: Any, on: Any, gap: Any) -> Spans:
    many = _periods(batch, level, x)
    n = batch.size(level)
    if not isinstance(many, _Many):
        many = _one_each(many, n)
    merged, unsure = merge(many, _gap(gap, n), batch.rule)
    batch.flag(unsure, level)
    day = np.broadcast_to(np.asarray(_on_rows(on, np.arange(n))), (n,)).astype(np.int64)
    at = day[merged.parent]
    covering = (merged.s <= at) & (at <= merged.e)
    start = np.where(day == OPEN, day, day + 1)
    end = np.where(day == OPEN, day - 1, day)
    start[merged.parent[covering]] = merged.s[covering]
    end[merged.parent[covering]] = at[covering]
    return Spans(level, start, end)


@kernel("covers", "covers_records")
def covers(batch: BatchView, level: int, x: Any, on: Any) -> Bools:
    many = _periods(batch, level, x)
    n = batch.size(level)
    if isinstance(many, _Many):
        day = _on_rows(on, many.parent)
        return Bools(level, _any_rows((many.s <= day) & (day <= many.e), many.parent, n))
    s, e = many
    day = _ords(on, n)
    return Bools(level, np.broadcast_to((s <= day) & (day <= e), (n,)).copy())


def _closed_window(batch: BatchView, level: int, window: Any, n: int) -> tuple[Any, Any]:
    lo, hi = _period_parts(window, n)
    if isinstance(hi, np.ndarray):
        batch.flag(hi == OPEN, level)
    elif hi == OPEN:
        raise AllUnsure()
    return lo, hi


@kernel("covers_all")
def covers_all(batch: BatchView, level: int, x: Any, window: Any) -> Bools:
    n = batch.size(level)
    lo, hi = _closed_window(batch, level, window, n)
    many = _periods(batch, level, x)
    if isinstance(many, _Many):
        merged, _ = merge(many, (0, 0), "clamp")  # no gap: every spell is sure
        lo_r, hi_r = _rows_of(lo, merged.parent), _rows_of(hi, merged.parent)
        return Bools(level, _any_rows((merged.s <= lo_r) & (merged.e >= hi_r),
                                      merged.parent, n))
    s, e = many
    return Bools(level, np.broadcast_to((s <= lo) & (e >= hi), (n,)).copy())


def _rows_of(value: Any, rows: IntArray) -> Any:
    return value[rows] if isinstance(value, np.ndarray) else value


@kernel("overlaps")
def overlaps(batch: BatchView, level: int, x: Any, window: Any) -> Bools:
    n = batch.size(level)
    lo, hi = _period_parts(window, n)
    many = _periods(batch, level, x)
    if isinstance(many, _Many):
        lo_r, hi_r = _rows_of(lo, many.parent), _rows_of(hi, many.parent)
        return Bools(level, _any_rows((many.s <= hi_r) & (many.e >= lo_r), many.parent, n))
    s, e = many
    return Bools(level, np.broadcast_to((s <= hi) & (e >= lo), (n,)).copy())


@kernel("overlap_days")
def overlap_days(batch: BatchView, level: int, x: Any, window: Any) -> Num:
    n = batch.size(level)
    lo, hi = _closed_window(batch, level, window, n)
    many = _periods(batch, level, x)
    if not isinstance(many, _Many):
        s, e = many
        many = _Many(n, np.arange(n, dtype=np.int64), *(
            np.broadcast_to(v, (n,)).astype(np.int64) for v in (s, e)))
    merged, _ = merge(many, (0, 0), "clamp")  # no gap: every spell is sure
    a = np.maximum(merged.s, _rows_of(lo, merged.parent))
    b = np.minimum(merged.e, _rows_of(hi, merged.parent))
    days = np.where(a <= b, b - a + 1, 0)
    return Num(level, _sum_rows(days, merged.parent, n))


def _sum_rows(values: IntArray, rows: IntArray, n: int) -> IntArray:
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, rows, values)
    return out


@kernel("start_of_month")
def start_of_month(batch: BatchView, level: int, d: Any) -> Dates:
    year, month, _ = split(d.o)
    return Dates(level, month_start(year, month))


@kernel("end_of_month")
def end_of_month(batch: BatchView, level: int, d: Any) -> Dates:
    year, month, _ = split(d.o)
    nxt = month_start(year + (month == 12), month % 12 + 1)
    return Dates(level, nxt - 1)


@kernel("year")
def year(batch: BatchView, level: int, d: Any) -> Num:
    return Num(level, split(d.o)[0])


@kernel("month")
def month(batch: BatchView, level: int, d: Any) -> Num:
    return Num(level, split(d.o)[1])


def _extreme(pick_max: bool) -> Kernel:
    def extreme(batch: BatchView, level: int, *values: Any) -> Any:
        n = batch.size(level)
        if any(isinstance(v, Num) for v in values) or all(_is_number(v) or isinstance(v, Num)
                                                          for v in values):
            best = values[0]
            for v in values[1:]:
                ua, ub, scale, currency = _align_pair(batch, best, v, level, n)
                # the first stays unless a later one is strictly better (library._extreme)
                better = (ub > ua) if pick_max else (ub < ua)
                best = Num(level, np.broadcast_to(np.where(better, ub, ua), (n,)).copy(),
                           scale, currency)
            return best
        if all(isinstance(v, Dates) or type(v) is date for v in values):
            out = np.broadcast_to(_ords(values[0], n), (n,)).astype(np.int64)
            for v in values[1:]:
                o = _ords(v, n)
                out = np.where((o > out) if pick_max else (o < out), o, out)
            return Dates(level, out)
        if any(isinstance(v, Days) for v in values) and not _has_length(*values):
            days = np.broadcast_to(_days(values[0]), (n,)).astype(np.int64)
            for v in values[1:]:
                d = _days(v)
                days = np.where((d > days) if pick_max else (d < days), d, days)
            return Days(level, days)
        if all(isinstance(v, Spans) or type(v) is SpanLength for v in values):
            # lengths by their days; the first of equal ones stays (library._extreme)
            start, end = (np.broadcast_to(np.asarray(p, dtype=np.int64), (n,)).copy()
                          for p in _span_parts(values[0]))
            for v in values[1:]:
                s, e = (np.broadcast_to(np.asarray(p, dtype=np.int64), (n,))
                        for p in _span_parts(v))
                days, best = e - s, end - start
                better = (days > best) if pick_max else (days < best)
                start, end = np.where(better, s, start), np.where(better, e, end)
            return Spans(level, start, end)
        if any(_months(v) for v in values) and not _has_length(*values):
            # calendar durations; the first of equal ones stays (library._extreme)
            months, days = (np.broadcast_to(np.asarray(p, dtype=np.int64), (n,)).copy()
                            for p in _calendar(values[0]))
            for v in values[1:]:
                sign = _durations_sign(batch, level, v, Durs(level, months, days))
                better = (sign > 0) if pick_max else (sign < 0)
                m, d = _calendar(v)
                months, days = np.where(better, m, months), np.where(better, d, days)
            return Durs(level, months, days)
        raise Unsupported("`min`/`max` of durations per citizen")
    return extreme


KERNELS["min"] = _extreme(False)
KERNELS["max"] = _extreme(True)


@kernel("abs")
def absolute(batch: BatchView, level: int, x: Any) -> Num:
    if not isinstance(x, Num):
        raise Unsupported(f"`abs` of {type(x).__name__}")
    return Num(level, np.abs(x.u), x.scale, x.currency)
