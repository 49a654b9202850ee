"""Population files of `diff --population`: a JSON line is a citizen's facts or the
wrapper `{"id": ..., "facts": {...}, "order": {...}}`, read as `decide --population`
reads it (`udbudsregler.runtime.inputs.population_line`)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import udbudsregler as ur
from udbudsregler.analysis.diff import compare
from udbudsregler.analysis.population import read_population

ROOT = Path(__file__).resolve().parents[2]
FACTS = {"birth_date": "1995-06-01", "visitation": "aktivitetsparat",
         "subject_to_225_rule": True,
         "benefits": [{"kind": "kontanthjaelp", "from": "2021-03-01", "to": None}],
         "offers": []}


def _read(tmp_path: Path, *lines: Any) -> Any:
    file = tmp_path / "citizens.jsonl"
    file.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return read_population(file)


@pytest.mark.parametrize(("wrapper", "problem"), [
    # a misspelt order, an order that is not an object: the diff would run without it
    ({"id": "C-1", "ordre": {"package": "x"}},
     "ordre: UDB606: `ordre` is not a key of a population line (id, facts, order, note)"),
    ({"id": "C-1", "order": "x"},
     "order: UDB602: `order` is not an object (got the text 'x')"),
    # an id that is not text or an integer (it was shown as Python writes it: "True")
    ({"id": True}, "id: UDB602: `id` is not text or an integer (got true/false)"),
    ({"id": {"n": 1}}, "id: UDB602: `id` is not text or an integer (got a mapping)"),
    ({"id": "C-1", "facts": None},
     "facts: UDB608: `facts` is not an object (got nothing (null))"),
])
def test_a_wrapper_that_is_wrong_is_a_bad_row_naming_the_key(
        tmp_path: Path, wrapper: dict[str, Any], problem: str) -> None:
    population = _read(tmp_path, {"id": "C-0", "facts": FACTS}, {"facts": FACTS, **wrapper})
    assert [r.id for r in population.rows] == ["C-0"]
    [bad] = population.bad
    assert (bad.line, bad.problems) == (2, (problem,))
    assert bad.id == ("C-1" if wrapper["id"] == "C-1" else None)


def test_a_wrapper_with_a_note_a_null_order_or_an_integer_id(tmp_path: Path) -> None:
    """`note` is for a human reader (as in examples/data/citizens.jsonl); a null order is
    no order; an integer id is its text."""
    population = _read(tmp_path, {"id": "C-1", "note": "for people", "facts": FACTS},
                       {"id": 2, "facts": FACTS, "order": None},
                       {"id": None, "facts": FACTS, "order": {"package": "job"}})
    assert not population.bad
    assert [(r.line, r.id, r.order) for r in population.rows] == [
        (1, "C-1", None), (2, "2", None), (3, None, {"package": "job"})]
    assert all(r.facts == FACTS for r in population.rows)


def test_the_example_citizens_are_read() -> None:
    population = read_population(ROOT / "examples" / "data" / "citizens.jsonl")
    assert not population.bad and len(population.rows) == 15
    assert population.rows[0].id == "C-01" and population.rows[0].order is not None


def test_a_line_with_an_id_but_no_facts_is_facts_without_the_id(tmp_path: Path) -> None:
    """Without `facts` a line is the facts themselves: `id` is not a fact of the policy,
    so the row fits neither policy and is a bad row naming `id` (UDB606)."""
    file = tmp_path / "citizens.jsonl"
    file.write_text(json.dumps({"id": "C-1", **FACTS}) + "\n", encoding="utf-8")
    policy = ur.load_policy(ROOT / "policies" / "slagelse-2019")
    report = compare(policy, policy, citizens=0, population=file, scenarios=0)
    [bad] = report.bad_rows
    assert (bad.line, bad.id) == (1, None)
    assert any(p.startswith("id: UDB606: ") for p in bad.problems), bad.problems


@pytest.mark.parametrize(("order", "problem"), [
    ({"package": 5}, "order.package: UDB602: expected text, got the number 5"),
    ({"weekly_hours": "x"},
     "order.weekly_hours: UDB602: expected a number of hours, got the text 'x'"),
    ({"zzz": 1}, "order.zzz: UDB606: not a part of an order"),
    ({"supplier": ["x"]}, "order.supplier: UDB602: expected text, got a list"),
])
def test_an_order_of_the_wrong_shape_is_a_bad_row(tmp_path: Path, order: dict[str, Any],
                                                 problem: str) -> None:
    """As `decide --population` refuses it, at its line; the diff compares the other rows
    (it stopped at the first such order: "the input does not fit the policy")."""
    file = tmp_path / "citizens.jsonl"
    file.write_text(json.dumps({"id": "C-1", "facts": FACTS}) + "\n"
                    + json.dumps({"id": "C-2", "facts": FACTS, "order": order}) + "\n",
                    encoding="utf-8")
    policy = ur.load_policy(ROOT / "policies" / "slagelse-2019")
    report = compare(policy, policy, citizens=0, population=file, scenarios=0)
    [bad] = report.bad_rows
    assert (bad.line, bad.id, bad.problems) == (2, "C-2", (problem,))
    assert report.compared == 1


@pytest.mark.parametrize(("first", "problem"), [
    ("nope", "not valid JSON: Expecting value"),
    ("[1]", "expected a JSON object"),
])
def test_the_suffix_says_the_format_not_the_first_line(tmp_path: Path, first: str,
                                                       problem: str) -> None:
    """A .jsonl file whose first line is not an object is JSON lines, as for `decide
    --population`: that line is a bad row and the others are read (the file was read as
    CSV, and every line after the first was a bad row: "11 cells, but the header has 1
    columns")."""
    file = tmp_path / "citizens.jsonl"
    file.write_text(first + "\n" + json.dumps({"id": "C-2", "facts": FACTS}) + "\n"
                    + json.dumps(FACTS) + "\n", encoding="utf-8")
    population = read_population(file)
    assert [(b.line, b.id, b.problems) for b in population.bad] == [(1, None, (problem,))]
    assert [(r.line, r.id) for r in population.rows] == [(2, "C-2"), (3, None)]


def test_a_parquet_value_python_has_no_form_of_is_a_bad_row(tmp_path: Path) -> None:
    """A date beyond Python's calendar, an id that is not UTF-8: their rows are bad rows,
    the others are read (it was an internal error, OverflowError/UnicodeDecodeError)."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.Table.from_pylist([{**FACTS, "birth_date": date(1995, 6, 1)}] * 4)
    day = table.column("birth_date").combine_chunks()
    far = pa.array([2_000_000_000], pa.int32()).view(pa.date32())
    not_utf8 = pa.Array.from_buffers(pa.string(), 1, [
        None, pa.py_buffer(b"\0\0\0\0\2\0\0\0"), pa.py_buffer(b"\xff\xfe")])
    table = table.set_column(0, "birth_date", pa.concat_arrays(
        [day.slice(0, 1), far, day.slice(2)]))
    table = table.append_column("id", pa.concat_arrays(
        [pa.array(["C-1", "C-2"]), not_utf8, pa.array(["C-4"])]))
    file = tmp_path / "citizens.parquet"
    pq.write_table(table, file)
    population = read_population(file)
    assert [(b.line, b.id, b.problems) for b in population.bad] == [
        (2, "C-2", ("birth_date: UDB603: a date outside the years 1850-2200",)),
        (3, None, ("id: UDB602: not UTF-8 text",))]
    assert [(r.line, r.id) for r in population.rows] == [(1, "C-1"), (4, "C-4")]
    assert population.rows[0].facts == {**FACTS, "birth_date": date(1995, 6, 1)}


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_csv_lines_end_as_decide_population_reads_them(tmp_path: Path, end: str) -> None:
    """A CSV file whose lines end with \\r (or \\r\\n, or \\n; a quoted cell may hold
    them too) is read as `decide --population` reads it; before, a file of \\r line ends
    was refused whole ("the first line cannot be read as CSV (new-line character seen in
    unquoted field ...)")."""
    policy = ur.load_policy(ROOT / "policies" / "slagelse-2019")
    specs = {name: fact.spec for name, fact in policy.graph.facts.items()}
    benefits = json.dumps(FACTS["benefits"], indent=1).replace("\n", end)
    row = f'1995-06-01,aktivitetsparat,true,"{benefits.replace(chr(34), 2 * chr(34))}",[]'
    lines = ["id,birth_date,visitation,subject_to_225_rule,benefits,offers", f"C-1,{row}",
             "", f"C-2,{row}"]
    file = tmp_path / "citizens.csv"
    file.write_bytes(end.join(lines).encode("utf-8") + end.encode("utf-8"))
    population = read_population(file, specs)
    assert not population.bad
    assert [(r.line, r.id, r.facts) for r in population.rows] == [
        (2, "C-1", FACTS), (4 + benefits.count(end), "C-2", FACTS)]


def test_lines_that_are_not_utf8_are_bad_rows(tmp_path: Path) -> None:
    """A line (or CSV row) with bytes that are not UTF-8 is a bad row and the others are
    read, as ``decide --population`` makes it an error of its row; before, the diff
    refused the whole file. A CSV first line that is not UTF-8 refuses the file, as
    there."""
    from udbudsregler.analysis.population import PopulationError

    good = json.dumps({"id": "C-1", "facts": FACTS}).encode()
    file = tmp_path / "citizens.jsonl"
    file.write_bytes(b"\n".join([good, b'{"id": "C-\xff2"}', good.replace(b"C-1", b"C-3")])
                     + b"\n")
    population = read_population(file)
    assert [(r.line, r.id) for r in population.rows] == [(1, "C-1"), (3, "C-3")]
    assert [b.to_dict() for b in population.bad] == [
        {"line": 2, "id": None, "problems": ["not UTF-8 text"]}]
    policy = ur.load_policy(ROOT / "policies" / "slagelse-2019")
    specs = {n: f.spec for n, f in policy.graph.facts.items()}
    csv_file = tmp_path / "citizens.csv"
    header = b"id,birth_date,visitation,subject_to_225_rule,benefits,offers"
    row = b'C-1,1995-06-01,aktivitetsparat,true,"[]",[]'
    csv_file.write_bytes(b"\n".join([header, row, row.replace(b"C-1", b"C-\xfe2"),
                                     row.replace(b"C-1", b"C-3")]) + b"\n")
    population = read_population(csv_file, specs)
    assert [(r.line, r.id) for r in population.rows] == [(2, "C-1"), (4, "C-3")]
    assert [b.to_dict() for b in population.bad] == [
        {"line": 3, "id": None, "problems": ["not UTF-8 text"]}]
    csv_file.write_bytes(header.replace(b"id,", b"id\xfe,") + b"\n" + row + b"\n")
    with pytest.raises(PopulationError, match="the first line is not UTF-8 text"):
        read_population(csv_file, specs)
