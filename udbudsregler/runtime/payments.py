"""Payments for the time in the service: per day, week or month, or once, with caps.

A payment per week or month counts its weeks or months from the referral's start. A
part week or month is paid as the payment says: in proportion to its days
(``pro_rata_days``: a week's price x days / 7, a month's price x days / the days of
that month), in full once started (``started``, billed on its first day), or only when
whole (``whole``, billed on its last day). The price is read where it may change (the
``from`` dates of the dated parameters it depends on, or every day for a price that
reads ``today``, such as one by the citizen's age): per day and pro rata from the day it
changes, a started or whole unit at the price of its first billed day. Pieces are
split at ``since``, so what was invoiced before is never invoiced again, and where the
citizen changed supplier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from udbudsregler.ir.graph import Payment
from udbudsregler.runtime.program import Program
from udbudsregler.runtime.settlement_records import Referral, SettlementLine
from udbudsregler.semantics.ops import CONTEXT
from udbudsregler.values.money import Money, Rounding
from udbudsregler.values.temporal import MonthEnd, Period, add_months

__all__ = ["Piece", "cap_amount", "piece_lines", "pieces"]

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)


@dataclass
class Piece:
    """A run of billed days, weeks or months at one price.

    ``billed_last`` is the day the piece's last unit is billed on (its first day for
    started units, its last day for whole units; days on the day). A piece never mixes
    units billed before ``since`` with units billed after, nor two suppliers.
    """

    first: date
    last: date
    quantity: int
    #: days | weeks | months
    unit: str
    price: Money
    amount: Decimal
    billed_last: date
    capped: bool = False
    #: What a day's share is divided by for pro rata days: 7 per week, the days of the
    #: month per month, 1 per day.
    divisor: int = 7
    supplier: str | None = None
    #: For weeks and months: billed on a unit's first day (started) or last day (whole).
    started: bool = False

    def billed_on(self, lo: date, hi: date) -> date:
        """The day the unit [lo, hi] of this piece is billed on."""
        if self.unit == "days":
            return hi
        return lo if self.started else hi


def _price_runs(policy: Program, price: str, facts: dict[str, Any], first: date,
                last: date) -> list[tuple[date, date, Money]]:
    """The price in force on each day of [first, last], as runs of one price."""
    if policy.reads_today(price):
        # the price may change on any day (it reads the citizen's age, say): day by day
        days: list[tuple[date, date, Money]] = []
        day = first
        while day <= last:
            value = policy.node_value(price, facts, day)
            if days and days[-1][2] == value:
                days[-1] = (days[-1][0], day, value)
            else:
                days.append((day, day, value))
            day += _DAY
        return days
    changes = sorted(d for d in policy.change_dates(price) if first < d <= last)
    runs = []
    start = first
    for change in [*changes, last + _DAY]:
        runs.append((start, change - _DAY, policy.node_value(price, facts, start)))
        start = change
    return runs


def _month_bounds(start: date, index: int, rule: MonthEnd) -> tuple[date, date]:
    """The first and last day of the ``index``-th month of a referral starting on
    ``start`` (months counted from the referral's start)."""
    return (add_months(start, index, rule), add_months(start, index + 1, rule) - _DAY)


def pieces(policy: Program, payment: Payment, facts: dict[str, Any], start: date,
           first: date, last: date, since: date) -> list[Piece]:
    """Billed units of [first, last] in order, split where the price changes and at since."""
    out: list[Piece] = []
    if last < first:
        return out
    price, per, rule = payment.amount, payment.per, payment.partial
    if per == "day" or rule == "pro_rata_days":
        bounds: list[tuple[date, date, int]]
        if per == "month":
            bounds = []
            index = 0
            while True:
                lo, hi = _month_bounds(start, index, policy.month_end)
                if lo > last:
                    break
                if hi >= first:
                    bounds.append((max(lo, first), min(hi, last), (hi - lo).days + 1))
                index += 1
        else:
            bounds = [(first, last, 1 if per == "day" else 7)]
        for lo_all, hi_all, divisor in bounds:
            for a, b, unit_price in _price_runs(policy, price, facts, lo_all, hi_all):
                # (`since - 1 day` only when days before `since` are billed here: a `since`
                # of 0001-01-01 has no day before it)
                halves = [(a, min(b, since - _DAY))] if since > a else []
                for lo, hi in (*halves, (max(a, since), b)):
                    if lo <= hi:
                        days = (hi - lo).days + 1
                        amount = CONTEXT.multiply(unit_price.amount, Decimal(days))
                        if divisor != 1:
                            amount = CONTEXT.divide(amount, Decimal(divisor))
                        out.append(Piece(lo, hi, days, "days", unit_price, amount, hi,
                                         divisor=divisor))
        return out
    started = rule == "started"
    unit = "weeks" if per == "week" else "months"
    index = (first - start).days // 7 if per == "week" else 0
    while True:
        if per == "week":
            lo, hi = start + index * _WEEK, start + index * _WEEK + 6 * _DAY
        else:
            lo, hi = _month_bounds(start, index, policy.month_end)
        if lo > last:
            break
        index += 1
        if hi < first:
            continue
        whole = lo >= first and hi <= last
        if not (started or whole):
            continue
        billed_on = lo if started else hi
        value = policy.node_value(price, facts, max(lo, first))
        before = billed_on < since
        previous = out[-1] if out else None
        if (previous is not None and previous.price == value and
                (previous.billed_last < since) == before and previous.last + _DAY == lo):
            previous.last = hi
            previous.quantity += 1
            previous.amount = CONTEXT.add(previous.amount, value.amount)
            previous.billed_last = billed_on
        else:
            out.append(Piece(lo, hi, 1, unit, value, value.amount, billed_on,
                             started=started))
    return out


def _steps(piece: Piece, start: date, rule: MonthEnd) -> Callable[[date, int], date]:
    """The day ``n`` units after ``day`` for the piece's unit."""
    if piece.unit == "days":
        return lambda day, n: day + _DAY * n
    if piece.unit == "weeks":
        return lambda day, n: day + _WEEK * n

    def months(day: date, n: int) -> date:
        index = 0
        while add_months(start, index, rule) < day:
            index += 1
        return add_months(start, index + n, rule)
    return months


def cap_amount(pieces: list[Piece], cap: Money, since: date, until: date,
               lines: list[SettlementLine], currency: str, start: date,
               rule: MonthEnd) -> list[Piece]:
    """Cut the periodic payments where their running total reaches the cap.

    The piece that crosses the cap is split: the days, weeks or months it can pay in full,
    then one unit paid in part (marked capped); nothing is paid after it.
    """
    total = Decimal(0)
    kept: list[Piece] = []
    for piece in pieces:
        room = CONTEXT.subtract(cap.amount, total)
        if room <= 0:
            break
        if piece.amount <= room:
            total = CONTEXT.add(total, piece.amount)
            kept.append(piece)
            continue
        step = _steps(piece, start, rule)
        unit_price = (CONTEXT.divide(piece.price.amount, Decimal(piece.divisor))
                      if piece.unit == "days" and piece.divisor != 1 else piece.price.amount)
        whole = int(CONTEXT.divide_int(room, unit_price))
        if whole:
            paid = CONTEXT.multiply(unit_price, Decimal(whole))
            last = step(piece.first, whole) - _DAY
            unit_first = step(piece.first, whole - 1)
            kept.append(replace(piece, last=last, quantity=whole, amount=paid,
                                billed_last=piece.billed_on(unit_first, last)))
            room = CONTEXT.subtract(room, paid)
        if room > 0:
            first = step(piece.first, whole)
            last = step(first, 1) - _DAY
            kept.append(replace(piece, first=first, last=last, quantity=1, amount=room,
                                capped=True, billed_last=piece.billed_on(first, last)))
        reached = kept[-1]
        if since <= reached.last and reached.first <= until:
            lines.append(SettlementLine("cap", "max_amount", Money(0, currency),
                                        Period(reached.first, reached.last),
                                        details=(("cap", cap),)))
        break
    return kept


def by_supplier(found: list[Piece], referral: Referral, start: date,
                rule: MonthEnd) -> list[Piece]:
    """The pieces split where the citizen changed supplier, each with its supplier: a day
    is paid to the supplier of the day, a week or month to the supplier of the day it is
    billed on."""
    out: list[Piece] = []
    for piece in found:
        if piece.unit == "days":
            cuts = [d for d, _ in referral.changes if piece.first < d <= piece.last]
            lo = piece.first
            for cut in [*cuts, piece.last + _DAY]:
                days = (cut - lo).days
                amount = CONTEXT.multiply(piece.price.amount, Decimal(days))
                if piece.divisor != 1:
                    amount = CONTEXT.divide(amount, Decimal(piece.divisor))
                out.append(replace(piece, first=lo, last=cut - _DAY, quantity=days,
                                   amount=amount if cuts else piece.amount,
                                   billed_last=cut - _DAY,
                                   supplier=referral.supplier_on(lo)))
                lo = cut
            continue
        step = _steps(piece, start, rule)
        lo = piece.first
        units: list[Piece] = []
        for _ in range(piece.quantity):
            hi = step(lo, 1) - _DAY
            billed = piece.billed_on(lo, hi)
            units.append(replace(piece, first=lo, last=hi, quantity=1,
                                 amount=piece.price.amount if not piece.capped else piece.amount,
                                 billed_last=billed, supplier=referral.supplier_on(billed)))
            lo = hi + _DAY
        # the units of one piece go together again where their supplier is the same; never
        # with another piece's (the pieces are split at `since`: a run across it would be
        # invoiced again in the next invoice)
        merged: list[Piece] = []
        for unit in units:
            previous = merged[-1] if merged else None
            if (previous is not None and previous.supplier == unit.supplier
                    and previous.price == unit.price and previous.unit == unit.unit
                    and previous.last + _DAY == unit.first and not previous.capped):
                previous.last = unit.last
                previous.quantity += 1
                previous.amount = CONTEXT.add(previous.amount, unit.amount)
                previous.billed_last = unit.billed_last
            else:
                merged.append(unit)
        out += merged
    return out


def piece_lines(found: list[Piece], payment: Payment, since: date, rounding: Rounding,
                currency: str) -> list[SettlementLine]:
    """The invoice lines of the pieces billed from ``since`` on."""
    lines = []
    for piece in found:
        if piece.billed_last < since:  # invoiced before
            continue
        amount = rounding.apply(piece.amount)
        if payment.legacy:
            reason = {"pro_rata_days": "pro_rata_days", "started": "started_weeks",
                      "whole": "whole_weeks"}[payment.partial]
            lines.append(SettlementLine(
                "weekly", reason, Money(amount, currency), Period(piece.first, piece.last),
                piece.quantity, piece.unit, piece.price, piece.capped,
                supplier=piece.supplier))
            continue
        details: tuple[tuple[str, Any], ...] = (
            ("title", payment.title), ("per", payment.per), ("partial", payment.partial))
        if piece.unit == "days" and payment.per == "month":
            details += (("month_days", piece.divisor),)
        lines.append(SettlementLine(
            "payment", payment.id, Money(amount, currency), Period(piece.first, piece.last),
            piece.quantity, piece.unit, piece.price, piece.capped, details,
            supplier=piece.supplier))
    return lines
