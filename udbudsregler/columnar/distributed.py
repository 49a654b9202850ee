"""A policy over a population on more than one machine: Dask and Spark.

Both run :func:`~udbudsregler.columnar.table.decide_table` on each partition, as Arrow,
and give one row per citizen: the decision columns (null for a citizen that could not be
decided) and ``errors``, the problems of that citizen (path, code, message; empty when
decided). A partition's ``row`` counts from 0 within the partition: give the citizens an
``id`` column to join the result back.

The policy travels to the workers once per worker process: :func:`shipped` wraps it so
that unpickling looks the policy up in the worker's own cache (by its content hash) and
generates its code only the first time, not once per partition.

- :func:`decide_dask`: ``ddf.map_partitions`` over a Dask DataFrame (the ``dask``
  extra). Use pyarrow-backed dtypes (``dtype_backend="pyarrow"``, or
  ``pd.ArrowDtype``): dates as ``date32``, histories as lists of structs.
- :func:`decide_spark`: ``df.mapInArrow`` over a Spark DataFrame (the ``spark`` extra);
  :func:`spark_schema` is the result's schema.
"""

from __future__ import annotations

import pickle
import threading
import warnings
from collections.abc import Iterator
from datetime import date
from typing import Any

import pyarrow as pa

from udbudsregler.columnar.table import (
    PolicyLike,
    TableDecisions,
    _as_date,
    decide_table,
    to_arrow,
    value_type,
)
from udbudsregler.values import fact_kinds

__all__ = ["OUTPUT_SCHEMA", "decide_dask", "decide_spark", "merged", "output_schema",
           "shipped", "spark_schema"]

_PROBLEM = pa.struct([("path", pa.string()), ("code", pa.string()), ("message", pa.string())])

#: The result of a partition: one row per citizen.
OUTPUT_SCHEMA = pa.schema([
    ("row", pa.int64()), ("id", pa.string()), ("eligible", pa.bool_()),
    ("target_groups", pa.list_(pa.string())), ("area", pa.string()),
    ("supplier", pa.string()), ("package", pa.string()), ("package_status", pa.string()),
    ("failed", pa.list_(pa.string())), ("errors", pa.list_(_PROBLEM)),
])

def _spark_type(kind: pa.DataType) -> str:
    """Spark's DDL name of an Arrow type of the output."""
    if pa.types.is_list(kind):
        return f"array<{_spark_type(kind.value_type)}>"
    if pa.types.is_struct(kind):
        fields = ",".join(f"{f.name}:{_spark_type(f.type)}" for f in kind)
        return f"struct<{fields}>"
    if pa.types.is_decimal(kind):
        return f"decimal({kind.precision},{kind.scale})"
    return {pa.bool_(): "boolean", pa.int64(): "long", pa.date32(): "date",
            pa.string(): "string"}[kind]


def output_schema(policy: PolicyLike | None = None, values: tuple[str, ...] = ()
                  ) -> pa.Schema:
    """The result's schema: ``OUTPUT_SCHEMA``, with a column for each of ``values`` (the
    rules' values, as ``decide_table`` gives them) before ``errors``."""
    if not values:
        return OUTPUT_SCHEMA
    if policy is None:
        raise TypeError("output_schema: values need the policy")
    fields = list(OUTPUT_SCHEMA)
    return pa.schema([*fields[:-1], *(pa.field(v, value_type(policy, v)) for v in values),
                      fields[-1]])


# -- the policy on the workers ----------------------------------------------------------

_CACHE: dict[tuple[str, int], Any] = {}
_LOCK = threading.Lock()
#: How many times this process built a policy from its pickled form (for the tests).
BUILT = [0]


def _lookup(key: tuple[str, int], payload: bytes) -> Any:
    with _LOCK:
        found = _CACHE.get(key)
        if found is None:
            found = _CACHE[key] = pickle.loads(payload)
            BUILT[0] += 1
        return found


