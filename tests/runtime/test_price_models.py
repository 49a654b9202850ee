"""The general price models: payments per day, week, month and once with each `partial`
rule, prices that depend on the citizen (also day by day), result payments with tiers,
windows and conditions, supplier selection with `only`, linked referrals, and
`extends:` changing one tier or one result payment.

Amounts are worked out by hand in the comments; the policy is
``tests/runtime/data/price_forms.yaml``.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import udbudsregler as ur
from udbudsregler.diagnostics import FactError
from udbudsregler.stages import run_stages

DATA = Path(__file__).parent / "data"
FACTS = {"birth_date": date(1980, 1, 1), "level": "high", "municipality": "north"}


@pytest.fixture(scope="module")
def policy() -> ur.Policy:
    return ur.load_policy(DATA / "price_forms.yaml")


def _settle(policy: ur.Policy, package: str, outcomes: list[dict[str, Any]] | None = None,
            until: date = date(2025, 12, 31), **referral: Any) -> ur.Settlement:
    ref = {"id": "R", "start": date(2025, 1, 1), "package": package, "area": "area",
           "supplier": "n1", "facts": dict(FACTS), **referral}
    return policy.settle(ref, outcomes or [], until=until)


def _lines(settlement: ur.Settlement) -> list[tuple[str, str, Decimal]]:
    return [(line.kind, line.reason, line.amount.amount) for line in settlement.lines]


def test_per_day_and_a_fee_once_when_the_condition_holds(policy: ur.Policy) -> None:
    s = _settle(policy, "days", stop=date(2025, 1, 10))
    # 10 days x 100.00, and the start fee for a citizen of the high level
    assert _lines(s) == [("payment", "start_fee", Decimal("500.00")),
                         ("payment", "daily", Decimal("1000.00"))]
    assert s.lines[0].period == ur.Period(date(2025, 1, 1), date(2025, 1, 1))
    low = _settle(policy, "days", stop=date(2025, 1, 10),
                  facts={**FACTS, "level": "low"})
    assert low.total == Decimal("1000.00")
    text = s.explain()
    assert "Day rate 1 January 2025 – 10 January 2025: 10 days × DKK 100.00 a day" in text
    assert "Start fee: DKK 500.00 (once, at the referral's start on 1 January 2025)" in text


def test_months_started_whole_and_pro_rata(policy: ur.Policy) -> None:
    stop = date(2025, 3, 20)
    # started: January, February and March at the price of each month's first day
    assert _settle(policy, "started_months", stop=stop).total == Decimal("9300.00")
    # whole: March is not whole
    assert _settle(policy, "whole_months", stop=stop).total == Decimal("6200.00")
    # pro rata: 3,100 + 3,100 + 14 days x 3,100 / 31 + 6 days x 6,200 / 31 (new price 15 March)
    pro_rata = _settle(policy, "pro_rata_months", stop=stop)
    assert pro_rata.total == Decimal("8800.00")
    assert [line.amount.amount for line in pro_rata.lines] == [
        Decimal("3100.00"), Decimal("3100.00"), Decimal("1400.00"), Decimal("1200.00")]
    assert "1 started month × DKK 3,100.00" in _settle(
        policy, "started_months", stop=date(2025, 1, 5)).explain()


def test_a_price_by_age_changes_on_the_birthday(policy: ur.Policy) -> None:
    s = _settle(policy, "by_age", stop=date(2025, 1, 20),
                facts={**FACTS, "birth_date": date(1975, 1, 10)})
    # 9 days x 100.00 before the 50th birthday, 11 days x 200.00 from it
    assert [(line.period.start, line.quantity, line.amount.amount) for line in s.lines] == [
        (date(2025, 1, 1), 9, Decimal("900.00")), (date(2025, 1, 10), 11, Decimal("2200.00"))]


def test_a_price_that_reads_facts_needs_them(policy: ur.Policy) -> None:
    with pytest.raises(FactError) as raised:
        _settle(policy, "days", facts=None)
    assert raised.value.problems[0].path == "referral.facts"
    assert raised.value.problems[0].code == "UDB601"


@pytest.mark.parametrize(("outcome", "start", "tier", "amount", "bonus"), [
    ("job", date(2025, 2, 15), "fast", "10000.00", "earned"),      # 1 month 14 days
    ("school", date(2025, 2, 15), "fast", "8000.00", "not_reached"),  # which result
    ("job", date(2025, 3, 1), "slow", "5000.00", "earned"),        # exactly 2 months
    ("job", date(2025, 2, 28), "fast", "10000.00", "earned"),      # a day less
])
def test_tiers_by_time_and_by_result(policy: ur.Policy, outcome: str, start: date, tier: str,
                                     amount: str, bonus: str) -> None:
    s = _settle(policy, "tiered", [{"kind": outcome, "from": start, "to": None}])
    statuses = {b.id: b for b in s.bonuses}
    assert statuses["result"].status == "earned"
    assert statuses["result"].tier == tier
    assert statuses["result"].result == outcome
    assert statuses["result"].amount.amount == Decimal(amount)
    assert statuses["high_level"].status == bonus
    assert s.end.cause == "outcome" and s.end.last_day == start - timedelta(days=1)


def test_a_condition_on_a_result_payment(policy: ur.Policy) -> None:
    s = _settle(policy, "tiered", [{"kind": "job", "from": date(2025, 2, 15), "to": None}],
                facts={**FACTS, "level": "low"})
    assert {b.id: b.status for b in s.bonuses}["high_level"] == "not_applicable"
    assert "Result payment “High level bonus”: does not apply to the citizen" in s.explain()


def test_a_window_of_a_duration_counts_from_the_first_linked_referral(
        policy: ur.Policy) -> None:
    previous = [{"from": date(2025, 1, 1), "to": date(2025, 2, 28)}]
    # the window is 4 months from 1 January: to 30 April
    inside = _settle(policy, "tiered", [{"kind": "job", "from": date(2025, 4, 20), "to": None}],
                     start=date(2025, 3, 1), previous=previous)
    result = {b.id: b for b in inside.bonuses}["result"]
    assert (result.status, result.tier) == ("earned", "slow")  # 3 months 19 days
    outside = _settle(policy, "tiered", [{"kind": "job", "from": date(2025, 5, 5), "to": None}],
                      start=date(2025, 3, 1), previous=previous)
    assert {b.id: b for b in outside.bonuses}["result"].status == "not_reached"
    # without the earlier referral, the same job is fast... and inside the window
    alone = _settle(policy, "tiered", [{"kind": "job", "from": date(2025, 4, 20), "to": None}],
                    start=date(2025, 3, 1))
    assert {b.id: b for b in alone.bonuses}["result"].tier == "fast"


@pytest.mark.parametrize("previous", [
    [{"from": date(2024, 12, 1), "to": date(2025, 1, 1)}],    # ends on the start
    [{"from": date(2024, 6, 1), "to": date(2024, 9, 30)},
     {"from": date(2024, 9, 1), "to": date(2024, 12, 31)}],   # overlap
    [{"from": date(2024, 6, 1), "to": None}],                 # still running
])
def test_earlier_referrals_must_end_before_and_not_overlap(
        policy: ur.Policy, previous: list[dict[str, Any]]) -> None:
    with pytest.raises(FactError) as raised:
        _settle(policy, "days", previous=previous)
    assert raised.value.problems[0].path.startswith("referral.previous")


@pytest.mark.parametrize(("referral", "path", "code", "text"), [
    ({"previous": 5}, "referral.previous", "UDB602", "expected a list"),
    ({"previous": [{"from": date(2024, 1, 1)}]}, "referral.previous[0]", "UDB602",
     'expected a period {"from": ..., "to": ...}, got a mapping'),
    ({"previous": [{"from": "2024-01-01", "to": "2024-02-01"},
                   {"from": "2024-03-01", "to": "x"}]},
     "referral.previous[1].to", "UDB602", "expected a date"),
    ({"previous": [{"from": "x", "to": "2024-02-01"}]}, "referral.previous[0].from", "UDB602",
     "expected a date"),
    ({"supplier_changes": [{"supplier": "n2", "from": "2025-02-01"},
                           {"supplier": "nobody", "from": "2025-03-01"}]},
     "referral.supplier_changes[1]", "UDB605", "`nobody` is not a supplier"),
    ({"supplier_changes": [{"supplier": ["n2"], "from": "2025-02-01"}]},
     "referral.supplier_changes[0]", "UDB602", "expected text"),
    ({"facts": [1]}, "referral.facts", "UDB602", "expected a mapping of the citizen's facts"),
])
def test_a_bad_earlier_referral_or_supplier_change_names_its_item(
        policy: ur.Policy, referral: dict[str, Any], path: str, code: str, text: str) -> None:
    with pytest.raises(FactError) as raised:
        _settle(policy, "days", **referral)
    problem = raised.value.problems[0]
    assert (problem.path, problem.code) == (path, code)
    assert text in problem.message


@pytest.mark.parametrize(("municipality", "sequence", "supplier"), [
    ("north", 1, "n1"), ("north", 2, "n2"), ("north", 3, "n1"),
    ("south", 1, "s1"), ("south", 2, "s1"),
])
def test_only_limits_the_rotation_to_the_allowed_suppliers(
        policy: ur.Policy, municipality: str, sequence: int, supplier: str) -> None:
    facts = {**FACTS, "municipality": municipality}
    decision = policy.decide(facts, on=date(2025, 3, 1), suppliers={"sequence": sequence})
    assert decision.supplier == supplier


def test_only_leaves_the_citizens_own_choice_alone(policy: ur.Policy) -> None:
    decision = policy.decide(FACTS, on=date(2025, 3, 1), order={"supplier": "s1"},
                             suppliers={"sequence": 1})
    assert decision.supplier == "s1"


def test_only_with_no_allowed_supplier(tmp_path: Path) -> None:
    text = (DATA / "price_forms.yaml").read_text(encoding="utf-8").replace(
        "only: supplier.municipality == municipality", "only: false")
    (tmp_path / "policy.yaml").write_text(text, encoding="utf-8")
    decision = ur.load_policy(tmp_path).decide(FACTS, on=date(2025, 3, 1),
                                               suppliers={"sequence": 1})
    assert decision.eligible and decision.area == "area" and decision.supplier is None
    assert "None of the area's suppliers may be chosen for the citizen." in decision.explain()


# -- extends: one tier, one result payment ---------------------------------------------

DERIVED = """\
extends: ../base
policy:
  id: derived
  title: Derived
