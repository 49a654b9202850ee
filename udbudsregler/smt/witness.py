"""Witnesses: a citizen from a solver model, confirmed by the engine, as a YAML test case.

A witness is never shown on the solver's word alone: :func:`confirm` decides it with
``policy.decide`` and the finding keeps it only if the engine gives what the finding
claims. :func:`render_case` writes it as one item of ``cases:``, ready to paste into
the policy's ``tests/``; ``udbudsregler test`` then passes or fails on it as the finding
says (tests/smt checks this on copies of the policies).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from udbudsregler.diagnostics import EvaluationError, FactError
from udbudsregler.testing.invariants import yaml_block
from udbudsregler.values.canonical import to_json

if TYPE_CHECKING:
    from udbudsregler.policy import Policy
    from udbudsregler.runtime.decision import Decision

__all__ = ["Witness", "decide", "describe_dates", "relative", "render_case"]


@dataclass
class Witness:
    """A citizen and decision date, with what the engine decided."""

    facts: dict[str, Any]
    on: date
    #: The test case (one item of ``cases:``).
    case: str = ""
    #: The reviewer's description: dates relative to the decision date.
    summary: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"on": self.on.isoformat(), "facts": to_json(self.facts),
                "summary": list(self.summary), "case": self.case}


def decide(policy: Policy, facts: dict[str, Any], on: date) -> Decision | EvaluationError | None:
    """The engine's decision, the evaluation error it raised, or None if the facts do
    not fit the policy (a witness that cannot be sent is no witness)."""
    try:
        decision = policy.decide(facts, on=on, ignore_validity=True)
        decision.reasons  # noqa: B018 - the reasons run the interpreter too
        return decision
    except EvaluationError as error:
        return error
    except FactError:
        return None


def render_case(name: str, comments: list[str], on: date, facts: dict[str, Any],
                expect: dict[str, Any]) -> str:
    """One item of ``cases:`` (indented to go under it)."""
    lines = [f"  # {c}" for c in comments]
    lines.append(f"  - name: {_quoted(name)}")
    lines.append(f"    on: {on.isoformat()}")
    lines.append("    facts:")
    lines.append(yaml_block(facts, 6))
    lines.append("    expect:")
    lines.append(yaml_block(expect, 6))
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def relative(d: date, on: date) -> str:
    """``d`` relative to the decision date, in whole years, months and days where they
    are exact (``30 years before``, ``2 years and 1 day before``)."""
    if d == on:
        return "the decision date"
    later = d > on
    lo, hi = (on, d) if later else (d, on)
    years, months, days = _distance(lo, hi)
    parts = []
    if years:
        parts.append(f"{years} year{'s' if years != 1 else ''}")
    if months:
        parts.append(f"{months} month{'s' if months != 1 else ''}")
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    text = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
    return f"{text} {'after' if later else 'before'} the decision date"


def _distance(lo: date, hi: date) -> tuple[int, int, int]:
    """Whole years, months and days from ``lo`` to ``hi`` (``lo + y years + m months + d
    days == hi``, months counted by the clamp rule)."""
    from udbudsregler.values.temporal import add_months

    months = (hi.year - lo.year) * 12 + hi.month - lo.month
    while months > 0 and add_months(lo, months, "clamp") > hi:
        months -= 1
    reached = add_months(lo, months, "clamp")
    years, months = divmod(months, 12)
    return years, months, (hi - reached).days


def describe_dates(facts: dict[str, Any], on: date, prefix: str = "") -> list[str]:
    """Each date of the facts, relative to the decision date."""
    out: list[str] = []
    for name, value in facts.items():
        path = f"{prefix}{name}"
        if isinstance(value, date):
            out.append(f"{path}: {value.isoformat()} ({relative(value, on)})")
        elif isinstance(value, dict):
            out += describe_dates(value, on, f"{path}.")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    out += describe_dates(item, on, f"{path}[{i}].")
                    if "to" in item and item["to"] is None:
                        out.append(f"{path}[{i}].to: none (ongoing)")
    return out
