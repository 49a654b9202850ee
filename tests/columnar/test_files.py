"""Population files: JSON lines, CSV and Parquet in small batches agree with per-record
decide on every row; bad rows are errors with decide's codes; the command line writes
Parquet and JSON lines."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from equivalence import expected  # noqa: E402

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.cli.main import main  # noqa: E402
from udbudsregler.columnar import fact_schema  # noqa: E402
from udbudsregler.columnar.files import decide_file  # noqa: E402
from udbudsregler.runtime.inputs import read_json  # noqa: E402
from udbudsregler.testing.boundaries import sample_citizens  # noqa: E402
from udbudsregler.values.canonical import to_json  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ON = date(2019, 2, 1)


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(ROOT / "policies" / "slagelse-2019")


def _lines(policy: Any) -> list[str]:
    rows = sample_citizens(policy, ON, 120, seed=7)
    lines = [json.dumps({"id": f"c{i}", "facts": to_json(c)}) for i, c in enumerate(rows)]
    lines[5] = "{not json"
    lines[17] = json.dumps({"id": "c17", "facts": {**to_json(rows[17]), "shoe": 42}})
    lines[30] = json.dumps({"id": "c30", "facts": {**to_json(rows[30]),
                                                   "birth_date": "1700-01-01"}})
    lines[31] = '{"id": "c31", "facts": {"visitation": "jobparat", "visitation": "x"}}'
    return lines


def _check(policy: Any, lines: list[str], out: Path) -> None:
    decisions = {r["row"]: r for r in _read(out)}
    errors: dict[int, list[tuple[str, str, str]]] = {}
    for e in _read(out.with_name(out.stem + ".errors" + out.suffix)):
        errors.setdefault(e["row"], []).append((e["path"], e["code"], e["message"]))
    for row, line in enumerate(lines):
        try:
            data = read_json(line)
        except Exception:
            assert errors.get(row) and row not in decisions
            continue
        kind, want = expected(policy, data["facts"], ON)
        if kind == "errors":
            assert sorted(errors[row]) == want, row
        else:
            got = decisions[row]
            assert got["id"] == data["id"]
            assert {k: got[k] for k in want} == want, row


def _read(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        return list(pq.read_table(path).to_pylist())
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_json_lines_in_small_batches(policy: Any, tmp_path: Path, suffix: str) -> None:
    lines = _lines(policy)
    source = tmp_path / "population.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / f"decisions{suffix}"
    summary = decide_file(policy, source, ON, out, batch_rows=16)
    assert summary.rows == len(lines)
    assert summary.errors == 4
    _check(policy, lines, out)


def test_parquet_in_batches(policy: Any, tmp_path: Path) -> None:
    rows = sample_citizens(policy, ON, 100, seed=8)
    table = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph))
    table = table.append_column("id", pa.array([f"c{i}" for i in range(100)]))
    source = tmp_path / "population.parquet"
    pq.write_table(table, source, row_group_size=10)
    out = tmp_path / "decisions.parquet"
    decide_file(policy, source, ON, out, batch_rows=7)
    lines = [json.dumps({"id": f"c{i}", "facts": to_json(c)}) for i, c in enumerate(rows)]
    _check(policy, lines, out)


def _cells(citizen: dict[str, Any], names: list[str], indent: int | None = None
           ) -> dict[str, str]:
    """A citizen's facts as CSV cells: lists and records as JSON text (``indent``: over
    many lines), true/false as `true`/`false`, the rest as JSON gives them."""
    return {n: json.dumps(to_json(citizen[n]), indent=indent)
            if isinstance(citizen[n], list | dict) else str(to_json(citizen[n])).lower()
            if isinstance(citizen[n], bool) else str(to_json(citizen[n])) for n in names}


def _csv_row(ident: str, cells: Any) -> str:
    """A CSV line: the id, then each cell quoted."""
    return f"{ident}," + ",".join('"' + x.replace('"', '""') + '"' for x in cells)


def _decide_csv(policy: Any, tmp_path: Path, text: list[str], on: date = ON
                ) -> tuple[Any, list[dict[str, Any]]]:
    """The lines ``text`` decided as a CSV file: the summary and the errors written."""
    source = tmp_path / "population.csv"
    source.write_text("\n".join(text) + "\n", encoding="utf-8")
    summary = decide_file(policy, source, on, tmp_path / "decisions.jsonl")
    return summary, _read(tmp_path / "decisions.errors.jsonl")


def test_csv(policy: Any, tmp_path: Path) -> None:
    rows = sample_citizens(policy, ON, 40, seed=9)
    names = list(policy.graph.facts)
    text = ["id," + ",".join(names)]
    text += [_csv_row(f"c{i}", _cells(c, names).values()) for i, c in enumerate(rows)]
    source = tmp_path / "population.csv"
    source.write_text("\n".join(text) + "\n", encoding="utf-8")
    out = tmp_path / "decisions.jsonl"
    summary = decide_file(policy, source, ON, out, batch_rows=9)
    assert summary.rows == 40 and summary.errors == 0
    lines = [json.dumps({"id": f"c{i}", "facts": to_json(c)}) for i, c in enumerate(rows)]
    _check(policy, lines, out)


def _long_history_csv(policy: Any, tmp_path: Path, indent: int | None) -> tuple[Path, list[str]]:
    """Three citizens as CSV, the second with a history of 3,000 records, its cell over
    the csv module's own limit of 131,072 characters (on one line, or, with ``indent``,
    over thousands of lines); and the three as JSON lines."""
    rows = sample_citizens(policy, ON, 3, seed=9)
    rows[1]["benefits"] = [{"kind": "kontanthjaelp", "from": date(2015, 1, 1),
                            "to": date(2015, 1, 2)}] * 3000
    names = list(policy.graph.facts)
    text = ["id," + ",".join(names)]
    text += [_csv_row(f"c{i}", _cells(c, names, indent).values())
             for i, c in enumerate(rows)]
    source = tmp_path / "population.csv"
    source.write_text("\n".join(text) + "\n", encoding="utf-8")
    assert len(text[2]) > 131_072
    return source, [json.dumps({"id": f"c{i}", "facts": to_json(c)})
                    for i, c in enumerate(rows)]


@pytest.mark.parametrize("indent", [None, 1])
def test_csv_a_cell_longer_than_the_csv_modules_limit(policy: Any, tmp_path: Path,
                                                      indent: int | None) -> None:
    """A cell of a long history (as a JSON line may hold) is read: before, it was an error
    row (the csv module stops at 131,072 characters), and, written over many lines, every
    line of it an error row too, and the rows after it numbered wrongly (c2 was row 6,706
    of the decisions, not 2)."""
    from udbudsregler.analysis.population import read_population

    source, lines = _long_history_csv(policy, tmp_path, indent)
    out = tmp_path / "decisions.jsonl"
    summary = decide_file(policy, source, ON, out, batch_rows=2)
    assert summary.rows == 3 and summary.errors == 0
    _check(policy, lines, out)
    population = read_population(source, {n: f.spec for n, f in policy.graph.facts.items()})
    assert [r.id for r in population.rows] == ["c0", "c1", "c2"] and not population.bad


def test_csv_a_cell_over_the_limit_is_a_file_error(policy: Any, tmp_path: Path,
                                                   monkeypatch: Any) -> None:
    """A cell over the limit (most likely a quote never closed) refuses the file, at the
    line its row starts on, in both readers: the csv module gives up inside the cell, and
    read on, each line of it was an error row and every row after it numbered wrongly."""
    import csv

    from udbudsregler.analysis.population import PopulationError, read_population
    from udbudsregler.columnar import cells
    from udbudsregler.columnar.files import PopulationFileError

    source, _ = _long_history_csv(policy, tmp_path, 1)
    assert source.read_text(encoding="utf-8").splitlines()[30].startswith("c1,")
    monkeypatch.setattr(cells, "MAX_CELL_CHARS", 100_000)
    limit = csv.field_size_limit(100_000)  # (the module's limit is the process's)
    try:
        message = ("population.csv: line 31: a cell longer than 100,000 characters "
                   "[(]a quote that is never closed[?][)]; the rest of the file cannot be "
                   "read as CSV")
        with pytest.raises(PopulationFileError, match=message):
            decide_file(policy, source, ON, tmp_path / "decisions.jsonl")
        with pytest.raises(PopulationError, match=message):
            read_population(source, {n: f.spec for n, f in policy.graph.facts.items()})
    finally:
        csv.field_size_limit(limit)


def test_csv_bytes_that_are_not_utf8(policy: Any, tmp_path: Path) -> None:
    """A row with a byte that is not UTF-8 is an error of its line (the others are
    decided); a header that is not UTF-8 is a file error, not a crash."""
    from udbudsregler.columnar.files import PopulationFileError

    rows = sample_citizens(policy, ON, 4, seed=9)
    names = list(policy.graph.facts)
    lines = [("id," + ",".join(names)).encode()]
    lines += [_csv_row(f"c{i}", _cells(c, names).values()).encode()
              for i, c in enumerate(rows)]
    lines[2] = lines[2].replace(b"c1,", b"c1\xff,", 1)
    source = tmp_path / "population.csv"
    source.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "decisions.jsonl"
    summary = decide_file(policy, source, ON, out)
    assert (summary.rows, summary.decided, summary.errors) == (4, 3, 1)
    errors = [json.loads(x) for x in (tmp_path / "decisions.errors.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert [(e["row"], e["code"], e["message"]) for e in errors] == [
        (1, "UDB608", "line 3: not UTF-8 text")]
    source.write_bytes(b"id\xfe," + b"\n".join(lines)[3:] + b"\n")
    with pytest.raises(PopulationFileError, match="the first line is not UTF-8 text"):
        decide_file(policy, source, ON, out)


def test_csv_cells_that_cannot_be_read_name_their_column(policy: Any, tmp_path: Path
                                                        ) -> None:
    """A cell that is not a value of its fact (a true/false cell of `Y`, a history cell
    that is not JSON) is an error at the column's name (the path), UDB608, with the line;
    before, the path was empty and the column only in the message. The spellings of true
    and false a cell may have are those of ``cells.cell_value``."""
    rows = sample_citizens(policy, ON, 3, seed=9)
    names = list(policy.graph.facts)
    text = ["id," + ",".join(names)]
    for i, c in enumerate(rows):
        cells = _cells(c, names)
        if i == 1:
            cells["subject_to_225_rule"], cells["benefits"] = "Y", "not json"
        if i == 2:
            cells["subject_to_225_rule"] = "ja"
        text.append(_csv_row(f"c{i}", cells.values()))
    summary, errors = _decide_csv(policy, tmp_path, text)
    assert (summary.rows, summary.decided, summary.errors) == (3, 2, 1)
    assert [(e["row"], e["id"], e["path"], e["code"], e["message"]) for e in errors] == [
        (1, "c1", "benefits", "UDB608", "line 3: not valid JSON: Expecting value"),
        (1, "c1", "subject_to_225_rule", "UDB608", "line 3: `Y` is not true or false")]


def test_csv_a_whole_number_is_ascii_digits_within_the_input_limits(tmp_path: Path) -> None:
    """A whole number's cell is read as ASCII digits: digits of other scripts (`١٢`,
    `１２`) are text, which `decide` refuses (UDB602); before, `int` read them as 12,
    silently. A cell of more digits than a JSON line may hold is an error at its column
    with the JSON line's words; before, it was Python's "Exceeds the limit (4300 digits)
    for integer string conversion"."""
    from udbudsregler.analysis.population import read_population
    from udbudsregler.columnar.cells import cell_value

    peer = load_policy(ROOT / "benchmarks" / "peer-policy")
    on = peer.header.valid.from_
    specs = {n: f.spec for n, f in peer.graph.facts.items()}
    assert [cell_value(c, specs["age"]) for c in ("12", " +12 ", "-0", "١٢", "１２")] == [
        12, 12, 0, "١٢", "１２"]
    rows = sample_citizens(peer, on, 3, seed=9)
    names = list(peer.graph.facts)
    text = ["id," + ",".join(names)]
    for i, c in enumerate(rows):
        cells = _cells(c, names)
        cells["age"] = ["41", "١٢", "7" * 5000][i]
        text.append(_csv_row(f"c{i}", cells.values()))
    summary, errors = _decide_csv(peer, tmp_path, text, on)
    assert (summary.rows, summary.decided, summary.errors) == (3, 1, 2)
    assert [(e["row"], e["path"], e["code"], e["message"]) for e in errors] == [
        (1, "age", "UDB602", "expected a whole number, got the text '١٢'"),
        (2, "age", "UDB608", "line 4: a whole number of 5,000 characters is beyond the "
                             "limits of a number (less than 10^18 in size)")]
    population = read_population(tmp_path / "population.csv", specs)
    assert [r.line for r in population.rows] == [2, 3]
    assert population.rows[1].facts["age"] == "١٢"
    assert [b.problems for b in population.bad] == [(
        "age: UDB608: a whole number of 5,000 characters is beyond the limits of a number "
        "(less than 10^18 in size)",)]


