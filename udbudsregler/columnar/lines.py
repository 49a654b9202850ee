"""JSON lines read fast: Arrow's JSON reader, where it reads what ``decide`` reads.

``decide_file`` reads a JSON-lines population in blocks of whole lines
(:func:`line_blocks`). :class:`FastJson` gives the lines of a block that may be read by
Arrow's JSON reader (``pyarrow.json`` with the policy's fact schema given and an unknown
key an error; about 2 µs a line against 8 for Python's reader and the fact check) to it,
in one Arrow table per piece of lines; the columnar checks of ``decide_table`` then find
the rows ``decide`` might reject, and those rows are parsed the exact way (``read_line``,
in :class:`Records`) and decided per record. Every other line is read the exact way by
``decide_file`` itself. The decisions and the errors are the same either way.

Where Arrow's reader and ``decide``'s reading part (measured with pyarrow 26), and what is
done about it:

- **Arrow refuses** a key the schema does not have, a key twice (it reads the escapes
  of keys, as ``decide`` does), a value of another JSON type (a number for a
  text, ``1`` for ``true``, ``1.0`` or ``1e2`` for a whole number), NaN and Infinity,
  a lone surrogate, a control character in a string, a decimal with more than 18
  places or beyond ``decimal128(38, 18)``, a line that is not JSON: the lines are then
  read again in smaller pieces (:meth:`FastJson.read`), and a piece Arrow still
  refuses is read the exact way.
- **Never given to Arrow** (read the exact way): a blank line (skipped, as the exact
  reader skips it); a line that is not one ``{...}`` with only spaces and tabs around it
  (a ``null`` line crashes pyarrow; a number, an array, a byte-order mark or other white
  space are errors the exact way); a line with :data:`MAX_DEPTH` or more brackets (too
  deep for ``read_json``; never given to a parser that could overflow); every line of a
  block that is not UTF-8 or ends a line with a lone carriage return.
- **Numbers as text**: a decimal, amount or hours value given as a JSON string is read by
  Arrow in forms ``decide`` refuses (``"+1"``, ``"1."``, ``".5"``, a number of more than
  64 characters); and a zero written with an exponent or more than 18 places
  (``0e30``, ``"0E-400"``) is 0 to Arrow but beyond the input limits to ``decide``. A
  line where such a field's value could be either (:func:`hazard_pattern`) is read the
  exact way.
- **Dates** are read as text (Arrow's ``date32`` reads a JSON number as days since
  1970: ``"birth_date": 19000`` would be a date), and the columnar reader reads ISO text
  as ``decide`` does (strict ``YYYY-MM-DD``, a real calendar date).
- **An open end**: Arrow reads a period (or history record) without a ``to`` key as a
  null ``to``, an open end; ``decide`` requires the key. When a piece has a null ``to``
  and fewer ``"to"`` keys than periods and history records, its rows with a null ``to``
  are read the exact way.
- A line Arrow reads as more than one row (``{}{}``): the piece is read the exact way.
- The wrapper ``{"id": ..., "facts": {...}}`` is read with an ``id`` (text) and a
  ``facts`` column; an ``order``, a ``note`` or another key (or an id that is not text)
  makes Arrow refuse it, a missing or null ``facts`` sends the line the exact way. A
  line is read the exact way by :func:`~udbudsregler.runtime.inputs.population_line`.
- **A date key** (``decide --population --on KEY``: each citizen's decision date beside
  ``facts``) is read as text into :data:`DAY_COLUMN` (a line without it, or not
  wrapped, has a null date); a line whose date is not text or null (which Arrow would
  refuse, and with it the lines read with it) is read the exact way
  (:func:`day_hazard`). ``decide_table`` reads the dates as it reads a column of dates.

If a row Arrow read cannot be parsed the exact way when it is decided per record (it
should not happen), :class:`Redo` is raised and ``decide_file`` reads the whole batch again
the exact way. ``FAST`` (a module flag) turns the fast reading off.
"""

from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from udbudsregler.columnar.cells import MAX_CELL_CHARS
from udbudsregler.columnar.table import (
    DAY_COLUMN,
    PolicyLike,
    _nulls,
    fact_schema,
    support,
    text_dates,
)
from udbudsregler.diagnostics import FactError
from udbudsregler.loader.documents import FactSpec
from udbudsregler.runtime.inputs import MAX_DEPTH, MAX_INT_CHARS, population_line, read_json
from udbudsregler.values import fact_kinds
from udbudsregler.values.convert import MAX_NUMBER_TEXT

