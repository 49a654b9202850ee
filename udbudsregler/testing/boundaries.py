"""The boundary model of a policy, and one description of the citizens generated from it.

No hypothesis here: :func:`sample_citizens` must run without it.

1. :func:`policy_constants` collects the constants a policy states, by walking
   every expression (parameters with all their dated values, rules, criteria,
   tender expressions) and evaluating the parameters and tender expressions on
   each date their value may change: whole numbers, durations, hours, amounts,
   dates and texts. It also finds the facts used as a birth date (the first
   argument of ``age(...)`` on the decision date), whose dates must not lie
   after ``on``.
2. :func:`boundaries` turns them into the boundaries they create on a decision
   date: birthdays around each age threshold, ``on - D`` around each duration,
   month ends, 29 February, hours around each limit, gaps between periods.
3. :func:`citizen_gen` describes the citizens of a policy as a small tree of
   :class:`Gen` nodes built from the fact schema. The tree has two readers:
   :func:`sampler` draws from it with :class:`random.Random` (fast, for
   :func:`sample_citizens`), and ``strategies.to_strategy`` turns it into a
   hypothesis strategy. Both read the same tree, so both give the same kinds
   of citizens. In every choice the boundary values come first, so they are
   what hypothesis shrinks to.
"""

from __future__ import annotations

import random
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from udbudsregler.ir import nodes as I
from udbudsregler.ir.graph import FactBounds
from udbudsregler.loader.documents import FactSpec
from udbudsregler.runtime.facts import EARLIEST, LATEST
from udbudsregler.semantics.types import (
    DATE,
    DECIMAL,
    HOURS,
    INT,
    TEXT,
    DurationType,
    EnumType,
    MoneyType,
)
from udbudsregler.values.money import Money
from udbudsregler.values.temporal import (
    DateRangeError,
    Duration,
    MonthEnd,
    Period,
    add_months,
    sub_duration,
)

if TYPE_CHECKING:
    from udbudsregler.policy import Policy

__all__ = [
    "AGE_RANGE",
    "Bools",
    "Boundaries",
    "Constants",
    "Gen",
    "Ints",
    "Just",
    "Length",
    "ListOf",
    "Map",
    "OneOf",
    "Pick",
    "RecordOf",
    "TupleOf",
    "boundaries",
    "citizen_gen",
    "fact_gen",
    "history_layout",
    "lengths_gen",
    "one_of",
    "period_end",
    "period_start",
    "policy_constants",
    "sample_citizens",
    "sampler",
]

#: Whole numbers in this range are taken as candidate age thresholds.
AGE_RANGE = (15, 70)
#: Records of a list or history, at most.
MAX_RECORDS = 4

_DAY = timedelta(days=1)
_LO = EARLIEST.toordinal()
_HI = LATEST.toordinal()

#: A period length: ``(duration, delta)`` is a period that ends ``delta`` days after
#: the last day of ``duration`` from its start (``delta = 0``: exactly ``duration`` long).
Length = tuple[Duration, int]


# -- the description: a tiny language read by both samplers ---------------------------


class Gen:
    """A description of a distribution of values (see the module docstring)."""

    __slots__ = ()


@dataclass(frozen=True, eq=False)
class Just(Gen):
    value: Any


@dataclass(frozen=True, eq=False)
class Pick(Gen):
    """One of ``values``; shrinks to the first."""

    values: tuple[Any, ...]


@dataclass(frozen=True, eq=False)
class Ints(Gen):
    """A whole number in ``[lo, hi]``; shrinks toward 0 (or the bound nearest 0)."""

    lo: int
    hi: int


@dataclass(frozen=True, eq=False)
class Bools(Gen):
    """True or False; shrinks to False."""


@dataclass(frozen=True, eq=False)
class OneOf(Gen):
    """Any of the options, equally likely; shrinks to the first."""

    options: tuple[Gen, ...]


@dataclass(frozen=True, eq=False)
class TupleOf(Gen):
    items: tuple[Gen, ...]


@dataclass(frozen=True, eq=False)
class RecordOf(Gen):
    """A dict with the keys ``names``, each drawn from the item at the same place."""

    names: tuple[str, ...]
    items: tuple[Gen, ...]


@dataclass(frozen=True, eq=False)
class ListOf(Gen):
    """0 to ``max_size`` items; shrinks toward fewer."""

    item: Gen
    max_size: int


