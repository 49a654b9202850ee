"""Shared test configuration.

The compiled-policy cache on disk goes to a folder of the test run's own, so that the
tests never write to the user's cache folder and never read an entry another run wrote.
"""

import os
import tempfile

pytest_plugins = ["pytester"]

_CACHE = tempfile.mkdtemp(prefix="udbudsregler-test-cache-")
os.environ["UDBUDSREGLER_CACHE_DIR"] = _CACHE
