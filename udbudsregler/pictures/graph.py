"""A picture of a policy's rule graph: Mermaid, Graphviz dot, or SVG (through ``dot``).

Drawn from the checked IR (``policy.checked``: the policy as written), left to right:
the parameters the criteria and prices read (with their values) -> the criteria of each
target group (``all``/``any``/``not`` as written) -> the target groups -> the service
areas, numbered by their routing priority (1 wins when a citizen fits several) -> the
course packages each area offers -> the price models they are paid by (weekly price,
bonuses, caps, with the parameters they read).

``udbudsregler graph POLICY [--format mermaid|dot|svg]``; in Python
:func:`mermaid`, :func:`dot` and :func:`svg`.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field

from udbudsregler.ir.graph import Node, RuleGraph
from udbudsregler.ir.nodes import Criteria, Expr, NodeRef
from udbudsregler.policy import Policy

__all__ = ["FORMATS", "GraphvizMissing", "Picture", "dot", "mermaid", "picture", "render", "svg"]

FORMATS = ("mermaid", "dot", "svg")


class GraphvizMissing(RuntimeError):
    """SVG needs Graphviz's ``dot`` program, and it is not on the PATH."""


@dataclass
class Picture:
    """Boxes, arrows and columns: what both renderings draw."""

    title: str
    #: id -> (label lines, shape, column)
    boxes: dict[str, tuple[list[str], str, str]] = field(default_factory=dict)
    #: (from, to, label, dashed)
    arrows: list[tuple[str, str, str, bool]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)

    def box(self, key: str, lines: list[str], shape: str, column: str) -> str:
        if key not in self.boxes:
            self.boxes[key] = (lines, shape, column)
        return key

    def arrow(self, start: str, end: str, label: str = "", dashed: bool = False) -> None:
        item = (start, end, label, dashed)
        if item not in self.arrows:
            self.arrows.append(item)


_COLUMNS = {"da": {"parameters": "Parametre", "criteria": "Kriterier",
                   "target_groups": "Målgrupper", "areas": "Indsatsområder (prioritet)",
                   "packages": "Forløbspakker", "prices": "Prismodeller"},
            "en": {"parameters": "Parameters", "criteria": "Criteria",
                   "target_groups": "Target groups", "areas": "Service areas (priority)",
                   "packages": "Course packages", "prices": "Price models"},
            "sv": {"parameters": "Parametrar", "criteria": "Kriterier",
                   "target_groups": "Målgrupper", "areas": "Insatsområden (prioritet)",
                   "packages": "Insatspaket", "prices": "Prismodeller"}}

#: The areas' column when `routing: exclusive: true` (no priority: no citizen fits two).
_EXCLUSIVE = {"da": "Indsatsområder (udelukker hinanden)", "en": "Service areas (exclusive)",
              "sv": "Insatsområden (utesluter varandra)"}


def _text(expr: Expr | None) -> str:
    if expr is None or expr.loc is None:
        return "?"
    return " ".join(str(expr.loc.text).split())


def _parameter_text(node: Node) -> str:
    if node.values:
        if len(node.values) == 1:
            return f"{node.name} = {_text(node.values[0].expr)}"
        first, last = node.values[0], node.values[-1]
        return (f"{node.name} = {_text(first.expr)} ... {_text(last.expr)} "
                f"({len(node.values)} dated values)")
    return f"{node.name} = {_text(node.expr)}"


def _parameters(graph: RuleGraph, name: str) -> list[str]:
    """The parameters a node reads, through rules, in the graph's order."""
    seen: set[str] = set()
    found: set[str] = set()
    stack = [name]
    while stack:
        current = graph.nodes.get(stack.pop())
        if current is None:
            continue
        for dep in current.deps:
            if dep in seen:
                continue
            seen.add(dep)
            node = graph.nodes.get(dep)
            if node is None:
                continue
            if node.kind == "parameter":
                found.add(dep)
            elif node.kind == "rule":
                stack.append(dep)
    return [n for n in graph.nodes if n in found]


