"""``decide_table``: a policy's decisions for a table of citizens, column by column.

The table is Arrow (a ``pyarrow.Table`` or ``RecordBatch``; a Polars or pandas
DataFrame is read through Arrow): one column per fact, histories and lists as list
columns of structs (or separate long tables keyed by the citizen id, ``histories=``),
records as structs, choices and texts as strings, dates as ``date32``, numbers as
integers or ``decimal128`` (never floats: a float fact is refused, as ``decide``
refuses it), amounts as ``decimal128`` in the policy's currency.

What a row means is fixed by per-record ``decide``: the row as Python values
(``table.to_pylist()``: the fact columns, without the id and order columns) is the
citizen's facts. Each row is answered in one of three ways:

- **columnar** (nearly all rows): the facts pass the same checks ``decide`` makes,
  checked on the columns, and the rules are evaluated by
  :class:`~udbudsregler.columnar.evaluate.Batch`;
- **per record**: a row the columnar checks or kernels are not sure of (a value
  outside the input limits, a wrong type, an evaluation that fails, a number beyond 64
  bits) is decided by ``policy.decide`` itself, so its answer or its error is the
  per-record one;
- **error**: ``decide`` rejects the row: it goes to the errors table with its row
  number, id, field path and code (the codes of ``FactError`` and
  ``EvaluationError``).

The parts of a decision that depend only on its outputs (target groups, routing,
supplier, package) are computed once per distinct outcome, by ``decide`` on one row
with that outcome, whose outputs must equal the columnar ones.
"""

from __future__ import annotations

import sys
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, time, timedelta
from decimal import Context, Decimal
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udbudsregler.columnar.columns import (
    EPOCH,
    OPEN,
    BoolArray,
    Bools,
    Cats,
    Col,
    Dates,
    Durs,
    IntArray,
    Lst,
    Num,
    Opaque,
    Pers,
    Rec,
    is_leap,
)
from udbudsregler.columnar.evaluate import Batch, Unsupported, fact_dependent
from udbudsregler.columnar.operands import AllUnsure
from udbudsregler.columnar.records import readable, to_columns
from udbudsregler.columnar.suppliers import by_columns as choose_by_columns
from udbudsregler.diagnostics import EvaluationError, FactError
from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import RuleGraph
from udbudsregler.loader.documents import FactSpec
from udbudsregler.loader.sites import WHERE_KNOWN
from udbudsregler.runtime.facts import EARLIEST, LATEST
from udbudsregler.runtime.routing import Order, SupplierState, parse_supplier_state
from udbudsregler.runtime.schemas import as_call_date
from udbudsregler.semantics.types import (
    BOOL,
    DATE,
    DECIMAL,
    HOURS,
    INT,
    EnumType,
    MoneyType,
    Type,
)
from udbudsregler.semantics.types import TEXT as TEXT_TYPE
from udbudsregler.values import fact_kinds
from udbudsregler.values.convert import ArrowDatetime, FarDate, day_text, not_unicode
from udbudsregler.values.fact_kinds import FactKind
from udbudsregler.values.limits import MAX_PLACES, NUMBER_LIMIT, shown, valid_text
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, Period

if TYPE_CHECKING:
    from udbudsregler.runtime.decision import Decision

__all__ = ["ColumnarFallback", "TableDecisions", "arrow_value", "decide_records", "decide_table",
           "support", "to_arrow"]

_LO = EARLIEST.toordinal()
_HI = LATEST.toordinal()

DECISION_COLUMNS = ("row", "eligible", "target_groups", "area", "supplier", "package",
                    "package_status", "failed")
ERROR_SCHEMA = pa.schema([("row", pa.int64()), ("id", pa.string()), ("path", pa.string()),
                          ("code", pa.string()), ("message", pa.string())])


class ColumnarFallback(UserWarning):
    """A policy (or a part of it) the columnar backend does not evaluate: it was decided
    per record instead."""


class Decides(Protocol):
    """What the columnar backend needs of a policy beyond :class:`Program`: ``decide``
    (the facade's), the reference for every row."""

    def decide(self, facts: Mapping[str, Any], on: date | str, *,
               order: Any = None, suppliers: Any = None, tracer: Any = None,
               ignore_validity: bool = False) -> Decision: ...


class PolicyLike(Decides, Protocol):
    graph: RuleGraph
    #: The fact schema (``FactSchema``): ``check(facts)`` gives the canonical facts or the
    #: problems, as ``decide`` would.
    facts: Any
    month_end: Any
    steps: int
    currency: str
    groups: tuple[str, ...]
    areas: tuple[str, ...]

    def check_date(self, on: date) -> None: ...

    def check_supplier_state(self, state: Any) -> None: ...

    def node_value(self, name: str, facts: dict[str, Any], on: date,
                   memo: list[Any] | None = None) -> Any: ...


@dataclass
class TableDecisions:
    """The answer for a table: the decisions, the rows that could not be decided, and how
    each row was answered."""

    #: One row per decided citizen, in the table's order: ``row`` (its index in the
    #: table, from ``first_row``), the id column if given, ``eligible``,
    #: ``target_groups``, ``area``, ``supplier``, ``package`` (the ordered package if
    #: accepted), ``package_status``, ``failed`` (the ids of the criteria not met, in
    #: the policy's order), then the requested ``values``.
    decisions: pa.Table
    #: One row per problem: ``row``, ``id``, ``path`` (the field path, as in
    #: ``FactError``; for an evaluation error, the place in the policy), ``code``
    #: (``UDB6xx``/``UDB7xx``), ``message``.
    errors: pa.Table
    rows: int = 0
    #: Rows decided by the columnar evaluation.
    columnar: int = 0
    #: Rows decided (or rejected) by per-record ``decide``.
    per_record: int = 0
    notes: tuple[str, ...] = ()

    def __add__(self, other: TableDecisions) -> TableDecisions:
        return TableDecisions(
            pa.concat_tables([self.decisions, other.decisions]),
            pa.concat_tables([self.errors, other.errors]), self.rows + other.rows,
            self.columnar + other.columnar, self.per_record + other.per_record,
            tuple(dict.fromkeys((*self.notes, *other.notes))))


# -- the plan: what to evaluate, and whether the backend can -------------------------------


@dataclass
class Plan:
    graph: RuleGraph
    dependent: set[str]
    outputs: tuple[str, ...]
    criteria: tuple[str, ...]
    #: How many loops a row's lists may be walked by (for the evaluation budget).
    walks: int
    #: Why the policy is decided per record (None: it is not).
    unsupported: str | None = None
    #: Per requested list of values: why they are not columnar (None: they are).
    values: dict[tuple[str, ...], str | None] = field(default_factory=dict)
    #: The parts of a decision per (date, supplier state, outputs, order): None where the
    #: per-record decision did not confirm the outputs (those rows go per record).
    parts: dict[Any, Any] = field(default_factory=dict)
    #: With a date per row: the nodes that depend on the facts or the date, and why the
    #: policy (with each requested list of values) has no columnar form then (None: it
    #: has), made when first needed.
    by_day: set[str] | None = None
    by_day_support: dict[tuple[str, ...], str | None] = field(default_factory=dict)

    def day_dependent(self) -> set[str]:
        if self.by_day is None:
            self.by_day = fact_dependent(self.graph, by_day=True)
        return self.by_day

    def spans_by_day(self) -> bool:
        """Whether a package's span of weekly hours depends on the date (a dated
        parameter): then an ordered package's status does, and the parts of a decision
        differ by date. Nothing else of them does: without an order they follow from the
        outputs alone (``Policy.decide`` shares them across dates), and a supplier chosen
        from the facts is each row's own."""
        day = self.day_dependent()
        return any(p.span is not None and (p.span[0] in day or p.span[1] in day)
                   for p in self.graph.packages.values())


_PLANS: weakref.WeakKeyDictionary[Any, Plan] = weakref.WeakKeyDictionary()


def _plan(policy: PolicyLike) -> Plan:
    plan = _PLANS.get(policy)
    if plan is None:
        graph = policy.graph
        criteria = tuple(c for g in graph.target_groups.values() for c in g.criteria)
        walks = sum(1 for _, sub in graph.walk() if isinstance(sub, I.Loop))
        plan = Plan(graph, fact_dependent(graph), graph.outputs, criteria, max(walks, 1))
        plan.unsupported = _check_support(policy, plan)
        _PLANS[policy] = plan
    return plan


def _check_support(policy: PolicyLike, plan: Plan, names: Sequence[str] = (),
                   by_day: bool = False) -> str | None:
    """Evaluate the policy on an empty batch of the canonical schema: a part with no
    columnar form raises :class:`Unsupported` there; ``by_day``: with each row on a date
    of its own (``today`` a column)."""
    try:
        schema = fact_schema(policy.graph)
    except Unsupported as error:
        return str(error)
    empty = pa.table({name: pa.array([], type=t) for name, t in
                      zip(schema.names, schema.types, strict=True)})
    facts, _ = read_facts(policy.graph, empty, policy.currency)
    on = policy.graph.header.valid.from_
    batch = Batch(policy.graph, facts, 0, on, policy.month_end,
                  plan.day_dependent() if by_day else plan.dependent, np.zeros(0, dtype=bool),
                  np.zeros(0, dtype=np.int64) if by_day else None)
    try:
        for name in (*plan.outputs, *plan.criteria, *names):
            value = batch.value(name)
            if name in names:
                _arrow_of(policy.graph.nodes[name].type)
                if isinstance(value, Col) and not isinstance(value, (Bools, Num, Dates, Cats)):
                    raise Unsupported(f"a value of type {policy.graph.nodes[name].type}")
    except Unsupported as error:
        return str(error)
    except AllUnsure:
        return None
    return None


def _day_support(policy: PolicyLike, values: tuple[str, ...]) -> str | None:
    """None if the columnar backend evaluates ``policy`` (and ``values``) with each row
    on a date of its own in one run; else why not."""
    plan = _plan(policy)
    if plan.unsupported is not None:
        return plan.unsupported
    if values not in plan.by_day_support:
        plan.by_day_support[values] = _check_support(policy, plan, values, by_day=True)
    return plan.by_day_support[values]


def support(policy: PolicyLike) -> str | None:
    """None if the columnar backend evaluates every output of ``policy``; else why not
    (``decide_table`` then decides every row per record, with a
    :class:`ColumnarFallback` warning)."""
    return _plan(policy).unsupported


# -- the canonical Arrow schema of a policy's facts --------------------------------------


_DECIMAL = pa.decimal128(38, 18)
#: The Arrow type of a value of each kind of fact but records and lists (values/fact_kinds.py).
_ARROW: dict[FactKind, pa.DataType] = {
    fact_kinds.BOOL: pa.bool_(), fact_kinds.INT: pa.int64(), fact_kinds.DECIMAL: _DECIMAL,
    fact_kinds.HOURS: _DECIMAL, fact_kinds.MONEY: _DECIMAL, fact_kinds.DATE: pa.date32(),
    fact_kinds.TEXT: pa.string(), fact_kinds.ENUM: pa.string(),
    fact_kinds.PERIOD: pa.struct([("from", pa.date32()), ("to", pa.date32())]),
    fact_kinds.DURATION: pa.string(),  # "4 months", as decide reads it
}
#: The kinds whose Arrow form is not their canonical value (see ``arrow_value``).
_CONVERTED = (fact_kinds.MONEY, fact_kinds.PERIOD, fact_kinds.DURATION)
#: The bounds of periods and history records are read as date facts.
_DATE_SPEC = FactSpec(type=fact_kinds.DATE.name)


def arrow_type(spec: FactSpec, currency: str) -> pa.DataType:
    kind = spec.kind
    if not kind.container:
        return _ARROW[kind]
    fields = [(name, arrow_type(f, currency)) for name, f in (spec.fields or {}).items()]
    if kind.periodic:
        fields += [("from", pa.date32()), ("to", pa.date32())]
    return pa.list_(pa.struct(fields)) if kind.many else pa.struct(fields)


def fact_schema(graph: RuleGraph) -> pa.Schema:
    """The Arrow schema ``decide_table`` reads a policy's facts in best (decimals as
    ``decimal128(38, 18)``; narrower decimals and integers are read too)."""
    currency = graph.header.currency
    return pa.schema([(name, arrow_type(fact.spec, currency))
                      for name, fact in graph.facts.items()])


def text_dates(schema: pa.Schema) -> pa.Schema:
    """``schema`` with ISO text (``string``) for every date, in records, lists, histories
    and periods too: the form a JSON reader gives them in (``decide_table`` reads it as
    ``decide`` reads a date given as text)."""
    return pa.schema([(f.name, _text_date(f.type)) for f in schema])


def _text_date(kind: pa.DataType) -> pa.DataType:
    if kind == pa.date32():
        return pa.string()
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _text_date(f.type)) for f in kind])
    if pa.types.is_list(kind):
        return pa.list_(_text_date(kind.value_type))
    return kind


# -- reading the facts: columns, and the rows whose facts decide() may reject ----------


def _none(n: int) -> BoolArray:
    return np.zeros(n, dtype=bool)


def _all(n: int) -> BoolArray:
    return np.ones(n, dtype=bool)


def _nulls(arr: pa.Array) -> BoolArray:
    if arr.null_count == 0:
        return _none(len(arr))
    return np.asarray(arr.is_null(), dtype=bool)


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _bits(arr: pa.Array) -> BoolArray:
    """A boolean array without nulls as numpy bools, unpacked from its bitmap."""
    n, start = len(arr), arr.offset
    if n == 0:
        return _none(0)
    packed = np.frombuffer(arr.buffers()[1], dtype=np.uint8)
    out: BoolArray = np.unpackbits(packed, count=start + n, bitorder="little")[start:].view(bool)
    return out


def _codes(spec: FactSpec, arr: pa.Array, level: int) -> Cats | None:
    """A dictionary-encoded text column whose words are distinct (and, for a choice, all
    among its values) as codes into its own words, the indices read without a copy when
    there are no nulls (a null is -1: a missing value); None for any other (it is then
    remapped)."""
    indices = arr.indices
    if indices.type != pa.int32() or len(indices) == 0:
        return None
    words = values_of(arr.dictionary)
    if len(set(words)) != len(words) or None in words or not all(map(valid_text, words)) or (
            spec.kind.choice and not set(words) <= set(spec.values or ())):
        return None
    if indices.null_count:
        codes = np.asarray(_numbers(indices, -1), dtype=np.int32)
    else:
        codes = np.frombuffer(indices.buffers()[1], dtype=np.int32)[
            indices.offset: indices.offset + len(indices)]
    if int(codes.min()) < (-1 if indices.null_count else 0) or int(codes.max()) >= len(words):
        return None
    return Cats(level, codes, tuple(words))