@dataclass(frozen=True, eq=False)
class Map(Gen):
    inner: Gen
    fn: Callable[[Any], Any]


def one_of(*options: Gen) -> Gen:
    """``OneOf`` without empty picks, and without the wrapper for a single option."""
    kept = tuple(o for o in options if not (isinstance(o, Pick) and not o.values))
    if not kept:
        raise ValueError("nothing to choose from")
    return kept[0] if len(kept) == 1 else OneOf(kept)


def sampler(gen: Gen, rand: Callable[[], float]) -> Callable[[], Any]:
    """A function drawing from ``gen`` with ``rand`` (e.g. ``random.Random(seed).random``).

    The description is compiled once to straight Python (cached per description), so a
    draw costs about one ``rand()`` call per choice and no interpretation.
    """
    factory = _FACTORIES.get(gen)
    if factory is None:
        factory = _FACTORIES[gen] = _compile(gen)
    return factory(rand)


_FACTORIES: weakref.WeakKeyDictionary[Gen, Callable[[Callable[[], float]], Callable[[], Any]]]
_FACTORIES = weakref.WeakKeyDictionary()


def _compile(gen: Gen) -> Callable[[Callable[[], float]], Callable[[], Any]]:
    """Generate ``factory(rand) -> draw``; values and functions of the description are
    passed in the namespace, never written into the source."""
    namespace: dict[str, Any] = {}
    helpers: list[str] = []

    def const(value: Any) -> str:
        name = f"C{len(namespace)}"
        namespace[name] = value
        return name

    def expr(g: Gen) -> str:
        if isinstance(g, Just):
            return const(g.value)
        if isinstance(g, Pick):
            if len(g.values) == 1:
                return const(g.values[0])
            return f"{const(g.values)}[int(rand() * {len(g.values)})]"
        if isinstance(g, Ints):
            return f"({g.lo} + int(rand() * {g.hi - g.lo + 1}))"
        if isinstance(g, Bools):
            return "(rand() < 0.5)"
        if isinstance(g, TupleOf):
            return "[" + ", ".join(expr(i) for i in g.items) + "]"
        if isinstance(g, RecordOf):
            return "{" + ", ".join(f"{const(n)}: {expr(i)}"
                                   for n, i in zip(g.names, g.items, strict=True)) + "}"
        if isinstance(g, ListOf):
            var = f"_{len(helpers)}_{len(namespace)}"
            return (f"[{expr(g.item)} for {var} in range(int(rand() * {g.max_size + 1}))]")
        if isinstance(g, Map):
            return f"{const(g.fn)}({expr(g.inner)})"
        if isinstance(g, OneOf):
            k = len(g.options)
            if k == 2:
                a, b = (expr(o) for o in g.options)
                return f"({a} if rand() < 0.5 else {b})"
            name = f"one_of_{len(helpers)}"
            body = [f"    def {name}():", f"        i = int(rand() * {k})"]
            helpers.append("")  # reserve the name before compiling the options
            for i, option in enumerate(g.options[:-1]):
                body += [f"        if i == {i}:", f"            return {expr(option)}"]
            body.append(f"        return {expr(g.options[-1])}")
            helpers.append("\n".join(body))
            return f"{name}()"
        raise TypeError(f"not a generator description: {g!r}")

    top = expr(gen)
    source = "\n".join(["def factory(rand):", *(h for h in helpers if h),
                        f"    def draw():\n        return {top}", "    return draw"])
    exec(compile(source, "<citizen sampler>", "exec"), namespace)  # generated, no user text
    factory: Callable[[Callable[[], float]], Callable[[], Any]] = namespace["factory"]
    return factory


# -- constants -----------------------------------------------------------------------


@dataclass(frozen=True)
class Constants:
    """The constants a policy states, in the order they first occur."""

    integers: tuple[int, ...]
    decimals: tuple[Decimal, ...]
    durations: tuple[Duration, ...]
    hours: tuple[int | Decimal, ...]
    money: tuple[Money, ...]
    dates: tuple[date, ...]
    texts: tuple[str, ...]
    #: Every name an expression mentions (choice values among them).
    names: frozenset[str]
    #: Paths of date facts (``birth_date``, ``person.birth_date``, ``children.born``)
    #: used as a birth date on the decision date: they never lie after it.
    born: frozenset[str]


