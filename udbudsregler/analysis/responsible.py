"""Why decisions and payments changed: the parts responsible, and the definitions behind them.

Per group of the rule-change diff, :func:`decision_reasons` counts the parts of the decision
(criteria, target groups, areas, routing, supplier, package) whose outcome differs between
the two policies, and :func:`payment_reasons` the parts of a settlement (bonuses, weekly
payments, how the referral ended), over at most :data:`MAX_EXAMINED` members. :class:`Why`
links each part through both policies' rule graphs to the changed definitions it depends on
(:mod:`udbudsregler.analysis.definitions`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from udbudsregler.analysis.comparison import by_line, result_word
from udbudsregler.analysis.definitions import KIND_ORDER
from udbudsregler.analysis.diff_report import Responsible
from udbudsregler.ir.graph import RuleGraph
from udbudsregler.runtime.settlement_records import BonusStatus

if TYPE_CHECKING:
    from udbudsregler.analysis.comparison import Comparison
    from udbudsregler.analysis.definitions import Definition
    from udbudsregler.analysis.diff_report import Group
    from udbudsregler.runtime.decision import Decision

__all__ = ["MAX_EXAMINED", "Why", "decision_reasons", "payment_reasons"]

#: Reasons are counted over at most this many members of a group.
MAX_EXAMINED = 200

_REASON_ORDER = ("criterion", "target_group", "area", "routing", "supplier", "package", "bonus",
                 "result", "weekly", "payment", "end")


def _outcomes(decision: Decision, suppliers: bool) -> dict[tuple[str, str], tuple[str, str]]:
    """What each part of a decision came to: ``(kind, id) -> (outcome, title)``."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for r in decision.reasons:
        if r.kind == "criterion":
            out[(r.kind, r.id)] = ("met" if r.met else "not met", r.title)
        elif r.kind == "target_group":
            out[(r.kind, r.id)] = ("in" if r.met else "not in", r.title)
        elif r.kind == "area":
            out[(r.kind, r.id)] = ("fits" if r.met else "does not fit", r.title)
        elif r.kind == "routing":
            out[("routing", "")] = (r.id or "no area", "the area chosen by priority")
        elif r.kind == "supplier" and suppliers:
            out[("supplier", r.group or "")] = (r.id or "none", "the supplier")
        elif r.kind == "package":
            status = dict(r.values).get("status", "")
            out[("package", r.id)] = (str(status), r.title)
    return out


class Why:
    """Links a part of a decision or a settlement to the changed definitions."""

    def __init__(self, run: Comparison) -> None:
        self.run = run
        self.by_node = {d.node: d for d in run.definitions if d.node}
        self.routing = next((d for d in run.definitions if d.kind == "routing"), None)
        self.referral = next((d for d in run.definitions if d.kind == "referral"), None)

    def _labels(self, nodes: Iterable[str], extra: Iterable[Definition | None] = ()
                ) -> tuple[str, ...]:
        names = list(nodes)
        deps: set[str] = set()
        for policy in (self.run.old, self.run.new):
            deps |= policy.graph.closure(_expand(policy.graph, names))
        found = [d for n, d in self.by_node.items() if n in deps]
        for d in extra:
            if d is not None and d not in found:
                found.append(d)
        found.sort(key=lambda d: (not d.semantic, KIND_ORDER.index(d.kind), d.name))
        return tuple(d.label + ("" if d.semantic else " (wording only)") for d in found)

    def decision_part(self, kind: str, ident: str) -> tuple[str, ...]:
        if kind in ("criterion", "target_group"):
            return self._labels([ident])
        if kind == "area":
            return self._labels([f"service_areas.{ident}"])
        if kind == "supplier":
            return self._labels([f"service_areas.{ident}"])
        if kind == "package":
            return self._labels([f"course_packages.{ident}"])
        if kind == "routing":
            areas = [f"service_areas.{a}" for p in (self.run.old, self.run.new) for a in p.areas]
            return self._labels(areas, [self.routing])
        return ()

    def payment_part(self, kind: str, package: str, bonus: str = "") -> tuple[str, ...]:
        """The changed definitions a bonus, the weekly payments or the referral's end read:
        the names in the expressions of that part, the price model and the package."""
        nodes: list[str] = []
        extra: list[Definition | None] = [self.by_node.get(f"course_packages.{package}")]
        for policy in (self.run.old, self.run.new):
            domain = policy.graph
            entry = domain.packages.get(package)
            model = domain.price_models.get(entry.spec.price_model) if entry else None
            if entry is None or model is None:
                continue
            extra.append(self.by_node.get(f"price_models.{model.name}"))
            parts: list[str | None] = []
            if kind == "bonus":
                for b in model.results:
                    if b.id == bonus:
                        parts += [b.amount, b.lasting, b.when,
                                  *(n for tier in b.tiers for n in (tier.amount, tier.within))]
                        if b.within not in ("referral", "course"):
                            parts.append(b.within)
            elif kind == "weekly":
                caps = model.caps
                parts = [*(n for p in model.payments for n in (p.amount, p.when)),
                         caps.max_amount if caps else None,
                         caps.max_duration if caps else None]
            else:
                referral = domain.referral
                parts = [referral.max_duration if referral else None,
                         referral.aftercare if referral else None, entry.max_duration]
                extra.append(self.referral)
            for part in parts:
                node = domain.nodes.get(part) if part is not None else None
                if node is not None:
                    nodes += list(node.deps)
        return self._labels(nodes, extra)


