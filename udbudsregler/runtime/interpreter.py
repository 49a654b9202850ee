"""The reference interpreter: a plain walk over the lowered rule graph.

It is the oracle the generated code is tested against, and the engine behind
tracing and explanations: it evaluates every named node through one memo,
reports each to a tracer, records the values each node read, and knows where
it is when something fails, so an evaluation error names its place in the
policy. Every operation means what the semantic table
(:data:`udbudsregler.semantics.prims.PRIMS`) says; the loops, the
three-valued criteria and the choice of a first case are the structural forms
defined here and, identically, in the generated code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from udbudsregler.diagnostics import EvaluationError
from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import Node, RuleGraph
from udbudsregler.loader.sites import WHERE_KNOWN
from udbudsregler.runtime.trace import TraceEvent, Tracer
from udbudsregler.semantics import ops
from udbudsregler.semantics.library import pairs
from udbudsregler.semantics.ops import budget_error
from udbudsregler.semantics.prims import PRIMS
from udbudsregler.semantics.types import RecordType
from udbudsregler.values.temporal import MonthEnd, SpanLength

__all__ = ["DEFAULT_STEPS", "Interpreter", "place_error"]

#: The most list elements one decision may visit in its loops (each loop counts the
#: length of its list); above it the decision fails with UDB706 rather than run on.
DEFAULT_STEPS = 1_000_000
#: Nested evaluations of named nodes before the interpreter evaluates a node's
#: dependencies first, one at a time (so a long chain of rules needs no deep recursion).
_DEEP = 48


def place_error(name: str) -> EvaluationError:
    """A name that only its place gives a value (``$result``, ``$day``, ...), read where
    it has none: a value of a decision alone (``Decision.value``, ``Policy.evaluate``)
    that depends on it (UDB708)."""
    plain = name.lstrip("$")
    where = WHERE_KNOWN.get(plain, "in the place of the policy that gives it")
    return EvaluationError(
        "UDB708", f"`{plain}` has a value only {where}, not for a decision alone",
        hint=f"a settlement works out this value (`policy.settle`); to read it for a "
             f"decision, define a rule that does not depend on `{plain}`")


@dataclass
class _Failed:
    """A node whose evaluation failed, remembered so a second read fails alike."""

    error: EvaluationError


@dataclass
class Interpreter:
    """Evaluates one decision: a lowered rule graph, the facts, and the decision date."""

    graph: RuleGraph
    facts: dict[str, Any]
    today: date
    month_end: MonthEnd
    tracer: Tracer | None = None
    steps: int = DEFAULT_STEPS
    memo: dict[str, Any] = field(default_factory=dict)
    #: Values a named node's expression read from other named nodes, by node name.
    reads: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Criteria that could not be evaluated, with why (see :meth:`criteria`).
    failures: dict[str, EvaluationError] = field(default_factory=dict)
    #: The node being evaluated, for locating errors.
    current: Node | None = None
    depth: int = 0
    spent: int = 0

    # -- named nodes -----------------------------------------------------

    def value(self, name: str) -> Any:
        if name in self.memo:
            found = self.memo[name]
            if type(found) is _Failed:
                raise found.error
            return found
        if name == "today":
            return self.today
        if name in self.graph.facts or name.startswith("$"):
            # a fact, or a name its place adds (`$result`, `$day`, ...: loader.sites)
            try:
                result = self.facts[name]
            except KeyError:  # a name read outside its place (a fact is always there)
                raise place_error(name) from None
            self.memo[name] = result
            self._trace("fact", name, {}, result)
            return result
        node = self.graph.nodes[name]
        if self.depth > _DEEP:
            self._prewarm(node)
        inputs: dict[str, Any] = {}
        self.depth += 1
        try:
            if node.kind == "parameter":
                result = self.parameter(node, self.today)
            elif node.kind == "target_group":
                assert node.expr is not None
                result = self.criteria(node.expr, inputs)
            else:
                assert node.expr is not None
                result = self.expression(node, node.expr, inputs)
        finally:
            self.depth -= 1
        self.memo[name] = result
        self.reads[name] = inputs
        self._trace(node.kind, name, inputs, result)
        return result

    def _trace(self, kind: str, name: str, inputs: dict[str, Any], result: Any) -> None:
        if self.tracer is not None and self.tracer.enabled:
            self.tracer.event(TraceEvent(kind, name, tuple(inputs.items()), result))

    def _prewarm(self, node: Node) -> None:
        """Evaluate the named nodes ``node`` reads, deepest first, so that reading them
        needs no deeper recursion; a failure is remembered and raised when it is read."""
        needed = self.graph.closure(node.deps)
        for name in self.graph.nodes:
            if name in needed and name not in self.memo and name != node.name:
                saved, self.depth = self.depth, 0
                try:
                    self.value(name)
                except EvaluationError as error:
                    self.memo[name] = _Failed(error)
                finally:
                    self.depth = saved

    def parameter(self, node: Node, on: date) -> Any:
        chosen = None
        for dated in node.values:
            if dated.start is None or dated.start <= on:
                chosen = dated
        if chosen is None:
            first = node.values[0]
            raise EvaluationError(
                "UDB705", f"parameter `{node.name}` has no value on {on.isoformat()}; its "
                f"first value applies from {first.start}",
                first.expr.loc.expr.span() if first.expr.loc is not None else None, node.name)
        return self.expression(node, chosen.expr, {})

    def criteria(self, expr: I.Expr, inputs: dict[str, Any]) -> bool:
        """A target group's criteria, with three values as in the generated code: every
        criterion is evaluated, so the reasons are complete; one that fails is unknown (its
        failure kept in ``failures``), and the group fails only when no criterion settles
        it."""
        value, error = self._kleene(expr, inputs)
        if value is None:
            assert error is not None
            raise error
        return value

    def _kleene(self, expr: I.Expr,
                inputs: dict[str, Any]) -> tuple[bool | None, EvaluationError | None]:
        if isinstance(expr, I.NodeRef):
            try:
                result = bool(self.value(expr.name))
            except EvaluationError as error:
                self.failures[expr.name] = error
                inputs[expr.name] = None
                return None, error
            inputs[expr.name] = result
            return result, None
        assert isinstance(expr, I.Criteria)
        if expr.op == "not":
            value, problem = self._kleene(expr.items[0], inputs)
            return (None if value is None else not value), problem
        results = [self._kleene(item, inputs) for item in expr.items]
        decisive = expr.op == "any"
        if any(value is decisive for value, _ in results):
            return decisive, None
        errors = [problem for value, problem in results if value is None]
        if errors:
            return None, errors[0]
        return not decisive, None

    def expression(self, node: Node, expr: I.Expr, inputs: dict[str, Any]) -> Any:
        outer = self.current
        self.current = node
        try:
            return self.eval(expr, {}, inputs)
        except EvaluationError as error:
            if error.span is None:  # the expression's place, or the node's
                error.span = expr.loc.expr.span() if expr.loc is not None else node.span
            if error.node is None:
                path = expr.loc.expr.path if expr.loc is not None else node.path
                error.node = "/".join(str(p) for p in path)
            raise
        except ArithmeticError as error:
            span = expr.loc.expr.span() if expr.loc is not None else None
            raise EvaluationError("UDB705", f"arithmetic failed: {error}", span) from None
        finally:
            self.current = outer

    # -- expressions -----------------------------------------------------

    def eval(self, expr: I.Expr, env: dict[str, Any], inputs: dict[str, Any]) -> Any:
        try:
            return self._eval(expr, env, inputs)
        except EvaluationError as error:
            if error.span is None and expr.loc is not None:
                error.span = expr.loc.span
            raise

    def _eval(self, expr: I.Expr, env: dict[str, Any], inputs: dict[str, Any]) -> Any:
        ev = self.eval
        match expr:
            case I.Const(value=value):
                return value
            case I.Var(name=name):
                return env[name]
            case I.FactRef(name=name) | I.NodeRef(name=name):
                result = self.value(name)
                inputs[name] = result
                return result
            case I.Today():
                inputs["today"] = self.today
                return self.today
            case I.Field(obj=I.FactRef(name=base) | I.NodeRef(name=base) as obj,
                         name=name) if isinstance(obj.type, RecordType):
                # Record what was read as `assessment.cognitive_difficulties`, not the record.
                value = self.value(base)[name]
                inputs[f"{base}.{name}"] = value
                return value
            case I.Field(obj=obj, name=name):
                return ev(obj, env, inputs)[name]
            case I.Prim(prim=prim, args=args):
                entry = PRIMS[prim]
                values = [ev(a, env, inputs) for a in args]
                if entry.rule:
                    return entry.impl(*values, self.month_end)
                return entry.impl(*values)
            case I.Not(operand=operand):
                return not ev(operand, env, inputs)
            case I.And(left=left, right=right):
                return ev(left, env, inputs) and ev(right, env, inputs)
            case I.Or(left=left, right=right):
                return ev(left, env, inputs) or ev(right, env, inputs)
            case I.If(cond=cond, then=then, orelse=orelse):
                return ev(then if ev(cond, env, inputs) else orelse, env, inputs)
            case I.ListOf(items=items):
                return [ev(i, env, inputs) for i in items]
            case I.SetOf(items=items):
                return frozenset(ev(i, env, inputs) for i in items)
            case I.Loop():
                return self.loop(expr, env, inputs)
            case I.FirstOf(cases=cases):
                for condition, value in cases:
                    if ev(condition, env, inputs):
                        return ev(value, env, inputs)
                return None
            case I.Criteria():
                return self.criteria(expr, inputs)
        raise AssertionError(f"not a lowered expression: {expr!r}")  # pragma: no cover

    def _count(self, source: Any) -> None:
        self.spent += len(source)
        if self.spent > self.steps:
            raise budget_error(self.steps)

    def loop(self, expr: I.Loop, env: dict[str, Any], inputs: dict[str, Any]) -> Any:
        source = self.eval(expr.source, env, inputs)
        self._count(source)
        kind = expr.kind
        var = expr.var
        where = expr.where
        if kind in ("any", "all", "count", "select"):
            kept = []
            for item in source:
                inner = {**env, var: item}
                passed = True if where is None else bool(self.eval(where, inner, inputs))
                if kind == "any" and passed:
                    return True
                if kind == "all" and not passed:
                    return False
                if passed:
                    kept.append(item)
            if kind == "any":
                return False
            if kind == "all":
                return True
            if kind == "count":
                return len(kept)
            return kept
        assert expr.value is not None
        values: list[Any] = []
        keys: list[tuple[date, date]] = []
        for item in source:
            inner = {**env, var: item}
            if where is not None and not self.eval(where, inner, inputs):
                continue
            values.append(self.eval(expr.value, inner, inputs))
            if kind == "latest":
                start, end = pairs(item)[0]
                keys.append((start, end if end is not None else ops.OPEN_END))
        if not values:
            assert expr.default is not None
            return self.eval(expr.default, env, inputs)
        if kind == "sum":
            combine = PRIMS[expr.combine or "add"]
            total = values[0]
            for v in values[1:]:
                total = (combine.impl(total, v, self.month_end) if combine.rule
                         else combine.impl(total, v))
            return total.to_duration() if type(total) is SpanLength else total
        if kind == "latest":
            best = 0
            for i in range(1, len(values)):
                if keys[i] >= keys[best]:
                    best = i
            return values[best]
        better = PRIMS[expr.combine or ("gt" if kind == "max" else "lt")]
        best_value = values[0]
        for v in values[1:]:
            if (better.impl(v, best_value, self.month_end) if better.rule
                    else better.impl(v, best_value)):
                best_value = v
        return best_value
