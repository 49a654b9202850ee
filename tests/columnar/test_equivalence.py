"""decide_table and per-record decide agree on every citizen of every policy in policies/:
generated citizens, the boundary citizens of the strategies, and rows decide rejects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from equivalence import assert_agree  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from policy_folders import POLICY_FOLDERS  # noqa: E402

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import fact_schema, support  # noqa: E402
from udbudsregler.policy import Policy  # noqa: E402
from udbudsregler.testing.boundaries import boundaries, sample_citizens  # noqa: E402
from udbudsregler.testing.strategies import citizens  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
POLICIES = sorted(p.parent.name for p in (ROOT / "policies").glob("*/policy.yaml"))
#: Every policy of the repository, the examples too, by its folder relative to the root.
EVERY = [str(p.relative_to(ROOT)) for p in POLICY_FOLDERS]


def _policy(name: str) -> Policy:
    path = ROOT / name if "/" in name else ROOT / "policies" / name
    return load_policy(path)


def _dates(policy: Policy) -> st.SearchStrategy[dt.date]:
    valid = policy.header.valid
    return st.dates(valid.from_, valid.to or valid.from_ + dt.timedelta(days=3 * 365))


def _table(policy: Policy, rows: list[dict[str, Any]]) -> Any:
    return pa.Table.from_pylist(rows, schema=fact_schema(policy.graph))


@pytest.mark.parametrize("name", EVERY)
def test_every_policy_is_columnar(name: str) -> None:
    assert support(_policy(name)) is None


@pytest.mark.parametrize("name", POLICIES)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_citizens_agree(name: str, data: st.DataObject) -> None:
    policy = _policy(name)
    on = data.draw(_dates(policy), label="on")
    rows = data.draw(st.lists(citizens(policy, on), min_size=1, max_size=25), label="rows")
    result = policy.decide_table(_table(policy, rows), on)
    assert_agree(policy, rows, on, result)
    # generated facts are valid: all decided columnar, except that a supplier chosen from
    # each citizen's facts (`nearest`, `only`) is routed per record for the eligible
    by_facts = any(a.distance is not None or a.only is not None
                   for a in policy.graph.areas.values())
    if not by_facts:
        assert result.per_record == 0
    else:
        assert result.per_record <= sum(1 for d in result.decisions.to_pylist()
                                        if d["eligible"])


@pytest.mark.parametrize("name", EVERY)
def test_boundary_citizens_agree(name: str) -> None:
    """Citizens drawn from the boundary model on the policy's boundary dates: its first and
    last day, the dates its constants create, month ends, 29 February."""
    policy = _policy(name)
    valid = policy.header.valid
    days = {valid.from_, valid.to or valid.from_}
    days.update(d for d in boundaries(policy, valid.from_).dates
                if valid.from_ <= d <= (valid.to or d))
    for k, on in enumerate(sorted(days)[:12]):
        rows = sample_citizens(policy, on, 300, seed=k)
        result = policy.decide_table(_table(policy, rows), on)
        assert_agree(policy, rows, on, result)


def _spoil(policy: Policy, rows: list[dict[str, Any]], how: str) -> list[dict[str, Any]]:
    """Rows decide rejects: one kind of mistake in every other row."""
    out = []
    for i, row in enumerate(rows):
        row = {k: (list(v) if isinstance(v, list) else v) for k, v in row.items()}
        if i % 2 == 0:
            out.append(row)
            continue
        histories = [k for k, f in policy.graph.facts.items() if f.spec.type == "history"]
        dates = [k for k, f in policy.graph.facts.items() if f.spec.type == "date"]
        enums = [k for k, f in policy.graph.facts.items() if f.spec.type == "enum"]
        if how == "to_before_from" and histories and row[histories[0]]:
            first = dict(row[histories[0]][0])
            first["to"] = first["from"] - dt.timedelta(days=1)
            row[histories[0]] = [first, *row[histories[0]][1:]]
        elif how == "old_date" and dates:
            row[dates[0]] = dt.date(1700, 1, 1)
        elif how == "bad_choice" and enums:
            row[enums[0]] = "no_such_value"
        elif how == "missing":
            row[next(iter(policy.graph.facts))] = None
        elif how == "bad_record_choice" and histories and row[histories[0]]:
            first = dict(row[histories[0]][0])
            first["kind"] = "no_such_kind"
            row[histories[0]] = [first, *row[histories[0]][1:]]
        out.append(row)
    return out


@pytest.mark.parametrize("name", POLICIES)
@pytest.mark.parametrize("how", ["to_before_from", "old_date", "bad_choice", "missing",
                                 "bad_record_choice"])
def test_rejected_rows_are_errors_with_the_same_code_and_path(name: str, how: str) -> None:
    policy = _policy(name)
    on = policy.header.valid.from_
    rows = _spoil(policy, sample_citizens(policy, on, 60, seed=3), how)
    result = policy.decide_table(_table(policy, rows), on)
    assert_agree(policy, rows, on, result)


@pytest.mark.parametrize("name", POLICIES)
def test_a_column_of_the_wrong_type_makes_every_row_an_error(name: str) -> None:
    policy = _policy(name)
    on = policy.header.valid.from_
    rows = sample_citizens(policy, on, 10, seed=4)
    table = _table(policy, rows)
    first = next(iter(policy.graph.facts))
    table = table.set_column(0, first, pa.array([3.5] * len(rows)))
    result = policy.decide_table(table, on)
    python_rows = table.to_pylist()
    assert_agree(policy, python_rows, on, result)
    assert result.errors.num_rows >= len(rows)


@pytest.mark.parametrize("name", POLICIES)
def test_an_undeclared_column_is_an_error_in_every_row(name: str) -> None:
    policy = _policy(name)
    on = policy.header.valid.from_
    rows = sample_citizens(policy, on, 5, seed=5)
    table = _table(policy, rows).append_column("shoe_size", pa.array([42] * 5))
    result = policy.decide_table(table, on)
    assert_agree(policy, table.to_pylist(), on, result)
    assert set(result.errors.column("code").to_pylist()) == {"UDB606"}


@pytest.mark.parametrize("name", POLICIES)
def test_records_as_python_dicts(name: str) -> None:
    """Dicts (as for decide): canonical ones, and ones decide rejects: a float, a missing
    fact, an undeclared fact, a date as text (which decide converts)."""
    policy = _policy(name)
    on = policy.header.valid.from_
    rows: list[dict[str, Any]] = sample_citizens(policy, on, 40, seed=6)
    first = next(iter(policy.graph.facts))
    rows[1] = {**rows[1], first: 1.5}
    rows[2] = {k: v for k, v in rows[2].items() if k != first}
    rows[3] = {**rows[3], "shoe_size": 42}
    dates = [k for k, f in policy.graph.facts.items() if f.spec.type == "date"]
    if dates:
        rows[4] = {**rows[4], dates[0]: rows[4][dates[0]].isoformat()}
    result = policy.decide_table(rows, on)
    assert_agree(policy, rows, on, result)


def test_orders_per_row_and_for_every_row() -> None:
    """København's packages have spans of weekly hours: an order per row (a struct column)
    and one order for every row give decide's package status and supplier."""
    import random

    from udbudsregler.testing.boundaries import sampler
    from udbudsregler.testing.strategies import order_gen

    policy = _policy("koebenhavn-2024")
    on = dt.date(2024, 3, 1)
    rows = sample_citizens(policy, on, 200, seed=12)
    draw = sampler(order_gen(policy), random.Random(3).random)
    orders = [draw() or None for _ in rows]
    table = _table(policy, rows)
    column = pa.array(orders, type=pa.struct([("package", pa.string()),
                                              ("weekly_hours", pa.decimal128(10, 1)),
                                              ("supplier", pa.string())]))
    table = table.append_column("order", column)
    result = policy.decide_table(table, on, order="order")
    assert_agree(policy, rows, on, result, orders=table.column("order").to_pylist())
    fixed = {"package": "job", "weekly_hours": 12}
    result = policy.decide_table(_table(policy, rows), on, order=fixed)
    assert_agree(policy, rows, on, result, orders=[fixed] * len(rows))


