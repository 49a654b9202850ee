"""``udbudsregler diff OLD NEW --exact``: every kind of difference between two rounds,
proved complete up to K records per history.

Both rounds decide one symbolic citizen on one decision date (default: the new round's
first day). The decisions differ when eligibility, the target groups or the routed
service area differ. Each *kind* of difference is a criterion that flips in one
direction (``over_30``: not met -> met) for citizens whose decision differs; one more
kind collects differences no criterion explains (a changed routing priority, an area's
condition). For each kind that occurs:

- a **minimal witness**: the fewest records, every date as close to the decision date
  as the kind allows (so it sits on the kind's border), confirmed by both engines;
- **border citizens**: the witness with one date moved by a day, so that the decision no
  longer differs, confirmed by both engines;
- the **band**: for each date whose move crosses the border, the dates it may take
  (its record shifted as a whole, the rest as in the witness) for the citizen to stay
  in the kind, found by the solver, and whether every date in it does (exact);
- the witness and the border citizen as YAML test cases for the new round.

When every kind is listed, a last query proves that no citizen differs in another way:
"no other differences up to K periods". Payments are not encoded (settlement runs
outside the rule graph); the tender values (prices, bonuses, durations, spans) are
compared on every date either round changes one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import z3

from udbudsregler.diagnostics import EvaluationError, FactError
from udbudsregler.smt.core import DEFAULT_K, DEFAULT_TIMEOUT, Problem, own_context
from udbudsregler.smt.domain import EARLIEST, LATEST
from udbudsregler.smt.encode import Encoder
from udbudsregler.smt.symbolic import NotEncodable, SDate, SList
from udbudsregler.smt.witness import describe_dates, relative, render_case
from udbudsregler.values.canonical import show

if TYPE_CHECKING:
    from udbudsregler.policy import Policy
    from udbudsregler.runtime.decision import Decision

__all__ = ["Band", "ExactDiff", "Kind", "exact_diff"]

Term = Any


@dataclass
class Band:
    """The dates one fact may take for the citizen to stay in the kind."""

    path: str
    low: date
    high: date
    #: Every date in [low, high] keeps the citizen in the kind (proved).
    exact: bool

    def describe(self, on: date) -> str:
        span = (f"{self.low.isoformat()} to {self.high.isoformat()}: from "
                f"{relative(self.low, on)} to {relative(self.high, on)}")
        return (f"{self.path} {span}" + ("" if self.exact else
                                          " (not every date between does)"))


@dataclass
class Kind:
    """One kind of difference: a criterion flipping one way, or none (``criterion`` "")."""

    criterion: str
    old: bool | None
    new: bool | None
    status: str  # found | unknown
    effect: str = ""
    witness: dict[str, Any] | None = None
    witness_case: str = ""
    borders: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    reason: str = ""
    where: str | None = None

    @property
    def title(self) -> str:
        if not self.criterion:
            return "a difference no criterion explains"

        def met(value: bool | None) -> str:
            return "met" if value else "not met"
        return f"criterion `{self.criterion}`: {met(self.old)} -> {met(self.new)}"

    def to_dict(self) -> dict[str, Any]:
        from udbudsregler.values.canonical import to_json

        return {"criterion": self.criterion, "old": self.old, "new": self.new,
                "status": self.status, "effect": self.effect, "where": self.where,
                "witness": to_json(self.witness) if self.witness else None,
                "witness_case": self.witness_case,
                "borders": [{"moved": m, "facts": to_json(f), "case": c}
                            for m, f, c in self.borders],
                "bands": [{"path": b.path, "from": b.low.isoformat(), "to": b.high.isoformat(),
                           "exact": b.exact} for b in self.bands],
                "reason": self.reason}


@dataclass
class ExactDiff:
    old: str
    new: str
    on: date
    k: int
    timeout: float
    #: "identical" | "different" | "unknown"
    verdict: str
    kinds: list[Kind] = field(default_factory=list)
    #: Whether a last query proved that the kinds listed are all there are.
    complete: bool = False
    incomplete_reason: str = ""
    values: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def render(self) -> str:
        out = [f"udbudsregler diff --exact: {self.old} -> {self.new}, decided on "
               f"{self.on.isoformat()}, every citizen with at most {self.k} records per history "
               f"or list ({self.timeout:g} s per query)"]
        if self.verdict == "identical":
            out.append(f"The rounds decide identically for every citizen (proved, up to "
                       f"K = {self.k} periods).")
        elif self.verdict == "unknown":
            out.append(f"Whether the rounds decide identically is unknown: "
                       f"{self.incomplete_reason}")
        else:
            found = [k for k in self.kinds if k.status == "found"]
            out.append(f"The rounds decide differently: {len(found)} kind"
                       f"{'s' if len(found) != 1 else ''} of difference.")
        for number, kind in enumerate(self.kinds, start=1):
            out.append("")
            out.append(f"== {number}. {kind.title}"
                       + (f" ({kind.where})" if kind.where else "") + " ==")
            if kind.status != "found":
                out.append(f"  unknown: {kind.reason}")
                continue
            out.append(f"  effect: {kind.effect}")
            for band in kind.bands:
                out.append(f"  band: {band.describe(self.on)}")
            assert kind.witness is not None
            out.append("  minimal witness (confirmed by both rounds):")
            out += [f"    {line}" for line in describe_dates(kind.witness, self.on)]
            out += ["  " + line if line else "" for line in kind.witness_case.splitlines()]
            for moved, _, case in kind.borders:
                out.append(f"  border citizen: the witness with {moved}, just outside the band "
                           "(decided alike by both rounds):")
                out += ["  " + line if line else "" for line in case.splitlines()]
        if self.verdict == "different":
            out.append("")
            if self.complete:
                out.append(f"No other differences up to K = {self.k} periods (proved).")
            else:
                out.append(f"Other differences: unknown ({self.incomplete_reason}).")
        if self.values:
            out.append("")
            out.append("Tender values that differ (not encoded for citizens: compared on every "
                       "date either round changes a value):")
            out += [f"  {line}" for line in self.values]
        for note in self.notes:
            out.append(f"({note})")
        return "\n".join(out) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "on": self.on.isoformat(), "k": self.k,
                "verdict": self.verdict, "complete": self.complete,
                "kinds": [k.to_dict() for k in self.kinds], "values": list(self.values),
                "notes": list(self.notes), "seconds": round(self.seconds, 2)}


# -- the decision of one round, symbolically -----------------------------------------------


class _Side:
    def __init__(self, policy: Policy, enc: Encoder, ids: dict[str, int]) -> None:
        self.policy, self.enc = policy, enc
        graph = policy.graph
        self.groups = {g: enc.holds(t.node) for g, t in graph.target_groups.items()}
        self.ok = z3.And([enc.node(t.node)[1] for t in graph.target_groups.values()]
                         + [enc.node(a.fits)[1] for a in graph.areas.values()]
                         + ([enc.node(graph.routing.node)[1]] if graph.routing else []))
        self.routed = (enc.node(graph.routing.node)[0] if graph.routing is not None
                       else z3.IntVal(0))
        self.eligible = z3.Or(list(self.groups.values()) or [z3.BoolVal(False)])
        self.ids = ids


def _differs(a: _Side, b: _Side) -> Term:
    names = set(a.groups) | set(b.groups)
    false = z3.BoolVal(False)
    return z3.Or(a.eligible != b.eligible, a.routed != b.routed,
                 *[a.groups.get(n, false) != b.groups.get(n, false) for n in sorted(names)])


def _outcome(d: Decision) -> tuple[Any, ...]:
    return (d.eligible, d.target_groups, d.area)


def _effect(a: Decision, b: Decision) -> str:
    if a.eligible != b.eligible:
        return ("becomes eligible" if b.eligible else "loses eligibility") + (
            f" (area {b.area or a.area})" if (b.area or a.area) else "")
    if a.area != b.area:
        return f"changes service area: {a.area} -> {b.area}"
    return f"changes target groups: {', '.join(a.target_groups)} -> {', '.join(b.target_groups)}"


@own_context
def exact_diff(old: Policy, new: Policy, *, on: date | None = None, k: int = DEFAULT_K,
               timeout: float = DEFAULT_TIMEOUT) -> ExactDiff:
    """Every kind of difference between the decisions of two rounds (module docs)."""
    started = time.perf_counter()
    on = on or new.header.valid.from_
    problem = Problem([old, new], k=k, on=on, timeout=timeout)
    ids = {a: problem.choices.id(a) for p in (old, new) for a in p.graph.areas}
    report = ExactDiff(old.id, new.id, on, k, timeout, "unknown")
    report.values = _tender_values(old, new)
    if problem.mismatched:
        report.notes.append("facts declared differently by the two rounds (not encoded): "
                            + ", ".join(problem.mismatched))
    try:
        a, b = _Side(old, problem.encoders[0], ids), _Side(new, problem.encoders[1], ids)
        differs = _differs(a, b)
    except NotEncodable as error:
        report.incomplete_reason = f"not encodable: {error}"
        report.seconds = time.perf_counter() - started
        return report
    universe = [a.ok, b.ok]
    first = problem.check([*universe, differs])
    if first.status == "unknown":
        report.incomplete_reason = first.reason
    elif first.status == "unsat":
        report.verdict = "identical"
    else:
        report.verdict = "different"
        _kinds(problem, old, new, a, b, universe, differs, report)
    report.seconds = time.perf_counter() - started
    return report


def _criteria(policy: Policy) -> list[str]:
    return [c for g in policy.graph.target_groups.values() for c in g.criteria]


def _kinds(problem: Problem, old: Policy, new: Policy, a: _Side, b: _Side,
           universe: list[Term], differs: Term, report: ExactDiff) -> None:
    names = list(dict.fromkeys([*_criteria(old), *_criteria(new)]))
    explained: list[Term] = []
    complete = True
    for name in names:
        try:
            old_t, old_f = (a.enc.holds(name), a.enc.fails(name)) if name in a.enc.graph.nodes \
                else (z3.BoolVal(False), z3.BoolVal(False))
            new_t, new_f = (b.enc.holds(name), b.enc.fails(name)) if name in b.enc.graph.nodes \
                else (z3.BoolVal(False), z3.BoolVal(False))
        except NotEncodable as error:
            report.kinds.append(Kind(name, None, None, "unknown",
                                     reason=f"not encodable: {error}"))
            complete = False
            continue
        node = new.graph.nodes.get(name) or old.graph.nodes.get(name)
        where = str(node.span) if node is not None and node.span is not None else None
        for was, now, flip in ((False, True, z3.And(old_f, new_t)),
                               (True, False, z3.And(old_t, new_f))):
            explained.append(flip)
            goals = [*universe, differs, flip]
            answer = problem.check(goals, witness=True)
            if answer.status == "unsat":
                continue
            kind = Kind(name, was, now, "unknown", where=where)
            report.kinds.append(kind)
            if answer.status == "unknown":
                kind.reason = answer.reason
                complete = False
                continue
            _describe(problem, old, new, kind, answer.model, goals)
    rest = problem.check([*universe, differs, z3.Not(z3.Or(explained or [z3.BoolVal(False)]))],
                         witness=True)
    if rest.status == "sat":
        kind = Kind("", None, None, "unknown")
        report.kinds.append(kind)
        _describe(problem, old, new, kind, rest.model,
                  [*universe, differs, z3.Not(z3.Or(explained or [z3.BoolVal(False)]))])
    elif rest.status == "unknown":
        complete = False
        report.incomplete_reason = rest.reason
    report.complete = complete and all(k.status == "found" for k in report.kinds)
    if not complete and not report.incomplete_reason:
        report.incomplete_reason = "a kind of difference could not be settled"


def _decide(policy: Policy, facts: dict[str, Any], on: date) -> Decision | None:
    try:
        decision = policy.decide(facts, on=on, ignore_validity=True)
        decision.reasons  # noqa: B018 - the interpreter agrees, or this raises
        return decision
    except (EvaluationError, FactError):
        return None


def _met(decision: Decision, criterion: str) -> bool | None:
    for reason in decision.reasons:
        if reason.kind == "criterion" and reason.id == criterion:
            return reason.met
    return None


def _describe(problem: Problem, old: Policy, new: Policy, kind: Kind, model: Any,
              goals: list[Term]) -> None:
    facts, on = problem.facts(model)
    pair = _decide(old, facts, on), _decide(new, facts, on)
    x, y = pair
    if x is None or y is None or _outcome(x) == _outcome(y) or (
            kind.criterion and (_met(x, kind.criterion), _met(y, kind.criterion))
            != (kind.old, kind.new)):
        kind.reason = "the engine did not confirm the solver's witness"
        return
    kind.status = "found"
    kind.witness = facts
    kind.effect = _effect(x, y)
    kind.witness_case = _case(new, f"diff {old.id} -> {new.id}: {kind.title}: witness",
                              [f"{old.id}: {_summary(x)}", f"{new.id}: {_summary(y)}",
                               "found by udbudsregler diff --exact: passes on the new round; "
                               "the old round decides otherwise"], on, facts, y, kind.criterion)
    reads = (set(new.graph.closure([kind.criterion])) | set(old.graph.closure([kind.criterion]))
             if kind.criterion else set(facts))
    # each date the difference reads: its band (where the date may lie, all else as in the
    # witness); a band is shown when the engine confirms a citizen just outside it whom
    # both rounds decide alike (wherever in the band the witness's date lies)
    for path in _date_paths(facts):
        if path.split("[", 1)[0] not in reads:
            continue
        band = _band(problem, goals, model, path)
        if band is None:
            continue
        borders = []
        for edge, step in ((band.low, -1), (band.high, 1)):
            outside = edge + timedelta(days=step)
            if not EARLIEST <= outside.toordinal() <= LATEST:
                continue
            shifted = _shifted(facts, path, outside)
            p, q = _decide(old, shifted, on), _decide(new, shifted, on)
            if p is None or q is None or _outcome(p) != _outcome(q):
                continue
            text = f"{path} {outside.isoformat()} ({relative(outside, on)})"
            borders.append((text, shifted, _case(
                new, f"diff {old.id} -> {new.id}: {kind.title}: border, {path} "
                f"{outside.isoformat()}",
                [f"both rounds: {_summary(q)}", "just outside the band: decided alike by both "
                 "rounds (passes on both)"], on, shifted, q, kind.criterion)))
        if borders:
            kind.bands.append(band)
            kind.borders += borders


def _shifted(facts: dict[str, Any], path: str, value: date) -> dict[str, Any]:
    """The facts with the date at ``path`` set to ``value`` (its record shifted along)."""
    if "[" not in path:
        return {**facts, path: value}
    name, rest = path.split("[", 1)
    index, _, bound = rest.partition("].")
    records = list(facts[name])
    record = dict(records[int(index)])
    step = value - record[bound]
    record["from"] = record["from"] + step
    if record.get("to") is not None:
        record["to"] = record["to"] + step
    records[int(index)] = record
    return {**facts, name: records}


def _summary(d: Decision) -> str:
    if not d.eligible:
        return "not eligible"
    return (f"eligible ({', '.join(d.target_groups)})"
            + (f", area {d.area}" if d.area else ", no area"))


def _case(policy: Policy, name: str, comments: list[str], on: date, facts: dict[str, Any],
          decision: Decision, criterion: str) -> str:
    expect: dict[str, Any] = {"eligible": decision.eligible,
                              "target_groups": list(decision.target_groups)}
    if policy.graph.areas:
        expect["area"] = decision.area
    if criterion:
        met = _met(decision, criterion)
        if met is not None:
            expect["criteria"] = {criterion: met}
    return render_case(name, comments, on, facts, expect)


def _date_paths(facts: dict[str, Any]) -> list[str]:
    """The path of each date of the facts: a date fact by its name, a history record by
    the bound a band moves it by (its ``to``, or its ``from`` when it is open)."""
    out: list[str] = []
    for name, value in facts.items():
        if isinstance(value, date):
            out.append(name)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict) and isinstance(item.get("from"), date):
                    out.append(f"{name}[{i}]" + (".to" if item.get("to") is not None
                                                 else ".from"))
    return out


def _band(problem: Problem, goals: list[Term], model: Any, path: str) -> Band | None:
    """The dates ``path`` may take (its record shifted as a whole, every other fact as in
    the model) with the citizen still meeting ``goals``."""
    citizen = problem.citizen
    target, group = _vars(citizen, path)
    if target is None:
        return None
    pinned = {v.get_id() for v in group}
    fixed: list[Term] = []
    for decl in model.decls():
        if not decl.name().startswith(f"{citizen.prefix}."):
            continue
        var = decl()
        if var.get_id() in pinned:
            continue
        fixed.append(var == model[decl])
    delta = z3.Int("band.delta")
    fixed += [v == model.eval(v, True) + delta for v in group]
    solver = problem.assert_base()

    def exists(extra: list[Term]) -> bool | None:
        solver.push()
        solver.add(*fixed, *extra)
        result = solver.check()
        solver.pop()
        return None if result == z3.unknown else result == z3.sat

    here = model.eval(target, True).as_long()

    def edge(lower: bool) -> int | None:
        # the farthest date (down or up) that still meets the goals
        lo, hi = (EARLIEST, here) if lower else (here, LATEST)
        while lo < hi:
            mid = (lo + hi) // 2 if lower else (lo + hi + 1) // 2
            bound = [target <= mid] if lower else [target >= mid]
            found = exists([*goals, *bound])
            if found is None:
                return None
            if lower:
                lo, hi = (lo, mid) if found else (mid + 1, hi)
            else:
                lo, hi = (mid, hi) if found else (lo, mid - 1)
        return lo
    low, high = edge(True), edge(False)
    if low is None or high is None:
        return None
    inside = exists([target >= low, target <= high, z3.Not(z3.And(goals))])
    return Band(path, date.fromordinal(low), date.fromordinal(high), inside is False)


def _vars(citizen: Any, path: str) -> tuple[Term | None, list[Term]]:
    """The solver variable of a fact date path, and the variables moved with it."""
    if "[" not in path:
        value = citizen.values.get(path)
        if isinstance(value, SDate):
            return value.n, [value.n]
        return None, []
    name, rest = path.split("[", 1)
    index, _, bound = rest.partition("].")
    value = citizen.values.get(name)
    if not isinstance(value, SList):
        return None, []
    record = value.slots[int(index)][1]
    period = record.period
    if period is None:
        return None, []
    target = period.end if bound == "to" else period.start
    return target, [period.start, period.end]


def _tender_values(old: Policy, new: Policy) -> list[str]:
    """Tender values (prices, bonuses, durations, spans) that differ on some date either
    round changes one; each is a function of parameters only (UDB427), so comparing them
    on those dates compares them on every date."""
    out: list[str] = []
    names = [n for n, node in new.graph.nodes.items() if node.kind == "value"
             and n in old.graph.nodes]
    for name in names:
        dates = sorted({new.header.valid.from_, *old.change_dates(name),
                        *new.change_dates(name)})
        for day in dates:
            try:
                before, after = old.tender_value(name, day), new.tender_value(name, day)
            except EvaluationError:
                continue
            if before != after:
                out.append(f"{name}: {show(before)} -> {show(after)} (on {day.isoformat()})")
                break
    return out
