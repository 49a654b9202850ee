"""The command line: ``udbudsregler check | decide | ...``.

No Python traceback ever reaches the user for bad input: policy mistakes are
printed as located diagnostics, bad facts as field paths, bad arguments as one
line. Exit codes: 0 success, 1 the policy has errors (or a test failed),
2 bad input (arguments, facts, files), 70 an internal error (a bug: please
report it; ``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO, cast

from udbudsregler.diagnostics import (
    EvaluationError,
    FactError,
    FactProblem,
    PolicyError,
    Severity,
    UdbudsreglerError,
    printable,
    shown,
)
from udbudsregler.loader import Limits
from udbudsregler.runtime.inputs import read_json as read_json_text
from udbudsregler.stages import STAGE_NAMES, STAGES, run_stages
from udbudsregler.values.convert import meant_as_date, written_as_date
from udbudsregler.values.wording import LANGUAGES

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 70

#: The inputs besides the facts, as the first part of a problem's path.
_NOT_FACTS = frozenset({"order", "suppliers", "referral", "outcomes", "on", "until", "since"})


class InputError(Exception):
    """Bad input from the command line: printed as one line, exit code 2."""


def _date(text: str) -> date:
    # Only YYYY-MM-DD: `date.fromisoformat` also takes `20190201` and `2019-W05-5`.
    try:
        if not written_as_date(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_not_a_date(text)) from None


def _not_a_date(text: str) -> str:
    return f"`{printable(text[:40])}` is not a date written as YYYY-MM-DD"


def _date_or_column(text: str) -> date | str:
    """``decide --on``: a date (text written ``YYYY-MM-DD`` is one: a bad one is refused
    here, as ``_date`` refuses it), else the text, the name of a population file's column
    of dates (:func:`_decide_on` refuses it without ``--population``)."""
    if written_as_date(text):
        return _date(text)
    return text


def _diff_on(args: argparse.Namespace) -> tuple[date | None, str | None]:
    """``diff --on``: the decision date, or (with ``--population``) the name of the
    population file's field holding each row's own date, as ``decide --population --on``
    takes it: a name the file lacks is refused, and so is text with a digit that names
    no field (meant as a date, ``2019-2-1``), as ``_date`` refuses it."""
    from udbudsregler.analysis.population import PopulationError, check_day_field

    on: date | str | None = args.on
    if not isinstance(on, str):
        return on, None
    if args.population is None:
        raise InputError(f"udbudsregler diff: argument --on: {_not_a_date(on)} (a column "
                         "of each citizen's own date needs --population FILE)")
    try:
        check_day_field(args.population, on)
    except PopulationError as error:
        if meant_as_date(on):
            raise InputError(f"udbudsregler diff: argument --on: {_not_a_date(on)}") from None
        raise InputError(str(error)) from None
    return None, on


def _decide_on(on: date | str) -> date:
    """``decide --on`` for one citizen: a date, refused as ``_date`` refuses it."""
    if isinstance(on, date):
        return on
    try:
        return _date(on)
    except argparse.ArgumentTypeError as error:
        raise InputError(f"udbudsregler decide: argument --on: {error}") from None


def read_json(path: str, prefix: str = "") -> Any:
    """A JSON file, numbers with fractions read as exact decimals (never floats); a key
    given twice, an overlong number or too deep nesting is a FactError with the path
    (under ``prefix``)."""
    text = _read_text(path)
    try:
        return read_json_text(text, prefix)
    except json.JSONDecodeError as error:
        raise InputError(f"{_shown(path)}:{error.lineno}:{error.colno}: not valid JSON: "
                         f"{error.msg[0].lower()}{error.msg[1:]}") from None


def _shown(text: str) -> str:
    return shown(text, 200)


def _read_all(*reads: Callable[[], Any]) -> list[Any]:
    """Read several inputs; the problems of all of them in one FactError."""
    values: list[Any] = []
    problems: list[FactProblem] = []
    for read in reads:
        try:
            values.append(read())
        except FactError as error:
            problems += error.problems
            values.append(None)
    if problems:
        raise FactError(problems)
    return values


#: The largest input file (facts, order, suppliers, referral), in bytes: `decide POLICY
#: /dev/zero` must not read without end (issue 12, item 16).
MAX_INPUT_BYTES = 16 * 1_048_576


def _read_text(path: str) -> str:
    try:
        if path == "-":
            stdin = sys.stdin
            data = (stdin.buffer.read(MAX_INPUT_BYTES + 1) if hasattr(stdin, "buffer")
                    else stdin.read(MAX_INPUT_BYTES + 1).encode("utf-8", "surrogatepass"))
        else:  # (a pipe is read as it comes: `decide POLICY <(make-facts)`)
            with open(path, "rb") as stream:
                data = stream.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or "not a valid path"
        raise InputError(f"{path}: cannot be read ({reason.lower()})") from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{path}: larger than the limit of {MAX_INPUT_BYTES} bytes for an "
                         "input file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


def _print_diagnostics(error_or_list: Any, out: TextIO, as_json: bool,
                       warnings: bool = True) -> None:
    diagnostics = list(error_or_list)
    if not warnings:
        diagnostics = [d for d in diagnostics if d.severity is Severity.ERROR]
    if as_json:
        json.dump([d.to_dict() for d in diagnostics], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    for d in diagnostics:
        out.write(d.render() + "\n")
    if not diagnostics:
        return
    errors = sum(1 for d in diagnostics if d.is_error)
    rest = len(diagnostics) - errors
    summary = f"{errors} error{'s' if errors != 1 else ''}"
    if rest:
        summary += f", {rest} warning{'s' if rest != 1 else ''}"
    out.write(summary + "\n")


# -- commands -----------------------------------------------------------------


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    _must_exist(args.path)
    state = run_stages(args.path, stop_after=args.stop_after, limits=_limits(args))
    diagnostics = state.bag.sorted()
    _print_diagnostics(diagnostics, out, args.json, warnings=not args.no_warnings)
    if not args.json and not state.bag.has_errors:
        out.write(f"{args.path}: ok (stages run: {_stages_run(state.reached)})\n")
    return EXIT_FAILED if state.bag.has_errors else EXIT_OK


def _stages_run(reached: str | None) -> str:
    names = list(STAGE_NAMES)
    if reached is None:
        return "none"
    return ", ".join(names[: names.index(reached) + 1])


def _load(path: str, args: argparse.Namespace) -> Any:
    from udbudsregler.policy import load_policy

    _must_exist(path)
    return load_policy(path, limits=_limits(args))


def _must_exist(path: str) -> None:
    """An InputError unless ``path`` exists; a path that cannot be looked at (a folder on
    the way without permission) is one too, not a crash (issue 12, item 12)."""
    try:
        os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or folder") from None
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or "not a valid path"
        raise InputError(f"{path}: cannot be read ({reason.lower()})") from None


def _limits(args: argparse.Namespace) -> Limits:
    """The loader's limits, with the folder bases of `extends:` must be inside."""
    root: str | None = getattr(args, "policy_root", None)
    if root is not None and not Path(root).is_dir():
        raise InputError(f"--policy-root {root}: no such folder")
    return Limits(policy_root=root)


