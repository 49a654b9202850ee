"""Pictures of a policy (issue 11, item 5): the rule graph as Mermaid, dot and SVG, drawn
from the IR; the Mermaid pictures in docs/pictures.md are generated and cannot drift; the
diff report as an HTML page, checked in a real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import udbudsregler as ur
from udbudsregler.cli.main import main
from udbudsregler.pictures import graph
from udbudsregler.pictures.diff_html import diff_html

sys.path.insert(0, str(Path(__file__).parent))
from browser import Browser, find_chromium
from docs_graphs import PAGE, generated

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ROOT / "policies" / "slagelse-2019"
KOEBENHAVN = ROOT / "policies" / "koebenhavn-2024"
#: CI installs Chromium and Graphviz (./run-tests); there, a missing one is a failure.
IN_CI = os.environ.get("CI") == "true"


def test_the_picture_has_every_part_of_the_policy() -> None:
    policy = ur.load_policy(KOEBENHAVN)
    pic = graph.picture(policy)
    labels = {key: lines for key, (lines, _, _) in pic.boxes.items()}
    checked = policy.checked
    for name, group in checked.target_groups.items():
        assert labels[f"g:{name}"][0] == group.spec.title
    for name in checked.packages:
        assert f"k:{name}" in labels
    for name in checked.price_models:
        assert f"m:{name}" in labels
    for criterion in (n for n in checked.nodes.values() if n.kind == "criterion"):
        assert f"c:{criterion.name}" in labels
    # areas numbered by routing priority: hjerneskade_kognitiv wins over the rest
    for rank, area in enumerate(checked.routing.priority, 1):  # type: ignore[union-attr]
        assert labels[f"a:{area}"][0].startswith(f"{rank}. ")
    # the parameters are named, with their values, and point at what reads them
    assert ("p:min_age_cognitive", "c:hjerneskade_alder", "", True) in pic.arrows
    assert labels["p:min_age"] == ["min_age = 30"]
    assert ("p:specialised_cap", "m:specialiseret_ugepris", "", True) in pic.arrows
    assert ("g:udsatte", "a:udsatte", "", False) in pic.arrows
    assert ("k:job", "m:almindelig_ugepris", "", False) in pic.arrows


def test_mermaid_and_dot_are_well_formed() -> None:
    for path in (SLAGELSE, KOEBENHAVN):
        policy = ur.load_policy(path)
        text = graph.mermaid(policy)
        assert text.startswith("flowchart LR\n")
        ids = set(re.findall(r"^\s+(n\d+)[\[\(\{/]", text, re.MULTILINE))
        for start, end in re.findall(r"^\s+(n\d+) -[.-]*-> (n\d+)$", text, re.MULTILINE):
            assert start in ids and end in ids
        assert text.count("subgraph") == text.count("  end\n")
        assert '"' not in "".join(re.findall(r'\["(.*?)"\]', text))
        source = graph.dot(policy)
        assert source.startswith("digraph policy {") and source.rstrip().endswith("}")
        assert source.count("{") == source.count("}")


def test_the_docs_embed_the_generated_pictures() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert text == generated(text), "run: .venv/bin/python tests/pictures/docs_graphs.py"
    assert text.count("```mermaid\nflowchart") == 2
    assert graph.mermaid(ur.load_policy(SLAGELSE)) in text
    assert graph.mermaid(ur.load_policy(KOEBENHAVN)) in text


def test_svg_through_graphviz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which("dot") is None:
        if IN_CI:
            pytest.fail("Graphviz's dot is missing: ./run-tests installs it")
        pytest.skip("Graphviz's dot is not installed")
    out = tmp_path / "k.svg"
    assert main(["graph", str(KOEBENHAVN), "--format", "svg", "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "<svg" in text and "Specialiseret beskæftigelsesindsats" in text


def test_svg_without_graphviz_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(graph.shutil, "which", lambda name: None)
    assert main(["graph", str(SLAGELSE), "--format", "svg"]) == 2
    err = capsys.readouterr().err
    assert "Graphviz" in err and "apt-get install graphviz" in err and "Traceback" not in err


def test_the_command_line_draws(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", str(SLAGELSE)]) == 0
    assert capsys.readouterr().out == graph.mermaid(ur.load_policy(SLAGELSE))
    assert main(["graph", str(SLAGELSE), "--format", "dot", "--lang", "en"]) == 0
    assert 'label="Target groups"' in capsys.readouterr().out


# -- the diff as a page, in a real browser -----------------------------------------------


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    folder = tmp_path_factory.mktemp("diff")
    page = folder / "report.html"
    data = folder / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "udbudsregler", "diff", str(SLAGELSE),
         str(ROOT / "examples" / "next-round"), "--citizens", "400", "--scenarios", "80",
         "--json", "--html", str(page)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    data.write_text(done.stdout, encoding="utf-8")
    return page, json.loads(done.stdout)


def test_the_html_report_is_escaped_and_self_contained() -> None:
    report = {"old": {"id": "a", "title": "<script>alert(1)</script>", "content_hash": "x",
                      "valid": {"from": "2019-01-01", "to": None}},
              "new": {"id": "b", "title": "B & C", "content_hash": "y",
                      "valid": {"from": "2022-01-01", "to": None}},
              "on": "2022-01-01", "citizens": {"compared": 0, "changed": 0},
              "scenarios": {"compared": 0}, "groups": [], "definitions": []}
    page = diff_html(report)
    assert "<script>" not in page and "&lt;script&gt;" in page and "B &amp; C" in page
    assert "http" not in page  # nothing is fetched
    assert "No citizen or referral is treated differently" in page


def test_the_html_report_in_a_headless_browser(
        report_page: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    executable = find_chromium()
    if executable is None:
        if IN_CI:
            pytest.fail("Chromium is missing: ./run-tests installs it")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    page, report = report_page
    groups = report["groups"]
    assert isinstance(groups, list)
    browser = Browser(executable)
    try:
        browser.open(page)
        bars = browser.evaluate(
            "JSON.stringify([...document.querySelectorAll('.chart .bar')].map(g => {"
            " const r = g.querySelector('rect').getBoundingClientRect();"
            " const t = g.querySelector('text').getBoundingClientRect();"
            " return {kind: g.dataset.kind, count: +g.dataset.count, width: r.width,"
            " height: r.height, label: g.querySelector('text').textContent,"
            " labelRight: t.right, barLeft: r.left}; }))")
        layout = browser.evaluate(
            "JSON.stringify({title: document.title, h1: document.querySelector('h1')"
            ".getBoundingClientRect().height, overflow: document.documentElement.scrollWidth"
            " > window.innerWidth, examples: document.querySelectorAll('details.example')"
            ".length, open: [...document.querySelectorAll('details.example[open] pre.facts')]"
            ".map(p => p.getBoundingClientRect().height), summary: document.querySelector("
            "'.summary').innerText})")
        browser.screenshot(tmp_path / "report.png")
        errors = browser.errors()
    finally:
        browser.close()
    bars, layout = json.loads(bars), json.loads(layout)
    # one bar per group, in the report's order, as wide as its count says
    assert [(b["kind"], b["count"]) for b in bars] == \
        [(g["kind"], g["count"]) for g in groups]  # type: ignore[index]
    largest = max(b["count"] for b in bars)
    assert largest > 0
    for bar in bars:
        assert bar["width"] == pytest.approx(480 * bar["count"] / largest, abs=1.5)
        assert bar["label"] and bar["labelRight"] <= bar["barLeft"]  # labels do not overlap
        assert bar["height"] > 10
    assert "who is treated differently" in layout["title"] and layout["h1"] > 0
    assert not layout["overflow"]
    examples = sum(len(g["examples"]) for g in groups)  # type: ignore[index]
    assert layout["examples"] == examples > 0
    assert all(height > 20 for height in layout["open"])  # the example facts are shown
    citizens = report["citizens"]
    assert isinstance(citizens, dict)
    assert f"{citizens['changed']} decided differently" in layout["summary"]
    assert errors == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
