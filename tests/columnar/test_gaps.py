"""A length that differs per citizen where a window or a gap is meant runs columnar:
`preceding(today, notice)` and `following(since, notice)` of a duration fact (months by
the month-end rule, then days), a window of the days since a date, spells bridged by
each citizen's own gap (`spells(benefits, gap=notice)`), and spells looked in
(`stay in spells(benefits)`) and written into a list (`[p, stay]`) like any other
periods. A length that is not positive, or that reaches beyond the calendar, fails per
record and is decided so. Every row agrees with per-record ``decide``. Before, such a
policy was decided per record as a whole."""

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
from udbudsregler.columnar import support  # noqa: E402

POLICY = Path(__file__).resolve().parent / "data" / "gaps"
ON = date(2024, 6, 1)
DAY = timedelta(days=1)
VALUES = ("window_from", "following_to", "in_notice", "days_from", "times_from",
          "spell_count", "far_spells", "long_spell", "stay_is_spell", "written_count")
#: A value that fails for most citizens (a length below zero): asked for alone, as a row
#: that has a failing value is decided per record.
ODD = (*VALUES, "odd_from")
NOTICES = ["1 day", "3 days", "2 weeks", "1 month", "3 months", "1 year", "12 months",
           "40 days"]


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(POLICY)


def _row(notice: str, since: date = ON - 10 * DAY, age: int = 30,
         benefits: list[dict[str, Any]] | None = None,
         stay: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"age": age, "since": since, "notice": notice, "benefits": benefits or [],
            "stay": stay or {"from": ON - 5 * DAY, "to": ON + 5 * DAY}}


def test_the_policy_runs_columnar(policy: Any) -> None:
    assert support(policy) is None


def test_windows_of_each_citizens_notice(policy: Any) -> None:
    """The notice before today and from `since`: 31 May back one month is 1 May on;
    from 31 January one month is 31 January to 28 February (clamped, minus a day)."""
    rows = [_row(n, since=since) for n in NOTICES
            for since in (date(2024, 1, 31), ON - 10 * DAY)]
    result = decide_columnar(policy, rows, ON, VALUES)
    assert result.per_record == 0 and result.errors.num_rows == 0
    got = {(r["notice"], r["since"]): d for r, d in
           zip(rows, result.decisions.to_pylist(), strict=True)}
    assert got["1 month", date(2024, 1, 31)]["window_from"] == date(2024, 5, 2)
    assert got["1 month", date(2024, 1, 31)]["following_to"] == date(2024, 2, 28)
    assert got["2 weeks", date(2024, 1, 31)]["window_from"] == ON - 13 * DAY
    assert got["1 year", date(2024, 1, 31)]["following_to"] == date(2025, 1, 30)
    assert got["3 days", ON - 10 * DAY]["days_from"] == ON - 10 * DAY + DAY


def test_a_window_that_is_not_positive_or_beyond_the_calendar_is_per_record(
        policy: Any) -> None:
    """No days (`0 days`; `since` after today: a window of minus days), or a notice
    times an age beyond year 1: that row per record, with `decide`'s error where a
    decision needs the window."""
    rows = [_row("0 days"), _row("2 weeks", since=ON + 3 * DAY), _row("3 days"),
            _row("100 years", age=30), _row("1 month", age=10**6),
            # 1.2 * 10**18 months: within 64 bits, its days are not
            _row("12 months", age=10**17)]
    result = decide_columnar(policy, rows, ON, VALUES)
    assert result.per_record == 5  # every row but the third
    assert 2 not in {e["row"] for e in result.errors.to_pylist()}


def test_a_length_of_minus_a_month_and_some_days_is_no_window(policy: Any) -> None:
    """`notice - 1 month` for 40 days is minus a month and 40 days: its window would
    have days, but a length with months below zero is not positive (`decide` fails):
    that value is null with `decide`'s error, the row decided."""
    rows = [_row("40 days"), _row("3 months")]
    result = decide_columnar(policy, rows, ON, ODD)
    assert result.decisions.column("odd_from").to_pylist() == [None, date(2024, 4, 2)]
    assert [(e["row"], e["path"]) for e in result.errors.to_pylist()] == [(0, "odd_from")]


