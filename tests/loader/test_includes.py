"""Tests of udbudsregler.loader.includes: policy folders, includes, merging, content hash."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from udbudsregler.diagnostics import Diagnostic, DiagnosticBag
from udbudsregler.loader import Limits, LoadedSource, display_path, load_policy_source
from udbudsregler.loader.yaml_loader import DEFAULT_LIMITS


def write(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def load(path: Path | str, limits: Limits = DEFAULT_LIMITS) -> tuple[LoadedSource | None,
                                                               list[Diagnostic]]:
    bag = DiagnosticBag()
    return load_policy_source(path, bag, limits), bag.sorted()


def where(diagnostics: list[Diagnostic]) -> list[tuple[str, str, int, int]]:
    return [(d.code, d.span.file, d.span.line, d.span.column) if d.span else (d.code, "", 0, 0)
            for d in diagnostics]


@pytest.fixture(autouse=True)
def _inside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in tmp_path, so display names are short relative paths."""
    monkeypatch.chdir(tmp_path)


MAIN = """\
policy:
  name: Tilbud
include:
  - parts/facts.yaml
  - parts/cases.yaml
facts:
  age: {type: int}
cases:
  - name: one
"""
FACTS = """\
facts:
  hours: {type: hours}
include: more.yaml
"""
MORE = """\
facts:
  area: {type: text}
cases:
  - name: two
"""
CASES = """\
cases:
  - name: three
  - name: four
rules: {}
"""


def test_folder_with_includes_merges_in_order(tmp_path: Path) -> None:
    write(tmp_path / "p", {"policy.yaml": MAIN, "parts/facts.yaml": FACTS,
                           "parts/more.yaml": MORE, "parts/cases.yaml": CASES})
    source, diagnostics = load("p")
    assert diagnostics == []
    assert source is not None
    assert [f.display for f in source.files] == [
        "p/policy.yaml", "p/parts/facts.yaml", "p/parts/more.yaml", "p/parts/cases.yaml"]
    assert source.files[0].path == (tmp_path / "p" / "policy.yaml").resolve()
    assert source.files[1].text == FACTS
    assert source.data == {
        "policy": {"name": "Tilbud"},
        "facts": {"age": {"type": "int"}, "hours": {"type": "hours"}, "area": {"type": "text"}},
        "cases": [{"name": "one"}, {"name": "two"}, {"name": "three"}, {"name": "four"}],
        "rules": {},
    }
    assert "include" not in source.data
    positions = source.positions
    assert not any(path[:1] == ("include",) for path in positions)
    assert str(positions[("facts", "age")].key_span) == "p/policy.yaml:7:3"
    assert str(positions[("facts", "hours")].key_span) == "p/parts/facts.yaml:2:3"
    assert str(positions[("facts", "area", "type")].span) == "p/parts/more.yaml:2:16"
    # concatenated list items are renumbered and keep their own file's spans
    assert str(positions[("cases", 0, "name")].span) == "p/policy.yaml:9:11"
    assert str(positions[("cases", 1)].span) == "p/parts/more.yaml:4:5"
    assert str(positions[("cases", 3, "name")].span) == "p/parts/cases.yaml:3:11"
    assert ("cases", 4) not in positions
    assert str(positions[("cases",)].key_span) == "p/policy.yaml:8:1"
    assert str(positions[()].span) == "p/policy.yaml:1:1"


def test_main_file_given_directly_and_single_string_include(tmp_path: Path) -> None:
    write(tmp_path, {"main.yaml": "include: other.yaml\na: {x: 1}\n",
                     "other.yaml": "a: {y: 2}\n"})
    source, diagnostics = load(tmp_path / "main.yaml")
    assert diagnostics == []
    assert source is not None
    assert source.data == {"a": {"x": 1, "y": 2}}
    assert [f.display for f in source.files] == ["main.yaml", "other.yaml"]


