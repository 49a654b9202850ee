"""Hostile decision dates for ``decide_table(table, on="column")`` and ``decide --population
--on COLUMN``: each row is ``decide(facts, its date)``, or ``decide``'s problems with the
date's at the column; never a traceback, never a decision on a day the row does not
hold (found by fuzzing the columnar paths with a date per row)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import fact_schema  # noqa: E402
from udbudsregler.testing.boundaries import sample_citizens  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ROOT / "policies" / "slagelse-2019"
#: Day numbers (days since 1970-01-01) a date32 holds beyond Python's calendar: the day
#: before 0001-01-01, the day after 9999-12-31, and the ends of date32.
FAR = {-719163: "0000-12-31", 2932897: "10000-01-01", 2**31 - 1: "5881580-07-11",
       -2**31: "-5877641-06-23"}


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(SLAGELSE)


def _table(policy: Any, n: int, column: str, days: Any) -> Any:
    rows = sample_citizens(policy, date(2019, 6, 1), n, seed=41)
    return pa.Table.from_pylist(rows, schema=fact_schema(policy.graph)).append_column(
        column, days)


def _errors(result: Any) -> list[tuple[int, str, str, str]]:
    return [(e["row"], e["path"], e["code"], e["message"]) for e in result.errors.to_pylist()]


@pytest.mark.parametrize("ignore_validity", [False, True])
@pytest.mark.parametrize("kind", ["date32", "date64"])
def test_a_far_day_is_refused_naming_it_never_decided_on_9999_12_31(
        policy: Any, kind: str, ignore_validity: bool) -> None:
    """A date32 (or date64) column can hold days Python's calendar cannot. They were read
    as 9999-12-31 or 0001-01-01: the row's message named that day (UDB703, "9999-12-31
    is outside the policy's validity" for the day 10000-01-01) and, with
    ``ignore_validity``, the row was decided on 9999-12-31, silently. Each is UDB603
    now, naming the day the column holds; 9999-12-31 itself is a date like any other."""
    numbers = [*FAR, 17_897]  # and 2019-01-01, decided
    if kind == "date32":
        days = pa.array(numbers, pa.int32()).view(pa.date32())
    else:
        days = pa.array([d * 86_400_000 for d in numbers], pa.int64()).view(pa.date64())
    result = policy.decide_table(_table(policy, len(numbers), "decided_on", days),
                                 "decided_on", ignore_validity=ignore_validity)
    assert _errors(result) == [
        (row, "decided_on", "UDB603", f"{FAR[number]} is outside the years 1850-2200")
        for row, number in enumerate(FAR)]
    assert result.decisions.column("row").to_pylist() == [len(FAR)]
    # 9999-12-31 is a day of Python's calendar: decided, or outside the validity
    last = pa.array([date.max, date(2019, 1, 1)], pa.date32())
    result = policy.decide_table(_table(policy, 2, "decided_on", last), "decided_on",
                                 ignore_validity=ignore_validity)
    assert result.decisions.num_rows == (2 if ignore_validity else 1)


def test_a_far_time_is_refused_as_a_time_of_day_naming_it(policy: Any) -> None:
    """A timestamp column beyond Python's calendar (year 10000 in seconds, a Polars
    ``Datetime`` past 9999-12-31) ended ``decide_table`` with an OverflowError, as the
    column of dates and as a fact's column. Each such row is refused as ``decide``
    refuses a date with a time of day (UDB602), its message showing the time held."""
    seconds = [253_402_300_800, -62_135_596_801, 1_559_347_200]  # 10000-01-01, before 1, 2019
    days = pa.array(seconds, pa.int64()).view(pa.timestamp("s"))
    result = policy.decide_table(_table(policy, 3, "decided_on", days), "decided_on")
    held = ["10000-01-01 00:00:00", "0000-12-31 23:59:59", "2019-06-01 00:00:00"]
    assert [(row, path, code) for row, path, code, _ in _errors(result)] == [
        (row, "decided_on", "UDB602") for row in range(3)]
    assert [m.split("(")[2].split(")")[0] for *_, m in _errors(result)] == held
    zoned = pa.array([253_402_300_800_123], pa.int64()).view(pa.timestamp("ms", tz="UTC"))
    result = policy.decide_table(_table(policy, 1, "decided_on", zoned), "decided_on")
    assert "(10000-01-01 00:00:00.123+00:00)" in _errors(result)[0][3]
    # as a fact's column: its row refused at the fact
    table = _table(policy, 3, "decided_on", pa.array([date(2019, 6, 1)] * 3))
    result = policy.decide_table(table.set_column(
        table.column_names.index("birth_date"), "birth_date", days), "decided_on")
    assert [(row, path, code) for row, path, code, _ in _errors(result)] == [
        (row, "birth_date", "UDB602") for row in range(3)]
    assert "(10000-01-01 00:00:00)" in _errors(result)[0][3]


def test_a_json_lines_name_found_only_as_a_text_value_is_refused(policy: Any,
                                                               tmp_path: Path) -> None:
    """``--on jobparat`` (meant: ``decided_on``) on JSON lines whose facts hold the choice
    ``"jobparat"``: the name was taken for a key because its text is in the file, and every
    row was an error (UDB606 at its real date key) instead of the run being refused
    before any row is read, as for a name the file lacks. A key is its text followed by a
    colon; the key of each line's date is found however it is spaced, also across the
    chunks the file is read in."""
    from udbudsregler.columnar import files
    from udbudsregler.columnar.files import PopulationFileError, decide_file
    from udbudsregler.values.canonical import to_json

    rows = sample_citizens(policy, date(2019, 6, 1), 3, seed=42)
    for row in rows:
        row["visitation"] = "jobparat"
    lines = [json.dumps({"id": f"c{i}", "decided_on": "2019-06-03", "facts": to_json(row)})
             for i, row in enumerate(rows)]
    source = tmp_path / "population.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(PopulationFileError, match="`jobparat` is neither a date"):
        decide_file(policy, source, "jobparat", tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()
    assert files.day_field(policy, source, "decided_on") == "decided_on"
    # spaced before its colon; and cut by the end of the first chunk read (4 MiB), in the
    # key or between it and its colon
    spaced = '{"id": "c0", "decided_on" \t : "2019-06-03", "facts": {}}\n'
    source.write_text(spaced, encoding="utf-8")
    assert files.day_field(policy, source, "decided_on") == "decided_on"
    for cut in (spaced.index("on\""), spaced.index(" \t :")):
        padding = (1 << 22) - cut - 1
        source.write_text(" " * padding + "\n" + spaced, encoding="utf-8")
        assert files.day_field(policy, source, "decided_on") == "decided_on", cut


@pytest.mark.parametrize(("kind", "got"), [
    ("duration", "a timedelta"), ("time", "a time"),
    ("zone", "a date with a time of day (2019-06-01 00:00:00+00:00)")])
@pytest.mark.parametrize("where", ["decided_on", "birth_date"])
def test_values_python_cannot_give_are_refused_not_a_traceback(
        policy: Any, kind: str, got: str, where: str) -> None:
    """A column Python cannot read every value of: a duration beyond ``timedelta`` (2**62
    seconds), a ``time64`` past the end of the day, a timestamp in a time zone Python does
    not know (Arrow keeps any name; a Parquet file can carry it). As the column of dates
    or as a fact's, ``decide_table`` ended with an OverflowError or pytz's
    UnknownTimeZoneError; such a value is refused as ``decide`` refuses a value of its
    type (UDB602), at the column, and the row's null is still a null."""
    held = {"duration": pa.array([2**62, None], pa.int64()).view(pa.duration("s")),
            "time": pa.array([2**62, None], pa.int64()).view(pa.time64("us")),
            "zone": pa.array([1_559_347_200, None], pa.int64()).view(
                pa.timestamp("s", tz="Mars/Olympus_Mons"))}[kind]
    table = _table(policy, 2, "decided_on", pa.array([date(2019, 6, 1)] * 2))
    table = table.set_column(table.column_names.index(where), where, held)
    result = policy.decide_table(table, "decided_on")
    assert _errors(result) == [
        (0, where, "UDB602", f"expected a date (YYYY-MM-DD), got {got}" + (
            ": give the date alone (`.date()`; a pandas column: `.dt.date`)"
            if kind == "zone" else "")),
        (1, where, "UDB602", "expected a date (YYYY-MM-DD), got nothing (null)")]


