"""Population files for the rule-change diff: the citizens of a JSON-lines, CSV or Parquet
file.

:func:`iter_population` reads a file in chunks of :class:`PopulationRow` items (the facts
of a citizen, with the line and an optional id and order), so that a file of millions of
citizens is never held at once; :func:`read_population` reads it whole. A row that
cannot be read is a :class:`BadRow`, kept with the line and the problems, so that the diff
can still run on the rest and report the bad rows. A file that cannot be read at all is a
:class:`PopulationError`. Whether a row fits a policy's fact schema is for the diff to
say (:meth:`udbudsregler.analysis.comparison.Comparison.read`).
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from udbudsregler.columnar.cells import (
    MAX_CELL_CHARS,
    NOT_UTF8,
    CsvFileProblem,
    FieldProblem,
    columns_problem,
    csv_rows,
    file_kind,
    has_field,
)
from udbudsregler.diagnostics import FactError, UdbudsreglerError, shown
from udbudsregler.loader.documents import FactSpec
from udbudsregler.runtime.inputs import population_line, read_json, shown_key
from udbudsregler.values.limits import EARLIEST, LATEST

__all__ = ["CHUNK_ROWS", "MAX_ROW_BYTES", "BadRow", "Population", "PopulationError",
           "PopulationRow", "check_day_field", "iter_population", "read_population"]


class PopulationError(UdbudsreglerError):
    """A population file that cannot be read at all."""


@dataclass(frozen=True)
class PopulationRow:
    line: int
    id: str | None
    facts: dict[str, Any]
    #: The caseworker's order, if the row gives one (JSON lines only).
    order: dict[str, Any] | None = None
    #: The row's decision date as the file gives it, read with a field of dates
    #: (:attr:`Population.day`; the date is not checked here): a CSV cell's text (None
    #: if empty), a Parquet value, a JSON line's value of the key (None without it).
    day: Any = None


@dataclass(frozen=True)
class BadRow:
    line: int
    id: str | None
    problems: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "id": self.id, "problems": list(self.problems)}


@dataclass
class Population:
    path: str
    rows: list[PopulationRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    #: How far into the file the rows go (0-1; a chunk of :func:`iter_population`), for
    #: the progress of a long diff.
    done: float = 1.0
    #: The field of the file holding each row's decision date (:attr:`PopulationRow.day`),
    #: if it was read with one.
    day: str | None = None


#: The largest population file :func:`read_population` reads, in bytes (a few hundred
#: thousand citizens, all held at once); :func:`iter_population` has no such limit.
MAX_POPULATION_BYTES = 256 * 1_048_576
#: Rows (read or bad) of a chunk of :func:`iter_population`. The diff holds a chunk's
#: facts twice (as read, and in canonical form) and its batch decisions: on Slagelse,
#: the diff of 100,000 citizens peaked at 283 MB with chunks of 16,384 rows and at 538
#: MB with 65,536, in about the same time.
CHUNK_ROWS = 16_384
#: The longest JSON line, or CSV row (the lines of one record), in bytes: what one row
#: can make the reader hold. A longer JSON line is a bad row (not read); a longer CSV
#: line or row ends the file (where it ends cannot be known: a quote never closed?).
#: As long as the longest CSV cell.
MAX_ROW_BYTES = MAX_CELL_CHARS
#: Bytes read at a time.
_BLOCK = 1 << 20


def iter_population(path: str | Path, specs: Mapping[str, FactSpec] | None = None,
                    rows: int | None = None, day: str | None = None
                    ) -> Iterator[Population]:
    """The citizens of a population file (read as :func:`read_population` reads it) in
    chunks of up to ``rows`` rows (default :data:`CHUNK_ROWS`), read and bad, in the
    file's order and with its line
    numbers: the memory held is one chunk and one line of the file, whatever its size.
    A JSON line longer than :data:`MAX_ROW_BYTES` is a bad row (its bytes are passed
    over, not held); a CSV line or row longer than that is a :class:`PopulationError`
    (after the chunks before it), as is a file that cannot be read. A Parquet file is
    read a record batch at a time. ``day``: the field holding each row's decision date
    (:func:`check_day_field`, checked before any row is read)."""
    rows = CHUNK_ROWS if rows is None else rows
    if rows < 1:
        raise ValueError(f"rows must be 1 or more, not {rows}")
    name = str(path)
    if day is not None:
        check_day_field(name, day)
    if file_kind(name) == "parquet":
        return _parquet_chunks(name, specs or {}, rows, day)
    return _text_chunks(name, specs or {}, rows, None, day)


def read_population(path: str | Path, specs: Mapping[str, FactSpec] | None = None,
                    day: str | None = None) -> Population:
    """Citizens from a file: JSON lines (a facts object per line, or ``{"id": ...,
    "facts": {...}, "order": {...}}``, read by
    :func:`~udbudsregler.runtime.inputs.population_line` as ``decide --population``
    reads it), or CSV with one column per fact (an optional ``id`` column) whose
    history, list, record and period columns hold JSON text, or Parquet. The suffix says
    which, as for ``decide --population``: ``.csv`` CSV, ``.parquet`` or ``.pq`` Parquet,
    any other JSON lines. ``specs`` (the fact schema) says how to read CSV cells, and
    whether an ``id`` column is a fact. Rows that cannot be read are
    :attr:`Population.bad`. The whole file is held: a JSON-lines or CSV file larger than
    :data:`MAX_POPULATION_BYTES` is refused (:func:`iter_population` reads any size).
    ``day``: the field holding each row's decision date (:func:`check_day_field`)."""
    name = str(path)
    if day is not None:
        check_day_field(name, day)
    whole = Population(name, day=day)
    if file_kind(name) == "parquet":
        chunks = _parquet_chunks(name, specs or {}, CHUNK_ROWS, day)
    else:
        chunks = _text_chunks(name, specs or {}, CHUNK_ROWS, MAX_POPULATION_BYTES, day)
    for chunk in chunks:
        whole.rows += chunk.rows
        whole.bad += chunk.bad
    return whole


