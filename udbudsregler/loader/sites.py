"""Where the tender sections hold expressions, and what each must give."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from udbudsregler.loader.reporting import Path
from udbudsregler.loader.validate import PolicyDocument

__all__ = ["Site", "domain_sites", "invariant_sites"]


@dataclass(frozen=True)
class Site:
    """One expression of a tender section.

    ``expects`` is one of ``bool``, ``money``, ``duration`` or ``hours``;
    ``owner`` is the graph node it belongs to (e.g. ``service_areas.udsatte``);
    ``constant_only``: the expression may not depend on a citizen's facts.
    """

    path: Path
    text: str
    expects: str
    owner: str
    constant_only: bool


def domain_sites(doc: PolicyDocument) -> Iterator[Site]:
    domain = doc.domain
    for name, area in domain.areas.items():
        if area.spec.when is not None:
            yield Site((*area.path, "when"), area.spec.when, "bool",
                       f"service_areas.{name}", False)
    for name, package in domain.packages.items():
        owner = f"course_packages.{name}"
        span = package.spec.weekly_hours
        if span is not None:
            yield Site((*package.path, "weekly_hours", "min"), span.min, "hours", owner, True)
            yield Site((*package.path, "weekly_hours", "max"), span.max, "hours", owner, True)
        if package.spec.max_duration is not None:
            yield Site((*package.path, "max_duration"), package.spec.max_duration, "duration",
                       owner, True)
    for name, model in domain.price_models.items():
        owner = f"price_models.{name}"
        yield Site((*model.path, "weekly_price"), model.spec.weekly_price, "money", owner, True)
        for i, bonus in enumerate(model.spec.bonuses):
            base = (*model.path, "bonuses", i)
            yield Site((*base, "amount"), bonus.amount, "money", owner, True)
            yield Site((*base, "lasting"), bonus.lasting, "duration", owner, True)
        caps = model.spec.caps
        if caps is not None and caps.max_duration is not None:
            yield Site((*model.path, "caps", "max_duration"), caps.max_duration, "duration",
                       owner, True)
        if caps is not None and caps.max_amount is not None:
            yield Site((*model.path, "caps", "max_amount"), caps.max_amount, "money", owner, True)
    referral = domain.referral
    if referral is not None:
        yield Site(("referral", "max_duration"), referral.spec.max_duration, "duration",
                   "referral", True)
        if referral.spec.aftercare is not None:
            yield Site(("referral", "aftercare"), referral.spec.aftercare, "duration", "referral",
                       True)


def invariant_sites(doc: PolicyDocument) -> Iterator[Site]:
    """The `holds:` expressions of the invariants: conditions over a citizen's facts."""
    for name, invariant in doc.domain.invariants.items():
        if invariant.spec.holds is not None:
            yield Site((*invariant.path, "holds"), invariant.spec.holds, "bool",
                       f"invariants.{name}", False)
