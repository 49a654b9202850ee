"""Typing rules of the operators: which operand types each accepts, and the result.

Each rule returns the result type, or a :class:`Mismatch` saying what is wrong
(the checker turns it into a located diagnostic with a hint).
"""

from __future__ import annotations

from dataclasses import dataclass

from udbudsregler.semantics.types import (
    BOOL,
    DATE,
    DECIMAL,
    ERROR,
    HOURS,
    INT,
    PERIOD,
    TEXT,
    DurationType,
    EnumType,
    ListType,
    MoneyType,
    SetType,
    Type,
    comparable_durations,
    is_numeric,
    join,
)

__all__ = ["Mismatch", "arithmetic", "compare", "membership", "needs_month_end", "negate"]


@dataclass(frozen=True)
class Mismatch:
    code: str
    message: str
    hint: str | None = None


def _unit_hint(a: Type, b: Type) -> str | None:
    """A hint for comparing a quantity with a bare number: `15` instead of `15 hours`."""
    for quantity, other in ((a, b), (b, a)):
        if not is_numeric(other):
            continue
        if quantity == HOURS:
            return "write the number with its unit, e.g. `15 hours`"
        if isinstance(quantity, MoneyType):
            return f"write the amount with its currency, e.g. `1850 {quantity.currency}`"
        if isinstance(quantity, DurationType):
            return "write the number with its unit, e.g. `5 years` or `30 days`"
    return None


def _cannot(op: str, a: Type, b: Type) -> Mismatch:
    return Mismatch("UDB403", f"`{op}` cannot combine {a.describe()} and {b.describe()}",
                    _unit_hint(a, b))


def _duration_kind(a: DurationType, b: DurationType) -> str:
    kinds = {"days" if k == "span" else k for k in (a.kind, b.kind)}
    if kinds == {"days"}:
        return "days"
    if kinds == {"months"}:
        return "months"
    return "calendar"


def compare(op: str, a: Type, b: Type) -> Type | Mismatch:
    """``==`` ``!=`` ``<`` ``<=`` ``>`` ``>=``."""
    if a == ERROR or b == ERROR:
        return BOOL
    if isinstance(a, DurationType) and isinstance(b, DurationType):
        if comparable_durations(a, b):
            return BOOL
        return Mismatch("UDB408", f"`{op}` cannot compare {a.describe()} with {b.describe()}")
    if isinstance(a, EnumType) and isinstance(b, EnumType):
        if op not in ("==", "!="):
            return Mismatch("UDB403", f"choices have no order; `{op}` cannot compare them",
                            "compare with `==` or `in`")
        if a.same_choice(b):
            return BOOL
        return Mismatch("UDB417", f"`{op}` compares values of different choices: "
                        f"{a.describe()} and {b.describe()}")
    if op in ("==", "!="):
        if is_numeric(a) and is_numeric(b):
            return BOOL
        if a == b and a in (BOOL, TEXT, DATE, PERIOD, HOURS):
            return BOOL
        if isinstance(a, MoneyType) and isinstance(b, MoneyType):
            return BOOL if a == b else _currency(a, b)
        return Mismatch("UDB403", f"`{op}` cannot compare {a.describe()} with {b.describe()}",
                        _unit_hint(a, b))
    if is_numeric(a) and is_numeric(b):
        return BOOL
    if a == b and a in (DATE, HOURS):
        return BOOL
    if isinstance(a, MoneyType) and isinstance(b, MoneyType):
        return BOOL if a == b else _currency(a, b)
    if a == b and a in (TEXT, BOOL, PERIOD):
        return Mismatch("UDB403", f"{a.describe()} has no order; `{op}` cannot compare it",
                        "compare with `==` or `!=`")
    return Mismatch("UDB403", f"`{op}` cannot compare {a.describe()} with {b.describe()}",
                    _unit_hint(a, b))


def _currency(a: MoneyType, b: MoneyType) -> Mismatch:
    return Mismatch("UDB412", f"amounts in {a.currency} and {b.currency} cannot be combined")


def membership(a: Type, b: Type) -> Type | Mismatch:
    """``a in b``: an element of a list or set, or a date inside a period."""
    if a == ERROR or b == ERROR:
        return BOOL
    if a == DATE and b == PERIOD:
        return BOOL
    if isinstance(b, (ListType, SetType)):
        if join(a, b.elem) is not None and (not isinstance(a, EnumType) or
                                             not isinstance(b.elem, EnumType) or
                                             a.same_choice(b.elem)):
            return BOOL
        if isinstance(a, EnumType) and isinstance(b.elem, EnumType):
            return Mismatch("UDB417", f"`in` looks for {a.describe()} among "
                            f"{b.elem.describe()}")
        return Mismatch("UDB403", f"`in` cannot look for {a.describe()} in {b.describe()}")
    return Mismatch("UDB403", f"`in` needs a list, a set or a period on its right, "
                    f"not {b.describe()}",
                    "write e.g. `kind in {virksomhedspraktik, loentilskud}`")


def arithmetic(op: str, a: Type, b: Type) -> Type | Mismatch:
    """``+`` ``-`` ``*`` ``/``."""
    if a == ERROR or b == ERROR:
        return ERROR
    if is_numeric(a) and is_numeric(b):
        if op == "/":
            return DECIMAL
        return INT if a == INT and b == INT else DECIMAL
    if op in ("+", "-"):
        if isinstance(a, MoneyType) and isinstance(b, MoneyType):
            return a if a == b else _currency(a, b)
        if a == HOURS and b == HOURS:
            return HOURS
        if a == DATE and isinstance(b, DurationType):
            return DATE
        if op == "+" and isinstance(a, DurationType) and b == DATE:
            return DATE
        if op == "-" and a == DATE and b == DATE:
            return DurationType("days")
        if isinstance(a, DurationType) and isinstance(b, DurationType):
            return DurationType(_duration_kind(a, b))
        if a == TEXT and b == TEXT and op == "+":
            return TEXT
        return _cannot(op, a, b)
    if op == "*":
        for x, y in ((a, b), (b, a)):
            if isinstance(x, MoneyType) and is_numeric(y):
                return x
            if x == HOURS and is_numeric(y):
                return HOURS
            if isinstance(x, DurationType) and y == INT:
                return DurationType("days" if x.kind == "span" else x.kind)
        return _cannot(op, a, b)
    # division
    if isinstance(a, MoneyType):
        if is_numeric(b):
            return a
        if isinstance(b, MoneyType):
            return DECIMAL if a == b else _currency(a, b)
    if a == HOURS:
        if is_numeric(b):
            return HOURS
        if b == HOURS:
            return DECIMAL
    return _cannot(op, a, b)


def negate(a: Type) -> Type | Mismatch:
    if a in (ERROR, HOURS) or is_numeric(a) or isinstance(a, MoneyType):
        return a
    if isinstance(a, DurationType):
        return DurationType("days") if a.kind == "span" else a
    return Mismatch("UDB403", f"`-` cannot negate {a.describe()}")


def needs_month_end(op: str, a: Type, b: Type) -> bool:
    """Whether this operation depends on the month-end rule (months added to a date, or an
    exact comparison of a period's length with months)."""
    def months(t: Type) -> bool:
        return isinstance(t, DurationType) and t.kind in ("months", "calendar")

    if op in ("+", "-") and DATE in (a, b) and (months(a) or months(b)):
        return True
    if op in ("<", "<=", ">", ">=", "==", "!="):
        span = DurationType("span")
        return (a == span and months(b)) or (b == span and months(a))
    return False