__all__ = ["DAY_COLUMN", "FAST", "MAX_LINE_BYTES", "FastJson", "LineBlock", "LineTooLong",
           "Records", "Redo", "line_blocks", "read_line"]

#: The longest line of a JSON-lines population file, in bytes (as long as the longest
#: CSV cell): a longer one is not read, and refuses the file.
MAX_LINE_BYTES = MAX_CELL_CHARS


class LineTooLong(Exception):
    """A line longer than :data:`MAX_LINE_BYTES` (``line``: its number), found before
    more than about twice that was read."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line

#: Whether ``decide_file`` reads JSON lines with Arrow's reader where that is exact (the
#: tests turn it off to compare with the exact way).
FAST = True
#: Lines read by Arrow at once after it refused the whole block; a piece it refuses is
#: read again in quarters, down to pieces of SMALLEST_PIECE lines (a line it refuses
#: costs about that many lines read the exact way, about 20 µs each).
PIECE_LINES = 4096
SMALLEST_PIECE = 16
#: (DAY_COLUMN, from the table module: the column of a batch holding each line's date
#: key; its errors are reported at the key's name.)


# -- the exact reading of one line -------------------------------------------------------


class _Special(Exception):
    """A JSON line the plain reader must not answer for (a key twice, an overlong integer):
    ``read_json`` reads it, with its errors."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Special()
    return out


def _constant(name: str) -> float:
    return float(name)


def read_line(text: str) -> Any:
    """One JSON line as ``read_json`` reads it (the same values and the same errors),
    faster: a line with no key twice, no overlong integer and too few brackets to nest
    :data:`MAX_DEPTH` deep needs none of ``read_json``'s checks after parsing; any other
    line is read by ``read_json`` itself."""
    if len(text) > MAX_INT_CHARS or text.count("[") + text.count("{") >= MAX_DEPTH or \
            text.startswith("\ufeff"):  # (json.loads names a byte-order mark; decode does not)
        return read_json(text)  # an integer this long, or nesting this deep, is possible
    try:
        return _DECODER.decode(text)
    except _Special:
        return read_json(text)


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_constant,
                            object_pairs_hook=_pairs)


# -- blocks of whole lines ---------------------------------------------------------------


@dataclass
class LineBlock:
    """Whole lines of a file, as bytes: line ``k`` (numbered ``first + k`` in the file, from
    1) is ``data[starts[k]:ends[k]]`` without its end (``\\n``, ``\\r\\n`` or ``\\r``, as
    Python's universal newlines end lines). ``data`` may go on after the last line (the
    start of the next block's)."""

    data: bytes
    first: int
    starts: Any
    ends: Any
    #: Where the block's lines end in ``data`` (after the last one's end characters).
    stop: int
    #: Whether a line ends with a carriage return alone (then only the exact way reads it).
    lone_cr: bool
    #: How far into the file (0-1).
    done: float

    def __len__(self) -> int:
        return len(self.starts)

    def line(self, k: int) -> bytes:
        return self.data[int(self.starts[k]): int(self.ends[k])]

    def utf8(self) -> bool:
        """Whether the block's lines are UTF-8 text."""
        if self.data.isascii():
            return True
        try:
            codecs.utf_8_decode(memoryview(self.data)[: self.stop], "strict", True)
        except UnicodeDecodeError:
            return False
        return True


def _ends(data: bytes) -> Any:
    """Where each line of ``data`` ends: the position of its last end character (``\\n``,
    or a ``\\r`` not followed by ``\\n``; ``data`` does not end with a ``\\r`` that a
    ``\\n`` follows)."""
    a = np.frombuffer(data, dtype=np.uint8)
    if b"\r" not in data:  # in steps: no temporary as large as the block
        step = 1 << 18
        mask = np.empty(min(step, len(a)), dtype=bool)
        found = []
        for at in range(0, len(a), step):
            part = a[at: at + step]
            np.equal(part, 10, out=mask[: len(part)])
            found.append(np.flatnonzero(mask[: len(part)]) + at)
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    newline = a == 10
    lone = a == 13
    lone[:-1] &= ~newline[1:]
    return np.flatnonzero(newline | lone)


