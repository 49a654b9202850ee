"""CSV cells of a population file as the values ``decide`` reads (pure Python: the CSV
reader of ``udbudsregler diff --population`` uses it without the columnar extra)."""

from __future__ import annotations

import json
import re
from typing import Any

from udbudsregler.diagnostics import FactError
from udbudsregler.loader.documents import FactSpec
from udbudsregler.runtime.inputs import read_json

__all__ = ["cell_value"]


def cell_value(cell: str, spec: FactSpec | None) -> Any:
    """A CSV cell as a fact value: JSON text for histories, lists, records and periods;
    true/false (also 1/0, ja/nej, yes/no) for a bool; a whole number for an int; text
    otherwise (dates, numbers and durations are text ``decide`` converts). An empty cell
    is null. ``ValueError`` for a cell that cannot be read."""
    kind = spec.type if spec is not None else None
    text = cell.strip()
    if text == "":
        return None
    if kind in ("history", "list", "record", "period") or (kind is None and text[0] in "[{"):
        try:
            return read_json(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"not valid JSON: {error.msg}") from None
        except FactError as error:
            raise ValueError("; ".join(p.render() for p in error.problems)) from None
    if kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "1", "ja", "yes"):
            return True
        if lowered in ("false", "0", "nej", "no"):
            return False
        raise ValueError(f"`{text}` is not true or false")
    if kind == "int" and re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    return text
