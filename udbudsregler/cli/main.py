"""The command line: ``udbudsregler check | decide | ...``.

No Python traceback ever reaches the user for bad input: policy mistakes are
printed as located diagnostics, bad facts as field paths, bad arguments as one
line. Exit codes: 0 success, 1 the policy has errors (or a test failed),
2 bad input (arguments, facts, files), 70 an internal error (a bug: please
report it; ``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from udbudsregler.diagnostics import (
    EvaluationError,
    FactError,
    PolicyError,
    Severity,
    UdbudsreglerError,
)
from udbudsregler.stages import STAGE_NAMES, STAGES, run_stages

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 70


class InputError(Exception):
    """Bad input from the command line: printed as one line, exit code 2."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a date written as YYYY-MM-DD") from None


def read_json(path: str) -> Any:
    """A JSON file, numbers with fractions read as exact decimals (never floats)."""
    text = _read_text(path)
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}:{error.lineno}:{error.colno}: not valid JSON: "
                         f"{error.msg[0].lower()}{error.msg[1:]}") from None


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror})") from None


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
    if not Path(args.path).exists():
        raise InputError(f"{args.path}: no such file or folder")
    state = run_stages(args.path, stop_after=args.stop_after)
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


def _load(path: str) -> Any:
    from udbudsregler.policy import load_policy

    if not Path(path).exists():
        raise InputError(f"{path}: no such file or folder")
    return load_policy(path)


