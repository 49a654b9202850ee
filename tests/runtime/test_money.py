"""Tests of udbudsregler.values.money: exact amounts and rounding rules."""

from __future__ import annotations

import copy
import math
import pickle
from dataclasses import FrozenInstanceError
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from udbudsregler.values.money import (
    DIVISION_DIGITS,
    ROUNDING_MODES,
    CurrencyError,
    Money,
    Rounding,
    to_decimal,
)

D = Decimal


def dkk(x: str | int) -> Money:
    return Money(x, "DKK")


# -- construction ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(D("1850.50"), D("1850.50")), (1850, D(1850)), ("1850.50", D("1850.50")),
     ("-0.01", D("-0.01"))],
)
def test_money_accepts_decimal_int_and_text(amount: Decimal | int | str, expected: Decimal) -> None:
    m = Money(amount, "DKK")
    assert m.amount == expected
    assert type(m.amount) is Decimal
    assert m.currency == "DKK"


def test_money_keeps_the_digits_given() -> None:
    assert str(Money("1850.50", "DKK").amount) == "1850.50"
    assert str(Money("1850.500", "DKK").amount) == "1850.500"


def test_money_rejects_float() -> None:
    with pytest.raises(TypeError, match="exact"):
        Money(1850.5, "DKK")  # type: ignore[arg-type]


def test_money_rejects_bool_and_other_types() -> None:
    with pytest.raises(TypeError):
        Money(True, "DKK")
    with pytest.raises(TypeError):
        Money(None, "DKK")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(Fraction(1, 2), "DKK")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [D("NaN"), D("Infinity"), D("-Infinity"), "nan", "inf", "sNaN"])
def test_money_rejects_non_finite(amount: Decimal | str) -> None:
    with pytest.raises(ValueError, match="finite"):
        Money(amount, "DKK")


@pytest.mark.parametrize("text", ["", "abc", "1,50", "1.2.3", "12 kr"])
def test_money_rejects_text_that_is_not_a_number(text: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        Money(text, "DKK")


@pytest.mark.parametrize("currency", ["dkk", "DK", "DKKK", "", "kr.", "ÆØÅ", 208])
def test_money_rejects_bad_currency(currency: object) -> None:
    with pytest.raises(ValueError, match="currency"):
        Money(1, currency)  # type: ignore[arg-type]


def test_money_is_immutable() -> None:
    m = dkk(1)
    with pytest.raises(FrozenInstanceError):
        m.amount = D(2)
    with pytest.raises(AttributeError):
        m.other = 1
    with pytest.raises(FrozenInstanceError):
        del m.amount


def test_money_zero() -> None:
    z = Money.zero("EUR")
    assert z == Money(0, "EUR")
    assert z.currency == "EUR"
    with pytest.raises(ValueError):
        Money.zero("eur")


def test_to_decimal() -> None:
    assert to_decimal("1_000.5") == D("1000.5")
    assert to_decimal(3) == D(3)
    with pytest.raises(TypeError):
        to_decimal(0.1)


# -- text ------------------------------------------------------------------------


def test_str_and_repr() -> None:
    m = dkk("1850.50")
    assert str(m) == "1850.50 DKK"
    assert repr(m) == "Money('1850.50', 'DKK')"
    assert str(Money(D("1E+3"), "DKK")) == "1000 DKK"
    assert str(Money(D("-0.00"), "DKK")) == "0.00 DKK"
    assert eval(repr(m)) == m


def test_pickle_and_copy() -> None:
    m = Money("1850.50", "EUR")
    for other in (pickle.loads(pickle.dumps(m)), copy.copy(m), copy.deepcopy(m)):
        assert other == m
        assert str(other) == str(m)


# -- equality and order ----------------------------------------------------------------


def test_equality_is_by_value() -> None:
    assert dkk("1.5") == dkk("1.50")
    assert hash(dkk("1.5")) == hash(dkk("1.50"))
    assert len({dkk("1.5"), dkk("1.50"), dkk(2)}) == 2
    assert dkk(1) != dkk(2)


def test_equality_with_non_money_is_not_implemented() -> None:
    m = dkk(1)
    assert m.__eq__(1) is NotImplemented
    assert m != 1
    assert m != D(1)
    assert m != "1 DKK"


def test_ordering() -> None:
    assert dkk(1) < dkk(2)
    assert dkk(2) <= dkk(2)
    assert dkk(3) > dkk("2.99")
    assert dkk(2) >= dkk("2.00")
    assert not dkk(2) < dkk(2)
    assert max(dkk(1), dkk(5), dkk(3)) == dkk(5)


def test_ordering_with_non_money_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        assert dkk(1) < 2


@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a == b,
        lambda a, b: a != b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a / b,
    ],
)
def test_mixing_currencies_raises(op: object) -> None:
    with pytest.raises(CurrencyError, match="DKK and EUR"):
        op(dkk(1), Money(1, "EUR"))  # type: ignore[operator]
    assert issubclass(CurrencyError, ValueError)


