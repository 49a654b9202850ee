"""Issue 12, hostile and careless policies: never a crash, a hang or a silent acceptance.

Each test is named after the item of the issue it reproduces (``test_12_<item>_...``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import udbudsregler as ur
from udbudsregler.diagnostics import Diagnostic
from udbudsregler.stages import run_stages

HEADER = """\
policy:
  id: mini
  title: Mini
  authority: Test
  valid: {from: 2019-02-01, to: 2021-01-31}
  month_end: clamp
  rounding: {unit: 0.01, mode: half_up}
"""

GROUP = """\
target_groups:
  g:
    title: G
    criteria:
      all:
        - id: c
          title: C
          when: ok
"""


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def diagnostics(path: Path) -> list[Diagnostic]:
    return run_stages(path).bag.sorted()


def located(path: Path) -> list[tuple[str, int, int]]:
    """(code, line, column) of every error; each must have a position."""
    out = []
    for d in diagnostics(path):
        if d.is_error:
            assert d.span is not None, d.render()
            out.append((d.code, d.span.line, d.span.column))
    return out


def test_12_01_a_policy_without_facts_decides(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "facts: {}\nrules:\n  ok: \"true\"\n" + GROUP)
    policy = ur.load_policy(path)
    decision = policy.decide({}, on=date(2019, 3, 1))
    assert decision.eligible and decision.target_groups == ("g",)
    with pytest.raises(ur.FactError):
        policy.decide({"age": 3}, on=date(2019, 3, 1))


def test_12_20_names_ids_and_choice_values_with_a_trailing_newline_are_refused(
        tmp_path: Path) -> None:
    path = write(tmp_path, """\
policy:
  id: "mini\\n"
  title: Mini
  authority: Test
  valid: {from: 2019-02-01, to: 2021-01-31}
facts:
  "age\\n": int
  kind: {type: enum, values: ["a\\n", b]}
rules:
  ok: "true"
target_groups:
  g:
    title: G
    criteria:
      all:
        - {id: "c\\n", title: C, when: ok}
invariants:
  - {id: "i\\n", title: I, holds: ok}
""")
    found = diagnostics(path)
    assert [(d.code, d.span.line if d.span else 0) for d in found if d.is_error] == [
        ("UDB205", 2), ("UDB205", 7), ("UDB205", 8), ("UDB205", 16), ("UDB205", 18)]
    # The newline is shown, not printed: every message stays one line.
    for d in (d for d in found if d.is_error):
        assert "\n" not in d.message and "\\n`" in d.message, d.message


def _with_rule(tmp_path: Path, expression: str, extra: str = "") -> Path:
    return write(tmp_path, HEADER + f"rules:\n  ok: \"{expression}\"\n" + extra + GROUP)


@pytest.mark.parametrize("expression", [
    "9" * 5000 + " > 1",                         # an integer Python will not convert
    "today + " + "4" * 4400 + " days > today",   # ... as the amount of a duration
    "0." + "0" * 3000 + "1 DKK > 0 DKK",         # 3,000 decimal places
])
def test_12_03_a_number_of_thousands_of_digits_is_a_located_error(
        tmp_path: Path, expression: str) -> None:
    path = _with_rule(tmp_path, expression)
    assert [code for code, *_ in located(path)] == ["UDB314"]


@pytest.mark.parametrize(("expression", "duration"), [
    ("length(period(today - 1000000000 days, today)) > 1 days", "1000000000 days"),
    ("today + 99999999999 days > today", "99999999999 days"),
    ("today + 10001 years > today", "10001 years"),
])
def test_12_04_a_duration_longer_than_the_calendar_is_a_located_error(
        tmp_path: Path, expression: str, duration: str) -> None:
    path = _with_rule(tmp_path, expression)
    assert located(path) == [("UDB314", 9, 8 + expression.index(duration))]


def test_12_04_a_duration_within_the_limit_that_leaves_the_calendar_is_an_evaluation_error(
        tmp_path: Path) -> None:
    policy = ur.load_policy(_with_rule(tmp_path, "today - 3652425 days < today"))
    with pytest.raises(ur.EvaluationError) as error:
        policy.decide({}, on=date(2019, 3, 1))
    assert error.value.code == "UDB701"
