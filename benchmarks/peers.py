#!/usr/bin/env python3
"""The peer workload (bench-peers) as a policy, against hand-written Python in the same run.

The workload of ``shared/bench-peers`` (eligibility by the Slagelse 2019 rule, routing to
the four København 2023 service areas, and a payment rule) is written as a real policy,
``benchmarks/peer-policy/``. The population is the peers' (same generator, seed and
distribution), in the policy's types. Every citizen of the 200,000 is verified before any
timing: the hand-written function, the public API, the generated core and the
eligibility-only decision must all agree, and the hand-written function must agree with
the peers' own baseline on the peers' own dicts. Then, in interleaved rounds:

    (a)  the hand-written function ``decide_by_hand(c)`` -> {eligible, area, payment},
    (a') the peers' hand-written function, on the peers' dicts (for reference),
    (b)  the public API per record: ``policy.decide(c, on)``, then eligibility, area and
         ``decision.value("payment")`` from the same decision (facts checked once),
    (b1) ``policy.decide(c, on)`` alone,
    (c)  the generated core alone: ``code.evaluate(c, on)`` and the payment rule's
         generated function (no fact check, no Decision),
    (d)  eligibility only: ``decide`` of a policy with the eligibility rule alone and the
         six facts it reads (every one checked), against ``eligible_by_hand(c)``;
    (d') the same rule with all nine facts of the workload declared, and checked,
    (e)  ``decide`` + ``decision.reasons``, and ``decide`` + ``.reasons`` + ``.explain()``
         on a sample.

    .venv/bin/python benchmarks/peers.py            # full run (~3 min)
    .venv/bin/python benchmarks/peers.py --quick    # smoke run (< 1 min)

Exit status 0 when everything agreed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import statistics
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from _timing import (
    ROOT,
    Measure,
    cell,
    fmt,
    git_state,
    loadavg,
    machine,
    pc,
    rate,
    ratio_cell,
    run_rounds,
    stats,
    use_clock,
)

import udbudsregler as ur

POLICY_PATH = ROOT / "benchmarks" / "peer-policy"
ELIGIBILITY_PATH = POLICY_PATH / "eligibility-only.yaml"
ALL_FACTS_PATH = POLICY_PATH / "eligibility-all-facts.yaml"
#: The facts the eligibility rule reads: what a host sends the eligibility-only policy.
ELIGIBILITY_FACTS = ("age", "benefit", "visitation", "years_on_benefit",
                     "subject_to_225_rule", "offers")
SEED = 20190101          # bench-peers' seed
N_POP = 200_000          # bench-peers' population, all verified
N_TIMED = 20_000         # bench-peers' per-record sample (the first N_TIMED)
ON = date(2019, 2, 1)
GROUP = "aktivitetsparate_over_30"
#: The service areas of the policy by the peers' area numbers.
AREA_NUMBER = {"udsatte": 1, "sygemeldte": 2, "hjerneskade_kognitiv": 3,
               "psykiske_udfordringer": 4}

Citizen = dict[str, Any]

# ---------------------------------------------------------------------------
# The population: bench.py's generator (same draws in the same order)
# ---------------------------------------------------------------------------

KINDS = ("virksomhedspraktik", "loentilskud", "mentor")
CONDITIONS = ("hjerneskade", "kognitiv", "psykisk")


def peer_citizens(n: int, seed: int = SEED) -> Iterator[Citizen]:
    """The citizens of bench.py's ``generate_population(n, seed)``, one at a time."""
    rnd = random.Random(seed)
    ri, rr, ch, un = rnd.randint, rnd.random, rnd.choice, rnd.uniform
    for _ in range(n):
        u = rr()
        benefit = ("kontanthjaelp" if u < 0.45 else "sygedagpenge" if u < 0.70
                   else "jobafklaring" if u < 0.85 else "ressourceforloeb")
        yield {
            "age": ri(18, 67),
            "benefit": benefit,
            "visitation": "aktivitetsparat" if rr() < 0.6 else "jobparat",
            "years_on_benefit": round(un(0.0, 10.0), 1),
            "subject_to_225_rule": rr() < 0.7,
            "offers": [{"kind": ch(KINDS), "weekly_hours": ri(5, 37),
                        "months_ago": ri(0, 48)} for _ in range(ri(0, 5))],
            "conditions": [c for c in CONDITIONS if rr() < 0.15],
            "weeks": ri(0, 52),
            "self_supporting_months_after_end": ri(0, 12),
        }


