"""Every public result and error type pickles (issue 11, item 2): round trips through
``pickle`` and through a real ``ProcessPoolExecutor`` (fresh processes, ``spawn``), where
one bad citizen's error comes back as the library's error and does not break the pool."""

from __future__ import annotations

import json
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import udbudsregler as ur
from udbudsregler.diagnostics import Severity

ROOT = Path(__file__).resolve().parents[1]
SLAGELSE = ROOT / "policies" / "slagelse-2019"
KOEBENHAVN = ROOT / "policies" / "koebenhavn-2024"
CITIZEN = json.loads((ROOT / "examples" / "data" / "citizen.json").read_text(encoding="utf-8"))
SUPPLIERS = json.loads((ROOT / "examples" / "data" / "suppliers.json").read_text(
    encoding="utf-8"))
REFERRAL = json.loads((ROOT / "docs" / "examples" / "referral.json").read_text(
    encoding="utf-8"))


def _key(value: Any) -> Any:
    """What two equal values of a type share (for types without ``__eq__``)."""
    if isinstance(value, (ur.Decision, ur.Settlement)):
        return (value.to_dict(), value.explain(), value.explain("en"))
    if isinstance(value, ur.Policy):
        return (value.id, value.content_hash, value.decide(CITIZEN, "2019-02-01").to_dict()
                if value.id == "slagelse-2019" else value.schemas())
    if isinstance(value, ur.Replay):
        return (value.to_dict(), value.record, value.replayed)
    if isinstance(value, ur.RecordingTracer):
        return value.events
    if isinstance(value, ur.UdbudsreglerError):
        return (type(value), value.to_dict(), value)
    return value


def _examples() -> dict[str, Any]:
    """One instance (or more) of every public class, by the name ``udbudsregler`` exports."""
    slagelse = ur.load_policy(SLAGELSE)
    koebenhavn = ur.load_policy(KOEBENHAVN)
    tracer = ur.RecordingTracer()
    decision = slagelse.decide(CITIZEN, date(2019, 2, 1), tracer=tracer)
    _ = decision.reasons
    facts = json.loads((ROOT / "docs" / "examples" / "citizen-koebenhavn.json").read_text(
        encoding="utf-8"), parse_float=Decimal)
    routed = koebenhavn.decide(facts, "2024-03-01", suppliers=SUPPLIERS,
                               order={"package": "job", "weekly_hours": 12})
    settlement = slagelse.settle(REFERRAL["referral"], REFERRAL["outcomes"],
                                 until=date(2021, 6, 30))
    with pytest.raises(ur.FactError) as fact_error:
        slagelse.decide({"birth_date": "1984-02-30"}, "someday")
    with pytest.raises(ur.EvaluationError) as evaluation_error:
        slagelse.decide(CITIZEN, "2030-01-01")
    with pytest.raises(ur.PolicyError) as policy_error:
        ur.load_policy(ROOT / "tests" / "corpus" / "five_mistakes.yaml")
    diagnostic = policy_error.value.diagnostics[0]
    assert routed.routing is not None and routed.order is not None
    assert routed.supplier_choice is not None and routed.package_choice is not None
    assert routed.suppliers is not None
    replayed = ur.replay(decision.to_dict(), slagelse)
    return {
        "Policy": [slagelse, koebenhavn],
        "Decision": [decision, routed],
        "Reason": list(decision.reasons),
        "Settlement": settlement,
        "Limits": [ur.Limits(), ur.Limits(evaluation_steps=10, policy_root=str(ROOT))],
        "SettlementLine": list(settlement.lines),
        "BonusStatus": list(settlement.bonuses),
        "ReferralEnd": settlement.end,
        "Referral": settlement.referral,
        "AreaChoice": routed.routing,
        "Order": routed.order,
        "SupplierChoice": routed.supplier_choice,
        "PackageChoice": routed.package_choice,
        "SupplierState": routed.suppliers,
        "FactError": fact_error.value,
        "FactProblem": list(fact_error.value.problems),
        "EvaluationError": evaluation_error.value,
        "PolicyError": policy_error.value,
        "UdbudsreglerError": ur.UdbudsreglerError("a message"),
        "Diagnostic": diagnostic,
        "Span": diagnostic.span,
        "Money": ur.Money(Decimal("1850.00"), "DKK"),
        "Rounding": slagelse.rounding,
        "Duration": ur.Duration(4, 0),
        "Period": ur.Period(date(2020, 5, 15), None),
        "TraceEvent": tracer.events[0],
        "RecordingTracer": tracer,
        "Replay": replayed,
        "Difference": ur.Difference("eligible", True, False),
        "Severity": Severity.ERROR,
    }


