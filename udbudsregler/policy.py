"""The compiled policy: load once, decide many times."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from udbudsregler.cache import PolicyCache, fingerprint
from udbudsregler.codegen.generate import generate
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
from udbudsregler.runtime.schemas import (
    SCHEMA_KINDS,
    SchemaKind,
    decision_inputs,
    schemas_for,
    settlement_inputs,
)
from udbudsregler.runtime.settlement import Referral, Settlement, settle
from udbudsregler.runtime.settlement_records import Outcome
from udbudsregler.runtime.trace import Tracer
from udbudsregler.stages import run_stages
from udbudsregler.version import __version__

if TYPE_CHECKING:
    from udbudsregler.columnar.settle import TableSettlements
    from udbudsregler.columnar.table import TableDecisions

__all__ = ["Policy", "load_policy"]


#: Compiled policies by their files' content (see :mod:`udbudsregler.cache`).
CACHE = PolicyCache(__version__)


def load_policy(path: str | Path, limits: Limits | None = None, *,
                cache: bool = True) -> Policy:
    """Load, check and compile a policy file or folder.

    A policy loaded before, whose files have not changed since, comes from the cache (in
    memory, and on disk under the user's cache folder; see :mod:`udbudsregler.cache`);
    ``cache=False`` always compiles. Raises :class:`PolicyError` listing every diagnostic
    if the policy has errors.
    """
    limits = limits or Limits()
    key = CACHE.key(path, limits) if cache else ""
    if cache:
        found = CACHE.get(key, _restore)
        if found is not None:
            return found
    state = run_stages(path, limits=limits)
    if state.bag.has_errors or state.code is None:
        raise PolicyError(state.bag.sorted())
    assert state.lowered is not None and state.source is not None
    policy = Policy(state.lowered, state.code, state.source, tuple(state.bag.warnings()),
                    state.limits.evaluation_steps, state.checked)
    if cache:
        CACHE.put(key, fingerprint(state.source), policy, policy.stored())
    return policy


def _restore(stored: tuple[Any, ...]) -> Policy:
    """A policy from what :meth:`Policy.stored` gave: its code is generated again."""
    graph, checked, source, warnings, steps = stored
    code = generate(graph, graph.header.month_end or "clamp", steps)
    return Policy(graph, code, source, warnings, steps, checked)


class Policy(Program):
    """A checked and compiled policy: load once, decide many times. Thread-safe: a decision
    keeps its state to itself. Picklable: a copy in another process generates its code
    again from the rule graph."""

    def stored(self) -> tuple[Any, ...]:
        """What restores this policy (no code: the code is generated from the graph)."""
        return (self.graph, self.checked, self.source, self.warnings, self.steps)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self.stored(),))

    def decide(self, facts: Mapping[str, Any], on: date | str, *,
               order: Order | Mapping[str, Any] | None = None,
               suppliers: SupplierState | Mapping[str, Any] | None = None,
               tracer: Tracer | None = None, ignore_validity: bool = False) -> Decision:
        """The decision for a citizen's facts on a date.

        ``order`` is what the caseworker orders (package, weekly hours, the citizen's own
        choice of supplier); ``suppliers`` is the host's current supplier state (load,
        capacity, the referral's sequence number for rotation). Both are optional.

        ``on`` is a ``datetime.date`` or ``YYYY-MM-DD`` text.

        Raises :class:`FactError` listing every problem of the facts, the date, the order
        and the supplier state together, and :class:`EvaluationError` if the date is
        outside the policy's validity (unless ``ignore_validity``: for comparing two
        rounds on the same date).
        """
        if (type(on) is date and (ignore_validity or self._lo <= on <= self._hi)
                and order is None and suppliers is None and type(facts) is dict
                and self._fast(facts)):
            canonical = facts
        else:  # every input checked together: one FactError lists every problem
            canonical, on, order, suppliers = decision_inputs(
                self, facts, on, order, suppliers, None if ignore_validity else self.check_date)
        if tracer is not None and tracer.enabled:
            interpreter = self.interpreter(canonical, on, tracer)
            values = tuple(bool(interpreter.value(name)) for name in self._outputs)
        else:
            try:
                values = self._evaluate(canonical, on)
            except (EvaluationError, ArithmeticError, ValueError):
                values = self.interpreted(canonical, on)
        if order is None and suppliers is None and not self._selection_reads_facts:
            # Without an order or a supplier state, the groups and the routing depend on
            # the outputs alone; their (immutable) parts are computed once per outputs.
            parts = self._plain.get(values)
            if parts is None:
                parts = self._plain[values] = self._parts(values, on, None, None, canonical)
            return Decision(self, canonical, on, parts)
        return Decision(self, canonical, on,
                        self._parts(values, on, order, suppliers, canonical))

    @functools.cached_property
    def _selection_reads_facts(self) -> bool:
        return any(a.distance is not None or a.only is not None
                   for a in self.graph.areas.values())

    def _parts(self, values: tuple[bool, ...], on: date, order: Any,
               suppliers: Any, facts: dict[str, Any]) -> tuple[Any, ...]:
        """(target groups, routing, order, supplier choice, package choice, supplier state)
        from the outputs of the generated code."""
        n = len(self.groups)
        groups = tuple(g for g, inside in zip(self.groups, values, strict=False) if inside)
        if not self.areas:
            return (groups,)
        return (groups, *self._route(values[n:], on, order, suppliers, facts))

    def _selection(self, area: Any, facts: dict[str, Any], on: date
                   ) -> tuple[Callable[[str], Any] | None, Callable[[str], bool] | None]:
        """The distance of each supplier and whether it may be chosen, for an area whose
        selection reads the citizen's facts (``nearest``, ``only``)."""
        if area is None or (area.distance is None and area.only is None):
            return None, None
        records = {s.id: {"id": s.id, **(s.attributes or {})} for s in area.suppliers}

        def value(node: str, supplier: str) -> Any:
            return self.node_value(node, {**facts, "$supplier": records[supplier]}, on)

        distance = (lambda s: value(area.distance, s)) if area.distance is not None else None
        allowed = (lambda s: bool(value(area.only, s))) if area.only is not None else None
        return distance, allowed

    def _route(self, fits: tuple[bool, ...], on: date, order: Any,
               suppliers: Any, facts: dict[str, Any]) -> tuple[Any, ...]:
        parsed_order = parse_order(order)
        state = parse_supplier_state(suppliers)
        graph = self.graph
        routing = choose_area(dict(zip(self.areas, fits, strict=True)), self.priority,
                              exclusive=self.exclusive, at=self._exclusive_at)
        area = graph.areas.get(routing.area) if routing.area is not None else None
        if state is not None:
            self.check_supplier_state(state)
        if parsed_order is not None and parsed_order.supplier is not None:
            self.check_chosen_supplier(parsed_order.supplier)
        supplier = choose_supplier(area, parsed_order, state,
                                   *self._selection(area, facts, on))
        package = choose_package(routing.area, parsed_order, graph.packages,
                                 lambda name: self.span_of(name, on))
        return (routing, parsed_order, supplier, package, state)

    def decide_table(self, table: Any, on: date | str, **options: Any) -> TableDecisions:
        """The decisions for every citizen of an Arrow table or a Polars/pandas DataFrame,
        evaluated column by column (the ``columnar`` extra); rows it cannot decide exactly
        are decided per record, rows ``decide`` rejects are in the errors table. See
        :func:`udbudsregler.columnar.decide_table` for the options (``id``, ``order``,
        ``suppliers``, ``values``, ``histories``, ``first_row``, ``ignore_validity``,
        ``strict``)."""
        from udbudsregler.columnar.table import decide_table

        return decide_table(self, table, on, **options)

    def settle_table(self, referrals: Any, outcomes: Any = None, *, until: date | str,
                     since: date | str | None = None, **options: Any) -> TableSettlements:
        """Settle every referral of a table (Arrow or a DataFrame: ``id``, ``start``,
        ``package``, optionally ``supplier``, ``area``, ``stop``) with its outcomes (a long
        table keyed by ``referral``): every line, a total per referral and the referrals
        that could not be settled, each exactly as :meth:`settle` gives it. ``until`` and
        ``since`` are dates or names of columns of ``referrals``. See
        :func:`udbudsregler.columnar.settle.settle_table`."""
        from udbudsregler.columnar.settle import settle_table

        return settle_table(self, referrals, outcomes, until=until, since=since, **options)

    def settle(self, referral: Referral | Mapping[str, Any],
               outcomes: Sequence[Outcome | Mapping[str, Any]] | None = None, *,
               until: date | str, since: date | str | None = None,
               ignore_validity: bool = False) -> Settlement:
        """What the supplier is paid for a referral up to ``until`` (inclusive): weekly lines
        per price period, bonuses with the outcome that earned them or why not (yet), the
        referral's end with its cause, and the total. Only what falls in ``[since, until]``
        is invoiced (``since`` defaults to the referral's start). A referral must start
        inside the policy's validity, unless ``ignore_validity`` (for comparing rounds).
        Dates are ``datetime.date`` or ``YYYY-MM-DD`` text.

        Raises :class:`FactError` listing every problem of the referral, the outcomes and
        the dates together.
        """
        ref, events, last, first = settlement_inputs(self, referral, outcomes, until, since)
        return settle(self, ref, events, last, first, ignore_validity)

    # -- the inputs' schemas ---------------------------------------------------------

    def json_schema(self, kind: SchemaKind = "facts") -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of one input of this policy: ``facts``,
        ``order``, ``suppliers`` (the supplier state), ``referral`` or ``outcomes``; with
        types, enums of the policy's ids and their titles, limits, and descriptions in the
        policy's language. A document valid under it passes the policy's own checks
        (except checks across inputs, such as a supplier's capacity for lowest load)."""
        return schemas_for(self).json_schema(kind)

    def schemas(self) -> dict[SchemaKind, dict[str, Any]]:
        """The JSON Schema of every input, by kind (see :meth:`json_schema`)."""
        return {kind: self.json_schema(kind) for kind in SCHEMA_KINDS}

    def input_model(self, kind: SchemaKind) -> type[BaseModel]:
        """The pydantic model of one input, whose ``model_json_schema(by_alias=True)`` is
        :meth:`json_schema`. ``decide`` and ``settle`` validate through it; use them (not
        the model's instances) for the values."""
        return schemas_for(self).model(kind)

    def fact_schema(self) -> dict[str, Any]:
        """The JSON Schema of the facts this policy needs (``json_schema("facts")``)."""
        return self.json_schema("facts")

    def evaluate(self, name: str, facts: Mapping[str, Any], on: date | str) -> Any:
        """The value of one named rule, parameter, criterion, target group or tender value
        (``price_models.standard.weekly_price``) for a citizen's facts on a date, by the
        generated code (the interpreter's answer where that fails)."""
        canonical, day, _, _ = decision_inputs(self, facts, on, None, None, self.check_date)
        if name not in self.graph.nodes:
            raise KeyError(f"policy {self.id} has no rule, parameter, criterion or target "
                           f"group named {name!r}")
        return self.node_value(name, canonical, day)

    def reasons_for(self, decision: Decision) -> tuple[Reason, ...]:
        """The reasons of a decision (as ``decision.reasons``)."""
        return reasons_for(self, decision)
