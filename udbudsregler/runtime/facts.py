"""Facts from the host: a pydantic validator derived from the policy's fact schema.

Two paths, one answer. The *fast path* is a generated function that accepts
facts already in their canonical Python form (``date``, ``Decimal``,
:class:`Money`, ...) with straight type checks. Anything else (JSON text
values such as ``"2019-02-01"``, a wrong type, a missing fact) goes through
the pydantic model, which converts what can be converted and otherwise raises
:class:`FactError` naming every wrong field by its path
(``offers[0].weekly_hours``). There is never a partial decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
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

from udbudsregler.diagnostics import FactError, FactProblem, did_you_mean
from udbudsregler.ir.graph import FactBounds
from udbudsregler.loader.documents import FactSpec
from udbudsregler.runtime.inputs import (
    DATE_SCHEMA,
    EARLIEST,
    LATEST,
    MAX_DURATION_YEARS,
    MAX_PLACES,
    NULL,
    NUMBER_LIMIT,
    as_date,
    choice,
    describe,
    fail,
    kind_of,
    problems_from,
    scalar_schema,
    to_bool,
    to_decimal,
    to_duration,
    to_hours,
    to_integer,
    to_list,
    to_money,
    to_optional_date,
    to_period,
    to_text,
    valid_text,
)
from udbudsregler.values.canonical import show, to_json
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, Period

__all__ = ["EARLIEST", "LATEST", "FactSchema"]


def _ordered(value: Any, info: ValidationInfo) -> Any:
    """`to` on or after `from` (a validator of `to`, so that a mistake in another field of
    the record does not hide it)."""
    start = info.data.get("f_from")
    if value is not None and start is not None and value < start:
        raise fail("udb604", "`to` ({end}) is before `from` ({start})", end=value.isoformat(),
                   start=start.isoformat())
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              populate_by_name=False)


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
        fields = {f"f_{name}": self._field(name, spec) for name, spec in self.specs.items()}
        base = _Strict if title is None else _with_title(title)
        self.model: type[BaseModel] = create_model(  # type: ignore[call-overload]
            "Facts", __base__=base, **fields)
        self.fast: Callable[[Any], bool] = _fast_check(self.specs, currency, self.bounds)

    # -- the pydantic model ----------------------------------------------

    def _annotation(self, name: str, spec: FactSpec) -> Any:
        scalar: dict[str, Callable[[Any], Any]] = {
            "bool": to_bool, "int": to_integer, "decimal": to_decimal, "date": as_date,
            "text": to_text, "hours": to_hours, "duration": to_duration, "period": to_period,
            "money": to_money(self.currency),
        }
        if spec.type in scalar:
            bounds = self.bounds.get(name)
            schema = scalar_schema(spec.type, self.currency)
            if bounds is not None and (bounds.minimum is not None
                                       or bounds.maximum is not None):
                return Annotated[Any, BeforeValidator(scalar[spec.type]),
                                 AfterValidator(_in_range(bounds)),
                                 WithJsonSchema(_ranged_schema(schema, bounds))]
            return Annotated[Any, BeforeValidator(scalar[spec.type]), WithJsonSchema(schema)]
        if spec.type == "enum":
            values = tuple(spec.values or ())
            return Annotated[Any, BeforeValidator(choice(values)),
                             WithJsonSchema(scalar_schema("enum", values=values))]
        record = self._record(name, spec)
        if spec.type == "record":
            return record
        return Annotated[list[record], BeforeValidator(to_list)]  # type: ignore[valid-type]

    def _record(self, name: str, spec: FactSpec) -> type[BaseModel]:
        fields: dict[str, Any] = {f"f_{k}": self._field(f"{name}.{k}", v)
                                  for k, v in (spec.fields or {}).items()}
        if spec.type == "history":
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
        values = (spec.values or ()) if spec is not None else ()
        return describe(kind, self.language, self.currency, values)

    def _describe(self, spec: FactSpec) -> str:
        kind: str = spec.type
        if kind == "history" and spec.open_ended is False:
            kind = "closed_history"
        generic = self._text(kind, spec)
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
            history = spec is not None and spec.type == "history"
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
        if spec.type == "enum":
            return "one of " + ", ".join(spec.values or ())
        return {
            "history": "a list of periods with `from` and `to`", "list": "a list",
            "record": "a mapping", "bool": "true or false", "int": "a whole number",
            "decimal": "a number", "money": f"an amount in {self.currency}",
            "date": "a date (YYYY-MM-DD)", "duration": "a duration such as \"4 months\"",
            "hours": "a number of hours", "text": "text",
            "period": "a period with `from` and `to`",
        }.get(spec.type, spec.type)

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of the facts: every fact with its type, title
        and description, enums with their values, numbers with their limits."""
        schema = self.model.model_json_schema(by_alias=True)
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def _in_range(bounds: FactBounds) -> Callable[[Any], Any]:
    """A value inside the fact's declared range, else a fact error (UDB611)."""
    low, high = bounds.minimum, bounds.maximum

    def check(value: Any) -> Any:
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


# -- the fast path -----------------------------------------------------------