def _json_argument(value: str | None, what: str) -> Any:
    """A JSON object given inline (`{...}`) or as a file path."""
    if value is None:
        return None
    prefix = what.lstrip("-")
    if value.lstrip().startswith("{"):
        try:
            return read_json_text(value, prefix)
        except json.JSONDecodeError as error:
            raise InputError(f"{what}: not valid JSON: {error.msg}") from None
    return read_json(value, prefix)


def cmd_decide(args: argparse.Namespace, out: TextIO) -> int:
    if args.population is not None:
        return _decide_population(args, out)
    args.on = _decide_on(args.on)
    if args.facts is None:
        raise InputError("decide: give a facts file, or --population FILE --out FILE")
    policy = _load(args.policy, args)
    facts, order, suppliers = _read_all(
        lambda: read_json(args.facts), lambda: _json_argument(args.order, "--order"),
        lambda: _json_argument(args.suppliers, "--suppliers"))
    tracer = None
    if args.trace:
        from udbudsregler.runtime.trace import RecordingTracer

        tracer = RecordingTracer()
    decision = policy.decide(facts, on=args.on, tracer=tracer, order=order,
                             suppliers=suppliers)
    if args.json:
        json.dump(decision.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif args.explain:
        out.write(decision.explain(args.lang))
    else:
        groups = ", ".join(decision.target_groups) or "-"
        out.write(f"eligible: {'yes' if decision.eligible else 'no'}\n")
        out.write(f"target groups: {groups}\n")
        out.write(f"area: {decision.area or '-'}\n")
        if decision.supplier_choice is not None:
            out.write(f"supplier: {decision.supplier or '-'} "
                      f"({decision.supplier_choice.method})\n")
        if decision.package_choice is not None:
            choice = decision.package_choice
            out.write(f"package: {choice.package}: "
                      f"{'accepted' if choice.accepted else 'refused'} ({choice.status})\n")
    if tracer is not None:
        from udbudsregler.runtime.units import render_trace

        out.write("\ntrace:\n" + render_trace(tracer, policy.checked, policy.month_end) + "\n")
    return EXIT_OK


def _decide_population(args: argparse.Namespace, out: TextIO) -> int:
    """``decide POLICY --population FILE --on DATE|COLUMN --out FILE``: every citizen of a
    file, in batches (the columnar extra); ``--on COLUMN``: each on the date in its
    column (JSON lines: its line's key of that name, beside ``facts``)."""
    if args.facts is not None:
        raise InputError("decide: give either a facts file or --population, not both")
    if args.out is None:
        raise InputError("decide --population needs --out FILE (.parquet or .jsonl)")
    if args.batch_size < 1:
        raise InputError("--batch-size must be 1 or more")
    if args.order is not None:
        raise InputError("decide --population takes each citizen's order from its line "
                         '({"facts": ..., "order": ...}), not --order')
    try:
        from udbudsregler.columnar.files import PopulationFileError, decide_file, progress_bar
        from udbudsregler.columnar.table import ColumnarFallback, projection, value_columns
    except ImportError:
        raise InputError("decide --population needs the columnar extra: "
                         "pip install 'udbudsregler[columnar]'") from None
    policy = _load(args.policy, args)
    suppliers = _json_argument(args.suppliers, "--suppliers") if args.suppliers else None
    values = tuple(v for v in (args.values or "").split(",") if v)
    columns = None if args.columns is None else tuple(
        c.strip() for c in args.columns.split(",") if c.strip())
    try:  # a name that is not a decision column or a value column is bad input
        projection(columns)
        value_columns(policy, values)
    except ValueError as error:
        raise InputError(str(error)) from None
    except KeyError as error:
        raise InputError(str(error.args[0])) from None
    try:
        with warnings.catch_warnings():  # its text is printed below, as a note
            warnings.simplefilter("ignore", ColumnarFallback)
            summary = decide_file(policy, args.population, args.on, args.out,
                                  errors=args.errors, batch_rows=args.batch_size,
                                  values=values, progress=progress_bar(sys.stderr),
                                  columns=columns, suppliers=suppliers)
    except PopulationFileError as error:
        raise InputError(str(error)) from None
    where = f"; the errors are in {summary.errors_file}" if summary.errors else ""
    sys.stderr.write(f"decide: {summary.rows:,} rows: {summary.decided:,} decided, "
                     f"{summary.errors:,} with errors ({summary.seconds:.1f} s){where}\n")
    for note in summary.notes:
        sys.stderr.write(f"note: {note}\n")
    return EXIT_INPUT if summary.errors else EXIT_OK


def cmd_test(args: argparse.Namespace, out: TextIO) -> int:
    from udbudsregler.policy import load_policy
    from udbudsregler.testing.cases import DiscoveryError, discover_policies, load_cases, run_cases

    for path in args.paths:
        _must_exist(path)
    try:
        folders = discover_policies(args.paths)
    except DiscoveryError as error:
        raise InputError(str(error)) from None
    if not folders:
        raise InputError("no policy folders (with policy.yaml) found in "
                         + ", ".join(args.paths))
    failed = total = 0
    coverages: list[dict[str, Any]] = []
    for folder in folders:
        suite = load_cases(folder)
        for diagnostic in suite.diagnostics:
            out.write(diagnostic.render() + "\n")
        broken = sum(1 for d in suite.diagnostics if d.is_error)
        if not suite.cases and not broken:
            # a folder without cases (a new round derived with `extends:`) still has the
            # invariants it declares or inherits: check those
            failed += _invariants_only(folder, args.examples, out)
            continue
        try:
            policy = load_policy(folder, limits=_limits(args))
        except PolicyError as error:
            _print_diagnostics(error.diagnostics, out, as_json=False)
            out.write(f"{folder}: the policy has errors; its {len(suite.cases)} cases did not "
                      "run\n")
            failed += len(suite.cases) + 1
            continue
        results = list(run_cases(policy, suite.cases))
        bad = [r for r in results if not r.passed]
        for result in bad:
            out.write(result.report() + "\n")
        if args.verbose:
            for result in results:
                if result.passed:
                    out.write(f"{result.where}: ok {result.case.name}\n")
        total += len(results)
        failed += len(bad) + broken
        status = "ok" if not bad and not broken else "FAILED"
        out.write(f"{folder}: {len(results) - len(bad)} of {len(results)} cases passed"
                  f"{_mistakes(broken)} ({status})\n")
        if args.coverage or args.coverage_json:  # informs only: never changes the exit code
            coverages.append(_coverage(policy, folder, suite.cases, args.coverage, out))
        if args.examples > 0:
            failed += _invariants(policy, folder, args.examples, out)
    if args.coverage_json:
        _write_json(args.coverage_json, coverages)
    return EXIT_FAILED if failed else EXIT_OK


def _invariants_only(folder: Path, examples: int, out: TextIO) -> int:
    """The invariants of a policy folder that has no test cases; how many failed (a
    folder with neither cases nor invariants to check is UDB802)."""
    from udbudsregler.diagnostics import Diagnostic
    from udbudsregler.policy import load_policy

    try:
        policy = load_policy(folder)
    except PolicyError as error:
        _print_diagnostics(error.diagnostics, out, as_json=False)
        out.write(f"{folder}: the policy has errors\n")
        return 1
    if not policy.graph.invariants or examples <= 0:
        out.write(Diagnostic("UDB802", f"the policy folder `{folder}` has no test cases",
                             None).render() + "\n")
        return 1
    out.write(f"{folder}: no test cases; checking its {len(policy.graph.invariants)} "
              "invariants\n")
    return _invariants(policy, folder, examples, out)


def _coverage(policy: Any, folder: Path, cases: Any, show: bool, out: TextIO) -> dict[str, Any]:
    """Measure what a policy's cases cover; print the report if asked."""
    from udbudsregler.analysis.coverage import measure

    coverage = measure(policy, cases)
    if show:
        out.write(coverage.report() + "\n")
    return {"folder": str(folder), **coverage.to_dict()}


def _write_text(path: str, text: str) -> None:
    """Write a file the user named; one that cannot be written is bad input (exit 2)."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot be written ({error.strerror})") from None


def _write_json(path: str, value: Any) -> None:
    _write_text(path, json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def _invariants(policy: Any, folder: Path, examples: int, out: TextIO) -> int:
    """Search for a violation of each invariant; print any with its counterexample."""
    names = list(policy.graph.invariants)
    if not names:
        return 0
    try:
        from udbudsregler.testing.invariants import find_violation
    except ImportError:  # hypothesis is in the `testing` extra
        out.write(f"{folder}: {len(names)} invariants not checked: install "
                  "udbudsregler[testing] for hypothesis\n")
        return 0
    broken = 0
    for name in names:
        violation = find_violation(policy, name, max_examples=examples)
        if violation is not None:
            broken += 1
            out.write(f"{folder}: FAIL invariant `{name}` ({violation.title}):\n"
                      f"  {violation.message}\n  paste this case into {folder / 'tests'} to "
                      f"reproduce it:\n\n{violation.case}\n")
    out.write(f"{folder}: {len(names) - broken} of {len(names)} invariants hold over "
              f"{examples} generated examples each ({'ok' if not broken else 'FAILED'})\n")
    return broken


def cmd_settle(args: argparse.Namespace, out: TextIO) -> int:
    policy = _load(args.policy, args)
    data = read_json(args.referral)
    if not isinstance(data, dict) or "referral" not in data:
        raise InputError(f"{args.referral}: expected a JSON object with `referral` and, "
                         "optionally, `outcomes`")
    unknown = set(data) - {"referral", "outcomes"}
    if unknown:
        raise InputError(f"{args.referral}: unknown key `{sorted(unknown)[0]}`; the keys are "
                         "`referral` and `outcomes`")
    # `outcomes: 0` or `""` is a mistake, not "no outcomes": only a missing key or null is.
    settlement = policy.settle(data["referral"], data.get("outcomes"), until=args.until,
                               since=args.since)
    if args.json:
        json.dump(settlement.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(settlement.explain(args.lang))
    return EXIT_OK


def _mistakes(n: int) -> str:
    if not n:
        return ""
    return f", {n} mistake{'s' if n != 1 else ''} in test files"


#: The most citizens, scenarios or examples `diff` generates (about 2 KB each while the
#: report is made): `--citizens 1000000000` must not grow without bound (item 16).
MAX_GENERATED = 100_000


def _smt() -> Any:
    """The SMT analysis, or an InputError saying how to install it."""
    try:
        import udbudsregler.smt as smt
    except ImportError:
        raise InputError("the SMT analysis needs z3: pip install 'udbudsregler[analysis]'") \
            from None
    return smt


def _smt_limits(args: argparse.Namespace) -> None:
    if args.k < 0:
        raise InputError("-k must be 0 or more")
    if args.timeout <= 0:
        raise InputError("--timeout must be more than 0 seconds")


def cmd_analyze(args: argparse.Namespace, out: TextIO) -> int:
    _smt_limits(args)
    smt = _smt()
    analysis = smt.analyze(_load(args.policy, args), k=args.k, timeout=args.timeout)
    if args.json:
        json.dump(analysis.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(analysis.render())
    return EXIT_FAILED if analysis.count("error") else EXIT_OK


def _exact_diff(args: argparse.Namespace, out: TextIO) -> int:
    if isinstance(args.on, str):  # (a column of dates is for --population)
        raise InputError(f"udbudsregler diff --exact: argument --on: {_not_a_date(args.on)}")
    _smt_limits(args)
    smt = _smt()
    report = smt.exact_diff(_load(args.old, args), _load(args.new, args), on=args.on, k=args.k,
                            timeout=args.timeout)
    if args.json:
        json.dump(report.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(report.render())
    return EXIT_OK


def cmd_diff(args: argparse.Namespace, out: TextIO) -> int:
    from udbudsregler.analysis.diff import compare, progress_printer

    if args.exact:
        return _exact_diff(args, out)

    if args.population is not None and not Path(args.population).is_file():
        from udbudsregler.columnar.cells import not_a_file

        raise InputError(f"{args.population}: {not_a_file(args.population)}")
    on, column = _diff_on(args)
    for name, value in (("--citizens", args.citizens), ("--scenarios", args.scenarios),
                        ("--examples", args.examples)):
        if value < 0:
            raise InputError(f"{name} must be 0 or more")
        if value > MAX_GENERATED:  # each takes memory until the report is made
            raise InputError(f"{name} must be at most {MAX_GENERATED:,}; for more citizens, "
                             "give them as a --population file")
    suppliers = read_json(args.suppliers, "suppliers") if args.suppliers else None
    report = compare(_load(args.old, args), _load(args.new, args), citizens=args.citizens,
                     population=args.population, scenarios=args.scenarios, on=on,
                     seed=args.seed, examples=args.examples, suppliers=suppliers,
                     progress=progress_printer(args.err), day_field=column)
    if args.json:
        json.dump(report.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(report.render())
    if args.html:
        from udbudsregler.pictures.diff_html import diff_html

        _write_text(args.html, diff_html(report.to_dict()))
    if report.bad_row_count:  # the diff is still shown; the input was not all good
        lines = ", ".join(str(b.line) for b in report.bad_rows[:10])
        count = report.bad_row_count
        one = count == 1
        why = "fits neither policy" + (", has a bad date" if column is not None else "")
        args.err.write(f"error: {count} bad {'row' if one else 'rows'} in {args.population} "
                       f"({'it' if one else 'each'} {why} or cannot be read; "
                       f"{'line' if one else 'lines'} {lines}{', ...' if count > 10 else ''})\n")
        return EXIT_INPUT
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    for path in args.policies:
        if not Path(path).exists():
            raise InputError(f"{path}: no such file or folder")
    if not 0 <= args.port <= 65535:
        raise InputError("--port must be 0 to 65535 (0: any free port)")
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise InputError("the service needs the serve extra: "
                         "pip install 'udbudsregler[serve]'") from None
    from udbudsregler.service.server import serve

    try:
        serve([Path(p) for p in args.policies], host=args.host, port=args.port,
              reload_interval=args.reload_interval, out=out, limits=_limits(args))
    except OSError as error:
        raise InputError(str(error)) from None
    except ValueError as error:  # two policies with one id
        raise InputError(str(error)) from None
    return EXIT_OK


def cmd_graph(args: argparse.Namespace, out: TextIO) -> int:
    from udbudsregler.pictures.graph import GraphvizMissing, render

    policy = _load(args.policy, args)
    try:
        text = render(policy, args.format, args.lang)
    except GraphvizMissing as error:
        raise InputError(str(error)) from None
    if args.output:
        _write_text(args.output, text)
    else:
        out.write(text)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace, out: TextIO) -> int:
    from udbudsregler.loader.file_schema import render

    text = render()
    if args.output:
        _write_text(args.output, text)
    else:
        out.write(text)
    return EXIT_OK


def cmd_stages(args: argparse.Namespace, out: TextIO) -> int:
    for stage in STAGES:
        out.write(f"{stage.name:<10} {stage.summary}\n{'':<10} produces: {stage.produces}\n")
    return EXIT_OK


# -- the parser ---------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, but bad arguments are an InputError (one line, exit 2)."""

    def error(self, message: str) -> Any:
        raise InputError(f"{self.prog}: {message}")


def _policy_root_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy-root", metavar="DIR",
                        help="the folder the base policies of `extends:` must be inside "
                             "(default: the top of the checkout, else the folder holding the "
                             "policy's folder)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="udbudsregler", description=(
        "Rules for Danish municipal tenders for employment services: check policies, "
        "decide eligibility, routing and payment, with reasons."))
    parser.add_argument("--debug", action="store_true",
                        help="show Python tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = sub.add_parser("check", help="check a policy and print every diagnostic")
    check.add_argument("path", help="a policy file, or a folder with policy.yaml")
    check.add_argument("--stop-after", choices=STAGE_NAMES, metavar="STAGE",
                       help=f"run the stages up to this one: {', '.join(STAGE_NAMES)}")
    check.add_argument("--json", action="store_true", help="print diagnostics as JSON")
    check.add_argument("--no-warnings", action="store_true", help="print errors only")
    _policy_root_option(check)
    check.set_defaults(run=cmd_check)

    decide = sub.add_parser("decide", help="decide for one citizen's facts on a date, or for "
                            "every citizen of a population file")
    decide.add_argument("policy", help="a policy file, or a folder with policy.yaml")
    decide.add_argument("facts", nargs="?",
                        help="a JSON file with the citizen's facts (- for stdin)")
    decide.add_argument("--population", metavar="FILE",
                        help="decide every citizen of FILE (JSON lines, CSV or Parquet), in "
                             "batches; needs --out")
    decide.add_argument("--out", metavar="FILE",
                        help="with --population: write the decisions to FILE (.parquet or "
                             ".jsonl); rows that cannot be decided go to FILE with .errors "
                             "before the suffix")
    decide.add_argument("--errors", metavar="FILE", help="with --population: the errors file")
    decide.add_argument("--batch-size", type=int, default=65_536, metavar="N",
                        help="with --population: rows per batch (memory grows with N, not "
                             "with the file; default 65536)")
    decide.add_argument("--values", metavar="NAMES",
                        help="with --population: also write these rules' values "
                             "(comma-separated)")
    decide.add_argument("--columns", metavar="NAMES",
                        help="with --population: write only these decision columns "
                             "(comma-separated, of eligible, target_groups, area, supplier, "
                             "package, package_status, failed; row and id always)")
    decide.add_argument("--on", type=_date_or_column, required=True, metavar="DATE",
                        help="the decision date, YYYY-MM-DD; with --population also the "
                             "name of a column (JSON lines: a key beside `facts`) holding "
                             "each citizen's decision date")
    decide.add_argument("--explain", action="store_true", help="print the explanation")
    decide.add_argument("--json", action="store_true",
                        help="print the decision as JSON (with policy id and content hash)")
    decide.add_argument("--lang", choices=LANGUAGES, default=None,
                        help="language of the explanation (default: the policy's)")
    decide.add_argument("--trace", action="store_true",
                        help="also print the evaluation trace, one line per rule")
    decide.set_defaults(run=cmd_decide)

    decide.add_argument("--order", metavar="JSON|FILE",
                        help="the order: package, weekly_hours, the citizen's own supplier "
                             "(not with --population: each line has its own)")
    decide.add_argument("--suppliers", metavar="JSON|FILE",
                        help="the supplier state: load, capacity, sequence (with "
                             "--population: for every citizen)")
    _policy_root_option(decide)

    settle = sub.add_parser("settle", help="settle a referral: the payment up to a date")
    settle.add_argument("policy", help="a policy file, or a folder with policy.yaml")
    settle.add_argument("referral", help="a JSON file {\"referral\": {...}, \"outcomes\": "
                                         "[...]} (- for stdin)")
    settle.add_argument("--until", type=_date, required=True, metavar="DATE",
                        help="settle up to and including this date")
    settle.add_argument("--since", type=_date, default=None, metavar="DATE",
                        help="invoice only from this date (e.g. the first of the month)")
    settle.add_argument("--json", action="store_true", help="print the settlement as JSON")
    settle.add_argument("--lang", choices=LANGUAGES, default=None,
                        help="language of the text (default: the policy's)")
    _policy_root_option(settle)
    settle.set_defaults(run=cmd_settle)

    test = sub.add_parser("test", help="run the YAML test cases of policies")
    test.add_argument("paths", nargs="+", help="policy folders, or folders holding them")
    test.add_argument("-v", "--verbose", action="store_true", help="also list passing cases")
    test.add_argument("--coverage", action="store_true",
                      help="after each policy, report what its cases cover and what they miss")
    test.add_argument("--coverage-json", metavar="FILE",
                      help="write the coverage of every policy to FILE as JSON")
    test.add_argument("--examples", type=int, default=100, metavar="N",
                      help="check each invariant on N generated citizens or referrals "
                           "(default 100; 0 skips the invariants)")
    _policy_root_option(test)
    test.set_defaults(run=cmd_test)

    diff = sub.add_parser("diff", help="compare two policies (tender rounds) over generated "
                          "citizens and referrals, or a population file")
    diff.add_argument("old", help="the old policy (file or folder)")
    diff.add_argument("new", help="the new policy (file or folder)")
    diff.add_argument("--citizens", type=int, default=10_000, metavar="N",
                      help="generate N citizens (default 10000; 0 for the population only)")
    diff.add_argument("--population", metavar="FILE",
                      help="also decide the citizens of FILE (JSON lines, CSV with one "
                           "column per fact, or Parquet)")
    diff.add_argument("--scenarios", type=int, default=2_000, metavar="M",
                      help="settle M generated referrals under both (default 2000)")
    diff.add_argument("--on", type=_date_or_column, metavar="DATE",
                      help="the decision date (default: the new policy's first day); with "
                           "--population also the name of the file's column of each "
                           "citizen's own date (JSON lines: a key beside facts; generated "
                           "citizens are then decided on the new policy's first day)")
    diff.add_argument("--seed", type=int, default=0, metavar="S",
                      help="seed of the generated citizens (default 0)")
    diff.add_argument("--examples", type=int, default=3, metavar="K",
                      help="example citizens per group (default 3)")
    diff.add_argument("--suppliers", metavar="FILE",
                      help="a supplier state (JSON) for both policies: compare suppliers too")
    diff.add_argument("--json", action="store_true", help="print the report as JSON")
    diff.add_argument("--exact", action="store_true",
                      help="prove with an SMT solver which citizens are decided differently "
                           "(every kind of difference, its band, a witness and a border "
                           "citizen); needs udbudsregler[analysis]")
    _smt_options(diff)
    diff.add_argument("--html", metavar="FILE", help="also write the report as an HTML page "
                      "(a chart of the affected counts, the example citizens)")
    _policy_root_option(diff)
    diff.set_defaults(run=cmd_diff)

    serve = sub.add_parser("serve", help="serve policies over HTTP: decide, settle, explain "
                           "(needs the serve extra)")
    serve.add_argument("policies", nargs="+", metavar="POLICY",
                       help="policy files or folders; each is served under its id")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on "
                       "(default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any "
                       "free port, printed at start)")
    serve.add_argument("--reload-interval", type=float, default=1.0, metavar="SECONDS",
                       help="look for changed policy files this often (default 1; 0: never)")
    _policy_root_option(serve)
    serve.set_defaults(run=cmd_serve)

    graph = sub.add_parser("graph", help="draw a policy: target groups, criteria, areas with "
                           "their priority, packages, price models and their parameters")
    graph.add_argument("policy", help="a policy file, or a folder with policy.yaml")
    graph.add_argument("--format", choices=("mermaid", "dot", "svg"), default="mermaid",
                       help="mermaid (default), dot, or svg (needs Graphviz's dot program)")
    graph.add_argument("--lang", choices=LANGUAGES, default=None,
                       help="language of the column titles (default: the policy's)")
    graph.add_argument("--output", metavar="FILE", help="write it to FILE")
    _policy_root_option(graph)
    graph.set_defaults(run=cmd_graph)

    schema = sub.add_parser("schema", help="print the JSON Schema of the policy file format "
                            "(for editors: docs/editor.md)")
    schema.add_argument("--output", metavar="FILE", help="write it to FILE")
    schema.set_defaults(run=cmd_schema)

    analyze = sub.add_parser("analyze", help="prove what holds for every citizen with an SMT "
                             "solver: dead criteria, unreachable areas, gaps, overlaps, "
                             "invariants (needs udbudsregler[analysis])")
    analyze.add_argument("policy", help="a policy file, or a folder with policy.yaml")
    analyze.add_argument("--json", action="store_true", help="print the findings as JSON")
    _smt_options(analyze)
    _policy_root_option(analyze)
    analyze.set_defaults(run=cmd_analyze)

    stages = sub.add_parser("stages", help="list the compile stages in order")
    stages.set_defaults(run=cmd_stages)

    from udbudsregler.cli.authoring import add_commands  # new, fmt

    add_commands(sub)
    return parser


