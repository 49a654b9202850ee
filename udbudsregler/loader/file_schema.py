"""The JSON Schema of the policy file format, for editors.

Generated from the pydantic models of the document (``loader/documents.py``,
``loader/tender.py``), so that a key the language gains appears here too: every field of
every model becomes a property (by its YAML name), with its kind of value, its choices
(``Literal``), its name pattern and whether it is required; ``additionalProperties`` is
false everywhere, as the loader's ``extra="forbid"``. Forms the models accept through
validators (``birth_date: date`` for ``{type: date}``, ``min_age: 30`` for
``{value: 30}``, the criteria tree of ``all``/``any``/``not``) are written out by hand
below, as are the top-level keys that the loader handles itself (``include``,
``extends``, ``criteria``).

The schema is draft-07 (the draft editors' YAML extensions support best) and is
published in the package as ``udbudsregler/policy-file.schema.json``
(:data:`SCHEMA_PATH`); a test keeps that file equal to :func:`policy_file_schema`.

What it accepts is a superset of what the loader accepts: the schema checks the shape
(keys, kinds of values, choices, names), not the expressions, not names across sections,
and not the order of dated values. One file is checked on its own, so ``policy`` is not
required (an included file has none), and in a file with ``extends:`` no key is
required (a derived policy overrides entries key by key). A scalar may be written as an
editor's YAML reads it (``1.5`` a number, ``2019-02-01`` text) or as the policy
loader reads it (everything but integers, booleans and null is text).
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from udbudsregler.loader import documents as d
from udbudsregler.loader import tender as t
from udbudsregler.values.fact_kinds import KINDS, FactKind
from udbudsregler.values.wording import LANGUAGE_NAMES, LANGUAGES

__all__ = ["SCHEMA_ID", "SCHEMA_PATH", "policy_file_schema", "render"]

#: Where the published schema lies in the package.
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "policy-file.schema.json"
SCHEMA_ID = "https://udbudsregler.invalid/schemas/policy-file.schema.json"
_DRAFT = "http://json-schema.org/draft-07/schema#"

def _pattern(regex: re.Pattern[str]) -> str:
    """A Python pattern used with ``match`` and ending in ``\\Z`` as a JSON Schema pattern
    (ECMA 262, searched anywhere): anchored at both ends with ``^`` and ``$``."""
    return "^" + regex.pattern.removesuffix("\\Z") + "$"


_IDENT = {"type": "string", "pattern": _pattern(d.IDENT_RE),
          "description": "a name: lowercase letters (æ, ø, å too), digits and `_`, "
                         "starting with a letter"}
_TEXT = {"type": "string"}
#: An expression: text, or a number or true/false written plainly.
_EXPR = {"type": ["string", "number", "boolean"],
         "description": "an expression of the policy language (docs/expressions.md)"}
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date",
         "description": "a date written as YYYY-MM-DD"}
_DECIMAL = {"anyOf": [{"type": "number"},
                      {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}]}

#: The kind of value behind each validator of the document models.
_BY_VALIDATOR: dict[Any, dict[str, Any]] = {
    d._ident: _IDENT,
    d._text: _TEXT,
    d._expr: _EXPR,
    d._date: _DATE,
    d._decimal: _DECIMAL,
    d._policy_id: {"type": "string", "pattern": _pattern(d.POLICY_ID_RE),
                   "description": "lowercase letters, digits, `-`, `_` and `.`, e.g. "
                                  "`slagelse-2019`"},
    d._currency: {"type": "string", "pattern": "^[A-Z]{3}$",
                  "description": "a currency code such as DKK"},
    d._language: {"enum": list(LANGUAGES),
                  "description": "the language of explanations: " + ", ".join(
                      f"{code} ({LANGUAGE_NAMES[code]})" for code in LANGUAGES)},
}

#: Descriptions of the sections and of the keys whose meaning the name does not say.
_SECTIONS: dict[str, str] = {
    "policy": "the policy's id, title, authority, validity, language, currency, rounding",
    "include": "files whose sections are merged into this one (paths relative to this "
               "file's folder)",
    "extends": "the policy (file or folder) of the previous round that this one changes",
    "facts": "the facts the host supplies about a citizen, by name",
    "parameters": "the tender's numbers and durations, by name; a value or dated values",
    "rules": "named expressions computed from facts and parameters",
    "target_groups": "the target groups (målgrupper), each with its criteria",
    "criteria": "(a policy with `extends:`) criteria of the base policy's target groups "
                "that change, by id, key by key",
    "outcomes": "the outcomes the host reports as histories (e.g. self-support)",
    "service_areas": "the service areas (indsatsområder), their target groups and suppliers",
    "routing": "which area a citizen who fits several goes to",
    "course_packages": "the course packages (forløbspakker) a caseworker can order",
    "price_models": "weekly prices, bonuses and caps",
    "referral": "how long a referral lasts, and what ends it",
    "invariants": "properties every citizen or referral must have, checked by property "
                  "tests",
}

_MODELS: dict[str, type[BaseModel]] = {
    "PolicyHeader": d.PolicyHeader, "Validity": d.Validity, "RoundingSpec": d.RoundingSpec,
    "FactSpec": d.FactSpec, "DatedValue": d.DatedValue, "ParameterSpec": d.ParameterSpec,
    "RuleSpec": d.RuleSpec, "Criterion": d.Criterion, "TargetGroupSpec": d.TargetGroupSpec,
    "OutcomeSpec": t.OutcomeSpec, "SupplierSpec": t.SupplierSpec,
    "SelectionSpec": t.SelectionSpec, "AreaSpec": t.AreaSpec, "RoutingSpec": t.RoutingSpec,
    "HoursSpan": t.HoursSpan, "PackageSpec": t.PackageSpec, "BonusSpec": t.BonusSpec,
    "CapsSpec": t.CapsSpec, "PaymentSpec": t.PaymentSpec, "TierSpec": t.TierSpec,
    "ResultSpec": t.ResultSpec, "PriceModelSpec": t.PriceModelSpec,
    "ReferralSpec": t.ReferralSpec, "InvariantSpec": t.InvariantSpec,
}
_NAMES = {model: name for name, model in _MODELS.items()}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/definitions/{name}"}


def _annotation(annotation: Any, metadata: list[Any]) -> dict[str, Any]:
    """The schema of one annotation (with the metadata pydantic split off it)."""
    schema: dict[str, Any] | None = None
    for item in metadata:  # the first validator names the kind (Ident before text)
        func = getattr(item, "func", None)
        if func in _BY_VALIDATOR:
            schema = dict(_BY_VALIDATOR[func])
            break
    if schema is None:
        schema = _type(annotation)
    for item in metadata:
        if hasattr(item, "min_length"):
            schema["minItems"] = item.min_length
    return schema


def _type(annotation: Any) -> dict[str, Any]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _annotation(args[0], list(annotation.__metadata__))
    if origin in (Union, types.UnionType):
        kept = [a for a in args if a is not type(None)]
        if len(kept) == 1:  # Optional: null is the same as leaving the key out
            inner = _type(kept[0])
            return {"anyOf": [inner, {"type": "null"}]}
        return {"anyOf": [_type(a) for a in kept]}
    if origin is Literal:
        return {"enum": list(args)}
    if origin is list:
        return {"type": "array", "items": _type(args[0])}
    if origin is dict:
        return {"type": "object", "propertyNames": _type(args[0]),
                "additionalProperties": _type(args[1])}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    if annotation is str:
        return dict(_TEXT)
    if annotation is Any:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _ref(_NAMES[annotation])
    raise TypeError(f"no JSON Schema for the annotation {annotation!r}")  # a new kind


def _field(info: FieldInfo) -> dict[str, Any]:
    schema = _annotation(info.annotation, list(info.metadata))
    if info.description:
        schema["description"] = info.description
    return schema


def _model(model: type[BaseModel]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        properties[key] = _field(info)
        if info.is_required():
            required.append(key)
    schema: dict[str, Any] = {"type": "object"}
    doc = (model.__doc__ or "").strip()
    if doc and not doc.startswith(("Usage docs", "A base class")):
        schema["description"] = " ".join(doc.split("\n\n")[0].split())
    schema["properties"] = properties
    if required:
        schema["required"] = required
    schema["additionalProperties"] = False
    return schema


def _definitions() -> dict[str, Any]:
    defs = {name: _model(model) for name, model in _MODELS.items()}
    # Short forms the models accept through validators.
    _refine_fact(defs["FactSpec"])
    defs["FactSpec"] = {"anyOf": [
        {"enum": list(d.FACT_TYPES), "description": "short for `{type: ...}`"},
        defs["FactSpec"]]}
    for name in ("ParameterSpec", "RuleSpec"):
        defs[name] = {"anyOf": [dict(_EXPR, description="short for `{value: ...}`"),
                                defs[name]]}
    _refine(defs)
    defs["TargetGroupSpec"]["properties"]["criteria"] = _ref("CriteriaNode")
    defs["CriteriaNode"] = {
        "description": "`all:` or `any:` of a list of criteria, `not:` of one, or one "
                       "criterion with `id`, `title` and `when`",
        "anyOf": [
            {"type": "object", "properties": {"all": _criteria_list()}, "required": ["all"],
             "additionalProperties": False},
            {"type": "object", "properties": {"any": _criteria_list()}, "required": ["any"],
             "additionalProperties": False},
            {"type": "object", "properties": {"not": _ref("CriteriaNode")},
             "required": ["not"], "additionalProperties": False},
            _ref("Criterion"),
        ]}
    return defs


def _kinds(which: Callable[[FactKind], bool]) -> list[str]:
    """The names of the kinds of facts (values/fact_kinds.py) that ``which`` holds for."""
    return [name for name, kind in KINDS.items() if which(kind)]


def _type_is(names: list[str]) -> dict[str, Any]:
    """A fact's ``type`` is one of ``names``."""
    return {"properties": {"type": {"const": names[0]} if len(names) == 1 else
                           {"enum": names}}}


