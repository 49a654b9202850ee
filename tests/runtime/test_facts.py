"""Facts at the boundary: limits, strict numbers and text, lists, messages."""

from __future__ import annotations

import json
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import udbudsregler as ur
from udbudsregler.diagnostics import FactError
from udbudsregler.values.temporal import Duration

ROOT = Path(__file__).resolve().parents[2]
ON = date(2019, 2, 1)


@pytest.fixture(scope="module")
def slagelse() -> ur.Policy:
    return ur.load_policy(ROOT / "policies" / "slagelse-2019")


def citizen() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "examples" / "data" / "citizen.json")
                                      .read_text("utf-8"))
    return data


def problems(policy: ur.Policy, facts: Any, **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(FactError) as caught:
        policy.decide(facts, on=kwargs.pop("on", ON), **kwargs)
    return [(p.code, p.path) for p in caught.value.problems]


def with_hours(hours: Any) -> dict[str, Any]:
    facts = citizen()
    facts["offers"][0]["weekly_hours"] = hours
    return facts


def test_12_6_huge_integer_in_facts(slagelse: ur.Policy) -> None:
    assert problems(slagelse, with_hours(10**5000)) == [("UDB610", "offers[0].weekly_hours")]
    assert problems(slagelse, with_hours(10**18)) == [("UDB610", "offers[0].weekly_hours")]
    assert slagelse.decide(with_hours(10**18 - 1), on=ON) is not None


@pytest.mark.parametrize("hours", [Decimal("1e999999999"), "1e99999999999",
                                   Decimal("1e-999999999"), Decimal("0E-999999999")])
def test_12_15_huge_exponents_in_facts_are_refused_quickly(slagelse: ur.Policy,
                                                           hours: Any) -> None:
    start = time.perf_counter()
    assert problems(slagelse, with_hours(hours)) == [("UDB610", "offers[0].weekly_hours")]
    assert time.perf_counter() - start < 1


def test_12_15_numbers_at_the_limits_are_accepted_both_ways(slagelse: ur.Policy) -> None:
    for hours in (Decimal("999999999999999999.5"), Decimal("0.000000000000000001"),
                  "0.000000000000000001", Decimal("0.00"), 0):
        decision = slagelse.decide(with_hours(hours), on=ON)
        assert len(json.dumps(decision.to_dict())) < 100_000


@pytest.mark.parametrize("hours", ["1_5", "١٥", " 15", "15 ", "+15", "0x0F", "1e", ".5"])
def test_12_24_hours_as_text_must_be_plain_ascii_numbers(slagelse: ur.Policy,
                                                         hours: str) -> None:
    assert problems(slagelse, with_hours(hours)) == [("UDB602", "offers[0].weekly_hours")]


def test_12_24_hours_text_in_json_number_syntax_is_accepted(slagelse: ur.Policy) -> None:
    assert slagelse.decide(with_hours("14.5"), on=ON).facts["offers"][0]["weekly_hours"] == \
        Decimal("14.5")


def test_negative_hours_are_refused_on_both_paths(slagelse: ur.Policy) -> None:
    assert problems(slagelse, with_hours(-1)) == [("UDB602", "offers[0].weekly_hours")]
    assert problems(slagelse, with_hours("-1")) == [("UDB602", "offers[0].weekly_hours")]
    assert problems(slagelse, with_hours(Decimal("-0.5"))) == [
        ("UDB602", "offers[0].weekly_hours")]


def test_12_24_a_set_is_not_a_history(slagelse: ur.Policy) -> None:
    facts = citizen()
    facts["benefits"] = {json.dumps(b) for b in facts["benefits"]}
    assert problems(slagelse, facts) == [("UDB602", "benefits")]
    facts = citizen()
    facts["offers"] = tuple(facts["offers"])  # a tuple has an order: accepted
    assert slagelse.decide(facts, on=ON).eligible


def test_12_11_text_with_a_lone_surrogate_is_refused(slagelse: ur.Policy) -> None:
    facts = citizen()
    facts["visitation"] = "\ud800"
    with pytest.raises(FactError) as caught:
        slagelse.decide(facts, on=ON)
    str(caught.value).encode("utf-8")  # the message itself is printable
    facts = citizen()
    facts["\ud800" * 3] = 1
    with pytest.raises(FactError) as caught:
        slagelse.decide(facts, on=ON)
    [problem] = caught.value.problems
    assert problem.code == "UDB602" and "\\ud800" in problem.message
    str(caught.value).encode("utf-8")


def test_12_25_nan_is_not_told_to_be_sent_as_text(slagelse: ur.Policy) -> None:
    for value in (float("nan"), float("inf"), Decimal("NaN"), "NaN", "Infinity"):
        with pytest.raises(FactError) as caught:
            slagelse.decide(with_hours(value), on=ON)
        [problem] = caught.value.problems
        assert problem.code == "UDB602" and "send it as text" not in problem.message
    with pytest.raises(FactError) as caught:
        slagelse.decide(with_hours(7.5), on=ON)
    assert caught.value.problems[0].code == "UDB607"


def test_12_25_a_huge_bad_value_is_not_echoed(slagelse: ur.Policy) -> None:
    facts = citizen()
    facts["visitation"] = "x" * 50_000_000
    with pytest.raises(FactError) as caught:
        slagelse.decide(facts, on=ON)
    assert len(str(caught.value)) < 300
    facts = citizen()
    facts["y" * 1_000_000] = 1
    with pytest.raises(FactError) as caught:
        slagelse.decide(facts, on=ON)
    assert len(str(caught.value)) < 300


def test_a_reversed_period_is_found_beside_a_bad_kind(slagelse: ur.Policy) -> None:
    facts = citizen()
    facts["benefits"][0].update(kind="ukendt", to="2010-01-01")
    assert problems(slagelse, facts) == [("UDB605", "benefits[0].kind"),
                                         ("UDB604", "benefits[0].to")]


def test_durations_are_bounded() -> None:
    from pydantic_core import PydanticCustomError

    from udbudsregler.values.convert import to_duration

    assert to_duration("4 months") == Duration(4, 0)
    for text in ("1001 years", "99999999 days", "٤ months"):
        with pytest.raises(PydanticCustomError):
            to_duration(text)
    with pytest.raises(PydanticCustomError):
        to_duration(Duration(0, 10**12))


def test_the_fast_path_and_the_model_agree_on_the_limits(slagelse: ur.Policy) -> None:
    for hours in (10**18, -1, Decimal("1e18"), Decimal("1e-19"), Decimal("NaN")):
        facts = with_hours(hours)
        assert not slagelse.facts.fast(facts)
        with pytest.raises(FactError):
            slagelse.facts.validate(facts)
    canonical = slagelse.facts.validate(with_hours(Decimal("14.37")))
    assert slagelse.facts.fast(canonical)


def test_no_decision_date_is_a_fact_error_on_a_fresh_policy() -> None:
    """``decide(facts, None)`` as a policy's first call: the fast path's "same date as
    the last one" test took None for that date (a TypeError from comparing None with a
    date); it is UDB602 at ``on``, as on any later call."""
    from udbudsregler.testing import sample_citizens

    fresh = ur.load_policy(ROOT / "policies" / "slagelse-2019", cache=False)
    canonical = sample_citizens(fresh, ON, 1, seed=2)[0]  # dates as dates: the fast path
    assert problems(fresh, canonical, on=None) == [("UDB602", "on")]
    fresh.decide(canonical, on=ON)
    assert problems(fresh, canonical, on=None) == [("UDB602", "on")]
