"""Citizens as dicts read into columns a fact at a time (``columnar/records.py``): the
rows it reads give the same decisions and the same errors (row, path, code, message) as
the exact way, which checks each dict as ``decide`` does; every row whose values are not
exactly of the checked types falls back to it."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from equivalence import assert_agree  # noqa: E402

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import table as table_module  # noqa: E402
from udbudsregler.columnar.records import readable, to_columns  # noqa: E402

HERE = Path(__file__).resolve().parent
ON = date(2019, 2, 1)
VALUES = ("score",)


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(HERE / "data" / "records")




def _good(rng: random.Random) -> dict[str, Any]:
    return {
        "age": rng.randint(16, 70), "years": Decimal(rng.randint(0, 100)) / 10,
        "weekly": rng.choice([rng.randint(0, 40), Decimal(rng.randint(0, 400)) / 10]),
        "ready": rng.random() < 0.7, "since": date(2018, 1, 1).fromordinal(
            date(2018, 1, 1).toordinal() + rng.randint(0, 800)),
        "note": rng.choice(["", "ok", "Ærø", "a:b"]),
        "benefit": rng.choice(["kontanthjaelp", "sygedagpenge"]),
        "home": {"city": rng.choice(["København", "Slagelse"]), "zone": rng.randint(0, 9)},
        "offers": [{"kind": rng.choice(["praktik", "loentilskud", "mentor"]),
                    "hours": rng.randint(0, 37), "share": Decimal(rng.randint(0, 10)) / 10}
                   for _ in range(rng.randint(0, 4))],
    }


#: Each makes a row that is not certain (a wrong type, a missing or extra fact, a value
#: the fact check refuses or Arrow cannot hold exactly) or one the columns' checks send
#: per record (a value outside the limits, a range or the choices).
BAD: list[tuple[str, Any]] = [
    ("age", True), ("age", 30.0), ("age", "30"), ("age", None), ("age", 10**18),
    ("age", 2**70), ("age", 15), ("age", 71), ("years", 2.5), ("years", Decimal("NaN")),
    ("years", Decimal("Infinity")), ("years", Decimal("1E-30")), ("years", Decimal("0E-30")),
    ("years", Decimal("1.0000000000000000001")), ("years", Decimal("1E+18")),
    ("years", 10**18), ("years", True), ("weekly", -1), ("weekly", Decimal("-0.5")),
    ("weekly", 41), ("ready", 1), ("ready", None), ("since", datetime(2019, 1, 1)),
    ("since", "2019-01-01"), ("since", date(1, 1, 1)), ("note", 5), ("note", "\ud800"),
    ("benefit", "jobparat"), ("benefit", 1), ("home", {"city": "K"}),
    ("home", {"city": "K", "zone": 1, "x": 2}), ("home", [("city", "K"), ("zone", 1)]),
    ("offers", ({"kind": "praktik", "hours": 1, "share": Decimal(1)},)),
    ("offers", [{"kind": "praktik", "hours": 1}]),
    ("offers", [{"kind": "praktik", "hours": 1, "share": Decimal(1), "x": 0}]),
    ("offers", [{"kind": "other", "hours": 1, "share": Decimal(1)}]),
    ("offers", [{"kind": "praktik", "hours": -(10**19), "share": Decimal(1)}]),
    ("offers", [{"kind": "praktik", "hours": 1, "share": 0.5}]), ("offers", None),
]


def _rows(seed: int, n: int) -> list[Any]:
    rng = random.Random(seed)
    rows: list[Any] = [_good(rng) for _ in range(n)]
    for i in range(0, n, 3):  # every third row: one bad value (or a bad shape)
        kind = rng.randrange(len(BAD) + 4)
        row = dict(rows[i])
        if kind < len(BAD):
            name, value = BAD[kind]
            row[name] = value
        elif kind == len(BAD):
            del row["age"]
        elif kind == len(BAD) + 1:
            row["shoe"] = 42
        elif kind == len(BAD) + 2:
            row = list(row.items())  # type: ignore[assignment]
        else:
            row = {"age": 40}
        rows[i] = row
    return rows


def _exact(policy: Any, rows: list[Any], **options: Any) -> Any:
    return table_module._checked_records(policy, rows, list(range(len(rows))), ON,
                                         options.pop("first_row", 0), options)


def _same(got: Any, want: Any) -> None:
    assert got.decisions.to_pylist() == want.decisions.to_pylist()
    assert got.errors.to_pylist() == want.errors.to_pylist()
    assert got.rows == want.rows


def test_policy_is_read_as_columns(policy: Any) -> None:
    specs = {name: fact.spec for name, fact in policy.graph.facts.items()}
    assert readable(specs)
    slagelse = load_policy(HERE.parents[1] / "policies" / "slagelse-2019")
    assert not readable({n: f.spec for n, f in slagelse.graph.facts.items()})  # histories


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dicts_equal_the_exact_way(policy: Any, seed: int) -> None:
    rows = _rows(seed, 240)
    got = policy.decide_table(rows, ON, values=VALUES, first_row=1000)
    _same(got, _exact(policy, rows, values=VALUES, first_row=1000))
    assert_agree(policy, rows, ON, _renumbered(got, -1000), values=VALUES)
    assert got.columnar > 0


@pytest.mark.parametrize("block", [1, 7, 64])
def test_rows_read_in_blocks_equal_the_exact_way(policy: Any, block: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The facts are read a block of rows at a time: with small blocks, the bad rows of
    later blocks (and the rows their list items belong to) must still be found."""
    from udbudsregler.columnar import records

    monkeypatch.setattr(records, "_BLOCK", block)
    rows = _rows(block + 10, 150)
    specs = {name: fact.spec for name, fact in policy.graph.facts.items()}
    columns = to_columns(specs, rows)
    assert columns.rest and columns.rows  # some rows of each kind
    monkeypatch.setattr(records, "_BLOCK", 10**6)
    assert to_columns(specs, rows).rest == columns.rest  # as read in one block
    assert to_columns(specs, rows).table.equals(columns.table)
    monkeypatch.setattr(records, "_BLOCK", block)
    got = policy.decide_table(rows, ON, values=VALUES)
    _same(got, _exact(policy, rows, values=VALUES))


