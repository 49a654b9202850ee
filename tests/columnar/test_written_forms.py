"""Values written in forms Arrow allows or refuses, decided as per-record ``decide``
decides them: a text fact given as a dictionary-encoded column whose dictionary holds a
word twice or a null word (equal words are one value, whichever copy a row points at; a
null word is a missing fact), and a computed zero written with a large exponent."""

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


@pytest.mark.filterwarnings("ignore:decided per record")  # `/` is decided per record
def test_a_zero_with_a_large_exponent_is_a_zero_in_its_column(tmp_path: Path) -> None:
    """`0.0 / x / x` is a zero written with a large exponent (0E+35): its value column
    holds 0 (Arrow's decimal128 refuses the written form), as `decide` computes it."""
    from decimal import Decimal

    (tmp_path / "policy.yaml").write_text("""\
policy:
  id: zero-exponent
  title: Zero exponent
  authority: Test
  valid: {from: 2024-01-01, to: 2025-12-31}

facts:
  ratio:
    type: decimal
    title: Forhold

rules:
  nul:
    title: Nul
    value: 0.0 / ratio / ratio

target_groups:
  alle:
    title: Alle
    criteria:
      all:
        - id: nul_er_nul
          title: Nul er nul
          when: nul == 0
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    facts = {"ratio": Decimal("1E-18")}
    assert policy.decide(facts, ON).value("nul") == 0
    table = pa.table({"ratio": pa.array([Decimal("1E-18")], pa.decimal128(38, 18))})
    result = policy.decide_table(table, ON, values=["nul"])
    assert result.errors.num_rows == 0
    assert result.decisions.column("nul").to_pylist() == [0]
    assert result.decisions.column("eligible").to_pylist() == [True]


def test_a_decimal_wider_than_28_digits_is_held_or_refused_without_an_error() -> None:
    """A value column is decimal128(38, 18): a decimal of more than 28 digits (the default
    context's precision) with more than 18 places is held when its extra places are zeros
    and refused with a reason when they are not (it raised InvalidOperation before)."""
    from decimal import Decimal

    from udbudsregler.columnar.table import _storable

    value, reason = _storable(Decimal("12345678901.12345678901234567890"))
    assert value is None
    assert reason is not None and "18 decimal places" in reason
    held, reason = _storable(Decimal("12345678901.12345678901234567800"))
    assert reason is None
    assert held == Decimal("12345678901.123456789012345678")
    assert held.as_tuple().exponent == -18
    assert _storable(Decimal("1E+20"))[0] is None  # 21 whole digits
    assert _storable(Decimal("99999999999999999999.5"))[0] == Decimal("99999999999999999999.5")
