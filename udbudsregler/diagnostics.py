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

import enum
import functools
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from udbudsregler.values.limits import shown  # also the converters' (values/convert.py)

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
    "printable",
    "shown",
]


#: With at most this many candidates, a word is compared with each of them.
EXACT_POOL = 100
#: With more, it is compared with at most this many: those a typo or two away.
SHORTLIST = 32
_CUTOFF = 0.6
#: Words longer than this get no did-you-mean from a large set of candidates.
_LONGEST_INDEXED = 64


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word``, if one is close enough to be what was meant.

    The one measure of "close" for every did-you-mean, so that a stage that holds back
    an error because another stage suggests the intended name agrees with it: difflib's
    ratio of at least 0.6, the highest winning (the larger text on a tie).

    Comparing every misspelt name with every name made checking quadratic (1,000
    misspelt names among 1,000 took 14 s; issue 12, item 14). With at most
    :data:`EXACT_POOL` candidates, which covers real policies, the word is compared with
    each. With more, only with the candidates that share a *variant* with it (the word
    itself or the word less one character): those a character added, left out, replaced
    or swapped away, at most :data:`SHORTLIST` of them, the nearest in length first. The
    answer depends on the word and the candidates only.
    """
    pool = tuple(candidates)
    if len(pool) <= EXACT_POOL:
        return _exact(word, pool)
    return _indexed(word, pool)


@functools.lru_cache(maxsize=4096)
def _exact(word: str, pool: tuple[str, ...]) -> str | None:
    import difflib  # on first use: most runs never suggest a name

    close = difflib.get_close_matches(word, pool, n=1, cutoff=_CUTOFF)
    return close[0] if close else None


def _indexed(word: str, pool: tuple[str, ...]) -> str | None:
    if len(word) > _LONGEST_INDEXED:
        return None
    members = frozenset(pool)
    found: set[str] = set()
    with _VARIANTS.lock:  # policies may be checked in several threads
        _VARIANTS.add(members)
        for key in _variants(word):
            found.update(_VARIANTS.owners.get(key, ()))
    found &= members
    shortlist = sorted(found, key=lambda c: (abs(len(c) - len(word)), c))[:SHORTLIST]
    return _exact(word, tuple(shortlist))


@functools.lru_cache(maxsize=65_536)
def _variants(word: str) -> frozenset[str]:
    """``word`` and each way of deleting one character from it."""
    return frozenset((word, *(word[:i] + word[i + 1:] for i in range(len(word)))))


class _VariantIndex:
    """Every text seen among large sets of candidates, by its variants.

    Shared by all calls, so that the growing sets of names a checker offers (each name
    it has typed so far) are indexed once, not once per call. What it holds only saves
    work, never changes an answer; it is emptied when it grows beyond ``limit`` entries.
    """

    def __init__(self, limit: int = 1_000_000) -> None:
        self.lock = threading.Lock()
        self.limit = limit
        self.owners: dict[str, set[str]] = {}
        self.indexed: set[str] = set()
        self.entries = 0

    def add(self, members: frozenset[str]) -> None:
        fresh = members - self.indexed
        if not fresh:
            return
        if self.entries > self.limit:
            self.owners.clear()
            self.indexed.clear()
            self.entries = 0
            fresh = members
        for text in fresh:
            if len(text) <= _LONGEST_INDEXED:
                for key in _variants(text):
                    self.owners.setdefault(key, set()).add(text)
                self.entries += len(text) + 1
        self.indexed |= fresh


_VARIANTS = _VariantIndex()


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the candidate closest to ``word``, if one is close enough."""
    close = closest(word, candidates)
    return f"did you mean `{close}`?" if close is not None else None


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` on one line: newlines, tabs and other invisible characters escaped
    (``\\n``, ``\\u200b``), as a message must show what an author wrote."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _ESCAPES.get(c) or f"\\u{ord(c):04x}"
                   for c in text)


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
    CodeInfo("UDB114", "load", "an include or a base policy is outside the folder it must "
             "stay in", "use a relative path below the folder of the main policy file"),
    CodeInfo("UDB115", "load", "an override names nothing in the base policy",
             "override criteria by the id they have in the base policy"),
    CodeInfo("UDB116", "load", "the base of `extends:` is not a policy, or cannot be loaded",
             "name the folder of a policy (with its `policy.yaml`) or its main file"),
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
    CodeInfo("UDB314", "parse", "a number or duration is larger than the limit",
             "numbers have at most 40 digits before the decimal point and 40 after it; "
             "durations are at most 10000 years"),
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
    CodeInfo("UDB427", "check", "a duration of the tender depends on a citizen's facts, or a "
             "price on the date",
             "durations and spans may use parameters only; a price that changes on a date is a "
             "parameter with dated `values`"),
    CodeInfo("UDB428", "check", "a weekly-hour span ends below its start",
             "write the smaller number as `min`"),
    CodeInfo("UDB429", "check", "a price model or outcome is never used",
             "remove it, or refer to it from a package or a bonus", _W),
    CodeInfo("UDB430", "check", "an invariant is checked on a date outside the round",
             "choose a date within `policy: valid`, or leave `on` out"),
    CodeInfo("UDB431", "check", "a fact's range runs backwards, or its default is outside it",
             "`min` must not be greater than `max`, and the default must lie between them"),
    CodeInfo("UDB432", "check", "an absolute invariant reads a parameter, or has no `holds`",
             "write the limit as a value (`age >= 30`), so a new round's parameters do not "
             "move it"),
    CodeInfo("UDB433", "check", "a duration of the tender is zero, negative or longer than "
             "100 years", "durations of referrals, aftercare, result periods, windows, tiers, "
             "packages and caps are longer than zero and at most 100 years"),
    CodeInfo("UDB434", "check", "a tier of a result payment can never apply",
             "order the tiers from the soonest result to the latest; only the last may leave "
             "out `within`"),
    CodeInfo("UDB435", "check", "the total duration of linked referrals is shorter than "
             "one referral's", "make `total_duration` at least `max_duration`", _W),
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
             "see the policy's `facts` section, or the input's JSON Schema "
             "(`policy.json_schema`), for the expected type"),
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
    CodeInfo("UDB609", "facts", "a key appears twice in a JSON object",
             "remove or rename one of them; a JSON reader would silently keep only the last"),
    CodeInfo("UDB610", "facts", "a value is beyond the input limits",
             "numbers below 10^18 with at most 18 decimal places, durations up to 1000 "
             "years, JSON nested at most 64 levels; see docs/errors.md, input limits"),
    CodeInfo("UDB611", "facts", "a fact is outside the range the policy allows",
             "see the fact's `min` and `max` in the policy (or `minimum`/`maximum` in the "
             "facts' JSON Schema)"),
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
    CodeInfo("UDB706", "evaluate", "the decision visits too many list elements in its loops",
             "check for loops nested inside loops over long histories; a host can raise "
             "the limit with `Limits(evaluation_steps=...)`"),
    CodeInfo("UDB707", "evaluate", "a citizen fits two areas the policy says are exclusive",
             "correct the areas' target groups or conditions, or give `routing` a "
             "`priority` instead of `exclusive: true`"),
    CodeInfo("UDB708", "evaluate", "a value depends on a name only its place gives",
             "`result`, `time_to_result`, `day`, `reported` and `supplier` have values in "
             "a settlement or a supplier selection, not for a decision alone; define a rule "
             "that does not read them"),
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
        # Messages quote what an author wrote (a name, a value); a newline or another
        # control character in it must not break the one-line format.
        if not self.message.isprintable():
            object.__setattr__(self, "message", printable(self.message))
        if self.hint is not None and not self.hint.isprintable():
            object.__setattr__(self, "hint", printable(self.hint))
        if any(not text.isprintable() for text, _ in self.notes):
            object.__setattr__(self, "notes", tuple((printable(text), span)
                                                    for text, span in self.notes))

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
            # A policy diagnostic is located by file, line and column, not by an input path.
            "path": None,
        }
        if self.span is not None:
            out.update(_located(self.span))
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
    """Base class of every error the library raises on purpose.

    Every error has the same :meth:`to_dict` shape, ``{"error": <class name>,
    "message": <the error as text>, "problems": [...]}``, each problem with ``code``,
    ``path``, ``message`` and ``hint`` (and ``file``, ``line``, ``column`` where the
    problem has a place in a policy file). Every error pickles to an equal error, so it
    crosses process boundaries (``concurrent.futures.ProcessPoolExecutor``) intact.
    """

    def problem_dicts(self) -> list[dict[str, object]]:
        """The problems of this error, each a dict of the one shape."""
        return []

    def to_dict(self) -> dict[str, object]:
        return {"error": type(self).__name__, "message": str(self),
                "problems": self.problem_dicts()}

    def _key(self) -> tuple[object, ...]:
        return (str(self),)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, UdbudsreglerError)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))


class PolicyError(UdbudsreglerError):
    """A policy has mistakes. ``diagnostics`` lists all of them, sorted by position."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        ordered = sorted(diagnostics, key=Diagnostic.sort_key)
        self.diagnostics: tuple[Diagnostic, ...] = tuple(ordered)
        super().__init__(self.render())

    def __reduce__(self) -> tuple[type[PolicyError], tuple[tuple[Diagnostic, ...]]]:
        return (type(self), (self.diagnostics,))

    def _key(self) -> tuple[object, ...]:
        return self.diagnostics

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

    def problem_dicts(self) -> list[dict[str, object]]:
        return [d.to_dict() for d in self.diagnostics]


@dataclass(frozen=True)
class FactProblem:
    """One thing wrong with what a host supplied (facts, order, supplier state, referral,
    outcomes, a date): the field path, what is wrong and what was expected."""

    code: str
    #: Where: ``offers[0].weekly_hours``, ``order.weekly_hours``, ``outcomes[2].kind``,
    #: ``on``; empty for the facts as a whole.
    path: str
    message: str
    expected: str | None = None
    #: What to do; the code's hint (:data:`CODES`) when None.
    hint: str | None = None

    @property
    def effective_hint(self) -> str:
        return self.hint if self.hint is not None else CODES[self.code].hint

    @property
    def described(self) -> str:
        """The message with what was expected, as :meth:`render` shows them (the message
        column of ``decide_table``'s errors)."""
        return f"{self.message} (expected {self.expected})" if self.expected else self.message

    def render(self) -> str:
        return f"{self.path or '(facts)'}: {self.code}: {self.described}"

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "path": self.path, "message": self.message,
                                  "hint": self.effective_hint}
        if self.expected:
            out["expected"] = self.expected
        return out


class FactError(UdbudsreglerError):
    """What a host supplied does not fit the policy: the facts, and also the order, the
    supplier state, the referral, the outcomes or the date of the same call. Every problem
    of every input of the call is listed, sorted by path. No decision is made."""

    #: At most this many problems are written out in the message (all are in ``problems``).
    SHOWN = 100

    def __init__(self, problems: Sequence[FactProblem]) -> None:
        ordered = sorted(problems, key=lambda p: (p.path, p.code, p.message))
        self.problems: tuple[FactProblem, ...] = tuple(ordered)
        lines = [p.render() for p in self.problems[:self.SHOWN]]
        if len(self.problems) > self.SHOWN:
            lines.append(f"... and {len(self.problems) - self.SHOWN} more")
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[type[FactError], tuple[tuple[FactProblem, ...]]]:
        return (type(self), (self.problems,))

    def _key(self) -> tuple[object, ...]:
        return self.problems

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.problems)

    def problem_dicts(self) -> list[dict[str, object]]:
        return [p.to_dict() for p in self.problems]


class EvaluationError(UdbudsreglerError):
    """Evaluating a checked policy failed on these facts (e.g. a date beyond the calendar),
    or the date of a call is outside the policy's validity.

    ``path`` says where: the definition being evaluated, or the input (``on``,
    ``referral.start``). ``node`` is the same attribute under its old name (deprecated:
    use ``path``).
    """

    def __init__(self, code: str, message: str, span: Span | None = None,
                 path: str | None = None, values: dict[str, object] | None = None, *,
                 hint: str | None = None, node: str | None = None) -> None:
        self.code = code
        self.message = message
        self.span = span
        self.path = path if path is not None else node
        self.values: dict[str, object] = values if values is not None else {}
        self.hint = hint
        super().__init__(self.render())

    @property
    def node(self) -> str | None:
        """Deprecated alias of :attr:`path`."""
        return self.path

    @node.setter
    def node(self, value: str | None) -> None:
        self.path = value

    @property
    def effective_hint(self) -> str:
        return self.hint if self.hint is not None else CODES[self.code].hint

    def __reduce__(self) -> tuple[object, ...]:
        return (_evaluation_error, (self.code, self.message, self.span, self.path,
                                    self.values, self.hint))

    def _key(self) -> tuple[object, ...]:
        return (self.code, self.message, self.span, self.path, self.hint)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, EvaluationError)
        return self._key() == other._key() and self.values == other.values

    __hash__ = UdbudsreglerError.__hash__

    def render(self) -> str:
        where = f"{self.span}: " if self.span else ""
        node = f" (in `{self.path}`)" if self.path else ""
        hint = f"\n  hint: {self.hint}" if self.hint else ""
        return f"{where}{self.code}: {self.message}{node}{hint}"

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return (f"EvaluationError(code={self.code!r}, message={self.message!r}, "
                f"span={self.span!r}, path={self.path!r})")

    def problem_dicts(self) -> list[dict[str, object]]:
        out: dict[str, object] = {"code": self.code, "path": self.path,
                                  "message": self.message, "hint": self.effective_hint}
        if self.span is not None:
            out.update(_located(self.span))
        return [out]


def _evaluation_error(code: str, message: str, span: Span | None, path: str | None,
                      values: dict[str, object], hint: str | None) -> EvaluationError:
    return EvaluationError(code, message, span, path, values, hint=hint)


def _located(span: Span) -> dict[str, object]:
    return {"file": span.file, "line": span.line, "column": span.column,
            "end_line": span.end_line, "end_column": span.end_column}
