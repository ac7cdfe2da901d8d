/**
 * `--only extract`: our extract to local Parquet and to S3 against the binary COPY floor, at
 * `--rows` and at `--big-rows`, and the dlt peer at `--rows`. Every ratio is the ratio of medians
 * of `--runs` interleaved runs (floor, ours local, ours S3, peer, floor, ...), with each variant's
 * spread and the load average before and after printed beside it (lib/interleave.ts).
 */
import { S3Storage } from "@etl/runtime";
import { z } from "zod";
import { type BenchContext, mib, round } from "../lib/context.js";
import {
  runFloor,
  runOurs,
  s3Settings,
  type ToolResult,
  ToolResultSchema,
} from "../lib/extract-runs.js";
import { interleave, ratioText } from "../lib/interleave.js";
import { peerPython, runPeer } from "../lib/peer.js";
import { defineSection } from "../lib/section.js";
import { DATABASE, ensureTable, type Truth } from "../lib/source-table.js";

/** The extract's target: at most this many times the floor (issue 19). */
export const EXTRACT_TARGET = 1.3;

export const VariantResultSchema = z.object({
  name: z.string(),
  /** The variant's own seconds for the work, one per run, in run order. */
  samples: z.array(z.number()),
  median: z.number(),
  min: z.number(),
  max: z.number(),
  spread: z.number(),
  /** Median CPU seconds of the client process: ours, or psql for the floor (null for the peer). */
  cpuSeconds: z.number().nullable(),
  /** Median CPU seconds of the PostgreSQL backends serving the client (null when not sampled). */
  backendCpuSeconds: z.number().nullable(),
  /** The run closest to the median, as a full record (wall time, RSS, output size, verified). */
  typical: ToolResultSchema,
});
export type VariantResult = z.infer<typeof VariantResultSchema>;

export const ScaleResultSchema = z.object({
  table: z.string(),
  rows: z.number().int(),
  copyBytes: z.number().int(),
  amountSum: z.string(),
  runs: z.number().int(),
  loadBefore: z.number(),
  loadAfter: z.number(),
  /** floor first, then ours local, ours S3, then the peers. */
  variants: z.array(VariantResultSchema),
  /** Ratios of medians, with both sides' spread: "1.24x (ours 4.1 s ±6%, floor 3.3 s ±4%)". */
  ratios: z.array(z.object({ what: z.string(), ratio: z.number(), text: z.string() })),
});
export type ScaleResult = z.infer<typeof ScaleResultSchema>;

export const ExtractResultsSchema = z.object({
  scales: z.array(ScaleResultSchema),
  peerErrors: z.array(z.string()),
});
export type ExtractResults = z.infer<typeof ExtractResultsSchema>;

const MiB = 1024 * 1024;
const fmt = (n: number) => n.toLocaleString("en-US");
const mark = (ok: boolean) => (ok ? "met" : "NOT met");

/** One variant of an interleaved comparison: its measure, and each run's full record. */
export interface MeasuredVariant {
  name: string;
  measure: () => Promise<{ result: ToolResult; cpu: number | null; backendCpu: number | null }>;
}

const medianOf = (values: (number | null)[]): number | null => {
  const known = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (known.length === 0) return null;
  const mid = Math.floor(known.length / 2);
  return known.length % 2 === 1
    ? (known[mid] ?? 0)
    : ((known[mid - 1] ?? 0) + (known[mid] ?? 0)) / 2;
};

