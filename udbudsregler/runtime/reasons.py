"""The reasons of a decision: why each criterion, target group, area, the routing, the
supplier and the package came out as they did, with the values each was decided on.

Two ways to the same reasons:

- **compiled** (:func:`reasons_for`): the generated recorders of the criteria and areas
  (:attr:`GeneratedCode.recorders <udbudsregler.codegen.generate.GeneratedCode.recorders>`)
  compute each one as the interpreter does and record what it read; everything about a
  reason that does not depend on the citizen (titles, legal basis, readings, places,
  overrides) is prepared once per policy (:class:`_Plan`);
- **interpreted** (:func:`interpreted_reasons`): the reference interpreter, which
  evaluates every criterion and records its reads. It is the oracle (a property test holds
  the two equal on every policy in the repository), and the answer whenever a recorder
  fails: a criterion that cannot be evaluated is shown with the interpreter's error.

Either way the reasons must agree with the decision's outputs (UDB704 if they ever do not).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from udbudsregler.codegen.plan import FAILURES
from udbudsregler.diagnostics import EvaluationError
from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import Area
from udbudsregler.runtime.interpreter import Interpreter
from udbudsregler.runtime.program import Program
from udbudsregler.runtime.reason import Reason
from udbudsregler.runtime.routing import SupplierChoice
from udbudsregler.runtime.views import DecisionView
from udbudsregler.semantics.types import BOOL, DATE, INT, TEXT, EnumType, RecordType

__all__ = ["interpreted_reasons", "reasons_for", "routing_reasons"]

_new = object.__new__
_set = object.__setattr__
_FIELDS = tuple(f.name for f in fields(Reason))
assert _FIELDS == ("kind", "id", "title", "met", "legal_basis", "source", "reading", "values",
                   "group", "at", "overrides"), "Reason changed: change _make too"


def _reason(template: dict[str, Any], met: bool | None,
            values: tuple[tuple[str, Any], ...]) -> Reason:
    """``Reason(**template, met=met, values=values)`` without the frozen dataclass's
    ``__init__`` (one ``object.__setattr__`` per field): the same object."""
    state = template.copy()
    state["met"] = met
    state["values"] = values
    reason: Reason = _new(Reason)
    _set(reason, "__dict__", state)
    return reason


def _make(kind: str, id: str, title: str, met: bool | None, legal_basis: str | None,
          source: str | None, reading: str | None, values: tuple[tuple[str, Any], ...],
          group: str | None, at: str | None) -> Reason:
    """``Reason(...)`` without the frozen dataclass's ``__init__``."""
    reason: Reason = _new(Reason)
    _set(reason, "__dict__", {
        "kind": kind, "id": id, "title": title, "met": met, "legal_basis": legal_basis,
        "source": source, "reading": reading, "values": values, "group": group, "at": at,
        "overrides": ()})
    return reason


def _template(**given: Any) -> dict[str, Any]:
    """The fields of a Reason in their order, the defaults filled in."""
    defaults = {f.name: f.default for f in fields(Reason)}
    return {name: given.get(name, defaults[name]) for name in _FIELDS}


def _disagree(what: str) -> EvaluationError:
    return EvaluationError("UDB704", f"{what}: the compiled policy and the reference "
                           "evaluation disagree")


def _tree(tree: I.Expr) -> Callable[[dict[str, bool]], bool]:
    """A target group's criteria tree as a function of the criteria's values (all known:
    with no unknown criterion, the three-valued `all`/`any`/`not` are the plain ones)."""
    if isinstance(tree, I.NodeRef):
        name = tree.name
        return lambda met: met[name]
    assert isinstance(tree, I.Criteria)
    if tree.op == "not":
        inner = _tree(tree.items[0])
        return lambda met: not inner(met)
    if all(isinstance(item, I.NodeRef) for item in tree.items):
        names = tuple(item.name for item in tree.items)  # type: ignore[attr-defined]
        if tree.op == "all":
            return lambda met: all([met[n] for n in names])
        return lambda met: any([met[n] for n in names])
    items = tuple(_tree(item) for item in tree.items)
    if tree.op == "all":
        return lambda met: all([item(met) for item in items])
    return lambda met: any([item(met) for item in items])