def test_a_gap_reaching_before_the_calendar_bridges_everything(policy: Any) -> None:
    """A gap of `notice - 3000 years` reaches before year 1 from any spell's end:
    `decide`'s date arithmetic fails there and takes the calendar's end, so every later
    period joins the spell."""
    benefits = [{"from": ON - 60 * DAY, "to": ON - 41 * DAY},
                {"from": ON - 30 * DAY, "to": None}]
    rows = [_row("1 day", benefits=benefits), _row("1 day", benefits=benefits[:1]),
            _row("1 day")]
    result = decide_columnar(policy, rows, ON, VALUES)
    assert result.per_record == 0
    assert result.decisions.column("far_spells").to_pylist() == [1, 1, 0]


def test_spells_bridged_by_each_citizens_gap(policy: Any) -> None:
    """Two benefits 10 days apart: one spell for a notice of 2 weeks or more, two for
    3 days; one spell of the whole for a month."""
    benefits = [{"from": ON - 60 * DAY, "to": ON - 41 * DAY},
                {"from": ON - 30 * DAY, "to": None}]
    rows = [_row(n, benefits=benefits) for n in ("3 days", "1 day", "2 weeks", "1 month")]
    result = decide_columnar(policy, rows, ON, VALUES)
    assert result.per_record == 0
    assert result.decisions.column("spell_count").to_pylist() == [2, 2, 1, 1]
    assert result.decisions.column("long_spell").to_pylist() == [True, True, True, True]


def test_a_stay_among_spells(policy: Any) -> None:
    stay = {"from": ON - 30 * DAY, "to": ON + 5 * DAY}
    rows = [_row("1 day", stay=stay, benefits=[{"from": ON - 30 * DAY, "to": ON - 11 * DAY},
                                               {"from": ON - 10 * DAY, "to": ON + 5 * DAY}]),
            _row("1 day", stay=stay, benefits=[{"from": ON - 30 * DAY, "to": ON}]),
            _row("1 day", stay=stay)]
    result = decide_columnar(policy, rows, ON, VALUES)
    assert result.per_record == 0
    assert result.decisions.column("stay_is_spell").to_pylist() == [True, False, False]
    assert result.decisions.column("written_count").to_pylist() == [1, 1, 0]


_ROW = st.fixed_dictionaries({
    "age": st.integers(0, 120),
    "since": st.integers(-400, 30).map(lambda k: ON + k * DAY),
    "notice": st.sampled_from([*NOTICES, "0 days", "5 years"]),
    "stay": periods(ON, -60, 0, 90),
    "benefits": st.lists(periods(ON, -700, 0, 400), max_size=4)})


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_ROW, min_size=1, max_size=30))
def test_generated_rows_agree(policy: Any, rows: list[dict[str, Any]]) -> None:
    decide_columnar(policy, rows, ON, ODD)


