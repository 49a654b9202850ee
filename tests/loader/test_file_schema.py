"""The JSON Schema of the policy file format (issue 11, item 3): published in the package,
valid draft-07, accepts every policy file in the repository (as the policy loader reads
it and as an editor's YAML reads it), rejects the broken-policy corpus cases whose mistake
is one of shape, and raises no false alarm on the others. Checked with ``jsonschema``."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from policy_folders import POLICY_FOLDERS as ALL_FOLDERS
from pydantic import BaseModel

import udbudsregler as ur
from udbudsregler.cli.main import main
from udbudsregler.diagnostics import DiagnosticBag
from udbudsregler.loader import documents, tender
from udbudsregler.loader.file_schema import _MODELS, SCHEMA_PATH, policy_file_schema, render
from udbudsregler.loader.yaml_loader import load_yaml_text
from udbudsregler.values.wording import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"

#: Every policy folder in the repository (besides the corpus of broken policies).
POLICY_FOLDERS = ALL_FOLDERS

#: Corpus cases the schema must reject: the mistake is one of shape, and the first
#: error's path (in the file named, else the main file).
REJECTED: dict[str, str] = {
    "five_mistakes.yaml": "target_groups/maalgruppe",
    "include_positions": "facts/birth_date",
    "udb115_criteria_without_extends.yaml": "criteria/over_30",
    "udb201_entry_still_checked.yaml": "rules/age",
    "udb201_key_of_another_type.yaml": "facts/birth_date",
    "udb201_unknown_key.yaml": "target_groups/maalgruppe/criteria",
    "udb201_unknown_key_in_header.yaml": "policy",
    "udb201_unknown_section.yaml": "",
    "udb202_choice_without_values.yaml": "facts/visitation",
    "udb202_missing_key.yaml": "policy",
    "udb202_missing_keys_together.yaml": "target_groups/maalgruppe/criteria",
    "udb202_price_model_without_price.yaml": "price_models/model",
    "udb203_empty_list.yaml": "service_areas/slagelse/serves",
    "udb203_invariant_check_and_holds.yaml": "invariants/0",
    "udb203_parameter_list.yaml": "parameters/min_age",
    "udb203_unquoted_set_expression.yaml": "rules/hours_needed",
    "udb203_value_and_values.yaml": "parameters/min_age",
    "udb203_wrong_form.yaml": "rules/age",
    "udb204_fact_type.yaml": "facts/birth_date",
    "udb204_fact_type_shorthand.yaml": "facts/offers",
    "udb204_multiline_value.yaml": "policy/rounding",
    "udb204_not_a_choice.yaml": "policy/month_end",
    "udb204_rounding_unit.yaml": "policy/rounding",
    "udb204_unknown_language.yaml": "policy/language",
    "udb205_choice_value.yaml": "facts/visitation",
    "udb205_invalid_name.yaml": "facts",
    "udb206_not_a_date.yaml": "policy/valid/to",
    "udb207_choice_value_twice.yaml": "facts/visitation",
    "udb210_history_field_from.yaml": "facts/offers",
    # the base of `extends:` is a YAML file that is no policy at all
    "udb116_extends_not_a_policy": "",
    "udb204_rounding_unit_too_large.yaml": "policy/rounding",
}


class _EditorLoader(yaml.SafeLoader):
    """YAML as an editor's YAML extension reads it: dates stay text (YAML 1.2), numbers
    with a fraction are numbers."""


_EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema,
                                      format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def _as_loaded(path: Path) -> Any:
    """A file as the policy loader reads it (None if it cannot)."""
    loaded = load_yaml_text(path.read_text(encoding="utf-8"), str(path), DiagnosticBag())
    return loaded[0] if loaded is not None else None


def _errors(validator: jsonschema.Draft7Validator, data: Any) -> list[str]:
    return ["/".join(map(str, e.absolute_path)) for e in
            sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))]


def test_the_published_schema_is_the_generated_one() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render(), \
        "run: python -c 'from udbudsregler.loader.file_schema import *; " \
        "SCHEMA_PATH.write_text(render())'"
    assert ur.policy_file_schema() == json.loads(render())


def test_the_schema_is_in_the_package_data() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"{SCHEMA_PATH.name}"' in pyproject
    assert SCHEMA_PATH.parent == Path(ur.__file__).parent


def test_every_document_model_is_in_the_schema() -> None:
    models = {obj for module in (documents, tender) for _, obj in inspect.getmembers(module)
              if isinstance(obj, type) and issubclass(obj, BaseModel) and
              obj.__module__ == module.__name__ and not obj.__name__.startswith("_")}
    assert models <= set(_MODELS.values()), models - set(_MODELS.values())
    schema = policy_file_schema()
    for name, model in _MODELS.items():
        definition = schema["definitions"][name]
        target = definition["anyOf"][1] if "anyOf" in definition else definition
        keys = {info.alias or field for field, info in model.model_fields.items()}
        assert set(target["properties"]) == keys, name


@pytest.mark.parametrize("folder", POLICY_FOLDERS, ids=lambda p: p.name)
def test_every_policy_file_in_the_repository_is_valid(
        validator: jsonschema.Draft7Validator, folder: Path) -> None:
    files = [p for p in sorted(folder.rglob("*.yaml")) if "tests" not in
             p.relative_to(folder).parts]
    assert files
    for path in files:
        assert _errors(validator, _as_loaded(path)) == [], path
        editor = yaml.load(path.read_text(encoding="utf-8"), _EditorLoader)
        assert _errors(validator, editor) == [], f"{path} (as an editor reads it)"


def test_the_languages_are_those_of_the_explanations(
        validator: jsonschema.Draft7Validator) -> None:
    header = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["definitions"]["PolicyHeader"]
    target = header["anyOf"][1] if "anyOf" in header else header
    assert target["properties"]["language"]["enum"] == list(LANGUAGES)
    swedish = ROOT / "tests" / "runtime" / "data" / "rusta-sek.yaml"
    assert _errors(validator, _as_loaded(swedish)) == []


def _cases() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix == ".yaml" or (p.is_dir()
                  and (p / "policy.yaml").exists()))


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_the_corpus_of_broken_policies(validator: jsonschema.Draft7Validator,
                                       case: Path) -> None:
    files = [case] if case.is_file() else sorted(case.rglob("*.yaml"))
    found: list[str] = []
    for path in files:
        try:
            data = _as_loaded(path)
        except UnicodeDecodeError:  # UDB113: not UTF-8; no editor schema applies
            continue
        if data is None:  # the YAML itself is broken (UDB101, UDB104, ...)
            continue
        found += _errors(validator, data)
    if case.name in REJECTED:
        assert found, f"{case.name}: the schema accepts a mistake of shape"
        assert found[0] == REJECTED[case.name]
    else:
        assert not found, f"{case.name}: a false alarm at {found}"


def test_the_rejections_are_mistakes_of_shape() -> None:
    for name in REJECTED:
        main_file = CORPUS / name if name.endswith(".yaml") else CORPUS / name / "policy.yaml"
        codes = set(re.findall(r"expect: (UDB\d)", main_file.read_text(encoding="utf-8")))
        assert codes & {"UDB1", "UDB2"}, name


def test_the_command_line_prints_the_schema(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == policy_file_schema()
    target = tmp_path / "policy.schema.json"
    assert main(["schema", "--output", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == policy_file_schema()


def test_the_editor_docs_name_the_schema() -> None:
    text = (ROOT / "docs" / "editor.md").read_text(encoding="utf-8")
    assert "yaml.schemas" in text and "# yaml-language-server: $schema=" in text
    assert "udbudsregler schema" in text
