"""Facts from the host: a pydantic validator derived from the policy's fact schema.

Two paths, one answer. The *fast path* is a generated function that accepts
facts already in their canonical Python form (``date``, ``Decimal``,
:class:`Money`, ...) with straight type checks. Anything else (JSON text
values such as ``"2019-02-01"``, a wrong type, a missing fact) goes through
the pydantic model, which converts what can be converted and otherwise raises
:class:`FactError` naming every wrong field by its path
(``offers[0].weekly_hours``). There is never a partial decision.

Each fact is converted and described as its kind says (:mod:`udbudsregler.values.fact_kinds`:
the converter, the JSON Schema, what was expected); the rest of
:mod:`udbudsregler.runtime.inputs` is imported where the model is built or used: facts in
canonical form never need it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    create_model,
)

from udbudsregler.codegen.factcheck import fast_check
from udbudsregler.diagnostics import FactError, FactProblem, did_you_mean
from udbudsregler.ir.graph import FactBounds
from udbudsregler.loader.documents import FactSpec
from udbudsregler.values.canonical import show, to_json
from udbudsregler.values.limits import EARLIEST, LATEST, valid_text
from udbudsregler.values.money import Money

__all__ = ["EARLIEST", "LATEST", "FactSchema"]


def _ordered(value: Any, info: ValidationInfo) -> Any:
    """`to` on or after `from` (a validator of `to`, so that a mistake in another field of
    the record does not hide it)."""
    from udbudsregler.values.convert import fail

    start = info.data.get("f_from")
    if value is not None and start is not None and value < start:
        raise fail("udb604", "`to` ({end}) is before `from` ({start})", end=value.isoformat(),
                   start=start.isoformat())
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              populate_by_name=False, defer_build=True)


class FactSchema:
    """Validates and normalises a citizen's facts for one policy.

    ``language`` (``da``, ``en`` or ``sv``) is the language of the descriptions in the JSON
    Schema, ``title`` its title; neither changes what is accepted.
    """

    def __init__(self, facts: Mapping[str, FactSpec], currency: str, *,
                 language: str = "en", title: str | None = None,
                 bounds: Mapping[str, FactBounds] | None = None) -> None:
        self.specs = dict(facts)
        self.currency = currency
        self.language = language
        #: Ranges and defaults, by dotted fact name (`offers.weekly_hours`).
        self.bounds: dict[str, FactBounds] = dict(bounds or {})
        self.title = title
        self._model: type[BaseModel] | None = None
        self.fast: Callable[[Any], bool] = fast_check(self.specs, currency, self.bounds)

    # -- the pydantic model ----------------------------------------------

    @property
    def model(self) -> type[BaseModel]:
        """The pydantic model of the facts, built on first use: facts in canonical form
        never need it (the fast check accepts them), and building it is most of the cost
        of a policy's first decision."""
        if self._model is None:
            fields = {f"f_{name}": self._field(name, spec)
                      for name, spec in self.specs.items()}
            base = _Strict if self.title is None else _with_title(self.title)
            self._model = create_model(  # type: ignore[call-overload]
                "Facts", __base__=base, **fields)
        return self._model

    def _annotation(self, name: str, spec: FactSpec) -> Any:
        # the kind's converter and JSON Schema (values/fact_kinds.py); records by their fields
        kind = spec.kind
        values = tuple(spec.values or ())
        if kind.container:
            record = self._record(name, spec)
            if not kind.many:
                return record
            assert kind.converter is not None  # a list's takes the list; pydantic the items
            return Annotated[list[record],  # type: ignore[valid-type]
                             BeforeValidator(kind.converter(self.currency, values))]
        assert kind.converter is not None and kind.schema is not None
        convert = kind.converter(self.currency, values)
        schema = kind.schema(self.currency, values)
        bounds = self.bounds.get(name)
        if bounds is not None and (bounds.minimum is not None or bounds.maximum is not None):
            return Annotated[Any, BeforeValidator(convert), AfterValidator(_in_range(bounds)),
                             WithJsonSchema(_ranged_schema(schema, bounds))]
        return Annotated[Any, BeforeValidator(convert), WithJsonSchema(schema)]

    def _record(self, name: str, spec: FactSpec) -> type[BaseModel]:
        from udbudsregler.values.convert import DATE_SCHEMA, NULL, as_date, to_optional_date

        fields: dict[str, Any] = {f"f_{k}": self._field(f"{name}.{k}", v)
                                  for k, v in (spec.fields or {}).items()}
        if spec.kind.periodic:
            open_ended = spec.open_ended is not False
            fields["f_from"] = (Annotated[Any, BeforeValidator(as_date),
                                          WithJsonSchema(dict(DATE_SCHEMA))],
                                Field(alias="from", title=self._text("from_title"),
                                      description=self._text("from")))
            to_schema = ({"anyOf": [dict(DATE_SCHEMA), dict(NULL)]} if open_ended
                         else dict(DATE_SCHEMA))
            fields["f_to"] = (Annotated[Any, BeforeValidator(
                to_optional_date if open_ended else as_date), AfterValidator(_ordered),
                WithJsonSchema(to_schema)],
                Field(alias="to", title=self._text("to_title"),
                      description=self._text("to" if open_ended else "to_closed")))
        model: type[BaseModel] = create_model(
            f"Record_{name.replace('.', '_')}", __base__=_with_title(spec.title or name),
            **fields)
        return model

    def _field(self, name: str, spec: FactSpec) -> tuple[Any, Any]:
        leaf = name.rsplit(".", 1)[-1]
        bounds = self.bounds.get(name)
        if bounds is not None and bounds.has_default:
            default = bounds.default
            if isinstance(default, list):
                return (self._annotation(name, spec),
                        Field(default_factory=list, alias=leaf, title=spec.title or leaf,
                              description=self._describe(spec)))
            return (self._annotation(name, spec),
                    Field(default=default, alias=leaf, title=spec.title or leaf,
                          description=self._describe(spec),
                          json_schema_extra={"default": to_json(default)}))
        return (self._annotation(name, spec),
                Field(alias=leaf, title=spec.title or leaf, description=self._describe(spec)))

    def _text(self, kind: str, spec: FactSpec | None = None) -> str:
        from udbudsregler.runtime.inputs import describe

        values = (spec.values or ()) if spec is not None else ()
        return describe(kind, self.language, self.currency, values)

    def _describe(self, spec: FactSpec) -> str:
        # the sentence of the kind's name; a history's says whether a period may run on
        closed = spec.kind.periodic and spec.open_ended is False
        generic = self._text("closed_history" if closed else spec.type, spec)
        own = " ".join(spec.description.split()) if spec.description else ""
        return f"{own} {generic}" if own else generic

    # -- validation ------------------------------------------------------

    def validate(self, facts: Any) -> dict[str, Any]:
        """The facts in canonical form, or :class:`FactError` listing every problem."""
        if type(facts) is dict and self.fast(facts):
            return facts
        canonical, problems = self.check(facts)
        if problems:
            raise FactError(problems)
        assert canonical is not None
        return canonical

    def check(self, facts: Any) -> tuple[dict[str, Any] | None, list[FactProblem]]:
        """The facts in canonical form and no problems, or None and every problem."""
        from udbudsregler.values.convert import kind_of

        if type(facts) is dict and self.fast(facts):
            return facts, []
        if not isinstance(facts, Mapping):
            return None, [FactProblem("UDB608", "", f"the facts must be a mapping, not "
                                      f"{kind_of(facts)}")]
        try:
            model = self.model.model_validate(dict(facts))
        except ValidationError as error:
            return None, self._problems(error)
        return self._canonical(model), []

    def _canonical(self, model: BaseModel) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, info in type(model).model_fields.items():
            key = info.alias or name
            out[key] = _plain(getattr(model, name))
        return out

    def _problems(self, error: ValidationError) -> list[FactProblem]:
        from udbudsregler.runtime.inputs import problems_from

        def unknown(loc: tuple[Any, ...], path: str) -> FactProblem:
            name = loc[-1]
            hint = did_you_mean(name, self._siblings(loc)) if isinstance(name, str) and \
                valid_text(name) else None
            return FactProblem("UDB606", path, "the policy declares no such fact"
                               + (f"; {hint}" if hint else ""))
        return problems_from(error, "", unknown, self._expected)

    def _siblings(self, loc: tuple[Any, ...]) -> list[str]:
        """The names declared next to the one at ``loc`` (for did-you-mean hints)."""
        specs: Mapping[str, FactSpec] | None = self.specs
        history = False
        for part in loc[:-1]:
            if isinstance(part, int) or specs is None:
                continue
            spec = specs.get(part)
            history = spec is not None and spec.kind.periodic
            specs = spec.fields if spec is not None else None
        names = list(specs or {})
        return [*names, "from", "to"] if history else names

    def _expected(self, loc: tuple[Any, ...]) -> str | None:
        spec: FactSpec | None = None
        specs: Mapping[str, FactSpec] | None = self.specs
        for part in loc:
            if isinstance(part, int) or specs is None:
                continue
            key = part
            if key in ("from", "to"):
                return "a date"
            spec = specs.get(key)
            specs = spec.fields if spec is not None else None
        if spec is None:
            return None
        return spec.kind.expected(self.currency, spec.values or ())

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of the facts: every fact with its type, title
        and description, enums with their values, numbers with their limits."""
        schema = self.model.model_json_schema(by_alias=True)
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def _in_range(bounds: FactBounds) -> Callable[[Any], Any]:
    """A value inside the fact's declared range, else a fact error (UDB611)."""
    low, high = bounds.minimum, bounds.maximum

    def check(value: Any) -> Any:
        from udbudsregler.values.convert import fail

        if low is not None and value < low:
            raise fail("udb611", "{value} is below the least value the policy allows, {low}",
                       value=show(value), low=show(low))
        if high is not None and value > high:
            raise fail("udb611", "{value} is above the greatest value the policy allows, "
                       "{high}", value=show(value), high=show(high))
        return value
    return check


