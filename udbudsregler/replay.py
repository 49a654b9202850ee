"""Replay a stored decision or settlement record with a freshly loaded policy.

::

    record = decision.to_dict()              # stored as JSON by the host
    ...
    result = ur.replay(record, "policies/koebenhavn-2024")
    result.same                              # True: the same decision, field by field
    result.differences                       # else: every field that differs, by its path
    result.decision                          # the decision made again

A replay reads the inputs the record holds (facts, order, supplier state and date; or
referral, outcomes and dates), makes the same call with the policy it is given, builds
the record of the new result in the same form (compact or full) and compares the two
field by field. A record whose policy files have changed since (another content hash)
is replayed all the same, and the changed hash is the first difference; a record made
by another version of the library is replayed too, and ``library_changed`` says so
(the version alone is not a difference). The decision date's validity is not checked
again: a record's decision was made, so its date was valid then.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from udbudsregler.diagnostics import FactError, FactProblem
from udbudsregler.policy import Policy, load_policy
from udbudsregler.runtime.decision import Decision
from udbudsregler.runtime.records import RECORD_FORMAT
from udbudsregler.runtime.settlement import Settlement

__all__ = ["Difference", "Replay", "replay"]

#: Keys a record of each kind must have, with what each must be.
_REQUIRED: dict[str, tuple[tuple[str, type | tuple[type, ...], str], ...]] = {
    "decision": (("policy", dict, "a mapping"), ("on", str, "a date (YYYY-MM-DD)"),
                 ("facts", dict, "a mapping")),
    "settlement": (("policy", dict, "a mapping"), ("referral", dict, "a mapping"),
                   ("since", str, "a date (YYYY-MM-DD)"),
                   ("until", str, "a date (YYYY-MM-DD)")),
}
#: Fields that are not part of what a replay compares.
_NOT_COMPARED = frozenset({"library_version"})


@dataclass(frozen=True)
class Difference:
    """A field of the record whose replayed value differs: its path
    (``reasons[3].met``), the recorded value and the replayed value (JSON; ``None``
    where the field is missing on that side)."""

    path: str
    recorded: Any
    replayed: Any

    def render(self) -> str:
        return (f"{self.path}: recorded {json.dumps(self.recorded, ensure_ascii=False)}, "
                f"replayed {json.dumps(self.replayed, ensure_ascii=False)}")

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "recorded": self.recorded, "replayed": self.replayed}


@dataclass(frozen=True)
class Replay:
    """The result of :func:`replay`."""

    kind: Literal["decision", "settlement"]
    #: The record as stored.
    record: dict[str, Any]
    #: The record of the replayed result, in the same form (compact or full).
    replayed: dict[str, Any]
    #: The result made again: a :class:`Decision` or a :class:`Settlement`.
    result: Decision | Settlement
    #: Every field that differs, in the record's order.
    differences: tuple[Difference, ...]
    #: The record was made by another version of the library.
    library_changed: bool

    @property
    def same(self) -> bool:
        """Whether the replay reproduced the record exactly (every field but the library
        version)."""
        return not self.differences

    @property
    def policy_changed(self) -> bool:
        """Whether the policy's files differ from those the record was made with."""
        return any(d.path == "policy.content_hash" for d in self.differences)

    @property
    def decision(self) -> Decision:
        """The decision made again (for a decision record)."""
        if not isinstance(self.result, Decision):
            raise TypeError("this is the replay of a settlement record: see `.settlement`")
        return self.result

    @property
    def settlement(self) -> Settlement:
        """The settlement made again (for a settlement record)."""
        if not isinstance(self.result, Settlement):
            raise TypeError("this is the replay of a decision record: see `.decision`")
        return self.result

    def render(self) -> str:
        """A short report: the same, or each difference on a line."""
        what = f"{self.kind} record of {self.record['policy'].get('id')}"
        if self.same:
            text = f"{what}: replayed, the same"
        else:
            n = len(self.differences)
            text = (f"{what}: replayed, {n} difference{'s' if n != 1 else ''}:\n"
                    + "\n".join(f"  {d.render()}" for d in self.differences))
        if self.library_changed:
            text += (f"\n  (recorded with udbudsregler {self.record.get('library_version')}, "
                     f"replayed with {self.replayed['library_version']})")
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "same": self.same,
                "differences": [d.to_dict() for d in self.differences],
                "library_changed": self.library_changed,
                "recorded_library_version": self.record.get("library_version"),
                "replayed_library_version": self.replayed["library_version"]}