def _expand(graph: RuleGraph, names: Iterable[str]) -> list[str]:
    """The names, with a course package or price model standing also for the nodes of its
    values (a package for its price model's too)."""
    out: list[str] = []
    for name in names:
        out.append(name)
        kind, _, ident = name.partition(".")
        if kind == "course_packages" and ident in graph.packages:
            package = graph.packages[ident]
            out += [*(package.span or ()), *([package.max_duration] if package.max_duration
                                              else [])]
            name = f"price_models.{package.spec.price_model}"
            out.append(name)
            kind, _, ident = name.partition(".")
        if kind == "price_models" and ident in graph.price_models:
            out += graph.price_models[ident].value_nodes()
    return out


def _tally(counter: Counter[tuple[str, str, str, str]], titles: dict[tuple[str, str], str],
           why: Callable[[str, str], tuple[str, ...]]) -> list[Responsible]:
    rows = [Responsible(kind, ident, titles.get((kind, ident), ident), old, new, count,
                        why(kind, ident))
            for (kind, ident, old, new), count in counter.items()]
    rows.sort(key=lambda r: (_REASON_ORDER.index(r.kind), -r.count, r.id, r.old, r.new))
    return rows


def decision_reasons(run: Comparison, why: Why, group: Group) -> None:
    """Count the parts of the decision whose outcome differs. The package and the supplier
    are counted only in their own groups: elsewhere they follow from the area."""
    counter: Counter[tuple[str, str, str, str]] = Counter()
    titles: dict[tuple[str, str], str] = {}
    members = group.members[:MAX_EXAMINED]
    skip = {"package", "supplier"} - {group.kind.removeprefix("changed_")}
    for i, (_citizen, a, b) in enumerate(members, start=1):
        before = _outcomes(a, run.suppliers is not None)
        after = _outcomes(b, run.suppliers is not None)
        for key in sorted(before.keys() | after.keys()):
            if key[0] in skip:
                continue
            old, new = before.get(key, ("absent", "")), after.get(key, ("absent", ""))
            if old[0] != new[0]:
                counter[(*key, old[0], new[0])] += 1
                titles[key] = new[1] or old[1]
        run.tick("reasons", i, len(members))
    group.examined = len(members)
    group.responsible = _tally(counter, titles, why.decision_part)


def payment_reasons(run: Comparison, why: Why, group: Group) -> None:
    counter: Counter[tuple[str, str, str, str]] = Counter()
    titles: dict[tuple[str, str], str] = {}
    packages: dict[tuple[str, str], str] = {}
    members = group.members[:MAX_EXAMINED]
    for scenario, a, b in members:
        package = scenario.referral["package"]
        changed = run.payment_signature(a, b)[2]
        for ident, old, new in changed:
            word = _result_word(run, package, ident)
            counter[(word, ident, old or "absent", new or "absent")] += 1
            titles[(word, ident)] = next((x.title for x in (*b.bonuses, *a.bonuses)
                                          if x.id == ident), ident)
            packages[(word, ident)] = package
        # a result earned under both, at another amount: by its tier, or its amount
        before = {x.id: x for x in a.bonuses}
        moved = {ident for ident, _, _ in changed}
        for now in b.bonuses:
            was = before.get(now.id)
            if was is None or now.id in moved or (was.tier, was.amount) == (now.tier,
                                                                             now.amount):
                continue
            old_text, new_text = _status_text(was), _status_text(now)
            if was.tier == now.tier:  # the same tier (or none), at another amount
                new_text += ", more" if now.amount.amount > was.amount.amount else ", less"
            word = _result_word(run, package, now.id)
            counter[(word, now.id, old_text, new_text)] += 1
            titles[(word, now.id)] = now.title
            packages[(word, now.id)] = package
        lines = by_line(a, b)
        for word, title in (("weekly", "weekly payments for"),
                            ("payment", "payments for the time in")):
            if lines.get(word):
                counter[(word, package, "", "")] += 1
                titles[(word, package)] = f"{title} `{package}`"
                packages[(word, package)] = package
        if a.end.cause != b.end.cause:
            counter[("end", package, a.end.cause, b.end.cause)] += 1
            titles[("end", package)] = "how the referral ended"
            packages[("end", package)] = package
    group.examined = len(members)

    def because(kind: str, ident: str) -> tuple[str, ...]:
        package = packages[(kind, ident)]
        part = {"result": "bonus", "payment": "weekly"}.get(kind, kind)
        return why.payment_part(part, package, ident if part == "bonus" else "")

    group.responsible = _tally(counter, titles, because)


def _status_text(status: BonusStatus) -> str:
    return f"{status.status}, tier {status.tier}" if status.tier is not None else status.status


def _result_word(run: Comparison, package: str, ident: str) -> str:
    """As the new round (or else the old one) names the payment: ``bonus`` or ``result``."""
    return result_word(run.new, package, ident) or result_word(run.old, package, ident) \
        or "bonus"
