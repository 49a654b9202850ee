"""Coverage of a policy's test cases (udbudsregler.analysis.coverage, `test --coverage`)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import udbudsregler as ur
from udbudsregler.analysis.coverage import Coverage, measure
from udbudsregler.cli.main import main
from udbudsregler.testing.cases import load_cases

# A small policy with a bit of everything: a boolean and a value rule, an `any` among the
# criteria, two areas in priority (one choosing by rotation, one with a single supplier),
# a package with a span of weekly hours and one without, a price model with a dated price,
# a cap and a bonus, and a referral ended by an outcome.
POLICY = """\
policy:
  id: scratch
  title: Scratch
  authority: Test
  valid: {from: 2024-01-01, to: 2025-12-31}
  currency: DKK
  rounding: {unit: 0.01, mode: half_up}
  month_end: clamp

facts:
  birth_date: date
  challenged: bool
  injured: bool

parameters:
  min_age: 30
  hours_min: 5 hours
  hours_max: 20 hours
  bonus_amount: 1000.00 DKK
  cap: 7000.00 DKK
  price:
    values:
      - {from: 2024-01-01, value: 700.00 DKK}
      - {from: 2025-01-01, value: 1400.00 DKK}

rules:
  age: age(birth_date)
  adult: age >= min_age

target_groups:
  general:
    title: General
    criteria:
      all:
        - id: old_enough
          title: Old enough
          when: adult
        - any:
            - id: has_challenges
              title: Has challenges
              when: challenged
            - id: has_injury
              title: Has an injury
              when: injured
  special:
    title: Special
    criteria:
      all:
        - id: special_injury
          title: Injured
          when: injured

outcomes:
  job: {title: Job}

service_areas:
  special_area:
    title: Special area
    serves: [special]
    suppliers:
      - {id: s1, name: S1}
      - {id: s2, name: S2}
    selection: {strategy: rotation}
  general_area:
    title: General area
    serves: [general]
    suppliers:
      - {id: g1, name: G1}

routing:
  priority: [special_area, general_area]

course_packages:
  course:
    title: Course
    areas: [general_area, special_area]
    goal: ordinary_job
    lab_chapter: 14
    weekly_hours: {min: hours_min, max: hours_max}
    price_model: weekly
  mentor:
    title: Mentor
    areas: [general_area]
    goal: ordinary_job
    lab_chapter: 26
    price_model: weekly

price_models:
  weekly:
    title: Weekly
    weekly_price: price
    partial_weeks: pro_rata_days
    caps: {max_amount: cap}
    bonuses:
      - id: job_bonus
        title: Job bonus
        amount: bonus_amount
        outcome: job
        lasting: 1 month

referral:
  max_duration: 1 year
  ends_on: job
  aftercare: 1 month
"""

DEFAULTS = """\
defaults:
  on: 2024-06-01
  facts: {birth_date: 1980-01-01, challenged: true, injured: false}
  settle:
    referral: {id: R-1, start: 2024-03-04, package: course}
    outcomes: []
    until: 2024-03-20
cases:
"""

# An adult with challenges (general area), and a 25-year-old with challenges (no area).
TWO_CITIZENS = """\
  - name: adult with challenges
    facts: {}
    expect: {area: general_area}
  - name: too young
    facts: {birth_date: 1999-01-01}
    expect: {area: null}