def _only_with(key: str, types: list[str]) -> dict[str, Any]:
    """``key`` belongs to facts of these types only."""
    return {"if": {"required": [key]},
            "then": {"properties": {"type": {"enum": types}}}}


def _refine_fact(fact: dict[str, Any]) -> None:
    """What FactSpec's model validator checks, as far as JSON Schema can say it."""
    fact["properties"]["values"]["anyOf"][0].update(
        uniqueItems=True, minItems=1,
        items={"type": "string", "pattern": _pattern(d.CHOICE_RE)})
    choices = _kinds(lambda k: k.choice)
    containers = _kinds(lambda k: k.container)
    periodic = _kinds(lambda k: k.periodic)
    fact["allOf"] = [
        {"if": _type_is(choices), "then": {"required": ["values"]}},
        {"if": _type_is(containers), "then": {"required": ["fields"]}},
        {"if": _type_is(periodic),
         "then": {"properties": {"fields": {"anyOf": [
             {"propertyNames": {"not": {"enum": ["from", "to", "period"]}}},
             {"type": "null"}]}}}},
        _only_with("values", choices),
        _only_with("fields", containers),
        _only_with("open_ended", periodic),
        _only_with("min", list(d.RANGED)),
        _only_with("max", list(d.RANGED)),
    ]