class Shipped:
    """A policy as it travels to workers: its key and its pickled form. Unpickled, it is
    still a :class:`Shipped`, which looks its policy up in the process's cache when a
    partition first asks for it (:attr:`policy`: built once per process). Not the
    policy itself: a process that passes the task on (Dask's scheduler) would pickle
    that policy again in full, and each worker would build it anew for each
    partition."""

    def __init__(self, policy: PolicyLike | None, key: tuple[str, int] | None = None,
                 payload: bytes = b"") -> None:
        self._policy = policy
        if policy is not None:
            key = (str(getattr(policy, "content_hash", "")), int(policy.steps))
            payload = pickle.dumps(policy)
            _CACHE.setdefault(key, policy)
        assert key is not None
        self.key = key
        self.payload = payload

    @property
    def policy(self) -> PolicyLike:
        if self._policy is None:
            self._policy = _lookup(self.key, self.payload)
        return self._policy

    def __reduce__(self) -> tuple[Any, ...]:
        return (Shipped, (None, self.key, self.payload))


def shipped(policy: PolicyLike) -> Shipped:
    return Shipped(policy)


def _policy(value: Any) -> PolicyLike:
    return value.policy if isinstance(value, Shipped) else value


# -- one partition ----------------------------------------------------------------------


def merged(result: TableDecisions, n: int, ids: list[str | None] | None = None,
           schema: pa.Schema = OUTPUT_SCHEMA) -> pa.Table:
    """The decisions and the errors of a table as one row per citizen (``schema``:
    :func:`output_schema`)."""
    problems: dict[int, list[dict[str, str]]] = {}
    error_ids: dict[int, str | None] = {}
    for e in result.errors.to_pylist():
        problems.setdefault(e["row"], []).append(
            {"path": e["path"], "code": e["code"], "message": e["message"]})
        error_ids[e["row"]] = e["id"]
    decided = result.decisions
    if "id" not in decided.column_names:
        decided = decided.add_column(1, "id", pa.nulls(decided.num_rows, pa.string()))
    decided = decided.select(schema.names[:-1])
    rows = decided.column("row").to_pylist()
    decided = decided.append_column("errors", pa.array(
        [problems.pop(r, []) for r in rows], type=pa.list_(_PROBLEM)))
    undecided = sorted(problems)
    extra = pa.table({
        "row": pa.array(undecided, type=pa.int64()),
        "id": pa.array([ids[r] if ids is not None else error_ids.get(r) for r in undecided],
                       type=pa.string()),
        **{name: pa.nulls(len(undecided), schema.field(name).type)
           for name in schema.names[2:-1]},
        "errors": pa.array([problems[r] for r in undecided], type=pa.list_(_PROBLEM)),
    }, schema=schema)
    out = pa.concat_tables([decided.cast(schema), extra]).sort_by("row")
    assert out.num_rows == n
    return out


def _partition(policy: Any, table: pa.Table, on: date | str, options: dict[str, Any]
               ) -> pa.Table:
    pol = _policy(policy)
    ident = options.get("id")
    ids = ([None if v is None else str(v) for v in table.column(ident).to_pylist()]
           if ident else None)
    result = decide_table(pol, table, on, **options)
    return merged(result, table.num_rows, ids,
                  output_schema(pol, tuple(options.get("values", ()))))


def _fixed(options: dict[str, Any]) -> None:
    if options.get("columns") is not None:
        raise TypeError("columns: the Dask and Spark results have every decision column "
                        "(their schema is fixed: OUTPUT_SCHEMA); select columns from the "
                        "result instead")
    if isinstance(options.get("order"), list):  # one per row: rows are split by partition
        raise TypeError("order: a list of orders cannot follow the rows into their "
                        "partitions; give each citizen's order as a struct column of the "
                        "DataFrame (order=\"order\"), or one order for every row")


