"""Decision and settlement records that replay: the inputs of the call, canonical and
hashed, beside the results and the policy and library that made them.

A record is what ``Decision.to_dict()`` and ``Settlement.to_dict()`` give. Besides the
results it holds everything :func:`udbudsregler.replay` needs to make the same call
again with a freshly loaded policy:

- ``record``: ``"decision"`` or ``"settlement"``, and ``format`` (the record format's
  version, :data:`RECORD_FORMAT`);
- ``library_version``: the version of udbudsregler that made it;
- ``policy``: the policy's id and content hash (and title, in the full form);
- the inputs as JSON, exactly as the policy read them (``facts``, ``order``,
  ``suppliers`` and ``on``; or ``referral``, ``outcomes``, ``since`` and ``until``):
  a number keeps the digits it was given with (``"15.00"``), so that a replay shows
  the same values;
- ``facts_hash`` and ``inputs_hash``: SHA-256 of the *normalised* inputs, in which a
  number is written one way only (``15``, ``"15.00"`` and ``Decimal("15.0")`` are all
  ``15``; ``7.50`` is ``"7.5"``) and dates are ISO text, so equal inputs give equal
  hashes however the host wrote them. ``facts_hash`` covers the facts,
  ``inputs_hash`` every input of the call (for a decision: the hash of the JSON array
  ``[facts_hash, on, order, suppliers]``, normalised; for a settlement: of the
  mapping of ``referral``, ``outcomes``, ``since`` and ``until``).

The *compact* form (``to_dict(compact=True)``) has ids and codes only, no rendered
text: no titles and, for a decision, no reasons (a replay computes them again). The
*full* form adds the policy's title and the reasons with their legal basis, readings
and values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, Protocol

from udbudsregler.runtime.routing import Order, SupplierState
from udbudsregler.runtime.settlement_records import (
    BonusStatus,
    Outcome,
    Referral,
    ReferralEnd,
    SettlementLine,
)
from udbudsregler.values.canonical import to_json
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, Period
from udbudsregler.version import __version__

__all__ = [
    "RECORD_FORMAT",
    "digest",
    "facts_hash",
    "facts_record",
    "inputs_hash",
    "normalised",
    "order_json",
    "outcomes_json",
    "referral_json",
    "settlement_record",
    "suppliers_json",
]

#: The version of the record format; a replay reads records of this format.
RECORD_FORMAT = 1

#: The library version written into every record.
LIBRARY_VERSION = __version__


def _number(value: int | Decimal) -> int | str:
    """A number written one way only: a whole number as a JSON integer, any other as
    exact text without trailing zeros or exponent (``Decimal("7.50")`` -> ``"7.5"``)."""
    if type(value) is int:
        return value
    assert isinstance(value, Decimal)
    if value == value.to_integral_value():
        return int(value)
    return format(value.normalize(), "f")


def normalised(value: Any) -> Any:
    """The JSON form of a value in which every number is written one way only (see
    :func:`_number`); what the hashes are computed from."""
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int or kind is Decimal:
        return _number(value)
    if kind is dict:
        return {str(k): normalised(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [normalised(v) for v in value]
    if kind is date:
        return value.isoformat()
    if kind is Money:
        return {"amount": _number(value.amount), "currency": value.currency}
    if kind is Period:
        return {"from": value.start.isoformat(),
                "to": value.end.isoformat() if value.end is not None else None}
    if kind is Duration:
        # One form per length: "14 days" and "2 weeks" are the same duration.
        return {"months": value.months, "days": value.days}
    if isinstance(value, Mapping):
        return {str(k): normalised(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(normalised(v) for v in value)
    return normalised(to_json(value))


_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def digest(value: Any) -> str:
    """``sha256:`` and the hex digest of a value's normalised JSON (keys sorted)."""
    return _sha(_ENCODE(normalised(value)))


def _sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def facts_hash(facts: Mapping[str, Any]) -> str:
    """The hash of a citizen's facts, the same however a number or date was written
    (``15``, ``"15.00"`` and ``Decimal("15.0")`` give one hash)."""
    return digest(facts)


class _Numbers:
    """``default`` of the JSON encoder of facts: the JSON form of a value the encoder does
    not know (a date, a Decimal, an amount, ...); notes whether one of them is written
    differently in the normalised form (a Decimal, an amount or a duration)."""

    __slots__ = ("seen",)

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, value: Any) -> Any:
        if type(value) is date:
            return value.isoformat()
        if type(value) is not Period:
            self.seen = True
        return to_json(value)


