"""The generated code on shapes its optimisations treat specially, against the interpreter.

Each rule below exercised a bug once (found by the random agreement tests); these keep
them caught deterministically: loops nested in loops with parts computed above a loop,
keyword arguments, an aggregate's default inside a loop, lists that are empty.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from udbudsregler.diagnostics import EvaluationError
from udbudsregler.policy import Policy, load_policy

POLICY = """\
policy:
  id: shapes
  title: Shapes
  authority: Tests
  valid: {from: 2000-01-01, to: 2030-12-31}
  month_end: clamp
  rounding: {unit: 0.01, mode: half_up}
facts:
  birth_date: date
  offers:
    type: history
    fields:
      kind: {type: enum, values: [praktik, loentilskud]}
      weekly_hours: hours
parameters:
  window: 2 years
  min_hours: 15 hours
rules:
  recent: period(today - window, today)
  nested_hoist: >
    count(o in offers where overlaps(o, recent)
          and any(p in offers where overlaps(p, period(today - 1 year, today))
                  and p.weekly_hours >= min_hours))
  keyword_hoist: >
    latest(covers_all(select(q in offers where q.kind == praktik), window=o.period)
           for o in offers else false)
  default_in_loop: >
    count(o in offers where max(p.weekly_hours for p in offers where overlaps(p, recent)
                                else 0 hours) >= o.weekly_hours)
  spell_kw: >
    any(o in offers where spell_length(offers, on=today, gap=1 day) >= 1 year)
  empty_guard: any(o in offers where overlaps(o, recent))
  keyword_value_hoist: >
    count(o in offers where covers_all(select(p in offers where p.kind == o.kind),
                                       window=period(today - 1 year, today)))
  inner_reads_outer: >
    count(o in offers where any(p in offers where p.kind == o.kind and overlaps(p, recent)))
  age_now: age(birth_date)
target_groups:
  g:
    title: G
    criteria:
      any:
        - {id: a, title: A, when: nested_hoist >= 1}
        - {id: b, title: B, when: keyword_hoist}
        - {id: c, title: C, when: default_in_loop >= 1 and spell_kw and empty_guard}
        - {id: d, title: D, when: keyword_value_hoist + inner_reads_outer >= 2}
"""

RULES = ["recent", "nested_hoist", "keyword_hoist", "default_in_loop", "spell_kw",
         "empty_guard", "keyword_value_hoist", "inner_reads_outer", "age_now"]


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    folder: Path = tmp_path_factory.mktemp("shapes")
    (folder / "policy.yaml").write_text(POLICY, encoding="utf-8")
    return load_policy(folder)


def _offer(start: date, end: date | None, kind: str, hours: int) -> dict[str, Any]:
    return {"from": start, "to": end, "kind": kind, "weekly_hours": hours}


CITIZENS = [
    {"birth_date": date(1980, 2, 29), "offers": []},
    {"birth_date": date(1990, 6, 1), "offers": [
        _offer(date(2018, 1, 1), date(2018, 6, 30), "praktik", 20),
        _offer(date(2018, 5, 1), None, "loentilskud", 15),
        _offer(date(2015, 1, 1), date(2015, 3, 1), "praktik", 10)]},
    {"birth_date": date(1975, 12, 31), "offers": [
        _offer(date(2016, 12, 1), date(2017, 2, 1), "loentilskud", 14)]},
]


@pytest.mark.parametrize("citizen", CITIZENS)
@pytest.mark.parametrize("on", [date(2019, 2, 1), date(2020, 2, 29), date(2021, 2, 28)])
def test_generated_code_agrees_with_the_interpreter(policy: Policy, citizen: dict[str, Any],
                                                    on: date) -> None:
    facts = policy.facts.validate(citizen)
    for name in RULES:
        expected = _outcome(lambda n=name: policy.evaluate(n, facts, on))
        generated = _outcome(lambda n=name: policy.code.rule_values(facts, on, [n])[n])
        assert generated == expected, name
        assert type(generated) is type(expected), name
    in_group = _outcome(lambda: policy.evaluate("g", facts, on))
    decided = _outcome(lambda: policy.decide(facts, on=on).target_groups == ("g",))
    assert decided == in_group


def _outcome(compute: Any) -> Any:
    """A value, or the code of the evaluation error (both evaluators must agree)."""
    try:
        return compute()
    except EvaluationError as error:
        return ("error", error.code)


def test_a_rule_read_in_a_loop_is_computed_once(policy: Policy) -> None:
    source = policy.code.source
    # the loop-invariant part is computed on first use inside the loop, then reused
    assert re.search(r"\((h\d+) if \1 is not UNSET else \(\1 := ", source)
    assert source.count("_ovr(") >= 3  # overlaps of a record is direct code
