"""Swedish (``language: sv``), the third language of every text the library writes.

Every text table has the same keys and the same ``{placeholders}`` in Danish, English
and Swedish; every dictionary keyed by language in the package has every language; the
seed policies' decisions and settlements explained in Swedish keep nothing of the Danish
or English texts; and a Swedish policy in SEK loads, decides, settles and explains with
amounts in kronor.
"""

from __future__ import annotations

import ast
import json
import re
import string
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from policy_folders import POLICY_FOLDERS

import udbudsregler as ur
from udbudsregler.diagnostics import EvaluationError, FactError
from udbudsregler.pictures import graph as pictures
from udbudsregler.runtime import (
    explain,
    input_models,
    inputs,
    routing_text,
    schemas,
    settlement_text,
)
from udbudsregler.testing.cases import load_cases
from udbudsregler.values import wording
from udbudsregler.values.wording import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "udbudsregler"
SEK_POLICY = Path(__file__).parent / "data" / "rusta-sek.yaml"

#: The text tables of the library, each keyed by language, then by key.
TABLES: dict[str, dict[str, dict[str, str]]] = {
    "runtime.explain.TEXTS": explain.TEXTS,
    "runtime.routing_text._T": routing_text._T,
    "runtime.routing_text.GOAL_NAMES": routing_text.GOAL_NAMES,
    "runtime.settlement_text._T": settlement_text._T,
    "runtime.input_models._TEXTS": input_models._TEXTS,
    "runtime.inputs.TEXTS": inputs.TEXTS,
    "pictures.graph._COLUMNS": pictures._COLUMNS,
}
#: Tables with one text (or a tuple of texts) per language.
FLAT_TABLES: dict[str, dict[str, Any]] = {
    "runtime.schemas._FACTS_TITLE": schemas._FACTS_TITLE,
    "runtime.routing_text._QUOTES": routing_text._QUOTES,
    "pictures.graph._EXCLUSIVE": pictures._EXCLUSIVE,
    "values.wording._MONTHS": wording._MONTHS,
    "values.wording._MARKS": wording._MARKS,
    "values.wording._AND": wording._AND,
    "values.wording._FROM": wording._FROM,
    "values.wording._BOOL": wording._BOOL,
    "values.wording.LANGUAGE_NAMES": wording.LANGUAGE_NAMES,
    **{f"values.wording._UNITS[{unit}]": table for unit, table in wording._UNITS.items()},
}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def literal_parts(text: str) -> list[str]:
    return [part for part, _, _, _ in string.Formatter().parse(text) if part]


# -- the tables -----------------------------------------------------------------------


@pytest.mark.parametrize("name", [*TABLES, *FLAT_TABLES])
def test_every_table_has_exactly_the_languages(name: str) -> None:
    table = TABLES.get(name) or FLAT_TABLES[name]
    assert tuple(table) == LANGUAGES


@pytest.mark.parametrize("name", list(TABLES))
def test_every_language_has_the_same_keys_and_placeholders(name: str) -> None:
    table = TABLES[name]
    danish = table["da"]
    for lang in LANGUAGES:
        assert set(table[lang]) == set(danish), f"{name}[{lang}]"
        for key, text in table[lang].items():
            assert text.strip(), f"{name}[{lang}][{key}] is empty"
            assert placeholders(text) == placeholders(danish[key]), f"{name}[{lang}][{key}]"
            # A "{" not part of a placeholder would fail only when the text is used.
            text.format(**dict.fromkeys(placeholders(text), "x"))


def test_swedish_texts_are_not_copies() -> None:
    for name, table in TABLES.items():
        for key, text in table["sv"].items():
            if not placeholders(text) and len(text) > 12:
                assert text not in (table["da"][key], table["en"][key]), f"{name}[{key}]"


def _language_dicts() -> Iterator[tuple[str, int, list[str]]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                keys = [k.value for k in node.keys
                        if isinstance(k, ast.Constant) and isinstance(k.value, str)]
                if "da" in keys and "en" in keys:
                    yield str(path.relative_to(ROOT)), node.lineno, keys


def test_every_dictionary_keyed_by_language_has_every_language() -> None:
    found = list(_language_dicts())
    assert len(found) >= len(TABLES) + len(FLAT_TABLES)
    wrong = [f"{path}:{line}: {keys}" for path, line, keys in found
             if tuple(keys) != LANGUAGES]
    assert not wrong, (f"dictionaries keyed by language need exactly {', '.join(LANGUAGES)}: "
                       + "; ".join(wrong))


def test_an_unknown_language_lists_every_language() -> None:
    policy = ur.load_policy(ROOT / "policies" / "slagelse-2019")
    decision = policy.decide(_citizen(), on="2019-02-01")
    with pytest.raises(ValueError, match="use one of da, en, sv"):
        decision.explain("no")
    settlement = policy.settle({"id": "R", "start": "2019-02-01",
                                "package": "individuelt_forloeb"}, [], until="2019-03-01")
    with pytest.raises(ValueError, match="use one of da, en, sv"):
        settlement.explain("fr")


def _citizen() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "examples" / "data" / "citizen.json")
                                      .read_text(encoding="utf-8"))
    return data


