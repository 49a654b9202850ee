"""Puts this folder on ``sys.path`` so the tests can import ``docs_harness`` whatever
pytest's import mode; one sandbox template per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from docs_harness import make_template  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
#: What the pages run against: everything they name.
PARTS = ("README.md", "pyproject.toml", "run-tests", "docs", "examples", "policies",
         "tests/corpus")


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(ROOT, tmp_path_factory.mktemp("docs") / "repo", PARTS)
