"""A policy over a population: the columnar backend against NumPy masks, OpenFisca and
per-record loops, in one run; memory when streaming a file; the Slagelse target group on
real-shaped histories.

Sections (each figure with its ratio to the baselines measured in the same run):

A. **Peer workload, ready columns** (shared/bench-peers: 200,000 citizens, the same
   generator and seed; ``benchmarks/peer-workload`` is its policy): hand-written NumPy
   masks on coded columns, ``policy.decide_table`` on an Arrow table (with the ``area_code``
   and ``payment`` rules as value columns), OpenFisca-Core if it imports. All must agree on
   every citizen (eligible, area, payment).
B. **Peer workload, from Python dicts**: the hand-written per-record function (no checks),
   ``policy.decide`` per record, and ``policy.decide_table(list_of_dicts)`` (each dict
   checked as ``decide`` checks it, then columnar), with every decision column and with
   the three outputs the hand-written function computes (``columns=["eligible"]``), both
   checked against it on every citizen first; and two floors: the generated exact
   fact check alone, per dict (what any exact path from dicts must at least do), and the
   values copied out of the dicts into lists with no checks (what any reading of dicts
   into columns must at least do).
C. **From JSON lines**: the hand-written loop (``json.loads`` + the function) and
   ``udbudsregler decide --population FILE.jsonl --out FILE.parquet``'s path
   (``decide_file``).
D. **Memory when streaming**: peak RSS of ``udbudsregler decide --population
   FILE.parquet --out FILE.parquet`` in a fresh process, at 10^5, 10^6 and 10^7 rows.
E. **Slagelse on real-shaped histories** (benchmarks/decide.py's citizens: benefit spells
   with gaps, overlaps, open ends, offers; 10^6 rows): ``decide_table`` against per-record
   ``decide``, after checking they agree on a sample.
F. **Monthly invoicing**: ``policy.settle_table`` over referrals (the twelve of
   ``examples/data/referrals.json``, Slagelse, each invoiced for every month of 2020: the
   invoicing month a column per referral) against ``policy.settle`` per referral, after
   checking they agree on every referral (totals, line counts and refusals).

    .venv/bin/python benchmarks/population.py            # ~10 min on the 2-core machine
    .venv/bin/python benchmarks/population.py --quick    # sizes / 20, no 10^7 file

Needs the ``columnar`` extra; OpenFisca in the benchmark's own environment (``pip install
openfisca-core``), else its row says why it was skipped.
"""

from __future__ import annotations

import argparse
import calendar
import gc
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import chain
from operator import itemgetter
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import fact_schema  # noqa: E402
from udbudsregler.columnar.files import decide_file  # noqa: E402
from udbudsregler.diagnostics import EvaluationError, FactError  # noqa: E402

ON = date(2019, 2, 1)
MIN_REPEAT_S = 0.2
#: The clock of the timed loops: the process's CPU time (as benchmarks/_timing.py), since
#: other processes on the shared machine make wall time wait for a CPU; ``--clock wall``
#: for wall time (then threads that work in parallel count once).
CLOCK: Callable[[], float] = time.process_time


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def find_peers(given: str | None) -> Path:
    candidates = [Path(given)] if given else [ROOT.parent / "shared" / "bench-peers",
                                              ROOT.parent.parent / "shared" / "bench-peers",
                                              Path("/work/shared/bench-peers")]
    for candidate in candidates:
        if (candidate / "bench.py").is_file():
            return candidate
    raise SystemExit("the peer benchmark (shared/bench-peers/bench.py) was not found; "
                     "give --peers PATH")


# -- timing: interleaved rounds, medians --------------------------------------------------


@dataclass
class Measure:
    name: str
    n: int
    run: Callable[[], Any]
    values: list[float] = field(default_factory=list)

    def once(self) -> None:
        gc.collect()
        loops, start = 0, CLOCK()
        while True:
            self.run()
            loops += 1
            elapsed = CLOCK() - start
            if elapsed >= MIN_REPEAT_S:
                break
        self.values.append(self.n * loops / elapsed)

    @property
    def rate(self) -> float:
        return statistics.median(self.values)

    def cell(self) -> str:
        return f"{rate(self.rate)} [{rate(min(self.values))}–{rate(max(self.values))}]"


