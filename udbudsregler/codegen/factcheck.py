"""The fast check of canonical facts, generated from a policy's fact specs.

The check accepts facts that are already in their canonical Python form
(``date``, ``Decimal``, :class:`Money`, ...) with straight type and limit tests,
and refuses everything else (which then goes the slow way, through the pydantic
model of :mod:`udbudsregler.runtime.facts`, which converts what can be converted
and names every mistake). It is written here, beside the rule code, because the
generated ``decide`` function (:mod:`udbudsregler.codegen.generate`) begins with
it: the facts it has checked are then read from locals, not looked up again.

Each test is the cheapest exact one in CPython 3.11: ``x is not True and x is not
False`` for a bool; a whole number is compared with the bounds of a one-digit int
first (a specialised comparison), and only a larger one with the input limit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from udbudsregler.codegen.compiled import compiled
from udbudsregler.ir.graph import FactBounds
from udbudsregler.loader.documents import FactSpec
from udbudsregler.values import fact_kinds
from udbudsregler.values.limits import (
    EARLIEST,
    LATEST,
    MAX_DURATION_YEARS,
    MAX_PLACES,
    NUMBER_LIMIT,
    valid_text,
)
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, Period

__all__ = ["FactCheck", "fact_check", "fast_check"]

#: The largest one-digit int of CPython (30-bit digits): comparisons of two of them are
#: specialised, so small numbers are tested against it before the input limit.
_SMALL = 2**30 - 1


@dataclass(frozen=True)
class FactCheck:
    """The lines of a check (indented for the body of a function whose facts are ``f``),
    the names they read, and the local that holds each top-level fact once checked."""

    lines: tuple[str, ...]
    namespace: dict[str, Any]
    bindings: dict[str, str]


def fact_check(specs: Mapping[str, FactSpec], currency: str,
               bounds: Mapping[str, FactBounds] | None = None, fail: str = "return False",
               prefix: str = "_fc") -> FactCheck:
    """The check of ``f`` against ``specs``: the lines run ``fail`` as soon as a fact is
    missing, extra, of another type, outside the input limits or outside its declared
    range (``bounds``, by dotted name)."""
    namespace: dict[str, Any] = {
        "date": date, "Decimal": Decimal, "Money": Money, "Duration": Duration,
        "Period": Period, f"{prefix}LO": EARLIEST, f"{prefix}HI": LATEST,
        f"{prefix}CUR": currency, f"{prefix}L": NUMBER_LIMIT, f"{prefix}NL": -NUMBER_LIMIT,
        f"{prefix}P": -MAX_PLACES - 1, f"{prefix}MM": 12 * MAX_DURATION_YEARS,
        f"{prefix}MD": 366 * MAX_DURATION_YEARS, f"{prefix}VT": valid_text}
    lo, hi, cur, big, nbig, places, mm, md, vt = (
        f"{prefix}{k}" for k in ("LO", "HI", "CUR", "L", "NL", "P", "MM", "MD", "VT"))
    # Direct subscripts in one `try`: a missing key (KeyError) or an unhashable value in
    # a choice test (TypeError) makes the facts go the slow way, like any other misfit.
    lines = [f"if type(f) is not dict or len(f) != {len(specs)}:", f"    {fail}", "try:",
             "    pass"]  # a policy may declare no facts (`facts: {}`)
    base = "    "
    counter = [0]
    bindings: dict[str, str] = {}

    def fresh(kind: str) -> str:
        counter[0] += 1
        return f"{prefix}{kind}{counter[0]}"

    def within(var: str, nonnegative: bool) -> str:
        """A whole number's bounds: a one-digit int first, then the input limit."""
        if nonnegative:
            return f"({var} >= 0 and {var} <= {_SMALL}) or 0 <= {var} < {big}"
        return f"({var} >= -{_SMALL} and {var} <= {_SMALL}) or {nbig} < {var} < {big}"

    def range_test(var: str, path: str, indent: str) -> None:
        found = (bounds or {}).get(path)
        if found is None:
            return
        for value, op in ((found.minimum, "<"), (found.maximum, ">")):
            if value is not None:
                name = fresh("B")
                namespace[name] = value
                lines.extend([f"{indent}if {var} {op} {name}:", f"{indent}    {fail}"])

    def value_test(var: str, spec: FactSpec, indent: str, path: str) -> None:
        kind = spec.kind
        no = f"{indent}    {fail}"
        # Numbers inside the input limits (values/limits.py): below 10^18 in size, and
        # a Decimal's leading digit at most MAX_PLACES places after the point.
        if kind.container:
            if kind.many:
                item = fresh("r")
                lines.extend([f"{indent}if type({var}) is not list:", no,
                              f"{indent}for {item} in {var}:"])
                record_test(item, spec, indent + "    ", path)
            else:
                record_test(var, spec, indent, path)
        elif kind.choice:
            name = fresh("E")
            namespace[name] = frozenset(spec.values or ())
            lines.extend([f"{indent}if {var} not in {name}:", no])
        elif kind is fact_kinds.BOOL:
            lines.extend([f"{indent}if {var} is not True and {var} is not False:", no])
        elif kind is fact_kinds.INT:
            lines.extend([f"{indent}if type({var}) is not int or not ({within(var, False)}):",
                          no])
        elif kind is fact_kinds.HOURS:  # most often whole hours
            lines.extend([
                f"{indent}if type({var}) is int:",
                f"{indent}    if not ({within(var, True)}):",
                f"{indent}        {fail}",
                f"{indent}elif not (type({var}) is Decimal and {var}.is_finite() and "
                f"{places} < {var}.adjusted() < 18 and {var} >= 0):", no])
        elif kind is fact_kinds.DECIMAL:  # most often a Decimal
            lines.extend([
                f"{indent}if type({var}) is Decimal:",
                f"{indent}    if not ({var}.is_finite() and {places} < {var}.adjusted() < 18):",
                f"{indent}        {fail}",
                f"{indent}elif type({var}) is not int or not ({within(var, False)}):", no])
        elif kind is fact_kinds.MONEY:
            lines.extend([f"{indent}if type({var}) is not Money or {var}.currency != {cur} or "
                          f"not ({var}.amount.is_finite() and {places} < "
                          f"{var}.amount.adjusted() < 18):", no])
        elif kind is fact_kinds.DATE:
            lines.extend([f"{indent}if type({var}) is not date or not {lo} <= {var} <= {hi}:",
                          no])
        elif kind is fact_kinds.TEXT:
            lines.extend([f"{indent}if type({var}) is not str or not ({var}.isascii() or "
                          f"{vt}({var})):", no])
        elif kind is fact_kinds.DURATION:
            lines.extend([f"{indent}if type({var}) is not Duration or abs({var}.months) > {mm} "
                          f"or abs({var}.days) > {md}:", no])
        elif kind is fact_kinds.PERIOD:
            lines.extend([f"{indent}if type({var}) is not Period or not {lo} <= {var}.start <= "
                          f"{hi} or ({var}.end is not None and {var}.end > {hi}):", no])
        else:
            raise ValueError(f"no fast check of a {kind.name} fact")
        if kind.ranged:
            range_test(var, path, indent)

    def record_test(var: str, spec: FactSpec, indent: str, path: str) -> None:
        fields = spec.fields or {}
        periodic = spec.kind.periodic  # a history record: `from` and `to` besides its fields
        size = len(fields) + (2 if periodic else 0)
        lines.extend([f"{indent}if type({var}) is not dict or len({var}) != {size}:",
                      f"{indent}    {fail}"])
        if periodic:
            start, end = fresh("a"), fresh("b")
            lines.extend([
                f"{indent}{start} = {var}['from']",
                f"{indent}if type({start}) is not date or not {lo} <= {start} <= {hi}:",
                f"{indent}    {fail}",
                f"{indent}{end} = {var}['to']",
            ])
            if spec.open_ended is not False:
                lines.append(f"{indent}if {end} is not None and (type({end}) is not date or "
                             f"not {start} <= {end} <= {hi}):")
            else:
                lines.append(f"{indent}if type({end}) is not date or not {start} <= {end} <= "
                             f"{hi}:")
            lines.append(f"{indent}    {fail}")
        for key, field_spec in fields.items():
            if field_spec.kind.choice and f"{path}.{key}" not in (bounds or {}):
                # no local needed
                name = fresh("E")
                namespace[name] = frozenset(field_spec.values or ())
                lines.extend([f"{indent}if {var}[{key!r}] not in {name}:", f"{indent}    {fail}"])
                continue
            var2 = fresh("v")
            lines.append(f"{indent}{var2} = {var}[{key!r}]")
            value_test(var2, field_spec, indent, f"{path}.{key}")

    for key, spec in specs.items():
        var = fresh("v")
        bindings[key] = var
        lines.append(f"{base}{var} = f[{key!r}]")
        value_test(var, spec, base, key)
    lines += ["except (KeyError, TypeError):", f"    {fail}"]
    return FactCheck(tuple(lines), namespace, bindings)


def fast_check(specs: Mapping[str, FactSpec], currency: str,
               bounds: Mapping[str, FactBounds] | None = None) -> Callable[[Any], bool]:
    """``check(facts) -> bool``: True only for facts already in canonical form."""
    check = fact_check(specs, currency, bounds)
    source = "def check(f):\n" + "".join(f"    {line}\n" for line in check.lines) + \
        "    return True\n"
    namespace = dict(check.namespace)
    exec(compiled(source, "<fact check>"), namespace)  # generated, no author text
    function: Callable[[Any], bool] = namespace["check"]
    return function
