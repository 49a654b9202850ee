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
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from udbudsregler.diagnostics import EvaluationError, FactError, FactProblem
from udbudsregler.ir.graph import Payment, PriceModel
from udbudsregler.runtime.guard import evaluation_errors
from udbudsregler.runtime.outcome_runs import OutcomeRuns
from udbudsregler.runtime.payments import Piece, by_supplier, cap_amount, piece_lines, pieces
from udbudsregler.runtime.program import Program
from udbudsregler.runtime.records import settlement_record
from udbudsregler.runtime.results import result_status
from udbudsregler.runtime.schemas import check_validity, schemas_for
from udbudsregler.runtime.settlement_records import (
    BonusStatus,
    EndCause,
    Outcome,
    Referral,
    ReferralEnd,
    SettlementLine,
)
from udbudsregler.runtime.settlement_text import settlement_text
from udbudsregler.semantics.ops import CONTEXT
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, Period, add_duration, following

__all__ = ["BonusStatus", "Referral", "ReferralEnd", "Settlement", "SettlementLine",
           "parse_outcomes", "parse_referral", "settle"]

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)


class Settlement:
    """The payment for one referral up to a date, with its lines and reasons."""

    def __init__(self, policy: Program, referral: Referral, since: date, until: date,
                 end: ReferralEnd, lines: Sequence[SettlementLine],
                 bonuses: Sequence[BonusStatus], price_model: str,
                 outcomes: Sequence[Outcome] = ()) -> None:
        self.policy = policy
        self.referral = referral
        self.since = since
        self.until = until
        self.end = end
        self.lines = tuple(lines)
        self.bonuses = tuple(bonuses)
        self.price_model = price_model
        #: The outcomes the settlement was made with.
        self.outcomes = tuple(outcomes)

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

    def to_dict(self, compact: bool = False) -> dict[str, Any]:
        """The settlement record: the results, the inputs of the call with their hashes,
        the policy's id and content hash and the library's version, so that
        :func:`udbudsregler.replay` can settle again (see
        :mod:`udbudsregler.runtime.records`). ``compact``: ids and codes only (no bonus
        titles in the lines' details)."""
        return settlement_record(self, compact)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def __repr__(self) -> str:
        return (f"Settlement(referral={self.referral.id!r}, until={self.until.isoformat()}, "
                f"total={format(self.total, 'f')}, end={self.end.cause})")


# -- input -------------------------------------------------------------------------


def _problem(path: str, message: str, code: str = "UDB602") -> FactError:
    return FactError([FactProblem(code, path, message)])


def parse_referral(value: Referral | Mapping[str, Any], policy: Program,
                   ignore_validity: bool = False) -> Referral:
    """The referral checked against the policy (every problem in one FactError), and its
    start against the policy's validity (EvaluationError UDB703, unless
    ``ignore_validity``)."""
    referral, problems = schemas_for(policy).referral(value)
    if problems:
        raise FactError(problems)
    assert referral is not None
    if not ignore_validity:
        check_validity(policy, referral)
    return referral


def parse_outcomes(value: Sequence[Outcome | Mapping[str, Any]] | None,
                   policy: Program) -> list[Outcome]:
    """The outcomes checked against the policy (every problem in one FactError)."""
    outcomes, problems = schemas_for(policy).outcomes(value)
    if problems:
        raise FactError(problems)
    return outcomes


# -- the computation ----------------------------------------------------------------


