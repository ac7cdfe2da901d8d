/**
 * project_01's generated plan with its loads sent to PER_ASSET_SCHEMA and its files under
 * PER_ASSET_BASE, as a command line: the per-asset test runs one process per asset with it.
 */
import { environmentPlan, runCli, sameEnvironments } from "@etl/runtime";
import { plan as generated, transforms } from "@etl/tenant-project_01";

const schema = process.env.PER_ASSET_SCHEMA;
const basePath = process.env.PER_ASSET_BASE;
if (schema === undefined || basePath === undefined) {
  throw new Error("per-asset-main needs PER_ASSET_SCHEMA and PER_ASSET_BASE");
}
const env = structuredClone(environmentPlan(generated, "dev"));
env.resources.storage.basePath = basePath;
for (const pipeline of env.pipelines) {
  if (pipeline.trinoOutput !== null) pipeline.trinoOutput = { ...pipeline.trinoOutput, schema };
}
const plan = { ...generated, ...sameEnvironments(env) };
process.exitCode = await runCli({ plan, transforms, argv: process.argv.slice(2) });