def test_a_supplier_chosen_from_the_facts_is_each_citizens_own() -> None:
    """`strategy: nearest` reads each citizen's facts: citizens with the same outputs may
    get different suppliers, each its own (chosen column by column: test_suppliers.py)."""
    policy = load_policy(Path(__file__).parent / "data" / "nearest", cache=False)
    on = dt.date(2024, 3, 1)
    rows = [{"age": 30 + i % 3, "postcode": 2200 + 50 * i} for i in range(10)]
    result = policy.decide_table(_table(policy, rows), on)
    assert_agree(policy, rows, on, result)
    assert {d["supplier"] for d in result.decisions.to_pylist()} == {"north", "south"}
    assert result.columnar == 10 and not result.notes


def test_a_value_outside_the_facts_range_is_an_error() -> None:
    """A fact's declared range (min, max) is checked as decide checks it (UDB611)."""
    from udbudsregler.policy import load_policy as load

    policy = load(Path(__file__).parent / "data" / "ranged", cache=False)
    on = dt.date(2024, 3, 1)
    rows = [{"age": a, "hours": h, "start": d} for a, h, d in
            [(17, 10, dt.date(2020, 1, 1)), (18, 10, dt.date(2020, 1, 1)),
             (67, 37, dt.date(2024, 3, 1)), (68, 10, dt.date(2020, 1, 1)),
             (30, 38, dt.date(2020, 1, 1)), (30, 10, dt.date(2024, 3, 2))]]
    result = policy.decide_table(_table(policy, rows), on)
    assert_agree(policy, rows, on, result)
    assert set(result.errors.column("code").to_pylist()) == {"UDB611"}


