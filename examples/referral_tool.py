"""A referral (visitation) tool: decide for a file of citizens, with explanations.

This is what a job centre's host application does with udbudsregler when a
caseworker refers citizens to the tender's suppliers:

1. load the policy of the tender round in force, once (``ur.load_policy``);
2. for each citizen, hand the policy the citizen's facts, the caseworker's
   order and the current supplier state, and get a decision
   (``policy.decide``);
3. show the decision: eligibility, target groups, service area, supplier,
   course package, and on request the full explanation (the reasons a
   decision under Danish administrative law must carry);
4. keep going when one citizen's data is bad: report the field paths and
   decide the next citizen.

Run it from the repository root::

    .venv/bin/python examples/referral_tool.py
    .venv/bin/python examples/referral_tool.py --explain --lang en
    .venv/bin/python examples/referral_tool.py --json

The input is a JSON Lines file, one citizen per line::

    {"id": "C-01", "facts": {...}, "order": {"package": "job", "weekly_hours": 12}}

``note`` is allowed for a human reader and ignored. The supplier state (load,
capacity, the next sequence number per area for rotation) is one JSON file
shared by all citizens. Every citizen the tool refers (an area, a supplier,
and an accepted package or none ordered) updates that state in memory, as a
real host would after recording the referral: the supplier's load goes up
by one and the area's sequence number moves on, so rotation takes turns.

Exit status: 0 when every citizen was decided, 1 when some citizens had bad
data (they are listed), 2 when the run could not start (a broken policy, a
missing file, a date outside the policy's validity).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import udbudsregler as ur

HERE = Path(__file__).resolve().parent
DEFAULT_POLICY = HERE.parent / "policies" / "koebenhavn-2024"
DEFAULT_CITIZENS = HERE / "data" / "citizens.jsonl"
DEFAULT_SUPPLIERS = HERE / "data" / "suppliers.json"

#: The keys a line of the citizens file may have.
CITIZEN_KEYS = {"id", "facts", "order", "note"}


class InputError(Exception):
    """A file the tool needs cannot be read or is not what it should be."""


# -- reading the input -------------------------------------------------------------


@dataclass
class Citizen:
    """One line of the citizens file."""

    line: int
    id: str
    facts: dict[str, Any]
    order: dict[str, Any] | None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a citizen's data: where (a field path) and what."""

    path: str
    message: str
    code: str | None = None

    @classmethod
    def of(cls, problem: ur.FactProblem) -> Problem:
        text = problem.message + (f" (expected {problem.expected})" if problem.expected else "")
        return cls(problem.path, text, problem.code)

    def __str__(self) -> str:
        return f"{self.path}: {self.code + ': ' if self.code else ''}{self.message}"

    def to_dict(self) -> dict[str, str]:
        out = {"path": self.path, "message": self.message}
        if self.code:
            out["code"] = self.code
        return out


@dataclass
class BadLine:
    """A line that is not even a citizen (not JSON, no id, no facts)."""

    line: int
    id: str
    problems: list[Problem]


def read_citizens(path: Path) -> Iterator[Citizen | BadLine]:
    """The citizens of a JSON Lines file, one by one; a broken line becomes a BadLine.

    The facts themselves are not checked here: that is the policy's job, and its
    FactError says precisely which field is wrong.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read the citizens file {path}: {error.strerror}") from None
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            # Numbers with a fraction become Decimal: the library refuses binary floats
            # (7.5 hours must stay exactly 7.5).
            item = json.loads(raw, parse_float=Decimal)
        except json.JSONDecodeError as error:
            yield BadLine(number, f"line {number}", [Problem("(line)", f"not JSON: {error.msg}")])
            continue
        if not isinstance(item, dict):
            yield BadLine(number, f"line {number}", [Problem("(line)", "expected a JSON object")])
            continue
        ident = str(item.get("id") or f"line {number}")
        problems = [Problem(key, "not a part of a citizen line") for key in sorted(item)
                    if key not in CITIZEN_KEYS]
        if not isinstance(item.get("facts"), dict):
            problems.append(Problem("facts", "missing, or not a JSON object"))
        order = item.get("order")
        if order is not None and not isinstance(order, dict):
            problems.append(Problem("order", "not a JSON object"))
        if problems:
            yield BadLine(number, ident, problems)
            continue
        yield Citizen(number, ident, item["facts"], order)


def read_supplier_state(path: Path) -> dict[str, Any]:
    """The shared supplier state: ``{"load": {...}, "capacity": {...}, "sequence": {...}}``."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read the supplier state {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise InputError(f"the supplier state {path} is not JSON: {error}") from None
    if not isinstance(state, dict):
        raise InputError(f"the supplier state {path} must be a JSON object")
    # Copies, because the run updates them as it refers citizens.
    return {key: (dict(value) if isinstance(value, dict) else value)
            for key, value in state.items()}


