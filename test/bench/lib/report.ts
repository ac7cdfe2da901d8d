/** The benchmark's results model, its Markdown rendering and the stdout summary. */
import { z } from "zod";
import { ConsoleResultsSchema, consoleMarkdown, consoleTargetLines } from "../console-bench.js";

export const ToolResultSchema = z.object({
  tool: z.string(),
  rows: z.number().int(),
  /** The tool's own time for the work (ours: connect to commit; dlt: pipeline.run; psql: wall). */
  seconds: z.number(),
  /** Wall time of the whole process, start-up included. */
  wallSeconds: z.number(),
  rowsPerSecond: z.number(),
  /** Binary COPY bytes of the same rows per second of `seconds` (one yardstick for every tool). */
  mbPerSecond: z.number(),
  peakRssMiB: z.number(),
  peakProcesses: z.number().int(),
  outputBytes: z.number().int().nullable(),
  verified: z.string(),
});
export type ToolResult = z.infer<typeof ToolResultSchema>;

export const ResultsSchema = z.object({
  command: z.string(),
  date: z.string(),
  options: z.object({
    rows: z.number().int(),
    bigRows: z.number().int(),
    loadRows: z.number().int(),
    tenants: z.number().int(),
    quick: z.boolean(),
    only: z.array(z.string()),
  }),
  machine: z.object({
    cpu: z.string(),
    cores: z.number().int(),
    memoryGiB: z.number(),
    os: z.string(),
    node: z.string(),
    postgres: z.string(),
    loadAverageAtStart: z.array(z.number()),
    loadAverageAtEnd: z.array(z.number()),
  }),
  extract: z
    .object({
      table: z.string(),
      rows: z.number().int(),
      copyBytes: z.number().int(),
      amountSum: z.string(),
      tools: z.array(ToolResultSchema),
      ratios: z.object({
        oursLocalOverFloor: z.number(),
        oursS3OverFloor: z.number(),
        oursLocalOverPeer: z.number().nullable(),
        oursLocalOverPeerWall: z.number().nullable(),
        oursLocalOverBestPeer: z.number().nullable(),
      }),
      peerErrors: z.array(z.string()),
    })
    .nullable(),
  memory: z
    .object({
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
    })
    .nullable(),
  generate: z
    .object({
      corpus: z.object({
        tenants: z.number().int(),
        pipelines: z.number().int(),
        models: z.number().int(),
        filesWritten: z.number().int(),
      }),
      /** Whether `npm run generate` ran the built JS or the TypeScript sources (stale build). */
      generatorFrom: z.enum(["dist", "source"]),
      /** Worker threads besides the main thread for the full corpus. */
      workerThreads: z.number().int(),
      runs: z.array(
        z.object({
          what: z.string(),
          seconds: z.number(),
          overStartup: z.number(),
          peakRssMiB: z.number(),
        }),
      ),
    })
    .nullable(),
  load: z
    .object({
      rows: z.number().int(),
      partition: z.string(),
      ours: z.object({ seconds: z.number(), rowsStaged: z.number().int(), verified: z.string() }),
      ctas: z.object({ seconds: z.number(), verified: z.string() }),
      oursOverCtas: z.number(),
    })
    .nullable(),
  /** Absent in results written before the console section existed. */
  console: ConsoleResultsSchema.nullable().default(null),
  totalSeconds: z.number(),
});
export type Results = z.infer<typeof ResultsSchema>;

const MiB = 1024 * 1024;
const fmt = (n: number) => n.toLocaleString("en-US");
const mark = (ok: boolean) => (ok ? "met" : "NOT met");

/** Where we stand against the targets (reported, never asserted). */
export function targetLines(r: Results): string[] {
  const out: string[] = [];
  if (r.extract !== null) {
    const x = r.extract.ratios;
    out.push(
      `extract to local Parquet <= 1.5x the COPY floor: ${x.oursLocalOverFloor}x (${mark(x.oursLocalOverFloor <= 1.5)})`,
    );
    if (x.oursLocalOverPeer !== null) {
      out.push(
        `extract faster than the peer (dlt, pyarrow): ours/peer ${x.oursLocalOverPeer}x (${mark(x.oursLocalOverPeer < 1)})`,
      );
    }
  }
  if (r.memory !== null) {
    const big = r.memory.points[r.memory.points.length - 1];
    if (big !== undefined) {
      out.push(
        `peak RSS < 512 MiB at 10,000,000 rows: ${big.peakRssMiB} MiB at ${fmt(big.rows)} rows (${big.rows >= 10_000_000 ? mark(big.peakRssMiB < 512) : "not measured at 10M"}); largest/base ${r.memory.bigOverBase}x`,
      );
    }
  }
  if (r.generate !== null) {
    const all = r.generate.runs[1];
    const one = r.generate.runs[3];
    if (all !== undefined) {
      const full = r.generate.corpus.tenants >= 100;
      out.push(
        `generate 100 tenants < 10 s: ${all.seconds} s for ${r.generate.corpus.tenants} tenants (${full ? mark(all.seconds < 10) : "not measured at 100 tenants"})`,
      );
    }
    if (one !== undefined) {
      out.push(`generate one tenant < 1 s: ${one.seconds} s (${mark(one.seconds < 1)})`);
    }
  }
  if (r.load !== null) {
    out.push(
      `load <= 1.5x Trino's CTAS: ${r.load.oursOverCtas}x (${mark(r.load.oursOverCtas <= 1.5)})`,
    );
  }
  if (r.console !== null) out.push(...consoleTargetLines(r.console));
  return out;
}

