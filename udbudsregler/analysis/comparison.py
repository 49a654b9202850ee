"""One run of the rule-change diff: two policies, a date (and maybe a column of each
population row's own), and what was found so far.

:class:`Comparison` decides a citizen under both policies (each reading only the facts it
declares), settles a referral under both, says which group a difference falls in and how
to tell one kind of difference from another (the *signature* an example keeps while it is
shrunk), and draws the citizens and settlement scenarios to compare: from the policies'
boundary models, or from a population file. :func:`udbudsregler.analysis.diff.compare`
drives it; the reasons and the examples read what it collected.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from udbudsregler.analysis.diff_report import KINDS, PAYMENT, Group
from udbudsregler.analysis.population import BadRow
from udbudsregler.diagnostics import EvaluationError, FactError, FactProblem
from udbudsregler.loader.documents import FactSpec
from udbudsregler.runtime.routing import Order, parse_order, parse_supplier_state
from udbudsregler.runtime.schemas import as_call_date

if TYPE_CHECKING:
    from udbudsregler.analysis.definitions import Definition
    from udbudsregler.analysis.population import Population, PopulationRow
    from udbudsregler.policy import Policy
    from udbudsregler.runtime.decision import Decision
    from udbudsregler.runtime.program import Program
    from udbudsregler.runtime.settlement import Settlement
    from udbudsregler.testing.strategies import Scenario

__all__ = ["MAX_MEMBERS", "Citizen", "Comparison", "Progress", "by_line", "can_settle",
           "deferred"]

#: ``progress(phase, done, total)``: phase is citizens | population | scenarios | reasons
#: | examples. For ``population`` (the rows of a population file read so far) the total
#: is estimated from how far into the file they go, until the last row.
Progress = Callable[[str, int, int], None]

#: The members of a group kept for its reasons and examples: the first ones, in the order
#: decided (the count is exact). A population of millions would otherwise hold every
#: citizen treated differently, with both decisions.
MAX_MEMBERS = 10_000


@dataclass
class Citizen:
    """A citizen to decide under both policies, and where it came from."""

    source: str
    facts: dict[str, Any]
    order: dict[str, Any] | None = None
    #: ``generated``, ``given``, or the population file.
    origin: str = "generated"
    #: Its own decision date (a population row's, read from its field of dates); None:
    #: the run's date.
    on: date | None = None


def _has_spans(policy: Policy) -> bool:
    return any(p.spec.weekly_hours is not None for p in policy.graph.packages.values())


def can_settle(policy: Policy) -> bool:
    domain = policy.graph
    return bool(domain.packages) and policy.rounding is not None


_INDEX = re.compile(r"\[\d+\]")


def _problem_key(side: str, error: Exception) -> list[str]:
    """``"new policy: benefits[].kind (UDB605 ...)"``: list indexes left out, so that
    one kind of problem is counted once."""
    if isinstance(error, FactError):
        return sorted({f"{side} policy: {_INDEX.sub('[]', p.path) or '(facts)'} "
                       f"({p.code} {p.message})" for p in error.problems})
    code = getattr(error, "code", type(error).__name__)
    return [f"{side} policy: {code}"]


def _supplier_ids(policy: Policy) -> set[str]:
    return {s.id for a in policy.graph.areas.values() for s in a.spec.suppliers}


class Comparison:
    """One run of :func:`~udbudsregler.analysis.diff.compare`: both policies, the date,
    and what was found."""

    def __init__(self, old: Policy, new: Policy, on: date, seed: int,
                 suppliers: Mapping[str, Any] | None, progress: Progress | None,
                 on_column: str | None = None) -> None:
        self.old, self.new, self.on, self.seed = old, new, on, seed
        #: The field of the population file holding each row's decision date (None: the
        #: rows are decided on ``on`` too); generated and given citizens keep ``on``.
        self.on_column = on_column
        #: The dates the population rows were decided on (with ``on_column``).
        self.days_seen: set[date] = set()
        if suppliers is not None:  # its shape, as decide checks it (a FactError, UDB602)
            parse_supplier_state(suppliers)
        self.suppliers = dict(suppliers) if suppliers is not None else None
        self.progress = progress
        #: Whether generated citizens get orders (a package has a span of weekly hours).
        self.with_orders = _has_spans(old) or _has_spans(new)
        #: Whether package decisions are compared: with generated orders, or once a
        #: population row orders a package (:meth:`read`).
        self.compare_packages = self.with_orders
        self.packages = set(old.graph.packages) & set(new.graph.packages)
        self.chosen_suppliers = _supplier_ids(old) & _supplier_ids(new)
        self.specs = {n: e.spec for n, e in new.graph.facts.items()}
        old_specs = {n: e.spec for n, e in old.graph.facts.items()}
        #: With different fact schemas, the facts a policy does not declare are left out
        #: when deciding under it (a fact the new round adds must not make every citizen
        #: incomparable); a fact it declares and the citizen lacks stays an error.
        self.views: dict[str, Mapping[str, FactSpec] | None] = {
            "old": old_specs if old_specs != self.specs else None,
            "new": self.specs if old_specs != self.specs else None}
        kinds = [k for k in KINDS if k not in PAYMENT]
        if self.suppliers is None:
            kinds.remove("changed_supplier")
        if not self.with_orders:
            kinds.remove("changed_package")
        self.groups: dict[str, Group] = {k: Group(k) for k in kinds}
        self.not_comparable: Counter[str] = Counter()
        self.compared = 0
        self.definitions: list[Definition] = []

    def tick(self, phase: str, done: int, total: int) -> None:
        if self.progress is not None and (done == total or done % 250 == 0):
            self.progress(phase, done, total)

    # -- decisions --------------------------------------------------------------------

    def day(self, citizen: Citizen) -> date:
        """The date ``citizen`` is decided on: its own, else the run's."""
        return citizen.on or self.on

    def decide(self, facts: dict[str, Any], order: Mapping[str, Any] | None,
               problems: Counter[str] | None = None, on: date | None = None
               ) -> tuple[Decision, Decision] | None:
        """Both policies' decisions on ``on`` (default: the run's date), or None if one
        refuses the citizen (its problems counted in ``problems``)."""
        parsed: Order | None = parse_order(order) if order else None
        pair = []
        for side, policy in (("old", self.old), ("new", self.new)):
            view = self.views[side]
            try:
                pair.append(policy.decide(facts if view is None else _project(facts, view),
                                          on or self.on, order=parsed,
                                          suppliers=self.suppliers, ignore_validity=True))
            except (FactError, EvaluationError) as error:
                if problems is not None:
                    problems.update(_problem_key(side, error))
                return None
        return pair[0], pair[1]

    def kind_of(self, a: Decision, b: Decision) -> str | None:
        if a.eligible != b.eligible:
            return "became_eligible" if b.eligible else "lost_eligibility"
        if a.area != b.area:
            return "changed_area"
        if self.suppliers is not None and a.supplier != b.supplier:
            return "changed_supplier"
        pa, pb = a.package_choice, b.package_choice
        if self.compare_packages and ((pa.accepted, pa.status) if pa else None) != (
                (pb.accepted, pb.status) if pb else None):
            return "changed_package"
        if a.target_groups != b.target_groups:
            return "changed_target_groups"
        return None

    def signature(self, a: Decision, b: Decision) -> tuple[Any, ...]:
        """The kind of change, finer than its group: an example shrinks within it."""
        kind = self.kind_of(a, b)
        detail: tuple[Any, ...] = ()
        if kind == "changed_package":
            detail = tuple(d.package_choice.status if d.package_choice else None
                           for d in (a, b))
        elif kind == "changed_target_groups":
            detail = (a.target_groups, b.target_groups)
        elif kind == "changed_supplier":
            detail = (a.supplier, b.supplier)
        return (kind, a.area, b.area, detail)

    def fit_order(self, order: dict[str, Any]) -> dict[str, Any] | None:
        """An order both policies know: a package of both; the citizen's own choice of
        supplier only when suppliers are compared."""
        out = dict(order)
        if out.get("package") is not None and out["package"] not in self.packages:
            out.pop("package", None)
            out.pop("weekly_hours", None)
        if self.suppliers is None or out.get("supplier") not in self.chosen_suppliers:
            out.pop("supplier", None)
        return out or None

    def _compare_packages(self) -> None:
        """Compare package decisions from now on (an order of a population row is decided
        under both, whether or not the policies' packages have spans): the group
        ``changed_package`` in its place among the others."""
        if not self.compare_packages:
            self.compare_packages = True
            self.groups = {k: self.groups.get(k) or Group(k) for k in KINDS
                           if k in self.groups or k == "changed_package"}

    def run_citizens(self, citizens: list[Citizen],
                     tick: Callable[[int, int], None] | None = None) -> None:
        """Decide ``citizens`` under both policies and count each difference in its
        group; the first :data:`MAX_MEMBERS` of a group are kept, with both decisions,
        for its reasons and examples. ``tick(done, total)`` reports the progress (by
        default as the phase ``citizens``)."""
        total = len(citizens)
        report = tick or (lambda done, n: self.tick("citizens", done, n))
        for i, citizen in enumerate(citizens, start=1):
            pair = self.decide(citizen.facts, citizen.order, self.not_comparable,
                               citizen.on)
            if pair is not None:
                self.compared += 1
                kind = self.kind_of(*pair)
                if kind is not None:
                    group = self.groups[kind]
                    group.count += 1
                    group.by_source[citizen.origin] += 1
                    if len(group.members) < MAX_MEMBERS:
                        group.members.append((citizen, *pair))
            report(i, total)

    def prescreen(self, citizens: list[Citizen], batch: int = 65_536) -> list[Citizen]:
        """The citizens that need deciding one by one: a batch decision under both policies
        (``decide_table``, the path of ``udbudsregler decide --population``) clears those
        it decides alike under both (counted as compared); the others (treated
        differently, rejected by a policy, or with an order) are returned in their order,
        for :meth:`run_citizens`, which finds and explains the differences. Each citizen
        is decided on its own date, if it has one (``decide_records`` with a date per
        row). Needs the columnar extra and policies with the same facts, else every
        citizen is returned."""
        if self.views["old"] is not None or self.views["new"] is not None or not citizens:
            return citizens
        try:
            from udbudsregler.columnar.table import decide_records, support
        except ImportError:
            return citizens
        if support(self.old) is not None or support(self.new) is not None:
            return citizens
        keep = [c.order is not None for c in citizens]
        plain = [i for i, c in enumerate(citizens) if c.order is None]
        for start in range(0, len(plain), batch):
            chunk = plain[start:start + batch]
            facts = [citizens[i].facts for i in chunk]
            on: date | list[date] = [self.day(citizens[i]) for i in chunk] \
                if self.on_column is not None else self.on
            a, b = (decide_records(policy, facts, on, suppliers=self.suppliers,
                                   ignore_validity=True).decisions.to_pylist()
                    for policy in (self.old, self.new))
            same = _alike(a, b, self.suppliers is not None)
            for k, i in enumerate(chunk):
                if k in same:
                    self.compared += 1
                else:
                    keep[i] = True
        return [c for c, kept in zip(citizens, keep, strict=True) if kept]

    def generate(self, n: int) -> list[Citizen]:
        """``n`` citizens with orders (if a package has a span of weekly hours): half from
        the new policy's boundary model, a quarter from the old one's, and a quarter whose
        histories and lists join those of two citizens of the new model, so that periods
        overlap (a citizen on two benefits at once), which the model rarely draws. Without
        histories or lists, three quarters come from the new model."""
        from udbudsregler.testing.boundaries import sample_citizens, sampler
        from udbudsregler.testing.strategies import order_gen

        lists = [name for name, spec in self.specs.items() if spec.kind.many]
        old_share = merged = n // 4
        if not lists:
            merged = 0
        out: list[Citizen] = []
        for policy, count, seed, tag in (
                (self.new, n - old_share - merged, self.seed, ""),
                (self.old, old_share, self.seed + 1, ", old model"),
                (self.new, merged, self.seed + 5, ", merged histories")):
            if count <= 0:
                continue
            drawn = sample_citizens(policy, self.on, count, seed)
            if tag == ", merged histories":
                others = sample_citizens(policy, self.on, count, seed + 1)
                drawn = [_merged(a, b, lists, self.specs) for a, b in zip(drawn, others,
                                                                           strict=True)]
            orders: list[dict[str, Any] | None] = [None] * count
            if self.with_orders and policy.graph.packages:
                draw = sampler(order_gen(policy), random.Random(seed + 2).random)
                orders = [self.fit_order(draw()) for _ in range(count)]
            start = len(out)
            out += [Citizen(f"generated citizen #{start + i + 1}{tag}", facts, order)
                    for i, (facts, order) in enumerate(zip(drawn, orders, strict=True))]
        return out

    def canonical(self, facts: dict[str, Any]) -> dict[str, Any]:
        """The facts in canonical form (as the new policy reads them, else the old one),
        without the defaults that reading adds (:func:`_as_given`); unchanged if neither
        accepts them (they are then not comparable)."""
        for policy in (self.new, self.old):
            try:
                return _as_given(policy.facts.validate(facts), facts, policy.facts.specs)
            except FactError:
                continue
        return facts

    def read(self, population: Population) -> list[Citizen]:
        """The rows of a population file in canonical form, each with its own date when
        the run has a column of dates (:attr:`on_column`); rows that fit neither policy,
        whose order is not of an order's shape, or whose date ``decide`` refuses (missing,
        not YYYY-MM-DD, not in the calendar: its problem at the column's name, as
        ``decide --population --on COLUMN`` gives it), become bad rows, with all of these
        problems of the row (those of its facts as the new policy gives them)."""
        out: list[Citizen] = []
        for row in population.rows:
            where = f"{population.path}:{row.line}" + (f" ({row.id})" if row.id else "")
            day: date | None = None
            dated: list[FactProblem] = []
            if self.on_column is not None:
                day, dated = as_call_date(row.day, self.on_column)
            facts = row.facts
            errors: list[FactError] = []
            for policy in (self.new, self.old):
                try:
                    facts = _as_given(policy.facts.validate(row.facts), row.facts,
                                      policy.facts.specs)
                    break
                except FactError as error:
                    errors.append(error)
            if len(errors) == 2:
                population.bad.append(_bad(row, [*dated, *errors[0].problems]))
                continue
            try:  # an order of the wrong shape, as decide refuses it (UDB602, UDB606)
                parse_order(row.order)
            except FactError as error:
                population.bad.append(_bad(row, [*dated, *error.problems]))
                continue
            if dated:
                population.bad.append(_bad(row, dated))
                continue
            if row.order and row.order.get("package") is not None:
                self._compare_packages()
            if day is not None:
                self.days_seen.add(day)
            out.append(Citizen(where, facts, row.order, population.path, day))
        population.bad.sort(key=lambda b: b.line)
        return out

    def scenarios(self, m: int) -> list[Scenario]:
        from udbudsregler.testing.boundaries import sampler
        from udbudsregler.testing.strategies import scenario_gen

        share = m // 4
        out: list[Scenario] = []
        for policy, count, seed in ((self.new, m - share, self.seed + 3),
                                    (self.old, share, self.seed + 4)):
            if count > 0 and can_settle(policy):
                draw = sampler(scenario_gen(policy), random.Random(seed).random)
                out += [replace(draw(), since=None) for _ in range(count)]
        return out

    # -- payments ---------------------------------------------------------------------

    def settle(self, scenario: Scenario, problems: Counter[str] | None = None
               ) -> tuple[Settlement, Settlement] | None:
        pair = []
        for side, policy in (("old", self.old), ("new", self.new)):
            try:
                pair.append(policy.settle(scenario.referral, scenario.outcomes,
                                          until=scenario.until, since=scenario.since,
                                          ignore_validity=True))
            except (FactError, EvaluationError) as error:
                if problems is not None:
                    problems.update(_problem_key(side, error))
                return None
        return pair[0], pair[1]

    @staticmethod
    def payment_signature(a: Settlement, b: Settlement) -> tuple[Any, ...]:
        diff = b.total - a.total
        kind = "payment_up" if diff > 0 else "payment_down" if diff < 0 else None
        lines = tuple(sorted(by_line(a, b)))
        old_status = {x.id: x.status for x in a.bonuses}
        new_status = {x.id: x.status for x in b.bonuses}
        bonuses = tuple((i, old_status.get(i), new_status.get(i))
                        for i in sorted(old_status.keys() | new_status.keys())
                        if old_status.get(i) != new_status.get(i))
        return (kind, lines, bonuses)

    def run_scenarios(self, scenarios: list[Scenario]) -> tuple[int, Counter[str]]:
        for kind in PAYMENT:
            self.groups[kind] = Group(kind)
        problems: Counter[str] = Counter()
        compared = 0
        total = len(scenarios)
        for i, scenario in enumerate(scenarios, start=1):
            pair = self.settle(scenario, problems)
            if pair is not None:
                compared += 1
                a, b = pair
                diff = b.total - a.total
                if diff:
                    group = self.groups["payment_up" if diff > 0 else "payment_down"]
                    group.count += 1
                    group.by_source["generated"] += 1
                    group.total += diff
                    if abs(diff) > abs(group.largest):
                        group.largest = diff
                    for kind, amount in by_line(a, b).items():
                        group.by_line[kind] = group.by_line.get(kind, Decimal(0)) + amount
                    group.deferred += deferred(a, b)
                    group.members.append((scenario, a, b))
            self.tick("scenarios", i, total)
        return compared, problems


