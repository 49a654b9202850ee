"""The monthly invoicing run: settle a month of referrals into one invoice per supplier.

Once a month the job centre pays its suppliers. For every referral it asks
the policy what falls in the month (``policy.settle(referral, outcomes,
since=first day, until=last day)``), and adds the lines up per supplier:

- weekly lines: the weekly price for the days (or started weeks) of the month,
  split where the price changes;
- bonus lines: a bonus is invoiced in the month it is earned, which can be
  months after the course ended, so referrals that ended earlier are settled
  too (what happened before the month is taken into account, not invoiced again);
- notes: what happened in the month without an amount (a bonus lost, a cap
  reached, the referral ended).

Amounts are ``Decimal``, rounded once per line by the policy's rounding rule;
the invoice totals are exact sums of the lines, and the run checks that they add
up before it prints anything.

Run it from the repository root::

    .venv/bin/python examples/invoicing.py --month 2020-05
    .venv/bin/python examples/invoicing.py policies/koebenhavn-2024 \\
        --referrals examples/data/referrals-koebenhavn.json --month 2024-05
    .venv/bin/python examples/invoicing.py --month 2020-05 --json

The referrals file is a JSON list; each item is a referral (``id``, ``start``,
``package``, ``supplier``, ``area``, optional ``stop``) with its ``outcomes``
(periods such as self-support) and an optional ``note`` for a human reader.

Exit status: 0 when every referral was settled, 1 when some could not be (they
are listed under "Not invoiced"), 2 when the run could not start.
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import udbudsregler as ur
from udbudsregler import Settlement, SettlementLine

HERE = Path(__file__).resolve().parent
DEFAULT_POLICY = HERE.parent / "policies" / "slagelse-2019"
DEFAULT_REFERRALS = HERE / "data" / "referrals.json"

#: Keys of a referrals-file item that are not part of the referral itself.
EXTRA_KEYS = ("outcomes", "note")


class InputError(Exception):
    """A file the run needs cannot be read or is not what it should be."""


# -- the month -----------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """``2020-05`` -> Month(2020, 5); for argparse."""
        try:
            year, month = (int(part) for part in text.split("-"))
            date(year, month, 1)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {text!r}") from None
        return cls(year, month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __contains__(self, day: date | None) -> bool:
        return day is not None and self.first <= day <= self.last


# -- money as text -------------------------------------------------------------------


def money(amount: Decimal, currency: str) -> str:
    """``Decimal("56539.85")`` -> ``56,539.85 DKK``. Formatting only: no arithmetic."""
    return f"{amount:,.2f} {currency}"


def price(value: ur.Money | None) -> str:
    return money(value.amount, value.currency) if value is not None else "-"


def period(p: ur.Period | None) -> str:
    if p is None:
        return "-"
    return f"{p.start.isoformat()} – {p.end.isoformat() if p.end else '(open)'}"


# -- reading the input ---------------------------------------------------------------


def read_referrals(path: Path) -> list[dict[str, Any]]:
    try:
        items = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except OSError as error:
        raise InputError(f"cannot read the referrals file {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise InputError(f"the referrals file {path} is not JSON: {error}") from None
    if not isinstance(items, list):
        raise InputError(f"the referrals file {path} must hold a JSON list of referrals")
    return items


def check_supplier(referral: dict[str, Any]) -> str | None:
    """The host's own rule: an invoice needs the supplier. (``Policy.settle`` accepts a
    referral without one; it checks that a supplier given belongs to the policy and to
    the referral's area.) Returns what is wrong, or None."""
    if not isinstance(referral.get("supplier"), str):
        return "referral.supplier: missing; an invoice needs the supplier"
    return None


# -- an invoice ----------------------------------------------------------------------


@dataclass
class InvoicedReferral:
    settlement: Settlement
    notes: list[str]


@dataclass
class Invoice:
    supplier: str
    name: str
    currency: str
    referrals: list[InvoicedReferral] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        """The exact sum of the referrals' totals (each is the sum of its rounded lines)."""
        return sum((r.settlement.total for r in self.referrals), Decimal(0))


