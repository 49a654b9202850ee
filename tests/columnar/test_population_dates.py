"""``decide --population FILE --on COLUMN``: each citizen of a CSV, Parquet or JSON-lines
file decided on the date in its column (JSON lines: its line's key beside ``facts``), in
batches, as ``decide_table(table, "column")`` decides the same rows, and each decided row
as ``decide(facts, its date)``; a bad date is an error of its row at the column."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from equivalence import expected  # noqa: E402

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.cli.main import EXIT_INPUT, main  # noqa: E402
from udbudsregler.columnar import fact_schema  # noqa: E402
from udbudsregler.columnar import lines as fast_lines  # noqa: E402
from udbudsregler.columnar.files import PopulationFileError, decide_file  # noqa: E402
from udbudsregler.testing.boundaries import sample_citizens  # noqa: E402
from udbudsregler.values.canonical import to_json  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = str(ROOT / "policies" / "slagelse-2019")
N = 400
BATCH = 150  # three batches; in the first two, a date of many rows has 50 of them


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(SLAGELSE)


@pytest.fixture(scope="module")
def citizens(policy: Any) -> list[dict[str, Any]]:
    return sample_citizens(policy, date(2019, 6, 1), N, seed=21)


def _days(n: int) -> list[str | None]:
    """Two dates of many rows and many dates of few rows, as ISO text; a missing date, a
    text written as a date that the calendar lacks, text that is not a date, and a date
    outside the policy's validity (2019-2021)."""
    days: list[str | None] = [
        "2019-02-01" if i % 3 == 0 else "2020-06-03" if i % 3 == 1
        else (date(2019, 1, 1) + timedelta(days=i % 290)).isoformat() for i in range(n)]
    days[3], days[4], days[5], days[7] = None, "2019-02-30", "1990-01-01", "20190201"
    return days


def _table(policy: Any, rows: list[dict[str, Any]], days: list[Any]) -> Any:
    table = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph))
    return table.append_column("decided_on", pa.array(days, type=pa.string())).append_column(
        "id", pa.array([f"c{i}" for i in range(len(rows))]))


def _cell(value: Any) -> str:
    if isinstance(value, list | dict):
        return json.dumps(to_json(value))
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(to_json(value))


def _write(policy: Any, kind: str, rows: list[dict[str, Any]], days: list[Any],
           folder: Path) -> Path:
    """The rows as a population file of ``kind``, each with its date (``decided_on``)."""
    if kind == "parquet":
        path = folder / "population.parquet"
        pq.write_table(_table(policy, rows, days), path, row_group_size=64)
        return path
    if kind == "csv":
        names = list(policy.graph.facts)
        text = ["id,decided_on," + ",".join(names)]
        text += [f"c{i}," + ",".join(
            '"' + _cell(x).replace('"', '""') + '"' for x in [day, *(c[n] for n in names)])
            for i, (c, day) in enumerate(zip(rows, days, strict=True))]
        path = folder / "population.csv"
        path.write_text("\n".join(text) + "\n", encoding="utf-8")
        return path
    path = folder / "population.jsonl"
    lines = []
    for i, (c, day) in enumerate(zip(rows, days, strict=True)):
        line: dict[str, Any] = {"id": f"c{i}", "facts": to_json(c)}
        if day is not None:  # a missing date: no key (an explicit null is read alike)
            line["decided_on"] = day
        if i % 2:  # the date key first, and last
            line = {"decided_on": line.pop("decided_on", None), **line}
        lines.append(json.dumps(line))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _read(path: Path) -> list[dict[str, Any]]:
    return list(pq.read_table(path).to_pylist())


