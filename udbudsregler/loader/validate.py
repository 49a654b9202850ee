"""Stage ``validate``: check the shape of the policy document, entry by entry.

Each entry of each section (a fact, a parameter, a rule, a criterion) is
validated on its own, so one bad entry does not hide mistakes in the others.
pydantic's error locations are mapped back to file:line:column through the
loader's position map; raw pydantic text never reaches an author.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from udbudsregler.diagnostics import DiagnosticBag, Span, did_you_mean
from udbudsregler.loader.includes import LoadedSource
from udbudsregler.loader.locate import PositionMap
from udbudsregler.loader.reporting import Entry, Path, Reporter, check_name, mapping, one
from udbudsregler.loader.tender_validate import Domain, validate_domain

if TYPE_CHECKING:
    from udbudsregler.loader.extends import Override
from udbudsregler.loader.documents import (
    Criterion,
    FactSpec,
    ParameterSpec,
    PolicyHeader,
    RuleSpec,
    TargetGroupSpec,
)

__all__ = [
    "SECTIONS",
    "AllOf",
    "AnyOf",
    "CriteriaNode",
    "CriterionEntry",
    "Entry",
    "NotOf",
    "PolicyDocument",
    "TargetGroupEntry",
    "validate_document",
]

M = TypeVar("M", bound=BaseModel)

#: The top-level sections a policy may have, in the order they are documented.
SECTIONS = ("policy", "facts", "parameters", "rules", "target_groups", "outcomes",
            "service_areas", "routing", "course_packages", "price_models", "referral",
            "invariants")


@dataclass(frozen=True)
class CriterionEntry:
    spec: Criterion
    path: Path


@dataclass(frozen=True)
class AllOf:
    items: tuple[CriteriaNode, ...]
    path: Path


@dataclass(frozen=True)
class AnyOf:
    items: tuple[CriteriaNode, ...]
    path: Path


@dataclass(frozen=True)
class NotOf:
    item: CriteriaNode
    path: Path


CriteriaNode = CriterionEntry | AllOf | AnyOf | NotOf


@dataclass(frozen=True)
class TargetGroupEntry:
    name: str
    spec: TargetGroupSpec
    criteria: CriteriaNode | None
    path: Path


@dataclass
class PolicyDocument:
    """The validated document: what later stages work from."""

    source: LoadedSource
    header: PolicyHeader | None = None
    facts: dict[str, Entry[FactSpec]] = field(default_factory=dict)
    parameters: dict[str, Entry[ParameterSpec]] = field(default_factory=dict)
    rules: dict[str, Entry[RuleSpec]] = field(default_factory=dict)
    target_groups: dict[str, TargetGroupEntry] = field(default_factory=dict)
    #: Names whose definition is invalid: known to exist, so that references
    #: to them cause no second error.
    broken: set[str] = field(default_factory=set)
    #: For a derived policy (`extends:`): the base definitions it overrides, by path.
    overrides: dict[Path, Override] = field(default_factory=dict)
    #: The tender sections (service areas, packages, prices, ...).
    domain: Domain = field(default_factory=Domain.empty)

    @property
    def positions(self) -> PositionMap:
        return self.source.positions

    def span(self, path: Path) -> Span | None:
        info = self.positions.nearest(path)
        return info.span if info is not None else None

    def key_span(self, path: Path) -> Span | None:
        span = self.positions.key_span(path)
        return span if span is not None else self.span(path)

    def criteria(self) -> list[tuple[str, CriterionEntry]]:
        """Every criterion with the id of its target group, in document order."""
        out: list[tuple[str, CriterionEntry]] = []

        def visit(group: str, node: CriteriaNode) -> None:
            if isinstance(node, CriterionEntry):
                out.append((group, node))
            elif isinstance(node, (AllOf, AnyOf)):
                for item in node.items:
                    visit(group, item)
            else:
                visit(group, node.item)

        for name, entry in self.target_groups.items():
            if entry.criteria is not None:
                visit(name, entry.criteria)
        return out


def validate_document(source: LoadedSource, bag: DiagnosticBag,
                      sections: Sequence[str] = SECTIONS) -> PolicyDocument:
    """Validate every section of ``source``; record all mistakes in ``bag``."""
    doc = PolicyDocument(source)
    report = Reporter(source.positions, bag)
    data = source.data
    for key in data:
        if key not in sections:
            hint = did_you_mean(key, sections) or (
                "the sections are " + ", ".join(f"`{s}`" for s in sections))
            bag.error("UDB201", f"unknown section `{key}`", report.span((key,), key=True), hint)

    if "policy" not in data:
        bag.error("UDB202", "missing section `policy`", _first_span(source),
                  "start the policy with `policy:` giving its id, title, authority and validity")
    else:
        doc.header = one(PolicyHeader, data["policy"], ("policy",), report)

    doc.facts = _entries("facts", FactSpec, data, report, doc)
    doc.parameters = _entries("parameters", ParameterSpec, data, report, doc)
    doc.rules = _entries("rules", RuleSpec, data, report, doc)
    _target_groups(data, report, doc)
    _unique_names(doc, report)
    doc.domain = validate_domain(data, report)
    return doc


def _first_span(source: LoadedSource) -> Span | None:
    return Span(source.files[0].display, 1, 1) if source.files else None



def _entries(section: str, model: type[M], data: dict[str, Any], report: Reporter,
             doc: PolicyDocument) -> dict[str, Entry[M]]:
    out: dict[str, Entry[M]] = {}
    for name, value in mapping(section, data, report).items():
        path: Path = (section, name)
        if not check_name(name, path, report):
            doc.broken.add(name)
            continue
        spec = one(model, value, path, report, recover=True)
        if spec is None:
            doc.broken.add(name)
        else:
            out[name] = Entry(name, spec, path)
    return out


def _target_groups(data: dict[str, Any], report: Reporter, doc: PolicyDocument) -> None:
    for name, value in mapping("target_groups", data, report).items():
        path: Path = ("target_groups", name)
        if not check_name(name, path, report):
            doc.broken.add(name)
            continue
        if not isinstance(value, dict):
            report.bag.error("UDB203", f"target group `{name}` must be a mapping",
                             report.span(path))
            doc.broken.add(name)
            continue
        criteria = None
        errors = len(report.bag)
        if "criteria" in value:
            criteria = _criteria(value["criteria"], (*path, "criteria"), report, doc)
        spec = one(TargetGroupSpec, value, path, report, recover=True)
        if spec is None or criteria is None or len(report.bag) > errors:
            doc.broken.add(name)
            if spec is None:
                continue
        doc.target_groups[name] = TargetGroupEntry(name, spec, criteria, path)


_COMBINATORS = ("all", "any", "not")


def _criteria(value: Any, path: Path, report: Reporter,
              doc: PolicyDocument) -> CriteriaNode | None:
    """A criteria tree: `all:`/`any:` lists, `not:` of one node, or a criterion."""
    if not isinstance(value, dict):
        report.bag.error(
            "UDB203", "criteria must be a mapping: `all:`, `any:`, `not:` or one criterion",
            report.span(path),
            "write e.g. `criteria: {all: [...]}` with each criterion having `id`, `title`, `when`")
        return None
    combinators = [k for k in _COMBINATORS if k in value]
    if not combinators:
        spec = one(Criterion, value, path, report, recover=True)
        if spec is None:
            ident = value.get("id")
            if isinstance(ident, str):
                doc.broken.add(ident)
            return None
        return CriterionEntry(spec, path)
    if len(value) != 1:
        extra = [k for k in value if k != combinators[0]]
        report.bag.error(
            "UDB203", f"`{combinators[0]}` cannot stand beside `{extra[0]}` in one mapping",
            report.span((*path, extra[0]), key=True),
            "put each combinator in its own mapping, e.g. a list item `- not: ...`")
        return None
    kind = combinators[0]
    inner: Path = (*path, kind)
    if kind == "not":
        node = _criteria(value["not"], inner, report, doc)
        return NotOf(node, inner) if node is not None else None
    items = value[kind]
    if not isinstance(items, list) or not items:
        report.bag.error("UDB203", f"`{kind}` needs a non-empty list of criteria",
                         report.span(inner))
        return None
    # The valid criteria are kept beside an invalid one, so that their mistakes are
    # reported too; the caller sees from the bag that the tree is incomplete.
    nodes = [_criteria(item, (*inner, i), report, doc) for i, item in enumerate(items)]
    kept = tuple(n for n in nodes if n is not None)
    if not kept:
        return None
    return AllOf(kept, inner) if kind == "all" else AnyOf(kept, inner)


def _choice_values(doc: PolicyDocument) -> dict[str, tuple[str, Path]]:
    """Every value of every choice declared in `facts`, with the fact and its place."""
    out: dict[str, tuple[str, Path]] = {}

    def visit(name: str, spec: FactSpec, path: Path) -> None:
        if spec.values is not None:
            for i, value in enumerate(spec.values):
                out.setdefault(value, (name, (*path, "values", i)))
        for key, field_spec in (spec.fields or {}).items():
            visit(f"{name}.{key}", field_spec, (*path, "fields", key))

    for name, entry in doc.facts.items():
        visit(name, entry.spec, entry.path)
    return out


def _unique_names(doc: PolicyDocument, report: Reporter) -> None:
    """Facts, parameters, rules, target groups and criteria share one namespace."""
    seen: dict[str, tuple[str, Path]] = {}
    where: dict[str, Span | None] = {}

    def claim(name: str, kind: str, path: Path, key_of: Callable[[Path], Span | None]) -> None:
        if name in seen:
            other_kind = seen[name][0]
            what = (f"the {kind} `{name}` is defined twice" if kind == other_kind
                    else f"`{name}` is defined as a {kind} and as a {other_kind}")
            report.bag.error(
                "UDB207", what, key_of(path),
                "give each fact, parameter, rule, target group and criterion its own name",
                notes=[("the other definition", where[name])])
        else:
            seen[name] = (kind, path)
            where[name] = key_of(path)

    def key(path: Path) -> Span | None:
        return report.span(path, key=True)

    for section, kind in (("facts", "fact"), ("parameters", "parameter"), ("rules", "rule")):
        entries: dict[str, Any] = getattr(doc, section)
        for name, entry in entries.items():
            claim(name, kind, entry.path, key)
    for name, group in doc.target_groups.items():
        claim(name, "target group", group.path, key)
    choices = _choice_values(doc)
    for name, (kind, path) in seen.items():
        if name in choices:
            fact, value_path = choices[name]
            report.bag.error(
                "UDB211", f"`{name}` names a {kind} and is also a value of `{fact}`",
                report.span(path, key=True),
                notes=[("the value is declared here", report.span(value_path))])
    for _, criterion in doc.criteria():
        claim(criterion.spec.id, "criterion", (*criterion.path, "id"),
              lambda p: report.span(p))
