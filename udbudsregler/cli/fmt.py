"""``udbudsregler fmt POLICY [--check]``: one canonical layout for a policy's YAML files.

The layout:

- two spaces per level; a list's ``-`` two spaces in from its key;
- the keys of each definition in one order (``docs/policy-language.md``, "Layout"):
  ``id`` and ``title`` first, then what it means, then its text keys. The order of
  the sections in a file and of the entries in a section stay as written. A
  mapping with a comment between its keys keeps its order, so that no comment is
  moved away from what it describes;
- small mappings (a period ``{from, to}``, a dated value, a supplier, a span of
  weekly hours, ``rounding``, ``caps``) and lists of plain values on one line,
  ``{...}`` and ``[...]``, when they fit in 100 columns, else one item per line;
  definitions always one key per line; ``include:`` one file per line;
- comments, quoting, anchors and the text of every value as written.

It never changes what a policy means: the files are read again after formatting
and must give the same data, or nothing is written. It reads and writes YAML
with ``ruamel.yaml``, which keeps comments (the optional extra ``fmt``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from udbudsregler.diagnostics import DiagnosticBag
from udbudsregler.loader.includes import load_policy_source
from udbudsregler.loader.yaml_loader import load_yaml_text

__all__ = ["FLOW_KINDS", "ORDERS", "FormatError", "format_policy", "format_text"]

WIDTH = 100

#: The canonical key order of each kind of mapping.
ORDERS: dict[str, tuple[str, ...]] = {
    "header": ("id", "title", "authority", "valid", "legal_basis", "description", "version",
               "language", "currency", "rounding", "month_end"),
    "valid": ("from", "to"),
    "rounding": ("unit", "mode"),
    "fact": ("type", "title", "description", "values", "min", "max", "default", "fields",
             "open_ended"),
    "parameter": ("title", "value", "values", "source", "description", "note"),
    "dated": ("from", "value"),
    "rule": ("title", "type", "value", "legal_basis", "source", "reading", "description"),
    "group": ("title", "legal_basis", "source", "description", "criteria"),
    "criterion": ("id", "title", "legal_basis", "source", "description", "when", "show",
                  "reading"),
    "outcome": ("title", "description", "holds", "legal_basis", "source", "reading"),
    "area": ("title", "serves", "when", "current_suppliers", "description", "suppliers",
             "selection", "legal_basis", "source", "reading"),
    "supplier": ("id", "name", "placeholder", "note", "attributes"),
    "selection": ("citizen_choice", "strategy", "only", "distance", "source", "reading"),
    "routing": ("priority", "exclusive", "legal_basis", "source", "reading", "description"),
    "package": ("title", "areas", "goal", "lab_chapter", "weekly_hours", "max_duration",
                "price_model", "legal_basis", "source", "reading", "description"),
    "span": ("min", "max"),
    "price_model": ("title", "weekly_price", "partial_weeks", "billed", "caps", "legal_basis",
                    "source", "reading", "description", "payments", "results", "bonuses"),
    "payment": ("title", "per", "partial", "during", "amount", "when", "legal_basis", "source",
                "reading", "description"),
    "result": ("title", "outcome", "from", "lasting", "within", "amount", "when",
               "legal_basis", "source", "reading", "description", "tiers"),
    "tier": ("title", "within", "amount", "legal_basis", "source", "reading", "description"),
    "bonus": ("id", "title", "amount", "outcome", "lasting", "starting", "legal_basis",
              "source", "reading", "description"),
    "caps": ("max_duration", "max_amount"),
    "referral": ("max_duration", "total_duration", "ends_on", "aftercare", "course_ends",
                 "legal_basis", "source", "reading", "description"),
    "invariant": ("id", "title", "check", "holds", "on", "absolute", "legal_basis", "source",
                  "reading", "description"),
}
#: The mappings written on one line when they fit.
FLOW_KINDS = frozenset({"valid", "rounding", "dated", "supplier", "span", "caps"})
_SECTIONS = {"facts": "fact", "parameters": "parameter", "rules": "rule",
             "target_groups": "group", "criteria": "criterion", "outcomes": "outcome",
             "service_areas": "area", "course_packages": "package",
             "price_models": "price_model"}
_SINGLE = {"policy": "header", "routing": "routing", "referral": "referral"}
_INSIDE = {("header", "valid"): "valid", ("header", "rounding"): "rounding",
           ("fact", "fields"): "fields", ("parameter", "values"): "dated",
           ("area", "suppliers"): "supplier", ("area", "selection"): "selection",
           ("package", "weekly_hours"): "span", ("price_model", "bonuses"): "bonus",
           ("price_model", "caps"): "caps", ("price_model", "payments"): "payments",
           ("price_model", "results"): "results", ("result", "tiers"): "tiers"}
#: Mappings of named entries (`fields`, `payments`, `results`, `tiers`): each entry's kind.
_ENTRIES = {"fields": "fact", "payments": "payment", "results": "result", "tiers": "tier"}


class FormatError(Exception):
    """The policy cannot be formatted (a mistake in it, or ruamel.yaml is missing)."""


def _yaml() -> Any:
    try:
        from ruamel.yaml import YAML
    except ImportError:
        raise FormatError("`udbudsregler fmt` needs ruamel.yaml, which keeps comments: "
                          "pip install 'udbudsregler[fmt]'") from None
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _is_scalar(value: Any) -> bool:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    if isinstance(value, (CommentedMap, CommentedSeq, FoldedScalarString,
                          LiteralScalarString)):
        return False
    return not (isinstance(value, str) and "\n" in value)


def _text(value: Any) -> str:
    """About how a plain value is written, for its length on a line."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(value, (DoubleQuotedScalarString, SingleQuotedScalarString)):
        return f'"{text}"'
    return text


