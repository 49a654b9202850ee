"""Tests of udbudsregler.loader.yaml_loader: the strict YAML loader and its diagnostics."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from udbudsregler.diagnostics import Diagnostic, DiagnosticBag
from udbudsregler.loader import Limits, PositionMap, load_yaml_text
from udbudsregler.loader.yaml_loader import DEFAULT_LIMITS, _Loader

Loaded = tuple[Any, PositionMap | None, list[Diagnostic]]


def load(text: str, limits: Limits = DEFAULT_LIMITS) -> Loaded:
    bag = DiagnosticBag()
    result = load_yaml_text(text, "p.yaml", bag, limits)
    if result is None:
        return None, None, bag.sorted()
    return result[0], result[1], bag.sorted()


def where(diagnostics: list[Diagnostic]) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.column) if d.span else (d.code, 0, 0)
            for d in diagnostics]


def only(text: str, limits: Limits = DEFAULT_LIMITS) -> Diagnostic:
    _, _, diagnostics = load(text, limits)
    assert len(diagnostics) == 1, [d.render() for d in diagnostics]
    return diagnostics[0]


# -- scalar typing ---------------------------------------------------------------------


@pytest.mark.parametrize(("written", "value"), [
    ("true", True), ("True", True), ("TRUE", True),
    ("false", False), ("False", False), ("FALSE", False),
    ("null", None), ("Null", None), ("NULL", None), ("~", None), ("", None),
    ("0", 0), ("30", 30), ("-3", -3), ("+5", 5), ("-0", 0), ("1850", 1850),
    ("007", "007"), ("-007", "-007"), ("0x1f", "0x1f"), ("0o17", "0o17"), ("1_000", "1_000"),
    ("1.5", "1.5"), ("1e3", "1e3"), (".inf", ".inf"), ("-.inf", "-.inf"), (".nan", ".nan"),
    ("2019-02-01", "2019-02-01"), ("2019-02-01T10:00:00", "2019-02-01T10:00:00"),
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"),
    ("Yes", "Yes"), ("tRUE", "tRUE"), ("nULL", "nULL"), ("<<", "<<"), ("=", "="),
    ("'1'", "1"), ('"true"', "true"), ("'null'", "null"), ("''", ""),
    ('"2019-02-01"', "2019-02-01"),
    ("12:30", "12:30"), ("1,000", "1,000"), ("DKK 1850", "DKK 1850"),
    ("age >= 30 and foo(", "age >= 30 and foo("),
])
def test_scalar_typing(written: str, value: Any) -> None:
    data, _, diagnostics = load(f"v: {written}\n")
    assert diagnostics == []
    assert data == {"v": value}
    assert type(data["v"]) is type(value)


def test_block_scalars_are_text() -> None:
    data, _, _ = load("a: |\n  30\nb: >-\n  true\nc: |-\n  ~\n")
    assert data == {"a": "30\n", "b": "true", "c": "~"}


def test_keys_that_look_like_yaml_11_booleans_stay_text() -> None:
    data, _, diagnostics = load("on: x\nno: y\nyes: z\noff: w\n")
    assert diagnostics == []
    assert data == {"on": "x", "no": "y", "yes": "z", "off": "w"}


def test_merge_key_is_plain_text() -> None:
    data, _, diagnostics = load("base: &b {x: 1}\nother:\n  <<: *b\n")
    assert diagnostics == []
    assert data == {"base": {"x": 1}, "other": {"<<": {"x": 1}}}


def test_huge_integer_stays_text() -> None:
    digits = "9" * 5000
    data, _, diagnostics = load(f"v: {digits}\n")
    assert diagnostics == []
    assert data == {"v": digits}


def test_small_anchors_and_aliases_are_allowed() -> None:
    data, _, diagnostics = load("a: &x {k: [1, 2]}\nb: *x\nc: &s text\nd: *s\n")
    assert diagnostics == []
    assert data == {"a": {"k": [1, 2]}, "b": {"k": [1, 2]}, "c": "text", "d": "text"}
    assert data["a"] is not data["b"]  # each path has its own copy


def test_anchor_may_be_redefined() -> None:
    data, _, diagnostics = load("a: &x 1\nb: &x 2\nc: *x\n")
    assert diagnostics == []
    assert data == {"a": 1, "b": 2, "c": 2}


# -- duplicate keys -----------------------------------------------------------------


def test_duplicate_keys_are_all_reported_with_notes() -> None:
    data, positions, diagnostics = load("a: 1\nb: 2\na: 3\nc:\n  x: 1\n  y: 2\n  x: 3\nb: 4\n")
    assert where(diagnostics) == [("UDB102", 3, 1), ("UDB102", 7, 3), ("UDB102", 8, 1)]
    notes = [d.notes for d in diagnostics]
    assert [(text, str(span)) for [(text, span)] in notes] == [
        ("first defined here", "p.yaml:1:1"),
        ("first defined here", "p.yaml:5:3"),
        ("first defined here", "p.yaml:2:1"),
    ]
    assert "`a`" in diagnostics[0].message
    assert data == {"a": 1, "b": 2, "c": {"x": 1, "y": 2}}  # the first one is kept
    assert positions is not None and positions[("a",)].span.line == 1


def test_duplicate_keys_in_flow_mapping_and_quoted_forms() -> None:
    _, _, diagnostics = load("m: {a: 1, 'a': 2}\nn:\n  \"k\": 1\n  k: 2\n")
    assert where(diagnostics) == [("UDB102", 1, 11), ("UDB102", 4, 3)]


def test_problems_inside_a_duplicate_value_are_still_reported() -> None:
    _, _, diagnostics = load("a: 1\na:\n  1: x\n")
    assert where(diagnostics) == [("UDB102", 2, 1), ("UDB111", 3, 3)]


# -- tags -----------------------------------------------------------------------------


@pytest.mark.parametrize("tag", [
    "!!python/object:os.system", "!!python/name:os.system", "!!python/object/apply:os.system",
    "!!python/tuple", "!foo", "!!str", "!!int", "!!float", "!!bool", "!!null", "!!binary",
    "!!timestamp", "!!set", "!!omap", "!!pairs", "!!map", "!!seq", "!", "!<tag:yaml.org,2002:str>",
    "!<!bar>",
])
def test_every_tag_is_rejected_at_its_position(tag: str) -> None:
    diagnostic = only(f"policy:\n  name: {tag} x\n")
    assert where([diagnostic]) == [("UDB103", 2, 9)]
    assert diagnostic.span is not None
    assert diagnostic.span.end_column == 9 + len(tag)
    assert f"`{tag}`" in diagnostic.message


def test_tags_are_all_reported_on_any_node() -> None:
    text = ("a: &anchor !!python/object:os.system x\n"
            "b: !!set {x, y}\n"
            "c: !!seq [1]\n"
            "!!str d: 1\n"
            "e:\n  - !!omap\n    - k: v\n")
    data, _, diagnostics = load(text)
    assert where(diagnostics) == [("UDB103", 1, 12), ("UDB103", 2, 4), ("UDB103", 3, 4),
                                  ("UDB103", 4, 1), ("UDB103", 6, 5)]
    # nothing is constructed: the tagged scalar is read as its text
    assert data == {"a": "x", "b": {"x": None, "y": None}, "c": [1], "d": 1, "e": [[{"k": "v"}]]}


def test_declared_tag_handle_is_a_tag_too() -> None:
    _, _, diagnostics = load("%TAG !e! tag:example.com,2000:\n---\na: !e!foo x\n")
    assert where(diagnostics) == [("UDB103", 3, 4)]


def test_undeclared_tag_handle() -> None:
    diagnostic = only("a: !e!foo x\n")
    assert where([diagnostic]) == [("UDB103", 1, 4)]
    assert "`!e!`" in diagnostic.message


def test_python_tag_never_runs_code(tmp_path: Any) -> None:
    marker = tmp_path / "ran"
    text = f"a: !!python/object/apply:os.system ['touch {marker}']\n"
    _, _, diagnostics = load(text)
    assert where(diagnostics) == [("UDB103", 1, 4)]
    assert not marker.exists()


# -- alias bombs ------------------------------------------------------------------------


def _laughs(levels: int) -> str:
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for previous, name in zip("abcdefghi", "bcdefghij"[: levels - 1], strict=False):
        text += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
    return text


def test_billion_laughs_stops_at_the_alias_that_crosses_the_limit() -> None:
    # root 1, key `a` 1, its list 10, key `b` 1, its list 1 (14 so far); each `*a` adds
    # 10: the third `*a` of `b` goes from 34 to 44 and crosses 40.
    diagnostic = only(_laughs(3), Limits(max_nodes=40))
    assert where([diagnostic]) == [("UDB104", 2, 16)]
    assert "`*a`" in diagnostic.message
    assert "40" in diagnostic.message


def test_billion_laughs_reports_the_outermost_alias() -> None:
    # 104 nodes up to `b`; `c` and its list make 106, and its first `*b` (91 nodes) crosses
    # 150 inside one of the `*a` of `b`: the `*b` written in `c` is reported.
    diagnostic = only(_laughs(3), Limits(max_nodes=150))
    assert where([diagnostic]) == [("UDB104", 3, 8)]
    assert "`*b`" in diagnostic.message


def test_billion_laughs_with_default_limit_is_fast() -> None:
    start = time.monotonic()
    data, _, diagnostics = load(_laughs(9))
    assert data is None
    assert [d.code for d in diagnostics] == ["UDB104"]
    assert time.monotonic() - start < 5


def test_a_document_at_the_node_limit_is_fine() -> None:
    # root, `a`, [1, 2] (3 nodes), `b`, *a (3 nodes): 9 nodes
    data, _, diagnostics = load("a: &a [1, 2]\nb: *a\n", Limits(max_nodes=9))
    assert diagnostics == []
    assert data == {"a": [1, 2], "b": [1, 2]}
    _, _, diagnostics = load("a: &a [1, 2]\nb: *a\n", Limits(max_nodes=8))
    assert where(diagnostics) == [("UDB104", 2, 4)]


def test_recursive_alias_is_rejected() -> None:
    diagnostic = only("a: &a\n  b: [1, *a]\n")
    assert where([diagnostic]) == [("UDB104", 2, 10)]


def test_undefined_alias() -> None:
    diagnostic = only("a: 1\nb: *nope\n")
    assert where([diagnostic]) == [("UDB101", 2, 4)]
    assert "`*nope`" in diagnostic.message


# -- size and depth -------------------------------------------------------------------


def test_file_over_the_size_limit_is_not_parsed() -> None:
    diagnostic = only("a: [\n" + "x" * 100, Limits(max_bytes=50))
    assert where([diagnostic]) == [("UDB105", 1, 1)]
    assert "50" in diagnostic.message


def test_size_counts_utf8_bytes() -> None:
    assert load("a: ææææ\n", Limits(max_bytes=12))[0] == {"a": "ææææ"}
    assert where(load("a: æææææ\n", Limits(max_bytes=12))[2]) == [("UDB105", 1, 1)]


def test_block_nesting_over_the_limit() -> None:
    text = "a:\n  b:\n    c:\n      d: 1\n"
    assert load(text, Limits(max_depth=4))[0] == {"a": {"b": {"c": {"d": 1}}}}
    data, _, diagnostics = load(text, Limits(max_depth=3))
    assert data is None
    assert where(diagnostics) == [("UDB106", 4, 7)]


def test_flow_nesting_over_the_limit() -> None:
    assert load("a: [[[1]]]\n", Limits(max_depth=4))[0] == {"a": [[[1]]]}
    diagnostic = only("a: [[[1]]]\n", Limits(max_depth=3))
    assert where([diagnostic]) == [("UDB106", 1, 6)]


def test_other_problems_are_reported_after_a_nesting_error() -> None:
    text = "a:\n  b:\n    c:\n      d: &x 1\n      e: 2\na: *x\n"
    _, _, diagnostics = load(text, Limits(max_depth=3))
    assert where(diagnostics) == [("UDB106", 4, 7), ("UDB102", 6, 1)]


def test_nesting_through_an_alias_is_counted() -> None:
    text = "x: &x [[1]]\ny: [*x]\n"
    assert load(text, Limits(max_depth=4))[0] == {"x": [[1]], "y": [[[1]]]}
    diagnostic = only(text, Limits(max_depth=3))
    assert where([diagnostic]) == [("UDB106", 2, 5)]
    assert "`*x`" in diagnostic.message


def test_very_deep_flow_nesting_is_rejected_quickly() -> None:
    depth = 200_000
    start = time.monotonic()
    diagnostic = only("a: " + "[" * depth + "]" * depth + "\n")
    assert where([diagnostic]) == [("UDB106", 1, 67)]
    assert time.monotonic() - start < 2


def test_very_deep_block_nesting_does_not_hit_the_recursion_limit() -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(1200)) + " " * 1200 + "v\n"
    diagnostic = only(text)
    assert where([diagnostic]) == [("UDB106", 65, 65)]


# -- documents and the top level --------------------------------------------------------


@pytest.mark.parametrize(("text", "line", "column"), [
    ("a: 1\n---\nb: 2\n", 2, 1),
    ("---\na: 1\n---\nb: 2\n", 3, 1),
    ("a: 1\n...\nb: 2\n", 3, 1),
    ("a: 1\n--- \n", 2, 1),
])
def test_second_document(text: str, line: int, column: int) -> None:
    data, _, diagnostics = load(text)
    assert data is None
    assert where(diagnostics) == [("UDB110", line, column)]


def test_single_document_with_markers_is_fine() -> None:
    assert load("---\na: 1\n...\n")[0] == {"a": 1}


def test_problems_of_the_first_document_are_reported_with_a_second_one() -> None:
    _, _, diagnostics = load("a: 1\na: 2\n---\nb: 2\n")
    assert where(diagnostics) == [("UDB102", 2, 1), ("UDB110", 3, 1)]


@pytest.mark.parametrize(("text", "line", "column", "fragment"), [
    ("", 1, 1, "no content"),
    ("# only a comment\n", 1, 1, "no content"),
    ("---\n", 1, 1, "no content"),
    ("\n\n", 1, 1, "no content"),
    ("- a\n- b\n", 1, 1, "a list"),
    ("\n  just text\n", 2, 3, "text"),
    ("42\n", 1, 1, "a number"),
    ("true\n", 1, 1, "true or false"),
    ("~\n", 1, 1, "empty"),
    ("[a, b]\n", 1, 1, "a list"),
])
def test_top_level_must_be_a_mapping(text: str, line: int, column: int, fragment: str) -> None:
    data, _, diagnostics = load(text)
    assert data is None
    assert where(diagnostics) == [("UDB109", line, column)]
    assert fragment in diagnostics[0].message


def test_flow_mapping_at_top_level_is_fine() -> None:
    assert load("{a: 1, b: [x]}\n")[0] == {"a": 1, "b": ["x"]}


# -- keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "fragment"), [
    ("1", "a number"), ("-5", "a number"), ("true", "true or false"), ("False", "true or false"),
    ("null", "empty"), ("~", "empty"),
])
def test_keys_must_be_text(key: str, fragment: str) -> None:
    data, _, diagnostics = load(f"ok: 1\n{key}: x\n")
    assert where(diagnostics) == [("UDB111", 2, 1)]
    assert fragment in diagnostics[0].message
    assert f'"{key}"' in diagnostics[0].effective_hint
    assert data == {"ok": 1}  # the entry is left out


def test_non_text_keys_are_all_reported() -> None:
    text = "a:\n  1: x\n  2: y\n? [a, b]\n: z\n? {k: v}\n: w\n'3': fine\n"
    data, _, diagnostics = load(text)
    assert where(diagnostics) == [("UDB111", 2, 3), ("UDB111", 3, 3), ("UDB111", 4, 3),
                                  ("UDB111", 6, 3)]
    assert "a list" in diagnostics[2].message and "a mapping" in diagnostics[3].message
    assert data == {"a": {}, "3": "fine"}


def test_empty_key() -> None:
    _, _, diagnostics = load("? \n: x\n")
    assert [d.code for d in diagnostics] == ["UDB111"]
    assert "empty" in diagnostics[0].message


def test_alias_as_key() -> None:
    data, _, diagnostics = load("a: &k name\n*k : 1\n")
    assert diagnostics == []
    assert data == {"a": "name", "name": 1}
    _, _, diagnostics = load("a: &k [1]\n*k : 1\n")
    assert where(diagnostics) == [("UDB111", 2, 1)]


# -- syntax errors --------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "line", "column", "fragment"), [
    ("when: a: b\n", 1, 8, "`: ` is not allowed inside an unquoted value"),
    ("a: x\n  b: y\n", 2, 4, "`: `"),
    ("a:\n\tb: 1\n", 2, 1, "tab"),
    ("a: 'abc\nb: 2\n", 1, 4, "not closed"),
    ('a: "abc\n', 1, 4, "not closed"),
    ('a: "x\\qy"\n', 1, 6, "unknown escape `\\q`"),
    ('a: "\\u00zz"\n', 1, 7, "hexadecimal"),
    ("a: 1\nb\nc: 2\n", 2, 1, "no `:`"),
    ("a:\n    b: 1\n  c: 2\n", 3, 3, "indentation"),
    ("a:\n  - x\n - y\n", 3, 2, "indentation"),
    ("a: [1, 2\nb: 3\n", 1, 4, "`[` list is not closed"),
    ("a: {x: 1\n", 1, 4, "`{` mapping is not closed"),
    ("a: - x\n", 1, 4, "list item"),
    ("a: @x\n", 1, 4, "cannot start with `@`"),
    ("a: `x\n", 1, 4, "backquote"),
    ("a: *\n", 1, 5, "alias"),
    ("a: | x\n  y\n", 1, 6, "`|` or `>`"),
    ("a: [a, , b]\n", 1, 8, "missing"),
    ("a: \x07\n", 1, 4, "U+0007"),
    ("a: b\n\x00\n", 2, 1, "U+0000"),
])
def test_syntax_errors(text: str, line: int, column: int, fragment: str) -> None:
    data, _, diagnostics = load(text)
    assert data is None
    assert where(diagnostics) == [("UDB101", line, column)]
    message = diagnostics[0].message
    assert fragment in message
    assert message == message.strip() and "\n" not in message
    assert message[0].islower() or message[0] in "`"
    for jargon in ("<block", "<scalar>", "Error", "yaml.", "Traceback"):
        assert jargon not in message


def test_syntax_error_stops_the_file_but_keeps_earlier_tags() -> None:
    data, _, diagnostics = load("a: !!str x\nb: c: d\na: 2\n")
    assert data is None
    assert where(diagnostics) == [("UDB103", 1, 4), ("UDB101", 2, 5)]


def test_byte_order_mark_is_ignored() -> None:
    data, positions, diagnostics = load("\ufeffa: 1\n")
    assert diagnostics == [] and data == {"a": 1}
    assert positions is not None and positions.key_span(("a",)) is not None
    assert str(positions.key_span(("a",))) == "p.yaml:1:1"


def test_crlf_line_endings() -> None:
    data, positions, diagnostics = load("a: 1\r\nb:\r\n  c: x y\r\n")
    assert diagnostics == [] and data == {"a": 1, "b": {"c": "x y"}}
    assert positions is not None
    assert str(positions[("b", "c")].span) == "p.yaml:3:6"
    assert positions[("b", "c")].locate(2, 3).start == (3, 8)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{},'\"!&*|>#%@`?~ \n\t\\æ0\x07\ufeff")),
               max_size=60))
def test_never_raises(text: str) -> None:
    bag = DiagnosticBag()
    result = load_yaml_text(text, "p.yaml", bag, Limits(max_depth=5, max_nodes=50))
    if result is None:
        assert bag.has_errors
    else:
        assert isinstance(result[0], dict)
    for diagnostic in bag:
        assert diagnostic.code.startswith("UDB1") or diagnostic.code == "UDB203"
        assert "\n" not in diagnostic.message


# -- positions -----------------------------------------------------------------------------


POLICY = """\
policy:
  name: Tilbud