# -- names for people ----------------------------------------------------------------


def area_titles(policy: ur.Policy) -> dict[str, str]:
    """Service area id -> title."""
    return {area: policy.area_title(area) for area in policy.areas}


def supplier_names(policy: ur.Policy) -> dict[str, str]:
    """Supplier id -> display name, over all service areas."""
    return {supplier.id: supplier.name
            for area in policy.areas for supplier in policy.suppliers_of(area)}


def package_titles(policy: ur.Policy) -> dict[str, str]:
    """Course package id -> title."""
    return {package: policy.package_title(package) for package in policy.packages}


@dataclass(frozen=True)
class Names:
    """The titles a person reads instead of ids."""

    areas: dict[str, str]
    suppliers: dict[str, str]
    packages: dict[str, str]

    @classmethod
    def of(cls, policy: ur.Policy) -> Names:
        return cls(area_titles(policy), supplier_names(policy), package_titles(policy))


# -- the run -------------------------------------------------------------------------


@dataclass
class Summary:
    decided: int = 0
    per_area: Counter[str] = field(default_factory=Counter)
    several_areas: list[str] = field(default_factory=list)
    no_area: list[str] = field(default_factory=list)
    #: citizen id -> what is wrong with the citizen's data
    bad_data: dict[str, list[Problem]] = field(default_factory=dict)
    referred: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"decided": self.decided, "per_area": dict(sorted(self.per_area.items())),
                "several_areas": self.several_areas, "no_area": self.no_area,
                "bad_data": {ident: [p.to_dict() for p in problems]
                             for ident, problems in self.bad_data.items()},
                "referred": self.referred}


def record_referral(state: dict[str, Any], decision: ur.Decision) -> bool:
    """Update the supplier state as the host would once the referral is recorded.

    A citizen is referred when the decision names an area and a supplier, and the
    ordered package (if any) was accepted. Returns whether the citizen was referred.
    """
    choice = decision.package_choice
    if decision.area is None or decision.supplier is None:
        return False
    if choice is not None and not choice.accepted:
        return False
    load = state.setdefault("load", {})
    load[decision.supplier] = load.get(decision.supplier, 0) + 1
    sequence = state.get("sequence")
    if isinstance(sequence, dict) and decision.area in sequence:
        sequence[decision.area] += 1
    elif isinstance(sequence, int):
        state["sequence"] = sequence + 1
    return True


def describe(decision: ur.Decision, names: Names) -> str:
    """The short form of a decision: the lines a caseworker scans in a list."""
    groups = ", ".join(decision.target_groups) or "none"
    out = [f"  eligible:      {'yes' if decision.eligible else 'no'}",
           f"  target groups: {groups}"]
    if decision.area is None:
        out.append("  area:          none fits")
    else:
        also = [a for a in decision.areas if a != decision.area]
        extra = f" (also fits: {', '.join(also)})" if also else ""
        out.append(f"  area:          {decision.area}: {names.areas[decision.area]}{extra}")
    chosen = decision.supplier_choice
    if chosen is not None and decision.area is not None:
        if chosen.supplier is not None:
            name = names.suppliers.get(chosen.supplier, chosen.supplier)
            text = f"{chosen.supplier}: {name} [{chosen.method}]"
        else:
            text = f"none [{chosen.method}]"
        if chosen.rejected_choice is not None:
            text += (f"; the citizen's choice {chosen.rejected_choice} was not followed "
                     f"({chosen.rejected_because})")
        out.append(f"  supplier:      {text}")
    package = decision.package_choice
    if package is None:
        out.append("  package:       none ordered")
    else:
        hours = (f", {package.weekly_hours} hours a week"
                 if package.weekly_hours is not None else "")
        span = (f" (span {package.span[0]}-{package.span[1]})"
                if package.span is not None else "")
        verdict = "accepted" if package.accepted else "NOT accepted"
        title = names.packages.get(package.package or "", "")
        out.append(f"  package:       {package.package} ({title}){hours}{span}: "
                   f"{verdict} [{package.status}]")
    return "\n".join(out)


