"""The types of the policy language.

bool, int, decimal, money, date, duration, hours, text, enum, record, list
and period. Durations carry a *kind*: a duration in months (``2 years``) and
one in days (``7 days``) cannot be compared, because a month has no fixed
number of days; the length of a period (``span``) compares exactly with both,
anchored at the period's first day.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BOOL",
    "DATE",
    "DECIMAL",
    "ERROR",
    "HOURS",
    "INT",
    "NEVER",
    "PERIOD",
    "TEXT",
    "DurationType",
    "EnumType",
    "ListType",
    "MoneyType",
    "RecordType",
    "SetType",
    "Type",
    "comparable_durations",
    "is_numeric",
    "join",
]


@dataclass(frozen=True, slots=True)
class Type:
    """Base class. ``describe()`` gives the author-facing name of the type."""

    def describe(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True, slots=True)
class _Simple(Type):
    name: str
    article: str

    def describe(self) -> str:
        return self.article

    def __reduce__(self) -> tuple[object, ...]:
        # the simple types are compared by identity (`t is INT`): a copy is the original
        return (_simple, (self.name,))


def _simple(name: str) -> _Simple:
    return _SIMPLE[name]


BOOL = _Simple("bool", "true/false")
INT = _Simple("int", "a whole number")
DECIMAL = _Simple("decimal", "a number")
TEXT = _Simple("text", "text")
DATE = _Simple("date", "a date")
PERIOD = _Simple("period", "a period")
HOURS = _Simple("hours", "a number of hours")
#: The type of a value that cannot occur (the elements of an empty list).
NEVER = _Simple("never", "nothing")
#: The type of an expression that already has an error; it never causes another.
ERROR = _Simple("error", "an invalid value")
_SIMPLE = {t.name: t for t in (BOOL, INT, DECIMAL, TEXT, DATE, PERIOD, HOURS, NEVER, ERROR)}


@dataclass(frozen=True, slots=True)
class MoneyType(Type):
    currency: str

    def describe(self) -> str:
        return f"an amount in {self.currency}"


_DURATION_NAMES = {
    "months": "a duration in months or years",
    "days": "a duration in days or weeks",
    "calendar": "a duration in months and days",
    "span": "the length of a period",
}


@dataclass(frozen=True, slots=True)
class DurationType(Type):
    """``kind`` is one of ``months``, ``days``, ``calendar`` (both) or ``span``."""

    kind: str

    def describe(self) -> str:
        return _DURATION_NAMES[self.kind]


@dataclass(frozen=True, slots=True)
class EnumType(Type):
    """A choice among declared values (e.g. the kinds of benefit)."""

    name: str
    values: tuple[str, ...]

    def describe(self) -> str:
        shown = ", ".join(f"`{v}`" for v in self.values[:6])
        more = ", ..." if len(self.values) > 6 else ""
        return f"one of {shown}{more}"

    def same_choice(self, other: EnumType) -> bool:
        return set(self.values) == set(other.values)


@dataclass(frozen=True, slots=True)
class RecordType(Type):
    """A record with named fields. A history record also has ``from``, ``to`` and ``period``."""

    name: str
    fields: tuple[tuple[str, Type], ...]
    history: bool = False

    def describe(self) -> str:
        return f"a record of `{self.name}`"

    def field(self, name: str) -> Type | None:
        for key, value in self.fields:
            if key == name:
                return value
        return None

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.fields)


@dataclass(frozen=True, slots=True)
class ListType(Type):
    elem: Type

    def describe(self) -> str:
        if isinstance(self.elem, RecordType):
            return f"a list of records of `{self.elem.name}`"
        if self.elem is PERIOD:
            return "a list of periods"
        return f"a list of {self.elem.describe()}"


@dataclass(frozen=True, slots=True)
class SetType(Type):
    elem: Type

    def describe(self) -> str:
        return f"a set of {self.elem.describe()}"


def is_numeric(t: Type) -> bool:
    return t is INT or t is DECIMAL


def comparable_durations(a: DurationType, b: DurationType) -> bool:
    """Whether ``<`` between durations of these kinds has one exact answer."""
    if a.kind == "span" or b.kind == "span":
        return True
    return a.kind == b.kind and a.kind != "calendar"


def join(a: Type, b: Type) -> Type | None:
    """The type that holds values of both ``a`` and ``b``, or None if there is none."""
    if a == b:
        return a
    if a is ERROR or b is ERROR:
        return ERROR
    if a is NEVER:
        return b
    if b is NEVER:
        return a
    if is_numeric(a) and is_numeric(b):
        return DECIMAL
    if isinstance(a, EnumType) and isinstance(b, EnumType) and a.same_choice(b):
        return a
    if isinstance(a, DurationType) and isinstance(b, DurationType):
        kinds = {a.kind, b.kind}
        if kinds <= {"days", "span"}:
            return DurationType("days")
        return None
    if isinstance(a, ListType) and isinstance(b, ListType):
        elem = join(a.elem, b.elem)
        return ListType(elem) if elem is not None else None
    if isinstance(a, SetType) and isinstance(b, SetType):
        elem = join(a.elem, b.elem)
        return SetType(elem) if elem is not None else None
    return None