@pytest.mark.parametrize(("header", "column"), [
    ("id,birth_date,visitation,birth_date", "birth_date"),
    ("id,birth_date, id", "id"),
])
def test_csv_a_column_named_twice_is_a_file_error(policy: Any, tmp_path: Path, header: str,
                                                  column: str) -> None:
    """A first line naming a column twice (a fact, or the id) is refused before any row
    is read, by both readers of population files; before, the last column's value was
    kept silently (a JSON key given twice is refused, UDB609)."""
    from udbudsregler.analysis.population import PopulationError, read_population
    from udbudsregler.columnar.files import PopulationFileError

    source = tmp_path / "population.csv"
    source.write_text(header + "\n" + ",".join(
        ["c0", "1990-01-01", "aktivitetsparat", "1991-01-01"][:header.count(",") + 1])
        + "\n", encoding="utf-8")
    message = f"population.csv: the first line names the column `{column}` twice"
    with pytest.raises(PopulationFileError, match=message):
        decide_file(policy, source, ON, tmp_path / "decisions.jsonl")
    with pytest.raises(PopulationError, match=message):
        read_population(source)


@pytest.mark.parametrize(("mark", "marks"), [(";", "semicolons"), ("\t", "tabs")])
def test_csv_separated_by_semicolons_or_tabs_is_a_file_error(policy: Any, tmp_path: Path,
                                                            mark: str, marks: str) -> None:
    """A file separated by semicolons (as a spreadsheet set to Danish saves CSV) or tabs
    is refused before any row is read, by both readers, saying so; before, each row was
    one unknown fact and every fact missing (UDB606 and UDB601 on every row)."""
    from udbudsregler.analysis.population import PopulationError, read_population
    from udbudsregler.columnar.files import PopulationFileError

    source = tmp_path / "population.csv"
    names = ["id", *policy.graph.facts]
    source.write_text(mark.join(names) + "\n" + mark.join(
        ["c0", "1980-01-01", "aktivitetsparat", "[]", "[]", "true"]) + "\n",
        encoding="utf-8")
    message = f"population.csv: the first line is one column of names separated by {marks}"
    with pytest.raises(PopulationFileError, match=message):
        decide_file(policy, source, ON, tmp_path / "decisions.jsonl")
    with pytest.raises(PopulationError, match=message):
        read_population(source)