/** Runs the variants interleaved; each variant's medians and its most typical run. */
export async function compare(
  ctx: BenchContext,
  variants: readonly MeasuredVariant[],
  runs: number,
): Promise<{ summary: Awaited<ReturnType<typeof interleave>>; variants: VariantResult[] }> {
  const records = variants.map(
    () => [] as { result: ToolResult; cpu: number | null; backendCpu: number | null }[],
  );
  const summary = await interleave(
    variants.map((v, i) => ({
      name: v.name,
      measure: async () => {
        const record = await v.measure();
        records[i]?.push(record);
        return record.result.seconds;
      },
    })),
    runs,
    ctx.log,
  );
  return {
    summary,
    variants: summary.variants.map((s, i) => {
      const mine = records[i] ?? [];
      const typical = [...mine].sort(
        (a, b) => Math.abs(a.result.seconds - s.median) - Math.abs(b.result.seconds - s.median),
      )[0];
      if (typical === undefined) throw new Error(`internal: no runs of ${s.name}`);
      const cpu = medianOf(mine.map((r) => r.cpu));
      const backend = medianOf(mine.map((r) => r.backendCpu));
      return {
        name: s.name,
        samples: s.samples.map((x) => round(x, 3)),
        median: round(s.median, 3),
        min: round(s.min, 3),
        max: round(s.max, 3),
        spread: round(s.spread, 3),
        cpuSeconds: cpu === null ? null : round(cpu, 2),
        backendCpuSeconds: backend === null ? null : round(backend, 2),
        typical: {
          ...typical.result,
          peakRssMiB: Math.max(...mine.map((r) => r.result.peakRssMiB)),
        },
      };
    }),
  };
}

/** The ratio of two variants' medians as the report prints it. */
export function ratioOf(
  what: string,
  ours: VariantResult | undefined,
  base: VariantResult | undefined,
): { what: string; ratio: number; text: string } | null {
  if (ours === undefined || base === undefined) return null;
  return {
    what,
    ratio: round(ours.median / base.median, 2),
    text: ratioText(ours, base),
  };
}

/** The floor as an interleaved variant. */
export function floorVariant(ctx: BenchContext, table: string, truth: Truth): MeasuredVariant {
  return {
    name: "floor",
    measure: () => runFloor(ctx, table, truth),
  };
}

/** Our extract as an interleaved variant (each run verified; S3 runs remove their files). */
export function oursVariant(
  ctx: BenchContext,
  name: string,
  truth: Truth,
  options: { storage: "local" | "s3"; table: string; parallelism?: number },
): MeasuredVariant {
  let round = 0;
  return {
    name,
    measure: async () => {
      round += 1;
      const basePath = `bench/${ctx.stamp}/extract-${name.replace(/\W+/g, "-")}-${round}`;
      const ours = await runOurs(ctx, truth, {
        ...options,
        ...(options.storage === "s3" ? { basePath } : {}),
      });
      if (options.storage === "s3") {
        await new S3Storage(s3Settings(ctx.env, basePath)).deletePrefix("");
      }
      return {
        result: ours.result,
        cpu: ours.run.cpuSeconds,
        backendCpu: ours.run.backendCpuSeconds,
      };
    },
  };
}

async function measureScale(
  ctx: BenchContext,
  rows: number,
  runs: number,
  peers: readonly ((table: string, truth: Truth) => MeasuredVariant)[],
): Promise<ScaleResult> {
  const table = `lot_history_${rows}`;
  const truth = await ensureTable(ctx, table, rows, false);
  ctx.log(
    `extract: ${fmt(truth.rows)} rows, ${mib(truth.copyBytes)} MiB of binary COPY, ${runs} interleaved runs`,
  );
  const { summary, variants } = await compare(
    ctx,
    [
      floorVariant(ctx, table, truth),
      oursVariant(ctx, "ours local", truth, { storage: "local", table }),
      oursVariant(ctx, "ours S3", truth, { storage: "s3", table }),
      ...peers.map((peer) => peer(table, truth)),
    ],
    runs,
  );
  const [floor, local, s3, ...peerResults] = variants;
  const ratios = [
    ratioOf("ours local / floor", local, floor),
    ratioOf("ours S3 / floor", s3, floor),
    ...peerResults.map((p) => ratioOf(`ours local / ${p.name}`, local, p)),
  ].filter((r) => r !== null);
  for (const r of ratios) ctx.log(`  ${r.what}: ${r.text}`);
  return {
    table: `${DATABASE}.public.${table}`,
    rows: truth.rows,
    copyBytes: truth.copyBytes,
    amountSum: truth.sum,
    runs,
    loadBefore: round(summary.loadBefore),
    loadAfter: round(summary.loadAfter),
    variants,
    ratios,
  };
}

