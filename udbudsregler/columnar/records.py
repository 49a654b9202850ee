"""Citizens given as Python dicts, read into Arrow columns a block of rows at a time.

``decide_records`` used to run the generated fact check on every dict before building
the table. Here the facts are read a block of rows at a time (:data:`_BLOCK`): every
value of a block is picked out with ``map`` and its exact type noted in C
(``set.update(map(type, values))``) while the block's dicts are still in the CPU's cache,
and each column is built by Arrow at the end. Reading a fact at a time over all the rows
instead fetches every dict from memory once per fact, which took longer than the rest of
the work together. A row is *certain* when each of its values has exactly the
type the generated fact check (:mod:`udbudsregler.codegen.factcheck`) requires (a
``bool``, an ``int``, a ``Decimal`` with its places inside the input limits, a ``date``,
a ``str`` that is ASCII or a valid text, a ``list`` of ``dict`` records with exactly the
declared fields). What the check tests beyond the types (the input limits of numbers and
dates, a choice's values, ranges) ``decide_table`` tests on the columns, as for any
table, and a row that fails there is decided by ``decide`` on the dict itself. Every
other row (a wrong type, a missing or extra fact, a value Arrow cannot hold exactly)
goes the exact way: ``decide_records`` checks it as before.

Every kind of fact is read here, in the Python form ``decide`` takes and in the form
JSON gives it (``udbudsregler.values.canonical.to_json``, read with
``parse_float=Decimal``): bool, int, decimal and hours (a number, or a number written
as text, read as ``decide`` reads it), date (a ``date``, or ISO text: a text column,
which the columns read as ``decide`` reads a date given as text; a fact's dates all of
one of the two), text, choices, amounts (a ``Money`` in the policy's currency, as its
``Decimal``; a number; ``{"amount": ..., "currency": ...}``), periods (a ``Period``,
or ``{"from": ..., "to": ...}``), durations (a ``Duration`` of months or of days, as
the text ``decide`` reads, "4 months"; or that text), and records, lists and
histories of them (a history's records have ``from`` and ``to``, dates as above, ``to``
``None`` for an open end). A duration of months and days together has no text form:
its row goes the exact way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any

import numpy as np
import pyarrow as pa

from udbudsregler.loader.documents import FactSpec
from udbudsregler.values import fact_kinds
from udbudsregler.values.convert import in_limits, number_text
from udbudsregler.values.limits import MAX_PLACES, NUMBER_LIMIT, valid_text
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, Period

__all__ = ["Columns", "readable", "to_columns"]

_DECIMAL = pa.decimal128(38, 18)
_WORDS = pa.dictionary(pa.int32(), pa.string())
_PLAIN = (fact_kinds.BOOL, fact_kinds.INT, fact_kinds.DECIMAL, fact_kinds.HOURS,
          fact_kinds.DATE, fact_kinds.TEXT, fact_kinds.MONEY, fact_kinds.PERIOD,
          fact_kinds.DURATION)
#: The bounds of a history's records: ``from`` a date, ``to`` a date or ``None``.
_DATE = FactSpec(type=fact_kinds.DATE.name)
_NONE = type(None)


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
            return top and (kind.periodic or bool(spec.fields)) and all(
                ok(f, False) for f in (spec.fields or {}).values())
        return kind.choice or kind in _PLAIN
    return bool(specs) and all(ok(spec, True) for spec in specs.values())


class _Misfit(Exception):
    """Rows that are not certain (their indexes among the rows being read)."""

    def __init__(self, rows: set[int]) -> None:
        super().__init__(len(rows))
        self.rows = rows


def to_columns(specs: Mapping[str, FactSpec], records: Sequence[Any], currency: str
               ) -> Columns:
    """The certain rows of ``records`` as columns of the Arrow types ``decide_table``
    reads; the others by index (``specs`` must be :func:`readable`; ``currency``: the
    policy's, the only one an amount may be in)."""
    rows = list(range(len(records)))
    rest: set[int] = set()
    while True:  # each pass leaves out the rows the one before found not certain
        try:
            table = _table(specs, [records[i] for i in rows] if rest else list(records),
                           currency)
        except _Misfit as misfit:
            rest |= {rows[i] for i in misfit.rows} if misfit.rows else set(rows)
            rows = [i for i in rows if i not in rest]
            continue
        return Columns(table, rows, sorted(rest))


#: Rows read at a time: few enough that a block's dicts (and their list items) stay in
#: the CPU's cache while each of their keys is read (measured on the peer workload:
#: 512 rows a block take 0.57 of the time of one pass a fact over all rows).
_BLOCK = 512


#: Takes the indexes (among the items being read) of the items that are not certain.
_Misfits = Callable[[Iterable[int]], None]


class _Values:
    """A fact's values as read so far (a scalar fact's, or one field of a record or of
    the records of a list), and the set of their exact types."""

    def __init__(self, name: str, spec: FactSpec, *, optional: bool = False) -> None:
        self.name = name
        self.spec = spec
        self.optional = optional  # None is certain too (the open end of a history record)
        self.values: list[Any] = []
        self.types: set[type] = set()
        self.get = itemgetter(name)

    def pick(self, items: list[Any], misfit: _Misfits) -> list[Any]:
        """The value of each of ``items`` (dicts); one without the key gives ``None``, and
        its index goes to ``misfit``."""
        try:
            return list(map(self.get, items))
        except KeyError:
            name = self.name
            misfit(i for i, item in enumerate(items) if name not in item)
            return [item.get(name) for item in items]

    def read(self, items: list[Any], misfit: _Misfits) -> None:
        values = self.pick(items, misfit)
        self.values += values
        self.types.update(map(type, values))


class _Fact(_Values):
    """A top-level fact; a record or a list of records reads its fields from the
    records of each block."""

    def __init__(self, name: str, spec: FactSpec) -> None:
        super().__init__(name, spec)
        self.fields = [_Values(n, f) for n, f in (spec.fields or {}).items()]
        if spec.kind.periodic:  # as arrow_type orders them: the fields, then the bounds
            self.fields += [_Values("from", _DATE), _Values("to", _DATE, optional=True)]
        self.lengths: list[int] = []  # a list's length in each row

    def read(self, items: list[Any], misfit: _Misfits) -> None:
        if not self.spec.kind.container:
            super().read(items, misfit)
            return
        values = self.pick(items, misfit)
        owner = misfit
        if self.spec.kind.many:
            if not set(map(type, values)) <= {list}:
                misfit(i for i, v in enumerate(values) if type(v) is not list)
                return  # the pass has failed: the fields are not read
            lengths = list(map(len, values))
            self.lengths += lengths
            values = list(chain.from_iterable(values))

            def owner(found: Iterable[int]) -> None:
                rows = np.repeat(np.arange(len(lengths)), lengths)
                misfit(int(rows[i]) for i in found)

        size = len(self.fields)
        if not (set(map(type, values)) <= {dict} and set(map(len, values)) <= {size}):
            owner(i for i, r in enumerate(values) if type(r) is not dict or len(r) != size)
            return
        for field in self.fields:
            field.read(values, owner)

    def column(self, currency: str) -> pa.Array:
        """The values as an Arrow array (or :class:`_Misfit` with the rows that are not
        certain)."""
        if not self.spec.kind.container:
            return _column(self.spec, self.values, self.types, currency)
        arrays = []
        misfits: set[int] = set()
        for field in self.fields:
            try:
                arrays.append(_column(field.spec, field.values, field.types, currency,
                                      field.optional))
            except _Misfit as misfit:
                misfits |= misfit.rows
        if not self.spec.kind.many:
            if misfits:
                raise _Misfit(misfits)
            return pa.StructArray.from_arrays(arrays, names=[f.name for f in self.fields])
        lengths = np.asarray(self.lengths, dtype=np.int64)
        if misfits:
            rows = np.repeat(np.arange(len(lengths)), lengths)
            raise _Misfit({int(rows[i]) for i in misfits})
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if offsets[-1] >= 2**31:
            raise _Misfit(set(range(len(lengths))))
        struct = pa.StructArray.from_arrays(arrays, names=[f.name for f in self.fields])
        return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), struct)


