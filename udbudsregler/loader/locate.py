"""Positions of loaded YAML: marks to spans, per-path node info, and value offsets to spans.

PyYAML marks are 0-based; :class:`~udbudsregler.diagnostics.Span` is 1-based.
:func:`span_from_marks` is the only place where that conversion happens; the
other helpers here count from a span that already is 1-based.

Line breaks are counted the way PyYAML counts them (``\\n``, ``\\r\\n``, a lone
``\\r``, ``\\x85``, ``\\u2028`` and ``\\u2029``), so positions computed here agree
with the marks of the parser. Columns count code points, not bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from udbudsregler.diagnostics import Span

__all__ = [
    "NodeInfo",
    "NodePath",
    "PositionMap",
    "advance",
    "align",
    "position_at",
    "span_from_marks",
]

#: The path of a node from the document root: mapping keys and list indices.
NodePath = tuple[str | int, ...]

_BREAKS = "\n\x85\u2028\u2029"


class _Mark(Protocol):
    """What the loader needs of a PyYAML mark (0-based line and column)."""

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


def span_from_marks(file: str, start: _Mark, end: _Mark | None = None) -> Span:
    """The span from PyYAML's 0-based ``start`` mark to its exclusive ``end`` mark.

    This is the one place where 0-based marks become 1-based spans.
    """
    line, column = start.line + 1, start.column + 1
    if end is None or (end.line, end.column) <= (start.line, start.column):
        return Span(file, line, column)
    return Span(file, line, column, end.line + 1, end.column + 1)


def _break_length(text: str, index: int) -> int:
    """How many characters the line break at ``text[index]`` takes (0 if none)."""
    ch = text[index]
    if ch in _BREAKS:
        return 1
    if ch == "\r":
        return 2 if text[index + 1 : index + 2] == "\n" else 1
    return 0


def advance(text: str, stop: int, line: int, column: int) -> tuple[int, int]:
    """The 1-based position reached after reading ``text[:stop]`` from ``(line, column)``."""
    index = 0
    while index < stop:
        size = _break_length(text, index)
        if size:
            index += size
            line, column = line + 1, 1
        else:
            index += 1
            column += 1
    return line, column


def position_at(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of character ``index`` in a whole file's ``text``."""
    return advance(text, min(max(index, 0), len(text)), 1, 1)


# -- aligning a scalar's value with its source --------------------------------------

