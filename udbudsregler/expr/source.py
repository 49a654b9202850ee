"""Expressions with their place in the policy source.

The ``parse`` stage turns every expression string of the document into a
:class:`SourceExpr`: the text, the AST (or None if it did not parse), and the
loader's node info, through which any AST position maps to file:line:column.
"""

from __future__ import annotations

from dataclasses import dataclass

from udbudsregler.diagnostics import DiagnosticBag, Span
from udbudsregler.expr import ast as A
from udbudsregler.loader import NodeInfo

__all__ = ["SourceExpr", "parse_at"]

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class SourceExpr:
    text: str
    path: Path
    origin: NodeInfo | None
    ast: A.Expr | None

    def span(self, pos: A.Pos | None = None) -> Span | None:
        if self.origin is None:
            return None
        if pos is None:
            return self.origin.span
        start, end = pos
        return self.origin.locate(start, max(end, start + 1))

    @property
    def ok(self) -> bool:
        return self.ast is not None


def parse_at(text: str, path: Path, origin: NodeInfo | None, bag: DiagnosticBag) -> SourceExpr:
    """Parse one expression of the document, reporting a syntax error at its place.

    A value with a YAML tag (`!include x`) was reported by the loader (UDB103); it
    is not parsed, so the one mistake gives one error.
    """
    # the parser (and lark) only when a policy is compiled: a policy from the compiled-
    # policy cache holds SourceExprs, and never parses
    from udbudsregler.expr.parser import ExprSyntaxError, parse_expression

    if origin is not None and origin.raw is not None and origin.raw.lstrip().startswith("!"):
        return SourceExpr(text, path, origin, None)
    try:
        tree: A.Expr | None = parse_expression(text)
    except ExprSyntaxError as error:
        tree = None
        result = SourceExpr(text, path, origin, None)
        bag.error(error.code, error.message, result.span(error.pos), error.hint)
        return result
    return SourceExpr(text, path, origin, tree)