def parse_date(text: str) -> date:
    """``--on``: a real calendar date, YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a real date (YYYY-MM-DD): {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="referral_tool.py",
        description="Decide for a file of citizens under a tender policy, with explanations.")
    parser.add_argument("policy", nargs="?", default=str(DEFAULT_POLICY),
                        help="policy folder or file (default: policies/koebenhavn-2024)")
    parser.add_argument("--citizens", default=str(DEFAULT_CITIZENS),
                        help="JSON Lines file of citizens (default: examples/data/citizens.jsonl)")
    parser.add_argument("--suppliers", default=str(DEFAULT_SUPPLIERS),
                        help="JSON file with the supplier state "
                             "(default: examples/data/suppliers.json)")
    parser.add_argument("--on", default="2024-03-01", type=parse_date,
                        help="decision date, YYYY-MM-DD (default: 2024-03-01)")
    parser.add_argument("--explain", action="store_true",
                        help="print the full explanation of each decision")
    parser.add_argument("--lang", choices=("da", "en"), default=None,
                        help="language of the explanations (default: the policy's)")
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per line: each decision, then the summary")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, or a bad argument (argparse printed why)
        return int(exit_.code or 0)
    on: date = args.on

    # 1. Load the policy once. A PolicyError lists every mistake in it, located.
    try:
        policy = ur.load_policy(args.policy)
    except ur.PolicyError as error:
        print(f"error: the policy {args.policy} cannot be used:", file=sys.stderr)
        print(error.render(), file=sys.stderr)
        return 2
    try:
        policy.check_date(on)  # the same check decide() makes, once, before the loop
    except ur.EvaluationError as error:
        print(f"error: {error.render()}", file=sys.stderr)
        return 2
    try:
        state = read_supplier_state(Path(args.suppliers))
        citizens = list(read_citizens(Path(args.citizens)))
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    names = Names.of(policy)
    summary = Summary()

    def emit(obj: dict[str, Any]) -> None:
        print(json.dumps(obj, ensure_ascii=False))

    def bad(ident: str, problems: list[Problem]) -> None:
        summary.bad_data[ident] = problems
        if args.json:
            emit({"citizen": ident, "error": {"problems": [p.to_dict() for p in problems]}})
        else:
            print(f"{ident}: BAD DATA, no decision")
            for problem in problems:
                print(f"  {problem}")
            print()

    if not args.json:
        print(f"{policy.title}\npolicy {policy.id} ({policy.content_hash[:19]}...), "
              f"decided on {on.isoformat()}\n")

    for citizen in citizens:
        if isinstance(citizen, BadLine):
            bad(citizen.id, citizen.problems)
            continue

        # 2. Decide. The facts are checked against the policy's fact schema first.
        try:
            decision = policy.decide(citizen.facts, on, order=citizen.order, suppliers=state)
        except ur.FactError as error:
            # Problems under `suppliers.` are in the host's own supplier state, not in
            # the citizen's data: every later decision would fail the same way, so stop.
            if any(p.path.startswith("suppliers") for p in error.problems):
                print(f"error: the supplier state {args.suppliers} does not fit the policy:",
                      file=sys.stderr)
                for problem in error.problems:
                    print(f"  {problem.render()}", file=sys.stderr)
                return 2
            # Bad citizen data (facts or order): each problem names its field path,
            # e.g. `benefits[0].from`. No decision is made; go on with the next citizen.
            bad(citizen.id, [Problem.of(p) for p in error.problems])
            continue
        except ur.EvaluationError as error:
            # The facts fit the schema but the policy cannot be evaluated on them
            # (e.g. a date arithmetic beyond the calendar). Report, and go on.
            bad(citizen.id, [Problem(error.path or "(facts)", error.message, error.code)])
            continue

        summary.decided += 1
        if decision.area is None:
            summary.no_area.append(citizen.id)
        else:
            summary.per_area[decision.area] += 1
        if len(decision.areas) > 1:
            summary.several_areas.append(citizen.id)

        # 3. Show it. The decision is JSON-ready, with the policy's id and content hash,
        # so it can be stored and reproduced later.
        if args.json:
            emit({"citizen": citizen.id, "decision": decision.to_dict()})
        else:
            print(f"{citizen.id}")
            print(describe(decision, names))
            if args.explain:
                print()
                print("    " + decision.explain(args.lang).rstrip().replace("\n", "\n    "))
            print()

        # 4. Record the referral: the next citizen sees the updated load and sequence.
        if record_referral(state, decision):
            summary.referred += 1

    if args.json:
        emit({"summary": summary.to_dict()})
    else:
        print_summary(summary, policy, len(citizens))
    return 1 if summary.bad_data else 0


def print_summary(summary: Summary, policy: ur.Policy, total: int) -> None:
    print(f"Summary: {total} citizens, {summary.decided} decided, "
          f"{summary.referred} referred")
    width = max(len(a) for a in policy.areas) if policy.areas else 0
    for area in policy.areas:
        print(f"  {area:<{width}}  {summary.per_area.get(area, 0)}")
    print(f"  fit several areas: {len(summary.several_areas)} "
          f"({', '.join(summary.several_areas) or '-'})")
    print(f"  fit no area:       {len(summary.no_area)} ({', '.join(summary.no_area) or '-'})")
    print(f"  bad data:          {len(summary.bad_data)} "
          f"({', '.join(summary.bad_data) or '-'})")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly, and
        # point the output at /dev/null so that the flush at exit does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
