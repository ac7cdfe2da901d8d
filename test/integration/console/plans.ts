/**
 * Plans and ledger contents of the console tests, the bench and the screenshots.
 *
 * - `consolePlan`: project_01's generated plan with its own storage prefix and Trino schema per
 *   test run (other suites share the stack), and a `broken` job whose custom query is bad SQL.
 * - `largePlan`: a tenant at the scale the console is built for: 20 daily assets over three years
 *   feeding 320 dbt models in five layers, and optionally one asset with 100,000 daily partitions.
 *   Its ledger is filled through the Ledger interface (`seedLedger`) like real runs fill it.
 */
import {
  type AssetPlan,
  type CheckRecord,
  type EnvironmentPlan,
  environmentPlan,
  type JobPlan,
  type Ledger,
  type MaterializationRecord,
  type PipelinePlan,
  type RunRecord,
  sameEnvironments,
  type TenantPlan,
} from "@etl/runtime";
import { plan as generated } from "@etl/tenant-project_01";

export const TENANT = "project_01";

function need<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null)
    throw new Error(`generated project_01 plan has no ${what}`);
  return value;
}

/** project_01 for one test run: storage under `basePath`, loads into `trinoSchema`. */
export function consolePlan(basePath: string, trinoSchema: string): TenantPlan {
  const plan = structuredClone(generated);
  const env = environmentPlan(plan, "dev");
  env.resources.storage.basePath = basePath;
  for (const p of env.pipelines) {
    if (p.trinoOutput !== null) p.trinoOutput = { ...p.trinoOutput, schema: trinoSchema };
  }
  const lot = need(
    env.pipelines.find((p) => p.name === "lot_history"),
    "lot_history pipeline",
  );
  const broken: PipelinePlan = {
    ...structuredClone(lot),
    name: "broken",
    sourceTable: null,
    query: "SELECT lot_id, created_at, no_such_column FROM lot_history",
    hasTransfer: false,
    transfer: null,
    saveToTrino: false,
    trinoOutput: null,
    columns: null,
    schemaHash: null,
    checks: [],
  };
  env.pipelines.push(broken);
  env.assets.push({
    key: `${TENANT}/extract/broken`,
    stage: "extract",
    pipeline: "broken",
    deps: [],
    partitioned: true,
    description: "a bad custom query (console test)",
    dbt: null,
  });
  env.jobs.push({
    name: "broken",
    description: "a bad custom query (console test)",
    assets: [`${TENANT}/extract/lot_history`, `${TENANT}/extract/broken`],
    partitioned: true,
    schedule: null,
    concurrency: 1,
  });
  return { ...plan, ...sameEnvironments(env) };
}

const LAYERS = [
  { prefix: "stg", share: 0.35 },
  { prefix: "int", share: 0.25 },
  { prefix: "dim", share: 0.15 },
  { prefix: "fct", share: 0.15 },
  { prefix: "rpt", share: 0.1 },
];

/** A deterministic pseudo-random generator (mulberry32), so every seeded ledger is the same. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIPELINES = [
  "orders",
  "order_lines",
  "customers",
  "payments",
  "shipments",
  "inventory",
  "web_sessions",
];

export interface LargePlanOptions {
  id: string;
  name: string;
  startDate: string;
  dbtModels: number;
}

/**
 * 7 pipelines (extract, transfer, load: 20 daily assets with one pipeline without transfer) and
 * `dbtModels` dbt models in layers (staging reads loads, later layers read earlier ones).
 */
