"""Exact calendar arithmetic: durations, lengths, periods, ages, spells and windows.

Dates are :class:`datetime.date`. Every period is inclusive at both ends: a
one-day period has ``end == start``.

Months have no fixed number of days, so a policy states a *month-end rule*
(:data:`MonthEnd`) deciding what happens when month arithmetic lands on a day
that does not exist: ``clamp`` takes the last day of the target month
(2019-01-31 + 1 month = 2019-02-28), ``roll`` the first day of the month after
it (2019-01-31 + 1 month = 2019-03-01). The same rule decides when someone
born on 29 February turns a year older in a non-leap year.

A :class:`Duration` is calendar months plus days. A :class:`SpanLength` is
the length of a concrete inclusive span; it compares exactly against a
calendar duration by anchoring the duration at the span's start (see
:func:`compare_length`), so [2014-02-01, 2019-01-31] is exactly 5 years long.

Computations that would leave ``date.min .. date.max`` raise
:class:`DateRangeError`; ``OverflowError`` never escapes. Functions that take
``periods`` accept any iterable of :class:`Period`. The month-end rule is
checked where it decides something (an unknown rule raises ``ValueError``
there); the policy checker guarantees a valid one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from operator import attrgetter
from typing import Literal

__all__ = [
    "DAY",
    "DateRangeError",
    "Duration",
    "IncomparableDurationsError",
    "MonthEnd",
    "Period",
    "SpanLength",
    "add_duration",
    "add_months",
    "age",
    "calendar_breakdown",
    "compare_durations",
    "compare_length",
    "compare_lengths",
    "covers_all",
    "first_uncovered_day",
    "following",
    "merge_spells",
    "overlap_days",
    "overlaps_any",
    "preceding",
    "spell_covering",
    "spell_length_on",
    "sub_duration",
    "unchecked_span_length",
    "weeks_and_days",
]

#: What month arithmetic does with a day the target month does not have.
MonthEnd = Literal["clamp", "roll"]

DAY = timedelta(days=1)

_MIN_ORD = date.min.toordinal()
_MAX_ORD = date.max.toordinal()
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_DAYS_BEFORE_MONTH = (0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
_date_from_ordinal = date.fromordinal
_new = object.__new__


class DateRangeError(ValueError):
    """A computed date falls outside the calendar's range (years 1 to 9999)."""


class IncomparableDurationsError(ValueError):
    """Durations in months and durations in days cannot be compared."""


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _ordinal(year: int, month: int, day: int) -> int:
    """Proleptic Gregorian day number, like ``date.toordinal`` but for any year."""
    y = year - 1
    n = y * 365 + y // 4 - y // 100 + y // 400 + _DAYS_BEFORE_MONTH[month] + day
    if month > 2 and _is_leap(year):
        n += 1
    return n


def _check_rule(rule: str) -> None:
    if rule != "clamp" and rule != "roll":
        raise ValueError(f"unknown month-end rule {rule!r}; use 'clamp' or 'roll'")


def _out_of_range(what: str) -> DateRangeError:
    return DateRangeError(f"{what} is outside the calendar (0001-01-01 to 9999-12-31)")


def _from_ordinal(n: int) -> date:
    if n < _MIN_ORD or n > _MAX_ORD:
        raise _out_of_range("the date")
    return _date_from_ordinal(n)


# -- month arithmetic ---------------------------------------------------------


def _target(d: date, months: int, rule: str) -> tuple[int, int, int, int]:
    """The year, month and day ``months`` after ``d``, the day clamped to the month's
    last; and 1 if the rule rolls a day the target month lacks to the next month's 1st."""
    y = d.year
    m = d.month + months
    if m > 12 or m < 1:
        q, m = divmod(m - 1, 12)
        y += q
        m += 1
    day = d.day
    if day > 28:
        last = 29 if m == 2 and _is_leap(y) else _DAYS_IN_MONTH[m]
        if day > last:
            if rule != "clamp":
                _check_rule(rule)
                return y, m, last, 1
            day = last
    return y, m, day, 0


def add_months(d: date, months: int, rule: MonthEnd) -> date:
    """``d`` plus ``months`` calendar months (negative goes back), by the month-end rule."""
    y, m, day, rolled = _target(d, months, rule)
    if rolled:
        # December has 31 days, so the month after a short one is in the same year.
        m, day = m + 1, 1
    try:
        return date(y, m, day)
    except (ValueError, OverflowError):
        raise _out_of_range(f"{d.isoformat()} {months:+d} months") from None


