"""The columnar kernels of the operators: one per primitive of the semantic table
(:data:`udbudsregler.semantics.prims.PRIMS`) that can meet a column, in :data:`KERNELS`:
comparisons, arithmetic of numbers, amounts, dates and durations (division exactly, by
long division of the units), membership, and the fields of periods and history records.
The functions of the library (periods, spells, windows) are in
:mod:`udbudsregler.columnar.library`, which registers its kernels here too.

Each kernel takes the batch, the level of its operands and the operands, and answers
for every row, or marks rows *unsure* (``batch.flag``) for the per-record path, or
raises :class:`~udbudsregler.columnar.columns.Unsupported`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from udbudsregler.columnar.columns import (
    ELEMENT,
    OPEN,
    BoolArray,
    Bools,
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
from udbudsregler.columnar.operands import (
    _MAXI,
    _SAFE,
    AllUnsure,
    BatchView,
    _align_pair,
    _calendar,
    _cats_pair,
    _days,
    _fixed,
    _full,
    _has_length,
    _is_duration,
    _is_number,
    _largest,
    _months,
    _number,
    _ords,
    _period_parts,
    _places,
    _scaled,
    _shift,
)
from udbudsregler.semantics.prims import PRIMS
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, Period, SpanLength

Kernel = Callable[..., Any]
#: The kernel of each primitive that has one, by the primitive's name.
KERNELS: dict[str, Kernel] = {}


def kernel(*names: str) -> Callable[[Kernel], Kernel]:
    def register(fn: Kernel) -> Kernel:
        for name in names:
            assert name in PRIMS, name
            KERNELS[name] = fn
        return fn
    return register


_CMP = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
        "gt": np.greater, "ge": np.greater_equal}


def _compare(op: str) -> Kernel:
    ufunc = _CMP[op]

    def compare(batch: BatchView, level: int, a: Any, b: Any) -> Bools:
        n = batch.size(level)
        if isinstance(a, Bools) or isinstance(b, Bools):
            if op not in ("eq", "ne"):
                raise Unsupported(f"`{op}` of true/false values")
            return Bools(level, ufunc(batch.bools(a, level), batch.bools(b, level)))
        if isinstance(a, Num) and isinstance(b, Num):
            ua, ub, _, _ = _align_pair(batch, a, b, level, n)
            return Bools(level, _int_compare(ufunc, ua, ub, n))
        if isinstance(a, Num) or isinstance(b, Num):
            col, x, flip = (a, b, False) if isinstance(a, Num) else (b, a, True)
            return Bools(level, _compare_constant(op, col, _number(x), flip, n))
        if isinstance(a, Dates) or isinstance(b, Dates):
            return Bools(level, ufunc(_ords(a, n), _ords(b, n)))
        if isinstance(a, Cats) or isinstance(b, Cats):
            if op not in ("eq", "ne"):
                raise Unsupported(f"`{op}` of texts or choices")
            _, ca, cb = _cats_pair(a, b, n)
            # no value (-1, a first-of that found nothing) equals only no value: None == None
            return Bools(level, _full(ufunc(ca, cb), n))
        if isinstance(a, (Spans, Days)) or isinstance(b, (Spans, Days)):
            spans: Bools = _duration_compare(op)(batch, level, a, b)
            return spans
        if op in ("eq", "ne") and all(isinstance(x, Pers) or type(x) is Period
                                      for x in (a, b)):
            (sa, ea), (sb, eb) = _period_parts(a, n), _period_parts(b, n)
            # an open end and one on the calendar's last day are one day number here, not
            # equal periods per record: rows with that day number on both sides are decided
            # per record (one side's alone is unequal to the other's either way)
            batch.flag(np.broadcast_to((ea == OPEN) & (eb == OPEN), (n,)), level)
            same = np.broadcast_to((sa == sb) & (ea == eb), (n,))
            return Bools(level, (same if op == "eq" else ~same).copy())
        raise Unsupported(f"`{op}` of {type(a).__name__} and {type(b).__name__}")
    return compare


def _int_compare(ufunc: Any, a: Any, b: Any, n: int) -> BoolArray:
    """Compare units; a Python int beyond 64 bits compares by its sign (every column value
    lies strictly inside the int64 range)."""
    if isinstance(a, int) and abs(a) > _MAXI:
        a = np.full(n, 1 if a > 0 else -1, dtype=np.int64)
        b = np.zeros(n, dtype=np.int64)
    elif isinstance(b, int) and abs(b) > _MAXI:
        a = np.zeros(n, dtype=np.int64)
        b = np.full(n, 1 if b > 0 else -1, dtype=np.int64)
    out: BoolArray = _full(ufunc(a, b), n)
    return out


_FLIP = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


def _compare_constant(op: str, col: Num, x: int | Decimal, flip: bool, n: int) -> BoolArray:
    """``units/10**scale <op> x`` exactly, without widening the column: ``x`` scaled to the
    column's units is compared by its floor and ceiling when it is not whole."""
    if flip:
        op = _FLIP[op]
    y = Decimal(x).scaleb(col.scale)
    floor, ceil = int(y.to_integral_value("ROUND_FLOOR")), int(y.to_integral_value(
        "ROUND_CEILING"))
    whole = floor == ceil
    u = col.u
    if op == "eq":
        out = (u == floor) if whole and abs(floor) <= _MAXI else np.zeros(n, dtype=bool)
    elif op == "ne":
        out = (u != floor) if whole and abs(floor) <= _MAXI else np.ones(n, dtype=bool)
    elif op == "lt":
        out = u < ceil if abs(ceil) <= _MAXI else np.full(n, ceil > 0)
    elif op == "le":
        out = u <= floor if abs(floor) <= _MAXI else np.full(n, floor > 0)
    elif op == "gt":
        out = u > floor if abs(floor) <= _MAXI else np.full(n, floor < 0)
    else:
        out = u >= ceil if abs(ceil) <= _MAXI else np.full(n, ceil < 0)
    result: BoolArray = _full(out, n)
    return result


