"""Stage ``check``: resolve every name and type every expression, building the rule graph.

Names resolve, innermost first, to a quantifier variable, a fact, a
parameter, a rule, a target group, the decision date ``today``, or, where a
choice is expected (``kind == kontanthjaelp``, ``kind in {a, b}``), one of the
choice's values. Each expression becomes a typed tree of
:mod:`udbudsregler.ir.nodes` with its names resolved; each definition a node
of the :class:`~udbudsregler.ir.graph.RuleGraph`.

Every mistake is reported with a did-you-mean hint where one helps; checking
goes on after a mistake (the bad subexpression gets the type ``ERROR``, which
causes no further errors), so all mistakes of a policy are reported at once.
The tender sections are checked on top of this, in :mod:`udbudsregler.checker.tender`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path as FilePath

from udbudsregler.checker.graph import RuleGraph as NameGraph
from udbudsregler.diagnostics import DiagnosticBag, Span, closest, did_you_mean
from udbudsregler.expr import ast as A
from udbudsregler.expr.collect import ParsedPolicy
from udbudsregler.expr.parser import parse_expression
from udbudsregler.expr.source import SourceExpr
from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import (
    Dated,
    FactBounds,
    FactDecl,
    Node,
    NodeKind,
    OverrideNote,
    RuleGraph,
)
from udbudsregler.loader.documents import FactSpec, PolicyHeader
from udbudsregler.loader.sites import WHERE_KNOWN
from udbudsregler.loader.validate import AllOf, CriteriaNode, CriterionEntry, NotOf
from udbudsregler.semantics import operators as ops
from udbudsregler.semantics.constants import literal_value
from udbudsregler.semantics.signatures import FUNCTIONS, Signature, is_comparable, is_periods
from udbudsregler.semantics.types import (
    BOOL,
    DATE,
    DECIMAL,
    ERROR,
    HOURS,
    INT,
    NEVER,
    PERIOD,
    TEXT,
    DurationType,
    EnumType,
    ListType,
    MoneyType,
    RecordType,
    SetType,
    Type,
    is_numeric,
    join,
    kind_type,
)
from udbudsregler.values.fact_kinds import KINDS

__all__ = ["Checker", "Symbol", "default_argument", "fact_type"]

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Symbol:
    """What a name refers to."""

    kind: str  # fact | parameter | rule | target_group | today | var | member
    name: str
    type: Type


@functools.cache
def default_argument(text: str) -> A.Expr:
    """The AST of a function's default argument (shared, parsed once)."""
    return parse_expression(text)


def fact_type(name: str, spec: FactSpec, currency: str) -> Type:
    """The type of a declared fact (or record field)."""
    kind = spec.kind
    if kind.choice:
        return EnumType(name, tuple(spec.values or ()))
    if not kind.container:
        return kind_type(kind, currency)
    fields = tuple((k, fact_type(f"{name}.{k}", v, currency))
                   for k, v in (spec.fields or {}).items())
    if kind.periodic:
        fields += (("from", DATE), ("to", DATE), ("period", PERIOD))
    record = RecordType(name, fields, history=kind.periodic)
    return ListType(record) if kind.many else record


def _deps(*exprs: I.Expr | None) -> tuple[str, ...]:
    """The names the expressions read, in order of first use."""
    out: dict[str, None] = {}
    for expr in exprs:
        if expr is not None:
            for ref in I.refs(expr):
                out.setdefault(ref.name, None)
    return tuple(out)


