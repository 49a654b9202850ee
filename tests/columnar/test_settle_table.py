"""settle_table agrees with per-referral settle on every generated settlement scenario of
every policy that settles (every column of the lines and totals, and the same problems,
with their messages, for rejected referrals)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import fact_schema  # noqa: E402
from udbudsregler.diagnostics import EvaluationError, FactError  # noqa: E402
from udbudsregler.testing.strategies import Scenario, settlement_scenarios  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
POLICIES = sorted(p.parent.name for p in (ROOT / "policies").glob("*/policy.yaml"))


def _tables(policy: Any, scenarios: list[Scenario]) -> tuple[Any, Any]:
    referrals = []
    outcomes = []
    changes = any("supplier_changes" in s.referral for s in scenarios)
    facts = any("facts" in s.referral for s in scenarios)
    previous = any("previous" in s.referral for s in scenarios)
    for i, s in enumerate(scenarios):
        r = {"id": f"R-{i}", "start": s.referral["start"], "package": s.referral["package"],
             "supplier": s.referral.get("supplier"), "area": s.referral.get("area"),
             "stop": s.referral.get("stop"), "until": s.until, "since": s.since}
        if changes:
            r["supplier_changes"] = s.referral.get("supplier_changes")
        if facts:
            r["facts"] = s.referral.get("facts")
        if previous:
            r["previous"] = s.referral.get("previous")
        extra = set(s.referral) - {*r, "id"}
        assert not extra, f"the generator gives referral fields this test does not: {extra}"
        referrals.append(r)
        outcomes += [{"referral": f"R-{i}", "kind": o["kind"], "from": o["from"],
                      "to": o["to"]} for o in s.outcomes]
    fields = [("id", pa.string()), ("start", pa.date32()), ("package", pa.string()),
              ("supplier", pa.string()), ("area", pa.string()), ("stop", pa.date32()),
              ("until", pa.date32()), ("since", pa.date32())]
    if changes:
        fields.append(("supplier_changes", pa.list_(pa.struct([("supplier", pa.string()),
                                                               ("from", pa.date32())]))))
    if facts:  # the citizen's facts, as decide_table takes them
        fields.append(("facts", pa.struct(list(fact_schema(policy.graph)))))
    if previous:
        fields.append(("previous", pa.list_(pa.struct([("from", pa.date32()),
                                                        ("to", pa.date32())]))))
    schema = pa.schema(fields)
    out_schema = pa.schema([("referral", pa.string()), ("kind", pa.string()),
                            ("from", pa.date32()), ("to", pa.date32())])
    return (pa.Table.from_pylist(referrals, schema=schema),
            pa.Table.from_pylist(outcomes, schema=out_schema))


@pytest.mark.parametrize("name", POLICIES)
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_settle_table_agrees_with_settle(name: str, data: st.DataObject) -> None:
    policy = load_policy(ROOT / "policies" / name)
    scenarios = data.draw(st.lists(settlement_scenarios(policy), min_size=1, max_size=8))
    referrals, outcomes = _tables(policy, scenarios)
    result = policy.settle_table(referrals, outcomes, until="until", since="since")
    totals = {t["row"]: t for t in result.totals.to_pylist()}
    lines: dict[int, list[Any]] = {}
    for line in result.lines.to_pylist():
        lines.setdefault(line["row"], []).append(line)
    errors: dict[int, list[Any]] = {}
    for e in result.errors.to_pylist():
        errors.setdefault(e["row"], []).append((e["path"], e["code"], e["message"]))
    for i, s in enumerate(scenarios):
        referral = {"id": f"R-{i}", **{k: v for k, v in s.referral.items() if k != "id"}}
        try:
            want = policy.settle(referral, s.outcomes, until=s.until, since=s.since)
        except FactError as error:
            assert sorted(errors[i]) == sorted((p.path, p.code, p.described)
                                               for p in error.problems)
            continue
        except EvaluationError as error:
            assert errors[i] == [(error.path or "", error.code, error.message)]
            continue
        assert totals[i]["total"] == want.total
        assert totals[i]["end_cause"] == want.end.cause
        assert (totals[i]["lines"], totals[i]["last_day"]) == (len(want.lines),
                                                               want.end.last_day)
        got = [(x["kind"], x["reason"], x["from"], x["to"], x["quantity"], x["unit"],
                x["unit_price"], x["amount"], x["capped"], x["supplier"])
               for x in lines.get(i, [])]
        assert got == [(x.kind, x.reason, x.period.start if x.period else None,
                        x.period.end if x.period else None, x.quantity, x.unit or None,
                        x.unit_price.amount if x.unit_price is not None else None,
                        x.amount.amount, x.capped, x.supplier) for x in want.lines]


# -- hostile tables (found by fuzzing) ------------------------------------------------------

SLAGELSE = ROOT / "policies" / "slagelse-2019"
REFERRAL = {"id": "R-1", "start": date(2019, 9, 2), "stop": date(2020, 5, 20),
            "package": "individuelt_forloeb"}
OUTCOME = {"referral": "R-1", "kind": "selvforsoergende", "from": date(2020, 1, 16),
           "to": None}
OWN = {k: v for k, v in OUTCOME.items() if k != "referral"}  # as settle takes it
OUTCOMES = pa.Table.from_pylist([OUTCOME], schema=pa.schema([
    ("referral", pa.string()), ("kind", pa.string()), ("from", pa.date32()),
    ("to", pa.date32())]))


def test_a_referral_field_that_gives_the_dates_stays_a_field() -> None:
    """`until="stop"`: the referral's last day is also the last day invoiced; the column
    stays in the referral (it was left out: the referral ran on, `ongoing`, silently);
    `since="start"` invoices from the start (every referral was refused: start missing)."""
    policy = load_policy(SLAGELSE)
    table = pa.Table.from_pylist([REFERRAL])
    for until, since in (("stop", date(2020, 5, 1)), (date(2020, 9, 30), "start")):
        got = policy.settle_table(table, OUTCOMES, until=until, since=since)
        want = policy.settle(REFERRAL, [OWN], until=REFERRAL.get(until, until),
                             since=REFERRAL.get(since, since))
        assert got.errors.num_rows == 0
        assert [(t["total"], t["end_cause"], t["last_day"]) for t in got.totals.to_pylist()
                ] == [(want.total, want.end.cause, want.end.last_day)]


def test_ids_of_any_shape_group_the_outcomes_as_settle_reads_them() -> None:
    """No referrals; every id null; no id column; whole-number ids with outcomes keyed by
    their text; a `string_view` key column; an outcome keyed by null (it belongs to no
    referral, not to one whose id is null): each answered as ``settle`` answers each
    referral; before, Arrow's `index_in` raised (string vs null, string vs int64)."""
    policy = load_policy(SLAGELSE)
    until = date(2020, 9, 30)
    empty = pa.table({"id": pa.array([], pa.string()), "start": pa.array([], pa.date32()),
                      "package": pa.array([], pa.string())})
    got = policy.settle_table(empty, OUTCOMES, until=until)
    assert (got.totals.num_rows, got.errors.num_rows) == (0, 0)
    base = {k: [v] for k, v in REFERRAL.items() if k != "stop"}
    for ids, want in ((pa.array([None], pa.string()), [("referral.id", "UDB602")]),
                      (None, [("referral.id", "UDB601")])):
        table = pa.table({**base, "id": ids} if ids is not None else
                         {k: v for k, v in base.items() if k != "id"})
        got = policy.settle_table(table, OUTCOMES, until=until)
        assert [(e["path"], e["code"]) for e in got.errors.to_pylist()] == want
    whole = policy.settle_table(pa.table({**base, "id": [7]}), OUTCOMES.set_column(
        0, "referral", pa.array(["7"])), until=until)
    text = policy.settle_table(pa.table(base), OUTCOMES.set_column(
        0, "referral", OUTCOMES.column("referral").cast(pa.string_view())), until=until)
    with_outcome = policy.settle({k: v[0] for k, v in base.items()}, [OWN], until=until)
    for got in (whole, text):
        assert got.totals.column("total").to_pylist() == [with_outcome.total]
    nulls = pa.table({"id": pa.array([None, "R-1"], pa.string()),
                      "start": [date(2019, 2, 1)] * 2, "package": ["individuelt_forloeb"] * 2})
    stray = OUTCOMES.set_column(0, "referral", pa.array([None], pa.string())).set_column(
        1, "kind", pa.array(["zzz"]))
    got = policy.settle_table(nulls, stray, until=until)
    assert [(e["row"], e["path"], e["code"]) for e in got.errors.to_pylist()] == [
        (0, "referral.id", "UDB602")]
    with pytest.raises(KeyError, match="the outcomes have no column 'referral'"):
        policy.settle_table(pa.table(base), OUTCOMES.drop_columns(["referral"]), until=until)