def test_a_refused_date_keeps_the_problem_of_an_id_no_output_can_write(policy: Any) -> None:
    """A row whose id is not UTF-8 is an error at ``id`` (its id null: none can be
    written). With a date ``decide`` refuses as well, the row had the date's error only:
    its id null in the errors table with nothing saying why."""
    ids = pa.array([b"\xff", b"\xff", b"c2"], pa.binary()).view(pa.string())
    table = _table(policy, 3, "decided_on", pa.array(["2019-06-01", "x", "x"])).append_column(
        "cid", ids)
    result = policy.decide_table(table, "decided_on", id="cid")
    unicode = "the text '\\udcff' holds a lone surrogate: it is not valid Unicode"
    refused = "expected a date (YYYY-MM-DD), got the text 'x'"
    assert [(e["row"], e["id"], e["path"], e["code"], e["message"])
            for e in result.errors.to_pylist()] == [
        (0, None, "id", "UDB602", unicode), (1, None, "id", "UDB602", unicode),
        (1, None, "decided_on", "UDB602", refused), (2, "c2", "decided_on", "UDB602", refused)]


def test_a_name_that_is_not_unicode_is_no_key_of_json_lines(policy: Any,
                                                            tmp_path: Path) -> None:
    """``--on`` given bytes that are not UTF-8 (Python reads them as lone surrogates): on
    JSON lines, encoding the name to look for it in the file was a UnicodeEncodeError,
    an internal error (exit 70); it is no key of any line a run reads (such a line is
    not UTF-8), so it is refused as a name the file lacks, as for CSV and Parquet."""
    import io

    from udbudsregler.cli.main import EXIT_INPUT, main
    from udbudsregler.values.canonical import to_json

    rows = sample_citizens(policy, date(2019, 6, 1), 2, seed=43)
    source = tmp_path / "population.jsonl"
    source.write_text("\n".join(json.dumps({"decided_on": "2019-06-03", "facts": to_json(r)})
                                for r in rows) + "\n", encoding="utf-8")
    err = io.StringIO()
    code = main(["decide", str(SLAGELSE), "--population", str(source), "--on", "\udcff\udcfe",
                 "--out", str(tmp_path / "out.parquet")], out=io.StringIO(), err=err)
    assert code == EXIT_INPUT
    assert err.getvalue() == (f"error: {source}: `\\udcff\\udcfe` is neither a date "
                              "(YYYY-MM-DD) nor a key of its lines (beside `facts`); "
                              "expected a date or the name of a column of dates\n")


