"""Check the tender sections: references between them, and the types of their expressions."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from udbudsregler.checker.check import Checker
from udbudsregler.checker.graph import RuleGraph as NameGraph
from udbudsregler.diagnostics import DiagnosticBag, Span, did_you_mean, dotted_path
from udbudsregler.expr import ast as A
from udbudsregler.expr.collect import ParsedPolicy
from udbudsregler.expr.source import SourceExpr
from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import (
    Area,
    Caps,
    Invariant,
    Node,
    Outcome,
    Package,
    Payment,
    PriceModel,
    ReferralRule,
    Result,
    Routing,
    RuleGraph,
    TargetGroup,
    Tier,
)
from udbudsregler.loader.reporting import Path
from udbudsregler.loader.sites import Site
from udbudsregler.loader.tender import PriceModelSpec, SupplierSpec
from udbudsregler.semantics.constants import literal_value
from udbudsregler.semantics.types import (
    BOOL,
    DATE,
    ERROR,
    HOURS,
    INT,
    TEXT,
    DurationType,
    EnumType,
    MoneyType,
    RecordType,
    Type,
    is_numeric,
)
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration

__all__ = ["check_domain", "check_policy"]

_EXPECTS = {"bool": "true or false", "money": "an amount", "hours": "a number of hours",
            "number": "a number (a distance)",
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
    if expects == "number":
        return is_numeric(t) or t == HOURS or isinstance(t, MoneyType)
    return isinstance(t, DurationType) and t.kind != "span"


def _context(checker: Checker, site: Site) -> dict[str, Type]:
    """The types of the extra names of a site's place (see ``loader.sites.CONTEXTS``)."""
    domain = checker.doc.domain
    if site.context == "outcome":
        return {"day": DATE, "reported": BOOL}
    if site.context == "result":
        model = domain.price_models.get(str(site.path[1]))
        result = (model.spec.results or {}).get(str(site.path[3])) if model else None
        kinds = tuple(result.outcomes) if result else ()
        return {"result": EnumType("result", kinds or tuple(domain.outcomes)),
                "time_to_result": DurationType("span")}
    if site.context == "supplier":
        area = domain.areas.get(str(site.path[1]))
        return {"supplier": supplier_type(area.spec.suppliers if area else [])}
    return {}


def supplier_type(suppliers: list[SupplierSpec]) -> RecordType:
    """The record a supplier is to the expressions of a selection: its `id` and the
    attributes all the area's suppliers have."""
    fields: dict[str, Type] = {"id": TEXT}
    shared: set[str] | None = None
    for supplier in suppliers:
        keys = set(supplier.attributes or {})
        shared = keys if shared is None else shared & keys
    for supplier in suppliers[:1]:
        for key, value in (supplier.attributes or {}).items():
            if shared is not None and key in shared:
                fields[key] = (BOOL if isinstance(value, bool) else
                               INT if isinstance(value, int) else TEXT)
    return RecordType("supplier", tuple(fields.items()))


