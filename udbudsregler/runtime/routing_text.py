"""Explanation text for the routing parts of a decision: area, supplier, package."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from udbudsregler.runtime.program import Program
from udbudsregler.runtime.reason import Reason
from udbudsregler.runtime.views import DecisionView
from udbudsregler.values import wording as fmt

__all__ = ["GOAL_NAMES", "routing_text"]

GOAL_NAMES: dict[str, dict[str, str]] = {
    "da": {"ordinary_job": "ordinære løntimer (job)", "education": "uddannelse",
           "internship": "virksomhedspraktik", "wage_subsidy": "løntilskud",
           "clarification": "afklaring til fleksjob eller førtidspension"},
    "en": {"ordinary_job": "ordinary paid hours (job)", "education": "education",
           "internship": "company internship", "wage_subsidy": "wage subsidy",
           "clarification": "clarification for flex job or disability pension"},
    "sv": {"ordinary_job": "ordinarie avlönade arbetstimmar (arbete)", "education": "utbildning",
           "internship": "arbetspraktik", "wage_subsidy": "lönestöd",
           "clarification": "utredning inför flexjobb eller förtidspension"},
}

_T: dict[str, dict[str, str]] = {
    "da": {
        "area": "Indsatsområde: «{title}»",
        "area_none": "Indsatsområde: intet",
        "fits": "Borgeren passer til: {areas}.",
        "fits_none": "Borgeren passer ikke til noget indsatsområde. Områderne er for "
                     "målgrupperne {groups}, og borgeren er ikke i nogen af dem, eller områdets "
                     "egen betingelse er ikke opfyldt.",
        "priority": "Flere områder passer; efter prioriteringen ({order}) går borgeren til "
                    "«{title}».",
        "area_condition": "Områdets betingelse er ikke opfyldt for «{title}».",
        "reading": "Fortolkning: {text}",
        "supplier": "Leverandør: {name}",
        "placeholder": " (pladsholder: leverandøren er endnu ikke valgt)",
        "supplier_none": "Leverandør: ingen",
        "citizen_choice": "Valgt efter borgerens eget valg.",
        "first": "Området har denne leverandør.",
        "rotation": "Valgt efter rotation: henvisning nr. {sequence} på området går til "
                    "leverandør {position} af {of}.",
        "skipped": "Leverandøren, der stod for tur ({turn}), var fuld; den næste med ledig "
                   "plads er valgt.",
        "no_state": "Leverandøren vælges efter laveste belastning, men jobcentret har ikke "
                    "oplyst leverandørernes belastning og kapacitet; området er afgjort, "
                    "leverandøren vælges ved henvisningen.",
        "lowest_load": "Valgt efter laveste belastning: {load} af {capacity} pladser i brug.",
        "nearest": "Valgt som den nærmeste leverandør (afstand {distance}) blandt {candidates}, "
                   "der kan vælges.",
        "none_allowed": "Ingen af områdets leverandører kan vælges for borgeren.",
        "full": "Alle leverandører i området er fulde.",
        "no_sequence": "Rotation kræver henvisningens løbenummer, og det er ikke oplyst.",
        "rejected": "Borgerens valg «{choice}» kunne ikke følges: {why}.",
        "not_in_area": "leverandøren har ikke aftale på området",
        "choice_full": "leverandøren har ingen ledige pladser",
        "not_honoured": "politikken følger ikke borgerens valg på dette område",
        "package": "Forløbspakke: «{title}» (resultatmål: {goal}; LAB kapitel {chapter})",
        "package_plain": "Forløbspakke: «{title}» (resultatmål: {goal})",
        "goal_or": " eller ",
        "ordered": "Bestilt{hours}: godkendt.",
        "hours": " med {hours} om ugen (spænd {low}–{high})",
        "not_in_area_pkg": "Afvist: pakken tilbydes ikke på indsatsområdet.",
        "hours_missing": "Afvist: pakken har et timetalsspænd på {low}–{high}, og "
                         "bestillingen angiver ingen ugentlige timer.",
        "hours_outside_span": "Afvist: {hours} om ugen ligger uden for spændet {low}–{high}.",
        "hours_not_allowed": "Afvist: pakken har intet timetalsspænd, men bestillingen angiver "
                             "{hours} om ugen.",
    },
    "en": {
        "area": "Service area: “{title}”",
        "area_none": "Service area: none",
        "fits": "The citizen fits: {areas}.",
        "fits_none": "The citizen fits no service area. The areas are for the target groups "
                     "{groups}; the citizen is in none of them, or an area's own condition "
                     "does not hold.",
        "priority": "Several areas fit; by the priority ({order}) the citizen goes to “{title}”.",
        "area_condition": "The area's own condition does not hold for “{title}”.",
        "reading": "Reading: {text}",
        "supplier": "Supplier: {name}",
        "placeholder": " (placeholder: the supplier is not yet chosen)",
        "supplier_none": "Supplier: none",
        "citizen_choice": "Chosen by the citizen.",
        "first": "The area has this supplier.",
        "rotation": "Chosen by rotation: referral no. {sequence} in the area goes to supplier "
                    "{position} of {of}.",
        "skipped": "The supplier whose turn it was ({turn}) was full; the next with a free "
                   "place is chosen.",
        "no_state": "The supplier is chosen by lowest load, but the job centre gave no loads "
                    "and capacities; the area is decided, the supplier is chosen at referral.",
        "lowest_load": "Chosen by lowest load: {load} of {capacity} places in use.",
        "nearest": "Chosen as the nearest supplier (distance {distance}) of the {candidates} "
                   "that may be chosen.",
        "none_allowed": "None of the area's suppliers may be chosen for the citizen.",
        "full": "Every supplier of the area is full.",
        "no_sequence": "Rotation needs the referral's sequence number, and it was not given.",
        "rejected": "The citizen's choice “{choice}” could not be followed: {why}.",
        "not_in_area": "the supplier has no contract for the area",
        "choice_full": "the supplier has no free places",
        "not_honoured": "the policy does not follow the citizen's choice in this area",
        "package": "Course package: “{title}” (result goal: {goal}; LAB chapter {chapter})",
        "package_plain": "Course package: “{title}” (result goal: {goal})",
        "goal_or": " or ",
        "ordered": "Ordered{hours}: accepted.",
        "hours": " with {hours} a week (span {low}–{high})",
        "not_in_area_pkg": "Refused: the package is not offered in the service area.",
        "hours_missing": "Refused: the package has a span of {low}–{high}, and the order gives "
                         "no weekly hours.",
        "hours_outside_span": "Refused: {hours} a week is outside the span {low}–{high}.",
        "hours_not_allowed": "Refused: the package has no span of hours, but the order gives "
                             "{hours} a week.",
    },
    "sv": {
        "area": "Insatsområde: ”{title}”",
        "area_none": "Insatsområde: inget",
        "fits": "Den arbetssökande passar för: {areas}.",
        "fits_none": "Den arbetssökande passar inte för något insatsområde. Områdena är för "
                     "målgrupperna {groups}, och den arbetssökande ingår inte i någon av dem, "
                     "eller så är områdets eget villkor inte uppfyllt.",
        "priority": "Flera områden passar; enligt prioriteringen ({order}) går den arbetssökande "
                    "till ”{title}”.",
        "area_condition": "Områdets villkor är inte uppfyllt för ”{title}”.",
        "reading": "Tolkning: {text}",
        "supplier": "Leverantör: {name}",
        "placeholder": " (platshållare: leverantören är ännu inte vald)",
        "supplier_none": "Leverantör: ingen",
        "citizen_choice": "Vald efter den arbetssökandes eget val.",
        "first": "Området har denna leverantör.",
        "rotation": "Vald genom rotation: anvisning nr {sequence} inom området går till "
                    "leverantör {position} av {of}.",
        "skipped": "Leverantören som stod på tur ({turn}) var fullbelagd; nästa leverantör med "
                   "ledig plats har valts.",
        "no_state": "Leverantören väljs efter lägst beläggning, men myndigheten har inte "
                    "lämnat uppgifter om leverantörernas beläggning och kapacitet; området är "
                    "avgjort, leverantören väljs vid anvisningen.",
        "lowest_load": "Vald efter lägst beläggning: {load} av {capacity} platser används.",
        "nearest": "Vald som närmaste leverantör (avstånd {distance}) bland {candidates} som "
                   "kan väljas.",
        "none_allowed": "Ingen av områdets leverantörer kan väljas för den arbetssökande.",
        "full": "Alla leverantörer i området är fullbelagda.",
        "no_sequence": "Rotation kräver anvisningens löpnummer, och det har inte angetts.",
        "rejected": "Den arbetssökandes val ”{choice}” kunde inte följas: {why}.",
        "not_in_area": "leverantören har inget avtal för området",
        "choice_full": "leverantören har inga lediga platser",
        "not_honoured": "regelverket följer inte den arbetssökandes val inom detta område",
        "package": "Insatspaket: ”{title}” (resultatmål: {goal}; LAB kapitel {chapter})",
        "package_plain": "Insatspaket: ”{title}” (resultatmål: {goal})",
        "goal_or": " eller ",
        "ordered": "Beställt{hours}: godkänt.",
        "hours": " med {hours} per vecka (intervall {low}–{high})",
        "not_in_area_pkg": "Avvisat: paketet erbjuds inte inom insatsområdet.",
        "hours_missing": "Avvisat: paketet har ett timintervall på {low}–{high}, och "
                         "beställningen anger inga timmar per vecka.",
        "hours_outside_span": "Avvisat: {hours} per vecka ligger utanför intervallet "
                              "{low}–{high}.",
        "hours_not_allowed": "Avvisat: paketet har inget timintervall, men beställningen anger "
                             "{hours} per vecka.",
    },
}

#: Quotation marks around a title: «…» in Danish, “…” in English, ”…” in Swedish.
_QUOTES = {"da": ("«", "»"), "en": ("“", "”"), "sv": ("”", "”")}


def _quote(lang: str, text: str) -> str:
    start, end = _QUOTES[lang]
    return f"{start}{text}{end}"


def routing_text(decision: DecisionView, lang: str) -> list[str]:
    """The lines about area, supplier and package (empty if the policy has no areas)."""
    policy = decision.policy
    if not policy.areas or decision.routing is None:
        return []
    t = _T[lang]
    reasons = {(r.kind, r.id): r for r in decision.reasons}
    domain = policy.graph
    lines = [""]
    chosen = decision.area
    if chosen is None:
        lines.append(t["area_none"])
        groups = sorted({g for a in domain.areas.values() for g in a.spec.serves})
        group_titles = [_quote(lang, policy.graph.target_groups[g].spec.title)
                        for g in groups if g in policy.graph.target_groups]
        lines.append("  " + t["fits_none"].format(groups=", ".join(group_titles)))
        return lines
    lines.append(t["area"].format(title=domain.areas[chosen].spec.title))
    fitting = decision.areas
    titles = ", ".join(_quote(lang, domain.areas[a].spec.title) for a in fitting)
    lines.append("  " + t["fits"].format(areas=titles))
    if len(fitting) > 1:
        order = " > ".join(policy.priority)
        lines.append("  " + t["priority"].format(order=order,
                                                  title=domain.areas[chosen].spec.title))
        routing = reasons.get(("routing", chosen))
        if routing is not None and routing.reading:
            lines.append("  " + t["reading"].format(text=" ".join(routing.reading.split())))
    lines += _supplier_lines(decision, reasons, lang)
    lines += _package_lines(decision, reasons, policy, lang)
    return lines


def _supplier_lines(decision: DecisionView, reasons: dict[tuple[str, str], Reason],
                    lang: str) -> list[str]:
    t = _T[lang]
    choice = decision.supplier_choice
    if choice is None:
        return []
    reason = reasons.get(("supplier", choice.supplier or ""))
    lines = [""]
    if choice.supplier is None or reason is None:
        lines.append(t["supplier_none"])
    else:
        values = dict(reason.values)
        extra = t["placeholder"] if values.get("placeholder") else ""
        lines.append(t["supplier"].format(name=reason.title) + extra)
    if choice.rejected_choice is not None:
        why = {"not_in_area": t["not_in_area"], "full": t["choice_full"],
               "not_honoured": t["not_honoured"]}[choice.rejected_because or "not_in_area"]
        lines.append("  " + t["rejected"].format(choice=choice.rejected_choice, why=why))
    details: dict[str, Any] = dict(choice.details)
    if "distance" in details:  # a number as the language writes it (2,1 in Danish)
        language: Any = lang
        distance = details["distance"]
        details["distance"] = (fmt.format_decimal(distance, language)
                               if isinstance(distance, (int, Decimal)) else str(distance))
    lines.append("  " + t[choice.method].format(**details))
    if details.get("skipped_full"):
        names = {s.id: s.name for s in decision.policy.graph.areas[
            decision.routing.area].spec.suppliers} if decision.routing and decision.routing.area \
            else {}
        lines.append("  " + t["skipped"].format(turn=names.get(details["turn"],
                                                                 details["turn"])))
    return lines


def _package_lines(decision: DecisionView, reasons: dict[tuple[str, str], Reason], policy: Program,
                   lang: str) -> list[str]:
    t = _T[lang]
    choice = decision.package_choice
    if choice is None or choice.package is None:
        return []
    spec = policy.graph.packages[choice.package].spec
    language: Any = lang
    goals = [spec.goal] if isinstance(spec.goal, str) else list(spec.goal)
    goal = t["goal_or"].join(GOAL_NAMES[lang][g] for g in goals)
    lines: list[str] = ["", (t["package"] if spec.lab_chapter is not None
                             else t["package_plain"]).format(
        title=spec.title, goal=goal, chapter=spec.lab_chapter)]
    hours: str = (fmt.format_hours(choice.weekly_hours, language)
                  if choice.weekly_hours is not None else "")
    low = high = ""
    if choice.span is not None:
        low = fmt.format_decimal(choice.span[0], language)
        high = fmt.format_hours(choice.span[1], language)
    if choice.accepted:
        extra = t["hours"].format(hours=hours, low=low, high=high) if choice.span else ""
        lines.append("  " + t["ordered"].format(hours=extra))
    else:
        key = "not_in_area_pkg" if choice.status == "not_in_area" else choice.status
        lines.append("  " + t[key].format(hours=hours, low=low, high=high))
    reason = reasons.get(("package", choice.package))
    if reason is not None and reason.reading:
        lines.append("  " + t["reading"].format(text=" ".join(reason.reading.split())))
    return lines
