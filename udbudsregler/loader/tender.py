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
    "PaymentSpec",
    "PriceModelSpec",
    "ReferralSpec",
    "ResultSpec",
    "RoutingSpec",
    "SelectionSpec",
    "SupplierSpec",
    "TierSpec",
]

#: Result goals of a course package (resultatmål/formål).
GOALS = ("ordinary_job", "education", "internship", "wage_subsidy", "clarification")
Goal = Literal["ordinary_job", "education", "internship", "wage_subsidy", "clarification"]
STRATEGIES = ("rotation", "lowest_load", "first", "nearest")


class _Cited(_Model):
    """What every tender rule may carry, so an explanation can cite it."""

    legal_basis: Text | None = None
    source: Text | None = None
    reading: Text | None = None
    description: Text | None = None


class OutcomeSpec(_Model):
    """A kind of outcome the host reports as a history (e.g. self-support).

    ``holds``, if given, decides day by day whether the outcome holds, from what the host
    reports (``reported``: the host reported the outcome on the ``day``) and the
    citizen's facts, e.g. ``reported and not covers(benefits, day)``.
    """

    title: Text
    description: Text | None = None
    holds: ExprText | None = None
    reading: Text | None = None
    source: Text | None = None


class SupplierSpec(_Model):
    id: Ident
    name: Text
    #: The name is a stand-in until the contract is awarded.
    placeholder: bool = False
    note: Text | None = None
    #: What the policy's rules may read of the supplier as `supplier.<name>` (a
    #: municipality, a postcode): text, whole numbers or true/false.
    attributes: dict[Ident, str | bool | int] | None = None


class SelectionSpec(_Model):
    """How a supplier of an area is chosen for a referral."""

    #: Honour the citizen's own choice when it is given and valid.
    citizen_choice: bool = True
    #: Otherwise: `rotation` (by the referral's sequence number), `lowest_load`
    #: (lowest load relative to capacity, both supplied by the host), `first`, or
    #: `nearest` (the supplier with the least `distance`).
    strategy: Literal["rotation", "lowest_load", "first", "nearest"]
    #: For `nearest`: the distance of a supplier from the citizen, an expression over the
    #: citizen's facts and `supplier` (its `id` and `attributes`); the least wins.
    distance: ExprText | None = None
    #: Which suppliers may be chosen for the citizen (e.g. those of the citizen's
    #: municipality): a condition over the facts and `supplier`.
    only: ExprText | None = None
    reading: Text | None = None
    source: Text | None = None

    @model_validator(mode="after")
    def _distance(self) -> SelectionSpec:
        if self.strategy == "nearest" and self.distance is None:
            raise PydanticCustomError(
                "udb202_distance", "`strategy: nearest` needs its `distance`",
                {"hint": "write the distance of a supplier from the citizen, e.g. "
                         "`distance: \"min(d.km for d in distances where d.supplier == "
                         "supplier.id else 1000)\"`"})
        if self.distance is not None and self.strategy != "nearest":
            raise PydanticCustomError(
                "udb201_distance", "`distance` belongs to `strategy: nearest`",
                {"at": ["distance"], "key": True,
                 "hint": "remove `distance`, or choose `strategy: nearest`"})
        return self


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
    ``reading`` says why); a citizen who does is an error when decided (UDB707),
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
    #: The result goal, or several (`[ordinary_job, education]`: job or education).
    goal: Goal | list[Goal]
    #: The chapter of the Danish Act on an Active Employment Effort (LAB) the package is
    #: under; a policy of another jurisdiction leaves it out.
    lab_chapter: Literal[14, 26] | None = None
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
    #: The periodic payments of one referral never exceed this amount.
    max_amount: ExprText | None = None