def _dictionary(spec: FactSpec, arr: pa.Array, level: int) -> tuple[Any, BoolArray]:
    """A dictionary-encoded text column: the codes of its (few) values, taken per row."""
    fast = _codes(spec, arr, level)
    if fast is not None:
        return fast, _nulls(arr)
    bad = _nulls(arr)
    words = arr.dictionary
    if spec.kind.choice:
        values = tuple(spec.values or ())
        mapping = pc.index_in(words, value_set=pa.array(values, type=words.type))
    else:
        # a dictionary may hold a word twice (Arrow does not forbid it): each row's code is
        # its word's first place, so equal words are one value (`in`, `==`); a null word
        # is a missing value
        listed = values_of(words)  # a word that is not UTF-8 is not one: per record
        values = tuple(dict.fromkeys(w for w in listed if w is not None and valid_text(w)))
        place = {w: i for i, w in enumerate(values)}
        mapping = pa.array([place.get(w, -1) if w is not None else -1 for w in listed],
                           type=pa.int32())
    table = np.asarray(mapping.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32)
    indices = arr.indices
    index = np.asarray(indices.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64) \
        if indices.null_count else np.asarray(indices.to_numpy(zero_copy_only=False),
                                              dtype=np.int64)
    c = table[index] if len(table) else np.full(len(arr), -1, dtype=np.int32)
    return Cats(level, c, values), bad | (c < 0)


def _numbers(arr: pa.Array, fill: Any) -> Any:
    """An Arrow array as numpy, nulls as ``fill`` (no copy when there are none)."""
    if arr.null_count:
        arr = arr.fill_null(fill)
    return arr.to_numpy(zero_copy_only=False)


def _integers(arr: pa.Array) -> tuple[Any, BoolArray]:
    n = len(arr)
    if pa.types.is_unsigned_integer(arr.type):
        values = np.asarray(_numbers(arr, 0), dtype=np.uint64)
        big = values > np.uint64(2**62)
        return np.where(big, 0, values).astype(np.int64), big
    return np.asarray(_numbers(arr, 0), dtype=np.int64), _none(n)


def _beyond(units: Any, limit: int) -> BoolArray:
    """Where ``|units| >= limit`` (none, without a pass per row, when the smallest and the
    largest are inside)."""
    if len(units) == 0 or (-limit < int(units.min()) and int(units.max()) < limit):
        return _none(len(units))
    out: BoolArray = np.abs(units) >= limit
    return out


_M32 = np.uint64(0xFFFFFFFF)
_E9 = np.uint64(10**9)


def _limbs(arr: pa.Array) -> tuple[list[Any], BoolArray]:
    """The magnitudes of a decimal128 array's unscaled values as four 32-bit limbs (most
    significant first, uint64), and which values are negative."""
    n = len(arr)
    raw = np.frombuffer(arr.buffers()[1], dtype=np.uint64)[2 * arr.offset: 2 * (arr.offset + n)]
    raw = raw.reshape(n, 2)
    low, high = raw[:, 0].copy(), raw[:, 1].copy()
    negative = (high >> np.uint64(63)).astype(bool)
    if negative.any():  # two's complement: invert and add one
        nl = ~low + np.uint64(1)
        nh = ~high + (nl == 0).astype(np.uint64)
        low = np.where(negative, nl, low)
        high = np.where(negative, nh, high)
    return [high >> np.uint64(32), high & _M32, low >> np.uint64(32), low & _M32], negative


def _divmod(limbs: list[Any], divisor: int) -> tuple[list[Any], Any]:
    """Long division of 128-bit magnitudes by a divisor below 2^32."""
    d = np.uint64(divisor)
    rest = np.zeros_like(limbs[0])
    out = []
    for limb in limbs:
        current = (rest << np.uint64(32)) | limb
        quotient = current // d
        out.append(quotient)
        rest = current - quotient * d
    return out, rest


def _most_zeros(rest: Any, most: int) -> int:
    """The most trailing decimal zeros (up to ``most``) that every value of ``rest`` has."""
    for zeros in range(most, 0, -1):
        if not (rest % np.uint64(10**zeros)).any():
            return zeros
    return 0


def _narrowed(arr: pa.Array) -> tuple[pa.Array | None, BoolArray]:
    """A decimal column of another width or of more than 18 places (``decimal256``, as a
    table is built for values of more places) as ``decimal128`` of at most 18 places,
    and the rows whose value it cannot hold exactly (more places, or too large): those
    go per record, the others stay on the columns. None: Arrow cannot cast it."""
    kind = arr.type
    target = pa.decimal128(38, min(kind.scale, MAX_PLACES))
    try:
        return arr.cast(target, safe=True), _none(len(arr))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    try:  # some values do not fit: each is kept exactly or not (a wrong value: not)
        narrowed = arr.cast(target, safe=False)
        kept = pc.equal(narrowed.cast(kind), arr).fill_null(True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None, _all(len(arr))
    keep = np.asarray(kept.to_numpy(zero_copy_only=False), dtype=bool)
    # a value not kept is 0 here (its row goes per record): its digits would make the
    # places of every other value (``_decimal_units``: the fewest that hold them all)
    return pc.if_else(pa.array(keep), narrowed, pa.scalar(Decimal(0), target)), ~keep


#: The places tried for a decimal column when some of its values do not fit 64 bits at
#: the places its finest value needs (see :func:`_fewest_per_record`).
_FEWER_PLACES = (9, 6, 4, 2, 0)


def _fewest_per_record(arr: pa.Array) -> tuple[Any, int, BoolArray]:
    """:func:`_decimal_units` of a decimal128 column, and, when some values do not fit 64
    bits at the places the finest value needs (one value of 18 places, such as hours
    worked out as 37/3, puts the column at 18, where 9.23 no longer fits), the fewer
    places that leave the fewest rows per record: the values finer than those go per
    record (their rows marked), the rest stay on the columns."""
    units, scale, big = _decimal_units(arr, arr.type.scale)
    if not big.any() or scale == 0:
        return units, scale, big
    best = (int(big.sum()), units, scale, big)
    zero = pa.scalar(Decimal(0), arr.type)
    for places in _FEWER_PLACES:
        if places >= scale:
            continue
        finer = pc.invert(pc.equal(pc.round(arr, ndigits=places), arr)).fill_null(False)
        fine = np.asarray(finer.to_numpy(zero_copy_only=False), dtype=bool)
        u, sc, b = _decimal_units(pc.if_else(finer, zero, arr), arr.type.scale)
        b = b | fine
        if int(b.sum()) < best[0]:
            best = (int(b.sum()), u, sc, b)
    return best[1], best[2], best[3]


def _decimal_units(arr: pa.Array, scale: int) -> tuple[Any, int, BoolArray]:
    """The values of a decimal128 array (at ``scale``) as int64 units at the fewest places
    that hold every value exactly; and where a value does not fit 64 bits there (such rows
    go per record). Whole hours in a decimal128(38, 18) become units of one hour."""
    n = len(arr)
    if arr.type.precision <= 18:  # every value fits 64 bits at its own scale ...
        raw = np.frombuffer(arr.buffers()[1], dtype=np.int64)[2 * arr.offset:
                                                               2 * (arr.offset + n)]
        # ... unless the column holds more digits than its type says (an unsafe cast)
        if (raw[1::2] == raw[0::2] >> 63).all():
            return raw[0::2].copy(), scale, _none(n)
    limbs, negative = _limbs(arr)
    valid = ~_nulls(arr)
    below, rest = _divmod(limbs, 10**9)  # the value // 10^9, and its last nine digits
    if scale >= 9 and not rest[valid].any():
        higher, rest2 = _divmod(below, 10**9)
        more = _most_zeros(rest2[valid], min(9, scale - 9))
        drop = 9 + more
        shifted = below if more == 0 else higher if more == 9 else \
            _divmod(below, 10**more)[0]
    else:
        drop = _most_zeros(rest[valid], min(9, scale))
        shifted = limbs if drop == 0 else below if drop == 9 else _divmod(limbs, 10**drop)[0]
    big = (shifted[0] != 0) | (shifted[1] != 0) | (shifted[2] >= np.uint64(2**31))
    magnitude = ((shifted[2] << np.uint64(32)) | shifted[3]).astype(np.int64)
    units = np.where(big, 0, np.where(negative, -magnitude, magnitude))
    return units, scale - drop, big & valid


def read_value(spec: FactSpec, arr: pa.Array, level: int, currency: str, path: str = "",
               bounds: Mapping[str, Any] | None = None) -> tuple[Any, BoolArray]:
    """A fact's column (of ``level``) and the items ``decide`` might reject (a null, a
    value outside the input limits or outside the fact's range, a wrong type): those rows
    go per record. ``path`` is the dotted name of the fact (``offers.weekly_hours``), by
    which ``bounds`` (``graph.fact_bounds``) gives its range."""
    value, bad = _read_value(spec, arr, level, currency, path, bounds or {})
    found = (bounds or {}).get(path)
    if found is not None and (found.minimum is not None or found.maximum is not None):
        bad = bad | _out_of_range(value, found.minimum, found.maximum)
    return value, bad


def _out_of_range(value: Any, low: Any, high: Any) -> BoolArray:
    """Where a column lies outside [low, high] (either may be None)."""
    from udbudsregler.columnar.kernels import _compare_constant

    n = len(value.u) if isinstance(value, Num) else len(value.o) if isinstance(
        value, Dates) else 0
    out = np.zeros(n, dtype=bool)
    for bound, op in ((low, "lt"), (high, "gt")):
        if bound is None:
            continue
        if isinstance(value, Num):
            number = bound.amount if isinstance(bound, Money) else bound
            out |= _compare_constant(op, value, number, False, n)
        elif isinstance(value, Dates):
            limit = bound.toordinal()
            out |= (value.o < limit) if op == "lt" else (value.o > limit)
        else:  # a range on a kind the reader does not hold as numbers or dates
            out[:] = True
    return out


def _read_value(spec: FactSpec, arr: pa.Array, level: int, currency: str, path: str,
                bounds: Mapping[str, Any]) -> tuple[Any, BoolArray]:
    n = len(arr)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    t = spec.kind
    words = t is fact_kinds.TEXT or t.choice  # held as codes of their words
    if pa.types.is_dictionary(arr.type):
        if words and _is_text(arr.type.value_type):
            return _dictionary(spec, arr, level)
        arr = arr.cast(arr.type.value_type)
    bad = _nulls(arr)
    kind = arr.type
    if t is fact_kinds.BOOL:
        if kind != pa.bool_():
            return Bools(level, _none(n)), _all(n)
        if not arr.null_count:
            return Bools(level, _bits(arr)), bad
        return Bools(level, np.asarray(_numbers(arr, False), dtype=bool)), bad
    if t is fact_kinds.INT:
        if not pa.types.is_integer(kind):
            return Num(level, np.zeros(n, dtype=np.int64)), _all(n)
        units, big = _integers(arr)
        return Num(level, units), bad | big | _beyond(units, NUMBER_LIMIT)
    if t.number:  # the other numbers (an int is above): held as Decimal (or Money)
        money = currency if t is fact_kinds.MONEY else None
        if pa.types.is_integer(kind):
            units, big = _integers(arr)
            scale = 0
        elif pa.types.is_decimal(kind) and kind.scale >= 0:
            if kind.byte_width != 16 or kind.scale > MAX_PLACES:
                narrowed, lost = _narrowed(arr)
                if narrowed is None:
                    return Num(level, np.zeros(n, dtype=np.int64), 0, money), _all(n)
                arr, bad = narrowed, bad | lost
            units, scale, big = _fewest_per_record(arr)
            if scale > 18:  # finer than the input limits allow, or too many places
                return Num(level, np.zeros(n, dtype=np.int64), 0, money), _all(n)
            if kind.scale > MAX_PLACES:  # a zero of more places than decide takes
                big = big | ((units == 0) & ~bad)
        else:
            return Num(level, np.zeros(n, dtype=np.int64), 0, money), _all(n)
        bad = bad | big
        if scale == 0:
            bad |= _beyond(units, NUMBER_LIMIT)
        if t is fact_kinds.HOURS:
            bad |= units < 0
        return Num(level, np.where(bad, 0, units), scale, money), bad
    if t is fact_kinds.DATE:
        if _is_text(kind):  # ISO text, as decide reads a date given as text
            o, wrong = _iso_dates(arr)
            return Dates(level, o), bad | wrong
        if kind == pa.date64():
            arr = arr.cast(pa.date32())
        elif kind != pa.date32():
            return Dates(level, np.full(n, _LO, dtype=np.int64)), _all(n)
        o = np.asarray(_numbers(arr.cast(pa.int32()), _LO - EPOCH), dtype=np.int64) + EPOCH
        bad |= (o < _LO) | (o > _HI)
        return Dates(level, o), bad
    if words:
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            return Cats(level, np.full(n, -1, dtype=np.int32), ()), _all(n)
        if not t.choice:  # a text: the codes of its own words, as a dictionary column's
            return _dictionary(spec, arr.dictionary_encode(), level)
        values = tuple(spec.values or ())
        codes = pc.index_in(arr, value_set=pa.array(values, type=kind))
        c = np.asarray(_numbers(codes, -1), dtype=np.int32)
        return Cats(level, c, values), bad | (c < 0)
    if t is fact_kinds.PERIOD:
        if not _struct_with(kind, {"from", "to"}):
            return Pers(level, np.full(n, _LO), np.full(n, _LO)), _all(n)
        start, b1 = read_value(_DATE_SPEC, pc.struct_field(arr, "from"), level,
                               currency)
        end, open_end, b2 = _end(pc.struct_field(arr, "to"), level, currency)
        e = np.where(open_end, OPEN, end.o)
        return Pers(level, start.o, e), bad | b1 | b2 | (e < start.o)
    if t is fact_kinds.DURATION:
        # text as decide reads it (`4 months`, `2 weeks`); another form is not columnar
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            return Opaque(level, "a duration"), _all(n)
        # at most 3 digits: inside the input limits (1000 years) whatever the unit; a
        # text that does not match (more digits, another spelling) is read per record
        parts = pc.extract_regex(
            arr, r"^\s*(?P<n>[0-9]{1,3})\s+(?P<unit>[ymwd])(?:ears?|onths?|eeks?|ays?)\s*$")
        ok = np.asarray(pc.is_valid(parts), dtype=bool)
        ok &= np.asarray(pc.match_substring_regex(
            arr, r"^\s*[0-9]{1,3}\s+(years?|months?|weeks?|days?)\s*$").fill_null(False),
            dtype=bool)
        bad |= ~ok
        count = np.asarray(_numbers(pc.cast(pc.struct_field(parts, "n").fill_null("0"),
                                            pa.int64()), 0), dtype=np.int64)
        unit = np.asarray(pc.struct_field(parts, "unit").fill_null("d"), dtype=object)
        count = np.where(ok, count, 0)
        months = np.where(unit == "y", 12 * count, np.where(unit == "m", count, 0))
        days = np.where(unit == "w", 7 * count, np.where(unit == "d", count, 0))
        return Durs(level, months.astype(np.int64), days.astype(np.int64)), bad
    assert t.container, t
    fields = spec.fields or {}
    if not t.many:  # a record
        if not _struct_with(kind, set(fields)):
            return _unread(spec, n, level, currency), _all(n)
        rec: dict[str, Any] = {}
        for name, sub in fields.items():
            rec[name], b = read_value(sub, pc.struct_field(arr, name), level, currency,
                                      f"{path}.{name}", bounds)
            bad |= b
        return Rec(level, rec), bad
    # a list or a history: the records one level down
    history = t.periodic
    names = set(fields) | ({"from", "to"} if history else set())
    if not ((pa.types.is_list(kind) or pa.types.is_large_list(kind))
            and _struct_with(kind.value_type, names)):
        return _unread(spec, n, level, currency), _all(n)
    items = arr.flatten()
    offsets = _offsets(arr)
    parent = None if offsets is not None else np.asarray(
        pc.list_parent_indices(arr).to_numpy(zero_copy_only=False), dtype=np.int64)
    inner = _nulls(items)
    rec = {}
    for name, sub in fields.items():
        rec[name], b = read_value(sub, pc.struct_field(items, name), level + 1, currency,
                                  f"{path}.{name}", bounds)
        inner |= b
    if history:
        start, b1 = read_value(_DATE_SPEC, pc.struct_field(items, "from"),
                               level + 1, currency)
        end, open_end, b2 = _end(pc.struct_field(items, "to"), level + 1, currency)
        e = np.where(open_end, OPEN, end.o)
        inner |= b1 | b2 | (e < start.o)
        if spec.open_ended is False:
            inner |= open_end
        rec["from"], rec["to"] = start, Dates(level + 1, e)
    out = Lst(level, n, parent, Rec(level + 1, rec, history), offsets)
    if inner.any():
        bad[out.parent[inner]] = True
    return out, bad


def _unread(spec: FactSpec, n: int, level: int, currency: str) -> Any:
    """The column of a record or list fact whose Arrow type is not its own (a field
    missing or extra): every row goes per record, and the column is read as all null, so
    that it has each field the expressions read (with no rows of its own)."""
    value, _ = _read_value(spec, pa.nulls(n, arrow_type(spec, currency)), level, currency,
                           "", {})
    return value


def _end(arr: pa.Array, level: int, currency: str) -> tuple[Dates, BoolArray, BoolArray]:
    """The ``to`` of periods (or of a history's records): the dates, where it is null (an
    open end), and where it is not a date ``decide`` accepts (a null is not among them)."""
    open_end = _nulls(arr)
    end, wrong = read_value(_DATE_SPEC, arr, level, currency)
    return end, open_end, wrong & ~open_end


#: Days before each month of a year that is not a leap year (index 1-12).
_BEFORE_MONTH = np.array([0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334],
                         dtype=np.int64)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
#: Where ``YYYY-MM-DD`` has digits.
_DIGITS = np.array([0, 1, 2, 3, 5, 6, 8, 9])


def _iso_dates(arr: pa.Array) -> tuple[IntArray, BoolArray]:
    """A text column of dates as ``decide`` reads a date given as text (``as_date``: strict
    ``YYYY-MM-DD``, a real calendar date, in the years of the input limits) as ordinals;
    and the rows whose text is not such a date (a null too): those rows go per record,
    where ``decide`` gives the exact error."""
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=np.int64), _none(0)
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    null = _nulls(arr)
    if arr.null_count:  # (a null `to` is an open end: the caller says which are allowed)
        arr = arr.fill_null("2000-01-01")
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset: arr.offset + n + 1]
    ten = np.diff(offsets) == 10
    if not ten.all():  # the others replaced (they are counted as wrong below)
        arr = pc.if_else(pa.array(ten), arr, pa.scalar("0000-00-00"))
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[
            arr.offset: arr.offset + n + 1]
    # every value ten bytes long: one contiguous block, read as a (rows, 10) array
    first = int(offsets[0])
    raw = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[first: first + 10 * n].reshape(n, 10)
    digit = raw - np.uint8(ord("0"))  # a digit's value; anything else 10 or more (wraps)
    ok = ten & (raw[:, 4] == ord("-")) & (raw[:, 7] == ord("-")) & \
        (digit[:, _DIGITS] < 10).all(axis=1)
    if ok.all():  # Arrow reads YYYY-MM-DD, and refuses a day that is not in the calendar
        try:
            o = np.asarray(arr.cast(pa.date32()).cast(pa.int32()), dtype=np.int64) + EPOCH
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        else:
            ok = (o >= _LO) & (o <= _HI) & ~null
            return np.where(ok, o, _LO), ~ok
    ok &= ~null
    d = digit.astype(np.int64)
    y = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    m = d[:, 5] * 10 + d[:, 6]
    day = d[:, 8] * 10 + d[:, 9]
    ok &= (m >= 1) & (m <= 12) & (y >= 1)
    month = np.where(ok, m, 1)
    year = np.where(ok, y, 1)
    leap = is_leap(year)
    ok &= (day >= 1) & (day <= _MONTH_DAYS[month] + (leap & (month == 2)))
    last = year - 1
    o = last * 365 + last // 4 - last // 100 + last // 400 + _BEFORE_MONTH[month] + \
        (leap & (month > 2)) + day  # date(year, month, day).toordinal()
    ok &= (o >= _LO) & (o <= _HI)
    return np.where(ok, o, _LO), ~ok


