/**
 * Jobs: the built-in ones (all partitioned pipelines, all unpartitioned ones, every dbt asset),
 * the preset's (one per pipeline, src/presets/) and the config's own, each selecting assets by
 * glob. The configs are checked once; each environment's jobs are built from its assets.
 */
import { assetKey, parseCron, resolveZone, selectKeys } from "@etl/runtime/contract";
import type { AssetPlan, JobPlan, PipelinePlan } from "@etl/runtime/plan";
import { BUILTIN_JOBS, type TenantConfig } from "../config/schema.js";
import { sortedEntries } from "../order.js";
import { presetJobs, presetWithJob } from "../presets/preset.js";
import { suggest } from "../problems.js";
import { type ModelContext, tenantPath } from "./context.js";
import { cronHint } from "./contract-hints.js";
import { canonicalZone } from "./partitions.js";
import { checkId } from "./translate.js";

/** Default concurrency of a job: independent assets run two at a time. */
const DEFAULT_CONCURRENCY = 2;

const isBuiltin = (name: string) => (BUILTIN_JOBS as readonly string[]).includes(name);

/** The built-in jobs of a tenant in their order, its preset's among them. */
function builtinJobs(config: TenantConfig): string[] {
  const [daily, master, ...rest] = BUILTIN_JOBS;
  return [daily, master, ...Object.keys(presetJobs(config)), ...rest];
}

/** The preset job of this name of the tenant's preset, if it has one. */
function presetJob(config: TenantConfig, name: string) {
  const jobs = presetJobs(config);
  return Object.hasOwn(jobs, name) ? jobs[name] : undefined;
}

/** Checks every job of the config: names, selections and schedules. */
export function checkJobs(ctx: ModelContext): void {
  const builtins = builtinJobs(ctx.config);
  for (const [name, job] of Object.entries(ctx.config.jobs)) {
    const at = (...path: (string | number)[]) => tenantPath("jobs", name, ...path);
    const fromPreset = presetJob(ctx.config, name) !== undefined;
    const builtin = isBuiltin(name) || fromPreset;
    // A preset's jobs may name their assets (a migrated tenant writes them out explicitly).
    if (builtin && job.selection !== undefined && !fromPreset) {
      ctx.report(
        at("selection"),
        `built-in job "${name}" has a fixed selection`,
        "remove selection:, or define a job under another name",
      );
    }
    if (!builtin) {
      ctx.checkName(at(), checkId("job name", name));
      if (job.selection === undefined) {
        reportUnknownJob(ctx, name, builtins);
      }
    }
    if (job.schedule !== undefined && job.schedule !== null) {
      const cron = parseCron(job.schedule.cron);
      if (!cron.ok) {
        ctx.report(at("schedule", "cron"), cron.error, cronHint(cron.kind));
      }
      canonicalZone(ctx, at("schedule", "timezone"), job.schedule.timezone);
    }
  }
}

/** A job that is not built in and has no selection: what it may have meant. */
function reportUnknownJob(ctx: ModelContext, name: string, builtins: readonly string[]): void {
  const at = tenantPath("jobs", name);
  const preset = presetWithJob(name);
  if (preset !== null) {
    ctx.report(
      at,
      `job "${name}" is a job of the ${preset.name} preset, which tenant ${ctx.config.id} does not use, and has no selection`,
      `add preset: ${preset.name} to the tenant (docs/config-reference.md#presets), or add selection: [asset key globs]`,
      true,
    );
    return;
  }
  const guess = suggest(name, builtins);
  ctx.report(
    at,
    `job "${name}" is not a built-in job (${builtins.join(", ")}) and has no selection`,
    guess === undefined
      ? "add selection: [asset key globs]"
      : `did you mean the built-in job "${guess}"? otherwise add selection: [asset key globs]`,
    true,
  );
}

/** Every glob of a job's selection matches an asset of some environment (`keys`: all of them). */
export function checkSelections(ctx: ModelContext, keys: readonly string[]): void {
  for (const [name, job] of Object.entries(ctx.config.jobs)) {
    for (const [i, glob] of (job.selection ?? []).entries()) {
      if (selectKeys(keys, [glob]).length === 0) {
        const near = suggest(glob, keys);
        ctx.report(
          tenantPath("jobs", name, "selection", i),
          `selection "${glob}" of job "${name}" matches no asset in any environment`,
          near === undefined
            ? `asset keys look like ${ctx.config.id}/extract/<pipeline>; "*" matches within a segment, "**" across segments`
            : `did you mean "${near}"?`,
        );
      }
    }
  }
}

