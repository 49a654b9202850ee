"""Issue 12, item 14: checking must not be quadratic in the number of names.

No timing: the work is counted. The lines of the library (and of difflib, which did-you-mean
uses) that checking executes are counted for a policy with N definitions and for one with
4N; linear work gives a ratio near 4, the quadratic work this guards against gave 16.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from udbudsregler import diagnostics
from udbudsregler.checker.graph import build_graph
from udbudsregler.checker.tender import check_policy
from udbudsregler.diagnostics import DiagnosticBag
from udbudsregler.stages import run_stages

PACKAGE = str(Path(__file__).resolve().parents[2] / "udbudsregler")
DIFFLIB = difflib.__file__

HEADER = """\
policy:
  id: many
  title: Many names
  authority: Test
  valid: {from: 2019-02-01, to: 2021-01-31}
facts:
  age: int
target_groups:
  g:
    title: G
    criteria:
      all:
        - {id: c, title: C, when: age > 1}
rules:
"""


def lines_executed(work: Callable[[], Any]) -> int:
    """How many lines of udbudsregler and difflib ``work()`` executes."""
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        name = frame.f_code.co_filename
        if name.startswith(PACKAGE) or name == DIFFLIB:
            return local
        return None

    sys.settrace(calls)
    try:
        work()
    finally:
        sys.settrace(None)
    return count


def check_work(tmp_path: Path, rules: str) -> int:
    """Lines executed by the graph and check stages (the earlier stages are not counted)."""
    path = tmp_path / "policy.yaml"
    path.write_text(HEADER + rules, encoding="utf-8")
    state = run_stages(path, stop_after="parse")
    assert state.parsed is not None

    def graph_and_check() -> None:
        bag = DiagnosticBag()
        assert state.parsed is not None
        graph = build_graph(state.parsed, bag)
        check_policy(state.parsed, graph, bag)

    return lines_executed(graph_and_check)


def ratio(tmp_path: Path, make: Callable[[int], str], n: int) -> float:
    small = check_work(tmp_path / "small", make(n))
    large = check_work(tmp_path / "large", make(4 * n))
    return large / small


def test_12_14_did_you_mean_for_many_misspelt_names_is_not_quadratic(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()
    # Sets of up to EXACT_POOL names are compared in full, a constant amount of work that
    # would hide how the rest grows: count the growth with a small one.
    monkeypatch.setattr(diagnostics, "EXACT_POOL", 10)

    def misspelt(n: int) -> str:  # each rule names a misspelling of the next one
        return "".join(f"  rule_{i}: \"rulle_{(i + 1) % n} + 1\"\n" for i in range(n))

    assert ratio(tmp_path, misspelt, 150) < 6


def test_12_14_many_unused_rules_are_reported_in_linear_work(tmp_path: Path) -> None:
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()

    def unused(n: int) -> str:  # half of them used only by the other half
        return "".join(f"  rule_{i}: \"{'rule_' + str(i + 1) if i % 2 == 0 else '1'}\"\n"
                       for i in range(n))

    assert ratio(tmp_path, unused, 300) < 6


def test_12_14_did_you_mean_among_many_names_still_finds_a_typo() -> None:
    names = [f"rule_{i}" for i in range(2000)] + ["age", "visitation", "benefit_spell"]
    assert diagnostics.closest("rulle_5", names) == "rule_5"
    assert diagnostics.closest("agee", names) == "age"
    assert diagnostics.closest("visitaton", names) == "visitation"
    assert diagnostics.closest("benefit_spel", names) == "benefit_spell"
    assert diagnostics.closest("completely_different", names) is None
    # the answer depends on the word and the names only, not on earlier questions
    assert diagnostics.closest("rule_77x", names[::-1]) == diagnostics.closest("rule_77x", names)


def test_12_14_did_you_mean_among_few_names_is_difflibs_best() -> None:
    names = ["min_age", "max_age", "age", "pro_rata_days", "whole_weeks", "started_weeks"]
    for word in ("agee", "pro_rata", "mn_age", "weeks", "x"):
        best = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
        assert diagnostics.closest(word, names) == (best[0] if best else None)