"""


@pytest.fixture()
def folders(tmp_path: Path) -> tuple[Path, Path]:
    base = tmp_path / "base"
    base.mkdir()
    shutil.copy(DATA / "price_forms.yaml", base / "policy.yaml")
    derived = tmp_path / "derived"
    derived.mkdir()
    return base, derived


def _write(derived: Path, text: str) -> Path:
    """The derived policy: DERIVED and ``text`` (its overrides)."""
    (derived / "policy.yaml").write_text(DERIVED + text, encoding="utf-8")
    return derived


def _derive(derived: Path, text: str) -> ur.Policy:
    return ur.load_policy(_write(derived, text))


def _result(policy: ur.Policy, start: date) -> Any:
    s = _settle(policy, "tiered", [{"kind": "job", "from": start, "to": None}])
    return {b.id: b for b in s.bonuses}


def test_extends_changes_one_tier_and_keeps_the_others(folders: tuple[Path, Path]) -> None:
    base, derived = folders
    policy = _derive(derived, """\
price_models:
  tiered:
    results:
      result:
        tiers:
          fast: {amount: 12000.00 DKK}
""")
    tiers = {t.id: t for t in policy.graph.price_models["tiered"].results[0].tiers}
    assert list(tiers) == ["fast", "slow"]
    assert tiers["fast"].title == "Fast" and tiers["fast"].within is not None  # inherited
    fast = _result(policy, date(2025, 2, 15))
    assert (fast["result"].tier, fast["result"].amount.amount) == ("fast", Decimal("12000.00"))
    slow = _result(policy, date(2025, 3, 10))
    assert (slow["result"].tier, slow["result"].amount.amount) == ("slow", Decimal("5000.00"))
    # the rest of the result and the other result payment are the base's
    assert fast["high_level"].amount.amount == Decimal("1000.00")
    assert _result(ur.load_policy(base), date(2025, 2, 15))["result"].amount.amount == \
        Decimal("10000.00")


def test_extends_changes_one_key_of_a_tier(folders: tuple[Path, Path]) -> None:
    _base, derived = folders
    policy = _derive(derived, """\