# -- arithmetic ------------------------------------------------------------------------


def test_add_and_subtract_are_exact() -> None:
    assert dkk("0.1") + dkk("0.2") == dkk("0.3")
    assert str(dkk("1850.50") + dkk("0.25")) == "1850.75 DKK"
    assert dkk("1850.50") - dkk("1850.50") == Money.zero("DKK")
    big = dkk("123456789012345678901234567890.01")
    assert (big + dkk("0.001")).amount == D("123456789012345678901234567890.011")


def test_add_non_money_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        dkk(1) + 1
    with pytest.raises(TypeError):
        1 + dkk(1)  # type: ignore[operator]


def test_negation_and_abs() -> None:
    assert -dkk("1.50") == dkk("-1.50")
    assert abs(dkk("-1.50")) == dkk("1.50")
    assert +dkk(1) == dkk(1)


def test_multiply_by_int_and_decimal_on_either_side() -> None:
    assert dkk("1850.50") * 3 == dkk("5551.50")
    assert 3 * dkk("1850.50") == dkk("5551.50")
    assert dkk("1850.50") * D("0.5") == dkk("925.25")
    assert D("0.5") * dkk("1850.50") == dkk("925.25")
    assert str(dkk("0.10") * D("0.1")) == "0.010 DKK"


@pytest.mark.parametrize("factor", [1.5, True, dkk(2), "2", None])
def test_multiply_rejects_other_factors(factor: object) -> None:
    with pytest.raises(TypeError):
        dkk(1) * factor


def test_multiply_rejects_non_finite_decimal() -> None:
    with pytest.raises(ValueError):
        dkk(1) * D("NaN")


def test_divide() -> None:
    assert dkk("1850.50") / 2 == dkk("925.25")
    assert dkk(10) / D("4") == dkk("2.5")
    q = dkk(100) / 3
    assert isinstance(q, Money)
    assert len(q.amount.as_tuple().digits) == DIVISION_DIGITS
    ratio = dkk(3) / dkk(4)
    assert ratio == D("0.75")
    assert type(ratio) is Decimal


def test_divide_by_zero() -> None:
    with pytest.raises(ZeroDivisionError):
        dkk(1) / 0
    with pytest.raises(ZeroDivisionError):
        dkk(1) / D("0.00")
    with pytest.raises(ZeroDivisionError):
        dkk(1) / dkk(0)


def test_divide_rejects_float() -> None:
    with pytest.raises(TypeError):
        dkk(1) / 2.0


def test_arithmetic_ignores_the_callers_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3
        assert (dkk("1850.50") + dkk("0.01")).amount == D("1850.51")
        assert (dkk("1850.50") * 7).amount == D("12953.50")
    with localcontext() as ctx:
        ctx.prec = 3
        third = (dkk(1) / 3).amount
    assert third == D("0." + "3" * DIVISION_DIGITS)


def test_too_many_digits_raise_instead_of_rounding() -> None:
    with pytest.raises(ValueError, match="significant digits"):
        Money(D("1E+80"), "DKK") + Money(D("1E-80"), "DKK")


amounts = st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False)


@given(amounts, amounts)
def test_add_then_subtract_gives_back(a: Decimal, b: Decimal) -> None:
    x, y = Money(a, "DKK"), Money(b, "DKK")
    assert (x + y) - y == x
    assert x + y == y + x
    assert (x + y).amount == a + b


@given(amounts, st.integers(min_value=0, max_value=20))
def test_multiply_is_repeated_addition(a: Decimal, n: int) -> None:
    x = Money(a, "DKK")
    total = Money.zero("DKK")
    for _ in range(n):
        total = total + x
    assert x * n == total


# -- rounding -----------------------------------------------------------------------------


def test_rounding_modes_constant() -> None:
    assert ROUNDING_MODES == (
        "half_up", "half_even", "half_down", "up", "down", "ceiling", "floor",
    )


def test_rounding_rejects_unknown_mode_listing_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="half_up, half_even, half_down, up, down, ceiling, floor"):
        Rounding(D("0.01"), "bankers")


@pytest.mark.parametrize("unit", [D(0), D("-0.01"), "0"])
def test_rounding_rejects_non_positive_unit(unit: Decimal) -> None:
    with pytest.raises(ValueError, match="positive"):
        Rounding(unit, "half_up")