def check_day_field(path: str | Path, name: str) -> None:
    """That ``name`` names the field of a population file holding each row's decision
    date, as ``decide --population --on COLUMN`` reads it: a column of a CSV or Parquet
    file (a column of a fact's name is the fact and the date), or a key beside ``facts``
    of a JSON-lines file's wrapped lines (not a key of the wrapper, and in the file). A
    :class:`PopulationError` if not, or if the file cannot be read."""
    where = str(path)
    try:
        found = has_field(where, name)
    except FieldProblem as problem:
        raise PopulationError(str(problem)) from None
    if not found:
        what = ("a key of its lines (beside `facts`)" if file_kind(where) == "jsonl"
                else "a column of it")
        raise PopulationError(f"{where}: `{shown_key(name)}` is not {what}; expected the "
                              "name of the column of each row's decision date")


# -- JSON lines and CSV ----------------------------------------------------------------------


def _text_chunks(name: str, specs: Mapping[str, FactSpec], rows: int,
                 max_bytes: int | None, day: str | None = None) -> Iterator[Population]:
    """The chunks of a JSON-lines or CSV file (``max_bytes``: the largest file read;
    ``day``: the field of each row's decision date)."""
    try:
        stream = Path(name).open("rb")  # noqa: SIM115 (closed below, as the chunks end)
    except FileNotFoundError:
        raise PopulationError(f"{name}: no such file") from None
    except OSError as error:
        raise PopulationError(f"{name}: cannot be read ({error})") from None
    with stream:
        mode = os.fstat(stream.fileno()).st_mode
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):  # (`/dev/zero` would never end)
            raise PopulationError(f"{name}: is a device, not a file")
        size = _size(stream)
        lines = _lines(stream, name, MAX_ROW_BYTES, max_bytes)
        items = _csv_items(lines, specs, name, MAX_ROW_BYTES, day) \
            if file_kind(name) == "csv" else _json_items(lines, MAX_ROW_BYTES, day)
        yield from _chunked(items, name, rows,
                            lambda: min(stream.tell() / size, 1.0) if size else 0.0, day)


