import type { JobPlan } from "@etl/runtime/plan";
import { describe, expect, it } from "vitest";
import { reported, tenantContext, transformModule } from "../../test/model-context.js";
import { byAssetOrder, pipelineAssets } from "./assets.js";
import { checkJobs, checkSelections, environmentJobs } from "./jobs.js";
import { buildPipelines } from "./pipelines.js";

/** The transforms the aps preset's pipelines run. */
const APS_TRANSFORMS = {
  wip: transformModule("wip"),
  cycle_time: transformModule("cycleTime"),
  equipment_utilization: transformModule("equipmentUtilization"),
};

const LOTS = {
  lot_history: { source_table: "lot_history", date_column: "created_at" },
  items: { source_table: "items" },
};

/** The tenant's jobs (from its pipelines' assets, as every environment builds them). */
function jobsOf(config: Record<string, unknown>, transforms: Record<string, string> = {}) {
  const ctx = tenantContext({ config, transforms });
  const pipelines = buildPipelines(ctx).plans;
  const assets = pipelineAssets(ctx.config, pipelines).sort(byAssetOrder);
  checkJobs(ctx);
  return { jobs: environmentJobs(ctx.config, pipelines, assets), problems: reported(ctx) };
}

/** A job as name -> the assets it selects. */
const selections = (jobs: readonly JobPlan[]) =>
  Object.fromEntries(jobs.map((job) => [job.name, job.assets]));

describe("environmentJobs", () => {
  it("builds a built-in job with its defaults", () => {
    const { jobs, problems } = jobsOf({
      assets: { pipelines: { lot_history: LOTS.lot_history } },
      jobs: { daily_etl: { schedule: { cron: "0 2 * * *", timezone: "utc" } } },
    });
    expect(problems).toEqual([]);
    expect(jobs).toEqual([
      {
        name: "daily_etl",
        description: "[Acme] Daily ETL Pipeline (Extract → Transfer → Load)",
        assets: ["acme/extract/lot_history"],
        partitioned: true,
        schedule: { cron: "0 2 * * *", timezone: "UTC", autoStart: false },
        concurrency: 2,
      },
    ]);
  });

  it.each([
    [
      "without a preset: only the generic jobs, whatever the pipelines are named",
      { assets: { pipelines: LOTS } },
      {},
      { daily_etl: ["acme/extract/lot_history"], master_sync: ["acme/extract/items"] },
    ],
    [
      "preset aps without pipelines: its three pipelines and its three jobs",
      { preset: "aps" },
      APS_TRANSFORMS,
      {
        daily_etl: [
          "acme/extract/equipment_event",
          "acme/transfer/equipment_event",
          "acme/load/equipment_event",
          "acme/extract/lot_history",
          "acme/transfer/lot_history",
          "acme/load/lot_history",
          "acme/extract/process_result",
          "acme/transfer/process_result",
          "acme/load/process_result",
        ],
        wip_pipeline: [
          "acme/extract/lot_history",
          "acme/transfer/lot_history",
          "acme/load/lot_history",
        ],
        cycle_time_pipeline: [
          "acme/extract/lot_history",
          "acme/extract/process_result",
          "acme/transfer/process_result",
          "acme/load/process_result",
        ],
        equipment_pipeline: [
          "acme/extract/equipment_event",
          "acme/transfer/equipment_event",
          "acme/load/equipment_event",
        ],
      },
    ],
    [
      "preset aps: a declared pipeline replaces the preset's of its name, and its job follows it",
      { preset: "aps", assets: { pipelines: { lot_history: LOTS.lot_history } } },
      APS_TRANSFORMS,
      {
        daily_etl: [
          "acme/extract/equipment_event",
          "acme/transfer/equipment_event",
          "acme/load/equipment_event",
          "acme/extract/lot_history",
          "acme/extract/process_result",
          "acme/transfer/process_result",
          "acme/load/process_result",
        ],
        wip_pipeline: ["acme/extract/lot_history"],
        cycle_time_pipeline: [
          "acme/extract/lot_history",
          "acme/extract/process_result",
          "acme/transfer/process_result",
          "acme/load/process_result",
        ],
        equipment_pipeline: [
          "acme/extract/equipment_event",
          "acme/transfer/equipment_event",
          "acme/load/equipment_event",
        ],
      },
    ],
    [
      "preset aps: a preset job switched off, another given its own selection (listed with the user jobs)",
      {
        preset: "aps",
        jobs: {
          equipment_pipeline: { enabled: false },
          wip_pipeline: { selection: ["acme/extract/lot_history"] },
        },
      },
      APS_TRANSFORMS,
      {
        daily_etl: [
          "acme/extract/equipment_event",
          "acme/transfer/equipment_event",
          "acme/load/equipment_event",
          "acme/extract/lot_history",
          "acme/transfer/lot_history",
          "acme/load/lot_history",
          "acme/extract/process_result",
          "acme/transfer/process_result",
          "acme/load/process_result",
        ],
        cycle_time_pipeline: [
          "acme/extract/lot_history",
          "acme/extract/process_result",
          "acme/transfer/process_result",
          "acme/load/process_result",
        ],
        wip_pipeline: ["acme/extract/lot_history"],
      },
    ],
    [
      "dbt_transform enabled without dbt assets, and daily_etl switched off: neither exists",
      {
        assets: { pipelines: LOTS },
        jobs: { dbt_transform: { enabled: true }, daily_etl: { enabled: false } },
      },
      {},
      { master_sync: ["acme/extract/items"] },
    ],
    [
      "user jobs by selection, sorted by name after the built-in ones",
      {
        assets: { pipelines: LOTS },
        jobs: {
          z_items: { selection: ["acme/*/items"] },
          all_extracts: { selection: ["acme/extract/*"] },
        },
      },
      {},
      {
        daily_etl: ["acme/extract/lot_history"],
        master_sync: ["acme/extract/items"],
        all_extracts: ["acme/extract/items", "acme/extract/lot_history"],
        z_items: ["acme/extract/items"],
      },
    ],
  ])("%s", (_name, config, transforms, want) => {
    const { jobs, problems } = jobsOf(config, transforms);
    expect(problems).toEqual([]);
    expect(selections(jobs)).toEqual(want);
    expect(Object.keys(selections(jobs))).toEqual(Object.keys(want));
  });

  it("describes a user job by its selection, a preset job by the preset, unless the config says", () => {
    const { jobs } = jobsOf(
      {
        preset: "aps",
        jobs: {
          wip_pipeline: { selection: ["acme/extract/lot_history"] },
          lots: { selection: ["acme/*/lot_history"], concurrency: 1 },
          told: { selection: ["acme/load/*"], description: "Every load" },
        },
      },
      APS_TRANSFORMS,
    );
    expect(
      jobs
        .filter((j) => ["wip_pipeline", "lots", "told"].includes(j.name))
        .map((j) => [j.name, j.description, j.concurrency]),
    ).toEqual([
      ["lots", "[Acme] Assets matching acme/*/lot_history", 1],
      ["told", "[Acme] Every load", 2],
      ["wip_pipeline", "[Acme] WIP Data Pipeline", 2],
    ]);
  });
});

