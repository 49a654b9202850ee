"""The rule-change diff (udbudsregler.analysis.diff, `udbudsregler diff`)."""

from __future__ import annotations

import io
import json
import shutil
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import udbudsregler as ur
from udbudsregler.analysis.diff import DiffReport, compare, read_population
from udbudsregler.analysis.shrink import shrink_facts
from udbudsregler.cli.main import main
from udbudsregler.testing.cases import load_cases, run_cases
from udbudsregler.testing.strategies import Scenario

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ROOT / "policies" / "slagelse-2019"
KOEBENHAVN = ROOT / "policies" / "koebenhavn-2024"
NEXT_ROUND = ROOT / "examples" / "next-round"


@pytest.fixture(scope="module")
def koebenhavn() -> ur.Policy:
    return ur.load_policy(KOEBENHAVN)


def edited(tmp_path: Path, source: Path, file: str, old: str, new: str) -> ur.Policy:
    """A copy of a policy (without its tests) with one text replaced in one file."""
    target = tmp_path / source.name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("tests"))
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {file} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return ur.load_policy(target)


def history_records(facts: dict[str, Any]) -> int:
    return max((len(v) for v in facts.values() if isinstance(v, list)), default=0)


# -- identical policies ------------------------------------------------------------------


def test_identical_policies_change_nothing(slagelse: ur.Policy) -> None:
    report = compare(slagelse, slagelse, citizens=1000, scenarios=300)
    assert report.compared == 1000
    assert report.changed == 0
    assert all(g.count == 0 for g in report.groups.values())
    assert report.definitions == []
    assert report.scenarios_compared == 300
    assert "0 decided differently" in report.render()


# -- the worked example ------------------------------------------------------------------


@pytest.fixture(scope="module")
def worked(slagelse: ur.Policy, next_round: ur.Policy) -> tuple[DiffReport, float]:
    started = time.perf_counter()
    report = compare(slagelse, next_round, citizens=10_000)
    return report, time.perf_counter() - started


def test_worked_example_finds_every_kind_of_change(worked: tuple[DiffReport, float]) -> None:
    report, seconds = worked
    assert seconds < 60
    assert report.on == date(2022, 1, 1)
    counts = {kind: g.count for kind, g in report.groups.items()}
    assert counts["became_eligible"] > 0
    assert counts["payment_up"] > 0
    # lowering the age and shortening the bonus period take nothing away from anyone
    assert counts["lost_eligibility"] == counts["payment_down"] == 0
    assert counts["changed_area"] == counts["changed_target_groups"] == 0
    # no package has a span of weekly hours, and no supplier state was given
    assert "changed_package" not in counts and "changed_supplier" not in counts


def test_worked_example_names_the_changed_definitions(worked: tuple[DiffReport, float]
                                                     ) -> None:
    report, _ = worked
    semantic = {d.label: d for d in report.definitions if d.semantic}
    assert set(semantic) == {"parameter min_age", "parameter bonus_period"}
    min_age = semantic["parameter min_age"]
    assert [(c.old, c.new) for c in min_age.changes if c.field == "value"] == [("30", "25")]
    assert min_age.old_at is not None
    assert min_age.old_at.endswith("policies/slagelse-2019/maalgruppe.yaml:7")  # value: 30
    assert min_age.new_at is not None
    assert min_age.new_at.endswith("examples/next-round/policy.yaml:18")  # value: 25
    assert min_age.overridden
    wording = {d.label for d in report.definitions if not d.semantic}
    assert {"criterion over_30", "price_model ugepris_og_bonus"} <= wording


def test_worked_example_names_the_rules_responsible(worked: tuple[DiffReport, float]) -> None:
    report, _ = worked
    became = report.groups["became_eligible"]
    first = became.responsible[0]
    assert (first.kind, first.id, first.old, first.new) == ("criterion", "over_30", "not met",
                                                            "met")
    assert first.count == became.examined
    assert "parameter min_age" in first.because
    up = report.groups["payment_up"]
    assert up.by_line == {"bonus": up.total}
    assert up.largest == Decimal("25000.00")
    bonus = {(r.old, r.new) for r in up.responsible if r.kind == "bonus"}
    assert ("too_short", "earned") in bonus
    assert all("parameter bonus_period" in r.because for r in up.responsible)


