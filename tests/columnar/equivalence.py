"""The reference for the columnar backend: per-record ``decide`` on every row."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from udbudsregler.columnar import TableDecisions
from udbudsregler.columnar.table import _python_value, _storable
from udbudsregler.diagnostics import EvaluationError, FactError
from udbudsregler.policy import Policy


def expected(policy: Policy, facts: dict[str, Any], on: date,
             order: Any = None) -> tuple[str, Any]:
    """("decision", the columns decide_table gives) or ("errors", sorted (path, code,
    message))."""
    try:
        d = policy.decide(facts, on, order=order)
    except FactError as error:
        return "errors", sorted((p.path, p.code, p.described) for p in error.problems)
    except EvaluationError as error:
        return "errors", [(error.path or "", error.code, error.message)]
    choice = d.package_choice
    return "decision", {
        "eligible": d.eligible, "target_groups": list(d.target_groups), "area": d.area,
        "supplier": d.supplier, "package": d.package,
        "package_status": choice.status if choice is not None else None,
        "failed": [r.id for r in d.reasons if r.kind == "criterion" and r.met is False]}


def assert_agree(policy: Policy, rows: list[dict[str, Any]], on: date | Sequence[date],
                 result: TableDecisions, orders: list[Any] | None = None,
                 values: tuple[str, ...] = ()) -> None:
    """Every row: the same decision as ``decide`` (on ``on``, or on its own date of a
    list of one per row), or the same problems (path, code and message)."""
    decided = {d["row"]: d for d in result.decisions.to_pylist()}
    errors: dict[int, list[tuple[str, str, str]]] = {}
    for e in result.errors.to_pylist():
        errors.setdefault(e["row"], []).append((e["path"], e["code"], e["message"]))
    assert result.rows == len(rows)
    for i, facts in enumerate(rows):
        day = on if isinstance(on, date) else on[i]
        kind, want = expected(policy, facts, day, orders[i] if orders else None)
        if kind == "errors":
            assert i not in decided, (i, facts, want)
            assert sorted(errors.get(i, [])) == want, (i, facts)
        else:
            # a decided row has errors only for a requested value that could not be given
            assert all(path in values for path, _, _ in errors.get(i, [])), (i, facts,
                                                                            errors[i])
            got = decided[i]
            assert {k: got[k] for k in want} == want, (i, facts)


def decide_columnar(policy: Policy, rows: list[dict[str, Any]], on: date,
                    values: Sequence[str] = ()) -> TableDecisions:
    """``decide_table`` of ``rows`` with the columns of ``values``, held to per-record
    ``decide`` (:func:`assert_agree`) and each value to the interpreter's as its column
    holds it (null where the decision did not need it and it fails, or where no column
    holds it exactly), with no per-record fallback of the policy (its warning is an error
    here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = policy.decide_table(rows, on, values=list(values))
    assert_agree(policy, rows, on, result, values=tuple(values))
    assert_values(policy, rows, on, result, values)
    return result


def assert_values(policy: Policy, rows: list[dict[str, Any]], on: date | Sequence[date],
                  result: TableDecisions, values: Sequence[str]) -> None:
    """Each decided row's ``values`` as the interpreter's (on ``on``, or on the row's own
    date of a list of one per row), as its column holds them (see
    :func:`decide_columnar`)."""
    got = {d["row"]: d for d in result.decisions.to_pylist()}
    errors = {(e["row"], e["path"], e["code"]) for e in result.errors.to_pylist()}
    for i, facts in enumerate(rows):
        if i not in got:
            continue
        day = on if isinstance(on, date) else on[i]
        interpreter = policy.interpreter(policy.facts.validate(facts), day)
        for name in values:
            try:
                want = interpreter.value(name)
            except EvaluationError:  # a value the decision did not need: null, and said
                want = None
            # as its column holds it: an amount's Decimal; null, and said (UDB705), for a
            # number no decimal128(38, 18) holds (a quotient rounded to 34 digits)
            want, problem = _storable(_python_value(want))
            assert got[i][name] == want, (i, name, facts)
            assert problem is None or (i, name, "UDB705") in errors, (i, name, facts)


def periods(on: date, first: int, last: int, longest: int
            ) -> st.SearchStrategy[dict[str, Any]]:
    """A period as a host gives it (``{"from": ..., "to": ...}``, ``to`` None when open):
    from ``first`` to ``last`` days after ``on``, at most ``longest`` days long."""
    day = timedelta(days=1)
    return st.integers(first, last).flatmap(lambda k: st.fixed_dictionaries({
        "from": st.just(on + k * day),
        "to": st.none() | st.integers(0, longest).map(lambda j: on + (k + j) * day)}))