def policy_form(c: Citizen) -> Citizen:
    """A peer citizen in the policy's types: ``years_on_benefit`` a Decimal (the policy's
    numbers are exact; a float is refused at the boundary), the conditions a record of
    yes/no fields (the language has no list of choices; København's `assessment` is the
    same shape). This is the host's form: converting is not timed."""
    out = dict(c)
    out["years_on_benefit"] = Decimal(repr(c["years_on_benefit"]))
    held = c["conditions"]
    out["conditions"] = {k: k in held for k in CONDITIONS}
    return out


# ---------------------------------------------------------------------------
# Baselines
# ---------------------------------------------------------------------------

#: bench.py's baseline (a), verbatim: on the peers' dicts.
PEER_SOURCE = '''
QUALIFYING_KINDS = frozenset(("virksomhedspraktik", "loentilskud"))
AREA_BENEFITS = frozenset(("sygedagpenge", "jobafklaring"))

def eligible(c):
    return (c["age"] > 30 and c["benefit"] == "kontanthjaelp"
            and c["visitation"] == "aktivitetsparat" and c["years_on_benefit"] < 5
            and c["subject_to_225_rule"]
            and any(o["kind"] in QUALIFYING_KINDS and o["weekly_hours"] >= 15
                    and o["months_ago"] <= 24 for o in c["offers"]))

def area(c):
    if c["benefit"] in AREA_BENEFITS:
        conds = c["conditions"]
        if "hjerneskade" in conds or "kognitiv" in conds:
            return 3
        if "psykisk" in conds:
            return 4
        return 2
    return 1

def payment(c):
    return c["weeks"] * 1850 + (25000 if c["self_supporting_months_after_end"] >= 4 else 0)

def decide(c):
    return {"eligible": eligible(c), "area": area(c), "payment": payment(c)}
'''
_PEER: dict[str, Any] = {}
exec(compile(PEER_SOURCE, "<bench-peers baseline>", "exec"), _PEER)
peer_decide: Callable[[Citizen], dict[str, Any]] = _PEER["decide"]

QUALIFYING_KINDS = frozenset(("virksomhedspraktik", "loentilskud"))
AREA_BENEFITS = frozenset(("sygedagpenge", "jobafklaring"))


def eligible_by_hand(c: Citizen) -> bool:
    """The peers' rule, on the policy's form of the citizen."""
    return bool(c["age"] > 30 and c["benefit"] == "kontanthjaelp"
                and c["visitation"] == "aktivitetsparat" and c["years_on_benefit"] < 5
                and c["subject_to_225_rule"]
                and any(o["kind"] in QUALIFYING_KINDS and o["weekly_hours"] >= 15
                        and o["months_ago"] <= 24 for o in c["offers"]))


def area_by_hand(c: Citizen) -> int:
    if c["benefit"] in AREA_BENEFITS:
        conds = c["conditions"]
        if conds["hjerneskade"] or conds["kognitiv"]:
            return 3
        if conds["psykisk"]:
            return 4
        return 2
    return 1


def payment_by_hand(c: Citizen) -> int:
    return int(c["weeks"] * 1850 + (25000 if c["self_supporting_months_after_end"] >= 4
                                    else 0))


def decide_by_hand(c: Citizen) -> dict[str, Any]:
    return {"eligible": eligible_by_hand(c), "area": area_by_hand(c),
            "payment": payment_by_hand(c)}


def criteria_by_hand(c: Citizen) -> dict[str, bool]:
    """Every criterion of the eligibility rule on its own, for the reasons."""
    return {"over_30": c["age"] > 30, "kontanthjaelp": c["benefit"] == "kontanthjaelp",
            "aktivitetsparat": c["visitation"] == "aktivitetsparat",
            "under_5_aar": c["years_on_benefit"] < 5,
            "regel_225_timer": c["subject_to_225_rule"],
            "praktik_eller_loentilskud": any(
                o["kind"] in QUALIFYING_KINDS and o["weekly_hours"] >= 15
                and o["months_ago"] <= 24 for o in c["offers"])}


