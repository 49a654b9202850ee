#!/usr/bin/env python3
"""Speed benchmark: the compiled Slagelse 2019 target group against hand-written Python.

Builds a synthetic population (fixed seed) in the canonical Python form the policy
accepts, checks that ``Policy.decide`` agrees with a hand-written function of the same
rule on every citizen, then times, in one process and in interleaved rounds:

    (a) the hand-written function,
    (b) the hand-written function with a hand-written type check of every fact,
    (c) ``policy.decide(c, on=...)``, the full host call,
    (d) ``policy.facts.validate(c)`` alone (the fast path for canonical facts),
    (e) ``policy.code.evaluate(c, on)`` alone (the generated code),
    (f) ``decide`` + ``decision.reasons`` + ``decision.explain()`` on a smaller sample,

and the load + compile time of the policy (cold first call, warm median, each stage).
Every figure is also given as a ratio against (a) measured in the same run: the machine
is shared and noisy, so only same-run ratios mean something. The method follows the
peer benchmark (``bench-peers``): interleaved rounds with alternating order, each repeat
looped until it lasts >= 0.2 s, ``gc.collect()`` before each repeat, the population
``gc.freeze()``-d, median [min-max] over the rounds.

    .venv/bin/python benchmarks/decide.py              # full run (N=20,000, 5 rounds)
    .venv/bin/python benchmarks/decide.py --quick      # smoke run (< 30 s)
    .venv/bin/python benchmarks/decide.py --json out.json --profile 50000

Exit status 0 when every decision agreed with the hand-written rule, 1 otherwise.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import platform
import pstats
import random
import statistics
import subprocess
import sys
import time
from calendar import isleap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

from udbudsregler.policy import Policy, load_policy
from udbudsregler.stages import STAGES, CompileState

ROOT = Path(__file__).resolve().parent.parent
POLICY_PATH = ROOT / "policies" / "slagelse-2019"
DEFAULT_SEED = 20190201
DEFAULT_ON = date(2019, 2, 1)
#: Further decision dates every citizen is verified on (not timed): leap-day edges of the
#: month-end rule (age of 29 February birthdays, "2 years before", "5 years after").
EXTRA_VERIFY_DATES = (date(2020, 2, 29), date(2021, 2, 27), date(2021, 2, 28), date(2021, 3, 1))
MIN_REPEAT_S = 0.2
pc = time.perf_counter

Citizen = dict[str, Any]
Verdict = tuple[bool, str | None]

BENEFIT_KINDS = ("kontanthjaelp", "uddannelseshjaelp", "sygedagpenge", "ledighedsydelse")
OFFER_KINDS = ("virksomhedspraktik", "loentilskud", "vejledning_og_opkvalificering")
CRITERIA = ("aktivitetsparat_kontanthjaelp", "over_30", "under_5_years",
            "praktik_eller_loentilskud", "regel_225_timer")


# ---------------------------------------------------------------------------
# Hand-written baseline: the policy's rule as a competent programmer writes it for speed
# ---------------------------------------------------------------------------

AREA = "aktivitetsparate"
YES: Verdict = (True, AREA)
NO: Verdict = (False, None)
QUALIFYING = frozenset(("virksomhedspraktik", "loentilskud"))
ONE_DAY = timedelta(days=1)
TWO_DAYS = timedelta(days=2)  # a gap of at most 1 uncovered day keeps a spell together
_start = itemgetter(0)


def add_years(d: date, years: int) -> date:
    """``d`` plus whole years by the clamp rule: 29 February becomes 28 February."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def decide_by_hand(c: Citizen, on: date) -> Verdict:
    """(eligible, area) for the Slagelse 2019 target group, without any input checks."""
    if c["visitation"] != "aktivitetsparat" or not c["subject_to_225_rule"]:
        return NO
    # age >= 30; a 29 February birthday is 28 February in a year without one (clamp)
    b = c["birth_date"]
    bm, bd = b.month, b.day
    if bm == 2 and bd == 29 and not isleap(on.year):
        bd = 28
    age = on.year - b.year
    if on.month < bm or (on.month == bm and on.day < bd):
        age -= 1
    if age < 30:
        return NO
    # on cash benefit on the date
    for p in c["benefits"]:
        if p["kind"] == "kontanthjaelp" and p["from"] <= on:
            e = p["to"]
            if e is None or on <= e:
                break
    else:
        return NO
    # at least one praktik/loentilskud of >= 15 h/week sharing a day with [on - 2 years, on]
    lo = add_years(on, -2)
    for o in c["offers"]:
        if o["kind"] in QUALIFYING and o["weekly_hours"] >= 15 and o["from"] <= on:
            e = o["to"]
            if e is None or e >= lo:
                break
    else:
        return NO
    # the continuous cash spell holding the date (gaps of <= 1 day bridged) is under 5
    # years: its length [start, on] is under 5 years iff start + 5 years > on + 1 day.
    # It is the last merged spell that starts on or before the date.
    cash = sorted([(p["from"], p["to"]) for p in c["benefits"] if p["kind"] == "kontanthjaelp"],
                  key=_start)
    start, end = cash[0]
    for s, e in cash:
        if end is None:
            break
        if s <= end + TWO_DAYS:
            if e is None or e > end:
                end = e
        elif s > on:
            break
        else:
            start, end = s, e
    if add_years(start, 5) > on + ONE_DAY:
        return YES
    return NO