def check_domain(checker: Checker) -> dict[Path, I.Expr]:
    """Check the tender sections; return the typed expression of each tender site."""
    doc = checker.doc
    domain = doc.domain
    bag = checker.bag

    def key_span(path: Path) -> Span | None:
        return doc.key_span(path)

    def value_span(path: Path) -> Span | None:
        return doc.span(path)

    # The expressions, each with the type its place expects.
    facts = set(doc.facts)
    graph = checker.names
    typed: dict[Path, I.Expr] = {}
    for parsed in checker.parsed.domain.values():
        site, expr = parsed.site, parsed.expr
        x = checker.check(expr, context=_context(checker, site))
        typed[site.path] = x
        t = x.type
        if expr.ast is None:
            continue
        if not _fits(t, site.expects):
            checker.expr = expr
            checker.error("UDB419", f"`{dotted_path(site.path)}` must give "
                          f"{_EXPECTS[site.expects]}, not {t.describe()}", expr.ast)
            typed[site.path] = checker.bad()
            continue
        if site.reads != "anything":
            names = {n.id for n in A.free_names(expr.ast)}
            closure = graph.closure(n for n in names if n in graph.nodes)
            used = closure & facts if site.constant_only else set()
            dated = "today" in names or any(
                _reads_today(checker, n) for n in closure if graph.nodes[n].kind == "rule")
            if used or dated:
                checker.expr = expr
                what = f"the fact `{sorted(used)[0]}`" if used else "the decision date `today`"
                checker.error(
                    "UDB427", f"this depends on {what}", expr.ast,
                    "durations and spans fix the calendar of every referral, so they may use "
                    "parameters only" if used else
                    "a price or duration that changes on a date is a parameter with dated "
                    "`values`; settlement applies each value from its date")
            elif site.expects == "duration":
                _duration_range(checker, site.path, expr)

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
        for ident, result in (model_entry.spec.results or {}).items():
            rpath = (*model_entry.path, "results", ident, "outcome")
            listed = isinstance(result.outcome, list)
            outcome_refs += [(kind, (*rpath, i) if listed else rpath)
                             for i, kind in enumerate(result.outcomes)]
        for ident, result in (model_entry.spec.results or {}).items():
            _tier_order(checker, ident, result.tiers or {},
                        (*model_entry.path, "results", ident, "tiers"))
        if name not in used_models and not bag.has_errors:
            bag.warning("UDB429", f"price model `{name}` is used by no package",
                        key_span(model_entry.path))
    if domain.referral is not None:
        listed = isinstance(domain.referral.spec.ends_on, list)
        outcome_refs += [(kind, ("referral", "ends_on", i) if listed else ("referral", "ends_on"))
                         for i, kind in enumerate(domain.referral.spec.ending_outcomes)]
    for outcome, path in outcome_refs:
        used_outcomes.add(outcome)
        if outcome not in domain.outcomes and outcome not in domain.broken:
            bag.error("UDB426", f"`{outcome}` is not an outcome", value_span(path),
                      did_you_mean(outcome, list(domain.outcomes)) or
                      "declare it under `outcomes:` with a title")
    for name, outcome_entry in domain.outcomes.items():
        if outcome_entry.spec.holds is not None:  # another outcome may be defined by it
            used_outcomes.add(name)
        if name not in used_outcomes and not bag.has_errors:
            bag.warning("UDB429", f"outcome `{name}` is used by no bonus or referral rule",
                        key_span(outcome_entry.path))
    _invariant_dates(checker)
    _absolute_invariants(checker)
    _total_below_one_referral(checker)
    return typed


#: The longest duration a tender section may state (a referral, aftercare, a bonus period,
#: a package, a cap): 100 years, in months and in days.
MAX_TENDER_MONTHS = 1_200
MAX_TENDER_DAYS = 36_525


def _duration_range(checker: Checker, path: Path, expr: SourceExpr) -> None:
    """A duration of the tender must be longer than zero and at most 100 years; a
    settlement cannot count a referral that ends before it starts (issue 12, items 5, 18).

    Each value the expression can take is checked where it is written: a literal, or
    every dated value of a parameter it names. What the check cannot work out (a sum of a
    duration in months and one in days) is left to settlement, which fails with UDB705.
    """
    assert expr.ast is not None
    where = dotted_path(path)
    for value, source, node, parameter in _durations(checker, expr, expr.ast, None):
        if value.months <= 0 and value.days <= 0:
            limit = "must be longer than zero"
        elif value.months > MAX_TENDER_MONTHS or value.days > MAX_TENDER_DAYS:
            limit = "may be at most 100 years"
        else:
            continue
        shown = " ".join(source.text[node.pos[0]:node.pos[1]].split())  # as written
        if parameter is None:
            checker.bag.error("UDB433", f"`{where}` is {shown}; it {limit}",
                              source.span(node.pos))
        else:
            checker.bag.error(
                "UDB433", f"`{parameter}` is {shown}, but `{where}` {limit}",
                source.span(node.pos), notes=[(f"`{parameter}` is used as `{where}` here",
                                               expr.span())])


def _durations(checker: Checker, source: SourceExpr, node: A.Expr,
               parameter: str | None) -> list[tuple[Duration, SourceExpr, A.Expr, str | None]]:
    """The constant values of a duration expression, each with where it is written; an
    empty list when they cannot be told before a settlement."""
    if isinstance(node, A.QuantityLit) and node.unit != "hours":
        value = literal_value(node)
        return [(value, source, node, parameter)] if isinstance(value, Duration) else []
    if isinstance(node, A.Unary) and node.op == "-":
        # `-4 months` (reported as written); `-bonus_period` is left to settlement
        return [(Duration(-d.months, -d.days), s, node, p)
                for d, s, _, p in _durations(checker, source, node.operand, parameter)
                if s is source]
    if isinstance(node, A.Name) and parameter is None:
        values = checker.parsed.parameters.get(node.id, [])
        out: list[tuple[Duration, SourceExpr, A.Expr, str | None]] = []
        for value in values:
            if value.expr.ast is not None:
                out += _durations(checker, value.expr, value.expr.ast, node.id)
        return out
    return []


