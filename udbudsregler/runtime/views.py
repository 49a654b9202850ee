"""What the text and reason modules read of a decision and of a settlement.

They take these protocols rather than the classes, which are built on top of them
(a :class:`~udbudsregler.runtime.decision.Decision` renders its explanation with
:mod:`udbudsregler.runtime.explain`), so the modules form no import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from udbudsregler.runtime.program import Program
from udbudsregler.runtime.reason import Reason
from udbudsregler.runtime.routing import AreaChoice, PackageChoice, SupplierChoice
from udbudsregler.values.money import Money

if TYPE_CHECKING:  # a decision needs none of the settlement's records
    from udbudsregler.runtime.settlement_records import (
        BonusStatus,
        Referral,
        ReferralEnd,
        SettlementLine,
    )

__all__ = ["DecisionView", "SettlementView"]


class DecisionView(Protocol):
    """A decision, as its reasons and explanation read it."""

    @property
    def policy(self) -> Program: ...
    @property
    def facts(self) -> dict[str, Any]: ...
    @property
    def on(self) -> date: ...
    @property
    def target_groups(self) -> tuple[str, ...]: ...
    @property
    def routing(self) -> AreaChoice | None: ...
    @property
    def supplier_choice(self) -> SupplierChoice | None: ...
    @property
    def package_choice(self) -> PackageChoice | None: ...
    @property
    def area(self) -> str | None: ...
    @property
    def areas(self) -> tuple[str, ...]: ...
    @property
    def reasons(self) -> tuple[Reason, ...]: ...


class SettlementView(Protocol):
    """A settlement, as its explanation reads it."""

    @property
    def policy(self) -> Program: ...
    @property
    def referral(self) -> Referral: ...
    @property
    def since(self) -> date: ...
    @property
    def until(self) -> date: ...
    @property
    def end(self) -> ReferralEnd: ...
    @property
    def lines(self) -> Sequence[SettlementLine]: ...
    @property
    def bonuses(self) -> Sequence[BonusStatus]: ...
    @property
    def price_model(self) -> str: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def total_money(self) -> Money: ...
