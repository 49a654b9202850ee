"""`diff --population FILE --on COLUMN`: each row of a population file decided under both
policies on its own date (a column of a CSV or Parquet file, a key beside `facts` of a
JSON line), as `decide --population --on COLUMN` reads it; generated citizens keep the
run's date. A row whose date is missing or not a date is a bad row with `decide`'s
problem of the date at the column's name; the examples carry their rows' dates."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import udbudsregler as ur
from udbudsregler.analysis import comparison
from udbudsregler.analysis.comparison import Comparison
from udbudsregler.analysis.diff import compare, read_population
from udbudsregler.analysis.population import PopulationError
from udbudsregler.cli.main import main
from udbudsregler.testing.cases import load_cases, run_cases

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ROOT / "policies" / "slagelse-2019"
NEXT_ROUND = ROOT / "examples" / "next-round"
#: The new round's first day: the date of the run (and of generated citizens).
FIRST = date(2022, 1, 1)
N = 120


def _citizen(i: int) -> tuple[dict[str, Any], date]:
    """A citizen decided on a day of 2019-2025, on kontanthjælp and in an offer shortly
    before it, born 1986-1994: whether the old round's age 30 or the new round's 25
    lets her in depends on the day (some are job-ready, or not subject to the 225-hour
    rule: in neither round)."""
    day = date(2019, 1, 1) + timedelta(days=(i * 53) % (7 * 365))
    born = date(1986 + i % 9, 1 + (i * 5) % 12, 1 + (i * 7) % 28)
    return {"birth_date": born.isoformat(),
            "visitation": "jobparat" if i % 11 == 3 else "aktivitetsparat",
            "subject_to_225_rule": i % 13 != 5,
            "benefits": [{"kind": "kontanthjaelp",
                          "from": (day - timedelta(days=400)).isoformat(), "to": None}],
            "offers": [{"kind": "virksomhedspraktik",
                        "from": (day - timedelta(days=200)).isoformat(),
                        "to": (day - timedelta(days=100)).isoformat(),
                        "weekly_hours": 15}]}, day


def _rows(n: int = N, days: list[Any] | None = None) -> list[tuple[dict[str, Any], Any]]:
    made = [_citizen(i) for i in range(n)]
    return [(facts, day if days is None else days[i]) for i, (facts, day) in enumerate(made)]


def _kind(a: Any, b: Any) -> str | None:
    """The group of a pair of decisions (no suppliers, no orders), as the diff says."""
    if a.eligible != b.eligible:
        return "became_eligible" if b.eligible else "lost_eligibility"
    if a.area != b.area:
        return "changed_area"
    if a.target_groups != b.target_groups:
        return "changed_target_groups"
    return None


def _by_hand(old: ur.Policy, new: ur.Policy, rows: list[tuple[dict[str, Any], Any]],
             on: date | None = None) -> Counter[str | None]:
    """Each row decided under both with `decide`, on its own date (or on `on`)."""
    return Counter(_kind(old.decide(facts, on or day, ignore_validity=True),
                         new.decide(facts, on or day, ignore_validity=True))
                   for facts, day in rows)


def _counts(report: Any) -> dict[str, int]:
    return {k: g.count for k, g in report.groups.items() if k not in comparison.PAYMENT}


# -- writing population files --------------------------------------------------------------


NAMES = ["birth_date", "visitation", "subject_to_225_rule", "benefits", "offers"]


def _jsonl(path: Path, rows: list[tuple[dict[str, Any], Any]], column: str | None = "decided_on"
           ) -> Path:
    lines = []
    for i, (facts, day) in enumerate(rows):
        line: dict[str, Any] = {"id": f"C-{i}", "facts": facts}
        if column is not None and day is not _MISSING:
            line[column] = day.isoformat() if isinstance(day, date) else day
        lines.append(json.dumps(line))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


#: A JSON line without the date key.
_MISSING = object()


def _cell(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, list) else str(value).lower() \
        if isinstance(value, bool) else "" if value is None else str(value)
    return '"' + text.replace('"', '""') + '"'


def _csv(path: Path, rows: list[tuple[dict[str, Any], Any]], column: str | None = "decided_on"
         ) -> Path:
    head = ["id", *([column] if column else []), *NAMES]
    lines = [",".join(head)]
    for i, (facts, day) in enumerate(rows):
        dated = [day.isoformat() if isinstance(day, date) else day] if column else []
        lines.append(",".join(_cell(v) for v in [f"C-{i}", *dated,
                                                  *(facts[n] for n in NAMES)]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _parquet(path: Path, rows: list[tuple[dict[str, Any], Any]], policy: ur.Policy,
             as_text: bool = False, column: str | None = "decided_on") -> Path:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from udbudsregler.columnar import fact_schema

    table = pa.Table.from_pylist([policy.facts.validate(f) for f, _ in rows],
                                 schema=fact_schema(policy.graph))
    if column is not None:
        days = [d.isoformat() if as_text and isinstance(d, date) else d for _, d in rows]
        table = table.append_column(column, pa.array(
            days, type=pa.string() if as_text else pa.date32()))
    table = table.append_column("id", pa.array([f"C-{i}" for i in range(len(rows))]))
    pq.write_table(table, path, row_group_size=50)
    return path


def _write(kind: str, folder: Path, rows: list[tuple[dict[str, Any], Any]],
           policy: ur.Policy, column: str | None = "decided_on") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "jsonl":
        return _jsonl(folder / "citizens.jsonl", rows, column)
    if kind == "csv":
        return _csv(folder / "citizens.csv", rows, column)
    return _parquet(folder / "citizens.parquet", rows, policy, kind == "parquet-text", column)


KINDS = ["jsonl", "csv", "parquet", "parquet-text"]


# -- (a) the dates matter, and are each row's own ------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_row_is_decided_on_its_own_date(slagelse: ur.Policy, next_round: ur.Policy,
                                            tmp_path: Path, kind: str) -> None:
    """The groups counted are those of `decide` on each row's date under both rounds,
    and not those of one date for all (fewer cross the age limit then)."""
    rows = _rows()
    file = _write(kind, tmp_path, rows, next_round)
    report = compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                     examples=0, day_field="decided_on")
    assert not report.bad_rows and report.compared == N
    want = _by_hand(slagelse, next_round, rows)
    assert _counts(report) == {k: want[k] for k in _counts(report)}
    assert report.changed == N - want[None] == 29
    # on one date (the run's, the new round's first day) the groups are others
    one = _by_hand(slagelse, next_round, rows, FIRST)
    assert one != want and one["became_eligible"] == 11
    assert report.on == FIRST and report.on_column == "decided_on"
    assert any(n.startswith("population rows decided each on its own date (decided_on): ")
               for n in report.notes)


def test_generated_citizens_keep_the_runs_date(slagelse: ur.Policy, next_round: ur.Policy,
                                               tmp_path: Path) -> None:
    """Generated (and given) citizens are decided on `on`, the rows of the file on theirs:
    with generated citizens too, the report is the sum of the two."""
    rows = _rows()
    file = _write("jsonl", tmp_path, rows, next_round)
    on = date(2023, 5, 1)
    both = compare(slagelse, next_round, citizens=200, population=file, scenarios=0,
                   examples=0, on=on, day_field="decided_on")
    generated = compare(slagelse, next_round, citizens=200, scenarios=0, examples=0, on=on)
    given = [f for f, _ in rows[:30]]
    with_given = compare(slagelse, next_round, citizens=given, population=file,
                         scenarios=0, examples=0, on=on, day_field="decided_on")
    want = _by_hand(slagelse, next_round, rows)
    for kind, group in both.groups.items():
        if kind not in comparison.PAYMENT:
            assert group.count == generated.groups[kind].count + want[kind], kind
            assert group.by_source.get(str(file), 0) == want[kind]
            assert with_given.groups[kind].by_source.get("given", 0) == _by_hand(
                slagelse, next_round, rows[:30], on)[kind]
    assert both.on == on and both.citizens == Counter({"generated": 200, str(file): N})


# -- (b) one date in the column is `--on` that date ---------------------------------------------


def _comparable(report: Any, file: Path) -> str:
    """The report's counts, groups (with their examples) and bad rows, the file's name
    left out (two runs read two files)."""
    data = report.to_dict()
    kept = {k: data[k] for k in ("citizens", "groups", "bad_rows", "bad_row_count")}
    return json.dumps(kept, sort_keys=True).replace(str(file), "FILE")


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet"])
@pytest.mark.parametrize("day", [date(2023, 6, 1), date(2020, 6, 1)])
def test_one_date_in_the_column_is_on_that_date(slagelse: ur.Policy, next_round: ur.Policy,
                                               tmp_path: Path, kind: str, day: date) -> None:
    """Inside the new round's validity or before it (its examples say so then)."""
    rows = _rows(days=[day] * N)
    dated = _write(kind, tmp_path / "dated", rows, next_round)
    plain = _write(kind, tmp_path / "plain", rows, next_round, column=None)
    by_column = compare(slagelse, next_round, citizens=0, population=dated, scenarios=0,
                        examples=2, day_field="decided_on")
    by_on = compare(slagelse, next_round, citizens=0, population=plain, scenarios=0,
                    examples=2, on=day)
    assert _comparable(by_column, dated) == _comparable(by_on, plain)
    assert by_column.changed == by_on.changed > 0
    examples = [e for g in by_column.groups.values() for e in g.examples]
    assert examples and all(e.on == day and f"  on: {day.isoformat()}\n" in e.case
                            for e in examples)
    outside = day < next_round.header.valid.from_
    assert all(("outside slagelse-2022's validity" in e.case) is outside for e in examples)
    assert f"all on {day.isoformat()}" in " ".join(by_column.notes)