price_models:
  tiered:
    results:
      result:
        tiers:
          fast: {within: 1 month}
""")
    found = _result(policy, date(2025, 2, 15))["result"]  # 1 month 14 days: no longer fast
    assert (found.tier, found.amount.amount) == ("slow", Decimal("5000.00"))


def test_extends_removes_a_result_payment_with_null(folders: tuple[Path, Path]) -> None:
    _base, derived = folders
    policy = _derive(derived, """\
price_models:
  tiered:
    results:
      high_level: null
""")
    assert [r.id for r in policy.graph.price_models["tiered"].results] == ["result"]


def test_extends_removing_what_the_base_does_not_have(folders: tuple[Path, Path]) -> None:
    _base, derived = folders
    _write(derived, """\
price_models:
  tiered:
    results:
      result:
        tiers:
          fsat: null
""")
    state = run_stages(derived)
    errors = [(d.code, d.message, d.hint, d.span.line if d.span else 0)
              for d in state.bag.sorted() if d.is_error]
    assert errors == [("UDB115", "the base policy has no tier `fsat` to remove",
                       "did you mean `fast`?", 10)]


def test_extends_a_new_tier_after_the_open_one_can_never_apply(
        folders: tuple[Path, Path]) -> None:
    _base, derived = folders
    _write(derived, """\
