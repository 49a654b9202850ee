"""The compiled reasons and explanations agree with the reference interpreter's, for every
policy in the repository, on citizens generated from each policy's own boundaries, with
and without an order and a supplier state.

A decision's reasons come from generated code (``GeneratedCode.reason_parts``) and
what every decision of a policy shares, prepared once; the interpreter
(``interpreted_reasons``) is the oracle: the same reasons, field by field and in the same
order, and so the same explanation, byte for byte, in both languages. ``Decision.value``
(the generated code through the decision's memo) agrees with the interpreter on every node.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_codegen_agrees import Raised, difference
from test_seed_policies_agree import POLICIES, by_code, citizen, policy_at

import udbudsregler as ur
from udbudsregler.diagnostics import EvaluationError, FactError
from udbudsregler.runtime.decision import Decision
from udbudsregler.runtime.explain import explain
from udbudsregler.runtime.reasons import _plan, interpreted_reasons, reasons_for
from udbudsregler.testing.strategies import citizens, orders, supplier_states

#: A criterion of each shape the generated reasons write in their own way, where no
#: policy of the repository has one (its file says which).
SHAPES = Path(__file__).parent / "data" / "reason-shapes"
#: The policies the reasons are held to the interpreter's on.
REASON_POLICIES = [*POLICIES, SHAPES]


class _Interpreted:
    """A decision whose reasons are the interpreter's (to explain them the same way)."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        self.reasons = interpreted_reasons(decision.policy, decision)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.decision, name)


def _decide(policy: ur.Policy, facts: dict[str, Any], on: date, order: Any,
            suppliers: Any) -> Decision | None:
    try:
        return policy.decide(facts, on, order=order, suppliers=suppliers)
    except (FactError, EvaluationError):
        return None


@pytest.mark.parametrize("path", REASON_POLICIES, ids=lambda p: p.name)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_compiled_reasons_are_the_interpreters(path: Path, data: st.DataObject) -> None:
    policy = policy_at(path)
    on, facts = citizen(policy, data)
    order = suppliers = None
    if policy.areas and data.draw(st.booleans(), label="with an order"):
        order = data.draw(orders(policy), label="order")
        suppliers = data.draw(st.none() | supplier_states(policy), label="suppliers")
    decision = _decide(policy, facts, on, order, suppliers)
    if decision is None:
        return
    expected = by_code(interpreted_reasons, policy, decision)
    got = by_code(reasons_for, policy, decision)
    assert got == expected, f"{policy.id}: compiled reasons differ\nfacts={facts}\non={on}"
    if isinstance(expected, Raised):
        return
    assert [r.to_dict() for r in got] == [r.to_dict() for r in expected]
    for lang in ("da", "en"):
        assert explain(decision, lang) == explain(_Interpreted(decision), lang)


@pytest.mark.parametrize("path", REASON_POLICIES, ids=lambda p: p.name)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_recorders_decide_most_reasons(path: Path, data: st.DataObject) -> None:
    """The compiled path is the one taken (the interpreter only where a recorder fails)."""
    policy = policy_at(path)
    on, facts = citizen(policy, data)
    decision = _decide(policy, facts, on, None, None)
    if decision is None:
        return
    try:
        compiled = _plan(policy).reasons(decision)
    except (EvaluationError, ArithmeticError, ValueError):
        return  # a criterion that cannot be evaluated: the interpreter explains it
    assert compiled == interpreted_reasons(policy, decision)


