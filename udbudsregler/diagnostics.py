"""Source spans, diagnostics with stable codes, and the library's error types.

Every mistake a policy author can make is reported as a :class:`Diagnostic`:
a stable code (``UDB`` + stage digit + number, never reused), one lowercase
line of message, a hint, and the span in the source it points at. The
stages collect diagnostics in a :class:`DiagnosticBag`; a policy with five
mistakes reports five, sorted by position.

Stage digits: 1 load (YAML), 2 validate (document shape), 3 parse
(expressions), 4 check (names and types), 5 compile (rule graph), 6 facts
from the host, 7 evaluation, 8 policy test cases.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

__all__ = [
    "CODES",
    "CodeInfo",
    "Diagnostic",
    "DiagnosticBag",
    "EvaluationError",
    "FactError",
    "FactProblem",
    "PolicyError",
    "Severity",
    "Span",
    "UdbudsreglerError",
    "closest",
    "did_you_mean",
    "dotted_path",
]


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word``, if one is close enough to be what was meant.

    The one measure of "close" for every did-you-mean, so that a stage that holds back
    an error because another stage suggests the intended name agrees with it.
    """
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the candidate closest to ``word``, if one is close enough."""
    close = closest(word, candidates)
    return f"did you mean `{close}`?" if close is not None else None


def dotted_path(path: Iterable[object]) -> str:
    """A path into a document or into facts as authors write it: ``invariants[6].holds``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(frozen=True, order=True)
class Span:
    """A region of a source file. Lines and columns are 1-based; the end is exclusive.

    PyYAML marks are 0-based and lark's are 1-based: the conversion happens
    in the loader and the parser, and nowhere else.
    """

    file: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0

    def __post_init__(self) -> None:
        if self.end_line == 0:
            object.__setattr__(self, "end_line", self.line)
        if self.end_column == 0:
            object.__setattr__(self, "end_column", self.column + 1)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @property
    def start(self) -> tuple[int, int]:
        return (self.line, self.column)


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class CodeInfo:
    """What a diagnostic code means. ``hint`` is used when a diagnostic gives none."""

    code: str
    stage: str
    summary: str
    hint: str
    severity: Severity = Severity.ERROR


def _codes(*infos: CodeInfo) -> dict[str, CodeInfo]:
    table: dict[str, CodeInfo] = {}
    for info in infos:
        if info.code in table:  # pragma: no cover - guards the table itself
            raise AssertionError(f"duplicate diagnostic code {info.code}")
        table[info.code] = info
    return table


_W = Severity.WARNING

