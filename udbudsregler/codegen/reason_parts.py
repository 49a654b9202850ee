"""The dynamic parts of a decision's reasons, written as one function per policy.

A reason (``runtime/reason.py``) is mostly the same for every decision: its kind, id,
title, legal basis, source, reading, group, place and overrides. What a decision adds is
whether the part holds (``met``) and the values it was decided on. :func:`write_parts`
writes ``_parts(f, today, m)`` (``m``: the decision's memo, if it has one), which
evaluates every criterion of every target group (as the interpreter does: every
criterion, not only up to the first that settles the group), every target group from its
criteria, and every service area, and returns only those dynamic parts, flat:

- first one **key** for each entry whose values are all of types that are equal only when
  written alike (:func:`plain_values`): for a criterion or an area ``(met, value, ...)``
  when it always reads the same names (:attr:`Entry.names`), else ``(met, values)``; for a
  target group its membership (a bool). Equal keys give equal reasons, so the runtime
  looks each key up among the reasons it built before and builds only what it has not seen;
- then the **flags**: whether the citizen is in each target group (in the policy's order)
  and fits each service area (in priority order), to hold against the decision;
- then the met of each other entry (values that hold a list, a decimal, a length), and
  their values, as two tuples.

:class:`ReasonParts` says which entry each part belongs to. Anything that fails raises, as
the generated code does; the runtime then asks the reference interpreter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from udbudsregler.codegen.compiled import comment
from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import Node, RuleGraph
from udbudsregler.semantics.types import (
    BOOL,
    DATE,
    DECIMAL,
    INT,
    TEXT,
    EnumType,
    RecordType,
)

__all__ = ["Entry", "ReasonParts", "plain_values", "write_parts"]

#: Types whose values are equal only when they are written alike (not Decimal, where
#: 1.0 == 1.00; not lengths, equal by their days; not lists): a reason showing only such
#: values is the same reason for every decision that shows the same ones.
_PLAIN = (BOOL, INT, TEXT, DATE)


@dataclass(frozen=True)
class Entry:
    """A reason whose met and values ``_parts`` computes."""

    kind: str  # criterion | target_group | area
    #: The criterion's id, the target group's id, or the area's id.
    name: str
    #: Whether its part is a key (see the module's text), or a met and values.
    keyed: bool
    #: The names of its values when they are always the same (its key is then flat:
    #: ``(met, value, ...)``); None when they depend on the citizen.
    names: tuple[str, ...] | None = None
    #: Its one value is a decimal number (equal to another written otherwise, ``1.0 ==
    #: 1.00``): its reasons are looked up by the number's text (a whole number by itself).
    text: bool = False


@dataclass(frozen=True)
class ReasonParts:
    """``function(facts, today, memo)``: the dynamic parts of a decision's reasons (see the
    module's text), for ``entries``: each criterion of a target group, then the group, for
    each target group in the policy's order; then each service area in priority order."""

    function: Callable[[dict[str, Any], Any, list[Any] | None], tuple[Any, ...]]
    entries: tuple[Entry, ...]
    #: ``bind(K, B)``: ``reasons(facts, today, memo) -> (reasons, flags)``, the same parts
    #: computed the same way, made into the reasons themselves, in the order of
    #: ``entries``: a keyed entry's reason is ``K[i][key]`` (``K``: one mapping per keyed
    #: entry, in the order of the keys, which builds the reason of a key it has not
    #: seen; for a target group its two reasons by membership; for an entry with
    #: :attr:`Entry.names`, ``K[i].true``/``K[i].false``: the reasons of its met by the
    #: value of its one name, or by the tuple of its names' values), another's
    #: ``B[j](met, values)``. The flags are those ``function`` gives.
    bind: Callable[[Sequence[Any], Sequence[Callable[[Any, Any], Any]]],
                   Callable[[dict[str, Any], Any, list[Any] | None],
                            tuple[tuple[Any, ...], tuple[bool, ...]]]]


class _Writer(Protocol):
    """What :func:`write_parts` needs of the code generator (``generate._Gen``)."""

    graph: RuleGraph
    blocks: list[str]
    recording: bool
    templates: bool
    held: dict[str, str] | None
    capture: list[tuple[str, str, bool]] | None

    def fresh(self, prefix: str) -> str: ...
    def constant(self, value: Any) -> str: ...
    def node_function(self, name: str) -> str: ...
    def x(self, expr: I.Expr, scope: dict[str, str]) -> str: ...