def _table(specs: Mapping[str, FactSpec], records: list[Any], currency: str) -> pa.Table:
    """The table of ``records``, read a block at a time; raises :class:`_Misfit` with the
    rows that are not certain (those of a bad shape first: a row of another shape is
    not read further, so the values of the others no longer line up)."""
    facts = [_Fact(name, spec) for name, spec in specs.items()]
    size = len(facts)
    shapes: set[int] = set()
    for start in range(0, len(records), _BLOCK):
        block = records[start:start + _BLOCK]

        def misfit(found: Iterable[int], start: int = start) -> None:
            shapes.update(start + i for i in found)

        if not (set(map(type, block)) <= {dict} and set(map(len, block)) <= {size}):
            misfit(i for i, r in enumerate(block) if type(r) is not dict or len(r) != size)
            continue
        for fact in facts:
            fact.read(block, misfit)
    if shapes:
        raise _Misfit(shapes)
    columns: dict[str, pa.Array] = {}
    misfits: set[int] = set()
    for fact in facts:
        try:
            columns[fact.name] = fact.column(currency)
        except _Misfit as error:
            misfits |= error.rows
    if misfits:
        raise _Misfit(misfits)
    return pa.table(columns)


def _column(spec: FactSpec, values: list[Any], types: set[type], currency: str,
            optional: bool = False) -> pa.Array:
    """The values of a scalar fact (or field) as an Arrow array; ``types``: their exact
    types; ``optional``: a date that may be ``None`` (an Arrow null: an open end)."""
    kind = spec.kind
    if kind.choice:
        _only(values, types, str)
        return _arrow(values, _WORDS)
    if kind is fact_kinds.BOOL:
        _only(values, types, bool)
        return _arrow(values, pa.bool_())
    if kind is fact_kinds.INT:
        _only(values, types, int)
        return _whole(values)
    if kind is fact_kinds.DATE:  # optional: the `to` of a history record or a period
        none = {_NONE} if optional else set()
        if types - none and types <= {str} | none:  # ISO text, read as decide reads it
            return _arrow(values, pa.string())
        if not types <= {date} | none:
            _fail(values, lambda v: type(v) is date or (optional and v is None))
        return _arrow(values, pa.date32())
    if kind is fact_kinds.TEXT:
        _only(values, types, str)
        if not all(map(str.isascii, values)):
            _fail(values, lambda v: v.isascii() or valid_text(v))
        return _arrow(values, pa.string())
    if kind is fact_kinds.MONEY:  # a Money in the policy's currency, or a number
        if types == {dict}:  # as JSON gives an amount: {"amount": ..., "currency": ...}
            _fail(values, lambda v: len(v) == 2 and "amount" in v
                  and v.get("currency") == currency)
            values = list(map(itemgetter("amount"), values))
            types = set(map(type, values))
        elif types == {Money}:
            if not set(map(attrgetter("currency"), values)) <= {currency}:
                _fail(values, lambda v: v.currency == currency)
            values = list(map(attrgetter("amount"), values))
            types = set(map(type, values))
        elif Money in types:  # some given as numbers
            _fail(values, lambda v: type(v) in (int, Decimal) or (
                type(v) is Money and v.currency == currency))
            values = [v.amount if type(v) is Money else v for v in values]
            types = set(map(type, values))
        return _numbers(values, types)
    if kind is fact_kinds.PERIOD:
        if types == {dict}:  # as JSON gives a period: {"from": ..., "to": ...}
            _fail(values, lambda v: len(v) == 2 and "from" in v and "to" in v)
            starts = list(map(itemgetter("from"), values))
            ends = list(map(itemgetter("to"), values))
        else:  # a Period holds dates (its start) and None (an open end) only
            _only(values, types, Period)
            starts = list(map(attrgetter("start"), values))
            ends = list(map(attrgetter("end"), values))
        return pa.StructArray.from_arrays(
            [_column(_DATE, starts, set(map(type, starts)), currency),
             _column(_DATE, ends, set(map(type, ends)), currency, optional=True)],
            names=["from", "to"])
    if kind is fact_kinds.DURATION:
        if types == {str}:  # text ("4 months"): the columns read it as decide reads it
            return _arrow(values, pa.string())
        _only(values, types, Duration)
        # the text decide reads (as arrow_value gives it); months and days together have
        # none, and go the exact way
        _fail(values, lambda v: not (v.months and v.days))
        return _arrow([f"{v.months} months" if v.months else f"{v.days} days"
                       for v in values], pa.string())
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


