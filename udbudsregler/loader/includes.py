"""Policy sources: a main file or folder, its ``include:`` lists, and the merged document.

A policy is a main file (``policy.yaml`` when a folder is given) plus the
files it includes, recursively. Each file is read and loaded on its own
(:func:`~udbudsregler.loader.yaml_loader.load_yaml_text`), then the files'
top-level sections are merged in load order: the main file first, then its
includes in the order listed, depth-first. Two mappings merge their
entries, two lists are concatenated; anything else defined twice is UDB112.
Every position keeps its own file's spans.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from udbudsregler.diagnostics import DiagnosticBag, Span, did_you_mean
from udbudsregler.loader.locate import NodeInfo, NodePath, PositionMap, position_at
from udbudsregler.loader.yaml_loader import DEFAULT_LIMITS, Limits, load_yaml_text

__all__ = ["LoadedSource", "NotRegularFileError", "SourceFile", "display_path",
           "load_policy_source", "read_regular"]

#: The main file of a policy folder.
MAIN_FILE = "policy.yaml"
#: The longest chain of files including one another (the main file is level 1).
MAX_INCLUDE_DEPTH = 32
_INCLUDE = "include"


@dataclass(frozen=True)
class SourceFile:
    """One file of a policy: its resolved path, the name spans use, and its text."""

    path: Path
    display: str
    text: str = field(repr=False)


@dataclass(frozen=True)
class LoadedSource:
    """A policy's merged plain data, the position of every node, and the files it came from.

    ``files`` are in load order, the main file first; ``root`` is the folder
    of the main file, which every include stays inside.
    """

    data: dict[str, Any]
    positions: PositionMap
    files: tuple[SourceFile, ...]
    root: Path

    def content_hash(self) -> str:
        """SHA-256 (hex) of the files in load order, stable across machines and checkouts.

        For each file: its path relative to the main folder (``/``-separated),
        a NUL, its text as UTF-8 with line breaks as LF, a NUL. Line breaks are
        normalised because YAML reads CRLF, CR and LF alike: a checkout that
        converts line endings (git on Windows) must not change the hash.
        """
        digest = hashlib.sha256()
        for source in self.files:
            text = source.text.replace("\r\n", "\n").replace("\r", "\n")
            digest.update(_relative_name(source.path, self.root).encode("utf-8"))
            digest.update(b"\0")
            digest.update(text.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()


def display_path(path: Path) -> str:
    """The name of a file as the user would type it: relative to the working folder when
    the file is under it, else absolute. The one place display names are made."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(absolute)


def _resolve(path: Path) -> Path:
    """``path`` with symlinks resolved; as given (made absolute) when that fails."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):  # symlink loops, NUL bytes, odd file systems
        return Path(os.path.abspath(path))


def _holds(check: Callable[[], bool]) -> bool:
    """``check()``, or False when the file system refuses to answer."""
    try:
        return check()
    except (OSError, ValueError):
        return False


def _relative_name(path: Path, root: Path) -> str:
    """``path`` relative to ``root``, `/`-separated; `../` for the files of a base policy
    that a derived policy extends (includes themselves stay inside ``root``)."""
    return Path(os.path.relpath(path, root)).as_posix()


class NotRegularFileError(OSError):
    """The path names a pipe, a device or a socket, not a plain file."""


def read_regular(path: Path, most: int) -> bytes:
    """At most ``most`` bytes of a plain file.

    Opened without blocking and checked before reading: opening a named pipe (FIFO)
    would wait for a writer forever, and a device such as ``/dev/zero`` never ends
    (issue 12, items 16 and 17).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(path)
        with os.fdopen(fd, "rb", closefd=False) as stream:
            return stream.read(most)
    finally:
        os.close(fd)


def read_source(path: Path, display: str, bag: DiagnosticBag, limits: Limits,
                at: Span | None = None) -> str | None:
    """The text of ``path``, or None after reporting why it cannot be used.

    ``at`` is where the file was asked for (an include entry), used for
    UDB107; UDB105 and UDB113 point into the file itself. A UTF-8 byte order
    mark is dropped.
    """
    try:
        data = read_regular(path, limits.max_bytes + 1)
    except FileNotFoundError:
        bag.error("UDB107", f"the file `{display}` does not exist", at)
        return None
    except IsADirectoryError:
        bag.error("UDB107", f"`{display}` is a folder, not a file", at)
        return None
    except NotRegularFileError:
        bag.error("UDB107", f"`{display}` is not a regular file", at,
                  "a policy file is a plain file; a pipe or a device cannot be one")
        return None
    except (OSError, ValueError) as err:
        reason = (getattr(err, "strerror", None) or "the path is not valid").lower()
        bag.error("UDB107", f"the file `{display}` cannot be read: {reason}", at)
        return None
    if len(data) > limits.max_bytes:
        bag.error("UDB105", f"the file is larger than the limit of {limits.max_bytes} bytes",
                  Span(display, 1, 1))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        prefix = data[: err.start].decode("utf-8", "replace")
        line, column = position_at(prefix, len(prefix))
        bag.error("UDB113", f"the byte 0x{data[err.start]:02X} is not UTF-8 text",
                  Span(display, line, column))
        return None
    return text.removeprefix("\ufeff")


