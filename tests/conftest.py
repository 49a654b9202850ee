"""Shared test configuration.

The compiled-policy cache on disk goes to a folder of the test run's own, so that the
tests never write to the user's cache folder and never read an entry another run wrote.

Every module of the library is imported before any test runs. Hypothesis (since 6.131)
sometimes draws the constants written in the local modules imported so far, so a
derandomized property test drew other examples depending on which tests ran before it
(the fixed sweep of generated policies drew a form it bounds seven times after a test
that rendered a diff as HTML, never when run alone). With every module imported first,
its draws no longer depend on the order or the selection of the tests before it.
"""

import contextlib
import importlib
import os
import pkgutil
import tempfile

import udbudsregler

pytest_plugins = ["pytester"]

_CACHE = tempfile.mkdtemp(prefix="udbudsregler-test-cache-")
os.environ["UDBUDSREGLER_CACHE_DIR"] = _CACHE

for _module in pkgutil.walk_packages(udbudsregler.__path__, "udbudsregler."):
    if not _module.name.endswith("__main__"):  # (that one runs the command line)
        with contextlib.suppress(ImportError):  # (of an extra this environment lacks)
            importlib.import_module(_module.name)