_LO, _HI = date(1850, 1, 1), date(2200, 12, 31)
_VISITATIONS = frozenset(("aktivitetsparat", "jobparat"))
_BENEFIT_SET = frozenset(BENEFIT_KINDS)
_OFFER_SET = frozenset(OFFER_KINDS)


def validate_by_hand(c: Any) -> None:
    """A hand-written check of every fact, with the same acceptance as the policy's fast
    path: the five keys, types, enum values, date range, ``from <= to``, finite hours.
    (``type(x) is date``, not ``isinstance``: a ``datetime`` is a ``date``.)"""
    if not isinstance(c, dict) or len(c) != 5:
        raise ValueError("expected the five facts")
    b = c.get("birth_date")
    if type(b) is not date or not _LO <= b <= _HI:
        raise ValueError("birth_date: expected a date")
    v = c.get("visitation")
    if not isinstance(v, str) or v not in _VISITATIONS:
        raise ValueError("visitation: expected aktivitetsparat or jobparat")
    if not isinstance(c.get("subject_to_225_rule"), bool):
        raise ValueError("subject_to_225_rule: expected true or false")
    items = c.get("benefits")
    if not isinstance(items, list):
        raise ValueError("benefits: expected a list")
    for r in items:
        if not isinstance(r, dict) or len(r) != 3:
            raise ValueError("benefits: expected records of kind, from, to")
        k = r.get("kind")
        if not isinstance(k, str) or k not in _BENEFIT_SET:
            raise ValueError("benefits.kind: unknown kind")
        s = r.get("from")
        if type(s) is not date or not _LO <= s <= _HI:
            raise ValueError("benefits.from: expected a date")
        e = r.get("to", 0)
        if e is not None and (type(e) is not date or not s <= e <= _HI):
            raise ValueError("benefits.to: expected a date on or after `from`, or None")
    items = c.get("offers")
    if not isinstance(items, list):
        raise ValueError("offers: expected a list")
    for r in items:
        if not isinstance(r, dict) or len(r) != 4:
            raise ValueError("offers: expected records of kind, weekly_hours, from, to")
        k = r.get("kind")
        if not isinstance(k, str) or k not in _OFFER_SET:
            raise ValueError("offers.kind: unknown kind")
        h = r.get("weekly_hours")
        if not (type(h) is int or (isinstance(h, Decimal) and h.is_finite())):
            raise ValueError("offers.weekly_hours: expected a whole number or a Decimal")
        s = r.get("from")
        if type(s) is not date or not _LO <= s <= _HI:
            raise ValueError("offers.from: expected a date")
        e = r.get("to", 0)
        if e is not None and (type(e) is not date or not s <= e <= _HI):
            raise ValueError("offers.to: expected a date on or after `from`, or None")