for _op in _CMP:
    kernel(_op)(_compare(_op))


def _span_sign(batch: BatchView, span: Spans, dur: Any) -> Any:
    """The sign of ``span - dur`` (``temporal.compare_length``)."""
    if isinstance(dur, Spans):
        x, y = span.e - span.s, dur.e - dur.s
        return np.sign(x - y)
    if type(dur) is SpanLength or isinstance(dur, Days):
        return np.sign((span.e - span.s + 1) - _days(dur))
    if isinstance(dur, Durs):  # anchored at the span's start, months first
        # months below 2**62 (_durs_times): add_months cannot wrap around; it flags a
        # target beyond the calendar (compare_length answers those per record)
        target, bad = add_months(span.s, dur.m, batch.rule)
        batch.flag(bad, dur.level)
        target = target + dur.d
        limit = span.e + 1
        return (target < limit).astype(np.int64) - (target > limit)
    if type(dur) is not Duration:
        raise Unsupported("a length compared with a duration that is not the same for all")
    dur = _fixed(dur)
    target = _shift(span.s, dur.months, dur.days, batch.rule)
    limit = span.e + 1
    return (target < limit).astype(np.int64) - (target > limit)


def _calendar_sign(batch: BatchView, level: int, a: Any, b: Any) -> Any:
    """The sign of ``a - b`` where one is a calendar duration per row and the other a
    length (``ops.duration_compare``): anchored at the length's start."""
    if isinstance(a, Durs) and isinstance(b, Spans):
        return -_span_sign(batch, b, a)
    if isinstance(b, Durs) and isinstance(a, Spans):
        return _span_sign(batch, a, b)
    if isinstance(a, Durs) and type(b) is SpanLength:
        return -_span_sign(batch, _fixed_span(a, b), a)
    if isinstance(b, Durs) and type(a) is SpanLength:
        return _span_sign(batch, _fixed_span(b, a), b)
    if any(isinstance(x, Spans) for x in (a, b)):
        raise Unsupported("a length compared with a duration that is not the same for all")
    return _durations_sign(batch, level, a, b)


def _durations_sign(batch: BatchView, level: int, a: Any, b: Any) -> Any:
    """The sign of ``a - b`` of two calendar durations, one of them per row or both
    (``temporal.compare_durations``): by months where both have no days, by days where
    both have no months; a row with neither (zero against a duration of both, or
    durations that do not compare: an error) is decided per record."""
    n = batch.size(level)
    ma, da, mb, db = (np.broadcast_to(np.asarray(v, dtype=np.int64), (n,))
                      for part in (_calendar(a), _calendar(b)) for v in part)
    months_only = (da == 0) & (db == 0)
    days_only = (ma == 0) & (mb == 0)
    near = (np.abs(ma) >= _SAFE) | (np.abs(mb) >= _SAFE) | (np.abs(da) >= _SAFE) | (
        np.abs(db) >= _SAFE)  # a difference could pass 64 bits
    batch.flag(~(months_only | days_only) | near, level)
    with np.errstate(over="ignore"):
        return np.where(months_only, np.sign(ma - mb), np.sign(da - db))