# -- the seed policies in Swedish ------------------------------------------------------


_WORD = re.compile(r"[^\W\d_]{4,}")


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def _template_words(lang: str) -> set[str]:
    """The words of every text of ``lang`` outside its placeholders."""
    return {w for table in TABLES.values() for text in table[lang].values()
            for part in literal_parts(text) for w in _words(part)}


def _scalars(value: Any) -> Iterator[str]:
    """The texts of a policy document (its values, not its keys)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _scalars(item)
    elif isinstance(value, list):
        for item in value:
            yield from _scalars(item)
    elif value is not None:
        yield str(value)


def _texts(policy_dir: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Every decision and settlement of a policy's test cases, explained in each language."""
    policy = ur.load_policy(policy_dir)
    for case in load_cases(policy_dir).cases:
        spec = case.spec
        try:
            if spec.settle is not None:
                s = spec.settle
                assert s.referral is not None and s.until is not None
                result: Any = policy.settle(s.referral, s.outcomes or [], until=s.until,
                                            since=s.since)
            else:
                assert spec.on is not None
                result = policy.decide(spec.facts or {}, on=spec.on, order=spec.order,
                                       suppliers=spec.suppliers)
        except (FactError, EvaluationError):
            continue
        yield case.name, {lang: result.explain(lang) for lang in LANGUAGES}


_DANISH_DATE = re.compile(r"\b\d{1,2}\. (januar|februar|marts|april|maj|juni|juli|august|"
                          r"september|oktober|november|december)\b")
_ENGLISH_DATE = re.compile(r"\b\d{1,2} (January|February|March|April|May|June|July|August|"
                           r"September|October|November|December)\b")
_FOREIGN_MONEY = re.compile(r"\d kr\.|\b[A-Z]{3} -?\d|\d\.\d{3}")


def _own_texts(policy_dir: Path) -> str:
    """The texts of a policy's files, and of the policy it extends."""
    documents = [yaml.safe_load(p.read_text(encoding="utf-8"))
                 for p in sorted(policy_dir.glob("*.yaml"))]
    text = "\n".join(_scalars(documents))
    for document in documents:
        if isinstance(document, dict) and isinstance(document.get("extends"), str):
            text += "\n" + _own_texts((policy_dir / document["extends"]).resolve())
    return text


@pytest.mark.parametrize("policy_dir", [f for f in POLICY_FOLDERS
                                        if any((f / "tests").glob("*.yaml"))],
                         ids=lambda p: p.name)
def test_policies_in_swedish_keep_no_danish_or_english(policy_dir: Path) -> None:
    # What the policy itself writes (titles, readings, names) is in its own language.
    own = _own_texts(policy_dir)
    words = (_template_words("da") | _template_words("en")) - _template_words("sv")
    assert {"resultat", "result", "retsgrundlag", "afregning", "settlement", "supplier",
            "opfyldt", "total", "earned", "optjent"} <= words
    foreign = words - _words(own)
    assert len(foreign) > 200
    seen = 0
    for case, texts in _texts(policy_dir):
        seen += 1
        sv = texts["sv"]
        assert sv != texts["da"] and sv != texts["en"], case
        # One line of Swedish for each line of Danish and English: no text is missing.
        assert len(sv.splitlines()) == len(texts["da"].splitlines()) \
            == len(texts["en"].splitlines()), case
        left = sorted(_words(sv) & foreign)
        assert not left, f"{case}: {left}"
        for pattern in (_DANISH_DATE, _ENGLISH_DATE, _FOREIGN_MONEY):
            match = pattern.search(sv)
            assert match is None or match.group(0) in own, f"{case}: {match}"
        assert "«" not in sv and "“" not in sv, case
    assert seen >= 5


