"""One policy's inputs: their pydantic models, their JSON Schemas, and validating all the
inputs of a call together.

``Policy.decide`` and ``Policy.settle`` validate every input of the call (facts, the
date, order and supplier state; or referral and outcomes) and raise one
:class:`FactError` listing every problem of every input, sorted by path, so that bad
facts never hide a bad order. Facts already in canonical Python form skip all this on
``decide``'s fast path.

The JSON Schemas (draft 2020-12) come from the same pydantic models that validate: types,
enums of the policy's ids with its own titles, ranges and limits, descriptions in the
policy's language. See ``docs/host-inputs.md``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, Literal, Protocol, get_args

from pydantic import BaseModel
from pydantic_core import PydanticCustomError

from udbudsregler.diagnostics import EvaluationError, FactError, FactProblem
from udbudsregler.ir.graph import RuleGraph
from udbudsregler.runtime.facts import FactSchema
from udbudsregler.runtime.input_models import (
    InputModels,
    PolicyVocabulary,
    build_models,
    validate,
)
from udbudsregler.runtime.routing import Order, SupplierState
from udbudsregler.runtime.settlement_records import Outcome, Referral
from udbudsregler.values.convert import as_date
from udbudsregler.values.temporal import Period

__all__ = ["SCHEMA_KINDS", "InputSchemas", "SchemaKind", "as_call_date", "schemas_for"]

#: The inputs a host sends, each with a JSON Schema.
SchemaKind = Literal["facts", "order", "suppliers", "referral", "outcomes"]
SCHEMA_KINDS: tuple[SchemaKind, ...] = get_args(SchemaKind)

_DRAFT = "https://json-schema.org/draft/2020-12/schema"

_FACTS_TITLE = {"da": "Oplysninger om borgeren", "en": "The citizen's facts",
                "sv": "Uppgifter om den arbetssökande"}

_EXPECTED = {"id": "text or a whole number", "start": "a date (YYYY-MM-DD)",
             "package": "a course package of the policy", "kind": "an outcome of the policy",
             "from": "a date (YYYY-MM-DD)", "to": "a date (YYYY-MM-DD), or null"}


class _HasPolicy(Protocol):
    """What :func:`schemas_for` needs of a compiled policy."""

    graph: RuleGraph
    facts: FactSchema


class InputSchemas:
    """The input models and JSON Schemas of one policy."""

    def __init__(self, graph: RuleGraph) -> None:
        header = graph.header
        domain = graph
        suppliers: dict[str, str] = {}
        for area in domain.areas.values():
            for supplier in area.spec.suppliers:
                suppliers.setdefault(supplier.id, supplier.name)
        self.language = header.language
        self.policy_id = header.id
        self.vocabulary = PolicyVocabulary(
            language=header.language, title=header.id,
            packages={k: e.spec.title for k, e in domain.packages.items()},
            suppliers=suppliers,
            areas={k: e.spec.title for k, e in domain.areas.items()},
            outcomes={k: e.spec.title for k, e in domain.outcomes.items()},
            package_areas={k: tuple(e.spec.areas) for k, e in domain.packages.items()},
            area_suppliers={k: tuple(s.id for s in e.spec.suppliers)
                            for k, e in domain.areas.items()})
        self.models: InputModels = build_models(self.vocabulary)
        title = f"{_FACTS_TITLE.get(header.language, _FACTS_TITLE['en'])} ({header.id})"
        #: The facts model with titles and descriptions (it accepts what the policy's own
        #: fact check accepts).
        self.facts = FactSchema({n: d.spec for n, d in graph.facts.items()},
                                header.currency, language=header.language, title=title,
                                bounds=graph.fact_bounds)

    # -- models and JSON Schemas ----------------------------------------------------

    def model(self, kind: SchemaKind) -> type[BaseModel]:
        """The pydantic model of an input."""
        models = {"facts": self.facts.model, "order": self.models.order,
                  "suppliers": self.models.suppliers, "referral": self.models.referral,
                  "outcomes": self.models.outcomes}
        if kind not in models:
            raise ValueError(f"no input {kind!r}; the inputs are {', '.join(SCHEMA_KINDS)}")
        return models[kind]

    def json_schema(self, kind: SchemaKind) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of an input."""
        schema = self.model(kind).model_json_schema(by_alias=True)
        return {"$schema": _DRAFT, **schema}

    # -- validating ----------------------------------------------------------------------

    def order(self, value: Order | Mapping[str, Any] | None
              ) -> tuple[Order | None, list[FactProblem]]:
        if value is None:
            return None, []
        if isinstance(value, Order):
            value = {"package": value.package, "weekly_hours": value.weekly_hours,
                     "supplier": value.supplier}
        data, problems = validate(self.models.order, value, "order")
        if data is None:
            return None, problems
        return Order(data["package"], data["weekly_hours"], data["supplier"]), []

    def suppliers(self, value: SupplierState | Mapping[str, Any] | None
                  ) -> tuple[SupplierState | None, list[FactProblem]]:
        if value is None:
            return None, []
        if isinstance(value, SupplierState):
            sequence = value.sequence
            value = {"load": dict(value.load), "capacity": dict(value.capacity),
                     "sequence": dict(sequence) if isinstance(sequence, Mapping) else sequence}
        data, problems = validate(self.models.suppliers, value, "suppliers")
        if data is None:
            return None, problems
        return supplier_state(data), []

    def referral(self, value: Referral | Mapping[str, Any]
                 ) -> tuple[Referral | None, list[FactProblem]]:
        if isinstance(value, Referral):
            value = {"id": value.id, "start": value.start, "package": value.package,
                     "area": value.area, "supplier": value.supplier, "stop": value.stop,
                     "facts": value.facts, "previous": list(value.previous),
                     "supplier_changes": [{"supplier": s, "from": d}
                                          for d, s in value.changes]}
        data, problems = validate(self.models.referral, value, "referral", _EXPECTED)
        if data is None:
            return None, problems
        facts = None
        if data["facts"] is not None:
            facts, fact_problems = self.facts.check(data["facts"])
            if fact_problems:
                return None, [replace(p, path=f"referral.facts.{p.path}" if p.path
                                      else "referral.facts") for p in fact_problems]
        return Referral(data["id"], data["start"], data["package"], data["supplier"],
                        data["area"], data["stop"], facts, tuple(data["previous"] or ()),
                        tuple(data["supplier_changes"] or ())), []

    def outcomes(self, value: Sequence[Outcome | Mapping[str, Any]] | None
                 ) -> tuple[list[Outcome], list[FactProblem]]:
        if value is None:
            return [], []
        if isinstance(value, (list, tuple)):
            value = [{"kind": o.kind, "from": o.period.start, "to": o.period.end}
                     if isinstance(o, Outcome) else o for o in value]
        data, problems = validate(self.models.outcomes, value, "outcomes", _EXPECTED)
        if data is None:
            return [], problems
        return [Outcome(o["kind"], Period(o["from"], o["to"])) for o in data], []