facts:
  offers:
    fields:
      weekly_hours: {type: hours}
target_groups:
  tg1:
    criteria:
      - when: age >= 30
        label: "over 30"
      - when: age < 30
"""


def test_positions_of_nested_keys_and_list_items() -> None:
    data, positions, diagnostics = load(POLICY)
    assert diagnostics == []
    assert positions is not None
    assert data["target_groups"]["tg1"]["criteria"][1] == {"when": "age < 30"}
    info = positions[("facts", "offers", "fields", "weekly_hours")]
    assert str(info.key_span) == "p.yaml:6:7"
    assert str(info.span) == "p.yaml:6:21"
    assert info.style is None and info.raw is None  # a collection
    when = positions[("target_groups", "tg1", "criteria", 0, "when")]
    assert (when.span.line, when.span.column, when.span.end_line, when.span.end_column) == (
        10, 15, 10, 24)
    assert str(when.key_span) == "p.yaml:10:9"
    assert when.raw == "age >= 30" and when.style is None
    item = positions[("target_groups", "tg1", "criteria", 1)]
    assert item.key_span is None
    assert str(item.span) == "p.yaml:12:9"
    label = positions[("target_groups", "tg1", "criteria", 0, "label")]
    assert label.style == '"' and label.raw == '"over 30"'
    assert str(positions[()].span) == "p.yaml:1:1"
    assert len(positions) == 16


def test_positions_of_empty_values_and_aliases() -> None:
    _, positions, _ = load("a:\nb: &x [1]\nc: *x\nd: [1, *x]\n")
    assert positions is not None
    assert str(positions[("a",)].span) == "p.yaml:1:3"  # just after the colon
    # an alias's node info is the anchored node's, with the key where the alias is used
    assert positions[("c",)].span == positions[("b",)].span
    assert str(positions[("c",)].key_span) == "p.yaml:3:1"
    assert positions[("c", 0)] == positions[("b", 0)]
    assert positions[("d", 1, 0)] == positions[("b", 0)]


def test_position_map_nearest() -> None:
    _, positions, _ = load(POLICY)
    assert positions is not None
    missing = ("target_groups", "tg1", "criteria", 0, "threshold", "value")
    assert positions.get(missing) is None
    nearest = positions.nearest(missing)
    assert nearest is not None and str(nearest.span) == "p.yaml:10:9"
    assert positions.span(missing) == nearest.span
    assert positions.nearest(["policy", "name"]) == positions[("policy", "name")]
    assert positions.key_span(["policy"]) is not None
    assert positions.key_span(missing) is None
    assert positions.nearest(("nope",)) == positions[()]


# -- no global side effects -------------------------------------------------------------------


def test_resolver_tables_are_our_own() -> None:
    assert _Loader.yaml_implicit_resolvers is not yaml.SafeLoader.yaml_implicit_resolvers
    assert _Loader.yaml_path_resolvers is not yaml.SafeLoader.yaml_path_resolvers
    load("a: 2019-02-01\n")
    assert yaml.safe_load("a: 2019-02-01\nb: yes\nc: 1.5\n") == {
        "a": __import__("datetime").date(2019, 2, 1), "b": True, "c": 1.5}


def test_importing_the_loader_changes_nothing_in_pyyaml() -> None:
    script = """
