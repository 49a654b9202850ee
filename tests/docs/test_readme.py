"""The README's first two commands and its synopsis of the command line.

The first command creates `.venv`, installs the library and decides a case; the
second runs the whole test suite. Neither can run as written inside the test suite
(a second `.venv`, and this very test run again), so what they run is tested here:
the decision runs with the core dependencies only, and `run-tests` runs the checks
the README lists, on folders that exist.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from docs_harness import Block, parse_page

from udbudsregler.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = parse_page(ROOT / "README.md")


def _blocks(info: str) -> list[Block]:
    return [b for b in README.blocks() if b.info == info]


def test_the_first_command_sets_up_and_decides() -> None:
    first = _blocks("sh")[0]
    assert len(first.lines) == 1
    steps = [shlex.split(step) for step in first.lines[0].split("&&")]
    assert steps[0] == ["python3", "-m", "venv", ".venv"]
    assert steps[1][:2] == [".venv/bin/pip", "install"] and steps[1][-2:] == ["-e", "."], (
        "the README installs the library without extras: it needs only its core dependencies")
    decide = steps[2]
    assert decide[:2] == [".venv/bin/udbudsregler", "decide"]
    # Without the testing extra (hypothesis, pytest), the decision still runs.
    code = ("import sys\n"
            "sys.modules.update(hypothesis=None, pytest=None)\n"
            "from udbudsregler.cli.main import main\n"
            f"sys.exit(main({decide[1:]!r}))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Afgørelse efter Slagelse Kommune")
    assert "Resultat: Borgeren er i målgruppen" in done.stdout


def test_the_core_install_is_the_core_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {re.split(r"[<>=\[ ]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    assert names == {"pyyaml", "lark", "pydantic"}


def test_run_tests_runs_what_the_readme_says() -> None:
    assert _blocks("sh")[1].lines == ("./run-tests",)
    script = ROOT / "run-tests"
    assert script.stat().st_mode & 0o111, "run-tests must be executable"
    subprocess.run(["sh", "-n", str(script)], check=True)
    text = script.read_text(encoding="utf-8")
    # "sets up `.venv` itself" with the development extra
    assert "-m venv .venv" in text and "-e '.[dev]'" in text
    # "ruff, mypy, the policies' YAML cases and invariants through the command line,
    # then pytest"
    commands = [line.split(";", 1)[-1].strip() for line in text.splitlines()
                if line.startswith("echo ")]
    assert [c.split()[0] for c in commands] == [
        ".venv/bin/ruff", ".venv/bin/mypy", ".venv/bin/udbudsregler", ".venv/bin/python"]
    ruff = shlex.split(commands[0])
    assert ruff[1] == "check"
    for folder in ruff[2:]:
        assert (ROOT / folder).is_dir(), f"run-tests lints {folder}, which does not exist"
    assert shlex.split(commands[2])[1:] == ["test", "policies/"]
    assert shlex.split(commands[3])[1:3] == ["-m", "pytest"]
    # CI runs exactly this command
    assert "./run-tests" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _synopsis() -> list[list[str]]:
    """The README's synopsis of the command line, one list of words per command."""
    block = next(b for b in _blocks("sh") if b.lines[0].startswith("udbudsregler check"))
    commands: list[list[str]] = []
    for line in block.lines:
        words = line.split("#", 1)[0].split()
        if words and words[0] == "udbudsregler":
            commands.append(words[1:])
        elif words:
            commands[-1] += words
    return commands


def _subcommands() -> dict[str, set[str]]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    choices = action.choices
    assert isinstance(choices, dict)
    return {name: {opt for a in sub._actions for opt in a.option_strings}
            for name, sub in choices.items()}


@pytest.mark.parametrize("words", _synopsis(), ids=lambda w: w[0])
def test_the_synopsis_shows_real_options(words: list[str]) -> None:
    options = _subcommands()[words[0]]
    shown = {w.strip("[]") for w in words[1:] if w.strip("[]").startswith("--")}
    assert shown <= options, f"not options of `{words[0]}`: {sorted(shown - options)}"


def test_the_synopsis_shows_every_command() -> None:
    """Each command at least once (`decide` and `diff` have a line per form), and none the
    program does not have."""
    assert sorted({w[0] for w in _synopsis()}) == sorted(_subcommands())
