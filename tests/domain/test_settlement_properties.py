"""Properties of settlement over generated referrals, on both seed policies."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import udbudsregler as ur

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ur.load_policy(ROOT / "policies" / "slagelse-2019")
KOEBENHAVN = ur.load_policy(ROOT / "policies" / "koebenhavn-2024")


def _months(first: date, last: date) -> list[tuple[date, date]]:
    out = []
    day = first.replace(day=1)
    while day <= last:
        end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        out.append((max(day, first), min(end, last)))
        day = end + timedelta(days=1)
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[ur.Policy, dict[str, Any], list[dict[str, Any]], date]:
    policy = draw(st.sampled_from([SLAGELSE, KOEBENHAVN]))
    valid = policy.header.valid
    assert valid.to is not None
    start = valid.from_ + timedelta(days=draw(st.integers(0, 500)))
    package = draw(st.sampled_from(sorted(policy.graph.packages)))
    referral: dict[str, Any] = {"id": "R", "start": start.isoformat(), "package": package}
    if draw(st.booleans()):
        referral["stop"] = (start + timedelta(days=draw(st.integers(0, 400)))).isoformat()
    outcomes = []
    if policy.graph.outcomes:
        kind = next(iter(policy.graph.outcomes))
        for _ in range(draw(st.integers(0, 3))):
            first = start + timedelta(days=draw(st.integers(-30, 800)))
            length = draw(st.one_of(st.none(), st.integers(0, 200)))
            last = None if length is None else (first + timedelta(days=length)).isoformat()
            outcomes.append({"kind": kind, "from": first.isoformat(), "to": last})
    until = start + timedelta(days=draw(st.integers(0, 900)))
    return policy, referral, outcomes, until


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_month_by_month_pays_what_the_whole_period_pays(
        scenario: tuple[ur.Policy, dict[str, Any], list[dict[str, Any]], date]) -> None:
    policy, referral, outcomes, until = scenario
    whole = policy.settle(referral, outcomes, until=until)
    start = date.fromisoformat(referral["start"])
    monthly = [policy.settle(referral, outcomes, since=a, until=b)
               for a, b in _months(start, until)]
    total = sum((m.total for m in monthly), Decimal(0))
    lines = len(whole.lines) + sum(len(m.lines) for m in monthly)
    package = policy.graph.packages[referral["package"]]
    model = policy.graph.price_models[package.spec.price_model]
    if model.spec.partial_weeks == "pro_rata_days":
        # each line is rounded once; splitting a line at a month's end can move half an øre
        assert abs(total - whole.total) <= Decimal("0.005") * lines
    else:
        assert total == whole.total
    # the bonus is invoiced exactly once, in the month it is earned
    earned = [b for b in whole.bonuses if b.status == "earned"]
    invoiced = sum(1 for m in monthly for b in m.bonuses if b.invoiced)
    assert invoiced == len(earned)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_payment_is_never_negative_and_no_bonus_before_the_course_ends(
        scenario: tuple[ur.Policy, dict[str, Any], list[dict[str, Any]], date]) -> None:
    policy, referral, outcomes, until = scenario
    settlement = policy.settle(referral, outcomes, until=until)
    assert all(line.amount.amount >= 0 for line in settlement.lines)
    assert settlement.total >= 0
    for bonus in settlement.bonuses:
        if bonus.status == "earned":
            course_end = settlement.end.course_end
            assert course_end is not None and bonus.window is not None
            assert bonus.window.start > course_end
            assert bonus.window.end is not None and bonus.window.end <= until
