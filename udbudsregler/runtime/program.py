"""The compiled policy as the run-time stages see it: what it says and how to evaluate it.

A :class:`Program` holds the checked policy and its generated code, and answers
what the run-time modules (decisions, reasons, explanations, settlement) need
to know: the value of a tender expression on a date, the title and place of a
definition, the dates a price may change. The host API, :class:`udbudsregler.Policy`,
is a Program that can also decide and settle.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from udbudsregler.checker.check import CheckedPolicy
from udbudsregler.codegen.generate import GeneratedCode
from udbudsregler.diagnostics import Diagnostic, EvaluationError, FactError, FactProblem
from udbudsregler.loader.documents import PolicyHeader
from udbudsregler.loader.validate import PolicyDocument
from udbudsregler.runtime.facts import FactSchema
from udbudsregler.runtime.interpreter import Interpreter
from udbudsregler.runtime.routing import SupplierState
from udbudsregler.runtime.trace import Tracer
from udbudsregler.semantics.types import BOOL, Type
from udbudsregler.values.money import Rounding
from udbudsregler.values.temporal import MonthEnd

__all__ = ["Program"]


class Program:
    """A checked and compiled policy, read-only and thread-safe."""

    def __init__(self, checked: CheckedPolicy, code: GeneratedCode,
                 warnings: tuple[Diagnostic, ...] = ()) -> None:
        self.checked = checked
        self.code = code
        self.warnings = warnings
        document = checked.parsed.doc
        header = document.header
        assert header is not None
        self.document: PolicyDocument = document
        self.header: PolicyHeader = header
        self.id = header.id
        self.title = header.title
        self.language = header.language
        self.month_end: MonthEnd = header.month_end or "clamp"
        self.rounding = (Rounding(header.rounding.unit, header.rounding.mode)
                         if header.rounding is not None else None)
        self.content_hash = "sha256:" + document.source.content_hash()
        self.facts = FactSchema({n: e.spec for n, e in document.facts.items()}, header.currency)
        self._evaluate = code.evaluate
        self._outputs = code.outputs
        domain = document.domain
        self.groups: tuple[str, ...] = tuple(document.target_groups)
        self.areas: tuple[str, ...] = tuple(domain.areas)
        self.priority: list[str] = (list(domain.routing.spec.priority)
                                    if domain.routing is not None and domain.routing.spec.priority
                                    else list(domain.areas))
        self._spans: dict[tuple[str, date], tuple[Any, Any] | None] = {}
        self._fast = self.facts.fast
        valid = header.valid
        self._lo: date = valid.from_
        self._hi: date = valid.to if valid.to is not None else date.max
        self._plain: dict[tuple[bool, ...], tuple[Any, ...]] = {}

    def __repr__(self) -> str:
        return f"Policy({self.id!r}, {self.content_hash[:19]}...)"

    def check_date(self, on: date) -> None:
        if type(on) is not date:
            raise TypeError(f"the decision date must be a datetime.date, not {type(on).__name__}")
        valid = self.header.valid
        if on < valid.from_ or (valid.to is not None and on > valid.to):
            end = valid.to.isoformat() if valid.to is not None else "open"
            raise EvaluationError(
                "UDB703", f"{on.isoformat()} is outside the policy's validity "
                f"({valid.from_.isoformat()} to {end})")

    def domain_value(self, path: tuple[str | int, ...], on: date) -> Any:
        """The value of an expression of a tender section (a price, a span, a duration) on a
        date: dated parameters take the value in force on that date."""
        return self._interpreter({}, on).domain_value(path)

    def change_dates(self, path: tuple[str | int, ...]) -> list[date]:
        """The dates on which a tender expression's value may change: the ``from`` dates of
        the dated parameters it depends on."""
        expr = self.checked.parsed.domain[path].expr
        assert expr.ast is not None
        from udbudsregler.expr.ast import free_names

        names = {n.id for n in free_names(expr.ast)}
        graph = self.checked.graph
        dates: set[date] = set()
        for name in graph.closure(n for n in names if n in graph.nodes):
            for value in self.checked.parsed.parameters.get(name, []):
                if value.start is not None:
                    dates.add(value.start)
        return sorted(dates)

    def check_chosen_supplier(self, supplier: str) -> None:
        """A citizen may choose a supplier of another area (the choice is then refused,
        with the reason); a name that is no supplier at all is a mistake of the host."""
        ids = [s.id for area in self.document.domain.areas.values() for s in area.spec.suppliers]
        if supplier not in ids:
            from udbudsregler.diagnostics import did_you_mean

            hint = did_you_mean(supplier, ids)
            raise FactError([FactProblem(
                "UDB605", "order.supplier", f"`{supplier}` is not a supplier of the policy"
                + (f"; {hint}" if hint else ""))])

    def check_supplier_state(self, state: SupplierState) -> None:
        domain = self.document.domain
        ids = {s.id for area in domain.areas.values() for s in area.spec.suppliers}
        for key in ("load", "capacity"):
            for supplier in getattr(state, key):
                if supplier not in ids:
                    raise FactError([FactProblem(
                        "UDB605", f"suppliers.{key}.{supplier}",
                        f"`{supplier}` is not a supplier of the policy")])
        if isinstance(state.sequence, Mapping):
            for area in state.sequence:
                if area not in domain.areas:
                    raise FactError([FactProblem(
                        "UDB605", f"suppliers.sequence.{area}",
                        f"`{area}` is not a service area of the policy")])

    def span_of(self, package: str, on: date) -> tuple[Any, Any] | None:
        """The (min, max) weekly hours of a package on a date, or None if it has no span."""
        key = (package, on)
        if key not in self._spans:
            entry = self.document.domain.packages[package]
            if entry.spec.weekly_hours is None:
                self._spans[key] = None
            else:
                interpreter = self._interpreter({}, on)
                self._spans[key] = (
                    interpreter.domain_value((*entry.path, "weekly_hours", "min")),
                    interpreter.domain_value((*entry.path, "weekly_hours", "max")))
        return self._spans[key]

    def _interpreter(self, facts: dict[str, Any], on: date,
                     tracer: Tracer | None = None) -> Interpreter:
        return Interpreter(self.checked, facts, on, self.month_end, tracer)

    def overrides_for(self, name: str, kind: str,
                      path: tuple[str | int, ...]) -> tuple[tuple[str, str, str, str], ...]:
        """The base-policy definitions that ``name`` depends on and this policy replaced."""
        overrides = self.document.overrides
        if not overrides:
            return ()
        out: list[tuple[str, str, str, str]] = []
        own = overrides.get(path)
        if own is not None:
            out.append((kind, name.split(".", 1)[-1], own.base, own.at))
        graph = self.checked.graph
        sections = {"fact": "facts", "parameter": "parameters", "rule": "rules"}
        for dep in sorted(graph.closure([name]) - {name}):
            dep_kind = graph.nodes[dep].kind
            section = sections.get(dep_kind)
            found = overrides.get((section, dep)) if section else None
            if found is not None:
                out.append((dep_kind, dep, found.base, found.at))
        return tuple(out)

    def location(self, path: tuple[str | int, ...]) -> str | None:
        """``file:line`` of a definition, relative to the policy's folder (stable across
        machines, so it can be part of a reproducible decision)."""
        info = self.document.positions.nearest(path)
        if info is None:
            return None
        span = info.key_span or info.span
        source = self.document.source
        for file in source.files:
            if file.display == span.file:
                name = Path(os.path.relpath(file.path, source.root)).as_posix()
                return f"{name}:{span.line}"
        return f"{Path(span.file).name}:{span.line}"

    def label_of(self, name: str) -> str:
        """The title of a named thing, for explanations (its name if it has none)."""
        doc = self.document
        if "." in name:
            spec = self._field_spec(name)
            return spec.title if spec is not None and spec.title else name
        for section in (doc.facts, doc.parameters, doc.rules):
            entry = section.get(name)
            if entry is not None and entry.spec.title:
                return str(entry.spec.title)
        site = self.checked.parsed.criteria.get(name)
        if site is not None:
            return site.entry.spec.title
        group = doc.target_groups.get(name)
        if group is not None:
            return group.spec.title
        return name

    def _field_spec(self, dotted: str) -> Any:
        """The fact spec of a record field named like `assessment.cognitive_difficulties`."""
        head, *rest = dotted.split(".")
        entry = self.document.facts.get(head)
        spec = entry.spec if entry is not None else None
        for part in rest:
            if spec is None or spec.fields is None:
                return None
            spec = spec.fields.get(part)
        return spec

    def type_of_name(self, name: str) -> Type | None:
        checked = self.checked
        if "." in name:
            from udbudsregler.checker.check import fact_type

            spec = self._field_spec(name)
            return fact_type(name, spec, self.header.currency) if spec is not None else None
        for table in (checked.fact_types, checked.param_types, checked.rule_types):
            if name in table:
                return table[name]
        if name in checked.parsed.criteria or name in self.document.target_groups:
            return BOOL
        return None

    def area_title(self, area: str) -> str:
        """The title of a service area."""
        return self.document.domain.areas[area].spec.title

    def supplier_name(self, supplier: str) -> str:
        """The name of a supplier (of any area)."""
        for area in self.document.domain.areas.values():
            for entry in area.spec.suppliers:
                if entry.id == supplier:
                    return entry.name
        raise KeyError(f"policy {self.id} has no supplier {supplier!r}")

    def package_title(self, package: str) -> str:
        """The title of a course package."""
        return self.document.domain.packages[package].spec.title

    def fact_schema(self) -> dict[str, Any]:
        """The JSON Schema of the facts this policy needs."""
        return self.facts.json_schema()