def test_rounding_rejects_float_and_non_finite_units() -> None:
    with pytest.raises(TypeError):
        Rounding(0.01, "half_up")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Rounding(D("Infinity"), "half_up")


def test_rounding_accepts_text_and_int_units() -> None:
    assert Rounding("0.01", "half_up").unit == D("0.01")  # type: ignore[arg-type]
    assert Rounding(1, "half_up").unit == D(1)  # type: ignore[arg-type]


def test_rounding_is_immutable_and_comparable() -> None:
    r = Rounding(D("0.01"), "half_up")
    with pytest.raises(FrozenInstanceError):
        r.mode = "floor"  # type: ignore[misc]
    assert r == Rounding(D("0.01"), "half_up")
    assert hash(r) == hash(Rounding(D("0.01"), "half_up"))
    assert r != Rounding(D("0.01"), "half_even")


def test_half_up_and_half_even_differ_at_half_an_ore() -> None:
    assert Rounding(D("0.01"), "half_up").apply(D("2.345")) == D("2.35")
    assert Rounding(D("0.01"), "half_even").apply(D("2.345")) == D("2.34")
    assert Rounding(D("0.01"), "half_even").apply(D("2.355")) == D("2.36")
    assert Rounding(D("0.01"), "half_down").apply(D("2.355")) == D("2.35")
    assert Rounding(D("0.01"), "half_down").apply(D("2.3551")) == D("2.36")


# value, unit, then expected per mode in ROUNDING_MODES order:
# half_up, half_even, half_down, up, down, ceiling, floor
ROUNDING_TABLE = [
    ("1.005", "0.01", "1.01", "1.00", "1.00", "1.01", "1.00", "1.01", "1.00"),
    ("-1.005", "0.01", "-1.01", "-1.00", "-1.00", "-1.01", "-1.00", "-1.00", "-1.01"),
    ("1.015", "0.01", "1.02", "1.02", "1.01", "1.02", "1.01", "1.02", "1.01"),
    ("1.0049", "0.01", "1.00", "1.00", "1.00", "1.01", "1.00", "1.01", "1.00"),
    ("-1.0051", "0.01", "-1.01", "-1.01", "-1.01", "-1.01", "-1.00", "-1.00", "-1.01"),
    ("2.5", "1", "3", "2", "2", "3", "2", "3", "2"),
    ("-2.5", "1", "-3", "-2", "-2", "-3", "-2", "-2", "-3"),
    ("3.5", "1", "4", "4", "3", "4", "3", "4", "3"),
    ("1850.5", "0.01", "1850.50", "1850.50", "1850.50", "1850.50", "1850.50", "1850.50",
     "1850.50"),
    ("1.125", "0.25", "1.25", "1.00", "1.00", "1.25", "1.00", "1.25", "1.00"),
    ("1.375", "0.25", "1.50", "1.50", "1.25", "1.50", "1.25", "1.50", "1.25"),
    ("-1.125", "0.25", "-1.25", "-1.00", "-1.00", "-1.25", "-1.00", "-1.00", "-1.25"),
    ("1.1", "0.25", "1.00", "1.00", "1.00", "1.25", "1.00", "1.25", "1.00"),
    ("1.2", "0.25", "1.25", "1.25", "1.25", "1.25", "1.00", "1.25", "1.00"),
    ("7.5", "5", "10", "10", "5", "10", "5", "10", "5"),
    ("12.5", "5", "15", "10", "10", "15", "10", "15", "10"),
    ("0.1", "0.3", "0.0", "0.0", "0.0", "0.3", "0.0", "0.3", "0.0"),
    ("0.45", "0.3", "0.6", "0.6", "0.3", "0.6", "0.3", "0.6", "0.3"),
    ("-0.001", "0.01", "0.00", "0.00", "0.00", "-0.01", "0.00", "0.00", "-0.01"),
    ("1851", "10", "1850", "1850", "1850", "1860", "1850", "1860", "1850"),
    ("0.05", "0.1", "0.1", "0.0", "0.0", "0.1", "0.0", "0.1", "0.0"),
]


@pytest.mark.parametrize("row", ROUNDING_TABLE, ids=lambda r: f"{r[0]}/{r[1]}")
def test_rounding_table(row: tuple[str, ...]) -> None:
    value, unit, *expected = row
    for mode, want in zip(ROUNDING_MODES, expected, strict=True):
        got = Rounding(D(unit), mode).apply(D(value))
        assert got == D(want), (mode, value, unit)
        # Same digits too: the result carries the unit's exponent.
        assert str(got) == want, (mode, value, unit, str(got))


