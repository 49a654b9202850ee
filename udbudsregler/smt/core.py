"""One analysis problem: the symbolic citizen and decision date, the policies' encoders,
and solver queries with a time limit.

:class:`Problem` holds what every query of one analysis shares: the citizen (one for
both rounds of a diff, read through the facts both declare), the decision date (a
variable within a range, or fixed), a calendar per month-end rule, and an
:class:`~udbudsregler.smt.encode.Encoder` per policy. :meth:`Problem.check` asks whether
some citizen meets the goals: ``sat`` with a model, ``unsat`` (proved: none does), or
``unknown`` with the solver's reason (the time limit, or incompleteness).

:func:`own_context` runs a whole analysis in a z3 context of its own, so its answers do
not depend on what else the process asked z3 before (see there).
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

import z3

from udbudsregler.loader.documents import FactSpec
from udbudsregler.smt.calendar import Calendar
from udbudsregler.smt.domain import Citizen
from udbudsregler.smt.encode import Encoder
from udbudsregler.smt.symbolic import Choices, NotEncodable

if TYPE_CHECKING:
    from udbudsregler.policy import Policy

__all__ = ["DEFAULT_K", "DEFAULT_TIMEOUT", "Answer", "Problem", "own_context"]

#: Histories and lists are bounded to this many elements by default: enough for both
#: seed policies (no criterion of theirs needs more than two records to decide).
DEFAULT_K = 4
#: The time limit of one solver query, in seconds.
DEFAULT_TIMEOUT = 20.0

Term = Any
_P = ParamSpec("_P")
_R = TypeVar("_R")
_ONE_AT_A_TIME = threading.Lock()


def own_context(analysis: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``analysis`` in a fresh z3 context, one analysis at a time.

    z3 numbers every term of a context as it is made, and its search follows those
    numbers: the same query in a context that earlier analyses filled gives another
    model, so witnesses (and whether a band's edge is found on the first try) would
    depend on what the process did before. With a context of its own, an analysis
    gives the same report in any process, after anything. The z3 Python API makes
    terms in its default context (``main_ctx()``); the default is swapped for the
    duration of the call, under a lock (z3's contexts are not thread-safe, so
    analyses in two threads run one after the other)."""

    @functools.wraps(analysis)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with _ONE_AT_A_TIME:
            saved = z3.z3._main_ctx
            z3.z3._main_ctx = z3.Context()
            try:
                return analysis(*args, **kwargs)
            finally:
                z3.z3._main_ctx = saved
    return run


@dataclass
class Answer:
    status: Literal["sat", "unsat", "unknown"]
    model: Any = None
    reason: str = ""


