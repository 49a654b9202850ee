"""Strategies derived from a policy: valid citizens, the boundary model, coverage of every
criterion, shrinking, the fast sampler, orders, supplier states and settlement scenarios."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

import udbudsregler as ur
from udbudsregler.diagnostics import EvaluationError, FactError
from udbudsregler.testing.boundaries import sampler
from udbudsregler.testing.strategies import (
    Scenario,
    boundaries,
    citizens,
    order_gen,
    orders,
    sample_citizens,
    scenario_gen,
    settlement_scenarios,
    supplier_states,
)
from udbudsregler.values.temporal import Duration, sub_duration

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ur.load_policy(ROOT / "policies" / "slagelse-2019")
KOEBENHAVN = ur.load_policy(ROOT / "policies" / "koebenhavn-2024")
ON = {SLAGELSE.id: date(2019, 2, 1), KOEBENHAVN.id: date(2024, 3, 1)}
BOTH = pytest.mark.parametrize("policy", [SLAGELSE, KOEBENHAVN], ids=lambda p: p.id)

#: Every fact type, nested records, lists in histories, a closed-only history, a birth
#: date inside a record and one inside a list, another currency and month-end rule.
EVERY_FACT_TYPE = """\
policy:
  id: every-fact-type
  title: Every fact type
  authority: Test
  valid: {from: 2020-01-01, to: 2022-12-31}
  currency: EUR
  month_end: roll
  rounding: {unit: 0.01, mode: half_up}
facts:
  flag: bool
  number: int
  ratio: decimal
  income: money
  started: date
  notice: duration
  hours: hours
  name: text
  stay: period
  status: {type: enum, values: [a, b, c]}
  person:
    type: record
    fields:
      born: date
      address: {type: record, fields: {city: text, moved: date}}
  children: {type: list, fields: {born: date, custody: bool}}
  jobs:
    type: history
    open_ended: false
    fields:
      employer: text
      hours: hours
      spells: {type: list, fields: {sick: {type: enum, values: [yes_sick, no_sick]}}}
  benefits: {type: history, fields: {kind: {type: enum, values: [x, y]}}}
parameters:
  min_age: 25
  limit: 37 hours
  cap: 1000.00 EUR
  wait: 3 weeks
rules:
  age: age(person.born)
  kids: count(c in children where age(c.born) < 18)
target_groups:
  everyone:
    title: Everyone
    criteria:
      all:
        - {id: c1, title: c1, when: "flag or number > 3 or ratio > 0.5 or income > cap"}
        - {id: c2, title: c2, when: "started + notice <= today + wait and hours < limit"}
        - {id: c3, title: c3, when: "name == \\"x\\" or covers(stay) or status == a"}
        - {id: c4, title: c4, when: "age >= min_age and kids >= 0"}
        - id: c5
          title: c5
          when: >
            any(j in jobs where j.hours > limit and j.employer != ""
                and count(s in j.spells where s.sick == yes_sick) > 0)
        - id: c6
          title: c6
          when: >
            any(b in benefits where b.kind == x) and person.address.city != ""
            and person.address.moved < today
