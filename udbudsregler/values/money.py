"""Exact amounts of money and the rounding rules a policy states.

:class:`Money` is an exact :class:`~decimal.Decimal` amount with a currency
code. Its arithmetic never rounds silently: addition, subtraction and
multiplication are exact (an error is raised in the absurd case that a result
needs more than :data:`EXACT_DIGITS` significant digits); only division,
whose result may not terminate, is carried to :data:`DIVISION_DIGITS`
significant digits (half-even). A policy states how amounts are rounded
(:class:`Rounding`), and applies it where the policy says so.

All arithmetic runs in private decimal contexts, so results never depend on
the caller's thread-local decimal context. Floats are rejected everywhere.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, field
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from typing import Any, NoReturn

__all__ = [
    "DIVISION_DIGITS",
    "EXACT_DIGITS",
    "ROUNDING_MODES",
    "CurrencyError",
    "Money",
    "Rounding",
    "to_decimal",
]

#: Significant digits kept exactly by addition, subtraction and multiplication.
EXACT_DIGITS = 100
#: Significant digits of a quotient (rounded half-even).
DIVISION_DIGITS = 34

_EXACT = Context(
    prec=EXACT_DIGITS,
    rounding=ROUND_HALF_EVEN,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)
# quantize: inexact by design; too many digits is InvalidOperation.
_QUANTIZE = Context(
    prec=EXACT_DIGITS,
    rounding=ROUND_HALF_EVEN,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
_DIV = Context(
    prec=DIVISION_DIGITS,
    rounding=ROUND_HALF_EVEN,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

#: The rounding modes a policy may name, in the order the documentation lists them.
ROUNDING_MODES: tuple[str, ...] = (
    "half_up",
    "half_even",
    "half_down",
    "up",
    "down",
    "ceiling",
    "floor",
)

_DECIMAL_MODES: dict[str, str] = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "half_down": ROUND_HALF_DOWN,
    "up": ROUND_UP,
    "down": ROUND_DOWN,
    "ceiling": ROUND_CEILING,
    "floor": ROUND_FLOOR,
}

# Bound methods, looked up once: a method lookup on a Context costs more than the operation.
_add = _EXACT.add
_subtract = _EXACT.subtract
_multiply = _EXACT.multiply
_divide_int = _EXACT.divide_int
_remainder = _EXACT.remainder
_divide = _DIV.divide

_new = object.__new__
_set = object.__setattr__


class CurrencyError(ValueError):
    """Amounts in different currencies were added, subtracted, divided or compared."""


def _too_precise() -> NoReturn:
    raise ValueError(f"the exact result needs more than {EXACT_DIGITS} significant digits")


def to_decimal(value: object, what: str = "amount") -> Decimal:
    """Convert an exact number (``Decimal``, ``int`` or ``str``) to a finite ``Decimal``.

    Raises ``TypeError`` for floats, booleans and other types, ``ValueError`` for
    text that is not a number and for infinities and NaN.
    """
    t = type(value)
    if t is Decimal:
        d: Decimal = value  # type: ignore[assignment]
    elif t is int:
        d = Decimal(value)  # type: ignore[arg-type]
    elif t is str:
        try:
            d = Decimal(value)  # type: ignore[arg-type]
        except InvalidOperation:
            raise ValueError(f"{what} {value!r} is not a number") from None
    elif isinstance(value, bool):
        raise TypeError(f"{what} must be a Decimal, int or str, not bool")
    elif isinstance(value, float):
        raise TypeError(
            f"{what} must be exact: give a Decimal, int or str instead of the float {value!r}"
        )
    elif isinstance(value, Decimal):
        d = Decimal(value)
    elif isinstance(value, int):
        d = Decimal(int(value))
    else:
        raise TypeError(f"{what} must be a Decimal, int or str, not {t.__name__}")
    if not d.is_finite():
        raise ValueError(f"{what} must be a finite number, not {d}")
    return d


_CURRENCIES: set[str] = {"DKK", "EUR"}  # codes already validated


def _check_currency(currency: object) -> str:
    if type(currency) is str and currency in _CURRENCIES:
        return currency
    if (
        type(currency) is not str
        or len(currency) != 3
        or not currency.isascii()
        or not currency.isalpha()
        or not currency.isupper()
    ):
        raise ValueError(
            f"currency must be a three-letter upper-case code such as 'DKK', not {currency!r}"
        )
    _CURRENCIES.add(currency)
    return currency


def _factor(value: object) -> Decimal | int | None:
    """The operand of ``*`` and ``/`` when it is exact and finite, else ``None``."""
    t = type(value)
    if t is int:
        return value  # type: ignore[return-value]
    if t is Decimal:
        if value.is_finite():  # type: ignore[attr-defined]
            return value  # type: ignore[return-value]
        raise ValueError(f"cannot multiply or divide money by {value}")
    return None


def _money(amount: Decimal, currency: str) -> Money:
    """Build a :class:`Money` from an already validated amount and currency (no checks)."""
    m: Money = _new(Money)
    _set_amount(m, amount)
    _set_currency(m, currency)
    return m


def _fixed(d: Decimal) -> str:
    """Fixed-point text of ``d`` with its own digits, no exponent, no sign on zero."""
    if not d:
        d = d.copy_abs()
    return format(d, "f")


class Money:
    """An exact amount of money in one currency.

    ``Money("1850.50", "DKK")``. The amount is kept exactly as given (trailing
    zeros included); equality, ordering and hashing are by value, so
    ``Money("1.5", "DKK") == Money("1.50", "DKK")``. Operations mixing two
    currencies raise :class:`CurrencyError`. Instances are immutable.
    """

    __slots__ = ("amount", "currency")

    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | int | str, currency: str) -> None:
        _set(self, "amount", to_decimal(amount))
        _set(self, "currency", _check_currency(currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in ``currency``."""
        return _money(Decimal(0), _check_currency(currency))

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[type[Money], tuple[Decimal, str]]:
        return (Money, (self.amount, self.currency))

    # -- text ------------------------------------------------------------

    def __str__(self) -> str:
        """``"1850.50 DKK"``: fixed-point, with exactly the digits the amount carries."""
        return f"{_fixed(self.amount)} {self.currency}"

    def __repr__(self) -> str:
        return f"Money('{_fixed(self.amount)}', '{self.currency}')"

    # -- equality and order ------------------------------------------------

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyError(
                f"amounts in different currencies: {self.currency} and {other.currency}"
            )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            self._same(other)
        return self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            self._same(other)
        return self.amount < other.amount

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            self._same(other)
        return self.amount >= other.amount

    # -- arithmetic ----------------------------------------------------------

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            self._same(other)
        try:
            return _money(_add(self.amount, other.amount), self.currency)
        except Inexact:
            _too_precise()

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            self._same(other)
        try:
            return _money(_subtract(self.amount, other.amount), self.currency)
        except Inexact:
            _too_precise()

    def __neg__(self) -> Money:
        return _money(self.amount.copy_negate(), self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return _money(self.amount.copy_abs(), self.currency)

    def __mul__(self, other: object) -> Money:
        f = _factor(other)
        if f is None:
            return NotImplemented
        try:
            return _money(_multiply(self.amount, f), self.currency)
        except Inexact:
            _too_precise()

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Any:
        """``Money / number -> Money``; ``Money / Money -> Decimal`` (same currency)."""
        if isinstance(other, Money):
            if other.currency != self.currency:
                self._same(other)
            if not other.amount:
                raise ZeroDivisionError("division of money by a zero amount")
            return _divide(self.amount, other.amount)
        f = _factor(other)
        if f is None:
            return NotImplemented
        if not f:
            raise ZeroDivisionError("division of money by zero")
        return _money(_divide(self.amount, f), self.currency)


# The slots' own setters: they bypass Money.__setattr__, which refuses assignment.
_set_amount = Money.__dict__["amount"].__set__
_set_currency = Money.__dict__["currency"].__set__


@dataclass(frozen=True, slots=True)
class Rounding:
    """How a policy rounds amounts: to a multiple of ``unit`` by ``mode``.

    ``unit`` is any positive step (``0.01`` for øre, ``1`` for whole kroner,
    ``0.25`` for quarters). ``mode`` is one of :data:`ROUNDING_MODES`; the
    ``half_*`` modes decide exact halves (``half_up`` rounds them away from
    zero), ``up``/``down`` round away from/toward zero, ``ceiling``/``floor``
    toward plus/minus infinity. Negative amounts round symmetrically by each
    mode's definition. A result carries the unit's exponent, so rounding to
    ``0.01`` gives ``Decimal("1850.50")``, not ``Decimal("1850.5")``.
    """

    unit: Decimal
    mode: str
    _quantize: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unit = to_decimal(self.unit, "rounding unit")
        if unit <= 0:
            raise ValueError(f"rounding unit must be positive, not {unit}")
        if self.mode not in _DECIMAL_MODES:
            allowed = ", ".join(ROUNDING_MODES)
            raise ValueError(f"unknown rounding mode {self.mode!r}; use one of: {allowed}")
        object.__setattr__(self, "unit", unit)
        # A unit of the form 1E<n> rounds by a single quantize.
        object.__setattr__(self, "_quantize", unit.as_tuple().digits == (1,))

    def apply(self, x: Decimal | int) -> Decimal:
        """``x`` rounded to a multiple of the unit, with the unit's exponent."""
        if type(x) is not Decimal:
            x = to_decimal(x, "value to round")
        elif not x.is_finite():
            raise ValueError(f"cannot round {x}")
        try:
            if self._quantize:
                r = x.quantize(self.unit, _DECIMAL_MODES[self.mode], _QUANTIZE)
                return r if r else r.copy_abs()
            return self._apply_step(x)
        except (Inexact, InvalidOperation):
            _too_precise()

    def _apply_step(self, x: Decimal) -> Decimal:
        """Round to any positive step: an exact integer quotient and remainder, then adjust."""
        unit = self.unit
        n = int(_divide_int(x, unit))  # truncated toward zero
        r = _remainder(x, unit)  # exact, with the sign of x
        if r:
            mode = self.mode
            away = 1 if r > 0 else -1
            if mode == "down":
                pass
            elif mode == "up":
                n += away
            elif mode == "ceiling":
                if away > 0:
                    n += 1
            elif mode == "floor":
                if away < 0:
                    n -= 1
            else:
                twice = _multiply(r.copy_abs(), 2)
                if twice > unit or (
                    twice == unit
                    and (mode == "half_up" or (mode == "half_even" and n % 2 != 0))
                ):
                    n += away
        return _multiply(Decimal(n), unit)

    def apply_money(self, m: Money) -> Money:
        """``m`` with its amount rounded."""
        return _money(self.apply(m.amount), m.currency)
