"""Puts this folder on ``sys.path`` so the tests can import their strategies module
(``typed_exprs``) whatever pytest's import mode."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
