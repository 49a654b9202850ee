"""Run the documentation: the commands in its shell blocks, its Python blocks.

The pages are Markdown. A fenced block is run when it shows commands:

- a block whose lines start with ``$ `` is a **session**: each ``$ command`` is run
  with ``bash`` from the repository root, and the lines after it, up to the next
  ``$``, are its expected output (standard output and standard error together, as a
  terminal shows them). A command may go on over lines ending in ``\\`` and may
  carry a here-document (``<<'EOF'`` ... ``EOF``). A ``$`` alone on a line shows an
  empty output;
- a ``sh`` block without ``$`` is a **command listing**: each command must end
  normally (exit 0, or 1 for "something needs attention": a failed case, rows of bad
  data), never with bad input (2), an internal error (70) or a command not found; what
  it prints is not compared;
- a ``python`` block is run (``>>>`` blocks as doctests, others as a script) and
  must succeed.

Expected output is compared line by line, trailing spaces ignored, with the
doctest convention for what varies or is cut: ``...`` inside a line matches any
text, and a line that is only ``...`` matches any number of lines (none included).

Directives are HTML comments, invisible on a rendered page. One directly before a
block says what to do with it:

``<!-- doctest: skip REASON -->``
    do not run the block (a fragment; a synopsis with placeholders). The reason is
    required.
``<!-- doctest: file PATH -->``
    write the block's text to PATH (the page's "with this file ...").
``<!-- doctest: append PATH -->``
    add the block's text at the end of PATH.
``<!-- doctest: quote PATH -->``
    the block is a quotation of PATH: its lines appear there in this order, each
    ``...`` line standing for lines left out.
``<!-- doctest: output [COMMAND] -->``
    the block is a part of the output of COMMAND (run once per page), or of the last
    command run: output shown apart from its command, e.g. a long report in parts,
    possibly without the indentation it has there.
``<!-- doctest: replace PATH LINE[-LINE] -->``
    the block replaces those lines of PATH (the page's "change line 13 to ...").

and one that stands alone does work the reader does not see:

``<!-- doctest: setup`` followed by lines, then ``-->``
    each line is ``$ COMMAND`` (run; must succeed), ``copy SOURCE TARGET``,
    ``replace FILE "OLD" "NEW"`` (OLD must occur exactly once; ``\\n`` is a line
    break), ``write FILE "TEXT"``, or ``delete PATH``; the arguments are quoted as in
    a shell. This builds the scratch copies the pages say they were run on.

Everything runs in a sandbox: a copy of the repository's pages, policies and
examples, and a private folder that stands for ``/tmp``, so commands may write
where the pages say (``/tmp/slagelse-copy``) without touching the repository or
another test run.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Block",
    "Directive",
    "DocError",
    "Page",
    "Sandbox",
    "matches",
    "parse_page",
    "run_page",
    "session_commands",
]

BLOCK_KEYWORDS = frozenset({"skip", "file", "append", "quote", "output", "replace"})
STANDALONE_KEYWORDS = frozenset({"setup"})
SHELL_INFOS = frozenset({"sh", "shell", "bash", "console"})
_FENCE = re.compile(r"^( *)(```+|~~~+)\s*([\w+-]*)\s*$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*doctest:\s*(.*)$")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
#: The variables that tell pytest (`CI`, `BUILD_NUMBER`) and hypothesis that they run on
#: a CI machine; a page's commands run without them (see `Sandbox.environment`).
CI_VARIABLES = ("CI", "BUILD_NUMBER", "__TOX_ENVIRONMENT_VARIABLE_ORIGINAL_CI", "TF_BUILD",
                "bamboo.buildKey", "BUILDKITE", "CIRCLECI", "CIRRUS_CI", "CODEBUILD_BUILD_ID",
                "GITHUB_ACTIONS", "GITLAB_CI", "HEROKU_TEST_RUN_ID", "TEAMCITY_VERSION")
#: How a command of a listing may end: 0 all is well, 1 something needs attention (a
#: failed case, bad data rows), as the programs' exit codes are documented; never 2
#: (bad input), 70 (a bug), 126/127 (cannot run) or a signal.
LISTING_EXITS = frozenset({0, 1})
#: The longest a single documented command may take.
TIMEOUT = 300


class DocError(Exception):
    """A page, or a directive in it, is malformed."""


@dataclass(frozen=True)
class Directive:
    keyword: str
    argument: str
    body: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Block:
    info: str
    lines: tuple[str, ...]
    line: int
    directives: tuple[Directive, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + ("\n" if self.lines else "")

    def directive(self, keyword: str) -> Directive | None:
        return next((d for d in self.directives if d.keyword == keyword), None)

    @property
    def is_session(self) -> bool:
        return self.info in SHELL_INFOS | {""} and any(
            line.lstrip().startswith("$ ") or line.strip() == "$" for line in self.lines)


@dataclass(frozen=True)
class Page:
    path: Path
    items: tuple[Block | Directive, ...]

    def blocks(self) -> Iterator[Block]:
        return (item for item in self.items if isinstance(item, Block))


def _directive_text(lines: Sequence[str], start: int) -> tuple[str, list[str], int]:
    """The first line's text, the body lines, and the index after the comment."""
    first = _DIRECTIVE.match(lines[start])
    assert first is not None
    head = first.group(1)
    if "-->" in head:
        return head.split("-->", 1)[0].strip(), [], start + 1
    body: list[str] = []
    i = start + 1
    while i < len(lines):
        if "-->" in lines[i]:
            rest = lines[i].split("-->", 1)[0]
            if rest.strip():
                body.append(rest)
            return head.strip(), body, i + 1
        body.append(lines[i])
        i += 1
    raise DocError(f"line {start + 1}: the doctest directive is not closed with `-->`")


