"""The Dask and Spark examples of docs/population.md, run as written: on a local Dask
cluster and on Spark in local mode. Their decisions equal per-record decide; the policy is
built once per worker process, not once per partition."""

from __future__ import annotations

import os
import pickle
import re
import runpy
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

from equivalence import expected  # noqa: E402

from udbudsregler import load_policy  # noqa: E402
from udbudsregler.testing.boundaries import sample_citizens  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ON = date(2019, 2, 1)


def _example(name: str) -> dict[str, Any]:
    return runpy.run_path(str(ROOT / "docs" / "examples" / name))


def _check(rows: list[dict[str, Any]], n: int) -> None:
    policy = load_policy(ROOT / "policies" / "slagelse-2019")
    citizens = sample_citizens(policy, ON, n, seed=1)
    by_id = {r["id"]: r for r in rows}
    assert len(by_id) == n
    for i, facts in enumerate(citizens):
        kind, want = expected(policy, facts, ON)
        got = by_id[f"c{i}"]
        assert kind == "decision" and not got["errors"]
        assert {k: (list(got[k]) if k in ("target_groups", "failed") else got[k])
                for k in want} == want


def test_the_docs_page_shows_the_examples_as_tested() -> None:
    page = (ROOT / "docs" / "population.md").read_text(encoding="utf-8")
    for name in ("population_dask.py", "population_spark.py"):
        code = (ROOT / "docs" / "examples" / name).read_text(encoding="utf-8")
        body = code.split('"""', 2)[2].strip()  # all but the docstring
        assert body in page, f"docs/population.md does not show docs/examples/{name} as is"


def test_a_shipped_policy_is_built_once_per_process() -> None:
    from udbudsregler.columnar.distributed import _CACHE, BUILT, shipped

    policy = load_policy(ROOT / "policies" / "slagelse-2019")
    payload = pickle.dumps(shipped(policy))
    _CACHE.clear()
    before = BUILT[0]
    first, second = pickle.loads(payload), pickle.loads(payload)
    assert BUILT[0] == before  # not built until a partition asks for it
    assert first.policy is second.policy and BUILT[0] == before + 1
    assert first.policy.content_hash == policy.content_hash
    # passed on (Dask's scheduler unpickles a task and pickles it again): still one build
    again = pickle.loads(pickle.dumps(pickle.loads(payload)))
    assert again.policy is first.policy and BUILT[0] == before + 1


def test_dask_on_a_local_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("dask.dataframe")
    pytest.importorskip("distributed")
    monkeypatch.chdir(ROOT)
    frame = _example("population_dask.py")["main"](n=300, workers=2)
    _check(frame.to_dict("records"), 300)


@pytest.mark.skipif(not any(Path(p, "java").exists() for p in
                            os.environ.get("PATH", "").split(os.pathsep)),
                    reason="Spark needs Java")
def test_spark_in_local_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyspark")
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("PYSPARK_PYTHON", raising=False)  # the example sets it itself
    rows = _example("population_spark.py")["main"](n=300)
    _check([r.asDict(recursive=True) for r in rows], 300)
    policy = load_policy(ROOT / "policies" / "slagelse-2019")
    price = policy.node_value("weekly_price", {}, ON).amount  # a parameter: the same for all
    assert {r["weekly_price"] for r in rows} == {price}


def test_dask_and_spark_refuse_a_projection() -> None:
    """Their results have a fixed schema (Spark needs it before it runs): a projection is
    refused before anything runs, with what to do instead."""
    from udbudsregler.columnar.distributed import decide_dask, decide_spark

    policy = load_policy(ROOT / "policies" / "slagelse-2019")
    for run in (decide_dask, decide_spark):
        with pytest.raises(TypeError, match="select columns from the result instead"):
            run(policy, object(), ON, columns=["eligible"])


def test_dask_and_spark_refuse_a_list_of_orders() -> None:
    """One order per row cannot follow the rows into their partitions (each partition
    would read the list from its start): refused before anything runs."""
    from udbudsregler.columnar.distributed import decide_dask, decide_spark

    policy = load_policy(ROOT / "policies" / "slagelse-2019")
    for run in (decide_dask, decide_spark):
        with pytest.raises(TypeError, match="as a struct column"):
            run(policy, object(), ON, order=[None, {"package": "x"}])