def decide_by_hand_validated(c: Citizen, on: date) -> Verdict:
    validate_by_hand(c)
    return decide_by_hand(c, on)


def criteria_by_hand(c: Citizen, on: date) -> tuple[bool, ...]:
    """Every criterion of the target group separately (no short-circuit), written for
    clarity: for the per-criterion counts and to cross-check the engine's reasons."""
    cash = sorted(((p["from"], p["to"]) for p in c["benefits"] if p["kind"] == "kontanthjaelp"),
                  key=_start)
    covered = any(s <= on and (e is None or on <= e) for s, e in cash)
    spells: list[tuple[date, date | None]] = []
    for s, e in cash:
        if spells:
            start, end = spells[-1]
            if end is None:
                break
            if s <= end + TWO_DAYS:
                spells[-1] = (start, None if e is None else max(e, end))
                continue
        spells.append((s, e))
    holding = [s for s, e in spells if s <= on and (e is None or on <= e)]
    under_5 = not holding or add_years(holding[0], 5) > on + ONE_DAY
    b = c["birth_date"]
    birthday = (b.month, 28 if (b.month, b.day) == (2, 29) and not isleap(on.year) else b.day)
    age = on.year - b.year - ((on.month, on.day) < birthday)
    lo = add_years(on, -2)
    offer = any(o["kind"] in QUALIFYING and o["weekly_hours"] >= 15 and o["from"] <= on
                and (o["to"] is None or o["to"] >= lo) for o in c["offers"])
    return (c["visitation"] == "aktivitetsparat" and covered, age >= 30, under_5, offer,
            bool(c["subject_to_225_rule"]))


# ---------------------------------------------------------------------------
# Population
# ---------------------------------------------------------------------------


def _days(d: date, n: int) -> date:
    return d + timedelta(days=n)