def parse_page(path: Path, text: str | None = None) -> Page:
    """The fenced blocks and directives of a Markdown page, in order."""
    lines = (text if text is not None else path.read_text(encoding="utf-8")).splitlines()
    items: list[Block | Directive] = []
    pending: list[Directive] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _DIRECTIVE.match(line):
            head, body, after = _directive_text(lines, i)
            keyword, _, argument = head.partition(" ")
            known = BLOCK_KEYWORDS | STANDALONE_KEYWORDS
            if keyword not in known:
                raise DocError(f"{path}:{i + 1}: unknown doctest directive `{keyword}`; the "
                               f"directives are {', '.join(sorted(known))}")
            directive = Directive(keyword, argument.strip(), tuple(body), i + 1)
            if keyword == "skip" and not directive.argument:
                raise DocError(f"{path}:{i + 1}: `doctest: skip` needs a reason")
            if keyword in STANDALONE_KEYWORDS:
                items.append(directive)
            else:
                pending.append(directive)
            i = after
            continue
        fence = _FENCE.match(line)
        if fence is None:
            if line.strip() and pending:
                raise DocError(f"{path}:{pending[0].line}: `doctest: {pending[0].keyword}` "
                               "must stand directly before a fenced block")
            i += 1
            continue
        indent, marker, info = fence.group(1), fence.group(2), fence.group(3)
        body_lines: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != marker:
            inner = lines[j]
            body_lines.append(inner[len(indent):] if inner.startswith(indent) else inner.lstrip())
            j += 1
        if j == len(lines):
            raise DocError(f"{path}:{i + 1}: the fenced block is not closed")
        items.append(Block(info, tuple(body_lines), i + 1, tuple(pending)))
        pending = []
        i = j + 1
    if pending:
        raise DocError(f"{path}:{pending[0].line}: `doctest: {pending[0].keyword}` is not "
                       "followed by a block")
    return Page(path, tuple(items))


# -- matching ---------------------------------------------------------------------------


def _line_matches(expected: str, actual: str) -> bool:
    """``...`` matches any text; the other parts must appear in order. (Found greedily
    from the left, which is exact for patterns made of literals and wildcards, and never
    backtracks: a line of pytest's progress dots is 24 wildcards in a row.)"""
    if "..." not in expected:
        return expected == actual
    first, *middle, last = expected.split("...")
    if not actual.startswith(first):
        return False
    at = len(first)
    for part in middle:
        found = actual.find(part, at)
        if found < 0:
            return False
        at = found + len(part)
    return len(actual) - at >= len(last) and actual.endswith(last)


