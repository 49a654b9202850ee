"""Stage ``graph``: the rule graph of a policy.

Named things are nodes (facts, parameters, rules, criteria, target groups);
a reference from one to another is an edge. Cycles are rejected with their
whole path; rules, facts and parameters that no output reaches are warnings.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from udbudsregler.diagnostics import DiagnosticBag, Span, closest
from udbudsregler.expr import ast as A
from udbudsregler.expr.collect import ParsedPolicy
from udbudsregler.expr.source import Path, SourceExpr
from udbudsregler.loader.validate import AllOf, AnyOf, CriteriaNode, CriterionEntry, NotOf

__all__ = ["GraphNode", "RuleGraph", "build_graph"]


@dataclass
class GraphNode:
    name: str
    kind: str  # fact | parameter | rule | criterion | target_group
    path: Path
    #: Referenced node names, each with the expression and position of its first reference.
    deps: dict[str, tuple[SourceExpr | None, A.Pos]] = field(default_factory=dict)


@dataclass
class RuleGraph:
    nodes: dict[str, GraphNode]
    #: Node names with every dependency before its dependents (cycle members left out).
    order: list[str]
    cyclic: set[str]
    roots: list[str]
    reachable: set[str]

    def dependencies(self, name: str) -> list[str]:
        return list(self.nodes[name].deps)

    def closure(self, names: Iterable[str]) -> set[str]:
        """The names and everything they depend on, transitively."""
        seen: set[str] = set()
        stack = list(names)
        while stack:
            current = stack.pop()
            if current in seen or current not in self.nodes:
                continue
            seen.add(current)
            stack.extend(self.nodes[current].deps)
        return seen


def _refs(expr: SourceExpr, known: set[str]) -> dict[str, tuple[SourceExpr | None, A.Pos]]:
    out: dict[str, tuple[SourceExpr | None, A.Pos]] = {}
    if expr.ast is None:
        return out
    for name in A.free_names(expr.ast):
        if name.id in known and name.id not in out:
            out[name.id] = (expr, name.pos)
    return out


def _criteria_ids(node: CriteriaNode) -> list[str]:
    if isinstance(node, CriterionEntry):
        return [node.spec.id]
    if isinstance(node, (AllOf, AnyOf)):
        return [i for item in node.items for i in _criteria_ids(item)]
    assert isinstance(node, NotOf)
    return _criteria_ids(node.item)


def build_graph(parsed: ParsedPolicy, bag: DiagnosticBag,
                extra_roots: Iterable[str] = ()) -> RuleGraph:
    doc = parsed.doc
    # Whether a definition is unused can only be told when every definition was read
    # and parsed: after an earlier error, the only reference may be in the part that failed.
    complete = not bag.has_errors
    nodes: dict[str, GraphNode] = {}
    for name, fact in doc.facts.items():
        nodes[name] = GraphNode(name, "fact", fact.path)
    for name, param in doc.parameters.items():
        nodes[name] = GraphNode(name, "parameter", param.path)
    for name, rule in doc.rules.items():
        nodes[name] = GraphNode(name, "rule", rule.path)
    for ident, site in parsed.criteria.items():
        nodes.setdefault(ident, GraphNode(ident, "criterion", site.entry.path))
    for name, group in doc.target_groups.items():
        nodes.setdefault(name, GraphNode(name, "target_group", group.path))
    # Criteria are not names of the expression language: only their group refers to them.
    known = {n for n, node in nodes.items() if node.kind != "criterion"}

    for name, values in parsed.parameters.items():
        for value in values:
            for dep, ref in _refs(value.expr, known).items():
                nodes[name].deps.setdefault(dep, ref)
    for name, expr in parsed.rules.items():
        nodes[name].deps.update(_refs(expr, known))
    for ident, site in parsed.criteria.items():
        if nodes[ident].kind == "criterion":
            nodes[ident].deps.update(_refs(site.when, known))
    for name, group in doc.target_groups.items():
        if group.criteria is not None and nodes[name].kind == "target_group":
            for ident in _criteria_ids(group.criteria):
                if ident in nodes:
                    nodes[name].deps.setdefault(ident, (None, (0, 0)))

    domain_roots = _domain_nodes(parsed, nodes, known)
    cyclic = _report_cycles(nodes, bag, parsed)
    order = _topological(nodes, cyclic)
    roots = [n for n, node in nodes.items() if node.kind == "target_group"]
    roots += domain_roots + list(extra_roots)
    graph = RuleGraph(nodes, order, cyclic, roots, set())
    graph.reachable = graph.closure(roots)
    if complete:
        _report_unused(graph, parsed, bag)
    return graph


def _domain_nodes(parsed: ParsedPolicy, nodes: dict[str, GraphNode], known: set[str]) -> list[str]:
    """Nodes for the tender sections: areas, packages, price models and the referral rule."""
    domain = parsed.doc.domain
    added: list[str] = []

    def add(name: str, kind: str, path: Path) -> GraphNode:
        node = GraphNode(name, kind, path)
        nodes[name] = node
        added.append(name)
        return node

    for name, outcome in domain.outcomes.items():
        if outcome.spec.holds is not None:
            add(f"outcomes.{name}", "outcome", outcome.path)
    for name, area in domain.areas.items():
        node = add(f"service_areas.{name}", "area", area.path)
        for group in area.spec.serves:
            if group in nodes and nodes[group].kind == "target_group":
                node.deps.setdefault(group, (None, (0, 0)))
    for name, model in domain.price_models.items():
        add(f"price_models.{name}", "price_model", model.path)
    for name, package in domain.packages.items():
        node = add(f"course_packages.{name}", "package", package.path)
        price = f"price_models.{package.spec.price_model}"
        if price in nodes:
            node.deps.setdefault(price, (None, (0, 0)))
    if domain.referral is not None:
        add("referral", "referral", domain.referral.path)
    for name, invariant in domain.invariants.items():
        add(f"invariants.{name}", "invariant", invariant.path)
    for expr in parsed.domain.values():
        owner = nodes.get(expr.site.owner)
        if owner is not None:
            for dep, ref in _refs(expr.expr, known).items():
                owner.deps.setdefault(dep, ref)
    return added


def _strongly_connected(nodes: dict[str, GraphNode]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (policies may have long chains of rules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, list(nodes[root].deps))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            current, pending = work[-1]
            if pending:
                nxt = pending.pop(0)
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, list(nodes[nxt].deps)))
                elif nxt in on_stack:
                    low[current] = min(low[current], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[current])
            if low[current] == index[current]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == current:
                        break
                out.append(component)
    return out


def _report_cycles(nodes: dict[str, GraphNode], bag: DiagnosticBag,
                   parsed: ParsedPolicy) -> set[str]:
    cyclic: set[str] = set()
    position = {name: i for i, name in enumerate(nodes)}
    for component in _strongly_connected(nodes):
        members = set(component)
        if len(component) == 1 and component[0] not in nodes[component[0]].deps:
            continue
        cyclic |= members
        start = min(component, key=position.__getitem__)
        path = _cycle_path(nodes, start, members)
        shown = " -> ".join(f"`{n}`" for n in path)
        notes: list[tuple[str, Span | None]] = []
        for a, b in itertools.pairwise(path[1:]):
            notes.append((f"`{a}` refers to `{b}` here", _edge_span(nodes, a, b, parsed)))
        kinds = {nodes[n].kind for n in component}
        what = "rules" if kinds == {"rule"} else "definitions"
        bag.error("UDB501", f"{what} refer to each other in a cycle: {shown}",
                  _edge_span(nodes, path[0], path[1], parsed), notes=notes)
    return cyclic


def _cycle_path(nodes: dict[str, GraphNode], start: str, members: set[str]) -> list[str]:
    """A shortest path from ``start`` back to itself inside the component (BFS)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for current in frontier:
            for dep in nodes[current].deps:
                if dep not in members:
                    continue
                if dep == start:
                    chain = [current]
                    while chain[-1] != start:
                        chain.append(previous[chain[-1]])
                    chain.reverse()
                    return [*chain, start]
                if dep not in previous:
                    previous[dep] = current
                    following.append(dep)
        frontier = following
    return [start, start]  # pragma: no cover - a component always has a cycle