describe("checkJobs", () => {
  it.each([
    [
      "a preset's job without the preset",
      { assets: { pipelines: LOTS }, jobs: { wip_pipeline: { enabled: true } } },
      {},
      [
        'tenant.jobs.wip_pipeline: job "wip_pipeline" is a job of the aps preset, which tenant acme does not use, and has no selection',
      ],
    ],
    [
      "an unknown job without selection (the list names the preset's jobs where the tenant has it)",
      { preset: "aps", jobs: { nightly: { enabled: true } } },
      APS_TRANSFORMS,
      [
        'tenant.jobs.nightly: job "nightly" is not a built-in job (daily_etl, master_sync, wip_pipeline, cycle_time_pipeline, equipment_pipeline, dbt_transform, maintenance) and has no selection',
      ],
    ],
    [
      "an unknown job without selection and without a preset",
      { assets: { pipelines: LOTS }, jobs: { nightly: { enabled: true } } },
      {},
      [
        'tenant.jobs.nightly: job "nightly" is not a built-in job (daily_etl, master_sync, dbt_transform, maintenance) and has no selection',
      ],
    ],
    [
      "a selection on a generic built-in job",
      { assets: { pipelines: LOTS }, jobs: { master_sync: { selection: ["acme/**"] } } },
      {},
      ['tenant.jobs.master_sync.selection: built-in job "master_sync" has a fixed selection'],
    ],
    [
      "a job name that is no id",
      { assets: { pipelines: LOTS }, jobs: { "Nightly-Run": { selection: ["acme/**"] } } },
      {},
      [
        'tenant.jobs.Nightly-Run: job name "Nightly-Run" is not a valid id: expected lower-case letters, digits and "_", starting with a letter (^[a-z][a-z0-9_]*$)',
      ],
    ],
    [
      "a schedule that never fires, in an unknown zone",
      {
        assets: { pipelines: LOTS },
        jobs: { daily_etl: { schedule: { cron: "0 2 30 2 *", timezone: "Mars/Olympus" } } },
      },
      {},
      [
        'tenant.jobs.daily_etl.schedule.cron: cron "0 2 30 2 *" never fires: day of month 30 does not occur in feb',
        'tenant.jobs.daily_etl.schedule.timezone: unknown time zone "Mars/Olympus"',
      ],
    ],
  ])("reports %s", (_name, config, transforms, want) => {
    const { problems } = jobsOf(config, transforms);
    expect(problems).toEqual(want);
  });
});

describe("checkSelections", () => {
  it.each([
    ["a glob that matches", ["acme/*/items"], []],
    [
      "a glob that matches nothing",
      ["acme/extract/item"],
      [
        'tenant.jobs.mine.selection.0: selection "acme/extract/item" of job "mine" matches no asset in any environment',
      ],
    ],
  ])("%s", (_name, selection, want) => {
    const ctx = tenantContext({
      config: { assets: { pipelines: LOTS }, jobs: { mine: { selection } } },
    });
    checkSelections(ctx, ["acme/extract/items", "acme/extract/lot_history"]);
    expect(reported(ctx)).toEqual(want);
  });
});
