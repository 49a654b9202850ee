"""The rule-change diff: which citizens and referrals two policies treat differently.

``compare(old, new)`` decides generated citizens (and/or a population file) under
both policies on the same date, and settles generated referrals under both. Two
tender rounds are valid at different times, so both decide with
``ignore_validity=True``; the date defaults to the new round's first day.

* **Citizens.** Half are drawn from the new policy's boundary model
  (:func:`~udbudsregler.testing.boundaries.sample_citizens`), a quarter from the old
  one's, so that boundaries only the old policy has (the old age threshold) are tested
  too, and a quarter join the histories of two citizens of the new model, so that
  periods overlap (two benefits at once), which the model rarely draws. If a package
  has a span of weekly hours, each citizen also gets an order
  (:func:`~udbudsregler.testing.strategies.order_gen`). A citizen that one policy
  rejects (their fact schemas differ) is *not comparable*, counted by fact path.
* **Groups.** Each changed decision falls in the first group that applies:
  ``became_eligible``, ``lost_eligibility``, ``changed_area``, ``changed_supplier``
  (only with a supplier state), ``changed_package`` (the same order accepted under
  one policy and refused under the other, or refused for another reason),
  ``changed_target_groups`` (eligible under both, same area, other groups).
* **Payments.** Settlement scenarios (three quarters from the new policy's
  ``scenario_gen``, a quarter from the old one's) are settled under both up to their
  ``until``. A generated scenario's ``since`` is dropped: the diff compares what a
  referral earns, not which month invoices it (else a bonus earned a month earlier
  shows as one invoice down and another up). ``payment_up`` and ``payment_down``
  carry the total and the largest difference, and the kind of line it comes from.
* **Why.** :func:`changed_definitions` compares the documents definition by
  definition (the canonical text of every expression); per group, the criteria,
  areas, routing, packages and bonuses whose outcome differs are counted from the
  reasons of the changed decisions only, and linked through the rule graph to the
  changed definitions they depend on.
* **Examples.** The smallest members of each group are shrunk
  (:mod:`udbudsregler.analysis.shrink`) and shown as YAML test cases for the new
  policy, smallest first.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from udbudsregler.analysis.shrink import (
    case_yaml,
    facts_cost,
    scenario_cost,
    shrink_facts,
    shrink_scenario,
)
from udbudsregler.diagnostics import EvaluationError, FactError, UdbudsreglerError
from udbudsregler.domain.routing import Order, parse_order
from udbudsregler.expr import ast as A
from udbudsregler.expr.printer import to_text
from udbudsregler.loader.documents import FactSpec
from udbudsregler.loader.validate import AllOf, AnyOf, CriteriaNode, CriterionEntry

if TYPE_CHECKING:
    from udbudsregler.domain.settlement import Settlement
    from udbudsregler.runtime.decision import Decision
    from udbudsregler.runtime.policy import Policy
    from udbudsregler.testing.strategies import Scenario

__all__ = ["KINDS", "BadRow", "Change", "Definition", "DiffReport", "Example", "Group",
           "Population", "PopulationError", "PopulationRow", "Progress", "Responsible",
           "changed_definitions", "compare", "progress_printer", "read_population"]

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
_PAYMENT = ("payment_up", "payment_down")

#: ``progress(phase, done, total)``: phase is citizens | scenarios | reasons | examples.
Progress = Callable[[str, int, int], None]

#: Reasons are counted over at most this many members of a group.
MAX_EXAMINED = 200
#: Shrinking decides at most this many variants of one example.
SHRINK_BUDGET = 300


class PopulationError(UdbudsreglerError):
    """A population file that cannot be read at all."""


# -- the static diff: definitions ---------------------------------------------------------

#: Keys whose change alters only the wording of explanations, never a decision.
_WORDING = frozenset({"title", "description", "source", "reading", "legal_basis", "note",
                      "name", "placeholder", "current_suppliers"})


@dataclass(frozen=True)
class Change:
    field: str
    old: str | None  # None: not there
    new: str | None
    #: False when only the wording (titles, readings, sources) changed.
    semantic: bool

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new,
                "semantic": self.semantic}


@dataclass(frozen=True)
class Definition:
    """A definition that differs between the two policies."""

    kind: str  # fact | parameter | rule | criterion | target_group | service_area | ...
    name: str
    changes: tuple[Change, ...]
    old_at: str | None
    new_at: str | None
    #: The new policy overrides the old one's definition (``extends:``).
    overridden: bool = False

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}" if self.name else self.kind

    @property
    def semantic(self) -> bool:
        return any(c.semantic for c in self.changes)

    @property
    def node(self) -> str:
        """The rule graph's name for the definition."""
        prefix = {"service_area": "service_areas.", "course_package": "course_packages.",
                  "price_model": "price_models."}.get(self.kind)
        if prefix:
            return prefix + self.name
        return "" if self.kind in ("routing", "outcome") else self.name

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "semantic": self.semantic,
                "overridden": self.overridden, "old_at": self.old_at, "new_at": self.new_at,
                "changes": [c.to_dict() for c in self.changes]}


def _at(policy: Policy, path: tuple[str | int, ...]) -> str | None:
    info = policy.document.positions.get(path) or policy.document.positions.nearest(path)
    if info is None:
        return None
    span = info.key_span or info.span
    return f"{span.file}:{span.line}"


def _canon(policy: Policy, path: tuple[str | int, ...], text: str) -> str:
    """The canonical text of the expression at ``path`` (its source text if it did not
    parse)."""
    found = policy.checked.parsed.domain.get(path)
    if found is not None and found.expr.ast is not None:
        return to_text(found.expr.ast)
    return " ".join(text.split())