def _has_comments(node: Any) -> bool:
    ca = getattr(node, "ca", None)
    if ca is None:
        return False
    return bool(ca.comment) or any(any(part for part in item) for item in ca.items.values())


def _anchored(node: Any) -> bool:
    anchor = getattr(node, "anchor", None)
    return anchor is not None and anchor.value is not None


def _flow_length(node: Any) -> int:
    from ruamel.yaml.comments import CommentedMap

    if isinstance(node, CommentedMap):
        return 2 + sum(len(str(k)) + 2 + len(_text(v)) for k, v in node.items()) \
            + 2 * (len(node) - 1)
    return 2 + sum(len(_text(v)) for v in node) + 2 * (len(node) - 1)


def _fits_on_a_line(node: Any, column: int, key: str | None) -> bool:
    values = list(node.values()) if hasattr(node, "values") else list(node)
    if not values or not all(_is_scalar(v) for v in values):
        return False
    if _has_comments(node) or _anchored(node):
        return False
    lead = column + (len(key) + 2 if key is not None else 2)
    return lead + _flow_length(node) <= WIDTH


def _kind(path: tuple[Any, ...], parent: str | None, key: Any) -> str | None:
    if len(path) == 1:
        return _SINGLE.get(str(path[0]))
    if len(path) == 2 and isinstance(path[0], str) and path[0] in _SECTIONS:
        return _SECTIONS[path[0]]
    if parent in _ENTRIES:
        return _ENTRIES[parent]
    if parent is not None:
        return _INSIDE.get((parent, str(key)))
    return None


def _criteria_kind(node: Any) -> str | None:
    keys = set(node)
    if keys & {"all", "any", "not"}:
        return None
    return "criterion" if keys & {"id", "when"} else None


def _reorder(node: Any, order: tuple[str, ...]) -> None:
    if _has_comments(node):
        return
    known = [k for k in order if k in node]
    rest = [k for k in node if k not in order]
    for key in (*known, *rest):
        node.move_to_end(key)


def _walk(node: Any, path: tuple[Any, ...], kind: str | None, column: int,
          in_criteria: bool) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        if in_criteria:
            kind = _criteria_kind(node) or kind
        if kind in ORDERS:
            _reorder(node, ORDERS[kind])
        for key, value in node.items():
            child = (*path, key)
            child_kind = _kind(child, kind, key)
            criteria = in_criteria or (kind == "group" and key == "criteria")
            _style(value, child_kind, column + 2, str(key), path == () and key == "include")
            _walk(value, child, child_kind, column + 2, criteria)
    elif isinstance(node, CommentedSeq):
        # a list's kind is its items' kind (`suppliers`: each a supplier)
        item_kind = "invariant" if path == ("invariants",) else kind
        for index, value in enumerate(node):
            _style(value, item_kind, column + 2, None, False)
            _walk(value, (*path, index), item_kind, column + 4, in_criteria)


def _style(value: Any, kind: str | None, column: int, key: str | None,
           one_per_line: bool) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, CommentedMap):
        flow = kind in FLOW_KINDS and _fits_on_a_line(value, column - 2, key)
    elif isinstance(value, CommentedSeq):
        flow = not one_per_line and _fits_on_a_line(value, column - 2, key)
    else:
        return
    if flow:
        value.fa.set_flow_style()
    else:
        value.fa.set_block_style()


def _plain(text: str, display: str) -> Any:
    bag = DiagnosticBag()
    loaded = load_yaml_text(text, display, bag)
    if loaded is None or bag.has_errors:
        raise FormatError(f"{display}: has mistakes; fix them first (udbudsregler check)")
    return loaded[0]


def format_text(text: str, display: str = "policy.yaml") -> str:
    """The text in the canonical layout. Raises :class:`FormatError` if it has mistakes
    or if formatting would change its data (a bug: nothing is written then)."""
    yaml = _yaml()
    before = _plain(text, display)
    document = yaml.load(text)
    _walk(document, (), None, -2, False)
    out = io.StringIO()
    yaml.dump(document, out)
    formatted = out.getvalue()
    if _plain(formatted, display) != before:
        raise FormatError(f"{display}: formatting would change the policy's data; nothing "
                          "was written (this is a bug in udbudsregler fmt; please report it)")
    return formatted


def _files(path: Path) -> Iterator[Path]:
    bag = DiagnosticBag()
    source = load_policy_source(path, bag)
    if source is None or bag.has_errors:
        first = next(iter(bag.sorted()), None)
        raise FormatError(f"{path}: the policy cannot be read"
                          + (f": {first.render().splitlines()[0]}" if first else ""))
    for file in source.files:
        yield file.path


def format_policy(path: Path, *, check: bool = False) -> list[Path]:
    """Format the files of a policy (its main file and what it includes; not its base
    policy, nor its tests). The files that changed (with ``check``: would change)."""
    if not path.exists():
        raise FormatError(f"{path}: no such file or folder")
    changed: list[Path] = []
    for file in _files(path):
        text = file.read_text(encoding="utf-8")
        formatted = format_text(text, file.name)
        if formatted != text:
            changed.append(file)
            if not check:
                file.write_text(formatted, encoding="utf-8")
    return changed
