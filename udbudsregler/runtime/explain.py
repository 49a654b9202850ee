"""Explanations: a decision and its reasons as readable text, in Danish, English or Swedish.

The text follows the criteria tree of each target group, so a caseworker can
see which condition failed, the values it was decided on, its legal basis and
the reading the policy chose where the tender text is ambiguous.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from udbudsregler.ir import nodes as I
from udbudsregler.runtime.program import Program
from udbudsregler.runtime.reason import Reason
from udbudsregler.runtime.routing_text import routing_text
from udbudsregler.runtime.units import written_units
from udbudsregler.runtime.views import DecisionView
from udbudsregler.semantics.ops import OPEN_END
from udbudsregler.semantics.types import BOOL, HOURS, ListType, RecordType, SetType, Type
from udbudsregler.values import wording as fmt
from udbudsregler.values.canonical import show
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import Duration, Period, SpanLength
from udbudsregler.values.wording import LANGUAGES, Unit

__all__ = ["TEXTS", "explain", "format_value"]

TEXTS: dict[str, dict[str, str]] = {
    "da": {
        "heading": "Afgørelse efter {title}",
        "policy": "Politik: {id} (indhold {hash}). Afgørelsesdato: {date}.",
        "in_one": "Resultat: Borgeren er i målgruppen «{groups}».",
        "in_many": "Resultat: Borgeren er i målgrupperne {groups}.",
        "in_none_one": "Resultat: Borgeren er ikke i målgruppen «{groups}».",
        "in_none_many": "Resultat: Borgeren er ikke i nogen af målgrupperne.",
        "group": "Målgruppe: {title}: {status}",
        "met": "opfyldt",
        "not_met": "ikke opfyldt",
        "unknown": "kunne ikke vurderes",
        "error": "Fejl: {text}",
        "legal": "Retsgrundlag: {text}",
        "all": "Alle disse betingelser skal være opfyldt:",
        "any": "Mindst én af disse betingelser skal være opfyldt:",
        "not": "Denne betingelse må ikke være opfyldt:",
        "facts": "Oplysninger: {text}",
        "reading": "Fortolkning: {text}",
        "source": "Udbudsmaterialet: «{text}»",
        "changed": "Ændret i forhold til {base}: {what}",
        "kind_parameter": "parameteren", "kind_rule": "reglen", "kind_fact": "oplysningen",
        "kind_criterion": "kriteriet", "kind_price_model": "prismodellen",
        "records": "{n} registreringer",
        "record": "1 registrering",
        "none": "ingen",
        "open": "løbende",
    },
    "en": {
        "heading": "Decision under {title}",
        "policy": "Policy: {id} (content {hash}). Decision date: {date}.",
        "in_one": "Result: the citizen is in the target group “{groups}”.",
        "in_many": "Result: the citizen is in the target groups {groups}.",
        "in_none_one": "Result: the citizen is not in the target group “{groups}”.",
        "in_none_many": "Result: the citizen is in none of the target groups.",
        "group": "Target group: {title}: {status}",
        "met": "met",
        "not_met": "not met",
        "unknown": "could not be evaluated",
        "error": "Error: {text}",
        "legal": "Legal basis: {text}",
        "all": "All of these conditions must be met:",
        "any": "At least one of these conditions must be met:",
        "not": "This condition must not be met:",
        "facts": "Facts: {text}",
        "reading": "Reading: {text}",
        "source": "Tender text: “{text}”",
        "changed": "Changed from {base}: {what}",
        "kind_parameter": "the parameter", "kind_rule": "the rule", "kind_fact": "the fact",
        "kind_criterion": "the criterion", "kind_price_model": "the price model",
        "records": "{n} records",
        "record": "1 record",
        "none": "none",
        "open": "ongoing",
    },
    "sv": {
        "heading": "Beslut enligt {title}",
        "policy": "Regelverk: {id} (innehåll {hash}). Beslutsdatum: {date}.",
        "in_one": "Bedömning: Den arbetssökande ingår i målgruppen ”{groups}”.",
        "in_many": "Bedömning: Den arbetssökande ingår i målgrupperna {groups}.",
        "in_none_one": "Bedömning: Den arbetssökande ingår inte i målgruppen ”{groups}”.",
        "in_none_many": "Bedömning: Den arbetssökande ingår inte i någon av målgrupperna.",
        "group": "Målgrupp: {title}: {status}",
        "met": "uppfyllt",
        "not_met": "inte uppfyllt",
        "unknown": "kunde inte bedömas",
        "error": "Fel: {text}",
        "legal": "Rättslig grund: {text}",
        "all": "Alla dessa villkor måste vara uppfyllda:",
        "any": "Minst ett av dessa villkor måste vara uppfyllt:",
        "not": "Detta villkor får inte vara uppfyllt:",
        "facts": "Uppgifter: {text}",
        "reading": "Tolkning: {text}",
        "source": "Upphandlingsdokumentet: ”{text}”",
        "changed": "Ändrat jämfört med {base}: {what}",
        "kind_parameter": "parametern", "kind_rule": "regeln", "kind_fact": "uppgiften",
        "kind_criterion": "kriteriet", "kind_price_model": "prismodellen",
        "records": "{n} poster",
        "record": "1 post",
        "none": "inga",
        "open": "pågående",
    },
}


def format_value(value: Any, t: Type | None, lang: str, policy: Program,
                 unit: Unit | None = None) -> str:
    """A value as a caseworker would write it; a length or duration in ``unit``, the
    unit the policy writes its limit in (see ``runtime.units``)."""
    texts = TEXTS[lang]
    language: Any = lang
    if isinstance(value, bool) or t == BOOL:
        return fmt.format_bool(bool(value), language)
    if isinstance(value, Money):
        return fmt.format_money(value, language, policy.rounding)
    if isinstance(value, date):
        return texts["open"] if value == OPEN_END else fmt.format_date(value, language)
    if isinstance(value, SpanLength):
        return fmt.format_span_length(value, language, unit or "months", policy.month_end)
    if isinstance(value, Duration):
        return fmt.format_duration(value, language, unit)
    if isinstance(value, Period):
        return fmt.format_period(value, language)
    if t == HOURS and isinstance(value, (int, Decimal)):
        return fmt.format_hours(value, language)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return fmt.format_decimal(value, language)
    if isinstance(value, list):
        elem = t.elem if isinstance(t, ListType) else None
        if isinstance(elem, RecordType) or (value and isinstance(value[0], dict)):
            if not value:
                return texts["none"]
            return texts["record"] if len(value) == 1 else texts["records"].format(n=len(value))
        if not value:
            return texts["none"]
        return ", ".join(format_value(v, elem, lang, policy) for v in value)
    if isinstance(value, (set, frozenset)):
        elem = t.elem if isinstance(t, SetType) else None
        return ", ".join(format_value(v, elem, lang, policy) for v in sorted(value, key=show))
    return show(value)


def changed_lines(overrides: tuple[tuple[str, str, str, str], ...], lang: str) -> list[str]:
    """One line per base policy: what of it this part depends on and the policy changed."""
    texts = TEXTS[lang]
    by_base: dict[str, list[str]] = {}
    for kind, name, base, at in overrides:
        by_base.setdefault(base, []).append(f"{texts['kind_' + kind]} `{name}` ({at})")
    return [texts["changed"].format(base=base, what="; ".join(items))
            for base, items in by_base.items()]


#: Value types whose text is kept per policy, language and name (hashable, and equal
#: values of them are written alike: not Decimal, where 1.0 == 1.00).
_CACHED = frozenset((bool, int, str, date))
_CACHE_SIZE = 20_000


class _Text:
    """What the explanations of a policy in one language share: every line that does not
    depend on the citizen, the label and type of every name a reason shows, and the text of
    values seen before (of the types in ``_CACHED``)."""

    def __init__(self, policy: Program, lang: str) -> None:
        texts = TEXTS[lang]
        self.policy = policy
        self.lang = lang
        self.texts = texts
        self.heading = texts["heading"].format(title=policy.title)
        self.hash = policy.content_hash.split(":")[-1][:12]
        self.results: dict[tuple[str, ...], str] = {}
        graph = policy.graph
        #: per target group: its id, its heading lines (met, not met), and its tree as
        #: static lines and criteria (id, indent)
        self.groups: list[tuple[str, dict[bool, list[str]], list[str | tuple[str, str]]]] = []
        #: per criterion: the start of its first line, its legal basis, reading and
        #: changed-from lines (indented)
        self.criteria: dict[str, tuple[str, str | None, str | None, list[str]]] = {}
        for name, group in graph.target_groups.items():
            heads = {}
            for met in (True, False):
                status = texts["met"] if met else texts["not_met"]
                head = ["", texts["group"].format(title=group.spec.title, status=status)]
                if group.spec.legal_basis:
                    head.append(texts["legal"].format(text=group.spec.legal_basis))
                heads[met] = head
            items: list[str | tuple[str, str]] = []
            self._tree(group.tree(graph), items, "")
            self.groups.append((name, heads, items))
        self.labels: dict[str, tuple[str, Type | None, bool, Unit | None]] = {}
        #: the unit the policy writes each duration limit in (see ``runtime.units``)
        self.units = written_units(policy.checked)
        self.values: dict[tuple[Any, ...], str] = {}
        #: Lines of a criterion's legal basis and reading, by their text.
        self.lines: dict[tuple[str, str], str] = {}
        #: The lines of the criterion reasons written so far, by the reason's id.
        self.shared: dict[int, tuple[Reason, str, list[str]]] = {}
        #: The routing lines, by the decision's routing, supplier and package choice.
        self.routing: dict[tuple[Any, ...], list[str]] = {}

    def _tree(self, node: I.Expr, items: list[str | tuple[str, str]], indent: str) -> None:
        texts = self.texts
        if isinstance(node, I.NodeRef):
            items.append((node.name, indent))
            return
        assert isinstance(node, I.Criteria)
        if node.op == "not":
            items.append(indent + texts["not"])
            self._tree(node.items[0], items, indent + "  ")
            return
        items.append(indent + texts[node.op])
        for item in node.items:
            self._tree(item, items, indent + "  ")

    def label(self, name: str) -> tuple[str, Type | None, bool, Unit | None]:
        """The label and type of a name, whether its values are lists of records
        (written as their number), and the unit its lengths are written in."""
        found = self.labels.get(name)
        if found is None:
            t = self.policy.type_of_name(name)
            records = isinstance(t, ListType) and isinstance(t.elem, RecordType)
            found = self.labels[name] = (self.policy.label_of(name), t, records,
                                         self.units.get(name))
        return found

    def describe(self, values: tuple[tuple[str, Any], ...]) -> str:
        """``label: value; ...`` of the values a reason shows."""
        parts = []
        cache = self.values
        for name, value in values:
            label, t, records, unit = self.label(name)
            kind = type(value)
            key: tuple[Any, ...] | None
            if kind in _CACHED:
                key = (name, kind, value)
            elif kind is SpanLength:  # equal lengths may be written differently
                key = (name, kind, value.start, value.end)
            elif kind is list and records:
                key = (name, kind, len(value))
            else:
                key = None
            if key is None:
                text = format_value(value, t, self.lang, self.policy, unit)
            else:
                text = cache.get(key)  # type: ignore[assignment]
                if text is None:
                    if len(cache) >= _CACHE_SIZE:
                        cache.clear()
                    text = cache[key] = format_value(value, t, self.lang, self.policy, unit)
            parts.append(f"{label}: {text}")
        return "; ".join(parts)

    def line(self, kind: str, text: str) -> str:
        """A criterion's legal-basis or reading line (without its indent)."""
        found = self.lines.get((kind, text))
        if found is None:
            shown = " ".join(text.split()) if kind == "reading" else text
            found = self.lines[(kind, text)] = self.texts[kind].format(text=shown)
        return found

    def criterion(self, reason: Reason, indent: str, lines: list[str]) -> None:
        """A criterion's lines. A reason shared by many decisions (see
        :mod:`udbudsregler.runtime.reasons`) is written once: its lines are kept by the
        reason object (held with them, so its id is not reused)."""
        key = id(reason)
        found = self.shared.get(key)
        if found is not None and found[0] is reason and found[1] == indent:
            lines += found[2]
            return
        written: list[str] = []
        self._criterion(reason, indent, written)
        lines += written
        if len(self.shared) >= _CACHE_SIZE:
            self.shared.clear()
        self.shared[key] = (reason, indent, written)

    def _criterion(self, reason: Reason, indent: str, lines: list[str]) -> None:
        texts = self.texts
        status = (texts["unknown"] if reason.met is None
                  else texts["met"] if reason.met else texts["not_met"])
        lines.append(f"{indent}- {reason.title}: {status}")
        inner = indent + "  "
        if reason.met is None:
            lines.append(inner + texts["error"].format(text=dict(reason.values)["error"]))
            return
        if reason.legal_basis:
            lines.append(inner + self.line("legal", reason.legal_basis))
        values = self.describe(reason.values)
        if values:
            lines.append(inner + texts["facts"].format(text=values))
        if reason.reading:
            lines.append(inner + self.line("reading", reason.reading))
        if reason.overrides:
            lines += [inner + line for line in changed_lines(reason.overrides, self.lang)]

    def result(self, chosen_ids: tuple[str, ...]) -> str:
        found = self.results.get(chosen_ids)
        if found is not None:
            return found
        texts = self.texts
        groups = self.policy.graph.target_groups
        chosen = [groups[g].spec.title for g in chosen_ids]
        if len(chosen) == 1:
            line = texts["in_one"].format(groups=chosen[0])
        elif chosen:
            quote = "”{}”" if self.lang == "sv" else "«{}»"  # English too has «…» here
            line = texts["in_many"].format(groups=", ".join(quote.format(c) for c in chosen))
        elif len(groups) == 1:
            line = texts["in_none_one"].format(groups=next(iter(groups.values())).spec.title)
        else:
            line = texts["in_none_many"]
        if len(self.results) < _CACHE_SIZE:
            self.results[chosen_ids] = line
        return line