def test_a_date_arrow_refuses_sends_its_line_the_exact_way_not_its_neighbours(
        policy: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """JSON lines with a date that is not text (a number, an object, true) in every tenth
    line: Arrow refuses such a line as text, and with it every piece of lines it is read
    in, so the whole file was read the exact way (200,000 lines with 20 % such dates: 10.5
    s, not 1.5). Such a line is read the exact way alone; the others by Arrow, with the
    same decisions and errors as the exact way gives."""
    from udbudsregler.columnar import lines as fast_lines
    from udbudsregler.columnar.files import decide_file
    from udbudsregler.values.canonical import to_json

    rows = sample_citizens(policy, date(2019, 6, 1), 400, seed=44)
    odd = ["20190601", "{}", "true", "[1]", "-1.5"]
    source = tmp_path / "population.jsonl"
    days = [odd[i // 10 % 5] if i % 10 == 3 else '"2019-06-03"' for i in range(len(rows))]
    source.write_text("\n".join(
        f'{{"id": "c{i}", "facts": {json.dumps(to_json(row))}, "decided_on" : {day}}}'
        for i, (row, day) in enumerate(zip(rows, days, strict=True))) + "\n",
        encoding="utf-8")
    summary = decide_file(policy, source, "decided_on", tmp_path / "fast.jsonl")
    assert summary.fast_json == 360 and summary.errors == 40
    monkeypatch.setattr(fast_lines, "FAST", False)
    decide_file(policy, source, "decided_on", tmp_path / "exact.jsonl")
    for name in ("", ".errors"):
        assert (tmp_path / f"fast{name}.jsonl").read_bytes() == (
            tmp_path / f"exact{name}.jsonl").read_bytes()
    errors = [json.loads(line) for line in (tmp_path / "exact.errors.jsonl").open()]
    assert {(e["path"], e["code"]) for e in errors} == {("decided_on", "UDB602")}


def test_a_far_day_per_referral_is_refused_by_settle_table(policy: Any) -> None:
    """The same far day as a referral's own ``until`` (a column of ``settle_table``): read
    as 9999-12-31, the referral was settled up to then, silently; it is refused (UDB603,
    naming the day) and the other referral is settled."""
    referrals = pa.table({
        "id": ["R-1", "R-2"], "start": [date(2019, 2, 1), date(2019, 6, 3)],
        "package": ["individuelt_forloeb"] * 2, "supplier": ["marselisborg"] * 2,
        "until": pa.array([2932897, 18500], pa.int32()).view(pa.date32())})
    result = policy.settle_table(referrals, None, until="until")
    assert _errors(result) == [
        (0, "until", "UDB603", "10000-01-01 is outside the years 1850-2200")]
    assert result.totals.column("id").to_pylist() == ["R-2"]