def test_histories_as_long_tables_and_a_polars_frame() -> None:
    """Histories given as long tables keyed by the citizen's id, and the citizens as a
    Polars DataFrame, give the decisions of the same citizens with list columns."""
    policy = _policy("slagelse-2019")
    on = dt.date(2019, 2, 1)
    rows = sample_citizens(policy, on, 80, seed=13)
    table = _table(policy, rows).append_column("id", pa.array([f"c{i}" for i in range(80)]))
    histories = [k for k, f in policy.graph.facts.items() if f.spec.type == "history"]
    long = {}
    for name in histories:
        records = [{"id": f"c{i}", **r} for i, row in enumerate(rows) for r in row[name]]
        kind = fact_schema(policy.graph).field(name).type.value_type
        schema = pa.schema([("id", pa.string()), *[(f.name, f.type) for f in kind]])
        long[name] = pa.Table.from_pylist(records, schema=schema)
    citizens = table.drop_columns(histories)
    result = policy.decide_table(citizens, on, id="id", histories=long)
    assert_agree(policy, rows, on, result)
    pl = pytest.importorskip("polars")
    frame = pl.from_arrow(table)
    assert policy.decide_table(frame, on, id="id").decisions.equals(
        policy.decide_table(table, on, id="id").decisions)


def _long_tables(policy: Policy, rows: list[dict[str, Any]], keys: list[Any],
                 key_type: Any = None, key: str = "id") -> dict[str, Any]:
    """Each history fact of ``rows`` as a long table, its records keyed by their row's
    key (``keys``, one per row) in a column ``key`` of ``key_type``."""
    long = {}
    for name, fact in policy.graph.facts.items():
        if fact.spec.type == "history":
            kind = fact_schema(policy.graph).field(name).type.value_type
            schema = pa.schema([(key, key_type or pa.string()),
                                *[(f.name, f.type) for f in kind]])
            long[name] = pa.Table.from_pylist(
                [{key: k, **r} for k, row in zip(keys, rows, strict=True) for r in row[name]],
                schema=schema)
    return long


def _no_histories(policy: Policy, row: dict[str, Any]) -> dict[str, Any]:
    return {**row, **{k: [] for k, f in policy.graph.facts.items() if f.spec.type == "history"}}


def _without_histories(policy: Policy, rows: list[dict[str, Any]]) -> pa.Table:
    names = [k for k, f in policy.graph.facts.items() if f.spec.type == "history"]
    return _table(policy, rows).drop_columns(names)


@pytest.mark.parametrize(("id_type", "key_type"), [
    (pa.int64(), pa.string()), (pa.string(), pa.int64()), (pa.uint8(), pa.large_string()),
    (pa.int16(), pa.dictionary(pa.int32(), pa.string()))],
    ids=["int64-string", "string-int64", "uint8-large_string", "int16-dictionary"])
def test_long_table_keys_match_the_ids_as_text(id_type: Any, key_type: Any) -> None:
    """A long table's keys are matched with the ids as ``decide_table`` writes them (as
    text): an id 7 and a key "7" are the same citizen, whatever the two columns' types,
    and a text id "079" is not a key 79; before, an ``ArrowTypeError`` for text keys and
    whole-number ids, and Arrow read text ids as numbers for whole-number keys."""
    policy = _policy("slagelse-2019")
    on = dt.date(2019, 2, 1)
    rows = sample_citizens(policy, on, 80, seed=13)
    texts = [str(i) for i in range(80)]
    ids: list[Any] = list(range(80)) if pa.types.is_integer(id_type) else texts[:]
    keys: list[Any] = list(range(80)) if pa.types.is_integer(key_type) else texts
    want = rows[:]
    if not pa.types.is_integer(id_type):  # no key is one of these ids: no records
        ids[78:] = ["x78", "079"]
        want[78:] = [_no_histories(policy, row) for row in rows[78:]]
    citizens = _without_histories(policy, rows).append_column("cid", pa.array(ids, id_type))
    long = _long_tables(policy, rows, keys, key_type, key="cid")
    result = policy.decide_table(citizens, on, id="cid", histories=long)
    assert_agree(policy, want, on, result)
    assert result.decisions.column("id").to_pylist() == [str(i) for i in ids]