def test_dates_beyond_pythons_calendar_are_refused_as_settle_refuses_far_dates() -> None:
    """A date32 of the year 10,000 or later (Python has no such date) is refused as out of
    the input limits (UDB603) at its path; before, an OverflowError."""
    policy = load_policy(SLAGELSE)
    far = pa.array([3_000_000], pa.int32()).view(pa.date32())
    base = {k: [v] for k, v in REFERRAL.items() if k != "stop"}
    for referrals, outcomes, path in (
            (pa.table({**base, "start": far}), None, "referral.start"),
            (pa.table(base), OUTCOMES.set_column(2, "from", far), "outcomes[0].from")):
        got = policy.settle_table(referrals, outcomes, until=date(2020, 9, 30))
        assert [(e["path"], e["code"]) for e in got.errors.to_pylist()] == [(path, "UDB603")]


def test_a_dataframe_arrow_cannot_read_and_a_list_are_clear_errors() -> None:
    pd = pytest.importorskip("pandas")
    policy = load_policy(SLAGELSE)
    mixed = pd.DataFrame({"id": ["R-1", 5], "start": [date(2019, 2, 1)] * 2,
                          "package": ["individuelt_forloeb"] * 2})
    with pytest.raises(ValueError, match="settle_table: the DataFrame cannot be read as an "
                       "Arrow table"):
        policy.settle_table(mixed, None, until=date(2020, 9, 30))
    with pytest.raises(TypeError, match="settle_table needs an Arrow table or a DataFrame"):
        policy.settle_table([REFERRAL], None, until=date(2020, 9, 30))