def _total_below_one_referral(checker: Checker) -> None:
    """A warning when `referral.total_duration`, the time all linked referrals may take
    together, is surely shorter than `max_duration`, the time one may take: then the
    total, not the referral's own limit, ends every first referral (UDB435). Months are
    counted as 28 to 31 days, so only a sure case is reported."""
    parsed = checker.parsed.domain
    total_site = parsed.get(("referral", "total_duration"))
    longest_site = parsed.get(("referral", "max_duration"))
    if total_site is None or longest_site is None:
        return
    total, longest = total_site.expr, longest_site.expr
    if total.ast is None or longest.ast is None:
        return
    totals = _durations(checker, total, total.ast, None)
    maxima = _durations(checker, longest, longest.ast, None)
    if not totals or not maxima:
        return
    if max(d.months * 31 + d.days for d, *_ in totals) \
            < min(d.months * 28 + d.days for d, *_ in maxima):
        shown = " ".join(total.text.split())
        checker.bag.warning(
            "UDB435", f"`referral.total_duration` ({shown}) is shorter than "
            f"`referral.max_duration` ({' '.join(longest.text.split())}): the total, not "
            "the referral's own limit, ends every first referral", total.span(),
            "`total_duration` is the time all linked referrals may take together; make it at "
            "least `max_duration`, or lower `max_duration`")


def _absolute_invariants(checker: Checker) -> None:
    """An absolute invariant states its limits as values: its condition names no
    parameter (a rule or criterion it names may, and moves with them)."""
    doc = checker.doc
    parameters = checker.parsed.parameters
    for entry in doc.domain.invariants.values():
        if not entry.spec.absolute:
            continue
        parsed = checker.parsed.domain.get((*entry.path, "holds"))
        if parsed is None:
            checker.bag.error(
                "UDB432", f"invariant `{entry.spec.id}` is absolute but has no `holds`",
                doc.span((*entry.path, "absolute")),
                "`absolute` is for a condition with its limits written as values; a built-in "
                "`check` has no limits to fix")
            continue
        if parsed.expr.ast is None:
            continue
        for name in A.free_names(parsed.expr.ast):
            if name.id not in parameters:
                continue
            values = parameters[name.id]
            shown = (f"its value, `{' '.join(values[0].expr.text.split())}`," if len(values) == 1
                     else "the value it must keep")
            checker.expr = parsed.expr
            checker.error(
                "UDB432", f"invariant `{entry.spec.id}` is absolute, but its condition reads "
                f"the parameter `{name.id}`", name,
                f"write {shown} instead, so that a round that changes `{name.id}` is still "
                "held to it")


def _invariant_dates(checker: Checker) -> None:
    """An invariant's `on` must fall within the round: no decision can be made outside it."""
    header = checker.doc.header
    if header is None:
        return
    valid = header.valid
    for entry in checker.doc.domain.invariants.values():
        on = entry.spec.on
        if on is None or valid.covers(on):
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


_MONTHS_PER = {"years": 12, "months": 1}
_DAYS_PER = {"weeks": 7, "days": 1}


def _constant_length(checker: Checker, node: A.Expr | None) -> tuple[str, Decimal] | None:
    """A duration given by a literal (or an undated parameter's literal), in months or in
    days: ``("months", 18)`` for ``1 year 6 months`` written as ``18 months``."""
    lit = _constant_hours(checker, node)
    if lit is None:
        return None
    if lit.unit in _MONTHS_PER:
        return "months", Decimal(lit.amount) * _MONTHS_PER[lit.unit]
    if lit.unit in _DAYS_PER:
        return "days", Decimal(lit.amount) * _DAYS_PER[lit.unit]
    return None


