"""`udbudsregler diff --exact`: the exact band of the min_age and offer-window changes,
their witnesses and border citizens as test cases, and completeness."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from tests.smt.conftest import copy_tree, difference, run_cases

SLAGELSE = "policies/slagelse-2019"


def test_min_age_change_has_one_exact_band() -> None:
    report = difference(SLAGELSE, "examples/next-round")
    assert report.verdict == "different" and report.complete
    (kind,) = report.kinds
    assert (kind.criterion, kind.old, kind.new) == ("over_30", False, True)
    assert kind.effect.startswith("becomes eligible")
    (band,) = kind.bands
    # on 2022-01-01: born 1992-01-02 (29 years old) to 1997-01-01 (25 today)
    assert (band.path, band.low, band.high, band.exact) == (
        "birth_date", date(1992, 1, 2), date(1997, 1, 1), True)
    assert kind.witness is not None and kind.witness["birth_date"] == date(1997, 1, 1)
    assert {moved.split(" ")[1] for moved, _, _ in kind.borders} == {"1992-01-01", "1997-01-02"}
    text = report.render()
    assert "from 29 years, 11 months and 30 days before the decision date to 25 years " \
        "before the decision date" in text
    assert "No other differences up to K = 4 periods (proved)." in text
    assert "bonuses.fuld_selvforsoergelse.lasting: 4 months -> 3 months" in text


def test_offer_window_change_has_one_exact_band() -> None:
    report = difference(SLAGELSE, "examples/offer-window")
    assert report.verdict == "different" and report.complete
    (kind,) = report.kinds
    assert (kind.criterion, kind.old, kind.new) == ("praktik_eller_loentilskud", False, True)
    (band,) = kind.bands
    assert (band.path, band.low, band.high, band.exact) == (
        "offers[0].to", date(2019, 1, 1), date(2019, 12, 31), True)
    assert "from 3 years before the decision date to 2 years and 1 day before the decision " \
        "date" in report.render()


def test_identical_rounds() -> None:
    report = difference(SLAGELSE, SLAGELSE)
    assert report.verdict == "identical"
    assert "decide identically for every citizen (proved, up to K = 4 periods)" in \
        report.render()


def test_a_difference_no_criterion_explains() -> None:
    report = difference("policies/koebenhavn-2024", "tests/smt/rounds/priority.yaml")
    assert report.complete
    assert [k.criterion for k in report.kinds] == [""]
    assert report.kinds[0].effect == "changes service area: sygemeldte -> udsatte"


def _names(cases: list[str]) -> list[str]:
    return [re.search(r'- name: "(.*)"', c).group(1) for c in cases]  # type: ignore[union-attr]


def test_witness_and_border_cases_pass_or_fail_as_claimed(tmp_path: Path) -> None:
    for new in ("examples/next-round", "examples/offer-window"):
        report = difference(SLAGELSE, new)
        (kind,) = report.kinds
        witness, borders = kind.witness_case, [case for _, _, case in kind.borders]
        assert len(borders) == 2
        copy_tree(tmp_path / new, SLAGELSE, new)
        root = tmp_path / new
        # the new round passes all; the old one fails the witness, passes the borders (on
        # the copy of the old round, valid on the new round's date, as the diff decides it)
        on_new = run_cases(root / new, [witness, *borders])
        main = root / SLAGELSE / "policy.yaml"
        text = main.read_text(encoding="utf-8")
        main.write_text(text.replace("valid: {from: 2019-01-01, to: 2021-12-31}",
                                     "valid: {from: 2019-01-01, to: 2025-12-31}"),
                        encoding="utf-8")
        on_old = run_cases(root / SLAGELSE, [witness, *borders])
        names = _names([witness, *borders])
        assert on_new == dict.fromkeys(names, True)
        assert on_old == {names[0]: False, **dict.fromkeys(names[1:], True)}