_CONSTANTS: weakref.WeakKeyDictionary[Any, Constants] = weakref.WeakKeyDictionary()


def _unique(values: Iterable[Any]) -> tuple[Any, ...]:
    """Without repeats, in first-seen order (never set order: it varies between runs)."""
    return tuple(dict.fromkeys(values))


def policy_constants(policy: Policy) -> Constants:
    """Every constant of ``policy`` (cached per policy)."""
    found = _CONSTANTS.get(policy)
    if found is None:
        found = _CONSTANTS[policy] = _collect(policy)
    return found


def _collect(policy: Policy) -> Constants:
    graph = policy.checked
    currency = policy.header.currency
    ints: list[int] = []
    decimals: list[Decimal] = []
    durations: list[Duration] = []
    hours: list[int | Decimal] = []
    money: list[Money] = []
    dates: list[date] = []
    texts: list[str] = []
    names: set[str] = set()

    def add_value(value: Any, kind: Any) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, Duration):
            durations.append(value)
        elif isinstance(value, Money):
            if value.currency == currency:
                money.append(value)
        elif isinstance(value, date):
            dates.append(value)
        elif isinstance(value, (int, Decimal)):
            if kind == HOURS:
                hours.append(value)
            elif kind == INT and isinstance(value, int):
                ints.append(value)
            elif kind == DECIMAL:
                decimals.append(Decimal(value))

    # 1. literals, in every expression, in the order the policy writes them
    for name in graph.written:
        node = graph.nodes[name]
        exprs = [v.expr for v in node.values] if node.kind == "parameter" else [node.expr]
        for expr in exprs:
            if expr is None:
                continue
            for sub in _as_written(expr):
                if isinstance(sub, I.NodeRef | I.FactRef | I.Var):
                    names.add(sub.name)
                if not isinstance(sub, I.Const) or sub.value is None:
                    continue
                value, t = sub.value, sub.type
                if isinstance(t, EnumType):
                    names.add(value)
                elif t == TEXT:
                    texts.append(value)
                elif t == HOURS:
                    hours.append(value)
                elif isinstance(t, DurationType):
                    durations.append(value)
                elif isinstance(t, MoneyType):
                    if value.currency == currency:
                        money.append(value)
                elif t == DATE:
                    dates.append(value)
                elif t == INT:
                    ints.append(value)
                elif t == DECIMAL:
                    decimals.append(value)

    # 2. parameters (all their dated values) and tender expressions, evaluated: this also
    #    finds computed constants such as `2 * offer_window`
    valid = policy.header.valid
    for name in graph.written:
        node = graph.nodes[name]
        if node.kind != "parameter":
            continue
        for dated in node.values:
            day = dated.start or valid.from_
            if dated.start is not None:
                dates.append(dated.start)
            try:
                add_value(policy.tender_value(name, day), node.type)
            except Exception:  # a constant that cannot be evaluated is just not collected
                continue
    for name in graph.written:
        node = graph.nodes[name]
        if node.kind != "value" or not (node.type == HOURS or isinstance(
                node.type, DurationType | MoneyType)):
            continue
        kind = HOURS if node.type == HOURS else None
        for day in [valid.from_, *policy.change_dates(name)]:
            try:
                add_value(policy.tender_value(name, day), kind)
            except Exception:
                continue
    dates.append(valid.from_)
    if valid.to is not None:
        dates.append(valid.to)
    return Constants(
        integers=_unique(ints), decimals=_unique(decimals), durations=_unique(durations),
        hours=_unique(_plain_hours(h) for h in hours), money=_unique(money),
        dates=_unique(dates), texts=_unique(texts), names=frozenset(names),
        born=frozenset(_born_paths(policy)))


