"""Settlement: what a supplier is paid for one referral, line by line, with reasons.

``Policy.settle(referral, outcomes, until=..., since=...)`` works out:

1. **The referral's course and end.** The referral starts on ``start`` and
   lasts at most the policy's ``referral.max_duration``. If the policy names an
   outcome that ends the course (``referral.ends_on``, e.g. self-support), the
   course ends the day before that outcome first starts after the referral's
   start (an outcome that already holds on the first day began before the
   referral and ends nothing), and aftercare runs for ``referral.aftercare``
   from that day. The referral ends at whichever comes
   first: the maximum duration, the end of aftercare, or the day the job
   centre stopped it (``stop``).
2. **Weekly payments.** The weekly price is read day by day, so a price that
   changes inside the round (indexation) applies from its date. Days are paid
   as the price model says: pro rata by calendar day, per started week or per
   whole week (weeks counted from the referral's start); over the course only
   or the whole referral; up to the caps.
3. **Bonuses.** A bonus is earned when its outcome holds on every day of a
   period of the stated length starting right after the course. Until then it
   is *pending*; it is lost if the outcome does not start at once
   (*not immediate*) or breaks before the period is over (*too short*).

Only what lies in ``[since, until]`` is invoiced (a monthly run passes the
month); what happened before ``since`` is taken into account (caps, bonus
periods) but not invoiced again. Each line's amount is rounded once by the
policy's rounding rule; the total is the sum of the rounded lines.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from udbudsregler.diagnostics import EvaluationError, FactError, FactProblem
from udbudsregler.runtime.guard import evaluation_errors
from udbudsregler.runtime.program import Program
from udbudsregler.runtime.settlement_records import (
    BonusStatus,
    Outcome,
    Referral,
    ReferralEnd,
    SettlementLine,
)
from udbudsregler.runtime.settlement_text import settlement_text
from udbudsregler.semantics.ops import CONTEXT
from udbudsregler.values.canonical import to_json
from udbudsregler.values.money import Money, Rounding
from udbudsregler.values.temporal import Duration, Period, add_duration, following

__all__ = ["BonusStatus", "Referral", "ReferralEnd", "Settlement", "SettlementLine",
           "parse_outcomes", "parse_referral", "settle"]

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)


class Settlement:
    """The payment for one referral up to a date, with its lines and reasons."""

    def __init__(self, policy: Program, referral: Referral, since: date, until: date,
                 end: ReferralEnd, lines: Sequence[SettlementLine],
                 bonuses: Sequence[BonusStatus], price_model: str) -> None:
        self.policy = policy
        self.referral = referral
        self.since = since
        self.until = until
        self.end = end
        self.lines = tuple(lines)
        self.bonuses = tuple(bonuses)
        self.price_model = price_model

    @property
    def total(self) -> Decimal:
        """The sum of the (rounded) lines, as a Decimal in the policy's currency."""
        total = Decimal(0)
        for line in self.lines:
            total = CONTEXT.add(total, line.amount.amount)
        return total

    def _rounded_total(self) -> Decimal:
        """The total with the exponent of the rounding unit (``0.00``, not ``0``); the lines
        are rounded already, so this never changes the amount."""
        rounding = self.policy.rounding
        return rounding.apply(self.total) if rounding is not None else self.total

    @property
    def total_money(self) -> Money:
        return Money(self.total, self.policy.header.currency)

    def explain(self, language: str | None = None) -> str:
        return settlement_text(self, language or self.policy.language)

    def to_dict(self) -> dict[str, Any]:
        r = self.referral
        return {
            "policy": {"id": self.policy.id, "content_hash": self.policy.content_hash},
            "referral": {"id": r.id, "start": r.start.isoformat(), "package": r.package,
                         "supplier": r.supplier, "area": r.area,
                         "stop": r.stop.isoformat() if r.stop else None},
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "price_model": self.price_model,
            "end": {"last_day": to_json(self.end.last_day), "cause": self.end.cause,
                    "course_end": to_json(self.end.course_end),
                    "aftercare": to_json(self.end.aftercare),
                    "latest_last_day": to_json(self.end.latest_last_day)},
            "lines": [line.to_dict() for line in self.lines],
            "bonuses": [b.to_dict() for b in self.bonuses],
            "total": {"amount": format(self._rounded_total(), "f"),
                      "currency": self.policy.header.currency},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def __repr__(self) -> str:
        return (f"Settlement(referral={self.referral.id!r}, until={self.until.isoformat()}, "
                f"total={format(self.total, 'f')}, end={self.end.cause})")


# -- input -------------------------------------------------------------------------


def _problem(path: str, message: str, code: str = "UDB602") -> FactError:
    return FactError([FactProblem(code, path, message)])


def _date_of(value: Any, path: str) -> date:
    if type(value) is date:
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _problem(path, f"`{value}` is not a real calendar date", "UDB603") from None
    raise _problem(path, "expected a date (YYYY-MM-DD)")


def parse_referral(value: Referral | Mapping[str, Any], policy: Program,
                   ignore_validity: bool = False) -> Referral:
    if isinstance(value, Referral):
        referral = value
    else:
        if not isinstance(value, Mapping):
            raise _problem("referral", "expected a mapping with `id`, `start`, `package`, ...")
        allowed = {"id", "start", "package", "supplier", "area", "stop"}
        for key in value:
            if key not in allowed:
                raise _problem(f"referral.{key}", "not a part of a referral", "UDB606")
        for key in ("id", "start", "package"):
            if value.get(key) is None:
                raise _problem(f"referral.{key}", "missing", "UDB601")
        stop = value.get("stop")
        for key in ("supplier", "area"):
            if value.get(key) is not None and not isinstance(value[key], str):
                raise _problem(f"referral.{key}", "expected text")
        referral = Referral(str(value["id"]), _date_of(value["start"], "referral.start"),
                            str(value["package"]), value.get("supplier"), value.get("area"),
                            _date_of(stop, "referral.stop") if stop is not None else None)
    domain = policy.document.domain
    if referral.package not in domain.packages:
        raise _problem("referral.package", f"`{referral.package}` is not a course package of "
                       f"the policy; the packages are {', '.join(domain.packages)}", "UDB605")
    areas = domain.packages[referral.package].spec.areas
    if referral.area is not None and referral.area not in areas:
        raise _problem("referral.area", f"`{referral.area}` is not a service area offering "
                       f"`{referral.package}`; it is offered in {', '.join(areas)}", "UDB605")
    if referral.supplier is not None:
        offering = [referral.area] if referral.area is not None else areas
        suppliers = [s.id for a in offering if a in domain.areas
                     for s in domain.areas[a].spec.suppliers]
        if referral.supplier not in suppliers:
            from udbudsregler.diagnostics import did_you_mean

            hint = did_you_mean(str(referral.supplier), suppliers)
            raise _problem("referral.supplier", f"`{referral.supplier}` is not a supplier of "
                           f"{' or '.join(offering)}" + (f"; {hint}" if hint else ""), "UDB605")
    valid = policy.header.valid
    if not ignore_validity and (referral.start < valid.from_ or
                                (valid.to is not None and referral.start > valid.to)):
        raise EvaluationError(
            "UDB703", f"the referral starts on {referral.start.isoformat()}, outside the "
            f"policy's validity ({valid.from_.isoformat()} to "
            f"{valid.to.isoformat() if valid.to else 'open'})", node="referral.start")
    if referral.stop is not None and referral.stop < referral.start:
        raise _problem("referral.stop", f"the referral stops ({referral.stop}) before it starts "
                       f"({referral.start})", "UDB604")
    return referral


def parse_outcomes(value: Any, policy: Program) -> list[Outcome]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise _problem("outcomes", "expected a list of periods with `kind`, `from`, `to`")
    kinds = policy.document.domain.outcomes
    out = []
    for i, item in enumerate(value):
        path = f"outcomes[{i}]"
        if isinstance(item, Outcome):
            out.append(item)
            continue
        if not isinstance(item, Mapping) or set(item) != {"kind", "from", "to"}:
            raise _problem(path, "expected a mapping with exactly `kind`, `from` and `to`")
        if item["kind"] not in kinds:
            raise _problem(f"{path}.kind", f"`{item['kind']}` is not an outcome of the policy; "
                           f"the outcomes are {', '.join(kinds)}", "UDB605")
        start = _date_of(item["from"], f"{path}.from")
        end = _date_of(item["to"], f"{path}.to") if item["to"] is not None else None
        if end is not None and end < start:
            raise _problem(f"{path}.to", f"`to` ({end}) is before `from` ({start})", "UDB604")
        out.append(Outcome(item["kind"], Period(start, end)))
    return out


# -- the computation ----------------------------------------------------------------


def _merged(outcomes: Sequence[Outcome], kind: str, until: date) -> list[Period]:
    """The outcome's periods known by ``until``, merged into continuous runs."""
    runs: list[list[date]] = []
    for o in sorted((o for o in outcomes if o.kind == kind), key=lambda o: o.period.start):
        start = o.period.start
        if start > until:
            continue
        end = until if o.period.end is None else min(o.period.end, until)
        if runs and start <= runs[-1][1] + _DAY:
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    return [Period(a, b) for a, b in runs]


def _first_on_or_after(runs: Sequence[Period], day: date) -> date | None:
    for run in runs:
        assert run.end is not None
        if run.end >= day:
            return max(run.start, day)
    return None


def _referral_end(policy: Program, referral: Referral, outcomes: Sequence[Outcome],
                  until: date) -> ReferralEnd:
    spec = policy.document.domain.referral
    rule = policy.month_end
    start = referral.start
    latest = date.max
    if spec is not None:
        max_duration = policy.domain_value(("referral", "max_duration"), start)
        latest = add_duration(start, max_duration, rule) - _DAY
    package = policy.document.domain.packages[referral.package]
    if package.spec.max_duration is not None:
        package_length = policy.domain_value((*package.path, "max_duration"), start)
        latest = min(latest, add_duration(start, package_length, rule) - _DAY)
    ends: list[tuple[date, str]] = [(latest, "max_duration")]
    course_end = latest
    aftercare: Period | None = None
    if referral.stop is not None:
        ends.append((referral.stop, "stopped"))
        course_end = min(course_end, referral.stop)
    if spec is not None and spec.spec.ends_on is not None:
        # The course ends when the citizen *becomes* self-supporting (the outcome starts)
        # during the referral: a run that already holds on the first day began before the
        # referral and does not end it.
        runs = _merged(outcomes, spec.spec.ends_on, until)
        began = next((r.start for r in runs if r.start > start), None)
        if began is not None and began <= course_end:
            course_end = began - _DAY
            length: Duration = policy.domain_value(("referral", "aftercare"), start)
            aftercare = following(began, length, rule)
            assert aftercare.end is not None
            ends.append((aftercare.end, "aftercare_completed"))
    order = {"stopped": 0, "aftercare_completed": 1, "max_duration": 2}
    last_day, cause = min(ends, key=lambda e: (e[0], order[e[1]]))
    if last_day > until:
        return ReferralEnd(None, "ongoing", course_end if course_end <= until else None,
                           aftercare, latest)
    return ReferralEnd(last_day, cause, min(course_end, last_day), aftercare, latest)


@dataclass
class _Piece:
    """A run of billed days or weeks with one weekly price.

    ``offset`` is the day of a week on which it is billed (0: its first day, for
    started weeks; 6: its last day, for whole weeks); days are billed on the day.
    A piece never mixes units billed before ``since`` with units billed after.
    """

    first: date
    last: date
    quantity: int
    unit: str
    price: Money
    amount: Decimal
    capped: bool = False
    offset: int = 0

    @property
    def billed_last(self) -> date:
        """The day the piece's last unit is billed on."""
        if self.unit == "days":
            return self.last
        return self.last - timedelta(days=6 - self.offset)


def _prices(policy: Program, model_path: tuple[str | int, ...], first: date,
            last: date) -> list[tuple[date, date, Money]]:
    """The weekly price in force on each day of [first, last], as runs of one price."""
    path = (*model_path, "weekly_price")
    changes = sorted(d for d in policy.change_dates(path) if first < d <= last)
    runs = []
    start = first
    for change in [*changes, last + _DAY]:
        price = policy.domain_value(path, start)
        runs.append((start, change - _DAY, price))
        start = change
    return runs


def _pieces(policy: Program, model_path: tuple[str | int, ...], rule: str, start: date,
            first: date, last: date, since: date) -> list[_Piece]:
    """Billed units of [first, last] in order, split where the price changes and at since."""
    pieces: list[_Piece] = []
    if last < first:
        return pieces
    if rule == "pro_rata_days":
        for a, b, price in _prices(policy, model_path, first, last):
            # (`since - 1 day` is only taken when days before `since` are billed here: a
            # `since` of 0001-01-01 has no day before it)
            halves = [(a, min(b, since - _DAY))] if since > a else []
            for lo, hi in (*halves, (max(a, since), b)):
                if lo <= hi:
                    days = (hi - lo).days + 1
                    amount = CONTEXT.divide(CONTEXT.multiply(price.amount, Decimal(days)),
                                            Decimal(7))
                    pieces.append(_Piece(lo, hi, days, "days", price, amount))
        return pieces
    # weeks counted from the referral's start
    offset = 0 if rule == "started_weeks" else 6
    index = (first - start).days // 7
    week = start + index * _WEEK
    while week <= last:
        week_end = week + 6 * _DAY
        whole = week >= first and week_end <= last
        if rule == "started_weeks" or whole:
            billed_on = week + timedelta(days=offset)
            price = policy.domain_value((*model_path, "weekly_price"), max(week, first))
            before = billed_on < since
            previous = pieces[-1] if pieces else None
            if (previous is not None and previous.price == price and
                    (previous.billed_last < since) == before and previous.last + _DAY == week):
                previous.last = week_end
                previous.quantity += 1
                previous.amount = CONTEXT.add(previous.amount, price.amount)
            else:
                pieces.append(_Piece(week, week_end, 1, "weeks", price, price.amount,
                                     offset=offset))
        week += _WEEK
    return pieces


@evaluation_errors  # a referral near the calendar's end, a duration of 1 month - 40 days
def settle(policy: Program, referral: Referral | Mapping[str, Any], outcomes: Any, until: date,
           since: date | None = None, ignore_validity: bool = False) -> Settlement:
    ref = parse_referral(referral, policy, ignore_validity)
    events = parse_outcomes(outcomes, policy)
    since = since or ref.start
    if since > until:
        raise _problem("since", f"`since` ({since}) is after `until` ({until})")
    rounding = policy.rounding
    if rounding is None:
        raise EvaluationError("UDB705", "settlement needs the policy's rounding rule")
    domain = policy.document.domain
    package = domain.packages[ref.package]
    model = domain.price_models[package.spec.price_model]
    currency = policy.header.currency
    end = _referral_end(policy, ref, events, until)

    # Which days the weekly price is paid for.
    billed_last = (end.course_end if model.spec.billed == "course" else end.last_day)
    running = end.last_day is None and (model.spec.billed == "referral" or end.course_end is None)
    if running:
        billed_last = until
    assert billed_last is not None
    lines: list[SettlementLine] = []
    caps = model.spec.caps
    if caps is not None and caps.max_duration is not None:
        cap_duration = policy.domain_value((*model.path, "caps", "max_duration"), ref.start)
        cap_last = add_duration(ref.start, cap_duration, policy.month_end) - _DAY
        if cap_last < billed_last:
            billed_last = cap_last
            if since <= cap_last + _DAY <= until:
                lines.append(SettlementLine("cap", "max_duration", Money(0, currency),
                                            Period(ref.start, cap_last)))
    billed_last = min(billed_last, until)
    pieces = _pieces(policy, model.path, model.spec.partial_weeks, ref.start, ref.start,
                     billed_last, since)
    if caps is not None and caps.max_amount is not None:
        pieces = _cap_amount(pieces, policy.domain_value((*model.path, "caps", "max_amount"),
                                                         ref.start), since, until, lines,
                             currency)
    for piece in pieces:
        if piece.billed_last < since:  # invoiced before
            continue
        amount = rounding.apply(piece.amount)
        lines.append(SettlementLine(
            "weekly", model.spec.partial_weeks, Money(amount, currency),
            Period(piece.first, piece.last), piece.quantity, piece.unit, piece.price,
            piece.capped))
    lines.sort(key=lambda line: (line.period.start if line.period else date.max,
                                 line.kind != "weekly"))
    bonuses = [_bonus(policy, model.path, i, end, events, since, until, rounding, currency)
               for i in range(len(model.spec.bonuses))]
    for status in bonuses:
        if status.invoiced:
            assert status.covered is not None
            lines.append(SettlementLine("bonus", status.id, status.amount, status.covered,
                                        details=(("title", status.title),)))
    return Settlement(policy, ref, since, until, end, lines, bonuses, package.spec.price_model)


def _cap_amount(pieces: list[_Piece], cap: Money, since: date, until: date,
                lines: list[SettlementLine], currency: str) -> list[_Piece]:
    """Cut the weekly payments where their running total reaches the cap.

    The piece that crosses the cap is split: the days or weeks it can pay in full,
    then one unit paid in part (marked capped); nothing is paid after it.
    """
    total = Decimal(0)
    kept: list[_Piece] = []
    for piece in pieces:
        room = CONTEXT.subtract(cap.amount, total)
        if room <= 0:
            break
        if piece.amount <= room:
            total = CONTEXT.add(total, piece.amount)
            kept.append(piece)
            continue
        step = _DAY if piece.unit == "days" else _WEEK
        unit_price = (CONTEXT.divide(piece.price.amount, Decimal(7)) if piece.unit == "days"
                      else piece.price.amount)
        whole = int(CONTEXT.divide_int(room, unit_price))
        if whole:
            paid = CONTEXT.multiply(unit_price, Decimal(whole))
            last = piece.first + step * whole - _DAY
            kept.append(_Piece(piece.first, last, whole, piece.unit, piece.price, paid,
                               offset=piece.offset))
            room = CONTEXT.subtract(room, paid)
        if room > 0:
            first = piece.first + step * whole
            kept.append(_Piece(first, first + step - _DAY, 1, piece.unit, piece.price, room,
                               capped=True, offset=piece.offset))
        reached = kept[-1]
        if since <= reached.last and reached.first <= until:
            lines.append(SettlementLine("cap", "max_amount", Money(0, currency),
                                        Period(reached.first, reached.last),
                                        details=(("cap", cap),)))
        break
    return kept


def _bonus(policy: Program, model_path: tuple[str | int, ...], index: int, end: ReferralEnd,
           outcomes: Sequence[Outcome], since: date, until: date, rounding: Rounding,
           currency: str) -> BonusStatus:
    spec = policy.document.domain.price_models[str(model_path[1])].spec.bonuses[index]
    base = (*model_path, "bonuses", index)
    on = end.course_end or until
    amount = rounding.apply_money(policy.domain_value((*base, "amount"), on))
    amount = Money(amount.amount, currency)
    if end.course_end is None:
        return BonusStatus(spec.id, spec.title, "course_ongoing", amount)
    first = end.course_end + _DAY if spec.starting == "day_after_course_end" else end.course_end
    lasting = policy.domain_value((*base, "lasting"), first)
    window = following(first, lasting, policy.month_end)
    assert window.end is not None
    if first > until:
        return BonusStatus(spec.id, spec.title, "pending", amount, window)
    runs = _merged(outcomes, spec.outcome, until)
    covering = next((r for r in runs if r.start <= first and r.end is not None and
                     r.end >= first), None)
    if covering is None:
        started = _first_on_or_after(runs, first)
        return BonusStatus(spec.id, spec.title, "not_immediate", amount, window,
                           started_on=started)
    assert covering.end is not None
    if covering.end >= window.end:
        invoiced = since <= window.end <= until
        return BonusStatus(spec.id, spec.title, "earned", amount, window,
                           Period(first, window.end), invoiced=invoiced)
    if covering.end < until:
        return BonusStatus(spec.id, spec.title, "too_short", amount, window,
                           Period(first, covering.end), broke_on=covering.end + _DAY)
    return BonusStatus(spec.id, spec.title, "pending", amount, window,
                       Period(first, covering.end))
