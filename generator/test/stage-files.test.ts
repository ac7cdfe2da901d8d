/**
 * save_to_s3: false keeps a pipeline's stage files only in the run's scratch space; what would
 * read them through Trino (a load, checks, dbt) or trust them later (an incremental watermark) is
 * refused, each with the file, the line of the save_to_s3 that says so and a fix.
 */
import path from "node:path";
import type { AssetPlan, PipelinePlan } from "@etl/runtime/plan";
import { describe, expect, it } from "vitest";
import { generate } from "../src/generate.js";
import { stageFileProblems } from "../src/model/stage-files.js";
import { formatProblems } from "../src/problems.js";

const FIXTURE = path.join(import.meta.dirname, "fixtures", "save-to-s3");

function pipeline(over: Partial<PipelinePlan> & { name: string }): PipelinePlan {
  return {
    sourceTable: over.name,
    query: null,
    dateColumn: null,
    incremental: null,
    saveToS3: false,
    hasTransfer: false,
    transfer: null,
    hasDbtTransform: false,
    dbtTransform: null,
    saveToTrino: false,
    trinoOutput: null,
    columns: null,
    schemaHash: null,
    checks: [],
    extract: { compression: "zstd", rowGroupRows: 1, maxFileRows: 1 },
    ...over,
  };
}

describe("save_to_s3: false", () => {
  it("is refused where Trino or dbt must read the files, with file, line and fix", () => {
    const result = generate({ root: FIXTURE });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(formatProblems(result.problems)).toMatchInlineSnapshot(`
      "tenants/acme/config.yaml:17:21 tenant.assets.pipelines.lot_history.save_to_s3: pipeline "lot_history" has save_to_s3: false and save_to_trino: true, but the load reads the staged Parquet through Trino, which reads it from S3 (save_to_s3: false keeps the files only on the machine of the run) (in dev, staging, prod)
          fix: set save_to_s3: true (or save_to_trino: false) for this environment
      tenants/acme/config.yaml:29:25 tenant.assets.pipelines.items.environments.dev.save_to_s3: pipeline "items" has save_to_s3: false and checks, but checks run on Trino over the pipeline's files on S3 (in dev)
          fix: set save_to_s3: true for this environment, or remove the checks
      tenants/acme/config.yaml:33:21 tenant.assets.pipelines.events.save_to_s3: pipeline "events" has save_to_s3: false and is incremental: its watermark would advance over rows that no stage keeps (in dev, staging, prod)
          fix: set save_to_s3: true for this environment, or remove incremental:

      3 problems found; nothing was written.
      "
    `);
  });

  it("is refused for a pipeline whose extract a dbt model reads", () => {
    const dbtAsset: AssetPlan = {
      key: "acme/dbt/stg_items",
      stage: "dbt",
      pipeline: null,
      deps: ["acme/extract/items"],
      partitioned: false,
      description: "",
      dbt: {
        uniqueId: "model.acme.stg_items",
        name: "stg_items",
        resourceType: "model",
        packageName: "acme",
        selector: "stg_items",
        tests: [],
      },
    };
    const problems = stageFileProblems("acme", "dev", [pipeline({ name: "items" })], [dbtAsset]);
    expect(problems.map((p) => [p.rule, p.message])).toEqual([
      [
        "dbt",
        'pipeline "items" has save_to_s3: false, but dbt model(s) stg_items read its extract through Trino from S3',
      ],
    ]);
    expect(
      stageFileProblems("acme", "dev", [pipeline({ name: "items", saveToS3: true })], [dbtAsset]),
    ).toEqual([]);
  });
});
