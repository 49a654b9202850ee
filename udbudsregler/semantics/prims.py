"""The semantic table: what each primitive operation of the lowered rule graph means.

The ``lower`` stage turns every operator, call and field access of a checked
policy into a :class:`Prim` of this table, chosen by the operand types (``+``
of two whole numbers is ``int_add``, a date plus a fixed number of months is
``date_add_months``, ``<`` of two durations is ``dur_lt``). Each primitive has
one meaning, ``impl``, a Python function; the interpreter calls it, and the
code generator either calls it too or writes ``code``, a Python expression
that computes the same value faster (``({0} + {1})``). Every backend derives
from this table, and the agreement of the interpreter and the generated code
on every rule of the seed policies is a property test.

``code`` may use the names in :data:`HELPERS` and ``_RULE`` (the policy's
month-end rule). A ``code`` form may fail with a plain Python error
(``OverflowError``) where ``impl`` raises an :class:`EvaluationError` with a
message for the author; the generated code then falls back to the interpreter
for the message, so the two never disagree on a value, only on how fast a
failure is reported.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from udbudsregler.diagnostics import EvaluationError
from udbudsregler.semantics import library as L
from udbudsregler.semantics import ops
from udbudsregler.semantics.signatures import FUNCTIONS
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import (
    DateRangeError,
    Duration,
    MonthEnd,
    Period,
    SpanLength,
    add_months,
    compare_length,
)

__all__ = ["HELPERS", "PRIMS", "Prim", "field_value"]


@dataclass(frozen=True)
class Prim:
    name: str
    #: The meaning: the arguments in order, then the month-end rule if ``rule``.
    impl: Callable[..., Any]
    #: A Python expression with the same value, over ``{0}``, ``{1}``, ...; None: the
    #: generated code calls ``impl``.
    code: str | None = None
    rule: bool = False
    doc: str = ""


def _date_error(error: Exception) -> EvaluationError:
    return EvaluationError("UDB701", f"a date falls outside the calendar: {error}")


def shift_months(d: date, months: int, rule: MonthEnd) -> date:
    try:
        return add_months(d, months, rule)
    except (DateRangeError, OverflowError) as error:
        raise _date_error(error) from None


def shift_days(d: date, delta: timedelta) -> date:
    try:
        return d + delta
    except OverflowError as error:
        raise _date_error(error) from None


def history_to(record: dict[str, Any]) -> date:
    end: date | None = record["to"]
    return end if end is not None else ops.OPEN_END


def period_start(p: Period) -> date:
    return p.start


def period_end(p: Period) -> date:
    return p.end if p.end is not None else ops.OPEN_END


def _dur(op: Callable[[int, int], bool]) -> Callable[[Any, Any, MonthEnd], bool]:
    def compare(a: Any, b: Any, rule: MonthEnd) -> bool:
        return op(ops.duration_compare(a, b, rule), 0)
    return compare


def _len(op: Callable[[int, int], bool]) -> Callable[[SpanLength, Duration, MonthEnd], bool]:
    def compare(a: SpanLength, b: Duration, rule: MonthEnd) -> bool:
        return op(compare_length(a, b, rule), 0)
    return compare


def _contains(a: Any, b: Any) -> bool:
    return a in b


def _not_contains(a: Any, b: Any) -> bool:
    return a not in b


#: Names the ``code`` forms may use, bound in the generated code's namespace.
HELPERS: dict[str, Any] = {
    "_OPEN": ops.OPEN_END, "_dec": ops.to_decimal, "_addm": add_months,
    "_dcmp": ops.duration_compare, "_cmpl": compare_length, "_contains": ops.contains,
    "_ovr": L.overlaps_record, "_covr": L.covers_records, "_period_of": L.period_of,
    "_Money": Money,
}

_COMPARISONS = {"eq": ("==", operator.eq), "ne": ("!=", operator.ne), "lt": ("<", operator.lt),
                "le": ("<=", operator.le), "gt": (">", operator.gt), "ge": (">=", operator.ge)}


def _table() -> dict[str, Prim]:
    out: list[Prim] = [
        Prim("int_add", operator.add, "({0} + {1})", doc="whole numbers"),
        Prim("int_sub", operator.sub, "({0} - {1})", doc="whole numbers"),
        Prim("int_mul", operator.mul, "({0} * {1})", doc="whole numbers"),
        Prim("int_neg", operator.neg, "(-{0})", doc="a whole number"),
        Prim("add", ops.add, rule=True, doc="numbers, amounts, hours, durations, text, a date "
             "and a duration"),
        Prim("sub", ops.subtract, rule=True, doc="as `add`; two dates give the days between"),
        Prim("mul", ops.multiply, doc="numbers, an amount or hours or a duration by a number"),
        Prim("div", ops.divide, doc="exact division in a fixed context; by zero is UDB702"),
        Prim("neg", ops.negate, doc="a number, amount, hours or duration"),
        Prim("date_add_months", shift_months, "_addm({0}, {1}, _RULE)", rule=True,
             doc="a date plus a fixed number of months, by the month-end rule"),
        Prim("date_add_days", shift_days, "({0} + {1})",
             doc="a date plus a fixed number of days (a timedelta)"),
        Prim("to_decimal", ops.to_decimal, "_dec({0})",
             doc="a whole number where a decimal is meant"),
        Prim("in_period", lambda a, b: b.contains(a), "({1}.contains({0}))",
             doc="a date inside a period"),
        Prim("not_in_period", lambda a, b: not b.contains(a), "(not {1}.contains({0}))"),
        Prim("in_durations", lambda a, b, rule: ops.contains(b, a, rule),
             "_contains({1}, {0}, _RULE)", rule=True,
             doc="a length among durations: equal by the language's `==`"),
        Prim("not_in_durations", lambda a, b, rule: not ops.contains(b, a, rule),
             "(not _contains({1}, {0}, _RULE))", rule=True),
        Prim("in", _contains, "({0} in {1})", doc="an element of a list or set"),
        Prim("not_in", _not_contains, "({0} not in {1})"),
        Prim("history_to", history_to, "({0}['to'] or _OPEN)",
             doc="the end of a history record; an open end is later than any date"),
        Prim("history_period", L.period_of, "_period_of({0})",
             doc="a history record as a period"),
        Prim("period_from", period_start, "{0}.start"),
        Prim("period_to", period_end, "({0}.end or _OPEN)"),
        Prim("overlaps_record", L.overlaps_record, "_ovr({0}, {1})",
             doc="`overlaps` of one history record and a window"),
        Prim("covers_records", L.covers_records, "_covr({0}, {1})",
             doc="`covers` of a history on a date"),
    ]
    for name, (symbol, fn) in _COMPARISONS.items():
        out.append(Prim(name, fn, f"({{0}} {symbol} {{1}})"))
        out.append(Prim(f"dur_{name}", _dur(fn), f"(_dcmp({{0}}, {{1}}, _RULE) {symbol} 0)",
                        rule=True, doc="durations and lengths, exactly"))
        out.append(Prim(f"len_{name}", _len(fn), f"(_cmpl({{0}}, {{1}}, _RULE) {symbol} 0)",
                        rule=True, doc="a length and a fixed duration, anchored at the "
                        "length's start"))
    for signature in FUNCTIONS.values():
        assert signature.impl is not None, signature.name
        out.append(Prim(signature.name, signature.impl, rule=signature.takes_rule,
                        doc=signature.summary))
    return {p.name: p for p in out}


PRIMS: dict[str, Prim] = _table()


def field_value(value: Any, name: str) -> Any:
    """``record.name`` for a field of a record (the ``key`` access of a ``Field``)."""
    return value[name]