def _referral_end(policy: Program, referral: Referral, runs: OutcomeRuns,
                  until: date) -> ReferralEnd:
    rule_spec = policy.graph.referral
    rule = policy.month_end
    start = referral.start
    latest = date.max
    if rule_spec is not None:
        max_duration = policy.tender_value(rule_spec.max_duration, start)
        latest = add_duration(start, max_duration, rule) - _DAY
        if rule_spec.total_duration is not None:
            # all linked referrals together: the days of the earlier ones count
            total = policy.tender_value(rule_spec.total_duration, start)
            used = sum(((p.end - p.start).days + 1 for p in referral.previous
                        if p.end is not None), 0)
            latest = min(latest, add_duration(start, total, rule) - _DAY * (used + 1))
            if latest < start:
                raise _problem("referral.previous", f"the earlier referrals ({used} days) "
                               "have used the whole total duration of the service, so this "
                               "one cannot begin", "UDB604")
    package = policy.graph.packages[referral.package]
    if package.max_duration is not None:
        package_length = policy.tender_value(package.max_duration, start)
        latest = min(latest, add_duration(start, package_length, rule) - _DAY)
    ends: list[tuple[date, EndCause]] = [(latest, "max_duration")]
    course_end = latest
    aftercare: Period | None = None
    ended_by: tuple[date, str] | None = None
    if referral.stop is not None:
        ends.append((referral.stop, "stopped"))
        course_end = min(course_end, referral.stop)
    if rule_spec is not None and rule_spec.ends_on:
        # The course ends when the citizen *becomes* self-supporting (the outcome starts)
        # during the referral: a run that already holds on the first day began before the
        # referral and does not end it.
        found = runs.first_start_after(rule_spec.ends_on, start)
        began = found[0] if found is not None else None
        recorded = rule_spec.course_ends == "as_recorded"
        if found is not None and began is not None and began <= course_end:
            ended_by = found
            follows: date | None
            if recorded:
                # The course runs to the end the job centre records (`stop`); aftercare,
                # if any, follows it. Until the end is recorded the course goes on.
                follows = None
                if referral.stop is not None:
                    follows = course_end + _DAY
                    ends.remove((referral.stop, "stopped"))
            else:
                course_end = began - _DAY
                follows = began
            if follows is not None and rule_spec.aftercare is not None:
                length: Duration = policy.tender_value(rule_spec.aftercare, start)
                aftercare = following(follows, length, rule)
                assert aftercare.end is not None
                ends.append((aftercare.end, "aftercare_completed"))
            elif follows is not None:
                ends.append((course_end, "outcome"))
    order = {"stopped": 0, "outcome": 1, "aftercare_completed": 1, "max_duration": 2}
    last_day, cause = min(ends, key=lambda e: (e[0], order[e[1]]))
    kind, began_on = (ended_by[1], ended_by[0]) if ended_by is not None else (None, None)
    if last_day > until:
        return ReferralEnd(None, "ongoing", course_end if course_end <= until else None,
                           aftercare, latest, kind, began_on)
    return ReferralEnd(last_day, cause, min(course_end, last_day), aftercare, latest, kind,
                       began_on)


def _facts_needed(policy: Program, model: PriceModel, referral: Referral) -> dict[str, Any]:
    """The citizen's facts, when the price model reads them (they are then required)."""
    if referral.facts is not None:
        return referral.facts
    reads = policy.price_model_facts(model.name)
    if reads:
        raise FactError([FactProblem(
            "UDB601", "referral.facts", "missing: the price model "
            f"`{model.name}` depends on the citizen's facts ({', '.join(reads)})",
            hint="give the citizen's facts as the referral's `facts`")])
    return {}


