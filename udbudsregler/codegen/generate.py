"""Stage ``codegen``: compile the checked rule graph to Python functions.

The source is generated from the checked AST, never from author text: every
identifier in it is made here, and every literal is a constant bound in the
module's namespace, so no text of the policy is ever executed. Each named
node (rule, criterion, target group) becomes a function that evaluates its
expression at most once per decision (a memo slot in the list ``m``);
``and``/``or`` short-circuit; each quantifier becomes a plain loop in a helper
function. Operations whose meaning depends on the types (dates plus months,
durations, money, decimals) call the same helpers as the reference
interpreter; the rest are Python operators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from udbudsregler.checker.check import CheckedPolicy, default_argument
from udbudsregler.codegen.plan import FAILURES, dated_rules, hot_references, kleene
from udbudsregler.diagnostics import EvaluationError
from udbudsregler.expr import ast as A
from udbudsregler.expr.printer import to_text
from udbudsregler.loader.validate import AllOf, CriteriaNode, CriterionEntry, NotOf
from udbudsregler.semantics import library as F
from udbudsregler.semantics import ops
from udbudsregler.semantics.constants import literal_value, zero_of
from udbudsregler.semantics.signatures import FUNCTIONS
from udbudsregler.semantics.types import (
    DATE,
    DECIMAL,
    INT,
    PERIOD,
    DurationType,
    ListType,
    RecordType,
    SetType,
    Type,
)
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import (
    Duration,
    MonthEnd,
    Period,
    SpanLength,
    add_months,
    compare_length,
)

__all__ = ["GeneratedCode", "generate"]

UNSET: Any = type("Unset", (), {"__repr__": lambda self: "UNSET"})()


@dataclass(frozen=True)
class GeneratedCode:
    source: str
    #: ``evaluate(facts, today) -> tuple`` of the outputs' values, in the order of ``outputs``:
    #: the target groups' memberships, then whether each service area fits.
    evaluate: Callable[[dict[str, Any], date], tuple[bool, ...]]
    #: The names of the outputs, in the order ``evaluate`` returns them.
    outputs: tuple[str, ...]
    #: The generated function of every rule, by name: ``function(facts, memo) -> value``.
    rules: Mapping[str, Callable[[dict[str, Any], list[Any]], Any]] = field(
        default_factory=dict)
    #: The length of a decision's memo list (slot 0 holds the decision date).
    memo_size: int = 1

    def rule_values(self, facts: dict[str, Any], today: date,
                    names: Iterable[str] | None = None) -> dict[str, Any]:
        """The values of the rules (all, or ``names``) by the generated code, sharing one
        memo as a decision does; ``facts`` must be canonical (``FactSchema.validate``).
        Lets tests hold the generated code to the interpreter rule by rule."""
        memo: list[Any] = [UNSET] * self.memo_size
        memo[0] = today
        return {name: self.rules[name](facts, memo)
                for name in (self.rules if names is None else names)}


class _Gen:
    def __init__(self, checked: CheckedPolicy, month_end: MonthEnd) -> None:
        self.checked = checked
        self.month_end = month_end
        self.namespace: dict[str, Any] = {
            "UNSET": UNSET, "_RULE": month_end, "_OPEN": ops.OPEN_END,
            "_add": ops.add, "_sub": ops.subtract, "_mul": ops.multiply, "_div": ops.divide,
            "_neg": ops.negate, "_cmp": ops.compare_values, "_dcmp": ops.duration_compare,
            "_period_of": F.period_of, "_pairs": F.pairs, "_Period": Period,
            "_SpanLength": SpanLength, "_Duration": Duration, "_Money": Money,
            "_EvaluationError": EvaluationError, "_dec": ops.to_decimal,
            "_contains": ops.contains, "_FAIL": FAILURES, "_kleene": kleene,
            "_addm": add_months, "_cmpl": compare_length,
            "_ovr": F.overlaps_record, "_covr": F.covers_records,
        }
        self.refs = hot_references(checked)
        self.dated = dated_rules(checked)
        #: AST nodes evaluated once above a quantifier's loop: id(node) -> local name.
        self.hoisted: dict[int, str] = {}
        self.constants: dict[tuple[str, Any], str] = {}
        self.blocks: list[str] = []
        self.slots: dict[str, int] = {"today": 0}
        self.counter = 0
        self.current_names: set[str] = set()

    # -- names -----------------------------------------------------------

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def constant(self, value: Any) -> str:
        # Keyed by text, not equality: `2.0` and `2.00`, `{1}` and `{true}`, `{1, 2}` and
        # `{1.0, 2}` are equal but distinct constants.
        key = (type(value).__name__, repr(value))
        found = self.constants.get(key)
        if found is not None:
            return found
        name = self.fresh("_k")
        self.namespace[name] = value
        self.constants[key] = name
        return name

    def slot(self, name: str) -> int:
        if name not in self.slots:
            self.slots[name] = len(self.slots)
        return self.slots[name]

    def node_function(self, name: str) -> str:
        return f"_n{self.slot(name)}"

    # -- named nodes -----------------------------------------------------

    def named(self, name: str, body: str, doc: str, *, guarded: str | None = None) -> None:
        """The memo function of a named node: evaluated at most once per decision.

        A node that depends on the decision date alone (not on the citizen) is also
        cached per date, across decisions. ``guarded`` is a fallback expression used
        when ``body`` fails (a target group's criteria, see :func:`kleene`).
        """
        slot = self.slot(name)
        if guarded is not None:
            compute = (f"        try:\n"
                       f"            v = {body}\n"
                       f"        except _FAIL:\n"
                       f"            v = {guarded}\n")
        else:
            compute = f"        v = {body}\n"
        if name in self.dated:
            cache = self.fresh("_c")
            self.namespace[cache] = {}
            compute = (f"        v = {cache}.get(m[0], UNSET)\n"
                       f"        if v is UNSET:\n"
                       + "".join("    " + line + "\n" for line in compute.splitlines()) +
                       f"            if len({cache}) < 4096:\n"
                       f"                {cache}[m[0]] = v\n")
        self.blocks.append(
            f"def _n{slot}(f, m):\n"
            f"    # {doc}\n"
            f"    v = m[{slot}]\n"
            f"    if v is UNSET:\n"
            f"{compute}"
            f"        m[{slot}] = v\n"
            f"    return v\n")

    def reference(self, name: str) -> str:
        """The code that gives a named node's value on the hot path: its expression,
        inlined, when it is used once; else a call of its memo function."""
        if self.refs.get(name, 0) == 1 and name not in self.dated:
            inline = self.inline_body(name)
            if inline is not None:
                return f"({inline})"
        return f"{self.node_function(name)}(f, m)"

    def inline_body(self, name: str) -> str | None:
        kind = self.checked.graph.nodes[name].kind
        parsed = self.checked.parsed
        if kind == "rule":
            ast = parsed.rules[name].ast
        elif kind == "criterion":
            ast = parsed.criteria[name].when.ast
        elif kind == "area":
            return self.area(name)
        else:
            return None
        return self.x(ast, {}) if ast is not None else None

    def parameter_value(self, name: str) -> str:
        values = self.checked.parsed.parameters[name]
        decimal = self.checked.param_types.get(name) == DECIMAL
        if len(values) == 1 and values[0].start is None:
            return self.fold(values[0].expr.ast, decimal)
        fn = self.fresh("_p")
        lines = [f"def {fn}(today):", f"    # parameter {name}"]
        for dated in reversed(values):
            value = self.fold(dated.expr.ast, decimal)
            if dated.start is None:
                lines.append(f"    return {value}")
                break
            lines.append(f"    if today >= {self.constant(dated.start)}:")
            lines.append(f"        return {value}")
        else:
            message = self.constant(
                f"parameter `{name}` has no value before {values[0].start}")
            lines.append(f"    raise _EvaluationError('UDB705', {message})")
        self.blocks.append("\n".join(lines) + "\n")
        return f"{fn}(m[0])"

    def fold(self, node: A.Expr | None, decimal: bool) -> str:
        """A constant parameter value (checked to be a literal, a list or set of literals)."""
        assert node is not None
        value = _constant_value(node)
        # As the interpreter: a whole number becomes a Decimal where the parameter is a
        # decimal, and in a list or set literal of decimals.
        if decimal or _elem(self.type_of(node)) == DECIMAL:
            value = _decimals(value)
        if isinstance(value, list):
            return f"list({self.constant(tuple(value))})"
        return self.constant(value)

    def area(self, name: str) -> str:
        """A service area fits: the citizen is in a group it serves, and its condition holds."""
        doc = self.checked.parsed.doc
        area = doc.domain.areas[name.split(".", 1)[1]]
        groups = [g for g in area.spec.serves if g in doc.target_groups]
        body = "(" + (" or ".join(self.reference(g) for g in groups) or "False")
        body += ")"
        when = self.checked.parsed.domain.get((*area.path, "when"))
        if when is not None and when.expr.ast is not None:
            body = f"({body} and {self.x(when.expr.ast, {})})"
        return body

    def criteria(self, node: CriteriaNode) -> str:
        """The fast path of a criteria tree: `and`/`or` that stop at the first criterion
        that decides, cheapest first (the order is free: see :func:`kleene`)."""
        if isinstance(node, CriterionEntry):
            return self.reference(node.spec.id)
        if isinstance(node, NotOf):
            return f"(not {self.criteria(node.item)})"
        joiner = " and " if isinstance(node, AllOf) else " or "
        items = sorted(node.items, key=self.cost)
        return "(" + joiner.join(self.criteria(i) for i in items) + ")"

    def criteria_tree(self, node: CriteriaNode) -> str:
        """The tree :func:`kleene` walks when the fast path fails."""
        if isinstance(node, CriterionEntry):
            return f"('c', {self.node_function(node.spec.id)})"
        if isinstance(node, NotOf):
            return f"('not', {self.criteria_tree(node.item)})"
        kind = "all" if isinstance(node, AllOf) else "any"
        return f"('{kind}', (" + "".join(self.criteria_tree(i) + ", " for i in node.items) + "))"

    def cost(self, node: CriteriaNode) -> int:
        """A rough cost: the calls and loops in the criteria and the rules they read."""
        if isinstance(node, CriterionEntry):
            graph = self.checked.graph
            total = 0
            for name in graph.closure([node.spec.id]):
                kind = graph.nodes[name].kind
                if kind == "criterion":
                    ast = self.checked.parsed.criteria[name].when.ast
                elif kind == "rule":
                    ast = self.checked.parsed.rules[name].ast
                else:
                    continue
                if ast is not None:
                    total += sum(1 + 9 * isinstance(n, (A.Quantifier, A.Aggregate))
                                 for n in A.walk(ast)
                                 if isinstance(n, (A.Call, A.Quantifier, A.Aggregate)))
            return total
        if isinstance(node, NotOf):
            return self.cost(node.item)
        return sum(self.cost(i) for i in node.items)

    # -- expressions -----------------------------------------------------

    def type_of(self, node: A.Expr) -> Type:
        return self.checked.type_of(node)

    def x(self, node: A.Expr, scope: dict[str, str]) -> str:
        hoisted = self.hoisted.get(id(node))
        if hoisted is not None:
            return hoisted
        match node:
            case (A.BoolLit() | A.NumberLit() | A.TextLit() | A.DateLit() | A.QuantityLit()
                  | A.MoneyLit()):
                value = literal_value(node)
                if isinstance(value, (bool, int)):
                    return repr(value)
                return self.constant(value)
            case A.Name(id=ident):
                return self.name(node, ident, scope)
            case A.Member(obj=obj, name=name):
                return self.member(obj, name, scope)
            case A.Call():
                call = self.call(node, scope)
                return f"_dec({call})" if self.type_of(node) == DECIMAL else call
            case A.Unary(op="not", operand=operand):
                return f"(not {self.x(operand, scope)})"
            case A.Unary(operand=operand):
                if self.type_of(operand) == INT:
                    return f"(-{self.x(operand, scope)})"
                return f"_neg({self.x(operand, scope)})"
            case A.Binary(op="and" | "or", left=left, right=right):
                return f"({self.x(left, scope)} {node.op} {self.x(right, scope)})"
            case A.Binary(op="in" | "not in", left=left, right=right):
                return self.membership(node, left, right, scope)
            case A.Binary(op="==" | "!=" | "<" | "<=" | ">" | ">=", left=left, right=right):
                a, b = self.x(left, scope), self.x(right, scope)
                if isinstance(self.type_of(left), DurationType):
                    if (self.type_of(left) == DurationType("span")
                            and self.constant_duration(right) is not None):
                        return f"(_cmpl({a}, {b}, _RULE) {node.op} 0)"
                    return f"(_dcmp({a}, {b}, _RULE) {node.op} 0)"
                return f"({a} {node.op} {b})"
            case A.Binary(op="+" | "-", left=left, right=right) if (
                    self.type_of(left) == DATE
                    and (duration := self.constant_duration(right)) is not None):
                # `left` is generated once: a second time would write its loops' helper
                # functions twice
                a = self.x(left, scope)
                shift = self.date_shift(a, node.op, duration)
                if shift is not None:
                    return shift
                return f"_{'add' if node.op == '+' else 'sub'}({a}, {self.x(right, scope)}, _RULE)"
            case A.Binary(op=op, left=left, right=right):
                a, b = self.x(left, scope), self.x(right, scope)
                if op in "+-*" and self.type_of(left) == INT and self.type_of(right) == INT:
                    return f"({a} {op} {b})"
                if op == "+":
                    return f"_add({a}, {b}, _RULE)"
                if op == "-":
                    return f"_sub({a}, {b}, _RULE)"
                return f"_mul({a}, {b})" if op == "*" else f"_div({a}, {b})"
            case A.If(cond=cond, then=then, orelse=orelse):
                t = self.type_of(node)
                return (f"({self.coerced(then, t, scope)} if {self.x(cond, scope)} "
                        f"else {self.coerced(orelse, t, scope)})")
            case A.ListLit(items=items):
                elem = _elem(self.type_of(node))
                return "[" + ", ".join(self.coerced(i, elem, scope) for i in items) + "]"
            case A.SetLit(items=items):
                constant = _try_constant(node, self.checked)
                elem = _elem(self.type_of(node))
                if constant is not UNSET:
                    return self.constant(_decimals(constant) if elem == DECIMAL else constant)
                return ("frozenset((" + "".join(self.coerced(i, elem, scope) + ", " for i in items)
                        + "))")
            case A.Quantifier():
                return self.quantifier(node, scope)
            case A.Aggregate():
                return self.aggregate(node, scope)
        raise AssertionError(f"unhandled node {node!r}")  # pragma: no cover

    def constant_duration(self, node: A.Expr) -> Duration | None:
        """The value of a duration literal, or of an undated parameter holding one."""
        if isinstance(node, A.QuantityLit) and node.unit != "hours":
            value = literal_value(node)
            return value if isinstance(value, Duration) else None
        if isinstance(node, A.Name):
            symbol = self.checked.symbol_of(node)
            if symbol is not None and symbol.kind == "parameter":
                values = self.checked.parsed.parameters[node.id]
                if len(values) == 1 and values[0].start is None:
                    ast = values[0].expr.ast
                    if ast is not None:
                        return self.constant_duration(ast)
        return None

    def date_shift(self, day: str, op: str, duration: Duration) -> str | None:
        """A date plus or minus a fixed duration: months through the month-end rule, days
        as a timedelta (an overflow is an ArithmeticError, caught like any failure)."""
        sign = 1 if op == "+" else -1
        if duration.months and not duration.days:
            return f"_addm({day}, {sign * duration.months}, _RULE)"
        if duration.days and not duration.months:
            delta = self.constant(timedelta(days=sign * duration.days))
            return f"({day} + {delta})"
        return None

    def coerced(self, node: A.Expr, target: Type, scope: dict[str, str]) -> str:
        """``node`` as a value of ``target``: a whole number where a decimal is expected
        becomes a Decimal, so both evaluators give values of one Python type."""
        text = self.x(node, scope)
        if target == DECIMAL and self.type_of(node) == INT:
            return f"_dec({text})"
        return text

    def name(self, node: A.Name, ident: str, scope: dict[str, str]) -> str:
        symbol = self.checked.symbol_of(node)
        assert symbol is not None, ident
        if symbol.kind == "var":
            return scope[ident]
        if symbol.kind == "member":
            return repr(ident)
        if symbol.kind == "today":
            return "m[0]"
        if symbol.kind == "fact":
            return f"f[{ident!r}]"
        if symbol.kind == "parameter":
            return self.parameter_value(ident)
        return self.reference(ident)

    def member(self, obj: A.Expr, name: str, scope: dict[str, str]) -> str:
        target = self.x(obj, scope)
        t = self.type_of(obj)
        if t == PERIOD:
            return f"{target}.start" if name == "from" else f"({target}.end or _OPEN)"
        assert isinstance(t, RecordType)
        if name == "period" and t.history:
            return f"_period_of({target})"
        if name == "to" and t.history:
            return f"({target}['to'] or _OPEN)"
        return f"{target}[{name!r}]"

    def membership(self, node: A.Binary, left: A.Expr, right: A.Expr,
                   scope: dict[str, str]) -> str:
        a = self.x(left, scope)
        negate = "not " if node.op == "not in" else ""
        if self.type_of(right) == PERIOD:
            return f"({negate}{self.x(right, scope)}.contains({a}))"
        if isinstance(self.type_of(left), DurationType):  # a length among durations
            return f"({negate}_contains({self.x(right, scope)}, {a}, _RULE))"
        if isinstance(right, A.ListLit):
            constant = _try_constant(A.SetLit(right.items), self.checked)
            if constant is not UNSET:
                return f"({a} {node.op} {self.constant(constant)})"
        return f"({a} {node.op} {self.x(right, scope)})"

    def call(self, node: A.Call, scope: dict[str, str]) -> str:
        signature = FUNCTIONS[node.func]
        names = [p.name for p in signature.params]
        args: list[str | None] = [None] * len(names)
        extra: list[str] = []
        for i, arg in enumerate(node.args):
            if i < len(names):
                args[i] = self.x(arg, scope)
            else:
                extra.append(self.x(arg, scope))
        for keyword in node.kwargs:
            args[names.index(keyword.name)] = self.x(keyword.value, scope)
        for i, param in enumerate(signature.params):
            if args[i] is None:
                assert param.default is not None
                args[i] = self.x(default_argument(param.default), scope)
        first = node.args[0] if node.args else None
        first_type = self.type_of(first) if first is not None else None
        if node.func == "overlaps" and isinstance(first_type, RecordType) and first_type.history:
            return f"_ovr({args[0]}, {args[1]})"
        if (node.func == "covers" and isinstance(first_type, ListType)
                and isinstance(first_type.elem, RecordType) and first_type.elem.history):
            return f"_covr({args[0]}, {args[1]})"
        _, takes_rule = F.IMPLEMENTATIONS[node.func]
        name = f"_f_{node.func}"
        self.namespace[name] = F.IMPLEMENTATIONS[node.func][0]
        parts = [a for a in args if a is not None] + extra + (["_RULE"] if takes_rule else [])
        return f"{name}({', '.join(parts)})"

    # -- quantifiers -----------------------------------------------------

    def helper(self, node: A.Quantifier | A.Aggregate, scope: dict[str, str],
               body: Callable[[str, dict[str, str]], list[str]]) -> str:
        """A function with the quantifier's loop. What the loop body computes without the
        loop variable (a window, a rule, a parameter) is computed once: on first use, so
        exactly what the interpreter would evaluate is evaluated (a part the loop never
        reaches is never computed, and cannot fail)."""
        fn = self.fresh("_q")
        var = self.fresh("v")
        outer = sorted(set(scope.values()))
        inner = {**scope, node.var: var}
        params = ", ".join(["f", "m", "src", *outer])
        lines = [f"def {fn}({params}):", f"    # {_short(to_text(node))}"]
        # The locals an enclosing loop computed once are not visible in this function.
        enclosing, self.hoisted = self.hoisted, {}
        hoists = self.hoistable(node)
        for sub in hoists:
            local = self.fresh("h")
            code = self.x(sub, scope)
            lines.append(f"    {local} = UNSET")
            self.hoisted[id(sub)] = f"({local} if {local} is not UNSET else ({local} := {code}))"
        lines += ["    " + line for line in body(var, inner)]
        self.hoisted = enclosing
        self.blocks.append("\n".join(lines) + "\n")
        args = ", ".join(["f", "m", self.x(node.source, scope), *outer])
        return f"{fn}({args})"

    def hoistable(self, node: A.Quantifier | A.Aggregate) -> list[A.Expr]:
        """The largest parts of the loop body that do not read the loop variable and are
        worth computing once: calls, loops, rules and dated parameters."""
        parts: list[A.Expr] = []
        if isinstance(node, A.Aggregate):
            parts.append(node.value)
        if node.where is not None:
            parts.append(node.where)
        found: list[A.Expr] = []

        def worth(n: A.Expr) -> bool:
            for sub in A.walk(n):
                if isinstance(sub, (A.Call, A.Quantifier, A.Aggregate)):
                    return True
                if isinstance(sub, A.Name):
                    symbol = self.checked.symbol_of(sub)
                    if symbol is not None and symbol.kind in ("rule", "target_group"):
                        return True
            return False

        def visit(n: A.Expr) -> None:
            if isinstance(n, A.Keyword):  # `gap=...`: the value may move, not the keyword
                visit(n.value)
                return
            if node.var not in {x.id for x in A.free_names(n)} and worth(n):
                found.append(n)
                return
            if isinstance(n, (A.Quantifier, A.Aggregate)):
                # a nested loop's body reads its own variable: only its source (and its
                # default) can move above this loop
                visit(n.source)
                if isinstance(n, A.Aggregate) and n.default is not None:
                    visit(n.default)
                return
            for child in A.children(n):
                visit(child)

        for part in parts:
            visit(part)
        return found

    def quantifier(self, node: A.Quantifier, scope: dict[str, str]) -> str:
        def body(var: str, inner: dict[str, str]) -> list[str]:
            test = self.x(node.where, inner) if node.where is not None else "True"
            if node.kind == "any":
                return [f"for {var} in src:", f"    if {test}:", "        return True",
                        "return False"]
            if node.kind == "all":
                return [f"for {var} in src:", f"    if not {test}:", "        return False",
                        "return True"]
            if node.kind == "count":
                if node.where is None:
                    return ["return len(src)"]
                return ["n = 0", f"for {var} in src:", f"    if {test}:", "        n += 1",
                        "return n"]
            return [f"return [{var} for {var} in src if {test}]"]

        return self.helper(node, scope, body)

    def aggregate(self, node: A.Aggregate, scope: dict[str, str]) -> str:
        result_type = self.type_of(node)

        def default_code() -> str | None:
            # generated inside the helper, where the enclosing loop's locals are not visible
            return (self.coerced(node.default, result_type, scope)
                    if node.default is not None else None)

        def body(var: str, inner: dict[str, str]) -> list[str]:
            default = default_code()
            # A sum adds the values as they are, as the interpreter does: the first value
            # starts the total (adding it to zero would round a long decimal), and a whole
            # number becomes a Decimal only at the end.
            value = (self.x(node.value, inner) if node.kind == "sum"
                     else self.coerced(node.value, result_type, inner))
            loop = [f"for {var} in src:"]
            if node.where is not None:
                loop += [f"    if not {self.x(node.where, inner)}:", "        continue"]
            loop.append(f"    x = {value}")
            if node.kind == "sum":
                plus = "acc + x" if result_type == INT else "_add(acc, x, _RULE)"
                empty = (default if default is not None
                         else self.constant(zero_of(result_type, self.checked.currency)))
                total = "acc"
                if result_type == DECIMAL:
                    total = "_dec(acc)"
                elif isinstance(result_type, DurationType):
                    total = "(acc.to_duration() if type(acc) is _SpanLength else acc)"
                return ["acc = UNSET", *loop, f"    acc = x if acc is UNSET else {plus}",
                        f"return {empty} if acc is UNSET else {total}"]
            if node.kind == "latest":
                update = ["    k = _pairs(" + var + ")[0]", "    k = (k[0], k[1] or _OPEN)",
                          "    if best is UNSET or k >= key:", "        best, key = x, k"]
                head = ["best = UNSET", "key = None"]
            else:
                test = self.better("x", "best", node.kind == "max", result_type)
                update = [f"    if best is UNSET or {test}:", "        best = x"]
                head = ["best = UNSET"]
            return [*head, *loop, *update, f"return {default} if best is UNSET else best"]

        return self.helper(node, scope, body)

    def better(self, a: str, b: str, larger: bool, t: Type) -> str:
        op = ">" if larger else "<"
        if isinstance(t, DurationType):
            return f"_dcmp({a}, {b}, _RULE) {op} 0"
        return f"{a} {op} {b}"

    # -- the module ------------------------------------------------------

    def module(self) -> GeneratedCode:
        parsed = self.checked.parsed
        doc = parsed.doc
        graph = self.checked.graph
        for name in graph.order:
            node = graph.nodes[name]
            if node.kind == "rule":
                expr = parsed.rules[name]
                assert expr.ast is not None
                self.named(name, self.x(expr.ast, {}), f"rule {name}")
            elif node.kind == "criterion":
                when = parsed.criteria[name].when
                assert when.ast is not None
                self.named(name, self.x(when.ast, {}), f"criterion {name}")
            elif node.kind == "target_group":
                criteria = doc.target_groups[name].criteria
                assert criteria is not None
                self.named(name, self.criteria(criteria), f"target group {name}",
                           guarded=f"_kleene(f, m, {self.criteria_tree(criteria)})")
            elif node.kind == "area":
                self.named(name, self.area(name), name)
        outputs = (*doc.target_groups,
                   *(f"service_areas.{a}" for a in doc.domain.areas))
        calls = "".join(f"{self.reference(o)}, " for o in outputs)
        size = len(self.slots)
        self.blocks.append(
            "def evaluate(f, today):\n"
            f"    m = [UNSET] * {size}\n"
            "    m[0] = today\n"
            f"    return ({calls})\n")
        source = "\n".join(self.blocks)
        code = compile(source, f"<policy {doc.header.id if doc.header else '?'}>", "exec")
        exec(code, self.namespace)  # generated from the checked AST, never author text
        rules = {name: self.namespace[self.node_function(name)] for name in graph.order
                 if graph.nodes[name].kind == "rule"}
        return GeneratedCode(source, self.namespace["evaluate"], outputs, rules, size)


def _elem(t: Type) -> Type:
    return t.elem if isinstance(t, (ListType, SetType)) else t


def _short(text: str) -> str:
    text = text.replace("\n", " ")
    return text if len(text) < 90 else text[:87] + "..."


def _constant_value(node: A.Expr) -> Any:
    match node:
        case A.Unary(op="-", operand=operand):
            return ops.negate(_constant_value(operand))
        case A.ListLit(items=items):
            return [_constant_value(i) for i in items]
        case A.SetLit(items=items):
            return frozenset(_constant_value(i) for i in items)
    return literal_value(node)


def _decimals(value: Any) -> Any:
    """A folded constant with its whole numbers made Decimals, as the interpreter makes the
    elements of a decimal, or of a list or set of decimals."""
    if type(value) is int:
        return Decimal(value)
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    if isinstance(value, frozenset):
        return frozenset(_decimals(v) for v in value)
    return value


def _try_constant(node: A.SetLit, checked: CheckedPolicy) -> Any:
    """A set of literals and choice values, folded to a frozenset; else UNSET."""
    values = []
    for item in node.items:
        if isinstance(item, A.Name):
            symbol = checked.symbol_of(item)
            if symbol is None or symbol.kind != "member":
                return UNSET
            values.append(item.id)
        elif isinstance(item, (A.TextLit, A.NumberLit, A.DateLit, A.BoolLit)):
            values.append(literal_value(item))
        else:
            return UNSET
    return frozenset(values)


def generate(checked: CheckedPolicy, month_end: MonthEnd) -> GeneratedCode:
    return _Gen(checked, month_end).module()


