"""The rule-change diff: which citizens and referrals two policies treat differently.

``compare(old, new)`` decides generated citizens (and/or a population file) under
both policies on the same date, and settles generated referrals under both. Two
tender rounds are valid at different times, so both decide with
``ignore_validity=True``; the date defaults to the new round's first day. With
``day_field``, the rows of the population file are decided each on its own date (a
column of the file, or a key beside ``facts`` of a JSON line), as ``decide
--population --on COLUMN`` reads it: re-checking last year's referrals, each on its
referral date, under the next round.

* **Citizens.** Half are drawn from the new policy's boundary model
  (:func:`~udbudsregler.testing.boundaries.sample_citizens`), a quarter from the old
  one's, so that boundaries only the old policy has (the old age threshold) are tested
  too, and a quarter join the histories of two citizens of the new model, so that
  periods overlap (two benefits at once), which the model rarely draws. If a package
  has a span of weekly hours, each citizen also gets an order
  (:func:`~udbudsregler.testing.strategies.order_gen`). A citizen that one policy
  rejects (their fact schemas differ) is *not comparable*, counted by fact path. Given
  citizens and population rows are read in canonical form, but a fact's ``default`` is
  not filled in: only the policy that has it uses it.
* **Groups.** Each changed decision falls in the first group that applies:
  ``became_eligible``, ``lost_eligibility``, ``changed_area``, ``changed_supplier``
  (only with a supplier state), ``changed_package`` (the same order accepted under
  one policy and refused under the other, or refused for another reason; with
  generated orders, or once a population row orders a package),
  ``changed_target_groups`` (eligible under both, same area, other groups).
* **Payments.** Settlement scenarios (three quarters from the new policy's
  ``scenario_gen``, a quarter from the old one's) are settled under both up to their
  ``until``. A generated scenario's ``since`` is dropped: the diff compares what a
  referral earns, not which month invoices it (else a bonus earned a month earlier
  shows as one invoice down and another up). ``payment_up`` and ``payment_down``
  carry the total and the largest difference, and the kind of line it comes from.
* **Why.** :func:`changed_definitions` compares the documents definition by
  definition (the canonical text of every expression); per group, the criteria,
  areas, routing, packages and bonuses whose outcome differs are counted from the
  reasons of the changed decisions only, and linked through the rule graph to the
  changed definitions they depend on.
* **Examples.** The smallest members of each group are shrunk
  (:mod:`udbudsregler.analysis.shrink`) and shown as YAML test cases for the new
  policy, smallest first; an example from a population row with its own date keeps
  that date (the case's ``on``).

The modules: :mod:`~udbudsregler.analysis.comparison` (deciding and settling under both
policies, drawing citizens and scenarios), :mod:`~udbudsregler.analysis.definitions`
(the static diff), :mod:`~udbudsregler.analysis.population` (population files),
:mod:`~udbudsregler.analysis.responsible` (the parts responsible),
:mod:`~udbudsregler.analysis.diff_examples` (the shrunk examples) and
:mod:`~udbudsregler.analysis.diff_report` (the report, as data and as text). This one
runs them in order and re-exports what they offer.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from udbudsregler.analysis.comparison import (
    MAX_MEMBERS,
    Citizen,
    Comparison,
    Progress,
    can_settle,
)
from udbudsregler.analysis.definitions import (
    Change,
    Definition,
    changed_definitions,
    invariants_reading,
)
from udbudsregler.analysis.diff_examples import decision_examples, payment_examples
from udbudsregler.analysis.diff_report import (
    KINDS,
    PAYMENT,
    DiffReport,
    Example,
    Group,
    Responsible,
)
from udbudsregler.analysis.population import (
    BadRow,
    Population,
    PopulationError,
    PopulationRow,
    check_day_field,
    iter_population,
    read_population,
)
from udbudsregler.analysis.responsible import Why, decision_reasons, payment_reasons

if TYPE_CHECKING:
    from udbudsregler.policy import Policy
    from udbudsregler.testing.strategies import Scenario

__all__ = ["KINDS", "MAX_BAD_ROWS", "MAX_MEMBERS", "BadRow", "Change", "Definition",
           "DiffReport", "Example", "Group", "Population", "PopulationError",
           "PopulationRow", "Progress", "Responsible", "changed_definitions",
           "check_day_field", "compare", "iter_population", "progress_printer",
           "read_population"]

#: The bad rows of a population file the report lists (their number is exact).
MAX_BAD_ROWS = 1_000


def _load(policy: Policy | str | Path) -> Policy:
    if isinstance(policy, (str, Path)):
        from udbudsregler.policy import load_policy

        return load_policy(policy)
    return policy


def compare(old: Policy | str | Path, new: Policy | str | Path, *,
            citizens: int | Iterable[Mapping[str, Any]] = 10_000,
            population: str | Path | Population | None = None,
            scenarios: int | Iterable[Scenario] = 2_000, on: date | None = None,
            seed: int = 0, examples: int = 3, suppliers: Mapping[str, Any] | None = None,
            progress: Progress | None = None, day_field: str | None = None) -> DiffReport:
    """Decide citizens and settle referrals under both policies, and report what changes.

    ``citizens``: how many to generate, or the facts of given citizens; ``population``: a
    JSON-lines, CSV or Parquet file, read and decided a chunk at a time
    (:func:`iter_population`), so that the memory held does not grow with its size (or a
    read :class:`Population`); ``scenarios``: how many
    settlement scenarios to generate, or given ones (settled with their own ``since``);
    ``on``: the decision date (default: the new policy's first day); ``day_field``: the
    field of the population file holding each row's own decision date (a column of a CSV
    or Parquet file, a key beside ``facts`` of a JSON line; :func:`check_day_field`, read
    as ``decide --population --on COLUMN`` reads it): each row is then decided under both
    policies on its date, and generated and given citizens on ``on``; a row whose date
    is missing or not a date (``YYYY-MM-DD``, in the calendar) is a bad row with
    ``decide``'s problem of the date at the field's name (a read :class:`Population`:
    its own :attr:`~Population.day`); ``suppliers``: a
    supplier state for both (then a changed supplier is a change; one not of a supplier
    state's shape is a ``FactError``, UDB602, as for ``decide``); ``examples``: how many
    example citizens per group; ``progress(phase, done, total)`` is called as work is
    done. The same policies and arguments give the same report.

    Counts are exact; a group keeps its first :data:`MAX_MEMBERS` citizens (generated and
    given ones first, then the file's in its order) for its reasons and examples, and the
    report lists the first :data:`MAX_BAD_ROWS` bad rows (``bad_row_count`` has them
    all); a note says so where either was cut.
    """
    started = time.perf_counter()
    if isinstance(population, Population):
        if day_field is not None and day_field != population.day:
            raise ValueError(f"day_field={day_field!r}: the population was read with "
                             f"day={population.day!r}; read it with read_population(path, "
                             "specs, day=...)")
        day_field = population.day
    elif day_field is not None:
        if population is None:
            raise ValueError(f"day_field={day_field!r} names a field of a population file: "
                             "give population=FILE too")
        check_day_field(population, day_field)  # (before the policies are loaded)
    old, new = _load(old), _load(new)
    on = on or new.header.valid.from_
    run = Comparison(old, new, on, seed, suppliers, progress, day_field)
    items = run.generate(citizens) if isinstance(citizens, int) else [
        Citizen(f"given citizen #{i}", run.canonical(dict(f)), None, "given")
        for i, f in enumerate(citizens, start=1)]
    origins = Counter(c.origin for c in items)
    run.run_citizens(items)
    bad: list[BadRow] = []
    bad_count = 0
    if population is not None:
        if isinstance(population, Population):
            chunks: Iterable[Population] = [population]
        else:
            specs = {**{n: e.spec for n, e in old.graph.facts.items()}, **run.specs}
            chunks = iter_population(population, specs, day=day_field)
        bad_count = _run_population(run, chunks, origins, bad)
    notes: list[str] = []
    if isinstance(scenarios, int):
        if scenarios and not (can_settle(old) and can_settle(new)):
            notes.append("payments not compared: a policy has no course packages or no "
                         "rounding rule")
        scenario_list = run.scenarios(scenarios)
    else:
        scenario_list = list(scenarios)
    settled, settle_problems = run.run_scenarios(scenario_list)
    if "changed_package" not in run.groups:
        notes.append("package decisions not compared: no course package has a span of "
                     "weekly hours")
    for side, mine, other in (("new", new, old), ("old", old, new)):
        only = [n for n in mine.graph.facts if n not in other.graph.facts]
        if only:
            notes.append(f"facts only the {side} policy declares (left out when deciding "
                         f"under the other): {', '.join(only)}")
    if "changed_supplier" not in run.groups:
        notes.append("suppliers not compared: no supplier state given")
    run.definitions = changed_definitions(old, new)
    why = Why(run)
    notes += _capped(run, bad_count, len(bad))
    if run.days_seen:
        first, last = min(run.days_seen), max(run.days_seen)
        notes.append(f"population rows decided each on its own date ({day_field}): "
                     + (f"{len(run.days_seen):,} dates from {first.isoformat()} to "
                        f"{last.isoformat()}" if last != first
                        else f"all on {first.isoformat()}"))
    for kind, group in run.groups.items():
        if not group.members:
            continue
        if kind in PAYMENT:
            payment_reasons(run, why, group)
            group.examples = payment_examples(run, group, examples) if examples > 0 else []
        else:
            decision_reasons(run, why, group)
            group.examples = decision_examples(run, group, examples) if examples > 0 else []
        group.members = []
    return DiffReport(
        old, new, on, seed, origins, run.compared,
        run.not_comparable, len(scenario_list), settled, settle_problems, run.definitions,
        run.groups, bad, notes, time.perf_counter() - started,
        invariants_reading(new, run.definitions), bad_count, day_field)


def _run_population(run: Comparison, chunks: Iterable[Population], origins: Counter[str],
                    bad: list[BadRow]) -> int:
    """Decide the rows of a population file a chunk at a time (read, then those a batch
    decision shows alike under both counted, the others decided one by one), so that
    only a chunk is held, whatever the file's size. ``origins`` counts the rows read;
    ``bad`` gets the first :data:`MAX_BAD_ROWS` bad rows. The number of bad rows."""
    count = done = total = 0
    for chunk in chunks:
        size = len(chunk.rows) + len(chunk.bad)
        citizens = run.read(chunk)  # (rows that fit neither policy join the bad rows)
        origins.update(c.origin for c in citizens)
        count += len(chunk.bad)
        bad += chunk.bad[:max(0, MAX_BAD_ROWS - len(bad))]
        before, done = done, done + size
        # the rows in the file: estimated from how far into it this chunk ends
        total = max(done, round(done / chunk.done)) if chunk.done > 0 else done

        def tick(i: int, n: int, before: int = before, size: int = size,
                 total: int = total) -> None:
            if run.progress is not None and i % 250 == 0:
                run.progress("population", before + size * i // n, total)

        run.run_citizens(run.prescreen(citizens), tick)
        if run.progress is not None:
            run.progress("population", done, total)
    if run.progress is not None and total != done:
        # the last chunk was full and what follows it holds no rows (blank lines): its
        # estimate of the rows in the file was short of the end; they are known now
        run.progress("population", done, done)
    return count


def _capped(run: Comparison, bad_count: int, listed: int) -> list[str]:
    """The notes of what the report holds only the first of: the members of a group its
    reasons and examples come from (:data:`MAX_MEMBERS`), and the bad rows listed."""
    notes = [f"{group.title}: examples and reasons from the first {len(group.members):,} "
             f"of {group.count:,} citizens (in the order decided)"
             for kind, group in run.groups.items()
             if kind not in PAYMENT and len(group.members) < group.count]
    if listed < bad_count:
        notes.append(f"bad rows: the first {listed:,} of {bad_count:,} are listed")
    return notes


def progress_printer(stream: TextIO, delay: float = 1.0) -> Progress:
    """A ``progress`` callback for a terminal: silent for the first ``delay`` seconds,
    then a counter rewritten in place (``\\r``) when ``stream`` is a terminal, else a
    line every 10 %."""
    tty = stream.isatty()
    started = time.perf_counter()
    shown: dict[str, int] = {}

    def report(phase: str, done: int, total: int) -> None:
        if phase not in shown and time.perf_counter() - started < delay:
            return
        if tty:  # (the rows of a population file: their number is known at the end)
            about = "about " if phase == "population" and done < total else ""
            stream.write(f"\rdiff: {phase} {done:,} of {about}{total:,}")
            if done >= total:
                stream.write("\n")
        else:
            tenth = 10 * done // max(total, 1)
            if tenth <= shown.get(phase, -1):
                return
            shown[phase] = tenth
            stream.write(f"diff: {phase} {done:,} of {total:,} ({10 * tenth} %)\n")
        shown.setdefault(phase, 0)
        stream.flush()

    return report
