"""JSON text at the input boundary: duplicate keys, overlong integers, deep nesting."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from udbudsregler.diagnostics import FactError
from udbudsregler.runtime.inputs import MAX_DEPTH, population_line, read_json
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


# -- a line of a population file ----------------------------------------------------


def _problems(data: object) -> list[tuple[str, str, str]]:
    return [(p.path, p.code, p.message) for p in population_line(data).problems]


def test_a_population_line_is_facts_or_a_wrapper() -> None:
    facts = {"age": 30}
    assert population_line(facts) == (None, facts, None, False, (), None)
    assert population_line({"id": "c1", "facts": facts, "order": {"package": "job"}}) == (
        "c1", facts, {"package": "job"}, True, (), None)
    assert population_line({"facts": facts}) == (None, facts, None, True, (), None)
    # a null id or order is none; an integer id is its text; a note is for people
    assert population_line({"id": None, "facts": facts, "order": None, "note": 5}) == (
        None, facts, None, True, (), None)
    assert population_line({"id": 10**30, "facts": facts}).id == "1" + "0" * 30
    # without `facts` a line is the facts themselves: `id` is then not a fact (UDB606)
    assert population_line({"id": "c1", "order": {}}) == (
        None, {"id": "c1", "order": {}}, None, False, (), None)
    # the key of each line's decision date (decide --population --on KEY), beside facts
    assert population_line({"id": "c1", "on": "2019-06-03", "facts": facts}, "on") == (
        "c1", facts, None, True, (), "2019-06-03")
    assert [(p.path, p.code) for p in population_line(
        {"id": "c1", "on": "2019-06-03", "facts": facts}).problems] == [("on", "UDB606")]


def test_a_population_line_that_is_not_an_object() -> None:
    for data in (None, [1], 5, "x"):
        assert _problems(data) == [("", "UDB608", "expected a JSON object")]


def test_a_wrapper_with_a_key_it_does_not_have_is_an_error() -> None:
    """A misspelt `order` is not dropped (the decision would be made without it)."""
    read = population_line({"id": "c1", "facts": {}, "ordre": {"package": "job"}, "x": 1})
    assert read.id == "c1" and read.order is None
    assert [(p.path, p.code) for p in read.problems] == [("ordre", "UDB606"), ("x", "UDB606")]
    assert read.problems[0].message == ("`ordre` is not a key of a population line (id, "
                                        "facts, order, note)")


def test_a_wrapper_order_that_is_not_an_object_is_an_error() -> None:
    for order, got in (("job", "the text 'job'"), ([], "a list"), (5, "the number 5")):
        assert _problems({"id": "c1", "facts": {}, "order": order}) == [
            ("order", "UDB602", f"`order` is not an object (got {got})")]


def test_a_wrapper_id_is_text_or_an_integer() -> None:
    for ident, got in ((True, "true/false"), (Decimal("1.5"), "the number 1.5"),
                       ({"a": 1}, "a mapping"), ([1], "a list")):
        read = population_line({"id": ident, "facts": {}})
        assert read.id is None
        assert _problems({"id": ident, "facts": {}}) == [
            ("id", "UDB602", f"`id` is not text or an integer (got {got})")]


def test_a_wrapper_facts_that_is_not_an_object_is_an_error() -> None:
    for facts, got in ((None, "nothing (null)"), ([], "a list"), ("x", "the text 'x'")):
        read = population_line({"id": 7, "facts": facts})
        assert read.id == "7"  # kept for the error's row
        assert _problems({"id": 7, "facts": facts}) == [
            ("facts", "UDB608", f"`facts` is not an object (got {got})")]


def test_every_problem_of_a_wrapper_is_given_sorted_by_path() -> None:
    assert [(p.path, p.code) for p in population_line(
        {"z": 1, "order": 1, "id": True, "facts": 1, "a": 1}).problems] == [
        ("a", "UDB606"), ("facts", "UDB608"), ("id", "UDB602"), ("order", "UDB602"),
        ("z", "UDB606")]
