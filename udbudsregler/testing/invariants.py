"""Invariants declared in a policy, checked over generated citizens and referrals.

A policy states what must hold for everybody::

    invariants:
      - id: routed_when_eligible
        title: Enhver borger i en målgruppe går til præcis ét indsatsområde
        check: eligible_routed
      - id: under_30_not_eligible
        title: Borgere under 30 år er aldrig i målgruppen
        holds: not aktivitetsparate_over_30 or age >= min_age

An invariant meant as an absolute limit ("never under 30", whatever a later round
does with `min_age`) says so with ``absolute: true`` and writes the limit as a value::

      - id: never_under_30
        title: Borgere under 30 år er aldrig i målgruppen, heller ikke i en senere runde
        holds: not aktivitetsparate_over_30 or age >= 30
        absolute: true

The checker rejects a parameter in an absolute invariant's condition (UDB432): a round
derived with ``extends:`` that lowers ``min_age`` is then held to 30, and its
invariants fail instead of moving along (``udbudsregler analyze`` refutes it at once).

The built-in checks:

- ``eligible_routed``: a citizen in a target group goes to exactly one service
  area, one that serves a group the citizen is in; a citizen in no target
  group goes to none;
- ``failed_criterion_blocks``: a citizen who fails a criterion that all of a
  target group's criteria require is not in that group;
- ``payment_not_negative``: no settlement line and no total is negative;
- ``no_bonus_before_course_end``: a bonus is only earned (and invoiced) for
  a period after the course ended.

A property test searches (with hypothesis) for a citizen or a referral that
breaks an invariant; when it finds one, it shrinks it and prints it as a YAML
test case to paste into the policy's tests, where it reproduces the failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import yaml

from udbudsregler.diagnostics import EvaluationError, FactError
from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import Invariant
from udbudsregler.loader.tender import InvariantSpec
from udbudsregler.values.canonical import to_json

if TYPE_CHECKING:
    from udbudsregler.policy import Policy
    from udbudsregler.runtime.decision import Decision
    from udbudsregler.runtime.settlement import Settlement

__all__ = ["SETTLEMENT_CHECKS", "Violation", "check_decision", "check_settlement",
           "find_violation", "invariant_date", "is_settlement_invariant", "render_case",
           "yaml_block"]

SETTLEMENT_CHECKS = ("payment_not_negative", "no_bonus_before_course_end")


@dataclass(frozen=True)
class Violation:
    invariant: str
    title: str
    #: What went wrong, in one line.
    message: str
    #: The (shrunk) counterexample as a YAML test case, ready to paste under `cases:`.
    case: str


def is_settlement_invariant(spec: InvariantSpec) -> bool:
    return spec.check in SETTLEMENT_CHECKS


def invariant_date(policy: Policy, spec: InvariantSpec) -> date:
    return spec.on or policy.header.valid.from_


# -- the checks ---------------------------------------------------------------------------


def _required_criteria(node: I.Expr) -> list[str]:
    """The criteria a group cannot be met without (those reached through `all` only)."""
    if isinstance(node, I.NodeRef):
        return [node.name]
    if isinstance(node, I.Criteria) and node.op == "all":
        return [c for item in node.items for c in _required_criteria(item)]
    return []


def check_decision(policy: Policy, invariant: Invariant,
                   decision: Decision) -> str | None:
    """Why the decision breaks the invariant, or None if it holds."""
    spec = invariant.spec
    if spec.holds is not None:
        value = policy.evaluate(f"invariants.{spec.id}", decision.facts, decision.on)
        return None if value else f"`{' '.join(spec.holds.split())}` is false"
    if spec.check == "eligible_routed":
        return _eligible_routed(policy, decision)
    if spec.check == "failed_criterion_blocks":
        return _failed_criterion_blocks(policy, decision)
    return None


def _eligible_routed(policy: Policy, decision: Decision) -> str | None:
    if not policy.areas:
        return None
    groups = list(decision.target_groups)
    area = decision.area
    if groups and area is None:
        return (f"the citizen is in {', '.join(f'`{g}`' for g in groups)} but goes to no "
                "service area")
    if not groups and area is not None:
        return f"the citizen is in no target group but goes to `{area}`"
    if area is not None:
        serves = policy.graph.areas[area].spec.serves
        if not set(serves) & set(groups):
            return (f"the citizen goes to `{area}`, which serves none of the citizen's groups "
                    f"({', '.join(groups)})")
    return None


def _failed_criterion_blocks(policy: Policy, decision: Decision) -> str | None:
    met = {r.id: r.met for r in decision.reasons if r.kind == "criterion"}
    for name, group in policy.graph.target_groups.items():
        if name not in decision.target_groups:
            continue
        for criterion in _required_criteria(group.tree(policy.graph)):
            if met.get(criterion) is False:
                return (f"the citizen fails criterion `{criterion}` of `{name}`, yet is in "
                        f"`{name}`")
    return None


def check_settlement(invariant: Invariant, settlement: Settlement) -> str | None:
    spec = invariant.spec
    if spec.check == "payment_not_negative":
        for i, line in enumerate(settlement.lines):
            if line.amount.amount < 0:
                return f"line {i + 1} ({line.kind}) is negative: {line.amount}"
        if settlement.total < 0:
            return f"the total is negative: {settlement.total}"
        return None
    if spec.check == "no_bonus_before_course_end":
        course_end = settlement.end.course_end
        for bonus in settlement.bonuses:
            if bonus.status != "earned" and not bonus.invoiced:
                continue
            if course_end is None:
                return f"bonus `{bonus.id}` is {bonus.status} while the course has not ended"
            if bonus.window is None or bonus.window.start <= course_end:
                return (f"bonus `{bonus.id}` is earned for a period starting on or before the "
                        f"course's last day ({course_end})")
        return None
    return None


# -- rendering a counterexample ------------------------------------------------------------


def yaml_block(value: Any, indent: int) -> str:
    """A value as block YAML (its JSON form), every line indented by ``indent``: the
    facts or settlement of a test case written for the author to paste."""
    text = yaml.safe_dump(to_json(value), allow_unicode=True, sort_keys=False,
                          default_flow_style=None, width=100)
    pad = " " * indent
    return "\n".join(pad + line for line in text.rstrip().splitlines())


def render_case(spec: InvariantSpec, message: str, *, facts: dict[str, Any] | None = None,
                on: date | None = None, settle: dict[str, Any] | None = None) -> str:
    """A YAML test case (one item of `cases:`) that reproduces the violation."""
    lines = [
        f"  # Invariant `{spec.id}` ({spec.title}) does not hold: {message}.",
        "  # Found and shrunk by udbudsregler's property test.",
        f"  - name: \"invariant {spec.id}: counterexample\"",
    ]
    if settle is not None:
        lines.append("    settle:")
        lines.append(yaml_block(settle, 6))
    else:
        assert facts is not None and on is not None
        lines.append(f"    on: {on.isoformat()}")
        lines.append("    facts:")
        lines.append(yaml_block(facts, 6))
    lines.append("    expect:")
    lines.append(f"      invariants: [{spec.id}]")
    return "\n".join(lines) + "\n"


# -- searching ------------------------------------------------------------------------------


def _decision_problem(policy: Policy, invariant: Invariant, facts: dict[str, Any],
                      on: date) -> str | None:
    try:
        return check_decision(policy, invariant, policy.decide(facts, on=on))
    except (FactError, EvaluationError) as error:
        return f"deciding failed: {error}"


def _settlement_problem(policy: Policy, invariant: Invariant,
                        scenario: Any) -> str | None:
    try:
        settlement = policy.settle(scenario.referral, scenario.outcomes, until=scenario.until,
                                   since=scenario.since)
    except (FactError, EvaluationError) as error:
        return f"settling failed: {error}"
    return check_settlement(invariant, settlement)


def find_violation(policy: Policy, name: str, *, max_examples: int = 200) -> Violation | None:
    """Search for a citizen (or referral) that breaks invariant ``name``; shrink it.

    Deterministic: the same policy and settings find the same counterexample. What
    hypothesis stores goes to the user's cache folder, not the current folder.
    """
    from udbudsregler.testing.storage import hypothesis_storage

    with hypothesis_storage():
        return _find_violation(policy, name, max_examples)


def _find_violation(policy: Policy, name: str, max_examples: int) -> Violation | None:
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    from udbudsregler.testing.strategies import citizens, settlement_scenarios

    invariant = policy.graph.invariants[name]
    spec = invariant.spec
    config = settings(max_examples=max_examples, derandomize=True, database=None,
                      deadline=None, suppress_health_check=list(HealthCheck),
                      phases=[Phase.generate, Phase.shrink])
    if is_settlement_invariant(spec):
        try:
            scenario = find(settlement_scenarios(policy),
                            lambda s: _settlement_problem(policy, invariant, s) is not None,
                            settings=config)
        except NoSuchExample:
            return None
        # hypothesis' shrinking stops short on histories; finish greedily (drop records,
        # round dates) while the invariant stays broken
        from udbudsregler.analysis.shrink import shrink_scenario

        start = policy.header.valid.from_
        scenario = shrink_scenario(
            scenario, start,
            lambda s: _settlement_problem(policy, invariant, s) is not None).value
        message = _settlement_problem(policy, invariant, scenario) or ""
        settle = {"referral": scenario.referral, "outcomes": scenario.outcomes,
                  "until": scenario.until}
        if scenario.since is not None:
            settle["since"] = scenario.since
        return Violation(spec.id, spec.title, message, render_case(spec, message, settle=settle))
    on = invariant_date(policy, spec)
    try:
        facts = find(citizens(policy, on=on),
                     lambda c: _decision_problem(policy, invariant, c, on) is not None,
                     settings=config)
    except NoSuchExample:
        return None
    from udbudsregler.analysis.shrink import shrink_facts

    specs = {name: fact.spec for name, fact in policy.graph.facts.items()}
    facts = shrink_facts(facts, specs, on,
                         lambda c: _decision_problem(policy, invariant, c, on) is not None).value
    message = _decision_problem(policy, invariant, facts, on) or ""
    return Violation(spec.id, spec.title, message,
                     render_case(spec, message, facts=facts, on=on))
