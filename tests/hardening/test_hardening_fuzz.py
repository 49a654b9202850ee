"""Issue 12: a fuzz suite over mutations of the seed policies' YAML.

Hypothesis mutates the files of `policies/slagelse-2019`, `policies/koebenhavn-2024`,
`policies/rusta-och-matcha-2` and `examples/andre-aktoerer`
(a value replaced by a hostile one, a name misspelt, a line dropped, doubled, moved,
indented or cut, text inserted, `include:`/`extends:` lines added) and runs each mutant
through the command line (`check --json`) and, when it checks, through decisions and
settlements of the seed's own test cases. The only outcomes allowed:

- `check` exits 0 or 1, never 70, and every diagnostic has a file, line and column;
- a policy that checks decides and settles, or raises `FactError` / `EvaluationError`;
- nothing takes more than 10 s, nor more than 1 GB of memory.

In CI the suite runs a fixed set of examples (about a minute). For a longer, random run:

    UDBUDSREGLER_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest \
        tests/hardening/test_hardening_fuzz.py

(see docs/errors.md, "Limits").
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import resource
import signal
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import udbudsregler as ur
from udbudsregler.cli.main import EXIT_FAILED, EXIT_OK, main
from udbudsregler.diagnostics import CODES
from udbudsregler.testing.cases import Case, load_cases, run_cases

ROOT = Path(__file__).resolve().parents[2]
SEEDS = (ROOT / "policies" / "slagelse-2019", ROOT / "policies" / "koebenhavn-2024",
         # the general forms: payments by the citizen, tiers, outcomes from facts, the
         # nearest supplier (a Swedish policy); milestones and a price by age
         ROOT / "policies" / "rusta-och-matcha-2", ROOT / "examples" / "andre-aktoerer")
EXAMPLES = int(os.environ.get("UDBUDSREGLER_FUZZ_EXAMPLES", "0")) or 250
#: Random when a longer run is asked for; the same examples on every CI run otherwise.
RANDOM = "UDBUDSREGLER_FUZZ_EXAMPLES" in os.environ
SECONDS = 10
MEMORY = 1 << 30  # bytes


@dataclass(frozen=True)
class Seed:
    folder: Path
    files: dict[str, str]
    cases: tuple[Case, ...]


def _seed(folder: Path) -> Seed:
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml"))}
    cases = load_cases(folder).cases
    settles = [c for c in cases if c.spec.settle is not None]
    decides = [c for c in cases if c.spec.settle is None]
    return Seed(folder, files, (*decides[::9], *settles[::4]))


SEED_DATA = tuple(_seed(folder) for folder in SEEDS)

#: Values an author (or an attacker) might put where a value belongs.
HOSTILE = (
    "0", "-1", "0 days", "0 months", "-4 months", "-2 years", "1 month - 40 days",
    "99999999 months", "10000 years", "3652425 days", "100 years", "101 years",
    "9" * 41, "9" * 5000, "0." + "0" * 3000 + "1", "1e400", "1e-400", "1e999999999",
    "NaN", "Infinity", "-0", "0.0000000001", "-1850.00 DKK", "1850 EUR", "1/0",
    "'a\\nb'", '"x\\u0000y"', '"\\ud800"', '"a\\tb"', "[]", "{}", "[", "{", "]", "}", "''",
    "~", "null", "true", "false", "!!python/object/apply:os.system [ls]", "!include x",
    "*a", "&a x", "&a [*a, *a]", "0001-01-01", "9999-12-31", "2019-02-30", "2019-W05-5",
    "today + 10000 years", "today - 3652425 days", "if", "and", "x" * 10000, "æøå", "-",
    ":", "# c", "|", ">", "'", '"', "%", "@x", "`x`", "\t1", "max(x for x in [])",
    "count(o in offers where count(p in offers where count(q in offers)))",
    "../../../../../../etc/passwd", "/etc/passwd", "/dev/zero", "policy.yaml", "..",
    "agee", "today", "period(today, today - 1 day)", "1 day / 0",
)
#: Top-level lines a mutant may start with.
LINES = (
    "extends: /etc/passwd", "extends: ../../../../../../etc/passwd", "extends: ..",
    "extends: policy.yaml", "extends: ./", "extends: ../slagelse-2019", "include: policy.yaml",
    "include: [/dev/zero]", "include: ../../../../etc/passwd", "include: [betaling.yaml]",
    "criteria: {over_30: {title: x}}", "x: &a [*a]", "---", "%YAML 1.1", "? [a]: b",
    "facts: {}", "rules: []", "policy: ~",
)
_VALUE = re.compile(r"^(\s*(?:- )?[\w\"'.-]+:\s+|\s*- )([^\s>|].*)$")  # not `>`/`|` blocks
_EXPRESSION = re.compile(r"^(\s*(?:- )?(?:when|value|weekly_price|amount|lasting|max_duration|"
                         r"aftercare|holds|min|max|max_amount):\s+)([^\s>|].*)$")
#: Expressions an author might write by mistake, for the places that hold expressions.
EXPRESSIONS = (
    "and", "if", "a b", "(", "x ==", "1 +", "age >= 30 >= 1", "x = 1", "any(o in)",
    "max(o.to for o in offers)", "agee >= min_age", "today - 1 month > 2019-02-30",
    "1 DKK + 1 hours", "count(o in offers) / 0", "-(-(-4 months))", "\"text\"",
    "{1, \"a\"}", "[1, 2] + 1", "sum(o.weekly_hours for o in offers else 0 hours) * 1e3",
    "age(birth_date) > " + "9" * 40, "period(today, today)", "latest(o in offers)",
)
_NAME = re.compile(r"\b[a-z_][a-z0-9_æøå]{2,}\b")


@dataclass(frozen=True)
class Mutant:
    seed: Seed
    files: dict[str, str]

    def __repr__(self) -> str:
        """The seed and a diff of what changed: enough to reproduce a failure by hand."""
        import difflib

        parts = [f"Mutant of {self.seed.folder.name}:"]
        for name, text in self.files.items():
            if text != self.seed.files[name]:
                diff = difflib.unified_diff(self.seed.files[name].splitlines(),
                                            text.splitlines(), name, name, n=1, lineterm="")
                parts += [line if len(line) < 200 else line[:200] + "..." for line in diff]
        return "\n".join(parts)


@st.composite
def mutants(draw: st.DrawFn) -> Mutant:
    seed = draw(st.sampled_from(SEED_DATA))
    files = dict(seed.files)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(files)))
        files[name] = draw(_mutation(files[name]))
    return Mutant(seed, files)


def _mutation(text: str) -> st.SearchStrategy[str]:
    lines = text.split("\n")
    values = [i for i, line in enumerate(lines) if _VALUE.match(line)]
    expressions = [i for i, line in enumerate(lines) if _EXPRESSION.match(line)]
    named = [i for i, line in enumerate(lines) if _NAME.search(line)]
    index = st.integers(0, len(lines) - 1)

    def value(i: int, new: str) -> str:
        match = _VALUE.match(lines[i])
        assert match is not None
        return _with(lines, i, match.group(1) + new)

    def misspell(i: int, at: int, char: str) -> str:
        words = list(_NAME.finditer(lines[i]))
        word = words[at % len(words)]
        spot = word.start() + at % len(word.group())
        line = lines[i][:spot] + char + lines[i][spot + 1:]
        return _with(lines, i, line)

    hostile = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30))
    values_changed = (st.builds(value, st.sampled_from(values), hostile) if values
                      else st.just(text))
    misspelt = (st.builds(misspell, st.sampled_from(named), st.integers(0, 99),
                          st.sampled_from("aeiouxz_ ")) if named else st.just(text))
    expression = (st.builds(value, st.sampled_from(expressions),
                            st.sampled_from(EXPRESSIONS + HOSTILE).map(json.dumps))
                  if expressions else st.just(text))
    return st.one_of(  # values, names, expressions (the later stages) three times as often
        values_changed, values_changed, values_changed, misspelt, misspelt, misspelt,
        expression, expression, expression,
        st.builds(lambda i: "\n".join(lines[:i] + lines[i + 1:]), index),       # drop
        st.builds(lambda i: "\n".join(lines[:i + 1] + lines[i:]), index),       # double
        st.builds(lambda i, j: _moved(lines, i, j), index, index),               # move
        st.builds(lambda i, n: _with(lines, i, " " * n + lines[i]), index,
                  st.integers(1, 3)),                                            # indent
        st.builds(lambda at: text[:at], st.integers(0, len(text))),              # cut
        st.builds(lambda at, new: text[:at] + new + text[at:], st.integers(0, len(text)),
                  st.text(max_size=12)),                                         # insert
        st.builds(lambda line: line + "\n" + text, st.sampled_from(LINES)),      # top line
    )


def _with(lines: list[str], i: int, line: str) -> str:
    return "\n".join([*lines[:i], line, *lines[i + 1:]])


def _moved(lines: list[str], i: int, j: int) -> str:
    rest = lines[:i] + lines[i + 1:]
    return "\n".join([*rest[:j], lines[i], *rest[j:]])


class Hang(Exception):
    """An example ran longer than the limit."""


@contextlib.contextmanager
def at_most(seconds: int) -> Iterator[None]:
    """Raise :class:`Hang` in the body after ``seconds`` of CPU time (a loop), or six times
    as long on the clock (a wait, e.g. on a pipe), where the platform can tell. CPU time,
    not the clock, for the limit itself: a loaded CI machine must not fail the test."""
    if not hasattr(signal, "setitimer"):  # pragma: no cover - Windows
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise Hang(f"more than {seconds} s")

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, 6 * seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _peak() -> int:
    """The process's peak memory so far, in bytes (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def check_mutant(seed: Seed, files: dict[str, str]) -> str:
    """The stages of its errors (`ok` when the mutant checks), after the checks."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / seed.folder.name
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        out, err = io.StringIO(), io.StringIO()
        code = main(["check", str(folder), "--json"], out=out, err=err)
        assert code in (EXIT_OK, EXIT_FAILED), (code, err.getvalue())
        diagnostics = json.loads(out.getvalue())
        for diagnostic in diagnostics:
            assert {"file", "line", "column"} <= set(diagnostic), diagnostic
            assert "\n" not in diagnostic["message"], diagnostic
        if code != EXIT_OK:
            stages = {CODES[d["code"]].stage for d in diagnostics if d["severity"] == "error"}
            assert stages
            return "+".join(sorted(stages))
        policy = ur.load_policy(folder)
        for result in run_cases(policy, seed.cases):  # only library errors are caught there
            result.report()
        return "ok"


def test_12_fuzz_mutated_seed_policies_give_a_result_or_located_errors() -> None:
    reached: Counter[str] = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
              database=None if not RANDOM else settings.default.database)
    @given(mutants())
    def mutant_runs(mutant: Mutant) -> None:
        before = _peak()
        with at_most(SECONDS):
            reached[check_mutant(mutant.seed, mutant.files)] += 1
        assert _peak() - before < MEMORY

    mutant_runs()
    # The mutants are not all YAML syntax errors: some fail in each stage, some check.
    stages = {stage for key in reached for stage in key.split("+")}
    assert {"load", "validate", "parse", "check", "ok"} <= stages, reached


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
