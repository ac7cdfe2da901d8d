/** `--only load`: one partition from S3 Parquet into Iceberg, ours against Trino's own CTAS. */
import {
  createStagingTable,
  DEFAULT_STAGING_CATALOG,
  DEFAULT_STAGING_SCHEMA,
  dropStagingTable,
  ensureStagingSchema,
  Logger,
  loadCommitted,
  type PipelinePlan,
  readManifest,
  S3Storage,
  stagedExpr,
  stagedFromManifest,
  TrinoClient,
} from "@etl/runtime";
import { z } from "zod";
import { ratio, round } from "../lib/context.js";
import { runOurs, s3Settings } from "../lib/extract-runs.js";
import { interleave, ratioText, type VariantSamples } from "../lib/interleave.js";
import { defineSection } from "../lib/section.js";
import { ensureTable, SCALE } from "../lib/source-table.js";
import { assertMatches } from "../lib/verify.js";

const VariantSchema = z.object({
  median: z.number(),
  min: z.number(),
  max: z.number(),
  spread: z.number(),
  samples: z.array(z.number()),
  verified: z.string(),
});

export const LoadResultsSchema = z.object({
  rows: z.number().int(),
  partition: z.string(),
  runs: z.number().int(),
  rowsStaged: z.number().int(),
  ours: VariantSchema,
  /** Ours again into the existing table, replacing the partition it holds (the MERGE path). */
  reload: VariantSchema,
  ctas: VariantSchema,
  oursOverCtas: z.number(),
  reloadOverCtas: z.number(),
  text: z.string(),
  reloadText: z.string(),
  loadBefore: z.number(),
  loadAfter: z.number(),
});
export type LoadResults = z.infer<typeof LoadResultsSchema>;

const fmt = (n: number) => n.toLocaleString("en-US");
const mark = (ok: boolean) => (ok ? "met" : "NOT met");