def _json_argument(value: str | None, what: str) -> Any:
    """A JSON object given inline (`{...}`) or as a file path."""
    if value is None:
        return None
    if value.lstrip().startswith("{"):
        try:
            return json.loads(value, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise InputError(f"{what}: not valid JSON: {error.msg}") from None
    return read_json(value)


def cmd_decide(args: argparse.Namespace, out: TextIO) -> int:
    policy = _load(args.policy)
    facts = read_json(args.facts)
    tracer = None
    if args.trace:
        from udbudsregler.runtime.trace import RecordingTracer

        tracer = RecordingTracer()
    decision = policy.decide(facts, on=args.on, tracer=tracer,
                             order=_json_argument(args.order, "--order"),
                             suppliers=_json_argument(args.suppliers, "--suppliers"))
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


def cmd_test(args: argparse.Namespace, out: TextIO) -> int:
    from udbudsregler.policy import load_policy
    from udbudsregler.testing.cases import discover_policies, load_cases, run_cases

    for path in args.paths:
        if not Path(path).exists():
            raise InputError(f"{path}: no such file or folder")
    folders = discover_policies(args.paths)
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
            from udbudsregler.diagnostics import Diagnostic

            out.write(Diagnostic("UDB802", f"the policy folder `{folder}` has no test cases",
                                 None).render() + "\n")
            failed += 1
            continue
        try:
            policy = load_policy(folder)
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


def _coverage(policy: Any, folder: Path, cases: Any, show: bool, out: TextIO) -> dict[str, Any]:
    """Measure what a policy's cases cover; print the report if asked."""
    from udbudsregler.analysis.coverage import measure

    coverage = measure(policy, cases)
    if show:
        out.write(coverage.report() + "\n")
    return {"folder": str(folder), **coverage.to_dict()}


def _write_json(path: str, value: Any) -> None:
    try:
        Path(path).write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n",
                              encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot be written ({error.strerror})") from None


def _invariants(policy: Any, folder: Path, examples: int, out: TextIO) -> int:
    """Search for a violation of each invariant; print any with its counterexample."""
    names = list(policy.document.domain.invariants)
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
    policy = _load(args.policy)
    data = read_json(args.referral)
    if not isinstance(data, dict) or "referral" not in data:
        raise InputError(f"{args.referral}: expected a JSON object with `referral` and, "
                         "optionally, `outcomes`")
    unknown = set(data) - {"referral", "outcomes"}
    if unknown:
        raise InputError(f"{args.referral}: unknown key `{sorted(unknown)[0]}`; the keys are "
                         "`referral` and `outcomes`")
    settlement = policy.settle(data["referral"], data.get("outcomes") or [], until=args.until,
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


def cmd_diff(args: argparse.Namespace, out: TextIO) -> int:
    from udbudsregler.analysis.diff import compare, progress_printer

    if args.population is not None and not Path(args.population).is_file():
        raise InputError(f"{args.population}: no such file")
    for name, value in (("--citizens", args.citizens), ("--scenarios", args.scenarios),
                        ("--examples", args.examples)):
        if value < 0:
            raise InputError(f"{name} must be 0 or more")
    suppliers = read_json(args.suppliers) if args.suppliers else None
    report = compare(_load(args.old), _load(args.new), citizens=args.citizens,
                     population=args.population, scenarios=args.scenarios, on=args.on,
                     seed=args.seed, examples=args.examples, suppliers=suppliers,
                     progress=progress_printer(sys.stderr))
    if args.json:
        json.dump(report.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(report.render())
    if report.bad_rows:  # the diff is still shown; the input was not all good
        lines = ", ".join(str(b.line) for b in report.bad_rows[:10])
        sys.stderr.write(f"error: {len(report.bad_rows)} rows of {args.population} fit "
                         f"neither policy or cannot be read (lines {lines}"
                         f"{', ...' if len(report.bad_rows) > 10 else ''})\n")
        return EXIT_INPUT
    return EXIT_OK


def cmd_stages(args: argparse.Namespace, out: TextIO) -> int:
    for stage in STAGES:
        out.write(f"{stage.name:<10} {stage.summary}\n")
    return EXIT_OK


# -- the parser ---------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, but bad arguments are an InputError (one line, exit 2)."""

    def error(self, message: str) -> Any:
        raise InputError(f"{self.prog}: {message}")


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
    check.set_defaults(run=cmd_check)

    decide = sub.add_parser("decide", help="decide for one citizen's facts on a date")
    decide.add_argument("policy", help="a policy file, or a folder with policy.yaml")
    decide.add_argument("facts", help="a JSON file with the citizen's facts (- for stdin)")
    decide.add_argument("--on", type=_date, required=True, metavar="DATE",
                        help="the decision date, YYYY-MM-DD")
    decide.add_argument("--explain", action="store_true", help="print the explanation")
    decide.add_argument("--json", action="store_true",
                        help="print the decision as JSON (with policy id and content hash)")
    decide.add_argument("--lang", choices=("da", "en"), default=None,
                        help="language of the explanation (default: the policy's)")
    decide.add_argument("--trace", action="store_true",
                        help="also print the evaluation trace, one line per rule")
    decide.set_defaults(run=cmd_decide)

    decide.add_argument("--order", metavar="JSON|FILE",
                        help="the order: package, weekly_hours, the citizen's own supplier")
    decide.add_argument("--suppliers", metavar="JSON|FILE",
                        help="the supplier state: load, capacity, sequence")

    settle = sub.add_parser("settle", help="settle a referral: the payment up to a date")
    settle.add_argument("policy", help="a policy file, or a folder with policy.yaml")
    settle.add_argument("referral", help="a JSON file {\"referral\": {...}, \"outcomes\": "
                                         "[...]} (- for stdin)")
    settle.add_argument("--until", type=_date, required=True, metavar="DATE",
                        help="settle up to and including this date")
    settle.add_argument("--since", type=_date, default=None, metavar="DATE",
                        help="invoice only from this date (e.g. the first of the month)")
    settle.add_argument("--json", action="store_true", help="print the settlement as JSON")
    settle.add_argument("--lang", choices=("da", "en"), default=None,
                        help="language of the text (default: the policy's)")
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
    test.set_defaults(run=cmd_test)

    diff = sub.add_parser("diff", help="compare two policies (tender rounds) over generated "
                          "citizens and referrals, or a population file")
    diff.add_argument("old", help="the old policy (file or folder)")
    diff.add_argument("new", help="the new policy (file or folder)")
    diff.add_argument("--citizens", type=int, default=10_000, metavar="N",
                      help="generate N citizens (default 10000; 0 for the population only)")
    diff.add_argument("--population", metavar="FILE",
                      help="also decide the citizens of FILE (JSON lines, or CSV with one "
                           "column per fact)")
    diff.add_argument("--scenarios", type=int, default=2_000, metavar="M",
                      help="settle M generated referrals under both (default 2000)")
    diff.add_argument("--on", type=_date, metavar="DATE",
                      help="the decision date (default: the new policy's first day)")
    diff.add_argument("--seed", type=int, default=0, metavar="S",
                      help="seed of the generated citizens (default 0)")
    diff.add_argument("--examples", type=int, default=3, metavar="K",
                      help="example citizens per group (default 3)")
    diff.add_argument("--suppliers", metavar="FILE",
                      help="a supplier state (JSON) for both policies: compare suppliers too")
    diff.add_argument("--json", action="store_true", help="print the report as JSON")
    diff.set_defaults(run=cmd_diff)

    stages = sub.add_parser("stages", help="list the compile stages in order")
    stages.set_defaults(run=cmd_stages)

    from udbudsregler.cli.authoring import add_commands  # new, fmt

    add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        args = build_parser().parse_args(argv)
        run: Callable[[argparse.Namespace, TextIO], int] = args.run
        return run(args, out)
    except InputError as error:
        err.write(f"error: {error}\n")
        return EXIT_INPUT
    except PolicyError as error:
        _print_diagnostics(error.diagnostics, err, as_json=False)
        return EXIT_FAILED
    except FactError as error:
        err.write("error: the facts do not fit the policy:\n")
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
    except BrokenPipeError:
        # The reader went away (`udbudsregler decide ... | head`): not an error.
        # Point stdout at devnull so the interpreter's final flush stays quiet.
        if out is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as error:
        if debug:
            raise
        err.write(f"internal error: {type(error).__name__}: {error}\n"
                  "  this is a bug in udbudsregler; run again with --debug for details, "
                  "and please report it\n")
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
