/**
 * `serve`: fires each scheduled job on time, in its schedule's zone, for the right partition (the
 * day before the fire time, for daily jobs). Overlap is prevented by the ledger's run lock, so two
 * `serve` processes (or a `serve` and a manual `run`) never run the same job and partition at once.
 * The last fire time per job is kept in ETL_HOME so that `--catch-up` can replay missed fires.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { addDays } from "../contract/calendar.js";
import { type CronExpression, parseCron } from "../contract/cron.js";
import { resolveZone } from "../contract/zone.js";
import { writeFileAtomic } from "../ledger/file.js";
import type { Logger } from "../logger.js";
import { dateIn } from "../partitions/index.js";
import type { JobPlan } from "../plan.js";
import { sleep } from "../retry/index.js";
import { firesBetween, nextFire } from "./cron.js";

export interface ScheduledJob {
  job: JobPlan;
  cron: CronExpression;
  /** The schedule's zone in its canonical spelling. */
  timezone: string;
}

export interface Fire {
  job: JobPlan;
  at: Date;
  /** Partition the fire runs: the day before `at` in the schedule zone, or null. */
  partition: string | null;
}

export type SchedulesResult = { ok: true; jobs: ScheduledJob[] } | { ok: false; errors: string[] };

/** The jobs `serve` runs: auto_start ones, or every scheduled one with `all`. */
export function scheduledJobs(jobs: readonly JobPlan[], all: boolean): SchedulesResult {
  const out: ScheduledJob[] = [];
  const errors: string[] = [];
  for (const job of jobs) {
    if (job.schedule === null || (!all && !job.schedule.autoStart)) continue;
    const c = parseCron(job.schedule.cron);
    const zone = resolveZone(job.schedule.timezone);
    if (!c.ok) errors.push(`job ${job.name}: ${c.error}`);
    if (!zone.ok) errors.push(`job ${job.name}: ${zone.message}`);
    if (c.ok && zone.ok) out.push({ job, cron: c.cron, timezone: zone.zone });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, jobs: out };
}

/** The partition a fire at `at` runs: yesterday in the schedule's zone for daily jobs. */
export function partitionForFire(job: JobPlan, at: Date, timezone: string): string | null {
  return job.partitioned ? addDays(dateIn(at, timezone), -1) : null;
}

export interface ServeOptions {
  jobs: ScheduledJob[];
  stateDir: string;
  catchUp: boolean;
  logger: Logger;
  signal: AbortSignal;
  /** Starts one run; resolves when it ends. Failures are the callee's to log. */
  launch: (fire: Fire) => Promise<void>;
  now?: () => Date;
}

interface JobState {
  lastFire: string;
}

async function readState(file: string): Promise<JobState | null> {
  const text = await readFile(file, "utf8").catch((e: unknown) => {
    if ((e as { code?: unknown }).code === "ENOENT") return null;
    throw new Error(`cannot read schedule state ${file}`, { cause: e });
  });
  return text === null ? null : (JSON.parse(text) as JobState);
}

/** Runs until `signal` aborts, then waits for in-flight runs. */
export async function serve(o: ServeOptions): Promise<void> {
  const now = o.now ?? (() => new Date());
  const inFlight = new Set<Promise<void>>();
  const cursor = new Map<string, Date>();
  const stateFile = (j: ScheduledJob) => path.join(o.stateDir, `${j.job.name}.json`);
  const fire = async (j: ScheduledJob, at: Date) => {
    const f: Fire = { job: j.job, at, partition: partitionForFire(j.job, at, j.timezone) };
    o.logger.info("schedule fired", {
      job: j.job.name,
      at: at.toISOString(),
      partition: f.partition,
    });
    await writeFileAtomic(stateFile(j), `${JSON.stringify({ lastFire: at.toISOString() })}\n`);
    const p = o.launch(f).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  for (const j of o.jobs) {
    const state = await readState(stateFile(j));
    const start = now();
    if (o.catchUp && state !== null) {
      const missed = firesBetween(j.cron, j.timezone, new Date(state.lastFire), start);
      if (missed.length > 0) {
        o.logger.info("catching up missed fires", { job: j.job.name, count: missed.length });
      }
      for (const at of missed) {
        await fire(j, at);
      }
    }
    cursor.set(j.job.name, start);
    const next = nextFire(j.cron, j.timezone, start);
    o.logger.info("schedule armed", {
      job: j.job.name,
      cron: j.cron.source,
      timezone: j.timezone,
      next: next?.toISOString() ?? null,
    });
  }

  while (!o.signal.aborted) {
    let earliest: { j: ScheduledJob; at: Date } | null = null;
    for (const j of o.jobs) {
      const at = nextFire(j.cron, j.timezone, cursor.get(j.job.name) ?? now());
      if (at !== null && (earliest === null || at < earliest.at)) earliest = { j, at };
    }
    if (earliest === null) {
      o.logger.warn("no schedule will ever fire again; serve stops");
      break;
    }
    const wait = earliest.at.getTime() - now().getTime();
    if (wait > 0) {
      // Short naps keep the loop honest about wall-clock jumps (suspend, NTP steps).
      await sleep(Math.min(wait, 30_000), o.signal);
      continue;
    }
    cursor.set(earliest.j.job.name, earliest.at);
    await fire(earliest.j, earliest.at);
  }
  if (inFlight.size > 0) {
    o.logger.info("stopping: waiting for running jobs", { running: inFlight.size });
  }
  await Promise.allSettled([...inFlight]);
}
