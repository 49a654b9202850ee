"""Fuzzing the input boundary: random JSON-ish facts, orders, supplier states, referrals
and outcomes (huge numbers, deep nesting, odd strings) give a result or a library error,
nothing else. About 20 s; ``UDB_FUZZ_EXAMPLES`` sets the examples per test (default 600)
for a longer run."""

from __future__ import annotations

import contextlib
import json
import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import udbudsregler as ur
from udbudsregler.runtime.inputs import read_json

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("UDB_FUZZ_EXAMPLES", "600"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SLAGELSE = ur.load_policy(ROOT / "policies" / "slagelse-2019")
KOEBENHAVN = ur.load_policy(ROOT / "policies" / "koebenhavn-2024")
CITIZEN = json.loads((ROOT / "examples" / "data" / "citizen.json").read_text("utf-8"))

ODD_TEXT = st.sampled_from(["", "NaN", "sNaN", "Infinity", "-0", "1_5", "١٥", "\ud800",
                            "1e999999999", "2019-02-30", "20190201", "x" * 10_000,
                            "2019-02-01", "15", "7.5", "-1", "aktivitetsparat", "job"])
ODD_NUMBER = st.one_of(
    st.integers(), st.integers(0, 2).map(lambda i: (10**5000, -(10**19), 10**18 - 1)[i]),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("1e999999999"), Decimal("1e-999999999"), Decimal("0E-99999"),
                     Decimal("sNaN")]),
    st.floats())
SCALAR = st.one_of(st.none(), st.booleans(), ODD_NUMBER, ODD_TEXT, st.text(max_size=20),
                   st.dates().map(lambda d: d.isoformat()), st.dates())


def _deep(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


VALUE = st.recursive(
    SCALAR | st.integers(50, 300).map(_deep),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(max_size=8) | ODD_TEXT, inner, max_size=4) | st.sets(st.integers(), max_size=3),
    max_leaves=12)


def _mutated(base: Any, data: st.DataObject) -> Any:
    """``base`` with one value somewhere in it replaced, added or removed."""
    if isinstance(base, dict) and base and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(base)))
        out = dict(base)
        action = data.draw(st.sampled_from(["replace", "descend", "delete", "add"]))
        if action == "replace":
            out[key] = data.draw(VALUE)
        elif action == "descend":
            out[key] = _mutated(out[key], data)
        elif action == "delete":
            del out[key]
        else:
            out[data.draw(st.text(max_size=8) | ODD_TEXT)] = data.draw(VALUE)
        return out
    if isinstance(base, list) and base and data.draw(st.booleans()):
        index = data.draw(st.integers(0, len(base) - 1))
        out_list = list(base)
        out_list[index] = _mutated(out_list[index], data)
        return out_list
    return data.draw(VALUE)


def _only_library_errors(call: Any) -> None:
    try:
        result = call()
    except ur.UdbudsreglerError as error:
        str(error).encode("utf-8")  # printable
        json.dumps(error.to_dict(), ensure_ascii=False).encode("utf-8")
        return
    json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")


@SETTINGS
@given(st.data())
def test_fuzz_facts_and_order_give_a_decision_or_a_library_error(data: st.DataObject) -> None:
    facts = _mutated(CITIZEN, data)
    policy, on = (SLAGELSE, date(2019, 2, 1))
    order = data.draw(st.none() | VALUE | st.fixed_dictionaries(
        {"package": ODD_TEXT | st.just("job"), "weekly_hours": VALUE}))
    suppliers = data.draw(st.none() | VALUE | st.fixed_dictionaries(
        {"load": VALUE, "sequence": VALUE}))
    if order is not None or suppliers is not None:
        policy, on = KOEBENHAVN, date(2024, 3, 1)
    when = data.draw(st.sampled_from([on, on.isoformat(), "20190201"]) | VALUE)
    _only_library_errors(lambda: policy.decide(facts, on=when, order=order,
                                               suppliers=suppliers))


