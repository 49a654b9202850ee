"""Python code objects of generated source, kept by the source's text.

Compiling is the costliest part of code generation; the same policy loaded again (a
second ``load_policy(..., cache=False)``, a policy restored from the disk cache, the
same facts declared by two policies) gives the same source, and a code object can be run
in any number of namespaces.
"""

from __future__ import annotations

import threading
from types import CodeType

__all__ = ["comment", "compiled"]

_CODE: dict[tuple[str, str], CodeType] = {}
_MAX = 256
_LOCK = threading.Lock()


def compiled(source: str, filename: str) -> CodeType:
    """``compile(source, filename, "exec")``, once per source and file name."""
    key = (source, filename)
    code = _CODE.get(key)
    if code is None:
        code = compile(source, filename, "exec")
        with _LOCK:
            if len(_CODE) >= _MAX:
                _CODE.clear()
            _CODE[key] = code
    return code


def comment(text: str) -> str:
    """A comment's text in generated source: one line of printable characters (an author's
    text can hold line breaks Python knows and the author never saw, such as a lone
    carriage return)."""
    text = text[:90]
    if not text.isprintable():
        text = "".join(c if c.isprintable() else " " for c in text)
    return text if len(text) < 90 else text[:87] + "..."
