/** `--only memory`: our extract's peak RSS at the base row count and at 10M rows (flat memory). */
import { z } from "zod";
import { ratio } from "../lib/context.js";
import { runOurs, type ToolResult } from "../lib/extract-runs.js";
import { defineSection } from "../lib/section.js";
import { ensureTable } from "../lib/source-table.js";
import { ExtractResultsSchema } from "./extract.js";

export const MemoryResultsSchema = z.object({
  points: z.array(
    z.object({
      rows: z.number().int(),
      peakRssMiB: z.number(),
      seconds: z.number(),
      rowsPerSecond: z.number(),
      verified: z.string(),
    }),
  ),
  bigOverBase: z.number(),
});
export type MemoryResults = z.infer<typeof MemoryResultsSchema>;

const fmt = (n: number) => n.toLocaleString("en-US");
const mark = (ok: boolean) => (ok ? "met" : "NOT met");

export const memorySection = defineSection<MemoryResults>({
  name: "memory",
  options: {
    rows: { type: "string", description: "rows of the base point (default 2,000,000)" },
    "big-rows": { type: "string", description: "rows of the large point (default 10,000,000)" },
  },
  schema: MemoryResultsSchema,
  async run(ctx) {
    const base = ctx.int("rows", 2_000_000, 200_000);
    const big = ctx.int("big-rows", 10_000_000, 1_000_000);
    const points: { rows: number; result: ToolResult }[] = [];
    const extract = ctx.earlier("extract", ExtractResultsSchema);
    for (const rows of [base, big]) {
      // The extract section's runs at this size (largest peak of its interleaved runs) when it ran.
      const measured = extract?.scales
        .find((s) => s.rows === rows)
        ?.variants.find((v) => v.name === "ours local")?.typical;
      if (measured !== undefined) {
        points.push({ rows, result: measured });
        continue;
      }
      const table = `lot_history_${rows}`;
      const truth = await ensureTable(ctx, table, rows, false);
      const r = (await runOurs(ctx, truth, { storage: "local", table })).result;
      ctx.log(`memory: ${rows} rows, peak ${r.peakRssMiB} MiB`);
      points.push({ rows, result: r });
    }
    const [first, last] = points;
    if (first === undefined || last === undefined) {
      throw new Error("internal: memory points missing");
    }
    return {
      points: points.map((p) => ({
        rows: p.rows,
        peakRssMiB: p.result.peakRssMiB,
        seconds: p.result.seconds,
        rowsPerSecond: p.result.rowsPerSecond,
        verified: p.result.verified,
      })),
      bigOverBase: ratio(last.result.peakRssMiB, first.result.peakRssMiB),
    };
  },
  targets(m) {
    const big = m.points[m.points.length - 1];
    if (big === undefined) return [];
    return [
      `peak RSS < 512 MiB at 10,000,000 rows: ${big.peakRssMiB} MiB at ${fmt(big.rows)} rows (${big.rows >= 10_000_000 ? mark(big.peakRssMiB < 512) : "not measured at 10M"}); largest/base ${m.bigOverBase}x`,
    ];
  },
  markdown(m) {
    return [
      "## Memory at scale (our extract to local Parquet)",
      "",
      "| rows | peak RSS MiB (process tree) | seconds | rows/s |",
      "|---:|---:|---:|---:|",
      ...m.points.map(
        (p) => `| ${fmt(p.rows)} | ${p.peakRssMiB} | ${p.seconds} | ${fmt(p.rowsPerSecond)} |`,
      ),
      "",
      `Peak RSS ratio, largest / base: ${m.bigOverBase}.`,
      "",
      ...m.points.map((p) => `- ${p.verified}`),
      "",
    ];
  },
});
