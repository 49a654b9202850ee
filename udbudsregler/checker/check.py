"""Stage ``check``: resolve every name and type every expression.

Names resolve, innermost first, to a quantifier variable, a fact, a
parameter, a rule, a target group or criterion, the decision date
``today``, or, where a choice is expected (``kind == kontanthjaelp``,
``kind in {a, b}``), one of the choice's values. Every mistake is reported
with a did-you-mean hint where one helps; checking goes on after a mistake
(the bad subexpression gets the type ``ERROR``, which causes no further
errors), so all mistakes of a policy are reported at once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from udbudsregler.checker.graph import RuleGraph
from udbudsregler.diagnostics import DiagnosticBag, Span, closest, did_you_mean
from udbudsregler.expr import ast as A
from udbudsregler.expr.collect import ParsedPolicy
from udbudsregler.expr.parser import parse_expression
from udbudsregler.expr.source import SourceExpr
from udbudsregler.loader.documents import FactSpec
from udbudsregler.semantics import operators as ops
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
)

__all__ = ["CheckedPolicy", "Checker", "Symbol", "default_argument", "fact_type"]

_RULE_TYPE_NAMES: dict[str, Type] = {
    "bool": BOOL, "int": INT, "decimal": DECIMAL, "date": DATE, "hours": HOURS, "text": TEXT,
    "period": PERIOD,
}


@dataclass(frozen=True)
class Symbol:
    """What a name refers to."""

    kind: str  # fact | parameter | rule | criterion | target_group | today | var | member
    name: str
    type: Type


@dataclass
class CheckedPolicy:
    parsed: ParsedPolicy
    graph: RuleGraph
    fact_types: dict[str, Type] = field(default_factory=dict)
    param_types: dict[str, Type] = field(default_factory=dict)
    rule_types: dict[str, Type] = field(default_factory=dict)
    #: The type of every checked AST node, by ``id(node)``.
    types: dict[int, Type] = field(default_factory=dict)
    #: What every ``Name`` node refers to, by ``id(node)``.
    symbols: dict[int, Symbol] = field(default_factory=dict)
    currency: str = "DKK"

    def type_of(self, node: A.Expr) -> Type:
        return self.types.get(id(node), ERROR)

    def symbol_of(self, node: A.Name) -> Symbol | None:
        return self.symbols.get(id(node))


@functools.cache
def default_argument(text: str) -> A.Expr:
    """The AST of a function's default argument (shared, parsed once)."""
    return parse_expression(text)


def fact_type(name: str, spec: FactSpec, currency: str) -> Type:
    """The type of a declared fact (or record field)."""
    simple: dict[str, Type] = {
        "bool": BOOL, "int": INT, "decimal": DECIMAL, "date": DATE, "hours": HOURS,
        "text": TEXT, "period": PERIOD, "duration": DurationType("calendar"),
        "money": MoneyType(currency),
    }
    if spec.type in simple:
        return simple[spec.type]
    if spec.type == "enum":
        return EnumType(name, tuple(spec.values or ()))
    fields = tuple((k, fact_type(f"{name}.{k}", v, currency))
                   for k, v in (spec.fields or {}).items())
    if spec.type == "record":
        return RecordType(name, fields)
    if spec.type == "history":
        extra = (("from", DATE), ("to", DATE), ("period", PERIOD))
        return ListType(RecordType(name, fields + extra, history=True))
    return ListType(RecordType(name, fields))