def per_round(m: dict[str, Any], base: dict[str, Any]) -> str:
    """A row's time over its baseline's, round by round: median [min–max]."""
    ratios = [b / v for b, v in zip(base["values"], m["values"], strict=True)]
    return (f"{statistics.median(ratios):.2f}× [{min(ratios):.2f}–{max(ratios):.2f}]")


def rounds(measures: list[Measure], count: int) -> None:
    for k in range(count):
        for m in (measures if k % 2 == 0 else measures[::-1]):
            m.once()
        log(f"  round {k + 1}/{count}")


def rate(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.2f} M/s"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k/s"
    return f"{x:.0f}/s"


# -- A/B/C: the peer workload -------------------------------------------------------------


def peer_facts(c: dict[str, Any]) -> dict[str, Any]:
    """A peer citizen as the policy's facts: years as an exact decimal, conditions as three
    true/false facts (as the NumPy and OpenFisca baselines' columns have them)."""
    conditions = c["conditions"]
    return {"age": c["age"], "benefit": c["benefit"], "visitation": c["visitation"],
            "years_on_benefit": Decimal(repr(c["years_on_benefit"])),
            "subject_to_225_rule": c["subject_to_225_rule"], "offers": c["offers"],
            "has_hjerneskade": "hjerneskade" in conditions,
            "has_kognitiv": "kognitiv" in conditions, "has_psykisk": "psykisk" in conditions,
            "weeks": c["weeks"],
            "self_supporting_months_after_end": c["self_supporting_months_after_end"]}


_QUALIFYING = frozenset(("virksomhedspraktik", "loentilskud"))
_AREA_BENEFITS = frozenset(("sygedagpenge", "jobafklaring"))


def decide_facts_by_hand(c: dict[str, Any]) -> dict[str, Any]:
    """The peer's hand-written function, reading the policy's facts (conditions as three
    true/false facts)."""
    eligible = (c["age"] > 30 and c["benefit"] == "kontanthjaelp"
                and c["visitation"] == "aktivitetsparat" and c["years_on_benefit"] < 5
                and c["subject_to_225_rule"]
                and any(o["kind"] in _QUALIFYING and o["weekly_hours"] >= 15
                        and o["months_ago"] <= 24 for o in c["offers"]))
    if c["benefit"] in _AREA_BENEFITS:
        area = 3 if c["has_hjerneskade"] or c["has_kognitiv"] else 4 if c["has_psykisk"] else 2
    else:
        area = 1
    payment = c["weeks"] * 1850 + (25000 if c["self_supporting_months_after_end"] >= 4 else 0)
    return {"eligible": eligible, "area": area, "payment": payment}


def copy_values(facts: list[dict[str, Any]], names: list[str]) -> list[list[Any]]:
    """Every value the policy reads, copied out of the dicts into one list a fact (and
    one a field of the offers), a block of rows at a time, with no checks: the least any
    reading of dicts into columns does."""
    columns: list[list[Any]] = [[] for _ in names]
    items: list[list[Any]] = [[], [], []]
    getters = [(c.extend, itemgetter(name)) for c, name in zip(columns, names, strict=True)]
    fields = [(c.extend, itemgetter(name)) for c, name in
              zip(items, ("kind", "weekly_hours", "months_ago"), strict=True)]
    offers = itemgetter("offers")
    for start in range(0, len(facts), 512):
        block = facts[start:start + 512]
        for extend, get in getters:
            extend(map(get, block))
        records = list(chain.from_iterable(map(offers, block)))
        for extend, get in fields:
            extend(map(get, records))
    return columns + items