def _agree(policy: Any, rows: list[dict[str, Any]], days: list[Any], out: Path) -> None:
    """The decisions and errors written are ``decide_table``'s of the same rows, row for
    row; each decided row is ``decide(facts, its date)``, each other has ``decide``'s
    problems, a bad date's at the column."""
    want = policy.decide_table(_table(policy, rows, days), "decided_on", id="id")
    decided = _read(out)
    errors = _read(out.with_name(out.stem + ".errors" + out.suffix))
    assert decided == want.decisions.to_pylist()
    assert errors == want.errors.to_pylist()
    by_row = {d["row"]: d for d in decided}
    bad: dict[int, list[tuple[str, str, str]]] = {}
    for e in errors:
        bad.setdefault(e["row"], []).append((e["path"], e["code"], e["message"]))
    for i, facts in enumerate(rows):
        kind, expect = expected(policy, facts, days[i])
        if kind == "errors":  # the date's problems at the column
            expect = sorted(("decided_on" if path == "on" or code == "UDB703" else path,
                             code, message) for path, code, message in expect)
            assert i not in by_row and sorted(bad[i]) == expect, (i, days[i])
        else:
            assert i not in bad, (i, bad.get(i))
            assert {k: by_row[i][k] for k in expect} == expect, (i, days[i])
            assert by_row[i]["id"] == f"c{i}"
    assert [e["code"] for e in errors if e["row"] in (3, 4, 5, 7)] == [
        "UDB602", "UDB603", "UDB703", "UDB602"]


@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl"])
def test_each_row_on_its_own_date(policy: Any, citizens: list[dict[str, Any]], kind: str,
                                  tmp_path: Path) -> None:
    days = _days(N)
    source = _write(policy, kind, citizens, days, tmp_path)
    out = tmp_path / "decisions.parquet"
    summary = decide_file(policy, source, "decided_on", out, batch_rows=BATCH)
    assert summary.rows == N and summary.errors == 4
    assert summary.columnar == summary.decided  # each batch one columnar run
    if kind == "jsonl":
        assert summary.fast_json > N / 2  # most lines read by Arrow's JSON reader
    _agree(policy, citizens, days, out)
    # the dates matter: on one date for all, many rows decide otherwise
    one = policy.decide_table(_table(policy, citizens, days).drop_columns(["decided_on"]),
                              "2019-02-01", id="id").decisions.to_pylist()
    by_row = {d["row"]: d for d in _read(out)}
    assert sum(d != by_row.get(d["row"]) for d in one) > N / 8


@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl"])
def test_a_refused_date_has_the_facts_problems_too(policy: Any,
                                                   citizens: list[dict[str, Any]],
                                                   kind: str, tmp_path: Path) -> None:
    """A row whose date ``decide`` refuses, with facts it refuses too, has ``decide``'s
    problems of both (a date outside the validity: of the facts only), in every file
    kind and batch size, read by Arrow or the exact way."""
    rows = [dict(c) for c in citizens[:40]]
    days = _days(len(rows))
    days[20], days[21], days[22] = "1990-01-01", "2019-02-30", None
    for i in (20, 21, 22, 23):
        rows[i]["visitation"] = "x"
    source = _write(policy, kind, rows, days, tmp_path)
    for size in (1, 7, 40):
        out = tmp_path / f"decisions-{size}.parquet"
        decide_file(policy, source, "decided_on", out, batch_rows=size)
        errors = {(e["row"], e["path"], e["code"])
                  for e in _read(out.with_name(out.stem + ".errors.parquet"))}
        assert {(20, "visitation", "UDB605"), (21, "decided_on", "UDB603"),
                (21, "visitation", "UDB605"), (22, "visitation", "UDB605"),
                (5, "decided_on", "UDB703")} <= errors
        assert (20, "decided_on", "UDB703") not in errors
        _agree(policy, rows, days, out)