REFERRAL = {"id": "R", "start": "2019-02-01", "package": "individuelt_forloeb",
            "outcomes": [{"kind": "selvforsoergende", "from": "2020-05-15", "to": None}]}


@SETTINGS
@given(st.data())
def test_fuzz_referrals_and_outcomes_give_a_settlement_or_a_library_error(
        data: st.DataObject) -> None:
    mutated = _mutated(REFERRAL, data)
    if not isinstance(mutated, dict):
        mutated = {"referral": mutated}
    referral = {k: v for k, v in mutated.items() if k != "outcomes"}
    outcomes = mutated.get("outcomes")
    until = data.draw(st.sampled_from([date(2020, 9, 30), "2020-09-30"]) | VALUE)
    _only_library_errors(lambda: SLAGELSE.settle(referral, outcomes, until=until))


RUSTA = ur.load_policy(ROOT / "policies" / "rusta-och-matcha-2")
RUSTA_REFERRAL = {
    "id": "A", "start": "2025-09-01", "package": "rusta_och_matcha",
    "area": "stockholm_nordvast", "supplier": "solna_1",
    "facts": {"inskriven_som_arbetssokande": True, "bedomd_i_malgruppen": True,
              "behover_arbetsforberedande_insatser": False, "niva": "niva_b",
              "kommun": "solna", "avstand": [{"leverantor": "solna_1", "km": "2.1"}]},
    "previous": [{"from": "2025-03-01", "to": "2025-08-31"}],
    "supplier_changes": [{"supplier": "sundbyberg_1", "from": "2025-09-15"}],
    "outcomes": [{"kind": "arbete", "from": "2025-10-01", "to": None}]}
MILESTONES = ur.load_policy(ROOT / "examples" / "andre-aktoerer")
MILESTONE_REFERRAL = {
    "id": "AA", "start": "2025-03-03", "package": "jobforloeb", "supplier": "aktoer_a",
    "facts": {"birth_date": "1980-06-15",
              "benefits": [{"kind": "dagpenge", "from": "2024-11-01", "to": None}]},
    "outcomes": [{"kind": "job", "from": "2025-05-12", "to": None}]}


@SETTINGS
@given(st.data(), st.sampled_from(["rusta", "milestones"]))
def test_fuzz_referrals_of_the_general_forms_give_a_settlement_or_a_library_error(
        data: st.DataObject, which: str) -> None:
    """The referral of a policy that pays by the citizen's facts, in tiers and milestones,
    with earlier referrals and supplier changes: every key mutated, also inside the facts."""
    policy, base, until = ((RUSTA, RUSTA_REFERRAL, date(2026, 4, 30)) if which == "rusta"
                           else (MILESTONES, MILESTONE_REFERRAL, date(2025, 12, 31)))
    mutated = _mutated(base, data)
    if not isinstance(mutated, dict):
        mutated = {"referral": mutated}
    referral = {k: v for k, v in mutated.items() if k != "outcomes"}
    outcomes = mutated.get("outcomes")
    since = data.draw(st.none() | st.sampled_from([date(2025, 10, 1), "2025-10-01"]))
    _only_library_errors(lambda: policy.settle(referral, outcomes, until=until, since=since))


@settings(max_examples=max(EXAMPLES // 3, 20), deadline=None, derandomize=True)
@given(st.text(alphabet='{}[]":,0123456789eE.-+ntrufalsNI\\ud', max_size=200))
def test_fuzz_json_text_gives_values_or_errors(text: str) -> None:
    with contextlib.suppress(json.JSONDecodeError, ur.FactError):
        read_json(text)


@pytest.mark.parametrize("text", ['{"a": ' + "[" * 5000 + "]" * 5000 + "}",
                                  '[1' + "0" * 10_000 + "]", '{"a": 1, "a": 2}'])
def test_fuzz_seeds_json(text: str) -> None:
    with pytest.raises(ur.FactError):
        read_json(text)
