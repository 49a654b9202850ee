"""``decide_table(table, on="column")``: each row decided on its own date, as ``decide``
decides it on that date; a date ``decide`` refuses (or outside the policy's validity) is
an error of its row at the column. The rows are one columnar run, ``today`` a column of
each row's date and a dated parameter each row's value; a policy with no columnar form
for that is decided a date at a time (the dates of few rows per record)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from equivalence import assert_agree, assert_values, expected  # noqa: E402
from policy_folders import POLICY_FOLDERS  # noqa: E402

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import fact_schema  # noqa: E402
from udbudsregler.columnar import table as columnar_table  # noqa: E402
from udbudsregler.testing.boundaries import boundaries, sample_citizens  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
#: Every policy of the repository and of the columnar tests' data.
CORPUS = [str(p.relative_to(ROOT)) for p in POLICY_FOLDERS] + sorted(
    str(p.parent.relative_to(ROOT)) for p in (ROOT / "tests" / "columnar" / "data").glob(
        "*/policy.yaml"))


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(ROOT / "policies" / "slagelse-2019")


def _agree(policy: Any, rows: list[dict[str, Any]], days: list[Any], result: Any,
           column: str, first_row: int = 0, orders: list[Any] | None = None) -> None:
    """Every row as ``decide(facts, its date)``: its decision, or its problems (those of
    the date at ``column``, where ``decide`` says ``on``, or its validity's, no path;
    with those of the facts, as ``decide`` lists them)."""
    decided = {d["row"] - first_row: d for d in result.decisions.to_pylist()}
    errors: dict[int, list[tuple[str, str, str]]] = {}
    for e in result.errors.to_pylist():
        errors.setdefault(e["row"] - first_row, []).append((e["path"], e["code"],
                                                            e["message"]))
    assert result.rows == len(rows)
    for i, facts in enumerate(rows):
        kind, want = expected(policy, facts, days[i], orders[i] if orders else None)
        if kind == "errors":  # the date's problems at the column
            want = sorted((column if path == "on" or code == "UDB703" else path, code,
                           message) for path, code, message in want)
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
    # one columnar run: only the rows with a bad date are not in it
    assert result.columnar == len(rows) - (3 if as_text else 2)
    assert "decided_on" not in result.decisions.column_names
    assert result.decisions.column("row").to_pylist() == sorted(
        result.decisions.column("row").to_pylist())


def test_a_refused_date_has_decides_problems_of_the_facts_and_the_order_too(
        policy: Any) -> None:
    """A row whose date ``decide`` refuses has every problem ``decide`` gives: the date's
    (at the column) with those of the facts and the order; a date outside the validity
    is checked only when the rest is accepted (before, a bad date was the row's only
    error, and a date outside the validity hid the facts' problems)."""
    rows = sample_citizens(policy, date(2019, 6, 1), 12, seed=31)
    days: list[Any] = ["1990-01-01", "2019-02-30", None, "2019-06-03"] * 3
    orders: list[Any] = [None] * 4 + [{"package": "nope"}] * 4 + [None] * 4
    for i in (0, 1, 2, 3, 9, 10):
        rows[i]["visitation"] = "x"
    table = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph)).append_column(
        "decided_on", pa.array(days, pa.string())).append_column(
        "cid", pa.array([f"c{i}" for i in range(len(rows))]))
    result = policy.decide_table(table, "decided_on", id="cid", order=orders)
    _agree(policy, rows, days, result, "decided_on", orders=orders)
    errors = {(e["row"], e["path"], e["code"]) for e in result.errors.to_pylist()}
    assert {(0, "visitation", "UDB605"), (1, "decided_on", "UDB603"),
            (1, "visitation", "UDB605"), (4, "order.package", "UDB605"),
            (8, "decided_on", "UDB703")} <= errors  # (8: its facts are good)
    assert not {(0, "decided_on", "UDB703"), (4, "decided_on", "UDB703")} & errors


