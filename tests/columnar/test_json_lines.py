"""JSON lines read by Arrow's JSON reader (columnar/lines.py): the decisions and the errors
are those of the exact way (``lines.FAST`` off) and of per-record ``decide``, for files
of generated citizens and for every line where Arrow's reader and ``decide`` part; and
the fast reading is taken where it may be."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from equivalence import expected  # noqa: E402

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import lines as fast_lines  # noqa: E402
from udbudsregler.columnar.files import FileSummary, decide_file  # noqa: E402
from udbudsregler.diagnostics import EvaluationError, FactError  # noqa: E402
from udbudsregler.policy import Policy  # noqa: E402
from udbudsregler.runtime.inputs import MAX_DEPTH, population_line, read_json  # noqa: E402
from udbudsregler.testing.boundaries import sample_citizens  # noqa: E402
from udbudsregler.values.money import Money  # noqa: E402
from udbudsregler.values.temporal import Period  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
POLICIES = {"slagelse-2019": ROOT / "policies" / "slagelse-2019",
            "koebenhavn-2024": ROOT / "policies" / "koebenhavn-2024",
            "rusta-och-matcha-2": ROOT / "policies" / "rusta-och-matcha-2",
            "peer-workload": ROOT / "benchmarks" / "peer-workload",
            "json-lines": DATA / "json-lines"}


@pytest.fixture(scope="module")
def policies() -> dict[str, Policy]:
    return {name: load_policy(path) for name, path in POLICIES.items()}


def _json(value: Any, numbers: str = "text") -> Any:
    """A canonical fact value as JSON: dates as ISO text, amounts as their number, numbers
    as text or (``numbers``) marked to be written as JSON numbers."""
    if isinstance(value, Money):
        value = value.amount
    if isinstance(value, Period):
        return {"from": _json(value.start), "to": _json(value.end)}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value) if numbers == "text" else f"\u0001{value}\u0001"
    if isinstance(value, dict):
        return {k: _json(v, numbers) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v, numbers) for v in value]
    return value


def _line(facts: Any, wrap: str | None = None, numbers: str = "text") -> str:
    data = _json(facts, numbers)
    if wrap is not None:
        data = {"id": wrap, "facts": data}
    text = json.dumps(data, ensure_ascii=False)
    return re.sub(r'"\\u0001([^"]*)\\u0001"', r"\1", text)  # decimals as JSON numbers


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def _run(policy: Policy, source: Path, on: dt.date, tmp: Path, *, fast: bool,
         batch_rows: int = 65_536, monkeypatch: pytest.MonkeyPatch) -> tuple[
             list[dict[str, Any]], list[dict[str, Any]], FileSummary]:
    monkeypatch.setattr(fast_lines, "FAST", fast)
    out = tmp / f"out-{'fast' if fast else 'exact'}.parquet"
    summary = decide_file(policy, source, on, out, batch_rows=batch_rows)
    decisions = pq.read_table(out).to_pylist()
    errors = pq.read_table(out.with_name(out.stem + ".errors.parquet")).to_pylist()
    return decisions, errors, summary


def _both(policy: Policy, source: Path, on: dt.date, tmp: Path,
          monkeypatch: pytest.MonkeyPatch, batch_rows: int = 65_536) -> tuple[
              list[dict[str, Any]], list[dict[str, Any]], FileSummary]:
    """The fast reading's decisions, errors and summary, after checking that they are the
    exact way's."""
    fast = _run(policy, source, on, tmp, fast=True, batch_rows=batch_rows,
                monkeypatch=monkeypatch)
    exact = _run(policy, source, on, tmp, fast=False, batch_rows=batch_rows,
                 monkeypatch=monkeypatch)
    assert fast[0] == exact[0]
    assert fast[1] == exact[1]
    assert (fast[2].rows, fast[2].decided, fast[2].errors) == \
        (exact[2].rows, exact[2].decided, exact[2].errors)
    assert exact[2].fast_json == 0
    return fast


def _decide_errors(policy: Policy, facts: Any, on: dt.date, order: Any = None
                   ) -> list[tuple[str, str, str]]:
    try:
        policy.decide(facts, on, order=order)
    except FactError as error:
        return [(p.path, p.code, p.described) for p in error.problems]
    except EvaluationError as error:
        return [(error.path or "", error.code, error.message)]
    return []