price_models:
  tiered:
    results:
      result:
        tiers:
          very_slow: {within: 6 months, amount: 1000.00 DKK}
""")
    state = run_stages(derived)
    codes = [d.code for d in state.bag.sorted() if d.is_error]
    assert codes == ["UDB434"]


@pytest.mark.parametrize(("total", "warned"), [
    ("13 weeks", True), ("5 months", True),   # surely shorter than 26 weeks
    ("6 months", False),                      # 168 to 186 days: maybe not shorter
    ("26 weeks", False), ("1 year", False),
])
def test_a_total_duration_shorter_than_one_referral_is_a_warning(
        tmp_path: Path, total: str, warned: bool) -> None:
    folder = tmp_path / "aa"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "andre-aktoerer",
                    folder)
    main = folder / "policy.yaml"
    text = main.read_text(encoding="utf-8")
    assert text.count("  max_duration: 26 weeks\n") == 1
    main.write_text(text.replace("  max_duration: 26 weeks\n",
                                 f"  max_duration: 26 weeks\n  total_duration: {total}\n"),
                    encoding="utf-8")
    state = run_stages(folder)
    found = [d for d in state.bag.sorted() if d.code == "UDB435"]
    assert not [d for d in state.bag.sorted() if d.is_error]
    assert bool(found) == warned
    if warned:
        assert found[0].span is not None and found[0].span.line > 0
        assert f"({total}) is shorter than `referral.max_duration` (26 weeks)" \
            in found[0].message


# -- the settlement texts of the new constructs, in Danish and English --------------------

ROOT = Path(__file__).resolve().parents[2]


def _milestones() -> ur.Settlement:
    policy = ur.load_policy(ROOT / "examples" / "andre-aktoerer")
    return policy.settle(
        {"id": "AA-1", "start": "2025-03-03", "package": "jobforloeb", "supplier": "aktoer_a",
         "facts": {"birth_date": "1980-06-15",
                   "benefits": [{"kind": "dagpenge", "from": "2024-11-01", "to": None}]}},
        [{"kind": "job", "from": "2025-05-12", "to": None}], until=date(2025, 12, 31))


def test_milestones_read_correctly_in_english() -> None:
    text = _milestones().explain("en")
    assert text.splitlines()[2:] == [
        "Referral: start 3 March 2025; course package “Jobrettet forløb med "
        "virksomhedskontakt”; supplier Anden aktør A.",
        "The referral ended on 11 May 2025, the day before ordinært job began (12 May 2025).",
        "",
        "Lines:",
        "  1. Grundbeløb 3 March 2025 – 11 May 2025: 10 started weeks × DKK 700.00 = "
        "DKK 7,000.00",
        "  2. Result payment “Milepæl 1: forløbet er startet (20 %)”: DKK 6,000.00 – earned "
        "at the referral's start on 3 March 2025",
        "  3. Result payment “Milepæl 2: borgeren er begyndt i job eller uddannelse”: "
        "DKK 12,000.00 – earned: ordinært job began on 12 May 2025",
        "  4. Result payment “Milepæl 3: jobbet har varet 6 måneder (40 %)”: DKK 12,000.00 – "
        "earned: ordinært job throughout 12 May 2025 – 11 November 2025",
        "",
        "Result payment “Milepæl 1: forløbet er startet (20 %)” (DKK 6,000.00): earned on "
        "3 March 2025",
        "",
        "Result payment “Milepæl 2: borgeren er begyndt i job eller uddannelse” "
        "(DKK 12,000.00): earned on 12 May 2025",
        "",
        "Result payment “Milepæl 3: jobbet har varet 6 måneder (40 %)” (DKK 12,000.00): "
        "earned for 12 May 2025 – 11 November 2025",
        "",
        "Result payment “Seniorbonus for et job, der varer, til en borger over 50 år”: does "
        "not apply to the citizen",
        "",
        "Total: DKK 37,000.00",
    ]


def test_milestones_read_correctly_in_danish() -> None:
    text = _milestones().explain("da")
    assert "Efterværn" not in text and "efterværn" not in text  # there is no aftercare
    for line in [
        "Henvisningen sluttede 11. maj 2025, dagen før ordinært job begyndte (12. maj 2025).",
        "  3. Resultatbetaling «Milepæl 2: borgeren er begyndt i job eller uddannelse»: "
        "12.000,00 kr. – optjent: ordinært job begyndte 12. maj 2025",
        "Resultatbetaling «Seniorbonus for et job, der varer, til en borger over 50 år»: "
        "gælder ikke for borgeren",
    ]:
        assert line in text.splitlines()


def test_a_tiered_result_reads_correctly_in_danish_and_english() -> None:
    policy = ur.load_policy(ROOT / "policies" / "rusta-och-matcha-2")
    facts = {"inskriven_som_arbetssokande": True, "bedomd_i_malgruppen": True,
             "behover_arbetsforberedande_insatser": False, "niva": "niva_b",
             "kommun": "lulea", "avstand": [{"leverantor": "lulea_1", "km": 4}]}
    s = policy.settle({"id": "A-1", "start": "2025-03-01", "package": "rusta_och_matcha",
                       "area": "lulea", "supplier": "lulea_1", "facts": facts},
                      [{"kind": "arbete", "from": "2025-06-01", "to": None}],
                      until=date(2025, 12, 31))
    en, da = s.explain("en"), s.explain("da")
    assert ("The referral ended on 31 May 2025, the day before arbete began (1 June 2025)."
            in en)
    assert "(tier “Resultat inom 6 månader”)" in en
    assert "Grundersättning 1 May 2025 – 31 May 2025: 31 days × SEK 1,500.00 a month ÷ 31" in en
    assert "Henvisningen sluttede 31. maj 2025, dagen før arbete begyndte (1. juni 2025)." in da
    assert "(trin «Resultat inom 6 månader»)" in da
    assert "24.000,00 SEK" in da
    for text in (en, da):
        assert "ftercare" not in text and "fterværn" not in text


@pytest.mark.parametrize(("folder", "name", "reads"), [
    (DATA / "price_forms.yaml", "price_models.tiered.results.result.tiers.fast.amount",
     "result"),
    (DATA / "price_forms.yaml", "price_models.tiered.results.result.amount", "time_to_result"),
    (DATA / "price_forms.yaml", "service_areas.area.only", "supplier"),
    (Path(__file__).parents[2] / "examples" / "slagelse-laesning-b",
     "outcomes.selvforsoergende", "reported"),
])
def test_a_value_that_reads_a_name_only_its_place_gives(folder: Path, name: str,
                                                        reads: str) -> None:
    """`result`, `time_to_result`, `supplier`, `day` and `reported` have values in a
    settlement or a supplier selection only: asking a decision for a value that reads one
    is UDB708, located at the name, never a KeyError."""
    policy = ur.load_policy(folder, cache=False)
    facts = FACTS if folder.suffix else {
        "birth_date": date(1975, 6, 15), "visitation": "aktivitetsparat",
        "subject_to_225_rule": True, "offers": [],
        "benefits": [{"kind": "kontanthjaelp", "from": date(2016, 3, 1), "to": None}]}
    on = date(2025, 3, 3) if folder.suffix else date(2019, 2, 1)
    decision = policy.decide(facts, on=on)
    for ask in (lambda: decision.value(name), lambda: policy.evaluate(name, facts, on=on)):
        with pytest.raises(ur.EvaluationError) as caught:
            ask()
        error = caught.value
        assert error.code == "UDB708"
        assert f"`{reads}` has a value only in" in error.message
        assert error.span is not None and error.hint is not None
        problem = error.to_dict()["problems"][0]
        assert problem["code"] == "UDB708" and problem["line"] > 0