#: Types whose values are equal only when they are written alike (not Decimal, where
#: 1.0 == 1.00; not lengths, equal by their days): a reason showing only such values is
#: shared by the decisions that show the same ones.
_SHAREABLE = (BOOL, INT, TEXT, DATE)
_SHARED = 4096

Criterion = tuple[str, dict[str, Any], tuple[str, ...] | None,
                  dict[tuple[bool, tuple[tuple[str, Any], ...]], Reason] | None]


class _Plan:
    """What the reasons of a policy's decisions share: per criterion, its reason without
    the value and the values, and (if its values are all of shareable types) its reasons
    so far by value and values; per target group, its two reasons."""

    def __init__(self, policy: Program) -> None:
        graph = policy.graph
        self.policy = policy
        self.groups: list[tuple[str, tuple[Criterion, ...], Callable[[dict[str, bool]], bool],
                                dict[bool, Reason]]] = []
        for group_id, group in graph.target_groups.items():
            criteria: list[Criterion] = []
            for ident in group.criteria:
                node = graph.nodes[ident]
                spec = node.spec
                shareable = self._shareable(node.expr, spec.show)
                criteria.append((ident, _template(
                    kind="criterion", id=ident, title=spec.title,
                    legal_basis=spec.legal_basis, source=spec.source, reading=spec.reading,
                    group=group_id, at=node.at,
                    overrides=policy.overrides_for(ident, "criterion", node.path)),
                    tuple(spec.show) if spec.show else None, {} if shareable else None))
            gspec = group.spec
            own = {inside: Reason("target_group", group_id, gspec.title, inside,
                                  gspec.legal_basis, gspec.source, None, (), None, group.at)
                   for inside in (True, False)}
            self.groups.append((group_id, tuple(criteria), _tree(group.tree(graph)), own))
        self.routing = _Routing(policy)

    def _shareable(self, expr: I.Expr | None, show: list[str] | None) -> bool:
        """Whether every value a criterion may show is of a shareable type."""
        if expr is None:
            return False
        names: list[str] = list(show or ())
        refs: list[I.FactRef | I.NodeRef] = []
        # a record a field is read of is recorded as that field, not as the record
        records: list[int] = []
        for sub in I.walk(expr):
            if isinstance(sub, (I.FactRef, I.NodeRef)):
                refs.append(sub)
            elif isinstance(sub, I.Field) and isinstance(sub.obj, (I.FactRef, I.NodeRef)):
                names.append(f"{sub.obj.name}.{sub.name}")
                if isinstance(sub.obj.type, RecordType):
                    records.append(id(sub.obj))
        for ref in refs:
            if id(ref) in records:
                records.remove(id(ref))
            else:
                names.append(ref.name)
        for name in names:
            if name == "today":
                continue
            t = self.policy.type_of_name(name)
            if not (t in _SHAREABLE or isinstance(t, EnumType)):
                return False
        return True

    def value_of(self, name: str, facts: dict[str, Any], memo: list[Any],
                 decision: DecisionView) -> Any:
        """A value a criterion shows without having read it (its ``show``)."""
        if name == "today":
            return decision.on
        if name in self.policy.graph.facts:
            return facts[name]
        return self.policy.code.functions[name](facts, memo)

    def reasons(self, decision: DecisionView) -> tuple[Reason, ...]:
        policy = self.policy
        code = policy.code
        recorders = code.recorders
        facts = decision.facts
        memo = code.memo(decision.on)
        met: dict[str, bool] = {}
        inside_of: dict[str, bool] = {}
        out: list[Reason] = []
        chosen = decision.target_groups
        computed = code.criteria
        assert computed is not None
        # each criterion's value and values (what it read, in order, but the date)
        results = iter(computed(facts, memo))
        for group_id, criteria, tree, own in self.groups:
            for ident, template, show, shared in criteria:
                value = met[ident] = next(results)
                values = next(results)
                if show is not None:  # its reads, as a dict
                    reads = values
                    values = tuple((n, reads[n] if n in reads
                                    else self.value_of(n, facts, memo, decision))
                                   for n in show)
                if shared is None:
                    out.append(_reason(template, value, values))
                    continue
                reason = shared.get((value, values))
                if reason is None:
                    if len(shared) >= _SHARED:
                        shared.clear()
                    reason = shared[(value, values)] = _reason(template, value, values)
                out.append(reason)
            inside = inside_of[group_id] = tree(met)
            if inside != (group_id in chosen):
                raise _disagree(f"target group `{group_id}`")
            out.append(own[inside])

        def fits(area: Area) -> tuple[bool, dict[str, Any]]:
            reads: dict[str, Any] = {}
            return bool(recorders[area.fits](facts, memo, reads)), reads

        out += routing_reasons(policy, decision, fits, inside_of, by_groups=True)
        return tuple(out)


