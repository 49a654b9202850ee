"""Examples for the rule-change diff: the smallest members of a group, shrunk.

Per group, :func:`decision_examples` (citizens) and :func:`payment_examples` (settlement
scenarios) pick candidates, the smallest of each kind of change first, shrink each one
while it still shows the same kind of change under both policies
(:mod:`udbudsregler.analysis.shrink`, at most :data:`SHRINK_BUDGET` variants decided), and
print the survivors as YAML test cases for the new policy, smallest first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from udbudsregler.analysis.comparison import result_word
from udbudsregler.analysis.diff_report import KINDS, Example, amount_text
from udbudsregler.analysis.shrink import (
    case_yaml,
    facts_cost,
    scenario_cost,
    shrink_facts,
    shrink_scenario,
)
from udbudsregler.diagnostics import FactError

if TYPE_CHECKING:
    from udbudsregler.analysis.comparison import Citizen, Comparison
    from udbudsregler.analysis.diff_report import Group
    from udbudsregler.runtime.decision import Decision
    from udbudsregler.runtime.settlement import Settlement
    from udbudsregler.testing.strategies import Scenario

__all__ = ["SHRINK_BUDGET", "decision_examples", "payment_examples"]

#: Shrinking decides at most this many variants of one example.
SHRINK_BUDGET = 300


def _choose(built: list[tuple[Any, Any, Callable[[int], Example]]], frequency: Counter[Any],
            k: int) -> list[Example]:
    """Up to ``k``: one per kind of change (the most frequent kinds first), then the
    smallest (by cost: a number, or a tuple of them); shown smallest first."""
    built.sort(key=lambda b: b[1])
    chosen: list[int] = []
    for sig, _count in frequency.most_common():
        index = next((i for i, b in enumerate(built) if b[0] == sig), None)
        if index is not None and len(chosen) < k:
            chosen.append(index)
    chosen += [i for i in range(len(built)) if i not in chosen][:k - len(chosen)]
    chosen.sort(key=lambda i: built[i][1])
    return [built[i][2](n) for n, i in enumerate(chosen, start=1)]


def _candidates(members: list[Any], cost: Callable[[Any], Any],
                signature: Callable[[Any], Any], k: int) -> tuple[list[Any], Counter[Any]]:
    """The members to shrink: the smallest of each kind of change, then the smallest."""
    frequency: Counter[Any] = Counter(signature(m) for m in members)
    ranked = sorted(range(len(members)), key=lambda i: (cost(members[i]), i))
    first: dict[Any, int] = {}
    for i in ranked:
        first.setdefault(signature(members[i]), i)
    chosen = [first[sig] for sig, _ in frequency.most_common() if sig in first][:2 * k]
    chosen += [i for i in ranked if i not in chosen][:max(0, 2 * k - len(chosen))]
    return [members[i] for i in chosen], frequency


def _summary(run: Comparison, d: Decision) -> str:
    text = f"eligible ({', '.join(d.target_groups)})" if d.eligible else "not eligible"
    if d.policy.areas and (d.eligible or d.area):
        text += f", area {d.area or 'none'}"
    if run.suppliers is not None and d.area:
        text += f", supplier {d.supplier or 'none'}"
    choice = d.package_choice
    if choice is not None:
        hours = f" {choice.weekly_hours} hours" if choice.weekly_hours is not None else ""
        text += f", package {choice.package}{hours} " + (
            "accepted" if choice.accepted else f"refused ({choice.status})")
    return text


def decision_examples(run: Comparison, group: Group, k: int) -> list[Example]:
    """Each citizen is shrunk, decided and shown on its own date (a population row's, or
    the run's): the shrinking moves its facts' dates, never the decision date. Citizens
    decided inside the new policy's validity come first (a test case of theirs runs)."""
    specs, valid = run.specs, run.new.header.valid
    members, frequency = _candidates(
        group.members, lambda m: (not valid.covers(run.day(m[0])),
                                  facts_cost(m[0].facts, specs, run.day(m[0]))),
        lambda m: run.signature(m[1], m[2]), k)
    built: list[tuple[Any, Any, Callable[[int], Example]]] = []
    seen: set[str] = set()
    for i, (citizen, a, b) in enumerate(members, start=1):
        sig = run.signature(a, b)
        on = run.day(citizen)

        def keep(facts: dict[str, Any], sig: Any = sig, order: Any = citizen.order,
                 on: Any = on) -> bool:
            pair = run.decide(facts, order, on=on)
            return pair is not None and run.signature(*pair) == sig

        order = citizen.order
        if order is not None and keep(citizen.facts, order=None):
            order = None  # the order plays no part in this change

        def keep_order(facts: dict[str, Any], order: Any = order, keep: Any = keep) -> bool:
            return bool(keep(facts, order=order))

        facts = shrink_facts(citizen.facts, specs, on, keep_order, SHRINK_BUDGET).value
        run.tick("examples", i, len(members))
        key = repr((facts, order, on))
        pair = run.decide(facts, order, on=on)
        if key in seen or pair is None:
            continue
        seen.add(key)
        shrunk = replace(citizen, facts=facts, order=order)
        built.append((sig, (not valid.covers(on), facts_cost(facts, specs, on)),
                      _decision_example(run, group.kind, shrunk, facts, *pair)))
    return _choose(built, frequency, k)


def _decision_example(run: Comparison, kind: str, citizen: Citizen, facts: dict[str, Any],
                      a: Decision, b: Decision) -> Callable[[int], Example]:
    expect: dict[str, Any] = {"eligible": b.eligible}
    if b.eligible and (kind == "changed_target_groups" or len(b.target_groups) > 1):
        expect["target_groups"] = list(b.target_groups)
    if run.new.areas:
        expect["area"] = b.area
    if run.suppliers is not None:
        expect["supplier"] = b.supplier
    if b.package_choice is not None:
        c = b.package_choice
        expect["package"] = {"id": c.package, "accepted": c.accepted, "status": c.status}
    before = {r.id: r.met for r in a.reasons if r.kind == "criterion"}
    changed = {r.id: r.met for r in b.reasons
               if r.kind == "criterion" and r.id in before and before[r.id] != r.met}
    if changed:
        expect["criteria"] = changed
    old_text, new_text = _summary(run, a), _summary(run, b)
    on = run.day(citizen)
    valid = run.new.header.valid
    outside = (f"\ndecided on {on.isoformat()}, outside {run.new.id}'s validity "
               f"({valid.text()}), as the diff decides it; `udbudsregler test` refuses the "
               "date (UDB703)" if not valid.covers(on) else "")

    def make(number: int) -> Example:
        comment = (f"{KINDS[kind]}: {run.old.id}: {old_text}\n"
                   f"{' ' * len(KINDS[kind])}  {run.new.id}: {new_text}\n"
                   f"found by `udbudsregler diff {run.old.id} {run.new.id}`, shrunk from "
                   f"{citizen.source}{outside}")
        case = case_yaml(f"diff {run.old.id}: {KINDS[kind]} ({number})", comment, facts=facts,
                         specs=run.specs, on=on, order=citizen.order,
                         suppliers=run.suppliers, expect=expect)
        return Example(citizen.source, old_text, new_text, case,
                       facts_cost(facts, run.specs, on), facts=facts, order=citizen.order,
                       on=on)

    return make


def _settled(s: Settlement) -> str:
    package = s.referral.package
    bonuses = "; ".join(f"{result_word(s.policy, package, x.id) or 'result'} {x.id} {x.status}"
                        + (f", tier {x.tier}" if x.tier is not None else "")
                        for x in s.bonuses)
    return (f"{amount_text(s.total)} {s.policy.header.currency}"
            + (f" ({bonuses})" if bonuses else ""))


def payment_examples(run: Comparison, group: Group, k: int) -> list[Example]:
    valid = run.new.header.valid

    members, frequency = _candidates(
        group.members, lambda m: (not valid.covers(m[0].referral["start"]),
                                  scenario_cost(m[0])),
        lambda m: run.payment_signature(m[1], m[2]), k)
    built: list[tuple[Any, Any, Callable[[int], Example]]] = []
    seen: set[str] = set()
    for i, (scenario, a, b) in enumerate(members, start=1):
        sig = run.payment_signature(a, b)

        def keep(s: Scenario, sig: Any = sig) -> bool:
            pair = run.settle(s)
            return pair is not None and run.payment_signature(*pair) == sig

        start, readable = _canonical_facts(run, scenario)
        shrunk = shrink_scenario(start, valid.from_, keep, SHRINK_BUDGET,
                                 run.specs if readable else None).value
        run.tick("examples", i, len(members))
        pair = run.settle(shrunk)
        if repr(shrunk) in seen or pair is None:
            continue
        seen.add(repr(shrunk))
        cost = scenario_cost(shrunk, run.specs if readable else None)
        built.append((sig, (not valid.covers(shrunk.referral["start"]), cost),
                       _payment_example(run, group.kind, shrunk, *pair, cost)))
    return _choose(built, frequency, k)


def _canonical_facts(run: Comparison, scenario: Scenario) -> tuple[Scenario, bool]:
    """The scenario with the citizen's facts of its referral as the policy reads them
    (``"2.1"`` a Decimal, dates as dates), and whether they can be made simpler: not when
    the referral has none, or they do not fit the new policy (then they are left alone)."""
    facts = scenario.referral.get("facts")
    if not isinstance(facts, dict):
        return scenario, False
    try:
        canonical = run.new.facts.validate(facts)
    except FactError:
        return scenario, False
    return replace(scenario, referral={**scenario.referral, "facts": canonical}), True


def _payment_example(run: Comparison, kind: str, scenario: Scenario, a: Settlement,
                     b: Settlement, cost: int) -> Callable[[int], Example]:
    settle: dict[str, Any] = {"referral": scenario.referral, "outcomes": scenario.outcomes,
                              "until": scenario.until}
    if scenario.since is not None:
        settle["since"] = scenario.since
    expect: dict[str, Any] = {"total": format(b.total, "f")}
    if b.bonuses:
        expect["bonuses"] = {x.id: x.status for x in b.bonuses}
    diff = b.total - a.total
    old_text, new_text = _settled(a), _settled(b)

    def make(number: int) -> Example:
        comment = (f"{KINDS[kind]} by {amount_text(diff, sign=True)}: {run.old.id} pays "
                   f"{old_text}\n{' ' * len(KINDS[kind])}  {run.new.id} pays {new_text}\n"
                   f"found by `udbudsregler diff {run.old.id} {run.new.id}` (shrunk)")
        case = case_yaml(f"diff {run.old.id}: {KINDS[kind]} ({number})", comment,
                         settle=settle, expect=expect)
        return Example("generated settlement scenario", old_text, new_text, case, cost,
                       scenario=scenario, difference=diff)

    return make