def _tier_order(checker: Checker, result: str, tiers: dict[str, Any], path: Path) -> None:
    """The tiers of a result payment are tried in order, the first that holds pays: a tier
    without `within` takes every later result, and a tier whose `within` is no longer than
    an earlier one's can never apply."""
    parsed = checker.parsed.domain
    names = list(tiers)
    widest: tuple[str, tuple[str, Decimal]] | None = None
    for i, tier in enumerate(names):
        spec = tiers[tier]
        if spec.within is None:
            if i < len(names) - 1:
                later = ", ".join(f"`{t}`" for t in names[i + 1:])
                checker.bag.error(
                    "UDB434", f"tier `{tier}` of `{result}` has no `within`, so it takes every "
                    f"result and the tiers after it ({later}) never apply",
                    checker.doc.key_span((*path, tier)),
                    "give the tier a `within`, or move it last (the tier for any later result)")
            continue
        entry = parsed.get((*path, tier, "within"))
        length = _constant_length(checker, entry.expr.ast if entry is not None else None)
        if length is None:
            continue
        if widest is not None and widest[1][0] == length[0] and length[1] <= widest[1][1]:
            checker.bag.error(
                "UDB434", f"tier `{tier}` of `{result}` can never apply: tier `{widest[0]}` "
                "before it already takes every result within as long",
                checker.doc.span((*path, tier, "within")),
                "order the tiers from the soonest result to the latest, each `within` longer "
                "than the one before")
            continue
        if widest is None or widest[1][0] == length[0]:
            widest = (tier, length)


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


def check_policy(parsed: ParsedPolicy, names: NameGraph, bag: DiagnosticBag) -> RuleGraph | None:
    """Stage ``check``: the core sections, then the tender sections; the rule graph of the
    policy, or None if it has no valid header."""
    checker = Checker(parsed, names, bag)
    checker.run()
    typed = check_domain(checker)
    if checker.header is None:
        return None
    graph = checker.graph()
    _build(checker, graph, typed)
    graph.nodes = _ordered(checker.nodes)
    graph.written = _written(checker, graph)
    return graph


def _written(checker: Checker, graph: RuleGraph) -> tuple[str, ...]:
    """The nodes in the order the policy writes them."""
    parsed = checker.parsed
    order: dict[str, None] = {}
    for name in (*parsed.parameters, *parsed.rules, *parsed.criteria):
        order[name] = None
    owners = {node.path: name for name, node in graph.nodes.items()
              if node.kind in ("value", "area", "invariant")}
    for path in parsed.domain:
        for cut in range(len(path), 0, -1):
            owner = owners.get(path[:cut])
            if owner is not None:
                order[owner] = None
                break
    return tuple(n for n in order if n in graph.nodes)


def _value(checker: Checker, typed: dict[Path, I.Expr], path: Path, owner: str,
           name: str) -> str:
    """A node for the tender expression at ``path``; its name."""
    expr = typed.get(path)
    checker.add(name, "value", expr if expr is not None else checker.bad(), path, owner=owner)
    return name


