"""Citizens as dicts read into columns a fact at a time (``columnar/records.py``): the
rows it reads give the same decisions and the same errors (row, path, code, message) as
the exact way, which checks each dict as ``decide`` does; every row whose values are not
exactly of the checked types falls back to it. Two policies: ``data/records`` (numbers,
yes/no, dates, texts, choices, a record, a list) and ``data/records-dated`` (histories,
amounts, periods, durations)."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from equivalence import assert_agree  # noqa: E402

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import table as table_module  # noqa: E402
from udbudsregler.columnar.records import readable, to_columns  # noqa: E402
from udbudsregler.diagnostics import FactError  # noqa: E402
from udbudsregler.values.money import Money  # noqa: E402
from udbudsregler.values.temporal import Duration, Period  # noqa: E402

HERE = Path(__file__).resolve().parent
ON = date(2019, 2, 1)


def _good_plain(rng: random.Random) -> dict[str, Any]:
    return {
        "age": rng.randint(16, 70), "years": Decimal(rng.randint(0, 100)) / 10,
        "weekly": rng.choice([rng.randint(0, 40), Decimal(rng.randint(0, 400)) / 10]),
        "ready": rng.random() < 0.7, "since": date(2018, 1, 1).fromordinal(
            date(2018, 1, 1).toordinal() + rng.randint(0, 800)),
        "note": rng.choice(["", "ok", "Ærø", "a:b"]),
        "benefit": rng.choice(["kontanthjaelp", "sygedagpenge"]),
        "home": {"city": rng.choice(["København", "Slagelse"]), "zone": rng.randint(0, 9)},
        "offers": [{"kind": rng.choice(["praktik", "loentilskud", "mentor"]),
                    "hours": rng.randint(0, 37), "share": Decimal(rng.randint(0, 10)) / 10}
                   for _ in range(rng.randint(0, 4))],
    }


#: Each makes a row that is not certain (a wrong type, a missing or extra fact, a value
#: the fact check refuses or Arrow cannot hold exactly) or one the columns' checks send
#: per record (a value outside the limits, a range or the choices).
BAD_PLAIN: list[tuple[str, Any]] = [
    ("age", True), ("age", 30.0), ("age", "30"), ("age", None), ("age", 10**18),
    ("age", 2**70), ("age", 15), ("age", 71), ("years", 2.5), ("years", Decimal("NaN")),
    ("years", Decimal("Infinity")), ("years", Decimal("1E-30")), ("years", Decimal("0E-30")),
    ("years", Decimal("1.0000000000000000001")), ("years", Decimal("1E+18")),
    ("years", 10**18), ("years", True), ("weekly", -1), ("weekly", Decimal("-0.5")),
    ("weekly", 41), ("ready", 1), ("ready", None), ("since", datetime(2019, 1, 1)),
    ("since", "2019-01-01"), ("since", date(1, 1, 1)), ("note", 5), ("note", "\ud800"),
    ("benefit", "jobparat"), ("benefit", 1), ("home", {"city": "K"}),
    ("home", {"city": "K", "zone": 1, "x": 2}), ("home", [("city", "K"), ("zone", 1)]),
    ("offers", ({"kind": "praktik", "hours": 1, "share": Decimal(1)},)),
    ("offers", [{"kind": "praktik", "hours": 1}]),
    ("offers", [{"kind": "praktik", "hours": 1, "share": Decimal(1), "x": 0}]),
    ("offers", [{"kind": "other", "hours": 1, "share": Decimal(1)}]),
    ("offers", [{"kind": "praktik", "hours": -(10**19), "share": Decimal(1)}]),
    ("offers", [{"kind": "praktik", "hours": 1, "share": 0.5}]), ("offers", None),
]


def _day(rng: random.Random) -> date:
    return date.fromordinal(date(2018, 1, 1).toordinal() + rng.randint(0, 900))


def _bounds(rng: random.Random, open_end: bool = True) -> dict[str, date | None]:
    start = _day(rng)
    end = None if open_end and rng.random() < 0.3 else date.fromordinal(
        start.toordinal() + rng.randint(0, 400))
    return {"from": start, "to": end}


def _kr(rng: random.Random, most: int) -> Money:
    return Money(Decimal(rng.randint(0, most * 100)) / 100, "DKK")


def _length(rng: random.Random) -> Duration:
    return rng.choice([Duration(months=rng.randint(0, 14)), Duration(days=rng.randint(0, 400))])


def _good_dated(rng: random.Random) -> dict[str, Any]:
    def history(fields: Callable[[], dict[str, Any]], open_end: bool = True
                ) -> list[dict[str, Any]]:
        return [{**fields(), **_bounds(rng, open_end)} for _ in range(rng.randint(0, 3))]

    return {
        "rent": _kr(rng, 9000), "leave": Period(**dict(zip(("start", "end"), _bounds(
            rng).values(), strict=True))), "notice": _length(rng),
        "benefits": history(lambda: {"kind": rng.choice(["kontanthjaelp", "sygedagpenge"]),
                                     "rate": _kr(rng, 4000)}),
        "contracts": history(lambda: {"hours": rng.choice([rng.randint(0, 9), Decimal(
            rng.randint(0, 90)) / 10])}, open_end=False),
        "stays": history(dict),
        "home": {"deposit": _kr(rng, 6000), "lease": Period(_day(rng))},
        "offers": [{"kind": rng.choice(["praktik", "mentor"]), "price": _kr(rng, 9000),
                    "length": _length(rng), "span": Period(_day(rng), date(2021, 1, 1))}
                   for _ in range(rng.randint(0, 3))],
    }


_DAY = date(2019, 1, 1)
#: Bad values, and edge values decide accepts (an open period, a negative duration, a
#: duration beyond the text the columns read, an amount given as text or a number).
BAD_DATED: list[tuple[str, Any]] = [
    ("rent", Money(5, "SEK")), ("rent", Decimal(5)), ("rent", "5 DKK"), ("rent", 5),
    ("rent", Money(Decimal("1E+18"), "DKK")), ("rent", Money(Decimal("1E-30"), "DKK")),
    ("rent", Money(Decimal("1.0000000000000000001"), "DKK")), ("rent", None),
    ("leave", Period(_DAY)), ("leave", {"from": _DAY, "to": None}), ("leave", "2019-01-01.."),
    ("leave", Period(date(1, 1, 1), _DAY)), ("leave", Period(_DAY, date(9999, 12, 31))),
    ("notice", Duration(1, 5)), ("notice", Duration(months=5000)), ("notice", Duration(-3)),
    ("notice", Duration(days=-40)), ("notice", "3 months"), ("notice", 3),
    ("benefits", [{"kind": "kontanthjaelp", "rate": Money(1, "DKK"), "from": _DAY,
                   "to": date(2018, 1, 1)}]),
    ("benefits", [{"kind": "kontanthjaelp", "rate": Money(1, "DKK"), "from": _DAY}]),
    ("benefits", [{"kind": "kontanthjaelp", "rate": Money(1, "DKK"), "from": _DAY,
                   "to": datetime(2020, 1, 1)}]),
    ("benefits", [{"kind": "kontanthjaelp", "rate": Money(1, "DKK"), "from": None,
                   "to": None}]),
    ("benefits", [{"kind": "kontanthjaelp", "rate": Money(1, "SEK"), "from": _DAY,
                   "to": None}]),
    ("benefits", [{"kind": "other", "rate": Money(1, "DKK"), "from": _DAY, "to": None}]),
    ("contracts", [{"hours": 1, "from": _DAY, "to": None}]),
    ("contracts", [{"hours": -1, "from": _DAY, "to": _DAY}]),
    ("stays", [{"from": _DAY, "to": None, "x": 1}]),
    ("stays", [{"from": "2019-01-01", "to": None}]), ("stays", [{"from": _DAY, "to": _DAY}] * 3),
    ("stays", [{"from": date(1, 1, 1), "to": None}]), ("stays", None),
    ("home", {"deposit": Money(1, "DKK"), "lease": "x"}),
    ("home", {"deposit": Money(1, "DKK"), "lease": Period(_DAY), "x": 1}),
    ("offers", [{"kind": "praktik", "price": Money(1, "DKK"), "length": Duration(2, 3),
                 "span": Period(_DAY)}]),
    ("offers", [{"kind": "praktik", "price": Money(1, "DKK"), "length": Duration(1200),
                 "span": Period(_DAY)}]),
    ("offers", [{"kind": "praktik", "price": Money(1, "EUR"), "length": Duration(2),
                 "span": Period(_DAY)}]),
    ("offers", [{"kind": "praktik", "price": Money(1, "DKK"), "length": Duration(2),
                 "span": {"from": _DAY, "to": None}}]),
]


@dataclass(frozen=True)
class Case:
    """A policy of the test data, a good citizen of it, and values that make a row bad
    (or are edge values ``decide`` accepts)."""

    name: str
    good: Callable[[random.Random], dict[str, Any]]
    bad: list[tuple[str, Any]]
    values: tuple[str, ...]

    @property
    def policy(self) -> Any:
        return _policy(self.name)


@functools.cache
def _policy(name: str) -> Any:
    return load_policy(HERE / "data" / name)


PLAIN = Case("records", _good_plain, BAD_PLAIN, ("score",))
DATED = Case("records-dated", _good_dated, BAD_DATED,
             ("paid", "priced", "notice_ends", "long_offers", "stay_spells"))
CASES = pytest.mark.parametrize("case", [PLAIN, DATED], ids=lambda c: c.name)


def _rows(case: Case, seed: int, n: int) -> list[Any]:
    rng = random.Random(seed)
    rows: list[Any] = [case.good(rng) for _ in range(n)]
    bad = case.bad
    first = next(iter(rows[0]))
    for i in range(0, n, 3):  # every third row: one bad value (or a bad shape)
        kind = rng.randrange(len(bad) + 4)
        row = dict(rows[i])
        if kind < len(bad):
            name, value = bad[kind]
            row[name] = value
        elif kind == len(bad):
            del row[first]
        elif kind == len(bad) + 1:
            row["shoe"] = 42
        elif kind == len(bad) + 2:
            row = list(row.items())  # type: ignore[assignment]
        else:
            row = {first: rows[i][first]}
        rows[i] = row
    return rows


def _exact(policy: Any, rows: list[Any], **options: Any) -> Any:
    return table_module._checked_records(policy, rows, list(range(len(rows))), ON,
                                         options.pop("first_row", 0), options)


def _same(got: Any, want: Any) -> None:
    assert got.decisions.to_pylist() == want.decisions.to_pylist()
    assert got.errors.to_pylist() == want.errors.to_pylist()
    assert got.rows == want.rows


def _specs(policy: Any) -> dict[str, Any]:
    return {name: fact.spec for name, fact in policy.graph.facts.items()}


def _columns(policy: Any, rows: list[Any]) -> Any:
    return to_columns(_specs(policy), rows, policy.graph.header.currency)


def _all_columnar(policy: Any, rows: list[Any], values: tuple[str, ...]) -> None:
    """Every row read as columns and decided on them, as decide decides it."""
    assert _columns(policy, rows).rest == []
    got = policy.decide_table(rows, ON, values=values)
    assert_agree(policy, rows, ON, got, values=values)
    assert got.columnar == len(rows)


def test_policies_are_read_as_columns() -> None:
    """Every kind of fact is read: the test policies' and those of ``policies/``."""
    for case in (PLAIN, DATED):
        assert readable(_specs(case.policy)), case.name
    for folder in sorted((HERE.parents[1] / "policies").iterdir()):
        if (folder / "policy.yaml").exists():
            assert readable(_specs(load_policy(folder))), folder.name


