"""The compile pipeline as a public, ordered list of named stages.

``STAGES`` is the single definition of the pipeline; tools and tests run a
prefix of it (``udbudsregler check --stop-after parse``). Each stage reads the
results of the earlier ones from a :class:`CompileState` and adds its own; it
reports mistakes in the state's diagnostic bag and goes on where it can, so a
policy's mistakes are all reported at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from udbudsregler.checker.check import CheckedPolicy
from udbudsregler.checker.graph import RuleGraph, build_graph
from udbudsregler.checker.tender import check_policy
from udbudsregler.codegen.generate import GeneratedCode, generate
from udbudsregler.diagnostics import DiagnosticBag
from udbudsregler.expr.collect import ParsedPolicy, parse_policy
from udbudsregler.loader import Limits, LoadedSource
from udbudsregler.loader.extends import Override, load_source
from udbudsregler.loader.validate import PolicyDocument, validate_document

__all__ = ["STAGES", "STAGE_NAMES", "CompileState", "Stage", "run_stages"]


@dataclass
class CompileState:
    """What the stages have produced so far for one policy."""

    path: Path
    bag: DiagnosticBag = field(default_factory=DiagnosticBag)
    limits: Limits = field(default_factory=Limits)
    source: LoadedSource | None = None
    #: For a policy that extends another: what it overrides, by path.
    overrides: dict[tuple[str | int, ...], Override] = field(default_factory=dict)
    document: PolicyDocument | None = None
    parsed: ParsedPolicy | None = None
    graph: RuleGraph | None = None
    checked: CheckedPolicy | None = None
    code: GeneratedCode | None = None
    #: The name of the last stage that ran.
    reached: str | None = None


@dataclass(frozen=True)
class Stage:
    name: str
    summary: str
    #: Runs the stage; returns False when the later stages cannot run.
    run: Callable[[CompileState], bool]


def _load(state: CompileState) -> bool:
    loaded = load_source(state.path, state.bag, state.limits)
    if loaded is None:
        return False
    state.source, state.overrides = loaded
    return True


def _validate(state: CompileState) -> bool:
    assert state.source is not None
    state.document = validate_document(state.source, state.bag)
    state.document.overrides = state.overrides
    return True


def _parse(state: CompileState) -> bool:
    assert state.document is not None
    state.parsed = parse_policy(state.document, state.bag)
    return True


def _graph(state: CompileState) -> bool:
    assert state.parsed is not None
    state.graph = build_graph(state.parsed, state.bag)
    return True


def _check(state: CompileState) -> bool:
    assert state.parsed is not None and state.graph is not None
    state.checked = check_policy(state.parsed, state.graph, state.bag)
    return True


def _codegen(state: CompileState) -> bool:
    if state.bag.has_errors:
        return False
    assert state.checked is not None and state.document is not None
    header = state.document.header
    assert header is not None
    state.code = generate(state.checked, header.month_end or "clamp")
    return True


STAGES: tuple[Stage, ...] = (
    Stage("load", "read the YAML files, keeping the position of every node", _load),
    Stage("validate", "check the shape of each section and entry", _validate),
    Stage("parse", "parse every expression", _parse),
    Stage("graph", "build the rule graph; reject cycles; warn about unused definitions",
          _graph),
    Stage("check", "resolve names and check types", _check),
    Stage("codegen", "compile the rule graph to Python functions", _codegen),
)
STAGE_NAMES: tuple[str, ...] = tuple(s.name for s in STAGES)


def run_stages(path: str | Path, stop_after: str | None = None,
               limits: Limits | None = None) -> CompileState:
    """Run the stages in order, up to and including ``stop_after`` (all by default)."""
    if stop_after is not None and stop_after not in STAGE_NAMES:
        raise ValueError(f"unknown stage {stop_after!r}; the stages are {', '.join(STAGE_NAMES)}")
    state = CompileState(Path(path), limits=limits or Limits())
    for stage in STAGES:
        state.reached = stage.name
        if not stage.run(state) or stage.name == stop_after:
            break
    return state
