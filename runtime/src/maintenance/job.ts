/**
 * The `maintenance` job: Iceberg upkeep of every table the tenant writes in the environment (its
 * load targets, and the tables its dbt models built), one run like any job's: it takes the run
 * lock, is recorded in the ledger (one record per table under the key
 * `<tenant>/maintenance/<catalog>.<schema>.<table>`, with the counts before and after), tells the
 * run's observers when it starts and ends (so a failed upkeep alerts; tables are no assets, so no
 * asset events), and prints the usual summary.
 *
 * Steps: lock → begin (record, observers) → tables (targets, then maintainTable for each, with
 * retries for transient Trino errors such as a commit lost to a concurrent load) → settle → end.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { RunObserver } from "../executor/observer.js";
import { RunObservers } from "../executor/observer.js";
import type { Ledger, LockOwner, MaterializationRecord, RunRecord } from "../ledger/types.js";
import type { Logger } from "../logger.js";
import type { EnvironmentPlan, JobPlan, MaintenancePlan, TenantPlan } from "../plan.js";
import { type ResolvedResources, tenantEnv } from "../resources.js";
import { RetryError, type RetryPolicy, withRetry } from "../retry/index.js";
import { TrinoClient } from "../trino/client.js";
import { resolveValue } from "../values.js";
import {
  type MaintainedTable,
  maintainTable,
  type TableMaintenanceResult,
  tableExists,
} from "./tables.js";

export interface MaintenanceRunOptions {
  plan: TenantPlan;
  envPlan: EnvironmentPlan;
  environment: string;
  job: JobPlan;
  resources: ResolvedResources;
  ledger: Ledger;
  logger: Logger;
  retry: RetryPolicy;
  signal: AbortSignal;
  trigger: string;
  wait?: boolean;
  observers?: readonly RunObserver[];
  /** Session properties for the maintenance statements (an embedding caller's; none by default). */
  trinoSession?: Record<string, string>;
}

export interface MaintenanceSummary {
  key: string;
  status: "succeeded" | "failed" | "skipped";
  attempts: number;
  durationMs: number;
  error: string | null;
}

export type MaintenanceOutcome =
  | {
      kind: "completed";
      run: RunRecord;
      assets: MaintenanceSummary[];
      tables: TableMaintenanceResult[];
    }
  | { kind: "locked"; message: string }
  | { kind: "invalid"; message: string };

/** The ledger key of a maintained table's record (not an asset: no stage of the plan). */
export function maintenanceKey(
  tenant: string,
  t: Pick<MaintainedTable, "catalog" | "schema" | "table">,
): string {
  return `${tenant}/maintenance/${t.catalog}.${t.schema}.${t.table}`;
}

/** `"iceberg"."s"."t"` (dbt's relation_name) as its parts; null when it is not three names. */
export function parseRelation(
  text: string,
): { catalog: string; schema: string; table: string } | null {
  const parts = [...text.matchAll(/"((?:[^"]|"")*)"|([^".]+)/g)].map((m) =>
    m[1] !== undefined ? m[1].replaceAll('""', '"') : (m[2] ?? ""),
  );
  const [catalog, schema, table] = parts;
  return parts.length === 3 && catalog && schema && table ? { catalog, schema, table } : null;
}

/**
 * The tables the tenant writes in this environment: each load target (its catalog resolved), and
 * each table the tenant's dbt models last built (from the ledger: dbt reports the relation).
 */
export async function maintainedTables(
  o: Pick<MaintenanceRunOptions, "plan" | "envPlan" | "ledger">,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ tables: MaintainedTable[]; problems: string[] }> {
  const tables = new Map<string, MaintainedTable>();
  const problems: string[] = [];
  const tenant = o.plan.tenant.id;
  for (const p of o.envPlan.pipelines) {
    if (!p.saveToTrino || p.trinoOutput === null) continue;
    const catalog = resolveValue(p.trinoOutput.catalog, env);
    if (!catalog.ok) {
      problems.push(
        `pipeline ${p.name}: missing environment variables ${catalog.missing.join(", ")}`,
      );
      continue;
    }
    const t: MaintainedTable = {
      catalog: catalog.value,
      schema: p.trinoOutput.schema,
      table: p.trinoOutput.table,
      tenantColumn: p.trinoOutput.tenantColumn,
      origin: `load ${p.name}`,
    };
    tables.set(`${t.catalog}.${t.schema}.${t.table}`.toLowerCase(), t);
  }
  const dbtKeys = new Set(o.envPlan.assets.filter((a) => a.stage === "dbt").map((a) => a.key));
  if (dbtKeys.size > 0) {
    const latest = new Map<string, MaterializationRecord>();
    for (const m of await o.ledger.materializations(tenant)) {
      if (!dbtKeys.has(m.assetKey) || m.status !== "succeeded") continue;
      const prev = latest.get(m.assetKey);
      if (prev === undefined || prev.finishedAt < m.finishedAt) latest.set(m.assetKey, m);
    }
    for (const [key, m] of [...latest].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const relation =
        typeof m.metadata.relation === "string" ? parseRelation(m.metadata.relation) : null;
      if (relation === null) continue;
      const id = `${relation.catalog}.${relation.schema}.${relation.table}`.toLowerCase();
      if (!tables.has(id))
        tables.set(id, { ...relation, tenantColumn: null, origin: `dbt ${key}` });
    }
  }
  return { tables: [...tables.values()], problems };
}