def test_null_ids_and_null_keys_have_no_records() -> None:
    """A long table's record whose key is null belongs to no citizen (left out), and a
    citizen whose id is null has no records: decided with empty histories; before, the
    first row with a null id took every record keyed by null."""
    policy = _policy("slagelse-2019")
    on = dt.date(2019, 2, 1)
    rows = sample_citizens(policy, on, 80, seed=13)
    nulls = {1, 25, 57}  # the citizens whose histories change their decision
    assert all(policy.decide(rows[i], on).eligible
               != policy.decide(_no_histories(policy, rows[i]), on).eligible
               for i in nulls)
    ids = [None if i in nulls else f"c{i}" for i in range(80)]
    citizens = _without_histories(policy, rows).append_column("cid", pa.array(ids, pa.string()))
    long = _long_tables(policy, rows, ids, key="cid")
    result = policy.decide_table(citizens, on, id="cid", histories=long)
    want = [_no_histories(policy, row) if i in nulls else row for i, row in enumerate(rows)]
    assert_agree(policy, want, on, result)
    assert result.decisions.column("id").to_pylist() == ids


@pytest.mark.parametrize("id_type", [pa.string(), pa.int64()])
def test_an_id_in_two_rows_with_long_tables_is_refused(id_type: Any) -> None:
    """Two rows with one id and histories as long tables: a ``ValueError`` naming the id
    before any row is decided (a record keyed by that id could be either citizen's);
    before, the first row took every record and the second had none, silently. Null
    ids (which have no records) may repeat."""
    policy = _policy("slagelse-2019")
    on = dt.date(2019, 2, 1)
    rows = sample_citizens(policy, on, 8, seed=13)
    ids: list[Any] = [3, 1, None, 3, 4, None, 6, 7]
    if not pa.types.is_integer(id_type):
        ids = [None if i is None else f"c{i}" for i in ids]
    citizens = _without_histories(policy, rows).append_column("cid", pa.array(ids, id_type))
    long = _long_tables(policy, rows, ids, id_type, key="cid")
    shown = "'3'" if pa.types.is_integer(id_type) else "'c3'"
    with pytest.raises(ValueError, match=f"the id {shown} is in 2 rows"):
        policy.decide_table(citizens, on, id="cid", histories=long)
    # without histories, or with the ids told apart, the rows are decided
    assert policy.decide_table(citizens, on, id="cid").rows == 8
    ids[3] = None
    citizens = _without_histories(policy, rows).append_column("cid", pa.array(ids, id_type))
    long = _long_tables(policy, rows, ids, id_type, key="cid")
    result = policy.decide_table(citizens, on, id="cid", histories=long)
    want = [_no_histories(policy, row) if ids[i] is None else row
            for i, row in enumerate(rows)]
    assert_agree(policy, want, on, result)


def test_two_columns_of_one_name_are_refused() -> None:
    """A table (or a long table) with two columns of one name: a ``ValueError`` naming
    it before any row is read; before, a ``KeyError`` from reading the facts."""
    policy = _policy("slagelse-2019")
    on = dt.date(2019, 2, 1)
    rows = sample_citizens(policy, on, 4, seed=13)
    table = _table(policy, rows).append_column("id", pa.array(["a", "b", "c", "d"]))
    fact = table.column_names[0]
    twice = table.append_column(fact, table.column(fact))
    with pytest.raises(ValueError, match=f"the table has two columns named `{fact}`"):
        policy.decide_table(twice, on)
    extra = table.append_column("note", pa.array(["x"] * 4)).append_column(
        "note", pa.array(["y"] * 4))
    with pytest.raises(ValueError, match="the table has two columns named `note`"):
        policy.decide_table(extra, on, id="id")
    long = _long_tables(policy, rows, ["a", "b", "c", "d"])
    name, records = next(iter(long.items()))
    long[name] = records.append_column("from", records.column("from"))
    with pytest.raises(ValueError, match=f"the long table of {name!r} has two columns "
                                         "named `from`"):
        policy.decide_table(_without_histories(policy, rows).append_column(
            "id", pa.array(["a", "b", "c", "d"])), on, id="id", histories=long)


