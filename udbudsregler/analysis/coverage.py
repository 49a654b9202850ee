"""Coverage of a policy's test cases: what the cases exercise, and what they miss.

``measure(policy, cases)`` runs every case of a policy once more and records:

* for each **boolean** named node a decision reads (criteria, target groups,
  rules of type true/false), whether a case saw it true and whether one saw it
  false; a node no case evaluated is *never reached*. The reference
  interpreter evaluates every criterion of every target group (as the reasons
  of a decision do), so a criterion is reached whenever its group is;
* for each criterion, whether a case shows it deciding its group alone, while
  true and while false: the group's result would change if only that
  criterion changed. A criterion seen false only in cases where another
  criterion of the group also fails has not been shown to matter;
* for each other rule a decision reads, whether a case evaluated it at all;
* for routing: per service area whether it was chosen, fitting but
  out-prioritised, and not fitting, and whether a citizen fitted no area; per
  supplier selection strategy the methods it used (the citizen's own choice,
  the refusals of that choice, rotation, lowest load, the first supplier, all
  full, no sequence number); per course package the statuses an order got;
* for each settlement case: the price model used, whether a week was paid in
  part (by the model's partial-week rule) and whether the invoice crossed a
  price change; the cause the referral ended with; the status of each bonus;
  whether each cap was reached.

Only branches that can occur for the policy count: a policy without bonuses
has no bonus statuses to cover, a strategy no area uses is not listed, the
first area of the priority can never be out-prioritised, a package without a
span of weekly hours cannot have its hours missing, and a price model has a
price change to cover only if its price changes on a date some settlement can
cross (after the round's first day, and before every referral that starts in
the round has ended).

A branch is covered when a case reaches it, whether or not the case's
``expect`` checks the result. Cases that expect an error count for nothing
(they are not run). A case that fails with an error it did not expect counts
for nothing either; it is listed.

``Coverage.report()`` is text for a terminal: the totals, then each uncovered
item with the ``file:line`` of its definition and what is missing.
``Coverage.to_dict()`` is the same, JSON-ready.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from udbudsregler.diagnostics import UdbudsreglerError
from udbudsregler.ir import nodes as I
from udbudsregler.semantics.types import BOOL
from udbudsregler.values.temporal import add_duration, add_months

if TYPE_CHECKING:
    from udbudsregler.loader.tender import AreaSpec
    from udbudsregler.policy import Policy
    from udbudsregler.runtime.decision import Decision
    from udbudsregler.runtime.settlement import Settlement
    from udbudsregler.testing.cases import Case

__all__ = ["CATEGORIES", "Coverage", "Item", "measure"]

#: The categories of items, in report order: (category, label, what is counted).
#: ``items`` counts the items covered every way; ``branches`` counts branches.
CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("criterion", "criteria both ways", "items"),
    ("decisive", "criteria deciding their group alone, both ways", "items"),
    ("target_group", "target groups both ways", "items"),
    ("rule", "rules both ways", "items"),
    ("value_rule", "other rules reached", "items"),
    ("routing", "routing branches", "branches"),
    ("selection", "supplier selection branches", "branches"),
    ("package", "package statuses", "branches"),
    ("price_model", "price model branches", "branches"),
    ("referral", "referral end causes", "branches"),
    ("bonus", "bonus statuses", "branches"),
    ("cap", "caps reached", "branches"),
)

_NODE_KINDS = ("criterion", "target_group", "rule", "value_rule")

#: How a missing branch reads in the report, per category (``{}``: the branch id).
_BRANCH_TEXT: dict[str, dict[str, str]] = {
    "decisive": {"true": "never decided its group alone while true",
                 "false": "never decided its group alone while false (a case where only it "
                          "changes the result)"},
    "routing": {"chosen": "never chosen", "out_prioritised": "never out-prioritised",
                "not_fitting": "never seen not fitting", "reached": "never reached"},
    "selection": {
        "citizen_choice": "the citizen's own choice never followed",
        "refused_not_in_area": "the citizen's choice never refused as not a supplier of "
                               "the area",
        "refused_full": "the citizen's choice never refused as full",
        "refused_not_honoured": "the citizen's choice never set aside (the area does not "
                                "follow it)",
        "first": "the first supplier never chosen",
        "rotation": "rotation never reached",
        "rotation_skipped_full": "rotation never skipped a full supplier",
        "no_sequence": "rotation without a sequence number never reached",
        "lowest_load": "lowest load never reached",
        "full": "all suppliers full never reached",
        "no_state": "lowest load without a supplier state never reached",
        "nearest": "the nearest supplier never chosen",
        "none_allowed": "a citizen for whom no supplier may be chosen (`only`) never reached",
    },
    "package": {"ordered": "status ordered (accepted) never reached"},
    "price_model": {"used": "never used in a settlement case",
                    "partial_week": "a week paid in part ({detail}) never reached",
                    "partial_month": "a month paid in part ({detail}) never reached",
                    "price_change": "a price change inside the invoice never reached"},
    "referral": {},
    "bonus": {},
    "cap": {"reached": "never reached"},
}
#: Branches named ``kind:id`` (a tier, the outcome that made a result, a payment's
#: condition): how each missing one reads.
_PREFIXED = {
    "tier": "never paid by tier `{}`",
    "result": "never earned by the outcome `{}`",
    "paid": "payment `{}` never paid (its `when` never held)",
    "unpaid": "payment `{}` never left out (its `when` always held)",
}
_DEFAULT_TEXT = {"package": "status {} never reached", "referral": "end cause {} never reached",
                 "bonus": "status {} never reached", "selection": "method {} never reached"}


@dataclass
class Item:
    """One thing the cases can cover, with the branches it has and how often each was
    reached (in how many cases)."""

    category: str
    name: str
    #: ``file:line`` of the definition, relative to the policy's folder.
    at: str | None
    branches: tuple[str, ...]
    reached: dict[str, int] = field(default_factory=dict)
    #: Shown after the name in the report, e.g. the areas that use a strategy.
    note: str = ""
    #: Unique within the category (a bonus or cap is named after its price model too).
    key: str = ""
    #: Filled into the report's text of a branch, e.g. a price model's partial-week rule.
    detail: str = ""

    def __post_init__(self) -> None:
        self.key = self.key or self.name

    def hit(self, branch: str) -> None:
        if branch in self.branches:
            self.reached[branch] = self.reached.get(branch, 0) + 1

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(b for b in self.branches if not self.reached.get(b))

    @property
    def covered(self) -> bool:
        return not self.missing

    def describe_missing(self) -> list[str]:
        """What is missing, as report lines: one for a named node ("seen true only"), one
        per missing branch otherwise."""
        missing = self.missing
        if not missing:
            return []
        what = (NO_AREA_TEXT if self.category == "routing" and self.name == NO_AREA
                else _WHAT[self.category].format(name=self.name))
        if self.note:
            what += f" ({self.note})"
        if self.category in _NODE_KINDS:
            if len(missing) == len(self.branches):
                return [f"{what}: never reached"]
            seen = [b for b in self.branches if b not in missing]
            return [f"{what}: seen {' and '.join(seen)} only"]
        texts = _BRANCH_TEXT.get(self.category, {})
        default = _DEFAULT_TEXT.get(self.category, "{} never reached")
        return [f"{what}: " + (_PREFIXED[branch.split(":")[0]].format(branch.split(":", 1)[1])
                               if ":" in branch else
                               texts.get(branch, default).format(branch, detail=self.detail))
                for branch in missing]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"category": self.category, "name": self.name, "at": self.at,
                               "branches": {b: self.reached.get(b, 0) for b in self.branches},
                               "missing": list(self.missing)}
        if self.key != self.name:
            out["key"] = self.key
        if self.note:
            out["note"] = self.note
        return out


#: The routing item of a citizen who fits no service area.
NO_AREA = "(none)"
NO_AREA_TEXT = "a citizen who fits no area"

_WHAT = {
    "criterion": "criterion `{name}`",
    "decisive": "criterion `{name}`",
    "target_group": "target group `{name}`",
    "rule": "rule `{name}`",
    "value_rule": "rule `{name}`",
    "routing": "area `{name}`",
    "selection": "supplier selection `{name}`",
    "package": "package `{name}`",
    "price_model": "price model `{name}`",
    "referral": "referral",
    "bonus": "bonus `{name}`",
    "cap": "cap `{name}`",
}


@dataclass
class Coverage:
    """What a policy's test cases cover."""

    policy: str
    items: list[Item]
    #: Decision and settlement cases measured.
    decisions: int = 0
    settlements: int = 0
    #: Cases that expect an error: not run, they count for nothing.
    expecting_error: int = 0
    #: Cases that could not be measured: (``file:line``, name, why).
    not_measured: list[tuple[str, str, str]] = field(default_factory=list)

    def item(self, category: str, name: str) -> Item:
        """The item of a category by name (a bonus or cap also by ``model.name``)."""
        for item in self.items:
            if item.category == category and name in (item.name, item.key):
                return item
        raise KeyError(f"no coverage item {category} {name!r}")

    def totals(self) -> list[tuple[str, str, int, int]]:
        """(category, label, covered, total) for each category the policy has."""
        out = []
        for category, label, unit in CATEGORIES:
            items = [i for i in self.items if i.category == category]
            if not items:
                continue
            if unit == "items":
                covered, total = sum(1 for i in items if i.covered), len(items)
            else:
                total = sum(len(i.branches) for i in items)
                covered = total - sum(len(i.missing) for i in items)
            out.append((category, label, covered, total))
        return out

    def uncovered(self) -> list[Item]:
        order = {c[0]: n for n, c in enumerate(CATEGORIES)}
        return sorted((i for i in self.items if not i.covered),
                      key=lambda i: order[i.category])

    @property
    def complete(self) -> bool:
        return all(i.covered for i in self.items)

    def report(self) -> str:
        cases = f"{self.decisions} decision cases, {self.settlements} settlement cases"
        if self.expecting_error:
            cases += f"; {self.expecting_error} expecting an error, not counted"
        lines = [f"coverage of {self.policy} ({cases})"]
        totals = self.totals()
        width = max((len(label) for _, label, _, _ in totals), default=0)
        for _, label, covered, total in totals:
            lines.append(f"  {label + ':':<{width + 1}} {covered} of {total}")
        for where, name, why in self.not_measured:
            lines.append(f"  not measured: {where}: {name}: {why}")
        missing = [(item.at or "?", text) for item in self.uncovered()
                   for text in item.describe_missing()]
        if missing:
            lines.append(f"uncovered ({len(missing)}):")
            lines += [f"  {where}: {text}" for where, text in missing]
        else:
            lines.append("everything is covered")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "cases": {"decisions": self.decisions, "settlements": self.settlements,
                      "expecting_error": self.expecting_error,
                      "not_measured": [{"at": w, "name": n, "why": y}
                                       for w, n, y in self.not_measured]},
            "totals": [{"category": c, "label": label, "covered": a, "total": b}
                       for c, label, a, b in self.totals()],
            "items": [i.to_dict() for i in self.items],
        }