def _fixed_span(durs: Durs, length: SpanLength) -> Spans:
    """A length that is the same for every row, as a column of the rows of ``durs``."""
    n = len(durs.m)
    return Spans(durs.level, np.full(n, length.start.toordinal(), dtype=np.int64),
                 np.full(n, length.end.toordinal(), dtype=np.int64))


def _days_sign(batch: BatchView, level: int, days: Days, other: Any) -> Any:
    """The sign of ``days - other`` (``ops.duration_compare``): day counts (the checker
    refuses a duration in days compared with one in months, UDB408)."""
    if type(other) is Duration and other.months:
        raise Unsupported("a duration in days compared with one in months")
    return np.sign(days.d - _days(other))


_SIGN = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
         "gt": np.greater, "ge": np.greater_equal}


def _duration_compare(op: str) -> Kernel:
    test = _SIGN[op]

    def compare(batch: BatchView, level: int, a: Any, b: Any) -> Bools:
        if isinstance(a, Durs) or isinstance(b, Durs):
            sign = _calendar_sign(batch, level, a, b)
        elif isinstance(a, Spans):
            sign = _span_sign(batch, a, b)
        elif isinstance(b, Spans):
            sign = -_span_sign(batch, b, a)
        elif isinstance(a, Days):
            sign = _days_sign(batch, level, a, b)
        elif isinstance(b, Days):
            sign = -_days_sign(batch, level, b, a)
        else:
            raise Unsupported("durations that differ per citizen")
        return Bools(level, test(sign, 0))
    return compare


for _op in _CMP:
    kernel(f"dur_{_op}", f"len_{_op}")(_duration_compare(_op))


def _checked(batch: BatchView, level: int, a: Any, b: Any, op: str) -> Num:
    n = batch.size(level)
    ua, ub, scale, currency = _align_pair(batch, a, b, level, n)
    for x in (ua, ub):
        if isinstance(x, int) and abs(x) >= _SAFE:
            batch.flag(np.ones(n, dtype=bool), level)
    with np.errstate(over="ignore"):
        if op == "add":
            out = np.asarray(ua + ub, dtype=np.int64)
        else:
            out = np.asarray(ua - ub, dtype=np.int64)
        if _largest(ua) + _largest(ub) >= _SAFE:  # only then can a row come near 2**62
            if op == "add":
                over = np.abs(np.asarray(ua, dtype=np.float64)
                              + np.asarray(ub, dtype=np.float64)) >= _SAFE
            else:
                over = np.abs(np.asarray(ua, dtype=np.float64)
                              - np.asarray(ub, dtype=np.float64)) >= _SAFE
            batch.flag(np.broadcast_to(over, (n,)), level)
    return Num(level, _full(out, n), scale, currency)


def _multiply(batch: BatchView, level: int, a: Any, b: Any) -> Num:
    n = batch.size(level)
    parts: list[tuple[Any, int, str | None]] = []
    for x in (a, b):
        if isinstance(x, Num):
            parts.append((x.u, x.scale, x.currency))
        else:
            value = _number(x)
            places = _places(value)
            units = _scaled(value, places)
            if abs(units) >= _SAFE:
                batch.flag(np.ones(n, dtype=bool), level)
                units = 0
            parts.append((units, places, x.currency if type(x) is Money else None))
    (ua, sa, ca), (ub, sb, cb) = parts
    if _largest(ua) * _largest(ub) >= _SAFE:  # only then can a row come near 2**62
        bound = np.abs(np.asarray(ua, dtype=np.float64)) * np.abs(np.asarray(ub,
                                                                         dtype=np.float64))
        batch.flag(np.broadcast_to(bound >= _SAFE, (n,)), level)
    with np.errstate(over="ignore"):
        out = np.asarray(ua * ub, dtype=np.int64)
    if sa + sb > 36:
        raise Unsupported("a product with more than 36 decimal places")
    return Num(level, _full(out, n), sa + sb, ca or cb)


@kernel("int_add")
def int_add(batch: BatchView, level: int, a: Any, b: Any) -> Num:
    return _checked(batch, level, a, b, "add")


