"""Decision and settlement records that replay (issue 11, item 1): a record stored as JSON
and replayed with a freshly loaded policy gives an identical decision; numbers written
three ways give one facts hash; a changed supplier state, policy or result shows."""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_folders import POLICY_FOLDERS

import udbudsregler as ur
from udbudsregler.runtime.records import facts_hash, normalised
from udbudsregler.testing.strategies import citizens, orders, settlement_scenarios, supplier_states

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ROOT / "policies" / "slagelse-2019"
KOEBENHAVN = ROOT / "policies" / "koebenhavn-2024"
CITIZEN = json.loads((ROOT / "examples" / "data" / "citizen.json").read_text(encoding="utf-8"))
SUPPLIERS = json.loads((ROOT / "examples" / "data" / "suppliers.json").read_text(
    encoding="utf-8"))


def _citizens() -> list[dict[str, Any]]:
    lines = (ROOT / "examples" / "data" / "citizens.jsonl").read_text(encoding="utf-8")
    return [json.loads(line, parse_float=Decimal) for line in lines.splitlines() if line]


def _decisions(policy: ur.Policy) -> list[ur.Decision]:
    """The example citizens of koebenhavn-2024 with their orders and the shared supplier
    state (those whose data is good), each decided."""
    out = []
    for citizen in _citizens():
        try:
            out.append(policy.decide(citizen["facts"], date(2024, 3, 1),
                                     order=citizen.get("order"), suppliers=SUPPLIERS))
        except ur.FactError:
            continue
    return out


def _same_decision(a: ur.Decision, b: ur.Decision) -> None:
    assert (a.eligible, a.target_groups, a.area, a.areas, a.supplier, a.package) == \
        (b.eligible, b.target_groups, b.area, b.areas, b.supplier, b.package)
    assert (a.routing, a.order, a.supplier_choice, a.package_choice, a.suppliers) == \
        (b.routing, b.order, b.supplier_choice, b.package_choice, b.suppliers)
    assert a.facts == b.facts and a.on == b.on
    assert a.reasons == b.reasons
    assert a.explain() == b.explain() and a.explain("en") == b.explain("en")


@pytest.mark.parametrize("compact", [False, True], ids=["full", "compact"])
def test_a_record_stored_as_json_replays_to_an_identical_decision(
        tmp_path: Path, compact: bool) -> None:
    policy = ur.load_policy(KOEBENHAVN)
    decisions = _decisions(policy)
    assert len(decisions) >= 10 and any(d.order is not None for d in decisions)
    store = tmp_path / "decisions.jsonl"
    store.write_text("".join(json.dumps(d.to_dict(compact=compact), ensure_ascii=False) + "\n"
                             for d in decisions), encoding="utf-8")
    fresh = ur.load_policy(KOEBENHAVN, cache=False)  # compiled afresh
    assert fresh is not policy
    lines = store.read_text(encoding="utf-8").splitlines()
    for decision, line in zip(decisions, lines, strict=True):
        result = ur.replay(json.loads(line), fresh)
        assert result.same, result.render()
        assert not result.library_changed and not result.policy_changed
        assert result.replayed == json.loads(line)
        _same_decision(result.decision, decision)


def test_replay_loads_the_policy_from_its_path_and_reads_json_text() -> None:
    policy = ur.load_policy(SLAGELSE)
    decision = policy.decide(CITIZEN, "2019-02-01")
    result = ur.replay(decision.to_json(), str(SLAGELSE), cache=False)
    assert result.same and result.kind == "decision"
    _same_decision(result.decision, decision)
    assert "the same" in result.render()


def test_a_settlement_record_replays() -> None:
    policy = ur.load_policy(SLAGELSE)
    referrals = json.loads((ROOT / "examples" / "data" / "referrals.json").read_text(
        encoding="utf-8"))
    fresh = ur.load_policy(SLAGELSE, cache=False)
    replayed = 0
    for item in referrals:
        referral = {k: v for k, v in item.items() if k not in ("note", "outcomes")}
        try:
            settlement = policy.settle(referral, item["outcomes"], until=date(2021, 6, 30),
                                       since=date(2020, 1, 1))
        except (ur.FactError, ur.EvaluationError):  # bad data on purpose
            continue
        replayed += 1
        for compact in (False, True):
            text = json.dumps(settlement.to_dict(compact=compact))
            result = ur.replay(text, fresh)
            assert result.same, result.render()
            again = result.settlement
            assert again.lines == settlement.lines and again.bonuses == settlement.bonuses
            assert again.total == settlement.total and again.end == settlement.end
            assert again.outcomes == settlement.outcomes
            assert again.explain() == settlement.explain()
    assert replayed >= 8
    with pytest.raises(TypeError):
        _ = result.decision