def test_a_missing_key_column_is_named() -> None:
    """An id column the table does not have, or a long table without the key column:
    a ``KeyError`` naming the column (as without histories), and histories that are not
    a mapping a ``TypeError``, before any row is read; before, Arrow's ``KeyError``
    'Field "id" does not exist in schema' and an ``AttributeError``."""
    policy = _policy("slagelse-2019")
    on = dt.date(2019, 2, 1)
    rows = sample_citizens(policy, on, 4, seed=13)
    keys = ["a", "b", "c", "d"]
    citizens = _without_histories(policy, rows).append_column("id", pa.array(keys))
    long = _long_tables(policy, rows, keys)
    with pytest.raises(KeyError, match="the table has no column 'cid'"):
        policy.decide_table(citizens, on, id="cid", histories=long)
    name, records = next(iter(long.items()))
    unkeyed = {**long, name: records.rename_columns(
        ["cid", *records.column_names[1:]])}
    with pytest.raises(KeyError, match=f"the long table of {name!r} has no column 'id'"):
        policy.decide_table(citizens, on, id="id", histories=unkeyed)
    with pytest.raises(TypeError, match="histories: a mapping"):
        policy.decide_table(citizens, on, id="id", histories=list(long.values()))
    # a history given twice, as a column and as a long table: which one is meant?
    doubled = citizens.append_column(name, pa.array([[]] * len(keys),
                                                     type=fact_schema(policy.graph).field(name).type))
    with pytest.raises(ValueError, match=f"the table has a column {name!r} too"):
        policy.decide_table(doubled, on, id="id", histories=long)
    assert_agree(policy, rows, on, policy.decide_table(citizens, on, id="id",
                                                       histories=long))


@pytest.mark.parametrize("on", ["2019-2-1", " 2019-02-01", "2019-02-29", 20190201, None,
                                dt.datetime(2019, 2, 1, 12), "2019-02-01T00:00"])
def test_a_bad_decision_date_is_refused_as_decide_refuses_it(on: Any, tmp_path: Path) -> None:
    """The same code, path and message as ``decide`` (UDB602 for what is not a date,
    UDB603 for a day the calendar does not have); before, UDB603 "is not a date" for all."""
    from udbudsregler.columnar.files import decide_file
    from udbudsregler.diagnostics import FactError

    policy = _policy("slagelse-2019")
    rows = sample_citizens(policy, dt.date(2019, 2, 1), 3, seed=2)
    with pytest.raises(FactError) as raised:
        policy.decide(rows[0], on)
    want = [(p.path, p.code, p.described) for p in raised.value.problems]
    source = tmp_path / "population.jsonl"
    source.write_text("{}\n", encoding="utf-8")
    for run in (lambda: policy.decide_table(rows, on),
                lambda: policy.decide_table(_table(policy, rows), on),
                lambda: decide_file(policy, source, on, tmp_path / "out.jsonl")):
        with pytest.raises(FactError) as raised:
            run()
        assert [(p.path, p.code, p.described) for p in raised.value.problems] == want


def test_values_python_cannot_hold_are_refused_at_their_paths() -> None:
    """An Arrow table may hold what Python cannot: a date32 beyond Python's calendar, text
    that is not UTF-8. A fact's far date is UDB603 (outside the input limits, naming the
    day as Arrow writes it; it was named as Python's last or first date), an id that is
    not UTF-8 is UDB602 at ``id``; before, an OverflowError and a UnicodeEncodeError from
    ``decide_table``."""
    policy = _policy("slagelse-2019")
    on = dt.date(2019, 2, 1)
    rows = sample_citizens(policy, on, 3, seed=2)
    table = _table(policy, rows)
    far = pa.array([3_000_000, -3_000_000, 0], pa.int32()).view(pa.date32())
    result = policy.decide_table(table.set_column(
        table.column_names.index("birth_date"), "birth_date", far), on)
    assert [(e["row"], e["path"], e["code"], e["message"]) for e in result.errors.to_pylist()
            ] == [(0, "birth_date", "UDB603", "10183-09-21 is outside the years 1850-2200"),
                  (1, "birth_date", "UDB603", "-6244-04-12 is outside the years 1850-2200")]
    # three ids: two bytes that are not UTF-8, an empty text, "c2"
    ids = pa.Array.from_buffers(pa.string(), 3, [
        None, pa.py_buffer(b"\0\0\0\0\2\0\0\0\2\0\0\0\4\0\0\0"), pa.py_buffer(b"\xff\xfec2")])
    result = policy.decide_table(table.append_column("id", ids), on, id="id")
    assert [(e["row"], e["id"], e["path"], e["code"]) for e in result.errors.to_pylist()] == [
        (0, None, "id", "UDB602")]
    assert [(d["row"], d["id"]) for d in result.decisions.to_pylist()] == [(1, ""), (2, "c2")]
