"""The encoding means what the engine means: on concrete citizens, each node's term has
the value the interpreter gives (or fails where it fails), and the calendar's day
arithmetic agrees with ``values.temporal`` on every kind of date."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
import z3

from tests.smt.conftest import policy
from udbudsregler.diagnostics import EvaluationError
from udbudsregler.smt.calendar import Calendar
from udbudsregler.smt.core import Problem
from udbudsregler.smt.domain import Citizen
from udbudsregler.smt.symbolic import SDate, SList, SRecord
from udbudsregler.testing.boundaries import sample_citizens
from udbudsregler.values.temporal import add_months, age

SEEDS = ["policies/slagelse-2019", "policies/koebenhavn-2024", "examples/offer-window"]


def pin(citizen: Citizen, facts: dict[str, Any]) -> list[Any]:
    """Constraints that fix the symbolic citizen to concrete facts."""
    out: list[Any] = []

    def scalar(sym: Any, value: Any) -> None:
        if isinstance(sym, SDate):
            out.append(sym.n == value.toordinal())
        elif isinstance(sym, SRecord):
            for name, field_sym in sym.fields.items():
                scalar(field_sym, value[name])
        elif z3.is_bool(sym):
            out.append(sym == z3.BoolVal(bool(value)))
        elif isinstance(value, str):
            out.append(sym == citizen.choices.id(value))
        else:
            amount = getattr(value, "amount", value)
            out.append(sym == z3.RealVal(str(amount)) if z3.is_real(sym) else sym == value)

    for name, sym in citizen.values.items():
        value = facts[name]
        if isinstance(sym, SList):
            out.append(citizen.lengths[f"{citizen.prefix}.{name}"] == len(value))
            for (_, record), item in zip(sym.slots, value, strict=False):
                if record.period is not None:
                    out.append(record.period.start == item["from"].toordinal())
                    out.append(record.period.open == z3.BoolVal(item["to"] is None))
                    if item["to"] is not None:
                        out.append(record.period.end == item["to"].toordinal())
                scalar(record, item)
        else:
            scalar(sym, value)
    return out


@pytest.mark.parametrize("path", SEEDS)
def test_terms_agree_with_the_interpreter(path: str) -> None:
    p = policy(path)
    on = p.header.valid.from_ + timedelta(days=40)
    names = [n for n, node in p.graph.nodes.items()
             if node.kind in ("rule", "criterion", "target_group", "area", "invariant")
             and node.type.describe() in ("true/false", "a whole number")]
    citizens = sample_citizens(p, on, 40, seed=3)
    problem = Problem([p], on=on, k=max(4, *(len(v) for c in citizens for v in c.values()
                                             if isinstance(v, list))))
    enc = problem.encoders[0]
    terms = {n: enc.node(n) for n in names}
    checked = 0
    for facts in citizens:
        fixed = pin(problem.citizen, facts)
        interpreter = p.interpreter(facts, on)
        for name, (value, ok) in terms.items():
            try:
                want = interpreter.value(name)
            except EvaluationError:
                assert problem.check([*fixed, ok]).status == "unsat", (name, facts)
                continue
            want_term = z3.BoolVal(bool(want)) if z3.is_bool(value) else z3.IntVal(want)
            wrong = problem.check([*fixed, z3.Or(z3.Not(ok), value != want_term)])
            assert wrong.status == "unsat", (name, want, facts)
            checked += 1
    assert checked > 100


def _days(rng: random.Random) -> list[date]:
    special = [date(2000, 2, 29), date(2100, 2, 28), date(2024, 2, 29), date(1900, 3, 1),
               date(2019, 1, 31), date(2019, 12, 31), date(2020, 2, 29)]
    lo, hi = date(1850, 1, 1).toordinal(), date(2200, 12, 31).toordinal()
    return special + [date.fromordinal(rng.randint(lo, hi)) for _ in range(40)]


@pytest.mark.parametrize("rule", ["clamp", "roll"])
def test_calendar_agrees_with_temporal(rule: str) -> None:
    rng = random.Random(7)
    calendar = Calendar(rule)
    n, m = z3.Int("n"), z3.Int("m")
    shifts = {k: calendar.month_shift(n, k) for k in (1, -1, 12, -24, 60, -600)}
    years = calendar.age(n, m)
    solver = z3.SolverFor("QF_LIA")
    solver.add(*calendar.defs)
    for d in _days(rng):
        for k, term in shifts.items():
            solver.push()
            solver.add(n == d.toordinal(), term != add_months(d, k, rule).toordinal())  # type: ignore[arg-type]
            assert solver.check() == z3.unsat, (d, k)
            solver.pop()
        on = d + timedelta(days=rng.randint(0, 40000))
        if on.year > 2200:
            continue
        solver.push()
        solver.add(n == d.toordinal(), m == on.toordinal(), years != age(d, on, rule))  # type: ignore[arg-type]
        assert solver.check() == z3.unsat, (d, on)
        solver.pop()