# -- what can be covered ------------------------------------------------------------


def _node_items(policy: Policy) -> list[Item]:
    """Criteria, target groups and the rules a decision reads, in document order."""
    graph = policy.graph
    roots = [n for n, node in graph.nodes.items() if node.kind in ("target_group", "area")]
    used = graph.closure(roots)
    written = [n for n in graph.written if graph.nodes[n].kind in ("rule", "criterion")]
    items = []
    for name in [*written, *(g.node for g in graph.target_groups.values())]:
        node = graph.nodes[name]
        if name not in used:
            continue
        at = node.at
        if node.kind in ("criterion", "target_group"):
            items.append(Item(node.kind, name, at, ("true", "false")))
            if node.kind == "criterion":
                items.append(Item("decisive", name, at, ("true", "false")))
        elif node.kind == "rule":
            if node.type == BOOL:
                items.append(Item("rule", name, at, ("true", "false")))
            else:
                items.append(Item("value_rule", name, at, ("reached",)))
    return items


def _selection_branches(spec: AreaSpec, areas: int) -> tuple[str, tuple[str, ...]]:
    """The strategy of an area and the selection branches that can occur in it.

    A choice can be refused as "not a supplier of the area" only when the policy has
    other areas (a name that is no supplier at all is an error, UDB605); every strategy
    can find all suppliers full; lowest load without a supplier state gives `no_state`.
    """
    selection = spec.selection
    strategy = selection.strategy if selection is not None else "first"
    honour = selection is None or selection.citizen_choice
    branches = (["citizen_choice", "refused_full"] if honour else ["refused_not_honoured"])
    if honour and areas > 1:
        branches.insert(1, "refused_not_in_area")
    if strategy == "nearest":
        branches += ["nearest", "full"]
    elif strategy == "first" or len(spec.suppliers) == 1:
        branches += ["first", "full"]
    elif strategy == "rotation":
        branches += ["rotation", "rotation_skipped_full", "no_sequence", "full"]
    else:
        branches += ["lowest_load", "no_state", "full"]
    if selection is not None and selection.only is not None:
        branches.append("none_allowed")
    return strategy, tuple(branches)


