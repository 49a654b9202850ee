"""The generated code and the reference interpreter give the same value, of the same Python
type, for every node of every policy in the repository (every rule, criterion, target
group, area, the routed area, every tender value and invariant), on citizens generated from
each policy's own boundaries, on dates across its round.

Both evaluators walk the same lowered rule graph and take each operation's meaning from
one semantic table; this property is what keeps them from drifting apart.
"""

from __future__ import annotations

import decimal
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_folders import POLICY_FOLDERS
from test_codegen_agrees import Raised, difference

import udbudsregler as ur
from udbudsregler.diagnostics import EvaluationError
from udbudsregler.testing.strategies import citizens
from udbudsregler.values.temporal import SpanLength

ROOT = Path(__file__).resolve().parents[2]
#: Every policy of the repository, and the benchmark's (tests/policy_folders.py has the
#: policies people write; these are held to the same semantics).
POLICIES = [*POLICY_FOLDERS, ROOT / "benchmarks" / "peer-policy",
            ROOT / "benchmarks" / "peer-policy" / "eligibility-only.yaml",
            ROOT / "benchmarks" / "peer-policy" / "eligibility-all-facts.yaml"]
_LOADED: dict[Path, ur.Policy] = {}

#: A host decimal context unlike the default: results must not depend on the host's.
HOST_CONTEXT = decimal.Context(prec=6, rounding=decimal.ROUND_DOWN)


def policy_at(path: Path) -> ur.Policy:
    if path not in _LOADED:
        _LOADED[path] = ur.load_policy(path)
    return _LOADED[path]


def dates(policy: ur.Policy) -> st.SearchStrategy[date]:
    valid = policy.header.valid
    last = valid.to or valid.from_ + timedelta(days=4 * 365)
    return st.one_of(st.sampled_from([valid.from_, last]), st.dates(valid.from_, last))


def citizen(policy: ur.Policy, data: st.DataObject) -> tuple[date, dict[str, Any]]:
    """A decision date within the policy's round and a citizen's canonical facts on it."""
    on = data.draw(dates(policy), label="on")
    return on, policy.facts.validate(data.draw(citizens(policy, on=on), label="facts"))


def contexts(policy: ur.Policy, on: date) -> st.SearchStrategy[dict[str, Any]]:
    """Values of the names a tender place adds to the facts (``loader.sites.CONTEXTS``):
    the outcome's `day` and `reported`, a result's `result` and `time_to_result`, the
    `supplier` of a selection."""
    suppliers = [{"id": s.id, **(s.attributes or {})}
                 for area in policy.graph.areas.values() for s in area.spec.suppliers]
    outcomes = list(policy.graph.outcomes) or ["none"]
    return st.fixed_dictionaries({
        "$day": st.just(on) | st.dates(on - timedelta(days=400), on + timedelta(days=400)),
        "$reported": st.booleans(),
        "$result": st.sampled_from(outcomes),
        "$time_to_result": st.integers(0, 800).map(
            lambda k: SpanLength(on, on + timedelta(days=k - 1)) if k else SpanLength.empty(on)),
        "$supplier": st.sampled_from(suppliers) if suppliers else st.just({"id": "none"}),
    })


def by_code(run: Any, *args: Any) -> Any:
    try:
        return run(*args)
    except EvaluationError as error:
        return Raised(error.code)


def compiled(policy: ur.Policy, name: str, facts: dict[str, Any], on: date,
             memo: list[Any] | None) -> Any:
    with decimal.localcontext(HOST_CONTEXT):
        try:
            return policy.code.functions[name](facts, memo if memo is not None
                                               else policy.code.memo(on))
        except (EvaluationError, ArithmeticError, ValueError):
            # the generated code may fail where the interpreter reports why (or succeeds,
            # having short-circuited a part the generated code computed ahead)
            return by_code(policy.interpreter(facts, on).value, name)


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_node_agrees(path: Path, data: st.DataObject) -> None:
    policy = policy_at(path)
    on, facts = citizen(policy, data)
    facts.update(data.draw(contexts(policy, on), label="context"))
    interpreter = policy.interpreter(facts, on)
    shared = policy.code.memo(on)
    for name in policy.graph.nodes:
        expected = by_code(interpreter.value, name)
        alone = compiled(policy, name, facts, on, None)
        together = compiled(policy, name, facts, on, shared)
        for got, how in ((alone, "alone"), (together, "with a shared memo")):
            found = difference(expected, got)
            assert found is None, (f"{policy.id}: node {name} ({how}): interpreter vs generated "
                                   f"code differ on {found}\nfacts={facts}\non={on}")


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_decisions_agree_with_the_traced_interpreter(path: Path, data: st.DataObject) -> None:
    """A decision by the generated code equals the same decision by the interpreter (which
    runs when a tracer is on), outputs and all."""
    policy = policy_at(path)
    on = data.draw(dates(policy), label="on")
    facts = data.draw(citizens(policy, on=on), label="facts")
    plain = by_code(policy.decide, facts, on)
    traced = by_code(lambda: policy.decide(facts, on, tracer=ur.RecordingTracer()))
    if isinstance(plain, Raised):
        assert traced == plain
        return
    assert not isinstance(traced, Raised), traced
    assert (plain.target_groups, plain.area, plain.areas) == (
        traced.target_groups, traced.area, traced.areas)


def test_a_planted_disagreement_is_caught() -> None:
    """The comparison can fail: a value of another Python type is a difference."""
    assert difference(decimal.Decimal(2), 2) is not None
    assert difference(Raised("UDB701"), Raised("UDB705")) is not None