"""


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "tests").mkdir()
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    return tmp_path


def _cases(folder: Path, text: str) -> None:
    (folder / "tests" / "cases.yaml").write_text(DEFAULTS + text, encoding="utf-8")


def _measure(folder: Path) -> Coverage:
    suite = load_cases(folder)
    assert not suite.diagnostics, [d.render() for d in suite.diagnostics]
    return measure(ur.load_policy(folder), suite.cases)


def at(text: str, after: str | None = None) -> str:
    """`policy.yaml:N` of the first line holding `text` (after the line holding `after`):
    found in the policy text, independently of the code under test."""
    lines = POLICY.splitlines()
    start = 0 if after is None else next(i for i, line in enumerate(lines) if after in line)
    number = next(i for i, line in enumerate(lines) if i >= start and text in line) + 1
    return f"policy.yaml:{number}"


def _uncovered(coverage: Coverage) -> set[str]:
    report = coverage.report()
    if report.rstrip().endswith("everything is covered"):
        return set()
    body = report.split("\nuncovered (", 1)[1].splitlines()[1:]
    return {line.strip() for line in body}


def test_the_report_lists_exactly_the_uncovered_items(folder: Path) -> None:
    _cases(folder, TWO_CITIZENS)
    coverage = _measure(folder)
    rotation = "supplier selection `rotation` (area special_area)"
    first = "supplier selection `first` (area general_area)"
    expected = {
        f"{at('id: has_challenges')}: criterion `has_challenges`: seen true only",
        f"{at('id: has_injury')}: criterion `has_injury`: seen false only",
        f"{at('id: special_injury')}: criterion `special_injury`: seen false only",
        # the adult: has_challenges alone makes the group; old_enough decides both ways
        f"{at('id: has_challenges')}: criterion `has_challenges`: never decided its group "
        "alone while false (a case where only it changes the result)",
        f"{at('id: has_injury')}: criterion `has_injury`: never decided its group alone "
        "while true",
        f"{at('id: has_injury')}: criterion `has_injury`: never decided its group alone "
        "while false (a case where only it changes the result)",
        f"{at('id: special_injury')}: criterion `special_injury`: never decided its group "
        "alone while true",
        f"{at('  special:')}: target group `special`: seen false only",
        f"{at('  special_area:')}: area `special_area`: never chosen",
        f"{at('  general_area:', 'service_areas')}: area `general_area`: never "
        "out-prioritised",
        f"{at('selection:')}: {rotation}: the citizen's own choice never followed",
        f"{at('selection:')}: {rotation}: the citizen's choice never refused as not a "
        "supplier of the area",
        f"{at('selection:')}: {rotation}: the citizen's choice never refused as full",
        f"{at('selection:')}: {rotation}: rotation never reached",
        f"{at('selection:')}: {rotation}: rotation never skipped a full supplier",
        f"{at('selection:')}: {rotation}: rotation without a sequence number never reached",
        f"{at('selection:')}: {rotation}: all suppliers full never reached",
        f"{at('  general_area:', 'service_areas')}: {first}: the citizen's own choice "
        "never followed",
        f"{at('  general_area:', 'service_areas')}: {first}: the citizen's choice never "
        "refused as not a supplier of the area",
        f"{at('  general_area:', 'service_areas')}: {first}: the citizen's choice never "
        "refused as full",
        f"{at('  general_area:', 'service_areas')}: {first}: all suppliers full never "
        "reached",
        # `course` is offered in every area: it cannot be ordered outside its areas
        *(f"{at('  course:')}: package `course`: status {s} never reached"
          for s in ("ordered (accepted)", "hours_missing", "hours_outside_span")),
        *(f"{at('  mentor:')}: package `mentor`: status {s} never reached"
          for s in ("ordered (accepted)", "hours_not_allowed", "not_in_area")),
        f"{at('  weekly:')}: price model `weekly`: never used in a settlement case",
        f"{at('  weekly:')}: price model `weekly`: a week paid in part (pro_rata_days) "
        "never reached",
        f"{at('  weekly:')}: price model `weekly`: a price change inside the invoice never "
        "reached",
        *(f"{at('referral:', 'lasting: 1 month')}: referral: end cause {c} never reached"
          for c in ("max_duration", "aftercare_completed", "stopped", "ongoing")),
        *(f"{at('- id: job_bonus')}: bonus `job_bonus` (price model weekly): status {s} "
          "never reached"
          for s in ("earned", "pending", "not_immediate", "too_short", "course_ongoing")),
        f"{at('caps:')}: cap `max_amount` (price model weekly): never reached",
    }
    assert _uncovered(coverage) == expected
    # what is covered is not listed: the rules, old_enough both ways, no area, ...
    assert coverage.decisions == 2 and coverage.settlements == 0
    totals = {label: (a, b) for _, label, a, b in coverage.totals()}
    assert totals["criteria both ways"] == (1, 4)
    assert totals["target groups both ways"] == (1, 2)
    assert totals["rules both ways"] == (1, 1)
    assert totals["other rules reached"] == (1, 1)
    assert totals["routing branches"] == (4, 6)
    assert "caps reached" in totals and "bonus statuses" in totals


def test_adding_a_case_flips_an_item_to_covered(folder: Path) -> None:
    _cases(folder, TWO_CITIZENS)
    before = _measure(folder)
    assert before.item("routing", "general_area").missing == ("out_prioritised",)
    assert before.item("routing", "special_area").missing == ("chosen",)
    assert before.item("criterion", "has_injury").missing == ("true",)

    # injured and adult: fits both areas; the special one comes first in the priority
    _cases(folder, TWO_CITIZENS + """\
  - name: injured adult goes to the special area
    facts: {challenged: false, injured: true}
    expect: {areas: [special_area, general_area], area: special_area}
