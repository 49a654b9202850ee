"""The host's input at the boundary: limits, value converters, JSON text, error paths.

Everything a host hands the library (facts, an order, a supplier state, a referral,
outcomes, a date) passes through the converters here, so that every input follows the
same rules and every mistake is a :class:`FactError` naming the field path:

- **numbers** are ``int`` or ``Decimal`` (or JSON numbers, or text in JSON number
  syntax with ASCII digits: ``"7.5"``; never ``"1_5"`` or Arabic-Indic digits), finite,
  below :data:`NUMBER_LIMIT` in size and not finer than 10^-18 (:data:`MAX_PLACES`);
  a float is refused because a binary fraction is not exact;
- **dates** are ``datetime.date`` or ``YYYY-MM-DD`` text, in :data:`EARLIEST` to
  :data:`LATEST`;
- **text** is valid Unicode (no lone surrogates, which no output can print);
- **lists** are lists (or tuples), never sets: a history has an order;
- **JSON text** (:func:`read_json`) has no duplicate keys, no integer of more than
  :data:`MAX_INT_CHARS` characters and no nesting deeper than :data:`MAX_DEPTH`.

The limits are documented in ``docs/errors.md`` (input limits). A bad value is echoed
in a message at most :func:`~udbudsregler.diagnostics.shown` long.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from udbudsregler.diagnostics import FactError, FactProblem, dotted_path, shown
from udbudsregler.values.limits import (  # also read by the generated fast check
    EARLIEST,
    LATEST,
    MAX_DURATION_YEARS,
    MAX_PLACES,
    NUMBER_LIMIT,
    valid_text,
)
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, Period

__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_DEPTH",
    "MAX_DURATION_YEARS",
    "MAX_INT_CHARS",
    "MAX_PLACES",
    "NUMBER_LIMIT",
    "as_date",
    "kind_of",
    "problems_from",
    "read_json",
]

#: A number written as text has at most this many characters.
MAX_NUMBER_TEXT = 64
#: An integer in JSON text has at most this many characters (Python refuses to read
#: more than 4,300 digits; anything over 18 is beyond NUMBER_LIMIT anyway).
MAX_INT_CHARS = 1000
#: JSON input is nested at most this deep (facts need about six levels).
MAX_DEPTH = 64

_NUMBER_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?", re.ASCII)
#: The JSON Schema pattern of a number written as text.
NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
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
    return f"a {type(value).__name__}"


def shown_text(text: str) -> str:
    """Text quoted for a message, cut short if long."""
    if len(text) <= 40:
        return shown(repr(text), 60)
    return f"{shown(repr(text[:40]), 60)}... ({len(text):,} characters)"


def shown_key(key: Any) -> str:
    """A key as a part of a path: short and printable."""
    return shown(key, 40) if isinstance(key, str) else shown(repr(key), 40)


def path_of(prefix: str, loc: Iterable[Any]) -> str:
    parts = [p if isinstance(p, int) else shown_key(p) for p in loc]
    return dotted_path([prefix, *parts] if prefix else parts)


# -- converters (pydantic BeforeValidators) -----------------------------------------


def to_text(value: Any) -> str:
    if type(value) is str:
        if not valid_text(value):
            raise fail("udb602", "the text {text} holds a lone surrogate: it is not valid "
                       "Unicode", text=shown_text(value))
        return value
    raise fail("udb602", "expected text, got {got}", got=kind_of(value))


def to_bool(value: Any) -> bool:
    if type(value) is bool:
        return value
    raise fail("udb602", "expected true or false, got {got}", got=kind_of(value))


def as_date(value: Any) -> date:
    """A date from ``datetime.date`` or strict ``YYYY-MM-DD`` text, in 1850-2200."""
    if type(value) is date:
        result = value
    elif isinstance(value, str) and _DATE_TEXT.fullmatch(value):
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


# -- pydantic errors as FactProblems ------------------------------------------------


def problems_from(error: ValidationError, prefix: str,
                  unknown: Callable[[tuple[Any, ...], str], FactProblem],
                  expected: Callable[[tuple[Any, ...]], str | None]) -> list[FactProblem]:
    """The problems of a pydantic error, with paths under ``prefix``.

    ``unknown(loc, path)`` makes the problem of a key that is not part of the input,
    ``expected(loc)`` says what a missing value should have been.
    """
    problems = []
    try:
        items = error.errors(include_url=False, include_input=False)
    except UnicodeError:
        # pydantic cannot render a key that holds a lone surrogate
        return [FactProblem("UDB602", prefix, "a key holds a lone surrogate: it is not valid "
                            "Unicode", "valid Unicode text")]
    for item in items:
        loc = tuple(item["loc"])
        ctx = item.get("ctx") or {}
        if "at" in ctx:  # a check across fields, reported at the other field
            loc = (*loc[:-1], ctx["at"])
        if "under" in ctx:  # an entry of a mapping checked as a whole
            loc = (*loc, ctx["under"])
        path = path_of(prefix, loc)
        kind = item["type"]
        if kind == "missing":
            problems.append(FactProblem("UDB601", path, "missing", expected(loc)))
        elif kind == "extra_forbidden":
            problems.append(unknown(loc, path))
        elif kind.startswith("udb"):
            problems.append(FactProblem("UDB" + kind[3:6], path, item["msg"]))
        elif kind == "string_unicode":  # a key with a lone surrogate
            text = _input(error, loc, kind)
            problems.append(FactProblem("UDB602", path, (
                f"the key {shown_text(text) if isinstance(text, str) else '?'} holds a lone "
                "surrogate: it is not valid Unicode")))
        elif kind in ("list_type", "model_type", "dict_type", "model_attributes_type"):
            problems.append(FactProblem("UDB602", path, f"got {_input_kind(error, loc)}",
                                        "a list" if kind == "list_type" else "a mapping"))
        else:
            problems.append(FactProblem("UDB602", path, shown(str(item["msg"]).lower(), 200)))
    return problems


def _input_kind(error: ValidationError, loc: tuple[Any, ...]) -> str:
    for item in error.errors(include_url=False):
        if tuple(item["loc"]) == loc and item["type"] in (
                "list_type", "model_type", "dict_type", "model_attributes_type"):
            return kind_of(item.get("input"))
    return "a value of the wrong kind"  # pragma: no cover


def _input(error: ValidationError, loc: tuple[Any, ...], kind: str) -> Any:
    for item in error.errors(include_url=False):
        if tuple(item["loc"]) == loc and item["type"] == kind:
            return item.get("input")
    return None  # pragma: no cover


# -- JSON text ----------------------------------------------------------------------


class _Duplicated(dict[str, Any]):
    """A JSON object with a key given twice (the last value kept, as JSON readers do)."""

    duplicates: list[str]


class _LongInteger:
    """An integer too long to read (more than MAX_INT_CHARS characters)."""

    __slots__ = ("chars",)

    def __init__(self, chars: int) -> None:
        self.chars = chars


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    marked = _Duplicated(out)
    seen: set[str] = set()
    marked.duplicates = []
    for key, _ in pairs:
        if key in seen and key not in marked.duplicates:
            marked.duplicates.append(key)
        seen.add(key)
    return marked


def _integer(text: str) -> int | _LongInteger:
    if len(text) > MAX_INT_CHARS:
        return _LongInteger(len(text))
    return int(text)


def _constant(name: str) -> float:
    return float(name)  # NaN and Infinity: a FactError names them where they are used


def read_json(text: str, prefix: str = "") -> Any:
    """JSON text as Python values: numbers with a fraction or exponent as exact Decimals
    (never floats), objects as dicts.

    Raises ``json.JSONDecodeError`` for text that is not JSON, and :class:`FactError`,
    with the paths under ``prefix``, for a key given twice in one object (UDB609), an
    integer longer than :data:`MAX_INT_CHARS` characters or nesting deeper than
    :data:`MAX_DEPTH` (UDB610).
    """
    try:
        value = json.loads(text, parse_float=Decimal, parse_int=_integer,
                           parse_constant=_constant, object_pairs_hook=_pairs)
    except RecursionError:
        raise FactError([FactProblem("UDB610", prefix, f"the JSON is nested more than "
                                     f"{MAX_DEPTH} levels deep")]) from None
    problems = _scan(value, prefix)
    if problems:
        raise FactError(problems)
    return value


def _scan(value: Any, prefix: str) -> list[FactProblem]:
    """Problems the JSON reader cannot report itself, with their paths."""
    problems: list[FactProblem] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        item, loc = stack.pop()
        if isinstance(item, _LongInteger):
            problems.append(FactProblem("UDB610", path_of(prefix, loc), (
                f"a whole number of {item.chars:,} characters is beyond the limits of a "
                "number (less than 10^18 in size)")))
        elif isinstance(item, (dict, list)):
            if len(loc) >= MAX_DEPTH:
                problems.append(FactProblem("UDB610", path_of(prefix, loc), (
                    f"the JSON is nested more than {MAX_DEPTH} levels deep")))
                continue
            if isinstance(item, _Duplicated):
                for key in item.duplicates:
                    problems.append(FactProblem(
                        "UDB609", path_of(prefix, (*loc, key)),
                        f"the key `{shown(key)}` appears twice in the same object"))
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            stack.extend((v, (*loc, k)) for k, v in pairs)
    return problems


# -- JSON Schema parts ----------------------------------------------------------------

_LIMIT = NUMBER_LIMIT
_NUMBER = {"type": "number", "exclusiveMinimum": -_LIMIT, "exclusiveMaximum": _LIMIT}
_NUMBER_TEXT_SCHEMA = {"type": "string", "pattern": NUMBER_PATTERN, "maxLength": MAX_NUMBER_TEXT}
_HOURS = {"type": "number", "minimum": 0, "exclusiveMaximum": _LIMIT}
_HOURS_TEXT = {"type": "string", "pattern": NUMBER_PATTERN.replace("^-?", "^"),
               "maxLength": MAX_NUMBER_TEXT}
DATE_SCHEMA: dict[str, Any] = {"type": "string", "format": "date", "pattern": DATE_PATTERN}
NULL: dict[str, Any] = {"type": "null"}

#: Sentences describing each kind of value, in the policy's language.
TEXTS: dict[str, dict[str, str]] = {
    "da": {
        "bool": "Sand eller falsk (true/false).",
        "int": "Et helt tal.",
        "decimal": "Et tal: et JSON-tal eller tekst som \"12.5\"; under 10^18, højst 18 "
                   "decimaler.",
        "hours": "Et antal timer, 0 eller mere: et JSON-tal eller tekst som \"7.5\".",
        "money": "Et beløb i {currency}: et JSON-tal, tekst som \"1850.50\" eller "
                 "{{\"amount\": ..., \"currency\": \"{currency}\"}}.",
        "date": "En dato, ÅÅÅÅ-MM-DD, fra 1850-01-01 til 2200-12-31.",
        "duration": "En varighed som \"4 months\" (years, months, weeks eller days), "
                    "højst 1000 år.",
        "text": "Tekst.",
        "period": "En periode: {{\"from\": dato, \"to\": dato eller null}}.",
        "enum": "En af: {values}.",
        "history": "En liste af perioder med `from` og `to` (`to` er null, når perioden "
                   "løber endnu).",
        "closed_history": "En liste af afsluttede perioder med `from` og `to`.",
        "list": "En liste.",
        "record": "En post med de viste felter.",
        "from_title": "Fra",
        "to_title": "Til",
        "from": "Periodens første dag.",
        "to": "Periodens sidste dag; null, når perioden løber endnu.",
        "to_closed": "Periodens sidste dag.",
    },
    "en": {
        "bool": "True or false.",
        "int": "A whole number.",
        "decimal": "A number: a JSON number or text such as \"12.5\"; below 10^18, at "
                   "most 18 decimal places.",
        "hours": "A number of hours, 0 or more: a JSON number or text such as \"7.5\".",
        "money": "An amount in {currency}: a JSON number, text such as \"1850.50\", or "
                 "{{\"amount\": ..., \"currency\": \"{currency}\"}}.",
        "date": "A date, YYYY-MM-DD, from 1850-01-01 to 2200-12-31.",
        "duration": "A duration such as \"4 months\" (years, months, weeks or days), at "
                    "most 1000 years.",
        "text": "Text.",
        "period": "A period: {{\"from\": date, \"to\": date or null}}.",
        "enum": "One of: {values}.",
        "history": "A list of periods with `from` and `to` (`to` is null while the period "
                   "runs).",
        "closed_history": "A list of ended periods with `from` and `to`.",
        "list": "A list.",
        "record": "A record with the fields shown.",
        "from_title": "From",
        "to_title": "To",
        "from": "The first day of the period.",
        "to": "The last day of the period; null while it runs.",
        "to_closed": "The last day of the period.",
    },
    "sv": {
        "bool": "Sant eller falskt (true/false).",
        "int": "Ett heltal.",
        "decimal": "Ett tal: ett JSON-tal eller text som \"12.5\"; under 10^18, högst 18 "
                   "decimaler.",
        "hours": "Ett antal timmar, 0 eller fler: ett JSON-tal eller text som \"7.5\".",
        "money": "Ett belopp i {currency}: ett JSON-tal, text som \"1850.50\" eller "
                 "{{\"amount\": ..., \"currency\": \"{currency}\"}}.",
        "date": "Ett datum, ÅÅÅÅ-MM-DD, från 1850-01-01 till 2200-12-31.",
        "duration": "En varaktighet som \"4 months\" (years, months, weeks eller days), "
                    "högst 1000 år.",
        "text": "Text.",
        "period": "En period: {{\"from\": datum, \"to\": datum eller null}}.",
        "enum": "Ett av: {values}.",
        "history": "En lista över perioder med `from` och `to` (`to` är null när perioden "
                   "fortfarande pågår).",
        "closed_history": "En lista över avslutade perioder med `from` och `to`.",
        "list": "En lista.",
        "record": "En post med de visade fälten.",
        "from_title": "Från",
        "to_title": "Till",
        "from": "Periodens första dag.",
        "to": "Periodens sista dag; null när perioden fortfarande pågår.",
        "to_closed": "Periodens sista dag.",
    },
}


def scalar_schema(kind: str, currency: str = "DKK",
                  values: Iterable[str] = ()) -> dict[str, Any]:
    """The JSON Schema of a value of a fact type (scalars, enums and periods)."""
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "int":
        return {"type": "integer", "exclusiveMinimum": -_LIMIT, "exclusiveMaximum": _LIMIT}
    if kind == "decimal":
        return {"anyOf": [dict(_NUMBER), dict(_NUMBER_TEXT_SCHEMA)]}
    if kind == "hours":
        return {"anyOf": [dict(_HOURS), dict(_HOURS_TEXT)]}
    if kind == "money":
        amount = {"anyOf": [dict(_NUMBER), dict(_NUMBER_TEXT_SCHEMA)]}
        return {"anyOf": [dict(_NUMBER), dict(_NUMBER_TEXT_SCHEMA), {
            "type": "object", "properties": {"amount": amount, "currency": {"const": currency}},
            "required": ["amount", "currency"], "additionalProperties": False}]}
    if kind == "date":
        return dict(DATE_SCHEMA)
    if kind == "duration":
        return {"type": "string", "pattern": DURATION_PATTERN}
    if kind == "text":
        return {"type": "string"}
    if kind == "enum":
        return {"type": "string", "enum": list(values)}
    if kind == "period":
        return {"type": "object", "properties": {
            "from": dict(DATE_SCHEMA), "to": {"anyOf": [dict(DATE_SCHEMA), dict(NULL)]}},
            "required": ["from", "to"], "additionalProperties": False}
    raise ValueError(f"no scalar schema for {kind}")  # pragma: no cover


def describe(kind: str, language: str, currency: str = "DKK",
             values: Iterable[str] = ()) -> str:
    """The sentence describing a kind of value, in ``language`` (da, en or sv)."""
    texts = TEXTS.get(language, TEXTS["en"])
    return texts[kind].format(currency=currency, values=", ".join(values))
