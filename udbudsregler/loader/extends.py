"""Policies derived from a previous round: ``extends:``.

A derived policy names its base with ``extends: ../slagelse-2019`` and
overrides what changes in the new round:

- ``policy:`` keys replace the base's (a derived policy gives its own id,
  title and validity);
- entries of ``facts``, ``parameters`` and ``rules`` replace the base's entry
  of the same name, or add a new one;
- entries of ``target_groups``, ``outcomes``, ``service_areas``,
  ``course_packages`` and ``price_models`` are merged key by key with the
  base's entry of the same name (``aktivitetsparate_over_30: {title: ...}``
  keeps the base's criteria), or added; a price model's ``payments``,
  ``results``, ``caps`` and each result's ``tiers`` merge deeper, entry by entry
  and key by key, so ``results: {job: {tiers: {fast: {amount: ...}}}}`` changes
  one tier and keeps the others; ``null`` for a payment, result or tier removes
  it;
- ``routing`` and ``referral`` keys replace the base's;
- ``criteria:`` overrides single criteria of the base's target groups by id,
  key by key (``over_30: {title: Over 25 år}`` keeps the base's ``when``).

Every override is recorded, so a decision's explanation can cite the rule of
the base policy it replaced. The result is checked like any other policy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from udbudsregler.diagnostics import DiagnosticBag, Span, did_you_mean
from udbudsregler.loader.includes import (
    MAIN_FILE,
    LoadedSource,
    _holds,
    _resolve,
    display_path,
    load_policy_source,
)
from udbudsregler.loader.locate import NodeInfo, NodePath, PositionMap
from udbudsregler.loader.yaml_loader import DEFAULT_LIMITS, Limits

__all__ = ["ENTRY_SECTIONS", "Override", "load_source", "policy_root"]

ENTRY_SECTIONS = ("facts", "parameters", "rules", "target_groups", "outcomes", "service_areas",
                  "course_packages", "price_models")
#: Entry sections whose entries are merged key by key rather than replaced.
MERGED_ENTRIES = ("target_groups", "outcomes", "service_areas", "course_packages",
                  "price_models")
KEY_SECTIONS = ("policy", "routing", "referral")
_EXTENDS = "extends"
_CRITERIA = "criteria"
#: The top-level keys a policy file may have (`loader.validate.SECTIONS`, `include`,
#: `extends` and `criteria`): a base with other keys is not shown (issue 12, item 21).
_POLICY_KEYS = frozenset({*ENTRY_SECTIONS, *KEY_SECTIONS, "invariants", "include", _EXTENDS,
                          _CRITERIA})


@dataclass(frozen=True)
class Override:
    """An entry of a derived policy that replaces one of its base."""

    #: The base policy's id (from its `policy.id`), or its folder name.
    base: str
    #: Where the replaced definition is, e.g. ``maalgruppe.yaml:57``.
    at: str
    span: Span | None


@dataclass(frozen=True)
class _Derived:
    source: LoadedSource
    overrides: dict[NodePath, Override] = field(default_factory=dict)


def load_source(
    path: str | Path, bag: DiagnosticBag, limits: Limits = DEFAULT_LIMITS,
) -> tuple[LoadedSource, dict[NodePath, Override]] | None:
    """Load a policy with its includes and, if it has one, the base it extends.

    A base must be inside the policy root (:func:`policy_root`), be a policy folder or
    a ``.yaml`` file, and be a policy (have a ``policy:`` section): a path to any other
    file is refused without showing anything of what it holds (issue 12, item 21).
    """
    given = Path(path)
    derived, _ = _load(given, bag, limits, (), policy_root(given, limits))
    if derived is None:
        return None
    return derived.source, derived.overrides


def policy_root(path: Path, limits: Limits = DEFAULT_LIMITS) -> Path:
    """The folder the bases of the policy at ``path`` must be inside.

    ``limits.policy_root`` when set; otherwise the top of the checkout the policy is in
    (the nearest folder above the policy's folder that holds `.git`), and outside a
    checkout the folder that holds the policy's folder, so that `extends: ../round-2019`
    works for rounds kept side by side.
    """
    if limits.policy_root is not None:
        return _resolve(Path(limits.policy_root))
    folder = _resolve(path if _holds(path.is_dir) else path.parent)
    above = folder.parent
    for candidate in (above, *above.parents):
        if _holds((candidate / ".git").exists):
            return candidate
    return above


#: The longest chain of policies extending one another (a new round extends the last).
MAX_EXTENDS = 32
_BASE_HINT = "the path is relative to the folder of the derived policy, e.g. `../slagelse-2019`"


def _load(path: Path, bag: DiagnosticBag, limits: Limits, chain: tuple[Path, ...],
          root: Path) -> tuple[_Derived | None, bool]:
    """The policy at ``path`` laid over its bases, and whether its own files make a policy
    (they loaded, with a `policy:` section), which a derived policy needs to show their
    mistakes."""
    source = load_policy_source(path, bag, limits)
    if source is None:
        return None, False
    keys = set(source.data)
    is_policy = bool(keys & {"policy", _EXTENDS}) and keys <= _POLICY_KEYS
    return _extend(source, bag, limits, chain, root), is_policy


def _extend(source: LoadedSource, bag: DiagnosticBag, limits: Limits, chain: tuple[Path, ...],
            root: Path) -> _Derived | None:
    if _EXTENDS not in source.data:
        if _CRITERIA in source.data:
            info = source.positions.get((_CRITERIA,))
            bag.error("UDB115", "`criteria:` overrides criteria of a base policy, but this "
                      "policy extends none", info.key_span if info else None,
                      "add `extends: PATH` naming the base policy, or move the criteria into "
                      "`target_groups`")
            del source.data[_CRITERIA]  # reported here; not again as an unknown section
        return _Derived(source)
    ref = source.data[_EXTENDS]
    info = source.positions.get((_EXTENDS,))
    span = info.span if info else None
    if not isinstance(ref, str) or not ref.strip():
        bag.error("UDB203", "`extends` takes the path of the base policy", span,
                  "write e.g. `extends: ../slagelse-2019`")
        return None
    main = _base_main(ref, source.root, root, bag, span)
    if main is None:
        return None
    here = (*chain, source.files[0].path)
    if len(here) > MAX_EXTENDS:
        bag.error("UDB116", f"policies extend each other more than {MAX_EXTENDS} levels deep",
                  span, "let a new round extend the round before it, not a long chain of them")
        return None
    if main in here:
        cycle = [*here[here.index(main):], main]
        names = " -> ".join(_relative(item, here[0].parent) for item in cycle)
        bag.error("UDB108", f"policies extend each other in a cycle: `{names}`", span,
                  "remove the `extends:` of one of the policies in the cycle")
        return None
    base_bag = DiagnosticBag()
    base, is_policy = _load(main, base_bag, limits, here, root)
    if not is_policy:
        # Nothing of a file that may not be a policy is shown: not its lines, not its keys.
        errors = len(base_bag.errors())
        if errors:
            bag.error("UDB116", f"the base policy `{ref}` cannot be loaded ({errors} "
                      f"error{'s' if errors != 1 else ''})", span,
                      f"check the base on its own: `udbudsregler check {_shell(main)}`")
        else:
            bag.error("UDB116", f"`{ref}` is not a policy: its top level is not the sections "
                      "of one", span, f"name the folder of a policy or its main file; to see "
                      f"what is wrong with it, `udbudsregler check {_shell(main)}`")
        return None
    bag.extend(base_bag)
    if base is None:
        return None
    return _overlay(base, source, bag)


def _base_main(ref: str, folder: Path, root: Path, bag: DiagnosticBag,
               span: Span | None) -> Path | None:
    """The main file of the base policy ``ref`` names, or None after reporting why not."""
    if "\0" in ref or PurePosixPath(ref).is_absolute() or PureWindowsPath(ref).drive:
        bag.error("UDB114", f"the base policy `{ref}` is an absolute path", span, _BASE_HINT)
        return None
    target = _resolve(folder / ref)
    if not target.is_relative_to(root):
        bag.error("UDB114", f"the base policy `{ref}` is outside the policy root `{root}`",
                  span, "keep the rounds of a tender in one checkout, or give the folder that "
                  "holds them all as the policy root (`--policy-root`)")
        return None
    if _holds(target.is_dir):
        main = target / MAIN_FILE
        if not _holds(main.is_file):
            bag.error("UDB107", f"the base policy folder `{ref}` has no `{MAIN_FILE}`", span,
                      _BASE_HINT)
            return None
        return _resolve(main)
    if not _holds(target.exists):
        bag.error("UDB107", f"the base policy `{ref}` does not exist", span, _BASE_HINT)
        return None
    if target.suffix not in (".yaml", ".yml"):
        bag.error("UDB116", f"the base policy `{ref}` is not a policy folder or a `.yaml` file",
                  span, "name the folder of a policy (with its `policy.yaml`) or its main file")
        return None
    return target


def _shell(path: Path) -> str:
    """``path`` as a user would type it in a shell, quoted when it has to be."""
    shown = display_path(path)
    return shown if all(c.isalnum() or c in "/._-+" for c in shown) else f"'{shown}'"


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _overlay(base: _Derived, derived: LoadedSource, bag: DiagnosticBag) -> _Derived:
    data: dict[str, Any] = {k: _copy(v) for k, v in base.source.data.items()}
    positions: dict[NodePath, NodeInfo] = dict(base.source.positions.items())
    overrides = dict(base.overrides)
    header = base.source.data.get("policy")
    base_id = base.source.root.name
    if isinstance(header, dict) and isinstance(header.get("id"), str):
        base_id = header["id"]

    def record(path: NodePath) -> None:
        info = base.source.positions.get(path)
        span = (info.key_span or info.span) if info else None
        at = _location(span, base.source, derived.root)
        overrides[path] = Override(base_id, at, span)

    def take(path: NodePath) -> None:
        """Positions of ``path`` and below now come from the derived file."""
        for key in [k for k in positions if k[:len(path)] == path]:
            del positions[key]
        for key, info in derived.positions.items():
            if key[:len(path)] == path:
                positions[key] = info

    for section, value in derived.data.items():
        if section == _EXTENDS:
            continue
        if section == _CRITERIA:
            _criteria(data, value, derived, positions, record, bag)
            continue
        if section in ENTRY_SECTIONS and isinstance(value, dict):
            target = data.setdefault(section, {})
            if not isinstance(target, dict):
                target = data[section] = {}
            if (section,) not in positions and (section,) in derived.positions:
                positions[(section,)] = derived.positions[(section,)]
            for name, entry in value.items():
                if name in target:
                    record((section, name))
                if (section in MERGED_ENTRIES and isinstance(target.get(name), dict)
                        and isinstance(entry, dict)):
                    _merge(target[name], entry, (section, name), derived, positions, take, bag)
                    continue
                target[name] = entry
                take((section, name))
        elif section in KEY_SECTIONS and isinstance(value, dict):
            target = data.setdefault(section, {})
            if not isinstance(target, dict):
                target = data[section] = {}
            if (section,) not in positions and (section,) in derived.positions:
                positions[(section,)] = derived.positions[(section,)]
            for key, entry in value.items():
                if key in target and section != "policy":
                    record((section, key))
                target[key] = entry
                take((section, key))
        else:
            if section in data:
                record((section,))
            data[section] = value
            take((section,))
    if () in derived.positions:
        positions[()] = derived.positions[()]
    files = (*derived.files, *base.source.files)
    merged = LoadedSource(data, PositionMap(positions), files, derived.root)
    return _Derived(merged, overrides)


def _deeper(path: NodePath) -> bool:
    """Whether the mapping at ``path`` of a derived policy merges into the base's mapping
    rather than replacing it: a price model's payments, results, caps and tiers, entry by
    entry and each entry key by key."""
    if len(path) < 3 or path[0] != "price_models":
        return False
    rest = path[2:]
    if rest[0] in ("payments", "results"):
        if len(rest) <= 2:
            return True
        return rest[0] == "results" and rest[2] == "tiers" and len(rest) <= 4
    return rest == ("caps",)


def _entries(path: NodePath) -> str | None:
    """What the entries of the mapping at ``path`` are called, where a derived policy may
    remove one by writing ``null`` (``tier_id: null``)."""
    if len(path) == 3 and path[0] == "price_models" and path[2] in ("payments", "results"):
        return "payment" if path[2] == "payments" else "result payment"
    if len(path) == 5 and path[0] == "price_models" and path[4] == "tiers":
        return "tier"
    return None


def _merge(target: dict[str, Any], entry: dict[str, Any], path: NodePath,
           derived: LoadedSource, positions: dict[NodePath, NodeInfo], take: Any,
           bag: DiagnosticBag) -> None:
    """Merge ``entry`` of the derived policy into the base's ``target`` at ``path``, key by
    key; mappings of a price model's payments, results and tiers merge deeper, so a round
    can change one tier or one milestone without restating the others."""
    for key, part in entry.items():
        sub = (*path, key)
        kind = _entries(path)
        if part is None and kind is not None:
            if key not in target:
                info = derived.positions.get(sub)
                bag.error("UDB115", f"the base policy has no {kind} `{key}` to remove",
                          info.key_span if info else None, did_you_mean(key, list(target)))
                continue
            del target[key]
            for old in [k for k in positions if k[:len(sub)] == sub]:
                del positions[old]
            continue
        if _deeper(sub) and isinstance(target.get(key), dict) and isinstance(part, dict):
            _merge(target[key], part, sub, derived, positions, take, bag)
            continue
        target[key] = part
        take(sub)
    if path in derived.positions:
        positions[path] = derived.positions[path]


def _criteria(data: dict[str, Any], value: Any, derived: LoadedSource,
              positions: dict[NodePath, NodeInfo], record: Any, bag: DiagnosticBag) -> None:
    """Override single criteria of the base's target groups, key by key."""
    info = derived.positions.get((_CRITERIA,))
    if not isinstance(value, dict):
        bag.error("UDB203", "`criteria` maps criterion ids to the keys that change",
                  info.span if info else None)
        return
    found = _find_criteria(data.get("target_groups"))
    for ident, change in value.items():
        entry_info = derived.positions.get((_CRITERIA, ident))
        if ident not in found:
            bag.error("UDB115", f"the base policy has no criterion `{ident}`",
                      entry_info.key_span if entry_info else None,
                      did_you_mean(ident, list(found)))
            continue
        if not isinstance(change, dict):
            bag.error("UDB203", f"the override of `{ident}` must be a mapping of keys",
                      entry_info.span if entry_info else None)
            continue
        path, criterion = found[ident]
        record(path)
        for key, new in change.items():
            criterion[key] = new
            for old in [k for k in positions if k[:len(path) + 1] == (*path, key)]:
                del positions[old]
            for src, node in derived.positions.items():
                if src[:2] == (_CRITERIA, ident) and len(src) > 2 and src[2] == key:
                    positions[(*path, *src[2:])] = node


def _find_criteria(groups: Any) -> dict[str, tuple[NodePath, dict[str, Any]]]:
    out: dict[str, tuple[NodePath, dict[str, Any]]] = {}

    def visit(node: Any, path: NodePath) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("id"), str) and "when" in node:
                out.setdefault(node["id"], (path, node))
            for key, child in node.items():
                if key in ("all", "any", "not"):
                    visit(child, (*path, key))
        elif isinstance(node, list):
            for i, child in enumerate(node):
                visit(child, (*path, i))

    if isinstance(groups, dict):
        for name, group in groups.items():
            if isinstance(group, dict) and "criteria" in group:
                visit(group["criteria"], ("target_groups", name, "criteria"))
    return out


def _copy(value: Any) -> Any:
    """A deep copy of plain data (the overlay edits criteria in place)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _location(span: Span | None, source: LoadedSource, root: Path) -> str:
    if span is None:
        return "?"
    for file in source.files:
        if file.display == span.file:
            return f"{_relative(file.path, root)}:{span.line}"
    return f"{Path(span.file).name}:{span.line}"
