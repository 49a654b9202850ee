"""pytest plugin: run a policy's YAML test cases and invariants as pytest tests.

Installed with the library (entry point ``pytest11``), so ``pytest policies/``
collects ``<policy folder>/tests/*.yaml``, one test per case. A failing case
shows the file and line, the case name, what was expected and what came out,
and the decision's explanation. A case file with mistakes (an unknown key, a
bad date) fails with the located diagnostics.

It also collects each policy's ``invariants`` (from its ``policy.yaml``), one
property test per invariant; a failure prints the shrunk counterexample as a
YAML test case to paste into the policy's tests. ``--invariant-examples N``
sets how many citizens or referrals each searches (default 200).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from udbudsregler.diagnostics import PolicyError
from udbudsregler.testing.cases import Case, load_cases, run_case

__all__ = ["pytest_addoption", "pytest_collect_file", "pytest_load_initial_conftests"]

_POLICIES: dict[Path, Any] = {}


def _policy(folder: Path) -> Any:
    """Load each policy once per test session (a broken policy is remembered too)."""
    if folder not in _POLICIES:
        from udbudsregler.policy import load_policy

        try:
            _POLICIES[folder] = load_policy(folder)
        except PolicyError as error:
            _POLICIES[folder] = error
    return _POLICIES[folder]


def _policy_folder(path: Path) -> Path | None:
    if path.suffix not in (".yaml", ".yml") or path.parent.name != "tests":
        return None
    folder = path.parent.parent
    return folder if (folder / "policy.yaml").is_file() else None


#: Options that use pytest's cache: with one of them, the cache stays on.
_CACHE_OPTIONS = ("--lf", "--last-failed", "--ff", "--failed-first", "--nf", "--new-first",
                  "--sw", "--stepwise", "--sw-skip", "--stepwise-skip", "--cache-show",
                  "--cache-clear", "--lfnf", "--last-failed-no-failures")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser,
                                  args: list[str]) -> None:
    """Without a configuration file (pytest run in a folder of policies, not in a Python
    project), pytest's cache is off, so no `.pytest_cache/` is left in the author's
    folder. A project's own configuration, or a cache option such as `--lf`, keeps it."""
    if early_config.inipath is not None:
        return
    if any(arg.split("=", 1)[0] in _CACHE_OPTIONS for arg in args):
        return
    early_config.pluginmanager.consider_pluginarg("no:cacheprovider")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("udbudsregler")
    group.addoption("--invariant-examples", type=int, default=200, metavar="N",
                    help="how many generated citizens or referrals each policy invariant is "
                         "checked on (default 200)")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name == "policy.yaml":
        invariants: pytest.Collector = PolicyInvariants.from_parent(parent, path=file_path)
        return invariants
    folder = _policy_folder(file_path)
    if folder is None:
        return None
    collector: pytest.Collector = CaseFile.from_parent(parent, path=file_path)
    return collector


class InvariantFailed(Exception):
    pass


class PolicyInvariants(pytest.File):
    """The invariants of the policy whose main file this is."""

    def collect(self) -> Iterator[pytest.Item]:
        policy = _policy(self.path.parent)
        if isinstance(policy, PolicyError):
            return  # the policy's cases report its errors
        for name in policy.graph.invariants:
            yield InvariantItem.from_parent(self, name=f"invariant {name}", invariant=name)


class InvariantItem(pytest.Item):
    def __init__(self, *, invariant: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.invariant = invariant

    def runtest(self) -> None:
        from udbudsregler.testing.invariants import find_violation

        examples = int(self.config.getoption("--invariant-examples"))
        violation = find_violation(_policy(self.path.parent), self.invariant,
                                   max_examples=examples)
        if violation is not None:
            raise InvariantFailed(
                f"invariant `{violation.invariant}` ({violation.title}) does not hold:\n"
                f"  {violation.message}\n\nPaste this case into a file under "
                f"{self.path.parent / 'tests'} to reproduce it:\n\n{violation.case}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, InvariantFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, f"invariant: {self.invariant}"


class CaseFileError(Exception):
    """A case file (or its policy) has mistakes; carries the rendered diagnostics."""


class CaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        folder = _policy_folder(self.path)
        assert folder is not None
        suite = load_cases(folder, [self.path])
        if suite.diagnostics:
            text = "\n".join(d.render() for d in suite.diagnostics)
            yield FileProblem.from_parent(self, name="case file", text=text)
            return
        for case in suite.cases:
            yield CaseItem.from_parent(self, name=case.name, case=case, folder=folder)


class FileProblem(pytest.Item):
    def __init__(self, *, text: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text = text

    def runtest(self) -> None:
        raise CaseFileError(self.text)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        return f"{self.path}: the case file has mistakes:\n{excinfo.value}"

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, f"{self.path.name}: case file"


class CaseFailed(Exception):
    pass


class CaseItem(pytest.Item):
    def __init__(self, *, case: Case, folder: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.folder = folder

    def runtest(self) -> None:
        policy = _policy(self.folder)
        if isinstance(policy, PolicyError):
            raise CaseFileError(f"the policy {self.folder} has errors:\n{policy}")
        result = run_case(policy, self.case)
        if not result.passed:
            raise CaseFailed(result.report())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, (CaseFailed, CaseFileError)):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, self.case.line - 1, f"case: {self.case.name}"
