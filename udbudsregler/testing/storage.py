"""Where the testing tools keep their files: never in the author's current folder.

hypothesis keeps a cache (``.hypothesis/``) and pytest one (``.pytest_cache/``) in
the folder they run in. A policy author runs ``udbudsregler test`` and ``pytest``
in the folder of the policy, which is not a Python project, and should not find
them there. The invariant search points hypothesis's storage at a cache folder of
the user's while it runs (and back after); the pytest plugin turns pytest's cache
off when pytest runs without a configuration file of its own (a policy folder, not
a project).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["cache_dir", "hypothesis_storage"]


def cache_dir() -> Path:
    """The user's cache folder for udbudsregler: ``$UDBUDSREGLER_CACHE_DIR``, or the
    platform's cache folder (``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux,
    ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows) + ``udbudsregler``."""
    given = os.environ.get("UDBUDSREGLER_CACHE_DIR")
    if given:
        return Path(given)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "udbudsregler"


@contextmanager
def hypothesis_storage() -> Iterator[Path]:
    """Point hypothesis's storage (its caches; the invariant search keeps no example
    database) at the user's cache folder while the block runs, then back."""
    from hypothesis import configuration

    before = configuration.storage_directory(intent_to_write=False).home_directory
    here = cache_dir() / "hypothesis"
    configuration.set_hypothesis_home_dir(here)
    try:
        yield here
    finally:
        configuration.set_hypothesis_home_dir(before)
