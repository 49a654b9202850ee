"""An analysis gives the same report in any process, after anything: z3's models are
not deterministic, so witnesses are made canonical (`Problem._canonical`) and each
analysis runs in a z3 context of its own (`own_context`); a band is found wherever in it
the solver's witness lies."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import z3

from tests.smt.conftest import ROOT, policy
from udbudsregler.smt import analyze, exact_diff
from udbudsregler.smt.core import Problem
from udbudsregler.smt.exact import Kind, _describe, _differs, _Side

KBH = "policies/koebenhavn-2024"
SLAGELSE = "policies/slagelse-2019"
_TIMING = re.compile(r"\d+\.\d s\)")


def _report(text: str) -> str:
    return _TIMING.sub("s)", text)


def test_the_same_report_after_other_analyses() -> None:
    first = _report(analyze(policy(KBH)).render())
    analyze(policy("policies/rusta-och-matcha-2"))
    exact_diff(policy(SLAGELSE), policy("examples/offer-window"))
    assert _report(analyze(policy(KBH)).render()) == first


def test_the_same_report_in_another_process() -> None:
    script = ("import sys; from udbudsregler import load_policy; "
              "from udbudsregler.smt import analyze, exact_diff; "
              f"print(analyze(load_policy({KBH!r})).render()); "
              f"print(exact_diff(load_policy({SLAGELSE!r}), "
              "load_policy('examples/next-round')).render())")
    here = (analyze(policy(KBH)).render() + "\n"
            + exact_diff(policy(SLAGELSE), policy("examples/next-round")).render() + "\n")
    for seed in ("1", "2"):
        there = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True,
                               capture_output=True, text=True,
                               env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        assert _report(there) == _report(here)


def test_a_band_is_found_from_a_witness_inside_it() -> None:
    old, new = policy(SLAGELSE), policy("examples/offer-window")
    on = new.header.valid.from_
    problem = Problem([old, new], on=on)
    ids = {a: problem.choices.id(a) for p in (old, new) for a in p.graph.areas}
    a, b = _Side(old, problem.encoders[0], ids), _Side(new, problem.encoders[1], ids)
    flip = z3.And(a.enc.fails("praktik_eller_loentilskud"),
                  b.enc.holds("praktik_eller_loentilskud"))
    goals = [a.ok, b.ok, _differs(a, b), flip]
    offers = problem.citizen.values["offers"]
    end = offers.slots[0][1].period.end
    # the solver's witness, untidied but for one offer only, with the offer's end in the
    # middle of the band (a tidy witness has it at the band's edge nearest the decision)
    inside = problem.check([*goals, problem.citizen.lengths["f.offers"] == 1,
                            offers.slots[0][1].period.start == date(2019, 5, 1).toordinal(),
                            end == date(2019, 6, 1).toordinal(),
                            z3.Not(offers.slots[0][1].period.open)])
    assert inside.status == "sat"
    kind = Kind("praktik_eller_loentilskud", False, True, "unknown")
    _describe(problem, old, new, kind, inside.model, goals)
    assert kind.status == "found"
    assert [(bd.path, bd.low, bd.high) for bd in kind.bands] == [
        ("offers[0].to", date(2019, 1, 1), date(2019, 12, 31))]
    assert sorted(text.split(" ")[1] for text, _, _ in kind.borders) == [
        "2018-12-31", "2020-01-01"]


def test_analyses_in_two_threads_give_the_reports_of_one() -> None:
    """z3's contexts are not thread-safe: analyses in two threads run one after the
    other (own_context's lock), each in its own context, with the reports they give
    alone."""
    from concurrent.futures import ThreadPoolExecutor

    alone = [_report(analyze(policy(KBH)).render()),
             _report(exact_diff(policy(SLAGELSE), policy("examples/next-round")).render())]
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(lambda: analyze(policy(KBH)).render())
        second = pool.submit(
            lambda: exact_diff(policy(SLAGELSE), policy("examples/next-round")).render())
        together = [_report(first.result()), _report(second.result())]
    assert together == alone


def test_a_witness_is_tidy_also_without_lists(tmp_path: Path) -> None:
    """A citizen with no list or history is tidied and made canonical too: the least
    number, the date nearest the decision date."""
    from udbudsregler import load_policy

    text = """policy:
  id: {id}
  title: Scalar facts only
  authority: Tests
  valid: {{from: 2024-01-01, to: 2025-12-31}}
  language: en
  currency: DKK
facts:
  age: {{type: int, min: 16, max: 70}}
  since: date
  ready: bool
target_groups:
  group:
    title: Group
    criteria:
      all:
        - {{id: older, title: Older, when: age > {age}}}
        - {{id: started, title: Started, when: since <= today}}
        - {{id: is_ready, title: Ready, when: ready}}
"""
    for name, age in (("old", 30), ("new", 35)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "policy.yaml").write_text(text.format(id=name, age=age),
                                                     encoding="utf-8")
    report = exact_diff(load_policy(tmp_path / "old"), load_policy(tmp_path / "new"))
    (kind,) = report.kinds
    assert kind.witness == {"age": 31, "since": date(2024, 1, 1), "ready": True}