# -- (c) bad dates ----------------------------------------------------------------------------


def _problems(report: Any) -> dict[int, tuple[str | None, tuple[str, ...]]]:
    return {b.line: (b.id, b.problems) for b in report.bad_rows}


NOT_A_DATE = "decided_on: UDB602: expected a date (YYYY-MM-DD), got "
NOT_IN_THE_CALENDAR = "decided_on: UDB603: `2020-02-30` is not a real calendar date"


def test_bad_dates_of_json_lines_are_bad_rows(slagelse: ur.Policy, next_round: ur.Policy,
                                              tmp_path: Path) -> None:
    rows: list[tuple[dict[str, Any], Any]] = _rows(20)
    for i, day in [(2, ""), (4, "2020-02-30"), (5, "yesterday"), (7, 20200101),
                   (8, _MISSING), (9, None), (11, "2020-2-1"), (12, {"d": 1}),
                   (13, "2020-06-01T00:00:00")]:
        rows[i] = (rows[i][0], day)
    rows[14] = ({**rows[14][0], "visitation": "x"}, "2020-02-30")  # its facts are bad too
    file = _jsonl(tmp_path / "citizens.jsonl", rows)
    with file.open("a", encoding="utf-8") as out:  # a line of facts alone: no date
        out.write(json.dumps(rows[0][0]) + "\n")
    report = compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                     examples=1, day_field="decided_on")
    problems = _problems(report)
    assert problems[3] == ("C-2", (NOT_A_DATE + "the text ''",))
    assert problems[5] == ("C-4", (NOT_IN_THE_CALENDAR,))
    assert problems[6] == ("C-5", (NOT_A_DATE + "the text 'yesterday'",))
    assert problems[8] == ("C-7", (NOT_A_DATE + "the number 20200101",))
    assert problems[9] == ("C-8", (NOT_A_DATE + "nothing (null)",))  # no key
    assert problems[10] == ("C-9", (NOT_A_DATE + "nothing (null)",))
    assert problems[12][1][0].startswith("decided_on: UDB60")  # 2020-2-1
    assert problems[13] == ("C-12", (NOT_A_DATE + "a mapping",))
    assert problems[14][1][0].startswith("decided_on: UDB60")
    assert problems[15][0] == "C-14" and problems[15][1][0] == NOT_IN_THE_CALENDAR
    assert problems[15][1][1].startswith("visitation: UDB605: ")
    assert problems[21] == (None, (NOT_A_DATE + "nothing (null)",))
    assert sorted(problems) == [3, 5, 6, 8, 9, 10, 12, 13, 14, 15, 21]
    # the same problems decide gives for the date (its path `on`, here the column's)
    for line, (_, texts) in problems.items():
        given = rows[line - 1][1] if line <= len(rows) else None
        with pytest.raises(ur.FactError) as refused:
            next_round.decide(rows[0][0], None if given is _MISSING else given,
                              ignore_validity=True)
        assert texts[0] == "decided_on" + refused.value.problems[0].render()[len("on"):]
    # the other rows are compared, each on its date
    good = [r for i, r in enumerate(rows) if i + 1 not in problems]
    assert report.compared == len(good) == 10
    want = _by_hand(slagelse, next_round, good)
    assert _counts(report) == {k: want[k] for k in _counts(report)}
    assert report.bad_row_count == 11


