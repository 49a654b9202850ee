"""`routing: exclusive: true`: areas the policy says no citizen fits two of.

No priority is needed (no UDB424); a citizen who does fit two is an error when
decided (UDB707, at the `exclusive` key), never a silent choice.
"""

from __future__ import annotations

import io
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

import udbudsregler as ur
from udbudsregler.analysis.coverage import measure
from udbudsregler.cli.main import EXIT_INPUT, main
from udbudsregler.stages import run_stages

ROOT = Path(__file__).resolve().parents[2]
KBH = ROOT / "policies" / "koebenhavn-2024"
PRIORITY = "  priority: [hjerneskade_kognitiv, psykiske_udfordringer, sygemeldte, udsatte]\n"
ON = date(2024, 3, 1)


def _copy(tmp_path: Path, routing: str) -> Path:
    copy = tmp_path / "kbh"
    shutil.copytree(KBH, copy)
    areas = copy / "omraader.yaml"
    text = areas.read_text(encoding="utf-8")
    assert text.count(PRIORITY) == 1
    areas.write_text(text.replace(PRIORITY, routing), encoding="utf-8")
    return copy


def _facts(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(
        (ROOT / "docs" / "examples" / name).read_text(encoding="utf-8"))
    return loaded


def test_exclusive_areas_need_no_priority(tmp_path: Path) -> None:
    state = run_stages(_copy(tmp_path, "  exclusive: true\n"))
    assert [d.code for d in state.bag.sorted()] == []


def test_a_citizen_in_one_area_is_decided(tmp_path: Path) -> None:
    policy = ur.load_policy(_copy(tmp_path, "  exclusive: true\n"))
    decision = policy.decide(_facts("citizen-koebenhavn.json"), on=ON)
    assert decision.area == "udsatte"
    assert "efter prioriteringen" not in decision.explain("da")


def test_a_citizen_in_two_exclusive_areas_is_an_error(tmp_path: Path) -> None:
    policy = ur.load_policy(_copy(tmp_path, "  exclusive: true\n"))
    with pytest.raises(ur.EvaluationError) as caught:
        policy.decide(_facts("citizen-koebenhavn-psyk.json"), on=ON)
    error = caught.value
    assert error.code == "UDB707"
    assert error.span is not None and (error.span.line, error.span.column) == (67, 14)
    assert error.span.file.endswith("omraader.yaml")
    assert "fits 2 service areas (`udsatte`, `psykiske_udfordringer`)" in error.message
    assert error.hint is not None and "priority" in error.hint
    out, err = io.StringIO(), io.StringIO()
    code = main(["decide", str(tmp_path / "kbh"),
                 str(ROOT / "docs" / "examples" / "citizen-koebenhavn-psyk.json"),
                 "--on", "2024-03-01"], out=out, err=err)
    assert code == EXIT_INPUT
    assert "omraader.yaml:67:14: UDB707:" in err.getvalue()
    assert "\n  hint: " in err.getvalue()


@pytest.mark.parametrize("routing, code, line", [
    ("  exclusive: true\n" + PRIORITY, "UDB203", 67),
    ("  exclusive: false\n", "UDB202", 66),
])
def test_priority_or_exclusive_exactly_one(tmp_path: Path, routing: str, code: str,
                                           line: int) -> None:
    state = run_stages(_copy(tmp_path, routing))
    errors = [d for d in state.bag.sorted() if d.is_error]
    assert [(d.code, d.span.line if d.span else None) for d in errors] == [(code, line)]


def test_exclusive_areas_are_never_out_prioritised(tmp_path: Path) -> None:
    from udbudsregler.testing.cases import load_cases

    copy = _copy(tmp_path, "  exclusive: true\n")
    shutil.rmtree(copy / "tests")
    (copy / "tests").mkdir()
    (copy / "tests" / "one.yaml").write_text(
        (KBH / "tests" / "omraader.yaml").read_text(encoding="utf-8").split("\ncases:")[0]
        + "\ncases:\n  - name: one\n    expect: {area: udsatte}\n", encoding="utf-8")
    policy = ur.load_policy(copy)
    coverage = measure(policy, load_cases(copy).cases)
    routing = [item for item in coverage.to_dict()["items"] if item["category"] == "routing"]
    assert routing and all("out_prioritised" not in item["branches"] for item in routing)


def test_every_path_of_decide_gives_the_same_error(tmp_path: Path) -> None:
    """The generated code, the interpreter (a traced decision) and a decision with an
    order and a supplier state route alike: the citizen of two exclusive areas is UDB707
    on each, and the citizen of one area goes there."""
    from udbudsregler.runtime.trace import RecordingTracer

    policy = ur.load_policy(_copy(tmp_path, "  exclusive: true\n"))
    two, one = _facts("citizen-koebenhavn-psyk.json"), _facts("citizen-koebenhavn.json")
    suppliers = json.loads((ROOT / "examples" / "data" / "suppliers.json")
                           .read_text(encoding="utf-8"))
    calls = [{}, {"tracer": RecordingTracer()}, {"order": {"package": "job",
                                                           "weekly_hours": 12},
                                                 "suppliers": suppliers}]
    for options in calls:
        with pytest.raises(ur.EvaluationError) as caught:
            policy.decide(two, on=ON, **options)
        assert caught.value.code == "UDB707"
        assert policy.decide(one, on=ON, **options).area == "udsatte"


def test_the_routing_reason_says_exclusive_and_every_language_explains(
        tmp_path: Path) -> None:
    policy = ur.load_policy(_copy(tmp_path, "  exclusive: true\n"))
    decision = policy.decide(_facts("citizen-koebenhavn.json"), on=ON)
    (routing,) = [r for r in decision.reasons if r.kind == "routing"]
    assert dict(routing.values) == {"fitting": ["udsatte"], "exclusive": True}
    title = policy.area_title("udsatte")
    for language, area, priority in (("da", "Indsatsområde", "prioritering"),
                                     ("en", "Service area", "priority"),
                                     ("sv", "Insatsområde", "prioritet")):
        text = decision.explain(language)
        assert f"{area}: ”{title}”" in text or f"{area}: «{title}»" in text \
            or f"{area}: “{title}”" in text, text
        assert priority not in text.split(area, 1)[1].split("\n\n", 1)[0]


def test_the_picture_of_exclusive_areas_shows_no_priority(tmp_path: Path) -> None:
    from udbudsregler.pictures import graph as pictures

    policy = ur.load_policy(_copy(tmp_path, "  exclusive: true\n"))
    text = pictures.mermaid(policy)
    assert "Indsatsområder (udelukker hinanden)" in text and "(prioritet)" not in text
    assert "1. " not in text, "exclusive areas are not numbered by a priority"
    rusta = ur.load_policy(Path(__file__).resolve().parents[2] / "policies"
                           / "rusta-och-matcha-2")
    assert "Insatsområden (utesluter varandra)" in pictures.mermaid(rusta)
