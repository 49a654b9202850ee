"""Shrinking: from a citizen (or a settlement scenario) that shows a change between two
policies, a small, readable one that still shows the same change.

The shrinker is greedy and bounded. It tries simpler variants of the value, one
change at a time, and keeps a variant when it is *simpler* (a lower
:func:`facts_cost` or :func:`scenario_cost`) and the caller's ``keep`` predicate
(which re-decides under both policies) still holds. Structural changes come
first (drop a whole history, drop one record), then values: a date moves to
the decision date, to an anniversary of it (``on - N years``, the boundaries of
ages and durations), to the first of a year or a month; ``to`` of a period that
runs on the decision date becomes open (``null``); true becomes false; a choice
its first value; hours and amounts round numbers. Every variant that was tried
is remembered, and at most ``budget`` variants are decided.

:func:`case_yaml` prints a citizen or a scenario as a YAML test case of the
policies' case format, ready to paste under ``cases:``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import yaml

from udbudsregler.loader.documents import FactSpec
from udbudsregler.values import fact_kinds
from udbudsregler.values.canonical import duration_text
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, Period

if TYPE_CHECKING:
    from udbudsregler.testing.strategies import Scenario

__all__ = ["Shrunk", "case_yaml", "fact_variants", "facts_cost", "scenario_cost",
           "scenario_variants", "shrink", "shrink_facts", "shrink_scenario", "to_yaml"]

#: Cost of one record of a history or list: dropping a record is always simpler than
#: any change of values.
RECORD_COST = 100


@dataclass(frozen=True)
class Shrunk:
    value: Any
    #: Variants decided (each one ``keep`` call).
    tried: int
    #: Variants kept.
    kept: int


def shrink(value: Any, variants: Callable[[Any], Iterator[Any]], cost: Callable[[Any], int],
           keep: Callable[[Any], bool], budget: int) -> Shrunk:
    """Greedy: take the first simpler variant that ``keep`` accepts, and start over from it,
    until no variant is accepted or ``budget`` variants were decided."""
    current, current_cost = value, cost(value)
    seen: set[str] = set()
    tried = kept = 0
    improved = True
    while improved and tried < budget:
        improved = False
        for candidate in variants(current):
            key = repr(candidate)
            if key in seen:
                continue
            seen.add(key)
            candidate_cost = cost(candidate)
            if candidate_cost >= current_cost:
                continue
            tried += 1
            if keep(candidate):
                current, current_cost = candidate, candidate_cost
                kept += 1
                improved = True
                break
            if tried >= budget:
                break
    return Shrunk(current, tried, kept)


# -- costs -------------------------------------------------------------------------------


def _date_cost(day: date | None, on: date) -> int:
    """Open-ended (still running) is simplest; then the decision date, its anniversaries
    (``on - N years``: the boundaries of ages and durations), the first of a year, the
    first of a month; within each, the nearer to the decision date the simpler."""
    if day is None:
        return 0
    if day == on:
        return 10
    if (day.month, day.day) == (on.month, on.day):
        rank = 20
    elif (day.month, day.day) == (1, 1):
        rank = 30
    elif day.day == 1:
        rank = 40
    else:
        rank = 50
    return rank + min(9, abs(day.year - on.year) // 10)


#: Small round numbers, tried before the rounding of a value.
_SMALL = (10, 20)


def _number_cost(value: int | Decimal) -> int:
    """Round numbers first, small ones before large ones."""
    if value == 0:
        return 0
    magnitude = abs(Decimal(value))
    size = 0 if magnitude <= 20 else 1 if magnitude <= 100 else 2
    if value % 10 == 0:
        return 1 + size
    if value % 5 == 0:
        return 4 + size
    if value == int(value):
        return 7 + size
    return 10 + size


def _value_cost(value: Any, spec: FactSpec, on: date) -> int:
    kind = spec.kind
    if kind.many:
        return sum(RECORD_COST + _record_cost(item, spec, on) for item in value)
    if kind.container:
        return _record_cost(value, spec, on)
    if kind.choice:
        values = spec.values or []
        return values.index(value) if value in values else 0
    if kind is fact_kinds.BOOL:
        return int(bool(value))
    if kind is fact_kinds.MONEY:
        return _number_cost(value.amount)
    if kind.number:
        return _number_cost(value)
    if kind is fact_kinds.DATE:
        return _date_cost(value, on)
    if kind is fact_kinds.TEXT:
        return min(len(value), 5)
    if kind is fact_kinds.DURATION:
        return 0 if value.is_zero else 1 if value.days == 0 else 2
    if kind is fact_kinds.PERIOD:
        return _date_cost(value.start, on) + _date_cost(value.end, on)
    return 0


def _record_cost(record: Mapping[str, Any], spec: FactSpec, on: date) -> int:
    total = sum(_value_cost(record[name], field, on)
                for name, field in (spec.fields or {}).items() if name in record)
    if spec.kind.periodic:
        total += _date_cost(record["from"], on) + _date_cost(record["to"], on)
    return total


def facts_cost(facts: Mapping[str, Any], specs: Mapping[str, FactSpec], on: date) -> int:
    """How big and how irregular a citizen's facts are: 100 per record of a history or
    list, plus a little for each value that is not as simple as it could be."""
    return sum(_value_cost(facts[name], spec, on) for name, spec in specs.items()
               if name in facts)


# -- variants of facts ---------------------------------------------------------------------


def _first_of_next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _anniversary(on: date, year: int) -> date | None:
    try:
        return on.replace(year=year)
    except ValueError:  # 29 February
        return date(year, 2, 28) if 1 <= year <= 9999 else None


def _date_variants(day: date, on: date) -> list[date]:
    """Simpler dates, the simplest first, and among equally simple ones the nearest."""
    found: list[date | None] = [on]
    years = {day.year - 1, day.year, day.year + 1}
    step = 10 if on.year >= day.year else -10
    years.update(range(day.year + step, on.year, step))  # decades toward the decision date
    for year in sorted(years):
        found.append(_anniversary(on, year))
    found += [date(day.year, 1, 1), day.replace(day=1)]
    if day.year < 9999:
        found += [date(day.year + 1, 1, 1), _first_of_next_month(day)]
    own = _date_cost(day, on)
    out = {d for d in found if d is not None and d != day and _date_cost(d, on) < own}
    return sorted(out, key=lambda d: (_date_cost(d, on), abs((d - day).days), d))


def _round_variants(value: int | Decimal) -> list[int | Decimal]:
    out: list[int | Decimal] = [0, *_SMALL]
    for step in (10, 5, 1):
        low = (value // step) * step
        out += [low, low + step]
    own = _number_cost(value)
    plain = [int(v) if v == int(v) else v for v in out]
    return sorted({v for v in plain if v >= 0 and v != value and _number_cost(v) < own},
                  key=lambda v: (_number_cost(v), abs(v - value), v))


def _scalar_variants(value: Any, spec: FactSpec, on: date) -> Iterator[Any]:
    kind = spec.kind
    if kind.choice:
        values = spec.values or []
        if values and value != values[0]:
            yield values[0]
    elif kind is fact_kinds.BOOL:
        if value:
            yield False
    elif kind is fact_kinds.MONEY:
        for amount in _round_variants(value.amount):
            yield Money(Decimal(amount), value.currency)
    elif kind is fact_kinds.INT:
        yield from (int(v) for v in _round_variants(value))
    elif kind is fact_kinds.DECIMAL:
        yield from (Decimal(v) for v in _round_variants(value))
    elif kind is fact_kinds.HOURS:
        yield from _round_variants(value)
    elif kind is fact_kinds.DATE:
        yield from _date_variants(value, on)
    elif kind is fact_kinds.TEXT:
        if value:
            yield ""
    elif kind is fact_kinds.DURATION:
        if not value.is_zero:
            yield Duration(0, 0)
            if value.days and value.months:
                yield Duration(value.months, 0)
    elif kind is fact_kinds.PERIOD:
        for start in _date_variants(value.start, on):
            if value.end is None or start <= value.end:
                yield Period(start, value.end)
        if value.end is not None:
            if value.end >= on:
                yield Period(value.start, None)
            for end in _date_variants(value.end, on):
                if end >= value.start:
                    yield Period(value.start, end)


def _variants(value: Any, spec: FactSpec, on: date, structural: bool) -> Iterator[Any]:
    kind = spec.kind
    if kind.many:
        if structural and value:
            yield []
            if len(value) > 1:
                for i in range(len(value)):
                    yield [*value[:i], *value[i + 1:]]
        for i, item in enumerate(value):
            for changed in _record_variants(item, spec, on, structural):
                yield [*value[:i], changed, *value[i + 1:]]
    elif kind.container:
        yield from _record_variants(value, spec, on, structural)
    elif not structural:
        yield from _scalar_variants(value, spec, on)


def _record_variants(record: Mapping[str, Any], spec: FactSpec, on: date,
                     structural: bool) -> Iterator[dict[str, Any]]:
    for name, field in (spec.fields or {}).items():
        if name in record:
            for changed in _variants(record[name], field, on, structural):
                yield {**record, name: changed}
    if spec.kind.periodic and not structural:
        start, end = record["from"], record["to"]
        for day in _date_variants(start, on):
            if end is None or day <= end:
                yield {**record, "from": day}
        if end is not None:
            if spec.open_ended is not False and end >= on:
                yield {**record, "to": None}
            for day in _date_variants(end, on):
                if day >= start:
                    yield {**record, "to": day}


def fact_variants(facts: Mapping[str, Any], specs: Mapping[str, FactSpec],
                  on: date) -> Iterator[dict[str, Any]]:
    """Simpler variants of a citizen's facts, one change each: records dropped first, then
    values made simpler."""
    for structural in (True, False):
        for name, spec in specs.items():
            if name in facts:
                for changed in _variants(facts[name], spec, on, structural):
                    yield {**facts, name: changed}


def shrink_facts(facts: dict[str, Any], specs: Mapping[str, FactSpec], on: date,
                 keep: Callable[[dict[str, Any]], bool], budget: int = 300) -> Shrunk:
    return shrink(facts, lambda f: fact_variants(f, specs, on),
                  lambda f: facts_cost(f, specs, on), keep, budget)


# -- settlement scenarios --------------------------------------------------------------------

_OPTIONAL = ("stop", "supplier", "area", "supplier_changes", "previous")


def _plain_date_cost(day: date | None, end: bool = False) -> int:
    """Dates of a referral: the first of a month (the last, for an end) is simplest."""
    if day is None:
        return 0
    if end and (day + timedelta(days=1)).day == 1:
        return 1 if day.month == 12 else 2
    if day.day == 1:
        return 1 if day.month == 1 else 2
    return 4


def scenario_cost(scenario: Scenario,
                  specs: Mapping[str, FactSpec] | None = None) -> int:
    """How complicated a scenario reads: its optional keys, its dates, its outcomes and
    (given the policy's ``specs``) the citizen's facts it carries."""
    referral = scenario.referral
    total = 10 * sum(1 for key in _OPTIONAL if key in referral)
    facts = referral.get("facts")
    if specs is not None and isinstance(facts, dict):
        total += facts_cost(facts, specs, referral["start"])
    total += 10 if scenario.since is not None else 0
    total += _plain_date_cost(referral["start"]) + _plain_date_cost(scenario.until, end=True)
    for outcome in scenario.outcomes:
        total += RECORD_COST + _plain_date_cost(outcome["from"])
        total += _plain_date_cost(outcome["to"], end=True)
    return total


def _plain_dates(day: date, end: bool, first: date | None = None) -> list[date]:
    month_start = day.replace(day=1)
    found = [month_start, _first_of_next_month(day), month_start - timedelta(days=1),
             _first_of_next_month(day) - timedelta(days=1), date(day.year, 1, 1),
             date(day.year, 12, 31)]
    if first is not None:
        found.append(first)
    own = _plain_date_cost(day, end)
    out = {d for d in found if d != day and _plain_date_cost(d, end) < own}
    return sorted(out, key=lambda d: (_plain_date_cost(d, end), abs((d - day).days), d))


def scenario_variants(scenario: Scenario, first: date,
                      specs: Mapping[str, FactSpec] | None = None) -> Iterator[Scenario]:
    """Simpler variants of a settlement scenario, one change each. ``first`` (the new
    policy's first day) is tried as the referral's start; given the policy's ``specs``,
    the citizen's facts the referral carries are made simpler too."""
    referral, outcomes = scenario.referral, scenario.outcomes
    if scenario.since is not None:
        yield replace(scenario, since=None)
    for key in _OPTIONAL:
        if key in referral:
            yield replace(scenario, referral={k: v for k, v in referral.items() if k != key})
    if outcomes:
        yield replace(scenario, outcomes=[])
        if len(outcomes) > 1:
            for i in range(len(outcomes)):
                yield replace(scenario, outcomes=[*outcomes[:i], *outcomes[i + 1:]])
    for day in _plain_dates(referral["start"], False, first):
        yield replace(scenario, referral={**referral, "start": day})
    for i, outcome in enumerate(outcomes):
        changed: list[dict[str, Any]] = []
        if outcome["to"] is not None:
            changed.append({**outcome, "to": None})
            changed += [{**outcome, "to": d} for d in _plain_dates(outcome["to"], True)
                        if d >= outcome["from"]]
        changed += [{**outcome, "from": d} for d in _plain_dates(outcome["from"], False)
                    if outcome["to"] is None or d <= outcome["to"]]
        for item in changed:
            yield replace(scenario, outcomes=[*outcomes[:i], item, *outcomes[i + 1:]])
    for day in _plain_dates(scenario.until, True):
        if day >= referral["start"]:
            yield replace(scenario, until=day)
    facts = referral.get("facts")
    if specs is not None and isinstance(facts, dict):
        for simpler in fact_variants(facts, specs, referral["start"]):
            yield replace(scenario, referral={**referral, "facts": simpler})


def shrink_scenario(scenario: Scenario, first: date, keep: Callable[[Scenario], bool],
                    budget: int = 200, specs: Mapping[str, FactSpec] | None = None) -> Shrunk:
    return shrink(scenario, lambda s: scenario_variants(s, first, specs),
                  lambda s: scenario_cost(s, specs), keep, budget)


# -- YAML ------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Plain scalars typed as the policy loader reads them: true/false, null and whole
    numbers; dates and decimals are written without quotes (the loader reads them as
    text, and the fact schema converts them)."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - our own table


for _tag, _pattern, _first in (
        ("tag:yaml.org,2002:bool", r"(?:true|True|TRUE|false|False|FALSE)\Z", "tTfF"),
        ("tag:yaml.org,2002:null", r"(?:~|null|Null|NULL|)\Z", ["~", "n", "N", ""]),
        ("tag:yaml.org,2002:int", r"[-+]?(?:0|[1-9][0-9]*)\Z", "-+0123456789")):
    _Dumper.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _plain(value: Any, spec: FactSpec | None = None) -> Any:
    """Facts as YAML data, history records as ``{kind, from, to, ...}``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Money):
        return format(value.amount, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Duration):
        return duration_text(value)
    if isinstance(value, Period):
        return {"from": value.start.isoformat(),
                "to": value.end.isoformat() if value.end is not None else None}
    if isinstance(value, (list, tuple)):
        return [_plain(v, spec) for v in value]
    if isinstance(value, Mapping):
        fields = dict(spec.fields or {}) if spec is not None else {}
        keys = list(value)
        if spec is not None and spec.kind.periodic and fields:
            head = next(iter(fields))
            keys = [head, "from", "to", *(k for k in keys if k not in (head, "from", "to"))]
            keys = [k for k in keys if k in value]
        return {k: _plain(value[k], fields.get(k)) for k in keys}
    return str(value)


def to_yaml(value: Any, indent: int = 0, specs: Mapping[str, FactSpec] | None = None) -> str:
    """``value`` (facts, a referral, outcomes) as YAML, leaf mappings in flow style."""
    if specs is not None and isinstance(value, Mapping):
        data: Any = {k: _plain(v, specs.get(k)) for k, v in value.items()}
    else:
        data = _plain(value)
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=None, width=100)
    pad = " " * indent
    return "\n".join(pad + line for line in text.rstrip().splitlines())


def case_yaml(name: str, comment: str, *, facts: dict[str, Any] | None = None,
              specs: Mapping[str, FactSpec] | None = None, on: date | None = None,
              order: Mapping[str, Any] | None = None,
              suppliers: Mapping[str, Any] | None = None,
              settle: Mapping[str, Any] | None = None, expect: Mapping[str, Any]) -> str:
    """One item of a case file's ``cases:``, for the policy whose results ``expect`` holds."""
    lines = [f"# {line}" for line in comment.splitlines()]
    lines.append(f"- name: {json.dumps(name, ensure_ascii=False)}")
    if settle is not None:
        lines.append("  settle:")
        lines.append(to_yaml(dict(settle), 4))
    else:
        assert facts is not None and on is not None
        lines.append(f"  on: {on.isoformat()}")
        lines.append("  facts:")
        lines.append(to_yaml(facts, 4, specs))
        if order:
            lines.append(f"  order: {to_yaml(dict(order))}")
        if suppliers:
            lines.append("  suppliers:")
            lines.append(to_yaml(dict(suppliers), 4))
    lines.append("  expect:")
    lines.append(to_yaml(dict(expect), 4))
    return "\n".join(lines) + "\n"
