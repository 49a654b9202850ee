"""The policies a service serves, reloaded when their files change.

A :class:`PolicyRegistry` loads each policy path once at start (every mistake of every
policy is reported together, and the service does not start). Then, when ``watch`` is
started, a thread looks at the policies' files every ``interval`` seconds (size and
modification time of every file under each policy's folder, and of each file the policy
was read from, such as an ``extends:`` base). When they change it loads the policy again
**beside** the one being served, and swaps it in only when the new policy is loaded and
compiled in full and the files did not change while it was being read; a request holds
the policy it started with to the end. A policy that no longer loads is not swapped in:
the old one goes on being served, and :meth:`PolicyRegistry.status` reports the
diagnostics, until the files are fixed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from udbudsregler.diagnostics import Diagnostic, PolicyError
from udbudsregler.loader import Limits
from udbudsregler.policy import Policy, load_policy

__all__ = ["Loaded", "PolicyRegistry"]

#: (path, size, modification time in ns) of each file: what a change is looked for in.
Stamp = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class Loaded:
    """One served policy: what it was loaded from, and when."""

    path: Path
    policy: Policy
    stamp: Stamp
    loaded_at: str
    #: The diagnostics of the last reload that failed (the policy above is still served).
    reload_error: PolicyError | None = None
    reloads: int = 0

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.policy.id, "title": self.policy.title,
                               "content_hash": self.policy.content_hash,
                               "path": str(self.path), "loaded_at": self.loaded_at,
                               "reloads": self.reloads}
        if self.reload_error is not None:
            out["reload_error"] = [d.to_dict() for d in self.reload_error.diagnostics]
        return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def stamp(path: Path, policy: Policy | None) -> Stamp:
    """Size and modification time of every file under a policy's folder and of every file
    it was read from (an included file, an ``extends:`` base outside the folder)."""
    folder = path if path.is_dir() else path.parent
    names: set[str] = set()
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        names.update(os.path.join(root, f) for f in files
                     if f.endswith((".yaml", ".yml")))
    if policy is not None:
        names.update(str(f.path) for f in policy.source.files)
    out = []
    for name in sorted(names):
        try:
            info = os.stat(name)
        except OSError:
            out.append((name, -1, -1))
            continue
        out.append((name, info.st_size, info.st_mtime_ns))
    return tuple(out)


@dataclass
class PolicyRegistry:
    """The served policies by id; see the module's docstring."""

    paths: Sequence[Path]
    #: Called with a line of text when a policy is reloaded or fails to reload.
    log: Callable[[str], None] = field(default=lambda _: None)
    #: The loader's limits; a service of policies it does not trust sets `policy_root`.
    limits: Limits | None = None
    _by_path: dict[Path, Loaded] = field(default_factory=dict, init=False)
    _by_id: dict[str, Loaded] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.paths = [Path(p) for p in self.paths]
        errors: list[Diagnostic] = []
        for path in self.paths:
            try:
                self._by_path[path] = self._load(path)
            except PolicyError as error:
                errors.extend(error.diagnostics)
        if errors:
            raise PolicyError(errors)
        self._index()

    def _load(self, path: Path, reloads: int = 0) -> Loaded:
        policy = self._read(path)
        return Loaded(path, policy, stamp(path, policy), _now(), None, reloads)

    def _read(self, path: Path) -> Policy:
        if self.limits is None:
            return load_policy(path)
        return load_policy(path, limits=self.limits)

    def _index(self) -> None:
        by_id: dict[str, Loaded] = {}
        for path, loaded in self._by_path.items():
            other = by_id.get(loaded.policy.id)
            if other is not None:
                raise ValueError(f"two policies have the id `{loaded.policy.id}`: "
                                 f"{other.path} and {path}")
            by_id[loaded.policy.id] = loaded
        self._by_id = by_id  # one assignment: a reader sees the old index or the new one

    # -- reading -------------------------------------------------------------------------

    def get(self, policy_id: str) -> Policy | None:
        loaded = self._by_id.get(policy_id)
        return loaded.policy if loaded is not None else None

    def ids(self) -> list[str]:
        return list(self._by_id)

    def policies(self) -> list[Policy]:
        return [loaded.policy for loaded in self._by_id.values()]

    def status(self) -> list[dict[str, Any]]:
        return [loaded.status() for loaded in self._by_id.values()]

    @property
    def healthy(self) -> bool:
        """No policy's files fail to load (each served policy is what its files say)."""
        return all(loaded.reload_error is None for loaded in self._by_id.values())

    # -- reloading -----------------------------------------------------------------------

    def check(self) -> list[str]:
        """Reload the policies whose files changed; the ids reloaded. A reload swaps the
        policy in only when it loaded in full and its files did not change meanwhile."""
        reloaded = []
        with self._lock:
            for path, current in list(self._by_path.items()):
                before = stamp(path, current.policy)
                if before == current.stamp:
                    continue
                try:
                    policy = self._read(path)
                except PolicyError as error:
                    if stamp(path, current.policy) == before:  # not a file half written
                        self._by_path[path] = Loaded(path, current.policy, before,
                                                     current.loaded_at, error,
                                                     current.reloads)
                        self.log(f"{path}: the changed policy has mistakes; still serving "
                                 f"{current.policy.content_hash[:19]}...:\n{error.render()}")
                    continue
                if stamp(path, current.policy) != before:
                    continue  # written to while it was read: look again next time
                self._by_path[path] = Loaded(path, policy, stamp(path, policy), _now(), None,
                                             current.reloads + 1)
                reloaded.append(policy.id)
                self.log(f"{path}: reloaded {policy.id} ({policy.content_hash[:19]}...)")
            if reloaded or any(p.reload_error for p in self._by_path.values()):
                self._index()
        return reloaded

    def watch(self, interval: float) -> None:
        """Look for changed files every ``interval`` seconds, in a daemon thread."""
        if interval <= 0 or self._thread is not None:
            return

        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.check()
                except Exception as error:  # never let the watcher die
                    self.log(f"reload check failed: {type(error).__name__}: {error}")

        self._thread = threading.Thread(target=run, name="udbudsregler-reload", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
