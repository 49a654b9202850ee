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

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from udbudsregler.diagnostics import FactError, FactProblem, did_you_mean, dotted_path
from udbudsregler.loader.documents import FactSpec
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, Period

__all__ = ["EARLIEST", "LATEST", "FactSchema"]

#: Dates in facts must lie in this range; outside it they are surely mistakes,
#: and date arithmetic on them cannot leave the calendar.
EARLIEST = date(1850, 1, 1)
LATEST = date(2200, 12, 31)

_DURATION_RE = re.compile(r"^\s*(\d+)\s+(years?|months?|weeks?|days?)\s*$")


def _fail(code: str, message: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError(code, message, ctx)


def _date(value: Any) -> date:
    if type(value) is date:
        result = value
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            result = date.fromisoformat(value)
        except ValueError:
            raise _fail("udb603", "`{value}` is not a real calendar date", value=value) from None
    else:
        raise _fail("udb602", "expected a date (YYYY-MM-DD), got {got}", got=_kind(value))
    if not EARLIEST <= result <= LATEST:
        raise _fail("udb603", "{value} is outside the years {lo}-{hi}", value=result.isoformat(),
                    lo=EARLIEST.year, hi=LATEST.year)
    return result


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float, Decimal)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__}"


def _decimal(value: Any, what: str = "a number") -> Decimal:
    if isinstance(value, float):
        raise _fail("udb607", "{value} is a binary fraction; send it as text, e.g. \"{text}\"",
                    value=value, text=repr(value))
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise _fail("udb602", "expected {what}, got {got}", what=what, got=_kind(value))
    try:
        result = value if isinstance(value, Decimal) else Decimal(value)
    except InvalidOperation:
        raise _fail("udb602", "expected {what}, got {got}", what=what, got=_kind(value)) from None
    if not result.is_finite():
        raise _fail("udb602", "expected {what}, got {got}", what=what, got=_kind(value))
    return result


def _number(value: Any) -> int | Decimal:
    if type(value) is int:
        return value
    return _decimal(value)


def _integer(value: Any) -> int:
    if type(value) is int:
        return value
    raise _fail("udb602", "expected a whole number, got {got}", got=_kind(value))


def _bool(value: Any) -> bool:
    if type(value) is bool:
        return value
    raise _fail("udb602", "expected true or false, got {got}", got=_kind(value))


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    raise _fail("udb602", "expected text, got {got}", got=_kind(value))


def _money(currency: str) -> Callable[[Any], Money]:
    def convert(value: Any) -> Money:
        if type(value) is Money:
            if value.currency != currency:
                raise _fail("udb602", "expected an amount in {currency}, got {got}",
                            currency=currency, got=str(value))
            return value
        if isinstance(value, Mapping) and set(value) == {"amount", "currency"}:
            if value["currency"] != currency:
                raise _fail("udb602", "expected an amount in {currency}, got {got}",
                            currency=currency, got=str(value["currency"]))
            value = value["amount"]
        return Money(_decimal(value, f"an amount in {currency}"), currency)
    return convert


def _duration(value: Any) -> Duration:
    if type(value) is Duration:
        return value
    match = _DURATION_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise _fail("udb602", "expected a duration such as \"4 months\", got {got}",
                    got=_kind(value))
    n, unit = int(match.group(1)), match.group(2).rstrip("s")
    return {"year": Duration(12 * n, 0), "month": Duration(n, 0), "week": Duration(0, 7 * n),
            "day": Duration(0, n)}[unit]


def _choice(values: tuple[str, ...]) -> Callable[[Any], str]:
    allowed = frozenset(values)

    def convert(value: Any) -> str:
        if isinstance(value, str) and value in allowed:
            return value
        shown = ", ".join(values[:8]) + (", ..." if len(values) > 8 else "")
        raise _fail("udb605", "{got} is not one of: {shown}", got=_kind(value), shown=shown)
    return convert


