"""pydantic models of the policy document: the shape of each section.

These models are the input boundary only: they check that keys and value
forms are right. Expressions stay text here; they are parsed by the
``parse`` stage and checked by the ``check`` stage.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from udbudsregler.diagnostics import closest, shown
from udbudsregler.values import fact_kinds
from udbudsregler.values.fact_kinds import FactKind
from udbudsregler.values.wording import LANGUAGE_NAMES, LANGUAGES, Language

__all__ = [
    "FACT_TYPES",
    "SCALAR_FACT_TYPES",
    "Criterion",
    "DateText",
    "DatedValue",
    "ExprText",
    "FactSpec",
    "Ident",
    "ParameterSpec",
    "PolicyHeader",
    "RoundingSpec",
    "RuleSpec",
    "TargetGroupSpec",
    "Validity",
]

# `\Z`, not `$`: `$` also matches before a trailing newline, so `"over_30\n"` would pass.
IDENT_RE = re.compile(r"[a-zæøå][a-zæøå0-9_]*\Z")
POLICY_ID_RE = re.compile(r"[a-z0-9][a-z0-9_.-]*\Z")
CHOICE_RE = re.compile(r"[a-zæøå0-9][a-zæøå0-9_]*\Z")

#: The kinds of facts (values/fact_kinds.py): every kind, and those of one value of their own.
FACT_TYPES = fact_kinds.NAMES
SCALAR_FACT_TYPES = fact_kinds.SCALAR
RULE_TYPES = SCALAR_FACT_TYPES

if TYPE_CHECKING:
    FactType = str
    RuleType = str
else:  # the choices of `type:` (a wrong one is UDB204, naming them), from the registry
    FactType = Literal[FACT_TYPES]
    RuleType = Literal[RULE_TYPES]


class _Model(BaseModel):
    # defer_build: a model's validator is built when it first validates, not on import (a
    # policy read from the compiled-policy cache never validates its documents)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False,
                              str_strip_whitespace=False, defer_build=True)


def _ident(value: Any) -> Any:
    if isinstance(value, str) and not IDENT_RE.match(value):
        raise PydanticCustomError(
            "udb205", "`{value}` is not a valid name", {"value": value})
    return value


def _text(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError("udb203_text", "expected text", {})
    return value


def _expr(value: Any) -> Any:
    """Expressions are text; YAML may give a number or true/false for short ones."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        raise PydanticCustomError(
            "udb203_expr", "expected an expression, found a YAML {kind}",
            {"kind": "mapping" if isinstance(value, dict) else "list",
             "hint": "an expression that starts with `{` or `[` must be quoted, e.g. "
                     "`when: \"{a, b} ...\"`"})
    raise PydanticCustomError("udb203_expr", "expected an expression", {})


def _date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise PydanticCustomError("udb203_date", "expected a date written as YYYY-MM-DD", {})
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError(
            "udb206", "`{value}` is not a real calendar date", {"value": value}) from None


def _decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("udb203_number", "expected a number", {})
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise PydanticCustomError("udb203_number", "expected a number", {}) from None
        if result.is_finite():
            return result
    raise PydanticCustomError("udb203_number", "expected a number", {})


Ident = Annotated[str, BeforeValidator(_ident), BeforeValidator(_text)]
Text = Annotated[str, BeforeValidator(_text)]
ExprText = Annotated[str, BeforeValidator(_expr)]
DateText = Annotated[date, BeforeValidator(_date)]
DecimalText = Annotated[Decimal, BeforeValidator(_decimal)]