def ready_table(policy: Any, facts: list[dict[str, Any]]) -> pa.Table:
    """Ready columns: choices dictionary-encoded, the years as decimal128(3, 1), the offers
    as a list of structs (their kind dictionary-encoded too)."""
    table = pa.Table.from_pylist(facts, schema=fact_schema(policy.graph))
    for name in ("benefit", "visitation"):
        table = table.set_column(table.column_names.index(name), name,
                                 pc.dictionary_encode(table.column(name)))
    table = table.set_column(table.column_names.index("years_on_benefit"), "years_on_benefit",
                             table.column("years_on_benefit").cast(pa.decimal128(3, 1)))
    offers = table.column("offers").combine_chunks()
    items = offers.flatten()
    kinds = pc.dictionary_encode(pc.struct_field(items, "kind"))
    struct = pa.StructArray.from_arrays(
        [kinds, pc.struct_field(items, "weekly_hours"), pc.struct_field(items, "months_ago")],
        names=["kind", "weekly_hours", "months_ago"])
    column = pa.ListArray.from_arrays(offers.offsets, struct)
    return table.set_column(table.column_names.index("offers"), "offers", column)


def columnar_outputs(result: Any) -> tuple[Any, Any, Any]:
    d = result.decisions
    return (np.asarray(d.column("eligible").to_numpy(zero_copy_only=False)),
            np.asarray(d.column("area_code").to_numpy(zero_copy_only=False)),
            np.asarray(d.column("payment").to_numpy(zero_copy_only=False)))


def peer_section(bench: ModuleType, n: int, repeats: int, out: dict[str, Any],
                 workdir: Path) -> None:
    log(f"A/B/C: peer workload, {n:,} citizens")
    policy = load_policy(ROOT / "benchmarks" / "peer-workload")
    pop = bench.generate_population(n, bench.SEED)
    facts = [peer_facts(c) for c in pop]
    ns = bench.compile_python_policy()
    reference = [ns["decide"](c) for c in pop]
    want = (np.array([r["eligible"] for r in reference]), np.array([r["area"] for r in reference]),
            np.array([r["payment"] for r in reference]))

    numpy_engine = bench.NumpyEngine()
    numpy_engine.setup()
    numpy_columns = bench.numpy_columns(pop)
    table = ready_table(policy, facts)

    def run_columnar() -> Any:
        return policy.decide_table(table, ON, values=["area_code", "payment"])

    def run_projected() -> Any:  # the three outputs the baselines compute, no more
        return policy.decide_table(table, ON, values=["area_code", "payment"],
                                   columns=["eligible"])

    agree: dict[str, int] = {}
    got = numpy_engine.batch_prepared(numpy_columns)
    agree["numpy"] = int(sum(int((np.asarray(g) != w).sum()) for g, w in zip(got, want,
                                                                             strict=True)))
    result = run_columnar()
    assert result.columnar == n, "every peer citizen is decided columnar"
    got = columnar_outputs(result)
    agree["columnar"] = int(sum(int((np.asarray(g).astype(np.int64) != w).sum())
                                for g, w in zip(got, want, strict=True)))
    projected = run_projected()
    assert projected.decisions.column_names == ["row", "eligible", "area_code", "payment"]
    got = columnar_outputs(projected)
    agree["columnar_projected"] = int(sum(int((np.asarray(g).astype(np.int64) != w).sum())
                                          for g, w in zip(got, want, strict=True)))
    measures = [Measure("numpy", n, lambda: numpy_engine.batch_prepared(numpy_columns)),
                Measure("columnar", n, run_columnar),
                Measure("columnar_projected", n, run_projected)]
    openfisca_note = None
    try:
        engine = bench.OpenFiscaEngine()
        engine.setup()
        engine.compile()
        of_columns = engine.prepare(pop)
        got = engine.batch_prepared(of_columns)
        agree["openfisca"] = int(sum(int((np.asarray(g) != w).sum())
                                     for g, w in zip(got, want, strict=True)))
        measures.append(Measure("openfisca", n, lambda: engine.batch_prepared(of_columns)))
    except ImportError as error:
        openfisca_note = f"OpenFisca-Core not installed in this environment ({error})"

    # B: from dicts
    decide_by_hand = ns["decide"]
    check = policy.facts.fast  # the generated exact check that `decide` runs first
    assert all(map(check, facts)), "every peer citizen's facts are canonical"
    names = list(policy.graph.facts)
    for key, kept in (("columnar_dicts", None), ("columnar_dicts_projected", ["eligible"])):
        got = columnar_outputs(policy.decide_table(facts, ON, values=["area_code", "payment"],
                                                   columns=kept))
        agree[key] = int(sum(int((np.asarray(g).astype(np.int64) != w).sum())
                             for g, w in zip(got, want, strict=True)))
    log(f"  mismatches: {agree}")
    measures += [
        Measure("hand_loop", n, lambda: [decide_by_hand(c) for c in pop]),
        Measure("decide_loop", n, lambda: [policy.decide(f, ON) for f in facts]),
        Measure("columnar_dicts", n, lambda: policy.decide_table(facts, ON,
                                                                 values=["area_code", "payment"])),
        Measure("columnar_dicts_projected", n, lambda: policy.decide_table(
            facts, ON, values=["area_code", "payment"], columns=["eligible"])),
        Measure("check_loop", n, lambda: [check(f) for f in facts]),
        Measure("copy_values", n, lambda: copy_values(facts, names)),
    ]
    # C: JSON lines
    jsonl = workdir / "peer.jsonl"
    with jsonl.open("w", encoding="utf-8") as f:
        for c in facts:
            f.write(json.dumps({**c, "years_on_benefit": float(c["years_on_benefit"])}) + "\n")
    lines = jsonl.read_text(encoding="utf-8").splitlines()

    def hand_jsonl() -> None:
        for line in lines:
            decide_facts_by_hand(json.loads(line))

    target = workdir / "peer-out.parquet"
    measures += [Measure("hand_jsonl", n, hand_jsonl),
                 Measure("columnar_jsonl", n, lambda: decide_file(policy, jsonl, ON, target))]
    gc.collect()
    gc.freeze()  # the population is long-lived: keep it out of the collector's scans
    rounds(measures, repeats)
    gc.unfreeze()
    out["peer"] = {"n": n, "mismatches": agree, "openfisca_note": openfisca_note,
                   "rates": {m.name: {"median": m.rate, "values": m.values} for m in measures}}


