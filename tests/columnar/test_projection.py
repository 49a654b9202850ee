"""``decide_table(columns=...)``: only the decision columns asked for are built, each equal
to the same column of a full run (rows decided columnar and per record alike)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from test_equivalence import POLICIES, _policy, _spoil, _table  # noqa: E402

from udbudsregler.columnar.table import DECISION_COLUMNS  # noqa: E402
from udbudsregler.testing.boundaries import sample_citizens  # noqa: E402

CHOICES = [c for c in DECISION_COLUMNS if c != "row"]


def _check(full: Any, part: Any, columns: list[str]) -> None:
    expected = ["row", *(c for c in CHOICES if c in columns)]
    names = part.decisions.column_names
    assert names == expected, names  # no id or values here: nothing else
    for name in names:
        assert part.decisions.column(name).to_pylist() == full.decisions.column(name) \
            .to_pylist(), name
        assert part.decisions.schema.field(name).type == full.decisions.schema.field(name).type
    assert part.errors.to_pylist() == full.errors.to_pylist()
    assert (part.rows, part.columnar, part.per_record) == (full.rows, full.columnar,
                                                          full.per_record)


@pytest.mark.parametrize("name", POLICIES)
def test_each_projection_equals_the_full_columns(name: str) -> None:
    """Every column alone, and a few pairs, on citizens some of whom decide rejects (their
    rows go per record and are errors)."""
    policy = _policy(name)
    on = policy.header.valid.from_
    rows = _spoil(policy, sample_citizens(policy, on, 200, seed=7), "missing")
    table = _table(policy, rows)
    full = policy.decide_table(table, on)
    assert full.columnar > 0 and full.errors.num_rows > 0
    picks = [[c] for c in CHOICES] + [list(p) for p in itertools.combinations(
        ["eligible", "area", "failed", "package_status"], 2)] + [[]]
    for columns in picks:
        _check(full, policy.decide_table(table, on, columns=columns), columns)


def test_a_projection_keeps_the_id_and_the_values_and_works_from_dicts() -> None:
    policy = _policy("slagelse-2019")
    on = policy.header.valid.from_
    rows = sample_citizens(policy, on, 120, seed=2)
    table = _table(policy, rows).append_column("ident", pa.array([f"c{i}" for i in
                                                                    range(len(rows))]))
    rule = "age"  # a rule of the policy
    full = policy.decide_table(table, on, id="ident", values=[rule])
    part = policy.decide_table(table, on, id="ident", values=[rule], columns=["eligible"])
    assert part.decisions.column_names == ["row", "id", "eligible", rule]
    for column in part.decisions.column_names:
        assert part.decisions.column(column).equals(full.decisions.column(column))
    dicts = policy.decide_table(rows, on, columns=["area", "eligible"])
    assert dicts.decisions.column_names == ["row", "eligible", "area"]
    whole = policy.decide_table(rows, on)
    assert dicts.decisions.column("area").to_pylist() == whole.decisions.column(
        "area").to_pylist()


def test_a_projection_names_real_columns() -> None:
    policy = _policy("slagelse-2019")
    on = policy.header.valid.from_
    table = _table(policy, sample_citizens(policy, on, 3, seed=1))
    with pytest.raises(ValueError, match="no decision column 'areas'"):
        policy.decide_table(table, on, columns=["areas"])
    with pytest.raises(TypeError, match="a list of decision column names"):
        policy.decide_table(table, on, columns="area")
