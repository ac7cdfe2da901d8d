/**
 * Compares the values of two extract outputs (directories of part-*.parquet files, in part order),
 * row by row and column by column, as hyparquet decodes them. Exit code 1 on the first difference.
 *
 *   tsx runtime/bench/compare-output.ts /tmp/base-out /tmp/new-out
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";

function partFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".parquet")) out.push(p);
    }
  };
  walk(dir);
  return out.sort((a, b) => path.basename(a).localeCompare(path.basename(b)));
}

function toArrayBuffer(file: string): ArrayBuffer {
  const b = readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

const [a, b] = process.argv.slice(2);
if (a === undefined || b === undefined) throw new Error("usage: compare-output.ts DIR_A DIR_B");
const filesA = partFiles(a);
const filesB = partFiles(b);
if (filesA.length !== filesB.length) throw new Error(`${filesA.length} vs ${filesB.length} files`);
let rows = 0;
for (const [i, fa] of filesA.entries()) {
  const fb = filesB[i] as string;
  const bufA = toArrayBuffer(fa);
  const bufB = toArrayBuffer(fb);
  const metaA = parquetMetadata(bufA);
  const metaB = parquetMetadata(bufB);
  if (metaA.num_rows !== metaB.num_rows)
    throw new Error(`${fa}: ${metaA.num_rows} vs ${metaB.num_rows} rows`);
  const schemaA = JSON.stringify(metaA.schema, (_k, v: unknown) =>
    typeof v === "bigint" ? v.toString() : v,
  );
  const schemaB = JSON.stringify(metaB.schema, (_k, v: unknown) =>
    typeof v === "bigint" ? v.toString() : v,
  );
  if (schemaA !== schemaB) throw new Error(`${fa}: schemas differ:\n${schemaA}\n${schemaB}`);
  const n = Number(metaA.num_rows);
  const step = 100_000;
  for (let start = 0; start < n; start += step) {
    const end = Math.min(n, start + step);
    const ra = await parquetReadObjects({ file: bufA, compressors, rowStart: start, rowEnd: end });
    const rb = await parquetReadObjects({ file: bufB, compressors, rowStart: start, rowEnd: end });
    if (ra.length !== rb.length)
      throw new Error(`${fa} rows ${start}-${end}: ${ra.length} vs ${rb.length}`);
    for (let r = 0; r < ra.length; r++) {
      if (!isDeepStrictEqual(ra[r], rb[r])) {
        process.stderr.write(
          `row ${start + r} of ${fa} differs:\n${String(JSON.stringify(ra[r], (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)))}\n${String(JSON.stringify(rb[r], (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)))}\n`,
        );
        process.exit(1);
      }
    }
  }
  rows += n;
}
process.stdout.write(`identical values: ${filesA.length} files, ${rows} rows\n`);
