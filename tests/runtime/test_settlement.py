"""Referrals and outcomes at the boundary."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

import udbudsregler as ur
from udbudsregler.diagnostics import FactError

ROOT = Path(__file__).resolve().parents[2]
REFERRAL = {"id": "R-1", "start": "2019-02-01", "package": "individuelt_forloeb"}
UNTIL = date(2020, 9, 30)


@pytest.fixture(scope="module")
def slagelse() -> ur.Policy:
    return ur.load_policy(ROOT / "policies" / "slagelse-2019")


def problems(policy: ur.Policy, referral: Any = REFERRAL, outcomes: Any = None,
             **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(FactError) as caught:
        policy.settle(referral, outcomes, until=kwargs.pop("until", UNTIL), **kwargs)
    return [(p.code, p.path) for p in caught.value.problems]


@pytest.mark.parametrize("kind", [["selvforsoergende"], {"a": 1}, {1, 2}, None, 3])
def test_12_9_an_outcome_kind_that_is_a_list_or_dict(slagelse: ur.Policy, kind: Any) -> None:
    outcome = {"kind": kind, "from": "2020-05-15", "to": None}
    assert problems(slagelse, outcomes=[outcome]) == [("UDB602", "outcomes[0].kind")]


def test_11_2_a_bad_kind_does_not_hide_a_reversed_period(slagelse: ur.Policy) -> None:
    outcomes = [{"kind": ["x"], "from": "2020-05-15", "to": "2020-01-01"},
                {"kind": "selvforsoergende", "from": "2020-05-15", "to": "2020-01-01"}]
    referral = dict(REFERRAL, stop="2018-01-01", package="nope")
    assert problems(slagelse, referral, outcomes, since="2020-13-01") == [
        ("UDB602", "outcomes[0].kind"), ("UDB604", "outcomes[0].to"),
        ("UDB604", "outcomes[1].to"), ("UDB605", "referral.package"),
        ("UDB604", "referral.stop"), ("UDB603", "since")]


def test_12_11_a_referral_id_with_a_lone_surrogate(slagelse: ur.Policy) -> None:
    with pytest.raises(FactError) as caught:
        slagelse.settle(dict(REFERRAL, id="\ud800"), until=UNTIL)
    assert caught.value.paths == ("referral.id",)
    str(caught.value).encode("utf-8")


@pytest.mark.parametrize("outcomes", [0, False, "", {}, "selvforsoergende"])
def test_12_24_outcomes_that_are_not_a_list_are_not_none(slagelse: ur.Policy,
                                                         outcomes: Any) -> None:
    assert problems(slagelse, outcomes=outcomes) == [("UDB602", "outcomes")]


def test_no_outcomes_and_outcome_objects_settle_as_before(slagelse: ur.Policy) -> None:
    ended = ur.Period(date(2020, 5, 15), None)
    from udbudsregler.runtime.settlement_records import Outcome

    with_objects = slagelse.settle(REFERRAL, [Outcome("selvforsoergende", ended)], until=UNTIL)
    with_json = slagelse.settle(REFERRAL, [{"kind": "selvforsoergende", "from": "2020-05-15",
                                            "to": None}], until="2020-09-30")
    assert with_objects.to_dict() == with_json.to_dict()
    assert format(with_json.total, "f") == "149663.57"
    assert slagelse.settle(REFERRAL, None, until=UNTIL).to_dict() == \
        slagelse.settle(REFERRAL, [], until=UNTIL).to_dict()


def test_referral_dates_are_strict(slagelse: ur.Policy) -> None:
    assert problems(slagelse, dict(REFERRAL, start="20190201")) == [("UDB602", "referral.start")]
    assert problems(slagelse, dict(REFERRAL, id=True)) == [("UDB602", "referral.id")]
    assert slagelse.settle(dict(REFERRAL, id=17), until=UNTIL).referral.id == "17"


def test_a_referral_outside_the_validity_is_an_evaluation_error(slagelse: ur.Policy) -> None:
    with pytest.raises(ur.EvaluationError) as caught:
        slagelse.settle(dict(REFERRAL, start="2018-02-01"), until=UNTIL)
    assert (caught.value.code, caught.value.path) == ("UDB703", "referral.start")


@pytest.mark.parametrize("change", ["2024-01-02", "2024-02-20", "2024-05-06"])
def test_monthly_invoices_with_a_supplier_change_add_up_to_the_whole(change: str) -> None:
    """A change of supplier splits the weekly lines by supplier; each invoice still takes
    only the weeks billed in its own month (found by docs/examples/test_properties.py:
    the weeks after a change were invoiced again every month)."""
    from datetime import timedelta

    kbh = ur.load_policy(ROOT / "policies" / "koebenhavn-2024")
    referral = {"id": "R-1", "start": "2024-01-01", "package": "job", "area": "udsatte",
                "supplier": "udsatte_a",
                "supplier_changes": [{"supplier": "udsatte_c", "from": change}]}
    until = date(2024, 7, 1)
    whole = kbh.settle(referral, [], until=until)
    monthly = []
    since = date(2024, 1, 1)
    while since <= until:
        last = min((since.replace(day=1) + timedelta(days=32)).replace(day=1)
                   - timedelta(days=1), until)
        monthly.append(kbh.settle(referral, [], until=last, since=since))
        since = last + timedelta(days=1)
    assert sum(s.total for s in monthly) == whole.total
    weeks = [(line.supplier, line.quantity) for s in monthly for line in s.lines]
    assert sum(n for _, n in weeks) == sum(line.quantity for line in whole.lines)
    assert {supplier for supplier, _ in weeks} == {"udsatte_a", "udsatte_c"}
