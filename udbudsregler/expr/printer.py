"""Print an AST back to canonical expression text.

Printing then parsing gives an equal AST (positions aside); the printer adds
only the parentheses that precedence requires.
"""

from __future__ import annotations

from decimal import Decimal

from udbudsregler.expr import ast as A

__all__ = ["format_number", "to_text"]

# Binding strength, loosest first.
_IF, _OR, _AND, _NOT, _CMP, _SUM, _PRODUCT, _NEG, _POSTFIX, _ATOM = range(10)

_BINARY_PREC = {
    "or": _OR, "and": _AND,
    "==": _CMP, "!=": _CMP, "<": _CMP, "<=": _CMP, ">": _CMP, ">=": _CMP, "in": _CMP,
    "not in": _CMP,
    "+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT,
}
_SINGULAR = {"years": "year", "months": "month", "weeks": "week", "days": "day", "hours": "hour"}


def format_number(value: int | Decimal) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _text(value: str) -> str:
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\t", "\\t"))
    return f'"{escaped}"'


def to_text(node: A.Expr) -> str:
    """The canonical text of ``node``."""
    return _print(node, _IF)


def _print(node: A.Expr, context: int) -> str:
    text, prec = _render(node)
    return f"({text})" if prec < context else text


def _args(args: tuple[A.Expr, ...], kwargs: tuple[A.Keyword, ...]) -> str:
    parts = [_print(a, _IF) for a in args]
    parts += [f"{k.name}={_print(k.value, _IF)}" for k in kwargs]
    return ", ".join(parts)


def _render(node: A.Expr) -> tuple[str, int]:
    match node:
        case A.BoolLit(value=value):
            return ("true" if value else "false"), _ATOM
        case A.NumberLit(value=value):
            return format_number(value), _ATOM
        case A.TextLit(value=value):
            return _text(value), _ATOM
        case A.DateLit(value=value):
            return value.isoformat(), _ATOM
        case A.QuantityLit(amount=amount, unit=unit):
            word = _SINGULAR[unit] if amount == 1 else unit
            return f"{format_number(amount)} {word}", _ATOM
        case A.MoneyLit(amount=amount, currency=currency):
            return f"{format_number(amount)} {currency}", _ATOM
        case A.Name(id=ident):
            return ident, _ATOM
        case A.Member(obj=obj, name=name):
            return f"{_print(obj, _POSTFIX)}.{name}", _POSTFIX
        case A.Call(func=func, args=args, kwargs=kwargs):
            return f"{func}({_args(args, kwargs)})", _ATOM
        case A.Keyword(name=name, value=value):
            return f"{name}={_print(value, _IF)}", _ATOM
        case A.Unary(op="not", operand=operand):
            return f"not {_print(operand, _NOT)}", _NOT
        case A.Unary(op=op, operand=operand):
            inner = _print(operand, _NEG)
            # `- -x` would print as `--x`, which reads badly; keep a space.
            return (f"{op} {inner}" if inner.startswith("-") else f"{op}{inner}"), _NEG
        case A.Binary(op=op, left=left, right=right):
            prec = _BINARY_PREC[op]
            if prec == _CMP:
                return f"{_print(left, _SUM)} {op} {_print(right, _SUM)}", _CMP
            return f"{_print(left, prec)} {op} {_print(right, prec + 1)}", prec
        case A.If(cond=cond, then=then, orelse=orelse):
            return (f"if {_print(cond, _IF)} then {_print(then, _IF)} else {_print(orelse, _IF)}",
                    _IF)
        case A.ListLit(items=items):
            return "[" + ", ".join(_print(i, _IF) for i in items) + "]", _ATOM
        case A.SetLit(items=items):
            return "{" + ", ".join(_print(i, _IF) for i in items) + "}", _ATOM
        case A.Quantifier(kind=kind, var=var, source=source, where=where):
            body = f"{var} in {_print(source, _IF)}"
            if where is not None:
                body += f" where {_print(where, _IF)}"
            return f"{kind}({body})", _ATOM
        case A.Aggregate(kind=kind, value=value, var=var, source=source, where=where,
                         default=default):
            body = f"{_print(value, _IF)} for {var} in {_print(source, _IF)}"
            if where is not None:
                body += f" where {_print(where, _IF)}"
            if default is not None:
                body += f" else {_print(default, _IF)}"
            return f"{kind}({body})", _ATOM
    raise TypeError(f"cannot print {type(node).__name__}")  # pragma: no cover