class RoundingSpec(_Model):
    unit: DecimalText = Field(description="the step amounts are rounded to, e.g. 0.01 (øre)")
    mode: Literal["half_up", "half_even", "half_down", "up", "down", "ceiling", "floor"]

    @model_validator(mode="after")
    def _positive(self) -> RoundingSpec:
        if self.unit <= 0:
            raise PydanticCustomError(
                "udb204_unit", "the rounding unit must be positive",
                {"at": ["unit"], "hint": "write a positive step, e.g. `unit: 0.01` for øre"})
        # A unit larger than any amount rounds every payment to 0 (`unit: 1e400`); one of
        # thousands of decimal places cannot be rounded to exactly.
        places = _decimal_places(self.unit)
        if self.unit > MAX_ROUNDING_UNIT or places > MAX_ROUNDING_PLACES:
            raise PydanticCustomError(
                "udb204_unit", "the rounding unit `{unit}` must be at most {most}, with at most "
                "{places} decimal places",
                {"unit": _short_number(self.unit), "places": MAX_ROUNDING_PLACES,
                 "most": MAX_ROUNDING_UNIT, "at": ["unit"],
                 "hint": "round to øre (`unit: 0.01`), to whole kroner (`unit: 1`), or another "
                         f"step of at most {MAX_ROUNDING_PLACES} decimal places up to "
                         f"{MAX_ROUNDING_UNIT}"})
        return self


#: The largest rounding unit (whole hundreds of kroner) and its most decimal places.
MAX_ROUNDING_UNIT = 100
MAX_ROUNDING_PLACES = 10