class PaymentSpec(_Cited):
    """A payment for the time in the service: per day, week or month, or once."""

    title: Text
    #: `day`, `week` or `month` (counted from the referral's start), or `once` (paid on the
    #: referral's first day).
    per: Literal["day", "week", "month", "once"]
    #: How a week or month the payment only partly covers is paid: in proportion to its
    #: days (`pro_rata_days`), in full once started (`started`), or not (`whole`).
    partial: Literal["pro_rata_days", "started", "whole"] = "pro_rata_days"
    #: Which days it is paid for: the course only, or the whole referral with aftercare.
    during: Literal["course", "referral"] = "course"
    #: The amount per unit (or the one-off amount): may read the citizen's facts.
    amount: ExprText
    #: Paid only when this holds for the citizen (read on the referral's first day).
    when: ExprText | None = None

    @model_validator(mode="after")
    def _partial(self) -> PaymentSpec:
        if self.per in ("day", "once") and "partial" in self.model_fields_set:
            raise PydanticCustomError(
                "udb201_partial", "`partial` belongs to payments per week or per month",
                {"at": ["partial"], "key": True, "hint": "remove `partial`"})
        return self


class TierSpec(_Cited):
    """One amount of a result payment, by how soon the result came."""

    title: Text | None = None
    #: The result counts for this tier when it began within this long of the referral's
    #: start; the last tier may leave it out (any later result).
    within: ExprText | None = None
    amount: ExprText


class ResultSpec(_Cited):
    """A one-off payment for a result: a bonus, a milestone, a part of a result payment."""

    title: Text
    #: The outcome, or outcomes (any of them), that make the result; `result` names which.
    outcome: Ident | list[Ident] | None = None
    #: Where the period the outcome must last begins: when the outcome starts (within
    #: `within`), the day after the course ends, on its last day, or the referral's start
    #: (a milestone without an outcome).
    from_: Literal["outcome_start", "day_after_course_end", "course_end",
                   "referral_start"] = Field("outcome_start", alias="from")
    #: How long the outcome must hold without a break from there (e.g. `6 months`).
    lasting: ExprText | None = None
    #: Where the outcome must start to count, for `from: outcome_start`: during the
    #: referral (`referral`), the course (`course`), or within a duration of the
    #: referral's start (e.g. `1 year`).
    within: ExprText = "referral"
    #: The amount; may read the citizen's facts, `result` (which outcome) and
    #: `time_to_result` (from the referral's start to the outcome's start).
    amount: ExprText | None = None
    #: Or the amount by how soon the result came: the first tier that holds.
    tiers: dict[Ident, TierSpec] | None = None
    #: Paid only when this holds for the citizen (read on the referral's first day).
    when: ExprText | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ResultSpec:
        if (self.amount is None) == (self.tiers is None):
            raise PydanticCustomError(
                "udb202_amount", "a result payment needs either `amount` or `tiers`",
                {"hint": "write `amount: 25000 DKK`, or `tiers:` with an amount for each "
                         "time to the result"})
        if self.outcome is None and self.from_ != "referral_start":
            raise PydanticCustomError(
                "udb202_outcome", "a result payment needs its `outcome`",
                {"hint": "name the outcome (or outcomes) that make the result, or write "
                         "`from: referral_start` for a payment at the start"})
        if self.from_ == "referral_start":
            for key in ("outcome", "lasting", "within"):
                if key in self.model_fields_set:
                    raise PydanticCustomError(
                        "udb201_start", "`{key}` does not belong to a payment made at the "
                        "referral's start", {"key": key, "at": [key],
                                             "hint": f"remove `{key}`, or write `from: "
                                                     "outcome_start` for a payment for a "
                                                     "result"})
        if self.tiers is not None and not self.tiers:
            raise PydanticCustomError("udb203_tiers", "`tiers` is empty",
                                      {"at": ["tiers"], "hint": "give at least one tier"})
        return self

    @property
    def outcomes(self) -> list[str]:
        if self.outcome is None:
            return []
        return [self.outcome] if isinstance(self.outcome, str) else list(self.outcome)