class Checker:
    def __init__(self, parsed: ParsedPolicy, names: NameGraph, bag: DiagnosticBag) -> None:
        self.parsed = parsed
        self.doc = parsed.doc
        self.names = names
        self.bag = bag
        header = self.doc.header
        self.header: PolicyHeader | None = header
        self.currency = header.currency if header is not None else "DKK"
        self.month_end = header.month_end if header is not None else None
        self.rounding = header.rounding if header is not None else None
        self.expr: SourceExpr | None = None
        #: The name of each file relative to the policy's folder, by its display name.
        self._relative: dict[str, str] = {}
        self.month_end_reported = False
        self.money_reported = False
        self.globals: dict[str, Symbol] = {}
        #: The nodes built so far, by name (ordered by ``finish``).
        self.nodes: dict[str, Node] = {}
        self.facts: dict[str, FactDecl] = {}
        self.bounds: dict[str, FactBounds] = {}

    # -- reporting -------------------------------------------------------

    def span(self, pos: A.Pos) -> Span | None:
        return self.expr.span(pos) if self.expr is not None else None

    def error(self, code: str, message: str, node: A.Expr | A.Pos,
              hint: str | None = None) -> I.Expr:
        pos = node if isinstance(node, tuple) else node.pos
        self.bag.error(code, message, self.span(pos), hint)
        return self.bad(pos)

    def bad(self, pos: A.Pos = (0, 0)) -> I.Expr:
        """The expression of a part that has an error (its type causes no further ones)."""
        return I.Const(ERROR, None, loc=self.loc(pos))

    def loc(self, pos: A.Pos) -> I.Loc | None:
        return I.Loc(self.expr, pos) if self.expr is not None else None

    # -- where definitions are ---------------------------------------------

    def at(self, path: Path) -> str | None:
        """``file:line`` of a definition, relative to the policy's folder (stable across
        machines, so it can be part of a reproducible decision)."""
        info = self.doc.positions.nearest(path)
        if info is None:
            return None
        span = info.key_span or info.span
        name = self._relative.get(span.file)
        if name is None:
            name = self._relative[span.file] = self._relative_name(span.file)
        return f"{name}:{span.line}"

    def _relative_name(self, display: str) -> str:
        source = self.doc.source
        for file in source.files:
            if file.display == display:
                return FilePath(os.path.relpath(file.path, source.root)).as_posix()
        return FilePath(display).name

    def add(self, name: str, kind: NodeKind, expr: I.Expr | None, path: Path, *,
            spec: object = None, owner: str | None = None, values: tuple[Dated, ...] = (),
            type_: Type | None = None) -> Node:
        node = Node(name, kind, type_ if type_ is not None else (
            expr.type if expr is not None else ERROR), expr, values,
            _deps(expr, *(v.expr for v in values)), path, self.doc.key_span(path),
            self.at(path), spec, owner)
        self.nodes[name] = node
        return node

    # -- entry points ----------------------------------------------------

    def run(self) -> None:
        for name, entry in self.doc.facts.items():
            t = fact_type(name, entry.spec, self.currency)
            self.facts[name] = FactDecl(name, entry.spec, t, entry.path,
                                        self.doc.key_span(entry.path), self.at(entry.path))
            self.globals[name] = Symbol("fact", name, t)
        for name, entry in self.doc.facts.items():
            self.fact_bounds(name, entry.spec, self.facts[name].type)
        for name in self.doc.target_groups:
            self.globals.setdefault(name, Symbol("target_group", name, BOOL))
        # Parameters and rules in dependency order, so every reference has a type.
        for name in self.names.order:
            kind = self.names.nodes[name].kind
            if kind == "parameter":
                self.parameter(name)
            elif kind == "rule":
                self.rule(name)
        for name in self.names.cyclic:
            node = self.names.nodes[name]
            if node.kind in ("rule", "parameter"):
                self.globals[name] = Symbol(node.kind, name, ERROR)
        # A parameter with the name of a rule (UDB207) has no node of its own in the graph;
        # its values are still checked, so that their mistakes are reported too.
        for name, values in self.parsed.parameters.items():
            if self.names.nodes[name].kind != "parameter":
                for value in values:
                    self.check(value.expr)
        for ident, site in self.parsed.criteria.items():
            when = self.condition(site.when, f"criterion `{ident}`")
            self.shown_names(site.entry.spec.show or [], site.entry.path)
            if self.names.nodes[ident].kind == "criterion":
                self.add(ident, "criterion", when, site.entry.path, spec=site.entry.spec,
                         owner=site.group, type_=BOOL)
        for site in self.parsed.duplicate_criteria:
            self.condition(site.when, f"criterion `{site.entry.spec.id}`")
        for name, group in self.doc.target_groups.items():
            if group.criteria is None or self.names.nodes[name].kind != "target_group":
                continue
            tree = self.criteria_tree(group.criteria)
            if tree is not None:
                self.add(name, "target_group", tree, group.path, spec=group.spec, type_=BOOL)

    def fact_bounds(self, name: str, spec: FactSpec, t: Type) -> None:
        """The range and default of a fact (and of its fields): constants of its type."""
        values: dict[str, object] = {}
        for key in ("min", "max", "default"):
            source = self.parsed.fact_constants.get((name, key))
            if source is None or source.ast is None:
                continue
            typed = self.check(source, t)
            if typed.type == ERROR:
                continue
            what = f"the `{key}` of `{name}`"
            choice = isinstance(source.ast, A.Name) and isinstance(typed, I.Const)
            if not (_is_constant(source.ast) or choice):
                self.error("UDB419", f"{what} must be a constant", source.ast,
                           "write a literal such as `0`, `0 hours`, "
                           f"`1850 {self.currency}` or `1900-01-01`")
                continue
            if not _constant_fits(typed.type, t):
                hint = ("write the number with its unit, e.g. `15 hours`" if t == HOURS else
                        f"write the amount with its currency, e.g. `0 {self.currency}`"
                        if isinstance(t, MoneyType) else
                        "write the number with its unit, e.g. `4 months`"
                        if isinstance(t, DurationType) else None)
                self.error("UDB419", f"{what} must be {t.describe()}, not "
                           f"{typed.type.describe()}", source.ast, hint)
                continue
            values[key] = _fold(typed, t)
        if spec.default is not None and spec.kind.default == "verbatim":
            values["default"] = str(spec.default) if not isinstance(spec.default, bool) else (
                "true" if spec.default else "false")
        elif spec.default == [] and spec.kind.default == "empty":
            values["default"] = []
        low, high = values.get("min"), values.get("max")
        if low is not None and high is not None and low > high:  # type: ignore[operator]
            texts = [" ".join(self.parsed.fact_constants[(name, k)].text.split())
                     for k in ("min", "max")]
            self.bag.error("UDB431", f"the range of `{name}` runs from `{texts[0]}` down to "
                           f"`{texts[1]}`",
                           self.parsed.fact_constants[(name, "max")].span(),
                           "`min` must not be greater than `max`")
        default = values.get("default")
        if default is not None and not isinstance(default, list) and (
                (low is not None and default < low)  # type: ignore[operator]
                or (high is not None and default > high)):  # type: ignore[operator]
            source = self.parsed.fact_constants.get((name, "default"))
            self.bag.error("UDB431", f"the `default` of `{name}` is outside its range",
                           source.span() if source is not None else None,
                           "make the default a value the fact may have")
        if values:
            self.bounds[name] = FactBounds(low, high, default, "default" in values)
        for field_name, field_spec in (spec.fields or {}).items():
            field_type = t.elem if isinstance(t, ListType) else t
            if isinstance(field_type, RecordType):
                inner = field_type.field(field_name)
                if inner is not None:
                    self.fact_bounds(f"{name}.{field_name}", field_spec, inner)

    def criteria_tree(self, node: CriteriaNode) -> I.Expr | None:
        """A target group's criteria as a three-valued tree over the criteria's nodes."""
        if isinstance(node, CriterionEntry):
            if node.spec.id not in self.nodes:
                return None
            return I.NodeRef(BOOL, node.spec.id)
        if isinstance(node, NotOf):
            item = self.criteria_tree(node.item)
            return I.Criteria(BOOL, "not", (item,)) if item is not None else None
        items = tuple(i for i in (self.criteria_tree(x) for x in node.items) if i is not None)
        if len(items) != len(node.items):
            return None
        return I.Criteria(BOOL, "all" if isinstance(node, AllOf) else "any", items)

    def graph(self) -> RuleGraph:
        """The rule graph of what was checked (the tender entities are added by
        :mod:`udbudsregler.checker.tender`); nodes in dependency order."""
        assert self.header is not None
        overrides = {path: OverrideNote(o.base, o.at) for path, o in self.doc.overrides.items()}
        return RuleGraph(self.header, dict(self.facts), {}, overrides=overrides,
                         fact_bounds=dict(self.bounds))

    def shown_names(self, names: list[str], path: Path) -> None:
        """The names of a criterion's `show` must be values an explanation can show."""
        for i, name in enumerate(names):
            if name == "today" or name in self.globals:
                continue
            if name in self.doc.broken:
                continue
            node = self.names.nodes.get(name)
            if node is not None and node.kind in ("criterion", "area"):
                continue
            hint = did_you_mean(name, [*self.globals, "today"]) or (
                "`show` lists facts, parameters, rules or target groups by name")
            self.bag.error("UDB401", f"unknown name `{name}` in `show`",
                           self.doc.span((*path, "show", i)), hint)

    def parameter(self, name: str) -> None:
        result: Type | None = None
        values: list[Dated] = []
        for value in self.parsed.parameters.get(name, []):
            typed = self.check(value.expr)
            values.append(Dated(value.start, typed))
            t = typed.type
            if t == ERROR:
                result = ERROR
                continue
            if not _is_constant(value.expr.ast):
                self.error("UDB419", f"the value of parameter `{name}` must be a constant",
                           value.expr.ast or (0, 0),
                           f"write a literal such as `30`, `2 years` or `1850 {self.currency}`; "
                           "computed values belong in `rules`")
            joined = t if result is None else join(result, t)
            if joined is None:
                assert result is not None
                self.error("UDB419", f"the dated values of `{name}` have different types: "
                           f"{result.describe()} and {t.describe()}", value.expr.ast or (0, 0))
                result = ERROR
            else:
                result = joined
        t_final = result if result is not None else ERROR
        self.globals[name] = Symbol("parameter", name, t_final)
        entry = self.doc.parameters.get(name)
        if entry is not None:
            self.add(name, "parameter", None, entry.path, spec=entry.spec,
                     values=tuple(values), type_=t_final)

    def rule(self, name: str) -> None:
        expr = self.parsed.rules.get(name)
        typed = self.check(expr) if expr is not None else self.bad()
        t = typed.type
        declared = self.doc.rules[name].spec.type if name in self.doc.rules else None
        if declared is not None and t != ERROR and expr is not None and expr.ast is not None:
            want = kind_type(KINDS[declared], self.currency)
            if not _fits(t, want):
                self.error("UDB418", f"rule `{name}` is declared `{declared}` but gives "
                           f"{t.describe()}", expr.ast)
        self.globals[name] = Symbol("rule", name, t)
        entry = self.doc.rules.get(name)
        if entry is not None:
            self.add(name, "rule", typed, entry.path, spec=entry.spec)

    def condition(self, expr: SourceExpr, what: str) -> I.Expr:
        typed = self.check(expr)
        t = typed.type
        if t not in (BOOL, ERROR) and expr.ast is not None:
            self.expr = expr
            self.error("UDB407", f"the condition of {what} gives {t.describe()}, "
                       "not true or false", expr.ast)
        return typed

    def check(self, expr: SourceExpr, expected: Type | None = None,
              context: dict[str, Type] | None = None) -> I.Expr:
        """The typed tree of an expression; ``context`` gives the extra names of its place
        (an outcome's `day`, a result payment's `result`, ...), read as `$name` facts."""
        if expr.ast is None:
            return I.Const(ERROR, None)
        self.expr = expr
        if not context:
            return self.t(expr.ast, {}, expected)
        saved = dict(self.globals)
        for name, t in context.items():
            if name in self.globals:
                self.error("UDB416", f"`{name}` already names something else", expr.ast,
                           f"`{name}` is given in this place; rename the definition")
            self.globals[name] = Symbol("context", name, t)
        try:
            return self.t(expr.ast, {}, expected)
        finally:
            self.globals = saved

    # -- expressions -----------------------------------------------------

    def t(self, node: A.Expr, env: dict[str, Type], expected: Type | None = None) -> I.Expr:
        result = self.infer(node, env, expected)
        if isinstance(result.type, MoneyType):
            self.note_money(node)
        return result

    def infer(self, node: A.Expr, env: dict[str, Type], expected: Type | None) -> I.Expr:
        loc = self.loc(node.pos)
        match node:
            case A.BoolLit(value=value):
                return I.Const(BOOL, value, loc=loc)
            case A.NumberLit(value=value):
                return I.Const(INT if isinstance(value, int) else DECIMAL, value, loc=loc)
            case A.TextLit(value=value):
                if isinstance(expected, EnumType):
                    t = self.choice(value, expected, node)
                    return I.Const(t, value, loc=loc) if t != ERROR else self.bad(node.pos)
                return I.Const(TEXT, value, loc=loc)
            case A.DateLit(value=value):
                return I.Const(DATE, value, loc=loc)
            case A.QuantityLit(unit=unit):
                t = HOURS if unit == "hours" else DurationType(
                    "months" if unit in ("years", "months") else "days")
                return I.Const(t, literal_value(node), loc=loc)
            case A.MoneyLit(currency=currency):
                if currency != self.currency:
                    return self.error("UDB412", f"`{currency}` is not the policy's currency "
                                      f"({self.currency})", node,
                                      f"write amounts in {self.currency}")
                return I.Const(MoneyType(currency), literal_value(node), loc=loc)
            case A.Name():
                return self.name(node, env, expected)
            case A.Member():
                return self.member(node, env)
            case A.Call():
                return self.call(node, env)
            case A.Unary(op="not", operand=operand):
                return I.Not(BOOL, self.boolean(operand, env, "`not`"), loc=loc)
            case A.Unary(operand=operand):
                typed = self.t(operand, env)
                return self.outcome(ops.negate(typed.type), node,
                                    lambda t: I.Op(t, "neg", (typed,), loc=loc))
            case A.Binary(op="and" | "or"):
                left = self.boolean(node.left, env, f"`{node.op}`")
                right = self.boolean(node.right, env, f"`{node.op}`")
                cls = I.And if node.op == "and" else I.Or
                return cls(BOOL, left, right, loc=loc)
            case A.Binary(op="in" | "not in"):
                return self.membership(node, env)
            case A.Binary(op="==" | "!=" | "<" | "<=" | ">" | ">="):
                a, b = self.pair(node.left, node.right, env)
                if ops.needs_month_end(node.op, a.type, b.type):
                    self.need_month_end(node)
                return self.outcome(ops.compare(node.op, a.type, b.type), node,
                                    lambda t: I.Op(t, node.op, (a, b), loc=loc))
            case A.Binary(op=op, left=left, right=right):
                a = self.t(left, env)
                b = self.t(right, env)
                if ops.needs_month_end(op, a.type, b.type):
                    self.need_month_end(node)
                return self.outcome(ops.arithmetic(op, a.type, b.type), node,
                                    lambda t: I.Op(t, op, (a, b), loc=loc))
            case A.If(cond=cond, then=then, orelse=orelse):
                c = self.boolean(cond, env, "`if`")
                a = self.t(then, env, expected)
                b = self.t(orelse, env, expected)
                joined = join(a.type, b.type)
                if joined is None:
                    return self.error("UDB413", f"`then` gives {a.type.describe()} but `else` "
                                      f"gives {b.type.describe()}", node)
                return I.If(joined, c, a, b, loc=loc)
            case A.ListLit(items=items) | A.SetLit(items=items):
                return self.collection(node, items, env, expected)
            case A.Quantifier():
                return self.quantifier(node, env)
            case A.Aggregate():
                return self.aggregate(node, env)
        raise AssertionError(f"unhandled node {node!r}")  # pragma: no cover

    def outcome(self, result: Type | ops.Mismatch, node: A.Expr,
                make: object) -> I.Expr:
        if isinstance(result, ops.Mismatch):
            return self.error(result.code, result.message, node, result.hint)
        assert callable(make)
        built: I.Expr = make(result)
        return built

    def boolean(self, node: A.Expr, env: dict[str, Type], where: str) -> I.Expr:
        typed = self.t(node, env)
        if typed.type not in (BOOL, ERROR):
            self.error("UDB407", f"{where} needs true or false, not {typed.type.describe()}",
                       node)
        return typed

    def pair(self, left: A.Expr, right: A.Expr,
             env: dict[str, Type]) -> tuple[I.Expr, I.Expr]:
        """Type two operands, letting a choice on one side give meaning to a bare value name
        on the other (``kontanthjaelp == benefit`` as well as ``benefit == kontanthjaelp``)."""
        if self.bare_unknown(left, env) and not self.bare_unknown(right, env):
            b = self.t(right, env)
            a = self.t(left, env, b.type)
            return a, b
        a = self.t(left, env)
        b = self.t(right, env, a.type)
        return a, b

    def bare_unknown(self, node: A.Expr, env: dict[str, Type]) -> bool:
        return isinstance(node, (A.Name, A.TextLit)) and (
            isinstance(node, A.TextLit) or self.lookup(node.id, env) is None)

    def choice(self, value: str, expected: EnumType, node: A.Expr) -> Type:
        if value in expected.values:
            return expected
        hint = did_you_mean(value, expected.values) or (
            "the values are " + ", ".join(f"`{v}`" for v in expected.values))
        self.error("UDB409", f"`{value}` is not a value of `{expected.name}`", node, hint)
        return ERROR

    def lookup(self, name: str, env: dict[str, Type]) -> Symbol | None:
        if name in env:
            return Symbol("var", name, env[name])
        if name == "today":
            return Symbol("today", name, DATE)
        return self.globals.get(name)

    def name(self, node: A.Name, env: dict[str, Type], expected: Type | None) -> I.Expr:
        symbol = self.lookup(node.id, env)
        if symbol is None and isinstance(expected, (ListType, SetType)):
            expected = expected.elem
        if symbol is None and isinstance(expected, EnumType):
            if node.id in expected.values:
                symbol = Symbol("member", node.id, expected)
            else:
                t = self.choice(node.id, expected, node)
                return self.bad(node.pos) if t == ERROR else I.Const(t, node.id)
        if symbol is None:
            if node.id in self.doc.broken:
                return self.bad(node.pos)
            if expected == ERROR and (self.is_choice_value(node.id) or self.broken_fact()):
                # The other side of `==` or `in` is already wrong (or is a fact whose
                # declaration is); once it is fixed, its choice gives this value its meaning.
                return self.bad(node.pos)
            if node.id in WHERE_KNOWN:  # a name another place gives (`result`)
                return self.error("UDB401", f"unknown name `{node.id}` here", node,
                                  f"`{node.id}` is known only {WHERE_KNOWN[node.id]}")
            candidates = [*env, *self.globals, "today"]
            hint = did_you_mean(node.id, candidates)
            if hint is None:
                hint = self.unknown_name_hint(node.id)
            return self.error("UDB401", f"unknown name `{node.id}`", node, hint)
        loc = self.loc(node.pos)
        match symbol.kind:
            case "var":
                return I.Var(symbol.type, node.id, loc=loc)
            case "member":
                return I.Const(symbol.type, node.id, loc=loc)
            case "today":
                return I.Today(DATE, loc=loc)
            case "fact":
                return I.FactRef(symbol.type, node.id, loc=loc)
            case "context":
                return I.FactRef(symbol.type, f"${node.id}", loc=loc)
        return I.NodeRef(symbol.type, node.id, loc=loc)

    def is_choice_value(self, name: str) -> bool:
        """Whether ``name`` is a value of some choice: of a fact's, or an outcome (the
        values of `result`)."""
        outcomes = self.doc.source.data.get("outcomes")
        return (any(name in choice.values for d in self.facts.values()
                    for choice in _choices(d.type))
                or (isinstance(outcomes, dict) and name in outcomes))

    def broken_fact(self) -> bool:
        """Whether a fact's declaration is invalid (so its choice values are unknown)."""
        facts = self.doc.source.data.get("facts")
        return isinstance(facts, dict) and any(name in self.doc.broken for name in facts)

    def unknown_name_hint(self, name: str) -> str | None:
        # A value of some choice used where no choice is expected.
        for d in self.facts.values():
            for choice in _choices(d.type):
                if name in choice.values:
                    return (f"`{name}` is a value of `{choice.name}`; compare it with that fact, "
                            f"e.g. `{choice.name.split('.')[-1]} == {name}`")
        if name in FUNCTIONS:
            return f"`{name}` is a function: write `{name}(...)`"
        values = {v for d in self.facts.values() for c in _choices(d.type) for v in c.values}
        return did_you_mean(name, sorted(values))

    def member(self, node: A.Member, env: dict[str, Type]) -> I.Expr:
        obj = self.t(node.obj, env)
        t = obj.type
        loc = self.loc(node.pos)
        if t == ERROR:
            return self.bad(node.pos)
        if isinstance(t, RecordType):
            field_type = t.field(node.name)
            if field_type is not None:
                access = "key"
                if t.history and node.name == "period":
                    access = "history_period"
                elif t.history and node.name == "to":
                    access = "history_to"
                return I.Field(field_type, obj, node.name, access, loc=loc)  # type: ignore[arg-type]
            hint = did_you_mean(node.name, t.field_names) or (
                "the fields are " + ", ".join(f"`{f}`" for f in t.field_names))
            return self.error("UDB402", f"`{t.name}` has no field `{node.name}`", node, hint)
        if t == PERIOD:
            if node.name in ("from", "to"):
                return I.Field(DATE, obj, node.name,
                               "period_from" if node.name == "from" else "period_to", loc=loc)
            return self.error("UDB402", f"a period has no field `{node.name}`", node,
                              "a period has `from` and `to`")
        if isinstance(t, ListType) and isinstance(t.elem, RecordType):
            return self.error("UDB402", f"`.{node.name}` needs one record, but this is "
                              f"{t.describe()}", node,
                              f"use a quantifier, e.g. `any(x in ... where x.{node.name} ...)`")
        return self.error("UDB402", f"{t.describe()} has no field `{node.name}`", node)

    def membership(self, node: A.Binary, env: dict[str, Type]) -> I.Expr:
        left = self.t(node.left, env)
        expected: Type | None = (SetType(left.type)
                                 if isinstance(left.type, EnumType) or left.type == ERROR
                                 else None)
        right = self.t(node.right, env, expected)
        loc = self.loc(node.pos)
        return self.outcome(ops.membership(left.type, right.type), node,
                            lambda t: I.Op(t, node.op, (left, right), loc=loc))

    def collection(self, node: A.Expr, items: tuple[A.Expr, ...], env: dict[str, Type],
                   expected: Type | None) -> I.Expr:
        elem_expected = expected.elem if isinstance(expected, (ListType, SetType)) else None
        elem: Type = NEVER
        typed: list[I.Expr] = []
        for item in items:
            x = self.t(item, env, elem_expected)
            typed.append(x)
            joined = join(elem, x.type)
            if joined is None:
                self.error("UDB414", f"{x.type.describe()} among elements that are "
                           f"{elem.describe()}", item)
                elem = ERROR
            else:
                elem = joined
        loc = self.loc(node.pos)
        if isinstance(node, A.SetLit):
            return I.SetOf(SetType(elem), tuple(typed), loc=loc)
        return I.ListOf(ListType(elem), tuple(typed), loc=loc)

    # -- calls -----------------------------------------------------------

    def call(self, node: A.Call, env: dict[str, Type]) -> I.Expr:
        signature = FUNCTIONS.get(node.func)
        if signature is None:
            for arg in (*node.args, *(k.value for k in node.kwargs)):
                self.t(arg, env)
            hint = did_you_mean(node.func, FUNCTIONS)
            return self.error("UDB405", f"unknown function `{node.func}`", node, hint)
        bound = self.bind(signature, node)
        if bound is None:
            for arg in (*node.args, *(k.value for k in node.kwargs)):
                self.t(arg, env)
            return self.bad(node.pos)
        args: list[I.Expr] = []
        for param, given in zip(signature.params, bound, strict=False):
            if given is None:
                assert param.default is not None
                # A default is checked where it is used (`today` is the decision date).
                outer, self.expr = self.expr, None
                args.append(self.t(default_argument(param.default), {}))
                self.expr = outer
                continue
            x = self.t(given, env)
            args.append(x)
            if x.type != ERROR and not param.accepts(x.type):
                self.error("UDB404", f"`{param.name}` of `{node.func}` must be "
                           f"{param.expects}, not {x.type.describe()}", given)
                args[-1] = self.bad(given.pos)
        for extra in bound[len(signature.params):]:
            assert extra is not None
            args.append(self.t(extra, env))
        types = [a.type for a in args]
        if ERROR in types:
            return self.bad(node.pos)
        result = signature.result(types)
        if result == ERROR:
            return self.error("UDB404", f"the arguments of `{node.func}` must all be of one "
                              f"comparable type, not " + ", ".join(t.describe() for t in types),
                              node)
        if signature.month_end and self.uses_months(signature, types):
            self.need_month_end(node)
        return I.Call(result, node.func, tuple(args), loc=self.loc(node.pos))

    def uses_months(self, signature: Signature, types: list[Type]) -> bool:
        if signature.name == "age":
            return True
        return any(isinstance(t, DurationType) and t.kind in ("months", "calendar")
                   for t in types)

    def bind(self, signature: Signature, node: A.Call) -> list[A.Expr | None] | None:
        params = signature.params
        names = [p.name for p in params]
        if len(node.args) > len(params) and not signature.variadic:
            self.error("UDB406", f"`{node.func}` takes at most {len(params)} "
                       f"argument{'s' if len(params) != 1 else ''}, not {len(node.args)}", node,
                       _usage(signature))
            return None
        bound: list[A.Expr | None] = [*node.args, *([None] * (len(params) - len(node.args)))]
        ok = True
        # A misspelt argument name is one mistake: the argument it was meant to be is
        # not also reported as missing.
        meant: set[str] = set()
        for keyword in node.kwargs:
            if keyword.name not in names:
                hint = did_you_mean(keyword.name, names) or _usage(signature)
                close = closest(keyword.name, names)
                if close is not None:
                    meant.add(close)
                self.error("UDB406", f"`{node.func}` has no argument `{keyword.name}`",
                           keyword, hint)
                ok = False
                continue
            index = names.index(keyword.name)
            if bound[index] is not None:
                self.error("UDB406", f"argument `{keyword.name}` of `{node.func}` is given "
                           "twice", keyword, "give each argument once")
                ok = False
                continue
            bound[index] = keyword.value
        for param, arg in zip(params, bound, strict=False):
            if arg is None and param.default is None and param.name not in meant:
                self.error("UDB406", f"`{node.func}` needs its argument `{param.name}`", node,
                           _usage(signature))
                ok = False
        return bound if ok else None

    # -- quantifiers -----------------------------------------------------

    def bind_var(self, node: A.Quantifier | A.Aggregate,
                 env: dict[str, Type]) -> tuple[I.Expr, dict[str, Type]]:
        source = self.t(node.source, env)
        elem: Type = ERROR
        if isinstance(source.type, ListType):
            elem = source.type.elem
        elif source.type != ERROR:
            self.error("UDB415", f"`{node.kind}` needs a list to go through, not "
                       f"{source.type.describe()}", node.source)
        if node.var in env or node.var in self.globals or node.var == "today":
            self.error("UDB416", f"`{node.var}` already names something else", node.var_pos,
                       "choose a short new name, e.g. `o` for an offer")
        return source, {**env, node.var: elem}

    def quantifier(self, node: A.Quantifier, env: dict[str, Type]) -> I.Expr:
        source, inner = self.bind_var(node, env)
        where = (self.boolean(node.where, inner, f"`where` of `{node.kind}`")
                 if node.where is not None else None)
        t: Type
        if node.kind == "count":
            t = INT
        elif node.kind == "select":
            t = source.type if isinstance(source.type, ListType) else ERROR
        else:
            t = BOOL
        return I.Loop(t, node.kind, node.var, source, where, loc=self.loc(node.pos))

    def aggregate(self, node: A.Aggregate, env: dict[str, Type]) -> I.Expr:
        source, inner = self.bind_var(node, env)
        where = (self.boolean(node.where, inner, f"`where` of `{node.kind}`")
                 if node.where is not None else None)
        typed_value = self.t(node.value, inner)
        value = typed_value.type
        typed_default = (self.t(node.default, env, value) if node.default is not None
                         else None)
        default = typed_default.type if typed_default is not None else None

        def made(t: Type) -> I.Expr:
            return I.Loop(t, node.kind, node.var, source, where, typed_value, typed_default,
                          loc=self.loc(node.pos))

        if node.kind == "latest":
            s = source.type
            if (s != ERROR and not is_periods(s)) or s == PERIOD:
                self.error("UDB415", "`latest` needs a history or a list of periods, to know "
                           "which element is the latest", node.source)
        if node.kind == "sum":
            ok = (is_numeric(value) or value == HOURS or isinstance(value, MoneyType) or
                  (isinstance(value, DurationType) and value.kind != "calendar"))
            if value != ERROR and not ok:
                return self.error("UDB403", f"`sum` cannot add up {value.describe()}",
                                  node.value)
            if isinstance(value, DurationType) and value.kind == "span":
                value = DurationType("days")
        elif node.kind in ("min", "max") and value != ERROR and not is_comparable(value):
            return self.error("UDB403", f"`{node.kind}` needs values with an order, not "
                              f"{value.describe()}", node.value)
        elif (node.kind in ("min", "max") and isinstance(value, DurationType)
              and value.kind == "calendar"):
            # months and days together have no order: two such values may not compare
            return self.error("UDB408", f"`{node.kind}` cannot order {value.describe()}",
                              node.value, "order durations in months only or in days only, "
                              "or compare the dates they lead to")
        if node.kind != "sum" and node.default is None:
            return self.error("UDB406", f"`{node.kind}` needs `else`: the value when no "
                              "element is left", node,
                              f"write e.g. `{node.kind}(... for x in xs where ... else 0)`")
        if default is None or value == ERROR:
            return made(value)
        joined = join(value, default)
        if joined is None:
            assert node.default is not None
            return self.error("UDB413", f"`else` gives {default.describe()} but the values "
                              f"are {value.describe()}", node.default,
                              f"`else` is the value of `{node.kind}` when no element is left; "
                              f"make it {value.describe()} too")
        return made(joined)

    # -- policy-wide requirements ------------------------------------------

    def need_month_end(self, node: A.Expr) -> None:
        if self.month_end is None and not self.month_end_reported and self.doc.header is not None:
            self.month_end_reported = True
            self.error("UDB410", "this counts in months, but the policy sets no month-end rule",
                       node, "add `month_end: clamp` (31 January + 1 month = 28/29 February) or "
                       "`month_end: roll` (= 1 March) under `policy:`")

    def note_money(self, node: A.Expr) -> None:
        if self.rounding is None and not self.money_reported and self.doc.header is not None:
            self.money_reported = True
            self.error("UDB411", "this is an amount of money, but the policy sets no rounding "
                       "rule", node)


