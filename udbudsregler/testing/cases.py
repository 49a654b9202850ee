"""YAML test cases of a policy: example citizens with the decision they must get.

A policy folder holds its cases in ``tests/*.yaml``::

    defaults:                 # merged into every case (facts, and a referral's facts,
                              # key by key)
      on: 2019-02-01
      facts: {birth_date: 1980-05-01, ...}
    cases:
      - name: fylder 30 på afgørelsesdagen
        facts: {birth_date: 1989-02-01}
        expect:
          eligible: true
          criteria: {over_30: true}
          rules: {age: 30}
      - name: bonus optjent
        settle:
          referral: {id: R-1, start: 2019-02-01, package: individuelt_forloeb}
          outcomes: [{kind: selvforsoergende, from: 2020-05-15, to: null}]
          until: 2021-01-31
        expect:
          total: "149663.57"
          bonuses: {fuld_selvforsoergelse: earned}
          # or, for result payments: results: {job: {status: earned, tier: hurtigt}}

Case files are read with the policy loader, so a mistake in one (an unknown
key, a bad date) is reported at its file:line:column.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from udbudsregler.diagnostics import (
    Diagnostic,
    DiagnosticBag,
    EvaluationError,
    FactError,
    PolicyError,
    Span,
)
from udbudsregler.loader import load_yaml_text
from udbudsregler.loader.documents import DateText, Text, _Model
from udbudsregler.loader.includes import NotRegularFileError, read_regular
from udbudsregler.loader.reporting import Reporter
from udbudsregler.values.money import Money

__all__ = ["CaseResult", "DiscoveryError", "PolicyCases", "discover_policies", "load_cases",
           "run_cases"]


class SettleSpec(_Model):
    referral: dict[str, Any] | None = None
    outcomes: list[dict[str, Any]] | None = None
    until: DateText | None = None
    since: DateText | None = None


class ErrorSpec(_Model):
    code: str
    path: str | None = None


class ExpectSpec(_Model):
    eligible: bool | None = None
    target_groups: list[str] | None = None
    area: str | None = Field(default=None)
    areas: list[str] | None = None
    supplier: str | None = None
    package: dict[str, Any] | None = None
    criteria: dict[str, bool] | None = None
    rules: dict[str, Any] | None = None
    error: ErrorSpec | None = None
    explanation: list[str] | None = None
    total: str | int | None = None
    end: dict[str, Any] | None = None
    lines: list[dict[str, Any]] | None = None
    #: Bonus and result payment ids -> their status (`earned`), or a mapping of what is
    #: expected of them (`{status: earned, tier: hurtigt, amount: "30000.00"}`).
    bonuses: dict[str, str | dict[str, Any]] | None = None
    #: The same as `bonuses`, for result payments written under `results:`.
    results: dict[str, str | dict[str, Any]] | None = None
    #: Invariants of the policy that must hold for this case (a pasted counterexample).
    invariants: list[str] | None = None


class CaseSpec(_Model):
    name: Text
    description: Text | None = None
    on: DateText | None = None
    facts: dict[str, Any] | None = None
    order: dict[str, Any] | None = None
    suppliers: dict[str, Any] | None = None
    settle: SettleSpec | None = None
    expect: ExpectSpec


class DefaultsSpec(_Model):
    on: DateText | None = None
    facts: dict[str, Any] | None = None
    order: dict[str, Any] | None = None
    suppliers: dict[str, Any] | None = None
    settle: SettleSpec | None = None


class CaseFile(_Model):
    description: Text | None = None
    defaults: DefaultsSpec | None = None
    cases: list[CaseSpec] = Field(min_length=1)


@dataclass
class Case:
    name: str
    file: Path
    line: int
    spec: CaseSpec
    #: Which keys of ``expect`` the case file gives (an explicit ``area: null`` included).
    expected_keys: frozenset[str]


@dataclass
class CaseResult:
    case: Case
    failures: list[str] = field(default_factory=list)
    explanation: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def where(self) -> str:
        return f"{self.case.file}:{self.case.line}"

    def report(self) -> str:
        lines = [f"{self.where}: FAIL {self.case.name}"]
        lines += [f"  {f}" for f in self.failures]
        if self.explanation:
            lines.append("  --- explanation ---")
            lines += [f"  {line}" if line else "" for line in self.explanation.splitlines()]
        return "\n".join(lines)


@dataclass
class PolicyCases:
    policy_dir: Path
    files: list[Path]
    cases: list[Case]
    diagnostics: list[Diagnostic]


#: How deep below a given folder policies are looked for, and in how many folders at most:
#: `udbudsregler test /` must not walk the whole file system (issue 12, item 17).
MAX_SEARCH_DEPTH = 8
MAX_SEARCH_FOLDERS = 10_000


class DiscoveryError(Exception):
    """A folder to look for policies in cannot be read, or holds too many folders."""


def discover_policies(paths: Iterable[str | Path]) -> list[Path]:
    """Policy folders (with ``policy.yaml``) at or below the paths, sorted.

    Folders named ``tests`` and hidden folders (``.git``, ``.venv``) are not searched,
    nor more than :data:`MAX_SEARCH_DEPTH` levels down or :data:`MAX_SEARCH_FOLDERS`
    folders in all; symbolic links to folders are not followed. Raises
    :class:`DiscoveryError` for a folder that cannot be read or a search too large.
    """
    found: set[Path] = set()
    visited = 0
    for raw in paths:
        path = Path(raw)
        if _is(path, stat.S_ISREG):
            path = path.parent.parent if path.parent.name == "tests" else path.parent
        if _is(path / "policy.yaml", stat.S_ISREG):
            found.add(path)
            continue
        stack = [(path, 0)]
        while stack:
            folder, depth = stack.pop()
            visited += 1
            if visited > MAX_SEARCH_FOLDERS:
                raise DiscoveryError(f"{raw}: more than {MAX_SEARCH_FOLDERS} folders to search "
                                     "for policies; name the policy folders, or a folder "
                                     "closer to them")
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as error:
                reason = (error.strerror or "cannot be read").lower()
                raise DiscoveryError(f"{folder}: cannot be read ({reason})") from None
            for entry in entries:
                if entry.name == "policy.yaml" and _is(Path(entry.path), stat.S_ISREG):
                    found.add(Path(folder))
                elif (depth < MAX_SEARCH_DEPTH and entry.name != "tests"
                      and not entry.name.startswith(".") and _entry_is(entry, stat.S_ISDIR)):
                    stack.append((Path(entry.path), depth + 1))
    return sorted(found)


def _is(path: Path, kind: Any) -> bool:
    """Whether ``path`` is of ``kind`` (following links); a folder that cannot be searched
    is an error, not "no"."""
    try:
        return bool(kind(os.stat(path).st_mode))
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        return False
    except OSError as error:
        reason = (error.strerror or "cannot be read").lower()
        raise DiscoveryError(f"{path.parent}: cannot be read ({reason})") from None
    except ValueError:  # a NUL byte in the path
        return False


def _entry_is(entry: os.DirEntry[str], kind: Any) -> bool:
    """Whether a folder entry is of ``kind``, without following links; one that cannot be
    looked at is not searched (as `find` would, without failing the search)."""
    try:
        return bool(kind(entry.stat(follow_symlinks=False).st_mode))
    except OSError:
        return False


def load_cases(policy_dir: Path, files: Iterable[Path] | None = None) -> PolicyCases:
    """Read the case files of a policy; mistakes in them become diagnostics."""
    paths = sorted(files) if files is not None else sorted((policy_dir / "tests").glob("*.yaml"))
    bag = DiagnosticBag()
    cases: list[Case] = []
    for path in paths:
        cases += _read(path, bag)
    return PolicyCases(policy_dir, paths, cases, bag.sorted())


#: The largest file of test cases, in bytes.
MAX_CASE_FILE_BYTES = 4 * 1_048_576


def _read(path: Path, bag: DiagnosticBag) -> list[Case]:
    display = str(path)
    try:  # a plain file only, and not without end (a pipe would block, /dev/zero never end)
        data = read_regular(path, MAX_CASE_FILE_BYTES + 1)
        if len(data) > MAX_CASE_FILE_BYTES:
            bag.error("UDB801", f"the test file is larger than the limit of "
                      f"{MAX_CASE_FILE_BYTES} bytes", Span(display, 1, 1),
                      "split the cases into several files under `tests/`")
            return []
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        bag.error("UDB801", "the test file is not UTF-8 text", Span(display, 1, 1))
        return []
    except OSError as error:
        reason = "it is not a regular file" if isinstance(error, NotRegularFileError) else (
            error.strerror or "it cannot be opened").lower()
        bag.error("UDB801", f"the test file cannot be read: {reason}", Span(display, 1, 1))
        return []
    loaded = load_yaml_text(text, display, bag)
    if loaded is None:
        return []
    data, positions = loaded
    try:
        spec = CaseFile.model_validate(data)
    except ValidationError as error:
        Reporter(positions, bag).validation_error(error, (), CaseFile)
        return []
    defaults = spec.defaults or DefaultsSpec()
    out = []
    for i, case in enumerate(spec.cases):
        info = positions.get(("cases", i))
        line = info.span.line if info is not None else 1
        expect_data = data["cases"][i].get("expect", {})
        merged = _merge(defaults, case)
        out.append(Case(case.name, path, line, merged, frozenset(expect_data)))
    return out


def _merge(defaults: DefaultsSpec, case: CaseSpec) -> CaseSpec:
    updates: dict[str, Any] = {}
    if case.on is None and defaults.on is not None:
        updates["on"] = defaults.on
    for key in ("facts", "order", "suppliers"):
        base = getattr(defaults, key)
        mine = getattr(case, key)
        if key != "facts" and mine is None and key in case.model_fields_set:
            continue  # `suppliers: null` in a case: none, whatever the defaults say
        if base is not None and (mine is not None or key == "facts"):
            updates[key] = {**base, **(mine or {})}
        elif base is not None and mine is None and key != "facts":
            updates[key] = base
    if case.settle is None and defaults.settle is not None and case.facts is None:
        updates["settle"] = defaults.settle
    elif case.settle is not None and defaults.settle is not None:
        d, c = defaults.settle, case.settle
        referral = {**(d.referral or {}), **(c.referral or {})}
        base_facts, own_facts = (d.referral or {}).get("facts"), (c.referral or {}).get("facts")
        if isinstance(base_facts, Mapping) and isinstance(own_facts, Mapping):
            # the citizen's facts of a referral merge key by key, as a decision's do
            referral["facts"] = {**base_facts, **own_facts}
        updates["settle"] = SettleSpec(
            referral=referral,
            outcomes=c.outcomes if c.outcomes is not None else d.outcomes,
            until=c.until or d.until, since=c.since or d.since)
    return case.model_copy(update=updates)


# -- running ------------------------------------------------------------------------


def run_cases(policy: Any, cases: Iterable[Case]) -> Iterator[CaseResult]:
    for case in cases:
        yield run_case(policy, case)


def run_case(policy: Any, case: Case) -> CaseResult:
    result = CaseResult(case)
    spec = case.spec
    expect = spec.expect
    try:
        if spec.settle is not None:
            _check_settlement(policy, case, result)
        else:
            _check_decision(policy, case, result)
    except (FactError, EvaluationError) as error:
        if expect.error is None:
            result.failures.append(f"unexpected error: {error}")
        else:
            _check_error(error, expect.error, result)
        return result
    except PolicyError as error:
        result.failures.append(f"the policy has errors:\n{error}")
        return result
    if expect.error is not None and not result.failures:
        result.failures.append(f"expected error {expect.error.code}, but there was none")
    return result


def _check_error(error: FactError | EvaluationError, want: ErrorSpec, result: CaseResult) -> None:
    if isinstance(error, FactError):
        found = [(p.code, p.path) for p in error.problems]
    else:
        found = [(error.code, error.node or "")]
    if not any(code == want.code and (want.path is None or path == want.path)
               for code, path in found):
        shown = ", ".join(f"{c} at {p or '(facts)'}" for c, p in found)
        result.failures.append(f"error: expected {want.code}"
                               f"{' at ' + want.path if want.path else ''}, got {shown}")


def _compare(result: CaseResult, what: str, want: Any, got: Any) -> None:
    if want != got:
        result.failures.append(f"{what}: expected {_show(want)}, got {_show(got)}")


def _compare_keys(result: CaseResult, where: str, want: Mapping[str, Any],
                  got: Mapping[str, Any]) -> None:
    """Each expected key of a settlement line or result payment against the record's
    (an amount as a number, however the case writes it)."""
    for key, value in want.items():
        got_value = got.get(key)
        if key == "amount" and isinstance(got_value, dict):
            got_value = Decimal(got_value["amount"])
            value = _amount(value)
        _compare(result, f"{where}.{key}", _plain(value), got_value)


def _show(value: Any) -> str:
    from udbudsregler.values.canonical import show

    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    return show(value)


def _check_decision(policy: Any, case: Case, result: CaseResult) -> None:
    spec = case.spec
    expect = spec.expect
    if spec.on is None:
        result.failures.append("the case gives no decision date (`on`)")
        return
    decision = policy.decide(spec.facts or {}, on=spec.on, order=spec.order,
                             suppliers=spec.suppliers)
    keys = case.expected_keys
    if expect.eligible is not None:
        _compare(result, "eligible", expect.eligible, decision.eligible)
    if expect.target_groups is not None:
        _compare(result, "target_groups", expect.target_groups, list(decision.target_groups))
    if "area" in keys:
        _compare(result, "area", expect.area, decision.area)
    if expect.areas is not None:
        _compare(result, "areas", expect.areas, list(decision.areas))
    if "supplier" in keys:
        _compare(result, "supplier", expect.supplier, decision.supplier)
    if expect.package is not None:
        choice = decision.package_choice
        got = ({} if choice is None else
               {"id": choice.package, "accepted": choice.accepted, "status": choice.status})
        for key, value in expect.package.items():
            _compare(result, f"package.{key}", value, got.get(key))
    reasons = {(r.kind, r.id): r for r in decision.reasons}
    for ident, want in (expect.criteria or {}).items():
        reason = reasons.get(("criterion", ident))
        if reason is None:
            result.failures.append(f"criteria.{ident}: the policy has no such criterion")
        else:
            _compare(result, f"criteria.{ident}", want, reason.met)
    for name, want in (expect.rules or {}).items():
        _check_rule(policy, case, name, want, result)
    if expect.explanation:
        text = decision.explain()
        for fragment in expect.explanation:
            if fragment not in text:
                result.failures.append(f"explanation: does not contain {fragment!r}")
    for name in expect.invariants or []:
        _check_invariant(policy, name, result, decision=decision)
    if result.failures:
        result.explanation = decision.explain()


def _check_rule(policy: Any, case: Case, name: str, want: Any, result: CaseResult) -> None:
    from udbudsregler.expr.parser import ExprSyntaxError, parse_expression
    from udbudsregler.runtime.units import literal_unit, show_in_unit
    from udbudsregler.semantics.constants import literal_value
    from udbudsregler.semantics.ops import compare_values

    assert case.spec.on is not None
    try:
        got = policy.evaluate(name, case.spec.facts or {}, case.spec.on)
    except KeyError as error:
        result.failures.append(f"rules.{name}: {error.args[0]}")
        return
    try:
        node = parse_expression(str(want).lower() if isinstance(want, bool) else str(want))
        wanted = literal_value(node)
    except (ExprSyntaxError, AssertionError):
        result.failures.append(f"rules.{name}: `{want}` is not a literal value")
        return
    try:
        same = compare_values("==", got, wanted, policy.month_end)
    except (TypeError, ValueError, ArithmeticError):
        same = False
    if not same:
        # a length is shown in the unit the case expects it in (`3 years`, `180 days`)
        unit = literal_unit(node)
        shown = show_in_unit(got, unit, policy.month_end) if unit else _show(got)
        result.failures.append(f"rules.{name}: expected {want}, got {shown}")


def _check_invariant(policy: Any, name: str, result: CaseResult, *, decision: Any = None,
                     settlement: Any = None) -> None:
    from udbudsregler.testing.invariants import (
        check_decision,
        check_settlement,
        is_settlement_invariant,
    )

    invariant = policy.graph.invariants.get(name)
    if invariant is None:
        result.failures.append(f"invariants: the policy has no invariant `{name}`")
        return
    if is_settlement_invariant(invariant.spec) != (settlement is not None):
        kind = "a settlement" if settlement is None else "a decision"
        result.failures.append(f"invariants: `{name}` is not about {kind}")
        return
    problem = (check_settlement(invariant, settlement) if settlement is not None
               else check_decision(policy, invariant, decision))
    if problem is not None:
        result.failures.append(f"invariant `{name}` ({invariant.spec.title}) does not hold: "
                               f"{problem}")


def _amount(text: str | int) -> Decimal | None:
    raw = str(text).replace("DKK", "").strip()
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def _check_settlement(policy: Any, case: Case, result: CaseResult) -> None:
    settle = case.spec.settle
    assert settle is not None
    expect = case.spec.expect
    if settle.until is None or settle.referral is None:
        result.failures.append("`settle` needs `referral` and `until`")
        return
    settlement = policy.settle(settle.referral, settle.outcomes or [], until=settle.until,
                               since=settle.since)
    if expect.total is not None:
        want = _amount(expect.total)
        if want is None:
            result.failures.append(f"total: `{expect.total}` is not an amount")
        else:
            _compare(result, "total", want, settlement.total)
    if expect.end is not None:
        got_end = settlement.to_dict()["end"]
        for key, value in expect.end.items():
            _compare(result, f"end.{key}", _plain(value), got_end.get(key))
    if expect.lines is not None:
        got_lines = [line.to_dict() for line in settlement.lines]
        if len(got_lines) != len(expect.lines):
            result.failures.append(f"lines: expected {len(expect.lines)}, got {len(got_lines)}")
        for i, (want_line, got_line) in enumerate(zip(expect.lines, got_lines, strict=False)):
            _compare_keys(result, f"lines[{i}]", want_line, got_line)
    for section in ("bonuses", "results"):
        wanted = getattr(expect, section)
        if wanted is None:
            continue
        got_bonuses = {b.id: b.to_dict() for b in settlement.bonuses}
        for ident, want in wanted.items():
            got = got_bonuses.get(ident)
            if got is None:
                result.failures.append(f"{section}.{ident}: the settlement has no such "
                                       f"{'bonus' if section == 'bonuses' else 'result payment'}"
                                       f" (it has: {', '.join(got_bonuses) or 'none'})")
                continue
            if not isinstance(want, Mapping):
                _compare(result, f"{section}.{ident}", want, got["status"])
                continue
            _compare_keys(result, f"{section}.{ident}", want, got)
    for name in expect.invariants or []:
        _check_invariant(policy, name, result, settlement=settlement)
    if expect.explanation:
        text = settlement.explain()
        for fragment in expect.explanation:
            if fragment not in text:
                result.failures.append(f"explanation: does not contain {fragment!r}")
    if result.failures:
        result.explanation = settlement.explain()


def _plain(value: Any) -> Any:
    """Case values as settlement JSON has them (dates as text, periods as from/to)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Money):
        return {"amount": format(value.amount, "f"), "currency": value.currency}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value

