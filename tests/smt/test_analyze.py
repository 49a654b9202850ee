"""`udbudsregler analyze`: the seed policies, the corpus of broken variants (each with
its expected findings), and the witnesses as test cases that pass or fail as claimed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.smt.conftest import ROOT, VARIANTS, analysis, copy_tree, run_cases

EXPECTED: dict[str, list[dict[str, str]]] = yaml.safe_load(
    (VARIANTS / "expected.yaml").read_text(encoding="utf-8"))
SEEDS = ["policies/slagelse-2019", "policies/koebenhavn-2024"]
LOCATED = re.compile(r"^[^ :]+\.yaml:\d+:\d+$")


@pytest.mark.parametrize("path", SEEDS)
def test_seed_policies_have_no_problems(path: str) -> None:
    result = analysis(path)
    assert result.problems == [], "\n".join(f.render() for f in result.problems)
    holds = [f for f in result.findings if f.check == "invariant" and f.status == "proved"]
    assert holds, "the invariants with `holds:` and the decision checks are proved"
    for finding in result.findings:
        assert finding.where is not None and LOCATED.match(finding.where), finding.where


def test_seed_invariants_proved_or_honestly_unknown() -> None:
    result = analysis("policies/slagelse-2019")
    by_name = {f.subject: f for f in result.findings if f.check == "invariant"}
    for name in ("routed_when_eligible", "failed_criterion_not_eligible",
                 "under_30_not_eligible", "only_current_cash_benefit"):
        assert by_name[name].status == "proved"
    for name in ("payment_not_negative", "no_bonus_before_course_end"):
        assert by_name[name].status == "unknown"
        assert "not encodable: settlement" in by_name[name].reason


def test_overlaps_in_koebenhavn_are_decided_by_the_priority() -> None:
    result = analysis("policies/koebenhavn-2024")
    overlaps = {f.subject for f in result.findings if f.check == "overlap"}
    assert "sygemeldte+udsatte" in overlaps
    assert all(f.witness is not None for f in result.findings if f.check == "overlap")


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_broken_variant_reports_its_findings(variant: str) -> None:
    result = analysis(str((VARIANTS / f"{variant}.yaml").relative_to(ROOT)))
    found = {(f.check, f.subject) for f in result.problems}
    expected = {(e["check"], e["subject"]) for e in EXPECTED[variant]}
    assert found == expected
    for finding in result.problems:
        if finding.check in ("gap", "invariant"):
            assert finding.witness is not None, finding.render()
        assert finding.where is not None and LOCATED.match(finding.where)


def _pasteable(tmp_path: Path, variant: str) -> Path:
    """A copy of the variant as a policy folder, its base policy beside it as in the
    repository."""
    copy_tree(tmp_path, "policies")
    folder = tmp_path / "tests" / "smt" / variant
    folder.mkdir(parents=True)
    text = (VARIANTS / f"{variant}.yaml").read_text(encoding="utf-8")
    (folder / "policy.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("variant", ["gap", "off_by_one"])
def test_witnesses_pass_or_fail_as_claimed(tmp_path: Path, variant: str) -> None:
    result = analysis(str((VARIANTS / f"{variant}.yaml").relative_to(ROOT)))
    claims: dict[str, bool] = {}
    cases = []
    for finding in result.findings:
        if finding.witness is None:
            continue
        case = finding.witness.case
        name = re.search(r'- name: "(.*)"', case)
        assert name is not None
        # an invariant's counterexample fails (the invariant is broken); the others
        # describe what the policy does, and pass
        claims[name.group(1)] = finding.check != "invariant"
        cases.append(case)
    assert any(not passes for passes in claims.values())
    assert run_cases(_pasteable(tmp_path, variant), cases) == claims


def test_seed_witnesses_pass(tmp_path: Path) -> None:
    result = analysis("policies/koebenhavn-2024")
    cases = [f.witness.case for f in result.findings if f.witness is not None]
    copy_tree(tmp_path, "policies/koebenhavn-2024")
    outcome = run_cases(tmp_path / "policies" / "koebenhavn-2024", cases)
    assert len(outcome) == len(cases) and all(outcome.values())


RANGED = """\
policy:
  id: ranged
  title: Ranged facts
  authority: Test
  valid: {from: 2020-01-01, to: 2030-12-31}
  month_end: clamp
facts:
  years: {type: int, min: 15, max: 120}
  town: {type: text}
target_groups:
  old:
    title: Old
    criteria:
      all:
        - {id: very_old, title: Very old, when: years >= 121}
  named:
    title: Named
    criteria:
      all:
        - {id: has_town, title: Has a town, when: town != ""}
"""


def test_fact_ranges_bound_the_citizens_and_text_is_unknown(tmp_path: Path) -> None:
    from udbudsregler.policy import load_policy
    from udbudsregler.smt import analyze

    (tmp_path / "policy.yaml").write_text(RANGED, encoding="utf-8")
    result = analyze(load_policy(tmp_path))
    by = {(f.check, f.subject): f for f in result.findings}
    # `years` is at most 120 (a fact outside its range is a fact error, not a decision)
    assert by[("criterion_never_true", "very_old")].status == "proved"
    # a text has no encoding: unknown, never a claim
    unknown = by[("criterion_never_true", "has_town")]
    assert unknown.status == "unknown" and unknown.reason.startswith("not encodable")
    assert ("criterion_never_false", "has_town") in by
    assert by[("criterion_never_false", "has_town")].status == "unknown"


def test_a_payment_that_reads_facts_is_checked_over_the_citizens(tmp_path: Path) -> None:
    from udbudsregler.policy import load_policy
    from udbudsregler.smt import analyze

    copy_tree(tmp_path, "policies/slagelse-2019")
    folder = tmp_path / "policies" / "start-payment"
    folder.mkdir()
    (folder / "policy.yaml").write_text("""\
extends: ../slagelse-2019
policy:
  id: start-payment
price_models:
  ugepris_og_bonus:
    payments:
      start:
        title: Startbetaling
        per: once
        amount: if age >= 60 then 0.00 DKK - 500.00 DKK else 1000.00 DKK
""", encoding="utf-8")
    result = analyze(load_policy(folder))
    (found,) = [f for f in result.problems if f.check == "negative_amount"]
    assert "payment `start` (per once) is -500.00 DKK" in found.message
    assert "for a citizen with birth_date" in found.message
    assert found.where is not None and found.where.endswith("policy.yaml:10:9")
