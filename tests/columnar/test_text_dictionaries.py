"""A text fact given as a dictionary-encoded Arrow column: a dictionary may hold a word
twice or a null word (Arrow forbids neither). Equal words are one value, whichever copy a
row points at, and a null word is a missing fact: as per-record ``decide`` says."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")

from tests.columnar.equivalence import assert_agree  # noqa: E402
from udbudsregler import load_policy  # noqa: E402

POLICY = Path(__file__).parent / "data" / "text-in"
ON = date(2024, 2, 1)


def _decide(words: list[str | None], indices: list[int]) -> None:
    policy = load_policy(POLICY)
    column = pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()),
                                            pa.array(words, pa.string()))
    table = pa.table({"kommune": column, "alder": pa.array([30] * len(indices), pa.int64())})
    rows = [{"kommune": words[i], "alder": 30} for i in indices]
    assert_agree(policy, rows, ON, policy.decide_table(table, ON))


def test_a_word_twice_in_the_dictionary_is_one_value() -> None:
    # rows 0 and 2 are both Slagelse (`kommune in {"Slagelse", "Sorø"}`)
    _decide(["Slagelse", "Næstved", "Slagelse", "Sorø", "Næstved"], [0, 1, 2, 3, 4, 2, 0])


def test_a_null_word_in_the_dictionary_is_a_missing_fact() -> None:
    _decide(["Slagelse", None, "Sorø"], [0, 1, 2, 1])


def test_distinct_words_read_without_a_copy_agree_too() -> None:
    _decide(["Sorø", "Holbæk", "Slagelse"], [2, 1, 0, 0, 1])
