"""Values picked per citizen run columnar: a list picked by `latest` (the courses of
the latest referral; the offers of the latest benefit spell), lists and sets written the
same for all and picked by if/else (one of them empty), fixed durations picked by
if/else (with months, or in days), a duration with months times a count per citizen,
`min` and `max` of lengths over a list (the first of equal ones), the spells of a
history against a written list of periods, a duration with months among a list per
citizen, and `max` of a body that is the same for every element. Every row agrees with
per-record ``decide`` and each value with the interpreter. Before, such a policy was
decided per record as a whole."""

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

POLICY = Path(__file__).resolve().parent / "data" / "picked"
ON = date(2024, 6, 1)
DAY = timedelta(days=1)
VALUES = ("last_hours", "has_truck", "spell_offer_count", "weeks_allowed", "kind_ok",
          "extra_count", "notice_ends", "noticed", "short_notice_ends", "short_noticed",
          "course_ends", "longest_back", "shortest_back", "period_days_back", "a_year",
          "half_year_in", "shortest_a_month", "half_year_ends", "due_count", "half_in_pick")
KINDS = ["kontanthjaelp", "sygedagpenge", "ledighedsydelse"]


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(POLICY)


def _decide(policy: Any, rows: list[dict[str, Any]]) -> Any:
    return decide_columnar(policy, rows, ON, VALUES)


def test_the_policy_runs_columnar(policy: Any) -> None:
    assert support(policy) is None


def _course(hours: int, kind: str) -> dict[str, Any]:
    return {"hours": hours, "kind": kind}


def _citizen(age: int, **given_: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"age": age, "weeks": 4, "since": ON - 100 * DAY,
                           "stay": {"from": ON - 20 * DAY, "to": None},
                           "benefit": "kontanthjaelp", "referrals": [], "benefits": [],
                           "offers": []}
    row.update(given_)
    return row


def test_the_latest_referrals_courses(policy: Any) -> None:
    """The courses of the referral that starts last (of two starting together, the one
    ending last); none when there is no referral (`else []`)."""
    early = {"from": ON - 300 * DAY, "to": ON - 200 * DAY,
             "courses": [_course(30, "truck"), _course(20, "dansk")]}
    late = {"from": ON - 100 * DAY, "to": None, "courses": [_course(12, "it")]}
    same_start = {"from": ON - 100 * DAY, "to": ON - 50 * DAY,
                  "courses": [_course(7, "truck"), _course(8, "truck")]}
    empty = {"from": ON - 10 * DAY, "to": None, "courses": []}
    rows = [_citizen(30), _citizen(30, referrals=[early]),
            _citizen(30, referrals=[late, early]), _citizen(30, referrals=[early, late]),
            _citizen(30, referrals=[same_start, late]),
            _citizen(30, referrals=[early, empty, late])]
    result = _decide(policy, rows)
    assert result.per_record == 0 and result.errors.num_rows == 0
    assert result.decisions.column("last_hours").to_pylist() == [0, 50, 12, 12, 12, 0]
    assert result.decisions.column("has_truck").to_pylist() == [False, True, False, False,
                                                               False, False]


def test_the_offers_of_the_latest_spell(policy: Any) -> None:
    benefits = [{"from": ON - 200 * DAY, "to": ON - 150 * DAY, "kind": "kontanthjaelp"},
                {"from": ON - 149 * DAY, "to": ON - 120 * DAY, "kind": "sygedagpenge"},
                {"from": ON - 60 * DAY, "to": ON, "kind": "kontanthjaelp"}]
    offers = [{"from": ON - 190 * DAY, "to": None, "hours": 10},
              {"from": ON - 130 * DAY, "to": None, "hours": 15},
              {"from": ON - 30 * DAY, "to": None, "hours": 20},
              {"from": ON - 20 * DAY, "to": None, "hours": 5}]
    rows = [_citizen(30, benefits=benefits, offers=offers),
            _citizen(30, benefits=benefits[:2], offers=offers),
            _citizen(30, benefits=[], offers=offers),  # no spell: every offer (`else`)
            _citizen(30, benefits=benefits, offers=[])]
    result = _decide(policy, rows)
    assert result.per_record == 0
    assert result.decisions.column("spell_offer_count").to_pylist() == [1, 2, 3, 0]