@CASES
def test_good_rows_are_all_read_as_columns(case: Case) -> None:
    """Open ends, amounts, periods and durations of one unit are read, not sent the
    exact way."""
    rng = random.Random(11)
    rows = [case.good(rng) for _ in range(200)]
    _all_columnar(case.policy, rows, case.values)


@CASES
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dicts_equal_the_exact_way(case: Case, seed: int) -> None:
    policy, values = case.policy, case.values
    rows = _rows(case, seed, 240)
    got = policy.decide_table(rows, ON, values=values, first_row=1000)
    _same(got, _exact(policy, rows, values=values, first_row=1000))
    assert_agree(policy, rows, ON, _renumbered(got, -1000), values=values)
    assert got.columnar > 0


@CASES
@pytest.mark.parametrize("block", [1, 7, 64])
def test_rows_read_in_blocks_equal_the_exact_way(case: Case, block: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The facts are read a block of rows at a time: with small blocks, the bad rows of
    later blocks (and the rows their list items belong to) must still be found."""
    from udbudsregler.columnar import records

    policy, values = case.policy, case.values
    monkeypatch.setattr(records, "_BLOCK", block)
    rows = _rows(case, block + 10, 150)
    columns = _columns(policy, rows)
    assert columns.rest and columns.rows  # some rows of each kind
    monkeypatch.setattr(records, "_BLOCK", 10**6)
    assert _columns(policy, rows).rest == columns.rest  # as read in one block
    assert _columns(policy, rows).table.equals(columns.table)
    monkeypatch.setattr(records, "_BLOCK", block)
    got = policy.decide_table(rows, ON, values=values)
    _same(got, _exact(policy, rows, values=values))


def _renumbered(result: Any, by: int) -> Any:
    decided = result.decisions
    decided = decided.set_column(0, "row", pa.compute.add(decided.column("row"), by))
    errors = result.errors.set_column(0, "row", pa.compute.add(result.errors.column("row"), by))
    return type(result)(decided, errors, result.rows, result.columnar, result.per_record)


@CASES
def test_each_bad_value_falls_back_or_is_checked(case: Case) -> None:
    """A bad value is either not certain (the exact way) or sent per record by the
    columns' checks; the errors are those of decide either way, and so are the
    decisions of the edge values decide accepts (a value the columns cannot hold goes
    per record, not read wrong)."""
    policy, values = case.policy, case.values
    rng = random.Random(5)
    for name, value in case.bad:
        row = {**case.good(rng), name: value}
        rows = [case.good(rng), row, case.good(rng)]
        columns = _columns(policy, rows)
        assert 0 in columns.rows and 2 in columns.rows
        got = policy.decide_table(rows, ON, values=values)
        _same(got, _exact(policy, rows, values=values))
        assert_agree(policy, rows, ON, got, values=values)
        try:
            policy.decide(row, ON)
        except FactError:  # read as columns, a rejected value is the columns' checks' to catch
            assert 1 not in columns.rows or got.per_record >= 1, (name, value)


@pytest.mark.parametrize(("case", "changes"), [
    (PLAIN, [("age", True), ("age", 3.0), ("years", 2.5), ("ready", 1),
             ("since", datetime(2019, 1, 1)), ("note", 1), ("years", Decimal("1E-30")),
             ("years", Decimal("0E-30")), ("age", 2**70), ("offers", ())]),
    (DATED, [("rent", Money(5, "SEK")), ("rent", "5 DKK"), ("rent", {"amount": "5"}),
             ("rent", {"amount": "5", "currency": "SEK"}), ("leave", {"from": _DAY}),
             ("leave", {"from": _DAY, "to": None, "x": 1}), ("leave", {"from": None,
             "to": None}), ("notice", Duration(1, 5)), ("notice", 3),
             ("stays", [{"from": _DAY}]), ("stays", [{"from": datetime(2019, 1, 1),
                                                      "to": None}]),
             ("stays", [{"from": _DAY, "to": "2020-01-01"}, {"from": _DAY, "to": _DAY}]),
             ("home", {"deposit": Money(1, "DKK"), "lease": None}),
             ("offers", [{"kind": "praktik", "price": Money(1, "DKK"),
                          "length": Duration(2, 3), "span": Period(_DAY)}])]),
], ids=["records", "records-dated"])
def test_types_that_must_fall_back(case: Case, changes: list[tuple[str, Any]]) -> None:
    policy = case.policy
    rng = random.Random(9)
    for name, value in changes:
        columns = _columns(policy, [{**case.good(rng), name: value}])
        assert columns.rest == [0], (name, value)
    assert _columns(policy, [[1, 2]]).rest == [0]
    assert _columns(policy, [{**case.good(rng), "shoe": 1}]).rest == [0]


def test_a_duration_of_months_and_days_is_decided_as_decide_decides_it() -> None:
    """A duration of months and days together has no text the columns read: it was read
    as its months alone (a wrong decision); now its row is decided per record."""
    policy = DATED.policy
    row = {**_good_dated(random.Random(3)), "notice": Duration(4, 20), "leave": Period(
        date(2018, 1, 1), date(2018, 2, 1))}
    want = policy.decide(row, ON)
    assert want.value("notice_ends") == date(2019, 6, 21)
    got = policy.decide_table([row], ON, values=["notice_ends"])
    assert got.decisions.column("notice_ends").to_pylist() == [date(2019, 6, 21)]
    assert got.decisions.column("eligible").to_pylist() == [want.eligible]
    assert got.per_record == 1


def test_a_rows_problems_are_in_the_order_decide_gives_them() -> None:
    """Rejected by the fact check (not decided per record), a row's problems come in the
    order of decide's FactError (by path), as those of a row decided per record do."""
    policy = PLAIN.policy
    row = {**_good_plain(random.Random(1)), "years": 2.5, "weekly": -1}  # years first
    with pytest.raises(FactError) as raised:
        policy.decide(row, ON)
    want = [(p.path, p.code, p.described) for p in raised.value.problems]
    assert [p for p, _, _ in want] == ["weekly", "years"]
    got = policy.decide_table([row], ON)
    assert [(e["path"], e["code"], e["message"]) for e in got.errors.to_pylist()] == want


def _as_text(value: Any) -> Any:
    """Dates as ISO text and periods as dicts, as JSON gives them (the rest as it is)."""
    if type(value) is date:
        return value.isoformat()
    if type(value) is Period:
        return {"from": value.start.isoformat(), "to": _as_text(value.end)}
    if type(value) is dict:
        return {k: _as_text(v) for k, v in value.items()}
    if type(value) is list:
        return [_as_text(v) for v in value]
    return value


@CASES
def test_dates_given_as_text_are_read_as_columns(case: Case) -> None:
    """Dates as ISO text (a host that read JSON) are read as text columns, which the
    columns read as decide reads a date given as text: the rows are not sent the exact
    way; a text that is no date is its row's error, decide's."""
    policy, values = case.policy, case.values
    rng = random.Random(17)
    rows = [_as_text(case.good(rng)) for _ in range(200)]
    assert any(isinstance(v, str) and v[:2] == "20" for r in rows for v in r.values()) or \
        any(isinstance(v, list) and v and isinstance(v[0].get("from"), str)
            for r in rows for v in r.values())
    _all_columnar(policy, rows, values)
    field = "since" if case is PLAIN else "benefits"
    for wrong in ("2019-02-30", "2019-1-01", "", " 2019-01-01", "2019-01-01T00:00"):
        bad = [dict(r) for r in rows[:20]]
        if case is PLAIN:
            bad[3][field] = wrong
        else:
            bad[3][field] = [{"kind": "kontanthjaelp", "rate": Money(1, "DKK"),
                              "from": wrong, "to": None}]
        got = policy.decide_table(bad, ON, values=values)
        assert_agree(policy, bad, ON, got, values=values)
        assert got.errors.num_rows >= 1 and got.columnar == 19, wrong


def _as_numbers(value: Any) -> Any:
    """Amounts as plain numbers, as a host that read JSON gives them."""
    if type(value) is Money:
        return value.amount
    if type(value) is dict:
        return {k: _as_numbers(v) for k, v in value.items()}
    if type(value) is list:
        return [_as_numbers(v) for v in value]
    return value


def test_amounts_given_as_numbers_are_read_as_columns() -> None:
    """An amount given as a number (an amount in the policy's currency, as decide takes
    it) is read as a column, beside amounts given as Money; one in another currency
    goes the exact way."""
    policy, values = DATED.policy, DATED.values
    rng = random.Random(23)
    rows = [_as_numbers(_good_dated(rng)) for _ in range(200)]
    rows[5]["rent"] = 7000  # a whole number
    assert all(type(r["rent"]) in (int, Decimal) for r in rows)
    _all_columnar(policy, rows, values)
    mixed = [dict(r) for r in rows[:10]]
    mixed[2]["rent"] = Money(5, "DKK")
    mixed[6]["rent"] = Money(5, "EUR")
    assert _columns(policy, mixed).rest == [6]
    got = policy.decide_table(mixed, ON, values=values)
    assert_agree(policy, mixed, ON, got, values=values)
    for wrong in (Decimal("1E+18"), Decimal("1E-30"), -(10**19), 5.5, True):
        bad = [dict(r) for r in rows[:10]]
        bad[4]["rent"] = wrong
        got = policy.decide_table(bad, ON, values=values)
        assert_agree(policy, bad, ON, got, values=values)


@CASES
def test_the_libraries_json_is_read_as_columns(case: Case) -> None:
    """Facts as the library writes them as JSON (``to_json``: numbers with places and
    amounts as text, dates as ISO text, durations as "4 months"), read back with
    ``parse_float=Decimal``, are read as columns; numbers written as text that decide
    does not read go the exact way, to decide's errors."""
    import json

    from udbudsregler.values.canonical import to_json

    policy, values = case.policy, case.values
    rng = random.Random(29)
    rows = [json.loads(json.dumps(to_json(case.good(rng))), parse_float=Decimal)
            for _ in range(200)]
    _all_columnar(policy, rows, values)
    field = "years" if case is PLAIN else "rent"
    for wrong in ("1.5.1", "+1", " 1", "1e400", "0e-30", "1" * 65, "NaN", "1_000", "٣"):
        bad = [dict(r) for r in rows[:10]]
        bad[4][field] = wrong if case is PLAIN else {"amount": wrong, "currency": "DKK"}
        got = policy.decide_table(bad, ON, values=values)
        assert_agree(policy, bad, ON, got, values=values)
        assert got.errors.num_rows >= 1, wrong


@pytest.mark.parametrize("option", [{"id": "cid"}, {"order": "order"},
                                    {"histories": {"benefits": []}}])
def test_options_that_name_columns_are_refused_for_dicts(option: dict[str, Any]) -> None:
    """`id=`, `order="column"` and `histories=` name columns of a table: with a list of
    dicts they were read as facts (each dict's `cid` an unknown fact) and then failed with
    a ``KeyError`` for the missing column; now a ``TypeError`` saying what to do."""
    policy = load_policy(HERE.parents[1] / "policies" / "slagelse-2019")
    with pytest.raises(TypeError, match="for a list of dicts, a decision's `row` is the "
                       "dict's place in the list"):
        policy.decide_table([{"cid": "c1"}], ON, **option)
