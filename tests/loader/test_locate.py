"""Tests of udbudsregler.loader.locate: marks to spans and value offsets to file positions."""

from __future__ import annotations

import pytest
from yaml.error import Mark

from udbudsregler.diagnostics import DiagnosticBag, Span
from udbudsregler.loader import NodeInfo, NodePath, PositionMap, load_yaml_text
from udbudsregler.loader.locate import advance, align, position_at, span_from_marks


def info_of(text: str, *path: str | int) -> NodeInfo:
    bag = DiagnosticBag()
    result = load_yaml_text(text, "p.yaml", bag)
    assert result is not None, [d.render() for d in bag]
    assert not bag.has_errors
    return result[1][tuple(path)]


def at(span: Span) -> tuple[int, int, int, int]:
    return (span.line, span.column, span.end_line, span.end_column)


def char_at(text: str, span: Span) -> str:
    return text.splitlines()[span.line - 1][span.column - 1]


def assert_each_character_found(text: str, info: NodeInfo, skip: str = " \n") -> None:
    assert info.text is not None
    for index, char in enumerate(info.text):
        if char not in skip:
            assert char_at(text, info.locate(index, index + 1)) == char, (index, char)


# -- helpers ------------------------------------------------------------------------------


def test_span_from_marks_is_one_based() -> None:
    start = Mark("x", 0, 0, 0, None, 0)
    end = Mark("x", 5, 0, 5, None, 0)
    assert at(span_from_marks("f", start, end)) == (1, 1, 1, 6)
    assert at(span_from_marks("f", Mark("x", 9, 2, 3, None, 0))) == (3, 4, 3, 5)
    # an empty node (end == start) still gets a one-character span
    assert at(span_from_marks("f", end, end)) == (1, 6, 1, 7)


@pytest.mark.parametrize(("text", "index", "expected"), [
    ("abc", 0, (1, 1)), ("abc", 2, (1, 3)), ("a\nbc", 3, (2, 2)), ("a\r\nbc", 3, (2, 1)),
    ("a\r\nbc", 4, (2, 2)), ("a\rb", 2, (2, 1)), ("æøå\nx", 3, (1, 4)), ("a\u2028b", 2, (2, 1)),
    ("😀x", 1, (1, 2)), ("abc", 99, (1, 4)),
])
def test_position_at(text: str, index: int, expected: tuple[int, int]) -> None:
    assert position_at(text, index) == expected


def test_advance_counts_from_a_start() -> None:
    assert advance("ab\ncd", 4, 5, 7) == (6, 2)
    assert advance("ab", 2, 5, 7) == (5, 9)


# -- locate, per scalar style --------------------------------------------------------------


def test_plain_one_line() -> None:
    text = "rules:\n  r1:\n    when: age >= 30 and foo(\n"
    info = info_of(text, "rules", "r1", "when")
    assert info.style is None
    assert at(info.locate(0, 3)) == (3, 11, 3, 14)  # `age`
    assert at(info.locate(17, 18)) == (3, 28, 3, 29)  # `(`
    assert char_at(text, info.locate(17, 18)) == "("
    assert at(info.locate(18, 18)) == (3, 29, 3, 30)  # just after the end
    assert_each_character_found(text, info)


def test_plain_folded_over_lines() -> None:
    text = "a:\n  when: age >= 30\n    and   foo(\n      bar)\n"
    info = info_of(text, "a", "when")
    assert info.text == "age >= 30 and   foo( bar)"
    index = info.text.index("and")
    assert at(info.locate(index, index + 3)) == (3, 5, 3, 8)
    index = info.text.index("bar")
    assert at(info.locate(index, index + 3)) == (4, 7, 4, 10)
    # a range over the fold ends on the next line
    assert at(info.locate(0, index + 3)) == (2, 9, 4, 10)
    assert_each_character_found(text, info)


def test_literal_block_with_indentation() -> None:
    text = "a:\n  when: |\n    age >= 30\n      and bår(\n\n    x\n"
    info = info_of(text, "a", "when")
    assert info.style == "|"
    assert info.text == "age >= 30\n  and bår(\n\nx\n"
    index = info.text.index("bår")
    assert at(info.locate(index, index + 3)) == (4, 11, 4, 14)
    assert at(info.locate(info.text.index("x"), info.text.index("x") + 1)) == (6, 5, 6, 6)
    # the more-indented spaces are the ones after the indentation
    assert at(info.locate(10, 11)) == (4, 5, 4, 6)
    assert_each_character_found(text, info)


@pytest.mark.parametrize("header", ["|-", "|+", "|2", "|-2", "| # comment"])
def test_literal_block_headers(header: str) -> None:
    text = f"a: {header}\n  one\n    two(\n\nb: 1\n"
    info = info_of(text, "a")
    assert info.text is not None
    index = info.text.index("two(")
    assert at(info.locate(index + 3, index + 4)) == (3, 8, 3, 9)
    assert_each_character_found(text, info)


