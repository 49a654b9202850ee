"""Run a policy over a Spark DataFrame in local mode (docs/population.md)."""

import os
import sys
from datetime import date

import pyarrow as pa
from pyspark.sql import SparkSession

import udbudsregler as ur
from udbudsregler.columnar import fact_schema
from udbudsregler.columnar.distributed import decide_spark
from udbudsregler.testing import sample_citizens


def main(n: int = 2_000) -> list:
    policy = ur.load_policy("policies/slagelse-2019")
    on = date(2019, 2, 1)
    table = pa.Table.from_pylist(sample_citizens(policy, on, n, seed=1),
                                 schema=fact_schema(policy.graph))
    table = table.append_column("id", pa.array([f"c{i}" for i in range(n)]))
    # Spark starts its Python workers with $PYSPARK_PYTHON, else the `python3` on the
    # PATH: in local mode, they must be this Python (the one udbudsregler is installed in)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master("local[2]").appName("udbudsregler")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true")
             .config("spark.ui.enabled", "false").getOrCreate())
    try:
        citizens = spark.createDataFrame(table)  # from Arrow: dates, decimals, arrays
        decisions = decide_spark(policy, citizens, on, id="id", values=["weekly_price"])
        return decisions.collect()  # a Row per citizen: eligible, area, ..., weekly_price
    finally:
        spark.stop()


if __name__ == "__main__":
    print(main()[:5])