def _offsets(arr: pa.Array) -> IntArray | None:
    """Where each row's items start in ``arr.flatten()``, from the offsets buffer (no
    copy); None if the list column has nulls (``flatten`` skips their items)."""
    if arr.null_count:
        return None
    width = np.int64 if pa.types.is_large_list(arr.type) else np.int32
    raw = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset: arr.offset + len(arr) + 1]
    out: IntArray = raw.astype(np.int64) - raw[0] if len(raw) else np.zeros(1, dtype=np.int64)
    return out


def _struct_with(kind: pa.DataType, names: set[str]) -> bool:
    if not pa.types.is_struct(kind):
        return False
    own = [kind.field(i).name for i in range(kind.num_fields)]
    return len(own) == len(set(own)) and set(own) == names


def read_facts(graph: RuleGraph, table: pa.Table, currency: str,
               skip: Iterable[str] = ()) -> tuple[dict[str, Any], BoolArray]:
    """The fact columns of ``table``, and the rows to decide per record."""
    n = table.num_rows
    unsure = _none(n)
    facts: dict[str, Any] = {}
    present = set(table.column_names) - set(skip)
    if present - set(graph.facts):
        unsure[:] = True  # decide() rejects a fact the policy does not declare: every row
    for name, fact in graph.facts.items():
        if name not in present:
            facts[name], _ = read_value(fact.spec, pa.nulls(n, arrow_type(fact.spec, currency)),
                                        0, currency)
            unsure[:] = True
            continue
        facts[name], bad = read_value(fact.spec, table.column(name), 0, currency, name,
                                      graph.fact_bounds)
        unsure |= bad
    return facts, unsure


# -- inputs ----------------------------------------------------------------------------


def to_arrow(table: Any, what: str = "decide_table") -> pa.Table:
    """An Arrow table from a pyarrow Table or RecordBatch, a Polars or pandas DataFrame, or
    anything with the Arrow C stream interface (``what``: the function it is for, named
    in the errors: a ``TypeError`` for anything else, such as a Series, a column or a
    Polars LazyFrame; a ``ValueError`` for a DataFrame Arrow cannot read, such as a
    column of texts and numbers mixed, naming the column)."""
    if isinstance(table, pa.Table):
        return table
    if isinstance(table, pa.RecordBatch):
        return pa.Table.from_batches([table])
    kind = type(table).__name__
    if isinstance(table, (pa.Array, pa.ChunkedArray)) or (
            kind in _NOT_TABLES and type(table).__module__.startswith(("pandas", "polars"))):
        raise TypeError(f"{what} needs an Arrow table or a DataFrame, not {kind}"
                        f"{_NOT_TABLES.get(kind, '')}")
    try:
        # pandas first: its Arrow C stream (pandas 2.2 and later) writes an index of the
        # frame's own (not 0, 1, 2, ...) as a column `__index_level_0__`, which would be
        # read as a fact the policy does not declare; the index is not the citizen's
        if type(table).__module__.startswith("pandas"):
            return _from_pandas(table, what)
        to = getattr(table, "to_arrow", None)
        if callable(to):  # Polars
            _check_polars_objects(table, what)
            out = to()
            return out if isinstance(out, pa.Table) else pa.table(out)
        if hasattr(table, "__arrow_c_stream__"):
            return pa.table(table)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError,
            UnicodeError) as error:
        raise ValueError(f"{what}: the {kind} cannot be read as an Arrow "
                         f"table ({shown(str(error), 200)})") from None
    raise TypeError(f"{what} needs an Arrow table or a DataFrame, not {kind}")


#: What to do instead, for an object of pandas or Polars that is not a table.
_NOT_TABLES = {"Series": " (a single column: give series.to_frame())",
               "LazyFrame": " (a query not yet run: give frame.collect())"}


def _from_pandas(frame: Any, what: str) -> pa.Table:
    """A pandas DataFrame as Arrow, without its index. Two columns of one name are a
    ``ValueError`` naming it (as for an Arrow table); a column Arrow cannot read raises
    Arrow's error, or, where Arrow raises a bare ``TypeError`` (a ``Decimal("Infinity")``
    in a column of decimals), a ``ValueError`` naming the column."""
    twice = frame.columns[frame.columns.duplicated()]
    if len(twice):
        raise ValueError(f"{what}: the {type(frame).__name__} has two columns named "
                         f"`{shown(str(twice[0]))}` (give each column its own name)")
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except TypeError as error:
        for i, name in enumerate(frame.columns):
            try:
                pa.Table.from_pandas(frame.iloc[:, [i]], preserve_index=False)
            except TypeError:
                raise ValueError(f"{what}: the {type(frame).__name__} cannot be read as an "
                                 f"Arrow table (its column `{shown(str(name))}`: "
                                 f"{shown(str(error), 200)})") from None
        raise


def _check_polars_objects(frame: Any, what: str) -> None:
    """A ``ValueError`` naming a column of Python objects (Polars' ``Object``) of a Polars
    frame: Polars gives Arrow such a column as the objects' addresses in memory (8 bytes
    each), not their values."""
    schema = getattr(frame, "schema", None)
    if not type(frame).__module__.startswith("polars") or schema is None:
        return
    import polars as pl

    for name, dtype in schema.items():
        if dtype == pl.Object:
            raise ValueError(
                f"{what}: the column `{shown(str(name))}` of the {type(frame).__name__} "
                "holds Python objects (Polars' Object type), which Arrow cannot read: "
                "give it a Polars type (a date, a decimal, text), or give the rows as "
                "dicts (frame.to_dicts())")
        if "Int128" in str(dtype):  # (UInt128 too, and inside lists and records)
            raise ValueError(
                f"{what}: the column `{shown(str(name))}` of the {type(frame).__name__} "
                f"holds 128-bit whole numbers ({shown(str(dtype), 60)}), which Arrow "
                "cannot read: cast them to Int64 (a whole number of a policy is at most "
                "64 bits), or to a Decimal")


