"""What the hypothesis strategies of `udbudsregler.testing` draw, one example each.

`find` returns the simplest example that satisfies the condition (the one
hypothesis shrinks to). Run from the repository root:

    .venv/bin/python docs/examples/show_strategies.py
"""

from datetime import date

from hypothesis import find, settings

import udbudsregler as ur
from udbudsregler.testing import citizens, orders, settlement_scenarios, supplier_states

kbh = ur.load_policy("policies/koebenhavn-2024")
quiet = settings(derandomize=True, database=None)

print("a citizen with a benefit:")
print(" ", find(citizens(kbh, on=date(2024, 3, 1)), lambda c: c["benefits"], settings=quiet))
print("an order with hours and a supplier:")
print(" ", find(orders(kbh), lambda o: "weekly_hours" in o and "supplier" in o, settings=quiet))
print("a supplier state with a sequence number per area:")
print(" ", find(supplier_states(kbh), lambda s: isinstance(s.get("sequence"), dict),
                settings=quiet))
print("a settlement scenario with a stop:")
print(" ", find(settlement_scenarios(kbh), lambda s: s.referral.get("stop") is not None,
                settings=quiet))
