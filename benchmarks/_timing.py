"""The measuring method shared by the benchmarks (the method of bench-peers).

- verification before timing (in each script);
- each repeat loops over its items until it lasts >= ``MIN_REPEAT_S`` (timeit's
  autorange; the loop count is reported);
- ``gc.collect()`` before each repeat, GC enabled while timing, the population
  ``gc.freeze()``-d by the caller;
- **interleaved rounds**: each round runs one repeat of every measurement, the order
  alternating between rounds, so the drift of a shared machine hits every row alike;
- every cell is the median [min-max] over the rounds; a ratio is taken per round (a row's
  time over the baseline's time in the same round) and reported as the median [min-max] of
  those.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIN_REPEAT_S = 0.2
pc = time.perf_counter
#: The clock of the timed loops: ``time.process_time`` (CPU time of this process: time
#: the process waits for a CPU that other processes hold is not counted; see
#: :func:`use_clock`) or ``time.perf_counter`` (wall time, as bench-peers).
CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


def use_clock(name: str) -> None:
    global clock
    clock = CLOCKS[name]
ROOT = Path(__file__).resolve().parent.parent


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
    values: list[float] = field(default_factory=list)  # µs per item, one per round

    def calibrate(self) -> None:
        """timeit-style autorange: enough passes that one repeat lasts >= MIN_REPEAT_S."""
        t0 = clock()
        self.body()  # warm-up
        est = clock() - t0
        if est < MIN_REPEAT_S:  # a short first pass may be mostly warm-up: measure again
            t0 = clock()
            self.body()
            est = clock() - t0
        self.inner = max(1, math.ceil(MIN_REPEAT_S / est)) if est > 0 else 1

    def once(self) -> None:
        body = self.body
        gc.collect()
        t0 = clock()
        for _ in range(self.inner):
            body()
        self.values.append((clock() - t0) / (self.n * self.inner) * 1e6)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def ratios(self, base: Measure) -> list[float]:
        """This row's time over ``base``'s, round by round."""
        return [a / b for a, b in zip(self.values, base.values, strict=True)]


def run_rounds(ms: Sequence[Measure], rounds: int, log: Callable[[str], None]) -> None:
    for m in ms:
        m.calibrate()
    for r in range(rounds):
        order = list(ms) if r % 2 == 0 else list(ms)[::-1]
        for m in order:
            m.once()
        log(f"  round {r + 1}/{rounds}: " + ", ".join(
            f"{m.key} {m.values[-1]:.2f}" for m in ms) + " µs")


def fmt(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def cell(values: Sequence[float]) -> str:
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}–{fmt(max(values))}]"


def ratio_cell(values: Sequence[float]) -> str:
    return (f"{statistics.median(values):.2f}× [{min(values):.2f}–{max(values):.2f}]")


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
