"""The peer of the extract benchmark: dlt's sql_database source writing Parquet to local disk.

  python peer_dlt.py run --dsn postgresql://... --table T --out DIR --backend pyarrow|connectorx
  python peer_dlt.py verify --out DIR --column amount

`run` prints one JSON line (rows, seconds of pipeline.run, files, bytes); `verify` reads every
Parquet file under DIR with pyarrow and prints the row count and the exact sum of a decimal column.
Run by test/bench/bench.ts inside a virtualenv it creates under $ETL_STACK_HOME.
"""
import argparse
import json
import os
import sys
import time
from decimal import Decimal


def parquet_files(out):
    found = []
    for folder, _dirs, files in os.walk(out):
        for name in files:
            if name.endswith(".parquet"):
                found.append(os.path.join(folder, name))
    return sorted(found)


def run(args):
    import dlt
    from dlt.sources.sql_database import sql_table

    os.makedirs(args.out, exist_ok=True)
    pipelines_dir = os.path.join(args.out, "_pipelines")
    data_dir = os.path.join(args.out, "data")
    table = sql_table(
        credentials=args.dsn,
        table=args.table,
        schema=args.schema,
        backend=args.backend,
        chunk_size=args.chunk_size,
        reflection_level="full_with_precision",
    )
    pipeline = dlt.pipeline(
        pipeline_name="bench_peer",
        pipelines_dir=pipelines_dir,
        destination=dlt.destinations.filesystem(bucket_url="file://" + os.path.abspath(data_dir)),
        dataset_name="bench",
    )
    started = time.perf_counter()
    pipeline.run(table, loader_file_format="parquet", write_disposition="replace")
    seconds = time.perf_counter() - started
    files = [f for f in parquet_files(data_dir) if os.sep + args.table + os.sep in f]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "files": files,
                "bytes": sum(os.path.getsize(f) for f in files),
                "dlt": dlt.__version__,
            }
        )
    )


def verify(args):
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    files = parquet_files(args.out) if os.path.isdir(args.out) else [args.out]
    rows = 0
    total = Decimal(0)
    col_type = None
    for f in files:
        t = pq.read_table(f, columns=[args.column])
        rows += t.num_rows
        column = t.column(args.column)
        col_type = str(column.type)
        if not pa.types.is_decimal(column.type):
            raise SystemExit(f"{f}: column {args.column} is {column.type}, not a decimal: no exact sum")
        # Widened so the sum of millions of numeric(18,4) values cannot overflow.
        s = pc.sum(column.cast(pa.decimal128(38, column.type.scale))).as_py()
        total += s if s is not None else Decimal(0)
    print(json.dumps({"rows": rows, "sum": str(total), "type": col_type, "files": len(files)}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--dsn", required=True)
    r.add_argument("--schema", default="public")
    r.add_argument("--table", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--backend", default="pyarrow")
    r.add_argument("--chunk-size", type=int, default=100000)
    v = sub.add_parser("verify")
    v.add_argument("--out", required=True)
    v.add_argument("--column", required=True)
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    else:
        verify(args)


if __name__ == "__main__":
    sys.exit(main())
