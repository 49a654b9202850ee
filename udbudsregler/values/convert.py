"""A host's values in their canonical form: the converters, and the JSON Schema of what
each accepts.

Every value a host hands the library (facts, an order, a supplier state, a referral,
outcomes, a date) passes through the converters here (pydantic before-validators),
so that every input follows the same rules:

- **numbers** are ``int`` or ``Decimal`` (or JSON numbers, or text in JSON number
  syntax with ASCII digits: ``"7.5"``; never ``"1_5"`` or Arabic-Indic digits), finite,
  below :data:`~udbudsregler.values.limits.NUMBER_LIMIT` in size and not finer than
  10^-18 (:data:`~udbudsregler.values.limits.MAX_PLACES`); a float is refused because a
  binary fraction is not exact;
- **dates** are ``datetime.date`` or ``YYYY-MM-DD`` text, in
  :data:`~udbudsregler.values.limits.EARLIEST` to :data:`~udbudsregler.values.limits.LATEST`;
- **text** is valid Unicode (no lone surrogates, which no output can print);
- **lists** are lists (or tuples), never sets: a history has an order.

A mistake raises a pydantic error whose type is the lowercase code (``udb602``):
:func:`udbudsregler.runtime.inputs.problems_from` turns it into a
:class:`~udbudsregler.diagnostics.FactProblem` naming the field path. The kinds of facts
(:mod:`udbudsregler.values.fact_kinds`) name their converter and JSON Schema from here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic_core import PydanticCustomError

from udbudsregler.values.limits import (
    EARLIEST,
    LATEST,
    MAX_DURATION_YEARS,
    MAX_PLACES,
    NUMBER_LIMIT,
    shown,
    valid_text,
)
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, Period

__all__ = [
    "DATE_PATTERN",
    "DATE_SCHEMA",
    "DURATION_PATTERN",
    "LONE_SURROGATE",
    "MAX_NUMBER_TEXT",
    "NULL",
    "NUMBER_PATTERN",
    "ArrowDatetime",
    "FarDate",
    "as_date",
    "choice",
    "day_text",
    "fail",
    "hours_schema",
    "in_limits",
    "kind_of",
    "meant_as_date",
    "not_unicode",
    "number_schema",
    "number_text",
    "shown_text",
    "to_bool",
    "to_decimal",
    "to_duration",
    "to_hours",
    "to_integer",
    "to_list",
    "to_money",
    "to_number",
    "to_optional_date",
    "to_period",
    "to_text",
    "written_as_date",
]

#: A number written as text has at most this many characters.
MAX_NUMBER_TEXT = 64

_NUMBER_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?", re.ASCII)
#: The JSON Schema pattern of a number written as text.
NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def written_as_date(text: str) -> bool:
    """Whether ``text`` is in the one form of a date given as text (``YYYY-MM-DD``, ASCII
    digits), whether or not the calendar has the day."""
    return _DATE_TEXT.fullmatch(text) is not None


def meant_as_date(text: str) -> bool:
    """Whether ``--on`` text that names no field of a population file is meant as a date
    (it has a digit: ``2019-2-1``), and so gets the date's problem, not the field's."""
    return any(c.isdigit() for c in text)


_DURATION_TEXT = re.compile(r"\s*([0-9]{1,7})\s+(years?|months?|weeks?|days?)\s*", re.ASCII)
DURATION_PATTERN = r"^\s*[0-9]{1,7}\s+(years?|months?|weeks?|days?)\s*$"
_MAX_MONTHS = 12 * MAX_DURATION_YEARS
_MAX_DAYS = 366 * MAX_DURATION_YEARS


def fail(code: str, message: str, **ctx: Any) -> PydanticCustomError:
    """A pydantic error that :func:`problems_from` turns into a FactProblem with ``code``
    (lowercase ``udb6xx``)."""
    return PydanticCustomError(code, message, ctx)


# -- showing a value ----------------------------------------------------------------


def kind_of(value: Any) -> str:
    """What a (wrong) value is, in a few words, never longer than a line."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        if value.bit_length() > 64:
            digits = math.floor(value.bit_length() * math.log10(2)) + 1
            return f"a whole number of about {digits:,} digits"
        return f"the number {value}"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN (not a number)"
        if math.isinf(value):
            return "infinity" if value > 0 else "minus infinity"
        return f"the number {value!r}"
    if isinstance(value, Decimal):
        if value.is_nan():
            return "NaN (not a number)"
        if value.is_infinite():
            return "infinity" if value > 0 else "minus infinity"
        return f"the number {shown(str(value))}"
    if isinstance(value, str):
        return f"the text {shown_text(value)}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (set, frozenset)):
        return "a set (a list is needed: a set has no order)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, datetime):  # (a pandas Timestamp too)
        return (f"a date with a time of day ({shown(str(value), 40)}): give the date "
                "alone (`.date()`; a pandas column: `.dt.date`)")
    return f"a {type(value).__name__}"