def make_citizen(rnd: random.Random, on: date) -> Citizen:
    ri, rr, ch = rnd.randint, rnd.random, rnd.choice
    # -- birth date: ages ~25-60; a few turn 30 around the date; a few born 29 February
    u = rr()
    if u < 0.03:
        birth = _days(add_years(on, -30), ri(-1, 1))
    elif u < 0.04:
        birth = date(ch((1960, 1964, 1968, 1972, 1976, 1980, 1984, 1988)), 2, 29)
    else:
        birth = _days(on, -ri(25 * 365 + 7, 61 * 365 - 1))
    # -- benefits: 1-4 periods, the latest first, walking back in time
    benefits: list[dict[str, Any]] = []
    end: date | None = None if rr() < 0.45 else _days(on, ri(-400, 120))
    start = _days(on if end is None else end, -ri(0, 3000 if end is None else 2000))
    for i in range(ri(1, 4)):
        if i:
            g = rr()
            if g < 0.05:      # overlapping
                end = _days(start, ri(0, 30))
            elif g < 0.30:    # adjacent
                end = _days(start, -1)
            elif g < 0.50:    # 1 day without benefit: still one spell
                end = _days(start, -2)
            elif g < 0.60:    # 2 days: a new spell
                end = _days(start, -3)
            else:             # weeks
                end = _days(start, -1 - 7 * ri(1, 30) - ri(0, 6))
            start = _days(min(end, start), -ri(0, 1500))
        kind = "kontanthjaelp" if rr() < 0.6 else ch(BENEFIT_KINDS[1:])
        benefits.append({"kind": kind, "from": start, "to": end})
    u = rr()
    five = add_years(on, -5)
    if u < 0.03:    # one open cash spell of about exactly 5 years
        benefits = [{"kind": "kontanthjaelp", "from": _days(five, ri(-1, 2)), "to": None}]
    elif u < 0.06:  # two cash periods bridging the 5 years only if the gap is <= 1 day
        cut = _days(on, -ri(30, 400))
        benefits = [{"kind": "kontanthjaelp", "from": _days(five, -ri(1, 300)), "to": cut},
                    {"kind": "kontanthjaelp", "from": _days(cut, 1 + ri(0, 2)),
                     "to": None if rr() < 0.7 else _days(on, ri(0, 60))}]
    elif u < 0.08:  # cash benefit ending or starting around the date
        d = _days(on, ri(-2, 1))
        benefits = ([{"kind": "kontanthjaelp", "from": _days(on, -ri(100, 900)), "to": d}]
                    if rr() < 0.5 else [{"kind": "kontanthjaelp", "from": _days(d, 1), "to": None}])
    elif u < 0.09:  # a 29 February start (5 years after it is 28 February by clamp)
        benefits.append({"kind": "kontanthjaelp", "from": date(ch((2012, 2016)), 2, 29),
                         "to": None})
    if rr() < 0.15:
        rnd.shuffle(benefits)  # the host need not send the periods in order
    # -- offers: 0-4 of the three kinds, 8-30 h/week, started in the last 0-4 years
    offers: list[dict[str, Any]] = []
    for _ in range(ri(0, 4)):
        o_start = _days(on, -ri(0, 4 * 365))
        o_end = None if rr() < 0.1 else _days(o_start, ri(7, 365))
        hours: int | Decimal = (ri(8, 30) if rr() < 0.85
                                else Decimal(f"{ri(8, 29)}.{ri(0, 99):02d}"))
        offers.append({"kind": ch(OFFER_KINDS), "from": o_start, "to": o_end,
                       "weekly_hours": hours})
    u = rr()
    if u < 0.05:    # a qualifying offer ending right at the edge of the 2-year window
        o_end = _days(add_years(on, -2), ri(-1, 1))
        offers.append({"kind": ch(OFFER_KINDS[:2]), "from": _days(o_end, -ri(0, 90)),
                       "to": o_end, "weekly_hours": 15})
    elif u < 0.08:  # an offer in the window with hours right at the threshold
        o_start = _days(on, -ri(0, 600))
        offers.append({"kind": ch(OFFER_KINDS[:2]), "from": o_start, "to": None,
                       "weekly_hours": ch((14, 15, Decimal("14.99"), Decimal("15.00")))})
    elif u < 0.10:  # ending on a leap-day edge of the extra verification dates
        o_end = ch((date(2018, 2, 27), date(2018, 2, 28), date(2018, 2, 28), date(2019, 2, 28)))
        offers.append({"kind": ch(OFFER_KINDS[:2]), "from": _days(o_end, -30), "to": o_end,
                       "weekly_hours": 20})
    return {
        "birth_date": birth,
        "visitation": "aktivitetsparat" if rr() < 0.7 else "jobparat",
        "benefits": benefits,
        "offers": offers,
        "subject_to_225_rule": rr() < 0.8,
    }


def make_population(n: int, seed: int, on: date) -> list[Citizen]:
    rnd = random.Random(seed)
    return [make_citizen(rnd, on) for _ in range(n)]


# ---------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------


@dataclass
class Verification:
    on: date
    checked: int = 0
    eligible: int = 0
    #: (citizen index, what decide gave or the error it raised, what the hand gives)
    mismatches: list[tuple[int, object, Verdict]] = field(default_factory=list)