def test_json_lines_fast_and_exact_agree(policy: Any, citizens: list[dict[str, Any]],
                                        tmp_path: Path, monkeypatch: Any) -> None:
    """Read by Arrow or the exact way, the same rows; the key's value as another JSON type
    (a number, an object), or with facts that decide refuses, an error of its row; a line
    without a wrapper has no date."""
    rows = citizens[:120]
    days = _days(len(rows))
    source = _write(policy, "jsonl", rows, days, tmp_path)
    lines = source.read_text(encoding="utf-8").splitlines()
    lines[10] = json.dumps({"id": "c10", "decided_on": 20190201, "facts": to_json(rows[10])})
    lines[11] = json.dumps({"id": "c11", "decided_on": {"d": 1}, "facts": to_json(rows[11])})
    spoilt = to_json(rows[40])  # (a line Arrow reads: the lines near 10-14 it refuses)
    spoilt["offers"] = [{**o, "weekly_hours": -7.50} for o in spoilt["offers"]] or [
        {"kind": "loentilskud", "weekly_hours": -7.50, "from": "2019-01-01", "to": None}]
    lines[40] = json.dumps({"id": "c40", "decided_on": "2019-03-04", "facts": spoilt}
                           ).replace("-7.5,", "-7.50,")
    lines[13] = json.dumps(to_json(rows[13]))  # not wrapped: no date
    lines[14] = json.dumps({"id": "c14", "decided_on": "2019-03-04", "note": "x",
                            "facts": to_json(rows[14])})
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outputs = []
    for fast in (True, False):
        monkeypatch.setattr(fast_lines, "FAST", fast)
        out = tmp_path / f"decisions-{fast}.parquet"
        summary = decide_file(policy, source, "decided_on", out, batch_rows=60)
        assert (summary.fast_json > 60) is fast
        outputs.append((_read(out), _read(out.with_name(out.stem + ".errors.parquet"))))
    assert outputs[0] == outputs[1]
    decided, errors = outputs[0]
    bad = {e["row"]: (e["path"], e["code"], e["message"]) for e in errors}
    assert bad[10] == ("decided_on", "UDB602",
                       "expected a date (YYYY-MM-DD), got the number 20190201")
    assert bad[11] == ("decided_on", "UDB602", "expected a date (YYYY-MM-DD), got a mapping")
    assert bad[40][1:] == ("UDB602", "expected a number of hours >= 0, got the number -7.50")
    assert bad[13] == ("decided_on", "UDB602", "expected a date (YYYY-MM-DD), got nothing "
                       "(null)")
    assert 14 not in bad  # `note` and the date key beside `facts`
    assert {d["row"] for d in decided} | set(bad) == set(range(len(rows)))


def test_the_date_key_is_refused_where_it_is_not_the_date(policy: Any, tmp_path: Path
                                                          ) -> None:
    """With a date, a line's key `decided_on` is still an unknown key (UDB606)."""
    rows = sample_citizens(policy, date(2019, 6, 1), 3, seed=4)
    source = _write(policy, "jsonl", rows, ["2019-06-03"] * 3, tmp_path)
    out = tmp_path / "decisions.parquet"
    summary = decide_file(policy, source, "2019-06-03", out)
    assert summary.errors == 3
    assert {e["code"] for e in _read(tmp_path / "decisions.errors.parquet")} == {"UDB606"}


def test_a_column_of_a_facts_name_is_the_fact_and_the_date(policy: Any,
                                                          citizens: list[dict[str, Any]],
                                                          tmp_path: Path) -> None:
    """`--on birth_date`: each row decided on its birth date (outside the validity but for
    those born in 2019-2021), as decide_table does it."""
    rows = citizens[:60]
    source = _write(policy, "csv", rows, ["2019-06-03"] * len(rows), tmp_path)
    lines = source.read_text(encoding="utf-8").splitlines()  # no column decided_on
    assert all(line.count(',"2019-06-03",') == 1 for line in lines[1:])
    source.write_text("\n".join([lines[0].replace("id,decided_on,", "id,"), *(
        line.replace(',"2019-06-03",', ",") for line in lines[1:])]) + "\n", encoding="utf-8")
    out = tmp_path / "decisions.parquet"
    decide_file(policy, source, "birth_date", out)
    table = _table(policy, rows, ["2019-06-03"] * len(rows)).drop_columns(["decided_on"])
    want = policy.decide_table(table, "birth_date", id="id")
    assert _read(out) == want.decisions.to_pylist()
    assert _read(tmp_path / "decisions.errors.parquet") == want.errors.to_pylist()
    assert want.errors.num_rows and {e["path"] for e in want.errors.to_pylist()} == {
        "birth_date"}


