"""``udbudsregler new POLICY-DIR``: a commented skeleton policy that checks and tests.

The skeleton has one of each part a tender needs, so an author can see the whole
shape before writing the real rules: facts, a parameter, a rule, one target group
with two criteria, one service area with one supplier, one course package, one
price model, the referral, an invariant, and a test file whose cases pass as
written. Titles are in Danish, as a Danish tender's would be; everything a real
tender must fill in is marked PLADSHOLDER.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["POLICY", "TESTS", "policy_id", "write_skeleton"]

POLICY = """\
# Politik for én udbudsrunde. Skrevet af `udbudsregler new`: ret alt, der er
# markeret PLADSHOLDER, og skriv udbuddets egne kriterier, områder, pakker og
# priser ind. Hvert afsnit er beskrevet i docs/policy-language.md.
#
# Kør `udbudsregler check {folder}` efter hver ændring, og
# `udbudsregler test {folder}` for at køre sagerne i tests/.

policy:
  id: {id}
  title: PLADSHOLDER – beskæftigelsesindsats for ledige over 30 år
  authority: PLADSHOLDER Kommune
  # Udbudsrundens første og sidste dag; en afgørelse uden for dem afvises.
  valid: {{from: 2025-01-01, to: 2028-12-31}}
  language: da
  currency: DKK
  # Beløb afrundes én gang pr. fakturalinje, til hele øre, halve op.
  rounding: {{unit: 0.01, mode: half_up}}
  # 31. januar + 1 måned = 28./29. februar.
  month_end: clamp

# Det, jobcentrets system oplyser om borgeren, med type.
facts:
  birth_date:
    type: date
    title: Fødselsdato
  benefits:
    type: history
    title: Forsørgelsesydelser
    description: Perioder med ydelse; `to` er tom, når ydelsen løber endnu.
    fields:
      kind:
        type: enum
        title: Ydelse
        values: [kontanthjaelp, sygedagpenge]

# Tal fra udbudsmaterialet: skrives ét sted, med titel og kilde.
parameters:
  min_age:
    title: Mindstealder
    value: 30
    source: "PLADSHOLDER: udbuddets ord om alderen"
  weekly_price:
    title: Ugepris
    value: 1500.00 DKK
    note: PLADSHOLDER. Beløbet fra kontrakten.

rules:
  age:
    title: Alder
    value: age(birth_date)

# Hvem udbuddet er for: kriterier med retsgrundlag og den valgte læsning.
target_groups:
  ledige_over_30:
    title: Ledige over 30 år på kontanthjælp
    legal_basis: PLADSHOLDER, f.eks. LAB § 2, nr. 3
    criteria:
      all:
        - id: over_30
          title: Over 30 år
          when: age >= min_age
          reading: >
            "Over 30 år" læses som "fyldt 30 år": en borger, der fylder 30 på
            afgørelsesdagen, er omfattet.
        - id: paa_kontanthjaelp
          title: Modtager kontanthjælp på afgørelsesdagen
          when: any(b in benefits where b.kind == kontanthjaelp and covers(b))

# Hvor borgeren går hen, og hvilke leverandører området har.
service_areas:
  indsats:
    title: Beskæftigelsesindsats for ledige over 30 år
    serves: [ledige_over_30]
    suppliers:
      - {{id: leverandoer_a, name: PLADSHOLDER Leverandør A, placeholder: true}}

# Hvad sagsbehandleren kan bestille.
course_packages:
  forloeb:
    title: Individuelt forløb med fokus på job
    areas: [indsats]
    goal: ordinary_job
    lab_chapter: 14
    price_model: ugepris

# Hvordan leverandøren betales.
price_models:
  ugepris:
    title: Fast ugepris
    weekly_price: weekly_price
    partial_weeks: pro_rata_days
    reading: >
      En uge, som forløbet kun dækker delvist, betales forholdsmæssigt pr.
      kalenderdag (ugepris × dage ÷ 7).

referral:
  max_duration: 1 year

# Det, der skal gælde for enhver borger; afprøves på mange genererede borgere.
invariants:
  - id: under_min_age_not_eligible
    title: En borger, der ikke er fyldt 30 år, er aldrig i målgruppen
    holds: not ledige_over_30 or age >= min_age
  - id: routed_when_eligible
    title: En borger i målgruppen går til præcis ét indsatsområde
    check: eligible_routed
"""

TESTS = """\
# Sager: eksempelborgere med det svar, politikken skal give. Standardborgeren
# opfylder alle kriterier; hver sag ændrer én ting.

defaults:
  on: 2025-03-03
  facts:
    birth_date: 1980-06-15
    benefits:
      - {kind: kontanthjaelp, from: 2024-01-01, to: null}

cases:
  - name: opfylder alle kriterier
    expect:
      eligible: true
      target_groups: [ledige_over_30]
      area: indsats
      supplier: leverandoer_a
      explanation: ["Over 30 år: opfyldt"]
  - name: fylder 30 på afgørelsesdagen
    facts: {birth_date: 1995-03-03}
    expect:
      eligible: true
      rules: {age: 30}
  - name: fylder 30 dagen efter afgørelsesdagen
    facts: {birth_date: 1995-03-04}
    expect:
      eligible: false
      criteria: {over_30: false}
  - name: kontanthjælpen sluttede dagen før
    facts:
      benefits: [{kind: kontanthjaelp, from: 2024-01-01, to: 2025-03-02}]
    expect:
      eligible: false
      criteria: {paa_kontanthjaelp: false}
  # 2 hele uger × 1.500,00 = 3.000,00
  - name: to hele uger betales med ugeprisen
    settle:
      referral: {id: R-1, start: 2025-03-03, package: forloeb, area: indsats,
                 supplier: leverandoer_a, stop: 2025-03-16}
      until: 2025-03-31
    expect:
      total: "3000.00"
      end: {cause: stopped, last_day: 2025-03-16}
"""


def policy_id(folder: Path) -> str:
    """A policy id from a folder name: lowercase letters, digits, `-`, `_` and `.`."""
    name = folder.resolve().name.lower()
    for letter, spelled in (("æ", "ae"), ("ø", "oe"), ("å", "aa")):
        name = name.replace(letter, spelled)
    ident = re.sub(r"[^a-z0-9._-]+", "-", name).strip("-._")
    return ident if ident and ident[0].isalpha() else f"politik-{ident}".rstrip("-")


def write_skeleton(folder: Path) -> list[Path]:
    """Write the skeleton into ``folder`` (which must not hold files yet); the files
    written, in order. Raises ``FileExistsError`` if the folder is not empty."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(folder)
    main = folder / "policy.yaml"
    tests = folder / "tests" / "eksempler.yaml"
    tests.parent.mkdir(parents=True, exist_ok=True)
    main.write_text(POLICY.format(id=policy_id(folder), folder=folder.as_posix()),
                    encoding="utf-8")
    tests.write_text(TESTS, encoding="utf-8")
    return [main, tests]