def verify(policy: Policy, pop: Sequence[Citizen], on: date) -> Verification:
    """Both paths over every citizen; also the generated code and the fast path alone."""
    result = Verification(on)
    validate, evaluate = policy.facts.validate, policy.code.evaluate
    for i, c in enumerate(pop):
        want = decide_by_hand(c, on)
        result.checked += 1
        result.eligible += want[0]
        try:
            d = policy.decide(c, on=on)
        except Exception as error:  # a decision that fails is a mismatch too
            result.mismatches.append((i, repr(error), want))
            continue
        got: Verdict = (d.eligible, d.area)
        if validate(c) is not c:
            raise AssertionError(f"citizen {i} is not in canonical form (fast path missed)")
        if decide_by_hand_validated(c, on) != want or all(criteria_by_hand(c, on)) != want[0]:
            raise AssertionError(f"citizen {i}: the hand-written variants disagree")
        if bool(evaluate(c, on)[0]) != got[0]:  # the target group, the first output
            raise AssertionError(f"citizen {i}: code.evaluate disagrees with decide")
        if got != want:
            result.mismatches.append((i, got, want))
    return result


def verify_reasons(policy: Policy, sample: Sequence[Citizen], on: date) -> int:
    """Per-criterion check of the engine's reasons (the reference interpreter) against
    ``criteria_by_hand``; returns the number of citizens that differ."""
    bad = 0
    for c in sample:
        met = {r.id: r.met for r in policy.decide(c, on=on).reasons if r.kind == "criterion"}
        if tuple(met[k] for k in CRITERIA) != criteria_by_hand(c, on):
            bad += 1
    return bad


def criterion_counts(pop: Sequence[Citizen], on: date) -> dict[str, dict[str, int]]:
    """Per criterion: how many citizens fail it, and for how many it is the only failure
    (the criterion alone decides)."""
    failing = dict.fromkeys(CRITERIA, 0)
    only = dict.fromkeys(CRITERIA, 0)
    for c in pop:
        met = criteria_by_hand(c, on)
        misses = [k for k, m in zip(CRITERIA, met, strict=True) if not m]
        for k in misses:
            failing[k] += 1
        if len(misses) == 1:
            only[misses[0]] += 1
    return {k: {"failing": failing[k], "only_failure": only[k]} for k in CRITERIA}


# ---------------------------------------------------------------------------
# Timing (the method of bench-peers)
# ---------------------------------------------------------------------------


def stats(values: Sequence[float]) -> dict[str, Any]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "values": list(values)}


@dataclass
class Measure:
    key: str
    label: str
    n: int
    body: Callable[[], None]  # one pass over the n items
    inner: int = 1
    values: list[float] = field(default_factory=list)  # µs per decision, one per round

    def calibrate(self) -> None:
        """timeit-style autorange: enough passes that one repeat lasts >= MIN_REPEAT_S."""
        t0 = pc()
        self.body()  # warm-up
        est = pc() - t0
        if est < MIN_REPEAT_S:  # a short first pass may be mostly warm-up: measure again
            t0 = pc()
            self.body()
            est = pc() - t0
        self.inner = max(1, math.ceil(MIN_REPEAT_S / est)) if est > 0 else 1

    def once(self) -> None:
        body = self.body
        gc.collect()
        t0 = pc()
        for _ in range(self.inner):
            body()
        self.values.append((pc() - t0) / (self.n * self.inner) * 1e6)

    @property
    def median(self) -> float:
        return statistics.median(self.values)


def measures(policy: Policy, pop: list[Citizen], sample: list[Citizen],
             on: date) -> list[Measure]:
    hand, hand_v = decide_by_hand, decide_by_hand_validated
    decide, validate, evaluate = policy.decide, policy.facts.validate, policy.code.evaluate

    def a() -> None:
        for c in pop:
            hand(c, on)

    def b() -> None:
        for c in pop:
            hand_v(c, on)

    def c_() -> None:
        for c in pop:
            decide(c, on=on)

    def d() -> None:
        for c in pop:
            validate(c)

    def e() -> None:
        for c in pop:
            evaluate(c, on)

    def f() -> None:
        for c in sample:
            decision = decide(c, on=on)
            decision.reasons  # noqa: B018 -- computed on first use
            decision.explain()

    n = len(pop)
    return [
        Measure("hand", "(a) hand-written `decide_by_hand(c, on)`", n, a),
        Measure("hand_validated", "(b) hand-written + hand-written type checks", n, b),
        Measure("decide", "(c) `policy.decide(c, on=on)`", n, c_),
        Measure("validate", "(d) `policy.facts.validate(c)` alone", n, d),
        Measure("evaluate", "(e) `policy.code.evaluate(c, on)` alone", n, e),
        Measure("explain", "(f) `decide` + `.reasons` + `.explain()`", len(sample), f),
    ]


