"""``udbudsregler analyze POLICY``: what holds for every citizen, proved by the solver.

Over every citizen (histories and lists of at most K records, dates within the host's
limits) and every decision date of the round, for whom the policy gives a decision:

- criteria that can never be true, or never false; target groups and service areas no
  citizen reaches; areas that fit only citizens a higher-priority area takes;
- gaps: citizens in a target group who fit no service area; overlaps: citizens who fit
  two areas, where only the routing priority decides (an error where `routing:
  exclusive: true` says no citizen fits two: deciding for them fails, UDB707);
- decisions that fail (an evaluation error) for some citizen;
- course packages whose span of weekly hours is empty on a date of the round, or that
  no order can be accepted for; price models that pay a negative weekly price or bonus,
  or whose cap is below one bonus or one week;
- each invariant: proved, or refuted with a counterexample.

Each result is *proved* (the solver found no citizen), *found* with a witness the
engine confirmed, or *unknown* with why (not encodable, or the solver's time limit).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import z3

from udbudsregler.smt.core import DEFAULT_K, DEFAULT_TIMEOUT, Answer, Problem, own_context
from udbudsregler.smt.symbolic import NotEncodable
from udbudsregler.smt.witness import Witness, decide, describe_dates, render_case
from udbudsregler.values.limits import LATEST

if TYPE_CHECKING:
    from udbudsregler.policy import Policy

__all__ = ["Analysis", "Finding", "analyze", "required_criteria"]

Term = Any
Level = Literal["error", "warning", "note", "ok", "unknown"]


@dataclass
class Finding:
    """One result of the analysis."""

    #: What was checked (stable): ``criterion_never_true``, ``gap``, ``invariant``, ...
    check: str
    #: ``found`` (with a witness or a date), ``proved``, or ``unknown``.
    status: Literal["found", "proved", "unknown"]
    level: Level
    subject: str
    where: str | None
    message: str
    witness: Witness | None = None
    reason: str = ""

    def render(self) -> str:
        head = f"{self.where or '?'}: {self.level}: {self.message}"
        if self.status == "unknown":
            head += f": unknown ({self.reason})"
        elif self.status == "proved":
            head += " (proved)"
        lines = [head]
        if self.witness is not None:
            lines.append("  witness (confirmed by policy.decide):")
            lines += [f"    {line}" for line in self.witness.summary]
            lines.append("  as a test case for the policy's tests/:")
            lines += ["  " + line if line else "" for line in self.witness.case.splitlines()]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check, "status": self.status, "level": self.level,
                               "subject": self.subject, "where": self.where,
                               "message": self.message}
        if self.reason:
            out["reason"] = self.reason
        if self.witness is not None:
            out["witness"] = self.witness.to_dict()
        return out


@dataclass
class Analysis:
    policy: str
    k: int
    dates: tuple[date, date | None]
    timeout: float
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, level: str) -> int:
        return sum(1 for f in self.findings if f.level == level)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.level in ("error", "warning")]

    def render(self) -> str:
        lo, hi = self.dates
        lines = [f"udbudsregler analyze {self.policy}: every citizen with at most {self.k} "
                 f"records per history or list, dates 1850-01-01 to 2200-12-31, decided on "
                 f"{lo.isoformat()} to {hi.isoformat() if hi else 'any later date'} "
                 f"({self.timeout:g} s per query)"]
        for finding in self.findings:
            lines.append(finding.render())
        lines.append(f"{self.count('error')} errors, {self.count('warning')} warnings, "
                     f"{self.count('note')} notes, {self.count('ok')} proved, "
                     f"{self.count('unknown')} unknown (K = {self.k}, {self.seconds:.1f} s)")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.dates
        return {"policy": self.policy, "k": self.k,
                "dates": {"from": lo.isoformat(), "to": hi.isoformat() if hi else None},
                "timeout": self.timeout, "findings": [f.to_dict() for f in self.findings],
                "seconds": round(self.seconds, 2)}


def required_criteria(node: Any) -> list[str]:
    """The criteria a group cannot be met without (those reached through `all` only)."""
    from udbudsregler.ir import nodes as I

    if isinstance(node, I.NodeRef):
        return [node.name]
    if isinstance(node, I.Criteria) and node.op == "all":
        return [c for item in node.items for c in required_criteria(item)]
    return []


def _span(policy: Policy, name: str | None = None,
          path: tuple[str | int, ...] | None = None) -> str | None:
    if name is not None:
        node = policy.graph.nodes.get(name)
        if node is not None and node.span is not None:
            return str(node.span)
    if path is not None:
        info = policy.source.positions.nearest(path)
        if info is not None:
            span = info.key_span or info.span
            return str(span)
    return None


class _Run:
    def __init__(self, policy: Policy, k: int, timeout: float) -> None:
        self.policy = policy
        valid = policy.header.valid
        self.dates = (valid.from_, valid.to)
        self.problem = Problem([policy], k=k, dates=(valid.from_, valid.to or LATEST),
                               timeout=timeout)
        self.enc = self.problem.encoders[0]
        self.graph = policy.graph
        self.findings: list[Finding] = []
        self.universe: list[Term] = []
        #: The areas' names as the routing node's values.
        self.ids = {a: self.problem.choices.id(a) for a in self.graph.areas}

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.findings.append(Finding(*args, **kwargs))

    # -- the queries ------------------------------------------------------------

    def ask(self, goals: Callable[..., list[Term]], *args: Any, witness: bool = False
            ) -> tuple[Answer | None, NotEncodable | None]:
        try:
            built = goals(*args)
        except NotEncodable as error:
            return None, error
        return self.problem.check([*self.universe, *built], witness=witness), None

    def witness(self, answer: Answer, confirm: Callable[..., bool],
                case: Callable[..., tuple[str, list[str], dict[str, Any]]],
                *extra: Any) -> Witness | str:
        """The model as a witness the engine confirms, or why it is not one."""
        try:
            facts, on = self.problem.facts(answer.model)
        except NotEncodable as error:
            return str(error)
        result = decide(self.policy, facts, on)
        if not confirm(result, *extra):
            return "the engine did not confirm the solver's witness"
        name, comments, expect = case(facts, on, result, *extra)
        return Witness(facts, on, render_case(name, comments, on, facts, expect),
                       [f"decision date: {on.isoformat()}", *describe_dates(facts, on)])

    def unknown(self, check: str, subject: str, where: str | None, message: str,
                reason: str) -> None:
        self.add(check, "unknown", "unknown", subject, where, message, reason=reason)

    # -- the checks --------------------------------------------------------------

    def outputs(self) -> None:
        """Citizens whose decision fails; the universe is the others."""
        enc = self.enc
        oks: list[Term] = []
        names = [g.node for g in self.graph.target_groups.values()]
        names += [a.fits for a in self.graph.areas.values()]
        if self.graph.routing is not None:
            names.append(self.graph.routing.node)
        missing: list[str] = []
        for name in names:
            try:
                oks.append(enc.node(name)[1])
            except NotEncodable as error:
                missing.append(f"{name}: {error}")
        where = _span(self.policy, path=("target_groups",))
        if missing:
            self.unknown("decision_fails", "decision", where,
                         "decisions that fail for some citizen", "not encodable: "
                         + "; ".join(missing))
        answer = self.problem.check([z3.Not(z3.And(oks))], witness=True)
        if answer.status == "sat":
            def confirm(result: Any) -> bool:
                from udbudsregler.diagnostics import EvaluationError

                return isinstance(result, EvaluationError)

            def case(facts: dict[str, Any], on: date, result: Any) -> Any:
                return ("analyze: the decision fails", [
                    f"udbudsregler analyze: the decision fails with {result.code}: "
                    f"{result.message}"], {"error": {"code": result.code}})

            found = self.witness(answer, confirm, case)
            if isinstance(found, Witness):
                self.add("decision_fails", "found", "note", "decision", where,
                         "for some citizens the decision fails (an evaluation error)",
                         found)
            else:
                self.unknown("decision_fails", "decision", where,
                             "decisions that fail for some citizen", found)
        elif answer.status == "unknown":
            self.unknown("decision_fails", "decision", where,
                         "decisions that fail for some citizen", answer.reason)
        self.universe = oks

    def criteria(self) -> None:
        for group in self.graph.target_groups.values():
            for name in group.criteria:
                where = _span(self.policy, name)
                for value, check, level in ((True, "criterion_never_true", "error"),
                                            (False, "criterion_never_false", "warning")):
                    answer, error = self.ask(self._truth, name, value)
                    what = "true" if value else "false"
                    if error is not None:
                        self.unknown(check, name, where, f"criterion `{name}` can be {what}",
                                     f"not encodable: {error}")
                    elif answer is not None and answer.status == "unsat":
                        self.add(check, "proved", level, name, where,
                                 f"criterion `{name}` of `{group.name}` can never be {what}")
                    elif answer is not None and answer.status == "unknown":
                        self.unknown(check, name, where, f"criterion `{name}` can be {what}",
                                     answer.reason)

    def groups_and_areas(self) -> None:
        for group in self.graph.target_groups.values():
            where = _span(self.policy, group.node)
            for value, check, level in ((True, "group_unreachable", "error"),
                                        (False, "group_always", "warning")):
                answer, error = self.ask(self._truth, group.node, value)
                text = ("no citizen is in target group" if value
                        else "every citizen is in target group")
                if error is not None:
                    self.unknown(check, group.name, where, f"{text} `{group.name}`",
                                 f"not encodable: {error}")
                elif answer is not None and answer.status == "unsat":
                    self.add(check, "proved", level, group.name, where,
                             f"{text} `{group.name}`")
                elif answer is not None and answer.status == "unknown":
                    self.unknown(check, group.name, where, f"{text} `{group.name}`",
                                 answer.reason)
        routing = self.graph.routing
        for area in self.graph.areas.values():
            where = _span(self.policy, area.fits)
            answer, error = self.ask(self._truth, area.fits, True)
            if error is not None:
                self.unknown("area_unreachable", area.name, where,
                             f"some citizen fits service area `{area.name}`",
                             f"not encodable: {error}")
                continue
            assert answer is not None
            if answer.status == "unsat":
                self.add("area_unreachable", "proved", "error", area.name, where,
                         f"no citizen fits service area `{area.name}`")
                continue
            if answer.status == "unknown":
                self.unknown("area_unreachable", area.name, where,
                             f"some citizen fits service area `{area.name}`", answer.reason)
                continue
            if routing is None:
                continue
            chosen, error = self.ask(self._routed_to, [area.name])
            if error is None and chosen is not None and chosen.status == "unsat":
                why = ("fits another of the exclusive areas too (UDB707)" if routing.exclusive
                       else "fits an area before it in the routing priority")
                self.add("area_never_chosen", "proved", "error", area.name, where,
                         f"no citizen goes to service area `{area.name}`: every citizen who "
                         f"fits it {why}")

    def _truth(self, name: str, value: bool) -> list[Term]:
        return [self.enc.holds(name) if value else self.enc.fails(name)]

    def _routed_to(self, areas: list[str]) -> list[Term]:
        return [z3.Or([self.routed() == self.ids[a] for a in areas] or [z3.BoolVal(False)])]

    def _gap(self, group: str) -> list[Term]:
        return [self.enc.holds(group), self.routed() == 0]

    def _both(self, first: str, second: str) -> list[Term]:
        return [self.enc.holds(first), self.enc.holds(second)]

    def _orderable(self, package: Any, areas: list[str]) -> list[Term]:
        return [*self._routed_to(areas), *self._span_open(package)]

    def routed(self) -> Term:
        assert self.graph.routing is not None
        return self.enc.node(self.graph.routing.node)[0]

    def gaps_and_overlaps(self) -> None:
        graph = self.graph
        if not graph.areas or graph.routing is None:
            return
        routing_where = _span(self.policy, graph.routing.node)
        gaps = 0
        for group in graph.target_groups.values():
            where = _span(self.policy, group.node)
            answer, error = self.ask(self._gap, group.node, witness=True)
            if error is not None:
                self.unknown("gap", group.name, where, f"citizens in `{group.name}` who fit "
                             "no service area", f"not encodable: {error}")
                continue
            assert answer is not None
            if answer.status == "unknown":
                self.unknown("gap", group.name, where, f"citizens in `{group.name}` who fit "
                             "no service area", answer.reason)
                continue
            if answer.status == "unsat":
                continue
            gaps += 1

            found = self.witness(answer, _confirm_gap, _case_gap, group.name)
            if isinstance(found, Witness):
                self.add("gap", "found", "error", group.name, where,
                         f"gap: a citizen in target group `{group.name}` fits no service area",
                         found)
            else:
                self.unknown("gap", group.name, where, f"citizens in `{group.name}` who fit "
                             "no service area", found)
        if not gaps and graph.target_groups:
            self.add("gap", "proved", "ok", "", routing_where,
                     "no gaps: every citizen in a target group fits a service area")
        priority = list(graph.routing.priority)
        # `routing: exclusive: true`: an overlap is no matter of priority but an error
        exclusive = graph.routing.exclusive
        overlaps = unsure = 0
        for i, first in enumerate(priority):
            for second in priority[i + 1:]:
                a, b = graph.areas[first], graph.areas[second]
                answer, error = self.ask(self._both, a.fits, b.fits, witness=True)
                if error is not None or answer is None or answer.status != "sat":
                    if error is not None or (answer is not None
                                             and answer.status == "unknown"):
                        unsure += 1
                    if answer is not None and answer.status == "unknown":
                        self.unknown("overlap", f"{first}+{second}", routing_where,
                                     f"citizens who fit both `{first}` and `{second}`",
                                     answer.reason)
                    elif error is not None:
                        self.unknown("overlap", f"{first}+{second}", routing_where,
                                     f"citizens who fit both `{first}` and `{second}`",
                                     f"not encodable: {error}")
                    continue

                if exclusive:
                    overlaps += 1
                    found = self.witness(answer, _confirm_exclusive, _case_exclusive, first,
                                         second)
                    if isinstance(found, Witness):
                        self.add("overlap", "found", "error", f"{first}+{second}",
                                 routing_where, f"overlap of exclusive areas: citizens fit "
                                 f"both `{first}` and `{second}`, but `routing: exclusive` "
                                 "says no citizen fits two; deciding for them fails (UDB707)",
                                 found)
                    else:
                        self.unknown("overlap", f"{first}+{second}", routing_where,
                                     f"citizens who fit both `{first}` and `{second}`", found)
                    continue
                found = self.witness(answer, _confirm_overlap, _case_overlap, first, second)
                if isinstance(found, Witness):
                    self.add("overlap", "found", "note", f"{first}+{second}", routing_where,
                             f"overlap: citizens fit both `{first}` and `{second}`; only the "
                             f"routing priority decides: they go to `{first}`", found)
                else:
                    self.unknown("overlap", f"{first}+{second}", routing_where,
                                 f"citizens who fit both `{first}` and `{second}`", found)
        if exclusive and not overlaps and not unsure:
            self.add("overlap", "proved", "ok", "", routing_where,
                     "no overlaps: no citizen fits two of the exclusive service areas")

    def tender(self) -> None:
        """Packages and price models: their values on a date of the round (or, for what a
        settlement pays, any date from the round's first day on)."""
        policy, graph = self.policy, self.graph
        day = z3.Int("value_date")
        lo, hi = self.dates
        in_round = [day >= lo.toordinal(), day <= (hi or LATEST).toordinal()]
        from_start = [day >= lo.toordinal(), day <= LATEST.toordinal()]
        values = self.problem.encoder(policy, today=day)

        found_on: dict[int, date] = {}

        def at(answer: Answer) -> date:
            return found_on[id(answer)]

        def query(goals: Callable[..., list[Term]], bounds: list[Term], *args: Any) -> tuple[
                Answer | None, NotEncodable | None]:
            try:
                built = goals(*args)
            except NotEncodable as error:
                return None, error
            answer = self.problem.check([*bounds, *built])
            if answer.status == "sat":
                # the first date it happens on (a binary search; the values are piecewise
                # constant, so this is the date a parameter's value takes effect)
                low, high = bounds[0].arg(1).as_long(), answer.model.eval(day, True).as_long()
                while low < high:
                    middle = (low + high) // 2
                    if self.problem.check([*bounds, *built, day <= middle]).status == "sat":
                        high = middle
                    else:
                        low = middle + 1
                # the witness is a citizen it happens to on that date (the first model's
                # citizen may have it only later: the engine would not confirm it), tidied
                on_first = self.problem.check([*bounds, *built, day == high], witness=True)
                if on_first.status == "sat":
                    answer = on_first
                found_on[id(answer)] = date.fromordinal(high)
            return answer, None

        def reversed_span(low: str, high: str) -> list[Term]:
            (lo_v, lo_ok), (hi_v, hi_ok) = values.node(low), values.node(high)
            return [lo_ok, hi_ok, lo_v > hi_v]

        def condition(when: str | None) -> list[Term]:
            return [values.holds(when)] if when is not None else []

        def negative(name: str, when: str | None) -> list[Term]:
            v, ok = values.node(name)
            return [ok, v < 0, *condition(when)]

        def below(name: str, cap: str, when: str | None) -> list[Term]:
            (v, ok), (c, c_ok) = values.node(name), values.node(cap)
            return [ok, c_ok, c < v, *condition(when)]

        for name, package in graph.packages.items():
            where = _span(policy, path=package.path)
            if package.span is not None:
                low, high = package.span
                answer, error = query(reversed_span, in_round, low, high)
                if error is not None:
                    self.unknown("span_empty", name, where, f"the span of `{name}` is empty",
                                 f"not encodable: {error}")
                elif answer is not None and answer.status == "sat":
                    d = at(answer)
                    span = policy.span_of(name, d)
                    if span is not None and span[0] > span[1]:
                        self.add("span_empty", "found", "error", name,
                                 _span(policy, low) or where,
                                 f"the weekly hours of package `{name}` run from {span[0]} down "
                                 f"to {span[1]} from {d.isoformat()}: no order fits")
            areas = [a for a in package.spec.areas if a in self.ids]
            answer, error = self.ask(self._orderable, package, areas)
            if error is not None:
                self.unknown("package_never_orderable", name, where,
                             f"package `{name}` can be ordered", f"not encodable: {error}")
            elif answer is not None and answer.status == "unsat":
                self.add("package_never_orderable", "proved", "error", name, where,
                         f"package `{name}` can never be ordered: no citizen goes to an area "
                         "that offers it while its span of weekly hours is open")
        used = {p.spec.price_model for p in graph.packages.values()}
        for name, model in graph.price_models.items():
            if name not in used:
                continue
            amounts: list[tuple[str, str, str | None]] = []  # (label, amount, condition)
            for payment in model.payments:
                label = ("the weekly price" if payment.legacy
                         else f"payment `{payment.id}` (per {payment.per})")
                amounts.append((label, payment.amount, payment.when))
            for result in model.results:
                label = f"bonus `{result.id}`" if result.legacy else f"result `{result.id}`"
                if result.tiers:
                    amounts += [(f"{label}, tier `{tier.id}`", tier.amount, result.when)
                                for tier in result.tiers]
                else:
                    amounts.append((label, result.amount, result.when))
            for label, node, when in amounts:
                answer, error = query(negative, from_start, node, when)
                where = _span(policy, node)
                if error is not None:
                    self.unknown("negative_amount", name, where,
                                 f"{label} of `{name}` can be negative", f"not encodable: {error}")
                elif answer is not None and answer.status == "sat":
                    d = at(answer)
                    amount = self._value_at(node, answer, d)
                    if amount is not None and amount.amount < 0:
                        self.add("negative_amount", "found", "error", name, where,
                                 f"price model `{name}` pays a negative amount: {label} is "
                                 f"{amount} from {d.isoformat()}" + self._for_whom(node, answer, d))
                    else:
                        self.unknown("negative_amount", name, where,
                                     f"{label} of `{name}` can be negative",
                                     "the engine did not confirm the solver's witness")
                elif answer is not None and answer.status == "unsat":
                    self.add("negative_amount", "proved", "ok", name, where,
                             f"{label} of price model `{name}` is never negative")
                elif answer is not None:
                    self.unknown("negative_amount", name, where,
                                 f"{label} of `{name}` can be negative", answer.reason)
            caps = model.caps
            if caps is None or caps.max_amount is None:
                continue
            cap = caps.max_amount
            for label, node, when in amounts:
                answer, error = query(below, from_start, node, cap, when)
                if answer is not None and answer.status == "sat":
                    d = at(answer)
                    limit, amount = self._value_at(cap, answer, d), self._value_at(node, answer, d)
                    if limit is not None and amount is not None and limit < amount:
                        what = ("one payment: the cap is reached at once"
                                if any(p.amount == node for p in model.payments)
                                else "a single result payment")
                        if any(p.amount == node and p.per == "week" for p in model.payments):
                            what = "one week: the cap is reached in the first week"
                        self.add("cap_below_amount", "found", "warning", name,
                                 _span(policy, cap),
                                 f"the cap of price model `{name}` ({limit}) is below {label} "
                                 f"({amount}) on {d.isoformat()}: below {what}"
                                 + self._for_whom(node, answer, d))
                elif error is not None:
                    self.unknown("cap_below_amount", name, _span(policy, cap),
                                 f"the cap of `{name}` is below {label}", f"not encodable: {error}")

    def _reads_facts(self, node: str) -> bool:
        return bool(self.graph.closure([node]) & set(self.graph.facts))

    def _value_at(self, node: str, answer: Answer, d: date) -> Any:
        """The engine's value of a tender node on ``d`` (for the model's citizen, if the
        value reads facts), or None if the engine fails."""
        from udbudsregler.diagnostics import EvaluationError, FactError

        facts: dict[str, Any] = {}
        if self._reads_facts(node):
            try:
                facts = self.problem.citizen.facts(answer.model, d)
            except NotEncodable:
                return None
        try:
            return self.policy.node_value(node, facts, d)
        except (EvaluationError, FactError, KeyError):
            return None

    def _for_whom(self, node: str, answer: Answer, d: date) -> str:
        if not self._reads_facts(node):
            return ""
        reads = self.graph.closure([node]) & set(self.graph.facts)
        facts = {k: v for k, v in self.problem.citizen.facts(answer.model, d).items()
                 if k in reads}
        shown = describe_dates(facts, d) or [f"{k}: {v}" for k, v in facts.items()]
        return " for a citizen with " + ", ".join(shown)

    def _span_open(self, package: Any) -> list[Term]:
        if package.span is None:
            return []
        low, high = package.span
        lo_v, lo_ok = self.enc.node(low)
        hi_v, hi_ok = self.enc.node(high)
        return [lo_ok, hi_ok, lo_v <= hi_v]

    def invariants(self) -> None:
        from udbudsregler.testing.invariants import is_settlement_invariant

        policy, graph = self.policy, self.graph
        for name, invariant in graph.invariants.items():
            spec = invariant.spec
            where = (_span(policy, invariant.holds) if invariant.holds
                     else _span(policy, path=invariant.path))
            title = f"invariant `{name}` ({spec.title})"
            if is_settlement_invariant(spec):
                self.unknown("invariant", name, where, title,
                             "not encodable: settlement is computed outside the rule graph; "
                             "the property tests of `udbudsregler test` check it")
                continue
            try:
                broken = self._violation(invariant)
            except NotEncodable as error:
                self.unknown("invariant", name, where, title, f"not encodable: {error}")
                continue
            answer = self.problem.check([*self.universe, broken], witness=True)
            if answer.status == "unsat":
                self.add("invariant", "proved", "ok", name, where,
                         f"{title} holds for every citizen (up to K records per history)")
                continue
            if answer.status == "unknown":
                self.unknown("invariant", name, where, title, answer.reason)
                continue

            found = self.witness(answer, _confirm_invariant, _case_invariant, policy,
                                 invariant)
            if isinstance(found, Witness):
                self.add("invariant", "found", "error", name, where, f"{title} is refuted",
                         found)
            else:
                self.unknown("invariant", name, where, title, found)

    def _violation(self, invariant: Any) -> Term:
        graph, enc = self.graph, self.enc
        spec = invariant.spec
        if invariant.holds is not None:
            value, ok = enc.node(invariant.holds)
            return z3.Not(z3.And(ok, value))
        groups = {g: enc.holds(t.node) for g, t in graph.target_groups.items()}
        if spec.check == "eligible_routed":
            if not graph.areas or graph.routing is None:
                return z3.BoolVal(False)
            routed = self.routed()
            eligible = z3.Or(list(groups.values()) or [z3.BoolVal(False)])
            wrong_area = z3.Or([z3.And(routed == self.ids[a], z3.Not(z3.Or(
                [groups[g] for g in area.spec.serves if g in groups] or [z3.BoolVal(False)])))
                for a, area in graph.areas.items()] or [z3.BoolVal(False)])
            return z3.Or(z3.And(eligible, routed == 0), z3.And(z3.Not(eligible), routed != 0),
                         wrong_area)
        if spec.check == "failed_criterion_blocks":
            return z3.Or([z3.And(groups[g], enc.fails(c))
                          for g, t in graph.target_groups.items()
                          for c in required_criteria(t.tree(graph))] or [z3.BoolVal(False)])
        raise NotEncodable(f"the built-in check `{spec.check}`")


@own_context
def analyze(policy: Policy, *, k: int = DEFAULT_K, timeout: float = DEFAULT_TIMEOUT) -> Analysis:
    """Analyse a policy (see the module's documentation)."""
    started = time.perf_counter()
    run = _Run(policy, k, timeout)
    run.outputs()
    run.criteria()
    run.groups_and_areas()
    run.gaps_and_overlaps()
    run.tender()
    run.invariants()
    return Analysis(policy.id, k, run.dates, timeout, run.findings,
                    time.perf_counter() - started)



# -- what the engine must confirm, and the test case of each kind of witness -----------------


def _confirm_gap(result: Any, group: str) -> bool:
    return hasattr(result, "target_groups") and group in result.target_groups \
        and result.area is None


def _case_gap(facts: dict[str, Any], on: date, result: Any,
              group: str) -> tuple[str, list[str], dict[str, Any]]:
    return (f"analyze: gap: in {group}, fits no service area",
            [f"udbudsregler analyze: a citizen in `{group}` who fits no service area (a gap)"],
            {"eligible": True, "target_groups": list(result.target_groups), "area": None})


def _confirm_overlap(result: Any, first: str, second: str) -> bool:
    return hasattr(result, "areas") and first in result.areas and second in result.areas


def _confirm_exclusive(result: Any, first: str, second: str) -> bool:
    """The engine refuses the citizen: it fits both areas, which `routing` says are
    exclusive (UDB707, naming both)."""
    from udbudsregler.diagnostics import EvaluationError

    return isinstance(result, EvaluationError) and result.code == "UDB707" \
        and f"`{first}`" in result.message and f"`{second}`" in result.message


def _case_exclusive(facts: dict[str, Any], on: date, result: Any, first: str,
                    second: str) -> tuple[str, list[str], dict[str, Any]]:
    return (f"analyze: overlap: fits exclusive {first} and {second}",
            [f"udbudsregler analyze: fits both `{first}` and `{second}`, which `routing: "
             "exclusive` says no citizen does; the decision fails with UDB707"],
            {"error": {"code": "UDB707"}})


def _case_overlap(facts: dict[str, Any], on: date, result: Any, first: str,
                  second: str) -> tuple[str, list[str], dict[str, Any]]:
    return (f"analyze: overlap: fits {first} and {second}, goes to {result.area}",
            [f"udbudsregler analyze: fits both `{first}` and `{second}`; only the routing "
             "priority decides"],
            {"areas": list(result.areas), "area": result.area})


def _confirm_invariant(result: Any, policy: Policy, invariant: Any) -> bool:
    from udbudsregler.testing.invariants import check_decision

    return hasattr(result, "target_groups") and \
        check_decision(policy, invariant, result) is not None


def _case_invariant(facts: dict[str, Any], on: date, result: Any, policy: Policy,
                    invariant: Any) -> tuple[str, list[str], dict[str, Any]]:
    from udbudsregler.testing.invariants import check_decision

    problem = check_decision(policy, invariant, result)
    return (f"invariant {invariant.id}: counterexample", [
        f"Invariant `{invariant.id}` ({invariant.spec.title}) does not hold: {problem}.",
        "Found by udbudsregler analyze (an SMT solver); the engine confirms it."],
        {"invariants": [invariant.id]})
