"""JSON text at the input boundary: duplicate keys, overlong integers, deep nesting."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from udbudsregler.diagnostics import FactError
from udbudsregler.runtime.inputs import MAX_DEPTH, read_json
from udbudsregler.values.convert import kind_of


def test_read_json_reads_fractions_as_decimals() -> None:
    assert read_json('{"a": 1.50, "b": [1, 2e3], "c": null}') == {
        "a": Decimal("1.50"), "b": [1, Decimal("2E+3")], "c": None}


def test_12_6_huge_integer_in_json_names_its_path() -> None:
    with pytest.raises(FactError) as caught:
        read_json('{"offers": [{"weekly_hours": 1' + "0" * 5000 + "}]}", "order")
    [problem] = caught.value.problems
    assert (problem.code, problem.path) == ("UDB610", "order.offers[0].weekly_hours")
    assert "5,001 characters" in problem.message


def test_12_7_deep_nesting_is_an_error_not_a_recursion_error() -> None:
    for depth in (MAX_DEPTH + 5, 100_000):
        with pytest.raises(FactError) as caught:
            read_json('{"a": ' + "[" * depth + "]" * depth + "}")
        assert caught.value.problems[0].code == "UDB610"
        assert "nested more than 64 levels" in caught.value.problems[0].message


def test_12_24_duplicate_keys_in_json_name_their_paths() -> None:
    text = '{"a": 1, "b": [{"from": "2019-01-01", "from": "2019-02-01"}], "a": 2}'
    with pytest.raises(FactError) as caught:
        read_json(text)
    assert [(p.code, p.path) for p in caught.value.problems] == [
        ("UDB609", "a"), ("UDB609", "b[0].from")]


def test_read_json_leaves_syntax_errors_to_the_caller() -> None:
    with pytest.raises(json.JSONDecodeError):
        read_json("{")


def test_25_kind_of_is_short_for_any_value() -> None:
    assert len(kind_of(10**100_000)) < 60
    assert len(kind_of("x" * 10_000_000)) < 120
    assert kind_of(float("nan")) == "NaN (not a number)"
    assert kind_of(Decimal("-Infinity")) == "minus infinity"
    assert "set" in kind_of({1})
