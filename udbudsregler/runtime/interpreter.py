"""The reference interpreter: a plain walk over the checked AST.

It is the oracle the generated code is tested against, and the engine behind
tracing and explanations: it evaluates every named node through one memo,
reports each to a tracer, and knows which expression it is in when something
fails, so an evaluation error can name its place in the policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from udbudsregler.checker.check import CheckedPolicy, default_argument
from udbudsregler.diagnostics import EvaluationError
from udbudsregler.expr import ast as A
from udbudsregler.expr.source import SourceExpr
from udbudsregler.loader.validate import AllOf, CriteriaNode, CriterionEntry, NotOf
from udbudsregler.runtime.trace import TraceEvent, Tracer
from udbudsregler.semantics import ops
from udbudsregler.semantics.constants import literal_value, zero_of
from udbudsregler.semantics.library import IMPLEMENTATIONS, pairs, period_of
from udbudsregler.semantics.signatures import FUNCTIONS
from udbudsregler.semantics.types import (
    DECIMAL,
    ListType,
    RecordType,
    SetType,
)
from udbudsregler.values.temporal import MonthEnd, Period, SpanLength

__all__ = ["Interpreter"]

_UNSET: Any = object()


@dataclass
class Interpreter:
    """Evaluates one decision: a policy, the facts, and the decision date."""

    checked: CheckedPolicy
    facts: dict[str, Any]
    today: date
    month_end: MonthEnd
    tracer: Tracer | None = None
    memo: dict[str, Any] = field(default_factory=dict)
    #: The expression being evaluated, for locating errors.
    current: SourceExpr | None = None
    #: Values a named node's expression read from other named nodes, by node name.
    reads: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Criteria that could not be evaluated, with why (see :meth:`criteria`).
    failures: dict[str, EvaluationError] = field(default_factory=dict)

    # -- named nodes -----------------------------------------------------

    def value(self, name: str) -> Any:
        if name in self.memo:
            return self.memo[name]
        if name == "today":
            return self.today
        node = self.checked.graph.nodes[name]
        kind = node.kind
        inputs: dict[str, Any] = {}
        if kind == "fact":
            result = self.facts[name]
        elif kind == "parameter":
            result = self.parameter(name, self.today)
        elif kind == "rule":
            result = self.expression(self.checked.parsed.rules[name], inputs)
        elif kind == "criterion":
            result = self.expression(self.checked.parsed.criteria[name].when, inputs)
        elif kind == "target_group":
            group = self.checked.parsed.doc.target_groups[name]
            assert group.criteria is not None
            result = self.criteria(group.criteria, inputs)
        elif kind == "area":
            result = self.area(name, inputs)
        elif kind == "invariant":
            invariant = self.checked.parsed.doc.domain.invariants[name.split(".", 1)[1]]
            result = self.expression(
                self.checked.parsed.domain[(*invariant.path, "holds")].expr, inputs)
        else:  # pragma: no cover - every kind is handled above
            raise AssertionError(kind)
        self.memo[name] = result
        self.reads[name] = inputs
        if self.tracer is not None and self.tracer.enabled:
            self.tracer.event(TraceEvent(kind, name, tuple(inputs.items()), result))
        return result

    def parameter(self, name: str, on: date) -> Any:
        values = self.checked.parsed.parameters[name]
        chosen = None
        for dated in values:
            if dated.start is None or dated.start <= on:
                chosen = dated
        if chosen is None:
            raise EvaluationError(
                "UDB705", f"parameter `{name}` has no value on {on.isoformat()}; its first value "
                f"applies from {values[0].start}", values[0].expr.span(), name)
        value = self.expression(chosen.expr, {})
        if type(value) is int and self.checked.param_types.get(name) == DECIMAL:
            return Decimal(value)
        return value

    def area(self, name: str, inputs: dict[str, Any]) -> bool:
        """Like the generated code: any served group, and then the area's own condition."""
        doc = self.checked.parsed.doc
        area = doc.domain.areas[name.split(".", 1)[1]]
        in_group = False
        for group in area.spec.serves:
            if group in doc.target_groups:
                inputs[group] = bool(self.value(group))
                in_group = in_group or inputs[group]
        when = self.checked.parsed.domain.get((*area.path, "when"))
        if not in_group or when is None:
            return in_group
        return bool(self.expression(when.expr, inputs))

    def domain_value(self, path: tuple[str | int, ...]) -> Any:
        """The value of an expression of a tender section (a price, a span, a duration)."""
        return self.expression(self.checked.parsed.domain[path].expr, {})

    def criteria(self, node: CriteriaNode, inputs: dict[str, Any]) -> bool:
        """A target group's criteria, with three values as in the generated code (see
        ``codegen.kleene``): every criterion is evaluated, so the reasons are complete; one
        that fails is unknown (its failure kept in ``failures``), and the group fails only
        when no criterion settles it."""
        value, error = self._kleene(node, inputs)
        if value is None:
            assert error is not None
            raise error
        return value

    def _kleene(self, node: CriteriaNode,
                inputs: dict[str, Any]) -> tuple[bool | None, EvaluationError | None]:
        if isinstance(node, CriterionEntry):
            ident = node.spec.id
            try:
                result = bool(self.value(ident))
            except EvaluationError as error:
                self.failures[ident] = error
                inputs[ident] = None
                return None, error
            inputs[ident] = result
            return result, None
        if isinstance(node, NotOf):
            value, problem = self._kleene(node.item, inputs)
            return (None if value is None else not value), problem
        results = [self._kleene(item, inputs) for item in node.items]
        decisive = not isinstance(node, AllOf)
        if any(value is decisive for value, _ in results):
            return decisive, None
        errors = [problem for value, problem in results if value is None]
        if errors:
            return None, errors[0]
        return not decisive, None

    def expression(self, expr: SourceExpr, inputs: dict[str, Any]) -> Any:
        assert expr.ast is not None
        outer = self.current
        self.current = expr
        try:
            return self.eval(expr.ast, {}, inputs)
        except EvaluationError as error:
            if error.span is None:
                error.span = expr.span()
                error.node = error.node or "/".join(str(p) for p in expr.path)
            raise
        except ArithmeticError as error:
            raise EvaluationError("UDB705", f"arithmetic failed: {error}", expr.span()) from None
        finally:
            self.current = outer

    # -- expressions -----------------------------------------------------

    def eval(self, node: A.Expr, env: dict[str, Any], inputs: dict[str, Any]) -> Any:
        try:
            return self._eval(node, env, inputs)
        except EvaluationError as error:
            if error.span is None and self.current is not None:
                error.span = self.current.span(node.pos)
            raise

    def _eval(self, node: A.Expr, env: dict[str, Any], inputs: dict[str, Any]) -> Any:
        ev = self.eval
        match node:
            case (A.BoolLit() | A.NumberLit() | A.TextLit() | A.DateLit() | A.QuantityLit()
                  | A.MoneyLit()):
                return literal_value(node)
            case A.Name(id=ident):
                symbol = self.checked.symbol_of(node)
                assert symbol is not None, ident
                if symbol.kind == "var":
                    return env[ident]
                if symbol.kind == "member":
                    return ident
                result = self.value(ident)
                inputs[ident] = result
                return result
            case A.Member(obj=A.Name() as base, name=name) if self._is_named_record(base):
                # Record what was read as `assessment.cognitive_difficulties`, not the record.
                value = self.member(self.value(base.id), name, self._is_history(base))
                inputs[f"{base.id}.{name}"] = value
                return value
            case A.Member(obj=obj, name=name):
                return self.member(ev(obj, env, inputs), name, self._is_history(obj))
            case A.Call():
                return self.coerce(self.call(node, env, inputs), node)
            case A.Unary(op="not", operand=operand):
                return not ev(operand, env, inputs)
            case A.Unary(operand=operand):
                return ops.negate(ev(operand, env, inputs))
            case A.Binary(op="and", left=left, right=right):
                return ev(left, env, inputs) and ev(right, env, inputs)
            case A.Binary(op="or", left=left, right=right):
                return ev(left, env, inputs) or ev(right, env, inputs)
            case A.Binary(op="in" | "not in", left=left, right=right):
                a = ev(left, env, inputs)
                b = ev(right, env, inputs)
                found = ops.contains(b, a, self.month_end)
                return found if node.op == "in" else not found
            case A.Binary(op="==" | "!=" | "<" | "<=" | ">" | ">=", left=left, right=right):
                return ops.compare_values(node.op, ev(left, env, inputs),
                                          ev(right, env, inputs), self.month_end)
            case A.Binary(op=op, left=left, right=right):
                a = ev(left, env, inputs)
                b = ev(right, env, inputs)
                return _ARITHMETIC[op](a, b, self.month_end)
            case A.If(cond=cond, then=then, orelse=orelse):
                chosen = then if ev(cond, env, inputs) else orelse
                return self.coerce(ev(chosen, env, inputs), node)
            case A.ListLit(items=items):
                return [self.coerce_elem(ev(i, env, inputs), node) for i in items]
            case A.SetLit(items=items):
                return frozenset(self.coerce_elem(ev(i, env, inputs), node) for i in items)
            case A.Quantifier():
                return self.quantifier(node, env, inputs)
            case A.Aggregate():
                return self.coerce(self.aggregate(node, env, inputs), node)
        raise AssertionError(f"unhandled node {node!r}")  # pragma: no cover

    def _is_named_record(self, node: A.Name) -> bool:
        symbol = self.checked.symbol_of(node)
        return (symbol is not None and symbol.kind in ("fact", "rule", "parameter")
                and isinstance(symbol.type, RecordType))

    def coerce(self, value: Any, node: A.Expr) -> Any:
        """A whole number where a decimal is expected becomes a Decimal (see codegen)."""
        if type(value) is int and self.checked.type_of(node) == DECIMAL:
            return Decimal(value)
        return value

    def coerce_elem(self, value: Any, node: A.Expr) -> Any:
        t = self.checked.type_of(node)
        if type(value) is int and isinstance(t, (ListType, SetType)) and t.elem == DECIMAL:
            return Decimal(value)
        return value

    def _is_history(self, obj: A.Expr) -> bool:
        t = self.checked.type_of(obj)
        return isinstance(t, RecordType) and t.history

    def member(self, value: Any, name: str, history: bool) -> Any:
        """A field of a record or a bound of a period. Only a history record has the
        derived ``period`` and an open ``to``; another record may declare fields of
        those names."""
        if type(value) is Period:
            if name == "from":
                return value.start
            return value.end if value.end is not None else ops.OPEN_END
        if history and name == "period":
            return period_of(value)
        result = value[name]
        if history and name == "to" and result is None:
            return ops.OPEN_END
        return result

    def call(self, node: A.Call, env: dict[str, Any], inputs: dict[str, Any]) -> Any:
        signature = FUNCTIONS[node.func]
        implementation, takes_rule = IMPLEMENTATIONS[node.func]
        names = [p.name for p in signature.params]
        args: list[Any] = [_UNSET] * len(names)
        extra: list[Any] = []
        for i, arg in enumerate(node.args):
            if i < len(names):
                args[i] = self.eval(arg, env, inputs)
            else:
                extra.append(self.eval(arg, env, inputs))
        for keyword in node.kwargs:
            args[names.index(keyword.name)] = self.eval(keyword.value, env, inputs)
        for i, param in enumerate(signature.params):
            if args[i] is _UNSET:
                assert param.default is not None
                args[i] = self.eval(default_argument(param.default), env, inputs)
        if takes_rule:
            return implementation(*args, *extra, self.month_end)
        return implementation(*args, *extra)

    def quantifier(self, node: A.Quantifier, env: dict[str, Any], inputs: dict[str, Any]) -> Any:
        source = self.eval(node.source, env, inputs)
        kept = []
        for item in source:
            inner = {**env, node.var: item}
            passed = True if node.where is None else bool(self.eval(node.where, inner, inputs))
            if node.kind == "any" and passed:
                return True
            if node.kind == "all" and not passed:
                return False
            if passed:
                kept.append(item)
        if node.kind == "any":
            return False
        if node.kind == "all":
            return True
        if node.kind == "count":
            return len(kept)
        return kept

    def aggregate(self, node: A.Aggregate, env: dict[str, Any], inputs: dict[str, Any]) -> Any:
        source = self.eval(node.source, env, inputs)
        values: list[Any] = []
        keys: list[tuple[date, date]] = []
        for item in source:
            inner = {**env, node.var: item}
            if node.where is not None and not self.eval(node.where, inner, inputs):
                continue
            values.append(self.eval(node.value, inner, inputs))
            if node.kind == "latest":
                start, end = pairs(item)[0]
                keys.append((start, end if end is not None else ops.OPEN_END))
        if not values:
            if node.default is not None:
                return self.eval(node.default, env, inputs)
            return zero_of(self.checked.type_of(node), self.checked.currency)
        if node.kind == "sum":
            total = values[0]
            for v in values[1:]:
                total = ops.add(total, v, self.month_end)
            return total.to_duration() if type(total) is SpanLength else total
        if node.kind == "latest":
            best = 0
            for i in range(1, len(values)):
                if keys[i] >= keys[best]:
                    best = i
            return values[best]
        best_value = values[0]
        wanted = ">" if node.kind == "max" else "<"
        for v in values[1:]:
            if ops.compare_values(wanted, v, best_value, self.month_end):
                best_value = v
        return best_value


_ARITHMETIC: dict[str, Callable[[Any, Any, MonthEnd], Any]] = {
    "+": ops.add,
    "-": ops.subtract,
    "*": lambda a, b, rule: ops.multiply(a, b),
    "/": lambda a, b, rule: ops.divide(a, b),
}