@pytest.mark.parametrize("column", ["birth_date", "id"])
def test_parquet_a_column_named_twice_is_a_file_error(policy: Any, tmp_path: Path,
                                                      column: str) -> None:
    """A Parquet file with two columns of one name (a fact, or the id) is refused before
    any row is read, by both readers of population files, in one line; before, `decide
    --population` was an internal error (exit 70, `KeyError: Field "birth_date" exists 2
    times in schema`) and `diff --population` printed Arrow's schema over many lines."""
    from udbudsregler.analysis.population import PopulationError, read_population
    from udbudsregler.columnar.files import PopulationFileError

    rows = sample_citizens(policy, ON, 3, seed=9)
    table = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph))
    table = table.append_column("id", pa.array(["a", "b", "c"]))
    table = table.append_column(column, table.column(column))
    source = tmp_path / "population.parquet"
    pq.write_table(table, source)
    message = f"population.parquet: the file has two columns named `{column}`$"
    with pytest.raises(PopulationFileError, match=message):
        decide_file(policy, source, ON, tmp_path / "decisions.jsonl")
    with pytest.raises(PopulationError, match=message):
        read_population(source)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["population.parquet"]


def test_a_fact_named_id_is_a_fact_in_every_kind_of_file(tmp_path: Path) -> None:
    """A policy with a fact `id` (a case number): in a JSON line's facts, a CSV file's
    `id` column and a Parquet file's, `id` is that fact (a wrapper's `id` is still the
    row's id); every row is decided as `decide` decides its facts. Before, JSON lines and
    CSV were an internal error (`KeyError: Field "id" exists 2 times in schema`: the
    rows' ids were put beside the fact in a column of its name), every Parquet row was
    refused ("id: missing": the column was taken for the ids) and `diff --population`
    dropped the fact from each Parquet row."""
    from udbudsregler.analysis.population import read_population

    policy = load_policy(Path(__file__).parent / "data" / "id-fact")
    specs = {n: f.spec for n, f in policy.graph.facts.items()}
    (tmp_path / "p.jsonl").write_text(
        '{"id": "K-1", "age": 40}\n{"id": "r1", "facts": {"id": "K-2", "age": 20}}\n'
        '{"age": 50}\n', encoding="utf-8")
    (tmp_path / "p.csv").write_text("id,age\nK-1,40\nK-2,20\n,50\n", encoding="utf-8")
    pq.write_table(pa.table({"id": ["K-1", "K-2", None], "age": [40, 20, 50]}),
                   tmp_path / "p.parquet")
    facts = [{"id": "K-1", "age": 40}, {"id": "K-2", "age": 20}, {"id": None, "age": 50}]
    for name, ids in (("p.jsonl", [None, "r1", None]), ("p.csv", [None, None, None]),
                      ("p.parquet", None)):
        # (the last line has no `id`: missing, UDB601, as a CSV row's empty cell is; a
        # Parquet null is null, UDB602)
        last = facts[2] if name == "p.parquet" else {"age": 50}
        want = [expected(policy, f, ON) for f in [*facts[:2], last]]
        out = tmp_path / f"{name}.out.jsonl"
        summary = decide_file(policy, tmp_path / name, ON, out, values=("case",))
        assert (summary.rows, summary.decided, summary.errors) == (3, 2, 1), name
        decided = {d["row"]: d for d in _read(out)}
        errors = [(e["row"], e["path"], e["code"], e["message"])
                  for e in _read(tmp_path / f"{name}.out.errors.jsonl")]
        for row, (kind, value) in enumerate(want):
            if kind == "errors":
                assert [e[1:] for e in errors if e[0] == row] == value, name
            else:
                assert {k: decided[row][k] for k in value} == value, name
                assert decided[row]["case"] == facts[row]["id"]
        assert ("id" in decided[0]) == (ids is not None), name
        if ids is not None:
            assert [decided[r]["id"] for r in (0, 1)] == ids[:2], name
    population = read_population(tmp_path / "p.parquet", specs)
    assert [(r.id, r.facts) for r in population.rows] == [(None, f) for f in facts]


