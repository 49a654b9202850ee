"""The compiled policy: load once, decide many times."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from udbudsregler.diagnostics import (
    EvaluationError,
    PolicyError,
)
from udbudsregler.loader import Limits
from udbudsregler.runtime.decision import Decision, Reason
from udbudsregler.runtime.program import Program
from udbudsregler.runtime.reasons import reasons_for
from udbudsregler.runtime.routing import (
    Order,
    SupplierState,
    choose_area,
    choose_package,
    choose_supplier,
    parse_order,
    parse_supplier_state,
)
from udbudsregler.runtime.settlement import Referral, Settlement, settle
from udbudsregler.runtime.trace import Tracer
from udbudsregler.stages import run_stages

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


class Policy(Program):
    """A checked and compiled policy: load once, decide many times. Thread-safe: a decision
    keeps its state to itself."""

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
        exclusive = domain.routing if domain.routing and domain.routing.spec.exclusive else None
        routing = choose_area(
            dict(zip(self.areas, fits, strict=True)), self.priority, exclusive=bool(exclusive),
            at=self.document.span((*exclusive.path, "exclusive")) if exclusive else None)
        area = domain.areas.get(routing.area) if routing.area is not None else None
        if state is not None:
            self.check_supplier_state(state)
        if parsed_order is not None and parsed_order.supplier is not None:
            self.check_chosen_supplier(parsed_order.supplier)
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

    def reasons_for(self, decision: Decision) -> tuple[Reason, ...]:
        """The reasons of a decision (as ``decision.reasons``)."""
        return reasons_for(self, decision)