@dataclass
class Run:
    month: Month
    invoices: dict[str, Invoice] = field(default_factory=dict)
    #: referral id -> why it is not on an invoice this month
    not_invoiced: dict[str, str] = field(default_factory=dict)
    #: referral id -> what is wrong (bad data, or the policy cannot settle it)
    failed: dict[str, list[str]] = field(default_factory=dict)
    #: every settlement made, including those with nothing to invoice
    settlements: list[Settlement] = field(default_factory=list)

    @property
    def grand_total(self) -> Decimal:
        return sum((invoice.total for invoice in self.invoices.values()), Decimal(0))

    def check_totals(self) -> None:
        """The supplier totals add up to the grand total, and to the settlements' totals.

        An explicit check (not ``assert``, which ``python -O`` removes): an invoicing
        run that does not add up must not print invoices.
        """
        settled = sum((s.total for s in self.settlements), Decimal(0))
        per_supplier = sum((i.total for i in self.invoices.values()), Decimal(0))
        for invoice in self.invoices.values():
            for item in invoice.referrals:
                lines = sum((line.amount.amount for line in item.settlement.lines), Decimal(0))
                if lines != item.settlement.total:
                    raise AssertionError(f"referral {item.settlement.referral.id}: the lines "
                                         f"add up to {lines}, the total is "
                                         f"{item.settlement.total}")
        if not per_supplier == self.grand_total == settled:
            raise AssertionError(f"the invoices do not add up: suppliers {per_supplier}, "
                                 f"grand total {self.grand_total}, settlements {settled}")


def line_text(line: SettlementLine) -> str:
    """One settlement line in words, from its fields (see ``SettlementLine.to_dict``)."""
    if line.kind == "weekly":
        if line.unit == "days":
            text = (f"weekly price {period(line.period)}: {line.quantity} days × "
                    f"{price(line.unit_price)} a week ÷ 7")
        else:
            kind = "started" if line.reason == "started_weeks" else "whole"
            weeks = "week" if line.quantity == 1 else "weeks"
            text = (f"weekly price {period(line.period)}: {line.quantity} {kind} {weeks} × "
                    f"{price(line.unit_price)}")
        return text + (" (cut by the cap)" if line.capped else "")
    if line.kind == "bonus":
        title = dict(line.details).get("title", line.reason)
        return f"bonus “{title}”: earned, the outcome held throughout {period(line.period)}"
    if line.kind == "cap" and line.reason == "max_amount":
        cap = dict(line.details).get("cap")
        return f"the cap on weekly payments ({price(cap)}) is reached: no more weekly price"
    return f"weekly price paid for {period(line.period)} at most ({line.reason})"


END_CAUSES = {
    "max_duration": "its longest duration was reached",
    "aftercare_completed": "the citizen became self-supporting and aftercare is over",
    "stopped": "the job centre ended it",
}


def notes_for(settlement: Settlement, month: Month) -> list[str]:
    """What happened in the month that the lines do not say: ends, bonuses lost or pending."""
    notes: list[str] = []
    end = settlement.end
    if end.course_end in month and end.course_end != end.last_day:
        notes.append(f"the course ended on {end.course_end}; aftercare {period(end.aftercare)}")
    if end.last_day in month:
        notes.append(f"the referral ended on {end.last_day}: {END_CAUSES[end.cause]}")
    for bonus in settlement.bonuses:
        amount = price(bonus.amount)
        if bonus.status == "too_short" and bonus.broke_on in month:
            assert bonus.window is not None
            notes.append(f"bonus “{bonus.title}” ({amount}) lost: the outcome broke on "
                         f"{bonus.broke_on}; it had to hold until {bonus.window.end}")
        elif (bonus.status == "not_immediate" and bonus.window is not None
              and bonus.window.start in month):
            started = f", but started only on {bonus.started_on}" if bonus.started_on else ""
            notes.append(f"bonus “{bonus.title}” ({amount}) not earned: the outcome had to "
                         f"start on {bonus.window.start}, right after the course{started}")
        elif bonus.status == "pending" and end.course_end in month:
            notes.append(f"bonus “{bonus.title}” ({amount}) pending: the outcome must hold "
                         f"throughout {period(bonus.window)}")
    return notes