# ---------------------------------------------------------------------------
# The engine's paths
# ---------------------------------------------------------------------------


def api(policy: ur.Policy, on: date) -> Callable[[Citizen], dict[str, Any]]:
    """(b): the public API per record; the payment from the decision's own memo."""
    decide = policy.decide

    def decide_by_api(c: Citizen) -> dict[str, Any]:
        d = decide(c, on)
        return {"eligible": GROUP in d.target_groups, "area": d.area,
                "payment": d.value("payment")}
    return decide_by_api


def core(policy: ur.Policy, on: date) -> Callable[[Citizen], tuple[tuple[bool, ...], Any]]:
    """(c): the generated code alone: every target group and area fit, then the payment
    rule's function (with a fresh memo, as a decision has)."""
    evaluate, pay = policy.code.evaluate, policy.code.functions["payment"]
    blank = policy.code.memo(on)

    def by_core(c: Citizen) -> tuple[tuple[bool, ...], Any]:
        return evaluate(c, on), pay(c, blank.copy())
    return by_core


def core_answer(policy: ur.Policy, outputs: tuple[bool, ...], payment: Any
                ) -> tuple[bool, int, Any]:
    """(eligible, area number, payment) from the generated core's outputs (the area is the
    first fitting one in the policy's priority, as the routing chooses)."""
    fits = dict(zip(policy.code.outputs, outputs, strict=True))
    area = next(a for a in policy.priority if fits[f"service_areas.{a}"])
    return fits[GROUP], AREA_NUMBER[area], payment


# ---------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------


def eligibility_facts(c: Citizen) -> Citizen:
    """What a host sends the eligibility-only policy (not timed)."""
    return {k: c[k] for k in ELIGIBILITY_FACTS}


def verify(policy: ur.Policy, only: ur.Policy, all_facts: ur.Policy, n: int, seed: int,
           timed: int, sample: int
           ) -> tuple[dict[str, int], list[Citizen], list[Citizen], list[Citizen], int]:
    """Every citizen through every path; the first ``timed`` (policy form, peer form and
    the eligibility facts) are kept for timing. Returns the mismatch counts, the three
    populations and the number of eligible citizens."""
    by_api, by_core = api(policy, ON), core(policy, ON)
    decide_only, decide_all = only.decide, all_facts.decide
    bad = dict.fromkeys(("hand_vs_peers", "api", "core", "eligibility_only",
                         "eligibility_all_facts", "fast_path", "reasons"), 0)
    kept: list[Citizen] = []
    kept_peer: list[Citizen] = []
    kept_six: list[Citizen] = []
    eligible = 0
    for i, original in enumerate(peer_citizens(n, seed)):
        c = policy_form(original)
        want = decide_by_hand(c)
        eligible += want["eligible"]
        if peer_decide(original) != want:
            bad["hand_vs_peers"] += 1
        got = by_api(c)
        if (got["eligible"], AREA_NUMBER.get(got["area"] or ""), got["payment"]) != (
                want["eligible"], want["area"], want["payment"]):
            bad["api"] += 1
        if core_answer(policy, *by_core(c)) != (want["eligible"], want["area"],
                                                want["payment"]):
            bad["core"] += 1
        six = eligibility_facts(c)
        if decide_only(six, ON).eligible != want["eligible"]:
            bad["eligibility_only"] += 1
        if decide_all(c, ON).eligible != want["eligible"]:
            bad["eligibility_all_facts"] += 1
        if policy.facts.validate(c) is not c or only.facts.validate(six) is not six:
            bad["fast_path"] += 1  # canonical: the fast path, never pydantic
        if i < sample:
            met = {r.id: r.met for r in policy.decide(c, ON).reasons if r.kind == "criterion"}
            if any(met[k] != v for k, v in criteria_by_hand(c).items()):
                bad["reasons"] += 1
        if i < timed:
            kept.append(c)
            kept_peer.append(original)
            kept_six.append(six)
    return bad, kept, kept_peer, kept_six, eligible


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------