def test_folder_without_policy_yaml(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    source, diagnostics = load("empty")
    assert source is None
    assert where(diagnostics) == [("UDB107", "", 0, 0)]
    assert "policy.yaml" in diagnostics[0].message
    assert "policy.yaml" in diagnostics[0].effective_hint


def test_missing_main_file(tmp_path: Path) -> None:
    source, diagnostics = load("nope.yaml")
    assert source is None
    assert where(diagnostics) == [("UDB107", "", 0, 0)]
    assert "`nope.yaml`" in diagnostics[0].message


def test_same_entry_in_two_files(tmp_path: Path) -> None:
    write(tmp_path, {"policy.yaml": "include: [a.yaml]\nfacts:\n  age: {type: int}\n",
                     "a.yaml": "facts:\n  hours: {type: int}\n  age: {type: text}\n"})
    source, diagnostics = load(tmp_path)
    assert where(diagnostics) == [("UDB112", "a.yaml", 3, 3)]
    assert "`facts.age`" in diagnostics[0].message
    [(note, span)] = diagnostics[0].notes
    assert note == "first defined here" and str(span) == "policy.yaml:3:3"
    # the data is still usable; the first definition wins and keeps its position
    assert source is not None
    assert source.data["facts"] == {"age": {"type": "int"}, "hours": {"type": "int"}}
    assert str(source.positions[("facts", "age", "type")].span) == "policy.yaml:3:15"


@pytest.mark.parametrize(("first", "second", "kind"), [
    ("policy: {name: a}", "policy: {name: b}", None),  # mapping entries: the entry conflicts
    ("policy: x", "policy: y", "defined"),
    ("policy: {name: a}", "policy: [a]", "of different kinds"),
    ("cases: [a]", "cases: {a: 1}", "of different kinds"),
])
def test_sections_that_cannot_be_combined(tmp_path: Path, first: str, second: str,
                                          kind: str | None) -> None:
    write(tmp_path, {"policy.yaml": f"include: [b.yaml]\n{first}\n", "b.yaml": f"{second}\n"})
    _, diagnostics = load(tmp_path)
    assert [d.code for d in diagnostics] == ["UDB112"]
    if kind is None:
        assert where(diagnostics) == [("UDB112", "b.yaml", 1, 10)]
        return
    assert where(diagnostics) == [("UDB112", "b.yaml", 1, 1)]
    assert kind in diagnostics[0].message
    assert str(diagnostics[0].notes[0][1]) == "policy.yaml:2:1"


def test_cycle(tmp_path: Path) -> None:
    write(tmp_path, {"policy.yaml": "include: [a.yaml]\nx: 1\n",
                     "a.yaml": "include: [sub/b.yaml]\ny: 1\n",
                     "sub/b.yaml": "z: 1\ninclude:\n  - ../a.yaml\n"})
    source, diagnostics = load(tmp_path)
    assert source is None
    assert where(diagnostics) == [("UDB108", "sub/b.yaml", 3, 5)]
    assert "`a.yaml -> sub/b.yaml -> a.yaml`" in diagnostics[0].message


def test_self_include_is_a_cycle(tmp_path: Path) -> None:
    write(tmp_path, {"policy.yaml": "x: 1\ninclude: policy.yaml\n"})
    _, diagnostics = load(tmp_path)
    assert where(diagnostics) == [("UDB108", "policy.yaml", 2, 10)]
    assert "`policy.yaml -> policy.yaml`" in diagnostics[0].message


def test_file_included_twice_is_read_once(tmp_path: Path) -> None:
    write(tmp_path, {"policy.yaml": "include: [a.yaml, b.yaml, a.yaml]\n",
                     "a.yaml": "include: [c.yaml]\nx: [1]\n", "b.yaml": "include: [c.yaml]\n",
                     "c.yaml": "y: {k: 1}\n"})
    source, diagnostics = load(tmp_path)
    assert diagnostics == []
    assert source is not None
    assert [f.display for f in source.files] == ["policy.yaml", "a.yaml", "c.yaml", "b.yaml"]
    assert source.data == {"x": [1], "y": {"k": 1}}


def test_missing_include(tmp_path: Path) -> None:
    write(tmp_path, {"policy.yaml": "a: 1\ninclude:\n  - there.yaml\n  - not/here.yaml\n",
                     "there.yaml": "b: 2\n"})
    source, diagnostics = load(tmp_path)
    assert source is None
    assert where(diagnostics) == [("UDB107", "policy.yaml", 4, 5)]
    assert "`not/here.yaml`" in diagnostics[0].message


@pytest.mark.parametrize("entry", ["../outside.yaml", "sub/../../outside.yaml", "/etc/passwd",
                                   "C:\\\\x.yaml", "\\\\\\\\server\\\\x.yaml"])
def test_include_outside_the_folder(tmp_path: Path, entry: str) -> None:
    write(tmp_path, {"outside.yaml": "a: 1\n", "p/policy.yaml": f'include: ["{entry}"]\nb: 2\n'})
    source, diagnostics = load("p")
    assert source is None
    assert where(diagnostics) == [("UDB114", "p/policy.yaml", 1, 11)]


def test_include_through_a_symlink_out_of_the_folder(tmp_path: Path) -> None:
    write(tmp_path, {"outside.yaml": "a: 1\n", "p/policy.yaml": "include: [link.yaml]\n"})
    (tmp_path / "p" / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    _, diagnostics = load("p")
    assert where(diagnostics) == [("UDB114", "p/policy.yaml", 1, 11)]


def test_include_of_a_folder_and_a_nested_include_relative_to_its_file(tmp_path: Path) -> None:
    write(tmp_path, {"policy.yaml": "include: [sub/a.yaml]\n",
                     "sub/a.yaml": "include: [b.yaml, dir]\n", "sub/b.yaml": "x: 1\n",
                     "sub/dir/keep.yaml": "y: 1\n"})
    _, diagnostics = load(tmp_path)
    assert where(diagnostics) == [("UDB107", "sub/a.yaml", 1, 19)]
    assert "folder" in diagnostics[0].message


@pytest.mark.parametrize(("value", "line", "column"), [
    ("include: 3\n", 1, 10), ("include: {a: b}\n", 1, 10), ("include: [a.yaml, 3]\n", 1, 19),
    ("include: ['']\n", 1, 11),
])
def test_include_of_the_wrong_form(tmp_path: Path, value: str, line: int, column: int) -> None:
    write(tmp_path, {"policy.yaml": value + "x: 1\n", "a.yaml": "y: 1\n"})
    source, diagnostics = load(tmp_path)
    assert source is None
    assert where(diagnostics) == [("UDB203", "policy.yaml", line, column)]


def test_problems_in_every_file_are_reported(tmp_path: Path) -> None:
    write(tmp_path, {"policy.yaml": "include: [a.yaml, b.yaml]\nx: 1\nx: 2\n",
                     "a.yaml": "y: !!str 1\n", "b.yaml": "z: [\n"})
    source, diagnostics = load(tmp_path)
    assert source is None
    assert where(diagnostics) == [("UDB103", "a.yaml", 1, 4), ("UDB101", "b.yaml", 2, 1),
                                  ("UDB102", "policy.yaml", 3, 1)]


# -- reading files ------------------------------------------------------------------------------


def test_not_utf8(tmp_path: Path) -> None:
    write(tmp_path, {"policy.yaml": "a: 1\nnavn: 'æ'\nb: caf\xe9\n".encode("latin-1")})
    source, diagnostics = load(tmp_path)
    assert source is None
    # the first bad byte is the latin-1 `æ` on line 2, after `navn: '`
    assert where(diagnostics) == [("UDB113", "policy.yaml", 2, 8)]
    assert "0xE6" in diagnostics[0].message


def test_not_utf8_after_utf8_text(tmp_path: Path) -> None:
    write(tmp_path, {"policy.yaml": "a: æøå\nb: ø".encode() + b"\xff\n"})
    _, diagnostics = load(tmp_path)
    assert where(diagnostics) == [("UDB113", "policy.yaml", 2, 5)]


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    write(tmp_path, {"policy.yaml": "a: 1\n" * 100})
    source, diagnostics = load(tmp_path, Limits(max_bytes=499))
    assert source is None
    assert where(diagnostics) == [("UDB105", "policy.yaml", 1, 1)]
    assert load(tmp_path, Limits(max_bytes=500))[1] != []  # duplicate keys, but read


def test_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    write(tmp_path, {"policy.yaml": b"\xef\xbb\xbfa: 1\n"})
    source, diagnostics = load(tmp_path)
    assert diagnostics == []
    assert source is not None and source.files[0].text == "a: 1\n"
    assert str(source.positions.key_span(("a",))) == "policy.yaml:1:1"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"policy.yaml": "include: [secret.yaml]\n", "secret.yaml": "a: 1\n"})
    real_open = os.open

    def fake_open(path: object, *args: object, **kwargs: object) -> object:
        if Path(str(path)).name == "secret.yaml":
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", fake_open)
    source, diagnostics = load(tmp_path)
    assert source is None
    assert where(diagnostics) == [("UDB107", "policy.yaml", 1, 11)]
    assert diagnostics[0].message == "the file `secret.yaml` cannot be read: permission denied"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can read any file")
