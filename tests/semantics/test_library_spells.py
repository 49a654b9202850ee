"""The history functions of the library (``semantics.library``), which read records
directly and stop early, give what their references in ``values.temporal`` give."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from udbudsregler.semantics import library as L
from udbudsregler.values.temporal import Duration, Period, SpanLength, spell_length_on

_DAYS = st.integers(0, 120).map(lambda n: date(2019, 1, 1) + timedelta(days=n))
#: Gaps in days (the fast path) and in months (the general one).
_GAPS = st.builds(Duration, st.sampled_from([0, 0, 0, 1, 2]), st.integers(0, 40))


@st.composite
def _records(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(0, 6))):
        start = draw(_DAYS)
        days = draw(st.none() | st.integers(0, 50))
        end = None if days is None else start + timedelta(days=days)
        out.append({"from": start, "to": end, "kind": "kontanthjaelp"})
    return out


@settings(max_examples=400, deadline=None)
@given(records=_records(), on=_DAYS, gap=_GAPS, rule=st.sampled_from(["clamp", "roll"]))
def test_spell_length_is_the_reference(records: list[dict[str, Any]], on: date,
                                       gap: Duration, rule: Any) -> None:
    got = L.spell_length(records, on, gap, rule)
    want = spell_length_on([Period(r["from"], r["to"]) for r in records], on, gap, rule)
    assert type(got) is SpanLength
    assert (got.start, got.end) == (want.start, want.end)


def test_spell_length_at_the_end_of_the_calendar() -> None:
    last = date.max
    records = [{"from": last - timedelta(days=9), "to": last - timedelta(days=8)},
               {"from": last - timedelta(days=3), "to": last}]
    for gap in (Duration(0, 0), Duration(0, 5), Duration(0, 40), Duration(1, 0)):
        got = L.spell_length(records, last, gap, "clamp")
        want = spell_length_on([Period(r["from"], r["to"]) for r in records], last, gap,
                               "clamp")
        assert (got.start, got.end) == (want.start, want.end)