def _agree(policy: Policy, text: str, on: dt.date, decisions: list[dict[str, Any]],
           errors: list[dict[str, Any]]) -> None:
    """Each non-blank line: decide's decision, or its errors (path, code, message; a line
    that is not JSON: one UDB608 naming the line; a line that is not a facts object or
    a wrapper: the problems ``population_line`` gives, each naming the line)."""
    decided = {d["row"]: d for d in decisions}
    problems: dict[int, list[tuple[str, str, str]]] = {}
    for e in errors:
        problems.setdefault(e["row"], []).append((e["path"], e["code"], e["message"]))
    row = 0
    for number, line in enumerate(re.split("\r\n|\r|\n", text.removeprefix("\ufeff")),
                                  start=1):
        if not line.strip():
            continue
        try:
            data = read_json(line)
        except Exception:
            assert [(p, c) for p, c, _ in problems[row]] == [("", "UDB608")], line
            assert problems[row][0][2].startswith(f"line {number}: "), problems[row]
            assert row not in decided
            row += 1
            continue
        read = population_line(data)
        if read.problems:
            assert problems[row] == [(p.path, p.code, f"line {number}: {p.described}")
                                     for p in read.problems], line
            assert row not in decided
            row += 1
            continue
        facts, order = read.facts, read.order
        kind, want = expected(policy, facts, on, order)
        if kind == "errors":
            assert row not in decided, line
            assert problems[row] == _decide_errors(policy, facts, on, order), line
        else:
            assert row not in problems, (line, problems[row])
            assert {k: decided[row][k] for k in want} == want, line
        row += 1
    assert row == len({*decided, *problems})


# -- files of generated citizens ---------------------------------------------------------


@pytest.mark.parametrize("name", list(POLICIES))
@pytest.mark.parametrize("form", ["plain", "wrapped", "numbers"])
def test_generated_citizens_read_fast_as_the_exact_way(
        policies: dict[str, Policy], name: str, form: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    policy = policies[name]
    on = policy.header.valid.from_
    rows = sample_citizens(policy, on, 300, seed=31)
    text = "\n".join(_line(r, f"c{i}" if form == "wrapped" else None,
                           "numbers" if form == "numbers" else "text")
                     for i, r in enumerate(rows)) + "\n"
    source = _write(tmp_path / "population.jsonl", text)
    decisions, errors, summary = _both(policy, source, on, tmp_path, monkeypatch,
                                       batch_rows=128)
    _agree(policy, text, on, decisions, errors)
    assert summary.fast_json == len(rows)  # every line read by Arrow
    if form == "wrapped":
        assert [d["id"] for d in decisions] == [f"c{i}" for i in range(len(rows))]


@pytest.mark.parametrize("name", ["slagelse-2019", "peer-workload", "json-lines"])
def test_generated_citizens_with_mistakes(policies: dict[str, Policy], name: str,
                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    """Lines with one mistake or oddity each (the hazards of the reading) among good ones,
    in small batches: the same as the exact way and as decide, line by line."""
    monkeypatch.setattr(fast_lines, "PIECE_LINES", 4)  # the good pieces read by Arrow
    policy = policies[name]
    on = policy.header.valid.from_
    rng = random.Random(7)
    rows = sample_citizens(policy, on, 200, seed=32)
    lines = [_line(r) for r in rows]
    for k in range(0, len(lines), 3):
        lines[k] = _spoil(lines[k], rng)
    text = "\n".join(lines) + "\n"
    source = _write(tmp_path / "population.jsonl", text)
    decisions, errors, summary = _both(policy, source, on, tmp_path, monkeypatch,
                                       batch_rows=64)
    _agree(policy, text, on, decisions, errors)
    assert summary.fast_json > 0


_VALUES = ['"+1"', '"01"', '"1."', '".5"', '"1e5"', '"0e30"', "0e30", '"0E-400"',
           "0.0000000000000000000", '"' + "0" * 70 + '1"', "1e400", "NaN", "Infinity",
           '"\\u002b1"', '"\\ud800"', "19000", '"2024-1-1"', '"2024-02-30"', "null", "[]",
           "{}", '"x"', "true", "1.5", "-0", "1E2", '"1E2"', "9223372036854775808",
           '"\\t"', '"a\tb"', '" 1"', '"1 "', '""', "0.5e-3", '"12345678901234567890"']


def _spoil(line: str, rng: random.Random) -> str:
    """One mistake or oddity in a JSON line: a value replaced, a key added, twice or
    dropped, the line made something else."""
    data = json.loads(line)
    how = rng.randrange(8)
    if how <= 2:  # a value somewhere replaced by a tricky one
        paths = list(_paths(data))
        path = rng.choice(paths)
        marker = "\u0000MARK\u0000"
        _set(data, path, marker)
        return json.dumps(data, ensure_ascii=False).replace(
            json.dumps(marker), rng.choice(_VALUES))
    if how == 3:  # a key dropped (a `to` too)
        paths = [p for p in _paths(data) if p]
        path = rng.choice(paths)
        parent = _get(data, path[:-1])
        if isinstance(parent, dict):
            del parent[path[-1]]
        return json.dumps(data, ensure_ascii=False)
    if how == 4:  # a key twice, an unknown key, a key written with an escape
        text = json.dumps(data, ensure_ascii=False)
        key = rng.choice(list(data) or ["x"])
        return rng.choice([text[:-1] + f', "{key}": null}}', text[:-1] + ', "shoe": 42}',
                           text.replace(f'"{key}"', '"' + "".join(
                               f"\\u{ord(c):04x}" for c in key) + '"', 1)])
    if how == 5:
        return rng.choice(["null", "[1]", "5", '"text"', "{}{}", line + line, "{" + line,
                           "\ufeff" + line, "\u00a0" + line, line + "\u000b",
                           "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2),
                           line[:-1] + ', "x": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}",
                           "  \t" + line + " \t", ""])
    if how == 6:  # a tricky value under its key written with an escape
        paths = [p for p in _paths(data) if p and isinstance(p[-1], str) and p[-1]]
        path = rng.choice(paths)
        marker = "\u0000MARK\u0000"
        _set(data, path, marker)
        key = path[-1]
        escaped = f"\\u{ord(key[0]):04x}{key[1:]}"
        return json.dumps(data, ensure_ascii=False).replace(
            f"{json.dumps(key)}: {json.dumps(marker)}", f'"{escaped}": {rng.choice(_VALUES)}')
    return line  # left good


def _paths(value: Any, at: tuple[Any, ...] = ()) -> Any:
    yield at
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*at, i))


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


