"""The command line of the SMT analysis, and `udbudsregler test` on a folder without
test cases."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from tests.smt.conftest import ROOT
from udbudsregler.cli.main import main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out, err=out)
    return code, out.getvalue()


def test_analyze_exit_codes() -> None:
    code, text = run("analyze", str(ROOT / "policies/slagelse-2019"))
    assert code == 0 and "0 errors, 0 warnings" in text
    code, text = run("analyze", str(ROOT / "tests/smt/variants/gap.yaml"), "--json")
    assert code == 1
    found = json.loads(text)
    assert {f["check"] for f in found["findings"] if f["level"] == "error"} == {"gap",
                                                                               "invariant"}


def test_bad_limits_are_input_errors() -> None:
    assert run("analyze", str(ROOT / "policies/slagelse-2019"), "-k", "-1")[0] == 2
    assert run("diff", "a", "b", "--exact", "--timeout", "0")[0] == 2


def test_diff_exact_json() -> None:
    code, text = run("diff", str(ROOT / "policies/slagelse-2019"),
                     str(ROOT / "examples/next-round"), "--exact", "--json")
    assert code == 0
    report = json.loads(text)
    assert report["verdict"] == "different" and report["complete"]
    assert [k["criterion"] for k in report["kinds"]] == ["over_30"]


def test_a_folder_without_cases_checks_its_invariants(tmp_path: Path) -> None:
    code, text = run("test", str(ROOT / "examples/offer-window"), "--examples", "5")
    assert code == 0
    assert "no test cases; checking its 6 invariants" in text
    assert "6 of 6 invariants hold" in text
    empty = tmp_path / "empty"
    shutil.copytree(ROOT / "policies/slagelse-2019", empty, ignore=shutil.ignore_patterns(
        "tests", "invarianter.yaml"))
    main_file = empty / "policy.yaml"
    main_file.write_text(main_file.read_text(encoding="utf-8").replace(
        "  - invarianter.yaml\n", ""), encoding="utf-8")
    code, text = run("test", str(empty))
    assert code == 1 and "UDB802" in text
