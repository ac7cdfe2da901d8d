/**
 * `--only console`: the console's partition-matrix API for 20 assets x 1,095
 * days and for one asset with 100,000 daily partitions, with the file ledger and the PostgreSQL
 * ledger, and page load to a usable page in headless Chromium. The ledgers are filled through
 * the Ledger interface, as runs fill them; every measured response is checked against what was
 * written before its time is reported.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { FileLedger, type Ledger, Logger, PostgresLedger, type TenantPlan } from "@etl/runtime";
import { type Matrix, startConsole } from "@etl/runtime/console";
import pg from "pg";
import { z } from "zod";
import { openBrowser } from "../../integration/console/browser.js";
import { addDay, largePlan, longPlan, seedLedger } from "../../integration/console/plans.js";
import { repoRoot } from "../../src/paths.js";
import { defineSection } from "../lib/section.js";

export const ConsoleResultsSchema = z.object({
  seeded: z.array(
    z.object({
      ledger: z.string(),
      tenant: z.string(),
      runs: z.number().int(),
      materializations: z.number().int(),
      seconds: z.number(),
    }),
  ),
  api: z.array(
    z.object({
      ledger: z.string(),
      what: z.string(),
      assets: z.number().int(),
      days: z.number().int(),
      bytes: z.number().int(),
      /** The first request after start (the file ledger builds its index then). */
      firstMs: z.number(),
      medianMs: z.number(),
      p95Ms: z.number(),
      verified: z.string(),
    }),
  ),
  pages: z.array(
    z.object({
      page: z.string(),
      /** Navigation start to the page's content drawn, as the browser measures it. */
      firstMs: z.number(),
      medianMs: z.number(),
    }),
  ),
});
export type ConsoleResults = z.infer<typeof ConsoleResultsSchema>;

const RUNS = 15;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const p95 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)] ?? 0;

interface Served {
  url: string;
  close: () => Promise<void>;
}

async function serve(tenants: TenantPlan[], env: NodeJS.ProcessEnv): Promise<Served> {
  const controller = new AbortController();
  const started = await startConsole({
    tenants: tenants.map((plan) => ({ plan, transforms: {} })),
    env,
    host: "127.0.0.1",
    port: 0,
    logger: new Logger({}, { write: () => {}, isTTY: false }),
    io: { out: () => {}, err: () => {}, isTTY: false },
    signal: controller.signal,
  });
  if (!started.ok) throw new Error(`console did not start: ${started.errors.join("; ")}`);
  return {
    url: started.console.url.replace(/\/$/, ""),
    close: async () => {
      controller.abort();
      await started.console.close();
    },
  };
}

async function timeMatrix(
  url: string,
  query: string,
  check: (m: Matrix) => string,
): Promise<{
  firstMs: number;
  medianMs: number;
  p95Ms: number;
  bytes: number;
  verified: string;
  rows: number;
  days: number;
}> {
  const times: number[] = [];
  let firstMs = 0;
  let bytes = 0;
  let last: Matrix | null = null;
  for (let i = 0; i <= RUNS; i += 1) {
    const t0 = performance.now();
    const response = await fetch(`${url}${query}`);
    const text = await response.text();
    const ms = performance.now() - t0;
    if (!response.ok) throw new Error(`${query}: HTTP ${response.status} ${text.slice(0, 300)}`);
    if (i === 0) firstMs = ms;
    else times.push(ms);
    bytes = text.length;
    last = JSON.parse(text) as Matrix;
  }
  if (last === null) throw new Error(`${query}: no answer`);
  return {
    firstMs: round(firstMs),
    medianMs: round(median(times)),
    p95Ms: round(p95(times)),
    bytes,
    verified: check(last),
    rows: last.rows.length,
    days: last.days,
  };
}

/** Counts of each code in every row, to compare with what was seeded. */
function tally(m: Matrix): { s: number; other: number } {
  let s = 0;
  let other = 0;
  for (const r of m.rows) {
    for (const c of r.statuses) {
      if (c === "s") s += 1;
      else if (c !== "-") other += 1;
    }
  }
  return { s, other };
}

