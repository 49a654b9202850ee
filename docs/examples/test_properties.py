"""Property tests of one's own, written with the strategies of `udbudsregler.testing`.

The policies' YAML cases and declared invariants already run under pytest
(`pytest policies/`). These are properties a host developer or a reviewer may
want on top of them. Run from the repository root:

    .venv/bin/python -m pytest docs/examples/test_properties.py
"""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

import udbudsregler as ur
from udbudsregler.testing import citizens, orders, settlement_scenarios, supplier_states

KBH = ur.load_policy("policies/koebenhavn-2024")
SLAGELSE = ur.load_policy("policies/slagelse-2019")
ON = date(2024, 3, 1)


@settings(max_examples=300, deadline=None)
@given(citizens(KBH, on=ON), orders(KBH), supplier_states(KBH))
def test_supplier_and_package_belong_to_the_area(facts, order, suppliers):
    """Whatever the order and the supplier state: a chosen supplier is one of the
    citizen's area, and an accepted package is offered there."""
    decision = KBH.decide(facts, on=ON, order=order, suppliers=suppliers)
    if decision.supplier is not None:
        assert decision.area is not None
        assert decision.supplier in [s.id for s in KBH.suppliers_of(decision.area)]
    choice = decision.package_choice
    if choice is not None and choice.accepted:
        assert decision.area in KBH.graph.packages[choice.package].spec.areas


DAYS = st.dates(date(2019, 1, 1), date(2021, 12, 31))


@settings(max_examples=100, deadline=None)
@given(DAYS.flatmap(lambda day: st.tuples(st.just(day), citizens(SLAGELSE, on=day))))
def test_nobody_eligible_without_cash_benefit_that_day(drawn):
    """Citizens drawn around a random day of the round (`citizens` takes one date; to
    know the day a citizen was drawn for, draw the day first). An eligible citizen
    receives cash benefit on the decision day."""
    day, facts = drawn
    decision = SLAGELSE.decide(facts, on=day)
    if decision.eligible:
        assert SLAGELSE.evaluate("aktivitetsparat_kontanthjaelp", facts, day)


def _months(start: date, until: date):
    """(since, until) of each calendar month from ``start`` to ``until``."""
    since = start
    while since <= until:
        first_of_next = (since.replace(day=1) + timedelta(days=32)).replace(day=1)
        yield since, min(first_of_next - timedelta(days=1), until)
        since = first_of_next


@settings(max_examples=200, deadline=None)
@given(settlement_scenarios(KBH))
def test_monthly_invoices_add_up_to_the_whole(scenario):
    """Invoicing a referral month by month pays exactly what settling it at once pays
    (København pays per started week, with a cap on specialised courses)."""
    whole = KBH.settle(scenario.referral, scenario.outcomes, until=scenario.until)
    start = whole.referral.start
    monthly = sum(
        KBH.settle(scenario.referral, scenario.outcomes, until=until, since=since).total
        for since, until in _months(start, scenario.until))
    assert monthly == whole.total