def iso_date(value: Any) -> date | None:
    """A YYYY-MM-DD text as a date; None if it is not one (settle() then says what is wrong)."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def run_month(policy: ur.Policy, items: list[dict[str, Any]], month: Month) -> Run:
    run = Run(month)
    currency = policy.header.currency
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            run.failed[f"item {index}"] = ["expected a JSON object"]
            continue
        ident = str(item.get("id", f"item {index}"))
        # The referral is the item without the host's extras; settle() rejects unknown keys.
        referral = {k: v for k, v in item.items() if k not in EXTRA_KEYS}
        problem = check_supplier(referral)
        if problem is not None:
            run.failed[ident] = [problem]
            continue
        start = iso_date(referral.get("start"))
        if start is not None and start > month.last:
            run.not_invoiced[ident] = f"starts {start}, after the month"
            continue
        try:
            settlement = policy.settle(referral, item.get("outcomes"),
                                       since=month.first, until=month.last)
        except ur.FactError as error:
            # Bad referral data: each problem names its path, e.g. outcomes[0].kind.
            run.failed[ident] = [p.render() for p in error.problems]
            continue
        except ur.EvaluationError as error:
            # The data fits, but the policy cannot settle it (e.g. no price on that date).
            run.failed[ident] = [error.render()]
            continue
        run.settlements.append(settlement)
        notes = notes_for(settlement, month)
        if not settlement.lines and not notes:
            run.not_invoiced[ident] = "nothing to invoice this month"
            continue
        supplier = referral["supplier"]
        invoice = run.invoices.setdefault(
            supplier, Invoice(supplier, policy.supplier_name(supplier), currency))
        invoice.referrals.append(InvoicedReferral(settlement, notes))
    run.check_totals()
    return run


# -- output --------------------------------------------------------------------------


WIDTH = 92


def row(indent: int, text: str, amount: str) -> str:
    """``text`` with ``amount`` right-aligned at WIDTH; a long text gets its own line."""
    room = WIDTH - indent - len(amount) - 2
    if len(text) > room:
        return f"{' ' * indent}{text}\n{amount:>{WIDTH}}"
    return f"{' ' * indent}{text:<{room}}  {amount}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def print_run(run: Run, policy: ur.Policy) -> None:
    month = run.month
    currency = policy.header.currency
    print(f"Invoices for {month} ({month.first} – {month.last})")
    print(f"{policy.title}\npolicy {policy.id} ({policy.content_hash[:19]}...)\n")
    for invoice in run.invoices.values():
        print(f"Invoice to {invoice.name} ({invoice.supplier})")
        for item in invoice.referrals:
            s = item.settlement
            r = s.referral
            print(f"  Referral {r.id}: started {r.start}, package {r.package}")
            for line in s.lines:
                print(row(4, line_text(line), money(line.amount.amount, currency)))
            for note in item.notes:
                print(f"    note: {note}")
            print(row(4, "referral total", money(s.total, currency)))
        print(row(2, f"Total to {invoice.name}", money(invoice.total, currency)))
        print()
    count = sum(len(i.referrals) for i in run.invoices.values())
    label = (f"Grand total: {plural(len(run.invoices), 'supplier')}, "
             f"{plural(count, 'referral')}")
    print(row(0, label, money(run.grand_total, currency)))
    if run.not_invoiced or run.failed:
        print("\nNot invoiced:")
        for ident, why in run.not_invoiced.items():
            print(f"  {ident}: {why}")
        for ident, problems in run.failed.items():
            print(f"  {ident}: NOT SETTLED")
            for problem in problems:
                print(f"    {problem}")


def run_json(run: Run, policy: ur.Policy) -> dict[str, Any]:
    """The run as JSON: amounts as exact text, each settlement as ``to_dict()`` gives it."""
    currency = policy.header.currency

    def amount(value: Decimal) -> dict[str, str]:
        return {"amount": format(value, "f"), "currency": currency}

    return {
        "policy": {"id": policy.id, "content_hash": policy.content_hash},
        "month": str(run.month),
        "since": run.month.first.isoformat(),
        "until": run.month.last.isoformat(),
        "invoices": [
            {"supplier": invoice.supplier, "name": invoice.name,
             "referrals": [{"settlement": item.settlement.to_dict(), "notes": item.notes}
                           for item in invoice.referrals],
             "total": amount(invoice.total)}
            for invoice in run.invoices.values()],
        "grand_total": amount(run.grand_total),
        "not_invoiced": run.not_invoiced,
        "failed": run.failed,
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="invoicing.py",
        description="Settle a month of referrals into one invoice per supplier.")
    parser.add_argument("policy", nargs="?", default=str(DEFAULT_POLICY),
                        help="policy folder or file (default: policies/slagelse-2019)")
    parser.add_argument("--referrals", default=str(DEFAULT_REFERRALS),
                        help="JSON file of referrals with their outcomes "
                             "(default: examples/data/referrals.json)")
    parser.add_argument("--month", default=Month(2020, 5), type=Month.parse,
                        help="the month to invoice, YYYY-MM (default: 2020-05)")
    parser.add_argument("--json", action="store_true", help="write the invoices as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, or a bad argument (argparse printed why)
        return int(exit_.code or 0)
    try:
        policy = ur.load_policy(args.policy)
    except ur.PolicyError as error:
        print(f"error: the policy {args.policy} cannot be used:", file=sys.stderr)
        print(error.render(), file=sys.stderr)
        return 2
    try:
        items = read_referrals(Path(args.referrals))
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    run = run_month(policy, items, args.month)
    if args.json:
        print(json.dumps(run_json(run, policy), ensure_ascii=False, indent=2))
    else:
        print_run(run, policy)
    return 1 if run.failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly, and
        # point the output at /dev/null so that the flush at exit does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
