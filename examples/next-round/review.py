"""A reviewer's gate for the next round: does it change only what it was meant to change?

Run it from the repository root:

    .venv/bin/python examples/next-round/review.py [--citizens N] [--seed S]

It compares `examples/next-round` with `policies/slagelse-2019` (the rule-change diff of
docs/worked-example.md) and checks the result against what the round is meant to do:

- citizens aged 25 to 29 become eligible, because of the age criterion, and nobody
  else's decision changes;
- payments only go up, and only through the bonus (earned after 3 months instead of 4).

It prints what it found and exits with 0 when that is all, 1 when the diff finds a change
nobody asked for (or misses an intended one), so it can run in CI before a round goes
live.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from udbudsregler.analysis.diff import DiffReport, compare

ROOT = Path(__file__).resolve().parents[2]
OLD = ROOT / "policies" / "slagelse-2019"
NEW = ROOT / "examples" / "next-round"

#: The groups the edit is meant to produce, and the only parts of a decision or a
#: settlement allowed to differ in each: (kind, id) of the responsible rows.
INTENDED: dict[str, set[tuple[str, str]]] = {
    "became_eligible": {("criterion", "over_30"), ("target_group", "aktivitetsparate_over_30"),
                        ("area", "aktivitetsparate"), ("routing", "")},
    "payment_up": {("bonus", "fuld_selvforsoergelse")},
}


def problems(report: DiffReport) -> list[str]:
    """What the diff found that the round is not meant to do, or did not find."""
    found: list[str] = []
    for kind, group in report.groups.items():
        allowed = INTENDED.get(kind)
        if allowed is None:
            if group.count:
                found.append(f"{group.title}: {group.count} unexpected")
            continue
        if not group.count:
            found.append(f"{group.title}: expected, but not found")
        for row in group.responsible:
            if (row.kind, row.id) not in allowed:
                found.append(f"{group.title}: {row.kind} {row.id} changed "
                             f"({row.old} -> {row.new}) in {row.count} cases")
    if report.not_comparable:
        found.append(f"{sum(report.not_comparable.values())} citizens not comparable")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    report = compare(OLD, NEW, citizens=args.citizens, seed=args.seed)
    print(f"{report.old.id} -> {report.new.id} on {report.on}: "
          f"{report.compared} citizens, {report.scenarios_compared} referrals compared "
          f"in {report.seconds:.1f} s")
    for group in report.groups.values():
        if group.count:
            amount = f", {group.total:+} DKK" if group.kind.startswith("payment") else ""
            print(f"  {group.title}: {group.count}{amount}")
    wrong = problems(report)
    for problem in wrong:
        print(f"  NOT INTENDED: {problem}")
    print("ok: only the intended changes" if not wrong else "FAILED")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
