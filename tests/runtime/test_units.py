"""Lengths are shown in the unit the policy writes its limit in (runtime.units)."""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pytest

import udbudsregler as ur
from udbudsregler.cli.main import main
from udbudsregler.runtime.units import written_units

ROOT = Path(__file__).resolve().parents[2]
CITIZEN = str(ROOT / "examples" / "data" / "citizen.json")
ON = date(2019, 2, 1)


def _slagelse_with_limit(tmp_path: Path, limit: str) -> Path:
    """Slagelse with the longest spell on cash benefit written as ``limit``."""
    copy = tmp_path / "slagelse"
    shutil.copytree(ROOT / "policies" / "slagelse-2019", copy)
    rules = copy / "maalgruppe.yaml"
    text = rules.read_text(encoding="utf-8")
    assert text.count("    value: 5 years\n") == 1
    rules.write_text(text.replace("    value: 5 years\n", f"    value: {limit}\n"),
                     encoding="utf-8")
    return copy


def _decide(policy: str, *options: str) -> str:
    out = io.StringIO()
    assert main(["decide", policy, CITIZEN, "--on", "2019-02-01", *options], out=out) == 0
    return out.getvalue()


def _facts_line(text: str) -> str:
    return next(line for line in text.splitlines() if "tid på kontanthjælp:" in line)


def test_a_limit_in_years_shows_the_spell_in_years_months_and_days() -> None:
    policy = ur.load_policy(ROOT / "policies" / "slagelse-2019")
    assert written_units(policy.checked)["benefit_spell"] == "months"
    line = _facts_line(policy.decide(_citizen(), on=ON).explain("da"))
    assert "Sammenhængende tid på kontanthjælp: 3 år, 11 måneder og 1 dag" in line
    assert "Længste sammenhængende tid på kontanthjælp: 5 år" in line
    trace = _decide(str(ROOT / "policies" / "slagelse-2019"), "--trace")
    assert "rule benefit_spell = 3 years 11 months 1 day (2015-03-01..2019-02-01)" in trace


def _citizen() -> dict[str, object]:
    import json

    loaded: dict[str, object] = json.loads(Path(CITIZEN).read_text(encoding="utf-8"))
    return loaded


def test_a_limit_in_days_shows_the_spell_in_days(tmp_path: Path) -> None:
    policy = _slagelse_with_limit(tmp_path, "180 days")
    line = _facts_line(_decide(str(policy), "--explain"))
    assert "Sammenhængende tid på kontanthjælp: 1434 dage;" in line, line
    assert "Længste sammenhængende tid på kontanthjælp: 180 dage" in line
    assert "måneder" not in line
    trace = _decide(str(policy), "--trace")
    assert "rule benefit_spell = 1434 days (2015-03-01..2019-02-01)" in trace
    assert "max_benefit_spell=180 days" in trace


def test_a_limit_in_weeks_shows_weeks(tmp_path: Path) -> None:
    policy = _slagelse_with_limit(tmp_path, "26 weeks")
    line = _facts_line(_decide(str(policy), "--explain"))
    assert "1434 dage" not in line
    assert "Sammenhængende tid på kontanthjælp: 204 uger og 6 dage" in line, line
    assert "Længste sammenhængende tid på kontanthjælp: 26 uger" in line
    english = _facts_line(_decide(str(policy), "--explain", "--lang", "en"))
    assert "204 weeks and 6 days" in english and "26 weeks" in english
    trace = _decide(str(policy), "--trace")
    assert "rule benefit_spell = 204 weeks 6 days (2015-03-01..2019-02-01)" in trace


@pytest.mark.parametrize("expected, shown", [
    ("3 years", "got 2 years 11 months 1 day (2016-03-01..2019-02-01)"),
    ("1000 days", "got 1068 days (2016-03-01..2019-02-01)"),
    ("150 weeks", "got 152 weeks 4 days (2016-03-01..2019-02-01)"),
])
def test_a_failing_case_shows_the_length_in_the_unit_it_expects(
        tmp_path: Path, expected: str, shown: str) -> None:
    copy = tmp_path / "slagelse"
    shutil.copytree(ROOT / "policies" / "slagelse-2019", copy)
    (copy / "tests" / "spell.yaml").write_text(
        "defaults:\n" + (ROOT / "policies" / "slagelse-2019" / "tests" / "maalgruppe.yaml")
        .read_text(encoding="utf-8").split("defaults:\n", 1)[1].split("\ncases:", 1)[0]
        + f"\ncases:\n  - name: spell\n    expect:\n      rules: {{benefit_spell: {expected}}}\n",
        encoding="utf-8")
    out = io.StringIO()
    main(["test", str(copy), "--examples", "0"], out=out)
    assert f"rules.benefit_spell: expected {expected}, {shown}" in out.getvalue()
