/**
 * One tenant's command line for the isolation suite, as a child process:
 * `isolation-main.ts <project_01|project_02> <runCli arguments...>`.
 */
import { runCli } from "@etl/runtime";
import { transforms as transforms01 } from "@etl/tenant-project_01";
import { transforms as transforms02 } from "@etl/tenant-project_02";
import { isolationPlan, TENANTS } from "./isolation-plan.js";

const [tenantArg, ...argv] = process.argv.slice(2);
const tenant = TENANTS.find((t) => t === tenantArg);
if (tenant === undefined) {
  process.stderr.write(`usage: isolation-main.ts <${TENANTS.join("|")}> <command...>\n`);
  process.exitCode = 2;
} else {
  process.exitCode = await runCli({
    plan: isolationPlan(tenant),
    transforms: tenant === "project_01" ? transforms01 : transforms02,
    argv,
  });
}