""")
    after = _measure(folder)
    assert after.item("routing", "general_area").covered
    assert after.item("routing", "special_area").covered
    assert after.item("criterion", "has_injury").covered
    assert after.item("routing", "general_area").reached == {
        "chosen": 1, "out_prioritised": 1, "not_fitting": 1}
    assert "`general_area`: never out-prioritised" not in after.report()
    assert "`general_area`: never out-prioritised" in before.report()


def test_decisive_criteria_need_a_case_where_only_they_change_the_result(folder: Path) -> None:
    _cases(folder, TWO_CITIZENS + """\
  - name: neither challenges nor an injury
    facts: {challenged: false}
    expect: {area: null}
""")
    coverage = _measure(folder)
    # has_challenges is false for the young citizen too, but there old_enough fails as well
    assert coverage.item("decisive", "has_challenges").reached == {"true": 1, "false": 1}
    assert coverage.item("decisive", "has_injury").reached == {"false": 1}
    assert coverage.item("decisive", "old_enough").reached == {"true": 1, "false": 1}


def test_supplier_and_package_branches(folder: Path) -> None:
    _cases(folder, """\
  - name: injured, rotation number 4 gives the second supplier
    facts: {injured: true}
    suppliers: {sequence: 4}
    order: {package: course, weekly_hours: 21}
    expect: {supplier: s2, package: {status: hours_outside_span}}
  - name: the second supplier is full, so the first
    facts: {injured: true}
    suppliers: {sequence: 4, load: {s2: 4}, capacity: {s2: 4}}
    order: {package: mentor}
    expect: {supplier: s1, package: {status: not_in_area}}
  - name: own choice
    facts: {injured: true}
    order: {supplier: s1, package: course}
    expect: {supplier: s1, package: {status: hours_missing}}
  - name: own choice of a supplier of another area
    facts: {}
    order: {supplier: s2, package: mentor, weekly_hours: 5}
    expect: {supplier: g1, package: {status: hours_not_allowed}}
""")
    coverage = _measure(folder)
    assert coverage.item("selection", "rotation").reached == {
        "rotation": 1, "rotation_skipped_full": 1, "citizen_choice": 1}
    assert coverage.item("selection", "first").reached == {
        "refused_not_in_area": 1, "first": 1}
    assert coverage.item("package", "course").reached == {
        "hours_outside_span": 1, "hours_missing": 1}
    assert coverage.item("package", "mentor").reached == {
        "not_in_area": 1, "hours_not_allowed": 1}


def test_settlement_branches_are_recorded(folder: Path) -> None:
    # Price 700.00 a week, i.e. 100.00 a day, from 2024; the referral starts Monday 4 March.
    _cases(folder, """\
  - name: ongoing, 17 days (a week paid in part)
    settle: {}
    expect: {total: "1700.00"}
  - name: stopped after two whole weeks
    settle: {referral: {stop: 2024-03-17}, until: 2024-06-30}
    expect: {total: "1400.00"}
  - name: job from 1 April, bonus earned after a month
    settle:
      outcomes: [{kind: job, from: 2024-04-01, to: null}]
      until: 2024-12-31
    expect: {total: "3800.00"}
  - name: job for two weeks only
    settle:
      outcomes: [{kind: job, from: 2024-04-01, to: 2024-04-15}]
      until: 2024-06-30
    expect: {bonuses: {job_bonus: too_short}}
  - name: the cap of 7000.00 is reached after 70 days
    settle: {until: 2024-12-31}
    expect: {total: "7000.00"}
  - name: the price changes at new year
    settle: {referral: {start: 2024-12-02}, until: 2025-01-10}
    expect: {total: "5000.00"}
""")
    coverage = _measure(folder)
    assert coverage.settlements == 6
    assert coverage.item("price_model", "weekly").reached == {
        "used": 6, "partial_week": 3, "price_change": 1}
    assert coverage.item("referral", "referral").reached == {
        "ongoing": 3, "stopped": 1, "aftercare_completed": 2}
    assert coverage.item("bonus", "job_bonus").reached == {
        "course_ongoing": 3, "not_immediate": 1, "earned": 1, "too_short": 1}
    assert coverage.item("bonus", "weekly.job_bonus").name == "job_bonus"
    assert coverage.item("cap", "max_amount").reached == {"reached": 1}
    assert "end cause max_duration never reached" in coverage.report()
    assert "status pending never reached" in coverage.report()


def test_cases_expecting_an_error_count_for_nothing(folder: Path) -> None:
    _cases(folder, """\
  - name: an impossible date
    facts: {birth_date: 1980-02-30}
    expect: {error: {code: UDB603, path: birth_date}}
  - name: before the round
    on: 2023-06-01
    expect: {error: {code: UDB703}}
  - name: an unknown package
    settle: {referral: {package: kursus}}
    expect: {error: {code: UDB605, path: referral.package}}
  - name: a missing fact it did not expect
    facts: {injured: null}
    expect: {eligible: true}
  - name: adult with challenges
    facts: {}
    expect: {area: general_area}