def shown_text(text: str) -> str:
    """Text quoted for a message, cut short if long."""
    if len(text) <= 40:
        return shown(repr(text), 60)
    return f"{shown(repr(text[:40]), 60)}... ({len(text):,} characters)"


# -- converters (pydantic BeforeValidators) -----------------------------------------


#: The message of a text that holds a lone surrogate (UDB602), wherever one is refused.
LONE_SURROGATE = "the text {text} holds a lone surrogate: it is not valid Unicode"


def not_unicode(text: str) -> str:
    """:data:`LONE_SURROGATE` for ``text``."""
    return LONE_SURROGATE.format(text=shown_text(text))


def to_text(value: Any) -> str:
    if type(value) is str:
        if not valid_text(value):
            raise fail("udb602", LONE_SURROGATE, text=shown_text(value))
        return value
    raise fail("udb602", "expected text, got {got}", got=kind_of(value))


def to_bool(value: Any) -> bool:
    if type(value) is bool:
        return value
    raise fail("udb602", "expected true or false, got {got}", got=kind_of(value))


class FarDate(date):
    """A day beyond Python's calendar (before year 1 or after 9999), as an Arrow column of
    dates (``date32``, ``date64``) can hold it, given where a date is read: Python's first
    or last date, but written as the day itself (``10000-01-01``, ``0000-12-31``, as Arrow
    writes it), so that the input limits refuse it naming that day (:func:`as_date`,
    UDB603), never as 9999-12-31 nor as a day a decision could be made on."""

    _text: str
    _days: int

    def __new__(cls, days: int) -> FarDate:
        """The day ``days`` after 1970-01-01 (outside Python's calendar)."""
        self = super().__new__(cls, 1, 1, 1) if days < 0 else super().__new__(cls, 9999, 12, 31)
        self._text = day_text(days)
        self._days = days
        return self

    def isoformat(self) -> str:
        return self._text

    __str__ = isoformat

    def __repr__(self) -> str:
        return f"FarDate({self._text})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FarDate, (self._days,))


class ArrowDatetime(datetime):
    """A date with a time of day that an Arrow ``timestamp`` column holds and Python cannot
    give (beyond its calendar, or in a time zone it does not know): refused where a date
    is read as every date with a time of day is (UDB602), its message showing the time
    as Arrow holds it (:func:`kind_of`: the UTC time, ``+00:00`` if the column has a time
    zone), never 9999-12-31."""

    _text: str

    def __new__(cls, text: str, before: bool) -> ArrowDatetime:
        self = (super().__new__(cls, 1, 1, 1) if before
                else super().__new__(cls, 9999, 12, 31, 23, 59, 59, 999999))
        self._text = text
        return self

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"ArrowDatetime({self._text})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (ArrowDatetime, (self._text, self.year == 1))


def day_text(days: int) -> str:
    """The day ``days`` after 1970-01-01 as ``YYYY-MM-DD``, for any number of days (the
    proleptic Gregorian calendar, years before 1 counted 0, -1, ...; a year of more than
    four digits written with them all), as Arrow writes a ``date32``."""
    z = days + 719468  # days since 0000-03-01
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    sign = "-" if year < 0 else ""
    return f"{sign}{abs(year):04d}-{month:02d}-{day:02d}"