def test_seed_policies_in_swedish_show_swedish_values() -> None:
    slagelse = ur.load_policy(ROOT / "policies" / "slagelse-2019")
    text = slagelse.decide(_citizen(), on="2019-02-01").explain("sv")
    assert "Beslutsdatum: 1 februari 2019." in text
    assert "3 år, 11 månader och 1 dag" in text
    assert "Bedömning: Den arbetssökande ingår i målgruppen ”" in text
    settlement = slagelse.settle(
        {"id": "R", "start": "2019-02-01", "package": "individuelt_forloeb"},
        [{"kind": "selvforsoergende", "from": "2020-05-15", "to": None}], until="2020-09-30")
    text = settlement.explain("sv")
    # DKK keeps its code in Swedish; kr is the Swedish krona.
    assert "Totalt: 149 663,57 DKK" in text
    assert "Efterstöd: 15 maj 2020 – 14 september 2020." in text
    assert "Bonus ”Fuld selvforsørgelse i 4 sammenhængende måneder” (25 000,00 DKK): " \
           "intjänad för perioden 15 maj 2020 – 14 september 2020" in text


def test_several_target_groups_are_quoted_in_swedish() -> None:
    koebenhavn = ur.load_policy(ROOT / "policies" / "koebenhavn-2024")
    facts = {"birth_date": "1978-04-10",
             "benefits": [{"kind": "kontanthjaelp", "from": "2022-06-01", "to": None}],
             "assessment": {"social_and_health_challenges": True,
                            "acquired_brain_injury": True, "cognitive_difficulties": False,
                            "mental_health_challenges": False}}
    decision = koebenhavn.decide(facts, on="2024-03-01")
    assert len(decision.target_groups) == 2
    sv, da = decision.explain("sv"), decision.explain("da")
    assert "Bedömning: Den arbetssökande ingår i målgrupperna ”" in sv
    assert "”, ”" in sv and "«" not in sv
    assert "Resultat: Borgeren er i målgrupperne «" in da  # Danish is as it was


# -- a Swedish policy in SEK ------------------------------------------------------------

FACTS = {"birth_date": "1990-05-17", "inskriven": True, "ersattning": "12500.50",
         "prisniva": "a"}
ORDER = {"package": "rusta_och_matcha", "weekly_hours": "20", "supplier": "lev_b"}
REFERRAL = {"id": "A-1", "start": "2024-03-04", "package": "rusta_och_matcha",
            "area": "stockholm", "supplier": "lev_b", "facts": FACTS}
OUTCOMES = [{"kind": "arbete", "from": "2024-06-10", "to": None}]

EXPLANATION = """\
Beslut enligt Arbetsförmedlingen – Rusta och matcha (testregelverk)
Regelverk: rusta-sek (innehåll {hash}). Beslutsdatum: 1 mars 2024.

Bedömning: Den arbetssökande ingår i målgruppen ”Inskrivna arbetssökande som fyllt 18 år”.

Målgrupp: Inskrivna arbetssökande som fyllt 18 år: uppfyllt
Rättslig grund: Förordning (2000:628), 3 §
Alla dessa villkor måste vara uppfyllda:
  - Inskriven som arbetssökande: uppfyllt
    Uppgifter: Inskriven som arbetssökande: ja
  - Har fyllt 18 år: uppfyllt
    Uppgifter: Ålder: 33; Lägsta ålder: 18
    Tolkning: Den som fyller 18 år på beslutsdagen har fyllt 18 år.
  - Ersättningen är högst taket: uppfyllt
    Uppgifter: Ersättning per månad: 12 500,50 kr; Högsta ersättning per månad: 28 500,00 kr

Insatsområde: ”Leveransområde Stockholm”
  Den arbetssökande passar för: ”Leveransområde Stockholm”.

Leverantör: Leverantör B
  Vald efter den arbetssökandes eget val.

Insatspaket: ”Rusta och matcha” (resultatmål: ordinarie avlönade arbetstimmar (arbete) eller \
utbildning)
  Beställt med 20 timmar per vecka (intervall 5–40 timmar): godkänt.
"""

