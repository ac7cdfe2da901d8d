/** The hardening plan's command line as a child process (killed, raced and watched by the tests). */
import { runCli } from "@etl/runtime";
import { transforms } from "@etl/tenant-project_01";
import { hardeningPlan } from "./plan.js";

process.exitCode = await runCli({
  plan: hardeningPlan(process.env.HARDENING_BASE_PATH),
  transforms,
  argv: process.argv.slice(2),
});