import json, yaml
def snapshot():
    return json.dumps({
        cls.__name__: {
            "implicit": {str(k): [(t, r.pattern) for t, r in v]
                         for k, v in cls.yaml_implicit_resolvers.items()},
            "constructors": sorted(map(str, cls.yaml_constructors)),
            "multi": sorted(map(str, cls.yaml_multi_constructors)),
        } for cls in (yaml.SafeLoader, yaml.Loader, yaml.FullLoader, yaml.BaseLoader)
    }, sort_keys=True)
before = snapshot()
from udbudsregler.diagnostics import DiagnosticBag
from udbudsregler.loader import load_yaml_text
load_yaml_text("a: !!str 1\\nb: 2019-02-01\\n", "p.yaml", DiagnosticBag())
print(json.dumps(before == snapshot()))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    assert json.loads(result.stdout) is True


# -- the round-trip property ------------------------------------------------------------------

_WORDS = st.text(alphabet=st.sampled_from(list("abcxyzæøåÆ_ 019-.:'\"#")), min_size=1,
                 max_size=12)
_KEYS = st.text(alphabet=st.sampled_from(list("abcxyzæøå_019")), min_size=1, max_size=8)
_SCALARS = st.one_of(_WORDS, st.integers(-10_000, 10_000), st.booleans(), st.none())
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(_KEYS, children, max_size=4)),
    max_leaves=20,
)