def test_worked_example_citizens_are_small_and_behave_as_claimed(
        worked: tuple[DiffReport, float], slagelse: ur.Policy, next_round: ur.Policy) -> None:
    report, _ = worked
    examples = report.groups["became_eligible"].examples
    assert len(examples) == 3
    assert [e.cost for e in examples] == sorted(e.cost for e in examples)
    for example in examples:
        facts = example.facts
        assert facts is not None
        assert history_records(facts) <= 2
        old = slagelse.decide(facts, on=report.on, ignore_validity=True)
        new = next_round.decide(facts, on=report.on)
        assert not old.eligible and new.eligible
        met = {r.id: r.met for r in old.reasons if r.kind == "criterion"}
        assert met["over_30"] is False
        assert all(m for i, m in met.items() if i != "over_30")  # only the age differs
        assert 25 <= new.policy.evaluate("age", facts, report.on) < 30


def test_worked_example_payments_are_small_and_behave_as_claimed(
        worked: tuple[DiffReport, float], slagelse: ur.Policy, next_round: ur.Policy) -> None:
    report, _ = worked
    examples = report.groups["payment_up"].examples
    assert examples
    statuses = set()
    for example in examples:
        scenario = example.scenario
        assert scenario is not None
        assert len(scenario.outcomes) <= 2
        args = (scenario.referral, scenario.outcomes)
        old = slagelse.settle(*args, until=scenario.until, ignore_validity=True)
        new = next_round.settle(*args, until=scenario.until)
        assert new.total - old.total == example.difference == Decimal("25000.00")
        statuses.add((old.bonuses[0].status, new.bonuses[0].status))
    assert ("too_short", "earned") in statuses or ("pending", "earned") in statuses


def test_worked_example_cases_pass_as_test_cases(worked: tuple[DiffReport, float],
                                                 next_round: ur.Policy, tmp_path: Path
                                                 ) -> None:
    report, _ = worked
    cases = [e.case for g in report.groups.values() for e in g.examples]
    file = tmp_path / "diff.yaml"
    file.write_text("cases:\n" + "".join("\n".join("  " + line for line in case.splitlines())
                                           + "\n" for case in cases), encoding="utf-8")
    suite = load_cases(NEXT_ROUND, [file])
    assert not suite.diagnostics
    assert len(suite.cases) == len(cases) >= 4
    failures = [r.report() for r in run_cases(next_round, suite.cases) if not r.passed]
    assert failures == []


# -- scratch edits -----------------------------------------------------------------------


def test_removing_an_alternative_loses_eligibility(koebenhavn: ur.Policy,
                                                   tmp_path: Path) -> None:
    description = ("Nedsat kognitionsniveau, udviklingsforstyrrelser eller uafklarede "
                   "kognitive vanskeligheder.")
    new = edited(tmp_path, KOEBENHAVN, "maalgrupper.yaml", f"""\
            - id: kognitive_vanskeligheder
              title: Øvrige kognitive vanskeligheder
              description: {description}
              when: assessment.cognitive_difficulties
""", "")
    report = compare(koebenhavn, new, citizens=2000, scenarios=0, examples=2)
    lost = report.groups["lost_eligibility"]
    assert lost.count > 0
    assert report.groups["became_eligible"].count == 0
    first = lost.responsible[0]
    assert (first.kind, first.id, first.old, first.new) == (
        "criterion", "kognitive_vanskeligheder", "met", "absent")
    labels = {d.label for d in report.definitions}
    assert labels == {"criterion kognitive_vanskeligheder", "target_group hjerneskade_kognitiv"}
    for example in lost.examples:
        assert example.facts is not None
        assessment = example.facts["assessment"]
        assert assessment["cognitive_difficulties"] and not assessment["acquired_brain_injury"]
        assert koebenhavn.decide(example.facts, on=report.on).eligible
        assert not new.decide(example.facts, on=report.on).eligible


