/**
 * Jobs: the old system's six jobs, every one written out; the per-pipeline ones with an explicit
 * selection (their old extracts, plus the transfer and load of the pipeline they are named after).
 */
import { type ConvertContext, ENVIRONMENTS, type PipelineOut } from "./context.js";
import { CRON_ALIASES, LEGACY_PIPELINE_JOBS } from "./legacy-facts.js";
import { LEGACY_JOBS, type LegacyJob } from "./legacy-schema.js";

/** The six old jobs as this tool's `jobs:` (the per-pipeline ones with their explicit selection). */
export function convertJobs(
  ctx: ConvertContext,
  pipelines: readonly PipelineOut[],
  dbt: boolean,
): Record<string, unknown> {
  const t = ctx.cfg.tenant;
  const raw = (ctx.cfg.raw.jobs ?? {}) as Record<string, unknown>;
  const jobs: Record<string, unknown> = {};
  const key = (stage: string, p: string) => `${ctx.id}/${stage}/${p}`;
  for (const name of LEGACY_JOBS) {
    const job = t.jobs[name];
    const node: Record<string, unknown> = { enabled: job.enabled };
    const spec = Object.hasOwn(LEGACY_PIPELINE_JOBS, name) ? LEGACY_PIPELINE_JOBS[name] : undefined;
    if (spec !== undefined) {
      // The old job: extracts of its pipelines plus transfer/load of a pipeline named like its
      // lookup name; here that name is corrected to the pipeline it meant.
      const has = (p: string) => pipelines.find((x) => x.name === p);
      const stages = (target: string) => {
        const p = has(target);
        return [
          ...(p?.legacy.has_transfer === true ? [key("transfer", target)] : []),
          ...(p !== undefined && ENVIRONMENTS.some((e) => p.loads[e]) ? [key("load", target)] : []),
        ];
      };
      const oldSelection = [
        ...spec.extracts.filter((e) => has(e) !== undefined).map((e) => key("extract", e)),
        ...stages(spec.lookupName),
      ];
      const selection = [...oldSelection, ...stages(spec.pipeline)];
      const unique = [...new Set(selection)];
      if (unique.length === 0) {
        if (job.enabled || Object.hasOwn(raw, name)) {
          ctx.converted.push({
            where: Object.hasOwn(raw, name) ? ctx.at(["jobs", name]) : "",
            text: `job ${name} left out: it selects no asset of this tenant (no ${spec.extracts.join("/")} pipeline), so the old factory created no such job either`,
          });
        }
        continue;
      }
      node.description = spec.description;
      node.selection = unique;
      if (job.enabled) {
        const extra = unique.filter((k) => !oldSelection.includes(k));
        if (extra.length > 0) {
          ctx.decisions.add(
            `The per-pipeline jobs select the pipeline they are named after: the old ones looked its transfer and load up as aps_wip / cycle_time / equipment_utilization, which no pipeline is named, and so ran extracts only. To keep the old behaviour, set a job's selection to its extracts (listed in this report).`,
          );
          ctx.converted.push({
            where: Object.hasOwn(raw, name) ? ctx.at(["jobs", name]) : "",
            text: `job ${name}: the old job selected ${oldSelection.join(", ")} only (its transfer/load were looked up as "${spec.lookupName}"); written out with the ${spec.pipeline} pipeline it is named after: + ${extra.join(", ")}`,
          });
        }
      }
    }
    if (job.schedule !== null) {
      node.schedule = schedule(ctx, name, job);
      const datedExtract = (e: string) =>
        pipelines.some((x) => x.name === e && x.legacy.date_column !== null);
      const partitioned = name === "daily_etl" || (spec?.extracts.some(datedExtract) ?? false);
      if (partitioned) {
        ctx.decisions.add(
          "A schedule of a partitioned job runs the previous day in the schedule's time zone; the old ScheduleDefinition started runs without a partition key, which the partitioned assets could not run.",
        );
      }
    }
    if (name === "dbt_transform" && job.enabled && !dbt) {
      ctx.converted.push({
        where: Object.hasOwn(raw, name) ? ctx.at(["jobs", name]) : "",
        text: "dbt_transform: enabled but the tenant has no dbt assets; the old factory created the job anyway (selecting nothing), here a job that selects nothing does not exist",
      });
    }
    jobs[name] = node;
  }
  return jobs;
}

/** A schedule, with Dagster's cron aliases written as five fields. */
function schedule(ctx: ConvertContext, name: string, job: LegacyJob): Record<string, unknown> {
  const s = job.schedule;
  if (s === null) {
    return {};
  }
  let cron = s.cron.trim();
  const alias = Object.hasOwn(CRON_ALIASES, cron) ? CRON_ALIASES[cron] : undefined;
  if (alias !== undefined) {
    ctx.converted.push({
      where: ctx.at(["jobs", name, "schedule", "cron"]),
      text: `cron ${cron} -> "${alias}" (the same times, written as five fields)`,
    });
    cron = alias;
  }
  return { cron, timezone: s.timezone, auto_start: s.auto_start };
}
