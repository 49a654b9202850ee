"""Lists written out whose items differ per citizen run columnar (`primary in
[secondary, kontanthjaelp]`, `covers([stay, period(since, since + 30 days)], today)`,
loops over `[age, limit, 1.25]`): each row's items, in order, as a list per row. Every
row agrees with per-record ``decide``. Before, such a policy was decided per record as a
whole."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.columnar.equivalence import decide_columnar  # noqa: E402
from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import support  # noqa: E402

POLICY = Path(__file__).resolve().parent / "data" / "written-lists"
ON = date(2024, 6, 1)
DAY = timedelta(days=1)
VALUES = ("age_listed", "on_cash", "flagged", "dated", "covered", "total", "same_stay",
          "early_spells", "latest_start", "kinds", "in_set", "stays", "labelled",
          "long_one", "short_one", "fixed_first")
KINDS = ["kontanthjaelp", "sygedagpenge", "ledighedsydelse"]


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(POLICY)


def _decide(policy: Any, rows: list[dict[str, Any]]) -> Any:
    return decide_columnar(policy, rows, ON, VALUES)


def test_the_policy_runs_columnar(policy: Any) -> None:
    assert support(policy) is None


def test_items_of_every_kind(policy: Any) -> None:
    rows = []
    for age, limit in ((40, Decimal("40.0")), (20, Decimal("12.5")), (30, Decimal(30)),
                       (55, Decimal("0.01"))):
        for primary, secondary in (("kontanthjaelp", "sygedagpenge"),
                                   ("sygedagpenge", "sygedagpenge"),
                                   ("ledighedsydelse", "kontanthjaelp")):
            for since, stay in ((ON, {"from": ON - 40 * DAY, "to": None}),
                                (ON - 30 * DAY, {"from": ON - 30 * DAY, "to": ON}),
                                (ON - 90 * DAY, {"from": ON - 200 * DAY, "to": ON - 100 * DAY}),
                                (ON - 60 * DAY, {"from": ON, "to": ON})):
                rows.append({"age": age, "limit": limit, "primary": primary,
                             "secondary": secondary, "flag": age == 20, "since": since,
                             "stay": stay, "name": ["Anna", "Bo", "Cy"][len(rows) % 3]})
    result = _decide(policy, rows)
    assert result.errors.num_rows == 0
    eligible = result.decisions.column("eligible").to_pylist()
    assert 0 < sum(eligible) < len(rows)
    for name in ("age_listed", "on_cash", "dated", "covered", "same_stay", "early_spells",
                 "latest_start", "kinds", "in_set", "stays", "labelled",
          "long_one", "short_one", "fixed_first"):
        assert len(set(result.decisions.column(name).to_pylist())) >= 2, name


_DAYS = st.integers(-200, 60).map(lambda k: ON + k * DAY)


@st.composite
def _row(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(_DAYS)
    end = draw(st.none() | st.integers(0, 90).map(lambda k: start + k * DAY))
    return {"age": draw(st.integers(0, 80)),
            "limit": draw(st.decimals(-100, 100, places=2)),
            "primary": draw(st.sampled_from(KINDS)),
            "secondary": draw(st.sampled_from(KINDS)), "flag": draw(st.booleans()),
            "since": draw(_DAYS), "stay": {"from": start, "to": end},
            "name": draw(st.sampled_from(["Anna", "Bo", "", "y-Bo"]))}


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(_row(), min_size=1, max_size=30))
def test_generated_rows_agree(policy: Any, rows: list[dict[str, Any]]) -> None:
    _decide(policy, rows)


def test_a_sum_of_lengths_is_their_days(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("""\
policy:
  id: sum-of-lengths
  title: Sum of lengths
  authority: Tests
  valid: {from: 2024-01-01, to: 2030-12-31}
  language: en
facts:
  since: date
rules:
  total: >
    sum(x for x in [length(period(since, since + 9 days)),
                    length(period(since, since + 19 days))] else 0 days)
  thirty: total == 30 days
target_groups:
  thirty_days:
    title: Thirty days
    criteria:
      all:
        - {id: is_thirty, title: Thirty, when: thirty}
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    rows = [{"since": ON}, {"since": ON - 400 * DAY}]
    result = decide_columnar(policy, rows, ON, ["thirty"])
    assert result.per_record == 0
    assert result.decisions.column("thirty").to_pylist() == [True, True]