def _build(checker: Checker, graph: RuleGraph, typed: dict[Path, I.Expr]) -> None:
    """The tender entities, and their values as nodes of the graph."""
    doc = checker.doc
    domain = doc.domain
    nodes = checker.nodes
    for name, group in doc.target_groups.items():
        if name in nodes and nodes[name].kind == "target_group":
            ids = tuple(c.spec.id for g, c in doc.criteria() if g == name
                        and c.spec.id in nodes and nodes[c.spec.id].owner == name)
            graph.target_groups[name] = TargetGroup(name, group.spec, name, ids, group.path,
                                                    checker.at(group.path))
    for name, area in domain.areas.items():
        fits = f"service_areas.{name}"
        serves = tuple(g for g in area.spec.serves if g in graph.target_groups)
        expr: I.Expr = I.Const(BOOL, False)
        for g in reversed(serves):
            ref = I.NodeRef(BOOL, g)
            expr = ref if isinstance(expr, I.Const) else I.Or(BOOL, ref, expr)
        when = typed.get((*area.path, "when"))
        if when is not None:
            expr = I.And(BOOL, expr, when)
        checker.add(fits, "area", expr, area.path, spec=area.spec)
        selection = area.spec.selection
        distance = only = None
        if selection is not None and selection.distance is not None:
            distance = _value(checker, typed, (*area.path, "selection", "distance"), fits,
                              f"{fits}.distance")
        if selection is not None and selection.only is not None:
            only = _value(checker, typed, (*area.path, "selection", "only"), fits,
                          f"{fits}.only")
        graph.areas[name] = Area(name, area.spec, fits, serves, tuple(area.spec.suppliers),
                                 area.path, checker.at(area.path), distance, only)
    if graph.areas:
        routing = domain.routing
        # `exclusive: true` has no priority: the areas in the order they are written
        priority = (tuple(p for p in routing.spec.priority if p in graph.areas)
                    if routing is not None and routing.spec.priority is not None
                    else tuple(graph.areas))
        choice = EnumType("service_area", tuple(graph.areas))
        cases = tuple((I.NodeRef(BOOL, graph.areas[a].fits), I.Const(choice, a))
                      for a in priority)
        path: Path = routing.path if routing is not None else ("service_areas",)
        checker.add("routing", "routing", I.FirstOf(choice, cases), path,
                    spec=routing.spec if routing is not None else None)
        graph.routing = Routing(priority, "routing", routing.spec if routing else None,
                                routing.path if routing else None,
                                checker.at(routing.path) if routing else None)
    for name, model in domain.price_models.items():
        graph.price_models[name] = _price_model(checker, typed, name, model.spec, model.path)
    for name, package in domain.packages.items():
        base = f"course_packages.{name}"
        span = None
        if package.spec.weekly_hours is not None:
            span = (_value(checker, typed, (*package.path, "weekly_hours", "min"), base,
                           f"{base}.weekly_hours.min"),
                    _value(checker, typed, (*package.path, "weekly_hours", "max"), base,
                           f"{base}.weekly_hours.max"))
        longest = (_value(checker, typed, (*package.path, "max_duration"), base,
                          f"{base}.max_duration")
                   if package.spec.max_duration is not None else None)
        graph.packages[name] = Package(name, package.spec, span, longest, package.path,
                                       checker.at(package.path))
    referral = domain.referral
    if referral is not None:
        spec = referral.spec
        graph.referral = ReferralRule(
            spec,
            _value(checker, typed, ("referral", "max_duration"), "referral",
                   "referral.max_duration"),
            _value(checker, typed, ("referral", "aftercare"), "referral", "referral.aftercare")
            if spec.aftercare is not None else None,
            referral.path, checker.at(referral.path), tuple(spec.ending_outcomes),
            spec.course_ends,
            _value(checker, typed, ("referral", "total_duration"), "referral",
                   "referral.total_duration") if spec.total_duration is not None else None)
    for name, outcome in domain.outcomes.items():
        holds = None
        if outcome.spec.holds is not None:
            holds = f"outcomes.{name}"
            condition = typed.get((*outcome.path, "holds"))
            checker.add(holds, "outcome", condition if condition is not None else checker.bad(),
                        outcome.path, spec=outcome.spec)
        graph.outcomes[name] = Outcome(name, outcome.spec, outcome.path, holds)
    for name, invariant in domain.invariants.items():
        holds = None
        if invariant.spec.holds is not None:
            holds = f"invariants.{name}"
            condition = typed.get((*invariant.path, "holds"))
            checker.add(holds, "invariant",
                        condition if condition is not None else checker.bad(),
                        invariant.path, spec=invariant.spec)
        graph.invariants[name] = Invariant(name, invariant.spec, holds, invariant.path,
                                           checker.at(invariant.path))


