"""decide_table on a policy with `routing: exclusive: true` answers each citizen as
``decide`` does: a citizen who fits two exclusive areas is an error row (UDB707), never a
choice made by the order of the areas, and the others are decided."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")

from equivalence import assert_agree  # noqa: E402

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.columnar import fact_schema  # noqa: E402
from udbudsregler.testing.boundaries import sample_citizens  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PRIORITY = "  priority: [hjerneskade_kognitiv, psykiske_udfordringer, sygemeldte, udsatte]\n"


def test_citizens_in_two_exclusive_areas_are_error_rows(tmp_path: Path) -> None:
    copy = tmp_path / "kbh"
    shutil.copytree(ROOT / "policies" / "koebenhavn-2024", copy)
    areas = copy / "omraader.yaml"
    text = areas.read_text(encoding="utf-8")
    assert text.count(PRIORITY) == 1
    areas.write_text(text.replace(PRIORITY, "  exclusive: true\n"), encoding="utf-8")
    policy = load_policy(copy)
    on = policy.header.valid.from_
    rows = sample_citizens(policy, on, 400, seed=7)
    result = policy.decide_table(pa.Table.from_pylist(rows, schema=fact_schema(policy.graph)),
                                 on)
    assert_agree(policy, rows, on, result)
    codes = result.errors.column("code").to_pylist()
    assert "UDB707" in codes, "the sample has citizens who fit two areas"
    assert result.decisions.num_rows > 0
    areas_decided = set(result.decisions.column("area").to_pylist())
    assert areas_decided - {None}, "citizens who fit one area are routed"