def _bad(row: PopulationRow, problems: list[FactProblem]) -> BadRow:
    """A bad row of a population file: its problems sorted as ``decide`` lists them."""
    return BadRow(row.line, row.id, tuple(p.render() for p in FactError(problems).problems))


def _alike(a: list[dict[str, Any]], b: list[dict[str, Any]], suppliers: bool) -> set[int]:
    """The rows (of a batch) decided alike under both policies: the parts ``kind_of``
    compares (no order: no package choice to compare)."""
    left = {d["row"]: d for d in a}
    out: set[int] = set()
    for d in b:
        other = left.get(d["row"])
        if other is None:
            continue
        if (other["eligible"] == d["eligible"] and other["area"] == d["area"]
                and (not suppliers or other["supplier"] == d["supplier"])
                and other["target_groups"] == d["target_groups"]):
            out.add(d["row"])
    return out


def _as_given(canonical: Mapping[str, Any], given: Mapping[str, Any],
              specs: Mapping[str, FactSpec]) -> dict[str, Any]:
    """The ``canonical`` form of the facts ``given`` without what reading them added: a
    fact (or a record's field) the citizen left out and the policy that read them has a
    default for. The other policy decides the citizen on these facts too, and must not
    be given a value only the first one supplies (a policy without the default refuses
    the citizen, as ``decide`` on the row would)."""
    out: dict[str, Any] = {}
    for name, value in canonical.items():
        if name not in given:
            continue
        raw, spec = given[name], specs.get(name)
        if spec is not None and spec.kind.container:
            fields = spec.fields or {}
            if not spec.kind.many and isinstance(value, Mapping) and isinstance(raw, Mapping):
                value = _as_given(value, raw, fields)
            elif (spec.kind.many and isinstance(value, list)
                  and isinstance(raw, (list, tuple)) and len(raw) == len(value)):
                value = [_as_given(v, r, fields) if isinstance(v, Mapping)
                         and isinstance(r, Mapping) else v
                         for v, r in zip(value, raw, strict=True)]
        out[name] = value
    return out