def test_dates_of_few_rows_are_decided_on_the_columns_on_their_dates(policy: Any) -> None:
    """With every date of one row, the rows are one columnar run all the same, each row
    on its own date (``today`` a column: the age, the windows)."""
    rows = sample_citizens(policy, date(2019, 6, 1), 120, seed=5)
    days = [date(2019, 1, 1) + timedelta(days=7 * i) for i in range(len(rows))]
    citizens = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph))
    citizens = citizens.append_column("on", pa.array(days)).append_column(
        "cid", pa.array([f"c{i}" for i in range(len(rows))]))
    result = policy.decide_table(citizens, "on", id="cid", values=["age"])
    _agree(policy, rows, days, result, "on")
    assert result.columnar == len(rows)
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


def _values(policy: Any) -> list[str]:
    """The rules and parameters whose values a column holds."""
    out = []
    for name, node in policy.graph.nodes.items():
        if node.kind not in ("rule", "parameter"):
            continue
        try:
            columnar_table.value_columns(policy, [name])
        except (KeyError, ValueError):
            continue
        out.append(name)
    return out


@pytest.mark.parametrize("name", CORPUS)
def test_every_policy_decides_each_row_on_its_own_date_in_one_run(name: str) -> None:
    """Citizens of the policy's boundary dates, each decided on a date of its own (its
    own boundary date, or another: a day of the policy's validity): every row as
    ``decide`` on its date, every rule's value as the interpreter's on that date, and
    the rows in one columnar run (``today`` and the dated parameters a column)."""
    policy = load_policy(ROOT / name)
    valid = policy.header.valid
    last = valid.to or valid.from_ + timedelta(days=3 * 365)
    anchors = sorted({valid.from_, last, *(d for d in boundaries(policy, valid.from_).dates
                                           if valid.from_ <= d <= last)})[:10]
    rows: list[dict[str, Any]] = []
    days: list[date] = []
    span = (last - valid.from_).days
    for k, on in enumerate(anchors):
        drawn = sample_citizens(policy, on, 30, seed=k)
        rows += drawn
        # half on the date they were drawn for, half spread over the validity
        days += [on if i % 2 else valid.from_ + timedelta(days=(i * 7919 + k * 104729) % (
            span + 1)) for i in range(len(drawn))]
    values = _values(policy)
    assert columnar_table._day_support(policy, tuple(values)) is None
    table = pa.Table.from_pylist([columnar_table.arrow_value(r) for r in rows],
                                 schema=fact_schema(policy.graph)).append_column(
        "decided_on", pa.array(days, pa.date32()))
    result = policy.decide_table(table, "decided_on", values=values)
    assert_agree(policy, rows, days, result, values=tuple(values))
    assert_values(policy, rows, days, result, values)
    # as many rows on the columns as a columnar run per date would decide there
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(columnar_table, "_day_support", lambda *_: "one run per date")
        patch.setattr(columnar_table, "_FEW_OF_A_DAY", 1)
        apart = policy.decide_table(table, "decided_on", values=values)
    assert apart.decisions.to_pylist() == result.decisions.to_pylist()
    assert result.columnar >= apart.columnar, (result.columnar, apart.columnar)


def _koebenhavn_with(tmp_path: Path, file: str, old: str, new: str) -> Any:
    """København with ``old`` replaced by ``new`` (once) in one of its files."""
    import shutil

    folder = tmp_path / "koebenhavn"
    shutil.copytree(ROOT / "policies" / "koebenhavn-2024", folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_policy(folder, cache=False)


def _decide_by_day(policy: Any, rows: list[dict[str, Any]], days: list[date],
                   **options: Any) -> Any:
    """``decide_table`` with each row on its date (a column), held to ``decide`` on
    that date, row by row and value by value."""
    table = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph)).append_column(
        "decided_on", pa.array(days, pa.date32()))
    result = policy.decide_table(table, "decided_on", **options)
    values = tuple(options.get("values", ()))
    orders = [options["order"]] * len(rows) if "order" in options else None
    assert_agree(policy, rows, days, result, orders=orders, values=values)
    assert_values(policy, rows, days, result, values)
    return result


def test_a_dated_parameter_takes_each_rows_value() -> None:
    """København's weekly price changes on 1 January 2025 and 2026: each row's price is
    the one of its date, in one columnar run."""
    policy = load_policy(ROOT / "policies" / "koebenhavn-2024")
    rows = sample_citizens(policy, date(2024, 6, 1), 90, seed=11)
    days = [date(2024, 3, 1) + timedelta(days=11 * i) for i in range(len(rows))]
    result = _decide_by_day(policy, rows, days, values=["general_price"])
    prices = {d["general_price"] for d in result.decisions.to_pylist()}
    assert {Decimal("1500.00"), Decimal("1545.00"), Decimal("1591.35")} <= prices
    assert result.per_record == 0


