/**
 * The old definitions of each legacy fixture (expected/<tenant>.yaml, written by hand from the
 * old factories' rules) and the same shape read from a migrated tenant: its `list --json` or its
 * plan. Comparing the two is the test that the migrated graph equals the old one.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { EnvironmentPlan } from "@etl/runtime/plan";
import { parse } from "yaml";
import { z } from "zod";

export const MIGRATE_DIR = import.meta.dirname;
/** The fixtures, laid out like the old repository (etl/tenants/<id>/ under its root). */
export const LEGACY_TENANTS = path.join(MIGRATE_DIR, "legacy", "etl", "tenants");

export interface Fixture {
  /** Name under etl/tenants/ (a folder, or the legacy single file). */
  from: string;
  id: string;
  dbt: boolean;
}

/** Every fixture: each old tenant shape, the template, and each Python module layout. */
export const FIXTURES: readonly Fixture[] = [
  { from: "legacy_aps", id: "legacy_aps", dbt: true },
  { from: "legacy_std", id: "legacy_std", dbt: true },
  { from: "legacy_com", id: "legacy_com", dbt: false },
  { from: "_template", id: "template", dbt: false },
  { from: "legacy_mods", id: "legacy_mods", dbt: false },
  { from: "tenant_legacy_v0.yaml", id: "legacy_v0", dbt: false },
];

const ScheduleSchema = z.object({
  cron: z.string(),
  timezone: z.string(),
  auto_start: z.boolean(),
});

const ExpectedEnvSchema = z.object({
  enabled: z.boolean(),
  assets: z.record(z.string(), z.object({ partitioned: z.boolean(), deps: z.array(z.string()) })),
  jobs: z.record(
    z.string(),
    z.object({
      description: z.string(),
      partitioned: z.boolean(),
      assets: z.array(z.string()),
      /** Added deliberately: the transfer and load of the pipeline the job is named after. */
      fixed: z.array(z.string()).default([]),
      schedule: ScheduleSchema.nullable(),
    }),
  ),
});
export type ExpectedEnv = z.infer<typeof ExpectedEnvSchema>;

export const ENVS = ["dev", "staging", "prod"] as const;
export type Env = (typeof ENVS)[number];

/** The old definitions of one fixture, per environment. */
export function expectedOf(id: string): Record<Env, ExpectedEnv> {
  const raw: unknown = parse(
    readFileSync(path.join(MIGRATE_DIR, "expected", `${id}.yaml`), "utf8"),
  );
  return z
    .object({ dev: ExpectedEnvSchema, staging: ExpectedEnvSchema, prod: ExpectedEnvSchema })
    .parse(raw);
}

/** The comparable shape: assets with sorted deps, jobs with sorted assets and their schedule. */
export interface Graph {
  assets: Record<string, { partitioned: boolean; deps: string[] }>;
  jobs: Record<
    string,
    {
      description: string;
      partitioned: boolean;
      assets: string[];
      schedule: { cron: string; timezone: string; autoStart: boolean } | null;
    }
  >;
}

const sorted = (keys: readonly string[]) => [...keys].sort();

/** What the migrated tenant must show: the old graph, with the per-pipeline jobs' deliberate fix. */
export function graphOfOld(env: ExpectedEnv): Graph {
  return {
    assets: Object.fromEntries(
      Object.entries(env.assets)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, a]) => [k, { partitioned: a.partitioned, deps: sorted(a.deps) }]),
    ),
    jobs: Object.fromEntries(
      Object.entries(env.jobs)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, j]) => [
          name,
          {
            description: j.description,
            partitioned: j.partitioned,
            assets: sorted([...j.assets, ...j.fixed]),
            schedule:
              j.schedule === null
                ? null
                : {
                    cron: j.schedule.cron,
                    timezone: j.schedule.timezone,
                    autoStart: j.schedule.auto_start,
                  },
          },
        ]),
    ),
  };
}

export const ListingSchema = z.object({
  tenant: z.string(),
  environment: z.string(),
  assets: z.array(
    z.object({ key: z.string(), partitioned: z.boolean(), deps: z.array(z.string()) }),
  ),
  jobs: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      partitioned: z.boolean(),
      assets: z.array(z.string()),
      schedule: z
        .object({ cron: z.string(), timezone: z.string(), autoStart: z.boolean() })
        .nullable(),
    }),
  ),
});

/** The shape of a package's `list --json` (or of a plan environment: the same fields). */
export function graphOfListing(listing: {
  assets: readonly { key: string; partitioned: boolean; deps: readonly string[] }[];
  jobs: readonly {
    name: string;
    description: string;
    partitioned: boolean;
    assets: readonly string[];
    schedule: { cron: string; timezone: string; autoStart: boolean } | null;
  }[];
}): Graph {
  return {
    assets: Object.fromEntries(
      [...listing.assets]
        .sort((a, b) => (a.key < b.key ? -1 : 1))
        .map((a) => [a.key, { partitioned: a.partitioned, deps: sorted(a.deps) }]),
    ),
    jobs: Object.fromEntries(
      [...listing.jobs]
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((j) => [
          j.name,
          {
            description: j.description,
            partitioned: j.partitioned,
            assets: sorted(j.assets),
            schedule: j.schedule === null ? null : { ...j.schedule },
          },
        ]),
    ),
  };
}

/** A plan environment in the same shape. */
/**
 * Jobs every package has that the old code location did not: the weekly Iceberg upkeep
 * (docs/migrating.md, "Deliberately different"). Compared apart from the old definitions.
 */
export const ADDED_JOBS: readonly string[] = ["maintenance"];

/** The graph without ADDED_JOBS, and what those jobs were. */
export function splitAddedJobs(graph: Graph): { old: Graph; added: string[] } {
  const jobs = Object.entries(graph.jobs);
  return {
    old: { ...graph, jobs: Object.fromEntries(jobs.filter(([n]) => !ADDED_JOBS.includes(n))) },
    added: jobs.map(([n]) => n).filter((n) => ADDED_JOBS.includes(n)),
  };
}

export function graphOfPlan(env: EnvironmentPlan): Graph {
  return graphOfListing({ assets: env.assets, jobs: env.jobs });
}

/** The pipeline each per-pipeline job is named after: its fixed additions must be its stages. */
export const NAMED_PIPELINE: Readonly<Record<string, string>> = {
  wip_pipeline: "lot_history",
  cycle_time_pipeline: "process_result",
  equipment_pipeline: "equipment_event",
};
