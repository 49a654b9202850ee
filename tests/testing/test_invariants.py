"""Invariants: breaking one in a seed policy is found, shrunk, and reproducible as a case."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import udbudsregler as ur
from udbudsregler.testing.cases import load_cases, run_cases
from udbudsregler.testing.invariants import find_violation

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ROOT / "policies" / "slagelse-2019"


@pytest.fixture()
def broken(tmp_path: Path) -> Path:
    """Slagelse with a deliberate mistake: 'over 30' written as 'over 20'."""
    folder = tmp_path / "slagelse-broken"
    shutil.copytree(SLAGELSE, folder)
    path = folder / "maalgruppe.yaml"
    text = path.read_text(encoding="utf-8")
    assert "when: age >= min_age" in text
    path.write_text(text.replace("when: age >= min_age", "when: age >= 20"), encoding="utf-8")
    for case_file in (folder / "tests").glob("*.yaml"):
        case_file.unlink()
    return folder


def _paste(folder: Path, case: str) -> list[list[str]]:
    (folder / "tests" / "pasted.yaml").write_text("cases:\n" + case, encoding="utf-8")
    suite = load_cases(folder)
    assert not suite.diagnostics, [d.render() for d in suite.diagnostics]
    return [r.failures for r in run_cases(ur.load_policy(folder), suite.cases)]


def test_the_seed_policies_invariants_hold() -> None:
    policy = ur.load_policy(SLAGELSE)
    for name in policy.graph.invariants:
        assert find_violation(policy, name, max_examples=60) is None, name


def test_a_broken_invariant_gives_a_pasteable_counterexample(broken: Path,
                                                             tmp_path: Path) -> None:
    violation = find_violation(ur.load_policy(broken), "under_30_not_eligible",
                               max_examples=300)
    assert violation is not None
    assert violation.message.startswith("`not aktivitetsparate_over_30 or age >= min_age`")
    case = violation.case
    assert "expect:\n      invariants: [under_30_not_eligible]" in case
    # shrunk: a readable citizen, not a generated jumble
    assert case.count("- {") <= 3
    # pasted into the broken policy's tests, the case reproduces the failure ...
    [failures] = _paste(broken, case)
    assert len(failures) == 1
    assert failures[0].startswith("invariant `under_30_not_eligible`")
    # ... and it passes once the mistake is fixed
    fixed = tmp_path / "slagelse-fixed"
    shutil.copytree(SLAGELSE, fixed)
    for case_file in (fixed / "tests").glob("*.yaml"):
        case_file.unlink()
    assert _paste(fixed, case) == [[]]


def test_a_broken_settlement_invariant(tmp_path: Path) -> None:
    """A bonus that starts on the course's last day breaks no_bonus_before_course_end."""
    folder = tmp_path / "slagelse-bonus"
    shutil.copytree(SLAGELSE, folder)
    path = folder / "betaling.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("starting: day_after_course_end", "starting: course_end"),
                    encoding="utf-8")
    for case_file in (folder / "tests").glob("*.yaml"):
        case_file.unlink()
    violation = find_violation(ur.load_policy(folder), "no_bonus_before_course_end",
                               max_examples=300)
    assert violation is not None
    assert "settle:" in violation.case
    [failures] = _paste(folder, violation.case)
    assert failures and "no_bonus_before_course_end" in failures[0]