@pytest.mark.parametrize("path", REASON_POLICIES, ids=lambda p: p.name)
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_both_ways_of_the_generated_reasons_are_the_interpreters(
        path: Path, data: st.DataObject) -> None:
    """The generated reasons, both ways (the slow one: the parts, the lookups and the
    builders; the fast one: the reasons made by the generated code from the reasons built
    so far), for several citizens in a row (so a reason built for one serves another only
    if it is the same reason), equal the interpreter's, field by field and as records,
    with and without the decision's memo filled by ``Decision.value`` first."""
    policy = policy_at(path)
    plan = _plan(policy)
    if data.draw(st.booleans(), label="empty caches"):
        plan = type(plan)(policy)
    for _ in range(data.draw(st.integers(1, 4), label="citizens")):
        on, facts = citizen(policy, data)
        decision = _decide(policy, facts, on, None, None)
        if decision is None:
            continue
        if data.draw(st.booleans(), label="memo filled first"):
            name = data.draw(st.sampled_from(sorted(policy.graph.nodes)), label="value of")
            _or_missing(decision.value, name)
        try:
            slow = plan.slow(decision)
        except (EvaluationError, ArithmeticError, ValueError):
            continue  # a criterion that cannot be evaluated: the interpreter explains it
        expected = interpreted_reasons(policy, decision)
        # the slow way built every keyed reason this citizen needs: the fast way runs
        fast = plan.fast(decision.facts, decision.on, decision._memo)
        assert fast[1] == slow[1], f"{policy.id}: flags differ\nfacts={facts}\non={on}"
        tail = plan.outcome(decision, None)[2]  # the routing, supplier and package
        for way, got in (("slow", slow[0] + tail), ("fast", fast[0] + tail),
                         ("plan", plan.reasons(decision))):
            assert got == expected, (f"{policy.id}: the {way} reasons differ\n"
                                     f"facts={facts}\non={on}")
            assert [r.to_dict() for r in got] == [r.to_dict() for r in expected]


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_decision_value_is_the_interpreters(path: Path, data: st.DataObject) -> None:
    """``Decision.value`` of every node, in graph order and in reverse (the memo shared
    with the decision either way), equals the interpreter's value, or its error code."""
    policy = policy_at(path)
    on, facts = citizen(policy, data)
    names = list(policy.graph.nodes)
    if data.draw(st.booleans(), label="reversed"):
        names.reverse()
    decision = _decide(policy, facts, on, None, None)
    if decision is None:
        return
    interpreter = policy.interpreter(facts, on)
    for name in names:
        # a node that reads a name its place adds (`$result` of a result payment: the
        # settlement gives it) has no value for a decision alone, on either side
        expected = _or_missing(interpreter.value, name)
        got = _or_missing(decision.value, name)
        found = difference(expected, got)
        assert found is None, f"{policy.id}: {name}: {found}\nfacts={facts}\non={on}"


def _or_missing(run: Any, name: str) -> Any:
    try:
        return by_code(run, name)
    except KeyError as missing:
        return Raised(f"KeyError {missing}")


def test_an_unknown_name_has_no_value() -> None:
    policy = policy_at(POLICIES[0])
    decision = policy.decide(next(iter(_examples(policy))), policy.header.valid.from_)
    with pytest.raises(KeyError, match="no rule"):
        decision.value("no_such_rule")


def test_a_fast_decision_sets_what_init_sets() -> None:
    """``Policy.decide`` builds its decisions without ``Decision.__init__``: every slot
    ``__init__`` sets is set, to the same values."""
    for path in POLICIES:
        policy = policy_at(path)
        facts = next(iter(_examples(policy)))
        on = policy.header.valid.from_
        fast = policy.decide(facts, on)
        slow = Decision(policy, fast.facts, on, fast._parts)
        for slot in Decision.__slots__:
            assert hasattr(fast, slot), slot
            if slot != "_memo":
                assert getattr(fast, slot) == getattr(slow, slot), slot


def _examples(policy: ur.Policy) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    @settings(max_examples=1, database=None, suppress_health_check=list(HealthCheck))
    @given(facts=citizens(policy, on=policy.header.valid.from_))
    def draw(facts: dict[str, Any]) -> None:
        if not found:
            found.append(policy.facts.validate(facts))

    draw()
    return found