class PriceModelSpec(_Cited):
    title: Text
    #: The price per week (the short form of one payment per week).
    weekly_price: ExprText | None = None
    #: How a week the course only partly covers is paid.
    partial_weeks: Literal["pro_rata_days", "started_weeks", "whole_weeks"] | None = None
    #: Which days the weekly price is paid for: the course only (until the outcome that
    #: ends it), or the whole referral including aftercare.
    billed: Literal["course", "referral"] = "course"
    bonuses: list[BonusSpec] = Field(default_factory=list)
    #: Payments for the time in the service (the general form of `weekly_price`).
    payments: dict[Ident, PaymentSpec] | None = None
    #: Payments for results (the general form of `bonuses`).
    results: dict[Ident, ResultSpec] | None = None
    caps: CapsSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PriceModelSpec:
        if self.weekly_price is None and not self.payments and not self.results \
                and not self.bonuses:
            raise PydanticCustomError(
                "udb202_price", "a price model needs `weekly_price`, `payments` or `results`",
                {"hint": "write `weekly_price:` (an amount in the policy's currency) with "
                         "`partial_weeks`, or `payments:` with a payment per day, week, "
                         "month or once"})
        if self.weekly_price is not None and self.partial_weeks is None:
            raise PydanticCustomError(
                "udb202_partial", "`weekly_price` needs `partial_weeks`",
                {"hint": "say how a week the course only partly covers is paid: "
                         "`pro_rata_days`, `started_weeks` or `whole_weeks`"})
        if self.partial_weeks is not None and self.weekly_price is None:
            raise PydanticCustomError(
                "udb201_partial", "`partial_weeks` belongs to `weekly_price`",
                {"at": ["partial_weeks"], "key": True,
                 "hint": "remove it; a payment of `payments` has its own `partial`"})
        if self.payments is not None and self.weekly_price is not None \
                and "weekly" in self.payments:
            raise PydanticCustomError(
                "udb207_payment", "the payment `weekly` is also given as `weekly_price`",
                {"at": ["payments", "weekly"], "key": True,
                 "hint": "keep one of them"})
        ids = [b.id for b in self.bonuses]
        for i, ident in enumerate(ids):
            if ident in ids[:i] or (self.results is not None and ident in self.results):
                raise PydanticCustomError(
                    "udb207_bonus", "the bonus `{id}` is defined twice",
                    {"id": ident, "at": ["bonuses", i, "id"],
                     "hint": "give each bonus and result payment its own id"})
        return self


class ReferralSpec(_Cited):
    """How long a referral lasts (visitationsperiode), and what ends it."""

    max_duration: ExprText
    #: The outcome (or outcomes) that end the course, if any.
    ends_on: Ident | list[Ident] | None = None
    #: How long aftercare lasts after that outcome starts; without it, the referral ends
    #: when the outcome ends the course.
    aftercare: ExprText | None = None
    #: When the outcome ends the course: the day before it starts (`when_outcome_starts`),
    #: or the course runs to its recorded end and aftercare follows (`as_recorded`).
    course_ends: Literal["when_outcome_starts", "as_recorded"] = "when_outcome_starts"
    #: The longest all linked referrals of a citizen may last together (a referral and
    #: its extensions); the host gives the earlier ones as the referral's `previous`.
    total_duration: ExprText | None = None

    @model_validator(mode="after")
    def _together(self) -> ReferralSpec:
        if self.aftercare is not None and self.ends_on is None:
            raise PydanticCustomError(
                "udb202_aftercare", "`aftercare` needs `ends_on`: the outcome that starts it",
                {"hint": "name the outcome that ends the course, e.g. `ends_on: "
                         "selvforsoergelse`"})
        if self.course_ends != "when_outcome_starts" and self.ends_on is None:
            raise PydanticCustomError(
                "udb201_course_ends", "`course_ends` belongs to a referral with `ends_on`",
                {"at": ["course_ends"], "key": True, "hint": "remove it, or add `ends_on`"})
        return self

    @property
    def ending_outcomes(self) -> list[str]:
        if self.ends_on is None:
            return []
        return [self.ends_on] if isinstance(self.ends_on, str) else list(self.ends_on)


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
    #: The condition states its limits as values, not through parameters: a round that
    #: changes a parameter (``extends:``) is still held to the same limit. The checker
    #: rejects a parameter in the condition (UDB432).
    absolute: bool = False

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
