"""Dates given as ISO text (``string`` columns, as a JSON reader or a Polars frame gives
them) are read on the columns as ``decide`` reads a date given as text: the same decisions
as ``date32`` columns, and a text that is not a strict, real calendar date is decided per
record, with ``decide``'s error (never a null, never an open end)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from equivalence import assert_agree  # noqa: E402

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import fact_schema  # noqa: E402
from udbudsregler.columnar.table import _HI, _LO, _iso_dates, arrow_value, text_dates  # noqa: E402
from udbudsregler.diagnostics import FactError  # noqa: E402
from udbudsregler.policy import Policy  # noqa: E402
from udbudsregler.testing.boundaries import sample_citizens  # noqa: E402
from udbudsregler.values.convert import as_date  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATED = ["slagelse-2019", "koebenhavn-2024", "rusta-och-matcha-2"]


def _policy(name: str) -> Policy:
    return load_policy(ROOT / "policies" / name)


def _text(value: Any) -> Any:
    """A canonical fact value in its Arrow form, dates as ISO text."""
    value = arrow_value(value)
    if type(value) is dt.date:
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value


def _texts(policy: Policy, rows: list[dict[str, Any]]) -> Any:
    """The rows as a table with every date as ISO text."""
    schema = fact_schema(policy.graph)
    return pa.Table.from_pylist(rows, schema=schema).cast(text_dates(schema))


@pytest.mark.parametrize("name", DATED)
def test_text_dates_decide_as_date_columns(name: str) -> None:
    policy = _policy(name)
    on = policy.header.valid.from_
    rows = sample_citizens(policy, on, 200, seed=21)
    dated = policy.decide_table(pa.Table.from_pylist(rows, schema=fact_schema(policy.graph)), on)
    texts = policy.decide_table(_texts(policy, rows), on)
    assert texts.decisions.equals(dated.decisions)
    assert texts.errors.num_rows == dated.errors.num_rows == 0
    assert texts.columnar == dated.columnar
    assert_agree(policy, [_text(r) for r in rows], on, texts)


def _errors(policy: Policy, facts: dict[str, Any], on: dt.date) -> list[tuple[str, str, str]]:
    with pytest.raises(FactError) as raised:
        policy.decide(facts, on)
    return sorted((p.path, p.code, p.described) for p in raised.value.problems)


def _history(policy: Policy) -> str:
    return next(k for k, f in policy.graph.facts.items() if f.spec.type == "history")


@pytest.mark.parametrize("name", ["slagelse-2019", "koebenhavn-2024"])
@pytest.mark.parametrize("where", ["birth_date", "from", "to"])
@pytest.mark.parametrize("text", ["2024-1-1", "2024-02-30", "1700-01-01", "19000", "",
                                  "2019-01-01 ", "２０１９-01-01", "2019/01/01"])
def test_a_text_that_is_not_a_date_gets_decides_error(name: str, where: str, text: str) -> None:
    """Each bad text: the row is not decided, and its errors are decide's (path, code and
    message); the other rows are decided as before."""
    policy = _policy(name)
    on = policy.header.valid.from_
    rows = [_text(r) for r in sample_citizens(policy, on, 20, seed=22)]
    history = _history(policy)
    k = next(i for i, r in enumerate(rows) if r[history])
    bad = dict(rows[k])
    if where == "birth_date":
        bad["birth_date"] = text
    else:
        bad[history] = [{**bad[history][0], where: text}, *bad[history][1:]]
    rows[k] = bad
    schema = text_dates(fact_schema(policy.graph))
    result = policy.decide_table(pa.Table.from_pylist(rows, schema=schema), on)
    assert_agree(policy, rows, on, result)
    assert k not in result.decisions.column("row").to_pylist()
    got = sorted((e["path"], e["code"], e["message"]) for e in result.errors.to_pylist()
                 if e["row"] == k)
    assert got == _errors(policy, bad, on)


def test_an_open_end_is_null_and_a_bad_end_is_an_error() -> None:
    """A history's `to` null is an open end (decided on the columns); an empty or invalid
    `to` is decide's error, never taken for an open end."""
    policy = _policy("slagelse-2019")
    on = dt.date(2019, 2, 1)
    base = {"birth_date": "1980-05-01", "visitation": "aktivitetsparat",
            "subject_to_225_rule": True, "offers": []}
    rows = [{**base, "benefits": [{"kind": "kontanthjaelp", "from": "2018-01-01", "to": to}]}
            for to in (None, "", "2019-02-30", "2019-12-31")]
    schema = text_dates(fact_schema(policy.graph))
    result = policy.decide_table(pa.Table.from_pylist(rows, schema=schema), on)
    assert_agree(policy, rows, on, result)
    assert sorted(result.decisions.column("row").to_pylist()) == [0, 3]
    assert sorted(set(result.errors.column("row").to_pylist())) == [1, 2]
    assert result.columnar == 2


def test_a_polars_frame_with_text_dates() -> None:
    pl = pytest.importorskip("polars")
    policy = _policy("slagelse-2019")
    on = dt.date(2019, 2, 1)
    rows = sample_citizens(policy, on, 120, seed=23)
    table = _texts(policy, rows)
    frame = pl.from_arrow(table)
    assert frame.schema["birth_date"] == pl.String
    assert frame.to_arrow().schema.field("birth_date").type == pa.large_string()
    got = policy.decide_table(frame, on)
    want = policy.decide_table(pa.Table.from_pylist(rows, schema=fact_schema(policy.graph)), on)
    assert got.decisions.equals(want.decisions)
    assert got.columnar == want.columnar == len(rows)
    spoiled = frame.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("1990-13-01"))
                                 .otherwise(pl.col("birth_date")).alias("birth_date"))
    result = policy.decide_table(spoiled, on)
    assert_agree(policy, spoiled.to_arrow().to_pylist(), on, result)
    assert set(result.errors.column("row").to_pylist()) == {3}


def test_the_date_text_reader_is_as_date() -> None:
    """Every day of the input limits and around them, and made-up texts, read as
    ``as_date`` reads them: the same day, or rejected."""
    import random

    texts: list[str | None] = []
    day = dt.date.fromordinal(_LO - 3)
    while day.toordinal() <= _HI + 3:
        texts.append(day.isoformat())
        day += dt.timedelta(days=1)
    rng = random.Random(5)
    for _ in range(5000):
        texts.append("".join(rng.choice("0123456789-") for _ in range(10)))
        texts.append(f"{rng.randint(0, 9999):04d}-{rng.randint(0, 19):02d}-"
                     f"{rng.randint(0, 39):02d}")
    texts += ["2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29", "0000-01-01",
              "2024-01-01\n", "٢٠٢٤-01-01", None, "2024-13-01", "2024-00-10", "2024-01-00"]
    days = [t for t in texts[:_HI - _LO + 7]]  # real days only (read by Arrow's cast)
    checks = [(kind, part) for kind in (pa.string(), pa.large_string())
              for part in (texts[1:], days, [*days[:9], None, *days[9:]])]
    for kind, part in checks:
        ordinals, wrong = _iso_dates(pa.array(part, kind))
        for text, o, bad in zip(part, ordinals, wrong, strict=True):
            try:
                want = as_date(text).toordinal()
            except Exception:
                assert bad, text
                continue
            assert not bad and o == want, text