def replay(record: Mapping[str, Any] | str | bytes, policy: Policy | str | Path, *,
           cache: bool = True) -> Replay:
    """Make a recorded decision or settlement again and compare it with the record.

    ``record`` is what ``Decision.to_dict()`` or ``Settlement.to_dict()`` gave (either
    form), as a mapping or as JSON text. ``policy`` is a loaded policy, or the path of
    its file or folder, loaded with :func:`load_policy` (``cache=False`` compiles it
    afresh). Raises :class:`FactError` (paths under ``record``) if the record is not a
    record, is of an unknown format, or was made by a policy with another id; a
    record whose inputs no longer fit the policy raises the policy's own FactError.
    """
    data = _record(record)
    kind: Literal["decision", "settlement"] = data["record"]
    loaded = policy if isinstance(policy, Policy) else load_policy(policy, cache=cache)
    recorded_id = data["policy"].get("id")
    if recorded_id != loaded.id:
        raise FactError([FactProblem(
            "UDB605", "record.policy.id", f"the record was made by the policy `{recorded_id}`, "
            f"not by `{loaded.id}`", hint="replay the record with the policy that made it")])
    compact = "reasons" not in data if kind == "decision" else _compact_settlement(data)
    result: Decision | Settlement
    if kind == "decision":
        result = loaded.decide(data["facts"], data["on"], order=data.get("order"),
                               suppliers=data.get("suppliers"), ignore_validity=True)
    else:
        result = loaded.settle(data["referral"], data.get("outcomes"), until=data["until"],
                               since=data["since"], ignore_validity=True)
    again = result.to_dict(compact=compact)
    differences = tuple(_differences(data, again, ""))
    return Replay(kind, data, again, result, differences,
                  data.get("library_version") != again["library_version"])


def _compact_settlement(data: Mapping[str, Any]) -> bool:
    """A settlement record is compact when no line has details (a full record's bonus
    lines name the bonus's title)."""
    lines = data.get("lines")
    if not isinstance(lines, list):
        return False
    return not any(isinstance(line, dict) and "details" in line for line in lines)


def _record(record: Mapping[str, Any] | str | bytes) -> dict[str, Any]:
    """The record as a dict, its shape checked (FactError with paths under ``record``)."""
    if isinstance(record, (str, bytes)):
        from udbudsregler.runtime.inputs import read_json

        text = record.decode("utf-8") if isinstance(record, bytes) else record
        try:
            record = read_json(text, "record")
        except json.JSONDecodeError as error:
            raise FactError([FactProblem("UDB602", "record", f"not valid JSON: {error.msg} "
                                         f"(line {error.lineno}, column {error.colno})")]
                            ) from None
    if not isinstance(record, Mapping):
        raise FactError([FactProblem("UDB602", "record", "a record is a mapping (what "
                                     "`to_dict()` gave)")])
    data = dict(record)
    kind = data.get("record")
    if kind not in _REQUIRED:
        raise FactError([FactProblem(
            "UDB602" if "record" in data else "UDB601", "record.record",
            "a record says `record: decision` or `record: settlement`; this one does not",
            hint="replay what `Decision.to_dict()` or `Settlement.to_dict()` gave")])
    problems: list[FactProblem] = []
    if data.get("format") != RECORD_FORMAT:
        problems.append(FactProblem(
            "UDB602", "record.format", f"records of format {RECORD_FORMAT} can be replayed; "
            f"this one has format {json.dumps(data.get('format'))}"))
    for key, kinds, what in _REQUIRED[kind]:
        if key not in data:
            problems.append(FactProblem("UDB601", f"record.{key}", f"missing (expected {what})"))
        elif not isinstance(data[key], kinds):
            problems.append(FactProblem("UDB602", f"record.{key}", f"expected {what}"))
    if problems:
        raise FactError(problems)
    return data


def _differences(recorded: Any, replayed: Any, path: str) -> list[Difference]:
    """Every leaf where the two JSON values differ, with its path."""
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        out: list[Difference] = []
        for key in [*recorded, *(k for k in replayed if k not in recorded)]:
            if not path and key in _NOT_COMPARED:
                continue
            sub = f"{path}.{key}" if path else str(key)
            if key not in replayed:
                out.append(Difference(sub, recorded[key], None))
            elif key not in recorded:
                out.append(Difference(sub, None, replayed[key]))
            else:
                out += _differences(recorded[key], replayed[key], sub)
        return out
    if isinstance(recorded, list) and isinstance(replayed, list):
        out = []
        for i in range(max(len(recorded), len(replayed))):
            sub = f"{path}[{i}]"
            if i >= len(recorded):
                out.append(Difference(sub, None, replayed[i]))
            elif i >= len(replayed):
                out.append(Difference(sub, recorded[i], None))
            else:
                out += _differences(recorded[i], replayed[i], sub)
        return out
    if recorded == replayed and type(recorded) is type(replayed):
        return []
    return [Difference(path, recorded, replayed)]
