"""The values of literals, and the sum of no values of a type."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from udbudsregler.expr import ast as A
from udbudsregler.semantics.types import DECIMAL, HOURS, INT, DurationType, MoneyType, Type
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration

__all__ = ["literal_value", "zero_of"]


def zero_of(t: Type, currency: str) -> Any:
    """The sum of no values of type ``t``."""
    if t == INT:
        return 0
    if t == DECIMAL:
        return Decimal(0)
    if t == HOURS:
        return 0
    if isinstance(t, MoneyType):
        return Money(Decimal(0), currency)
    if isinstance(t, DurationType):
        return Duration()
    raise AssertionError(f"no zero of {t}")  # pragma: no cover


def literal_value(node: A.Expr) -> Any:
    """The value of a literal node (also used to fold constants in generated code)."""
    match node:
        case A.BoolLit(value=v) | A.NumberLit(value=v) | A.TextLit(value=v) | A.DateLit(value=v):
            return v
        case A.QuantityLit(amount=amount, unit=unit):
            if unit == "hours":
                return amount
            n = int(amount)
            return {"years": Duration(12 * n, 0), "months": Duration(n, 0),
                    "weeks": Duration(0, 7 * n), "days": Duration(0, n)}[unit]
        case A.MoneyLit(amount=amount, currency=currency):
            return Money(amount, currency)
    raise AssertionError(f"not a literal: {node!r}")  # pragma: no cover