@kernel("int_sub")
def int_sub(batch: BatchView, level: int, a: Any, b: Any) -> Num:
    return _checked(batch, level, a, b, "sub")


@kernel("int_mul")
def int_mul(batch: BatchView, level: int, a: Any, b: Any) -> Num:
    return _multiply(batch, level, a, b)


@kernel("int_neg", "neg")
def negate(batch: BatchView, level: int, a: Any) -> Num | Days | Durs:
    if isinstance(a, (Days, Spans)):  # a length negated is a duration (ops.negate)
        return Days(level, -_days(a))
    if isinstance(a, Durs):
        return Durs(level, -a.m, -a.d)
    if not isinstance(a, Num):
        raise Unsupported(f"the negation of {type(a).__name__}")
    return Num(level, -a.u, a.scale, a.currency)


def _date_shift(batch: BatchView, level: int, d: Dates, dur: Any, sign: int) -> Dates:
    if isinstance(dur, (Days, Spans)):  # a date moved by days per citizen
        o = d.o + sign * _days(dur)
        batch.flag((o < 1) | (o > OPEN), level)
        return Dates(level, o)
    if isinstance(dur, Durs):  # months by the rule, then days (temporal._shift)
        o, bad = add_months(d.o, sign * dur.m, batch.rule)
        o = o + sign * dur.d
        batch.flag(bad | (o < 1) | (o > OPEN), level)
        return Dates(level, o)
    if type(dur) is SpanLength:
        dur = Duration(0, dur.days)
    if type(dur) is not Duration:
        raise Unsupported("a date moved by a duration that differs per citizen")
    step = _fixed(dur if sign > 0 else -dur)
    o = d.o
    bad = np.zeros(len(o), dtype=bool)
    if step.months:
        o, bad = add_months(o, step.months, batch.rule)
    o = o + step.days
    batch.flag(bad | (o < 1) | (o > OPEN), level)
    return Dates(level, o)


@kernel("add")
def add(batch: BatchView, level: int, a: Any, b: Any) -> Any:
    if isinstance(a, Dates) or isinstance(b, Dates):
        d, dur = (a, b) if isinstance(a, Dates) else (b, a)
        return _date_shift(batch, level, d, dur, 1)
    if type(a) is date or type(b) is date:  # a fixed date moved by days per citizen
        d, dur = (a, b) if type(a) is date else (b, a)
        return _date_shift(batch, level, Dates(level, np.full(batch.size(level),
                                                              d.toordinal())), dur, 1)
    if isinstance(a, Num) or isinstance(b, Num):
        return _checked(batch, level, a, b, "add")
    if _months(a) or _months(b):
        return _durs_add(batch, level, a, b, 1)
    if _durations(a, b):
        return Days(level, _days(a) + _days(b))
    if (isinstance(a, Cats) and type(b) is str) or (type(a) is str and isinstance(b, Cats)):
        return _joined_text(batch, level, a, b)
    if isinstance(a, Cats) and isinstance(b, Cats):
        return _joined_texts(batch, level, a, b)
    raise Unsupported(f"`+` of {type(a).__name__} and {type(b).__name__}")


def _joined_text(batch: BatchView, level: int, a: Any, b: Any) -> Cats:
    """A text per citizen with a fixed text before or after it: each distinct text
    joined once (distinct texts stay distinct)."""
    col, fixed, after = (a, b, True) if isinstance(a, Cats) else (b, a, False)
    # no text (code -1) cannot come here from a checked policy (a missing text fact is
    # the row's error, and `+` refuses a choice); were it to, `+` refuses it per record
    batch.flag(col.c < 0, level)
    names = tuple(v + fixed if after else fixed + v for v in col.values)
    return Cats(level, col.c, names)


