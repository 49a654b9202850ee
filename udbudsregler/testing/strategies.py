"""Hypothesis strategies derived from a policy: citizens, orders, supplier states and
settlement scenarios, biased toward the boundaries the policy's own constants create.

``citizens(policy, on)`` draws valid facts in canonical Python form. The
distribution is described once, in :mod:`udbudsregler.testing.boundaries`
(which does not need hypothesis), and read here as a strategy; ``sample_citizens``
draws from the same description with :class:`random.Random`. In every choice the
boundary values come first, so hypothesis shrinks toward them: no records, False,
the first value of a choice, the decision date, the first age threshold.

hypothesis is imported when a strategy is built, so this module (and
``sample_citizens``) can be imported without it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from udbudsregler.testing.boundaries import (
    Bools,
    Boundaries,
    Gen,
    Ints,
    Just,
    ListOf,
    Map,
    OneOf,
    Pick,
    RecordOf,
    TupleOf,
    boundaries,
    citizen_gen,
    history_layout,
    lengths_gen,
    one_of,
    period_end,
    policy_constants,
    sample_citizens,
)

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from udbudsregler.policy import Policy

__all__ = [
    "Boundaries",
    "Scenario",
    "boundaries",
    "citizens",
    "order_gen",
    "orders",
    "sample_citizens",
    "scenario_gen",
    "settlement_scenarios",
    "supplier_state_gen",
    "supplier_states",
    "to_strategy",
]

_DAY = timedelta(days=1)


# -- the description as a strategy ------------------------------------------------------

_STRATEGIES: weakref.WeakKeyDictionary[Gen, SearchStrategy[Any]] = weakref.WeakKeyDictionary()


def to_strategy(gen: Gen) -> SearchStrategy[Any]:
    """The hypothesis strategy of a description (cached per description)."""
    found = _STRATEGIES.get(gen)
    if found is None:
        found = _STRATEGIES[gen] = _strategy(gen)
    return found


def _strategy(gen: Gen) -> SearchStrategy[Any]:
    from hypothesis import strategies as st

    if isinstance(gen, Just):
        return st.just(gen.value)
    if isinstance(gen, Pick):
        return st.just(gen.values[0]) if len(gen.values) == 1 else st.sampled_from(gen.values)
    if isinstance(gen, Ints):
        return st.integers(gen.lo, gen.hi)
    if isinstance(gen, Bools):
        return st.booleans()
    if isinstance(gen, OneOf):
        return st.one_of(*(to_strategy(o) for o in gen.options))
    if isinstance(gen, TupleOf):
        return st.tuples(*(to_strategy(i) for i in gen.items))
    if isinstance(gen, RecordOf):
        return st.fixed_dictionaries(
            {n: to_strategy(i) for n, i in zip(gen.names, gen.items, strict=True)})
    if isinstance(gen, ListOf):
        return st.lists(to_strategy(gen.item), max_size=gen.max_size)
    if isinstance(gen, Map):
        return to_strategy(gen.inner).map(gen.fn)
    raise TypeError(f"not a generator description: {gen!r}")


# -- citizens ----------------------------------------------------------------------------


def citizens(policy: Policy, on: date | SearchStrategy[date]) -> SearchStrategy[dict[str, Any]]:
    """Valid facts for ``policy`` on the decision date ``on`` (a date, or a strategy of
    dates), in canonical Python form: ``date``, ``int``/``Decimal`` hours, ``Money`` in
    the policy's currency, ``Duration``, ``Period``, ``None`` for an open-ended ``to``
    where the history allows it. Each passes ``policy.facts.validate`` unchanged."""
    if isinstance(on, date):
        return to_strategy(citizen_gen(policy, on))
    return on.flatmap(lambda day: to_strategy(citizen_gen(policy, day)))


# -- orders and supplier states ----------------------------------------------------------


def _unique(values: Any) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(values))


def _hours(value: int | Decimal) -> int | Decimal:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def _spans(policy: Policy, package: str) -> list[tuple[Any, Any]]:
    """The package's (min, max) weekly hours on every date they may change."""
    span = policy.graph.packages[package].span
    if span is None:
        return []
    days = {policy.header.valid.from_}
    for end in span:
        days.update(policy.change_dates(end))
    spans = [policy.span_of(package, day) for day in sorted(days)]
    return list(dict.fromkeys(s for s in spans if s is not None))