def test_unreadable_file_by_permissions(tmp_path: Path) -> None:  # pragma: no cover - as root
    write(tmp_path, {"policy.yaml": "a: 1\n"})
    (tmp_path / "policy.yaml").chmod(0)
    _, diagnostics = load(tmp_path)
    assert where(diagnostics) == [("UDB107", "", 0, 0)]


# -- display names and the content hash ---------------------------------------------------------


def test_display_path(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    assert display_path(tmp_path / "a" / "b.yaml") == os.path.join("a", "b.yaml")
    assert display_path(Path("a/../a/b.yaml")) == os.path.join("a", "b.yaml")
    assert display_path(Path("/elsewhere/x.yaml")) == os.path.abspath("/elsewhere/x.yaml")


def test_display_outside_the_working_folder(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"p/policy.yaml": "a: [\n"})
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    _, diagnostics = load(tmp_path / "p")
    assert diagnostics[0].span is not None
    assert diagnostics[0].span.file == str(tmp_path / "p" / "policy.yaml")


FILES: dict[str, str | bytes] = {
    "policy.yaml": "policy:\n  name: æ\ninclude: [parts/a.yaml]\n",
    "parts/a.yaml": "facts: {}\n",
}


def hash_of(folder: Path) -> str:
    source, diagnostics = load(folder)
    assert diagnostics == [] and source is not None
    return source.content_hash()


