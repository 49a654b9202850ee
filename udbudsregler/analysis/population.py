"""Population files for the rule-change diff: the citizens of a JSON-lines or CSV file.

:func:`read_population` reads a file into :class:`PopulationRow` items (the facts of a
citizen, with the line and an optional id and order); a row that cannot be read is a
:class:`BadRow`, kept with the line and the problems, so that the diff can still run on
the rest and report the bad rows. A file that cannot be read at all is a
:class:`PopulationError`. Whether a row fits a policy's fact schema is for the diff to
say (:meth:`udbudsregler.analysis.comparison.Comparison.read`).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from udbudsregler.columnar.cells import NOT_UTF8, CsvFileProblem, columns_problem, csv_rows
from udbudsregler.diagnostics import FactError, UdbudsreglerError, shown
from udbudsregler.loader.documents import FactSpec
from udbudsregler.runtime.inputs import population_line, read_json
from udbudsregler.values.limits import EARLIEST, LATEST

__all__ = ["BadRow", "Population", "PopulationError", "PopulationRow", "read_population"]


class PopulationError(UdbudsreglerError):
    """A population file that cannot be read at all."""


@dataclass(frozen=True)
class PopulationRow:
    line: int
    id: str | None
    facts: dict[str, Any]
    #: The caseworker's order, if the row gives one (JSON lines only).
    order: dict[str, Any] | None = None


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


#: The largest population file, in bytes (a few hundred thousand citizens).
MAX_POPULATION_BYTES = 256 * 1_048_576


def read_population(path: str | Path, specs: Mapping[str, FactSpec] | None = None
                    ) -> Population:
    """Citizens from a file: JSON lines (a facts object per line, or ``{"id": ...,
    "facts": {...}, "order": {...}}``, read by
    :func:`~udbudsregler.runtime.inputs.population_line` as ``decide --population``
    reads it), or CSV with one column per fact (an optional ``id`` column) whose
    history, list, record and period columns hold JSON text, or Parquet. The suffix says
    which, as for ``decide --population``: ``.csv`` CSV, ``.parquet`` or ``.pq`` Parquet,
    any other JSON lines. ``specs`` (the fact schema) says how to read CSV cells, and
    whether an ``id`` column is a fact. Rows that cannot be read are
    :attr:`Population.bad`."""
    name = str(path)
    if name.lower().endswith((".parquet", ".pq")):
        return _read_parquet(name, specs or {})
    try:
        with Path(path).open("rb") as stream:  # bounded: not without end (issue 12, item 16)
            data = stream.read(MAX_POPULATION_BYTES + 1)
        if len(data) > MAX_POPULATION_BYTES:
            raise PopulationError(f"{name}: larger than the limit of {MAX_POPULATION_BYTES} "
                                  "bytes for a population file; split it")
        # bytes that are not UTF-8 are kept as lone surrogates: their line is a bad row,
        # as `decide --population` makes it an error of its row
        text = data.decode("utf-8-sig", "surrogateescape")
    except FileNotFoundError:
        raise PopulationError(f"{name}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PopulationError(f"{name}: cannot be read ({error})") from None
    population = Population(name)
    if name.lower().endswith(".csv"):
        _read_csv(text, specs or {}, population)
    else:
        _read_jsonl(text, population)
    return population


def _read_parquet(name: str, specs: Mapping[str, FactSpec]) -> Population:
    """A Parquet file in the Arrow form of ``decide_table`` (the columnar extra): one
    column per fact, an optional ``id`` (the fact ``id`` if ``specs`` has one, as in a
    CSV file); the row number stands for the line."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise PopulationError(f"{name}: reading Parquet needs the columnar extra "
                              "(pip install 'udbudsregler[columnar]')") from None
    try:
        file = pq.ParquetFile(name)
        problem = columns_problem(file.schema_arrow.names)  # before Arrow names it, at length
        if problem is not None:
            raise PopulationError(f"{name}: {problem}")
        table = file.read()
    except (OSError, ValueError) as error:
        raise PopulationError(f"{name}: cannot be read as Parquet ({error})") from None
    population = Population(name)
    problems: dict[int, list[str]] = {}
    try:
        rows = table.to_pylist()
    except _UNCONVERTIBLE:  # a value Python has no form of: the rows with one are bad
        rows, problems = _by_value(table)
    for number, row in enumerate(rows, start=1):
        ident = None if "id" in specs else _id(row.pop("id", None))
        if number - 1 in problems:
            population.bad.append(BadRow(number, ident, tuple(problems[number - 1])))
        else:
            population.rows.append(PopulationRow(number, ident, row))
    return population


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


_LINE_END = re.compile("\r\n|\r|\n")


def _read_jsonl(text: str, population: Population) -> None:
    # the line ends of `open`'s universal newlines, as `decide --population` numbers them:
    # not `str.splitlines`, which also ends a line at U+2028, U+0085 and the like, which
    # JSON allows inside a string as they are
    for number, line in enumerate(_LINE_END.split(text), start=1):
        if not line.strip():
            continue
        if not line.isascii() and NOT_UTF8.search(line):
            population.bad.append(BadRow(number, None, ("not UTF-8 text",)))
            continue
        try:
            data = read_json(line)
        except json.JSONDecodeError as error:
            population.bad.append(BadRow(number, None, (f"not valid JSON: {error.msg}",)))
            continue
        except FactError as error:
            population.bad.append(BadRow(number, None, tuple(p.render() for p in
                                                             error.problems)))
            continue
        read = population_line(data)
        if read.problems:
            # as a fact's problem is shown ("facts: UDB608: ..."); one of the line as a
            # whole as the others of the line ("expected a JSON object")
            population.bad.append(BadRow(number, read.id, tuple(
                p.render() if p.path else p.message for p in read.problems)))
            continue
        population.rows.append(PopulationRow(number, read.id, read.facts, read.order))


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def _read_csv(text: str, specs: Mapping[str, FactSpec], population: Population) -> None:
    try:  # line ends as `open(newline="")` reads them
        for row in csv_rows(io.StringIO(text, newline=""), specs):
            if row.unreadable is not None:
                population.bad.append(BadRow(row.line, None, (row.unreadable,)))
            elif row.problems:  # as a fact's problem is shown ("age: UDB608: ...")
                population.bad.append(BadRow(row.line, row.ident, tuple(
                    p.render() for p in row.problems)))
            else:
                assert row.facts is not None
                population.rows.append(PopulationRow(row.line, row.ident, row.facts))
    except CsvFileProblem as error:
        raise PopulationError(f"{population.path}: {error}") from None

