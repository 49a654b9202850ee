"""`udbudsregler fmt` (one layout, comments and meaning kept) and `udbudsregler new` (a
skeleton that passes check and test)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from policy_folders import POLICY_FOLDERS

from udbudsregler.cli.fmt import FormatError, format_text
from udbudsregler.cli.main import EXIT_INPUT, main
from udbudsregler.diagnostics import DiagnosticBag
from udbudsregler.loader.includes import load_policy_source
from udbudsregler.loader.yaml_loader import load_yaml_text

ROOT = Path(__file__).resolve().parents[2]
#: Every policy folder of the repository (policies/ and examples/).
POLICIES = POLICY_FOLDERS


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def _files(policy: Path) -> list[Path]:
    source = load_policy_source(policy, DiagnosticBag())
    assert source is not None
    return [file.path for file in source.files]


def _data(text: str) -> object:
    loaded = load_yaml_text(text, "x.yaml", DiagnosticBag())
    assert loaded is not None
    return loaded[0]


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_policy_in_the_repository_is_formatted(policy: Path) -> None:
    code, out, _ = _run("fmt", str(policy), "--check")
    assert (code, out) == (0, ""), out


@pytest.mark.parametrize("file", [f for p in POLICIES for f in _files(p)],
                         ids=lambda f: f"{f.parent.name}/{f.name}")
def test_formatting_keeps_data_and_comments_and_is_idempotent(file: Path) -> None:
    text = file.read_text(encoding="utf-8")
    once = format_text(text, file.name)
    assert _data(once) == _data(text)
    assert _comments(once) == _comments(text)
    assert format_text(once, file.name) == once


MESSY = """\
# Slagelse, skrevet i hånden
policy:
  title: Demo
  id: demo   # the id: a comment in the mapping keeps its order
  valid:
    to: 2021-12-31
    from: 2019-01-01
  rounding:
    mode: half_up
    unit: 0.01
parameters:
  weekly_price:
    note: PLADSHOLDER.
    values:
    - value: 1850.00 DKK
      from: 2019-01-01
    title: Ugepris
  min_age:
    # a comment between keys keeps this order
    value: 30
    title: Mindstealder
service_areas:
  a:
    suppliers:
      - name: Leverandør A
        id: a1
    title: Område
    serves: [x, y]
"""

CANONICAL = """\
# Slagelse, skrevet i hånden
policy:
  title: Demo
  id: demo   # the id: a comment in the mapping keeps its order
  valid: {from: 2019-01-01, to: 2021-12-31}
  rounding: {unit: 0.01, mode: half_up}
parameters:
  weekly_price:
    title: Ugepris
    values:
      - {from: 2019-01-01, value: 1850.00 DKK}
    note: PLADSHOLDER.
  min_age:
    # a comment between keys keeps this order
    value: 30
    title: Mindstealder
service_areas:
  a:
    title: Område
    serves: [x, y]
    suppliers:
      - {id: a1, name: Leverandør A}
"""


def test_one_canonical_layout() -> None:
    assert format_text(MESSY) == CANONICAL
    assert format_text(CANONICAL) == CANONICAL


GENERAL = """\
facts:
  avstand:
    type: list
    title: Avstånd
    fields:
      km:
        min: 0
        title: Avstånd i kilometer
        type: decimal
service_areas:
  a:
    title: Område
    serves: [x]
    suppliers:
      - {id: a1, name: Leverantör 1}
    selection:
      reading: Närmast.
      distance: min(a.km for a in avstand else 0)
      strategy: nearest
      only: count(a in avstand) > 0
      citizen_choice: true
price_models:
  m:
    results:
      resultat:
        tiers:
          snabbt:
            amount: 100.00 SEK
            within: 3 months
            title: Snabbt
        title: Resultat
        outcome: arbete
    payments:
      grund:
        amount: 10.00 SEK
        per: month
        title: Grund
    caps:
      max_amount: 1000.00 SEK
    title: Modell
"""

GENERAL_CANONICAL = """\
facts:
  avstand:
    type: list
    title: Avstånd
    fields:
      km:
        type: decimal
        title: Avstånd i kilometer
        min: 0
service_areas:
  a:
    title: Område
    serves: [x]
    suppliers:
      - {id: a1, name: Leverantör 1}
    selection:
      citizen_choice: true
      strategy: nearest
      only: count(a in avstand) > 0
      distance: min(a.km for a in avstand else 0)
      reading: Närmast.
price_models:
  m:
    title: Modell
    caps: {max_amount: 1000.00 SEK}
    payments:
      grund:
        title: Grund
        per: month
        amount: 10.00 SEK
    results:
      resultat:
        title: Resultat
        outcome: arbete
        tiers:
          snabbt:
            title: Snabbt
            within: 3 months
            amount: 100.00 SEK
"""


def test_fields_selection_payments_results_and_tiers_have_their_order() -> None:
    assert format_text(GENERAL) == GENERAL_CANONICAL
    assert format_text(GENERAL_CANONICAL) == GENERAL_CANONICAL


def test_check_lists_what_would_change_and_changes_nothing(tmp_path: Path) -> None:
    main_file = tmp_path / "policy.yaml"
    main_file.write_text(MESSY, encoding="utf-8")
    code, out, _ = _run("fmt", str(tmp_path), "--check")
    assert code == 1
    assert out == f"would reformat {main_file.as_posix()}\n"
    assert main_file.read_text(encoding="utf-8") == MESSY
    code, out, _ = _run("fmt", str(tmp_path))
    assert (code, out) == (0, f"reformatted {main_file.as_posix()}\n")
    assert main_file.read_text(encoding="utf-8") == CANONICAL
    assert _run("fmt", str(tmp_path), "--check")[:2] == (0, "")


def test_a_policy_with_mistakes_is_not_formatted(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("policy: {id: x\n", encoding="utf-8")
    code, _, err = _run("fmt", str(tmp_path))
    assert code == EXIT_INPUT
    assert err.startswith(f"error: {tmp_path}: the policy cannot be read")


def test_without_ruamel_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ruamel.yaml", None)
    monkeypatch.setitem(sys.modules, "ruamel", None)
    with pytest.raises(FormatError, match=r"pip install 'udbudsregler\[fmt\]'"):
        format_text("policy: {}\n")


def test_new_writes_a_skeleton_that_checks_and_tests(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "udbudsregler"
    folder = "Ny Politik"

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(exe), *argv], cwd=tmp_path, capture_output=True,
                              text=True, check=False)

    done = run("new", folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"wrote {folder}/policy.yaml", f"wrote {folder}/tests/eksempler.yaml",
        f"next: udbudsregler check {folder} && udbudsregler test {folder}"]
    assert "id: ny-politik" in (tmp_path / folder / "policy.yaml").read_text(encoding="utf-8")
    check = run("check", folder)
    assert check.returncode == 0 and check.stdout.endswith(
        "ok (stages run: load, validate, parse, graph, check, lower, codegen)\n"), check.stdout
    assert "warning" not in check.stdout
    test = run("test", folder, "--examples", "20")
    assert test.returncode == 0, test.stdout
    assert f"{folder}: 5 of 5 cases passed (ok)" in test.stdout
    assert f"{folder}: 2 of 2 invariants hold" in test.stdout
    assert run("fmt", folder, "--check").returncode == 0, "the skeleton is formatted"
    again = run("new", folder)
    assert again.returncode == EXIT_INPUT and "already exists" in again.stderr