/** The Markdown report (test/bench/results/latest.md). */
export function renderMarkdown(r: Results): string {
  const lines: string[] = [
    "# Benchmark results",
    "",
    `Command: \`${r.command}\` — ${r.date}, total ${r.totalSeconds} s.`,
    "",
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.os}, Node ${r.machine.node}, PostgreSQL ${r.machine.postgres}; load average ${r.machine.loadAverageAtStart.join(" / ")} at start, ${r.machine.loadAverageAtEnd.join(" / ")} at end (shared machine).`,
    "",
    "## Targets",
    "",
    ...targetLines(r).map((l) => `- ${l}`),
    "",
  ];
  if (r.extract !== null) {
    const x = r.extract;
    const floor = x.tools[0];
    lines.push(
      `## Extract: ${fmt(x.rows)} rows of \`${x.table}\` (${(x.copyBytes / MiB).toFixed(1)} MiB of binary COPY)`,
      "",
      "Seconds are each tool's own time for the work (psql: wall time); MB/s is the binary COPY size of the same rows over that time. Peak RSS is the whole process tree.",
      "",
      "| tool | seconds | wall s | x floor | rows/s | MB/s | peak RSS MiB | output MiB |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const t of x.tools) {
      lines.push(
        `| ${t.tool} | ${t.seconds} | ${t.wallSeconds} | ${floor === undefined ? "" : (t.seconds / floor.seconds).toFixed(2)} | ${fmt(t.rowsPerSecond)} | ${t.mbPerSecond} | ${t.peakRssMiB} | ${t.outputBytes === null ? "-" : (t.outputBytes / MiB).toFixed(1)} |`,
      );
    }
    lines.push(
      "",
      `Ratios (time): ours local / floor ${x.ratios.oursLocalOverFloor}, ours S3 / floor ${x.ratios.oursS3OverFloor}, ours local / peer (pyarrow) ${x.ratios.oursLocalOverPeer ?? "-"} (wall clock incl. start-up ${x.ratios.oursLocalOverPeerWall ?? "-"}), ours local / fastest peer ${x.ratios.oursLocalOverBestPeer ?? "-"}.`,
      "",
      "Verified before reporting (row count and exact sum of `amount numeric(18,4)` against PostgreSQL's `sum(amount)`):",
      "",
      ...x.tools.map((t) => `- ${t.verified}`),
      ...x.peerErrors.map((e) => `- ${e}`),
      "",
    );
  }
  if (r.memory !== null) {
    lines.push(
      "## Memory at scale (our extract to local Parquet)",
      "",
      "| rows | peak RSS MiB (process tree) | seconds | rows/s |",
      "|---:|---:|---:|---:|",
      ...r.memory.points.map(
        (p) => `| ${fmt(p.rows)} | ${p.peakRssMiB} | ${p.seconds} | ${fmt(p.rowsPerSecond)} |`,
      ),
      "",
      `Peak RSS ratio, largest / base: ${r.memory.bigOverBase}.`,
      "",
      ...r.memory.points.map((p) => `- ${p.verified}`),
      "",
    );
  }
  if (r.generate !== null) {
    const c = r.generate.corpus;
    lines.push(
      `## Generation: ${c.tenants} tenants x ${c.pipelines} pipelines + ${c.models}-model dbt manifest each (${fmt(c.filesWritten)} files written)`,
      "",
      `The generator ran from ${r.generate.generatorFrom === "dist" ? "its built dist/" : "its TypeScript sources (dist/ was stale)"}, with ${r.generate.workerThreads} worker thread(s) besides the main thread for the full corpus.`,
      "",
      "| run | seconds | x start-up | peak RSS MiB |",
      "|---|---:|---:|---:|",
      ...r.generate.runs.map(
        (g) => `| ${g.what} | ${g.seconds} | ${g.overStartup} | ${g.peakRssMiB} |`,
      ),
      "",
    );
  }
  if (r.load !== null) {
    const l = r.load;
    lines.push(
      `## Load: one partition (${l.partition}) of ${fmt(l.rows)} rows from S3 Parquet into Iceberg`,
      "",
      "| path | seconds |",
      "|---|---:|",
      `| ours: loadCommitted (Hive staging + one MERGE, replace_partition, new table) | ${l.ours.seconds} |`,
      `| floor: Trino CREATE TABLE AS SELECT over a Hive external table on the same files | ${l.ctas.seconds} |`,
      "",
      `Ratio ours / CTAS: ${l.oursOverCtas}.`,
      "",
      `- ${l.ours.verified}`,
      `- ${l.ctas.verified}`,
      "",
    );
  }
  if (r.console !== null) lines.push(...consoleMarkdown(r.console));
  return `${lines.join("\n")}`;
}

/** A few lines for stdout. */
export function summaryLines(r: Results): string[] {
  return [`bench done in ${r.totalSeconds} s (${r.command})`, ...targetLines(r)];
}
