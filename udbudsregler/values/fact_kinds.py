"""The kinds of facts: the one registry of the ``type:`` of a fact or record field.

A policy's ``facts:`` declare each fact with one of these kinds (``docs/policy-language.md``).
Every module that treats facts by their kind asks the registry, not the kind's name:

- the document models (:mod:`udbudsregler.loader.documents`) take the names and what a
  declaration may hold (``values``, ``fields``, ``open_ended``, ``min``/``max``,
  ``default``), and the policy-file schema the same;
- the checker gives a fact its type (:func:`udbudsregler.semantics.types.fact_type`);
- the fact check converts a host's value with :attr:`FactKind.converter`, publishes its
  JSON Schema (:attr:`FactKind.schema`), says what was expected (:attr:`FactKind.expects`)
  and describes the kind in the policy's language (``runtime/inputs.py`` ``TEXTS``, by the
  kind's name);
- what is genuinely one module's job (the generated fast check, the Arrow columns, the
  citizens the property tests draw, shrinking, the SMT encoding) dispatches on these
  records (``kind is fact_kinds.DATE``, ``kind.container``), never on the name.

``tests/semantics/test_fact_kinds.py`` holds every consumer to every kind, and fails when
a module compares a kind's name as a string. To add a kind: add its record below (and to
``KINDS``, in the order the documents list the kinds), then run that test: the kind's
tests fail in each consumer still to be taught it (first the checker, since a policy with
the kind cannot load before it knows it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from udbudsregler.values.convert import (
    DATE_SCHEMA,
    DURATION_PATTERN,
    NULL,
    as_date,
    choice,
    hours_schema,
    number_schema,
    to_bool,
    to_decimal,
    to_duration,
    to_hours,
    to_integer,
    to_list,
    to_money,
    to_period,
    to_text,
)
from udbudsregler.values.limits import NUMBER_LIMIT

__all__ = [
    "BOOL",
    "DATE",
    "DECIMAL",
    "DURATION",
    "ENUM",
    "HISTORY",
    "HOURS",
    "INT",
    "KINDS",
    "LIST",
    "MONEY",
    "NAMES",
    "PERIOD",
    "RANGED",
    "RECORD",
    "SCALAR",
    "TEXT",
    "Converter",
    "FactKind",
    "Schema",
]

#: ``(currency, values) -> converter``: the converter of a kind for a policy's currency and
#: a choice's values.
Converter = Callable[[str, tuple[str, ...]], Callable[[Any], Any]]
#: ``(currency, values) -> JSON Schema`` of a value of a kind.
Schema = Callable[[str, tuple[str, ...]], dict[str, Any]]


@dataclass(frozen=True, eq=False)
class FactKind:
    """One kind of fact. Kinds are compared by identity (``kind is fact_kinds.DATE``)."""

    name: str
    #: What a value of the kind is, in a fact error when it is missing or wrong (filled
    #: in with ``{currency}``, the policy's currency, and ``{values}``, a choice's values).
    expects: str
    #: The converter of a host's value to its canonical form, a pydantic BeforeValidator
    #: raising the errors of :mod:`udbudsregler.values.convert`; a list's takes the list
    #: (its records are then checked field by field); None for a record (its fields are).
    converter: Converter | None
    #: The JSON Schema of a value; None for records, lists and histories (their schema is
    #: that of their fields).
    schema: Schema | None
    #: Declared with ``fields``: a record, or a list of records.
    container: bool = False
    #: A list of records: its ``default`` is ``[]``.
    many: bool = False
    #: Each record is a period too: it has ``from`` and ``to`` (and ``period``) besides the
    #: declared fields, and the declaration may say ``open_ended``.
    periodic: bool = False
    #: Declared with ``values``: a value is one of them.
    choice: bool = False
    #: A number (an ``int``, a ``Decimal`` or an amount of money).
    number: bool = False
    #: May have a range (``min``, ``max``).
    ranged: bool = False
    #: How its ``default`` is written: ``constant`` (an expression of the fact's type,
    #: parsed and checked), ``verbatim`` (the YAML text as written, not parsed), ``empty``
    #: (``[]``) or ``none`` (a fact of the kind has no default).
    default: Literal["constant", "verbatim", "empty", "none"] = "constant"

    @property
    def scalar(self) -> bool:
        """One value of its own: neither a choice nor records (the kinds a rule may be
        declared as)."""
        return not (self.container or self.choice)

    def expected(self, currency: str, values: Iterable[str] = ()) -> str:
        """What a value of the kind is, for a fact error: ``a whole number``, ``one of a, b``."""
        return self.expects.format(currency=currency, values=", ".join(values))

    def __repr__(self) -> str:
        return f"FactKind({self.name!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # a kind is compared by identity: a copy (pickle, deepcopy) is the original
        return (_kind, (self.name,))


def _kind(name: str) -> FactKind:
    return KINDS[name]


def _same(convert: Callable[[Any], Any]) -> Converter:
    """The converter of a kind that needs neither the currency nor values."""
    return lambda currency, values: convert


def _fixed(schema: dict[str, Any]) -> Schema:
    """A kind's JSON Schema that needs neither the currency nor values (a fresh copy each
    time: callers add to it)."""
    return lambda currency, values: _copy(schema)


def _copy(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _copy(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_copy(v) for v in schema]
    return schema


def _money_schema(currency: str, values: tuple[str, ...]) -> dict[str, Any]:
    amount = number_schema()
    return {"anyOf": [*number_schema()["anyOf"], {
        "type": "object", "properties": {"amount": amount, "currency": {"const": currency}},
        "required": ["amount", "currency"], "additionalProperties": False}]}


BOOL = FactKind("bool", "true or false", _same(to_bool), _fixed({"type": "boolean"}))
INT = FactKind("int", "a whole number", _same(to_integer), _fixed(
    {"type": "integer", "exclusiveMinimum": -NUMBER_LIMIT, "exclusiveMaximum": NUMBER_LIMIT}),
    number=True, ranged=True)
DECIMAL = FactKind("decimal", "a number", _same(to_decimal),
                   lambda currency, values: number_schema(), number=True, ranged=True)
MONEY = FactKind("money", "an amount in {currency}", lambda currency, values: to_money(currency),
                 _money_schema, number=True, ranged=True)
DATE = FactKind("date", "a date (YYYY-MM-DD)", _same(as_date), _fixed(DATE_SCHEMA),
                ranged=True)
DURATION = FactKind("duration", "a duration such as \"4 months\"", _same(to_duration),
                    _fixed({"type": "string", "pattern": DURATION_PATTERN}))
HOURS = FactKind("hours", "a number of hours", _same(to_hours),
                 lambda currency, values: hours_schema(), number=True, ranged=True)
TEXT = FactKind("text", "text", _same(to_text), _fixed({"type": "string"}),
                default="verbatim")
PERIOD = FactKind("period", "a period with `from` and `to`", _same(to_period), _fixed(
    {"type": "object", "properties": {"from": DATE_SCHEMA, "to": {"anyOf": [DATE_SCHEMA, NULL]}},
     "required": ["from", "to"], "additionalProperties": False}), default="none")
ENUM = FactKind("enum", "one of {values}", lambda currency, values: choice(values),
                lambda currency, values: {"type": "string", "enum": list(values)}, choice=True)
RECORD = FactKind("record", "a mapping", None, None, container=True, default="none")
LIST = FactKind("list", "a list", _same(to_list), None, container=True, many=True,
                default="empty")
HISTORY = FactKind("history", "a list of periods with `from` and `to`", _same(to_list), None,
                   container=True, many=True, periodic=True, default="empty")

#: Every kind by its name, in the order the documents list them.
KINDS: dict[str, FactKind] = {k.name: k for k in (
    BOOL, INT, DECIMAL, MONEY, DATE, DURATION, HOURS, TEXT, PERIOD, ENUM, RECORD, LIST,
    HISTORY)}
#: The names of the kinds (the choices of a fact's ``type:``).
NAMES: tuple[str, ...] = tuple(KINDS)
#: The names of the kinds of one value of their own (the choices of a rule's ``type:``).
SCALAR: tuple[str, ...] = tuple(k.name for k in KINDS.values() if k.scalar)
#: The names of the kinds that may have a range: the numbers, then the dates (as the
#: message of a misplaced `min` names them).
RANGED: tuple[str, ...] = tuple(k.name for k in sorted(
    (k for k in KINDS.values() if k.ranged), key=lambda k: not k.number))

