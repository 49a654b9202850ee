"""Run a policy over a Dask DataFrame on a local cluster (docs/population.md)."""

from datetime import date

import dask.dataframe as dd
import pandas as pd
import pyarrow as pa
from dask.distributed import Client, LocalCluster

import udbudsregler as ur
from udbudsregler.columnar import fact_schema
from udbudsregler.columnar.distributed import decide_dask
from udbudsregler.testing import sample_citizens


def main(n: int = 2_000, workers: int = 2) -> pd.DataFrame:
    policy = ur.load_policy("policies/slagelse-2019")
    on = date(2019, 2, 1)
    # Citizens as Arrow: one column per fact, histories as lists of structs, an id.
    table = pa.Table.from_pylist(sample_citizens(policy, on, n, seed=1),
                                 schema=fact_schema(policy.graph))
    table = table.append_column("id", pa.array([f"c{i}" for i in range(n)]))
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)  # keep Arrow types in pandas
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True) as cluster, \
            Client(cluster):
        citizens = dd.from_pandas(frame, npartitions=4)
        decisions = decide_dask(policy, citizens, on, id="id")
        return decisions.compute()  # one row per citizen: eligible, area, ..., errors


if __name__ == "__main__":  # needed: Dask's worker processes import this module
    print(main().head())