export const extractSection = defineSection<ExtractResults>({
  name: "extract",
  options: {
    rows: { type: "string", description: "rows of the extract table (default 2,000,000)" },
    "big-rows": { type: "string", description: "rows of the large point (default 10,000,000)" },
    runs: { type: "string", description: "interleaved runs per comparison (default 5)" },
    "no-peer": { type: "boolean", description: "skip the dlt peer" },
  },
  schema: ExtractResultsSchema,
  async run(ctx) {
    const rows = ctx.int("rows", 2_000_000, 200_000);
    const bigRows = ctx.int("big-rows", 10_000_000, 1_000_000);
    const runs = ctx.int("runs", 5, 3);
    const peerErrors: string[] = [];
    const peers: ((table: string, truth: Truth) => MeasuredVariant)[] = [];
    if (!ctx.flag("no-peer")) {
      const { python, connectorx } = peerPython(ctx);
      const peer =
        (backend: "pyarrow" | "connectorx") =>
        (table: string, truth: Truth): MeasuredVariant => ({
          name: `dlt (${backend})`,
          measure: async () => ({
            result: await runPeer(ctx, python, backend, table, truth),
            cpu: null,
            backendCpu: null,
          }),
        });
      peers.push(peer("pyarrow"));
      if (connectorx === null) peers.push(peer("connectorx"));
      else peerErrors.push(`connectorx did not install: ${connectorx.slice(0, 600)}`);
    }
    const scales = [await measureScale(ctx, rows, runs, peers)];
    if (bigRows !== rows) scales.push(await measureScale(ctx, bigRows, runs, []));
    return { scales, peerErrors };
  },
  targets(x) {
    return x.scales.flatMap((s) =>
      s.ratios
        .filter((r) => r.what.endsWith("/ floor"))
        .map(
          (r) =>
            `extract ${r.what.replace(" / floor", "")} <= ${EXTRACT_TARGET}x the COPY floor at ${fmt(s.rows)} rows: ${r.text}, median of ${s.runs} interleaved runs, load average ${s.loadBefore} -> ${s.loadAfter} (${mark(r.ratio <= EXTRACT_TARGET)})`,
        ),
    );
  },
  markdown(x) {
    const lines: string[] = [];
    for (const s of x.scales) {
      const floor = s.variants[0];
      lines.push(
        `## Extract: ${fmt(s.rows)} rows of \`${s.table}\` (${(s.copyBytes / MiB).toFixed(1)} MiB of binary COPY)`,
        "",
        `${s.runs} interleaved runs of each variant (floor, ours local, ours S3${s.variants.length > 3 ? ", peers" : ""}, then again); load average ${s.loadBefore} before, ${s.loadAfter} after. Seconds are each tool's own time for the work (psql: wall time); spread is (max - min) / median. CPU columns: the client process (our node process; psql for the floor), and the PostgreSQL backends that served it (sampled from /proc every 50 ms). Peak RSS is the whole process tree, largest of the runs.`,
        "",
        "| variant | median s | min s | max s | spread | x floor | client CPU s | backend CPU s | wall s | peak RSS MiB | output MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ...s.variants.map(
          (v) =>
            `| ${v.name} | ${v.median} | ${v.min} | ${v.max} | ${Math.round(v.spread * 100)}% | ${floor === undefined ? "" : (v.median / floor.median).toFixed(2)} | ${v.cpuSeconds ?? "-"} | ${v.backendCpuSeconds ?? "-"} | ${v.typical.wallSeconds} | ${v.typical.peakRssMiB} | ${v.typical.outputBytes === null ? "-" : (v.typical.outputBytes / MiB).toFixed(1)} |`,
        ),
        "",
        ...s.ratios.map((r) => `- ${r.what}: ${r.text}`),
        "",
        "Verified on every run (row count and exact sum of `amount numeric(18,4)` against PostgreSQL's `sum(amount)`); the typical run of each:",
        "",
        ...s.variants.map((v) => `- ${v.name}: ${v.typical.verified}`),
        "",
      );
    }
    if (x.peerErrors.length > 0) lines.push(...x.peerErrors.map((e) => `- ${e}`), "");
    return lines;
  },
});
