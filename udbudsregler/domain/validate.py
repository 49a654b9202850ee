"""Validate the tender sections of a policy document, entry by entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from udbudsregler.domain.documents import (
    AreaSpec,
    OutcomeSpec,
    PackageSpec,
    PriceModelSpec,
    ReferralSpec,
    RoutingSpec,
)
from udbudsregler.loader.validate import (
    Entry,
    Path,
    PolicyDocument,
    _check_name,
    _mapping,
    _one,
    _Reporter,
)

__all__ = ["DOMAIN_SECTIONS", "Domain", "validate_domain"]

DOMAIN_SECTIONS = ("outcomes", "service_areas", "routing", "course_packages", "price_models",
                   "referral")


@dataclass
class Domain:
    """The validated tender sections (each entry keeps its path for locating errors)."""

    outcomes: dict[str, Entry[OutcomeSpec]]
    areas: dict[str, Entry[AreaSpec]]
    routing: Entry[RoutingSpec] | None
    packages: dict[str, Entry[PackageSpec]]
    price_models: dict[str, Entry[PriceModelSpec]]
    referral: Entry[ReferralSpec] | None

    @classmethod
    def empty(cls) -> Domain:
        return cls({}, {}, None, {}, {}, None)


def _section(section: str, model: Any, data: dict[str, Any], report: _Reporter,
             doc: PolicyDocument) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in _mapping(section, data, report).items():
        path: Path = (section, name)
        if not _check_name(name, path, report):
            continue
        spec = _one(model, value, path, report)
        if spec is not None:
            out[name] = Entry(name, spec, path)
    return out


def _single(section: str, model: Any, data: dict[str, Any], report: _Reporter) -> Any:
    if section not in data:
        return None
    spec = _one(model, data[section], (section,), report)
    return Entry(section, spec, (section,)) if spec is not None else None


def validate_domain(doc: PolicyDocument, data: dict[str, Any], report: _Reporter) -> Domain:
    return Domain(
        outcomes=_section("outcomes", OutcomeSpec, data, report, doc),
        areas=_section("service_areas", AreaSpec, data, report, doc),
        routing=_single("routing", RoutingSpec, data, report),
        packages=_section("course_packages", PackageSpec, data, report, doc),
        price_models=_section("price_models", PriceModelSpec, data, report, doc),
        referral=_single("referral", ReferralSpec, data, report),
    )
