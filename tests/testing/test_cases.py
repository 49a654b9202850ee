"""The YAML test-case runner and its pytest plugin."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import udbudsregler as ur
from udbudsregler.testing.cases import discover_policies, load_cases, run_cases

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ROOT / "policies" / "slagelse-2019"


@pytest.fixture()
def scratch(tmp_path: Path) -> Path:
    """A copy of the Slagelse policy without its test cases."""
    folder = tmp_path / "slagelse"
    shutil.copytree(SLAGELSE, folder)
    for case_file in (folder / "tests").glob("*.yaml"):
        case_file.unlink()
    return folder


def _write(folder: Path, text: str) -> Path:
    path = folder / "tests" / "cases.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """\
defaults:
  on: 2019-02-01
  facts:
    birth_date: 1975-06-15
    visitation: aktivitetsparat
    subject_to_225_rule: true
    benefits: [{kind: kontanthjaelp, from: 2016-03-01, to: null}]
    offers: [{kind: loentilskud, from: 2018-05-01, to: 2018-07-31, weekly_hours: 15}]
cases:
"""


def _results(folder: Path) -> list[tuple[str, list[str]]]:
    suite = load_cases(folder)
    assert not suite.diagnostics, [d.render() for d in suite.diagnostics]
    policy = ur.load_policy(folder)
    return [(r.case.name, r.failures) for r in run_cases(policy, suite.cases)]


def test_a_passing_and_a_failing_case(scratch: Path) -> None:
    _write(scratch, BASE + """\
  - name: right
    expect: {eligible: true, area: aktivitetsparate, rules: {age: 43}}
  - name: wrong
    facts: {subject_to_225_rule: false}
    expect: {eligible: true, criteria: {regel_225_timer: true}, rules: {age: 44}}
""")
    (_, ok), (_, failures) = _results(scratch)
    assert ok == []
    assert failures == [
        "eligible: expected true, got false",
        "criteria.regel_225_timer: expected true, got false",
        "rules.age: expected 44, got 43",
    ]


def test_defaults_merge_fact_by_fact(scratch: Path) -> None:
    _write(scratch, BASE + """\
  - name: only the birth date changes
    facts: {birth_date: 1989-02-02}
    expect: {eligible: false, criteria: {over_30: false, under_5_years: true}}
""")
    assert _results(scratch) == [("only the birth date changes", [])]


def test_expected_errors_match_code_and_path(scratch: Path) -> None:
    _write(scratch, BASE + """\
  - name: right path
    facts: {birth_date: 1975-02-30}
    expect: {error: {code: UDB603, path: birth_date}}
  - name: wrong path
    facts: {birth_date: 1975-02-30}
    expect: {error: {code: UDB603, path: offers}}
  - name: no error at all
    expect: {error: {code: UDB603}}
""")
    results = dict(_results(scratch))
    assert results["right path"] == []
    assert results["wrong path"] == ["error: expected UDB603 at offers, got UDB603 at birth_date"]
    assert results["no error at all"] == ["expected error UDB603, but there was none"]


def test_settlement_expectations(scratch: Path) -> None:
    _write(scratch, """\
cases:
  - name: settle
    settle:
      referral: {id: R, start: 2019-02-01, package: individuelt_forloeb}
      until: 2019-02-28
    expect:
      total: "7400.00"
      lines: [{quantity: 28, amount: "7400.00"}]
      end: {cause: ongoing}
      bonuses: {fuld_selvforsoergelse: course_ongoing}
  - name: settle wrong
    settle:
      referral: {id: R, start: 2019-02-01, package: individuelt_forloeb}
      until: 2019-02-28
    expect: {total: "7400.01", lines: [], end: {cause: max_duration}}
""")
    results = dict(_results(scratch))
    assert results["settle"] == []
    assert results["settle wrong"] == [
        "total: expected 7400.01, got 7400.00",
        "end.cause: expected max_duration, got ongoing",
        "lines: expected 0, got 1",
    ]


def test_unknown_keys_are_located(scratch: Path) -> None:
    _write(scratch, BASE + """\
  - name: typo
    expect: {eligble: true}
""")
    suite = load_cases(scratch)
    [diagnostic] = suite.diagnostics
    assert diagnostic.code == "UDB201"
    assert diagnostic.span is not None
    assert (diagnostic.span.line, diagnostic.span.column) == (11, 14)
    assert "did you mean `eligible`?" in diagnostic.effective_hint


def test_discover_policies_finds_the_three_tenders() -> None:
    found = [p.name for p in discover_policies([ROOT / "policies"])]
    assert found == ["koebenhavn-2024", "rusta-och-matcha-2", "slagelse-2019"]


def test_cli_test_command_fails_on_a_failing_case(scratch: Path) -> None:
    from udbudsregler.cli.main import main

    _write(scratch, BASE + "  - name: wrong\n    expect: {eligible: false}\n")
    import io

    out = io.StringIO()
    assert main(["test", str(scratch)], out=out) == 1
    text = out.getvalue()
    assert "FAIL wrong" in text and "eligible: expected false, got true" in text
    assert "--- explanation ---" in text


def test_pytest_plugin_reports_case_failures(pytester: pytest.Pytester, scratch: Path) -> None:
    _write(scratch, BASE + """\
  - name: passes
    expect: {eligible: true}
  - name: fails
    expect: {area: null}
""")
    result = pytester.runpytest(str(scratch), "-p", "no:cacheprovider", "-k", "not invariant")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*FAIL fails*", "*area: expected null, got aktivitetsparate*",
                                 "*--- explanation ---*"])


def test_pytest_plugin_reports_a_broken_case_file(pytester: pytest.Pytester,
                                                  scratch: Path) -> None:
    _write(scratch, "cases:\n  - name: x\n    expect: {eligible: true}\n    facs: {}\n")
    result = pytester.runpytest(str(scratch), "-p", "no:cacheprovider", "-k", "not invariant")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*cases.yaml:4:5: error UDB201: unknown key `facs`*"])