_ESCAPES = {
    "0": "\0", "a": "\x07", "b": "\x08", "t": "\t", "\t": "\t", "n": "\n", "v": "\x0b",
    "f": "\x0c", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
    "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def _decode_escape(raw: str, index: int) -> tuple[str, int] | None:
    """The character a double-quoted escape at ``raw[index]`` stands for, and its length."""
    code = raw[index + 1 : index + 2]
    if code in _ESCAPES:
        return _ESCAPES[code], 2
    if code in _HEX_ESCAPES:
        digits = raw[index + 2 : index + 2 + _HEX_ESCAPES[code]]
        try:
            return chr(int(digits, 16)), 2 + len(digits)
        except ValueError:
            return None
    return None


def _skip_properties(raw: str) -> int:
    """The offset where a node's content starts, after its anchor and tag (if any)."""
    index = 0
    for _ in range(2):
        if raw[index : index + 1] not in ("&", "!"):
            break
        while index < len(raw) and not raw[index].isspace():
            index += 1
        while index < len(raw):
            if raw[index].isspace():
                index += 1
            elif raw[index] == "#":
                while index < len(raw) and not _break_length(raw, index):
                    index += 1
            else:
                break
    return index


def _leading_spaces(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _block_body(raw: str, start: int, value: str) -> tuple[int, int] | None:
    """Where the body of a block scalar starts, and its indentation."""
    index = start
    while index < len(raw) and not _break_length(raw, index):
        index += 1
    if index >= len(raw):
        return (index, 0) if not value else None
    index += _break_length(raw, index)
    body = raw[index:]
    first_raw = next((line for line in body.splitlines() if line.strip()), "")
    first_value = value.lstrip("\n").split("\n", 1)[0]
    indent = _leading_spaces(first_raw) - _leading_spaces(first_value)
    return index, max(indent, 0)


def align(raw: str, style: str | None, value: str) -> list[tuple[int, int]] | None:
    """For each character of a scalar's ``value``, the ``[start, end)`` in ``raw`` it came from.

    ``raw`` is the node's source text from its start mark to its end mark and
    ``style`` its PyYAML style (None, ``'``, ``"``, ``|`` or ``>``). The
    alignment is greedy: equal characters are matched, folded line breaks
    match a space or a line feed of the value, double-quoted escapes match the
    character they stand for, and indentation, trailing spaces and quotes are
    skipped. Returns None when the value cannot be aligned with the source.
    """
    index = _skip_properties(raw)
    end = len(raw)
    indent = -1  # -1: after a line break, skip all spaces and tabs (flow scalars)
    if style in ("'", '"'):
        if raw[index : index + 1] != style or len(raw) - index < 2 or raw[-1] != style:
            return None
        index += 1
        end -= 1
    elif style in ("|", ">"):
        if raw[index : index + 1] != style:
            return None
        body = _block_body(raw, index, value)
        if body is None:
            return None
        index, indent = body

    def skip_indent(at: int) -> int:
        if indent < 0:
            while at < end and raw[at] in " \t":
                at += 1
            return at
        limit = at + indent
        while at < min(end, limit) and raw[at] == " ":
            at += 1
        return at

    if indent >= 0:
        index = skip_indent(index)
    out: list[tuple[int, int]] = []
    position = 0
    while position < len(value):
        if index >= end:
            return None
        char, source = value[position], raw[index]
        size = _break_length(raw, index)
        if style == '"' and source == "\\":
            if index + 1 < end and _break_length(raw, index + 1):
                index = skip_indent(index + 1 + _break_length(raw, index + 1))
                continue
            decoded = _decode_escape(raw, index)
            if decoded is None or decoded[0] != char:
                return None
            out.append((index, index + decoded[1]))
            index += decoded[1]
        elif style == "'" and source == "'":
            if raw[index + 1 : index + 2] != "'" or char != "'":
                return None
            out.append((index, index + 2))
            index += 2
        elif size and (char in ("\n", " ") or char == source):
            out.append((index, index + size))
            index = skip_indent(index + size)
        elif char == source:
            out.append((index, index + 1))
            index += 1
        elif size:
            index = skip_indent(index + size)
            continue
        elif source in " \t\r":
            index += 1
            continue
        else:
            return None
        position += 1
    return out


# -- node info and the position map ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """Where one node of a loaded document is in its source file.

    ``span`` covers the value node (for an alias: the node it refers to);
    ``key_span`` the key when the node is a mapping value. For scalars,
    ``style`` is None for plain text or one of ``'``, ``"``, ``|``, ``>``;
    ``raw`` is the exact source text of the node from its start to its end
    (including an anchor or tag in front of it) and ``text`` the scalar's value
    as text, which :meth:`locate` offsets index into.
    """

    span: Span
    key_span: Span | None = None
    style: str | None = None
    raw: str | None = None
    text: str | None = field(default=None, repr=False, compare=False)

    @property
    def start_span(self) -> Span:
        """A one-character span at the start of the node."""
        return Span(self.span.file, self.span.line, self.span.column)

    def locate(self, start: int, end: int) -> Span:
        """The span in the file of characters ``[start, end)`` of the scalar's value.

        An empty range points just before ``start`` (or just after the last
        character when ``start`` is the length of the value). Offsets are
        clamped to the value. Falls back to the start of the node when the node
        is not a scalar or its value cannot be aligned with the source.
        """
        if self.raw is None or self.text is None or not self.text:
            return self.start_span
        mapping = align(self.raw, self.style, self.text)
        if mapping is None or len(mapping) != len(self.text):
            return self.start_span
        size = len(self.text)
        start = min(max(start, 0), size)
        end = min(max(end, start), size)
        begin = mapping[start][0] if start < size else mapping[-1][1]
        line, column = advance(self.raw, begin, self.span.line, self.span.column)
        if end == start:
            return Span(self.span.file, line, column)
        end_line, end_column = advance(self.raw, mapping[end - 1][1], self.span.line,
                                       self.span.column)
        return Span(self.span.file, line, column, end_line, end_column)


class PositionMap(Mapping[NodePath, NodeInfo]):
    """Node positions of a loaded document, keyed by path from the root.

    A path is a tuple of mapping keys and list indices, e.g.
    ``("target_groups", "tg1", "criteria", 0, "when")``; the root is ``()``.
    Lookups accept any sequence (such as a pydantic ``loc``) and convert it
    to a tuple.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[NodePath, NodeInfo] | Iterable[tuple[NodePath, NodeInfo]]
                 = ()) -> None:
        self._items: dict[NodePath, NodeInfo] = dict(items)

    def __getitem__(self, path: NodePath) -> NodeInfo:
        return self._items[tuple(path)]

    def __iter__(self) -> Iterator[NodePath]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"PositionMap({len(self._items)} paths)"

    def nearest(self, path: Sequence[str | int]) -> NodeInfo | None:
        """The info of the longest prefix of ``path`` that exists (the root at least)."""
        path = tuple(path)
        for size in range(len(path), -1, -1):
            info = self._items.get(path[:size])
            if info is not None:
                return info
        return None

    def key_span(self, path: Sequence[str | int]) -> Span | None:
        """The span of the key of the mapping value at ``path``, if there is one."""
        info = self._items.get(tuple(path))
        return info.key_span if info is not None else None

    def span(self, path: Sequence[str | int]) -> Span | None:
        """The span of the node at ``path``, or of its nearest existing parent."""
        info = self.nearest(path)
        return info.span if info is not None else None
