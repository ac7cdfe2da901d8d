/**
 * What the console shows, computed from the plan and the ledger's read queries: asset health,
 * lineage, partition strips and the matrix, run steps. The functions here read through the
 * `Ledger` interface only and never see resources or resolved values.
 */

import { civilFromDays, daysFromCivil, formatCalendarDate } from "../contract/calendar.js";
import { parseCron } from "../contract/cron.js";
import { selectAssets } from "../executor/graph.js";
import type { LatestStatus } from "../ledger/queries.js";
import type { CheckRecord, Ledger, MaterializationRecord, RunRecord } from "../ledger/types.js";
import { latestCompletePartition } from "../partitions/index.js";
import type { AssetPlan, EnvironmentName, EnvironmentPlan, JobPlan, TenantPlan } from "../plan.js";
import { nextFire } from "../schedule/cron.js";
import { partitionForFire } from "../schedule/serve.js";
import {
  type AssetRef,
  type Health,
  type MaterializationPoint,
  PARTITION_CODES,
  type PartitionCounts,
  type PartitionStatus,
  type RunDetail,
} from "./dto.js";

/** One tenant as the console sees it: its plan in the selected environment and its ledger. */
export interface ConsoleTenant {
  plan: TenantPlan;
  environment: EnvironmentName;
  envPlan: EnvironmentPlan;
  ledger: Ledger;
}

/**
 * Days since 1970-01-01 of a YYYY-MM-DD date, read by position (the partition matrix converts
 * 100,000 dates per answer; the dates come from the ledger, written by the runtime).
 */
export function dayNumber(date: string): number {
  const digit = (i: number) => date.charCodeAt(i) - 48;
  return daysFromCivil(
    digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3),
    digit(5) * 10 + digit(6),
    digit(8) * 10 + digit(9),
  );
}

/** The YYYY-MM-DD date of a day number. */
export function dateOfDay(day: number): string {
  return formatCalendarDate(civilFromDays(day));
}

/** The tenant's partition range: start date to the latest complete day (end < start: none yet). */
export function partitionBounds(
  envPlan: EnvironmentPlan,
  now: Date,
): { start: string; end: string } {
  return {
    start: envPlan.partitions.startDate,
    end: latestCompletePartition(envPlan.partitions.timezone, now),
  };
}

function assetKind(asset: AssetPlan): AssetRef["kind"] {
  if (asset.dbt !== null) return asset.dbt.resourceType;
  if (asset.stage === "extract" && asset.pipeline === null) return "source";
  if (asset.stage === "dbt") return "model";
  return asset.stage;
}

/** The asset's name: its key without the tenant and stage. */
export function assetName(key: string): string {
  return key.split("/").slice(2).join("/") || key;
}

/** Which partitions of which assets running runs are materialising now. */
export function runningPartitions(
  envPlan: EnvironmentPlan,
  running: readonly RunRecord[],
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const jobs = new Map(envPlan.jobs.map((j) => [j.name, j]));
  for (const run of running) {
    const job = jobs.get(run.job);
    if (job === undefined) continue;
    const selected = selectAssets(envPlan.assets, job.assets, run.select);
    if (!selected.ok) continue;
    for (const asset of selected.assets) {
      const set = out.get(asset.key) ?? new Set<string>();
      out.set(asset.key, set);
      set.add(asset.partitioned ? (run.partition ?? "") : "");
    }
  }
  return out;
}

export interface HealthView {
  refs: Map<string, AssetRef>;
  running: Map<string, Set<string>>;
  bounds: { start: string; end: string };
}

/**
 * Every asset's health, counts and last materialisation, from the ledger's per-asset summaries
 * (one row per asset, however many partitions it has) and the runs running now.
 */
export async function healthView(tenant: ConsoleTenant, now: Date): Promise<HealthView> {
  const id = tenant.plan.tenant.id;
  const bounds = partitionBounds(tenant.envPlan, now);
  const [summaries, runningRuns] = await Promise.all([
    tenant.ledger.assetSummaries(id, { from: bounds.start, to: bounds.end }),
    tenant.ledger.findRuns(id, { status: "running", limit: 200 }),
  ]);
  const byKey = new Map(summaries.map((s) => [s.assetKey, s]));
  const running = runningPartitions(tenant.envPlan, runningRuns);
  // What the partitions being run now last were, to move them from their status to "running".
  const runningDays = [...running.values()].flatMap((set) => [...set].filter((p) => p !== ""));
  const underWay =
    runningDays.length === 0
      ? []
      : await tenant.ledger.latestStates(id, {
          assetKeys: [...running.keys()],
          from: [...runningDays].sort()[0] ?? null,
          to: [...runningDays].sort().at(-1) ?? null,
        });
  const stateOf = new Map(underWay.map((s) => [`${s.assetKey}|${s.partition ?? ""}`, s.status]));
  const days = bounds.start <= bounds.end ? dayNumber(bounds.end) - dayNumber(bounds.start) + 1 : 0;
  const refs = new Map<string, AssetRef>();
  for (const asset of tenant.envPlan.assets) {
    const summary = byKey.get(asset.key);
    const runningHere = running.get(asset.key) ?? new Set<string>();
    let counts: PartitionCounts | null = null;
    if (asset.partitioned) {
      const c = summary?.counts ?? { succeeded: 0, failed: 0, skipped: 0 };
      counts = { ...c, running: 0, missing: days - c.succeeded - c.failed - c.skipped };
      for (const p of runningHere) {
        if (p < bounds.start || p > bounds.end) continue;
        const was = stateOf.get(`${asset.key}|${p}`);
        if (was === undefined) counts.missing -= 1;
        else counts[was] -= 1;
        counts.running += 1;
      }
    }
    const latest = summary?.latest;
    const own = summary?.lastSuccessAt ?? null;
    let health: Health;
    if (latest?.status === "failed" || summary?.atEnd === "failed") health = "failed";
    else if (own === null) health = "never";
    else if (asset.partitioned) health = summary?.atEnd === "succeeded" ? "fresh" : "stale";
    else
      health = asset.deps.some((d) => (byKey.get(d)?.lastSuccessAt ?? "") > own)
        ? "stale"
        : "fresh";
    refs.set(asset.key, {
      key: asset.key,
      stage: asset.stage,
      kind: assetKind(asset),
      name: assetName(asset.key),
      health,
      partitioned: asset.partitioned,
      running: runningHere.size > 0,
      lastMaterialization:
        latest === undefined
          ? null
          : {
              partition: latest.partition,
              finishedAt: latest.finishedAt,
              runId: latest.runId,
              status: latest.status,
            },
      counts,
    });
  }
  return { refs, running, bounds };
}

