"""Properties of the generated code: it agrees with the reference interpreter on every rule
of every well-typed policy, and a policy that type-checks fails at run time only with an
:class:`EvaluationError`, never with a Python error.

Policies are generated from the typed expression strategies in ``typed_exprs``: several
rules of every type, each free to use the earlier ones, and one target group over the bool
rules. Values must agree in type as well as value (an ``int`` where a ``Decimal`` is meant
is a failure); errors must agree in their code.
"""

from __future__ import annotations

import decimal
import functools
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from typed_exprs import GeneratedPolicy, facts, policies

from udbudsregler.diagnostics import EvaluationError, PolicyError
from udbudsregler.policy import Policy, load_policy
from udbudsregler.runtime.reasons import interpreted_reasons
from udbudsregler.runtime.trace import RecordingTracer
from udbudsregler.values.temporal import SpanLength

Case = tuple[dict[str, Any], date]


def load(generated: GeneratedPolicy) -> Policy:
    """Load a generated policy; the generator promises it checks, and that every rule has
    the type it meant and reads back as the AST it printed."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "policy.yaml"
        path.write_text(generated.text, encoding="utf-8")
        try:
            policy = load_policy(path)
        except PolicyError as error:
            errors = "\n".join(d.render() for d in error.errors)
            raise AssertionError(f"a generated policy does not load:\n{errors}\n"
                                 f"{generated.describe()}") from None
    for name, (node, intended) in generated.rules.items():
        rule = policy.checked.nodes[name]
        assert rule.expr is not None and rule.expr.loc is not None
        assert rule.expr.loc.expr.ast == node, f"{name} does not read back"
        assert rule.type == intended, f"{name} has type {rule.type}, meant {intended}"
    return policy


def interpreted(policy: Policy, name: str, facts_: dict[str, Any], on: date) -> Any:
    """One node's value by the reference interpreter, with a memo of its own."""
    policy.check_date(on)
    return policy.interpreter(facts_, on).value(name)


@dataclass(frozen=True)
class Raised:
    """An evaluation that failed, by its error code."""

    code: str


def outcome(run: Callable[..., Any], *args: Any) -> Any:
    """``run(*args)``, or :class:`Raised` for an ``EvaluationError``. Any other exception
    escapes: a checked policy must never fail with a Python error."""
    try:
        return run(*args)
    except EvaluationError as error:
        return Raised(error.code)


