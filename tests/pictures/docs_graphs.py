"""Write the generated Mermaid pictures into docs/pictures.md (run from the root):

    .venv/bin/python tests/pictures/docs_graphs.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import udbudsregler as ur
from udbudsregler.pictures.graph import mermaid

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "pictures.md"
_BLOCK = re.compile(r"(<!-- graph: (?P<policy>\S+) -->\n)(?P<body>.*?)(<!-- end graph -->)",
                    re.DOTALL)


def generated(text: str) -> str:
    """The page with every graph block written from its policy."""
    def block(match: re.Match[str]) -> str:
        policy = ur.load_policy(ROOT / match.group("policy"))
        return f"{match.group(1)}```mermaid\n{mermaid(policy)}```\n{match.group(4)}"
    return _BLOCK.sub(block, text)


if __name__ == "__main__":
    PAGE.write_text(generated(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
    sys.exit(0)
