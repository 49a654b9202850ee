"""Arrow tables as hosts build them, not in ``fact_schema``'s types (found by fuzzing):
each row decided as ``decide`` decides the row's values (``to_pylist``; where Python
cannot hold a value, as ``rows_of`` reads it), never a traceback, never another answer.

- a list slot that is null but still spans items (Polars' ``when/then`` on a list
  column gives one), and a null record in a list whose own list is not empty;
- text in the view layouts (Polars' newest export), as a dictionary's values too, as a
  history record's field, and list views;
- a history whose records miss a field or have one too many;
- text that is not UTF-8, plain and dictionary-encoded;
- ``date64`` values with a time of day, and as a history record's dates;
- a table without fact columns (only the id column, or none);
- a pandas frame with an index of its own (repeated values, labels, two levels);
- a Polars column of Python objects (Polars gives Arrow their addresses);
- what is not a table (a Series, a LazyFrame, a column), a pandas frame Arrow cannot read;
- a record given as a map (Spark's MapType): a dict, as Spark's rows give it;
- decimals of more than 18 places holding a zero (``decide`` refuses ``0E-20``), and a
  ``decimal128(10, 0)`` holding more digits than its type says (an unsafe cast).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pc = pytest.importorskip("pyarrow.compute")

from equivalence import assert_agree  # noqa: E402

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import fact_schema  # noqa: E402
from udbudsregler.columnar.table import arrow_value, rows_of  # noqa: E402
from udbudsregler.testing import sample_citizens  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _setup(folder: Path, n: int, seed: int) -> tuple[Any, dt.date, Any]:
    policy = load_policy(folder)
    on = policy.header.valid.from_ + dt.timedelta(days=45)
    rows = sample_citizens(policy, on, n, seed=seed)
    table = pa.Table.from_pylist([arrow_value(r) for r in rows],
                                 schema=fact_schema(policy.graph)).combine_chunks()
    return policy, on, table


def _agree(policy: Any, on: dt.date, table: Any) -> Any:
    result = policy.decide_table(table, on)
    assert_agree(policy, rows_of(table), on, result)
    return result


def _set(table: Any, name: str, column: Any) -> Any:
    return table.set_column(table.column_names.index(name), name, column)


def _view(lists: Any) -> Any:
    """A list array as a list view (Arrow casts no list to a view)."""
    offsets = lists.offsets
    sizes = pc.subtract(offsets[1:], offsets[:-1])
    return pa.ListViewArray.from_arrays(offsets[:-1], sizes, lists.values)


def test_a_null_list_slot_that_spans_items() -> None:
    policy, on, table = _setup(ROOT / "policies" / "slagelse-2019", 8, 1)
    benefits = table.column("benefits").chunk(0)
    lengths = pc.list_value_length(benefits).to_pylist()
    first = next(i for i, k in enumerate(lengths) if k)
    mask = pa.array([i == first for i in range(len(benefits))])
    spanned = pa.ListArray.from_arrays(benefits.offsets, benefits.values, mask=mask)
    assert spanned.offsets[first + 1].as_py() > spanned.offsets[first].as_py()
    result = _agree(policy, on, _set(table, "benefits", spanned))
    assert [(e["row"], e["path"]) for e in result.errors.to_pylist()] == [(first, "benefits")]


def test_a_null_record_in_a_list_whose_own_list_is_not_empty() -> None:
    policy, on, table = _setup(HERE / "data" / "picked", 40, 3)
    referrals = table.column("referrals").chunk(0)
    items = referrals.values
    lengths = pc.list_value_length(items.field("courses")).to_pylist()
    k = next(i for i, n in enumerate(lengths) if n)
    nulled = pa.StructArray.from_arrays(items.flatten(), fields=list(items.type),
                                        mask=pa.array([i == k for i in range(len(items))]))
    _agree(policy, on, _set(table, "referrals",
                            pa.ListArray.from_arrays(referrals.offsets, nulled)))


def test_text_in_view_layouts_and_list_views() -> None:
    policy, on, table = _setup(ROOT / "policies" / "slagelse-2019", 30, 2)
    visitation = table.column("visitation").chunk(0)
    views = _set(table, "visitation", visitation.cast(pa.string_view()))
    result = _agree(policy, on, views.append_column(
        "note", visitation.cast(pa.string_view())))  # not a fact: every row per record
    assert result.errors.num_rows == 30 * 1
    _agree(policy, on, views)
    words = visitation.cast(pa.string_view()).dictionary_encode()
    _agree(policy, on, _set(table, "visitation", words))
    benefits = table.column("benefits").chunk(0)
    listed = _view(benefits)
    assert _agree(policy, on, _set(table, "benefits", listed)).errors.num_rows == 0


@pytest.mark.parametrize("kind", [pa.string_view(), pa.date64()],
                         ids=["text-view", "date64"])
def test_fields_of_records_in_another_type(kind: Any) -> None:
    """A history record's (and a period's) fields in a type the columns read in another:
    text as a view (Polars' newest export: ``pa.table(polars_frame)``) or dates as
    ``date64``; before, an ``ArrowInvalid`` traceback from rebuilding the record with
    the old field types around the new fields."""
    policy, on, table = _setup(ROOT / "policies" / "slagelse-2019", 20, 4)
    changed = table
    for name in ("benefits", "offers"):
        lists = table.column(name).chunk(0)
        items = lists.values
        fields = [f.name for f in items.type]
        arrays = [items.field(f) for f in fields]
        wanted = pa.types.is_date if kind == pa.date64() else pa.types.is_string
        arrays = [a.cast(kind) if wanted(a.type) else a for a in arrays]
        records = pa.StructArray.from_arrays(arrays, names=fields)
        changed = _set(changed, name, pa.ListArray.from_arrays(lists.offsets, records))
    assert _agree(policy, on, changed).errors.num_rows == 0
    pl = pytest.importorskip("polars")
    if kind == pa.string_view():  # the newest export of a Polars frame, as it comes
        assert _agree(policy, on, pa.table(pl.from_arrow(table))).errors.num_rows == 0


@pytest.mark.parametrize("change", ["drop_to", "extra", "list_view"])
def test_history_records_of_another_shape(change: str) -> None:
    policy, on, table = _setup(HERE / "data" / "gaps", 12, 1)
    benefits = table.column("benefits").chunk(0)
    items = benefits.values
    if change == "drop_to":
        items = pa.StructArray.from_arrays([items.field("from")], names=["from"])
    elif change == "extra":
        items = pa.StructArray.from_arrays(
            [items.field("from"), items.field("to"), pa.array(["x"] * len(items))],
            names=["from", "to", "note"])
    column = pa.ListArray.from_arrays(benefits.offsets, items)
    if change == "list_view":
        column = _view(column)
    _agree(policy, on, _set(table, "benefits", column))


@pytest.mark.parametrize("encoded", [False, True])
def test_text_that_is_not_utf8(encoded: bool) -> None:
    policy, on, table = _setup(HERE / "data" / "records", 5, 1)
    values = table.column("note").chunk(0).to_pylist()
    body = b"\xff\xfe" + b"".join(v.encode() for v in values[1:])
    ends = [0, 2]
    for v in values[1:]:
        ends.append(ends[-1] + len(v.encode()))
    note = pa.Array.from_buffers(pa.string(), len(values), [
        None, pa.array(ends, pa.int32()).buffers()[1], pa.py_buffer(body)])
    if encoded:
        note = note.dictionary_encode()
    result = _agree(policy, on, _set(table, "note", note))
    assert [(e["row"], e["path"], e["code"]) for e in result.errors.to_pylist()] == [
        (0, "note", "UDB602")]


def test_date64_with_a_time_of_day() -> None:
    policy = load_policy(HERE / "data" / "ranged")
    on = dt.date(2024, 2, 15)
    day = 1_704_067_200_000  # 2024-01-01 in ms
    start = pa.array([day + 3_600_000, day - 3_600_000, day, None], pa.int64()).view(
        pa.date64())
    table = pa.table({"age": [40] * 4, "hours": [20] * 4, "start": start})
    assert start.to_pylist()[:3] == [dt.date(2024, 1, 1), dt.date(2023, 12, 31),
                                     dt.date(2024, 1, 1)]
    result = _agree(policy, on, table)
    assert result.decisions.num_rows == 3


def test_decimals_decide_refuses() -> None:
    """A zero of 20 places, a value wider than its type: refused, each at its row."""
    policy = load_policy(HERE / "data" / "ranged")
    on = dt.date(2024, 2, 15)
    fine = pa.table({"age": [40, 40], "start": [dt.date(2024, 1, 1)] * 2,
                     "hours": pa.array([Decimal(5), Decimal(0)], pa.decimal128(38, 20))})
    result = _agree(policy, on, fine)
    assert [(e["row"], e["code"]) for e in result.errors.to_pylist()] == [(1, "UDB610")]
    wide = pa.array([Decimal(20), Decimal(2**64 + 20)], pa.decimal128(38, 0)).cast(
        pa.decimal128(10, 0), safe=False)
    result = _agree(policy, on, _set(fine, "hours", wide))
    assert [(e["row"], e["code"]) for e in result.errors.to_pylist()] == [(1, "UDB610")]


def test_slices_of_tables_with_null_lists_and_views() -> None:
    """A slice of a table (each Dask partition of a pandas frame with Arrow types is one)
    with a null list cell, and with text views: decided as ``decide`` decides its rows;
    before, Arrow refused to rebuild the sliced list column with its nulls."""
    policy, on, table = _setup(ROOT / "policies" / "slagelse-2019", 12, 3)
    rows = table.to_pylist()
    rows[2]["benefits"] = None
    rows[5]["offers"] = None
    table = pa.Table.from_pylist(rows, schema=table.schema)
    for start in (1, 3):
        part = table.slice(start, 7)
        result = _agree(policy, on, part)
        assert {(e["row"], e["path"]) for e in result.errors.to_pylist()} >= {
            (5 - start, "offers")}
        views = _set(part, "visitation", part.column("visitation").cast(pa.string_view()))
        _agree(policy, on, views)
        spanned = part.column("benefits").combine_chunks()
        _agree(policy, on, _set(part, "benefits", pa.concat_arrays([spanned]).slice(0)))


def test_a_table_in_the_columns_forms_is_kept_as_it_is() -> None:
    """``canonical_table`` copies nothing when there is nothing to change: lists of
    records, dictionaries, nulls, slices."""
    from udbudsregler.columnar.table import canonical_table

    _, _, table = _setup(ROOT / "policies" / "slagelse-2019", 12, 3)
    rows = table.to_pylist()
    rows[2]["benefits"] = None
    table = pa.Table.from_pylist(rows, schema=table.schema)
    words = table.column("visitation").chunk(0).dictionary_encode()
    for t in (table, table.slice(1, 7), _set(table, "visitation", words)):
        assert canonical_table(t) is t


@pytest.mark.parametrize(("folder", "name"), [(HERE / "data" / "records", "note"),
                                              (ROOT / "policies" / "slagelse-2019",
                                               "visitation")])
@pytest.mark.parametrize("encoded", [False, True])
def test_a_null_text_or_choice_is_refused_as_decide_refuses_it(folder: Path, name: str,
                                                              encoded: bool) -> None:
    """Plain and dictionary-encoded (a text column is read as the codes of its words):
    the null row goes to ``decide``, the others are decided on the columns."""
    policy, on, table = _setup(folder, 6, 1)
    values = table.column(name).to_pylist()
    values[1] = None
    column = pa.array(values, pa.string())
    result = _agree(policy, on, _set(table, name, column.dictionary_encode() if encoded
                                     else column))
    assert [(e["row"], e["path"]) for e in result.errors.to_pylist()] == [(1, name)]
    assert result.columnar == 5


def test_a_table_without_fact_columns() -> None:
    """Only the id column (or no column at all, rows still counted): every row is
    ``decide({})``'s errors; before, an internal ``ValueError`` from ``zip`` (Arrow takes
    no rows of a table that has no columns)."""
    policy, on, table = _setup(ROOT / "policies" / "koebenhavn-2024", 3, 1)
    ids = table.select([]).append_column("id", pa.array(["a", "b", "c"]))
    result = policy.decide_table(ids, on, id="id")
    assert_agree(policy, [{}] * 3, on, result)
    assert {(e["row"], e["id"]) for e in result.errors.to_pylist()} == {
        (0, "a"), (1, "b"), (2, "c")}
    assert_agree(policy, [{}] * 3, on, policy.decide_table(table.select([]), on))


@pytest.mark.parametrize("index", ["repeated", "labels", "two levels", "named like a fact"])
def test_a_pandas_frame_with_an_index_of_its_own(index: str) -> None:
    """The index of a pandas frame is not a fact: before, an index other than 0, 1, 2, ...
    came through Arrow's C stream as a column ``__index_level_0__``, and every row was
    refused (UDB606, "the policy declares no such fact")."""
    pd = pytest.importorskip("pandas")
    policy, on, table = _setup(ROOT / "policies" / "slagelse-2019", 6, 1)
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    frame.index = {"repeated": pd.Index([7] * 6),
                   "labels": pd.Index([f"r{i}" for i in range(6)]),
                   "two levels": pd.MultiIndex.from_tuples([(i, -i) for i in range(6)]),
                   "named like a fact": pd.Index([9] * 6, name="visitation")}[index]
    result = policy.decide_table(frame, on)
    assert_agree(policy, rows_of(table), on, result)
    assert result.columnar == 6


def test_a_polars_column_of_python_objects_is_refused() -> None:
    """Polars gives Arrow a column of its ``Object`` type as the objects' addresses in
    memory (``fixed_size_binary[8]``): dates held as objects were each refused as "a
    bytes", where ``decide`` of ``frame.to_dicts()`` decides them. A ``ValueError``
    naming the column, before any row is read."""
    pl = pytest.importorskip("polars")
    policy, on, table = _setup(ROOT / "policies" / "slagelse-2019", 4, 1)
    frame = pl.from_arrow(table)
    births = pl.Series("birth_date", frame["birth_date"].to_list(), dtype=pl.Object)
    with pytest.raises(ValueError, match=r"column `birth_date` of the DataFrame holds "
                       r"Python objects \(Polars' Object type\)"):
        policy.decide_table(frame.with_columns(births), on)
    with pytest.raises(ValueError, match="settle_table: the column `id`"):
        policy.settle_table(pl.DataFrame({"id": pl.Series(["R-1"], dtype=pl.Object)}), None,
                            until=on)


def test_a_polars_column_of_128_bit_numbers_is_refused_naming_it() -> None:
    """Arrow reads no Polars Int128 (its error named only a format string, `_pli128`):
    a ``ValueError`` naming the column and saying what to cast it to."""
    pl = pytest.importorskip("polars")
    if not hasattr(pl, "Int128"):
        pytest.skip("this Polars has no Int128")
    policy = load_policy(HERE / "data" / "ranged")
    frame = pl.DataFrame({"age": pl.Series([40, 41], dtype=pl.Int128), "hours": [20, 20],
                          "start": [dt.date(2024, 1, 1)] * 2})
    with pytest.raises(ValueError, match=r"the column `age` of the DataFrame holds 128-bit "
                       r"whole numbers \(Int128\), which Arrow cannot read: cast them to "
                       "Int64"):
        policy.decide_table(frame, dt.date(2024, 2, 15))
    frame = frame.with_columns(pl.col("age").cast(pl.Int64))  # as the message says
    assert policy.decide_table(frame, dt.date(2024, 2, 15)).decisions.num_rows == 2


def test_what_is_not_a_table_is_a_clear_error() -> None:
    """A Series (pandas: an ``AttributeError``; Polars: Arrow's "ArrowSchema describes
    non-struct type"), a Polars LazyFrame, an Arrow column, a pandas frame naming a column
    twice (pyarrow's message listed every column) and a column pyarrow stops at with a
    bare ``TypeError`` (a ``Decimal("Infinity")``: "'str' object cannot be interpreted as an
    integer"): a ``TypeError`` or ``ValueError`` saying what is wrong, before any row."""
    pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    policy, on, table = _setup(ROOT / "benchmarks" / "peer-policy", 3, 1)
    frame = table.to_pandas()
    for given, hint in ((frame["age"], r"not Series \(a single column: give "
                         r"series.to_frame\(\)\)"),
                        (pl.from_arrow(table)["age"], "not Series"),
                        (pl.from_arrow(table).lazy(), r"not LazyFrame \(a query not yet run: "
                         r"give frame.collect\(\)\)"),
                        (table.column("age"), "not ChunkedArray"),
                        (table.column("age").chunk(0), "not Int64Array")):
        with pytest.raises(TypeError, match=f"^decide_table needs an Arrow table or a "
                           f"DataFrame, {hint}"):
            policy.decide_table(given, on)
    twice = frame.set_axis(["age", "age", *frame.columns[2:]], axis=1)
    with pytest.raises(ValueError, match=r"^decide_table: the DataFrame has two columns "
                       r"named `age`"):
        policy.decide_table(twice, on)
    nan = frame.assign(years_on_benefit=[Decimal("1"), Decimal("Infinity"), Decimal("2")])
    with pytest.raises(ValueError, match=r"^decide_table: the DataFrame cannot be read as "
                       r"an Arrow table \(its column `years_on_benefit`"):
        policy.decide_table(nan, on)


def test_a_record_given_as_a_map() -> None:
    """A map column (Spark's ``MapType``, ``create_map``) holding a record's fields: each
    row is decided as ``decide`` decides the dict that Spark's rows give for it; before,
    the rows read the map as ``to_pylist``'s list of key-value pairs, and every row was
    refused ("got a list (expected a mapping)") where ``decide`` of the Spark row decides
    it. A map holding a key twice stays its pairs (``decide`` refuses a list)."""
    policy, on, table = _setup(ROOT / "benchmarks" / "peer-policy", 6, 1)
    rows = rows_of(table)
    pairs: list[Any] = [list(r["conditions"].items()) for r in rows]
    pairs[2] = [("psykisk", True), ("psykisk", False), ("kognitiv", True),
                ("hjerneskade", False)]
    maps = pa.array(pairs, pa.map_(pa.string(), pa.bool_()))
    want = [{**r, "conditions": dict(p)} for r, p in zip(rows, pairs, strict=True)]
    want[2]["conditions"] = pairs[2]
    result = policy.decide_table(_set(table, "conditions", maps), on)
    assert_agree(policy, want, on, result)
    assert result.decisions.num_rows == 5


def test_a_wide_decimal_column_stays_on_the_columns_where_its_values_fit() -> None:
    """A decimal256 (or decimal128 of more than 18 places) column, as a table is built for
    a value of more places: the values a decimal128 of 18 places holds exactly are read
    on the columns, the others (more places, too large, a zero of 38 places) go per
    record, each with decide's answer. Before, every row with such a column's value went
    per record (153 of these 200)."""
    from udbudsregler.columnar.table import wide

    policy = load_policy(ROOT / "policies" / "slagelse-2019")
    on = dt.date(2019, 2, 1)
    rows = sample_citizens(policy, on, 200, seed=1)
    rows[5]["offers"] = [{"kind": "virksomhedspraktik", "from": dt.date(2018, 6, 1),
                          "to": None, "weekly_hours": Decimal("15.1234567890123456789012")}]
    rows[6]["offers"] = [{"kind": "loentilskud", "from": dt.date(2018, 6, 1), "to": None,
                          "weekly_hours": Decimal("15." + "0" * 24 + "1")}]
    for schema in (wide(fact_schema(policy.graph)), pa.schema([
            f if f.name != "offers" else pa.field("offers", pa.list_(pa.struct([
                (g.name, pa.decimal128(38, 25) if g.name == "weekly_hours" else g.type)
                for g in f.type.value_type]))) for f in fact_schema(policy.graph)])):
        table = pa.Table.from_pylist(rows, schema=schema)
        result = policy.decide_table(table, on)
        assert_agree(policy, rows_of(table), on, result)
        assert result.columnar > 180, result.columnar


@pytest.mark.parametrize("value", ["12.333333333333333333", "9.2233720368547758", "-0.5"])
def test_one_value_of_many_places_sends_only_its_row_per_record(value: str) -> None:
    """One value of 18 places (hours worked out as 37/3) put the whole decimal column at
    18 places, where every value of 9.23 or more overflows 64 bits: those rows all went
    per record (about 150 of 200). Now the column is read at fewer places and only the
    finer value's row goes per record; every row is decide's."""
    policy = load_policy(ROOT / "policies" / "slagelse-2019")
    on = dt.date(2019, 2, 1)
    rows = sample_citizens(policy, on, 200, seed=1)
    rows[5]["offers"] = [{"kind": "virksomhedspraktik", "from": dt.date(2018, 6, 1),
                          "to": None, "weekly_hours": Decimal(value)}]
    table = pa.Table.from_pylist(rows, schema=fact_schema(policy.graph))
    result = policy.decide_table(table, on)
    assert_agree(policy, rows_of(table), on, result)
    assert result.columnar >= 190, result.columnar


def test_a_pandas_column_of_timestamps_is_refused_with_how_to_give_dates() -> None:
    """pandas has no date type of its own: a date column read by `pd.to_datetime` holds
    timestamps, which `decide` refuses (a date with a time of day is not a date); the
    message says how to give the date alone, in `decide` and in `decide_table`."""
    pd = pytest.importorskip("pandas")
    policy = load_policy(HERE / "data" / "ranged")
    on = dt.date(2024, 2, 15)
    frame = pd.DataFrame({"age": [40, 41], "hours": [20, 20],
                          "start": pd.to_datetime(["2024-01-01 00:00", "2024-01-02 13:30"])})
    result = policy.decide_table(frame, on)
    messages = [(e["row"], e["path"], e["code"], e["message"])
                for e in result.errors.to_pylist()]
    assert messages == [
        (0, "start", "UDB602", "expected a date (YYYY-MM-DD), got a date with a time of "
         "day (2024-01-01 00:00:00): give the date alone (`.date()`; a pandas column: "
         "`.dt.date`)"),
        (1, "start", "UDB602", "expected a date (YYYY-MM-DD), got a date with a time of "
         "day (2024-01-02 13:30:00): give the date alone (`.date()`; a pandas column: "
         "`.dt.date`)")]
    frame["start"] = frame["start"].dt.date  # as the message says: decided
    assert policy.decide_table(frame, on).decisions.num_rows == 2


def test_a_null_cell_of_a_fact_with_a_default_is_a_null_not_the_default() -> None:
    """As `None` in a dict: refused; the column left out gives every row the default
    (docs/population.md, after the table of column types)."""
    policy = load_policy(ROOT / "policies" / "rusta-och-matcha-2")
    on = policy.header.valid.from_
    rows = sample_citizens(policy, on, 3, seed=1)
    table = pa.Table.from_pylist([arrow_value(r) for r in rows],
                                 schema=fact_schema(policy.graph))
    kind = table.schema.field("ersattning").type
    nulls = _set(table, "ersattning", pa.array([None] * 3, kind))
    result = policy.decide_table(nulls, on)
    assert [(e["path"], e["code"], e["message"]) for e in result.errors.to_pylist()] == [
        ("ersattning", "UDB602", "expected a list, got nothing (null)")] * 3
    left_out = policy.decide_table(table.drop_columns(["ersattning"]), on)
    assert left_out.errors.num_rows == 0
    for i, row in enumerate(rows):
        assert left_out.decisions.column("eligible")[i].as_py() == policy.decide(
            {k: v for k, v in row.items() if k != "ersattning"}, on).eligible
