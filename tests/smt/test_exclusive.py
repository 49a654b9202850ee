"""`udbudsregler analyze` on `routing: exclusive: true`: an overlap of exclusive areas is
an error (deciding for such a citizen fails with UDB707), with a witness that, pasted as
a test case, expects that error; exclusive areas that do not overlap are proved so."""

from __future__ import annotations

import re
from pathlib import Path

from tests.smt.conftest import ROOT, copy_tree, run_cases
from udbudsregler.policy import load_policy
from udbudsregler.smt import analyze

PRIORITY = "  priority: [hjerneskade_kognitiv, psykiske_udfordringer, sygemeldte, udsatte]\n"


def _exclusive_koebenhavn(tmp_path: Path) -> Path:
    copy_tree(tmp_path, "policies/koebenhavn-2024")
    folder = tmp_path / "policies" / "koebenhavn-2024"
    areas = folder / "omraader.yaml"
    text = areas.read_text(encoding="utf-8")
    assert text.count(PRIORITY) == 1
    areas.write_text(text.replace(PRIORITY, "  exclusive: true\n"), encoding="utf-8")
    return folder


def test_an_overlap_of_exclusive_areas_is_an_error_with_a_witness(tmp_path: Path) -> None:
    folder = _exclusive_koebenhavn(tmp_path)
    result = analyze(load_policy(folder))
    overlaps = [f for f in result.findings if f.check == "overlap"]
    # with no priority, the pairs are named in the order the areas are written
    errors = {f.subject: f for f in overlaps if f.level == "error"}
    assert "udsatte+sygemeldte" in errors, [f.render() for f in overlaps]
    assert not [f for f in overlaps if f.level == "note"], "no overlap is left to a priority"
    found = errors["udsatte+sygemeldte"]
    assert found.status == "found" and found.witness is not None
    assert "UDB707" in found.message and "exclusive" in found.message
    assert found in result.problems
    assert found.where is not None and re.search(r"omraader\.yaml:\d+:\d+$", found.where)
    # pasted as test cases, the witnesses expect the error the engine gives: they pass
    cases = [f.witness.case for f in errors.values() if f.witness is not None]
    assert all("code: UDB707" in case for case in cases)
    outcome = run_cases(folder, cases)
    assert len(outcome) == len(cases) and all(outcome.values()), outcome


DISJOINT = """\
policy:
  id: disjoint
  title: Two areas by town
  authority: Test
  valid: {from: 2020-01-01, to: 2030-12-31}
  month_end: clamp
facts:
  town: {type: enum, title: Town, values: [north, south]}
  age: {type: int, title: Age, min: 0, max: 130}
target_groups:
  adults:
    title: Adults
    criteria:
      all:
        - {id: adult, title: Adult, when: age >= 18}
service_areas:
  north:
    title: North
    serves: [adults]
    when: town == north
    suppliers:
      - {id: n1, name: North 1}
  south:
    title: South
    serves: [adults]
    when: town == south
    suppliers:
      - {id: s1, name: South 1}
routing:
  exclusive: true
  reading: A citizen lives in one town.
"""


def test_exclusive_areas_that_do_not_overlap_are_proved_so(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(DISJOINT, encoding="utf-8")
    result = analyze(load_policy(tmp_path))
    overlaps = [f for f in result.findings if f.check == "overlap"]
    assert [(f.status, f.level) for f in overlaps] == [("proved", "ok")], \
        [f.render() for f in overlaps]
    assert "no citizen fits two of the exclusive service areas" in overlaps[0].message
    assert result.problems == []


def test_the_seed_policies_keep_their_priority_notes() -> None:
    result = analyze(load_policy(ROOT / "policies" / "koebenhavn-2024"))
    overlaps = [f for f in result.findings if f.check == "overlap"]
    assert overlaps and all(f.level == "note" for f in overlaps)
