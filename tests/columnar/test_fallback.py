"""A policy the columnar backend does not evaluate is decided per record, with a
:class:`ColumnarFallback` warning that names the host's line (not one inside the
library); a value column no Arrow type holds is refused before any row is read.

Every form the generated policies of the property tests draw runs columnar, so the
policy here is made one the backend does not evaluate by taking a kernel away (`age`)
for these tests: what a form with no columnar form does, whichever it is."""

from __future__ import annotations

import json
import re
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.cli.main import main  # noqa: E402
from udbudsregler.columnar import ColumnarFallback, support  # noqa: E402
from udbudsregler.columnar.files import decide_file  # noqa: E402
from udbudsregler.columnar.kernels import KERNELS  # noqa: E402

POLICY = Path(__file__).resolve().parent / "data" / "fallback"
ON = date(2024, 3, 1)
ROWS = [{"age": 40, "since": date(2024, 1, 1), "notice": "1 month"},
        {"age": 20, "since": date(2024, 2, 20), "notice": "2 weeks"}]


@pytest.fixture(autouse=True)
def _no_age_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(KERNELS, "age")


@pytest.fixture
def policy() -> Any:
    return load_policy(POLICY, cache=False)


def test_the_policy_has_no_columnar_form_here(policy: Any) -> None:
    assert support(policy) == "the operation `age` on a column"


def _warned_here(record: list[warnings.WarningMessage]) -> None:
    fallbacks = [w for w in record if issubclass(w.category, ColumnarFallback)]
    assert fallbacks, "a ColumnarFallback warning"
    assert {w.filename for w in fallbacks} == {__file__}
    assert "does not evaluate" in str(fallbacks[0].message)


def test_the_warning_names_the_hosts_line(policy: Any, tmp_path: Path) -> None:
    want = [d.eligible for d in (policy.decide(r, ON) for r in ROWS)]
    for citizens in (ROWS, pa.Table.from_pylist(ROWS)):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            result = policy.decide_table(citizens, ON)
        _warned_here(record)
        assert result.decisions.column("eligible").to_pylist() == want
        assert result.per_record == len(ROWS)
    source = tmp_path / "population.jsonl"
    source.write_text("".join(json.dumps({**r, "since": r["since"].isoformat()}) + "\n"
                              for r in ROWS), encoding="utf-8")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        decide_file(policy, source, ON, tmp_path / "out.jsonl")
    _warned_here(record)


def test_a_value_no_column_holds_is_refused_up_front(policy: Any) -> None:
    table = pa.table({"wrong": [1]})  # not read: the values are checked first
    with pytest.raises(ValueError, match="`waited` is a duration in days or weeks, which no "
                       "column holds"):
        policy.decide_table(table, ON, values=["waited"])
    with pytest.raises(KeyError, match="no rule or other named node 'nope'"):
        policy.decide_table(ROWS, ON, values=["nope"])
    with pytest.raises(ValueError, match="cannot be named 'eligible'"):
        policy.decide_table(ROWS, ON, values=["eligible"])
    with pytest.raises(TypeError, match="a list of rule names"):
        policy.decide_table(ROWS, ON, values="is_older")


@pytest.mark.parametrize(("folder", "name", "place"), [
    ("tests/columnar/data/nearest", "service_areas.jobs.distance", "supplier"),
    ("policies/rusta-och-matcha-2", "service_areas.lulea.only", "supplier"),
    ("policies/rusta-och-matcha-2", "outcomes.arbete", "day"),
    ("policies/rusta-och-matcha-2", "price_models.resultatbaserad.results.resultat.amount",
     "time_to_result"),
])
def test_a_value_only_its_place_gives_is_refused_up_front(folder: str, name: str,
                                                          place: str) -> None:
    """A supplier selection's `distance` or `only`, an outcome, a result payment's amount:
    they read a name only their place gives (`decide` says UDB708 for each citizen);
    before, ``decide_table`` and ``decide_file`` stopped with a ``KeyError: '$supplier'``."""
    other = load_policy(Path(__file__).resolve().parents[2] / folder)
    with pytest.raises(ValueError, match=f"`{name}` reads `{place}`, which has a value only "):
        other.decide_table([{}], other.header.valid.from_, values=[name])


def test_command_line_values_are_checked_as_input(tmp_path: Path, capsys: Any) -> None:
    """A bad --values is the user's bad input (exit 2, one line, no traceback), found
    before the file is read; a good one is a column of the output."""
    source = tmp_path / "population.jsonl"
    source.write_text("".join(json.dumps({**r, "since": r["since"].isoformat()}) + "\n"
                              for r in ROWS), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["decide", str(POLICY), "--population", str(source), "--on", "2024-03-01",
            "--out", str(out)]
    for values, message in (("waited", "`waited` is a duration in days or weeks"),
                            ("nope", "no rule or other named node 'nope'")):
        assert main([*args, "--values", values]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and "internal error" not in err
        assert not out.exists()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert main([*args, "--values", "is_older"]) == 0
    assert not [w for w in record if issubclass(w.category, ColumnarFallback)]
    err = capsys.readouterr().err  # said once, as a note
    assert err.count("does not evaluate") == 1 and "note: decided per record" in err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["is_older"] for r in rows] == [True, False]


def test_without_the_extra_the_error_names_it() -> None:
    """``policy.decide_table`` and ``settle_table`` without numpy and pyarrow (a fresh
    process in which they cannot be imported): an ImportError naming the extra to
    install; before, "No module named 'numpy'"."""
    import subprocess
    import sys

    program = (
        "import sys\n"
        "sys.modules['numpy'] = None; sys.modules['pyarrow'] = None\n"
        "import udbudsregler as ur\n"
        f"policy = ur.load_policy({str(POLICY)!r})\n"
        "for run in (lambda: policy.decide_table([], '2024-03-01'),\n"
        "            lambda: policy.settle_table([], until='2024-03-01')):\n"
        "    try:\n"
        "        run()\n"
        "    except ImportError as error:\n"
        "        print(type(error).__name__, error)\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=120, check=True)
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    for line, name in zip(lines, ("decide_table", "settle_table"), strict=True):
        assert re.fullmatch(f"ImportError policy.{name} needs the columnar extra "
                            r"\((numpy|pyarrow) is not installed\): "
                            r"pip install 'udbudsregler\[columnar\]'", line), line