# -- D: memory when streaming --------------------------------------------------------------


def write_peer_parquet(path: Path, n: int, seed: int) -> None:
    """``n`` peer-shaped citizens straight as Arrow batches (no dicts), in row groups."""
    rng = np.random.default_rng(seed)
    writer = None
    policy = load_policy(ROOT / "benchmarks" / "peer-workload")
    schema = fact_schema(policy.graph)
    step = 500_000
    for start in range(0, n, step):
        k = min(step, n - start)
        counts = rng.integers(0, 6, k)
        offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
        m = int(offsets[-1])
        offers = pa.StructArray.from_arrays(
            [pa.array(np.array(["virksomhedspraktik", "loentilskud", "mentor"])[
                rng.integers(0, 3, m)]), pa.array(rng.integers(5, 38, m)),
             pa.array(rng.integers(0, 49, m))],
            names=["kind", "weekly_hours", "months_ago"])
        tenths = np.zeros((k, 2), dtype=np.int64)  # 128-bit values: 0.0 to 10.0 years
        tenths[:, 0] = rng.integers(0, 101, k)
        years = pa.Array.from_buffers(pa.decimal128(3, 1), k,
                                      [None, pa.py_buffer(tenths.tobytes())])
        batch = pa.table({
            "age": pa.array(rng.integers(18, 68, k)),
            "benefit": pa.array(np.array(["kontanthjaelp", "sygedagpenge", "jobafklaring",
                                          "ressourceforloeb"])[rng.integers(0, 4, k)]),
            "visitation": pa.array(np.array(["aktivitetsparat", "jobparat"])[
                rng.integers(0, 2, k)]),
            "years_on_benefit": years.cast(pa.decimal128(38, 18)),
            "subject_to_225_rule": pa.array(rng.random(k) < 0.7),
            "offers": pa.ListArray.from_arrays(pa.array(offsets), offers),
            "has_hjerneskade": pa.array(rng.random(k) < 0.15),
            "has_kognitiv": pa.array(rng.random(k) < 0.15),
            "has_psykisk": pa.array(rng.random(k) < 0.15),
            "weeks": pa.array(rng.integers(0, 53, k)),
            "self_supporting_months_after_end": pa.array(rng.integers(0, 13, k)),
        }).cast(schema)
        if writer is None:
            writer = pq.ParquetWriter(path, batch.schema)
        writer.write_table(batch, row_group_size=131_072)
    assert writer is not None
    writer.close()