/** Runs the maintenance job; see the module doc. */
export async function runMaintenanceJob(o: MaintenanceRunOptions): Promise<MaintenanceOutcome> {
  const settings: MaintenancePlan | undefined = o.envPlan.maintenance;
  if (settings === undefined) {
    return {
      kind: "invalid",
      message: `job ${o.job.name} is a maintenance job, but the plan has no maintenance settings`,
    };
  }
  const tenant = o.plan.tenant.id;
  const owner: LockOwner = { runId: runId(), pid: process.pid, host: hostname() };
  const key = { tenant, job: o.job.name, partition: null };
  let lock = await o.ledger.tryLock(key, owner, o.logger);
  while (!lock.ok && o.wait === true && !o.signal.aborted) {
    o.logger.info("waiting for run lock", { holder: lock.holder });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    lock = await o.ledger.tryLock(key, owner, o.logger);
  }
  if (!lock.ok) {
    const h = lock.holder;
    return {
      kind: "locked",
      message: `job ${o.job.name} is already running (run ${h.runId}, pid ${h.pid} on ${h.host}, heartbeat ${h.heartbeatAt}); use --wait to wait for it`,
    };
  }
  const logger = o.logger.child({ runId: owner.runId, job: o.job.name });
  const observers = new RunObservers(o.observers ?? [], logger);
  const signal = AbortSignal.any([o.signal, lock.lost]);
  let run: RunRecord = {
    runId: owner.runId,
    tenant,
    environment: o.environment,
    job: o.job.name,
    partition: null,
    status: "running",
    select: null,
    trigger: o.trigger,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    pid: owner.pid,
    host: owner.host,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    error: null,
  };
  const summaries: MaintenanceSummary[] = [];
  const results: TableMaintenanceResult[] = [];
  try {
    await o.ledger.putRun(run);
    await observers.runStarted(run);
    const env = tenantEnv(o.plan, process.env);
    const { tables, problems } = await maintainedTables(o, env);
    if (problems.length > 0)
      throw new Error(`cannot list the tables to maintain: ${problems.join("; ")}`);
    logger.info("run started", { tables: tables.length, trigger: o.trigger });
    if (tables.length === 0) logger.info("no Iceberg tables to maintain in this environment yet");
    const client = TrinoClient.create(o.resources.trino, { logger, source: "etl-maintenance" });
    const queue = [...tables];
    const worker = async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
        const outcome = await maintainOne(o, run, client, t, settings, signal, logger);
        summaries.push(outcome.summary);
        if (outcome.result !== null) results.push(outcome.result);
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(o.job.concurrency, Math.max(1, tables.length)) }, worker),
    );
    const count = (s: MaintenanceSummary["status"]) =>
      summaries.filter((x) => x.status === s).length;
    const lost = lock.lost.aborted ? String(lock.lost.reason) : null;
    run = {
      ...run,
      succeeded: count("succeeded"),
      failed: count("failed"),
      skipped: count("skipped"),
      status:
        lost !== null
          ? "failed"
          : signal.aborted
            ? "cancelled"
            : count("failed") > 0
              ? "failed"
              : "succeeded",
      error: lost,
      finishedAt: new Date().toISOString(),
    };
    await o.ledger.putRun(run);
    await observers.runFinished(run);
    logger.info("run finished", {
      status: run.status,
      succeeded: run.succeeded,
      failed: run.failed,
      skipped: run.skipped,
    });
    summaries.sort((a, b) => (a.key < b.key ? -1 : 1));
    return { kind: "completed", run, assets: summaries, tables: results };
  } catch (e) {
    run = {
      ...run,
      status: "failed",
      error: e instanceof Error ? e.message : String(e),
      finishedAt: new Date().toISOString(),
    };
    await o.ledger.putRun(run).catch((e2: unknown) =>
      logger.error("could not record the failed run", {
        error: e2 instanceof Error ? e2.message : String(e2),
      }),
    );
    await observers.runFinished(run);
    throw new Error(`run ${run.runId} of ${o.job.name} failed`, { cause: e });
  } finally {
    await lock.release();
  }
}