def test_result_has_the_units_exponent() -> None:
    assert str(Rounding(D("0.01"), "half_up").apply(D("1850.5"))) == "1850.50"
    assert str(Rounding(D("0.01"), "half_up").apply(D(7))) == "7.00"
    assert str(Rounding(D("1.0"), "half_up").apply(D("2.46"))) == "2.0"
    assert str(Rounding(D("0.50"), "half_up").apply(D("2.3"))) == "2.50"
    assert Rounding(D("1E+1"), "half_up").apply(D("1851")) == D("1850")


def test_rounding_int_and_rejects_float() -> None:
    assert Rounding(D("0.01"), "half_up").apply(5) == D("5.00")
    with pytest.raises(TypeError):
        Rounding(D("0.01"), "half_up").apply(0.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Rounding(D("0.01"), "half_up").apply(D("NaN"))


def test_rounding_ignores_the_callers_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 2
        ctx.rounding = "ROUND_FLOOR"
        assert Rounding(D("0.01"), "half_up").apply(D("1850.505")) == D("1850.51")
        assert Rounding(D("0.25"), "half_up").apply(D("1850.625")) == D("1850.75")


def test_apply_money() -> None:
    r = Rounding(D("0.01"), "half_up")
    assert r.apply_money(Money("1850.505", "EUR")) == Money("1850.51", "EUR")
    assert str(r.apply_money(dkk(1) / 3)) == "0.33 DKK"
    assert r.apply_money(dkk(1) / 3).currency == "DKK"


# -- rounding properties -------------------------------------------------------------------

values = st.decimals(min_value=-10**6, max_value=10**6, places=6, allow_nan=False)
units = st.sampled_from(
    [D("0.01"), D("1"), D("0.25"), D("0.05"), D("5"), D("0.3"), D("0.1"), D("10"), D("0.125"),
     D("1.0"), D("0.50"), D("7")]
)
modes = st.sampled_from(ROUNDING_MODES)


def _reference(x: Decimal, unit: Decimal, mode: str) -> Fraction:
    """Rounding of x/unit with exact fractions, spelled out per mode."""
    q = Fraction(x) / Fraction(unit)
    lo = math.floor(q)
    frac = q - lo
    if frac == 0 or mode == "floor":
        n = lo
    elif mode == "ceiling":
        n = lo + 1
    elif mode == "down":
        n = lo if q > 0 else lo + 1
    elif mode == "up":
        n = lo + 1 if q > 0 else lo
    elif frac != Fraction(1, 2):
        n = lo if frac < Fraction(1, 2) else lo + 1
    elif mode == "half_even":
        n = lo if lo % 2 == 0 else lo + 1
    elif mode == "half_up":
        n = lo + 1 if q > 0 else lo
    else:  # half_down
        n = lo if q > 0 else lo + 1
    return n * Fraction(unit)


@given(values, units, modes)
def test_rounding_agrees_with_a_fraction_reference(x: Decimal, unit: Decimal, mode: str) -> None:
    got = Rounding(unit, mode).apply(x)
    assert Fraction(got) == _reference(x, unit, mode)
    assert got.as_tuple().exponent == unit.as_tuple().exponent


@given(values, units, modes)
def test_rounding_is_idempotent_and_close(x: Decimal, unit: Decimal, mode: str) -> None:
    r = Rounding(unit, mode)
    once = r.apply(x)
    assert r.apply(once) == once
    assert str(r.apply(once)) == str(once)
    err = abs(Fraction(once) - Fraction(x))
    if mode.startswith("half_"):
        assert err <= Fraction(unit) / 2
    else:
        assert err < Fraction(unit)
    assert (Fraction(once) / Fraction(unit)).denominator == 1


@given(values, units)
def test_directed_modes_bound_the_value(x: Decimal, unit: Decimal) -> None:
    assert Rounding(unit, "floor").apply(x) <= x <= Rounding(unit, "ceiling").apply(x)
    assert abs(Rounding(unit, "down").apply(x)) <= abs(x) <= abs(Rounding(unit, "up").apply(x))


@given(values, modes)
def test_negative_values_round_symmetrically(x: Decimal, mode: str) -> None:
    mirror = {"ceiling": "floor", "floor": "ceiling"}.get(mode, mode)
    unit = D("0.25")
    assert Rounding(unit, mode).apply(-x) == -Rounding(unit, mirror).apply(x)


@given(values, st.sampled_from([D("0.01"), D("1"), D("0.1"), D("100")]), modes)
def test_quantize_fast_path_agrees_with_the_general_step(
    x: Decimal, unit: Decimal, mode: str
) -> None:
    r = Rounding(unit, mode)
    assert str(r.apply(x)) == str(r._apply_step(x))
