"""`diff --population` streams: the file is read and decided a chunk at a time
(`iter_population`), a group keeps its first members only and the report lists the first
bad rows only, the counts stay exact, and one line can make the reader hold no more than
its limit. A population over several chunks gives the report of one chunk."""

from __future__ import annotations

import io
import json
import random
import re
import tracemalloc
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import udbudsregler as ur
from udbudsregler.analysis import comparison, diff, population
from udbudsregler.analysis.comparison import Comparison
from udbudsregler.analysis.diff import compare
from udbudsregler.analysis.population import (
    PopulationError,
    iter_population,
    read_population,
)
from udbudsregler.cli.main import main
from udbudsregler.columnar.cells import CsvFileProblem, csv_rows
from udbudsregler.testing.boundaries import sample_citizens
from udbudsregler.values.canonical import to_json

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ROOT / "policies" / "slagelse-2019"
NEXT_ROUND = ROOT / "examples" / "next-round"
ON = date(2022, 1, 1)


GOOD = {"birth_date": "1995-06-01", "visitation": "aktivitetsparat",
        "subject_to_225_rule": True,
        "benefits": [{"kind": "kontanthjaelp", "from": "2021-03-01", "to": None}],
        "offers": [{"kind": "virksomhedspraktik", "from": "2021-05-01", "to": "2021-07-31",
                    "weekly_hours": 15}]}


@pytest.fixture(scope="module")
def citizens(next_round: ur.Policy) -> list[dict[str, Any]]:
    """Citizens of ages around both rounds' age limits (30 and 25), with histories: many
    treated differently; and some drawn from the new round's boundaries."""
    out = [next_round.facts.validate({**GOOD, "birth_date": f"{1984 + i % 17}-0{1 + i % 9}-15",
                                      "visitation": "jobparat" if i % 7 == 3
                                      else "aktivitetsparat"}) for i in range(45)]
    drawn = sample_citizens(next_round, ON, 15, seed=3)
    return [c for pair in zip(out[:15], drawn, strict=True) for c in pair] + out[15:]


def _report(old: ur.Policy, new: ur.Policy, file: Path, **options: Any) -> dict[str, Any]:
    report = compare(old, new, citizens=0, population=file, scenarios=0, examples=2,
                     **options)
    data = report.to_dict()
    del data["seconds"]
    data["text"] = report.render().split("\n", 1)[1]  # (the first line has the seconds)
    return data


