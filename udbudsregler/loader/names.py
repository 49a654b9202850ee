"""Words of the expression language, which cannot name a definition."""

from __future__ import annotations

__all__ = ["RESERVED_WORDS"]

#: Words the grammar reserves; they cannot name facts, parameters or rules.
RESERVED_WORDS: frozenset[str] = frozenset({
    "and", "or", "not", "in", "if", "then", "else", "where", "for", "true", "false",
    "any", "all", "count", "select", "sum", "min", "max", "latest", "today",
})
