"""Orders and supplier states at the boundary."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import udbudsregler as ur
from udbudsregler.diagnostics import FactError
from udbudsregler.runtime.routing import parse_order, parse_supplier_state

ROOT = Path(__file__).resolve().parents[2]
ON = date(2024, 3, 1)
FACTS = {
    "birth_date": "1978-04-10",
    "benefits": [{"kind": "kontanthjaelp", "from": "2022-06-01", "to": None}],
    "assessment": {"social_and_health_challenges": True, "acquired_brain_injury": False,
                   "cognitive_difficulties": False, "mental_health_challenges": False}}


@pytest.fixture(scope="module")
def koebenhavn() -> ur.Policy:
    return ur.load_policy(ROOT / "policies" / "koebenhavn-2024")


def problems(policy: ur.Policy, facts: Any = FACTS, **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(FactError) as caught:
        policy.decide(facts, on=kwargs.pop("on", ON), **kwargs)
    return [(p.code, p.path) for p in caught.value.problems]


@pytest.mark.parametrize("hours", ["NaN", "sNaN", "Infinity", "-Infinity", Decimal("NaN"),
                                   Decimal("sNaN"), Decimal("Infinity"), float("nan"), -1,
                                   "-0.5", "1_5", "١٥", True])
def test_12_8_order_hours_must_be_finite_and_not_negative(koebenhavn: ur.Policy,
                                                          hours: Any) -> None:
    assert problems(koebenhavn, order={"package": "job", "weekly_hours": hours}) == [
        ("UDB602", "order.weekly_hours")]
    with pytest.raises(FactError):
        koebenhavn.decide(FACTS, on=ON, order=ur.Order("job", hours))  # as a dataclass too


def test_12_15_order_hours_with_a_huge_exponent(koebenhavn: ur.Policy) -> None:
    for hours in ("1e99999999", Decimal("1e99999999"), 10**5000):
        assert problems(koebenhavn, order={"package": "job", "weekly_hours": hours}) == [
            ("UDB610", "order.weekly_hours")]


def test_12_8_good_hours_still_decide_and_explain(koebenhavn: ur.Policy) -> None:
    decision = koebenhavn.decide(FACTS, on=ON, order={"package": "job", "weekly_hours": "25"})
    assert decision.package_choice is not None
    assert decision.package_choice.status == "hours_outside_span"
    assert decision.package_choice.weekly_hours == Decimal("25")
    assert "job" in decision.explain()


def test_11_2_bad_facts_do_not_hide_a_bad_order_or_supplier_state(
        koebenhavn: ur.Policy) -> None:
    facts = dict(FACTS, birth_date="1978-02-30")
    assert problems(koebenhavn, facts, order={"package": "nope", "weekly_hours": "x"},
                    suppliers={"load": {"nobody": 1}, "capacity": {"udsatte_a": -1},
                               "sequence": {"nowhere": 1}, "extra": 1}) == [
        ("UDB603", "birth_date"), ("UDB605", "order.package"), ("UDB602", "order.weekly_hours"),
        ("UDB602", "suppliers.capacity.udsatte_a"), ("UDB606", "suppliers.extra"),
        ("UDB605", "suppliers.load.nobody"), ("UDB605", "suppliers.sequence.nowhere")]


def test_order_messages_as_before(koebenhavn: ur.Policy) -> None:
    with pytest.raises(FactError) as caught:
        koebenhavn.decide(FACTS, on=ON, order={"weekly_hours": 5, "supplier": "udsatte_aa"})
    text = str(caught.value)
    assert "order.package: UDB601: weekly hours are ordered, but no package" in text
    assert "`udsatte_aa` is not a supplier of the policy; did you mean" in text


def test_11_2_a_decision_date_as_text(koebenhavn: ur.Policy) -> None:
    assert koebenhavn.decide(FACTS, on="2024-03-01").eligible
    for on in ("20240301", "2024-W09-5", "2024-02-30", 20240301, None):
        assert problems(koebenhavn, FACTS, on=on) in ([("UDB602", "on")], [("UDB603", "on")])
    with pytest.raises(ur.EvaluationError) as caught:
        koebenhavn.decide(FACTS, on="2019-01-01")
    assert caught.value.code == "UDB703"


def test_a_datetime_is_not_a_decision_date(koebenhavn: ur.Policy) -> None:
    from datetime import datetime

    assert problems(koebenhavn, FACTS, on=datetime(2024, 3, 1)) == [("UDB602", "on")]
    assert problems(koebenhavn, FACTS, on=datetime(2024, 3, 1), ignore_validity=True) == [
        ("UDB602", "on")]


def test_parse_order_and_supplier_state_check_the_shape_without_a_policy() -> None:
    assert parse_order({"package": "x", "weekly_hours": "7.5"}) == ur.Order("x", Decimal("7.5"))
    state = parse_supplier_state({"load": {"a": 1}, "sequence": {"area": 2}})
    assert state == ur.SupplierState({"a": 1}, {}, {"area": 2})
    with pytest.raises(FactError) as caught:
        parse_supplier_state({"load": [], "capacity": {"a": "1"}, "sequence": 0})
    assert caught.value.paths == ("suppliers.capacity.a", "suppliers.load",
                                  "suppliers.sequence")
    with pytest.raises(FactError):
        parse_order(json.loads('{"weekly_hours": 1}'))


def test_a_supplier_state_key_with_a_lone_surrogate_is_a_fact_error() -> None:
    """Found by the fuzz test: pydantic cannot render such a key; the call must still end
    in the library's error, naming `suppliers`."""
    policy = ur.load_policy(ROOT / "policies" / "koebenhavn-2024")
    with pytest.raises(ur.FactError) as raised:
        policy.decide({}, date(2024, 3, 1),
                      suppliers={"load": None, "sequence": {"\ud800": None}})
    assert any(p.path.startswith("suppliers") for p in raised.value.problems)


def test_the_shared_routing_reason_cannot_be_changed_through_one_decision(
        koebenhavn: ur.Policy) -> None:
    """Decisions with the same outcome share their routing reason: its lists refuse to be
    changed (a host changing one decision's reasons must not change another's), and read,
    compare, serialise and pickle as lists."""
    import pickle

    first, second = koebenhavn.decide(FACTS, ON), koebenhavn.decide(dict(FACTS), ON)
    (routing,) = [r for r in first.reasons if r.kind == "routing"]
    assert routing in second.reasons
    fitting = dict(routing.values)["fitting"]
    assert isinstance(fitting, list) and fitting == [first.area]
    with pytest.raises(TypeError, match="copy the list"):
        fitting.append("another")
    with pytest.raises(TypeError):
        fitting[0] = "another"
    again = next(r for r in second.reasons if r.kind == "routing")
    assert dict(again.values)["fitting"] == [second.area]
    assert json.loads(json.dumps(routing.to_dict()))["values"]["fitting"] == [first.area]
    assert pickle.loads(pickle.dumps(routing)) == routing