def _refine(defs: dict[str, Any]) -> None:
    """What the other model validators check, as far as JSON Schema can say it."""
    positive = defs["RoundingSpec"]["properties"]["unit"]
    positive["anyOf"] = [{"type": "number", "exclusiveMinimum": 0},
                         {"type": "string", "pattern": r"^0*[0-9]*\.?[0-9]*[1-9][0-9]*$"}]
    positive["description"] = "the step amounts are rounded to, e.g. 0.01 (øre); positive"
    for name, one, other in (("ParameterSpec", "value", "values"),
                             ("InvariantSpec", "check", "holds")):
        target = defs[name]["anyOf"][1] if "anyOf" in defs[name] else defs[name]
        target["oneOf"] = [{"required": [one]}, {"required": [other]}]
    defs["ParameterSpec"]["anyOf"][1]["properties"]["values"]["anyOf"][0]["minItems"] = 1
    defs["AreaSpec"]["properties"]["suppliers"]["description"] = (
        "the area's suppliers; more than one needs `selection`")
    defs["AreaSpec"]["allOf"] = [{"if": {"properties": {"suppliers": {"minItems": 2}}},
                                  "then": {"required": ["selection"]}}]
    defs["ReferralSpec"]["dependencies"] = {"aftercare": ["ends_on"],
                                            "course_ends": ["ends_on"]}
    defs["ResultSpec"]["oneOf"] = [{"required": ["amount"]}, {"required": ["tiers"]}]
    defs["PriceModelSpec"]["dependencies"] = {"weekly_price": ["partial_weeks"],
                                              "partial_weeks": ["weekly_price"]}
    defs["PriceModelSpec"]["allOf"] = [{"anyOf": [
        {"required": ["weekly_price"]}, {"required": ["payments"]},
        {"required": ["results"]}, {"required": ["bonuses"]}]}]
    # `routing`: a `priority`, or `exclusive: true` (no citizen fits two areas), not both
    defs["RoutingSpec"]["oneOf"] = [
        {"required": ["priority"]},
        {"required": ["exclusive"], "properties": {"exclusive": {"const": True}}}]
    defs["SelectionSpec"]["allOf"] = [
        {"if": {"properties": {"strategy": {"const": "nearest"}}},
         "then": {"required": ["distance"]}}]


