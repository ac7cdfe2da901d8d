/** `list`: assets, jobs and schedules of the selected environment. */
import type { EnvironmentPlan } from "../plan.js";
import { EXIT_OK, type SelectedContext } from "./io.js";

export interface ListOutput {
  tenant: string;
  environment: string;
  assets: {
    key: string;
    stage: string;
    pipeline: string | null;
    partitioned: boolean;
    deps: string[];
  }[];
  jobs: {
    name: string;
    description: string;
    partitioned: boolean;
    concurrency: number;
    assets: string[];
    schedule: { cron: string; timezone: string; autoStart: boolean } | null;
  }[];
}

/** The machine-readable listing, sorted by key and name so output is stable. */
export function buildListing(
  tenant: string,
  environment: string,
  env: EnvironmentPlan,
): ListOutput {
  const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    tenant,
    environment,
    assets: [...env.assets]
      .sort((a, b) => byString(a.key, b.key))
      .map((a) => ({
        key: a.key,
        stage: a.stage,
        pipeline: a.pipeline,
        partitioned: a.partitioned,
        deps: [...a.deps].sort(byString),
      })),
    jobs: [...env.jobs]
      .sort((a, b) => byString(a.name, b.name))
      .map((j) => ({
        name: j.name,
        description: j.description,
        partitioned: j.partitioned,
        concurrency: j.concurrency,
        assets: [...j.assets],
        schedule: j.schedule === null ? null : { ...j.schedule },
      })),
  };
}

export function listCommand(ctx: SelectedContext): number {
  const listing = buildListing(ctx.plan.tenant.id, ctx.environment, ctx.envPlan);
  if (ctx.args.flags.has("json")) {
    ctx.io.out(`${JSON.stringify(listing, null, 2)}\n`);
    return EXIT_OK;
  }
  const lines: string[] = [];
  lines.push(`tenant ${listing.tenant} (environment ${listing.environment})`, "");
  lines.push(`ASSETS (${listing.assets.length})`);
  const keyWidth = Math.max(3, ...listing.assets.map((a) => a.key.length));
  lines.push(`  ${"KEY".padEnd(keyWidth)}  ${"STAGE".padEnd(8)}  PART  DEPS`);
  for (const a of listing.assets) {
    lines.push(
      `  ${a.key.padEnd(keyWidth)}  ${a.stage.padEnd(8)}  ${(a.partitioned ? "day" : "-").padEnd(4)}  ${
        a.deps.length === 0 ? "-" : a.deps.join(", ")
      }`,
    );
  }
  lines.push("", `JOBS (${listing.jobs.length})`);
  for (const j of listing.jobs) {
    lines.push(
      `  ${j.name}  ${j.partitioned ? "daily partitions" : "unpartitioned"}, ${j.assets.length} assets, concurrency ${j.concurrency}${
        j.description === "" ? "" : ` - ${j.description}`
      }`,
    );
  }
  lines.push("", "SCHEDULES");
  const scheduled = listing.jobs.filter((j) => j.schedule !== null);
  if (scheduled.length === 0) {
    lines.push("  (none)");
  }
  for (const j of scheduled) {
    if (j.schedule !== null) {
      lines.push(
        `  ${j.name}  "${j.schedule.cron}" ${j.schedule.timezone}  auto_start=${j.schedule.autoStart}`,
      );
    }
  }
  ctx.io.out(`${lines.join("\n")}\n`);
  return EXIT_OK;
}