def _plan(policy: Program) -> _Plan:
    plan = policy._reasons_plan
    if plan is None:
        plan = policy._reasons_plan = _Plan(policy)
    assert isinstance(plan, _Plan)
    return plan


def reasons_for(policy: Program, decision: DecisionView) -> tuple[Reason, ...]:
    """Why each part of a decision came out as it did: by the compiled recorders, or by the
    reference interpreter where they fail (UDB704 if either ever disagrees with the
    decision's outputs)."""
    try:
        return _plan(policy).reasons(decision)
    except FAILURES:  # the interpreter's reasons, or its error (UDB704 included)
        return interpreted_reasons(policy, decision)


class _Routing:
    """What the routing reasons of a policy's decisions share: per area (in priority
    order) its fixed fields and the groups it serves, and its reasons so far when they show
    only the groups (an area without a condition of its own); the supplier reasons so far,
    by area and choice."""

    def __init__(self, policy: Program) -> None:
        graph = policy.graph
        self.areas: list[tuple[str, Area, tuple[str, ...],
                               dict[tuple[bool, tuple[tuple[str, Any], ...]], Reason] | None]]
        self.areas = []
        for area_id in policy.priority:
            area = graph.areas[area_id]
            plain = area.spec.when is None
            self.areas.append((area_id, area, tuple(area.spec.serves), {} if plain else None))
        self.priority = tuple(policy.priority)
        #: Per area without a condition of its own, the groups it serves (those that
        #: exist): when every group is known, its reason depends on their values alone.
        self.plain: dict[str, tuple[tuple[str, ...], dict[tuple[bool, ...], Reason]]] = {
            area_id: (tuple(g for g in serves if g in graph.target_groups), {})
            for area_id, _, serves, shared in self.areas if shared is not None}
        self.suppliers: dict[Any, Reason] = {}