def _as_written(expr: I.Expr) -> Iterator[I.Expr]:
    """The nodes of an expression in the order the author wrote them (an aggregate's value
    before its list), leaving out the constants the author did not write (a function's
    defaults, which have no place in the source)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, I.Const) and node.loc is None:
            continue
        yield node
        children = I.children(node)
        if isinstance(node, I.Loop) and node.value is not None:
            children = tuple(x for x in (node.value, node.source, node.where, node.default)
                             if x is not None)
        stack.extend(reversed(children))


def _plain_hours(value: int | Decimal) -> int | Decimal:
    """Hours as facts carry them: ``int`` when whole, else ``Decimal``."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def _born_paths(policy: Policy) -> Iterator[str]:
    """The fact paths passed as the birth date to ``age(...)`` on the decision date."""
    graph = policy.checked

    def path_of(node: I.Expr, env: Mapping[str, str | None], depth: int = 0) -> str | None:
        if isinstance(node, I.Var):
            return env.get(node.name)
        if isinstance(node, I.FactRef):
            return node.name
        if isinstance(node, I.NodeRef):
            rule = graph.nodes.get(node.name)
            if rule is not None and rule.kind == "rule" and rule.expr is not None and depth < 8:
                return path_of(rule.expr, {}, depth + 1)
            return None
        if isinstance(node, I.Field) and node.access == "key":
            base = path_of(node.obj, env, depth)
            return None if base is None else f"{base}.{node.name}"
        return None

    def visit(node: I.Expr, env: Mapping[str, str | None]) -> Iterator[str]:
        if isinstance(node, I.Loop):
            yield from visit(node.source, env)
            inner = {**env, node.var: path_of(node.source, env)}
            for child in (node.value, node.where):
                if child is not None:
                    yield from visit(child, inner)
            if node.default is not None:
                yield from visit(node.default, env)
            return
        if isinstance(node, I.Call) and node.func == "age" and isinstance(node.args[1], I.Today):
            path = path_of(node.args[0], env)
            if path is not None:
                yield path
        for child in I.children(node):
            yield from visit(child, env)

    for name in graph.written:
        node = graph.nodes[name]
        for expr in ([v.expr for v in node.values] if node.kind == "parameter"
                     else [node.expr]):
            if expr is not None:
                yield from visit(expr, {})


# -- the boundaries on a decision date --------------------------------------------------


@dataclass(frozen=True)
class Boundaries:
    """The policy's constants and the boundaries they create on the date ``on``."""

    on: date
    month_end: MonthEnd
    currency: str
    constants: Constants
    #: The whole-number constants in :data:`AGE_RANGE`: candidate age thresholds.
    ages: tuple[int, ...]
    #: ``on - N years`` and one day either side for each age N, and 29 February of the
    #: leap year nearest before each of them.
    birth_dates: tuple[date, ...]
    #: ``on``, ``on ± 1 day``; ``on - D`` and ``on - D - 1 / + 1 / + 2 days`` for each
    #: duration D (``+ 2``: a period ending on ``on`` that starts then is one day shorter
    #: than D); month ends around ``on``; 29 February of the leap years around ``on``; the
    #: policy's own dates and the day before each.
    dates: tuple[date, ...]
    #: Each hours constant h, and h - 1, h + 1, h - 0.5, h + 0.5 (never negative).
    hours: tuple[int | Decimal, ...]
    #: Days without a period between two periods: 0, 1, 2 and d - 1, d, d + 1 for each
    #: duration of d days.
    gaps: tuple[int, ...]
    #: Period lengths: one day, and each duration D exactly, one day shorter and longer.
    lengths: tuple[Length, ...]
    #: Whole numbers: 0, and each whole-number constant with its neighbours.
    integers: tuple[int, ...]
    #: Amounts: each amount constant, and one øre (0.01) either side.
    money: tuple[Money, ...]
    #: The facts' declared ranges and defaults, by dotted name.
    bounds: Mapping[str, FactBounds] = field(default_factory=dict)

    def date_on(self, offset: int) -> date:
        """``on`` plus ``offset`` days, kept inside the dates facts may have."""
        return date.fromordinal(min(max(self.on.toordinal() + offset, _LO), _HI))


def _clamped(day: date) -> date:
    return min(max(day, EARLIEST), LATEST)


def _minus(day: date, dur: Duration, rule: MonthEnd) -> date | None:
    try:
        return sub_duration(day, dur, rule)
    except (DateRangeError, OverflowError):
        return None


def _near(day: date | None, days: int) -> date | None:
    """``day`` plus ``days`` days, or None beyond the calendar (years 1 to 9999)."""
    if day is None:
        return None
    ordinal = day.toordinal() + days
    return date.fromordinal(ordinal) if 1 <= ordinal <= date.max.toordinal() else None


def _first_of_next_month(day: date) -> date | None:
    if day.year == date.max.year and day.month == 12:
        return None
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _feb29(year: int) -> date | None:
    return date(year, 2, 29) if 1 <= year <= date.max.year else None