def _size(stream: BinaryIO) -> int:
    """The size of an open file (0 if it has none: a pipe)."""
    try:
        return os.fstat(stream.fileno()).st_size
    except OSError:
        return 0


def _chunked(items: Iterable[PopulationRow | BadRow], name: str, rows: int,
             done: Callable[[], float], day: str | None = None) -> Iterator[Population]:
    """``items`` in chunks of ``rows`` (``done()``: how far into the file, after each)."""
    chunk = Population(name, day=day)
    for item in items:
        if isinstance(item, PopulationRow):
            chunk.rows.append(item)
        else:
            chunk.bad.append(item)
        if len(chunk.rows) + len(chunk.bad) >= rows:
            chunk.done = done()
            yield chunk
            chunk = Population(name, day=day)
    if chunk.rows or chunk.bad:
        yield chunk


#: A line end as ``open`` reads them (universal newlines), kept by the split.
_LINE_END = re.compile(rb"(\r\n|\r|\n)")
_BOM = b"\xef\xbb\xbf"


def _lines(stream: BinaryIO, name: str, limit: int, max_bytes: int | None
           ) -> Iterator[tuple[bytes | None, bytes]]:
    """The lines of ``stream`` (binary) with their ends, as ``open(newline="")`` splits
    them: at ``\\n``, ``\\r\\n`` and ``\\r``, and not at U+2028, U+0085 and the like,
    which ``str.splitlines`` also ends a line at and JSON allows inside a string as they
    are. A line longer than ``limit`` bytes (without its end) is None: its bytes are
    passed over, not held. A last line without an end has the end ``b""``. The UTF-8
    byte-order mark at the start is not part of the first line. A file of more than
    ``max_bytes`` bytes is a :class:`PopulationError` (as soon as they are read)."""
    held: list[bytes] = []
    length = 0  # of the line begun in an earlier block; -1: over the limit
    total = 0
    block = max(_BLOCK, len(_BOM))  # (the mark is in the first block)
    # a \r that ends a block waits for the next, which says whether a \n follows it: a
    # \r\n is not cut in two (not a byte read at a time after it, which is quadratic in
    # a run of \r, each a line)
    carry = b""
    while True:
        try:
            read = stream.read(block)
        except OSError as error:
            raise PopulationError(f"{name}: cannot be read ({error})") from None
        first = total == 0
        total += len(read)
        if max_bytes is not None and total > max_bytes:
            raise PopulationError(f"{name}: larger than the limit of {max_bytes} bytes for "
                                  "a population file; split it")
        data = carry + read if carry else read
        if not data:
            break
        carry = b""
        if read and data.endswith(b"\r"):
            data, carry = data[:-1], b"\r"
        if first and data.startswith(_BOM):
            data = data[len(_BOM):]
        parts = _LINE_END.split(data)  # content, end, content, end, ..., the unended rest
        last = len(parts) - 1
        for k in range(0, last, 2):
            piece = parts[k]
            if length:
                line = None if length < 0 or length + len(piece) > limit \
                    else b"".join((*held, piece))
                held, length = [], 0
            else:
                line = piece if len(piece) <= limit else None
            yield line, parts[k + 1]
        rest = parts[last]
        if rest and length >= 0 and length + len(rest) <= limit:
            held.append(rest)
            length += len(rest)
        elif rest:
            held, length = [], -1
    if length:
        yield (None if length < 0 else b"".join(held)), b""


def _too_long(limit: int) -> str:
    return f"a line longer than {limit:,} bytes (not read)"


