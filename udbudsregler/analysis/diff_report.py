"""The report of the rule-change diff, as data and as text.

:class:`DiffReport` holds what :func:`~udbudsregler.analysis.diff.compare` found: the
changed definitions, the groups of changed decisions and payments (:data:`KINDS`), per
group the parts responsible and the shrunk examples, and what could not be compared.
:meth:`DiffReport.to_dict` gives it for JSON, :func:`render` as text for a terminal. The
report only holds and shows: it decides nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from udbudsregler.analysis.definitions import Definition
    from udbudsregler.analysis.population import BadRow
    from udbudsregler.policy import Policy
    from udbudsregler.testing.strategies import Scenario

__all__ = ["KINDS", "PAYMENT", "DiffReport", "Example", "Group", "Responsible", "amount_text",
           "render"]

#: The groups, in the order a changed decision is assigned to them, with their titles.
KINDS: dict[str, str] = {
    "became_eligible": "became eligible",
    "lost_eligibility": "lost eligibility",
    "changed_area": "changed service area",
    "changed_supplier": "changed supplier",
    "changed_package": "changed package decision",
    "changed_target_groups": "changed target groups",
    "payment_up": "payment up",
    "payment_down": "payment down",
}
#: The groups of settlement scenarios; the others are groups of citizens.
PAYMENT = ("payment_up", "payment_down")


@dataclass(frozen=True)
class Responsible:
    """A part of the decision whose outcome differs between the policies in a group."""

    kind: str  # criterion | target_group | area | routing | supplier | package | bonus | ...
    id: str
    title: str
    old: str
    new: str
    #: Of the group's examined members.
    count: int
    #: Labels of the changed definitions it depends on (semantic changes first).
    because: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "title": self.title, "old": self.old,
                "new": self.new, "count": self.count, "because": list(self.because)}


@dataclass
class Example:
    source: str
    old: str
    new: str
    #: A YAML test case for the new policy (one item of ``cases:``).
    case: str
    cost: int
    facts: dict[str, Any] | None = None
    order: dict[str, Any] | None = None
    scenario: Scenario | None = None
    difference: Decimal | None = None
    #: A citizen's decision date (the test case's ``on``): the run's, or a population
    #: row's own.
    on: date | None = None

    def to_dict(self) -> dict[str, Any]:
        from udbudsregler.values.canonical import to_json

        out: dict[str, Any] = {"source": self.source, "old": self.old, "new": self.new}
        if self.on is not None:
            out["on"] = self.on.isoformat()
        if self.facts is not None:
            out["facts"] = to_json(self.facts)
        if self.order is not None:
            out["order"] = to_json(self.order)
        if self.scenario is not None:
            s = self.scenario
            out["settle"] = to_json({"referral": s.referral, "outcomes": s.outcomes,
                                     "until": s.until, "since": s.since})
        if self.difference is not None:
            out["difference"] = format(self.difference, "f")
        out["case"] = self.case
        return out


@dataclass
class Group:
    kind: str
    count: int = 0
    by_source: Counter[str] = field(default_factory=Counter)
    #: How many members the reasons were counted over.
    examined: int = 0
    responsible: list[Responsible] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    #: Payments: the sum of the differences, the largest one, and the sum per line kind.
    total: Decimal = Decimal(0)
    largest: Decimal = Decimal(0)
    by_line: dict[str, Decimal] = field(default_factory=dict)
    #: Payments: the part of ``total`` that only moved in time (a bonus earned under one
    #: policy, still pending under the other): deferred (down) or paid earlier (up).
    #: The rest, ``total - deferred``, is money lost (down) or added (up).
    deferred: Decimal = Decimal(0)
    members: list[Any] = field(default_factory=list, repr=False)

    def headline(self, currency: str) -> str:
        """A payment group's amount, the money that only moved in time apart from the
        money lost or added."""
        rest = self.total - self.deferred
        down = self.kind == "payment_down"
        parts = [f"{amount_text(rest, True)} {'lost' if down else 'added'}"]
        if self.deferred:
            parts.append(f"{amount_text(self.deferred, True)} "
                         + ("deferred (earned -> pending)" if down
                            else "paid earlier (pending -> earned)"))
        return f"{amount_text(self.total, True)} {currency}: " + ", ".join(parts)

    @property
    def title(self) -> str:
        return KINDS[self.kind]

    def to_dict(self, compared: int) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "title": self.title, "count": self.count,
                               "percent": _percent(self.count, compared),
                               "by_source": dict(self.by_source), "examined": self.examined}
        if self.kind in PAYMENT:
            out.update(total=format(self.total, "f"), largest=format(self.largest, "f"),
                       by_line={k: format(v, "f") for k, v in self.by_line.items()},
                       deferred=format(self.deferred, "f"),
                       lost_or_added=format(self.total - self.deferred, "f"))
        out["responsible"] = [r.to_dict() for r in self.responsible]
        out["examples"] = [e.to_dict() for e in self.examples]
        return out


def _percent(count: int, total: int) -> float:
    return round(100 * count / total, 2) if total else 0.0


@dataclass
class DiffReport:
    old: Policy
    new: Policy
    on: date
    seed: int
    #: Citizens decided, by source (``generated``, the population file's name, ``given``).
    citizens: Counter[str]
    #: Of them, decided under both policies.
    compared: int
    #: ``"old: path"`` / ``"new: path"`` -> citizens (or scenarios) that policy rejected.
    not_comparable: Counter[str]
    scenarios: int
    scenarios_compared: int
    scenarios_not_comparable: Counter[str]
    definitions: list[Definition]
    groups: dict[str, Group]
    bad_rows: list[BadRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: The new policy's invariants that read a changed definition: (id, title, labels).
    invariants: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    #: The bad rows of the population file, of which ``bad_rows`` lists the first ones
    #: (None: those listed).
    bad_row_count: int | None = None
    #: The field of the population file holding each row's own decision date (None: the
    #: rows were decided on ``on``, as the generated and given citizens always are).
    on_column: str | None = None

    def __post_init__(self) -> None:
        if self.bad_row_count is None:
            self.bad_row_count = len(self.bad_rows)

    @property
    def changed(self) -> int:
        """Citizens whose decision changed."""
        return sum(g.count for k, g in self.groups.items() if k not in PAYMENT)

    def group(self, kind: str) -> Group:
        return self.groups.get(kind) or Group(kind)

    def to_dict(self) -> dict[str, Any]:
        def policy(p: Policy) -> dict[str, Any]:
            valid = p.header.valid
            return {"id": p.id, "title": p.title, "content_hash": p.content_hash,
                    "valid": {"from": valid.from_.isoformat(),
                              "to": valid.to.isoformat() if valid.to else None}}

        return {
            "old": policy(self.old), "new": policy(self.new), "on": self.on.isoformat(),
            "on_column": self.on_column, "seed": self.seed,
            "citizens": {"decided": dict(self.citizens), "compared": self.compared,
                         "changed": self.changed,
                         "not_comparable": dict(self.not_comparable)},
            "scenarios": {"settled": self.scenarios, "compared": self.scenarios_compared,
                          "not_comparable": dict(self.scenarios_not_comparable)},
            "definitions": [d.to_dict() for d in self.definitions],
            "invariants_reading_changes": [
                {"id": i, "title": t, "reads": list(r)} for i, t, r in self.invariants],
            "groups": [g.to_dict(self.scenarios_compared if k in PAYMENT else self.compared)
                       for k, g in self.groups.items()],
            "bad_rows": [b.to_dict() for b in self.bad_rows],
            "bad_row_count": self.bad_row_count,
            "notes": list(self.notes),
            "seconds": round(self.seconds, 2),
        }

    def render(self) -> str:
        """The report for a terminal: the changed definitions, a table of the groups,
        then each group with the rules responsible and its example citizens."""
        return render(self)


# -- the text report ---------------------------------------------------------------------------


def amount_text(value: Decimal, sign: bool = False) -> str:
    return format(value, "+,.2f" if sign else ",.2f")


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.2f} %" if count and total else "-"


def render(report: DiffReport) -> str:
    """The text of :meth:`DiffReport.render`."""
    old, new = report.old, report.new
    currency = new.header.currency
    out: list[str] = []
    add = out.append

    def validity(p: Policy) -> str:
        return f"valid {p.header.valid.text()}"

    own = (f", the population rows each on its own date ({report.on_column})"
           if report.on_column else "")
    add(f"udbudsregler diff: {old.id} -> {new.id}, decided on {report.on.isoformat()}{own} "
        f"(seed {report.seed}, {report.seconds:.1f} s)")
    add(f"  old: {old.id}: {old.title} ({validity(old)})")
    add(f"  new: {new.id}: {new.title} ({validity(new)})")
    add("")
    semantic = [d for d in report.definitions if d.semantic]
    add(f"Changed definitions: {len(semantic)} that can change decisions or payments, "
        f"{len(report.definitions) - len(semantic)} in wording only")
    for d in report.definitions:
        add(f"  {d.label}" + ("" if d.semantic else "  (wording only)"))
        for c in d.changes:
            if c.field:
                add(f"      {c.field}: {_short(c.old)} -> {_short(c.new)}")
            else:
                add(f"      {'added' if c.old is None else 'removed'}")
        where = [f"old {d.old_at}" if d.old_at else "", f"new {d.new_at}" if d.new_at else ""]
        add("      " + "   ".join(w for w in where if w)
            + ("   (overridden in the new policy)" if d.overridden else ""))
    if report.invariants:
        add("")
        add(f"Invariants that read a changed definition ({len(report.invariants)}): check "
            "they still say what they should (one written with a parameter moves with it)")
        for ident, title, reads in report.invariants:
            add(f"  {ident} ({title}): reads {', '.join(reads)}")
    add("")
    sources = ", ".join(f"{n:,} {s}" for s, n in sorted(report.citizens.items()))
    add(f"Citizens: {sum(report.citizens.values()):,} ({sources or 'none'}); "
        f"{report.compared:,} decided under both; {report.changed:,} decided differently "
        f"({_share(report.changed, report.compared)})")
    paid = sum(report.group(k).count for k in PAYMENT)
    add(f"Settlement scenarios: {report.scenarios:,}; {report.scenarios_compared:,} settled "
        f"under both; {paid:,} paid differently ({_share(paid, report.scenarios_compared)})")
    for label, problems in (("citizens", report.not_comparable),
                            ("scenarios", report.scenarios_not_comparable)):
        for key, count in sorted(problems.items()):
            add(f"  not comparable: {count:,} {label} rejected by the {key}")
    for bad in report.bad_rows:
        add(f"  bad row, line {bad.line}{f' ({bad.id})' if bad.id else ''}: "
            + "; ".join(bad.problems))
    add("")
    add(f"  {'group':<26}{'count':>8}  {'share':>8}  amount ({currency})")
    for kind, group in report.groups.items():
        total = report.scenarios_compared if kind in PAYMENT else report.compared
        line = f"  {group.title:<26}{group.count:>8,}  {_share(group.count, total):>8}"
        if kind in PAYMENT and group.count:
            parts = ", ".join(f"{k} {amount_text(v, True)}" for k, v in group.by_line.items())
            moved = (f"; {amount_text(group.deferred, True)} "
                     + ("deferred" if kind == "payment_down" else "paid earlier")
                     if group.deferred else "")
            line += (f"  {amount_text(group.total, True)} "
                     f"(largest {amount_text(group.largest, True)}; {parts}{moved})")
        if len(report.citizens) > 1 and kind not in PAYMENT and group.count:
            line += "  [" + ", ".join(f"{s} {n:,}" for s, n in sorted(group.by_source.items())) \
                + "]"
        add(line)
    for note in report.notes:
        add(f"  ({note})")
    for kind, group in report.groups.items():
        if not group.count:
            continue
        total = report.scenarios_compared if kind in PAYMENT else report.compared
        what = ("scenario" if kind in PAYMENT else "citizen") + ("" if group.count == 1 else "s")
        add("")
        add(f"== {group.title}: {group.count:,} {what} ({_share(group.count, total)}) ==")
        if kind in PAYMENT:
            add(f"  total {group.headline(currency)}")
            add(f"  largest {amount_text(group.largest, True)}; by line: "
                + ", ".join(f"{k} {amount_text(v, True)}" for k, v in group.by_line.items()))
        add(f"  What differs, over the {group.examined:,} examined:")
        for r in group.responsible:
            change = f"{r.old} -> {r.new}" if (r.old or r.new) else "differ"
            add(f"    {' '.join(x for x in (r.kind, r.id) if x)}"
                + (f" ({r.title})" if r.title != r.id else "")
                + f": {change}, {r.count:,} of {group.examined:,}")
            if r.because:
                add(f"        depends on changed: {', '.join(r.because)}")
        if group.examples:
            add(f"  Examples ({len(group.examples)}, smallest first; YAML test cases for "
                f"{new.id}):")
            for example in group.examples:
                add("")
                out.extend("    " + line for line in example.case.rstrip().splitlines())
    return "\n".join(out) + "\n"


def _short(text: str | None, width: int = 90) -> str:
    if text is None:
        return "(none)"
    return text if len(text) <= width else text[:width - 3] + "..."