#: Every diagnostic code the library can produce. Codes are never reused;
#: a retired code stays here with its summary.
CODES: dict[str, CodeInfo] = _codes(
    # 1: load (YAML)
    CodeInfo("UDB101", "load", "the file is not valid YAML",
             "check indentation and quoting near this position; an expression that "
             "contains `: ` or starts with `{` or `[` must be quoted"),
    CodeInfo("UDB102", "load", "a key appears twice in the same mapping",
             "remove or rename one of them; YAML would silently keep only the last"),
    CodeInfo("UDB103", "load", "a YAML tag is not allowed",
             "policies are plain data: remove the `!` tag"),
    CodeInfo("UDB104", "load", "anchors and aliases expand beyond the limit",
             "write the repeated part out, or use fewer nested aliases"),
    CodeInfo("UDB105", "load", "the file is larger than the limit",
             "split the policy into several files with `include:`"),
    CodeInfo("UDB106", "load", "the document is nested too deeply",
             "flatten the structure; policies rarely need more than ten levels"),
    CodeInfo("UDB107", "load", "a file cannot be read",
             "check the path; include paths are relative to the file that includes them"),
    CodeInfo("UDB108", "load", "files include each other in a cycle",
             "remove one of the includes in the cycle"),
    CodeInfo("UDB109", "load", "a policy file must be a mapping of sections",
             "start the file with a section such as `policy:`"),
    CodeInfo("UDB110", "load", "a file holds more than one YAML document",
             "remove the `---` separator; use `include:` for several files"),
    CodeInfo("UDB111", "load", "a mapping key must be text",
             "write the key as plain text, e.g. `weekly_price:`"),
    CodeInfo("UDB112", "load", "a section is defined in two files",
             "each name may be defined once across the policy and its includes"),
    CodeInfo("UDB113", "load", "the file is not UTF-8 text",
             "save the file as UTF-8"),
    CodeInfo("UDB114", "load", "an include must stay inside the policy's folder",
             "use a relative path below the folder of the main policy file"),
    CodeInfo("UDB115", "load", "an override names nothing in the base policy",
             "override criteria by the id they have in the base policy"),
    # 2: validate (document shape)
    CodeInfo("UDB201", "validate", "unknown key",
             "check the spelling; the policy language reference lists every key"),
    CodeInfo("UDB202", "validate", "a required key is missing",
             "add the key"),
    CodeInfo("UDB203", "validate", "a value has the wrong form",
             "see the policy language reference for the form this key takes"),
    CodeInfo("UDB204", "validate", "a value is not one of the allowed choices",
             "use one of the allowed values"),
    CodeInfo("UDB205", "validate", "a name is not a valid identifier",
             "names start with a letter and use lowercase letters, digits and `_`"),
    CodeInfo("UDB206", "validate", "a date is not a real calendar date",
             "write dates as YYYY-MM-DD, e.g. 2019-02-01"),
    CodeInfo("UDB207", "validate", "a name is defined twice",
             "names of facts, parameters, rules and criteria share one namespace per kind"),
    CodeInfo("UDB208", "validate", "effective-dated values are out of order",
             "list the values of a parameter by ascending `from` date, each date once"),
    CodeInfo("UDB209", "validate", "a period ends before it starts",
             "swap `from` and `to`"),
    CodeInfo("UDB210", "validate", "a name is reserved",
             "choose another name; this one is a keyword or built-in of the language"),
    CodeInfo("UDB211", "validate", "a name is also a value of a choice",
             "rename one of them, so that `kind == NAME` has one meaning"),
    # 3: parse (expressions)
    CodeInfo("UDB301", "parse", "the expression cannot be parsed",
             "see the expression reference for the forms the language accepts"),
    CodeInfo("UDB302", "parse", "a bracket is not closed",
             "add the missing `)`, `]` or `}`"),
    CodeInfo("UDB303", "parse", "the expression ends too early",
             "complete the expression after the last operator"),
    CodeInfo("UDB304", "parse", "a date literal is not a real calendar date",
             "write dates as YYYY-MM-DD, e.g. 2019-02-01"),
    CodeInfo("UDB305", "parse", "unknown unit",
             "durations use years, months, weeks, days or hours; money uses DKK"),
    CodeInfo("UDB306", "parse", "comparisons cannot be chained",
             "join the comparisons with `and`: `a < b and b < c`"),
    CodeInfo("UDB307", "parse", "`=` is not a comparison",
             "compare with `==`; `=` only names an argument, as in `gap=1 day`"),
    CodeInfo("UDB308", "parse", "a character is not allowed here",
             "remove the character; text is written in quotes"),
    CodeInfo("UDB309", "parse", "the expression is empty",
             "write an expression, e.g. `age >= 30`"),
    CodeInfo("UDB310", "parse", "an operand is missing between two operators",
             "write a value on both sides of the operator"),
    CodeInfo("UDB311", "parse", "`then` or `else` is missing in a conditional",
             "write `if CONDITION then VALUE else OTHER`"),
    CodeInfo("UDB312", "parse", "the expression is longer than the limit",
             "split it into named rules"),
    CodeInfo("UDB313", "parse", "a quantifier is incomplete",
             "write e.g. `any(o in offers where o.weekly_hours >= 15 hours)`"),
    # 4: check (names and types)
    CodeInfo("UDB401", "check", "unknown name",
             "names come from `facts`, `parameters` and `rules`, plus `today`"),
    CodeInfo("UDB402", "check", "unknown field",
             "the fields of a record are declared in `facts`"),
    CodeInfo("UDB403", "check", "an operator cannot be used with these types",
             "see the expression reference for what each operator accepts"),
    CodeInfo("UDB404", "check", "an argument has the wrong type",
             "see the function reference for the argument types"),
    CodeInfo("UDB405", "check", "unknown function",
             "the function reference lists every function"),
    CodeInfo("UDB406", "check", "wrong arguments for a function",
             "see the function reference for the arguments it takes"),
    CodeInfo("UDB407", "check", "a condition must be true or false",
             "compare the value, e.g. `weekly_hours >= 15 hours`"),
    CodeInfo("UDB408", "check", "durations in months and in days cannot be compared",
             "a month has no fixed number of days; compare dates instead, "
             "e.g. `spell.from + 5 years <= today`, or the length of a period"),
    CodeInfo("UDB409", "check", "unknown value of a choice",
             "use one of the values declared for the fact"),
    CodeInfo("UDB410", "check", "month arithmetic needs a month-end rule",
             "add `month_end: clamp` or `month_end: roll` under `policy:`"),
    CodeInfo("UDB411", "check", "money needs a rounding rule",
             "add e.g. `rounding: {unit: 0.01, mode: half_up}` under `policy:`"),
    CodeInfo("UDB412", "check", "amounts in different currencies",
             "a policy has one currency; write amounts in it"),
    CodeInfo("UDB413", "check", "the branches of a conditional have different types",
             "make `then` and `else` give values of the same type"),
    CodeInfo("UDB414", "check", "the elements of a list or set have different types",
             "write elements of one type"),
    CodeInfo("UDB415", "check", "a quantifier needs a list",
             "quantify over a history or list fact, e.g. `any(o in offers where ...)`"),
    CodeInfo("UDB416", "check", "a name hides another name",
             "choose another name for the variable"),
    CodeInfo("UDB417", "check", "values of different choices are compared",
             "compare a choice with one of its own values"),
    CodeInfo("UDB418", "check", "a rule's value does not have its declared type",
             "change the expression or the declared `type:`"),
    CodeInfo("UDB419", "check", "a value has the wrong type for its place",
             "see the policy language reference for the type this place expects"),
    CodeInfo("UDB420", "check", "unknown target group",
             "the target groups are defined under `target_groups`"),
    CodeInfo("UDB421", "check", "unknown service area",
             "the service areas are defined under `service_areas`"),
    CodeInfo("UDB422", "check", "a service area is missing from the routing priority",
             "list every service area once under `routing: priority:`"),
    CodeInfo("UDB423", "check", "a service area is listed twice in the routing priority",
             "list every service area once under `routing: priority:`"),
    CodeInfo("UDB424", "check", "several service areas need a routing priority",
             "add `routing: {priority: [...]}` saying which area wins when a citizen fits "
             "several, e.g. specialised before general; or `routing: {exclusive: true}` "
             "if no citizen can fit two"),
    CodeInfo("UDB425", "check", "unknown price model",
             "the price models are defined under `price_models`"),
    CodeInfo("UDB426", "check", "unknown outcome",
             "the outcomes are defined under `outcomes`"),
    CodeInfo("UDB427", "check", "a price or duration of the tender depends on a citizen's facts",
             "prices, bonuses, spans and durations may use parameters only"),
    CodeInfo("UDB428", "check", "a weekly-hour span ends below its start",
             "write the smaller number as `min`"),
    CodeInfo("UDB429", "check", "a price model or outcome is never used",
             "remove it, or refer to it from a package or a bonus", _W),
    CodeInfo("UDB430", "check", "an invariant is checked on a date outside the round",
             "choose a date within `policy: valid`, or leave `on` out"),
    # 5: compile (rule graph)
    CodeInfo("UDB501", "compile", "rules refer to each other in a cycle",
             "break the cycle: one of the rules must be defined without the others"),
    CodeInfo("UDB502", "compile", "a rule is never used", "remove the rule, or use it", _W),
    CodeInfo("UDB503", "compile", "a fact is never used",
             "remove the fact from `facts`, or use it", _W),
    CodeInfo("UDB504", "compile", "a parameter is never used",
             "remove the parameter, or use it", _W),
    # 6: facts from the host
    CodeInfo("UDB601", "facts", "a fact is missing",
             "the host must supply every fact the policy declares"),
    CodeInfo("UDB602", "facts", "a fact has the wrong type",
             "see the policy's `facts` section for the expected type"),
    CodeInfo("UDB603", "facts", "a date is not a real calendar date",
             "send dates as YYYY-MM-DD"),
    CodeInfo("UDB604", "facts", "a period ends before it starts",
             "`to` must be on or after `from`"),
    CodeInfo("UDB605", "facts", "unknown value of a choice",
             "use one of the values the policy declares"),
    CodeInfo("UDB606", "facts", "a fact the policy does not declare",
             "remove it, or check its spelling"),
    CodeInfo("UDB607", "facts", "a number with a binary fraction is not exact",
             "send amounts and decimals as text or Decimal, e.g. \"1850.50\""),
    CodeInfo("UDB608", "facts", "the facts are not a mapping",
             "send one JSON object (a mapping of fact names to values)"),
    # 7: evaluation
    CodeInfo("UDB701", "evaluate", "a date is outside the calendar's range",
             "check the dates and durations involved"),
    CodeInfo("UDB702", "evaluate", "division by zero",
             "guard the division with a condition"),
    CodeInfo("UDB703", "evaluate", "the decision date is outside the policy's validity",
             "decide on a date inside the tender round, or load the policy of that round"),
    CodeInfo("UDB704", "evaluate", "internal disagreement between evaluators",
             "this is a bug in udbudsregler; please report it with the policy and facts"),
    CodeInfo("UDB705", "evaluate", "a value is outside what the operation accepts",
             "check the facts and parameters the value is computed from"),
    CodeInfo("UDB706", "evaluate", "a citizen fits two areas the policy says are exclusive",
             "correct the areas' target groups or conditions, or give `routing` a "
             "`priority` instead of `exclusive: true`"),
    # 8: policy test cases
    CodeInfo("UDB801", "test", "a test file cannot be read",
             "check the path and that the file is UTF-8 text"),
    CodeInfo("UDB802", "test", "a policy folder has no test cases",
             "add YAML test cases under `tests/` in the policy's folder"),
)


