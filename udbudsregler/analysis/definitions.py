"""The static part of the rule-change diff: which definitions differ between two policies.

:func:`changed_definitions` flattens every definition of each policy (facts, parameters,
rules, criteria, target groups, outcomes, service areas, routing, course packages, price
models, the referral) into fields, each with the canonical text of its expression (so that
a change of layout or spacing is no change), and compares them field by field. A change of
a title, a reading or a source is *wording only*: it can change explanations, never a
decision. Each :class:`Definition` knows its rule-graph node, so that a changed decision
can be traced to the definitions it depends on (:mod:`udbudsregler.analysis.responsible`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from udbudsregler.expr.printer import to_text
from udbudsregler.expr.source import SourceExpr
from udbudsregler.ir import nodes as I

if TYPE_CHECKING:
    from udbudsregler.policy import Policy

__all__ = ["KIND_ORDER", "Change", "Definition", "changed_definitions", "invariants_reading"]

#: Keys whose change alters only the wording of explanations, never a decision.
_WORDING = frozenset({"title", "description", "source", "reading", "legal_basis", "note",
                      "name", "placeholder", "current_suppliers"})


@dataclass(frozen=True)
class Change:
    field: str
    old: str | None  # None: not there
    new: str | None
    #: False when only the wording (titles, readings, sources) changed.
    semantic: bool

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new,
                "semantic": self.semantic}


@dataclass(frozen=True)
class Definition:
    """A definition that differs between the two policies."""

    kind: str  # fact | parameter | rule | criterion | target_group | service_area | ...
    name: str
    changes: tuple[Change, ...]
    old_at: str | None
    new_at: str | None
    #: The new policy overrides the old one's definition (``extends:``).
    overridden: bool = False

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}" if self.name else self.kind

    @property
    def semantic(self) -> bool:
        return any(c.semantic for c in self.changes)

    @property
    def node(self) -> str:
        """The rule graph's name for the definition."""
        prefix = {"service_area": "service_areas.", "course_package": "course_packages.",
                  "price_model": "price_models."}.get(self.kind)
        if prefix:
            return prefix + self.name
        return "" if self.kind in ("routing", "outcome") else self.name

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "semantic": self.semantic,
                "overridden": self.overridden, "old_at": self.old_at, "new_at": self.new_at,
                "changes": [c.to_dict() for c in self.changes]}


def _at(policy: Policy, path: tuple[str | int, ...]) -> str | None:
    positions = policy.source.positions
    info = positions.get(path) or positions.nearest(path)
    if info is None:
        return None
    span = info.key_span or info.span
    return f"{span.file}:{span.line}"


@functools.lru_cache(maxsize=8)
def _sources(policy: Policy) -> dict[tuple[str | int, ...], SourceExpr]:
    """The expressions of the rule graph, by their path in the document."""
    out: dict[tuple[str | int, ...], SourceExpr] = {}
    for _, expr in policy.checked.walk():
        if expr.loc is not None:
            out.setdefault(expr.loc.expr.path, expr.loc.expr)
    return out


def _canon(policy: Policy, path: tuple[str | int, ...], text: str) -> str:
    """The canonical text of the expression at ``path`` (its source text if it did not
    parse)."""
    found = _sources(policy).get(path)
    if found is not None and found.ast is not None:
        return to_text(found.ast)
    return " ".join(text.split())


def _flatten(policy: Policy, value: Any, path: tuple[str | int, ...], label: str,
             out: dict[str, tuple[str, bool, tuple[str | int, ...]]], wording: bool) -> None:
    """Leaves of a dumped spec as ``label -> (text, semantic, document path)``."""
    if isinstance(value, dict):
        for key, child in value.items():
            if child is None or key == "id":
                continue
            name = "from" if key == "from_" else key
            _flatten(policy, child, (*path, name), f"{label}.{name}" if label else name, out,
                     wording or name in _WORDING)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        ids = [str(child["id"]) for child in value if "id" in child]
        if len(ids) == len(value):  # their order matters (rotation, ties): compare it too
            out[label] = (", ".join(ids), not wording, path)
        for i, child in enumerate(value):
            key = child.get("id", i)
            _flatten(policy, child, (*path, i), f"{label}[{key}]", out, wording)
    elif isinstance(value, list):
        out[label] = (", ".join(str(v) for v in value), not wording, path)
    elif isinstance(value, str) and not wording:
        out[label] = (_canon(policy, path, value), True, path)
    else:
        shown = " ".join(value.split()) if isinstance(value, str) else str(value)
        out[label] = (shown, not wording, path)


def _structure(node: I.Expr) -> str:
    if isinstance(node, I.NodeRef):
        return node.name
    assert isinstance(node, I.Criteria)
    return f"{node.op}({', '.join(_structure(i) for i in node.items)})"


def _text(expr: I.Expr | None) -> str:
    if expr is None or expr.loc is None:
        return ""
    source = expr.loc.expr
    return to_text(source.ast) if source.ast is not None else " ".join(source.text.split())


