/**
 * Idempotent DDL is race-safe on never-used names (issue: the demo's first run died with
 * `ALREADY_EXISTS: Schema already exists: 'etl_staging'` when daily_etl's three loads started at
 * once on a fresh stack). Every name here carries a fresh tag, so each run meets schemas and
 * tables that have never existed, as a fresh machine does.
 */
import {
  type EnvironmentPlan,
  ensureSchema,
  ensureTable,
  environmentPlan,
  extractPartition,
  Logger,
  loadPartition,
  objectExists,
  type PipelinePlan,
  readManifest,
  registerRunHistoryTable,
  runtimeObjects,
  STAGING_PREFIX,
  stagedFromManifest,
} from "@etl/runtime";
import { plan as project01 } from "@etl/tenant-project_01";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dropPrivateSchema,
  dropTaggedSchemas,
  freshTag,
  loadPrivateSampleData,
  s3Storage,
  stack,
  trinoClient,
} from "./fresh.js";

const TAG = freshTag();
const TENANT = "project_01";
const SOURCE_SCHEMA = `${TAG}_src`;
const BASE_PATH = `first-run-it/${TAG}/project_id=${TENANT}`;
const trino = trinoClient();
const storage = s3Storage(BASE_PATH);
const quiet = new Logger({}, { write: () => {}, isTTY: false }, "error");
const LOADS = 8;

/** A plan whose runtime objects all carry the tag: this run's never-used staging schema. */
const envPlan: Pick<EnvironmentPlan, "runtimeObjects"> = {
  runtimeObjects: {
    staging: { catalog: "hive", schema: `${TAG}_staging` },
    runHistory: { catalog: "hive", schema: `${TAG}_ops`, table: `${TENANT}_runs` },
  },
};
const objects = runtimeObjects(TENANT, envPlan);

function itemMaster(): PipelinePlan {
  const pipeline = environmentPlan(project01, "dev").pipelines.find(
    (p) => p.name === "cfg_item_master",
  );
  if (pipeline === undefined) throw new Error("project_01's plan has no cfg_item_master pipeline");
  return structuredClone(pipeline);
}

beforeAll(async () => {
  await loadPrivateSampleData(TENANT, SOURCE_SCHEMA, { tenant: TENANT, rows: 200, days: 1 });
});

afterAll(async () => {
  await dropTaggedSchemas(trino, "iceberg", TAG);
  await dropTaggedSchemas(trino, "hive", TAG);
  await storage.deletePrefix("");
  await dropPrivateSchema(TENANT, SOURCE_SCHEMA);
});

describe("idempotent DDL on never-used names", () => {
  it("8 ensureSchema/ensureTable at once succeed in the Hive and Iceberg catalogs", async () => {
    const hive = { catalog: "hive", schema: `${TAG}_h`, table: "t" };
    const iceberg = { catalog: "iceberg", schema: `${TAG}_i`, table: "t" };
    const all = <T>(make: () => Promise<T>) =>
      Promise.allSettled(Array.from({ length: LOADS }, make));
    const outcomes = [
      ...(await all(() => ensureSchema(trino, hive))),
      ...(await all(() => ensureSchema(trino, iceberg))),
      ...(await all(() =>
        ensureTable(
          trino,
          hive,
          `(a varchar) WITH (external_location = 's3://${stack.S3_BUCKET_NAME}/${BASE_PATH}/hive-t/', format = 'PARQUET')`,
        ),
      )),
      ...(await all(() => ensureTable(trino, iceberg, "(a varchar)"))),
    ];
    const failed = outcomes.flatMap((o) => (o.status === "rejected" ? [String(o.reason)] : []));
    expect(failed).toEqual([]);
    for (const ref of [hive, iceberg]) {
      expect(await objectExists(trino, ref)).toBe(true);
    }
  });

  it(`${LOADS} loads and two run history writers started at once on never-used schemas all succeed`, async () => {
    const pipeline = itemMaster();
    const extracted = await extractPartition({
      source: {
        host: stack.PGHOST,
        port: stack.PGPORT,
        database: TENANT,
        user: stack.PGUSER,
        password: stack.PGPASSWORD,
        schema: SOURCE_SCHEMA,
      },
      pipeline,
      partition: null,
      timeZone: "Asia/Seoul",
      storage,
      tenantId: TENANT,
      runId: `${TAG}-extract`,
      logger: quiet,
    });
    const manifest = await readManifest(storage, "extract", pipeline.name, null);
    if (manifest === null) throw new Error("the extract committed no manifest");
    const staged = stagedFromManifest(pipeline, manifest);
    const out = pipeline.trinoOutput;
    if (out === null) throw new Error("cfg_item_master has no trino_output");
    // Two never-used target schemas, a never-used table per load, one never-used staging schema.
    const loads = Array.from({ length: LOADS }, (_, i) =>
      loadPartition({
        client: trino,
        tenantId: TENANT,
        pipeline: {
          ...pipeline,
          trinoOutput: { ...out, schema: `${TAG}_target_${i % 2}`, table: `items_${i}` },
        },
        catalog: "iceberg",
        staged,
        partition: null,
        staging: objects.staging,
        logger: quiet,
        runId: `${TAG}-load-${i}`,
      }),
    );
    const location = storage.uri("_runs/");
    const writers = [0, 1].map(() => registerRunHistoryTable(trino, objects.runHistory, location));
    const outcomes = await Promise.allSettled([...loads, ...writers]);
    const failed = outcomes.flatMap((o) => (o.status === "rejected" ? [String(o.reason)] : []));
    expect(failed).toEqual([]);

    for (let i = 0; i < LOADS; i++) {
      const rows = await trino.rows(
        `SELECT count(*) AS n FROM iceberg."${TAG}_target_${i % 2}"."items_${i}"`,
      );
      expect(Number(rows[0]?.n), `items_${i}`).toBe(extracted.rowCount);
    }
    expect(extracted.rowCount).toBeGreaterThan(0);
    const left = await trino.rows(
      `SELECT table_name FROM hive.information_schema.tables WHERE table_schema = '${objects.staging.schema}' AND table_name LIKE '${STAGING_PREFIX}%'`,
    );
    expect(left).toEqual([]);
    expect(await objectExists(trino, objects.runHistory)).toBe(true);
  });
});