class _Output:
    """A stream the command line writes to that never fails the command.

    After the first failure (standard output closed, a full disk, a reader that went
    away) nothing more is written and the failure is kept, so that the command still
    ends with its own exit status (issue 12, items 13 and 23). Text the stream's
    encoding cannot hold (`PYTHONIOENCODING=ascii` and Danish text) is written with
    backslash escapes. Anything else is asked of the underlying stream.
    """

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.failure: OSError | None = None
        if stream is None:  # the file descriptor was closed before Python started
            self.failure = OSError(errno.EBADF, "it is closed")

    def write(self, text: str) -> int:
        if self.failure is None and self.stream is not None:
            try:
                try:
                    self.stream.write(text)
                except UnicodeEncodeError:
                    encoding = getattr(self.stream, "encoding", None) or "ascii"
                    self.stream.write(text.encode(encoding, "backslashreplace")
                                      .decode(encoding))
            except OSError as error:
                self.failure = error
            except ValueError:  # written to after being closed
                self.failure = OSError(errno.EBADF, "it is closed")
        return len(text)

    def flush(self) -> None:
        if self.failure is None and self.stream is not None:
            try:
                self.stream.flush()
            except OSError as error:
                self.failure = error
            except ValueError:
                self.failure = OSError(errno.EBADF, "it is closed")

    def isatty(self) -> bool:
        try:
            return self.failure is None and self.stream is not None and self.stream.isatty()
        except (OSError, ValueError):
            return False

    def __getattr__(self, name: str) -> Any:
        if name == "stream":  # not set yet: no recursion
            raise AttributeError(name)
        return getattr(self.stream, name)


