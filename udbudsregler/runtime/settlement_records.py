"""The parts of a settlement: the referral, its outcomes and end, the lines and bonuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from udbudsregler.values.canonical import to_json
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Period

#: Why a referral ended (or that it has not): its longest duration (or the longest all
#: linked referrals may last), aftercare completed, stopped by the job centre, or an
#: outcome that ends it without aftercare.
EndCause = Literal["max_duration", "aftercare_completed", "stopped", "outcome", "ongoing"]
#: The kind of a settlement line: the weekly price (`weekly_price`), a payment of
#: `payments`, a bonus (`bonuses`), a result payment of `results`, a cap reached.
LineKind = Literal["weekly", "payment", "bonus", "result", "cap"]
#: Where a bonus or result payment stands.
BonusState = Literal["earned", "pending", "not_immediate", "too_short", "course_ongoing",
                     "not_reached", "not_applicable"]

__all__ = ["BonusState", "BonusStatus", "EndCause", "LineKind", "Outcome", "Referral",
           "ReferralEnd", "SettlementLine"]


@dataclass(frozen=True)
class Referral:
    """One citizen's referral to a supplier (henvisning)."""

    id: str
    start: date
    package: str
    supplier: str | None = None
    area: str | None = None
    #: The last day, when the job centre ended the referral early.
    stop: date | None = None
    #: The citizen's facts, for a price model whose amounts depend on them.
    facts: dict[str, Any] | None = None
    #: The periods of the earlier referrals it is linked to (an extension continues one).
    previous: tuple[Period, ...] = ()
    #: When the citizen changed supplier during the referral: (first day, new supplier).
    changes: tuple[tuple[date, str], ...] = ()

    @property
    def service_start(self) -> date:
        """The first day of the service: the start of the first of the linked referrals
        (this one, if it continues none)."""
        return min([self.start, *(p.start for p in self.previous)])

    def supplier_on(self, day: date) -> str | None:
        """The supplier the citizen had on ``day``."""
        current = self.supplier
        for first, supplier in self.changes:
            if first <= day:
                current = supplier
        return current


@dataclass(frozen=True)
class Outcome:
    kind: str
    period: Period


@dataclass(frozen=True)
class ReferralEnd:
    #: The last day of the referral; None while it is still running on ``until``.
    last_day: date | None
    cause: EndCause
    #: The last day of the course (before aftercare), if it has ended by ``until``.
    course_end: date | None
    #: Aftercare, when the outcome that starts it has occurred.
    aftercare: Period | None
    #: The latest day the referral can last (its maximum duration).
    latest_last_day: date
    #: The outcome that ended the course, and the day it began (a referral with `ends_on`).
    outcome: str | None = None
    outcome_began: date | None = None


@dataclass(frozen=True)
class SettlementLine:
    kind: LineKind
    #: For weekly lines: pro_rata_days | started_weeks | whole_weeks; for bonus lines the
    #: bonus id; for cap lines max_amount | max_duration.
    reason: str
    amount: Money
    period: Period | None = None
    quantity: int = 0
    #: days | weeks
    unit: str = ""
    unit_price: Money | None = None
    #: A cap cut this line short.
    capped: bool = False
    details: tuple[tuple[str, Any], ...] = ()
    #: The supplier the line is paid to, when the citizen changed supplier.
    supplier: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "reason": self.reason,
                               "amount": to_json(self.amount)}
        if self.supplier is not None:
            out["supplier"] = self.supplier
        if self.period is not None:
            out["period"] = to_json(self.period)
        if self.unit:
            out.update(quantity=self.quantity, unit=self.unit,
                       unit_price=to_json(self.unit_price))
        if self.capped:
            out["capped"] = True
        if self.details:
            out["details"] = {k: to_json(v) for k, v in self.details}
        return out


@dataclass(frozen=True)
class BonusStatus:
    id: str
    title: str
    status: BonusState
    amount: Money
    #: The period the outcome must cover without a break.
    window: Period | None = None
    #: For earned: the outcome's run that earned it; for too_short: how far it got.
    covered: Period | None = None
    #: too_short: the first day without the outcome.
    broke_on: date | None = None
    #: not_immediate: the day the outcome started, if it did.
    started_on: date | None = None
    #: Whether the bonus is invoiced in this settlement (earned inside [since, until]).
    invoiced: bool = False
    #: For a result payment: the outcome that made it, and the tier it was paid by.
    result: str | None = None
    tier: str | None = None
    #: The day it was earned.
    earned_on: date | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "status": self.status,
                               "amount": to_json(self.amount), "invoiced": self.invoiced}
        for key in ("window", "covered", "broke_on", "started_on", "result", "tier",
                    "earned_on"):
            value = getattr(self, key)
            if value is not None:
                out[key] = to_json(value)
        return out