def measures(policy: ur.Policy, only: ur.Policy, all_facts: ur.Policy, pop: list[Citizen],
             peer_pop: list[Citizen], six_pop: list[Citizen],
             sample: list[Citizen]) -> list[Measure]:
    on = ON
    hand, hand_e, peer = decide_by_hand, eligible_by_hand, peer_decide
    by_api, by_core = api(policy, on), core(policy, on)
    decide, decide_only, decide_all = policy.decide, only.decide, all_facts.decide

    def a() -> None:
        for c in pop:
            hand(c)

    def a_peer() -> None:
        for c in peer_pop:
            peer(c)

    def a_e() -> None:
        for c in pop:
            hand_e(c)

    def b() -> None:
        for c in pop:
            by_api(c)

    def b1() -> None:
        for c in pop:
            decide(c, on)

    def c_() -> None:
        for c in pop:
            by_core(c)

    def d() -> None:
        for c in six_pop:
            decide_only(c, on).eligible  # noqa: B018

    def d_all() -> None:
        for c in pop:
            decide_all(c, on).eligible  # noqa: B018

    def s_decide() -> None:
        for c in sample:
            decide(c, on)

    def s_reasons() -> None:
        for c in sample:
            decide(c, on).reasons  # noqa: B018

    def s_explain() -> None:
        for c in sample:
            decision = decide(c, on)
            decision.reasons  # noqa: B018
            decision.explain()

    n, k = len(pop), len(sample)
    return [
        Measure("hand", "(a) hand-written `decide_by_hand(c)`", n, a),
        Measure("peer", "(a') the peers' hand-written `decide(c)`, peers' dicts", n, a_peer),
        Measure("api", "(b) public API: `decide` + eligible, area, `value(\"payment\")`", n,
                b),
        Measure("decide", "(b1) `policy.decide(c, on)` alone", n, b1),
        Measure("core", "(c) generated core: `code.evaluate` + payment function", n, c_),
        Measure("hand_e", "(a-e) hand-written `eligible_by_hand(c)`", n, a_e),
        Measure("elig", "(d) eligibility-only policy (6 facts): `decide(c, on).eligible`", n,
                d),
        Measure("elig_all", "(d') the same, all 9 facts declared and checked", n, d_all),
        Measure("s_decide", "(e0) `decide` (sample)", k, s_decide),
        Measure("s_reasons", "(e1) `decide` + `.reasons` (sample)", k, s_reasons),
        Measure("s_explain", "(e2) `decide` + `.reasons` + `.explain()` (sample)", k,
                s_explain),
    ]


def time_load(repeats: int) -> dict[str, Any]:
    """Compiling the peer policy (``cache=False``): the first time in the process, then
    warm repeats."""
    t0 = pc()
    ur.load_policy(POLICY_PATH, cache=False)
    first = (pc() - t0) * 1e3
    warm = []
    for _ in range(repeats):
        gc.collect()
        t0 = pc()
        ur.load_policy(POLICY_PATH, cache=False)
        warm.append((pc() - t0) * 1e3)
    return {"first_ms": first, "warm_ms": stats(warm)}


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

TARGETS = {"api": ("hand", 3.0), "core": ("hand", 1.3), "elig": ("hand_e", 5.0),
           "s_reasons": ("s_decide", 3.0)}