def _text(policy: Program, lang: str) -> _Text:
    plans: dict[str, _Text] | None = policy._explain_plans
    if plans is None:
        plans = policy._explain_plans = {}
    plan = plans.get(lang)
    if plan is None:
        plan = plans[lang] = _Text(policy, lang)
    return plan


def explain(decision: DecisionView, lang: str) -> str:
    if lang not in TEXTS:
        raise ValueError(f"no explanations in language {lang!r}; use one of "
                         f"{', '.join(LANGUAGES)}")
    policy = decision.policy
    plan = _text(policy, lang)
    texts = plan.texts
    reasons = {(r.kind, r.id): r for r in decision.reasons}
    language: Any = lang
    lines = [plan.heading,
             texts["policy"].format(id=policy.id, hash=plan.hash,
                                    date=fmt.format_date(decision.on, language)),
             "", plan.result(decision.target_groups)]
    for name, heads, items in plan.groups:
        lines += heads[bool(reasons[("target_group", name)].met)]
        for item in items:
            if isinstance(item, str):
                lines.append(item)
            else:
                ident, indent = item
                plan.criterion(reasons[("criterion", ident)], indent, lines)
    lines += _routing_lines(plan, decision, lang)
    return "\n".join(lines) + "\n"


def _routing_lines(plan: _Text, decision: DecisionView, lang: str) -> list[str]:
    """The routing lines: what they say depends on the routing, the supplier choice and
    the package choice alone (and the policy), so they are kept by those."""
    try:
        key = (decision.routing, decision.supplier_choice, decision.package_choice)
        found = plan.routing.get(key)
    except TypeError:  # a choice with details that do not hash
        return routing_text(decision, lang)
    if found is None:
        found = routing_text(decision, lang)
        if len(plan.routing) >= _CACHE_SIZE:
            plan.routing.clear()
        plan.routing[key] = found
    return found