def test_value_columns_on_dask_and_in_the_spark_schema() -> None:
    """`values=[...]` adds the rules' values as columns (they were dropped): on Dask (the
    synchronous scheduler here; the cluster is tested above), equal to decide's values,
    and in the Spark schema with their types."""
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    from udbudsregler.columnar import fact_schema
    from udbudsregler.columnar.distributed import decide_dask, output_schema, spark_schema

    policy = load_policy(ROOT / "policies" / "slagelse-2019")
    citizens = sample_citizens(policy, ON, 60, seed=4)
    table = pa.Table.from_pylist(citizens, schema=fact_schema(policy.graph))
    table = table.append_column("id", pa.array([f"c{i}" for i in range(len(citizens))]))
    frame = dd.from_pandas(table.to_pandas(types_mapper=pd.ArrowDtype), npartitions=3)
    values = ("age", "weekly_price")
    result = decide_dask(policy, frame, ON, id="id", values=values).compute(
        scheduler="synchronous")
    assert list(result.columns) == output_schema(policy, values).names
    assert output_schema(policy, values).names[-3:] == ["age", "weekly_price", "errors"]
    by_id = {r["id"]: r for r in result.to_dict("records")}
    for i, facts in enumerate(citizens):
        decision = policy.decide(facts, ON)
        row = by_id[f"c{i}"]
        assert row["age"] == policy.node_value("age", decision.facts, ON)
        assert row["weekly_price"] == policy.node_value("weekly_price", decision.facts,
                                                        ON).amount
    ddl = spark_schema(policy, values)
    assert ("`failed` array<string>, `age` long, `weekly_price` decimal(38,18), `errors` "
            "array<struct<path:string,code:string,message:string>>") in ddl
    assert re.findall(r"`([^`]+)`", ddl) == output_schema(policy, values).names
    with pytest.raises(KeyError, match="no rule or other named node 'agee'"):
        decide_dask(policy, frame, ON, id="id", values=("agee",))
    for schema_of in (output_schema, spark_schema):
        with pytest.raises(TypeError, match="values need the policy"):
            schema_of(None, values)


def test_dask_and_spark_check_the_date_before_any_partition_runs() -> None:
    """A date ``decide`` refuses, or one outside the policy's validity, is refused before
    anything runs (the frame is not even looked at), with ``decide``'s errors; before,
    a ``ValueError`` from ``date.fromisoformat`` or UDB703 from every partition at
    ``compute``."""
    from udbudsregler.columnar.distributed import decide_dask, decide_spark
    from udbudsregler.diagnostics import EvaluationError, FactError

    policy = load_policy(ROOT / "policies" / "slagelse-2019")
    for run in (decide_dask, decide_spark):
        with pytest.raises(FactError) as raised:
            run(policy, object(), "2019-2-1")
        assert [(p.path, p.code) for p in raised.value.problems] == [("on", "UDB602")]
        with pytest.raises(EvaluationError, match="UDB703"):
            run(policy, object(), "2030-01-01")


def test_dask_warns_when_lists_or_true_false_facts_arrive_as_text() -> None:
    """A pandas frame of Python objects: Dask turns its lists and true/false values into
    text (``dataframe.convert-string``), and ``decide`` refuses every such row; a warning
    says why and what to build instead. A frame with pyarrow dtypes gets none."""
    dd = pytest.importorskip("dask.dataframe")
    import warnings

    import pandas as pd

    from udbudsregler.columnar import fact_schema
    from udbudsregler.columnar.distributed import decide_dask

    policy = load_policy(ROOT / "policies" / "slagelse-2019")
    table = pa.Table.from_pylist(sample_citizens(policy, ON, 4, seed=4),
                                 schema=fact_schema(policy.graph))
    plain = dd.from_pandas(pd.DataFrame(table.to_pylist(), dtype=object), npartitions=2)
    with pytest.warns(UserWarning, match="`benefits`, `offers`, `subject_to_225_rule` "
                      "reach Dask as text"):
        decide_dask(policy, plain, ON)
    typed = dd.from_pandas(table.to_pandas(types_mapper=pd.ArrowDtype), npartitions=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        decide_dask(policy, typed, ON)