#: Public names that are not types of values (functions, protocols, tables).
NOT_VALUES = {"load_policy", "replay", "policy_file_schema", "run_stages", "__version__",
              "STAGES", "STAGE_NAMES", "Tracer"}


@pytest.fixture(scope="module")
def examples() -> dict[str, Any]:
    return _examples()


def _each(examples: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(name, item) for name, value in examples.items()
            for item in (value if isinstance(value, list) else [value])]


def test_every_public_type_has_an_example(examples: dict[str, Any]) -> None:
    public = {name for name in ur.__all__ if name not in NOT_VALUES}
    assert public <= set(examples), f"no pickle example of {sorted(public - set(examples))}"
    for name, item in _each(examples):
        expected = getattr(ur, name, None) or Severity
        assert isinstance(item, expected), name


def test_every_public_type_pickles(examples: dict[str, Any]) -> None:
    for name, item in _each(examples):
        for protocol in (pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL):
            copy = pickle.loads(pickle.dumps(item, protocol=protocol))
            assert type(copy) is type(item), name
            assert _key(copy) == _key(item), name


# -- through a process pool -------------------------------------------------------------


def _decide(facts: dict[str, Any]) -> ur.Decision:
    return ur.load_policy(SLAGELSE).decide(facts, "2019-02-01")


def _settle(until: str) -> ur.Settlement:
    return ur.load_policy(SLAGELSE).settle(REFERRAL["referral"], REFERRAL["outcomes"],
                                           until=until)


def _echo(value: Any) -> Any:
    return value


def _raise(error: Exception) -> None:
    raise error


def _pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))


def test_results_and_errors_cross_a_process_pool(examples: dict[str, Any]) -> None:
    bad = dict(CITIZEN, visitation="unknown")
    with _pool() as pool:
        # made in the workers: decisions, a settlement, and one bad citizen's FactError
        futures = [pool.submit(_decide, facts) for facts in (CITIZEN, bad, CITIZEN)]
        settled = pool.submit(_settle, "2021-06-30")
        first, failed, third = futures
        assert first.result().to_dict() == _decide(CITIZEN).to_dict()
        error = failed.exception()
        assert isinstance(error, ur.FactError)
        assert error.paths == ("visitation",) and error.to_dict()["problems"][0]["code"] == \
            "UDB605"
        assert third.result().eligible  # the pool goes on after the error
        assert settled.result().to_dict() == _settle("2021-06-30").to_dict()
        # every example there and back: the worker unpickles it and pickles it again
        items = _each(examples)
        copies = list(pool.map(_echo, [item for _, item in items]))
        for (name, item), copy in zip(items, copies, strict=True):
            assert type(copy) is type(item), name
            assert _key(copy) == _key(item), name
        # every error raised in a worker arrives as itself
        errors = [item for _, item in items if isinstance(item, ur.UdbudsreglerError)]
        for raised in [pool.submit(_raise, e).exception() for e in errors]:
            assert isinstance(raised, ur.UdbudsreglerError)
        assert [_key(e) for e in errors] == \
            [_key(pool.submit(_raise, e).exception()) for e in errors]


def test_a_decision_made_in_a_worker_replays_here(examples: dict[str, Any]) -> None:
    with _pool() as pool:
        decision = pool.submit(_decide, CITIZEN).result()
    result = ur.replay(json.dumps(decision.to_dict()), ur.load_policy(SLAGELSE, cache=False))
    assert result.same, result.render()
