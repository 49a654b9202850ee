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


def _describe_values(reason: Reason, policy: Program, lang: str) -> str:
    units = written_units(policy.checked)
    parts = []
    for name, value in reason.values:
        label = policy.label_of(name)
        text = format_value(value, policy.type_of_name(name), lang, policy, units.get(name))
        parts.append(f"{label}: {text}")
    return "; ".join(parts)


def explain(decision: DecisionView, lang: str) -> str:
    if lang not in TEXTS:
        raise ValueError(f"no explanations in language {lang!r}; use one of "
                         f"{', '.join(LANGUAGES)}")
    policy = decision.policy
    texts = TEXTS[lang]
    reasons = {(r.kind, r.id): r for r in decision.reasons}
    language: Any = lang
    lines = [
        texts["heading"].format(title=policy.title),
        texts["policy"].format(id=policy.id, hash=policy.content_hash.split(":")[-1][:12],
                               date=fmt.format_date(decision.on, language)),
        "",
    ]
    groups = policy.graph.target_groups
    chosen = [groups[g].spec.title for g in decision.target_groups]
    if len(chosen) == 1:
        lines.append(texts["in_one"].format(groups=chosen[0]))
    elif chosen:
        quote = "”{}”" if lang == "sv" else "«{}»"  # English too has «…» here
        lines.append(texts["in_many"].format(groups=", ".join(quote.format(c) for c in chosen)))
    elif len(groups) == 1:
        lines.append(texts["in_none_one"].format(groups=next(iter(groups.values())).spec.title))
    else:
        lines.append(texts["in_none_many"])
    for name, group in groups.items():
        reason = reasons[("target_group", name)]
        lines.append("")
        status = texts["met"] if reason.met else texts["not_met"]
        lines.append(texts["group"].format(title=group.spec.title, status=status))
        if group.spec.legal_basis:
            lines.append(texts["legal"].format(text=group.spec.legal_basis))
        _tree(group.tree(policy.graph), reasons, policy, lang, lines, "")
    lines += routing_text(decision, lang)
    return "\n".join(lines) + "\n"


def _tree(node: I.Expr, reasons: dict[tuple[str, str], Reason], policy: Program, lang: str,
          lines: list[str], indent: str) -> None:
    texts = TEXTS[lang]
    if isinstance(node, I.NodeRef):
        reason = reasons[("criterion", node.name)]
        status = (texts["unknown"] if reason.met is None
                  else texts["met"] if reason.met else texts["not_met"])
        lines.append(f"{indent}- {reason.title}: {status}")
        inner = indent + "  "
        if reason.met is None:
            lines.append(inner + texts["error"].format(text=dict(reason.values)["error"]))
            return
        if reason.legal_basis:
            lines.append(inner + texts["legal"].format(text=reason.legal_basis))
        values = _describe_values(reason, policy, lang)
        if values:
            lines.append(inner + texts["facts"].format(text=values))
        if reason.reading:
            lines.append(inner + texts["reading"].format(text=" ".join(reason.reading.split())))
        lines += [inner + line for line in changed_lines(reason.overrides, lang)]
        return
    assert isinstance(node, I.Criteria)
    if node.op == "not":
        lines.append(indent + texts["not"])
        _tree(node.items[0], reasons, policy, lang, lines, indent + "  ")
        return
    lines.append(indent + texts[node.op])
    for item in node.items:
        _tree(item, reasons, policy, lang, lines, indent + "  ")
