"""CSV cells of a population file as the values ``decide`` reads (pure Python: the CSV
reader of ``udbudsregler diff --population`` uses it without the columnar extra)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from udbudsregler.diagnostics import FactError, FactProblem, shown
from udbudsregler.loader.documents import FactSpec
from udbudsregler.runtime.inputs import MAX_INT_CHARS, WRAPPER_KEYS, read_json, shown_key
from udbudsregler.values import fact_kinds
from udbudsregler.values.limits import valid_text

__all__ = ["MAX_CELL_CHARS", "NOT_UTF8", "CsvFileProblem", "CsvRow", "FieldProblem",
           "cell_value", "columns_problem", "csv_header", "csv_rows",
           "file_kind", "has_field", "header_problem", "not_a_file", "row_facts"]

#: A byte that is not UTF-8, as reading with ``errors="surrogateescape"`` keeps it (valid
#: UTF-8 never decodes to a surrogate): both readers of population files make the line
#: (or CSV row) holding one an error of its own.
NOT_UTF8 = re.compile("[\udc80-\udcff]")

#: The longest CSV cell read, in characters. The csv module's own limit, 131,072, is
#: shorter than a history of a few thousand records written as JSON text (which a JSON
#: line may hold); a cell longer than this is most likely a quote that is never closed.
MAX_CELL_CHARS = 64 * 1_048_576


class CsvFileProblem(Exception):
    """A CSV population file that cannot be read as a whole (the message, without the
    file's name): each reader raises its own error with the name."""


@dataclass(frozen=True)
class CsvRow:
    """A row of a CSV population file: its line, id, facts and the problems of its cells
    (:func:`row_facts`); or, ``unreadable``, why it could not be read at all."""

    line: int
    ident: str | None = None
    facts: dict[str, Any] | None = None
    problems: tuple[FactProblem, ...] = ()
    unreadable: str | None = None
    #: The cell of the date column (``csv_rows``' ``day``), stripped; None if empty.
    day: str | None = None


def csv_rows(lines: Iterable[str], specs: Mapping[str, FactSpec], day: str | None = None,
             read: Callable[[], None] = lambda: None) -> Iterator[CsvRow]:
    """The rows of a CSV population file (``lines`` read with ``newline=""``, bytes that
    are not UTF-8 kept as lone surrogates), as both readers of population files take
    them: blank rows skipped; a row that is not UTF-8, or not of the header's width, or
    that the csv module cannot read, unreadable. :class:`CsvFileProblem` for a first line
    that cannot be read, is not UTF-8 or names a column twice (:func:`header_problem`),
    and for a cell over the limit (:func:`_too_long`). ``day``: a column of each row's
    decision date, read as text (:attr:`CsvRow.day`), not a fact unless one is named so.
    ``read()`` is called as each record of the file is read (the header, a blank row and
    one the csv module cannot read too), before the lines of the next are asked for: the
    diff's reader bounds the bytes of a record by it."""
    reader = _csv_reader(lines)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return
    except csv.Error as error:
        raise CsvFileProblem(f"the first line cannot be read as CSV ({error})") from None
    read()
    if NOT_UTF8.search("".join(header)):
        raise CsvFileProblem("the first line is not UTF-8 text")
    problem = header_problem(header)
    if problem is not None:
        raise CsvFileProblem(problem)
    at = header.index(day) if day is not None and day in header else None
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            read()
            problem = _too_long(error, line)
            if problem is not None:
                raise CsvFileProblem(problem) from None
            yield CsvRow(reader.line_num,
                         unreadable=f"not readable as CSV: {shown(str(error), 200)}")
            continue
        read()
        if not any(c.strip() for c in cells):
            continue
        joined = "".join(cells)
        if not joined.isascii() and NOT_UTF8.search(joined):
            yield CsvRow(line, unreadable="not UTF-8 text")
        elif len(cells) != len(header):
            yield CsvRow(line, unreadable=f"{len(cells)} cells, but the header has "
                                          f"{len(header)} columns")
        else:
            yield CsvRow(line, *row_facts(header, cells, specs, day),
                         day=None if at is None else cells[at].strip() or None)


def csv_header(lines: Iterable[str]) -> list[str]:
    """The column names of a CSV population file's first line, as :func:`csv_rows` reads
    them (none if it cannot be read)."""
    try:
        return [h.strip() for h in next(_csv_reader(lines))]
    except (StopIteration, csv.Error):
        return []


class FieldProblem(Exception):
    """A population file in which the field of each row's decision date cannot be looked
    for (the message, with the file's name): each reader raises its own error with it."""


def file_kind(name: str) -> str:
    """``parquet``, ``csv`` or ``jsonl``: what a population file is, by its suffix."""
    lower = name.lower()
    if lower.endswith((".parquet", ".pq")):
        return "parquet"
    return "csv" if lower.endswith(".csv") else "jsonl"


def has_field(name: str, key: str) -> bool:
    """Whether the population file ``name`` has the field ``key`` that may hold each
    row's decision date (:func:`_field_names`: a column of a CSV or Parquet file, a key of
    JSON lines beside ``facts``). A :class:`FieldProblem` if ``name`` is no file or
    cannot be read, or if ``key`` is a key of the wrapper of a JSON line. Both readers of
    population files (``decide --population``, ``diff --population``) ask it."""
    if not Path(name).is_file():
        raise FieldProblem(f"{name}: {not_a_file(name)}")
    kind = file_kind(name)
    if kind == "jsonl" and key in WRAPPER_KEYS:
        raise FieldProblem(f"{name}: `{shown_key(key)}` is a key of the wrapper of a line "
                           f"({', '.join(WRAPPER_KEYS)}); the key of each line's date needs "
                           "another name")
    try:
        return key in _field_names(name, kind, key)
    except ImportError:
        raise FieldProblem(f"{name}: reading Parquet needs the columnar extra "
                           "(pip install 'udbudsregler[columnar]')") from None
    except (OSError, ValueError) as error:  # (pyarrow's ArrowInvalid is a ValueError)
        what = "as Parquet " if kind == "parquet" else ""
        raise FieldProblem(f"{name}: cannot be read {what}({error})") from None


def _field_names(name: str, kind: str, key: str) -> set[str]:
    """The fields of a population file that may hold each row's decision date: the
    columns of a Parquet file (``kind`` ``"parquet"``; read by pyarrow) or a CSV file
    (``"csv"``: its first line, as :func:`csv_rows` reads it); for JSON lines, ``{key}``
    if the text of ``key`` as a JSON string is in the file as a key (followed by ``:``; a
    key of a line can only be written so, or with an escape: a text value ``"key"`` is
    followed by ``,``, ``}`` or ``]``), else none (for text that is not valid Unicode
    too: a line that is not UTF-8 is not read). ``OSError`` for a file that cannot be
    read, pyarrow's ``ArrowInvalid`` for one that is not Parquet."""
    if kind == "parquet":
        import pyarrow.parquet as pq

        return set(pq.ParquetFile(name).schema_arrow.names)
    if kind == "csv":
        with open(name, encoding="utf-8-sig", newline="", errors="surrogateescape") as f:
            return set(csv_header(f))
    if not valid_text(key):  # (a command line's bytes that are not UTF-8): no line's key
        return set()
    text = json.dumps(key, ensure_ascii=False).encode("utf-8")
    # the key, then JSON white space up to its colon (or to the end of what is read: the
    # colon may be in the next chunk)
    keyed = re.compile(re.escape(text) + rb"[ \t\r\n]*(?::|\Z)")
    with open(name, "rb") as stream:
        tail = b""
        while chunk := stream.read(1 << 22):
            if keyed.search(tail + chunk):
                return {key}
            tail = chunk[-len(text):]
    return set()


def _csv_reader(lines: Iterable[str]) -> Any:
    """``csv.reader(lines)``, reading cells of up to :data:`MAX_CELL_CHARS` characters.
    The csv module's limit is the process's: it is raised to that, never lowered."""
    if csv.field_size_limit() < MAX_CELL_CHARS:
        csv.field_size_limit(MAX_CELL_CHARS)
    return csv.reader(lines)


def _too_long(error: csv.Error, line: int) -> str | None:
    """The file's problem when ``error``, reading the row that starts on ``line``, is a
    cell over the limit: the csv module gives up inside the cell and would read what
    follows as rows (each line of the cell an error row, and every row after it
    numbered wrongly), so the file is refused. None for any other error (a row's)."""
    if "field larger than field limit" not in str(error):
        return None
    return (f"line {line}: a cell longer than {MAX_CELL_CHARS:,} characters (a quote that "
            "is never closed?); the rest of the file cannot be read as CSV")


def not_a_file(path: str | Path) -> str:
    """Why ``path``, which is not a regular file, is no population file to read (both
    commands that read one say it alike): a folder, a pipe or a device (a file is read
    in blocks, and a block again where it is redone), or nothing."""
    path = Path(path)
    if path.is_dir():
        return "is a folder, not a file"
    if path.exists():
        return "is not a regular file (a pipe or a device); give a file"
    return "no such file"


def header_problem(header: Sequence[str]) -> str | None:
    """What makes a CSV file's first line unreadable, if anything: a column named twice
    (a fact, or ``id``; names stripped as :func:`row_facts` reads them), of which a row
    would keep one value silently; one column whose name holds semicolons or tabs (a
    file separated by those: every row would be one unknown fact). Both readers of
    population files refuse the file."""
    if len(header) == 1:  # one column: names run together by another separator?
        for mark, marks in ((";", "semicolons"), ("\t", "tabs")):
            if mark in header[0]:
                return (f"the first line is one column of names separated by {marks}; a "
                        "CSV population file is separated by commas (a spreadsheet set "
                        "to Danish saves CSV with semicolons: save it as comma-separated "
                        "CSV, UTF-8)")
    seen: set[str] = set()
    for column in header:
        column = column.strip()
        if column and column in seen:  # a column without a name is a problem of its rows
            return f"the first line names the column `{shown_key(column)}` twice"
        seen.add(column)
    return None


def columns_problem(names: Sequence[str]) -> str | None:
    """What makes a Parquet file's columns (``names``, as the file has them) unreadable, if
    anything: a column named twice, as :func:`header_problem` says of a CSV file's first
    line (which of the two would be the fact?). Both readers of population files refuse
    the file."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return f"the file has two columns named `{shown_key(name)}`"
        seen.add(name)
    return None


def row_facts(header: Sequence[str], cells: Sequence[str], specs: Mapping[str, FactSpec],
              day: str | None = None
              ) -> tuple[str | None, dict[str, Any], tuple[FactProblem, ...]]:
    """A CSV row (a cell per column of ``header``): its id (the ``id`` column, when the
    policy has no fact of that name), its facts, and the problems of its cells (UDB608
    at the column's name). An empty cell of a fact is a missing value (a CSV cell has
    no null): the fact is left out of the row's facts, so that its default applies (a
    fact without one is missing, UDB601). ``day``: a column of decision dates, not read
    here (unless the policy has a fact of its name)."""
    ident: str | None = None
    facts: dict[str, Any] = {}
    problems: list[FactProblem] = []
    for column, cell in zip(header, cells, strict=True):
        column = column.strip()
        if column == "id" and "id" not in specs:
            ident = cell or None
            continue
        if column == day and column not in specs:
            continue
        if column in specs and not cell.strip():  # a missing value: left out
            continue
        try:
            facts[column] = cell_value(cell, specs.get(column))
        except ValueError as error:
            problems.append(FactProblem("UDB608", column, str(error)))
    return ident, facts, tuple(problems)


#: A whole number's cell: ASCII digits (``\d`` and ``int`` also take other scripts'
#: digits, ``١٢`` or ``１２``, which ``decide`` refuses as text).
_WHOLE = re.compile(r"[-+]?[0-9]+")


def cell_value(cell: str, spec: FactSpec | None) -> Any:
    """A CSV cell as a fact value: JSON text for histories, lists, records and periods;
    true/false (also 1/0, ja/nej, yes/no) for a bool; a whole number (ASCII digits, a
    sign, at most :data:`MAX_INT_CHARS` characters) for an int; text otherwise (dates,
    numbers and durations are text ``decide`` converts). An empty cell is None (of a
    fact, :func:`row_facts` leaves it out). ``ValueError`` for a cell that cannot be
    read."""
    kind = spec.kind if spec is not None else None
    text = cell.strip()
    if text == "":
        return None
    # records, lists and periods are JSON (a fact the policy does not declare, if it looks so)
    if (kind.container or kind is fact_kinds.PERIOD) if kind is not None else text[0] in "[{":
        try:
            return read_json(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"not valid JSON: {error.msg}") from None
        except FactError as error:
            raise ValueError("; ".join(p.render() for p in error.problems)) from None
    if kind is fact_kinds.BOOL:
        lowered = text.lower()
        if lowered in ("true", "1", "ja", "yes"):
            return True
        if lowered in ("false", "0", "nej", "no"):
            return False
        raise ValueError(f"`{text}` is not true or false")
    if kind is fact_kinds.INT and _WHOLE.fullmatch(text):
        if len(text) > MAX_INT_CHARS:  # as a JSON line's (and beyond Python's int() limit)
            raise ValueError(f"a whole number of {len(text):,} characters is beyond the "
                             "limits of a number (less than 10^18 in size)")
        return int(text)
    return text

