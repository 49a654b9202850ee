#!/usr/bin/env python3
"""Speed benchmark: a decision record (``to_dict``) against the decision itself.

Decides the example citizens of ``policies/koebenhavn-2024`` (with their orders and the
shared supplier state) and of ``policies/slagelse-2019`` (facts only), then times, in one
process and in interleaved rounds:

    (a) ``policy.decide(...)``,
    (b) ``decision.to_dict(compact=True)`` (the replayable record: inputs echoed and
        hashed, results as ids and codes),
    (c) ``json.dumps`` of that record,
    (d) ``decision.to_dict()`` (the full record, reasons computed once per decision
        and cached, so this is the record without the reasons' first computation),

each as time per decision and as a ratio against (a) measured in the same run (the
machine is shared and noisy: only same-run ratios mean something). The target of
issue 11 is (b) within 3x of (a).

    .venv/bin/python benchmarks/records.py            # 5 rounds
    .venv/bin/python benchmarks/records.py --quick    # 2 rounds
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from udbudsregler.policy import Policy, load_policy
from udbudsregler.runtime.decision import Decision

ROOT = Path(__file__).resolve().parent.parent


def _koebenhavn() -> tuple[Policy, list[tuple[dict[str, Any], Any, Any]], date]:
    policy = load_policy(ROOT / "policies" / "koebenhavn-2024")
    state = json.loads((ROOT / "examples" / "data" / "suppliers.json").read_text("utf-8"))
    calls = []
    for line in (ROOT / "examples" / "data" / "citizens.jsonl").read_text("utf-8").splitlines():
        item = json.loads(line, parse_float=Decimal)
        try:
            decision = policy.decide(item["facts"], date(2024, 3, 1), order=item.get("order"),
                                     suppliers=state)
        except Exception:  # the examples' bad data
            continue
        # the canonical facts: what a host that already holds Python values passes
        calls.append((decision.facts, item.get("order"), state))
    return policy, calls, date(2024, 3, 1)


def _slagelse() -> tuple[Policy, list[tuple[dict[str, Any], Any, Any]], date]:
    policy = load_policy(ROOT / "policies" / "slagelse-2019")
    facts = json.loads((ROOT / "examples" / "data" / "citizen.json").read_text("utf-8"))
    canonical = policy.decide(facts, date(2019, 2, 1)).facts
    return policy, [(canonical, None, None)], date(2019, 2, 1)


def _per_call(fn: Callable[[], object], calls: int) -> float:
    """Seconds per call of ``fn`` (which makes ``calls`` calls), looped to >= 0.2 s."""
    loops = 1
    while True:
        gc.collect()
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= 0.2:
            return elapsed / (loops * calls)
        loops *= 2


def run(name: str, policy: Policy, calls: list[tuple[dict[str, Any], Any, Any]], on: date,
        rounds: int) -> list[str]:
    decisions: list[Decision] = [policy.decide(f, on, order=o, suppliers=s) for f, o, s in calls]
    records = [d.to_dict(compact=True) for d in decisions]
    for d in decisions:
        _ = d.reasons  # computed once, cached on the decision

    def decide() -> None:
        for f, o, s in calls:
            policy.decide(f, on, order=o, suppliers=s)

    def compact() -> None:
        for d in decisions:
            d.to_dict(compact=True)

    def dumps() -> None:
        for r in records:
            json.dumps(r, ensure_ascii=False)

    def full() -> None:
        for d in decisions:
            d.to_dict()

    paths = {"(a) decide": decide, "(b) to_dict(compact=True)": compact,
             "(c) json.dumps(compact record)": dumps, "(d) to_dict() (reasons cached)": full}
    times: dict[str, list[float]] = {k: [] for k in paths}
    for r in range(rounds):
        order = list(paths) if r % 2 == 0 else list(reversed(paths))
        for key in order:
            times[key].append(_per_call(paths[key], len(calls)))
    base = statistics.median(times["(a) decide"])
    lines = [f"### {name} ({len(calls)} decisions, {rounds} rounds)", "",
             "| path | per decision | vs. decide |", "|---|---:|---:|"]
    for key, values in times.items():
        median = statistics.median(values)
        lines.append(f"| {key} | {median * 1e6:.1f} µs | {median / base:.2f}× |")
    size = statistics.median(len(json.dumps(r, ensure_ascii=False)) for r in records)
    full_size = statistics.median(len(json.dumps(d.to_dict(), ensure_ascii=False))
                                  for d in decisions)
    lines += ["", f"compact record: {size:,.0f} bytes of JSON; full record: "
              f"{full_size:,.0f} bytes (medians)", ""]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 rounds")
    args = parser.parse_args()
    rounds = 2 if args.quick else args.rounds
    out: list[str] = ["## Decision records against decide", ""]
    for name, make in (("koebenhavn-2024, with order and supplier state", _koebenhavn),
                       ("slagelse-2019, facts only", _slagelse)):
        policy, calls, on = make()
        out += run(name, policy, calls, on, rounds)
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
