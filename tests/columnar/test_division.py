"""Division per citizen (`/`) runs columnar: whole numbers, decimals, hours and amounts by
a column or a fixed number, a fixed number or amount by a column, in a loop body, exactly
(by long division of the units, at the fewest places that hold every row). A row whose
quotient does not end within 18 places (``decide`` rounds it to 34 digits), that needs
2**62 units or more, or that divides by zero (UDB702) is decided per record. Every row
agrees with per-record ``decide`` and every value with the interpreter's. Before, such a
policy was decided per record as a whole."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("pyarrow")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.columnar.equivalence import decide_columnar  # noqa: E402
from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import support  # noqa: E402
from udbudsregler.columnar.columns import Num, Unsupported  # noqa: E402
from udbudsregler.columnar.evaluate import Batch  # noqa: E402
from udbudsregler.columnar.kernels import divide  # noqa: E402
from udbudsregler.semantics import ops  # noqa: E402
from udbudsregler.values.money import Money  # noqa: E402
from udbudsregler.values.temporal import Duration  # noqa: E402

POLICY = Path(__file__).resolve().parent / "data" / "division"
ON = date(2024, 6, 1)
VALUES = ("ratio", "halves", "per_part", "per_week", "allowance_per_week", "rent_share",
          "quarters", "per_day", "long_offers", "offer_shares")
D = Decimal


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_policy(POLICY)


def row(**facts: Any) -> dict[str, Any]:
    """A citizen whose every division ends: 10 / 4, 120 / 4, 1850.00 DKK / 4, ..."""
    return {"amount": 10, "parts": 4, "weeks": 4, "income": D("1850.00"), "rent": D("925"),
            "share": D("0.75"), "weekly": D("30"),
            "offers": [{"hours": 10, "share": D("0.3")}], **facts}


def _values(result: Any, name: str) -> dict[int, Any]:
    """``name`` of each decided row (a row with an error has none)."""
    return {d["row"]: d[name] for d in result.decisions.to_pylist()}


def _per_record_rows(result: Any, name: str) -> list[int]:
    """The rows whose value ``name`` no column holds: only a row decided per record says so
    (UDB705); a row decided columnar has its value exactly."""
    return sorted(e["row"] for e in result.errors.to_pylist()
                  if e["path"] == name and e["code"] == "UDB705")


def test_the_policy_runs_columnar(policy: Any) -> None:
    assert support(policy) is None


def test_quotients_that_end_run_columnar(policy: Any) -> None:
    """10 / 4 = 2.5, signs, an amount by weeks, an amount by an amount, a fixed number by
    a column and a column by a fixed one, a division in a loop body: no row per record."""
    rows = [row(), row(amount=-10), row(parts=-4), row(amount=-10, parts=-4),
            row(amount=25, parts=2, weeks=5, income=D("1000.10"), rent=D("250.025")),
            row(amount=0, parts=-8, weeks=8, share=D("-0.125"), weekly=D("37.5")),
            row(amount=30, parts=16, weeks=1, income=D("-1850.00"), rent=D("-1850.00"),
                offers=[{"hours": 33, "share": D("1.5")}, {"hours": 1, "share": D("0")}]),
            row(amount=10**15, parts=1, offers=[])]
    result = decide_columnar(policy, rows, ON, VALUES)
    assert result.per_record == 0 and result.errors.num_rows == 0
    assert list(_values(result, "ratio").values()) == [
        D("2.5"), D("-2.5"), D("-2.5"), D("2.5"), D("12.5"), D(0), D("1.875"), D(10**15)]
    assert _values(result, "per_week")[1] == D("462.5")
    assert _values(result, "rent_share")[4] == D("0.25")
    assert _values(result, "per_part")[6] == D("7.5")
    assert _values(result, "quarters")[5] == D("-0.5")
    assert _values(result, "per_day")[5] == D("12.5")
    assert _values(result, "offer_shares")[6] == D(2)
    assert 0 < sum(_values(result, "eligible").values()) < len(rows)


@pytest.mark.parametrize(("facts", "name"), [
    ({"amount": 10, "parts": 3}, "ratio"),              # a number by a number
    ({"parts": 7}, "per_part"),                          # a fixed number by a column
    ({"weeks": 3}, "per_week"),                          # an amount by a number
    ({"rent": D("1000")}, "rent_share"),                 # an amount by an amount
    ({"weekly": D("20")}, "per_day"),                    # hours by a fixed number
    ({"share": D("0.7")}, "offer_shares"),               # in a loop: 0.3 / 0.7
])
def test_a_quotient_that_does_not_end_is_decided_per_record(
        policy: Any, facts: dict[str, Any], name: str) -> None:
    """Exactly the row whose quotient does not end goes per record (decide rounds it to 34
    digits: no decimal128(38, 18) holds that, so its value is null and said, UDB705)."""
    rows = [row(), row(amount=-10), row(**facts), row(parts=8)]
    result = decide_columnar(policy, rows, ON, VALUES)
    assert result.per_record == 1 and _per_record_rows(result, name) == [2]


def test_one_third_of_many_rows(policy: Any) -> None:
    """37 / 3 among 99 quarters: that row alone goes per record."""
    rows = [row(amount=k, parts=4 if k != 37 else 3) for k in range(-50, 50)]
    result = decide_columnar(policy, rows, ON, VALUES)
    assert result.per_record == 1 and _per_record_rows(result, "ratio") == [87]
    assert _values(result, "ratio")[87] is None


def test_division_by_zero_is_the_rows_error(policy: Any) -> None:
    """A zero divisor, as a whole number, an amount, a decimal in a loop body: the row's
    error (UDB702), or, where the decision is settled without it (another criterion not
    met, or another of an `any` met), the requested value's, as in decide."""
    rows = [row(parts=0), row(weeks=0), row(income=D("0.00")), row(share=D(0)), row(),
            row(share=D(0), offers=[]),       # no offer: nothing divided by the share
            row(parts=0, rent=D("1850"))]     # the rent share is not met: not eligible
    result = decide_columnar(policy, rows, ON, VALUES)
    errors = {(e["row"], e["path"], e["code"]) for e in result.errors.to_pylist()}
    assert errors == {(0, "rules/ratio", "UDB702"), (1, "rules/per_week", "UDB702"),
                      (2, "rules/rent_share", "UDB702"), (3, "offer_shares", "UDB702"),
                      (6, "ratio", "UDB702"), (6, "per_part", "UDB702"),
                      (6, "long_offers", "UDB702")}
    assert result.per_record == 5  # rows 0 to 3 and 6
    assert _values(result, "eligible") == {3: True, 4: True, 5: True, 6: False}


