"""The one registry of fact kinds (``udbudsregler/values/fact_kinds.py``).

Two halves:

- every consumer of the kinds is held to every kind, by a policy of each kind (a fact of
  the kind; a kind of one value also as a field of a record, a list and a history): the documents
  and the policy-file schema, the checker, the fact check (the generated fast check, the
  pydantic model, its JSON Schema and its errors), the descriptions, the generated
  citizens, shrinking, diffs, the columnar backend and the SMT encoding. A kind added to
  the registry that a consumer does not know fails that kind's tests here;
- no module of the package compares a kind's *name* as a string (``spec.type == "date"``,
  ``kind in ("money", ...)``, ``case "history":``) or keeps a table keyed by the names
  (``{"bool": ..., "int": ..., ...}[spec.type]``): it asks the registry
  (``spec.kind is fact_kinds.DATE``, ``spec.kind.container``). The registry itself, and a
  few comparisons of *other* vocabularies that happen to share a word (a quantity's unit
  ``hours``, what a tender value expects), are the exceptions, listed with their reasons.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

import udbudsregler as ur
from udbudsregler.checker.check import fact_type
from udbudsregler.loader import documents
from udbudsregler.loader.documents import FactSpec, RuleSpec
from udbudsregler.runtime.inputs import TEXTS, describe
from udbudsregler.values import fact_kinds
from udbudsregler.values.canonical import to_json
from udbudsregler.values.fact_kinds import KINDS, FactKind
from udbudsregler.values.wording import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "udbudsregler"
ON = date(2021, 6, 1)
CURRENCY = "EUR"
NAMES = list(KINDS)
EVERY_KIND = pytest.mark.parametrize("name", NAMES)


# -- a policy for each kind ---------------------------------------------------------------
#
# Each kind has a policy of its own, so that a kind a consumer does not know fails that
# kind's tests only: a fact of the kind (a record, list or history with a bool field and a
# field of its own kind), and a kind that is none of those also as the field of each of
# them; a rule declared with the kind, when a rule may be.


def declaration(kind: FactKind) -> dict[str, Any]:
    decl: dict[str, Any] = {"type": kind.name}
    if kind.choice:
        decl["values"] = ["a", "b", "c"]
    if kind.container:
        flag = {"type": fact_kinds.BOOL.name}
        decl["fields"] = {"x_bool": flag,
                          f"x_{kind.name}": {"type": kind.name, "fields": {"y_bool": flag}}}
    return decl


def policy_text(name: str) -> str:
    kind = KINDS[name]
    facts = {f"f_{name}": declaration(kind)}
    if not kind.container:
        facts.update({f"f_{name}_in_{c.name}": {"type": c.name, "fields": {
            f"x_{name}": declaration(kind)}} for c in KINDS.values() if c.container})
    document = {
        "policy": {"id": f"every-{name}", "title": f"Facts of type {name}",
                   "authority": "Test",
                   "valid": {"from": date(2020, 1, 1), "to": date(2022, 12, 31)},
                   "currency": CURRENCY, "rounding": {"unit": 0.01, "mode": "half_up"}},
        "facts": facts,
        "rules": {f"r_{name}": {"type": name, "value": f"f_{name}"}} if kind.scalar else {},
        "target_groups": {"everyone": {"title": "Everyone", "criteria": {"all": [
            {"id": "always", "title": "Always", "when": "true"}]}}},
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _size(value: Any) -> int:
    if isinstance(value, list):
        return len(value) + sum(_size(v) for v in value)
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    return 0


class EveryKind:
    """The policy of each kind, loaded on first use, and a citizen of it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.policies: dict[str, ur.Policy] = {}
        self.citizens: dict[str, dict[str, Any]] = {}

    def policy(self, name: str) -> ur.Policy:
        if name not in self.policies:
            folder = self.folder / name
            folder.mkdir(exist_ok=True)
            (folder / "policy.yaml").write_text(policy_text(name), encoding="utf-8")
            self.policies[name] = ur.load_policy(folder, cache=False)
        return self.policies[name]

    def facts(self, name: str) -> dict[str, Any]:
        """Facts drawn by the generated citizens (testing/boundaries.py): for each fact,
        of the values drawn, the one with the most records."""
        from udbudsregler.testing.boundaries import sample_citizens

        if name not in self.citizens:
            policy = self.policy(name)
            drawn = sample_citizens(policy, ON, 40, seed=7)
            self.citizens[name] = {fact: max((c[fact] for c in drawn), key=_size)
                                   for fact in policy.graph.facts}
        return self.citizens[name]


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> EveryKind:
    return EveryKind(tmp_path_factory.mktemp("every-kind"))