def test_folded_block() -> None:
    text = "a: >\n  age >= 30\n  and bar(\n\n  x\n    more\n  y\n"
    info = info_of(text, "a")
    assert info.style == ">"
    assert info.text == "age >= 30 and bar(\nx\n  more\ny\n"
    index = info.text.index("bar")
    assert at(info.locate(index, index + 3)) == (3, 7, 3, 10)
    assert at(info.locate(info.text.index("more"), info.text.index("more") + 4)) == (6, 5, 6, 9)
    assert at(info.locate(info.text.index("y"), info.text.index("y") + 1)) == (7, 3, 7, 4)
    assert_each_character_found(text, info)


def test_folded_block_strip() -> None:
    text = "a: >-\n    one\n    two\n"
    info = info_of(text, "a")
    assert info.text == "one two"
    assert at(info.locate(4, 7)) == (3, 5, 3, 8)


def test_single_quoted() -> None:
    text = "a: 'it''s a\n  test(  x'\n"
    info = info_of(text, "a")
    assert info.style == "'"
    assert info.text == "it's a test(  x"
    assert at(info.locate(2, 3)) == (1, 7, 1, 9)  # the `''` pair
    assert at(info.locate(3, 4)) == (1, 9, 1, 10)
    index = info.text.index("(")
    assert at(info.locate(index, index + 1)) == (2, 7, 2, 8)
    assert at(info.locate(len(info.text), len(info.text))) == (2, 11, 2, 12)
    assert_each_character_found(text, info, skip=" '")


def test_double_quoted_escapes_and_folding() -> None:
    text = 'a: "x \\"y\\" \\\\ \\n\\t\\u00e6 \\x41\n  æ(\\\n  z)"\n'
    info = info_of(text, "a")
    assert info.style == '"'
    assert info.text == 'x "y" \\ \n\tæ A æ(z)'
    assert at(info.locate(2, 3)) == (1, 7, 1, 9)  # `\"`
    assert at(info.locate(6, 7)) == (1, 13, 1, 15)  # `\\`
    index = info.text.index("\t")
    assert at(info.locate(index, index + 1)) == (1, 18, 1, 20)
    index = info.text.index("æ")
    assert at(info.locate(index, index + 1)) == (1, 20, 1, 26)  # `\u00e6`
    index = info.text.index("A")
    assert at(info.locate(index, index + 1)) == (1, 27, 1, 31)  # `\x41`
    index = info.text.index("æ(")
    assert at(info.locate(index, index + 2)) == (2, 3, 2, 5)
    index = info.text.index("z")
    assert at(info.locate(index, index + 1)) == (3, 3, 3, 4)


def test_columns_count_characters_not_bytes() -> None:
    text = "navn: 'Tilbud på ældre'\nb: æøå + fejl(\n"
    info = info_of(text, "navn")
    assert info.text == "Tilbud på ældre"
    assert at(info.locate(10, 15)) == (1, 18, 1, 23)
    info = info_of(text, "b")
    assert at(info.locate(10, 11)) == (2, 14, 2, 15)
    assert_each_character_found(text, info)


def test_anchor_and_tagless_properties_are_skipped() -> None:
    text = "a: &x  value(\nb: *x\n"
    info = info_of(text, "b")
    assert info.raw == "&x  value("
    assert at(info.locate(5, 6)) == (1, 13, 1, 14)


def test_ranges_are_clamped() -> None:
    info = info_of("a: abc\n", "a")
    assert at(info.locate(-5, 1)) == (1, 4, 1, 5)
    assert at(info.locate(1, 99)) == (1, 5, 1, 7)
    assert at(info.locate(99, 99)) == (1, 7, 1, 8)
    assert at(info.locate(2, 1)) == (1, 6, 1, 7)  # end before start: empty range at start


def test_fallbacks_to_the_start_of_the_node() -> None:
    mapping = info_of("a:\n  b: 1\n", "a")
    assert at(mapping.locate(0, 1)) == (2, 3, 2, 4)
    empty = info_of("a: ''\n", "a")
    assert at(empty.locate(0, 0)) == (1, 4, 1, 5)
    broken = NodeInfo(Span("p.yaml", 4, 9, 4, 12), None, None, "abc", "xyz")
    assert at(broken.locate(1, 2)) == (4, 9, 4, 10)
    assert align("abc", None, "xyz") is None
    assert align("'abc", "'", "abc") is None
    assert align('"\\q"', '"', "q") is None


# -- the position map ------------------------------------------------------------------------


def test_position_map_is_a_read_only_mapping() -> None:
    info = NodeInfo(Span("f", 1, 1))
    child = NodeInfo(Span("f", 2, 3), Span("f", 2, 1))
    items: dict[NodePath, NodeInfo] = {(): info, ("a",): child}
    positions = PositionMap(items)
    assert len(positions) == 2 and list(positions) == [(), ("a",)]
    assert positions[("a",)] is child
    assert positions.get(("b",)) is None
    assert positions.nearest(["a", 0, "x"]) is child
    assert positions.nearest(("b", "c")) is info
    assert positions.key_span(("a",)) == Span("f", 2, 1)
    assert positions.key_span(()) is None
    assert positions.span(("a", "zz")) == Span("f", 2, 3)
    assert PositionMap().nearest(("a",)) is None
    assert PositionMap().span(("a",)) is None
    assert "2 paths" in repr(positions)