def _shift_ordinal(d: date, months: int, days: int, rule: str) -> int:
    """The day number of ``d + months + days`` by the rule, for results beyond the calendar too."""
    if months:
        y, m, day, rolled = _target(d, months, rule)
        n = date(y, m, day).toordinal() if 1 <= y <= 9999 else _ordinal(y, m, day)
        return n + rolled + days
    return d.toordinal() + days


# -- durations -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Duration:
    """A calendar duration: ``months`` (a year is 12) plus ``days`` (a week is 7).

    Equality and hashing are structural: ``Duration(months=12)`` equals
    ``Duration.of(years=1)`` but not ``Duration(days=365)``. There is no
    ordering, because months and days are incomparable; see
    :func:`compare_durations` and :func:`compare_length`.
    """

    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if type(self.months) is not int or type(self.days) is not int:
            raise TypeError(
                f"duration parts must be whole numbers, not {self.months!r} and {self.days!r}"
            )

    @classmethod
    def of(cls, *, years: int = 0, months: int = 0, weeks: int = 0, days: int = 0) -> Duration:
        """``Duration.of(years=1, months=6)``; years become months and weeks days."""
        return cls(years * 12 + months, weeks * 7 + days)

    @property
    def kind(self) -> Literal["months", "days", "calendar"]:
        """``"days"`` when there are no months (the zero duration too), ``"months"``
        when there are no days, ``"calendar"`` when there are both."""
        if not self.months:
            return "days"
        if not self.days:
            return "months"
        return "calendar"

    @property
    def is_zero(self) -> bool:
        return not self.months and not self.days

    def __add__(self, other: object) -> Duration:
        if not isinstance(other, Duration):
            return NotImplemented
        return Duration(self.months + other.months, self.days + other.days)

    def __sub__(self, other: object) -> Duration:
        if not isinstance(other, Duration):
            return NotImplemented
        return Duration(self.months - other.months, self.days - other.days)

    def __neg__(self) -> Duration:
        return Duration(-self.months, -self.days)

    def __mul__(self, other: object) -> Duration:
        if type(other) is not int:
            return NotImplemented
        return Duration(self.months * other, self.days * other)

    __rmul__ = __mul__


def compare_durations(a: Duration, b: Duration) -> int:
    """-1, 0 or 1 as ``a`` is shorter than, as long as or longer than ``b``.

    Both must be in months or both in days. A zero duration compares with
    either kind (nothing is ambiguous about zero). Anything else raises
    :class:`IncomparableDurationsError`.
    """
    if not a.months and not b.months:
        x, y = a.days, b.days
    elif not a.days and not b.days:
        x, y = a.months, b.months
    elif a.is_zero or b.is_zero:
        # Zero against a calendar duration whose parts agree in sign.
        other = b if a.is_zero else a
        if (other.months >= 0) == (other.days >= 0):
            s = 1 if other.months > 0 or other.days > 0 else -1
            return -s if a.is_zero else s
        raise IncomparableDurationsError(f"cannot compare {a} with {b}")
    else:
        raise IncomparableDurationsError(
            f"cannot compare a duration in {a.kind} with one in {b.kind}"
        )
    return (x > y) - (x < y)


def _shift(d: date, months: int, days: int, rule: MonthEnd) -> date:
    if months:
        d = add_months(d, months, rule)
    if days:
        try:
            return d + timedelta(days=days)
        except OverflowError:
            raise _out_of_range(f"{d.isoformat()} {days:+d} days") from None
    return d


def add_duration(d: date, dur: Duration, rule: MonthEnd) -> date:
    """``d`` plus ``dur``: the months first (by the month-end rule), then the days."""
    return _shift(d, dur.months, dur.days, rule)


def sub_duration(d: date, dur: Duration, rule: MonthEnd) -> date:
    """``d`` minus ``dur``: ``add_duration(d, -dur, rule)``."""
    return _shift(d, -dur.months, -dur.days, rule)


