"""Testing policies: YAML test cases, invariants, and strategies derived from a policy.

The strategies need hypothesis (the ``testing`` extra) only when a strategy is
built; ``sample_citizens`` works without it.
"""

from udbudsregler.analysis.diff import compare
from udbudsregler.testing.strategies import (
    Scenario,
    boundaries,
    citizens,
    orders,
    sample_citizens,
    settlement_scenarios,
    supplier_states,
)

__all__ = [
    "Scenario",
    "boundaries",
    "citizens",
    "compare",
    "orders",
    "sample_citizens",
    "settlement_scenarios",
    "supplier_states",
]
