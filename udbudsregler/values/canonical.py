"""Canonical text and JSON forms of run-time values.

Both are deterministic, so a decision's ``to_dict()`` and a trace are the same
bytes for the same policy and facts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, MonthEnd, Period, SpanLength, calendar_breakdown

__all__ = ["duration_text", "length_text", "show", "to_json"]


def duration_text(d: Duration) -> str:
    parts = []
    years, months = divmod(d.months, 12)
    if years and not months and not d.days:
        return f"{years} year{'s' if abs(years) != 1 else ''}"
    if d.months:
        parts.append(f"{d.months} month{'s' if abs(d.months) != 1 else ''}")
    if d.days or not parts:
        parts.append(f"{d.days} day{'s' if abs(d.days) != 1 else ''}")
    return " ".join(parts)


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}{'s' if abs(n) != 1 else ''}"


def _weeks(days: int) -> str:
    weeks, rest = divmod(days, 7)
    parts = [_count(weeks, "week")] if weeks else []
    if rest or not parts:
        parts.append(_count(rest, "day"))
    return " ".join(parts)


def length_text(value: SpanLength | Duration,
                unit: Literal["days", "weeks", "months"] | None,
                rule: MonthEnd = "clamp") -> str:
    """A length in the unit its limit was written in (see ``values.wording.Unit``):
    ``1434 days (2015-03-01..2019-02-01)``, ``3 years 11 months 1 day
    (2015-03-01..2019-02-01)`` (months counted by ``rule``), ``204 weeks 6 days (...)``;
    a duration in weeks as ``26 weeks``. Without a unit, as :func:`show` gives it."""
    if isinstance(value, Duration):
        if unit == "weeks" and not value.months and value.days >= 0:
            return _weeks(value.days)
        return duration_text(value)
    if unit == "weeks":
        text = _weeks(value.days)
    elif unit == "months":
        years, months, days = calendar_breakdown(value, rule)
        parts = [_count(n, name) for n, name in ((years, "year"), (months, "month")) if n]
        if days or not parts:
            parts.append(_count(days, "day"))
        text = " ".join(parts)
    else:
        return show(value)
    return f"{text} ({value.start.isoformat()}..{value.end.isoformat()})"


def show(value: Any) -> str:
    """A short, exact text for a value (traces, messages)."""
    if value is None:
        return "open"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Money):
        return f"{format(value.amount, 'f')} {value.currency}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Duration):
        return duration_text(value)
    if isinstance(value, SpanLength):
        return f"{value.days} days ({value.start.isoformat()}..{value.end.isoformat()})"
    if isinstance(value, Period):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, frozenset, set)):
        items = sorted(value, key=show) if isinstance(value, (set, frozenset)) else value
        return "[" + ", ".join(show(v) for v in items) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    return str(value)


def to_json(value: Any) -> Any:
    """A JSON-ready form: dates as ISO text, decimals and amounts as exact text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Money):
        return {"amount": format(value.amount, "f"), "currency": value.currency}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Duration):
        return duration_text(value)
    if isinstance(value, SpanLength):
        return {"from": value.start.isoformat(), "to": value.end.isoformat(), "days": value.days}
    if isinstance(value, Period):
        return {"from": value.start.isoformat(),
                "to": value.end.isoformat() if value.end is not None else None}
    if isinstance(value, (set, frozenset)):
        return [to_json(v) for v in sorted(value, key=show)]
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    raise TypeError(f"no JSON form for {type(value).__name__}")  # pragma: no cover
