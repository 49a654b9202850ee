"""A caseload snapshot: where would every citizen of the caseload go today?

A job centre's planner exports the caseload (one JSON line per citizen, the format of
``examples/data/citizens.jsonl``) and asks, before a tender round goes live or at the
start of a month: how many are eligible, which service area and which supplier each of
them would be referred to under today's supplier state, and whose data is wrong. This
is the population path (docs/population.md): ``policy.decide_table`` decides the whole
list at once, column by column, with the same answers as ``decide`` per citizen.

Unlike the referral tool (``referral_tool.py``), which refers citizens one after the
other so that each referral changes the load the next one sees, a snapshot decides
every citizen against the same supplier state: "if this citizen were referred now".

Run it from the repository root (it needs the columnar extra)::

    .venv/bin/pip install -e '.[columnar]'
    .venv/bin/python examples/caseload.py
    .venv/bin/python examples/caseload.py policies/rusta-och-matcha-2 \\
        --citizens examples/data/rusta-citizens.jsonl --on 2025-06-01

Exit status: 0 when every citizen was decided, 1 when some citizens had bad data (they
are listed), 2 when the run could not start (a broken policy, a missing file, a date
outside the policy's validity).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
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


class InputError(Exception):
    """A file the snapshot needs cannot be read or is not what it should be."""


@dataclass
class Caseload:
    """The lines of a caseload file: the citizens to decide, and the lines that are not
    citizens at all (not JSON, no facts), with why."""

    ids: list[str] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any] | None] = field(default_factory=list)
    broken: list[tuple[str, str]] = field(default_factory=list)


def read_caseload(path: Path) -> Caseload:
    """The citizens of a JSON Lines file. Their facts are left as JSON gives them (dates
    as text, numbers with a fraction as Decimal): ``decide_table`` reads that form as
    ``decide`` does, and says which field of which citizen is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read the caseload {path}: {error.strerror}") from None
    caseload = Caseload()
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            # Numbers with a fraction become Decimal: the library refuses binary floats.
            item = json.loads(raw, parse_float=Decimal)
        except json.JSONDecodeError as error:
            caseload.broken.append((f"line {number}", f"not JSON: {error.msg}"))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("facts"), dict):
            caseload.broken.append((f"line {number}", "not a citizen: no `facts` object"))
            continue
        order = item.get("order")
        caseload.ids.append(str(item.get("id") or f"line {number}"))
        caseload.facts.append(item["facts"])
        caseload.orders.append(order if isinstance(order, dict) else None)
    return caseload


def read_suppliers(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read the supplier state {path}: {error}") from None
    return state


@dataclass
class Snapshot:
    """What the snapshot found: the decisions' counts and the citizens with bad data."""

    citizens: int
    eligible: int
    decided: int
    columnar: int
    by_area: Counter[str | None]
    by_supplier: Counter[tuple[str | None, str | None]]
    errors: list[tuple[str, str, str, str]]  # (id, field path, code, message)


def take(policy: ur.Policy, caseload: Caseload, on: date,
         suppliers: dict[str, Any] | None) -> Snapshot:
    """Decide the whole caseload at once and count where it goes."""
    result = policy.decide_table(caseload.facts, on, order=caseload.orders,
                                 suppliers=suppliers,
                                 columns=["eligible", "area", "supplier"])
    rows = result.decisions.to_pylist()
    by_area: Counter[str | None] = Counter(r["area"] for r in rows)
    by_supplier: Counter[tuple[str | None, str | None]] = Counter(
        (r["area"], r["supplier"]) for r in rows if r["area"] is not None)
    errors = [(caseload.ids[e["row"]], e["path"], e["code"], e["message"])
              for e in result.errors.to_pylist()]
    return Snapshot(result.rows, sum(1 for r in rows if r["eligible"]), len(rows),
                    result.columnar, by_area, by_supplier, errors)


def report(policy: ur.Policy, on: date, snapshot: Snapshot, caseload: Caseload,
           suppliers: dict[str, Any] | None) -> str:
    load = (suppliers or {}).get("load", {})
    capacity = (suppliers or {}).get("capacity", {})
    bad = len({e[0] for e in snapshot.errors})
    lines = [f"{policy.id} on {on.isoformat()}: {snapshot.citizens} citizens, "
             f"{snapshot.decided} decided, {bad} with bad data",
             f"eligible: {snapshot.eligible} of {snapshot.decided}", "",
             f"{'area / supplier':<28}{'citizens':>9}{'load now':>10}{'capacity':>10}"]
    for area in policy.graph.areas.values():
        lines.append(f"{area.name:<28}{snapshot.by_area[area.name]:>9}")
        for supplier in area.suppliers:
            count = snapshot.by_supplier[(area.name, supplier.id)]
            lines.append(f"  {supplier.id:<26}{count:>9}{load.get(supplier.id, ''):>10}"
                         f"{capacity.get(supplier.id, ''):>10}".rstrip())
        unrouted = snapshot.by_supplier[(area.name, None)]
        if unrouted:
            lines.append(f"  {'(no supplier)':<26}{unrouted:>9}")
    lines.append(f"{'(no area)':<28}{snapshot.by_area[None]:>9}")
    if snapshot.errors or caseload.broken:
        lines += ["", "bad data:"]
        lines += [f"  {ident}  {path}: {code}: {message}"
                  for ident, path, code, message in snapshot.errors]
        lines += [f"  {where}  {why}" for where, why in caseload.broken]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("policy", nargs="?", default=str(DEFAULT_POLICY))
    parser.add_argument("--citizens", default=str(DEFAULT_CITIZENS),
                        help="the caseload, one JSON line per citizen")
    parser.add_argument("--suppliers", default=None,
                        help="the supplier state (JSON); for the default policy, "
                             "examples/data/suppliers.json")
    parser.add_argument("--on", default="2024-03-01", help="the date, YYYY-MM-DD")
    args = parser.parse_args(argv)
    suppliers_file = Path(args.suppliers) if args.suppliers else (
        DEFAULT_SUPPLIERS if Path(args.policy) == DEFAULT_POLICY else None)
    try:
        on = date.fromisoformat(args.on)
        policy = ur.load_policy(args.policy)
        caseload = read_caseload(Path(args.citizens))
        suppliers = read_suppliers(suppliers_file)
        snapshot = take(policy, caseload, on, suppliers)
    except (InputError, ValueError, ImportError, ur.PolicyError, ur.UdbudsreglerError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report(policy, on, snapshot, caseload, suppliers))
    return 1 if snapshot.errors or caseload.broken else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly, and
        # point the output at /dev/null so that the flush at exit does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