def plain_values(graph: RuleGraph, expr: I.Expr | None, show: list[str] | None) -> bool:
    """Whether every value a criterion or an area may show is of a type whose values are
    equal only when written alike."""
    if expr is None:
        return False
    names: list[str] = list(show or ())
    refs: list[I.FactRef | I.NodeRef] = []
    # a record a field is read of is recorded as that field, not as the record
    records: list[int] = []
    for sub in I.walk(expr):
        if isinstance(sub, (I.FactRef, I.NodeRef)):
            refs.append(sub)
        elif isinstance(sub, I.Field) and isinstance(sub.obj, (I.FactRef, I.NodeRef)):
            names.append(f"{sub.obj.name}.{sub.name}")
            if isinstance(sub.obj.type, RecordType):
                records.append(id(sub.obj))
    for ref in refs:
        if id(ref) in records:
            records.remove(id(ref))
        else:
            names.append(ref.name)
    for name in names:
        if name == "today":
            continue
        t = graph.type_of_name(name)
        if not (t in _PLAIN or isinstance(t, EnumType)):
            return False
    return True


#: Expressions whose parts are not written in the order they are read (a condition after
#: its branches) or are read many times (a loop's body).
_BRANCHES = (I.If, I.FirstOf, I.Loop, I.Criteria)


def _values(pairs: list[tuple[str, str]]) -> str:
    return "(" + "".join(f"({name!r}, {local}), " for name, local in pairs) + ")"


def _criterion(gen: _Writer, node: Node, recorders: dict[str, str], lines: list[str]
               ) -> tuple[str, str, list[tuple[str, str]] | None]:
    """The lines computing one criterion; its value's and its values' code, and the names
    and locals of its values when they are always the same."""
    show: list[str] | None = getattr(node.spec, "show", None)
    value = gen.fresh("_v")
    gen.recording, gen.templates, gen.capture = True, True, []
    try:
        body = gen.x(node.expr, {}) if node.expr is not None else ""
    finally:
        gen.recording, gen.templates, captured, gen.capture = False, False, gen.capture, None
    names = [name for name, _, _ in captured]
    lines.append(f"    # {comment(node.name)}")
    if not show and node.expr is not None and len(set(names)) == len(names):
        # every name read at most once: its reads into locals, in the order written,
        # which is the order read (the primitives in their fast form: the order of
        # evaluation matters only for which error is raised, and an error goes to the
        # interpreter) ...
        read = [(n, local) for n, local, _ in captured if n != "today"]
        if all(always for _, _, always in captured):  # ... on every path
            lines.append(f"    {value} = True if {body} else False")
            return value, _values(read), read
        if not any(isinstance(sub, _BRANCHES) for sub in I.walk(node.expr)):
            # ... or on some paths of `and` and `or` (written in the order they are
            # read): the values are the reads made
            lines += [f"    {local} = UNSET" for _, local, always in captured if not always]
            lines.append(f"    {value} = True if {body} else False")
            values = gen.fresh("_x")
            maybe = [local for n, local, always in captured if not always and n != "today"]
            if len(maybe) == 1:  # one read on some paths: the values with it or without
                without = [(n, local) for n, local in read if local != maybe[0]]
                lines.append(f"    {values} = {_values(read)} if {maybe[0]} is not UNSET "
                             f"else {_values(without)}")
            else:
                lines.append(f"    {values} = tuple([p for p in {_values(read)} "
                             "if p[1] is not UNSET])")
            return value, values, None
    reads, values = gen.fresh("_d"), gen.fresh("_x")
    lines += [f"    {reads} = {{}}",
              f"    {value} = True if {recorders[node.name]}(f, m, {reads}) else False"]
    if show:
        shown = []
        for name in show:
            if name == "today":
                other = "m[0]"
            elif name in gen.graph.facts:
                other = f"f[{name!r}]"
            else:
                other = f"{gen.node_function(name)}(f, m)"
            shown.append((name, f"{reads}[{name!r}] if {name!r} in {reads} else {other}"))
        lines.append(f"    {values} = {_values(shown)}")
    else:
        lines += [f"    {reads}.pop('today', None)", f"    {values} = tuple({reads}.items())"]
    return value, values, None


def _tree(gen: _Writer, expr: I.Expr, met: dict[str, str]) -> str:
    """A target group's criteria tree over its criteria's values (all known: the
    three-valued `all`/`any`/`not` are the plain ones)."""
    if isinstance(expr, I.NodeRef):
        found = met.get(expr.name)
        return found if found is not None else \
            f"(True if {gen.node_function(expr.name)}(f, m) else False)"
    assert isinstance(expr, I.Criteria)
    if expr.op == "not":
        return f"(not {_tree(gen, expr.items[0], met)})"
    joiner = " and " if expr.op == "all" else " or "
    items = [_tree(gen, item, met) for item in expr.items]
    if not items:  # all([]) / any([])
        return "True" if expr.op == "all" else "False"
    return "(" + joiner.join(items) + ")"