def as_date(value: Any) -> date:
    """A date from ``datetime.date`` or strict ``YYYY-MM-DD`` text, in 1850-2200 (a
    :class:`FarDate` is outside them)."""
    if type(value) is date or type(value) is FarDate:
        result = value
    elif isinstance(value, str) and written_as_date(value):
        try:
            result = date.fromisoformat(value)
        except ValueError:
            raise fail("udb603", "`{value}` is not a real calendar date", value=value) from None
    else:
        raise fail("udb602", "expected a date (YYYY-MM-DD), got {got}", got=kind_of(value))
    if not EARLIEST <= result <= LATEST:
        raise fail("udb603", "{value} is outside the years {lo}-{hi}", value=result.isoformat(),
                   lo=EARLIEST.year, hi=LATEST.year)
    return result


def to_optional_date(value: Any) -> date | None:
    return None if value is None else as_date(value)


def in_limits(value: int | Decimal) -> bool:
    """Whether a number is inside the input limits (finite, below NUMBER_LIMIT, not finer
    than MAX_PLACES places)."""
    if type(value) is int:
        return -NUMBER_LIMIT < value < NUMBER_LIMIT
    assert isinstance(value, Decimal)
    return value.is_finite() and -MAX_PLACES - 1 < value.adjusted() < 18


def _beyond(value: Any) -> PydanticCustomError:
    return fail("udb610", "{got} is beyond the limits of a number (less than 10^18 in size, "
                "at most {places} decimal places)", got=kind_of(value), places=MAX_PLACES)


def to_decimal(value: Any, what: str = "a number") -> Decimal:
    """A number as a Decimal (ints too)."""
    result = to_number(value, what)
    return result if isinstance(result, Decimal) else Decimal(result)


def number_text(value: str) -> Decimal | None:
    """The number a text writes, as :func:`to_number` reads it (before its limits), or
    None if the text is not a number."""
    if len(value) > MAX_NUMBER_TEXT or not _NUMBER_TEXT.fullmatch(value):
        return None
    return Decimal(value)


def to_number(value: Any, what: str = "a number") -> int | Decimal:
    """A number as given: ``int`` stays ``int``, anything else becomes a Decimal."""
    if type(value) is int:
        if not -NUMBER_LIMIT < value < NUMBER_LIMIT:
            raise _beyond(value)
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise fail("udb602", "expected {what}, got {got}", what=what, got=kind_of(value))
        raise fail("udb607", "{value} is a binary fraction; send it as text, e.g. \"{text}\"",
                   value=repr(value), text=repr(value))
    if isinstance(value, str):
        if len(value) > MAX_NUMBER_TEXT:
            raise fail("udb610", "{got} is longer than a number may be written ({n} "
                       "characters)", got=kind_of(value), n=MAX_NUMBER_TEXT)
        if not _NUMBER_TEXT.fullmatch(value):
            raise fail("udb602", "expected {what}, got {got}", what=what, got=kind_of(value))
        try:
            number = Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise fail("udb602", "expected {what}, got {got}", what=what,
                       got=kind_of(value)) from None
    elif type(value) is Decimal:
        number = value
    else:
        raise fail("udb602", "expected {what}, got {got}", what=what, got=kind_of(value))
    if not number.is_finite():
        raise fail("udb602", "expected {what}, got {got}", what=what, got=kind_of(number))
    if not -MAX_PLACES - 1 < number.adjusted() < 18:
        raise _beyond(number)
    return number


def to_hours(value: Any) -> int | Decimal:
    """A number of hours: a number >= 0."""
    result = to_number(value, "a number of hours")
    if result < 0:
        raise fail("udb602", "expected a number of hours >= 0, got {got}", got=kind_of(result))
    return result


def to_integer(value: Any, minimum: int | None = None) -> int:
    if type(value) is not int:
        raise fail("udb602", "expected a whole number, got {got}", got=kind_of(value))
    if not -NUMBER_LIMIT < value < NUMBER_LIMIT:
        raise _beyond(value)
    if minimum is not None and value < minimum:
        raise fail("udb602", "expected a whole number >= {minimum}, got {got}",
                   minimum=minimum, got=kind_of(value))
    return value


