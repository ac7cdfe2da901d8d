/** The worker test plan's command line, spawned as a child process (the test SIGKILLs one). */
import { runCli } from "@etl/runtime";
import { transforms } from "@etl/tenant-project_01";
import { workersPlan } from "./workers-plan.js";

process.exitCode = await runCli({
  plan: workersPlan(process.env.BACKFILL_IT_RUN ?? "default"),
  transforms,
  argv: process.argv.slice(2),
});
