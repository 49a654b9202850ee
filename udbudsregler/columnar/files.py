"""Population files in batches: read JSON lines, CSV or Parquet, decide, write Parquet or
JSON lines, with memory bounded by the batch size.

- **Parquet**: one column per fact in the Arrow form of ``decide_table`` (an ``id``
  column optional), read with ``ParquetFile.iter_batches``: typed columns, no parsing.
- **JSON lines**: a facts object per line, or ``{"id": ..., "facts": {...}, "order":
  {...}}`` (:func:`udbudsregler.runtime.inputs.population_line` says what a line is and
  what is wrong with it), read as ``decide`` reads JSON (exact decimals, no duplicate
  keys, the input limits) and checked by the policy's fact schema: a row it rejects is
  an error with the same code and path as ``decide``'s; the others become an Arrow
  batch. Most lines are read by Arrow's JSON reader, into the batch directly, and
  checked by the columnar checks (a row they are not sure of is parsed as above and
  decided per record); a line Arrow could read otherwise is read as above
  (:mod:`udbudsregler.columnar.lines`). A line that is not UTF-8 is an error of its row.
- **CSV**: one column per fact (an optional ``id`` column), histories, lists, records and
  periods as JSON text in their cells, read as ``udbudsregler diff --population`` reads
  them (:func:`udbudsregler.analysis.population` rules), then as JSON lines.

Rows are numbered from 0 in the order of the file (``row`` in the outputs); for JSON
lines and CSV, the error's message names the line.

**Each row's own date** (``decide_file(..., on="decided_on")``, ``decide --population
--on decided_on``): a column of that name (CSV, Parquet) or a key of that name beside
``facts`` in a wrapped line (JSON lines) holds each citizen's decision date, and each
batch is one ``decide_table(batch, on=column)``: a date is read as ``decide_table``
reads a column of dates, and a row whose date ``decide`` refuses (or outside the
policy's validity) has ``decide``'s problems, the date's at the column's name. A row
that cannot be read is that error only.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from udbudsregler.columnar.cells import (
    CsvFileProblem,
    FieldProblem,
    columns_problem,
    csv_rows,
    file_kind,
    has_field,
    not_a_file,
)
from udbudsregler.columnar.lines import (
    DAY_COLUMN,
    MAX_LINE_BYTES,
    FastJson,
    LineBlock,
    LineTooLong,
    Records,
    Redo,
    line_blocks,
    read_line,
)
from udbudsregler.columnar.table import (
    ERROR_SCHEMA,
    PolicyLike,
    TableDecisions,
    _as_date,
    _read_day,
    arrow_value,
    converts,
    decide_arrow,
    fact_schema,
    projection,
    refused_day,
    value_columns,
    wide,
)
from udbudsregler.diagnostics import FactError, FactProblem, UdbudsreglerError
from udbudsregler.loader.documents import FactSpec
from udbudsregler.runtime.inputs import population_line, shown_key
from udbudsregler.runtime.routing import parse_supplier_state
from udbudsregler.values.convert import meant_as_date, written_as_date

__all__ = ["FileSummary", "PopulationFileError", "decide_file", "read_batches"]

#: Rows per batch: the memory a run needs grows with this, not with the file.
BATCH_ROWS = 65_536


class PopulationFileError(UdbudsreglerError):
    """A population file that cannot be read at all (or an output that cannot be written)."""


@dataclass
class Batch:
    """Rows of a population file: the citizens as an Arrow table (with a column of their
    ids if the file has ids: :attr:`ids`), their orders, and the rows that could not be
    read."""

    table: pa.Table
    #: For each row of ``table``: its number in the file.
    rows: list[int]
    orders: list[Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)
    #: How far into the file (0-1), for the progress bar.
    done: float = 0.0
    #: For each row of ``table``, its facts as read (rows decided per record are decided
    #: from these); None: from the table.
    records: Sequence[Any] | None = None
    #: How many of the rows Arrow's JSON reader read (JSON lines; the rest the exact way).
    fast: int = 0
    #: The same lines read the exact way (when a row Arrow read is not read alike).
    redo: Callable[[], Batch] | None = None
    #: The column of ``table`` holding the rows' ids (None: none): ``id``, or, when the
    #: policy has a fact of that name, :data:`ROW_IDS` beside it (JSON lines and CSV).
    ids: str | None = "id"
    #: The column of ``table`` holding each row's decision date (None: one date for all):
    #: the file's column (Parquet; CSV, a fact's), or :data:`DAY_COLUMN`.
    day: str | None = None

    @property
    def size(self) -> int:
        """The batch's rows in the file: those in ``table`` and those with errors."""
        return int(self.table.num_rows) + len({e["row"] for e in self.errors})


