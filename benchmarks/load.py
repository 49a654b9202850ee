#!/usr/bin/env python3
"""Load benchmark: compiling a policy in a process, and starting a process that decides.

In this process, for each seed policy (and the peer policy):

- **first**: the first ``load_policy(path, cache=False)`` (it builds the expression
  parser, the pydantic models of the documents, ...);
- **warm**: further ``load_policy(path, cache=False)`` calls: every stage runs (YAML,
  validation, parsing, checking, lowering, code generation, ``Policy()``), with what a
  process keeps between loads (the parser, parsed expressions by their text, code objects
  by their source); the in-memory cache of compiled policies is not used;
- the time of each stage of a warm load.

In fresh processes (``python -c``), timed inside the child from before
``import udbudsregler`` to after the first ``load_policy``:

- **import** alone;
- **import + first load, disk cache warm**: the compiled policy read from the disk cache
  (a folder of this run's own, filled by an earlier child);
- **import + first load, disk cache cold**: an empty cache folder: everything compiled.

Runs are interleaved in rounds (the order alternating) and reported as median [min-max],
both wall time and the child's CPU time (the machine is shared: the CPU time leaves out
the time other processes held the CPU).

    .venv/bin/python benchmarks/load.py             # ~1 min
    .venv/bin/python benchmarks/load.py --quick
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from _timing import ROOT, cell, git_state, loadavg, machine, stats

import udbudsregler as ur
from udbudsregler.policy import Policy
from udbudsregler.stages import STAGES, CompileState

POLICIES = {"slagelse-2019": ROOT / "policies" / "slagelse-2019",
            "koebenhavn-2024": ROOT / "policies" / "koebenhavn-2024",
            "peer-policy": ROOT / "benchmarks" / "peer-policy"}
FRESH = ROOT / "policies" / "slagelse-2019"
pt = time.process_time

#: The child: prints wall and CPU milliseconds of the import and of the first load.
CHILD = """
import time
w0, c0 = time.perf_counter(), time.process_time()
import udbudsregler as ur
w1, c1 = time.perf_counter(), time.process_time()
if {load}:
    ur.load_policy({path!r})
