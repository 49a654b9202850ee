"""Suppliers chosen from each citizen's facts (`strategy: nearest`, `only`) column by
column (``columnar/suppliers.py``): for every citizen the supplier ``decide`` chooses,
with and without the citizen's own choice, with suppliers that are full, and with ties
(the first in the policy's order wins). An area whose selection has no columnar form (a
rotation among the suppliers `only` allows) is decided per record, and says so."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import suppliers as suppliers_module  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ON = dt.date(2024, 3, 1)
IDS = ["a1", "a2", "a3", "o1", "o2", "r1", "r2", "x9"]
KMS = [Decimal("1.5"), Decimal(2), Decimal("2.25"), Decimal(12), Decimal("0.125")]


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(HERE / "data" / "suppliers", cache=False)


def _citizen(rng: random.Random) -> dict[str, Any]:
    return {"age": rng.choice([17, 30, 45]), "town": rng.choice(["aarhus", "odense", "aalborg"]),
            "zone": rng.randint(1, 3), "extra": rng.choice([Decimal(0), Decimal("0.5"),
                                                            Decimal(6)]),
            "distances": [{"supplier": rng.choice(IDS), "km": rng.choice(KMS)}
                          for _ in range(rng.randint(0, 4))]}


def _agree(policy: Any, rows: list[dict[str, Any]], result: Any, on: dt.date = ON,
           orders: list[Any] | None = None, suppliers: Any = None) -> list[str | None]:
    """Every row decided as ``decide`` decides it; the suppliers chosen."""
    assert result.errors.num_rows == 0
    got = {d["row"]: d for d in result.decisions.to_pylist()}
    assert sorted(got) == list(range(len(rows)))
    chosen = []
    for i, row in enumerate(rows):
        want = policy.decide(row, on, order=orders[i] if orders else None, suppliers=suppliers)
        d = got[i]
        assert (d["eligible"], d["area"], d["supplier"]) == (
            want.eligible, want.area, want.supplier), (i, row, orders[i] if orders else None)
        chosen.append(d["supplier"])
    return chosen


def _in(policy: Any, rows: list[dict[str, Any]], area: str) -> int:
    return sum(1 for row in rows if policy.decide(row, ON).area == area)


def test_nearest_and_only_are_columnar(policy: Any) -> None:
    rows = [_citizen(random.Random(i)) for i in range(600)]
    result = policy.decide_table(rows, ON)
    chosen = _agree(policy, rows, result)
    assert {"a1", "a2", "a3", "o1", "o2"} <= set(chosen)
    assert None in chosen  # none allowed, or not eligible
    # only the rotation among those allowed goes per record
    assert result.per_record == _in(policy, rows, "rotating") > 0
    assert result.notes == ("service area `rotating` chooses its supplier from each "
                            "citizen's facts: its citizens were decided per record",)


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


def test_the_citizens_choice_and_full_suppliers(policy: Any) -> None:
    """The citizen's own choice, where the area honours it and the supplier has room, is
    kept for every row of its outcome; otherwise each row gets its own nearest."""
    rng = random.Random(7)
    rows = [_citizen(rng) for _ in range(400)]
    choices = [None, {"supplier": "a2"}, {"supplier": "a1"}, {"supplier": "o1"},
               {"supplier": "r2"}]
    orders = [rng.choice(choices) for _ in rows]
    for state in (None, {"capacity": {"a2": 3, "o1": 2}, "load": {"a2": 3, "o1": 1}},
                  {"capacity": {"a1": 1, "a2": 1, "a3": 1}, "load": {"a1": 1, "a2": 1,
                                                                      "a3": 1}}):
        result = policy.decide_table(rows, ON, order=orders, suppliers=state)
        chosen = _agree(policy, rows, result, orders=orders, suppliers=state)
        # per record: the rotation's citizens, except where their own choice is honoured
        decisions = [policy.decide(r, ON, order=o, suppliers=state)
                     for r, o in zip(rows, orders, strict=True)]
        assert result.per_record == sum(
            1 for d in decisions if d.area == "rotating"
            and d.supplier_choice.method != "citizen_choice") > 0
        if state is None:
            assert {"a1", "a2", "a3"} <= set(chosen)
            assert any(d.supplier_choice.method == "citizen_choice" for d in decisions
                       if d.area == "near")


def test_an_area_without_a_columnar_selection_goes_per_record(
        policy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the selection's expressions have no columnar form, the area's citizens are
    decided per record (the rest stay columnar)."""
    def unsupported(*args: Any) -> Any:
        raise suppliers_module.Unsupported("a test")

    monkeypatch.setattr("udbudsregler.columnar.table.choose_by_columns", unsupported)
    rows = [_citizen(random.Random(100 + i)) for i in range(200)]
    result = policy.decide_table(rows, ON)
    _agree(policy, rows, result)
    routed = sum(1 for row in rows if policy.decide(row, ON).supplier is not None
                 or policy.decide(row, ON).area is not None)
    assert result.per_record == routed
    assert len(result.notes) == 3


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