/** Runs the console section; `env` is the stack's environment, `log` a progress line. */
async function benchConsole(
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<ConsoleResults> {
  const results: ConsoleResults = { seeded: [], api: [], pages: [] };
  // The page timings need a browser: install it first (as the test command does), so a fresh
  // machine fails or succeeds here rather than after minutes of seeding.
  execFileSync("bash", [path.join(repoRoot, "test/integration/console/ensure-chromium.sh")], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const end = addDay(new Date().toISOString().slice(0, 10), -1);
  const wide = largePlan({
    id: "bench_wide",
    name: "20 assets x 3 years",
    startDate: addDay(end, -1094),
    dbtModels: 320,
  });
  const long = longPlan("bench_long", addDay(end, -99_999));
  const stamp = `${Date.now().toString(36)}${process.pid}`;
  const home = await mkdtemp(path.join(tmpdir(), "console-bench-"));
  const admin = {
    host: env.PGHOST ?? "127.0.0.1",
    port: Number(env.PGPORT ?? 55432),
    user: env.PGUSER ?? "etl",
    password: env.PGPASSWORD ?? "etl",
  };
  const database = `console_bench_${stamp}`;
  const c = new pg.Client({ ...admin, database: "postgres" });
  await c.connect();
  await c.query(`CREATE DATABASE ${database}`);
  await c.end();
  const ledgerUrl = `postgres://${admin.user}:${admin.password}@${admin.host}:${admin.port}/${database}`;
  try {
    const seeds = [
      [wide, { from: addDay(end, -1094), to: end, failureRate: 0.02, gapRate: 0.01 }],
      [
        long,
        {
          from: addDay(end, -99_999),
          to: end,
          failureRate: 0.001,
          gapRate: 0.001,
          concurrency: 32,
          job: "sensors",
        },
      ],
    ] as const;
    // "postgres vacuumed": the same PostgreSQL ledger again after VACUUM ANALYZE, the state
    // autovacuum keeps a long-lived ledger in (a freshly bulk-seeded table has no statistics and
    // no visibility map, so its index-only scans visit the heap); both are reported.
    for (const kind of ["file", "postgres", "postgres vacuumed"] as const) {
      const seededAs = kind === "postgres vacuumed" ? "postgres" : kind;
      const open = (plan: TenantPlan): Ledger =>
        kind === "file" ? new FileLedger(home, plan.tenant.id) : PostgresLedger.fromUrl(ledgerUrl);
      if (kind === "postgres vacuumed") {
        const v = new pg.Client(ledgerUrl);
        await v.connect();
        await v.query("VACUUM ANALYZE etl_runs, etl_materializations, etl_checks");
        await v.end();
      }
      for (const [plan, options] of kind === "postgres vacuumed" ? [] : seeds) {
        const ledger = open(plan);
        const t0 = performance.now();
        const seeded = await seedLedger(ledger, plan, options);
        await ledger.close();
        results.seeded.push({
          ledger: kind,
          tenant: plan.tenant.id,
          ...seeded,
          seconds: round((performance.now() - t0) / 1000),
        });
        log(
          `console: seeded ${kind} ledger ${plan.tenant.id}: ${seeded.runs} runs, ${seeded.materializations} materialisations`,
        );
      }
      const served = await serve([wide, long], {
        ...env,
        ETL_HOME: home,
        ...(kind === "file" ? { ETL_LEDGER_URL: "" } : { ETL_LEDGER_URL: ledgerUrl }),
      });
      try {
        const w = await timeMatrix(
          served.url,
          `/api/v1/tenants/bench_wide/partitions?from=${addDay(end, -1094)}&to=${end}`,
          (m) => {
            const t = tally(m);
            const want = results.seeded.find(
              (s) => s.ledger === seededAs && s.tenant === "bench_wide",
            );
            if (
              m.rows.length !== 20 ||
              m.days !== 1095 ||
              want === undefined ||
              t.s + t.other !== want.materializations
            ) {
              throw new Error(
                `bench_wide matrix: ${m.rows.length} rows x ${m.days} days, ${t.s + t.other} materialised cells; seeded ${want?.materializations}`,
              );
            }
            return `20 rows x 1,095 days; ${t.s} succeeded and ${t.other} failed or skipped cells = the ${want.materializations} materialisations seeded`;
          },
        );
        results.api.push({
          ledger: kind,
          what: "partition matrix, 20 assets x 1,095 days",
          assets: w.rows,
          days: w.days,
          bytes: w.bytes,
          firstMs: w.firstMs,
          medianMs: w.medianMs,
          p95Ms: w.p95Ms,
          verified: w.verified,
        });
        const l = await timeMatrix(
          served.url,
          `/api/v1/tenants/bench_long/partitions?from=${addDay(end, -99_999)}&to=${end}`,
          (m) => {
            const t = tally(m);
            const want = results.seeded.find(
              (s) => s.ledger === seededAs && s.tenant === "bench_long",
            );
            if (
              m.rows.length !== 1 ||
              m.days !== 100_000 ||
              want === undefined ||
              t.s + t.other !== want.materializations
            ) {
              throw new Error(
                `bench_long matrix: ${m.rows.length} rows x ${m.days} days, ${t.s + t.other} materialised cells; seeded ${want?.materializations}`,
              );
            }
            return `1 row x 100,000 days; ${t.s + t.other} materialised cells = the ${want.materializations} seeded`;
          },
        );
        results.api.push({
          ledger: kind,
          what: "partition matrix, 1 asset x 100,000 days (every day at once)",
          assets: l.rows,
          days: l.days,
          bytes: l.bytes,
          firstMs: l.firstMs,
          medianMs: l.medianMs,
          p95Ms: l.p95Ms,
          verified: l.verified,
        });
        const page = await timeMatrix(
          served.url,
          `/api/v1/tenants/bench_long/partitions?from=${addDay(end, -1094)}&to=${end}`,
          (m) => `1 row x ${m.days} days (the page's default window)`,
        );
        results.api.push({
          ledger: kind,
          what: "partition matrix, 1 asset with 100,000 partitions, a 3-year page",
          assets: page.rows,
          days: page.days,
          bytes: page.bytes,
          firstMs: page.firstMs,
          medianMs: page.medianMs,
          p95Ms: page.p95Ms,
          verified: page.verified,
        });
        log(
          `console: ${kind} ledger: 20x1095 median ${w.medianMs} ms, 100,000 days median ${l.medianMs} ms`,
        );
        if (kind === "postgres") results.pages.push(...(await pageLoads(served.url)));
      } finally {
        await served.close();
      }
    }
  } finally {
    await rm(home, { recursive: true, force: true });
    const d = new pg.Client({ ...admin, database: "postgres" });
    await d.connect();
    await d.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await d.end();
  }
  return results;
}

/** Navigation start to content drawn (the page's marker element present), per page. */
async function pageLoads(url: string): Promise<ConsoleResults["pages"]> {
  const browser = await openBrowser({ width: 1440, height: 900 });
  const out: ConsoleResults["pages"] = [];
  try {
    const pages: [string, string, string][] = [
      ["overview (340 assets)", "/t/bench_wide", ".tiles"],
      ["lineage (340 assets, 320 dbt models)", "/t/bench_wide/lineage", "g.node"],
      ["asset (300 materialisations, charts)", "/t/bench_wide/assets/load/orders", ".chart canvas"],
      [
        "partitions (20 assets x 1,095 days)",
        "/t/bench_wide/partitions",
        "[data-testid=partition-matrix]",
      ],
      [
        "partitions (1 asset, all 100,000 days)",
        "/t/bench_long/partitions?window=all",
        "[data-testid=partition-matrix]",
      ],
      ["runs", "/t/bench_wide/runs", "table.table tbody tr"],
    ];
    for (const [name, at, ready] of pages) {
      const times: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        const page = await browser.context.newPage();
        await page.goto(`${url}${at}`);
        await page.waitForSelector(ready, { timeout: 60_000 });
        // The marker is in the DOM; wait for the frame that paints it.
        // In the page (a string: this file is compiled without the DOM's types).
        times.push(
          Number(
            await page.evaluate(
              "new Promise((done) => requestAnimationFrame(() => done(performance.now())))",
            ),
          ),
        );
        await page.close();
      }
      out.push({
        page: name,
        firstMs: round(times[0] ?? 0),
        medianMs: round(median(times.slice(1))),
      });
    }
  } finally {
    await browser.close();
  }
  return out;
}

/** Target lines for the report. */
function consoleTargetLines(c: ConsoleResults): string[] {
  const out: string[] = [];
  for (const a of c.api.filter((x) => x.days === 100_000)) {
    out.push(
      `console API, 100,000 partitions < 200 ms (${a.ledger} ledger): median ${a.medianMs} ms, p95 ${a.p95Ms} ms (${a.p95Ms < 200 ? "met" : "NOT met"})`,
    );
  }
  const slowest = [...c.pages].sort((a, b) => b.medianMs - a.medianMs)[0];
  if (slowest !== undefined) {
    const worstFirst = Math.max(...c.pages.map((p) => p.firstMs));
    out.push(
      `console page usable < 1.5 s: slowest median ${slowest.medianMs} ms (${slowest.page}), slowest first load ${round(worstFirst)} ms (${worstFirst < 1500 ? "met" : "NOT met"})`,
    );
  }
  return out;
}

/** The report's console section. */
function consoleMarkdown(c: ConsoleResults): string[] {
  const fmt = (n: number) => n.toLocaleString("en-US");
  return [
    "## Console: partition matrix API and page loads",
    "",
    "Ledgers filled through the Ledger interface (one run per day, a failure now and then):",
    "",
    "| ledger | tenant | runs | materialisations | seconds to write |",
    "|---|---|---:|---:|---:|",
    ...c.seeded.map(
      (s) =>
        `| ${s.ledger} | ${s.tenant} | ${fmt(s.runs)} | ${fmt(s.materializations)} | ${s.seconds} |`,
    ),
    "",
    `API over HTTP on loopback, ${RUNS} requests after the first (the first after start builds the file ledger's index):`,
    "",
    "| ledger | request | bytes | first ms | median ms | p95 ms |",
    "|---|---|---:|---:|---:|---:|",
    ...c.api.map(
      (a) =>
        `| ${a.ledger} | ${a.what} | ${fmt(a.bytes)} | ${a.firstMs} | ${a.medianMs} | ${a.p95Ms} |`,
    ),
    "",
    ...c.api.map((a) => `- ${a.ledger}, ${a.what}: ${a.verified}`),
    "",
    "Headless Chromium (PostgreSQL ledger), navigation start to the page's content painted; first load (cold cache) and the median of five more:",
    "",
    "| page | first ms | median ms |",
    "|---|---:|---:|",
    ...c.pages.map((p) => `| ${p.page} | ${p.firstMs} | ${p.medianMs} |`),
    "",
  ];
}

export const consoleSection = defineSection<ConsoleResults>({
  name: "console",
  options: {},
  schema: ConsoleResultsSchema,
  run: (ctx) => benchConsole(ctx.env, ctx.log),
  targets: consoleTargetLines,
  markdown: consoleMarkdown,
});
