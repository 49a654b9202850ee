"""The OpenAPI document of the service, built from the served policies' input schemas.

Besides the generic routes (``/policies/{policy_id}/decide`` ...), every served policy
gets its own paths (``/policies/slagelse-2019/decide`` ...) whose request bodies are made
of that policy's JSON Schemas (facts, order, supplier state, referral, outcomes: the
schemas of ``Policy.json_schema``, with the policy's ids, titles and descriptions). The
schemas' own definitions (``$defs``) move to ``components/schemas`` under the policy's
id and the input's kind (``slagelse-2019.facts.Benefits``), so every ``$ref`` resolves in
the document. The document is rebuilt when a policy is reloaded.
"""

from __future__ import annotations

from typing import Any

from udbudsregler.policy import Policy
from udbudsregler.service.problems import MEDIA_TYPE
from udbudsregler.values.wording import LANGUAGES

__all__ = ["add_policies", "problem_schema"]

_DATE = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


def problem_schema() -> dict[str, Any]:
    """The schema of a problem details object (RFC 9457) as the service writes it."""
    return {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "format": "uri-reference"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {"type": "array", "items": {
                "type": "object", "required": ["code", "path", "message", "hint"],
                "properties": {
                    "code": {"type": "string", "pattern": "^UDB[0-9]{3}$"},
                    "path": {"type": "string", "description": "the library's path of the "
                             "field: `offers[0].from`, `order.weekly_hours`, `on`"},
                    "pointer": {"type": "string", "description": "JSON Pointer into the "
                                "request body: `/facts/offers/0/from`"},
                    "message": {"type": "string"},
                    "hint": {"type": "string"},
                    "expected": {"type": "string"},
                }}},
        },
    }


def _hoist(schema: dict[str, Any], prefix: str,
           components: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` moved to ``components`` as ``prefix.Name``."""
    defs = schema.get("$defs", {})

    def fix(value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if key == "$ref" and isinstance(item, str) and item.startswith("#/$defs/"):
                    out[key] = f"#/components/schemas/{prefix}.{item[len('#/$defs/'):]}"
                elif key not in ("$defs", "$schema"):
                    out[key] = fix(item)
            return out
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    for name, definition in defs.items():
        components[f"{prefix}.{name}"] = fix(definition)
    return fix(schema)  # type: ignore[no-any-return]


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(name: str) -> dict[str, Any]:
    return {"anyOf": [_ref(name), {"type": "null"}]}


def _operation(summary: str, body: dict[str, Any], result: str, tag: str) -> dict[str, Any]:
    problem = {"content": {MEDIA_TYPE: {"schema": _ref("Problem")}}}
    return {"post": {
        "tags": [tag], "summary": summary,
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {"200": {"description": result,
                              "content": {"application/json": {"schema": {"type": "object"}}}},
                      "400": {"description": "the body is not JSON", **problem},
                      "404": {"description": "no such policy", **problem},
                      "413": {"description": "the body is too large", **problem},
                      "422": {"description": "the input does not fit the policy (every "
                                             "problem, with its path)", **problem}}}}


def add_policies(document: dict[str, Any], policies: list[Policy]) -> dict[str, Any]:
    """The OpenAPI document with a path per served policy and operation."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = problem_schema()
    paths = document.setdefault("paths", {})
    for policy in policies:
        pid = policy.id
        for kind, schema in policy.schemas().items():
            components[f"{pid}.{kind}"] = _hoist(schema, f"{pid}.{kind}", components)
        compact = {"type": "boolean", "default": False,
                   "description": "ids and codes only (no titles, no reasons)"}
        decide: dict[str, Any] = {"type": "object", "additionalProperties": False,
                  "required": ["facts", "on"],
                  "properties": {"facts": _ref(f"{pid}.facts"), "on": _DATE,
                                 "order": _nullable(f"{pid}.order"),
                                 "suppliers": _nullable(f"{pid}.suppliers"),
                                 "compact": compact}}
        settle: dict[str, Any] = {"type": "object", "additionalProperties": False,
                  "required": ["referral", "until"],
                  "properties": {"referral": _ref(f"{pid}.referral"),
                                 "outcomes": _nullable(f"{pid}.outcomes"),
                                 "until": _DATE, "since": {"anyOf": [_DATE, {"type": "null"}]},
                                 "compact": compact}}
        language = {"enum": list(LANGUAGES), "description": "default: the policy's language "
                    f"({policy.language})"}
        explain = {"anyOf": [
            {**decide, "properties": {**decide["properties"], "language": language}},
            {**settle, "properties": {**settle["properties"], "language": language}}]}
        components[f"{pid}.decide"] = decide
        components[f"{pid}.settle"] = settle
        components[f"{pid}.explain"] = explain
        tag = f"{pid}: {policy.title}"
        base = f"/policies/{pid}"
        paths[f"{base}/decide"] = _operation(
            "Decide for a citizen: eligibility, target groups, area, supplier, package",
            _ref(f"{pid}.decide"), "the decision record (Decision.to_dict)", tag)
        paths[f"{base}/settle"] = _operation(
            "Settle a referral: the payment up to a date, line by line",
            _ref(f"{pid}.settle"), "the settlement record (Settlement.to_dict)", tag)
        paths[f"{base}/explain"] = _operation(
            "The reasons of a decision (facts) or a settlement (referral), as text",
            _ref(f"{pid}.explain"), "{language, text, record}", tag)
        paths[f"{base}/schema"] = {"get": {
            "tags": [tag], "summary": "The JSON Schemas of the policy's inputs",
            "responses": {"200": {"description": "{facts, order, suppliers, referral, "
                                                 "outcomes}",
                                  "content": {"application/json": {"schema": {
                                      "type": "object"}}}}}}}
    return document