@dataclass(frozen=True)
class Diagnostic:
    """One mistake (or warning) found in a policy, pointing at its source."""

    code: str
    message: str
    span: Span | None
    hint: str | None = None
    severity: Severity = Severity.ERROR
    notes: tuple[tuple[str, Span | None], ...] = ()

    def __post_init__(self) -> None:
        if self.code not in CODES:  # pragma: no cover - programming error
            raise ValueError(f"unregistered diagnostic code {self.code}")

    @property
    def effective_hint(self) -> str:
        return self.hint if self.hint is not None else CODES[self.code].hint

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str, str]:
        if self.span is None:
            return ("", 0, 0, self.code, self.message)
        return (self.span.file, self.span.line, self.span.column, self.code, self.message)

    def render(self) -> str:
        where = f"{self.span}: " if self.span is not None else ""
        lines = [f"{where}{self.severity.value} {self.code}: {self.message}"]
        lines.append(f"  hint: {self.effective_hint}")
        for text, span in self.notes:
            lines.append(f"  note: {span}: {text}" if span else f"  note: {text}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.effective_hint,
        }
        if self.span is not None:
            out.update(file=self.span.file, line=self.span.line, column=self.span.column,
                       end_line=self.span.end_line, end_column=self.span.end_column)
        if self.notes:
            out["notes"] = [
                {"message": text, **({"at": str(span)} if span else {})}
                for text, span in self.notes
            ]
        return out