def _json_items(lines: Iterable[tuple[bytes | None, bytes]], limit: int,
                day: str | None = None) -> Iterator[PopulationRow | BadRow]:
    """The rows of a JSON-lines file, read as ``decide --population`` reads them."""
    for number, (raw, _end) in enumerate(lines, start=1):
        if raw is None:
            yield BadRow(number, None, (_too_long(limit),))
            continue
        # bytes that are not UTF-8 are kept as lone surrogates: their line is a bad row,
        # as `decide --population` makes it an error of its row
        line = raw.decode("utf-8", "surrogateescape")
        if not line.strip():
            continue
        yield _json_item(number, line, day)


def _json_item(number: int, line: str, day: str | None = None) -> PopulationRow | BadRow:
    """A (not blank) JSON line: a row, or a bad row and why (``day``: the key beside
    ``facts`` of the row's decision date)."""
    if not line.isascii() and NOT_UTF8.search(line):
        return BadRow(number, None, ("not UTF-8 text",))
    try:
        data = read_json(line)
    except json.JSONDecodeError as error:
        return BadRow(number, None, (f"not valid JSON: {error.msg}",))
    except FactError as error:
        return BadRow(number, None, tuple(p.render() for p in error.problems))
    read = population_line(data, day)
    if read.problems:
        # as a fact's problem is shown ("facts: UDB608: ..."); one of the line as a
        # whole as the others of the line ("expected a JSON object")
        return BadRow(number, read.id, tuple(
            p.render() if p.path else p.message for p in read.problems))
    return PopulationRow(number, read.id, read.facts, read.order, read.day)


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def _csv_items(lines: Iterable[tuple[bytes | None, bytes]], specs: Mapping[str, FactSpec],
               name: str, limit: int, day: str | None = None
               ) -> Iterator[PopulationRow | BadRow]:
    """The rows of a CSV file, read by ``cells.csv_rows`` as ``decide --population``
    reads them (``day``: the column of each row's decision date)."""
    fed = _Record(limit)
    try:
        for row in csv_rows(fed.text(lines), specs, day, read=fed.read):
            if row.unreadable is not None:
                yield BadRow(row.line, None, (row.unreadable,))
            elif row.problems:  # as a fact's problem is shown ("age: UDB608: ...")
                yield BadRow(row.line, row.ident, tuple(p.render() for p in row.problems))
            else:
                assert row.facts is not None
                yield PopulationRow(row.line, row.ident, row.facts, day=row.day)
    except CsvFileProblem as error:
        raise PopulationError(f"{name}: {error}") from None


class _Record:
    """Lines for ``csv.reader`` (text with their ends, bytes that are not UTF-8 as lone
    surrogates), that stop at a line or a record over the limit: the csv module reads a
    record of as many lines as its quotes hold together, each cell up to its limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        #: Bytes of the record being read (the lines given since the last was read).
        self.size = 0
        self.start = 0

    def read(self) -> None:
        """A record is read (``csv_rows`` calls this for each, blank rows and the header
        too): the lines asked for next are the next record's."""
        self.size = 0

    def text(self, lines: Iterable[tuple[bytes | None, bytes]]) -> Iterator[str]:
        for number, (raw, end) in enumerate(lines, start=1):
            if raw is None:
                raise CsvFileProblem(f"line {number}: {_too_long(self.limit)}; the rest of "
                                     "the file cannot be read as CSV")
            if self.size > self.limit:  # asked for another line of a row over the limit
                raise CsvFileProblem(
                    f"line {self.start}: a row longer than {self.limit:,} bytes (a quote "
                    "that is never closed?); the rest of the file cannot be read as CSV")
            if not self.size:
                self.start = number
            self.size += len(raw) + len(end)
            yield raw.decode("utf-8", "surrogateescape") + end.decode("ascii")


# -- Parquet ---------------------------------------------------------------------------------