def difference(a: Any, b: Any, where: str = "value") -> str | None:
    """Why ``a`` and ``b`` differ in value or Python type, or None if they are the same."""
    if type(a) is not type(b):
        return f"{where}: {a!r} ({type(a).__name__}) vs {b!r} ({type(b).__name__})"
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: lengths {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = difference(x, y, f"{where}[{i}]")
            if found:
                return found
        return None
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return f"{where}: keys {sorted(a)} vs {sorted(b)}"
        for key in a:
            found = difference(a[key], b[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(a, frozenset):
        if a != b or Counter(type(x).__name__ for x in a) != Counter(
                type(x).__name__ for x in b):
            return f"{where}: {sorted(map(repr, a))} vs {sorted(map(repr, b))}"
        return None
    if isinstance(a, decimal.Decimal):
        return None if a == b else f"{where}: {a} vs {b}"
    if isinstance(a, SpanLength):  # equal lengths compare equal; the anchor matters too
        return None if (a.start, a.end) == (b.start, b.end) else f"{where}: {a!r} vs {b!r}"
    if a != b:
        return f"{where}: {a!r} vs {b!r}"
    return None


#: A host decimal context unlike the default: results must not depend on the host's.
HOST_CONTEXT = decimal.Context(prec=6, rounding=decimal.ROUND_DOWN)


@dataclass(frozen=True)
class FellBack:
    """The generated code failed with a Python error (the code form of a primitive: a date
    shifted beyond the calendar); the runtime then asks the interpreter
    (``runtime/program.py``), which must raise the library's error."""

    error: str


def compiled_rule(policy: Policy, name: str, facts_: dict[str, Any], on: date) -> Any:
    """One rule's value by the generated code, with a memo of its own (as ``evaluate``
    gives the interpreter), under a host decimal context the interpreter does not see."""
    with decimal.localcontext(HOST_CONTEXT):
        try:
            return policy.code.rule_values(facts_, on, [name])[name]
        except (ArithmeticError, ValueError) as error:  # as the runtime catches them
            return FellBack(type(error).__name__)


def compare_case(policy: Policy, generated: GeneratedPolicy, case: Case) -> None:
    facts_, on = case
    canonical = policy.facts.validate(facts_)
    for name in generated.rules:
        expected = outcome(interpreted, policy, name, canonical, on)
        got = outcome(compiled_rule, policy, name, canonical, on)
        if isinstance(got, FellBack):  # the interpreter answers: it must raise
            assert isinstance(expected, Raised), (
                f"rule {name}: the generated code failed ({got.error}) where the interpreter "
                f"gives {expected!r}\n{generated.describe()}\nfacts={canonical}\non={on}")
            continue
        found = difference(expected, got)
        assert found is None, (
            f"rule {name}: interpreter vs generated code differ on {found}\n"
            f"{generated.describe()}\nfacts={canonical}\non={on}")
    expected = outcome(interpreted, policy, "g", canonical, on)
    got = outcome(lambda: "g" in policy.decide(canonical, on).target_groups)
    found = difference(expected, got)
    assert found is None, (
        f"target group g: interpreter vs decide differ on {found}\n{generated.describe()}\n"
        f"facts={canonical}\non={on}")


@settings(max_examples=200, deadline=None)
@given(generated=policies(), cases=st.lists(facts(), min_size=1, max_size=3))
def test_generated_code_agrees_with_interpreter(generated: GeneratedPolicy,
                                                cases: list[Case]) -> None:
    policy = load(generated)
    for case in cases:
        compare_case(policy, generated, case)


@settings(max_examples=150, deadline=None)
@given(generated=policies(), cases=st.lists(facts(), min_size=1, max_size=3))
def test_checked_policy_fails_only_with_evaluation_errors(generated: GeneratedPolicy,
                                                          cases: list[Case]) -> None:
    policy = load(generated)
    for facts_, on in cases:
        canonical = policy.facts.validate(facts_)
        # Every rule through one memo, as a decision runs them; the decision itself, by the
        # generated code and (with a tracer) by the interpreter; and its reasons.
        outcome(policy.code.rule_values, canonical, on)
        decision = outcome(policy.decide, canonical, on)
        traced = outcome(functools.partial(policy.decide, tracer=RecordingTracer()),
                         canonical, on)
        if isinstance(decision, Raised):
            assert traced == decision, f"untraced decision failed with {decision}, traced {traced}"
        else:
            assert not isinstance(traced, Raised), f"traced decision failed with {traced}"
            assert traced.target_groups == decision.target_groups
            reasons = outcome(policy.reasons_for, decision)
            assert not isinstance(reasons, Raised), f"the reasons failed with {reasons}"
            # the compiled reasons (recorders) are the interpreter's, value for value
            assert reasons == interpreted_reasons(policy, decision), generated.describe()
            for name in generated.rules:
                got, want = outcome(decision.value, name), outcome(interpreted, policy,
                                                                    name, canonical, on)
                assert difference(want, got) is None, f"Decision.value({name!r})"
        for name in generated.rules:
            outcome(policy.evaluate, name, canonical, on)
            outcome(interpreted, policy, name, canonical, on)


def test_a_date_shifted_beyond_the_calendar_is_the_librarys_error(tmp_path: Path) -> None:
    """The code form of a date shift fails with Python's error at the calendar's end (an
    open period's end plus two years); the decision is the interpreter's then: UDB701 at
    the expression's place, never a Python error."""
    (tmp_path / "policy.yaml").write_text("""\
policy: {id: t, title: T, authority: Tests, valid: {from: 1900-01-01, to: 2100-12-31},
         month_end: clamp}
facts:
  stay: period
parameters:
  window: 2 years
rules:
  until: stay.to + window
target_groups:
  g:
    title: G
    criteria:
      all:
        - {id: k, title: K, when: until > today}
""", encoding="utf-8")
    policy = load_policy(tmp_path)
    facts_ = policy.facts.validate({"stay": {"from": "2020-01-01", "to": None}})
    assert isinstance(compiled_rule(policy, "until", facts_, date(2024, 1, 1)), FellBack)
    try:
        policy.decide(facts_, date(2024, 1, 1))
    except EvaluationError as error:
        assert error.code == "UDB701" and "policy.yaml:8:10:" in str(error), str(error)
    else:
        raise AssertionError("no error for a date beyond the calendar")