export const loadSection = defineSection<LoadResults>({
  name: "load",
  options: {
    "load-rows": {
      type: "string",
      description: "rows of the loaded partition (default 1,000,000)",
    },
    "load-runs": {
      type: "string",
      description: "interleaved runs of ours and the CTAS (default 5)",
    },
  },
  schema: LoadResultsSchema,
  async run(ctx) {
    const loadRows = ctx.int("load-rows", 1_000_000, 200_000);
    const runs = ctx.int("load-runs", 5, 3);
    const { env, stamp } = ctx;
    const table = `lot_history_day_${loadRows}`;
    const truth = await ensureTable(ctx, table, loadRows, true);
    const basePath = `bench/${stamp}/load`;
    const partition = "2024-01-01";
    const extracted = await runOurs(ctx, truth, { storage: "s3", table, partition, basePath });
    ctx.log(`load: extracted ${truth.rows} rows to ${extracted.location}`);
    const storage = new S3Storage(s3Settings(env, basePath));
    const client = TrinoClient.create({
      host: env.TRINO_HOST ?? "127.0.0.1",
      port: Number(env.TRINO_PORT ?? 58080),
      user: env.TRINO_USER ?? "etl",
      password: null,
      scheme: "http",
    });
    const schema = "bench_load";
    const oursTable = (round: number) => `ours_${stamp}_${round}`;
    const ctasTable = (round: number) => `ctas_${stamp}_${round}`;
    const stagingTable = `etl_stg_bench_ctas_${stamp}`;
    const place = { catalog: DEFAULT_STAGING_CATALOG, schema: DEFAULT_STAGING_SCHEMA };
    const out: NonNullable<PipelinePlan["trinoOutput"]> = {
      catalog: "iceberg",
      schema,
      table: oursTable(0),
      keyColumns: [],
      writeMode: "replace_partition",
      tenantColumn: "project_id",
    };
    const plan: PipelinePlan = {
      name: "lot_history",
      sourceTable: table,
      query: null,
      dateColumn: "created_at",
      incremental: null,
      saveToS3: true,
      hasTransfer: false,
      transfer: null,
      hasDbtTransform: false,
      dbtTransform: null,
      saveToTrino: true,
      trinoOutput: out,
      columns: null,
      schemaHash: null,
      checks: [],
      extract: { compression: "zstd", rowGroupRows: 131_072, maxFileRows: 5_000_000 },
    };
    const verify = async (what: string, name: string) => {
      const rows = await client.rows(
        `SELECT CAST(count(*) AS varchar) AS n, CAST(sum(amount) AS varchar) AS s FROM iceberg.${schema}.${name}`,
      );
      const r = z.object({ n: z.string(), s: z.string() }).parse(rows[0]);
      return assertMatches(what, truth, { rows: Number(r.n), sum: r.s }, SCALE);
    };
    // Trino's floor reads the same files through a Hive external table, created once.
    const manifest = await readManifest(storage, "extract", plan.name, partition);
    if (manifest === null) throw new Error("the load benchmark's extract has no manifest");
    const staged = stagedFromManifest(plan, manifest);
    await ensureStagingSchema(client, place);
    const stagingName = await createStagingTable(
      client,
      place,
      stagingTable,
      staged.columns.map((c) => ({ name: c.name.toLowerCase(), type: c.type })),
      staged.location,
    );
    const select = staged.columns
      .map((c) => `${stagedExpr(`"${c.name.toLowerCase()}"`, c.type)} AS "${c.name.toLowerCase()}"`)
      .join(", ");
    const verified = { ours: "", reload: "", ctas: "" };
    const reloadTable = `reload_${stamp}`;
    const loadInto = (table: string) =>
      loadCommitted({
        client,
        storage,
        tenantId: "bench",
        pipeline: { ...plan, trinoOutput: { ...out, table } },
        catalog: "iceberg",
        partition,
        timeZone: "UTC",
        logger: new Logger({}, undefined, "warn"),
      });
    // The table the "reload" rounds replace the partition of (created once, not measured).
    await loadInto(reloadTable);
    let rowsStaged = 0;
    const drop = (name: string) => client.execute(`DROP TABLE IF EXISTS iceberg.${schema}.${name}`);
    try {
      // Each round loads into a new table on both sides (ours: loadCommitted's replace_partition
      // creating its target; the floor: one CTAS), verifies it, and drops it.
      const summary = await interleave(
        [
          {
            name: "ours",
            measure: async (round) => {
              const pipeline: PipelinePlan = {
                ...plan,
                trinoOutput: { ...out, table: oursTable(round) },
              };
              const started = performance.now();
              const loaded = await loadCommitted({
                client,
                storage,
                tenantId: "bench",
                pipeline,
                catalog: "iceberg",
                partition,
                timeZone: "UTC",
                logger: new Logger({}, undefined, "warn"),
              });
              const seconds = (performance.now() - started) / 1000;
              rowsStaged = loaded.rowsStaged;
              verified.ours = await verify(
                "ours: loadCommitted (replace_partition)",
                oursTable(round),
              );
              await drop(oursTable(round));
              return seconds;
            },
          },
          {
            name: "ours, existing table",
            measure: async () => {
              const started = performance.now();
              await loadInto(reloadTable);
              const seconds = (performance.now() - started) / 1000;
              verified.reload = await verify(
                "ours: loadCommitted (replace_partition) of the partition the table holds",
                reloadTable,
              );
              return seconds;
            },
          },
          {
            name: "CTAS",
            measure: async (round) => {
              const started = performance.now();
              await client.execute(
                `CREATE TABLE iceberg.${schema}.${ctasTable(round)} WITH (format = 'PARQUET', partitioning = ARRAY['day(created_at)']) AS SELECT ${select}, 'bench' AS project_id FROM ${stagingName}`,
              );
              const seconds = (performance.now() - started) / 1000;
              verified.ctas = await verify(
                "Trino CTAS over a Hive external table",
                ctasTable(round),
              );
              await drop(ctasTable(round));
              return seconds;
            },
          },
        ],
        runs,
        (line) => ctx.log(`load:${line}`),
      );
      const [ours, reload, ctas] = summary.variants;
      if (ours === undefined || reload === undefined || ctas === undefined) {
        throw new Error("load: a variant is missing");
      }
      const variant = (v: VariantSamples, what: string) => ({
        median: round(v.median, 3),
        min: round(v.min, 3),
        max: round(v.max, 3),
        spread: round(v.spread, 3),
        samples: v.samples.map((x) => round(x, 3)),
        verified: what,
      });
      ctx.log(`load: ours / CTAS ${ratioText(ours, ctas)}`);
      return {
        rows: truth.rows,
        partition,
        runs,
        rowsStaged,
        ours: variant(ours, verified.ours),
        reload: variant(reload, verified.reload),
        ctas: variant(ctas, verified.ctas),
        oursOverCtas: ratio(ours.median, ctas.median),
        reloadOverCtas: ratio(reload.median, ctas.median),
        text: ratioText(ours, ctas),
        reloadText: ratioText(reload, ctas),
        loadBefore: round(summary.loadBefore),
        loadAfter: round(summary.loadAfter),
      };
    } finally {
      await dropStagingTable(client, place, stagingTable);
      await drop(reloadTable);
      for (let r = 0; r < runs; r++) {
        await drop(oursTable(r));
        await drop(ctasTable(r));
      }
      await storage.deletePrefix("");
    }
  },
  targets(l) {
    return [
      `load <= 1.25x Trino's CTAS at ${fmt(l.rows)} rows (into a new table): ${l.text}, ${l.runs} interleaved runs, load average ${l.loadBefore} -> ${l.loadAfter} (${mark(l.oursOverCtas <= 1.25)})`,
      `load <= 1.25x Trino's CTAS at ${fmt(l.rows)} rows (replacing the partition an existing table holds): ${l.reloadText} (${mark(l.reloadOverCtas <= 1.25)})`,
    ];
  },
  markdown(l) {
    const row = (what: string, v: LoadResults["ours"]) =>
      `| ${what} | ${v.median} | ${v.min} | ${v.max} | ±${Math.round((v.spread * 100) / 2)}% | ${v.samples.join(", ")} |`;
    return [
      `## Load: one partition (${l.partition}) of ${fmt(l.rows)} rows from S3 Parquet into Iceberg`,
      "",
      `${l.runs} interleaved runs (ours into a new table, ours into the existing table, CTAS, ...), verified; the new tables are dropped after each round; load average ${l.loadBefore} before, ${l.loadAfter} after.`,
      "",
      "| path | median s | min | max | spread | runs |",
      "|---|---:|---:|---:|---:|---|",
      row(
        "ours: loadCommitted into a new table (Hive staging + one CREATE TABLE AS, replace_partition)",
        l.ours,
      ),
      row(
        "ours: loadCommitted replacing the partition of the existing table (Hive staging + one MERGE)",
        l.reload,
      ),
      row(
        "floor: Trino CREATE TABLE AS SELECT over a Hive external table on the same files",
        l.ctas,
      ),
      "",
      `Ratio of medians ours / CTAS: new table ${l.text}; existing table ${l.reloadText}.`,
      "",
      `- ${l.ours.verified}`,
      `- ${l.reload.verified}`,
      `- ${l.ctas.verified}`,
      "",
    ];
  },
});