# The child's own high-water mark: VmHWM of /proc/self/status (getrusage's ru_maxrss
# keeps the parent's across fork and exec on Linux).
_CHILD = """
import sys, time
from udbudsregler.cli.main import main
start = time.perf_counter()
code = main(sys.argv[1:])
seconds = time.perf_counter() - start
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(seconds, peak, code, file=sys.stderr)
"""


def memory_section(sizes: list[int], out: dict[str, Any], workdir: Path) -> None:
    log("D: memory when streaming")
    rows = []
    for n in sizes:
        source = workdir / f"peer-{n}.parquet"
        log(f"  writing {n:,} rows")
        write_peer_parquet(source, n, seed=n)
        target = workdir / f"decisions-{n}.parquet"
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, "decide", str(ROOT / "benchmarks" / "peer-workload"),
             "--population", str(source), "--on", ON.isoformat(), "--out", str(target)],
            capture_output=True, text=True, check=False, cwd=ROOT)
        seconds, rss_kib, code = done.stderr.strip().splitlines()[-1].split()
        decided = pq.ParquetFile(target).metadata.num_rows
        rows.append({"n": n, "seconds": float(seconds), "peak_rss_mib": int(rss_kib) / 1024,
                     "decided": decided, "exit": int(code),
                     "file_mib": source.stat().st_size / 2**20})
        log(f"  {n:,}: {rows[-1]}")
        source.unlink()
        target.unlink()
    out["memory"] = rows


# -- E: Slagelse on real-shaped histories --------------------------------------------------