def _normal(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def _reach(want: list[str], have: list[str]) -> list[set[int]]:
    """``reach[i]``: the lines of ``have`` at which matching can go on after the first
    ``i`` lines of ``want`` matched (a forward pass; a ``...`` line skips any number)."""
    reach = [{0}]
    for line in want:
        before = reach[-1]
        if not before:
            reach.append(set())
        elif line.strip() == "...":
            reach.append(set(range(min(before), len(have) + 1)))
        else:
            reach.append({j + 1 for j in before
                          if j < len(have) and _line_matches(line, have[j])})
    return reach


def matches(expected: str, actual: str, *, excerpt: bool = False) -> bool:
    """Whether ``actual`` fits ``expected`` with ``...`` wildcards (see the module).

    With ``excerpt``, ``expected`` may match any contiguous part of ``actual``.
    """
    want, have = _normal(expected), _normal(actual)
    if excerpt:
        want = ["...", *want, "..."]
    return len(have) in _reach(want, have)[-1]


#: The indentations at which a part of an output may stand in the output (a page shows a
#: part of a report, a YAML example say, without the report's indentation).
INDENTS = (0, 2, 4, 6, 8)


def _indented(text: str, n: int) -> str:
    return "\n".join(" " * n + line if line.strip() else line for line in text.splitlines())


def difference(expected: str, actual: str, *, excerpt: bool = False) -> str:
    """Where the output stops fitting the page: the first line of the page that nothing
    matches, what the program printed there, then the whole output."""
    want, have = _normal(expected), _normal(actual)
    if excerpt:
        want = ["...", *want, "..."]
    reach = _reach(want, have)
    shown = "\n".join(f"    {line}" for line in have)
    for i, after in enumerate(reach[1:]):
        if not after:
            at = min(reach[i])
            got = have[at] if at < len(have) else "(the output ends)"
            return (f"  the page shows: {want[i]}\n  the program printed: {got}\n"
                    f"  (output line {at + 1}; the whole output:)\n{shown}")
    return f"  the output goes on after what the page shows; the whole output:\n{shown}"


# -- sessions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    text: str
    expected: str
    line: int


def session_commands(block: Block) -> list[Command]:
    """The commands of a session block, each with the output the page shows for it."""
    commands: list[Command] = []
    lines = list(block.lines)
    i = 0
    current: list[str] | None = None
    output: list[str] = []
    start = 0

    def close() -> None:
        if current is not None and "".join(current).strip():
            commands.append(Command("\n".join(current), "\n".join(output), start))

    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith("$ ") or stripped == "$":
            close()
            start = block.line + 1 + i
            current = [stripped[2:]]
            output = []
            while current[-1].endswith("\\") and i + 1 < len(lines):
                i += 1
                current.append(lines[i])
            heredoc = _HEREDOC.search(current[-1])
            if heredoc is not None:
                end = heredoc.group(2)
                while i + 1 < len(lines):
                    i += 1
                    current.append(lines[i])
                    if lines[i].strip() == end:
                        break
            i += 1
            continue
        if current is None:
            raise DocError(f"line {block.line + 1 + i}: a session block must start with "
                           "`$ command`")
        output.append(line)
        i += 1
    close()
    return commands


def _commands(block: Block) -> list[str]:
    """The commands of a listing block (``sh`` without prompts): comments dropped, lines
    ending in ``\\`` joined."""
    out: list[str] = []
    current = ""
    for line in block.lines:
        text = line.split(" #", 1)[0].rstrip() if not line.lstrip().startswith("#") else ""
        if not text and not current:
            continue
        current = f"{current} {text.strip()}" if current else text.strip()
        if current.endswith("\\"):
            current = current[:-1].rstrip()
            continue
        out.append(current)
        current = ""
    if current:
        out.append(current)
    return out


@dataclass
class Sandbox:
    """A copy of the repository's documented files, and a folder standing for /tmp."""

    base: Path
    repo: Path = field(init=False)
    tmp: Path = field(init=False)
    last_output: str | None = None
    #: The output of each command an `output COMMAND` directive named, run once.
    outputs: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.repo = self.base / "repo"
        self.tmp = self.base / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_template(cls, template: Path, base: Path) -> Sandbox:
        box = cls(base)
        shutil.copytree(template, box.repo, symlinks=True)
        return box

    def path(self, text: str) -> Path:
        """A path as a page writes it: relative to the repository root, or under /tmp."""
        mapped = self.to_sandbox(text)
        path = Path(mapped)
        return path if path.is_absolute() else self.repo / path

    def to_sandbox(self, text: str) -> str:
        return re.sub(r"(?<![\w./-])/tmp(?=/|\s|$|['\"])", str(self.tmp).replace("\\", "/"),
                      text)

    def from_sandbox(self, text: str) -> str:
        text = text.replace(str(self.repo) + os.sep, "").replace(str(self.repo), ".")
        return text.replace(str(self.tmp), "/tmp")

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PYTEST_", "HYPOTHESIS_", "COV_", "UDBUDSREGLER_"))}
        bin_dir = str(Path(sys.executable).parent)
        guard = self.base / "guard"
        if not guard.is_dir():
            _guard(guard)
        env.update({
            "PATH": str(guard) + os.pathsep + bin_dir + os.pathsep + env.get("PATH", ""),
            "PYTHONUNBUFFERED": "1",
            "PYTHONUTF8": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "COLUMNS": "80",
            "LC_ALL": "C.UTF-8",
            "XDG_CACHE_HOME": str(self.base / "cache"),
        })
        env.pop("PYTHONPATH", None)
        # A page shows what an author sees at a terminal. On a CI machine pytest prints
        # whole failure messages in its short summary, and hypothesis loads its CI
        # profile; both read these variables.
        for name in CI_VARIABLES:
            env.pop(name, None)
        return env

    def run(self, command: str, *, as_written: bool = True) -> tuple[int, str]:
        """Run a command of a page (``as_written``: its /tmp is the sandbox's), or one of
        the harness's own."""
        process = subprocess.Popen(
            ["bash", "-c", self.to_sandbox(command) if as_written else command],
            cwd=self.repo, env=self.environment(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
            start_new_session=True)
        try:
            output, _ = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the command and what it started
            output, _ = process.communicate()
            return -1, self.from_sandbox(output) + f"\n(killed after {TIMEOUT} s)"
        return process.returncode, self.from_sandbox(output)


#: A page's command that would install packages into the test run's environment (the
#: real one: the sandbox's `python` is the test run's interpreter).
_NO_PIP = ('echo "doctest sandbox: a page may not install packages (mark the block '
           '\\`doctest: skip\\`)" >&2; exit 126')


def _python_script(real: Path) -> str:
    """A `python` that runs the test run's interpreter, except `python -m pip`."""
    return ("#!/bin/sh\n"
            f'if [ "$1" = -m ] && [ "$2" = pip ]; then {_NO_PIP}; fi\n'
            f"exec {shlex.quote(str(real))} \"$@\"\n")


def _write_script(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


def _guard(folder: Path) -> None:
    """Programs found before the real ones on a page's PATH: `pip` refuses, `python`
    refuses `-m pip`. A page must not change the environment the tests run in."""
    folder.mkdir(parents=True)
    for name in ("pip", "pip3"):
        _write_script(folder / name, f"#!/bin/sh\n{_NO_PIP}\n")
    for name in ("python", "python3"):
        _write_script(folder / name, _python_script(Path(sys.executable)))


def _venv(folder: Path) -> None:
    """A `.venv/bin` whose programs run the interpreter of this test run: the pages say
    `.venv/bin/python`, and a page must not be able to change the real environment (no
    `pip` here, and no `python -m pip`)."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True)
    real = Path(sys.executable).parent
    _write_script(bin_dir / "python", _python_script(real / "python"))
    _write_script(bin_dir / "udbudsregler",
                  f"#!/bin/sh\nexec {shlex.quote(str(real / 'udbudsregler'))} \"$@\"\n")


def make_template(root: Path, target: Path, parts: Sequence[str]) -> Path:
    """The files the pages run against, copied once per test session, under git (a page
    shows `git status`), with `.venv` pointing at the running interpreter's."""
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")
    for part in parts:
        source = root / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=ignore)
        elif source.exists():
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / part)
    _venv(target / ".venv")
    env = {**os.environ, "GIT_AUTHOR_NAME": "docs", "GIT_AUTHOR_EMAIL": "docs@example.org",
           "GIT_COMMITTER_NAME": "docs", "GIT_COMMITTER_EMAIL": "docs@example.org"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "docs"]):
        subprocess.run(["git", *args], cwd=target, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    return target


# -- running a page ---------------------------------------------------------------------


@dataclass
class Failure:
    line: int
    what: str
    detail: str

    def render(self, page: Path) -> str:
        return f"{page}:{self.line}: {self.what}\n{self.detail}".rstrip()


def _setup(directive: Directive, box: Sandbox) -> Failure | None:
    for offset, raw in enumerate(directive.body):
        line = raw.strip()
        if not line:
            continue
        where = directive.line + 1 + offset
        if line.startswith("$ "):
            code, output = box.run(line[2:])
            if code != 0:
                return Failure(where, f"setup command failed (exit {code}): {line[2:]}", output)
            continue
        op, *args = shlex.split(line)
        try:
            if op == "copy" and len(args) == 2:
                shutil.copytree(box.path(args[0]), box.path(args[1]))
            elif op == "delete" and len(args) == 1:
                target = box.path(args[0])
                if target.is_dir():
                    shutil.rmtree(target)
                else:
                    target.unlink()
            elif op == "write" and len(args) == 2:
                target = box.path(args[0])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(args[1].replace("\\n", "\n"), encoding="utf-8")
            elif op == "replace" and len(args) == 3:
                target = box.path(args[0])
                old, new = (a.replace("\\n", "\n") for a in args[1:])
                text = target.read_text(encoding="utf-8")
                count = text.count(old)
                if count != 1:
                    return Failure(where, f"setup: `{args[1]}` occurs {count} times in "
                                   f"{args[0]}, not once", "")
                target.write_text(text.replace(old, new), encoding="utf-8")
            else:
                return Failure(where, f"setup: cannot read `{line}`", "the operations are "
                               "$ COMMAND, copy SOURCE TARGET, delete PATH, write FILE TEXT, "
                               "replace FILE OLD NEW")
        except OSError as error:
            return Failure(where, f"setup: {line}", str(error))
    return None


def _python(block: Block, box: Sandbox) -> Failure | None:
    if block.lines and block.lines[0].lstrip().startswith(">>>"):
        script = box.base / f"doctest_{block.line}.txt"
        script.write_text(block.text, encoding="utf-8")
        command = (f"{shlex.quote(sys.executable)} -m doctest -o ELLIPSIS "
                   f"-o NORMALIZE_WHITESPACE {shlex.quote(str(script))}")
    else:
        script = box.base / f"block_{block.line}.py"
        script.write_text(block.text, encoding="utf-8")
        command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    code, output = box.run(command, as_written=False)
    box.last_output = output
    if code != 0:
        return Failure(block.line, f"the Python block fails (exit {code})", output)
    return None


def _replace_lines(directive: Directive, block: Block, box: Sandbox) -> Failure | None:
    try:
        path_text, lines = directive.argument.rsplit(" ", 1)
        first, _, last = lines.partition("-")
        lo, hi = int(first), int(last or first)
    except ValueError:
        return Failure(directive.line, "`doctest: replace` takes PATH LINE or PATH FIRST-LAST",
                       "")
    target = box.path(path_text)
    text = target.read_text(encoding="utf-8").splitlines(keepends=True)
    if not 1 <= lo <= hi <= len(text):
        return Failure(directive.line, f"{path_text} has no lines {lo}-{hi}", "")
    text[lo - 1:hi] = [line + "\n" for line in block.lines]
    target.write_text("".join(text), encoding="utf-8")
    return None


def run_block(block: Block, box: Sandbox) -> list[Failure]:
    if block.directive("skip") is not None:
        return []
    for keyword, mode in (("file", "w"), ("append", "a")):
        write = block.directive(keyword)
        if write is not None:
            target = box.path(write.argument)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open(mode, encoding="utf-8") as stream:
                stream.write(block.text)
            return []
    quote = block.directive("quote")
    if quote is not None:
        source = box.path(quote.argument)
        if not source.is_file():
            return [Failure(block.line, f"quotes {quote.argument}, which does not exist", "")]
        if not matches(block.text, source.read_text(encoding="utf-8"), excerpt=True):
            return [Failure(block.line, f"the block does not quote {quote.argument} as it is "
                            "(each `...` line stands for lines left out)",
                            difference(block.text, source.read_text(encoding="utf-8"),
                                       excerpt=True).split("  (output line")[0])]
        return []
    replace = block.directive("replace")
    if replace is not None:
        failure = _replace_lines(replace, block, box)
        return [failure] if failure else []
    output = block.directive("output")
    if output is not None:
        if output.argument:
            if output.argument not in box.outputs:
                box.outputs[output.argument] = box.run(output.argument)[1]
            shown, whose = box.outputs[output.argument], f"the output of `{output.argument}`"
        elif box.last_output is not None:
            shown, whose = box.last_output, "the last command's output"
        else:
            return [Failure(block.line, "`doctest: output` but no command has run yet", "")]
        if not any(matches(_indented(block.text, n), shown, excerpt=True) for n in INDENTS):
            return [Failure(block.line, f"the block is not part of {whose}",
                            difference(block.text, shown, excerpt=True))]
        return []
    if block.info == "python":
        failure = _python(block, box)
        return [failure] if failure else []
    if block.is_session:
        failures = []
        for command in session_commands(block):
            _, output = box.run(command.text)
            box.last_output = box.outputs[command.text] = output
            if not matches(command.expected, output):
                failures.append(Failure(command.line, f"$ {command.text.splitlines()[0]}",
                                        difference(command.expected, output)))
        return failures
    if block.info in SHELL_INFOS:
        failures = []
        for offset, command in enumerate(_commands(block)):
            code, text = box.run(command)
            box.last_output = text
            if code not in LISTING_EXITS:
                failures.append(Failure(block.line + 1 + offset,
                                        f"$ {command}: exit {code}", text))
        return failures
    return []


def run_page(page: Page, box: Sandbox) -> list[Failure]:
    failures: list[Failure] = []
    for item in page.items:
        if isinstance(item, Directive):
            failure = _setup(item, box)
            if failure is not None:
                failures.append(failure)
            continue
        failures += run_block(item, box)
    return failures