def _whole(values: list[int]) -> pa.Array:
    """Whole numbers (all of type ``int``) as int64, if inside the input limits (beyond
    them: not certain). NumPy reads them (faster than Arrow from Python ints) and tests
    the limits on the array."""
    try:
        array = np.fromiter(values, dtype=np.int64, count=len(values))
    except OverflowError:  # beyond int64, and so beyond the limits
        array = None
    if array is None or (values and not (array.min() > -NUMBER_LIMIT
                                         and array.max() < NUMBER_LIMIT)):
        _fail(values, lambda v: -NUMBER_LIMIT < v < NUMBER_LIMIT)  # raises: one is beyond
    assert array is not None
    return pa.array(array)


def _places(v: Any) -> bool:
    """A decimal the fact check accepts and ``decimal128(38, 18)`` holds exactly."""
    if type(v) is int:
        return in_limits(v)
    if type(v) is not Decimal or not in_limits(v):
        return False
    exponent = v.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -18


def _numbers(values: list[Any], types: set[type]) -> pa.Array:
    """Decimals (and whole numbers, and numbers written as text) of a decimal or hours
    fact, or of an amount."""
    if str in types:  # as decide reads a number written as text: a Decimal (None, not
        # a number: not certain, as below)
        values = [number_text(v) if type(v) is str else v for v in values]
        types = set(map(type, values))
    if types == {Decimal, int}:  # a whole number is in the limits as a Decimal is
        values = list(map(Decimal, values))
        types = {Decimal}
    if types <= {Decimal}:
        adjusted = list(map(Decimal.adjusted, values))
        if adjusted and not (min(adjusted) > -MAX_PLACES - 1 and max(adjusted) < 18):
            _fail(values, _places)
        try:  # fails for a value that is not finite or has more than 18 places
            return pa.array(values, type=_DECIMAL)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            _fail(values, _places)
    elif types <= {int}:  # whole numbers inside the limits, as int64 cast to decimals
        return _whole(values).cast(_DECIMAL)
    else:
        _fail(values, _places)
    return _arrow(values, _DECIMAL)


def _arrow(values: list[Any], kind: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, ValueError):
        raise _Misfit(set(range(len(values)))) from None
