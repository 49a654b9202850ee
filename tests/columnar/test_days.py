"""The days between two dates run columnar: ``today - since`` and ``c.end - c.start`` are
columns of day counts (``Days``), and what a policy does with them (sums, ``min``/``max``
and ``latest`` over a list, if/else, a date moved by them, negation, a whole multiple,
comparisons with fixed durations and with a length) agrees with per-record ``decide`` on
every row, with no row decided per record. Before, such a policy was decided per record
as a whole."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.columnar.equivalence import decide_columnar  # noqa: E402
from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import support  # noqa: E402

POLICY = Path(__file__).resolve().parent / "data" / "days"
ON = date(2024, 6, 1)
#: The rules whose values a column holds (dates), compared with the interpreter's.
DATES = ("due", "back", "listed_wait")


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(POLICY)


def _decide(policy: Any, rows: list[dict[str, Any]]) -> Any:
    return decide_columnar(policy, rows, ON, DATES)


def test_the_policy_runs_columnar(policy: Any) -> None:
    assert support(policy) is None


def test_boundary_rows(policy: Any) -> None:
    """Zero, one and 30/31 days, dates before and after the decision date, an empty list
    and a course that ends before it starts, the calendar's first and last years."""
    day = timedelta(days=1)
    rows = []
    for since in (ON, ON - 30 * day, ON - 31 * day, ON + day, date(1850, 1, 1),
                  date(2200, 12, 31), ON - 366 * day, ON - 1001 * day):
        for courses in ([], [{"start": ON, "end": ON}],
                        [{"start": ON, "end": ON - 3 * day},
                         {"start": ON - 200 * day, "end": ON - 101 * day}]):
            for benefits in ([], [{"kind": "kontanthjaelp", "from": since, "to": None}],
                             [{"kind": "sygedagpenge", "from": ON - 400 * day,
                               "to": ON - 10 * day}]):
                rows.append({"age": 31, "since": since, "courses": courses,
                             "benefits": benefits})
    result = _decide(policy, rows)
    assert result.per_record == 0 and result.errors.num_rows == 0
    eligible = result.decisions.column("eligible").to_pylist()
    assert 0 < sum(eligible) < len(rows)  # both outcomes are reached


_DAY = st.integers(-900, 500).map(lambda k: ON + timedelta(days=k))


@st.composite
def _course(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(_DAY)
    return {"start": start, "end": start + timedelta(days=draw(st.integers(-5, 120)))}


@st.composite
def _benefit(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(_DAY)
    end = draw(st.none() | st.integers(0, 400).map(lambda k: start + timedelta(days=k)))
    return {"kind": draw(st.sampled_from(["kontanthjaelp", "sygedagpenge"])),
            "from": start, "to": end}


_ROW = st.fixed_dictionaries({
    "age": st.integers(18, 60), "since": _DAY,
    "courses": st.lists(_course(), max_size=4),
    "benefits": st.lists(_benefit(), max_size=3)})


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(_ROW, min_size=1, max_size=40))
def test_generated_rows_agree(policy: Any, rows: list[dict[str, Any]]) -> None:
    result = _decide(policy, rows)
    assert result.per_record == 0


def test_an_open_end_and_the_calendars_last_day_are_not_one_period(tmp_path: Path) -> None:
    """`period(b.from, b.to)` of an open record ends on the calendar's last day (`to` reads
    an open end as that day), `b.period` does not end: per record they differ, though a
    column holds both ends as one day number. Rows with that day number on both sides
    are decided per record; a closed record's two periods are equal, columnar."""
    (tmp_path / "policy.yaml").write_text("""\
policy:
  id: open-ends
  title: Open ends
  authority: Tests
  valid: {from: 2024-01-01, to: 2030-12-31}
  language: en
facts:
  benefits:
    type: history
    fields: {}
rules:
  same: any(b in benefits where period(b.from, b.to) == b.period)
target_groups:
  matching:
    title: Matching
    criteria:
      all:
        - {id: same_period, title: Same period, when: same}
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    rows = [{"benefits": [{"from": date(2024, 1, 1), "to": date(2024, 3, 1)}]},
            {"benefits": [{"from": date(2024, 1, 1), "to": None}]}, {"benefits": []}]
    result = decide_columnar(policy, rows, ON, ["same"])
    assert result.decisions.column("same").to_pylist() == [True, False, False]
    assert result.per_record == 1


def test_lengths_and_periods_picked_by_if_else_and_latest(tmp_path: Path) -> None:
    """if/else of two lengths and of two periods per citizen, and the latest period of a
    history, compared exactly (a wrong start or end of either changes the answer)."""
    (tmp_path / "policy.yaml").write_text("""\
policy:
  id: picked-periods
  title: Picked periods
  authority: Tests
  valid: {from: 2024-01-01, to: 2030-12-31}
  language: en
facts:
  age: int
  since: date
  benefits:
    type: history
    fields: {}
rules:
  short: since + 9 days
  span: "if age > 30 then length(period(since, short)) else length(period(short, since + 28 days))"
  ten_days: span == 10 days
  twenty_days: span == 20 days
  chosen: "if age > 30 then period(since, short) else period(short, since + 28 days)"
  first_ten: chosen == period(since, since + 9 days)
  last: latest(b.period for b in benefits else period(today, today))
  last_is_february: last == period(2024-02-01, 2024-02-10)
target_groups:
  picked:
    title: Picked
    criteria:
      all:
        - {id: ten, title: Ten, when: ten_days or twenty_days}
        - {id: first, title: First, when: first_ten or age <= 30}
        - {id: february, title: February, when: last_is_february or age < 40}
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    values = ["ten_days", "twenty_days", "first_ten", "last_is_february"]
    february = [{"from": date(2024, 1, 1), "to": date(2024, 1, 5)},
                {"from": date(2024, 2, 1), "to": date(2024, 2, 10)}]
    rows = [{"age": age, "since": date(2024, 3, 1), "benefits": benefits}
            for age in (25, 35, 45) for benefits in ([], february)]
    result = decide_columnar(policy, rows, ON, values)
    assert result.per_record == 0
    got = {name: result.decisions.column(name).to_pylist() for name in values}
    assert got == {"ten_days": [False, False, True, True, True, True],
                   "twenty_days": [True, True, False, False, False, False],
                   "first_ten": [False, False, True, True, True, True],
                   "last_is_february": [False, True] * 3}
