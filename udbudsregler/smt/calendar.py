"""The calendar in linear integer arithmetic: dates as day numbers, by the policy's rules.

A date is its proleptic Gregorian day number (``date.toordinal()``). Month
arithmetic and ages need the year, month and day of a day number: each
decomposition introduces three fresh integers and the constraint that ties them
to the day number (:meth:`Calendar.ymd`), so the solver works in linear integer
arithmetic with division by constants only.

The decomposition is exact for the years :data:`FIRST_YEAR` to :data:`LAST_YEAR`
(1801 to 2300): the host's dates are limited to 1850-2200
(:data:`udbudsregler.values.limits.EARLIEST`/``LATEST``), and the encoder refuses
month arithmetic of more than :data:`MAX_SHIFT_YEARS` years, so every date it
decomposes lies in that range. The leap years are the Gregorian ones (1900, 2100 and
2200 are not leap years, 2000 is). :func:`month_shift` follows
:func:`udbudsregler.values.temporal.add_months`; :func:`age` follows
:func:`udbudsregler.values.temporal.age`, both for ``clamp`` and ``roll``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import z3

__all__ = ["FIRST_YEAR", "LAST_YEAR", "MAX_SHIFT_YEARS", "Calendar", "ordinal_of"]

FIRST_YEAR = 1801
LAST_YEAR = 2300
#: The longest month arithmetic the encoder accepts (inputs 1850-2200 stay in range).
MAX_SHIFT_YEARS = 49
_DAYS_BEFORE_MONTH = (0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
LOW = date(FIRST_YEAR, 1, 1).toordinal()
HIGH = date(LAST_YEAR, 12, 31).toordinal()

Int = Any  # z3.ArithRef (z3 has no type stubs)
Bool = Any  # z3.BoolRef


def ordinal_of(d: date) -> int:
    return d.toordinal()


def _leap(y: Int) -> Bool:
    return z3.And(y % 4 == 0, y != 1900, y != 2100, y != 2200)


def _century(y: Int) -> Int:
    """(y-1)//100 - (y-1)//400 for the years 1801 to 2300."""
    return z3.If(y <= 1900, 14, z3.If(y <= 2100, 15, z3.If(y <= 2200, 16, 17)))


def _days_before_month(m: Int) -> Int:
    out: Int = z3.IntVal(_DAYS_BEFORE_MONTH[12])
    for month in range(11, 0, -1):
        out = z3.If(m == month, _DAYS_BEFORE_MONTH[month], out)
    return out


def days_in_month(y: Int, m: Int) -> Int:
    return z3.If(m == 2, z3.If(_leap(y), 29, 28),
                 z3.If(z3.Or(m == 4, m == 6, m == 9, m == 11), 30, 31))


def ordinal(y: Int, m: Int, d: Int) -> Int:
    """The day number of a year, month and day (years 1801 to 2300)."""
    return (365 * (y - 1) + (y - 1) / 4 - _century(y) + _days_before_month(m)
            + z3.If(z3.And(m > 2, _leap(y)), 1, 0) + d)


class Calendar:
    """Decompositions of day numbers, each introduced once, with their constraints in
    ``defs`` (which every query asserts)."""

    def __init__(self, rule: str, prefix: str = "cal") -> None:
        self.rule = rule
        self.prefix = prefix
        self.defs: list[Bool] = []
        self._ymd: dict[Any, tuple[Int, Int, Int]] = {}
        self._count = 0

    def fresh(self, name: str) -> Int:
        self._count += 1
        return z3.Int(f"{self.prefix}.{name}.{self._count}")

    def ymd(self, n: Int) -> tuple[Int, Int, Int]:
        key = n.get_id() if hasattr(n, "get_id") else n
        found = self._ymd.get(key)
        if found is not None:
            return found
        if isinstance(n, int) or z3.is_int_value(n):
            value = date.fromordinal(n if isinstance(n, int) else n.as_long())
            out = (z3.IntVal(value.year), z3.IntVal(value.month), z3.IntVal(value.day))
        else:
            y, m, d = self.fresh("y"), self.fresh("m"), self.fresh("d")
            self.defs += [y >= FIRST_YEAR, y <= LAST_YEAR, m >= 1, m <= 12, d >= 1,
                          d <= days_in_month(y, m),
                          z3.Implies(z3.And(n >= LOW, n <= HIGH), ordinal(y, m, d) == n)]
            out = (y, m, d)
        self._ymd[key] = out
        return out

    def month_shift(self, n: Int, months: int) -> Int:
        """``n`` plus ``months`` calendar months by the month-end rule."""
        if months == 0:
            return n
        y, m, d = self.ymd(n)
        t = m - 1 + months
        y2 = z3.simplify(y + t / 12)
        m2 = z3.simplify(t % 12 + 1)
        last = days_in_month(y2, m2)
        rolled = 1 if self.rule == "roll" else 0
        return z3.If(d > last, ordinal(y2, m2, last) + rolled, ordinal(y2, m2, d))

    def shift(self, n: Int, months: int, days: int) -> Int:
        """``n`` plus a duration: the months first, then the days."""
        return self.month_shift(n, months) + days

    def age(self, birth: Int, on: Int) -> Int:
        """Full years from ``birth`` to ``on`` (defined when ``on >= birth``)."""
        by, bm, bd = self.ymd(birth)
        ty, tm, td = self.ymd(on)
        feb29 = z3.And(bm == 2, bd == 29, z3.Not(_leap(ty)))
        if self.rule == "clamp":
            bm2, bd2 = bm, z3.If(feb29, 28, bd)
        else:
            bm2, bd2 = z3.If(feb29, 3, bm), z3.If(feb29, 1, bd)
        before = z3.Or(tm < bm2, z3.And(tm == bm2, td < bd2))
        return ty - by - z3.If(before, 1, 0)

    def year(self, n: Int) -> Int:
        return self.ymd(n)[0]

    def month(self, n: Int) -> Int:
        return self.ymd(n)[1]

    def start_of_month(self, n: Int) -> Int:
        return n - self.ymd(n)[2] + 1

    def end_of_month(self, n: Int) -> Int:
        y, m, d = self.ymd(n)
        return n - d + days_in_month(y, m)
