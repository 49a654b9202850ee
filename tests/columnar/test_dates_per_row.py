"""``decide_table(table, on="column")``: each row decided on its own date, as ``decide``
decides it on that date; a date ``decide`` refuses (or outside the policy's validity) is
an error of its row at the column. The rows of a date are one columnar run; the dates of
few rows are decided per record, each on its own date."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from equivalence import expected  # noqa: E402

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import fact_schema  # noqa: E402
from udbudsregler.columnar import table as columnar_table  # noqa: E402
from udbudsregler.testing.boundaries import sample_citizens  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(ROOT / "policies" / "slagelse-2019")


def _agree(policy: Any, rows: list[dict[str, Any]], days: list[Any], result: Any,
           column: str, first_row: int = 0) -> None:
    """Every row as ``decide(facts, its date)``: its decision, or its problems (those of
    the date at ``column``, where ``decide`` says ``on``, or its validity's, no path)."""
    decided = {d["row"] - first_row: d for d in result.decisions.to_pylist()}
    errors: dict[int, list[tuple[str, str, str]]] = {}
    for e in result.errors.to_pylist():
        errors.setdefault(e["row"] - first_row, []).append((e["path"], e["code"],
                                                            e["message"]))
    assert result.rows == len(rows)
    for i, facts in enumerate(rows):
        kind, want = expected(policy, facts, days[i])
        if kind == "errors":
            dated = [p for p in want if p[0] == "on" or p[1] == "UDB703"]
            if dated:  # the date's problems, at the column
                want = sorted((column, code, message) for _, code, message in dated)
            assert i not in decided and sorted(errors.get(i, [])) == want, (i, days[i])
        else:
            assert i not in errors, (i, errors.get(i))
            assert {k: decided[i][k] for k in want} == want, (i, days[i])
            assert decided[i]["id"] == f"c{i}"


def _days(n: int) -> list[date]:
    """Two dates of many rows (decided on the columns) and many dates of few rows."""
    return [date(2019, 2, 1) if i % 3 == 0 else date(2020, 6, 3) if i % 3 == 1
            else date(2019, 1, 1) + timedelta(days=i % 300) for i in range(n)]


@pytest.mark.parametrize("as_text", [False, True])
def test_each_row_is_decided_on_its_own_date(policy: Any, as_text: bool,
                                            monkeypatch: Any) -> None:
    monkeypatch.setattr(columnar_table, "_FEW_OF_A_DAY", 100)
    rows = sample_citizens(policy, date(2019, 6, 1), 600, seed=3)
    days: list[Any] = _days(len(rows))
    if as_text:
        days = [d.isoformat() for d in days]
    # dates decide refuses, and one outside the policy's validity
    days[3], days[5] = None, "1990-01-01" if as_text else date(1990, 1, 1)
    if as_text:
        days[4] = "2019-02-30"
    citizens = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph))
    citizens = citizens.append_column("decided_on", pa.array(days)).append_column(
        "cid", pa.array([f"c{i}" for i in range(len(rows))]))
    result = policy.decide_table(citizens, "decided_on", id="cid", first_row=10)
    _agree(policy, rows, days, result, "decided_on", first_row=10)
    assert result.columnar > 300 and result.per_record > 100  # both ways were taken
    assert "decided_on" not in result.decisions.column_names
    assert result.decisions.column("row").to_pylist() == sorted(
        result.decisions.column("row").to_pylist())


def test_dates_of_few_rows_are_decided_per_record_on_their_dates(policy: Any) -> None:
    """With every date of few rows, each row is decided per record on its own date (one
    columnar run per date would cost about 2 ms a row)."""
    rows = sample_citizens(policy, date(2019, 6, 1), 120, seed=5)
    days = [date(2019, 1, 1) + timedelta(days=7 * i) for i in range(len(rows))]
    citizens = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph))
    citizens = citizens.append_column("on", pa.array(days)).append_column(
        "cid", pa.array([f"c{i}" for i in range(len(rows))]))
    result = policy.decide_table(citizens, "on", id="cid", values=["age"])
    _agree(policy, rows, days, result, "on")
    assert result.per_record == len(rows)
    by_row = {d["row"]: d for d in result.decisions.to_pylist()}
    for i, facts in enumerate(rows):  # a value is the row's on its date
        decision = policy.decide(facts, days[i])
        assert by_row[i]["age"] == policy.node_value("age", decision.facts, days[i])


def test_a_date_or_a_column_and_the_other_forms(policy: Any) -> None:
    """``on`` is a column only when the table has one of its name: ISO text is a date as
    before, and a name the table lacks is refused as decide refuses the text; a Polars
    frame's date column is read as Arrow's; an empty table gives the columns."""
    rows = sample_citizens(policy, date(2019, 6, 1), 20, seed=6)
    citizens = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph)).append_column(
        "cid", pa.array([f"c{i}" for i in range(len(rows))]))
    same = policy.decide_table(citizens, "2019-06-03", id="cid")
    want = same.decisions.to_pylist()  # (20 rows of one date: per record, other codes)
    dated = citizens.append_column("day", pa.array([date(2019, 6, 3)] * len(rows)))
    assert policy.decide_table(dated, "day", id="cid").decisions.to_pylist() == want
    from udbudsregler.diagnostics import FactError

    with pytest.raises(FactError, match="expected a date"):
        policy.decide_table(citizens, "day", id="cid")
    pl = pytest.importorskip("polars")
    frame = pl.from_arrow(dated)
    assert policy.decide_table(frame, "day", id="cid").decisions.to_pylist() == want
    # dates as dictionary-encoded text; a column that holds no dates (lists) at all
    encoded = citizens.append_column("day", pa.array(["2019-06-03"] * len(rows))
                                     .dictionary_encode())
    assert policy.decide_table(encoded, "day", id="cid").decisions.to_pylist() == want
    listed = citizens.append_column("day", pa.array([[1]] * 19 + [None],
                                                    pa.list_(pa.int64())))
    result = policy.decide_table(listed, "day", id="cid")
    _agree(policy, rows, [[1]] * 19 + [None], result, "day")
    assert result.errors.num_rows == len(rows) and result.decisions.num_rows == 0
    empty = policy.decide_table(dated.slice(0, 0), "day", id="cid")
    assert empty.decisions.schema.equals(same.decisions.schema)
    assert empty.rows == 0 and empty.errors.num_rows == 0


def test_dask_reads_each_rows_date_in_its_partition(policy: Any) -> None:
    """``decide_dask(policy, frame, "column")``: each row on its own date (the date is
    not refused before the partitions run as a date would be)."""
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    from udbudsregler.columnar.distributed import decide_dask

    rows = sample_citizens(policy, date(2019, 6, 1), 60, seed=7)
    days = _days(len(rows))
    table = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph))
    table = table.append_column("decided_on", pa.array(days)).append_column(
        "id", pa.array([f"c{i}" for i in range(len(rows))]))
    frame = dd.from_pandas(table.to_pandas(types_mapper=pd.ArrowDtype), npartitions=3)
    result = decide_dask(policy, frame, "decided_on", id="id").compute(
        scheduler="synchronous")
    by_id = {r["id"]: r for r in result.to_dict("records")}
    for i, facts in enumerate(rows):
        kind, want = expected(policy, facts, days[i])
        assert kind == "decision" and not len(by_id[f"c{i}"]["errors"])
        assert by_id[f"c{i}"]["eligible"] == want["eligible"], i