def test_a_policy_with_no_columnar_form_for_a_date_per_row_runs_a_date_at_a_time(
        policy: Any, monkeypatch: Any) -> None:
    """When the columns cannot take a date per row (said before any row, or met on the
    rows), the rows of each date are one columnar run, as before."""
    rows = sample_citizens(policy, date(2019, 6, 1), 300, seed=12)
    days = _days(len(rows))
    table = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph)).append_column(
        "decided_on", pa.array(days, pa.date32()))
    monkeypatch.setattr(columnar_table, "_FEW_OF_A_DAY", 50)
    want = policy.decide_table(table, "decided_on").decisions.to_pylist()
    monkeypatch.setattr(columnar_table, "_day_support", lambda *_: "a form")
    said = policy.decide_table(table, "decided_on")
    assert said.decisions.to_pylist() == want
    # the two dates of 100 rows on the columns, the others per record
    assert said.per_record >= 100 and said.columnar + said.per_record == len(rows)
    assert said.columnar >= 150
    monkeypatch.undo()
    monkeypatch.setattr(columnar_table, "_FEW_OF_A_DAY", 50)
    real = columnar_table._Run.columnar

    def unsupported(self: Any) -> Any:
        if self.day_numbers is not None:
            raise columnar_table.Unsupported("a form met on the rows")
        return real(self)

    monkeypatch.setattr(columnar_table._Run, "columnar", unsupported)
    met = policy.decide_table(table, "decided_on")
    assert met.decisions.to_pylist() == want
    assert met.per_record >= 100 and met.columnar + met.per_record == len(rows)
    assert policy.decide_table(table, "decided_on").columnar == said.columnar


def test_a_package_span_of_a_dated_parameter_gives_each_rows_status(tmp_path: Path) -> None:
    """København with the specialised packages' lowest weekly hours lowered from 3 to 2
    on 1 January 2025: an order of 2.5 hours is outside the span before and inside after,
    for citizens of the same outcome; each row's package status is its date's."""
    policy = _koebenhavn_with(tmp_path, "forloebspakker.yaml", "    value: 3 hours\n",
                              "    values:\n      - {from: 2024-01-01, value: 3 hours}\n"
                              "      - {from: 2025-01-01, value: 2 hours}\n")
    rows = sample_citizens(policy, date(2024, 6, 1), 240, seed=13)
    days = [date(2024, 3, 1) + timedelta(days=3 * i) for i in range(len(rows))]
    order = {"package": "specialiseret_mestring", "weekly_hours": Decimal("2.5")}
    result = _decide_by_day(policy, rows, days, order=order)
    statuses = {(d["package_status"], days[d["row"]] >= date(2025, 1, 1))
                for d in result.decisions.to_pylist()
                if d["area"] in ("hjerneskade_kognitiv", "psykiske_udfordringer")}
    assert statuses == {("hours_outside_span", False), ("ordered", True)}
    assert result.per_record == 0


def test_a_row_before_a_parameters_first_value_is_decided_per_record(tmp_path: Path) -> None:
    """København with its weekly price from 1 July 2024 on: a row decided before has no
    price (its value null, and `decide`'s error UDB705 at the value); the others are
    decided on the columns with their date's price."""
    policy = _koebenhavn_with(tmp_path, "betaling.yaml", "{from: 2024-01-01, value: 1500.00",
                              "{from: 2024-07-01, value: 1500.00")
    rows = sample_citizens(policy, date(2024, 6, 1), 120, seed=14)
    days = [date(2024, 5, 1) + timedelta(days=5 * i) for i in range(len(rows))]
    result = _decide_by_day(policy, rows, days, values=["general_price"])
    early = [i for i, d in enumerate(days) if d < date(2024, 7, 1)]
    assert {(e["row"], e["path"], e["code"]) for e in result.errors.to_pylist()} == {
        (i, "general_price", "UDB705") for i in early}
    assert result.per_record == len(early) and result.columnar == len(rows) - len(early)