def test_a_population_that_is_not_a_file_says_what_it_is(policy: Any, tmp_path: Path,
                                                         capsys: Any) -> None:
    """A folder, or a device such as /dev/null, given as the population: one line saying
    what it is, from `decide --population` and `diff --population` alike; before, "no
    such file" for a path that exists."""
    folder = tmp_path / "citizens.jsonl"
    folder.mkdir()
    slagelse = str(ROOT / "policies" / "slagelse-2019")
    cases = [(str(folder), "is a folder, not a file"),
             (str(tmp_path / "missing.csv"), "no such file")]
    if Path("/dev/null").exists():
        cases.append(("/dev/null", "is not a regular file (a pipe or a device); give a file"))
    for path, why in cases:
        for args in (["decide", slagelse, "--population", path, "--on", "2019-02-01",
                      "--out", str(tmp_path / "decisions.jsonl")],
                     ["diff", slagelse, slagelse, "--population", path, "--on",
                      "2019-02-01", "--citizens", "0"]):
            assert main(args) == 2
            assert capsys.readouterr().err == f"error: {path}: {why}\n", args


def test_command_line(policy: Any, tmp_path: Path, capsys: Any) -> None:
    source = tmp_path / "population.jsonl"
    source.write_text("\n".join(_lines(policy)) + "\n", encoding="utf-8")
    out = tmp_path / "decisions.parquet"
    code = main(["decide", str(ROOT / "policies" / "slagelse-2019"), "--population",
                 str(source), "--on", "2019-02-01", "--out", str(out), "--batch-size", "50"])
    assert code == 2  # some rows could not be decided; the rest are written
    err = capsys.readouterr().err
    assert "120 rows: 116 decided, 4 with errors" in err
    assert f"the errors are in {tmp_path / 'decisions.errors.parquet'}" in err
    assert "\r" not in err  # no progress bar when stderr is not a terminal
    assert pq.read_table(out).num_rows == 116
    assert main(["decide", str(ROOT / "policies" / "slagelse-2019"), "--population",
                 str(source), "--on", "2019-02-01"]) == 2  # --out missing


