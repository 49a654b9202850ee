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


# -- durations and amounts of the tender (items 5, 18, 19) --------------------------------

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ROOT / "policies" / "slagelse-2019"
REFERRAL = {"id": "R-02", "start": "2019-02-01", "package": "individuelt_forloeb",
            "area": "aktivitetsparate", "supplier": "marselisborg"}
SELF_SUPPORT = [{"kind": "selvforsoergende", "from": "2020-01-16", "to": None}]


def slagelse_with(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of Slagelse 2019 with one text replaced in one file."""
    import shutil

    folder = tmp_path / "slagelse"
    if not folder.exists():
        shutil.copytree(SLAGELSE, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("file", "old", "new", "line", "column"), [
    ("levering.yaml", "aftercare: 4 months", "aftercare: 0 days", 43, 14),
    ("levering.yaml", "aftercare: 4 months", "aftercare: -4 months", 43, 14),
    ("betaling.yaml", "value: 4 months", "value: -4 months", 22, 12),  # bonus `lasting`
    ("betaling.yaml", "value: 4 months", "value: 101 years", 22, 12),
    ("levering.yaml", "  max_duration: 2 years\n  ends_on", "  max_duration: 0 weeks\n  ends_on",
     41, 17),
])
def test_12_05_durations_settle_cannot_use_are_check_errors(
        tmp_path: Path, file: str, old: str, new: str, line: int, column: int) -> None:
    folder = slagelse_with(tmp_path, file, old, new)
    assert located(folder) == [("UDB433", line, column)]
    with pytest.raises(ur.PolicyError):
        ur.load_policy(folder)


def test_12_05_a_bonus_period_beyond_the_limit_and_a_huge_bonus_are_check_errors(
        tmp_path: Path) -> None:
    slagelse_with(tmp_path, "betaling.yaml", "value: 4 months", "value: 99999999 months")
    folder = slagelse_with(tmp_path, "betaling.yaml", "value: 25000.00 DKK",
                           "value: " + "9" * 4301 + " DKK")
    assert located(folder) == [("UDB314", 18, 12), ("UDB314", 22, 12)]


def test_12_05_a_duration_only_settlement_can_tell_is_an_evaluation_error(
        tmp_path: Path) -> None:
    folder = slagelse_with(tmp_path, "levering.yaml", "aftercare: 4 months",
                           "aftercare: 1 month - 40 days")
    policy = ur.load_policy(folder)
    with pytest.raises(ur.EvaluationError) as error:
        policy.settle(REFERRAL, SELF_SUPPORT, until=date(2021, 6, 30))
    assert error.value.code == "UDB705"


def test_12_05_a_referral_at_the_end_of_the_calendar_is_refused_not_a_crash(
        tmp_path: Path) -> None:
    """Dates of the inputs lie in 1850-2200 (host input limits), so a referral near the
    end of the calendar is a fact error at its start; no settlement reaches 9999-12-31."""
    folder = slagelse_with(tmp_path, "policy.yaml", "to: 2021-12-31", "to: 9999-12-31")
    policy = ur.load_policy(folder)
    late = {**REFERRAL, "start": "9999-06-01"}
    with pytest.raises(ur.FactError) as error:
        policy.settle(late, [], until=date(9999, 12, 31))
    assert [(p.code, p.path) for p in error.value.problems] == [("UDB603", "referral.start")]


def test_12_18_a_negative_referral_duration_is_a_check_error(tmp_path: Path) -> None:
    folder = slagelse_with(tmp_path, "levering.yaml", "  max_duration: 2 years\n  ends_on",
                           "  max_duration: -2 years\n  ends_on")
    [error] = [d for d in diagnostics(folder) if d.is_error]
    assert error.code == "UDB433" and error.span is not None
    assert (error.span.line, error.span.column) == (41, 17)
    assert error.message == "`referral.max_duration` is -2 years; it must be longer than zero"


@pytest.mark.parametrize("unit", ["1e400", "1e999999999", "1e-999999999", "0." + "0" * 2999 + "1",
                                  "100.5", "0.00000000001"])
def test_12_19_a_rounding_unit_that_rounds_everything_away_is_refused(
        tmp_path: Path, unit: str) -> None:
    folder = slagelse_with(tmp_path, "policy.yaml", "unit: 0.01", f"unit: {unit}")
    [error] = [d for d in diagnostics(folder) if d.is_error]
    assert error.code == "UDB204" and error.span is not None
    assert (error.span.line, error.span.column) == (24, 20)
    assert "must be at most 100, with at most 10 decimal places" in error.message
    assert len(error.message) < 120


@pytest.mark.parametrize("unit", ["1", "0.05", "100", "0.0100000000000000", "1e2"])
def test_12_19_rounding_units_within_the_limits_still_check(tmp_path: Path, unit: str) -> None:
    folder = slagelse_with(tmp_path, "policy.yaml", "unit: 0.01", f"unit: {unit}")
    assert located(folder) == []
    settlement = ur.load_policy(folder).settle(REFERRAL, SELF_SUPPORT, until=date(2021, 6, 30))
    assert settlement.total > 0