def _routing_items(policy: Policy) -> list[Item]:
    domain = policy.graph
    if not domain.areas:
        return []
    items = []
    first = policy.priority[0] if policy.priority else None
    exclusive = domain.routing is not None and domain.routing.exclusive
    for name in policy.priority:
        entry = domain.areas.get(name)
        if entry is None:
            continue
        # the first area of the priority is chosen whenever it fits; exclusive areas
        # are never out-prioritised (a citizen who fits two is an error)
        fits: tuple[str, ...] = (("chosen",) if name == first or exclusive
                                 else ("chosen", "out_prioritised"))
        items.append(Item("routing", name, policy.location(entry.path), (*fits, "not_fitting")))
    where = (domain.routing.path if domain.routing is not None
             and domain.routing.path is not None else ("service_areas",))
    items.append(Item("routing", NO_AREA, policy.location(where), ("reached",)))
    # supplier selection, per strategy
    strategies: dict[str, Item] = {}
    users: dict[str, list[str]] = {}
    for name, entry in domain.areas.items():
        strategy, ways = _selection_branches(entry.spec, len(domain.areas))
        item = strategies.get(strategy)
        if item is None:
            path = (*entry.path, "selection") if entry.spec.selection is not None else entry.path
            item = strategies[strategy] = Item("selection", strategy, policy.location(path), ())
            users[strategy] = []
        item.branches += tuple(b for b in ways if b not in item.branches)
        users[strategy].append(name)
    for strategy, item in strategies.items():
        item.note = "area " + ", ".join(users[strategy]) if len(users[strategy]) == 1 else (
            "areas " + ", ".join(users[strategy]))
        items.append(item)
    for name, package in domain.packages.items():
        spanned = package.spec.weekly_hours is not None
        statuses: tuple[str, ...] = (
            ("ordered", "hours_missing", "hours_outside_span", "not_in_area") if spanned
            else ("ordered", "hours_not_allowed", "not_in_area"))
        if set(domain.areas) <= set(package.spec.areas):  # offered everywhere
            statuses = tuple(s for s in statuses if s != "not_in_area")
        items.append(Item("package", name, policy.location(package.path), statuses))
    return items


