"""Check the tender sections: references between them, and the types of their expressions."""

from __future__ import annotations

from collections import Counter

from udbudsregler.checker.check import CheckedPolicy, Checker
from udbudsregler.checker.graph import RuleGraph
from udbudsregler.diagnostics import DiagnosticBag, Span, did_you_mean, dotted_path
from udbudsregler.expr import ast as A
from udbudsregler.expr.collect import ParsedPolicy
from udbudsregler.loader.reporting import Path
from udbudsregler.semantics.types import BOOL, ERROR, HOURS, DurationType, MoneyType, Type

__all__ = ["check_domain", "check_policy"]

_EXPECTS = {"bool": "true or false", "money": "an amount", "hours": "a number of hours",
            "duration": "a duration such as `2 years` or `4 months`"}


def _fits(t: Type, expects: str) -> bool:
    if t == ERROR:
        return True
    if expects == "bool":
        return t == BOOL
    if expects == "money":
        return isinstance(t, MoneyType)
    if expects == "hours":
        return t == HOURS
    return isinstance(t, DurationType) and t.kind != "span"


def check_domain(checker: Checker) -> None:
    doc = checker.doc
    domain = doc.domain
    bag = checker.bag

    def key_span(path: Path) -> Span | None:
        return doc.key_span(path)

    def value_span(path: Path) -> Span | None:
        return doc.span(path)

    # The expressions, each with the type its place expects.
    facts = set(doc.facts)
    graph = checker.out.graph
    for parsed in checker.parsed.domain.values():
        site, expr = parsed.site, parsed.expr
        t = checker.check(expr)
        if expr.ast is None:
            continue
        if not _fits(t, site.expects):
            checker.expr = expr
            checker.error("UDB419", f"`{dotted_path(site.path)}` must give "
                          f"{_EXPECTS[site.expects]}, not {t.describe()}", expr.ast)
            continue
        if site.constant_only:
            names = {n.id for n in A.free_names(expr.ast)}
            closure = graph.closure(n for n in names if n in graph.nodes)
            used = closure & facts
            dated = "today" in names or any(
                _reads_today(checker, n) for n in closure if graph.nodes[n].kind == "rule")
            if used or dated:
                checker.expr = expr
                what = f"the fact `{sorted(used)[0]}`" if used else "the decision date `today`"
                checker.error(
                    "UDB427", f"this depends on {what}", expr.ast,
                    None if used else "a price or duration that changes on a date is a "
                    "parameter with dated `values`; settlement applies each value from its date")

    groups = set(doc.target_groups) | doc.broken
    broken = domain.broken
    for name, area in domain.areas.items():
        for i, group in enumerate(area.spec.serves):
            if group not in groups and group not in broken:
                bag.error("UDB420", f"service area `{name}` serves `{group}`, which is not a "
                          "target group", value_span((*area.path, "serves", i)),
                          did_you_mean(group, list(doc.target_groups)))

    _routing(checker)

    used_models: set[str] = set()
    for name, package in domain.packages.items():
        for i, area_name in enumerate(package.spec.areas):
            if area_name not in domain.areas and area_name not in broken:
                bag.error("UDB421", f"package `{name}` is offered in `{area_name}`, which is not "
                          "a service area", value_span((*package.path, "areas", i)),
                          did_you_mean(area_name, list(domain.areas)))
        model = package.spec.price_model
        used_models.add(model)
        if model not in domain.price_models and model not in broken:
            bag.error("UDB425", f"package `{name}` is paid by `{model}`, which is not a price "
                      "model", value_span((*package.path, "price_model")),
                      did_you_mean(model, list(domain.price_models)))
        _span_order(checker, name, package.path)

    used_outcomes: set[str] = set()
    outcome_refs: list[tuple[str, Path]] = []
    for name, model_entry in domain.price_models.items():
        for i, bonus in enumerate(model_entry.spec.bonuses):
            outcome_refs.append((bonus.outcome, (*model_entry.path, "bonuses", i, "outcome")))
        if name not in used_models and not bag.has_errors:
            bag.warning("UDB429", f"price model `{name}` is used by no package",
                        key_span(model_entry.path))
    if domain.referral is not None and domain.referral.spec.ends_on is not None:
        outcome_refs.append((domain.referral.spec.ends_on, ("referral", "ends_on")))
    for outcome, path in outcome_refs:
        used_outcomes.add(outcome)
        if outcome not in domain.outcomes and outcome not in domain.broken:
            bag.error("UDB426", f"`{outcome}` is not an outcome", value_span(path),
                      did_you_mean(outcome, list(domain.outcomes)) or
                      "declare it under `outcomes:` with a title")
    for name, outcome_entry in domain.outcomes.items():
        if name not in used_outcomes and not bag.has_errors:
            bag.warning("UDB429", f"outcome `{name}` is used by no bonus or referral rule",
                        key_span(outcome_entry.path))
    _invariant_dates(checker)


