"""Facts with a range and a default (issue 8): a value outside the range is a fact error
(UDB611) with its path, on the fast path and through pydantic; a fact the host leaves out
takes its default; the JSON Schema says both; generated citizens stay inside the range."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import udbudsregler as ur
from udbudsregler.testing.strategies import sample_citizens

POLICY = Path(__file__).parent / "data" / "fact_bounds.yaml"
ON = date(2021, 1, 1)


@pytest.fixture(scope="module")
def policy() -> ur.Policy:
    return ur.load_policy(POLICY)


def codes(policy: ur.Policy, facts: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(ur.FactError) as raised:
        policy.decide(facts, on=ON)
    return [(p.code, p.path) for p in raised.value.problems]


def test_defaults_fill_the_facts_left_out(policy: ur.Policy) -> None:
    decision = policy.decide({"age": 40, "hours_a_week": 25}, on=ON)
    assert decision.facts == {"age": 40, "hours_a_week": 25, "level": "b", "offers": [],
                              "town": "ukendt"}
    assert decision.target_groups == ("g",)


def test_a_given_fact_overrides_its_default(policy: ur.Policy) -> None:
    facts = {"age": 40, "hours_a_week": 25, "level": "a", "offers": [], "town": "x"}
    assert policy.decide(facts, on=ON).target_groups == ()


def test_a_fact_without_a_default_is_still_required(policy: ur.Policy) -> None:
    assert codes(policy, {"hours_a_week": 25}) == [("UDB601", "age")]


@pytest.mark.parametrize(("facts", "expected"), [
    ({"age": 14}, [("UDB611", "age")]),
    ({"age": 121}, [("UDB611", "age")]),
    ({"age": 40, "hours_a_week": Decimal("80.5")}, [("UDB611", "hours_a_week")]),
    ({"age": 40, "offers": [{"from": date(2020, 1, 1), "to": None,
                             "weekly_hours": Decimal("-0.5")}]},
     [("UDB602", "offers[0].weekly_hours")]),
])
def test_out_of_range_values_are_fact_errors(policy: ur.Policy, facts: dict[str, object],
                                             expected: list[tuple[str, str]]) -> None:
    assert codes(policy, facts) == expected


def test_the_bounds_themselves_are_allowed(policy: ur.Policy) -> None:
    for age, hours in ((15, 0), (120, 80)):
        policy.decide({"age": age, "hours_a_week": hours}, on=ON)


def test_the_fast_path_checks_the_range_too(policy: ur.Policy) -> None:
    """Facts in canonical form skip pydantic; a value out of range must not slip through."""
    canonical = {"age": 40, "hours_a_week": 25, "level": "b", "offers": [], "town": "x"}
    assert policy.facts.fast(canonical)
    assert not policy.facts.fast({**canonical, "age": 200})
    assert codes(policy, {**canonical, "age": 200}) == [("UDB611", "age")]


def test_the_json_schema_has_the_range_and_default(policy: ur.Policy) -> None:
    schema = policy.json_schema("facts")
    hours = schema["properties"]["hours_a_week"]
    number = next(p for p in hours["anyOf"] if p.get("type") == "number")
    assert (number["minimum"], number["maximum"], hours["default"]) == (0, 80, 0)
    assert schema["properties"]["level"]["default"] == "b"
    assert set(schema["required"]) == {"age"}


def test_generated_citizens_stay_in_range(policy: ur.Policy) -> None:
    citizens = sample_citizens(policy, ON, 400, seed=3)
    ages = [c["age"] for c in citizens]
    assert min(ages) == 15 and max(ages) == 120
    for citizen in citizens:
        policy.decide(citizen, on=ON)
