"""The command line: outputs, exit codes, and never a traceback for bad input."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from udbudsregler.cli.main import EXIT_FAILED, EXIT_INPUT, EXIT_OK, main

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = str(ROOT / "policies" / "slagelse-2019")
KOEBENHAVN = str(ROOT / "policies" / "koebenhavn-2024")
CITIZEN = str(ROOT / "examples" / "data" / "citizen.json")


def run(*argv: str, stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_check_a_good_policy() -> None:
    code, out, _ = run("check", SLAGELSE)
    assert code == EXIT_OK
    assert out.strip().endswith(
        "ok (stages run: load, validate, parse, graph, check, lower, codegen)")


def test_check_stops_after_a_stage() -> None:
    code, out, _ = run("check", SLAGELSE, "--stop-after", "parse")
    assert code == EXIT_OK and "stages run: load, validate, parse)" in out


def test_check_prints_located_errors_and_fails(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    shutil.copytree(SLAGELSE, folder)
    text = (folder / "maalgruppe.yaml").read_text(encoding="utf-8")
    (folder / "maalgruppe.yaml").write_text(text.replace("when: age >= min_age",
                                                         "when: agee >= min_age"), "utf-8")
    code, out, _ = run("check", str(folder))
    assert code == EXIT_FAILED
    assert "maalgruppe.yaml:74:17: error UDB401: unknown name `agee`" in out
    assert "hint: did you mean `age`?" in out
    code, out, _ = run("check", str(folder), "--json")
    [item] = [d for d in json.loads(out) if d["severity"] == "error"]
    assert (item["code"], item["line"], item["column"]) == ("UDB401", 74, 17)


def test_decide_explains_in_both_languages() -> None:
    code, out, _ = run("decide", SLAGELSE, CITIZEN, "--on", "2019-02-01", "--explain")
    assert code == EXIT_OK and "Resultat: Borgeren er i målgruppen" in out
    code, out, _ = run("decide", SLAGELSE, CITIZEN, "--on", "2019-02-01", "--explain",
                       "--lang", "en")
    assert "Result: the citizen is in the target group" in out


def test_decide_settle_and_graph_in_swedish(tmp_path: Path) -> None:
    code, out, _ = run("decide", SLAGELSE, CITIZEN, "--on", "2019-02-01", "--explain",
                       "--lang", "sv")
    assert code == EXIT_OK
    assert "Bedömning: Den arbetssökande ingår i målgruppen ”Aktivitetsparate" in out
    assert "Beslutsdatum: 1 februari 2019." in out
    assert "Resultat:" not in out and "Result:" not in out
    referral = tmp_path / "r.json"
    referral.write_text(json.dumps({
        "referral": {"id": "R", "start": "2019-02-01", "package": "individuelt_forloeb"},
        "outcomes": [{"kind": "selvforsoergende", "from": "2020-05-15", "to": None}]}))
    code, out, _ = run("settle", SLAGELSE, str(referral), "--until", "2020-09-30", "--lang",
                       "sv")
    assert code == EXIT_OK and "Totalt: 149 663,57 DKK" in out
    assert "leverantör inte angiven." in out and "I alt:" not in out
    code, out, _ = run("graph", SLAGELSE, "--lang", "sv")
    assert code == EXIT_OK and "Insatsområden (prioritet)" in out


@pytest.mark.parametrize("command", [
    ("decide", SLAGELSE, CITIZEN, "--on", "2019-02-01"),
    ("settle", SLAGELSE, CITIZEN, "--until", "2020-01-01"),
    ("graph", SLAGELSE),
])
def test_lang_lists_every_language(command: tuple[str, ...]) -> None:
    code, _, err = run(*command, "--lang", "se")
    assert code == EXIT_INPUT
    assert "invalid choice: 'se'" in err and "'da', 'en', 'sv'" in err


def test_decide_json_is_reproducible() -> None:
    first = run("decide", SLAGELSE, CITIZEN, "--on", "2019-02-01", "--json")[1]
    second = run("decide", SLAGELSE, CITIZEN, "--on", "2019-02-01", "--json")[1]
    assert first == second
    data = json.loads(first)
    assert data["policy"]["id"] == "slagelse-2019"
    assert data["policy"]["content_hash"].startswith("sha256:")
    assert data["eligible"] is True and data["area"] == "aktivitetsparate"


def test_decide_with_an_order_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = json.dumps({
        "birth_date": "1978-04-10",
        "benefits": [{"kind": "kontanthjaelp", "from": "2022-06-01", "to": None}],
        "assessment": {"social_and_health_challenges": True, "acquired_brain_injury": False,
                       "cognitive_difficulties": False, "mental_health_challenges": False}})
    code, out, _ = run("decide", KOEBENHAVN, "-", "--on", "2024-03-01", "--order",
                       '{"package": "job", "weekly_hours": 25}', stdin=facts,
                       monkeypatch=monkeypatch)
    assert code == EXIT_OK
    assert "package: job: refused (hours_outside_span)" in out


def test_decide_trace_lists_every_rule() -> None:
    code, out, _ = run("decide", SLAGELSE, CITIZEN, "--on", "2019-02-01", "--trace")
    assert code == EXIT_OK
    assert "rule age = 34" in out and "target_group aktivitetsparate_over_30 = true" in out


def test_settle_prints_the_invoice(tmp_path: Path) -> None:
    referral = tmp_path / "r.json"
    referral.write_text(json.dumps({
        "referral": {"id": "R", "start": "2019-02-01", "package": "individuelt_forloeb"},
        "outcomes": [{"kind": "selvforsoergende", "from": "2020-05-15", "to": None}]}))
    code, out, _ = run("settle", SLAGELSE, str(referral), "--until", "2020-09-30")
    assert code == EXIT_OK and "I alt: 149.663,57 kr." in out
    assert "leverandør ikke angivet." in out  # the referral names no supplier
    code, out, _ = run("settle", SLAGELSE, str(referral), "--until", "2020-09-30", "--lang", "en")
    assert code == EXIT_OK and "supplier not given." in out
    code, out, _ = run("settle", SLAGELSE, str(referral), "--until", "2020-09-30", "--since",
                       "2020-09-01", "--json")
    assert json.loads(out)["total"] == {"amount": "25000.00", "currency": "DKK"}


def test_stages_lists_the_pipeline() -> None:
    code, out, _ = run("stages")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert [line.split()[0] for line in lines[::2]] == [
        "load", "validate", "parse", "graph", "check", "lower", "codegen"]
    assert all(line.split()[0] == "produces:" for line in lines[1::2])
    assert "the typed rule graph" in out and "the lowered rule graph" in out


@pytest.mark.parametrize(("argv", "fragment"), [
    (("decide", "nowhere", CITIZEN, "--on", "2019-02-01"), "nowhere: no such file or folder"),
    (("decide", SLAGELSE, "nowhere.json", "--on", "2019-02-01"), "nowhere.json: no such file"),
    (("decide", SLAGELSE, CITIZEN, "--on", "2019-02-30"), "is not a date"),
    (("decide", SLAGELSE, CITIZEN, "--on", "2030-01-01"), "UDB703"),
    (("decide", SLAGELSE, CITIZEN), "--on"),
    (("check", "nowhere"), "nowhere: no such file or folder"),
    (("settle", SLAGELSE, CITIZEN, "--until", "2020-01-01"), "expected a JSON object"),
    (("frobnicate",), "invalid choice"),
    (("decide", SLAGELSE, CITIZEN, "--on", "2019-02-01", "--order", "{nope"), "not valid JSON"),
])
def test_bad_input_is_one_line_and_exit_2(argv: tuple[str, ...], fragment: str) -> None:
    code, out, err = run(*argv)
    assert code == EXIT_INPUT
    assert fragment in err
    assert "Traceback" not in err + out


def test_bad_facts_name_their_paths(tmp_path: Path) -> None:
    facts = json.loads(Path(CITIZEN).read_text())
    facts["birth_date"] = "1984-02-30"
    facts["offers"][0]["weekly_hours"] = "mange"
    del facts["visitation"]
    path = tmp_path / "f.json"
    path.write_text(json.dumps(facts))
    code, _, err = run("decide", SLAGELSE, str(path), "--on", "2019-02-01")
    assert code == EXIT_INPUT
    assert "birth_date: UDB603" in err
    assert "offers[0].weekly_hours: UDB602" in err
    assert "visitation: UDB601" in err


def test_a_broken_policy_prints_diagnostics_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("policy: [\n", encoding="utf-8")
    code, _, err = run("decide", str(tmp_path), CITIZEN, "--on", "2019-02-01")
    assert code == EXIT_FAILED and "UDB101" in err and "Traceback" not in err


def test_the_test_command_runs_cases_and_invariants() -> None:
    code, out, _ = run("test", SLAGELSE, "--examples", "5")
    assert code == EXIT_OK
    assert re.search(r"slagelse-2019: (\d+) of \1 cases passed \(ok\)", out)
    assert "invariants hold over 5 generated examples each (ok)" in out


# `test` is left out: it runs hypothesis itself, which cannot run inside @given.
@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["check", "decide", "settle", "stages", "--on",
                                 "2019-02-01", "--json", SLAGELSE, CITIZEN, "-", "--x", "",
                                 "--stop-after", "parse", "--until"]), max_size=6))
def test_no_argument_list_gives_a_traceback(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main(argv, out=out, err=err)
    except SystemExit as exit_:  # pragma: no cover - main must not exit itself
        pytest.fail(f"main raised SystemExit({exit_.code})")
    assert code in (EXIT_OK, EXIT_FAILED, EXIT_INPUT)
    assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue()


def test_a_closed_pipe_is_not_an_error() -> None:
    """`udbudsregler decide ... | head -1`: the reader leaves early; exit 0, nothing on stderr."""

    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    err = io.StringIO()
    code = main(["decide", SLAGELSE, CITIZEN, "--on", "2019-06-01", "--json", "--trace"],
                out=ClosedPipe(), err=err)
    assert code == EXIT_OK
    assert err.getvalue() == ""


# -- the input boundary (issue 12) ------------------------------------------------------


def _citizen_text() -> str:
    return Path(CITIZEN).read_text("utf-8")


def test_12_6_huge_integer_in_every_json_input(tmp_path: Path) -> None:
    huge = "1" + "0" * 5000
    facts = tmp_path / "facts.json"
    facts.write_text(_citizen_text().replace('"weekly_hours": 12', f'"weekly_hours": {huge}'))
    code, _, err = run("decide", SLAGELSE, str(facts), "--on", "2019-02-01")
    assert code == EXIT_INPUT and "offers[0].weekly_hours: UDB610" in err
    code, _, err = run("decide", KOEBENHAVN, str(facts), "--on", "2024-03-01", "--order",
                       f'{{"package": "job", "weekly_hours": {huge}}}', "--suppliers",
                       f'{{"sequence": {huge}}}')
    assert code == EXIT_INPUT
    assert "order.weekly_hours: UDB610" in err and "suppliers.sequence: UDB610" in err
    referral = tmp_path / "r.json"
    referral.write_text(f'{{"referral": {{"id": {huge}, "start": "2019-02-01", '
                        f'"package": "individuelt_forloeb"}}}}')
    code, _, err = run("settle", SLAGELSE, str(referral), "--until", "2020-01-01")
    assert code == EXIT_INPUT and "referral.id: UDB610" in err


def test_12_7_deep_facts_and_population_lines(tmp_path: Path) -> None:
    deep = '{"offers": ' + "[" * 100_000 + "]" * 100_000 + "}"
    facts = tmp_path / "deep.json"
    facts.write_text(deep)
    code, _, err = run("decide", SLAGELSE, str(facts), "--on", "2019-02-01")
    assert code == EXIT_INPUT and "UDB610" in err and "nested more than 64" in err
    population = tmp_path / "people.jsonl"
    population.write_text(_citizen_text().replace("\n", " ") + "\n" + deep + "\n")
    code, _, err = run("diff", SLAGELSE, SLAGELSE, "--citizens", "0", "--scenarios", "0",
                       "--population", str(population))
    assert code == EXIT_INPUT and "; line 2)" in err


def test_12_7_a_population_line_the_csv_module_cannot_read(tmp_path: Path) -> None:
    population = tmp_path / "people.csv"
    population.write_text("birth_date,visitation\n" + '"' + "x" * 200_000 + '"\n')
    code, _, err = run("diff", SLAGELSE, SLAGELSE, "--citizens", "0", "--scenarios", "0",
                       "--population", str(population))
    assert code == EXIT_INPUT and "internal error" not in err


def test_12_11_a_referral_id_with_a_lone_surrogate(tmp_path: Path) -> None:
    referral = tmp_path / "r.json"
    referral.write_text('{"referral": {"id": "\\ud800", "start": "2019-02-01", '
                        '"package": "individuelt_forloeb"}}')
    code, _, err = run("settle", SLAGELSE, str(referral), "--until", "2020-01-01")
    assert code == EXIT_INPUT and "referral.id: UDB602" in err and "\\ud800" in err
    err.encode("ascii", "strict")


@pytest.mark.parametrize("outcomes", ["0", "false", '""'])
def test_12_24_outcomes_zero_false_or_empty_text(tmp_path: Path, outcomes: str) -> None:
    referral = tmp_path / "r.json"
    referral.write_text('{"referral": {"id": "R", "start": "2019-02-01", '
                        f'"package": "individuelt_forloeb"}}, "outcomes": {outcomes}}}')
    code, _, err = run("settle", SLAGELSE, str(referral), "--until", "2020-01-01")
    assert code == EXIT_INPUT and "outcomes: UDB602: expected a list" in err


def test_12_24_duplicate_keys_in_facts_json(tmp_path: Path) -> None:
    facts = tmp_path / "dup.json"
    facts.write_text(_citizen_text().rstrip().rstrip("}") + ', "visitation": "jobparat"}')
    code, _, err = run("decide", SLAGELSE, str(facts), "--on", "2019-02-01")
    assert code == EXIT_INPUT
    assert "visitation: UDB609: the key `visitation` appears twice" in err


def test_12_15_a_huge_exponent_is_refused_at_once(tmp_path: Path) -> None:
    import time

    facts = tmp_path / "f.json"
    facts.write_text(_citizen_text().replace('"weekly_hours": 12', '"weekly_hours": 1e999999999'))
    start = time.perf_counter()
    code, _, err = run("decide", SLAGELSE, str(facts), "--on", "2019-02-01", "--json")
    assert code == EXIT_INPUT and "UDB610" in err
    assert time.perf_counter() - start < 2


def test_11_2_facts_order_and_suppliers_are_reported_together(tmp_path: Path) -> None:
    facts = tmp_path / "f.json"
    facts.write_text('{"birth_date": "1978-02-30"}')
    code, _, err = run("decide", KOEBENHAVN, str(facts), "--on", "2024-03-01", "--order",
                       '{"package": "job", "weekly_hours": "NaN"}', "--suppliers",
                       '{"load": {"nobody": 1}}')
    assert code == EXIT_INPUT and err.startswith("error: the input does not fit the policy:")
    for path in ("birth_date: UDB603", "order.weekly_hours: UDB602",
                 "suppliers.load.nobody: UDB605"):
        assert path in err