def _set(value: Any, path: tuple[Any, ...], new: Any) -> None:
    if not path:
        return
    _get(value, path[:-1])[path[-1]] = new


# -- each hazard, one line in a file of good lines -----------------------------------------


def _peer(**changes: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "age": 45, "benefit": "kontanthjaelp", "visitation": "aktivitetsparat",
        "years_on_benefit": "2.5", "subject_to_225_rule": True,
        "offers": [{"kind": "loentilskud", "weekly_hours": 20, "months_ago": 3}],
        "has_hjerneskade": False, "has_kognitiv": False, "has_psykisk": False,
        "weeks": 10, "self_supporting_months_after_end": 5}
    facts.update(changes)
    return facts


def _one_line(policies: dict[str, Policy], name: str, line: str, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch, good: str | None = None) -> tuple[
                  list[dict[str, Any]], list[dict[str, Any]], FileSummary]:
    """``line`` as the 6th line of 12, the others good; checked against the exact way and
    decide."""
    monkeypatch.setattr(fast_lines, "PIECE_LINES", 1)  # a line Arrow refuses costs itself
    policy = policies[name]
    on = policy.header.valid.from_
    if good is None:
        good = json.dumps(_peer())
    lines = [good] * 12
    lines[5] = line
    text = "\n".join(lines) + "\n"
    source = _write(tmp_path / "population.jsonl", text)
    decisions, errors, summary = _both(policy, source, on, tmp_path, monkeypatch)
    _agree(policy, text, on, decisions, errors)
    assert summary.fast_json >= 11  # the good lines are read by Arrow
    return decisions, errors, summary


def _row5(decisions: list[dict[str, Any]], errors: list[dict[str, Any]]
          ) -> list[tuple[str, str]]:
    assert 5 not in {d["row"] for d in decisions}
    return [(e["path"], e["code"]) for e in errors if e["row"] == 5]


@pytest.mark.parametrize("text", ["+1", "1.", ".5", "1e", "-", "", " 1", "1 ", "e5", "1,5",
                                  "0x10", "１"])