@pytest.mark.parametrize(("old", "new", "citizens"), [
    ("[hjerneskade_kognitiv, psykiske_udfordringer,", "[psykiske_udfordringer, "
     "hjerneskade_kognitiv,", 2000),
    # fitting both general areas needs two benefits at once: overlapping periods
    ("sygemeldte, udsatte]", "udsatte, sygemeldte]", 10_000),
])
def test_a_routing_swap_changes_areas(koebenhavn: ur.Policy, tmp_path: Path, old: str,
                                      new: str, citizens: int) -> None:
    swapped = edited(tmp_path, KOEBENHAVN, "omraader.yaml", old, new)
    report = compare(koebenhavn, swapped, citizens=citizens, scenarios=0, examples=2)
    changed = report.groups["changed_area"]
    assert changed.count > 0
    assert report.changed == changed.count
    assert [d.label for d in report.definitions] == ["routing"]
    routing = [r for r in changed.responsible if r.kind == "routing"]
    assert routing and all(r.because == ("routing",) for r in routing)
    for example in changed.examples:
        assert example.facts is not None and history_records(example.facts) <= 2
        a = koebenhavn.decide(example.facts, on=report.on)
        b = swapped.decide(example.facts, on=report.on)
        assert a.area != b.area and set(a.areas) == set(b.areas)


def test_a_span_change_changes_package_decisions(koebenhavn: ur.Policy,
                                                 tmp_path: Path) -> None:
    new = edited(tmp_path, KOEBENHAVN, "forloebspakker.yaml", "value: 20 hours",
                 "value: 15 hours")
    report = compare(koebenhavn, new, citizens=10_000, scenarios=0, examples=2)
    group = report.groups["changed_package"]
    assert group.count > 0
    assert report.changed == group.count
    assert all(r.kind == "package" and r.new == "hours_outside_span" and
               r.because == ("parameter job_hours_max",) for r in group.responsible)
    for example in group.examples:
        assert example.order is not None and 15 < example.order["weekly_hours"] <= 20
        a = koebenhavn.decide(example.facts or {}, on=report.on, order=example.order)
        b = new.decide(example.facts or {}, on=report.on, order=example.order)
        assert a.package_choice and a.package_choice.accepted
        assert b.package_choice and b.package_choice.status == "hours_outside_span"


def test_a_weekly_price_cut_lowers_payments(slagelse: ur.Policy, tmp_path: Path) -> None:
    new = edited(tmp_path, SLAGELSE, "betaling.yaml", "{from: 2019-01-01, value: 1850.00 DKK}",
                 "{from: 2019-01-01, value: 1750.00 DKK}")
    # 2019-02-01 to 2019-03-31 is 59 days: 1850 x 59 / 7 = 15592.86, 1750 x 59 / 7 = 14750.00
    known = Scenario({"id": "R-1", "start": date(2019, 2, 1), "package": "individuelt_forloeb"},
                     [], date(2019, 3, 31))
    report = compare(slagelse, new, citizens=0, scenarios=[known])
    down = report.groups["payment_down"]
    assert (down.count, down.total, down.largest) == (1, Decimal("-842.86"),
                                                      Decimal("-842.86"))
    assert down.by_line == {"weekly": Decimal("-842.86")}
    assert report.groups["payment_up"].count == 0
    [weekly] = down.responsible
    assert weekly.kind == "weekly" and weekly.because == ("parameter weekly_price",)
    generated = compare(slagelse, new, citizens=0, scenarios=300, examples=1)
    assert generated.groups["payment_down"].count > 0
    assert generated.groups["payment_up"].count == 0


