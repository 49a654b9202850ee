"""Pipeline stage "load": YAML policy files to plain data with the position of every node.

:func:`load_policy_source` reads a policy file or folder, follows its
``include:`` lists and merges the files; :func:`load_yaml_text` loads one
YAML text. Both report every problem as a diagnostic (codes UDB101-UDB114)
in the bag they are given and never raise for bad input.
"""

from udbudsregler.loader.includes import (
    LoadedSource,
    SourceFile,
    display_path,
    load_policy_source,
)
from udbudsregler.loader.locate import NodeInfo, NodePath, PositionMap
from udbudsregler.loader.yaml_loader import Limits, load_yaml_text

__all__ = [
    "Limits",
    "LoadedSource",
    "NodeInfo",
    "NodePath",
    "PositionMap",
    "SourceFile",
    "display_path",
    "load_policy_source",
    "load_yaml_text",
]