@dataclass
class _File:
    source: SourceFile
    data: dict[str, Any]
    positions: PositionMap


class _Sources:
    """Reads a main file and, depth-first, the files it includes."""

    def __init__(self, root: Path, bag: DiagnosticBag, limits: Limits) -> None:
        self.root = root
        self.bag = bag
        self.limits = limits
        self.files: list[_File] = []
        self.seen: set[Path] = set()
        self.complete = True

    def name(self, resolved: Path) -> str:
        return _relative_name(resolved, self.root)

    def load(self, path: Path, chain: tuple[Path, ...], at: Span | None) -> None:
        """Read ``path`` and, depth-first, what it includes; ``chain`` is the including files."""
        resolved = _resolve(path)
        self.seen.add(resolved)
        display = display_path(path)
        text = read_source(path, display, self.bag, self.limits, at)
        if text is None:
            self.complete = False
            return
        loaded = load_yaml_text(text, display, self.bag, self.limits)
        if loaded is None:
            self.complete = False
            return
        data, positions = loaded
        self.files.append(_File(SourceFile(resolved, display, text), data, positions))
        chain = (*chain, resolved)
        for entry, span in self._entries(data, positions):
            target = self._target(resolved.parent, entry, span)
            if target is None:
                self.complete = False
                continue
            real = _resolve(target)
            if real in chain:
                cycle = [*chain[chain.index(real):], real]
                names = " -> ".join(self.name(item) for item in cycle)
                self.bag.error("UDB108", f"files include each other in a cycle: `{names}`", span)
                self.complete = False
            elif real in self.seen:  # a file included twice is read once
                continue
            elif len(chain) >= MAX_INCLUDE_DEPTH:
                self.bag.error("UDB106", f"files include each other more than "
                               f"{MAX_INCLUDE_DEPTH} levels deep", span,
                               "include the files from the main file, or from fewer levels")
                self.complete = False
            else:
                self.load(target, chain, span)

    def _entries(self, data: dict[str, Any],
                 positions: PositionMap) -> Iterator[tuple[str, Span | None]]:
        if _INCLUDE not in data:
            return
        value = data[_INCLUDE]
        info = positions.get((_INCLUDE,))
        if isinstance(value, str):
            yield value, info.span if info else None
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                item_info = positions.get((_INCLUDE, index))
                span = item_info.span if item_info else None
                if isinstance(item, str) and item.strip():
                    yield item, span
                else:
                    self._bad_include(span)
            return
        self._bad_include(info.span if info else None)

    def _bad_include(self, span: Span | None) -> None:
        self.bag.error("UDB203", "`include` takes a file path or a list of file paths", span,
                       "write e.g. `include: [facts.yaml, rules/target_groups.yaml]`")
        self.complete = False

    def _target(self, folder: Path, entry: str, span: Span | None) -> Path | None:
        """The file an include entry in ``folder`` names, or None (and UDB114/UDB107)."""
        if (PurePosixPath(entry).is_absolute() or PureWindowsPath(entry).is_absolute()
                or PureWindowsPath(entry).drive):
            self.bag.error("UDB114", f"the include `{entry}` is an absolute path", span)
            return None
        target = folder / entry
        resolved = _resolve(target)
        if not resolved.is_relative_to(self.root):
            self.bag.error("UDB114", f"the include `{entry}` points outside the folder of the "
                           "main policy file", span)
            return None
        if not _holds(resolved.exists):
            self.bag.error("UDB107", f"the included file `{entry}` does not exist", span)
            return None
        return target