def rows_of(table: pa.Table) -> list[dict[str, Any]]:
    """The rows of ``table`` as dicts (``to_pylist``), for a per-record ``decide`` or
    ``settle``, also where Python cannot hold a value as Arrow gives it: see
    :func:`values_of`. A decimal is in its shortest form (:func:`_shortest`), as the host
    wrote it: ``decide`` and ``settle`` give the same messages for it. A map is a dict,
    as Spark's rows give it (a map holding a key twice: its list of key-value pairs, as
    ``to_pylist`` gives it, which ``decide`` refuses). Read a column at a time: only the
    parts of a column that hold decimals are walked to shorten them."""
    names = table.column_names
    columns = [_column_values(column) for column in table.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _column_values(column: pa.ChunkedArray) -> list[Any]:
    """A column's values as :func:`rows_of` gives them."""
    kind = column.type
    fast = [_python_values(canonical_array(chunk)) for chunk in column.chunks]
    if all(values is not None for values in fast):
        return [v for values in fast for v in values]  # type: ignore[union-attr]
    try:
        if _holds_maps(kind):
            try:
                values: list[Any] = column.to_pylist(maps_as_pydicts="strict")
            except KeyError:  # a key twice: that value's maps as pairs, the others as dicts
                values = [v for i in range(len(column))
                          for v in _map_values(column.slice(i, 1))]
        else:
            values = column.to_pylist()
    except (OverflowError, ValueError, KeyError):  # (KeyError: a time zone Python lacks)
        values = values_of(column)
    shorten = _shortener(kind)
    return values if shorten is None else list(map(shorten, values))


#: A decimal's trailing zeros, and the point they leave (Arrow writes a decimal of a
#: scale above 0 with all its places: ``38.000000000000000000``).
_TRAILING_ZEROS = r"\.?0+$"


def _python_values(arr: pa.Array) -> list[Any] | None:
    """``arr.to_pylist()`` with each decimal of at most 18 places in its shortest form
    (:func:`_shortest`), the common types read faster than Arrow's own conversion (dates
    from their day numbers, each distinct day made once; records and lists from their
    children's values): a row of Slagelse's histories in 6-8 µs, not 16-22. ``arr`` is in
    the forms the columns read (:func:`canonical_array`); a date beyond Python's calendar
    as :func:`values_of` gives it. None for a type or a value read otherwise (maps,
    dictionaries, text that is not UTF-8): :func:`_column_values` reads those as
    before."""
    kind = arr.type
    if pa.types.is_boolean(kind) or pa.types.is_integer(kind):
        return arr.to_pylist()  # type: ignore[no-any-return]
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        try:
            return arr.to_pylist()  # type: ignore[no-any-return]
        except ValueError:  # not UTF-8
            return None
    if pa.types.is_date32(kind):
        return _dates(arr)
    if pa.types.is_decimal128(kind) and 0 < kind.scale <= MAX_PLACES:
        texts = pc.replace_substring_regex(arr.cast(pa.string()), pattern=_TRAILING_ZEROS,
                                           replacement="").to_pylist()
        # (Arrow writes some in exponent form, 0E-18: those the long way)
        return [None if t is None else _shortest(Decimal(t)) if "E" in t else Decimal(t)
                for t in texts]
    if pa.types.is_struct(kind):
        fields = [_python_values(child) for child in arr.flatten()]
        if any(f is None for f in fields):
            return None
        names = [f.name for f in kind]
        records = [dict(zip(names, row, strict=True)) for row in zip(*fields, strict=True)
                   ] if fields else [{} for _ in range(len(arr))]
        return _with_nulls(records, arr)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        offsets = np.asarray(arr.offsets.to_numpy(), dtype=np.int64)
        first = int(offsets[0]) if len(offsets) else 0
        items = _python_values(arr.values.slice(first, int(offsets[-1]) - first)
                               if len(offsets) else arr.values.slice(0, 0))
        if items is None:
            return None
        bounds = (offsets - first).tolist()
        return _with_nulls([items[a:b] for a, b in pairwise(bounds)], arr)
    return None


def _with_nulls(values: list[Any], arr: pa.Array) -> list[Any]:
    """``values`` (one per item of ``arr``) with None where ``arr`` holds a null."""
    if not arr.null_count:
        return values
    return [v if ok else None for v, ok in zip(values, arr.is_valid().to_pylist(),
                                               strict=True)]


def _map_values(value: pa.ChunkedArray) -> list[Any]:
    """One value of a column with maps, as :func:`rows_of` gives it."""
    try:
        return value.to_pylist(maps_as_pydicts="strict")  # type: ignore[no-any-return]
    except KeyError:
        return value.to_pylist()  # type: ignore[no-any-return]


def _shortener(kind: pa.DataType) -> Callable[[Any], Any] | None:
    """What gives each decimal held by a value of ``kind`` its shortest form (see
    :func:`_shortest`), walking only the fields and items that hold decimals; None for a
    type that holds none."""
    if pa.types.is_decimal(kind):
        return _shortest
    if pa.types.is_struct(kind):
        fields = [(f.name, _shortener(f.type)) for f in kind]
        shorten = [(name, f) for name, f in fields if f is not None]
        if not shorten:
            return None

        def record(value: Any) -> Any:
            if type(value) is dict:  # (a fresh dict of to_pylist's: changed in place)
                for name, f in shorten:
                    value[name] = f(value[name])
            return value
        return record
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(
            kind) or pa.types.is_list_view(kind) or pa.types.is_large_list_view(kind):
        item = _shortener(kind.value_type)
        if item is None:
            return None

        def items(value: Any) -> Any:
            return [item(v) for v in value] if type(value) is list else value
        return items
    return _shortest if _holds_decimals(kind) else None  # maps, dictionaries: every value


def _holds_maps(kind: pa.DataType) -> bool:
    """Whether values of ``kind`` are or hold maps."""
    if pa.types.is_map(kind):
        return True
    if pa.types.is_struct(kind):
        return any(_holds_maps(f.type) for f in kind)
    if pa.types.is_dictionary(kind):
        return False
    value = getattr(kind, "value_type", None)  # the lists' items
    return value is not None and _holds_maps(value)


#: The day numbers (days since 1970-01-01) of Python's first and last dates.
_FIRST_DAY = date.min.toordinal() - date(1970, 1, 1).toordinal()
_LAST_DAY = date.max.toordinal() - date(1970, 1, 1).toordinal()


def values_of(array: pa.Array | pa.ChunkedArray) -> list[Any]:
    """``array.to_pylist()``; where that fails, a date beyond Python's calendar (before
    year 1, after 9999) is a :class:`~udbudsregler.values.convert.FarDate`, which
    ``decide`` and ``settle`` refuse as outside the input limits (UDB603) as they would
    the date itself, naming it (a decision date too: never decided on 9999-12-31); a
    time beyond it, or in a time zone Python does not know, an
    :class:`~udbudsregler.values.convert.ArrowDatetime`, refused as any time of day is
    (UDB602); a duration or a time of day beyond Python's (which no fact takes) its
    largest; text that is not UTF-8 keeps its bad bytes as lone surrogates, which they
    refuse (UDB602), as ``decide --population`` reads such a line of a file."""
    if isinstance(array, pa.ChunkedArray):
        return [v for chunk in array.chunks for v in values_of(chunk)]
    try:
        return array.to_pylist()  # type: ignore[no-any-return]
    except (OverflowError, ValueError, KeyError) as error:  # (KeyError: a time zone)
        failed = error
    kind = array.type
    valid = array.is_valid().to_pylist()
    if pa.types.is_date(kind):  # a date64 as the day it falls on, as canonical_array
        return _dates(canonical_array(array))
    if pa.types.is_timestamp(kind):
        return _times(array)
    if pa.types.is_duration(kind) or pa.types.is_time(kind):
        largest = timedelta.max if pa.types.is_duration(kind) else time.max
        return [largest if value is None and ok else value
                for value, ok in zip(_each(array), valid, strict=True)]
    if pa.types.is_dictionary(kind):
        words = values_of(array.dictionary)
        return [None if i is None else words[i] for i in array.indices.to_pylist()]
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        binary = pa.binary() if pa.types.is_string(kind) else pa.large_binary()
        return [None if b is None else b.decode("utf-8", "surrogateescape")
                for b in array.cast(binary).to_pylist()]
    if pa.types.is_struct(kind):
        fields = [values_of(array.field(i)) for i in range(kind.num_fields)]
        names = [kind.field(i).name for i in range(kind.num_fields)]
        return [dict(zip(names, row, strict=True)) if ok else None
                for ok, row in zip(valid, zip(*fields, strict=True), strict=True)] \
            if fields else [{} if ok else None for ok in valid]
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        offsets = array.offsets.to_pylist()
        items = values_of(array.values)
        return [items[offsets[i]:offsets[i + 1]] if ok else None
                for i, ok in enumerate(valid)]
    raise failed  # another type: what to_pylist raised


def _dates(arr: pa.Array) -> list[date | None]:
    """A ``date32`` array's values, each distinct day made once; a day beyond Python's
    calendar (before year 1, after 9999) as a :class:`FarDate` (see :func:`values_of`)."""
    days = np.asarray(arr.cast(pa.int32()).fill_null(0).to_numpy(), dtype=np.int64)
    distinct, inverse = np.unique(days, return_inverse=True)
    made = [FarDate(int(d)) if not _FIRST_DAY <= d <= _LAST_DAY
            else date.fromordinal(int(d) - _FIRST_DAY + 1) for d in distinct]
    return _with_nulls([made[i] for i in inverse.tolist()], arr)


_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def _times(arr: pa.Array) -> list[Any]:
    """A ``timestamp`` array's values as ``to_pylist`` gives them; a time Python cannot
    give (beyond its calendar, or in a time zone it does not know) as an
    :class:`ArrowDatetime` written as Arrow holds it (the UTC time, with ``+00:00`` if the
    column has a time zone)."""
    unit = arr.type.unit
    zoned = arr.type.tz is not None
    out: list[Any] = []
    for value, got in zip(arr.cast(pa.int64()).to_pylist(), _each(arr), strict=True):
        if value is None or got is not None:
            out.append(got)
            continue
        seconds, part = divmod(value, _PER_SECOND[unit])
        days, second = divmod(seconds, 86_400)
        text = f"{day_text(days)} {second // 3600:02d}:{second // 60 % 60:02d}:" \
            f"{second % 60:02d}"
        if part:
            text += f".{part:0{len(str(_PER_SECOND[unit])) - 1}d}"
        out.append(ArrowDatetime(text + ("+00:00" if zoned else ""), value < 0))
    return out


def _each(arr: pa.Array) -> list[Any]:
    """Each value of ``arr`` as Python gives it, None where it cannot (or for a null)."""
    out: list[Any] = []
    for k in range(len(arr)):
        try:
            out.append(arr[k].as_py())
        except (OverflowError, ValueError, KeyError):
            out.append(None)
    return out


def canonical_table(table: pa.Table) -> pa.Table:
    """``table`` with its columns in the forms the columns are read in, holding the same
    values (``to_pylist`` gives the same): see :func:`canonical_array`. A column already
    in that form is kept as it is (no copy)."""
    columns = []
    changed = False
    for column in table.columns:
        given = column.chunks  # (each access makes new objects: see canonical_array)
        chunks = [canonical_array(chunk) for chunk in given]
        if any(new is not old for new, old in zip(chunks, given, strict=True)):
            changed = True
            column = pa.chunked_array(chunks, type=chunks[0].type if chunks else None)
        columns.append(column)
    return pa.table(columns, names=table.column_names) if changed else table


_VIEWS = {"string_view": pa.string(), "binary_view": pa.binary()}


def canonical_array(arr: pa.Array) -> pa.Array:
    """``arr`` in the form the columns read: text and bytes of the view layouts (Polars'
    newest export) as plain ones; list views and fixed-size lists as lists; a list slot
    that is null but still spans items (Polars' ``when/then`` on a list column) and a
    null record's fields, cleared (their items are not the row's: ``to_pylist`` gives
    None); a ``date64`` as the day it falls on (as ``to_pylist`` gives it, a time of day
    dropped). ``arr`` itself when it is in that form already."""
    kind = arr.type
    if str(kind) in _VIEWS:
        return arr.cast(_VIEWS[str(kind)])
    # (each access of a child makes a new Python object: a child is compared with the
    # one object taken, to keep ``arr`` when nothing in it changed)
    if pa.types.is_dictionary(kind):
        words = arr.dictionary
        values = canonical_array(words)
        return arr if values is words else pa.DictionaryArray.from_arrays(arr.indices, values)
    if pa.types.is_date64(kind):  # whole days down (a day beyond int32: a far date)
        days = np.asarray(arr.cast(pa.int64()).fill_null(0), dtype=np.int64) // 86_400_000
        days = np.clip(days, -2**31, 2**31 - 1).astype(np.int32)
        return pa.array(days, type=pa.int32(), mask=np.asarray(arr.is_null(), dtype=bool)
                        if arr.null_count else None).view(pa.date32())
    if pa.types.is_struct(kind):
        fields = arr.flatten() if arr.null_count else [arr.field(i)
                                                        for i in range(kind.num_fields)]
        canonical = [canonical_array(f) for f in fields]
        if all(c is f for c, f in zip(canonical, fields, strict=True)):
            return arr
        if arr.offset and arr.null_count:  # Arrow builds a masked struct at offset 0 only
            return canonical_array(pa.concat_arrays([arr]))
        # the fields of the new types (a date64 is a date32 now, a view plain text)
        fields = [f.with_type(c.type) for f, c in zip(kind, canonical, strict=True)]
        return pa.StructArray.from_arrays(canonical, fields=fields,
                                          mask=arr.is_null() if arr.null_count else None)
    listed = (pa.types.is_list(kind) or pa.types.is_large_list(kind)
              or pa.types.is_list_view(kind) or pa.types.is_large_list_view(kind)
              or pa.types.is_fixed_size_list(kind))
    if not listed:
        return arr
    plain = pa.types.is_list(kind) or pa.types.is_large_list(kind)
    if plain and not _spans_under_nulls(arr):
        items = arr.values
        values = canonical_array(items)
        if values is items:
            return arr
        if not (arr.offset and arr.null_count):  # else: Arrow masks fresh offsets only
            return type(arr).from_arrays(arr.offsets, values,
                                         mask=arr.is_null() if arr.null_count else None)
    # rebuilt from the items of the slots that are not null
    lengths = np.asarray(pc.list_value_length(arr).fill_null(0), dtype=np.int64)
    offsets = np.zeros(len(arr) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = canonical_array(pc.list_flatten(arr))
    large = pa.types.is_large_list(kind) or pa.types.is_large_list_view(kind)
    maker = pa.LargeListArray if large or offsets[-1] >= 2**31 else pa.ListArray
    return maker.from_arrays(pa.array(offsets, type=pa.int64() if maker is pa.LargeListArray
                                      else pa.int32()), values,
                             mask=arr.is_null() if arr.null_count else None)


def _spans_under_nulls(arr: pa.Array) -> bool:
    """Whether a list array has a null slot whose offsets still span items."""
    if not arr.null_count:
        return False
    offsets = np.asarray(arr.offsets, dtype=np.int64)
    nulls = np.asarray(arr.is_null(), dtype=bool)
    return bool((np.diff(offsets)[nulls] > 0).any())


def attach_histories(table: pa.Table, histories: Mapping[str, Any], key: str) -> pa.Table:
    """Histories given as long tables (one record per row, keyed by the citizen's id in
    column ``key``) as list columns of ``table``. Records whose id is not in ``table``
    are left out. Keys and ids are matched as text, as the decisions write the ids: an
    id 7 and a key "7" are one citizen, whatever the types of the two columns. A record
    whose key is null is no citizen's, and a row whose id is null has no records (it is
    decided with empty histories). An id (not null) in two rows is a ``ValueError``
    before any long table is read; ``histories`` that is not a mapping a ``TypeError``,
    a table or a long table without the column ``key`` a ``KeyError`` naming it, and a
    history that is also a column of ``table`` a ``ValueError`` naming it (the long
    table replaced the column silently)."""
    if not isinstance(histories, Mapping):
        raise TypeError("histories: a mapping of each history fact's name to its long "
                        f"table, not {type(histories).__name__}")
    if key not in table.column_names:
        raise KeyError(f"the table has no column {key!r}")
    both = [name for name in histories if name in table.column_names]
    if both:  # which one the policy should read is not for the library to guess
        raise ValueError(f"histories: the table has a column {both[0]!r} too; give a "
                         "history as a column of the table or as a long table, not both")
    ids = _id_texts(table.column(key))
    _check_unique(ids, key)
    for name, long in histories.items():
        records = to_arrow(long)
        _check_column_names(records, f"the long table of {name!r}")
        if key not in records.column_names:
            raise KeyError(f"the long table of {name!r} has no column {key!r} (a record's "
                           "key is in the column named as the id column)")
        # a null key is no citizen's, and a null id no record's
        where = pc.index_in(_id_texts(records.column(key)), value_set=ids, skip_nulls=True)
        keep = pc.is_valid(where)
        records = records.filter(keep)
        row = np.asarray(where.filter(keep).to_numpy(zero_copy_only=False), dtype=np.int64)
        order = np.argsort(row, kind="stable")
        fields = [c for c in records.column_names if c != key]
        items = records.select(fields).take(pa.array(order)).to_struct_array() \
            if hasattr(pa.Table, "to_struct_array") else pa.StructArray.from_arrays(
                [records.column(c).combine_chunks().take(pa.array(order)) for c in fields],
                names=fields)
        if isinstance(items, pa.ChunkedArray):
            items = items.combine_chunks()
        counts = np.bincount(row, minlength=table.num_rows)
        offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
        column = pa.ListArray.from_arrays(pa.array(offsets), items)
        table = table.append_column(name, column)
    return table


def _id_texts(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Ids as the decisions write them (``str`` of each value: text as it is, a whole
    number in decimal digits), as ``large_string``; nulls stay null."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    kind = column.type
    if pa.types.is_dictionary(kind) and _is_text(kind.value_type):
        column = column.dictionary_decode()
        kind = column.type
    if _is_text(kind) or pa.types.is_integer(kind):  # Arrow writes a number as str does
        return column.cast(pa.large_string())
    return pa.array([None if v is None else str(v) for v in values_of(column)],
                    pa.large_string())


def _check_column_names(table: pa.Table, what: str) -> None:
    """A ``ValueError`` naming a column that ``table`` (``what``: "the table", "the long
    table of 'benefits'") has twice: which of the two would be the fact?"""
    seen: set[str] = set()
    for name in table.column_names:
        if name in seen:
            raise ValueError(f"{what} has two columns named `{shown(name)}` (give each "
                             "column its own name)")
        seen.add(name)


def _check_unique(ids: pa.Array, key: str) -> None:
    """A ``ValueError`` naming an id (not null) that ``ids`` hold more than once: a long
    table keyed by the id cannot say which of those rows a record belongs to."""
    counts = pc.value_counts(ids)
    twice = counts.filter(pc.and_(pc.is_valid(counts.field("values")),
                                  pc.greater(counts.field("counts"), 1)))
    if len(twice):
        ident, rows = twice[0]["values"].as_py(), twice[0]["counts"].as_py()
        raise ValueError(f"histories: the id {shown(ident)!r} is in {rows} rows of the "
                         f"column {key!r}; a long table keyed by the id cannot say which "
                         "citizen a record of it belongs to (give each citizen its own id)")


# -- deciding ----------------------------------------------------------------------------


def _as_date(on: Any) -> date:
    """The decision date, read as ``decide`` reads it (its problems at ``on``; anything
    but a date or text is its FactError)."""
    if type(on) is date:
        return on
    day, problems = as_call_date(on, "on")
    if problems:
        raise FactError(problems)
    assert day is not None
    return day


def decide_table(policy: PolicyLike, table: Any, on: date | str | Sequence[date | str], *,
                 id: str | None = None,
                 order: Mapping[str, Any] | str | None = None,
                 suppliers: Mapping[str, Any] | None = None, values: Sequence[str] = (),
                 histories: Mapping[str, Any] | None = None, first_row: int = 0,
                 ignore_validity: bool = False, strict: bool = False,
                 columns: Sequence[str] | None = None) -> TableDecisions:
    """The decisions of ``policy`` for every citizen of ``table`` on ``on``: a date (or
    ISO text), or the name of a column of ``table`` holding each row's own decision date
    (a row whose date ``decide`` refuses, or outside the validity, has ``decide``'s
    problems, the date's at that column); for a list of dicts, a list of each dict's own
    date instead (:func:`decide_records`).

    ``id``: a column with the citizens' ids (kept in the output; the key of
    ``histories``). ``order``: the caseworker's order, the same for every row (a mapping
    as for ``decide``) or per row (the name of a struct column, or a list with one order
    or None for each row). ``suppliers``: the
    supplier state for every row. ``values``: names of rules (or other named nodes) whose
    value to add as columns. ``columns``: the decision columns to build (some of
    ``eligible``, ``target_groups``, ``area``, ``supplier``, ``package``,
    ``package_status``, ``failed``; default all): a run that needs only some of them
    skips the work of the others (``row``, and the id column if given, are always
    there). ``first_row``: the number of the table's first row (for a
    stream of batches). ``strict``: raise :class:`Unsupported` instead of deciding a
    policy the backend does not support per record.

    Raises ``EvaluationError`` (UDB703) if ``on`` (a date) is outside the policy's validity
    (unless ``ignore_validity``), ``KeyError`` for a value the policy does not define
    or a column the table (or a long table: its key) does not have, ``ValueError`` for
    a value no column holds (a duration, a list), an unknown decision column, two
    columns of one name, or (with ``histories``) an id in two rows, before any row is
    read; every problem of a row is in the errors table.
    """
    if not isinstance(table, list):
        table = to_arrow(table)
        _check_column_names(table, "the table")
    # the name of a column of dates, or (for dicts) a list of dates: each row's own date
    dated = isinstance(on, str) and not isinstance(table, list) and on in table.column_names
    days = list(on) if isinstance(on, (list, tuple)) else None
    if days is not None and not isinstance(table, list):
        raise TypeError("decide_table: a list of dates is for a list of dicts (one per "
                        "dict); for a table, give the name of its column of dates")
    if not dated and days is None:
        day = _as_date(on)  # (anything else given is the date's FactError, as for decide)
        if not ignore_validity:
            policy.check_date(day)
    value_columns(policy, values)
    projection(columns)
    rows = len(table) if isinstance(table, list) else table.num_rows
    if isinstance(order, list) and len(order) != rows:
        raise ValueError(f"order: {len(order)} orders for {rows} rows (one per row, None "
                         "for a row without one)")
    if isinstance(table, list):
        return decide_records(policy, table, day if days is None else days, id=id,
                              order=order, suppliers=suppliers,
                              values=values, histories=histories, first_row=first_row,
                              ignore_validity=ignore_validity, strict=strict,
                              columns=columns)
    if histories:
        if id is None:
            raise ValueError("histories given as long tables need the id column: id=...")
        table = attach_histories(table, histories, id)
    if dated:
        assert isinstance(on, str)
        return _decide_by_day(policy, table, on, id, order, suppliers, tuple(values),
                              first_row, ignore_validity, strict, projection(columns))
    return _decide(policy, table, day, id, order, suppliers, tuple(values), first_row,
                   ignore_validity, strict, None, projection(columns))


#: The column of a table holding each row's decision date where the rows' dates come
#: from elsewhere than a column of the input: a JSON line's date key
#: (:mod:`udbudsregler.columnar.lines`), the dates of a list of dicts
#: (:func:`decide_records`). A fact's name is a word: no fact has this one.
DAY_COLUMN = "#on"

#: With a policy decided a date at a time (no columnar form for a date per row): the rows
#: of a decision date fewer than this are decided per record, all such rows together: a
#: columnar run of a few rows costs about 2 ms, a row decided per record
#: from a table 20-50 µs (its facts read back from Arrow, 16-22 µs; its failed criteria
#: from the decision's reasons, about 25 µs).
_FEW_OF_A_DAY = 48


def _decide_by_day(policy: PolicyLike, table: pa.Table, column: str, id: str | None,
                   order: Mapping[str, Any] | str | list[Any] | None,
                   suppliers: Mapping[str, Any] | None, values: tuple[str, ...],
                   first_row: int, ignore_validity: bool, strict: bool,
                   columns: tuple[str, ...],
                   records: Sequence[Mapping[str, Any]] | None = None) -> TableDecisions:
    """``decide_table`` with each row's decision date in ``column`` (a date, or ISO text,
    read as ``decide`` reads ``on``; a row whose date ``decide`` refuses, or outside the
    policy's validity, has ``decide``'s problems, the date's at ``column``:
    :func:`refused_day`).
    The good rows are one columnar run, ``today`` a column of their dates (a policy with
    no columnar form for that: the rows of each date one run, the dates of few rows per
    record). The column is not a fact (unless the policy declares one of its name).
    ``records``: the facts of the rows as given, as for :func:`_decide`."""
    codes, given = _day_codes(table.column(column))
    read = [_read_day(policy, value, ignore_validity) for value in given]
    # the rows of each distinct value, in the table's order
    by_code = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(given))
    ends = np.cumsum(counts)
    days: dict[date, list[Any]] = {}
    bad: list[Any] = []
    for code, got in enumerate(read):
        rows = by_code[ends[code] - counts[code]:ends[code]]
        if isinstance(got, date):
            days.setdefault(got, []).append(rows)
        elif len(rows):
            bad.append(rows)
    keep = [c for c in table.column_names
            if c != column or c in policy.graph.facts or c in (id, order)]
    errors: list[dict[str, Any]] = []
    if bad:
        rows = np.sort(np.concatenate(bad))
        errors = _refused_days(policy, table.select(keep).take(pa.array(rows, pa.int64())),
                               rows, column, [given[c] for c in codes[rows]],
                               [read[c] for c in codes[rows]], id, order, suppliers,
                               ignore_validity, first_row, records)

    def part(rows: Any, day: date, each: Sequence[date] | None,
             numbers: IntArray | None = None) -> TableDecisions:
        rows_of_order = [order[i] for i in rows] if isinstance(order, list) else order
        sub = table.select(keep)
        if len(rows) < table.num_rows:  # (all rows, in order: the table as it is)
            sub = sub.take(pa.array(rows, type=pa.int64()))
        given = _Picked(records, rows) if records is not None else None
        result = _decide(policy, sub, day, id, rows_of_order, suppliers, values, 0,
                         ignore_validity, strict, given, columns, days=each,
                         day_numbers=numbers)
        return _renumbered(result, rows, first_row)

    parts: list[TableDecisions] = []
    few: list[Any] = []
    if days and _day_support(policy, values) is None:
        # every good row in one columnar run, each on its date (`today` a column)
        rows = np.sort(np.concatenate([r for groups in days.values() for r in groups]))
        numbers = np.array([d.toordinal() if isinstance(d, date) else 0 for d in read],
                           dtype=np.int64)[codes[rows]]
        try:
            # (the good rows' codes are those of dates)
            dated: Sequence[date] = _Picked(read, codes[rows])  # type: ignore[arg-type]
            parts.append(part(rows, min(days), dated, numbers))
        except Unsupported:  # met on the rows only: a columnar run per date, as below
            parts = []
    for day, groups in sorted(days.items()) if not parts else ():
        rows = np.sort(np.concatenate(groups)) if len(groups) > 1 else groups[0]
        if len(rows) >= _FEW_OF_A_DAY:
            parts.append(part(rows, day, None))
        else:
            few.append(rows)
    if few or not parts:
        rows = np.sort(np.concatenate(few)) if few else np.zeros(0, dtype=np.int64)
        # (with no good row: an empty run, for the columns)
        each = [read[code] for code in codes[rows]]
        parts.append(part(rows, policy.graph.header.valid.from_, each))
    decisions = pa.concat_tables([p.decisions for p in parts]).sort_by("row")
    problems = pa.concat_tables([*(p.errors for p in parts),
                                 pa.Table.from_pylist(errors, schema=ERROR_SCHEMA)])
    return TableDecisions(
        decisions, problems.sort_by("row"), table.num_rows,
        sum(p.columnar for p in parts), sum(p.per_record for p in parts) + len(
            {e["row"] for e in errors}),
        tuple(dict.fromkeys(n for p in parts for n in p.notes)))


def _refused_days(policy: PolicyLike, table: pa.Table, rows: Any, column: str,
                  given: list[Any], dated: list[Any], id: str | None,
                  order: Mapping[str, Any] | str | list[Any] | None,
                  suppliers: Mapping[str, Any] | None, ignore_validity: bool, first_row: int,
                  records: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The errors of the rows ``rows`` (``table``: those rows) whose dates ``decide``
    refuses (``given``: each as given, ``dated``: its problems), as ``decide`` gives them
    (:func:`refused_day`). A row the columns read as ``decide`` accepts it, with no order
    and no supplier state, has only its date's problems; the others are asked of
    ``decide``. A row whose id no output can write has that problem too (at ``id``, as
    :meth:`_Run._per_record` gives it). (A :class:`_Run` of the rows reads their ids,
    orders and facts.)"""
    run = _Run(policy, _plan(policy), canonical_table(table), policy.graph.header.valid.from_,
               id, [order[int(r)] for r in rows] if isinstance(order, list) else order,
               suppliers, (), 0, ignore_validity,
               _Picked(records, rows) if records is not None else None)
    _, unsure = read_facts(policy.graph, run.table, policy.currency, run.skip)
    asked = [k for k in range(len(rows)) if unsure[k] or suppliers is not None
             or (run.orders and run.orders[k] is not None)]
    facts = dict(zip(asked, run._facts(asked), strict=True))
    errors: list[dict[str, Any]] = []
    for k, row in enumerate(rows):
        if k in run.bad_ids:
            errors.append(_error(first_row + int(row), None, "id", "UDB602",
                                 not_unicode(run.bad_ids[k])))
        problems = (refused_day(policy, facts[k], given[k], dated[k],
                                run.orders[k] if run.orders else None, suppliers,
                                ignore_validity, column) if k in facts
                    else [(column, code, message) for code, message in dated[k]])
        errors += [_error(first_row + int(row), run.ids[k] if run.ids is not None else None,
                          path, code, message) for path, code, message in problems]
    return errors


def refused_day(policy: PolicyLike, facts: Any, on: Any, dated: list[tuple[str, str]],
                order: Any, suppliers: Any, ignore_validity: bool, column: str
                ) -> list[tuple[str, str, str]]:
    """The problems (path, code, message) ``decide(facts, on)`` gives for a row whose date
    ``on`` it refuses or finds outside the validity (``dated``: :func:`_read_day`'s
    problems of it), the date's at ``column``: those of the date with those of the facts,
    the order and the supplier state, as ``decide`` lists them; for a date outside the
    validity, those of the other inputs if there are any (``decide`` checks the validity
    only of inputs it accepts), else the validity's."""
    try:
        policy.decide(facts, on, order=order, suppliers=suppliers,
                      ignore_validity=ignore_validity)
    except FactError as error:
        problems = [(p.path, p.code, p.described) for p in error.problems]
        for code, message in dated:  # the date's, at `on` (a fact may be named so too)
            if ("on", code, message) in problems:
                problems[problems.index(("on", code, message))] = (column, code, message)
        return problems
    except EvaluationError:  # the validity's
        pass
    return [(column, code, message) for code, message in dated]


_T = TypeVar("_T")


class _Picked(Sequence[_T]):
    """``items[index[k]]`` for each ``k``, made when asked for: each row's decision date
    (the distinct dates by each row's code), or the facts as given of some rows (a
    file's lines are parsed only for the rows decided per record), not a list of one per
    row."""

    def __init__(self, items: Sequence[_T], index: Any) -> None:
        self._items, self._at = items, index

    def __len__(self) -> int:
        return len(self._at)

    @overload
    def __getitem__(self, k: int) -> _T: ...
    @overload
    def __getitem__(self, k: slice) -> Sequence[_T]: ...

    def __getitem__(self, k: int | slice) -> _T | Sequence[_T]:
        if isinstance(k, slice):
            return [self._items[int(i)] for i in self._at[k]]
        return self._items[int(self._at[k])]


def _day_codes(column: pa.ChunkedArray | pa.Array) -> tuple[Any, list[Any]]:
    """Each row's code (an index into the distinct values) and the distinct values of a
    column of decision dates, as ``values_of`` gives them; a column Arrow cannot find the
    distinct values of (lists, records: no dates anyway) by their Python values."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    column = canonical_array(column)
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    try:
        distinct = pc.unique(column)
        codes = pc.index_in(column, value_set=distinct)  # (a null's is the null's)
        return np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64), values_of(
            distinct)
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError, pa.ArrowInvalid):
        pass
    found: dict[str, int] = {}
    given: list[Any] = []
    codes = np.empty(len(column), dtype=np.int64)
    for row, value in enumerate(values_of(column)):
        key = f"{type(value).__name__}:{value!r}"
        if key not in found:
            found[key] = len(given)
            given.append(value)
        codes[row] = found[key]
    return codes, given


def _read_day(policy: PolicyLike, value: Any, ignore_validity: bool
              ) -> date | list[tuple[str, str]]:
    """A row's decision date as ``decide`` reads ``on``, or the (code, message) of each
    of its problems (one ``decide`` refuses, or a day outside the policy's validity)."""
    try:
        day = _as_date(value)
        if not ignore_validity:
            policy.check_date(day)
    except FactError as error:
        return [(p.code, p.described) for p in error.problems]
    except EvaluationError as error:
        return [(error.code, error.message)]
    return day


def decide_arrow(policy: PolicyLike, table: pa.Table, on: date | str,
                 records: Sequence[Mapping[str, Any]] | None, *, id: str | None = None,
                 values: Sequence[str] = (), columns: Sequence[str] | None = None,
                 orders: Sequence[Any] | None = None,
                 suppliers: Mapping[str, Any] | None = None) -> TableDecisions:
    """``decide_table`` of an Arrow table whose rows' facts are also given as read
    (``records``, one per row): a row decided per record is decided from its record
    (None: from the table). ``orders``: each row's order as given (None for a row
    without one), as ``decide`` takes it; ``suppliers``: the supplier state; ``on``: the
    date, or the name of the table's column of each row's date."""
    if orders is not None and len(orders) != table.num_rows:
        raise ValueError(f"{len(orders)} orders for {table.num_rows} rows")
    if isinstance(on, str) and on in table.column_names:  # each row's date in a column
        return _decide_by_day(policy, table, on, id, list(orders) if orders is not None
                              else None, suppliers, tuple(values), 0, False, False,
                              projection(columns), records)
    day = _as_date(on)
    policy.check_date(day)
    return _decide(policy, table, day, id, list(orders) if orders is not None else None,
                   suppliers, tuple(values), 0, False, False, records, projection(columns))


def projection(columns: Sequence[str] | None) -> tuple[str, ...]:
    """The decision columns to build, in their order (``row`` always)."""
    if columns is None:
        return DECISION_COLUMNS
    if isinstance(columns, str):
        raise TypeError("columns: a list of decision column names, not one text")
    unknown = [c for c in columns if c not in DECISION_COLUMNS]
    if unknown:
        raise ValueError(f"columns: no decision column {unknown[0]!r} (the columns: "
                         f"{', '.join(DECISION_COLUMNS[1:])})")
    return tuple(c for c in DECISION_COLUMNS if c == "row" or c in columns)


_PACKAGE = str(Path(__file__).resolve().parents[1])


def _callers_level() -> int:
    """The ``stacklevel`` of a warning raised by the caller of this function that names
    the first line outside the library (the host's call of ``decide_table``,
    ``decide_file`` or a Dask or Spark function), however deep the library's calls."""
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level


def _decide(policy: PolicyLike, table: pa.Table, day: date, id: str | None,
            order: Mapping[str, Any] | str | list[Any] | None,
            suppliers: Mapping[str, Any] | None,
            values: tuple[str, ...], first_row: int, ignore_validity: bool, strict: bool,
            records: Sequence[Mapping[str, Any]] | None,
            columns: tuple[str, ...] = DECISION_COLUMNS,
            days: Sequence[date] | None = None,
            day_numbers: IntArray | None = None) -> TableDecisions:
    """``decide_table`` of an Arrow table; ``order``: one for every row, the name of a
    column, or a list of one per row; ``records``: the facts of its rows as given (then
    the rows decided per record are decided from them); ``columns``: the decision
    columns to build; ``days``: each row's own decision date (``day`` is not used), with
    ``day_numbers`` (the same as day numbers) all decided in one columnar run
    (:class:`Unsupported` if the policy has no columnar form so), else every row per
    record."""
    plan = _plan(policy)
    value_columns(policy, values)
    table = canonical_table(table)
    run = _Run(policy, plan, table, day, id, order, suppliers, values, first_row,
               ignore_validity, records, columns)
    if days is not None:
        run.days = days
        if day_numbers is not None:
            run.day_numbers = day_numbers
            run.keyed_by_day = bool(run.orders) and plan.spans_by_day()
            return run.columnar()
        run.unsure[:] = True
        return run.finish({})
    why = plan.unsupported
    if why is None and values:
        key = tuple(values)
        if key not in plan.values:
            plan.values[key] = _check_support(policy, plan, key)
        why = plan.values[key]
    if why is not None:
        if strict:
            raise Unsupported(why)
        note = f"decided per record: the columnar backend does not evaluate {why}"
        warnings.warn(note, ColumnarFallback, stacklevel=_callers_level())
        run.notes.append(note)
        run.unsure[:] = True
        return run.finish({})
    return run.columnar()


def arrow_value(value: Any) -> Any:
    """A canonical fact value as the Arrow form holds it (``decide`` reads it back the
    same): an amount as its Decimal, a period as ``{from, to}``, a duration as its text."""
    t = type(value)
    if t is Money:
        return value.amount
    if t is Period:
        return {"from": value.start, "to": value.end}
    if t is Duration:  # canonical from text: one unit
        if value.months and value.days:  # no text of one unit: the column reads it as bad
            return f"{value.months} months {value.days} days"
        return f"{value.months} months" if value.months else f"{value.days} days"
    if t is dict:
        return {k: arrow_value(v) for k, v in value.items()}
    if t is list:
        return [arrow_value(v) for v in value]
    return value


def decide_records(policy: PolicyLike, records: Iterable[Mapping[str, Any]],
                   on: date | str | list[Any] | tuple[Any, ...], *, first_row: int = 0,
                   **options: Any) -> TableDecisions:
    """``decide_table`` for citizens given as Python mappings (facts, as for ``decide``).

    ``on``: the decision date of every row (a date or ISO text), or a list of each
    row's own (one per dict, as ``decide`` takes ``on``): a row whose date ``decide``
    refuses, or outside the validity, has ``decide``'s problems (the date's at ``on``);
    the others are decided together, as ``decide_table(table, on=column)`` decides a
    column of dates.

    The facts are read into Arrow a block of rows at a time
    (:mod:`udbudsregler.columnar.records`): a row whose values all have the exact types
    the fact check requires is decided on the columns, whose checks test the rest (the
    input limits, choices, ranges); a row that fails them is decided by ``decide`` on its
    dict. Any other row (or every row, when a fact is of a kind not read there, see
    :func:`~udbudsregler.columnar.records.readable`) is checked as ``decide`` checks it:
    a rejected one goes to the errors table with ``decide``'s codes and paths, and the
    rest are decided as one Arrow table. Either way a row's answer or errors are those
    of ``decide``. The options that name columns of a table (``id``, ``order`` as a
    column's name, ``histories``) are a ``TypeError``: a decision's ``row`` is its dict's
    place in the list, orders are given as a list, and histories in each dict."""
    if _reads_the_table(options):
        raise TypeError("decide_table: id=, order='column' and histories= name columns of "
                        "a table; for a list of dicts, a decision's `row` is the dict's "
                        "place in the list, orders are a list (order=[...], one per dict) "
                        "or one mapping for all, and histories are in each dict")
    rows = list(records)
    if isinstance(on, (list, tuple)):
        return _records_by_day(policy, rows, on, first_row, options)
    day = _as_date(on)
    if not options.get("ignore_validity", False):
        policy.check_date(day)
    return _records_on(policy, rows, day, first_row, options)


def _records_on(policy: PolicyLike, rows: list[Any], when: date | Sequence[date],
                first_row: int, options: Mapping[str, Any]) -> TableDecisions:
    """``decide_records`` of ``rows`` on ``when``: one date for every row, or each row's
    own (dates ``decide`` accepts, inside the validity unless it is ignored)."""
    specs = {name: fact.spec for name, fact in policy.graph.facts.items()}
    if not readable(specs):
        return _checked_records(policy, rows, list(range(len(rows))), when, first_row,
                                options)
    columns = to_columns(specs, rows, policy.graph.header.currency)
    if not columns.rest:  # every row read as columns
        return _renumbered(_decide_given(policy, columns.table, when, rows, options),
                           range(len(rows)), first_row)
    fast = _decide_given(policy, columns.table, _days_of(when, columns.rows),
                         [rows[i] for i in columns.rows], _of_rows(options, columns.rows))
    fast = _renumbered(fast, columns.rows, first_row)
    rest = _checked_records(policy, [rows[i] for i in columns.rest], columns.rest,
                            _days_of(when, columns.rest), first_row,
                            _of_rows(options, columns.rest))
    return TableDecisions(
        pa.concat_tables([fast.decisions, rest.decisions]).sort_by("row"),
        pa.concat_tables([fast.errors, rest.errors]).sort_by("row"), len(rows),
        fast.columnar + rest.columnar, fast.per_record + rest.per_record,
        tuple(dict.fromkeys((*fast.notes, *rest.notes))))


def _days_of(when: date | Sequence[date], rows: Sequence[int]) -> date | list[date]:
    """The date of ``rows``: the one date, or each one's of a date per row."""
    return when if isinstance(when, date) else [when[i] for i in rows]


def _records_by_day(policy: PolicyLike, rows: list[Any], given: Sequence[Any],
                    first_row: int, options: Mapping[str, Any]) -> TableDecisions:
    """``decide_records`` with each row's own date (``given``, one per row): the rows
    whose date ``decide`` refuses (or outside the validity) have ``decide``'s problems
    (:func:`refused_day`, the date's at ``on``); the others are decided together."""
    if len(given) != len(rows):
        raise ValueError(f"on: {len(given)} dates for {len(rows)} records (one per record, "
                         "or one date for all)")
    ignore_validity = bool(options.get("ignore_validity", False))
    order = options.get("order")
    good: list[int] = []
    days: list[date] = []
    errors: list[dict[str, Any]] = []
    for k, value in enumerate(given):
        read = _read_day(policy, value, ignore_validity)
        if isinstance(read, date):
            good.append(k)
            days.append(read)
            continue
        errors += [_error(first_row + k, None, path, code, message)
                   for path, code, message in refused_day(
                       policy, rows[k], value, read, order[k] if isinstance(order, list)
                       else order, options.get("suppliers"), ignore_validity, "on")]
    result = _records_on(policy, [rows[k] for k in good], days, 0, _of_rows(options, good))
    return _with_refused(_renumbered(result, good, first_row), errors, len(rows),
                         len({e["row"] for e in errors}))


def _of_rows(options: Mapping[str, Any], rows: Sequence[int]) -> dict[str, Any]:
    """``options`` for the rows ``rows`` of those they were given for: a list of orders
    (one per row) keeps those rows' orders."""
    order = options.get("order")
    if not isinstance(order, list):
        return dict(options)
    return {**options, "order": [order[i] for i in rows]}


def _reads_the_table(options: Mapping[str, Any]) -> bool:
    """Whether ``decide_table``'s options name columns of the table (the id, each row's
    order) or add histories to it (which a list of dicts has not)."""
    return bool(options.get("histories")) or options.get("id") is not None or isinstance(
        options.get("order"), str)


def _decide_given(policy: PolicyLike, table: pa.Table, when: date | Sequence[date],
                  records: Sequence[Mapping[str, Any]], options: Mapping[str, Any]
                  ) -> TableDecisions:
    """``_decide`` of a table of the rows ``records`` (a row decided per record is decided
    from its record), with ``decide_table``'s ``options`` (none of
    :func:`_reads_the_table`'s), on ``when``: one date, or each row's own (then as
    ``decide_table`` decides a column of dates, :func:`_decide_by_day`); the dates are
    checked by the caller."""
    values = tuple(options.get("values", ()))
    ignore_validity = options.get("ignore_validity", False)
    strict = options.get("strict", False)
    if not isinstance(when, date):
        dated = table.append_column(DAY_COLUMN, pa.array(when, type=pa.date32()))
        return _decide_by_day(policy, dated, DAY_COLUMN, None, options.get("order"),
                              options.get("suppliers"), values, 0, ignore_validity, strict,
                              projection(options.get("columns")), records)
    return _decide(policy, table, when, None, options.get("order"), options.get("suppliers"),
                   values, 0, ignore_validity, strict, records,
                   projection(options.get("columns")))


def _renumbered(result: TableDecisions, numbers: Sequence[int], first_row: int
                ) -> TableDecisions:
    """``result`` with each ``row`` (an index into ``numbers``) as ``first_row`` + the
    number."""
    index = pa.array((np.arange(numbers.start, numbers.stop, numbers.step, dtype=np.int64)
                      if isinstance(numbers, range) else np.asarray(numbers, dtype=np.int64))
                     + first_row, type=pa.int64())
    decided = result.decisions
    if decided.num_rows:
        decided = decided.set_column(decided.column_names.index("row"), "row",
                                     index.take(decided.column("row")))
    problems = result.errors
    if problems.num_rows:
        problems = problems.set_column(0, "row", index.take(problems.column("row")))
    return TableDecisions(decided, problems, result.rows, result.columnar, result.per_record,
                          result.notes)


def _with_refused(result: TableDecisions, errors: list[dict[str, Any]], rows: int,
                  refused: int) -> TableDecisions:
    """``result`` (of the rows decided, renumbered) of ``rows`` rows, with the errors of
    the ``refused`` rows refused before deciding (``errors``) among its errors, by row."""
    problems = result.errors
    if errors:
        problems = pa.concat_tables([problems, pa.Table.from_pylist(errors, schema=ERROR_SCHEMA)]
                                    ).sort_by("row")
    return TableDecisions(result.decisions, problems, rows, result.columnar,
                          result.per_record + refused, result.notes)


def _checked_records(policy: PolicyLike, rows: list[Any], numbers: list[int],
                     when: date | Sequence[date], first_row: int,
                     options: Mapping[str, Any]) -> TableDecisions:
    """The exact way: each row checked as ``decide`` checks it (facts already in
    canonical Python form take the generated fast check), then the accepted ones decided
    as one Arrow table; ``numbers``: each row's index in the input; ``when``: the date,
    or each row's own (checked by the caller)."""
    check = policy.facts.check
    convert = converts(policy.graph)
    good: list[Any] = []
    kept: list[int] = []
    places: list[int] = []  # the kept rows' places among ``rows`` (for their orders)
    errors: list[dict[str, Any]] = []
    for place, (number, row) in enumerate(zip(numbers, rows, strict=True)):
        canonical, problems = check(row)
        if problems:  # in the order of decide's FactError (as a row decided per record)
            errors += [_error(first_row + number, None, p.path, p.code, p.described)
                       for p in FactError(problems).problems]
            continue
        good.append(canonical)
        kept.append(number)
        places.append(place)
    options = _of_rows(options, places)
    arrow = [arrow_value(row) for row in good] if convert else good
    try:
        table = pa.Table.from_pylist(arrow, schema=fact_schema(policy.graph))
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # e.g. more places than decimal128(38, 18)
        table = pa.Table.from_pylist(arrow, schema=wide(fact_schema(policy.graph)))
    # a row decided per record is decided from its checked row (`good`), not from its
    # Arrow form (a duration of months and days has no text decide reads)
    result = _decide_given(policy, table, _days_of(when, places), good, options)
    return _with_refused(_renumbered(result, kept, first_row), errors, len(rows),
                         len(rows) - len(good))


def converts(graph: RuleGraph) -> bool:
    """Whether a policy's canonical facts differ from their Arrow form (amounts, periods
    and durations are converted; the rest is taken as it is)."""
    def needs(spec: FactSpec) -> bool:
        return spec.kind in _CONVERTED or any(
            needs(f) for f in (spec.fields or {}).values())
    return any(needs(fact.spec) for fact in graph.facts.values())


def wide(schema: pa.Schema) -> pa.Schema:
    """``schema`` with decimal256(76, 38) for decimals (values with more than 18 places)."""
    return pa.schema([(f.name, _wide(f.type)) for f in schema])


def _wide(kind: pa.DataType) -> pa.DataType:
    """``kind`` with decimal256(76, 38) for decimals (values with more than 18 places)."""
    if pa.types.is_decimal(kind):
        return pa.decimal256(76, 38)
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _wide(f.type)) for f in kind])
    if pa.types.is_list(kind):
        return pa.list_(_wide(kind.value_type))
    return kind


class _Run:
    def __init__(self, policy: PolicyLike, plan: Plan, table: pa.Table, on: date,
                 id: str | None, order: Mapping[str, Any] | str | list[Any] | None,
                 suppliers: Mapping[str, Any] | None, values: tuple[str, ...],
                 first_row: int, ignore_validity: bool,
                 records: Sequence[Mapping[str, Any]] | None = None,
                 columns: tuple[str, ...] = DECISION_COLUMNS) -> None:
        self.policy, self.plan, self.on = policy, plan, on
        #: Each row's own decision date, if not ``on``.
        self.days: Sequence[date] | None = None
        #: With ``days``, decided on the columns: each row's date as a day number (the
        #: columnar pass then raises :class:`Unsupported`, for the caller to decide the
        #: rows a date at a time, rather than deciding every row per record).
        self.day_numbers: IntArray | None = None
        #: Whether the outcomes are told apart by date (:meth:`Plan.spans_by_day`).
        self.keyed_by_day = False
        self.columns = columns
        self.id, self.values, self.first_row = id, values, first_row
        self.suppliers = suppliers
        self.ignore_validity = ignore_validity
        self.n = table.num_rows
        skip = [c for c in (id, order if isinstance(order, str) else None) if c]
        for column in skip:
            if column not in table.column_names:
                raise KeyError(f"the table has no column {column!r}")
        self.table = table
        self.records = records
        self.fact_columns = [c for c in table.column_names if c not in skip]
        self.ids: list[Any] | None = (
            [None if v is None else str(v) for v in values_of(table.column(id))]
            if id is not None else None)
        if isinstance(order, str):
            self.orders: list[Any] = values_of(table.column(order))
        elif isinstance(order, list):  # one per row, as given
            self.orders = order if any(o is not None for o in order) else []
        else:
            self.orders = [order] * self.n if order is not None else []
        self.unsure = np.zeros(self.n, dtype=bool)
        #: The rows whose id no output can write (text that was not UTF-8): each is an
        #: error at ``id``, with no id, and not decided.
        self.bad_ids: dict[int, str] = {}
        if self.ids is not None and not all(map(valid_text, filter(None, self.ids))):
            for row, ident in enumerate(self.ids):
                if ident is not None and not valid_text(ident):
                    self.bad_ids[row] = ident
                    self.ids[row] = None
                    self.unsure[row] = True
        #: Each row's order as an exact key (:func:`_order_key`); a row whose order has
        #: none is decided per record.
        self.order_keys = self._order_keys()
        self.notes: list[str] = []
        self.skip = skip
        #: For an area whose selection reads the facts (nearest, only): each row's
        #: supplier, an index among the area's suppliers or -1 (``suppliers.py``).
        self.selections: dict[str, Any] = {}

    def _order_keys(self) -> list[Any]:
        keys: list[Any] = []
        known: dict[int, Any] = {}  # by identity: one order given for every row is keyed once
        for row, order in enumerate(self.orders):
            key = known.get(id(order), _NO_KEY)
            if key is _NO_KEY:
                try:
                    key = _order_key(order)
                except _Unkeyed:
                    key = (_NO_KEY, row)
                    self.unsure[row] = True
                known[id(order)] = key
            keys.append(key)
        return keys

    # -- the columnar pass ---------------------------------------------------------

    def columnar(self) -> TableDecisions:
        policy, plan = self.policy, self.plan
        facts, unsure = read_facts(plan.graph, self.table, policy.currency, self.skip)
        self.unsure |= unsure
        self._budget(facts)
        by_day = self.day_numbers is not None
        batch = Batch(plan.graph, facts, self.n, self.on, policy.month_end,
                      plan.day_dependent() if by_day else plan.dependent, self.unsure,
                      self.day_numbers)
        try:
            outputs = [batch.bools(batch.value(name), 0) for name in plan.outputs]
            # the criteria count apart only for the failed ones (the outputs read them)
            criteria = [batch.bools(batch.value(name), 0) for name in plan.criteria] \
                if "failed" in self.columns else []
            columns = {name: batch.value(name) for name in self.values}
            for value in columns.values():  # a value the column cannot hold exactly
                if not isinstance(value, Col) and _storable(_python_value(value))[1]:
                    raise AllUnsure()
                if isinstance(value, Num) and value.scale > 18:
                    raise AllUnsure()
        except AllUnsure:
            self.unsure[:] = True
            return self.finish({})
        except Unsupported as error:  # not seen on the empty batch: still never wrong
            if self.day_numbers is not None:
                raise
            self.notes.append(f"decided per record: the columnar backend does not evaluate "
                              f"{error}")
            self.unsure[:] = True
            return self.finish({})
        self.unsure = batch.unsure
        self._choose_suppliers(batch, outputs)
        return self.finish({"outputs": outputs, "criteria": criteria, "values": columns})

    def _choose_suppliers(self, batch: Batch, outputs: list[BoolArray]) -> None:
        """Each row's supplier in the areas whose selection reads the citizen's facts; an
        area whose expressions have no columnar form here is decided per record."""
        graph = self.plan.graph
        areas = [a for a in graph.areas.values() if a.distance is not None or a.only is not None]
        if not areas:
            return
        try:
            state = parse_supplier_state(self.suppliers)
        except FactError:  # every row's per-record decision says so
            return
        first = len(graph.target_groups)
        names = list(graph.areas)
        for area in areas:
            try:
                self.selections[area.name] = choose_by_columns(
                    batch, area, state, outputs[first + names.index(area.name)])
            except (Unsupported, AllUnsure):
                continue

    def _budget(self, facts: dict[str, Any]) -> None:
        """Rows whose lists are long enough that the evaluation budget might run out go
        per record (where ``decide`` says whether it does: UDB706)."""
        lists = [value for value in facts.values() if isinstance(value, Lst)]
        total = sum(value.records() for value in lists)
        if total * self.plan.walks <= self.policy.steps:
            return  # not even all the records of the batch together could run it out
        sizes = np.zeros(self.n, dtype=np.int64)
        for value in lists:
            sizes += value.sizes()
        self.unsure |= sizes * self.plan.walks > self.policy.steps

    # -- outcomes: the parts of a decision per distinct outcome ---------------------

    def _keys(self, outputs: list[BoolArray], criteria: list[BoolArray],
              sure: BoolArray) -> tuple[Any, Any]:
        """The distinct outcomes (the outputs, the criteria, the order and, with a date
        per row, the date) of the sure rows: the first row of each, and each row's
        outcome (-1 for an unsure row)."""
        bits = [*outputs, *criteria]
        n = self.n
        order_codes: Any = None
        if self.orders:
            seen: dict[Any, int] = {}
            order_codes = np.array([seen.setdefault(k, len(seen)) for k in self.order_keys],
                                   dtype=np.int64)
        days = self.day_numbers if self.keyed_by_day else None  # (only with orders)
        if len(bits) <= 24 and order_codes is None:
            key = _bit_key(bits, n).astype(np.intp)
            size = 1 << len(bits)
            if not sure.all():
                key[~sure] = size
            first = _first_rows(key, size + 1, n)
            present = first[:size] < n
            remap = np.full(size + 1, -1, dtype=np.intp)
            remap[:size][present] = np.arange(int(present.sum()), dtype=np.intp)
            return first[:size][present], remap[key]
        matrix = np.stack(bits, axis=1) if bits else np.zeros((n, 1), dtype=bool)
        packed = np.packbits(matrix, axis=1)
        for codes in (order_codes, days):
            if codes is not None:
                packed = np.concatenate([packed, codes.astype(np.int64).view(np.uint8)
                                         .reshape(n, 8)], axis=1)
        view = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
        rows = np.flatnonzero(sure)
        _, first, inverse = np.unique(view[rows], return_index=True, return_inverse=True)
        full = np.full(n, -1, dtype=np.int64)
        full[rows] = inverse.ravel()
        return rows[first], full

    def finish(self, result: dict[str, Any]) -> TableDecisions:
        rows: dict[int, dict[str, Any]] = {}
        errors: list[dict[str, Any]] = []
        decided = np.zeros(self.n, dtype=bool)
        table_columns: dict[str, Any] = {}
        if result:
            outputs, criteria = result["outputs"], result["criteria"]
            sure = ~self.unsure
            first, inverse = self._keys(outputs, criteria, sure)
            result["first"] = first
            parts = self._outcomes(first, outputs)
            good = np.array([p is not None for p in parts] + [False], dtype=bool)
            decided = sure & good[inverse]
            self.unsure = ~decided
            table_columns = self._columns(result, parts, inverse, decided)
        per_record = np.flatnonzero(~decided)
        if len(per_record):
            rows, errors = self._per_record(per_record)
        columnar = int(decided.sum())
        decisions = self._assemble(table_columns, decided, rows)
        error_table = pa.Table.from_pylist(errors, schema=ERROR_SCHEMA)
        return TableDecisions(decisions, error_table, self.n, columnar, len(per_record),
                              tuple(self.notes))

    def _outcomes(self, first: Any, outputs: list[BoolArray]) -> list[Any]:
        """The decision's parts for each distinct outcome (given by its first row): by
        per-record ``decide`` on one row per distinct outputs and order (the criteria do
        not change the parts), remembered across calls for the same date and supplier
        state."""
        cache = self.plan.parts
        try:
            context = (self.ignore_validity, _order_key(self.suppliers))
        except _Unkeyed:  # a state of other types: nothing is remembered for it
            context, cache = None, {}
        if len(cache) > 4096:
            cache.clear()
        wanted: dict[Any, int] = {}
        keys = []
        for row in first:
            row = int(row)
            pattern = tuple(bool(o[row]) for o in outputs)
            # (a date per row: the parts differ by date only where keyed so)
            day = self._day(row) if self.day_numbers is None or self.keyed_by_day else None
            key = (day, context, pattern, self.order_keys[row] if self.orders else None)
            keys.append(key)
            if key not in cache:
                wanted.setdefault(key, row)
        if wanted:
            citizens = self._facts(list(wanted.values()))
            for (key, row), facts in zip(wanted.items(), citizens, strict=True):
                cache[key] = self._parts(row, facts, list(key[2]))
        parts = [cache[key] for key in keys]
        for k, part in enumerate(parts):
            # an outcome whose supplier is each row's own needs this batch's selection
            if part is not None and part[3] is _PER_ROW and part[2] not in self.selections:
                self._per_record_area(part[2])
                parts[k] = None
        return parts

    def _per_record_area(self, area: str) -> None:
        note = (f"service area `{area}` chooses its supplier from each citizen's facts: its "
                "citizens were decided per record")
        if note not in self.notes:
            self.notes.append(note)

    def _day(self, row: int) -> date:
        """The decision date of ``row``."""
        return self.days[row] if self.days is not None else self.on

    def _parts(self, row: int, facts: dict[str, Any], outputs: list[bool]) -> Any:
        """The decision of one row, per record; None if it does not agree with the
        columnar outputs (then every row of its outcome is decided per record)."""
        order = self.orders[row] if self.orders else None
        try:
            decision = self.policy.decide(facts, self._day(row), order=order,
                                          suppliers=self.suppliers,
                                          ignore_validity=self.ignore_validity)
        except (FactError, EvaluationError):
            return None
        groups = set(decision.target_groups)
        fitting = set(decision.areas)
        expected = [g in groups for g in self.policy.groups] + \
            [a in fitting for a in self.policy.areas]
        chosen = self.policy.graph.areas.get(decision.area) if decision.area else None
        per_row = False
        if chosen is not None and (chosen.distance is not None or chosen.only is not None):
            # the supplier depends on this citizen's facts (nearest, only): each row's own
            # (this batch's selection; without one, :meth:`_outcomes` sends the rows per
            # record), unless the citizen's own choice is honoured, which the order and
            # the state decide alike for every row of the outcome
            choice = decision.supplier_choice
            per_row = choice is None or choice.method != "citizen_choice"
        if expected != [bool(x) for x in outputs]:
            self.notes.append(f"row {self.first_row + row}: the per-record decision and the "
                              "columnar outputs disagree (UDB704); its outcome was decided "
                              "per record")
            return None
        summary = _summary(decision)
        return (*summary[:3], _PER_ROW, *summary[4:]) if per_row else summary

    def _suppliers(self, filled: list[Any], keys: Any, idx: Any) -> pa.Array:
        """The supplier column: each outcome's supplier, or each row's own where the area
        chooses it from the citizen's facts (``keys``: the outcome of each row ``idx``)."""
        marked = [p[3] is _PER_ROW for p in filled]
        if not any(marked):
            return _texts([p[3] for p in filled], keys)
        areas = self.plan.graph.areas
        chosen: dict[str, list[int]] = {}  # an area: its outcomes with a supplier per row
        for k, (part, per_row) in enumerate(zip(filled, marked, strict=True)):
            if per_row:
                chosen.setdefault(part[2], []).append(k)
        shared = [p[3] for p, per_row in zip(filled, marked, strict=True)
                  if not per_row and p[3] is not None]
        words = list(dict.fromkeys([*shared, *(s.id for name in chosen
                                               for s in areas[name].suppliers)]))
        place = {w: i for i, w in enumerate(words)}
        codes = np.array([-1 if per_row or p[3] is None else place[p[3]]
                          for p, per_row in zip(filled, marked, strict=True)],
                         dtype=np.int32)[keys]
        for name, outcomes in chosen.items():
            rows = np.isin(keys, outcomes)
            ids = np.array([place[s.id] for s in areas[name].suppliers] + [-1], dtype=np.int32)
            codes[rows] = ids[self.selections[name][idx[rows]]]
        indices = pa.array(codes, type=pa.int32(), mask=codes < 0)
        return pa.DictionaryArray.from_arrays(indices, pa.array(words, type=pa.string()))

    def _facts(self, rows: Sequence[int]) -> list[Any]:
        if self.records is not None:  # the facts as given
            return [self.records[row] for row in rows]
        if not self.fact_columns:  # (Arrow takes no rows of a table without columns)
            return [{} for _ in rows]
        picked = self.table.select(self.fact_columns).take(pa.array(rows, type=pa.int64()))
        return rows_of(picked)  # (each decimal in its shortest form)

    def _columns(self, result: dict[str, Any], parts: list[Any], inverse: Any,
                 decided: BoolArray) -> dict[str, Any]:
        """The decision columns of the rows decided columnar: each a value per outcome,
        spread to the rows by their outcome (text as dictionary arrays)."""
        idx = np.flatnonzero(decided)
        keys = inverse[idx] if len(idx) < len(inverse) else inverse
        filled = [p if p is not None else _EMPTY for p in parts] or [_EMPTY]
        out: dict[str, Any] = {"row": pa.array(idx + self.first_row, type=pa.int64())}
        wanted = self.columns
        if "eligible" in wanted:
            out["eligible"] = pa.array(np.array([p[0] for p in filled], dtype=bool)[keys],
                                       type=pa.bool_())
        if "target_groups" in wanted:
            out["target_groups"] = _lists([p[1] for p in filled], keys)
        for k, name in ((2, "area"), (3, "supplier"), (4, "package"), (5, "package_status")):
            if name in wanted:
                out[name] = _texts([p[k] for p in filled], keys) if name != "supplier" \
                    else self._suppliers(filled, keys, idx)
        if "failed" in wanted:
            # the outcome holds the criteria: the failed criteria are one list per outcome
            crit = result["criteria"]
            names = self.plan.criteria
            failed = [[n for n, c in zip(names, crit, strict=True) if not c[row]]
                      for row in result["first"]] or [[]]
            out["failed"] = _lists(failed, keys)
        for name, value in result["values"].items():
            out[name] = _to_arrow(value, len(idx), idx, self.policy.graph.nodes[name].type)
        return out

    def _per_record(self, rows: Any) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
        out: dict[int, dict[str, Any]] = {}
        errors: list[dict[str, Any]] = []
        facts = self._facts([int(r) for r in rows])
        for row, citizen in zip(rows, facts, strict=True):
            row = int(row)
            ident = self.ids[row] if self.ids is not None else None
            order = self.orders[row] if self.orders else None
            if row in self.bad_ids:
                errors.append(_error(self.first_row + row, None, "id", "UDB602",
                                     not_unicode(self.bad_ids[row])))
                continue
            on = self._day(row)
            try:
                decision = self.policy.decide(citizen, on, order=order,
                                              suppliers=self.suppliers,
                                              ignore_validity=self.ignore_validity)
            except FactError as error:
                errors += [_error(self.first_row + row, ident, p.path, p.code, p.described)
                           for p in error.problems]
                continue
            except EvaluationError as error:
                errors.append(_error(self.first_row + row, ident, error.path or "", error.code,
                                     error.message))
                continue
            summary = _summary(decision)
            record = dict(zip(("eligible", "target_groups", "area", "supplier", "package",
                               "package_status"), summary, strict=True))
            if "failed" in self.columns:  # (the reasons cost more than the decision)
                record["failed"] = tuple(r.id for r in decision.reasons
                                         if r.kind == "criterion" and r.met is False)
            for name in self.values:
                try:
                    value = _python_value(
                        self.policy.node_value(name, decision.facts, on))
                except EvaluationError as error:  # the value's column, then where it failed
                    record[name] = None
                    errors.append(_error(self.first_row + row, ident, name, error.code,
                                         f"{error.path}: {error.message}" if error.path
                                         else error.message))
                    continue
                value, problem = _storable(value)
                if problem is not None:
                    errors.append(_error(self.first_row + row, ident, name, "UDB705",
                                         problem))
                record[name] = value
            out[row] = record
        return out, errors

    def _assemble(self, columns: dict[str, Any], decided: BoolArray,
                  rows: dict[int, dict[str, Any]]) -> pa.Table:
        graph = self.policy.graph
        names = [*self.columns, *self.values]
        types = {**_TYPES, "row": pa.int64(),
                 **{v: _arrow_of(graph.nodes[v].type) for v in self.values}}
        parts = []
        if columns:
            parts.append(pa.table({k: columns[k] for k in names},
                                  schema=pa.schema([(k, types[k]) for k in names])))
        if rows:
            order = sorted(rows)
            data: dict[str, Any] = {"row": [r + self.first_row for r in order]}
            for k in names[1:]:
                data[k] = [_python_value(rows[r][k]) for r in order]
            if "failed" in data:
                data["failed"] = [list(rows[r]["failed"]) for r in order]
            parts.append(pa.table({k: _plain_array(data[k], types[k]) for k in names}))
        if not parts:
            table = pa.table({k: _plain_array([], types[k]) for k in names})
        elif len(parts) == 1:
            table = parts[0]
        else:
            table = pa.concat_tables(parts).sort_by("row")
        if self.ids is not None:
            index = np.asarray(table.column("row").to_numpy(), dtype=np.int64) - self.first_row
            ids = pa.array(self.ids, type=pa.string()).take(pa.array(index))
            table = table.add_column(1, "id", ids)
        return table


#: Texts of the decisions are dictionary-encoded: a few distinct values over many rows.
TEXT = pa.dictionary(pa.int32(), pa.string())
TEXTS = pa.list_(TEXT)
_TYPES: dict[str, pa.DataType] = {
    "eligible": pa.bool_(), "target_groups": TEXTS, "area": TEXT, "supplier": TEXT,
    "package": TEXT, "package_status": TEXT, "failed": TEXTS,
}


def _bit_key(bits: list[BoolArray], n: int) -> Any:
    """Each row's bits (at most 24) as one number: bit i is ``bits[i]``."""
    width = np.uint16 if len(bits) <= 16 else np.int32
    key: Any = np.zeros(n, dtype=width)
    shifted = np.empty(n, dtype=width)
    for i, bit in enumerate(bits):
        np.left_shift(bit.view(np.uint8), i, out=shifted, dtype=width)
        np.bitwise_or(key, shifted, out=key)
    return key


def _first_rows(key: Any, size: int, n: int) -> Any:
    """Each key's first row (``n`` where it does not occur), for keys below ``size``: the
    rows scattered in reverse (the first row is written last), over a prefix of the rows
    that grows until every key that occurs has been seen. A population's outcomes mostly
    appear early, and a scatter over every row was the slowest step (0.26 against 0.81 ms
    for 200,000 rows of 32 outcomes)."""
    occurring = int(np.count_nonzero(np.bincount(key, minlength=size)))
    m = 4096
    while True:
        window = key[:m]
        first = np.full(size, n, dtype=np.intp)
        first[window[::-1]] = np.arange(len(window) - 1, -1, -1, dtype=np.intp)
        if m >= n or int(np.count_nonzero(first < n)) == occurring:
            return first
        m *= 8


#: The supplier of an outcome whose rows each have their own (``_Run.selections``).
_PER_ROW = object()


def _texts(per_key: list[str | None], keys: Any) -> pa.Array:
    """A dictionary array of one text (or null) per outcome, spread to the rows."""
    words = list(dict.fromkeys(w for w in per_key if w is not None))
    if not words:  # e.g. no service area: null for every row
        return pa.nulls(len(keys), TEXT)
    codes = np.array([words.index(w) if w is not None else -1 for w in per_key],
                     dtype=np.int32)[keys]
    indices = pa.array(codes, type=pa.int32(), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(words, type=pa.string()))


def _lists(per_key: list[list[str]], keys: Any) -> pa.Array:
    """A list array of one list of texts per outcome, spread to the rows: Arrow's
    ``take`` of the outcomes' lists (the texts dictionary-encoded) by each row's outcome
    (measured faster than spreading the items by numpy: 17.0 against 20.5 ms for a
    200,000-row peer table); when no list has more than one text (as a policy's target
    groups often are), by numpy: the offsets from the sizes, the one text per row
    (1.6 against 2.6 ms)."""
    if any(len(words) > 1 for words in per_key):
        small = pa.array(per_key, type=pa.list_(pa.string())).cast(TEXTS)
        return small.take(pa.array(keys, type=pa.int64()))
    words = list(dict.fromkeys(w for listed in per_key for w in listed))
    first = np.array([words.index(listed[0]) if listed else -1 for listed in per_key],
                     dtype=np.int32)[keys]
    sizes = (first >= 0).astype(np.int32)
    offsets = np.zeros(len(keys) + 1, dtype=np.int32)
    np.cumsum(sizes, out=offsets[1:])
    values = pa.DictionaryArray.from_arrays(pa.array(first[first >= 0], type=pa.int32()),
                                            pa.array(words, type=pa.string()))
    return pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), values)


