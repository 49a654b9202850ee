"""The columnar backend: a policy over a whole population at once.

``decide_table`` evaluates the lowered rule graph column by column over an Arrow table
of citizens (:mod:`udbudsregler.columnar.table`), with one columnar implementation per
primitive of the semantic table (:mod:`udbudsregler.columnar.evaluate`); every row it
cannot answer exactly is decided per record, so its answer equals ``decide``'s.
Needs the ``columnar`` extra (pyarrow and numpy).
"""

from __future__ import annotations

from udbudsregler.columnar.columns import Unsupported
from udbudsregler.columnar.table import (
    ColumnarFallback,
    TableDecisions,
    decide_table,
    fact_schema,
    support,
    to_arrow,
)

__all__ = ["ColumnarFallback", "TableDecisions", "Unsupported", "decide_table",
           "fact_schema", "support", "to_arrow"]