def _invariant_dates(checker: Checker) -> None:
    """An invariant's `on` must fall within the round: no decision can be made outside it."""
    header = checker.doc.header
    if header is None:
        return
    valid = header.valid
    for entry in checker.doc.domain.invariants.values():
        on = entry.spec.on
        if on is None or (valid.from_ <= on and (valid.to is None or on <= valid.to)):
            continue
        until = valid.to.isoformat() if valid.to is not None else "open-ended"
        checker.bag.error(
            "UDB430", f"invariant `{entry.spec.id}` is checked on {on.isoformat()}, outside the "
            f"round ({valid.from_.isoformat()} to {until})",
            checker.doc.span((*entry.path, "on")),
            "choose a date within `policy: valid`, or leave `on` out to use the round's first day")


def _reads_today(checker: Checker, rule: str) -> bool:
    expr = checker.parsed.rules.get(rule)
    return expr is not None and expr.ast is not None and any(
        n.id == "today" for n in A.free_names(expr.ast))


def _routing(checker: Checker) -> None:
    domain = checker.doc.domain
    bag = checker.bag
    routing = domain.routing
    if routing is None:
        # a `routing` with mistakes of its own (reported by validate) is no missing routing
        if len(domain.areas) > 1 and checker.doc.positions.get(("routing",)) is None:
            first = next(iter(domain.areas.values()))
            bag.error("UDB424", f"{len(domain.areas)} service areas, but no `routing` says which "
                      "one a citizen who fits several goes to",
                      checker.doc.key_span(first.path[:1]))
        return
    if routing.spec.priority is None:  # `exclusive: true`: no priority to check
        return
    counts = Counter(routing.spec.priority)
    for i, name in enumerate(routing.spec.priority):
        span = checker.doc.span((*routing.path, "priority", i))
        if name not in domain.areas and name not in domain.broken:
            bag.error("UDB421", f"`{name}` in the routing priority is not a service area", span,
                      did_you_mean(name, list(domain.areas)))
        elif counts[name] > 1 and routing.spec.priority.index(name) != i:
            bag.error("UDB423", f"`{name}` is listed twice in the routing priority", span)
    for name, area in domain.areas.items():
        if name not in counts:
            bag.error("UDB422", f"service area `{name}` is missing from the routing priority",
                      checker.doc.key_span((*routing.path, "priority")),
                      notes=[("the area is defined here", checker.doc.key_span(area.path))])


def _constant_hours(checker: Checker, node: A.Expr | None) -> A.QuantityLit | None:
    """An hours literal, directly or as the value of an undated parameter."""
    if isinstance(node, A.QuantityLit):
        return node
    if isinstance(node, A.Name):
        values = checker.parsed.parameters.get(node.id, [])
        if len(values) == 1 and isinstance(values[0].expr.ast, A.QuantityLit):
            return values[0].expr.ast
    return None


def _span_order(checker: Checker, name: str, path: Path) -> None:
    """A span given by two literals must not end below its start."""
    parsed = checker.parsed.domain
    low = parsed.get((*path, "weekly_hours", "min"))
    high = parsed.get((*path, "weekly_hours", "max"))
    if low is None or high is None:
        return
    a, b = _constant_hours(checker, low.expr.ast), _constant_hours(checker, high.expr.ast)
    if a is not None and b is not None and a.amount > b.amount:
        named = [n.id for n in (low.expr.ast, high.expr.ast) if isinstance(n, A.Name)]
        hint = None
        if named:
            hint = ("the span comes from " + " and ".join(f"`{n}`" for n in named)
                    + "; check the values of those parameters")
        checker.bag.error("UDB428", f"the weekly hours of `{name}` run from {a.amount} down to "
                          f"{b.amount}", checker.doc.span((*path, "weekly_hours")), hint)


def check_policy(parsed: ParsedPolicy, graph: RuleGraph, bag: DiagnosticBag) -> CheckedPolicy:
    """Stage ``check``: the core sections, then the tender sections."""
    checker = Checker(parsed, graph, bag)
    checker.run()
    check_domain(checker)
    return checker.out
