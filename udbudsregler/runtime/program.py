"""The compiled policy as the run-time stages see it: what it says and how to evaluate it.

A :class:`Program` holds the lowered rule graph and its generated code, and
answers what the run-time modules (decisions, reasons, explanations,
settlement) need to know: the value of a node for a citizen on a date (by the
generated code, with the interpreter's answer when that fails), the value of a
tender expression on a date, the title and place of a definition, the dates a
price may change. The host API, :class:`udbudsregler.Policy`, is a Program
that can also decide and settle.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from udbudsregler.codegen.generate import GeneratedCode
from udbudsregler.diagnostics import (
    Diagnostic,
    EvaluationError,
    FactError,
    FactProblem,
    Span,
    did_you_mean,
)
from udbudsregler.ir.graph import Area, RuleGraph
from udbudsregler.loader import LoadedSource
from udbudsregler.loader.documents import PolicyHeader
from udbudsregler.loader.tender import SupplierSpec
from udbudsregler.runtime.facts import FactSchema
from udbudsregler.runtime.interpreter import DEFAULT_STEPS, Interpreter
from udbudsregler.runtime.routing import SupplierState
from udbudsregler.runtime.trace import Tracer
from udbudsregler.semantics.types import Type
from udbudsregler.values.money import Rounding
from udbudsregler.values.temporal import MonthEnd

__all__ = ["Program"]


class Program:
    """A checked and compiled policy, read-only and thread-safe."""

    def __init__(self, graph: RuleGraph, code: GeneratedCode, source: LoadedSource,
                 warnings: tuple[Diagnostic, ...] = (), steps: int = DEFAULT_STEPS,
                 checked: RuleGraph | None = None) -> None:
        assert graph.lowered, "a Program runs a lowered rule graph"
        #: The lowered rule graph: what the policy computes, operation by operation.
        self.graph = graph
        #: The same graph before ``lower``: what the author wrote, typed and resolved (the
        #: literals as written, operators as written); for tools that read the policy.
        self.checked = checked if checked is not None else graph
        self.code = code
        self.source = source
        self.warnings = warnings
        self.steps = steps
        header = graph.header
        self.header: PolicyHeader = header
        self.id = header.id
        self.title = header.title
        self.language = header.language
        self.currency = header.currency
        self.month_end: MonthEnd = header.month_end or "clamp"
        self.rounding = (Rounding(header.rounding.unit, header.rounding.mode)
                         if header.rounding is not None else None)
        self.content_hash = "sha256:" + source.content_hash()
        self.facts = FactSchema({n: d.spec for n, d in graph.facts.items()}, header.currency,
                                bounds=graph.fact_bounds)
        self._evaluate = code.evaluate
        #: ``decide(facts, on) -> (outputs, memo) | None``: the fact check and the rule code
        #: in one generated function (None: the facts are not canonical).
        self._decide = code.decide if code.decide is not None else self._check_and_evaluate
        #: The last decision date found inside the validity (the same date object need not
        #: be checked again); at first the validity's start (not None: ``decide(facts,
        #: None)`` would take the fast path).
        self._on: date = header.valid.from_
        #: What the reasons of every decision share (runtime/reasons.py; on first use).
        self._reasons_plan: Any = None
        #: ... and their explanations, by language (runtime/explain.py).
        self._explain_plans: Any = None
        self._locations: dict[tuple[str | int, ...], str | None] = {}
        self._outputs = code.outputs
        self._functions = code.functions
        self._leaves = code.leaves
        self.groups: tuple[str, ...] = tuple(graph.target_groups)
        self.areas: tuple[str, ...] = tuple(graph.areas)
        self.packages: tuple[str, ...] = tuple(graph.packages)
        self.outcome_kinds: tuple[str, ...] = tuple(graph.outcomes)
        self.priority: list[str] = (list(graph.routing.priority) if graph.routing is not None
                                    else list(graph.areas))
        routing = graph.routing
        #: `routing: exclusive: true`: a citizen who fits two areas is an error (UDB707).
        self.exclusive = routing is not None and routing.exclusive
        self._exclusive_at: Span | None = (
            self.source.positions.span((*routing.path, "exclusive"))
            if self.exclusive and routing is not None and routing.path is not None else None)
        self._spans: dict[tuple[str, date], tuple[Any, Any] | None] = {}
        #: What each node's value depends on, found once per node (settlement asks for
        #: every referral): whether it reads ``today``, the dates it may change on.
        self._reads_today: dict[str, bool] = {}
        self._change_dates: dict[str, list[date]] = {}
        self._model_facts: dict[str, tuple[str, ...]] = {}
        self._fast = self.facts.fast
        valid = header.valid
        self._lo: date = valid.from_
        self._hi: date = valid.to if valid.to is not None else date.max
        #: The parts of a decision (and its area) by its outputs, when they depend on the
        #: outputs alone (no order, supplier state, or selection that reads facts).
        self._plain: dict[tuple[bool, ...], tuple[tuple[Any, ...], str | None]] = {}
        self._suppliers = {s.id: s for a in graph.areas.values() for s in a.suppliers}

    def __repr__(self) -> str:
        return f"Policy({self.id!r}, {self.content_hash[:19]}...)"

    def check_date(self, on: date) -> None:
        if type(on) is not date:
            raise TypeError(f"the decision date must be a datetime.date, not {type(on).__name__}")
        valid = self.header.valid
        if not valid.covers(on):
            raise EvaluationError(
                "UDB703", f"{on.isoformat()} is outside the policy's validity ({valid.text()})")

    # -- evaluation ------------------------------------------------------

    def interpreter(self, facts: dict[str, Any], on: date,
                    tracer: Tracer | None = None) -> Interpreter:
        return Interpreter(self.graph, facts, on, self.month_end, tracer, self.steps)

    def node_value(self, name: str, facts: dict[str, Any], on: date,
                   memo: list[Any] | None = None) -> Any:
        """The value of a named node for canonical ``facts`` on ``on``: by the generated
        code, sharing ``memo`` if given; where it fails, the interpreter's answer (which
        raises, with the failing expression's place, if there is none)."""
        try:
            return self._functions[name](facts, memo if memo is not None
                                         else self.code.memo(on))
        except (EvaluationError, ArithmeticError, ValueError, KeyError):
            # a KeyError: a name only its place gives (`$result`), which the
            # interpreter reports with that place (UDB708)
            return self.interpreter(facts, on).value(name)

    def tender_value(self, name: str, on: date) -> Any:
        """The value of a tender node (a price, a span, a duration) on a date: dated
        parameters take the value in force on that date."""
        return self.node_value(name, {}, on)

    def change_dates(self, name: str) -> list[date]:
        """The dates on which a node's value may change: the ``from`` dates of the dated
        parameters it depends on (ascending; do not change the list)."""
        found = self._change_dates.get(name)
        if found is None:
            found = self._change_dates[name] = self._find_change_dates(name)
        return found

    def _find_change_dates(self, name: str) -> list[date]:
        dates: set[date] = set()
        for dep in self.graph.closure([name]):
            node = self.graph.nodes.get(dep)
            if node is not None and node.kind == "parameter":
                dates.update(v.start for v in node.values if v.start is not None)
        return sorted(dates)

    def price_model_facts(self, model: str) -> tuple[str, ...]:
        """The facts a price model's amounts and conditions read (``PriceModel.reads_facts``,
        found once per model)."""
        found = self._model_facts.get(model)
        if found is None:
            found = self._model_facts[model] = \
                self.graph.price_models[model].reads_facts(self.graph)
        return found

    def reads_today(self, name: str) -> bool:
        """Whether a node's value depends on the date it is read on through ``today``
        (``age(birth_date)`` reads it), so that it may change on any day."""
        found = self._reads_today.get(name)
        if found is None:
            found = self._reads_today[name] = self._find_reads_today(name)
        return found

    def _find_reads_today(self, name: str) -> bool:
        nodes = self.graph.nodes
        return any(dep in nodes and nodes[dep].reads_today
                   for dep in self.graph.closure([name]))

    def outputs(self, facts: dict[str, Any], on: date) -> tuple[bool, ...]:
        """The outputs of a decision (each target group, then whether each area fits)."""
        try:
            return self._evaluate(facts, on)
        except (EvaluationError, ArithmeticError, ValueError):
            return self.interpreted(facts, on)

    def _check_and_evaluate(self, facts: Any,
                            on: date) -> tuple[tuple[bool, ...], list[Any]] | None:
        if type(facts) is dict and self._fast(facts):
            return self._evaluate(facts, on), self.code.memo(on)
        return None

    def interpreted(self, facts: dict[str, Any], on: date) -> tuple[bool, ...]:
        """The outputs by the reference interpreter, when the generated code failed.

        The interpreter defines the meaning: it raises (with the failing expression's
        place) when the decision cannot be made; the generated code may also fail where
        the interpreter does not (it computes some values ahead, outside the short-circuit
        that would have skipped them), and then the interpreter's answer stands.
        """
        interpreter = self.interpreter(facts, on)
        return tuple(bool(interpreter.value(name)) for name in self._outputs)

    def span_of(self, package: str, on: date) -> tuple[Any, Any] | None:
        """The (min, max) weekly hours of a package on a date, or None if it has no span."""
        key = (package, on)
        if key not in self._spans:
            span = self.graph.packages[package].span
            self._spans[key] = (None if span is None else
                                (self.tender_value(span[0], on), self.tender_value(span[1], on)))
        return self._spans[key]

    # -- what the host gives -----------------------------------------------

    def check_chosen_supplier(self, supplier: str) -> None:
        """A citizen may choose a supplier of another area (the choice is then refused,
        with the reason); a name that is no supplier at all is a mistake of the host."""
        if supplier not in self._suppliers:
            hint = did_you_mean(supplier, list(self._suppliers))
            raise FactError([FactProblem(
                "UDB605", "order.supplier", f"`{supplier}` is not a supplier of the policy"
                + (f"; {hint}" if hint else ""))])

    def check_supplier_state(self, state: SupplierState) -> None:
        for key in ("load", "capacity"):
            for supplier in getattr(state, key):
                if supplier not in self._suppliers:
                    raise FactError([FactProblem(
                        "UDB605", f"suppliers.{key}.{supplier}",
                        f"`{supplier}` is not a supplier of the policy")])
        if isinstance(state.sequence, Mapping):
            for area in state.sequence:
                if area not in self.graph.areas:
                    raise FactError([FactProblem(
                        "UDB605", f"suppliers.sequence.{area}",
                        f"`{area}` is not a service area of the policy")])

    # -- what names mean -------------------------------------------------

    def overrides_for(self, name: str, kind: str,
                      path: tuple[str | int, ...]) -> tuple[tuple[str, str, str, str], ...]:
        """The base-policy definitions that ``name`` depends on and this policy replaced."""
        return self.graph.overrides_for(name, kind, path)

    def location(self, path: tuple[str | int, ...]) -> str | None:
        """``file:line`` of a part of the policy, relative to the policy's folder (stable
        across machines, so it can be part of a reproducible decision)."""
        if path in self._locations:
            return self._locations[path]
        found = self._locations[path] = self._location(path)
        return found

    def _location(self, path: tuple[str | int, ...]) -> str | None:
        import os
        from pathlib import Path

        info = self.source.positions.nearest(path)
        if info is None:
            return None
        span = info.key_span or info.span
        for file in self.source.files:
            if file.display == span.file:
                name = Path(os.path.relpath(file.path, self.source.root)).as_posix()
                return f"{name}:{span.line}"
        return f"{Path(span.file).name}:{span.line}"

    def label_of(self, name: str) -> str:
        """The title of a named thing, for explanations (its name if it has none)."""
        graph = self.graph
        if "." in name and name.split(".", 1)[0] in graph.facts:
            spec = self._field_spec(name)
            return spec.title if spec is not None and spec.title else name
        fact = graph.facts.get(name)
        if fact is not None:
            return fact.spec.title or name
        node = graph.nodes.get(name)
        if node is not None and node.title:
            return node.title
        return name

    def _field_spec(self, dotted: str) -> Any:
        """The fact spec of a record field named like `assessment.cognitive_difficulties`."""
        head, *rest = dotted.split(".")
        fact = self.graph.facts.get(head)
        spec = fact.spec if fact is not None else None
        for part in rest:
            if spec is None or spec.fields is None:
                return None
            spec = spec.fields.get(part)
        return spec

    def type_of_name(self, name: str) -> Type | None:
        return self.graph.type_of_name(name)

    def area(self, area: str) -> Area:
        """A service area of the policy."""
        return self.graph.areas[area]

    def area_title(self, area: str) -> str:
        """The title of a service area."""
        return self.graph.areas[area].title

    def suppliers_of(self, area: str) -> tuple[SupplierSpec, ...]:
        """The suppliers of a service area, in the policy's order."""
        return self.graph.areas[area].suppliers

    def supplier_name(self, supplier: str) -> str:
        """The name of a supplier (of any area)."""
        found = self._suppliers.get(supplier)
        if found is None:
            raise KeyError(f"policy {self.id} has no supplier {supplier!r}")
        return found.name

    def package_title(self, package: str) -> str:
        """The title of a course package."""
        return self.graph.packages[package].title

    def fact_schema(self) -> dict[str, Any]:
        """The JSON Schema of the facts this policy needs."""
        return self.facts.json_schema()
