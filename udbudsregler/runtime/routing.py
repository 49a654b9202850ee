"""Routing: the service area, the supplier and the course package of a decision.

Deterministic and explained: the area is the first fitting area in the
policy's priority (with ``routing: exclusive: true``, the only fitting area: a
citizen who fits two is an error, UDB707); the supplier is the citizen's own
valid choice, otherwise the area's declared strategy (rotation by the referral's sequence number, or
the lowest load relative to capacity, ties broken by the order of the
suppliers in the policy); an ordered package is accepted only if the area
offers it and its weekly hours lie inside the package's span.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from udbudsregler.diagnostics import EvaluationError, FactError, FactProblem, Span
from udbudsregler.ir.graph import Area, Package

#: How a supplier was chosen, or why none was.
SupplierMethod = Literal["citizen_choice", "rotation", "lowest_load", "first", "nearest",
                         "full", "no_sequence", "no_state", "no_area", "none_allowed"]
#: Whether and why an ordered package was accepted or refused.
PackageStatus = Literal["ordered", "no_order", "not_in_area", "hours_missing",
                        "hours_outside_span", "hours_not_allowed"]

__all__ = [
    "AreaChoice",
    "Order",
    "PackageChoice",
    "PackageStatus",
    "SupplierChoice",
    "SupplierMethod",
    "SupplierState",
    "choose_area",
    "choose_package",
    "choose_supplier",
    "has_room",
    "parse_order",
    "parse_supplier_state",
]


@dataclass(frozen=True)
class Order:
    """What the caseworker orders with the referral (all optional)."""

    package: str | None = None
    weekly_hours: int | Decimal | None = None
    #: The supplier the citizen chose (frit valg), if any.
    supplier: str | None = None


@dataclass(frozen=True)
class SupplierState:
    """What the host knows of the suppliers now: their load and capacity, and the
    sequence number of this referral in its area (for rotation)."""

    load: Mapping[str, int] = field(default_factory=dict)
    capacity: Mapping[str, int] = field(default_factory=dict)
    #: The referral's sequence number: one number, or one per area (the host may not
    #: know the area before the decision).
    sequence: int | Mapping[str, int] | None = None

    def sequence_in(self, area: str) -> int | None:
        if isinstance(self.sequence, Mapping):
            return self.sequence.get(area)
        return self.sequence


@dataclass(frozen=True)
class AreaChoice:
    area: str | None
    #: The areas the citizen fits, in priority order.
    fitting: tuple[str, ...]


@dataclass(frozen=True)
class SupplierChoice:
    supplier: str | None
    method: SupplierMethod
    #: The citizen's choice when it was given but could not be honoured, and why.
    rejected_choice: str | None = None
    rejected_because: str | None = None
    details: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class PackageChoice:
    package: str | None
    accepted: bool
    status: PackageStatus
    weekly_hours: int | Decimal | None = None
    span: tuple[int | Decimal, int | Decimal] | None = None


def _problem(path: str, message: str, code: str = "UDB602") -> FactError:
    return FactError([FactProblem(code, path, message)])


def parse_order(value: Order | Mapping[str, Any] | None) -> Order | None:
    """An order checked for its shape (any package and supplier names; the policy's
    own check is :meth:`udbudsregler.runtime.schemas.InputSchemas.order`)."""
    if value is None:
        return None
    if isinstance(value, Order):
        value = {"package": value.package, "weekly_hours": value.weekly_hours,
                 "supplier": value.supplier}
    from udbudsregler.runtime.input_models import GENERIC, validate  # only for an order

    data, problems = validate(GENERIC.order, value, "order")
    if problems:
        raise FactError(problems)
    return Order(data["package"], data["weekly_hours"], data["supplier"])


def parse_supplier_state(
        value: SupplierState | Mapping[str, Any] | None) -> SupplierState | None:
    """A supplier state checked for its shape (any supplier and area names)."""
    if value is None:
        return None
    if isinstance(value, SupplierState):
        sequence = value.sequence
        value = {"load": dict(value.load), "capacity": dict(value.capacity),
                 "sequence": dict(sequence) if isinstance(sequence, Mapping) else sequence}
    from udbudsregler.runtime.input_models import GENERIC, validate  # only for a state

    data, problems = validate(GENERIC.suppliers, value, "suppliers")
    if problems:
        raise FactError(problems)
    return SupplierState(dict(data["load"] or {}), dict(data["capacity"] or {}),
                         data["sequence"])


def choose_area(fits: Mapping[str, bool], priority: list[str], *, exclusive: bool = False,
                at: Span | None = None) -> AreaChoice:
    """The first area of ``priority`` the citizen fits. With ``exclusive`` (the policy's
    `routing: exclusive: true`, written at ``at``), a citizen who fits two is an error."""
    fitting = tuple(a for a in priority if fits.get(a))
    if exclusive and len(fitting) > 1:
        names = ", ".join(f"`{a}`" for a in fitting)
        raise EvaluationError(
            "UDB707", f"the citizen fits {len(fitting)} service areas ({names}), but "
            "`routing: exclusive` says no citizen fits more than one", at,
            hint="the areas overlap for this citizen: correct the areas' target groups or "
                 "conditions, or replace `exclusive: true` by a `priority`")
    return AreaChoice(fitting[0] if fitting else None, fitting)


def choose_supplier(area: Area | None, order: Order | None, state: SupplierState | None,
                    distance: Callable[[str], Any] | None = None,
                    allowed: Callable[[str], bool] | None = None) -> SupplierChoice:
    """The supplier for a referral in ``area``.

    ``state`` None means the host gave no supplier state: the area is decided, and a
    supplier is chosen only where that needs no state (the citizen's valid choice, a
    single supplier); rotation then needs its sequence number and lowest load its
    capacities, so those give no supplier (methods ``no_sequence`` and ``no_state``).
    """
    if area is None:
        return SupplierChoice(None, "no_area")
    if distance is not None:
        return _by_distance(area, order, state, distance, allowed)
    given = state is not None
    state = state if state is not None else SupplierState()
    spec = area.spec
    ids = [s.id for s in spec.suppliers]
    selection = spec.selection
    strategy = selection.strategy if selection is not None else "first"

    chosen, rejected, because = _citizen_choice(ids, selection, order, state)
    if chosen is not None:
        return chosen
    if allowed is not None:
        # `only`: the strategy chooses among the suppliers that may be chosen for the citizen
        ids = [s for s in ids if allowed(s)]
        if not ids:
            return SupplierChoice(None, "none_allowed", rejected, because)
    if strategy == "first" or len(ids) == 1:
        for supplier in ids:
            if has_room(state, supplier):
                return SupplierChoice(supplier, "first", rejected, because)
        return SupplierChoice(None, "full", rejected, because)
    if strategy == "rotation":
        sequence = state.sequence_in(area.name)
        if sequence is None:
            return SupplierChoice(None, "no_sequence", rejected, because)
        # Referral no. 1 goes to the first supplier, no. 2 to the second, and so on;
        # if the supplier whose turn it is is full, the next one with room.
        turn = (sequence - 1) % len(ids)
        for step in range(len(ids)):
            index = (turn + step) % len(ids)
            if has_room(state, ids[index]):
                return SupplierChoice(ids[index], "rotation", rejected, because,
                                      (("sequence", sequence), ("position", index + 1),
                                       ("of", len(ids)), ("turn", ids[turn]),
                                       ("skipped_full", step)))
        return SupplierChoice(None, "full", rejected, because)
    if not given:
        return SupplierChoice(None, "no_state", rejected, because)
    missing = [s for s in ids if s not in state.capacity]
    if missing:
        raise _problem(f"suppliers.capacity.{missing[0]}", f"the area `{area.name}` chooses "
                       "the supplier with the lowest load, so the capacity of each of its "
                       f"suppliers is needed ({', '.join(ids)})", "UDB601")
    # lowest load relative to capacity; ties by the policy's order of suppliers
    best: str | None = None
    best_ratio: tuple[int, int] | None = None
    for supplier in ids:
        if not has_room(state, supplier):
            continue
        load, cap = state.load.get(supplier, 0), state.capacity[supplier]
        # compare load/cap exactly as fractions: a/b < c/d  <=>  a*d < c*b
        if best_ratio is None or load * best_ratio[1] < best_ratio[0] * cap:
            best, best_ratio = supplier, (load, cap)
    if best is None:
        return SupplierChoice(None, "full", rejected, because)
    assert best_ratio is not None
    return SupplierChoice(best, "lowest_load", rejected, because,
                          (("load", best_ratio[0]), ("capacity", best_ratio[1])))


def has_room(state: SupplierState, supplier: str) -> bool:
    """Full only when the host gave the supplier's capacity and its load reaches it."""
    if supplier not in state.capacity:
        return True
    return state.load.get(supplier, 0) < state.capacity[supplier]


