"""libyaml's parser is a fast path of the loader: on every YAML file of the repository
(policies, examples, docs, the corpus of broken policies) it gives the same data, the same
positions and the same diagnostics as the Python parser, or the loader falls back to the
Python parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from udbudsregler.diagnostics import DiagnosticBag
from udbudsregler.loader import yaml_loader
from udbudsregler.loader.yaml_loader import DEFAULT_LIMITS, load_yaml_text

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(p for folder in ("policies", "examples", "docs", "tests")
               for p in (ROOT / folder).rglob("*.yaml"))


def _slow(text: str, display: str) -> tuple[object, list[str]]:
    bag = DiagnosticBag()
    result = yaml_loader._Document(text, display, bag, DEFAULT_LIMITS).load()
    return result, [d.render() for d in bag]


def _infos(result: object) -> object:
    if result is None:
        return None
    data, positions = result  # type: ignore[misc]
    return data, {path: (i.span, i.key_span, i.style, i.raw, i.text)
                  for path, i in positions.items()}


@pytest.mark.skipif(yaml_loader._CParser is None, reason="PyYAML without libyaml")
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_fast_parser_reads_every_file_as_the_python_parser(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8 (a corpus case for UDB113)")
    if text.startswith("\ufeff"):
        text = text[1:]
    expected, expected_diagnostics = _slow(text, path.name)
    trial = DiagnosticBag()
    try:
        fast = yaml_loader._Document(text, path.name, trial, DEFAULT_LIMITS, fast=True).load()
    except Exception:
        fast = None
    if fast is not None and not list(trial):  # the fast path is taken: it must agree
        assert not expected_diagnostics
        assert _infos(fast) == _infos(expected)
    bag = DiagnosticBag()
    got = load_yaml_text(text, path.name, bag, DEFAULT_LIMITS)
    assert _infos(got) == _infos(expected)
    assert [d.render() for d in bag] == expected_diagnostics


def test_the_fast_path_is_taken_for_the_seed_policies() -> None:
    """Not a test that cannot fail: the seed policies load through libyaml."""
    if yaml_loader._CParser is None:  # pragma: no cover
        pytest.skip("PyYAML without libyaml")
    text = (ROOT / "policies" / "slagelse-2019" / "policy.yaml").read_text(encoding="utf-8")
    trial = DiagnosticBag()
    fast = yaml_loader._Document(text, "policy.yaml", trial, DEFAULT_LIMITS, fast=True).load()
    assert fast is not None and not list(trial)


def test_a_tag_falls_back_to_the_python_parser() -> None:
    bag = DiagnosticBag()
    load_yaml_text("a: !!python/name:os.system x\n", "x.yaml", bag)
    assert [d.code for d in bag] == ["UDB103"]