def test_numbers_written_three_ways_give_one_facts_hash() -> None:
    policy = ur.load_policy(SLAGELSE)

    def with_hours(hours: Any) -> dict[str, Any]:
        facts = json.loads(json.dumps(CITIZEN))
        facts["offers"][1]["weekly_hours"] = hours
        return facts

    decisions = [policy.decide(with_hours(h), "2019-02-01")
                 for h in (15, "15.00", Decimal("15.0"))]
    records = [d.to_dict(compact=True) for d in decisions]
    assert len({r["facts_hash"] for r in records}) == 1
    assert len({r["inputs_hash"] for r in records}) == 1
    # ... while each record keeps the number as it was given, so that a replay shows the
    # values the decision was made with
    assert [r["facts"]["offers"][1]["weekly_hours"] for r in records] == [15, "15.00", "15.0"]
    other = policy.decide(with_hours("15.5"), "2019-02-01").to_dict(compact=True)
    assert other["facts_hash"] != records[0]["facts_hash"]
    assert facts_hash({"a": Decimal("7.50")}) == facts_hash({"a": "7.5"}) != \
        facts_hash({"a": Decimal("7.05")})
    assert normalised({"d": date(2019, 2, 1), "n": Decimal("1E+2"), "m": Decimal("-0.10")}) == \
        {"d": "2019-02-01", "n": 100, "m": "-0.1"}


def test_the_supplier_state_and_the_order_are_in_the_record() -> None:
    policy = ur.load_policy(KOEBENHAVN)
    citizen = next(c for c in _citizens() if c["id"] == "C-03")
    state = json.loads(json.dumps(SUPPLIERS))
    first = policy.decide(citizen["facts"], "2024-03-01", suppliers=state)
    state["sequence"]["hjerneskade_kognitiv"] += 1
    second = policy.decide(citizen["facts"], "2024-03-01", suppliers=state)
    a, b = first.to_dict(compact=True), second.to_dict(compact=True)
    assert a["supplier"] != b["supplier"]  # rotation moved on
    assert a["facts_hash"] == b["facts_hash"] and a["inputs_hash"] != b["inputs_hash"]
    assert b["suppliers"]["sequence"]["hjerneskade_kognitiv"] == \
        a["suppliers"]["sequence"]["hjerneskade_kognitiv"] + 1
    ordered = policy.decide(citizen["facts"], "2024-03-01", suppliers=state,
                            order={"package": "job", "weekly_hours": "12"})
    record = ordered.to_dict(compact=True)
    assert record["order"] == {"package": "job", "weekly_hours": "12", "supplier": None}
    assert record["inputs_hash"] != b["inputs_hash"]


def test_the_compact_record_has_ids_and_codes_only() -> None:
    policy = ur.load_policy(KOEBENHAVN)
    decision = _decisions(policy)[0]
    full, compact = decision.to_dict(), decision.to_dict(compact=True)
    assert "reasons" in full and "title" in full["policy"]
    assert "reasons" not in compact and "title" not in compact["policy"]
    assert {k: v for k, v in full.items() if k not in ("reasons", "policy")} == \
        {k: v for k, v in compact.items() if k != "policy"}
    assert len(json.dumps(compact)) * 3 < len(json.dumps(full))
    for key in ("record", "format", "library_version", "on", "facts", "facts_hash",
                "inputs_hash", "order", "suppliers"):
        assert key in compact
    assert compact["library_version"] == ur.__version__
    assert compact["policy"]["content_hash"] == policy.content_hash


def test_replay_reports_a_changed_policy_and_a_changed_result(tmp_path: Path) -> None:
    folder = tmp_path / "slagelse"
    shutil.copytree(SLAGELSE, folder)
    young = json.loads(json.dumps(CITIZEN))
    young["birth_date"] = "1992-06-01"  # 26 on the decision date
    record = ur.load_policy(folder).decide(young, "2019-02-01").to_dict()
    assert not record["eligible"]
    part = folder / "maalgruppe.yaml"
    part.write_text(part.read_text(encoding="utf-8").replace("value: 30", "value: 25"),
                    encoding="utf-8")
    result = ur.replay(record, folder)
    assert not result.same and result.policy_changed
    paths = [d.path for d in result.differences]
    assert paths[0] == "policy.content_hash"
    assert "eligible" in paths and "target_groups[0]" in paths
    assert result.decision.eligible
    assert "eligible: recorded false, replayed true" in result.render()


