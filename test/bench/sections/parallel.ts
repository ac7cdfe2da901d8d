/**
 * `--only parallel`: the parallel extract (`extract.parallelism`) at N = 1, 2, 4 to local Parquet
 * against the single-stream COPY floor, interleaved, with the CPU per row of our process and of
 * the PostgreSQL backends: on a host with free cores the time tends to the larger of our CPU and
 * the backends' CPU divided by N, which the per-row figures let a reader predict.
 */
import os from "node:os";
import { z } from "zod";
import { mib, round } from "../lib/context.js";
import { defineSection } from "../lib/section.js";
import { DATABASE, ensureTable } from "../lib/source-table.js";
import { compare, floorVariant, oursVariant, ratioOf, VariantResultSchema } from "./extract.js";

const LEVELS = [1, 2, 4] as const;

export const ParallelResultsSchema = z.object({
  table: z.string(),
  rows: z.number().int(),
  runs: z.number().int(),
  cores: z.number().int(),
  loadBefore: z.number(),
  loadAfter: z.number(),
  variants: z.array(VariantResultSchema),
  /** CPU microseconds per row of our process and of the backends, per parallelism. */
  cpuPerRow: z.array(
    z.object({
      parallelism: z.number().int(),
      oursMicros: z.number().nullable(),
      backendMicros: z.number().nullable(),
    }),
  ),
  ratios: z.array(z.object({ what: z.string(), ratio: z.number(), text: z.string() })),
});
export type ParallelResults = z.infer<typeof ParallelResultsSchema>;

const fmt = (n: number) => n.toLocaleString("en-US");
const name = (n: number) => `ours local, parallelism ${n}`;

export const parallelSection = defineSection<ParallelResults>({
  name: "parallel",
  options: {
    rows: { type: "string", description: "rows of the extract table (default 2,000,000)" },
    runs: { type: "string", description: "interleaved runs per comparison (default 5)" },
  },
  schema: ParallelResultsSchema,
  async run(ctx) {
    const rows = ctx.int("rows", 2_000_000, 200_000);
    const runs = ctx.int("runs", 5, 3);
    const table = `lot_history_${rows}`;
    const truth = await ensureTable(ctx, table, rows, false);
    ctx.log(
      `parallel: ${fmt(truth.rows)} rows, ${mib(truth.copyBytes)} MiB, N = ${LEVELS.join(", ")}`,
    );
    const { summary, variants } = await compare(
      ctx,
      [
        floorVariant(ctx, table, truth),
        ...LEVELS.map((n) =>
          oursVariant(ctx, name(n), truth, { storage: "local", table, parallelism: n }),
        ),
      ],
      runs,
    );
    const floor = variants[0];
    const byLevel = (n: number) => variants.find((v) => v.name === name(n));
    const perRow = (seconds: number | null) =>
      seconds === null ? null : round((seconds * 1e6) / truth.rows, 2);
    const ratios = [
      ...LEVELS.map((n) => ratioOf(`parallelism ${n} / floor`, byLevel(n), floor)),
      ...LEVELS.slice(1).map((n) =>
        ratioOf(`parallelism ${n} / parallelism 1`, byLevel(n), byLevel(1)),
      ),
    ].filter((r) => r !== null);
    for (const r of ratios) ctx.log(`  ${r.what}: ${r.text}`);
    return {
      table: `${DATABASE}.public.${table}`,
      rows: truth.rows,
      runs,
      cores: os.cpus().length,
      loadBefore: round(summary.loadBefore),
      loadAfter: round(summary.loadAfter),
      variants,
      cpuPerRow: LEVELS.map((n) => ({
        parallelism: n,
        oursMicros: perRow(byLevel(n)?.cpuSeconds ?? null),
        backendMicros: perRow(byLevel(n)?.backendCpuSeconds ?? null),
      })),
      ratios,
    };
  },
  targets(p) {
    return p.ratios
      .filter((r) => r.what.endsWith("/ parallelism 1"))
      .map(
        (r) =>
          `parallel extract ${r.what} at ${fmt(p.rows)} rows on ${p.cores} cores: ${r.text} (${r.ratio < 1 ? "faster" : "no gain"}; median of ${p.runs} interleaved runs, load average ${p.loadBefore} -> ${p.loadAfter})`,
      );
  },
  markdown(p) {
    const floor = p.variants[0];
    return [
      `## Parallel extract: ${fmt(p.rows)} rows of \`${p.table}\` at parallelism 1, 2, 4 (${p.cores} cores)`,
      "",
      `${p.runs} interleaved runs of each variant; load average ${p.loadBefore} before, ${p.loadAfter} after.`,
      "",
      "| variant | median s | min s | max s | spread | x floor | our CPU s | backend CPU s | peak RSS MiB |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...p.variants.map(
        (v) =>
          `| ${v.name} | ${v.median} | ${v.min} | ${v.max} | ${Math.round(v.spread * 100)}% | ${floor === undefined ? "" : (v.median / floor.median).toFixed(2)} | ${v.cpuSeconds ?? "-"} | ${v.backendCpuSeconds ?? "-"} | ${v.typical.peakRssMiB} |`,
      ),
      "",
      "CPU per row (microseconds): what predicts the gain where cores are free.",
      "",
      "| parallelism | our process | PostgreSQL backends |",
      "|---:|---:|---:|",
      ...p.cpuPerRow.map(
        (c) => `| ${c.parallelism} | ${c.oursMicros ?? "-"} | ${c.backendMicros ?? "-"} |`,
      ),
      "",
      ...p.ratios.map((r) => `- ${r.what}: ${r.text}`),
      "",
      ...p.variants.map((v) => `- ${v.name}: ${v.typical.verified}`),
      "",
    ];
  },
});
