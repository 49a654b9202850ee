"""Issue 12, items 21 and 22: `extends:` is confined like `include:`, and its mistakes
are located."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

import udbudsregler as ur
from udbudsregler.cli.main import EXIT_FAILED, EXIT_INPUT, EXIT_OK, main
from udbudsregler.loader import Limits
from udbudsregler.loader.extends import policy_root
from udbudsregler.loader.validate import SECTIONS
from udbudsregler.stages import run_stages

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ROOT / "policies" / "slagelse-2019"
SECRET = "hunter2-do-not-show"
DERIVED = """\
extends: {ref}
policy:
  id: derived
  title: Derived round
  valid: {{from: 2022-01-01, to: 2025-12-31}}
"""


def derive(folder: Path, ref: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "policy.yaml").write_text(DERIVED.format(ref=ref), encoding="utf-8")
    return folder


def errors(path: Path, limits: Limits | None = None) -> list[tuple[str, int, int, str]]:
    state = run_stages(path, limits=limits)
    out = []
    for d in state.bag.sorted():
        if d.is_error:
            assert d.span is not None, d.render()
            out.append((d.code, d.span.line, d.span.column, d.render()))
    return out


def cli(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue() + err.getvalue()


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """rounds/{base,derived} side by side; secrets next to `rounds`, outside its tree."""
    shutil.copytree(SLAGELSE, tmp_path / "rounds" / "base")
    (tmp_path / "secret.yaml").write_text(f"password: {SECRET}\n", encoding="utf-8")
    (tmp_path / "rounds" / "secret").write_text(f"root:x:0:0:{SECRET}\n", encoding="utf-8")
    (tmp_path / "rounds" / "settings.yaml").write_text(
        f"password: {SECRET}\npolicy: {{id: x}}\nlist: [\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("ref", "code"), [
    ("../../secret.yaml", "UDB114"),       # outside the root (the folder holding the rounds)
    ("/etc/passwd", "UDB114"),             # absolute
    (str(Path("/etc/passwd")), "UDB114"),
    ("../secret", "UDB116"),               # inside, but not a policy folder or .yaml file
    ("../settings.yaml", "UDB116"),        # a .yaml file that is not a policy
    ("../../../../../../../../../../etc/passwd", "UDB114"),
])
def test_12_21_extends_outside_root_is_refused(tree: Path, ref: str, code: str) -> None:
    derived = derive(tree / "rounds" / "derived", ref)
    [(found, line, column, text)] = errors(derived)
    assert (found, line, column) == (code, 1, 10)
    assert SECRET not in text and "root:x" not in text and "password" not in text
    status, output = cli("check", str(derived))
    assert status == EXIT_FAILED and SECRET not in output


def test_12_21_a_symlink_inside_the_root_to_a_file_outside_is_refused(tree: Path) -> None:
    link = tree / "rounds" / "link.yaml"
    try:
        link.symlink_to(tree / "secret.yaml")
    except OSError:  # pragma: no cover - a file system without symbolic links
        pytest.skip("no symbolic links here")
    derived = derive(tree / "rounds" / "derived", "../link.yaml")
    [(code, _, _, text)] = errors(derived)
    assert code == "UDB114" and SECRET not in text


def test_12_21_a_base_inside_the_root_still_works(tree: Path) -> None:
    derived = derive(tree / "rounds" / "derived", "../base")
    assert errors(derived) == []
    assert ur.load_policy(derived).id == "derived"


def test_12_21_the_policy_root_can_be_given(tree: Path) -> None:
    shutil.copytree(SLAGELSE, tree / "old-rounds" / "base")
    derived = derive(tree / "rounds" / "derived", "../../old-rounds/base")
    assert [e[0] for e in errors(derived)] == ["UDB114"]
    assert errors(derived, Limits(policy_root=str(tree))) == []
    assert ur.load_policy(derived, Limits(policy_root=str(tree))).id == "derived"
    assert cli("check", str(derived), "--policy-root", str(tree))[0] == EXIT_OK
    status, output = cli("check", str(derived), "--policy-root", str(tree / "nowhere"))
    assert status == EXIT_INPUT and "no such folder" in output
    # a root that does not hold the base refuses it, whatever the default would be
    assert [e[0] for e in errors(derived, Limits(policy_root=str(tree / "rounds")))] == [
        "UDB114"]


def test_12_21_the_default_root_is_the_checkout_or_the_folder_above(tmp_path: Path) -> None:
    policy = tmp_path / "a" / "b" / "round"
    policy.mkdir(parents=True)
    assert policy_root(policy) == (tmp_path / "a" / "b").resolve()
    (tmp_path / "a" / ".git").mkdir()
    assert policy_root(policy) == (tmp_path / "a").resolve()
    assert policy_root(policy / "policy.yaml") == (tmp_path / "a").resolve()


def test_12_21_a_broken_base_policy_is_named_not_shown(tree: Path) -> None:
    base = tree / "rounds" / "base"
    (base / "policy.yaml").write_text(f"policy: [\n# {SECRET}\n", encoding="utf-8")
    derived = derive(tree / "rounds" / "derived", "../base")
    [(code, _, _, text)] = errors(derived)
    assert code == "UDB116" and "cannot be loaded (1 error)" in text
    assert "udbudsregler check" in text and SECRET not in text


def test_12_21_mistakes_of_a_base_policy_are_still_reported(tree: Path) -> None:
    base = tree / "rounds" / "base" / "maalgruppe.yaml"
    base.write_text(base.read_text(encoding="utf-8").replace("when: age >= min_age",
                                                             "when: agee >= min_age"), "utf-8")
    derived = derive(tree / "rounds" / "derived", "../base")
    [(code, line, column, text)] = errors(derived)
    assert (code, line, column) == ("UDB401", 74, 17) and "maalgruppe.yaml" in text


def test_12_21_the_keys_a_base_may_have_are_the_policy_sections() -> None:
    from udbudsregler.loader import extends

    assert set(SECTIONS) | {"include", "extends", "criteria"} == extends._POLICY_KEYS


def test_12_22_an_extends_cycle_through_a_file_path_is_udb108(tmp_path: Path) -> None:
    derived = derive(tmp_path / "a", "policy.yaml")
    [(code, line, column, text)] = errors(derived)
    assert (code, line, column) == ("UDB108", 1, 10)
    assert "`policy.yaml -> policy.yaml`" in text
    derive(tmp_path / "b", "../c/policy.yaml")
    derive(tmp_path / "c", "../b")
    [(code, line, column, text)] = errors(tmp_path / "b")
    assert (code, line, column) == ("UDB108", 1, 10)  # in c, where the cycle closes
    assert "c/policy.yaml:1:10: error UDB108" in text
    assert "`policy.yaml -> ../c/policy.yaml -> policy.yaml`" in text


def test_12_22_extends_of_a_folder_without_policy_yaml_is_located(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    derived = derive(tmp_path / "a", "../empty")
    [(code, line, column, text)] = errors(derived)
    assert (code, line, column) == ("UDB107", 1, 10)
    assert "the base policy folder `../empty` has no `policy.yaml`" in text


def test_12_22_a_base_that_is_a_pipe_is_refused_without_waiting(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):  # pragma: no cover - Windows
        pytest.skip("no named pipes here")
    os.mkfifo(tmp_path / "pipe.yaml")
    derived = derive(tmp_path / "a", "../pipe.yaml")
    [(code, _, _, text)] = errors(derived)
    assert code == "UDB116" and "cannot be loaded" in text


def test_12_22_a_long_chain_of_extends_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    from udbudsregler.loader.extends import MAX_EXTENDS

    for i in range(MAX_EXTENDS + 5):
        derive(tmp_path / f"p{i}", f"../p{i + 1}")
    shutil.copytree(SLAGELSE, tmp_path / f"p{MAX_EXTENDS + 5}")
    [(code, line, column, text)] = errors(tmp_path / "p0")
    assert (code, line, column) == ("UDB116", 1, 10)
    assert f"p{MAX_EXTENDS}/policy.yaml:1:10" in text
    assert f"more than {MAX_EXTENDS} levels deep" in text
    assert errors(tmp_path / "p6") == []  # a chain of 32 is fine


def test_12_includes_nested_beyond_the_limit_are_udb106(tmp_path: Path) -> None:
    from udbudsregler.loader.includes import MAX_INCLUDE_DEPTH

    for i in range(MAX_INCLUDE_DEPTH + 10):
        name = "policy.yaml" if i == 0 else f"f{i}.yaml"
        (tmp_path / name).write_text(f"include: [f{i + 1}.yaml]\nrules:\n  r{i}: \"1\"\n",
                                     encoding="utf-8")
    [(code, line, column, text)] = errors(tmp_path)
    assert (code, line, column) == ("UDB106", 1, 11)
    assert f"f{MAX_INCLUDE_DEPTH - 1}.yaml:1:11" in text