def _settlement_items(policy: Policy) -> list[Item]:
    domain = policy.graph
    if not domain.packages:
        return []
    items = []
    used_models = {p.spec.price_model for p in domain.packages.values()}
    for name, model in domain.price_models.items():
        if name not in used_models:
            continue  # no referral can be settled with it
        branches = ["used"]
        periodic = [p for p in model.payments if p.per in ("week", "month")]
        if periodic:
            branches.append("partial_month" if periodic[0].per == "month" else "partial_week")
        if _reachable_changes(policy, name):
            branches.append("price_change")
        for payment in model.payments:
            if payment.when is not None:
                branches += [f"paid:{payment.id}", f"unpaid:{payment.id}"]
        detail = model.spec.partial_weeks or ", ".join(
            f"{p.id} per {p.per}" for p in model.payments)
        items.append(Item("price_model", name, policy.location(model.path), tuple(branches),
                          detail=detail))
    referral = domain.referral
    causes = ["stopped", "ongoing"]
    if referral is not None or any(p.spec.max_duration is not None
                                   for p in domain.packages.values()):
        causes.insert(0, "max_duration")
    if referral is not None and referral.ends_on and referral.aftercare is not None:
        causes.insert(1, "aftercare_completed")
    elif referral is not None and referral.ends_on and referral.course_ends != "as_recorded":
        causes.insert(1, "outcome")
    where = referral.path if referral is not None else ("course_packages",)
    items.append(Item("referral", "referral", policy.location(where), tuple(causes)))
    for name, model in domain.price_models.items():
        if name not in used_models:
            continue
        for result in model.results:
            if result.anchor in ("day_after_course_end", "course_end"):
                statuses: tuple[str, ...] = ("earned", "pending", "not_immediate", "too_short",
                                             "course_ongoing")
            elif result.anchor == "referral_start":
                statuses = ("earned",)
            elif result.lasting is None:  # earned on the outcome's first day
                statuses = ("earned", "pending", "not_reached")
            else:
                statuses = ("earned", "pending", "too_short", "not_reached")
            if result.when is not None:
                statuses += ("not_applicable",)
            statuses += tuple(f"tier:{t.id}" for t in result.tiers)
            if len(result.outcomes) > 1:
                statuses += tuple(f"result:{k}" for k in result.outcomes)
            items.append(Item("bonus", result.id, policy.location(result.path), statuses,
                              note=f"price model {name}", key=f"{name}.{result.id}"))
        caps = model.spec.caps
        for cap in ("max_amount", "max_duration"):
            if caps is not None and getattr(caps, cap) is not None:
                items.append(Item("cap", cap, policy.location((*model.path, "caps", cap)),
                                  ("reached",), note=f"price model {name}",
                                  key=f"{name}.{cap}"))
    return items


