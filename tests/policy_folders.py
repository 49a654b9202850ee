"""Every policy folder of the repository: the policies under ``policies/`` and the
example policies under ``examples/`` (each a folder with a ``policy.yaml``).

Tests that must hold for every policy people have written take their folders from here,
so a new policy is covered without editing each test.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _folders(base: Path) -> list[Path]:
    return sorted(p.parent for p in base.glob("*/policy.yaml"))


#: The tenders under `policies/`.
POLICIES = _folders(ROOT / "policies")
#: The example policies under `examples/`.
EXAMPLES = _folders(ROOT / "examples")
POLICY_FOLDERS = POLICIES + EXAMPLES
