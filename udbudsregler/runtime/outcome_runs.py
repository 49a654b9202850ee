"""When each outcome held, as continuous runs of days, for one settlement.

An outcome the host reports is held on the days of its reported periods (merged into
continuous runs). An outcome the policy defines with ``holds:`` is held on each day
where that condition is true; the condition reads the ``day``, whether the host
``reported`` the outcome on it, and the citizen's facts (``fuld selvforsørgelse``:
reported, and no benefit paid that day).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from udbudsregler.diagnostics import FactError, FactProblem
from udbudsregler.runtime.program import Program
from udbudsregler.runtime.settlement_records import Outcome
from udbudsregler.values.temporal import Period

__all__ = ["OutcomeRuns", "merged"]

_DAY = timedelta(days=1)


def merged(outcomes: Sequence[Outcome], kind: str, until: date) -> list[Period]:
    """The reported periods of ``kind`` known by ``until``, merged into continuous runs."""
    runs: list[list[date]] = []
    for o in sorted((o for o in outcomes if o.kind == kind), key=lambda o: o.period.start):
        start = o.period.start
        if start > until:
            continue
        end = until if o.period.end is None else min(o.period.end, until)
        if runs and start <= runs[-1][1] + _DAY:
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    return [Period(a, b) for a, b in runs]


class OutcomeRuns:
    """The runs of each outcome of a policy, for one referral, up to ``until``."""

    def __init__(self, policy: Program, outcomes: Sequence[Outcome], first: date, until: date,
                 facts: dict[str, Any] | None) -> None:
        self.policy = policy
        self.outcomes = outcomes
        self.first = first
        self.until = until
        self.facts = facts
        self._runs: dict[str, list[Period]] = {}

    def __call__(self, kind: str) -> list[Period]:
        found = self._runs.get(kind)
        if found is None:
            found = self._runs[kind] = self._compute(kind)
        return found

    def _compute(self, kind: str) -> list[Period]:
        reported = merged(self.outcomes, kind, self.until)
        holds = self.policy.graph.outcomes[kind].holds
        if holds is None:
            return reported
        if self.facts is None:
            raise FactError([FactProblem(
                "UDB601", "referral.facts", f"the outcome `{kind}` is decided from the "
                "citizen's facts, which the referral does not give",
                hint="give the citizen's facts as the referral's `facts`")])
        # Day by day, from the referral's first day (the outcome may have begun before it,
        # from the earliest reported day) to `until`.
        first = min([self.first, *(r.start for r in reported)])
        days: list[date] = []
        reported_days = {r.start + _DAY * i for r in reported if r.end is not None
                         for i in range((r.end - r.start).days + 1)}
        day = first
        context = dict(self.facts)
        while day <= self.until:
            context["$day"] = day
            context["$reported"] = day in reported_days
            if self.policy.node_value(holds, context, day):
                days.append(day)
            day += _DAY
        runs: list[list[date]] = []
        for d in days:
            if runs and d == runs[-1][1] + _DAY:
                runs[-1][1] = d
            else:
                runs.append([d, d])
        return [Period(a, b) for a, b in runs]

    def first_start_after(self, kinds: Sequence[str], day: date) -> tuple[date, str] | None:
        """The earliest start of a run of any of ``kinds`` after ``day`` (an outcome that
        already holds on ``day`` began before it), with its kind."""
        found: tuple[date, str] | None = None
        for kind in kinds:
            start = next((r.start for r in self(kind) if r.start > day), None)
            if start is not None and (found is None or start < found[0]):
                found = (start, kind)
        return found