def _project(facts: Mapping[str, Any], specs: Mapping[str, FactSpec]) -> dict[str, Any]:
    """The facts (and record fields) that ``specs`` declares."""
    out: dict[str, Any] = {}
    for name, value in facts.items():
        spec = specs.get(name)
        if spec is None:
            continue
        if spec.kind.container and not spec.kind.many and isinstance(value, Mapping):
            value = _project(value, spec.fields or {})
        elif spec.kind.many and isinstance(value, list):
            value = [_project_record(r, spec) for r in value]
        out[name] = value
    return out


def _project_record(record: Any, spec: FactSpec) -> Any:
    if not isinstance(record, Mapping):
        return record
    out = _project(record, spec.fields or {})
    if spec.kind.periodic:
        out.update((k, record[k]) for k in ("from", "to") if k in record)
    return out


def _merged(a: dict[str, Any], b: dict[str, Any], lists: list[str],
            specs: Mapping[str, FactSpec]) -> dict[str, Any]:
    """``a`` with the records of ``b``'s histories and lists added (histories by date)."""
    out = dict(a)
    for name in lists:
        records = [*a[name], *b[name]]
        if specs[name].kind.periodic:
            records.sort(key=lambda r: r["from"])
        out[name] = records
    return out


#: Bonus statuses that may still become ``earned`` (the money is not lost yet).
_WAITING = ("pending", "course_ongoing")