def _flatten(policy: Policy, value: Any, path: tuple[str | int, ...], label: str,
             out: dict[str, tuple[str, bool, tuple[str | int, ...]]], wording: bool) -> None:
    """Leaves of a dumped spec as ``label -> (text, semantic, document path)``."""
    if isinstance(value, dict):
        for key, child in value.items():
            if child is None or key == "id":
                continue
            name = "from" if key == "from_" else key
            _flatten(policy, child, (*path, name), f"{label}.{name}" if label else name, out,
                     wording or name in _WORDING)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        ids = [str(child["id"]) for child in value if "id" in child]
        if len(ids) == len(value):  # their order matters (rotation, ties): compare it too
            out[label] = (", ".join(ids), not wording, path)
        for i, child in enumerate(value):
            key = child.get("id", i)
            _flatten(policy, child, (*path, i), f"{label}[{key}]", out, wording)
    elif isinstance(value, list):
        out[label] = (", ".join(str(v) for v in value), not wording, path)
    elif isinstance(value, str) and not wording:
        out[label] = (_canon(policy, path, value), True, path)
    else:
        shown = " ".join(value.split()) if isinstance(value, str) else str(value)
        out[label] = (shown, not wording, path)


def _structure(node: CriteriaNode) -> str:
    if isinstance(node, CriterionEntry):
        return node.spec.id
    if isinstance(node, (AllOf, AnyOf)):
        kind = "all" if isinstance(node, AllOf) else "any"
        return f"{kind}({', '.join(_structure(i) for i in node.items)})"
    return f"not({_structure(node.item)})"


def _text(source: Any) -> str:
    return to_text(source.ast) if source.ast is not None else " ".join(source.text.split())


def _entries(policy: Policy) -> dict[tuple[str, str], tuple[tuple[str | int, ...], dict[
        str, tuple[str, bool, tuple[str | int, ...]]]]]:
    """Every definition of a policy: ``(kind, name) -> (path, fields)``."""
    doc = policy.document
    parsed = policy.checked.parsed
    out: dict[tuple[str, str], Any] = {}

    def add(kind: str, name: str, path: tuple[str | int, ...], spec: Any,
            extra: Mapping[str, tuple[str, bool, tuple[str | int, ...]]] | None = None,
            skip: tuple[str, ...] = ()) -> None:
        fields: dict[str, tuple[str, bool, tuple[str | int, ...]]] = {}
        if spec is not None:
            dump = spec.model_dump()
            _flatten(policy, {k: v for k, v in dump.items() if k not in skip}, path, "",
                     fields, False)
        fields.update(extra or {})
        out[(kind, name)] = (path, fields)

    for name, fact in doc.facts.items():
        add("fact", name, fact.path, fact.spec)
    for name, param in doc.parameters.items():
        values = parsed.parameters.get(name, [])
        shown = "; ".join((f"from {v.start.isoformat()}: " if v.start else "") + _text(v.expr)
                          for v in values)
        add("parameter", name, param.path, param.spec,
            {"value": (shown, True, (*param.path, "value"))}, skip=("value", "values"))
    for name, rule in doc.rules.items():
        add("rule", name, rule.path, rule.spec,
            {"value": (_text(parsed.rules[name]), True, (*rule.path, "value"))},
            skip=("value",))
    for ident, site in parsed.criteria.items():
        add("criterion", ident, site.entry.path, site.entry.spec,
            {"when": (_text(site.when), True, (*site.entry.path, "when")),
             "group": (site.group, True, site.entry.path)}, skip=("when",))
    for name, group in doc.target_groups.items():
        shape = _structure(group.criteria) if group.criteria is not None else ""
        add("target_group", name, group.path, group.spec,
            {"criteria": (shape, True, (*group.path, "criteria"))}, skip=("criteria",))
    domain = doc.domain
    for kind, table in (("outcome", domain.outcomes), ("service_area", domain.areas),
                        ("course_package", domain.packages),
                        ("price_model", domain.price_models)):
        for name, entry in table.items():
            add(kind, name, entry.path, entry.spec)
    if domain.routing is not None:
        add("routing", "", domain.routing.path, domain.routing.spec)
    if domain.referral is not None:
        add("referral", "", domain.referral.path, domain.referral.spec)
    return out


_KIND_ORDER = ("fact", "parameter", "rule", "criterion", "target_group", "outcome",
               "service_area", "routing", "course_package", "price_model", "referral")


def changed_definitions(old: Policy, new: Policy) -> list[Definition]:
    """The definitions that differ between ``old`` and ``new``: added, removed, or with a
    field whose canonical text differs; semantic changes first, then wording only."""
    before, after = _entries(old), _entries(new)
    overrides = new.document.overrides
    found: list[Definition] = []
    for key in sorted(before.keys() | after.keys(),
                      key=lambda k: (_KIND_ORDER.index(k[0]), k[1])):
        old_path, old_fields = before.get(key, ((), {}))
        new_path, new_fields = after.get(key, ((), {}))
        changes: list[Change] = []
        Where = tuple[str | int, ...] | None
        paths: list[tuple[bool, Where, Where]] = []  # (semantic, old path, new path)
        for name in [*old_fields, *(f for f in new_fields if f not in old_fields)]:
            a, b = old_fields.get(name), new_fields.get(name)
            if a is not None and b is not None and a[0] == b[0]:
                continue
            semantic = (a or b or ("", True, ()))[1]
            changes.append(Change(name, a[0] if a else None, b[0] if b else None, semantic))
            paths.append((semantic, a[2] if a else None, b[2] if b else None))
        overridden = key in after and new_path in overrides
        if not changes and not overridden:
            continue
        if key not in before or key not in after:
            changes = [Change("", "defined" if key in before else None,
                              "defined" if key in after else None, True)]
        # where: the first change that matters for decisions (else the first), else the entry
        paths.sort(key=lambda p: not p[0])
        old_spot = next((p[1] for p in paths if p[1] is not None), None)
        new_spot = next((p[2] for p in paths if p[2] is not None), None)
        old_at = new_at = None
        if key in before:
            old_at = (_at(old, old_spot) if old_spot else None) or _at(old, old_path)
        if key in after:
            new_at = (_at(new, new_spot) if new_spot else None) or _at(new, new_path)
        found.append(Definition(key[0], key[1], tuple(changes), old_at, new_at, overridden))
    found.sort(key=lambda d: not d.semantic)
    return found