def _paths(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Any]]:
    out = [(path, value)]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*path, index))
    return out


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=5),
       st.sampled_from([False, None]), st.integers(2, 4))
def test_round_trip_with_positions(data: dict[str, Any], flow: bool | None, indent: int) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, indent=indent, allow_unicode=True,
                          sort_keys=False, width=30)
    # strings PyYAML would write plain but that mean something else to us are quoted by
    # safe_dump already (it quotes what its own resolvers would type); our typing is a subset
    loaded, positions, diagnostics = load(text)
    assert diagnostics == []
    assert loaded == data
    assert positions is not None
    lines = text.splitlines()
    for path, value in _paths(data):
        info = positions[path]
        if path and isinstance(path[-1], str):
            assert info.key_span is not None
            key_line = lines[info.key_span.line - 1]
            written = key_line[info.key_span.column - 1 :]
            assert written.startswith(path[-1]) or written.startswith(("'", '"'))
        if isinstance(value, (dict, list)) and not value:
            continue
        if info.raw is not None:
            assert isinstance(value, (str, int, bool)) or value is None
            start = text.splitlines(keepends=True)
            offset = sum(len(line) for line in start[: info.span.line - 1]) + info.span.column - 1
            assert text[offset : offset + len(info.raw)] == info.raw
            if isinstance(value, str) and value:
                # every non-blank character of the value is located at itself
                for index, char in enumerate(value):
                    if char.isspace():
                        continue
                    span = info.locate(index, index + 1)
                    source_line = lines[span.line - 1]
                    if info.style == '"' and char in '"\\':
                        assert source_line[span.column - 1] == "\\"
                    else:
                        assert source_line[span.column - 1] == char
