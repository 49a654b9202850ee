"""A settlement as text, in Danish or English: the referral's end, each line, the bonus."""

from __future__ import annotations

from typing import Any

from udbudsregler.runtime.explain import changed_lines
from udbudsregler.runtime.settlement_records import BonusStatus, SettlementLine
from udbudsregler.runtime.views import SettlementView
from udbudsregler.values import wording as fmt
from udbudsregler.values.money import Money

__all__ = ["settlement_text"]

_T: dict[str, dict[str, str]] = {
    "da": {
        "heading": "Afregning for henvisning {id} efter {title}",
        "policy": "Politik: {id} (indhold {hash}). Opgjort for perioden {since} – {until}.",
        "referral": "Henvisning: start {start}; forløbspakke «{package}»; leverandør {supplier}.",
        "no_supplier": "ikke angivet",
        "end_max_duration": "Henvisningen sluttede {day}: den længste varighed er nået.",
        "end_aftercare_completed": "Henvisningen sluttede {day}: borgeren blev selvforsørgende, "
                                   "og efterværnet er afsluttet.",
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
    },
    "en": {
        "heading": "Settlement of referral {id} under {title}",
        "policy": "Policy: {id} (content {hash}). For the period {since} – {until}.",
        "referral": "Referral: start {start}; course package “{package}”; supplier {supplier}.",
        "no_supplier": "not given",
        "end_max_duration": "The referral ended on {day}: its longest duration was reached.",
        "end_aftercare_completed": "The referral ended on {day}: the citizen became "
                                   "self-supporting and aftercare is over.",
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
    },
}


def settlement_text(settlement: SettlementView, lang: str) -> str:
    if lang not in _T:
        raise ValueError(f"no explanations in language {lang!r}; use 'da' or 'en'")
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
    lines.append(t[f"end_{end.cause}"].format(day=day(shown)))
    if end.course_end is not None and end.course_end != end.last_day:
        lines.append(t["course_end"].format(day=day(end.course_end)))
    if end.aftercare is not None:
        lines.append(t["aftercare"].format(period=period(end.aftercare)))
    lines.append("")
    lines.append(t["lines"] if settlement.lines else t["no_lines"])
    for i, line in enumerate(settlement.lines, 1):
        lines.append(f"  {i}. {_line(line, t, money, period, domain)}")
    for bonus in settlement.bonuses:
        lines.append("")
        lines.append(t["bonus"].format(title=bonus.title, amount=money(bonus.amount),
                                       status=_status(bonus, t, day, period)))
    lines.append("")
    lines.append(t["total"].format(amount=money(settlement.total_money)))
    return "\n".join(lines) + "\n"


def _line(line: SettlementLine, t: dict[str, str], money: Any, period: Any, domain: Any) -> str:
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


def _status(bonus: BonusStatus, t: dict[str, str], day: Any, period: Any) -> str:
    window = period(bonus.window) if bonus.window is not None else ""
    if bonus.status == "earned":
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