def _citizen_choice(ids: list[str], selection: Any, order: Order | None, state: SupplierState
                    ) -> tuple[SupplierChoice | None, str | None, str | None]:
    """The citizen's own choice when the area follows it and it is valid; else no choice,
    and the supplier the citizen asked for with why it was set aside (or None, None)."""
    wanted = order.supplier if order is not None else None
    if wanted is None:
        return None, None, None
    if not (selection is None or selection.citizen_choice):
        return None, wanted, "not_honoured"
    if wanted not in ids:
        return None, wanted, "not_in_area"
    if not has_room(state, wanted):
        return None, wanted, "full"
    return SupplierChoice(wanted, "citizen_choice"), None, None


def _by_distance(area: Area, order: Order | None, state: SupplierState | None,
                 distance: Callable[[str], Any] | None,
                 allowed: Callable[[str], bool] | None) -> SupplierChoice:
    """The citizen's valid choice, else the supplier with the least distance among those the
    selection allows for the citizen (`only`) that have room; ties by the policy's order.
    Without `distance` (only `only`), the first allowed supplier with room."""
    state = state if state is not None else SupplierState()
    ids = [s.id for s in area.suppliers]
    selection = area.spec.selection

    chosen, rejected, because = _citizen_choice(ids, selection, order, state)
    if chosen is not None:
        return chosen
    candidates = [s for s in ids if allowed is None or allowed(s)]
    if not candidates:
        return SupplierChoice(None, "none_allowed", rejected, because)
    free = [s for s in candidates if has_room(state, s)]
    if not free:
        return SupplierChoice(None, "full", rejected, because)
    if distance is None:
        return SupplierChoice(free[0], "first", rejected, because)
    measured = [(distance(s), i, s) for i, s in enumerate(free)]
    best = min(measured, key=lambda m: (m[0], m[1]))
    return SupplierChoice(best[2], "nearest", rejected, because,
                          (("distance", best[0]), ("candidates", len(candidates))))


def choose_package(area: str | None, order: Order | None,
                   packages: Mapping[str, Package],
                   span_of: Any) -> PackageChoice | None:
    """Check an ordered package against the area and its weekly-hour span.

    ``span_of(package_id)`` gives the (min, max) hours of a package, or None.
    """
    if order is None or order.package is None:
        if order is not None and order.weekly_hours is not None:
            raise _problem("order.package", "weekly hours are ordered, but no package", "UDB601")
        return None
    name = order.package
    if name not in packages:
        raise _problem("order.package", f"`{name}` is not a course package of the policy; the "
                       f"packages are {', '.join(packages)}", "UDB605")
    spec = packages[name].spec
    if area is None or area not in spec.areas:
        return PackageChoice(name, False, "not_in_area", order.weekly_hours)
    span = span_of(name)
    hours = order.weekly_hours
    if span is None:
        if hours is not None:
            return PackageChoice(name, False, "hours_not_allowed", hours)
        return PackageChoice(name, True, "ordered")
    if hours is None:
        return PackageChoice(name, False, "hours_missing", None, span)
    if not span[0] <= hours <= span[1]:
        return PackageChoice(name, False, "hours_outside_span", hours, span)
    return PackageChoice(name, True, "ordered", hours, span)