def _quiet(stream: _Output, fd: int) -> None:
    """After a failed write to the process's own stream, point its file descriptor at the
    null device, so that the interpreter's last flush at exit does not fail again (and
    turn the exit status into 120)."""
    if stream.failure is None or stream.stream is None:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
        stream.stream.flush()
    except (OSError, ValueError):
        pass


def _smt_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-k", type=int, default=4, metavar="K",
                        help="histories and lists have at most K records (default 4)")
    parser.add_argument("--timeout", type=float, default=20.0, metavar="S",
                        help="seconds per solver query before it is unknown (default 20)")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    own = out is None, err is None  # the process's own standard output and error
    out_stream = _Output(sys.stdout if out is None else out)
    err_stream = _Output(sys.stderr if err is None else err)
    saved = sys.stdout, sys.stderr
    if own[0]:  # what else writes to sys.stdout (argparse's --help) goes through it too
        sys.stdout = cast(TextIO, out_stream)
    if own[1]:
        sys.stderr = cast(TextIO, err_stream)
    try:
        status = _main(argv, cast(TextIO, out_stream), cast(TextIO, err_stream))
        out_stream.flush()
    finally:
        sys.stdout, sys.stderr = saved
    failure = out_stream.failure
    if failure is not None and not isinstance(failure, BrokenPipeError):
        # A reader that went away (`udbudsregler check ... | head`) is not an error; a
        # closed or full output is, unless the command failed already.
        reason = (failure.strerror or "it cannot be written").lower()
        err_stream.write(f"error: the output cannot be written: {reason}\n")
        status = status or EXIT_INPUT
    err_stream.flush()
    if own[0]:
        _quiet(out_stream, 1)
    if own[1]:
        _quiet(err_stream, 2)
    return status