def write_parts(gen: _Writer, recorders: dict[str, str], priority: tuple[str, ...]
                ) -> tuple[str, str, tuple[Entry, ...]]:
    """Appends ``_parts(f, today, m)`` and ``_reasons_of(K, B)`` to the generator's blocks
    (see :class:`ReasonParts`); returns their names and the entries. ``recorders``: the
    recorder function of every criterion and area; ``priority``: the areas in the order
    the reasons list them."""
    graph = gen.graph
    lines: list[str] = []
    gen.held = {}
    keys: list[str] = []
    pairs: list[str] = []
    met: dict[str, str] = {}
    inside: dict[str, str] = {}
    #: each entry, its met's code, its values' code and (if always the same) its values'
    #: names and locals
    order: list[tuple[Entry, str, str, list[tuple[str, str]] | None]] = []
    for group_id, group in graph.target_groups.items():
        for ident in group.criteria:
            node = graph.nodes[ident]
            value, values, read = _criterion(gen, node, recorders, lines)
            met[ident] = value
            show = getattr(node.spec, "show", None)
            keyed = plain_values(graph, node.expr, show)
            # one decimal read on every path: keyed by its text (its only exact form)
            text = not keyed and not show and read is not None and len(read) == 1 \
                and graph.type_of_name(read[0][0]) == DECIMAL
            keyed = keyed or text
            names = tuple(n for n, _ in read) if keyed and read is not None else None
            order.append((Entry("criterion", ident, keyed, names, text), value, values,
                          read))
        order.append((Entry("target_group", group_id, True), group_id, "", None))
    # the memo (made here if the decision has none), the named nodes read held in locals
    held, gen.held = gen.held, None
    for group_id, group in graph.target_groups.items():
        local = inside[group_id] = gen.fresh("_g")
        lines.append(f"    {local} = {_tree(gen, group.tree(graph), met)}")
    fits: list[str] = []
    for area_id in priority:
        area = graph.areas[area_id]
        serves = [(g, inside[g]) for g in area.spec.serves if g in graph.target_groups]
        fit = gen.fresh("_a")
        fits.append(fit)
        if area.spec.when is None:  # in a group it serves: by their values alone
            any_of = " or ".join(local for _, local in serves) or "False"
            lines.append(f"    {fit} = {any_of}")
            order.append((Entry("area", area_id, True, tuple(g for g, _ in serves)), fit, "",
                          serves))
            continue
        reads, values = gen.fresh("_d"), gen.fresh("_x")
        served = gen.constant(frozenset(area.spec.serves))
        lines += [f"    {reads} = {{}}",
                  f"    {fit} = True if {recorders[area.fits]}(f, m, {reads}) else False",
                  f"    {values} = {_values(serves)} + tuple([(k, v) for k, v in "
                  f"{reads}.items() if k not in {served} and k != 'today'])"]
        order.append((Entry("area", area_id, False), fit, values, None))
    # the keys (`_parts`), and the reasons (`_reasons_of`) from the keyed reasons so far
    # (K: one dict per keyed entry) and the builders of the others (B)
    # (in `_reasons`, a target group's reason is one of its two by its membership, and a
    # criterion or area that always reads the same names is looked up by their values
    # alone in the reasons of its met: no key tuple to build and hash for one name)
    items: list[str] = []
    bound: list[str] = []  # `_reasons_of`'s locals of K
    for entry, value, values, read in order:
        k = f"K{len(keys)}"
        if entry.kind == "target_group":
            key = inside[value]
            bound.append(f"    {k}T, {k}F = K[{len(keys)}][True], K[{len(keys)}][False]")
            items.append(f"({k}T if {key} else {k}F)")
        elif entry.keyed and entry.names is not None and read is not None:
            key = _tuple([value, *(x for _, x in read)])
            bound.append(f"    {k}T, {k}F = K[{len(keys)}].true, K[{len(keys)}].false")
            by = read[0][1] if len(read) == 1 else _tuple([x for _, x in read])
            if entry.text:
                by = f"({by} if {by}.__class__ is int else str({by}))"
            items.append(f"({k}T if {value} else {k}F)[{by}]")
        elif entry.keyed:
            key = f"({value}, {values})"
            bound.append(f"    {k} = K[{len(keys)}]")
            items.append(f"{k}[{key}]")
        else:
            items.append(f"B{len(pairs) // 2}({value}, {values})")
            pairs += [value, values]
            continue
        keys.append(key)
    flags = _tuple([*inside.values(), *fits])
    head = ["    r = None", "    if m is None:", "        m = _memo(today)",
            *(f"    {local} = UNSET" for local in held.values())]
    gen.blocks.append("\n".join([
        "def _parts(f, today, m):", *head, *lines,
        f"    return ({''.join(f'{k}, ' for k in keys)}{flags}, {_tuple(pairs[0::2])}, "
        f"{_tuple(pairs[1::2])})"]) + "\n")
    gen.blocks.append("\n".join([
        "def _reasons_of(K, B):",
        *bound,
        *(f"    B{i} = B[{i}]" for i in range(len(pairs) // 2)),
        "    def _reasons(f, today, m):",
        *("    " + line for line in [*head, *lines]),
        f"        return {_tuple(items)}, {flags}",
        "    return _reasons"]) + "\n")
    return "_parts", "_reasons_of", tuple(entry for entry, _, _, _ in order)


def _tuple(items: list[str]) -> str:
    return "(" + "".join(f"{item}, " for item in items) + ")"
