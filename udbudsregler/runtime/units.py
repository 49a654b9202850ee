"""The unit an author wrote a duration in, so a length is shown in that unit.

A policy that limits a spell on benefit to ``180 days`` should see the citizen's
spell as ``274 dage`` beside ``180 dage``, not as ``9 måneder og 1 dag``; one that
limits it to ``5 years`` should see ``3 år, 11 måneder og 1 dag`` beside ``5 år``.
The unit is found in the policy's text, once per policy:

- a parameter whose value is a duration literal has the unit it was written in
  (``26 weeks``: weeks; ``5 years``: years and months; every dated value alike);
- a rule whose value is the length of a period (``spell_length(...)``) takes the unit
  of what it is compared with (``benefit_spell < max_benefit_spell``,
  ``benefit_spell >= 26 weeks``), when every comparison agrees.

A name with no unit keeps the default form: years, months and days in
explanations, days in traces.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any

from udbudsregler.expr import ast as A
from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import RuleGraph
from udbudsregler.runtime.trace import RecordingTracer
from udbudsregler.semantics.types import DurationType
from udbudsregler.values.canonical import length_text, show
from udbudsregler.values.temporal import Duration, MonthEnd, SpanLength
from udbudsregler.values.wording import Unit

__all__ = ["literal_unit", "render_trace", "show_in_unit", "written_units"]

_UNITS: dict[str, Unit] = {"days": "days", "weeks": "weeks", "months": "months",
                           "years": "months"}
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_SPAN = DurationType("span")
_CACHE: dict[int, Mapping[str, Unit]] = {}


def literal_unit(node: A.Expr | None) -> Unit | None:
    """The unit of a duration literal (``180 days``), or None."""
    if isinstance(node, A.QuantityLit):
        return _UNITS.get(node.unit)
    return None


def written_units(graph: RuleGraph) -> Mapping[str, Unit]:
    """Name -> the unit its durations are shown in, for the names that have one.

    ``graph`` is the checked rule graph (``Program.checked``: the literals and operators
    as the author wrote them)."""
    key = id(graph)
    found = _CACHE.get(key)
    if found is None:
        found = _find(graph)
        try:
            weakref.finalize(graph, _CACHE.pop, key, None)
        except TypeError:  # not weakly referable: computed each time
            return found
        _CACHE[key] = found
    return found


def _written(expr: I.Expr) -> A.Expr | None:
    """The author's expression of a typed node: the AST node at its place."""
    loc = expr.loc
    if loc is None or loc.expr.ast is None:
        return None
    return next((n for n in A.walk(loc.expr.ast) if n.pos == loc.pos), None)


def _unit_of(expr: I.Expr, units: Mapping[str, Unit]) -> Unit | None:
    """The unit of an operand: a duration literal's, or that of the name it reads."""
    if isinstance(expr, I.NodeRef):
        return units.get(expr.name)
    written = _written(expr)
    if isinstance(written, A.Name):  # a parameter folded into its value
        return units.get(written.id)
    return literal_unit(written)


def _find(graph: RuleGraph) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for node in graph.of_kind("parameter"):
        written = {literal_unit(_written(v.expr)) for v in node.values}
        if len(written) == 1 and None not in written:
            units[node.name] = next(u for u in written if u is not None)
    spans = {node.name for node in graph.of_kind("rule") if node.type == _SPAN}
    compared: dict[str, set[Unit]] = {}
    for node in graph.nodes.values():
        if node.expr is None:
            continue
        for sub in I.walk(node.expr):
            if not (isinstance(sub, I.Op) and sub.op in _COMPARISONS and len(sub.args) == 2):
                continue
            left, right = sub.args
            for side, other in ((left, right), (right, left)):
                if isinstance(side, I.NodeRef) and side.name in spans:
                    unit = _unit_of(other, units)
                    if unit is not None:
                        compared.setdefault(side.name, set()).add(unit)
    for name, found in compared.items():
        if len(found) == 1:
            units[name] = next(iter(found))
    return units


def show_in_unit(value: Any, unit: Unit | None, rule: MonthEnd = "clamp") -> str:
    """A value as a trace shows it, a length in its unit."""
    if unit is not None and isinstance(value, (SpanLength, Duration)):
        return length_text(value, unit, rule)
    return show(value)


def render_trace(tracer: RecordingTracer, checked: RuleGraph,
                 rule: MonthEnd = "clamp") -> str:
    """The trace of a decision, with each length in the unit its limit is written in."""
    units = written_units(checked)
    shown: Callable[[str, Any], str] = lambda name, value: show_in_unit(  # noqa: E731
        value, units.get(name), rule)
    return tracer.render(shown)