def _entries(policy: Policy) -> dict[tuple[str, str], tuple[tuple[str | int, ...], dict[
        str, tuple[str, bool, tuple[str | int, ...]]]]]:
    """Every definition of a policy: ``(kind, name) -> (path, fields)``."""
    graph = policy.checked
    out: dict[tuple[str, str], Any] = {}

    def add(kind: str, name: str, path: tuple[str | int, ...], spec: Any,
            extra: Mapping[str, tuple[str, bool, tuple[str | int, ...]]] | None = None,
            skip: tuple[str, ...] = ()) -> None:
        fields: dict[str, tuple[str, bool, tuple[str | int, ...]]] = {}
        if spec is not None:
            dump = spec.model_dump()
            _flatten(policy, {k: v for k, v in dump.items() if k not in skip}, path, "",
                     fields, False)
        fields.update(extra or {})
        out[(kind, name)] = (path, fields)

    for name, fact in graph.facts.items():
        add("fact", name, fact.path, fact.spec)
    for name in graph.written:
        node = graph.nodes[name]
        if node.kind == "parameter":
            shown = "; ".join((f"from {v.start.isoformat()}: " if v.start else "") +
                              _text(v.expr) for v in node.values)
            add("parameter", name, node.path, node.spec,
                {"value": (shown, True, (*node.path, "value"))}, skip=("value", "values"))
    for name in graph.written:
        node = graph.nodes[name]
        if node.kind == "rule":
            add("rule", name, node.path, node.spec,
                {"value": (_text(node.expr), True, (*node.path, "value"))}, skip=("value",))
    for name in graph.written:
        node = graph.nodes[name]
        if node.kind == "criterion":
            add("criterion", name, node.path, node.spec,
                {"when": (_text(node.expr), True, (*node.path, "when")),
                 "group": (node.owner or "", True, node.path)}, skip=("when",))
    for name, group in graph.target_groups.items():
        add("target_group", name, group.path, group.spec,
            {"criteria": (_structure(group.tree(graph)), True, (*group.path, "criteria"))},
            skip=("criteria",))
    for kind, table in (("outcome", graph.outcomes), ("service_area", graph.areas),
                        ("course_package", graph.packages),
                        ("price_model", graph.price_models)):
        for name, entry in table.items():
            add(kind, name, entry.path, entry.spec)
    if graph.routing is not None and graph.routing.path is not None:
        add("routing", "", graph.routing.path, graph.routing.spec)
    if graph.referral is not None:
        add("referral", "", graph.referral.path, graph.referral.spec)
    return out


#: The kinds of definition, in the order they are listed.
KIND_ORDER = ("fact", "parameter", "rule", "criterion", "target_group", "outcome",
              "service_area", "routing", "course_package", "price_model", "referral")


def changed_definitions(old: Policy, new: Policy) -> list[Definition]:
    """The definitions that differ between ``old`` and ``new``: added, removed, or with a
    field whose canonical text differs; semantic changes first, then wording only."""
    before, after = _entries(old), _entries(new)
    overrides = new.checked.overrides
    found: list[Definition] = []
    for key in sorted(before.keys() | after.keys(),
                      key=lambda k: (KIND_ORDER.index(k[0]), k[1])):
        old_path, old_fields = before.get(key, ((), {}))
        new_path, new_fields = after.get(key, ((), {}))
        changes: list[Change] = []
        Where = tuple[str | int, ...] | None
        paths: list[tuple[bool, Where, Where]] = []  # (semantic, old path, new path)
        for name in [*old_fields, *(f for f in new_fields if f not in old_fields)]:
            a, b = old_fields.get(name), new_fields.get(name)
            if a is not None and b is not None and a[0] == b[0]:
                continue
            semantic = (a or b or ("", True, ()))[1]
            changes.append(Change(name, a[0] if a else None, b[0] if b else None, semantic))
            paths.append((semantic, a[2] if a else None, b[2] if b else None))
        overridden = key in after and new_path in overrides
        if not changes and not overridden:
            continue
        if key not in before or key not in after:
            changes = [Change("", "defined" if key in before else None,
                              "defined" if key in after else None, True)]
        # where: the first change that matters for decisions (else the first), else the entry
        paths.sort(key=lambda p: not p[0])
        old_spot = next((p[1] for p in paths if p[1] is not None), None)
        new_spot = next((p[2] for p in paths if p[2] is not None), None)
        old_at = new_at = None
        if key in before:
            old_at = (_at(old, old_spot) if old_spot else None) or _at(old, old_path)
        if key in after:
            new_at = (_at(new, new_spot) if new_spot else None) or _at(new, new_path)
        found.append(Definition(key[0], key[1], tuple(changes), old_at, new_at, overridden))
    found.sort(key=lambda d: not d.semantic)
    return found


def invariants_reading(policy: Policy, definitions: list[Definition]) -> list[
        tuple[str, str, tuple[str, ...]]]:
    """The invariants of ``policy`` that read a definition changed in a way that can
    change decisions or payments: (id, title, the changed definitions it reads).

    A ``holds:`` invariant reads what its condition reads, transitively; a built-in check
    reads what it checks: the target groups, areas and routing (``eligible_routed``),
    the target groups (``failed_criterion_blocks``), the tender values, packages, price
    models and referral rule (the settlement checks)."""
    graph = policy.graph
    changed = [d for d in definitions if d.semantic]
    tender_kinds = ("course_package", "price_model", "referral", "outcome")
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for name, invariant in graph.invariants.items():
        check = invariant.spec.check
        roots: list[str] = []
        kinds: tuple[str, ...] = ()
        if invariant.holds is not None:
            roots = [invariant.holds]
        elif check == "eligible_routed":
            roots = [*(g.node for g in graph.target_groups.values()),
                     *(a.fits for a in graph.areas.values())]
            kinds = ("routing",)
        elif check == "failed_criterion_blocks":
            roots = [g.node for g in graph.target_groups.values()]
        else:
            roots = [n for n, node in graph.nodes.items() if node.kind == "value"]
            kinds = tender_kinds
        reads = graph.closure(roots)
        direct = set(graph.nodes[invariant.holds].deps) if invariant.holds else set()
        hits = tuple(d.label + (" (named in its condition: it moves with the change)"
                                if d.node in direct and d.kind == "parameter" else "")
                     for d in changed if d.kind in kinds or (d.node and d.node in reads))
        if hits:
            out.append((name, invariant.spec.title, hits))
    return out
