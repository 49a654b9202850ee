"""The host's input at the boundary: JSON text, error paths, the descriptions of values.

Everything a host hands the library (facts, an order, a supplier state, a referral,
outcomes, a date) passes through the converters of :mod:`udbudsregler.values.convert`,
so that every input follows the same rules (numbers, dates, text,
lists: see that module) and every mistake is a :class:`FactError` naming the field path
(:func:`problems_from`). **JSON text** (:func:`read_json`) has no duplicate keys, no
integer of more than :data:`MAX_INT_CHARS` characters and no nesting deeper than
:data:`MAX_DEPTH`.

The limits are documented in ``docs/errors.md`` (input limits). A bad value is echoed
in a message at most :func:`~udbudsregler.diagnostics.shown` long.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import ValidationError

from udbudsregler.diagnostics import FactError, FactProblem, dotted_path, shown
from udbudsregler.values.convert import kind_of, not_unicode, shown_text
from udbudsregler.values.limits import valid_text

__all__ = [
    "MAX_DEPTH",
    "MAX_INT_CHARS",
    "TEXTS",
    "WRAPPER_KEYS",
    "PopulationLine",
    "describe",
    "path_of",
    "population_line",
    "problems_from",
    "read_json",
    "shown_key",
]

#: An integer in JSON text has at most this many characters (Python refuses to read
#: more than 4,300 digits; anything over 18 is beyond NUMBER_LIMIT anyway).
MAX_INT_CHARS = 1000
#: JSON input is nested at most this deep (facts need about six levels).
MAX_DEPTH = 64


# -- showing a value ----------------------------------------------------------------


def shown_key(key: Any) -> str:
    """A key as a part of a path: short and printable."""
    return shown(key, 40) if isinstance(key, str) else shown(repr(key), 40)


def path_of(prefix: str, loc: Iterable[Any]) -> str:
    parts = [p if isinstance(p, int) else shown_key(p) for p in loc]
    return dotted_path([prefix, *parts] if prefix else parts)


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


# -- a line of a population file ---------------------------------------------------


#: The keys of a population line's wrapper (``note``: a remark for a human reader, ignored).
WRAPPER_KEYS = ("id", "facts", "order", "note")


class PopulationLine(NamedTuple):
    """One line of a population file as read: the citizen's id, facts and order, whether
    the line is a wrapper, and what is wrong with it (no decision is made then)."""

    id: str | None
    facts: Any
    order: dict[str, Any] | None
    wrapped: bool
    problems: tuple[FactProblem, ...]
    #: The value of the line's date key (``population_line``'s ``day_key``; None: none).
    day: Any = None


def population_line(data: Any, day_key: str | None = None) -> PopulationLine:
    """The JSON value of a population file's line (as :func:`read_json` reads it): a
    citizen's facts, or the wrapper ``{"id": ..., "facts": {...}, "order": {...}}``.

    A line with a ``facts`` key is a wrapper, any other object is the facts themselves
    (so ``{"id": ...}`` without ``facts`` is checked as facts: ``id`` is not a fact).
    A wrapper has only the keys :data:`WRAPPER_KEYS`, each optional but ``facts``; its
    ``facts`` is an object (UDB608), its ``order`` an object or null (UDB602: never
    dropped, so no decision is made without it), its ``id`` text, an integer (as text)
    or null (UDB602), and another key is an error (UDB606, with its path: a misspelt
    ``order`` is not ignored). ``day_key``: a key a wrapper may also have, beside
    ``facts``, holding the citizen's decision date (``decide --population --on KEY``):
    its value is the line's ``day``, as given (None if the line has none). The problems
    are sorted as :class:`FactError` sorts them. Every reader of population lines
    (``decide --population``, its fast reader, ``diff --population``) reads a line by
    this one function."""
    if not isinstance(data, dict):
        return PopulationLine(None, None, None, False,
                              (FactProblem("UDB608", "", "expected a JSON object"),))
    if "facts" not in data:
        return PopulationLine(None, data, None, False, ())
    keys = WRAPPER_KEYS if day_key is None else (*WRAPPER_KEYS, day_key)
    problems = [FactProblem("UDB606", shown_key(key), f"`{shown_key(key)}` is not a key of "
                            f"a population line ({', '.join(shown_key(k) for k in keys)})")
                for key in data if key not in keys]
    ident = data.get("id")
    if isinstance(ident, int) and not isinstance(ident, bool):
        ident = str(ident)
    elif ident is not None and not isinstance(ident, str):
        problems.append(FactProblem("UDB602", "id", "`id` is not text or an integer "
                                    f"(got {kind_of(ident)})"))
        ident = None
    elif ident is not None and not valid_text(ident):  # no output could write it
        problems.append(FactProblem("UDB602", "id", not_unicode(ident)))
        ident = None
    facts = data["facts"]
    if not isinstance(facts, dict):
        problems.append(FactProblem("UDB608", "facts",
                                    f"`facts` is not an object (got {kind_of(facts)})"))
    order = data.get("order")
    if order is not None and not isinstance(order, dict):
        problems.append(FactProblem("UDB602", "order",
                                    f"`order` is not an object (got {kind_of(order)})"))
        order = None
    problems.sort(key=lambda p: (p.path, p.code, p.message))
    day = data.get(day_key) if day_key is not None else None
    return PopulationLine(ident, facts, order, True, tuple(problems), day)


# -- the descriptions of values ----------------------------------------------------

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


def describe(kind: str, language: str, currency: str = "DKK",
             values: Iterable[str] = ()) -> str:
    """The sentence describing a kind of value, in ``language`` (da, en or sv)."""
    texts = TEXTS.get(language, TEXTS["en"])
    return texts[kind].format(currency=currency, values=", ".join(values))
