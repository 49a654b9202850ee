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

from udbudsregler.checker.graph import RuleGraph as NameGraph
from udbudsregler.checker.graph import build_graph
from udbudsregler.checker.tender import check_policy
from udbudsregler.codegen.generate import GeneratedCode, generate
from udbudsregler.diagnostics import DiagnosticBag
from udbudsregler.expr.collect import ParsedPolicy, parse_policy
from udbudsregler.ir.graph import RuleGraph
from udbudsregler.loader import Limits, LoadedSource
from udbudsregler.loader.extends import Override, load_source
from udbudsregler.loader.validate import PolicyDocument, validate_document
from udbudsregler.lower import lower_graph

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
    names: NameGraph | None = None
    #: The typed rule graph (stage ``check``).
    checked: RuleGraph | None = None
    #: The rule graph with every operation a primitive (stage ``lower``).
    lowered: RuleGraph | None = None
    code: GeneratedCode | None = None
    #: The name of the last stage that ran.
    reached: str | None = None


@dataclass(frozen=True)
class Stage:
    name: str
    summary: str
    #: What the stage produces, as a tool would show it.
    produces: str
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
    state.names = build_graph(state.parsed, state.bag)
    return True


def _check(state: CompileState) -> bool:
    assert state.parsed is not None and state.names is not None
    state.checked = check_policy(state.parsed, state.names, state.bag)
    return state.checked is not None


def _lower(state: CompileState) -> bool:
    if state.bag.has_errors:
        return False
    assert state.checked is not None
    state.lowered = lower_graph(state.checked)
    return True


def _codegen(state: CompileState) -> bool:
    assert state.lowered is not None
    header = state.lowered.header
    state.code = generate(state.lowered, header.month_end or "clamp",
                          state.limits.evaluation_steps)
    return True


STAGES: tuple[Stage, ...] = (
    Stage("load", "read the YAML files, keeping the position of every node",
          "plain data with a position for every node (LoadedSource)", _load),
    Stage("validate", "check the shape of each section and entry",
          "the validated document (PolicyDocument)", _validate),
    Stage("parse", "parse every expression",
          "an expression tree for every expression (ParsedPolicy)", _parse),
    Stage("graph", "build the graph of names; reject cycles; warn about unused definitions",
          "the names, what each refers to, their order (checker.graph)", _graph),
    Stage("check", "resolve names and check types; lower the tender sections into the graph",
          "the typed rule graph (ir.RuleGraph)", _check),
    Stage("lower", "choose the primitive operation of every operator, call and field",
          "the lowered rule graph (ir.RuleGraph, lowered)", _lower),
    Stage("codegen", "compile the rule graph to Python functions",
          "Python functions for every node (GeneratedCode)", _codegen),
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