class DiagnosticBag:
    """Collects the diagnostics of all stages; sorted and capped on the way out."""

    #: More than this many errors in one policy are summarised in one line.
    CAP = 200

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []
        self._seen: set[tuple[object, ...]] = set()

    def add(self, diagnostic: Diagnostic) -> None:
        key = (diagnostic.code, diagnostic.span, diagnostic.message)
        if key not in self._seen:
            self._seen.add(key)
            self._items.append(diagnostic)

    def error(self, code: str, message: str, span: Span | None, hint: str | None = None,
              notes: Iterable[tuple[str, Span | None]] = ()) -> None:
        self.add(Diagnostic(code, message, span, hint, Severity.ERROR, tuple(notes)))

    def warning(self, code: str, message: str, span: Span | None, hint: str | None = None,
                notes: Iterable[tuple[str, Span | None]] = ()) -> None:
        self.add(Diagnostic(code, message, span, hint, Severity.WARNING, tuple(notes)))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for d in diagnostics:
            self.add(d)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.sorted())

    def sorted(self) -> list[Diagnostic]:
        return sorted(self._items, key=Diagnostic.sort_key)

    def errors(self) -> list[Diagnostic]:
        return [d for d in self.sorted() if d.is_error]

    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.sorted() if not d.is_error]

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise PolicyError(self.sorted())