def test_a_decimal_text_decide_refuses(policies: dict[str, Policy], text: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrow reads "+1", "1." and ".5" as numbers; decide refuses them (UDB602)."""
    line = json.dumps(_peer(years_on_benefit=text))
    decisions, errors, _ = _one_line(policies, "peer-workload", line, tmp_path, monkeypatch)
    assert _row5(decisions, errors) == [("years_on_benefit", "UDB602")]


@pytest.mark.parametrize("value", ['"0e30"', "0e30", '"0E-400"', "-0e-400",
                                   "0.0000000000000000000", '"' + "0" * 70 + '1"',
                                   '"' + "1" * 65 + '"'])
def test_a_decimal_beyond_the_limits_as_arrow_reads_it(
        policies: dict[str, Policy], value: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A zero with a large exponent or 19 places is 0 to Arrow and beyond the input limits
    to decide (UDB610); a number of more than 64 characters too."""
    line = json.dumps(_peer(years_on_benefit="MARK")).replace('"MARK"', value)
    decisions, errors, _ = _one_line(policies, "peer-workload", line, tmp_path, monkeypatch)
    assert _row5(decisions, errors) == [("years_on_benefit", "UDB610")]


@pytest.mark.parametrize("value", ['"01"', '"1e1"', '"1E+1"', "1e1", "0e5", '"00.50"',
                                   "-0.0", "0.000000000000000001",
                                   '"1.0000000000000000001"'])  # (19 places: a wide table)
def test_a_decimal_decide_reads_is_decided(policies: dict[str, Policy], value: str,
                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    line = json.dumps(_peer(years_on_benefit="MARK")).replace('"MARK"', value)
    decisions, _, _ = _one_line(policies, "peer-workload", line, tmp_path, monkeypatch)
    assert 5 in {d["row"] for d in decisions}


def _slagelse(**changes: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "birth_date": "1980-05-01", "visitation": "aktivitetsparat",
        "benefits": [{"kind": "kontanthjaelp", "from": "2017-01-01", "to": None}],
        "offers": [{"kind": "loentilskud", "weekly_hours": "20", "from": "2018-01-01",
                    "to": "2018-06-30"}],
        "subject_to_225_rule": True}
    facts.update(changes)
    return facts


@pytest.mark.parametrize(("facts", "want"), [
    (_slagelse(birth_date=19000), [("birth_date", "UDB602")]),
    (_slagelse(birth_date="2024-1-1"), [("birth_date", "UDB602")]),
    (_slagelse(birth_date="1980-02-30"), [("birth_date", "UDB603")]),
    (_slagelse(benefits=[{"kind": "kontanthjaelp", "from": "2017-01-01", "to": "2018-1-1"}]),
     [("benefits[0].to", "UDB602")]),
    (_slagelse(benefits=[{"kind": "kontanthjaelp", "from": "2017-01-01",
                          "to": "2018-02-30"}]), [("benefits[0].to", "UDB603")]),
    (_slagelse(benefits=[{"kind": "kontanthjaelp", "from": "2017-01-01", "to": ""}]),
     [("benefits[0].to", "UDB602")]),
    (_slagelse(benefits=[{"kind": "kontanthjaelp", "from": "2017-01-01", "to": 17000}]),
     [("benefits[0].to", "UDB602")]),
    (_slagelse(benefits=[{"kind": "kontanthjaelp", "from": "2017-01-01"}]),
     [("benefits[0].to", "UDB601")]),
    (_slagelse(shoe=42), [("shoe", "UDB606")]),
])
def test_dates_and_keys_decide_refuses(policies: dict[str, Policy], facts: dict[str, Any],
                                       want: list[tuple[str, str]], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    decisions, errors, _ = _one_line(policies, "slagelse-2019", json.dumps(facts), tmp_path,
                                     monkeypatch, good=json.dumps(_slagelse()))
    assert _row5(decisions, errors) == want


def test_an_open_end_left_out_among_open_ends(policies: dict[str, Policy], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A `to` left out is an error (UDB601), `"to": null` an open end, though both are a
    null `to` to Arrow; the other rows with open ends are still read by Arrow."""
    open_end = json.dumps(_slagelse())
    left_out = json.dumps(_slagelse(benefits=[{"kind": "kontanthjaelp", "from": "2017-01-01"}]))
    text = "\n".join([open_end] * 5 + [left_out] + [open_end] * 5) + "\n"
    policy = policies["slagelse-2019"]
    on = policy.header.valid.from_
    source = _write(tmp_path / "population.jsonl", text)
    decisions, errors, summary = _both(policy, source, on, tmp_path, monkeypatch)
    _agree(policy, text, on, decisions, errors)
    assert _row5(decisions, errors) == [("benefits[0].to", "UDB601")]
    assert len(decisions) == 10
    assert summary.fast_json == 10  # only the line without `to` was read the exact way


@pytest.mark.parametrize(("line", "message"), [
    ("null", "line 6: expected a JSON object"),
    ("[1, 2]", "line 6: expected a JSON object"),
    ("5", "line 6: expected a JSON object"),
    ("{}{}", "line 6: not valid JSON: Extra data"),
    ('{"age": 1} {"age": 2}', "line 6: not valid JSON: Extra data"),
    ('{"age": 1}x', "line 6: not valid JSON: Extra data"),
    ("\ufeff" + json.dumps(_peer()), "line 6: not valid JSON: Unexpected UTF-8 BOM (decode "
                                     "using utf-8-sig)"),
    ('{"facts": 5}', "line 6: `facts` is not an object (got the number 5)"),
    ('{"age": NaN}', None),
    ('{"age": 1,}', None),
])
def test_a_line_that_is_not_a_facts_object(policies: dict[str, Policy], line: str,
                                           message: str | None, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    decisions, errors, _ = _one_line(policies, "peer-workload", line, tmp_path, monkeypatch)
    got = [(e["code"], e["message"]) for e in errors if e["row"] == 5]
    if message is not None:
        assert got == [("UDB608", message)]
    assert 5 not in {d["row"] for d in decisions}


def test_an_id_no_output_can_write_is_an_error_of_its_line(
        policies: dict[str, Policy], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An id holding a lone surrogate (``"\\ud800"``, valid JSON) is an error of its line;
    before, Arrow could not write it and the whole file failed (UnicodeEncodeError)."""
    line = json.dumps({"id": "\ud800", "facts": _peer()})
    assert "\\ud800" in line
    decisions, errors, _ = _one_line(policies, "peer-workload", line, tmp_path, monkeypatch)
    assert _row5(decisions, errors) == [("id", "UDB602")]
    assert "lone surrogate" in errors[0]["message"]


def test_a_key_twice_an_unknown_key_and_an_escaped_key(
        policies: dict[str, Policy], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = json.dumps(_peer())
    twice = good[:-1] + ', "age": 45}'
    unknown = good[:-1] + ', "shoe": 42}'
    # a decimal's key written with an escape, its value a text Arrow would read
    escaped = json.dumps(_peer(years_on_benefit="+1")).replace(
        '"years_on_benefit"', '"years_on_benefi\\u0074"')
    for line, want in ((twice, [("", "UDB608")]), (unknown, [("shoe", "UDB606")]),
                       (escaped, [("years_on_benefit", "UDB602")])):
        decisions, errors, _ = _one_line(policies, "peer-workload", line, tmp_path, monkeypatch)
        assert _row5(decisions, errors) == want


def test_a_deep_line_is_not_given_to_arrow(policies: dict[str, Policy], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    line = json.dumps(_peer())[:-1] + f', "offers2": {deep}}}'
    decisions, errors, _ = _one_line(policies, "peer-workload", line, tmp_path, monkeypatch)
    assert _row5(decisions, errors) == [("", "UDB608")]
    assert "nested more than 64 levels deep" in errors[0]["message"]
    calls: list[int] = []
    original = fast_lines.FastJson.read

    def counted(self: Any, block: Any, chosen: Any) -> Any:
        calls.append(int(chosen[5]))
        return original(self, block, chosen)

    monkeypatch.setattr(fast_lines.FastJson, "read", counted)
    _one_line(policies, "peer-workload", line, tmp_path, monkeypatch)
    assert calls and not any(calls)  # the deep line was never given to Arrow


def test_blank_lines_line_ends_and_numbering(policies: dict[str, Policy], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Blank lines (white space of any kind) are skipped, rows count the others, messages
    name the line in the file; \\r\\n and \\r end lines as Python's universal newlines do;
    a byte-order mark at the start is skipped."""
    policy = policies["peer-workload"]
    on = policy.header.valid.from_
    good = json.dumps(_peer())
    body = ["", good, "   ", "\t", "\u00a0", "\u000b", good, "{not json", good, "", good]
    for end in ("\n", "\r\n", "\r"):
        text = "\ufeff" + end.join(body) + end
        source = _write(tmp_path / "population.jsonl", text)
        decisions, errors, summary = _both(policy, source, on, tmp_path, monkeypatch)
        assert [d["row"] for d in decisions] == [0, 1, 3, 4]
        assert [(e["row"], e["message"]) for e in errors] == [
            (2, "line 8: not valid JSON: Expecting property name enclosed in double quotes")]
        if end != "\r":
            assert summary.fast_json == 4


def test_wrapped_lines(policies: dict[str, Policy], tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`{"id": ..., "facts": ...}`: read by Arrow with its id; one with an order, a number
    as id, or no facts is read the exact way, with the same result."""
    monkeypatch.setattr(fast_lines, "PIECE_LINES", 1)
    policy = policies["peer-workload"]
    on = policy.header.valid.from_
    lines = [json.dumps({"id": f"c{i}", "facts": _peer(age=30 + i)}) for i in range(12)]
    lines[3] = json.dumps({"id": "c3", "facts": _peer(), "order": {"package": "x"}})
    lines[4] = json.dumps({"id": 4, "facts": _peer()})
    lines[5] = json.dumps({"id": "c5"})
    lines[6] = json.dumps({"facts": _peer(age=None)})
    lines[7] = json.dumps({"id": "c7", "facts": None})
    text = "\n".join(lines) + "\n"
    source = _write(tmp_path / "population.jsonl", text)
    decisions, errors, summary = _both(policy, source, on, tmp_path, monkeypatch)
    _agree(policy, text, on, decisions, errors)
    assert summary.fast_json == 8  # not those with an order, a number as id, no facts
    ids = {d["row"]: d["id"] for d in decisions}
    assert ids[0] == "c0" and ids[4] == "4"
    assert ("id", "UDB606") in {(e["path"], e["code"]) for e in errors if e["row"] == 5}
    # the order is decided with: the policy has no package `x`
    assert [(e["path"], e["code"], e["id"]) for e in errors if e["row"] == 3] == [
        ("order.package", "UDB605", "c3")]
    assert {e["row"] for e in errors} == {3, 5, 6, 7}
    assert [e["id"] for e in errors if e["row"] == 7] == ["c7"]


@pytest.mark.parametrize(("wrapper", "want"), [
    # a misspelt order, an order that is not an object: no decision without it
    ({"id": "c", "ordre": {"package": "x"}}, ("ordre", "UDB606", "line 6: `ordre` is not a "
                                              "key of a population line (id, facts, order, "
                                              "note)")),
    ({"id": "c", "order": "x"}, ("order", "UDB602", "line 6: `order` is not an object (got "
                                 "the text 'x')")),
    # an id that is not text or an integer (it was written as Python wrote it: "True")
    ({"id": True}, ("id", "UDB602", "line 6: `id` is not text or an integer (got "
                    "true/false)")),
    ({"id": 1.5}, ("id", "UDB602", "line 6: `id` is not text or an integer (got the number "
                   "1.5)")),
    ({"id": "c", "facts": [1]}, ("facts", "UDB608", "line 6: `facts` is not an object (got "
                                 "a list)")),
])
def test_a_wrapper_that_is_wrong_is_an_error_naming_the_line_and_the_key(
        policies: dict[str, Policy], wrapper: dict[str, Any], want: tuple[str, str, str],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line = json.dumps({"facts": _peer(), **wrapper})
    decisions, errors, _ = _one_line(policies, "peer-workload", line, tmp_path, monkeypatch)
    assert [(e["path"], e["code"], e["message"]) for e in errors if e["row"] == 5] == [want]
    assert [e["id"] for e in errors if e["row"] == 5] == [wrapper["id"] if wrapper["id"] == "c"
                                                          else None]
    assert 5 not in {d["row"] for d in decisions}


def test_a_wrapper_with_a_note_or_a_null_order_is_decided(
        policies: dict[str, Policy], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`note` is for a human reader (as in examples/data/citizens.jsonl); a null order is
    no order."""
    for extra in ({"note": "for people"}, {"order": None}, {"note": None, "order": None}):
        line = json.dumps({"id": "c5", "facts": _peer(), **extra})
        decisions, errors, _ = _one_line(policies, "peer-workload", line, tmp_path,
                                         monkeypatch)
        assert not errors
        assert [d["id"] for d in decisions if d["row"] == 5] == ["c5"]


def test_an_order_on_a_line_is_decided_with(policies: dict[str, Policy], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """København's packages have spans of weekly hours: each line's `order` gives the
    package status and supplier decide gives with that order (a line with no order, none),
    in a batch of lines read by Arrow and lines read the exact way, and alone in a batch."""
    import random

    from udbudsregler.testing.boundaries import sampler
    from udbudsregler.testing.strategies import order_gen

    policy = policies["koebenhavn-2024"]
    on = dt.date(2024, 3, 1)
    rows = sample_citizens(policy, on, 150, seed=12)
    draw = sampler(order_gen(policy), random.Random(3).random)
    lines = []
    for i, facts in enumerate(rows):
        order = draw() if i >= 100 else None  # the first 100 lines without an order
        data = json.loads(_line(facts, f"c{i}"))
        if order:
            data["order"] = _json(order)
        lines.append(json.dumps(data, ensure_ascii=False))
    text = "\n".join(lines) + "\n"
    source = _write(tmp_path / "population.jsonl", text)
    for batch_rows in (65_536, 7):
        decisions, errors, summary = _both(policy, source, on, tmp_path, monkeypatch,
                                           batch_rows=batch_rows)
        _agree(policy, text, on, decisions, errors)
        statuses = {d["package_status"] for d in decisions}
        assert len(statuses - {None}) >= 2, statuses  # the orders made a difference
        assert summary.fast_json >= 64, summary  # Arrow read lines without an order


def test_invalid_utf8_is_an_error_of_its_line(policies: dict[str, Policy], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    policy = policies["peer-workload"]
    on = policy.header.valid.from_
    good = json.dumps(_peer(), ensure_ascii=False).encode()
    data = b"\n".join([good] * 5 + [good[:-2] + b'\xff"}', b'{"age": "\xc3"}'] + [good] * 5)
    source = _write(tmp_path / "population.jsonl", data + b"\n")
    decisions, errors, _ = _both(policy, source, on, tmp_path, monkeypatch)
    assert [(e["row"], e["code"], e["message"]) for e in errors] == [
        (5, "UDB608", "line 6: not UTF-8 text"), (6, "UDB608", "line 7: not UTF-8 text")]
    assert len(decisions) == 10


def test_one_refused_line_costs_its_piece_only(policies: dict[str, Policy], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A line Arrow refuses sends the lines of its piece the exact way, not the batch."""
    monkeypatch.setattr(fast_lines, "PIECE_LINES", 10)
    policy = policies["peer-workload"]
    on = policy.header.valid.from_
    lines = [json.dumps(_peer(age=20 + i % 50)) for i in range(100)]
    lines[42] = json.dumps(_peer(age="42"))  # a text for a whole number: Arrow refuses it
    text = "\n".join(lines) + "\n"
    source = _write(tmp_path / "population.jsonl", text)
    decisions, errors, summary = _both(policy, source, on, tmp_path, monkeypatch)
    _agree(policy, text, on, decisions, errors)
    assert summary.fast_json == 90
    assert [d["row"] for d in decisions] == [r for r in range(100) if r != 42]


@pytest.mark.parametrize("refused", [[500], [3, 997], list(range(0, 1000, 7)),
                                     list(range(1000))])
def test_refused_lines_are_found_by_smaller_pieces(
        policies: dict[str, Policy], refused: list[int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines Arrow refuses among 1000: the pieces around them are read in quarters down to
    SMALLEST_PIECE lines; where most lines are refused, Arrow is not asked again and again."""
    policy = policies["peer-workload"]
    on = policy.header.valid.from_
    lines = [json.dumps(_peer(age=20 + i % 50)) for i in range(1000)]
    for k in refused:
        lines[k] = json.dumps(_peer(age=str(k)))
    text = "\n".join(lines) + "\n"
    source = _write(tmp_path / "population.jsonl", text)
    calls: list[int] = []
    original = fast_lines.FastJson._piece

    def counted(self: Any, data: Any, block: Any, at: Any, size: int) -> Any:
        calls.append(len(at))
        return original(self, data, block, at, size)

    monkeypatch.setattr(fast_lines.FastJson, "_piece", counted)
    decisions, errors, summary = _both(policy, source, on, tmp_path, monkeypatch)
    _agree(policy, text, on, decisions, errors)
    assert summary.fast_json >= 1000 - len(refused) * fast_lines.SMALLEST_PIECE
    assert sum(calls) <= 10_000  # lines given to Arrow, over all tries


def test_a_row_arrow_read_that_does_not_parse_is_read_again(
        policies: dict[str, Policy], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If a row Arrow read could not be parsed the exact way when it is decided per record,
    the batch is read again the exact way: the same answer, never a crash."""
    def broken(text: str) -> Any:
        raise json.JSONDecodeError("made up", text, 0)

    monkeypatch.setattr(fast_lines, "read_line", broken)
    line = json.dumps(_peer(age=None))  # null: decided per record, from its parsed line
    policy = policies["peer-workload"]
    on = policy.header.valid.from_
    text = "\n".join([json.dumps(_peer())] * 5 + [line] * 2) + "\n"
    source = _write(tmp_path / "population.jsonl", text)
    decisions, errors, summary = _both(policy, source, on, tmp_path, monkeypatch)
    _agree(policy, text, on, decisions, errors)
    assert summary.fast_json == 0  # read again the exact way


def test_a_clean_file_is_read_by_arrow(policies: dict[str, Policy], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast reading is taken: every line of a clean file, in every batch, is read by
    Arrow and decided on the columns (the speed cannot silently go)."""
    policy = policies["peer-workload"]
    on = policy.header.valid.from_
    text = "".join(json.dumps(_peer(age=18 + i % 60, years_on_benefit=i % 9 + 0.5)) + "\n"
                   for i in range(1000))
    source = _write(tmp_path / "population.jsonl", text)
    monkeypatch.setattr(fast_lines, "FAST", True)
    summary = decide_file(policy, source, on, tmp_path / "out.parquet", batch_rows=300)
    assert (summary.rows, summary.fast_json, summary.columnar) == (1000, 1000, 1000)


@pytest.mark.parametrize("seed", range(6))
def test_blocks_of_lines_are_pythons_universal_newlines(seed: int) -> None:
    """The file in blocks of bytes has the lines Python's text reader (universal newlines,
    a byte-order mark at the start skipped) reads, in any size of block."""
    import io

    rng = random.Random(seed)
    parts = ["{}", "a", "\n", "\r", "\r\n", " ", "\ufeff", "æ", "\n\n", "\r\r\n", "xy"]
    for k in range(200):
        size = rng.randrange(0, 12) if k else 60_000  # the first: reads end inside a \r\n
        text = "".join(rng.choice(parts) for _ in range(size))
        data = text.encode("utf-8")
        reader = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
        want = [line.rstrip("\r\n") for line in iter(reader.readline, "")]
        for lines in (1, 2, 3, 1000) if k else (1000, 100_000):
            got: list[str] = []
            for block in fast_lines.line_blocks(io.BytesIO(data), lines, max(len(data), 1)):
                assert len(block) <= lines
                assert block.first == len(got) + 1
                got += [block.line(k).decode("utf-8") for k in range(len(block))]
            assert got == want, (text, lines)


def test_a_row_arrow_read_is_parsed_as_the_exact_way_reads_it_or_redone() -> None:
    """`Records` gives a row Arrow read the facts the exact way gives; if the exact way
    reads the line otherwise than Arrow did (a wrapper with an order or another problem,
    a wrapper read as facts or facts read as a wrapper), the batch is read again."""
    import io

    import numpy as np

    facts = {"age": 1}
    lines = [{"id": "c", "facts": facts}, facts, {"id": "c", "facts": facts, "order": {}},
             {"facts": facts, "ordre": {}}, {"facts": 5}, facts, {"facts": facts}, [1]]
    wrapped = [True, False, True, True, True, True, False, False]
    data = "\n".join(json.dumps(line) for line in lines).encode("utf-8")
    [block] = fast_lines.line_blocks(io.BytesIO(data), 100, len(data))
    records = fast_lines.Records(block, np.arange(len(lines)), np.array(wrapped), [])
    assert records[0] == facts and records[1] == facts
    for k in range(2, len(lines)):
        with pytest.raises(fast_lines.Redo, match=f"line {k + 1}"):
            records[k]
