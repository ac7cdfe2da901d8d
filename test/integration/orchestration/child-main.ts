/** The test plan's command line, spawned as a child process (the kill test SIGKILLs it). */
import { runCli } from "@etl/runtime";
import { transforms } from "@etl/tenant-project_01";
import { orchestrationPlan } from "./stack-plan.js";

process.exitCode = await runCli({
  plan: orchestrationPlan(),
  transforms,
  argv: process.argv.slice(2),
});
