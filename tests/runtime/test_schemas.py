"""The JSON Schemas of a policy's inputs, checked with a real JSON Schema validator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import udbudsregler as ur
from udbudsregler.runtime.schemas import SCHEMA_KINDS

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "examples" / "data"


@pytest.fixture(scope="module", params=["slagelse-2019", "koebenhavn-2024"])
def policy(request: pytest.FixtureRequest) -> ur.Policy:
    return ur.load_policy(ROOT / "policies" / request.param)


def validator(policy: ur.Policy, kind: Any) -> Draft202012Validator:
    schema = policy.json_schema(kind)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_11_3_every_schema_is_a_valid_json_schema(policy: ur.Policy) -> None:
    schemas = policy.schemas()
    assert set(schemas) == set(SCHEMA_KINDS)
    for kind, schema in schemas.items():
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"].endswith("2020-12/schema")
        assert policy.id in schema["title"], kind
        assert schema == json.loads(json.dumps(schema))  # JSON-ready
    assert policy.fact_schema() == schemas["facts"]


def test_11_3_the_fact_schema_has_types_enums_titles_and_descriptions() -> None:
    policy = ur.load_policy(ROOT / "policies" / "slagelse-2019")
    schema = policy.json_schema("facts")
    props = schema["properties"]
    assert props["birth_date"]["title"] == "Fødselsdato"
    assert props["birth_date"]["format"] == "date"
    assert props["visitation"]["enum"] == ["aktivitetsparat", "jobparat"]
    assert props["visitation"]["description"].startswith("Jobcentrets vurdering")
    assert props["subject_to_225_rule"]["type"] == "boolean"
    offers = schema["$defs"]["Record_offers"]
    assert offers["title"] == "Tilbud"
    hours = offers["properties"]["weekly_hours"]
    assert hours["title"] == "Ugentligt timetal" and "timer" in hours["description"]
    assert set(schema["required"]) == set(policy.graph.facts)
    assert schema["additionalProperties"] is False


def test_11_3_the_examples_are_valid_under_the_schemas() -> None:
    slagelse = ur.load_policy(ROOT / "policies" / "slagelse-2019")
    koebenhavn = ur.load_policy(ROOT / "policies" / "koebenhavn-2024")
    validator(slagelse, "facts").validate(json.loads((DATA / "citizen.json").read_text("utf-8")))
    facts, orders = validator(koebenhavn, "facts"), validator(koebenhavn, "order")
    lines = (DATA / "citizens.jsonl").read_text("utf-8").splitlines()
    checked = 0
    for line in lines:
        item = json.loads(line)
        accepted = _accepts(koebenhavn, item)
        assert facts.is_valid(item["facts"]) == accepted or item.get("order"), item["id"]
        if item.get("order") is not None and accepted:
            orders.validate(item["order"])
        checked += accepted
    assert checked >= 10
    validator(koebenhavn, "suppliers").validate(
        json.loads((DATA / "suppliers.json").read_text("utf-8")))
    for name, policy in (("referrals.json", slagelse), ("referrals-koebenhavn.json", koebenhavn)):
        for item in json.loads((DATA / name).read_text("utf-8")):
            referral = {k: v for k, v in item.items() if k in
                        ("id", "start", "package", "supplier", "area", "stop")}
            outcomes = item.get("outcomes", [])
            valid = (validator(policy, "referral").is_valid(referral)
                     and validator(policy, "outcomes").is_valid(outcomes))
            try:
                policy.settle(referral, outcomes, until=policy.header.valid.to or "2200-01-01")
                accepted = True
            except ur.FactError:
                accepted = False
            except ur.EvaluationError:  # e.g. outside the validity: not a matter of shape
                accepted = True
            assert valid == accepted, item


def _accepts(policy: ur.Policy, item: dict[str, Any]) -> bool:
    try:
        policy.facts.validate(item["facts"])
    except ur.FactError:
        return False
    return True


@pytest.mark.parametrize(("kind", "value"), [
    ("order", {"package": "nope"}),
    ("order", {"weekly_hours": -1, "package": "job"}),
    ("order", {"weekly_hours": "1_5", "package": "job"}),
    ("order", {"extra": 1}),
    ("suppliers", {"load": {"nobody": 1}}),
    ("suppliers", {"sequence": 0}),
    ("referral", {"id": "R", "start": "20240301", "package": "job"}),
    ("referral", {"id": "R", "package": "job"}),
    ("outcomes", [{"kind": ["x"], "from": "2024-03-01", "to": None}]),
    ("outcomes", [{"kind": "selvforsoergende", "from": "2024-03-01"}]),
    ("outcomes", 0),
])
def test_11_3_what_the_policy_refuses_the_schema_refuses(kind: str, value: Any) -> None:
    policy = ur.load_policy(ROOT / "policies" / "koebenhavn-2024")
    assert not validator(policy, kind).is_valid(value)
    model = policy.input_model(kind)  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 - pydantic's ValidationError
        model.model_validate(value)


def test_11_3_descriptions_follow_the_policy_language(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "p"
    shutil.copytree(ROOT / "policies" / "slagelse-2019", folder)
    text = (folder / "policy.yaml").read_text("utf-8")
    (folder / "policy.yaml").write_text(text.replace("language: da", "language: en"), "utf-8")
    english = ur.load_policy(folder).json_schema("order")
    danish = ur.load_policy(ROOT / "policies" / "slagelse-2019").json_schema("order")
    assert english["properties"]["weekly_hours"]["title"] == "Weekly hours"
    assert danish["properties"]["weekly_hours"]["title"] == "Ugentligt timetal"


def test_unknown_schema_kind() -> None:
    policy = ur.load_policy(ROOT / "policies" / "slagelse-2019")
    with pytest.raises(ValueError, match="the inputs are facts, order"):
        policy.json_schema("people")  # type: ignore[arg-type]
