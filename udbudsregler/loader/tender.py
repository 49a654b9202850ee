"""pydantic models of the tender sections of a policy.

``outcomes``, ``service_areas``, ``routing``, ``course_packages``,
``price_models`` and ``referral``: the vocabulary of a tender round. As with
the core sections, expressions stay text here; they are parsed and checked by
the later stages with the types each place expects.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from udbudsregler.loader.documents import DateText, ExprText, Ident, Text, _Model

__all__ = [
    "CHECKS",
    "GOALS",
    "AreaSpec",
    "BonusSpec",
    "CapsSpec",
    "HoursSpan",
    "InvariantSpec",
    "OutcomeSpec",
    "PackageSpec",
    "PriceModelSpec",
    "ReferralSpec",
    "RoutingSpec",
    "SelectionSpec",
    "SupplierSpec",
]

#: Result goals of a course package (resultatmål/formål).
GOALS = ("ordinary_job", "education", "internship", "wage_subsidy", "clarification")
STRATEGIES = ("rotation", "lowest_load", "first")


class _Cited(_Model):
    """What every tender rule may carry, so an explanation can cite it."""

    legal_basis: Text | None = None
    source: Text | None = None
    reading: Text | None = None
    description: Text | None = None


class OutcomeSpec(_Model):
    """A kind of outcome the host reports as a history (e.g. self-support)."""

    title: Text
    description: Text | None = None


class SupplierSpec(_Model):
    id: Ident
    name: Text
    #: The name is a stand-in until the contract is awarded.
    placeholder: bool = False
    note: Text | None = None


class SelectionSpec(_Model):
    """How a supplier of an area is chosen for a referral."""

    #: Honour the citizen's own choice when it is given and valid.
    citizen_choice: bool = True
    #: Otherwise: `rotation` (by the referral's sequence number), `lowest_load`
    #: (lowest load relative to capacity, both supplied by the host), or `first`.
    strategy: Literal["rotation", "lowest_load", "first"]
    reading: Text | None = None
    source: Text | None = None


class AreaSpec(_Cited):
    title: Text
    #: The target groups the area is for; a citizen in any of them fits the area.
    serves: list[Ident] = Field(min_length=1)
    #: An extra condition a citizen must meet to fit the area.
    when: ExprText | None = None
    suppliers: list[SupplierSpec] = Field(min_length=1)
    selection: SelectionSpec | None = None
    #: How many suppliers the area has today (before the round), for the record.
    current_suppliers: int | None = None

    @model_validator(mode="after")
    def _suppliers(self) -> AreaSpec:
        ids = [s.id for s in self.suppliers]
        for index, ident in enumerate(ids):
            if ident in ids[:index]:
                raise PydanticCustomError(
                    "udb207_supplier", "supplier `{id}` is listed twice",
                    {"id": ident, "at": ["suppliers", index, "id"],
                     "hint": "give each supplier of an area its own id"})
        if self.selection is None and len(self.suppliers) > 1:
            raise PydanticCustomError(
                "udb202_selection",
                "an area with several suppliers needs `selection` (how one is chosen)", {})
        return self


class RoutingSpec(_Cited):
    """Which area a citizen who fits several goes to: the first in ``priority``.

    Or ``exclusive: true``: the policy states that no citizen fits two areas (its
    ``reading`` says why); a citizen who does is an error when decided (UDB706),
    never a silent choice.
    """

    priority: list[Ident] | None = Field(default=None, min_length=1)
    exclusive: bool = False

    @model_validator(mode="after")
    def _one(self) -> RoutingSpec:
        if self.priority is None and not self.exclusive:
            raise PydanticCustomError(
                "udb202_routing", "`routing` needs `priority` or `exclusive: true`",
                {"hint": "list the areas under `priority:`, the first that fits wins; or "
                         "write `exclusive: true` if no citizen can fit two areas"})
        if self.priority is not None and self.exclusive:
            raise PydanticCustomError(
                "udb203_routing", "`routing` takes `priority` or `exclusive: true`, not both",
                {"at": ["exclusive"], "key": True,
                 "hint": "keep `priority` if a citizen can fit several areas; otherwise "
                         "remove it"})
        return self


class HoursSpan(_Model):
    """The flexible span of weekly hours a package allows (timetalsspænd)."""

    min: ExprText
    max: ExprText


class PackageSpec(_Cited):
    title: Text
    #: The areas that offer the package.
    areas: list[Ident] = Field(min_length=1)
    goal: Literal["ordinary_job", "education", "internship", "wage_subsidy", "clarification"]
    lab_chapter: Literal[14, 26]
    #: None: the package has no span; the order states no hours.
    weekly_hours: HoursSpan | None = None
    max_duration: ExprText | None = None
    price_model: Ident


class BonusSpec(_Cited):
    """A result bonus: the outcome must hold on every day of a period after the course."""

    id: Ident
    title: Text
    amount: ExprText
    #: The outcome kind that must hold (a key of `outcomes`).
    outcome: Ident
    #: For how long it must hold without a break, e.g. `4 months`.
    lasting: ExprText
    #: When that period starts: the day after the course ends, or on its last day.
    starting: Literal["day_after_course_end", "course_end"] = "day_after_course_end"


class CapsSpec(_Model):
    #: Billing stops after this long, counted from the referral's start.
    max_duration: ExprText | None = None
    #: The weekly payments of one referral never exceed this amount.
    max_amount: ExprText | None = None


class PriceModelSpec(_Cited):
    title: Text
    weekly_price: ExprText
    #: How a week the course only partly covers is paid.
    partial_weeks: Literal["pro_rata_days", "started_weeks", "whole_weeks"]
    #: Which days the weekly price is paid for: the course only (until the outcome that
    #: ends it), or the whole referral including aftercare.
    billed: Literal["course", "referral"] = "course"
    bonuses: list[BonusSpec] = Field(default_factory=list)
    caps: CapsSpec | None = None


class ReferralSpec(_Cited):
    """How long a referral lasts (visitationsperiode)."""

    max_duration: ExprText
    #: The outcome that ends the course and starts aftercare (e.g. self-support).
    ends_on: Ident | None = None
    #: How long aftercare lasts after that outcome starts.
    aftercare: ExprText | None = None

    @model_validator(mode="after")
    def _together(self) -> ReferralSpec:
        if (self.ends_on is None) != (self.aftercare is None):
            raise PydanticCustomError(
                "udb202_aftercare", "`ends_on` and `aftercare` go together", {})
        return self


#: The built-in invariants a policy can declare with `check:`.
CHECKS = ("eligible_routed", "failed_criterion_blocks", "payment_not_negative",
          "no_bonus_before_course_end")


class InvariantSpec(_Cited):
    """A property every citizen (or every referral) must have; checked by property tests.

    Either a built-in ``check`` or an expression that ``holds`` for every citizen.
    """

    id: Ident
    title: Text
    check: Literal["eligible_routed", "failed_criterion_blocks", "payment_not_negative",
                   "no_bonus_before_course_end"] | None = None
    holds: ExprText | None = None
    #: The decision date citizens are generated around (default: the round's first day).
    on: DateText | None = None

    @model_validator(mode="after")
    def _one(self) -> InvariantSpec:
        if self.check is None and self.holds is None:
            raise PydanticCustomError(
                "udb202_invariant", "an invariant needs either `check` or `holds`",
                {"hint": "write `holds:` with a condition every citizen must meet, or `check:` "
                         "with one of the built-in checks"})
        if self.check is not None and self.holds is not None:
            raise PydanticCustomError(
                "udb203_invariant", "an invariant takes `check` or `holds`, not both",
                {"at": ["holds"], "key": True,
                 "hint": "keep one of them; write a second invariant for the other"})
        return self