_EMPTY: tuple[Any, ...] = (False, [], None, None, None, None)


class _Unkeyed(Exception):
    """An order or supplier state holding a value :func:`_order_key` does not key."""


_NO_KEY = object()


def _order_key(value: Any) -> Any:
    """An order or a supplier state as an exact, hashable key: equal keys are equal to
    ``decide``, down to types and the written form of numbers (``Decimal("0E-30")``, which
    ``decide`` refuses, is not ``Decimal("0.0")``; ``{}`` is not ``[]``; ``True`` is not
    ``1``). :class:`_Unkeyed` for a value of another type (a set, a ``dict`` subclass):
    its rows are decided per record."""
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return (kind.__name__, value)
    if kind is Decimal or kind is float:  # the text keeps the exponent and the sign;
        return (kind.__name__, repr(value))  # a signalling NaN cannot be hashed itself
    if kind is date:
        return ("date", value.toordinal())
    if kind is dict:
        return ("dict", tuple((_order_key(k), _order_key(v)) for k, v in value.items()))
    if kind is list:
        return ("list", tuple(map(_order_key, value)))
    if kind is Order or kind is SupplierState:
        return (kind.__name__, tuple(_order_key(getattr(value, f.name))
                                     for f in fields(value)))
    raise _Unkeyed(kind.__name__)