def _period(value: Any) -> Period:
    if type(value) is Period:
        return value
    if isinstance(value, Mapping) and set(value) == {"from", "to"}:
        start = _date(value["from"])
        end = None if value["to"] is None else _date(value["to"])
        if end is not None and end < start:
            raise _fail("udb604", "the period ends ({end}) before it starts ({start})",
                        end=end.isoformat(), start=start.isoformat())
        return Period(start, end)
    raise _fail("udb602", "expected a period {{\"from\": ..., \"to\": ...}}, got {got}",
                got=_kind(value))


def _ordered(model: Any) -> Any:
    start, end = model.f_from, model.f_to
    if end is not None and end < start:
        raise _fail("udb604", "`to` ({end}) is before `from` ({start})", end=end.isoformat(),
                    start=start.isoformat())
    return model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              populate_by_name=False)


class FactSchema:
    """Validates and normalises a citizen's facts for one policy."""

    def __init__(self, facts: Mapping[str, FactSpec], currency: str) -> None:
        self.specs = dict(facts)
        self.currency = currency
        fields = {f"f_{name}": self._field(name, spec) for name, spec in self.specs.items()}
        self.model: type[BaseModel] = create_model(  # type: ignore[call-overload]
            "Facts", __base__=_Strict, **fields)
        self.fast: Callable[[Any], bool] = _fast_check(self.specs, currency)

    # -- the pydantic model ----------------------------------------------

    def _annotation(self, name: str, spec: FactSpec) -> Any:
        scalar: dict[str, Callable[[Any], Any]] = {
            "bool": _bool, "int": _integer, "decimal": _decimal, "date": _date,
            "text": _text, "hours": _number, "duration": _duration, "period": _period,
            "money": _money(self.currency),
        }
        if spec.type in scalar:
            return Annotated[Any, BeforeValidator(scalar[spec.type])]
        if spec.type == "enum":
            return Annotated[Any, BeforeValidator(_choice(tuple(spec.values or ())))]
        record = self._record(name, spec)
        if spec.type == "record":
            return record
        return list[record]  # type: ignore[valid-type]

    def _record(self, name: str, spec: FactSpec) -> type[BaseModel]:
        fields: dict[str, Any] = {f"f_{k}": self._field(f"{name}.{k}", v)
                                  for k, v in (spec.fields or {}).items()}
        if spec.type == "history":
            open_ended = spec.open_ended is not False
            fields["f_from"] = (Annotated[Any, BeforeValidator(_date)], Field(alias="from"))
            to_validator = ((lambda v: None if v is None else _date(v)) if open_ended
                            else _date)
            fields["f_to"] = (Annotated[Any, BeforeValidator(to_validator)], Field(alias="to"))
        validators: dict[str, Any] = (
            {"ordered": model_validator(mode="after")(_ordered)} if spec.type == "history" else {})
        model: type[BaseModel] = create_model(
            f"Record_{name.replace('.', '_')}", __base__=_Strict, __validators__=validators,
            **fields)
        return model

    def _field(self, name: str, spec: FactSpec) -> tuple[Any, Any]:
        leaf = name.rsplit(".", 1)[-1]
        return (self._annotation(name, spec), Field(alias=leaf))

    # -- validation ------------------------------------------------------

    def validate(self, facts: Any) -> dict[str, Any]:
        """The facts in canonical form, or :class:`FactError` listing every problem."""
        if type(facts) is dict and self.fast(facts):
            return facts
        if not isinstance(facts, Mapping):
            raise FactError([FactProblem("UDB608", "", f"the facts must be a mapping, not "
                                         f"{_kind(facts)}")])
        try:
            model = self.model.model_validate(dict(facts))
        except ValidationError as error:
            raise FactError(self._problems(error)) from None
        return self._canonical(model)

    def _canonical(self, model: BaseModel) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, info in type(model).model_fields.items():
            key = info.alias or name
            out[key] = _plain(getattr(model, name))
        return out

    def _problems(self, error: ValidationError) -> list[FactProblem]:
        problems = []
        for item in error.errors(include_url=False):
            path = _path(item["loc"])
            kind = item["type"]
            if kind == "missing":
                problems.append(FactProblem("UDB601", path, "missing", self._expected(item)))
            elif kind == "extra_forbidden":
                hint = did_you_mean(str(item["loc"][-1]), self._siblings(item["loc"]))
                problems.append(FactProblem(
                    "UDB606", path, "the policy declares no such fact"
                    + (f"; {hint}" if hint else "")))
            elif kind == "udb604" and not path.endswith(".to"):
                problems.append(FactProblem("UDB604", f"{path}.to", item["msg"]))
            elif kind.startswith("udb"):
                problems.append(FactProblem("UDB" + kind[3:6], path, item["msg"]))
            elif kind in ("list_type", "model_type", "dict_type", "model_attributes_type"):
                problems.append(FactProblem("UDB602", path, f"got {_kind(item.get('input'))}",
                                            "a list" if kind == "list_type" else "a mapping"))
            else:
                problems.append(FactProblem("UDB602", path, str(item["msg"]).lower()))
        return problems

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

    def _expected(self, item: Any) -> str | None:
        spec: FactSpec | None = None
        specs: Mapping[str, FactSpec] | None = self.specs
        for part in item["loc"]:
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
        return self.model.model_json_schema(by_alias=True)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return {(info.alias or name): _plain(getattr(value, name))
                for name, info in type(value).model_fields.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _path(loc: tuple[Any, ...]) -> str:
    return dotted_path(loc)


# -- the fast path -----------------------------------------------------------


def _fast_check(specs: Mapping[str, FactSpec], currency: str) -> Callable[[Any], bool]:
    """Generate ``check(facts) -> bool``: True only for facts already in canonical form."""
    namespace: dict[str, Any] = {"date": date, "Decimal": Decimal, "Money": Money,
                                 "Duration": Duration, "Period": Period, "LO": EARLIEST,
                                 "HI": LATEST, "CUR": currency}
    # Direct subscripts in one `try`: a missing key (KeyError) or an unhashable value in
    # a choice test (TypeError) makes the facts go the slow way, like any other misfit.
    lines = ["def check(f):", f"    if len(f) != {len(specs)}:", "        return False",
             "    try:", "        pass"]  # a policy may declare no facts (`facts: {}`)
    base = "        "
    counter = [0]

    def fresh(prefix: str) -> str:
        counter[0] += 1
        return f"{prefix}{counter[0]}"

    def value_test(var: str, spec: FactSpec, indent: str) -> None:
        t = spec.type
        fail = f"{indent}    return False"
        if t == "bool":
            lines.extend([f"{indent}if type({var}) is not bool:", fail])
        elif t == "int":
            lines.extend([f"{indent}if type({var}) is not int:", fail])
        elif t in ("decimal", "hours"):
            lines.extend([f"{indent}if type({var}) is not int and not (type({var}) is Decimal "
                          f"and {var}.is_finite()):", fail])
        elif t == "money":
            lines.extend([f"{indent}if type({var}) is not Money or {var}.currency != CUR:", fail])
        elif t == "date":
            lines.extend([f"{indent}if type({var}) is not date or not LO <= {var} <= HI:", fail])
        elif t == "text":
            lines.extend([f"{indent}if type({var}) is not str:", fail])
        elif t == "duration":
            lines.extend([f"{indent}if type({var}) is not Duration:", fail])
        elif t == "period":
            lines.extend([f"{indent}if type({var}) is not Period:", fail])
        elif t == "enum":
            name = fresh("E")
            namespace[name] = frozenset(spec.values or ())
            lines.extend([f"{indent}if {var} not in {name}:", fail])
        elif t == "record":
            record_test(var, spec, indent)
        else:
            item = fresh("r")
            lines.extend([f"{indent}if type({var}) is not list:", fail,
                          f"{indent}for {item} in {var}:"])
            record_test(item, spec, indent + "    ")

    def record_test(var: str, spec: FactSpec, indent: str) -> None:
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
            value_test(var2, field_spec, indent)

    for key, spec in specs.items():
        var = fresh("v")
        lines.append(f"{base}{var} = f[{key!r}]")
        value_test(var, spec, base)
    lines += ["    except (KeyError, TypeError):", "        return False", "    return True"]
    exec(compile("\n".join(lines), "<fact check>", "exec"), namespace)  # generated, no author text
    check: Callable[[Any], bool] = namespace["check"]
    return check
