"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the service answers with is one JSON object of this shape::

    {"type": "urn:udbudsregler:problem:input", "title": "The input does not fit the policy",
     "status": 422, "detail": "...", "instance": "/policies/slagelse-2019/decide",
     "errors": [{"code": "UDB605", "path": "visitation", "pointer": "/facts/visitation",
                 "message": "...", "hint": "..."}]}

``errors`` lists every problem of every input of the call (the library reports them
together), each with the library's ``path``, its JSON Pointer into the request body
(``pointer``), the stable ``code``, the message and the hint. No Python traceback ever
leaves the service: an internal error is answered with a 500 problem naming no more than
that, and its traceback goes to the server's log.
"""

from __future__ import annotations

import re
from typing import Any

from udbudsregler.diagnostics import EvaluationError, FactError, PolicyError, UdbudsreglerError

__all__ = ["MEDIA_TYPE", "TYPES", "from_error", "pointer", "problem"]

MEDIA_TYPE = "application/problem+json"

#: The problem types of the service: (type URI, title) by name.
TYPES: dict[str, tuple[str, str]] = {
    "input": ("urn:udbudsregler:problem:input", "The input does not fit the policy"),
    "evaluation": ("urn:udbudsregler:problem:evaluation",
                   "The policy cannot decide on this input"),
    "policy": ("urn:udbudsregler:problem:policy", "The policy has mistakes"),
    "not-json": ("urn:udbudsregler:problem:not-json", "The request body is not JSON"),
    "unknown-policy": ("urn:udbudsregler:problem:unknown-policy", "No such policy"),
    "too-large": ("urn:udbudsregler:problem:too-large", "The request body is too large"),
    "internal": ("urn:udbudsregler:problem:internal", "Internal error"),
}

#: The inputs besides the facts, as the first part of a problem's path.
_NOT_FACTS = frozenset({"order", "suppliers", "referral", "outcomes", "on", "until", "since",
                        "language", "compact", "facts", "record"})
_PART = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")


def pointer(path: str, facts_under: str | None = "facts") -> str:
    """The JSON Pointer into a request body of a library path: ``offers[0].from`` of the
    facts is ``/facts/offers/0/from``; ``order.weekly_hours`` is ``/order/weekly_hours``."""
    parts = [index if index else name for index, name in _PART.findall(path)]
    if facts_under is not None and (not parts or parts[0] not in _NOT_FACTS):
        parts.insert(0, facts_under)
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def problem(kind: str, status: int, detail: str, instance: str | None = None,
            **extra: Any) -> dict[str, Any]:
    """A problem details object of one of :data:`TYPES`."""
    uri, title = TYPES[kind]
    out: dict[str, Any] = {"type": uri, "title": title, "status": status, "detail": detail}
    if instance is not None:
        out["instance"] = instance
    out.update(extra)
    return out


def from_error(error: UdbudsreglerError, instance: str | None,
               facts_under: str | None = "facts") -> tuple[int, dict[str, Any]]:
    """The status and problem details of a library error."""
    problems = error.problem_dicts()
    if isinstance(error, FactError):
        for item in problems:
            item["pointer"] = pointer(str(item["path"]), facts_under)
        n = len(problems)
        detail = f"{n} problem{'s' if n != 1 else ''} with the input: " + "; ".join(
            f"{p['path'] or '(facts)'}: {p['message']}" for p in problems[:5]) + (
            "; ..." if n > 5 else "")
        return 422, problem("input", 422, detail, instance, errors=problems)
    if isinstance(error, EvaluationError):
        item = {"code": error.code, "path": error.path or "", "message": error.message,
                "hint": error.effective_hint}
        if error.path in ("on", "until", "since") or (error.path or "").startswith(
                "referral."):
            item["pointer"] = pointer(error.path or "", None)
        return 422, problem("evaluation", 422, error.message, instance, errors=[item])
    if isinstance(error, PolicyError):
        return 500, problem("policy", 500, f"{len(error.errors)} mistakes in the policy",
                            instance, errors=problems)
    return 500, problem("internal", 500, str(error), instance)
