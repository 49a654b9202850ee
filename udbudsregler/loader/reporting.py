"""Validation of document entries with pydantic, and errors mapped to their place.

Shared by the core sections (``loader.validate``) and the tender sections
(``loader.tender_validate``): an entry is validated on its own, and pydantic's
error locations are turned into located diagnostics through the loader's
position map; raw pydantic text never reaches an author.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from udbudsregler.diagnostics import DiagnosticBag, Span, closest, did_you_mean, dotted_path
from udbudsregler.loader.documents import IDENT_RE
from udbudsregler.loader.locate import PositionMap
from udbudsregler.loader.names import RESERVED_WORDS

__all__ = ["Entry", "Path", "Reporter", "check_name", "mapping", "one"]

M = TypeVar("M", bound=BaseModel)
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Entry(Generic[M]):
    """One validated entry of a section, with where it is written."""

    name: str
    spec: M
    path: Path


def _dotted(path: Path) -> str:
    return dotted_path(path) or "(top level)"


class Reporter:
    """Turns pydantic errors into located diagnostics."""

    def __init__(self, positions: PositionMap, bag: DiagnosticBag) -> None:
        self.positions = positions
        self.bag = bag

    def span(self, path: Path, key: bool = False, missing: bool = False) -> Span | None:
        if key:
            span = self.positions.key_span(path)
            if span is not None:
                return span
        info = self.positions.nearest(path)
        if info is None:
            return None
        # A missing key is reported at the key of the mapping that lacks it. Any other
        # mistake at a path that is not written (`hours: timer`, short for `{type: timer}`)
        # is in the value that stands for it.
        if missing and info.key_span is not None and self.positions.get(path) is None:
            return info.key_span
        return info.span

    def validation_error(self, error: ValidationError, base: Path, model: type[BaseModel]) -> None:
        items = _one_branch(list(error.errors(include_url=False)))
        # A misspelt key is one mistake: it is reported as an unknown key with a
        # did-you-mean, not also as the missing key it was meant to be.
        misspelt: set[Path] = set()
        for item in items:
            if item["type"] == "extra_forbidden":
                loc = tuple(item["loc"])
                close = closest(str(loc[-1]), _allowed_keys(model, loc[:-1]))
                if close is not None:
                    misspelt.add((*loc[:-1], close))
        # The keys missing from one mapping are reported together, once.
        missing: dict[Path, list[str]] = {}
        for item in items:
            loc = tuple(item["loc"])
            if item["type"] == "missing" and loc not in misspelt:
                missing.setdefault(loc[:-1], []).append(str(loc[-1]))
        for item in items:
            loc = tuple(item["loc"])
            kind: str = item["type"]
            if kind == "missing":
                names = missing.pop(loc[:-1], []) if loc not in misspelt else []
                if names:
                    self.missing(base + loc, names)
                continue
            if loc and loc[-1] == "[key]":
                # pydantic reports a bad mapping key as (..., key, "[key]").
                self.report(kind, item, base + loc[:-1], model, loc[:-1], key=True)
            else:
                self.report(kind, item, base + loc, model, loc)

    def missing(self, path: Path, names: list[str]) -> None:
        where = _dotted(path[:-1]) if len(path) > 1 else "the document"
        shown = [f"`{name}`" for name in names]
        keys = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
        self.bag.error("UDB202", f"missing key{'s' if len(names) > 1 else ''} {keys} in `{where}`",
                       self.span(path, missing=True), "add the keys" if len(names) > 1 else None)

    def report(self, kind: str, item: Any, path: Path, model: type[BaseModel], loc: Path,
               key: bool = False) -> None:
        ctx = item.get("ctx") or {}
        where = _dotted(path[:-1]) if path else "the document"
        if kind == "missing":
            name = path[-1]
            self.bag.error("UDB202", f"missing key `{name}` in `{where}`",
                           self.span(path, missing=True))
            return
        if kind == "extra_forbidden":
            name = str(path[-1])
            allowed = _allowed_keys(model, loc[:-1])
            hint = did_you_mean(name, allowed)
            if hint is None and allowed:
                hint = "the keys here are " + ", ".join(f"`{k}`" for k in allowed)
            self.bag.error("UDB201", f"unknown key `{name}` in `{where}`",
                           self.span(path, key=True), hint)
            return
        if kind == "literal_error":
            expected = str(ctx.get("expected", ""))
            choices = [c.strip().strip("'") for c in expected.replace(" or ", ",").split(",")]
            choices = [c for c in choices if c]
            value = item.get("input")
            hint = did_you_mean(value, choices) if isinstance(value, str) else None
            hint = hint or "the choices are " + ", ".join(f"`{c}`" for c in choices)
            self.bag.error("UDB204", f"{_shown(value)} is not allowed for `{_dotted(path)}`",
                           self.span(path), hint)
            return
        if kind.startswith("udb"):
            # Our own errors may say where inside the entry they are (``at``, a path
            # relative to ``loc``), whether to point at the key, and give a hint.
            code = "UDB" + kind[3:6]
            path = path + tuple(ctx.get("at", ()))
            message = item["msg"]
            message = message[0].lower() + message[1:]
            if code == "UDB203" and message.startswith("expected"):
                message = f"`{_dotted(path)}`: {message}"
            # A missing part is reported at the key of the mapping that lacks it.
            key = key or bool(ctx.get("key")) or code == "UDB202"
            self.bag.error(code, message, self.span(path, key=key), ctx.get("hint"))
            return
        self.bag.error("UDB203", f"`{_dotted(path)}`: {_describe(kind, item)}",
                       self.span(path, key=key))


def _is_branch(part: object) -> bool:
    """Whether a part of an error's location is pydantic's name of a member of a union
    (``literal['a','b']``, ``list[...]``, ``function-before[...]``), not a key."""
    return isinstance(part, str) and part != "[key]" and part.endswith("]") and "[" in part


def _one_branch(items: list[Any]) -> list[Any]:
    """The errors of a value that fits no member of a union (``goal: X | list[X]``), as
    the errors of the one member the value was meant for: a list for the list member, a
    single value for the others; without the member's name in the location. One mistake
    (`goal: praktik`) is one error, at the key's own path."""
    while True:
        sites: dict[Path, list[Any]] = {}
        for item in items:
            loc = tuple(item["loc"])
            at = next((i for i, part in enumerate(loc) if _is_branch(part)), None)
            if at is not None:
                sites.setdefault(loc[:at], []).append(item)
        if not sites:
            return items
        for site, found in sites.items():
            n = len(site)
            # a list member that failed as a whole (`list_type`): the value is no list
            not_a_list = any(str(i["loc"][n]).startswith("list[") and len(i["loc"]) == n + 1
                             and i["type"] == "list_type" for i in found)
            wanted = [i for i in found
                      if str(i["loc"][n]).startswith("list[") != not_a_list] or found[:1]
            drop = {id(i) for i in found} - {id(i) for i in wanted}
            items = [dict(i, loc=(*i["loc"][:n], *i["loc"][n + 1:])) if id(i) in
                     {id(w) for w in wanted} else i for i in items if id(i) not in drop]
            break  # one site at a time: the locations changed