def _renumbered(result: Any, by: int) -> Any:
    decided = result.decisions
    decided = decided.set_column(0, "row", pa.compute.add(decided.column("row"), by))
    errors = result.errors.set_column(0, "row", pa.compute.add(result.errors.column("row"), by))
    return type(result)(decided, errors, result.rows, result.columnar, result.per_record)


def test_each_bad_value_falls_back_or_is_checked(policy: Any) -> None:
    """A bad value is either not certain (the exact way) or sent per record by the
    columns' checks; the errors are those of decide either way."""
    rng = random.Random(5)
    specs = {name: fact.spec for name, fact in policy.graph.facts.items()}
    for name, value in BAD:
        row = {**_good(rng), name: value}
        rows = [_good(rng), row, _good(rng)]
        columns = to_columns(specs, rows)
        assert 0 in columns.rows and 2 in columns.rows
        got = policy.decide_table(rows, ON, values=VALUES)
        _same(got, _exact(policy, rows, values=VALUES))
        if 1 in columns.rows:  # read as columns: the columns' checks must catch it
            assert got.per_record >= 1, (name, value)


def test_types_that_must_fall_back(policy: Any) -> None:
    rng = random.Random(9)
    specs = {name: fact.spec for name, fact in policy.graph.facts.items()}
    for name, value in [("age", True), ("age", 3.0), ("years", 2.5), ("ready", 1),
                        ("since", datetime(2019, 1, 1)), ("note", 1),
                        ("years", Decimal("1E-30")), ("years", Decimal("0E-30")),
                        ("age", 2**70), ("offers", ())]:
        columns = to_columns(specs, [{**_good(rng), name: value}])
        assert columns.rest == [0], (name, value)
    assert to_columns(specs, [[1, 2]]).rest == [0]
    assert to_columns(specs, [{**_good(rng), "shoe": 1}]).rest == [0]


def test_a_rows_problems_are_in_the_order_decide_gives_them(policy: Any) -> None:
    """Rejected by the fact check (not decided per record), a row's problems come in the
    order of decide's FactError (by path), as those of a row decided per record do."""
    from udbudsregler.diagnostics import FactError

    row = {**_good(random.Random(1)), "years": 2.5, "weekly": -1}  # declared years first
    with pytest.raises(FactError) as raised:
        policy.decide(row, ON)
    want = [(p.path, p.code, p.message) for p in raised.value.problems]
    assert [p for p, _, _ in want] == ["weekly", "years"]
    got = policy.decide_table([row], ON)
    assert [(e["path"], e["code"], e["message"]) for e in got.errors.to_pylist()] == want
