"""The policies the diff's tests compare: the Slagelse round and the example of its
next round (``examples/next-round``), loaded once per module."""

from __future__ import annotations

from pathlib import Path

import pytest

import udbudsregler as ur

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ROOT / "policies" / "slagelse-2019"
NEXT_ROUND = ROOT / "examples" / "next-round"


@pytest.fixture(scope="module")
def slagelse() -> ur.Policy:
    return ur.load_policy(SLAGELSE)


@pytest.fixture(scope="module")
def next_round() -> ur.Policy:
    return ur.load_policy(NEXT_ROUND)
