"""`udbudsregler test` and `pytest` leave nothing in the author's folders: no
`.hypothesis/`, no `.pytest_cache/` (testing/storage.py, the pytest plugin)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from udbudsregler.testing.storage import cache_dir

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "HYPOTHESIS_", "UDBUDSREGLER_"))}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return env


@pytest.fixture
def author(tmp_path: Path) -> tuple[Path, Path]:
    """An author's folder with a policy in it, and the folder the author works in."""
    policy = tmp_path / "politikker" / "slagelse"
    shutil.copytree(ROOT / "policies" / "slagelse-2019", policy)
    return policy, tmp_path / "politikker"


def _left_behind(*folders: Path) -> list[str]:
    return sorted(str(p) for folder in folders for p in folder.rglob("*")
                  if p.name in (".hypothesis", ".pytest_cache"))


def test_udbudsregler_test_leaves_no_cache_behind(author: tuple[Path, Path],
                                                  tmp_path: Path) -> None:
    _, here = author
    done = subprocess.run([str(BIN / "udbudsregler"), "test", "slagelse", "--examples", "5"],
                          cwd=here, env=_env(tmp_path), capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 of 6 invariants hold" in done.stdout
    assert _left_behind(here) == []
    assert (tmp_path / "cache" / "udbudsregler" / "hypothesis").is_dir()


def test_pytest_on_a_policy_folder_leaves_no_cache_behind(author: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    _, here = author
    done = subprocess.run([sys.executable, "-m", "pytest", "slagelse",
                           "--invariant-examples", "5", "-q"],
                          cwd=here, env=_env(tmp_path), capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "60 passed" in done.stdout
    assert _left_behind(tmp_path / "politikker") == []


def test_a_python_project_keeps_its_pytest_cache(author: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    _, here = author
    (here / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "slagelse/tests/fejl.yaml", "-q"],
                          cwd=here, env=_env(tmp_path), capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (here / ".pytest_cache").is_dir(), "a project's own pytest cache is left alone"


def test_the_cache_folder_follows_the_platform_and_can_be_set(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("UDBUDSREGLER_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("UDBUDSREGLER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform not in ("win32", "darwin"):
        assert cache_dir() == tmp_path / "xdg" / "udbudsregler"
