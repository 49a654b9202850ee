"""The command line's tools for writing policies: ``new`` and ``fmt``.

Kept apart from ``cli/main.py``, which registers them with one call. Bad input is
a :class:`UdbudsreglerError` (one line, exit code 2), as everywhere in the CLI.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from udbudsregler.diagnostics import UdbudsreglerError

__all__ = ["add_commands", "cmd_fmt", "cmd_new"]


def cmd_new(args: argparse.Namespace, out: TextIO) -> int:
    from udbudsregler.cli.new import write_skeleton

    folder = Path(args.folder)
    try:
        written = write_skeleton(folder)
    except FileExistsError:
        raise UdbudsreglerError(f"{folder}: already exists and is not empty; give a new "
                                "folder") from None
    except OSError as error:
        raise UdbudsreglerError(f"{folder}: cannot be written ({error.strerror})") from None
    for path in written:
        out.write(f"wrote {path.as_posix()}\n")
    name = folder.as_posix()
    out.write(f"next: udbudsregler check {name} && udbudsregler test {name}\n")
    return 0


def cmd_fmt(args: argparse.Namespace, out: TextIO) -> int:
    from udbudsregler.cli.fmt import FormatError, format_policy

    try:
        changed = format_policy(Path(args.policy), check=args.check)
    except FormatError as error:
        raise UdbudsreglerError(str(error)) from None
    for path in changed:
        out.write(f"{'would reformat' if args.check else 'reformatted'} {path.as_posix()}\n")
    if args.check:
        return 1 if changed else 0
    return 0


def add_commands(sub: Any) -> None:
    """Register ``new`` and ``fmt`` with the command line's sub-parsers."""
    new = sub.add_parser("new", help="write a commented skeleton policy, with a test file "
                         "and an invariant, that passes check and test")
    new.add_argument("folder", metavar="POLICY-DIR", help="a new (or empty) folder")
    new.set_defaults(run=cmd_new)

    fmt = sub.add_parser("fmt", help="rewrite a policy's YAML files in the canonical layout, "
                         "keeping comments and meaning")
    fmt.add_argument("policy", help="a policy file, or a folder with policy.yaml")
    fmt.add_argument("--check", action="store_true",
                     help="change nothing; list the files that would change, exit 1 if any")
    fmt.set_defaults(run=cmd_fmt)
