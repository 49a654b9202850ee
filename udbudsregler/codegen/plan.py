"""What the generated code plans before it is written, and how criteria fail.

- :func:`hot_references`: how often the decision's code reads each named node, so a
  node read once is inlined where it is read;
- :func:`dated_rules`: the rules that do not depend on the citizen, cached per date;
- :func:`kleene`: a target group's criteria with three values, the fallback of the
  generated `and`/`or` chain when a criterion fails.
"""

from __future__ import annotations

from typing import Any

from udbudsregler.checker.check import CheckedPolicy
from udbudsregler.diagnostics import EvaluationError
from udbudsregler.expr import ast as A
from udbudsregler.semantics.types import ListType, RecordType, SetType

__all__ = ["FAILURES", "dated_rules", "hot_references", "kleene"]


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


def hot_references(checked: CheckedPolicy) -> dict[str, int]:
    """How often the decision's code reads each rule, criterion, target group and area;
    a read inside a loop counts as many."""
    parsed = checked.parsed
    doc = parsed.doc
    refs: dict[str, int] = {}

    def add(name: str, weight: int) -> None:
        refs[name] = refs.get(name, 0) + weight

    def visit(node: A.Expr, loop: bool) -> None:
        match node:
            case A.Name():
                symbol = checked.symbol_of(node)
                if symbol is not None and symbol.kind in ("rule", "target_group"):
                    add(node.id, 2 if loop else 1)
            case A.Quantifier(source=source, where=where):
                visit(source, loop)
                if where is not None:
                    visit(where, True)
            case A.Aggregate(value=value, source=source, where=where, default=default):
                visit(source, loop)
                visit(value, True)
                if where is not None:
                    visit(where, True)
                if default is not None:
                    visit(default, loop)
            case _:
                for child in A.children(node):
                    visit(child, loop)

    for expr in parsed.rules.values():
        if expr.ast is not None:
            visit(expr.ast, False)
    for ident, site in parsed.criteria.items():
        add(ident, 1)
        if site.when.ast is not None:
            visit(site.when.ast, False)
    for name, area in doc.domain.areas.items():
        for group in area.spec.serves:
            add(group, 1)
        when = parsed.domain.get((*area.path, "when"))
        if when is not None and when.expr.ast is not None:
            visit(when.expr.ast, False)
        add(f"service_areas.{name}", 1)
    for group in doc.target_groups:
        add(group, 1)
    return refs


def dated_rules(checked: CheckedPolicy) -> set[str]:
    """Rules that do not depend on the citizen: their value depends on the decision date
    at most, so it can be cached per date across decisions (immutable values only)."""
    graph = checked.graph
    out: set[str] = set()
    for name, node in graph.nodes.items():
        if node.kind != "rule":
            continue
        closure = graph.closure([name])
        if any(graph.nodes[n].kind not in ("rule", "parameter") for n in closure):
            continue
        if isinstance(checked.rule_types.get(name), (ListType, SetType, RecordType)):
            continue
        out.add(name)
    return out
