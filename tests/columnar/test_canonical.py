"""``canonical_array`` keeps every value (``to_pylist`` gives the same), whatever the
layout: nested lists of records with nulls at every level, null list slots that still
span items, slices, view layouts, dictionaries; and gives the layouts the columns read.
``values_of`` reads what ``to_pylist`` reads, where ``to_pylist`` can."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pc = pytest.importorskip("pyarrow.compute")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from udbudsregler.columnar.table import (  # noqa: E402
    _shortest,
    canonical_array,
    rows_of,
    values_of,
)

_DECIMALS = st.decimals(min_value=-10**6, max_value=10**6, places=4, allow_nan=False,
                        allow_infinity=False)
_LEAVES = [
    (pa.int64(), st.integers(-5, 5)),
    (pa.decimal128(38, 18), _DECIMALS),
    (pa.decimal128(12, 4), _DECIMALS),
    (pa.string(), st.text(alphabet="ab", max_size=3)),
    (pa.date32(), st.dates(date(1990, 1, 1), date(2030, 1, 1))),
    (pa.bool_(), st.booleans()),
]


@st.composite
def _typed(draw: Any, depth: int = 0) -> tuple[Any, Any]:
    """An Arrow type and a strategy for its values (None included)."""
    if depth >= 2 or draw(st.booleans()):
        kind, values = draw(st.sampled_from(_LEAVES))
        return kind, st.none() | values
    if draw(st.booleans()):
        inner, values = draw(_typed(depth + 1))
        return pa.list_(inner), st.none() | st.lists(values, max_size=3)
    fields = draw(st.lists(_typed(depth + 1), min_size=1, max_size=3))
    kind = pa.struct([(f"f{i}", t) for i, (t, _) in enumerate(fields)])
    return kind, st.none() | st.fixed_dictionaries(
        {f"f{i}": s for i, (_, s) in enumerate(fields)})


def _spanning(arr: Any, draw: Any) -> Any:
    """``arr`` with some of its list slots (at any level) made null while still spanning
    their items, as Polars' ``when/then`` leaves them."""
    kind = arr.type
    if pa.types.is_list(kind):
        if arr.offset:
            arr = pa.concat_arrays([arr])
        values = _spanning(arr.values, draw)
        nulls = draw(st.lists(st.booleans(), min_size=len(arr), max_size=len(arr)))
        mask = pa.array([n or not v for n, v in zip(nulls, arr.is_valid().to_pylist(),
                                                    strict=True)], type=pa.bool_())
        return pa.ListArray.from_arrays(arr.offsets, values, mask=mask)
    if pa.types.is_struct(kind):
        if arr.offset:
            arr = pa.concat_arrays([arr])
        children = [_spanning(arr.field(i), draw) for i in range(kind.num_fields)]
        return pa.StructArray.from_arrays(children, fields=list(kind),
                                          mask=arr.is_null() if arr.null_count else None)
    return arr


def _read_kinds(kind: Any) -> bool:
    """Whether a type is in the forms the columns read (no views, no date64)."""
    if pa.types.is_list(kind):
        return _read_kinds(kind.value_type)
    if pa.types.is_struct(kind):
        return all(_read_kinds(f.type) for f in kind)
    return str(kind) not in ("string_view", "binary_view", "date64[ms]")


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_canonical_array_keeps_every_value(data: Any) -> None:
    kind, values = data.draw(_typed())
    rows = data.draw(st.lists(values, max_size=8))
    arr = pa.array(rows, type=kind)
    if data.draw(st.booleans()):
        arr = _spanning(arr, data.draw)
    want = arr.to_pylist()
    # rows_of: to_pylist's values, each decimal in its shortest form (read faster)
    table = pa.table({"a": arr, "b": pa.chunked_array([arr.slice(0, len(arr) // 2),
                                                       arr.slice(len(arr) // 2)])})
    assert rows_of(table) == [_shortest(row) for row in table.to_pylist()]
    assert [str(v) for r in rows_of(table) for v in _decimals(r)] == [
        str(v) for r in table.to_pylist() for v in _decimals(_shortest(r))]
    if data.draw(st.booleans()) and len(arr) > 1:
        start = data.draw(st.integers(0, len(arr) - 1))
        arr = arr.slice(start)
        want = want[start:]
    got = canonical_array(arr)
    assert got.to_pylist() == want
    assert _read_kinds(got.type)
    assert values_of(arr) == want
    if pa.types.is_list(got.type) and got.null_count:  # null slots span no items now
        offsets = got.offsets.to_pylist()
        for i, valid in enumerate(got.is_valid().to_pylist()):
            assert valid or offsets[i + 1] == offsets[i]


def _decimals(value: Any) -> list[Any]:
    """The decimals a value holds, at any depth (to compare their written forms: 38 and
    38.000 are equal, and written apart)."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return [value]
    if isinstance(value, dict):
        return [d for v in value.values() for d in _decimals(v)]
    if isinstance(value, list):
        return [d for v in value for d in _decimals(v)]
    return []


def test_views_and_date64_become_the_plain_forms() -> None:
    text = pa.array(["a", None, "bc"]).cast(pa.string_view())
    assert canonical_array(text).type == pa.string()
    assert canonical_array(text).to_pylist() == ["a", None, "bc"]
    day = pa.array([0, 86_400_000 + 1, -1, None], pa.int64()).view(pa.date64())
    assert canonical_array(day).type == pa.date32()
    assert canonical_array(day).to_pylist() == day.to_pylist()