def facts_record(facts: Mapping[str, Any]) -> tuple[Any, str]:
    """The facts as JSON (numbers as they were given; keys sorted) and their hash (of the
    normalised facts). Facts without decimals are written once, by the C encoder: their
    JSON form is already the normalised form (whole numbers are ints, dates and periods
    ISO text)."""
    numbers = _Numbers()
    text = _encode_sorted(facts, numbers)
    echo = json.loads(text)
    if type(facts) is not dict:
        return echo, digest(facts)
    if numbers.seen:  # written again, each number in its one form (``digest``'s bytes)
        return echo, _sha(_encode_sorted(facts, normalised))
    return echo, _sha(text)


def _encode_sorted(value: Any, default: Callable[[Any], Any]) -> str:
    """``json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    default=default)``, by the C encoder directly where there is one (no encoder object
    built per call, no check for cycles: facts are trees)."""
    if c_make_encoder is None:  # pragma: no cover - a Python without the C accelerator
        return json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                                default=default).encode(value)
    encode = c_make_encoder(None, default, encode_basestring, None, ":", ",", True, False,
                            True)
    return "".join(encode(value, 0))


def inputs_hash(facts_digest: str, *inputs: Any) -> str:
    """The hash of every input of a call: of the JSON array of the facts' hash and the
    other inputs (for a decision: ``[facts_hash, on, order, suppliers]``), normalised."""
    if all(v is None or type(v) is str for v in inputs):
        return _sha(_ENCODE([facts_digest, *inputs]))
    return digest([facts_digest, *inputs])


def order_json(order: Order | None) -> dict[str, Any] | None:
    """An order as JSON that ``decide`` reads back to the same order."""
    if order is None:
        return None
    return {"package": order.package, "weekly_hours": to_json(order.weekly_hours),
            "supplier": order.supplier}


def suppliers_json(state: SupplierState | None) -> dict[str, Any] | None:
    """A supplier state as JSON that ``decide`` reads back to the same state."""
    if state is None:
        return None
    sequence = state.sequence
    return {"load": dict(state.load), "capacity": dict(state.capacity),
            "sequence": dict(sequence) if isinstance(sequence, Mapping) else sequence}


def outcomes_json(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    """Outcomes as JSON that ``settle`` reads back to the same outcomes."""
    return [{"kind": o.kind, "from": o.period.start.isoformat(),
             "to": o.period.end.isoformat() if o.period.end is not None else None}
            for o in outcomes]


def referral_json(r: Referral) -> dict[str, Any]:
    """A referral as JSON that ``settle`` reads back to the same referral."""
    out: dict[str, Any] = {"id": r.id, "start": r.start.isoformat(), "package": r.package,
                           "supplier": r.supplier, "area": r.area,
                           "stop": r.stop.isoformat() if r.stop else None}
    # what the general price models read; left out when not given, so the records of
    # referrals without them are as they were
    if r.facts is not None:
        out["facts"] = facts_record(r.facts)[0]
    if r.previous:
        out["previous"] = [{"from": p.start.isoformat(),
                            "to": p.end.isoformat() if p.end is not None else None}
                           for p in r.previous]
    if r.changes:
        out["supplier_changes"] = [{"supplier": s, "from": d.isoformat()} for d, s in r.changes]
    return out


class _Settled(Protocol):
    """What :func:`settlement_record` reads of a settlement."""

    policy: Any
    referral: Referral
    outcomes: tuple[Outcome, ...]
    since: date
    until: date
    price_model: str
    end: ReferralEnd
    lines: tuple[SettlementLine, ...]
    bonuses: tuple[BonusStatus, ...]

    def _rounded_total(self) -> Decimal: ...


def settlement_record(s: _Settled, compact: bool = False) -> dict[str, Any]:
    """The record of a settlement (``Settlement.to_dict``)."""
    policy = s.policy
    referral = referral_json(s.referral)
    outcomes = outcomes_json(s.outcomes)
    since, until = s.since.isoformat(), s.until.isoformat()
    end = s.end
    lines = [line.to_dict() for line in s.lines]
    if compact:
        for line in lines:
            line.pop("details", None)
    return {
        "record": "settlement", "format": RECORD_FORMAT, "library_version": LIBRARY_VERSION,
        "policy": {"id": policy.id, "content_hash": policy.content_hash},
        "inputs_hash": digest({"referral": referral, "outcomes": outcomes, "since": since,
                               "until": until}),
        "referral": referral,
        "since": since,
        "until": until,
        "price_model": s.price_model,
        "end": {"last_day": to_json(end.last_day), "cause": end.cause,
                "course_end": to_json(end.course_end), "aftercare": to_json(end.aftercare),
                "latest_last_day": to_json(end.latest_last_day)},
        "lines": lines,
        "bonuses": [b.to_dict() for b in s.bonuses],
        "total": {"amount": format(s._rounded_total(), "f"),
                  "currency": policy.header.currency},
        "outcomes": outcomes,
    }
