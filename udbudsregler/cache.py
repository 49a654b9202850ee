"""Compiled policies, kept by what they were compiled from.

Loading a policy reads, checks and compiles its files; a policy that was loaded
before is taken from a cache instead, as long as every file it was read from
still has the same content:

- **in memory**, for the life of the process (a host that loads a policy per
  request pays for it once);
- **on disk**, under the user's cache folder (``$XDG_CACHE_HOME/udbudsregler``,
  else ``~/.cache/udbudsregler``; ``UDBUDSREGLER_CACHE_DIR`` moves it,
  ``UDBUDSREGLER_CACHE=off`` turns it off), so a new process does not compile
  again. An entry is one file per policy path, named by a hash of the path, the
  working folder, the limits, the library's version and Python's; it records the
  SHA-256 of every file the policy was read from, and is used only when all of them
  match. A damaged or foreign entry is ignored and rewritten.

What is cached is the checked and lowered rule graph, the source and the
warnings; the Python code is generated again from the graph when an entry is
read from disk (a few milliseconds), so no code is ever stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any, TypeVar

from udbudsregler.loader import Limits, LoadedSource

__all__ = ["CACHE_FORMAT", "PolicyCache", "cache_directory", "fingerprint"]

#: Bumped whenever what is pickled changes shape (2: the general language's payments,
#: results, outcomes with `holds` and exclusive routing in the rule graph).
CACHE_FORMAT = 2
_MEMORY_ENTRIES = 64

T = TypeVar("T")


def cache_directory() -> Path | None:
    """The folder of the disk cache, or None when it is turned off."""
    if os.environ.get("UDBUDSREGLER_CACHE", "").lower() in ("0", "off", "no", "false"):
        return None
    explicit = os.environ.get("UDBUDSREGLER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "udbudsregler"


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def fingerprint(source: LoadedSource) -> tuple[tuple[str, str], ...]:
    """(path, SHA-256 of the bytes on disk) of every file a policy was read from."""
    out = []
    for file in source.files:
        digest = _digest(file.path)
        out.append((str(file.path), digest or ""))
    return tuple(out)


def _unchanged(files: tuple[tuple[str, str], ...]) -> bool:
    return bool(files) and all(_digest(Path(path)) == digest for path, digest in files)


@dataclass(frozen=True)
class _Entry:
    files: tuple[tuple[str, str], ...]
    value: Any


class PolicyCache:
    """A cache of compiled policies by path (see the module docstring)."""

    def __init__(self, version: str) -> None:
        self.version = version
        self._memory: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, path: str | Path, limits: Limits) -> str:
        parts = (CACHE_FORMAT, self.version, sys.version, os.getcwd(), str(path),
                 str(Path(path).resolve()), astuple(limits))
        return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, key: str, restore: Callable[[Any], T]) -> T | None:
        """The policy cached under ``key`` if its files are unchanged: from memory, else
        from disk (``restore`` turns what was stored into a policy)."""
        with self._lock:
            entry = self._memory.get(key)
            if entry is not None:
                self._memory.move_to_end(key)
        if entry is not None and _unchanged(entry.files):
            return entry.value  # type: ignore[no-any-return]
        stored = self._read(key)
        if stored is None or not _unchanged(stored.files):
            return None
        try:
            value = restore(stored.value)
        except Exception:  # an entry of another build: compile again
            return None
        self._remember(key, _Entry(stored.files, value))
        return value

    def put(self, key: str, files: tuple[tuple[str, str], ...], value: Any,
            stored: Any) -> None:
        """Keep ``value`` in memory, and ``stored`` (what restores it) on disk."""
        if not files or any(not digest for _, digest in files):
            return
        self._remember(key, _Entry(files, value))
        self._write(key, _Entry(files, stored))

    def clear(self) -> None:
        with self._lock:
            self._memory.clear()

    # -- memory ----------------------------------------------------------------

    def _remember(self, key: str, entry: _Entry) -> None:
        with self._lock:
            self._memory[key] = entry
            self._memory.move_to_end(key)
            while len(self._memory) > _MEMORY_ENTRIES:
                self._memory.popitem(last=False)

    # -- disk ------------------------------------------------------------------

    def _file(self, key: str) -> Path | None:
        folder = cache_directory()
        return folder / f"{key}.pickle" if folder is not None else None

    def _read(self, key: str) -> _Entry | None:
        file = self._file(key)
        if file is None:
            return None
        try:
            with file.open("rb") as stream:
                entry = pickle.load(stream)
        except Exception:  # missing, damaged, or written by another version
            return None
        return entry if isinstance(entry, _Entry) else None

    def _write(self, key: str, entry: _Entry) -> None:
        file = self._file(key)
        if file is None:
            return
        with contextlib.suppress(Exception):  # a cache that cannot be written is no cache
            file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as stream:
                    pickle.dump(entry, stream, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, file)  # readers see the old entry or the new, never half
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
