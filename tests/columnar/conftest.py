"""Puts this folder and tests/codegen on ``sys.path``: the tests import the reference
helpers (``equivalence``) and the typed expression strategies (``typed_exprs``)."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for folder in (_HERE, _HERE.parent / "codegen"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