#: The column of a batch's ids when the policy has a fact ``id`` (a fact's name is a word:
#: no fact has this one).
ROW_IDS = "#id"

#: The suffixes of the files ``decide_file`` writes (Parquet, or JSON lines).
_WRITTEN = (".parquet", ".pq", ".jsonl", ".ndjson")


def read_batches(policy: PolicyLike, path: str | Path, batch_rows: int = BATCH_ROWS,
                 day: str | None = None) -> Iterator[Batch]:
    """The population file in batches of at most ``batch_rows`` rows; at least one (an
    empty one for a file of no rows: the output then has the columns it would have).
    ``day``: the column (or, in JSON lines, the wrapper's key) holding each row's
    decision date (:func:`day_field`), in :attr:`Batch.day`."""
    name = str(path)
    if not Path(name).is_file():
        raise PopulationFileError(f"{name}: {not_a_file(name)}")
    kind = file_kind(name)
    if kind == "parquet":
        yield from _parquet(name, batch_rows, "id" not in policy.graph.facts, day)
        return
    reader = _Rows(policy, name, batch_rows, day)
    yield from reader.batches(kind)


def day_field(policy: PolicyLike, path: str | Path, on: date | str) -> str | None:
    """``on`` if it names a field of the population file holding each row's decision
    date: a column (CSV, Parquet) or a key of a wrapped line (JSON lines: a file that has
    ``"on"`` as a key somewhere, not only as a text value); None if ``on`` is a date.
    Text written ``YYYY-MM-DD`` is always a date (a bad one is the date's ``FactError``;
    the file is not looked at), and so is other text with a digit that names no field
    (``2019-2-1``: ``decide``'s ``FactError``). A :class:`PopulationFileError` for a name
    with no digit that is no field, or a key JSON lines cannot use (``id``, ``facts``,
    ``order``, ``note``)."""
    if not isinstance(on, str):
        return None
    if written_as_date(on):  # a date, never a column's name
        _as_date(on)  # the date's own problem (UDB603: not a calendar date)
        return None
    name = str(path)
    try:
        if has_field(name, on):
            return on
    except FieldProblem as problem:
        raise PopulationFileError(str(problem)) from None
    if meant_as_date(on):  # (`2019-2-1`): the date's problem, as `decide` gives it
        _as_date(on)
        return None
    what = ("a key of its lines (beside `facts`)" if file_kind(name) == "jsonl"
            else "a column of it")
    raise PopulationFileError(f"{name}: `{shown_key(on)}` is neither a date (YYYY-MM-DD) "
                              f"nor {what}; expected a date or the name of a column "
                              "of dates")


def _parquet(name: str, batch_rows: int, ids: bool, day: str | None = None
             ) -> Iterator[Batch]:
    """The batches of a Parquet file; its ``id`` column holds the rows' ids if ``ids`` (else
    it is the policy's fact ``id``); its column ``day`` each row's decision date."""
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(name)
    except (pa.ArrowInvalid, OSError) as error:
        raise PopulationFileError(f"{name}: cannot be read as Parquet ({error})") from None
    problem = columns_problem(file.schema_arrow.names)
    if problem is not None:
        raise PopulationFileError(f"{name}: {problem}")
    total = max(file.metadata.num_rows, 1)
    column = "id" if ids and "id" in file.schema_arrow.names else None
    start = 0
    for record_batch in file.iter_batches(batch_size=batch_rows):
        table = pa.Table.from_batches([record_batch])
        n = table.num_rows
        yield Batch(table, list(range(start, start + n)), None, [], (start + n) / total,
                    ids=column, day=day)
        start += n
    if start == 0:  # no rows: one empty batch, so that the output has the file's columns
        yield Batch(file.schema_arrow.empty_table(), [], None, [], 1.0, ids=column, day=day)