def test_another_library_version_is_noted_but_is_no_difference() -> None:
    policy = ur.load_policy(SLAGELSE)
    record = policy.decide(CITIZEN, "2019-02-01").to_dict(compact=True)
    record["library_version"] = "0.0.1"
    result = ur.replay(record, policy)
    assert result.same and result.library_changed
    assert "recorded with udbudsregler 0.0.1" in result.render()
    assert result.to_dict()["recorded_library_version"] == "0.0.1"


@pytest.mark.parametrize(("change", "paths"), [
    (lambda r: r.pop("facts"), ["record.facts"]),
    (lambda r: r.update(on=20190201, format=2), ["record.format", "record.on"]),
    (lambda r: r.update(record="invoice"), ["record.record"]),
    (lambda r: r["policy"].update(id="koebenhavn-2024"), ["record.policy.id"]),
], ids=["no facts", "bad date and format", "not a record", "another policy"])
def test_a_bad_record_is_a_fact_error_with_paths(change: Any, paths: list[str]) -> None:
    policy = ur.load_policy(SLAGELSE)
    record = policy.decide(CITIZEN, "2019-02-01").to_dict()
    change(record)
    with pytest.raises(ur.FactError) as raised:
        ur.replay(record, policy)
    assert list(raised.value.paths) == paths


def test_a_record_that_is_not_json_or_not_a_mapping_is_a_fact_error() -> None:
    policy = ur.load_policy(SLAGELSE)
    for bad in ("{not json", "[1, 2]", b"\"text\""):
        with pytest.raises(ur.FactError) as raised:
            ur.replay(bad, policy)
        assert raised.value.paths == ("record",)


def test_facts_that_no_longer_fit_raise_the_policys_own_error() -> None:
    policy = ur.load_policy(SLAGELSE)
    record = policy.decide(CITIZEN, "2019-02-01").to_dict(compact=True)
    record["facts"]["visitation"] = "unknown"
    with pytest.raises(ur.FactError) as raised:
        ur.replay(record, policy)
    assert raised.value.paths == ("visitation",)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_generated_decision_replays_from_json(data: st.DataObject) -> None:
    policy = ur.load_policy(KOEBENHAVN)
    on = date(2024, 3, 1)
    facts = data.draw(citizens(policy, on))
    order = data.draw(st.none() | orders(policy))
    state = data.draw(st.none() | supplier_states(policy))
    try:
        decision = policy.decide(facts, on, order=order, suppliers=state)
    except ur.FactError:  # e.g. lowest load without the capacities
        return
    text = json.dumps(decision.to_dict(compact=data.draw(st.booleans())))
    result = ur.replay(json.loads(text), policy)
    assert result.same, result.render()
    assert result.decision.facts == decision.facts


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_generated_settlement_replays_from_json(data: st.DataObject) -> None:
    policy = ur.load_policy(data.draw(st.sampled_from(POLICY_FOLDERS)))
    scenario = data.draw(settlement_scenarios(policy))
    settlement = policy.settle(scenario.referral, scenario.outcomes, until=scenario.until,
                               since=scenario.since)
    result = ur.replay(json.dumps(settlement.to_dict()), policy)
    assert result.same, result.render()
    assert result.settlement.lines == settlement.lines


@pytest.mark.parametrize("folder", POLICY_FOLDERS, ids=lambda p: p.name)
def test_the_record_hashes_the_facts_as_the_normalised_digest(folder: Path) -> None:
    """The record writes the hash of the facts by the JSON encoder (fast paths); it must be
    ``facts_hash`` of the same facts, byte for byte, on every generated citizen of every
    policy (Decimals, amounts, periods and durations included)."""
    from udbudsregler.runtime.records import facts_record

    policy = ur.load_policy(folder)
    on = policy.header.valid.from_

    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        facts = policy.facts.validate(data.draw(citizens(policy, on)))
        assert facts_record(facts)[1] == facts_hash(facts)

    check()