export function largePlan(options: LargePlanOptions): TenantPlan {
  const base = structuredClone(generated);
  const template = need(base.shared.pipelines[0], "pipeline");
  const id = options.id;
  const assets: AssetPlan[] = [];
  const pipelines: PipelinePlan[] = [];
  const daily: string[] = [];
  for (const [i, name] of PIPELINES.entries()) {
    const transfer = i !== PIPELINES.length - 1;
    pipelines.push({
      ...structuredClone(template),
      name,
      sourceTable: name,
      hasTransfer: transfer,
      trinoOutput:
        template.trinoOutput === null
          ? null
          : { ...template.trinoOutput, schema: "retail", table: name },
    });
    const extract = `${id}/extract/${name}`;
    assets.push({
      key: extract,
      stage: "extract",
      pipeline: name,
      deps: [],
      partitioned: true,
      description: `Extract ${name}`,
      dbt: null,
    });
    daily.push(extract);
    let upstream = extract;
    if (transfer) {
      const t = `${id}/transfer/${name}`;
      assets.push({
        key: t,
        stage: "transfer",
        pipeline: name,
        deps: [extract],
        partitioned: true,
        description: `Transfer ${name}`,
        dbt: null,
      });
      daily.push(t);
      upstream = t;
    }
    const load = `${id}/load/${name}`;
    assets.push({
      key: load,
      stage: "load",
      pipeline: name,
      deps: [upstream],
      partitioned: true,
      description: `Load ${name} into Trino`,
      dbt: null,
    });
    daily.push(load);
  }
  const rnd = random(7);
  const layers: string[][] = [];
  let made = 0;
  for (const [li, layer] of LAYERS.entries()) {
    const n =
      li === LAYERS.length - 1
        ? options.dbtModels - made
        : Math.round(options.dbtModels * layer.share);
    const keys: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const name = `${layer.prefix}_${PIPELINES[i % PIPELINES.length]}_${String(i).padStart(3, "0")}`;
      const key = `${id}/dbt/${name}`;
      const pool = li === 0 ? daily.filter((k) => k.includes("/load/")) : (layers[li - 1] ?? []);
      const deps = new Set<string>();
      const want = li === 0 ? 1 : 1 + Math.floor(rnd() * 3);
      for (let d = 0; d < want && pool.length > 0; d += 1)
        deps.add(pool[Math.floor(rnd() * pool.length)] ?? "");
      assets.push({
        key,
        stage: "dbt",
        pipeline: null,
        deps: [...deps].filter((k) => k !== ""),
        partitioned: false,
        description: `dbt model ${name}`,
        dbt: {
          uniqueId: `model.${id}.${name}`,
          name,
          resourceType: "model",
          packageName: id,
          selector: `${id}.${name}`,
          tests: [],
        },
      });
      keys.push(key);
    }
    made += n;
    layers.push(keys);
  }
  const jobs: JobPlan[] = [
    {
      name: "daily_etl",
      description: "every daily asset",
      assets: daily,
      partitioned: true,
      schedule: { cron: "0 2 * * *", timezone: "UTC", autoStart: true },
      concurrency: 3,
    },
    {
      name: "dbt_build",
      description: "every dbt model",
      assets: layers.flat(),
      partitioned: false,
      schedule: { cron: "30 3 * * *", timezone: "UTC", autoStart: true },
      concurrency: 1,
    },
  ];
  const env: EnvironmentPlan = {
    ...environmentPlan(base, "dev"),
    partitions: { startDate: options.startDate, timezone: "UTC" },
    pipelines,
    assets,
    jobs,
    dbt: null,
  };
  return {
    ...base,
    tenant: { id, name: options.name, enabled: true, tags: {} },
    ...sameEnvironments(env),
  };
}

/** One daily asset with a very long history (100,000 days ends today if it starts 1752-09-14). */
export function longPlan(id: string, startDate: string): TenantPlan {
  const base = structuredClone(generated);
  const template = need(base.shared.pipelines[0], "pipeline");
  const key = `${id}/extract/sensor_readings`;
  const env: EnvironmentPlan = {
    ...environmentPlan(base, "dev"),
    partitions: { startDate, timezone: "UTC" },
    pipelines: [
      {
        ...structuredClone(template),
        name: "sensor_readings",
        sourceTable: "sensor_readings",
        hasTransfer: false,
      },
    ],
    assets: [
      {
        key,
        stage: "extract",
        pipeline: "sensor_readings",
        deps: [],
        partitioned: true,
        description: "Extract sensor_readings",
        dbt: null,
      },
    ],
    jobs: [
      {
        name: "sensors",
        description: "the long history",
        assets: [key],
        partitioned: true,
        schedule: null,
        concurrency: 1,
      },
    ],
    dbt: null,
  };
  return {
    ...base,
    tenant: { id, name: "Sensors (100,000 partitions)", enabled: true, tags: {} },
    ...sameEnvironments(env),
  };
}

/** YYYY-MM-DD plus `days`. */
export function addDay(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Runs `tasks` with at most `limit` at once. */
async function pool(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let i = next++; i < tasks.length; i = next++) await (tasks[i] as () => Promise<void>)();
    }),
  );
}

export interface SeedOptions {
  /** Daily runs from this day to `to`, one per day. */
  from: string;
  to: string;
  /** Share of days whose run fails one asset (its dependents are skipped). */
  failureRate: number;
  /** Share of days with no run at all. */
  gapRate: number;
  /** Only these assets (default: the daily_etl job's). */
  assetKeys?: readonly string[];
  job?: string;
  seed?: number;
  concurrency?: number;
}