def test_a_changed_tier_names_the_tier_and_the_amount(tmp_path: Path) -> None:
    """A round that pays more for a sooner result and shortens the first tier: a result
    earned under both rounds is reported by its tier (moved to the next tier) or by its
    amount (the same tier, paid more), and a monthly payment that differs is named."""
    root = Path(__file__).resolve().parents[2]
    old = ur.load_policy(root / "policies" / "rusta-och-matcha-2")
    new = ur.load_policy(root / "examples" / "rusta-och-matcha-2027")
    facts = {"inskriven_som_arbetssokande": True, "bedomd_i_malgruppen": True,
             "behover_arbetsforberedande_insatser": False, "niva": "niva_b",
             "kommun": "solna", "avstand": [{"leverantor": "solna_1", "km": "2.1"}]}

    def scenario(job: date) -> Scenario:
        return Scenario({"id": "R", "start": date(2027, 3, 1), "package": "rusta_och_matcha",
                         "facts": facts}, [{"kind": "arbete", "from": job, "to": None}],
                        date(2028, 6, 30))

    # a job after 1 month: the fast tier under both, 30,000 -> 37,500;
    # after 2.5 months: fast under the old round (3 months), the middle one under the new
    report = compare(old, new, citizens=0,
                     scenarios=[scenario(date(2027, 4, 1)), scenario(date(2027, 5, 15))])
    [up] = report.groups["payment_up"].responsible
    assert (up.kind, up.id, up.old, up.new) == ("result", "resultat", "earned, tier snabbt",
                                                "earned, tier snabbt, more")
    [down] = report.groups["payment_down"].responsible
    assert (down.old, down.new) == ("earned, tier snabbt", "earned, tier medelsnabbt")

    # the example is made simple, the citizen's facts of the referral included: the
    # distances and the supplier change play no part in the change
    busy = scenario(date(2027, 4, 1))
    busy.referral["facts"] = {**facts, "avstand": [
        {"leverantor": "solna_1", "km": "2.1"}, {"leverantor": "sundbyberg_1", "km": "7.35"}]}
    busy.referral["supplier_changes"] = [{"supplier": "sundbyberg_1",
                                          "from": date(2027, 3, 15)}]
    [example] = compare(old, new, citizens=0, scenarios=[busy],
                        examples=1).groups["payment_up"].examples
    assert "supplier_changes" not in example.case and "sundbyberg_1" not in example.case
    assert "avstand: []" in example.case
    file = tmp_path / "diff.yaml"
    file.write_text("cases:\n" + "".join("  " + line + "\n"
                                         for line in example.case.splitlines()),
                    encoding="utf-8")
    suite = load_cases(root / "examples" / "rusta-och-matcha-2027", [file])
    assert not suite.diagnostics and len(suite.cases) == 1
    assert [r.report() for r in run_cases(new, suite.cases) if not r.passed] == []

    # a lower monthly payment for level B: the payments for the time are named
    rusta = root / "policies" / "rusta-och-matcha-2"
    lower = edited(tmp_path, rusta, "ersattning.yaml",
                   "value: 1500.00 SEK", "value: 1400.00 SEK")
    report = compare(old, lower, citizens=0, scenarios=[scenario(date(2027, 4, 1))])
    [monthly] = report.groups["payment_down"].responsible
    assert monthly.kind == "payment" and monthly.title == \
        "payments for the time in `rusta_och_matcha`"
    assert monthly.because == ("parameter grundersattning_b",)


def test_a_new_fact_is_not_comparable_for_citizens_without_it(slagelse: ur.Policy,
                                                              tmp_path: Path) -> None:
    new = edited(tmp_path, SLAGELSE, "oplysninger.yaml", "  subject_to_225_rule:\n",
                 "  in_education: {type: bool, title: Under uddannelse}\n"
                 "  subject_to_225_rule:\n")
    report = compare(slagelse, new, citizens=400, scenarios=0)
    # the old policy's citizens lack the new fact; the new policy's are decided under the
    # old one without it
    assert report.not_comparable == {"new policy: in_education (UDB601 missing)": 100}
    assert report.compared == 300
    assert any("in_education" in note for note in report.notes)

@pytest.mark.parametrize("default_in", ["old", "new"])
def test_a_default_only_one_policy_has_is_not_given_to_the_other(
        slagelse: ur.Policy, tmp_path: Path, default_in: str) -> None:
    """A citizen who leaves out a fact one round defaults and the other requires is
    refused by the other (not comparable), as deciding the row under it refuses it; the
    default read by one policy was decided under the other as if the citizen gave it."""
    defaulted = edited(tmp_path, SLAGELSE, "oplysninger.yaml",
                       "values: [aktivitetsparat, jobparat]\n",
                       "values: [aktivitetsparat, jobparat]\n    default: aktivitetsparat\n")
    old, new = (defaulted, slagelse) if default_in == "old" else (slagelse, defaulted)
    without = {k: v for k, v in GOOD.items() if k != "visitation"}
    file = tmp_path / "citizens.jsonl"
    file.write_text(json.dumps({"id": "C-1", "facts": without}) + "\n", encoding="utf-8")
    refused = "new" if default_in == "old" else "old"
    expected = {f"{refused} policy: visitation (UDB601 missing)": 1}
    for report in (compare(old, new, citizens=0, population=file, scenarios=0),
                   compare(old, new, citizens=[without], scenarios=0)):
        assert report.compared == 0
        assert report.not_comparable == expected



# -- population files ------------------------------------------------------------------------

