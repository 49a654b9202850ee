"""A settlement as text, in Danish, English or Swedish: the referral's end, each line, the
bonus."""

from __future__ import annotations

from typing import Any

from udbudsregler.ir.graph import Result
from udbudsregler.runtime.explain import changed_lines
from udbudsregler.runtime.settlement_records import BonusStatus, SettlementLine
from udbudsregler.runtime.views import SettlementView
from udbudsregler.values import wording as fmt
from udbudsregler.values.money import Money
from udbudsregler.values.wording import LANGUAGES

__all__ = ["settlement_text"]

_T: dict[str, dict[str, str]] = {
    "da": {
        "heading": "Afregning for henvisning {id} efter {title}",
        "policy": "Politik: {id} (indhold {hash}). Opgjort for perioden {since} – {until}.",
        "referral": "Henvisning: start {start}; forløbspakke «{package}»; leverandør {supplier}.",
        "no_supplier": "ikke angivet",
        "end_max_duration": "Henvisningen sluttede {day}: den længste varighed er nået.",
        "end_aftercare_completed": "Henvisningen sluttede {day}: {outcome} begyndte {began}, "
                                   "og efterværnet er afsluttet.",
        "end_outcome": "Henvisningen sluttede {day}, dagen før {outcome} begyndte ({began}).",
        "end_outcome_recorded": "Henvisningen sluttede {day}, da forløbet blev afsluttet; "
                                "{outcome} begyndte {began}.",
        "outcome_unrecorded": "{outcome} begyndte {began}; forløbets afslutning er ikke "
                              "registreret, så forløbet fortsætter.",
        "end_stopped": "Henvisningen sluttede {day}: jobcentret afsluttede den.",
        "end_ongoing": "Henvisningen løber stadig; den kan højst vare til {day}.",
        "course_end": "Forløbet sluttede {day}.",
        "aftercare": "Efterværn: {period}.",
        "lines": "Linjer:",
        "no_lines": "Ingen linjer i perioden.",
        "pro_rata_days": "Ugepris {period}: {n} dage × {price} pr. uge ÷ 7 = {amount} "
                         "(delvise uger afregnes forholdsmæssigt pr. kalenderdag)",
        "started_weeks": "Ugepris {period}: {n} påbegyndte uger × {price} = {amount}",
        "started_weeks_1": "Ugepris {period}: 1 påbegyndt uge × {price} = {amount}",
        "whole_weeks": "Ugepris {period}: {n} hele uger × {price} = {amount} "
                       "(kun hele uger afregnes)",
        "whole_weeks_1": "Ugepris {period}: 1 hel uge × {price} = {amount} "
                         "(kun hele uger afregnes)",
        "capped": " – beskåret af loftet",
        "cap_max_amount": "Loftet for ugebetalinger ({cap}) er nået; der betales ikke mere "
                          "ugepris.",
        "cap_max_duration": "Ugepris betales højst for perioden {period}.",
        "bonus_line": "Bonus «{title}»: {amount} – optjent: {outcome} i hele perioden {period}",
        "bonus": "Bonus «{title}» ({amount}): {status}",
        "earned": "optjent for perioden {window}",
        "earned_before": "optjent for perioden {window} (faktureret tidligere)",
        "pending": "afventer; udfaldet skal holde i hele perioden {window}",
        "course_ongoing": "afventer; forløbet er ikke afsluttet",
        "not_immediate": "ikke optjent: udfaldet skulle begynde {first}, umiddelbart efter "
                         "forløbet{started}",
        "started": ", men begyndte først {day}",
        "too_short": "ikke optjent: udfaldet holdt kun til {last} og brød {broke}; det skulle "
                     "holde til {end}",
        "total": "I alt: {amount}",
        "to_supplier": " – til {supplier}",
        "per_day": "{title} {period}: {n} dage × {price} pr. dag = {amount}",
        "per_day_1": "{title} {period}: 1 dag × {price} pr. dag = {amount}",
        "per_week_pro_rata_days": "{title} {period}: {n} dage × {price} pr. uge ÷ 7 = {amount}",
        "per_week_started": "{title} {period}: {n} påbegyndte uger × {price} = {amount}",
        "per_week_started_1": "{title} {period}: 1 påbegyndt uge × {price} = {amount}",
        "per_week_whole": "{title} {period}: {n} hele uger × {price} = {amount}",
        "per_week_whole_1": "{title} {period}: 1 hel uge × {price} = {amount}",
        "per_month_pro_rata_days": "{title} {period}: {n} dage × {price} pr. måned ÷ {days} "
                                   "= {amount}",
        "per_month_started": "{title} {period}: {n} påbegyndte måneder × {price} = {amount}",
        "per_month_started_1": "{title} {period}: 1 påbegyndt måned × {price} = {amount}",
        "per_month_whole": "{title} {period}: {n} hele måneder × {price} = {amount}",
        "per_month_whole_1": "{title} {period}: 1 hel måned × {price} = {amount}",
        "per_once": "{title}: {amount} (engangsbeløb ved henvisningens start {day})",
        "cap_max_amount_all": "Loftet for de løbende betalinger ({cap}) er nået; der betales "
                              "ikke mere.",
        "cap_max_duration_all": "De løbende betalinger betales højst for perioden {period}.",
        "result_line": "Resultatbetaling «{title}»: {amount} – optjent: {outcome} i hele "
                       "perioden {period}{tier}",
        "result_line_start": "Resultatbetaling «{title}»: {amount} – optjent ved henvisningens "
                             "start {day}",
        "result_line_began": "Resultatbetaling «{title}»: {amount} – optjent: {outcome} "
                             "begyndte {day}{tier}",
        "earned_on": "optjent {day}",
        "earned_on_before": "optjent {day} (faktureret tidligere)",
        "result": "Resultatbetaling «{title}» ({amount}): {status}",
        "tier": " (trin «{tier}»)",
        "pending_start": "afventer; et af udfaldene {outcomes} kan begynde til og med {end}",
        "not_reached": "ikke optjent: hverken {outcomes} begyndte senest {end}",
        "not_reached_1": "ikke optjent: {outcomes} begyndte ikke senest {end}",
        "not_applicable": "gælder ikke for borgeren",
        "result_not_applicable": "Resultatbetaling «{title}»: gælder ikke for borgeren",
        "or": " eller ",
        "nor": " eller ",
    },
    "en": {
        "heading": "Settlement of referral {id} under {title}",
        "policy": "Policy: {id} (content {hash}). For the period {since} – {until}.",
        "referral": "Referral: start {start}; course package “{package}”; supplier {supplier}.",
        "no_supplier": "not given",
        "end_max_duration": "The referral ended on {day}: its longest duration was reached.",
        "end_aftercare_completed": "The referral ended on {day}: {outcome} began on {began} "
                                   "and aftercare is over.",
        "end_outcome": "The referral ended on {day}, the day before {outcome} began ({began}).",
        "end_outcome_recorded": "The referral ended on {day}, when the course was recorded as "
                                "ended; {outcome} began on {began}.",
        "outcome_unrecorded": "{outcome} began on {began}; the end of the course is not "
                              "recorded, so the course goes on.",
        "end_stopped": "The referral ended on {day}: the job centre ended it.",
        "end_ongoing": "The referral is still running; it can last until {day} at most.",
        "course_end": "The course ended on {day}.",
        "aftercare": "Aftercare: {period}.",
        "lines": "Lines:",
        "no_lines": "No lines in the period.",
        "pro_rata_days": "Weekly price {period}: {n} days × {price} a week ÷ 7 = {amount} "
                         "(partial weeks are paid pro rata by calendar day)",
        "started_weeks": "Weekly price {period}: {n} started weeks × {price} = {amount}",
        "started_weeks_1": "Weekly price {period}: 1 started week × {price} = {amount}",
        "whole_weeks": "Weekly price {period}: {n} whole weeks × {price} = {amount} "
                       "(only whole weeks are paid)",
        "whole_weeks_1": "Weekly price {period}: 1 whole week × {price} = {amount} "
                         "(only whole weeks are paid)",
        "capped": " – cut by the cap",
        "cap_max_amount": "The cap on weekly payments ({cap}) is reached; no more weekly price "
                          "is paid.",
        "cap_max_duration": "The weekly price is paid for {period} at most.",
        "bonus_line": "Bonus “{title}”: {amount} – earned: {outcome} throughout {period}",
        "bonus": "Bonus “{title}” ({amount}): {status}",
        "earned": "earned for {window}",
        "earned_before": "earned for {window} (invoiced before)",
        "pending": "pending; the outcome must hold throughout {window}",
        "course_ongoing": "pending; the course has not ended",
        "not_immediate": "not earned: the outcome had to start on {first}, right after the "
                         "course{started}",
        "started": ", but started only on {day}",
        "too_short": "not earned: the outcome held only until {last} and broke on {broke}; it "
                     "had to hold until {end}",
        "total": "Total: {amount}",
        "to_supplier": " – to {supplier}",
        "per_day": "{title} {period}: {n} days × {price} a day = {amount}",
        "per_day_1": "{title} {period}: 1 day × {price} a day = {amount}",
        "per_week_pro_rata_days": "{title} {period}: {n} days × {price} a week ÷ 7 = {amount}",
        "per_week_started": "{title} {period}: {n} started weeks × {price} = {amount}",
        "per_week_started_1": "{title} {period}: 1 started week × {price} = {amount}",
        "per_week_whole": "{title} {period}: {n} whole weeks × {price} = {amount}",
        "per_week_whole_1": "{title} {period}: 1 whole week × {price} = {amount}",
        "per_month_pro_rata_days": "{title} {period}: {n} days × {price} a month ÷ {days} "
                                   "= {amount}",
        "per_month_started": "{title} {period}: {n} started months × {price} = {amount}",
        "per_month_started_1": "{title} {period}: 1 started month × {price} = {amount}",
        "per_month_whole": "{title} {period}: {n} whole months × {price} = {amount}",
        "per_month_whole_1": "{title} {period}: 1 whole month × {price} = {amount}",
        "per_once": "{title}: {amount} (once, at the referral's start on {day})",
        "cap_max_amount_all": "The cap on the running payments ({cap}) is reached; nothing more "
                              "is paid.",
        "cap_max_duration_all": "The running payments are paid for {period} at most.",
        "result_line": "Result payment “{title}”: {amount} – earned: {outcome} throughout "
                       "{period}{tier}",
        "result_line_start": "Result payment “{title}”: {amount} – earned at the referral's "
                             "start on {day}",
        "result_line_began": "Result payment “{title}”: {amount} – earned: {outcome} began on "
                             "{day}{tier}",
        "earned_on": "earned on {day}",
        "earned_on_before": "earned on {day} (invoiced before)",
        "result": "Result payment “{title}” ({amount}): {status}",
        "tier": " (tier “{tier}”)",
        "pending_start": "pending; one of the outcomes {outcomes} may start until {end}",
        "not_reached": "not earned: neither {outcomes} began by {end}",
        "not_reached_1": "not earned: {outcomes} did not begin by {end}",
        "not_applicable": "does not apply to the citizen",
        "result_not_applicable": "Result payment “{title}”: does not apply to the citizen",
        "or": " or ",
        "nor": " nor ",
    },
    "sv": {
        "heading": "Avräkning för anvisning {id} enligt {title}",
        "policy": "Regelverk: {id} (innehåll {hash}). Avräknat för perioden {since} – {until}.",
        "referral": "Anvisning: start {start}; insatspaket ”{package}”; leverantör {supplier}.",
        "no_supplier": "inte angiven",
        "end_max_duration": "Anvisningen upphörde den {day}: den längsta varaktigheten har "
                            "nåtts.",
        "end_aftercare_completed": "Anvisningen upphörde den {day}: {outcome} började den "
                                   "{began}, och efterstödet är avslutat.",
        "end_outcome": "Anvisningen upphörde den {day}, dagen innan {outcome} började "
                       "({began}).",
        "end_outcome_recorded": "Anvisningen upphörde den {day}, när insatsen registrerades "
                                "som avslutad; {outcome} började den {began}.",
        "outcome_unrecorded": "{outcome} började den {began}; insatsens avslutning är inte "
                              "registrerad, så insatsen fortsätter.",
        "end_stopped": "Anvisningen upphörde den {day}: myndigheten avslutade den.",
        "end_ongoing": "Anvisningen pågår fortfarande; den kan som längst pågå till och med "
                       "{day}.",
        "course_end": "Insatsen upphörde den {day}.",
        "aftercare": "Efterstöd: {period}.",
        "lines": "Rader:",
        "no_lines": "Inga rader under perioden.",
        "pro_rata_days": "Veckopris {period}: {n} dagar × {price} per vecka ÷ 7 = {amount} "
                         "(delar av veckor avräknas proportionellt per kalenderdag)",
        "started_weeks": "Veckopris {period}: {n} påbörjade veckor × {price} = {amount}",
        "started_weeks_1": "Veckopris {period}: 1 påbörjad vecka × {price} = {amount}",
        "whole_weeks": "Veckopris {period}: {n} hela veckor × {price} = {amount} "
                       "(endast hela veckor avräknas)",
        "whole_weeks_1": "Veckopris {period}: 1 hel vecka × {price} = {amount} "
                         "(endast hela veckor avräknas)",
        "capped": " – begränsat av taket",
        "cap_max_amount": "Taket för veckoersättningar ({cap}) är nått; inget mer veckopris "
                          "betalas.",
        "cap_max_duration": "Veckopris betalas som längst för perioden {period}.",
        "bonus_line": "Bonus ”{title}”: {amount} – intjänad: {outcome} under hela perioden "
                      "{period}",
        "bonus": "Bonus ”{title}” ({amount}): {status}",
        "earned": "intjänad för perioden {window}",
        "earned_before": "intjänad för perioden {window} (fakturerad tidigare)",
        "pending": "avvaktar; utfallet måste bestå under hela perioden {window}",
        "course_ongoing": "avvaktar; insatsen är inte avslutad",
        "not_immediate": "inte intjänad: utfallet skulle börja den {first}, direkt efter "
                         "insatsen{started}",
        "started": ", men började först den {day}",
        "too_short": "inte intjänad: utfallet varade bara till och med {last} och bröts den "
                     "{broke}; det skulle ha varat till och med {end}",
        "total": "Totalt: {amount}",
        "to_supplier": " – till {supplier}",
        "per_day": "{title} {period}: {n} dagar × {price} per dag = {amount}",
        "per_day_1": "{title} {period}: 1 dag × {price} per dag = {amount}",
        "per_week_pro_rata_days": "{title} {period}: {n} dagar × {price} per vecka ÷ 7 "
                                  "= {amount}",
        "per_week_started": "{title} {period}: {n} påbörjade veckor × {price} = {amount}",
        "per_week_started_1": "{title} {period}: 1 påbörjad vecka × {price} = {amount}",
        "per_week_whole": "{title} {period}: {n} hela veckor × {price} = {amount}",
        "per_week_whole_1": "{title} {period}: 1 hel vecka × {price} = {amount}",
        "per_month_pro_rata_days": "{title} {period}: {n} dagar × {price} per månad ÷ {days} "
                                   "= {amount}",
        "per_month_started": "{title} {period}: {n} påbörjade månader × {price} = {amount}",
        "per_month_started_1": "{title} {period}: 1 påbörjad månad × {price} = {amount}",
        "per_month_whole": "{title} {period}: {n} hela månader × {price} = {amount}",
        "per_month_whole_1": "{title} {period}: 1 hel månad × {price} = {amount}",
        "per_once": "{title}: {amount} (engångsbelopp vid anvisningens start den {day})",
        "cap_max_amount_all": "Taket för de löpande ersättningarna ({cap}) är nått; inget mer "
                              "betalas.",
        "cap_max_duration_all": "De löpande ersättningarna betalas som längst för perioden "
                                "{period}.",
        "result_line": "Resultatersättning ”{title}”: {amount} – intjänad: {outcome} under "
                       "hela perioden {period}{tier}",
        "result_line_start": "Resultatersättning ”{title}”: {amount} – intjänad vid "
                             "anvisningens start den {day}",
        "result_line_began": "Resultatersättning ”{title}”: {amount} – intjänad: {outcome} "
                             "började den {day}{tier}",
        "earned_on": "intjänad den {day}",
        "earned_on_before": "intjänad den {day} (fakturerad tidigare)",
        "result": "Resultatersättning ”{title}” ({amount}): {status}",
        "tier": " (steg ”{tier}”)",
        "pending_start": "avvaktar; ett av utfallen {outcomes} kan börja till och med {end}",
        "not_reached": "inte intjänad: varken {outcomes} började senast den {end}",
        "not_reached_1": "inte intjänad: {outcomes} började inte senast den {end}",
        "not_applicable": "gäller inte den arbetssökande",
        "result_not_applicable": "Resultatersättning ”{title}”: gäller inte den arbetssökande",
        "or": " eller ",
        "nor": " eller ",
    },
}