# -- lengths --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class SpanLength:
    """The length of the inclusive span [``start``, ``end``], anchored at its start.

    ``end`` is at least ``start - 1 day``; that is the empty span, of length 0.
    Two lengths compare (``==``, ``<``, ...) and hash by their number of days;
    a length compares with a calendar duration only through
    :func:`compare_length`, which needs the month-end rule.
    """

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end.toordinal() - self.start.toordinal() < -1:
            raise ValueError(
                f"a span cannot end ({self.end}) more than one day before it starts "
                f"({self.start})"
            )

    @classmethod
    def empty(cls, on: date) -> SpanLength:
        """The zero length just after ``on`` (or at ``on`` when ``on`` is the last date)."""
        if on == date.max:
            return cls(on, on - DAY)
        return cls(on + DAY, on)

    @property
    def days(self) -> int:
        return self.end.toordinal() - self.start.toordinal() + 1

    def to_duration(self) -> Duration:
        """The length as a duration in days."""
        return Duration(0, self.days)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SpanLength):
            return NotImplemented
        return self.days == other.days

    def __hash__(self) -> int:
        return hash(self.days)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, SpanLength):
            return NotImplemented
        return self.days < other.days

    def __le__(self, other: object) -> bool:
        if not isinstance(other, SpanLength):
            return NotImplemented
        return self.days <= other.days

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, SpanLength):
            return NotImplemented
        return self.days > other.days

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, SpanLength):
            return NotImplemented
        return self.days >= other.days


_set_span_start = SpanLength.__dict__["start"].__set__
_set_span_end = SpanLength.__dict__["end"].__set__


def unchecked_span_length(start: date, end: date) -> SpanLength:
    """``SpanLength(start, end)`` for bounds already known to be valid (``end`` at least
    ``start - 1 day``), without the check: for hot paths (the function library's
    ``spell_length``), where the bounds are valid by construction."""
    length: SpanLength = _new(SpanLength)
    _set_span_start(length, start)
    _set_span_end(length, end)
    return length


def compare_lengths(a: SpanLength, b: SpanLength) -> int:
    """-1, 0 or 1 as ``a`` has fewer, as many or more days than ``b``."""
    x, y = a.days, b.days
    return (x > y) - (x < y)


def compare_length(length: SpanLength, dur: Duration, rule: MonthEnd) -> int:
    """The sign of ``length - dur``, anchoring ``dur`` at the span's start.

    ``length >= dur`` iff ``start + dur <= end + 1 day``, and ``length == dur``
    iff ``start + dur == end + 1 day`` (months first by the rule, then days).
    For a duration in days this is a comparison of day counts. Durations that
    reach beyond the calendar compare correctly instead of failing.
    """
    target = _shift_ordinal(length.start, dur.months, dur.days, rule)
    limit = length.end.toordinal() + 1
    return (target < limit) - (target > limit)


def calendar_breakdown(length: SpanLength, rule: MonthEnd) -> tuple[int, int, int]:
    """Whole years, months and remaining days of the span, anchored at its start.

    Months are counted as the most ``n`` with ``start + n months <= end + 1 day``
    by the rule; the days are what remains. [2014-02-01, 2019-01-30] is
    (4, 11, 30).
    """
    start = length.start
    limit = length.end.toordinal() + 1
    if limit > _MAX_ORD:
        ey, em = 10000, 1
    else:
        after = _date_from_ordinal(limit)
        ey, em = after.year, after.month
    months = (ey - start.year) * 12 + em - start.month
    reached = _shift_ordinal(start, months, 0, rule)
    if reached > limit:
        months -= 1
        reached = _shift_ordinal(start, months, 0, rule)
    years, months = divmod(months, 12)
    return years, months, limit - reached