@pytest.mark.parametrize("rule", [
    "(if flag then since else 2037-05-13) + 14 * 2 years * (123456789012345678901234567890 * 7)",
    "since - 3 months * 10000000000000000",
    "if spell_length(benefits) < 2 years * 1000000000000000 then since else today",
    "if covers(benefits, since) then since + 30 days * 1000000000000000000 else today",
])
def test_a_fixed_duration_beyond_the_columnar_calendar(tmp_path: Path, rule: str) -> None:
    """A fixed duration of more months than the columnar date arithmetic holds exactly
    (a generated policy's `14 * window * (123456789012345678901234567890123456789 * 7)`
    raised OverflowError): every row per record, as `decide` answers (an error of the row
    where the date leaves the calendar)."""
    (tmp_path / "policy.yaml").write_text(f"""\
policy:
  id: far
  title: Far
  authority: Tests
  valid: {{from: 2024-01-01, to: 2030-12-31}}
  language: en
  month_end: clamp
facts:
  flag: bool
  since: date
  benefits:
    type: history
    fields: {{}}
rules:
  far: "{rule}"
target_groups:
  g:
    title: G
    criteria:
      all:
        - {{id: far_ok, title: Far, when: far > 2000-01-01}}
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    rows = [{"flag": flag, "since": ON - 10 * DAY,
             "benefits": [{"from": ON - 20 * DAY, "to": None}] if flag else []}
            for flag in (True, False)]
    result = decide_columnar(policy, rows, ON, ["far"])
    assert result.per_record == len(rows)


def test_durations_compared_and_a_length_among_fixed_durations(tmp_path: Path) -> None:
    """Months per citizen compared with a fixed duration in months (`3 months * weeks <
    1 year`: by months), and the longer or shorter of them (`max`, `min`); a length among
    fixed durations in days (by its days)."""
    (tmp_path / "policy.yaml").write_text("""\
policy:
  id: compared
  title: Compared
  authority: Tests
  valid: {from: 2024-01-01, to: 2030-12-31}
  language: en
  month_end: clamp
facts:
  weeks: int
  stay: period
rules:
  under_a_year: 3 months * weeks < 1 year
  longer_ends: stay.from + max(3 months * weeks, 1 year)
  shorter_ends: stay.from + min(1 year, 3 months * weeks, 18 months)
  a_fortnight: length(stay) in [14 days, 2 weeks]
target_groups:
  g:
    title: G
    criteria:
      all:
        - {id: m, title: M, when: "a_fortnight or under_a_year or longer_ends > shorter_ends"}
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    assert support(policy) is None
    stays = [(date(2024, 2, 1), date(2024, 2, 29)), (date(2024, 3, 1), date(2024, 3, 29)),
             (date(2024, 3, 1), date(2024, 4, 30)), (date(2024, 3, 1), date(2024, 3, 14))]
    rows = [{"weeks": weeks, "stay": {"from": s, "to": e}}
            for weeks in (0, 3, 4, 5) for s, e in stays]
    values = ["under_a_year", "a_fortnight", "longer_ends", "shorter_ends"]
    result = decide_columnar(policy, rows, ON, values)
    assert result.per_record == 0
    got = result.decisions.to_pylist()
    assert [g["a_fortnight"] for g in got[:4]] == [False, False, False, True]
    assert [g["under_a_year"] for g in got[::4]] == [True, True, False, False]
    # `max`/`min` of months per citizen and fixed months, from 1 February 2024
    assert [g["longer_ends"] for g in got[::4]] == [date(2025, 2, 1), date(2025, 2, 1),
                                                   date(2025, 2, 1), date(2025, 5, 1)]
    assert [g["shorter_ends"] for g in got[::4]] == [date(2024, 2, 1), date(2024, 11, 1),
                                                    date(2025, 2, 1), date(2025, 2, 1)]


def test_a_negative_gap_that_starts_a_spell_inside_another(tmp_path: Path) -> None:
    """A gap below zero (`notice - 5 days` for a notice of a day: minus 4 days) starts a
    spell at a period that begins inside the spell before it, ending where that period
    ends (`decide`'s spells may overlap); before, the columnar spell took the latest end
    of the citizen's earlier periods (31 January, not 30 January) and `spell_length`
    the later of two spells holding the day: other counts, and the citizen eligible
    where `decide` says not. Such a citizen is decided per record; one whose spells
    start after every earlier end stays columnar."""
    (tmp_path / "policy.yaml").write_text("""\
policy:
  id: negative
  title: Negative gaps
  authority: Tests
  valid: {from: 2024-01-01, to: 2030-12-31}
  language: en
  month_end: clamp
facts:
  notice: duration
  benefits:
    type: history
    fields: {}
rules:
  ending_late: count(p in spells(benefits, gap=notice - 5 days) where p.to > 2024-01-30)
  fixed_gap: count(p in spells(benefits, gap=-3 days) where p.to > 2024-01-30)
  month_gap: count(p in spells(benefits, gap=notice - 1 month) where p.to > 2024-01-30)
  held: spell_length(benefits, on=2024-01-30, gap=notice - 5 days) >= 3 days
target_groups:
  g:
    title: G
    criteria:
      all:
        - {id: late, title: Late, when: "ending_late == 2 or fixed_gap == 2 or month_gap == 2"}
        - {id: held_ok, title: Held, when: not held}
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    assert support(policy) is None
    inside = [{"from": date(2024, 1, 1), "to": date(2024, 1, 31)},
              {"from": date(2024, 1, 30), "to": date(2024, 1, 30)}]
    apart = [{"from": date(2024, 2, 1), "to": date(2024, 2, 5)},
             {"from": date(2024, 2, 10), "to": date(2024, 2, 20)}]
    # the first row is eligible: the one of its outcome checked per record
    rows = [{"notice": notice, "benefits": benefits} for notice in ("1 day", "2 days")
            for benefits in (apart, inside, inside[::-1])]
    for values in ([], ["ending_late", "fixed_gap", "month_gap", "held"]):
        result = decide_columnar(policy, rows, ON, values)
        assert result.per_record == 4  # the spells inside spells
        assert result.decisions.column("eligible").to_pylist() == [True, False, False] * 2
    assert result.decisions.column("ending_late").to_pylist() == [2, 1, 1] * 2
    assert result.decisions.column("held").to_pylist() == [False, True, True] * 2
