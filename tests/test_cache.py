"""The compiled-policy cache: a policy loaded again comes from memory or disk while its
files are unchanged; any change of any of its files (an include, a base policy) compiles
it again; a damaged entry is ignored; a policy pickles and unpickles to an equal one."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import udbudsregler as ur
from udbudsregler import policy as facade
from udbudsregler.cache import cache_directory

ROOT = Path(__file__).resolve().parents[1]
CITIZEN = json.loads((ROOT / "examples" / "data" / "citizen.json").read_text(encoding="utf-8"))


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    folder = tmp_path / "slagelse"
    shutil.copytree(ROOT / "policies" / "slagelse-2019", folder)
    return folder


def test_a_second_load_is_the_same_policy(copy: Path) -> None:
    first = ur.load_policy(copy)
    assert ur.load_policy(copy) is first
    assert ur.load_policy(copy, cache=False) is not first


def test_a_changed_file_compiles_again(copy: Path) -> None:
    first = ur.load_policy(copy)
    part = copy / "maalgruppe.yaml"
    part.write_text(part.read_text(encoding="utf-8").replace("value: 30", "value: 25"),
                    encoding="utf-8")
    second = ur.load_policy(copy)
    assert second is not first
    assert second.content_hash != first.content_hash
    assert second.tender_value("min_age", date(2019, 2, 1)) == 25


def test_a_new_process_reads_the_disk_cache(copy: Path) -> None:
    ur.load_policy(copy)
    folder = cache_directory()
    assert folder is not None and any(folder.glob("*.pickle"))
    script = ("import sys, udbudsregler as ur\n"
              "from udbudsregler import policy as facade\n"
              "import udbudsregler.stages as stages\n"
              "calls = []\n"
              "original = stages.run_stages\n"
              "facade.run_stages = lambda *a, **k: calls.append(1) or original(*a, **k)\n"
              f"p = ur.load_policy({str(copy)!r})\n"
              "print(p.id, len(calls))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["slagelse-2019", "0"], done.stderr


def test_a_damaged_entry_is_ignored(copy: Path) -> None:
    ur.load_policy(copy)
    facade.CACHE.clear()
    folder = cache_directory()
    assert folder is not None
    for entry in folder.glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    policy = ur.load_policy(copy)
    assert policy.decide(CITIZEN, on=date(2019, 2, 1)).eligible


def test_the_cache_can_be_turned_off(copy: Path, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path) -> None:
    monkeypatch.setenv("UDBUDSREGLER_CACHE", "off")
    assert cache_directory() is None
    facade.CACHE.clear()
    ur.load_policy(copy)
    assert not list(tmp_path.glob("**/*.pickle"))


def test_a_policy_pickles_to_an_equal_policy() -> None:
    policy = ur.load_policy(ROOT / "policies" / "koebenhavn-2024")
    copy = pickle.loads(pickle.dumps(policy))
    assert copy.content_hash == policy.content_hash
    assert copy.graph.nodes.keys() == policy.graph.nodes.keys()
    assert copy.code.source == policy.code.source
    decision = ur.load_policy(ROOT / "policies" / "slagelse-2019").decide(
        CITIZEN, on=date(2019, 2, 1))
    again = pickle.loads(pickle.dumps(decision))
    assert again.to_dict() == decision.to_dict()
    assert again.explain() == decision.explain()