""")
    coverage = _measure(folder)
    assert coverage.expecting_error == 3
    assert coverage.decisions == 1 and coverage.settlements == 0
    assert [(name, why.split(":")[0]) for _, name, why in coverage.not_measured] == [
        ("a missing fact it did not expect", "unexpected error")]
    assert coverage.not_measured[0][0].endswith("cases.yaml:18")
    assert coverage.item("routing", "general_area").reached == {"chosen": 1}
    report = coverage.report()
    assert "3 expecting an error, not counted" in report
    assert "not measured: " in report and "a missing fact it did not expect" in report


def test_only_branches_that_can_occur_count(folder: Path) -> None:
    _cases(folder, TWO_CITIZENS)
    coverage = _measure(folder)
    # the first area of the priority is chosen whenever it fits
    assert coverage.item("routing", "special_area").branches == ("chosen", "not_fitting")
    # only the strategies the areas use; a single supplier is simply the first
    assert {i.name for i in coverage.items if i.category == "selection"} == {
        "rotation", "first"}
    assert "lowest_load" not in coverage.item("selection", "rotation").branches
    # a package without a span cannot miss its hours
    assert "hours_missing" not in coverage.item("package", "mentor").branches

    # without bonuses, caps, dated prices and an ending outcome, none of them are items
    plain = (POLICY.replace("    caps: {max_amount: cap}\n", "")
             .split("    bonuses:\n")[0] + "\nreferral:\n  max_duration: 1 year\n")
    plain = plain.replace("""  price:
    values:
      - {from: 2024-01-01, value: 700.00 DKK}
      - {from: 2025-01-01, value: 1400.00 DKK}
