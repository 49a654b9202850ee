"""Result payments: bonuses, milestones and result payments, with where each stands.

A result payment is earned when its outcome holds, without a break, for its ``lasting``
from its anchor:

- ``day_after_course_end`` / ``course_end`` (the bonuses of the seed policies): the
  outcome must hold from the anchor on; while the course runs the payment is
  *course_ongoing*, it is *not_immediate* if the outcome does not hold on the anchor,
  *too_short* if it breaks before the period is over, else *pending* until it is over;
- ``outcome_start``: the period starts when one of the outcomes starts within the
  window (the referral, the course, or a duration from the referral's start; an
  outcome that already holds on the referral's first day began before it and does not
  count); a run that breaks too soon does not end the search, a later one in the window
  may earn it. It is *pending* while the window is open or a run may still last long
  enough, *too_short* if runs began but none lasted, *not_reached* if none began;
- ``referral_start``: earned on the referral's first day (a payment at the start).

The amount may read the citizen's facts, which outcome made the result (``result``) and
how soon it came (``time_to_result``, from the start of the service, the first of the
linked referrals, to the outcome's start);
``tiers`` choose the amount by how soon. A result whose ``when`` does not hold for the
citizen is *not_applicable*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from udbudsregler.ir.graph import Result
from udbudsregler.runtime.outcome_runs import OutcomeRuns
from udbudsregler.runtime.program import Program
from udbudsregler.runtime.settlement_records import BonusStatus, Referral, ReferralEnd
from udbudsregler.values.money import Money, Rounding
from udbudsregler.values.temporal import Duration, Period, SpanLength, add_duration, following

__all__ = ["result_status"]

_DAY = timedelta(days=1)


def _first_on_or_after(runs: Sequence[Period], day: date) -> date | None:
    for run in runs:
        assert run.end is not None
        if run.end >= day:
            return max(run.start, day)
    return None


def _amount(policy: Program, result: Result, facts: dict[str, Any], on: date,
            rounding: Rounding, currency: str, kind: str | None,
            referral_start: date, began: date | None) -> tuple[Money, str | None]:
    """The rounded amount, and the tier it was taken from (None without tiers)."""
    context = dict(facts)
    context["$result"] = kind
    context["$time_to_result"] = (SpanLength(referral_start, began - _DAY)
                                  if began is not None and began > referral_start
                                  else SpanLength.empty(referral_start))
    value = policy.node_value(result.amount, context, on)
    amount = Money(rounding.apply_money(value).amount, currency)
    tier = None
    if result.tiers:
        span = context["$time_to_result"]
        for candidate in result.tiers:
            if candidate.within is None:
                tier = candidate.id
                break
            limit = policy.node_value(candidate.within, facts, on)
            if policy.graph.header is not None and _shorter(policy, span, limit):
                tier = candidate.id
                break
    return amount, tier


def _shorter(policy: Program, span: SpanLength, limit: Duration) -> bool:
    from udbudsregler.semantics.ops import duration_compare

    return duration_compare(span, limit, policy.month_end) < 0


def result_status(policy: Program, result: Result, referral: Referral, end: ReferralEnd,
                  runs: OutcomeRuns, facts: dict[str, Any], since: date, until: date,
                  rounding: Rounding, currency: str) -> BonusStatus:
    start = referral.start
    service = referral.service_start  # time to the result counts from here
    title = result.title
    if result.when is not None and not policy.node_value(result.when, facts, start):
        zero = Money(0, currency)
        return BonusStatus(result.id, title, "not_applicable", zero)
    rule = policy.month_end
    if result.anchor == "referral_start":
        amount, tier = _amount(policy, result, facts, start, rounding, currency, None, service,
                               None)
        invoiced = since <= start <= until
        return BonusStatus(result.id, title, "earned", amount, Period(start, start),
                           Period(start, start), invoiced=invoiced, tier=tier, earned_on=start)
    if result.anchor in ("day_after_course_end", "course_end"):
        status = _after_course(policy, result, end, runs, facts, since, until, rounding,
                               currency, service)
        # a bonus of `bonuses:` reports what it always did
        return replace(status, result=None, tier=None, earned_on=None) if result.legacy \
            else status
    # from the outcome's start, within the window
    window_end = _window_end(policy, result, referral, end, facts, until)
    candidates: list[tuple[Period, str]] = sorted(
        ((run, kind) for kind in result.outcomes for run in runs(kind)
         if start < run.start <= window_end),
        key=lambda item: (item[0].start, result.outcomes.index(item[1])))
    lasting = (policy.node_value(result.lasting, facts, start) if result.lasting is not None
               else None)
    too_short: tuple[Period, str, Period] | None = None
    for run, kind in candidates:
        period = (following(run.start, lasting, rule) if lasting is not None
                  else Period(run.start, run.start))
        assert period.end is not None and run.end is not None
        if run.end >= period.end:
            amount, tier = _amount(policy, result, facts, period.end, rounding, currency,
                                   kind, service, run.start)
            if period.end > until:
                return BonusStatus(result.id, title, "pending", amount, period,
                                   Period(run.start, run.end), result=kind, tier=tier)
            invoiced = since <= period.end <= until
            return BonusStatus(result.id, title, "earned", amount, period, period,
                               invoiced=invoiced, result=kind, tier=tier,
                               earned_on=period.end)
        if run.end >= until:  # still running on `until`: it may yet last long enough
            amount, tier = _amount(policy, result, facts, until, rounding, currency, kind,
                                   service, run.start)
            return BonusStatus(result.id, title, "pending", amount, period,
                               Period(run.start, run.end), result=kind, tier=tier)
        if too_short is None:
            too_short = (run, kind, period)
    if too_short is not None and window_end < until:
        run, kind, period = too_short
        assert run.end is not None
        amount, tier = _amount(policy, result, facts, run.start, rounding, currency, kind,
                               service, run.start)
        return BonusStatus(result.id, title, "too_short", amount, period,
                           Period(run.start, run.end), broke_on=run.end + _DAY, result=kind,
                           tier=tier)
    amount, tier = _amount(policy, result, facts, start, rounding, currency, None, service,
                           None)
    if window_end >= until or too_short is not None:
        return BonusStatus(result.id, title, "pending", amount, Period(start, window_end),
                           tier=tier)
    return BonusStatus(result.id, title, "not_reached", amount, Period(start, window_end),
                       tier=tier)


def _window_end(policy: Program, result: Result, referral: Referral, end: ReferralEnd,
                facts: dict[str, Any], until: date) -> date:
    """The last day an outcome may start on to count for the result."""
    if result.within == "referral":
        if end.last_day is None:
            return end.latest_last_day
        if end.cause == "outcome" and end.outcome_began is not None:
            # the outcome that ended the referral began the day after its last day
            return max(end.last_day, end.outcome_began)
        return end.last_day
    if result.within == "course":
        return end.course_end if end.course_end is not None else end.latest_last_day
    length = policy.node_value(result.within, facts, referral.start)
    return add_duration(referral.service_start, length, policy.month_end) - _DAY


def _after_course(policy: Program, result: Result, end: ReferralEnd, runs: OutcomeRuns,
                  facts: dict[str, Any], since: date, until: date, rounding: Rounding,
                  currency: str, start: date) -> BonusStatus:
    """A result that must hold from the end of the course on (any of its outcomes)."""
    title = result.title
    on = end.course_end or until
    if end.course_end is None:
        amount, tier = _amount(policy, result, facts, on, rounding, currency, None, start, None)
        return BonusStatus(result.id, title, "course_ongoing", amount, tier=tier)
    first = end.course_end + _DAY if result.anchor == "day_after_course_end" else end.course_end
    lasting = (policy.node_value(result.lasting, facts, first) if result.lasting is not None
               else Duration(0, 1))
    window = following(first, lasting, policy.month_end)
    assert window.end is not None
    kinds = result.outcomes
    covering: tuple[Period, str] | None = None
    for candidate in kinds:
        found = next((r for r in runs(candidate) if r.start <= first and r.end is not None
                      and r.end >= first), None)
        if found is not None and (covering is None or found.end > covering[0].end):  # type: ignore[operator]
            covering = (found, candidate)
    kind: str | None = covering[1] if covering is not None else None
    amount, tier = _amount(policy, result, facts, on, rounding, currency, kind, start,
                           covering[0].start if covering else None)
    if first > until:
        return BonusStatus(result.id, title, "pending", amount, window, tier=tier)
    if covering is None:
        started = min((d for k in kinds
                       if (d := _first_on_or_after(runs(k), first)) is not None), default=None)
        return BonusStatus(result.id, title, "not_immediate", amount, window,
                           started_on=started, tier=tier)
    run = covering[0]
    assert run.end is not None
    if run.end >= window.end:
        invoiced = since <= window.end <= until
        return BonusStatus(result.id, title, "earned", amount, window,
                           Period(first, window.end), invoiced=invoiced, result=kind, tier=tier,
                           earned_on=window.end)
    if run.end < until:
        return BonusStatus(result.id, title, "too_short", amount, window,
                           Period(first, run.end), broke_on=run.end + _DAY, result=kind,
                           tier=tier)
    return BonusStatus(result.id, title, "pending", amount, window, Period(first, run.end),
                       result=kind, tier=tier)
