"""``mypy --strict`` on a host's code sees the library as installed for development
(issue 11, item 6): ./run-tests installs it with ``editable_mode=compat`` (a path entry,
not setuptools' import hook, which mypy cannot follow; see docs/typing.md). A host file
type-checks, and a wrong use of a Literal status or an optional result is caught."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HOST = '''\
from datetime import date
from decimal import Decimal

import udbudsregler as ur
from udbudsregler.runtime.routing import PackageStatus


def run(path: str) -> list[dict[str, object]]:
    policy: ur.Policy = ur.load_policy(path)
    decision: ur.Decision = policy.decide({}, on=date(2024, 3, 1))
    area: str | None = decision.area
    status: PackageStatus | None = (decision.package_choice.status
                                    if decision.package_choice else None)
    settlement: ur.Settlement = policy.settle({}, [], until="2024-12-31")
    total: Decimal = settlement.total
    replayed: ur.Replay = ur.replay(decision.to_dict(compact=True), policy)
    print(area, status, total, replayed.same)
    return [line.to_dict() for line in settlement.lines]
'''

WRONG = '''\
import udbudsregler as ur

decision = ur.load_policy("p").decide({}, on="2024-03-01")
area: str = decision.area
if decision.package_choice is not None and decision.package_choice.status == "accepted":
    pass
'''


def _mypy(folder: Path, text: str) -> subprocess.CompletedProcess[str]:
    (folder / "host.py").write_text(text, encoding="utf-8")
    # run from the host's folder, so that only the installed library can be found
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                           "host.py"], cwd=folder, capture_output=True, text=True,
                          check=False)


def test_mypy_strict_sees_the_installed_library(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    done = _mypy(tmp_path, HOST)
    assert done.returncode == 0, done.stdout + done.stderr
    wrong = _mypy(tmp_path, WRONG)
    assert wrong.returncode == 1
    assert "import-not-found" not in wrong.stdout
    assert 'has type "str | None", variable has type "str"' in wrong.stdout
    assert "Non-overlapping equality check" in wrong.stdout  # "accepted" is no status