def _ranged_schema(schema: dict[str, Any], bounds: FactBounds) -> dict[str, Any]:
    """A scalar's JSON Schema with the fact's range on its numbers (as text, the policy
    checks the range itself)."""
    def numeric(value: Any) -> Any:
        if isinstance(value, Money):
            value = value.amount
        return value if isinstance(value, int) else (
            float(value) if isinstance(value, Decimal) else None)

    out = dict(schema)
    extra = {"x-minimum": to_json(bounds.minimum) if bounds.minimum is not None else None,
             "x-maximum": to_json(bounds.maximum) if bounds.maximum is not None else None}
    out.update({k: v for k, v in extra.items() if v is not None})
    parts = out.get("anyOf")
    if isinstance(parts, list):
        ranged = []
        for part in parts:
            part = dict(part)
            if part.get("type") in ("integer", "number"):
                low, high = numeric(bounds.minimum), numeric(bounds.maximum)
                if low is not None:
                    part["minimum"] = low
                if high is not None:
                    part["maximum"] = high
            ranged.append(part)
        out["anyOf"] = ranged
    elif out.get("type") in ("integer", "number"):
        low, high = numeric(bounds.minimum), numeric(bounds.maximum)
        if low is not None:
            out["minimum"] = low
        if high is not None:
            out["maximum"] = high
    return out


def _with_title(title: str) -> type[BaseModel]:
    class Titled(_Strict):
        model_config = ConfigDict(title=title)
    return Titled


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return {(info.alias or name): _plain(getattr(value, name))
                for name, info in type(value).model_fields.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
