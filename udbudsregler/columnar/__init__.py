"""The columnar backend: a policy over a whole population at once.

``decide_table`` evaluates the lowered rule graph column by column over an Arrow table
of citizens (:mod:`udbudsregler.columnar.table`), with one columnar implementation per
primitive of the semantic table (:mod:`udbudsregler.columnar.evaluate`, with the
kernels in :mod:`~udbudsregler.columnar.kernels` and
:mod:`~udbudsregler.columnar.library`); every row it
cannot answer exactly is decided per record, so its answer equals ``decide``'s.
:mod:`~udbudsregler.columnar.files` streams population files,
:mod:`~udbudsregler.columnar.distributed` runs a policy on Dask and Spark, and
:mod:`~udbudsregler.columnar.settle` settles referrals in a batch.

Needs the ``columnar`` extra (pyarrow and numpy); the names below are imported on first
use, so ``udbudsregler.columnar.cells`` works without it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ColumnarFallback", "TableDecisions", "Unsupported", "decide_records", "decide_table",
           "fact_schema", "support", "to_arrow"]


def __getattr__(name: str) -> Any:
    if name == "Unsupported":
        from udbudsregler.columnar.columns import Unsupported

        return Unsupported
    if name in __all__:
        from udbudsregler.columnar import table

        return getattr(table, name)
    raise AttributeError(name)
