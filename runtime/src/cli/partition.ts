/**
 * `partition <job> [--partition YYYY-MM-DD|latest]`: prints the one partition a run of the job
 * takes, validated against the tenant's partitions (start date, not in the future). A workflow whose
 * steps are separate processes (the generated Argo WorkflowTemplates) resolves the partition once
 * with this command and hands it to every step, so steps started on either side of midnight still
 * run the same day; the rule itself is the runtime's (`latestCompletePartition`, `validatePartition`).
 */
import { latestCompletePartition, validatePartition } from "../partitions/index.js";
import { EXIT_OK, EXIT_USAGE, type SelectedContext } from "./io.js";

/** The word that stands for "the latest complete day in the tenant's zone", as `run` defaults to. */
export const LATEST_PARTITION = "latest";

/** Prints the job's partition (stdout: the date alone, so a workflow step can capture it). */
export function partitionCommand(ctx: SelectedContext): number {
  const name = ctx.args.positionals[0] ?? "";
  const job = ctx.envPlan.jobs.find((j) => j.name === name);
  if (job === undefined) {
    const names = ctx.envPlan.jobs.map((j) => j.name).sort();
    ctx.io.err(`error: unknown job "${name}" (jobs: ${names.join(", ") || "none"})\n`);
    return EXIT_USAGE;
  }
  if (!job.partitioned) {
    ctx.io.err(`error: job ${job.name} is not partitioned; its runs take no partition\n`);
    return EXIT_USAGE;
  }
  const given = ctx.args.strings.get("partition") ?? LATEST_PARTITION;
  const text =
    given === LATEST_PARTITION ? latestCompletePartition(ctx.envPlan.partitions.timezone) : given;
  const checked = validatePartition(text, ctx.envPlan.partitions);
  if (!checked.ok) {
    ctx.io.err(`error: ${checked.error}\n`);
    return EXIT_USAGE;
  }
  ctx.io.out(`${checked.partition}\n`);
  return EXIT_OK;
}