def run_rounds(ms: list[Measure], rounds: int, log: Callable[[str], None]) -> None:
    for m in ms:
        m.calibrate()
    for r in range(rounds):
        order = ms if r % 2 == 0 else ms[::-1]
        for m in order:
            m.once()
        log(f"  round {r + 1}/{rounds}: " + ", ".join(
            f"{m.key} {m.values[-1]:.2f}" for m in ms) + " µs")


# ---------------------------------------------------------------------------
# Load + compile
# ---------------------------------------------------------------------------


def time_load(repeats: int) -> dict[str, Any]:
    """The first ``load_policy`` in the process (also builds the lark parser), then warm
    repeats, and each compile stage of the warm repeats separately."""
    t0 = pc()
    load_policy(POLICY_PATH)
    cold = (pc() - t0) * 1e3
    warm = []
    for _ in range(repeats):
        gc.collect()
        t0 = pc()
        load_policy(POLICY_PATH)
        warm.append((pc() - t0) * 1e3)
    stage_ms: dict[str, list[float]] = {s.name: [] for s in STAGES}
    stage_ms["Policy()"] = []
    for _ in range(repeats):
        gc.collect()
        state = CompileState(POLICY_PATH)
        for stage in STAGES:
            t0 = pc()
            ok = stage.run(state)
            stage_ms[stage.name].append((pc() - t0) * 1e3)
            if not ok:
                raise SystemExit(f"stage {stage.name} failed: {state.bag.sorted()}")
        assert state.lowered is not None and state.code is not None
        assert state.source is not None
        t0 = pc()
        Policy(state.lowered, state.code, state.source, tuple(state.bag.warnings()),
               checked=state.checked)
        stage_ms["Policy()"].append((pc() - t0) * 1e3)
    return {"cold_ms": cold, "warm_ms": stats(warm),
            "stages_ms": {k: stats(v) for k, v in stage_ms.items()}}


# ---------------------------------------------------------------------------
# Profile
# ---------------------------------------------------------------------------


def profile_decide(policy: Policy, pop: list[Citizen], on: date, calls: int,
                   top: int = 15) -> str:
    items = (pop * (calls // len(pop) + 1))[:calls]
    decide = policy.decide
    profiler = cProfile.Profile()
    profiler.enable()
    for c in items:
        decide(c, on=on)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    return out.getvalue()


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def fmt(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def cell(values: Sequence[float]) -> str:
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}–{fmt(max(values))}]"


def rate(us: float) -> str:
    per_s = 1e6 / us
    if per_s >= 1e6:
        return f"{per_s / 1e6:.2f} M"
    if per_s >= 1e3:
        return f"{per_s / 1e3:.1f} k"
    return f"{per_s:.0f}"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu} ({os.cpu_count()} cores), {platform.system()} {platform.release()}"