def _decimal_places(value: Decimal) -> int:
    """Decimal places of a finite ``value`` without trailing zeros (``0.0100`` has 2),
    worked out from its digits: no decimal context, which would overflow on ``1e999999999``."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    written = "".join(map(str, digits))
    trailing = len(written) - len(written.rstrip("0"))
    return max(0, -(exponent + trailing)) if written.strip("0") else 0


def _short_number(value: Decimal) -> str:
    # Written out only when that is short: `1e999999999` in full would take a gigabyte.
    exponent = value.as_tuple().exponent
    text = format(value, "f") if isinstance(exponent, int) and abs(exponent) <= 60 else str(value)
    return text if len(text) <= 24 else f"{text[:10]}...{text[-10:]}"


class Validity(_Model):
    from_: DateText = Field(alias="from")
    to: DateText | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Validity:
        if self.to is not None and self.to < self.from_:
            raise PydanticCustomError(
                "udb209", "the round ends ({to}) before it starts ({start})",
                {"to": self.to.isoformat(), "start": self.from_.isoformat(), "at": ["to"]})
        return self

    def covers(self, day: date) -> bool:
        """Whether the round is in force on ``day`` (its first and last days included)."""
        return self.from_ <= day and (self.to is None or day <= self.to)

    def text(self) -> str:
        """The round's days as its messages show them: ``2019-01-01 to 2021-12-31``, or
        ``... to open`` without a last day."""
        return f"{self.from_.isoformat()} to {self.to.isoformat() if self.to else 'open'}"


def _policy_id(value: Any) -> Any:
    if isinstance(value, str) and not POLICY_ID_RE.match(value):
        raise PydanticCustomError(
            "udb205", "`{value}` is not a valid policy id",
            {"value": value, "hint": "a policy id uses lowercase letters, digits, `-`, `_` and "
                                     "`.`, e.g. `slagelse-2019`"})
    return value


def _currency(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"[A-Z]{3}", value):
        raise PydanticCustomError(
            "udb204_currency", "`{value}` is not a currency code such as DKK",
            {"value": value, "hint": "write a three-letter code in capitals, e.g. `DKK`"})
    return value


#: Names and country codes an author may write for a language.
_LANGUAGE_WORDS = {"dansk": "da", "danish": "da", "dk": "da", "english": "en", "engelsk": "en",
                   "engelska": "en", "gb": "en", "uk": "en", "svenska": "sv", "svensk": "sv",
                   "swedish": "sv", "se": "sv"}


def _language(value: Any) -> Any:
    if isinstance(value, str) and value not in LANGUAGES:
        word = value.strip().lower()
        near = _LANGUAGE_WORDS.get(word) or closest(word, LANGUAGES)
        named = ", ".join(f"`{code}` ({LANGUAGE_NAMES[code]})" for code in LANGUAGES)
        hint = (f"write one of {named}" if near is None
                else f"write one of {named}; did you mean `{near}`?")
        raise PydanticCustomError(
            "udb204_language",
            "`{value}` is not a language explanations can be written in; the languages are "
            "{languages}",
            {"value": shown(value), "languages": ", ".join(LANGUAGES), "hint": hint})
    return value


class PolicyHeader(_Model):
    id: Annotated[str, BeforeValidator(_policy_id), BeforeValidator(_text)]
    title: Text
    authority: Text
    valid: Validity
    legal_basis: Text | None = None
    description: Text | None = None
    version: Text | None = None
    language: Annotated[Language, BeforeValidator(_language)] = "da"
    currency: Annotated[str, BeforeValidator(_currency), BeforeValidator(_text)] = "DKK"
    rounding: RoundingSpec | None = None
    month_end: Literal["clamp", "roll"] | None = None


#: The fact types that may have a range (`min`, `max`).
RANGED = fact_kinds.RANGED


class FactSpec(_Model):
    type: FactType
    title: Text | None = None
    description: Text | None = None
    values: list[Annotated[str, BeforeValidator(_text)]] | None = None
    fields: dict[Ident, FactSpec] | None = None
    open_ended: bool | None = None
    #: The value when the host does not give the fact (it is then optional): a constant
    #: of the fact's type, e.g. `0 hours`, `aktivitetsparat`, `[]` for a list.
    default: Any = None
    #: The least and the greatest value the fact may have (numbers, amounts, hours,
    #: dates); a value outside is a fact error, never a decision.
    min: ExprText | None = None
    max: ExprText | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # `birth_date: date` is short for `birth_date: {type: date}`.
        if isinstance(data, str):
            return {"type": data}
        return data

    @property
    def kind(self) -> FactKind:
        """The kind of the fact (its ``type``), from the registry of kinds."""
        return fact_kinds.KINDS[self.type]

    @model_validator(mode="after")
    def _consistent(self) -> FactSpec:
        kind = self.kind
        if kind.choice:
            if not self.values:
                raise PydanticCustomError(
                    "udb202_values", "a choice (`type: enum`) needs its `values`",
                    {"hint": "list the values, e.g. `values: [aktivitetsparat, jobparat]`"})
            for index, value in enumerate(self.values):
                if not CHOICE_RE.match(value):
                    raise PydanticCustomError(
                        "udb205", "`{value}` is not a valid value of a choice",
                        {"value": value, "at": ["values", index],
                         "hint": "values of a choice use lowercase letters, digits and `_`"})
            for index, value in enumerate(self.values):
                if value in self.values[:index]:
                    raise PydanticCustomError(
                        "udb207_values", "the value `{value}` is listed twice",
                        {"value": value, "at": ["values", index], "hint": "remove one of them"})
        elif self.values is not None:
            raise PydanticCustomError(
                "udb201_values", "`values` belongs to `type: enum` only",
                {"at": ["values"], "key": True,
                 "hint": "remove `values`, or make the fact a choice with `type: enum`"})
        if kind.container:
            if self.fields is None:
                raise PydanticCustomError(
                    "udb202_fields", "a `{kind}` fact needs its `fields`",
                    {"kind": self.type,
                     "hint": "declare the fields, e.g. "
                             "`fields: {kind: text, weekly_hours: hours}`"})
            reserved = {"from", "to", "period"} & set(self.fields)
            if kind.periodic and reserved:
                raise PydanticCustomError(
                    "udb210", "`{name}` is part of every history record; do not declare it",
                    {"name": sorted(reserved)[0], "at": ["fields", sorted(reserved)[0]],
                     "key": True,
                     "hint": "remove the field; every history record has `from`, `to` and "
                             "`period`"})
        elif self.fields is not None:
            raise PydanticCustomError(
                "udb201_fields", "`fields` belongs to `record`, `list` and `history` only",
                {"at": ["fields"], "key": True,
                 "hint": "remove `fields`, or change the `type`"})
        if self.open_ended is not None and not kind.periodic:
            raise PydanticCustomError(
                "udb201_open", "`open_ended` belongs to `type: history` only",
                {"at": ["open_ended"], "key": True,
                 "hint": "remove `open_ended`, or make the fact `type: history`"})
        for bound in ("min", "max"):
            if getattr(self, bound) is not None and not kind.ranged:
                raise PydanticCustomError(
                    "udb201_range", "`{bound}` belongs to numbers, amounts, hours and dates",
                    {"bound": bound, "at": [bound], "key": True,
                     "hint": "remove it; a choice lists its values, a text has no range"})
        if self.default is not None:
            if kind.default == "none":
                raise PydanticCustomError(
                    "udb201_default", "a `{kind}` fact cannot have a `default`",
                    {"kind": self.type, "at": ["default"], "key": True,
                     "hint": "give defaults to the record's fields instead"})
            if kind.default == "empty" and self.default != []:
                raise PydanticCustomError(
                    "udb204_default", "the `default` of a list is the empty list `[]`",
                    {"at": ["default"], "hint": "write `default: []`"})
            if kind.default != "empty" and isinstance(self.default, (dict, list)):
                raise PydanticCustomError(
                    "udb204_default", "the `default` of a `{kind}` fact is one value",
                    {"kind": self.type, "at": ["default"],
                     "hint": "write a constant such as `0`, `0 hours` or a choice value"})
        return self


class DatedValue(_Model):
    from_: DateText = Field(alias="from")
    value: ExprText


class ParameterSpec(_Model):
    title: Text | None = None
    description: Text | None = None
    source: Text | None = None
    note: Text | None = None
    value: ExprText | None = None
    values: list[DatedValue] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # `min_age: 30` is short for `min_age: {value: 30}`.
        if not isinstance(data, dict):
            return {"value": data}
        return data

    @model_validator(mode="after")
    def _one_value(self) -> ParameterSpec:
        if self.value is None and self.values is None:
            raise PydanticCustomError(
                "udb202_value", "a parameter needs either `value` or dated `values`",
                {"hint": "write e.g. `value: 30`, or `values:` with a `from` date and a `value` "
                         "in each item"})
        if self.value is not None and self.values is not None:
            raise PydanticCustomError(
                "udb203_value", "a parameter takes `value` or dated `values`, not both",
                {"at": ["values"], "key": True, "hint": "keep one of them"})
        if self.values is not None:
            if not self.values:
                raise PydanticCustomError(
                    "udb202_value", "`values` lists no value",
                    {"at": ["values"],
                     "hint": "list the dated values, e.g. `- {from: 2019-02-01, value: 30}`"})
            days = [v.from_ for v in self.values]
            for index in range(1, len(days)):
                if days[index] <= days[index - 1]:
                    raise PydanticCustomError(
                        "udb208", "`from: {day}` is not after the `from` of the value above it",
                        {"day": days[index].isoformat(), "at": ["values", index, "from"]})
        return self


class RuleSpec(_Model):
    title: Text | None = None
    description: Text | None = None
    legal_basis: Text | None = None
    source: Text | None = None
    reading: Text | None = None
    type: RuleType | None = None
    value: ExprText

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return {"value": data}
        return data


class Criterion(_Model):
    """One condition of a target group, with what an explanation needs to cite it."""

    id: Ident
    title: Text
    when: ExprText
    legal_basis: Text | None = None
    source: Text | None = None
    reading: Text | None = None
    description: Text | None = None
    show: list[Ident] | None = None


class TargetGroupSpec(_Model):
    title: Text
    legal_basis: Text | None = None
    source: Text | None = None
    description: Text | None = None
    # The criteria tree is validated node by node in `validate.py`, so that one
    # bad criterion does not hide the others.
    criteria: Any
