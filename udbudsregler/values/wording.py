"""Human-readable text for values in explanations, in Danish (``"da"``), English
(``"en"``) and Swedish (``"sv"``).

Only the standard library is used, and not :mod:`locale`, which is
process-global and depends on the machine. Danish follows Danish
conventions: ``1. februar 2019``, ``1.850,50 kr.``, ``15,5 timer``; Swedish
follows Swedish ones: ``1 februari 2019``, ``1 850,50 kr`` (a plain space
groups the thousands), ``15,5 timmar``.

:data:`LANGUAGES` is the one list of the languages: the policy header, the
command line, the service and the text tables all take it from here.

Numbers are never rounded silently: an amount shows at least two decimals
(or the decimals of the rounding unit given), and more if its exact value
has more.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, get_args

from udbudsregler.values.money import Money, Rounding, to_decimal
from udbudsregler.values.temporal import (
    Duration,
    MonthEnd,
    Period,
    SpanLength,
    calendar_breakdown,
)

__all__ = [
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "Language",
    "Unit",
    "format_bool",
    "format_date",
    "format_decimal",
    "format_duration",
    "format_hours",
    "format_money",
    "format_period",
    "format_span_length",
]

Language = Literal["da", "en", "sv"]
#: The unit a length is shown in: the unit the author wrote the limit it is compared
#: with in (``180 days``, ``26 weeks``, ``5 years``). ``months`` covers months and
#: years: the length is shown in years, months and days.
Unit = Literal["days", "weeks", "months"]
#: The languages explanations can be written in (the values of :data:`Language`).
LANGUAGES: tuple[Language, ...] = get_args(Language)
#: Each language's name in English, for messages to authors.
LANGUAGE_NAMES: dict[str, str] = {"da": "Danish", "en": "English", "sv": "Swedish"}

_MONTHS = {
    "da": ("", "januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
           "september", "oktober", "november", "december"),
    "en": ("", "January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "sv": ("", "januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
           "september", "oktober", "november", "december"),
}
# (thousands separator, decimal mark)
_MARKS = {"da": (".", ","), "en": (",", "."), "sv": (" ", ",")}
# unit -> language -> (singular, plural)
_UNITS = {
    "year": {"da": ("år", "år"), "en": ("year", "years"), "sv": ("år", "år")},
    "month": {"da": ("måned", "måneder"), "en": ("month", "months"),
              "sv": ("månad", "månader")},
    "week": {"da": ("uge", "uger"), "en": ("week", "weeks"), "sv": ("vecka", "veckor")},
    "day": {"da": ("dag", "dage"), "en": ("day", "days"), "sv": ("dag", "dagar")},
    "hour": {"da": ("time", "timer"), "en": ("hour", "hours"), "sv": ("timme", "timmar")},
}
_AND = {"da": "og", "en": "and", "sv": "och"}
_FROM = {"da": "fra", "en": "from", "sv": "från"}
_BOOL = {"da": ("nej", "ja"), "en": ("no", "yes"), "sv": ("nej", "ja")}
#: Decimals an amount shows at least, unless a rounding unit says otherwise.
_MONEY_DECIMALS = 2


def _check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of: {', '.join(LANGUAGES)}")
    return lang


def _group(digits: str, sep: str) -> str:
    """``"1850"`` -> ``"1.850"`` (``"1 850"`` in Swedish): thousands separated from the
    right."""
    n = len(digits)
    if n <= 3:
        return digits
    head = n % 3 or 3
    parts = [digits[:head]]
    parts.extend(digits[i : i + 3] for i in range(head, n, 3))
    return sep.join(parts)


def _number(x: Decimal, lang: str, min_decimals: int, group_from: int) -> tuple[str, str]:
    """Sign and digits of ``x`` with at least ``min_decimals`` decimals and no trailing
    zeros beyond them; thousands are grouped when the integer part has at least
    ``group_from`` digits."""
    sep, mark = _MARKS[lang]
    text = format(x.copy_abs(), "f")
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    if len(frac) < min_decimals:
        frac = frac.ljust(min_decimals, "0")
    if len(whole) >= group_from:
        whole = _group(whole, sep)
    sign = "-" if x < 0 else ""
    return sign, f"{whole}{mark}{frac}" if frac else whole


def _exact(x: object) -> Decimal:
    return to_decimal(x, "number")


def format_date(d: date, lang: Language) -> str:
    """da ``1. februar 2019``, en ``1 February 2019``, sv ``1 februari 2019``."""
    month = _MONTHS[_check_lang(lang)][d.month]
    if lang == "da":
        return f"{d.day}. {month} {d.year}"
    return f"{d.day} {month} {d.year}"


def format_money(m: Money, lang: Language, rounding: Rounding | None = None) -> str:
    """da ``1.850,50 kr.``, en ``DKK 1,850.50``, sv ``1 850,50 kr`` (SEK).

    Other currencies show their code: after the amount in Danish and Swedish
    (``1.850,50 SEK``, ``1 850,50 DKK``), before it in English.

    With a ``rounding`` the amount is rounded by it first and shows the
    unit's decimals (none for whole kroner, at least two otherwise).
    Without one the exact amount shows at least two decimals, and more if
    it has more.
    """
    _check_lang(lang)
    amount = m.amount
    decimals = _MONEY_DECIMALS
    if rounding is not None:
        amount = rounding.apply(amount)
        exponent = rounding.unit.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        decimals = max(places, _MONEY_DECIMALS) if places else 0
    sign, digits = _number(amount, lang, decimals, 1)
    if lang == "da":
        unit = "kr." if m.currency == "DKK" else m.currency
        return f"{sign}{digits} {unit}"
    if lang == "sv":
        unit = "kr" if m.currency == "SEK" else m.currency
        return f"{sign}{digits} {unit}"
    return f"{sign}{m.currency} {digits}"


def format_decimal(x: Decimal | int, lang: Language) -> str:
    """da ``15,5``, en ``15.5``, sv ``15,5``; whole numbers without decimals.

    Thousands are grouped from five digits on (``12.500`` in Danish,
    ``12 500`` in Swedish), so four-digit numbers such as years stay as they are.
    """
    sign, digits = _number(_exact(x), _check_lang(lang), 0, 5)
    return sign + digits


def _count(n: int, unit: str, lang: str) -> str:
    singular, plural = _UNITS[unit][lang]
    return f"{n} {singular if n == 1 else plural}"


def _join(parts: list[str], lang: str) -> str:
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} {_AND[lang]} {parts[-1]}"


def _calendar_text(years: int, months: int, days: int, lang: str) -> str:
    parts = []
    if years:
        parts.append(_count(years, "year", lang))
    if months:
        parts.append(_count(months, "month", lang))
    if days or not parts:
        parts.append(_count(days, "day", lang))
    return _join(parts, lang)


def _weeks_text(days: int, lang: str) -> str:
    weeks, rest = divmod(days, 7)
    parts = [_count(weeks, "week", lang)] if weeks else []
    if rest or not parts:
        parts.append(_count(rest, "day", lang))
    return _join(parts, lang)


def format_duration(d: Duration, lang: Language, unit: Unit | None = None) -> str:
    """da ``1 år og 6 måneder``, ``7 dage``; en ``1 year and 6 months``, ``7 days``;
    sv ``1 år och 6 månader``, ``7 dagar``.

    Months are shown as years and months, days as days, or as weeks and days with
    ``unit="weeks"`` (``26 uger``). A duration whose parts are all negative is shown
    with a leading minus.
    """
    _check_lang(lang)
    months, days = d.months, d.days
    if months <= 0 and days <= 0 and (months or days):
        return "-" + format_duration(Duration(-months, -days), lang, unit)
    if unit == "weeks" and not months:
        return _weeks_text(days, lang)
    years, months = divmod(months, 12) if months >= 0 else (0, months)
    return _calendar_text(years, months, days, lang)


def format_span_length(s: SpanLength, lang: Language, unit: Unit = "months",
                       rule: MonthEnd = "clamp") -> str:
    """The length of a span in ``unit``: by default broken into years, months and days
    from its start (da ``4 år, 11 måneder og 30 dage``, en ``4 years, 11 months and 30
    days``, sv ``4 år, 11 månader och 30 dagar``; months counted by the month-end
    ``rule``); in days (``274 dage``); or in weeks and days (``39 uger og 1 dag``, sv
    ``39 veckor och 1 dag``). Zero is ``0 dage`` / ``0 days`` / ``0 dagar``."""
    _check_lang(lang)
    if unit == "days":
        return _count(s.days, "day", lang)
    if unit == "weeks":
        return _weeks_text(s.days, lang)
    years, months, days = calendar_breakdown(s, rule)
    return _calendar_text(years, months, days, lang)


def format_period(p: Period, lang: Language) -> str:
    """da ``1. februar 2019 – 31. januar 2021``, or ``fra 1. februar 2019`` when open;
    sv ``1 februari 2019 – 31 januari 2021``, ``från 1 februari 2019``."""
    start = format_date(p.start, lang)
    if p.end is None:
        return f"{_FROM[lang]} {start}"
    return f"{start} – {format_date(p.end, lang)}"


def format_hours(x: Decimal | int, lang: Language) -> str:
    """da ``15 timer``, ``1 time``, ``15,5 timer``; en ``15 hours``, ``1 hour``;
    sv ``15 timmar``, ``1 timme``, ``15,5 timmar``."""
    value = _exact(x)
    singular, plural = _UNITS["hour"][_check_lang(lang)]
    return f"{format_decimal(value, lang)} {singular if value == 1 else plural}"


def format_bool(b: bool, lang: Language) -> str:
    """da and sv ``ja``/``nej``, en ``yes``/``no``."""
    if type(b) is not bool:
        raise TypeError(f"expected true or false, not {b!r}")
    return _BOOL[_check_lang(lang)][b]
