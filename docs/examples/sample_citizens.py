"""Draw citizens from a policy's boundary model and decide them (no hypothesis needed).

Run from the repository root:

    .venv/bin/python docs/examples/sample_citizens.py
"""

from collections import Counter
from datetime import date

import udbudsregler as ur
from udbudsregler.testing import sample_citizens

policy = ur.load_policy("policies/slagelse-2019")
on = date(2019, 2, 1)

# 1,000 citizens valid for the policy on `on`; the same seed gives the same citizens.
citizens = sample_citizens(policy, on, 1000, seed=7)

eligible = 0
failed = Counter()
for facts in citizens:
    decision = policy.decide(facts, on=on)
    eligible += decision.eligible
    for reason in decision.reasons:
        if reason.kind == "criterion" and reason.met is False:
            failed[reason.id] += 1

print(f"{len(citizens)} citizens, {eligible} eligible")
print("criteria not met:")
for criterion, count in failed.most_common():
    print(f"  {criterion:<28} {count}")
print("the first citizen:")
for name, value in citizens[0].items():
    print(f"  {name}: {value!r}")
