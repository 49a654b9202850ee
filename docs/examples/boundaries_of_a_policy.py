"""The boundaries a policy's own constants create on a decision date.

The generated citizens (`citizens`, `sample_citizens`) and the rule-change diff
crowd their values around these. Run from the repository root:

    .venv/bin/python docs/examples/boundaries_of_a_policy.py
"""

from datetime import date

import udbudsregler as ur
from udbudsregler.testing import boundaries
from udbudsregler.values.canonical import show

policy = ur.load_policy("policies/slagelse-2019")
b = boundaries(policy, date(2019, 2, 1))

print("age thresholds:      ", b.ages)
print("birth dates:         ", [d.isoformat() for d in b.birth_dates])
print("durations in policy: ", [show(d) for d in b.constants.durations])
print("dates (first 12):    ", [d.isoformat() for d in b.dates[:12]], f"... {len(b.dates)} in all")
print("weekly hours:        ", [show(h) for h in b.hours])
print("gaps between periods:", b.gaps)
print("amounts:             ", [show(m) for m in b.money])
