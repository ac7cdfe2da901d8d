/**
 * The console with realistic contents, for the screenshots in docs/ and for looking at it:
 *
 *   npx tsx --conditions=source test/integration/console/showcase.ts [--out DIR] [--keep] [--port P]
 *
 * project_01 gets real runs on the stack (a daily job that succeeds, one that fails); acme is a
 * tenant of 20 daily assets over three years and 320 dbt models, its ledger filled through the
 * Ledger interface. Screenshots of every page go to --out (default docs/console/); --keep keeps
 * the console running afterwards (Ctrl-C stops it). It removes what it made when it ends.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { type CliIo, FileLedger, Logger, latestCompletePartition, runCli } from "@etl/runtime";
import { newToken, startConsole } from "@etl/runtime/console";
import { transforms } from "@etl/tenant-project_01";
import { repoRoot } from "../../src/paths.js";
import { readStackEnv, readStackVars, stackStorage, trinoQuery } from "../../src/stack-env.js";
import { openBrowser } from "./browser.js";
import { addDay, consolePlan, largePlan, seedLedger, TENANT } from "./plans.js";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: path.join(repoRoot, "docs/console") },
    keep: { type: "boolean", default: false },
    port: { type: "string", default: "0" },
  },
});
const log = (line: string) => process.stderr.write(`[showcase] ${line}\n`);
const stamp = `${Date.now().toString(36)}${process.pid}`;
// (A prefix without "etl": the stack's short test password is redacted wherever it is a word.)
const etlHome = await mkdtemp(path.join(tmpdir(), "console-showcase-"));
const operator = newToken("otto", "operator", "*");
const env = {
  ...process.env,
  ...readStackVars(),
  ETL_HOME: etlHome,
  ETL_ENVIRONMENT: "dev",
  ETL_CONSOLE_TOKENS: operator.line,
};
const basePath = `console-showcase/${stamp}/project_id=${TENANT}`;
const schema = `console_showcase_${stamp}`;
const project = consolePlan(basePath, schema);
const acme = largePlan({
  id: "acme",
  name: "Acme Retail",
  startDate: "2023-01-01",
  dbtModels: 320,
});

const quiet: CliIo = { out: () => {}, err: () => {}, isTTY: false };
async function cli(argv: string[]): Promise<void> {
  const code = await runCli({ plan: project, transforms, argv, env, io: quiet });
  log(`etl-${TENANT} ${argv.join(" ")}: exit ${code}`);
}

log(`ETL_HOME ${etlHome}`);
await cli(["run", "wip_pipeline", "--partition", "2026-01-02"]);
await cli(["run", "wip_pipeline", "--partition", "2026-01-03"]);
await cli(["run", "broken", "--partition", "2026-01-02"]);

const end = latestCompletePartition("UTC");
const acmeLedger = new FileLedger(etlHome, "acme");
const daily = await seedLedger(acmeLedger, acme, {
  from: addDay(end, -1094),
  to: end,
  failureRate: 0.025,
  gapRate: 0.01,
});
const models = await seedLedger(acmeLedger, acme, {
  from: addDay(end, -20),
  to: end,
  failureRate: 0.15,
  gapRate: 0,
  job: "dbt_build",
  seed: 5,
});
log(
  `acme: ${daily.runs + models.runs} runs, ${daily.materializations + models.materializations} materialisations`,
);

const controller = new AbortController();
const started = await startConsole({
  tenants: [
    { plan: project, transforms },
    { plan: acme, transforms: {} },
  ],
  env,
  host: "127.0.0.1",
  port: Number(values.port),
  logger: new Logger({ component: "console" }, { write: () => {}, isTTY: false }),
  io: quiet,
  signal: controller.signal,
});
if (!started.ok) throw new Error(started.errors.join("\n"));
const url = started.console.url.replace(/\/$/, "");
log(`console ${url}`);

const browser = await openBrowser({ width: 1440, height: 900 });
const page = await browser.context.newPage();
const problems: string[] = [];
page.on("console", (m) => {
  if (m.type() === "error" || m.type() === "warning") problems.push(m.text());
});
page.on("pageerror", (e) => problems.push(String(e)));
const runs = (await (
  await fetch(`${url}/api/v1/tenants/${TENANT}/runs`, {
    headers: { authorization: `Bearer ${operator.token}` },
  })
).json()) as { runs: { runId: string; status: string }[] };
await page.goto(`${url}/`);
await page.getByLabel("Token").waitFor();
await page.screenshot({ path: path.join(values.out, "login.png") });
await page.getByLabel("Token").fill(operator.token);
await page.getByRole("button", { name: "Sign in" }).click();
await page.locator(".tenant-card").first().waitFor();
const ok = runs.runs.find((r) => r.status === "succeeded")?.runId ?? "";
const failed = runs.runs.find((r) => r.status === "failed")?.runId ?? "";
const shots: [string, string, string][] = [
  ["tenants", "/", ".tenant-card"],
  ["overview", "/t/acme", ".tiles"],
  ["lineage", "/t/acme/lineage", ".node"],
  ["asset", "/t/acme/assets/load/orders", ".chart canvas"],
  ["partitions", "/t/acme/partitions", "canvas"],
  ["runs", `/t/${TENANT}/runs`, "table"],
  ["run", `/t/${TENANT}/runs/${ok}`, ".log-line"],
  ["run-failed", `/t/${TENANT}/runs/${failed}`, ".timeline-row"],
  ["overview-project_01", `/t/${TENANT}`, ".tiles"],
];
for (const [name, at, ready] of shots) {
  await page.goto(`${url}${at}`);
  await page.waitForSelector(ready);
  await page.waitForTimeout(400);
  await page.screenshot({
    path: path.join(values.out, `${name}.png`),
    fullPage: name !== "lineage",
  });
  log(`${name}.png`);
}
if (problems.length > 0) log(`browser problems: ${problems.join(" | ")}`);
await browser.close();
if (values.keep) {
  log("console kept running: Ctrl-C stops it");
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
}
controller.abort();
await started.console.close();
// Remove what this showcase made: its storage prefix, its Trino schema, its ETL_HOME.
const stack = readStackEnv();
await stackStorage(stack, basePath).deletePrefix("");
const tables = await trinoQuery(
  stack,
  `SELECT table_name FROM ${stack.TRINO_CATALOG}.information_schema.tables WHERE table_schema = '${schema}'`,
);
for (const [table] of tables) {
  await trinoQuery(
    stack,
    `DROP TABLE IF EXISTS ${stack.TRINO_CATALOG}.${schema}."${String(table)}"`,
  );
}
await trinoQuery(stack, `DROP SCHEMA IF EXISTS ${stack.TRINO_CATALOG}.${schema}`);
await rm(etlHome, { recursive: true, force: true });