def _summary(decision: Decision) -> tuple[Any, ...]:
    choice = decision.package_choice
    return (decision.eligible, list(decision.target_groups), decision.area, decision.supplier,
            decision.package, choice.status if choice is not None else None)


def _holds_decimals(kind: pa.DataType) -> bool:
    """Whether a column of ``kind`` holds decimals, at any depth (in lists of any layout,
    records, dictionaries)."""
    if pa.types.is_decimal(kind):
        return True
    if pa.types.is_dictionary(kind):
        return _holds_decimals(kind.value_type)
    return any(_holds_decimals(kind.field(i).type) for i in range(kind.num_fields))


def _shortest(value: Any) -> Any:
    """A row's facts as read from Arrow with each decimal of at most 18 places in its
    shortest form: a ``decimal128(38, 18)`` cell holding 38 is ``38.000000000000000000``;
    ``decide`` and its messages see the 38 a host wrote (the same number). A decimal of a
    finer column is left as it is: ``decide`` refuses a zero of more than 18 places."""
    kind = type(value)
    if kind is Decimal:
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int) or exponent < -MAX_PLACES:
            return value
        whole = value.to_integral_value()  # exact at any size (no rounding context)
        return Decimal(int(whole)) if value == whole else value.normalize(_DIGITS_38)
    if kind is dict:
        return {k: _shortest(v) for k, v in value.items()}
    if kind is list:
        return [_shortest(v) for v in value]
    return value


