"""The compiled policy: load once, decide many times."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from udbudsregler.cache import PolicyCache, fingerprint
from udbudsregler.codegen.generate import generate
from udbudsregler.diagnostics import (
    EvaluationError,
    PolicyError,
)
from udbudsregler.loader import Limits
from udbudsregler.runtime.decision import Decision, Reason, area_of
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
from udbudsregler.runtime.trace import Tracer
from udbudsregler.version import __version__

# Imported where they are used (a policy read from the compiled-policy cache, deciding on
# facts in canonical form, never needs them): the compiler, the pydantic input models, the
# settlement.
if TYPE_CHECKING:
    from pydantic import BaseModel

    from udbudsregler.columnar.settle import TableSettlements
    from udbudsregler.columnar.table import TableDecisions
    from udbudsregler.runtime.schemas import SchemaKind
    from udbudsregler.runtime.settlement import Referral, Settlement
    from udbudsregler.runtime.settlement_records import Outcome

__all__ = ["Policy", "load_policy"]


_new = object.__new__

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
    from udbudsregler.stages import run_stages

    state = run_stages(path, limits=limits)
    if state.bag.has_errors or state.code is None:
        raise PolicyError(state.bag.sorted())
    assert state.lowered is not None and state.source is not None
    policy = Policy(state.lowered, state.code, state.source, tuple(state.bag.warnings()),
                    state.limits.evaluation_steps, state.checked)
    if cache:
        CACHE.put(key, fingerprint(state.source), policy, policy.stored())
    return policy


@contextlib.contextmanager
def _columnar_extra(method: str) -> Iterator[None]:
    """Importing the columnar backend: without its extra, an ImportError that says which
    extra to install (not a bare "No module named 'numpy'")."""
    try:
        yield
    except ModuleNotFoundError as error:
        if error.name not in ("numpy", "pyarrow"):
            raise
        raise ImportError(f"policy.{method} needs the columnar extra ({error.name} is not "
                          "installed): pip install 'udbudsregler[columnar]'") from error


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
        if order is None and suppliers is None and tracer is None and (
                on is self._on or (type(on) is date
                                   and (self._lo <= on <= self._hi or ignore_validity))):
            # The fast path: the generated fact check and rule code in one function; None
            # when the facts are not in canonical form (then checked the slow way).
            try:
                found = self._decide(facts, on)
            except (EvaluationError, ArithmeticError, ValueError):
                checked: Any = facts  # the check passed: only the rule code failed
                found = (self.interpreted(checked, on), self.code.memo(on))
            if found is not None:
                values, memo = found
                shared = self._plain.get(values)
                if shared is None:
                    parts = self._parts(values, on, None, None, facts)  # type: ignore[arg-type]
                    shared = (parts, area_of(parts))
                    if not self._selection_reads_facts:
                        self._plain[values] = shared
                if on is not self._on and self._lo <= on <= self._hi:
                    self._on = on
                # Decision(self, facts, on, parts, memo) without the call of __init__ (a
                # test holds this to setting every slot __init__ sets, alike)
                parts, area = shared
                decision = _new(Decision)
                decision.policy = self
                decision.facts = facts  # type: ignore[assignment] # a dict: checked
                decision.on = on
                decision._parts = parts
                decision._reasons = None
                decision._memo = memo
                decision.target_groups = parts[0]
                decision.area = area
                return decision
        # every input checked together: one FactError lists every problem
        from udbudsregler.runtime.schemas import decision_inputs

        canonical, on, order, suppliers = decision_inputs(
            self, facts, on, order, suppliers, None if ignore_validity else self.check_date)
        if tracer is not None and tracer.enabled:
            interpreter = self.interpreter(canonical, on, tracer)
            values = tuple(bool(interpreter.value(name)) for name in self._outputs)
        else:
            values = self.outputs(canonical, on)
        if order is None and suppliers is None and not self._selection_reads_facts:
            # Without an order or a supplier state, the groups and the routing depend on
            # the outputs alone; their (immutable) parts are computed once per outputs.
            shared = self._plain.get(values)
            if shared is None:
                parts = self._parts(values, on, None, None, canonical)
                shared = self._plain[values] = (parts, area_of(parts))
            return Decision(self, canonical, on, shared[0])
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

    def decide_table(self, table: Any, on: date | str | Sequence[date | str],
                     **options: Any) -> TableDecisions:
        """The decisions for every citizen of an Arrow table or a Polars/pandas DataFrame,
        evaluated column by column (the ``columnar`` extra); rows it cannot decide exactly
        are decided per record, rows ``decide`` rejects are in the errors table. See
        :func:`udbudsregler.columnar.decide_table` for the options (``id``, ``order``,
        ``suppliers``, ``values``, ``columns``, ``histories``, ``first_row``,
        ``ignore_validity``, ``strict``)."""
        with _columnar_extra("decide_table"):
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
        with _columnar_extra("settle_table"):
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
        from udbudsregler.runtime.schemas import settlement_inputs
        from udbudsregler.runtime.settlement import settle

        ref, events, last, first = settlement_inputs(self, referral, outcomes, until, since)
        return settle(self, ref, events, last, first, ignore_validity, checked=True)

    # -- the inputs' schemas ---------------------------------------------------------

    def json_schema(self, kind: SchemaKind = "facts") -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of one input of this policy: ``facts``,
        ``order``, ``suppliers`` (the supplier state), ``referral`` or ``outcomes``; with
        types, enums of the policy's ids and their titles, limits, and descriptions in the
        policy's language. A document valid under it passes the policy's own checks
        (except checks across inputs, such as a supplier's capacity for lowest load)."""
        from udbudsregler.runtime.schemas import schemas_for

        return schemas_for(self).json_schema(kind)

    def schemas(self) -> dict[SchemaKind, dict[str, Any]]:
        """The JSON Schema of every input, by kind (see :meth:`json_schema`)."""
        from udbudsregler.runtime.schemas import SCHEMA_KINDS

        return {kind: self.json_schema(kind) for kind in SCHEMA_KINDS}

    def input_model(self, kind: SchemaKind) -> type[BaseModel]:
        """The pydantic model of one input, whose ``model_json_schema(by_alias=True)`` is
        :meth:`json_schema`. ``decide`` and ``settle`` validate through it; use them (not
        the model's instances) for the values."""
        from udbudsregler.runtime.schemas import schemas_for

        return schemas_for(self).model(kind)

    def fact_schema(self) -> dict[str, Any]:
        """The JSON Schema of the facts this policy needs (``json_schema("facts")``)."""
        return self.json_schema("facts")

    def evaluate(self, name: str, facts: Mapping[str, Any], on: date | str) -> Any:
        """The value of one named rule, parameter, criterion, target group or tender value
        (``price_models.standard.weekly_price``) for a citizen's facts on a date, by the
        generated code (the interpreter's answer where that fails). The facts are checked
        as by :meth:`decide`; for values of a decision already made, use
        :meth:`Decision.value <udbudsregler.Decision.value>`, which does not check them
        again."""
        if type(on) is date and type(facts) is dict and self._fast(facts):
            canonical, day = facts, on  # already canonical: no conversion
            self.check_date(day)
        else:
            from udbudsregler.runtime.schemas import decision_inputs

            canonical, day, _, _ = decision_inputs(self, facts, on, None, None,
                                                   self.check_date)
        if name not in self.graph.nodes:
            raise KeyError(f"policy {self.id} has no rule, parameter, criterion or target "
                           f"group named {name!r}")
        return self.node_value(name, canonical, day)

    def reasons_for(self, decision: Decision) -> tuple[Reason, ...]:
        """The reasons of a decision (as ``decision.reasons``)."""
        return reasons_for(self, decision)