def routing_reasons(policy: Program, decision: DecisionView,
                    fits: Callable[[Area], tuple[bool, dict[str, Any]]],
                    groups: dict[str, bool], by_groups: bool = False) -> list[Reason]:
    """The reasons of the areas (``fits(area)``: whether the citizen fits it, and what its
    condition read; ``groups``: whether the citizen is in each target group), the routing,
    the supplier and the package. ``by_groups``: an area without a condition of its own
    fits when the citizen is in a group it serves (what its node computes), so ``fits``
    is asked only of the others."""
    graph = policy.graph
    routed = decision.routing
    if not graph.areas or routed is None:
        return []
    static = _plan(policy).routing
    reasons: list[Reason] = []
    fitting = routed.fitting
    plain = static.plain
    for area_id, area, serves, shared in static.areas:
        if by_groups and shared is not None:  # every group known: by their values
            names, by_flags = plain[area_id]
            flags = (groups[names[0]],) if len(names) == 1 else tuple([groups[g]
                                                                       for g in names])
            reason = by_flags.get(flags)
            if reason is None:
                spec = area.spec
                reason = _make("area", area_id, spec.title, any(flags), spec.legal_basis,
                               spec.source, spec.reading, tuple(zip(names, flags, strict=True)),
                               None, area.at)
                if len(by_flags) < _SHARED:
                    by_flags[flags] = reason
            if reason.met != (area_id in fitting):
                raise _disagree(f"service area `{area_id}`")
            reasons.append(reason)
            continue
        values: list[tuple[str, Any]] = [(g, groups[g]) for g in serves if g in groups]
        fit, reads = fits(area)
        values += [(k, v) for k, v in reads.items() if k not in serves and k != "today"]
        if fit != (area_id in fitting):
            raise _disagree(f"service area `{area_id}`")
        key = (fit, tuple(values))
        reason = shared.get(key) if shared is not None else None
        if reason is None:
            spec = area.spec
            reason = _make("area", area_id, spec.title, fit, spec.legal_basis, spec.source,
                           spec.reading, key[1], None, area.at)
            if shared is not None and len(shared) < _SHARED:
                shared[key] = reason
        reasons.append(reason)
    routing = graph.routing
    chosen = routed.area
    assert routing is not None
    rspec = routing.spec
    reasons.append(_make(
        "routing", chosen or "", graph.areas[chosen].title if chosen else "",
        chosen is not None, rspec.legal_basis if rspec else None,
        rspec.source if rspec else None, rspec.reading if rspec else None,
        # exclusive areas have no priority: the only fitting area is chosen
        (("fitting", list(fitting)),
         ("exclusive", True) if routing.exclusive else ("priority", list(static.priority))),
        None, routing.at))
    choice = decision.supplier_choice
    if choice is not None and chosen is not None:
        try:
            reason = static.suppliers.get((chosen, choice))
        except TypeError:  # a choice with details that do not hash
            reason = None
        if reason is None:
            reason = _supplier_reason(policy, chosen, choice)
            if len(static.suppliers) < _SHARED:
                with contextlib.suppress(TypeError):
                    static.suppliers[(chosen, choice)] = reason
        reasons.append(reason)
    package = decision.package_choice
    if package is not None and package.package is not None:
        entry = graph.packages[package.package]
        package_spec = entry.spec
        package_values: list[tuple[str, Any]] = [
            ("status", package.status), ("goal", package_spec.goal),
            ("lab_chapter", package_spec.lab_chapter)]
        if package.weekly_hours is not None:
            package_values.append(("weekly_hours", package.weekly_hours))
        if package.span is not None:
            package_values.append(("span", list(package.span)))
        reasons.append(_make("package", package.package, package_spec.title, package.accepted,
                             package_spec.legal_basis, package_spec.source,
                             package_spec.reading, tuple(package_values), chosen, entry.at))
    return reasons


def _supplier_reason(policy: Program, chosen: str, choice: SupplierChoice) -> Reason:
    area = policy.graph.areas[chosen]
    names = {s.id: s for s in area.suppliers}
    supplier = names.get(choice.supplier) if choice.supplier else None
    choice_values: list[tuple[str, Any]] = [("method", choice.method)]
    if choice.rejected_choice is not None:
        choice_values += [("rejected_choice", choice.rejected_choice),
                          ("rejected_because", choice.rejected_because)]
    choice_values += list(choice.details)
    if supplier is not None and supplier.placeholder:
        choice_values.append(("placeholder", True))
    selection = area.spec.selection
    return _make(
        "supplier", choice.supplier or "", supplier.name if supplier else "",
        choice.supplier is not None, None, selection.source if selection else None,
        selection.reading if selection else None, tuple(choice_values), chosen,
        policy.location((*area.path, "suppliers")))


def interpreted_reasons(policy: Program, decision: DecisionView) -> tuple[Reason, ...]:
    """The reasons by the reference interpreter, which evaluates every criterion and
    records the values each one read; a criterion whose computation fails is shown as
    unknown, with its error."""
    interpreter = policy.interpreter(decision.facts, decision.on)
    reasons: list[Reason] = []
    graph = policy.graph
    for group_id, group in graph.target_groups.items():
        inside = bool(interpreter.value(group.node))
        if inside != (group_id in decision.target_groups):
            raise _disagree(f"target group `{group_id}`")
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
    reasons += routing_reasons(policy, decision, lambda area: _interpreted_fits(
        interpreter, area), _interpreted_groups(interpreter, graph.target_groups))
    return tuple(reasons)


def _interpreted_fits(interpreter: Interpreter, area: Area) -> tuple[bool, dict[str, Any]]:
    fit = bool(interpreter.value(area.fits))
    return fit, interpreter.reads.get(area.fits, {})


def _interpreted_groups(interpreter: Interpreter, groups: Any) -> dict[str, bool]:
    return {g: interpreter.memo[g] for g in groups if g in interpreter.memo}