def _error(row: int, ident: str | None, path: str, code: str, message: str) -> dict[str, Any]:
    return {"row": row, "id": ident, "path": path, "code": code, "message": message}


def value_type(policy: PolicyLike, name: str) -> pa.DataType:
    """The Arrow type of the column ``values=[name]`` adds (KeyError: no such named
    node; ValueError: a value no column holds)."""
    graph = policy.graph
    if name not in graph.nodes:
        raise KeyError(f"the policy has no rule or other named node {name!r}")
    places = sorted(n.lstrip("$") for n in graph.closure([name])
                    if n.startswith("$") and n not in graph.nodes)
    if places:  # `supplier` in a selection, `result` in a result payment's amount, ...
        where = WHERE_KNOWN.get(places[0], "in the place of the policy that gives it")
        raise ValueError(f"values: `{name}` reads `{places[0]}`, which has a value only "
                         f"{where}, not for a decision alone (UDB708): no column holds it")
    kind = graph.nodes[name].type
    try:
        return _arrow_of(kind)
    except Unsupported:
        raise ValueError(f"values: `{name}` is {kind}, which no column holds (a value "
                         "column is true/false, a whole number, a decimal, hours, an "
                         "amount, a date, a choice or text)") from None


def value_columns(policy: PolicyLike, values: Sequence[str]) -> dict[str, pa.DataType]:
    """The Arrow type of each column ``values`` adds, checked before any row is read:
    KeyError for a name the policy does not define, ValueError for a value no column
    holds or a name a decision column has."""
    if isinstance(values, str):
        raise TypeError("values: a list of rule names, not one text")
    types = {}
    for name in values:
        if name in DECISION_COLUMNS or name == "id":
            raise ValueError(f"a value column cannot be named {name!r}: the decisions have "
                             "a column of that name")
        types[name] = value_type(policy, name)
    return types


