"""Fixtures of the SMT tests: analyses are computed once per session (each takes a
second or two), and copies of policies to paste witnesses into."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest

pytest.importorskip("z3")

from udbudsregler.policy import Policy, load_policy
from udbudsregler.smt import Analysis, ExactDiff, analyze, exact_diff

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = ROOT / "tests" / "smt" / "variants"


@cache
def policy(path: str) -> Policy:
    return load_policy(ROOT / path)


@cache
def analysis(path: str) -> Analysis:
    return analyze(policy(path))


@cache
def difference(old: str, new: str) -> ExactDiff:
    return exact_diff(policy(old), policy(new))


def copy_tree(tmp: Path, *folders: str) -> None:
    """Copy folders of the repository into ``tmp`` at the same relative places (so that
    `extends:` paths still resolve)."""
    for folder in folders:
        shutil.copytree(ROOT / folder, tmp / folder, ignore=shutil.ignore_patterns("tests"))
    # the top of the copied checkout: the policy root `extends:` must stay inside
    (tmp / ".git").mkdir(exist_ok=True)


def run_cases(folder: Path, cases: list[str]) -> dict[str, bool]:
    """Write ``cases`` into ``folder/tests/pasted.yaml`` and run `udbudsregler test` on the
    folder; whether each case passed, by name."""
    import io
    import re

    from udbudsregler.cli.main import main

    tests = folder / "tests"
    tests.mkdir(exist_ok=True)
    (tests / "pasted.yaml").write_text("cases:\n" + "".join(cases), encoding="utf-8")
    out = io.StringIO()
    main(["test", str(folder), "-v", "--examples", "0"], out=out)
    text = out.getvalue()
    results: dict[str, bool] = {}
    for line in text.splitlines():
        found = re.match(r".*pasted\.yaml:\d+: (ok|FAIL) (.*)$", line)
        if found:
            results[found.group(2)] = found.group(1) == "ok"
    assert results, text
    return results