def line_blocks(stream: io.BufferedIOBase, lines: int, size: int) -> Iterator[LineBlock]:
    """The file (opened in binary, seekable) in blocks of at most ``lines`` lines, without
    a UTF-8 byte-order mark at its start (``size``: its size in bytes, for ``done`` and
    the size of a read). A block is one read (a batch's block is tens of megabytes:
    copies of it cost as much as the reading), sized by the length of the lines so far;
    what it read beyond its last line is read again by the next block. A line longer than
    :data:`MAX_LINE_BYTES` is :class:`LineTooLong`."""
    first = 1
    at = stream.tell()
    probe = stream.read(1 << 16)  # the length of a line, from the first ones
    per_line = max(len(probe) / max(probe.count(b"\n"), 1), 16.0)
    stream.seek(at)
    while True:
        # (at most four times the longest line: a long first line makes no huge block)
        want = min(max(1 << 12, int(lines * per_line * 1.02) + 1), 4 * MAX_LINE_BYTES)
        while True:
            data = stream.read(min(want, max(size - at, 0) + 1))
            eof = not data or len(data) < min(want, max(size - at, 0) + 1)
            ends = _ends(data)
            if not eof and len(ends) and ends[-1] == len(data) - 1 and data[-1:] == b"\r":
                ends = ends[:-1]  # perhaps the first half of a \r\n: read again
            if eof or len(ends):
                break
            if len(data) > MAX_LINE_BYTES:  # no line end in all of it: never held whole
                raise LineTooLong(first)
            stream.seek(at)  # not one whole line yet: read more
            want *= 2
        begin = 3 if at == 0 and data.startswith(b"\xef\xbb\xbf") else 0
        if len(data) <= begin:
            return
        starts = np.concatenate(([begin], ends + 1)).astype(np.int64)
        if not eof or starts[-1] >= len(data):
            starts = starts[:-1]  # the text after the last line end: the next block's
        starts = starts[:lines]
        content = np.full(len(starts), len(data), dtype=np.int64)
        last = ends[: len(starts)]
        content[: len(last)] = last
        long = np.flatnonzero(content - starts > MAX_LINE_BYTES)
        if len(long):
            raise LineTooLong(first + int(long[0]))
        cut = int(last[-1]) + 1 if len(last) == len(starts) else len(data)
        lone_cr = False
        if len(last) and b"\r" in data:  # a line ends before the \r of its \r\n
            a = np.frombuffer(data, dtype=np.uint8)
            at_end = a[last]
            lone_cr = bool((at_end == 13).any())
            pair = (at_end == 10) & (last > starts[: len(last)])
            pair[pair] &= a[last[pair] - 1] == 13
            content[: len(last)] -= pair
        at += cut
        if cut < len(data):
            stream.seek(at)
        per_line = max((cut - begin) / max(len(starts), 1), 16.0)
        yield LineBlock(data, first, starts, content, cut, lone_cr, min(at / max(size, 1), 1.0))
        first += len(starts)


# -- which lines Arrow may read -----------------------------------------------------------