def _parquet_chunks(name: str, specs: Mapping[str, FactSpec], rows: int,
                    day: str | None = None) -> Iterator[Population]:
    """A Parquet file in the Arrow form of ``decide_table`` (the columnar extra), a
    record batch of up to ``rows`` rows at a time: one column per fact, an optional
    ``id`` (the fact ``id`` if ``specs`` has one, as in a CSV file), and ``day``, the
    column of each row's decision date (a fact too if ``specs`` has one of its name);
    the row number stands for the line."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise PopulationError(f"{name}: reading Parquet needs the columnar extra "
                              "(pip install 'udbudsregler[columnar]')") from None
    try:
        file = pq.ParquetFile(name)
    except (OSError, ValueError) as error:
        raise PopulationError(f"{name}: cannot be read as Parquet ({error})") from None
    try:
        problem = columns_problem(file.schema_arrow.names)  # before Arrow names it, at length
        if problem is not None:
            raise PopulationError(f"{name}: {problem}")
        total = file.metadata.num_rows
        batches = file.iter_batches(batch_size=rows)
        first = 1
        while True:
            try:
                batch = next(batches, None)
            except (OSError, ValueError) as error:
                raise PopulationError(f"{name}: cannot be read as Parquet ({error})") from None
            if batch is None:
                return
            chunk = _parquet_rows(pa.Table.from_batches([batch]), specs, first, name, day)
            first += batch.num_rows
            chunk.done = min((first - 1) / total, 1.0) if total else 1.0
            yield chunk
    finally:
        file.close()


def _parquet_rows(table: Any, specs: Mapping[str, FactSpec], first: int, name: str,
                  day: str | None = None) -> Population:
    """The rows of a piece of a Parquet file, the first numbered ``first`` (``day``: the
    column of each row's decision date)."""
    chunk = Population(name, day=day)
    problems: dict[int, list[str]] = {}
    try:
        rows = table.to_pylist()
    except _UNCONVERTIBLE:  # a value Python has no form of: the rows with one are bad
        rows, problems = _by_value(table)
    for index, row in enumerate(rows):
        when = None if day is None else row.get(day)
        ident = None if "id" in specs else _id(row.pop("id", None))
        if day is not None and day not in specs:
            row.pop(day, None)
        if index in problems:
            chunk.bad.append(BadRow(first + index, ident, tuple(problems[index])))
        else:
            chunk.rows.append(PopulationRow(first + index, ident, row, day=when))
    return chunk


#: What Arrow raises for a value Python has no form of (a date beyond the year 9999, a
#: string that is not UTF-8: a UnicodeDecodeError, which is a ValueError).
_UNCONVERTIBLE = (OverflowError, ValueError)


def _by_value(table: Any) -> tuple[list[dict[str, Any]], dict[int, list[str]]]:
    """The rows of a Parquet table read value by value, where a column cannot be read
    at once: the rows (a value that cannot be read is None) and, by row index, the
    problems of the values that cannot be read."""
    columns: dict[str, list[Any]] = {}
    problems: dict[int, list[str]] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            columns[name] = column.to_pylist()
        except _UNCONVERTIBLE:
            columns[name] = values = []
            for index, cell in enumerate(column):
                try:
                    values.append(cell.as_py())
                except _UNCONVERTIBLE as error:
                    values.append(None)
                    problems.setdefault(index, []).append(
                        _unconvertible(name, column.type, error))
    rows = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(),
                                                                         strict=True)]
    return rows, problems


def _unconvertible(name: str, kind: Any, error: Exception) -> str:
    """The problem of a value of column ``name`` (of Arrow type ``kind``) that Python
    has no form of, as a fact's problem is shown."""
    if isinstance(error, UnicodeDecodeError):
        return f"{name}: UDB602: not UTF-8 text"
    if _dated(kind):  # decide reads no date outside these years anyway
        return f"{name}: UDB603: a date outside the years {EARLIEST.year}-{LATEST.year}"
    return f"{name}: UDB602: cannot be read ({shown(str(error), 200)})"


def _dated(kind: Any) -> bool:
    """Whether an Arrow type holds dates or timestamps (also in lists and records)."""
    import pyarrow as pa

    return pa.types.is_date(kind) or pa.types.is_timestamp(kind) or any(
        _dated(kind.field(i).type) for i in range(kind.num_fields))