"""


@pytest.fixture(scope="module")
def every_fact_type(tmp_path_factory: pytest.TempPathFactory) -> ur.Policy:
    folder = tmp_path_factory.mktemp("every-fact-type")
    (folder / "policy.yaml").write_text(EVERY_FACT_TYPE, encoding="utf-8")
    return ur.load_policy(folder)


def _dates_of(policy: ur.Policy) -> st.SearchStrategy[date]:
    valid = policy.header.valid
    assert valid.to is not None
    return st.dates(valid.from_, valid.to)


def _records(facts: dict[str, Any]) -> int:
    return sum(len(value) for value in facts.values() if isinstance(value, list))


def _room(policy: ur.Policy) -> dict[str, Any]:
    """A supplier state where every supplier has room."""
    ids = [s.id for area in policy.graph.areas.values() for s in area.spec.suppliers]
    return {"load": {}, "capacity": dict.fromkeys(ids, 10), "sequence": 1}


# -- valid citizens ------------------------------------------------------------------------


@BOTH
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_citizens_are_valid_facts_in_canonical_form(policy: ur.Policy,
                                                               data: st.DataObject) -> None:
    facts = data.draw(citizens(policy, on=_dates_of(policy)))
    # canonical: the generated fast path accepts them as they are, with no conversion
    assert policy.facts.fast(facts)
    assert policy.facts.validate(facts) is facts
    # and the pydantic path agrees
    policy.facts.model.model_validate(facts)


def test_every_fact_type_is_generated_validly(every_fact_type: ur.Policy) -> None:
    policy, on = every_fact_type, date(2021, 6, 30)
    kinds: set[str] = set()

    @settings(max_examples=100, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(citizens(policy, on))
    def check(facts: dict[str, Any]) -> None:
        assert policy.facts.validate(facts) is facts
        assert all(job["to"] is not None for job in facts["jobs"])  # open_ended: false
        # birth dates (passed to age(...)) never lie after the decision date
        assert facts["person"]["born"] <= on
        assert all(child["born"] <= on for child in facts["children"])
        policy.decide(facts, on=on)  # and never make a decision fail
        kinds.update(f"open:{b['to'] is None}" for b in facts["benefits"])
        kinds.update(f"spells:{len(j['spells'])}" for j in facts["jobs"])

    check()
    assert {"open:True", "open:False", "spells:0", "spells:2"} <= kinds
    for facts in sample_citizens(policy, on, 300, seed=1):
        assert policy.facts.validate(facts) is facts
        assert facts["person"]["born"] <= on
        policy.decide(facts, on=on)


# -- the boundary model ---------------------------------------------------------------------


def test_the_boundaries_of_slagelse() -> None:
    on = ON[SLAGELSE.id]
    b = boundaries(SLAGELSE, on)
    assert b.ages == (30,)
    # turning 30 on the decision date, the day before and the day after, and 29 February
    assert {date(1989, 2, 1), date(1989, 1, 31), date(1989, 2, 2)} <= set(b.birth_dates)
    assert date(1988, 2, 29) in b.birth_dates
    # 5 years on benefit, the 2-year window for offers, with the days around them
    for edge in (date(2014, 2, 1), date(2017, 2, 1)):
        assert {edge - timedelta(days=1), edge, edge + timedelta(days=1)} <= set(b.dates)
    assert {on, on - timedelta(days=1), on + timedelta(days=1)} <= set(b.dates)
    assert date(2019, 2, 28) in b.dates  # the month end
    assert date(2016, 2, 29) in b.dates
    assert date(2020, 1, 1) in b.dates and date(2019, 12, 31) in b.dates  # a price change
    # 15 hours and 14, 16, 14.5, 15.5
    assert {15, 14, 16} <= set(b.hours)
    assert {str(h) for h in b.hours} >= {"14.5", "15.5"}
    # a gap of one day does not break a spell; two days do
    assert {0, 1, 2} <= set(b.gaps)
    assert {Duration(60, 0), Duration(24, 0), Duration(0, 1), Duration(4, 0)} <= set(
        b.constants.durations)
    assert ur.Money("25000.00", "DKK") in b.constants.money
    assert b.constants.born == {"birth_date"}


def test_the_boundaries_of_koebenhavn() -> None:
    on = ON[KOEBENHAVN.id]
    b = boundaries(KOEBENHAVN, on)
    assert b.ages == (18, 30)
    assert {date(2006, 3, 1), date(2006, 2, 28), date(1994, 3, 1), date(1994, 3, 2)} <= set(
        b.birth_dates)
    # the packages' spans: 3-15 and 5-20 hours, with their neighbours
    assert {3, 5, 15, 20} <= set(b.constants.hours)
    assert {2, 4, 6, 14, 16, 19, 21} <= set(b.hours)
    assert {Duration(6, 0), Duration(9, 0), Duration(12, 0)} <= set(b.constants.durations)
    assert date(2023, 9, 1) in b.dates  # 6 months before


def test_boundaries_use_the_month_end_rule() -> None:
    on = date(2020, 2, 29)
    b = boundaries(SLAGELSE, on)
    assert sub_duration(on, Duration(360, 0), "clamp") == date(1990, 2, 28)
    assert date(1990, 2, 28) in b.birth_dates  # turns 30 on 28 February (clamp)
    assert date(2015, 2, 28) in b.dates  # 5 years before 29 February 2020


# -- coverage, orders and supplier states ---------------------------------------------------


@BOTH
def test_decisions_never_fail_and_see_every_criterion_both_ways(policy: ur.Policy) -> None:
    on = ON[policy.id]
    seen: set[tuple[str, bool]] = set()

    @settings(max_examples=200, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(citizens(policy, on), orders(policy), supplier_states(policy))
    def decide(facts: dict[str, Any], order: dict[str, Any],
               suppliers: dict[str, Any]) -> None:
        decision = policy.decide(facts, on=on, order=order, suppliers=suppliers)
        seen.update((r.id, r.met) for r in decision.reasons if r.kind == "criterion")

    decide()
    wanted = {(n.name, met) for n in policy.graph.of_kind("criterion") for met in (True, False)}
    assert not wanted - seen, sorted(wanted - seen)


def test_orders_and_supplier_states_reach_every_outcome_of_routing() -> None:
    on = ON[KOEBENHAVN.id]
    base = {"birth_date": date(1978, 4, 10),
            "benefits": [{"kind": "kontanthjaelp", "from": date(2022, 6, 1), "to": None}]}
    challenges = dict.fromkeys(("social_and_health_challenges", "acquired_brain_injury",
                                "cognitive_difficulties", "mental_health_challenges"), False)
    udsatte = {**base, "assessment": {**challenges, "social_and_health_challenges": True}}
    hjerneskade = {**base, "assessment": {**challenges, "acquired_brain_injury": True}}
    packages: set[str] = set()
    methods: set[str] = set()

    @settings(max_examples=150, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from([udsatte, hjerneskade]), orders(KOEBENHAVN),
           supplier_states(KOEBENHAVN))
    def decide(facts: dict[str, Any], order: dict[str, Any],
               suppliers: dict[str, Any]) -> None:
        decision = KOEBENHAVN.decide(facts, on=on, order=order, suppliers=suppliers)
        assert decision.package_choice is not None or "package" not in order
        if decision.package_choice is not None:
            packages.add(decision.package_choice.status)
        assert decision.supplier_choice is not None
        choice = decision.supplier_choice
        methods.add(choice.method)
        if choice.rejected_because is not None:
            methods.add(f"refused:{choice.rejected_because}")

    decide()
    assert {"ordered", "hours_outside_span", "hours_missing", "hours_not_allowed",
            "not_in_area"} <= packages
    assert {"citizen_choice", "lowest_load", "rotation", "full", "no_sequence",
            "refused:not_in_area", "refused:full"} <= methods


def test_orders_put_hours_inside_on_and_outside_each_span() -> None:
    draw = sampler(order_gen(KOEBENHAVN), random.Random(3).random)
    hours = {(o["package"], o.get("weekly_hours")) for o in (draw() for _ in range(3000))
             if "package" in o}
    for package, low, high in (("job", 5, 20), ("afklaring", 3, 15)):
        assert {low - 1, low, high, high + 1, None} <= {h for p, h in hours if p == package}
    assert {("mentor", None)} <= hours


# -- shrinking ------------------------------------------------------------------------------

SHRINK = settings(database=None, derandomize=True, max_examples=500,
                  phases=[Phase.generate, Phase.shrink])


@BOTH
def test_a_citizen_outside_the_target_group_shrinks_to_a_small_one(policy: ur.Policy) -> None:
    on = ON[policy.id]
    found = find(citizens(policy, on), lambda c: not policy.decide(c, on=on).eligible,
                 settings=SHRINK)
    assert _records(found) <= 1, found
    # shrinking goes to the boundaries: the first age threshold, the first choice
    assert found["birth_date"] == boundaries(policy, on).birth_dates[0], found
    if policy is SLAGELSE:
        assert found["birth_date"] == date(1989, 2, 1)
        assert found["visitation"] == "aktivitetsparat"


def test_an_eligible_citizen_shrinks_to_one_benefit_on_the_decision_date() -> None:
    on = ON[KOEBENHAVN.id]
    found = find(citizens(KOEBENHAVN, on),
                 lambda c: KOEBENHAVN.decide(c, on=on, suppliers=_room(KOEBENHAVN)).eligible,
                 settings=SHRINK)
    assert _records(found) <= 2, found
    assert len(found["benefits"]) == 1 and found["benefits"][0]["from"] <= on
    assert sum(found["assessment"].values()) == 1, found
    assert found["birth_date"] in boundaries(KOEBENHAVN, on).birth_dates


# -- the fast sampler -----------------------------------------------------------------------


def _calibration() -> float:
    """Seconds for a fixed piece of pure Python here and now (to read the rate against)."""
    start = time.perf_counter()
    for _ in range(200):
        sum(range(1000))
    return time.perf_counter() - start


@BOTH
def test_sample_citizens_is_deterministic_fast_and_valid(policy: ur.Policy) -> None:
    on = ON[policy.id]
    assert sample_citizens(policy, on, 200, seed=7) == sample_citizens(policy, on, 200, seed=7)
    assert sample_citizens(policy, on, 200, seed=7) != sample_citizens(policy, on, 200, seed=8)
    sample_citizens(policy, on, 10, seed=1)  # compiled once per policy and date
    started = time.perf_counter()
    sample = sample_citizens(policy, on, 10_000, seed=1)
    rate = len(sample) / (time.perf_counter() - started)
    unit = _calibration()
    print(f"\n{policy.id}: {rate:,.0f} citizens/s (200 x sum(range(1000)) took "
          f"{unit * 1000:.1f} ms; load {os.getloadavg()[0]:.1f})")
    assert rate > 1_000  # loose: shared machines are slow; the report gives the real rate
    for facts in sample:
        assert policy.facts.validate(facts) is facts


def test_sample_citizens_hit_the_boundaries() -> None:
    on = ON[SLAGELSE.id]
    sample = sample_citizens(SLAGELSE, on, 3000, seed=2)
    births = {c["birth_date"] for c in sample}
    assert {date(1989, 2, 1), date(1989, 1, 31), date(1989, 2, 2), date(1988, 2, 29)} <= births
    window = date(2017, 2, 1)
    assert any(o["to"] == window for c in sample for o in c["offers"])  # ends on on - 2 years
    assert any(b["from"] == date(2014, 2, 1) for c in sample for b in c["benefits"])

    def gaps(periods: list[dict[str, Any]]) -> set[int]:
        return {(b["from"] - a["to"]).days - 1 for a, b in itertools.pairwise(periods)
                if a["to"] is not None}

    assert {0, 1, 2} <= set().union(*(gaps(c["benefits"]) for c in sample))
    assert {14, 15, 16} <= {o["weekly_hours"] for c in sample for o in c["offers"]}


def test_sample_citizens_needs_no_hypothesis() -> None:
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "from datetime import date\n"
        "import udbudsregler as ur\n"
        "from udbudsregler.testing.strategies import sample_citizens\n"
        f"policy = ur.load_policy({str(ROOT / 'policies' / 'slagelse-2019')!r})\n"
        "print(len(sample_citizens(policy, date(2019, 2, 1), 50, seed=1)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "50"


# -- settlement scenarios ------------------------------------------------------------------


def _settle_all(policy: ur.Policy, examples: int) -> tuple[set[str], set[str]]:
    bonuses: set[str] = set()
    ends: set[str] = set()
    domain = policy.graph
    valid = policy.header.valid

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(settlement_scenarios(policy))
    def settle(scenario: Scenario) -> None:
        referral = scenario.referral
        assert valid.from_ <= referral["start"] <= (valid.to or date.max)
        package = domain.packages[referral["package"]].spec
        if "area" in referral:
            assert referral["area"] in package.areas
            if "supplier" in referral:
                area = domain.areas[referral["area"]].spec
                assert referral["supplier"] in [s.id for s in area.suppliers]
        assert referral.get("stop", referral["start"]) >= referral["start"]
        assert referral["start"] <= scenario.until
        assert scenario.since is None or scenario.since <= scenario.until
        try:
            result = policy.settle(referral, scenario.outcomes, until=scenario.until,
                                   since=scenario.since)
        except (EvaluationError, FactError) as error:  # a valid scenario never fails
            pytest.fail(f"{scenario}: {error}")
        assert result.total >= 0
        bonuses.update(b.status for b in result.bonuses)
        ends.add(result.end.cause)

    settle()
    return bonuses, ends


def test_slagelse_scenarios_settle_and_reach_every_bonus_status() -> None:
    bonuses, ends = _settle_all(SLAGELSE, 250)
    assert {"earned", "pending", "not_immediate", "too_short"} <= bonuses
    assert {"stopped", "max_duration", "aftercare_completed", "ongoing"} <= ends


def test_koebenhavn_scenarios_settle() -> None:
    _bonuses, ends = _settle_all(KOEBENHAVN, 120)
    assert {"stopped", "max_duration", "ongoing"} <= ends


def test_scenarios_put_outcomes_on_the_days_around_the_course_end() -> None:
    """The bonus needs 4 months from the day after the course: the scenarios try exactly
    that, a day less (3 months and 30 days) and a one-day gap after the course."""
    seen: set[str] = set()
    draw: Callable[[], Any] = sampler(scenario_gen(SLAGELSE), random.Random(5).random)
    for _ in range(3000):
        scenario = draw()
        result = SLAGELSE.settle(scenario.referral, scenario.outcomes, until=scenario.until)
        for bonus in result.bonuses:
            if bonus.status == "too_short" and bonus.window is not None and \
                    bonus.broke_on == bonus.window.end:
                seen.add("one day short")
            if bonus.status == "not_immediate" and result.end.course_end is not None and \
                    bonus.started_on == result.end.course_end + timedelta(days=2):
                seen.add("one-day gap")
            if bonus.status == "earned" and bonus.covered is not None:
                seen.add("earned")
    assert seen == {"one day short", "one-day gap", "earned"}