@pytest.fixture
def policy(kinds: EveryKind, name: str) -> ur.Policy:
    return kinds.policy(name)


@pytest.fixture
def facts(kinds: EveryKind, name: str) -> dict[str, Any]:
    return kinds.facts(name)


def spec_of(policy: ur.Policy, name: str) -> FactSpec:
    return policy.graph.facts[f"f_{name}"].spec


def test_the_registry_lists_every_kind_once_in_the_documents_order() -> None:
    assert documents.FACT_TYPES == fact_kinds.NAMES == tuple(NAMES)
    assert all(KINDS[name].name == name for name in NAMES)
    assert len({id(k) for k in KINDS.values()}) == len(NAMES)
    numbers_then_dates = tuple(
        [n for n in NAMES if KINDS[n].ranged and KINDS[n].number]
        + [n for n in NAMES if KINDS[n].ranged and not KINDS[n].number])
    assert numbers_then_dates == fact_kinds.RANGED


# -- every consumer, every kind -----------------------------------------------------------


@EVERY_KIND
def test_documents(name: str) -> None:
    kind = KINDS[name]
    spec = FactSpec.model_validate(declaration(kind))
    assert spec.kind is kind
    assert (name in documents.RANGED) == kind.ranged
    assert (name in documents.RULE_TYPES) == kind.scalar
    if not kind.scalar:
        with pytest.raises(ValueError, match="type"):
            RuleSpec.model_validate({"type": name, "value": "1"})
    with pytest.raises(ValueError) if not kind.ranged else _nothing():
        FactSpec.model_validate({**declaration(kind), "min": "1"})
    with pytest.raises(ValueError) if not kind.periodic else _nothing():
        FactSpec.model_validate({**declaration(kind), "open_ended": False})
    default = {"constant": "1", "verbatim": "1", "empty": [], "none": "1"}[kind.default]
    with pytest.raises(ValueError) if kind.default == "none" else _nothing():
        FactSpec.model_validate({**declaration(kind), "default": default})
    if kind.choice:
        with pytest.raises(ValueError, match="values"):
            FactSpec.model_validate({"type": name})
    if kind.container:
        with pytest.raises(ValueError, match="fields"):
            FactSpec.model_validate({"type": name})


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@EVERY_KIND
def test_the_policy_file_schema(name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from udbudsregler.loader.file_schema import policy_file_schema

    schema = policy_file_schema()
    kind = KINDS[name]
    document = yaml.safe_load(policy_text(name))
    document["policy"]["valid"] = {"from": "2020-01-01", "to": "2022-12-31"}
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors(document))
    fact = document["facts"][f"f_{name}"]
    for key, value, belongs in (("values", ["a"], kind.choice),
                                ("fields", {"y": "bool"}, kind.container),
                                ("open_ended", False, kind.periodic),
                                ("min", 1, kind.ranged)):
        if key in fact:
            continue
        document["facts"][f"f_{name}"] = {**fact, key: value}
        assert validator.is_valid(document) == belongs, (name, key)
    document["facts"][f"f_{name}"] = {"type": name}
    assert validator.is_valid(document) == (not kind.choice and not kind.container)