class Checker:
    def __init__(self, parsed: ParsedPolicy, graph: RuleGraph, bag: DiagnosticBag) -> None:
        self.parsed = parsed
        self.doc = parsed.doc
        self.bag = bag
        header = self.doc.header
        self.currency = header.currency if header is not None else "DKK"
        self.month_end = header.month_end if header is not None else None
        self.rounding = header.rounding if header is not None else None
        self.out = CheckedPolicy(parsed, graph, currency=self.currency)
        self.expr: SourceExpr | None = None
        self.month_end_reported = False
        self.money_reported = False
        self.globals: dict[str, Symbol] = {}

    # -- reporting -------------------------------------------------------

    def span(self, pos: A.Pos) -> Span | None:
        return self.expr.span(pos) if self.expr is not None else None

    def error(self, code: str, message: str, node: A.Expr | A.Pos, hint: str | None = None) -> Type:
        pos = node if isinstance(node, tuple) else node.pos
        self.bag.error(code, message, self.span(pos), hint)
        return ERROR

    # -- entry points ----------------------------------------------------

    def run(self) -> CheckedPolicy:
        for name, entry in self.doc.facts.items():
            t = fact_type(name, entry.spec, self.currency)
            self.out.fact_types[name] = t
            self.globals[name] = Symbol("fact", name, t)
        for name in self.doc.target_groups:
            self.globals.setdefault(name, Symbol("target_group", name, BOOL))
        # Parameters and rules in dependency order, so every reference has a type.
        for name in self.out.graph.order:
            kind = self.out.graph.nodes[name].kind
            if kind == "parameter":
                self.parameter(name)
            elif kind == "rule":
                self.rule(name)
        for name in self.out.graph.cyclic:
            node = self.out.graph.nodes[name]
            if node.kind in ("rule", "parameter"):
                self.globals[name] = Symbol(node.kind, name, ERROR)
        # A parameter with the name of a rule (UDB207) has no node of its own in the graph;
        # its values are still checked, so that their mistakes are reported too.
        for name, values in self.parsed.parameters.items():
            if self.out.graph.nodes[name].kind != "parameter":
                for value in values:
                    self.check(value.expr)
        for ident, site in self.parsed.criteria.items():
            self.condition(site.when, f"criterion `{ident}`")
            self.shown_names(site.entry.spec.show or [], site.entry.path)
        for site in self.parsed.duplicate_criteria:
            self.condition(site.when, f"criterion `{site.entry.spec.id}`")
        return self.out

    def shown_names(self, names: list[str], path: tuple[str | int, ...]) -> None:
        """The names of a criterion's `show` must be values an explanation can show."""
        for i, name in enumerate(names):
            if name == "today" or name in self.globals:
                continue
            if name in self.doc.broken:
                continue
            node = self.out.graph.nodes.get(name)
            if node is not None and node.kind in ("criterion", "area"):
                continue
            hint = did_you_mean(name, [*self.globals, "today"]) or (
                "`show` lists facts, parameters, rules or target groups by name")
            self.bag.error("UDB401", f"unknown name `{name}` in `show`",
                           self.doc.span((*path, "show", i)), hint)

    def parameter(self, name: str) -> None:
        result: Type | None = None
        for value in self.parsed.parameters.get(name, []):
            t = self.check(value.expr)
            if t == ERROR:
                result = ERROR
                continue
            if not _is_constant(value.expr.ast):
                self.error("UDB419", f"the value of parameter `{name}` must be a constant",
                           value.expr.ast or (0, 0),
                           "write a literal such as `30`, `2 years` or `1850 DKK`; "
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
        self.out.param_types[name] = t_final
        self.globals[name] = Symbol("parameter", name, t_final)

    def rule(self, name: str) -> None:
        expr = self.parsed.rules.get(name)
        t = self.check(expr) if expr is not None else ERROR
        declared = self.doc.rules[name].spec.type if name in self.doc.rules else None
        if declared is not None and t != ERROR and expr is not None and expr.ast is not None:
            want = self._declared(declared)
            if not _fits(t, want, declared):
                self.error("UDB418", f"rule `{name}` is declared `{declared}` but gives "
                           f"{t.describe()}", expr.ast)
        self.out.rule_types[name] = t
        self.globals[name] = Symbol("rule", name, t)

    def _declared(self, name: str) -> Type | None:
        if name == "money":
            return MoneyType(self.currency)
        return _RULE_TYPE_NAMES.get(name)

    def condition(self, expr: SourceExpr, what: str) -> None:
        t = self.check(expr)
        if t not in (BOOL, ERROR) and expr.ast is not None:
            self.expr = expr
            self.error("UDB407", f"the condition of {what} gives {t.describe()}, "
                       "not true or false", expr.ast)

    def check(self, expr: SourceExpr, expected: Type | None = None) -> Type:
        if expr.ast is None:
            return ERROR
        self.expr = expr
        return self.t(expr.ast, {}, expected)

    # -- expressions -----------------------------------------------------

    def t(self, node: A.Expr, env: dict[str, Type], expected: Type | None = None) -> Type:
        result = self.infer(node, env, expected)
        self.out.types[id(node)] = result
        if isinstance(result, MoneyType):
            self.note_money(node)
        return result

    def infer(self, node: A.Expr, env: dict[str, Type], expected: Type | None) -> Type:
        match node:
            case A.BoolLit():
                return BOOL
            case A.NumberLit(value=value):
                return INT if isinstance(value, int) else DECIMAL
            case A.TextLit(value=value):
                if isinstance(expected, EnumType):
                    return self.choice(value, expected, node)
                return TEXT
            case A.DateLit():
                return DATE
            case A.QuantityLit(unit=unit):
                if unit == "hours":
                    return HOURS
                return DurationType("months" if unit in ("years", "months") else "days")
            case A.MoneyLit(currency=currency):
                if currency != self.currency:
                    return self.error("UDB412", f"`{currency}` is not the policy's currency "
                                      f"({self.currency})", node,
                                      f"write amounts in {self.currency}")
                return MoneyType(currency)
            case A.Name():
                return self.name(node, env, expected)
            case A.Member():
                return self.member(node, env)
            case A.Call():
                return self.call(node, env)
            case A.Unary(op="not", operand=operand):
                self.boolean(operand, env, "`not`")
                return BOOL
            case A.Unary(operand=operand):
                return self.outcome(ops.negate(self.t(operand, env)), node)
            case A.Binary(op="and" | "or"):
                self.boolean(node.left, env, f"`{node.op}`")
                self.boolean(node.right, env, f"`{node.op}`")
                return BOOL
            case A.Binary(op="in" | "not in"):
                return self.membership(node, env)
            case A.Binary(op="==" | "!=" | "<" | "<=" | ">" | ">="):
                a, b = self.pair(node.left, node.right, env)
                if ops.needs_month_end(node.op, a, b):
                    self.need_month_end(node)
                return self.outcome(ops.compare(node.op, a, b), node)
            case A.Binary(op=op, left=left, right=right):
                a = self.t(left, env)
                b = self.t(right, env)
                if ops.needs_month_end(op, a, b):
                    self.need_month_end(node)
                return self.outcome(ops.arithmetic(op, a, b), node)
            case A.If(cond=cond, then=then, orelse=orelse):
                self.boolean(cond, env, "`if`")
                a = self.t(then, env, expected)
                b = self.t(orelse, env, expected)
                joined = join(a, b)
                if joined is None:
                    return self.error("UDB413", f"`then` gives {a.describe()} but `else` gives "
                                      f"{b.describe()}", node)
                return joined
            case A.ListLit(items=items) | A.SetLit(items=items):
                return self.collection(node, items, env, expected)
            case A.Quantifier():
                return self.quantifier(node, env)
            case A.Aggregate():
                return self.aggregate(node, env)
        raise AssertionError(f"unhandled node {node!r}")  # pragma: no cover

    def outcome(self, result: Type | ops.Mismatch, node: A.Expr) -> Type:
        if isinstance(result, ops.Mismatch):
            return self.error(result.code, result.message, node, result.hint)
        return result

    def boolean(self, node: A.Expr, env: dict[str, Type], where: str) -> None:
        t = self.t(node, env)
        if t not in (BOOL, ERROR):
            self.error("UDB407", f"{where} needs true or false, not {t.describe()}", node)

    def pair(self, left: A.Expr, right: A.Expr, env: dict[str, Type]) -> tuple[Type, Type]:
        """Type two operands, letting a choice on one side give meaning to a bare value name
        on the other (``kontanthjaelp == benefit`` as well as ``benefit == kontanthjaelp``)."""
        if self.bare_unknown(left, env) and not self.bare_unknown(right, env):
            b = self.t(right, env)
            a = self.t(left, env, b)
            return a, b
        a = self.t(left, env)
        b = self.t(right, env, a)
        return a, b

    def bare_unknown(self, node: A.Expr, env: dict[str, Type]) -> bool:
        return isinstance(node, (A.Name, A.TextLit)) and (
            isinstance(node, A.TextLit) or self.lookup(node.id, env) is None)

    def choice(self, value: str, expected: EnumType, node: A.Expr) -> Type:
        if value in expected.values:
            return expected
        hint = did_you_mean(value, expected.values) or (
            "the values are " + ", ".join(f"`{v}`" for v in expected.values))
        return self.error("UDB409", f"`{value}` is not a value of `{expected.name}`", node, hint)

    def lookup(self, name: str, env: dict[str, Type]) -> Symbol | None:
        if name in env:
            return Symbol("var", name, env[name])
        if name == "today":
            return Symbol("today", name, DATE)
        return self.globals.get(name)

    def name(self, node: A.Name, env: dict[str, Type], expected: Type | None) -> Type:
        symbol = self.lookup(node.id, env)
        if symbol is None and isinstance(expected, (ListType, SetType)):
            expected = expected.elem
        if symbol is None and isinstance(expected, EnumType):
            if node.id in expected.values:
                symbol = Symbol("member", node.id, expected)
            else:
                return self.choice(node.id, expected, node)
        if symbol is None:
            if node.id in self.doc.broken:
                return ERROR
            if expected == ERROR and (self.is_choice_value(node.id) or self.broken_fact()):
                # The other side of `==` or `in` is already wrong (or is a fact whose
                # declaration is); once it is fixed, its choice gives this value its meaning.
                return ERROR
            candidates = [*env, *self.globals, "today"]
            hint = did_you_mean(node.id, candidates)
            if hint is None:
                hint = self.unknown_name_hint(node.id)
            return self.error("UDB401", f"unknown name `{node.id}`", node, hint)
        self.out.symbols[id(node)] = symbol
        return symbol.type

    def is_choice_value(self, name: str) -> bool:
        return any(name in choice.values for t in self.out.fact_types.values()
                   for choice in _choices(t))

    def broken_fact(self) -> bool:
        """Whether a fact's declaration is invalid (so its choice values are unknown)."""
        facts = self.doc.source.data.get("facts")
        return isinstance(facts, dict) and any(name in self.doc.broken for name in facts)

    def unknown_name_hint(self, name: str) -> str | None:
        # A value of some choice used where no choice is expected.
        for t in self.out.fact_types.values():
            for choice in _choices(t):
                if name in choice.values:
                    return (f"`{name}` is a value of `{choice.name}`; compare it with that fact, "
                            f"e.g. `{choice.name.split('.')[-1]} == {name}`")
        if name in FUNCTIONS:
            return f"`{name}` is a function: write `{name}(...)`"
        values = {v for t in self.out.fact_types.values() for c in _choices(t) for v in c.values}
        return did_you_mean(name, sorted(values))

    def member(self, node: A.Member, env: dict[str, Type]) -> Type:
        obj = self.t(node.obj, env)
        if obj == ERROR:
            return ERROR
        if isinstance(obj, RecordType):
            field_type = obj.field(node.name)
            if field_type is not None:
                return field_type
            hint = did_you_mean(node.name, obj.field_names) or (
                "the fields are " + ", ".join(f"`{f}`" for f in obj.field_names))
            return self.error("UDB402", f"`{obj.name}` has no field `{node.name}`", node, hint)
        if obj == PERIOD:
            if node.name in ("from", "to"):
                return DATE
            return self.error("UDB402", f"a period has no field `{node.name}`", node,
                              "a period has `from` and `to`")
        if isinstance(obj, ListType) and isinstance(obj.elem, RecordType):
            return self.error("UDB402", f"`.{node.name}` needs one record, but this is "
                              f"{obj.describe()}", node,
                              f"use a quantifier, e.g. `any(x in ... where x.{node.name} ...)`")
        return self.error("UDB402", f"{obj.describe()} has no field `{node.name}`", node)

    def membership(self, node: A.Binary, env: dict[str, Type]) -> Type:
        left = self.t(node.left, env)
        expected: Type | None = (SetType(left) if isinstance(left, EnumType) or left == ERROR
                                 else None)
        right = self.t(node.right, env, expected)
        return self.outcome(ops.membership(left, right), node)

    def collection(self, node: A.Expr, items: tuple[A.Expr, ...], env: dict[str, Type],
                   expected: Type | None) -> Type:
        elem_expected = expected.elem if isinstance(expected, (ListType, SetType)) else None
        elem: Type = NEVER
        for item in items:
            t = self.t(item, env, elem_expected)
            joined = join(elem, t)
            if joined is None:
                self.error("UDB414", f"{t.describe()} among elements that are "
                           f"{elem.describe()}", item)
                elem = ERROR
            else:
                elem = joined
        if isinstance(node, A.SetLit):
            return SetType(elem)
        return ListType(elem)

    # -- calls -----------------------------------------------------------

    def call(self, node: A.Call, env: dict[str, Type]) -> Type:
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
            return ERROR
        types: list[Type] = []
        for param, given in zip(signature.params, bound, strict=False):
            if given is None:
                assert param.default is not None
                types.append(self.t(default_argument(param.default), {}))
                continue
            t = self.t(given, env)
            types.append(t)
            if t != ERROR and not param.accepts(t):
                self.error("UDB404", f"`{param.name}` of `{node.func}` must be {param.expects}, "
                           f"not {t.describe()}", given)
                types[-1] = ERROR
        for extra in bound[len(signature.params):]:
            assert extra is not None
            t = self.t(extra, env)
            types.append(t)
        if ERROR in types:
            return ERROR
        result = signature.result(types)
        if result == ERROR:
            return self.error("UDB404", f"the arguments of `{node.func}` must all be of one "
                              f"comparable type, not " + ", ".join(t.describe() for t in types),
                              node)
        if signature.month_end and self.uses_months(signature, types):
            self.need_month_end(node)
        return result

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

    def bind_var(self, node: A.Quantifier | A.Aggregate, env: dict[str, Type]) -> dict[str, Type]:
        source = self.t(node.source, env)
        elem: Type = ERROR
        if isinstance(source, ListType):
            elem = source.elem
        elif source != ERROR:
            self.error("UDB415", f"`{node.kind}` needs a list to go through, not "
                       f"{source.describe()}", node.source)
        if node.var in env or node.var in self.globals or node.var == "today":
            self.error("UDB416", f"`{node.var}` already names something else", node.var_pos,
                       "choose a short new name, e.g. `o` for an offer")
        return {**env, node.var: elem}

    def quantifier(self, node: A.Quantifier, env: dict[str, Type]) -> Type:
        inner = self.bind_var(node, env)
        if node.where is not None:
            self.boolean(node.where, inner, f"`where` of `{node.kind}`")
        if node.kind == "count":
            return INT
        if node.kind == "select":
            source = self.out.types.get(id(node.source), ERROR)
            return source if isinstance(source, ListType) else ERROR
        return BOOL

    def aggregate(self, node: A.Aggregate, env: dict[str, Type]) -> Type:
        inner = self.bind_var(node, env)
        if node.where is not None:
            self.boolean(node.where, inner, f"`where` of `{node.kind}`")
        value = self.t(node.value, inner)
        default = self.t(node.default, env, value) if node.default is not None else None
        if node.kind == "latest":
            source = self.out.types.get(id(node.source), ERROR)
            if (source != ERROR and not is_periods(source)) or source == PERIOD:
                self.error("UDB415", "`latest` needs a history or a list of periods, to know "
                           "which element is the latest", node.source)
        if node.kind == "sum":
            ok = (is_numeric(value) or value == HOURS or isinstance(value, MoneyType) or
                  (isinstance(value, DurationType) and value.kind != "calendar"))
            if value != ERROR and not ok:
                return self.error("UDB403", f"`sum` cannot add up {value.describe()}", node.value)
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
            return self.error("UDB406", f"`{node.kind}` needs `else`: the value when no element "
                              "is left", node,
                              f"write e.g. `{node.kind}(... for x in xs where ... else 0)`")
        if default is None or value == ERROR:
            return value
        joined = join(value, default)
        if joined is None:
            assert node.default is not None
            return self.error("UDB413", f"`else` gives {default.describe()} but the values are "
                              f"{value.describe()}", node.default,
                              f"`else` is the value of `{node.kind}` when no element is left; "
                              f"make it {value.describe()} too")
        return joined

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


def _fits(t: Type, want: Type | None, declared: str) -> bool:
    if declared == "duration":
        return isinstance(t, DurationType)
    if want is None:
        return False
    return t == want or (want == DECIMAL and t == INT)


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
