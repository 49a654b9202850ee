"""The reviewers' section of docs/testing-toolkit.md shows what the commands print.

Each ``$ udbudsregler ...`` block of the section is run from the repository root; the
block's lines must appear in the output in order, where a line ``...`` stands for any
number of lines and times in seconds may differ. So the docs cannot drift from the
commands.
"""

from __future__ import annotations

import io
import re
import shlex

import pytest

from tests.smt.conftest import ROOT
from udbudsregler.cli.main import main

DOC = ROOT / "docs" / "testing-toolkit.md"
SECTION = "## For reviewers: proofs with an SMT solver"
_SECONDS = re.compile(r"\d+(\.\d+)? s\b")


def blocks() -> list[tuple[str, list[str]]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    out = []
    for block in re.findall(r"```\n(.*?)```", section, re.S):
        lines = block.rstrip("\n").splitlines()
        if lines and lines[0].startswith("$ udbudsregler "):
            out.append((lines[0][2:], lines[1:]))
    return out


def _norm(line: str) -> str:
    return _SECONDS.sub("N s", line.rstrip())


def matches(expected: list[str], actual: list[str]) -> str | None:
    """None if ``expected`` (with ``...`` wildcards) matches ``actual``, else why not."""
    position = 0
    skipping = False
    for line in expected:
        if line.strip() == "...":
            skipping = True
            continue
        want = _norm(line)
        if skipping:
            while position < len(actual) and _norm(actual[position]) != want:
                position += 1
            if position == len(actual):
                return f"not found after a `...`: {line!r}"
        elif position >= len(actual) or _norm(actual[position]) != want:
            got = actual[position] if position < len(actual) else "(end of output)"
            return f"expected {line!r}, got {got!r}"
        position += 1
        skipping = False
    if not skipping and position != len(actual):
        return f"more output than the docs show: {actual[position]!r}"
    return None


@pytest.mark.parametrize(("command", "expected"), blocks(), ids=lambda x: x
                         if isinstance(x, str) else "")
def test_reviewer_section_shows_what_the_commands_print(
        command: str, expected: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    main(shlex.split(command)[1:], out=out, err=out)
    problem = matches(expected, out.getvalue().splitlines())
    assert problem is None, f"{command}: {problem}\n--- output ---\n{out.getvalue()}"


def test_the_section_has_the_commands() -> None:
    commands = [c for c, _ in blocks()]
    assert any(c.startswith("udbudsregler analyze policies/") for c in commands)
    assert any("--exact" in c and "next-round" in c for c in commands)
    assert any("--exact" in c and "offer-window" in c for c in commands)
