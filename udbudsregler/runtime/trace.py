"""Tracing is a protocol, not logging.

A tracer says whether it is enabled; when no tracer is given, or it is not
enabled, a decision runs the generated code and does no trace work at all.
When one is enabled, the decision is evaluated by the reference interpreter,
which reports one event per named node: its kind, name, the values it read
and its value. Events carry no timings, so a trace can be a golden file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["RecordingTracer", "TraceEvent", "Tracer"]


@dataclass(frozen=True)
class TraceEvent:
    kind: str  # fact | parameter | rule | criterion | target_group | ...
    name: str
    inputs: tuple[tuple[str, Any], ...]
    output: Any


@runtime_checkable
class Tracer(Protocol):
    @property
    def enabled(self) -> bool: ...

    def event(self, event: TraceEvent) -> None: ...


@dataclass
class RecordingTracer:
    """Keeps every event, in evaluation order."""

    events: list[TraceEvent] = field(default_factory=list)
    enabled: bool = True

    def event(self, event: TraceEvent) -> None:
        self.events.append(event)

    def render(self, shown: Callable[[str, Any], str] | None = None) -> str:
        """One line per event. ``shown(name, value)`` gives the text of a value (by
        default its canonical form)."""
        from udbudsregler.values.canonical import show

        def text(name: str, value: Any) -> str:
            return shown(name, value) if shown is not None else show(value)

        lines = []
        for e in self.events:
            inputs = ", ".join(f"{k}={text(k, v)}" for k, v in e.inputs)
            reads = f"  <- {inputs}" if inputs else ""
            lines.append(f"{e.kind} {e.name} = {text(e.name, e.output)}{reads}")
        return "\n".join(lines)
