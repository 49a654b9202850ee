"""The columnar backend on generated policies: rules of every type over every kind of fact
(typed_exprs, the strategies the generated code is tested with). For each generated policy,
decide_table (with the value of every rule of a type a column can hold) agrees with
per-record decide and with the reference interpreter on every row, whether the policy is
evaluated columnar or, for a part with no columnar form, per record."""

from __future__ import annotations

import os
import tempfile
import warnings
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from equivalence import assert_agree  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from typed_exprs import GeneratedPolicy, facts, policies  # noqa: E402

from udbudsregler.columnar import fact_schema, support  # noqa: E402
from udbudsregler.diagnostics import EvaluationError  # noqa: E402
from udbudsregler.policy import Policy, load_policy  # noqa: E402
from udbudsregler.semantics.types import BOOL, DATE, INT, EnumType, MoneyType  # noqa: E402
from udbudsregler.values.money import Money  # noqa: E402
from udbudsregler.values.temporal import Duration, Period  # noqa: E402

#: Why generated policies were decided per record (shown with -s; never asserted).
REASONS: Counter[str] = Counter()


def _load(generated: GeneratedPolicy) -> Policy:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "policy.yaml"
        path.write_text(generated.text, encoding="utf-8")
        return load_policy(path, cache=False)


def _arrow_value(value: Any) -> Any:
    """A canonical fact value as Arrow holds it (and decide reads it back)."""
    if type(value) is Money:
        return value.amount
    if type(value) is Period:
        return {"from": value.start, "to": value.end}
    if type(value) is Duration:  # a text decide reads; one unit only
        return f"{value.months} months" if value.months or not value.days else \
            f"{value.days} days"
    if isinstance(value, dict):
        return {k: _arrow_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_arrow_value(v) for v in value]
    return value


def _wider(t: Any) -> Any:
    if pa.types.is_decimal(t):
        return pa.decimal256(76, 40)
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _wider(f.type)) for f in t])
    if pa.types.is_list(t):
        return pa.list_(_wider(t.value_type))
    return t


def _columns(policy: Policy) -> list[str]:
    out = []
    for name, node in policy.graph.nodes.items():
        t = node.type
        if node.kind == "rule" and (t in (BOOL, INT, DATE) or isinstance(t, (EnumType, MoneyType))
                                    or str(t) in ("decimal", "hours", "text")):
            out.append(name)
    return out


# No shrinking: loading a policy per example makes it take minutes; a failure shows the
# example as drawn.
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck),
          phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(generated=policies(), data=st.data())
def test_generated_policies_agree(generated: GeneratedPolicy, data: st.DataObject) -> None:
    _agree(generated, data)


# The same 1,000 policies in every run (derandomized): a sweep wide enough to reach the
# rarer kernels (a run of 2,000 like it found a length times a factor beyond 64 bits
# that crashed), and the same sweep whatever the seed of the run.
def test_a_fixed_sweep_of_generated_policies_agrees() -> None:
    # and nearly every one of them runs columnar: a form that stops running columnar
    # shows here (a few are decided per record by design: a whole number of 39 digits
    # in a sum or a list is beyond 64-bit units)
    per_record: list[tuple[str, str]] = []

    @settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck),
              phases=(Phase.generate,), derandomize=True, database=None)
    @given(generated=policies(), data=st.data())
    def sweep(generated: GeneratedPolicy, data: st.DataObject) -> None:
        why = _agree(generated, data)
        if why is not None:
            per_record.append((why, generated.describe()))

    sweep()
    assert len(per_record) <= 5, per_record


def _citizens(generated: GeneratedPolicy, data: st.DataObject, most: int = 12,
              fewest: int = 1) -> list[tuple[dict[str, Any], date]]:
    """``fewest`` to ``most`` citizens (the first one's date decides them all) whose
    dates cluster around the decision date and the policy's own dates: the others'
    periods meet the same windows' edges as the first one's."""
    first = data.draw(facts(generated.dates()), label="first citizen")
    anchors = (first[1], *generated.dates())
    return [first, *data.draw(st.lists(facts(anchors), min_size=fewest - 1,
                                       max_size=most - 1), label="citizens")]


# Policies whose every rule reads spells one by one through gaps at the edges (below
# zero, zero, a day), over many citizens whose histories lean to the edges (nested,
# starting in another's last days, touching, duplicated, unsorted, running): a spell's
# own end and start, where columnar merging and the per-record loop can part. With
# 327bc33 reverted (a gap below zero starting a spell inside an earlier one) this fails
# within its first examples. UDB_SPELL_PROBES=3000 runs a bigger sweep by hand. (A
# policy decided per record for a number beyond 64 bits still agrees: not asserted.)
@settings(max_examples=int(os.environ.get("UDB_SPELL_PROBES", "100")), deadline=None,
          suppress_health_check=list(HealthCheck), phases=(Phase.generate,),
          derandomize=True, database=None)