def _arrow_of(t: Type) -> pa.DataType:
    if t == BOOL:
        return pa.bool_()
    if t == INT:
        return pa.int64()
    if t == DATE:
        return pa.date32()
    if isinstance(t, EnumType) or t == TEXT_TYPE:
        return pa.string()
    if isinstance(t, MoneyType) or t in (DECIMAL, HOURS):
        return pa.decimal128(38, 18)
    raise Unsupported(f"a value of type {t} as a column")


def _decimals(units: Any, scale: int) -> pa.Array:
    """decimal128 values ``units / 10**scale``, built from the int64 units without Python
    numbers: the units are widened to 128 bits and the buffer read at the scale."""
    whole = pa.array(np.ascontiguousarray(units, dtype=np.int64), type=pa.int64()).cast(
        pa.decimal128(38, 0))
    return pa.Array.from_buffers(pa.decimal128(38, scale), len(whole), whole.buffers())


def _plain_array(values: list[Any], kind: pa.DataType) -> pa.Array:
    """An array of Python values of ``kind`` (texts and lists of texts dictionary-encoded)."""
    if kind == TEXT:
        return pa.array(values, type=pa.string()).dictionary_encode()
    if kind == TEXTS:
        return pa.array(values, type=pa.list_(pa.string())).cast(TEXTS)
    return pa.array(values, type=kind)


def _storable(value: Any) -> tuple[Any, str | None]:
    """``value`` as its column holds it exactly (int64, decimal128(38, 18)), or None and why
    it cannot be held."""
    if type(value) is int and abs(value) >= 2**63:
        return None, f"the value {value} is beyond a 64-bit integer column"
    if type(value) is Decimal:
        if not _fits(value):
            return None, (f"the value {value} has more than 18 decimal places or 20 whole "
                          "digits: a decimal128(38, 18) column cannot hold it exactly")
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)  # finite: _fits
        if exponent < -18:
            return value.quantize(_PLACES, context=_DIGITS_38), None  # exact: it fits
        if exponent > 0:  # a whole number written with an exponent (0E+38 from 0 / x)
            return value.quantize(Decimal(1), context=_DIGITS_38), None  # under 10**20
    return value, None


#: The last place of a decimal128(38, 18), and a context that holds its 38 digits (the
#: default one holds 28: quantizing a wider value there raises InvalidOperation).
_PLACES = Decimal(1).scaleb(-18)
_DIGITS_38 = Context(prec=38)


def _fits(value: Decimal) -> bool:
    """Whether a decimal128(38, 18) holds ``value`` exactly."""
    if not value.is_finite() or abs(value) >= Decimal(10) ** 20:
        return False
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return exponent >= -18 or value == value.quantize(_PLACES, context=_DIGITS_38)


def _python_value(value: Any) -> Any:
    from udbudsregler.values.money import Money

    if type(value) is Money:
        return value.amount
    return value


def _to_arrow(value: Any, n: int, idx: Any, t: Type) -> pa.Array:
    kind = _arrow_of(t)
    if not isinstance(value, Col):
        return pa.array([_python_value(value)] * n, type=kind)
    if isinstance(value, Bools):
        return pa.array(value.v[idx], type=pa.bool_())
    if isinstance(value, Dates):
        return pa.array(value.o[idx] - EPOCH, type=pa.int32()).cast(pa.date32())
    if isinstance(value, Cats):
        table = pa.array([*value.values, None], type=pa.string())
        codes = value.c[idx]
        return table.take(pa.array(np.where(codes < 0, len(value.values), codes),
                                   type=pa.int64()))
    if isinstance(value, Num):
        units = value.u if len(idx) == len(value.u) else value.u[idx]
        if kind == pa.int64():
            return pa.array(units, type=pa.int64())
        return _decimals(units, value.scale).cast(kind)
    raise Unsupported(f"a value of type {t} as a column")