def test_a_pandas_frame_with_an_index_of_its_own() -> None:
    """The index is not a field of the referral: before, an index other than 0, 1, 2, ...
    came through Arrow's C stream as a column ``__index_level_0__``, and every referral was
    refused (UDB606, "not a part of a referral") (found by fuzzing)."""
    pd = pytest.importorskip("pandas")
    policy = load_policy(SLAGELSE)
    referrals = pd.DataFrame({"id": ["R-1", "R-2"], "start": [date(2019, 2, 1)] * 2,
                              "package": ["individuelt_forloeb"] * 2,
                              "supplier": ["marselisborg"] * 2}, index=[5, 5])
    got = policy.settle_table(referrals, None, until=date(2020, 9, 30))
    assert got.errors.num_rows == 0 and got.totals.num_rows == 2
    assert got.totals.equals(policy.settle_table(referrals.reset_index(drop=True), None,
                                                 until=date(2020, 9, 30)).totals)


RUSTA = ROOT / "policies" / "rusta-och-matcha-2"


def test_a_decimal_of_a_decimal128_column_is_shown_as_settle_shows_it() -> None:
    """A `decimal128(38, 18)` fact holding -38 is refused with the message ``settle`` gives
    for the -38 the host wrote; before, settle_table's message read
    `-38.000000000000000000 is below ...` (its rows were read without the shortest form
    decide_table gives its facts)."""
    policy = load_policy(RUSTA)
    facts = {"inskriven_som_arbetssokande": True, "bedomd_i_malgruppen": True,
             "behover_arbetsforberedande_insatser": False, "niva": "niva_b",
             "kommun": "solna", "avstand": [{"leverantor": "solna_1", "km": Decimal("-38")}],
             "ersattning": []}
    referral = {"id": "A-7", "start": date(2025, 9, 1), "package": "rusta_och_matcha",
                "area": "stockholm_nordvast", "supplier": "solna_1", "facts": facts}
    table = pa.Table.from_pylist([referral], schema=pa.schema([
        ("id", pa.string()), ("start", pa.date32()), ("package", pa.string()),
        ("area", pa.string()), ("supplier", pa.string()),
        ("facts", pa.struct(list(fact_schema(policy.graph))))]))
    got = policy.settle_table(table, None, until=date(2026, 4, 30))
    with pytest.raises(FactError) as error:
        policy.settle(referral, [], until=date(2026, 4, 30))
    want = [(p.path, p.code, p.described) for p in error.value.problems]
    assert [(e["path"], e["code"], e["message"]) for e in got.errors.to_pylist()] == want
    assert want[0][2].startswith("-38 is below")