@given(generated=policies(probes=True), data=st.data())
def test_generated_spell_probes_agree(generated: GeneratedPolicy,
                                      data: st.DataObject) -> None:
    _agree(generated, data, most=40, fewest=20)


def _agree(generated: GeneratedPolicy, data: st.DataObject, most: int = 12,
           fewest: int = 1, by_day: bool = False) -> str | None:
    """decide_table on generated citizens agrees with decide and with the interpreter,
    all on the first citizen's date or (``by_day``) each on its own, in a column; why
    the policy does not run columnar, if it does not (with ``by_day``: "by date" if its
    rows are not one columnar run)."""
    from udbudsregler.columnar.table import _day_support

    policy = _load(generated)
    drawn = _citizens(generated, data, most, fewest)
    on: date = drawn[0][1]
    days = [d if by_day else on for _, d in drawn]
    rows = [_arrow_value(f) for f, _ in drawn]
    schema = fact_schema(policy.graph)
    try:
        table = pa.Table.from_pylist(rows, schema=schema)
    except pa.ArrowInvalid:  # a decimal with more than 18 places: wider decimals
        schema = pa.schema([pa.field(f.name, _wider(f.type)) for f in schema])
        table = pa.Table.from_pylist(rows, schema=schema)
    values = _columns(policy)
    why = support(policy)
    REASONS[why or "columnar"] += 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = policy.decide_table(
            table.append_column("decided_on", pa.array(days, pa.date32())), "decided_on",
            values=values) if by_day else policy.decide_table(table, on, values=values)
    python_rows = table.to_pylist()
    assert_agree(policy, python_rows, days, result, values=tuple(values))
    decided = {d["row"]: d for d in result.decisions.to_pylist()}
    errors = {(e["row"], e["path"]) for e in result.errors.to_pylist()}
    for i, facts_ in enumerate(python_rows):
        if i not in decided:
            continue
        canonical = policy.facts.validate(facts_)
        for name in values:
            try:
                want = policy.interpreter(canonical, days[i]).value(name)
            except EvaluationError:
                assert decided[i][name] is None, (name, i)
                continue
            got = decided[i][name]
            if got is None and (i, name) in errors:
                continue  # more places than the column holds: null, and said so
            if type(want) is Money:
                want = want.amount
            assert got == want, (name, i, got, want, days[i], generated.describe())
            assert (i, name) not in errors
    if by_day and why is None and _day_support(policy, tuple(values)) is not None:
        return "by date"
    return why


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck),
          phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(generated=policies(), data=st.data())
def test_generated_citizens_as_dicts_agree(generated: GeneratedPolicy,
                                           data: st.DataObject) -> None:
    """decide_table(list of dicts) on generated citizens, as Python values and as JSON
    gives them (``to_json``, read back with ``parse_float=Decimal``), agrees with
    decide on every row: the columnar reader of dicts (``columnar/records.py``) reads
    every kind of fact in both forms."""
    import json

    from udbudsregler.values.canonical import to_json

    policy = _load(generated)
    drawn = _citizens(generated, data)
    on: date = drawn[0][1]
    values = tuple(_columns(policy))
    for rows in ([f for f, _ in drawn],
                 [json.loads(json.dumps(to_json(f)), parse_float=Decimal) for f, _ in drawn]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = policy.decide_table(rows, on, values=list(values))
        assert_agree(policy, rows, on, result, values=values)


# Each citizen decided on its own date (`decide_table(table, on="column")`): `today` is a
# column, and every rule that reads it is evaluated on the columns with each row's date;
# the same sweep of 300 policies in every run. Nearly every policy runs in one columnar
# run: the rows of a policy that does not (a form with no columnar form for a date per
# row) are decided a date at a time, which must agree too.
def test_generated_policies_each_on_its_own_date_agree() -> None:
    runs: Counter[str] = Counter()

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck),
              phases=(Phase.generate,), derandomize=True, database=None)
    @given(generated=policies(), data=st.data())
    def sweep(generated: GeneratedPolicy, data: st.DataObject) -> None:
        runs[_agree(generated, data, most=16, fewest=2, by_day=True) or "columnar"] += 1

    sweep()
    assert runs["columnar"] >= 280, runs
