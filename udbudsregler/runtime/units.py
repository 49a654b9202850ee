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

from udbudsregler.checker.check import CheckedPolicy
from udbudsregler.expr import ast as A
from udbudsregler.runtime.trace import RecordingTracer
from udbudsregler.semantics.types import DurationType
from udbudsregler.values.canonical import length_text, show
from udbudsregler.values.temporal import Duration, MonthEnd, SpanLength
from udbudsregler.values.wording import Unit

__all__ = ["literal_unit", "render_trace", "show_in_unit", "written_units"]

_UNITS: dict[str, Unit] = {"days": "days", "weeks": "weeks", "months": "months",
                           "years": "months"}
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_CACHE: dict[int, Mapping[str, Unit]] = {}


def literal_unit(node: A.Expr | None) -> Unit | None:
    """The unit of a duration literal (``180 days``), or None."""
    if isinstance(node, A.QuantityLit):
        return _UNITS.get(node.unit)
    return None


def written_units(checked: CheckedPolicy) -> Mapping[str, Unit]:
    """Name -> the unit its durations are shown in, for the names that have one."""
    key = id(checked)
    found = _CACHE.get(key)
    if found is None:
        found = _find(checked)
        try:
            weakref.finalize(checked, _CACHE.pop, key, None)
        except TypeError:  # not weakly referable: computed each time
            return found
        _CACHE[key] = found
    return found


def _find(checked: CheckedPolicy) -> dict[str, Unit]:
    parsed = checked.parsed
    units: dict[str, Unit] = {}
    for name, values in parsed.parameters.items():
        written = {literal_unit(v.expr.ast) for v in values}
        if len(written) == 1 and None not in written:
            units[name] = next(u for u in written if u is not None)
    spans = {name for name, t in checked.rule_types.items() if t == DurationType("span")}
    compared: dict[str, set[Unit]] = {}
    for _, expr in parsed.expressions():
        if expr.ast is None:
            continue
        for node in A.walk(expr.ast):
            if not (isinstance(node, A.Binary) and node.op in _COMPARISONS):
                continue
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(side, A.Name) and side.id in spans:
                    unit = literal_unit(other) or (
                        units.get(other.id) if isinstance(other, A.Name) else None)
                    if unit is not None:
                        compared.setdefault(side.id, set()).add(unit)
    for name, found in compared.items():
        if len(found) == 1:
            units[name] = next(iter(found))
    return units


def show_in_unit(value: Any, unit: Unit | None, rule: MonthEnd = "clamp") -> str:
    """A value as a trace shows it, a length in its unit."""
    if unit is not None and isinstance(value, (SpanLength, Duration)):
        return length_text(value, unit, rule)
    return show(value)


def render_trace(tracer: RecordingTracer, checked: CheckedPolicy,
                 rule: MonthEnd = "clamp") -> str:
    """The trace of a decision, with each length in the unit its limit is written in."""
    units = written_units(checked)
    shown: Callable[[str, Any], str] = lambda name, value: show_in_unit(  # noqa: E731
        value, units.get(name), rule)
    return tracer.render(shown)