def _before_running(policy: PolicyLike, on: date | str, options: dict[str, Any],
                    frame: Any) -> date | str:
    """What ``decide_table`` checks before any row is read, checked before any partition
    runs (where else it would fail in every one, at ``compute``): the options, the date
    (as ``decide`` reads it) and, unless ``ignore_validity``, that the policy is valid
    on it. ``on`` naming a column of ``frame`` (each row's decision date) is kept:
    each row's date is read with its row, as ``decide_table`` reads it."""
    _fixed(options)
    if isinstance(on, str) and on in list(getattr(frame, "columns", ())):
        return on
    day = _as_date(on)
    if not options.get("ignore_validity", False):
        policy.check_date(day)
    return day


# -- Dask -------------------------------------------------------------------------------


def decide_dask(policy: PolicyLike, ddf: Any, on: date | str, **options: Any) -> Any:
    """The decisions for every citizen of a Dask DataFrame, partition by partition
    (``map_partitions``): a Dask DataFrame of ``OUTPUT_SCHEMA`` with pyarrow dtypes.
    ``options`` are ``decide_table``'s (``id``, ``order``, ``suppliers``, ...)."""
    import pandas as pd

    day = _before_running(policy, on, options, ddf)
    _warn_of_text(policy, ddf)
    schema = output_schema(policy, tuple(options.get("values", ())))
    meta = schema.empty_table().to_pandas(types_mapper=pd.ArrowDtype)
    ship = shipped(policy)

    def run(frame: Any, ship: Shipped) -> Any:
        table = to_arrow(frame, "decide_dask")
        return _partition(ship, table, day, options).to_pandas(types_mapper=pd.ArrowDtype)

    return ddf.map_partitions(run, ship, meta=meta)


def _warn_of_text(policy: PolicyLike, ddf: Any) -> None:
    """A warning when a list, record or true/false fact reaches Dask as text: a pandas
    column of Python objects (not ``pd.ArrowDtype``) is turned into text by Dask's
    ``dataframe.convert-string``, and ``decide`` refuses every such value."""
    dtypes = getattr(ddf, "dtypes", None)
    if dtypes is None:
        return
    texts = [name for name, fact in policy.graph.facts.items()
             if (fact.spec.kind.container or fact.spec.kind is fact_kinds.BOOL)
             and name in dtypes and str(dtypes[name]).startswith(("string", "object"))]
    if texts:
        warnings.warn(f"decide_dask: {', '.join(f'`{n}`' for n in texts)} reach Dask as "
                      "text, and decide refuses text there: build the frame with pyarrow "
                      "dtypes (table.to_pandas(types_mapper=pd.ArrowDtype)); Dask's "
                      "'dataframe.convert-string' turns a column of Python lists or "
                      "true/false values into text", UserWarning, stacklevel=3)


# -- Spark ------------------------------------------------------------------------------


def spark_schema(policy: PolicyLike | None = None, values: tuple[str, ...] = ()) -> str:
    """The result's schema as Spark DDL (for ``mapInArrow``): :func:`output_schema`'s,
    with a column for each of ``values`` (of ``policy``) before ``errors``."""
    if values and policy is None:
        raise TypeError("spark_schema: values need the policy")
    return ", ".join(f"`{f.name}` {_spark_type(f.type)}"
                     for f in output_schema(policy, values))


def decide_spark(policy: PolicyLike, df: Any, on: date | str, **options: Any) -> Any:
    """The decisions for every citizen of a Spark DataFrame (``mapInArrow``): a Spark
    DataFrame of :func:`spark_schema`. ``options`` are ``decide_table``'s."""
    day = _before_running(policy, on, options, df)
    schema = spark_schema(policy, tuple(options.get("values", ())))
    ship = shipped(policy)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            table = pa.Table.from_batches([batch])
            yield from _partition(ship, table, day, options).to_batches()

    return df.mapInArrow(run, schema)


