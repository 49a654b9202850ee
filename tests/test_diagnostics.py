"""The library's errors: one to_dict shape, picklable to equal objects, across processes."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import udbudsregler as ur
from udbudsregler.diagnostics import (
    Diagnostic,
    EvaluationError,
    FactError,
    FactProblem,
    PolicyError,
    Span,
    shown,
)

ROOT = Path(__file__).resolve().parents[1]
SLAGELSE = ROOT / "policies" / "slagelse-2019"
SHAPE = {"code", "path", "message", "hint"}
LOCATED = {"file", "line", "column", "end_line", "end_column"}


def _errors() -> list[ur.UdbudsreglerError]:
    span = Span("policy.yaml", 3, 7)
    return [
        FactError([FactProblem("UDB602", "offers[0].weekly_hours", "expected a number"),
                   FactProblem("UDB601", "birth_date", "missing", "a date")]),
        EvaluationError("UDB701", "a date falls outside the calendar", span, "rules/age",
                        {"birth_date": date(1900, 1, 1)}),
        EvaluationError("UDB703", "outside the validity", path="on"),
        PolicyError([Diagnostic("UDB401", "unknown name `agee`", span, "did you mean `age`?")]),
    ]


@pytest.mark.parametrize("error", _errors(), ids=lambda e: type(e).__name__)
def test_11_2_every_error_has_one_to_dict_shape(error: ur.UdbudsreglerError) -> None:
    data = error.to_dict()
    assert set(data) == {"error", "message", "problems"}
    assert data["error"] == type(error).__name__
    problems = data["problems"]
    assert isinstance(problems, list) and problems
    for problem in problems:
        assert set(problem) >= SHAPE, problem
        assert set(problem) - SHAPE <= LOCATED | {"expected", "severity", "notes"}, problem
        assert problem["hint"], problem


def test_11_2_located_problems_carry_file_line_column() -> None:
    evaluation, policy = _errors()[1], _errors()[3]
    for error in (evaluation, policy):
        [problem] = error.to_dict()["problems"]  # type: ignore[misc]
        assert (problem["file"], problem["line"], problem["column"]) == ("policy.yaml", 3, 7)


def test_11_2_evaluation_error_has_path_and_node_as_an_alias() -> None:
    error = EvaluationError("UDB703", "outside", node="referral.start")
    assert error.path == error.node == "referral.start"
    error.node = "on"
    assert error.path == "on"
    assert str(error) == "UDB703: outside (in `on`)"


@pytest.mark.parametrize("error", _errors(), ids=lambda e: type(e).__name__)
def test_11_2_every_error_pickles_to_an_equal_error(error: ur.UdbudsreglerError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy == error and hash(copy) == hash(error)
    assert str(copy) == str(error) and copy.to_dict() == error.to_dict()


def test_11_2_errors_differ_when_their_problems_differ() -> None:
    one = FactError([FactProblem("UDB602", "a", "x")])
    assert one != FactError([FactProblem("UDB602", "b", "x")])
    assert one != EvaluationError("UDB602", "x", path="a")


def _decide_record(record: dict[str, Any]) -> bool:
    policy = ur.load_policy(SLAGELSE)
    return policy.decide(record, on=date(2019, 2, 1)).eligible


def test_11_2_a_fact_error_crosses_a_process_pool_intact() -> None:
    import json

    good = json.loads((ROOT / "examples" / "data" / "citizen.json").read_text("utf-8"))
    bad = dict(good, birth_date="1975-02-30", visitation="ledig")
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_decide_record, record) for record in (good, bad, good)]
        assert futures[0].result() is True
        with pytest.raises(FactError) as caught:
            futures[1].result()
        assert futures[2].result() is True  # one bad record does not break the pool
    assert caught.value.paths == ("birth_date", "visitation")
    with pytest.raises(FactError) as here:
        _decide_record(bad)
    assert caught.value == here.value


def test_25_shown_truncates_and_escapes_surrogates() -> None:
    assert shown("abc") == "abc"
    long = shown("x" * 50_000_000)
    assert len(long) < 80 and "50,000,000 characters" in long
    assert shown("\ud800") == "\\ud800"
    shown("\ud800" * 100).encode("ascii")  # printable anywhere


def test_25_a_fact_error_message_is_bounded() -> None:
    problems = [FactProblem("UDB602", f"offers[{i}].kind", "bad") for i in range(500)]
    text = str(FactError(problems))
    assert text.count("\n") == FactError.SHOWN and text.endswith("... and 400 more")
