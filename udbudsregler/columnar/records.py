"""Citizens given as Python dicts, read into Arrow columns a fact at a time.

``decide_records`` used to run the generated fact check on every dict before building
the table. Here each fact is read for all rows at once: its values are picked out with
``map`` and tested by their exact types in C (``set(map(type, values))``), and the
column is built by Arrow. A row is *certain* when each of its values has exactly the
type the generated fact check (:mod:`udbudsregler.codegen.factcheck`) requires (a
``bool``, an ``int``, a ``Decimal`` with its places inside the input limits, a ``date``,
a ``str`` that is ASCII or a valid text, a ``list`` of ``dict`` records with exactly the
declared fields). What the check tests beyond the types (the input limits of numbers and
dates, a choice's values, ranges) ``decide_table`` tests on the columns, as for any
table, and a row that fails there is decided by ``decide`` on the dict itself. Every
other row (a wrong type, a missing or extra fact, a value Arrow cannot hold exactly)
goes the exact way: ``decide_records`` checks it as before.

Kinds read here: bool, int, decimal, hours, date, text, choices, and records and lists
of them; a policy with another kind of fact (amounts, periods, durations, histories) is
read the exact way throughout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import pyarrow as pa

from udbudsregler.loader.documents import FactSpec
from udbudsregler.values import fact_kinds
from udbudsregler.values.convert import in_limits
from udbudsregler.values.limits import MAX_PLACES, NUMBER_LIMIT, valid_text

__all__ = ["Columns", "readable", "to_columns"]

_DECIMAL = pa.decimal128(38, 18)
_WORDS = pa.dictionary(pa.int32(), pa.string())
_PLAIN = (fact_kinds.BOOL, fact_kinds.INT, fact_kinds.DECIMAL, fact_kinds.HOURS,
          fact_kinds.DATE, fact_kinds.TEXT)


@dataclass
class Columns:
    """The certain rows as an Arrow table (in input order), their indexes in the input,
    and the indexes of the other rows."""

    table: pa.Table
    rows: list[int]
    rest: list[int]


def readable(specs: Mapping[str, FactSpec]) -> bool:
    """Whether every fact is of a kind read here."""
    def ok(spec: FactSpec, top: bool) -> bool:
        kind = spec.kind
        if kind.container:
            return top and not kind.periodic and bool(spec.fields) and all(
                ok(f, False) for f in (spec.fields or {}).values())
        return kind.choice or kind in _PLAIN
    return bool(specs) and all(ok(spec, True) for spec in specs.values())


class _Misfit(Exception):
    """Rows that are not certain (their indexes among the rows being read)."""

    def __init__(self, rows: set[int]) -> None:
        super().__init__(len(rows))
        self.rows = rows


def to_columns(specs: Mapping[str, FactSpec], records: Sequence[Any]) -> Columns:
    """The certain rows of ``records`` as columns of the Arrow types ``decide_table``
    reads; the others by index (``specs`` must be :func:`readable`)."""
    rows = list(range(len(records)))
    rest: set[int] = set()
    while True:  # each pass leaves out the rows the one before found not certain
        try:
            table = _table(specs, [records[i] for i in rows])
        except _Misfit as misfit:
            rest |= {rows[i] for i in misfit.rows} if misfit.rows else set(rows)
            rows = [i for i in rows if i not in rest]
            continue
        return Columns(table, rows, sorted(rest))


def _table(specs: Mapping[str, FactSpec], records: list[Any]) -> pa.Table:
    _records(records, len(specs))
    misfits: set[int] = set()
    columns: dict[str, pa.Array] = {}
    for name, spec in specs.items():
        try:
            values = list(map(itemgetter(name), records))
        except KeyError:
            misfits |= {i for i, r in enumerate(records) if name not in r}
            continue
        try:
            columns[name] = _column(spec, values)
        except _Misfit as misfit:
            misfits |= misfit.rows
    if misfits:
        raise _Misfit(misfits)
    return pa.table(columns)


def _records(records: list[Any], size: int) -> None:
    """Raise the rows that are not a dict of ``size`` keys."""
    if set(map(type, records)) <= {dict} and set(map(len, records)) <= {size}:
        return
    _fail(records, lambda r: type(r) is dict and len(r) == size)


def _column(spec: FactSpec, values: list[Any]) -> pa.Array:
    kind = spec.kind
    if kind.container:
        return _lists(spec, values) if kind.many else _record(spec, values)
    types = set(map(type, values))
    if kind.choice:
        _only(values, types, str)
        return _arrow(values, _WORDS)
    if kind is fact_kinds.BOOL:
        _only(values, types, bool)
        return _arrow(values, pa.bool_())
    if kind is fact_kinds.INT:
        _only(values, types, int)
        _whole(values)
        return _arrow(values, pa.int64())
    if kind is fact_kinds.DATE:
        _only(values, types, date)
        return _arrow(values, pa.date32())
    if kind is fact_kinds.TEXT:
        _only(values, types, str)
        if not all(map(str.isascii, values)):
            _fail(values, lambda v: v.isascii() or valid_text(v))
        return _arrow(values, pa.string())
    assert kind in (fact_kinds.DECIMAL, fact_kinds.HOURS), kind
    return _numbers(values, types)


def _only(values: list[Any], types: set[type], kind: type) -> None:
    if types <= {kind}:
        return
    _fail(values, lambda v: type(v) is kind)


def _fail(values: list[Any], certain: Any) -> None:
    """Raise the rows whose value is not ``certain``."""
    misfits = {i for i, v in enumerate(values) if not certain(v)}
    if misfits:
        raise _Misfit(misfits)


def _whole(values: list[int]) -> None:
    """Whole numbers inside the input limits (beyond them: not certain)."""
    if values and not (min(values) > -NUMBER_LIMIT and max(values) < NUMBER_LIMIT):
        _fail(values, lambda v: -NUMBER_LIMIT < v < NUMBER_LIMIT)


def _places(v: Any) -> bool:
    """A decimal the fact check accepts and ``decimal128(38, 18)`` holds exactly."""
    if type(v) is int:
        return in_limits(v)
    if type(v) is not Decimal or not in_limits(v):
        return False
    exponent = v.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -18


def _numbers(values: list[Any], types: set[type]) -> pa.Array:
    """Decimals (and whole numbers) of a decimal or hours fact."""
    if types <= {Decimal}:
        adjusted = list(map(Decimal.adjusted, values))
        if adjusted and not (min(adjusted) > -MAX_PLACES - 1 and max(adjusted) < 18):
            _fail(values, _places)
        try:  # fails for a value that is not finite or has more than 18 places
            return pa.array(values, type=_DECIMAL)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            _fail(values, _places)
    elif types <= {int}:
        _whole(values)
    else:
        _fail(values, _places)
    return _arrow(values, _DECIMAL)


def _arrow(values: list[Any], kind: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, ValueError):
        raise _Misfit(set(range(len(values)))) from None


def _record(spec: FactSpec, values: list[Any]) -> pa.Array:
    fields = spec.fields or {}
    _records(values, len(fields))
    return _struct(fields, values, np.arange(len(values)))


def _struct(fields: Mapping[str, FactSpec], items: list[Any], owner: Any) -> pa.Array:
    """The records ``items`` (each a dict of as many keys as ``fields``) as a struct
    array; a misfit item makes its ``owner`` row a misfit."""
    arrays = []
    misfits: set[int] = set()
    for name, sub in fields.items():
        try:
            arrays.append(_column(sub, list(map(itemgetter(name), items))))
        except KeyError:
            misfits |= {int(owner[i]) for i, r in enumerate(items) if name not in r}
        except _Misfit as misfit:
            misfits |= {int(owner[i]) for i in misfit.rows}
    if misfits:
        raise _Misfit(misfits)
    return pa.StructArray.from_arrays(arrays, names=list(fields))


def _lists(spec: FactSpec, values: list[Any]) -> pa.Array:
    if not set(map(type, values)) <= {list}:
        _fail(values, lambda v: type(v) is list)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] >= 2**31:
        raise _Misfit(set(range(len(values))))
    items = list(chain.from_iterable(values))
    owner = np.repeat(np.arange(len(values)), lengths)
    fields = spec.fields or {}
    if not (set(map(type, items)) <= {dict} and set(map(len, items)) <= {len(fields)}):
        misfits = {int(owner[i]) for i, r in enumerate(items)
                   if type(r) is not dict or len(r) != len(fields)}
        raise _Misfit(misfits)
    struct = _struct(fields, items, owner)
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), struct)