def test_a_decimal_reason_is_shared_only_with_the_same_written_number() -> None:
    """A criterion reading one decimal shares its reasons by the number's text (a whole
    number by itself): 1, 1.0, 1.00 and -0 are equal numbers written apart, and each
    decision shows its own, whatever was decided before (in either order)."""
    from decimal import Decimal

    from test_seed_policies_agree import ROOT

    policy = policy_at(ROOT / "benchmarks" / "peer-policy")
    parts = policy.code.reason_parts
    assert parts is not None
    entry = next(e for e in parts.entries if e.name == "under_5_aar")
    assert entry.text, "the decimal criterion is looked up by its text"
    base = {"age": 40, "benefit": "kontanthjaelp", "visitation": "aktivitetsparat",
            "subject_to_225_rule": True, "offers": [], "weeks": 3,
            "self_supporting_months_after_end": 0,
            "conditions": {"hjerneskade": False, "kognitiv": False, "psykisk": False}}
    written = [1, Decimal("1"), Decimal("1.0"), Decimal("1.00"), "1.000", Decimal("-0"),
               0, Decimal("0.0"), Decimal("5"), Decimal("5.0"), 5]
    for values in (written, written[::-1]):
        plan = type(_plan(policy))(policy)
        for value in values:
            decision = policy.decide({**base, "years_on_benefit": value}, date(2019, 2, 1))
            expected = interpreted_reasons(policy, decision)
            for way, got in (("plan", plan.reasons(decision)),
                             ("slow", plan.slow(decision)[0])):
                shown = [repr(r.values) for r in got if r.id == "under_5_aar"]
                assert shown == [repr(r.values) for r in expected if r.id == "under_5_aar"], \
                    (way, value)
            assert [r.to_dict() for r in plan.reasons(decision)] == \
                [r.to_dict() for r in expected]



def test_the_generated_reasons_of_a_criterion_with_show() -> None:
    """A criterion's own ``show``: the names it read, and those it did not (a fact, a
    parameter, a rule, ``today``), in its order, by the generated code (not the
    interpreter's fallback), both ways."""
    from decimal import Decimal

    policy = policy_at(SHAPES)
    plan = _plan(policy)
    for facts in ({"age": 40, "birth_date": date(1984, 1, 1), "years": Decimal("1.0"),
                   "ready": True, "offers": []},
                  {"age": 20, "birth_date": date(2004, 1, 1), "years": Decimal("7"),
                   "ready": False, "offers": []}):
        decision = policy.decide(facts, date(2025, 1, 1))
        expected = interpreted_reasons(policy, decision)
        assert [r.values for r in expected[:2]] == [
            (("age", facts["age"]), ("min_age", 30), ("today", date(2025, 1, 1)),
             ("birth_date", facts["birth_date"]), ("senior", False)),
            (("years", facts["years"]), ("ready", facts["ready"]))]
        for way, got in (("plan", plan.reasons(decision)), ("slow", plan.slow(decision)[0])):
            assert got == expected, way
            assert [r.to_dict() for r in got] == [r.to_dict() for r in expected], way


def test_reasons_that_disagree_with_the_decision_are_udb704() -> None:
    """A decision whose outcome is not what its reasons compute: the generated reasons
    name the part (UDB704), and so does the interpreter the runtime then asks."""
    from decimal import Decimal

    policy = policy_at(SHAPES)
    facts = {"age": 40, "birth_date": date(1984, 1, 1), "years": Decimal("1"),
             "ready": True, "offers": []}
    decision = policy.decide(facts, date(2025, 1, 1))
    assert decision.target_groups == ("group",)
    wrong = Decision(policy, decision.facts, decision.on, ((), *decision._parts[1:]))
    for way in (_plan(policy).reasons, lambda d: reasons_for(policy, d)):
        with pytest.raises(EvaluationError) as raised:
            way(wrong)
        assert raised.value.code == "UDB704"
        assert "target group `group`" in str(raised.value)