def to_money(currency: str) -> Callable[[Any], Money]:
    def convert(value: Any) -> Money:
        if type(value) is Money:
            if value.currency != currency:
                raise fail("udb602", "expected an amount in {currency}, got {got}",
                           currency=currency, got=shown(str(value)))
            return Money(to_decimal(value.amount, f"an amount in {currency}"), currency)
        if isinstance(value, Mapping) and set(value) == {"amount", "currency"}:
            if value["currency"] != currency:
                raise fail("udb602", "expected an amount in {currency}, got {got}",
                           currency=currency, got=kind_of(value["currency"]))
            value = value["amount"]
        return Money(to_decimal(value, f"an amount in {currency}"), currency)
    return convert


def to_duration(value: Any) -> Duration:
    if type(value) is Duration:
        if abs(value.months) > _MAX_MONTHS or abs(value.days) > _MAX_DAYS:
            raise fail("udb610", "a duration of more than {years} years is beyond the input "
                       "limits", years=MAX_DURATION_YEARS)
        return value
    match = _DURATION_TEXT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise fail("udb602", "expected a duration such as \"4 months\", got {got}",
                   got=kind_of(value))
    n, unit = int(match.group(1)), match.group(2).rstrip("s")
    result = {"year": Duration(12 * n, 0), "month": Duration(n, 0), "week": Duration(0, 7 * n),
              "day": Duration(0, n)}[unit]
    return to_duration(result)


def choice(values: tuple[str, ...]) -> Callable[[Any], str]:
    allowed = frozenset(values)

    def convert(value: Any) -> str:
        if isinstance(value, str) and value in allowed:
            return value
        listed = ", ".join(values[:8]) + (", ..." if len(values) > 8 else "")
        raise fail("udb605", "{got} is not one of: {shown}", got=kind_of(value), shown=listed)
    return convert


def _under(key: str, convert: Callable[[Any], Any], value: Any) -> Any:
    """``convert(value)``, its problem named by ``key`` under the value's path."""
    try:
        return convert(value)
    except PydanticCustomError as error:
        if error.context and "under" in error.context:
            raise
        raise fail(error.type, error.message_template,
                   **{**(error.context or {}), "under": key}) from None


def to_period(value: Any) -> Period:
    if type(value) is Period:
        return Period(as_date(value.start), to_optional_date(value.end))
    if isinstance(value, Mapping) and set(value) == {"from", "to"}:
        start = _under("from", as_date, value["from"])
        end = _under("to", to_optional_date, value["to"])
        if end is not None and end < start:
            raise fail("udb604", "the period ends ({end}) before it starts ({start})",
                       end=end.isoformat(), start=start.isoformat(), under="to")
        return Period(start, end)
    raise fail("udb602", "expected a period {\"from\": ..., \"to\": ...}, got {got}",
               got=kind_of(value))


def to_list(value: Any) -> Any:
    """Lists and tuples pass (to pydantic, which checks the items); a set, a mapping or
    an iterator is not a list."""
    if isinstance(value, (list, tuple)):
        return value
    raise fail("udb602", "expected a list, got {got}", got=kind_of(value))


# -- JSON Schema parts ----------------------------------------------------------------

_LIMIT = NUMBER_LIMIT
_NUMBER = {"type": "number", "exclusiveMinimum": -_LIMIT, "exclusiveMaximum": _LIMIT}
_NUMBER_TEXT_SCHEMA = {"type": "string", "pattern": NUMBER_PATTERN, "maxLength": MAX_NUMBER_TEXT}
_HOURS = {"type": "number", "minimum": 0, "exclusiveMaximum": _LIMIT}
_HOURS_TEXT = {"type": "string", "pattern": NUMBER_PATTERN.replace("^-?", "^"),
               "maxLength": MAX_NUMBER_TEXT}
DATE_SCHEMA: dict[str, Any] = {"type": "string", "format": "date", "pattern": DATE_PATTERN}
NULL: dict[str, Any] = {"type": "null"}


def number_schema() -> dict[str, Any]:
    """What :func:`to_decimal` takes: a JSON number, or text in JSON number syntax."""
    return {"anyOf": [dict(_NUMBER), dict(_NUMBER_TEXT_SCHEMA)]}


def hours_schema() -> dict[str, Any]:
    """What :func:`to_hours` takes: a number 0 or more, or such a number as text."""
    return {"anyOf": [dict(_HOURS), dict(_HOURS_TEXT)]}