""", "  price: 700.00 DKK\n").replace("  bonus_amount: 1000.00 DKK\n  cap: 7000.00 DKK\n", "")
    (folder / "policy.yaml").write_text(plain, encoding="utf-8")
    coverage = _measure(folder)
    categories = {i.category for i in coverage.items}
    assert "bonus" not in categories and "cap" not in categories
    assert coverage.item("price_model", "weekly").branches == ("used", "partial_week")
    assert coverage.item("referral", "referral").branches == (
        "max_duration", "stopped", "ongoing")
    assert "bonus statuses" not in coverage.report()


def test_to_dict_is_json(folder: Path) -> None:
    _cases(folder, TWO_CITIZENS)
    data = json.loads(json.dumps(_measure(folder).to_dict()))
    assert data["policy"] == "scratch"
    assert data["cases"]["decisions"] == 2
    item = next(i for i in data["items"] if i["name"] == "general_area"
                and i["category"] == "routing")
    assert item == {"category": "routing", "name": "general_area",
                    "at": at("  general_area:", "service_areas"),
                    "branches": {"chosen": 1, "out_prioritised": 0, "not_fitting": 1},
                    "missing": ["out_prioritised"]}
    assert {"category": "criterion", "label": "criteria both ways", "covered": 1,
            "total": 4} in data["totals"]


def test_the_cli_prints_the_report_and_keeps_the_exit_code(folder: Path,
                                                           tmp_path_factory: pytest.TempPathFactory
                                                           ) -> None:
    _cases(folder, TWO_CITIZENS)
    out = io.StringIO()
    assert main(["test", str(folder)], out=out) == 0
    assert "coverage of" not in out.getvalue()

    out = io.StringIO()
    target = tmp_path_factory.mktemp("json") / "coverage.json"
    assert main(["test", "--coverage", "--coverage-json", str(target), str(folder)],
                out=out) == 0  # items are uncovered, but coverage only informs
    text = out.getvalue()
    passed = text.index(f"{folder}: 2 of 2 cases passed (ok)")
    assert text.index("coverage of scratch (2 decision cases, 0 settlement cases)") > passed
    assert f"  {at('  special_area:')}: area `special_area`: never chosen\n" in text
    saved = json.loads(target.read_text(encoding="utf-8"))
    assert [p["folder"] for p in saved] == [str(folder)]
    assert saved[0]["cases"]["decisions"] == 2

    _cases(folder, TWO_CITIZENS.replace("{area: general_area}", "{area: special_area}"))
    out = io.StringIO()
    assert main(["test", "--coverage", str(folder)], out=out) == 1
    assert "coverage of scratch" in out.getvalue()


@pytest.mark.parametrize(("selection", "areas", "expected"), [
    # one area: a supplier of another area cannot be chosen
    ({"strategy": "first"}, 1, ("citizen_choice", "refused_full", "first", "full")),
    ({"strategy": "first"}, 2, ("citizen_choice", "refused_not_in_area", "refused_full",
                                "first", "full")),
    ({"strategy": "lowest_load", "citizen_choice": False}, 3,
     ("refused_not_honoured", "lowest_load", "no_state", "full")),
    ({"strategy": "rotation"}, 2, ("citizen_choice", "refused_not_in_area", "refused_full",
                                   "rotation", "rotation_skipped_full", "no_sequence", "full")),
])
def test_selection_branches_follow_the_strategy_and_the_areas(
        selection: dict[str, object], areas: int, expected: tuple[str, ...]) -> None:
    from udbudsregler.analysis.coverage import _selection_branches
    from udbudsregler.loader.tender import AreaSpec

    spec = AreaSpec.model_validate({
        "title": "Område", "serves": ["gruppe"], "selection": selection,
        "suppliers": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]})
    assert _selection_branches(spec, areas) == (selection["strategy"], expected)


@pytest.mark.parametrize(("values", "branch"), [
    # a change inside the round can be crossed
    ("{from: 2024-01-01, value: 700.00 DKK}\n      - {from: 2025-01-01, value: 1400.00 DKK}",
     True),
    # a change before the round starts, or after every referral of the round has ended
    # (the last starts 2025-12-31 and lasts at most 1 year), cannot (issue 10)
    ("{from: 2023-01-01, value: 700.00 DKK}\n      - {from: 2023-06-01, value: 1400.00 DKK}",
     False),
    ("{from: 2024-01-01, value: 700.00 DKK}\n      - {from: 2027-01-01, value: 1400.00 DKK}",
     False),
    # ... but a change in the year after the round still can
    ("{from: 2024-01-01, value: 700.00 DKK}\n      - {from: 2026-06-01, value: 1400.00 DKK}",
     True),
])
def test_price_changes_no_settlement_can_cross_are_not_branches(
        folder: Path, values: str, branch: bool) -> None:
    policy = folder / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    old = "{from: 2024-01-01, value: 700.00 DKK}\n      - {from: 2025-01-01, value: 1400.00 DKK}"
    assert old in text
    policy.write_text(text.replace(old, values), encoding="utf-8")
    item = measure(ur.load_policy(folder), []).item("price_model", "weekly")
    assert ("price_change" in item.branches) is branch


ROOT_FOLDER = Path(__file__).resolve().parents[2]


def test_the_general_forms_are_branches_to_cover() -> None:
    """Tiers, the outcome that made a result, a payment's condition, a month paid in part,
    the nearest supplier and `only` are branches; a result without `lasting` cannot be
    too short, and a package offered in every area cannot be ordered outside them."""
    rusta = ROOT_FOLDER / "policies" / "rusta-och-matcha-2"
    suite = load_cases(rusta)
    policy = ur.load_policy(rusta)
    full = measure(policy, suite.cases)
    assert _uncovered(full) == set(), "the third tender's cases cover every branch"
    result = full.item("bonus", "resultat")
    assert {"tier:snabbt", "tier:medelsnabbt", "tier:sent", "result:arbete",
            "result:studier"} <= set(result.branches)
    assert "partial_month" in full.item("price_model", "resultatbaserad").branches
    assert {"nearest", "none_allowed"} <= set(full.item("selection", "nearest").branches)
    assert "not_in_area" not in full.item("package", "rusta_och_matcha").branches
    # without the cases that reach them, the tier `sent` and studies are reported
    fewer = [c for c in suite.cases if "förlängning" not in c.name and "studier" not in c.name]
    partial = _uncovered(measure(policy, fewer))
    assert any(line.endswith("bonus `resultat` (price model resultatbaserad): never paid by "
                             "tier `sent`") for line in partial), partial
    assert any(line.endswith("never earned by the outcome `studier`") for line in partial)

    milestones = ROOT_FOLDER / "examples" / "andre-aktoerer"
    coverage = _measure(milestones)
    assert "too_short" not in coverage.item("bonus", "job_eller_uddannelse").branches
    model = coverage.item("price_model", "grundbeloeb_og_milepaele")
    assert "partial_week" in model.branches
