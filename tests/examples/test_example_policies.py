"""The example policies under ``examples/`` check, and their YAML cases and invariants
pass, as ``udbudsregler test`` runs them (``./run-tests`` runs it over ``policies/``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from policy_folders import EXAMPLES, POLICIES

from udbudsregler.cli.main import main


def test_the_repository_has_three_tenders_and_example_policies() -> None:
    assert [p.name for p in POLICIES] == ["koebenhavn-2024", "rusta-och-matcha-2",
                                          "slagelse-2019"]
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("folder", [f for f in EXAMPLES if (f / "tests").is_dir()
                                    and any((f / "tests").glob("*.yaml"))],
                         ids=lambda p: p.name)
def test_example_policy_cases_pass(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["test", str(folder), "--examples", "40"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "passed (ok)" in out
