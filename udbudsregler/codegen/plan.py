"""What the generated code plans before it is written, and how criteria fail.

- :func:`hot_references`: how often the decision's code reads each named node, so a
  node read once is inlined where it is read;
- :func:`dated_nodes`: the nodes that do not depend on the citizen, cached per date;
- :func:`depths`: how deeply each node's expression nests, so inlining stops before the
  generated code nests too deeply for Python;
- :func:`kleene`: a target group's criteria with three values, the fallback of the
  generated `and`/`or` chain when a criterion fails.
"""

from __future__ import annotations

from typing import Any

from udbudsregler.diagnostics import EvaluationError
from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import RuleGraph
from udbudsregler.semantics.types import ListType, RecordType, SetType

__all__ = ["FAILURES", "dated_nodes", "depths", "hot_references", "kleene"]


#: What a failing part of a decision raises (a date beyond the calendar, a division by
#: zero, a period that ends before it starts, ...).
FAILURES = (EvaluationError, ArithmeticError, ValueError)

Tree = tuple[Any, ...]


def _kleene(f: Any, m: Any, tree: Tree) -> tuple[bool | None, BaseException | None]:
    kind = tree[0]
    if kind == "c":
        try:
            return bool(tree[1](f, m)), None
        except FAILURES as failure:
            return None, failure
    if kind == "not":
        value, problem = _kleene(f, m, tree[1])
        return (None if value is None else not value), problem
    decisive = kind == "any"  # the value of one item that decides the whole
    first_error: BaseException | None = None
    unknown = False
    for item in tree[1]:
        value, problem = _kleene(f, m, item)
        if value is decisive:
            return decisive, None
        if value is None:
            unknown = True
            first_error = first_error or problem
    return (None, first_error) if unknown else (not decisive, None)


def kleene(f: Any, m: Any, tree: Tree) -> bool:
    """A criteria tree with three values: a criterion that cannot be evaluated (its
    computation fails) is unknown; `all` is false if any item is false, whatever the
    others; `any` is true if any item is true; otherwise an unknown item makes the whole
    unknown, and its failure is raised. So the order of the criteria never matters, and
    a decision fails only when no criterion settles it.
    """
    value, error = _kleene(f, m, tree)
    if value is None:
        assert error is not None
        raise error
    return value


_READ = ("rule", "target_group")


def hot_references(graph: RuleGraph) -> dict[str, int]:
    """How often the decision's code reads each rule, criterion, target group and area;
    a read inside a loop counts as many."""
    refs: dict[str, int] = {}

    def add(name: str, weight: int) -> None:
        refs[name] = refs.get(name, 0) + weight

    def visit(expr: I.Expr, loop: bool) -> None:
        stack = [(expr, loop)]
        while stack:
            node, inside = stack.pop()
            match node:
                case I.NodeRef(name=name):
                    if graph.kind_of(name) in _READ:
                        add(name, 2 if inside else 1)
                case I.Loop(source=source, where=where, value=value, default=default):
                    stack.append((source, inside))
                    stack.extend((x, True) for x in (where, value) if x is not None)
                    if default is not None:
                        stack.append((default, inside))
                case _:
                    stack.extend((child, inside) for child in I.children(node))

    for node in graph.nodes.values():
        # What a decision reads; tender values and invariants are computed on their own.
        if node.kind in ("rule", "criterion", "area") and node.expr is not None:
            visit(node.expr, False)
        elif node.kind == "target_group" and node.expr is not None:
            for ref in I.refs(node.expr):
                add(ref.name, 1)
    for group in graph.target_groups:
        add(group, 1)
    for area in graph.areas.values():
        add(area.fits, 1)
    return refs


def dated_nodes(graph: RuleGraph) -> set[str]:
    """Rules and tender values that do not depend on the citizen: their value depends on
    the decision date at most, so it can be cached per date across decisions (immutable
    values only)."""
    out: set[str] = set()
    for name, node in graph.nodes.items():
        if node.kind not in ("rule", "value"):
            continue
        closure = graph.closure([name])
        if any(graph.kind_of(n) not in ("rule", "parameter", "value") for n in closure):
            continue
        if isinstance(node.type, (ListType, SetType, RecordType)):
            continue
        out.add(name)
    return out


def depths(graph: RuleGraph) -> dict[str, int]:
    """How deeply each node's expression nests (its own tree, not the nodes it reads)."""
    out: dict[str, int] = {}
    for name, node in graph.nodes.items():
        deepest = 0
        for _, expr in ((node, node.expr), *((node, v.expr) for v in node.values)):
            if expr is None:
                continue
            stack = [(expr, 1)]
            while stack:
                current, level = stack.pop()
                deepest = max(deepest, level)
                stack.extend((child, level + 1) for child in I.children(current))
        out[name] = deepest
    return out