def _joined_texts(batch: BatchView, level: int, a: Cats, b: Cats) -> Cats:
    """Two texts per citizen joined: each pair of texts that occurs joined once (two pairs
    that join to one text are two names of equal text, which compare as equal texts do:
    by the text)."""
    batch.flag((a.c < 0) | (b.c < 0), level)  # no text: `+` refuses it per record
    width = len(b.values)
    if not width or not a.values:  # no text on one side in any row: every row flagged
        return Cats(level, np.full(len(a.c), -1, dtype=np.int32), ())
    pairs = np.maximum(a.c, 0).astype(np.int64) * width + np.maximum(b.c, 0)
    seen, inverse = np.unique(pairs, return_inverse=True)
    names = tuple(a.values[int(p) // width] + b.values[int(p) % width] for p in seen)
    return Cats(level, inverse.reshape(-1).astype(np.int32), names)


def _durs_add(batch: BatchView, level: int, a: Any, b: Any, sign: int) -> Durs:
    """``a + b`` (or ``a - b``) of calendar durations: months and days apart
    (``Duration.__add__``; a length counts its days)."""
    n = batch.size(level)
    (am, ad), (bm, bd) = (_calendar(Days(level, _days(x)) if isinstance(x, Spans)
                                    or type(x) is SpanLength else x) for x in (a, b))
    return Durs(level, np.broadcast_to(am + sign * np.asarray(bm), (n,)).astype(np.int64),
                np.broadcast_to(ad + sign * np.asarray(bd), (n,)).astype(np.int64))


def _durations(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are durations in days, one of them per citizen."""
    kinds = (Days, Spans, SpanLength, Duration)
    return isinstance(a, kinds) and isinstance(b, kinds) and (
        isinstance(a, (Days, Spans)) or isinstance(b, (Days, Spans)))


@kernel("sub")
def subtract(batch: BatchView, level: int, a: Any, b: Any) -> Any:
    if (isinstance(a, Dates) or type(a) is date) and (isinstance(b, Dates) or type(b) is date):
        # the days between two dates (one of them per citizen: this is a column's kernel)
        return Days(level, np.asarray(_ords(a, 0) - _ords(b, 0), dtype=np.int64))
    if isinstance(a, Dates):
        return _date_shift(batch, level, a, b, -1)
    if type(a) is date and isinstance(b, (Days, Spans, Durs)):
        return _date_shift(batch, level, Dates(level, np.full(batch.size(level),
                                                              a.toordinal())), b, -1)
    if isinstance(a, Num) or isinstance(b, Num):
        return _checked(batch, level, a, b, "sub")
    if _months(a) or _months(b):
        return _durs_add(batch, level, a, b, -1)
    if _durations(a, b):
        return Days(level, np.broadcast_to(_days(a) - _days(b), (batch.size(level),)))
    raise Unsupported(f"`-` of {type(a).__name__} and {type(b).__name__}")


@kernel("mul")
def multiply(batch: BatchView, level: int, a: Any, b: Any) -> Any:
    if _months(a) or _months(b):
        return _durs_times(batch, level, a, b)
    if _is_duration(a) or _is_duration(b):
        return _days_times(batch, level, a, b)
    if isinstance(a, Num) or isinstance(b, Num):
        return _multiply(batch, level, a, b)
    raise Unsupported(f"`*` of {type(a).__name__} and {type(b).__name__}")


def _durs_times(batch: BatchView, level: int, a: Any, b: Any) -> Durs:
    """A calendar duration per row times a whole number (``Duration.__mul__``: months and
    days each); a row beyond 2**62 of either is decided per record."""
    dur, k = (a, b) if _months(a) else (b, a)
    if isinstance(k, Num) and not k.scale:
        factor: Any = k.u
    elif type(k) is int and abs(k) < _SAFE:
        factor = k
    elif type(k) is int:
        raise AllUnsure()  # a fixed factor beyond 64 bits
    else:
        raise Unsupported(f"`*` of {type(a).__name__} and {type(b).__name__}")
    n = batch.size(level)
    if type(dur) is Duration:  # a fixed duration with months times a count per citizen
        if max(abs(dur.months), abs(dur.days)) >= _SAFE:
            raise AllUnsure()
        dur = Durs(level, np.full(n, dur.months, dtype=np.int64),
                   np.full(n, dur.days, dtype=np.int64))
    f = np.abs(np.asarray(factor, dtype=np.float64))
    over = np.broadcast_to((np.abs(dur.m) * f >= _SAFE) | (np.abs(dur.d) * f >= _SAFE), (n,))
    batch.flag(over, level)
    factor = np.where(over, 0, factor)
    return Durs(level, dur.m * factor, dur.d * factor)


def _days_times(batch: BatchView, level: int, a: Any, b: Any) -> Days:
    """A duration in days times a whole number, one of them per citizen
    (``Duration.__mul__``); a row whose product is beyond 2**62 days is decided per record."""
    dur, k = (a, b) if _is_duration(a) else (b, a)
    if isinstance(k, Num) and not k.scale:
        factor: Any = k.u
    elif type(k) is int:
        if abs(k) >= _SAFE:  # a fixed factor beyond 64 bits
            raise AllUnsure()
        factor = k
    else:
        raise Unsupported(f"`*` of {type(a).__name__} and {type(b).__name__}")
    days = _days(dur)
    n = batch.size(level)
    if _largest(days) * _largest(factor) >= _SAFE:  # only then can a row come near 2**62
        over = np.broadcast_to(np.abs(np.asarray(days, dtype=np.float64))
                               * np.abs(np.asarray(factor, dtype=np.float64)) >= _SAFE, (n,))
        batch.flag(over, level)
        days, factor = np.where(over, 0, days), np.where(over, 0, factor)
    return Days(level, np.broadcast_to(np.asarray(days * factor, dtype=np.int64), (n,)).copy())


#: A quotient has at most this many decimal places as a column (as a value column holds).
_QUOTIENT_PLACES = 18


#: A divisor below this many units keeps ``remainder * 10`` (the remainder is below the
#: divisor) inside 64 bits; a row with a larger one and a remainder goes per record.
_DIVISOR = 2**59


#: 10**k, and the largest units below 2**62 once multiplied by it, for k up to 18.
_POW10 = np.array([10**k for k in range(19)], dtype=np.int64)


_BELOW = np.array([(_SAFE - 1) // 10**k for k in range(19)], dtype=np.int64)


@kernel("div")
def divide(batch: BatchView, level: int, a: Any, b: Any) -> Num:
    """``a / b`` of numbers or amounts, one of them per citizen (``ops.divide``), exactly:
    by long division of the units, one decimal place at a time, at the fewest places (at
    most 18) that hold every row. A row is decided per record if it divides by zero
    (UDB702 per record), if its quotient does not end within 18 places (``decide`` rounds
    it to 34 digits) or is 2**62 units or more at the column's places, or if its divisor
    is 2**59 units or more (its zeros at the end aside) and leaves a remainder. An amount
    by an amount is a number; an amount by a number keeps its currency."""
    if not all(isinstance(x, Num) or _is_number(x) for x in (a, b)):
        raise Unsupported(f"`/` of {type(a).__name__} and {type(b).__name__}")
    n = batch.size(level)
    parts: list[tuple[IntArray, int, str | None]] = []
    for x in (a, b):
        if isinstance(x, Num):
            parts.append((x.u, x.scale, x.currency))
            continue
        value = _number(x)
        fixed_places = _places(value)
        fixed = _scaled(value, fixed_places)
        if abs(fixed) >= _SAFE:  # a fixed operand beyond 64 bits
            batch.flag(np.ones(n, dtype=bool), level)
            fixed = 0
        parts.append((np.full(n, fixed, dtype=np.int64), fixed_places,
                      x.currency if type(x) is Money else None))
    (ua, sa, ca), (ub, sb, cb) = parts
    if cb is not None and ca is None:
        raise Unsupported("a number divided by an amount")
    # rows the guards below cannot take: a zero divisor (UDB702), operands near 64 bits
    bad = (ub == 0) | (ua >= _SAFE) | (ua <= -_SAFE) | (ub >= _SAFE) | (ub <= -_SAFE)
    negative = (ua < 0) != (ub < 0)
    x = np.abs(np.where(bad, 0, ua))
    y = np.abs(np.where(bad, 1, ub))
    # a divisor's zeros at the end (a decimal read at 18 places, 0.75 as 75 * 10**16):
    # y * 10**dropped is the divisor's units, so `rest * 10` stays small
    dropped = np.zeros(n, dtype=np.int64)
    at = np.flatnonzero(y % 10 == 0)
    while len(at):
        y[at] //= 10
        dropped[at] += 1
        at = at[y[at] % 10 == 0]
    whole, rest = np.divmod(x, y)
    bad |= (rest != 0) & (y >= _DIVISOR)  # `rest * 10` could pass 64 bits
    whole, rest = np.where(bad, 0, whole), np.where(bad, 0, rest)
    # x / y = whole / 10**places (exact where rest is 0), and
    # a / b = (x / y) / 10**(sa - sb + dropped): so a quotient of at most 18 places takes
    # at most 18 + sb - sa places of x / y
    places = np.zeros(n, dtype=np.int64)
    at = np.flatnonzero(rest)  # the rows still dividing
    for _ in range(_QUOTIENT_PLACES + sb - sa):
        if not len(at):
            break
        digit, r = np.divmod(rest[at] * 10, y[at])  # below 10 * 2**59: inside 64 bits
        w = whole[at]
        over = w > _SAFE // 10  # w * 10 would be 2**62 or more
        w = np.where(over, 0, w) * 10 + digit
        over |= w >= _SAFE
        whole[at], rest[at] = np.where(over, 0, w), np.where(over, 0, r)
        places[at] += ~over
        bad[at[over]] = True
        at = at[(r != 0) & ~over]
    bad |= rest != 0  # does not end within 18 places: decide rounds it
    # the quotient is whole / 10**need; the fewest places once the zeros at the end of a
    # whole quotient are dropped (the last digit a long division gave is never 0)
    need = np.where(whole == 0, 0, places + (sa - sb) + dropped)
    at = np.flatnonzero((need > 0) & (whole % 10 == 0) & (whole != 0))
    while len(at):
        whole[at] //= 10
        need[at] -= 1
        at = at[(need[at] > 0) & (whole[at] % 10 == 0)]
    bad |= need > _QUOTIENT_PLACES
    bad |= _beyond(whole, np.maximum(0, -need))  # 2**62 units or more at its own places
    scale = max(0, int(need[~bad].max())) if (~bad).any() else 0
    shift = np.where(bad, 0, scale - need)
    bad |= _beyond(whole, shift)  # ... or at the places of another row
    units = np.where(bad, 0, whole) * _POW10[np.where(bad, 0, np.minimum(shift, 18))]
    units = np.where(negative, -units, units)
    batch.flag(bad, level)
    return Num(level, units, scale, None if cb is not None else ca)


def _beyond(whole: IntArray, shift: IntArray) -> BoolArray:
    """Where ``whole * 10**shift`` (``whole`` at least 0 and below 2**62) is 2**62 or more,
    exactly."""
    out: BoolArray = (whole > _BELOW[np.minimum(shift, 18)]) | ((shift > 18) & (whole != 0))
    return out


@kernel("to_decimal")
def to_decimal(batch: BatchView, level: int, a: Any) -> Any:
    return a


@kernel("date_add_months")
def date_add_months(batch: BatchView, level: int, d: Any, months: Any) -> Dates:
    if not isinstance(d, Dates):
        raise Unsupported("months added to a date that is the same for all")
    if isinstance(months, Num):
        if months.scale:
            raise Unsupported("a number of months that is not whole")
        k: Any = months.u
    else:
        k = int(months)
    o, bad = add_months(d.o, k, batch.rule)
    batch.flag(bad, level)
    return Dates(level, o)


@kernel("date_add_days")
def date_add_days(batch: BatchView, level: int, d: Any, delta: Any) -> Dates:
    if not isinstance(d, Dates) or type(delta) is not timedelta:
        raise Unsupported("days added to a date per citizen")
    o = d.o + delta.days
    batch.flag((o < 1) | (o > OPEN), level)
    return Dates(level, o)


def _in_period(negate: bool) -> Kernel:
    def member(batch: BatchView, level: int, a: Any, b: Any) -> Bools:
        n = batch.size(level)
        s, e = _period_parts(b, n)
        d = _ords(a, n)
        inside = np.broadcast_to((s <= d) & (d <= e), (n,)).copy()
        return Bools(level, ~inside if negate else inside)
    return member


KERNELS["in_period"] = _in_period(False)
KERNELS["not_in_period"] = _in_period(True)


def _membership(negate: bool) -> Kernel:
    def member(batch: BatchView, level: int, a: Any, b: Any) -> Bools:
        if isinstance(b, Lst) and ELEMENT in b.rec.fields:
            found = _among(batch, level, a, b)
            return Bools(level, ~found if negate else found)
        if isinstance(b, Col):
            raise Unsupported("`in` of a list that differs per citizen")
        items = list(b)
        if isinstance(a, Cats):
            codes = sorted({a.values.index(x) for x in items
                            if isinstance(x, str) and x in a.values})
            if len(codes) <= 2:  # one or two comparisons are cheaper than a table look-up
                found = np.zeros(len(a.c), dtype=bool)
                for code in codes:
                    found |= a.c == code
            else:
                table = np.zeros(len(a.values) + 1, dtype=bool)  # code -1 reads the last
                table[codes] = True
                found = table[a.c]
        elif isinstance(a, Num):
            numbers = [x for x in items if _is_number(x)]
            units = []
            for x in numbers:
                value = _number(x)
                if _places(value) <= a.scale:
                    scaled = _scaled(value, a.scale)
                    if abs(scaled) <= _MAXI:
                        units.append(scaled)
            found = np.isin(a.u, np.array(units, dtype=np.int64))
        elif isinstance(a, Dates):
            found = np.isin(a.o, np.array([x.toordinal() for x in items if type(x) is date],
                                          dtype=np.int64))
        elif isinstance(a, Bools):
            found = np.isin(a.v, np.array([x for x in items if type(x) is bool], dtype=bool))
        elif isinstance(a, Pers):  # a period among fixed periods: `==` with each
            found = np.zeros(batch.size(level), dtype=bool)
            equal = KERNELS["eq"]
            for x in items:
                found |= equal(batch, level, a, x).v
        else:
            raise Unsupported(f"`in` of {type(a).__name__}")
        return Bools(level, ~found if negate else found)
    return member


def _among(batch: BatchView, level: int, a: Any, lst: Lst) -> BoolArray:
    """``a in lst`` for a list of plain values per row: whether one of the row's values
    equals ``a`` (the language's ``==``, as Python's ``in`` uses it)."""
    batch.within.append(lst)
    try:
        x, element = batch.lift(a, level + 1), lst.rec.fields[ELEMENT]
        if (_months(x) or _months(element)) and not _has_length(x, element):
            # calendar durations: equal months and equal days (Python's `==`)
            (mx, dx), (me, de) = _calendar(x), _calendar(element)
            same = _full((mx == me) & (dx == de), batch.size(level + 1))
        else:
            same = _compare("eq")(batch, level + 1, x, element).v
    finally:
        batch.within.pop()
    found: BoolArray = lst.hits(same) > 0
    return found


KERNELS["in"] = _membership(False)
KERNELS["not_in"] = _membership(True)


def _among_durations(negate: bool) -> Kernel:
    """``waited in {7 days, 14 days}`` for days per citizen (``ops.contains``): equal to a
    duration in days, or to a length, by the number of days; never to one in months."""
    def member(batch: BatchView, level: int, a: Any, b: Any) -> Bools:
        if isinstance(b, Lst) and ELEMENT in b.rec.fields:  # `[waited, 2 weeks]`
            found_each = _among(batch, level, a, b)
            return Bools(level, ~found_each if negate else found_each)
        if not isinstance(a, (Days, Spans)) or isinstance(b, Col):
            raise Unsupported("`in` of durations that differ per citizen")
        if isinstance(a, Spans) and any(type(x) is Duration and x.months for x in b):
            # a length among durations with months compares anchored (the checker
            # refuses it, UDB403)
            raise Unsupported("a length among durations with months")
        # by the number of days; a duration in months never equals days; one beyond
        # 64-bit day counts equals no day count of a column
        days = [x.days for x in b if (type(x) is SpanLength
                or (type(x) is Duration and not x.months)) and abs(x.days) < _SAFE]
        found = np.isin(_days(a), np.array(days, dtype=np.int64))
        return Bools(level, ~found if negate else found)
    return member


KERNELS["in_durations"] = _among_durations(False)
KERNELS["not_in_durations"] = _among_durations(True)


@kernel("history_to")
def history_to(batch: BatchView, level: int, rec: Any) -> Dates:
    if not (isinstance(rec, Rec) and rec.history):
        raise Unsupported("`to` of a value that is not a history record")
    out: Dates = rec.fields["to"]
    return out


@kernel("history_period")
def history_period(batch: BatchView, level: int, rec: Any) -> Pers:
    if not (isinstance(rec, Rec) and rec.history):
        raise Unsupported("the period of a value that is not a history record")
    return Pers(rec.level, rec.fields["from"].o, rec.fields["to"].o)


@kernel("period_from")
def period_from(batch: BatchView, level: int, p: Any) -> Dates:
    s, _ = _period_parts(p, batch.size(level))
    return Dates(level, s)


@kernel("period_to")
def period_to(batch: BatchView, level: int, p: Any) -> Dates:
    _, e = _period_parts(p, batch.size(level))
    return Dates(level, e)


@kernel("overlaps_record")
def overlaps_record(batch: BatchView, level: int, rec: Any, window: Any) -> Bools:
    n = batch.size(level)
    s, e = _period_parts(rec, n)
    lo, hi = _period_parts(window, n)
    return Bools(level, np.broadcast_to((s <= hi) & (e >= lo), (n,)).copy())