_KIND_TEXT = {
    "string_type": "expected text",
    "bool_type": "expected `true` or `false`",
    "bool_parsing": "expected `true` or `false`",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "list_type": "expected a list",
    "dict_type": "expected a mapping of keys to values",
    "model_type": "expected a mapping of keys to values",
    "model_attributes_type": "expected a mapping of keys to values",
    "none_required": "expected nothing here",
}


def _shown(value: Any) -> str:
    """A value as an author wrote it, on one short line (never a Python repr)."""
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = " ".join(str(value).split())
    return f"`{text[:40]}...`" if len(text) > 43 else f"`{text}`"


def _describe(kind: str, item: Any) -> str:
    text = _KIND_TEXT.get(kind)
    if text is not None:
        return text
    ctx = item.get("ctx") or {}
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return f"expected at least {least} item{'s' if least != 1 else ''}"
    if kind == "too_long":
        most = ctx.get("max_length", 1)
        return f"expected at most {most} item{'s' if most != 1 else ''}"
    bounds = {"greater_than": "more than", "greater_than_equal": "at least",
              "less_than": "less than", "less_than_equal": "at most"}
    if kind in bounds:
        limit = next(iter(ctx.values()), "")
        return f"expected a number {bounds[kind]} {limit}".rstrip()
    # pydantic's own wording (and Python's type names) never reach an author.
    return "this value has the wrong form"


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def _allowed_keys(model: type[BaseModel], loc: Path) -> list[str]:
    """The keys the model accepts at ``loc`` (for did-you-mean hints)."""
    current: list[Any] = [model]
    for part in loc:
        following: list[Any] = []
        for candidate in current:
            origin = typing.get_origin(candidate)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                for name, info in candidate.model_fields.items():
                    if (info.alias or name) == part:
                        following.extend(_unwrap(info.annotation))
            elif origin is list and isinstance(part, int):
                following.extend(_unwrap(typing.get_args(candidate)[0]))
            elif origin is dict and isinstance(part, str):
                following.extend(_unwrap(typing.get_args(candidate)[1]))
        current = following
    keys: list[str] = []
    for candidate in current:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            keys.extend(info.alias or name for name, info in candidate.model_fields.items())
    return keys



