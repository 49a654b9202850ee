"""Quantifiers inside the body of another quantifier run columnar: a citizen's list read
for each element of another list (``covers(benefits, o.from)`` for each offer) is that
list per element, and a loop in a loop body runs one level further down. Every row
agrees with per-record ``decide``; a row whose period per pair ends before it starts is
that citizen's error alone; a row with more pairs than ``PAIRS_PER_ROW`` is decided per
record. Before, such a policy was decided per record as a whole."""

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
from udbudsregler.columnar.evaluate import PAIRS_PER_ROW  # noqa: E402

POLICY = Path(__file__).resolve().parent / "data" / "nested"
ON = date(2024, 6, 1)
DAY = timedelta(days=1)
#: The rules whose values a column holds, compared with the interpreter's.
VALUES = ("offer_on_benefit", "offers_in_spells", "hours_after_courses", "deep", "paired",
          "latest_benefit_start", "covered_weeks", "chosen_on_benefit", "last_kind")


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(POLICY)


def _decide(policy: Any, rows: list[dict[str, Any]]) -> Any:
    return decide_columnar(policy, rows, ON, VALUES)


def _offer(start: date, days: int | None, hours: int = 10) -> dict[str, Any]:
    return {"from": start, "to": None if days is None else start + days * DAY,
            "hours": hours}


def _benefit(start: date, days: int | None, kind: str = "kontanthjaelp") -> dict[str, Any]:
    return {"kind": kind, "from": start, "to": None if days is None else start + days * DAY}


def test_the_policy_runs_columnar(policy: Any) -> None:
    assert support(policy) is None


def test_lists_of_every_size_and_order(policy: Any) -> None:
    """Empty lists on either side, one element, several, and rows between rows with
    none (the pairs of each element come from its own row only)."""
    offers = [[], [_offer(ON - 60 * DAY, 30)],
              [_offer(ON - 200 * DAY, None, 60), _offer(ON - 20 * DAY, 5, 50)]]
    benefits = [[], [_benefit(ON - 100 * DAY, None)],
                [_benefit(ON - 300 * DAY, 150, "sygedagpenge"),
                 _benefit(ON - 90 * DAY, 80)]]
    courses = [[], [{"start": ON - 10 * DAY, "end": ON + 20 * DAY}],
               [{"start": ON - 250 * DAY, "end": ON - 230 * DAY},
                {"start": ON - 70 * DAY, "end": ON - 50 * DAY}]]
    rows = [{"age": age, "offers": o, "benefits": b, "courses": c}
            for o in offers for b in benefits for c in courses for age in (25, 40)]
    result = _decide(policy, rows)
    assert result.per_record == 0 and result.errors.num_rows == 0
    eligible = result.decisions.column("eligible").to_pylist()
    assert 0 < sum(eligible) < len(rows)  # both outcomes are reached
    assert any(result.decisions.column("deep").to_pylist())


def test_a_period_per_pair_that_ends_before_it_starts_is_that_citizens_error(
        policy: Any) -> None:
    """`period(c.start, c.end)` two loops down: the flag reaches the citizen's row (an
    error there, as `decide` gives it), the rows around are decided columnar."""
    good = {"age": 40, "offers": [_offer(ON - 30 * DAY, 10)],
            "benefits": [_benefit(ON - 60 * DAY, None)],
            "courses": [{"start": ON - 40 * DAY, "end": ON - 20 * DAY}]}
    bad = {**good, "courses": [{"start": ON - 20 * DAY, "end": ON - 40 * DAY}]}
    result = _decide(policy, [good, bad, good])
    assert result.per_record == 1
    assert {e["row"] for e in result.errors.to_pylist()} == {1}


def test_a_row_with_too_many_pairs_is_decided_per_record(policy: Any) -> None:
    side = int(PAIRS_PER_ROW ** 0.5) + 1  # elements x records > PAIRS_PER_ROW
    many = {"age": 40, "offers": [_offer(ON - (k + 1) * DAY, 0) for k in range(side)],
            "benefits": [_benefit(ON - 2 * (k + 1) * DAY, 0) for k in range(side)],
            "courses": []}
    few = {**many, "offers": many["offers"][:3]}
    result = _decide(policy, [few, many, few])
    assert result.per_record == 1 and result.errors.num_rows == 0


_DAYS = st.integers(-400, 100).map(lambda k: ON + k * DAY)


@st.composite
def _offers(draw: st.DrawFn) -> dict[str, Any]:
    return _offer(draw(_DAYS), draw(st.none() | st.integers(0, 120)),
                  draw(st.integers(0, 40)))


@st.composite
def _benefits(draw: st.DrawFn) -> dict[str, Any]:
    return _benefit(draw(_DAYS), draw(st.none() | st.integers(0, 200)),
                    draw(st.sampled_from(["kontanthjaelp", "sygedagpenge"])))


@st.composite
def _courses(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(_DAYS)
    return {"start": start, "end": start + draw(st.integers(-3, 60)) * DAY}


_ROW = st.fixed_dictionaries({
    "age": st.integers(18, 60), "offers": st.lists(_offers(), max_size=4),
    "benefits": st.lists(_benefits(), max_size=4), "courses": st.lists(_courses(), max_size=3)})


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(_ROW, min_size=1, max_size=30))
def test_generated_rows_agree(policy: Any, rows: list[dict[str, Any]]) -> None:
    _decide(policy, rows)
