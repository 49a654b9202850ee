"""Stage ``parse``: parse every expression of a validated policy document."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from udbudsregler.diagnostics import DiagnosticBag
from udbudsregler.expr.source import Path, SourceExpr, parse_at
from udbudsregler.loader.documents import FactSpec
from udbudsregler.loader.sites import Site, domain_sites, invariant_sites
from udbudsregler.loader.validate import CriterionEntry, PolicyDocument

__all__ = ["CriterionSite", "DatedExpr", "DomainExpr", "ParsedPolicy", "parse_policy"]


@dataclass(frozen=True)
class DatedExpr:
    """One value of a parameter; ``start`` is None for an undated parameter."""

    start: date | None
    expr: SourceExpr


@dataclass(frozen=True)
class CriterionSite:
    group: str
    entry: CriterionEntry
    when: SourceExpr


@dataclass(frozen=True)
class DomainExpr:
    site: Site
    expr: SourceExpr


@dataclass
class ParsedPolicy:
    doc: PolicyDocument
    parameters: dict[str, list[DatedExpr]] = field(default_factory=dict)
    rules: dict[str, SourceExpr] = field(default_factory=dict)
    criteria: dict[str, CriterionSite] = field(default_factory=dict)
    #: Criteria whose id another criterion has already (an error, UDB207): their
    #: conditions are checked all the same, so no other mistake hides behind it.
    duplicate_criteria: list[CriterionSite] = field(default_factory=list)
    #: The expressions of the tender sections, by their path in the document.
    domain: dict[Path, DomainExpr] = field(default_factory=dict)
    #: The constants of the facts' declarations (`min`, `max`, `default`), by the fact's
    #: dotted name (`offers.weekly_hours`) and the key.
    fact_constants: dict[tuple[str, str], SourceExpr] = field(default_factory=dict)

    def expressions(self) -> list[tuple[str, SourceExpr]]:
        """Every (owner name, expression) pair, in document order per section."""
        out: list[tuple[str, SourceExpr]] = []
        for name, values in self.parameters.items():
            out.extend((name, v.expr) for v in values)
        out.extend(self.rules.items())
        out.extend((ident, site.when) for ident, site in self.criteria.items())
        out.extend((d.site.owner, d.expr) for d in self.domain.values())
        return out


def _parse(text: str, path: Path, doc: PolicyDocument, bag: DiagnosticBag) -> SourceExpr:
    return parse_at(text, path, doc.positions.get(path), bag)


def parse_policy(doc: PolicyDocument, bag: DiagnosticBag) -> ParsedPolicy:
    parsed = ParsedPolicy(doc)
    for name, entry in doc.parameters.items():
        spec = entry.spec
        if spec.values is not None:
            parsed.parameters[name] = [
                DatedExpr(v.from_, _parse(v.value, (*entry.path, "values", i, "value"), doc, bag))
                for i, v in enumerate(spec.values)
            ]
        else:
            assert spec.value is not None
            path = (*entry.path, "value")
            if doc.positions.get(path) is None:  # shorthand `name: EXPR`
                path = entry.path
            parsed.parameters[name] = [DatedExpr(None, _parse(spec.value, path, doc, bag))]
    for name, rule in doc.rules.items():
        path = (*rule.path, "value")
        if doc.positions.get(path) is None:
            path = rule.path
        parsed.rules[name] = _parse(rule.spec.value, path, doc, bag)
    for group, criterion in doc.criteria():
        when = _parse(criterion.spec.when, (*criterion.path, "when"), doc, bag)
        criterion_site = CriterionSite(group, criterion, when)
        if criterion.spec.id in parsed.criteria:  # UDB207; its condition is still checked
            parsed.duplicate_criteria.append(criterion_site)
        else:
            parsed.criteria[criterion.spec.id] = criterion_site
    for site in (*domain_sites(doc), *invariant_sites(doc)):
        parsed.domain[site.path] = DomainExpr(site, _parse(site.text, site.path, doc, bag))
    for name, fact in doc.facts.items():
        _fact_constants(name, fact.spec, fact.path, parsed, bag)
    return parsed


def _fact_constants(name: str, spec: FactSpec, path: Path, parsed: ParsedPolicy,
                    bag: DiagnosticBag) -> None:
    """The `min`, `max` and `default` of a fact and of its fields, parsed. A text fact's
    default is its YAML text as written, and a list's is `[]`: neither is parsed."""
    doc = parsed.doc
    for key in ("min", "max", "default"):
        value = getattr(spec, key)
        if value is None or (key == "default" and (
                spec.type in ("text", "list", "history") or isinstance(value, (dict, list)))):
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        parsed.fact_constants[(name, key)] = _parse(text, (*path, key), doc, bag)
    for field_name, field_spec in (spec.fields or {}).items():
        _fact_constants(f"{name}.{field_name}", field_spec, (*path, "fields", field_name),
                        parsed, bag)