@pytest.mark.parametrize(("out", "errors"), [("decisions.csv", None), ("decisions", None),
                                             ("decisions.jsonl", "errors.csv")])
def test_command_line_writes_only_parquet_and_json_lines(
        policy: Any, tmp_path: Path, capsys: Any, out: str, errors: str | None) -> None:
    """An output named for another format is bad input (exit 2) before anything is
    written; before, `--out decisions.csv` wrote JSON lines into it."""
    source = tmp_path / "population.jsonl"
    source.write_text("\n".join(_lines(policy)) + "\n", encoding="utf-8")
    base = ["decide", str(ROOT / "policies" / "slagelse-2019"), "--population", str(source),
            "--on", "2019-02-01"]
    given = ["--errors", str(tmp_path / errors)] if errors is not None else []
    assert main([*base, "--out", str(tmp_path / out), *given]) == 2
    err = capsys.readouterr().err
    assert "are written as Parquet (.parquet, .pq) or JSON lines (.jsonl, .ndjson)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["population.jsonl"]
    for name in ("decisions.ndjson", "decisions.PQ"):  # exit 2: some rows have errors
        assert main([*base, "--out", str(tmp_path / name)]) == 2
        assert (tmp_path / name).exists()


def test_command_line_columns(policy: Any, tmp_path: Path, capsys: Any) -> None:
    """--columns writes only the decision columns named (row and id always); a name that
    is not a column is bad input (exit 2) naming the columns."""
    source = tmp_path / "population.jsonl"
    source.write_text("\n".join(_lines(policy)) + "\n", encoding="utf-8")
    out = tmp_path / "decisions.parquet"
    args = ["decide", str(ROOT / "policies" / "slagelse-2019"), "--population", str(source),
            "--on", "2019-02-01", "--out", str(out)]
    assert main([*args, "--columns", "area, eligible"]) == 2  # 4 rows with errors
    part = pq.read_table(out)
    assert part.column_names == ["row", "id", "eligible", "area"]
    assert main(args) == 2
    full = pq.read_table(out)
    for name in part.column_names:
        assert part.column(name).equals(full.column(name)), name
    capsys.readouterr()
    assert main([*args, "--columns", "eligible,areas"]) == 2
    err = capsys.readouterr().err
    assert "no decision column 'areas'" in err and "Traceback" not in err