def _fast_check(specs: Mapping[str, FactSpec], currency: str,
                bounds: Mapping[str, FactBounds] | None = None) -> Callable[[Any], bool]:
    """Generate ``check(facts) -> bool``: True only for facts already in canonical form."""
    namespace: dict[str, Any] = {"date": date, "Decimal": Decimal, "Money": Money,
                                 "Duration": Duration, "Period": Period, "LO": EARLIEST,
                                 "HI": LATEST, "CUR": currency, "L": NUMBER_LIMIT,
                                 "P": -MAX_PLACES - 1, "MM": 12 * MAX_DURATION_YEARS,
                                 "MD": 366 * MAX_DURATION_YEARS, "VT": valid_text}
    # Direct subscripts in one `try`: a missing key (KeyError) or an unhashable value in
    # a choice test (TypeError) makes the facts go the slow way, like any other misfit.
    lines = ["def check(f):", f"    if len(f) != {len(specs)}:", "        return False",
             "    try:", "        pass"]  # a policy may declare no facts (`facts: {}`)
    base = "        "
    counter = [0]

    def fresh(prefix: str) -> str:
        counter[0] += 1
        return f"{prefix}{counter[0]}"

    def range_test(var: str, path: str, indent: str) -> None:
        found = (bounds or {}).get(path)
        if found is None:
            return
        for value, op in ((found.minimum, "<"), (found.maximum, ">")):
            if value is not None:
                name = fresh("B")
                namespace[name] = value
                lines.extend([f"{indent}if {var} {op} {name}:", f"{indent}    return False"])

    def value_test(var: str, spec: FactSpec, indent: str, path: str = "") -> None:
        t = spec.type
        fail = f"{indent}    return False"
        # Numbers inside the input limits (runtime/inputs.py): below 10^18 in size, and
        # a Decimal's leading digit at most MAX_PLACES places after the point.
        if t == "bool":
            lines.extend([f"{indent}if type({var}) is not bool:", fail])
        elif t == "int":
            lines.extend([f"{indent}if type({var}) is not int or not -L < {var} < L:", fail])
        elif t in ("decimal", "hours"):
            low = "0 <=" if t == "hours" else "-L <"
            sign = f" and {var} >= 0" if t == "hours" else ""
            lines.extend([f"{indent}if not ((type({var}) is int and {low} {var} < L) or "
                          f"(type({var}) is Decimal and {var}.is_finite() and "
                          f"P < {var}.adjusted() < 18{sign})):", fail])
        elif t == "money":
            lines.extend([f"{indent}if type({var}) is not Money or {var}.currency != CUR or not "
                          f"({var}.amount.is_finite() and P < {var}.amount.adjusted() < 18):",
                          fail])
        elif t == "date":
            lines.extend([f"{indent}if type({var}) is not date or not LO <= {var} <= HI:", fail])
        elif t == "text":
            lines.extend([f"{indent}if type({var}) is not str or not ({var}.isascii() or "
                          f"VT({var})):", fail])
        elif t == "duration":
            lines.extend([f"{indent}if type({var}) is not Duration or abs({var}.months) > MM "
                          f"or abs({var}.days) > MD:", fail])
        elif t == "period":
            lines.extend([f"{indent}if type({var}) is not Period or not LO <= {var}.start <= HI "
                          f"or ({var}.end is not None and {var}.end > HI):", fail])
        elif t == "enum":
            name = fresh("E")
            namespace[name] = frozenset(spec.values or ())
            lines.extend([f"{indent}if {var} not in {name}:", fail])
        elif t == "record":
            record_test(var, spec, indent, path)
        else:
            item = fresh("r")
            lines.extend([f"{indent}if type({var}) is not list:", fail,
                          f"{indent}for {item} in {var}:"])
            record_test(item, spec, indent + "    ", path)
        if t in ("int", "decimal", "hours", "money", "date"):
            range_test(var, path, indent)

    def record_test(var: str, spec: FactSpec, indent: str, path: str) -> None:
        fields = spec.fields or {}
        size = len(fields) + (2 if spec.type == "history" else 0)
        lines.extend([f"{indent}if type({var}) is not dict or len({var}) != {size}:",
                      f"{indent}    return False"])
        if spec.type == "history":
            start, end = fresh("a"), fresh("b")
            lines.extend([
                f"{indent}{start} = {var}['from']",
                f"{indent}if type({start}) is not date or not LO <= {start} <= HI:",
                f"{indent}    return False",
                f"{indent}{end} = {var}['to']",
            ])
            if spec.open_ended is not False:
                lines.append(f"{indent}if {end} is not None and (type({end}) is not date or "
                             f"not {start} <= {end} <= HI):")
            else:
                lines.append(f"{indent}if type({end}) is not date or not {start} <= {end} <= HI:")
            lines.append(f"{indent}    return False")
        for key, field_spec in fields.items():
            var2 = fresh("v")
            lines.append(f"{indent}{var2} = {var}[{key!r}]")
            value_test(var2, field_spec, indent, f"{path}.{key}")

    for key, spec in specs.items():
        var = fresh("v")
        lines.append(f"{base}{var} = f[{key!r}]")
        value_test(var, spec, base, key)
    lines += ["    except (KeyError, TypeError):", "        return False", "    return True"]
    exec(compile("\n".join(lines), "<fact check>", "exec"), namespace)  # generated, no author text
    check: Callable[[Any], bool] = namespace["check"]
    return check