def settlement_text(settlement: SettlementView, lang: str) -> str:
    if lang not in _T:
        raise ValueError(f"no explanations in language {lang!r}; use one of "
                         f"{', '.join(LANGUAGES)}")
    t = _T[lang]
    language: Any = lang
    policy = settlement.policy
    rounding = policy.rounding

    def day(d: Any) -> str:
        return fmt.format_date(d, language)

    def money(m: Money) -> str:
        return fmt.format_money(m, language, rounding)

    def period(p: Any) -> str:
        return fmt.format_period(p, language)

    ref = settlement.referral
    domain = policy.graph
    package = domain.packages[ref.package].spec.title
    supplier = ref.supplier or t["no_supplier"]
    if ref.supplier and ref.area and ref.area in domain.areas:
        names = {s.id: s.name for s in domain.areas[ref.area].spec.suppliers}
        supplier = names.get(supplier, supplier)
    lines = [
        t["heading"].format(id=ref.id, title=policy.title),
        t["policy"].format(id=policy.id, hash=policy.content_hash.split(":")[-1][:12],
                           since=day(settlement.since), until=day(settlement.until)),
        t["referral"].format(start=day(ref.start), package=package, supplier=supplier),
    ]
    model_entry = domain.price_models[settlement.price_model]
    lines += changed_lines(policy.overrides_for(f"price_models.{settlement.price_model}",
                                                "price_model", model_entry.path), lang)
    end = settlement.end
    shown = end.last_day if end.last_day is not None else end.latest_last_day
    outcome = (domain.outcomes[end.outcome].spec.title.lower()
               if end.outcome is not None and end.outcome in domain.outcomes else "")
    cause: str = end.cause
    if (cause == "outcome" and end.outcome_began is not None and end.last_day is not None
            and end.outcome_began <= end.last_day):
        cause = "outcome_recorded"  # the course ran to its recorded end (`as_recorded`)
    began = day(end.outcome_began) if end.outcome_began is not None else ""
    lines.append(t[f"end_{cause}"].format(day=day(shown), outcome=outcome, began=began))
    if (end.outcome is not None and end.aftercare is None and end.cause in ("ongoing",
            "max_duration") and end.outcome_began is not None):
        text = t["outcome_unrecorded"].format(outcome=outcome, began=began)
        lines.append(text[0].upper() + text[1:])
    if end.course_end is not None and end.course_end != end.last_day:
        lines.append(t["course_end"].format(day=day(end.course_end)))
    if end.aftercare is not None:
        lines.append(t["aftercare"].format(period=period(end.aftercare)))
    lines.append("")
    lines.append(t["lines"] if settlement.lines else t["no_lines"])
    legacy = all(p.legacy for p in model_entry.payments)
    for i, line in enumerate(settlement.lines, 1):
        text = _line(line, t, money, period, day, domain, legacy)
        if line.supplier is not None:
            text += t["to_supplier"].format(supplier=_supplier_name(domain, line.supplier))
        lines.append(f"  {i}. {text}")
    results = {r.id: r for r in model_entry.results}
    for bonus in settlement.bonuses:
        lines.append("")
        result = results.get(bonus.id)
        key = "bonus" if result is None or result.legacy else "result"
        if key == "result" and bonus.status == "not_applicable":
            lines.append(t["result_not_applicable"].format(title=bonus.title))
            continue
        lines.append(t[key].format(title=bonus.title, amount=money(bonus.amount),
                                   status=_status(bonus, t, day, period, result, domain)))
    lines.append("")
    lines.append(t["total"].format(amount=money(settlement.total_money)))
    return "\n".join(lines) + "\n"