function runId(now: Date = new Date()): string {
  return `${now.toISOString().replace(/[-:.]/g, "").slice(0, 15)}Z-${randomUUID().slice(0, 8)}`;
}

/** This tenant's running runs that load into `t`, with their ages (they stretch the retention). */
async function runningLoads(
  o: MaintenanceRunOptions,
  t: MaintainedTable,
  self: string,
): Promise<{ runId: string; ageSeconds: number }[]> {
  const pipelines = new Set(
    o.envPlan.pipelines
      .filter(
        (p) =>
          p.trinoOutput !== null &&
          p.trinoOutput.schema.toLowerCase() === t.schema.toLowerCase() &&
          p.trinoOutput.table.toLowerCase() === t.table.toLowerCase(),
      )
      .map((p) => p.name),
  );
  const loadKeys = new Set(
    o.envPlan.assets
      .filter((a) => a.stage === "load" && a.pipeline !== null && pipelines.has(a.pipeline))
      .map((a) => a.key),
  );
  const jobs = new Set(
    o.envPlan.jobs.filter((j) => j.assets.some((k) => loadKeys.has(k))).map((j) => j.name),
  );
  const now = Date.now();
  return (await o.ledger.runs(o.plan.tenant.id))
    .filter((r) => r.status === "running" && r.runId !== self && jobs.has(r.job))
    .map((r) => ({
      runId: r.runId,
      ageSeconds: Math.max(0, (now - Date.parse(r.startedAt)) / 1000),
    }));
}

async function maintainOne(
  o: MaintenanceRunOptions,
  run: RunRecord,
  client: TrinoClient,
  t: MaintainedTable,
  settings: MaintenancePlan,
  signal: AbortSignal,
  runLogger: Logger,
): Promise<{ summary: MaintenanceSummary; result: TableMaintenanceResult | null }> {
  const key = maintenanceKey(run.tenant, t);
  const logger = runLogger.child({ table: `${t.catalog}.${t.schema}.${t.table}` });
  const started = new Date();
  let attempts = 0;
  let status: MaintenanceSummary["status"] = "failed";
  let error: string | null = null;
  let result: TableMaintenanceResult | null = null;
  if (signal.aborted) {
    status = "skipped";
    error = "the run was stopped before this table";
  } else if (!(await tableExists(client, t))) {
    status = "skipped";
    error = "the table does not exist yet (nothing loaded into it)";
    logger.info("table skipped: it does not exist yet", { origin: t.origin });
  } else {
    logger.info("table maintenance started", { origin: t.origin });
    try {
      const r = await withRetry(
        async (attempt) => {
          attempts = attempt;
          return maintainTable({
            client,
            tenantId: run.tenant,
            table: t,
            snapshotRetentionSeconds: settings.snapshotRetentionSeconds,
            orphanRetentionSeconds: settings.orphanRetentionSeconds,
            fileSizeThresholdMb: settings.fileSizeThresholdMb,
            runningRuns: await runningLoads(o, t, run.runId),
            ...(o.trinoSession === undefined ? {} : { session: o.trinoSession }),
          });
        },
        o.retry,
        {
          signal,
          onRetry: ({ attempt, delayMs, error: e }) =>
            logger.warn("transient failure, retrying", {
              attempt,
              delayMs,
              error: e instanceof Error ? e.message : String(e),
            }),
        },
      );
      result = r.value;
      status = "succeeded";
      if (result.optimize.kind === "skipped") {
        logger.warn("compaction skipped", { reason: result.optimize.reason });
      }
      logger.info("table maintained", {
        optimize: result.optimize.kind,
        dataFiles: `${result.before.dataFiles} -> ${result.after.dataFiles}`,
        deleteFiles: `${result.before.deleteFiles} -> ${result.after.deleteFiles}`,
        snapshots: `${result.before.snapshots} -> ${result.after.snapshots}`,
        runningWriters: result.runningWriters,
      });
    } catch (e) {
      error = e instanceof RetryError || e instanceof Error ? e.message : String(e);
      logger.error("table maintenance failed", { attempts, error });
    }
  }
  const finished = new Date();
  const materialization: MaterializationRecord = {
    runId: run.runId,
    tenant: run.tenant,
    job: run.job,
    assetKey: key,
    partition: null,
    status,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    attempts,
    metadata: result === null ? { origin: t.origin } : { ...result },
    error,
  };
  await o.ledger.putMaterialization(materialization);
  return {
    summary: { key, status, attempts, durationMs: finished.getTime() - started.getTime(), error },
    result,
  };
}