/** Health counts of a tenant's assets. */
export function healthCounts(refs: Iterable<AssetRef>): Record<Health, number> {
  const out: Record<Health, number> = { fresh: 0, stale: 0, failed: 0, never: 0 };
  for (const r of refs) out[r.health] += 1;
  return out;
}

/**
 * One asset's partition strip from `from` to `to` (inclusive), one code per day (PARTITION_CODES),
 * with its counts. Linear in the days and the asset's records: it serves 100,000 days at once.
 */
export function partitionStrip(
  states: readonly LatestStatus[],
  running: ReadonlySet<string>,
  from: string,
  to: string,
): { statuses: string; counts: PartitionCounts } {
  const first = dayNumber(from);
  const days = Math.max(0, dayNumber(to) - first + 1);
  const codes = new Uint8Array(days).fill(PARTITION_CODES.missing.charCodeAt(0));
  const code = (status: PartitionStatus) => PARTITION_CODES[status].charCodeAt(0);
  for (const s of states) {
    if (s.partition === null || s.partition < from || s.partition > to) continue;
    codes[dayNumber(s.partition) - first] = code(s.status);
  }
  for (const p of running) {
    if (p === "" || p < from || p > to) continue;
    codes[dayNumber(p) - first] = code("running");
  }
  const perCode = new Uint32Array(128);
  for (const c of codes) perCode[c] = (perCode[c] ?? 0) + 1;
  const counts: PartitionCounts = { succeeded: 0, failed: 0, skipped: 0, running: 0, missing: 0 };
  for (const status of Object.keys(PARTITION_CODES) as PartitionStatus[]) {
    counts[status] = perCode[code(status)] ?? 0;
  }
  return { statuses: new TextDecoder().decode(codes), counts };
}

/** The next fire of every scheduled job, soonest first. */
export function nextRuns(jobs: readonly JobPlan[], now: Date) {
  const out = [];
  for (const job of jobs) {
    if (job.schedule === null) continue;
    const cron = parseCron(job.schedule.cron);
    const at = cron.ok ? nextFire(cron.cron, job.schedule.timezone, now) : null;
    out.push({
      job: job.name,
      cron: job.schedule.cron,
      timezone: job.schedule.timezone,
      autoStart: job.schedule.autoStart,
      at: at === null ? null : at.toISOString(),
      partition: at === null ? null : partitionForFire(job, at, job.schedule.timezone),
    });
  }
  return out.sort((a, b) => ((a.at ?? "~") < (b.at ?? "~") ? -1 : 1));
}

/** The latest result of each check that failed, newest first. */
export function failingChecks(latest: readonly CheckRecord[]): CheckRecord[] {
  return latest
    .filter((c) => !c.passed)
    .sort((a, b) => (a.checkedAt < b.checkedAt ? 1 : a.checkedAt > b.checkedAt ? -1 : 0));
}

function numberField(metadata: Record<string, unknown>, names: readonly string[]): number | null {
  for (const name of names) {
    const v = metadata[name];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return null;
}

/** A materialisation as a chart point (rows and bytes from what its stage recorded). */
export function materializationPoint(m: MaterializationRecord): MaterializationPoint {
  return {
    runId: m.runId,
    partition: m.partition,
    status: m.status,
    startedAt: m.startedAt,
    finishedAt: m.finishedAt,
    durationMs: Math.max(0, Date.parse(m.finishedAt) - Date.parse(m.startedAt)),
    attempts: m.attempts,
    // Extract and transfer record rows; load records what it inserted; dbt what the adapter saw.
    rows: numberField(m.metadata, ["rows", "rowsInserted", "rowsStaged", "rowsAffected"]),
    bytes: numberField(m.metadata, ["bytes", "bytesWritten"]),
    error: m.error,
  };
}

/** A run's steps: each selected asset in execution order with its outcome so far. */
export function runSteps(
  envPlan: EnvironmentPlan,
  run: RunRecord,
  materializations: readonly MaterializationRecord[],
): RunDetail["steps"] {
  const job = envPlan.jobs.find((j) => j.name === run.job);
  const selected = job === undefined ? null : selectAssets(envPlan.assets, job.assets, run.select);
  const order = selected?.ok === true ? selected.assets.map((a) => a.key) : [];
  const byKey = new Map(materializations.map((m) => [m.assetKey, m]));
  for (const m of materializations) if (!order.includes(m.assetKey)) order.push(m.assetKey);
  return order.map((key) => {
    const m = byKey.get(key);
    return m === undefined
      ? {
          key,
          status: "pending" as const,
          startedAt: null,
          finishedAt: null,
          attempts: 0,
          error: null,
          metadata: {},
        }
      : {
          key,
          status: m.status,
          startedAt: m.startedAt,
          finishedAt: m.finishedAt,
          attempts: m.attempts,
          error: m.error,
          metadata: m.metadata,
        };
  });
}