@evaluation_errors  # a referral near the calendar's end, a duration of 1 month - 40 days
def settle(policy: Program, referral: Referral | Mapping[str, Any], outcomes: Any, until: date,
           since: date | None = None, ignore_validity: bool = False, *,
           checked: bool = False) -> Settlement:
    """The settlement of a referral (see ``Policy.settle``). ``checked``: the referral and
    outcomes were validated already (``schemas.settlement_inputs``: a :class:`Referral`
    and a list of :class:`Outcome`); only the referral's start is checked against the
    validity then."""
    if checked:
        assert isinstance(referral, Referral)
        ref, events = referral, list(outcomes)
        if not ignore_validity:
            check_validity(policy, ref)
    else:
        ref = parse_referral(referral, policy, ignore_validity)
        events = parse_outcomes(outcomes, policy)
    since = since or ref.start
    if since > until:
        raise _problem("since", f"`since` ({since}) is after `until` ({until})")
    rounding = policy.rounding
    if rounding is None:
        raise EvaluationError("UDB705", "settlement needs the policy's rounding rule")
    graph = policy.graph
    package = graph.packages[ref.package]
    model = graph.price_models[package.spec.price_model]
    currency = policy.header.currency
    facts = _facts_needed(policy, model, ref)
    runs = OutcomeRuns(policy, events, ref.start, until,
                       ref.facts if ref.facts is not None else None)
    end = _referral_end(policy, ref, runs, until)
    rule = policy.month_end

    lines: list[SettlementLine] = []
    caps = model.caps
    cap_last: date | None = None
    if caps is not None and caps.max_duration is not None:
        cap_duration = policy.tender_value(caps.max_duration, ref.start)
        cap_last = add_duration(ref.start, cap_duration, rule) - _DAY
    periodic: list[tuple[Payment, list[Piece]]] = []
    capped_once = False
    for payment in model.payments:
        if payment.when is not None and not policy.node_value(payment.when, facts, ref.start):
            continue
        if payment.per == "once":
            if since <= ref.start <= until:
                value = policy.node_value(payment.amount, facts, ref.start)
                lines.append(SettlementLine(
                    "payment", payment.id, Money(rounding.apply(value.amount), currency),
                    Period(ref.start, ref.start), 1, "once", value,
                    details=(("title", payment.title), ("per", "once")),
                    supplier=ref.supplier_on(ref.start) if ref.changes else None))
            continue
        # Which days the payment is for.
        billed_last = (end.course_end if payment.during == "course" else end.last_day)
        running = end.last_day is None and (payment.during == "referral"
                                            or end.course_end is None)
        if running:
            billed_last = until
        assert billed_last is not None
        if cap_last is not None and cap_last < billed_last:
            billed_last = cap_last
            if not capped_once and since <= cap_last + _DAY <= until:
                capped_once = True
                lines.append(SettlementLine("cap", "max_duration", Money(0, currency),
                                            Period(ref.start, cap_last)))
        billed_last = min(billed_last, until)
        periodic.append((payment, pieces(policy, payment, facts, ref.start, ref.start,
                                         billed_last, since)))
    if caps is not None and caps.max_amount is not None:
        cap = policy.node_value(caps.max_amount, facts, ref.start)
        remaining: list[tuple[Payment, list[Piece]]] = []
        for payment, found in periodic:
            kept = cap_amount(found, cap, since, until, lines, currency, ref.start, rule)
            paid = sum((k.amount for k in kept), Decimal(0))
            cap = Money(CONTEXT.subtract(cap.amount, paid), cap.currency)
            remaining.append((payment, kept))
        periodic = remaining
    for payment, found in periodic:
        if ref.changes:
            found = by_supplier(found, ref, ref.start, rule)
        lines += piece_lines(found, payment, since, rounding, currency)
    lines.sort(key=lambda line: (line.period.start if line.period else date.max,
                                 line.kind not in ("weekly", "payment")))
    bonuses = [result_status(policy, result, ref, end, runs, facts, since, until, rounding,
                             currency) for result in model.results]
    for result, status in zip(model.results, bonuses, strict=True):
        if status.invoiced:
            assert status.covered is not None
            details: tuple[tuple[str, Any], ...] = (("title", status.title),)
            if not result.legacy:
                details += tuple((k, v) for k, v in (("result", status.result),
                                                     ("tier", status.tier)) if v is not None)
            day = status.earned_on or status.covered.end
            lines.append(SettlementLine(
                "bonus" if result.legacy else "result", status.id, status.amount,
                status.covered, details=details,
                supplier=ref.supplier_on(day) if ref.changes and day else None))
    return Settlement(policy, ref, since, until, end, lines, bonuses, package.spec.price_model,
                      events)