def _price_model(checker: Checker, typed: dict[Path, I.Expr], name: str,
                 spec: PriceModelSpec, path: Path) -> PriceModel:
    """A price model in its general form: its payments (`weekly_price` is one payment per
    week) and its result payments (each of `bonuses` is one), each value a node."""
    base = f"price_models.{name}"
    payments: list[Payment] = []
    if spec.weekly_price is not None:
        partial = {"pro_rata_days": "pro_rata_days", "started_weeks": "started",
                   "whole_weeks": "whole"}[spec.partial_weeks or "pro_rata_days"]
        payments.append(Payment(
            "weekly", spec.title, "week", partial, spec.billed,
            _value(checker, typed, (*path, "weekly_price"), base, f"{base}.weekly_price"),
            None, spec, (*path, "weekly_price"), legacy=True))
    for ident, payment in (spec.payments or {}).items():
        ppath = (*path, "payments", ident)
        prefix = f"{base}.payments.{ident}"
        payments.append(Payment(
            ident, payment.title, payment.per, payment.partial, payment.during,
            _value(checker, typed, (*ppath, "amount"), base, f"{prefix}.amount"),
            _value(checker, typed, (*ppath, "when"), base, f"{prefix}.when")
            if payment.when is not None else None, payment, ppath))
    results: list[Result] = []
    for i, bonus in enumerate(spec.bonuses):
        bpath = (*path, "bonuses", i)
        prefix = f"{base}.bonuses.{bonus.id}"
        results.append(Result(
            bonus.id, bonus.title, (bonus.outcome,), bonus.starting,
            _value(checker, typed, (*bpath, "lasting"), base, f"{prefix}.lasting"),
            "referral", _value(checker, typed, (*bpath, "amount"), base, f"{prefix}.amount"),
            (), None, bonus, bpath, legacy=True))
    for ident, result in (spec.results or {}).items():
        rpath = (*path, "results", ident)
        prefix = f"{base}.results.{ident}"
        tiers: list[Tier] = []
        for tier, tier_spec in (result.tiers or {}).items():
            tpath = (*rpath, "tiers", tier)
            tiers.append(Tier(
                tier, tier_spec.title,
                _value(checker, typed, (*tpath, "within"), base, f"{prefix}.tiers.{tier}.within")
                if tier_spec.within is not None else None,
                _value(checker, typed, (*tpath, "amount"), base, f"{prefix}.tiers.{tier}.amount"),
                tpath))
        if tiers:
            amount = f"{prefix}.amount"
            checker.add(amount, "value", _tiered(checker, tiers), rpath, owner=base)
        else:
            amount = _value(checker, typed, (*rpath, "amount"), base, f"{prefix}.amount")
        within = result.within if result.within in ("referral", "course") else _value(
            checker, typed, (*rpath, "within"), base, f"{prefix}.within")
        results.append(Result(
            ident, result.title, tuple(result.outcomes), result.from_,
            _value(checker, typed, (*rpath, "lasting"), base, f"{prefix}.lasting")
            if result.lasting is not None else None,
            within, amount, tuple(tiers),
            _value(checker, typed, (*rpath, "when"), base, f"{prefix}.when")
            if result.when is not None else None, result, rpath))
    caps = None
    if spec.caps is not None:
        caps = Caps(
            _value(checker, typed, (*path, "caps", "max_duration"), base,
                   f"{base}.caps.max_duration") if spec.caps.max_duration is not None else None,
            _value(checker, typed, (*path, "caps", "max_amount"), base,
                   f"{base}.caps.max_amount") if spec.caps.max_amount is not None else None)
    return PriceModel(name, spec, tuple(payments), tuple(results), caps, path, checker.at(path))


def _tiered(checker: Checker, tiers: list[Tier]) -> I.Expr:
    """The amount of a result by its tiers: the first tier whose `within` holds (the time
    from the referral's start to the result is less than it), else nothing (0)."""
    nodes = checker.nodes
    amount_type = nodes[tiers[0].amount].type
    currency = amount_type.currency if isinstance(amount_type, MoneyType) else checker.currency
    expr: I.Expr = I.Const(MoneyType(currency), Money(0, currency))
    span = DurationType("span")
    for tier in reversed(tiers):
        amount = I.NodeRef(nodes[tier.amount].type, tier.amount)
        if tier.within is None:
            expr = amount
            continue
        limit = I.NodeRef(nodes[tier.within].type, tier.within)
        condition = I.Op(BOOL, "<", (I.FactRef(span, "$time_to_result"), limit))
        expr = I.If(amount.type, condition, amount, expr)
    return expr


def _ordered(nodes: dict[str, Node]) -> dict[str, Node]:
    """The nodes with each after the nodes it reads (cycles were reported by the graph
    stage; a node in one keeps its place)."""
    out: dict[str, Node] = {}
    visiting: set[str] = set()
    for root in nodes:
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            name, expanded = stack.pop()
            if name in out or name not in nodes:
                continue
            if expanded:
                visiting.discard(name)
                out[name] = nodes[name]
                continue
            if name in visiting:
                continue
            visiting.add(name)
            stack.append((name, True))
            stack.extend((dep, False) for dep in reversed(nodes[name].deps)
                         if dep not in out and dep not in visiting)
    return out