def test_command_line_a_bug_while_deciding_is_not_bad_input(
        policy: Any, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only --columns is checked as input: a ValueError raised while the file is decided
    is an internal error (exit 70), not the user's bad input (exit 2)."""
    import udbudsregler.columnar.files as files

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("a bug")

    monkeypatch.setattr(files, "decide_file", broken)
    source = tmp_path / "population.jsonl"
    source.write_text("\n".join(_lines(policy)) + "\n", encoding="utf-8")
    assert main(["decide", str(ROOT / "policies" / "slagelse-2019"), "--population",
                 str(source), "--on", "2019-02-01", "--out", str(tmp_path / "d.parquet"),
                 "--columns", "eligible"]) == 70
    capsys.readouterr()


def test_diff_population_report_is_the_same_with_the_batch_path(
        policy: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """diff --population clears the citizens both rounds decide alike with decide_table;
    the report is the one deciding every citizen one by one gives."""
    from udbudsregler.analysis.comparison import Comparison
    from udbudsregler.analysis.diff import compare

    next_round = load_policy(ROOT / "examples" / "next-round")
    rows = sample_citizens(next_round, ON, 400, seed=11)
    source = tmp_path / "population.jsonl"
    source.write_text("\n".join(json.dumps({"id": f"c{i}", "facts": to_json(c)})
                                for i, c in enumerate(rows)) + "\n", encoding="utf-8")
    calls: list[int] = []
    original = Comparison.prescreen

    def counted(self: Comparison, citizens: list[Any], batch: int = 65_536) -> list[Any]:
        kept = original(self, citizens, batch)
        calls.append(len(citizens) - len(kept))
        return kept

    monkeypatch.setattr(Comparison, "prescreen", counted)
    fast = compare(policy, next_round, citizens=0, population=source, scenarios=0).to_dict()
    assert calls and calls[0] > 0  # the batch path cleared some citizens
    monkeypatch.setattr(Comparison, "prescreen", lambda self, citizens, batch=0: citizens)
    slow = compare(policy, next_round, citizens=0, population=source, scenarios=0).to_dict()
    for report in (fast, slow):
        report.pop("seconds", None)
        report.pop("elapsed", None)
    assert fast == slow


@pytest.mark.parametrize("text", [
    '{"a": 1, "b": [1.5, {"c": "x"}], "d": null, "e": true}',
    '{"a": 1, "a": 2}', '{"a": {"b": 1, "b": 1}}', '{"n": ' + "9" * 1200 + "}",
    "[" * 70 + "]" * 70, '{"x": NaN}', '{"x": 1e400}', '{"x": -0.0}', "[1, 2", '"text"',
    '\ufeff{"a": 1}',
])
def test_a_line_reads_as_read_json_reads_it(text: str) -> None:
    from udbudsregler.columnar.lines import read_line

    def outcome(read: Any) -> Any:
        try:
            return "value", repr(read(text))
        except Exception as error:  # the same kind of error, with the same problems
            return type(error).__name__, getattr(error, "problems", str(error))
    assert outcome(read_line) == outcome(read_json)


# -- where the output goes (found by fuzzing) ----------------------------------------------


def _population(policy: Any, tmp_path: Path) -> Path:
    source = tmp_path / "population.jsonl"
    source.write_text("\n".join(_lines(policy)) + "\n", encoding="utf-8")
    return source


def test_outputs_that_would_overwrite_the_input_or_each_other(policy: Any, tmp_path: Path,
                                                              capsys: Any) -> None:
    """`--out` or `--errors` naming the population file, or the two naming one file: bad
    input (exit 2), nothing written; before, the input was overwritten while it was read
    (2 of 120 rows decided, a normal summary) or the two outputs wrote over each other."""
    source = _population(policy, tmp_path)
    before = source.read_bytes()
    base = ["decide", str(ROOT / "policies" / "slagelse-2019"), "--population", str(source),
            "--on", "2019-02-01", "--batch-size", "2"]
    same = tmp_path / "same.jsonl"
    for extra, message in ((["--out", str(source)], "is the population file"),
                           (["--out", str(tmp_path / "o.jsonl"), "--errors", str(source)],
                            "is the population file"),
                           (["--out", str(same), "--errors", str(same)],
                            "the decisions and the errors need two files")):
        assert main([*base, *extra]) == 2
        assert message in capsys.readouterr().err
        assert source.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["population.jsonl"]


def test_an_output_that_cannot_be_written_is_bad_input(policy: Any, tmp_path: Path,
                                                       capsys: Any) -> None:
    """A folder that does not exist, or a folder given as the file: exit 2 with the reason,
    before any row is read, nothing left behind; before, an internal error (exit 70) and
    the first output half written."""
    source = _population(policy, tmp_path)
    (tmp_path / "a-folder.parquet").mkdir()
    base = ["decide", str(ROOT / "policies" / "slagelse-2019"), "--population", str(source),
            "--on", "2019-02-01", "--batch-size", "5"]
    for extra, message in (
            (["--out", str(tmp_path / "no" / "x.parquet")], "cannot be written"),
            (["--out", str(tmp_path / "a-folder.parquet")], "is a folder"),
            (["--out", str(tmp_path / "ok.parquet"), "--errors",
              str(tmp_path / "no" / "e.parquet")], "cannot be written")):
        assert main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and "internal error" not in err, err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder.parquet",
                                                              "population.jsonl"]


def test_a_run_that_fails_leaves_the_outputs_as_they_were(
        policy: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An input that cannot be read, a failure in the middle of a run: the decisions and
    errors of an earlier run stay as they were and no partial file is left; before, they
    were emptied, or held the batches before the failure."""
    import udbudsregler.columnar.files as files

    source = _population(policy, tmp_path)
    out = tmp_path / "decisions.parquet"
    decide_file(policy, source, ON, out)
    kept = out.read_bytes(), (tmp_path / "decisions.errors.parquet").read_bytes()
    with pytest.raises(files.PopulationFileError, match="no such file"):
        decide_file(policy, tmp_path / "missing.jsonl", ON, out)
    calls = []
    real = files._decide

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("a failure in the middle of the run")
        return real(*args, **kwargs)

    monkeypatch.setattr(files, "_decide", failing)
    with pytest.raises(RuntimeError, match="in the middle"):
        decide_file(policy, source, ON, out, batch_rows=10)
    assert (out.read_bytes(), (tmp_path / "decisions.errors.parquet").read_bytes()) == kept
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "decisions.errors.parquet", "decisions.parquet", "population.jsonl"]


def test_a_parquet_file_of_no_rows_gives_the_columns_of_one_with_rows(policy: Any,
                                                                      tmp_path: Path) -> None:
    """The decisions of an empty Parquet file have the `id` and value columns a file with
    rows gives; before, the decision columns only."""
    rows = sample_citizens(policy, ON, 3, seed=9)
    table = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph))
    table = table.append_column("id", pa.array(["a", "b", "c"]))
    columns = []
    for part, name in ((table, "full"), (table.slice(0, 0), "empty")):
        pq.write_table(part, tmp_path / f"{name}.parquet")
        decide_file(policy, tmp_path / f"{name}.parquet", ON, tmp_path / f"{name}-out.parquet",
                    values=("weekly_price",))
        columns.append(pq.read_table(tmp_path / f"{name}-out.parquet").schema)
    assert columns[0] == columns[1]
    assert {"id", "weekly_price"} <= set(columns[1].names)
    # and a JSON-lines file of blank lines, a CSV file of its header alone (each reader
    # gives an empty batch, so the output is written with its columns, never half made)
    (tmp_path / "blank.jsonl").write_text("\n \n", encoding="utf-8")
    (tmp_path / "header.csv").write_text("id," + ",".join(policy.graph.facts) + "\n",
                                         encoding="utf-8")
    for name in ("blank.jsonl", "header.csv"):
        decide_file(policy, tmp_path / name, ON, tmp_path / f"{name}.parquet",
                    values=("weekly_price",))
        assert pq.read_table(tmp_path / f"{name}.parquet").schema == columns[0]


def test_a_line_longer_than_the_limit_refuses_the_file_without_being_held(
        policy: Any, tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    """A JSON line with no end in sight (a file that is not JSON lines, a dump on one
    line) is read until the limit, not to its end: the file is refused at its line.
    Before, the reader doubled its read until it had the whole line."""
    import tracemalloc

    from udbudsregler.columnar import lines as lines_module

    monkeypatch.setattr(lines_module, "MAX_LINE_BYTES", 1 << 16)
    source = tmp_path / "population.jsonl"
    good = _lines(policy)[:2]
    source.write_text("\n".join([*good, '{"facts": "' + "x" * 4_000_000 + '"}', good[0]])
                      + "\n", encoding="utf-8")
    out = tmp_path / "decisions.parquet"
    tracemalloc.start()
    try:
        code = main(["decide", str(ROOT / "policies" / "slagelse-2019"), "--population",
                     str(source), "--on", "2019-02-01", "--out", str(out)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 2
    err = capsys.readouterr().err
    assert f"{source}: line 3 is longer than" in err and "a line holds one citizen" in err
    assert peak < 2_000_000  # about twice the limit, not the line's 4 MB


def test_an_empty_csv_cell_is_a_fact_left_out(tmp_path: Path) -> None:
    """A CSV cell has no null: an empty cell is a fact left out, so a fact's `default`
    applies to that row (Rusta's `ersattning`, default `[]`), and a fact without one is
    missing (UDB601), as in a dict without the key. Before, the empty cell was null and
    every such row was refused ("got nothing (null)"), against docs/population.md; `diff
    --population` reads the rows the same way."""
    import csv

    from udbudsregler.analysis.population import read_population

    policy = load_policy(Path(__file__).resolve().parents[2] / "policies"
                         / "rusta-och-matcha-2")
    specs = {n: f.spec for n, f in policy.graph.facts.items()}
    lines = (Path(__file__).resolve().parents[2] / "examples" / "data"
             / "rusta-citizens.jsonl").read_text(encoding="utf-8").splitlines()
    citizens = [read_json(line)["facts"] for line in lines[:3]]
    on = date(2025, 3, 3)
    names = [*sorted({*specs} - {"ersattning"}), "ersattning"]
    given = [
        {**citizens[0], "ersattning": [{"kind": "aktivitetsstod", "from": "2025-01-01",
                                        "to": None}]},
        {k: v for k, v in citizens[1].items() if k != "ersattning"},  # empty: the default
        {k: v for k, v in citizens[2].items() if k not in ("ersattning", "kommun")},
    ]
    with (tmp_path / "p.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        for facts in given:
            writer.writerow(["" if n not in facts else json.dumps(to_json(facts[n]))
                             if isinstance(facts[n], (list, dict)) else
                             str(facts[n]).lower() if isinstance(facts[n], bool)
                             else str(facts[n]) for n in names])
    want = [expected(policy, facts, on) for facts in given]
    assert [kind for kind, _ in want] == ["decision", "decision", "errors"]
    assert [(p, c) for p, c, _ in want[2][1]] == [("kommun", "UDB601")]
    out = tmp_path / "p.out.jsonl"
    summary = decide_file(policy, tmp_path / "p.csv", on, out)
    assert (summary.rows, summary.decided, summary.errors) == (3, 2, 1)
    decided = {d["row"]: d for d in _read(out)}
    for row in (0, 1):
        assert {k: decided[row][k] for k in want[row][1]} == want[row][1]
    errors = [(e["path"], e["code"], e["message"])
              for e in _read(tmp_path / "p.out.errors.jsonl")]
    assert errors == want[2][1]
    population = read_population(tmp_path / "p.csv", specs)
    assert ["ersattning" in r.facts for r in population.rows] == [True, False, False]
    assert ["kommun" in r.facts for r in population.rows] == [True, True, False]