def picture(policy: Policy, language: str | None = None) -> Picture:
    """The picture of a policy (in its own language unless ``language``)."""
    graph = policy.checked
    lang = language or policy.language
    words = dict(_COLUMNS.get(lang, _COLUMNS["en"]))
    if policy.graph.routing is not None and policy.graph.routing.exclusive:
        words["areas"] = _EXCLUSIVE.get(lang, _EXCLUSIVE["en"])
    pic = Picture(f"{policy.id}: {policy.title}", columns=words)

    def parameters_of(target: str, name: str) -> None:
        for parameter in _parameters(graph, name):
            key = pic.box(f"p:{parameter}", [_parameter_text(graph.nodes[parameter])],
                          "parameter", "parameters")
            pic.arrow(key, target, dashed=True)

    def criteria(expr: Expr, parent: str) -> None:
        if isinstance(expr, Criteria):
            key = f"{parent}/{expr.op}:{id(expr)}"
            pic.box(key, [expr.op], "combinator", "criteria")
            pic.arrow(key, parent)
            for item in expr.items:
                criteria(item, key)
        elif isinstance(expr, NodeRef) and expr.name in graph.nodes:
            node = graph.nodes[expr.name]
            title = getattr(node.spec, "title", None) or node.name
            key = pic.box(f"c:{node.name}", [title, f"{node.name}: {_text(node.expr)}"],
                          "criterion", "criteria")
            pic.arrow(key, parent)
            parameters_of(key, node.name)

    for name, group in graph.target_groups.items():
        key = pic.box(f"g:{name}", [group.spec.title, name], "group", "target_groups")
        node = graph.nodes.get(group.node)
        if node is not None and node.expr is not None:
            criteria(node.expr, key)
    # areas numbered by their routing priority; exclusive areas have none (no citizen fits two)
    priority = ([] if graph.routing is not None and graph.routing.exclusive
                else list(graph.routing.priority) if graph.routing is not None
                else list(graph.areas))
    for name, area in graph.areas.items():
        rank = priority.index(name) + 1 if name in priority else None
        lines = [f"{rank}. {area.spec.title}" if rank else area.spec.title, name]
        suppliers = ", ".join(s.id for s in area.suppliers)
        strategy = area.spec.selection.strategy if area.spec.selection else "first"
        lines.append(f"{len(area.suppliers)} supplier{'s' if len(area.suppliers) != 1 else ''}"
                     f" ({strategy}): {suppliers}")
        if area.spec.when is not None:
            lines.append(f"when: {' '.join(area.spec.when.split())}")
        key = pic.box(f"a:{name}", lines, "area", "areas")
        for served in area.serves:
            pic.arrow(f"g:{served}", key)
        parameters_of(key, area.fits)
    for name, package in graph.packages.items():
        spec = package.spec
        goal = spec.goal if isinstance(spec.goal, str) else " or ".join(spec.goal)
        chapter = f", LAB kap. {spec.lab_chapter}" if spec.lab_chapter is not None else ""
        lines = [spec.title, f"{name}: {goal}{chapter}"]
        key = pic.box(f"k:{name}", lines, "package", "packages")
        for offered in spec.areas:
            pic.arrow(f"a:{offered}", key)
        for value in (package.span or ()) + ((package.max_duration,)
                                             if package.max_duration else ()):
            parameters_of(key, value)
        pic.arrow(key, f"m:{spec.price_model}")
    for name, model in graph.price_models.items():
        lines = [model.spec.title]
        values: list[str] = []
        for payment in model.payments:
            amount = _text(graph.nodes[payment.amount].expr)
            if payment.legacy:
                lines.append(f"{name}: weekly {amount} ({model.spec.partial_weeks})")
            else:
                partial = f", {payment.partial}" if payment.per in ("week", "month") else ""
                lines.append(f"{payment.id}: {amount} per {payment.per}{partial}")
            values.append(payment.amount)
        for bonus in model.results:
            amount = _text(graph.nodes[bonus.amount].expr) if not bonus.tiers else " / ".join(
                f"{tier.id} {_text(graph.nodes[tier.amount].expr)}" for tier in bonus.tiers)
            lasting = (_text(graph.nodes[bonus.lasting].expr) if bonus.lasting is not None
                       else "the first day")
            outcomes = " or ".join(bonus.outcomes) or "the referral's start"
            word = "bonus" if bonus.legacy else "result"
            lines.append(f"{word} {bonus.id}: {amount} after {lasting} of {outcomes}")
            values += [n for n in (bonus.amount, bonus.lasting) if n is not None]
            values += [tier.amount for tier in bonus.tiers]
        if model.caps is not None:
            for cap in (model.caps.max_amount, model.caps.max_duration):
                if cap is not None:
                    lines.append(f"cap {cap.rsplit('.', 1)[-1]}: "
                                 f"{_text(graph.nodes[cap].expr)}")
                    values.append(cap)
        key = pic.box(f"m:{name}", lines, "price", "prices")
        for value in values:
            parameters_of(key, value)
    return pic


# -- Mermaid -------------------------------------------------------------------------

_MERMAID_SHAPES = {"parameter": ('(["', '"])'), "combinator": ('{{"', '"}}'),
                   "criterion": ('["', '"]'), "group": ('[["', '"]]'),
                   "area": ('[/"', '"/]'), "package": ('("', '")'),
                   "price": ('[("', '")]')}


def _ids(pic: Picture) -> dict[str, str]:
    return {key: f"n{i}" for i, key in enumerate(pic.boxes)}