def _text_dates(value: Any) -> Any:
    """A fact value in its Arrow form with every date as ISO text (the form of the rows
    Arrow's JSON reader reads)."""
    kind = type(value)
    if kind is date:
        return value.isoformat()
    if kind is dict:
        return {k: _text_dates(v) for k, v in value.items()}
    if kind is list:
        return [_text_dates(v) for v in value]
    return value


def _paused_while_read(batches: Generator[Batch, None, None]) -> Iterator[Batch]:
    """``batches``, the cyclic garbage collector paused while each is read and as it was
    while it is decided. A batch's rows are kept until it is full: tens of thousands of
    new dicts and lists that the collector would scan again and again while they are
    read (it cost more than the reading); they hold no cycles."""
    collecting = gc.isenabled()
    try:
        while True:
            gc.disable()
            try:
                batch = next(batches, None)
            finally:
                if collecting:
                    gc.enable()
            if batch is None:
                return
            yield batch
    finally:
        batches.close()


def _table(facts: list[Any], ids: list[str | None], schema: pa.Schema, column: str = "id"
           ) -> pa.Table:
    """Rows read the exact way (their facts in Arrow form) as a table of ``schema`` (or,
    for a value it cannot hold, :func:`wide` of it) with their ids in ``column``."""
    try:
        table = pa.Table.from_pylist(facts, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # e.g. more places than decimal128
        table = pa.Table.from_pylist(facts, schema=wide(schema))
    return table.append_column(column, pa.array(ids, type=pa.string()))


Problems = tuple[FactProblem, ...]
Pending = tuple[int, int, Any, Any, Any, Problems, Any]
"""A row read the exact way: (row, line, id, facts, order, why it cannot be read: the
problems of its line, each reported with the line's number, none if it can; its
decision date as given, with a column of dates)."""


def _unreadable(why: str) -> Problems:
    """A line that is not a facts object (its message names the line when reported)."""
    return (FactProblem("UDB608", "", why),)


class _Rows:
    """JSON lines and CSV: rows parsed as ``decide`` parses them, checked by the fact
    schema, gathered into Arrow batches (JSON lines read by Arrow's JSON reader where that
    is exact: :mod:`udbudsregler.columnar.lines`)."""

    def __init__(self, policy: PolicyLike, name: str, batch_rows: int,
                 day: str | None = None) -> None:
        self.policy = policy
        #: The column (key) of each row's decision date, and its column in a batch: a
        #: CSV file's fact of that name, or DAY_COLUMN (:meth:`batches`).
        self.day = day
        self.day_column: str | None = None
        self.name = name
        self.batch_rows = batch_rows
        self.schema = fact_schema(policy.graph)
        self.size = max(os.path.getsize(name), 1)
        facts = getattr(policy, "facts", None)
        self.check: Callable[[Any], tuple[Any, list[Any]]] = facts.check  # type: ignore[union-attr]
        self.specs: Mapping[str, FactSpec] = {n: f.spec for n, f in policy.graph.facts.items()}
        self.convert = converts(policy.graph)
        #: The column of the rows' ids (beside a fact ``id``, if the policy has one).
        self.ids = ROW_IDS if "id" in self.specs else "id"

    def batches(self, kind: str) -> Iterator[Batch]:
        if self.day is not None:
            fact = kind == "csv" and self.day in self.specs
            self.day_column = self.day if fact else DAY_COLUMN
        return _paused_while_read(self._json_lines() if kind == "jsonl" else self._csv_rows())

    def _csv_rows(self) -> Generator[Batch, None, None]:
        try:
            # bytes that are not UTF-8 are kept as lone surrogates: their row is an error
            handle = open(self.name, encoding="utf-8-sig", newline="",  # noqa: SIM115
                          errors="surrogateescape")
        except OSError as error:
            raise PopulationFileError(f"{self.name}: cannot be read ({error})") from None
        with handle:
            pending: list[Pending] = []
            number = 0
            for line, ident, facts, order, problems, day in self._csv(handle):
                pending.append((number, line, ident, facts, order, problems, day))
                number += 1
                if len(pending) >= self.batch_rows:
                    batch = self._batch(pending, self._done(handle))
                    pending = []
                    yield batch
            if pending or number == 0:
                yield self._batch(pending, self._done(handle))

    def _done(self, handle: TextIO) -> float:
        try:
            return handle.tell() / self.size if not handle.closed else 1.0
        except (OSError, ValueError):
            return 0.0

    def _checked(self, pending: list[Pending]) -> tuple[list[Any], list[str | None],
                                                        list[Any], list[int], list[Any],
                                                        list[Any]]:
        """The rows read the exact way, checked as ``decide`` checks them: the facts of
        those it accepts (in their Arrow form), their ids, orders and row numbers; the
        errors of the others; and the decision dates of those accepted (with a column
        of dates: a row whose date is bad is that error, as ``decide_table`` makes it)."""
        good: list[dict[str, Any]] = []
        ids: list[str | None] = []
        orders: list[Any] = []
        numbers: list[int] = []
        errors: list[dict[str, Any]] = []
        days: list[Any] = []
        for number, line, ident, facts, order, unread, day in pending:
            if unread:
                errors += [{"row": number, "id": ident, "path": p.path, "code": p.code,
                            "message": f"line {line}: {p.described}"} for p in unread]
                continue
            if self.day is not None:
                read = _read_day(self.policy, day, False)
                if not isinstance(read, date):  # decide's problems, the date's at its field
                    errors += [{"row": number, "id": ident, "path": path, "code": code,
                                "message": message} for path, code, message in refused_day(
                                    self.policy, facts, day, read, order, None, False,
                                    self.day)]
                    continue
            canonical, problems = self.check(facts)
            if problems:  # in the order of decide's FactError (as a row decided per record)
                errors += [{"row": number, "id": ident, "path": p.path, "code": p.code,
                            "message": p.described} for p in FactError(problems).problems]
                continue
            good.append(arrow_value(canonical) if self.convert else canonical)
            ids.append(ident)
            orders.append(order)
            numbers.append(number)
            days.append(day)
        return good, ids, orders, numbers, errors, days

    def _with_days(self, table: pa.Table, days: list[Any]) -> pa.Table:
        """``table`` with the column of the rows' dates (as text), if it is not a fact's."""
        if self.day_column != DAY_COLUMN:
            return table
        return table.append_column(DAY_COLUMN, pa.array(days, type=pa.string()))

    def _batch(self, pending: list[Pending], done: float) -> Batch:
        good, ids, orders, numbers, errors, days = self._checked(pending)
        table = self._with_days(_table(good, ids, self.schema, self.ids), days)
        return Batch(table, numbers, orders if any(o is not None for o in orders) else None,
                     errors, done, good, ids=self.ids, day=self.day_column)

    # -- JSON lines --------------------------------------------------------------------

    def _json_lines(self) -> Generator[Batch, None, None]:
        try:
            stream = open(self.name, "rb")  # noqa: SIM115
        except OSError as error:
            raise PopulationFileError(f"{self.name}: cannot be read ({error})") from None
        fast = FastJson.of(self.policy, self.day)
        with stream:
            number = 0
            try:
                for block in line_blocks(stream, self.batch_rows, self.size):
                    batch = self._lines(block, number, fast)
                    size = batch.size
                    if not size:
                        continue  # blank lines only
                    number += size
                    yield batch
            except LineTooLong as error:
                raise PopulationFileError(
                    f"{self.name}: line {error.line} is longer than {MAX_LINE_BYTES:,} "
                    "bytes: a line holds one citizen (is the file JSON lines, one "
                    "object a line?)") from None
            if number == 0:
                yield self._batch([], 1.0)

    def _lines(self, block: LineBlock, first_row: int, fast: FastJson | None) -> Batch:
        """A block of lines as a batch: the lines Arrow may read read by it (``fast``), the
        others the exact way; blank lines skipped (rows are numbered without them)."""
        n = len(block)
        a = np.frombuffer(block.data, dtype=np.uint8)
        plain = block.ends > block.starts
        if n and len(a):
            plain &= (a[np.minimum(block.starts, len(a) - 1)] == ord("{")) & \
                (a[np.maximum(block.ends - 1, 0)] == ord("}"))
        utf8 = block.utf8()
        texts: dict[int, str | None] = {}  # the lines looked at one by one (None: not UTF-8)
        blank = np.zeros(n, dtype=bool)
        for k in (np.flatnonzero(~plain) if utf8 else range(n)):
            k = int(k)
            try:
                text = block.line(k).decode("utf-8")
            except UnicodeDecodeError:
                texts[k] = None
                continue
            texts[k] = text
            if not text.strip():
                blank[k] = True
            elif utf8:  # one object with spaces or tabs around it (JSON white space)
                inner = text.strip(" \t")
                plain[k] = inner[:1] == "{" and inner[-1:] == "}"
        chosen = np.zeros(n, dtype=bool)
        if fast is not None and utf8 and not block.lone_cr:
            chosen = fast.candidates(block, plain & ~blank)
        pieces = fast.read(block, chosen) if fast is not None and chosen.any() else []
        by_arrow = np.zeros(n, dtype=bool)
        for _, lines, _ in pieces:
            by_arrow[lines] = True
        row = np.cumsum(~blank) - 1 + first_row  # each line's row (blank lines have none)
        pending: list[Pending] = []
        for k in np.flatnonzero(~blank & ~by_arrow):
            k = int(k)
            line = block.first + k
            read = texts[k] if k in texts else block.line(k).decode("utf-8")
            if read is None:
                pending.append((int(row[k]), line, None, None, None,
                                _unreadable("not UTF-8 text"), None))
            else:
                pending.append((int(row[k]), *self._read(line, read)))
        if not pieces:
            return self._batch(pending, block.done)
        assert fast is not None
        good, ids, orders, numbers, errors, days = self._checked(pending)
        rest = self._with_days(_table([_text_dates(v) for v in good], ids, fast.schema), days)
        parts = [table for table, _, _ in pieces]
        if rest.schema != parts[0].schema:  # widened (more places than decimal128)
            parts = [t.cast(rest.schema) for t in parts]
        table = pa.concat_tables([*parts, rest])
        lines = np.concatenate([at for _, at, _ in pieces])
        wrapped = np.concatenate([np.full(len(at), w) for _, at, w in pieces])
        rows = row[lines].tolist() + numbers
        given = [None] * len(lines) + orders if any(o is not None for o in orders) else None
        return Batch(table, rows, given, errors, block.done,
                     Records(block, lines, wrapped, good, self.day), len(lines),
                     lambda: self._lines(block, first_row, None), day=self.day_column)

    def _read(self, line_number: int, line: str
              ) -> tuple[int, Any, Any, Any, Problems, Any]:
        """One line read as ``decide`` reads JSON: (line, id, facts, order, problems,
        date); a wrapper by :func:`~udbudsregler.runtime.inputs.population_line`."""
        try:
            data = read_line(line)
        except json.JSONDecodeError as error:
            return line_number, None, None, None, _unreadable(
                f"not valid JSON: {error.msg}"), None
        except FactError as error:
            return line_number, None, None, None, _unreadable(
                "; ".join(p.render() for p in error.problems)), None
        read = population_line(data, self.day)
        return line_number, read.id, read.facts, read.order, read.problems, read.day

    def _csv(self, handle: TextIO) -> Iterator[tuple[int, Any, Any, Any, Problems, Any]]:
        try:
            for row in csv_rows(handle, self.specs, self.day):
                if row.unreadable is not None:
                    yield row.line, None, None, None, _unreadable(row.unreadable), None
                else:
                    yield row.line, row.ident, row.facts, None, row.problems, row.day
        except CsvFileProblem as error:
            raise PopulationFileError(f"{self.name}: {error}") from None


# -- deciding a file -----------------------------------------------------------------------


@dataclass
class FileSummary:
    rows: int = 0
    decided: int = 0
    errors: int = 0
    columnar: int = 0
    per_record: int = 0
    seconds: float = 0.0
    notes: tuple[str, ...] = ()
    #: Rows of a JSON-lines file read by Arrow's JSON reader (the others the exact way).
    fast_json: int = 0
    #: The file the errors were written to.
    errors_file: str = ""


class _Writer:
    """Parquet or JSON lines, written batch by batch into a file beside ``path`` that
    takes its place when the run is done (:meth:`close`); a run that fails leaves
    ``path`` as it was (:meth:`discard`). Made where it can be written, or a
    :class:`PopulationFileError`."""

    def __init__(self, path: str, schema: pa.Schema | None = None) -> None:
        self.path = path
        self.parquet = file_kind(path) == "parquet"
        self._writer: Any = None
        self._text: TextIO | None = None
        self.schema = schema
        folder, name = os.path.split(path)
        self.partial = os.path.join(folder, f".{name}.{os.getpid()}.partial")
        if os.path.isdir(path):
            raise PopulationFileError(f"{path}: is a folder, not a file to write")
        try:  # can it be written at all? (before any row is read)
            open(self.partial, "wb").close()
        except OSError as error:
            raise PopulationFileError(f"{path}: cannot be written "
                                      f"({error.strerror or error})") from None

    def write(self, table: pa.Table) -> None:
        if self.parquet:
            import pyarrow.parquet as pq

            if self._writer is None:
                self.schema = self.schema or table.schema
                self._writer = pq.ParquetWriter(self.partial, self.schema)
            self._writer.write_table(table.cast(self.schema))
            return
        if self._text is None:
            self._text = open(self.partial, "w", encoding="utf-8")  # noqa: SIM115
        for record in table.to_pylist():
            self._text.write(json.dumps(record, default=_json_default, ensure_ascii=False))
            self._text.write("\n")

    def close(self) -> None:
        """The file written, in place of ``path``."""
        if self._writer is None and self.parquet and self.schema is not None:
            import pyarrow.parquet as pq

            self._writer = pq.ParquetWriter(self.partial, self.schema)
        if self._writer is not None:
            self._writer.close()
        if self._text is not None:
            self._text.close()
        try:
            os.replace(self.partial, self.path)
        except OSError as error:
            raise PopulationFileError(f"{self.path}: cannot be written "
                                      f"({error.strerror or error})") from None

    def discard(self) -> None:
        """Nothing written: ``path`` as it was before the run."""
        with contextlib.suppress(Exception):
            if self._writer is not None:
                self._writer.close()
        with contextlib.suppress(Exception):
            if self._text is not None:
                self._text.close()
        with contextlib.suppress(OSError):
            os.remove(self.partial)


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral_value() else str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def progress_bar(stream: TextIO) -> Callable[[int, float, float], None] | None:
    """A progress bar on a terminal (rows, share of the file, rate); None elsewhere."""
    if not stream.isatty():
        return None
    started = time.perf_counter()

    def show(rows: int, done: float, _elapsed: float) -> None:
        seconds = max(time.perf_counter() - started, 1e-9)
        width = 30
        filled = int(width * min(max(done, 0.0), 1.0))
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {rows:,} rows "
                     f"({rows / seconds:,.0f}/s)")
        stream.flush()
    return show