def _main(argv: Sequence[str] | None, out: TextIO, err: TextIO) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        args = build_parser().parse_args(argv)
        args.err = err
        run: Callable[[argparse.Namespace, TextIO], int] = args.run
        return run(args, out)
    except InputError as error:
        err.write(f"error: {error}\n")
        return EXIT_INPUT
    except PolicyError as error:
        _print_diagnostics(error.diagnostics, err, as_json=False)
        return EXIT_FAILED
    except FactError as error:
        facts_only = all(p.path.split(".", 1)[0].split("[", 1)[0] not in _NOT_FACTS
                         for p in error.problems)
        err.write(f"error: the {'facts do' if facts_only else 'input does'} not fit the "
                  "policy:\n")
        for problem in error.problems:
            err.write(f"  {problem.render()}\n")
        return EXIT_INPUT
    except EvaluationError as error:
        err.write(f"error: {error.render()}\n")
        return EXIT_INPUT
    except UdbudsreglerError as error:
        err.write(f"error: {error}\n")
        return EXIT_INPUT
    except SystemExit as exit_:  # --help and --version
        return int(exit_.code or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if debug:
            raise
        err.write(f"internal error: {type(error).__name__}: {error}\n"
                  "  this is a bug in udbudsregler; run again with --debug for details, "
                  "and please report it\n")
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