def _merge(files: list[_File], bag: DiagnosticBag) -> tuple[dict[str, Any], PositionMap]:
    """Merge the files' top-level sections in load order; conflicts are UDB112."""
    data: dict[str, Any] = {}
    positions: dict[NodePath, NodeInfo] = {}
    if files and () in files[0].positions:
        positions[()] = files[0].positions[()]
    for file in files:
        by_section: dict[str, list[tuple[NodePath, NodeInfo]]] = {}
        for path, info in file.positions.items():
            if path and path[0] != _INCLUDE:
                by_section.setdefault(str(path[0]), []).append((path, info))
        for section, value in file.data.items():
            if section == _INCLUDE:
                continue
            items = by_section.get(section, [])
            if section not in data:
                data[section] = _shallow_copy(value)
                positions.update(items)
                continue
            merged = data[section]
            if isinstance(merged, dict) and isinstance(value, dict):
                _merge_entries(section, merged, value, items, positions, bag)
            elif isinstance(merged, list) and isinstance(value, list):
                offset = len(merged)
                merged.extend(value)
                for path, info in items:
                    if len(path) == 1:
                        continue
                    index = path[1]
                    assert isinstance(index, int)
                    positions[(section, offset + index, *path[2:])] = info
            else:
                earlier, later = positions.get((section,)), file.positions.get((section,))
                both = "defined" if type(merged) is type(value) else "of different kinds"
                bag.error("UDB112", f"the section `{section}` is {both} in two files",
                          later.key_span if later else None,
                          "only mappings and lists can be split across files; define "
                          f"`{section}` in one file",
                          notes=(("first defined here", earlier.key_span if earlier else None),))
    return data, PositionMap(positions)


def _merge_entries(section: str, merged: dict[str, Any], value: dict[str, Any],
                   items: list[tuple[NodePath, NodeInfo]],
                   positions: dict[NodePath, NodeInfo], bag: DiagnosticBag) -> None:
    """Add one file's entries of a mapping section to the merged section."""
    fresh: set[str] = set()
    own = dict(items)
    for name, entry in value.items():
        if name in merged:
            first = positions.get((section, name))
            again = own.get((section, name))
            bag.error("UDB112", f"`{section}.{name}` is defined in two files",
                      again.key_span if again else None,
                      notes=(("first defined here", first.key_span if first else None),))
        else:
            merged[name] = entry
            fresh.add(name)
    positions.update((path, info) for path, info in items
                     if len(path) > 1 and path[1] in fresh)


def _shallow_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def _missing_policy(given: Path, bag: DiagnosticBag) -> None:
    """UDB107 for a policy path that does not exist (not an include: no include hint)."""
    parent = given.parent
    nearby = ([display_path(p) for p in parent.iterdir()
               if p.is_dir() or p.suffix in (".yaml", ".yml")]
              if _holds(parent.is_dir) else [])
    hint = did_you_mean(display_path(given), nearby) or (
        f"give the folder of a policy (the one with `{MAIN_FILE}`) or its main file; a "
        "relative path starts from the folder the command runs in")
    bag.error("UDB107", f"the policy `{display_path(given)}` does not exist", None, hint)


def load_policy_source(path: str | Path, bag: DiagnosticBag,
                       limits: Limits = DEFAULT_LIMITS) -> LoadedSource | None:
    """Load a policy file, or the ``policy.yaml`` of a folder, with everything it includes.

    Include paths are relative to the including file and must stay inside
    the main file's folder (UDB114), exist (UDB107) and not form a cycle
    (UDB108); a file included twice is read once. Returns None when a file
    cannot be read or loaded or an include cannot be followed; otherwise the
    merged source, which may still come with errors in ``bag`` (duplicate
    keys, tags, keys that are not text, sections defined twice). Never raises
    for bad input.
    """
    given = Path(path)
    folder = _holds(given.is_dir)
    main = given / MAIN_FILE if folder else given
    if not folder and not _holds(given.exists):
        _missing_policy(given, bag)
        return None
    if folder and not _holds(main.is_file):
        try:
            os.stat(main)
        except PermissionError as error:  # a folder without permission to look inside
            reason = (error.strerror or "permission denied").lower()
            bag.error("UDB107", f"the folder `{display_path(given)}` cannot be read: {reason}",
                      None, "check the permissions of the folder")
            return None
        except (OSError, ValueError):
            pass
        bag.error("UDB107", f"the folder `{display_path(given)}` has no `{MAIN_FILE}`", None,
                  f"a policy folder holds its main file as `{MAIN_FILE}`; or pass the policy "
                  "file itself")
        return None
    root = _resolve(main).parent
    sources = _Sources(root, bag, limits)
    sources.load(main, (), None)
    data, positions = _merge(sources.files, bag)  # also when incomplete, to report conflicts
    if not sources.complete:
        return None
    return LoadedSource(data, positions, tuple(file.source for file in sources.files), root)