def _usage(signature: Signature) -> str:
    parts = [p.name if p.default is None else f"{p.name}={p.default}" for p in signature.params]
    if signature.variadic:
        parts.append("...")
    return f"write `{signature.name}({', '.join(parts)})`"


def _choices(t: Type) -> Iterable[EnumType]:
    if isinstance(t, EnumType):
        yield t
    elif isinstance(t, ListType):
        yield from _choices(t.elem)
    elif isinstance(t, RecordType):
        for _, field_type in t.fields:
            yield from _choices(field_type)


def _fits(t: Type, want: Type) -> bool:
    """Whether a rule's value of type ``t`` is of its declared type ``want``."""
    if isinstance(want, DurationType):  # a duration of any kind
        return isinstance(t, DurationType)
    return t == want or (want == DECIMAL and t == INT)


def _constant_fits(t: Type, fact: Type) -> bool:
    """Whether a constant of type ``t`` can be a value of a fact of type ``fact``."""
    if isinstance(fact, DurationType):
        return isinstance(t, DurationType) and t.kind != "span"
    return t == fact or (fact == DECIMAL and t == INT)


def _fold(expr: I.Expr, fact: Type) -> object:
    """The value of a checked constant (a literal, maybe negated) as the fact holds it."""
    from udbudsregler.semantics.ops import negate, to_decimal

    if isinstance(expr, I.Op) and expr.op == "neg":
        return negate(_fold(expr.args[0], fact))
    assert isinstance(expr, I.Const)
    value = expr.value
    if fact == DECIMAL and type(value) is int:
        return to_decimal(value)
    return value


def _is_constant(node: A.Expr | None) -> bool:
    """Literals, possibly negated or in lists and sets: what a parameter may be."""
    match node:
        case (A.BoolLit() | A.NumberLit() | A.TextLit() | A.DateLit() | A.QuantityLit()
              | A.MoneyLit()):
            return True
        case A.Unary(op="-", operand=operand):
            return _is_constant(operand)
        case A.ListLit(items=items) | A.SetLit(items=items):
            return all(_is_constant(i) for i in items)
    return False