def _supplier_name(domain: Any, supplier: str) -> str:
    for area in domain.areas.values():
        for s in area.suppliers:
            if s.id == supplier:
                return str(s.name)
    return supplier


def _line(line: SettlementLine, t: dict[str, str], money: Any, period: Any, day: Any,
          domain: Any, legacy: bool) -> str:
    details = dict(line.details)
    if line.kind == "payment":
        per, partial = details.get("per", "once"), details.get("partial", "")
        key = "per_once" if per == "once" else "per_day" if per == "day" else (
            f"per_{per}_{partial}")
        if line.quantity == 1 and f"{key}_1" in t:
            key = f"{key}_1"
        text = t[key].format(title=details.get("title", line.reason), period=period(
            line.period) if line.period else "", n=line.quantity, price=money(line.unit_price),
            amount=money(line.amount), days=details.get("month_days", ""),
            day=day(line.period.start) if line.period else "")
        return text + (t["capped"] if line.capped else "")
    if line.kind == "result":
        title = details.get("title", line.reason)
        assert line.period is not None
        if "result" not in details:
            return t["result_line_start"].format(title=title, amount=money(line.amount),
                                                 day=day(line.period.start))
        kind = details["result"]
        outcome = (domain.outcomes[kind].spec.title.lower() if kind in domain.outcomes
                   else kind)
        tier = t["tier"].format(tier=_tier_title(domain, details["tier"], line.reason)) \
            if "tier" in details else ""
        if line.period.start == line.period.end:  # the result is its outcome's start
            return t["result_line_began"].format(title=title, amount=money(line.amount),
                                                 outcome=outcome, day=day(line.period.start),
                                                 tier=tier)
        return t["result_line"].format(title=title, amount=money(line.amount), outcome=outcome,
                                       period=period(line.period), tier=tier)
    if line.kind == "cap" and not legacy:
        return t[f"cap_{line.reason}_all"].format(
            cap=money(details["cap"]) if "cap" in details else "", period=period(line.period))
    if line.kind == "weekly":
        key = f"{line.reason}_1" if line.quantity == 1 and line.unit == "weeks" else line.reason
        text = t[key].format(period=period(line.period), n=line.quantity,
                                     price=money(line.unit_price), amount=money(line.amount))
        return text + (t["capped"] if line.capped else "")
    if line.kind == "cap":
        details = dict(line.details)
        return t[f"cap_{line.reason}"].format(cap=money(details["cap"]) if "cap" in details
                                              else "", period=period(line.period))
    title = dict(line.details).get("title", line.reason)
    outcome = line.reason
    for model in domain.price_models.values():
        for bonus in model.spec.bonuses:
            if bonus.id == line.reason:
                outcome = domain.outcomes[bonus.outcome].spec.title.lower()
    return t["bonus_line"].format(title=title, amount=money(line.amount), outcome=outcome,
                                  period=period(line.period))


