"""Tests of udbudsregler.values.wording: Danish, English and Swedish text for explanations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from udbudsregler.values.money import Money, Rounding
from udbudsregler.values.temporal import Duration, Period, SpanLength
from udbudsregler.values.wording import (
    LANGUAGES,
    Language,
    format_bool,
    format_date,
    format_decimal,
    format_duration,
    format_hours,
    format_money,
    format_period,
    format_span_length,
)

D = Decimal


def test_languages() -> None:
    assert LANGUAGES == ("da", "en", "sv")
    assert get_args(Language) == LANGUAGES


@pytest.mark.parametrize(
    "call",
    [
        lambda: format_date(date(2019, 2, 1), "de"),  # type: ignore[arg-type]
        lambda: format_money(Money(1, "DKK"), "DA"),  # type: ignore[arg-type]
        lambda: format_decimal(1, "fr"),  # type: ignore[arg-type]
        lambda: format_duration(Duration(1), ""),  # type: ignore[arg-type]
        lambda: format_span_length(SpanLength(date(2019, 1, 1), date(2019, 1, 1)), "x"),  # type: ignore[arg-type]
        lambda: format_period(Period(date(2019, 1, 1)), "se"),  # type: ignore[arg-type]
        lambda: format_hours(1, "no"),  # type: ignore[arg-type]
        lambda: format_bool(True, "nl"),  # type: ignore[arg-type]
    ],
)
def test_unknown_language_is_an_error(call: object) -> None:
    with pytest.raises(ValueError, match="language"):
        call()  # type: ignore[operator]


def test_unknown_language_names_every_language() -> None:
    with pytest.raises(ValueError, match="use one of: da, en, sv"):
        format_date(date(2019, 2, 1), "no")  # type: ignore[arg-type]


# -- dates and periods --------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "da", "en", "sv"),
    [
        (date(2019, 2, 1), "1. februar 2019", "1 February 2019", "1 februari 2019"),
        (date(2021, 1, 31), "31. januar 2021", "31 January 2021", "31 januari 2021"),
        (date(2020, 3, 15), "15. marts 2020", "15 March 2020", "15 mars 2020"),
        (date(2020, 5, 5), "5. maj 2020", "5 May 2020", "5 maj 2020"),
        (date(2019, 10, 1), "1. oktober 2019", "1 October 2019", "1 oktober 2019"),
        (date(2019, 12, 24), "24. december 2019", "24 December 2019", "24 december 2019"),
        (date(1, 1, 1), "1. januar 1", "1 January 1", "1 januari 1"),
    ],
)
def test_format_date(day: date, da: str, en: str, sv: str) -> None:
    assert format_date(day, "da") == da
    assert format_date(day, "en") == en
    assert format_date(day, "sv") == sv


def test_format_date_covers_every_month() -> None:
    da = [format_date(date(2019, m, 1), "da").split()[1] for m in range(1, 13)]
    assert da == ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
                  "september", "oktober", "november", "december"]
    en = [format_date(date(2019, m, 1), "en").split()[1] for m in range(1, 13)]
    assert en == ["January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December"]
    sv = [format_date(date(2019, m, 1), "sv").split()[1] for m in range(1, 13)]
    assert sv == ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
                  "september", "oktober", "november", "december"]


def test_format_period() -> None:
    closed = Period(date(2019, 2, 1), date(2021, 1, 31))
    assert format_period(closed, "da") == "1. februar 2019 – 31. januar 2021"
    assert format_period(closed, "en") == "1 February 2019 – 31 January 2021"
    ongoing = Period(date(2019, 2, 1))
    assert format_period(ongoing, "da") == "fra 1. februar 2019"
    assert format_period(ongoing, "en") == "from 1 February 2019"
    assert format_period(closed, "sv") == "1 februari 2019 – 31 januari 2021"
    assert format_period(ongoing, "sv") == "från 1 februari 2019"


# -- money ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "da", "en", "sv"),
    [
        ("1850.50", "DKK", "1.850,50 kr.", "DKK 1,850.50", "1 850,50 DKK"),
        ("1850.5", "DKK", "1.850,50 kr.", "DKK 1,850.50", "1 850,50 DKK"),
        ("1850", "DKK", "1.850,00 kr.", "DKK 1,850.00", "1 850,00 DKK"),
        ("-1850.50", "DKK", "-1.850,50 kr.", "-DKK 1,850.50", "-1 850,50 DKK"),
        ("0", "DKK", "0,00 kr.", "DKK 0.00", "0,00 DKK"),
        ("-0.00", "DKK", "0,00 kr.", "DKK 0.00", "0,00 DKK"),
        ("0.5", "DKK", "0,50 kr.", "DKK 0.50", "0,50 DKK"),
        ("999.99", "DKK", "999,99 kr.", "DKK 999.99", "999,99 DKK"),
        ("1234567.89", "DKK", "1.234.567,89 kr.", "DKK 1,234,567.89", "1 234 567,89 DKK"),
        ("100000", "DKK", "100.000,00 kr.", "DKK 100,000.00", "100 000,00 DKK"),
        ("1850.50", "EUR", "1.850,50 EUR", "EUR 1,850.50", "1 850,50 EUR"),
        ("-3.1", "EUR", "-3,10 EUR", "-EUR 3.10", "-3,10 EUR"),
        ("1E+3", "DKK", "1.000,00 kr.", "DKK 1,000.00", "1 000,00 DKK"),
        ("1850.505", "DKK", "1.850,505 kr.", "DKK 1,850.505", "1 850,505 DKK"),
        ("1850.5000", "DKK", "1.850,50 kr.", "DKK 1,850.50", "1 850,50 DKK"),
        ("1850.50", "SEK", "1.850,50 SEK", "SEK 1,850.50", "1 850,50 kr"),
        ("1850", "SEK", "1.850,00 SEK", "SEK 1,850.00", "1 850,00 kr"),
        ("-1850.50", "SEK", "-1.850,50 SEK", "-SEK 1,850.50", "-1 850,50 kr"),
        ("0", "SEK", "0,00 SEK", "SEK 0.00", "0,00 kr"),
        ("999.99", "SEK", "999,99 SEK", "SEK 999.99", "999,99 kr"),
        ("1234567.89", "SEK", "1.234.567,89 SEK", "SEK 1,234,567.89", "1 234 567,89 kr"),
        ("12500", "SEK", "12.500,00 SEK", "SEK 12,500.00", "12 500,00 kr"),
    ],
)
def test_format_money(amount: str, currency: str, da: str, en: str, sv: str) -> None:
    m = Money(amount, currency)
    assert format_money(m, "da") == da
    assert format_money(m, "en") == en
    assert format_money(m, "sv") == sv


def test_format_money_with_rounding() -> None:
    m = Money("1850.505", "DKK")
    ore = Rounding(D("0.01"), "half_up")
    assert format_money(m, "da", ore) == "1.850,51 kr."
    assert format_money(m, "en", Rounding(D("0.01"), "half_even")) == "DKK 1,850.50"
    assert format_money(m, "da", Rounding(D("1"), "half_up")) == "1.851 kr."
    assert format_money(m, "en", Rounding(D("10"), "down")) == "DKK 1,850"
    assert format_money(m, "da", Rounding(D("0.25"), "half_up")) == "1.850,50 kr."
    assert format_money(m, "da", Rounding(D("0.5"), "up")) == "1.851,00 kr."
    assert format_money(m, "da", Rounding(D("0.001"), "half_up")) == "1.850,505 kr."
    assert format_money(Money(-1, "DKK") / 3, "da", ore) == "-0,33 kr."
    assert format_money(Money("-0.001", "DKK"), "da", ore) == "0,00 kr."


def test_format_money_in_swedish_with_rounding() -> None:
    m = Money("1850.505", "SEK")
    assert format_money(m, "sv", Rounding(D("0.01"), "half_up")) == "1 850,51 kr"
    assert format_money(m, "sv", Rounding(D("1"), "half_up")) == "1 851 kr"
    assert format_money(Money("12499.5", "SEK"), "sv", Rounding(D("1"), "half_up")) \
        == "12 500 kr"
    assert format_money(Money(-1, "SEK") / 3, "sv", Rounding(D("0.01"), "half_up")) \
        == "-0,33 kr"


def test_thousands_separator_in_swedish_is_a_plain_space() -> None:
    text = format_money(Money("1850.50", "SEK"), "sv")
    assert text == "1\u0020850,50\u0020kr"
    assert format_decimal(12500, "sv") == "12\u0020500"


def test_format_money_does_not_depend_on_the_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 2
        assert format_money(Money("1234567.89", "DKK"), "da") == "1.234.567,89 kr."


# -- numbers and hours -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "da", "en", "sv"),
    [
        (D("15.5"), "15,5", "15.5", "15,5"),
        (D("15.50"), "15,5", "15.5", "15,5"),
        (D("15.0"), "15", "15", "15"),
        (15, "15", "15", "15"),
        (0, "0", "0", "0"),
        (D("-0.25"), "-0,25", "-0.25", "-0,25"),
        (D("2019"), "2019", "2019", "2019"),
        (D("1850.50"), "1850,5", "1850.5", "1850,5"),
        (12500, "12.500", "12,500", "12 500"),
        (D("12500.75"), "12.500,75", "12,500.75", "12 500,75"),
        (1000000, "1.000.000", "1,000,000", "1 000 000"),
        (D("1E+3"), "1000", "1000", "1000"),
        (D("0.000001"), "0,000001", "0.000001", "0,000001"),
    ],
)
def test_format_decimal(x: Decimal | int, da: str, en: str, sv: str) -> None:
    assert format_decimal(x, "da") == da
    assert format_decimal(x, "en") == en
    assert format_decimal(x, "sv") == sv


def test_format_decimal_rejects_float_and_bool() -> None:
    with pytest.raises(TypeError):
        format_decimal(1.5, "da")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_decimal(True, "da")


@pytest.mark.parametrize(
    ("x", "da", "en", "sv"),
    [
        (15, "15 timer", "15 hours", "15 timmar"),
        (1, "1 time", "1 hour", "1 timme"),
        (D("1.0"), "1 time", "1 hour", "1 timme"),
        (D("15.5"), "15,5 timer", "15.5 hours", "15,5 timmar"),
        (0, "0 timer", "0 hours", "0 timmar"),
        (D("0.5"), "0,5 timer", "0.5 hours", "0,5 timmar"),
    ],
)
def test_format_hours(x: Decimal | int, da: str, en: str, sv: str) -> None:
    assert format_hours(x, "da") == da
    assert format_hours(x, "en") == en
    assert format_hours(x, "sv") == sv


@given(st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False))
def test_format_decimal_reads_back(x: Decimal) -> None:
    en = format_decimal(x, "en")
    da = format_decimal(x, "da")
    assert Decimal(en.replace(",", "")) == x
    assert Decimal(da.replace(".", "").replace(",", ".")) == x
    sv = format_decimal(x, "sv")
    assert Decimal(sv.replace(" ", "").replace(",", ".")) == x


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False))
def test_format_money_reads_back(x: Decimal) -> None:
    text = format_money(Money(x, "DKK"), "da")
    assert text.endswith(" kr.")
    number = text.removesuffix(" kr.")
    whole, frac = number.split(",")
    assert len(frac) == 2
    assert Decimal(whole.replace(".", "") + "." + frac) == x


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False))
def test_format_money_reads_back_in_swedish(x: Decimal) -> None:
    text = format_money(Money(x, "SEK"), "sv")
    assert text.endswith(" kr")
    whole, frac = text.removesuffix(" kr").split(",")
    assert len(frac) == 2
    assert Decimal(whole.replace(" ", "") + "." + frac) == x


# -- durations and lengths ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("dur", "da", "en", "sv"),
    [
        (Duration.of(years=2), "2 år", "2 years", "2 år"),
        (Duration.of(years=1), "1 år", "1 year", "1 år"),
        (Duration(months=4), "4 måneder", "4 months", "4 månader"),
        (Duration(months=1), "1 måned", "1 month", "1 månad"),
        (Duration(days=7), "7 dage", "7 days", "7 dagar"),
        (Duration(days=1), "1 dag", "1 day", "1 dag"),
        (Duration.of(weeks=2), "14 dage", "14 days", "14 dagar"),
        (Duration(months=18), "1 år og 6 måneder", "1 year and 6 months",
         "1 år och 6 månader"),
        (Duration(months=25, days=3), "2 år, 1 måned og 3 dage", "2 years, 1 month and 3 days",
         "2 år, 1 månad och 3 dagar"),
        (Duration(months=12, days=1), "1 år og 1 dag", "1 year and 1 day", "1 år och 1 dag"),
        (Duration(), "0 dage", "0 days", "0 dagar"),
        (Duration(months=-18), "-1 år og 6 måneder", "-1 year and 6 months",
         "-1 år och 6 månader"),
        (Duration(days=-3), "-3 dage", "-3 days", "-3 dagar"),
        (Duration(1, -3), "1 måned og -3 dage", "1 month and -3 days", "1 månad och -3 dagar"),
    ],
)
def test_format_duration(dur: Duration, da: str, en: str, sv: str) -> None:
    assert format_duration(dur, "da") == da
    assert format_duration(dur, "en") == en
    assert format_duration(dur, "sv") == sv


@pytest.mark.parametrize(
    ("start", "end", "da", "en", "sv"),
    [
        (date(2014, 2, 1), date(2019, 1, 30), "4 år, 11 måneder og 30 dage",
         "4 years, 11 months and 30 days", "4 år, 11 månader och 30 dagar"),
        (date(2014, 2, 1), date(2019, 1, 31), "5 år", "5 years", "5 år"),
        (date(2019, 2, 1), date(2019, 5, 31), "4 måneder", "4 months", "4 månader"),
        (date(2019, 2, 1), date(2019, 2, 1), "1 dag", "1 day", "1 dag"),
        (date(2019, 2, 2), date(2019, 2, 1), "0 dage", "0 days", "0 dagar"),
        (date(2019, 1, 1), date(2020, 1, 1), "1 år og 1 dag", "1 year and 1 day",
         "1 år och 1 dag"),
        (date(2019, 1, 31), date(2019, 2, 27), "1 måned", "1 month", "1 månad"),
    ],
)
def test_format_span_length(start: date, end: date, da: str, en: str, sv: str) -> None:
    assert format_span_length(SpanLength(start, end), "da") == da
    assert format_span_length(SpanLength(start, end), "en") == en
    assert format_span_length(SpanLength(start, end), "sv") == sv


def test_format_span_length_at_the_end_of_the_calendar() -> None:
    assert format_span_length(SpanLength(date(9999, 1, 1), date.max), "en") == "1 year"
    assert format_span_length(SpanLength.empty(date.max), "en") == "0 days"


def test_format_bool() -> None:
    assert format_bool(True, "da") == "ja"
    assert format_bool(False, "da") == "nej"
    assert format_bool(True, "en") == "yes"
    assert format_bool(False, "en") == "no"
    assert format_bool(True, "sv") == "ja"
    assert format_bool(False, "sv") == "nej"
    with pytest.raises(TypeError):
        format_bool(1, "da")  # type: ignore[arg-type]
