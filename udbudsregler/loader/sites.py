"""Where the tender sections hold expressions, and what each must give."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from udbudsregler.loader.reporting import Path
from udbudsregler.loader.validate import PolicyDocument

__all__ = ["CONTEXTS", "WHERE_KNOWN", "Site", "domain_sites", "invariant_sites"]

#: What an expression may read besides the policy's names, by the kind of place it is in:
#: an outcome's `holds` reads the `day` and whether the host `reported` the outcome on it;
#: a result payment's amount reads which `result` it is and the `time_to_result`; a
#: supplier selection reads the `supplier`.
CONTEXTS: dict[str, tuple[str, ...]] = {
    "": (),
    "outcome": ("day", "reported"),
    "result": ("result", "time_to_result"),
    "supplier": ("supplier",),
}

#: Where each of those names has a value, for the messages about one read elsewhere.
WHERE_KNOWN: dict[str, str] = {
    "result": "in a result payment's amount (and its tiers' amounts), when a settlement "
              "knows which result was reached",
    "time_to_result": "in a result payment's amount (and its tiers' amounts), when a "
                      "settlement knows when the result came",
    "day": "in an outcome's `holds`, which a settlement reads day by day",
    "reported": "in an outcome's `holds`, which a settlement reads day by day",
    "supplier": "in a supplier selection's `only`, which is read for each supplier of the "
                "area",
}

Reads = Literal["constants", "facts", "anything"]


@dataclass(frozen=True)
class Site:
    """One expression of a tender section.

    ``expects`` is one of ``bool``, ``money``, ``duration`` or ``hours``;
    ``owner`` is the graph node it belongs to (e.g. ``service_areas.udsatte``);
    ``reads``: ``constants`` (parameters only, no facts, not the decision date: spans
    and durations), ``facts`` (also the citizen's facts: prices and conditions of
    payments), ``anything`` (area conditions, invariants); ``context`` names the extra
    names of the place (see :data:`CONTEXTS`).
    """

    path: Path
    text: str
    expects: str
    owner: str
    reads: Reads
    context: str = ""

    @property
    def constant_only(self) -> bool:
        return self.reads == "constants"


def domain_sites(doc: PolicyDocument) -> Iterator[Site]:
    domain = doc.domain
    for name, outcome in domain.outcomes.items():
        if outcome.spec.holds is not None:
            yield Site((*outcome.path, "holds"), outcome.spec.holds, "bool",
                       f"outcomes.{name}", "facts", "outcome")
    for name, area in domain.areas.items():
        owner = f"service_areas.{name}"
        if area.spec.when is not None:
            yield Site((*area.path, "when"), area.spec.when, "bool", owner, "anything")
        selection = area.spec.selection
        if selection is not None and selection.distance is not None:
            yield Site((*area.path, "selection", "distance"), selection.distance, "number",
                       owner, "facts", "supplier")
        if selection is not None and selection.only is not None:
            yield Site((*area.path, "selection", "only"), selection.only, "bool", owner,
                       "facts", "supplier")
    for name, package in domain.packages.items():
        owner = f"course_packages.{name}"
        span = package.spec.weekly_hours
        if span is not None:
            yield Site((*package.path, "weekly_hours", "min"), span.min, "hours", owner,
                       "constants")
            yield Site((*package.path, "weekly_hours", "max"), span.max, "hours", owner,
                       "constants")
        if package.spec.max_duration is not None:
            yield Site((*package.path, "max_duration"), package.spec.max_duration, "duration",
                       owner, "constants")
    for name, model in domain.price_models.items():
        owner = f"price_models.{name}"
        spec = model.spec
        if spec.weekly_price is not None:
            yield Site((*model.path, "weekly_price"), spec.weekly_price, "money", owner,
                       "facts")
        for ident, payment in (spec.payments or {}).items():
            base = (*model.path, "payments", ident)
            yield Site((*base, "amount"), payment.amount, "money", owner, "facts")
            if payment.when is not None:
                yield Site((*base, "when"), payment.when, "bool", owner, "facts")
        for i, bonus in enumerate(spec.bonuses):
            base = (*model.path, "bonuses", i)
            yield Site((*base, "amount"), bonus.amount, "money", owner, "facts")
            yield Site((*base, "lasting"), bonus.lasting, "duration", owner, "constants")
        for ident, result in (spec.results or {}).items():
            base = (*model.path, "results", ident)
            if result.amount is not None:
                yield Site((*base, "amount"), result.amount, "money", owner, "facts", "result")
            for tier, tier_spec in (result.tiers or {}).items():
                yield Site((*base, "tiers", tier, "amount"), tier_spec.amount, "money", owner,
                           "facts", "result")
                if tier_spec.within is not None:
                    yield Site((*base, "tiers", tier, "within"), tier_spec.within, "duration",
                               owner, "constants")
            if result.lasting is not None:
                yield Site((*base, "lasting"), result.lasting, "duration", owner, "constants")
            if result.within not in ("referral", "course"):
                yield Site((*base, "within"), result.within, "duration", owner, "constants")
            if result.when is not None:
                yield Site((*base, "when"), result.when, "bool", owner, "facts")
        caps = spec.caps
        if caps is not None and caps.max_duration is not None:
            yield Site((*model.path, "caps", "max_duration"), caps.max_duration, "duration",
                       owner, "constants")
        if caps is not None and caps.max_amount is not None:
            yield Site((*model.path, "caps", "max_amount"), caps.max_amount, "money", owner,
                       "facts")
    referral = domain.referral
    if referral is not None:
        yield Site(("referral", "max_duration"), referral.spec.max_duration, "duration",
                   "referral", "constants")
        if referral.spec.aftercare is not None:
            yield Site(("referral", "aftercare"), referral.spec.aftercare, "duration",
                       "referral", "constants")
        if referral.spec.total_duration is not None:
            yield Site(("referral", "total_duration"), referral.spec.total_duration,
                       "duration", "referral", "constants")


def invariant_sites(doc: PolicyDocument) -> Iterator[Site]:
    """The `holds:` expressions of the invariants: conditions over a citizen's facts."""
    for name, invariant in doc.domain.invariants.items():
        if invariant.spec.holds is not None:
            yield Site((*invariant.path, "holds"), invariant.spec.holds, "bool",
                       f"invariants.{name}", "anything")
