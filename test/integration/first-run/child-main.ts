/** project_01's entrypoint over the first-run plan of the tag in ETL_TEST_FIRST_RUN_TAG. */
import { runCli } from "@etl/runtime";
import { transforms } from "@etl/tenant-project_01";
import { firstRunPlan } from "./first-run-plan.js";

const tag = process.env.ETL_TEST_FIRST_RUN_TAG;
if (tag === undefined || tag === "") {
  throw new Error("ETL_TEST_FIRST_RUN_TAG must name the test run's tag");
}
process.exitCode = await runCli({
  plan: firstRunPlan(tag),
  transforms,
  argv: process.argv.slice(2),
});
