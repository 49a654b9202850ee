"""The Decision a policy gives for a citizen on a date, with its reasons.

The outputs (eligibility, target groups, ...) come from the generated code.
The reasons are computed on first use by the reference interpreter, which
evaluates every criterion (not only up to the first that fails), records the
values each one used, and must agree with the generated code's outputs: if
it ever does not, that is reported as an error (UDB704), never shown.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from udbudsregler.runtime.values import to_json

if TYPE_CHECKING:
    from udbudsregler.runtime.policy import Policy

__all__ = ["Decision", "Reason", "facts_hash"]


@dataclass(frozen=True)
class Reason:
    """Why one part of a decision came out as it did."""

    kind: str  # criterion | target_group
    id: str
    title: str
    met: bool
    legal_basis: str | None = None
    source: str | None = None
    reading: str | None = None
    #: The values the part was decided on: (name, value) in the order they were read.
    values: tuple[tuple[str, Any], ...] = ()
    #: For a criterion, the target group it belongs to.
    group: str | None = None
    #: Where the part is defined, as ``file:line`` relative to the policy's folder.
    at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "id": self.id, "title": self.title,
                               "met": self.met}
        for key in ("legal_basis", "source", "reading", "group", "at"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["values"] = {name: to_json(value) for name, value in self.values}
        return out


def facts_hash(facts: dict[str, Any]) -> str:
    text = json.dumps(to_json(facts), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class Decision:
    """The answer for one citizen on one date. It explains itself."""

    __slots__ = ("_reasons", "facts", "on", "policy", "target_groups")

    def __init__(self, policy: Policy, facts: dict[str, Any], on: date,
                 target_groups: tuple[str, ...]) -> None:
        self.policy = policy
        self.facts = facts
        self.on = on
        #: The ids of the target groups the citizen is in, in the policy's order.
        self.target_groups = target_groups
        self._reasons: tuple[Reason, ...] | None = None

    @property
    def eligible(self) -> bool:
        """Whether the citizen is in at least one target group."""
        return bool(self.target_groups)

    @property
    def area(self) -> str | None:
        """The service area the citizen is routed to (None: the policy has no areas)."""
        return None

    @property
    def reasons(self) -> tuple[Reason, ...]:
        if self._reasons is None:
            self._reasons = self.policy.reasons_for(self)
        return self._reasons

    def explain(self, language: str | None = None) -> str:
        """The decision and its reasons as text, in the policy's language by default."""
        from udbudsregler.runtime.explain import explain

        return explain(self, language or self.policy.language)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready and deterministic: the same policy and facts give the same bytes."""
        return {
            "policy": {"id": self.policy.id, "title": self.policy.title,
                       "content_hash": self.policy.content_hash},
            "on": self.on.isoformat(),
            "facts_hash": facts_hash(self.facts),
            "eligible": self.eligible,
            "target_groups": list(self.target_groups),
            "area": self.area,
            "reasons": [r.to_dict() for r in self.reasons],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=False)

    def __repr__(self) -> str:
        return (f"Decision(policy={self.policy.id!r}, on={self.on.isoformat()}, "
                f"eligible={self.eligible}, target_groups={list(self.target_groups)!r})")
