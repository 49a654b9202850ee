"""The supplier of a service area whose selection reads the citizen's facts, chosen
column by column.

An area with ``strategy: nearest`` (a ``distance`` per supplier) or an ``only`` condition
chooses among its suppliers by expressions over ``supplier`` (``$supplier`` in the rule
graph) and the citizen's facts. Here each expression is evaluated once per supplier, with
the supplier's record as a constant in place of ``$supplier``, over every row of the
batch; the choice then follows :func:`udbudsregler.runtime.routing.choose_supplier`:

- the suppliers that may be chosen for the citizen (``only``; all without it) and have
  room (the host's supplier state, the same for every row);
- of those, the one with the least distance, ties by the policy's order of suppliers;
  without a distance, the strategy among them (the first; a rotation from the turn of
  the referral's sequence number; the lowest load relative to capacity);
- none (``-1``) where no supplier may be chosen or none of them has room.

The citizen's own choice is not taken here: whether it is honoured depends on the order
and the supplier state alone, so the per-record decision of one row of an outcome says
it for every row of the outcome (``table.py`` keeps that decision's supplier then).

A row whose expressions could not be evaluated exactly is flagged, and so decided per
record, only where the citizen fits the area: an expression that fails for a citizen of
another area does not matter to that citizen's decision.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from udbudsregler.columnar.columns import BoolArray, IntArray
from udbudsregler.columnar.evaluate import Batch
from udbudsregler.columnar.operands import _align
from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import Area
from udbudsregler.runtime.routing import SupplierState, has_room

__all__ = ["bound", "by_columns"]

def bound(expr: I.Expr, supplier: dict[str, Any]) -> I.Expr:
    """``expr`` with ``supplier`` (its id and attributes) in place of ``$supplier``."""
    if isinstance(expr, I.FactRef) and expr.name == "$supplier":
        return I.Const(expr.type, supplier, loc=expr.loc)
    return I.map_children(expr, lambda sub: bound(sub, supplier))


def by_columns(batch: Batch, area: Area, state: SupplierState | None,
               fits: BoolArray) -> IntArray:
    """For each row, the index (among ``area.suppliers``) of the supplier the area's
    selection chooses, or -1; ``fits``: the rows that fit the area (the rows flagged
    unsure here are among them). ``Unsupported`` (or ``AllUnsure``) if an expression
    has no columnar form here."""
    n = batch.n
    only = batch.graph.nodes[area.only].expr if area.only is not None else None
    distance = batch.graph.nodes[area.distance].expr if area.distance is not None else None
    saved = batch.unsure
    batch.unsure = np.zeros(n, dtype=bool)
    try:
        allowed: list[BoolArray] = []
        distances: list[Any] = []  # each supplier's: a column, or the same for every row
        for supplier in area.suppliers:
            record = {"id": supplier.id, **(supplier.attributes or {})}
            allowed.append(np.ones(n, dtype=bool) if only is None else
                           batch.bools(batch.ev(bound(only, record), {}, 0), 0))
            if distance is not None:
                distances.append(batch.ev(bound(distance, record), {}, 0))
        # one scale for all (comparing needs no more: a row beyond 64 bits is flagged)
        units = _align(batch, distances, 0, n)[0] if distances else []
        flagged = batch.unsure
    finally:
        batch.unsure = saved
    room = state if state is not None else SupplierState()
    free = [a & has_room(room, s.id) for a, s in zip(allowed, area.suppliers, strict=True)]
    if not distances:  # `only` alone: the strategy among the allowed suppliers
        chosen = _among_allowed(area, allowed, free, state, flagged)
    else:
        chosen = np.full(n, -1, dtype=np.int64)
        best = np.zeros(n, dtype=np.int64)
        for index, (value, ok) in enumerate(zip(units, free, strict=True)):
            value = np.broadcast_to(np.asarray(value, dtype=np.int64), (n,))
            better = ok & ((chosen < 0) | (value < best))  # ties: the first in order
            chosen[better] = index
            best[better] = value[better]
    saved |= flagged & fits
    return chosen


def _among_allowed(area: Area, allowed: list[BoolArray], free: list[BoolArray],
                   state: SupplierState | None, flagged: BoolArray) -> IntArray:
    """The supplier the area's strategy chooses among those ``only`` allows for each row
    (``free``: allowed with room): with one allowed, or by ``first``, the first with room;
    by ``rotation``, the first with room from the turn of the referral's sequence number
    among the allowed; by ``lowest_load``, the one with the lowest load relative to its
    capacity (ties by the policy's order). A row whose allowed suppliers lack a capacity
    the lowest load needs is ``flagged`` (``decide`` says which is missing)."""
    n = len(flagged)
    k = len(free)
    first = np.full(n, -1, dtype=np.int64)
    for index in reversed(range(k)):
        first[free[index]] = index
    strategy = area.strategy
    if strategy == "first":
        return first
    count = np.sum(allowed, axis=0, dtype=np.int64) if k else np.zeros(n, dtype=np.int64)
    several = count > 1
    chosen = np.where(several, -1, first)
    room = state if state is not None else SupplierState()
    if strategy == "rotation":
        sequence = room.sequence_in(area.name)
        if sequence is None:  # no turn to take: no supplier (`no_sequence`)
            return chosen
        rank = np.cumsum(allowed, axis=0, dtype=np.int64) - 1  # among the row's allowed
        turn = (sequence - 1) % np.maximum(count, 1)
        steps = np.full(n, k, dtype=np.int64)  # from the turn to the chosen one
        for index in range(k):
            step = (rank[index] - turn) % np.maximum(count, 1)
            better = several & free[index] & (step < steps)
            chosen[better] = index
            steps[better] = step[better]
        return chosen
    assert strategy == "lowest_load", strategy
    if state is None:  # no loads to compare (`no_state`)
        return chosen
    ids = [s.id for s in area.suppliers]
    for index, ident in enumerate(ids):
        if ident not in state.capacity:  # decide refuses these rows (UDB601)
            flagged |= several & allowed[index]
    # lowest load over capacity first, ties by order: a supplier with room has a
    # capacity above its load (one without a capacity is refused above)
    order = sorted((index for index in range(k) if ids[index] in state.capacity
                    and state.capacity[ids[index]] > 0),
                   key=lambda i: (Fraction(state.load.get(ids[i], 0), state.capacity[ids[i]]),
                                  i))
    for index in reversed(order):
        chosen[several & free[index]] = index
    return chosen