@pytest.mark.parametrize("kind", ["csv", "parquet-text"])
def test_bad_dates_of_csv_and_parquet_are_bad_rows(slagelse: ur.Policy, next_round: ur.Policy,
                                                   tmp_path: Path, kind: str) -> None:
    rows: list[tuple[dict[str, Any], Any]] = _rows(12)
    for i, day in [(1, None), (3, "2020-02-30"), (4, "yesterday"), (6, "20200101")]:
        rows[i] = (rows[i][0], day)
    file = _write(kind, tmp_path, rows, next_round)
    report = compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                     examples=0, day_field="decided_on")
    # an empty cell is no date, as `decide --population` reads it (csv: line 1 the header)
    first = 2 if kind == "csv" else 1
    assert _problems(report) == {
        first + 1: ("C-1", (NOT_A_DATE + "nothing (null)",)),
        first + 3: ("C-3", (NOT_IN_THE_CALENDAR,)),
        first + 4: ("C-4", (NOT_A_DATE + "the text 'yesterday'",)),
        first + 6: ("C-6", (NOT_A_DATE + "the text '20200101'",))}
    assert report.bad_row_count == 4 and report.compared == 8
    good = [r for i, r in enumerate(rows) if i not in (1, 3, 4, 6)]
    want = _by_hand(slagelse, next_round, good)
    assert _counts(report) == {k: want[k] for k in _counts(report)}


