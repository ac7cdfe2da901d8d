/**
 * Extracts one table to local Parquet with the runtime sources under --src (default: this
 * checkout's), so outputs of two code versions can be compared value by value (compare-output.ts).
 *
 *   tsx --conditions=source runtime/bench/write-output.ts --table lot_typed_1000000 --out /tmp/new \
 *     [--src /tmp/base/runtime/src]
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { extractPartition as ExtractFn } from "../src/extract/extract.js";
import type { Logger as LoggerClass } from "../src/logger.js";
import type { LocalStorage as LocalStorageClass } from "../src/storage/local.js";

const { values } = parseArgs({
  options: {
    src: { type: "string", default: path.resolve(import.meta.dirname, "../src") },
    database: { type: "string", default: "extract_bench" },
    table: { type: "string", default: "lot_typed_1000000" },
    out: { type: "string", default: "/tmp/extract-out" },
    compression: { type: "string", default: "zstd" },
  },
});
const src = pathToFileURL(`${path.resolve(values.src)}/`);
const { extractPartition } = (await import(new URL("extract/extract.ts", src).href)) as {
  extractPartition: typeof ExtractFn;
};
const { Logger } = (await import(new URL("logger.ts", src).href)) as { Logger: typeof LoggerClass };
const { LocalStorage } = (await import(new URL("storage/local.ts", src).href)) as {
  LocalStorage: typeof LocalStorageClass;
};
const started = performance.now();
const result = await extractPartition({
  source: {
    host: "127.0.0.1",
    port: 55432,
    user: "etl",
    password: "etl",
    database: values.database,
    schema: "public",
  },
  pipeline: {
    name: values.table,
    sourceTable: values.table,
    query: null,
    dateColumn: null,
    incremental: null,
    saveToS3: true,
    hasTransfer: false,
    transfer: null,
    hasDbtTransform: false,
    dbtTransform: null,
    saveToTrino: false,
    trinoOutput: null,
    columns: null,
    schemaHash: null,
    checks: [],
    extract: {
      compression: values.compression as "zstd" | "snappy" | "none",
      rowGroupRows: 131_072,
      maxFileRows: 5_000_000,
    },
  },
  partition: null,
  timeZone: "UTC",
  storage: new LocalStorage(values.out, "bench"),
  tenantId: "bench",
  runId: "compare",
  logger: new Logger({}, undefined, "error"),
});
process.stdout.write(
  `${result.rowCount} rows, ${result.bytes} bytes, ${result.files.length} files in ${((performance.now() - started) / 1000).toFixed(2)} s -> ${result.location}\n`,
);
