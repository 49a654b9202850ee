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
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from udbudsregler.diagnostics import (
    EvaluationError,
    FactError,
    FactProblem,
    PolicyError,
    UdbudsreglerError,
)
from udbudsregler.runtime.inputs import shown_key

__all__ = ["MEDIA_TYPE", "TYPES", "from_error", "pointer", "pointers", "problem"]

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

_PART = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")
_INDEX = re.compile(r"\[(\d+)\]")


def pointer(path: str, data: Any = None, under: str = "",
            shown: dict[int, dict[str, Any]] | None = None) -> str:
    """The JSON Pointer into a request body of a library path into ``data``, the part of
    the body at ``under``: ``offers[0].from`` of the facts (``under="/facts"``) is
    ``/facts/offers/0/from``; ``order.weekly_hours`` of the body is
    ``/order/weekly_hours``. A key of ``data`` holding a dot or a bracket (``a.b``) or
    empty is one part of the path, as the path shows the key (``shown``: the keys of
    each mapping of ``data`` as paths show them, kept between calls)."""
    parts = _parts(path, data, True, {} if shown is None else shown)
    if parts is None:
        parts = [index if index else name for index, name in _PART.findall(path)]
    return under + "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _parts(path: str, data: Any, first: bool,
           shown: dict[int, dict[str, Any]]) -> list[str] | None:
    """The parts of ``path`` as the keys and indexes of ``data`` split it (``first``: the
    path starts with a key, not a dot), the rest of it split at dots and brackets where
    ``data`` has no such key; None when ``data`` ends before the path does."""
    if isinstance(data, dict):
        keys = shown.get(id(data))
        if keys is None:
            keys = shown[id(data)] = {shown_key(key): value for key, value in data.items()}
        rest = path if first else path[1:] if path.startswith(".") else None
        if rest is not None:
            ends = [*(i for i, c in enumerate(rest) if c in ".["), len(rest)]
            for end in reversed(ends):  # the longest key first: `a.b` before `a`
                if rest[:end] in keys:
                    found = _parts(rest[end:], keys[rest[:end]], False, shown)
                    if found is not None:
                        return [rest[:end], *found]
    elif isinstance(data, list) and (index := _INDEX.match(path)) is not None and \
            int(index[1]) < len(data):
        found = _parts(path[index.end():], data[int(index[1])], False, shown)
        if found is not None:
            return [index[1], *found]
    if not path or isinstance(data, (dict, list)):
        return [index if index else name for index, name in _PART.findall(path)]
    return None


def pointers(problems: Iterable[FactProblem], body: Any,
             facts: Iterable[FactProblem] = ()) -> list[str]:
    """The JSON Pointer into the request ``body`` of each of ``problems``: those among
    ``facts`` are the facts' problems (their paths start inside ``body["facts"]``), the
    others' paths start at the body."""
    left = Counter(facts)
    shown: dict[int, dict[str, Any]] = {}
    out = []
    for item in problems:
        if left[item] > 0:
            left[item] -= 1
            out.append(pointer(item.path, body.get("facts"), "/facts", shown))
        else:
            out.append(pointer(item.path, body, "", shown))
    return out


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
               located: Sequence[str] | None = None) -> tuple[int, dict[str, Any]]:
    """The status and problem details of a library error; ``located``: the JSON Pointer of
    each problem of a FactError (:func:`pointers`), else each path's from the body."""
    problems = error.problem_dicts()
    if isinstance(error, FactError):
        for i, item in enumerate(problems):
            item["pointer"] = located[i] if located is not None else pointer(str(item["path"]))
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
            item["pointer"] = pointer(error.path or "")
        return 422, problem("evaluation", 422, error.message, instance, errors=[item])
    if isinstance(error, PolicyError):
        return 500, problem("policy", 500, f"{len(error.errors)} mistakes in the policy",
                            instance, errors=problems)
    return 500, problem("internal", 500, str(error), instance)