def _leap_before(year: int) -> int:
    while not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        year -= 1
    return year


def boundaries(policy: Policy, on: date) -> Boundaries:
    """The boundaries ``policy``'s constants create on the decision date ``on``."""
    c = policy_constants(policy)
    rule = policy.month_end
    ages = tuple(sorted(n for n in c.integers if AGE_RANGE[0] <= n <= AGE_RANGE[1]))

    # (Near the ends of the calendar, `_near` and `_feb29` leave out the days beyond it:
    # `diff --on 9999-12-31` must not fail; issue 12, item 10.)
    born: list[date | None] = []
    for n in ages:
        birthday = _minus(on, Duration(12 * n, 0), rule)
        if birthday is not None:
            born += [birthday, _near(birthday, -1), _near(birthday, 1)]
    for n in ages:
        born.append(_feb29(_leap_before(on.year - n)))

    days: list[date | None] = [on, _near(on, -1), _near(on, 1)]
    for dur in c.durations:
        edge = _minus(on, dur, rule)
        if edge is not None:
            days += [edge, _near(edge, -1), _near(edge, 1), _near(edge, 2)]
    month_start = on.replace(day=1)
    next_month = _first_of_next_month(month_start)
    following = _first_of_next_month(next_month) if next_month is not None else None
    days += [_near(month_start, -1), _near(next_month, -1), _near(following, -1)]
    leap = _leap_before(on.year)
    days += [_feb29(leap), _feb29(_leap_before(leap + 7))]
    for day in c.dates:
        days += [day, _near(day, -1)]

    hours: list[int | Decimal] = []
    for h in c.hours:
        hours += [h, h - 1, h + 1, h - Decimal("0.5"), h + Decimal("0.5")]
    gaps = [0, 1, 2]
    lengths: list[Length] = [(Duration(0, 1), 0)]
    for dur in c.durations:
        if dur.months == 0 and dur.days > 0:
            gaps += [dur.days - 1, dur.days, dur.days + 1]
        if dur.months >= 0 and dur.days >= 0 and not dur.is_zero:
            lengths += [(dur, 0), (dur, -1), (dur, 1)]
    integers = [0]
    for n in c.integers:
        integers += [n, n - 1, n + 1]
    cents = Decimal("0.01")
    money = [Money(0, policy.header.currency)]
    for m in c.money:
        money += [m, Money(m.amount - cents, m.currency), Money(m.amount + cents, m.currency)]
    return Boundaries(
        on=on, month_end=rule, currency=policy.header.currency, constants=c, ages=ages,
        birth_dates=_unique(_clamped(d) for d in born if d is not None),
        dates=_unique(_clamped(d) for d in days if d is not None),
        hours=_unique(_plain_hours(h) for h in hours if h >= 0),
        gaps=_unique(g for g in gaps if g >= 0),
        lengths=_unique(lengths), integers=_unique(integers),
        money=_unique(m for m in money if m.amount >= 0), bounds=policy.graph.fact_bounds)


# -- periods -------------------------------------------------------------------------


def _end_ordinal(start: int, length: Length | int, rule: MonthEnd) -> int:
    if type(length) is int:
        ordinal = start + length - 1
    else:
        dur, delta = length  # type: ignore[misc]
        try:
            day = date.fromordinal(start)
            if dur.months:
                day = add_months(day, dur.months, rule)
            ordinal = day.toordinal() + dur.days - 1 + delta
        except (DateRangeError, ValueError):
            ordinal = _HI
    return _HI if ordinal > _HI else start if ordinal < start else ordinal


def _start_ordinal(end: int, length: Length | int, rule: MonthEnd) -> int:
    if type(length) is int:
        ordinal = end - length + 1
    else:
        dur, delta = length  # type: ignore[misc]
        try:
            day = date.fromordinal(end + 1 - delta)
            if dur.months:  # as sub_duration: the months first, then the days
                day = add_months(day, -dur.months, rule)
            ordinal = day.toordinal() - dur.days
        except (DateRangeError, ValueError):
            ordinal = _LO
    return _LO if ordinal < _LO else end if ordinal > end else ordinal