/**
 * The jobs of one environment, from its pipelines and assets. A job exists only when enabled and
 * selecting at least one asset; its crons and zones were checked by checkJobs.
 */
export function environmentJobs(
  config: TenantConfig,
  pipelines: readonly PipelinePlan[],
  assets: readonly AssetPlan[],
): JobPlan[] {
  const jobs: JobPlan[] = [];
  const order = new Map(assets.map((asset, i) => [asset.key, i]));
  const partitionedKeys = new Set(assets.filter((a) => a.partitioned).map((a) => a.key));
  const byPipeline = (names: ReadonlySet<string>) =>
    assets.filter((a) => a.pipeline !== null && names.has(a.pipeline)).map((a) => a.key);
  const dbtFor = (names: ReadonlySet<string>) => {
    const models = new Set<string>();
    for (const pipeline of pipelines) {
      if (names.has(pipeline.name) && pipeline.dbtTransform !== null) {
        for (const model of pipeline.dbtTransform.select.split(/\s+/)) {
          models.add(model);
        }
      }
    }
    return assets.filter((a) => a.dbt !== null && models.has(a.dbt.name)).map((a) => a.key);
  };
  const add = (name: string, description: string, keys: readonly string[]) => {
    const job = config.jobs[name];
    const enabled = job?.enabled ?? name !== "dbt_transform";
    if (!enabled || keys.length === 0) {
      return;
    }
    const selected = [...new Set(keys)].sort((x, y) => (order.get(x) ?? 0) - (order.get(y) ?? 0));
    const schedule = job?.schedule ?? null;
    const cron = schedule === null ? null : parseCron(schedule.cron);
    const zone = schedule === null ? null : resolveZone(schedule.timezone);
    jobs.push({
      name,
      description: `[${config.name}] ${description}`,
      assets: selected,
      partitioned: selected.some((key) => partitionedKeys.has(key)),
      schedule:
        schedule === null
          ? null
          : {
              cron: cron?.ok ? cron.cron.text : schedule.cron,
              timezone: zone?.ok ? zone.zone : schedule.timezone,
              autoStart: schedule.auto_start,
            },
      concurrency: job?.concurrency ?? DEFAULT_CONCURRENCY,
    });
  };

  const partitioned = new Set(pipelines.filter((p) => p.dateColumn !== null).map((p) => p.name));
  const unpartitioned = new Set(pipelines.filter((p) => p.dateColumn === null).map((p) => p.name));
  add("daily_etl", "Daily ETL Pipeline (Extract → Transfer → Load)", [
    ...byPipeline(partitioned),
    ...dbtFor(partitioned),
  ]);
  add("master_sync", "Master Data Sync (Non-partitioned)", [
    ...byPipeline(unpartitioned),
    ...dbtFor(unpartitioned),
  ]);
  for (const [name, spec] of Object.entries(presetJobs(config))) {
    const pipeline = pipelines.find((p) => p.name === spec.pipeline);
    if (pipeline === undefined || config.jobs[name]?.selection !== undefined) {
      continue;
    }
    const names = new Set([pipeline.name]);
    const extracts = (pipeline.transfer?.inputs ?? []).map((i) =>
      assetKey(config.id, "extract", i),
    );
    add(name, spec.description, [...extracts, ...byPipeline(names), ...dbtFor(names)]);
  }
  add(
    "dbt_transform",
    "dbt Transform Pipeline",
    assets.filter((a) => a.stage === "dbt").map((a) => a.key),
  );
  for (const [name, job] of sortedEntries(config.jobs)) {
    const spec = presetJob(config, name);
    if (isBuiltin(name) || job.selection === undefined) {
      continue;
    }
    add(
      name,
      job.description ?? spec?.description ?? `Assets matching ${job.selection.join(", ")}`,
      selectKeys(
        assets.map((a) => a.key),
        job.selection,
      ),
    );
  }
  return jobs;
}