def git_state() -> str:
    """HEAD and whether the package has uncommitted changes (the numbers describe the
    working tree as it was)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "udbudsregler"], cwd=ROOT,
                               text=True, capture_output=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "?"
    changed = sum(1 for line in dirty if line.strip())
    return f"{head} + {changed} changed files in udbudsregler/" if changed else head


def loadavg() -> str:
    """The 1-minute load average (the machine is shared: read the figures with it)."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def report(meta: dict[str, Any], ms: list[Measure], load: dict[str, Any]) -> str:
    by = {m.key: m for m in ms}
    hand, hand_v = by["hand"].median, by["hand_validated"].median
    lines = [
        f"Python {platform.python_version()}, {meta['machine']}; N={meta['n']:,}, "
        f"seed {meta['seed']}, on {meta['on']}, {meta['rounds']} interleaved rounds; "
        f"{meta['eligible']:,} eligible ({meta['eligible'] / meta['n']:.1%}); "
        f"mismatches {meta['mismatches']}; run took {meta['wall_s']:.0f} s; load average "
        f"{meta['loadavg_start']} at the start, {meta['loadavg_end']} at the end; "
        f"git {meta['git']}.",
        "",
        "| measurement | µs / decision | decisions / s | ×hand-written | "
        "×hand + validation | n | loops |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in ms:
        lines.append(f"| {m.label} | {cell(m.values)} | {rate(m.median)} | "
                     f"{m.median / hand:.2f}× | {m.median / hand_v:.2f}× | {m.n:,} | "
                     f"{m.inner} |")
    rest = [c - v - e for c, v, e in zip(by["decide"].values, by["validate"].values,
                                          by["evaluate"].values, strict=True)]
    explain = [f - c for f, c in zip(by["explain"].values, by["decide"].values, strict=True)]
    lines += [
        "",
        "Where the time of (c) goes (per round: (c) − (d) − (e) is `check_date`, building the "
        "target-group tuple, the `Decision` and its routing (area, supplier, package)):",
        "",
        "| part of `policy.decide` | µs / decision | share of (c) |",
        "|---|---:|---:|",
        f"| facts.validate (fast path) | {cell(by['validate'].values)} | "
        f"{by['validate'].median / by['decide'].median:.0%} |",
        f"| code.evaluate (generated code) | {cell(by['evaluate'].values)} | "
        f"{by['evaluate'].median / by['decide'].median:.0%} |",
        f"| the rest: check_date + Decision + routing | {cell(rest)} | "
        f"{statistics.median(rest) / by['decide'].median:.0%} |",
        "",
        f"Reasons + explanation, (f) − (c), on {by['explain'].n:,} citizens: "
        f"{cell(explain)} µs per decision (not the hot path: computed on first use by the "
        "reference interpreter).",
        "",
        f"**Load + compile** `load_policy(\"policies/slagelse-2019\")`: cold first call in "
        f"the process (also builds the lark parser) {load['cold_ms']:.1f} ms; warm "
        f"{cell(load['warm_ms']['values'])} ms over {len(load['warm_ms']['values'])} runs.",
        "",
        "| stage | ms (warm) | share |",
        "|---|---:|---:|",
    ]
    stages = load["stages_ms"]
    total = sum(s["median"] for s in stages.values())
    for name, s in stages.items():
        lines.append(f"| {name} | {cell(s['values'])} | {s['median'] / total:.0%} |")
    lines.append(f"| sum of medians | {fmt(total)} | 100% |")
    counts = meta["criteria"]
    lines += ["", "Criteria (hand-written, every criterion evaluated): citizens failing each, "
              "and for how many it is the only failure.", "",
              "| criterion | failing | only failure |", "|---|---:|---:|"]
    for k, v in counts.items():
        lines.append(f"| {k} | {v['failing']:,} | {v['only_failure']:,} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=20_000, help="citizens (default 20,000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--on", type=date.fromisoformat, default=DEFAULT_ON,
                        help="decision date, YYYY-MM-DD (default 2019-02-01)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--explain-n", type=int, default=1_000,
                        help="citizens in the reasons/explain sample (default 1,000)")
    parser.add_argument("--load-repeats", type=int, default=10)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: N=2,000, 2 rounds, small samples")
    parser.add_argument("--json", type=Path, help="write the raw numbers to this file")
    parser.add_argument("--profile", type=int, default=0, metavar="CALLS",
                        help="also profile CALLS calls of policy.decide (cProfile, top 15 "
                        "by own time)")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.rounds, args.explain_n, args.load_repeats = 2_000, 2, 200, 3
    started = pc()
    loadavg_start = loadavg()

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    log("load + compile ...")
    load = time_load(args.load_repeats)
    policy = load_policy(POLICY_PATH)
    policy.check_date(args.on)

    log(f"population: {args.n:,} citizens, seed {args.seed} ...")
    pop = make_population(args.n, args.seed, args.on)
    sample = pop[:min(args.explain_n, len(pop))]
    gc.collect()
    gc.freeze()

    log("verifying ...")
    dates = [args.on, *(d for d in EXTRA_VERIFY_DATES if d != args.on)]
    checks = []
    for on in dates:
        try:
            policy.check_date(on)
        except Exception:  # outside the policy's validity: skip the extra date
            continue
        checks.append(verify(policy, pop, on))
    reason_mismatches = verify_reasons(policy, sample, args.on)
    mismatches = sum(len(v.mismatches) for v in checks)
    for v in checks:
        log(f"  on {v.on}: {v.checked:,} citizens, {v.eligible:,} eligible, "
            f"{len(v.mismatches)} mismatches")
    log(f"  reasons vs criteria_by_hand on {len(sample):,} citizens: {reason_mismatches} "
        "mismatches")
    print(f"verified: {sum(v.checked for v in checks):,} decisions on {len(checks)} dates, "
          f"{mismatches} mismatches; per-criterion reasons on {len(sample):,} citizens, "
          f"{reason_mismatches} mismatches")
    if mismatches or reason_mismatches:
        shown = [(v.on, *m) for v in checks for m in v.mismatches][:5]
        for on, i, got, want in shown:
            print(f"MISMATCH on {on}, citizen {i}: decide {got}, by hand {want}, "
                  f"criteria by hand {criteria_by_hand(pop[i], on)}\n  facts {pop[i]!r}")
        return 1

    counts = criterion_counts(pop, args.on)
    undecided = [k for k, v in counts.items() if not v["only_failure"]]
    if undecided:
        log(f"warning: no citizen fails only {', '.join(undecided)}")

    log(f"timing: {args.rounds} interleaved rounds ...")
    ms = measures(policy, pop, sample, args.on)
    run_rounds(ms, args.rounds, log)

    profile = profile_decide(policy, pop, args.on, args.profile) if args.profile else None

    meta: dict[str, Any] = {
        "python": platform.python_version(), "platform": platform.platform(),
        "machine": machine(), "n": args.n, "seed": args.seed, "on": args.on.isoformat(),
        "rounds": args.rounds, "eligible": checks[0].eligible, "mismatches": mismatches,
        "reason_mismatches": reason_mismatches, "criteria": counts,
        "verified_dates": [v.on.isoformat() for v in checks],
        "eligible_by_date": {v.on.isoformat(): v.eligible for v in checks},
        "min_repeat_s": MIN_REPEAT_S, "git": git_state(),
    }
    meta["wall_s"] = pc() - started
    meta["loadavg_start"], meta["loadavg_end"] = loadavg_start, loadavg()
    print()
    print(report(meta, ms, load))
    if profile is not None:
        print(f"\ncProfile of {args.profile:,} calls of `policy.decide` (top 15 by own time; "
              "the profiler's per-call overhead inflates small functions):\n")
        print("```\n" + profile.strip() + "\n```")
    if args.json is not None:
        hand = statistics.median(ms[0].values)
        data = {
            "meta": meta,
            "decide": {m.key: {"label": m.label, "n": m.n, "inner_loops": m.inner,
                               "us_per_decision": stats(m.values),
                               "x_hand": m.median / hand} for m in ms},
            "load": load,
            "profile": profile,
        }
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
