"""Tests of udbudsregler.values.temporal: month arithmetic, durations, lengths, periods,
ages, spells and windows."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import FrozenInstanceError
from datetime import date, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from udbudsregler.values.temporal import (
    DAY,
    DateRangeError,
    Duration,
    IncomparableDurationsError,
    MonthEnd,
    Period,
    SpanLength,
    add_duration,
    add_months,
    age,
    calendar_breakdown,
    compare_durations,
    compare_length,
    compare_lengths,
    covers_all,
    first_uncovered_day,
    following,
    merge_spells,
    overlap_days,
    overlaps_any,
    preceding,
    spell_covering,
    spell_length_on,
    sub_duration,
    weeks_and_days,
)

d = date
RULES: tuple[MonthEnd, ...] = ("clamp", "roll")
NO_GAP = Duration()
ONE_DAY = Duration(days=1)


def P(start: str, end: str | None = None) -> Period:
    return Period(date.fromisoformat(start), None if end is None else date.fromisoformat(end))


def iso(s: str) -> date:
    return date.fromisoformat(s)


# -- add_months ----------------------------------------------------------------------

ADD_MONTHS = [
    # start, months, clamp, roll
    ("2019-01-31", 1, "2019-02-28", "2019-03-01"),
    ("2020-01-31", 1, "2020-02-29", "2020-03-01"),
    ("2019-03-31", -1, "2019-02-28", "2019-03-01"),
    ("2020-03-31", -1, "2020-02-29", "2020-03-01"),
    ("2019-01-30", 1, "2019-02-28", "2019-03-01"),
    ("2019-01-29", 1, "2019-02-28", "2019-03-01"),
    ("2020-01-29", 1, "2020-02-29", "2020-02-29"),
    ("2019-01-28", 1, "2019-02-28", "2019-02-28"),
    ("2019-05-31", 1, "2019-06-30", "2019-07-01"),
    ("2019-05-31", -1, "2019-04-30", "2019-05-01"),
    ("2020-02-29", 12, "2021-02-28", "2021-03-01"),
    ("2020-02-29", -12, "2019-02-28", "2019-03-01"),
    ("2020-02-29", 48, "2024-02-29", "2024-02-29"),
    ("2019-12-15", 1, "2020-01-15", "2020-01-15"),
    ("2019-12-31", 1, "2020-01-31", "2020-01-31"),
    ("2020-01-15", -1, "2019-12-15", "2019-12-15"),
    ("2019-11-30", 3, "2020-02-29", "2020-03-01"),
    ("2019-02-01", 4, "2019-06-01", "2019-06-01"),
    ("2019-02-01", -25, "2017-01-01", "2017-01-01"),
    ("2019-08-31", -6, "2019-02-28", "2019-03-01"),
    ("2019-02-28", 0, "2019-02-28", "2019-02-28"),
    ("2019-10-31", 2, "2019-12-31", "2019-12-31"),
    ("2019-10-31", 1, "2019-11-30", "2019-12-01"),
    ("2014-02-01", 60, "2019-02-01", "2019-02-01"),
]


@pytest.mark.parametrize(("start", "months", "clamp", "roll"), ADD_MONTHS)
def test_add_months(start: str, months: int, clamp: str, roll: str) -> None:
    assert add_months(iso(start), months, "clamp") == iso(clamp)
    assert add_months(iso(start), months, "roll") == iso(roll)


def test_add_months_out_of_range() -> None:
    with pytest.raises(DateRangeError):
        add_months(d(9999, 12, 1), 1, "clamp")
    with pytest.raises(DateRangeError):
        add_months(d(1, 1, 31), -1, "roll")
    with pytest.raises(DateRangeError):
        add_months(d(2019, 1, 1), 10**6, "clamp")
    assert add_months(d(9999, 11, 30), 1, "clamp") == d(9999, 12, 30)
    assert issubclass(DateRangeError, ValueError)


def test_add_months_rejects_unknown_rule_when_it_matters() -> None:
    with pytest.raises(ValueError, match="month-end rule"):
        add_months(d(2019, 1, 31), 1, "nearest")  # type: ignore[arg-type]


# -- durations --------------------------------------------------------------------------


def test_duration_constructors() -> None:
    assert Duration.of(years=2) == Duration(months=24)
    assert Duration.of(years=1, months=6) == Duration(18, 0)
    assert Duration.of(weeks=2, days=1) == Duration(days=15)
    assert Duration.of() == Duration() == Duration(0, 0)
    assert Duration.of(years=1) != Duration(days=365)


def test_duration_rejects_non_integers() -> None:
    with pytest.raises(TypeError):
        Duration(1.5, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Duration(0, True)
    with pytest.raises(FrozenInstanceError):
        Duration().days = 1  # type: ignore[misc]


def test_duration_kind() -> None:
    assert Duration(months=4).kind == "months"
    assert Duration(days=7).kind == "days"
    assert Duration(1, 1).kind == "calendar"
    assert Duration().kind == "days"
    assert Duration(months=-1).kind == "months"
    assert Duration().is_zero and not Duration(days=1).is_zero


def test_duration_arithmetic() -> None:
    a, b = Duration(12, 3), Duration(6, 4)
    assert a + b == Duration(18, 7)
    assert a - b == Duration(6, -1)
    assert -a == Duration(-12, -3)
    assert a * 2 == Duration(24, 6)
    assert 3 * b == Duration(18, 12)
    with pytest.raises(TypeError):
        a * 1.5
    with pytest.raises(TypeError):
        a + 1


def test_duration_is_hashable_and_has_no_order() -> None:
    assert len({Duration(12), Duration.of(years=1), Duration(days=12)}) == 2
    with pytest.raises(TypeError):
        assert Duration(1) < Duration(2)  # type: ignore[operator]


def test_compare_durations() -> None:
    assert compare_durations(Duration(months=4), Duration(months=5)) == -1
    assert compare_durations(Duration.of(years=2), Duration(months=24)) == 0
    assert compare_durations(Duration(days=8), Duration.of(weeks=1)) == 1
    assert compare_durations(Duration(), Duration(months=1)) == -1
    assert compare_durations(Duration(months=1), Duration()) == 1
    assert compare_durations(Duration(), Duration(days=-1)) == 1
    assert compare_durations(Duration(), Duration(1, 1)) == -1
    assert compare_durations(Duration(-1, -1), Duration()) == -1
    assert compare_durations(Duration(), Duration()) == 0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (Duration(months=1), Duration(days=30)),
        (Duration(days=365), Duration(months=12)),
        (Duration(1, 1), Duration(1, 1)),
        (Duration(1, 1), Duration(months=1)),
        (Duration(), Duration(1, -1)),
    ],
)
def test_compare_durations_refuses_months_against_days(a: Duration, b: Duration) -> None:
    with pytest.raises(IncomparableDurationsError):
        compare_durations(a, b)
    assert issubclass(IncomparableDurationsError, ValueError)


def test_add_duration_months_first_then_days() -> None:
    dur = Duration(1, 1)
    assert add_duration(d(2019, 1, 31), dur, "clamp") == d(2019, 3, 1)
    assert add_duration(d(2019, 1, 31), dur, "roll") == d(2019, 3, 2)
    assert add_duration(d(2019, 2, 1), Duration.of(years=2), "clamp") == d(2021, 2, 1)
    assert add_duration(d(2019, 2, 1), Duration(days=-1), "clamp") == d(2019, 1, 31)
    assert add_duration(d(2019, 2, 1), Duration(), "clamp") == d(2019, 2, 1)


def test_sub_duration() -> None:
    assert sub_duration(d(2021, 1, 31), Duration.of(years=2), "clamp") == d(2019, 1, 31)
    assert sub_duration(d(2019, 3, 31), Duration(months=1), "clamp") == d(2019, 2, 28)
    assert sub_duration(d(2019, 3, 31), Duration(months=1), "roll") == d(2019, 3, 1)
    assert sub_duration(d(2019, 3, 1), Duration(1, 1), "clamp") == d(2019, 1, 31)


def test_add_duration_out_of_range_is_a_date_range_error() -> None:
    for dur in (Duration(days=1), Duration(days=10**10), Duration(months=1), Duration(0, -1)):
        start = d(1, 1, 1) if dur.days < 0 else date.max
        with pytest.raises(DateRangeError):
            add_duration(start, dur, "clamp")


# -- lengths ----------------------------------------------------------------------------------


def test_span_length_days_and_empty() -> None:
    assert SpanLength(d(2019, 2, 1), d(2019, 2, 1)).days == 1
    assert SpanLength(d(2019, 2, 1), d(2019, 1, 31)).days == 0
    assert SpanLength(d(2019, 1, 1), d(2019, 12, 31)).days == 365
    with pytest.raises(ValueError):
        SpanLength(d(2019, 2, 1), d(2019, 1, 30))
    assert SpanLength.empty(d(2019, 2, 1)) == SpanLength(d(2019, 2, 2), d(2019, 2, 1))
    assert SpanLength.empty(date.max).days == 0
    assert SpanLength(date.min, date.max).days == date.max.toordinal()


def test_span_length_compares_by_days() -> None:
    a = SpanLength(d(2019, 1, 1), d(2019, 1, 10))
    b = SpanLength(d(2020, 5, 1), d(2020, 5, 10))
    c = SpanLength(d(2019, 1, 1), d(2019, 1, 11))
    assert a == b and hash(a) == hash(b)
    assert a < c and a <= b and c > b and c >= a
    assert compare_lengths(a, b) == 0
    assert compare_lengths(a, c) == -1
    assert compare_lengths(c, a) == 1
    assert a != 10
    assert a.to_duration() == Duration(days=10)
    assert sum((x.to_duration() for x in (a, b, c)), Duration()) == Duration(days=31)


FIVE_YEARS = Duration.of(years=5)


@pytest.mark.parametrize("rule", RULES)
def test_exactly_five_years(rule: MonthEnd) -> None:
    exact = SpanLength(d(2014, 2, 1), d(2019, 1, 31))
    short = SpanLength(d(2014, 2, 1), d(2019, 1, 30))
    long = SpanLength(d(2014, 2, 1), d(2019, 2, 1))
    assert compare_length(exact, FIVE_YEARS, rule) == 0
    assert compare_length(short, FIVE_YEARS, rule) == -1
    assert compare_length(long, FIVE_YEARS, rule) == 1
    assert compare_length(exact, Duration(months=59), rule) == 1


def test_compare_length_depends_on_the_month_end_rule() -> None:
    # 2019-01-31 + 1 month: 2019-02-28 (clamp) or 2019-03-01 (roll).
    span = SpanLength(d(2019, 1, 31), d(2019, 2, 27))
    assert compare_length(span, Duration(months=1), "clamp") == 0
    assert compare_length(span, Duration(months=1), "roll") == -1
    span = SpanLength(d(2019, 1, 31), d(2019, 2, 28))
    assert compare_length(span, Duration(months=1), "clamp") == 1
    assert compare_length(span, Duration(months=1), "roll") == 0


def test_compare_length_with_days_and_calendar_durations() -> None:
    span = SpanLength(d(2019, 1, 1), d(2019, 1, 31))  # 31 days
    assert compare_length(span, Duration(days=31), "clamp") == 0
    assert compare_length(span, Duration(days=30), "clamp") == 1
    assert compare_length(span, Duration(days=32), "clamp") == -1
    assert compare_length(span, Duration(months=1), "clamp") == 0
    assert compare_length(span, Duration(1, -1), "clamp") == 1
    assert compare_length(span, Duration(1, 1), "clamp") == -1
    assert compare_length(span, Duration(), "clamp") == 1
    empty = SpanLength.empty(d(2019, 1, 1))
    assert compare_length(empty, Duration(), "clamp") == 0
    assert compare_length(empty, Duration(days=1), "clamp") == -1
    assert compare_length(empty, Duration(months=1), "roll") == -1


def test_compare_length_beyond_the_calendar() -> None:
    span = SpanLength(d(2019, 1, 1), d(2019, 12, 31))
    assert compare_length(span, Duration.of(years=9000), "clamp") == -1
    assert compare_length(span, Duration(days=10**12), "clamp") == -1
    assert compare_length(span, Duration.of(years=-9000), "clamp") == 1
    whole = SpanLength(d(9999, 1, 1), date.max)
    assert compare_length(whole, Duration.of(years=1), "clamp") == 0
    assert compare_length(whole, Duration(days=365), "clamp") == 0
    assert compare_length(SpanLength.empty(date.max), Duration(days=1), "clamp") == -1


@pytest.mark.parametrize(
    ("start", "end", "rule", "expected"),
    [
        ("2014-02-01", "2019-01-30", "clamp", (4, 11, 30)),
        ("2014-02-01", "2019-01-31", "clamp", (5, 0, 0)),
        ("2019-02-01", "2019-02-01", "clamp", (0, 0, 1)),
        ("2019-02-02", "2019-02-01", "clamp", (0, 0, 0)),
        ("2019-01-31", "2019-02-27", "clamp", (0, 1, 0)),
        ("2019-01-31", "2019-02-27", "roll", (0, 0, 28)),
        ("2019-01-31", "2019-03-01", "roll", (0, 1, 1)),
        ("2019-01-31", "2019-03-01", "clamp", (0, 1, 2)),
        ("2020-02-29", "2021-02-27", "clamp", (1, 0, 0)),
        ("9999-01-01", "9999-12-31", "clamp", (1, 0, 0)),
    ],
)
def test_calendar_breakdown(
    start: str, end: str, rule: MonthEnd, expected: tuple[int, ...]
) -> None:
    assert calendar_breakdown(SpanLength(iso(start), iso(end)), rule) == expected


# -- periods ---------------------------------------------------------------------------------


def test_period_validation() -> None:
    assert P("2019-02-01", "2019-02-01").days == 1
    with pytest.raises(ValueError, match="before it starts"):
        P("2019-02-01", "2019-01-31")
    with pytest.raises(TypeError):
        Period(datetime(2019, 2, 1), None)
    with pytest.raises(TypeError):
        Period(d(2019, 2, 1), "2019-03-01")  # type: ignore[arg-type]


def test_period_str_and_open() -> None:
    assert str(P("2019-02-01", "2021-01-31")) == "2019-02-01..2021-01-31"
    assert str(P("2019-02-01")) == "2019-02-01.."
    assert P("2019-02-01").is_open
    assert not P("2019-02-01", "2019-02-02").is_open


def test_period_contains() -> None:
    p = P("2019-02-01", "2019-02-28")
    assert p.contains(d(2019, 2, 1)) and p.contains(d(2019, 2, 28))
    assert not p.contains(d(2019, 1, 31)) and not p.contains(d(2019, 3, 1))
    assert P("2019-02-01").contains(date.max)


def test_period_overlaps_and_intersection() -> None:
    a = P("2019-01-01", "2019-01-31")
    assert a.overlaps(P("2019-01-31", "2019-02-10"))
    assert not a.overlaps(P("2019-02-01", "2019-02-10"))
    assert a.overlaps(P("2018-01-01"))
    assert not a.overlaps(P("2019-02-01"))
    assert P("2019-01-01").overlaps(P("2030-01-01"))
    assert a.intersection(P("2019-01-31", "2019-02-10")) == P("2019-01-31", "2019-01-31")
    assert a.intersection(P("2019-02-01", "2019-02-10")) is None
    assert a.intersection(P("2018-12-01")) == a
    assert P("2019-01-01").intersection(P("2019-06-01")) == P("2019-06-01")
    assert a.intersection(P("2019-01-10", "2019-01-20")) == P("2019-01-10", "2019-01-20")


def test_period_days_and_length() -> None:
    p = P("2019-02-01", "2021-01-31")
    assert p.days == 731
    assert p.length() == SpanLength(d(2019, 2, 1), d(2021, 1, 31))
    assert compare_length(p.length(), Duration.of(years=2), "clamp") == 0
    with pytest.raises(ValueError, match="open-ended"):
        _ = P("2019-02-01").days
    with pytest.raises(ValueError, match="open-ended"):
        P("2019-02-01").length()


def test_period_clip() -> None:
    p = P("2019-02-01", "2019-03-31")
    assert p.clip(d(2019, 3, 1)) == P("2019-02-01", "2019-03-01")
    assert p.clip(d(2019, 3, 31)) is p
    assert p.clip(d(2019, 2, 1)) == P("2019-02-01", "2019-02-01")
    assert p.clip(d(2019, 1, 31)) is None
    assert P("2019-02-01").clip(d(2020, 1, 1)) == P("2019-02-01", "2020-01-01")


# -- age -----------------------------------------------------------------------------------------

AGES = [
    # birth, on, clamp, roll
    ("1989-02-01", "2019-02-01", 30, 30),
    ("1989-02-01", "2019-01-31", 29, 29),
    ("1989-02-02", "2019-02-01", 29, 29),
    ("1989-12-31", "2019-12-31", 30, 30),
    ("1990-01-01", "2019-12-31", 29, 29),
    ("2019-02-01", "2019-02-01", 0, 0),
    ("2019-02-01", "2020-01-31", 0, 0),
    ("2019-02-01", "2020-02-01", 1, 1),
    ("2000-02-29", "2019-02-27", 18, 18),
    ("2000-02-29", "2019-02-28", 19, 18),
    ("2000-02-29", "2019-03-01", 19, 19),
    ("2000-02-29", "2020-02-28", 19, 19),
    ("2000-02-29", "2020-02-29", 20, 20),
    ("2000-02-29", "2001-02-28", 1, 0),
    ("2000-02-29", "2000-02-29", 0, 0),
    ("2000-02-29", "2000-03-01", 0, 0),
    ("2000-02-28", "2001-02-28", 1, 1),
    ("2000-03-01", "2001-02-28", 0, 0),
    ("0001-01-01", "9999-12-31", 9998, 9998),
    ("1996-02-29", "9999-03-01", 8003, 8003),
]


@pytest.mark.parametrize(("birth", "on", "clamp", "roll"), AGES)
def test_age(birth: str, on: str, clamp: int, roll: int) -> None:
    assert age(iso(birth), iso(on), "clamp") == clamp
    assert age(iso(birth), iso(on), "roll") == roll


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="before the birth date"):
        age(d(2000, 1, 2), d(2000, 1, 1), "clamp")


# -- spells --------------------------------------------------------------------------------


def test_merge_one_day_gap_with_and_without_tolerance() -> None:
    periods = [P("2019-01-01", "2019-01-10"), P("2019-01-12", "2019-01-20")]
    assert merge_spells(periods, NO_GAP, "clamp") == periods
    assert merge_spells(periods, ONE_DAY, "clamp") == [P("2019-01-01", "2019-01-20")]
    two_days = [P("2019-01-01", "2019-01-10"), P("2019-01-13", "2019-01-20")]
    assert merge_spells(two_days, ONE_DAY, "clamp") == two_days
    assert merge_spells(two_days, Duration(days=2), "clamp") == [P("2019-01-01", "2019-01-20")]


def test_merge_adjacent_overlapping_and_contained() -> None:
    assert merge_spells(
        [P("2019-01-01", "2019-01-10"), P("2019-01-11", "2019-01-20")], NO_GAP, "clamp"
    ) == [P("2019-01-01", "2019-01-20")]
    assert merge_spells(
        [P("2019-01-01", "2019-01-10"), P("2019-01-05", "2019-01-20")], NO_GAP, "clamp"
    ) == [P("2019-01-01", "2019-01-20")]
    assert merge_spells(
        [P("2019-01-01", "2019-01-31"), P("2019-01-05", "2019-01-10"),
         P("2019-02-01", "2019-02-02")],
        NO_GAP,
        "clamp",
    ) == [P("2019-01-01", "2019-02-02")]


def test_merge_unsorted_input_and_iterables() -> None:
    periods = [
        P("2019-03-01", "2019-03-31"),
        P("2019-01-01", "2019-01-31"),
        P("2019-02-01", "2019-02-10"),
        P("2019-06-01", "2019-06-30"),
    ]
    expected = [P("2019-01-01", "2019-02-10"), P("2019-03-01", "2019-03-31"),
                P("2019-06-01", "2019-06-30")]
    assert merge_spells(periods, NO_GAP, "clamp") == expected
    assert merge_spells(iter(periods), NO_GAP, "clamp") == expected
    assert merge_spells(reversed(periods), NO_GAP, "clamp") == expected
    assert merge_spells((), NO_GAP, "clamp") == []


def test_merge_open_ended_absorbs_what_follows() -> None:
    periods = [P("2019-01-01", "2019-01-10"), P("2019-01-05"), P("2019-03-01", "2019-03-31"),
               P("2018-01-01", "2018-01-31")]
    assert merge_spells(periods, NO_GAP, "clamp") == [P("2018-01-01", "2018-01-31"),
                                                      P("2019-01-01")]
    assert merge_spells([P("2019-01-01"), P("2019-01-01", "2019-02-01")], NO_GAP, "clamp") == [
        P("2019-01-01")
    ]
    assert merge_spells([P("2019-01-01", "2019-02-01"), P("2019-01-01")], NO_GAP, "clamp") == [
        P("2019-01-01")
    ]


def test_merge_with_a_gap_in_months_uses_the_rule() -> None:
    # A spell ending 2019-01-30: the next day is 2019-01-31, + 1 month is
    # 2019-02-28 (clamp) or 2019-03-01 (roll).
    periods = [P("2019-01-01", "2019-01-30"), P("2019-03-01", "2019-03-31")]
    gap = Duration(months=1)
    assert merge_spells(periods, gap, "clamp") == periods
    assert merge_spells(periods, gap, "roll") == [P("2019-01-01", "2019-03-31")]


def test_merge_near_the_end_of_the_calendar() -> None:
    periods = [P("9999-12-01", "9999-12-31"), P("9999-12-31", "9999-12-31")]
    assert merge_spells(periods, Duration(months=1), "clamp") == [P("9999-12-01", "9999-12-31")]
    assert merge_spells(periods, Duration(days=5), "clamp") == [P("9999-12-01", "9999-12-31")]
    near = [P("9999-11-01", "9999-11-30"), P("9999-12-31", "9999-12-31")]
    assert merge_spells(near, Duration(months=1), "clamp") == [P("9999-11-01", "9999-12-31")]


def test_merge_rejects_a_negative_gap() -> None:
    with pytest.raises(ValueError, match="negative"):
        merge_spells([P("2019-01-01", "2019-01-02")], Duration(days=-1), "clamp")


def test_spell_covering_and_length_so_far() -> None:
    periods = [P("2019-01-01", "2019-01-10"), P("2019-01-12", "2019-01-20"),
               P("2019-03-01", "2019-03-31")]
    on = d(2019, 1, 15)
    assert spell_covering(periods, on, NO_GAP, "clamp") == P("2019-01-12", "2019-01-20")
    assert spell_covering(periods, on, ONE_DAY, "clamp") == P("2019-01-01", "2019-01-20")
    assert spell_length_on(periods, on, NO_GAP, "clamp").days == 4
    assert spell_length_on(periods, on, ONE_DAY, "clamp").days == 15
    # The bridged day belongs to the spell.
    assert spell_length_on(periods, d(2019, 1, 11), ONE_DAY, "clamp").days == 11
    # Not covered: zero, anchored just after the day.
    gap_day = d(2019, 1, 11)
    assert spell_covering(periods, gap_day, NO_GAP, "clamp") is None
    assert spell_length_on(periods, gap_day, NO_GAP, "clamp") == SpanLength.empty(gap_day)
    assert spell_length_on(periods, gap_day, NO_GAP, "clamp").start == d(2019, 1, 12)
    assert spell_length_on(periods, d(2019, 2, 15), ONE_DAY, "clamp").days == 0
    assert spell_length_on(periods, d(2018, 2, 15), ONE_DAY, "clamp").days == 0
    assert spell_length_on([], d(2018, 2, 15), ONE_DAY, "clamp").days == 0
    assert spell_length_on(periods, d(2019, 4, 1), NO_GAP, "clamp").days == 0


def test_spell_length_on_the_last_date() -> None:
    assert spell_length_on([], date.max, NO_GAP, "clamp").days == 0
    assert spell_length_on([P("9999-12-01")], date.max, NO_GAP, "clamp").days == 31


def test_spell_length_five_years_on_cash_benefit() -> None:
    history = [P("2014-02-01", "2016-06-30"), P("2016-07-01")]
    on = d(2019, 1, 31)
    length = spell_length_on(history, on, NO_GAP, "clamp")
    assert compare_length(length, FIVE_YEARS, "clamp") == 0
    length = spell_length_on(history, on - DAY, NO_GAP, "clamp")
    assert compare_length(length, FIVE_YEARS, "clamp") == -1


# -- windows and coverage ---------------------------------------------------------------------


def test_overlap_days_does_not_double_count() -> None:
    window = P("2019-01-01", "2019-01-31")
    periods = [P("2018-12-01", "2019-01-05"), P("2019-01-03", "2019-01-07"),
               P("2019-01-10", "2019-01-10"), P("2019-01-30"), P("2019-03-01", "2019-03-05")]
    assert overlap_days(periods, window) == 7 + 1 + 2
    assert overlap_days([], window) == 0
    assert overlap_days([P("2018-01-01")], window) == 31
    assert overlap_days([window, window], window) == 31
    with pytest.raises(ValueError, match="end"):
        overlap_days(periods, P("2019-01-01"))


def test_overlaps_any() -> None:
    window = P("2017-02-01", "2019-01-31")
    assert overlaps_any([P("2016-01-01", "2017-02-01")], window)
    assert not overlaps_any([P("2016-01-01", "2017-01-31"), P("2019-02-01")], window)
    assert not overlaps_any([], window)
    assert overlaps_any(iter([P("2030-01-01")]), P("2019-01-01"))


def test_covers_all_with_one_uncovered_day() -> None:
    window = P("2020-01-01", "2020-04-30")
    periods = [P("2020-01-01", "2020-03-01"), P("2020-03-03", "2020-06-30")]
    assert not covers_all(periods, window)
    assert first_uncovered_day(periods, window) == d(2020, 3, 2)
    periods = [P("2020-01-01", "2020-03-01"), P("2020-03-02", "2020-06-30")]
    assert covers_all(periods, window)
    assert first_uncovered_day(periods, window) is None


def test_first_uncovered_day_edges() -> None:
    window = P("2020-01-01", "2020-01-31")
    assert first_uncovered_day([], window) == d(2020, 1, 1)
    assert first_uncovered_day([P("2020-01-02")], window) == d(2020, 1, 1)
    assert first_uncovered_day([P("2019-01-01", "2020-01-30")], window) == d(2020, 1, 31)
    assert first_uncovered_day([P("2019-01-01")], window) is None
    assert covers_all([P("2020-01-10", "2020-01-31"), P("2020-01-01", "2020-01-09")], window)
    assert covers_all([P("9999-01-01")], P("9999-12-01", "9999-12-31"))
    with pytest.raises(ValueError):
        covers_all([], P("2020-01-01"))


def test_following_and_preceding() -> None:
    assert following(d(2019, 2, 1), Duration(months=4), "clamp") == P("2019-02-01", "2019-05-31")
    assert following(d(2019, 2, 1), Duration(days=1), "clamp") == P("2019-02-01", "2019-02-01")
    assert following(d(2019, 1, 31), Duration(months=1), "clamp") == P("2019-01-31", "2019-02-27")
    assert following(d(2019, 1, 31), Duration(months=1), "roll") == P("2019-01-31", "2019-02-28")
    assert preceding(d(2021, 1, 31), Duration.of(years=2), "clamp") == P("2019-02-01", "2021-01-31")
    assert preceding(d(2019, 2, 1), Duration.of(years=2), "clamp") == P("2017-02-02", "2019-02-01")
    assert preceding(d(2019, 2, 1), Duration(days=1), "clamp") == P("2019-02-01", "2019-02-01")
    assert preceding(d(2019, 3, 31), Duration(months=1), "clamp") == P("2019-03-01", "2019-03-31")
    assert preceding(d(2019, 3, 31), Duration(months=1), "roll") == P("2019-03-02", "2019-03-31")
    assert following(d(9999, 12, 1), Duration(months=1), "clamp") == P("9999-12-01", "9999-12-31")
    assert preceding(d(1, 1, 31), Duration(months=1), "clamp") == P("0001-01-01", "0001-01-31")


def test_windows_need_a_positive_duration_inside_the_calendar() -> None:
    for dur in (Duration(), Duration(days=-1), Duration(months=-1)):
        with pytest.raises(ValueError, match="positive"):
            following(d(2019, 2, 1), dur, "clamp")
        with pytest.raises(ValueError, match="positive"):
            preceding(d(2019, 2, 1), dur, "clamp")
    with pytest.raises(DateRangeError):
        following(d(9999, 12, 1), Duration(months=2), "clamp")
    with pytest.raises(DateRangeError):
        preceding(d(1, 1, 31), Duration(months=2), "clamp")


def test_weeks_and_days() -> None:
    assert weeks_and_days(P("2019-02-01", "2019-02-14")) == (2, 0)
    assert weeks_and_days(P("2019-02-01", "2019-02-17")) == (2, 3)
    assert weeks_and_days(P("2019-02-01", "2019-02-01")) == (0, 1)
    with pytest.raises(ValueError):
        weeks_and_days(P("2019-02-01"))


# -- properties -------------------------------------------------------------------------------

rules = st.sampled_from(RULES)
any_dates = st.dates(min_value=d(1, 1, 1), max_value=d(9999, 12, 31))
near_dates = st.dates(min_value=d(1900, 1, 1), max_value=d(2100, 12, 31))
LO, HI = d(2019, 1, 1), d(2019, 4, 30)
small_dates = st.dates(min_value=LO, max_value=HI)


@st.composite
def small_periods(draw: st.DrawFn) -> Period:
    start = draw(small_dates)
    if draw(st.integers(0, 9)) == 0:
        return Period(start, None)
    return Period(start, start + timedelta(days=draw(st.integers(0, 20))))


period_lists = st.lists(small_periods(), max_size=8)


def days_of(periods: Iterable[Period], horizon: date = HI + timedelta(days=60)) -> set[date]:
    out: set[date] = set()
    for p in periods:
        end = horizon if p.end is None else p.end
        out.update(_days(p.start, end))
    return out


def _days(start: date, end: date) -> Iterator[date]:
    while start <= end:
        yield start
        start += DAY


def _runs(days: set[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + DAY == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


@given(any_dates, st.integers(-1200, 1200), rules)
def test_add_months_inverse_when_the_day_exists(start: date, n: int, rule: MonthEnd) -> None:
    try:
        there = add_months(start, n, rule)
    except DateRangeError:
        return
    if start.day <= 28:
        assert there.day == start.day
        assert add_months(there, -n, rule) == start
    elif there.day == start.day:
        assert add_months(there, -n, rule) == start


@given(near_dates, st.integers(-600, 600), rules)
def test_add_months_lands_in_the_right_month(start: date, n: int, rule: MonthEnd) -> None:
    there = add_months(start, n, rule)
    months = there.year * 12 + there.month - (start.year * 12 + start.month)
    if rule == "clamp" or there.day == start.day:
        assert months == n
        assert there.day <= start.day
    else:
        assert months == n + 1 and there.day == 1


@given(near_dates, near_dates, rules)
def test_age_matches_its_definition(birth: date, on: date, rule: MonthEnd) -> None:
    assume(birth <= on)
    n = age(birth, on, rule)
    assert n >= 0
    assert add_months(birth, 12 * n, rule) <= on
    assert add_months(birth, 12 * (n + 1), rule) > on


@given(near_dates, near_dates, st.integers(0, 800), rules)
def test_age_is_monotone(birth: date, on: date, later: int, rule: MonthEnd) -> None:
    assume(birth <= on)
    assert age(birth, on, rule) <= age(birth, on + timedelta(days=later), rule)


@given(near_dates, st.integers(1, 100), rules)
def test_age_increases_by_one_on_each_birthday(birth: date, n: int, rule: MonthEnd) -> None:
    birthday = add_months(birth, 12 * n, rule)
    assert age(birth, birthday, rule) == n
    assert age(birth, birthday - DAY, rule) == n - 1


@given(near_dates, st.integers(-40, 40), st.integers(-400, 400), near_dates, rules)
def test_compare_length_agrees_with_its_definition(
    start: date, months: int, days: int, end_hint: date, rule: MonthEnd
) -> None:
    end = max(end_hint, start - DAY)
    dur = Duration(months, days)
    target = add_duration(start, dur, rule)
    limit = end + DAY
    expected = 1 if target < limit else 0 if target == limit else -1
    assert compare_length(SpanLength(start, end), dur, rule) == expected
    if months == 0:
        span_days = (end - start).days + 1
        assert expected == (span_days > days) - (span_days < days)


@given(near_dates, st.integers(0, 40), st.integers(0, 400), rules)
def test_following_is_exactly_as_long_as_the_duration(
    start: date, months: int, days: int, rule: MonthEnd
) -> None:
    dur = Duration(months, days)
    assume(not dur.is_zero)
    window = following(start, dur, rule)
    assert window.start == start
    assert compare_length(window.length(), dur, rule) == 0


@given(near_dates, st.integers(0, 40), st.integers(0, 400), rules)
def test_preceding_ends_on_the_day(end: date, months: int, days: int, rule: MonthEnd) -> None:
    dur = Duration(months, days)
    assume(not dur.is_zero)
    window = preceding(end, dur, rule)
    assert window.end == end
    assert window.start == sub_duration(end, dur, rule) + DAY
    if months == 0:
        assert window.days == days
    if end.day <= 27 and days == 0:
        assert compare_length(window.length(), dur, rule) == 0


@given(period_lists)
def test_merge_without_gap_covers_exactly_the_union(periods: list[Period]) -> None:
    spells = merge_spells(periods, NO_GAP, "clamp")
    for a, b in itertools.pairwise(spells):
        assert a.end is not None
        assert b.start > a.end + DAY  # sorted, apart, not even adjacent
    assert days_of(spells) == days_of(periods)
    assert (bool(spells) and spells[-1].is_open) == any(p.is_open for p in periods)
    assert merge_spells(list(reversed(periods)), NO_GAP, "clamp") == spells


@given(period_lists, st.integers(0, 5), rules)
def test_merge_with_a_gap_bridges_short_holes_only(
    periods: list[Period], gap: int, rule: MonthEnd
) -> None:
    spells = merge_spells(periods, Duration(days=gap), rule)
    covered = days_of(periods)
    # Reference: fill every hole between covered days of at most `gap` days.
    runs = _runs(covered)
    filled = set(covered)
    for (_, prev_end), (next_start, _) in itertools.pairwise(runs):
        if (next_start - prev_end).days - 1 <= gap:
            filled.update(_days(prev_end + DAY, next_start - DAY))
    assert days_of(spells) == filled
    for a, b in itertools.pairwise(spells):
        assert a.end is not None
        assert (b.start - a.end).days - 1 > gap


@given(period_lists, small_dates, st.integers(0, 3))
def test_spell_length_on_agrees_with_the_day_sets(
    periods: list[Period], on: date, gap: int
) -> None:
    length = spell_length_on(periods, on, Duration(days=gap), "clamp")
    spell = spell_covering(periods, on, Duration(days=gap), "clamp")
    if spell is None:
        assert length.days == 0
        assert all(not s.contains(on) for s in merge_spells(periods, Duration(days=gap), "clamp"))
    else:
        assert spell.contains(on)
        assert length.start == spell.start and length.end == on
        assert length.days == (on - spell.start).days + 1


@st.composite
def windows(draw: st.DrawFn) -> Period:
    start = draw(small_dates)
    return Period(start, start + timedelta(days=draw(st.integers(0, 60))))


@given(period_lists, windows())
def test_overlap_and_coverage_agree_with_the_day_sets(
    periods: list[Period], window: Period
) -> None:
    assert window.end is not None
    window_days = set(_days(window.start, window.end))
    covered = days_of(periods) & window_days
    assert overlap_days(periods, window) == len(covered)
    assert covers_all(periods, window) == (covered == window_days)
    missing = window_days - covered
    assert first_uncovered_day(periods, window) == (min(missing) if missing else None)
    assert overlaps_any(periods, window) == bool(covered)


@given(small_periods(), small_periods())
def test_intersection_agrees_with_the_day_sets(a: Period, b: Period) -> None:
    both = days_of([a]) & days_of([b])
    meet = a.intersection(b)
    assert a.overlaps(b) == b.overlaps(a) == bool(both) == (meet is not None)
    if meet is not None:
        assert days_of([meet]) == both