#: Characters a bracket count keeps (and the line ends that separate the lines).
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[{\n")


def deep_lines(block: LineBlock) -> Any:
    """Which lines have :data:`MAX_DEPTH` or more brackets (``read_line``'s test of a line
    that could nest too deep): every byte but the brackets and ``\\n`` deleted, the lines
    measured (a block without lone carriage returns: each line ends with ``\\n``)."""
    kept = np.frombuffer(block.data.translate(None, _NOT_BRACKETS), dtype=np.uint8)
    newlines = np.flatnonzero(kept == 10)
    counts = np.diff(np.concatenate(([-1], newlines, [len(kept)]))) - 1
    return counts[: len(block)] >= MAX_DEPTH


_EXPONENT = r'[eE](?:[^-+0-9]|[-+][^0-9]|[-+]?[0-9]+[^0-9"])'
#: After the opening quote: a text that is not ``-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?``
#: up to its closing quote (each alternative is a place where such a number cannot go
#: on: the character there is not one it allows, a backslash included).
_NOT_A_NUMBER = (r'(?:[^-0-9]|-[^0-9]|-?[0-9]+(?:[^.eE0-9"]|\.[^0-9]|\.[0-9]+[^eE0-9"]'
                 r'|(?:\.[0-9]+)?' + _EXPONENT + r'))')


def hazard_pattern(names: Sequence[str]) -> str:
    """An RE2 pattern of a line where a decimal-like field (``names``) has a value Arrow's
    ``decimal128`` may read otherwise than ``decide``:

    - a JSON string that is not a number as ``decide`` reads one (``to_number``:
      ``-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?``), or is longer than
      :data:`MAX_NUMBER_TEXT` (``decide`` refuses it; Arrow reads ``"+1"``, ``"1."``,
      ``".5"`` and any number of leading zeros);
    - a zero, as a number or a string, written with an exponent or with 19 places or more
      (``0e30`` is 0 to Arrow; ``decide`` refuses ``0E+30`` as beyond the input limits).

    Why no line Arrow reads otherwise gets past it (a match only costs the exact
    reading of its line, so each alternative errs on the side of one):

    - Arrow puts a value in a decimal column only as the value of that field's key in an
      object (the schema has no list of bare values), and only in a line that is valid
      JSON. There the key is written as its name, ``"K"``, then spaces or tabs (JSON's
      white space within a line), a colon, spaces or tabs, and the value; or it is
      written with an escape (Arrow reads the escapes of keys): then
      :data:`ESCAPED_KEY`, tested apart, matches the line.
    - RE2 tries the pattern at every position of the line, so nothing before the key
      (colons or quotes inside strings) can hide it; such text can only add matches
      (and ``"K"`` cannot occur inside a string of valid JSON, whose quotes are escaped).
    - After the key, a string's raw text either is a number as ``decide`` reads it, up
      to the closing quote (digits, so no escape: the text Arrow reads is that text), or
      the pattern matches at the first character where it stops being one (a backslash
      included). A number longer than 64 characters matches the second alternative.
    - A zero is 0 to both; only its written form can be beyond the limits, and every such
      form (an exponent, or 19 places) has a zero right before the ``e`` or 19 zeros
      after the point: the last two alternatives.
    - Any other value beyond the limits (a large or long number, a negative number of
      hours, more than 18 places) is refused by Arrow or found by the columnar checks,
      as in any Arrow table."""
    keys = "|".join(re.escape(n) for n in names)
    key = f'"(?:{keys})"[ \\t]*:[ \\t]*'
    return "|".join([
        key + '"' + _NOT_A_NUMBER,
        key + f'"[-+.0-9eE]{{{MAX_NUMBER_TEXT + 1}}}',
        key + r'"?-?0+(?:\.0*)?[eE]',
        key + r'"?-?0*\.0{19}',
    ])


#: An RE2 pattern of a key written with a ``\\uXXXX`` escape: the last escape of the key,
#: up to the colon after it. A ``\\uXXXX`` escape is the only one that gives a letter, a
#: digit or ``_`` (the names of decimal fields are words), and nothing after the last
#: escape of such a key is a quote or a backslash.
ESCAPED_KEY = r'\\u[0-9A-Fa-f]{4}[^"\\]*"[ \t]*:'


def day_hazard(day_key: str) -> str:
    """An RE2 pattern of a line whose key ``day_key`` (the date beside ``facts``) has a
    value that is neither a JSON string nor ``null`` (a number, an object, a list,
    true/false): Arrow refuses it as text, and with it every line read in one piece with
    it (with one such date in a few lines, every piece: the whole file was read the
    exact way, several times slower). Such a line is read the exact way on its own,
    where ``decide`` refuses its date. The key's characters other than ASCII letters,
    digits and ``_`` as code points (``\\x{...}``); a key written with an escape is not
    found (its line, if Arrow refuses it, only costs a smaller piece)."""
    key = "".join(c if c.isascii() and (c.isalnum() or c == "_") else f"\\x{{{ord(c):x}}}"
                  for c in json.dumps(day_key, ensure_ascii=False))
    return key + r'[ \t]*:[ \t]*[^" \tn]'


# -- the fast reader of a policy ------------------------------------------------------------


def _wrapper(day_key: str | None) -> re.Pattern[bytes]:
    """A line that starts as a wrapper: its first key ``id``, ``facts``, ``order`` or the
    date key."""
    keys = [b"id", b"facts", b"order"]
    if day_key is not None:
        keys.append(re.escape(json.dumps(day_key, ensure_ascii=False)[1:-1].encode("utf-8")))
    return re.compile(rb'[ \t]*\{[ \t]*"(?:' + b"|".join(keys) + rb')"[ \t]*:')


_WRAPPER = _wrapper(None)
_TO_KEY = re.compile(rb'"to"[ \t]*:')
_NAME = re.compile(r"\w+")


@dataclass
class FastJson:
    """How the lines of a policy's population are read by Arrow (see the module)."""

    facts: Mapping[str, FactSpec]
    #: The facts with dates as text, and the wrapper ``{"id": ..., "facts": {...}}``.
    schema: pa.Schema
    wrapped: pa.Schema
    #: RE2 pattern of the lines Arrow must not read (None: the policy has no decimals).
    hazard: str | None
    #: Whether the facts have periods or histories (whose ``to`` keys are counted).
    periodic: bool
    #: The key of a wrapper holding the citizen's decision date (None: none).
    day_key: str | None = None
    wrapper: re.Pattern[bytes] = _WRAPPER
    #: RE2 pattern of the lines whose date key has a value Arrow refuses (None: no key).
    day_hazard: str | None = None

    @classmethod
    def of(cls, policy: PolicyLike, day_key: str | None = None) -> FastJson | None:
        """The fast reader of ``policy``; None if its lines are read the exact way: the
        policy is decided per record anyway, or a fact or field is named so that a line
        could be read otherwise (``id``, ``facts`` or ``order`` at the top, ``from`` or
        ``to`` outside periods and histories, a decimal whose name is not a word).
        ``day_key``: a wrapper's key holding the decision date (read as text into
        :data:`DAY_COLUMN`)."""
        if not FAST or support(policy) is not None:
            return None
        facts = {name: fact.spec for name, fact in policy.graph.facts.items()}
        if {"id", "facts", "order"} & set(facts):
            return None
        decimals: list[str] = []
        periodic = False

        def walk(specs: Mapping[str, FactSpec]) -> bool:
            nonlocal periodic
            for name, spec in specs.items():
                if name in ("from", "to"):
                    return False
                kind = spec.kind
                if kind in (fact_kinds.DECIMAL, fact_kinds.MONEY, fact_kinds.HOURS):
                    if not _NAME.fullmatch(name):
                        return False
                    decimals.append(name)
                periodic = periodic or kind is fact_kinds.PERIOD or kind.periodic
                if kind.container and not walk(spec.fields or {}):
                    return False
            return True

        if not walk(facts):
            return None
        schema = text_dates(fact_schema(policy.graph))
        wrapped = pa.schema([("id", pa.string()), ("facts", pa.struct(list(schema)))])
        if day_key is not None:
            wrapped = wrapped.append(pa.field(day_key, pa.string()))
        hazard = hazard_pattern(sorted(set(decimals))) if decimals else None
        return cls(facts, schema, wrapped, hazard, periodic, day_key, _wrapper(day_key),
                   None if day_key is None else day_hazard(day_key))

    def candidates(self, block: LineBlock, plain: Any) -> Any:
        """Of the lines that are one ``{...}`` (``plain``), those Arrow may read: not too
        deep, no hazard of a decimal field, no date (beside ``facts``) Arrow refuses."""
        ok = plain & ~deep_lines(block)
        if (self.hazard is None and self.day_hazard is None) or not ok.any():
            return ok
        kind = pa.string() if len(block.data) < 2**31 else pa.large_string()
        width = np.int32 if kind == pa.string() else np.int64
        offsets = np.concatenate((block.starts, [block.stop])).astype(width)
        lines = pa.Array.from_buffers(kind, len(block), [None, pa.py_buffer(offsets),
                                                         pa.py_buffer(block.data)])
        if self.day_hazard is not None:
            ok &= ~np.asarray(pc.match_substring_regex(lines, self.day_hazard), dtype=bool)
        if self.hazard is None:
            return ok
        # two passes: RE2 runs them faster apart than as one pattern
        ok &= ~np.asarray(pc.match_substring_regex(lines, self.hazard), dtype=bool)
        if block.data.find(b"\\") >= 0 and b"\\u" in block.data:  # (memchr first: fast)
            ok &= ~np.asarray(pc.match_substring_regex(lines, ESCAPED_KEY), dtype=bool)
        return ok

    def read(self, block: LineBlock, chosen: Any) -> list[tuple[pa.Table, Any, bool]]:
        """The chosen lines read by Arrow: (a table of the facts and an ``id`` column, the
        lines of its rows, whether the lines are wrapped), one per piece Arrow read; the
        lines of a piece it refused are in none of them. All at once first; if Arrow
        refuses, in pieces of :data:`PIECE_LINES`, a refused piece in quarters, and so on
        down to :data:`SMALLEST_PIECE` lines (a refused line costs about a piece of that
        size); pieces are not split further where Arrow refused every one of four or more
        (then most lines are refused: they are read the exact way)."""
        lines = np.flatnonzero(chosen)
        if not len(lines):
            return []
        data: bytes | bytearray = block.data
        if len(lines) < len(block):  # the other lines as spaces (their line ends kept)
            data = bytearray(data)
            for k in np.flatnonzero(~chosen):
                start, end = int(block.starts[k]), int(block.ends[k])
                data[start:end] = b" " * (end - start)
        longest = int((block.ends[lines] - block.starts[lines]).max())
        size = min(max(1 << 22, 2 * longest + 16), 2**31 - 1)
        whole = self._piece(data, block, lines, size)
        if whole is not None:
            return [whole]
        return self._split(data, block, lines, size, PIECE_LINES)

    def _split(self, data: bytes | bytearray, block: LineBlock, lines: Any, size: int,
               step: int) -> list[tuple[pa.Table, Any, bool]]:
        """``lines`` (refused together) read in pieces of ``step`` lines."""
        parts = [lines[at: at + step] for at in range(0, len(lines), max(step, 1))]
        read = [self._piece(data, block, part, size) for part in parts]
        out = [piece for piece in read if piece is not None]
        if not out and len(parts) >= 4:
            return out  # every piece refused: no line of them is worth a smaller try
        for part, piece in zip(parts, read, strict=True):
            if piece is None and len(part) > max(SMALLEST_PIECE, 1):
                out += self._split(data, block, part, size, -(-len(part) // 4))
        return out

    def _piece(self, data: bytes | bytearray, block: LineBlock, lines: Any, size: int
               ) -> tuple[pa.Table, Any, bool] | None:
        """The lines read by Arrow (None if it refuses them), wrapped if the first is."""
        wrapped = bool(self.wrapper.match(block.line(int(lines[0]))))
        start, end = int(block.starts[lines[0]]), int(block.ends[lines[-1]])
        text = memoryview(data)[start:end]
        options = pj.ParseOptions(explicit_schema=self.wrapped if wrapped else self.schema,
                                  unexpected_field_behavior="error", newlines_in_values=False)
        try:
            table = pj.read_json(pa.BufferReader(pa.py_buffer(text)),
                                 read_options=pj.ReadOptions(block_size=size),
                                 parse_options=options)
        except (pa.ArrowException, ValueError, OverflowError):
            return None
        if table.num_rows != len(lines):  # a line of more than one JSON value
            return None
        keep = np.ones(len(lines), dtype=bool)
        if wrapped:  # (chunks as Arrow read them: the columnar reader combines each column)
            facts = table.column("facts")
            if facts.null_count:  # `{"id": ...}` without facts: the exact way says why
                keep &= ~np.asarray(facts.is_null(), dtype=bool)
            ids = table.column("id")
            days = table.column(self.day_key) if self.day_key is not None else None
            table = pa.Table.from_arrays(facts.flatten(), schema=self.schema)
        else:
            ids = pa.nulls(table.num_rows, pa.string())
            days = pa.nulls(table.num_rows, pa.string()) if self.day_key is not None else None
        table = table.append_column("id", ids)
        if days is not None:
            table = table.append_column(DAY_COLUMN, days)
        if self.periodic:
            keep &= ~self._without_to(table, data, start, end,
                                      lambda row: block.line(int(lines[row])))
        if not keep.all():
            table = table.filter(pa.array(keep))
            lines = lines[keep]
        return table, lines, wrapped

    def _without_to(self, table: pa.Table, data: bytes | bytearray, start: int, end: int,
                    line: Callable[[int], bytes]) -> Any:
        """The rows that may have a period or history record without a ``to`` key (read as
        a null ``to``, an open end): none if every ``to`` is given, or if the text has as
        many ``"to"`` keys as there are periods and history records (each has at most one:
        Arrow refuses a key twice; ``to`` is a key of nothing else, and cannot be written
        inside a string, where its quotes would be escaped); else the rows with a null
        ``to`` whose line (``line(row)``) has fewer. The text is ``data[start:end]``."""
        n = table.num_rows
        rows = np.arange(n, dtype=np.int64)
        given = np.zeros(n, dtype=np.int64)
        open_rows = np.zeros(n, dtype=bool)
        for name, spec in self.facts.items():
            column = table.column(name)
            arr = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
            for present, open_end, at in _periods(spec, arr, rows, np.ones(n, dtype=bool)):
                given += np.bincount(at[present], minlength=n)
                open_rows[at[open_end]] = True
        if not open_rows.any():
            return open_rows
        total = int(given.sum())
        if data.count(b'"to":', start, end) == total or \
                len(_TO_KEY.findall(data, start, end)) == total:
            return np.zeros(n, dtype=bool)
        without = np.zeros(n, dtype=bool)
        for row in np.flatnonzero(open_rows).tolist():
            without[row] = len(_TO_KEY.findall(line(row))) != given[row]
        return without


def _periods(spec: FactSpec, arr: pa.Array, rows: Any, valid: Any
             ) -> Iterator[tuple[Any, Any, Any]]:
    """For the periods and history records in ``arr`` (of ``spec``) and below: whether
    each is given (not null, nor anything it is in), whether its ``to`` is null, and its
    row (``rows``: the row of each item of ``arr``; ``valid``: whether what it is in is
    given)."""
    kind = spec.kind
    present = valid & ~_nulls(arr)
    if kind is fact_kinds.PERIOD:
        yield present, present & _nulls(arr.field("to")), rows
        return
    if not kind.container:
        return
    fields = spec.fields or {}
    if not kind.many:
        for name, sub in fields.items():
            yield from _periods(sub, arr.field(name), rows, present)
        return
    offsets = np.asarray(arr.offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    items = arr.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
    at = np.repeat(rows, lengths)
    inner = np.repeat(present, lengths) & ~_nulls(items)
    if kind.periodic:
        yield inner, inner & _nulls(items.field("to")), at
    for name, sub in fields.items():
        yield from _periods(sub, items.field(name), at, inner)


# -- the facts of the rows as read ------------------------------------------------------


class Redo(Exception):
    """A line Arrow read that the exact reader does not read as a facts object: the batch
    is read again, the exact way."""


class Records(Sequence[Any]):
    """The facts of a batch's rows as read, for the rows decided per record: a row Arrow
    read is parsed the exact way (``read_line``) when it is asked for; the others are
    given (their checked facts)."""

    def __init__(self, block: LineBlock, lines: Any, wrapped: Any, given: list[Any],
                 day_key: str | None = None) -> None:
        self.block = block
        self.day_key = day_key
        self.lines = lines
        self.wrapped = wrapped
        self.given = given
        self._parsed: dict[int, Any] = {}

    def __len__(self) -> int:
        return len(self.lines) + len(self.given)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = int(index)
        if index < 0:
            index += len(self)
        if index >= len(self.lines):
            return self.given[index - len(self.lines)]
        found = self._parsed.get(index)
        if found is None:
            found = self._parsed[index] = self._parse(index)
        return found

    def _parse(self, index: int) -> Any:
        k = int(self.lines[index])
        try:
            data = read_line(self.block.line(k).decode("utf-8"))
        except (ValueError, FactError, RecursionError):  # JSONDecodeError is a ValueError
            raise Redo(f"line {self.block.first + k}") from None
        # read as the exact way reads it; Arrow read a wrapper with an id and facts only
        read = population_line(data, self.day_key)
        if read.problems or read.wrapped != bool(self.wrapped[index]) or \
                read.order is not None:
            raise Redo(f"line {self.block.first + k}")
        return read.facts