def deferred(a: Settlement, b: Settlement) -> Decimal:
    """New minus old of the bonuses that only moved in time: earned (and invoiced) under
    one policy and still waiting (pending, course ongoing) under the other. Negative when
    the new policy defers money the old one paid; positive when it pays earlier."""
    def earned(s: Settlement) -> dict[str, Decimal]:
        return {x.id: x.amount.amount for x in s.bonuses if x.status == "earned" and x.invoiced}

    def waiting(s: Settlement) -> set[str]:
        return {x.id for x in s.bonuses if x.status in _WAITING}

    total = Decimal(0)
    for ident, amount in earned(a).items():
        if ident in waiting(b):
            total -= amount
    for ident, amount in earned(b).items():
        if ident in waiting(a):
            total += amount
    return total


def result_word(policy: Program, package: str, ident: str) -> str | None:
    """``bonus`` for a bonus of the short form (`bonuses`), ``result`` for a result payment
    (`results`) of the package's price model; None if the policy has no such payment."""
    entry = policy.graph.packages.get(package)
    model = policy.graph.price_models.get(entry.spec.price_model) if entry else None
    found = next((r for r in model.results if r.id == ident), None) if model else None
    return None if found is None else "bonus" if found.legacy else "result"


def by_line(a: Settlement, b: Settlement) -> dict[str, Decimal]:
    """New minus old, per kind of settlement line (weekly, bonus, cap)."""
    out: dict[str, Decimal] = {}
    for sign, settlement in ((-1, a), (1, b)):
        for line in settlement.lines:
            out[line.kind] = out.get(line.kind, Decimal(0)) + sign * line.amount.amount
    return {k: v for k, v in out.items() if v}