def test_a_unit_price_no_decimal128_holds_is_an_error_of_its_referral(tmp_path: Path) -> None:
    """A monthly price of 1000.00 / 3 (34 digits, from a division) cannot be held by the
    `unit_price` column: each such referral is an error of its own (UDB705) that says why,
    as for an amount; before, Arrow's `ArrowInvalid` ("Rescaling Decimal value would cause
    data loss") ended the whole batch (found by fuzzing)."""
    text = (SLAGELSE / "betaling.yaml").read_text(encoding="utf-8")
    assert "weekly_price: weekly_price" in text
    for path in SLAGELSE.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "betaling.yaml").write_text(text.replace(
        "weekly_price: weekly_price", "weekly_price: weekly_price / 3"), encoding="utf-8")
    policy = load_policy(tmp_path)
    table = pa.Table.from_pylist([REFERRAL, {**REFERRAL, "id": "R-2"}])
    until = date(2019, 12, 31)
    want = policy.settle(REFERRAL, [], until=until)
    price = want.lines[0].unit_price
    assert price is not None and len(price.amount.as_tuple().digits) > 30
    got = policy.settle_table(table, None, until=until)
    assert [(e["row"], e["path"], e["code"]) for e in got.errors.to_pylist()] == [
        (0, "", "UDB705"), (1, "", "UDB705")]
    assert "decimal128(38, 18) column cannot hold it exactly" in got.errors["message"][0].as_py()
    assert got.totals.num_rows == got.lines.num_rows == 0


def test_an_outcome_keyed_by_no_referral_id_is_a_clear_error() -> None:
    """pandas turns a column of whole-number referral ids with a missing one into floats:
    the outcome keyed 1.0 was left out of referral 1's settlement, which was paid as
    ongoing (105,841.14 instead of 61,022.14 with its aftercare completed), silently. A
    key that is no referral id (a float, a true/false) is a ValueError naming it; a null
    key still belongs to no referral (found by fuzzing)."""
    policy = load_policy(SLAGELSE)
    base = {k: [v] for k, v in REFERRAL.items() if k != "stop"}
    referrals = pa.table({**base, "id": [1]})
    for keys in (pa.array([1.0, None]), pa.array([True, None])):
        outcomes = pa.table({"referral": keys, "kind": ["selvforsoergende"] * 2,
                             "from": [date(2020, 1, 16)] * 2,
                             "to": pa.array([None, None], pa.date32())})
        with pytest.raises(ValueError, match=r"outcome 0 has the referral id (1\.0 \(float|"
                           r"True \(bool)\) in the column 'referral'"):
            policy.settle_table(referrals, outcomes, until=date(2020, 9, 30))
        keyed = outcomes.set_column(0, "referral", pa.array([1, None]))
        got = policy.settle_table(referrals, keyed, until=date(2020, 9, 30))
        want = policy.settle({**{k: v[0] for k, v in base.items()}, "id": 1}, [OWN],
                             until=date(2020, 9, 30))
        assert [(t["total"], t["end_cause"]) for t in got.totals.to_pylist()] == [
            (want.total, want.end.cause)]


