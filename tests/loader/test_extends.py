"""Policies derived from a previous round (`extends:`)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

import udbudsregler as ur
from udbudsregler.stages import run_stages

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ROOT / "policies" / "slagelse-2019"

CITIZEN_26 = {
    "birth_date": date(1995, 6, 1), "visitation": "aktivitetsparat", "subject_to_225_rule": True,
    "benefits": [{"from": date(2019, 1, 1), "to": None, "kind": "kontanthjaelp"}],
    "offers": [{"from": date(2021, 3, 1), "to": date(2021, 6, 1), "kind": "loentilskud",
                "weekly_hours": 15}],
}
HEADER = """\
extends: ../base
policy:
  id: derived
  title: Derived round
  valid: {from: 2022-01-01, to: 2025-12-31}
"""


@pytest.fixture()
def folders(tmp_path: Path) -> tuple[Path, Path]:
    base = tmp_path / "base"
    shutil.copytree(SLAGELSE, base)
    derived = tmp_path / "derived"
    derived.mkdir()
    return base, derived


def _write(derived: Path, text: str) -> None:
    (derived / "policy.yaml").write_text(HEADER + text, encoding="utf-8")


def _codes(path: Path) -> list[tuple[str, str, int, int]]:
    state = run_stages(path)
    return [(d.code, Path(d.span.file).name if d.span else "", d.span.line if d.span else 0,
             d.span.column if d.span else 0) for d in state.bag.sorted() if d.is_error]


def test_a_parameter_override_changes_the_decision_and_is_cited(folders: tuple[Path, Path]) -> None:
    base, derived = folders
    _write(derived, "parameters:\n  min_age: 25\n")
    old = ur.load_policy(base)
    new = ur.load_policy(derived)
    assert new.id == "derived"
    assert not old.decide(CITIZEN_26, on=date(2021, 12, 1)).eligible
    decision = new.decide(CITIZEN_26, on=date(2022, 2, 1))
    assert decision.eligible
    over_30 = next(r for r in decision.reasons if r.id == "over_30")
    assert over_30.overrides == (("parameter", "min_age", "slagelse-2019",
                                  "../base/maalgruppe.yaml:5"),)
    assert ("Ændret i forhold til slagelse-2019: parameteren `min_age` "
            "(../base/maalgruppe.yaml:5)") in decision.explain()
    # criteria that do not depend on the override cite nothing
    assert next(r for r in decision.reasons if r.id == "regel_225_timer").overrides == ()


def test_a_criterion_override_keeps_the_keys_it_does_not_give(folders: tuple[Path, Path]) -> None:
    _base, derived = folders
    _write(derived, "criteria:\n  over_30:\n    title: Over 25 år\n")
    policy = ur.load_policy(derived)
    node = policy.graph.nodes["over_30"]
    assert node.spec.title == "Over 25 år"
    assert node.expr is not None and node.expr.loc is not None
    assert node.expr.loc.expr.text == "age >= min_age"
    reason = next(r for r in policy.decide(CITIZEN_26, on=date(2022, 2, 1)).reasons
                  if r.id == "over_30")
    assert reason.overrides[0][:2] == ("criterion", "over_30")


def test_the_derived_policy_is_checked_like_any_policy(folders: tuple[Path, Path]) -> None:
    _base, derived = folders
    _write(derived, "criteria:\n  over_30:\n    when: agee >= 25\n"
                    "  under_5_years:\n    when: benefit_spell < 5\n")
    # an unknown name, and a length compared with a bare number: both located
    # in the derived file
    assert _codes(derived) == [("UDB401", "policy.yaml", 8, 11),
                               ("UDB403", "policy.yaml", 10, 11)]
    state = run_stages(derived)
    hints = [d.effective_hint for d in state.bag.errors()]
    assert hints == ["did you mean `age`?", "write the number with its unit, e.g. `5 years` or "
                     "`30 days`"]


def test_overriding_an_unknown_criterion_is_an_error(folders: tuple[Path, Path]) -> None:
    _base, derived = folders
    _write(derived, "criteria:\n  over_3O:\n    title: x\n")
    state = run_stages(derived)
    [diagnostic] = [d for d in state.bag.sorted() if d.is_error]
    assert diagnostic.code == "UDB115"
    assert diagnostic.span is not None and (diagnostic.span.line, diagnostic.span.column) == (7, 3)
    assert diagnostic.effective_hint == "did you mean `over_30`?"


def test_criteria_without_extends_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    shutil.copytree(SLAGELSE, folder)
    with (folder / "policy.yaml").open("a", encoding="utf-8") as f:
        f.write("criteria:\n  over_30: {title: x}\n")
    assert [c[0] for c in _codes(folder)] == ["UDB115"]


def test_a_missing_base_and_a_cycle(folders: tuple[Path, Path], tmp_path: Path) -> None:
    _base, derived = folders
    (derived / "policy.yaml").write_text("extends: ../nowhere\n", encoding="utf-8")
    assert [c[:3] for c in _codes(derived)] == [("UDB107", "policy.yaml", 1)]
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "policy.yaml").write_text("extends: ../b\n", encoding="utf-8")
    (b / "policy.yaml").write_text("extends: ../a\n", encoding="utf-8")
    assert [c[0] for c in _codes(a)] == ["UDB108"]


def test_the_content_hash_covers_the_base_and_not_the_location(folders: tuple[Path, Path],
                                                               tmp_path: Path) -> None:
    base, derived = folders
    _write(derived, "parameters:\n  min_age: 25\n")
    first = ur.load_policy(derived).content_hash
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.copytree(base, moved / "base")
    shutil.copytree(derived, moved / "derived")
    assert ur.load_policy(moved / "derived").content_hash == first
    with (base / "betaling.yaml").open("a", encoding="utf-8") as f:
        f.write("# a comment changes the bytes\n")
    assert ur.load_policy(derived).content_hash != first


def test_the_worked_example_derives_from_slagelse() -> None:
    policy = ur.load_policy(ROOT / "examples" / "next-round")
    assert policy.id == "slagelse-2022"
    assert {k[1] for k in policy.graph.overrides} >= {"min_age", "bonus_period"}