def _criteria_list() -> dict[str, Any]:
    return {"type": "array", "items": _ref("CriteriaNode"), "minItems": 1}


def _document(defs: dict[str, Any]) -> dict[str, Any]:
    """The top-level mapping of a policy file."""

    def entries(definition: str) -> dict[str, Any]:
        return {"type": "object", "propertyNames": _IDENT,
                "additionalProperties": _ref(definition)}

    properties: dict[str, Any] = {
        "policy": _ref("PolicyHeader"),
        "include": {"anyOf": [{"type": "string"},
                              {"type": "array", "items": {"type": "string"}}]},
        "extends": {"type": "string"},
        "facts": entries("FactSpec"),
        "parameters": entries("ParameterSpec"),
        "rules": entries("RuleSpec"),
        "target_groups": entries("TargetGroupSpec"),
        "criteria": entries("Criterion"),
        "outcomes": entries("OutcomeSpec"),
        "service_areas": entries("AreaSpec"),
        "routing": _ref("RoutingSpec"),
        "course_packages": entries("PackageSpec"),
        "price_models": entries("PriceModelSpec"),
        "referral": _ref("ReferralSpec"),
        "invariants": {"type": "array", "items": _ref("InvariantSpec")},
    }
    for key, text in _SECTIONS.items():
        properties[key] = {**properties[key], "description": text}
    return {"type": "object", "properties": properties, "additionalProperties": False}


#: Keywords that require keys (dropped from the schema of a file with ``extends:``).
_REQUIRING = frozenset({"required", "oneOf", "allOf", "dependencies", "if", "then", "else"})


def _without_required(value: Any) -> Any:
    """The same schema with no key required and ``#/definitions/X`` pointing to
    ``#/definitions/partial/X`` (for a file that overrides a base policy key by key)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in _REQUIRING:
                continue
            if key == "$ref" and isinstance(item, str):
                out[key] = item.replace("#/definitions/", "#/definitions/partial/definitions/")
            else:
                out[key] = _without_required(item)
        return out
    if isinstance(value, list):
        return [_without_required(v) for v in value]
    return value


def policy_file_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of a policy file (a ``policy.yaml`` or a file it
    includes)."""
    defs = _definitions()
    document = _document(defs)
    defs["document"] = document
    defs["partial"] = {"definitions": _without_required(
        {k: v for k, v in defs.items() if k != "document"}),
        "description": "the definitions with nothing required, for a file with `extends:`"}
    defs["partial_document"] = _without_required(document)
    return {
        "$schema": _DRAFT,
        "$id": SCHEMA_ID,
        "title": "udbudsregler policy file",
        "description": "A policy of the udbudsregler policy language (docs/policy-language.md)"
                       ": a policy.yaml or a file it includes. Checks the shape of the file "
                       "(keys, kinds of values, choices, names); `udbudsregler check` checks "
                       "the rest.",
        "if": {"type": "object", "required": ["extends"]},
        "then": _ref("partial_document"),
        "else": _ref("document"),
        "definitions": defs,
    }


def render() -> str:
    """The schema as the published file's text."""
    return json.dumps(policy_file_schema(), ensure_ascii=False, indent=2) + "\n"
