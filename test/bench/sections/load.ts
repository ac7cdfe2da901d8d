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
import { defineSection } from "../lib/section.js";
import { ensureTable, SCALE } from "../lib/source-table.js";
import { assertMatches } from "../lib/verify.js";

export const LoadResultsSchema = z.object({
  rows: z.number().int(),
  partition: z.string(),
  ours: z.object({ seconds: z.number(), rowsStaged: z.number().int(), verified: z.string() }),
  ctas: z.object({ seconds: z.number(), verified: z.string() }),
  oursOverCtas: z.number(),
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
  },
  schema: LoadResultsSchema,
  async run(ctx) {
    const loadRows = ctx.int("load-rows", 1_000_000, 200_000);
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
    const oursTable = `ours_${stamp}`;
    const ctasTable = `ctas_${stamp}`;
    const stagingTable = `etl_stg_bench_ctas_${stamp}`;
    const place = { catalog: DEFAULT_STAGING_CATALOG, schema: DEFAULT_STAGING_SCHEMA };
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
      trinoOutput: {
        catalog: "iceberg",
        schema,
        table: oursTable,
        keyColumns: [],
        writeMode: "replace_partition",
        tenantColumn: "project_id",
      },
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
    try {
      const startedOurs = performance.now();
      const loaded = await loadCommitted({
        client,
        storage,
        tenantId: "bench",
        pipeline: plan,
        catalog: "iceberg",
        partition,
        timeZone: "UTC",
        logger: new Logger({}, undefined, "warn"),
      });
      const oursSeconds = (performance.now() - startedOurs) / 1000;
      const oursVerified = await verify("ours: loadCommitted (replace_partition)", oursTable);
      ctx.log(`load: ours ${round(oursSeconds)} s`);

      // Trino's floor: a Hive external table over the same prefix, then one plain CTAS.
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
        .map(
          (c) => `${stagedExpr(`"${c.name.toLowerCase()}"`, c.type)} AS "${c.name.toLowerCase()}"`,
        )
        .join(", ");
      const startedCtas = performance.now();
      await client.execute(
        `CREATE TABLE iceberg.${schema}.${ctasTable} WITH (format = 'PARQUET', partitioning = ARRAY['day(created_at)']) AS SELECT ${select}, 'bench' AS project_id FROM ${stagingName}`,
      );
      const ctasSeconds = (performance.now() - startedCtas) / 1000;
      const ctasVerified = await verify("Trino CTAS over a Hive external table", ctasTable);
      ctx.log(`load: CTAS ${round(ctasSeconds)} s`);
      return {
        rows: truth.rows,
        partition,
        ours: {
          seconds: round(oursSeconds, 3),
          rowsStaged: loaded.rowsStaged,
          verified: oursVerified,
        },
        ctas: { seconds: round(ctasSeconds, 3), verified: ctasVerified },
        oursOverCtas: ratio(oursSeconds, ctasSeconds),
      };
    } finally {
      await dropStagingTable(client, place, stagingTable);
      await client.execute(`DROP TABLE IF EXISTS iceberg.${schema}.${oursTable}`);
      await client.execute(`DROP TABLE IF EXISTS iceberg.${schema}.${ctasTable}`);
      await storage.deletePrefix("");
    }
  },
  targets(l) {
    return [`load <= 1.5x Trino's CTAS: ${l.oursOverCtas}x (${mark(l.oursOverCtas <= 1.5)})`];
  },
  markdown(l) {
    return [
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
    ];
  },
});
