"""The rule graph: the one representation every stage after ``check`` walks.

A policy is a graph of named, typed nodes: facts, parameters, rules, criteria,
target groups, and the tender vocabulary lowered into ordinary nodes: whether
each service area fits (a bool), the routed area (the first fitting area in
the priority), the weekly hours a package allows, prices, bonus amounts and
lengths, caps, the referral's durations, invariants. Each node has its type,
its expression (typed, see :mod:`udbudsregler.ir.nodes`), the names it reads,
and where it is written.

The tender entities (:class:`TargetGroup`, :class:`Area`, :class:`Package`,
:class:`PriceModel`, ...) keep what is not a value (titles, legal basis, the
supplier list, how a week is billed) and name the nodes that hold their values,
so a consumer reads a price as ``graph.nodes[model.weekly_price]``, never by a
YAML path or by looking a spec up again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from udbudsregler.diagnostics import Span
from udbudsregler.ir.nodes import Criteria, Expr, NodeRef, Today, refs, walk
from udbudsregler.loader.documents import (
    FactSpec,
    PolicyHeader,
    TargetGroupSpec,
)
from udbudsregler.loader.tender import (
    AreaSpec,
    InvariantSpec,
    OutcomeSpec,
    PackageSpec,
    PriceModelSpec,
    ReferralSpec,
    RoutingSpec,
    SupplierSpec,
)
from udbudsregler.semantics.types import RecordType, Type

__all__ = [
    "NODE_KINDS",
    "Area",
    "Bonus",
    "Caps",
    "Dated",
    "FactBounds",
    "FactDecl",
    "Invariant",
    "Node",
    "NodeKind",
    "Outcome",
    "Package",
    "Payment",
    "PriceModel",
    "ReferralRule",
    "Result",
    "Routing",
    "RuleGraph",
    "TargetGroup",
    "Tier",
]

Path = tuple[str | int, ...]

NodeKind = Literal["parameter", "rule", "criterion", "target_group", "area", "routing",
                   "value", "invariant", "outcome"]
#: ``value``: a value of the tender vocabulary (a price, a package's hours, a duration).
NODE_KINDS: tuple[str, ...] = ("parameter", "rule", "criterion", "target_group", "area",
                               "routing", "value", "invariant", "outcome")


@dataclass(frozen=True, slots=True)
class Dated:
    """One value of a parameter: from ``start`` on (None: undated)."""

    start: date | None
    expr: Expr


@dataclass(eq=False)
class Node:
    """A named, typed node of the graph."""

    name: str
    kind: NodeKind
    type: Type
    #: The expression (None for a parameter: see ``values``).
    expr: Expr | None
    #: A parameter's values, in date order.
    values: tuple[Dated, ...] = ()
    #: The facts and nodes the expression reads, in order of first use.
    deps: tuple[str, ...] = ()
    #: Where the node is defined (its path in the document, and its key's span).
    path: Path = ()
    span: Span | None = None
    #: ``file:line`` of the definition, relative to the policy's folder.
    at: str | None = None
    #: The definition as the author wrote it (titles, legal basis, reading, ...), for the
    #: kinds that have one: RuleSpec, ParameterSpec, Criterion, TargetGroupSpec, ...
    spec: Any = None
    #: For a criterion: its target group. For a tender value: its entity ("price_models.x").
    owner: str | None = None

    @property
    def title(self) -> str | None:
        title = getattr(self.spec, "title", None)
        return str(title) if title else None

    @property
    def reads_today(self) -> bool:
        """Whether the node's own expression (a parameter: one of its values) reads
        ``today``; what it reads through other nodes is not looked at."""
        exprs = (self.expr, *(v.expr for v in self.values))
        return any(isinstance(sub, Today) for expr in exprs if expr is not None
                   for sub in walk(expr))


@dataclass(frozen=True, eq=False)
class FactDecl:
    """A fact the host supplies: its declaration and type."""

    name: str
    spec: FactSpec
    type: Type
    path: Path
    span: Span | None = None
    at: str | None = None


@dataclass(frozen=True)
class FactBounds:
    """What a fact's declaration says of its values beyond their type: the least and the
    greatest value (None: no bound), and the value when the host does not give it."""

    minimum: Any = None
    maximum: Any = None
    default: Any = None
    has_default: bool = False


@dataclass(frozen=True, eq=False)
class TargetGroup:
    name: str
    spec: TargetGroupSpec
    #: The node of the group (its expression is the criteria tree, a ``Criteria``).
    node: str
    #: The criteria ids, in document order.
    criteria: tuple[str, ...]
    path: Path
    at: str | None = None

    def tree(self, graph: RuleGraph) -> Expr:
        expr = graph.nodes[self.node].expr
        assert expr is not None
        return expr


@dataclass(frozen=True, eq=False)
class Area:
    name: str
    spec: AreaSpec
    #: The node that says whether the citizen fits the area (a served group and the
    #: area's own condition).
    fits: str
    #: The target groups the area serves that exist.
    serves: tuple[str, ...]
    suppliers: tuple[SupplierSpec, ...]
    path: Path
    at: str | None = None
    #: For `strategy: nearest`: the node of a supplier's distance (over `$supplier`).
    distance: str | None = None
    #: The node saying whether a supplier may be chosen for the citizen (over `$supplier`).
    only: str | None = None

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def strategy(self) -> str:
        selection = self.spec.selection
        return selection.strategy if selection is not None else "first"


@dataclass(frozen=True, eq=False)
class Routing:
    #: The areas in the order they are chosen when several fit.
    priority: tuple[str, ...]
    #: The node of the routed area (a ``FirstOf`` over the areas' fit nodes).
    node: str
    spec: RoutingSpec | None
    path: Path | None
    at: str | None = None

    @property
    def exclusive(self) -> bool:
        """`exclusive: true`: the areas do not overlap; a citizen who fits two is an error."""
        return self.spec is not None and self.spec.exclusive


@dataclass(frozen=True, eq=False)
class Package:
    name: str
    spec: PackageSpec
    #: The nodes of the weekly hours' lower and upper bounds, if the package has a span.
    span: tuple[str, str] | None
    #: The node of the package's longest duration, if it has one.
    max_duration: str | None
    path: Path
    at: str | None = None

    @property
    def title(self) -> str:
        return self.spec.title


@dataclass(frozen=True, eq=False)
class Payment:
    """A payment for the time in the service (per day, week or month), or once.

    ``legacy`` is the short form `weekly_price` (its lines keep their kind `weekly`)."""

    id: str
    title: str
    per: Literal["day", "week", "month", "once"]
    #: pro_rata_days | started | whole (weeks and months)
    partial: str
    #: course | referral
    during: str
    #: Nodes of the amount (per unit, or the one-off amount) and of the condition.
    amount: str
    when: str | None
    spec: Any
    path: Path
    legacy: bool = False


@dataclass(frozen=True, eq=False)
class Tier:
    """One amount of a result payment, by how soon the result came."""

    id: str
    title: str | None
    #: The node of the duration the result must come within (None: any time).
    within: str | None
    amount: str
    path: Path


@dataclass(frozen=True, eq=False)
class Result:
    """A one-off payment for a result (a bonus, a milestone, a result payment).

    ``legacy`` is the short form of `bonuses` (its status names, e.g. `not_immediate`, and
    lines of kind `bonus` stay as they were)."""

    id: str
    title: str
    #: The outcomes that make the result (empty for a payment at the referral's start).
    outcomes: tuple[str, ...]
    #: outcome_start | day_after_course_end | course_end | referral_start
    anchor: str
    #: The node of how long the outcome must last (None: the day it starts).
    lasting: str | None
    #: Where the outcome must start: `referral`, `course`, or the node of a duration from
    #: the referral's start.
    within: str
    #: The node of the amount (for tiers: the tiers' amounts in order, by time to result).
    amount: str
    tiers: tuple[Tier, ...]
    when: str | None
    spec: Any
    path: Path
    legacy: bool = False


#: The old name of a result payment (`bonuses:` in a price model).
Bonus = Result


@dataclass(frozen=True, eq=False)
class Caps:
    max_duration: str | None
    max_amount: str | None


@dataclass(frozen=True, eq=False)
class PriceModel:
    name: str
    spec: PriceModelSpec
    payments: tuple[Payment, ...]
    results: tuple[Result, ...]
    caps: Caps | None
    path: Path
    at: str | None = None

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def weekly_price(self) -> str | None:
        """The node of the weekly price, for a model written with `weekly_price`."""
        return next((p.amount for p in self.payments if p.legacy), None)

    @property
    def bonuses(self) -> tuple[Result, ...]:
        return self.results

    def value_nodes(self) -> list[str]:
        """Every node of its amounts, conditions, durations and caps."""
        out = [n for p in self.payments for n in (p.amount, p.when) if n]
        for result in self.results:
            out += [n for n in (result.amount, result.lasting, result.when) if n]
            if result.within not in ("referral", "course"):
                out.append(result.within)
            out += [n for tier in result.tiers for n in (tier.amount, tier.within) if n]
        if self.caps is not None:
            out += [n for n in (self.caps.max_amount, self.caps.max_duration) if n]
        return out

    def reads_facts(self, graph: RuleGraph) -> tuple[str, ...]:
        """The facts its amounts and conditions read."""
        names = [n for p in self.payments for n in (p.amount, p.when) if n] + [
            n for r in self.results for n in (r.amount, r.when) if n]
        if self.caps is not None and self.caps.max_amount is not None:
            names.append(self.caps.max_amount)
        return tuple(sorted(f for f in graph.closure(names) if f in graph.facts))


@dataclass(frozen=True, eq=False)
class ReferralRule:
    spec: ReferralSpec
    max_duration: str
    aftercare: str | None
    path: Path
    at: str | None = None
    #: The outcomes that end the course.
    ends_on: tuple[str, ...] = ()
    #: when_outcome_starts | as_recorded
    course_ends: str = "when_outcome_starts"
    #: The node of the longest all linked referrals may last together.
    total_duration: str | None = None


@dataclass(frozen=True, eq=False)
class Outcome:
    name: str
    spec: OutcomeSpec
    path: Path
    #: The node deciding day by day whether it holds (over `$day`, `$reported`, facts).
    holds: str | None = None


@dataclass(frozen=True, eq=False)
class Invariant:
    id: str
    spec: InvariantSpec
    #: The node of its condition, for an invariant that ``holds``.
    holds: str | None
    path: Path
    at: str | None = None


@dataclass(frozen=True, eq=False)
class OverrideNote:
    """A definition of a base policy that a derived policy (``extends:``) replaced."""

    base: str
    at: str


@dataclass(eq=False)
class RuleGraph:
    """A checked policy: its header, facts, named nodes, and tender entities."""

    header: PolicyHeader
    facts: dict[str, FactDecl] = field(default_factory=dict)
    #: Every named node, each after the nodes it reads.
    nodes: dict[str, Node] = field(default_factory=dict)
    target_groups: dict[str, TargetGroup] = field(default_factory=dict)
    areas: dict[str, Area] = field(default_factory=dict)
    routing: Routing | None = None
    packages: dict[str, Package] = field(default_factory=dict)
    price_models: dict[str, PriceModel] = field(default_factory=dict)
    referral: ReferralRule | None = None
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    invariants: dict[str, Invariant] = field(default_factory=dict)
    #: For a derived policy: the base definitions it replaced, by their path.
    overrides: dict[Path, OverrideNote] = field(default_factory=dict)
    #: Ranges and defaults of facts and their fields, by dotted name (`offers.weekly_hours`).
    fact_bounds: dict[str, FactBounds] = field(default_factory=dict)
    #: The nodes in the order they are written: parameters, rules, criteria, then the
    #: tender sections' values, areas and invariants.
    written: tuple[str, ...] = ()
    #: Whether ``lower`` has run (operators are primitives of the semantic table).
    lowered: bool = False

    # -- the graph -----------------------------------------------------------

    def of_kind(self, kind: str) -> Iterator[Node]:
        return (node for node in self.nodes.values() if node.kind == kind)

    def closure(self, names: Iterable[str]) -> set[str]:
        """The names and everything they read, transitively (facts included)."""
        seen: set[str] = set()
        stack = list(names)
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            node = self.nodes.get(current)
            if node is not None:
                stack.extend(node.deps)
        return seen

    def users(self) -> dict[str, list[str]]:
        """For each name, the nodes that read it directly."""
        out: dict[str, list[str]] = {}
        for node in self.nodes.values():
            for dep in node.deps:
                out.setdefault(dep, []).append(node.name)
        return out

    def expressions(self) -> Iterator[tuple[Node, Expr]]:
        """Every node's expression (each value of a parameter), in graph order."""
        for node in self.nodes.values():
            if node.expr is not None:
                yield node, node.expr
            for dated in node.values:
                yield node, dated.expr

    def walk(self) -> Iterator[tuple[Node, Expr]]:
        """Every sub-expression of every node."""
        for node, expr in self.expressions():
            for sub in walk(expr):
                yield node, sub

    def kind_of(self, name: str) -> str | None:
        """``fact``, a node's kind, ``today``, or None for a name the graph does not have."""
        if name in self.facts:
            return "fact"
        if name == "today":
            return "today"
        node = self.nodes.get(name)
        return node.kind if node is not None else None

    def type_of(self, name: str) -> Type | None:
        if name in self.facts:
            return self.facts[name].type
        node = self.nodes.get(name)
        return node.type if node is not None else None

    def type_of_name(self, name: str) -> Type | None:
        """The type of a name a reason shows: a fact, a node, or a field of a fact
        (``assessment.cognitive``)."""
        if "." in name and name.split(".", 1)[0] in self.facts:
            head, *rest = name.split(".")
            t: Type | None = self.facts[head].type
            for part in rest:
                t = t.field(part) if isinstance(t, RecordType) else None
            return t
        return self.type_of(name)

    def criteria_of(self, group: str) -> list[Node]:
        return [self.nodes[c] for c in self.target_groups[group].criteria]

    @property
    def outputs(self) -> tuple[str, ...]:
        """What a decision computes: each target group, then whether each area fits."""
        return (*(g.node for g in self.target_groups.values()),
                *(a.fits for a in self.areas.values()))

    # -- derived policies ------------------------------------------------------

    def overrides_for(self, name: str, kind: str,
                      path: Path) -> tuple[tuple[str, str, str, str], ...]:
        """The base-policy definitions that ``name`` depends on and this policy replaced:
        (kind, name, base policy, where)."""
        if not self.overrides:
            return ()
        out: list[tuple[str, str, str, str]] = []
        own = self.overrides.get(path)
        if own is not None:
            out.append((kind, name.split(".", 1)[-1], own.base, own.at))
        sections = {"fact": "facts", "parameter": "parameters", "rule": "rules"}
        for dep in sorted(self.closure([name]) - {name}):
            dep_kind = self.kind_of(dep)
            section = sections.get(dep_kind or "")
            found = self.overrides.get((section, dep)) if section else None
            if found is not None and dep_kind is not None:
                out.append((dep_kind, dep, found.base, found.at))
        return tuple(out)


def criteria_refs(expr: Expr) -> list[str]:
    """The criteria a target group's tree names, in order."""
    return [r.name for r in refs(expr) if isinstance(r, NodeRef)] if isinstance(
        expr, Criteria) else []
