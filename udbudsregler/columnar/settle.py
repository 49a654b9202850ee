"""``settle_table``: the settlement of many referrals at once (monthly invoicing).

Referrals come as an Arrow table (or a DataFrame): ``id``, ``start``, ``package`` and,
optionally, the other fields of a referral (``supplier``, ``area``, ``stop``,
``supplier_changes``, ...; a null cell is a field left out); outcomes as a long table keyed by the
referral's id (column ``referral``): ``kind``, ``from``, ``to``. The answer has three
tables: every settlement line (Decimal amounts: ``decimal128``), a total per referral,
and the referrals that could not be settled with their problems (path and code, as
``settle`` reports them).

Each referral is settled by ``settle`` itself, so each total is, by construction, the
per-referral one: settlement is a sequence of dated pieces per referral (price periods,
caps, bonus windows), and a referral's pieces depend on each other; the batch groups the
outcomes by referral with Arrow and writes Arrow, and spreads over machines as
``decide_table`` does (a partition of referrals with their outcomes). The rate is
that of ``settle`` (see ``benchmarks/population.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any, Protocol

import pyarrow as pa

from udbudsregler.columnar.table import (
    ERROR_SCHEMA,
    _check_column_names,
    _storable,
    rows_of,
    to_arrow,
    values_of,
)
from udbudsregler.diagnostics import EvaluationError, FactError
from udbudsregler.runtime.input_models import GENERIC
from udbudsregler.runtime.schemas import as_call_date
from udbudsregler.values.limits import shown, valid_text

__all__ = ["LINE_SCHEMA", "TOTAL_SCHEMA", "TableSettlements", "settle_table"]

_AMOUNT = pa.decimal128(38, 18)
LINE_SCHEMA = pa.schema([
    ("row", pa.int64()), ("id", pa.string()), ("kind", pa.string()), ("reason", pa.string()),
    ("from", pa.date32()), ("to", pa.date32()), ("quantity", pa.int64()),
    ("unit", pa.string()), ("unit_price", _AMOUNT), ("amount", _AMOUNT),
    ("capped", pa.bool_()), ("supplier", pa.string()),
])
TOTAL_SCHEMA = pa.schema([
    ("row", pa.int64()), ("id", pa.string()), ("total", _AMOUNT), ("lines", pa.int64()),
    ("end_cause", pa.string()), ("last_day", pa.date32()),
])


class Settles(Protocol):
    def settle(self, referral: Any, outcomes: Any = None, *, until: date | str,
               since: date | str | None = None, ignore_validity: bool = False) -> Any: ...


@dataclass
class TableSettlements:
    #: Every line of every settled referral, in the referrals' order.
    lines: pa.Table
    #: One row per settled referral: its total and how the referral ends.
    totals: pa.Table
    #: One row per problem of a referral that could not be settled.
    errors: pa.Table


_REQUIRED = ("id", "start", "package")
#: The fields of a referral (a column of that name is one, whatever else it gives).
_FIELDS = frozenset(f.alias or name for name, f in GENERIC.referral.model_fields.items())


def _id_text(value: Any) -> str | None:
    """A referral id as ``settle`` reads it (text, or a whole number as text); None for
    none (a null, or a value ``settle`` refuses: no referral has it)."""
    if type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    return None


def _grouped(outcomes: pa.Table | None, key: str) -> dict[str | None, list[Any]]:
    """The outcomes of each referral id (as :func:`_id_text` gives it), in the table's
    order; an outcome keyed by null belongs to no referral. A ``ValueError`` for an
    outcome keyed by a value that is no referral id (a float, a true/false)."""
    if outcomes is None or outcomes.num_rows == 0:
        return {}
    _check_column_names(outcomes, "settle_table: the outcomes' table")
    if key not in outcomes.column_names:
        raise KeyError(f"settle_table: the outcomes have no column {key!r} (each outcome's "
                       f"referral id; key= names another)")
    keys = values_of(outcomes.column(key))  # (text that is not UTF-8, far dates: see there)
    records = rows_of(outcomes.select([c for c in outcomes.column_names if c != key]))
    out: dict[str | None, list[Any]] = {}
    for row, (value, record) in enumerate(zip(keys, records, strict=True)):
        referral = _id_text(value)
        if referral is not None:
            out.setdefault(referral, []).append(record)
        elif value is not None:
            # no referral has this id, and none is named: the outcome would be left out
            # of its referral's settlement, silently (pandas makes whole numbers with a
            # missing one floats: 1.0 is not the referral 1)
            raise ValueError(
                f"settle_table: outcome {row} has the referral id {shown(repr(value), 60)} "
                f"({type(value).__name__}) in the column {key!r}; a referral id is text or "
                "a whole number (give the column as text or integers)")
    return out


def _day(value: Any, referral: Mapping[str, Any]) -> Any:
    if isinstance(value, str) and value in referral:
        return referral[value]
    return value


def _as_day(value: Any) -> date | None:
    """``value`` as a day if ``settle`` reads it as one (``until``, ``since``); None
    otherwise (the row's settlement refuses it)."""
    return as_call_date(value, "")[0]


def _check_windows(ids: list[Any], rows: list[dict[str, Any]], until: date | str,
                   since: date | str | None, first_row: int) -> None:
    """A ``ValueError`` for two rows of one referral whose invoiced days overlap (the
    days from ``since``, or the start, to ``until``): each would be paid the lines of
    those days, and the referral's outcomes, twice. One referral in two rows of windows
    apart (January and February, ``until`` and ``since`` columns) is invoiced for each."""
    windows: dict[str, list[tuple[date, date, int]]] = {}
    for index, (value, row) in enumerate(zip(ids, rows, strict=True)):
        ident = _id_text(value)
        last = _as_day(_day(until, row))
        if ident is None or last is None:
            continue  # no referral, or a row settle refuses
        first = date.min if since is None else _as_day(_day(since, row))
        if first is None:
            continue
        windows.setdefault(ident, []).append((first, last, index))
    for ident, days in windows.items():
        days.sort()
        for (_, last, a), (first, _, b) in pairwise(days):
            if first <= last:
                raise ValueError(
                    f"settle_table: rows {first_row + min(a, b)} and {first_row + max(a, b)} "
                    f"are both the referral {shown(repr(ident), 60)} and invoice days in "
                    "common: each would be paid twice (give a referral once, or in windows "
                    "that do not overlap)")


def settle_table(policy: Settles, referrals: Any, outcomes: Any = None, *,
                 until: date | str, since: date | str | None = None, key: str = "referral",
                 first_row: int = 0, ignore_validity: bool = False) -> TableSettlements:
    """Settle every referral of ``referrals`` up to ``until`` (invoicing from ``since``):
    each a date, or the name of a column of ``referrals`` holding one per referral.
    ``outcomes`` is a long table whose column ``key`` holds the referral's id."""
    table = to_arrow(referrals, "settle_table")
    # two columns of one name: a row would keep one of them (the last), silently
    _check_column_names(table, "settle_table: the referrals' table")
    # a column that gives the dates is not a field of the referral, unless it is one
    # (`until="stop"`: the referral's last day is also the last day invoiced)
    names = [c for c in table.column_names if c not in (until, since) or c in _FIELDS]
    rows = rows_of(table)
    ids = values_of(table.column("id")) if "id" in table.column_names else [None] * len(rows)
    _check_windows(ids, rows, until, since, first_row)
    grouped = _grouped(to_arrow(outcomes, "settle_table") if outcomes is not None else None,
                       key)
    lines: list[dict[str, Any]] = []
    totals: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        number = first_row + index
        ident = None if ids[index] is None else str(ids[index])
        if ident is not None and not valid_text(ident):
            ident = None  # text that was not UTF-8: no output writes it (settle refuses it)
        # a null cell is a field left out (the id, start and package are always given)
        referral = {k: row[k] for k in names if row[k] is not None or k in _REQUIRED}
        try:
            settlement = policy.settle(referral, grouped.get(_id_text(ids[index]), []),
                                       until=_day(until, row), since=_day(since, row),
                                       ignore_validity=ignore_validity)
        except FactError as error:
            errors += [{"row": number, "id": ident, "path": p.path, "code": p.code,
                        "message": p.described} for p in error.problems]
            continue
        except EvaluationError as error:
            errors.append({"row": number, "id": ident, "path": error.path or "",
                           "code": error.code, "message": error.message})
            continue
        # every amount a decimal128 column holds: a line's unit price too (a price from a
        # division, `monthly / 3`, has 34 digits: no decimal128(38, 18) holds it exactly)
        amounts = [line.amount.amount for line in settlement.lines] + [settlement.total] + [
            line.unit_price.amount for line in settlement.lines if line.unit_price is not None]
        problem = next((why for _, why in map(_storable, amounts) if why is not None), None)
        if problem is not None:
            errors.append({"row": number, "id": ident, "path": "", "code": "UDB705",
                           "message": problem})
            continue
        for line in settlement.lines:
            period = line.period
            lines.append({
                "row": number, "id": ident, "kind": line.kind, "reason": line.reason,
                "from": period.start if period is not None else None,
                "to": period.end if period is not None else None,
                "quantity": line.quantity, "unit": line.unit or None,
                "unit_price": line.unit_price.amount if line.unit_price is not None else None,
                "amount": line.amount.amount, "capped": line.capped,
                # the supplier paid, when the citizen changed supplier during the referral
                "supplier": line.supplier})
        totals.append({"row": number, "id": ident, "total": settlement.total,
                       "lines": len(settlement.lines), "end_cause": settlement.end.cause,
                       "last_day": settlement.end.last_day})
    return TableSettlements(pa.Table.from_pylist(lines, schema=LINE_SCHEMA),
                            pa.Table.from_pylist(totals, schema=TOTAL_SCHEMA),
                            pa.Table.from_pylist(errors, schema=ERROR_SCHEMA))