@EVERY_KIND
def test_the_checker(policy: ur.Policy, name: str) -> None:
    kind = KINDS[name]
    for fact, decl in policy.graph.facts.items():
        assert decl.type == fact_type(fact, decl.spec, CURRENCY)
    if kind.scalar:  # a rule declared `type: <kind>` takes the fact of that kind
        assert policy.graph.nodes[f"r_{name}"].type == policy.graph.facts[f"f_{name}"].type


@EVERY_KIND
def test_the_fast_check(policy: ur.Policy, facts: dict[str, Any], name: str) -> None:
    assert policy.facts.fast(facts)
    assert not policy.facts.fast({**facts, f"f_{name}": {"no_such_field": [1.5]}})
    assert not policy.facts.fast({k: v for k, v in facts.items() if k != f"f_{name}"})
    assert policy.decide(facts, ON).eligible


@EVERY_KIND
def test_the_fact_model_and_its_errors(policy: ur.Policy, facts: dict[str, Any],
                                       name: str) -> None:
    kind = KINDS[name]
    spec = spec_of(policy, name)
    sent = json.loads(json.dumps(to_json(facts)))
    canonical, problems = policy.facts.check(sent)  # the slow path: the pydantic model
    assert problems == [] and canonical == facts
    _, problems = policy.facts.check({**sent, f"f_{name}": {"no_such_field": [1.5]}})
    assert problems and all(p.path.startswith(f"f_{name}") for p in problems)
    _, problems = policy.facts.check({k: v for k, v in sent.items() if k != f"f_{name}"})
    assert [(p.code, p.path, p.expected) for p in problems] == [
        ("UDB601", f"f_{name}", kind.expected(CURRENCY, spec.values or ()))]