def test_a_parquet_date_column_with_nulls(slagelse: ur.Policy, next_round: ur.Policy,
                                          tmp_path: Path) -> None:
    """A null of a date32 column is no date: a bad row; the others are compared."""
    rows: list[tuple[dict[str, Any], Any]] = _rows(12)
    rows[2], rows[7] = (rows[2][0], None), (rows[7][0], None)
    file = _parquet(tmp_path / "citizens.parquet", rows, next_round)
    report = compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                     examples=0, day_field="decided_on")
    assert _problems(report) == {3: ("C-2", (NOT_A_DATE + "nothing (null)",)),
                                 8: ("C-7", (NOT_A_DATE + "nothing (null)",))}
    good = [r for i, r in enumerate(rows) if i not in (2, 7)]
    want = _by_hand(slagelse, next_round, good)
    assert report.compared == 10 and _counts(report) == {k: want[k] for k in _counts(report)}


def test_a_parquet_column_of_numbers_makes_every_row_bad(slagelse: ur.Policy,
                                                        next_round: ur.Policy,
                                                        tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    file = _parquet(tmp_path / "citizens.parquet", _rows(5), next_round, column=None)
    table = pq.read_table(file)
    pq.write_table(table.append_column("decided_on", pa.array(range(5))), file)
    report = compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                     examples=0, day_field="decided_on")
    assert [b.problems for b in report.bad_rows] == [
        (NOT_A_DATE + f"the number {i}",) for i in range(5)]
    assert report.compared == 0


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet"])
def test_a_field_the_file_lacks_is_refused(slagelse: ur.Policy, next_round: ur.Policy,
                                           tmp_path: Path, kind: str) -> None:
    file = _write(kind, tmp_path, _rows(3), next_round)
    what = "a key of its lines" if kind == "jsonl" else "a column of it"
    with pytest.raises(PopulationError, match=f"`decided` is not {what}"):
        compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                day_field="decided")
    if kind == "jsonl":
        with pytest.raises(PopulationError, match="is a key of the wrapper"):
            compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                    day_field="order")
    with pytest.raises(ValueError, match="give population=FILE"):
        compare(slagelse, next_round, citizens=5, scenarios=0, day_field="decided_on")