class Problem:
    """The shared symbolic citizen, date and encoders of one analysis."""

    def __init__(self, policies: Sequence[Policy], *, k: int = DEFAULT_K,
                 on: date | None = None, dates: tuple[date, date | None] | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.policies = list(policies)
        self.k = k
        self.timeout = timeout
        self.choices = Choices()
        specs: dict[str, FactSpec] = {}
        self.mismatched: list[str] = []
        for policy in self.policies:
            for name, fact in policy.graph.facts.items():
                if name in specs and specs[name] != fact.spec:
                    self.mismatched.append(name)
                specs[name] = fact.spec
        for name in self.mismatched:
            specs.pop(name, None)
        currency = self.policies[-1].header.currency
        self.citizen = Citizen(specs, k, self.choices, currency,
                               bounds=[getattr(p.graph, "fact_bounds", {}) for p in self.policies])
        self.today = z3.Int("today")
        self.on = on
        lo, hi = dates if dates is not None else (None, None)
        self.range: list[Term] = []
        if on is not None:
            self.range.append(self.today == on.toordinal())
        else:
            if lo is not None:
                self.range.append(self.today >= lo.toordinal())
            if hi is not None:
                self.range.append(self.today <= hi.toordinal())
        self.calendars: dict[str, Calendar] = {}
        self.encoders = [self.encoder(p) for p in self.policies]
        self.solver = z3.SolverFor("QF_LIA")
        self.solver.set("timeout", int(timeout * 1000))
        self._added: set[int] = set()

    def encoder(self, policy: Policy, today: Term | None = None) -> Encoder:
        rule = policy.month_end
        calendar = self.calendars.get(rule)
        if calendar is None:
            calendar = self.calendars[rule] = Calendar(rule, f"cal_{rule}")
        return Encoder(policy.graph, self.citizen, self.today if today is None else today,
                       calendar, rule)

    def base(self) -> list[Term]:
        out = [*self.citizen.constraints, *self.range]
        for calendar in self.calendars.values():
            out += calendar.defs
        return out

    def assert_base(self) -> Any:
        """The solver, with every constraint of :meth:`base` asserted. The base only grows,
        and only by definitions and domain limits: it stays asserted (outside any push),
        and each call adds what it gained since the last one. Call it after encoding
        the goals of a query (encoding adds variables and their constraints)."""
        solver = self.solver
        fresh = [c for c in self.base() if c.get_id() not in self._added]
        solver.add(*fresh)
        self._added.update(c.get_id() for c in fresh)
        return solver

    def check(self, goals: Iterable[Term], *, witness: bool = False) -> Answer:
        """Whether some citizen (and date) meets every goal; a model if one does, made a
        tidy, canonical witness when ``witness`` (:meth:`_smaller`)."""
        goals = list(goals)  # encode first: that adds variables and their constraints
        solver = self.assert_base()
        solver.push()
        try:
            solver.add(*goals)
            result = solver.check()
            if result == z3.unsat:
                return Answer("unsat")
            if result != z3.sat:
                return Answer("unknown", reason=_reason(solver.reason_unknown()))
            model = solver.model()
        finally:
            solver.pop()
        if witness:
            model = self._smaller(goals, model)
        return Answer("sat", model)

    def _smaller(self, goals: list[Term], model: Any) -> Any:
        """A tidier model, greedily, each step one quick query: the decision date as early
        as the range allows, each list's and history's length (:meth:`lengths`) as small
        as it goes, then every date of the citizen as close to the decision date as it can
        be (so a witness sits on the boundary that makes it one), then every value
        canonical (:meth:`_canonical`: an open period open, and so on). Steps the solver
        cannot settle are skipped; the result always meets the goals."""
        solver = self.solver
        solver.push()
        try:
            solver.add(*goals)

            def pin(extra: Term) -> bool:
                nonlocal model
                if z3.is_true(model.eval(extra, True)):
                    solver.add(extra)  # the model is a witness of it already
                    return True
                solver.push()
                solver.add(extra)
                if solver.check() == z3.sat:
                    model = solver.model()
                    solver.pop()
                    solver.add(extra)
                    return True
                solver.pop()
                return False

            if self.on is None:
                first = [c for c in self.range if c.decl().kind() == z3.Z3_OP_GE]
                for bound in first:
                    pin(self.today == bound.arg(1))
            for term in self.lengths():
                current = model.eval(term, True).as_long()
                for value in range(current):
                    if pin(term == value):
                        break
                else:
                    pin(term == current)
            dates = self.citizen.dates
            if dates:
                distance = [z3.If(d >= self.today, d - self.today, self.today - d)
                            for d in dates]
                low, high = 0, max(model.eval(x, True).as_long() for x in distance)
                while low < high:
                    middle = (low + high) // 2
                    solver.push()
                    solver.add(*[x <= middle for x in distance])
                    found = solver.check() == z3.sat
                    if found:
                        model = solver.model()
                    solver.pop()
                    if found:
                        high = middle
                    else:
                        low = middle + 1
                solver.add(*[x <= high for x in distance])
            model = self._canonical(pin, lambda: model)
        finally:
            solver.pop()
        return model

    def _canonical(self, pin: Callable[[Term], bool], latest: Callable[[], Any]) -> Any:
        """Every variable the facts are read from pinned in turn to the first value the
        goals allow by a fixed preference: false; an open period open; a choice its
        first declared value; a number the smallest size, positive first; a date the
        nearest to the decision date, the earlier first. The solver's models are not
        the same from one process to the next (z3's search is not deterministic), but
        whether a value is allowed is: so the witness is the same in every run.
        (``latest()``: the model as pinned so far.)"""
        today = latest().eval(self.today, True)
        for prefers, var, options in self.citizen.read(latest()):
            if prefers in ("false", "true"):
                if not pin(var == (prefers == "true")):
                    pin(var == (prefers != "true"))
            elif prefers == "first value":
                for option in options:
                    if pin(var == option):
                        break
            else:
                day = prefers == "nearest day"
                centre = today if day else z3.IntVal(0) if z3.is_int(var) else z3.RealVal(0)
                size = self._least_distance(var, centre, latest())
                if size is None:
                    continue
                first, second = (centre - size, centre + size) if day \
                    else (centre + size, centre - size)
                if not pin(var == first) and size:  # at distance 0 both are the centre
                    pin(var == second)
        return latest()

    def _least_distance(self, var: Term, centre: Term, model: Any) -> int | None:
        """The least whole distance from ``centre`` that ``var`` may take (None if the
        solver cannot settle it). Each model found bounds it from above at once."""
        solver = self.solver
        distance = z3.If(var >= centre, var - centre, centre - var)

        def size(model: Any) -> int:
            value = model.eval(distance, True)
            return value.as_long() if z3.is_int_value(value) else \
                math.ceil(value.as_fraction())

        low, high = 0, size(model)
        first = True
        while low < high:
            # first the next size down (after the tidying so far it is often the least)
            middle = high - 1 if first else (low + high) // 2
            first = False
            solver.push()
            solver.add(distance <= middle)
            result = solver.check()
            found = solver.model() if result == z3.sat else None
            solver.pop()
            if result == z3.unknown:
                return None
            if found is not None:
                high = min(middle, size(found))
            else:
                low = middle + 1
        return high

    def lengths(self) -> list[Term]:
        """The lengths of the citizen's lists and histories (to keep witnesses small)."""
        return list(self.citizen.lengths.values())

    def facts(self, model: Any) -> tuple[dict[str, Any], date]:
        on = date.fromordinal(model.eval(self.today, True).as_long())
        return self.citizen.facts(model, on), on


def _reason(text: str) -> str:
    if text in ("timeout", "canceled"):
        return "the solver reached its time limit"
    return f"the solver gave up ({text})" if text else "the solver gave up"


def encodable(fn: Any) -> tuple[Any, NotEncodable | None]:
    """``fn()``, or the NotEncodable it raised."""
    try:
        return fn(), None
    except NotEncodable as error:
        return None, error
