"""The symbolic citizen: a variable for each fact, within the host's input limits.

Each fact becomes solver variables of its type when an expression first reads it:
true/false a ``Bool``; a whole number an ``Int``; a decimal, hours (at least 0) or an
amount a ``Real``; a date a day number between 1850-01-01 and 2200-12-31 (the input
limits); a choice a number among its values'; a record its fields; a list or a history
**at most K elements** (``K`` is the bound of the analysis): a length ``n`` in
``0..K`` and K slots, slot ``i`` present when ``i < n``; a history record has ``from``,
``to`` and whether it is open (``to`` empty), with ``from <= to``. Text and durations
given as facts have no encoding (:class:`NotEncodable`).

:meth:`Citizen.facts` reads a solver model back as the facts a host would send (the
facts no expression read get a plain valid value), in canonical form, so
``policy.decide`` can confirm every witness.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import z3

from udbudsregler.loader.documents import FactSpec
from udbudsregler.smt.symbolic import Choices, NotEncodable, SDate, SList, SPeriod, SRecord
from udbudsregler.values import fact_kinds
from udbudsregler.values.money import Money

__all__ = ["EARLIEST", "LATEST", "Citizen", "Preference"]

#: The host's date limits (values/limits.py), as day numbers.
EARLIEST = date(1850, 1, 1).toordinal()
LATEST = date(2200, 12, 31).toordinal()
_LIMIT = 10**18

Term = Any
#: What a variable is pinned to first when a model is made canonical: false, true, a
#: choice's first declared value, a number's smallest size, a date nearest the decision.
Preference = Literal["false", "true", "first value", "smallest", "nearest day"]
#: A variable a model's facts are read from: what it prefers, the variable, and for a
#: choice the numbers of its values in the declared order.
Read = tuple[Preference, Term, tuple[int, ...]]


class Citizen:
    """The facts of one symbolic citizen, made on first read, with their constraints."""

    def __init__(self, specs: Mapping[str, FactSpec], k: int, choices: Choices,
                 currency: str, prefix: str = "f",
                 bounds: Sequence[Mapping[str, Any]] = ()) -> None:
        self.specs = dict(specs)
        #: The declared ranges (``min``/``max``) by dotted fact name, of every policy the
        #: citizen is decided by: a value outside one is a fact error, not a decision.
        self.bounds = list(bounds)
        self.k = k
        self.choices = choices
        self.currency = currency
        self.prefix = prefix
        self.constraints: list[Term] = []
        self.values: dict[str, Any] = {}
        #: The solver variables of each fact path, for reading a model back.
        self.lengths: dict[str, Term] = {}
        #: Every date variable (dates, the bounds of periods and history records).
        self.dates: list[Term] = []

    def fact(self, name: str) -> Any:
        if name not in self.values:
            spec = self.specs.get(name)
            if spec is None:
                if name.startswith("$"):
                    raise NotEncodable(f"`{name}` is given by the settlement, not by the "
                                       "citizen")
                raise NotEncodable(f"the fact `{name}` is not declared alike by every policy "
                                   "compared")
            self.values[name] = self._make(spec, f"{self.prefix}.{name}", name)
        return self.values[name]

    # -- variables ------------------------------------------------------------

    def _make(self, spec: FactSpec, path: str, label: str) -> Any:
        value = self._make_value(spec, path, label)
        for bounds in self.bounds:
            found = bounds.get(label)
            if found is None:
                continue
            term = value.n if isinstance(value, SDate) else value
            for limit, above in ((getattr(found, "minimum", None), True),
                                 (getattr(found, "maximum", None), False)):
                if limit is None:
                    continue
                if isinstance(limit, date):
                    bound: Term = z3.IntVal(limit.toordinal())
                else:
                    bound = z3.RealVal(str(getattr(limit, "amount", limit)))
                    if z3.is_int(term):
                        term_r = z3.ToReal(term)
                        self.constraints.append(term_r >= bound if above else term_r <= bound)
                        continue
                self.constraints.append(term >= bound if above else term <= bound)
        return value

    def _make_value(self, spec: FactSpec, path: str, label: str) -> Any:
        t = spec.kind
        add = self.constraints.append
        if t is fact_kinds.BOOL:
            return z3.Bool(path)
        if t is fact_kinds.INT:
            v = z3.Int(path)
            add(z3.And(v > -_LIMIT, v < _LIMIT))
            return v
        if t.number:  # the other numbers (an int is above): reals
            r = z3.Real(path)
            add(z3.And(r > -_LIMIT, r < _LIMIT))
            if t is fact_kinds.HOURS:
                add(r >= 0)
            return r
        if t is fact_kinds.DATE:
            d = z3.Int(path)
            add(z3.And(d >= EARLIEST, d <= LATEST))
            self.dates.append(d)
            return SDate(d)
        if t.choice:
            e = z3.Int(path)
            add(z3.Or([e == self.choices.id(v) for v in spec.values or ()]))
            return e
        if t is fact_kinds.PERIOD:
            return self._period(path, spec.open_ended is not False)
        if t.container and not t.many:  # a record
            fields = spec.fields or {}

            def make(field: str, fields: dict[str, FactSpec] = fields) -> Any:
                if field not in fields:
                    raise NotEncodable(f"`{label}` has no field `{field}`")
                return self._make(fields[field], f"{path}.{field}", f"{label}.{field}")

            return SRecord(label, make)
        if t.many:
            n = z3.Int(f"{path}.n")
            add(z3.And(n >= 0, n <= self.k))
            self.lengths[path] = n
            slots = []
            for i in range(self.k):
                slot_path = f"{path}.{i}"
                fields = spec.fields or {}

                def make_field(field: str, fields: dict[str, FactSpec] = fields,
                               slot_path: str = slot_path) -> Any:
                    if field not in fields:
                        raise NotEncodable(f"`{label}` has no field `{field}`")
                    return self._make(fields[field], f"{slot_path}.{field}",
                                      f"{label}.{field}")

                record = SRecord(label, make_field)
                if t.periodic:
                    record.period = self._period(slot_path, spec.open_ended is not False)
                slots.append((n > i, record))
            return SList(tuple(slots))
        raise NotEncodable(f"facts of type {t.name} (`{label}`) have no encoding")

    def _period(self, path: str, may_be_open: bool) -> SPeriod:
        start, end = z3.Int(f"{path}.from"), z3.Int(f"{path}.to")
        is_open = z3.Bool(f"{path}.open") if may_be_open else z3.BoolVal(False)
        self.dates += [start, end]
        self.constraints += [start >= EARLIEST, start <= LATEST, end <= LATEST,
                             z3.Or(is_open, end >= start)]
        # an open period's `to` is not read; pin it so models are tidy
        self.constraints.append(z3.Implies(is_open, end == start))
        return SPeriod(start, end, is_open)

    # -- reading a model back ----------------------------------------------------

    def facts(self, model: Any, on: date) -> dict[str, Any]:
        """The facts of the citizen in ``model``, in canonical form."""
        return {name: self._value(spec, self.values.get(name), model, on, f"{self.prefix}.{name}")
                for name, spec in self.specs.items()}

    def _value(self, spec: FactSpec, sym: Any, model: Any, on: date, path: str) -> Any:
        t = spec.kind
        if t is fact_kinds.BOOL:
            return bool(z3.is_true(model.eval(sym, True))) if sym is not None else False
        if t is fact_kinds.INT:
            return model.eval(sym, True).as_long() if sym is not None else 0
        if t.number:  # the other numbers (an int is above)
            value = _decimal(model.eval(sym, True)) if sym is not None else Decimal(0)
            return Money(value, self.currency) if t is fact_kinds.MONEY else _plain(value)
        if t is fact_kinds.DATE:
            return date.fromordinal(model.eval(sym.n, True).as_long()) if sym is not None else on
        if t.choice:
            values = spec.values or []
            if sym is None:
                return values[0]
            name = self.choices.name(model.eval(sym, True).as_long())
            return name if name in values else values[0]
        if t is fact_kinds.TEXT:
            return ""
        if t is fact_kinds.PERIOD:
            from udbudsregler.values.temporal import Period

            if sym is None:
                return Period(on, on)
            start, end = self._bounds(sym, model)
            return Period(start, end)
        if t is fact_kinds.DURATION:
            from udbudsregler.values.temporal import Duration

            return Duration()
        fields = spec.fields or {}
        if not t.many:  # a record
            record = sym if isinstance(sym, SRecord) else SRecord(path)
            return {f: self._value(s, record.fields.get(f), model, on, f"{path}.{f}")
                    for f, s in fields.items()}
        if sym is None:
            return []
        assert isinstance(sym, SList)
        n = model.eval(self.lengths[path], True).as_long()
        out = []
        for i, (_, record) in enumerate(sym.slots[:n]):
            item: dict[str, Any] = {}
            if t.periodic:
                assert record.period is not None
                start, end = self._bounds(record.period, model)
                item["from"], item["to"] = start, end
            for f, s in fields.items():
                item[f] = self._value(s, record.fields.get(f), model, on, f"{path}.{i}.{f}")
            out.append(item)
        return out

    # -- the variables a model's facts are read from ------------------------------

    def read(self, model: Any) -> list[Read]:
        """The variables :meth:`facts` reads from ``model``, in a fixed order (the facts'
        order, then each list's present slots, each record's period then its fields),
        each as (the value it prefers, see :data:`Preference`; the variable; for a
        choice the numbers of its values in the declared order). For making a model
        canonical (``Problem``)."""
        out: list[Read] = []
        for name, spec in self.specs.items():
            self._read(spec, self.values.get(name), model, f"{self.prefix}.{name}", out)
        return out

    def _read(self, spec: FactSpec, sym: Any, model: Any, path: str,
              out: list[Read]) -> None:
        if sym is None:
            return
        t = spec.kind
        if t is fact_kinds.BOOL:
            out.append(("false", sym, ()))
        elif t.number:
            out.append(("smallest", sym, ()))
        elif t is fact_kinds.DATE:
            out.append(("nearest day", sym.n, ()))
        elif t.choice:
            out.append(("first value", sym, tuple(self.choices.id(v) for v in spec.values or ())))
        elif t is fact_kinds.PERIOD:
            self._read_period(sym, out)
        elif t.container and not t.many and isinstance(sym, SRecord):
            for f, s in (spec.fields or {}).items():
                self._read(s, sym.fields.get(f), model, f"{path}.{f}", out)
        elif t.many and isinstance(sym, SList):
            n = model.eval(self.lengths[path], True).as_long()
            for i, (_, record) in enumerate(sym.slots[:n]):
                if record.period is not None:
                    self._read_period(record.period, out)
                for f, s in (spec.fields or {}).items():
                    self._read(s, record.fields.get(f), model, f"{path}.{i}.{f}", out)

    @staticmethod
    def _read_period(period: SPeriod, out: list[Read]) -> None:
        out.append(("nearest day", period.start, ()))
        if not z3.is_false(period.open):
            out.append(("true", period.open, ()))
        out.append(("nearest day", period.end, ()))

    @staticmethod
    def _bounds(period: SPeriod, model: Any) -> tuple[date, date | None]:
        start = date.fromordinal(model.eval(period.start, True).as_long())
        if z3.is_true(model.eval(period.open, True)):
            return start, None
        return start, date.fromordinal(model.eval(period.end, True).as_long())


def _plain(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


def _decimal(value: Any) -> Decimal:
    """A model's rational as an exact decimal (NotEncodable if it has none)."""
    fraction = Fraction(str(value.as_fraction())) if z3.is_rational_value(value) else None
    if fraction is None:
        raise NotEncodable(f"the solver chose {value}, which is not a decimal number")
    denominator = fraction.denominator
    for p in (2, 5):
        while denominator % p == 0:
            denominator //= p
    if denominator != 1:
        raise NotEncodable(f"the solver chose {fraction}, which has no exact decimal")
    return Decimal(fraction.numerator) / Decimal(fraction.denominator)
