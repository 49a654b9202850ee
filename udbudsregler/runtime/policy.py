"""The compiled policy: load once, decide many times."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from udbudsregler.checker.check import CheckedPolicy
from udbudsregler.checker.types import BOOL, Type
from udbudsregler.compiler.codegen import GeneratedCode
from udbudsregler.compiler.stages import run_stages
from udbudsregler.diagnostics import (
    Diagnostic,
    EvaluationError,
    FactError,
    FactProblem,
    PolicyError,
)
from udbudsregler.domain.routing import (
    Order,
    SupplierState,
    choose_area,
    choose_package,
    choose_supplier,
    parse_order,
    parse_supplier_state,
)
from udbudsregler.domain.settlement import Referral, Settlement, settle
from udbudsregler.loader import Limits
from udbudsregler.loader.documents import PolicyHeader
from udbudsregler.loader.validate import PolicyDocument
from udbudsregler.runtime.decision import Decision, Reason
from udbudsregler.runtime.facts import FactSchema
from udbudsregler.runtime.interpreter import Interpreter
from udbudsregler.runtime.money import Rounding
from udbudsregler.runtime.temporal import MonthEnd
from udbudsregler.runtime.trace import Tracer

__all__ = ["Policy", "load_policy"]


def load_policy(path: str | Path, limits: Limits | None = None) -> Policy:
    """Load, check and compile a policy file or folder.

    Raises :class:`PolicyError` listing every diagnostic if the policy has errors.
    """
    state = run_stages(path, limits=limits)
    if state.bag.has_errors or state.code is None:
        raise PolicyError(state.bag.sorted())
    assert state.checked is not None and state.document is not None
    return Policy(state.checked, state.code, tuple(state.bag.warnings()))


class Policy:
    """A checked and compiled policy. Thread-safe: a decision keeps its state to itself."""

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
                                    if domain.routing is not None else list(domain.areas))
        self._spans: dict[tuple[str, date], tuple[Any, Any] | None] = {}
        self._fast = self.facts.fast
        valid = header.valid
        self._lo: date = valid.from_
        self._hi: date = valid.to if valid.to is not None else date.max
        self._plain: dict[tuple[bool, ...], tuple[Any, ...]] = {}

    def __repr__(self) -> str:
        return f"Policy({self.id!r}, {self.content_hash[:19]}...)"

    # -- deciding --------------------------------------------------------

    def check_date(self, on: date) -> None:
        if type(on) is not date:
            raise TypeError(f"the decision date must be a datetime.date, not {type(on).__name__}")
        valid = self.header.valid
        if on < valid.from_ or (valid.to is not None and on > valid.to):
            end = valid.to.isoformat() if valid.to is not None else "open"
            raise EvaluationError(
                "UDB703", f"{on.isoformat()} is outside the policy's validity "
                f"({valid.from_.isoformat()} to {end})")

    def decide(self, facts: Mapping[str, Any], on: date, *,
               order: Order | Mapping[str, Any] | None = None,
               suppliers: SupplierState | Mapping[str, Any] | None = None,
               tracer: Tracer | None = None, ignore_validity: bool = False) -> Decision:
        """The decision for a citizen's facts on a date.

        ``order`` is what the caseworker orders (package, weekly hours, the citizen's own
        choice of supplier); ``suppliers`` is the host's current supplier state (load,
        capacity, the referral's sequence number for rotation). Both are optional.

        Raises :class:`FactError` if the facts (or the order, or the supplier state) do
        not fit, and :class:`EvaluationError` if the date is outside the policy's validity
        (unless ``ignore_validity``: for comparing two rounds on the same date).
        """
        if type(on) is not date or not (ignore_validity or self._lo <= on <= self._hi):
            if ignore_validity:
                raise TypeError("the decision date must be a datetime.date")
            self.check_date(on)
        canonical = facts if type(facts) is dict and self._fast(facts) else \
            self.facts.validate(facts)
        if tracer is not None and tracer.enabled:
            interpreter = self._interpreter(canonical, on, tracer)
            values = tuple(bool(interpreter.value(name)) for name in self._outputs)
        else:
            try:
                values = self._evaluate(canonical, on)
            except (EvaluationError, ArithmeticError, ValueError):
                values = self._interpreted(canonical, on)
        if order is None and suppliers is None:
            # Without an order or a supplier state, the groups and the routing depend on
            # the outputs alone; their (immutable) parts are computed once per outputs.
            parts = self._plain.get(values)
            if parts is None:
                parts = self._plain[values] = self._parts(values, on, None, None)
            return Decision(self, canonical, on, parts)
        return Decision(self, canonical, on, self._parts(values, on, order, suppliers))

    def _parts(self, values: tuple[bool, ...], on: date, order: Any,
               suppliers: Any) -> tuple[Any, ...]:
        """(target groups, routing, order, supplier choice, package choice) from the
        outputs of the generated code."""
        n = len(self.groups)
        groups = tuple(g for g, inside in zip(self.groups, values, strict=False) if inside)
        if not self.areas:
            return (groups,)
        return (groups, *self._route(values[n:], on, order, suppliers))

    def _route(self, fits: tuple[bool, ...], on: date, order: Any,
               suppliers: Any) -> tuple[Any, ...]:
        parsed_order = parse_order(order)
        state = parse_supplier_state(suppliers)
        domain = self.document.domain
        routing = choose_area(dict(zip(self.areas, fits, strict=True)), self.priority)
        area = domain.areas.get(routing.area) if routing.area is not None else None
        if state is not None:
            self._check_supplier_state(state)
        if parsed_order is not None and parsed_order.supplier is not None:
            self._check_chosen_supplier(parsed_order.supplier)
        supplier = choose_supplier(area, parsed_order, state)
        package = choose_package(routing.area, parsed_order, domain.packages,
                                 lambda name: self.span_of(name, on))
        return (routing, parsed_order, supplier, package)

    def settle(self, referral: Referral | Mapping[str, Any], outcomes: Any = None, *,
               until: date, since: date | None = None,
               ignore_validity: bool = False) -> Settlement:
        """What the supplier is paid for a referral up to ``until`` (inclusive): weekly lines
        per price period, bonuses with the outcome that earned them or why not (yet), the
        referral's end with its cause, and the total. Only what falls in ``[since, until]``
        is invoiced (``since`` defaults to the referral's start). A referral must start
        inside the policy's validity, unless ``ignore_validity`` (for comparing rounds).
        """
        if type(until) is not date:
            raise TypeError("`until` must be a datetime.date")
        return settle(self, referral, outcomes, until, since, ignore_validity)

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

    def _check_chosen_supplier(self, supplier: str) -> None:
        """A citizen may choose a supplier of another area (the choice is then refused,
        with the reason); a name that is no supplier at all is a mistake of the host."""
        ids = [s.id for area in self.document.domain.areas.values() for s in area.spec.suppliers]
        if supplier not in ids:
            from udbudsregler.diagnostics import did_you_mean

            hint = did_you_mean(supplier, ids)
            raise FactError([FactProblem(
                "UDB605", "order.supplier", f"`{supplier}` is not a supplier of the policy"
                + (f"; {hint}" if hint else ""))])

    def _check_supplier_state(self, state: SupplierState) -> None:
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

    def _interpreted(self, facts: dict[str, Any], on: date) -> tuple[bool, ...]:
        """The outputs by the reference interpreter, when the generated code failed.

        The interpreter defines the meaning: it raises (with the failing expression's
        place) when the decision cannot be made; the generated code may also fail where
        the interpreter does not (it computes some values ahead, outside the short-circuit
        that would have skipped them), and then the interpreter's answer stands.
        """
        interpreter = self._interpreter(facts, on)
        return tuple(bool(interpreter.value(name)) for name in self._outputs)

    def evaluate(self, name: str, facts: Mapping[str, Any], on: date) -> Any:
        """The value of one named rule, parameter, criterion or target group."""
        self.check_date(on)
        if name not in self.checked.graph.nodes:
            raise KeyError(f"policy {self.id} has no rule, parameter, criterion or target "
                           f"group named {name!r}")
        return self._interpreter(self.facts.validate(facts), on).value(name)

    # -- reasons ---------------------------------------------------------

    def reasons_for(self, decision: Decision) -> tuple[Reason, ...]:
        interpreter = self._interpreter(decision.facts, decision.on)
        reasons: list[Reason] = []
        doc = self.document
        for group_id, group in doc.target_groups.items():
            inside = bool(interpreter.value(group_id))
            if inside != (group_id in decision.target_groups):
                raise EvaluationError(
                    "UDB704", f"target group `{group_id}`: the compiled policy and the reference "
                    "evaluation disagree")
            for ident, site in self.checked.parsed.criteria.items():
                if site.group != group_id:
                    continue
                spec = site.entry.spec
                failure = interpreter.failures.get(ident)
                if failure is not None:
                    reasons.append(Reason(
                        "criterion", ident, spec.title, None, spec.legal_basis, spec.source,
                        spec.reading, (("error", failure.message),), group_id,
                        self.location(site.entry.path),
                        self.overrides_for(ident, "criterion", site.entry.path)))
                    continue
                reads = interpreter.reads.get(ident, {})
                shown = spec.show or [n for n in reads if n != "today"]
                values = tuple((n, reads[n] if n in reads else interpreter.value(n))
                               for n in shown)
                reasons.append(Reason(
                    "criterion", ident, spec.title, bool(interpreter.value(ident)),
                    spec.legal_basis, spec.source, spec.reading, values, group_id,
                    self.location(site.entry.path),
                    self.overrides_for(ident, "criterion", site.entry.path)))
            reasons.append(Reason(
                "target_group", group_id, group.spec.title, inside, group.spec.legal_basis,
                group.spec.source, None, (), None, self.location(group.path)))
        from udbudsregler.domain.reasons import routing_reasons

        reasons += routing_reasons(self, decision, interpreter)
        return tuple(reasons)

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

    # -- what names mean -------------------------------------------------

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