# -- population files -----------------------------------------------------------------------


@dataclass(frozen=True)
class PopulationRow:
    line: int
    id: str | None
    facts: dict[str, Any]
    #: The caseworker's order, if the row gives one (JSON lines only).
    order: dict[str, Any] | None = None


@dataclass(frozen=True)
class BadRow:
    line: int
    id: str | None
    problems: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "id": self.id, "problems": list(self.problems)}


@dataclass
class Population:
    path: str
    rows: list[PopulationRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)


def read_population(path: str | Path, specs: Mapping[str, FactSpec] | None = None
                    ) -> Population:
    """Citizens from a file: JSON lines (a facts object per line, or ``{"id": ...,
    "facts": {...}}``), or CSV with one column per fact (an optional ``id`` column) whose
    history, list, record and period columns hold JSON text. ``specs`` (the fact schema)
    says how to read CSV cells. Rows that cannot be read are :attr:`Population.bad`."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PopulationError(f"{name}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PopulationError(f"{name}: cannot be read ({error})") from None
    population = Population(name)
    first = text.lstrip()[:1]
    if name.lower().endswith(".csv") or (first and first != "{"):
        _read_csv(text, specs or {}, population)
    else:
        _read_jsonl(text, population)
    return population


def _read_jsonl(text: str, population: Population) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as error:
            population.bad.append(BadRow(number, None, (f"not valid JSON: {error.msg}",)))
            continue
        if not isinstance(data, dict):
            population.bad.append(BadRow(number, None, ("expected a JSON object",)))
            continue
        ident = data.get("id")
        order = data.get("order")
        if isinstance(data.get("facts"), dict):
            facts = data["facts"]
        elif "facts" in data:
            population.bad.append(BadRow(number, _id(ident), ("`facts` is not an object",)))
            continue
        else:
            facts, ident, order = data, None, None
        population.rows.append(PopulationRow(number, _id(ident), facts,
                                             order if isinstance(order, dict) else None))


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def _read_csv(text: str, specs: Mapping[str, FactSpec], population: Population) -> None:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return
    start = reader.line_num + 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            population.bad.append(BadRow(line, None, (
                f"{len(cells)} cells, but the header has {len(header)} columns",)))
            continue
        facts: dict[str, Any] = {}
        ident: str | None = None
        problems: list[str] = []
        for column, cell in zip(header, cells, strict=True):
            column = column.strip()
            if column == "id" and "id" not in specs:
                ident = cell or None
                continue
            try:
                facts[column] = _cell(cell, specs.get(column))
            except ValueError as error:
                problems.append(f"{column}: {error}")
        if problems:
            population.bad.append(BadRow(line, ident, tuple(problems)))
        else:
            population.rows.append(PopulationRow(line, ident, facts))


def _cell(cell: str, spec: FactSpec | None) -> Any:
    kind = spec.type if spec is not None else None
    text = cell.strip()
    if text == "":
        return None
    if kind in ("history", "list", "record", "period") or (kind is None and text[0] in "[{"):
        try:
            return json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise ValueError(f"not valid JSON: {error.msg}") from None
    if kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "1", "ja", "yes"):
            return True
        if lowered in ("false", "0", "nej", "no"):
            return False
        raise ValueError(f"`{text}` is not true or false")
    if kind == "int" and re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    return text


# -- the report ------------------------------------------------------------------------------


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

    def to_dict(self) -> dict[str, Any]:
        from udbudsregler.runtime.values import to_json

        out: dict[str, Any] = {"source": self.source, "old": self.old, "new": self.new}
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
    members: list[Any] = field(default_factory=list, repr=False)

    @property
    def title(self) -> str:
        return KINDS[self.kind]

    def to_dict(self, compared: int) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "title": self.title, "count": self.count,
                               "percent": _percent(self.count, compared),
                               "by_source": dict(self.by_source), "examined": self.examined}
        if self.kind in _PAYMENT:
            out.update(total=format(self.total, "f"), largest=format(self.largest, "f"),
                       by_line={k: format(v, "f") for k, v in self.by_line.items()})
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

    @property
    def changed(self) -> int:
        """Citizens whose decision changed."""
        return sum(g.count for k, g in self.groups.items() if k not in _PAYMENT)

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
            "seed": self.seed,
            "citizens": {"decided": dict(self.citizens), "compared": self.compared,
                         "changed": self.changed,
                         "not_comparable": dict(self.not_comparable)},
            "scenarios": {"settled": self.scenarios, "compared": self.scenarios_compared,
                          "not_comparable": dict(self.scenarios_not_comparable)},
            "definitions": [d.to_dict() for d in self.definitions],
            "groups": [g.to_dict(self.scenarios_compared if k in _PAYMENT else self.compared)
                       for k, g in self.groups.items()],
            "bad_rows": [b.to_dict() for b in self.bad_rows],
            "notes": list(self.notes),
            "seconds": round(self.seconds, 2),
        }

    def render(self) -> str:
        """The report for a terminal: the changed definitions, a table of the groups,
        then each group with the rules responsible and its example citizens."""
        return _render(self)


# -- comparing ------------------------------------------------------------------------------


@dataclass
class _Citizen:
    source: str
    facts: dict[str, Any]
    order: dict[str, Any] | None = None
    #: ``generated``, ``given``, or the population file.
    origin: str = "generated"


def _load(policy: Policy | str | Path) -> Policy:
    if isinstance(policy, (str, Path)):
        from udbudsregler.runtime.policy import load_policy

        return load_policy(policy)
    return policy


def _has_spans(policy: Policy) -> bool:
    return any(p.spec.weekly_hours is not None for p in policy.document.domain.packages.values())


def _can_settle(policy: Policy) -> bool:
    domain = policy.document.domain
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
    return {s.id for a in policy.document.domain.areas.values() for s in a.spec.suppliers}


class _Comparison:
    """One run of :func:`compare`: both policies, the date, and what was found."""

    def __init__(self, old: Policy, new: Policy, on: date, seed: int,
                 suppliers: Mapping[str, Any] | None, progress: Progress | None) -> None:
        self.old, self.new, self.on, self.seed = old, new, on, seed
        self.suppliers = dict(suppliers) if suppliers is not None else None
        self.progress = progress
        self.with_orders = _has_spans(old) or _has_spans(new)
        self.packages = set(old.document.domain.packages) & set(new.document.domain.packages)
        self.chosen_suppliers = _supplier_ids(old) & _supplier_ids(new)
        self.specs = {n: e.spec for n, e in new.document.facts.items()}
        old_specs = {n: e.spec for n, e in old.document.facts.items()}
        #: With different fact schemas, the facts a policy does not declare are left out
        #: when deciding under it (a fact the new round adds must not make every citizen
        #: incomparable); a fact it declares and the citizen lacks stays an error.
        self.views: dict[str, Mapping[str, FactSpec] | None] = {
            "old": old_specs if old_specs != self.specs else None,
            "new": self.specs if old_specs != self.specs else None}
        kinds = [k for k in KINDS if k not in _PAYMENT]
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

    def decide(self, facts: dict[str, Any], order: Mapping[str, Any] | None,
               problems: Counter[str] | None = None) -> tuple[Decision, Decision] | None:
        parsed: Order | None = parse_order(order) if order else None
        pair = []
        for side, policy in (("old", self.old), ("new", self.new)):
            view = self.views[side]
            try:
                pair.append(policy.decide(facts if view is None else _project(facts, view),
                                          self.on, order=parsed,
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
        if self.with_orders and ((pa.accepted, pa.status) if pa else None) != (
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

    def run_citizens(self, citizens: list[_Citizen]) -> None:
        total = len(citizens)
        for i, citizen in enumerate(citizens, start=1):
            pair = self.decide(citizen.facts, citizen.order, self.not_comparable)
            if pair is not None:
                self.compared += 1
                kind = self.kind_of(*pair)
                if kind is not None:
                    group = self.groups[kind]
                    group.count += 1
                    group.by_source[citizen.origin] += 1
                    group.members.append((citizen, *pair))
            self.tick("citizens", i, total)

    def generate(self, n: int) -> list[_Citizen]:
        """``n`` citizens with orders (if a package has a span of weekly hours): half from
        the new policy's boundary model, a quarter from the old one's, and a quarter whose
        histories and lists join those of two citizens of the new model, so that periods
        overlap (a citizen on two benefits at once), which the model rarely draws. Without
        histories or lists, three quarters come from the new model."""
        from udbudsregler.testing.boundaries import sample_citizens, sampler
        from udbudsregler.testing.strategies import order_gen

        lists = [name for name, spec in self.specs.items() if spec.type in ("history", "list")]
        old_share = merged = n // 4
        if not lists:
            merged = 0
        out: list[_Citizen] = []
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
            if self.with_orders and policy.document.domain.packages:
                draw = sampler(order_gen(policy), random.Random(seed + 2).random)
                orders = [self.fit_order(draw()) for _ in range(count)]
            start = len(out)
            out += [_Citizen(f"generated citizen #{start + i + 1}{tag}", facts, order)
                    for i, (facts, order) in enumerate(zip(drawn, orders, strict=True))]
        return out

    def canonical(self, facts: dict[str, Any]) -> dict[str, Any]:
        """The facts in canonical form (as the new policy reads them, else the old one);
        unchanged if neither accepts them (they are then not comparable)."""
        for policy in (self.new, self.old):
            try:
                return policy.facts.validate(facts)
            except FactError:
                continue
        return facts

    def read(self, population: Population) -> list[_Citizen]:
        """The rows of a population file in canonical form; rows that fit neither policy
        become bad rows."""
        out: list[_Citizen] = []
        for row in population.rows:
            where = f"{population.path}:{row.line}" + (f" ({row.id})" if row.id else "")
            facts = row.facts
            errors: list[FactError] = []
            for policy in (self.new, self.old):
                try:
                    facts = policy.facts.validate(row.facts)
                    break
                except FactError as error:
                    errors.append(error)
            if len(errors) == 2:
                problems = tuple(p.render() for p in errors[0].problems)
                population.bad.append(BadRow(row.line, row.id, problems))
                continue
            out.append(_Citizen(where, facts, row.order, population.path))
        population.bad.sort(key=lambda b: b.line)
        return out

    def scenarios(self, m: int) -> list[Scenario]:
        from udbudsregler.testing.boundaries import sampler
        from udbudsregler.testing.strategies import scenario_gen

        share = m // 4
        out: list[Scenario] = []
        for policy, count, seed in ((self.new, m - share, self.seed + 3),
                                    (self.old, share, self.seed + 4)):
            if count > 0 and _can_settle(policy):
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
        lines = tuple(sorted(_by_line(a, b)))
        old_status = {x.id: x.status for x in a.bonuses}
        new_status = {x.id: x.status for x in b.bonuses}
        bonuses = tuple((i, old_status.get(i), new_status.get(i))
                        for i in sorted(old_status.keys() | new_status.keys())
                        if old_status.get(i) != new_status.get(i))
        return (kind, lines, bonuses)

    def run_scenarios(self, scenarios: list[Scenario]) -> tuple[int, Counter[str]]:
        for kind in _PAYMENT:
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
                    for kind, amount in _by_line(a, b).items():
                        group.by_line[kind] = group.by_line.get(kind, Decimal(0)) + amount
                    group.members.append((scenario, a, b))
            self.tick("scenarios", i, total)
        return compared, problems


def _project(facts: Mapping[str, Any], specs: Mapping[str, FactSpec]) -> dict[str, Any]:
    """The facts (and record fields) that ``specs`` declares."""
    out: dict[str, Any] = {}
    for name, value in facts.items():
        spec = specs.get(name)
        if spec is None:
            continue
        if spec.type == "record" and isinstance(value, Mapping):
            value = _project(value, spec.fields or {})
        elif spec.type in ("list", "history") and isinstance(value, list):
            value = [_project_record(r, spec) for r in value]
        out[name] = value
    return out


def _project_record(record: Any, spec: FactSpec) -> Any:
    if not isinstance(record, Mapping):
        return record
    out = _project(record, spec.fields or {})
    if spec.type == "history":
        out.update((k, record[k]) for k in ("from", "to") if k in record)
    return out


def _merged(a: dict[str, Any], b: dict[str, Any], lists: list[str],
            specs: Mapping[str, FactSpec]) -> dict[str, Any]:
    """``a`` with the records of ``b``'s histories and lists added (histories by date)."""
    out = dict(a)
    for name in lists:
        records = [*a[name], *b[name]]
        if specs[name].type == "history":
            records.sort(key=lambda r: r["from"])
        out[name] = records
    return out