def test_near_64_bits(policy: Any) -> None:
    """Quotients of 2**62 units or more go per record (249999999999999999.75 is 2**62
    units or more at its 2 places), so do those that do not end ((10**18 - 2) / 3 is held
    as decide rounds it to 34 digits); quotients just below go columnar."""
    big = 10**18 - 1
    rows = [row(amount=big, parts=1), row(amount=-big, parts=-1),
            row(amount=big, parts=4),                        # 249999999999999999.75
            row(amount=big - 1, parts=3),
            row(amount=12, income=D("999999999999999.99"), rent=D("499999999999999.995"),
                weeks=1),
            row(amount=12, income=D("999999999999999.99"), rent=D("499999999999999.995"),
                weeks=8),                                    # 124999999999999.99875
            row(amount=12, share=D(big), offers=[])]
    result = decide_columnar(policy, [{**r, "share": r["share"] if r["share"] == big
                                       else D(1)} for r in rows], ON, VALUES)
    ratio, per_week = _values(result, "ratio"), _values(result, "per_week")
    assert [ratio[k] for k in range(4)] == [
        D(big), D(big), D("249999999999999999.75"), ops.CONTEXT.divide(D(big - 1), D(3))]
    assert per_week[4] == D("999999999999999.99")
    assert per_week[5] == D("124999999999999.99875")
    assert _values(result, "quarters")[6] == D(4 * big)
    assert _values(result, "halves")[0] == D(2 * big)
    assert result.per_record == 3 and not _per_record_rows(result, "ratio")  # rows 2, 3, 5


def test_18_places(policy: Any) -> None:
    """Quotients of 18 places go columnar, of 19 per record; a divisor with zeros at the
    end (8 * 10**17, a decimal read at 18 places) is divided without them."""
    rows = [row(amount=1, parts=2**18, offers=[]),             # 0.000003814697265625
            row(amount=-(5**18), parts=-(2**18), offers=[]),   # 14551915.228366851806640625
            row(amount=1, parts=2**19, offers=[]),             # 19 places
            row(amount=8, parts=8 * 10**17, offers=[]),        # 1E-17
            row(amount=1, parts=10**18 - 1, offers=[]),        # does not end
            row(share=D("0.000000000000000001"))]              # / 0.25; 0.3 / it
    result = decide_columnar(policy, rows, ON, VALUES)
    ratio = _values(result, "ratio")
    assert ratio[0] == D("0.000003814697265625") and ratio[3] == D("1E-17")
    assert ratio[1] == D("14551915.228366851806640625")  # 2**62 units or more at 18 places
    assert _values(result, "quarters")[5] == D("4E-18")
    assert _values(result, "offer_shares")[5] == D("3E+17")
    assert result.per_record == 3 and _per_record_rows(result, "ratio") == [2, 4]