def _mermaid_text(text: str) -> str:
    return (text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;")
            .replace(">", "#gt;"))


def mermaid(policy: Policy, language: str | None = None) -> str:
    """The picture as a Mermaid flowchart."""
    pic = picture(policy, language)
    ids = _ids(pic)
    out = ["flowchart LR"]
    for column, title in pic.columns.items():
        members = [k for k, (_, _, c) in pic.boxes.items() if c == column]
        if not members:
            continue
        out.append(f'  subgraph {column}["{_mermaid_text(title)}"]')
        for key in members:
            lines, shape, _ = pic.boxes[key]
            left, right = _MERMAID_SHAPES[shape]
            label = "<br/>".join(_mermaid_text(line) for line in lines)
            out.append(f"    {ids[key]}{left}{label}{right}")
        out.append("  end")
    for start, end, label, dashed in pic.arrows:
        if start not in ids or end not in ids:
            continue
        arrow = "-.->" if dashed else "-->"
        text = f"|{_mermaid_text(label)}|" if label else ""
        out.append(f"  {ids[start]} {arrow}{text} {ids[end]}")
    for shape, style in (("parameter", "fill:#fff8e1,stroke:#b08800"),
                         ("group", "fill:#e3f2fd,stroke:#1565c0"),
                         ("area", "fill:#e8f5e9,stroke:#2e7d32"),
                         ("price", "fill:#fce4ec,stroke:#ad1457")):
        members = [ids[k] for k, (_, s, _) in pic.boxes.items() if s == shape]
        if members:
            out.append(f"  classDef {shape} {style}")
            out.append(f"  class {','.join(members)} {shape}")
    return "\n".join(out) + "\n"


# -- Graphviz --------------------------------------------------------------------------

_DOT_SHAPES = {"parameter": "note", "combinator": "diamond", "criterion": "box",
               "group": "box3d", "area": "folder", "package": "component", "price": "tab"}
_DOT_FILL = {"parameter": "#fff8e1", "group": "#e3f2fd", "area": "#e8f5e9",
             "price": "#fce4ec", "package": "#f3e5f5", "criterion": "#ffffff",
             "combinator": "#eeeeee"}


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot(policy: Policy, language: str | None = None) -> str:
    """The picture in Graphviz's dot language."""
    pic = picture(policy, language)
    ids = _ids(pic)
    out = ["digraph policy {", "  rankdir=LR;",
           f'  label="{_dot_text(pic.title)}"; labelloc=t; fontname="Helvetica";',
           '  node [fontname="Helvetica", fontsize=10, style=filled];',
           '  edge [color="#555555"];']
    for column, title in pic.columns.items():
        members = [k for k, (_, _, c) in pic.boxes.items() if c == column]
        if not members:
            continue
        out.append(f'  subgraph "cluster_{column}" {{')
        out.append(f'    label="{_dot_text(title)}"; style=rounded; color="#bbbbbb";')
        for key in members:
            lines, shape, _ = pic.boxes[key]
            label = "\\n".join(_dot_text(line) for line in lines)
            out.append(f'    {ids[key]} [label="{label}", shape={_DOT_SHAPES[shape]}, '
                       f'fillcolor="{_DOT_FILL[shape]}"];')
        out.append("  }")
    for start, end, label, dashed in pic.arrows:
        if start not in ids or end not in ids:
            continue
        attrs = ["style=dashed"] if dashed else []
        if label:
            attrs.append(f'label="{_dot_text(label)}"')
        out.append(f"  {ids[start]} -> {ids[end]}"
                   + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    out.append("}")
    return "\n".join(out) + "\n"


def svg(policy: Policy, language: str | None = None, program: str = "dot") -> str:
    """The picture as SVG, laid out by Graphviz's ``dot`` (which must be installed:
    ``apt-get install graphviz``, ``brew install graphviz``); :class:`GraphvizMissing`
    otherwise."""
    found = shutil.which(program)
    if found is None:
        raise GraphvizMissing(
            f"SVG needs Graphviz's `{program}` program, which is not installed (Debian/Ubuntu:"
            " apt-get install graphviz; macOS: brew install graphviz); or use --format "
            "mermaid or dot")
    done = subprocess.run([found, "-Tsvg"], input=dot(policy, language), capture_output=True,
                          text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"`dot` failed: {done.stderr.strip()[:500]}")
    return done.stdout


def render(policy: Policy, format: str, language: str | None = None) -> str:
    """The picture in one of :data:`FORMATS`."""
    if format == "mermaid":
        return mermaid(policy, language)
    if format == "dot":
        return dot(policy, language)
    if format == "svg":
        return svg(policy, language)
    raise ValueError(f"no format {format!r}; the formats are {', '.join(FORMATS)}")
