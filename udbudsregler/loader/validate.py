"""Stage ``validate``: check the shape of the policy document, entry by entry.

Each entry of each section (a fact, a parameter, a rule, a criterion) is
validated on its own, so one bad entry does not hide mistakes in the others.
pydantic's error locations are mapped back to file:line:column through the
loader's position map; raw pydantic text never reaches an author.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from udbudsregler.diagnostics import DiagnosticBag, Span, closest, did_you_mean, dotted_path

if TYPE_CHECKING:
    from udbudsregler.domain.validate import Domain
    from udbudsregler.loader.extends import Override
from udbudsregler.loader import LoadedSource, PositionMap
from udbudsregler.loader.documents import (
    IDENT_RE,
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
Path = tuple[str | int, ...]

#: The top-level sections a policy may have, in the order they are documented.
SECTIONS = ("policy", "facts", "parameters", "rules", "target_groups", "outcomes",
            "service_areas", "routing", "course_packages", "price_models", "referral",
            "invariants")


@dataclass(frozen=True)
class Entry(Generic[M]):
    """One validated entry of a section, with where it is written."""

    name: str
    spec: M
    path: Path


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
    domain: Domain = field(default_factory=lambda: _empty_domain())

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


def _empty_domain() -> Domain:
    from udbudsregler.domain.validate import Domain

    return Domain.empty()


def _dotted(path: Path) -> str:
    return dotted_path(path) or "(top level)"


class _Reporter:
    """Turns pydantic errors into located diagnostics."""

    def __init__(self, positions: PositionMap, bag: DiagnosticBag) -> None:
        self.positions = positions
        self.bag = bag

    def span(self, path: Path, key: bool = False, missing: bool = False) -> Span | None:
        if key:
            span = self.positions.key_span(path)
            if span is not None:
                return span
        info = self.positions.nearest(path)
        if info is None:
            return None
        # A missing key is reported at the key of the mapping that lacks it. Any other
        # mistake at a path that is not written (`hours: timer`, short for `{type: timer}`)
        # is in the value that stands for it.
        if missing and info.key_span is not None and self.positions.get(path) is None:
            return info.key_span
        return info.span

    def validation_error(self, error: ValidationError, base: Path, model: type[BaseModel]) -> None:
        items = error.errors(include_url=False)
        # A misspelt key is one mistake: it is reported as an unknown key with a
        # did-you-mean, not also as the missing key it was meant to be.
        misspelt: set[Path] = set()
        for item in items:
            if item["type"] == "extra_forbidden":
                loc = tuple(item["loc"])
                close = closest(str(loc[-1]), _allowed_keys(model, loc[:-1]))
                if close is not None:
                    misspelt.add((*loc[:-1], close))
        # The keys missing from one mapping are reported together, once.
        missing: dict[Path, list[str]] = {}
        for item in items:
            loc = tuple(item["loc"])
            if item["type"] == "missing" and loc not in misspelt:
                missing.setdefault(loc[:-1], []).append(str(loc[-1]))
        for item in items:
            loc = tuple(item["loc"])
            kind: str = item["type"]
            if kind == "missing":
                names = missing.pop(loc[:-1], []) if loc not in misspelt else []
                if names:
                    self.missing(base + loc, names)
                continue
            if loc and loc[-1] == "[key]":
                # pydantic reports a bad mapping key as (..., key, "[key]").
                self.report(kind, item, base + loc[:-1], model, loc[:-1], key=True)
            else:
                self.report(kind, item, base + loc, model, loc)

    def missing(self, path: Path, names: list[str]) -> None:
        where = _dotted(path[:-1]) if len(path) > 1 else "the document"
        shown = [f"`{name}`" for name in names]
        keys = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
        self.bag.error("UDB202", f"missing key{'s' if len(names) > 1 else ''} {keys} in `{where}`",
                       self.span(path, missing=True), "add the keys" if len(names) > 1 else None)

    def report(self, kind: str, item: Any, path: Path, model: type[BaseModel], loc: Path,
               key: bool = False) -> None:
        ctx = item.get("ctx") or {}
        where = _dotted(path[:-1]) if path else "the document"
        if kind == "missing":
            name = path[-1]
            self.bag.error("UDB202", f"missing key `{name}` in `{where}`",
                           self.span(path, missing=True))
            return
        if kind == "extra_forbidden":
            name = str(path[-1])
            allowed = _allowed_keys(model, loc[:-1])
            hint = did_you_mean(name, allowed)
            if hint is None and allowed:
                hint = "the keys here are " + ", ".join(f"`{k}`" for k in allowed)
            self.bag.error("UDB201", f"unknown key `{name}` in `{where}`",
                           self.span(path, key=True), hint)
            return
        if kind == "literal_error":
            expected = str(ctx.get("expected", ""))
            choices = [c.strip().strip("'") for c in expected.replace(" or ", ",").split(",")]
            choices = [c for c in choices if c]
            value = item.get("input")
            hint = did_you_mean(value, choices) if isinstance(value, str) else None
            hint = hint or "the choices are " + ", ".join(f"`{c}`" for c in choices)
            self.bag.error("UDB204", f"{_shown(value)} is not allowed for `{_dotted(path)}`",
                           self.span(path), hint)
            return
        if kind.startswith("udb"):
            # Our own errors may say where inside the entry they are (``at``, a path
            # relative to ``loc``), whether to point at the key, and give a hint.
            code = "UDB" + kind[3:6]
            path = path + tuple(ctx.get("at", ()))
            message = item["msg"]
            message = message[0].lower() + message[1:]
            if code == "UDB203" and message.startswith("expected"):
                message = f"`{_dotted(path)}`: {message}"
            # A missing part is reported at the key of the mapping that lacks it.
            key = key or bool(ctx.get("key")) or code == "UDB202"
            self.bag.error(code, message, self.span(path, key=key), ctx.get("hint"))
            return
        self.bag.error("UDB203", f"`{_dotted(path)}`: {_describe(kind, item)}",
                       self.span(path, key=key))


_KIND_TEXT = {
    "string_type": "expected text",
    "bool_type": "expected `true` or `false`",
    "bool_parsing": "expected `true` or `false`",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "list_type": "expected a list",
    "dict_type": "expected a mapping of keys to values",
    "model_type": "expected a mapping of keys to values",
    "model_attributes_type": "expected a mapping of keys to values",
    "none_required": "expected nothing here",
}


def _shown(value: Any) -> str:
    """A value as an author wrote it, on one short line (never a Python repr)."""
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = " ".join(str(value).split())
    return f"`{text[:40]}...`" if len(text) > 43 else f"`{text}`"


def _describe(kind: str, item: Any) -> str:
    text = _KIND_TEXT.get(kind)
    if text is not None:
        return text
    ctx = item.get("ctx") or {}
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return f"expected at least {least} item{'s' if least != 1 else ''}"
    if kind == "too_long":
        most = ctx.get("max_length", 1)
        return f"expected at most {most} item{'s' if most != 1 else ''}"
    bounds = {"greater_than": "more than", "greater_than_equal": "at least",
              "less_than": "less than", "less_than_equal": "at most"}
    if kind in bounds:
        limit = next(iter(ctx.values()), "")
        return f"expected a number {bounds[kind]} {limit}".rstrip()
    # pydantic's own wording (and Python's type names) never reach an author.
    return "this value has the wrong form"


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def _allowed_keys(model: type[BaseModel], loc: Path) -> list[str]:
    """The keys the model accepts at ``loc`` (for did-you-mean hints)."""
    current: list[Any] = [model]
    for part in loc:
        following: list[Any] = []
        for candidate in current:
            origin = typing.get_origin(candidate)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                for name, info in candidate.model_fields.items():
                    if (info.alias or name) == part:
                        following.extend(_unwrap(info.annotation))
            elif origin is list and isinstance(part, int):
                following.extend(_unwrap(typing.get_args(candidate)[0]))
            elif origin is dict and isinstance(part, str):
                following.extend(_unwrap(typing.get_args(candidate)[1]))
        current = following
    keys: list[str] = []
    for candidate in current:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            keys.extend(info.alias or name for name, info in candidate.model_fields.items())
    return keys


def validate_document(source: LoadedSource, bag: DiagnosticBag,
                      sections: Sequence[str] = SECTIONS) -> PolicyDocument:
    """Validate every section of ``source``; record all mistakes in ``bag``."""
    doc = PolicyDocument(source)
    report = _Reporter(source.positions, bag)
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
        doc.header = _one(PolicyHeader, data["policy"], ("policy",), report)

    doc.facts = _entries("facts", FactSpec, data, report, doc)
    doc.parameters = _entries("parameters", ParameterSpec, data, report, doc)
    doc.rules = _entries("rules", RuleSpec, data, report, doc)
    _target_groups(data, report, doc)
    _unique_names(doc, report)
    from udbudsregler.domain.validate import validate_domain

    doc.domain = validate_domain(doc, data, report)
    return doc


def _first_span(source: LoadedSource) -> Span | None:
    return Span(source.files[0].display, 1, 1) if source.files else None


def _one(model: type[M], value: Any, path: Path, report: _Reporter,
         recover: bool = False) -> M | None:
    """``value`` validated as ``model``, or None after reporting why it is not valid.

    With ``recover``, an entry whose only mistakes are unknown keys is still returned,
    validated without them, so that a misspelt optional key does not hide the rest of
    the entry (its expressions, its criteria) from the later stages.
    """
    try:
        return model.model_validate(value)
    except ValidationError as error:
        report.validation_error(error, path, model)
        if not recover:
            return None
        items = error.errors(include_url=False)
        if not all(item["type"] == "extra_forbidden" for item in items):
            return None
        cleaned = _without(value, [tuple(item["loc"]) for item in items])
        try:
            return model.model_validate(cleaned)
        except ValidationError:
            return None


def _without(value: Any, locs: list[Path]) -> Any:
    """A copy of ``value`` without the mapping keys at ``locs``."""
    if not isinstance(value, (dict, list)):
        return value
    heads = {loc[0] for loc in locs if len(loc) > 1}
    if isinstance(value, list):
        return [_without(item, [loc[1:] for loc in locs if loc[0] == i]) if i in heads else item
                for i, item in enumerate(value)]
    gone = {loc[0] for loc in locs if len(loc) == 1}
    return {key: _without(item, [loc[1:] for loc in locs if loc[0] == key])
            if key in heads else item
            for key, item in value.items() if key not in gone}


def _mapping(section: str, data: dict[str, Any], report: _Reporter) -> dict[str, Any]:
    value = data.get(section)
    if value is None:
        return {}
    if not isinstance(value, dict):
        report.bag.error("UDB203", f"`{section}` must be a mapping of names to definitions",
                         report.span((section,)))
        return {}
    return value


def _check_name(name: str, path: Path, report: _Reporter) -> bool:
    from udbudsregler.expr.parser import reserved_words

    if name in reserved_words():
        report.bag.error("UDB210", f"`{name}` is a word of the expression language",
                         report.span(path, key=True))
        return False
    if not IDENT_RE.match(name):
        report.bag.error(
            "UDB205", f"`{name}` is not a valid name", report.span(path, key=True),
            "names start with a lowercase letter and use lowercase letters, digits and `_`")
        return False
    return True


def _entries(section: str, model: type[M], data: dict[str, Any], report: _Reporter,
             doc: PolicyDocument) -> dict[str, Entry[M]]:
    out: dict[str, Entry[M]] = {}
    for name, value in _mapping(section, data, report).items():
        path: Path = (section, name)
        if not _check_name(name, path, report):
            doc.broken.add(name)
            continue
        spec = _one(model, value, path, report, recover=True)
        if spec is None:
            doc.broken.add(name)
        else:
            out[name] = Entry(name, spec, path)
    return out


def _target_groups(data: dict[str, Any], report: _Reporter, doc: PolicyDocument) -> None:
    for name, value in _mapping("target_groups", data, report).items():
        path: Path = ("target_groups", name)
        if not _check_name(name, path, report):
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
        spec = _one(TargetGroupSpec, value, path, report, recover=True)
        if spec is None or criteria is None or len(report.bag) > errors:
            doc.broken.add(name)
            if spec is None:
                continue
        doc.target_groups[name] = TargetGroupEntry(name, spec, criteria, path)


_COMBINATORS = ("all", "any", "not")


def _criteria(value: Any, path: Path, report: _Reporter,
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
        spec = _one(Criterion, value, path, report, recover=True)
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


def _unique_names(doc: PolicyDocument, report: _Reporter) -> None:
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