def _by_line(a: Settlement, b: Settlement) -> dict[str, Decimal]:
    """New minus old, per kind of settlement line (weekly, bonus, cap)."""
    out: dict[str, Decimal] = {}
    for sign, settlement in ((-1, a), (1, b)):
        for line in settlement.lines:
            out[line.kind] = out.get(line.kind, Decimal(0)) + sign * line.amount.amount
    return {k: v for k, v in out.items() if v}


# -- the rules responsible ---------------------------------------------------------------------

_REASON_ORDER = ("criterion", "target_group", "area", "routing", "supplier", "package", "bonus",
                 "weekly", "end")


def _outcomes(decision: Decision, suppliers: bool) -> dict[tuple[str, str], tuple[str, str]]:
    """What each part of a decision came to: ``(kind, id) -> (outcome, title)``."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for r in decision.reasons:
        if r.kind == "criterion":
            out[(r.kind, r.id)] = ("met" if r.met else "not met", r.title)
        elif r.kind == "target_group":
            out[(r.kind, r.id)] = ("in" if r.met else "not in", r.title)
        elif r.kind == "area":
            out[(r.kind, r.id)] = ("fits" if r.met else "does not fit", r.title)
        elif r.kind == "routing":
            out[("routing", "")] = (r.id or "no area", "the area chosen by priority")
        elif r.kind == "supplier" and suppliers:
            out[("supplier", r.group or "")] = (r.id or "none", "the supplier")
        elif r.kind == "package":
            status = dict(r.values).get("status", "")
            out[("package", r.id)] = (str(status), r.title)
    return out


class _Why:
    """Links a part of a decision or a settlement to the changed definitions."""

    def __init__(self, run: _Comparison) -> None:
        self.run = run
        self.by_node = {d.node: d for d in run.definitions if d.node}
        self.routing = next((d for d in run.definitions if d.kind == "routing"), None)
        self.referral = next((d for d in run.definitions if d.kind == "referral"), None)

    def _labels(self, nodes: Iterable[str], extra: Iterable[Definition | None] = ()
                ) -> tuple[str, ...]:
        names = list(nodes)
        deps: set[str] = set()
        for policy in (self.run.old, self.run.new):
            deps |= policy.checked.graph.closure(names)
        found = [d for n, d in self.by_node.items() if n in deps]
        for d in extra:
            if d is not None and d not in found:
                found.append(d)
        found.sort(key=lambda d: (not d.semantic, _KIND_ORDER.index(d.kind), d.name))
        return tuple(d.label + ("" if d.semantic else " (wording only)") for d in found)

    def decision_part(self, kind: str, ident: str) -> tuple[str, ...]:
        if kind in ("criterion", "target_group"):
            return self._labels([ident])
        if kind == "area":
            return self._labels([f"service_areas.{ident}"])
        if kind == "supplier":
            return self._labels([f"service_areas.{ident}"])
        if kind == "package":
            return self._labels([f"course_packages.{ident}"])
        if kind == "routing":
            areas = [f"service_areas.{a}" for p in (self.run.old, self.run.new) for a in p.areas]
            return self._labels(areas, [self.routing])
        return ()

    def payment_part(self, kind: str, package: str, bonus: str = "") -> tuple[str, ...]:
        """The changed definitions a bonus, the weekly payments or the referral's end read:
        the names in the expressions of that part, the price model and the package."""
        nodes: list[str] = []
        extra: list[Definition | None] = [self.by_node.get(f"course_packages.{package}")]
        for policy in (self.run.old, self.run.new):
            domain = policy.document.domain
            entry = domain.packages.get(package)
            model = domain.price_models.get(entry.spec.price_model) if entry else None
            if entry is None or model is None:
                continue
            extra.append(self.by_node.get(f"price_models.{model.name}"))
            paths: list[tuple[str | int, ...]] = []
            if kind == "bonus":
                paths = [(*model.path, "bonuses", i, key)
                         for i, b in enumerate(model.spec.bonuses) if b.id == bonus
                         for key in ("amount", "lasting")]
            elif kind == "weekly":
                paths = [(*model.path, "weekly_price"), (*model.path, "caps", "max_amount"),
                         (*model.path, "caps", "max_duration")]
            else:
                paths = [("referral", "max_duration"), ("referral", "aftercare"),
                         (*entry.path, "max_duration")]
                extra.append(self.referral)
            for path in paths:
                found = policy.checked.parsed.domain.get(path)
                if found is not None and found.expr.ast is not None:
                    nodes += [n.id for n in A.free_names(found.expr.ast)]
        return self._labels(nodes, extra)


def _tally(counter: Counter[tuple[str, str, str, str]], titles: dict[tuple[str, str], str],
           why: Callable[[str, str], tuple[str, ...]]) -> list[Responsible]:
    rows = [Responsible(kind, ident, titles.get((kind, ident), ident), old, new, count,
                        why(kind, ident))
            for (kind, ident, old, new), count in counter.items()]
    rows.sort(key=lambda r: (_REASON_ORDER.index(r.kind), -r.count, r.id, r.old, r.new))
    return rows


def _decision_reasons(run: _Comparison, why: _Why, group: Group) -> None:
    """Count the parts of the decision whose outcome differs. The package and the supplier
    are counted only in their own groups: elsewhere they follow from the area."""
    counter: Counter[tuple[str, str, str, str]] = Counter()
    titles: dict[tuple[str, str], str] = {}
    members = group.members[:MAX_EXAMINED]
    skip = {"package", "supplier"} - {group.kind.removeprefix("changed_")}
    for i, (_citizen, a, b) in enumerate(members, start=1):
        before = _outcomes(a, run.suppliers is not None)
        after = _outcomes(b, run.suppliers is not None)
        for key in sorted(before.keys() | after.keys()):
            if key[0] in skip:
                continue
            old, new = before.get(key, ("absent", "")), after.get(key, ("absent", ""))
            if old[0] != new[0]:
                counter[(*key, old[0], new[0])] += 1
                titles[key] = new[1] or old[1]
        run.tick("reasons", i, len(members))
    group.examined = len(members)
    group.responsible = _tally(counter, titles, why.decision_part)


def _payment_reasons(run: _Comparison, why: _Why, group: Group) -> None:
    counter: Counter[tuple[str, str, str, str]] = Counter()
    titles: dict[tuple[str, str], str] = {}
    packages: dict[tuple[str, str], str] = {}
    members = group.members[:MAX_EXAMINED]
    for scenario, a, b in members:
        package = scenario.referral["package"]
        for ident, old, new in run.payment_signature(a, b)[2]:
            counter[("bonus", ident, old or "absent", new or "absent")] += 1
            titles[("bonus", ident)] = next((x.title for x in (*b.bonuses, *a.bonuses)
                                             if x.id == ident), ident)
            packages[("bonus", ident)] = package
        if _by_line(a, b).get("weekly"):
            counter[("weekly", package, "", "")] += 1
            titles[("weekly", package)] = f"weekly payments for `{package}`"
            packages[("weekly", package)] = package
        if a.end.cause != b.end.cause:
            counter[("end", package, a.end.cause, b.end.cause)] += 1
            titles[("end", package)] = "how the referral ended"
            packages[("end", package)] = package
    group.examined = len(members)

    def because(kind: str, ident: str) -> tuple[str, ...]:
        package = packages[(kind, ident)]
        return why.payment_part(kind, package, ident if kind == "bonus" else "")

    group.responsible = _tally(counter, titles, because)


# -- examples ------------------------------------------------------------------------------------


def _choose(built: list[tuple[Any, int, Callable[[int], Example]]], frequency: Counter[Any],
            k: int) -> list[Example]:
    """Up to ``k``: one per kind of change (the most frequent kinds first), then the
    smallest; shown smallest first."""
    built.sort(key=lambda b: b[1])
    chosen: list[int] = []
    for sig, _count in frequency.most_common():
        index = next((i for i, b in enumerate(built) if b[0] == sig), None)
        if index is not None and len(chosen) < k:
            chosen.append(index)
    chosen += [i for i in range(len(built)) if i not in chosen][:k - len(chosen)]
    chosen.sort(key=lambda i: built[i][1])
    return [built[i][2](n) for n, i in enumerate(chosen, start=1)]


def _candidates(members: list[Any], cost: Callable[[Any], Any],
                signature: Callable[[Any], Any], k: int) -> tuple[list[Any], Counter[Any]]:
    """The members to shrink: the smallest of each kind of change, then the smallest."""
    frequency: Counter[Any] = Counter(signature(m) for m in members)
    ranked = sorted(range(len(members)), key=lambda i: (cost(members[i]), i))
    first: dict[Any, int] = {}
    for i in ranked:
        first.setdefault(signature(members[i]), i)
    chosen = [first[sig] for sig, _ in frequency.most_common() if sig in first][:2 * k]
    chosen += [i for i in ranked if i not in chosen][:max(0, 2 * k - len(chosen))]
    return [members[i] for i in chosen], frequency


def _summary(run: _Comparison, d: Decision) -> str:
    text = f"eligible ({', '.join(d.target_groups)})" if d.eligible else "not eligible"
    if d.policy.areas and (d.eligible or d.area):
        text += f", area {d.area or 'none'}"
    if run.suppliers is not None and d.area:
        text += f", supplier {d.supplier or 'none'}"
    choice = d.package_choice
    if choice is not None:
        hours = f" {choice.weekly_hours} hours" if choice.weekly_hours is not None else ""
        text += f", package {choice.package}{hours} " + (
            "accepted" if choice.accepted else f"refused ({choice.status})")
    return text


def _decision_examples(run: _Comparison, group: Group, k: int) -> list[Example]:
    specs, on = run.specs, run.on
    members, frequency = _candidates(
        group.members, lambda m: facts_cost(m[0].facts, specs, on),
        lambda m: run.signature(m[1], m[2]), k)
    built: list[tuple[Any, int, Callable[[int], Example]]] = []
    seen: set[str] = set()
    for i, (citizen, a, b) in enumerate(members, start=1):
        sig = run.signature(a, b)

        def keep(facts: dict[str, Any], sig: Any = sig, order: Any = citizen.order) -> bool:
            pair = run.decide(facts, order)
            return pair is not None and run.signature(*pair) == sig

        order = citizen.order
        if order is not None and keep(citizen.facts, order=None):
            order = None  # the order plays no part in this change

        def keep_order(facts: dict[str, Any], order: Any = order, keep: Any = keep) -> bool:
            return bool(keep(facts, order=order))

        facts = shrink_facts(citizen.facts, specs, on, keep_order, SHRINK_BUDGET).value
        run.tick("examples", i, len(members))
        key = repr((facts, order))
        pair = run.decide(facts, order)
        if key in seen or pair is None:
            continue
        seen.add(key)
        shrunk = replace(citizen, facts=facts, order=order)
        built.append((sig, facts_cost(facts, specs, on),
                      _decision_example(run, group.kind, shrunk, facts, *pair)))
    return _choose(built, frequency, k)


def _decision_example(run: _Comparison, kind: str, citizen: _Citizen, facts: dict[str, Any],
                      a: Decision, b: Decision) -> Callable[[int], Example]:
    expect: dict[str, Any] = {"eligible": b.eligible}
    if b.eligible and (kind == "changed_target_groups" or len(b.target_groups) > 1):
        expect["target_groups"] = list(b.target_groups)
    if run.new.areas:
        expect["area"] = b.area
    if run.suppliers is not None:
        expect["supplier"] = b.supplier
    if b.package_choice is not None:
        c = b.package_choice
        expect["package"] = {"id": c.package, "accepted": c.accepted, "status": c.status}
    before = {r.id: r.met for r in a.reasons if r.kind == "criterion"}
    changed = {r.id: r.met for r in b.reasons
               if r.kind == "criterion" and r.id in before and before[r.id] != r.met}
    if changed:
        expect["criteria"] = changed
    old_text, new_text = _summary(run, a), _summary(run, b)

    def make(number: int) -> Example:
        comment = (f"{KINDS[kind]}: {run.old.id}: {old_text}\n"
                   f"{' ' * len(KINDS[kind])}  {run.new.id}: {new_text}\n"
                   f"found by `udbudsregler diff {run.old.id} {run.new.id}`, shrunk from "
                   f"{citizen.source}")
        case = case_yaml(f"diff {run.old.id}: {KINDS[kind]} ({number})", comment, facts=facts,
                         specs=run.specs, on=run.on, order=citizen.order,
                         suppliers=run.suppliers, expect=expect)
        return Example(citizen.source, old_text, new_text, case,
                       facts_cost(facts, run.specs, run.on), facts=facts, order=citizen.order)

    return make


def _settled(s: Settlement) -> str:
    bonuses = "; ".join(f"bonus {x.id} {x.status}" for x in s.bonuses)
    return f"{_amount(s.total)} {s.policy.header.currency}" + (f" ({bonuses})" if bonuses else "")


def _payment_examples(run: _Comparison, group: Group, k: int) -> list[Example]:
    valid = run.new.header.valid

    def outside(s: Scenario) -> bool:
        start = s.referral["start"]
        return not (valid.from_ <= start and (valid.to is None or start <= valid.to))

    members, frequency = _candidates(
        group.members, lambda m: (outside(m[0]), scenario_cost(m[0])),
        lambda m: run.payment_signature(m[1], m[2]), k)
    built: list[tuple[Any, int, Callable[[int], Example]]] = []
    seen: set[str] = set()
    for i, (scenario, a, b) in enumerate(members, start=1):
        sig = run.payment_signature(a, b)

        def keep(s: Scenario, sig: Any = sig) -> bool:
            pair = run.settle(s)
            return pair is not None and run.payment_signature(*pair) == sig

        shrunk = shrink_scenario(scenario, valid.from_, keep, SHRINK_BUDGET).value
        run.tick("examples", i, len(members))
        pair = run.settle(shrunk)
        if repr(shrunk) in seen or pair is None:
            continue
        seen.add(repr(shrunk))
        cost = scenario_cost(shrunk) + (1000 if outside(shrunk) else 0)
        built.append((sig, cost, _payment_example(run, group.kind, shrunk, *pair, cost)))
    return _choose(built, frequency, k)


def _payment_example(run: _Comparison, kind: str, scenario: Scenario, a: Settlement,
                     b: Settlement, cost: int) -> Callable[[int], Example]:
    settle: dict[str, Any] = {"referral": scenario.referral, "outcomes": scenario.outcomes,
                              "until": scenario.until}
    if scenario.since is not None:
        settle["since"] = scenario.since
    expect: dict[str, Any] = {"total": format(b.total, "f")}
    if b.bonuses:
        expect["bonuses"] = {x.id: x.status for x in b.bonuses}
    diff = b.total - a.total
    old_text, new_text = _settled(a), _settled(b)

    def make(number: int) -> Example:
        comment = (f"{KINDS[kind]} by {_amount(diff, sign=True)}: {run.old.id} pays "
                   f"{old_text}\n{' ' * len(KINDS[kind])}  {run.new.id} pays {new_text}\n"
                   f"found by `udbudsregler diff {run.old.id} {run.new.id}` (shrunk)")
        case = case_yaml(f"diff {run.old.id}: {KINDS[kind]} ({number})", comment,
                         settle=settle, expect=expect)
        return Example("generated settlement scenario", old_text, new_text, case, cost,
                       scenario=scenario, difference=diff)

    return make


# -- the entry point -------------------------------------------------------------------------------


def compare(old: Policy | str | Path, new: Policy | str | Path, *,
            citizens: int | Iterable[Mapping[str, Any]] = 10_000,
            population: str | Path | Population | None = None,
            scenarios: int | Iterable[Scenario] = 2_000, on: date | None = None,
            seed: int = 0, examples: int = 3, suppliers: Mapping[str, Any] | None = None,
            progress: Progress | None = None) -> DiffReport:
    """Decide citizens and settle referrals under both policies, and report what changes.

    ``citizens``: how many to generate, or the facts of given citizens; ``population``: a
    JSON-lines or CSV file (or a read :class:`Population`); ``scenarios``: how many
    settlement scenarios to generate, or given ones (settled with their own ``since``);
    ``on``: the decision date (default: the new policy's first day); ``suppliers``: a
    supplier state for both (then a changed supplier is a change); ``examples``: how many
    example citizens per group; ``progress(phase, done, total)`` is called as work is
    done. The same policies and arguments give the same report.
    """
    started = time.perf_counter()
    old, new = _load(old), _load(new)
    on = on or new.header.valid.from_
    run = _Comparison(old, new, on, seed, suppliers, progress)
    items = run.generate(citizens) if isinstance(citizens, int) else [
        _Citizen(f"given citizen #{i}", run.canonical(dict(f)), None, "given")
        for i, f in enumerate(citizens, start=1)]
    bad: list[BadRow] = []
    if population is not None:
        if not isinstance(population, Population):
            specs = {**{n: e.spec for n, e in old.document.facts.items()}, **run.specs}
            population = read_population(population, specs)
        items += run.read(population)
        bad = population.bad
    run.run_citizens(items)
    notes: list[str] = []
    if isinstance(scenarios, int):
        if scenarios and not (_can_settle(old) and _can_settle(new)):
            notes.append("payments not compared: a policy has no course packages or no "
                         "rounding rule")
        scenario_list = run.scenarios(scenarios)
    else:
        scenario_list = list(scenarios)
    settled, settle_problems = run.run_scenarios(scenario_list)
    if "changed_package" not in run.groups:
        notes.append("package decisions not compared: no course package has a span of "
                     "weekly hours")
    for side, mine, other in (("new", new, old), ("old", old, new)):
        only = [n for n in mine.document.facts if n not in other.document.facts]
        if only:
            notes.append(f"facts only the {side} policy declares (left out when deciding "
                         f"under the other): {', '.join(only)}")
    if "changed_supplier" not in run.groups:
        notes.append("suppliers not compared: no supplier state given")
    run.definitions = changed_definitions(old, new)
    why = _Why(run)
    for kind, group in run.groups.items():
        if not group.members:
            continue
        if kind in _PAYMENT:
            _payment_reasons(run, why, group)
            group.examples = _payment_examples(run, group, examples) if examples > 0 else []
        else:
            _decision_reasons(run, why, group)
            group.examples = _decision_examples(run, group, examples) if examples > 0 else []
        group.members = []
    return DiffReport(
        old, new, on, seed, Counter(c.origin for c in items), run.compared,
        run.not_comparable, len(scenario_list), settled, settle_problems, run.definitions,
        run.groups, bad, notes, time.perf_counter() - started)


# -- the text report -------------------------------------------------------------------------------


def _amount(value: Decimal, sign: bool = False) -> str:
    return format(value, "+,.2f" if sign else ",.2f")


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.2f} %" if count and total else "-"


def _render(report: DiffReport) -> str:
    old, new = report.old, report.new
    currency = new.header.currency
    out: list[str] = []
    add = out.append

    def validity(p: Policy) -> str:
        valid = p.header.valid
        return f"valid {valid.from_.isoformat()} to {valid.to.isoformat() if valid.to else 'open'}"

    add(f"udbudsregler diff: {old.id} -> {new.id}, decided on {report.on.isoformat()} "
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
    add("")
    sources = ", ".join(f"{n:,} {s}" for s, n in sorted(report.citizens.items()))
    add(f"Citizens: {sum(report.citizens.values()):,} ({sources or 'none'}); "
        f"{report.compared:,} decided under both; {report.changed:,} decided differently "
        f"({_share(report.changed, report.compared)})")
    paid = sum(report.group(k).count for k in _PAYMENT)
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
        total = report.scenarios_compared if kind in _PAYMENT else report.compared
        line = f"  {group.title:<26}{group.count:>8,}  {_share(group.count, total):>8}"
        if kind in _PAYMENT and group.count:
            parts = ", ".join(f"{k} {_amount(v, True)}" for k, v in group.by_line.items())
            line += (f"  {_amount(group.total, True)} (largest {_amount(group.largest, True)};"
                     f" {parts})")
        if len(report.citizens) > 1 and kind not in _PAYMENT and group.count:
            line += "  [" + ", ".join(f"{s} {n:,}" for s, n in sorted(group.by_source.items())) \
                + "]"
        add(line)
    for note in report.notes:
        add(f"  ({note})")
    for kind, group in report.groups.items():
        if not group.count:
            continue
        total = report.scenarios_compared if kind in _PAYMENT else report.compared
        what = ("scenario" if kind in _PAYMENT else "citizen") + ("" if group.count == 1 else "s")
        add("")
        add(f"== {group.title}: {group.count:,} {what} ({_share(group.count, total)}) ==")
        if kind in _PAYMENT:
            add(f"  total {_amount(group.total, True)} {currency}, largest "
                f"{_amount(group.largest, True)}; by line: "
                + ", ".join(f"{k} {_amount(v, True)}" for k, v in group.by_line.items()))
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


def progress_printer(stream: TextIO, delay: float = 1.0) -> Progress:
    """A ``progress`` callback for a terminal: silent for the first ``delay`` seconds,
    then a counter rewritten in place (``\\r``) when ``stream`` is a terminal, else a
    line every 10 %."""
    tty = stream.isatty()
    started = time.perf_counter()
    shown: dict[str, int] = {}

    def report(phase: str, done: int, total: int) -> None:
        if phase not in shown and time.perf_counter() - started < delay:
            return
        if tty:
            stream.write(f"\rdiff: {phase} {done:,} of {total:,}")
            if done >= total:
                stream.write("\n")
        else:
            tenth = 10 * done // max(total, 1)
            if tenth <= shown.get(phase, -1):
                return
            shown[phase] = tenth
            stream.write(f"diff: {phase} {done:,} of {total:,} ({10 * tenth} %)\n")
        shown.setdefault(phase, 0)
        stream.flush()

    return report