def one(model: type[M], value: Any, path: Path, report: Reporter,
         recover: bool = False) -> M | None:
    """``value`` validated as ``model``, or None after reporting why it is not valid.

    With ``recover``, an entry whose only mistakes are unknown keys is still returned,
    validated without them, so that a misspelt optional key does not hide the rest of
    the entry (its expressions, its criteria) from the later stages.
    """
    try:
        return model.model_validate(value)
    except ValidationError as error:
        report.validation_error(error, path, model)
        if not recover:
            return None
        items = error.errors(include_url=False)
        if not all(item["type"] == "extra_forbidden" for item in items):
            return None
        cleaned = _without(value, [tuple(item["loc"]) for item in items])
        try:
            return model.model_validate(cleaned)
        except ValidationError:
            return None


def _without(value: Any, locs: list[Path]) -> Any:
    """A copy of ``value`` without the mapping keys at ``locs``."""
    if not isinstance(value, (dict, list)):
        return value
    heads = {loc[0] for loc in locs if len(loc) > 1}
    if isinstance(value, list):
        return [_without(item, [loc[1:] for loc in locs if loc[0] == i]) if i in heads else item
                for i, item in enumerate(value)]
    gone = {loc[0] for loc in locs if len(loc) == 1}
    return {key: _without(item, [loc[1:] for loc in locs if loc[0] == key])
            if key in heads else item
            for key, item in value.items() if key not in gone}


def mapping(section: str, data: dict[str, Any], report: Reporter) -> dict[str, Any]:
    value = data.get(section)
    if value is None:
        return {}
    if not isinstance(value, dict):
        report.bag.error("UDB203", f"`{section}` must be a mapping of names to definitions",
                         report.span((section,)))
        return {}
    return value


def check_name(name: str, path: Path, report: Reporter) -> bool:
    if name in RESERVED_WORDS:
        report.bag.error("UDB210", f"`{name}` is a word of the expression language",
                         report.span(path, key=True))
        return False
    if not IDENT_RE.match(name):
        report.bag.error(
            "UDB205", f"`{name}` is not a valid name", report.span(path, key=True),
            "names start with a lowercase letter and use lowercase letters, digits and `_`")
        return False
    return True