@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl"])
def test_neither_a_date_nor_a_column(policy: Any, citizens: list[dict[str, Any]], kind: str,
                                    tmp_path: Path) -> None:
    source = _write(policy, kind, citizens[:5], ["2019-06-03"] * 5, tmp_path)
    with pytest.raises(PopulationFileError, match=r"is neither a date .* nor"):
        decide_file(policy, source, "decided", tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl"])
def test_the_command_line(policy: Any, citizens: list[dict[str, Any]], kind: str,
                          tmp_path: Path, capsys: Any) -> None:
    days = _days(N)
    source = _write(policy, kind, citizens, days, tmp_path)
    out = tmp_path / "decisions.parquet"
    base = ["decide", SLAGELSE, "--population", str(source), "--out", str(out)]
    code, _, _ = _run(*base, "--on", "decided_on", "--batch-size", str(BATCH))
    assert code == EXIT_INPUT  # (rows with errors)
    assert "400 rows: 396 decided, 4 with errors" in capsys.readouterr().err
    _agree(policy, citizens, days, out)
    # a name the file has not: one line naming the file; a date the calendar lacks is
    # the date's error, not a column's
    code, _, err = _run(*base, "--on", "decidedon")
    assert code == EXIT_INPUT and "Traceback" not in err and err.count("\n") == 1
    assert err.startswith(f"error: {source}: `decidedon` is neither a date (YYYY-MM-DD) "
                          "nor ")
    assert err.endswith("; expected a date or the name of a column of dates\n")
    code, _, err = _run(*base, "--on", "2019-02-30")
    assert code == EXIT_INPUT
    assert err == ("error: udbudsregler decide: argument --on: `2019-02-30` is not a date "
                   "written as YYYY-MM-DD\n")


def test_without_population_on_is_a_date(tmp_path: Path) -> None:
    citizen = str(ROOT / "examples" / "data" / "citizen.json")
    code, out, err = _run("decide", SLAGELSE, citizen, "--on", "decided_on")
    assert (code, out) == (EXIT_INPUT, "")
    assert err == ("error: udbudsregler decide: argument --on: `decided_on` is not a date "
                   "written as YYYY-MM-DD\n")
    code, out, _ = _run("decide", SLAGELSE, citizen, "--on", "2019-06-03")
    assert code == 0 and "eligible:" in out


def test_a_json_lines_key_of_the_wrapper_is_refused(policy: Any, tmp_path: Path) -> None:
    rows = sample_citizens(policy, date(2019, 6, 1), 2, seed=4)
    source = _write(policy, "jsonl", rows, ["2019-06-03"] * 2, tmp_path)
    code, _, err = _run("decide", SLAGELSE, "--population", str(source), "--out",
                        str(tmp_path / "o.parquet"), "--on", "order")
    assert code == EXIT_INPUT and "is a key of the wrapper" in err


def test_json_lines_read_by_arrow_are_not_parsed_again(policy: Any,
                                                       citizens: list[dict[str, Any]],
                                                       tmp_path: Path,
                                                       monkeypatch: Any) -> None:
    """The lines Arrow's JSON reader read are parsed the exact way only for the rows
    decided per record (and one row of each outcome): with a date per row as with one
    date. Before, every line of a batch was parsed again to hand the rows' facts on
    (5.5 s against 1.3 s for 200,000 Slagelse lines)."""
    days = [(date(2019, 1, 1) + timedelta(days=i % 290)).isoformat() for i in range(N)]
    source = _write(policy, "jsonl", citizens, days, tmp_path)
    parsed: list[str] = []
    read_line = fast_lines.read_line

    def counted(text: str) -> Any:
        parsed.append(text)
        return read_line(text)

    monkeypatch.setattr(fast_lines, "read_line", counted)
    summary = decide_file(policy, source, "decided_on", tmp_path / "out.parquet",
                          batch_rows=BATCH)
    assert summary.fast_json == N and summary.decided == N
    assert len(parsed) < N / 4, len(parsed)