def test_records_each_on_its_own_date(monkeypatch: Any) -> None:
    """``decide_records(policy, dicts, [a date per dict])``: each dict as ``decide`` on
    its date (the dicts read as columns and those read the exact way, with an order per
    dict and a dated parameter), the good ones in one columnar run; a date ``decide``
    refuses is an error of its row with ``decide``'s problems, the date's at ``on``
    (with those of its facts); outside the validity too, unless it is ignored."""
    from udbudsregler.columnar.table import decide_records
    from udbudsregler.diagnostics import FactError

    policy = load_policy(ROOT / "policies" / "koebenhavn-2024")
    rows = sample_citizens(policy, date(2024, 6, 1), 240, seed=15)
    days: list[Any] = [date(2024, 3, 1) + timedelta(days=5 * i) for i in range(len(rows))]
    for i in range(0, len(rows), 9):  # read the exact way: a date as text
        rows[i] = {**rows[i], "birth_date": rows[i]["birth_date"].isoformat()}
    days[4], days[5], days[6], days[7] = None, "2024-02-30", "yesterday", 20240301
    days[8], days[9] = "2024-06-03", date(2019, 1, 1)  # text; outside the validity
    rows[5] = {**rows[5], "birth_date": "x"}
    orders: list[Any] = [{"package": "job"} if i % 4 == 1 else None for i in range(len(rows))]
    result = decide_records(policy, rows, days, order=orders, values=["general_price"],
                            first_row=3)
    decided = {d["row"] - 3: d for d in result.decisions.to_pylist()}
    problems: dict[int, list[tuple[str, str, str]]] = {}
    for e in result.errors.to_pylist():
        problems.setdefault(e["row"] - 3, []).append((e["path"], e["code"], e["message"]))
    for i, facts in enumerate(rows):
        kind, want = expected(policy, facts, days[i], orders[i])
        if kind == "errors":  # (the validity's, no path in decide's error, at `on`)
            want = sorted(("on" if code == "UDB703" else path, code, message)
                          for path, code, message in want)
            assert i not in decided and sorted(problems[i]) == want, (i, days[i])
        else:
            assert i not in problems, (i, problems.get(i))
            assert {k: decided[i][k] for k in want} == want, (i, days[i])
    errors = {(e["row"] - 3, e["path"], e["code"]) for e in result.errors.to_pylist()}
    assert {(4, "on", "UDB602"), (5, "on", "UDB603"), (5, "birth_date", "UDB602"),
            (6, "on", "UDB602"), (7, "on", "UDB602"), (9, "on", "UDB703")} <= errors
    prices = {d["general_price"] for d in result.decisions.to_pylist()}
    assert {Decimal("1500.00"), Decimal("1545.00")} <= prices  # each row's date's price
    assert (result.columnar, result.per_record) == (len(rows) - 5, 5)  # (5 bad dates)
    # the public way: policy.decide_table(dicts, [a date per dict]) is decide_records
    public = policy.decide_table(rows, days, order=orders, values=["general_price"],
                                 first_row=3)
    assert public.decisions.equals(result.decisions) and public.errors.equals(result.errors)
    with pytest.raises(ValueError, match="3 dates for 240 records"):
        policy.decide_table(rows, days[:3])
    with pytest.raises(TypeError, match="a list of dates is for a list of dicts"):
        policy.decide_table(pa.table({"age": [40, 50]}), days[:2])
    # ignore_validity: the date outside it is decided
    ignored = decide_records(policy, rows, days, order=orders, ignore_validity=True)
    assert 9 in {d["row"] for d in ignored.decisions.to_pylist()}
    with pytest.raises(ValueError, match="3 dates for 240 records"):
        decide_records(policy, rows, days[:3])
    with pytest.raises(FactError, match="expected a date"):
        decide_records(policy, rows, "decided_on")
    # one date for all as a list: the answers of that date
    same = decide_records(policy, rows, [date(2024, 6, 3)] * len(rows), order=orders)
    one = decide_records(policy, rows, date(2024, 6, 3), order=orders)
    assert same.decisions.to_pylist() == one.decisions.to_pylist()
    assert same.errors.to_pylist() == one.errors.to_pylist()

