"""The package is layered: no import cycles between files, and no import from a lower
stage to a higher one.

Every ``import`` statement counts, wherever it is: at the top of a module, inside a
function, or under ``if TYPE_CHECKING:``; a module that needs a higher one's type takes a
protocol of its own instead. The tiers, from the bottom:

0. ``values`` (dates, periods, durations, money) and ``diagnostics``: no project imports
   beyond each other;
1. ``loader``: YAML, includes, ``extends:``, the document models;
2. ``expr``: the expression grammar, AST, printer, and the parse stage;
3. ``semantics``: types, typing rules, the function library, run-time operations;
4. ``ir``: the typed rule graph;
5. ``checker``: names, types, the graph: produces the IR;
6. ``lower``: operator choices made explicit;
7. ``codegen``: the IR compiled to Python;
8. ``runtime``: evaluation, decisions, routing, settlement, explanations;
9. the facade: ``udbudsregler`` itself, ``policy``, ``stages``, ``cache``, ``replay``;
10. the tools: ``testing``, ``analysis``, ``smt`` (the SMT analysis), ``service``, ``cli``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "udbudsregler"

TIERS: dict[str, int] = {
    "values": 0, "diagnostics": 0, "version": 0,
    "loader": 1,
    "expr": 2,
    "semantics": 3,
    "ir": 4,
    "checker": 5,
    "lower": 6,
    "codegen": 7,
    "runtime": 8,
    "columnar": 9,
    "__init__": 10, "policy": 10, "stages": 10, "cache": 10, "replay": 10,
    "testing": 11, "analysis": 11, "smt": 11, "service": 11, "pictures": 11, "cli": 11,
    "__main__": 11,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def tier(module: str) -> int:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "__init__"
    assert key in TIERS, f"{module} is in no tier: add its package to TIERS"
    return TIERS[key]


def imports(module: str, path: Path, known: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """The project modules ``module`` imports, with the line of each import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if not base.startswith("udbudsregler"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in known:
                    yield sub, node.lineno
                elif base in known:
                    yield base, node.lineno


def graph() -> dict[str, dict[str, int]]:
    known = modules()
    out: dict[str, dict[str, int]] = {}
    for module, path in known.items():
        edges = out.setdefault(module, {})
        for target, line in imports(module, path, known):
            if target != module:
                edges.setdefault(target, line)
    return out


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(edges[child])))
                    break
                if child in on:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_every_module_has_a_tier() -> None:
    for module in modules():
        tier(module)


def test_no_import_cycles_between_files() -> None:
    found = cycles(graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_import_from_a_lower_stage_to_a_higher_one() -> None:
    upward = []
    known = modules()
    for module, edges in graph().items():
        for target, line in edges.items():
            if tier(target) > tier(module):
                where = known[module].relative_to(PACKAGE.parent)
                upward.append(f"{where}:{line}: {module} (tier {tier(module)}) imports "
                              f"{target} (tier {tier(target)})")
    assert not upward, "imports from a lower stage to a higher one:\n" + "\n".join(upward)


def test_values_import_nothing_of_the_project_but_values() -> None:
    for module, edges in graph().items():
        if module.startswith("udbudsregler.values"):
            others = [t for t in edges if not t.startswith("udbudsregler.values")]
            assert not others, f"{module} imports {others}"


def test_the_version_is_the_package_version() -> None:
    import tomllib

    from udbudsregler.version import __version__

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["version"] == __version__


def test_the_checker_detects_a_planted_cycle_and_upward_import() -> None:
    """The test itself can fail: a cycle and an upward edge added by hand are found."""
    edges = graph()
    planted = {k: dict(v) for k, v in edges.items()}
    planted["udbudsregler.values.money"]["udbudsregler.values.temporal"] = 1
    planted["udbudsregler.values.temporal"]["udbudsregler.values.money"] = 1
    assert ["udbudsregler.values.money", "udbudsregler.values.temporal"] in cycles(planted)
    assert tier("udbudsregler.cli.main") > tier("udbudsregler.values.money")
