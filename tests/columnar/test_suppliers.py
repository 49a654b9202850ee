"""Suppliers chosen from each citizen's facts (`strategy: nearest`, `only`) column by
column (``columnar/suppliers.py``): for every citizen the supplier ``decide`` chooses,
with and without the citizen's own choice, with suppliers that are full, with ties (the
first in the policy's order wins), and by the first, a rotation and the lowest load
among the suppliers `only` allows. Where the selection has no columnar form, the area's
citizens are decided per record, and the result says so."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar.columns import Unsupported  # noqa: E402
from udbudsregler.diagnostics import EvaluationError, FactError  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ON = dt.date(2024, 3, 1)
IDS = ["a1", "a2", "a3", "o1", "o2", "r1", "r2", "r3", "l1", "l2", "l3", "x9"]
TOWNS = ["aarhus", "odense", "aalborg", "esbjerg"]
KMS = [Decimal("1.5"), Decimal(2), Decimal("2.25"), Decimal(12), Decimal("0.125")]


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(HERE / "data" / "suppliers", cache=False)


def _citizen(rng: random.Random) -> dict[str, Any]:
    return {"age": rng.choice([17, 30, 45]), "town": rng.choice(TOWNS),
            "zone": rng.randint(1, 3), "extra": rng.choice([Decimal(0), Decimal("0.5"),
                                                            Decimal(6)]),
            "distances": [{"supplier": rng.choice(IDS), "km": rng.choice(KMS)}
                          for _ in range(rng.randint(0, 4))]}


def _agree(policy: Any, rows: list[dict[str, Any]], result: Any, on: dt.date = ON,
           orders: list[Any] | None = None, suppliers: Any = None) -> list[str | None]:
    """Every row decided as ``decide`` decides it, or refused with its errors; the
    suppliers chosen (None for a refused row)."""
    got = {d["row"]: d for d in result.decisions.to_pylist()}
    refused = {e["row"]: e["code"] for e in result.errors.to_pylist()}
    assert sorted([*got, *refused]) == list(range(len(rows)))
    chosen = []
    for i, row in enumerate(rows):
        order = orders[i] if orders else None
        try:
            want = policy.decide(row, on, order=order, suppliers=suppliers)
        except (FactError, EvaluationError) as error:
            assert i in refused and i not in got, (i, row, order)
            codes = [p.code for p in error.problems] if isinstance(error, FactError) \
                else [error.code]
            assert refused[i] in codes
            chosen.append(None)
            continue
        d = got[i]
        assert (d["eligible"], d["area"], d["supplier"]) == (
            want.eligible, want.area, want.supplier), (i, row, order)
        chosen.append(d["supplier"])
    return chosen


def test_every_selection_is_columnar(policy: Any) -> None:
    rows = [_citizen(random.Random(i)) for i in range(800)]
    result = policy.decide_table(rows, ON)
    chosen = _agree(policy, rows, result)
    # with no supplier state: no turn for the rotation, no loads to compare (a citizen
    # with one allowed supplier gets it)
    assert {"a1", "a2", "a3", "o1", "o2", "r1", "l1"} <= set(chosen)
    assert None in chosen  # none allowed, or not eligible
    assert result.per_record == 0 and result.notes == ()


def test_ties_go_to_the_first_supplier(policy: Any) -> None:
    """a1 and a3 weigh the same: at the same distance, a1 (listed first) is chosen, and
    a3 where a1 is not allowed or is full."""
    row = {"age": 30, "town": "aarhus", "zone": 1, "extra": Decimal(0),
           "distances": [{"supplier": "a3", "km": Decimal(2)},
                         {"supplier": "a1", "km": Decimal(2)}]}
    far = {**row, "distances": [{"supplier": "a1", "km": Decimal(3)},
                                {"supplier": "a3", "km": Decimal("2.5")}]}
    rows = [row, far]
    assert _agree(policy, rows, policy.decide_table(rows, ON)) == ["a1", "a3"]
    full = {"capacity": {"a1": 4}, "load": {"a1": 4}}
    result = policy.decide_table(rows, ON, suppliers=full)
    assert _agree(policy, rows, result, suppliers=full) == ["a3", "a3"]
    assert result.columnar == 2


def test_distances_too_large_to_compare_go_per_record(policy: Any) -> None:
    """A distance whose units overflow (a2's, 2 * 10^15 km with four places) or would
    overflow at the places of another supplier's (a1's, 10^15 km at a2's four places) is
    not compared in the columns: the row goes per record, and gets decide's supplier."""
    base = {"age": 30, "town": "aarhus", "zone": 1, "extra": Decimal(6)}
    huge = Decimal(10**15)
    rows = [{**base, "distances": [{"supplier": "a1", "km": Decimal(5)},
                                   {"supplier": "a2", "km": huge},
                                   {"supplier": "a3", "km": Decimal(6)}]},
            {**base, "distances": [{"supplier": "a1", "km": huge},
                                   {"supplier": "a3", "km": Decimal("1.125")}]},
            {**base, "distances": [{"supplier": "a3", "km": Decimal(2)}]}]
    result = policy.decide_table(rows, ON)
    assert _agree(policy, rows, result) == ["a1", "a3", "a3"]
    assert result.per_record == 2


STATES: list[Any] = [
    None,
    {"capacity": {"a2": 3, "o1": 2, "l1": 5, "l2": 4, "l3": 2},
     "load": {"a2": 3, "o1": 1, "l1": 2, "l2": 1, "l3": 2}, "sequence": 7},
    {"capacity": {"a1": 1, "a2": 1, "a3": 1, "l1": 2, "l2": 4, "r2": 1},
     "load": {"a1": 1, "a2": 1, "a3": 1, "l1": 1, "l2": 2, "r2": 1},
     "sequence": {"rotating": 2}},
    {"capacity": {"l1": 3, "l2": 6, "l3": 0}, "load": {"l1": 1, "l2": 2},
     "sequence": {"near": 1}},
]


@pytest.mark.parametrize(("state", "methods"), list(zip(STATES, [
    {"nearest", "first", "citizen_choice", "no_sequence", "no_state"},
    {"nearest", "first", "citizen_choice", "rotation", "lowest_load", "full"},
    {"first", "rotation", "lowest_load", "full"},  # a1-a3 full: neither nearest nor chosen
    {"nearest", "first", "citizen_choice", "no_sequence", "lowest_load", "full"}],
    strict=True)), ids=["none", "sequence", "full", "empty"])
def test_the_citizens_choice_and_the_supplier_state(policy: Any, state: Any,
                                                     methods: set[str]) -> None:
    """The citizen's own choice, where the area honours it and the supplier has room, is
    kept for every row of its outcome; otherwise each row gets its own supplier: the
    nearest, the rotation's turn among those allowed (the sequence number one for all or
    one per area), the lowest load relative to capacity (ties to the first, a full one
    skipped)."""
    rng = random.Random(7)
    rows = [_citizen(rng) for _ in range(500)]
    choices = [None, {"supplier": "a2"}, {"supplier": "a1"}, {"supplier": "o1"},
               {"supplier": "r2"}, {"supplier": "l2"}]
    orders = [rng.choice(choices) for _ in rows]
    result = policy.decide_table(rows, ON, order=orders, suppliers=state)
    _agree(policy, rows, result, orders=orders, suppliers=state)
    # per record: only the rows decide refuses (a capacity the lowest load needs)
    assert result.per_record == len({e["row"] for e in result.errors.to_pylist()})
    assert result.per_record <= 3
    refused = {e["row"] for e in result.errors.to_pylist()}
    found = {policy.decide(r, ON, order=o, suppliers=state).supplier_choice.method
             for i, (r, o) in enumerate(zip(rows, orders, strict=True)) if i not in refused}
    assert methods <= found, found


def test_a_capacity_the_lowest_load_needs_is_missing(policy: Any) -> None:
    """The lowest load needs the capacity of every allowed supplier: a citizen with two
    allowed and one of them without is refused, as decide refuses it (UDB601); one with
    a single allowed supplier gets it."""
    state = {"capacity": {"l1": 3, "l2": 6}, "load": {"l1": 1, "l2": 2}}
    row = {"age": 30, "town": "esbjerg", "zone": 1, "extra": Decimal(0)}
    rows = [{**row, "distances": [{"supplier": "l3", "km": Decimal(1)},
                                  {"supplier": "l2", "km": Decimal(1)}]},
            {**row, "distances": [{"supplier": "l3", "km": Decimal(1)}]},
            {**row, "distances": [{"supplier": "l1", "km": Decimal(1)},
                                  {"supplier": "l2", "km": Decimal(1)}]}]
    result = policy.decide_table(rows, ON, suppliers=state)
    assert _agree(policy, rows, result, suppliers=state) == [None, "l3", "l1"]
    assert [e["code"] for e in result.errors.to_pylist()] == ["UDB601"]
    assert result.columnar == 2


def test_an_area_without_a_columnar_selection_goes_per_record(
        policy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the selection's expressions have no columnar form, the area's citizens are
    decided per record (the rest stay columnar)."""
    def unsupported(*args: Any) -> Any:
        raise Unsupported("a test")

    monkeypatch.setattr("udbudsregler.columnar.table.choose_by_columns", unsupported)
    rows = [_citizen(random.Random(100 + i)) for i in range(200)]
    result = policy.decide_table(rows, ON)
    _agree(policy, rows, result)
    routed = sum(1 for row in rows if policy.decide(row, ON).supplier is not None
                 or policy.decide(row, ON).area is not None)
    assert result.per_record == routed
    assert len(result.notes) == 4


def test_rusta_och_matcha_is_columnar() -> None:
    """The seed tender: the nearest supplier of the citizen's area by the distances the
    host gives (`avstand`), only among those it gives one for."""
    policy = load_policy(ROOT / "policies" / "rusta-och-matcha-2")
    on = dt.date(2025, 6, 1)
    from udbudsregler.testing.boundaries import sample_citizens

    ids = [s.id for a in policy.graph.areas.values() for s in a.suppliers] + ["annan"]
    rng = random.Random(3)
    rows = []
    for row in sample_citizens(policy, on, 800, seed=5):
        row = dict(row)
        row["avstand"] = [{"leverantor": rng.choice(ids), "km": rng.choice(KMS)}
                          for _ in range(rng.randint(0, 5))]
        rows.append(row)
    result = policy.decide_table(rows, on)
    errors = {e["row"] for e in result.errors.to_pylist()}
    kept = [r for i, r in enumerate(rows) if i not in errors]
    result = policy.decide_table(kept, on)
    chosen = _agree(policy, kept, result, on=on)
    assert result.per_record == 0
    assert len({c for c in chosen if c is not None}) >= 6


def test_each_rows_order_stays_its_own_when_rows_go_other_ways(policy: Any) -> None:
    """With one order per row, a row read the exact way (an amount given as text) or
    refused (a float) keeps its own order, and so do the rows after it: before, the
    rows read as columns took the orders of the first rows."""
    rng = random.Random(21)
    rows: list[dict[str, Any]] = []
    for i in range(300):
        row = _citizen(rng)
        if i % 5 == 1:
            row["extra"] = str(row["extra"])  # decide reads it; not read as a column
        if i % 11 == 3:
            row["zone"] = 1.0  # decide refuses it
        rows.append(row)
    orders = [rng.choice([None, {"supplier": "a2"}, {"supplier": "a3"}, {"supplier": "r3"}])
              for _ in rows]
    state = {"capacity": {"a1": 9}, "load": {"a1": 3}, "sequence": 4}
    result = policy.decide_table(rows, ON, order=orders, suppliers=state)
    chosen = _agree(policy, rows, result, orders=orders, suppliers=state)
    assert chosen.count("a2") > 10 and chosen.count("r3") > 5
    # the text amounts are read the exact way and then decided as columns too; the
    # refused: the floats, and citizens of `loaded` whose suppliers have no capacity
    assert result.per_record == len({e["row"] for e in result.errors.to_pylist()}) >= 28
    with pytest.raises(ValueError, match="299 orders for 300 rows"):
        policy.decide_table(rows, ON, order=orders[1:])


def test_orders_equal_in_value_but_not_to_decide_are_not_shared(policy: Any) -> None:
    """Rows with equal outcomes share one per-record decision, kept across calls, keyed by
    the order: an order ``decide`` refuses must not take the answer of one it accepts
    that compares equal (``[]`` and ``{}``; ``0E-30`` and ``0.0`` hours; ``True`` and
    ``1``), in the same call or in a later one."""
    koebenhavn = load_policy(ROOT / "policies" / "koebenhavn-2024")
    on = dt.date(2024, 1, 1)
    citizen = {"birth_date": dt.date(1980, 3, 7),
               "benefits": [{"kind": "kontanthjaelp", "from": dt.date(2023, 1, 3),
                             "to": None}],
               "assessment": {"social_and_health_challenges": True,
                              "acquired_brain_injury": False, "cognitive_difficulties": False,
                              "mental_health_challenges": False}}
    accepted = {"package": "job", "weekly_hours": Decimal("0.0")}
    refused = {"package": "job", "weekly_hours": Decimal("0E-30")}
    for orders in ([accepted], [refused], [accepted, refused], [refused, accepted]):
        rows = [citizen] * len(orders)
        _agree(koebenhavn, rows, koebenhavn.decide_table(rows, on, order=orders), on,
               orders=orders)
    rows = [_citizen(random.Random(5))] * 4
    for orders in ([{}, [], {"supplier": "a2"}, None], [None, {"supplier": True}, {}, []]):
        _agree(policy, rows, policy.decide_table(rows, ON, order=orders), orders=orders)


@pytest.mark.parametrize("order", [{"weekly_hours": Decimal("sNaN")}, {"supplier": {"a1"}},
                                   {"supplier": "a1", 1: "x"}])
def test_an_order_of_values_that_cannot_be_keyed_is_refused_as_decide_refuses_it(
        policy: Any, order: Any) -> None:
    """A signalling NaN (it cannot be hashed), a set, a key that is not text: refused with
    ``decide``'s error for that row, given once for all rows or once per row; before, a
    ``TypeError`` from ``decide_table``."""
    rows = [_citizen(random.Random(8)) for _ in range(3)]
    with pytest.raises(FactError) as raised:
        policy.decide(rows[0], ON, order=order)
    want = sorted((p.path, p.code) for p in raised.value.problems)
    for given in (order, [order, None, order]):
        result = policy.decide_table(rows, ON, order=given)
        errors = result.errors.to_pylist()
        assert sorted((e["path"], e["code"]) for e in errors if e["row"] == 0) == want
        orders = given if isinstance(given, list) else [given] * 3
        _agree(policy, rows, result, orders=orders)


def test_a_file_with_orders_and_a_supplier_state(policy: Any, tmp_path: Path,
                                                 capsys: Any) -> None:
    """`decide --population` takes the supplier state for every citizen (it was left
    out: a full supplier was chosen), each line's order, and refuses `--order`."""
    import json

    from udbudsregler.cli.main import main
    from udbudsregler.columnar.files import decide_file

    rng = random.Random(4)
    rows = [_citizen(rng) for _ in range(400)]
    orders = [rng.choice([None, {"supplier": "a1"}, {"supplier": "o2"}]) for _ in rows]
    source = tmp_path / "citizens.jsonl"
    source.write_text("".join(json.dumps({"id": f"C{i}", "facts": {**r, "extra": str(
        r["extra"]), "distances": [{**d, "km": str(d["km"])} for d in r["distances"]]},
        **({"order": o} if o else {})}) + "\n" for i, (r, o) in enumerate(zip(
            rows, orders, strict=True))), encoding="utf-8")
    state = {"capacity": {"a1": 2, "o1": 5, "l1": 4, "l2": 4, "l3": 3},
             "load": {"a1": 2, "o1": 1, "l1": 2, "l2": 1}, "sequence": 3}
    out = tmp_path / "out.parquet"
    summary = decide_file(policy, source, ON, out, batch_rows=64, suppliers=state)
    assert summary.errors == 0
    got = pq.read_table(out).column("supplier").to_pylist()
    want = [policy.decide(r, ON, order=o, suppliers=state).supplier
            for r, o in zip(rows, orders, strict=True)]
    assert got == want and "a1" not in got and "r2" in got
    # the command line: --suppliers for every citizen, --order refused
    args = ["decide", str(HERE / "data" / "suppliers"), "--population", str(source),
            "--on", ON.isoformat(), "--out", str(tmp_path / "cli.parquet")]
    assert main([*args, "--suppliers", json.dumps(state)]) == 0
    assert pq.read_table(tmp_path / "cli.parquet").column(
        "supplier").to_pylist() == want
    assert main([*args, "--order", '{"supplier": "a1"}']) == 2
    assert "each citizen's order from its line" in capsys.readouterr().err
    assert main([*args, "--suppliers", '{"load": {"zz": 1}}']) == 2
    assert "suppliers.load.zz: UDB605" in capsys.readouterr().err