def test_ids_python_cannot_read_are_refused_as_settle_refuses_them() -> None:
    """A referral id (or an outcome's key) of text that is not UTF-8, or a date beyond
    Python's calendar: the ids were read with `to_pylist`, and a `UnicodeDecodeError` or
    an `OverflowError` ended the batch. They are read as the rows are: the text keeps its
    bad bytes as lone surrogates, which `settle` refuses at `referral.id` (the errors
    table gives no id: none can be written), a far date is a date `settle` refuses as an
    id, written as the day itself (found by fuzzing)."""
    policy = load_policy(SLAGELSE)
    until = date(2020, 9, 30)
    base = {k: [v] for k, v in REFERRAL.items() if k != "stop"}
    bad = pa.array([b"R-\xff"], pa.binary()).view(pa.string())
    far = pa.array([3_000_000], pa.int32()).view(pa.date32())
    got = policy.settle_table(pa.table({**base, "id": bad}), None, until=until)
    assert [(e["id"], e["path"], e["code"], e["message"]) for e in got.errors.to_pylist()] == [
        (None, "referral.id", "UDB602",
         "the text 'R-\\udcff' holds a lone surrogate: it is not valid Unicode")]
    got = policy.settle_table(pa.table({**base, "id": far}), None, until=until)
    assert [(e["id"], e["path"], e["code"]) for e in got.errors.to_pylist()] == [
        ("10183-09-21", "referral.id", "UDB602")]
    # an outcome keyed by text that is not UTF-8 belongs to no referral settle accepts
    got = policy.settle_table(pa.table(base), OUTCOMES.set_column(0, "referral", bad),
                              until=until)
    want = policy.settle({k: v[0] for k, v in base.items()}, [], until=until)
    assert got.totals.column("total").to_pylist() == [want.total]


def test_two_columns_of_one_name_are_refused_as_decide_table_refuses_them() -> None:
    """Referrals with two `stop` columns (the second null) were settled with the last of
    them, silently: the stop of 1 December 2019 was lost and the referral paid as ongoing.
    Two columns of one name in the referrals or the outcomes are a ValueError naming it,
    as in decide_table; two key columns were Arrow's KeyError (found by fuzzing)."""
    policy = load_policy(SLAGELSE)
    referrals = pa.Table.from_arrays(
        [pa.array(["R-1"]), pa.array([date(2019, 9, 2)]), pa.array(["individuelt_forloeb"]),
         pa.array([date(2019, 12, 1)]), pa.array([None], pa.date32())],
        names=["id", "start", "package", "stop", "stop"])
    with pytest.raises(ValueError, match="settle_table: the referrals' table has two columns "
                       "named `stop`"):
        policy.settle_table(referrals, None, until=date(2020, 9, 30))
    for name in ("referral", "from"):
        outcomes = pa.Table.from_arrays(
            [*OUTCOMES.columns, OUTCOMES.column(name)], names=[*OUTCOMES.column_names, name])
        with pytest.raises(ValueError, match=f"the outcomes' table has two columns named "
                           f"`{name}`"):
            policy.settle_table(referrals.select([0, 1, 2]), outcomes,
                                until=date(2020, 9, 30))


def test_a_referral_in_two_rows_of_overlapping_windows_is_refused() -> None:
    """One referral in two rows whose invoiced days overlap would be paid those days (and
    its outcomes' bonuses) twice: a ``ValueError`` naming the rows and the id; before,
    each row was settled with every outcome of the id, silently. Two rows of windows
    apart (January and February) are each invoiced, as settle invoices each."""
    policy = load_policy(SLAGELSE)
    months = [{**REFERRAL, "since": date(2020, 6, 1), "until": date(2020, 6, 30)},
              {**REFERRAL, "since": date(2020, 7, 1), "until": date(2020, 7, 31)}]
    got = policy.settle_table(pa.Table.from_pylist(months), OUTCOMES, until="until",
                              since="since")
    assert got.errors.num_rows == 0
    assert [t["total"] for t in got.totals.to_pylist()] == [
        policy.settle(REFERRAL, [OWN], since=m["since"], until=m["until"]).total
        for m in months]
    overlapping = [months[0], {**months[1], "since": date(2020, 6, 30)}]
    message = (f"settle_table: rows 0 and 1 are both the referral {REFERRAL['id']!r} and "
               "invoice days in common")
    for rows, until, since in ((overlapping, "until", "since"),
                               (months, "until", None),  # each from the start
                               ([REFERRAL, REFERRAL], date(2020, 9, 30), None)):
        with pytest.raises(ValueError, match=message):
            policy.settle_table(pa.Table.from_pylist(rows), OUTCOMES, until=until,
                                since=since)
