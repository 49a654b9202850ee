"""A duration fact per citizen (`4 months`, `2 weeks`) runs columnar: read from its text
as `decide` reads it, a date moved by it (months by the month-end rule, then days), a
length compared with it (anchored at the length's start), added to itself, negated,
times a whole number, picked by if/else and `latest`. Every row agrees with per-record
``decide``; a text the columnar reading does not take (more digits) is read per record.
Before, such a policy was decided per record as a whole."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.columnar.equivalence import decide_columnar, periods  # noqa: E402
from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import fact_schema, support  # noqa: E402

POLICY = Path(__file__).resolve().parent / "data" / "durations"
ON = date(2024, 6, 1)
DAY = timedelta(days=1)
VALUES = ("ends", "began", "spell_covers_notice", "spell_covers_double", "picked_ends",
          "back_again", "triple_ends", "age_times", "latest_ends", "years_ends",
          "many_ok")
NOTICES = ["0 days", "3 days", "2 weeks", "1 week", "1 month", "5 months", "1 year",
           "2 years", "12 months", " 4  weeks "]


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(POLICY)


def test_the_policy_runs_columnar(policy: Any) -> None:
    assert support(policy) is None


def test_every_unit_and_month_ends(policy: Any) -> None:
    """Each unit; 31 January plus a month (the month-end rule); a spell that covers the
    notice exactly and one day short."""
    rows = []
    for notice in NOTICES:
        for since in (date(2024, 1, 31), date(2024, 2, 29), ON - 45 * DAY, ON):
            for benefits in ([], [{"from": since - 31 * DAY, "to": None}],
                             [{"from": date(2023, 12, 31), "to": date(2024, 1, 30)}]):
                rows.append({"age": 31 + len(rows) % 2, "since": since, "notice": notice,
                             "benefits": benefits})
    result = decide_columnar(policy, rows, ON, VALUES)
    assert result.per_record == 0 and result.errors.num_rows == 0
    assert 0 < sum(result.decisions.column("eligible").to_pylist()) < len(rows)
    # the same rows as an Arrow table with the duration as text
    table = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph))
    assert policy.decide_table(table, ON, values=list(VALUES)).decisions.equals(
        result.decisions)


def test_a_text_the_columnar_reading_does_not_take_is_read_per_record(policy: Any) -> None:
    rows = [{"age": 40, "since": ON, "notice": "1000 days", "benefits": []},
            {"age": 40, "since": ON, "notice": "2 weeks", "benefits": []},
            {"age": 40, "since": ON, "notice": "2 fortnights", "benefits": []}]
    result = decide_columnar(policy, rows, ON, VALUES)
    assert result.per_record == 2
    assert [e["row"] for e in result.errors.to_pylist()] == [2]  # not a duration (UDB602)


_ROW = st.fixed_dictionaries({
    "age": st.integers(18, 60),
    "since": st.integers(-400, 100).map(lambda k: ON + k * DAY),
    "notice": st.sampled_from(NOTICES),
    "benefits": st.lists(periods(ON, -700, 0, 400), max_size=3)})


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(_ROW, min_size=1, max_size=30))
def test_generated_rows_agree(policy: Any, rows: list[dict[str, Any]]) -> None:
    result = decide_columnar(policy, rows, ON, VALUES)
    assert result.per_record == 0


def test_a_duration_times_a_count_beyond_64_bits_is_decided_per_record(policy: Any) -> None:
    """24 months times 768614336404564651 (a whole number under the input limit of
    10**18) is 2**64 + 8 months: in 64 bits it would wrap around to 8 months, a date
    inside the calendar; per record it is beyond it (an error of that row)."""
    assert 24 * 768614336404564651 == 2**64 + 8
    rows = [{"age": 40, "since": ON, "notice": "2 years", "benefits": []},
            {"age": 768614336404564651, "since": ON, "notice": "2 years", "benefits": []}]
    result = decide_columnar(policy, rows, ON, VALUES)
    assert result.per_record == 1
    assert {e["row"] for e in result.errors.to_pylist()} == {1}


def test_a_duration_near_64_bits_moves_no_date(policy: Any) -> None:
    """24 months times 192153584101141162 is just under 2**62 months: a date moved by it
    is beyond the calendar, and a length compared with it is shorter: per record, as
    `decide` answers (an error of that row)."""
    rows = [{"age": 192153584101141162, "since": ON, "notice": "2 years",
             "benefits": [{"from": ON - 10 * DAY, "to": None}]},
            {"age": 40, "since": ON, "notice": "2 years", "benefits": []}]
    result = decide_columnar(policy, rows, ON, VALUES)
    assert result.per_record == 1


def test_a_sum_of_durations_beyond_64_bits_is_decided_per_record(policy: Any) -> None:
    """`sum(age * 1 month for b in benefits ...)` over 20 records of 922337203685477581
    months each (under the input limit of 10**18, and each under 2**62) is 2**64 + 4
    months: in 64 bits the sum would wrap around to 4 months, a date inside the
    calendar; per record it is beyond it (an error of that row). A sum of calendar
    durations adds months and days apart, as `Duration.__add__` does; before, it was
    not columnar at all (the policy was decided per record)."""
    age = 922337203685477581
    assert 20 * age == 2**64 + 4 and age < 2**62
    benefits = [{"from": ON - (40 * k + 30) * DAY, "to": ON - 40 * k * DAY}
                for k in range(20)]
    rows = [{"age": age, "since": ON, "notice": "0 days", "benefits": benefits},
            {"age": 40, "since": ON, "notice": "0 days", "benefits": benefits},
            {"age": 40, "since": ON, "notice": "1 month", "benefits": []}]
    result = decide_columnar(policy, rows, ON, VALUES)
    assert result.per_record == 1
    assert {e["row"] for e in result.errors.to_pylist()} == {0}
