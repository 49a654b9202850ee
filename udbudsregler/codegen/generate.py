"""Stage ``codegen``: compile the lowered rule graph to Python functions.

The source is generated from the lowered graph, never from author text: every
identifier in it is made here, and every constant is bound in the module's
namespace, so no text of the policy is ever executed. Each primitive is
written as its ``code`` form from the semantic table, or as a call of its
``impl`` (:mod:`udbudsregler.semantics.prims`), so the generated code and the
interpreter mean the same thing by construction.

Each named node becomes a function that evaluates its expression at most
once per decision (a memo slot in the list ``m``); a node read once is
inlined where it is read (up to a nesting depth Python can compile);
``and``/``or`` short-circuit; each loop becomes a plain loop in a helper
function, with the parts of its body that do not read the loop's variable
computed once, on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from udbudsregler.codegen.plan import FAILURES, dated_nodes, depths, hot_references, kleene
from udbudsregler.diagnostics import EvaluationError
from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import Node, RuleGraph
from udbudsregler.semantics.ops import budget_error
from udbudsregler.semantics.prims import HELPERS, PRIMS
from udbudsregler.semantics.signatures import FUNCTIONS
from udbudsregler.semantics.types import DurationType
from udbudsregler.values.temporal import MonthEnd, SpanLength

__all__ = ["UNSET", "GeneratedCode", "generate"]

UNSET: Any = type("Unset", (), {"__repr__": lambda self: "UNSET"})()

#: Nesting of generated expressions above which a node is called, not inlined (Python's
#: parser refuses expressions nested about 200 deep).
_MAX_NESTING = 60
#: Functions the loop bodies may call: the library's, which count as costly in a plan.
_CALLS = frozenset(FUNCTIONS) | {"overlaps_record", "covers_records"}


@dataclass(frozen=True)
class GeneratedCode:
    source: str
    #: ``evaluate(facts, today) -> tuple`` of the outputs' values, in the order of ``outputs``:
    #: the target groups' memberships, then whether each service area fits.
    evaluate: Callable[[dict[str, Any], date], tuple[bool, ...]]
    #: The names of the outputs, in the order ``evaluate`` returns them.
    outputs: tuple[str, ...]
    #: The generated function of every named node: ``function(facts, memo) -> value``.
    functions: Mapping[str, Callable[[dict[str, Any], list[Any]], Any]] = field(
        default_factory=dict)
    #: The length of a decision's memo list (slot 0: the decision date; slot 1: the list
    #: elements the loops have visited).
    memo_size: int = 2

    def memo(self, today: date) -> list[Any]:
        """A fresh memo for one decision on ``today``."""
        memo: list[Any] = [UNSET] * self.memo_size
        memo[0] = today
        memo[1] = 0
        return memo

    def values(self, facts: dict[str, Any], today: date,
               names: Iterable[str] | None = None) -> dict[str, Any]:
        """The values of named nodes (all, or ``names``) by the generated code, sharing one
        memo as a decision does; ``facts`` must be canonical (``FactSchema.validate``)."""
        memo = self.memo(today)
        return {name: self.functions[name](facts, memo)
                for name in (self.functions if names is None else names)}

    @property
    def rules(self) -> Mapping[str, Callable[[dict[str, Any], list[Any]], Any]]:
        return self.functions

    def rule_values(self, facts: dict[str, Any], today: date,
                    names: Iterable[str] | None = None) -> dict[str, Any]:
        """As :meth:`values`, for tests that hold the generated code to the interpreter."""
        return self.values(facts, today, names)


class _Gen:
    def __init__(self, graph: RuleGraph, month_end: MonthEnd, steps: int) -> None:
        self.graph = graph
        self.month_end = month_end
        self.namespace: dict[str, Any] = {
            "UNSET": UNSET, "_RULE": month_end, "_STEPS": steps, "_SpanLength": SpanLength,
            "_EvaluationError": EvaluationError, "_FAIL": FAILURES, "_kleene": kleene,
            "_budget": _budget, **HELPERS,
        }
        self.refs = hot_references(graph)
        self.dated = dated_nodes(graph)
        self.depth = depths(graph)
        #: Sub-expressions evaluated once above a loop: id(expr) -> local name.
        self.hoisted: dict[int, str] = {}
        self.constants: dict[tuple[str, str], str] = {}
        self.blocks: list[str] = []
        self.slots: dict[str, int] = {"today": 0, "steps": 1}
        self.counter = 0
        #: How deeply the expression being written nests so far.
        self.nesting = 0

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
            f"    # {_short(doc)}\n"
            f"    v = m[{slot}]\n"
            f"    if v is UNSET:\n"
            f"{compute}"
            f"        m[{slot}] = v\n"
            f"    return v\n")

    def reference(self, name: str) -> str:
        """The code that gives a named node's value on the hot path: its expression,
        inlined, when it is used once; else a call of its memo function."""
        node = self.graph.nodes[name]
        if (self.refs.get(name, 0) == 1 and name not in self.dated
                and node.kind in ("rule", "criterion", "area") and node.expr is not None
                and self.nesting + self.depth.get(name, 0) < _MAX_NESTING):
            return f"({self.x(node.expr, {})})"
        if node.kind == "parameter":
            return self.parameter_value(node)
        return f"{self.node_function(name)}(f, m)"

    def parameter_value(self, node: Node) -> str:
        values = node.values
        if len(values) == 1 and values[0].start is None:
            return self.x(values[0].expr, {})
        fn = self.fresh("_p")
        lines = [f"def {fn}(today):", f"    # parameter {node.name}"]
        for dated in reversed(values):
            value = self.x(dated.expr, {})
            if dated.start is None:
                lines.append(f"    return {value}")
                break
            lines.append(f"    if today >= {self.constant(dated.start)}:")
            lines.append(f"        return {value}")
        else:
            message = self.constant(
                f"parameter `{node.name}` has no value before {values[0].start}")
            lines.append(f"    raise _EvaluationError('UDB705', {message})")
        self.blocks.append("\n".join(lines) + "\n")
        return f"{fn}(m[0])"

    def criteria(self, expr: I.Expr) -> str:
        """The fast path of a criteria tree: `and`/`or` that stop at the first criterion
        that decides, cheapest first (the order is free: see :func:`kleene`)."""
        if isinstance(expr, I.NodeRef):
            return self.reference(expr.name)
        assert isinstance(expr, I.Criteria)
        if expr.op == "not":
            return f"(not {self.criteria(expr.items[0])})"
        joiner = " and " if expr.op == "all" else " or "
        items = sorted(expr.items, key=self.cost)
        return "(" + joiner.join(self.criteria(i) for i in items) + ")"

    def criteria_tree(self, expr: I.Expr) -> str:
        """The tree :func:`kleene` walks when the fast path fails."""
        if isinstance(expr, I.NodeRef):
            return f"('c', {self.node_function(expr.name)})"
        assert isinstance(expr, I.Criteria)
        if expr.op == "not":
            return f"('not', {self.criteria_tree(expr.items[0])})"
        return f"('{expr.op}', (" + "".join(self.criteria_tree(i) + ", "
                                             for i in expr.items) + "))"

    def cost(self, expr: I.Expr) -> int:
        """A rough cost: the calls and loops in the criteria and the rules they read."""
        if isinstance(expr, I.NodeRef):
            total = 0
            for name in self.graph.closure([expr.name]):
                node = self.graph.nodes.get(name)
                if node is None or node.kind not in ("criterion", "rule") or node.expr is None:
                    continue
                total += sum(1 + 9 * isinstance(n, I.Loop) for n in I.walk(node.expr)
                             if isinstance(n, I.Loop)
                             or (isinstance(n, I.Prim) and n.prim in _CALLS))
            return total
        assert isinstance(expr, I.Criteria)
        return sum(self.cost(i) for i in expr.items)

    # -- expressions -----------------------------------------------------

    def x(self, expr: I.Expr, scope: dict[str, str]) -> str:
        hoisted = self.hoisted.get(id(expr))
        if hoisted is not None:
            return hoisted
        self.nesting += 1
        try:
            return self._x(expr, scope)
        finally:
            self.nesting -= 1

    def _x(self, expr: I.Expr, scope: dict[str, str]) -> str:
        match expr:
            case I.Const(value=value):
                if value is None or type(value) in (bool, int):
                    return repr(value)
                return self.constant(value)
            case I.Var(name=name):
                return scope[name]
            case I.Today():
                return "m[0]"
            case I.FactRef(name=name):
                return f"f[{name!r}]"
            case I.NodeRef(name=name):
                return self.reference(name)
            case I.Field(obj=obj, name=name):
                return f"{self.x(obj, scope)}[{name!r}]"
            case I.Prim(prim=prim, args=args):
                return self.prim(prim, [self.x(a, scope) for a in args])
            case I.Not(operand=operand):
                return f"(not {self.x(operand, scope)})"
            case I.And(left=left, right=right):
                return f"({self.x(left, scope)} and {self.x(right, scope)})"
            case I.Or(left=left, right=right):
                return f"({self.x(left, scope)} or {self.x(right, scope)})"
            case I.If(cond=cond, then=then, orelse=orelse):
                return (f"({self.x(then, scope)} if {self.x(cond, scope)} "
                        f"else {self.x(orelse, scope)})")
            case I.ListOf(items=items):
                if all(isinstance(i, I.Const) for i in items):
                    values = tuple(i.value for i in items)  # type: ignore[attr-defined]
                    return f"list({self.constant(values)})"
                return "[" + ", ".join(self.x(i, scope) for i in items) + "]"
            case I.SetOf(items=items):
                return "frozenset((" + "".join(self.x(i, scope) + ", " for i in items) + "))"
            case I.Loop():
                return self.loop(expr, scope)
            case I.FirstOf(cases=cases):
                code = "None"
                for condition, value in reversed(cases):
                    code = f"({self.x(value, scope)} if {self.x(condition, scope)} else {code})"
                return code
            case I.Criteria():
                return f"_kleene(f, m, {self.criteria_tree(expr)})"
        raise AssertionError(f"not a lowered expression: {expr!r}")  # pragma: no cover

    def prim(self, name: str, args: list[str]) -> str:
        entry = PRIMS[name]
        if entry.code is not None:
            return entry.code.format(*args)
        function = f"_p_{name}"
        self.namespace[function] = entry.impl
        return f"{function}({', '.join([*args, '_RULE'] if entry.rule else args)})"

    # -- loops -----------------------------------------------------------

    def helper(self, expr: I.Loop, scope: dict[str, str],
               body: Callable[[str, dict[str, str]], list[str]]) -> str:
        """A function with the loop. What the loop body computes without the loop variable
        (a window, a rule, a parameter) is computed once: on first use, so exactly what the
        interpreter would evaluate is evaluated (a part the loop never reaches is never
        computed, and cannot fail)."""
        fn = self.fresh("_q")
        var = self.fresh("v")
        outer = sorted(set(scope.values()))
        inner = {**scope, expr.var: var}
        params = ", ".join(["f", "m", "src", *outer])
        lines = [f"def {fn}({params}):", f"    # {_short(_describe(expr))}",
                 "    s = m[1] + len(src)", "    if s > _STEPS:", "        _budget(_STEPS)",
                 "    m[1] = s"]
        # The locals an enclosing loop computed once are not visible in this function.
        enclosing, self.hoisted = self.hoisted, {}
        saved, self.nesting = self.nesting, 0
        for sub in self.hoistable(expr):
            local = self.fresh("h")
            code = self.x(sub, scope)
            lines.append(f"    {local} = UNSET")
            self.hoisted[id(sub)] = f"({local} if {local} is not UNSET else ({local} := {code}))"
        lines += ["    " + line for line in body(var, inner)]
        self.hoisted = enclosing
        self.nesting = saved
        self.blocks.append("\n".join(lines) + "\n")
        args = ", ".join(["f", "m", self.x(expr.source, scope), *outer])
        return f"{fn}({args})"

    def hoistable(self, expr: I.Loop) -> list[I.Expr]:
        """The largest parts of the loop body that do not read the loop variable and are
        worth computing once: calls, loops, rules and dated parameters."""
        parts = [p for p in (expr.value, expr.where) if p is not None]
        found: list[I.Expr] = []

        def reads_var(n: I.Expr) -> bool:
            return any(isinstance(s, I.Var) and s.name == expr.var for s in I.walk(n))

        def worth(n: I.Expr) -> bool:
            for sub in I.walk(n):
                if isinstance(sub, I.Loop) or (isinstance(sub, I.Prim) and sub.prim in _CALLS):
                    return True
                if isinstance(sub, I.NodeRef) and self.graph.kind_of(sub.name) in (
                        "rule", "target_group"):
                    return True
            return False

        def visit(n: I.Expr) -> None:
            if not reads_var(n) and worth(n):
                found.append(n)
                return
            if isinstance(n, I.Loop):
                # a nested loop's body reads its own variable: only its source (and its
                # default) can move above this loop
                visit(n.source)
                if n.default is not None:
                    visit(n.default)
                return
            for child in I.children(n):
                visit(child)

        for part in parts:
            visit(part)
        return found

    def loop(self, expr: I.Loop, scope: dict[str, str]) -> str:
        if expr.kind in ("any", "all", "count", "select"):
            return self.quantifier(expr, scope)
        return self.aggregate(expr, scope)

    def quantifier(self, expr: I.Loop, scope: dict[str, str]) -> str:
        def body(var: str, inner: dict[str, str]) -> list[str]:
            test = self.x(expr.where, inner) if expr.where is not None else "True"
            if expr.kind == "any":
                return [f"for {var} in src:", f"    if {test}:", "        return True",
                        "return False"]
            if expr.kind == "all":
                return [f"for {var} in src:", f"    if not {test}:", "        return False",
                        "return True"]
            if expr.kind == "count":
                if expr.where is None:
                    return ["return len(src)"]
                return ["n = 0", f"for {var} in src:", f"    if {test}:", "        n += 1",
                        "return n"]
            return [f"return [{var} for {var} in src if {test}]"]

        return self.helper(expr, scope, body)

    def aggregate(self, expr: I.Loop, scope: dict[str, str]) -> str:
        result_type = expr.type
        assert expr.value is not None and expr.default is not None

        def body(var: str, inner: dict[str, str]) -> list[str]:
            assert expr.value is not None and expr.default is not None
            # generated inside the helper, where the enclosing loop's locals are not visible
            default = self.x(expr.default, scope)
            value = self.x(expr.value, inner)
            loop = [f"for {var} in src:"]
            if expr.where is not None:
                loop += [f"    if not {self.x(expr.where, inner)}:", "        continue"]
            loop.append(f"    x = {value}")
            if expr.kind == "sum":
                plus = self.prim(expr.combine or "add", ["acc", "x"])
                total = "acc"
                if isinstance(result_type, DurationType):
                    total = "(acc.to_duration() if type(acc) is _SpanLength else acc)"
                return ["acc = UNSET", *loop, f"    acc = x if acc is UNSET else {plus}",
                        f"return {default} if acc is UNSET else {total}"]
            if expr.kind == "latest":
                update = ["    k = _pairs(" + var + ")[0]", "    k = (k[0], k[1] or _OPEN)",
                          "    if best is UNSET or k >= key:", "        best, key = x, k"]
                head = ["best = UNSET", "key = None"]
            else:
                test = self.prim(expr.combine or "lt", ["x", "best"])
                update = [f"    if best is UNSET or {test}:", "        best = x"]
                head = ["best = UNSET"]
            return [*head, *loop, *update, f"return {default} if best is UNSET else best"]

        return self.helper(expr, scope, body)

    # -- the module ------------------------------------------------------

    def module(self, name: str) -> GeneratedCode:
        from udbudsregler.semantics.library import pairs

        self.namespace["_pairs"] = pairs
        graph = self.graph
        for node in graph.nodes.values():
            if node.kind == "target_group":
                assert node.expr is not None
                self.named(node.name, self.criteria(node.expr), f"target group {node.name}",
                           guarded=f"_kleene(f, m, {self.criteria_tree(node.expr)})")
            elif node.kind == "parameter":
                self.named(node.name, self.parameter_value(node), f"parameter {node.name}")
            else:
                assert node.expr is not None
                self.named(node.name, self.x(node.expr, {}), f"{node.kind} {node.name}")
        outputs = graph.outputs
        calls = "".join(f"{self.reference(o)}, " for o in outputs)
        size = len(self.slots)
        self.blocks.append(
            "def evaluate(f, today):\n"
            f"    m = [UNSET] * {size}\n"
            "    m[0] = today\n"
            "    m[1] = 0\n"
            f"    return ({calls})\n")
        source = "\n".join(self.blocks)
        code = compile(source, f"<policy {name}>", "exec")
        exec(code, self.namespace)  # generated from the checked graph, never author text
        functions = {n: self.namespace[self.node_function(n)] for n in graph.nodes}
        return GeneratedCode(source, self.namespace["evaluate"], outputs, functions, size)


def _budget(limit: int) -> None:
    raise budget_error(limit)


def _describe(expr: I.Loop) -> str:
    text = expr.loc.text if expr.loc is not None else expr.kind
    return text


def _short(text: str) -> str:
    """A comment's text: one line of printable characters (an author's text can hold line
    breaks Python knows and the author never saw, such as a lone carriage return)."""
    text = "".join(c if c.isprintable() else " " for c in text)
    return text if len(text) < 90 else text[:87] + "..."


def generate(graph: RuleGraph, month_end: MonthEnd, steps: int) -> GeneratedCode:
    return _Gen(graph, month_end, steps).module(graph.header.id)