@EVERY_KIND
def test_the_json_schema_of_the_facts(policy: ur.Policy, facts: dict[str, Any],
                                      name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = policy.fact_schema()
    validator = jsonschema.Draft202012Validator(schema)
    sent = json.loads(json.dumps(to_json(facts)))
    assert not list(validator.iter_errors(sent))
    assert not validator.is_valid({**sent, f"f_{name}": {"no_such_field": [1.5]}})
    described = schema["properties"][f"f_{name}"]["description"]
    assert described.endswith(TEXTS[policy.language][name].format(
        currency=CURRENCY, values="a, b, c"))


@EVERY_KIND
def test_the_descriptions(name: str) -> None:
    for language in LANGUAGES:
        assert describe(name, language, CURRENCY, ("a", "b")).strip()


@EVERY_KIND
def test_the_generated_citizens(policy: ur.Policy, facts: dict[str, Any], name: str) -> None:
    kind = KINDS[name]
    value = facts[f"f_{name}"]
    if kind.many:
        assert value, f"no {name} records were drawn"
        if kind.periodic:
            assert all({"from", "to"} <= set(record) for record in value)


@EVERY_KIND
def test_shrinking(policy: ur.Policy, facts: dict[str, Any], name: str) -> None:
    from udbudsregler.analysis.shrink import fact_variants, facts_cost

    specs = {n: d.spec for n, d in policy.graph.facts.items()}
    one = {f"f_{name}": facts[f"f_{name}"]}
    assert facts_cost(one, specs, ON) >= 0
    for variant in fact_variants(facts, specs, ON):
        assert policy.facts.fast(variant), variant
        assert facts_cost(variant, specs, ON) >= 0


@EVERY_KIND
def test_diffs(policy: ur.Policy, facts: dict[str, Any], name: str) -> None:
    from udbudsregler.analysis.comparison import _project

    specs = {n: d.spec for n, d in policy.graph.facts.items()}
    assert _project(facts, specs)[f"f_{name}"] == facts[f"f_{name}"]


@EVERY_KIND
def test_the_columnar_backend(policy: ur.Policy, facts: dict[str, Any], name: str) -> None:
    pa = pytest.importorskip("pyarrow")
    from udbudsregler.columnar.cells import cell_value
    from udbudsregler.columnar.table import arrow_type, arrow_value, decide_records, read_value

    spec = spec_of(policy, name)
    value = facts[f"f_{name}"]
    column = pa.array([arrow_value(value), None], type=arrow_type(spec, CURRENCY))
    _, unsure = read_value(spec, column, 0, CURRENCY, f"f_{name}")
    assert unsure[1]  # a null goes to `decide`, which refuses it
    decided = decide_records(policy, [facts, {**facts, f"f_{name}": None}], ON)
    assert decided.decisions.column("eligible").to_pylist() == [True]
    assert decided.errors.column("path").to_pylist() == [f"f_{name}"]
    assert cell_value("", spec) is None
    if isinstance(value, (list, dict)):  # records and lists are JSON in a cell
        assert cell_value(json.dumps(to_json(value)), spec) == to_json(value)


@EVERY_KIND
def test_the_smt_encoding(policy: ur.Policy, name: str) -> None:
    z3 = pytest.importorskip("z3")
    from udbudsregler.smt.domain import Citizen
    from udbudsregler.smt.symbolic import Choices, NotEncodable

    specs = {n: d.spec for n, d in policy.graph.facts.items()}
    citizen = Citizen(specs, 2, Choices(), CURRENCY)
    try:
        citizen.fact(f"f_{name}")
    except NotEncodable:  # a value no rule can compare (text, a duration): not encoded
        assert KINDS[name] in (fact_kinds.TEXT, fact_kinds.DURATION)
    solver = z3.Solver()
    solver.add(*citizen.constraints)
    assert solver.check() == z3.sat
    assert policy.facts.fast(citizen.facts(solver.model(), ON))


# -- no module compares a kind's name ----------------------------------------------------

#: Comparisons with a word that is also a kind's name, of another vocabulary: by module
#: and the other side of the comparison (as ``ast.unparse`` writes it).
OTHER_VOCABULARIES: dict[tuple[str, str], str] = {
    ("checker/tender.py", "expects"): "what a tender value expects (loader/sites.py)",
    ("checker/tender.py", "site.expects"): "what a tender value expects (loader/sites.py)",
    ("checker/tender.py", "node.unit"): "the unit of a quantity literal (`37 hours`)",
    ("checker/check.py", "unit"): "the unit of a quantity literal (`37 hours`)",
    ("checker/check.py", "node.name"): "a history record's field (`period`)",
    ("semantics/constants.py", "unit"): "the unit of a quantity literal (`37 hours`)",
    ("expr/parser.py", "unit"): "the unit of a quantity literal (`37 hours`)",
    ("replay.py", "data"): "the `record` key of a decision record",
}
#: Tables keyed by the kinds' names: by module and the name they are assigned to.
NAMED_TABLES: dict[tuple[str, str], str] = {
    ("runtime/inputs.py", "TEXTS"): "the sentence describing each kind, in each language",
    ("checker/tender.py", "_EXPECTS"): "what a tender value expects (loader/sites.py)",
}
REGISTRY = "values/fact_kinds.py"


def _kind_names(node: ast.expr) -> list[str]:
    """The kinds' names ``node`` is: a string, or a tuple, list or set of strings that
    are all kinds' names."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if node.value in KINDS else []
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts:
        words = [e.value for e in node.elts
                 if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if len(words) == len(node.elts) and all(w in KINDS for w in words):
            return words
    return []


def _owners(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    """Each node with the name of the module-level statement it is part of (the target
    of an assignment, or a function's or class's name)."""
    for statement in tree.body:
        owner = ""
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            owner = statement.name
        elif isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            owner = statement.targets[0].id
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            owner = statement.target.id
        for node in ast.walk(statement):
            yield owner, node


def kind_name_uses(source: str, module: str) -> Iterator[tuple[str, tuple[str, str] | None]]:
    """Where ``source`` compares a kind's name as a string or keys a table by the names:
    ``line: text`` for each, with the key of :data:`OTHER_VOCABULARIES` or
    :data:`NAMED_TABLES` that excuses it (None: nothing does)."""
    tree = ast.parse(source)
    for owner, node in _owners(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for i, operand in enumerate(operands):
                if _kind_names(operand):
                    others = [(module, ast.unparse(o)) for j, o in enumerate(operands) if j != i]
                    excused = all(o in OTHER_VOCABULARIES for o in others)
                    yield f"{node.lineno}: {ast.unparse(node)}", others[0] if excused else None
                    break
        elif isinstance(node, ast.Match):
            subject = (module, ast.unparse(node.subject))
            for case in node.cases:
                if any(_kind_names(p.value) for p in ast.walk(case.pattern)
                       if isinstance(p, ast.MatchValue)):
                    yield (f"{case.pattern.lineno}: case {ast.unparse(case.pattern)} (match "
                           f"{subject[1]})", subject if subject in OTHER_VOCABULARIES else None)
        else:
            if isinstance(node, ast.Dict):
                keys = [w for k in node.keys if k is not None for w in _kind_names(k)]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == "dict":
                keys = [k.arg for k in node.keywords if k.arg in KINDS]
            else:
                continue
            if len(keys) >= 3:
                table = (module, owner)
                yield (f"{node.lineno}: a table keyed by the kinds' names {', '.join(keys)} "
                       f"(in {owner or 'the module'})", table if table in NAMED_TABLES else None)


def comparisons_of_kind_names(source: str, module: str) -> list[str]:
    """The uses of kinds' names in ``source`` that nothing excuses."""
    return [where for where, excuse in kind_name_uses(source, module) if excuse is None]


def _package() -> Iterator[tuple[str, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module != REGISTRY:
            yield module, path.read_text("utf-8")


def test_no_module_compares_a_kind_by_its_name() -> None:
    found = [f"udbudsregler/{module}:{where}" for module, source in _package()
             for where in comparisons_of_kind_names(source, module)]
    assert not found, (
        "compare the kind (values/fact_kinds.py: `spec.kind is fact_kinds.DATE`, "
        "`spec.kind.container`), not its name:\n" + "\n".join(found))


def test_every_exception_is_still_needed() -> None:
    used = {excuse for module, source in _package()
            for _, excuse in kind_name_uses(source, module)}
    assert set(OTHER_VOCABULARIES) | set(NAMED_TABLES) <= used, (
        "no longer needed: " + ", ".join(map(str, (set(OTHER_VOCABULARIES) | set(NAMED_TABLES))
                                          - used)))


@pytest.mark.parametrize("code", [
    'def f(spec):\n    return spec.type == "date"\n',
    'def f(spec):\n    return spec.type in ("list", "history")\n',
    'def f(t):\n    if "money" != t:\n        return 1\n',
    'def f(kind):\n    match kind:\n        case "record":\n            return 1\n',
    'def f(spec):\n    return {"bool": 1, "int": 2, "text": 3}[spec.type]\n',
    'def f(spec):\n    return dict(bool=1, int=2, decimal=3).get(spec.type)\n',
])
def test_the_scan_finds_a_comparison_of_a_kind_name(code: str) -> None:
    assert comparisons_of_kind_names(code, "runtime/facts.py")


@pytest.mark.parametrize("code", [
    'def f(spec):\n    return spec.kind is fact_kinds.DATE\n',
    'def f(spec):\n    return spec.kind.container and not spec.kind.many\n',
    'def f(name):\n    return name in ("to", "period")\n',  # not every word is a kind
    'def f(unit):\n    return unit == "hours"\n',  # a unit, where units are compared
])
def test_the_scan_lets_the_registry_be_asked(code: str) -> None:
    assert not comparisons_of_kind_names(code, "checker/check.py")