def period_end(start: date, length: Length | int, rule: MonthEnd) -> date:
    """The last day of a period of ``length`` (a :data:`Length` or a number of days)."""
    return date.fromordinal(_end_ordinal(start.toordinal(), length, rule))


def period_start(end: date, length: Length | int, rule: MonthEnd) -> date:
    """The first day of a period of ``length`` that ends on ``end``."""
    return date.fromordinal(_start_ordinal(end.toordinal(), length, rule))


def history_layout(rule: MonthEnd, open_ended: bool,
                   on: date) -> Callable[[Any], list[dict[str, Any]]]:
    """Lay out history records from their lengths, the gaps between them and one anchor.

    The anchor is ``(index, side, day, through)``: one record (``index`` modulo their
    number) starts on ``day`` (``side == "start"``), ends on it (``"end"``), or lasts
    ``through`` (a boundary length) up to and including ``on`` (``"through"``);
    the records after it follow with their gaps (days without a period), those before it
    precede it. With ``open_ended``, the last record may have no end (``to: None``).
    """
    fromordinal = date.fromordinal
    today = on.toordinal()

    def layout(drawn: Any) -> list[dict[str, Any]]:
        records, (index, side, when, through), open_last = drawn
        n = len(records)
        if not n:
            return []
        i = index % n
        fields, length, _gap = records[i]
        if side == "start":
            first = when.toordinal()
            last = _end_ordinal(first, length, rule)
        elif side == "end":
            last = when.toordinal()
            first = _start_ordinal(last, length, rule)
        else:  # "through": one of the boundary lengths, up to and including `on`
            last = today
            first = _start_ordinal(today, through, rule)
        fields["from"] = fromordinal(first)  # drawn for this citizen only: completed in place
        fields["to"] = fromordinal(last)
        previous = last
        for j in range(i + 1, n):  # the records after the anchored one
            fields, length, gap = records[j]
            begin = previous + gap + 1
            begin = _LO if begin < _LO else _HI if begin > _HI else begin
            if type(length) is int and begin + length <= _HI:
                previous = begin + length - 1 if length > 0 else begin
            else:
                previous = _end_ordinal(begin, length, rule)
            fields["from"] = fromordinal(begin)
            fields["to"] = fromordinal(previous)
        following, gap = first, records[i][2]
        for j in range(i - 1, -1, -1):  # and those before it
            fields, length, next_gap = records[j]
            finish = following - gap - 1
            finish = _LO if finish < _LO else _HI if finish > _HI else finish
            following = _start_ordinal(finish, length, rule)
            fields["from"] = fromordinal(following)
            fields["to"] = fromordinal(finish)
            gap = next_gap
        out = [record[0] for record in records]
        if open_ended and open_last:
            out[-1]["to"] = None
        return out

    return layout


# -- the citizens ------------------------------------------------------------------------


_ALPHABET = tuple("abcæøå ÆØÅ-1")


def lengths_gen(b: Boundaries, longest: int = 3650) -> Gen:
    """Period lengths: the boundary lengths first, then any number of days."""
    return one_of(Pick(b.lengths), Ints(1, longest))


def _dates_gen(b: Boundaries, picks: Iterable[date], lo: int, hi: int) -> Gen:
    base = b.on.toordinal()
    if base + lo >= _LO and base + hi <= _HI:  # no clamping needed: the fast form
        fromordinal = date.fromordinal
        return one_of(Pick(_unique(picks)), Map(Ints(lo, hi), lambda k: fromordinal(base + k)))
    return one_of(Pick(_unique(picks)), Map(Ints(lo, hi), b.date_on))


def fact_gen(spec: FactSpec, b: Boundaries, path: str = "") -> Gen:
    """The description of the values of one fact (or field at ``path``) of type ``spec``:
    inside the fact's declared range, with its bounds among the values drawn first."""
    gen = _fact_gen(spec, b, path)
    bounds = b.bounds.get(path)
    if bounds is None or (bounds.minimum is None and bounds.maximum is None):
        return gen
    low, high = bounds.minimum, bounds.maximum

    def inside(value: Any) -> Any:
        if low is not None and value < low:
            return low
        if high is not None and value > high:
            return high
        return value

    edges = tuple(v for v in (low, high) if v is not None)
    return one_of(Pick(edges), Map(gen, inside))


