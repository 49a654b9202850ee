"""The date kernels equal the scalar functions they vectorise (values.temporal and
semantics.library), on every kind of date: month ends, 29 February, both month-end
rules, far from and near the calendar's edges."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

np = pytest.importorskip("numpy")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from udbudsregler.columnar.columns import add_months, age, join, split  # noqa: E402
from udbudsregler.semantics.library import age as scalar_age  # noqa: E402
from udbudsregler.values.temporal import DateRangeError  # noqa: E402
from udbudsregler.values.temporal import add_months as scalar_add_months  # noqa: E402

DATES = st.one_of(st.dates(date(1850, 1, 1), date(2200, 12, 31)),
                  st.sampled_from([date(2000, 2, 29), date(2019, 1, 31), date(2020, 12, 31),
                                   date(1, 1, 31), date(9999, 12, 31), date(2100, 2, 28)]))
RULES = st.sampled_from(["clamp", "roll"])


@settings(max_examples=300, deadline=None)
@given(days=st.lists(DATES, min_size=1, max_size=20), months=st.integers(-2400, 2400),
       rule=RULES)
def test_add_months(days: list[date], months: int, rule: str) -> None:
    o = np.array([d.toordinal() for d in days], dtype=np.int64)
    got, bad = add_months(o, months, rule)  # type: ignore[arg-type]
    for d, g, b in zip(days, got, bad, strict=True):
        try:
            want = scalar_add_months(d, months, rule)  # type: ignore[arg-type]
        except DateRangeError:
            assert b
            continue
        assert not b and g == want.toordinal(), (d, months, rule)


@settings(max_examples=300, deadline=None)
@given(births=st.lists(DATES, min_size=1, max_size=20), on=DATES, rule=RULES)
def test_age(births: list[date], on: date, rule: str) -> None:
    o = np.array([d.toordinal() for d in births], dtype=np.int64)
    got, bad = age(o, on, rule)  # type: ignore[arg-type]
    for b, g, failed in zip(births, got, bad, strict=True):
        if on < b:
            assert failed
            continue
        assert not failed and g == scalar_age(b, on, rule), (b, on, rule)  # type: ignore[arg-type]


@given(days=st.lists(DATES, min_size=1, max_size=20))
def test_split_and_join(days: list[date]) -> None:
    o = np.array([d.toordinal() for d in days], dtype=np.int64)
    y, m, d = split(o)
    assert [(int(a), int(b), int(c)) for a, b, c in zip(y, m, d, strict=True)] == \
        [(x.year, x.month, x.day) for x in days]
    assert (join(y, m, d) == o).all()


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.decimals(
    min_value=-10**17, max_value=10**17, places=6,
    allow_nan=False, allow_infinity=False), st.integers(-10**17, 10**17).map(Decimal),
    st.decimals(min_value=-10, max_value=10, places=18, allow_nan=False,
                allow_infinity=False)), min_size=1, max_size=12),
       scale=st.sampled_from([18, 12, 9, 6]))
def test_decimal_units(values: list[Decimal | None], scale: int) -> None:
    """decimal128 values read as exact int64 units at the fewest places; a value that does
    not fit 64 bits there is marked (its row goes per record), never rounded."""
    import decimal

    import pyarrow as pa

    from udbudsregler.columnar.table import _decimal_units

    with decimal.localcontext() as context:
        context.prec = 80
        kept = [v if v is None or v == v.quantize(Decimal(1).scaleb(-scale)) else
                v.quantize(Decimal(1).scaleb(-scale)) for v in values]
        array = pa.array(kept, type=pa.decimal128(38, scale))
        units, places, big = _decimal_units(array, scale)
        for value, unit, over in zip(kept, units, big, strict=True):
            if value is None:
                continue
            exact = value.scaleb(places)
            assert exact == exact.to_integral_value()  # the places hold every value
            if over:
                assert abs(exact) >= 2**31 * 2**32
            else:
                assert Decimal(int(unit)) == exact