def test_a_column_of_a_facts_name_is_the_fact_and_the_date(slagelse: ur.Policy,
                                                          next_round: ur.Policy,
                                                          tmp_path: Path) -> None:
    """As `decide --population --on birth_date`: each row decided on its birth date (not
    eligible in either round), the birth date still a fact."""
    rows = _rows(10)
    file = _csv(tmp_path / "citizens.csv", rows, column=None)
    for kind, path in (("csv", file),
                       ("parquet", _parquet(tmp_path / "c.parquet", rows, next_round,
                                            column=None))):
        report = compare(slagelse, next_round, citizens=0, population=path, scenarios=0,
                         examples=0, day_field="birth_date")
        assert not report.bad_rows and report.compared == 10, kind
        born = sorted(f["birth_date"] for f, _ in rows)
        assert f"10 dates from {born[0]} to {born[-1]}" in " ".join(report.notes), kind
        assert report.changed == 0


def test_a_read_population_keeps_its_field(slagelse: ur.Policy, next_round: ur.Policy,
                                           tmp_path: Path) -> None:
    rows = _rows()
    file = _write("csv", tmp_path, rows, next_round)
    specs = {n: e.spec for n, e in next_round.graph.facts.items()}
    population = read_population(file, specs, day="decided_on")
    assert population.day == "decided_on"
    assert population.rows[0].day == rows[0][1].isoformat()
    assert "decided_on" not in population.rows[0].facts
    read = compare(slagelse, next_round, citizens=0, population=population, scenarios=0,
                   examples=0)
    streamed = compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                       examples=0, day_field="decided_on")
    assert _counts(read) == _counts(streamed) and read.on_column == "decided_on"
    with pytest.raises(ValueError, match="read with day='decided_on'"):
        compare(slagelse, next_round, citizens=0, population=population, scenarios=0,
                day_field="other")


# -- (e) the examples carry their rows' dates ----------------------------------------------------


def _row_dates(file: Path) -> dict[int, str]:
    return {i: json.loads(line)["decided_on"] for i, line in
            enumerate(file.read_text(encoding="utf-8").splitlines(), start=1)}


def test_the_examples_are_test_cases_on_their_rows_dates(slagelse: ur.Policy,
                                                         next_round: ur.Policy,
                                                         tmp_path: Path) -> None:
    """Rows of the new round's years: each example's case is decided on its row's date
    (shrinking moved the facts' dates, not the decision date) and passes as a test case
    of the new round."""
    days = [date(2022, 1, 1) + timedelta(days=(i * 41) % (4 * 365)) for i in range(N)]
    file = _jsonl(tmp_path / "citizens.jsonl", _rows(days=days))
    report = compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                     examples=3, day_field="decided_on")
    examples = [e for g in report.groups.values() for e in g.examples]
    assert len(examples) == 3 and len({e.on for e in examples}) == 3
    dates = _row_dates(file)
    for example in examples:
        line = int(example.source.split(":")[-1].split(" ")[0])
        assert example.on is not None and example.on.isoformat() == dates[line]
        assert f"  on: {dates[line]}\n" in example.case
        assert example.to_dict()["on"] == dates[line]
        pair = (slagelse.decide(example.facts, example.on, ignore_validity=True),
                next_round.decide(example.facts, example.on))
        assert _kind(*pair) == "became_eligible"
    cases = tmp_path / "diff.yaml"
    cases.write_text("cases:\n" + "".join("\n".join("  " + line for line in e.case.splitlines())
                                           + "\n" for e in examples), encoding="utf-8")
    suite = load_cases(NEXT_ROUND, [cases])
    assert not suite.diagnostics and len(suite.cases) == 3
    assert [r.report() for r in run_cases(next_round, suite.cases) if not r.passed] == []