def _tier_title(domain: Any, tier: str, result: str) -> str:
    """A tier's title (its id when it has none)."""
    for model in domain.price_models.values():
        for candidate in model.results:
            if candidate.id == result:
                for t in candidate.tiers:
                    if t.id == tier and t.title:
                        return str(t.title)
    return tier


def _status(bonus: BonusStatus, t: dict[str, str], day: Any, period: Any,
            result: Result | None = None, domain: Any = None) -> str:
    window = period(bonus.window) if bonus.window is not None else ""
    if result is not None and not result.legacy:
        outcomes = t["or"].join(domain.outcomes[k].spec.title.lower()
                                for k in result.outcomes if k in domain.outcomes)
        if bonus.status == "not_reached":
            assert bonus.window is not None
            key = "not_reached_1" if len(result.outcomes) == 1 else "not_reached"
            neither = t["nor"].join(domain.outcomes[k].spec.title.lower()
                                    for k in result.outcomes if k in domain.outcomes)
            return t[key].format(outcomes=neither, end=day(bonus.window.end))
        if bonus.status == "not_applicable":
            return t["not_applicable"]
        if (bonus.status == "pending" and result.anchor == "outcome_start"
                and bonus.covered is None and bonus.window is not None):
            return t["pending_start"].format(outcomes=outcomes, end=day(bonus.window.end))
    if bonus.status == "earned":
        if bonus.window is not None and bonus.window.start == bonus.window.end:
            return t["earned_on" if bonus.invoiced else "earned_on_before"].format(
                day=day(bonus.window.start))
        return t["earned" if bonus.invoiced else "earned_before"].format(window=window)
    if bonus.status == "not_immediate":
        assert bonus.window is not None
        started = t["started"].format(day=day(bonus.started_on)) if bonus.started_on else ""
        return t["not_immediate"].format(first=day(bonus.window.start), started=started)
    if bonus.status == "too_short":
        assert bonus.covered is not None and bonus.window is not None
        return t["too_short"].format(last=day(bonus.covered.end), broke=day(bonus.broke_on),
                                     end=day(bonus.window.end))
    return t[bonus.status].format(window=window)