w2, c2 = time.perf_counter(), time.process_time()
print((w1 - w0) * 1e3, (c1 - c0) * 1e3, (w2 - w0) * 1e3, (c2 - c0) * 1e3)
"""


def child(load: bool, cache_dir: str) -> tuple[float, float]:
    """(wall ms, CPU ms) of a fresh process: the import, and the first load if ``load``."""
    env = {**os.environ, "UDBUDSREGLER_CACHE_DIR": cache_dir}
    env.pop("UDBUDSREGLER_CACHE", None)
    out = subprocess.run([sys.executable, "-c", CHILD.format(load=load, path=str(FRESH))],
                         env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    numbers = [float(x) for x in out.stdout.split()]
    return (numbers[2], numbers[3]) if load else (numbers[0], numbers[1])


def fresh_processes(rounds: int) -> dict[str, dict[str, list[float]]]:
    runs: dict[str, dict[str, list[float]]] = {
        k: {"wall": [], "cpu": []} for k in ("import", "warm_cache", "cold_cache")}
    with tempfile.TemporaryDirectory() as warm:
        child(True, warm)  # fills the disk cache
        for r in range(rounds):
            kinds = ["import", "warm_cache", "cold_cache"]
            for kind in (kinds if r % 2 == 0 else kinds[::-1]):
                if kind == "cold_cache":
                    with tempfile.TemporaryDirectory() as empty:
                        wall, cpu = child(True, empty)
                else:
                    wall, cpu = child(kind == "warm_cache", warm)
                runs[kind]["wall"].append(wall)
                runs[kind]["cpu"].append(cpu)
    return runs


def in_process(repeats: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, path in POLICIES.items():
        t0 = time.perf_counter()
        ur.load_policy(path, cache=False)
        first = (time.perf_counter() - t0) * 1e3
        out[name] = {"first_wall_ms": first, "warm_wall_ms": [], "warm_cpu_ms": [],
                     "stages_cpu_ms": {s.name: [] for s in STAGES} | {"Policy()": []}}
    for r in range(repeats):
        names = list(POLICIES) if r % 2 == 0 else list(POLICIES)[::-1]
        for name in names:
            path = POLICIES[name]
            gc.collect()
            w0, c0 = time.perf_counter(), pt()
            ur.load_policy(path, cache=False)
            out[name]["warm_wall_ms"].append((time.perf_counter() - w0) * 1e3)
            out[name]["warm_cpu_ms"].append((pt() - c0) * 1e3)
            gc.collect()
            state = CompileState(path)
            stages = out[name]["stages_cpu_ms"]
            for stage in STAGES:
                c0 = pt()
                if not stage.run(state):
                    raise SystemExit(f"{name}: stage {stage.name} failed")
                stages[stage.name].append((pt() - c0) * 1e3)
            assert state.lowered is not None and state.code is not None
            assert state.source is not None
            c0 = pt()
            Policy(state.lowered, state.code, state.source, tuple(state.bag.warnings()),
                   checked=state.checked)
            stages["Policy()"].append((pt() - c0) * 1e3)
    return out


def report(meta: dict[str, Any], fresh: dict[str, dict[str, list[float]]],
           warm: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"Python {platform.python_version()}, {meta['machine']}; {meta['date']}; "
        f"{meta['repeats']} warm loads per policy and {meta['rounds']} rounds of fresh "
        f"processes, interleaved; load average {meta['loadavg_start']} at the start, "
        f"{meta['loadavg_end']} at the end; git {meta['git']}.",
        "",
        "**In a process** (`load_policy(path, cache=False)`; ms):",
        "",
        "| policy | first in the process (wall) | warm (wall) | warm (CPU) |",
        "|---|---:|---:|---:|",
    ]
    for name, w in warm.items():
        lines.append(f"| {name} | {w['first_wall_ms']:,.0f} | {cell(w['warm_wall_ms'])} | "
                     f"{cell(w['warm_cpu_ms'])} |")
    names = list(warm)
    lines += ["", "Each stage of a warm load (CPU ms, median):", "",
              "| stage | " + " | ".join(names) + " |",
              "|---|" + "---:|" * len(names)]
    for stage in next(iter(warm.values()))["stages_cpu_ms"]:
        cells = [f"{stats(warm[n]['stages_cpu_ms'][stage])['median']:.1f}" for n in names]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    lines += ["", "**A fresh process** (from before `import udbudsregler` to after the first "
              "`load_policy(\"policies/slagelse-2019\")`, timed in the child; ms):", "",
              "| | wall | CPU |", "|---|---:|---:|"]
    labels = {"import": "`import udbudsregler` alone",
              "warm_cache": "import + first load, disk cache warm",
              "cold_cache": "import + first load, disk cache cold (compiles)"}
    for kind, label in labels.items():
        lines.append(f"| {label} | {cell(fresh[kind]['wall'])} | {cell(fresh[kind]['cpu'])} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=15, help="warm loads per policy")
    parser.add_argument("--rounds", type=int, default=7, help="rounds of fresh processes")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path, help="write the raw numbers to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.rounds = 5, 3
    start = loadavg()
    print("in this process ...", file=sys.stderr, flush=True)
    warm = in_process(args.repeats)
    print("fresh processes ...", file=sys.stderr, flush=True)
    fresh = fresh_processes(args.rounds)
    meta = {"python": platform.python_version(), "machine": machine(),
            "date": date.today().isoformat(), "repeats": args.repeats, "rounds": args.rounds,
            "loadavg_start": start, "loadavg_end": loadavg(), "git": git_state()}
    print(report(meta, fresh, warm))
    if args.json is not None:
        args.json.write_text(json.dumps({"meta": meta, "fresh": fresh, "in_process": warm},
                                        indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