def _reachable_changes(policy: Policy, model: str) -> list[date]:
    """The dates a payment amount of the model changes on that some settlement can cross:
    after the round's first day (a referral starts inside the round) and no later than
    the last day a referral that starts on the round's last day can be billed for (its
    longest duration by the referral rule, its package and the model's duration cap). A
    change before the round, or after every referral has ended, is no branch to cover."""
    graph = policy.graph
    valid = policy.header.valid
    entry = graph.price_models[model]
    changes = sorted({d for p in entry.payments for d in policy.change_dates(p.amount)
                      if d > valid.from_})
    if valid.to is None or not changes:
        return changes
    start = valid.to
    longest: date | None = None
    for package in graph.packages.values():
        if package.spec.price_model != model:
            continue
        limits = []
        if graph.referral is not None and graph.referral.max_duration is not None:
            limits.append(graph.referral.max_duration)
        if package.max_duration is not None:
            limits.append(package.max_duration)
        if entry.caps is not None and entry.caps.max_duration is not None:
            limits.append(entry.caps.max_duration)
        if not limits:
            return changes  # some referral may run on without end
        try:
            last = min(add_duration(start, policy.tender_value(n, start), policy.month_end)
                       for n in limits) - timedelta(days=1)
        except UdbudsreglerError:
            return changes  # a duration that depends on the referral: keep the branch
        longest = last if longest is None or last > longest else longest
    return [d for d in changes if longest is None or d <= longest]


# -- measuring ------------------------------------------------------------------------


def measure(policy: Policy, cases: Iterable[Case]) -> Coverage:
    """Run the cases against the policy and record what they cover."""
    items = _node_items(policy) + _routing_items(policy) + _settlement_items(policy)
    coverage = Coverage(policy.id, items)
    index = {(i.category, i.key): i for i in items}
    for case in cases:
        spec = case.spec
        where = f"{case.file}:{case.line}"
        if spec.expect.error is not None:
            coverage.expecting_error += 1
            continue
        try:
            if spec.settle is not None:
                settle = spec.settle
                if settle.until is None or settle.referral is None:
                    coverage.not_measured.append((where, case.name,
                                                  "`settle` needs `referral` and `until`"))
                    continue
                settlement = policy.settle(settle.referral, settle.outcomes or [],
                                           until=settle.until, since=settle.since)
                _record_settlement(policy, settlement, index)
                coverage.settlements += 1
            else:
                if spec.on is None:
                    coverage.not_measured.append((where, case.name, "no decision date (`on`)"))
                    continue
                decision = policy.decide(spec.facts or {}, on=spec.on, order=spec.order,
                                         suppliers=spec.suppliers)
                _record_decision(policy, decision, index)
                coverage.decisions += 1
        except UdbudsreglerError as error:
            coverage.not_measured.append((where, case.name, f"unexpected error: {error}"))
    return coverage