GOOD = {"birth_date": "1995-06-01", "visitation": "aktivitetsparat", "subject_to_225_rule": True,
        "benefits": [{"kind": "kontanthjaelp", "from": "2021-03-01", "to": None}],
        "offers": [{"kind": "virksomhedspraktik", "from": "2021-05-01", "to": "2021-07-31",
                    "weekly_hours": 15}]}


def test_population_json_lines(slagelse: ur.Policy, next_round: ur.Policy,
                               tmp_path: Path) -> None:
    file = tmp_path / "citizens.jsonl"
    file.write_text("\n".join([
        json.dumps({"id": "C-1", "facts": GOOD}),
        "{not json",
        json.dumps({"id": "C-3", "facts": {**GOOD, "birth_date": "1995-02-30"}}),
        "",
        json.dumps({**GOOD, "birth_date": "1980-01-01"}),  # plain facts: eligible in both
    ]) + "\n", encoding="utf-8")
    report = compare(slagelse, next_round, citizens=0, population=file, scenarios=0)
    assert [(b.line, b.id) for b in report.bad_rows] == [(2, None), (3, "C-3")]
    assert "birth_date" in report.bad_rows[1].problems[0]
    assert report.compared == 2
    became = report.groups["became_eligible"]
    assert became.count == 1 and became.by_source == {str(file): 1}
    assert became.examples[0].source == f"{file}:1 (C-1)"
    assert "bad row, line 3 (C-3)" in report.render()


def test_a_population_rows_order_is_compared_without_spans(tmp_path: Path) -> None:
    """No package of Rusta och matcha has a span of weekly hours (no orders are
    generated), but a row's own order is decided under both: a package the new round no
    longer offers in the citizen's area is a changed package decision, not alike."""
    rusta = ROOT / "policies" / "rusta-och-matcha-2"
    old = ur.load_policy(rusta)
    new = edited(tmp_path, rusta, "leveransomraden.yaml",
                 "areas: [lulea, boden_alvsbyn, stockholm_nordvast]",
                 "areas: [lulea, boden_alvsbyn]")
    facts = {"inskriven_som_arbetssokande": True, "bedomd_i_malgruppen": True,
             "behover_arbetsforberedande_insatser": False, "niva": "niva_a",
             "kommun": "solna", "avstand": []}
    file = tmp_path / "citizens.jsonl"
    file.write_text("\n".join(json.dumps(line) for line in [
        {"id": "C-1", "facts": facts, "order": {"package": "rusta_och_matcha"}},
        {"id": "C-2", "facts": facts}]) + "\n", encoding="utf-8")
    report = compare(old, new, citizens=0, population=file, scenarios=0)
    assert list(report.groups) == ["became_eligible", "lost_eligibility", "changed_area",
                                   "changed_package", "changed_target_groups",
                                   "payment_up", "payment_down"]
    changed = report.groups["changed_package"]
    assert changed.count == 1 and changed.examples[0].source == f"{file}:1 (C-1)"
    assert report.compared == 2
    assert not any("package decisions not compared" in note for note in report.notes)
    unordered = tmp_path / "unordered.jsonl"
    unordered.write_text(json.dumps(facts) + "\n", encoding="utf-8")
    without = compare(old, new, citizens=0, population=unordered, scenarios=0)
    assert "changed_package" not in without.groups


def test_population_csv(slagelse: ur.Policy, next_round: ur.Policy, tmp_path: Path) -> None:
    def cell(value: Any) -> str:
        text = json.dumps(value) if isinstance(value, list) else str(value).lower() \
            if isinstance(value, bool) else str(value)
        return '"' + text.replace('"', '""') + '"'

    names = ["birth_date", "visitation", "benefits", "offers", "subject_to_225_rule"]
    rows = ["id," + ",".join(names),
            "C-1," + ",".join(cell(GOOD[n]) for n in names),
            "C-2," + ",".join(cell(GOOD[n]) for n in names).replace("kontanthjaelp", "x"),
            "C-3," + ",".join(cell(GOOD[n]) if n != "offers" else '"[{oops"' for n in names),
            "C-4,1980-01-01"]
    file = tmp_path / "citizens.csv"
    file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    population = read_population(file, {n: e.spec for n, e in next_round.graph.facts.items()})
    assert [r.id for r in population.rows] == ["C-1", "C-2"]
    assert population.rows[0].facts["subject_to_225_rule"] is True
    assert [(b.line, b.id) for b in population.bad] == [(4, "C-3"), (5, None)]
    assert population.bad[0].problems == (
        "offers: UDB608: not valid JSON: Expecting property name enclosed in double quotes",)
    report = compare(slagelse, next_round, citizens=0, population=file, scenarios=0)
    assert [b.line for b in report.bad_rows] == [3, 4, 5]  # C-2's benefit kind fits neither
    assert "benefits[0].kind" in " ".join(report.bad_rows[0].problems)
    assert report.groups["became_eligible"].count == 1