# -- periods -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """The inclusive period [``start``, ``end``]; ``end=None`` is open-ended (ongoing)."""

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        end = self.end
        if type(self.start) is not date or (end is not None and type(end) is not date):
            raise TypeError(f"a period needs dates, not {self.start!r} and {end!r}")
        if end is not None and end < self.start:
            raise ValueError(f"a period cannot end ({end}) before it starts ({self.start})")

    @property
    def is_open(self) -> bool:
        return self.end is None

    def __str__(self) -> str:
        end = self.end
        return f"{self.start.isoformat()}..{'' if end is None else end.isoformat()}"

    def contains(self, d: date) -> bool:
        end = self.end
        return self.start <= d and (end is None or d <= end)

    def overlaps(self, other: Period) -> bool:
        """Whether the two periods share at least one day."""
        a, b = self.end, other.end
        return (b is None or self.start <= b) and (a is None or other.start <= a)

    def intersection(self, other: Period) -> Period | None:
        """The days both periods cover, or ``None``."""
        start = self.start if self.start >= other.start else other.start
        a, b = self.end, other.end
        end = b if a is None else a if b is None else a if a <= b else b
        if end is not None and end < start:
            return None
        return _period(start, end)

    def _closed_end(self) -> date:
        end = self.end
        if end is None:
            raise ValueError(f"the period {self} is open-ended and has no length")
        return end

    @property
    def days(self) -> int:
        """The number of days of a closed period (``ValueError`` for an open one)."""
        return self._closed_end().toordinal() - self.start.toordinal() + 1

    def length(self) -> SpanLength:
        """The length of a closed period (``ValueError`` for an open one)."""
        return SpanLength(self.start, self._closed_end())

    def clip(self, last: date) -> Period | None:
        """The period cut off after ``last`` (inclusive), or ``None`` if it starts after it."""
        if self.start > last:
            return None
        end = self.end
        if end is not None and end <= last:
            return self
        return _period(self.start, last)


_start_of = attrgetter("start")
_set_start = Period.__dict__["start"].__set__
_set_end = Period.__dict__["end"].__set__


def _period(start: date, end: date | None) -> Period:
    """A :class:`Period` from bounds already known to be valid (no checks)."""
    p: Period = _new(Period)
    _set_start(p, start)
    _set_end(p, end)
    return p


def _spells(periods: Iterable[Period], gap: Duration, rule: MonthEnd) -> Iterator[Period]:
    """The merged spells in order; see :func:`merge_spells`."""
    if gap.months < 0 or gap.days < 0:
        raise ValueError(f"the gap between periods cannot be negative ({gap})")
    ordered = sorted(periods, key=_start_of)
    if not ordered:
        return
    gap_months, gap_days = gap.months, gap.days
    first = ordered[0]
    start, end = first.start, first.end
    single: Period | None = first
    limit = 0
    if end is not None:
        limit = _reach(end, gap_months, gap_days, rule)
    for p in ordered[1:]:
        if end is None:
            break  # an open-ended spell absorbs everything that starts later
        if p.start.toordinal() <= limit:
            pend = p.end
            if pend is None or pend > end:
                end = pend
                if end is not None:
                    limit = _reach(end, gap_months, gap_days, rule)
            single = None
        else:
            yield single if single is not None else _period(start, end)
            start, end, single = p.start, p.end, p
            if end is not None:
                limit = _reach(end, gap_months, gap_days, rule)
    yield single if single is not None else _period(start, end)


def _reach(end: date, gap_months: int, gap_days: int, rule: MonthEnd) -> int:
    """The last day number a following period may start on to join a spell ending on ``end``."""
    n = end.toordinal() + 1
    if not gap_months:
        return n + gap_days
    if n > _MAX_ORD:
        return n  # nothing starts after the last date
    return _shift_ordinal(_date_from_ordinal(n), gap_months, gap_days, rule)


def merge_spells(periods: Iterable[Period], gap: Duration, rule: MonthEnd) -> list[Period]:
    """Merge periods into spells: sorted, non-overlapping, deterministic.

    Overlapping and adjacent periods merge, and so do periods separated by at
    most ``gap``: a period joins the spell when it starts on or before
    ``spell end + 1 day + gap``. The bridged days belong to the spell. With
    ``gap = Duration()`` only overlapping and adjacent periods merge; with
    ``gap = 1 day`` a single uncovered day is bridged. An open-ended period
    absorbs everything that starts after it. The gap cannot be negative.
    """
    return list(_spells(periods, gap, rule))


def spell_covering(
    periods: Iterable[Period], on: date, gap: Duration, rule: MonthEnd
) -> Period | None:
    """The merged spell containing ``on``, or ``None``."""
    for spell in _spells(periods, gap, rule):
        if spell.start > on:
            return None
        end = spell.end
        if end is None or on <= end:
            return spell
    return None