def _record_decision(policy: Policy, decision: Decision,
                     index: dict[tuple[str, str], Item]) -> None:
    interpreter = policy.interpreter(decision.facts, decision.on)
    graph = policy.graph
    for group in graph.target_groups.values():
        interpreter.value(group.node)
    for fits in graph.areas.values():
        interpreter.value(fits.fits)
    for name, value in interpreter.memo.items():
        for category in _NODE_KINDS:
            item = index.get((category, name))
            if item is not None:
                item.hit("reached" if category == "value_rule" else str(bool(value)).lower())
    for group in graph.target_groups.values():
        idents = list(group.criteria)
        if not all(ident in interpreter.memo for ident in idents):
            continue
        values = {ident: bool(interpreter.memo[ident]) for ident in idents}
        tree = group.tree(graph)
        inside = _holds(tree, values)
        for ident, value in values.items():
            if _holds(tree, values, flip=ident) != inside:
                item = index.get(("decisive", ident))
                if item is not None:
                    item.hit(str(value).lower())
    routing = decision.routing
    if routing is None:
        return
    for area in policy.priority:
        item = index.get(("routing", area))
        if item is None:
            continue
        if area == routing.area:
            item.hit("chosen")
        elif area in routing.fitting:
            item.hit("out_prioritised")
        else:
            item.hit("not_fitting")
    if routing.area is None:
        index[("routing", NO_AREA)].hit("reached")
    choice = decision.supplier_choice
    if routing.area is not None and choice is not None:
        strategy, _ = _selection_branches(policy.graph.areas[routing.area].spec,
                                          len(policy.graph.areas))
        item = index[("selection", strategy)]
        if choice.rejected_because is not None:
            item.hit(f"refused_{choice.rejected_because}")
        skipped = dict(choice.details).get("skipped_full", 0)
        item.hit("rotation_skipped_full" if choice.method == "rotation" and skipped
                 else choice.method)
    package = decision.package_choice
    if package is not None and package.package is not None:
        index[("package", package.package)].hit(package.status)


def _holds(node: I.Expr, values: dict[str, bool], flip: str | None = None) -> bool:
    """A target group's criteria on the criteria's values, with one of them flipped."""
    if isinstance(node, I.NodeRef):
        value = values[node.name]
        return not value if node.name == flip else value
    assert isinstance(node, I.Criteria)
    if node.op == "not":
        return not _holds(node.items[0], values, flip)
    results = [_holds(item, values, flip) for item in node.items]
    return all(results) if node.op == "all" else any(results)


def _record_settlement(policy: Policy, settlement: Settlement,
                       index: dict[tuple[str, str], Item]) -> None:
    name = settlement.price_model
    item = index[("price_model", name)]
    item.hit("used")
    if _partial_week(policy, settlement):
        item.hit("partial_week")
        item.hit("partial_month")
    prices: dict[str, set[Any]] = {}
    for line in settlement.lines:
        if line.kind in ("weekly", "payment") and line.unit != "once":
            prices.setdefault(line.reason, set()).add(line.unit_price)
    if any(len(found) > 1 for found in prices.values()):
        item.hit("price_change")
    model = policy.graph.price_models[name]
    facts = settlement.referral.facts if settlement.referral.facts is not None else {}
    for payment in model.payments:
        if payment.when is not None:
            paid = policy.node_value(payment.when, facts, settlement.referral.start)
            item.hit(f"{'paid' if paid else 'unpaid'}:{payment.id}")
    index[("referral", "referral")].hit(settlement.end.cause)
    for status in settlement.bonuses:
        bonus = index.get(("bonus", f"{name}.{status.id}"))
        if bonus is not None:
            bonus.hit(status.status)
            if status.status == "earned" and status.tier is not None:
                bonus.hit(f"tier:{status.tier}")
            if status.status == "earned" and status.result is not None:
                bonus.hit(f"result:{status.result}")
    reached = {line.reason for line in settlement.lines if line.kind == "cap"}
    if any(line.capped for line in settlement.lines):
        reached.add("max_amount")
    for cap in reached:
        found = index.get(("cap", f"{name}.{cap}"))
        if found is not None:
            found.hit("reached")


def _partial_week(policy: Policy, settlement: Settlement) -> bool:
    """Whether the billed days end inside a week counted from the referral's start, so
    that the price model's partial-week rule decides what the last week costs."""
    model = policy.graph.price_models[settlement.price_model]
    end = settlement.end
    start: date = settlement.referral.start
    periodic = [p for p in model.payments if p.per in ("week", "month")]
    if not periodic:
        return False
    last = end.course_end if periodic[0].during == "course" else end.last_day
    if last is None:
        last = settlement.until
    caps = model.caps
    if caps is not None and caps.max_duration is not None:
        length = policy.tender_value(caps.max_duration, start)
        last = min(last, add_duration(start, length, policy.month_end) - timedelta(days=1))
    last = min(last, settlement.until)
    if last < start or last < settlement.since:
        return False
    if periodic[0].per == "month":  # the months are counted from the referral's start
        index = 0
        while True:
            first_of_next = add_months(start, index + 1, policy.month_end)
            if first_of_next > last:
                return first_of_next - timedelta(days=1) != last
            index += 1
    return (last - start).days % 7 != 6
