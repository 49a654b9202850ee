"""The reasons of a decision: why each criterion, target group, area, the routing, the
supplier and the package came out as they did, with the values each was decided on.

Two ways to the same reasons:

- **compiled** (:func:`reasons_for`): one generated function per policy
  (:attr:`GeneratedCode.reason_parts <udbudsregler.codegen.generate.GeneratedCode.reason_parts>`)
  computes every criterion, target group and area as the interpreter does and gives only
  what depends on the citizen: whether each holds and the values it read. Everything else
  about a reason (titles, legal basis, readings, places, overrides) is prepared once per
  policy (:class:`_Plan`), and so are the reasons that depend on the decision's outcome
  alone (the target groups', the routing's, the supplier's and the package's) and, for a
  part whose values are equal only when written alike, each reason built so far, by its
  met and values;
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
from decimal import Decimal
from functools import partial
from operator import itemgetter
from typing import Any

from udbudsregler.codegen.plan import FAILURES
from udbudsregler.diagnostics import EvaluationError
from udbudsregler.ir.graph import Area
from udbudsregler.runtime.interpreter import Interpreter
from udbudsregler.runtime.program import Program
from udbudsregler.runtime.reason import Reason, SharedList
from udbudsregler.runtime.routing import SupplierChoice
from udbudsregler.runtime.views import DecisionView

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


def _area_template(area: Area) -> dict[str, Any]:
    spec = area.spec
    return _template(kind="area", id=area.name, title=spec.title,
                     legal_basis=spec.legal_basis, source=spec.source, reading=spec.reading,
                     at=area.at)


def _disagree(what: str) -> EvaluationError:
    return EvaluationError("UDB704", f"{what}: the compiled policy and the reference "
                           "evaluation disagree")


#: How many reasons each cache of shared reasons keeps (then it starts again).
_SHARED = 4096


class _Built(dict[Any, Reason]):
    """The reasons of one part built so far, by a key (looked up by the generated code,
    ``K[i][key]``, in C; a key not seen yet builds its reason in ``__missing__``)."""

    __slots__ = ("template",)

    def __init__(self, template: dict[str, Any]) -> None:
        super().__init__()
        self.template = template

    def _keep(self, key: Any, met: bool, values: tuple[tuple[str, Any], ...]) -> Reason:
        if len(self) >= _SHARED:
            self.clear()
        reason = self[key] = _reason(self.template, met, values)
        return reason


class _Shared(_Built):
    """The reasons of a part whose values depend on the citizen, by met and values."""

    __slots__ = ()

    def __missing__(self, key: tuple[bool, tuple[tuple[str, Any], ...]]) -> Reason:
        return self._keep(key, key[0], key[1])


class _ByValues(_Built):
    """The reasons of one criterion with one met built so far, by the values of its
    names: the value itself for one name, else their tuple; for a decimal number (equal
    to another written otherwise) its text, a whole number by itself (see
    :class:`_Split`)."""

    __slots__ = ("met", "names", "text")

    def __init__(self, template: dict[str, Any], names: tuple[str, ...], met: bool,
                 text: bool) -> None:
        super().__init__(template)
        self.names = names
        self.met = met
        self.text = text

    def __missing__(self, key: Any) -> Reason:
        names = self.names
        if len(names) == 1:
            values: tuple[tuple[str, Any], ...] = (
                (names[0], Decimal(key) if self.text and key.__class__ is str else key),)
        else:
            values = tuple(zip(names, key, strict=True))
        return self._keep(key, self.met, values)


class _Split:
    """The reasons of a criterion that always reads the same names, built so far: by its
    met, then by the values (the generated code looks ``true``/``false`` up directly; a
    key ``(met, value, ...)`` as :class:`_Shared` takes it is looked up here)."""

    __slots__ = ("false", "single", "text", "true")

    def __init__(self, template: dict[str, Any], names: tuple[str, ...],
                 text: bool = False) -> None:
        self.true = _ByValues(template, names, True, text)
        self.false = _ByValues(template, names, False, text)
        self.single = len(names) == 1
        self.text = text

    def __getitem__(self, key: tuple[Any, ...]) -> Reason:
        by = key[1] if self.single else key[1:]
        if self.text and by.__class__ is not int:
            by = str(by)
        return (self.true if key[0] else self.false)[by]


class _Plan:
    """What the reasons of a policy's decisions share: the generated function of their
    dynamic parts (:mod:`udbudsregler.codegen.reason_parts`); per reason, everything else
    (kind, id, title, legal basis, source, reading, group, place, overrides), prepared
    once; per reason whose values are of types equal only when written alike, the reasons
    built so far by their met and values (a target group's two reasons are built here);
    per outcome of a decision (its shared parts), the routing, supplier and package
    reasons and the flags the parts must agree with."""

    def __init__(self, policy: Program) -> None:
        graph = policy.graph
        code = policy.code
        parts = code.reason_parts
        assert parts is not None
        self.policy = policy
        self.parts = parts.function
        self.routing = _Routing(policy)
        group_of = {c: g for g, group in graph.target_groups.items() for c in group.criteria}
        #: per keyed reason (in the order of the keys), its reasons by key (a target
        #: group's two, built here; the others' as they are met)
        self.dicts: list[dict[Any, Reason] | _Split] = []
        #: per other reason, its template (its met and values come as a pair)
        self.built: list[dict[str, Any]] = []
        keyed_at: list[int] = []
        built_at: list[int] = []
        areas: list[int] = []
        for at, entry in enumerate(parts.entries):
            if entry.kind == "target_group":
                group = graph.target_groups[entry.name]
                gspec = group.spec
                shared: dict[Any, Reason] | _Split = {inside: Reason(
                    "target_group", entry.name, gspec.title, inside, gspec.legal_basis,
                    gspec.source, None, (), None, group.at) for inside in (True, False)}
            elif entry.kind == "criterion":
                node = graph.nodes[entry.name]
                spec = node.spec
                template = _template(
                    kind="criterion", id=entry.name, title=spec.title,
                    legal_basis=spec.legal_basis, source=spec.source, reading=spec.reading,
                    group=group_of[entry.name], at=node.at,
                    overrides=policy.overrides_for(entry.name, "criterion", node.path))
                shared = _Shared(template) if entry.names is None \
                    else _Split(template, entry.names, entry.text)
            else:
                areas.append(at)
                # an area without a condition: the interpreted path's reasons too
                shared = self.routing.shared[entry.name] if entry.keyed else {}
                template = _area_template(graph.areas[entry.name])
            if entry.keyed:
                self.dicts.append(shared)
                keyed_at.append(at)
            else:
                self.built.append(template)
                built_at.append(at)
        self.n = len(self.dicts)
        #: the reasons themselves, by the generated code
        self.fast = parts.bind(self.dicts, [partial(_reason, t) for t in self.built])
        #: how many reasons come before the areas'
        self.before_areas = len(parts.entries) - len(areas)
        # the reasons in order, from the keyed ones followed by the built ones
        where = {at: i for i, at in enumerate([*keyed_at, *built_at])}
        self.order = _picker([where[at] for at in range(len(parts.entries))])
        #: per outcome (a decision's shared parts, by identity): (the parts, the flags of
        #: the groups and areas, the routing reasons, whether it has area reasons)
        self.outcomes: dict[int, tuple[Any, tuple[bool, ...], tuple[Reason, ...], bool]] = {}

    def outcome(self, decision: DecisionView, parts: Any
                ) -> tuple[Any, tuple[bool, ...], tuple[Reason, ...], bool]:
        """What the reasons of every decision with the same outcome share."""
        policy = self.policy
        chosen = decision.target_groups
        flags = [g in chosen for g in policy.groups]
        routed = decision.routing
        areas = bool(policy.graph.areas and routed is not None)
        if areas and routed is not None:
            fitting = routed.fitting
            flags += [a in fitting for a in policy.priority]
        found = (parts, tuple(flags), tuple(tail_reasons(policy, decision)), areas)
        if parts is not None:
            if len(self.outcomes) >= _SHARED:
                self.outcomes.clear()
            self.outcomes[id(parts)] = found
        return found

    def reasons(self, decision: DecisionView) -> tuple[Reason, ...]:
        reasons, got = self.fast(decision.facts, decision.on, getattr(decision, "_memo", None))
        parts = getattr(decision, "_parts", None)
        found = self.outcomes.get(id(parts))
        if found is None or found[0] is not parts:
            found = self.outcome(decision, parts)
        _, flags, tail, areas = found
        if got != flags and got[:len(flags)] != flags:
            raise self.disagreement(got, flags)
        return (reasons if areas else reasons[:self.before_areas]) + tail

    def slow(self, decision: DecisionView) -> tuple[tuple[Reason, ...], tuple[bool, ...]]:
        """The reasons and the flags as :attr:`fast` gives them, the other way: the parts,
        then the lookups and the builders here (what the tests hold the fast way to)."""
        values = self.parts(decision.facts, decision.on, getattr(decision, "_memo", None))
        reasons = [shared[key] for shared, key in zip(self.dicts, values, strict=False)]
        n = self.n
        reasons += map(_reason, self.built, values[n + 1], values[n + 2])
        return self.order(reasons), values[n]

    def disagreement(self, got: tuple[bool, ...], flags: tuple[bool, ...]
                     ) -> EvaluationError:
        policy = self.policy
        names = [f"target group `{g}`" for g in policy.groups]
        names += [f"service area `{a}`" for a in policy.priority]
        for name, mine, theirs in zip(names, got, flags, strict=False):
            if mine != theirs:
                return _disagree(name)
        raise AssertionError("no disagreement")  # pragma: no cover


def _picker(positions: list[int]) -> Callable[[list[Reason]], tuple[Reason, ...]]:
    """``seq -> tuple(seq[i] for i in positions)``, in C when it can be."""
    if len(positions) > 1:
        return itemgetter(*positions)
    return lambda seq: tuple(seq[i] for i in positions)


def _plan(policy: Program) -> _Plan:
    plan = policy._reasons_plan
    if plan is None:
        plan = policy._reasons_plan = _Plan(policy)
    assert isinstance(plan, _Plan)
    return plan


def reasons_for(policy: Program, decision: DecisionView) -> tuple[Reason, ...]:
    """Why each part of a decision came out as it did: by the generated code, or by the
    reference interpreter where it fails (UDB704 if either ever disagrees with the
    decision's outputs)."""
    plan = policy._reasons_plan
    try:
        return (plan if plan is not None else _plan(policy)).reasons(decision)
    except FAILURES:  # the interpreter's reasons, or its error (UDB704 included)
        return interpreted_reasons(policy, decision)


class _Routing:
    """What the routing reasons of a policy's decisions share: per area (in priority
    order) its fixed fields; per area without a condition of its own (whose reason shows
    only the groups it serves), its reasons so far by fit and values (the same cache for
    the compiled and the interpreted reasons); the supplier reasons so far, by area and
    choice."""

    def __init__(self, policy: Program) -> None:
        graph = policy.graph
        self.areas = [graph.areas[area_id] for area_id in policy.priority]
        self.priority = tuple(policy.priority)
        plain = [area for area in self.areas if area.spec.when is None]
        #: ... and the groups whose values they show (the groups it serves that exist)
        self.names = {area.name: tuple(g for g in area.spec.serves
                                       if g in graph.target_groups) for area in plain}
        self.shared = {area.name: _Split(_area_template(area), self.names[area.name])
                       for area in plain}
        self.suppliers: dict[Any, Reason] = {}


def routing_reasons(policy: Program, decision: DecisionView,
                    fits: Callable[[Area], tuple[bool, dict[str, Any]]],
                    groups: dict[str, bool]) -> list[Reason]:
    """The reasons of the areas (``fits(area)``: whether the citizen fits it, and what its
    condition read; ``groups``: whether the citizen is in each target group), the routing,
    the supplier and the package."""
    if not policy.graph.areas or decision.routing is None:
        return []
    static = _plan(policy).routing
    fitting = decision.routing.fitting
    reasons: list[Reason] = []
    for area in static.areas:
        area_id = area.name
        serves = area.spec.serves
        values: list[tuple[str, Any]] = [(g, groups[g]) for g in serves if g in groups]
        fit, reads = fits(area)
        values += [(k, v) for k, v in reads.items() if k not in serves and k != "today"]
        if fit != (area_id in fitting):
            raise _disagree(f"service area `{area_id}`")
        shown = tuple(values)
        shared = static.shared.get(area_id)
        if shared is not None and tuple(n for n, _ in shown) == static.names[area_id]:
            # by the key of the compiled reasons: the fit and the groups' values
            reasons.append(shared[(fit, *[v for _, v in shown])])
            continue
        spec = area.spec
        reasons.append(_make("area", area_id, spec.title, fit, spec.legal_basis, spec.source,
                             spec.reading, shown, None, area.at))
    return reasons + tail_reasons(policy, decision)


def tail_reasons(policy: Program, decision: DecisionView) -> list[Reason]:
    """The reasons of the routing, the supplier and the package: they depend on the
    decision's outcome alone."""
    graph = policy.graph
    routed = decision.routing
    if not graph.areas or routed is None:
        return []
    static = _plan(policy).routing
    reasons: list[Reason] = []
    fitting = routed.fitting
    routing = graph.routing
    chosen = routed.area
    assert routing is not None
    rspec = routing.spec
    reasons.append(_make(
        "routing", chosen or "", graph.areas[chosen].title if chosen else "",
        chosen is not None, rspec.legal_basis if rspec else None,
        rspec.source if rspec else None, rspec.reading if rspec else None,
        # exclusive areas have no priority: the only fitting area is chosen
        # (lists that refuse changes: an outcome's reasons are shared by its decisions)
        (("fitting", SharedList(fitting)),
         ("exclusive", True) if routing.exclusive else ("priority",
                                                        SharedList(static.priority))),
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
            package_values.append(("span", SharedList(package.span)))
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