def test_content_hash_is_stable_across_folders(tmp_path: Path) -> None:
    write(tmp_path / "one", FILES)
    write(tmp_path / "two" / "deeper", FILES)
    first = hash_of(tmp_path / "one")
    assert len(first) == 64 and int(first, 16) >= 0
    assert hash_of(tmp_path / "two" / "deeper") == first
    # and does not depend on the working folder
    os.chdir(tmp_path / "one" / "parts")
    assert hash_of(tmp_path / "one") == first


def test_content_hash_changes_with_one_byte(tmp_path: Path) -> None:
    write(tmp_path / "one", FILES)
    write(tmp_path / "two", {**FILES, "parts/a.yaml": "facts: {} \n"})
    assert hash_of(tmp_path / "one") != hash_of(tmp_path / "two")


def test_content_hash_depends_on_file_names(tmp_path: Path) -> None:
    write(tmp_path / "one", FILES)
    write(tmp_path / "two", {"policy.yaml": "policy:\n  name: æ\ninclude: [parts/b.yaml]\n",
                             "parts/b.yaml": "facts: {}\n"})
    shutil.copy(tmp_path / "one" / "parts" / "a.yaml", tmp_path / "two" / "parts" / "b.yaml")
    assert hash_of(tmp_path / "one") != hash_of(tmp_path / "two")


def test_content_hash_is_the_documented_sha256(tmp_path: Path) -> None:
    import hashlib

    write(tmp_path, FILES)
    expected = hashlib.sha256()
    for name in ("policy.yaml", "parts/a.yaml"):
        expected.update(name.encode() + b"\0" + (tmp_path / name).read_bytes() + b"\0")
    assert hash_of(tmp_path) == expected.hexdigest()


def test_odd_include_paths_are_reported_not_raised(tmp_path: Path) -> None:
    write(tmp_path, {"policy.yaml": 'include: ["a\\0.yaml", loop.yaml]\n'})
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    source, diagnostics = load(tmp_path)
    assert source is None
    assert where(diagnostics) == [("UDB107", "policy.yaml", 1, 11),
                                  ("UDB107", "policy.yaml", 1, 23)]


def test_content_hash_ignores_line_ending_style(tmp_path: Path) -> None:
    """CRLF and LF checkouts of one policy have one hash; other bytes still count."""
    text = "policy:\n  id: x\nfacts: {}\n"
    hashes = []
    for name, content in (("lf", text), ("crlf", text.replace("\n", "\r\n")),
                          ("changed", text.replace("x", "y"))):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "policy.yaml").write_bytes(content.encode("utf-8"))
        source = load_policy_source(folder, DiagnosticBag())
        assert source is not None
        hashes.append(source.content_hash())
    assert hashes[0] == hashes[1]
    assert hashes[0] != hashes[2]


def test_a_missing_policy_is_not_reported_as_a_missing_include(tmp_path: Path) -> None:
    (tmp_path / "slagelse-2019").mkdir()
    (tmp_path / "slagelse-2019" / "policy.yaml").write_text("policy: {}\n", encoding="utf-8")
    for given, hint in ((tmp_path / "slagelse-2018", "did you mean `"),
                        (tmp_path / "nowhere" / "policy", "give the folder of a policy")):
        bag = DiagnosticBag()
        assert load_policy_source(given, bag) is None
        [diagnostic] = bag.sorted()
        assert diagnostic.code == "UDB107"
        assert diagnostic.message.startswith("the policy `")
        assert diagnostic.message.endswith("does not exist")
        assert diagnostic.hint is not None and hint in diagnostic.hint
        assert "include" not in diagnostic.hint
    bag = DiagnosticBag()
    load_policy_source(tmp_path / "slagelse-2018", bag)
    assert "slagelse-2019`?" in (bag.sorted()[0].hint or "")
