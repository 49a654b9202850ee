"""settle_table agrees with per-referral settle on every generated settlement scenario of
every policy that settles (lines, totals, and the same problems for rejected referrals)."""

from __future__ import annotations

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
        errors.setdefault(e["row"], []).append((e["path"], e["code"]))
    for i, s in enumerate(scenarios):
        referral = {"id": f"R-{i}", **{k: v for k, v in s.referral.items() if k != "id"}}
        try:
            want = policy.settle(referral, s.outcomes, until=s.until, since=s.since)
        except FactError as error:
            assert sorted(errors[i]) == sorted((p.path, p.code) for p in error.problems)
            continue
        except EvaluationError as error:
            assert errors[i] == [(error.path or "", error.code)]
            continue
        assert totals[i]["total"] == want.total
        assert totals[i]["end_cause"] == want.end.cause
        got = [(x["kind"], x["reason"], x["amount"], x["quantity"], x["supplier"])
               for x in lines.get(i, [])]
        assert got == [(x.kind, x.reason, x.amount.amount, x.quantity, x.supplier)
                       for x in want.lines]