def _edge_span(nodes: dict[str, GraphNode], a: str, b: str, parsed: ParsedPolicy) -> Span | None:
    expr, pos = nodes[a].deps.get(b, (None, (0, 0)))
    if expr is not None:
        return expr.span(pos)
    return parsed.doc.key_span(nodes[a].path)


def _topological(nodes: dict[str, GraphNode], cyclic: set[str]) -> list[str]:
    order: list[str] = []
    done: set[str] = set(cyclic)
    for root in nodes:
        if root in done:
            continue
        work: list[tuple[str, bool]] = [(root, False)]
        while work:
            current, expanded = work.pop()
            if current in done:
                continue
            if expanded:
                done.add(current)
                order.append(current)
                continue
            work.append((current, True))
            work.extend((dep, False) for dep in nodes[current].deps if dep not in done)
    return order


_UNUSED = {"rule": ("UDB502", "rule"), "fact": ("UDB503", "fact"),
           "parameter": ("UDB504", "parameter")}


def _misspelt(graph: RuleGraph, parsed: ParsedPolicy) -> set[str]:
    """The definitions that names defined nowhere most resemble: the check stage reports
    each such name with a did-you-mean, so its target is not also reported as unused."""
    names = [n for n, node in graph.nodes.items() if node.kind != "criterion"] + ["today"]
    unresolved = {name.id for _, expr in parsed.expressions() if expr.ast is not None
                  for name in A.free_names(expr.ast) if name.id not in graph.nodes}
    return {close for word in unresolved if (close := closest(word, names)) is not None}


def _report_unused(graph: RuleGraph, parsed: ParsedPolicy, bag: DiagnosticBag) -> None:
    misspelt: set[str] | None = None  # found when first needed: most policies use everything
    # Which names something refers to, worked out once: asking every node about every
    # unused name made 20,000 unused rules take 19 s (issue 12, item 14).
    used = {dep for node in graph.nodes.values() for dep in node.deps}
    # a name a criterion's `show` lists is used by the explanations (with what it reads)
    shown = graph.closure([n for site in parsed.criteria.values()
                           for n in (site.entry.spec.show or []) if n in graph.nodes])
    for name, node in graph.nodes.items():
        if node.kind not in _UNUSED or name in graph.reachable or name in shown:
            continue
        if misspelt is None:
            misspelt = _misspelt(graph, parsed)
        if name in misspelt:
            continue
        code, kind = _UNUSED[node.kind]
        message = (f"{kind} `{name}` is used only by definitions no decision uses"
                   if name in used else f"{kind} `{name}` is never used")
        bag.warning(code, message, parsed.doc.key_span(node.path))
