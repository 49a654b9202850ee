"""The corpus of broken policies: each case declares every diagnostic it must produce.

A case is a file ``tests/corpus/<name>.yaml``, or a folder ``tests/corpus/<name>/``
whose main file is ``policy.yaml`` (for cases that need includes). The leading
comment block of the main file says what the stages must report::

    # Free text saying what the mistake is.
    # expect: UDB401 12:17            a diagnostic: code and line:column in the main file
    # expect: UDB107 facts.yaml:3:5   ... or in another file of the case folder
    # expect-message: unknown name    text the message of the `expect` above contains
    # expect-hint: did you mean       text its hint contains
    # expect: none                    the case must produce no diagnostic at all
    # ignore-warnings                 warnings the case does not list are allowed
    # stop-after: parse               run the stages up to and including this one
    # limits: max_bytes=2000          loader limits (see ``udbudsregler.loader.Limits``)

Every diagnostic must be listed, warnings included: a case fails when one is
missing or an unexpected one appears. Every diagnostic of every case must also
follow the message rules of STYLE.md (one lowercase line, no Python in it, a hint).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from udbudsregler.diagnostics import CODES, Diagnostic
from udbudsregler.loader import Limits
from udbudsregler.stages import STAGE_NAMES, CompileState, run_stages

CORPUS = Path(__file__).parent
MAIN_FILE = "policy.yaml"

#: The stages whose every code must have a case here (facts and evaluation are tested elsewhere).
COVERED_STAGES = ("load", "validate", "parse", "check", "compile")

#: Codes of those stages that no policy can trigger, each with the reason. Keep it empty
#: unless a code truly cannot happen; a code listed here must not also have a case.
UNTRIGGERABLE: dict[str, str] = {}

_DIRECTIVE = re.compile(r"#\s*(expect[\w-]*|ignore-warnings|stop-after|limits)\b\s*:?\s*(.*)$")
_EXPECT = re.compile(r"(UDB\d{3})\s+(?:(?P<file>[^\s:]+):)?(?P<line>\d+):(?P<column>\d+)$")
_FORBIDDEN = ("Input should", "pydantic", "validation error", "NoneType", "str'", "Traceback",
              "{{", "}}", "['", "{'", "[key]")
_PYTHON_WORD = re.compile(r"\b(?:dict|list\[|tuple\[|int\(|str\(|None)\b")


@dataclass
class Expected:
    code: str
    file: str  # "" for the main file
    line: int
    column: int
    message: list[str] = field(default_factory=list)
    hint: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, int, int]:
        return (self.code, self.file, self.line, self.column)


@dataclass
class Case:
    name: str
    main: Path
    folder: Path
    expected: list[Expected]
    ignore_warnings: bool = False
    stop_after: str | None = None
    limits: Limits = field(default_factory=Limits)

    def run(self, stop_after: str | None = None) -> CompileState:
        return run_stages(self.main, stop_after or self.stop_after, self.limits)


def _header(path: Path) -> list[str]:
    # Bytes, decoded leniently: a case may hold bytes that are not UTF-8 after its header.
    lines = path.read_bytes().decode("utf-8", "replace").splitlines()
    header: list[str] = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line.rstrip())
    return header


def parse_case(main: Path) -> Case:
    folder = main.parent
    name = folder.name if main.name == MAIN_FILE and folder != CORPUS else main.stem
    case = Case(name, main, folder, [])
    nothing = False
    for line in _header(main):
        match = _DIRECTIVE.match(line)
        if match is None:
            continue
        directive, value = match.group(1), match.group(2).strip()
        if directive == "expect":
            if value == "none":
                nothing = True
                continue
            found = _EXPECT.match(value)
            if found is None:
                raise ValueError(f"{main}: cannot read `{line}`; write `# expect: UDB401 12:17`")
            case.expected.append(Expected(found.group(1), found.group("file") or "",
                                          int(found.group("line")), int(found.group("column"))))
        elif directive in ("expect-message", "expect-hint"):
            if not case.expected:
                raise ValueError(f"{main}: `{directive}` must follow an `expect:` line")
            target = case.expected[-1]
            (target.message if directive == "expect-message" else target.hint).append(value)
        elif directive == "ignore-warnings":
            case.ignore_warnings = True
        elif directive == "stop-after":
            if value not in STAGE_NAMES:
                raise ValueError(f"{main}: unknown stage `{value}`")
            case.stop_after = value
        elif directive == "limits":
            settings = dict(part.split("=", 1) for part in value.split())
            case.limits = Limits(**{k: int(v) for k, v in settings.items()})
        else:
            raise ValueError(f"{main}: unknown directive `{directive}`")
    if not case.expected and not nothing:
        raise ValueError(f"{main}: a case must list what it expects (`# expect: none` for none)")
    if case.expected and nothing:
        raise ValueError(f"{main}: `# expect: none` and other expectations")
    return case


def discover() -> list[Case]:
    mains = sorted(CORPUS.glob("*.yaml")) + sorted(CORPUS.glob(f"*/{MAIN_FILE}"))
    return [parse_case(main) for main in mains]


CASES = discover()


def _file_of(diagnostic: Diagnostic, case: Case) -> str:
    assert diagnostic.span is not None
    path = Path(diagnostic.span.file)
    if not path.is_absolute():
        path = Path.cwd() / path
    path = path.resolve()
    if path == case.main.resolve():
        return ""
    try:
        return path.relative_to(case.folder.resolve()).as_posix()
    except ValueError:
        return str(path)


def _key(diagnostic: Diagnostic, case: Case) -> tuple[str, str, int, int]:
    span = diagnostic.span
    if span is None:
        return (diagnostic.code, "<no position>", 0, 0)
    return (diagnostic.code, _file_of(diagnostic, case), span.line, span.column)


def _show(key: tuple[str, str, int, int]) -> str:
    code, file, line, column = key
    return f"{code} {file + ':' if file else ''}{line}:{column}"


def _report(case: Case, problem: str, state: CompileState) -> str:
    expected = "\n".join(f"  {_show(e.key)}" for e in case.expected) or "  (nothing)"
    got = "\n".join(f"  {_show(_key(d, case))}" for d in state.bag) or "  (nothing)"
    rendered = "\n".join(d.render() for d in state.bag) or "(nothing)"
    return (f"case {case.name} ({case.main.relative_to(CORPUS)}): {problem}\n"
            f"expected:\n{expected}\ngot:\n{got}\nrendered:\n{rendered}")


def check_case(case: Case, state: CompileState) -> None:
    diagnostics = list(state.bag)
    listed = Counter(e.key for e in case.expected)
    keys = [_key(d, case) for d in diagnostics]
    if case.ignore_warnings:
        keys = [k for k, d in zip(keys, diagnostics, strict=True)
                if d.is_error or k in listed]
    got = Counter(keys)
    missing = listed - got
    unexpected = got - listed
    if missing or unexpected:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(_show(k) for k in missing.elements()))
        if unexpected:
            parts.append("unexpected " + ", ".join(_show(k) for k in unexpected.elements()))
        pytest.fail(_report(case, "; ".join(parts), state), pytrace=False)
    by_key: dict[tuple[str, str, int, int], list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        by_key.setdefault(_key(diagnostic, case), []).append(diagnostic)
    for expected in case.expected:
        candidates = by_key[expected.key]
        for text in expected.message:
            if not any(text in d.message for d in candidates):
                pytest.fail(_report(case, f"the message of {_show(expected.key)} does not "
                                    f"contain {text!r}", state), pytrace=False)
        for text in expected.hint:
            if not any(text in d.effective_hint for d in candidates):
                pytest.fail(_report(case, f"the hint of {_show(expected.key)} does not "
                                    f"contain {text!r}", state), pytrace=False)


def message_problems(text: str, what: str) -> list[str]:
    """What is wrong with one message or hint by the message rules of STYLE.md."""
    problems: list[str] = []
    if not text.strip():
        problems.append(f"the {what} is empty")
        return problems
    if "\n" in text or "\r" in text:
        problems.append(f"the {what} is not one line")
    first = text.split()[0]
    if text[0].isupper() and not (re.search(r"[\d_+]", first) or
                                  (len(first) > 1 and first.isupper())):
        problems.append(f"the {what} starts with a capital letter")
    for word in _FORBIDDEN:
        if word in text:
            problems.append(f"the {what} contains {word!r}")
    match = _PYTHON_WORD.search(text.replace("`None`", ""))
    if match is not None:
        problems.append(f"the {what} contains the Python word {match.group(0)!r}")
    return problems


def style_problems(diagnostic: Diagnostic) -> list[str]:
    problems = message_problems(diagnostic.message, "message")
    problems += message_problems(diagnostic.effective_hint, "hint")
    for text, _ in diagnostic.notes:
        problems += message_problems(text, "note")
    if diagnostic.span is None:
        problems.append("the diagnostic has no position")
    return problems


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    state = case.run()
    check_case(case, state)
    for diagnostic in state.bag:
        problems = style_problems(diagnostic)
        if problems:
            pytest.fail(_report(case, f"{diagnostic.code} breaks the message rules: "
                                f"{'; '.join(problems)}", state), pytrace=False)


def _code_of(name: str) -> str | None:
    match = re.match(r"udb(\d{3})_", name)
    return f"UDB{match.group(1)}" if match else None


@pytest.mark.parametrize("case", [c for c in CASES if _code_of(c.name)],
                         ids=[c.name for c in CASES if _code_of(c.name)])
def test_case_name_matches_an_expected_code(case: Case) -> None:
    code = _code_of(case.name)
    assert code in {e.code for e in case.expected}, (
        f"case {case.name} is named after {code} but does not expect it")


def test_every_code_has_a_case() -> None:
    required = {code for code, info in CODES.items() if info.stage in COVERED_STAGES}
    covered = {e.code for case in CASES for e in case.expected}
    missing = sorted(required - covered - set(UNTRIGGERABLE))
    assert not missing, f"codes without a case in tests/corpus: {', '.join(missing)}"
    stale = sorted(set(UNTRIGGERABLE) & covered)
    assert not stale, f"codes listed as untriggerable but with a case: {', '.join(stale)}"
    unknown = sorted(covered - set(CODES))
    assert not unknown, f"cases expect codes that do not exist: {', '.join(unknown)}"


def test_every_code_has_a_summary_and_a_hint() -> None:
    for code, info in CODES.items():
        assert info.summary.strip() and info.hint.strip(), code
        assert not message_problems(info.hint, "hint"), (code, message_problems(info.hint, "hint"))


# -- five mistakes at once ------------------------------------------------------------

def _five() -> Case:
    return next(c for c in CASES if c.name == "five_mistakes")


def test_five_mistakes_are_all_reported_sorted_by_position() -> None:
    five = _five()
    state = five.run()
    errors = [d for d in state.bag if d.is_error]
    got = [_key(d, five) for d in errors]
    assert got == [e.key for e in five.expected], _report(five, "not the five, in order", state)
    positions = [(d.span.line, d.span.column) for d in errors if d.span is not None]
    assert positions == sorted(positions) and len(set(positions)) == 5
    stages = [CODES[d.code].stage for d in errors]
    assert {"load", "validate", "parse", "check"} <= set(stages), stages
    assert len({d.code for d in errors}) == 5


def test_five_mistakes_stop_after_parse() -> None:
    five = _five()
    state = five.run(stop_after="parse")
    assert state.reached == "parse"
    assert state.names is None and state.checked is None
    early = [e.key for e in five.expected if CODES[e.code].stage in ("load", "validate", "parse")]
    got = [_key(d, five) for d in state.bag]
    assert got == early, _report(five, "stop_after='parse' reported other diagnostics", state)
    assert all(CODES[d.code].stage not in ("check", "compile") for d in state.bag)


# -- the runner itself ----------------------------------------------------------------


def test_runner_reports_a_missing_and_an_unexpected_diagnostic() -> None:
    case = next(c for c in CASES if c.name == "udb401_unknown_name")
    wrong = Case(case.name, case.main, case.folder,
                 [Expected("UDB401", "", case.expected[0].line, case.expected[0].column + 1)])
    with pytest.raises(pytest.fail.Exception) as failure:
        check_case(wrong, case.run())
    text = str(failure.value)
    assert "missing UDB401" in text and "unexpected UDB401" in text
    assert "expected:" in text and "got:" in text and "unknown name `min_agee`" in text


def test_message_rules_catch_python_text() -> None:
    assert message_problems("Input should be a valid string", "message")
    assert message_problems("expected dict, got NoneType", "message")
    assert message_problems("two\nlines", "message")
    assert not message_problems("`Jobparat` is not a valid value of a choice", "message")
    assert not message_problems("U+0009 is not allowed", "message")
