"""The Decision a policy gives for a citizen on a date, with its reasons.

The outputs (eligibility, target groups, ...) come from the generated code.
The reasons are computed on first use by the reference interpreter, which
evaluates every criterion (not only up to the first that fails), records the
values each one used, and must agree with the generated code's outputs: if
it ever does not, that is reported as an error (UDB704), never shown.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from udbudsregler.diagnostics import EvaluationError
from udbudsregler.runtime.explain import explain
from udbudsregler.runtime.program import Program
from udbudsregler.runtime.reason import Reason
from udbudsregler.runtime.reasons import reasons_for
from udbudsregler.runtime.records import (
    LIBRARY_VERSION,
    RECORD_FORMAT,
    facts_hash,
    facts_record,
    inputs_hash,
    order_json,
    suppliers_json,
)
from udbudsregler.runtime.routing import (
    AreaChoice,
    Order,
    PackageChoice,
    SupplierChoice,
    SupplierState,
)
from udbudsregler.values.canonical import to_json

__all__ = ["Decision", "Reason", "area_of", "facts_hash"]


def _supplier_json(choice: SupplierChoice | None) -> dict[str, Any] | None:
    if choice is None:
        return None
    out: dict[str, Any] = {"method": choice.method}
    if choice.rejected_choice is not None:
        out.update(rejected_choice=choice.rejected_choice,
                   rejected_because=choice.rejected_because)
    out.update((k, to_json(v)) for k, v in choice.details)
    return out


def _package_json(choice: PackageChoice | None) -> dict[str, Any] | None:
    if choice is None:
        return None
    return {"id": choice.package, "accepted": choice.accepted, "status": choice.status,
            "weekly_hours": to_json(choice.weekly_hours),
            "span": to_json(list(choice.span)) if choice.span is not None else None}


def area_of(parts: tuple[Any, ...]) -> str | None:
    """The service area of a decision's parts (None if none fits, or no areas)."""
    routing: AreaChoice | None = parts[1] if len(parts) > 1 else None
    return routing.area if routing is not None else None


class Decision:
    """The answer for one citizen on one date. It explains itself.

    ``target_groups``: the ids of the target groups the citizen is in, in the policy's
    order. ``area``: the service area the citizen is routed to; None if none fits (or the
    policy has no areas). (Attributes, not properties: hosts read them for every
    decision.)
    """

    __slots__ = ("_memo", "_parts", "_reasons", "area", "facts", "on", "policy",
                 "target_groups")

    def __init__(self, policy: Program, facts: dict[str, Any], on: date,
                 parts: tuple[Any, ...], memo: list[Any] | None = None) -> None:
        """``parts`` are (target groups, routing, order, supplier choice, package choice,
        supplier state); a policy shares one tuple among the decisions that have the same
        outcome. ``memo`` is the generated code's memo of this decision, if it has one."""
        self.policy = policy
        self.facts = facts
        self.on = on
        self._parts = parts
        self._reasons: tuple[Reason, ...] | None = None
        self._memo = memo
        self.target_groups: tuple[str, ...] = parts[0]
        self.area: str | None = area_of(parts)

    @property
    def routing(self) -> AreaChoice | None:
        return self._parts[1] if len(self._parts) > 1 else None

    @property
    def order(self) -> Order | None:
        return self._parts[2] if len(self._parts) > 2 else None

    @property
    def supplier_choice(self) -> SupplierChoice | None:
        return self._parts[3] if len(self._parts) > 3 else None

    @property
    def package_choice(self) -> PackageChoice | None:
        return self._parts[4] if len(self._parts) > 4 else None

    @property
    def suppliers(self) -> SupplierState | None:
        """The supplier state the decision was made with (None if the host gave none)."""
        return self._parts[5] if len(self._parts) > 5 else None

    @property
    def eligible(self) -> bool:
        """Whether the citizen is in at least one target group."""
        return bool(self._parts[0])

    @property
    def areas(self) -> tuple[str, ...]:
        """Every service area the citizen fits, in the policy's priority order."""
        return self.routing.fitting if self.routing is not None else ()

    @property
    def supplier(self) -> str | None:
        return self.supplier_choice.supplier if self.supplier_choice is not None else None

    @property
    def package(self) -> str | None:
        """The ordered package if it was accepted."""
        choice = self.package_choice
        return choice.package if choice is not None and choice.accepted else None

    @property
    def reasons(self) -> tuple[Reason, ...]:
        if self._reasons is None:
            self._reasons = reasons_for(self.policy, self)
        return self._reasons

    def value(self, name: str) -> Any:
        """The value of a named rule, parameter, criterion, target group, area or tender
        value (``payment``, ``price_models.standard.weekly_price``) for this decision's
        citizen and date, by the generated code: the facts are not checked again, and the
        values of the named nodes it computes are kept for the next call (one memo per
        decision). As :meth:`Policy.evaluate <udbudsregler.Policy.evaluate>` with the
        decision's facts and date, without its cost."""
        policy = self.policy
        function = policy._functions.get(name)
        if function is None:
            raise KeyError(f"policy {policy.id} has no rule, parameter, criterion or target "
                           f"group named {name!r}")
        memo = self._memo
        if memo is None and name not in policy._leaves:  # a leaf needs no memo
            memo = self._memo = policy.code.memo(self.on)
        try:
            return function(self.facts, memo)
        except (EvaluationError, ArithmeticError, ValueError, KeyError):
            # (a KeyError: a name only its place gives, `$result`; UDB708)
            # the interpreter's answer, or its error with the failing expression's place
            return policy.interpreter(self.facts, self.on).value(name)

    def explain(self, language: str | None = None) -> str:
        """The decision and its reasons as text, in the policy's language by default."""
        return explain(self, language or self.policy.language)

    def to_dict(self, compact: bool = False) -> dict[str, Any]:
        """The decision record: JSON-ready and deterministic (the same policy and inputs
        give the same bytes), with the inputs of the call, their hashes, the policy's id
        and content hash and the library's version, so that :func:`udbudsregler.replay`
        can make the decision again (see :mod:`udbudsregler.runtime.records`).

        ``compact``: ids and codes only (no policy title, no reasons); the full form adds
        the reasons with their titles, legal basis, readings and values."""
        policy = self.policy
        order, suppliers = self.order, self.suppliers
        order_data, suppliers_data = order_json(order), suppliers_json(suppliers)
        on = self.on.isoformat()
        facts, facts_digest = facts_record(self.facts)
        out: dict[str, Any] = {
            "record": "decision", "format": RECORD_FORMAT, "library_version": LIBRARY_VERSION,
            "policy": ({"id": policy.id, "content_hash": policy.content_hash} if compact else
                       {"id": policy.id, "title": policy.title,
                        "content_hash": policy.content_hash}),
            "on": on,
            "facts_hash": facts_digest,
            "inputs_hash": inputs_hash(facts_digest, on, order_data, suppliers_data),
            "eligible": self.eligible,
            "target_groups": list(self.target_groups),
            "area": self.area,
            "areas_fitting": list(self.areas),
            "supplier": self.supplier,
            "supplier_choice": _supplier_json(self.supplier_choice),
            "package": _package_json(self.package_choice),
        }
        if not compact:
            out["reasons"] = [r.to_dict() for r in self.reasons]
        out["facts"] = facts
        out["order"] = order_data
        out["suppliers"] = suppliers_data
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=False)

    def __repr__(self) -> str:
        return (f"Decision(policy={self.policy.id!r}, on={self.on.isoformat()}, "
                f"eligible={self.eligible}, target_groups={list(self.target_groups)!r}, "
                f"area={self.area!r}, supplier={self.supplier!r})")