def slagelse_section(n: int, repeats: int, out: dict[str, Any]) -> None:
    log(f"E: Slagelse on real-shaped histories, {n:,} citizens")
    decide_bench = load_module("decide_bench", ROOT / "benchmarks" / "decide.py")
    policy = load_policy(ROOT / "policies" / "slagelse-2019")
    unique = min(n, 100_000)
    pop = decide_bench.make_population(unique, decide_bench.DEFAULT_SEED, ON)
    base = pa.Table.from_pylist(pop, schema=fact_schema(policy.graph))
    table = pa.concat_tables([base] * (n // unique)).combine_chunks()
    # agreement on a sample, through decide_table itself
    sample = pop[:20_000]
    result = policy.decide_table(base.slice(0, len(sample)), ON)
    got = result.decisions.column("eligible").to_pylist()
    mismatches = sum(1 for g, c in zip(got, sample, strict=True)
                     if g != policy.decide(c, ON).eligible)
    log(f"  mismatches on {len(sample):,}: {mismatches}; per record: {result.per_record}")
    small = pop[:20_000]
    assert policy.decide_table(small, ON).columnar == len(small), "dicts read as columns"
    # each citizen on a date of its own: 52 weekly dates from ON (a year of re-checks)
    weeks = [date.fromordinal(ON.toordinal() + 7 * (i % 52)) for i in range(unique)]
    weekly = table.append_column("decided_on", pa.array(weeks * (n // unique), pa.date32()))
    # and on 365 dates, a day each (the referral dates of a year)
    daily = [date.fromordinal(ON.toordinal() + i % 365) for i in range(unique)]
    every_day = table.append_column("decided_on",
                                    pa.array(daily * (n // unique), pa.date32()))
    for dated, days in ((weekly, weeks), (every_day, daily)):
        got = policy.decide_table(dated.slice(0, 2_000), "decided_on").decisions.column(
            "eligible").to_pylist()
        mismatches += sum(1 for g, c, d in zip(got, sample, days, strict=False)
                          if g != policy.decide(c, d).eligible)
    measures = [Measure("columnar", table.num_rows, lambda: policy.decide_table(table, ON)),
                Measure("columnar_weekly", weekly.num_rows,
                        lambda: policy.decide_table(weekly, "decided_on")),
                Measure("columnar_daily", every_day.num_rows,
                        lambda: policy.decide_table(every_day, "decided_on")),
                Measure("columnar_dicts", len(small), lambda: policy.decide_table(small, ON)),
                Measure("decide_loop", len(small), lambda: [policy.decide(c, ON) for c in small]),
                Measure("hand_loop", len(small),
                        lambda: [decide_bench.decide_by_hand(c, ON) for c in small])]
    gc.collect()
    gc.freeze()
    rounds(measures, repeats)
    gc.unfreeze()
    out["slagelse"] = {"n": table.num_rows, "mismatches": mismatches,
                       "eligible": int(pc.sum(policy.decide_table(base, ON).decisions.column(
                           "eligible").cast(pa.int64())).as_py() or 0) * (n // unique),
                       "rates": {m.name: {"median": m.rate, "values": m.values}
                                 for m in measures}}


# -- F: monthly invoicing ------------------------------------------------------------------


def settlement_section(n: int, repeats: int, out: dict[str, Any]) -> None:
    log(f"F: monthly invoicing, {n:,} referrals")
    policy = load_policy(ROOT / "policies" / "slagelse-2019")
    items = json.loads((ROOT / "examples" / "data" / "referrals.json").read_text(
        encoding="utf-8"))
    referrals: list[dict[str, Any]] = []
    outcomes: list[dict[str, Any]] = []
    per_referral: list[tuple[dict[str, Any], list[dict[str, Any]], date, date]] = []
    for i in range(n):
        item = items[i % len(items)]
        month = 1 + (i // len(items)) % 12
        since = date(2020, month, 1)
        until = date(2020, month, calendar.monthrange(2020, month)[1])
        ident = f"R-{i}"
        referral = {"id": ident, "start": date.fromisoformat(item["start"]),
                    "package": item["package"], "area": item["area"],
                    "supplier": item["supplier"],
                    "stop": date.fromisoformat(item["stop"]) if item.get("stop") else None}
        outs = [{"kind": o["kind"], "from": date.fromisoformat(o["from"]),
                 "to": date.fromisoformat(o["to"]) if o["to"] else None}
                for o in item["outcomes"]]
        referrals.append({**referral, "since": since, "until": until})
        outcomes += [{"referral": ident, **o} for o in outs]
        per_referral.append(({k: v for k, v in referral.items() if v is not None}, outs,
                             since, until))
    table = pa.Table.from_pylist(referrals, schema=pa.schema([
        ("id", pa.string()), ("start", pa.date32()), ("package", pa.string()),
        ("area", pa.string()), ("supplier", pa.string()), ("stop", pa.date32()),
        ("since", pa.date32()), ("until", pa.date32())]))
    outcome_table = pa.Table.from_pylist(outcomes, schema=pa.schema([
        ("referral", pa.string()), ("kind", pa.string()), ("from", pa.date32()),
        ("to", pa.date32())]))

    def run_table() -> Any:
        return policy.settle_table(table, outcome_table, until="until", since="since")

    def run_loop() -> list[Any]:
        settled: list[Any] = []
        for referral, outs, since, until in per_referral:
            try:
                settled.append(policy.settle(referral, outs, since=since, until=until))
            except (FactError, EvaluationError) as error:  # refused, as the table refuses
                settled.append(error)
        return settled

    # agreement: every total, line count and refusal
    result = run_table()
    totals = {t["row"]: t for t in result.totals.to_pylist()}
    refused = {e["row"] for e in result.errors.to_pylist()}
    lines = Counter(line["row"] for line in result.lines.to_pylist())
    mismatches = 0
    for i, got in enumerate(run_loop()):
        if isinstance(got, Exception):
            mismatches += i not in refused or i in totals
        else:
            mismatches += (i not in totals or totals[i]["total"] != got.total
                           or lines[i] != len(got.lines))
    log(f"  mismatches: {mismatches}; refused: {len(refused):,}; "
        f"lines: {result.lines.num_rows:,}")
    measures = [Measure("settle_loop", n, run_loop), Measure("settle_table", n, run_table)]
    gc.collect()
    gc.freeze()
    rounds(measures, repeats)
    gc.unfreeze()
    out["settlement"] = {"n": n, "mismatches": mismatches, "refused": len(refused),
                         "lines": result.lines.num_rows,
                         "rates": {m.name: {"median": m.rate, "values": m.values}
                                   for m in measures}}


# -- the report ---------------------------------------------------------------------------


def report(out: dict[str, Any]) -> str:
    lines = [f"Python {platform.python_version()}, {os.cpu_count()} cores, "
             f"numpy {np.__version__}, pyarrow {pa.__version__}; run took "
             f"{out['wall_s']:.0f} s; loops timed by {out['clock']} time; cells are median "
             f"[min–max] over {out['repeats']} "
             "interleaved rounds; load average at the start: "
             f"{out['loadavg']}.", ""]
    peer = out.get("peer")
    if peer:
        r = peer["rates"]
        lines += [f"**A. Peer workload, ready columns** ({peer['n']:,} citizens; eligible, area "
                  f"and payment; mismatches against the hand-written function: "
                  f"{peer['mismatches']})", "",
                  "| path | citizens/s | time vs. NumPy masks, per round |", "|---|---:|---:|"]
        for key, label in (("numpy", "hand-written NumPy masks (coded columns)"),
                           ("columnar", "`policy.decide_table`, every decision column (Arrow "
                            "table, checks included)"),
                           ("columnar_projected", "`policy.decide_table(columns=[\"eligible\"])`"
                            ": the three outputs only (checks included)"),
                           ("openfisca", "OpenFisca-Core (vector formulas)")):
            if key in r:
                m = r[key]
                lines.append(f"| {label} | {rate(m['median'])} "
                             f"[{rate(min(m['values']))}–{rate(max(m['values']))}] | "
                             f"{per_round(m, r['numpy'])} |")
        if peer["openfisca_note"]:
            lines.append(f"| OpenFisca-Core | not run: {peer['openfisca_note']} | |")
        lines += ["", "**B/C. Peer workload, from Python dicts and JSON lines**", "",
                  "| path | citizens/s | time vs. the hand-written per-record loop, per round |",
                  "|---|---:|---:|"]
        for key, label, base in (
                ("hand_loop", "hand-written function per dict (no checks)", "hand_loop"),
                ("decide_loop", "`policy.decide` per dict", "hand_loop"),
                ("columnar_dicts", "`policy.decide_table(list of dicts)`, every decision "
                 "column", "hand_loop"),
                ("columnar_dicts_projected", "`policy.decide_table(list of dicts, "
                 "columns=[\"eligible\"])`: the three outputs only", "hand_loop"),
                ("check_loop", "the floor of an exact path: the generated fact check that "
                 "`decide` runs first, per dict, no decision", "hand_loop"),
                ("copy_values", "the floor of reading dicts into columns: every value "
                 "copied into lists, no checks, no decision", "hand_loop"),
                ("hand_jsonl", "`json.loads` + hand-written function per line", "hand_jsonl"),
                ("columnar_jsonl", "`decide_file` JSON lines → Parquet", "hand_jsonl")):
            m = r[key]
            lines.append(f"| {label} | {rate(m['median'])} | {per_round(m, r[base])} |")
    memory = out.get("memory")
    if memory:
        lines += ["", "**D. Memory when streaming** (`udbudsregler decide --population "
                  "FILE.parquet --out FILE.parquet`, a fresh process each, batches of 65,536)",
                  "", "| rows | file | seconds | rows/s | peak RSS |", "|---:|---:|---:|---:|---:|"]
        for row in memory:
            lines.append(f"| {row['n']:,} | {row['file_mib']:.0f} MiB | {row['seconds']:.1f} | "
                         f"{rate(row['n'] / row['seconds'])} | {row['peak_rss_mib']:.0f} MiB |")
    slagelse = out.get("slagelse")
    if slagelse:
        r = slagelse["rates"]
        per = r["decide_loop"]["median"]
        lines += ["", f"**E. Slagelse target group on real-shaped histories** "
                  f"({slagelse['n']:,} citizens; benefit spells with gaps and overlaps, "
                  f"offers; mismatches on a 20,000 sample and 2 × 2,000 on their own dates: "
                  f"{slagelse['mismatches']})", "",
                  "| path | decisions/s | vs. per-record `decide` |", "|---|---:|---:|"]
        for key, label in (("columnar", "`policy.decide_table` (ready Arrow table)"),
                           ("columnar_weekly", "`policy.decide_table(table, on=\"decided_on\")`"
                            " (each row on its own date: 52 weekly dates)"),
                           ("columnar_daily", "the same, 365 daily dates"),
                           ("columnar_dicts", "`policy.decide_table` (list of dicts, 20,000)"),
                           ("decide_loop", "`policy.decide` per citizen"),
                           ("hand_loop", "hand-written function per citizen (no checks)")):
            m = r[key]
            lines.append(f"| {label} | {rate(m['median'])} | {m['median'] / per:.1f}× |")
    settlement = out.get("settlement")
    if settlement:
        r = settlement["rates"]
        lines += ["", f"**F. Monthly invoicing** ({settlement['n']:,} referrals of "
                  "`examples/data/referrals.json`, Slagelse, each invoiced for one month of "
                  f"2020; {settlement['lines']:,} lines, {settlement['refused']:,} referrals "
                  f"refused; mismatches: {settlement['mismatches']})", "",
                  "| path | referrals/s | time vs. `settle` per referral, per round |",
                  "|---|---:|---:|"]
        for key, label in (("settle_loop", "`policy.settle` per referral (dicts)"),
                           ("settle_table", "`policy.settle_table` (Arrow tables in, "
                            "Arrow tables out)")):
            m = r[key]
            lines.append(f"| {label} | {rate(m['median'])} | "
                         f"{per_round(m, r['settle_loop'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="sizes / 20, no 10^7 file")
    ap.add_argument("--peers", help="the folder of the peer benchmark (bench.py)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--only", default="peer,memory,slagelse,settlement")
    ap.add_argument("--json", help="write the raw numbers here")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                    help="time the loops by the process's CPU time (default) or wall time")
    args = ap.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    started = time.perf_counter()
    out: dict[str, Any] = {"repeats": args.repeats, "clock": args.clock,
                           "loadavg": " ".join(f"{x:.1f}" for x in os.getloadavg())}
    only = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        if "peer" in only:
            bench = load_module("peer_bench", find_peers(args.peers) / "bench.py")
            peer_section(bench, 10_000 if args.quick else 200_000, args.repeats, out, workdir)
        if "memory" in only:
            sizes = [10**4, 10**5] if args.quick else [10**5, 10**6, 10**7]
            memory_section(sizes, out, workdir)
        if "slagelse" in only:
            slagelse_section(50_000 if args.quick else 1_000_000, args.repeats, out)
        if "settlement" in only:
            settlement_section(2_400 if args.quick else 24_000, args.repeats, out)
    out["wall_s"] = time.perf_counter() - started
    text = report(out)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
