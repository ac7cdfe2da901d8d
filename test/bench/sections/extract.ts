/** `--only extract`: the COPY floor, our extract to local Parquet and to S3, and the peer. */
import { S3Storage } from "@etl/runtime";
import { z } from "zod";
import { mib, ratio, round } from "../lib/context.js";
import {
  runFloor,
  runOurs,
  s3Settings,
  type ToolResult,
  ToolResultSchema,
} from "../lib/extract-runs.js";
import { peerPython, runPeer } from "../lib/peer.js";
import { defineSection } from "../lib/section.js";
import { DATABASE, ensureTable } from "../lib/source-table.js";

export const ExtractResultsSchema = z.object({
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
});
export type ExtractResults = z.infer<typeof ExtractResultsSchema>;

const MiB = 1024 * 1024;
const fmt = (n: number) => n.toLocaleString("en-US");
const mark = (ok: boolean) => (ok ? "met" : "NOT met");

export const extractSection = defineSection<ExtractResults>({
  name: "extract",
  options: {
    rows: { type: "string", description: "rows of the extract table (default 2,000,000)" },
    "no-peer": { type: "boolean", description: "skip the dlt peer" },
  },
  schema: ExtractResultsSchema,
  async run(ctx) {
    const rows = ctx.int("rows", 2_000_000, 200_000);
    const table = `lot_history_${rows}`;
    const truth = await ensureTable(ctx, table, rows, false);
    ctx.log(`extract: ${truth.rows} rows, ${mib(truth.copyBytes)} MiB of binary COPY`);
    const floor = await runFloor(ctx, table, truth);
    ctx.log(`  floor ${floor.seconds} s`);
    const local = (await runOurs(ctx, truth, { storage: "local", table })).result;
    ctx.log(`  ours local ${local.seconds} s`);
    const basePath = `bench/${ctx.stamp}/extract`;
    const s3 = (await runOurs(ctx, truth, { storage: "s3", table, basePath })).result;
    await new S3Storage(s3Settings(ctx.env, basePath)).deletePrefix("");
    ctx.log(`  ours s3 ${s3.seconds} s`);
    const tools: ToolResult[] = [floor, local, s3];
    const peers: ToolResult[] = [];
    const peerErrors: string[] = [];
    if (!ctx.flag("no-peer")) {
      const { python, connectorx } = peerPython(ctx);
      peers.push(await runPeer(ctx, python, "pyarrow", table, truth));
      ctx.log(`  peer pyarrow ${peers[0]?.seconds} s`);
      if (connectorx === null) {
        try {
          peers.push(await runPeer(ctx, python, "connectorx", table, truth));
          ctx.log(`  peer connectorx ${peers[1]?.seconds} s`);
        } catch (error) {
          // The connectorx variant is optional: its failure is reported, the run goes on.
          peerErrors.push(`dlt with connectorx failed: ${(error as Error).message.slice(0, 600)}`);
        }
      } else {
        peerErrors.push(`connectorx did not install: ${connectorx.slice(0, 600)}`);
      }
    }
    tools.push(...peers);
    const pyarrowPeer = peers[0];
    return {
      table: `${DATABASE}.public.${table}`,
      rows: truth.rows,
      copyBytes: truth.copyBytes,
      amountSum: truth.sum,
      tools,
      ratios: {
        oursLocalOverFloor: ratio(local.seconds, floor.seconds),
        oursS3OverFloor: ratio(s3.seconds, floor.seconds),
        oursLocalOverPeer:
          pyarrowPeer === undefined ? null : ratio(local.seconds, pyarrowPeer.seconds),
        oursLocalOverPeerWall:
          pyarrowPeer === undefined ? null : ratio(local.wallSeconds, pyarrowPeer.wallSeconds),
        oursLocalOverBestPeer:
          peers.length === 0
            ? null
            : ratio(local.seconds, Math.min(...peers.map((p) => p.seconds))),
      },
      peerErrors,
    };
  },
  targets(x) {
    const out = [
      `extract to local Parquet <= 1.5x the COPY floor: ${x.ratios.oursLocalOverFloor}x (${mark(x.ratios.oursLocalOverFloor <= 1.5)})`,
    ];
    if (x.ratios.oursLocalOverPeer !== null) {
      out.push(
        `extract faster than the peer (dlt, pyarrow): ours/peer ${x.ratios.oursLocalOverPeer}x (${mark(x.ratios.oursLocalOverPeer < 1)})`,
      );
    }
    return out;
  },
  markdown(x) {
    const floor = x.tools[0];
    return [
      `## Extract: ${fmt(x.rows)} rows of \`${x.table}\` (${(x.copyBytes / MiB).toFixed(1)} MiB of binary COPY)`,
      "",
      "Seconds are each tool's own time for the work (psql: wall time); MB/s is the binary COPY size of the same rows over that time. Peak RSS is the whole process tree.",
      "",
      "| tool | seconds | wall s | x floor | rows/s | MB/s | peak RSS MiB | output MiB |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
      ...x.tools.map(
        (t) =>
          `| ${t.tool} | ${t.seconds} | ${t.wallSeconds} | ${floor === undefined ? "" : round(t.seconds / floor.seconds).toFixed(2)} | ${fmt(t.rowsPerSecond)} | ${t.mbPerSecond} | ${t.peakRssMiB} | ${t.outputBytes === null ? "-" : (t.outputBytes / MiB).toFixed(1)} |`,
      ),
      "",
      `Ratios (time): ours local / floor ${x.ratios.oursLocalOverFloor}, ours S3 / floor ${x.ratios.oursS3OverFloor}, ours local / peer (pyarrow) ${x.ratios.oursLocalOverPeer ?? "-"} (wall clock incl. start-up ${x.ratios.oursLocalOverPeerWall ?? "-"}), ours local / fastest peer ${x.ratios.oursLocalOverBestPeer ?? "-"}.`,
      "",
      "Verified before reporting (row count and exact sum of `amount numeric(18,4)` against PostgreSQL's `sum(amount)`):",
      "",
      ...x.tools.map((t) => `- ${t.verified}`),
      ...x.peerErrors.map((e) => `- ${e}`),
      "",
    ];
  },
});
