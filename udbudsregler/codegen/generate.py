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

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from udbudsregler.codegen.compiled import comment, compiled
from udbudsregler.codegen.factcheck import FactCheck, fact_check
from udbudsregler.codegen.plan import FAILURES, dated_nodes, depths, hot_references, kleene
from udbudsregler.codegen.reason_parts import ReasonParts, write_parts
from udbudsregler.diagnostics import EvaluationError
from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import Node, RuleGraph
from udbudsregler.semantics.ops import budget_error
from udbudsregler.semantics.prims import HELPERS, PRIMS
from udbudsregler.semantics.signatures import FUNCTIONS
from udbudsregler.semantics.types import DurationType, RecordType
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
    functions: Mapping[str, Callable[[dict[str, Any], list[Any] | None], Any]] = field(
        default_factory=dict)
    #: The length of a decision's memo list (slot 0: the decision date; slot 1: the list
    #: elements the loops have visited).
    memo_size: int = 2
    #: ``decide(facts, today) -> (outputs, memo) | None``: the fast check of the facts
    #: (:mod:`udbudsregler.codegen.factcheck`) and then ``evaluate`` in one function, which
    #: reads the checked facts from locals; None when the facts are not canonical (they
    #: must then go through the full check). The memo is the decision's, for the values of
    #: other nodes later (``Decision.value``). None when the graph has no fact specs.
    decide: Callable[[Any, date], tuple[tuple[bool, ...], list[Any] | None] | None] | None = None
    #: The nodes whose function reads facts and constants alone: it may be called with
    #: None for the memo.
    leaves: frozenset[str] = frozenset()
    #: Writes and compiles the recorders of the criteria and areas and the reason parts
    #: (see :attr:`reason_parts`).
    make_recorders: Callable[[], ReasonParts] | None = field(
        default=None, repr=False, compare=False)
    _parts: list[ReasonParts] = field(default_factory=list, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def reason_parts(self) -> ReasonParts | None:
        """The dynamic parts of a decision's reasons (whether each criterion, target group
        and area holds, and the values it was decided on), by one function
        (:mod:`udbudsregler.codegen.reason_parts`) that calls the recorders of the
        criteria and areas (``recorder(facts, memo, reads) -> value``: its value as the
        interpreter computes it, recording in ``reads`` what it read) where it needs to.
        Compiled on first use: a decision needs them only for its reasons. None without
        recorders."""
        if not self._parts and self.make_recorders is not None:
            with self._lock:
                if not self._parts:
                    self._parts.append(self.make_recorders())
        return self._parts[0] if self._parts else None

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
    def rules(self) -> Mapping[str, Callable[[dict[str, Any], list[Any] | None], Any]]:
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
            "_budget": _budget, "_memo": None, **HELPERS,
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
        #: Writing the body of the fast ``evaluate``/``decide`` (see :meth:`fast`): named
        #: nodes read more than once are held in locals of that function, not in the memo.
        self.local_mode = False
        #: ... the nodes already computed there, unconditionally, and the local that holds
        #: each (its own, or the one of the node whose value it is) ...
        self.computed: dict[str, str] = {}
        #: ... the nodes read there through a lazy local (initialised to UNSET) ...
        self.lazy: set[str] = set()
        #: ... and the locals that hold the checked facts (in ``decide``).
        self.fact_locals: dict[str, str] = {}
        self.param_functions: dict[str, str] = {}
        #: Writing a recorder (see :meth:`recorder`).
        self.recording = False
        #: Writing a criterion into the parts of the reasons (``reason_parts.write_parts``):
        #: the reads as (name, local, whether it is read on every path) ...
        self.capture: list[tuple[str, str, bool]] | None = None
        #: ... and the primitives in their fast form (``code``), not as calls of ``impl``;
        #: the named nodes it reads outside loops, held in locals (by their local's name).
        self.templates = False
        self.held: dict[str, str] | None = None
        #: How many conditional parts (`and`/`or` operands, branches, loop bodies) enclose
        #: the expression being written.
        self.conditional = 0
        #: Nodes whose function needs no memo (see :meth:`leaf`).
        self.leaves: set[str] = set()
        self._reached: set[str] | None = None

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

    @property
    def m(self) -> str:
        """The memo, as the code being written reads it: in the fast ``evaluate`` it is
        made on first need (most decisions need none)."""
        return "(m if m is not None else (m := _memo(today)))" if self.local_mode else "m"

    # -- named nodes -----------------------------------------------------

    def named(self, name: str, body: str, doc: str, *, guarded: str | None = None) -> None:
        """The memo function of a named node: evaluated at most once per decision.

        A node that depends on the decision date alone (not on the citizen) is also
        cached per date, across decisions. ``guarded`` is a fallback expression used
        when ``body`` fails (a target group's criteria, see :func:`kleene`).
        """
        slot = self.slot(name)
        if guarded is None and self.leaf(self.graph.nodes[name]):
            # reads only facts and constants: nothing to share, no memo needed
            self.leaves.add(name)
            self.blocks.append(f"def _n{slot}(f, m):\n    # {comment(doc)}\n    return {body}\n")
            return
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
            f"    # {comment(doc)}\n"
            f"    v = m[{slot}]\n"
            f"    if v is UNSET:\n"
            f"{compute}"
            f"        m[{slot}] = v\n"
            f"    return v\n")

    def reference(self, name: str) -> str:
        """The code that gives a named node's value on the hot path: its expression,
        inlined, when it is used once; else a call of its memo function (in the fast
        ``evaluate``, a local that holds the value once it is computed)."""
        node = self.graph.nodes[name]
        if self.local_mode and name in self.computed:
            return self.computed[name]
        if (self.refs.get(name, 0) == 1 and name not in self.dated
                and node.kind in ("rule", "criterion", "area") and node.expr is not None
                and self.nesting + self.depth.get(name, 0) < _MAX_NESTING):
            return f"({self.x(node.expr, {})})"
        if node.kind == "parameter":
            return self.parameter_value(node)
        if self.local_mode:
            # computed on first use, then read from the local
            self.lazy.add(name)
            local = self.local(name)
            value = (self.value_code(node) if self.small(node)
                     else f"{self.node_function(name)}(f, {self.m})")
            return f"({local} if {local} is not UNSET else ({local} := {value}))"
        return f"{self.node_function(name)}(f, {self.m})"

    def local(self, name: str) -> str:
        return f"_l{self.slot(name)}"

    def reached(self, name: str) -> bool:
        """Whether a decision's outputs depend on the node (a node only an invariant or
        a tender value reads is not computed ahead)."""
        if self._reached is None:
            self._reached = self.graph.closure(self.graph.outputs)
        return name in self._reached

    def local_names(self) -> set[str]:
        """The locals of the fast ``evaluate`` that hold a computed value."""
        return set(self.computed.values())

    def leaf(self, node: Node) -> bool:
        """A node whose value depends on facts and constants alone: its function needs no
        memo (no date, no loop budget, no other node)."""
        if node.kind not in ("rule", "criterion", "area", "value") or node.expr is None \
                or node.name in self.dated:
            return False
        for sub in I.walk(node.expr):
            if isinstance(sub, (I.Loop, I.Today, I.Criteria, I.FirstOf)):
                return False
            if isinstance(sub, I.NodeRef):
                ref = self.graph.nodes.get(sub.name)
                if ref is None or ref.kind != "parameter" or len(ref.values) != 1 \
                        or ref.values[0].start is not None:
                    return False
        return True

    def small(self, node: Node) -> bool:
        """A node whose expression is cheap to write out at each read in the fast
        ``evaluate`` (a few operations on facts and constants), instead of calling its
        memo function once."""
        if node.kind not in ("rule", "criterion", "area") or node.expr is None \
                or node.name in self.dated:
            return False
        for size, sub in enumerate(I.walk(node.expr)):
            if isinstance(sub, (I.Loop, I.NodeRef, I.Criteria, I.FirstOf)) or size >= 12:
                return False
        return True

    def value_code(self, node: Node) -> str:
        """The code of a node's value in the fast ``evaluate``."""
        if node.kind == "target_group":
            assert node.expr is not None
            return self.criteria(node.expr)
        if node.kind == "parameter":
            return self.parameter_value(node)
        if (node.kind in ("rule", "criterion", "area") and node.expr is not None
                and node.name not in self.dated
                and self.nesting + self.depth.get(node.name, 0) < _MAX_NESTING):
            return self.x(node.expr, {})
        return f"{self.node_function(node.name)}(f, {self.m})"

    def parameter_value(self, node: Node) -> str:
        values = node.values
        if len(values) == 1 and values[0].start is None:
            return self.x(values[0].expr, {})
        today = "today" if self.local_mode else "m[0]"
        known = self.param_functions.get(node.name)
        if known is not None:
            return f"{known}({today})"
        fn = self.param_functions[node.name] = self.fresh("_p")
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
        return f"{fn}({today})"

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
        if self.recording:
            recorded = self.recorded(expr, scope)
            if recorded is not None:
                return recorded
        match expr:
            case I.Const(value=value):
                if value is None or type(value) in (bool, int):
                    return repr(value)
                return self.constant(value)
            case I.Var(name=name):
                return scope[name]
            case I.Today():
                return "today" if self.local_mode else "m[0]"
            case I.FactRef(name=name):
                if self.local_mode and name in self.fact_locals:
                    return self.fact_locals[name]
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
                first = self.x(left, scope)
                return f"({first} and {self.maybe(right, scope)})"
            case I.Or(left=left, right=right):
                first = self.x(left, scope)
                return f"({first} or {self.maybe(right, scope)})"
            case I.If(cond=cond, then=then, orelse=orelse):
                return (f"({self.maybe(then, scope)} if {self.x(cond, scope)} "
                        f"else {self.maybe(orelse, scope)})")
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
                    code = (f"({self.maybe(value, scope)} if {self.maybe(condition, scope)} "
                            f"else {code})")
                return code
            case I.Criteria():
                return f"_kleene(f, {self.m}, {self.criteria_tree(expr)})"
        raise AssertionError(f"not a lowered expression: {expr!r}")  # pragma: no cover

    def maybe(self, expr: I.Expr, scope: dict[str, str]) -> str:
        """The code of an expression that is computed on some paths only."""
        self.conditional += 1
        try:
            return self.x(expr, scope)
        finally:
            self.conditional -= 1

    def recorded(self, expr: I.Expr, scope: dict[str, str]) -> str | None:
        """In a recorder (see :meth:`recorder`): the code of the expressions whose reading
        the interpreter records, as it records them (``r[name] = value`` once the value is
        computed); the primitives as calls of their ``impl``, so their arguments are
        computed in the interpreter's order. None for the other expressions."""
        def rec(name: str, value: str) -> str:
            if self.capture is not None:  # into a local of the criteria function
                local = self.fresh("_c")
                self.capture.append((name, local, self.conditional == 0))
                return f"({local} := {value})"
            # `_t` is assigned after every read inside `value` has recorded its own
            return f"(r.__setitem__({name!r}, _t := {value}) or _t)"

        match expr:
            case I.FactRef(name=name):
                return rec(name, f"f[{name!r}]")
            case I.NodeRef(name=name):
                node = self.graph.nodes[name]
                if node.kind == "parameter":
                    return rec(name, self.parameter_value(node))
                value = f"{self.node_function(name)}(f, m)"
                if self.held is not None:  # a local of the parts function, on first use
                    local = self.held.setdefault(name, self.local(name))
                    value = f"({local} if {local} is not UNSET else ({local} := {value}))"
                return rec(name, value)
            case I.Today():
                return rec("today", "m[0]")
            case I.Field(obj=I.FactRef(name=base) | I.NodeRef(name=base) as obj,
                         name=name) if isinstance(obj.type, RecordType):
                # recorded as `assessment.cognitive_difficulties`, not the record
                record = (f"f[{base!r}]" if isinstance(obj, I.FactRef)
                          else f"{self.node_function(base)}(f, m)")
                return rec(f"{base}.{name}", f"{record}[{name!r}]")
            case I.Prim(prim=prim, args=args) if not self.templates:
                entry = PRIMS[prim]
                function = f"_p_{prim}"
                self.namespace[function] = entry.impl
                values = [self.x(a, scope) for a in args]
                return f"{function}({', '.join([*values, '_RULE'] if entry.rule else values)})"
        return None

    def recorder(self, node: Node) -> str:
        """``_r<slot>(f, m, r)``: a criterion's or an area's value, computed as the
        interpreter computes it (the same short-circuits, the primitives' ``impl`` in the
        same order, no part computed ahead or once for a loop), recording in ``r`` each
        fact, named node, record field and the date it reads, in the order it reads them:
        what the reasons of a decision show."""
        assert node.expr is not None
        self.recording = True
        try:
            body = self.x(node.expr, {})
        finally:
            self.recording = False
        name = f"_r{self.slot(node.name)}"
        self.blocks.append(f"def {name}(f, m, r):\n    # reads of {comment(node.name)}\n"
                           f"    return {body}\n")
        return name

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
        params = ", ".join(["f", "m", "src", *(["r"] if self.recording else []), *outer])
        lines = [f"def {fn}({params}):", f"    # {comment(_describe(expr))}",
                 "    s = m[1] + len(src)", "    if s > _STEPS:", "        _budget(_STEPS)",
                 "    m[1] = s"]
        # The locals an enclosing loop computed once are not visible in this function, nor
        # are the locals of the fast evaluate.
        enclosing, self.hoisted = self.hoisted, {}
        saved, self.nesting = self.nesting, 0
        local_mode, self.local_mode = self.local_mode, False
        held, self.held = self.held, None
        for sub in self.hoistable(expr):
            local = self.fresh("h")
            code = self.x(sub, scope)
            lines.append(f"    {local} = UNSET")
            self.hoisted[id(sub)] = f"({local} if {local} is not UNSET else ({local} := {code}))"
        self.conditional += 1  # the body: once per element, if any
        lines += ["    " + line for line in body(var, inner)]
        self.conditional -= 1
        self.hoisted = enclosing
        self.nesting = saved
        self.local_mode = local_mode
        self.held = held
        self.blocks.append("\n".join(lines) + "\n")
        source = self.x(expr.source, scope)
        args = ", ".join(["f", self.m, source, *(["r"] if self.recording else []), *outer])
        return f"{fn}({args})"

    def hoistable(self, expr: I.Loop) -> list[I.Expr]:
        """The largest parts of the loop body that do not read the loop variable and are
        worth computing once: calls, loops, rules and dated parameters."""
        if self.recording:  # the interpreter computes the body for each element
            return []
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
        self.blocks.append(
            "def _guarded(f, today, m=None):\n"
            "    # the outputs through the memo functions: a target group whose criteria\n"
            "    # fail is settled with three values (_kleene)\n"
            "    if m is None:\n"
            "        m = [UNSET] * _SIZE\n"
            "        m[0] = today\n"
            "        m[1] = 0\n"
            f"    return ({calls})\n")
        self.fast("evaluate", outputs, None)
        check = None
        if all(d.spec is not None for d in graph.facts.values()):
            check = fact_check({n: d.spec for n, d in graph.facts.items()},
                               graph.header.currency, graph.fact_bounds, "return None")
            self.namespace.update(check.namespace)
            self.fast("decide", outputs, check)
        size = len(self.slots)
        self.namespace["_SIZE"] = size
        self.namespace["_memo"] = _memo_maker(size)
        source = "\n".join(self.blocks)
        code = compiled(source, f"<policy {name}>")
        exec(code, self.namespace)  # generated from the checked graph, never author text
        functions = {n: self.namespace[self.node_function(n)] for n in graph.nodes}
        return GeneratedCode(source, self.namespace["evaluate"], outputs, functions, size,
                             self.namespace["decide"] if check is not None else None,
                             frozenset(self.leaves), self.recorders)

    def recorders(self) -> ReasonParts:
        """The recorders of every criterion and area, and the parts of the reasons (see
        :mod:`udbudsregler.codegen.reason_parts`) that call them, written and compiled (on
        first use) into the namespace of the policy's code."""
        start = len(self.blocks)
        graph = self.graph
        names = {node.name: self.recorder(node) for node in graph.nodes.values()
                 if node.kind in ("criterion", "area") and node.expr is not None}
        priority = graph.routing.priority if graph.routing is not None else tuple(graph.areas)
        parts, bind, entries = write_parts(self, names, priority)
        source = "\n".join(self.blocks[start:])
        exec(compiled(source, f"<policy {graph.header.id}: reasons>"),
             self.namespace)  # generated from the checked graph, never author text
        return ReasonParts(self.namespace[parts], entries, self.namespace[bind])

    def fast(self, name: str, outputs: tuple[str, ...], check: FactCheck | None) -> None:
        """The fast path of a decision: ``evaluate(f, today)``, or ``decide(f, today)``,
        which first runs the fact ``check`` (returning None when the facts are not
        canonical) and then reads the checked facts from its locals.

        The outputs are computed in order, each into a local; a node read more than once
        is held in a local too, computed on first use; `and`/`or` short-circuit, so
        exactly what the memo functions would compute is computed. Nothing here is
        three-valued: if any part fails, the outputs are computed again by ``_guarded``
        (the memo functions, with :func:`kleene` for the criteria), whose answer stands.
        """
        self.local_mode, self.computed, self.lazy = True, {}, set()
        self.fact_locals = dict(check.bindings) if check is not None else {}
        statements: list[str] = []
        # Small nodes read more than once (a test of a fact or two) are computed first,
        # unconditionally: cheaper than testing whether they are computed yet at each
        # read. Such a node may then be computed where the memo functions would not
        # have computed it; if that fails, _guarded decides.
        for ident, node in self.graph.nodes.items():
            if self.refs.get(ident, 0) > 1 and self.small(node) and self.reached(ident):
                statements.append(f"{self.local(ident)} = {self.value_code(node)}")
                self.computed[ident] = self.local(ident)
        results: list[str] = []
        for output in outputs:
            if output not in self.computed:
                local = self.local(output)
                value = self.value_code(self.graph.nodes[output])
                bare = value.strip("()")
                if bare.isidentifier() and bare in self.local_names():
                    # the value of a node already computed (an area that is one target
                    # group's membership): the same local
                    self.computed[output] = bare
                else:
                    if output in self.lazy:
                        value = f"{local} if {local} is not UNSET else {value}"
                    statements.append(f"{local} = {value}")
                    self.computed[output] = local
            results.append(self.computed[output])
        lines = [f"def {name}(f, today):"]
        if check is not None:
            lines += ["    " + line for line in check.lines]
        lines += ["    try:", "        m = None"]
        lines += [f"        {self.local(n)} = UNSET"
                  for n in sorted(self.lazy - set(self.computed))]
        lines += [f"        {line}" for line in statements]
        outputs_tuple = "(" + "".join(f"{r}, " for r in results) + ")"
        if check is None:
            lines += ["    except _FAIL:", "        return _guarded(f, today)",
                      f"    return {outputs_tuple}"]
        else:  # the memo goes with the outputs (None if none was needed yet)
            lines += ["    except _FAIL:", "        m = _memo(today)",
                      "        return _guarded(f, today, m), m",
                      f"    return {outputs_tuple}, m"]
        self.blocks.append("\n".join(lines) + "\n")
        self.local_mode, self.fact_locals = False, {}


def _memo_maker(size: int) -> Callable[[date], list[Any]]:
    def memo(today: date) -> list[Any]:
        m: list[Any] = [UNSET] * size
        m[0] = today
        m[1] = 0
        return m
    return memo


def _budget(limit: int) -> None:
    raise budget_error(limit)


def _describe(expr: I.Loop) -> str:
    text = expr.loc.text if expr.loc is not None else expr.kind
    return text


def generate(graph: RuleGraph, month_end: MonthEnd, steps: int) -> GeneratedCode:
    return _Gen(graph, month_end, steps).module(graph.header.id)