def _fact_gen(spec: FactSpec, b: Boundaries, path: str = "") -> Gen:
    kind = spec.type
    if kind == "bool":
        return Bools()
    if kind == "int":
        return one_of(Pick(b.integers), Ints(-100, 1000))
    if kind == "decimal":
        picks = (Decimal(0), *b.constants.decimals)
        return one_of(Pick(picks), Map(Ints(0, 10**6), lambda n: Decimal(n) / 100))
    if kind == "money":
        currency = b.currency
        return one_of(Pick(b.money),
                      Map(Ints(0, 10**7), lambda n: Money(Decimal(n) / 100, currency)))
    if kind == "date":
        if path in b.constants.born:  # a birth date: never after `on`
            # any age from 0 to 100, shrinking toward the first age threshold
            center = (b.birth_dates[0] if b.birth_dates else b.date_on(-40 * 365)).toordinal()
            rest = center - b.on.toordinal()

            def born(k: int) -> date:
                return b.date_on(min(rest + k, 0))

            return one_of(Pick(tuple(d for d in b.birth_dates if d <= b.on)),
                          Map(Ints(-36525 - rest, -rest), born))
        return _dates_gen(b, (*b.dates, *b.birth_dates), -36525, 3653)
    if kind == "duration":
        return one_of(Pick((Duration(0, 0), *b.constants.durations)),
                      Map(Ints(0, 240), lambda n: Duration(n, 0)),
                      Map(Ints(0, 3650), lambda n: Duration(0, n)))
    if kind == "hours":
        return one_of(Pick(b.hours or (0,)), Ints(0, 60))
    if kind == "text":
        return one_of(Pick(("", *b.constants.texts)),
                      Map(ListOf(Pick(_ALPHABET), 8), "".join))
    if kind == "enum":
        # the values the policy names are twice as likely; the first value stays first
        values = tuple(spec.values or ())
        return Pick(values + tuple(v for v in values if v in b.constants.names))
    if kind == "period":
        anchor = _dates_gen(b, b.dates, -9131, 366)
        rule = b.month_end

        def period(drawn: Any) -> Period:
            when, side, length, is_open = drawn
            if side == "start":
                return Period(when, None if is_open else period_end(when, length, rule))
            return Period(period_start(when, length, rule), None if is_open else when)

        return Map(TupleOf((anchor, Pick(("end", "start")), lengths_gen(b), Bools())), period)
    record = _record_gen(spec.fields or {}, b, path)
    if kind == "record":
        return record
    if kind == "list":
        return ListOf(record, MAX_RECORDS)
    if kind == "history":
        open_ended = spec.open_ended is not False
        gap = one_of(Pick(b.gaps), Ints(-30, 730))
        anchor = TupleOf((Ints(0, MAX_RECORDS - 1), Pick(("end", "start", "through")),
                          _dates_gen(b, b.dates, -9131, 366), Pick(b.lengths[1:] or b.lengths)))
        drawn = TupleOf((ListOf(TupleOf((record, lengths_gen(b), gap)), MAX_RECORDS), anchor,
                         Bools() if open_ended else Just(False)))
        return Map(drawn, history_layout(b.month_end, open_ended, b.on))
    raise ValueError(f"unknown fact type {kind!r}")


def _record_gen(fields: Mapping[str, FactSpec], b: Boundaries, path: str) -> Gen:
    return RecordOf(tuple(fields), tuple(fact_gen(spec, b, f"{path}.{name}" if path else name)
                                         for name, spec in fields.items()))


def citizen_gen(policy: Policy, on: date) -> Gen:
    """The description of ``policy``'s citizens on ``on`` (cached per policy and date)."""
    cache = _GENS.setdefault(policy, {})
    found = cache.get(on)
    if found is None:
        if len(cache) > 512:
            cache.clear()
        specs = {name: fact.spec for name, fact in policy.graph.facts.items()}
        found = cache[on] = _record_gen(specs, boundaries(policy, on), "")
    return found


_GENS: weakref.WeakKeyDictionary[Any, dict[date, Gen]] = weakref.WeakKeyDictionary()


def sample_citizens(policy: Policy, on: date, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` citizens valid for ``policy`` on ``on``, drawn with ``random.Random(seed)``:
    the distribution of ``strategies.citizens``, without hypothesis; the same seed gives
    the same citizens."""
    draw = sampler(citizen_gen(policy, on), random.Random(seed).random)
    return [draw() for _ in range(n)]