/**
 * Fills a ledger with one run per day of `job` over [from, to]: materialisations with rows and
 * bytes (and durations) that vary like real ones, a failure now and then, and days left out.
 */
export async function seedLedger(
  ledger: Ledger,
  plan: TenantPlan,
  options: SeedOptions,
): Promise<{ runs: number; materializations: number }> {
  const env = environmentPlan(plan, "dev");
  const jobName = options.job ?? "daily_etl";
  const job = need(
    env.jobs.find((j) => j.name === jobName),
    `job ${jobName}`,
  );
  const keys = options.assetKeys ?? job.assets;
  const byKey = new Map(env.assets.map((a) => [a.key, a]));
  const rnd = random(options.seed ?? 11);
  const tenant = plan.tenant.id;
  const tasks: (() => Promise<void>)[] = [];
  let runs = 0;
  let materializations = 0;
  for (let day = options.from, i = 0; day <= options.to; day = addDay(day, 1), i += 1) {
    if (rnd() < options.gapRate) continue;
    const failing = rnd() < options.failureRate ? keys[Math.floor(rnd() * keys.length)] : undefined;
    const start = new Date(`${addDay(day, 1)}T02:00:00Z`).getTime() + Math.floor(rnd() * 60_000);
    const runId = `${new Date(start).toISOString().replace(/[-:.]/g, "").slice(0, 15)}Z-${String(i).padStart(8, "0")}`;
    const records: MaterializationRecord[] = [];
    const failed = new Set<string>();
    let clock = start;
    for (const key of keys) {
      const asset = byKey.get(key);
      const upstreamFailed = asset?.deps.some((d) => failed.has(d)) === true;
      const rows = Math.round(40_000 + 15_000 * Math.sin(i / 9) + rnd() * 8_000);
      const ms = Math.round(800 + rnd() * 2_500 + rows / 40);
      const status: MaterializationRecord["status"] = upstreamFailed
        ? "skipped"
        : key === failing
          ? "failed"
          : "succeeded";
      if (status !== "succeeded") failed.add(key);
      records.push({
        runId,
        tenant,
        job: jobName,
        assetKey: key,
        partition: asset?.partitioned === false ? null : day,
        status,
        startedAt: new Date(clock).toISOString(),
        finishedAt: new Date(clock + (status === "skipped" ? 0 : ms)).toISOString(),
        attempts: status === "failed" ? 3 : 1,
        metadata:
          status === "succeeded"
            ? { rows, bytes: rows * 61 + Math.floor(rnd() * 9_000), files: 1 }
            : {},
        error:
          status === "failed"
            ? "connection reset by peer (after 3 attempts)"
            : status === "skipped"
              ? "an upstream asset failed"
              : null,
      });
      clock += status === "skipped" ? 0 : ms;
    }
    const run: RunRecord = {
      runId,
      tenant,
      environment: "dev",
      job: jobName,
      partition: job.partitioned ? day : null,
      status: failed.size > 0 ? "failed" : "succeeded",
      select: null,
      trigger: i % 17 === 0 ? "backfill" : "schedule",
      startedAt: new Date(start).toISOString(),
      finishedAt: new Date(clock + 200).toISOString(),
      pid: 4242,
      host: "etl-worker-0",
      succeeded: records.filter((r) => r.status === "succeeded").length,
      failed: records.filter((r) => r.status === "failed").length,
      skipped: records.filter((r) => r.status === "skipped").length,
      error: null,
    };
    runs += 1;
    materializations += records.length;
    const checks: CheckRecord[] = records
      .filter((r) => r.status === "succeeded" && r.assetKey.includes("/extract/"))
      .map((r) => ({
        runId,
        tenant,
        assetKey: r.assetKey,
        partition: r.partition,
        checkName: "row_count_in_range",
        severity: "warn",
        passed: rnd() > 0.01,
        metadata: { type: "row_count", rows: r.metadata.rows },
        checkedAt: r.finishedAt,
      }));
    tasks.push(async () => {
      await ledger.putRun(run);
      for (const r of records) await ledger.putMaterialization(r);
      for (const c of checks) await ledger.putCheck(c);
    });
  }
  await pool(tasks, options.concurrency ?? 16);
  return { runs, materializations };
}
