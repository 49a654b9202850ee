"""The date kernels equal the scalar functions they vectorise (values.temporal and
semantics.library), on every kind of date: month ends, 29 February, both month-end
rules, far from and near the calendar's edges."""

from __future__ import annotations

from datetime import date

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