def test_examples_inside_the_new_rounds_validity_come_first(slagelse: ur.Policy,
                                                            next_round: ur.Policy,
                                                            tmp_path: Path) -> None:
    """Last year's referrals (before the new round) and this year's: the examples come
    from this year's, whose test cases run; those of last year's alone carry their date
    and say that `udbudsregler test` refuses it."""
    rows = _rows()
    file = _jsonl(tmp_path / "citizens.jsonl", rows)
    report = compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                     examples=2, day_field="decided_on")
    examples = report.groups["became_eligible"].examples
    assert [e.on is not None and e.on >= FIRST for e in examples] == [True, True]
    early = _jsonl(tmp_path / "early.jsonl", [r for r in rows if r[1] < FIRST])
    report = compare(slagelse, next_round, citizens=0, population=early, scenarios=0,
                     examples=2, day_field="decided_on")
    examples = report.groups["became_eligible"].examples
    dates = _row_dates(early)
    assert len(examples) == 2
    for example in examples:
        line = int(example.source.split(":")[-1].split(" ")[0])
        assert example.on is not None and example.on.isoformat() == dates[line]
        assert (f"# decided on {dates[line]}, outside slagelse-2022's validity (2022-01-01 "
                "to 2025-12-31), as the diff decides it; `udbudsregler test` refuses the "
                "date (UDB703)\n") in example.case
    generated = compare(slagelse, next_round, citizens=500, scenarios=0, examples=1)
    assert all(e.on == FIRST and "outside" not in e.case
               for g in generated.groups.values() for e in g.examples)


# -- (g) the batch prescreen and the one-by-one path agree ------------------------------------


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_the_prescreen_decides_each_row_on_its_date(slagelse: ur.Policy,
                                                    next_round: ur.Policy, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    kind: str) -> None:
    """With the batch prescreen (decide_records, a date per row) and without it (every
    row decided one by one), the same report; the prescreen leaves only the rows
    treated differently for the one-by-one path."""
    pytest.importorskip("pyarrow")
    rows = _rows()
    file = _write(kind, tmp_path, rows, next_round)
    seen: list[int] = []
    run_citizens = Comparison.run_citizens

    def counted(self: Comparison, citizens: list[Any], *args: Any) -> None:
        seen.append(len(citizens))
        run_citizens(self, citizens, *args)

    monkeypatch.setattr(Comparison, "run_citizens", counted)
    screened = compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                       examples=2, day_field="decided_on")
    want = _by_hand(slagelse, next_round, rows)
    assert seen[-1] == N - want[None]  # only the rows treated differently
    monkeypatch.setattr(Comparison, "prescreen", lambda self, citizens: citizens)
    seen.clear()
    one_by_one = compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                         examples=2, day_field="decided_on")
    assert seen[-1] == N
    assert _comparable(screened, file) == _comparable(one_by_one, file)
    assert screened.compared == one_by_one.compared == N


def test_the_prescreen_clears_exactly_the_rows_decided_alike(slagelse: ur.Policy,
                                                             next_round: ur.Policy) -> None:
    pytest.importorskip("pyarrow")
    run = Comparison(slagelse, next_round, FIRST, 0, None, None, "decided_on")
    rows = _rows()
    citizens = [comparison.Citizen(f"row {i}", run.canonical(f), None, "file", d)
                for i, (f, d) in enumerate(rows)]
    kept = {c.source for c in run.prescreen(citizens)}
    differ = {f"row {i}" for i, (f, d) in enumerate(rows) if _kind(
        slagelse.decide(f, d, ignore_validity=True),
        next_round.decide(f, d, ignore_validity=True)) is not None}
    assert kept == differ and run.compared == N - len(differ)


