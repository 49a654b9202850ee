"""Validate the tender sections of a policy document, entry by entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from udbudsregler.loader.reporting import Entry, Path, Reporter, check_name, mapping, one
from udbudsregler.loader.tender import (
    AreaSpec,
    InvariantSpec,
    OutcomeSpec,
    PackageSpec,
    PriceModelSpec,
    ReferralSpec,
    RoutingSpec,
)

__all__ = ["DOMAIN_SECTIONS", "Domain", "validate_domain"]

DOMAIN_SECTIONS = ("outcomes", "service_areas", "routing", "course_packages", "price_models",
                   "referral", "invariants")


@dataclass
class Domain:
    """The validated tender sections (each entry keeps its path for locating errors)."""

    outcomes: dict[str, Entry[OutcomeSpec]]
    areas: dict[str, Entry[AreaSpec]]
    routing: Entry[RoutingSpec] | None
    packages: dict[str, Entry[PackageSpec]]
    price_models: dict[str, Entry[PriceModelSpec]]
    referral: Entry[ReferralSpec] | None
    invariants: dict[str, Entry[InvariantSpec]] = field(default_factory=dict)
    #: Names of entries whose definition is invalid: known to exist, so references to
    #: them cause no second error.
    broken: set[str] = field(default_factory=set)

    @classmethod
    def empty(cls) -> Domain:
        return cls({}, {}, None, {}, {}, None)


def _section(section: str, model: Any, data: dict[str, Any], report: Reporter,
             broken: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in mapping(section, data, report).items():
        path: Path = (section, name)
        if not check_name(name, path, report):
            broken.add(name)
            continue
        spec = one(model, value, path, report)
        if spec is not None:
            out[name] = Entry(name, spec, path)
        else:
            broken.add(name)
    return out


def _single(section: str, model: Any, data: dict[str, Any], report: Reporter) -> Any:
    if section not in data:
        return None
    spec = one(model, data[section], (section,), report)
    return Entry(section, spec, (section,)) if spec is not None else None


def validate_domain(data: dict[str, Any], report: Reporter) -> Domain:
    broken: set[str] = set()
    return Domain(
        outcomes=_section("outcomes", OutcomeSpec, data, report, broken),
        areas=_section("service_areas", AreaSpec, data, report, broken),
        routing=_single("routing", RoutingSpec, data, report),
        packages=_section("course_packages", PackageSpec, data, report, broken),
        price_models=_section("price_models", PriceModelSpec, data, report, broken),
        referral=_single("referral", ReferralSpec, data, report),
        invariants=_invariants(data, report),
        broken=broken,
    )


def _invariants(data: dict[str, Any], report: Reporter) -> dict[str, Entry[InvariantSpec]]:
    """The `invariants:` list, each with a unique id."""
    value = data.get("invariants")
    if value is None:
        return {}
    if not isinstance(value, list):
        report.bag.error("UDB203", "`invariants` must be a list", report.span(("invariants",)),
                         "write each invariant as a list item with `id`, `title` and `check` "
                         "or `holds`")
        return {}
    out: dict[str, Entry[InvariantSpec]] = {}
    for i, item in enumerate(value):
        path: Path = ("invariants", i)
        spec = one(InvariantSpec, item, path, report)
        if spec is None:
            continue
        if spec.id in out:
            report.bag.error("UDB207", f"the invariant `{spec.id}` is defined twice",
                             report.span((*path, "id")),
                             notes=[("the other definition",
                                     report.span((*out[spec.id].path, "id")))])
            continue
        out[spec.id] = Entry(spec.id, spec, path)
    return out