SETTLEMENT = """\
Avräkning för anvisning A-1 enligt Arbetsförmedlingen – Rusta och matcha (testregelverk)
Regelverk: rusta-sek (innehåll {hash}). Avräknat för perioden 4 mars 2024 – 30 september 2024.
Anvisning: start 4 mars 2024; insatspaket ”Rusta och matcha”; leverantör Leverantör B.
Anvisningen upphörde den 9 juni 2024, dagen innan arbete började (10 juni 2024).

Rader:
  1. Grundersättning 4 mars 2024 – 3 april 2024: 31 dagar × 4 850,50 kr per månad ÷ 31 = \
4 850,50 kr
  2. Grundersättning 4 april 2024 – 3 maj 2024: 30 dagar × 4 850,50 kr per månad ÷ 30 = \
4 850,50 kr
  3. Grundersättning 4 maj 2024 – 3 juni 2024: 31 dagar × 4 850,50 kr per månad ÷ 31 = \
4 850,50 kr
  4. Grundersättning 4 juni 2024 – 9 juni 2024: 6 dagar × 4 850,50 kr per månad ÷ 30 = 970,10 kr
  5. Resultatersättning ”Arbete eller studier”: 12 500,00 kr – intjänad: arbete under hela \
perioden 10 juni 2024 – 9 augusti 2024 (steg ”inom 6 månader”)

Resultatersättning ”Arbete eller studier” (12 500,00 kr): intjänad för perioden 10 juni 2024 – \
9 augusti 2024

Totalt: 28 021,60 kr
"""


@pytest.fixture(scope="module")
def sek() -> ur.Policy:
    return ur.load_policy(SEK_POLICY)


def _hash(policy: ur.Policy) -> str:
    return policy.content_hash.split(":")[-1][:12]


def test_a_swedish_policy_in_sek_loads(sek: ur.Policy) -> None:
    assert sek.language == "sv"
    assert sek.currency == "SEK"


def test_a_swedish_policy_in_sek_decides_and_explains(sek: ur.Policy) -> None:
    decision = sek.decide(FACTS, on=date(2024, 3, 1), order=ORDER)
    assert decision.eligible and decision.supplier == "lev_b"
    assert decision.explain() == EXPLANATION.format(hash=_hash(sek))
    assert decision.explain("sv") == decision.explain()
    # The same decision in Danish and English shows the kronor as SEK.
    assert "12.500,50 SEK" in decision.explain("da")
    assert "SEK 12,500.50" in decision.explain("en")


def test_a_swedish_policy_in_sek_settles_and_explains(sek: ur.Policy) -> None:
    settlement = sek.settle(REFERRAL, OUTCOMES, until=date(2024, 9, 30))
    assert settlement.total_money == ur.Money("28021.60", "SEK")
    assert settlement.to_dict()["total"] == {"amount": "28021.60", "currency": "SEK"}
    assert settlement.explain() == SETTLEMENT.format(hash=_hash(sek))


def test_a_swedish_policy_in_sek_explains_results_not_earned(sek: ur.Policy) -> None:
    none = sek.settle(REFERRAL, [], until=date(2025, 4, 30)).explain()
    assert "Anvisningen upphörde den 3 mars 2025: den längsta varaktigheten har nåtts." in none
    assert "(12 500,00 kr): inte intjänad: varken arbete eller studier började senast den " \
           "3 mars 2025" in none
    short = sek.settle(REFERRAL, [{"kind": "studier", "from": "2024-12-01", "to": "2024-12-20"}],
                       until=date(2025, 4, 30)).explain()
    assert "(8 000,00 kr): inte intjänad: utfallet varade bara till och med 20 december 2024 " \
           "och bröts den 21 december 2024; det skulle ha varat till och med 31 januari 2025" \
           in short
    assert "27 dagar × 4 850,50 kr per månad ÷ 30 = 4 365,45 kr" in short


def test_a_swedish_policy_in_sek_refuses_another_currency(sek: ur.Policy) -> None:
    facts = dict(FACTS, ersattning={"amount": "12500.50", "currency": "DKK"})
    with pytest.raises(FactError) as caught:
        sek.decide(facts, on=date(2024, 3, 1))
    assert caught.value.paths == ("ersattning",)
    same = sek.decide(dict(FACTS, ersattning={"amount": "12500.50", "currency": "SEK"}),
                      on=date(2024, 3, 1))
    assert same.eligible


def test_a_swedish_policy_describes_its_inputs_in_swedish(sek: ur.Policy) -> None:
    facts = sek.json_schema("facts")
    assert facts["title"] == "Uppgifter om den arbetssökande (rusta-sek)"
    assert facts["properties"]["ersattning"]["description"].startswith("Ett belopp i SEK")
    referral = sek.json_schema("referral")
    assert "Anvisning" in referral["title"]
    assert "Sant eller falskt" in str(facts)


def test_a_swedish_policy_draws_swedish_column_titles(sek: ur.Policy) -> None:
    text = pictures.mermaid(sek)
    assert "Insatsområden (prioritet)" in text and "Prismodeller" in text
