"""The reasons for the routing parts of a decision: area, supplier, package."""

from __future__ import annotations

from typing import Any

from udbudsregler.diagnostics import EvaluationError
from udbudsregler.runtime.interpreter import Interpreter
from udbudsregler.runtime.program import Program
from udbudsregler.runtime.reason import Reason
from udbudsregler.runtime.views import DecisionView

__all__ = ["reasons_for", "routing_reasons"]


def routing_reasons(policy: Program, decision: DecisionView,
                    interpreter: Interpreter) -> list[Reason]:
    graph = policy.graph
    if not graph.areas or decision.routing is None:
        return []
    reasons: list[Reason] = []
    for area_id in policy.priority:
        area = graph.areas[area_id]
        spec = area.spec
        fits = bool(interpreter.value(area.fits))
        if fits != (area_id in decision.routing.fitting):
            raise EvaluationError("UDB704", f"service area `{area_id}`: the compiled policy and "
                                  "the reference evaluation disagree")
        values: list[tuple[str, Any]] = [
            (g, interpreter.memo[g]) for g in spec.serves if g in interpreter.memo]
        reads = interpreter.reads.get(area.fits, {})
        values += [(k, v) for k, v in reads.items() if k not in spec.serves and k != "today"]
        reasons.append(Reason("area", area_id, spec.title, fits, spec.legal_basis, spec.source,
                              spec.reading, tuple(values), None, area.at))
    routing = graph.routing
    chosen = decision.routing.area
    assert routing is not None
    rspec = routing.spec
    reasons.append(Reason(
        "routing", chosen or "", graph.areas[chosen].title if chosen else "",
        chosen is not None, rspec.legal_basis if rspec else None,
        rspec.source if rspec else None, rspec.reading if rspec else None,
        # exclusive areas have no priority: the only fitting area is chosen
        (("fitting", list(decision.routing.fitting)),
         ("exclusive", True) if routing.exclusive else ("priority", list(policy.priority))),
        None, routing.at))
    choice = decision.supplier_choice
    if choice is not None and chosen is not None:
        area = graph.areas[chosen]
        names = {s.id: s for s in area.suppliers}
        supplier = names.get(choice.supplier) if choice.supplier else None
        values = [("method", choice.method)]
        if choice.rejected_choice is not None:
            values += [("rejected_choice", choice.rejected_choice),
                       ("rejected_because", choice.rejected_because)]
        values += list(choice.details)
        if supplier is not None and supplier.placeholder:
            values.append(("placeholder", True))
        selection = area.spec.selection
        reasons.append(Reason(
            "supplier", choice.supplier or "", supplier.name if supplier else "",
            choice.supplier is not None, None, selection.source if selection else None,
            selection.reading if selection else None, tuple(values), chosen,
            policy.location((*area.path, "suppliers"))))
    package = decision.package_choice
    if package is not None and package.package is not None:
        entry = graph.packages[package.package]
        package_spec = entry.spec
        values = [("status", package.status), ("goal", package_spec.goal),
                  ("lab_chapter", package_spec.lab_chapter)]
        if package.weekly_hours is not None:
            values.append(("weekly_hours", package.weekly_hours))
        if package.span is not None:
            values.append(("span", list(package.span)))
        reasons.append(Reason("package", package.package, package_spec.title, package.accepted,
                              package_spec.legal_basis, package_spec.source, package_spec.reading,
                              tuple(values), chosen, entry.at))
    return reasons


def reasons_for(policy: Program, decision: DecisionView) -> tuple[Reason, ...]:
    """Why each part of a decision came out as it did, by the reference interpreter, which
    must agree with the generated code (UDB704 if it ever does not)."""
    interpreter = policy.interpreter(decision.facts, decision.on)
    reasons: list[Reason] = []
    graph = policy.graph
    for group_id, group in graph.target_groups.items():
        inside = bool(interpreter.value(group.node))
        if inside != (group_id in decision.target_groups):
            raise EvaluationError(
                "UDB704", f"target group `{group_id}`: the compiled policy and the reference "
                "evaluation disagree")
        for ident in group.criteria:
            node = graph.nodes[ident]
            spec = node.spec
            failure = interpreter.failures.get(ident)
            overrides = policy.overrides_for(ident, "criterion", node.path)
            if failure is not None:
                reasons.append(Reason(
                    "criterion", ident, spec.title, None, spec.legal_basis, spec.source,
                    spec.reading, (("error", failure.message),), group_id, node.at, overrides))
                continue
            reads = interpreter.reads.get(ident, {})
            shown = spec.show or [n for n in reads if n != "today"]
            values = tuple((n, reads[n] if n in reads else interpreter.value(n))
                           for n in shown)
            reasons.append(Reason(
                "criterion", ident, spec.title, bool(interpreter.value(ident)),
                spec.legal_basis, spec.source, spec.reading, values, group_id, node.at,
                overrides))
        reasons.append(Reason(
            "target_group", group_id, group.spec.title, inside, group.spec.legal_basis,
            group.spec.source, None, (), None, group.at))
    reasons += routing_reasons(policy, decision, interpreter)
    return tuple(reasons)