def _divide(policy: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """The kernel alone on a batch of the rows of ``a`` or ``b``: the quotient and the rows
    sent per record."""
    n = next(len(x.u) for x in (a, b) if isinstance(x, Num))
    batch = Batch(policy.graph, {}, n, ON, policy.month_end, set(), np.zeros(n, dtype=bool))
    return divide(batch, 0, a, b), batch.unsure


def _per_record(x: Decimal, y: Decimal, ux: int, uy: int, scale: int) -> bool:
    """Whether the row ``x / y`` (``ux``, ``uy`` its operands' units) must go per record: a
    zero divisor; an operand of 2**62 units or more; a divisor of 2**59 units or more
    (without its zeros at the end) that leaves a remainder; a quotient that does not end
    within 18 places, or of 2**62 units or more at its own places or the column's
    ``scale``."""
    if not uy or abs(ux) >= 2**62 or abs(uy) >= 2**62:
        return True
    while uy % 10 == 0:  # the divisor without its zeros at the end
        uy //= 10
    if abs(uy) >= 2**59 and ux % uy:
        return True
    q = Fraction(x) / Fraction(y)
    places = next((p for p in range(19) if (q * 10**p).denominator == 1), None)
    return places is None or abs(q * 10 ** max(scale, places)) >= 2**62


def _check(policy: Any, a: Any, b: Any) -> Num:
    """``a / b`` by the kernel against ``ops.divide`` row by row: a row it answers has the
    exact quotient, a row goes per record only for a reason (and always for one), and the
    column has the fewest places that hold the rows it answers."""
    out, unsure = _divide(policy, a, b)
    n = len(out.u)

    def values(x: Any) -> list[tuple[Any, int]]:  # (the value, its units)
        if isinstance(x, Num):
            return [(Money(D(int(u)).scaleb(-x.scale), x.currency) if x.currency
                     else D(int(u)).scaleb(-x.scale), int(u)) for u in x.u]
        amount = x.amount if type(x) is Money else D(x)
        places = max(0, -int(amount.normalize().as_tuple().exponent))  # type: ignore[arg-type]
        return [(x, int(amount.scaleb(places)))] * n

    needed = 0
    assert 0 <= out.scale <= 18
    for (x, ux), (y, uy), u, flagged in zip(values(a), values(b), out.u, unsure, strict=True):
        dx, dy = (v.amount if type(v) is Money else D(v) for v in (x, y))
        assert bool(flagged) == _per_record(dx, dy, ux, uy, out.scale), (x, y, out.scale)
        if flagged:
            continue
        want = ops.divide(x, y)
        assert type(want) is (Money if out.currency else Decimal)
        if type(want) is Money:
            assert want.currency == out.currency
            want = want.amount
        assert D(int(u)).scaleb(-out.scale) == want, (x, y, out.scale)
        needed = max(needed, -int(want.normalize().as_tuple().exponent))  # type: ignore[arg-type]
    assert out.scale == needed  # the fewest places that hold every row
    return out


def test_the_kernel_on_boundary_rows(policy: Any) -> None:
    pairs = [(10, 4), (1, 3), (-7, 8), (0, -5), (6, 0), (2**60, 2), (2**61, 3), (1, 2**40),
             (2**62 - 1, 1), (-(2**62) + 1, -1), (2**62, 1), (5, 2**59), (2**59, 2**59),
             (3 * 2**59, 2**59 - 1), (1, 5**18), (1, 2**19), (-(10**18), 10**18 - 1),
             (2**60 - 2**42, 2**60)]  # 0.999996185302734375, but `rest * 10` is 2**63 or more
    out = _check(policy, Num(0, np.array([a for a, _ in pairs], dtype=np.int64)),
                 Num(0, np.array([b for _, b in pairs], dtype=np.int64)))
    assert out.scale == 18  # 1 / 5**18
    got = [D(int(u)).scaleb(-out.scale) for u in out.u]
    assert got[0] == D("2.5") and got[2] == D("-0.875") and got[12] == D(1)
    _, unsure = _divide(policy, *(Num(0, np.array(side, dtype=np.int64))
                                  for side in zip(*pairs, strict=True)))
    assert np.flatnonzero(unsure).tolist() == [1, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 16, 17]
    # 2**50 / 2 is 2**62 units or more at 18 places, not at the 2 places of 1 / 4
    out = _check(policy, Num(0, np.array([2**50, 1, 2**50], dtype=np.int64)),
                 Num(0, np.array([2, 4, 1], dtype=np.int64)))
    assert out.scale == 2 and [int(u) for u in out.u] == [2**49 * 100, 25, 2**50 * 100]


UNITS = st.one_of(st.integers(-1000, 1000), st.integers(-(2**62), 2**62),
                  st.integers(-(2**63) + 1, 2**63 - 1),
                  st.builds(lambda i, j, s: s * 2**i * 5**j, st.integers(0, 61),
                            st.integers(0, 26), st.sampled_from([1, -1]))
                  .filter(lambda u: abs(u) < 2**63),
                  st.sampled_from([0, 1, -1, 2**59, 2**59 - 1, 2**62 - 1, -(2**62) + 1,
                                   10**18, 3 * 10**17]))


@settings(max_examples=400, deadline=None)
@given(pairs=st.lists(st.tuples(UNITS, UNITS), min_size=1, max_size=12),
       sa=st.integers(0, 18), sb=st.integers(0, 18),
       money=st.sampled_from([(None, None), ("DKK", None), ("DKK", "DKK")]))
def test_the_kernel_is_exact(policy: Any, pairs: list[tuple[int, int]], sa: int, sb: int,
                             money: tuple[str | None, str | None]) -> None:
    _check(policy, Num(0, np.array([a for a, _ in pairs], dtype=np.int64), sa, money[0]),
           Num(0, np.array([b for _, b in pairs], dtype=np.int64), sb, money[1]))


FIXED = [D("1850.00"), Money(D("1850.00"), "DKK"), Money(D("0.01"), "DKK"), 7, -3, D("0.4"),
         D("-2.5E+3"), D("0.000000000000000001"), D("1E-20"), 0, 10**19, D("3.14159")]


@pytest.mark.parametrize("fixed", FIXED)
def test_a_fixed_number_or_amount(policy: Any, fixed: Any) -> None:
    """A fixed number or amount by a column, a column by one; a fixed operand of more
    places than 64-bit units hold (1E-20 is 1 unit at 20 places: its quotients do) or
    beyond 64 bits sends each row per record."""
    units = np.array([4, -1, 3, 8, 0, 10**17, 2**61 + 1], dtype=np.int64)
    for scale, currency in ((0, None), (2, None), (2, "DKK"), (18, None)):
        column = Num(0, units, scale, currency)
        if currency is None or type(fixed) is Money:  # no number by an amount
            _check(policy, fixed, column)
        if currency is not None or type(fixed) is not Money:
            _check(policy, column, fixed)


def test_other_operands_are_unsupported(policy: Any) -> None:
    column = Num(0, np.array([1], dtype=np.int64))
    with pytest.raises(Unsupported, match="`/` of Duration and Num"):
        _divide(policy, Duration(0, 7), column)
    with pytest.raises(Unsupported, match="a number divided by an amount"):
        _divide(policy, 1, Num(0, np.array([1], dtype=np.int64), 0, "DKK"))
    with pytest.raises(Unsupported, match="a number divided by an amount"):
        _divide(policy, column, Money(D(1), "DKK"))


_ROW = st.fixed_dictionaries({
    "amount": st.one_of(st.integers(-100, 100), st.integers(-(10**18) + 1, 10**18 - 1)),
    "parts": st.one_of(st.integers(-20, 20), st.sampled_from([2**18, 2**19, 10**18 - 1])),
    "weeks": st.integers(0, 10),
    "income": st.integers(-10**6, 10**7).map(lambda c: D(c).scaleb(-2)),
    "rent": st.integers(0, 10**6).map(lambda c: D(c).scaleb(-2)),
    "share": st.integers(-1000, 1000).map(lambda c: D(c).scaleb(-3)),
    "weekly": st.integers(0, 80).map(lambda c: D(c).scaleb(-1)),
    "offers": st.lists(st.fixed_dictionaries({
        "hours": st.integers(0, 40),
        "share": st.integers(0, 100).map(lambda c: D(c).scaleb(-2))}), max_size=3)})


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_ROW, min_size=1, max_size=30))
def test_generated_rows_agree(policy: Any, rows: list[dict[str, Any]]) -> None:
    decide_columnar(policy, rows, ON, VALUES)
