"""Loops over a list that is the same for every citizen (a parameter, a literal) with a
body that reads the citizen run columnar: the list's elements for every row, in the
order the per-record evaluators take them (``all(d in measuring_dates where
covers(benefits, d))``, ``count(t in thresholds where age >= t)``, ``select`` of such a
list looped over again). Every row agrees with per-record ``decide``; a duration times a
whole number beyond 2**62 days is decided per record. Before, such a policy was decided
per record as a whole."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.columnar.equivalence import assert_agree, decide_columnar  # noqa: E402
from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import support  # noqa: E402

POLICY = Path(__file__).resolve().parent / "data" / "constant-lists"
ON = date(2024, 8, 1)
DAY = timedelta(days=1)
VALUES = ("covered_on_every_date", "dates_covered", "thresholds_passed", "threshold_sum",
          "age_listed", "first_date_covered", "kept", "late_dates")


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(POLICY)


def _decide(policy: Any, rows: list[dict[str, Any]]) -> Any:
    return decide_columnar(policy, rows, ON, VALUES)


def _benefit(start: date, end: date | None) -> dict[str, Any]:
    return {"from": start, "to": end, "level": Decimal("1.5")}


def test_the_policy_runs_columnar(policy: Any) -> None:
    assert support(policy) is None


def test_every_measuring_date_and_threshold(policy: Any) -> None:
    spells = [[], [_benefit(date(2023, 12, 1), None)],
              [_benefit(date(2023, 12, 1), date(2024, 1, 1)),
               _benefit(date(2024, 3, 1), date(2024, 4, 1))],
              [_benefit(date(2024, 1, 2), date(2024, 6, 30))],
              [_benefit(date(2024, 6, 1), None)]]
    rows = [{"age": age, "benefits": b} for b in spells
            for age in (0, 17, 18, 20, 25, 29, 30, 40, 120)]
    result = _decide(policy, rows)
    assert result.per_record == 0 and result.errors.num_rows == 0
    eligible = result.decisions.column("eligible").to_pylist()
    assert 0 < sum(eligible) < len(rows)
    assert set(result.decisions.column("dates_covered").to_pylist()) == {0, 1, 2, 3}


def test_a_duration_times_a_count_beyond_2_62_days_is_decided_per_record(
        tmp_path: Path) -> None:
    """`age * 1 weeks` for an age a column holds but whose weeks are beyond 2**62 days:
    that row is decided per record (where Python's integers compare it exactly), the
    others columnar."""
    (tmp_path / "policy.yaml").write_text("""\
policy:
  id: long-wait
  title: Long wait
  authority: Tests
  valid: {from: 2024-01-01, to: 2030-12-31}
  language: en
facts:
  age: int
rules:
  long_wait: age * 1 weeks > 100 weeks
target_groups:
  waiting:
    title: Waiting
    criteria:
      all:
        - {id: long, title: Long, when: long_wait}
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    rows = [{"age": 30}, {"age": 7 * 10**17}, {"age": 101}]
    result = decide_columnar(policy, rows, ON, ["long_wait"])
    assert result.per_record == 1
    assert result.decisions.column("long_wait").to_pylist() == [False, True, True]


_DAYS = st.integers(-300, 60).map(lambda k: ON + k * DAY)


@st.composite
def _spell(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(_DAYS)
    return _benefit(start, draw(st.none() | st.integers(0, 200).map(
        lambda k: start + k * DAY)))


_ROW = st.fixed_dictionaries({"age": st.integers(0, 130),
                              "benefits": st.lists(_spell(), max_size=4)})


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(_ROW, min_size=1, max_size=30))
def test_generated_rows_agree(policy: Any, rows: list[dict[str, Any]]) -> None:
    result = _decide(policy, rows)
    assert result.per_record == 0


def test_bodies_the_same_for_every_element_and_sums_near_2_62_days(tmp_path: Path) -> None:
    """A loop body whose value is the same for every element (`sum(2 for j in jobs
    where ...)`) is that value per element; a sum of day counts that passes 2**62 (three
    of 4.2 * 10**18 days) and a fixed factor beyond 64 bits are decided per record."""
    (tmp_path / "policy.yaml").write_text("""\
policy:
  id: bodies
  title: Bodies
  authority: Tests
  valid: {from: 2024-01-01, to: 2030-12-31}
  language: en
facts:
  jobs:
    type: list
    fields:
      n: int
rules:
  twos: sum(2 for j in jobs where j.n > 3 else 0)
  first_day: min(today for j in jobs where j.n > 3 else 2099-01-01)
  long: sum(j.n * 1 weeks for j in jobs else 0 days) > 1 days
target_groups:
  bodies:
    title: Bodies
    criteria:
      all:
        - {id: some, title: Some, when: twos >= 2 or first_day > today}
        - {id: long_ok, title: Long, when: long or twos == 0}
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    values = ["twos", "first_day", "long"]
    # the third row is not eligible: the fourth, if its sum wrapped around, would not be
    # either, and the check of one decision per outcome would not see it
    rows = [{"jobs": []}, {"jobs": [{"n": 4}, {"n": 2}, {"n": 9}]},
            {"jobs": [{"n": -10}, {"n": 4}]}, {"jobs": [{"n": 6 * 10**17}] * 3},
            {"jobs": [{"n": 1}]}]
    result = decide_columnar(policy, rows, ON, values)
    assert result.per_record == 1  # the sum near 2**62 days
    got = {name: result.decisions.column(name).to_pylist() for name in values}
    assert got == {"twos": [0, 4, 2, 6, 0],
                   "first_day": [date(2099, 1, 1), ON, ON, ON, date(2099, 1, 1)],
                   "long": [False, True, False, True, True]}
    assert result.decisions.column("eligible").to_pylist() == [True, True, False, True,
                                                                True]
    # a fixed factor, or a fixed duration, beyond 64 bits: every row per record
    for k, beyond in enumerate(("j.n * 1 weeks * 123456789012345678901",
                                "(j.n * 1 weeks + 3652425 days * 123456789012345678901)")):
        huge = tmp_path / f"huge-{k}"
        huge.mkdir()
        (huge / "policy.yaml").write_text((tmp_path / "policy.yaml").read_text(
            encoding="utf-8").replace("j.n * 1 weeks", beyond), encoding="utf-8")
        policy = load_policy(huge)
        result = policy.decide_table(rows, ON, values=values)
        assert_agree(policy, rows, ON, result, values=tuple(values))
        assert result.per_record == len(rows), beyond


def test_a_period_among_fixed_periods(tmp_path: Path) -> None:
    """`stay in [period(...), ...]`: a period fact equals one of fixed periods when its
    start and its end are theirs (an open end is none of them)."""
    (tmp_path / "policy.yaml").write_text("""\
policy:
  id: periods-listed
  title: Periods listed
  authority: Tests
  valid: {from: 2024-01-01, to: 2030-12-31}
  language: en
facts:
  stay: period
parameters:
  cutoff: 2024-06-30
rules:
  listed: "stay in [period(start=2024-01-02, end=cutoff), period(2024-03-01, 2024-03-01)]"
  not_listed: "stay not in [period(start=2024-01-02, end=cutoff)]"
target_groups:
  stays:
    title: Stays
    criteria:
      any:
        - {id: in_list, title: In the list, when: listed}
        - {id: not_in_list, title: Not in the list, when: not not_listed}
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    values = ["listed", "not_listed"]
    start, cutoff = date(2024, 1, 2), date(2024, 6, 30)
    rows = [{"stay": {"from": start, "to": cutoff}}, {"stay": {"from": start, "to": None}},
            {"stay": {"from": date(2024, 3, 1), "to": date(2024, 3, 1)}},
            {"stay": {"from": start, "to": date(2024, 6, 29)}},
            {"stay": {"from": date(2024, 1, 3), "to": cutoff}},
            {"stay": {"from": date(2024, 3, 1), "to": None}}]
    result = decide_columnar(policy, rows, ON, values)
    assert result.per_record == 0
    got = {name: result.decisions.column(name).to_pylist() for name in values}
    assert got == {"listed": [True, False, True, False, False, False],
                   "not_listed": [False, True, True, True, True, True]}


def test_a_loop_over_a_list_with_no_elements(tmp_path: Path) -> None:
    """A constant list that turns out to have no elements (`select(d in [...] where
    false)` folds to `[]`) looped over by a body that reads the citizen: its loop
    variable is an empty column of the list's type (dates, periods, amounts, durations,
    choices), so the policy runs columnar. Before, it was a column of bools, and the
    policy was decided per record ("a Bools where a date is meant")."""
    (tmp_path / "policy.yaml").write_text("""\
policy:
  id: empty-lists
  title: Empty lists
  authority: Tests
  valid: {from: 2024-01-01, to: 2030-12-31}
  language: en
  month_end: clamp
  rounding: {unit: 0.01, mode: half_up}
facts:
  stay: period
  income: money
  visitation: {type: enum, values: [aktivitetsparat, jobparat]}
parameters:
  cutoff: 2024-06-30
rules:
  dates: "count(d in select(d in [2024-01-31, cutoff] where false) where covers(stay, d))"
  periods: "any(p in select(p in [period(cutoff, cutoff)] where false) where covers(p, cutoff))"
  amounts: "all(a in select(a in [1 DKK] where false) where a > income)"
  months: "count(m in select(m in [1 month] where false) where stay.from + m > cutoff)"
  days: "count(k in select(k in [1 day] where false) where stay.from + k > cutoff)"
  choices: "any(c in select(c in [visitation] where false) where c == jobparat)"
target_groups:
  g:
    title: G
    criteria:
      all:
        - {id: none, title: None, when: "dates + months + days == 0 and not periods"}
        - {id: every, title: Every, when: "amounts and not choices"}
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    assert support(policy) is None
    values = ["dates", "periods", "amounts", "months", "days", "choices"]
    rows = [{"stay": {"from": date(2024, 1, 1), "to": None}, "income": Decimal("5"),
             "visitation": "jobparat"},
            {"stay": {"from": date(2024, 6, 30), "to": date(2024, 6, 30)},
             "income": Decimal("0"), "visitation": "aktivitetsparat"}]
    result = decide_columnar(policy, rows, ON, values)
    assert result.per_record == 0
    assert_agree(policy, rows, ON, result, values=tuple(values))
    assert result.decisions.column("eligible").to_pylist() == [True, True]