# -- (f) the command line ---------------------------------------------------------------------


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


BASE = ("diff", str(SLAGELSE), str(NEXT_ROUND), "--citizens", "0", "--scenarios", "0",
        "--examples", "1")


def test_cli_on_a_column(slagelse: ur.Policy, next_round: ur.Policy, tmp_path: Path) -> None:
    rows = _rows()
    file = _write("csv", tmp_path, rows, next_round)
    code, out, err = _run(*BASE, "--population", str(file), "--on", "decided_on", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["on_column"] == "decided_on" and data["on"] == "2022-01-01"
    want = _by_hand(slagelse, next_round, rows)
    assert {g["kind"]: g["count"] for g in data["groups"]
            if g["kind"] not in comparison.PAYMENT} == {
        k: want[k] for k in ("became_eligible", "lost_eligibility", "changed_area",
                             "changed_target_groups")}
    example = data["groups"][0]["examples"][0]
    assert example["on"] == rows[int(example["source"].split(":")[-1].split(" ")[0]) - 2][
        1].isoformat()
    html = tmp_path / "diff.html"
    code, out, _ = _run(*BASE, "--population", str(file), "--on", "decided_on", "--html",
                        str(html))
    assert code == 0
    assert out.startswith("udbudsregler diff: slagelse-2019 -> slagelse-2022, decided on "
                          "2022-01-01, the population rows each on its own date "
                          "(decided_on) (seed 0, ")
    page = html.read_text(encoding="utf-8")
    assert "each on its own date: <code>decided_on</code>" in page
    assert f"(on {example['on']})</summary>" in page
    # a date: as before, no column
    code, out, _ = _run(*BASE, "--population", str(_write("csv", tmp_path / "plain", rows,
                                                           next_round, column=None)),
                        "--on", "2023-02-01", "--json")
    assert code == 0 and json.loads(out)["on_column"] is None
    assert json.loads(out)["on"] == "2023-02-01"


def test_cli_bad_dates_exit_2(next_round: ur.Policy, tmp_path: Path) -> None:
    rows: list[tuple[dict[str, Any], Any]] = _rows(6)
    rows[2] = (rows[2][0], "2020-02-30")
    file = _write("jsonl", tmp_path, rows, next_round)
    code, out, err = _run(*BASE, "--population", str(file), "--on", "decided_on")
    assert code == 2
    assert f"bad row, line 3 (C-2): {NOT_IN_THE_CALENDAR}\n" in out
    assert err == (f"error: 1 bad row in {file} (it fits neither policy, has a bad date or "
                   "cannot be read; line 3)\n")


@pytest.mark.parametrize(("argv", "message"), [
    (("--on", "decided_on"),
     "error: udbudsregler diff: argument --on: `decided_on` is not a date written as "
     "YYYY-MM-DD (a column of each citizen's own date needs --population FILE)\n"),
    (("--population", "@", "--on", "decidedon"),
     "error: @: `decidedon` is not a key of its lines (beside `facts`); expected the "
     "name of the column of each row's decision date\n"),
    (("--population", "@", "--on", "2019-2-1"),
     "error: udbudsregler diff: argument --on: `2019-2-1` is not a date written as "
     "YYYY-MM-DD\n"),
    (("--population", "@", "--on", "order"),
     "error: @: `order` is a key of the wrapper of a line (id, facts, order, note); the "
     "key of each line's date needs another name\n"),
    (("--exact", "--on", "decided_on"),
     "error: udbudsregler diff --exact: argument --on: `decided_on` is not a date written "
     "as YYYY-MM-DD\n"),
])
def test_cli_a_column_that_cannot_be_one_is_an_input_error(
        next_round: ur.Policy, tmp_path: Path, argv: tuple[str, ...], message: str) -> None:
    file = _write("jsonl", tmp_path, _rows(3), next_round)
    code, out, err = _run(*BASE, *(str(file) if a == "@" else a for a in argv))
    assert (code, out) == (2, "")
    assert err == message.replace("@", str(file))