def _add_months(d: date, months: int) -> date:
    """``d`` moved by whole months, the day clamped to the month's last."""
    total = d.year * 12 + d.month - 1 + months
    year, month = divmod(total, 12)
    following = date(year + (month == 11), (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(d.day, (following - DAY).day))


def test_lists_sets_and_durations_picked_by_if_else(policy: Any) -> None:
    rows = [_citizen(age, weeks=weeks, benefit=benefit, since=ON - days * DAY)
            for age in (30, 45, 51, 56, 61) for weeks in (1, 2, 8, 12)
            for benefit in KINDS for days in (10, 95, 153, 184, 549)]  # 153, 184: month ends
    result = _decide(policy, rows)
    assert result.per_record == 0 and result.errors.num_rows == 0
    out = result.decisions.to_pylist()
    for row, got in zip(rows, out, strict=True):
        age, weeks = row["age"], row["weeks"]
        assert got["weeks_allowed"] == (weeks in ([4, 8, 12] if age > 50 else [2, 4]))
        assert got["kind_ok"] == (row["benefit"] in (
            {"kontanthjaelp", "sygedagpenge"} if age > 40 else {"ledighedsydelse"}))
        assert got["extra_count"] == (0 if age > 60 else sum(w <= weeks for w in (1, 2)))
        since = row["since"]
        assert got["short_notice_ends"] == since + (14 if age > 55 else 30) * DAY
        assert got["notice_ends"] == _add_months(since, 6 if age > 50 else 3)
        # a loop over fixed durations with months
        assert got["due_count"] == sum(_add_months(since, m) <= ON for m in (3, 12, 18))
        assert got["half_in_pick"] == (age > 50)  # lists of months picked by if/else


def test_a_duration_with_months_times_a_count(policy: Any) -> None:
    """`3 months * weeks`, and durations with months and days among a list per citizen
    (`[3 months * weeks + 10 days, notice + 10 days]`): equal months and equal days
    (12 months and 10 days for four weeks; 6 months and no days never, though 6 months
    and 10 days is there for those over 50)."""
    rows = [_citizen(age, weeks=w, since=since) for w in (0, 1, 4, 40)
            for since in (date(2024, 1, 31), date(2023, 11, 30)) for age in (30, 51)]
    result = _decide(policy, rows)
    assert result.per_record == 0
    ends = result.decisions.column("course_ends").to_pylist()
    assert ends[:4:2] == [date(2024, 1, 31), date(2023, 11, 30)]
    assert ends[4:8:2] == [date(2024, 4, 30), date(2024, 2, 29)]  # month ends clamp
    assert result.decisions.column("a_year").to_pylist() == [r["weeks"] == 4 for r in rows]
    assert result.decisions.column("half_year_in").to_pylist() == [False] * len(rows)


def test_longest_and_shortest_lengths(policy: Any) -> None:
    """`max` of the spells' lengths, `min` of the benefits' lengths; of equal ones the
    first stays (a length keeps its own start)."""
    benefits = [{"from": ON - 100 * DAY, "to": ON - 91 * DAY, "kind": "kontanthjaelp"},
                {"from": ON - 50 * DAY, "to": ON - 41 * DAY, "kind": "kontanthjaelp"},
                {"from": ON - 30 * DAY, "to": ON - 26 * DAY, "kind": "sygedagpenge"}]
    rows = [_citizen(30, benefits=benefits), _citizen(30, benefits=benefits[1:]),
            _citizen(30, benefits=[]), _citizen(50, benefits=benefits[2:])]
    result = _decide(policy, rows)
    assert result.per_record == 0
    longest = result.decisions.column("longest_back").to_pylist()
    shortest = result.decisions.column("shortest_back").to_pylist()
    # the spells: 10, 10 and 5 days; the stay open from 20 days ago: 21 days
    assert longest == [ON - 10 * DAY, ON - 10 * DAY, ON - 21 * DAY, ON - 5 * DAY]
    # kontanthjaelp benefits of 10 days each (the first kept); none: the stay's spell
    assert shortest == [ON - 10 * DAY, ON - 10 * DAY, ON - 21 * DAY, ON - 21 * DAY]


def test_the_first_of_equal_lengths_stays(policy: Any) -> None:
    """29 days from 1 February 2024 are a month; 29 days from 1 March are not: which of
    the two `min` keeps (the first) decides `shortest >= 1 month`."""
    february = {"from": date(2024, 2, 1), "to": date(2024, 2, 29), "kind": "kontanthjaelp"}
    march = {"from": date(2024, 3, 1), "to": date(2024, 3, 29), "kind": "kontanthjaelp"}
    rows = [_citizen(30, benefits=[february, march]), _citizen(30, benefits=[march, february])]
    result = _decide(policy, rows)
    assert result.per_record == 0
    assert result.decisions.column("shortest_a_month").to_pylist() == [True, False]


_DAYS = st.integers(-300, 60).map(lambda k: ON + k * DAY)


@st.composite
def _spans(draw: st.DrawFn, fields: st.SearchStrategy[dict[str, Any]],
           open_: bool = True) -> list[Any]:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(_DAYS)
        ends = st.integers(0, 90).map(lambda k, s=start: s + k * DAY)
        end = draw(st.none() | ends if open_ else ends)
        out.append({"from": start, "to": end, **draw(fields)})
    return out


_COURSES = st.lists(st.builds(_course, st.integers(0, 40),
                              st.sampled_from(["dansk", "it", "truck"])), max_size=3)


@st.composite
def _row(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(_DAYS)
    return {"age": draw(st.integers(18, 70)), "weeks": draw(st.integers(0, 15)),
            "since": draw(_DAYS), "benefit": draw(st.sampled_from(KINDS)),
            "stay": {"from": start, "to": draw(st.none() | st.just(start + 10 * DAY))},
            "referrals": draw(_spans(st.fixed_dictionaries({"courses": _COURSES}))),
            # closed: the length of an open benefit is an error (of that row, per record)
            "benefits": draw(_spans(st.fixed_dictionaries(
                {"kind": st.sampled_from(KINDS[:2])}), open_=False)),
            "offers": draw(_spans(st.fixed_dictionaries({"hours": st.integers(0, 20)})))}


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(_row(), min_size=1, max_size=30))
def test_generated_rows_agree(policy: Any, rows: list[dict[str, Any]]) -> None:
    result = _decide(policy, rows)
    assert result.per_record == 0


def test_a_list_inside_a_record_read_inside_a_loop(tmp_path: Path) -> None:
    """`any(b in benefits where any(c in sag.courses where c.start >= b.from))`: the
    record's list for each benefit, as a list read in a loop body is (a row with more
    than 4,096 pairs of benefits and courses is decided per record)."""
    (tmp_path / "policy.yaml").write_text("""\
policy:
  id: record-lists
  title: A list inside a record
  authority: Tests
  valid: {from: 2024-01-01, to: 2030-12-31}
  language: en
facts:
  benefits:
    type: history
    fields: {}
  sag:
    type: record
    fields:
      opened: date
      courses:
        type: list
        fields:
          start: date
rules:
  course_after: any(b in benefits where any(c in sag.courses where c.start >= b.from))
  after_count: >
    sum(count(c in sag.courses where c.start >= b.from and c.start >= sag.opened)
        for b in benefits else 0)
target_groups:
  g:
    title: G
    criteria:
      all:
        - {id: after, title: After, when: course_after or after_count > 1}
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    assert support(policy) is None

    def row(benefit_starts: list[int], course_starts: list[int],
            opened: int = -400) -> dict[str, Any]:
        return {"benefits": [{"from": ON + k * DAY, "to": None} for k in benefit_starts],
                "sag": {"opened": ON + opened * DAY,
                        "courses": [{"start": ON + k * DAY} for k in course_starts]}}

    rows = [row([-10], [-5]), row([-10], [-20]), row([], [-5]), row([-10, -30], []),
            row([-30, -10], [-20, -5], opened=-6), row(list(range(-100, 0)), [-50] * 50)]
    result = decide_columnar(policy, rows, ON, ["course_after", "after_count"])
    assert result.decisions.column("course_after").to_pylist() == [True, False, False,
                                                                   False, True, True]
    assert result.decisions.column("after_count").to_pylist() == [1, 0, 0, 0, 2,
                                                                  51 * 50]
    assert result.per_record == 1  # 100 benefits x 50 courses: 5,000 pairs


@pytest.mark.parametrize("rule", ["clamp", "roll"])
def test_an_age_on_a_date_per_citizen(tmp_path: Path, rule: str) -> None:
    """`age(birth, since)`: full years on each citizen's own date; born on 29 February,
    a year older on 28 February (clamp) or 1 March (roll) of a year that is not a leap
    year; a date before the birth is that row's error, per record."""
    (tmp_path / "policy.yaml").write_text(f"""\
policy:
  id: ages-then
  title: Ages then
  authority: Tests
  valid: {{from: 2024-01-01, to: 2030-12-31}}
  language: en
  month_end: {rule}
facts:
  birth: date
  since: date
rules:
  age_then: age(birth, since)
target_groups:
  g:
    title: G
    criteria:
      all:
        - {{id: adult, title: Adult then, when: age_then >= 18}}
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    assert support(policy) is None
    leapling = date(2004, 2, 29)
    pairs = [(leapling, date(2022, 2, 28)), (leapling, date(2022, 3, 1)),
             (leapling, date(2024, 2, 28)), (leapling, date(2024, 2, 29)),
             (date(2000, 6, 15), date(2018, 6, 14)), (date(2000, 6, 15), date(2018, 6, 15)),
             (date(2000, 6, 15), date(2000, 6, 15)), (date(2000, 6, 15), date(2000, 6, 14))]
    rows = [{"birth": b, "since": s} for b, s in pairs]
    result = decide_columnar(policy, rows, ON, ["age_then"])
    ages = {d["row"]: d["age_then"] for d in result.decisions.to_pylist()}
    assert ages == {0: 18 if rule == "clamp" else 17, 1: 18, 2: 19, 3: 20, 4: 17, 5: 18,
                    6: 0}
    assert [e["row"] for e in result.errors.to_pylist()] == [7]
    assert result.per_record == 1


def test_mixed_durations_records_and_texts(tmp_path: Path) -> None:
    """A length and a duration in days in one if/else or one list (day counts: the value
    is typed as a duration in days); a fixed date moved back by a duration fact; the
    latest of records (a history's, a record fact's); two texts per citizen joined."""
    (tmp_path / "policy.yaml").write_text("""\
policy:
  id: mixed
  title: Mixed
  authority: Tests
  valid: {from: 2024-01-01, to: 2030-12-31}
  language: en
  month_end: roll
facts:
  flag: bool
  since: date
  stay: period
  notice: duration
  first: text
  last: text
  benefits:
    type: history
    fields:
      hours: int
  sag:
    type: record
    fields:
      level: int
      opened: date
rules:
  short: if flag then length(stay) else 7 days
  short_ends: since + short
  short_listed: short in [14 days, length(stay)]
  long_ones: count(x in [length(stay), today - since, 10 days] where x > 12 days)
  back: 2024-01-31 - notice
  chosen: latest(sag for b in benefits where b.from > sag.opened else sag)
  chosen_level: chosen.level
  full_name: first + " " + last
  named: full_name == "Anna Berg"
  spaced: full_name == "Anna B erg"
  mixed_lists: count(x in (if flag then [length(stay)] else [7 days, 20 days]) where x > 10 days)
target_groups:
  g:
    title: G
    criteria:
      all:
        - {id: a, title: A, when: "short_listed or long_ones > 1 or named or spaced"}
        - {id: d, title: D, when: "mixed_lists >= 0"}
        - {id: b, title: B, when: "back < today and chosen_level >= 0"}
        - {id: c, title: C, when: "short_ends <= today + 30 days"}
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    assert support(policy) is None
    values = ["short_ends", "short_listed", "long_ones", "back", "chosen_level",
              "full_name", "named", "spaced", "mixed_lists"]

    def row(flag: bool, stay_days: int, since: int, notice: str, first: str, last: str,
            benefit_starts: list[int], level: int, opened: int) -> dict[str, Any]:
        return {"flag": flag, "since": ON + since * DAY, "notice": notice,
                "stay": {"from": ON - 30 * DAY, "to": ON - 30 * DAY + (stay_days - 1) * DAY},
                "first": first, "last": last,
                "benefits": [{"from": ON + k * DAY, "to": None, "hours": 10}
                             for k in benefit_starts],
                "sag": {"level": level, "opened": ON + opened * DAY}}

    rows = [row(True, 14, -20, "1 month", "Anna", "Berg", [-10], 3, -20),
            row(False, 14, -5, "1 day", "Anna B", "erg", [-3], 4, -20),
            row(True, 5, -13, "30 days", "Bo", "Berg", [-30], 5, -20),
            row(False, 20, -13, "2 years", "", "", [-10, -5], 6, -1),
            # two pairs of texts that join to one text
            row(False, 14, -5, "1 day", "Anna", "B erg", [], 7, -20)]
    result = decide_columnar(policy, rows, ON, values)
    assert result.per_record == 0 and result.errors.num_rows == 0
    got = result.decisions.to_pylist()
    assert [g["short_ends"] for g in got] == [ON - 6 * DAY, ON + 2 * DAY, ON - 8 * DAY,
                                             ON - 6 * DAY, ON + 2 * DAY]
    assert [g["short_listed"] for g in got] == [True, False, True, False, False]
    assert [g["long_ones"] for g in got] == [2, 1, 1, 2, 1]
    assert [g["back"] for g in got] == [date(2023, 12, 31), date(2024, 1, 30),
                                       date(2024, 1, 1), date(2022, 1, 31), date(2024, 1, 30)]
    assert [g["chosen_level"] for g in got] == [3, 4, 5, 6, 7]
    assert [g["full_name"] for g in got] == ["Anna Berg", "Anna B erg", "Bo Berg", " ",
                                            "Anna B erg"]
    assert [g["named"] for g in got] == [True, False, False, False, False]
    assert [g["spaced"] for g in got] == [False, True, False, False, True]
    assert [g["mixed_lists"] for g in got] == [1, 1, 0, 1, 1]