def _chunks_seen(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the chunks `compare` reads (as it reads them)."""
    sizes: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for chunk in iter_population(*args, **kwargs):
            sizes.append(len(chunk.rows) + len(chunk.bad))
            yield chunk

    monkeypatch.setattr(diff, "iter_population", counted)
    return sizes


# -- (a) several chunks, one report ------------------------------------------------------


def _jsonl(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    lines = [json.dumps({"id": f"C-{i}", "facts": to_json(c)}).encode() for i, c in
             enumerate(rows)]
    lines[4] = b"{not json"
    lines[9] = b""  # a blank line: no row, but a line
    lines[13] = json.dumps({"id": "C-13", "facts": {**to_json(rows[13]),
                                                     "birth_date": "1995-02-30"}}).encode()
    lines[22] = b'{"id": "C-\xff22"}'  # not UTF-8
    lines[31] = b"[1, 2]"
    file = tmp_path / "citizens.jsonl"
    file.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines) + b"\r\n")
    return file


def _csv(tmp_path: Path, rows: list[dict[str, Any]], names: list[str]) -> Path:
    def cell(value: Any) -> str:
        text = json.dumps(to_json(value), indent=1) if isinstance(value, list) else \
            str(value).lower() if isinstance(value, bool) else str(to_json(value))
        return '"' + text.replace('"', '""') + '"'  # (a history over several lines)

    lines = ["id," + ",".join(names)]
    lines += [f"C-{i}," + ",".join(cell(c[n]) for n in names) for i, c in enumerate(rows)]
    lines[5] = "C-4,1980-01-01"  # too few cells
    lines[10] = ""
    lines[14] = lines[14].replace('"[', '"[{oops', 1) if '"[' in lines[14] else "C-13,x"
    file = tmp_path / "citizens.csv"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return file


def _parquet(tmp_path: Path, rows: list[dict[str, Any]], policy: ur.Policy) -> Path:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from udbudsregler.columnar import fact_schema

    table = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph))
    days = [(c["birth_date"] - date(1970, 1, 1)).days for c in rows]
    for far in (6, 19, 20):  # beyond Python's calendar: bad rows
        days[far] = 2_000_000_000
    born = pa.array(days, pa.int32()).view(pa.date32())
    table = table.set_column(table.schema.get_field_index("birth_date"), "birth_date", born)
    table = table.append_column("id", pa.array([f"C-{i}" for i in range(len(rows))]))
    file = tmp_path / "citizens.parquet"
    pq.write_table(table, file, row_group_size=16)
    return file


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet"])
def test_several_chunks_give_the_report_of_one(
        slagelse: ur.Policy, next_round: ur.Policy, citizens: list[dict[str, Any]],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    if kind == "jsonl":
        file = _jsonl(tmp_path, citizens)
    elif kind == "csv":
        file = _csv(tmp_path, citizens, list(next_round.graph.facts))
    else:
        file = _parquet(tmp_path, citizens, next_round)
    sizes = _chunks_seen(monkeypatch)
    whole = _report(slagelse, next_round, file)
    assert len(sizes) == 1
    assert whole["bad_row_count"] == len(whole["bad_rows"]) >= 2
    assert sum(g["count"] for g in whole["groups"]) > 10  # (many treated differently)
    monkeypatch.setattr(population, "CHUNK_ROWS", 7)
    sizes.clear()
    chunked = _report(slagelse, next_round, file)
    assert len(sizes) >= 9 and max(sizes) == 7, sizes  # (Parquet: batches end with a group)
    assert chunked == whole
    assert [b["line"] for b in whole["bad_rows"]] == sorted(b["line"] for b in
                                                            whole["bad_rows"])


def test_the_bad_lines_keep_their_numbers_across_chunks(
        citizens: list[dict[str, Any]], tmp_path: Path) -> None:
    file = _jsonl(tmp_path, citizens)
    whole = read_population(file)
    for rows in (1, 2, 5, 7, 64):
        chunks = list(iter_population(file, rows=rows))
        assert all(len(c.rows) + len(c.bad) <= rows for c in chunks)
        assert [r for c in chunks for r in c.rows] == whole.rows
        assert [b for c in chunks for b in c.bad] == whole.bad
    assert [(b.line, b.problems) for b in whole.bad] == [
        (5, ("not valid JSON: Expecting property name enclosed in double quotes",)),
        (23, ("not UTF-8 text",)), (32, ("expected a JSON object",))]
    assert [c.done for c in iter_population(file, rows=1000)] == [1.0]


def test_progress_of_a_population_ends_at_its_rows(
        slagelse: ur.Policy, next_round: ur.Policy, citizens: list[dict[str, Any]],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows read so far, of an estimate of the rows in the file; the last is exact."""
    file = _jsonl(tmp_path, citizens)
    monkeypatch.setattr(population, "CHUNK_ROWS", 7)
    seen: list[tuple[str, int, int]] = []
    compare(slagelse, next_round, citizens=0, population=file, scenarios=0, examples=0,
            progress=lambda phase, done, total: seen.append((phase, done, total)))
    read = [(done, total) for phase, done, total in seen if phase == "population"]
    assert read[-1] == (59, 59)  # 60 lines, one blank
    assert [d for d, _ in read] == sorted(d for d, _ in read)
    assert all(done <= total for done, total in read)


def test_progress_ends_at_the_rows_after_a_full_last_chunk(
        slagelse: ur.Policy, next_round: ur.Policy, citizens: list[dict[str, Any]],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A last chunk that is full, with blank lines after it beyond the block read, is
    short of the file's end: its estimate of the rows is too many. The progress still
    ends at the rows read (a terminal's counter then ends its line); before, it ended
    at 14 of about 68."""
    file = tmp_path / "citizens.jsonl"
    file.write_text("".join(json.dumps(to_json(c)) + "\n" for c in citizens[:14])
                    + "\n" * 20_000, encoding="utf-8")
    monkeypatch.setattr(population, "CHUNK_ROWS", 7)
    monkeypatch.setattr(population, "_BLOCK", 256)
    seen: list[tuple[int, int]] = []
    compare(slagelse, next_round, citizens=0, population=file, scenarios=0, examples=0,
            progress=lambda phase, done, total: seen.append((done, total))
            if phase == "population" else None)
    assert seen[-1] == (14, 14), seen
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert all(done <= total for done, total in seen)


# -- (b) a group keeps its first members; the report lists the first bad rows ------------


def test_a_group_keeps_its_first_members_and_the_counts_stay_exact(
        slagelse: ur.Policy, next_round: ur.Policy, citizens: list[dict[str, Any]],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = _jsonl(tmp_path, citizens)
    whole = compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                    examples=2)
    monkeypatch.setattr(comparison, "MAX_MEMBERS", 3)
    monkeypatch.setattr(population, "CHUNK_ROWS", 7)
    capped = compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                     examples=2)
    assert capped.compared == whole.compared
    assert capped.not_comparable == whole.not_comparable
    assert capped.citizens == whole.citizens
    assert {k: (g.count, g.by_source) for k, g in capped.groups.items()} == {
        k: (g.count, g.by_source) for k, g in whole.groups.items()}
    became = capped.groups["became_eligible"]
    assert became.count > 3 and became.examined == 3
    note = (f"became eligible: examples and reasons from the first 3 of {became.count:,} "
            "citizens (in the order decided)")
    assert note in capped.notes and f"({note})" in capped.render()
    assert note in capped.to_dict()["notes"]
    assert not any("examples and reasons" in n for n in whole.notes)
    # the examples come from the first three citizens of the group, in the file's order
    run = Comparison(slagelse, next_round, ON, 0, None, None)
    first: list[str] = []
    for row in read_population(file).rows:
        pair = run.decide(row.facts, None)
        if pair is not None and run.kind_of(*pair) == "became_eligible":
            first.append(f"{file}:{row.line} ({row.id})")
    assert {e.source for e in became.examples} <= set(first[:3])
    again = compare(slagelse, next_round, citizens=0, population=file, scenarios=0,
                    examples=2)
    assert [e.case for e in again.groups["became_eligible"].examples] == [
        e.case for e in became.examples]


def test_the_report_lists_the_first_bad_rows_and_counts_them_all(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    file = tmp_path / "citizens.jsonl"
    file.write_text("".join(f"{{bad {i}\n" for i in range(25)), encoding="utf-8")
    monkeypatch.setattr(diff, "MAX_BAD_ROWS", 4)
    monkeypatch.setattr(population, "CHUNK_ROWS", 10)
    out = io.StringIO()
    code = main(["diff", str(SLAGELSE), str(NEXT_ROUND), "--citizens", "0", "--scenarios",
                 "0", "--population", str(file), "--json"], out=out)
    assert code == 2
    data = json.loads(out.getvalue())
    assert [b["line"] for b in data["bad_rows"]] == [1, 2, 3, 4]
    assert data["bad_row_count"] == 25
    assert "bad rows: the first 4 of 25 are listed" in data["notes"]
    err = capsys.readouterr().err
    assert f"error: 25 bad rows in {file} (each fits neither policy or cannot be read; " \
           "lines 1, 2, 3, 4, ...)" in err
    out = io.StringIO()
    main(["diff", str(SLAGELSE), str(NEXT_ROUND), "--citizens", "0", "--scenarios", "0",
          "--population", str(file)], out=out)
    assert out.getvalue().count("bad row, line") == 4
    assert "(bad rows: the first 4 of 25 are listed)" in out.getvalue()


# -- (c) what the reader holds -----------------------------------------------------------


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the reader's reads of the file, as it makes them."""
    reads: list[int] = []
    lines = population._lines

    def counted(stream: Any, *args: Any) -> Any:
        real = stream.read

        def read(n: int = -1) -> bytes:
            data = real(n)
            reads.append(len(data))
            return data

        stream.read = read
        return lines(stream, *args)

    monkeypatch.setattr(population, "_lines", counted)
    return reads


def test_the_reader_reads_a_chunk_at_a_time(citizens: list[dict[str, Any]], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Taking a chunk reads the lines of that chunk (and a block of the file), not the
    rest of the file."""
    file = tmp_path / "citizens.jsonl"
    line = json.dumps(to_json(citizens[0]))
    file.write_text((line + "\n") * 1000, encoding="utf-8")
    monkeypatch.setattr(population, "_BLOCK", 4 * len(line))
    reads = _count_reads(monkeypatch)
    chunks = iter_population(file, rows=10)
    first = next(chunks)
    assert [r.line for r in first.rows] == list(range(1, 11))
    assert sum(reads) <= 14 * (len(line) + 1)
    assert 0 < first.done < 0.02
    second = next(chunks)
    assert [r.line for r in second.rows] == list(range(11, 21))
    assert sum(reads) <= 24 * (len(line) + 1)
    assert len(list(chunks)) == 98
    assert sum(reads) == file.stat().st_size


def test_a_run_of_carriage_returns_is_read_a_block_at_a_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A \\r at the end of a block waits for the next block (a \\r\\n is not cut in
    two). Before, the reader read on a byte at a time while the block ended with a \\r:
    a run of them (each a blank line) was read byte by byte into one block, in time
    quadratic in its length (3 MB of \\r did not end in a minute)."""
    file = tmp_path / "citizens.jsonl"
    file.write_bytes(b"\r" * 10_000 + b"{}\r\n" + b"\r" * 63 + b"\r\n{}")
    monkeypatch.setattr(population, "_BLOCK", 64)
    reads = _count_reads(monkeypatch)
    read = read_population(file)
    assert [r.line for r in read.rows] == [10_001, 10_066] and not read.bad
    assert len(reads) <= file.stat().st_size // 64 + 2, len(reads)


def _peak(work: Any) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_memory_held_is_a_chunk_not_the_file(citizens: list[dict[str, Any]],
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(population, "_BLOCK", 65_536)  # (a block of 1 MiB is most of it)
    file = tmp_path / "citizens.jsonl"
    text = "".join(json.dumps(to_json(c)) + "\n" for c in citizens)
    file.write_text(text * 100, encoding="utf-8")  # 6,000 citizens

    def stream() -> None:
        for _chunk in iter_population(file, rows=100):
            pass

    whole = _peak(lambda: read_population(file))
    chunked = _peak(stream)
    assert chunked * 10 < whole, (chunked, whole)


def test_a_json_line_over_the_limit_is_a_bad_row_not_held(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setattr(population, "MAX_ROW_BYTES", 65_536)
    file = tmp_path / "citizens.jsonl"
    good = json.dumps({"id": "C-1", "facts": {}})
    long = '{"id": "C-2", "facts": {"offers": [' + "1, " * 4_000_000 + "1]}}"  # 12 MB
    file.write_text("\n".join([good, long, good.replace("C-1", "C-3"), "x" * 65_536,
                               good.replace("C-1", "C-5")]), encoding="utf-8")
    chunks: list[Any] = []
    peak = _peak(lambda: chunks.extend(iter_population(file, rows=2)))
    assert peak < 4_000_000, peak  # the block read, not the line
    rows = [r for c in chunks for r in c.rows]
    bad = [b for c in chunks for b in c.bad]
    assert [(r.line, r.id) for r in rows] == [(1, "C-1"), (3, "C-3"), (5, "C-5")]
    assert [(b.line, b.problems) for b in bad] == [
        (2, ("a line longer than 65,536 bytes (not read)",)),
        (4, ("not valid JSON: Expecting value",))]  # (at the limit: read)


def test_a_csv_line_or_row_over_the_limit_ends_the_file(
        next_round: ur.Policy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a CSV row over the limit ends cannot be known (a quote never closed?): the
    file is refused at it, after the chunks before it, with the line it starts on."""
    monkeypatch.setattr(population, "MAX_ROW_BYTES", 10_000)
    specs = {n: f.spec for n, f in next_round.graph.facts.items()}
    file = tmp_path / "citizens.csv"
    header = "id,birth_date,visitation"
    rows = [f"C-{i},1990-01-01,jobparat" for i in range(5)]
    file.write_text("\n".join([header, *rows, "C-5,1990-01-01," + "x" * 20_000, *rows])
                    + "\n", encoding="utf-8")
    chunks = iter_population(file, specs, rows=2)
    assert [r.line for r in next(chunks).rows] == [2, 3]
    assert [r.line for r in next(chunks).rows] == [4, 5]
    with pytest.raises(PopulationError, match=re.escape(
            f"{file}: line 7: a line longer than 10,000 bytes (not read); the rest of the "
            "file cannot be read as CSV")):
        list(chunks)
    file.write_text("\n".join([header, *rows, 'C-5,1990-01-01,"' + "x\n" * 20_000, *rows])
                    + "\n", encoding="utf-8")
    with pytest.raises(PopulationError, match=re.escape(
            f"{file}: line 7: a row longer than 10,000 bytes (a quote that is never "
            "closed?); the rest of the file cannot be read as CSV")):
        read_population(file, specs)
    # rows of empty cells (as spreadsheets write them) are no row: not counted
    file.write_text("\n".join([header, *rows, *[",,"] * 20_000, *rows]) + "\n",
                    encoding="utf-8")
    assert len(read_population(file, specs).rows) == 10


def test_blank_csv_rows_of_any_form_count_in_no_row(next_round: ur.Policy, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit is on one record's bytes: the blank rows `csv_rows` skips (empty cells
    quoted, as spreadsheets write them, or of white space other than spaces) start a
    record each, as does the first row after a header over several lines. Before, the
    bytes of the rows skipped counted in the next row's, and ended the file."""
    monkeypatch.setattr(population, "MAX_ROW_BYTES", 40)
    specs = {n: f.spec for n, f in next_round.graph.facts.items()}
    file = tmp_path / "citizens.csv"
    blank = ['"",""', '" "," "', "\u00a0,\u00a0", '"\n",""']
    file.write_text('id,"visi\ntation"\n' + "\n".join(blank * 20) + "\nC-1,jobparat\n",
                    encoding="utf-8")
    read = read_population(file, specs)
    assert [(r.line, r.id) for r in read.rows] == [(103, "C-1")] and not read.bad


def test_the_cli_reports_a_line_over_the_limit(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: Any) -> None:
    monkeypatch.setattr(population, "MAX_ROW_BYTES", 100)
    file = tmp_path / "citizens.jsonl"
    file.write_text("{}\n" + "{" + " " * 200 + "}\n", encoding="utf-8")
    out = io.StringIO()
    assert main(["diff", str(SLAGELSE), str(NEXT_ROUND), "--citizens", "0", "--scenarios",
                 "0", "--population", str(file)], out=out) == 2
    assert "bad row, line 2: a line longer than 100 bytes (not read)" in out.getvalue()
    assert "error: 2 bad rows in" in capsys.readouterr().err


def _reference_lines(data: bytes) -> list[str]:
    """The lines as `read_population` read them before it streamed: the whole text
    decoded, split at the line ends of universal newlines."""
    text = data.decode("utf-8-sig", "surrogateescape")
    return re.split("\r\n|\r|\n", text)


def test_lines_split_across_blocks_as_the_whole_text(monkeypatch: pytest.MonkeyPatch
                                                     ) -> None:
    """Whatever the size of the blocks read, the lines are those of the whole text: a
    \\r\\n, a byte-order mark or a character of several bytes cut by a block."""
    draw = random.Random(5)
    pieces = [b"a", b"b", b"\r", b"\n", b"\r\n", b"\xff", "é".encode(), "\u2028".encode(),
              b"\xef\xbb\xbf", b" "]
    for _ in range(400):
        data = b"".join(draw.choice(pieces) for _ in range(draw.randrange(0, 30)))
        if draw.random() < 0.3:
            data = b"\xef\xbb\xbf" + data
        monkeypatch.setattr(population, "_BLOCK", draw.randrange(1, 8))
        got = [(raw or b"").decode("utf-8", "surrogateescape") for raw, _ in
               population._lines(io.BytesIO(data), "f", 1000, None)]
        want = _reference_lines(data)
        if want and want[-1] == "":
            want.pop()  # (after a last line end: no line)
        assert got == want, data


_PIECES = {
    "jsonl": [b'{"id": "C-1", "facts": {"visitation": "jobparat"}}', b"{}", b"{bad", b"[1]",
              b'{"a": "x\xe2\x80\xa8y\xc2\x85"}', b'{"a": 1, "a": 2}', b"\xff", b"\xe2\x82",
              "\u00e9".encode(), b" ", b"\xef\xbb\xbf", b"\x00", b"\xc0\xaf", b"\x1c"],
    "csv": [b"id,visitation", b'"a\nb"', b'"x\r\ny"', b"jobparat", b",", b'""', b'"', b"\xff",
            "\u00f8".encode(), b" ", b"x", b'"[1,\r2]"', b"\xef\xbb\xbf", b"\x00", b"id"],
}


def _whole(data: bytes, kind: str, specs: dict[str, Any]) -> Any:
    """The rows and bad rows of a file as `read_population` read them before it streamed
    (the whole text decoded, then split, or given to `csv_rows`), or the file's error."""
    text = data.decode("utf-8-sig", "surrogateescape")
    if kind == "jsonl":
        items = [population._json_item(number, line) for number, line in
                 enumerate(re.split("\r\n|\r|\n", text), start=1) if line.strip()]
    else:
        try:
            rows = list(csv_rows(io.StringIO(text, newline=""), specs))
        except CsvFileProblem as error:
            return str(error)
        items = [population.BadRow(r.line, None, (r.unreadable,)) if r.unreadable else
                 population.BadRow(r.line, r.ident, tuple(p.render() for p in r.problems))
                 if r.problems else population.PopulationRow(r.line, r.ident, r.facts or {})
                 for r in rows]
    return ([i for i in items if isinstance(i, population.PopulationRow)],
            [i for i in items if isinstance(i, population.BadRow)])


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(["jsonl", "csv"]), st.integers(1, 9),
       st.sampled_from([1, 2, 3, 7, 1000]))
def test_any_chunks_and_blocks_read_as_the_whole_text(
        next_round: ur.Policy, tmp_path_factory: pytest.TempPathFactory, data: Any, kind: str,
        block: int, rows: int) -> None:
    """Whatever the blocks read and the rows of a chunk, `iter_population` gives the rows,
    line numbers, ids, facts and bad rows (with their problems) of the whole text read at
    once, or its error after the rows before it."""
    ends = st.sampled_from([b"\n", b"\r", b"\r\n", b"\r\r\n", b"\n\r", b""])
    parts = data.draw(st.lists(st.tuples(st.sampled_from(_PIECES[kind]), ends), max_size=20))
    raw = b"".join(piece + end for piece, end in parts)
    if data.draw(st.booleans()):
        raw = b"\xef\xbb\xbf" + raw
    specs = {n: f.spec for n, f in next_round.graph.facts.items()}
    want = _whole(raw, kind, specs)
    file = tmp_path_factory.getbasetemp() / f"stream.{kind}"
    file.write_bytes(raw)
    read: list[Any] = []
    bad: list[Any] = []
    was = population._BLOCK
    population._BLOCK = block  # (not monkeypatch: a fixture of the function, not each example)
    try:
        for chunk in iter_population(file, specs, rows=rows):
            assert 0 < len(chunk.rows) + len(chunk.bad) <= rows
            read += chunk.rows
            bad += chunk.bad
        assert (read, bad) == want, raw
    except PopulationError as error:
        assert isinstance(want, str) and str(error) == f"{file}: {want}", raw
    finally:
        population._BLOCK = was


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_device_is_refused_not_read_for_ever() -> None:
    """The command line refuses what is not a regular file; from Python, a device such
    as `/dev/zero` (no line end, no end) would be read for ever, a chunk at a time: run
    in a process of its own, so that reading for ever fails the test (after 60 s) rather
    than hang it."""
    import subprocess
    import sys

    script = ("from udbudsregler.analysis.population import PopulationError, "
              "iter_population, read_population\n"
              "for read in (lambda: next(iter_population('/dev/zero')), "
              "lambda: read_population('/dev/zero')):\n"
              "    try:\n"
              "        read()\n"
              "    except PopulationError as error:\n"
              "        print(error)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.splitlines() == ["/dev/zero: is a device, not a file"] * 2