def order_gen(policy: Policy) -> Gen:
    """Orders for ``decide``: each package with hours inside, on and outside its span (or
    with hours it does not allow), no hours, no order; the citizen's own choice of any
    supplier of the policy (valid in its own area, refused in the others)."""
    domain = policy.graph
    half = Decimal("0.5")
    options: list[Gen] = []
    for package in domain.packages:
        spans = _spans(policy, package)
        if spans:
            inside: list[int | Decimal] = []
            outside: list[int | Decimal] = []
            for low, high in spans:
                inside += [low, high, (low + high) // 2]
                outside += [low - 1, high + 1, low - half, high + half]
            hours: Gen = one_of(Pick(_unique(_hours(h) for h in inside)),
                                Pick(_unique(_hours(h) for h in outside if h >= 0)),
                                Just(None), Ints(0, 60))
        else:
            hours = one_of(Just(None), Pick(tuple(policy_constants(policy).hours) or (5,)))
        options.append(TupleOf((Just(package), hours)))
    suppliers = tuple(dict.fromkeys(s.id for area in domain.areas.values()
                                    for s in area.spec.suppliers))
    choice = one_of(Just(None), Pick(suppliers))

    def build(drawn: Any) -> dict[str, Any]:
        (package, hours), supplier = drawn
        out: dict[str, Any] = {}
        if package is not None:
            out["package"] = package
            if hours is not None:
                out["weekly_hours"] = hours
        if supplier is not None:
            out["supplier"] = supplier
        return out

    return Map(TupleOf((one_of(Just((None, None)), *options), choice)), build)


def orders(policy: Policy) -> SearchStrategy[dict[str, Any]]:
    """The ``order`` argument of ``policy.decide`` (see :func:`order_gen`)."""
    return to_strategy(_cached(policy, "orders", order_gen))


def supplier_state_gen(policy: Policy) -> Gen:
    """Supplier states for ``decide``: a capacity and a load for every supplier of the
    policy (some full, some over full), and the referral's sequence number (from 1) per
    area, as one number, or not at all."""
    domain = policy.graph
    suppliers = tuple(dict.fromkeys(s.id for area in domain.areas.values()
                                    for s in area.spec.suppliers))
    capacity = one_of(Pick((10, 1, 20, 0)), Ints(0, 50))
    fill = Pick(("room", "room", "full", "over"))
    per_supplier = TupleOf((capacity, fill, Ints(0, 1000)))
    areas = tuple(domain.areas)
    sequence = one_of(RecordOf(areas, tuple(Ints(1, 20) for _ in areas)), Ints(1, 20),
                      Just(None))

    def build(drawn: Any) -> dict[str, Any]:
        states, number = drawn
        load: dict[str, int] = {}
        cap: dict[str, int] = {}
        for supplier, (size, mode, k) in zip(suppliers, states, strict=True):
            cap[supplier] = size
            load[supplier] = (size if mode == "full" else size + 1 if mode == "over"
                              else k % size if size else 0)
        out: dict[str, Any] = {"load": load, "capacity": cap}
        if number is not None:
            out["sequence"] = number
        return out

    return Map(TupleOf((TupleOf(tuple(per_supplier for _ in suppliers)), sequence)), build)


def supplier_states(policy: Policy) -> SearchStrategy[dict[str, Any]]:
    """The ``suppliers`` argument of ``policy.decide`` (see :func:`supplier_state_gen`)."""
    return to_strategy(_cached(policy, "suppliers", supplier_state_gen))


# -- settlement scenarios ----------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """The arguments of ``policy.settle(referral, outcomes, until=until, since=since)``."""

    referral: dict[str, Any]
    outcomes: list[dict[str, Any]]
    until: date
    since: date | None = None


def scenario_gen(policy: Policy) -> Gen:
    """Settlement scenarios valid for ``policy.settle``.

    The referral starts inside the policy's validity (often on its edges, on a date a
    price changes or the day before, on a month end or 29 February), for a package of the
    policy in an area offering it, with a supplier of that area or none, and maybe a
    ``stop``. Outcomes of the policy's kinds are laid out from a plausible end of the
    course (the stop, the last day the referral may last, or the course lasting one of the
    policy's durations): from the day after it, two days after it (a one-day gap), on it or
    the day before, lasting one of the policy's durations, a day less or a day more, or
    open-ended; further outcomes follow after 0, 1 or 2 days. ``until`` falls on the end
    of the first result payment's period or aftercare, a day either side, on the course
    end, or anywhere. Where the policy needs them, the referral carries the citizen's
    facts (drawn as ``citizens`` draws them, for the round's first day), an earlier linked
    referral ending the day before (under a ``total_duration``), and sometimes a change
    of supplier.
    """
    domain = policy.graph
    valid = policy.header.valid
    rule = policy.month_end
    first = valid.from_
    last = valid.to or first + timedelta(days=4 * 365)
    b = boundaries(policy, first)
    constants = policy_constants(policy)

    starts = [first, last]
    for day in constants.dates:
        starts += [day, day - _DAY]
    for year in range(first.year, last.year + 1):
        starts += [date(year, 1, 31)]
        if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
            starts += [date(year, 2, 29)]
    start = one_of(Pick(tuple(dict.fromkeys(d for d in starts if first <= d <= last))),
                   Map(Ints(0, (last - first).days), lambda k: first + timedelta(days=k)))

    routes: list[tuple[str, str | None, str | None]] = []
    for package, entry in domain.packages.items():
        for area in entry.spec.areas:
            ids = [s.id for s in domain.areas[area].spec.suppliers] if area in domain.areas else []
            routes += [(package, area, s) for s in ids] + [(package, area, None)]
        routes.append((package, None, None))
    stop = one_of(Just(None), lengths_gen(b, 900))

    kinds = tuple(domain.outcomes)
    if kinds:
        kind = RecordOf(("kind",), (Pick(kinds),))
        gap = one_of(Pick((0, 1, 2)), Ints(0, 400))
        outcome = TupleOf((kind, lengths_gen(b, 900), gap))
        outcomes: Gen = TupleOf((ListOf(outcome, 3), one_of(Pick((1, 2, 0, -1)), Ints(-60, 400)),
                                 Bools()))
    else:
        outcomes = Just(([], 0, False))
    # What the general forms need: the citizen's facts when a price model or an outcome
    # reads them, earlier linked referrals under a total duration, supplier changes.
    needs_facts = any(m.reads_facts(domain) for m in domain.price_models.values()) or any(
        o.holds is not None for o in domain.outcomes.values())
    facts: Gen = citizen_gen(policy, first) if needs_facts else Just(None)
    linked = domain.referral is not None and domain.referral.spec.total_duration is not None
    previous: Gen = one_of(Just(None), Ints(1, 400)) if linked else Just(None)
    changes: Gen = one_of(Just(None), TupleOf((Ints(1, 400), Ints(1, 8))))
    course = Pick(("end", "lasting"))
    until = one_of(Pick((("window", 0), ("window", -1), ("window", 1), ("window", 31),
                         ("course", 0), ("course", 1), ("latest", 0))),
                   Map(Ints(0, 1500), lambda k: ("day", k)))
    since = one_of(Just(None), Pick(("month", "start")), Ints(0, 1000))
    layout = history_layout(rule, True, first)
    memo: dict[tuple[Any, str, date], Any] = {}

    def cached(fn: Any, package: str, day: date) -> Any:
        """``fn(policy, package, day)``, remembered: tender values need the interpreter."""
        key = (fn, package, day)
        if key not in memo:
            if len(memo) > 4096:
                memo.clear()
            memo[key] = fn(policy, package, day)
        return memo[key]

    def build(drawn: Any) -> Scenario:
        day, (package, area, supplier), stop_length, course_kind, lasting, drawn_outcomes, \
            until_kind, since_kind, (citizen, before, change) = drawn
        referral: dict[str, Any] = {"id": "R-1", "start": day, "package": package}
        if area is not None:
            referral["area"] = area
        if supplier is not None:
            referral["supplier"] = supplier
            others = [s.id for s in domain.areas[area].spec.suppliers if s.id != supplier] \
                if area is not None and area in domain.areas else []
            if change is not None and others:
                after, which = change
                referral["supplier_changes"] = [
                    {"supplier": others[which % len(others)],
                     "from": day + timedelta(days=after)}]
        if citizen is not None:
            referral["facts"] = citizen
        if before is not None:
            # shorter than the total duration, so that this referral still has days
            total_days: int = cached(_total_days, package, day)
            before = min(before, total_days - 1)
            if before > 0:
                referral["previous"] = [{"from": day - timedelta(days=before),
                                         "to": day - _DAY}]
        latest = cached(_latest_day, package, day)
        stop_day = None if stop_length is None else period_end(day, stop_length, rule)
        if stop_day is not None:
            referral["stop"] = stop_day
        if course_kind == "end":  # the course runs to the referral's own end
            course_end = latest if stop_day is None else min(stop_day, latest)
        else:  # it ends early, when the outcome begins
            course_end = period_end(day, lasting, rule)
        records, offset, open_last = drawn_outcomes
        anchor = course_end + timedelta(days=offset)
        out = layout([records, (0, "start", anchor, 1), open_last]) if records else []
        window_end = cached(_window_end, package, course_end + _DAY)
        what, delta = until_kind
        if what == "window":
            end = window_end + timedelta(days=delta)
        elif what == "course":
            end = course_end + timedelta(days=delta)
        elif what == "latest":
            end = latest
        else:
            end = day + timedelta(days=delta)
        end = max(end, day)
        if since_kind is None:
            since_day = None
        elif since_kind == "month":
            since_day = max(day, end.replace(day=1))
        elif since_kind == "start":
            since_day = day
        else:
            since_day = min(day + timedelta(days=since_kind), end)
        return Scenario(referral, out, end, since_day)

    return Map(TupleOf((start, Pick(tuple(routes)), stop, course, lengths_gen(b, 900), outcomes,
                        until, since, TupleOf((facts, previous, changes)))), build)


def _latest_day(policy: Policy, package: str, start: date) -> date:
    """The last day a referral starting on ``start`` may last (as settlement computes it)."""
    from udbudsregler.values.temporal import add_duration

    graph = policy.graph
    latest = date.max
    if graph.referral is not None:
        length = policy.tender_value(graph.referral.max_duration, start)
        latest = add_duration(start, length, policy.month_end) - _DAY
    entry = graph.packages[package]
    if entry.max_duration is not None:
        length = policy.tender_value(entry.max_duration, start)
        latest = min(latest, add_duration(start, length, policy.month_end) - _DAY)
    return latest if latest != date.max else start + timedelta(days=3 * 365)


def _total_days(policy: Policy, package: str, start: date) -> int:
    """The days of the referral's total duration (over linked referrals) from ``start``."""
    from udbudsregler.values.temporal import add_duration

    rule = policy.graph.referral
    assert rule is not None and rule.total_duration is not None
    total = policy.tender_value(rule.total_duration, start)
    return (add_duration(start, total, policy.month_end) - start).days


def _window_end(policy: Policy, package: str, first: date) -> date:
    """The last day of the first bonus period (else of aftercare) starting on ``first``."""
    from udbudsregler.values.temporal import add_duration

    graph = policy.graph
    model = graph.price_models[graph.packages[package].spec.price_model]
    lasting = [r.lasting for r in model.results if r.lasting is not None]
    if lasting:
        node = lasting[0]
    elif graph.referral is not None and graph.referral.aftercare is not None:
        node = graph.referral.aftercare
    else:
        return first
    length = policy.tender_value(node, first)
    return add_duration(first, length, policy.month_end) - _DAY


def settlement_scenarios(policy: Policy) -> SearchStrategy[Scenario]:
    """Scenarios for ``policy.settle`` (see :func:`scenario_gen`)."""
    return to_strategy(_cached(policy, "scenarios", scenario_gen))


_GENS: weakref.WeakKeyDictionary[Any, dict[str, Gen]] = weakref.WeakKeyDictionary()


def _cached(policy: Policy, key: str, make: Any) -> Gen:
    table = _GENS.setdefault(policy, {})
    if key not in table:
        table[key] = make(policy)
    return table[key]