def spell_length_on(
    periods: Iterable[Period], on: date, gap: Duration, rule: MonthEnd
) -> SpanLength:
    """How long the spell containing ``on`` has lasted, from its start up to and including ``on``.

    Zero (``SpanLength.empty(on)``) when no spell contains ``on``.
    """
    spell = spell_covering(periods, on, gap, rule)
    if spell is None:
        return SpanLength.empty(on)
    return unchecked_span_length(spell.start, on)


def _window_ordinals(window: Period) -> tuple[int, int]:
    end = window.end
    if end is None:
        raise ValueError(f"the window {window} must have an end")
    return window.start.toordinal(), end.toordinal()


def _clipped(periods: Iterable[Period], lo: int, hi: int) -> list[tuple[int, int]]:
    """The periods as day-number pairs cut to [lo, hi], those outside dropped, sorted."""
    out: list[tuple[int, int]] = []
    for p in periods:
        s = p.start.toordinal()
        if s > hi:
            continue
        end = p.end
        e = hi if end is None else end.toordinal()
        if e < lo:
            continue
        out.append((s if s > lo else lo, e if e < hi else hi))
    out.sort()
    return out


def overlap_days(periods: Iterable[Period], window: Period) -> int:
    """How many days of the closed ``window`` the periods cover together (no double counting)."""
    lo, hi = _window_ordinals(window)
    total = 0
    covered = lo - 1  # the last day counted so far
    for s, e in _clipped(periods, lo, hi):
        if e > covered:
            total += e - (s if s > covered else covered + 1) + 1
            covered = e
    return total


def overlaps_any(periods: Iterable[Period], window: Period) -> bool:
    """Whether any of the periods shares a day with ``window`` (which may be open)."""
    return any(p.overlaps(window) for p in periods)


def first_uncovered_day(periods: Iterable[Period], window: Period) -> date | None:
    """The first day of the closed ``window`` no period covers, or ``None`` if all are covered."""
    lo, hi = _window_ordinals(window)
    need = lo  # the first day not yet known to be covered
    for s, e in _clipped(periods, lo, hi):
        if s > need:
            break
        if e >= need:
            need = e + 1
            if need > hi:
                return None
    return _date_from_ordinal(need)


def covers_all(periods: Iterable[Period], window: Period) -> bool:
    """Whether the periods together cover every day of the closed ``window``.

    Adjacent periods count as continuous; there is no gap tolerance.
    """
    return first_uncovered_day(periods, window) is None


# -- windows -------------------------------------------------------------------------


def following(start: date, dur: Duration, rule: MonthEnd) -> Period:
    """The period of length ``dur`` starting on ``start``: [start, start + dur - 1 day].

    4 months from 2019-02-01 is 2019-02-01..2019-05-31.
    """
    end = _shift_ordinal(start, dur.months, dur.days, rule) - 1
    if end < start.toordinal():
        raise ValueError(f"a window needs a positive duration, not {dur}")
    return _period(start, _from_ordinal(end))


def preceding(end: date, dur: Duration, rule: MonthEnd) -> Period:
    """The period of length ``dur`` ending on ``end``: [end - dur + 1 day, end].

    The last 2 years up to and including 2021-01-31 is 2019-02-01..2021-01-31.
    """
    start = _shift_ordinal(end, -dur.months, -dur.days, rule) + 1
    if start > end.toordinal():
        raise ValueError(f"a window needs a positive duration, not {dur}")
    return _period(_from_ordinal(start), end)


def weeks_and_days(p: Period) -> tuple[int, int]:
    """Full weeks and remaining days of a closed period."""
    weeks, days = divmod(p.days, 7)
    return weeks, days


# -- ages --------------------------------------------------------------------------------


def age(birth: date, on: date, rule: MonthEnd) -> int:
    """Full years from ``birth`` to ``on``: the most ``n`` with ``birth + 12n months <= on``.

    Someone born on 29 February turns a year older on 28 February (``clamp``)
    or 1 March (``roll``) in a non-leap year. ``ValueError`` if ``on`` is
    before ``birth``.
    """
    if on < birth:
        raise ValueError(f"the date {on} is before the birth date {birth}")
    bm, bd = birth.month, birth.day
    if bm == 2 and bd == 29 and not _is_leap(on.year):
        if rule == "clamp":
            bd = 28
        else:
            _check_rule(rule)
            bm, bd = 3, 1
    om = on.month
    years = on.year - birth.year
    if om < bm or (om == bm and on.day < bd):
        years -= 1
    return years