class UdbudsreglerError(Exception):
    """Base class of every error the library raises on purpose."""


class PolicyError(UdbudsreglerError):
    """A policy has mistakes. ``diagnostics`` lists all of them, sorted by position."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        ordered = sorted(diagnostics, key=Diagnostic.sort_key)
        self.diagnostics: tuple[Diagnostic, ...] = tuple(ordered)
        super().__init__(self.render())

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    def render(self, cap: int = DiagnosticBag.CAP) -> str:
        shown = list(self.diagnostics[:cap])
        text = "\n".join(d.render() for d in shown)
        rest = len(self.diagnostics) - len(shown)
        if rest > 0:
            text += f"\n... and {rest} more"
        n = len(self.errors)
        summary = f"{n} error{'s' if n != 1 else ''}"
        warnings = len(self.diagnostics) - n
        if warnings:
            summary += f", {warnings} warning{'s' if warnings != 1 else ''}"
        return f"{text}\n{summary}" if text else summary


@dataclass(frozen=True)
class FactProblem:
    """One thing wrong with the facts a host supplied: the field path and what was expected."""

    code: str
    path: str
    message: str
    expected: str | None = None

    def render(self) -> str:
        where = self.path or "(facts)"
        text = f"{where}: {self.code}: {self.message}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "path": self.path, "message": self.message}
        if self.expected:
            out["expected"] = self.expected
        return out


class FactError(UdbudsreglerError):
    """The facts a host supplied do not fit the policy's fact schema. No decision is made."""

    def __init__(self, problems: Sequence[FactProblem]) -> None:
        ordered = sorted(problems, key=lambda p: (p.path, p.code))
        self.problems: tuple[FactProblem, ...] = tuple(ordered)
        super().__init__("\n".join(p.render() for p in self.problems))

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.problems)


@dataclass
class EvaluationError(UdbudsreglerError):
    """Evaluating a checked policy failed on these facts (e.g. a date beyond the calendar)."""

    code: str
    message: str
    span: Span | None = None
    node: str | None = None
    values: dict[str, object] = field(default_factory=dict)
    hint: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.render())

    def render(self) -> str:
        where = f"{self.span}: " if self.span else ""
        node = f" (in `{self.node}`)" if self.node else ""
        hint = f"\n  hint: {self.hint}" if self.hint else ""
        return f"{where}{self.code}: {self.message}{node}{hint}"

    def __str__(self) -> str:
        return self.render()