def report(meta: dict[str, Any], ms: list[Measure], load: dict[str, Any]) -> str:
    by = {m.key: m for m in ms}
    lines = [
        f"Python {platform.python_version()}, {meta['machine']}; {meta['date']}; seed "
        f"{meta['seed']}, {meta['n_pop']:,} citizens verified ({meta['eligible']:,} "
        f"eligible), the first {meta['n_timed']:,} timed, {meta['rounds']} interleaved "
        f"rounds, {meta['clock']} time; mismatches {meta['mismatches']}; load average "
        f"{meta['loadavg_start']} at the start, {meta['loadavg_end']} at the end; run took "
        f"{meta['wall_s']:.0f} s; git {meta['git']}.",
        "",
        "| path | µs / record | records / s | ratio (per round) | vs. | target | loops |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    base_of = {"hand": None, "peer": "hand", "api": "hand", "decide": "hand",
               "core": "hand", "hand_e": None, "elig": "hand_e", "elig_all": "hand_e",
               "s_decide": None,
               "s_reasons": "s_decide", "s_explain": "s_decide"}
    for m in ms:
        base = base_of[m.key]
        ratio = ratio_cell(m.ratios(by[base])) if base else "1.00×"
        target = TARGETS.get(m.key)
        lines.append(f"| {m.label} | {cell(m.values)} | {rate(m.median)} | {ratio} | "
                     f"{f'({base})' if base else ''} | "
                     f"{f'≤ {target[1]:.1f}×' if target else ''} | {m.inner} |")
    extra = [e - d for e, d in zip(by["s_explain"].values, by["s_decide"].values,
                                   strict=True)]
    reasons = [e - d for e, d in zip(by["s_reasons"].values, by["s_decide"].values,
                                     strict=True)]
    lines += [
        "",
        f"Reasons alone, (e1) − (e0): {cell(reasons)} µs; reasons and the Danish "
        f"explanation, (e2) − (e0): {cell(extra)} µs per decision (target: explanation "
        "under 100 µs).",
        "",
        f"Compiling the policy (`load_policy(..., cache=False)`): first in the process "
        f"{fmt(load['first_ms'])} ms, then {cell(load['warm_ms']['values'])} ms.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=N_POP, help="citizens verified (200,000)")
    parser.add_argument("--timed", type=int, default=N_TIMED,
                        help="citizens timed per record (the first 20,000)")
    parser.add_argument("--sample", type=int, default=2_000,
                        help="citizens in the reasons/explanation sample (2,000)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 20,000 verified, 5,000 timed, 3 rounds")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="time the loops by this process's CPU time (default) or by "
                        "wall time")
    parser.add_argument("--json", type=Path, help="write the raw numbers to this file")
    args = parser.parse_args(argv)
    use_clock(args.clock)
    if args.quick:
        args.n, args.timed, args.sample, args.rounds = 20_000, 5_000, 500, 3
    started = pc()
    start_load = loadavg()

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    log("compiling ...")
    load = time_load(5)
    policy = ur.load_policy(POLICY_PATH)
    only = ur.load_policy(ELIGIBILITY_PATH)
    all_facts = ur.load_policy(ALL_FACTS_PATH)
    log(f"verifying {args.n:,} citizens ...")
    bad, pop, peer_pop, six_pop, eligible = verify(policy, only, all_facts, args.n,
                                                   args.seed, args.timed, args.sample)
    mismatches = sum(bad.values())
    print(f"verified {args.n:,} citizens: mismatches {bad}")
    if mismatches:
        return 1
    sample = pop[:args.sample]
    gc.collect()
    gc.freeze()
    log(f"timing: {args.rounds} interleaved rounds ...")
    ms = measures(policy, only, all_facts, pop, peer_pop, six_pop, sample)
    run_rounds(ms, args.rounds, log)
    meta: dict[str, Any] = {
        "python": platform.python_version(), "machine": machine(),
        "date": date.today().isoformat(), "seed": args.seed, "n_pop": args.n,
        "n_timed": len(pop), "sample": len(sample), "rounds": args.rounds,
        "eligible": eligible, "mismatches": mismatches, "clock": args.clock, "mismatch_counts": bad,
        "git": git_state(), "loadavg_start": start_load,
    }
    meta["loadavg_end"] = loadavg()
    meta["wall_s"] = pc() - started
    print()
    print(report(meta, ms, load))
    if args.json is not None:
        hand = {m.key: m for m in ms}
        data = {"meta": meta, "load": load,
                "rows": {m.key: {"label": m.label, "n": m.n, "inner_loops": m.inner,
                                 "us_per_record": stats(m.values),
                                 "ratio_to_hand": statistics.median(m.ratios(hand["hand"]))}
                         for m in ms}}
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