def decide_file(policy: PolicyLike, population: str | Path, on: date | str, out: str | Path,
                *, errors: str | Path | None = None, batch_rows: int = BATCH_ROWS,
                values: tuple[str, ...] = (), id: str | None = None,
                progress: Callable[[int, float, float], None] | None = None,
                columns: Sequence[str] | None = None,
                suppliers: Mapping[str, Any] | None = None) -> FileSummary:
    """Decide every citizen of a population file and write the decisions to ``out``
    (Parquet or JSON lines, by its suffix) and the rows that could not be decided to
    ``errors`` (default: ``out`` with ``.errors`` before the suffix), one batch at a time.
    ``on``: the decision date, or the name of the file's column (JSON lines: of the key
    beside ``facts`` in its lines) holding each citizen's own (:func:`day_field`; each
    batch is then decided by ``decide_table(batch, on=column)``).
    ``values``, ``id``, ``columns`` and ``suppliers`` (the supplier state for every
    citizen: who is full, the loads and capacities, the sequence number) are as for
    ``decide_table``; each citizen's order is the one on its line, if any. A supplier
    state ``decide`` refuses raises its ``FactError`` before any row is read, and an
    output that cannot be written (or that names the population file, or the other
    output) a :class:`PopulationFileError`. The two files are written beside their names
    and take their places when the run is done: a run that fails leaves them as they
    were."""
    wanted = projection(columns)
    value_columns(policy, values)
    if suppliers is not None:
        policy.check_supplier_state(parse_supplier_state(suppliers))
    day = day_field(policy, population, on)
    started = time.perf_counter()
    out = str(out)
    if errors is None:
        stem, dot, suffix = out.rpartition(".")
        errors = f"{stem}.errors.{suffix}" if dot else f"{out}.errors"
    errors = str(errors)
    for path, what in ((out, "decisions"), (errors, "errors")):
        if not path.lower().endswith(_WRITTEN):
            raise PopulationFileError(f"{path}: the {what} are written as Parquet (.parquet, "
                                      ".pq) or JSON lines (.jsonl, .ndjson), by the suffix")
        if os.path.realpath(path) == os.path.realpath(population):
            raise PopulationFileError(f"{path}: is the population file; write the {what} "
                                      "to another file")
    if os.path.realpath(out) == os.path.realpath(errors):
        raise PopulationFileError(f"{out}: the decisions and the errors need two files")
    decisions = _Writer(out)
    try:
        problems = _Writer(errors, ERROR_SCHEMA)
    except PopulationFileError:
        decisions.discard()
        raise
    summary = FileSummary(errors_file=errors)
    notes: list[str] = []
    try:
        for batch in read_batches(policy, population, batch_rows, day):
            try:
                result = _decide(policy, batch, on, id, values, wanted, suppliers)
            except Redo:  # a row Arrow read is not read alike the exact way: read it so
                assert batch.redo is not None
                batch = batch.redo()
                result = _decide(policy, batch, on, id, values, wanted, suppliers)
            ident = batch.ids if batch.ids is not None else id
            decided = _renumber(result.decisions, batch.rows)
            bad = _renumber(result.errors, batch.rows)
            if batch.errors:
                bad = pa.concat_tables([bad, pa.Table.from_pylist(batch.errors,
                                                                  schema=ERROR_SCHEMA)])
            ordered = bool(np.all(np.diff(np.asarray(batch.rows, dtype=np.int64)) > 0))
            if batch.errors or not ordered:  # rows read the exact way come after the others
                bad = bad.sort_by("row")
            if not ordered:
                decided = decided.sort_by("row")
            if ident is None and "id" in decided.column_names:
                decided = decided.drop_columns(["id"])
            decisions.write(decided)
            problems.write(bad)
            summary.rows += batch.size
            summary.decided += decided.num_rows
            summary.errors += len(set(bad.column("row").to_pylist()))
            summary.columnar += result.columnar
            summary.per_record += result.per_record
            summary.fast_json += batch.fast
            notes += [n for n in result.notes if n not in notes]
            if progress is not None:
                progress(summary.rows, batch.done, time.perf_counter() - started)
        decisions.close()
        problems.close()
    except BaseException:  # the files as they were: nothing half written
        decisions.discard()
        problems.discard()
        raise
    summary.seconds = time.perf_counter() - started
    summary.notes = tuple(notes)
    if progress is not None:
        sys.stderr.write("\n")
    return summary


def _decide(policy: PolicyLike, batch: Batch, on: date | str, id: str | None,
            values: tuple[str, ...], columns: tuple[str, ...],
            suppliers: Mapping[str, Any] | None) -> TableDecisions:
    table = batch.table
    ident = batch.ids if batch.ids is not None else id
    # (with each row's date in the column `batch.day`: that column's name)
    result = decide_arrow(policy, table, batch.day or on, batch.records, id=ident,
                          values=values, orders=batch.orders, columns=columns,
                          suppliers=suppliers)
    errors = result.errors
    if batch.day is not None and batch.day != on and errors.num_rows:
        # the errors of a date at the file's name of its field, not DAY_COLUMN
        at = errors.column_names.index("path")
        path = pc.if_else(pc.equal(errors.column("path"), batch.day), str(on),
                          errors.column("path"))
        return replace(result, errors=errors.set_column(at, "path", path))
    return result


def _renumber(table: pa.Table, rows: list[int]) -> pa.Table:
    """``row`` from the batch's table index to the row number in the file."""
    if table.num_rows == 0:
        return table
    index = pa.array(rows, type=pa.int64()).take(table.column("row"))
    return table.set_column(table.column_names.index("row"), "row", index)