def supplier_state(data: Mapping[str, Any]) -> SupplierState:
    return SupplierState(dict(data["load"] or {}), dict(data["capacity"] or {}),
                         data["sequence"])


# -- the inputs of a call --------------------------------------------------------------


def as_call_date(value: Any, path: str) -> tuple[date | None, list[FactProblem]]:
    """The date of a call (``on``, ``until``, ``since``): a ``datetime.date`` or strict
    ``YYYY-MM-DD`` text; a datetime is not a date."""
    if type(value) is date:
        return value, []
    try:
        return as_date(value), []
    except PydanticCustomError as error:
        return None, [FactProblem("UDB" + error.type[3:6], path, error.message())]


def decision_inputs(policy: _HasPolicy, facts: Any, on: Any, order: Any, suppliers: Any,
                    check_date: Callable[[date], None] | None
                    ) -> tuple[dict[str, Any], date, Order | None, SupplierState | None]:
    """Every input of ``decide`` validated together: one FactError with every problem,
    else, when ``check_date`` is given, the date checked against the policy's validity
    (an EvaluationError), else the inputs in canonical form."""
    schemas = schemas_for(policy)
    day, problems = as_call_date(on, "on")
    canonical, more = policy.facts.check(facts)
    problems += more
    parsed_order, more = schemas.order(order)
    problems += more
    state, more = schemas.suppliers(suppliers)
    problems += more
    if problems:
        raise FactError(problems)
    assert day is not None and canonical is not None
    if check_date is not None:
        check_date(day)
    return canonical, day, parsed_order, state


def settlement_inputs(policy: _HasPolicy, referral: Any, outcomes: Any, until: Any,
                      since: Any) -> tuple[Referral, list[Outcome], date, date | None]:
    """Every input of ``settle`` validated together (one FactError with every problem)."""
    schemas = schemas_for(policy)
    parsed, problems = schemas.referral(referral)
    events, more = schemas.outcomes(outcomes)
    problems += more
    last, more = as_call_date(until, "until")
    problems += more
    first: date | None = None
    if since is not None:
        first, more = as_call_date(since, "since")
        problems += more
    if problems:
        raise FactError(problems)
    assert parsed is not None and last is not None
    return parsed, events, last, first


def check_validity(policy: _HasPolicy, referral: Referral) -> None:
    """A referral must start inside the policy's validity."""
    valid = policy.graph.header.valid
    if not valid.covers(referral.start):
        raise EvaluationError(
            "UDB703", f"the referral starts on {referral.start.isoformat()}, outside the "
            f"policy's validity ({valid.text()})", path="referral.start")


_CACHE: weakref.WeakKeyDictionary[Any, InputSchemas] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def schemas_for(policy: _HasPolicy) -> InputSchemas:
    """The input schemas of a compiled policy, built on first use and kept with it."""
    found = _CACHE.get(policy)
    if found is None:
        with _LOCK:
            found = _CACHE.get(policy)
            if found is None:
                found = _CACHE[policy] = InputSchemas(policy.graph)
    return found