def test_a_line_separator_inside_a_json_string_does_not_end_the_line(tmp_path: Path) -> None:
    """JSON allows U+2028, U+2029 and U+0085 in a string as they are; the lines end where
    `decide --population` ends them (\\n, \\r\\n, \\r), so the row stays one row."""
    file = tmp_path / "citizens.jsonl"
    lines = [json.dumps({"id": f"c{i}{sep}x", "facts": GOOD}, ensure_ascii=False)
             for i, sep in enumerate(["\u2028", "\u0085", "\u2029"])]
    file.write_text("\n".join(lines) + "\r\n", encoding="utf-8")
    population = read_population(file)
    assert not population.bad
    assert [(r.line, r.id) for r in population.rows] == [
        (1, "c0\u2028x"), (2, "c1\u0085x"), (3, "c2\u2029x")]


def test_cli_reports_bad_rows_with_exit_code_2(tmp_path: Path, capsys: Any) -> None:
    file = tmp_path / "citizens.jsonl"
    file.write_text(json.dumps(GOOD) + "\n[1, 2]\n", encoding="utf-8")
    out = io.StringIO()
    code = main(["diff", str(SLAGELSE), str(NEXT_ROUND), "--citizens", "0", "--scenarios", "0",
                 "--population", str(file)], out=out)
    assert code == 2
    assert "bad row, line 2: expected a JSON object" in out.getvalue()
    assert "1 bad row in" in capsys.readouterr().err


def test_cli_bad_input(tmp_path: Path) -> None:
    err = io.StringIO()
    assert main(["diff", str(SLAGELSE), str(NEXT_ROUND), "--population",
                 str(tmp_path / "none.jsonl")], out=io.StringIO(), err=err) == 2
    assert "no such file" in err.getvalue()
    assert main(["diff", str(SLAGELSE), str(tmp_path / "nothing")], out=io.StringIO(),
                err=io.StringIO()) == 2
    assert main(["diff", str(SLAGELSE), str(NEXT_ROUND), "--on", "2022-02-30"],
                out=io.StringIO(), err=io.StringIO()) == 2


@pytest.mark.parametrize("state", ["[1, 2]", '"full"', '{"load": [1]}'])
def test_cli_a_supplier_state_of_the_wrong_shape_is_an_input_error(
        tmp_path: Path, state: str) -> None:
    """As `decide --suppliers` says it ("suppliers: UDB602: ..."), exit 2; a list was an
    internal error (exit 70, TypeError from dict())."""
    file = tmp_path / "suppliers.json"
    file.write_text(state, encoding="utf-8")
    err = io.StringIO()
    assert main(["diff", str(SLAGELSE), str(NEXT_ROUND), "--citizens", "5", "--scenarios",
                 "0", "--suppliers", str(file)], out=io.StringIO(), err=err) == 2
    assert "suppliers" in err.getvalue() and "UDB602" in err.getvalue()
    assert "internal error" not in err.getvalue()


# -- output, progress, determinism -------------------------------------------------------------


def test_cli_json_parses() -> None:
    out = io.StringIO()
    code = main(["diff", str(SLAGELSE), str(NEXT_ROUND), "--citizens", "2000", "--scenarios",
                 "300", "--examples", "1", "--json"], out=out)
    assert code == 0
    data = json.loads(out.getvalue())
    assert data["old"]["id"] == "slagelse-2019" and data["new"]["id"] == "slagelse-2022"
    assert data["on"] == "2022-01-01"
    groups = {g["kind"]: g for g in data["groups"]}
    assert groups["became_eligible"]["count"] > 0
    assert groups["became_eligible"]["examples"][0]["case"].startswith("# became eligible")
    up = groups["payment_up"]
    assert up["count"] > 0 and Decimal(up["total"]) == 25000 * up["count"]
    assert up["by_line"] == {"bonus": up["total"]}
    assert {d["name"] for d in data["definitions"]} >= {"min_age", "bonus_period"}


def test_progress_is_reported(slagelse: ur.Policy, next_round: ur.Policy) -> None:
    seen: list[tuple[str, int, int]] = []
    compare(slagelse, next_round, citizens=1000, scenarios=500, examples=1,
            progress=lambda phase, done, total: seen.append((phase, done, total)))
    phases = {phase for phase, _, _ in seen}
    assert {"citizens", "scenarios"} <= phases
    assert ("citizens", 1000, 1000) in seen and ("scenarios", 500, 500) in seen


def test_the_same_seed_gives_the_same_report(slagelse: ur.Policy,
                                             next_round: ur.Policy) -> None:
    def run(seed: int) -> dict[str, Any]:
        data = compare(slagelse, next_round, citizens=1500, scenarios=300, seed=seed).to_dict()
        del data["seconds"]
        return data

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_the_shrinker_drops_what_does_not_matter(next_round: ur.Policy) -> None:
    on = date(2022, 1, 1)
    specs = {n: e.spec for n, e in next_round.graph.facts.items()}
    facts = next_round.facts.validate({
        **GOOD, "birth_date": "1993-07-17",
        "benefits": [{"kind": "sygedagpenge", "from": "2010-03-04", "to": "2012-05-06"},
                     {"kind": "kontanthjaelp", "from": "2019-08-13", "to": None}],
        "offers": [{"kind": "loentilskud", "from": "2020-11-17", "to": "2021-02-03",
                    "weekly_hours": Decimal("17.5")}]})

    def eligible(f: dict[str, Any]) -> bool:
        return next_round.decide(f, on=on).eligible

    assert eligible(facts)
    shrunk = shrink_facts(facts, specs, on, eligible).value
    assert eligible(shrunk)
    assert shrunk["benefits"] == [{"kind": "kontanthjaelp", "from": on, "to": None}]
    [offer] = shrunk["offers"]
    assert offer["kind"] == "virksomhedspraktik" and offer["weekly_hours"] == 20
    # a birthday on the decision date's day of the year, the age still in the target group
    born = shrunk["birth_date"]
    assert (born.month, born.day) == (1, 1) and 1993 <= born.year <= 1997


# -- the worked example's files -----------------------------------------------------------------


def test_the_next_round_test_cases_pass(next_round: ur.Policy) -> None:
    suite = load_cases(NEXT_ROUND)
    assert not suite.diagnostics and len(suite.cases) == 6
    assert [r.report() for r in run_cases(next_round, suite.cases) if not r.passed] == []


def test_the_review_script(slagelse: ur.Policy, capsys: Any) -> None:
    import runpy

    review = runpy.run_path(str(NEXT_ROUND / "review.py"))
    assert review["main"](["--citizens", "2000"]) == 0
    assert "ok: only the intended changes" in capsys.readouterr().out
    nothing = compare(slagelse, slagelse, citizens=200, scenarios=50)
    assert review["problems"](nothing) == ["became eligible: expected, but not found",
                                           "payment up: expected, but not found"]


# -- the reviewer's headline (issue 10) ----------------------------------------------------


def test_payment_headline_separates_deferred_from_lost(slagelse: ur.Policy,
                                                       next_round: ur.Policy) -> None:
    # back from 3 to 4 months: a bonus earned after 3 months is pending after 4 (deferred);
    # one that broke between 3 and 4 months is lost
    report = compare(next_round, slagelse, citizens=0, scenarios=1500, examples=0)
    down = report.groups["payment_down"]
    assert down.count and down.deferred < 0 and down.total - down.deferred < 0
    text = report.render()
    assert "deferred (earned -> pending)" in text and " lost" in text
    assert report.to_dict()["groups"][-1]["deferred"] == format(down.deferred, "f")
    up = compare(slagelse, next_round, citizens=0, scenarios=1500, examples=0)
    assert up.groups["payment_up"].deferred > 0
    assert "paid earlier (pending -> earned)" in up.render()


def test_diff_lists_the_invariants_that_read_a_changed_definition(
        worked: tuple[DiffReport, float]) -> None:
    report, _ = worked
    reading = {ident: reads for ident, _, reads in report.invariants}
    assert reading["under_30_not_eligible"] == (
        "parameter min_age (named in its condition: it moves with the change)",)
    assert reading["payment_not_negative"] == ("parameter bonus_period",)
    assert "Invariants that read a changed definition (6)" in report.render()
